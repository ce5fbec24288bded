//! Recursive-descent parsers for condition (and filter, key condition), projection and update
//! expressions, following the grammars in the DynamoDB developer guide.
//!
//! Syntax errors stop the parse at once. Problems found in well-formed text (reserved words,
//! undefined placeholders, wrong operand counts or types) are remembered and the first one is
//! reported once the whole expression has parsed, so a later syntax error wins over them.

use super::ast::*;
use super::lexer::{Token, TokenKind, tokenize};
use super::reserved::is_reserved;
use crate::error::ValidationError;
use crate::value::{AttributeType, AttributeValue};
use indexmap::IndexMap;
use std::collections::HashSet;

/// Most operands DynamoDB accepts on the right of `IN`.
pub const MAX_IN_OPERANDS: usize = 100;

/// The request's placeholder maps and the record of which were used.
pub(crate) struct Placeholders<'a> {
    pub names: Option<&'a IndexMap<String, String>>,
    pub values: Option<&'a IndexMap<String, AttributeValue>>,
    pub used_names: &'a mut HashSet<String>,
    pub used_values: &'a mut HashSet<String>,
}

struct Parser<'t, 'p, 'a> {
    text: &'t str,
    tokens: Vec<Token>,
    position: usize,
    placeholders: &'p mut Placeholders<'a>,
    /// The first problem in well-formed text, reported after the parse succeeds.
    deferred: Option<ValidationError>,
    /// Token range (open, close) of the last parenthesized condition, to spot `((...))`.
    last_parenthesized: Option<(usize, usize)>,
}

type Parse<T> = Result<T, ValidationError>;

fn empty_expression() -> ValidationError {
    ValidationError::new("The expression can not be empty;")
}

fn operand_type_error(function: &str, operand_type: &str) -> ValidationError {
    ValidationError::new(format!(
        "Incorrect operand type for operator or function; operator or function: {function}, operand type: {operand_type}"
    ))
}

fn operand_count_error(function: &str, count: usize) -> ValidationError {
    ValidationError::new(format!(
        "Incorrect number of operands for operator or function; operator or function: {function}, number of operands: {count}"
    ))
}

/// The type a condition operand has when it is known before reading the item.
fn static_type(operand: &Operand) -> Option<AttributeType> {
    match operand {
        Operand::Value(literal) => Some(literal.value.attribute_type()),
        Operand::Size(_) => Some(AttributeType::N),
        Operand::Path(_) => None,
    }
}

fn same_path(a: &Operand, b: &Operand) -> Option<Path> {
    match (a, b) {
        (Operand::Path(x), Operand::Path(y)) if x == y => Some(x.clone()),
        _ => None,
    }
}

fn distinct_operands_error(operator: &str, path: &Path) -> ValidationError {
    ValidationError::new(format!(
        "The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {}",
        path.describe()
    ))
}

impl<'t, 'p, 'a> Parser<'t, 'p, 'a> {
    fn new(text: &'t str, placeholders: &'p mut Placeholders<'a>) -> Parse<Parser<'t, 'p, 'a>> {
        if text.trim().is_empty() {
            return Err(empty_expression());
        }
        Ok(Parser {
            text,
            tokens: tokenize(text),
            position: 0,
            placeholders,
            deferred: None,
            last_parenthesized: None,
        })
    }

    fn peek(&self) -> Token {
        self.tokens[self.position]
    }

    fn peek_kind(&self) -> TokenKind {
        self.peek().kind
    }

    fn peek_kind_at(&self, offset: usize) -> TokenKind {
        self.tokens.get(self.position + offset).map_or(TokenKind::End, |t| t.kind)
    }

    fn token_text(&self, token: Token) -> &'t str {
        &self.text[token.start..token.end]
    }

    fn advance(&mut self) -> Token {
        let token = self.peek();
        if token.kind != TokenKind::End {
            self.position += 1;
        }
        token
    }

    /// Whether the next token is the keyword `word` (any case).
    fn at_keyword(&self, word: &str) -> bool {
        let token = self.peek();
        token.kind == TokenKind::Name && self.token_text(token).eq_ignore_ascii_case(word)
    }

