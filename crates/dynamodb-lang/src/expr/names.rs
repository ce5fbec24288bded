//! `ExpressionAttributeNames` and `ExpressionAttributeValues`: parsed once per request, shared by
//! all of the request's expressions, and checked together at the end (each name and value must
//! be used by some expression; each placeholder used must be defined).

use super::ast::{Condition, Projection, UpdateExpression};
use super::parser::{self, Placeholders};
use crate::error::ValidationError;
use crate::value::AttributeValue;
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::HashSet;

/// Which request parameter an expression came from: AWS names it in every message
/// (`Invalid ConditionExpression: ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpressionKind {
    Condition,
    Filter,
    KeyCondition,
    Projection,
    Update,
}

impl ExpressionKind {
    pub fn parameter(self) -> &'static str {
        match self {
            ExpressionKind::Condition => "ConditionExpression",
            ExpressionKind::Filter => "FilterExpression",
            ExpressionKind::KeyCondition => "KeyConditionExpression",
            ExpressionKind::Projection => "ProjectionExpression",
            ExpressionKind::Update => "UpdateExpression",
        }
    }

    pub(crate) fn prefix(self) -> String {
        format!("Invalid {}: ", self.parameter())
    }
}

fn is_placeholder(key: &str, sigil: char) -> bool {
    let mut chars = key.chars();
    chars.next() == Some(sigil) && key.len() > 1 && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses `ExpressionAttributeNames` (`{"#n": "name"}`), checking each key's syntax.
pub fn parse_expression_attribute_names(json: &Value) -> Result<IndexMap<String, String>, ValidationError> {
    let Some(object) = json.as_object() else {
        return Err(ValidationError::new(
            "ExpressionAttributeNames must be a map of placeholders to attribute names",
        ));
    };
    let mut names = IndexMap::with_capacity(object.len());
    for (key, value) in object {
        if !is_placeholder(key, '#') {
            return Err(ValidationError::new(format!(
                "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{key}\""
            )));
        }
        let Some(name) = value.as_str() else {
            return Err(ValidationError::new(format!(
                "ExpressionAttributeNames contains invalid value: Invalid attribute name for key {key}"
            )));
        };
        if name.is_empty() {
            return Err(ValidationError::new(format!(
                "ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}"
            )));
        }
        names.insert(key.clone(), name.to_owned());
    }
    Ok(names)
}

/// Parses `ExpressionAttributeValues` (`{":v": {"S": "x"}}`), checking keys and values.
pub fn parse_expression_attribute_values(json: &Value) -> Result<IndexMap<String, AttributeValue>, ValidationError> {
    let Some(object) = json.as_object() else {
        return Err(ValidationError::new(
            "ExpressionAttributeValues must be a map of placeholders to attribute values",
        ));
    };
    let mut values = IndexMap::with_capacity(object.len());
    for (key, value) in object {
        if !is_placeholder(key, ':') {
            return Err(ValidationError::new(format!(
                "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{key}\""
            )));
        }
        let value = AttributeValue::from_json(value).map_err(|e| {
            ValidationError::new(format!(
                "ExpressionAttributeValues contains invalid value: {} for key {key}",
                e.message
            ))
        })?;
        values.insert(key.clone(), value);
    }
    Ok(values)
}

/// One request's expression context. Parse each expression the request carries through it,
/// then call [`Expressions::finish`] to apply the checks that span all of them:
///
/// ```
/// # use nimbus_dynamodb_lang::*;
/// # use serde_json::json;
/// let mut expressions = Expressions::from_json(
///     Some(&json!({"#s": "status"})),
///     Some(&json!({":open": {"S": "open"}, ":one": {"N": "1"}})),
/// ).unwrap();
/// let condition = expressions.condition(ExpressionKind::Condition, "#s = :open").unwrap();
/// let update = expressions.update("ADD visits :one").unwrap();
/// expressions.finish().unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct Expressions {
    names: Option<IndexMap<String, String>>,
    values: Option<IndexMap<String, AttributeValue>>,
    used_names: HashSet<String>,
    used_values: HashSet<String>,
    parsed_any: bool,
}

