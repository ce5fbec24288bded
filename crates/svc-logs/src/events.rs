//! Event storage and PutLogEvents.
//!
//! Each log group incarnation has one ordered space, `logs.events/<group uid>`, holding two
//! entries per event:
//! - `T` ‖ timestamp (8 bytes, big-endian) ‖ seq (8) → version ‖ stream number (4) ‖
//!   ingestion time (8) ‖ message: the group's events in time order, then ingestion order
//!   (`seq` is the group's counter), so a time range of the group is one range read
//!   (FilterLogEvents, Insights, retention);
//! - `S` ‖ stream number (4) ‖ timestamp ‖ seq → empty: the stream's events in time order, so a
//!   time range of one stream is one range read of keys (GetLogEvents), each resolved to its
//!   `T` entry by a point read.
//!
//! Events are written in the store's group commit (`transaction_async`): the answer comes after
//! the commit, and concurrent uploads share one fsync.

use nimbus_core::{Document, RequestContext};
use serde_json::{Value, json};

use crate::errors::{self, Res};
use crate::groups::group_in;
use crate::input::req_str;
use crate::records::{StreamRecord, region_scope, stream_scope};
use crate::Logs;

const TIME_TAG: u8 = b'T';
const STREAM_TAG: u8 = b'S';
const VALUE_VERSION: u8 = 1;
/// Bytes before the message in a `T` value.
const VALUE_HEADER: usize = 1 + 4 + 8;

/// AWS counts each event as its message's UTF-8 bytes plus 26.
pub const EVENT_OVERHEAD: usize = 26;
pub const MAX_BATCH_BYTES: usize = 1_048_576;
const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// Events further ahead than this are rejected (`tooNewLogEventStartIndex`).
const MAX_FUTURE_MS: i64 = 2 * HOUR_MS;
/// Events older than this are rejected (`tooOldLogEventEndIndex`).
const MAX_AGE_MS: i64 = 14 * DAY_MS;

pub fn space(group_uid: &str) -> String {
    format!("logs.events/{group_uid}")
}

fn ts_bytes(ts: i64) -> [u8; 8] {
    u64::try_from(ts.max(0)).unwrap_or(0).to_be_bytes()
}

