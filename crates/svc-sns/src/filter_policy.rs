//! SNS subscription filter policies: parsing and validation with AWS's constraints, and matching
//! against message attributes (`FilterPolicyScope` `MessageAttributes`, the default) or against
//! the message body parsed as JSON (`MessageBody`).
//!
//! The spec is AWS's SNS developer guide ("Amazon SNS subscription filter policies", "Filter policy
//! constraints", "String value matching", "Numeric value matching", "Key matching", "AND/OR logic").
//!
//! * A policy is a JSON object. Each key names a message attribute (or a message body property)
//!   and holds an array of match values: the key matches when **any** value matches (OR), the
//!   policy matches when **every** key matches (AND). `"$or": [{..}, {..}]` ORs whole sub-policies.
//! * Match values: exact strings, numbers, `true`/`false`/`null`, and the operators `prefix`,
//!   `suffix`, `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list of strings or of
//!   numbers, or `{"prefix"|"suffix"|"wildcard"|"equals-ignore-case": ..}`), `numeric` (`=`, `<`,
//!   `<=`, `>`, `>=`, and a range `[">", 0, "<=", 150]`), `exists` (`true`/`false`) and `cidr`
//!   (IPv4 and IPv6).
//! * `MessageBody` policies may nest objects, matching nested JSON objects; an array in the body
//!   matches when any of its elements does (a leaf array: any element; an array of objects: any
//!   one object satisfying the whole nested sub-policy).
//! * Message attributes: `String` and `Number` (with custom suffixes such as `Number.float`),
//!   `String.Array` matched element by element; `Binary` attributes are ignored (as if absent).
//! * Numbers compare with five digits after the decimal point (AWS: "-10^9 to 10^9, with five
//!   digits of accuracy after the decimal point"); numbers in `numeric` and `anything-but` must lie
//!   in that range.
//! * Constraints: at most 256 KB, at most five keys (top-level keys; a `$or` counts the keys of its
//!   alternatives), at most 150 combinations (the product of the value counts of the keys, summed
//!   over the `$or` alternatives, a nested key's count multiplied by its nesting level as the AND/OR
//!   page computes it), no empty arrays or objects, no unknown operators, no nesting in the
//!   `MessageAttributes` scope.
//!
//! The empty policy `{}` is valid and matches every message (AWS removes a filter policy by
//! setting it to `{}`).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use nimbus_core::ServiceError;
use serde_json::{Map, Value};

/// The largest filter policy AWS accepts: 256 KB.
const MAX_POLICY_BYTES: usize = 256 * 1024;
/// "A filter policy can have a maximum of five keys."
const MAX_KEYS: usize = 5;
/// "The total combination of values in a filter policy must not exceed 150."
const MAX_COMBINATIONS: u64 = 150;
/// "For numeric matching, the value can range from -10^9 to 10^9."
const NUMERIC_LIMIT: f64 = 1e9;
/// "... with five digits of accuracy after the decimal point."
const NUMERIC_SCALE: f64 = 1e5;

/// The operator names: an `$or` array whose objects use one of them as a field name is not an OR.
const RESERVED: &[&str] =
    &["prefix", "suffix", "anything-but", "numeric", "exists", "cidr", "equals-ignore-case", "wildcard"];

/// What a subscription's filter policy applies to (`FilterPolicyScope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterScope {
    MessageAttributes,
    MessageBody,
}

/// A parsed, validated filter policy.
#[derive(Clone, Debug)]
pub struct FilterPolicy {
    root: Node,
}

/// The conditions on one JSON object: every field holds, and for every `$or` one alternative holds.
#[derive(Clone, Debug, Default)]
struct Node {
    fields: Vec<(String, Field)>,
    ors: Vec<Vec<Node>>,
}

#[derive(Clone, Debug)]
enum Field {
    /// `"key": [values]`: at least one value matches.
    Leaf(Vec<Pattern>),
    /// `"key": {..}` (message body scope): the nested object matches.
    Nested(Node),
}

#[derive(Clone, Debug)]
enum Pattern {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Prefix(String),
    Suffix(String),
    /// Stored lower-cased.
    EqualsIgnoreCase(String),
    Wildcard(Wildcard),
    AnythingBut(AnythingBut),
    Numeric(NumericRange),
    Exists(bool),
    Cidr(Cidr),
}

