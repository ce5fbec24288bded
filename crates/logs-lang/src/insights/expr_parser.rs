//! Expressions: `or` < `and` < `not` < comparisons (`=`, `!=`, `<`, `<=`, `>`, `>=`, `like`,
//! `=~`, `in`, and their `not` forms) < `+ -` < `* / %` < `^` < unary `-` < values, fields,
//! function calls and parentheses.

use super::ast::{Aggregate, BinaryOp, Expr, LikePattern};
use super::error::QueryError;
use super::functions::{Function, Signature, signature};
use super::lexer::TokenKind;
use super::parser::{Parser, TIMESTAMP};
use super::stats::AggregateFunction;
use super::time::Period;
use super::value::Value;

impl Parser<'_> {
    pub(crate) fn expression(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.and_expression()?;
        while self.eat_word("or") {
            let right = self.and_expression()?;
            left = Expr::Binary(BinaryOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expression(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.not_expression()?;
        while self.eat_word("and") {
            let right = self.not_expression()?;
            left = Expr::Binary(BinaryOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not_expression(&mut self) -> Result<Expr, QueryError> {
        if self.eat_word("not") {
            return Ok(Expr::Not(Box::new(self.not_expression()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, QueryError> {
        let left = self.additive()?;
        let negated = self.peek().is_word("not") && (self.peek_at(1).is_word("like") || self.peek_at(1).is_word("in"));
        if negated {
            self.advance();
        }
        if self.eat_word("like") {
            let pattern = self.like_pattern(true)?;
            return Ok(Expr::Like { target: Box::new(left), pattern, negated });
        }
        if self.eat_word("in") {
            let list = match self.primary()? {
                Expr::List(items) => items,
                single => vec![single],
            };
            return Ok(Expr::In { target: Box::new(left), list, negated });
        }
        if negated {
            return Err(self.unexpected());
        }
        if self.eat_symbol("=~") {
            let pattern = self.like_pattern(false)?;
            return Ok(Expr::Like { target: Box::new(left), pattern, negated: false });
        }
        let operator = match &self.peek().kind {
            TokenKind::Symbol("=") => BinaryOp::Equal,
            TokenKind::Symbol("!=") => BinaryOp::NotEqual,
            TokenKind::Symbol("<") => BinaryOp::Less,
            TokenKind::Symbol("<=") => BinaryOp::LessOrEqual,
            TokenKind::Symbol(">") => BinaryOp::Greater,
            TokenKind::Symbol(">=") => BinaryOp::GreaterOrEqual,
            _ => return Ok(left),
        };
        self.advance();
        let right = self.additive()?;
        Ok(Expr::Binary(operator, Box::new(left), Box::new(right)))
    }

    /// After `like` (a quoted substring or a `/regex/`) or `=~` (a regex, or a quoted one).
    fn like_pattern(&mut self, substring_allowed: bool) -> Result<LikePattern, QueryError> {
        let token = self.advance();
        match token.kind {
            TokenKind::Regex(body) => Ok(LikePattern::Regex(self.compile_regex(&body, token.start, token.end)?)),
            TokenKind::Str(text) if substring_allowed => Ok(LikePattern::Substring(text)),
            TokenKind::Str(text) => Ok(LikePattern::Regex(self.compile_regex(&text, token.start, token.end)?)),
            _ => Err(QueryError::unexpected(self.query, token.start, token.end)),
        }
    }

    fn additive(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.multiplicative()?;
        loop {
            let operator = match &self.peek().kind {
                TokenKind::Symbol("+") => BinaryOp::Add,
                TokenKind::Symbol("-") => BinaryOp::Subtract,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.multiplicative()?;
            left = Expr::Binary(operator, Box::new(left), Box::new(right));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.power()?;
        loop {
            let operator = match &self.peek().kind {
                TokenKind::Symbol("*") => BinaryOp::Multiply,
                TokenKind::Symbol("/") => BinaryOp::Divide,
                TokenKind::Symbol("%") => BinaryOp::Remainder,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.power()?;
            left = Expr::Binary(operator, Box::new(left), Box::new(right));
        }
    }

    fn power(&mut self) -> Result<Expr, QueryError> {
        let base = self.unary()?;
        if self.eat_symbol("^") {
            let exponent = self.power()?;
            return Ok(Expr::Binary(BinaryOp::Power, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if self.eat_symbol("-") {
            return Ok(match self.unary()? {
                Expr::Literal(Value::Num(n)) => Expr::Literal(Value::Num(-n)),
                other => Expr::Negate(Box::new(other)),
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let token = self.peek().clone();
        match token.kind {
            TokenKind::Number(n) => {
                self.advance();
                Ok(Expr::Literal(Value::Num(n)))
            }
            TokenKind::Str(text) => {
                self.advance();
                Ok(Expr::Literal(Value::Str(text)))
            }
            TokenKind::Symbol("(") => {
                self.advance();
                let inner = self.expression()?;
                self.expect_symbol(")")?;
                Ok(inner)
            }
            TokenKind::Symbol("[") => {
                self.advance();
                let mut items = Vec::new();
                if !self.eat_symbol("]") {
                    loop {
                        items.push(self.expression()?);
                        if self.eat_symbol("]") {
                            break;
                        }
                        self.expect_symbol(",")?;
                    }
                }
                Ok(Expr::List(items))
            }
            TokenKind::Word(name) if self.peek_at(1).is_symbol("(") => self.call(&name, token.start),
            TokenKind::Word(_) | TokenKind::Quoted(_) => {
                let name = self.field_name()?;
                Ok(Expr::Field(self.read_slot(&name)))
            }
            _ => Err(self.unexpected()),
        }
    }

    /// A function call; the cursor is on its name.
    fn call(&mut self, name: &str, start: usize) -> Result<Expr, QueryError> {
        let name_token = self.advance();
        self.expect_symbol("(")?;
        if let Some(function) = AggregateFunction::named(name) {
            if self.aggregates.is_some() {
                return self.aggregate(function);
            }
            // Outside stats, `count(*)` names the column an earlier stats made.
            let close = self.skip_to_closing_paren()?;
            return match self.existing_slot(&self.query[start..close]) {
                Some(slot) => Ok(Expr::Field(slot)),
                None => Err(QueryError::at(
                    self.query,
                    name_token.start,
                    name_token.end,
                    format!("{name} is an aggregation function, only allowed in stats"),
                )),
            };
        }
        let Some(signature) = signature(name) else {
            return Err(QueryError::at(
                self.query,
                name_token.start,
                name_token.end,
                format!("unknown function {name}"),
            ));
        };
        match signature {
            Signature::Plain(function, min, max) => {
                let args = self.arguments()?;
                if args.len() < min || args.len() > max {
                    return Err(QueryError::at(
                        self.query,
                        start,
                        self.last_end(),
                        format!("wrong number of arguments for {name}"),
                    ));
                }
                Ok(Expr::Call(function, args))
            }
            Signature::Bin => {
                let period = self.period()?;
                self.expect_symbol(")")?;
                Ok(Expr::Call(Function::Bin(period), vec![Expr::Field(TIMESTAMP)]))
            }
            Signature::DateFloor | Signature::DateCeil => {
                let timestamp = self.expression()?;
                self.expect_symbol(",")?;
                let period = self.period()?;
                self.expect_symbol(")")?;
                let function = if matches!(signature, Signature::DateFloor) {
                    Function::DateFloor(period)
                } else {
                    Function::DateCeil(period)
                };
                Ok(Expr::Call(function, vec![timestamp]))
            }
            Signature::RegexReplace => {
                let text = self.expression()?;
                self.expect_symbol(",")?;
                let pattern = self.advance();
                let body = match pattern.kind {
                    TokenKind::Str(body) | TokenKind::Regex(body) => body,
                    _ => return Err(QueryError::unexpected(self.query, pattern.start, pattern.end)),
                };
                let regex = self.compile_regex(&body, pattern.start, pattern.end)?;
                self.expect_symbol(",")?;
                let replacement = self.expression()?;
                self.expect_symbol(")")?;
                Ok(Expr::Call(Function::RegexReplace(regex), vec![text, replacement]))
            }
        }
    }

    /// Comma-separated arguments up to the closing parenthesis (the `(` is read).
    fn arguments(&mut self) -> Result<Vec<Expr>, QueryError> {
        let mut args = Vec::new();
        if self.eat_symbol(")") {
            return Ok(args);
        }
        loop {
            args.push(self.expression()?);
            if self.eat_symbol(")") {
                return Ok(args);
            }
            self.expect_symbol(",")?;
        }
    }

    /// An aggregate inside `stats`: `count(*)`, `count()`, `count(f)`, `pct(f, 95)`, `sum(expr)`.
    fn aggregate(&mut self, function: AggregateFunction) -> Result<Expr, QueryError> {
        let saved = self.aggregates.take();
        let result = (|| {
            if function == AggregateFunction::Count
                && (self.eat_symbol(")") || (self.eat_symbol("*") && self.eat_symbol(")")))
            {
                return Ok((function, None));
            }
            let argument = self.expression()?;
            let function = if matches!(function, AggregateFunction::Percentile(_)) {
                self.expect_symbol(",")?;
                let token = self.advance();
                match token.kind {
                    TokenKind::Number(p) if (0.0..=100.0).contains(&p) => AggregateFunction::Percentile(p),
                    _ => return Err(QueryError::unexpected(self.query, token.start, token.end)),
                }
            } else {
                function
            };
            self.expect_symbol(")")?;
            Ok((function, Some(argument)))
        })();
        self.aggregates = saved;
        let (function, argument) = result?;
        let aggregates = self.aggregates.get_or_insert_with(Vec::new);
        aggregates.push(Aggregate { function, argument });
        Ok(Expr::Aggregate(aggregates.len() - 1))
    }

    fn period(&mut self) -> Result<Period, QueryError> {
        let token = self.advance();
        match &token.kind {
            TokenKind::Duration(text) => Period::parse(text).ok_or_else(|| {
                QueryError::at(self.query, token.start, token.end, format!("{text} is not a time period"))
            }),
            _ => Err(QueryError::unexpected(self.query, token.start, token.end)),
        }
    }

    /// Skips a balanced argument list (the `(` is read) and returns the end of its `)`.
    fn skip_to_closing_paren(&mut self) -> Result<usize, QueryError> {
        let mut depth = 1;
        loop {
            let token = self.advance();
            match token.kind {
                TokenKind::Symbol("(") => depth += 1,
                TokenKind::Symbol(")") => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(token.end);
                    }
                }
                TokenKind::End => return Err(QueryError::unexpected(self.query, token.start, token.end)),
                _ => {}
            }
        }
    }
}
