//! Space-delimited patterns: `[ip, user, username, timestamp, request = *html*, status_code = 4*,
//! bytes > 1000]`. The event is split at spaces, a `"..."` or `[...]` run being one field (without
//! its quotes or brackets); fields bind in order, `...` binds any number of fields, and every
//! field's condition (`&&`, `||` of comparisons) must hold.
//!
//! AWS's documentation is not consistent on an event with more fields than the pattern: one
//! example lists `[w1=ERROR, w2]` matching only two-word lines, the current one has it matching
//! `ERROR 09/25/2014 12:00:02 Failed to process request` and asks for the "blank indicator" `w2`.
//! Nimbus follows the current text: without `...`, the last field takes the rest of the event.

use super::aws_regex::MAX_REGEX_PER_PATTERN;
use super::cursor::Cursor;
use super::error::PatternError;
use super::value_match::{Condition, FieldValue, Operator};

#[derive(Debug, Clone)]
enum FieldExpr {
    Compare(String, Condition),
    And(Box<FieldExpr>, Box<FieldExpr>),
    Or(Box<FieldExpr>, Box<FieldExpr>),
}

#[derive(Debug, Clone)]
enum PatternField {
    Ellipsis,
    /// A field with an optional name (AWS allows unnamed fields: `[..., status_code=4*,]`) and an
    /// optional condition.
    Field {
        name: Option<String>,
        condition: Option<FieldExpr>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct DelimitedPattern {
    fields: Vec<PatternField>,
    has_ellipsis: bool,
}

/// One field of the event: its value (quotes or brackets removed) and where its text starts and
/// ends in the event.
#[derive(Debug, Clone, Copy)]
struct Token<'m> {
    value: &'m str,
    start: usize,
}

/// What a matching event bound: for each pattern field (ellipses excluded), its value and the
/// 1-based position of the event field it starts at.
#[derive(Debug, Clone)]
pub(crate) struct Bindings<'m> {
    /// (name, value, position), in pattern order; unnamed fields have no name.
    pub(crate) fields: Vec<(Option<&'m str>, &'m str, usize)>,
    /// Every event field in order, so `$3` finds the third even under `...`.
    pub(crate) tokens: Vec<&'m str>,
}

impl DelimitedPattern {
    /// Parses `[ ... ]` (the text is trimmed and starts with `[`).
    pub(crate) fn parse(text: &str) -> Result<DelimitedPattern, PatternError> {
        let inner = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .ok_or_else(|| PatternError::new("a space-delimited pattern is enclosed in [ ]"))?;
        let mut cursor = Cursor::new(inner);
        let mut fields = Vec::new();
        let mut regexes = 0;
        loop {
            cursor.skip_whitespace();
            let field = if cursor.eat("...") {
                PatternField::Ellipsis
            } else if cursor.is_at_end() || cursor.peek() == Some(',') {
                PatternField::Field { name: None, condition: None }
            } else {
                read_field(&mut cursor, &mut regexes)?
            };
            fields.push(field);
            cursor.skip_whitespace();
            if cursor.is_at_end() {
                break;
            }
            if !cursor.eat(",") {
                return Err(PatternError::new(format!("expected , between fields, found {:?}", cursor.rest())));
            }
        }
        if regexes > MAX_REGEX_PER_PATTERN {
            return Err(PatternError::new("at most two regular expressions in a space-delimited pattern"));
        }
        let has_ellipsis = fields.iter().any(|f| matches!(f, PatternField::Ellipsis));
        Ok(DelimitedPattern { fields, has_ellipsis })
    }

    pub(crate) fn matches(&self, message: &str) -> bool {
        self.bind(message).is_some()
    }

    /// Binds the event's fields to the pattern's and checks every condition.
    pub(crate) fn bind<'s, 'm>(&'s self, message: &'m str) -> Option<Bindings<'m>>
    where
        's: 'm,
    {
        let tokens = split_fields(message);
        let mut bound = Vec::with_capacity(self.fields.len());
        if self.bind_from(message, &tokens, 0, 0, &mut bound) {
            Some(Bindings { fields: bound, tokens: tokens.iter().map(|t| t.value).collect() })
        } else {
            None
        }
    }

