//! The parameters that predate expressions, still sent by old SDKs: `Expected`,
//! `ConditionalOperator`, `AttributeUpdates`, `KeyConditions`, `QueryFilter`, `ScanFilter` and
//! `AttributesToGet`. Each is converted into the same trees the expressions parse into, so the
//! service evaluates one form.

use crate::error::ValidationError;
use crate::expr::ast::*;
use crate::expr::key_condition::{KeyCondition, KeySchema};
use crate::value::{AttributeType, AttributeValue};
use serde_json::{Map, Value};

/// The parameters that cannot be combined with expressions, and the expression parameters.
const NON_EXPRESSION_PARAMETERS: [&str; 7] = [
    "AttributesToGet",
    "AttributeUpdates",
    "ConditionalOperator",
    "Expected",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
];
const EXPRESSION_PARAMETERS: [&str; 5] = [
    "ConditionExpression",
    "FilterExpression",
    "KeyConditionExpression",
    "ProjectionExpression",
    "UpdateExpression",
];

/// Refuses a request that mixes legacy and expression parameters, as DynamoDB does.
pub fn check_parameter_mix(request: &Map<String, Value>) -> Result<(), ValidationError> {
    let present = |names: &[&'static str]| -> Vec<&'static str> {
        names
            .iter()
            .copied()
            .filter(|n| request.get(*n).is_some_and(|v| !v.is_null()))
            .collect()
    };
    let legacy = present(&NON_EXPRESSION_PARAMETERS);
    let expressions = present(&EXPRESSION_PARAMETERS);
    if !legacy.is_empty() && !expressions.is_empty() {
        return Err(ValidationError::new(format!(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
            legacy.join(", "),
            expressions.join(", ")
        )));
    }
    Ok(())
}

fn literal(parameter: &str, attribute: &str, value: AttributeValue) -> Literal {
    Literal {
        placeholder: format!("{parameter}.{attribute}"),
        value,
    }
}

fn value_list(body: &Map<String, Value>, member: &str) -> Result<Vec<AttributeValue>, ValidationError> {
    match body.get(member) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(values)) => values.iter().map(AttributeValue::from_json).collect(),
        Some(_) => Err(ValidationError::new(format!("{member} must be a list of attribute values"))),
    }
}

fn object<'a>(json: &'a Value, parameter: &str) -> Result<&'a Map<String, Value>, ValidationError> {
    json.as_object()
        .ok_or_else(|| ValidationError::new(format!("{parameter} must be a map")))
}

/// The ComparisonOperators of `Condition` and `ExpectedAttributeValue`.
fn comparison(
    parameter: &str,
    attribute: &str,
    operator: &str,
    values: Vec<AttributeValue>,
) -> Result<Condition, ValidationError> {
    let wrong_count =
        || ValidationError::invalid_parameter(format!("Invalid number of argument(s) for the {operator} ComparisonOperator"));
    let check_types = |allowed: &[AttributeType]| -> Result<(), ValidationError> {
        for value in &values {
            if !allowed.contains(&value.attribute_type()) {
                return Err(ValidationError::invalid_parameter(format!(
                    "ComparisonOperator {operator} is not valid for {} AttributeValue type",
                    value.attribute_type()
                )));
            }
        }
        Ok(())
    };
    let scalar = [AttributeType::S, AttributeType::N, AttributeType::B];
    let path = Path::attribute(attribute);
    let operand = || Operand::Path(path.clone());
    let value_operand = |v: &AttributeValue| Operand::Value(literal(parameter, attribute, v.clone()));
    let expected_count = match operator {
        "NULL" | "NOT_NULL" => 0,
        "BETWEEN" => 2,
        "IN" => usize::MAX,
        "EQ" | "NE" | "LE" | "LT" | "GE" | "GT" | "CONTAINS" | "NOT_CONTAINS" | "BEGINS_WITH" => 1,
        other => {
            return Err(ValidationError::new(format!(
                "1 validation error detected: Value '{other}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
            )));
        }
    };
    if (expected_count == usize::MAX && values.is_empty()) || (expected_count != usize::MAX && values.len() != expected_count) {
        return Err(wrong_count());
    }
    let compare = |comparator| Condition::Compare {
        comparator,
        left: operand(),
        right: value_operand(&values[0]),
    };
    Ok(match operator {
        "EQ" => compare(Comparator::Equal),
        "NE" => compare(Comparator::NotEqual),
        "LE" | "LT" | "GE" | "GT" => {
            check_types(&scalar)?;
            compare(match operator {
                "LE" => Comparator::LessOrEqual,
                "LT" => Comparator::Less,
                "GE" => Comparator::GreaterOrEqual,
                _ => Comparator::Greater,
            })
        }
        "NULL" => Condition::AttributeNotExists(path),
        "NOT_NULL" => Condition::AttributeExists(path),
        "CONTAINS" | "NOT_CONTAINS" => {
            check_types(&scalar)?;
            let contains = Condition::Contains(operand(), value_operand(&values[0]));
            if operator == "CONTAINS" {
                contains
            } else {
                // The attribute must be there to lack the value.
                Condition::And(
                    Box::new(Condition::AttributeExists(path.clone())),
                    Box::new(Condition::Not(Box::new(contains))),
                )
            }
        }
        "BEGINS_WITH" => {
            check_types(&[AttributeType::S, AttributeType::B])?;
            Condition::BeginsWith(operand(), value_operand(&values[0]))
        }
        "IN" => {
            check_types(&scalar)?;
            Condition::In {
                operand: operand(),
                candidates: values.iter().map(value_operand).collect(),
            }
        }
        _ => {
            check_types(&scalar)?;
            if values[0].attribute_type() != values[1].attribute_type() {
                return Err(ValidationError::invalid_parameter(
                    "AttributeValues inside AttributeValueList must be of same type",
                ));
            }
            if crate::expr::eval::compare_values(&values[0], &values[1]) == Some(std::cmp::Ordering::Greater) {
                return Err(ValidationError::invalid_parameter(
                    "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
                ));
            }
            Condition::Between {
                operand: operand(),
                low: value_operand(&values[0]),
                high: value_operand(&values[1]),
            }
        }
    })
}

