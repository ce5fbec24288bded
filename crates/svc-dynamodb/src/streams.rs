//! DynamoDB Streams, the writing side: a table's streams, and the change records every item
//! write appends to the live one.
//!
//! # Layout
//! - **Streams**: one [`StreamRecord`] per stream ever enabled, kind `dynamodb.stream`, in the
//!   one scope [`STREAMS_SCOPE`] (so the sweeper walks every account's streams in one listing),
//!   keyed `{account}/{region}/{table}/stream/{label}`: the stream ARN's resource, which makes
//!   ListStreams' order and its `TableName` filter a key prefix. A stream outlives its table
//!   and its disabling by 24 hours, as on AWS.
//! - **The live stream** of a table is named in its [`TableStats`] (with the sequence counter),
//!   which every item write's transaction reads and rewrites anyway; enabling and disabling
//!   change it in the same transaction as the table, so each change lands in exactly the stream
//!   that was live when it committed.
//! - **Change records**: the ordered space `ddbs/{stream id}`, keyed by the sequence number as
//!   8 big-endian bytes (so key order is commit order), value one format byte (1), the change's
//!   time in epoch milliseconds (8 bytes, read alone by the trimmer) and the wire `Record` JSON.
//!
//! Nimbus keeps one shard per stream. Sequence numbers are the table's counter as 21 decimal
//! digits (the model's minimum length), so they grow across a table's streams and restarts.

use std::cell::Cell;

use nimbus_dynamodb_lang::{Item, item_size, item_to_json};
use nimbus_store::{Record, Txn};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::describe::{Place, stream_label};
use crate::errors::{Fail, Res};
use crate::keys::key_of;
use crate::records::{KeySchema, StreamSettings, TableRecord, TableStats};

/// The scope of every [`StreamRecord`].
pub const STREAMS_SCOPE: &str = "dynamodb.streams";

/// How long records (and disabled streams) are kept.
pub const RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// The first byte of every stored change record: the encoding that follows.
const RECORD_FORMAT: u8 = 1;

/// The stream a table's item writes append to (kept in [`TableStats`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveStream {
    /// Names the stream's ordered space.
    pub id: String,
    pub view_type: String,
    /// The table's region, written into each record's `awsRegion`.
    pub region: String,
}

/// One stream: what DescribeStream and ListStreams report, and how far it has been trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamRecord {
    pub id: String,
    pub account: String,
    pub region: String,
    pub table_name: String,
    pub table_id: String,
    pub keys: KeySchema,
    pub view_type: String,
    pub label: String,
    pub created_ms: i64,
    pub shard_id: String,
    /// The shard's StartingSequenceNumber: the first number this stream can hold.
    pub first_sequence: u64,
    /// When the stream was disabled (or its table deleted): the shard is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_ms: Option<i64>,
    /// The last number the stream holds, once it is disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sequence: Option<u64>,
    /// Records up to this number have been trimmed (`first_sequence - 1`: none).
    pub trimmed_through: u64,
}

impl Record for StreamRecord {
    const KIND: &'static str = "dynamodb.stream";
    const VERSION: u32 = 1;
}

impl StreamRecord {
    pub fn arn(&self) -> String {
        format!("arn:aws:dynamodb:{}:{}:table/{}/stream/{}", self.region, self.account, self.table_name, self.label)
    }

    pub fn key(&self) -> String {
        stream_key(&self.account, &self.region, &self.table_name, &self.label)
    }

    pub fn space(&self) -> String {
        record_space(&self.id)
    }

    pub fn enabled(&self) -> bool {
        self.disabled_ms.is_none()
    }
}

pub fn stream_key(account: &str, region: &str, table: &str, label: &str) -> String {
    format!("{account}/{region}/{table}/stream/{label}")
}

/// The [`StreamRecord`] key of a stream ARN of `place` (`None`: not one, or another account's
/// or region's).
pub fn key_of_arn(place: &Place, arn: &str) -> Option<String> {
    let rest = arn.strip_prefix(&format!("arn:aws:dynamodb:{}:{}:table/", place.region, place.account))?;
    let (table, label) = rest.split_once("/stream/")?;
    (!table.is_empty() && !label.is_empty() && !table.contains('/')).then(|| stream_key(&place.account, &place.region, table, label))
}

pub fn record_space(stream_id: &str) -> String {
    format!("ddbs/{stream_id}")
}

/// A sequence number as the API shows it.
pub fn sequence_text(number: u64) -> String {
    format!("{number:021}")
}

/// A sequence number as a client sends it back: decimal digits (leading zeros allowed).
pub fn parse_sequence(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = text.trim_start_matches('0');
    if digits.is_empty() {
        return Some(0);
    }
    digits.parse().ok()
}

pub fn record_key(number: u64) -> [u8; 8] {
    number.to_be_bytes()
}

pub fn number_of_key(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}

