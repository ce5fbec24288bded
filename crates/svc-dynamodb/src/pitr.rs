//! Point-in-time recovery: the per-table change log, RestoreTableToPointInTime's undo walk, and
//! the log's trimming.
//!
//! # Approach and cost
//! While PITR is enabled on a table, every item change appends one **log entry**, in the
//! change's own transaction (`storage::write_item_by`), so the log is exactly as durable as the
//! write: the ordered space `ddbp/{table id}/{uuid}` (fresh per enabling), keyed by the change's
//! time in epoch milliseconds (8 bytes, sign-flipped big-endian) then the table's log sequence
//! number (8 bytes big-endian). The value is one format byte (1), the item's storage key
//! (length-prefixed) and the item's previous image in the item encoding, or nothing when the
//! item did not exist. A change's time is the request's time on Nimbus's clock, raised to the
//! log's last time if that is later (a request that started earlier but committed later, or a
//! clock moved back), so key order is commit order and "every change after T" is one key range.
//!
//! The log is named in the table's `TableStats` (read and rewritten by every item write's
//! transaction anyway), so tables without PITR pay one `Option` check per write and a table
//! whose PITR was just switched on or off logs exactly the changes committed while it was on.
//!
//! RestoreTableToPointInTime copies the source's current items into the new table, then walks
//! the log backwards from the newest entry down to the restore time, putting back each entry's
//! previous image (or deleting the item it created): O(items + changes since T), in one
//! transaction. Disabling PITR drops the log; the sweeper deletes entries older than the
//! recovery period (tables with PITR are registered in [`PITR_SCOPE`], so it walks no others).

use std::ops::Bound;

use nimbus_dynamodb_lang::Item;
use nimbus_store::{Direction, Record, Txn};
use serde::{Deserialize, Serialize};

use crate::DynamoDb;
use crate::describe::Place;
use crate::errors::{Fail, Res};
use crate::records::{TableRecord, TableStats};
use crate::storage::encode_item;
use crate::streams::Change;

/// The scope of the registry of tables with PITR enabled.
pub const PITR_SCOPE: &str = "dynamodb.pitr";

/// AWS's default (and largest) recovery period.
pub const RECOVERY_DAYS: i64 = 35;

pub const DAY_MS: i64 = 86_400_000;

/// Log entries deleted or undone per page.
const PAGE: usize = 1000;

/// The first byte of every log entry: the encoding that follows.
const ENTRY_FORMAT: u8 = 1;

/// A table's change log (kept in its [`TableStats`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PitrLog {
    pub space: String,
    /// When logging started (PITR enabled): nothing earlier can be restored.
    pub since_ms: i64,
    /// The last entry's sequence number and time (keys only grow).
    #[serde(default)]
    pub sequence: u64,
    #[serde(default)]
    pub last_ms: i64,
}

/// A table with PITR enabled: registry entry keyed `{account}/{region}/{table name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PitrTable {
    pub account: String,
    pub region: String,
    pub table_name: String,
    pub table_id: String,
}

impl Record for PitrTable {
    const KIND: &'static str = "dynamodb.pitr_table";
    const VERSION: u32 = 1;
}

fn registry_key(place: &Place, table: &str) -> String {
    format!("{}/{}/{table}", place.account, place.region)
}

fn time_prefix(ms: i64) -> [u8; 8] {
    ((ms as u64) ^ (1 << 63)).to_be_bytes()
}

fn entry_key(ms: i64, sequence: u64) -> [u8; 16] {
    let mut out = [0; 16];
    out[..8].copy_from_slice(&time_prefix(ms));
    out[8..].copy_from_slice(&sequence.to_be_bytes());
    out
}

/// Appends the change of `old` into `new` under `key` to the table's log, if PITR is on (called
/// by `storage::write_item_by`). A write that changes nothing logs nothing.
pub fn log_change(txn: &Txn, key: &[u8], old: Option<&Item>, new: Option<&Item>, stats: &mut TableStats, change: Change) -> Res<()> {
    let Some(log) = &mut stats.pitr else { return Ok(()) };
    if old == new {
        return Ok(());
    }
    log.sequence += 1;
    log.last_ms = log.last_ms.max(change.at_ms);
    let image = old.map(encode_item).unwrap_or_default();
    let mut value = Vec::with_capacity(5 + key.len() + image.len());
    value.push(ENTRY_FORMAT);
    value.extend_from_slice(&(key.len() as u32).to_be_bytes());
    value.extend_from_slice(key);
    value.extend_from_slice(&image);
    txn.ordered_put(&log.space, &entry_key(log.last_ms, log.sequence), &value)?;
    Ok(())
}