pub fn time_key(ts: i64, seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(17);
    key.push(TIME_TAG);
    key.extend_from_slice(&ts_bytes(ts));
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// The first possible `T` key at `ts` (a range bound).
pub fn time_bound(ts: i64) -> Vec<u8> {
    let mut key = Vec::with_capacity(9);
    key.push(TIME_TAG);
    key.extend_from_slice(&ts_bytes(ts));
    key
}

/// Just past every `T` key (a range bound).
pub fn time_end() -> Vec<u8> {
    vec![TIME_TAG + 1]
}

pub fn stream_key(num: u32, ts: i64, seq: u64) -> Vec<u8> {
    let mut key = stream_bound(num, ts);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// The first possible `S` key of stream `num` at `ts` (a range bound).
pub fn stream_bound(num: u32, ts: i64) -> Vec<u8> {
    let mut key = Vec::with_capacity(21);
    key.push(STREAM_TAG);
    key.extend_from_slice(&num.to_be_bytes());
    key.extend_from_slice(&ts_bytes(ts));
    key
}

/// Just past every `S` key of stream `num`.
pub fn stream_end(num: u32) -> Vec<u8> {
    let mut key = vec![STREAM_TAG];
    match num.checked_add(1) {
        Some(next) => key.extend_from_slice(&next.to_be_bytes()),
        None => key[0] += 1,
    }
    key
}

/// (timestamp, seq) of a `T` or `S` key.
pub fn key_position(key: &[u8]) -> Option<(i64, u64)> {
    let rest = match *key.first()? {
        TIME_TAG => key.get(1..17)?,
        STREAM_TAG => key.get(5..21)?,
        _ => return None,
    };
    let ts = i64::try_from(u64::from_be_bytes(rest[..8].try_into().ok()?)).ok()?;
    let seq = u64::from_be_bytes(rest[8..16].try_into().ok()?);
    Some((ts, seq))
}

pub fn encode_value(stream_num: u32, ingestion_ms: i64, message: &str) -> Vec<u8> {
    let mut value = Vec::with_capacity(VALUE_HEADER + message.len());
    value.push(VALUE_VERSION);
    value.extend_from_slice(&stream_num.to_be_bytes());
    value.extend_from_slice(&ingestion_ms.to_be_bytes());
    value.extend_from_slice(message.as_bytes());
    value
}

/// The stream number of a `T` value, read without touching the message.
pub fn value_stream(value: &[u8]) -> Option<u32> {
    if value.first() != Some(&VALUE_VERSION) {
        return None;
    }
    Some(u32::from_be_bytes(value.get(1..5)?.try_into().ok()?))
}

/// (stream number, ingestion time, message) of a `T` value.
pub fn decode_value(value: &[u8]) -> Option<(u32, i64, &str)> {
    let stream = value_stream(value)?;
    let ingestion = i64::from_be_bytes(value.get(5..13)?.try_into().ok()?);
    let message = std::str::from_utf8(value.get(VALUE_HEADER..)?).ok()?;
    Some((stream, ingestion, message))
}

/// The message length of a `T` value (what storedBytes counts).
pub fn value_message_len(value: &[u8]) -> usize {
    value.len().saturating_sub(VALUE_HEADER)
}

/// AWS's eventId: a decimal string, unique within the group (time, then sequence).
pub fn event_id(ts: i64, seq: u64) -> String {
    format!("{:020}{:020}{:016}", ts.max(0), seq, 0)
}

/// A sequence token as AWS writes them: 56 digits.
pub fn sequence_token(uploads: u64) -> String {
    format!("{uploads:056}")
}

/// One event of a PutLogEvents request.
#[derive(Debug, Clone)]
pub struct InputEvent {
    pub timestamp: i64,
    pub message: String,
}

/// Which events of a batch are not stored, as `rejectedLogEventsInfo` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rejected {
    pub too_new_start: Option<usize>,
    pub too_old_end: Option<usize>,
    pub expired_end: Option<usize>,
}

impl Rejected {
    /// Classifies a batch in time order against `now_ms` and the group's retention; returns the
    /// rejections and the range of events to store.
    pub fn classify(events: &[InputEvent], now_ms: i64, retention_days: Option<u32>) -> (Rejected, std::ops::Range<usize>) {
        let too_new_start = events.iter().position(|e| e.timestamp > now_ms + MAX_FUTURE_MS);
        let too_old_end = events.iter().rposition(|e| e.timestamp < now_ms - MAX_AGE_MS);
        let expired_end = retention_days
            .and_then(|days| events.iter().rposition(|e| e.timestamp < now_ms - i64::from(days) * DAY_MS));
        let start = too_old_end.max(expired_end).map_or(0, |i| i + 1);
        let end = too_new_start.unwrap_or(events.len()).max(start);
        (Rejected { too_new_start, too_old_end, expired_end }, start..end)
    }

    fn document(&self) -> Option<Value> {
        if *self == Rejected::default() {
            return None;
        }
        let mut doc = json!({});
        if let Some(i) = self.too_new_start {
            doc["tooNewLogEventStartIndex"] = json!(i);
        }
        if let Some(i) = self.too_old_end {
            doc["tooOldLogEventEndIndex"] = json!(i);
        }
        if let Some(i) = self.expired_end {
            doc["expiredLogEventEndIndex"] = json!(i);
        }
        Some(doc)
    }
}

/// What the upload's transaction decided.
struct Stored {
    events: Vec<InputEvent>,
    accepted: std::ops::Range<usize>,
    rejected: Rejected,
    uploads: u64,
    has_metric_filters: bool,
}

/// Checks the rules that need no stored state: size and order.
pub fn check_batch(events: &[InputEvent]) -> Res<()> {
    let bytes: usize = events.iter().map(|e| e.message.len() + EVENT_OVERHEAD).sum();
    if bytes > MAX_BATCH_BYTES {
        return Err(errors::invalid(format!("Upload too large: {bytes} bytes exceeds limit of {MAX_BATCH_BYTES}")));
    }
    if events.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
        return Err(errors::invalid("Log events in a single PutLogEvents request must be in chronological order."));
    }
    Ok(())
}

