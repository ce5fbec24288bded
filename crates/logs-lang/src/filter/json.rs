//! JSON filter patterns: `{ $.eventType = "UpdateTrail" && ($.latency > 200 || $.error IS TRUE) }`.
//! Property selectors start at `$`; comparisons hold only on value nodes (strings, numbers,
//! booleans); `IS NULL`, `IS TRUE`, `IS FALSE` and `NOT EXISTS` test the node itself; `&&` binds
//! tighter than `||`. A message that is not a JSON object never matches.

use std::borrow::Cow;

use memchr::memmem::Finder;
use serde_json::Value;

use super::aws_regex::MAX_REGEX_PER_PATTERN;
use super::cursor::Cursor;
use super::error::PatternError;
use super::value_match::{Condition, FieldValue, Operator};

/// AWS's quotas on the JSON wildcard selector.
const MAX_WILDCARDS_PER_SELECTOR: usize = 1;
const MAX_WILDCARDS_PER_PATTERN: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
    /// `.*` or `[*]`: every field of an object, every element of an array.
    Any,
}

/// A property selector such as `$.users[0].email`, `$.['cluster.name']` or `$.arrayKey[*]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selector {
    steps: Vec<Step>,
}

impl Selector {
    /// Parses a whole selector (for metric values and dimensions: `$.latency`).
    pub(crate) fn parse(text: &str) -> Result<Selector, PatternError> {
        let mut cursor = Cursor::new(text.trim());
        let selector = Selector::read(&mut cursor)?;
        if !cursor.is_at_end() {
            return Err(PatternError::new(format!("unexpected {:?} after the selector", cursor.rest())));
        }
        Ok(selector)
    }

    fn read(cursor: &mut Cursor<'_>) -> Result<Selector, PatternError> {
        if !cursor.eat("$") {
            return Err(PatternError::new("a JSON property selector starts with $"));
        }
        let mut steps = Vec::new();
        loop {
            if cursor.eat(".") {
                if cursor.eat("*") {
                    steps.push(Step::Any);
                } else if cursor.peek() == Some('[') {
                    // `$.['cluster.name']`: AWS's bracket notation for keys with a period.
                    continue;
                } else {
                    let name = cursor.read_while(is_property_char);
                    if name.is_empty() {
                        return Err(PatternError::new("empty property name in the selector"));
                    }
                    steps.push(Step::Key(name.to_owned()));
                }
            } else if cursor.eat("[") {
                steps.push(read_bracket(cursor)?);
            } else {
                break;
            }
        }
        if steps.is_empty() {
            return Err(PatternError::new("a selector names a property: $.name"));
        }
        if steps.iter().filter(|s| **s == Step::Any).count() > MAX_WILDCARDS_PER_SELECTOR {
            return Err(PatternError::new("at most one wildcard in a property selector"));
        }
        Ok(Selector { steps })
    }

    fn wildcards(&self) -> usize {
        self.steps.iter().filter(|s| **s == Step::Any).count()
    }

    /// Every node the selector reaches in `root`.
    pub(crate) fn resolve<'v>(&self, root: &'v Value) -> Vec<&'v Value> {
        let mut current = vec![root];
        for step in &self.steps {
            let mut next = Vec::with_capacity(current.len());
            for node in current {
                match (step, node) {
                    (Step::Key(key), Value::Object(map)) => next.extend(map.get(key)),
                    (Step::Index(i), Value::Array(items)) => next.extend(items.get(*i)),
                    (Step::Any, Value::Object(map)) => next.extend(map.values()),
                    (Step::Any, Value::Array(items)) => next.extend(items.iter()),
                    _ => {}
                }
            }
            if next.is_empty() {
                return next;
            }
            current = next;
        }
        current
    }
}

fn is_property_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '@'
}

