//! Splits an expression into tokens, keeping each token's place in the text for AWS's
//! `Syntax error; token: "...", near: "..."` messages.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A bare attribute name, keyword or function name: letters, digits and `_`.
    Name,
    /// `#name`
    NamePlaceholder,
    /// `:value`
    ValuePlaceholder,
    /// Digits (list indexes).
    Integer,
    OpenParen,
    CloseParen,
    OpenBracket,
    CloseBracket,
    Comma,
    Dot,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Plus,
    Minus,
    /// A character no token starts with (or a lone `#` / `:`).
    Unknown,
    End,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        chars.next();
        let mut take_while = |predicate: fn(char) -> bool| {
            let mut end = start + c.len_utf8();
            while let Some(&(i, next)) = chars.peek() {
                if !predicate(next) {
                    break;
                }
                end = i + next.len_utf8();
                chars.next();
            }
            end
        };
        let (kind, end) = match c {
            '(' => (TokenKind::OpenParen, start + 1),
            ')' => (TokenKind::CloseParen, start + 1),
            '[' => (TokenKind::OpenBracket, start + 1),
            ']' => (TokenKind::CloseBracket, start + 1),
            ',' => (TokenKind::Comma, start + 1),
            '.' => (TokenKind::Dot, start + 1),
            '=' => (TokenKind::Equal, start + 1),
            '+' => (TokenKind::Plus, start + 1),
            '-' => (TokenKind::Minus, start + 1),
            '<' | '>' => {
                let next = chars.peek().map(|&(_, n)| n);
                match (c, next) {
                    ('<', Some('>')) => {
                        chars.next();
                        (TokenKind::NotEqual, start + 2)
                    }
                    ('<', Some('=')) => {
                        chars.next();
                        (TokenKind::LessOrEqual, start + 2)
                    }
                    ('>', Some('=')) => {
                        chars.next();
                        (TokenKind::GreaterOrEqual, start + 2)
                    }
                    ('<', _) => (TokenKind::Less, start + 1),
                    _ => (TokenKind::Greater, start + 1),
                }
            }
            '#' | ':' => {
                let end = take_while(is_name_char);
                let kind = if end == start + 1 {
                    TokenKind::Unknown
                } else if c == '#' {
                    TokenKind::NamePlaceholder
                } else {
                    TokenKind::ValuePlaceholder
                };
                (kind, end)
            }
            c if c.is_ascii_digit() => {
                // Digits then letters (`1abc`) is one malformed name, reported whole.
                let end = take_while(is_name_char);
                let kind = if text[start..end].bytes().all(|b| b.is_ascii_digit()) {
                    TokenKind::Integer
                } else {
                    TokenKind::Unknown
                };
                (kind, end)
            }
            c if is_name_char(c) => (TokenKind::Name, take_while(is_name_char)),
            other => (TokenKind::Unknown, start + other.len_utf8()),
        };
        tokens.push(Token { kind, start, end });
    }
    tokens.push(Token {
        kind: TokenKind::End,
        start: text.len(),
        end: text.len(),
    });
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn tokens() {
        use TokenKind::*;
        assert_eq!(
            kinds("a.#b[10] <> :v AND size(c)>=:w"),
            [
                Name,
                Dot,
                NamePlaceholder,
                OpenBracket,
                Integer,
                CloseBracket,
                NotEqual,
                ValuePlaceholder,
                Name,
                Name,
                OpenParen,
                Name,
                CloseParen,
                GreaterOrEqual,
                ValuePlaceholder,
                End
            ]
        );
        assert_eq!(kinds("hits : incr"), [Name, Unknown, Name, End]);
        assert_eq!(kinds("# !"), [Unknown, Unknown, End]);
        assert_eq!(kinds("é"), [Unknown, End]);
    }
}
