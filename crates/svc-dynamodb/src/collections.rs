//! `ReturnItemCollectionMetrics=SIZE`: the size of the item collections a write touched.
//!
//! An item collection is every item of one partition key value together with its entries in
//! the table's local secondary indexes; only tables with LSIs have them on AWS (their
//! collections are capped at 10 GB), and a write to any other table returns no metrics even
//! when asked. AWS answers with a coarse estimate, `SizeEstimateRangeGB: [lower, upper]`
//! (documented as not to be relied on for precision). Nimbus measures the collection after
//! the write commits: the stored bytes of the partition's items and LSI entries, and answers
//! the whole-gigabyte range holding that size, `[0.0, 1.0]` for anything under a gigabyte.

use std::ops::{Bound, ControlFlow};

use nimbus_core::Document;
use nimbus_dynamodb_lang::{Item, encode_key, prefix_successor};
use nimbus_store::{Direction, Store};
use serde_json::{Map, Value, json};

use crate::actions::WriteAction;
use crate::errors::Res;
use crate::records::TableRecord;

const GIB: f64 = (1u64 << 30) as f64;

/// Whether the request asked for item collection metrics.
pub fn requested(input: &Document) -> bool {
    input
        .get("ReturnItemCollectionMetrics")
        .and_then(Value::as_str)
        == Some("SIZE")
}

/// The metrics of the collection holding the item keyed by `key_attributes`; `None` for a table
/// without local secondary indexes.
pub fn metrics(store: &Store, table: &TableRecord, key_attributes: &Item) -> Res<Option<Value>> {
    if table.local_indexes.is_empty() {
        return Ok(None);
    }
    let hash = &table.keys.hash.name;
    let Some(value) = key_attributes.get(hash) else {
        return Ok(None);
    };
    // Item keys and LSI entry keys both begin with the encoded partition key value.
    let Some(prefix) = encode_key(value) else {
        return Ok(None);
    };
    let upper = prefix_successor(&prefix);
    let upper = upper.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
    let mut bytes = 0u64;
    let spaces = std::iter::once(table.item_space())
        .chain(table.local_indexes.iter().map(|index| index.space.clone()));
    for space in spaces {
        store.ordered_visit(
            &space,
            Bound::Included(&prefix),
            upper,
            Direction::Forward,
            |key, stored| {
                bytes += (key.len() + stored.len()) as u64;
                ControlFlow::Continue(())
            },
        )?;
    }
    let lower = (bytes as f64 / GIB).floor();
    Ok(Some(json!({
        "ItemCollectionKey": { hash: value.to_json() },
        "SizeEstimateRangeGB": [lower, lower + 1.0],
    })))
}

/// The key of the collection a one-item write must report on, if the request asked (taken
/// before the action leaves for the writer thread).
pub fn wanted(input: &Document, action: &WriteAction) -> Option<Item> {
    requested(input).then(|| action.key_attributes.clone())
}

/// One item write's answer: adds `ItemCollectionMetrics` to `out` for the collection
/// [`wanted`] named, if the table has collections.
pub fn report_one(
    out: &mut Map<String, Value>,
    store: &Store,
    table: &TableRecord,
    wanted: Option<&Item>,
) -> Res<()> {
    if let Some(key_attributes) = wanted
        && let Some(metrics) = metrics(store, table, key_attributes)?
    {
        out.insert("ItemCollectionMetrics".into(), metrics);
    }
    Ok(())
}

/// BatchWriteItem's and TransactWriteItems' answer: per table, one entry per item collection
/// the writes touched (in the order first touched), when asked.
pub fn report_many<'a>(
    out: &mut Map<String, Value>,
    input: &Document,
    store: &Store,
    actions: impl Iterator<Item = &'a WriteAction>,
) -> Res<()> {
    if !requested(input) {
        return Ok(());
    }
    let mut by_table: Map<String, Value> = Map::new();
    let mut seen: Vec<(&str, Value)> = Vec::new();
    for action in actions {
        let table = &action.table;
        let Some(metrics) = metrics(store, table, &action.key_attributes)? else {
            continue;
        };
        let key = metrics["ItemCollectionKey"].clone();
        if seen
            .iter()
            .any(|(name, seen_key)| *name == table.name && *seen_key == key)
        {
            continue;
        }
        seen.push((&table.name, key));
        let list = by_table
            .entry(table.name.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            list.push(metrics);
        }
    }
    if !by_table.is_empty() {
        out.insert("ItemCollectionMetrics".into(), Value::Object(by_table));
    }
    Ok(())
}
