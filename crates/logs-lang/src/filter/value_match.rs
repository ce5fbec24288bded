//! One comparison of a JSON property or a space-delimited field with a value written in the
//! pattern: `= "UpdateTrail"`, `!= 123.123.*`, `> 1000`, `= %Trail%`. JSON and space-delimited
//! patterns share the rules, which AWS documents once for both.

use std::borrow::Cow;

use super::aws_regex::AwsRegex;
use super::cursor::Cursor;
use super::error::PatternError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Operator {
    /// Reads `=`, `!=`, `<`, `<=`, `>`, `>=` (longest first).
    pub(crate) fn read(cursor: &mut Cursor<'_>) -> Option<Operator> {
        for (token, operator) in [
            ("!=", Operator::NotEqual),
            ("<=", Operator::LessOrEqual),
            (">=", Operator::GreaterOrEqual),
            ("=", Operator::Equal),
            ("<", Operator::Less),
            (">", Operator::Greater),
        ] {
            if cursor.eat(token) {
                return Some(operator);
            }
        }
        None
    }

    fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Operator::Equal => ordering == Equal,
            Operator::NotEqual => ordering != Equal,
            Operator::Less => ordering == Less,
            Operator::LessOrEqual => ordering != Greater,
            Operator::Greater => ordering == Greater,
            Operator::GreaterOrEqual => ordering != Less,
        }
    }
}

/// Text with AWS's `*` wildcard: only a leading and a trailing `*` are wildcards ("`Ev*ent` will
/// only match the actual string `Ev*ent`"); `*` alone matches any value.
#[derive(Debug, Clone)]
pub(crate) struct Wildcard {
    any_prefix: bool,
    any_suffix: bool,
    core: String,
}

