//! The expression tree and its parser.
//!
//! Precedence, loosest first (AWS documents the operators, not their precedence; this is the
//! conventional order): `OR`/`||`, `AND`/`&&`, comparisons, `+ -`, `* /`, unary `-` and `NOT`,
//! `^` (right-associative, so `-2^2` is -4 and `2^-1` is 0.5).

use super::lexer::{Spanned, Token, tokenize};

/// Expressions may be 2,048 characters (the model's limit); nesting is limited well below what
/// that allows so a pathological expression cannot exhaust the stack.
pub const MAX_EXPRESSION_LENGTH: usize = 2048;
const MAX_NESTING: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Power,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    And,
    Or,
}

/// A parsed metric math expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    /// The id of a metric or of another expression.
    Reference(String),
    /// A bare upper-case word that is an argument, not a call: `REPEAT`, `LINEAR`, `ASC`,
    /// `DESC`, or the statistic of SORT (`AVG`, `MIN`, `MAX`, `SUM`).
    Keyword(String),
    Text(String),
    Array(Vec<Expr>),
    Negate(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

/// Functions this crate evaluates, with their argument counts.
const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("ABS", 1, 1),
    ("AVG", 1, 1),
    ("CEIL", 1, 1),
    ("DATAPOINT_COUNT", 1, 1),
    ("DATE", 1, 1),
    ("DAY", 1, 1),
    ("DIFF", 1, 1),
    ("DIFF_TIME", 1, 1),
    ("EPOCH", 1, 1),
    ("FILL", 2, 2),
    ("FIRST", 1, 1),
    ("FLOOR", 1, 1),
    ("HOUR", 1, 1),
    ("IF", 2, 3),
    ("LAST", 1, 1),
    ("LOG", 1, 1),
    ("LOG10", 1, 1),
    ("MAX", 1, 1),
    ("METRICS", 0, 1),
    ("METRIC_COUNT", 1, 1),
    ("MIN", 1, 1),
    ("MINUTE", 1, 1),
    ("MONTH", 1, 1),
    ("PERIOD", 1, 1),
    ("RATE", 1, 1),
    ("REMOVE_EMPTY", 1, 1),
    ("RUNNING_SUM", 1, 1),
    ("SLICE", 2, 3),
    ("SORT", 3, 4),
    ("STDDEV", 1, 1),
    ("SUM", 1, 1),
    ("TIME_SERIES", 1, 1),
    ("YEAR", 1, 1),
];

/// AWS functions that need data Nimbus does not have (models, other services, queries).
const UNSUPPORTED_FUNCTIONS: &[&str] =
    &["ANOMALY_DETECTION_BAND", "INSIGHT_RULE_METRIC", "LAMBDA", "SEARCH", "SERVICE_QUOTA", "SELECT"];

const KEYWORDS: &[&str] = &["REPEAT", "LINEAR", "ASC", "DESC", "AVG", "MIN", "MAX", "SUM"];

/// Why an expression does not parse. `unsupported` marks valid AWS syntax Nimbus cannot
/// evaluate, so callers can say so instead of calling it invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub unsupported: bool,
}

impl ParseError {
    fn invalid(message: impl Into<String>) -> ParseError {
        ParseError { message: message.into(), unsupported: false }
    }
}

impl Expr {
    /// Parses a metric math expression.
    pub fn parse(text: &str) -> Result<Expr, ParseError> {
        if text.trim().is_empty() {
            return Err(ParseError::invalid("The expression is empty."));
        }
        if text.chars().count() > MAX_EXPRESSION_LENGTH {
            return Err(ParseError::invalid(format!(
                "The expression is longer than {MAX_EXPRESSION_LENGTH} characters."
            )));
        }
        let tokens = tokenize(text).map_err(ParseError::invalid)?;
        let mut parser = Parser { tokens, at: 0, depth: 0 };
        let expr = parser.or()?;
        match parser.peek() {
            None => Ok(expr),
            Some((token, position)) => {
                Err(ParseError::invalid(format!("Unexpected '{}' at position {position}.", token.describe())))
            }
        }
    }

    /// Every id the expression names, in order of first appearance. (The metrics METRICS()
    /// selects are not names; see [`Expr::uses_metrics_function`].)
    pub fn references(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_references(&mut out);
        out
    }

    fn collect_references(&self, out: &mut Vec<String>) {
        match self {
            Expr::Reference(id) if !out.contains(id) => out.push(id.clone()),
            Expr::Array(items) | Expr::Call(_, items) => items.iter().for_each(|e| e.collect_references(out)),
            Expr::Negate(e) | Expr::Not(e) => e.collect_references(out),
            Expr::Binary(_, a, b) => {
                a.collect_references(out);
                b.collect_references(out);
            }
            _ => {}
        }
    }