    /// Binds pattern fields from `field` on to event fields from `token` on, backtracking over
    /// how many event fields each `...` takes; checks the conditions once everything is bound.
    fn bind_from<'s, 'm>(
        &'s self,
        message: &'m str,
        tokens: &[Token<'m>],
        field: usize,
        token: usize,
        bound: &mut Vec<(Option<&'m str>, &'m str, usize)>,
    ) -> bool
    where
        's: 'm,
    {
        let Some(pattern_field) = self.fields.get(field) else {
            return token == tokens.len() && self.conditions_hold(bound);
        };
        match pattern_field {
            PatternField::Ellipsis => {
                (token..=tokens.len()).any(|next| self.bind_from(message, tokens, field + 1, next, bound))
            }
            PatternField::Field { name, .. } => {
                let Some(current) = tokens.get(token) else { return false };
                let is_last = field + 1 == self.fields.len();
                let (value, next) = if is_last && !self.has_ellipsis && token + 1 < tokens.len() {
                    (message[current.start..].trim_end(), tokens.len())
                } else {
                    (current.value, token + 1)
                };
                bound.push((name.as_deref(), value, token + 1));
                let matched = self.bind_from(message, tokens, field + 1, next, bound);
                if !matched {
                    bound.pop();
                }
                matched
            }
        }
    }

    fn conditions_hold(&self, bound: &[(Option<&str>, &str, usize)]) -> bool {
        let lookup = |name: &str| bound.iter().find(|(n, _, _)| *n == Some(name)).map(|(_, value, _)| *value);
        self.fields.iter().all(|field| match field {
            PatternField::Field { condition: Some(expr), .. } => evaluate(expr, &lookup),
            _ => true,
        })
    }
}

/// A field: a name alone, or comparisons joined with `&&` / `||` (`status_code = 404 ||
/// status_code = 410`). The field is named after its first comparison.
fn read_field(cursor: &mut Cursor<'_>, regexes: &mut usize) -> Result<PatternField, PatternError> {
    let name = peek_name(cursor)?;
    let mut probe = cursor.clone();
    probe.read_while(is_name_char);
    probe.skip_whitespace();
    if probe.is_at_end() || probe.peek() == Some(',') {
        *cursor = probe;
        return Ok(PatternField::Field { name: Some(name), condition: None });
    }
    let expr = read_or(cursor, regexes)?;
    Ok(PatternField::Field { name: Some(name), condition: Some(expr) })
}

fn peek_name(cursor: &Cursor<'_>) -> Result<String, PatternError> {
    let rest = cursor.rest();
    let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
    if end == 0 {
        let bad: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != ',').collect();
        return Err(PatternError::invalid_characters(&bad));
    }
    Ok(rest[..end].to_owned())
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn read_or(cursor: &mut Cursor<'_>, regexes: &mut usize) -> Result<FieldExpr, PatternError> {
    let mut left = read_and(cursor, regexes)?;
    loop {
        cursor.skip_whitespace();
        if !cursor.eat("||") {
            return Ok(left);
        }
        let right = read_and(cursor, regexes)?;
        left = FieldExpr::Or(Box::new(left), Box::new(right));
    }
}

fn read_and(cursor: &mut Cursor<'_>, regexes: &mut usize) -> Result<FieldExpr, PatternError> {
    let mut left = read_comparison(cursor, regexes)?;
    loop {
        cursor.skip_whitespace();
        if !cursor.eat("&&") {
            return Ok(left);
        }
        let right = read_comparison(cursor, regexes)?;
        left = FieldExpr::And(Box::new(left), Box::new(right));
    }
}

fn read_comparison(cursor: &mut Cursor<'_>, regexes: &mut usize) -> Result<FieldExpr, PatternError> {
    cursor.skip_whitespace();
    let name = peek_name(cursor)?;
    cursor.read_while(is_name_char);
    cursor.skip_whitespace();
    let Some(operator) = Operator::read(cursor) else {
        return Err(PatternError::new(format!("expected an operator after {name:?}")));
    };
    let condition = Condition::read_operand(cursor, operator, &[",", "&&", "||"], regexes)?;
    Ok(FieldExpr::Compare(name, condition))
}

fn evaluate<'a>(expr: &FieldExpr, lookup: &impl Fn(&str) -> Option<&'a str>) -> bool {
    match expr {
        FieldExpr::And(left, right) => evaluate(left, lookup) && evaluate(right, lookup),
        FieldExpr::Or(left, right) => evaluate(left, lookup) || evaluate(right, lookup),
        // A condition on a name the pattern does not bind never holds.
        FieldExpr::Compare(name, condition) => {
            lookup(name).is_some_and(|value| condition.holds(&FieldValue::Text(value)))
        }
    }
}

/// Splits an event into fields at runs of whitespace; a field starting with `"` runs to the next
/// unescaped `"`, one starting with `[` to the next `]`, and is one field even with spaces inside.
fn split_fields(message: &str) -> Vec<Token<'_>> {
    let bytes = message.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let closing = match bytes[i] {
            b'"' => find_closing_quote(bytes, i + 1),
            b'[' => memchr::memchr(b']', &bytes[i + 1..]).map(|at| i + 1 + at),
            _ => None,
        };
        match closing {
            Some(end) => {
                tokens.push(Token { value: &message[start + 1..end], start });
                i = end + 1;
            }
            None => {
                let end = bytes[i..].iter().position(|b| b.is_ascii_whitespace()).map_or(bytes.len(), |at| i + at);
                tokens.push(Token { value: &message[start..end], start });
                i = end;
            }
        }
    }
    tokens
}

fn find_closing_quote(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_and_bracketed_fields() {
        let line = r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534"#;
        let values: Vec<_> = split_fields(line).iter().map(|t| t.value).collect();
        assert_eq!(
            values,
            ["127.0.0.1", "-", "frank", "10/Oct/2000:13:25:15 -0700", "GET /apache_pb.gif HTTP/1.0", "200", "1534"]
        );
    }

    #[test]
    fn unclosed_quote_is_an_ordinary_field() {
        let values: Vec<_> = split_fields("a \"b c").iter().map(|t| t.value).collect();
        assert_eq!(values, ["a", "\"b", "c"]);
    }
}