#[derive(Clone, Debug)]
enum AnythingBut {
    Strings(Vec<String>),
    Numbers(Vec<f64>),
    Prefix(String),
    Suffix(String),
    Wildcard(Wildcard),
    /// Stored lower-cased.
    EqualsIgnoreCase(Vec<String>),
}

/// A numeric condition: optional bounds, each with its inclusiveness (`=` is both, inclusive).
#[derive(Clone, Copy, Debug)]
struct NumericRange {
    lower: Option<(f64, bool)>,
    upper: Option<(f64, bool)>,
}

/// A `wildcard` pattern: the literal parts between unescaped `*`s.
#[derive(Clone, Debug)]
struct Wildcard {
    parts: Vec<String>,
}

#[derive(Clone, Copy, Debug)]
enum Cidr {
    V4 { network: u32, mask: u32 },
    V6 { network: u128, mask: u128 },
}

/// One scalar value of the message at a key.
#[derive(Debug)]
enum Scalar<'a> {
    Str(Cow<'a, str>),
    Num(f64),
    Bool(bool),
    Null,
}

/// What a message holds at a key: whether the key is there, and its scalar values.
struct Values<'a> {
    present: bool,
    scalars: Vec<Scalar<'a>>,
}

impl FilterPolicy {
    /// Parses and validates a FilterPolicy JSON string with AWS's constraints and AWS's error
    /// messages (`InvalidParameter`, "Invalid parameter: FilterPolicy: ..."), for the given scope
    /// (nested keys are only allowed for the `MessageBody` scope).
    pub fn parse(text: &str, scope: FilterScope) -> Result<FilterPolicy, ServiceError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(invalid("Filter policy is too large: the maximum size is 256 KB"));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| invalid(format!("failed to parse JSON. {e}")))?;
        let Value::Object(object) = value else {
            return Err(invalid("Filter is not an object"));
        };
        let root = parse_node(&object, scope, true)?;
        if count_keys(&root) > MAX_KEYS {
            return Err(invalid(format!("Filter policy can not have more than {MAX_KEYS} keys")));
        }
        if complexity(&root, 1) > MAX_COMBINATIONS {
            return Err(invalid("Filter policy is too complex"));
        }
        Ok(FilterPolicy { root })
    }

    /// Message-attribute scope: attributes as name -> (DataType, string value). `String` and
    /// `Number` types (custom suffixes allowed: `Number.float`), `String.Array` (a JSON array in
    /// the value, matched element-wise); `Binary` attributes are ignored.
    pub fn matches_attributes(&self, attributes: &BTreeMap<String, (String, String)>) -> bool {
        node_matches_attributes(&self.root, attributes)
    }

    /// Message-body scope: the body parsed as JSON. A body that is not a JSON object matches
    /// nothing, except for the empty policy `{}`, which matches every message.
    pub fn matches_body(&self, body: &Value) -> bool {
        if self.root.fields.is_empty() && self.root.ors.is_empty() {
            return true;
        }
        body.is_object() && node_matches_body(&self.root, Some(body))
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation
// ---------------------------------------------------------------------------------------------

fn invalid(message: impl std::fmt::Display) -> ServiceError {
    ServiceError::new("InvalidParameter", format!("Invalid parameter: FilterPolicy: {message}"))
}

type Parsed<T> = Result<T, ServiceError>;

fn parse_node(object: &Map<String, Value>, scope: FilterScope, top_level: bool) -> Parsed<Node> {
    if object.is_empty() && !top_level {
        return Err(invalid("Empty objects are not allowed"));
    }
    let mut node = Node::default();
    for (key, value) in object {
        if key == "$or"
            && let Some(alternatives) = or_alternatives(value)
        {
            let alternatives = alternatives
                .iter()
                .map(|alternative| match alternative {
                    Value::Object(object) => parse_node(object, scope, false),
                    _ => unreachable!("or_alternatives admits only objects"),
                })
                .collect::<Parsed<Vec<Node>>>()?;
            node.ors.push(alternatives);
            continue;
        }
        let field = match value {
            Value::Array(items) => Field::Leaf(parse_patterns(items)?),
            Value::Object(nested) => {
                if scope == FilterScope::MessageAttributes {
                    return Err(ServiceError::new(
                        "InvalidParameter",
                        "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
                    ));
                }
                Field::Nested(parse_node(nested, scope, false)?)
            }
            _ => return Err(invalid(format!("\"{key}\" must be an object or an array"))),
        };
        node.fields.push((key.clone(), field));
    }
    Ok(node)
}

/// AWS recognizes `"$or"` only when it holds an array of at least two objects none of which
/// has a reserved operator name as a field; otherwise `"$or"` is an ordinary key.
fn or_alternatives(value: &Value) -> Option<&Vec<Value>> {
    let Value::Array(items) = value else { return None };
    let all_plain_objects = items.iter().all(|item| {
        matches!(item, Value::Object(object) if !object.keys().any(|name| RESERVED.contains(&name.as_str())))
    });
    (items.len() >= 2 && all_plain_objects).then_some(items)
}

fn parse_patterns(items: &[Value]) -> Parsed<Vec<Pattern>> {
    if items.is_empty() {
        return Err(invalid("Empty arrays are not allowed"));
    }
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(Pattern::Str(s.clone())),
            Value::Number(n) => Ok(Pattern::Num(as_f64(n))),
            Value::Bool(b) => Ok(Pattern::Bool(*b)),
            Value::Null => Ok(Pattern::Null),
            Value::Object(expression) => parse_match_expression(expression),
            Value::Array(_) => Err(invalid("Match value must be String, number, true, false, or null")),
        })
        .collect()
}

