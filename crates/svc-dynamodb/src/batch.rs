//! BatchWriteItem and BatchGetItem.
//!
//! A BatchWriteItem commits all its puts and deletes in one store transaction (one definition
//! check and one counts update per table, see `table_writes.rs`). Nimbus does not throttle, so
//! `UnprocessedItems` is always empty; a BatchGetItem leaves keys unprocessed only when its
//! answer would pass AWS's 16 MB limit, as AWS does. A batch of many tables is one request
//! like any other: a table that does not exist fails the whole batch, before anything is
//! written.

use std::collections::HashSet;
use std::sync::Arc;

use nimbus_core::{Document, RequestContext};
use nimbus_dynamodb_lang::{item_size, item_to_json, parse_item, project, read_capacity_units, write_capacity_units};
use serde_json::{Map, Value, json};

use crate::DynamoDb;
use crate::collections;
use crate::actions::{Change, WriteAction};
use crate::capacity::CapacityByTable;
use crate::errors::{Fail, Res, invalid, invalid_parameter, member_null};
use crate::items::{members, read_projection};
use crate::keys::lookup_key;
use crate::records::TableRecord;
use crate::storage::decode_item;
use crate::table_writes::TableWrites;

/// AWS's limits: write requests per BatchWriteItem, keys per BatchGetItem, bytes per answer.
pub const MAX_BATCH_WRITES: usize = 25;
pub const MAX_BATCH_KEYS: usize = 100;
pub const MAX_BATCH_GET_BYTES: usize = 16 * 1024 * 1024;

const DUPLICATE_KEYS: &str = "Provided list of item keys contains duplicates";

impl DynamoDb {
    /// The table a batch or transaction names (by name or ARN) under `name`.
    pub(crate) fn table_named(&self, ctx: &RequestContext, name: &str) -> Res<Arc<TableRecord>> {
        Ok(self.table_for_items(ctx, &json!({"TableName": name}))?.1)
    }

    pub(crate) fn batch_write_item(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let requests = request_items(input)?;
        let total: usize = requests.values().map(|list| list.as_array().map_or(0, Vec::len)).sum();
        if total > MAX_BATCH_WRITES {
            return invalid("Too many items requested for the BatchWriteItem call");
        }
        let tables = requests.keys().map(|name| self.table_named(ctx, name)).collect::<Res<Vec<_>>>()?;
        let mut actions = Vec::with_capacity(total);
        let mut seen = HashSet::with_capacity(total);
        for (list, table) in requests.values().zip(&tables) {
            for request in list.as_array().map(Vec::as_slice).unwrap_or_default() {
                let action = match (request.get("PutRequest"), request.get("DeleteRequest")) {
                    (Some(put), None) => WriteAction::put(table, members(put))?,
                    (None, Some(delete)) => WriteAction::delete(table, members(delete))?,
                    // (chosen: AWS's wording is not documented)
                    _ => return invalid_parameter("A WriteRequest must contain exactly one of PutRequest or DeleteRequest"),
                };
                if !seen.insert((table.id.as_str(), action.key.clone())) {
                    return invalid(DUPLICATE_KEYS);
                }
                actions.push(action);
            }
        }
        let scope = Self::place(ctx).scope();
        let capacity = self.store.transaction(|t| {
            let mut writes = TableWrites::new(scope);
            for table in &tables {
                writes.open(t, table)?;
            }
            let mut capacity = CapacityByTable::default();
            for action in &actions {
                let old = writes.read(t, &action.table, &action.key)?;
                let new = match &action.change {
                    Change::Put(item) => Some(item),
                    _ => None,
                };
                writes.write(t, &action.table, &action.key, old.as_ref(), new)?;
                let size = old.as_ref().map_or(0, item_size).max(new.map_or(0, item_size));
                capacity.add(&action.table.name, write_capacity_units(size));
            }
            writes.finish(t)?;
            Ok::<_, Fail>(capacity)
        })?;
        let mut out = Map::new();
        out.insert("UnprocessedItems".into(), json!({}));
        capacity.report(&mut out, input);
        collections::report_many(&mut out, input, &self.store, actions.iter())?;
        Ok(Value::Object(out))
    }

    pub(crate) fn batch_get_item(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let requests = request_items(input)?;
        let total: usize = requests.values().map(|spec| spec.get("Keys").and_then(Value::as_array).map_or(0, Vec::len)).sum();
        if total > MAX_BATCH_KEYS {
            return invalid("Too many items requested for the BatchGetItem call");
        }
        // Everything is checked before anything is read.
        let mut plans = Vec::with_capacity(requests.len());
        for (name, spec) in requests {
            let table = self.table_named(ctx, name)?;
            let spec = members(spec);
            let projection = read_projection(spec)?;
            let consistent = spec.get("ConsistentRead").and_then(Value::as_bool).unwrap_or(false);
            let mut keys = Vec::new();
            let mut seen = HashSet::new();
            for key in spec.get("Keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
                let bytes = lookup_key(&table, &parse_item(key)?)?;
                if !seen.insert(bytes.clone()) {
                    return invalid(DUPLICATE_KEYS);
                }
                keys.push((bytes, key));
            }
            plans.push((name, spec, table, projection, consistent, keys));
        }
        let mut responses = Map::new();
        let mut unprocessed = Map::new();
        let mut capacity = CapacityByTable::default();
        let mut answered = 0usize;
        for (name, spec, table, projection, consistent, keys) in plans {
            let mut found = Vec::new();
            let mut left = Vec::new();
            let mut units = 0.0;
            for (key, key_json) in keys {
                if answered >= MAX_BATCH_GET_BYTES {
                    left.push(key_json.clone());
                    continue;
                }
                let item = match self.store.ordered_get(&table.item_space(), &key)? {
                    Some(bytes) => decode_item(&bytes)?,
                    None => {
                        units += read_capacity_units(0, consistent);
                        continue;
                    }
                };
                let shown = match &projection {
                    Some(projection) => project(&item, projection),
                    None => item.clone(),
                };
                let size = item_size(&shown);
                if answered + size > MAX_BATCH_GET_BYTES {
                    // This key and the rest wait for the caller's next call.
                    answered = MAX_BATCH_GET_BYTES;
                    left.push(key_json.clone());
                    continue;
                }
                answered += size;
                units += read_capacity_units(item_size(&item), consistent);
                found.push(item_to_json(&shown));
            }
            capacity.add(&table.name, units);
            responses.insert(name.clone(), Value::Array(found));
            if !left.is_empty() {
                let mut rest = spec.clone();
                rest.insert("Keys".into(), Value::Array(left));
                unprocessed.insert(name.clone(), Value::Object(rest));
            }
        }
        let mut out = Map::new();
        out.insert("Responses".into(), Value::Object(responses));
        out.insert("UnprocessedKeys".into(), Value::Object(unprocessed));
        capacity.report(&mut out, input);
        Ok(Value::Object(out))
    }
}

fn request_items(input: &Document) -> Res<&Map<String, Value>> {
    match input.get("RequestItems").and_then(Value::as_object) {
        Some(items) if !items.is_empty() => Ok(items),
        Some(_) => invalid(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
        None => Err(member_null("requestItems").into()),
    }
}
