//! ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: PartiQL statements (parsed by
//! `nimbus_dynamodb_lang::partiql`) run through the same code as the JSON operations, so they
//! keep every rule of those (key checks, conditions, index upkeep, streams, capacity):
//!
//! - `SELECT` becomes a Query when its WHERE pins the queried partition key with `=` (plus at
//!   most one sort-key condition), else a Scan; the rest of the WHERE is the filter, written
//!   back as expression text (`ExpressionWriter`). A page's `LastEvaluatedKey` is also handed
//!   out as the opaque `NextToken`.
//! - `INSERT` is a Put on condition that the key is new (else `DuplicateItemException`).
//! - `UPDATE` and `DELETE` must name one item by equalities on all its key attributes; the rest
//!   of the WHERE is a condition on that item. UPDATE of an absent item fails its condition;
//!   DELETE of an absent item succeeds and deletes nothing (the developer guide's rules).
//! - `EXISTS(SELECT ...)` is ExecuteTransaction's condition check.

use std::sync::Arc;

use base64::Engine;
use nimbus_core::{Document, RequestContext, ServiceError};
use nimbus_dynamodb_lang::partiql::{Returning, Select, Statement, parse_statement};
use nimbus_dynamodb_lang::{
    AttributeValue, Comparator, Condition, ExpressionWriter, Item, MAX_ITEM_SIZE, Operand, Path, evaluate, item_size,
    item_to_json, project_paths,
};
use serde_json::{Map, Value, json};

use crate::DynamoDb;
use crate::actions::{Change, WriteAction, refuse_key_updates};
use crate::errors::{Fail, Res, invalid};
use crate::items::members;
use crate::keys::{check_index_keys, item_key, key_of, lookup_key};
use crate::reads::condition_attributes;
use crate::records::{KeySchema, TableRecord};

/// AWS's limits: statements per BatchExecuteStatement and per ExecuteTransaction.
const MAX_BATCH_STATEMENTS: usize = 25;
const MAX_TRANSACTION_STATEMENTS: usize = 100;

const KEY_EQUALITIES: &str = "Where clause does not contain a mandatory equality on all key attributes";
const DUPLICATE_ITEM: &str = "Duplicate primary key exists in table";

/// A writing statement, ready to be decided like any other write.
struct PreparedWrite {
    action: WriteAction,
    returning: Option<Returning>,
    /// An INSERT: a failed condition means the key exists.
    insert: bool,
}

impl DynamoDb {
    pub(crate) fn execute_statement(&self, ctx: &RequestContext, request: &Document) -> Res<Document> {
        let input = members(request);
        let statement = parse(input)?;
        match &statement {
            Statement::Select(select) => self.run_select(ctx, select, input),
            // (chosen) EXISTS checks a condition for a transaction; alone it has nothing to do.
            Statement::Exists(_) => invalid("EXISTS is supported only in ExecuteTransaction"),
            write => {
                let table = self.table_named(ctx, write.table())?;
                let prepared = prepare_write(&table, write, return_old_on_failure(input)?)?;
                let (old, decision) = match self.apply_one(&Self::place(ctx), &prepared.action) {
                    Err(Fail(e)) if prepared.insert && e.code == "ConditionalCheckFailedException" => {
                        return Err(Fail(ServiceError::new("DuplicateItemException", DUPLICATE_ITEM)));
                    }
                    other => other?,
                };
                let mut out = Map::new();
                out.insert("Items".into(), Value::Array(returned(prepared.returning, old.as_ref(), decision.new.as_ref(), &decision.updated_paths)));
                Ok(Value::Object(out))
            }
        }
    }