fn combine(conditions: Vec<Condition>, operator: Option<&Value>) -> Result<Option<Condition>, ValidationError> {
    let or = match operator.filter(|v| !v.is_null()) {
        None => false,
        Some(Value::String(s)) if s == "AND" => false,
        Some(Value::String(s)) if s == "OR" => true,
        Some(other) => {
            let shown = other.as_str().map_or_else(|| other.to_string(), str::to_owned);
            return Err(ValidationError::new(format!(
                "1 validation error detected: Value '{shown}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"
            )));
        }
    };
    Ok(conditions.into_iter().reduce(|a, b| {
        if or {
            Condition::Or(Box::new(a), Box::new(b))
        } else {
            Condition::And(Box::new(a), Box::new(b))
        }
    }))
}

/// `QueryFilter` / `ScanFilter` (attribute → `{ComparisonOperator, AttributeValueList}`) with
/// the request's `ConditionalOperator`. `None` for an empty filter.
pub fn filter_condition(
    filter: &Value,
    conditional_operator: Option<&Value>,
    parameter: &str,
) -> Result<Option<Condition>, ValidationError> {
    let mut conditions = Vec::new();
    for (attribute, body) in object(filter, parameter)? {
        let body = object(body, parameter)?;
        let operator = body.get("ComparisonOperator").and_then(Value::as_str).unwrap_or_default();
        conditions.push(comparison(
            parameter,
            attribute,
            operator,
            value_list(body, "AttributeValueList")?,
        )?);
    }
    combine(conditions, conditional_operator)
}

/// `Expected` (attribute → `{Value, Exists}` or `{ComparisonOperator, AttributeValueList}`)
/// with the request's `ConditionalOperator`.
pub fn expected_condition(expected: &Value, conditional_operator: Option<&Value>) -> Result<Option<Condition>, ValidationError> {
    let mut conditions = Vec::new();
    for (attribute, body) in object(expected, "Expected")? {
        let body = object(body, "Expected")?;
        let value = body
            .get("Value")
            .filter(|v| !v.is_null())
            .map(AttributeValue::from_json)
            .transpose()?;
        let exists = body.get("Exists").filter(|v| !v.is_null());
        if let Some(operator) = body.get("ComparisonOperator").and_then(Value::as_str) {
            if value.is_some() || exists.is_some() {
                return Err(ValidationError::invalid_parameter(format!(
                    "Value or Exists cannot be used with ComparisonOperator for Attribute: {attribute}"
                )));
            }
            conditions.push(comparison(
                "Expected",
                attribute,
                operator,
                value_list(body, "AttributeValueList")?,
            )?);
            continue;
        }
        let exists = match exists {
            None => true,
            Some(v) => v.as_bool().ok_or_else(|| ValidationError::new("Exists must be a boolean"))?,
        };
        conditions.push(match (exists, value) {
            (true, Some(value)) => Condition::Compare {
                comparator: Comparator::Equal,
                left: Operand::Path(Path::attribute(attribute)),
                right: Operand::Value(literal("Expected", attribute, value)),
            },
            (true, None) => {
                return Err(ValidationError::invalid_parameter(format!(
                    "Value must be provided when Exists is true for Attribute: {attribute}"
                )));
            }
            (false, Some(_)) => {
                return Err(ValidationError::invalid_parameter(format!(
                    "Value cannot be used when Exists is false for Attribute: {attribute}"
                )));
            }
            (false, None) => Condition::AttributeNotExists(Path::attribute(attribute)),
        });
    }
    combine(conditions, conditional_operator)
}