fn parse_match_expression(expression: &Map<String, Value>) -> Parsed<Pattern> {
    let Some((operator, operand)) = expression.iter().next() else {
        return Err(invalid("Match expression name not found"));
    };
    let pattern = match operator.as_str() {
        "prefix" => Pattern::Prefix(string_operand(operator, operand)?.to_owned()),
        "suffix" => Pattern::Suffix(string_operand(operator, operand)?.to_owned()),
        "equals-ignore-case" => Pattern::EqualsIgnoreCase(string_operand(operator, operand)?.to_lowercase()),
        "wildcard" => Pattern::Wildcard(parse_wildcard(string_operand(operator, operand)?)?),
        "cidr" => Pattern::Cidr(parse_cidr(string_operand(operator, operand)?)?),
        "numeric" => match operand {
            Value::Array(terms) => Pattern::Numeric(parse_numeric(terms)?),
            _ => return Err(invalid("Value of numeric must be an array.")),
        },
        "exists" => match operand {
            Value::Bool(exists) => Pattern::Exists(*exists),
            _ => return Err(invalid("exists match pattern must be either true or false.")),
        },
        "anything-but" => Pattern::AnythingBut(parse_anything_but(operand)?),
        other => return Err(invalid(format!("Unrecognized match type {other}"))),
    };
    if expression.len() > 1 {
        return Err(invalid("Only one key allowed in match expression"));
    }
    Ok(pattern)
}

fn string_operand<'v>(operator: &str, operand: &'v Value) -> Parsed<&'v str> {
    match operand {
        Value::String(s) => Ok(s),
        _ => Err(invalid(format!("{operator} match pattern must be a string"))),
    }
}

