//! The local mailbox: every accepted message, kept durably in the store, and its views: Nimbus's
//! JSON (`/_nimbus/ses/messages`), LocalStack's (`/_aws/ses`), the raw `.eml`, and the sending
//! statistics (GetSendQuota's SentLast24Hours, GetSendStatistics' data points), which are counted
//! from the messages themselves.

use base64::Engine;
use nimbus_core::ServiceError;
use nimbus_core::document::{iso8601_millis, timestamp};
use serde_json::{Value, json};

use crate::address;
use crate::errors::{self, Res};
use crate::events::is_simulator;
use crate::identities::ms_time;
use crate::records::{MAILBOX_SCOPE, MessageRecord, Origin, RawRecord};
use crate::{Inner, mime};

/// An SES message id: `0100` + the send time in milliseconds (12 hex digits) + a UUID +
/// `-000000`, the shape AWS's ids have. The time prefix makes ids sort in send order; the
/// UUID's first group is a counter, so ids of one millisecond keep their order too.
pub fn new_message_id(now_ms: i64) -> String {
    static SEQUENCE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let sequence = SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let uuid = nimbus_core::ids::uuid();
    format!("{}-{sequence:08x}{}-000000", key_floor(now_ms), &uuid[8..])
}

/// The smallest id (and so store key) of a message sent at or after `ms`.
fn key_floor(ms: i64) -> String {
    format!("0100{:012x}", ms.max(0))
}

/// Which messages a mailbox view or deletion is about; `None` members match everything.
#[derive(Debug, Clone, Default)]
pub struct MailFilter {
    pub id: Option<String>,
    /// Any envelope recipient (To, Cc or Bcc), compared case-insensitively.
    pub to: Option<String>,
    /// The sender (Source, or a raw message's From), compared case-insensitively.
    pub from: Option<String>,
    /// Sent at or after, epoch milliseconds.
    pub since_ms: Option<i64>,
    pub region: Option<String>,
}

impl MailFilter {
    /// Reads a `since` value: epoch milliseconds, or an ISO 8601 / RFC 3339 date-time.
    pub fn parse_since(value: &str) -> Result<i64, String> {
        if let Ok(ms) = value.trim().parse::<i64>() {
            return Ok(ms);
        }
        time::OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339)
            .or_else(|_| time::OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Iso8601::DEFAULT))
            .map(|at| (at.unix_timestamp_nanos() / 1_000_000) as i64)
            .map_err(|_| format!("since must be epoch milliseconds or an ISO 8601 date-time, not {value:?}"))
    }

    fn matches(&self, m: &MessageRecord) -> bool {
        let same = |a: &str, b: &str| bare(a).eq_ignore_ascii_case(bare(b));
        self.id.as_ref().is_none_or(|id| &m.id == id)
            && self.to.as_ref().is_none_or(|to| m.recipients().any(|r| same(r, to)))
            && self.from.as_ref().is_none_or(|from| same(&m.source, from))
            && self.since_ms.is_none_or(|since| m.timestamp_ms >= since)
            && self.region.as_ref().is_none_or(|r| &m.region == r)
    }
}

/// The address inside `Name <address>` (or the text itself).
fn bare(a: &str) -> &str {
    match (a.rfind('<'), a.rfind('>')) {
        (Some(open), Some(close)) if open < close => a[open + 1..close].trim(),
        _ => a.trim(),
    }
}

/// Stores a message and its bytes in one transaction.
pub fn put(t: &nimbus_store::Txn, record: &MessageRecord, raw: &[u8]) -> nimbus_store::Result<()> {
    t.put(MAILBOX_SCOPE, &record.id, record)?;
    t.put(MAILBOX_SCOPE, &record.id, &RawRecord { data: base64::engine::general_purpose::STANDARD.encode(raw) })
}

