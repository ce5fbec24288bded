//! Query: one partition of the table or of an index, read as one byte range of its ordered
//! space (O(log n + k) whatever the table's size), in key order or reversed
//! (`ScanIndexForward`), a page at a time; the filter applies after the page is cut.

use nimbus_core::{Document, RequestContext};
use nimbus_dynamodb_lang::legacy::{check_parameter_mix, filter_condition};
use nimbus_dynamodb_lang::{Condition, ExpressionKind, Expressions, KeyCondition};
use nimbus_store::Direction;
use serde_json::{Map, Value};
use std::ops::Bound;

use crate::DynamoDb;
use crate::errors::{Res, invalid};
use crate::items::members;
use crate::query_keys::{check_start, from_expression, from_legacy, key_range};
use crate::reads::{Operation, Shape, Target, borrowed, check_select, condition_attributes, limit, read_page, respond, start_key};

impl DynamoDb {
    pub(crate) fn query(&self, ctx: &RequestContext, request: &Document) -> Res<Document> {
        let input = members(request);
        let select = check_select(input, Operation::Query)?;
        check_parameter_mix(input)?;
        let (_, table) = self.table_for_items(ctx, request)?;
        let target = Target::resolve(&table, input)?;
        let consistent = target.consistent_read(input)?;

        let mut expressions = Expressions::from_json(input.get("ExpressionAttributeNames"), input.get("ExpressionAttributeValues"))?;
        let key_condition = key_condition(input, &target, &mut expressions)?;
        let filter = query_filter(input, &target, &mut expressions)?;
        let shape = Shape::resolve(&target, select, input, &mut expressions, filter.as_ref())?;
        expressions.finish()?;

        let (mut lower, mut upper) = key_range(&key_condition);
        let forward = input.get("ScanIndexForward").and_then(Value::as_bool).unwrap_or(true);
        if let Some(start) = start_key(&target, input, Operation::Query)? {
            check_start(&key_condition, &start.attributes)?;
            if forward {
                lower = Bound::Excluded(start.position);
            } else {
                upper = Bound::Excluded(start.position);
            }
        }
        let direction = if forward { Direction::Forward } else { Direction::Reverse };
        let page = read_page(&self.store, &target.space(), (borrowed(&lower), borrowed(&upper)), direction, limit(input), |_| true)?;
        respond(&self.store, &target, page, &shape, filter.as_ref(), consistent, input)
    }
}

/// `KeyConditionExpression` or legacy `KeyConditions`, checked against the queried schema.
fn key_condition(input: &Map<String, Value>, target: &Target<'_>, expressions: &mut Expressions) -> Res<KeyCondition> {
    if let Some(text) = input.get("KeyConditionExpression").and_then(Value::as_str) {
        let tree = expressions.key_condition_tree(text)?;
        return from_expression(&tree, target.keys());
    }
    match input.get("KeyConditions").filter(|v| !v.is_null()) {
        Some(conditions) => from_legacy(conditions, target.keys()),
        None => invalid("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."),
    }
}

/// `FilterExpression` or legacy `QueryFilter` (with `ConditionalOperator`); neither may name
/// a key attribute of the queried schema.
fn query_filter(input: &Map<String, Value>, target: &Target<'_>, expressions: &mut Expressions) -> Res<Option<Condition>> {
    let (filter, parameter) = if let Some(text) = input.get("FilterExpression").and_then(Value::as_str) {
        (Some(expressions.condition(ExpressionKind::Filter, text)?), "Filter Expression")
    } else if let Some(filter) = input.get("QueryFilter").filter(|v| !v.is_null()) {
        (filter_condition(filter, input.get("ConditionalOperator"), "QueryFilter")?, "QueryFilter")
    } else {
        (None, "")
    };
    if let Some(condition) = &filter {
        let mut names = Vec::new();
        condition_attributes(condition, &mut names);
        if let Some(key) = names.iter().find(|name| target.keys().contains(name)) {
            return invalid(format!("{parameter} can only contain non-primary key attributes: Primary key attribute: {key}"));
        }
    }
    Ok(filter)
}