fn parse_anything_but(operand: &Value) -> Parsed<AnythingBut> {
    match operand {
        Value::String(s) => Ok(AnythingBut::Strings(vec![s.clone()])),
        Value::Number(n) => Ok(AnythingBut::Numbers(vec![checked_number(n)?])),
        Value::Array(items) => {
            let mut strings = Vec::new();
            let mut numbers = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => strings.push(s.clone()),
                    Value::Number(n) => numbers.push(checked_number(n)?),
                    _ => return Err(invalid("Inside anything but list, start|null|boolean is not supported.")),
                }
            }
            match (strings.is_empty(), numbers.is_empty()) {
                (false, true) => Ok(AnythingBut::Strings(strings)),
                (true, false) => Ok(AnythingBut::Numbers(numbers)),
                _ => Err(invalid(
                    "Inside anything but list, either all values are number or string, mixed type is not supported",
                )),
            }
        }
        Value::Object(expression) => {
            let Some((operator, inner)) = expression.iter().next() else {
                return Err(invalid("Anything-But expression name not found"));
            };
            let pattern = match operator.as_str() {
                "prefix" | "suffix" => {
                    let Value::String(text) = inner else {
                        return Err(invalid("prefix/suffix match pattern must be a string"));
                    };
                    if text.is_empty() {
                        return Err(invalid("Null prefix/suffix not allowed"));
                    }
                    if operator == "prefix" {
                        AnythingBut::Prefix(text.clone())
                    } else {
                        AnythingBut::Suffix(text.clone())
                    }
                }
                "wildcard" => AnythingBut::Wildcard(parse_wildcard(string_operand(operator, inner)?)?),
                "equals-ignore-case" => {
                    let not_supported =
                        || invalid("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.");
                    match inner {
                        Value::String(s) => AnythingBut::EqualsIgnoreCase(vec![s.to_lowercase()]),
                        Value::Array(items) if !items.is_empty() => AnythingBut::EqualsIgnoreCase(
                            items
                                .iter()
                                .map(|item| item.as_str().map(str::to_lowercase).ok_or_else(not_supported))
                                .collect::<Parsed<_>>()?,
                        ),
                        _ => return Err(not_supported()),
                    }
                }
                other => return Err(invalid(format!("Unsupported anything-but pattern: {other}"))),
            };
            if expression.len() > 1 {
                return Err(invalid("Only one key allowed in match expression"));
            }
            Ok(pattern)
        }
        Value::Bool(_) | Value::Null => {
            Err(invalid("Value of anything-but must be an array or single string/number value."))
        }
    }
}

fn parse_numeric(terms: &[Value]) -> Parsed<NumericRange> {
    let Some(first) = terms.first() else {
        return Err(invalid("Invalid member in numeric match: ]"));
    };
    let Value::String(operator) = first else {
        return Err(invalid(format!("Invalid member in numeric match: {first}")));
    };
    let operator = operator.as_str();
    if !matches!(operator, "=" | "<" | "<=" | ">" | ">=") {
        return Err(invalid(format!("Unrecognized numeric range operator: {operator}")));
    }
    let value = numeric_term(operator, terms.get(1))?;
    let range = match operator {
        "=" => NumericRange { lower: Some((value, true)), upper: Some((value, true)) },
        "<" => NumericRange { lower: None, upper: Some((value, false)) },
        "<=" => NumericRange { lower: None, upper: Some((value, true)) },
        _ => {
            let lower = Some((value, operator == ">="));
            let Some(next) = terms.get(2) else {
                return Ok(NumericRange { lower, upper: None });
            };
            let Value::String(top_operator) = next else {
                return Err(invalid(format!("Bad value in numeric range: {next}")));
            };
            let inclusive = match top_operator.as_str() {
                "<" => false,
                "<=" => true,
                other => return Err(invalid(format!("Bad numeric range operator: {other}"))),
            };
            let top = numeric_term(top_operator, terms.get(3))?;
            if terms.len() > 4 {
                return Err(invalid("Too many terms in numeric range expression"));
            }
            if scaled(value) >= scaled(top) {
                return Err(invalid("Bottom must be less than top"));
            }
            return Ok(NumericRange { lower, upper: Some((top, inclusive)) });
        }
    };
    if terms.len() > 2 {
        return Err(invalid("Too many elements in numeric expression"));
    }
    Ok(range)
}

fn numeric_term(operator: &str, term: Option<&Value>) -> Parsed<f64> {
    match term {
        Some(Value::Number(n)) => checked_number(n),
        _ => Err(invalid(format!("Value of {operator} must be numeric"))),
    }
}

/// A number used for numeric matching: within AWS's documented range.
fn checked_number(n: &serde_json::Number) -> Parsed<f64> {
    let value = as_f64(n);
    if !(-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&value) {
        return Err(invalid("Value must be between -1.0E9 and 1.0E9, inclusive"));
    }
    Ok(value)
}

fn as_f64(n: &serde_json::Number) -> f64 {
    // Without arbitrary_precision every JSON number is representable as an f64.
    n.as_f64().unwrap_or(f64::NAN)
}