    /// Up to 25 statements, each on its own: all reads (each a SELECT naming one item by its
    /// whole key) or all writes. Each answers with its item or its own error.
    pub(crate) fn batch_execute_statement(&self, ctx: &RequestContext, request: &Document) -> Res<Document> {
        let list = statements(request, "Statements", "statements", MAX_BATCH_STATEMENTS)?;
        let mut parsed = Vec::with_capacity(list.len());
        for element in list {
            let body = members(element);
            parsed.push((parse(body), body));
        }
        refuse_mixed(parsed.iter().filter_map(|(statement, _)| statement.as_ref().ok()))?;
        let place = Self::place(ctx);
        let mut responses = Vec::with_capacity(parsed.len());
        for (statement, body) in parsed {
            let table_name = statement.as_ref().ok().map(|s| s.table().to_owned());
            let outcome = statement.and_then(|statement| {
                let table = self.table_named(ctx, statement.table())?;
                let item = match &statement {
                    Statement::Select(select) => self.get_selected(&table, select)?,
                    write => {
                        let prepared = prepare_write(&table, write, return_old_on_failure(body)?)?;
                        match self.apply_one(&place, &prepared.action) {
                            Err(Fail(e)) if prepared.insert && e.code == "ConditionalCheckFailedException" => {
                                return Err(Fail(ServiceError::new("DuplicateItemException", DUPLICATE_ITEM)));
                            }
                            other => other?,
                        };
                        None
                    }
                };
                Ok((statement.table().to_owned(), item))
            });
            responses.push(match outcome {
                Ok((table, Some(item))) => json!({"TableName": table, "Item": item_to_json(&item)}),
                Ok((table, None)) => json!({"TableName": table}),
                Err(Fail(e)) => batch_error(table_name, e),
            });
        }
        Ok(json!({"Responses": responses}))
    }

    /// Up to 100 statements as one transaction: all reads (SELECTs of single items, read
    /// together) or all writes (INSERT, UPDATE, DELETE, EXISTS), applied all or none.
    pub(crate) fn execute_transaction(&self, ctx: &RequestContext, request: &Document) -> Res<Document> {
        let list = statements(request, "TransactStatements", "transactStatements", MAX_TRANSACTION_STATEMENTS)?;
        let mut parsed = Vec::with_capacity(list.len());
        for element in list {
            let body = members(element);
            parsed.push((parse(body)?, body));
        }
        refuse_mixed(parsed.iter().map(|(statement, _)| statement))?;
        let bodies: Vec<Map<String, Value>> =
            parsed.iter().map(|(statement, _)| Map::from_iter([("TableName".to_owned(), json!(statement.table()))])).collect();
        let tables = self.tables_of(ctx, bodies.iter())?;
        let table_of = |name: &str| &tables.iter().find(|(given, _)| given == name).expect("every statement's table was read").1;
        let mut seen = std::collections::HashSet::new();
        if parsed.first().is_some_and(|(statement, _)| matches!(statement, Statement::Select(_))) {
            let mut reads = Vec::with_capacity(parsed.len());
            for (statement, _) in &parsed {
                let Statement::Select(select) = statement else { unreachable!("reads and writes are not mixed") };
                let table = table_of(&select.table);
                let (key, _, rest) = selected_key(table, select)?;
                if !seen.insert((table.id.clone(), key.clone())) {
                    return invalid("Transaction request cannot include multiple operations on one item");
                }
                reads.push((table, key, rest, select));
            }
            let items = self.read_together(reads.iter().map(|(table, key, _, _)| (table.as_ref(), key.as_slice())))?;
            let responses: Vec<Value> = reads
                .iter()
                .zip(items)
                .map(|((_, _, rest, select), item)| match shown(item, rest.as_ref(), select) {
                    Some(item) => json!({"Item": item_to_json(&item)}),
                    None => json!({}),
                })
                .collect();
            return Ok(json!({"Responses": responses}));
        }
        let mut prepared = Vec::with_capacity(parsed.len());
        for (statement, body) in &parsed {
            let table = table_of(statement.table());
            let write = match statement {
                Statement::Exists(select) => {
                    let (key, key_attributes, rest) = selected_key(table, select)?;
                    let exists = Condition::AttributeExists(Path::attribute(table.keys.hash.name.clone()));
                    let condition = rest.map_or(exists.clone(), |rest| Condition::And(Box::new(exists), Box::new(rest)));
                    let action = WriteAction { table: table.clone(), key, key_attributes, change: Change::Check, condition: Some(condition), return_old_on_failure: return_old_on_failure(body)? };
                    PreparedWrite { action, returning: None, insert: false }
                }
                write => prepare_write(table, write, return_old_on_failure(body)?)?,
            };
            if !seen.insert((table.id.clone(), write.action.key.clone())) {
                return invalid("Transaction request cannot include multiple operations on one item");
            }
            prepared.push(write);
        }
        let actions: Vec<WriteAction> = prepared.iter().map(|p| p.action.clone()).collect();
        if crate::transactions::request_size(&actions) > crate::transactions::MAX_TRANSACTION_BYTES {
            return invalid(crate::transactions::TOO_LARGE);
        }
        let token = request.get("ClientRequestToken").and_then(Value::as_str);
        let request_text = token.map(|_| request["TransactStatements"].to_string());
        match self.commit_write_transaction(&Self::place(ctx), &tables, &actions, token, request_text) {
            Ok(_) => Ok(json!({})),
            Err(Fail(e)) if e.code == "TransactionCanceledException" => Err(Fail(duplicates_named(e, &prepared))),
            Err(e) => Err(e),
        }
    }

