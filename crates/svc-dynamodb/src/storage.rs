//! Items and index entries in the store's ordered spaces (layout in the crate docs), and the
//! table's item count and size kept with them in the same transaction.

use std::ops::Bound;

use nimbus_dynamodb_lang::{Item, item_size, item_to_json, parse_item};
use nimbus_store::{Direction, Txn};

use crate::errors::{Fail, Res};
use crate::keys::{index_entry_key, key_of};
use crate::records::{IndexRecord, Projection, TableRecord, TableStats};
use crate::streams::Change;

/// The first byte of every stored item: the encoding that follows. 1: the item's wire JSON.
const ITEM_FORMAT_JSON: u8 = 1;

pub fn encode_item(item: &Item) -> Vec<u8> {
    let mut out = vec![ITEM_FORMAT_JSON];
    // Serializing a serde_json::Value to a Vec cannot fail.
    serde_json::to_writer(&mut out, &item_to_json(item)).expect("JSON to memory");
    out
}

pub fn decode_item(bytes: &[u8]) -> Res<Item> {
    let corrupt = |detail: String| Fail(nimbus_core::ServiceError::internal(format!("stored DynamoDB item is corrupt: {detail}")));
    match bytes.split_first() {
        Some((&ITEM_FORMAT_JSON, json)) => {
            let value: serde_json::Value = serde_json::from_slice(json).map_err(|e| corrupt(e.to_string()))?;
            parse_item(&value).map_err(|e| corrupt(e.message))
        }
        Some((format, _)) => Err(corrupt(format!("unknown item format {format}"))),
        None => Err(corrupt("empty".into())),
    }
}

/// What an index holds of an item: the table's and the index's keys, plus the projected
/// attributes.
pub fn project(table: &TableRecord, index: &IndexRecord, item: &Item) -> Item {
    match &index.projection {
        Projection::All => item.clone(),
        projection => {
            let mut out = key_of(&table.keys, item);
            out.extend(key_of(&index.keys, item));
            if let Projection::Include(names) = projection {
                for name in names {
                    if let Some(value) = item.get(name) {
                        out.insert(name.clone(), value.clone());
                    }
                }
            }
            out
        }
    }
}

/// Replaces the item under `key` (`old` → `new`, either absent) with its index entries, and
/// moves the table's counts. The caller has read `old` in the same transaction. The change is
/// the current request's (see `streams::RequestTime`).
pub fn write_item(txn: &Txn, table: &TableRecord, key: &[u8], old: Option<&Item>, new: Option<&Item>, stats: &mut TableStats) -> Res<()> {
    write_item_by(txn, table, key, old, new, stats, Change::of_request()?)
}

/// [`write_item`] for a change made by `change` (a TTL deletion names the service): also keeps
/// the TTL index, appends the change to the table's live stream and, while point-in-time
/// recovery is on, to its change log, as of this transaction's `stats`.
pub fn write_item_by(txn: &Txn, table: &TableRecord, key: &[u8], old: Option<&Item>, new: Option<&Item>, stats: &mut TableStats, change: Change) -> Res<()> {
    crate::ttl_sweeper::index_change(txn, key, old, new, stats)?;
    crate::streams::record_change(txn, table, old, new, stats, change)?;
    crate::pitr::log_change(txn, key, old, new, stats, change)?;
    for index in table.indexes() {
        let old_entry = old.and_then(|item| index_entry_key(index, item, key));
        let new_entry = new.and_then(|item| index_entry_key(index, item, key));
        let figures = stats.indexes.entry(index.name.clone()).or_default();
        if let (Some(entry), Some(item)) = (&old_entry, old) {
            figures.items -= 1;
            figures.bytes -= item_size(&project(table, index, item)) as i64;
            if new_entry.as_ref() != Some(entry) {
                txn.ordered_delete(&index.space, entry)?;
            }
        }
        if let (Some(entry), Some(item)) = (&new_entry, new) {
            let projected = project(table, index, item);
            figures.items += 1;
            figures.bytes += item_size(&projected) as i64;
            txn.ordered_put(&index.space, entry, &encode_item(&projected))?;
        }
    }
    let space = table.item_space();
    if let Some(item) = old {
        stats.items -= 1;
        stats.bytes -= item_size(item) as i64;
    }
    match new {
        Some(item) => {
            stats.items += 1;
            stats.bytes += item_size(item) as i64;
            txn.ordered_put(&space, key, &encode_item(item))?;
        }
        None => {
            txn.ordered_delete(&space, key)?;
        }
    }
    Ok(())
}