/// `KeyConditions` for Query, checked against the key schema like a KeyConditionExpression.
pub fn key_conditions(key_conditions: &Value, schema: KeySchema<'_>) -> Result<KeyCondition, ValidationError> {
    let condition = filter_condition(key_conditions, None, "KeyConditions")?
        .ok_or_else(|| ValidationError::new(format!("Query condition missed key schema element: {}", schema.partition_key)))?;
    KeyCondition::analyze(&condition, schema)
}

/// `AttributeUpdates` (attribute → `{Action, Value}`) as an update expression.
pub fn attribute_updates(updates: &Value) -> Result<UpdateExpression, ValidationError> {
    let mut actions = Vec::new();
    for (attribute, body) in object(updates, "AttributeUpdates")? {
        let body = object(body, "AttributeUpdates")?;
        let action = body.get("Action").and_then(Value::as_str).unwrap_or("PUT");
        let value = body
            .get("Value")
            .filter(|v| !v.is_null())
            .map(AttributeValue::from_json)
            .transpose()?;
        let path = Path::attribute(attribute);
        let type_name = |v: &AttributeValue| v.attribute_type().name();
        actions.push(match (action, value) {
            ("DELETE", None) => UpdateAction::Remove { path },
            (_, None) => {
                return Err(ValidationError::invalid_parameter("Only DELETE action is allowed when no attribute value is specified"));
            }
            ("PUT", Some(value)) => {
                UpdateAction::Set { path, value: SetValue::Operand(SetOperand::Value(literal("AttributeUpdates", attribute, value))) }
            }
            ("ADD", Some(value)) => match value {
                AttributeValue::N(_) | AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_) => {
                    UpdateAction::Add { path, value: literal("AttributeUpdates", attribute, value) }
                }
                // ADD of a list appends to the list (or creates it).
                AttributeValue::L(_) => UpdateAction::Set {
                    path: path.clone(),
                    value: SetValue::Operand(SetOperand::ListAppend(
                        Box::new(SetOperand::IfNotExists(
                            path,
                            Box::new(SetOperand::Value(literal("AttributeUpdates", attribute, AttributeValue::L(Vec::new())))),
                        )),
                        Box::new(SetOperand::Value(literal("AttributeUpdates", attribute, value))),
                    )),
                },
                other => {
                    return Err(ValidationError::invalid_parameter(format!(
                        "ADD action is not supported for the type {}",
                        type_name(&other)
                    )));
                }
            },
            ("DELETE", Some(value)) => match value {
                AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_) => {
                    UpdateAction::Delete { path, value: literal("AttributeUpdates", attribute, value) }
                }
                other => {
                    return Err(ValidationError::invalid_parameter(format!(
                        "DELETE action with value is not supported for the type {}",
                        type_name(&other)
                    )));
                }
            },
            (other, Some(_)) => {
                return Err(ValidationError::new(format!(
                    "1 validation error detected: Value '{other}' at 'attributeUpdates.{attribute}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
                )));
            }
        });
    }
    Ok(UpdateExpression { actions })
}

/// `AttributesToGet` as a projection of top-level attributes.
pub fn attributes_to_get(names: &Value) -> Result<Projection, ValidationError> {
    let names = names
        .as_array()
        .ok_or_else(|| ValidationError::new("AttributesToGet must be a list of attribute names"))?;
    let mut paths: Vec<Path> = Vec::with_capacity(names.len());
    for name in names {
        let name = name
            .as_str()
            .ok_or_else(|| ValidationError::new("AttributesToGet must be a list of attribute names"))?;
        let path = Path::attribute(name);
        if paths.contains(&path) {
            return Err(ValidationError::invalid_parameter(format!(
                "Duplicate value in attribute name: {name}"
            )));
        }
        paths.push(path);
    }
    Ok(Projection { paths })
}
