//! A position in a pattern's text, with the few reads the JSON and space-delimited parsers share:
//! quoted strings, `%regex%` bodies and bare words.

use super::error::PatternError;

#[derive(Clone)]
pub(crate) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Cursor<'a> {
        Cursor { text, pos: 0 }
    }

    pub(crate) fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    pub(crate) fn is_at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(crate) fn skip_whitespace(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// Consumes `token` if the text continues with it.
    pub(crate) fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    /// Consumes a keyword (ASCII case-insensitive) followed by a non-word character.
    pub(crate) fn eat_keyword(&mut self, keyword: &str) -> bool {
        let rest = self.rest();
        let Some(head) = rest.get(..keyword.len()) else { return false };
        let boundary = rest[keyword.len()..].chars().next().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        if head.eq_ignore_ascii_case(keyword) && boundary {
            self.pos += keyword.len();
            true
        } else {
            false
        }
    }

    pub(crate) fn advance(&mut self, bytes: usize) {
        self.pos += bytes;
    }

    /// Reads a double-quoted string (the cursor is on the opening quote); `\"` and `\\` are the
    /// escapes, as AWS's CDK writes them; any other backslash stays as written.
    pub(crate) fn read_quoted(&mut self) -> Result<String, PatternError> {
        debug_assert_eq!(self.peek(), Some('"'));
        self.pos += 1;
        let mut value = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, escaped @ ('"' | '\\'))) => value.push(escaped),
                    Some((_, other)) => {
                        value.push('\\');
                        value.push(other);
                    }
                    None => value.push('\\'),
                },
                other => value.push(other),
            }
        }
        Err(PatternError::new("unterminated double-quoted string"))
    }

    /// Reads the body of a `%regex%` (the cursor is on the opening `%`).
    pub(crate) fn read_regex_body(&mut self) -> Result<&'a str, PatternError> {
        debug_assert_eq!(self.peek(), Some('%'));
        let rest = &self.rest()[1..];
        let Some(end) = rest.find('%') else {
            return Err(PatternError::new("unterminated %regex%"));
        };
        self.pos += end + 2;
        Ok(&rest[..end])
    }

    /// Reads characters while `keep` holds.
    pub(crate) fn read_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let end = rest.find(|c: char| !keep(c)).unwrap_or(rest.len());
        self.pos += end;
        &rest[..end]
    }
}
