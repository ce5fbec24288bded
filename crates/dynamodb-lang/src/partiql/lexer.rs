//! Tokens of DynamoDB's PartiQL subset: SQL-style words, `"quoted names"`, `'strings'` (a
//! doubled quote escapes itself in both), numbers, `?` parameters and punctuation, including
//! the `<<` `>>` set brackets.

use super::{Result, malformed};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// A bare word: a keyword (matched case-insensitively by the parser) or a name.
    Word(String),
    /// A `"quoted"` name: never a keyword, case kept.
    QuotedName(String),
    /// A `'string'` literal.
    Text(String),
    /// A number literal, as written.
    Number(String),
    /// `?`, the next of the request's `Parameters`.
    Parameter,
    Symbol(&'static str),
}

impl Token {
    /// Whether this is the keyword `word` (any case).
    pub(crate) fn is_keyword(&self, word: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(word))
    }
}

/// Longest symbols first, so `<=` is not read as `<` then `=`.
const SYMBOLS: [&str; 20] = ["<<", ">>", "<=", ">=", "<>", "!=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "*", "=", "<", ">", "+"];

pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let c = bytes[at];
        if c.is_ascii_whitespace() {
            at += 1;
        } else if c == b'\'' || c == b'"' {
            let (content, next) = quoted(text, at, c)?;
            tokens.push(if c == b'\'' { Token::Text(content) } else { Token::QuotedName(content) });
            at = next;
        } else if c == b'?' {
            tokens.push(Token::Parameter);
            at += 1;
        } else if c.is_ascii_digit() || (c == b'-' && bytes.get(at + 1).is_some_and(|d| d.is_ascii_digit() || *d == b'.')) || (c == b'.' && bytes.get(at + 1).is_some_and(u8::is_ascii_digit) && !follows_path(&tokens)) {
            let end = number_end(bytes, at);
            tokens.push(Token::Number(text[at..end].to_owned()));
            at = end;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let end = at + bytes[at..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'$').count();
            tokens.push(Token::Word(text[at..end].to_owned()));
            at = end;
        } else if c == b'-' {
            tokens.push(Token::Symbol("-"));
            at += 1;
        } else if let Some(symbol) = SYMBOLS.iter().find(|s| text[at..].starts_with(**s)) {
            tokens.push(Token::Symbol(symbol));
            at += symbol.len();
        } else {
            return Err(malformed("Unexpected token"));
        }
    }
    Ok(tokens)
}

/// A `.` right after a name or `]` is a path step, not the start of a number like `.5`.
fn follows_path(tokens: &[Token]) -> bool {
    matches!(tokens.last(), Some(Token::Word(_) | Token::QuotedName(_) | Token::Symbol("]")))
}

/// The content of a quoted token starting at `start`, and the index after its closing quote.
fn quoted(text: &str, start: usize, quote: u8) -> Result<(String, usize)> {
    let bytes = text.as_bytes();
    let mut content = String::new();
    let mut at = start + 1;
    let mut run_start = at;
    while at < bytes.len() {
        if bytes[at] == quote {
            content.push_str(&text[run_start..at]);
            if bytes.get(at + 1) == Some(&quote) {
                content.push(quote as char);
                at += 2;
                run_start = at;
                continue;
            }
            return Ok((content, at + 1));
        }
        at += 1;
    }
    Err(malformed(if quote == b'\'' { "Unterminated string literal" } else { "Unterminated quoted identifier" }))
}

fn number_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start;
    if bytes[at] == b'-' {
        at += 1;
    }
    while at < bytes.len() && (bytes[at].is_ascii_digit() || bytes[at] == b'.') {
        at += 1;
    }
    if at < bytes.len() && (bytes[at] == b'e' || bytes[at] == b'E') {
        let mut exponent = at + 1;
        if exponent < bytes.len() && (bytes[exponent] == b'+' || bytes[exponent] == b'-') {
            exponent += 1;
        }
        if exponent < bytes.len() && bytes[exponent].is_ascii_digit() {
            at = exponent;
            while at < bytes.len() && bytes[at].is_ascii_digit() {
                at += 1;
            }
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escape_themselves_and_symbols_take_the_longest_match() {
        let tokens = tokenize(r#"SELECT "a""b" FROM t WHERE x <= 'it''s' AND s = <<1, -2.5e3>> AND y <> ?"#).unwrap();
        assert!(tokens.contains(&Token::QuotedName("a\"b".into())));
        assert!(tokens.contains(&Token::Text("it's".into())));
        assert!(tokens.contains(&Token::Symbol("<=")));
        assert!(tokens.contains(&Token::Symbol("<<")));
        assert!(tokens.contains(&Token::Number("-2.5e3".into())));
        assert!(tokens.contains(&Token::Symbol("<>")));
        assert_eq!(tokens.last(), Some(&Token::Parameter));
    }

    #[test]
    fn a_dot_after_a_name_is_a_path_step() {
        let tokens = tokenize("a.b[0].c").unwrap();
        assert_eq!(tokens[1], Token::Symbol("."));
        assert_eq!(tokens[4], Token::Number("0".into()));
    }

    #[test]
    fn unterminated_quotes_are_malformed_statements() {
        assert!(tokenize("SELECT * FROM \"t").unwrap_err().message.starts_with("Statement wasn't well formed"));
        assert!(tokenize("SELECT * FROM t WHERE a = 'x").is_err());
        assert!(tokenize("SELECT # FROM t").is_err());
    }
}