impl Expressions {
    /// From already-parsed maps (`None` when the request did not send the parameter).
    pub fn new(
        names: Option<IndexMap<String, String>>,
        values: Option<IndexMap<String, AttributeValue>>,
    ) -> Result<Expressions, ValidationError> {
        if names.as_ref().is_some_and(IndexMap::is_empty) {
            return Err(ValidationError::new("ExpressionAttributeNames must not be empty"));
        }
        if values.as_ref().is_some_and(IndexMap::is_empty) {
            return Err(ValidationError::new("ExpressionAttributeValues must not be empty"));
        }
        Ok(Expressions {
            names,
            values,
            ..Expressions::default()
        })
    }

    /// From the request's JSON members (`None` when absent).
    pub fn from_json(names: Option<&Value>, values: Option<&Value>) -> Result<Expressions, ValidationError> {
        let names = names
            .filter(|v| !v.is_null())
            .map(parse_expression_attribute_names)
            .transpose()?;
        let values = values
            .filter(|v| !v.is_null())
            .map(parse_expression_attribute_values)
            .transpose()?;
        Expressions::new(names, values)
    }

    fn placeholders(&mut self) -> Placeholders<'_> {
        self.parsed_any = true;
        Placeholders {
            names: self.names.as_ref(),
            values: self.values.as_ref(),
            used_names: &mut self.used_names,
            used_values: &mut self.used_values,
        }
    }

    /// Parses a `ConditionExpression` or `FilterExpression` (`kind` names it in messages).
    pub fn condition(&mut self, kind: ExpressionKind, text: &str) -> Result<Condition, ValidationError> {
        parser::parse_condition(text, &mut self.placeholders()).map_err(|e| e.prefixed(&kind.prefix()))
    }

    /// Parses a `KeyConditionExpression` into its condition tree; see
    /// [`crate::KeyCondition::analyze`] for the key-schema checks.
    pub fn key_condition_tree(&mut self, text: &str) -> Result<Condition, ValidationError> {
        self.condition(ExpressionKind::KeyCondition, text)
    }

    /// Parses a `KeyConditionExpression` and checks it against the key schema.
    pub fn key_condition(
        &mut self,
        text: &str,
        schema: super::key_condition::KeySchema<'_>,
    ) -> Result<super::key_condition::KeyCondition, ValidationError> {
        let condition = self.key_condition_tree(text)?;
        super::key_condition::KeyCondition::analyze(&condition, schema)
    }

    pub fn projection(&mut self, text: &str) -> Result<Projection, ValidationError> {
        parser::parse_projection(text, &mut self.placeholders()).map_err(|e| e.prefixed(&ExpressionKind::Projection.prefix()))
    }

    pub fn update(&mut self, text: &str) -> Result<UpdateExpression, ValidationError> {
        parser::parse_update(text, &mut self.placeholders()).map_err(|e| e.prefixed(&ExpressionKind::Update.prefix()))
    }

    /// The checks across all of the request's expressions: names and values must be used.
    pub fn finish(self) -> Result<(), ValidationError> {
        if !self.parsed_any {
            if self.names.is_some() {
                return Err(ValidationError::new(
                    "ExpressionAttributeNames can only be specified when using expressions",
                ));
            }
            if self.values.is_some() {
                return Err(ValidationError::new(
                    "ExpressionAttributeValues can only be specified when using expressions",
                ));
            }
        }
        let unused = |keys: Vec<&String>| keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
        if let Some(names) = &self.names {
            let keys: Vec<&String> = names.keys().filter(|k| !self.used_names.contains(*k)).collect();
            if !keys.is_empty() {
                return Err(ValidationError::new(format!(
                    "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                    unused(keys)
                )));
            }
        }
        if let Some(values) = &self.values {
            let keys: Vec<&String> = values.keys().filter(|k| !self.used_values.contains(*k)).collect();
            if !keys.is_empty() {
                return Err(ValidationError::new(format!(
                    "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                    unused(keys)
                )));
            }
        }
        Ok(())
    }
}
