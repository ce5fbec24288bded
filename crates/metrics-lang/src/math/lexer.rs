//! Tokens of a metric math expression.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    Number(f64),
    /// A name: a metric or expression id (`m1`), a function (`SUM`), a keyword (`AND`, `REPEAT`).
    Word(String),
    /// A double-quoted string (`METRICS("errors")`).
    Text(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    EqEq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    AndAnd,
    OrOr,
}

impl Token {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Token::Number(n) => crate::format::java_double(*n),
            Token::Word(w) => w.clone(),
            Token::Text(t) => format!("\"{t}\""),
            Token::LParen => "(".into(),
            Token::RParen => ")".into(),
            Token::LBracket => "[".into(),
            Token::RBracket => "]".into(),
            Token::Comma => ",".into(),
            Token::Plus => "+".into(),
            Token::Minus => "-".into(),
            Token::Star => "*".into(),
            Token::Slash => "/".into(),
            Token::Caret => "^".into(),
            Token::EqEq => "==".into(),
            Token::NotEq => "!=".into(),
            Token::Less => "<".into(),
            Token::LessEq => "<=".into(),
            Token::Greater => ">".into(),
            Token::GreaterEq => ">=".into(),
            Token::AndAnd => "&&".into(),
            Token::OrOr => "||".into(),
        }
    }
}

/// A token and the 1-based character position it starts at.
pub(crate) type Spanned = (Token, usize);

/// Splits `text` into tokens; `Err` carries the message for the first character that starts no
/// token. Curly quotes count as quotes: AWS's own examples write `METRICS(“4xx”)`.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Spanned>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let position = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two = chars.get(i + 1).copied();
        let (token, width) = match (c, two) {
            ('=', Some('=')) => (Token::EqEq, 2),
            ('!', Some('=')) => (Token::NotEq, 2),
            ('<', Some('=')) => (Token::LessEq, 2),
            ('>', Some('=')) => (Token::GreaterEq, 2),
            ('&', Some('&')) => (Token::AndAnd, 2),
            ('|', Some('|')) => (Token::OrOr, 2),
            ('<', _) => (Token::Less, 1),
            ('>', _) => (Token::Greater, 1),
            ('(', _) => (Token::LParen, 1),
            (')', _) => (Token::RParen, 1),
            ('[', _) => (Token::LBracket, 1),
            (']', _) => (Token::RBracket, 1),
            (',', _) => (Token::Comma, 1),
            ('+', _) => (Token::Plus, 1),
            ('-', _) => (Token::Minus, 1),
            ('*', _) => (Token::Star, 1),
            ('/', _) => (Token::Slash, 1),
            ('^', _) => (Token::Caret, 1),
            ('"' | '“' | '”', _) => {
                let close = chars[i + 1..]
                    .iter()
                    .position(|&q| matches!(q, '"' | '“' | '”'))
                    .ok_or_else(|| format!("Unterminated string starting at position {position}."))?;
                let content: String = chars[i + 1..i + 1 + close].iter().collect();
                (Token::Text(content), close + 2)
            }
            (d, _) if d.is_ascii_digit() || (d == '.' && two.is_some_and(|n| n.is_ascii_digit())) => {
                number(&chars[i..])?
            }
            (w, _) if w.is_ascii_alphabetic() || w == '_' => {
                let length = chars[i..].iter().take_while(|&&w| w.is_ascii_alphanumeric() || w == '_').count();
                (Token::Word(chars[i..i + length].iter().collect()), length)
            }
            (other, _) => return Err(format!("Unexpected character '{other}' at position {position}.")),
        };
        tokens.push((token, position));
        i += width;
    }
    Ok(tokens)
}

/// `12`, `2.5`, `.5`, `1e3`, `1.5E-2`.
fn number(chars: &[char]) -> Result<(Token, usize), String> {
    let digits = |from: usize| chars[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut end = digits(0);
    if chars.get(end) == Some(&'.') {
        end += 1 + digits(end + 1);
    }
    if matches!(chars.get(end), Some('e' | 'E')) {
        let sign = usize::from(matches!(chars.get(end + 1), Some('+' | '-')));
        let exponent = digits(end + 1 + sign);
        if exponent > 0 {
            end += 1 + sign + exponent;
        }
    }
    let text: String = chars[..end].iter().collect();
    let value: f64 = text.parse().map_err(|_| format!("Invalid number {text}."))?;
    Ok((Token::Number(value), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Token> {
        tokenize(text).unwrap().into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn operators_numbers_and_words() {
        assert_eq!(
            kinds("m1>=2.5e1 && NOT(e_2!=.5)"),
            vec![
                Token::Word("m1".into()),
                Token::GreaterEq,
                Token::Number(25.0),
                Token::AndAnd,
                Token::Word("NOT".into()),
                Token::LParen,
                Token::Word("e_2".into()),
                Token::NotEq,
                Token::Number(0.5),
                Token::RParen,
            ]
        );
        assert_eq!(kinds("SUM([METRICS(“4xx”)])")[5], Token::Text("4xx".into()));
    }

    #[test]
    fn bad_characters_are_reported_with_position() {
        assert_eq!(tokenize("m1 % 2").unwrap_err(), "Unexpected character '%' at position 4.");
        assert_eq!(tokenize("METRICS(\"x").unwrap_err(), "Unterminated string starting at position 9.");
    }
}