/// A number as AWS compares it: to five digits after the decimal point.
fn scaled(value: f64) -> i128 {
    (value * NUMERIC_SCALE).round() as i128
}

/// Exact numeric equality: to five decimal places, or plainly for numbers so large that the
/// scaled form would saturate (exact values in a policy are not range-checked).
fn same_number(a: f64, b: f64) -> bool {
    const SCALABLE: f64 = 1e30;
    if a.abs() < SCALABLE && b.abs() < SCALABLE { scaled(a) == scaled(b) } else { a == b }
}

fn parse_wildcard(pattern: &str) -> Parsed<Wildcard> {
    let mut parts = vec![String::new()];
    let mut chars = pattern.char_indices().peekable();
    while let Some((position, c)) = chars.next() {
        match c {
            '*' => {
                if matches!(chars.peek(), Some((_, '*'))) {
                    return Err(invalid(format!("Consecutive wildcard characters at pos {position}")));
                }
                parts.push(String::new());
            }
            '\\' => match chars.next() {
                Some((_, escaped @ ('*' | '\\'))) => parts.last_mut().expect("never empty").push(escaped),
                _ => return Err(invalid(format!("Invalid escape character at pos {position}"))),
            },
            c => parts.last_mut().expect("never empty").push(c),
        }
    }
    Ok(Wildcard { parts })
}

fn parse_cidr(text: &str) -> Parsed<Cidr> {
    let mut pieces = text.split('/');
    let (Some(address), Some(bits), None) = (pieces.next(), pieces.next(), pieces.next()) else {
        return Err(invalid("Malformed CIDR, one '/' required"));
    };
    let bits: i64 = bits.parse().map_err(|_| invalid("Malformed CIDR, mask bits must be an integer"))?;
    if bits < 0 {
        return Err(invalid("Malformed CIDR, mask bits must not be negative"));
    }
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => {
            if bits > 32 {
                return Err(invalid("IPv4 mask bits must be <= 32"));
            }
            let mask = u32::MAX.checked_shl(32 - bits as u32).unwrap_or(0);
            Ok(Cidr::V4 { network: u32::from(ip) & mask, mask })
        }
        Ok(IpAddr::V6(ip)) => {
            if bits > 128 {
                return Err(invalid("IPv6 mask bits must be <= 128"));
            }
            let mask = u128::MAX.checked_shl(128 - bits as u32).unwrap_or(0);
            Ok(Cidr::V6 { network: u128::from(ip) & mask, mask })
        }
        Err(_) => Err(invalid(format!("Nonstandard IP address: {address}"))),
    }
}

/// The keys that count toward the limit of five: the top-level keys, those of top-level `$or`
/// alternatives included (each distinct name once). Nested keys do not count.
fn count_keys(root: &Node) -> usize {
    fn collect<'n>(node: &'n Node, names: &mut BTreeSet<&'n str>) {
        names.extend(node.fields.iter().map(|(name, _)| name.as_str()));
        for alternative in node.ors.iter().flatten() {
            collect(alternative, names);
        }
    }
    let mut names = BTreeSet::new();
    collect(root, &mut names);
    names.len()
}