    /// A SELECT: a Query when the WHERE pins the partition key, else a Scan.
    fn run_select(&self, ctx: &RequestContext, select: &Select, input: &Map<String, Value>) -> Res<Document> {
        let table = self.table_named(ctx, &select.table)?;
        let keys = match &select.index {
            None => &table.keys,
            Some(name) => match table.global_indexes.iter().chain(&table.local_indexes).find(|index| &index.name == name) {
                Some(index) => &index.keys,
                None => return invalid(format!("The table does not have the specified index: {name}")),
            },
        };
        let mut writer = ExpressionWriter::default();
        let mut read = Map::new();
        read.insert("TableName".into(), json!(select.table));
        if let Some(index) = &select.index {
            read.insert("IndexName".into(), json!(index));
        }
        let conjuncts = select.condition.as_ref().map(conjuncts).unwrap_or_default();
        let plan = query_plan(keys, &conjuncts);
        match &plan {
            Some((key_condition, filter)) => {
                read.insert("KeyConditionExpression".into(), json!(writer.condition(key_condition)));
                if let Some(filter) = filter {
                    read.insert("FilterExpression".into(), json!(writer.condition(filter)));
                }
            }
            None => {
                if let Some(condition) = &select.condition {
                    read.insert("FilterExpression".into(), json!(writer.condition(condition)));
                }
            }
        }
        if let Some((path, descending)) = &select.order_by {
            let sorts_by = keys.range.as_ref().is_some_and(|range| path.is_top_level() && path.top_level() == range.name);
            if plan.is_none() || !sorts_by {
                // (chosen) AWS orders only a query's results, by the sort key.
                return invalid("ORDER BY is supported only on the sort key, with the partition key given in the WHERE clause");
            }
            read.insert("ScanIndexForward".into(), json!(!descending));
        }
        if let Some(paths) = &select.projection {
            read.insert("ProjectionExpression".into(), json!(writer.projection(paths)));
        }
        if let Some(names) = writer.names_json() {
            read.insert("ExpressionAttributeNames".into(), names);
        }
        if let Some(values) = writer.values_json() {
            read.insert("ExpressionAttributeValues".into(), values);
        }
        for member in ["Limit", "ConsistentRead", "ReturnConsumedCapacity"] {
            if let Some(value) = input.get(member).filter(|v| !v.is_null()) {
                read.insert(member.into(), value.clone());
            }
        }
        if let Some(token) = input.get("NextToken").and_then(Value::as_str) {
            read.insert("ExclusiveStartKey".into(), decode_token(token)?);
        }
        let page = if plan.is_some() { self.query(ctx, &Value::Object(read))? } else { self.scan(ctx, &Value::Object(read))? };
        let mut out = Map::new();
        out.insert("Items".into(), page.get("Items").cloned().unwrap_or_else(|| json!([])));
        if let Some(last) = page.get("LastEvaluatedKey") {
            out.insert("NextToken".into(), json!(encode_token(last)));
            out.insert("LastEvaluatedKey".into(), last.clone());
        }
        if let Some(capacity) = page.get("ConsumedCapacity") {
            out.insert("ConsumedCapacity".into(), capacity.clone());
        }
        Ok(Value::Object(out))
    }

    /// A batch's SELECT: the one item its key names, if it exists and the rest of the WHERE
    /// holds, projected.
    fn get_selected(&self, table: &TableRecord, select: &Select) -> Res<Option<Item>> {
        let (key, _, rest) = selected_key(table, select)?;
        let item = self.read_together(std::iter::once((table, key.as_slice())))?.pop().flatten();
        Ok(shown(item, rest.as_ref(), select))
    }
}

