//! Attribute values: the ten DynamoDB types, parsed from and written to the JSON wire form
//! (`{"S": "x"}`, `{"N": "1.5"}`, `{"B": "<base64>"}`, ...) with DynamoDB's validation.

use crate::error::ValidationError;
use crate::number::Number;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::hash::Hash;

/// An item, or a map value: attribute names to values. Insertion order is kept for output;
/// equality ignores it (as `IndexMap`'s does).
pub type Item = IndexMap<String, AttributeValue>;

/// How deep maps and lists may nest inside an item (DynamoDB's documented limit).
pub const MAX_NESTING_DEPTH: usize = 32;

/// One DynamoDB attribute value. Sets keep their elements in arrival order but compare as sets;
/// the parse functions guarantee they are non-empty and duplicate-free.
#[derive(Debug, Clone)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    SS(Vec<String>),
    NS(Vec<Number>),
    BS(Vec<Vec<u8>>),
    M(Item),
    L(Vec<AttributeValue>),
    Null,
    Bool(bool),
}

/// The type of an attribute value, named as `attribute_type` and the wire name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeType {
    S,
    N,
    B,
    SS,
    NS,
    BS,
    M,
    L,
    Null,
    Bool,
}

impl AttributeType {
    pub const ALL: [AttributeType; 10] = [
        AttributeType::S,
        AttributeType::N,
        AttributeType::B,
        AttributeType::SS,
        AttributeType::NS,
        AttributeType::BS,
        AttributeType::M,
        AttributeType::L,
        AttributeType::Null,
        AttributeType::Bool,
    ];

    /// The wire and `attribute_type` name: `S`, `SS`, `NULL`, `BOOL`, ...
    pub fn name(self) -> &'static str {
        match self {
            AttributeType::S => "S",
            AttributeType::N => "N",
            AttributeType::B => "B",
            AttributeType::SS => "SS",
            AttributeType::NS => "NS",
            AttributeType::BS => "BS",
            AttributeType::M => "M",
            AttributeType::L => "L",
            AttributeType::Null => "NULL",
            AttributeType::Bool => "BOOL",
        }
    }

    pub fn from_name(name: &str) -> Option<AttributeType> {
        AttributeType::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl std::fmt::Display for AttributeType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl AttributeValue {
    pub fn attribute_type(&self) -> AttributeType {
        match self {
            AttributeValue::S(_) => AttributeType::S,
            AttributeValue::N(_) => AttributeType::N,
            AttributeValue::B(_) => AttributeType::B,
            AttributeValue::SS(_) => AttributeType::SS,
            AttributeValue::NS(_) => AttributeType::NS,
            AttributeValue::BS(_) => AttributeType::BS,
            AttributeValue::M(_) => AttributeType::M,
            AttributeValue::L(_) => AttributeType::L,
            AttributeValue::Null => AttributeType::Null,
            AttributeValue::Bool(_) => AttributeType::Bool,
        }
    }

    /// A string value (for building values in code and tests).
    pub fn s(text: impl Into<String>) -> AttributeValue {
        AttributeValue::S(text.into())
    }

    /// A number value from its text; panics on text DynamoDB refuses (for literals in code).
    pub fn n(text: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(text).unwrap_or_else(|e| panic!("{text}: {e}")))
    }

    /// Parses one value from its wire JSON with DynamoDB's checks. Messages are AWS's:
    /// callers that report values under another parameter wrap them (see
    /// [`crate::parse_expression_attribute_values`]).
    pub fn from_json(json: &Value) -> Result<AttributeValue, ValidationError> {
        parse_value(json, 0)
    }

    /// The wire JSON form.
    pub fn to_json(&self) -> Value {
        let mut object = Map::with_capacity(1);
        let (name, body) = match self {
            AttributeValue::S(s) => ("S", Value::String(s.clone())),
            AttributeValue::N(n) => ("N", Value::String(n.to_string())),
            AttributeValue::B(b) => ("B", Value::String(BASE64.encode(b))),
            AttributeValue::SS(v) => ("SS", v.iter().map(|s| Value::String(s.clone())).collect()),
            AttributeValue::NS(v) => ("NS", v.iter().map(|n| Value::String(n.to_string())).collect()),
            AttributeValue::BS(v) => ("BS", v.iter().map(|b| Value::String(BASE64.encode(b))).collect()),
            AttributeValue::M(m) => ("M", item_to_json(m)),
            AttributeValue::L(l) => ("L", l.iter().map(AttributeValue::to_json).collect()),
            AttributeValue::Null => ("NULL", Value::Bool(true)),
            AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
        };
        object.insert(name.to_owned(), body);
        Value::Object(object)
    }
}

/// Parses an item (`{"name": {"S": "x"}, ...}`) with DynamoDB's checks on every value.
pub fn parse_item(json: &Value) -> Result<Item, ValidationError> {
    let Some(object) = json.as_object() else {
        return Err(ValidationError::new(
            "Item must be a map of attribute names to attribute values",
        ));
    };
    parse_map(object, 0)
}