    /// Whether the expression calls METRICS(), which depends on every metric of the request.
    pub fn uses_metrics_function(&self) -> bool {
        match self {
            Expr::Call(name, args) => name == "METRICS" || args.iter().any(Expr::uses_metrics_function),
            Expr::Array(items) => items.iter().any(Expr::uses_metrics_function),
            Expr::Negate(e) | Expr::Not(e) => e.uses_metrics_function(),
            Expr::Binary(_, a, b) => a.uses_metrics_function() || b.uses_metrics_function(),
            _ => false,
        }
    }
}

struct Parser {
    tokens: Vec<Spanned>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Spanned> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Spanned> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn eat(&mut self, token: &Token) -> bool {
        if self.peek().is_some_and(|(t, _)| t == token) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some((Token::Word(w), _)) if w == word) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &Token) -> Result<(), ParseError> {
        if self.eat(token) {
            return Ok(());
        }
        Err(match self.peek() {
            Some((found, position)) => ParseError::invalid(format!(
                "Expected '{}' but found '{}' at position {position}.",
                token.describe(),
                found.describe()
            )),
            None => ParseError::invalid(format!("Expected '{}' but the expression ended.", token.describe())),
        })
    }

    fn nested<T>(&mut self, parse: impl FnOnce(&mut Parser) -> Result<T, ParseError>) -> Result<T, ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(ParseError::invalid(format!("The expression is nested more than {MAX_NESTING} levels deep.")));
        }
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        while self.eat(&Token::OrOr) || self.eat_word("OR") {
            let right = self.and()?;
            left = Expr::Binary(BinaryOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.comparison()?;
        while self.eat(&Token::AndAnd) || self.eat_word("AND") {
            let right = self.comparison()?;
            left = Expr::Binary(BinaryOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.additive()?;
        loop {
            let op = match self.peek().map(|(t, _)| t) {
                Some(Token::EqEq) => BinaryOp::Equal,
                Some(Token::NotEq) => BinaryOp::NotEqual,
                Some(Token::Less) => BinaryOp::Less,
                Some(Token::LessEq) => BinaryOp::LessOrEqual,
                Some(Token::Greater) => BinaryOp::Greater,
                Some(Token::GreaterEq) => BinaryOp::GreaterOrEqual,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.additive()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn additive(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek().map(|(t, _)| t) {
                Some(Token::Plus) => BinaryOp::Add,
                Some(Token::Minus) => BinaryOp::Subtract,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.multiplicative()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek().map(|(t, _)| t) {
                Some(Token::Star) => BinaryOp::Multiply,
                Some(Token::Slash) => BinaryOp::Divide,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.eat(&Token::Minus) {
            return self.nested(|p| Ok(Expr::Negate(Box::new(p.unary()?))));
        }
        if self.eat(&Token::Plus) {
            return self.nested(Parser::unary);
        }
        if self.eat_word("NOT") {
            return self.nested(|p| Ok(Expr::Not(Box::new(p.unary()?))));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, ParseError> {
        let base = self.primary()?;
        if self.eat(&Token::Caret) {
            let exponent = self.nested(Parser::unary)?;
            return Ok(Expr::Binary(BinaryOp::Power, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some((token, position)) = self.next() else {
            return Err(ParseError::invalid("The expression ended where a value was expected."));
        };
        match token {
            Token::Number(n) => Ok(Expr::Number(n)),
            Token::Text(t) => Ok(Expr::Text(t)),
            Token::LParen => self.nested(|p| {
                let inner = p.or()?;
                p.expect(&Token::RParen)?;
                Ok(inner)
            }),
            Token::LBracket => self.nested(|p| {
                let items = p.list(&Token::RBracket)?;
                if items.is_empty() {
                    return Err(ParseError::invalid(format!("Empty array at position {position}.")));
                }
                Ok(Expr::Array(items))
            }),
            Token::Word(word) => self.word(word, position),
            other => Err(ParseError::invalid(format!("Unexpected '{}' at position {position}.", other.describe()))),
        }
    }

    /// Comma-separated expressions up to `close` (already past the opening bracket).
    fn list(&mut self, close: &Token) -> Result<Vec<Expr>, ParseError> {
        let mut items = Vec::new();
        if self.eat(close) {
            return Ok(items);
        }
        loop {
            items.push(self.or()?);
            if self.eat(close) {
                return Ok(items);
            }
            self.expect(&Token::Comma)?;
        }
    }

    fn word(&mut self, word: String, position: usize) -> Result<Expr, ParseError> {
        let starts_lower = word.starts_with(|c: char| c.is_ascii_lowercase());
        if self.eat(&Token::LParen) {
            if UNSUPPORTED_FUNCTIONS.contains(&word.as_str()) {
                return Err(ParseError {
                    message: format!("The function {word} is not supported."),
                    unsupported: true,
                });
            }
            let Some(&(_, min, max)) = FUNCTIONS.iter().find(|(name, _, _)| *name == word) else {
                return Err(ParseError::invalid(format!("Unrecognized function {word} at position {position}.")));
            };
            let args = self.nested(|p| p.list(&Token::RParen))?;
            if args.len() < min || args.len() > max {
                let expected = if min == max { format!("{min}") } else { format!("{min} to {max}") };
                return Err(ParseError::invalid(format!(
                    "The function {word} takes {expected} argument{}, not {}.",
                    if max == 1 { "" } else { "s" },
                    args.len()
                )));
            }
            return Ok(Expr::Call(word, args));
        }
        if starts_lower {
            return Ok(Expr::Reference(word));
        }
        if KEYWORDS.contains(&word.as_str()) {
            return Ok(Expr::Keyword(word));
        }
        Err(ParseError::invalid(format!(
            "Unrecognized name {word} at position {position}: ids start with a lowercase letter and functions are followed by parentheses."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Expr {
        Expr::parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.message))
    }

    fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
        Expr::Binary(op, Box::new(a), Box::new(b))
    }

    fn r(id: &str) -> Expr {
        Expr::Reference(id.into())
    }

    #[test]
    fn precedence() {
        assert_eq!(
            parse("m1 + m2 * 2"),
            bin(BinaryOp::Add, r("m1"), bin(BinaryOp::Multiply, r("m2"), Expr::Number(2.0)))
        );
        assert_eq!(parse("-2^2"), Expr::Negate(Box::new(bin(BinaryOp::Power, Expr::Number(2.0), Expr::Number(2.0)))));
        assert_eq!(
            parse("m1 > 15 AND m2 > 15 || m3 == 0"),
            bin(
                BinaryOp::Or,
                bin(
                    BinaryOp::And,
                    bin(BinaryOp::Greater, r("m1"), Expr::Number(15.0)),
                    bin(BinaryOp::Greater, r("m2"), Expr::Number(15.0))
                ),
                bin(BinaryOp::Equal, r("m3"), Expr::Number(0.0))
            )
        );
        assert_eq!(
            parse("2^3^2"),
            bin(BinaryOp::Power, Expr::Number(2.0), bin(BinaryOp::Power, Expr::Number(3.0), Expr::Number(2.0)))
        );
    }

    #[test]
    fn documented_examples_parse() {
        for text in [
            "PERIOD(m1)/60",
            "SUM(100/[m1, m2])",
            "AVG([m1,m2]/m3)",
            "METRICS()*100",
            "SUM(-[m1, m2])",
            "FILL(METRICS(), 0)",
            "FILL(m1, REPEAT)",
            "FILL(METRICS(), LINEAR)",
            "IF(FIRST(SORT(METRICS(), AVG, DESC))>100, 1, 0)",
            "SLICE(SORT(METRICS(), SUM, DESC), 0, 10)",
            "SUM(METRICS(\"errors\"))/SUM(METRICS(\"requests\"))*100",
            "IF(DAY(m1)<6,m1)",
            "TIME_SERIES(5*AVG(m1))",
            "e1-MIN(e1)",
            "IF(m3>0 AND m1+m2==0, 1, 0)",
            "NOT(m1 > 5)",
        ] {
            parse(text);
        }
    }

    #[test]
    fn errors() {
        assert_eq!(Expr::parse("m1 +").unwrap_err().message, "The expression ended where a value was expected.");
        assert_eq!(Expr::parse("FOO(m1)").unwrap_err().message, "Unrecognized function FOO at position 1.");
        assert_eq!(Expr::parse("IF(m1)").unwrap_err().message, "The function IF takes 2 to 3 arguments, not 1.");
        assert_eq!(Expr::parse("m1 m2").unwrap_err().message, "Unexpected 'm2' at position 4.");
        assert_eq!(Expr::parse("(m1").unwrap_err().message, "Expected ')' but the expression ended.");
        let unsupported = Expr::parse("ANOMALY_DETECTION_BAND(m1)").unwrap_err();
        assert!(unsupported.unsupported);
        assert!(Expr::parse(&"(".repeat(100)).unwrap_err().message.contains("nested"));
        assert!(Expr::parse(&"1+".repeat(1100)).unwrap_err().message.contains("longer than 2048"));
        assert!(Expr::parse("M1 + 1").unwrap_err().message.starts_with("Unrecognized name M1"));
    }

    #[test]
    fn references_in_order() {
        assert_eq!(parse("m2 + IF(m1 > e1, m2)").references(), vec!["m2", "m1", "e1"]);
        assert!(parse("SUM(METRICS())").uses_metrics_function());
    }
}
