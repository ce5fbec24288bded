//! Event history: the management events of the last 90 days per account and region, what
//! LookupEvents reads.
//!
//! Layout: one ordered space per account and region, `cloudtrail.history/<account>/<region>`,
//! keyed by the event time (8 bytes, big-endian milliseconds), the recorder's sequence number
//! (8 bytes: calls of one millisecond keep their order) then the event id, so a time range is
//! one key range and LookupEvents walks it newest first. A second space,
//! `cloudtrail.event-ids/<account>/<region>`, maps event ids to those keys (the EventId lookup).
//! A [`HistoryScope`] record per account and region lets the sweeper find every space to trim.
//! Lookups by the other attributes walk the time range and filter: AWS itself allows two
//! LookupEvents calls a second, and a page stops at 50 events.

use std::ops::{Bound, ControlFlow};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_store::{Direction, Record, Store, StoreError, Txn};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::errors::{self, Res};
use crate::record::Event;

/// How long event history keeps an event (AWS: 90 days).
pub const RETENTION_MS: i64 = 90 * 24 * 3600 * 1000;
/// Events deleted per transaction while trimming.
const TRIM_CHUNK: usize = 1000;

/// Marks that an account and region have event history (key `<account>/<region>`, scope "").
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HistoryScope {}

impl Record for HistoryScope {
    const KIND: &'static str = "cloudtrail.history_scope";
    const VERSION: u32 = 1;
}

fn space(account: &str, region: &str) -> String {
    format!("cloudtrail.history/{account}/{region}")
}

fn ids_space(account: &str, region: &str) -> String {
    format!("cloudtrail.event-ids/{account}/{region}")
}

/// Where the event id starts in an event's key.
const ID_OFFSET: usize = 16;

/// An event's key: time, sequence, then id.
pub fn event_key(event: &Event) -> Vec<u8> {
    let mut key = time_prefix(event.time_ms).to_vec();
    key.extend_from_slice(&event.seq.to_be_bytes());
    key.extend_from_slice(event.id.as_bytes());
    key
}

fn time_prefix(time_ms: i64) -> [u8; 8] {
    u64::try_from(time_ms.max(0)).unwrap_or(0).to_be_bytes()
}

/// Adds a management event to its account's and region's history, in the writer's transaction.
/// `new_scope`: whether this account and region may not have a [`HistoryScope`] yet.
pub fn insert(txn: &Txn, account: &str, event: &Event, new_scope: bool) -> Result<(), StoreError> {
    let key = event_key(event);
    let value = serde_json::to_vec(event).map_err(|e| StoreError::Corrupt(format!("cloudtrail event: {e}")))?;
    txn.ordered_put(&space(account, &event.region), &key, &value)?;
    txn.ordered_put(&ids_space(account, &event.region), event.id.as_bytes(), &key)?;
    if new_scope {
        txn.put(HistoryScope::KIND_SCOPE, &format!("{account}/{}", event.region), &HistoryScope {})?;
    }
    Ok(())
}

impl HistoryScope {
    /// The record scope holding every account's and region's marker.
    pub const KIND_SCOPE: &'static str = "";
}

/// One of LookupEvents' attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    EventId(String),
    EventName(String),
    ReadOnly(bool),
    Username(String),
    ResourceType(String),
    ResourceName(String),
    EventSource(String),
    AccessKeyId(String),
}

impl Attribute {
    pub fn parse(key: &str, value: &str) -> Res<Attribute> {
        Ok(match key {
            "EventId" => Attribute::EventId(value.to_owned()),
            "EventName" => Attribute::EventName(value.to_owned()),
            "ReadOnly" => match value {
                "true" => Attribute::ReadOnly(true),
                "false" => Attribute::ReadOnly(false),
                _ => return Err(errors::invalid_lookup(format!("ReadOnly can be true or false, not {value}."))),
            },
            "Username" => Attribute::Username(value.to_owned()),
            "ResourceType" => Attribute::ResourceType(value.to_owned()),
            "ResourceName" => Attribute::ResourceName(value.to_owned()),
            "EventSource" => Attribute::EventSource(value.to_owned()),
            "AccessKeyId" => Attribute::AccessKeyId(value.to_owned()),
            other => return Err(errors::invalid_lookup(format!("Invalid AttributeKey {other}."))),
        })
    }

    fn matches(&self, event: &Event) -> bool {
        match self {
            Attribute::EventId(id) => event.id == *id,
            Attribute::EventName(name) => event.name == *name,
            Attribute::ReadOnly(read_only) => event.read_only == *read_only,
            Attribute::Username(user) => event.username.as_deref() == Some(user),
            Attribute::ResourceType(t) => event.resources.iter().any(|r| r.resource_type == *t),
            Attribute::ResourceName(n) => event.resources.iter().any(|r| r.name == *n || r.arn.as_deref() == Some(n)),
            Attribute::EventSource(source) => event.source == *source,
            Attribute::AccessKeyId(key) => event.access_key_id.as_deref() == Some(key),
        }
    }
}

/// One LookupEvents request, checked.
#[derive(Debug, Clone)]
pub struct Query {
    pub attribute: Option<Attribute>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub max_results: usize,
    pub next_token: Option<String>,
}

