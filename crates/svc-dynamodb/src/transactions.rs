//! TransactWriteItems and TransactGetItems.
//!
//! A write transaction's actions are parsed and checked first (a malformed action fails the
//! request with a ValidationException, as on AWS); then, in one store transaction, every
//! action is decided against its item as it stands. If any is refused, nothing is written and
//! the answer is `TransactionCanceledException` with one reason per action, in request order
//! (`None`, `ConditionalCheckFailed` with the item when asked, `ValidationError`); otherwise
//! all writes commit together. Store transactions are serialized, so Nimbus never answers
//! `TransactionConflictException`. A read transaction reads all its items inside one store
//! transaction, so it sees every write transaction entirely or not at all.

use std::collections::HashSet;
use std::sync::Arc;

use nimbus_core::{Document, RequestContext, ServiceError};
use nimbus_dynamodb_lang::{Item, item_size, item_to_json, parse_item, project, read_capacity_units, write_capacity_units};
use serde_json::{Map, Value, json};

use crate::DynamoDb;
use crate::actions::{CONDITION_FAILED, Change, Decision, Refusal, WriteAction};
use crate::capacity::CapacityByTable;
use crate::collections;
use crate::errors::{Fail, Res, invalid, member_null};
use crate::idempotency::{self, Seen};
use crate::items::{members, read_projection};
use crate::keys::lookup_key;
use crate::records::TableRecord;
use crate::storage::decode_item;
use crate::table_writes::TableWrites;

/// AWS's limit on actions per transaction (the model's too).
pub const MAX_TRANSACTION_ACTIONS: usize = 100;

/// "The aggregate size of the items in the transaction cannot exceed 4 MB" (API reference).
pub const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;
pub const TOO_LARGE: &str = "Transaction request cannot be larger than 4 MB";

const ONE_ITEM_ONCE: &str = "Transaction request cannot include multiple operations on one item";

/// The four kinds of write action, as the request names them.
const WRITE_KINDS: [&str; 4] = ["ConditionCheck", "Put", "Delete", "Update"];

impl DynamoDb {
    pub(crate) fn transact_write_items(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let list = transact_items(input)?;
        // Each action names exactly one kind.
        let mut bodies = Vec::with_capacity(list.len());
        for (position, element) in list.iter().enumerate() {
            let present: Vec<&str> = WRITE_KINDS.iter().copied().filter(|kind| element.get(*kind).is_some_and(|v| !v.is_null())).collect();
            let [kind] = present[..] else {
                // (chosen: AWS's wording is not documented)
                return invalid(format!(
                    "1 validation error detected: Value at 'transactItems.{}.member' failed to satisfy constraint: Member must contain exactly one of ConditionCheck, Put, Delete or Update",
                    position + 1
                ));
            };
            bodies.push((kind, members(&element[kind])));
        }
        let tables = self.tables_of(ctx, bodies.iter().map(|(_, body)| *body))?;
        let mut actions = Vec::with_capacity(bodies.len());
        let mut seen = HashSet::with_capacity(bodies.len());
        for (kind, body) in &bodies {
            let table = table_for(&tables, body);
            let action = match *kind {
                "Put" => WriteAction::put(table, body)?,
                "Delete" => WriteAction::delete(table, body)?,
                "Update" => WriteAction::update(table, body)?,
                _ => WriteAction::check(table, body)?,
            };
            if !seen.insert((table.id.as_str(), action.key.clone())) {
                return invalid(ONE_ITEM_ONCE);
            }
            actions.push(action);
        }
        if request_size(&actions) > MAX_TRANSACTION_BYTES {
            // (chosen: the API reference names the limit, not the message; this is the
            // ValidationException text DynamoDB is reported to answer with)
            return invalid(TOO_LARGE);
        }
        let token = input.get("ClientRequestToken").and_then(Value::as_str);
        let request = token.map(|_| input["TransactItems"].to_string());
        let capacity = self.commit_write_transaction(&Self::place(ctx), &tables, &actions, token, request)?;
        let mut out = Map::new();
        capacity.report(&mut out, input);
        let written = actions.iter().filter(|action| !matches!(action.change, Change::Check));
        collections::report_many(&mut out, input, &self.store, written)?;
        Ok(Value::Object(out))
    }