/// The statement of a request (or of one batch or transaction member), its `?` bound.
fn parse(input: &Map<String, Value>) -> Res<Statement> {
    let text = input.get("Statement").and_then(Value::as_str).unwrap_or_default();
    let parameters = match input.get("Parameters").and_then(Value::as_array) {
        Some(list) => list.iter().map(AttributeValue::from_json).collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    Ok(parse_statement(text, &parameters)?)
}

/// The member list of a batch or transaction, within AWS's bounds.
fn statements<'a>(request: &'a Document, member: &str, path: &str, max: usize) -> Res<&'a Vec<Value>> {
    let list = request.get(member).and_then(Value::as_array);
    match list {
        Some(list) if !list.is_empty() && list.len() <= max => Ok(list),
        _ => {
            let bound = if list.is_some_and(|l| l.len() > max) { format!("less than or equal to {max}") } else { "greater than or equal to 1".to_owned() };
            invalid(format!("1 validation error detected: Value at '{path}' failed to satisfy constraint: Member must have length {bound}"))
        }
    }
}

/// Batches and transactions are all reads or all writes.
fn refuse_mixed<'s>(statements: impl Iterator<Item = &'s Statement>) -> Res<()> {
    let (mut reads, mut writes) = (false, false);
    for statement in statements {
        if matches!(statement, Statement::Select(_)) { reads = true } else { writes = true }
    }
    if reads && writes {
        // (chosen) AWS refuses the mix; its exact wording is not documented.
        return invalid("Batch or transaction requests cannot mix reads and writes");
    }
    Ok(())
}

fn return_old_on_failure(input: &Map<String, Value>) -> Res<bool> {
    match input.get("ReturnValuesOnConditionCheckFailure").and_then(Value::as_str) {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(other) => invalid(format!(
            "1 validation error detected: Value '{other}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"
        )),
    }
}

/// A writing statement as a write action on one item.
fn prepare_write(table: &Arc<TableRecord>, statement: &Statement, return_old_on_failure: bool) -> Res<PreparedWrite> {
    let hash = Path::attribute(table.keys.hash.name.clone());
    let (key, key_attributes, change, condition, returning, insert) = match statement {
        Statement::Insert(insert) => {
            if item_size(&insert.item) > MAX_ITEM_SIZE {
                return invalid("Item size has exceeded the maximum allowed size");
            }
            let key = item_key(table, &insert.item)?;
            check_index_keys(table, &insert.item)?;
            let condition = Condition::AttributeNotExists(hash);
            (key, key_of(&table.keys, &insert.item), Change::Put(insert.item.clone()), Some(condition), None, true)
        }
        Statement::Update(update) => {
            let (key_attributes, rest) = key_and_rest(&table.keys, &update.condition)?;
            refuse_key_updates(table, &update.update)?;
            let exists = Condition::AttributeExists(hash);
            let condition = rest.map_or(exists.clone(), |rest| Condition::And(Box::new(exists), Box::new(rest)));
            (lookup_key(table, &key_attributes)?, key_attributes, Change::Update(update.update.clone()), Some(condition), update.returning, false)
        }
        Statement::Delete(delete) => {
            let (key_attributes, rest) = key_and_rest(&table.keys, &delete.condition)?;
            // Deleting an absent item succeeds; the rest of the WHERE binds only an item that is there.
            let condition = rest.map(|rest| Condition::Or(Box::new(Condition::AttributeNotExists(hash)), Box::new(rest)));
            (lookup_key(table, &key_attributes)?, key_attributes, Change::Delete, condition, delete.returning, false)
        }
        Statement::Select(_) | Statement::Exists(_) => unreachable!("only writing statements are prepared"),
    };
    let action = WriteAction { table: table.clone(), key, key_attributes, change, condition, return_old_on_failure };
    Ok(PreparedWrite { action, returning, insert })
}

/// The items a write statement's `RETURNING` asks for.
fn returned(returning: Option<Returning>, old: Option<&Item>, new: Option<&Item>, updated: &[Path]) -> Vec<Value> {
    let item = match returning {
        None => None,
        Some(Returning::AllOld) => old.cloned(),
        Some(Returning::AllNew) => new.cloned(),
        Some(Returning::ModifiedOld) => old.map(|old| project_paths(old, updated)),
        Some(Returning::ModifiedNew) => new.map(|new| project_paths(new, updated)),
    };
    item.map(|item| vec![item_to_json(&item)]).unwrap_or_default()
}

