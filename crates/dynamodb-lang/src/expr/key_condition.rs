//! Key condition analysis for Query: the partition key compared with `=`, optionally one
//! condition on the sort key (`= < <= > >=`, `BETWEEN`, `begins_with`), nothing else. The
//! result is a structured condition a storage layer turns into one byte range.

use super::ast::*;
use super::eval::compare;
use crate::error::ValidationError;
use crate::key_bytes::{encode_key, encode_key_prefix, prefix_successor};
use crate::value::{AttributeValue, Item};
use std::ops::Bound;

/// The key attributes of the table or index being queried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySchema<'a> {
    pub partition_key: &'a str,
    pub sort_key: Option<&'a str>,
}

/// What a Query may ask of the sort key.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKeyCondition {
    Equal(AttributeValue),
    Less(AttributeValue),
    LessOrEqual(AttributeValue),
    Greater(AttributeValue),
    GreaterOrEqual(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// A validated key condition.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    pub partition_key: String,
    pub partition_value: AttributeValue,
    /// The sort key's name and condition, when the query constrains it.
    pub sort: Option<(String, SortKeyCondition)>,
}

fn not_supported() -> ValidationError {
    ValidationError::new("Query key condition not supported")
}

fn missed(element: &str) -> ValidationError {
    ValidationError::new(format!("Query condition missed key schema element: {element}"))
}

/// Splits a tree of ANDs into its conditions; any other connective is not a key condition.
fn conjuncts<'c>(condition: &'c Condition, out: &mut Vec<&'c Condition>) -> Result<(), ValidationError> {
    match condition {
        Condition::And(a, b) => {
            conjuncts(a, out)?;
            conjuncts(b, out)
        }
        Condition::Or(..) | Condition::Not(..) => Err(not_supported()),
        other => {
            out.push(other);
            Ok(())
        }
    }
}

fn top_level_name(operand: &Operand) -> Option<&str> {
    match operand {
        Operand::Path(path) if path.is_top_level() => Some(path.top_level()),
        _ => None,
    }
}

fn literal(operand: &Operand) -> Option<&AttributeValue> {
    match operand {
        Operand::Value(literal) => Some(&literal.value),
        _ => None,
    }
}

fn flipped(comparator: Comparator) -> Comparator {
    match comparator {
        Comparator::Less => Comparator::Greater,
        Comparator::LessOrEqual => Comparator::GreaterOrEqual,
        Comparator::Greater => Comparator::Less,
        Comparator::GreaterOrEqual => Comparator::LessOrEqual,
        same => same,
    }
}

/// One conjunct as (attribute, condition on it).
fn key_part(condition: &Condition) -> Result<(&str, SortKeyCondition), ValidationError> {
    match condition {
        Condition::Compare { comparator, left, right } => {
            let (name, value, comparator) = match (top_level_name(left), literal(right), top_level_name(right), literal(left)) {
                (Some(name), Some(value), _, _) => (name, value, *comparator),
                (_, _, Some(name), Some(value)) => (name, value, flipped(*comparator)),
                _ => return Err(not_supported()),
            };
            let value = value.clone();
            let part = match comparator {
                Comparator::Equal => SortKeyCondition::Equal(value),
                Comparator::Less => SortKeyCondition::Less(value),
                Comparator::LessOrEqual => SortKeyCondition::LessOrEqual(value),
                Comparator::Greater => SortKeyCondition::Greater(value),
                Comparator::GreaterOrEqual => SortKeyCondition::GreaterOrEqual(value),
                Comparator::NotEqual => return Err(not_supported()),
            };
            Ok((name, part))
        }
        Condition::Between { operand, low, high } => match (top_level_name(operand), literal(low), literal(high)) {
            (Some(name), Some(low), Some(high)) => Ok((name, SortKeyCondition::Between(low.clone(), high.clone()))),
            _ => Err(not_supported()),
        },
        Condition::BeginsWith(subject, prefix) => match (top_level_name(subject), literal(prefix)) {
            (Some(name), Some(prefix)) => Ok((name, SortKeyCondition::BeginsWith(prefix.clone()))),
            _ => Err(not_supported()),
        },
        _ => Err(not_supported()),
    }
}

