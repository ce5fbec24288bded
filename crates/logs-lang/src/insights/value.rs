//! Values in a Logs Insights query: text, numbers, booleans and timestamps, with the coercions the
//! language applies (text that reads as a number compares as one: `parse` extracts text, and
//! `filter latency > 200` still means a number) and the "natural" order `sort` documents.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::time::format_timestamp;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
    /// Milliseconds since the epoch.
    Time(i64),
}

impl Value {
    /// The value as a number when it is one or reads as one.
    pub(crate) fn as_number(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Time(ms) => Some(*ms as f64),
            Value::Str(s) => parse_number(s),
        }
    }

    pub(crate) fn as_time(&self) -> Option<i64> {
        match self {
            Value::Time(ms) => Some(*ms),
            Value::Num(n) => Some(*n as i64),
            Value::Str(s) => parse_number(s).map(|n| n as i64),
            Value::Bool(_) => None,
        }
    }

    /// The value as text, as GetQueryResults shows it.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Value::Str(s) => Cow::Borrowed(s),
            Value::Num(n) => Cow::Owned(format_number(*n)),
            // AWS documents boolean results as 0 or 1 ("The value of isRes equals 0 or 1").
            Value::Bool(b) => Cow::Borrowed(if *b { "1" } else { "0" }),
            Value::Time(ms) => Cow::Owned(format_timestamp(*ms)),
        }
    }

    /// Whether a `filter` keeps a row with this value.
    pub(crate) fn is_truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Num(n) => *n != 0.0,
            Value::Time(_) => true,
            Value::Str(s) => !s.is_empty(),
        }
    }

    /// Whether `sort` treats the value as a number ("values that include only numbers").
    fn sorts_as_number(&self) -> Option<f64> {
        match self {
            // Blanks around the digits make it text.
            Value::Str(s) if s.trim() != s => None,
            Value::Str(s) => parse_number(s),
            other => other.as_number(),
        }
    }
}

/// Numbers print without a fraction when they have none (`count(*)` is `3`, not `3.0`).
pub(crate) fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

/// Text that is a number: optional sign, digits, optional fraction and exponent. Words such as
/// `inf` or `NaN` stay text.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let trimmed = text.trim();
    let body = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || !body.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    trimmed.strip_prefix('+').unwrap_or(trimmed).parse().ok()
}

/// Comparison for `=`, `<`, ... : numerically when both sides are numbers, else as text.
pub(crate) fn compare(left: &Value, right: &Value) -> Option<Ordering> {
    match (left.as_number(), right.as_number()) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => Some(left.text().as_ref().cmp(right.text().as_ref())),
    }
}

pub(crate) fn equals(left: &Value, right: &Value) -> bool {
    compare(left, right) == Some(Ordering::Equal)
}

/// AWS's `sort` order, ascending: every non-number before every number; numbers by value; other
/// values compared in chunks of digits and of non-digits, non-digit chunks by Unicode order,
/// digit chunks by length and then value.
pub(crate) fn natural_order(left: &Value, right: &Value) -> Ordering {
    match (left.sorts_as_number(), right.sorts_as_number()) {
        (Some(a), Some(b)) => a.total_cmp(&b).then_with(|| left.text().cmp(&right.text())),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => natural_text_order(&left.text(), &right.text()),
    }
}

fn natural_text_order(left: &str, right: &str) -> Ordering {
    let mut a = chunks(left);
    let mut b = chunks(right);
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let x_digits = x.starts_with(|c: char| c.is_ascii_digit());
                let y_digits = y.starts_with(|c: char| c.is_ascii_digit());
                let ordering = if x_digits && y_digits {
                    // Equal lengths of digits compare as text the way they compare as numbers.
                    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
                } else {
                    x.cmp(y)
                };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
        }
    }
}

/// Runs of ASCII digits and runs of anything else.
fn chunks(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let digits = first.is_ascii_digit();
        let end = rest.find(|c: char| c.is_ascii_digit() != digits).unwrap_or(rest.len());
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_sort_example() {
        // The ascending order from AWS's `sort` documentation.
        let expected = [
            "!:",
            "#",
            "*%04",
            "0#",
            "5A",
            "111A",
            "2345_",
            "@",
            "@_",
            "A",
            "A9876fghj",
            "a12345hfh",
            "0",
            "01",
            "1",
            "2",
            "3",
        ];
        let mut values: Vec<Value> = expected.iter().rev().map(|s| Value::Str((*s).to_owned())).collect();
        values.sort_by(natural_order);
        let sorted: Vec<String> = values.iter().map(|v| v.text().into_owned()).collect();
        assert_eq!(sorted, expected);
    }

    #[test]
    fn coercions() {
        assert!(equals(&Value::Str("200".into()), &Value::Num(200.0)));
        assert_eq!(compare(&Value::Str("9".into()), &Value::Str("10".into())), Some(Ordering::Less));
        assert_eq!(compare(&Value::Str("b".into()), &Value::Str("a".into())), Some(Ordering::Greater));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("-"), None);
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(3.0), "3");
    }
}
