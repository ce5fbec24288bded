//! The Condition element: every documented operator, `...IfExists`, the `ForAllValues:` /
//! `ForAnyValue:` set qualifiers, compiled with typed values.

use serde_json::Value;

use crate::arn::{Arn, ArnPattern};
use crate::document::PolicyError;
use crate::evaluate::Missing;
use crate::pattern::{Pattern, Syntax};
use crate::values::{self, Cidr};
use crate::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

impl Comparison {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Comparison::Equals => request == policy,
            Comparison::LessThan => request < policy,
            Comparison::LessThanEquals => request <= policy,
            Comparison::GreaterThan => request > policy,
            Comparison::GreaterThanEquals => request >= policy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Qualifier {
    /// No set operator: a multivalued key matches when any of its values does.
    Single,
    ForAllValues,
    ForAnyValue,
}

/// The positive test of an operator; negated operators (`StringNotEquals`, `NotIpAddress`,
/// `ArnNotLike`, ...) are the same test with `negated` set.
#[derive(Debug, Clone, PartialEq)]
enum Test {
    StringEquals(Vec<Pattern>),
    StringEqualsIgnoreCase(Vec<Pattern>),
    StringLike(Vec<Pattern>),
    Numeric(Comparison, Vec<Option<f64>>),
    Date(Comparison, Vec<Option<i128>>),
    Bool(Vec<Pattern>),
    Binary(Vec<Option<Vec<u8>>>),
    IpAddress(Vec<Option<Cidr>>),
    Arn(Vec<Option<ArnPattern>>),
    /// `true`: the key must be absent; `false`: present.
    Null(Vec<Option<bool>>),
}

/// One key tested by one operator, with the policy's values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    /// As written (GetContextKeysFor*Policy returns it so).
    pub(crate) key: String,
    key_lower: String,
    qualifier: Qualifier,
    negated: bool,
    if_exists: bool,
    test: Test,
}

/// The base operators by name: (test kind, negated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    Binary,
    IpAddress,
    Arn,
    Null,
}

fn operator(name: &str) -> Option<(Kind, bool)> {
    use Comparison::*;
    let lower = name.to_ascii_lowercase();
    let found = match lower.as_str() {
        "stringequals" => (Kind::StringEquals, false),
        "stringnotequals" => (Kind::StringEquals, true),
        "stringequalsignorecase" => (Kind::StringEqualsIgnoreCase, false),
        "stringnotequalsignorecase" => (Kind::StringEqualsIgnoreCase, true),
        "stringlike" => (Kind::StringLike, false),
        "stringnotlike" => (Kind::StringLike, true),
        "numericequals" => (Kind::Numeric(Equals), false),
        "numericnotequals" => (Kind::Numeric(Equals), true),
        "numericlessthan" => (Kind::Numeric(LessThan), false),
        "numericlessthanequals" => (Kind::Numeric(LessThanEquals), false),
        "numericgreaterthan" => (Kind::Numeric(GreaterThan), false),
        "numericgreaterthanequals" => (Kind::Numeric(GreaterThanEquals), false),
        "dateequals" => (Kind::Date(Equals), false),
        "datenotequals" => (Kind::Date(Equals), true),
        "datelessthan" => (Kind::Date(LessThan), false),
        "datelessthanequals" => (Kind::Date(LessThanEquals), false),
        "dategreaterthan" => (Kind::Date(GreaterThan), false),
        "dategreaterthanequals" => (Kind::Date(GreaterThanEquals), false),
        "bool" => (Kind::Bool, false),
        "binaryequals" => (Kind::Binary, false),
        "ipaddress" => (Kind::IpAddress, false),
        "notipaddress" => (Kind::IpAddress, true),
        "arnequals" | "arnlike" => (Kind::Arn, false),
        "arnnotequals" | "arnnotlike" => (Kind::Arn, true),
        "null" => (Kind::Null, false),
        _ => return None,
    };
    Some(found)
}

/// Splits `ForAnyValue:StringLikeIfExists` into its qualifier, operator and `IfExists`.
fn parse_operator(written: &str) -> Option<(Qualifier, Kind, bool, bool)> {
    let (qualifier, rest) = match written.split_once(':') {
        Some((q, rest)) if q.eq_ignore_ascii_case("ForAllValues") => (Qualifier::ForAllValues, rest),
        Some((q, rest)) if q.eq_ignore_ascii_case("ForAnyValue") => (Qualifier::ForAnyValue, rest),
        Some(_) => return None,
        None => (Qualifier::Single, written),
    };
    let suffix = "ifexists";
    let (name, if_exists) = match rest.len().checked_sub(suffix.len()) {
        Some(cut) if rest.is_char_boundary(cut) && rest[cut..].eq_ignore_ascii_case(suffix) => (&rest[..cut], true),
        _ => (rest, false),
    };
    let (kind, negated) = operator(name)?;
    // Null tests existence itself.
    if kind == Kind::Null && (if_exists || qualifier != Qualifier::Single) {
        return None;
    }
    Some((qualifier, kind, negated, if_exists))
}

