//! Alarm history: ConfigurationUpdate, StateUpdate and Action items, kept 30 days (AWS's
//! retention) in one ordered space per account and region, `cloudwatch.history/<account>/<region>`,
//! keyed by time (8 bytes) then a sequence number (8 bytes), so a date range is one key range
//! and DescribeAlarmHistory walks it in either direction.

use std::ops::{Bound, ControlFlow};
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::document::timestamp;
use nimbus_core::{Document, RequestContext};
use nimbus_store::{Direction, Store, StoreError, Txn};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::errors::{Res, invalid_next_token, invalid_value};
use crate::metric::RegionMarker;
use crate::statistics::seconds_member;
use crate::{CloudWatch, time_of_millis};

/// How long history is kept (AWS: 30 days).
pub const RETENTION_MS: i64 = 30 * 24 * 3600 * 1000;
const DEFAULT_MAX_RECORDS: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub alarm_name: String,
    /// `MetricAlarm` or `CompositeAlarm`.
    pub alarm_type: String,
    pub time_ms: i64,
    /// `ConfigurationUpdate`, `StateUpdate` or `Action`.
    pub item_type: String,
    pub summary: String,
    pub data: String,
}

/// One item for one account and region.
#[derive(Debug, Clone)]
pub struct Entry {
    pub account: String,
    pub region: String,
    pub item: HistoryItem,
}

pub fn space(account: &str, region: &str) -> String {
    format!("cloudwatch.history/{account}/{region}")
}

fn time_bytes(ms: i64) -> [u8; 8] {
    ((ms as u64) ^ (1 << 63)).to_be_bytes()
}

/// Keeps items of one millisecond in the order they were made, across restarts.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

fn next_sequence() -> u64 {
    let floor = nimbus_core::clock::wall_micros();
    let _ = SEQUENCE.fetch_max(floor, Ordering::Relaxed);
    SEQUENCE.fetch_add(1, Ordering::Relaxed)
}

/// Writes the entries in the caller's transaction.
pub fn write(txn: &Txn, entries: &[Entry]) -> Result<(), StoreError> {
    for entry in entries {
        let mut key = time_bytes(entry.item.time_ms).to_vec();
        key.extend_from_slice(&next_sequence().to_be_bytes());
        let value = serde_json::to_vec(&entry.item).map_err(|e| StoreError::Corrupt(format!("cloudwatch history: {e}")))?;
        txn.ordered_put(&space(&entry.account, &entry.region), &key, &value)?;
        txn.put(RegionMarker::SCOPE, &format!("{}/{}", entry.account, entry.region), &RegionMarker {})?;
    }
    Ok(())
}

/// Deletes items older than the retention; returns how many went.
pub fn trim(store: &Store, account: &str, region: &str, now_ms: i64) -> Result<usize, StoreError> {
    const CHUNK: usize = 1000;
    let space = space(account, region);
    let cutoff = time_bytes(now_ms - RETENTION_MS);
    let mut deleted = 0;
    loop {
        let old = store.ordered_range(&space, Bound::Unbounded, Bound::Excluded(&cutoff[..]), Direction::Forward, CHUNK)?;
        if old.is_empty() {
            return Ok(deleted);
        }
        store.transaction(|t| {
            for (key, _) in &old {
                t.ordered_delete(&space, key)?;
            }
            Ok::<_, StoreError>(())
        })?;
        deleted += old.len();
        if old.len() < CHUNK {
            return Ok(deleted);
        }
    }
}

pub fn item_document(item: &HistoryItem) -> Value {
    json!({
        "AlarmName": item.alarm_name,
        "AlarmType": item.alarm_type,
        "Timestamp": timestamp(time_of_millis(item.time_ms)),
        "HistoryItemType": item.item_type,
        "HistorySummary": item.summary,
        "HistoryData": item.data,
    })
}

impl CloudWatch {
    pub(crate) fn describe_alarm_history(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = input.get("AlarmName").and_then(Value::as_str);
        let types: Vec<String> = nimbus_core::document::string_list_member(input, "AlarmTypes");
        for t in &types {
            if t != "MetricAlarm" && t != "CompositeAlarm" && t != "LogAlarm" {
                return Err(invalid_value(format!("The value {t} for parameter AlarmTypes is not valid.")));
            }
        }
        // Without AlarmTypes only metric alarms' history is returned, unless an alarm is named.
        let types = if types.is_empty() && name.is_none() { vec!["MetricAlarm".to_owned()] } else { types };
        let item_type = input.get("HistoryItemType").and_then(Value::as_str);
        if let Some(t) = item_type
            && !matches!(t, "ConfigurationUpdate" | "StateUpdate" | "Action" | "AlarmContributorStateUpdate" | "AlarmContributorAction")
        {
            return Err(invalid_value(format!("The value {t} for parameter HistoryItemType is not valid.")));
        }
        let start_ms = seconds_member(input, "StartDate").map(|s| s * 1000);
        let end_ms = seconds_member(input, "EndDate").map(|s| s * 1000);
        let max = match input.get("MaxRecords").and_then(Value::as_i64) {
            None => DEFAULT_MAX_RECORDS,
            Some(n @ 1..=100) => n as usize,
            Some(n) => return Err(invalid_value(format!("The value {n} for parameter MaxRecords is not valid."))),
        };
        let direction = match input.get("ScanBy").and_then(Value::as_str) {
            None | Some("TimestampDescending") => Direction::Reverse,
            Some("TimestampAscending") => Direction::Forward,
            Some(other) => return Err(invalid_value(format!("The value {other} for parameter ScanBy is not valid."))),
        };
        let after = match input.get("NextToken").and_then(Value::as_str) {
            None => None,
            Some(token) => Some(B64.decode(token).map_err(|_| invalid_next_token())?),
        };
        let lower_key = start_ms.map(time_bytes);
        let upper_key = end_ms.map(|e| time_bytes(e.saturating_add(1)));
        let mut lower = lower_key.as_ref().map_or(Bound::Unbounded, |k| Bound::Included(&k[..]));
        let mut upper = upper_key.as_ref().map_or(Bound::Unbounded, |k| Bound::Excluded(&k[..]));
        if let Some(after) = &after {
            match direction {
                Direction::Forward => lower = Bound::Excluded(after.as_slice()),
                Direction::Reverse => upper = Bound::Excluded(after.as_slice()),
            }
        }
        let mut page: Vec<(Vec<u8>, HistoryItem)> = Vec::new();
        let mut more = false;
        self.store.ordered_visit(&space(&ctx.account_id, &ctx.region), lower, upper, direction, |key, value| {
            let Ok(item) = serde_json::from_slice::<HistoryItem>(value) else { return ControlFlow::Continue(()) };
            let wanted = name.is_none_or(|n| n == item.alarm_name)
                && (types.is_empty() || types.contains(&item.alarm_type))
                && item_type.is_none_or(|t| t == item.item_type);
            if !wanted {
                return ControlFlow::Continue(());
            }
            if page.len() == max {
                more = true;
                return ControlFlow::Break(());
            }
            page.push((key.to_vec(), item));
            ControlFlow::Continue(())
        })?;
        let mut out = json!({"AlarmHistoryItems": page.iter().map(|(_, i)| item_document(i)).collect::<Vec<_>>()});
        if more && let Some((key, _)) = page.last() {
            out["NextToken"] = json!(B64.encode(key));
        }
        Ok(out)
    }
}
