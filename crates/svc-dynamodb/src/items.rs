//! PutItem, GetItem, DeleteItem.
//!
//! A write reads the old item, replaces it and its index entries and moves the table's counts
//! in one store transaction, so concurrent writers of one item serialize and every index always
//! matches the table. Condition and projection expressions wait for the expression evaluator
//! (`nimbus-dynamodb-lang`); until then a request carrying one answers `NotImplemented`.

use nimbus_core::{Document, RequestContext, ServiceError};
use nimbus_dynamodb_lang::{Item, MAX_ITEM_SIZE, item_size, item_to_json, parse_item, read_capacity_units, write_capacity_units};
use serde_json::{Map, Value, json};

use crate::describe::Place;
use crate::errors::{Fail, Res, invalid, resource_not_found};
use crate::keys::{check_index_keys, item_key, lookup_key};
use crate::records::{TableRecord, TableStats};
use crate::storage::{decode_item, write_item};
use crate::DynamoDb;

/// Members that need the expression language, which is not wired in yet.
const NEEDS_EXPRESSIONS: &[&str] = &["ConditionExpression", "Expected", "ConditionalOperator", "ProjectionExpression"];

impl DynamoDb {
    /// The table an item request names; its absence is the data plane's bare not-found.
    fn table_for_items(&self, ctx: &RequestContext, input: &Document) -> Res<(Place, TableRecord)> {
        let (place, name) = self.resolve_table_name(ctx, input)?;
        match self.store.get::<TableRecord>(&place.scope(), &name)? {
            Some(table) => Ok((place, table)),
            None => Err(resource_not_found().into()),
        }
    }

    pub(crate) fn put_item(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Res<Document> {
        refuse_expressions(operation, input)?;
        let returns_old = return_values(input)?;
        let (place, table) = self.table_for_items(ctx, input)?;
        let item = parse_item(&input["Item"])?;
        if item_size(&item) > MAX_ITEM_SIZE {
            return invalid("Item size has exceeded the maximum allowed size");
        }
        let key = item_key(&table, &item)?;
        check_index_keys(&table, &item)?;
        let old = self.replace(&place, &table, &key, Some(&item))?;
        let size = old.as_ref().map_or(0, item_size).max(item_size(&item));
        let mut out = Map::new();
        if let (true, Some(old)) = (returns_old, &old) {
            out.insert("Attributes".into(), item_to_json(old));
        }
        consumed(&mut out, input, &table, write_capacity_units(size));
        Ok(Value::Object(out))
    }

    pub(crate) fn delete_item(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Res<Document> {
        refuse_expressions(operation, input)?;
        let returns_old = return_values(input)?;
        let (place, table) = self.table_for_items(ctx, input)?;
        let key = lookup_key(&table, &parse_item(&input["Key"])?)?;
        let old = self.replace(&place, &table, &key, None)?;
        let mut out = Map::new();
        if let (true, Some(old)) = (returns_old, &old) {
            out.insert("Attributes".into(), item_to_json(old));
        }
        consumed(&mut out, input, &table, write_capacity_units(old.as_ref().map_or(0, item_size)));
        Ok(Value::Object(out))
    }

    pub(crate) fn get_item(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Res<Document> {
        refuse_expressions(operation, input)?;
        let (_, table) = self.table_for_items(ctx, input)?;
        let key = lookup_key(&table, &parse_item(&input["Key"])?)?;
        let item = match self.store.ordered_get(&table.item_space(), &key)? {
            Some(bytes) => Some(decode_item(&bytes)?),
            None => None,
        };
        let consistent = input.get("ConsistentRead").and_then(Value::as_bool).unwrap_or(false);
        let mut out = Map::new();
        let size = item.as_ref().map_or(0, item_size);
        if let Some(item) = item {
            let shown = match input.get("AttributesToGet").and_then(Value::as_array) {
                Some(names) => {
                    let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
                    item.into_iter().filter(|(name, _)| names.contains(&name.as_str())).collect()
                }
                None => item,
            };
            out.insert("Item".into(), item_to_json(&shown));
        }
        consumed(&mut out, input, &table, read_capacity_units(size, consistent));
        Ok(Value::Object(out))
    }

    /// Writes `new` (or deletes, when `None`) under `key` and returns the item it replaced.
    fn replace(&self, place: &Place, table: &TableRecord, key: &[u8], new: Option<&Item>) -> Res<Option<Item>> {
        let scope = place.scope();
        self.store.transaction(|t| {
            // The table may have been deleted (or deleted and re-created) since it was read.
            match t.get::<TableRecord>(&scope, &table.name)? {
                Some(current) if current.id == table.id => {}
                _ => return Err(Fail(resource_not_found())),
            }
            let old = match t.ordered_get(&table.item_space(), key)? {
                Some(bytes) => Some(decode_item(&bytes)?),
                None => None,
            };
            if old.is_none() && new.is_none() {
                return Ok(None);
            }
            let mut stats = t.get::<TableStats>(&scope, &table.id)?.unwrap_or_default();
            write_item(t, table, key, old.as_ref(), new, &mut stats)?;
            t.put(&scope, &table.id, &stats)?;
            Ok(old)
        })
    }
}

fn refuse_expressions(operation: &str, input: &Document) -> Res<()> {
    match NEEDS_EXPRESSIONS.iter().find(|m| input.get(**m).is_some()) {
        Some(member) => Err(ServiceError::not_implemented("DynamoDB", &format!("{operation} with {member}")).into()),
        None => Ok(()),
    }
}

/// Whether the old item is asked for: PutItem and DeleteItem take only NONE and ALL_OLD.
fn return_values(input: &Document) -> Res<bool> {
    match input.get("ReturnValues").and_then(Value::as_str) {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(_) => invalid("Return values set to invalid value"),
    }
}

/// ConsumedCapacity, when ReturnConsumedCapacity asks for it (INDEXES also breaks out the table).
fn consumed(out: &mut Map<String, Value>, input: &Document, table: &TableRecord, units: f64) {
    match input.get("ReturnConsumedCapacity").and_then(Value::as_str) {
        Some("TOTAL") => {
            out.insert("ConsumedCapacity".into(), json!({"TableName": table.name, "CapacityUnits": units}));
        }
        Some("INDEXES") => {
            out.insert(
                "ConsumedCapacity".into(),
                json!({"TableName": table.name, "CapacityUnits": units, "Table": {"CapacityUnits": units}}),
            );
        }
        _ => {}
    }
}
