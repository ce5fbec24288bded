//! Time to live: deleting expired items, on Nimbus's clock.
//!
//! # Approach and cost
//! While TTL is enabled on a table, every item write keeps a **TTL index**: the ordered space
//! `ddbt/{table id}/{uuid}` with one empty-valued entry per item whose TTL attribute is a
//! Number, keyed by the expiry in epoch seconds (8 bytes, sign-flipped big-endian so byte order
//! is time order) followed by the item's storage key. Enabling TTL fills the index from the
//! table's items in the same transaction (one pass, one decode per item, once); disabling
//! drops it. Tables with TTL enabled are listed in one registry scope ([`TTL_SCOPE`]), so the
//! sweeper never walks tables that have no TTL.
//!
//! A sweep (once a minute, and right after `POST /_nimbus/clock`) reads, per TTL table, the
//! index range `[now − 5 years, now)`: an idle table costs one B-tree descent, and each expired
//! item costs one index entry, one item read and the delete itself (index entries, counts and a
//! stream record, through `storage::write_item_by`). Deletions commit in chunks of
//! [`TTL_CHUNK`] items, each its own transaction, so other writers wait at most one chunk.
//! Each write costs one extra ordered-space put or delete on TTL tables when the TTL value
//! changes; tables without TTL pay nothing.
//!
//! As on AWS: only top-level Number attributes count (a String, a set or a missing attribute
//! is ignored), values are epoch seconds, an item is expired once its value is below the
//! current time, and values more than five years in the past are ignored (never deleted).
//! Unlike AWS, which takes up to a few days, Nimbus deletes at the next sweep.

use std::ops::Bound;

use nimbus_dynamodb_lang::{AttributeValue, Item};
use nimbus_store::{Direction, Record, Txn};
use serde::{Deserialize, Serialize};

use crate::DynamoDb;
use crate::describe::Place;
use crate::errors::Res;
use crate::records::{TableRecord, TableStats};
use crate::storage::{decode_item, write_item_by};
use crate::streams::Change;

/// The scope of the registry of tables with TTL enabled.
pub const TTL_SCOPE: &str = "dynamodb.ttl";

/// Expired items deleted per transaction.
pub const TTL_CHUNK: usize = 500;

/// AWS ignores expiry times more than five years in the past (five years of 365.25 days).
const IGNORED_AFTER_SECS: i64 = 5 * 36_525 * 864;

/// A table's TTL index (kept in its [`TableStats`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlIndex {
    pub attribute: String,
    pub space: String,
}

/// A table with TTL enabled: registry entry keyed `{account}/{region}/{table name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlTable {
    pub account: String,
    pub region: String,
    pub table_name: String,
    pub table_id: String,
}

impl Record for TtlTable {
    const KIND: &'static str = "dynamodb.ttl_table";
    const VERSION: u32 = 1;
}

fn registry_key(place: &Place, table: &str) -> String {
    format!("{}/{}/{table}", place.account, place.region)
}

/// The expiry an item's TTL attribute gives, in epoch seconds: a Number only.
pub fn expiry_seconds(item: &Item, attribute: &str) -> Option<i64> {
    let Some(AttributeValue::N(number)) = item.get(attribute) else { return None };
    let seconds = number.to_f64().floor();
    (seconds.is_finite() && seconds.abs() < 9.0e18).then_some(seconds as i64)
}

fn time_prefix(seconds: i64) -> [u8; 8] {
    ((seconds as u64) ^ (1 << 63)).to_be_bytes()
}

fn entry_key(seconds: i64, table_key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + table_key.len());
    out.extend_from_slice(&time_prefix(seconds));
    out.extend_from_slice(table_key);
    out
}

/// Keeps the TTL index in step with one item write (called by `storage::write_item_by`).
pub fn index_change(txn: &Txn, key: &[u8], old: Option<&Item>, new: Option<&Item>, stats: &TableStats) -> Res<()> {
    let Some(index) = &stats.ttl_index else { return Ok(()) };
    let old_entry = old.and_then(|item| expiry_seconds(item, &index.attribute)).map(|s| entry_key(s, key));
    let new_entry = new.and_then(|item| expiry_seconds(item, &index.attribute)).map(|s| entry_key(s, key));
    if old_entry == new_entry {
        return Ok(());
    }
    if let Some(entry) = old_entry {
        txn.ordered_delete(&index.space, &entry)?;
    }
    if let Some(entry) = new_entry {
        txn.ordered_put(&index.space, &entry, &[])?;
    }
    Ok(())
}