    /// Decides every action against its item and writes all of them, or none with
    /// `TransactionCanceledException`, in one store transaction; a `ClientRequestToken` (with
    /// the request's text, to tell a replay from a different request) makes it idempotent for
    /// 10 minutes. TransactWriteItems and ExecuteTransaction's writes.
    pub(crate) fn commit_write_transaction(
        &self,
        place: &crate::describe::Place,
        tables: &[(String, Arc<TableRecord>)],
        actions: &[WriteAction],
        token: Option<&str>,
        request: Option<String>,
    ) -> Res<CapacityByTable> {
        let now_ms = self.clock.now_millis();
        self.store.transaction(|t| {
            if let (Some(token), Some(request)) = (token, &request)
                && let Seen::Replay(capacity) = idempotency::check(t, place, token, request, now_ms)?
            {
                return Ok(CapacityByTable::from_pairs(capacity));
            }
            let mut writes = TableWrites::new(place.scope());
            for (_, table) in tables {
                writes.open(t, table)?;
            }
            let mut olds = Vec::with_capacity(actions.len());
            let mut decisions = Vec::with_capacity(actions.len());
            for action in actions {
                let old = writes.read(t, &action.table, &action.key)?;
                decisions.push(action.decide(old.as_ref()));
                olds.push(old);
            }
            if decisions.iter().any(Result::is_err) {
                return Err(Fail(cancelled(actions, &olds, &decisions)));
            }
            let mut capacity = CapacityByTable::default();
            for ((action, old), decision) in actions.iter().zip(&olds).zip(decisions) {
                let Ok(Decision { new, writes: changes, .. }) = decision else { unreachable!("refusals returned above") };
                if changes {
                    writes.write(t, &action.table, &action.key, old.as_ref(), new.as_ref())?;
                }
                let old_size = old.as_ref().map_or(0, item_size);
                // Transactional reads and writes cost twice the standard units.
                let units = match action.change {
                    Change::Check => 2.0 * read_capacity_units(old_size, true),
                    _ => 2.0 * write_capacity_units(old_size.max(new.as_ref().map_or(0, item_size))),
                };
                capacity.add(&action.table.name, units);
            }
            writes.finish(t)?;
            if let (Some(token), Some(request)) = (token, request) {
                idempotency::remember(t, place, token, request, capacity.pairs().to_vec(), now_ms)?;
            }
            Ok(capacity)
        })
    }

    pub(crate) fn transact_get_items(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let list = transact_items(input)?;
        let mut gets = Vec::with_capacity(list.len());
        for (position, element) in list.iter().enumerate() {
            match element.get("Get").filter(|v| !v.is_null()) {
                Some(get) => gets.push(members(get)),
                None => return Err(member_null(&format!("transactItems.{}.member.get", position + 1)).into()),
            }
        }
        let tables = self.tables_of(ctx, gets.iter().copied())?;
        let mut reads = Vec::with_capacity(gets.len());
        let mut seen = HashSet::with_capacity(gets.len());
        for get in &gets {
            let table = table_for(&tables, get);
            let projection = read_projection(get)?;
            let key = lookup_key(table, &parse_item(get.get("Key").unwrap_or(&Value::Null))?)?;
            if !seen.insert((table.id.as_str(), key.clone())) {
                return invalid(ONE_ITEM_ONCE);
            }
            reads.push((table, key, projection));
        }
        let items = self.read_together(reads.iter().map(|(table, key, _)| (table.as_ref(), key.as_slice())))?;
        let mut capacity = CapacityByTable::default();
        let mut responses = Vec::with_capacity(items.len());
        for ((table, _, projection), item) in reads.iter().zip(items) {
            capacity.add(&table.name, 2.0 * read_capacity_units(item.as_ref().map_or(0, item_size), true));
            responses.push(match item {
                Some(item) => {
                    let shown = match projection {
                        Some(projection) => project(&item, projection),
                        None => item,
                    };
                    json!({"Item": item_to_json(&shown)})
                }
                None => json!({}),
            });
        }
        let mut out = Map::new();
        out.insert("Responses".into(), Value::Array(responses));
        capacity.report(&mut out, input);
        Ok(Value::Object(out))
    }

    /// Reads items inside one store transaction, so they are consistent with each other (a
    /// write transaction is seen whole or not at all). TransactGetItems and ExecuteTransaction's
    /// reads.
    pub(crate) fn read_together<'k>(&self, reads: impl Iterator<Item = (&'k TableRecord, &'k [u8])>) -> Res<Vec<Option<Item>>> {
        self.store.transaction(|t| {
            let mut items = Vec::new();
            for (table, key) in reads {
                items.push(match t.ordered_get(&table.item_space(), key)? {
                    Some(bytes) => Some(decode_item(&bytes)?),
                    None => None,
                });
            }
            Ok::<_, Fail>(items)
        })
    }

    /// The distinct tables the actions name, each read once.
    pub(crate) fn tables_of<'a>(&self, ctx: &RequestContext, bodies: impl Iterator<Item = &'a Map<String, Value>>) -> Res<Vec<(String, Arc<TableRecord>)>> {
        let mut tables: Vec<(String, Arc<TableRecord>)> = Vec::new();
        for body in bodies {
            let name = body.get("TableName").and_then(Value::as_str).unwrap_or_default();
            if !tables.iter().any(|(given, _)| given == name) {
                tables.push((name.to_owned(), self.table_named(ctx, name)?));
            }
        }
        Ok(tables)
    }
}