/// A log entry: the item's storage key and its previous image (item encoding), if it existed.
fn decode_entry(value: &[u8]) -> Res<(&[u8], Option<&[u8]>)> {
    let corrupt = || Fail(nimbus_core::ServiceError::internal("stored point-in-time recovery log entry is corrupt"));
    let [ENTRY_FORMAT, rest @ ..] = value else { return Err(corrupt()) };
    let (length, rest) = rest.split_first_chunk::<4>().ok_or_else(corrupt)?;
    let length = u32::from_be_bytes(*length) as usize;
    if rest.len() < length {
        return Err(corrupt());
    }
    let (key, image) = rest.split_at(length);
    Ok((key, (!image.is_empty()).then_some(image)))
}

/// UpdateContinuousBackups enabling PITR: starts the log and registers the table, in the
/// caller's transaction. A log already running is kept.
pub fn enable(txn: &Txn, place: &Place, table: &TableRecord, stats: &mut TableStats, now_ms: i64) -> Res<()> {
    if stats.pitr.is_none() {
        let space = format!("ddbp/{}/{}", table.id, nimbus_core::ids::uuid());
        stats.pitr = Some(PitrLog { space, since_ms: now_ms, sequence: 0, last_ms: now_ms });
    }
    let entry = PitrTable { account: place.account.clone(), region: place.region.clone(), table_name: table.name.clone(), table_id: table.id.clone() };
    txn.put(PITR_SCOPE, &registry_key(place, &table.name), &entry)?;
    Ok(())
}

/// UpdateContinuousBackups disabling PITR, or DeleteTable: drops the log and the registration.
pub fn disable(txn: &Txn, place: &Place, table_name: &str, stats: &mut TableStats) -> Res<()> {
    if let Some(log) = stats.pitr.take() {
        txn.ordered_drop_space(&log.space)?;
    }
    txn.delete::<PitrTable>(PITR_SCOPE, &registry_key(place, table_name))?;
    Ok(())
}

/// The times a table can be restored to, `(earliest, latest)` in epoch milliseconds, or `None`
/// when PITR is off. Latest is now (AWS: about five minutes before now; Nimbus logs every change
/// as it commits), or the last logged change if the clock was moved back past it.
pub fn window(table: &TableRecord, stats: &TableStats, now_ms: i64) -> Option<(i64, i64)> {
    if !table.recovery.enabled {
        return None;
    }
    let days = table.recovery.recovery_days.unwrap_or(RECOVERY_DAYS);
    // A table whose PITR was enabled before Nimbus kept a log can only be restored to now.
    let (since, last) = stats.pitr.as_ref().map_or((now_ms, now_ms), |log| (log.since_ms, log.last_ms));
    let latest = now_ms.max(last);
    let earliest = since.max(now_ms - days * DAY_MS).min(latest);
    Some((earliest, latest))
}

/// Undoes, newest first, every logged change later than `at_ms` on the items in `items` (a
/// restored table's item space, holding the source's current items).
pub fn undo_after(txn: &Txn, log: &PitrLog, items: &str, at_ms: i64) -> Res<()> {
    let lower = time_prefix(at_ms.saturating_add(1));
    let mut upper: Option<Vec<u8>> = None;
    loop {
        let high = upper.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        let page = txn.ordered_range(&log.space, Bound::Included(&lower), high, Direction::Reverse, PAGE)?;
        for (_, value) in &page {
            match decode_entry(value)? {
                (key, Some(image)) => txn.ordered_put(items, key, image)?,
                (key, None) => {
                    txn.ordered_delete(items, key)?;
                }
            }
        }
        if page.len() < PAGE {
            return Ok(());
        }
        upper = page.last().map(|(k, _)| k.clone());
    }
}