/// UpdateTimeToLive enabling TTL on `attribute`: builds the index from the table's items and
/// registers the table, in the caller's transaction.
pub fn enable(txn: &Txn, place: &Place, table: &TableRecord, stats: &mut TableStats, attribute: &str) -> Res<()> {
    const PAGE: usize = 1000;
    let index = TtlIndex { attribute: attribute.to_owned(), space: format!("ddbt/{}/{}", table.id, nimbus_core::ids::uuid()) };
    let space = table.item_space();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let lower = after.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        let page = txn.ordered_range(&space, lower, Bound::Unbounded, Direction::Forward, PAGE)?;
        for (key, value) in &page {
            if let Some(seconds) = expiry_seconds(&decode_item(value)?, attribute) {
                txn.ordered_put(&index.space, &entry_key(seconds, key), &[])?;
            }
        }
        if page.len() < PAGE {
            break;
        }
        after = page.last().map(|(k, _)| k.clone());
    }
    stats.ttl_index = Some(index);
    let entry = TtlTable { account: place.account.clone(), region: place.region.clone(), table_name: table.name.clone(), table_id: table.id.clone() };
    txn.put(TTL_SCOPE, &registry_key(place, &table.name), &entry)?;
    Ok(())
}

/// UpdateTimeToLive disabling TTL, or DeleteTable: drops the index and the registration.
pub fn disable(txn: &Txn, place: &Place, table_name: &str, stats: &mut TableStats) -> Res<()> {
    if let Some(index) = stats.ttl_index.take() {
        txn.ordered_drop_space(&index.space)?;
    }
    txn.delete::<TtlTable>(TTL_SCOPE, &registry_key(place, table_name))?;
    Ok(())
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Items deleted by TTL.
    pub expired: usize,
    /// Stream records trimmed (older than 24 hours).
    pub trimmed: usize,
    /// Disabled streams removed 24 hours after they ended.
    pub streams_removed: usize,
    /// Point-in-time recovery log entries older than their table's recovery period.
    pub pitr_trimmed: usize,
    /// SYSTEM backups removed 35 days after their table's deletion.
    pub backups_expired: usize,
}

impl DynamoDb {
    /// DynamoDB's clock-driven upkeep: TTL deletions, then stream trimming, point-in-time
    /// recovery log trimming and SYSTEM backup expiry. Errors are logged and the rest of the
    /// sweep goes on; the next sweep retries.
    pub fn sweep(&self) -> SweepReport {
        let mut report = SweepReport::default();
        let now_ms = self.clock.now_millis();
        self.expire_items(now_ms, &mut report);
        self.trim_streams(now_ms, &mut report);
        report.pitr_trimmed = self.trim_pitr_logs(now_ms);
        report.backups_expired = self.expire_system_backups(now_ms);
        if report.trimmed + report.streams_removed + report.backups_expired > 0 {
            self.purge_in_background();
        }
        report
    }

    fn expire_items(&self, now_ms: i64, report: &mut SweepReport) {
        let mut after: Option<String> = None;
        loop {
            let page = match self.store.list::<TtlTable>(TTL_SCOPE, "", after.as_deref(), 200) {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!("DynamoDB TTL sweep could not list tables: {e}");
                    return;
                }
            };
            let Some((last, _)) = page.last() else { return };
            after = Some(last.clone());
            for (key, entry) in &page {
                loop {
                    match self.expire_chunk(key, entry, now_ms) {
                        Ok((settled, deleted)) => {
                            report.expired += deleted;
                            if settled < TTL_CHUNK {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(table = %entry.table_name, "DynamoDB TTL sweep failed: {}", e.0);
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Deletes up to [`TTL_CHUNK`] expired items of one table in one transaction; returns how
    /// many index entries it settled and how many items it deleted.
    fn expire_chunk(&self, registry_key: &str, entry: &TtlTable, now_ms: i64) -> Res<(usize, usize)> {
        let scope = format!("{}/{}", entry.account, entry.region);
        let now_secs = now_ms.div_euclid(1000);
        self.store.transaction(|t| {
            let table = match t.get::<TableRecord>(&scope, &entry.table_name)? {
                Some(table) if table.id == entry.table_id && table.ttl.enabled => table,
                // The table went (or was re-created) without its registration: forget it.
                _ => {
                    t.delete::<TtlTable>(TTL_SCOPE, registry_key)?;
                    return Ok((0, 0));
                }
            };
            let mut stats = t.get::<TableStats>(&scope, &table.id)?.unwrap_or_default();
            let Some(index) = stats.ttl_index.clone() else { return Ok((0, 0)) };
            let lower = time_prefix(now_secs.saturating_sub(IGNORED_AFTER_SECS));
            let upper = time_prefix(now_secs);
            let entries = t.ordered_range(&index.space, Bound::Included(&lower), Bound::Excluded(&upper), Direction::Forward, TTL_CHUNK)?;
            let item_space = table.item_space();
            let change = Change { at_ms: now_ms, by_ttl: true };
            let mut deleted = 0;
            for (entry_key, _) in &entries {
                let item_key = &entry_key[8..];
                match t.ordered_get(&item_space, item_key)? {
                    // Removes the index entry too (`index_change`).
                    Some(bytes) => {
                        write_item_by(t, &table, item_key, Some(&decode_item(&bytes)?), None, &mut stats, change)?;
                        deleted += 1;
                    }
                    None => {
                        t.ordered_delete(&index.space, entry_key)?;
                    }
                }
            }
            if !entries.is_empty() {
                t.put(&scope, &table.id, &stats)?;
            }
            Ok((entries.len(), deleted))
        })
    }
}
