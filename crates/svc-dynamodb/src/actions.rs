//! One item write as every write operation shares it (PutItem, DeleteItem, UpdateItem, the
//! requests of BatchWriteItem, the actions of TransactWriteItems): parsed and checked once,
//! before any store access, then decided against the item as it stands inside the store
//! transaction.
//!
//! Checks that need only the request (key schema, item size of a Put, expression syntax,
//! names and values, writes to key attributes) fail at parse time with a ValidationException;
//! what depends on the stored item (the condition, the result of an update: operand types,
//! index key types, its size) fails in [`WriteAction::decide`] with a [`Refusal`], which a
//! single-item operation answers as its own error and a transaction lists among its
//! cancellation reasons.

use std::sync::Arc;

use nimbus_core::ServiceError;
use nimbus_dynamodb_lang::legacy::{attribute_updates, check_parameter_mix, expected_condition};
use nimbus_dynamodb_lang::{
    Condition, ExpressionKind, Expressions, Item, MAX_ITEM_SIZE, Path, UpdateExpression, apply_update, evaluate, item_size,
    item_to_json, parse_item,
};
use serde_json::{Map, Value};

use crate::errors::{Res, invalid, invalid_parameter};
use crate::keys::{check_index_keys, item_key, key_of, lookup_key};
use crate::records::TableRecord;

/// AWS's message for a failed condition, in the exception and in cancellation reasons.
pub const CONDITION_FAILED: &str = "The conditional request failed";

/// What an action does to its item.
#[derive(Debug, Clone)]
pub enum Change {
    Put(Item),
    Delete,
    Update(UpdateExpression),
    /// TransactWriteItems' ConditionCheck: the condition only.
    Check,
}

/// One parsed write on one item of one table.
#[derive(Debug, Clone)]
pub struct WriteAction {
    /// Shared, so an action can leave the request's thread for the store's writer.
    pub table: Arc<TableRecord>,
    /// The item's storage key.
    pub key: Vec<u8>,
    /// The key attributes (an UpdateItem of an absent item creates it from them).
    pub key_attributes: Item,
    pub change: Change,
    pub condition: Option<Condition>,
    /// ReturnValuesOnConditionCheckFailure=ALL_OLD: a failed condition returns the item.
    pub return_old_on_failure: bool,
}

/// Why an action cannot apply to the item as it stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    ConditionFailed,
    /// A ValidationException message.
    Invalid(String),
}

/// The item after an action, and what the update wrote (for `UPDATED_*` return values).
#[derive(Debug, Clone)]
pub struct Decision {
    pub new: Option<Item>,
    pub updated_paths: Vec<Path>,
    /// Whether the store changes (a ConditionCheck, a delete of nothing and an update that
    /// changes nothing write nothing).
    pub writes: bool,
}

impl WriteAction {
    /// PutItem, a transaction's Put, a batch's PutRequest: `Item` and an optional condition.
    pub fn put(table: &Arc<TableRecord>, input: &Map<String, Value>) -> Res<WriteAction> {
        let (condition, return_old_on_failure) = parse_condition(input, |_| Ok(()))?;
        let item = parse_item(input.get("Item").unwrap_or(&Value::Null))?;
        if item_size(&item) > MAX_ITEM_SIZE {
            return invalid("Item size has exceeded the maximum allowed size");
        }
        let key = item_key(table, &item)?;
        check_index_keys(table, &item)?;
        let key_attributes = key_of(&table.keys, &item);
        Ok(WriteAction { table: table.clone(), key, key_attributes, change: Change::Put(item), condition, return_old_on_failure })
    }

    /// DeleteItem, a transaction's Delete, a batch's DeleteRequest: `Key` and an optional
    /// condition.
    pub fn delete(table: &Arc<TableRecord>, input: &Map<String, Value>) -> Res<WriteAction> {
        let (condition, return_old_on_failure) = parse_condition(input, |_| Ok(()))?;
        let (key, key_attributes) = parse_key(table, input)?;
        Ok(WriteAction { table: table.clone(), key, key_attributes, change: Change::Delete, condition, return_old_on_failure })
    }

    /// A transaction's ConditionCheck: `Key` and a `ConditionExpression`.
    pub fn check(table: &Arc<TableRecord>, input: &Map<String, Value>) -> Res<WriteAction> {
        let (condition, return_old_on_failure) = parse_condition(input, |_| Ok(()))?;
        let (key, key_attributes) = parse_key(table, input)?;
        Ok(WriteAction { table: table.clone(), key, key_attributes, change: Change::Check, condition, return_old_on_failure })
    }