/// The top-level conjuncts of a WHERE (`a AND b AND c`).
fn conjuncts(condition: &Condition) -> Vec<&Condition> {
    match condition {
        Condition::And(a, b) => {
            let mut all = conjuncts(a);
            all.extend(conjuncts(b));
            all
        }
        other => vec![other],
    }
}

fn and_all(conditions: Vec<&Condition>) -> Option<Condition> {
    conditions.into_iter().cloned().reduce(|a, b| Condition::And(Box::new(a), Box::new(b)))
}

/// `name = value` (either way round) on a top-level attribute: the value.
fn equality_on<'c>(condition: &'c Condition, name: &str) -> Option<&'c AttributeValue> {
    let Condition::Compare { comparator: Comparator::Equal, left, right } = condition else { return None };
    match (left, right) {
        (Operand::Path(path), Operand::Value(literal)) | (Operand::Value(literal), Operand::Path(path))
            if path.is_top_level() && path.top_level() == name =>
        {
            Some(&literal.value)
        }
        _ => None,
    }
}

/// The key attributes a WHERE names with equalities, and the rest of it.
fn key_and_rest(keys: &KeySchema, condition: &Condition) -> Res<(Item, Option<Condition>)> {
    let mut rest = conjuncts(condition);
    let mut key = Item::new();
    for attribute in keys.attributes() {
        let Some(position) = rest.iter().position(|c| equality_on(c, &attribute.name).is_some()) else {
            return invalid(KEY_EQUALITIES);
        };
        let value = equality_on(rest.remove(position), &attribute.name).expect("found above").clone();
        key.insert(attribute.name.clone(), value);
    }
    Ok((key, and_all(rest)))
}

/// A single-item SELECT's storage key, its key attributes and the rest of its WHERE.
fn selected_key(table: &TableRecord, select: &Select) -> Res<(Vec<u8>, Item, Option<Condition>)> {
    if select.index.is_some() {
        // (chosen) batch and transaction reads are single-item reads of the table.
        return invalid("Batch and transaction SELECT statements must read one item of the table by its key");
    }
    let Some(condition) = &select.condition else { return invalid(KEY_EQUALITIES) };
    let (key, rest) = key_and_rest(&table.keys, condition)?;
    Ok((lookup_key(table, &key)?, key, rest))
}

/// What a single-item SELECT shows of `item`.
fn shown(item: Option<Item>, rest: Option<&Condition>, select: &Select) -> Option<Item> {
    let item = item.filter(|item| rest.is_none_or(|rest| evaluate(rest, Some(item))))?;
    Some(match &select.projection {
        Some(paths) => project_paths(&item, paths),
        None => item,
    })
}

/// A Query for the WHERE's conjuncts if they pin the partition key: its key condition (the
/// partition equality and at most one sort-key condition) and the filter (the rest, which must
/// not touch key attributes: a Query refuses that, so such a SELECT scans instead).
fn query_plan(keys: &KeySchema, conjuncts: &[&Condition]) -> Option<(Condition, Option<Condition>)> {
    let mut rest: Vec<&Condition> = conjuncts.to_vec();
    let position = rest.iter().position(|c| equality_on(c, &keys.hash.name).is_some())?;
    let mut key_condition = rest.remove(position).clone();
    if let Some(range) = &keys.range
        && let Some(position) = rest.iter().position(|c| is_sort_key_condition(c, &range.name))
    {
        key_condition = Condition::And(Box::new(key_condition), Box::new(rest.remove(position).clone()));
    }
    let mut read = Vec::new();
    rest.iter().for_each(|c| condition_attributes(c, &mut read));
    if read.iter().any(|name| keys.contains(name)) {
        return None;
    }
    Some((key_condition, and_all(rest)))
}