/// A policy value as text: strings as written, numbers and booleans as JSON spells them.
fn value_texts(value: &Value) -> Result<Vec<String>, PolicyError> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(PolicyError::syntax()),
    };
    match value {
        Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

/// Parses the Condition element's value: `{ operator: { key: value | [values] } }`.
pub(crate) fn parse_block(block: &Value, variables: bool) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(operators) = block else {
        return Err(PolicyError::syntax());
    };
    let mut conditions = Vec::new();
    for (written, keys) in operators {
        let (qualifier, kind, negated, if_exists) = parse_operator(written).ok_or_else(PolicyError::syntax)?;
        let Value::Object(keys) = keys else {
            return Err(PolicyError::syntax());
        };
        for (key, value) in keys {
            if key.split_once(':').is_none_or(|(vendor, _)| vendor.is_empty()) {
                return Err(PolicyError::vendor());
            }
            let texts = value_texts(value)?;
            conditions.push(Condition {
                key: key.clone(),
                key_lower: key.to_ascii_lowercase(),
                qualifier,
                negated,
                if_exists,
                test: compile_test(kind, &texts, variables),
            });
        }
    }
    Ok(conditions)
}

fn compile_test(kind: Kind, texts: &[String], variables: bool) -> Test {
    let patterns = |syntax| texts.iter().map(|t| Pattern::compile(t, syntax, variables)).collect();
    match kind {
        Kind::StringEquals => Test::StringEquals(patterns(Syntax::Literal)),
        Kind::StringEqualsIgnoreCase => Test::StringEqualsIgnoreCase(patterns(Syntax::Literal)),
        Kind::StringLike => Test::StringLike(patterns(Syntax::Wildcards)),
        Kind::Bool => Test::Bool(patterns(Syntax::Literal)),
        Kind::Numeric(c) => Test::Numeric(c, texts.iter().map(|t| values::number(t)).collect()),
        Kind::Date(c) => Test::Date(c, texts.iter().map(|t| values::date(t)).collect()),
        Kind::Binary => Test::Binary(texts.iter().map(|t| values::base64(t)).collect()),
        Kind::IpAddress => Test::IpAddress(texts.iter().map(|t| Cidr::parse(t)).collect()),
        Kind::Arn => Test::Arn(texts.iter().map(|t| ArnPattern::compile(t, Syntax::Wildcards, variables)).collect()),
        Kind::Null => Test::Null(texts.iter().map(|t| parse_bool(t)).collect()),
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

impl Condition {
    /// Whether the request satisfies this key's test, as AWS documents: a missing key fails a
    /// positive test and passes a negated one; `...IfExists` passes when the key is missing;
    /// `ForAllValues` passes on a missing or empty key, `ForAnyValue` fails on one.
    pub(crate) fn holds(&self, context: &Context, missing: &mut Missing) -> bool {
        let values = context.get_lowercase(&self.key_lower).filter(|v| !v.is_empty());
        if let Test::Null(expected) = &self.test {
            if values.is_none() {
                missing.note(&self.key_lower);
            }
            return expected.iter().flatten().any(|&absent| absent == values.is_none());
        }
        let Some(values) = values else {
            missing.note(&self.key_lower);
            return match self.qualifier {
                Qualifier::ForAllValues => true,
                Qualifier::ForAnyValue => self.if_exists,
                Qualifier::Single => self.if_exists || self.negated,
            };
        };
        let mut test = |v: &String| self.matches(v, context, missing);
        match self.qualifier {
            Qualifier::Single if self.negated => !values.iter().any(&mut test),
            Qualifier::Single => values.iter().any(&mut test),
            Qualifier::ForAnyValue => values.iter().any(|v| test(v) != self.negated),
            Qualifier::ForAllValues => values.iter().all(|v| test(v) != self.negated),
        }
    }

    /// The positive test for one request value: it matches any of the policy's values.
    fn matches(&self, value: &str, context: &Context, missing: &mut Missing) -> bool {
        match &self.test {
            Test::StringEquals(patterns) => patterns.iter().any(|p| p.matches(value, false, context, missing)),
            Test::StringEqualsIgnoreCase(patterns) => patterns.iter().any(|p| p.equals_ignore_case(value, context, missing)),
            Test::StringLike(patterns) => patterns.iter().any(|p| p.matches(value, false, context, missing)),
            Test::Bool(patterns) => patterns.iter().any(|p| p.matches(value, true, context, missing)),
            Test::Numeric(comparison, numbers) => match values::number(value) {
                Some(v) => numbers.iter().flatten().any(|&n| comparison.holds(v, n)),
                None => false,
            },
            Test::Date(comparison, dates) => match values::date(value) {
                Some(v) => dates.iter().flatten().any(|&d| comparison.holds(v, d)),
                None => false,
            },
            Test::Binary(binaries) => {
                let decoded = values::base64(value);
                let bytes = decoded.as_deref().unwrap_or(value.as_bytes());
                binaries.iter().flatten().any(|b| b.as_slice() == bytes)
            }
            Test::IpAddress(ranges) => match values::ip_address(value) {
                Some(address) => ranges.iter().flatten().any(|r| r.contains(address)),
                None => false,
            },
            Test::Arn(patterns) => {
                let arn = Arn::split(value);
                patterns.iter().flatten().any(|p| p.matches(&arn, context, missing))
            }
            Test::Null(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        assert_eq!(parse_operator("StringEquals"), Some((Qualifier::Single, Kind::StringEquals, false, false)));
        assert_eq!(
            parse_operator("ForAnyValue:StringNotLikeIfExists"),
            Some((Qualifier::ForAnyValue, Kind::StringLike, true, true))
        );
        assert_eq!(parse_operator("ArnNotLike"), Some((Qualifier::Single, Kind::Arn, true, false)));
        assert_eq!(parse_operator("NullIfExists"), None);
        assert_eq!(parse_operator("ForAllValues:Null"), None);
        assert_eq!(parse_operator("StringEqualz"), None);
        assert_eq!(parse_operator("ForSomeValues:StringEquals"), None);
        assert_eq!(parse_operator("IfExists"), None);
    }
}