fn matching(inner: &Inner, filter: &MailFilter) -> Res<Vec<MessageRecord>> {
    if let Some(id) = &filter.id {
        let found = inner.get::<MessageRecord>(MAILBOX_SCOPE, id)?;
        return Ok(found.into_iter().filter(|m| filter.matches(m)).collect());
    }
    let from = filter.since_ms.map(key_floor);
    Ok(sent_after(inner, from.as_deref())?.into_iter().filter(|m| filter.matches(m)).collect())
}

/// Messages whose key is at or after `from` (all when `None`), oldest first, read in pages.
fn sent_after(inner: &Inner, from: Option<&str>) -> Res<Vec<MessageRecord>> {
    const PAGE: usize = 1000;
    let mut out: Vec<MessageRecord> = Vec::new();
    // Keys are `<floor>-<uuid>-000000`: everything at or after the floor sorts after it.
    let mut after = from.map(str::to_owned);
    loop {
        let page = inner.store.list::<MessageRecord>(MAILBOX_SCOPE, "", after.as_deref(), PAGE).map_err(errors::store)?;
        let done = page.len() < PAGE;
        after = page.last().map(|(k, _)| k.clone());
        out.extend(page.into_iter().map(|(_, m)| m));
        if done {
            return Ok(out);
        }
    }
}

pub fn raw(inner: &Inner, id: &str) -> Res<Option<Vec<u8>>> {
    let Some(record) = inner.get::<RawRecord>(MAILBOX_SCOPE, id)? else { return Ok(None) };
    base64::engine::general_purpose::STANDARD
        .decode(record.data)
        .map(Some)
        .map_err(|e| ServiceError::internal(format!("stored message {id} is corrupt: {e}")))
}

fn origin_name(origin: Origin) -> &'static str {
    match origin {
        Origin::Formatted => "formatted",
        Origin::Raw => "raw",
        Origin::System => "system",
    }
}

/// Nimbus's view of a message.
fn summary(m: &MessageRecord) -> Value {
    let mut out = json!({
        "id": m.id,
        "account": m.account,
        "region": m.region,
        "timestamp": iso8601_millis(m.timestamp_ms),
        "timestampMs": m.timestamp_ms,
        "source": m.source,
        "from": bare(&m.source),
        "to": m.to,
        "cc": m.cc,
        "bcc": m.bcc,
        "subject": m.subject,
        "text": m.text,
        "html": m.html,
        "origin": origin_name(m.origin),
        "tags": m.tags.iter().map(|t| (t.key.clone(), Value::from(t.value.clone()))).collect::<serde_json::Map<_, _>>(),
    });
    for (member, value) in [("template", &m.template), ("templateData", &m.template_data), ("configurationSet", &m.configuration_set)] {
        if let Some(value) = value {
            out[member] = json!(value);
        }
    }
    if !m.suppressed.is_empty() {
        out["suppressed"] = json!(m.suppressed);
    }
    out
}

pub fn list_json(inner: &Inner, filter: &MailFilter) -> Res<Value> {
    let messages: Vec<Value> = matching(inner, filter)?.iter().map(summary).collect();
    Ok(json!({ "messages": messages }))
}

pub fn message_json(inner: &Inner, id: &str) -> Res<Option<Value>> {
    let Some(m) = inner.get::<MessageRecord>(MAILBOX_SCOPE, id)? else { return Ok(None) };
    let bytes = raw(inner, id)?.unwrap_or_default();
    let mut out = summary(&m);
    out["headers"] = mime::header_list(&bytes).into_iter().map(|(name, value)| json!({ "name": name, "value": value })).collect();
    out["raw"] = json!(String::from_utf8_lossy(&bytes));
    Ok(Some(out))
}