/// Fills a new index from the table's items (UpdateTable's GSI Create), in the same
/// transaction as the index's definition, so the index is complete when it becomes visible.
pub fn backfill(txn: &Txn, table: &TableRecord, index: &IndexRecord, stats: &mut TableStats) -> Res<()> {
    const PAGE: usize = 1000;
    let space = table.item_space();
    let mut after: Option<Vec<u8>> = None;
    let figures = stats.indexes.entry(index.name.clone()).or_default();
    loop {
        let lower = after.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        let page = txn.ordered_range(&space, lower, Bound::Unbounded, Direction::Forward, PAGE)?;
        for (key, value) in &page {
            let item = decode_item(value)?;
            if let Some(entry) = index_entry_key(index, &item, key) {
                let projected = project(table, index, &item);
                figures.items += 1;
                figures.bytes += item_size(&projected) as i64;
                txn.ordered_put(&index.space, &entry, &encode_item(&projected))?;
            }
        }
        if page.len() < PAGE {
            return Ok(());
        }
        after = page.last().map(|(k, _)| k.clone());
    }
}

/// Copies every pair of the ordered space `from` into `to` as stored (items keep their
/// encoding), in the caller's transaction: a backup's snapshot, a restore's starting items.
pub fn copy_items(txn: &Txn, from: &str, to: &str) -> Res<()> {
    const PAGE: usize = 1000;
    let mut after: Option<Vec<u8>> = None;
    loop {
        let lower = after.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        let page = txn.ordered_range(from, lower, Bound::Unbounded, Direction::Forward, PAGE)?;
        for (key, value) in &page {
            txn.ordered_put(to, key, value)?;
        }
        if page.len() < PAGE {
            return Ok(());
        }
        after = page.last().map(|(k, _)| k.clone());
    }
}

/// Counts the items of a new table (a restore's) and builds all its indexes from them, in one
/// pass (one decode per item), in the caller's transaction; returns its counts.
pub fn index_all(txn: &Txn, table: &TableRecord) -> Res<TableStats> {
    const PAGE: usize = 1000;
    let mut stats = TableStats::default();
    for index in table.indexes() {
        stats.indexes.insert(index.name.clone(), Default::default());
    }
    let space = table.item_space();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let lower = after.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        let page = txn.ordered_range(&space, lower, Bound::Unbounded, Direction::Forward, PAGE)?;
        for (key, value) in &page {
            let item = decode_item(value)?;
            stats.items += 1;
            stats.bytes += item_size(&item) as i64;
            for index in table.indexes() {
                if let Some(entry) = index_entry_key(index, &item, key) {
                    let projected = project(table, index, &item);
                    let figures = stats.indexes.entry(index.name.clone()).or_default();
                    figures.items += 1;
                    figures.bytes += item_size(&projected) as i64;
                    txn.ordered_put(&index.space, &entry, &encode_item(&projected))?;
                }
            }
        }
        if page.len() < PAGE {
            return Ok(stats);
        }
        after = page.last().map(|(k, _)| k.clone());
    }
}

/// Reads the items of a table in key order, for tests and (later) Scan.
#[cfg(test)]
pub fn all_items(store: &nimbus_store::Store, space: &str) -> Vec<Item> {
    let mut out = Vec::new();
    store
        .ordered_visit(space, Bound::Unbounded, Bound::Unbounded, Direction::Forward, |_, value| {
            out.push(decode_item(value).unwrap());
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_round_trip_through_their_encoding() {
        let item = parse_item(&json!({"pk": {"S": "a"}, "n": {"N": "1.50"}, "b": {"B": "AAE="}, "m": {"M": {"l": {"L": [{"NULL": true}]}}}})).unwrap();
        let bytes = encode_item(&item);
        assert_eq!(bytes[0], ITEM_FORMAT_JSON);
        assert_eq!(decode_item(&bytes).unwrap(), item);
        assert!(decode_item(&[9, 1, 2]).is_err());
        assert!(decode_item(&[]).is_err());
    }
}
