//! PutItem, GetItem, DeleteItem, and the one-item write path UpdateItem shares.
//!
//! A write reads the old item, checks the request's condition against it, replaces it and its
//! index entries and moves the table's counts in one store transaction, so concurrent writers
//! of one item serialize, a condition sees exactly the item it guards, and every index always
//! matches the table.

use std::sync::Arc;

use nimbus_core::{Document, RequestContext};
use nimbus_store::Txn;
use nimbus_dynamodb_lang::legacy::{attributes_to_get, check_parameter_mix};
use nimbus_dynamodb_lang::{Expressions, Item, Projection, item_size, item_to_json, parse_item, project, read_capacity_units, write_capacity_units};
use serde_json::{Map, Value};

use crate::DynamoDb;
use crate::collections;
use crate::actions::{Decision, WriteAction, refusal_error};
use crate::capacity::report_one;
use crate::describe::Place;
use crate::errors::{Fail, Res, invalid, resource_not_found};
use crate::keys::lookup_key;
use crate::records::TableRecord;
use crate::storage::decode_item;
use crate::streams::RequestTime;
use crate::table_writes::TableWrites;

impl DynamoDb {
    /// The table an item request names; its absence is the data plane's bare not-found.
    pub(crate) fn table_for_items(&self, ctx: &RequestContext, input: &Document) -> Res<(Place, Arc<TableRecord>)> {
        let (place, name) = self.resolve_table_name(ctx, input)?;
        match self.store.get::<TableRecord>(&place.scope(), &name)? {
            Some(table) => Ok((place, Arc::new(table))),
            None => Err(resource_not_found().into()),
        }
    }

    pub(crate) async fn put_item(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let returns_old = return_values(input)?;
        let (place, table) = self.table_for_items(ctx, input)?;
        let action = WriteAction::put(&table, members(input))?;
        let collection = collections::wanted(input, &action);
        let (old, decision) = self.apply_one_async(&place, action).await?;
        let size = old.as_ref().map_or(0, item_size).max(decision.new.as_ref().map_or(0, item_size));
        let mut out = Map::new();
        if let (true, Some(old)) = (returns_old, &old) {
            out.insert("Attributes".into(), item_to_json(old));
        }
        report_one(&mut out, input, &table.name, write_capacity_units(size));
        collections::report_one(&mut out, &self.store, &table, collection.as_ref())?;
        Ok(Value::Object(out))
    }

    pub(crate) async fn delete_item(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let returns_old = return_values(input)?;
        let (place, table) = self.table_for_items(ctx, input)?;
        let action = WriteAction::delete(&table, members(input))?;
        let collection = collections::wanted(input, &action);
        let (old, _) = self.apply_one_async(&place, action).await?;
        let mut out = Map::new();
        if let (true, Some(old)) = (returns_old, &old) {
            out.insert("Attributes".into(), item_to_json(old));
        }
        report_one(&mut out, input, &table.name, write_capacity_units(old.as_ref().map_or(0, item_size)));
        collections::report_one(&mut out, &self.store, &table, collection.as_ref())?;
        Ok(Value::Object(out))
    }

    pub(crate) fn get_item(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let projection = read_projection(members(input))?;
        let (_, table) = self.table_for_items(ctx, input)?;
        let key = lookup_key(&table, &parse_item(&input["Key"])?)?;
        let item = match self.store.ordered_get(&table.item_space(), &key)? {
            Some(bytes) => Some(decode_item(&bytes)?),
            None => None,
        };
        let consistent = input.get("ConsistentRead").and_then(Value::as_bool).unwrap_or(false);
        let mut out = Map::new();
        // Capacity counts the whole item, whatever the projection keeps.
        let size = item.as_ref().map_or(0, item_size);
        if let Some(item) = item {
            let shown = match &projection {
                Some(projection) => project(&item, projection),
                None => item,
            };
            out.insert("Item".into(), item_to_json(&shown));
        }
        report_one(&mut out, input, &table.name, read_capacity_units(size, consistent));
        Ok(Value::Object(out))
    }

    /// Applies one action in its own transaction; returns the item it found and what became of
    /// it. A refusal is the operation's error (ConditionalCheckFailedException, with the item
    /// when asked).
    pub(crate) fn apply_one(&self, place: &Place, action: &WriteAction) -> Res<(Option<Item>, Decision)> {
        self.store.transaction(|t| apply_in(t, place.scope(), action))
    }

    /// [`DynamoDb::apply_one`] for the single-item operations: the action, parsed on the
    /// request's thread, is applied on the store's writer thread, and no thread waits for the
    /// commit. Under load, many requests then share one commit for one queue push and one
    /// wake-up each, where a blocking-pool hand-off cost a thread switch on either side.
    pub(crate) async fn apply_one_async(&self, place: &Place, action: WriteAction) -> Res<(Option<Item>, Decision)> {
        let (scope, now_ms) = (place.scope(), self.clock.now_millis());
        self.store
            .transaction_async(move |t| {
                // Stream records take the request's time; the writer thread serves many requests.
                let _time = RequestTime::enter(now_ms);
                apply_in(t, scope, &action)
            })
            .await
    }
}

/// One action in `t`: read the item, decide, write it, its index entries and counts.
fn apply_in(t: &mut Txn, scope: String, action: &WriteAction) -> Res<(Option<Item>, Decision)> {
    let mut writes = TableWrites::new(scope);
    writes.open(t, &action.table)?;
    let old = writes.read(t, &action.table, &action.key)?;
    let decision = match action.decide(old.as_ref()) {
        Ok(decision) => decision,
        Err(refusal) => return Err(Fail(refusal_error(refusal, old.as_ref(), action.return_old_on_failure))),
    };
    if decision.writes {
        writes.write(t, &action.table, &action.key, old.as_ref(), decision.new.as_ref())?;
        writes.finish(t)?;
    }
    Ok((old, decision))
}

/// The request's members (the codec hands every operation an object).
pub(crate) fn members(input: &Document) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    input.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// What a read returns of each item: `ProjectionExpression` (with ExpressionAttributeNames) or
/// legacy `AttributesToGet`; `None`: the whole item. GetItem, BatchGetItem's tables and
/// TransactGetItems' Gets.
pub(crate) fn read_projection(input: &Map<String, Value>) -> Res<Option<Projection>> {
    check_parameter_mix(input)?;
    let mut expressions = Expressions::from_json(input.get("ExpressionAttributeNames"), None)?;
    let projection = match (input.get("ProjectionExpression").and_then(Value::as_str), input.get("AttributesToGet")) {
        (Some(text), _) => Some(expressions.projection(text)?),
        (None, Some(names)) if !names.is_null() => Some(attributes_to_get(names)?),
        _ => None,
    };
    expressions.finish()?;
    Ok(projection)
}

/// Whether the old item is asked for: PutItem and DeleteItem take only NONE and ALL_OLD.
fn return_values(input: &Document) -> Res<bool> {
    match input.get("ReturnValues").and_then(Value::as_str) {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(_) => invalid("Return values set to invalid value"),
    }
}
