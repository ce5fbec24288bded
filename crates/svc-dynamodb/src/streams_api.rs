//! The DynamoDB Streams API (`dynamodbstreams`, target prefix `DynamoDBStreams_20120810`):
//! ListStreams, DescribeStream, GetShardIterator, GetRecords over the streams and records
//! `streams.rs` keeps.
//!
//! Each stream has one shard. A shard iterator is `{stream ARN}|1|{opaque}` (AWS's iterators
//! start with the stream ARN the same way); the opaque part encodes the stream's id, the shard,
//! the next sequence number to read and when the iterator was issued, and it expires 15
//! minutes later on Nimbus's clock.

use std::ops::{Bound, ControlFlow};

use nimbus_core::{Access, Clock, Document, RequestContext, Service, ServiceError};
use nimbus_store::{Direction, Store};
use serde_json::{Map, Value, json};

use crate::describe::{Place, key_schema, timestamp};
use crate::errors::{Fail, Res, constraint, invalid};
use crate::records::TableRecord;
use crate::streams::{STREAMS_SCOPE, StreamRecord, decode_record, key_of_arn, number_of_key, parse_sequence, record_key, record_space, sequence_text, stored_time_ms};

pub const STREAMS_OPERATIONS: &[&str] = &["DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"];

/// How long a shard iterator may be used.
const ITERATOR_LIFETIME_MS: i64 = 15 * 60 * 1000;
const MAX_RECORDS_PER_CALL: u64 = 1000;
const MAX_STREAMS_PER_CALL: u64 = 100;
const MAX_SHARDS_PER_CALL: u64 = 100;

/// The DynamoDB Streams service: a second service over DynamoDB's store.
pub struct DynamoDbStreams {
    store: Store,
    clock: Clock,
}

impl DynamoDbStreams {
    pub fn new(store: Store, clock: Clock) -> Self {
        DynamoDbStreams { store, clock }
    }