    /// UpdateItem and a transaction's Update: `UpdateExpression` or legacy `AttributeUpdates`
    /// (neither: the item is created with its key alone if absent, as AWS does).
    pub fn update(table: &Arc<TableRecord>, input: &Map<String, Value>) -> Res<WriteAction> {
        let mut update = UpdateExpression { actions: Vec::new() };
        let (condition, return_old_on_failure) = parse_condition(input, |expressions| {
            if let Some(text) = input.get("UpdateExpression").and_then(Value::as_str) {
                update = expressions.update(text)?;
            } else if let Some(updates) = input.get("AttributeUpdates").filter(|v| !v.is_null()) {
                update = attribute_updates(updates)?;
            }
            Ok(())
        })?;
        refuse_key_updates(table, &update)?;
        let (key, key_attributes) = parse_key(table, input)?;
        Ok(WriteAction { table: table.clone(), key, key_attributes, change: Change::Update(update), condition, return_old_on_failure })
    }

    /// Applies the action to `old` (the stored item, if any), or says why it cannot apply.
    pub fn decide(&self, old: Option<&Item>) -> Result<Decision, Refusal> {
        if let Some(condition) = &self.condition
            && !evaluate(condition, old)
        {
            return Err(Refusal::ConditionFailed);
        }
        Ok(match &self.change {
            Change::Put(item) => Decision { new: Some(item.clone()), updated_paths: Vec::new(), writes: true },
            Change::Delete => Decision { new: None, updated_paths: Vec::new(), writes: old.is_some() },
            Change::Check => Decision { new: old.cloned(), updated_paths: Vec::new(), writes: false },
            Change::Update(update) => {
                let outcome = apply_update(update, old).map_err(|e| Refusal::Invalid(e.message))?;
                let new = match old {
                    Some(_) => outcome.item,
                    // A new item: its key first, then what the update set.
                    None => self.key_attributes.clone().into_iter().chain(outcome.item).collect(),
                };
                check_index_keys(&self.table, &new).map_err(|e| Refusal::Invalid(e.0.message))?;
                if item_size(&new) > MAX_ITEM_SIZE {
                    return Err(Refusal::Invalid("Item size to update has exceeded the maximum allowed size".into()));
                }
                let writes = old != Some(&new);
                Decision { new: Some(new), updated_paths: outcome.updated_paths, writes }
            }
        })
    }
}

/// Key attributes cannot be updated (UpdateItem, a transaction's Update, PartiQL's UPDATE).
pub fn refuse_key_updates(table: &TableRecord, update: &UpdateExpression) -> Res<()> {
    for action in &update.actions {
        let attribute = action.path().top_level();
        if table.keys.contains(attribute) {
            return invalid_parameter(format!("Cannot update attribute {attribute}. This attribute is part of the key"));
        }
    }
    Ok(())
}

/// The single-item operations' error for a refusal.
pub fn refusal_error(refusal: Refusal, old: Option<&Item>, return_old: bool) -> ServiceError {
    match refusal {
        Refusal::ConditionFailed => condition_failed(old, return_old),
        Refusal::Invalid(message) => ServiceError::validation(message),
    }
}

/// ConditionalCheckFailedException, with the item when ReturnValuesOnConditionCheckFailure
/// asked for it and there is one.
pub fn condition_failed(old: Option<&Item>, return_old: bool) -> ServiceError {
    let error = ServiceError::new("ConditionalCheckFailedException", CONDITION_FAILED);
    match old {
        Some(item) if return_old => error.with_field("Item", item_to_json(item)),
        _ => error,
    }
}

/// The request's condition (`ConditionExpression`, or legacy `Expected` with
/// `ConditionalOperator`) and ReturnValuesOnConditionCheckFailure. `more` parses the request's
/// other expressions through the same names and values before they are checked for use.
fn parse_condition(
    input: &Map<String, Value>,
    more: impl FnOnce(&mut Expressions) -> nimbus_dynamodb_lang::Result<()>,
) -> Res<(Option<Condition>, bool)> {
    check_parameter_mix(input)?;
    let mut expressions = Expressions::from_json(input.get("ExpressionAttributeNames"), input.get("ExpressionAttributeValues"))?;
    let condition = match input.get("ConditionExpression").and_then(Value::as_str) {
        Some(text) => Some(expressions.condition(ExpressionKind::Condition, text)?),
        None => match input.get("Expected").filter(|v| !v.is_null()) {
            Some(expected) => expected_condition(expected, input.get("ConditionalOperator"))?,
            None => None,
        },
    };
    more(&mut expressions)?;
    expressions.finish()?;
    let return_old_on_failure = match input.get("ReturnValuesOnConditionCheckFailure").and_then(Value::as_str) {
        None | Some("NONE") => false,
        Some("ALL_OLD") => true,
        Some(other) => {
            return invalid(format!(
                "1 validation error detected: Value '{other}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"
            ));
        }
    };
    Ok((condition, return_old_on_failure))
}

fn parse_key(table: &TableRecord, input: &Map<String, Value>) -> Res<(Vec<u8>, Item)> {
    let key_attributes = parse_item(input.get("Key").unwrap_or(&Value::Null))?;
    let key = lookup_key(table, &key_attributes)?;
    Ok((key, key_attributes))
}