/// The wire JSON of an item.
pub fn item_to_json(item: &Item) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

fn parse_map(object: &Map<String, Value>, depth: usize) -> Result<Item, ValidationError> {
    let mut item = Item::with_capacity(object.len());
    for (name, value) in object {
        item.insert(name.clone(), parse_value(value, depth)?);
    }
    Ok(item)
}

const TYPE_NAMES: [&str; 10] = ["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"];

fn wrong_shape(type_name: &str) -> ValidationError {
    ValidationError::invalid_parameter(format!("Invalid value for the {type_name} data type"))
}

fn parse_value(json: &Value, depth: usize) -> Result<AttributeValue, ValidationError> {
    if depth > MAX_NESTING_DEPTH {
        return Err(ValidationError::invalid_parameter(
            "Nesting Levels have exceeded supported limits",
        ));
    }
    let Some(object) = json.as_object() else {
        return Err(ValidationError::new(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ));
    };
    // A member sent as JSON null is how some clients leave a union member unset.
    let mut members = object
        .iter()
        .filter(|(k, v)| TYPE_NAMES.contains(&k.as_str()) && !v.is_null());
    let Some((type_name, body)) = members.next() else {
        return Err(ValidationError::new(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ));
    };
    if members.next().is_some() {
        return Err(ValidationError::new(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        ));
    }
    let string = |v: &Value| v.as_str().map(str::to_owned).ok_or_else(|| wrong_shape(type_name));
    let array = |v: &'_ Value| v.as_array().cloned().ok_or_else(|| wrong_shape(type_name));
    Ok(match type_name.as_str() {
        "S" => AttributeValue::S(string(body)?),
        "N" => AttributeValue::N(Number::parse(&string(body)?)?),
        "B" => AttributeValue::B(decode_binary(&string(body)?)?),
        "SS" => {
            let texts = array(body)?.iter().map(string).collect::<Result<Vec<_>, _>>()?;
            check_set("string", &texts, &texts)?;
            AttributeValue::SS(texts)
        }
        "NS" => {
            let texts = array(body)?.iter().map(string).collect::<Result<Vec<_>, _>>()?;
            let numbers = texts.iter().map(|t| Number::parse(t)).collect::<Result<Vec<_>, _>>()?;
            check_set("number", &numbers, &texts)?;
            AttributeValue::NS(numbers)
        }
        "BS" => {
            let texts = array(body)?.iter().map(string).collect::<Result<Vec<_>, _>>()?;
            let bytes = texts.iter().map(|t| decode_binary(t)).collect::<Result<Vec<_>, _>>()?;
            check_set("binary", &bytes, &texts)?;
            AttributeValue::BS(bytes)
        }
        "M" => AttributeValue::M(parse_map(body.as_object().ok_or_else(|| wrong_shape("M"))?, depth + 1)?),
        "L" => AttributeValue::L(
            array(body)?
                .iter()
                .map(|element| parse_value(element, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        "NULL" => match body.as_bool() {
            Some(true) => AttributeValue::Null,
            Some(false) => {
                return Err(ValidationError::invalid_parameter(
                    "Null attribute value types must have the value of true",
                ));
            }
            None => return Err(wrong_shape("NULL")),
        },
        "BOOL" => AttributeValue::Bool(body.as_bool().ok_or_else(|| wrong_shape("BOOL"))?),
        _ => unreachable!("filtered to TYPE_NAMES"),
    })
}

fn decode_binary(text: &str) -> Result<Vec<u8>, ValidationError> {
    BASE64
        .decode(text)
        .map_err(|_| ValidationError::invalid_parameter("Invalid Base64 encoding of the binary value"))
}

/// Sets may not be empty or hold duplicates; `texts` are the elements as sent, for the message.
fn check_set<T: Eq + Hash>(kind: &str, elements: &[T], texts: &[String]) -> Result<(), ValidationError> {
    if elements.is_empty() {
        // AWS's wording, including its "An string" and double space.
        return Err(ValidationError::invalid_parameter(format!("An {kind} set  may not be empty")));
    }
    if !all_distinct(elements) {
        return Err(ValidationError::invalid_parameter(format!(
            "Input collection [{}] contains duplicates.",
            texts.join(", ")
        )));
    }
    Ok(())
}

pub(crate) fn all_distinct<T: Eq + Hash>(elements: &[T]) -> bool {
    let mut seen = HashSet::with_capacity(elements.len());
    elements.iter().all(|e| seen.insert(e))
}

fn same_set<T: Eq + Hash>(a: &[T], b: &[T]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let members: HashSet<&T> = a.iter().collect();
    b.iter().all(|e| members.contains(e))
}

/// DynamoDB's equality: same type and value; sets and maps ignore order; numbers compare
/// numerically (`1` equals `1.0`).
impl PartialEq for AttributeValue {
    fn eq(&self, other: &AttributeValue) -> bool {
        match (self, other) {
            (AttributeValue::S(a), AttributeValue::S(b)) => a == b,
            (AttributeValue::N(a), AttributeValue::N(b)) => a == b,
            (AttributeValue::B(a), AttributeValue::B(b)) => a == b,
            (AttributeValue::SS(a), AttributeValue::SS(b)) => same_set(a, b),
            (AttributeValue::NS(a), AttributeValue::NS(b)) => same_set(a, b),
            (AttributeValue::BS(a), AttributeValue::BS(b)) => same_set(a, b),
            (AttributeValue::M(a), AttributeValue::M(b)) => a == b,
            (AttributeValue::L(a), AttributeValue::L(b)) => a == b,
            (AttributeValue::Null, AttributeValue::Null) => true,
            (AttributeValue::Bool(a), AttributeValue::Bool(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for AttributeValue {}

impl From<Number> for AttributeValue {
    fn from(number: Number) -> AttributeValue {
        AttributeValue::N(number)
    }
}

impl From<&str> for AttributeValue {
    fn from(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_owned())
    }
}

impl From<bool> for AttributeValue {
    fn from(value: bool) -> AttributeValue {
        AttributeValue::Bool(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error(json: Value) -> String {
        AttributeValue::from_json(&json).expect_err("should be refused").message
    }

    #[test]
    fn round_trips_every_type() {
        let wire = json!({
            "s": {"S": "hello"}, "empty": {"S": ""}, "n": {"N": "-1.5"}, "b": {"B": "AAEC"},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AA==", "AQ=="]},
            "m": {"M": {"z": {"NULL": true}, "a": {"BOOL": false}}},
            "l": {"L": [{"S": "x"}, {"L": []}, {"M": {}}]}, "null": {"NULL": true}, "bool": {"BOOL": true}
        });
        let item = parse_item(&wire).unwrap();
        assert_eq!(item["b"], AttributeValue::B(vec![0, 1, 2]));
        assert_eq!(item_to_json(&item), wire);
        let keys: Vec<_> = item["m"].to_json()["M"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["z", "a"], "map order is kept for output");
    }

    #[test]
    fn numbers_are_written_canonically() {
        let value = AttributeValue::from_json(&json!({"NS": ["1.50", "1E2"]})).unwrap();
        assert_eq!(value.to_json(), json!({"NS": ["1.5", "100"]}));
    }

    #[test]
    fn exactly_one_type() {
        assert_eq!(
            error(json!({})),
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        );
        assert_eq!(
            error(json!({"S": "a", "N": "1"})),
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
        );
        assert_eq!(
            error(json!({"M": {"a": {}}})),
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        );
    }

    #[test]
    fn sets_are_checked() {
        assert_eq!(
            error(json!({"SS": []})),
            "One or more parameter values were invalid: An string set  may not be empty"
        );
        assert_eq!(
            error(json!({"NS": []})),
            "One or more parameter values were invalid: An number set  may not be empty"
        );
        assert_eq!(
            error(json!({"BS": []})),
            "One or more parameter values were invalid: An binary set  may not be empty"
        );
        assert_eq!(
            error(json!({"SS": ["a", "b", "a"]})),
            "One or more parameter values were invalid: Input collection [a, b, a] contains duplicates."
        );
        assert_eq!(
            error(json!({"NS": ["1", "1.0"]})),
            "One or more parameter values were invalid: Input collection [1, 1.0] contains duplicates."
        );
        assert_eq!(
            error(json!({"L": [{"NS": ["x"]}]})),
            "The parameter cannot be converted to a numeric value: x"
        );
        // An empty string is a valid set member.
        AttributeValue::from_json(&json!({"SS": [""]})).unwrap();
    }

    #[test]
    fn null_must_be_true() {
        assert_eq!(
            error(json!({"NULL": false})),
            "One or more parameter values were invalid: Null attribute value types must have the value of true"
        );
    }

    #[test]
    fn nesting_is_limited() {
        let mut deep = json!({"S": "leaf"});
        for _ in 0..=MAX_NESTING_DEPTH {
            deep = json!({"L": [deep]});
        }
        assert!(error(deep).contains("Nesting Levels have exceeded supported limits"));
    }

    #[test]
    fn equality_follows_dynamodb() {
        let v = |j: Value| AttributeValue::from_json(&j).unwrap();
        assert_eq!(v(json!({"N": "1"})), v(json!({"N": "1.0"})));
        assert_eq!(v(json!({"SS": ["a", "b"]})), v(json!({"SS": ["b", "a"]})));
        assert_eq!(v(json!({"NS": ["1", "2"]})), v(json!({"NS": ["2.0", "1"]})));
        assert_eq!(
            v(json!({"M": {"a": {"S": "1"}, "b": {"N": "2"}}})),
            v(json!({"M": {"b": {"N": "2"}, "a": {"S": "1"}}}))
        );
        assert_ne!(
            v(json!({"L": [{"S": "a"}, {"S": "b"}]})),
            v(json!({"L": [{"S": "b"}, {"S": "a"}]}))
        );
        assert_ne!(v(json!({"S": "1"})), v(json!({"N": "1"})));
        assert_ne!(v(json!({"SS": ["a"]})), v(json!({"SS": ["a", "b"]})));
    }
}