impl DynamoDb {
    /// Deletes log entries older than each PITR table's recovery period; returns how many.
    pub(crate) fn trim_pitr_logs(&self, now_ms: i64) -> usize {
        let mut trimmed = 0;
        let mut after: Option<String> = None;
        loop {
            let page = match self.store.list::<PitrTable>(PITR_SCOPE, "", after.as_deref(), 200) {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!("DynamoDB PITR trim could not list tables: {e}");
                    return trimmed;
                }
            };
            let Some((last, _)) = page.last() else { return trimmed };
            after = Some(last.clone());
            for (key, entry) in &page {
                loop {
                    match self.trim_chunk(key, entry, now_ms) {
                        Ok(deleted) => {
                            trimmed += deleted;
                            if deleted < PAGE {
                                break;
                            }
                        }
                        Err(Fail(e)) => {
                            tracing::warn!(table = %entry.table_name, "DynamoDB PITR trim failed: {e}");
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Deletes up to [`PAGE`] entries of one table's log older than its recovery period.
    fn trim_chunk(&self, registry_key: &str, entry: &PitrTable, now_ms: i64) -> Res<usize> {
        let scope = format!("{}/{}", entry.account, entry.region);
        self.store.transaction(|t| {
            let table = match t.get::<TableRecord>(&scope, &entry.table_name)? {
                Some(table) if table.id == entry.table_id && table.recovery.enabled => table,
                // The table went (or was re-created) without its registration: forget it.
                _ => {
                    t.delete::<PitrTable>(PITR_SCOPE, registry_key)?;
                    return Ok(0);
                }
            };
            let stats = t.get::<TableStats>(&scope, &table.id)?.unwrap_or_default();
            let Some(log) = &stats.pitr else { return Ok(0) };
            let days = table.recovery.recovery_days.unwrap_or(RECOVERY_DAYS);
            let horizon = time_prefix(now_ms - days * DAY_MS);
            let old = t.ordered_range(&log.space, Bound::Unbounded, Bound::Excluded(&horizon), Direction::Forward, PAGE)?;
            for (key, _) in &old {
                t.ordered_delete(&log.space, key)?;
            }
            Ok(old.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_dynamodb_lang::parse_item;
    use serde_json::json;

    #[test]
    fn a_change_committed_after_a_later_one_is_logged_after_it_and_undone_first() {
        let store = nimbus_store::Store::open_ephemeral().unwrap();
        let log = PitrLog { space: "ddbp/t/1".into(), since_ms: 0, sequence: 0, last_ms: 0 };
        let mut stats = TableStats { pitr: Some(log), ..TableStats::default() };
        let item = |v: &str| parse_item(&json!({"pk": {"S": "k"}, "v": {"S": v}})).unwrap();
        let (v1, v2) = (item("1"), item("2"));
        let at = |at_ms| Change { at_ms, by_ttl: false };
        store
            .transaction(|t| {
                // Committed first at 200 (absent → v1); then a request that started at 100 (v1 → v2).
                log_change(t, b"k", None, Some(&v1), &mut stats, at(200))?;
                log_change(t, b"k", Some(&v1), Some(&v2), &mut stats, at(100))?;
                // Unchanged: nothing logged.
                log_change(t, b"k", Some(&v2), Some(&v2), &mut stats, at(300))?;
                t.ordered_put("items", b"k", &encode_item(&v2))?;
                Ok::<_, Fail>(())
            })
            .unwrap();
        let log = stats.pitr.clone().unwrap();
        assert_eq!((log.sequence, log.last_ms), (2, 200));
        store.transaction(|t| undo_after(t, &log, "items", 200)).unwrap();
        assert_eq!(store.ordered_get("items", b"k").unwrap(), Some(encode_item(&v2)));
        // Both undone, the later-committed one first: the item did not exist yet.
        store.transaction(|t| undo_after(t, &log, "items", 199)).unwrap();
        assert_eq!(store.ordered_get("items", b"k").unwrap(), None);
    }

    #[test]
    fn entry_keys_sort_by_time_then_sequence() {
        assert!(entry_key(-5, 9) < entry_key(0, 1));
        assert!(entry_key(1_000, 2) < entry_key(1_000, 3));
        assert!(entry_key(1_000, 99) < entry_key(1_001, 1));
        assert!(entry_key(1_000, u64::MAX)[..] < time_prefix(1_001)[..]);
    }

    #[test]
    fn entries_decode_and_refuse_garbage() {
        let mut value = vec![ENTRY_FORMAT, 0, 0, 0, 2, b'k', b'1'];
        assert_eq!(decode_entry(&value).unwrap(), (&b"k1"[..], None));
        value.extend_from_slice(&[1, b'{', b'}']);
        assert_eq!(decode_entry(&value).unwrap(), (&b"k1"[..], Some(&[1, b'{', b'}'][..])));
        assert!(decode_entry(&[ENTRY_FORMAT, 0, 0, 0, 9, 1]).is_err());
        assert!(decode_entry(&[7]).is_err());
        assert!(decode_entry(&[]).is_err());
    }
}