/// LocalStack's member names, so tests written against `/_aws/ses` run unchanged.
pub fn localstack_json(inner: &Inner, filter: &MailFilter) -> Res<Value> {
    let mut messages = Vec::new();
    for m in matching(inner, filter)? {
        let mut entry = json!({
            "Id": m.id,
            "Region": m.region,
            "Destination": { "ToAddresses": m.to, "CcAddresses": m.cc, "BccAddresses": m.bcc },
            "Source": m.source,
            "Subject": m.subject,
            "Body": { "text_part": m.text, "html_part": m.html },
            "Timestamp": iso8601_millis(m.timestamp_ms),
        });
        if m.origin == Origin::Raw {
            entry["RawData"] = json!(String::from_utf8_lossy(&raw(inner, &m.id)?.unwrap_or_default()));
        }
        if let Some(template) = &m.template {
            entry["Template"] = json!(template);
            entry["TemplateData"] = json!(m.template_data);
        }
        messages.push(entry);
    }
    Ok(json!({ "messages": messages }))
}

pub fn delete_matching(inner: &Inner, filter: &MailFilter) -> Res<usize> {
    let ids: Vec<String> = matching(inner, filter)?.into_iter().map(|m| m.id).collect();
    inner.write_blocking(|t| {
        for id in &ids {
            t.delete::<MessageRecord>(MAILBOX_SCOPE, id)?;
            t.delete::<RawRecord>(MAILBOX_SCOPE, id)?;
        }
        Ok(())
    })?;
    Ok(ids.len())
}

/// Messages of one account and region sent through the API (not system mail) since `ms`.
fn sent_since(inner: &Inner, account: &str, region: &str, ms: i64) -> Res<Vec<MessageRecord>> {
    Ok(sent_after(inner, Some(&key_floor(ms)))?
        .into_iter()
        .filter(|m| m.account == account && m.region == region && m.origin != Origin::System && m.timestamp_ms >= ms)
        .collect())
}

/// Recipients in the last 24 hours; the mailbox simulator's addresses do not count (AWS).
pub fn sent_last_24_hours(inner: &Inner, account: &str, region: &str) -> Res<u64> {
    let since = inner.now() - 24 * 3_600_000;
    Ok(sent_since(inner, account, region, since)?
        .iter()
        .map(|m| m.recipients().filter(|r| !is_simulator(address::parse(r).map(|a| a.address).as_deref().unwrap_or(r))).count() as u64)
        .sum())
}

/// GetSendStatistics: the last two weeks in 15-minute intervals that had sends, oldest first.
pub fn send_data_points(inner: &Inner, account: &str, region: &str) -> Res<Vec<Value>> {
    const INTERVAL: i64 = 15 * 60_000;
    let since = inner.now() - 14 * 24 * 3_600_000;
    let mut buckets: std::collections::BTreeMap<i64, [u64; 3]> = Default::default();
    for m in sent_since(inner, account, region, since)? {
        let bucket = buckets.entry(m.timestamp_ms - m.timestamp_ms.rem_euclid(INTERVAL)).or_default();
        bucket[0] += m.recipients().count() as u64;
        bucket[1] += u64::from(m.bounces);
        bucket[2] += u64::from(m.complaints);
    }
    Ok(buckets
        .into_iter()
        .map(|(start, [attempts, bounces, complaints])| {
            json!({
                "Timestamp": timestamp(ms_time(start)),
                "DeliveryAttempts": attempts,
                "Bounces": bounces,
                "Complaints": complaints,
                "Rejects": 0,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_send_time() {
        let early = new_message_id(1_700_000_000_000);
        let late = new_message_id(1_700_000_000_001);
        assert!(early < late);
        assert!(early.starts_with("0100") && early.ends_with("-000000"));
        assert!(key_floor(1_700_000_000_001) > early);
    }

    #[test]
    fn since_takes_epoch_ms_or_iso() {
        assert_eq!(MailFilter::parse_since("1700000000000").unwrap(), 1_700_000_000_000);
        assert_eq!(MailFilter::parse_since("2023-11-14T22:13:20Z").unwrap(), 1_700_000_000_000);
        assert!(MailFilter::parse_since("yesterday").is_err());
    }
}
