//! Splits a Logs Insights query into tokens with their byte ranges. Comments (`#` to the end of
//! the line) disappear here. A `/` opens a regular expression where the grammar takes one (after
//! `like`, `=~`, and after `parse <field>`) and is division elsewhere.

use super::error::QueryError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A field name, keyword or function name: letters, digits, `_`, `@`, `.`.
    Word(String),
    /// A `` `quoted` `` field name.
    Quoted(String),
    Str(String),
    Number(f64),
    /// A number with a unit: `5m`, `1h`, `100ms`.
    Duration(String),
    Regex(String),
    Symbol(&'static str),
    End,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Token {
    pub(crate) fn is_word(&self, keyword: &str) -> bool {
        matches!(&self.kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    pub(crate) fn is_symbol(&self, symbol: &str) -> bool {
        matches!(&self.kind, TokenKind::Symbol(s) if *s == symbol)
    }
}

const SYMBOLS: [&str; 19] =
    ["!=", "<=", ">=", "=~", "|", ",", "(", ")", "[", "]", "=", "<", ">", "+", "-", "*", "/", "^", "%"];

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '@' || c == '$'
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '@' || c == '.' || c == '$'
}

pub(crate) fn tokenize(query: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens: Vec<Token> = Vec::new();
    let mut pos = 0;
    while pos < query.len() {
        let rest = &query[pos..];
        let c = rest.chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            pos += c.len_utf8();
            continue;
        }
        if c == '#' {
            pos += rest.find('\n').unwrap_or(rest.len());
            continue;
        }
        let start = pos;
        let (kind, len) = if is_word_start(c) {
            let len = rest.find(|ch: char| !is_word_char(ch)).unwrap_or(rest.len());
            (TokenKind::Word(rest[..len].to_owned()), len)
        } else if c.is_ascii_digit() || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit())) {
            read_number(query, start)?
        } else if c == '"' || c == '\'' {
            read_string(query, start, c)?
        } else if c == '`' {
            let Some(close) = rest[1..].find('`') else {
                return Err(QueryError::at(query, start, query.len(), "unterminated backtick-quoted field name"));
            };
            (TokenKind::Quoted(rest[1..1 + close].to_owned()), close + 2)
        } else if c == '/' && regex_allowed(&tokens) {
            read_regex(query, start)?
        } else if let Some(symbol) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            (TokenKind::Symbol(symbol), symbol.len())
        } else {
            return Err(QueryError::unexpected(query, start, start + c.len_utf8()));
        };
        pos += len;
        tokens.push(Token { kind, start, end: pos });
    }
    tokens.push(Token { kind: TokenKind::End, start: query.len(), end: query.len() });
    Ok(tokens)
}

/// Whether a `/` here opens a regular expression: after `like`, `=~`, or `parse <field>`.
fn regex_allowed(tokens: &[Token]) -> bool {
    match tokens {
        [.., last] if last.is_word("like") || last.is_symbol("=~") => true,
        [.., before, last] => before.is_word("parse") && matches!(last.kind, TokenKind::Word(_) | TokenKind::Quoted(_)),
        _ => false,
    }
}

fn read_number(query: &str, start: usize) -> Result<(TokenKind, usize), QueryError> {
    let rest = &query[start..];
    let bytes = rest.as_bytes();
    let mut len = 0;
    while len < bytes.len() && (bytes[len].is_ascii_digit() || bytes[len] == b'.') {
        len += 1;
    }
    // An exponent: `1e3`, `2.5E-4`.
    if len < bytes.len() && (bytes[len] == b'e' || bytes[len] == b'E') {
        let mut exp = len + 1;
        if exp < bytes.len() && (bytes[exp] == b'+' || bytes[exp] == b'-') {
            exp += 1;
        }
        if exp < bytes.len() && bytes[exp].is_ascii_digit() {
            while exp < bytes.len() && bytes[exp].is_ascii_digit() {
                exp += 1;
            }
            len = exp;
        }
    }
    let unit_len = rest[len..].find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len() - len);
    if unit_len > 0 {
        let total = len + unit_len;
        return Ok((TokenKind::Duration(rest[..total].to_owned()), total));
    }
    let value = rest[..len].parse::<f64>().map_err(|_| QueryError::unexpected(query, start, start + len))?;
    Ok((TokenKind::Number(value), len))
}

fn read_string(query: &str, start: usize, quote: char) -> Result<(TokenKind, usize), QueryError> {
    let rest = &query[start + 1..];
    let mut value = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Ok((TokenKind::Str(value), i + 2));
        }
        if c == '\\' {
            match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, escaped @ ('\\' | '"' | '\''))) => value.push(escaped),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => break,
            }
        } else {
            value.push(c);
        }
    }
    Err(QueryError::at(query, start, query.len(), "unterminated string"))
}

fn read_regex(query: &str, start: usize) -> Result<(TokenKind, usize), QueryError> {
    let rest = &query[start + 1..];
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'/' => return Ok((TokenKind::Regex(rest[..i].to_owned()), i + 2)),
            _ => i += 1,
        }
    }
    Err(QueryError::at(query, start, query.len(), "unterminated regular expression"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(query: &str) -> Vec<TokenKind> {
        tokenize(query).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn regex_or_division() {
        assert_eq!(
            kinds("filter f like /a|b/"),
            [
                TokenKind::Word("filter".into()),
                TokenKind::Word("f".into()),
                TokenKind::Word("like".into()),
                TokenKind::Regex("a|b".into()),
                TokenKind::End
            ]
        );
        assert_eq!(
            kinds("fields a / 2"),
            [
                TokenKind::Word("fields".into()),
                TokenKind::Word("a".into()),
                TokenKind::Symbol("/"),
                TokenKind::Number(2.0),
                TokenKind::End
            ]
        );
        assert_eq!(kinds("parse @message /x\\/y/")[2], TokenKind::Regex("x\\/y".into()));
    }

    #[test]
    fn comments_durations_and_quotes() {
        assert_eq!(
            kinds("stats count(*) by bin(5m) # per five minutes\n| limit 2"),
            [
                TokenKind::Word("stats".into()),
                TokenKind::Word("count".into()),
                TokenKind::Symbol("("),
                TokenKind::Symbol("*"),
                TokenKind::Symbol(")"),
                TokenKind::Word("by".into()),
                TokenKind::Word("bin".into()),
                TokenKind::Symbol("("),
                TokenKind::Duration("5m".into()),
                TokenKind::Symbol(")"),
                TokenKind::Symbol("|"),
                TokenKind::Word("limit".into()),
                TokenKind::Number(2.0),
                TokenKind::End
            ]
        );
        assert_eq!(
            kinds("`foo-bar` 'it\\'s'")[..2],
            [TokenKind::Quoted("foo-bar".into()), TokenKind::Str("it's".into())]
        );
    }
}