/// The change time of a stored record, read from its header alone.
pub fn stored_time_ms(value: &[u8]) -> Option<i64> {
    match value {
        [RECORD_FORMAT, time @ ..] if time.len() >= 8 => Some(i64::from_be_bytes(time[..8].try_into().ok()?)),
        _ => None,
    }
}

/// The wire `Record` of a stored record.
pub fn decode_record(value: &[u8]) -> Res<Value> {
    let corrupt = |detail: String| Fail(nimbus_core::ServiceError::internal(format!("stored stream record is corrupt: {detail}")));
    match value {
        [RECORD_FORMAT, rest @ ..] if rest.len() >= 8 => serde_json::from_slice(&rest[8..]).map_err(|e| corrupt(e.to_string())),
        _ => Err(corrupt("unknown format".into())),
    }
}

// ---- who and when a change is made ----

thread_local! {
    /// Nimbus's clock at the start of the request this thread is serving (see [`RequestTime`]).
    static REQUEST_TIME_MS: Cell<Option<i64>> = const { Cell::new(None) };
}

/// Marks the current thread as serving a request at `now_ms` until dropped. Item writes reach
/// `storage::write_item` through many paths whose signatures carry no clock; their stream
/// records take the request's time from here. DynamoDB's transactions run on the request's
/// thread (`Store::transaction`), so the mark is visible inside them.
pub struct RequestTime {
    previous: Option<i64>,
}

impl RequestTime {
    pub fn enter(now_ms: i64) -> RequestTime {
        RequestTime { previous: REQUEST_TIME_MS.with(|t| t.replace(Some(now_ms))) }
    }
}

impl Drop for RequestTime {
    fn drop(&mut self) {
        REQUEST_TIME_MS.with(|t| t.set(self.previous));
    }
}

/// Who made an item change, and when (Nimbus's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub at_ms: i64,
    /// A TTL deletion: its record names the DynamoDB service as the actor.
    pub by_ttl: bool,
}

impl Change {
    /// A change made by the request the current thread serves.
    pub fn of_request() -> Res<Change> {
        match REQUEST_TIME_MS.with(Cell::get) {
            Some(at_ms) => Ok(Change { at_ms, by_ttl: false }),
            None => Err(Fail(nimbus_core::ServiceError::internal("DynamoDB item write outside a request (no RequestTime)"))),
        }
    }
}

// ---- appending ----

/// Appends the record of `old` becoming `new` to the table's live stream, if it has one. A
/// write that changes nothing appends nothing, as on AWS.
pub fn record_change(txn: &Txn, table: &TableRecord, old: Option<&Item>, new: Option<&Item>, stats: &mut TableStats, change: Change) -> Res<()> {
    let Some(stream) = &stats.stream else { return Ok(()) };
    let (event, item) = match (old, new) {
        (None, Some(item)) => ("INSERT", item),
        (Some(before), Some(after)) if before == after => return Ok(()),
        (Some(_), Some(item)) => ("MODIFY", item),
        (Some(item), None) => ("REMOVE", item),
        (None, None) => return Ok(()),
    };
    stats.stream_sequence += 1;
    let number = stats.stream_sequence;
    let keys = key_of(&table.keys, item);
    let mut size = item_size(&keys);
    let mut body = Map::new();
    body.insert("ApproximateCreationDateTime".into(), json!(change.at_ms.div_euclid(1000)));
    body.insert("Keys".into(), item_to_json(&keys));
    let (with_new, with_old) = match stream.view_type.as_str() {
        "NEW_IMAGE" => (true, false),
        "OLD_IMAGE" => (false, true),
        "NEW_AND_OLD_IMAGES" => (true, true),
        _ => (false, false),
    };
    if let (true, Some(image)) = (with_new, new) {
        size += item_size(image);
        body.insert("NewImage".into(), item_to_json(image));
    }
    if let (true, Some(image)) = (with_old, old) {
        size += item_size(image);
        body.insert("OldImage".into(), item_to_json(image));
    }
    body.insert("SequenceNumber".into(), json!(sequence_text(number)));
    body.insert("SizeBytes".into(), json!(size.max(1)));
    body.insert("StreamViewType".into(), json!(stream.view_type));
    let mut record = json!({
        "eventID": nimbus_core::ids::uuid().replace('-', ""),
        "eventName": event,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": stream.region,
        "dynamodb": Value::Object(body),
    });
    if change.by_ttl {
        record["userIdentity"] = json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"});
    }
    let mut value = Vec::with_capacity(256);
    value.push(RECORD_FORMAT);
    value.extend_from_slice(&change.at_ms.to_be_bytes());
    serde_json::to_writer(&mut value, &record).expect("JSON to memory");
    txn.ordered_put(&record_space(&stream.id), &record_key(number), &value)?;
    Ok(())
}

// ---- enabling and disabling ----