/// The total combination: the product over the keys of their value counts, a `$or` contributing
/// the sum of its alternatives. As AWS's AND/OR page computes it, a nested key's count is weighted
/// by its nesting level (a two-level key with one value counts 2).
fn complexity(node: &Node, depth: u64) -> u64 {
    let mut total: u64 = 1;
    for (_, field) in &node.fields {
        let factor = match field {
            Field::Leaf(patterns) => (patterns.len() as u64).saturating_mul(depth),
            Field::Nested(nested) => complexity(nested, depth + 1),
        };
        total = total.saturating_mul(factor);
    }
    for alternatives in &node.ors {
        let sum = alternatives.iter().fold(0u64, |sum, alternative| sum.saturating_add(complexity(alternative, depth)));
        total = total.saturating_mul(sum);
    }
    total
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

fn node_matches_attributes(node: &Node, attributes: &BTreeMap<String, (String, String)>) -> bool {
    node.fields.iter().all(|(name, field)| match field {
        Field::Leaf(patterns) => leaf_matches(patterns, &attribute_values(attributes.get(name))),
        // Rejected at parse time for this scope.
        Field::Nested(_) => false,
    }) && node
        .ors
        .iter()
        .all(|alternatives| alternatives.iter().any(|alternative| node_matches_attributes(alternative, attributes)))
}

/// The scalar values of one message attribute.
fn attribute_values(attribute: Option<&(String, String)>) -> Values<'_> {
    let Some((data_type, value)) = attribute else {
        return Values { present: false, scalars: Vec::new() };
    };
    let base = data_type.split('.').next().unwrap_or_default();
    let scalars = match base {
        // "Amazon SNS ignores message attributes with the Binary data type."
        "Binary" => return Values { present: false, scalars: Vec::new() },
        _ if data_type == "String.Array" => array_scalars(value).unwrap_or_else(|| vec![Scalar::Str(value.into())]),
        "Number" => match parse_number(value) {
            Some(number) => vec![Scalar::Num(number)],
            // The developer guide's `Number.Array` example: a JSON array of numbers.
            None => array_scalars(value).unwrap_or_else(|| vec![Scalar::Str(value.into())]),
        },
        _ => vec![Scalar::Str(value.into())],
    };
    Values { present: true, scalars }
}

/// The elements of a JSON array in an attribute value (`String.Array`), flattened.
fn array_scalars(value: &str) -> Option<Vec<Scalar<'static>>> {
    let parsed: Value = serde_json::from_str(value).ok()?;
    if !parsed.is_array() {
        return None;
    }
    let mut borrowed = Vec::new();
    push_scalars(&parsed, &mut borrowed);
    Some(
        borrowed
            .into_iter()
            .map(|scalar| match scalar {
                Scalar::Str(s) => Scalar::Str(Cow::Owned(s.into_owned())),
                Scalar::Num(n) => Scalar::Num(n),
                Scalar::Bool(b) => Scalar::Bool(b),
                Scalar::Null => Scalar::Null,
            })
            .collect(),
    )
}

/// A `Number` attribute value: a decimal number, optionally signed, optionally with an exponent.
fn parse_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut i = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits_start = i;
    let mut digits = 0;
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
        digits += usize::from(bytes[i].is_ascii_digit());
        i += 1;
    }
    let mantissa = &text[digits_start..i];
    if digits == 0 || mantissa.matches('.').count() > 1 {
        return None;
    }
    if i < bytes.len() && matches!(bytes[i], b'e' | b'E') {
        i += 1;
        i += usize::from(matches!(bytes.get(i), Some(b'+' | b'-')));
        let exponent_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == exponent_start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// A sub-policy against the message value at its position (`None`: absent). An array matches
/// when one of its elements does; a scalar or an absent value is an object with no keys.
fn node_matches_body(node: &Node, value: Option<&Value>) -> bool {
    let object = match value {
        Some(Value::Array(items)) if !items.is_empty() => {
            return items.iter().any(|item| node_matches_body(node, Some(item)));
        }
        Some(Value::Object(object)) => Some(object),
        _ => None,
    };
    node.fields.iter().all(|(name, field)| {
        let value = object.and_then(|object| object.get(name));
        match field {
            Field::Leaf(patterns) => {
                let mut scalars = Vec::new();
                if let Some(value) = value {
                    push_scalars(value, &mut scalars);
                }
                leaf_matches(patterns, &Values { present: !scalars.is_empty(), scalars })
            }
            Field::Nested(nested) => node_matches_body(nested, value),
        }
    }) && node
        .ors
        .iter()
        .all(|alternatives| alternatives.iter().any(|alternative| node_matches_body(alternative, value)))
}

/// The scalar (leaf) values of a JSON value: itself, or the elements of (nested) arrays.
/// Objects are not leaves.
fn push_scalars<'a>(value: &'a Value, out: &mut Vec<Scalar<'a>>) {
    match value {
        Value::String(s) => out.push(Scalar::Str(Cow::Borrowed(s))),
        Value::Number(n) => out.push(Scalar::Num(as_f64(n))),
        Value::Bool(b) => out.push(Scalar::Bool(*b)),
        Value::Null => out.push(Scalar::Null),
        Value::Array(items) => items.iter().for_each(|item| push_scalars(item, out)),
        Value::Object(_) => {}
    }
}