fn is_sort_key_condition(condition: &Condition, name: &str) -> bool {
    let on_key = |operand: &Operand| matches!(operand, Operand::Path(p) if p.is_top_level() && p.top_level() == name);
    let value = |operand: &Operand| matches!(operand, Operand::Value(_));
    match condition {
        Condition::Compare { comparator, left, right } => *comparator != Comparator::NotEqual && on_key(left) && value(right),
        Condition::Between { operand, low, high } => on_key(operand) && value(low) && value(high),
        Condition::BeginsWith(a, b) => on_key(a) && value(b),
        _ => false,
    }
}

fn encode_token(last_evaluated_key: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(last_evaluated_key.to_string())
}

fn decode_token(token: &str) -> Res<Value> {
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .filter(Value::is_object)
        // (chosen) AWS's text for a token it did not issue is not documented.
        .map_or_else(|| invalid("The provided NextToken is not valid"), Ok)
}

/// One batch member's error, as BatchStatementError: the code without "Exception".
fn batch_error(table: Option<String>, e: ServiceError) -> Value {
    let code = match e.code.as_ref() {
        "ConditionalCheckFailedException" => "ConditionalCheckFailed",
        "DuplicateItemException" => "DuplicateItem",
        "ResourceNotFoundException" => "ResourceNotFound",
        "ValidationException" => "ValidationError",
        _ => "InternalServerError",
    };
    let mut error = json!({"Code": code, "Message": e.message});
    if let Some(item) = e.fields.get("Item") {
        error["Item"] = item.clone();
    }
    let mut response = json!({"Error": error});
    if let Some(table) = table {
        response["TableName"] = json!(table);
    }
    response
}

/// A cancelled ExecuteTransaction names an INSERT whose key exists `DuplicateItem`, not a
/// failed condition.
fn duplicates_named(mut error: ServiceError, prepared: &[PreparedWrite]) -> ServiceError {
    let Some(Value::Array(reasons)) = error.fields.get_mut("CancellationReasons") else { return error };
    for (reason, write) in reasons.iter_mut().zip(prepared) {
        if write.insert && reason["Code"] == "ConditionalCheckFailed" {
            reason["Code"] = json!("DuplicateItem");
            reason["Message"] = json!(DUPLICATE_ITEM);
        }
    }
    let codes: Vec<String> = reasons.iter().map(|r| r["Code"].as_str().unwrap_or_default().to_owned()).collect();
    error.message = format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", "));
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{KeyAttribute, ScalarType};
    use nimbus_dynamodb_lang::partiql::parse_statement;

    fn keys() -> KeySchema {
        KeySchema {
            hash: KeyAttribute { name: "pk".into(), kind: ScalarType::S },
            range: Some(KeyAttribute { name: "sk".into(), kind: ScalarType::N }),
        }
    }

    fn where_of(text: &str) -> Condition {
        let Statement::Select(select) = parse_statement(&format!("SELECT * FROM t WHERE {text}"), &[]).unwrap() else { unreachable!() };
        select.condition.unwrap()
    }

    #[test]
    fn a_where_that_pins_the_partition_key_becomes_a_query() {
        let condition = where_of("a = 1 AND pk = 'x' AND sk > 3");
        let (key_condition, filter) = query_plan(&keys(), &conjuncts(&condition)).expect("a query");
        let mut writer = ExpressionWriter::default();
        assert_eq!(writer.condition(&key_condition), "#n0 = :v0 AND #n1 > :v1");
        assert_eq!(writer.condition(&filter.unwrap()), "#n2 = :v2");
    }

    #[test]
    fn a_where_without_the_partition_key_or_with_a_second_key_condition_scans() {
        assert!(query_plan(&keys(), &conjuncts(&where_of("sk = 1"))).is_none());
        assert!(query_plan(&keys(), &conjuncts(&where_of("pk = 'x' OR a = 1"))).is_none());
        assert!(query_plan(&keys(), &conjuncts(&where_of("pk = 'x' AND sk > 1 AND sk < 5"))).is_none());
    }

    #[test]
    fn writes_need_equalities_on_every_key_attribute() {
        let (key, rest) = key_and_rest(&keys(), &where_of("sk = 2 AND pk = 'x' AND n > 1")).unwrap();
        assert_eq!(key.keys().collect::<Vec<_>>(), ["pk", "sk"]);
        assert!(rest.is_some());
        assert_eq!(key_and_rest(&keys(), &where_of("pk = 'x'")).unwrap_err().0.message, KEY_EQUALITIES);
    }
}