/// Starts a new stream on `table` (CreateTable or UpdateTable enabling one), in the caller's
/// transaction: a new label and ARN, a fresh record space, and the table's live stream.
pub fn open_stream(txn: &Txn, place: &Place, table: &mut TableRecord, stats: &mut TableStats, view_type: &str, now_ms: i64) -> Res<()> {
    let id = nimbus_core::ids::uuid();
    let suffix = &id.replace('-', "")[..8];
    let mut stream = StreamRecord {
        id: id.clone(),
        account: place.account.clone(),
        region: place.region.clone(),
        table_name: table.name.clone(),
        table_id: table.id.clone(),
        keys: table.keys.clone(),
        view_type: view_type.to_owned(),
        label: stream_label(now_ms),
        created_ms: now_ms,
        shard_id: format!("shardId-{now_ms:020}-{suffix}"),
        first_sequence: stats.stream_sequence + 1,
        disabled_ms: None,
        last_sequence: None,
        trimmed_through: stats.stream_sequence,
    };
    // A table re-created under the same name within the same millisecond as its last stream
    // would reuse the label: the next free millisecond names the new one.
    let mut at = now_ms;
    while !txn.insert(STREAMS_SCOPE, &stream.key(), &stream)? {
        at += 1;
        stream.label = stream_label(at);
    }
    table.stream = StreamSettings { enabled: true, view_type: Some(view_type.to_owned()), label: Some(stream.label.clone()) };
    stats.stream = Some(LiveStream { id, view_type: view_type.to_owned(), region: place.region.clone() });
    Ok(())
}

/// Ends the table's live stream (UpdateTable disabling it, DeleteTable): its shard closes and
/// its records stay readable for 24 hours. The label stays on the table, as on AWS.
pub fn close_stream(txn: &Txn, place: &Place, table: &mut TableRecord, stats: &mut TableStats, now_ms: i64) -> Res<()> {
    if let Some(label) = &table.stream.label {
        let key = stream_key(&place.account, &place.region, &table.name, label);
        if let Some(mut stream) = txn.get::<StreamRecord>(STREAMS_SCOPE, &key)?
            && stream.enabled()
        {
            stream.disabled_ms = Some(now_ms);
            // A shard that never received a record ends where it starts (chosen).
            stream.last_sequence = Some(stats.stream_sequence.max(stream.first_sequence));
            txn.put(STREAMS_SCOPE, &key, &stream)?;
        }
    }
    table.stream.enabled = false;
    table.stream.view_type = None;
    stats.stream = None;
    Ok(())
}

// ---- trimming ----

/// Stream records deleted per transaction when trimming.
const TRIM_CHUNK: usize = 1000;

impl crate::DynamoDb {
    /// Deletes records older than 24 hours, and streams disabled more than 24 hours ago.
    pub(crate) fn trim_streams(&self, now_ms: i64, report: &mut crate::ttl_sweeper::SweepReport) {
        let horizon = now_ms - RETENTION_MS;
        let mut after: Option<String> = None;
        loop {
            let page = match self.store.list::<StreamRecord>(STREAMS_SCOPE, "", after.as_deref(), 200) {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!("DynamoDB stream trim could not list streams: {e}");
                    return;
                }
            };
            let Some((last, _)) = page.last() else { return };
            after = Some(last.clone());
            for (key, stream) in &page {
                if let Err(Fail(e)) = self.trim_stream(key, stream, horizon, report) {
                    tracing::warn!(stream = %stream.arn(), "DynamoDB stream trim failed: {e}");
                }
            }
        }
    }

    fn trim_stream(&self, key: &str, stream: &StreamRecord, horizon: i64, report: &mut crate::ttl_sweeper::SweepReport) -> Res<()> {
        use std::ops::{Bound, ControlFlow};
        if stream.disabled_ms.is_some_and(|at| at < horizon) {
            self.store.transaction(|t| {
                t.delete::<StreamRecord>(STREAMS_SCOPE, key)?;
                t.ordered_drop_space(&stream.space())?;
                Ok::<_, Fail>(())
            })?;
            report.streams_removed += 1;
            return Ok(());
        }
        loop {
            // The old records are the first ones: sequence order is commit order.
            let mut old = Vec::new();
            self.store.ordered_visit(&stream.space(), Bound::Unbounded, Bound::Unbounded, nimbus_store::Direction::Forward, |k, value| {
                match (number_of_key(k), stored_time_ms(value)) {
                    (Some(number), Some(at)) if at < horizon && old.len() < TRIM_CHUNK => {
                        old.push(number);
                        ControlFlow::Continue(())
                    }
                    _ => ControlFlow::Break(()),
                }
            })?;
            let Some(&through) = old.last() else { return Ok(()) };
            self.store.transaction(|t| {
                for number in &old {
                    t.ordered_delete(&stream.space(), &record_key(*number))?;
                }
                if let Some(mut current) = t.get::<StreamRecord>(STREAMS_SCOPE, key)? {
                    current.trimmed_through = current.trimmed_through.max(through);
                    t.put(STREAMS_SCOPE, key, &current)?;
                }
                Ok::<_, Fail>(())
            })?;
            report.trimmed += old.len();
            if old.len() < TRIM_CHUNK {
                return Ok(());
            }
        }
    }
}