    pub(crate) fn dispatch(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Res<Document> {
        let place = Place { account: ctx.account_id.clone(), region: ctx.region.clone() };
        match operation {
            "ListStreams" => self.list_streams(&place, input),
            "DescribeStream" => self.describe_stream(&place, input),
            "GetShardIterator" => self.get_shard_iterator(&place, input),
            "GetRecords" => self.get_records(&place, input),
            other => Err(Fail(ServiceError::not_implemented("DynamoDB Streams", other))),
        }
    }

    fn list_streams(&self, place: &Place, input: &Document) -> Res<Document> {
        let limit = limit(input, MAX_STREAMS_PER_CALL, MAX_STREAMS_PER_CALL)?;
        let table = input.get("TableName").and_then(Value::as_str);
        let prefix = match table {
            Some(name) => format!("{}/{}/{name}/stream/", place.account, place.region),
            None => format!("{}/{}/", place.account, place.region),
        };
        let after = match input.get("ExclusiveStartStreamArn").and_then(Value::as_str) {
            Some(arn) => Some(key_of_arn(place, arn).ok_or_else(|| stream_not_found(arn))?),
            None => None,
        };
        let page = self.store.list::<StreamRecord>(STREAMS_SCOPE, &prefix, after.as_deref(), limit + 1)?;
        if let (Some(name), true, None) = (table, page.is_empty(), &after)
            && self.store.get::<TableRecord>(&place.scope(), name)?.is_none()
        {
            return Err(Fail(ServiceError::new("ResourceNotFoundException", format!("Requested resource not found: Table: {name} not found"))));
        }
        let shown: Vec<&StreamRecord> = page.iter().take(limit).map(|(_, s)| s).collect();
        let streams: Vec<Value> =
            shown.iter().map(|s| json!({"StreamArn": s.arn(), "TableName": s.table_name, "StreamLabel": s.label})).collect();
        let mut out = json!({"Streams": streams});
        if page.len() > limit
            && let Some(last) = shown.last()
        {
            out["LastEvaluatedStreamArn"] = json!(last.arn());
        }
        Ok(out)
    }

    fn describe_stream(&self, place: &Place, input: &Document) -> Res<Document> {
        let arn = input.get("StreamArn").and_then(Value::as_str).unwrap_or_default();
        let limit = limit(input, MAX_SHARDS_PER_CALL, MAX_SHARDS_PER_CALL)?;
        let stream = self.stream(place, arn)?;
        let mut range = Map::new();
        range.insert("StartingSequenceNumber".into(), json!(sequence_text(stream.first_sequence)));
        if let Some(last) = stream.last_sequence {
            range.insert("EndingSequenceNumber".into(), json!(sequence_text(last)));
        }
        let shard = json!({"ShardId": stream.shard_id, "SequenceNumberRange": Value::Object(range)});
        // One shard: nothing after it, and it has no children.
        let past_it = input.get("ExclusiveStartShardId").and_then(Value::as_str).is_some();
        let children_asked = input.get("ShardFilter").is_some();
        let shards = if past_it || children_asked || limit == 0 { vec![] } else { vec![shard] };
        Ok(json!({"StreamDescription": {
            "StreamArn": stream.arn(),
            "StreamLabel": stream.label,
            "StreamStatus": if stream.enabled() { "ENABLED" } else { "DISABLED" },
            "StreamViewType": stream.view_type,
            "CreationRequestDateTime": timestamp(stream.created_ms),
            "TableName": stream.table_name,
            "KeySchema": key_schema(&stream.keys),
            "Shards": shards,
        }}))
    }

    fn get_shard_iterator(&self, place: &Place, input: &Document) -> Res<Document> {
        let arn = input.get("StreamArn").and_then(Value::as_str).unwrap_or_default();
        let shard_id = input.get("ShardId").and_then(Value::as_str).unwrap_or_default();
        let kind = input.get("ShardIteratorType").and_then(Value::as_str).unwrap_or_default();
        let sequence = input.get("SequenceNumber").and_then(Value::as_str);
        let stream = self.stream(place, arn)?;
        if shard_id != stream.shard_id {
            return Err(Fail(ServiceError::new("ResourceNotFoundException", "Requested resource not found: Shard does not exist")));
        }
        let wants_sequence = matches!(kind, "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER");
        if wants_sequence != sequence.is_some() {
            // Chosen wording (Kinesis's rule, DynamoDB Streams' member names).
            return invalid(format!(
                "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and a SequenceNumber or (2) TRIM_HORIZON, LATEST or AT_TIMESTAMP and no SequenceNumber. Request specified {kind} and {} SequenceNumber.",
                if sequence.is_some() { "a" } else { "no" }
            ));
        }
        let horizon = stream.first_sequence.max(stream.trimmed_through + 1);
        let last_issued = self.last_issued(&stream)?;
        let next = match (kind, sequence) {
            ("TRIM_HORIZON", _) => horizon,
            ("LATEST", _) => last_issued + 1,
            ("AT_TIMESTAMP", _) => {
                let Some(at) = input.get("Timestamp").and_then(nimbus_core::document::parse_timestamp) else {
                    return invalid("Must specify a Timestamp when ShardIteratorType is AT_TIMESTAMP");
                };
                let at_ms = (at.unix_timestamp_nanos() / 1_000_000) as i64;
                self.first_at_or_after(&stream, at_ms)?.unwrap_or(last_issued + 1).max(horizon)
            }
            (_, Some(text)) => {
                let number = parse_sequence(text).filter(|n| *n >= stream.first_sequence && *n <= last_issued);
                let Some(number) = number else {
                    return invalid(format!("Invalid SequenceNumber for ShardId {}: {text}", stream.shard_id));
                };
                if number <= stream.trimmed_through {
                    return Err(trimmed());
                }
                if kind == "AT_SEQUENCE_NUMBER" { number } else { number + 1 }
            }
            _ => return invalid(format!("Invalid ShardIteratorType: {kind}")),
        };
        let iterator = ShardIterator { arn: stream.arn(), stream_id: stream.id.clone(), shard_id: stream.shard_id.clone(), next, issued_ms: self.clock.now_millis() };
        Ok(json!({"ShardIterator": iterator.encode()}))
    }

    fn get_records(&self, place: &Place, input: &Document) -> Res<Document> {
        let limit = limit(input, MAX_RECORDS_PER_CALL, MAX_RECORDS_PER_CALL)?;
        let text = input.get("ShardIterator").and_then(Value::as_str).unwrap_or_default();
        let Some(iterator) = ShardIterator::decode(text) else { return invalid("Invalid ShardIterator") };
        let now = self.clock.now_millis();
        if now - iterator.issued_ms > ITERATOR_LIFETIME_MS {
            return Err(Fail(ServiceError::new("ExpiredIteratorException", "The provided iterator exceeds the maximum age allowed.")));
        }
        let stream = self.stream(place, &iterator.arn)?;
        if stream.id != iterator.stream_id || stream.shard_id != iterator.shard_id {
            return Err(Fail(ServiceError::new("ResourceNotFoundException", "Invalid ShardId in ShardIterator")));
        }
        if iterator.next <= stream.trimmed_through {
            return Err(trimmed());
        }
        // One more than asked tells whether a closed shard has anything left.
        let start = record_key(iterator.next);
        let pairs = self.store.ordered_range(&record_space(&stream.id), Bound::Included(&start), Bound::Unbounded, Direction::Forward, limit + 1)?;
        let more = pairs.len() > limit;
        let mut next = iterator.next;
        let mut records = Vec::with_capacity(pairs.len().min(limit));
        for (key, value) in pairs.iter().take(limit) {
            records.push(decode_record(value)?);
            if let Some(number) = number_of_key(key) {
                next = number + 1;
            }
        }
        let mut out = json!({"Records": records});
        // A disabled stream's shard is closed: once read to its end there is no next iterator.
        if stream.enabled() || more {
            let following = ShardIterator { next, issued_ms: now, ..iterator };
            out["NextShardIterator"] = json!(following.encode());
        }
        Ok(out)
    }

    fn stream(&self, place: &Place, arn: &str) -> Res<StreamRecord> {
        let key = key_of_arn(place, arn).ok_or_else(|| stream_not_found(arn))?;
        self.store.get::<StreamRecord>(STREAMS_SCOPE, &key)?.ok_or_else(|| stream_not_found(arn))
    }

    /// The last sequence number the stream has issued (`first_sequence - 1`: none yet).
    fn last_issued(&self, stream: &StreamRecord) -> Res<u64> {
        if let Some(last) = stream.last_sequence {
            return Ok(last);
        }
        let last = self.store.ordered_range(&stream.space(), Bound::Unbounded, Bound::Unbounded, Direction::Reverse, 1)?;
        let floor = stream.trimmed_through.max(stream.first_sequence - 1);
        Ok(last.first().and_then(|(key, _)| number_of_key(key)).unwrap_or(floor).max(floor))
    }

    /// The first record made at or after `at_ms`.
    fn first_at_or_after(&self, stream: &StreamRecord, at_ms: i64) -> Res<Option<u64>> {
        let mut found = None;
        self.store.ordered_visit(&stream.space(), Bound::Unbounded, Bound::Unbounded, Direction::Forward, |key, value| {
            if stored_time_ms(value).is_some_and(|t| t >= at_ms) {
                found = number_of_key(key);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })?;
        Ok(found)
    }
}

/// What an iterator carries (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ShardIterator {
    arn: String,
    stream_id: String,
    shard_id: String,
    next: u64,
    issued_ms: i64,
}

impl ShardIterator {
    fn encode(&self) -> String {
        let payload = format!("{}|{}|{}|{}", self.stream_id, self.shard_id, self.next, self.issued_ms);
        let opaque = nimbus_core::document::blob(payload.as_bytes());
        format!("{}|1|{}", self.arn, opaque.as_str().unwrap_or_default())
    }