/// One key: at least one of its patterns matches.
fn leaf_matches(patterns: &[Pattern], values: &Values<'_>) -> bool {
    patterns.iter().any(|pattern| match pattern {
        Pattern::Exists(exists) => *exists == values.present,
        pattern => values.scalars.iter().any(|scalar| scalar_matches(pattern, scalar)),
    })
}

fn scalar_matches(pattern: &Pattern, scalar: &Scalar<'_>) -> bool {
    match (pattern, scalar) {
        (Pattern::Str(expected), Scalar::Str(s)) => expected == s,
        (Pattern::Num(expected), Scalar::Num(n)) => same_number(*expected, *n),
        (Pattern::Bool(expected), Scalar::Bool(b)) => expected == b,
        (Pattern::Null, Scalar::Null) => true,
        (Pattern::Prefix(prefix), Scalar::Str(s)) => s.starts_with(prefix.as_str()),
        (Pattern::Suffix(suffix), Scalar::Str(s)) => s.ends_with(suffix.as_str()),
        (Pattern::EqualsIgnoreCase(expected), Scalar::Str(s)) => *expected == s.to_lowercase(),
        (Pattern::Wildcard(wildcard), Scalar::Str(s)) => wildcard.matches(s),
        (Pattern::Numeric(range), Scalar::Num(n)) => range.contains(*n),
        (Pattern::Cidr(cidr), Scalar::Str(s)) => cidr.contains(s),
        (Pattern::AnythingBut(but), scalar) => but.matches(scalar),
        _ => false,
    }
}

impl AnythingBut {
    /// A present value that is none of the excluded ones.
    fn matches(&self, scalar: &Scalar<'_>) -> bool {
        match (self, scalar) {
            (AnythingBut::Strings(excluded), Scalar::Str(s)) => !excluded.iter().any(|e| e == s),
            (AnythingBut::Numbers(excluded), Scalar::Num(n)) => !excluded.iter().any(|e| same_number(*e, *n)),
            (AnythingBut::Prefix(prefix), Scalar::Str(s)) => !s.starts_with(prefix.as_str()),
            (AnythingBut::Suffix(suffix), Scalar::Str(s)) => !s.ends_with(suffix.as_str()),
            (AnythingBut::Wildcard(wildcard), Scalar::Str(s)) => !wildcard.matches(s),
            (AnythingBut::EqualsIgnoreCase(excluded), Scalar::Str(s)) => {
                let lower = s.to_lowercase();
                !excluded.contains(&lower)
            }
            // A value of another type is none of the excluded values.
            _ => true,
        }
    }
}

impl NumericRange {
    fn contains(&self, value: f64) -> bool {
        let value = scaled(value);
        let above = self.lower.is_none_or(|(bound, inclusive)| {
            let bound = scaled(bound);
            if inclusive { value >= bound } else { value > bound }
        });
        let below = self.upper.is_none_or(|(bound, inclusive)| {
            let bound = scaled(bound);
            if inclusive { value <= bound } else { value < bound }
        });
        above && below
    }
}

impl Wildcard {
    fn matches(&self, text: &str) -> bool {
        let (first, rest) = self.parts.split_first().expect("a wildcard has at least one part");
        let Some((last, middle)) = rest.split_last() else {
            return text == first;
        };
        if text.len() < first.len() + last.len() || !text.starts_with(first.as_str()) || !text.ends_with(last.as_str()) {
            return false;
        }
        // Greedy leftmost search of the middle parts is exact for `*`-only globs.
        let mut remaining = &text[first.len()..text.len() - last.len()];
        for part in middle {
            match remaining.find(part.as_str()) {
                Some(at) => remaining = &remaining[at + part.len()..],
                None => return false,
            }
        }
        true
    }
}

impl Cidr {
    fn contains(&self, text: &str) -> bool {
        match (self, text.parse::<IpAddr>()) {
            (Cidr::V4 { network, mask }, Ok(IpAddr::V4(ip))) => u32::from(ip) & mask == *network,
            (Cidr::V6 { network, mask }, Ok(IpAddr::V6(ip))) => u128::from(ip) & mask == *network,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