/// After `[`: an index, `*`, or a quoted key (`'cluster.name'` or `"cluster.name"`).
fn read_bracket(cursor: &mut Cursor<'_>) -> Result<Step, PatternError> {
    let step = if cursor.eat("*") {
        Step::Any
    } else if let Some(quote @ ('\'' | '"')) = cursor.peek() {
        cursor.advance(1);
        let key = cursor.read_while(|c| c != quote);
        if !cursor.eat(&quote.to_string()) {
            return Err(PatternError::new("unterminated quoted key in the selector"));
        }
        Step::Key(key.to_owned())
    } else {
        let digits = cursor.read_while(|c| c.is_ascii_digit());
        Step::Index(digits.parse().map_err(|_| PatternError::new("an array index is a number: [0]"))?)
    };
    if !cursor.eat("]") {
        return Err(PatternError::new("missing ] in the selector"));
    }
    Ok(step)
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    Compare(Condition),
    IsNull,
    IsBool(bool),
    NotExists,
}

#[derive(Debug, Clone)]
pub(crate) enum JsonExpr {
    Test(Selector, Test),
    And(Box<JsonExpr>, Box<JsonExpr>),
    Or(Box<JsonExpr>, Box<JsonExpr>),
}

#[derive(Debug, Clone)]
pub(crate) struct JsonPattern {
    expr: JsonExpr,
    /// Texts every matching event contains as written, when it has no escapes (see
    /// [`required_texts`]): a cheap search that spares parsing most non-matching events.
    required: Vec<Finder<'static>>,
}

struct Counts {
    regexes: usize,
    wildcards: usize,
}

impl JsonPattern {
    /// Parses `{ ... }` (the text is trimmed and starts with `{`).
    pub(crate) fn parse(text: &str) -> Result<JsonPattern, PatternError> {
        let inner = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .ok_or_else(|| PatternError::new("a JSON pattern is enclosed in { }"))?;
        let mut cursor = Cursor::new(inner);
        let mut counts = Counts { regexes: 0, wildcards: 0 };
        let expr = read_or(&mut cursor, &mut counts)?;
        cursor.skip_whitespace();
        if !cursor.is_at_end() {
            return Err(PatternError::new(format!("unexpected {:?} in the JSON pattern", cursor.rest())));
        }
        if counts.regexes > MAX_REGEX_PER_PATTERN {
            return Err(PatternError::new("at most two regular expressions in a JSON pattern"));
        }
        if counts.wildcards > MAX_WILDCARDS_PER_PATTERN {
            return Err(PatternError::new("at most three wildcard selectors in a JSON pattern"));
        }
        let required = required_texts(&expr).iter().map(|text| Finder::new(text.as_bytes()).into_owned()).collect();
        Ok(JsonPattern { expr, required })
    }

    /// Whether the message can match at all, judged from its raw text: an event without
    /// backslashes writes every key and string as is, so it must contain the required texts.
    pub(crate) fn may_match(&self, message: &str) -> bool {
        let bytes = message.as_bytes();
        self.required.is_empty()
            || memchr::memchr(b'\\', bytes).is_some()
            || self.required.iter().all(|finder| finder.find(bytes).is_some())
    }

    /// The message as JSON when it can match a JSON pattern at all: a JSON object. Only messages
    /// that start with `{` are parsed.
    pub(crate) fn document(message: &str) -> Option<Value> {
        let trimmed = message.trim_start();
        if !trimmed.starts_with('{') {
            return None;
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(value @ Value::Object(_)) => Some(value),
            _ => None,
        }
    }

    pub(crate) fn matches(&self, root: &Value) -> bool {
        evaluate(&self.expr, root)
    }
}

fn read_or(cursor: &mut Cursor<'_>, counts: &mut Counts) -> Result<JsonExpr, PatternError> {
    let mut left = read_and(cursor, counts)?;
    loop {
        cursor.skip_whitespace();
        if !cursor.eat("||") {
            return Ok(left);
        }
        let right = read_and(cursor, counts)?;
        left = JsonExpr::Or(Box::new(left), Box::new(right));
    }
}

fn read_and(cursor: &mut Cursor<'_>, counts: &mut Counts) -> Result<JsonExpr, PatternError> {
    let mut left = read_primary(cursor, counts)?;
    loop {
        cursor.skip_whitespace();
        if !cursor.eat("&&") {
            return Ok(left);
        }
        let right = read_primary(cursor, counts)?;
        left = JsonExpr::And(Box::new(left), Box::new(right));
    }
}