impl Wildcard {
    pub(crate) fn new(text: &str) -> Wildcard {
        if text == "*" {
            return Wildcard { any_prefix: true, any_suffix: true, core: String::new() };
        }
        let any_prefix = text.starts_with('*');
        let any_suffix = text.len() > 1 && text.ends_with('*');
        let start = usize::from(any_prefix);
        let end = text.len() - usize::from(any_suffix);
        Wildcard { any_prefix, any_suffix, core: text[start..end].to_owned() }
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        match (self.any_prefix, self.any_suffix) {
            (true, true) => text.contains(self.core.as_str()),
            (true, false) => text.ends_with(self.core.as_str()),
            (false, true) => text.starts_with(self.core.as_str()),
            (false, false) => text == self.core,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Operand {
    /// A number written in the pattern (`400`, `+1000`, `10e-3`, `55.5`); `text` is kept for
    /// equality with values that are not numbers.
    Number {
        value: f64,
        text: String,
    },
    Text(Wildcard),
    Regex(AwsRegex),
}

/// A value as the pattern sees it: JSON strings and space-delimited fields are text, JSON numbers
/// are numbers with their text.
pub(crate) enum FieldValue<'a> {
    Text(&'a str),
    Number { value: f64, text: Cow<'a, str> },
}

impl FieldValue<'_> {
    fn text(&self) -> &str {
        match self {
            FieldValue::Text(text) => text,
            FieldValue::Number { text, .. } => text,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            FieldValue::Text(text) => parse_plain_number(text),
            FieldValue::Number { value, .. } => Some(*value),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub(crate) operator: Operator,
    pub(crate) operand: Operand,
}

impl Condition {
    /// Reads the value after an operator: `"quoted"`, `%regex%`, or a bare word ending at
    /// whitespace or at one of `stops`. Order comparisons (`<`, `>=`, ...) need a number.
    pub(crate) fn read_operand(
        cursor: &mut Cursor<'_>,
        operator: Operator,
        stops: &[&str],
        regex_count: &mut usize,
    ) -> Result<Condition, PatternError> {
        cursor.skip_whitespace();
        let operand = match cursor.peek() {
            Some('"') => Operand::Text(Wildcard::new(&cursor.read_quoted()?)),
            Some('%') => {
                *regex_count += 1;
                Operand::Regex(AwsRegex::compile(cursor.read_regex_body()?)?)
            }
            _ => {
                let word = read_bare(cursor, stops);
                if word.is_empty() {
                    return Err(PatternError::new("missing value after the operator"));
                }
                if let Some(bad) = word.chars().find(|c| !c.is_ascii()) {
                    return Err(PatternError::invalid_characters(&bad.to_string()));
                }
                match parse_pattern_number(word) {
                    Some(value) => Operand::Number { value, text: word.to_owned() },
                    None => Operand::Text(Wildcard::new(word)),
                }
            }
        };
        let ordered = !matches!(operator, Operator::Equal | Operator::NotEqual);
        if ordered && !matches!(operand, Operand::Number { .. }) {
            return Err(PatternError::new("<, <=, > and >= compare with a number"));
        }
        Ok(Condition { operator, operand })
    }

    /// The text a matching value must contain, for a wildcard text operand (`*html*` gives
    /// `html`); `None` for numbers, regexes and `*` alone.
    pub(crate) fn literal_core(&self) -> Option<&str> {
        match &self.operand {
            Operand::Text(wildcard) if !wildcard.core.is_empty() => Some(&wildcard.core),
            _ => None,
        }
    }

    pub(crate) fn holds(&self, value: &FieldValue<'_>) -> bool {
        match &self.operand {
            Operand::Number { value: expected, text } => match value.number() {
                Some(actual) => actual.partial_cmp(expected).is_some_and(|ordering| self.operator.holds(ordering)),
                // A value that is not a number can still equal the literal's text (`= 4xx`-style
                // words that happen to start with digits are not numbers, so this is rare).
                None => match self.operator {
                    Operator::Equal => value.text() == text,
                    Operator::NotEqual => value.text() != text,
                    _ => false,
                },
            },
            Operand::Text(wildcard) => {
                let matched = wildcard.matches(value.text());
                if self.operator == Operator::Equal { matched } else { !matched }
            }
            Operand::Regex(regex) => {
                let matched = regex.is_match(value.text());
                if self.operator == Operator::Equal { matched } else { !matched }
            }
        }
    }
}

/// A bare value ends at whitespace, at the end of the text, or at one of `stops`.
fn read_bare<'a>(cursor: &mut Cursor<'a>, stops: &[&str]) -> &'a str {
    let rest = cursor.rest();
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        if c.is_whitespace() || stops.iter().any(|stop| rest[i..].starts_with(stop)) {
            end = i;
            break;
        }
    }
    cursor.advance(end);
    &rest[..end]
}

/// A number as a pattern may write it: an optional sign, digits with an optional fraction, and an
/// optional exponent (`1e+3`, `10e-3`).
pub(crate) fn parse_pattern_number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    if !is_plain_decimal(mantissa) {
        return None;
    }
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    text.strip_prefix('+').unwrap_or(text).parse().ok()
}

/// A number inside a log event's text: sign, digits and an optional fraction. No exponent: AWS
/// says strings with scientific notation are not numbers.
pub(crate) fn parse_plain_number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !is_plain_decimal(unsigned) {
        return None;
    }
    text.strip_prefix('+').unwrap_or(text).parse().ok()
}

fn is_plain_decimal(text: &str) -> bool {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match fraction {
        Some(fraction) => (whole.is_empty() || digits(whole)) && digits(fraction),
        None => digits(whole),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_only_at_the_ends() {
        assert!(Wildcard::new("*Event").matches("PutEvent"));
        assert!(Wildcard::new("Event*").matches("EventName"));
        assert!(!Wildcard::new("Ev*ent").matches("Event"));
        assert!(Wildcard::new("Ev*ent").matches("Ev*ent"));
        assert!(Wildcard::new("*html*").matches("GET /index.html HTTP/1.0"));
        assert!(Wildcard::new("*").matches("") && Wildcard::new("*").matches("anything"));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_pattern_number("+1000"), Some(1000.0));
        assert_eq!(parse_pattern_number("10e-3"), Some(0.01));
        assert_eq!(parse_pattern_number("1e+3"), Some(1000.0));
        assert_eq!(parse_pattern_number("-55.5"), Some(-55.5));
        assert_eq!(parse_pattern_number("4*"), None);
        assert_eq!(parse_pattern_number("123.123.1"), None);
        assert_eq!(parse_plain_number("1534"), Some(1534.0));
        assert_eq!(parse_plain_number("1e3"), None, "no scientific notation in log text");
        assert_eq!(parse_plain_number("-"), None);
    }
}