    fn decode(text: &str) -> Option<ShardIterator> {
        let (arn, opaque) = text.split_once("|1|")?;
        let payload = String::from_utf8(nimbus_core::document::parse_blob(&json!(opaque))?).ok()?;
        let mut parts = payload.split('|');
        let iterator = ShardIterator {
            arn: arn.to_owned(),
            stream_id: parts.next()?.to_owned(),
            shard_id: parts.next()?.to_owned(),
            next: parts.next()?.parse().ok()?,
            issued_ms: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(iterator)
    }
}

/// The request's `Limit` (absent: `default`), refused above `max` in the form of AWS's
/// request validator.
fn limit(input: &Document, default: u64, max: u64) -> Res<usize> {
    match input.get("Limit").and_then(Value::as_u64) {
        None => Ok(default as usize),
        Some(limit) if limit > max => {
            Err(constraint(&format!("'{limit}'"), "limit", &format!("Member must have value less than or equal to {max}")).into())
        }
        Some(limit) => Ok(limit as usize),
    }
}

fn stream_not_found(arn: &str) -> Fail {
    Fail(ServiceError::new("ResourceNotFoundException", format!("Requested resource not found: Stream: {arn} not found")))
}

fn trimmed() -> Fail {
    Fail(ServiceError::new("TrimmedDataAccessException", "The operation attempted to read past the oldest stream record in a shard."))
}

#[async_trait::async_trait]
impl Service for DynamoDbStreams {
    fn model_name(&self) -> &'static str {
        "dynamodbstreams"
    }