    /// AWS's message for the token at the current position: the token, and the text from the
    /// token before it to the token after it.
    fn syntax_error(&self) -> ValidationError {
        let token = self.peek();
        let shown = if token.kind == TokenKind::End {
            "<EOF>"
        } else {
            self.token_text(token)
        };
        let from = if self.position > 0 {
            self.tokens[self.position - 1].start
        } else {
            token.start
        };
        let to = self.tokens.get(self.position + 1).map_or(token.end, |t| t.end).max(token.end);
        let near = self.text[from..to].trim_end();
        ValidationError::new(format!("Syntax error; token: \"{shown}\", near: \"{near}\""))
    }

    fn expect(&mut self, kind: TokenKind) -> Parse<Token> {
        if self.peek_kind() == kind {
            Ok(self.advance())
        } else {
            Err(self.syntax_error())
        }
    }

    fn defer(&mut self, error: ValidationError) {
        if self.deferred.is_none() {
            self.deferred = Some(error);
        }
    }

    /// Ends a parse: the text must be used up, then the first deferred problem is reported.
    fn finish<T>(mut self, result: T) -> Parse<T> {
        if self.peek_kind() != TokenKind::End {
            return Err(self.syntax_error());
        }
        match self.deferred.take() {
            Some(error) => Err(error),
            None => Ok(result),
        }
    }

    // ---- paths and values -------------------------------------------------------------