fn parse_events(input: &mut Document) -> Res<Vec<InputEvent>> {
    let Some(Value::Array(items)) = input.get_mut("logEvents").map(Value::take) else {
        return Err(errors::invalid("logEvents is required"));
    };
    items
        .into_iter()
        .map(|mut item| {
            let timestamp = item.get("timestamp").and_then(Value::as_i64);
            match (timestamp, item.get_mut("message").map(Value::take)) {
                (Some(timestamp), Some(Value::String(message))) => Ok(InputEvent { timestamp, message }),
                _ => Err(errors::invalid("Each log event needs a timestamp and a message.")),
            }
        })
        .collect()
}

impl Logs {
    pub(crate) async fn put_log_events(&self, ctx: &RequestContext, mut input: Document) -> Res<Document> {
        let group_name = req_str(&input, "logGroupName")?.to_owned();
        let stream_name = req_str(&input, "logStreamName")?.to_owned();
        let events = parse_events(&mut input)?;
        check_batch(&events)?;
        let now = self.clock.now_millis();
        let scope = region_scope(ctx);
        let (txn_scope, txn_group) = (scope.clone(), group_name.clone());
        let stored = self
            .store
            .transaction_async(move |t| -> Res<Stored> {
                let mut group = group_in(t, &txn_scope, &txn_group)?;
                let streams = stream_scope(&txn_scope, &group.uid);
                let mut stream = t.get::<StreamRecord>(&streams, &stream_name)?.ok_or_else(errors::stream_not_found)?;
                let (rejected, accepted) = Rejected::classify(&events, now, group.retention_days);
                let valid = &events[accepted.clone()];
                if let (Some(first), Some(last)) = (valid.first(), valid.last())
                    && last.timestamp - first.timestamp > DAY_MS
                {
                    return Err(errors::invalid(
                        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
                    ));
                }
                let space = space(&group.uid);
                let mut bytes = 0u64;
                let mut by_time = Vec::with_capacity(valid.len());
                let mut by_stream = Vec::with_capacity(valid.len());
                for event in valid {
                    let seq = group.next_seq;
                    group.next_seq += 1;
                    by_time.push((time_key(event.timestamp, seq), encode_value(stream.num, now, &event.message)));
                    by_stream.push(stream_key(stream.num, event.timestamp, seq));
                    bytes += event.message.len() as u64;
                }
                // Each index in one pass: its keys ascend, so the inserts walk the B-tree in order.
                t.ordered_put_many(&space, by_time.iter().map(|(k, v)| (k.as_slice(), v.as_slice())))?;
                t.ordered_put_many(&space, by_stream.iter().map(|k| (k.as_slice(), &[][..])))?;
                if let (Some(first), Some(last)) = (valid.first(), valid.last()) {
                    stream.first_event_ms = Some(stream.first_event_ms.map_or(first.timestamp, |f| f.min(first.timestamp)));
                    stream.last_event_ms = Some(stream.last_event_ms.map_or(last.timestamp, |l| l.max(last.timestamp)));
                    stream.last_ingestion_ms = Some(now);
                    group.stored_bytes += bytes;
                    t.put(&txn_scope, &txn_group, &group)?;
                }
                stream.uploads += 1;
                t.put(&streams, &stream_name, &stream)?;
                Ok(Stored {
                    events,
                    accepted,
                    rejected,
                    uploads: stream.uploads,
                    has_metric_filters: group.metric_filter_count > 0,
                })
            })
            .await?;
        if stored.has_metric_filters && !stored.accepted.is_empty() {
            self.publish_metrics(ctx, &scope, &group_name, &stored.events[stored.accepted.clone()]).await;
        }
        let mut out = json!({"nextSequenceToken": sequence_token(stored.uploads)});
        if let Some(rejected) = stored.rejected.document() {
            out["rejectedLogEventsInfo"] = rejected;
        }
        Ok(out)
    }
}