impl KeyCondition {
    /// Checks a parsed KeyConditionExpression against the key schema.
    pub fn analyze(condition: &Condition, schema: KeySchema<'_>) -> Result<KeyCondition, ValidationError> {
        let mut parts = Vec::new();
        conjuncts(condition, &mut parts)?;
        if parts.len() > 2 {
            return Err(ValidationError::new(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
        let parts = parts.into_iter().map(key_part).collect::<Result<Vec<_>, _>>()?;
        if parts.len() == 2 && parts[0].0 == parts[1].0 {
            return Err(ValidationError::new(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
        let mut partition_value = None;
        let mut sort = None;
        for (name, part) in parts {
            if name == schema.partition_key {
                match part {
                    SortKeyCondition::Equal(value) => partition_value = Some(value),
                    _ => return Err(not_supported()),
                }
            } else if Some(name) == schema.sort_key {
                sort = Some((name.to_owned(), part));
            } else {
                return Err(not_supported());
            }
        }
        let Some(partition_value) = partition_value else {
            return Err(missed(schema.partition_key));
        };
        Ok(KeyCondition {
            partition_key: schema.partition_key.to_owned(),
            partition_value,
            sort,
        })
    }

    /// Whether an item's key satisfies the condition.
    pub fn matches(&self, item: &Item) -> bool {
        if item.get(&self.partition_key) != Some(&self.partition_value) {
            return false;
        }
        match &self.sort {
            None => true,
            Some((name, condition)) => item.get(name).is_some_and(|value| condition.matches(value)),
        }
    }
}

impl SortKeyCondition {
    pub fn matches(&self, value: &AttributeValue) -> bool {
        match self {
            SortKeyCondition::Equal(v) => compare(Comparator::Equal, value, v),
            SortKeyCondition::Less(v) => compare(Comparator::Less, value, v),
            SortKeyCondition::LessOrEqual(v) => compare(Comparator::LessOrEqual, value, v),
            SortKeyCondition::Greater(v) => compare(Comparator::Greater, value, v),
            SortKeyCondition::GreaterOrEqual(v) => compare(Comparator::GreaterOrEqual, value, v),
            SortKeyCondition::Between(low, high) => {
                compare(Comparator::GreaterOrEqual, value, low) && compare(Comparator::LessOrEqual, value, high)
            }
            SortKeyCondition::BeginsWith(prefix) => match (value, prefix) {
                (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
                (AttributeValue::B(b), AttributeValue::B(p)) => b.starts_with(p),
                _ => false,
            },
        }
    }

    /// The range of sort-key encodings ([`crate::encode_key`]) that can satisfy the
    /// condition. Values of another type than the key's may fall inside; [`Self::matches`]
    /// is the exact test.
    pub fn byte_range(&self) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        let key = |v: &AttributeValue| encode_key(v).unwrap_or_default();
        match self {
            SortKeyCondition::Equal(v) => (Bound::Included(key(v)), Bound::Included(key(v))),
            SortKeyCondition::Less(v) => (Bound::Unbounded, Bound::Excluded(key(v))),
            SortKeyCondition::LessOrEqual(v) => (Bound::Unbounded, Bound::Included(key(v))),
            SortKeyCondition::Greater(v) => (Bound::Excluded(key(v)), Bound::Unbounded),
            SortKeyCondition::GreaterOrEqual(v) => (Bound::Included(key(v)), Bound::Unbounded),
            SortKeyCondition::Between(low, high) => (Bound::Included(key(low)), Bound::Included(key(high))),
            SortKeyCondition::BeginsWith(prefix) => {
                let start = encode_key_prefix(prefix).unwrap_or_default();
                let end = prefix_successor(&start).map_or(Bound::Unbounded, Bound::Excluded);
                (Bound::Included(start), end)
            }
        }
    }
}