    fn operations(&self) -> &'static [&'static str] {
        STREAMS_OPERATIONS
    }

    /// IAM names these `dynamodb:` actions, on the stream's ARN.
    fn iam_prefix(&self) -> &'static str {
        "dynamodb"
    }

    fn access(&self, _ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        let resource = match (input.get("StreamArn").and_then(Value::as_str), input.get("ShardIterator").and_then(Value::as_str)) {
            (Some(arn), _) => arn.to_owned(),
            (None, Some(iterator)) => iterator.split_once('|').map_or("*", |(arn, _)| arn).to_owned(),
            (None, None) => "*".to_owned(),
        };
        vec![Access::new(format!("dynamodb:{operation}"), vec![resource])]
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        self.dispatch(ctx, operation, &input).map_err(|Fail(e)| e)
    }
}

#[cfg(test)]
impl DynamoDbStreams {
    /// An iterator of the stream `arn` (default account and region) at `next`, issued now.
    pub(crate) fn iterator_for_tests(&self, arn: &str, next: u64) -> String {
        let place = Place { account: nimbus_core::DEFAULT_ACCOUNT_ID.into(), region: nimbus_core::DEFAULT_REGION.into() };
        let stream = self.stream(&place, arn).map_err(|Fail(e)| e).unwrap();
        ShardIterator { arn: stream.arn(), stream_id: stream.id, shard_id: stream.shard_id, next, issued_ms: self.clock.now_millis() }.encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterators_round_trip_and_refuse_garbage() {
        let iterator = ShardIterator {
            arn: "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-01-01T00:00:00.000".into(),
            stream_id: "id".into(),
            shard_id: "shardId-00000001700000000000-abcd1234".into(),
            next: 42,
            issued_ms: 1_700_000_000_000,
        };
        let text = iterator.encode();
        assert!(text.starts_with(&format!("{}|1|", iterator.arn)));
        assert_eq!(ShardIterator::decode(&text), Some(iterator));
        assert_eq!(ShardIterator::decode("nope"), None);
        assert_eq!(ShardIterator::decode("arn|1|!!!"), None);
    }
}