fn read_primary(cursor: &mut Cursor<'_>, counts: &mut Counts) -> Result<JsonExpr, PatternError> {
    cursor.skip_whitespace();
    if cursor.eat("(") {
        let inner = read_or(cursor, counts)?;
        cursor.skip_whitespace();
        if !cursor.eat(")") {
            return Err(PatternError::new("missing ) in the JSON pattern"));
        }
        return Ok(inner);
    }
    let selector = Selector::read(cursor)?;
    counts.wildcards += selector.wildcards();
    cursor.skip_whitespace();
    let test = if cursor.eat_keyword("IS") {
        cursor.skip_whitespace();
        if cursor.eat_keyword("NULL") {
            Test::IsNull
        } else if cursor.eat_keyword("TRUE") {
            Test::IsBool(true)
        } else if cursor.eat_keyword("FALSE") {
            Test::IsBool(false)
        } else {
            // `IS NOT` is documented as unsupported.
            return Err(PatternError::new("IS is followed by NULL, TRUE or FALSE"));
        }
    } else if cursor.eat_keyword("NOT") {
        cursor.skip_whitespace();
        if !cursor.eat_keyword("EXISTS") {
            return Err(PatternError::new("NOT is followed by EXISTS"));
        }
        Test::NotExists
    } else if let Some(operator) = Operator::read(cursor) {
        Test::Compare(Condition::read_operand(cursor, operator, &[")", "&&", "||"], &mut counts.regexes)?)
    } else {
        return Err(PatternError::new("expected an operator after the selector"));
    };
    Ok(JsonExpr::Test(selector, test))
}

/// Texts a matching event must contain: the property names its selectors walk (except under
/// `NOT EXISTS`), and the text an `=` compares with when no JSON number could print it (a
/// number's text may differ from how the event wrote it, `1E2` for `100`). Both sides of `&&`
/// count; an `||` requires only what both of its sides require.
fn required_texts(expr: &JsonExpr) -> Vec<String> {
    match expr {
        JsonExpr::And(left, right) => {
            let mut texts = required_texts(left);
            texts.extend(required_texts(right));
            texts
        }
        JsonExpr::Or(left, right) => {
            let right = required_texts(right);
            required_texts(left).into_iter().filter(|text| right.contains(text)).collect()
        }
        JsonExpr::Test(_, Test::NotExists) => Vec::new(),
        JsonExpr::Test(selector, test) => {
            let mut texts: Vec<String> = selector
                .steps
                .iter()
                .filter_map(|step| match step {
                    Step::Key(key) if key.chars().all(is_property_char) => Some(format!("\"{key}\"")),
                    _ => None,
                })
                .collect();
            if let Test::Compare(condition) = test
                && condition.operator == Operator::Equal
                && let Some(core) = condition.literal_core()
                && core.chars().any(|c| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')))
                && !core.contains(['"', '\\'])
                && !core.chars().any(char::is_control)
            {
                texts.push(core.to_owned());
            }
            texts
        }
    }
}

fn evaluate(expr: &JsonExpr, root: &Value) -> bool {
    match expr {
        JsonExpr::And(left, right) => evaluate(left, root) && evaluate(right, root),
        JsonExpr::Or(left, right) => evaluate(left, root) || evaluate(right, root),
        JsonExpr::Test(selector, test) => {
            let nodes = selector.resolve(root);
            match test {
                Test::NotExists => nodes.is_empty(),
                Test::IsNull => nodes.iter().any(|n| n.is_null()),
                Test::IsBool(expected) => nodes.iter().any(|n| n.as_bool() == Some(*expected)),
                // A selector on an array or object matches nothing, for = and != alike; so does
                // a missing property.
                Test::Compare(condition) => nodes.iter().any(|n| field_value(n).is_some_and(|v| condition.holds(&v))),
            }
        }
    }
}

/// The value node's view for comparisons: strings as text, numbers as numbers (with their JSON
/// text), booleans as `true`/`false`; objects, arrays and null are not value nodes.
pub(crate) fn field_value(node: &Value) -> Option<FieldValue<'_>> {
    match node {
        Value::String(text) => Some(FieldValue::Text(text)),
        Value::Number(number) => {
            Some(FieldValue::Number { value: number.as_f64()?, text: Cow::Owned(number.to_string()) })
        }
        Value::Bool(true) => Some(FieldValue::Text("true")),
        Value::Bool(false) => Some(FieldValue::Text("false")),
        _ => None,
    }
}