/// The bytes a transaction's actions carry: whole items for puts, keys for the rest.
pub(crate) fn request_size(actions: &[WriteAction]) -> usize {
    actions
        .iter()
        .map(|action| match &action.change {
            Change::Put(item) => item_size(item),
            _ => item_size(&action.key_attributes),
        })
        .sum()
}

fn table_for<'t>(tables: &'t [(String, Arc<TableRecord>)], body: &Map<String, Value>) -> &'t Arc<TableRecord> {
    let name = body.get("TableName").and_then(Value::as_str).unwrap_or_default();
    &tables.iter().find(|(given, _)| given == name).expect("every action's table was read").1
}

fn transact_items(input: &Document) -> Res<&Vec<Value>> {
    let Some(list) = input.get("TransactItems").and_then(Value::as_array) else {
        return Err(member_null("transactItems").into());
    };
    if list.is_empty() || list.len() > MAX_TRANSACTION_ACTIONS {
        let bound = if list.is_empty() { "greater than or equal to 1" } else { "less than or equal to 100" };
        return invalid(format!(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length {bound}"
        ));
    }
    Ok(list)
}

/// TransactionCanceledException: one reason per action, in request order.
fn cancelled(actions: &[WriteAction], olds: &[Option<Item>], decisions: &[Result<Decision, Refusal>]) -> ServiceError {
    let mut codes = Vec::with_capacity(decisions.len());
    let mut reasons = Vec::with_capacity(decisions.len());
    for ((action, old), decision) in actions.iter().zip(olds).zip(decisions) {
        let reason = match decision {
            Ok(_) => json!({"Code": "None"}),
            Err(Refusal::ConditionFailed) => {
                let mut reason = json!({"Code": "ConditionalCheckFailed", "Message": CONDITION_FAILED});
                if let (true, Some(old)) = (action.return_old_on_failure, old) {
                    reason["Item"] = item_to_json(old);
                }
                reason
            }
            Err(Refusal::Invalid(message)) => json!({"Code": "ValidationError", "Message": message}),
        };
        codes.push(reason["Code"].as_str().unwrap_or_default().to_owned());
        reasons.push(reason);
    }
    ServiceError::new(
        "TransactionCanceledException",
        format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", ")),
    )
    .with_field("CancellationReasons", Value::Array(reasons))
}

/// What a batch or transaction asks of strict mode: the batch operation on each table it
/// names; for transactions, as AWS authorizes them, each action's own item action
/// (`dynamodb:PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`, `GetItem`) on its
/// table. `None` for the other operations.
pub(crate) fn multi_table_access(place: &crate::describe::Place, operation: &str, input: &Document) -> Option<Vec<nimbus_core::Access>> {
    let arn = |name: &str| if name.starts_with("arn:") { name.to_owned() } else { place.table_arn(name) };
    match operation {
        "BatchWriteItem" | "BatchGetItem" => {
            let tables = input.get("RequestItems").and_then(Value::as_object)?;
            Some(vec![nimbus_core::Access::new(format!("dynamodb:{operation}"), tables.keys().map(|name| arn(name)).collect())])
        }
        "TransactWriteItems" | "TransactGetItems" => {
            let mut accesses: Vec<nimbus_core::Access> = Vec::new();
            for element in input.get("TransactItems").and_then(Value::as_array)? {
                let Some((kind, body)) = element.as_object().and_then(|members| members.iter().next()) else { continue };
                let action = match kind.as_str() {
                    "Put" => "dynamodb:PutItem",
                    "Update" => "dynamodb:UpdateItem",
                    "Delete" => "dynamodb:DeleteItem",
                    "ConditionCheck" => "dynamodb:ConditionCheckItem",
                    _ => "dynamodb:GetItem",
                };
                let resource = arn(body.get("TableName").and_then(Value::as_str).unwrap_or_default());
                match accesses.iter_mut().find(|a| a.action == action) {
                    Some(access) if !access.resources.contains(&resource) => access.resources.push(resource),
                    Some(_) => {}
                    None => accesses.push(nimbus_core::Access::new(action, vec![resource])),
                }
            }
            Some(accesses)
        }
        _ => None,
    }
}