impl Query {
    /// What a NextToken is tied to: the same filter and time range.
    fn fingerprint(&self) -> String {
        format!("{:?}|{:?}|{:?}", self.attribute, self.start_ms, self.end_ms)
    }
}

/// A page of events, newest first, and the token of the next page.
pub fn lookup(store: &Store, account: &str, region: &str, query: &Query) -> Res<(Vec<Event>, Option<String>)> {
    let after = match &query.next_token {
        Some(token) => Some(decode_token(token, &query.fingerprint())?),
        None => None,
    };
    let in_range = |e: &Event| query.start_ms.is_none_or(|s| e.time_ms >= s) && query.end_ms.is_none_or(|end| e.time_ms <= end);
    if let Some(Attribute::EventId(id)) = &query.attribute {
        let found = match store.ordered_get(&ids_space(account, region), id.as_bytes())? {
            Some(key) => store.ordered_get(&space(account, region), &key)?.and_then(|v| serde_json::from_slice::<Event>(&v).ok()),
            None => None,
        };
        return Ok((found.into_iter().filter(|e| in_range(e)).collect(), None));
    }
    let lower_key = query.start_ms.map(time_prefix);
    let upper_key = query.end_ms.map(|end| time_prefix(end.saturating_add(1)));
    let lower = lower_key.as_ref().map_or(Bound::Unbounded, |k| Bound::Included(&k[..]));
    let upper = match (&after, &upper_key) {
        (Some(after), _) => Bound::Excluded(after.as_slice()),
        (None, Some(k)) => Bound::Excluded(&k[..]),
        (None, None) => Bound::Unbounded,
    };
    let mut page: Vec<(Vec<u8>, Event)> = Vec::new();
    let mut more = false;
    let mut corrupt = None;
    store.ordered_visit(&space(account, region), lower, upper, Direction::Reverse, |key, value| {
        let event: Event = match serde_json::from_slice(value) {
            Ok(event) => event,
            Err(e) => {
                corrupt = Some(e.to_string());
                return ControlFlow::Continue(());
            }
        };
        if query.attribute.as_ref().is_some_and(|a| !a.matches(&event)) {
            return ControlFlow::Continue(());
        }
        if page.len() == query.max_results {
            more = true;
            return ControlFlow::Break(());
        }
        page.push((key.to_vec(), event));
        ControlFlow::Continue(())
    })?;
    if let Some(e) = corrupt {
        tracing::warn!("cloudtrail: skipped an unreadable history entry: {e}");
    }
    let token = more.then(|| page.last().map(|(key, _)| encode_token(key, &query.fingerprint()))).flatten();
    Ok((page.into_iter().map(|(_, e)| e).collect(), token))
}

fn encode_token(key: &[u8], fingerprint: &str) -> String {
    B64.encode(json!({"k": B64.encode(key), "f": fingerprint}).to_string())
}

fn decode_token(token: &str, fingerprint: &str) -> Res<Vec<u8>> {
    let bytes = B64.decode(token).map_err(|_| errors::invalid_next_token())?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|_| errors::invalid_next_token())?;
    if doc.get("f").and_then(Value::as_str) != Some(fingerprint) {
        return Err(errors::invalid_next_token());
    }
    doc.get("k").and_then(Value::as_str).and_then(|k| B64.decode(k).ok()).ok_or_else(errors::invalid_next_token)
}

/// Deletes history older than 90 days before `now_ms`, a chunk per transaction; returns how
/// many events went.
pub fn trim(store: &Store, now_ms: i64) -> Result<usize, StoreError> {
    let cutoff = time_prefix(now_ms - RETENTION_MS);
    let mut deleted = 0;
    for (scope, _) in store.list_all::<HistoryScope>(HistoryScope::KIND_SCOPE)? {
        let Some((account, region)) = scope.split_once('/') else { continue };
        let (events, ids) = (space(account, region), ids_space(account, region));
        loop {
            let old = store.ordered_range(&events, Bound::Unbounded, Bound::Excluded(&cutoff[..]), Direction::Forward, TRIM_CHUNK)?;
            if old.is_empty() {
                break;
            }
            store.transaction(|t| {
                for (key, _) in &old {
                    t.ordered_delete(&events, key)?;
                    t.ordered_delete(&ids, key.get(ID_OFFSET..).unwrap_or_default())?;
                }
                Ok::<_, StoreError>(())
            })?;
            deleted += old.len();
            if old.len() < TRIM_CHUNK {
                break;
            }
        }
    }
    Ok(deleted)
}

/// An event as LookupEvents returns it.
pub fn event_document(event: &Event) -> Value {
    let mut doc = json!({
        "EventId": event.id,
        "EventName": event.name,
        "ReadOnly": event.read_only.to_string(),
        "EventTime": nimbus_core::document::timestamp(crate::time_of(event.time_ms)),
        "EventSource": event.source,
        "Resources": event.resources.iter().map(|r| json!({"ResourceType": r.resource_type, "ResourceName": r.name})).collect::<Vec<_>>(),
        "CloudTrailEvent": event.record,
    });
    if let Some(key) = &event.access_key_id {
        doc["AccessKeyId"] = json!(key);
    }
    if let Some(user) = &event.username {
        doc["Username"] = json!(user);
    }
    doc
}