    fn path_component(&mut self) -> Parse<String> {
        let token = self.peek();
        match token.kind {
            TokenKind::Name => {
                self.advance();
                let name = self.token_text(token);
                if is_reserved(name) {
                    self.defer(ValidationError::new(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {name}"
                    )));
                }
                Ok(name.to_owned())
            }
            TokenKind::NamePlaceholder => {
                self.advance();
                let placeholder = self.token_text(token);
                match self.placeholders.names.and_then(|names| names.get(placeholder)) {
                    Some(name) => {
                        self.placeholders.used_names.insert(placeholder.to_owned());
                        Ok(name.clone())
                    }
                    None => {
                        self.defer(ValidationError::new(format!(
                            "An expression attribute name used in the document path is not defined; attribute name: {placeholder}"
                        )));
                        Ok(placeholder.to_owned())
                    }
                }
            }
            _ => Err(self.syntax_error()),
        }
    }

    fn path(&mut self) -> Parse<Path> {
        let mut elements = vec![PathElement::Attribute(self.path_component()?)];
        loop {
            match self.peek_kind() {
                TokenKind::Dot => {
                    self.advance();
                    elements.push(PathElement::Attribute(self.path_component()?));
                }
                TokenKind::OpenBracket => {
                    self.advance();
                    let token = self.peek();
                    if token.kind != TokenKind::Integer {
                        return Err(self.syntax_error());
                    }
                    let Ok(index) = self.token_text(token).parse::<usize>() else {
                        return Err(self.syntax_error());
                    };
                    self.advance();
                    self.expect(TokenKind::CloseBracket)?;
                    elements.push(PathElement::Index(index));
                }
                _ => return Ok(Path { elements }),
            }
        }
    }

    fn literal(&mut self) -> Parse<Literal> {
        let token = self.expect(TokenKind::ValuePlaceholder)?;
        let placeholder = self.token_text(token).to_owned();
        let value = match self.placeholders.values.and_then(|values| values.get(&placeholder)) {
            Some(value) => {
                self.placeholders.used_values.insert(placeholder.clone());
                value.clone()
            }
            None => {
                self.defer(ValidationError::new(format!(
                    "An expression attribute value used in expression is not defined; attribute value: {placeholder}"
                )));
                AttributeValue::Null
            }
        };
        Ok(Literal { placeholder, value })
    }

    /// `name(` starts a function call.
    fn at_function(&self) -> bool {
        self.peek_kind() == TokenKind::Name && self.peek_kind_at(1) == TokenKind::OpenParen
    }

    /// Parses `( operand, ... )` after a function name.
    fn arguments(&mut self) -> Parse<Vec<Operand>> {
        self.expect(TokenKind::OpenParen)?;
        let mut operands = vec![self.operand()?];
        while self.peek_kind() == TokenKind::Comma {
            self.advance();
            operands.push(self.operand()?);
        }
        self.expect(TokenKind::CloseParen)?;
        Ok(operands)
    }

    // ---- conditions -------------------------------------------------------------------

    fn operand(&mut self) -> Parse<Operand> {
        match self.peek_kind() {
            TokenKind::ValuePlaceholder => Ok(Operand::Value(self.literal()?)),
            TokenKind::Name if self.at_function() => {
                let token = self.advance();
                let name = self.token_text(token);
                let arguments = self.arguments()?;
                if name != "size" {
                    self.defer(function_misuse(name));
                    return Ok(Operand::Size(Path::attribute(name)));
                }
                Ok(Operand::Size(self.path_argument("size", arguments, 1)?.remove(0)))
            }
            TokenKind::Name | TokenKind::NamePlaceholder => Ok(Operand::Path(self.path()?)),
            _ => Err(self.syntax_error()),
        }
    }

    /// Checks a function's operand count and that the first `paths` operands are paths.
    fn path_argument(&mut self, function: &str, arguments: Vec<Operand>, paths: usize) -> Parse<Vec<Path>> {
        let mut result = Vec::new();
        for operand in arguments.into_iter().take(paths) {
            match operand {
                Operand::Path(path) => result.push(path),
                other => {
                    let operand_type = static_type(&other).map_or("", AttributeType::name);
                    self.defer(operand_type_error(function, operand_type));
                    result.push(Path::attribute(function));
                }
            }
        }
        Ok(result)
    }

    fn condition(&mut self) -> Parse<Condition> {
        let mut left = self.conjunction()?;
        while self.at_keyword("OR") {
            self.advance();
            let right = self.conjunction()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn conjunction(&mut self) -> Parse<Condition> {
        let mut left = self.negation()?;
        while self.at_keyword("AND") {
            self.advance();
            let right = self.negation()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn negation(&mut self) -> Parse<Condition> {
        if self.at_keyword("NOT") {
            self.advance();
            return Ok(Condition::Not(Box::new(self.negation()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Parse<Condition> {
        if self.peek_kind() == TokenKind::OpenParen {
            let open = self.position;
            self.advance();
            let inner = self.condition()?;
            self.expect(TokenKind::CloseParen)?;
            let close = self.position - 1;
            if self.last_parenthesized == Some((open + 1, close - 1)) {
                self.defer(ValidationError::new("The expression has redundant parentheses;"));
            }
            self.last_parenthesized = Some((open, close));
            return Ok(inner);
        }
        if self.at_function() {
            let name = self.token_text(self.peek());
            if name != "size" {
                self.advance();
                return self.function_condition(name);
            }
        }
        let operand = self.operand()?;
        self.comparison(operand)
    }

    fn function_condition(&mut self, name: &str) -> Parse<Condition> {
        let arguments = self.arguments()?;
        let expected = match name {
            "attribute_exists" | "attribute_not_exists" => 1,
            "attribute_type" | "begins_with" | "contains" => 2,
            "if_not_exists" | "list_append" | "size" => {
                self.defer(function_misuse(name));
                return Ok(Condition::AttributeExists(Path::attribute(name)));
            }
            _ => {
                self.defer(ValidationError::new(format!("Invalid function name; function: {name}")));
                return Ok(Condition::AttributeExists(Path::attribute(name)));
            }
        };
        if arguments.len() != expected {
            self.defer(operand_count_error(name, arguments.len()));
            return Ok(Condition::AttributeExists(Path::attribute(name)));
        }
        Ok(match name {
            "attribute_exists" => Condition::AttributeExists(self.path_argument(name, arguments, 1)?.remove(0)),
            "attribute_not_exists" => Condition::AttributeNotExists(self.path_argument(name, arguments, 1)?.remove(0)),
            "attribute_type" => {
                let type_operand = arguments[1].clone();
                let path = self.path_argument(name, arguments, 1)?.remove(0);
                match &type_operand {
                    Operand::Value(Literal {
                        value: AttributeValue::S(type_name),
                        ..
                    }) => {
                        if AttributeType::from_name(type_name).is_none() {
                            self.defer(ValidationError::new(format!(
                                "Invalid attribute type name found; type: {type_name}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
                            )));
                        }
                    }
                    other => {
                        let operand_type = static_type(other).map_or("", AttributeType::name);
                        if !operand_type.is_empty() {
                            self.defer(operand_type_error(name, operand_type));
                        }
                    }
                }
                Condition::AttributeType(path, type_operand)
            }
            "begins_with" => {
                let mut arguments = arguments.into_iter();
                let (subject, prefix) = (arguments.next().unwrap(), arguments.next().unwrap());
                for operand in [&subject, &prefix] {
                    if let Some(t) = static_type(operand).filter(|t| !matches!(t, AttributeType::S | AttributeType::B)) {
                        self.defer(operand_type_error(name, t.name()));
                    }
                }
                if let Some(path) = same_path(&subject, &prefix) {
                    self.defer(distinct_operands_error(name, &path));
                }
                Condition::BeginsWith(subject, prefix)
            }
            _ => {
                let mut arguments = arguments.into_iter();
                let (container, element) = (arguments.next().unwrap(), arguments.next().unwrap());
                if let Some(path) = same_path(&container, &element) {
                    self.defer(distinct_operands_error(name, &path));
                }
                Condition::Contains(container, element)
            }
        })
    }

    fn comparison(&mut self, left: Operand) -> Parse<Condition> {
        let comparator = match self.peek_kind() {
            TokenKind::Equal => Comparator::Equal,
            TokenKind::NotEqual => Comparator::NotEqual,
            TokenKind::Less => Comparator::Less,
            TokenKind::LessOrEqual => Comparator::LessOrEqual,
            TokenKind::Greater => Comparator::Greater,
            TokenKind::GreaterOrEqual => Comparator::GreaterOrEqual,
            TokenKind::Name if self.at_keyword("BETWEEN") => {
                self.advance();
                let low = self.operand()?;
                if !self.at_keyword("AND") {
                    return Err(self.syntax_error());
                }
                self.advance();
                let high = self.operand()?;
                self.check_between_bounds(&low, &high);
                if let Some(path) = same_path(&left, &low).or_else(|| same_path(&left, &high)) {
                    self.defer(distinct_operands_error("BETWEEN", &path));
                }
                return Ok(Condition::Between {
                    operand: left,
                    low,
                    high,
                });
            }
            TokenKind::Name if self.at_keyword("IN") => {
                self.advance();
                self.expect(TokenKind::OpenParen)?;
                let mut candidates = vec![self.operand()?];
                while self.peek_kind() == TokenKind::Comma {
                    self.advance();
                    candidates.push(self.operand()?);
                }
                self.expect(TokenKind::CloseParen)?;
                if candidates.len() > MAX_IN_OPERANDS {
                    self.defer(ValidationError::new(format!(
                        "The IN operator is provided with too many operands; number of operands: {}",
                        candidates.len()
                    )));
                }
                return Ok(Condition::In {
                    operand: left,
                    candidates,
                });
            }
            _ => return Err(self.syntax_error()),
        };
        self.advance();
        let right = self.operand()?;
        if let Some(path) = same_path(&left, &right) {
            self.defer(distinct_operands_error(comparator.symbol(), &path));
        }
        Ok(Condition::Compare { comparator, left, right })
    }

    fn check_between_bounds(&mut self, low: &Operand, high: &Operand) {
        if let (Operand::Value(low), Operand::Value(high)) = (low, high)
            && crate::expr::eval::compare_values(&low.value, &high.value) == Some(std::cmp::Ordering::Greater)
        {
            self.defer(ValidationError::new(format!(
                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                describe_value(&low.value),
                describe_value(&high.value)
            )));
        }
    }

    // ---- updates ----------------------------------------------------------------------

    fn set_operand(&mut self) -> Parse<SetOperand> {
        match self.peek_kind() {
            TokenKind::ValuePlaceholder => Ok(SetOperand::Value(self.literal()?)),
            TokenKind::Name if self.at_function() => {
                let token = self.advance();
                let name = self.token_text(token);
                self.expect(TokenKind::OpenParen)?;
                let mut arguments = vec![self.set_operand()?];
                while self.peek_kind() == TokenKind::Comma {
                    self.advance();
                    arguments.push(self.set_operand()?);
                }
                self.expect(TokenKind::CloseParen)?;
                match name {
                    "if_not_exists" | "list_append" if arguments.len() != 2 => {
                        self.defer(operand_count_error(name, arguments.len()));
                        Ok(SetOperand::Path(Path::attribute(name)))
                    }
                    "if_not_exists" => {
                        let default = arguments.pop().unwrap();
                        match arguments.pop().unwrap() {
                            SetOperand::Path(path) => Ok(SetOperand::IfNotExists(path, Box::new(default))),
                            other => {
                                self.defer(operand_type_error(name, set_operand_type(&other)));
                                Ok(SetOperand::Path(Path::attribute(name)))
                            }
                        }
                    }
                    "list_append" => {
                        let second = arguments.pop().unwrap();
                        let first = arguments.pop().unwrap();
                        for operand in [&first, &second] {
                            if let SetOperand::Value(literal) = operand
                                && !matches!(literal.value, AttributeValue::L(_))
                            {
                                self.defer(operand_type_error(name, literal.value.attribute_type().name()));
                            }
                        }
                        Ok(SetOperand::ListAppend(Box::new(first), Box::new(second)))
                    }
                    "attribute_exists" | "attribute_not_exists" | "attribute_type" | "begins_with" | "contains" | "size" => {
                        self.defer(function_misuse(name));
                        Ok(SetOperand::Path(Path::attribute(name)))
                    }
                    _ => {
                        self.defer(ValidationError::new(format!("Invalid function name; function: {name}")));
                        Ok(SetOperand::Path(Path::attribute(name)))
                    }
                }
            }
            TokenKind::Name | TokenKind::NamePlaceholder => Ok(SetOperand::Path(self.path()?)),
            _ => Err(self.syntax_error()),
        }
    }

    fn set_value(&mut self) -> Parse<SetValue> {
        let first = self.set_operand()?;
        let arithmetic = match self.peek_kind() {
            TokenKind::Plus => "+",
            TokenKind::Minus => "-",
            _ => return Ok(SetValue::Operand(first)),
        };
        self.advance();
        let second = self.set_operand()?;
        for operand in [&first, &second] {
            if let SetOperand::Value(literal) = operand
                && !matches!(literal.value, AttributeValue::N(_))
            {
                self.defer(operand_type_error(arithmetic, literal.value.attribute_type().name()));
            }
        }
        Ok(if arithmetic == "+" {
            SetValue::Plus(first, second)
        } else {
            SetValue::Minus(first, second)
        })
    }

    fn update_clauses(&mut self) -> Parse<Vec<UpdateAction>> {
        let mut actions = Vec::new();
        let mut seen: Vec<&'static str> = Vec::new();
        loop {
            let keyword = ["SET", "REMOVE", "ADD", "DELETE"].into_iter().find(|k| self.at_keyword(k));
            let Some(keyword) = keyword else {
                if actions.is_empty() || self.peek_kind() != TokenKind::End {
                    return Err(self.syntax_error());
                }
                return Ok(actions);
            };
            self.advance();
            if seen.contains(&keyword) {
                self.defer(ValidationError::new(format!(
                    "The \"{keyword}\" section can only be used once in an update expression;"
                )));
            }
            seen.push(keyword);
            loop {
                let path = self.path()?;
                let action = match keyword {
                    "SET" => {
                        self.expect(TokenKind::Equal)?;
                        UpdateAction::Set {
                            path,
                            value: self.set_value()?,
                        }
                    }
                    "REMOVE" => UpdateAction::Remove { path },
                    "ADD" => {
                        let value = self.literal()?;
                        if !matches!(
                            value.value,
                            AttributeValue::N(_) | AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_)
                        ) {
                            self.defer(update_operand_type_error("ADD", &value.value));
                        }
                        UpdateAction::Add { path, value }
                    }
                    _ => {
                        let value = self.literal()?;
                        if !matches!(
                            value.value,
                            AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_)
                        ) {
                            self.defer(update_operand_type_error("DELETE", &value.value));
                        }
                        UpdateAction::Delete { path, value }
                    }
                };
                actions.push(action);
                if self.peek_kind() != TokenKind::Comma {
                    break;
                }
                self.advance();
            }
        }
    }

    /// Paths written by one expression may not overlap or use one prefix two ways.
    fn check_paths_apart<'x>(&mut self, paths: impl Iterator<Item = &'x Path> + Clone) {
        let paths: Vec<&Path> = paths.collect();
        for (i, one) in paths.iter().enumerate() {
            for two in &paths[i + 1..] {
                if one.overlaps(two) {
                    self.defer(ValidationError::new(format!(
                        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                        one.describe(),
                        two.describe()
                    )));
                } else if one.conflicts(two) {
                    self.defer(ValidationError::new(format!(
                        "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                        one.describe(),
                        two.describe()
                    )));
                }
            }
        }
    }
}

fn function_misuse(name: &str) -> ValidationError {
    ValidationError::new(format!(
        "The function is not allowed to be used this way in an expression; function: {name}"
    ))
}

fn set_operand_type(operand: &SetOperand) -> &'static str {
    match operand {
        SetOperand::Value(literal) => literal.value.attribute_type().name(),
        _ => "",
    }
}

/// ADD and DELETE name the refused type the long way (`operator: ADD, operand type: STRING`).
fn update_operand_type_error(operator: &str, value: &AttributeValue) -> ValidationError {
    let type_name = match value.attribute_type() {
        AttributeType::S => "STRING",
        AttributeType::N => "NUMBER",
        AttributeType::B => "BINARY",
        AttributeType::SS => "STRING_SET",
        AttributeType::NS => "NUMBER_SET",
        AttributeType::BS => "BINARY_SET",
        AttributeType::M => "MAP",
        AttributeType::L => "LIST",
        AttributeType::Null => "NULL",
        AttributeType::Bool => "BOOLEAN",
    };
    ValidationError::new(format!(
        "Incorrect operand type for operator or function; operator: {operator}, operand type: {type_name}"
    ))
}

/// `{N:10}`: how AWS prints a value inside messages.
pub(crate) fn describe_value(value: &AttributeValue) -> String {
    let body = match value {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        other => other
            .to_json()
            .as_object()
            .and_then(|o| o.values().next())
            .map(|v| v.to_string())
            .unwrap_or_default(),
    };
    format!("{{{}:{}}}", value.attribute_type().name(), body)
}

pub(crate) fn parse_condition(text: &str, placeholders: &mut Placeholders<'_>) -> Parse<Condition> {
    let mut parser = Parser::new(text, placeholders)?;
    let condition = parser.condition()?;
    parser.finish(condition)
}

pub(crate) fn parse_projection(text: &str, placeholders: &mut Placeholders<'_>) -> Parse<Projection> {
    let mut parser = Parser::new(text, placeholders)?;
    let mut paths = vec![parser.path()?];
    while parser.peek_kind() == TokenKind::Comma {
        parser.advance();
        paths.push(parser.path()?);
    }
    if parser.peek_kind() != TokenKind::End {
        return Err(parser.syntax_error());
    }
    parser.check_paths_apart(paths.iter());
    parser.finish(Projection { paths })
}

pub(crate) fn parse_update(text: &str, placeholders: &mut Placeholders<'_>) -> Parse<UpdateExpression> {
    let mut parser = Parser::new(text, placeholders)?;
    let actions = parser.update_clauses()?;
    parser.check_paths_apart(actions.iter().map(UpdateAction::path));
    parser.finish(UpdateExpression { actions })
}
