//! A recursive-descent parser for DynamoDB's PartiQL statements (developer guide, "PartiQL
//! select/insert/update/delete statements", "functions" and "operators"):
//!
//! ```text
//! SELECT * | path, ... FROM table[."index"] [WHERE condition] [ORDER BY path [ASC|DESC]]
//! INSERT INTO table VALUE {'attr': value, ...}
//! UPDATE table (SET path = data [, ...] | REMOVE path [, ...])... WHERE condition
//!        [RETURNING ALL OLD | MODIFIED OLD | ALL NEW | MODIFIED NEW *]
//! DELETE FROM table WHERE condition [RETURNING ALL OLD *]
//! EXISTS(SELECT ...)                                   (ExecuteTransaction's condition check)
//! ```
//!
//! Conditions: `= <> != < <= > >=`, `BETWEEN .. AND ..`, `IN [..]` / `IN (..)`, `IS [NOT]
//! MISSING`, `IS [NOT] NULL`, `AND`/`OR`/`NOT` and parentheses, `begins_with`, `contains`,
//! `attribute_type`, `size`. SET data: a value, a path, `+`/`-`, `list_append`, `set_add`,
//! `set_delete`. Values: `'strings'`, numbers, `true`/`false`/`null`, `{...}` maps, `[...]`
//! lists, `<<...>>` sets and `?` parameters.

use crate::expr::ast::{Comparator, Condition, Literal, Operand, Path, PathElement, SetOperand, SetValue, UpdateAction, UpdateExpression};
use crate::number::Number;
use crate::value::{AttributeValue, Item};

use super::ast::{Delete, Insert, Returning, Select, Statement, Update};
use super::lexer::Token;
use super::{Result, ValidationError, malformed};

/// Words that cannot be bare names: they would be read as the statement's structure.
const KEYWORDS: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "BETWEEN", "IS", "MISSING", "NULL", "INSERT", "INTO", "VALUE", "VALUES",
    "UPDATE", "SET", "REMOVE", "DELETE", "RETURNING", "ORDER", "BY", "ASC", "DESC", "EXISTS", "TRUE", "FALSE",
];

pub(crate) struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    parameters: &'a [AttributeValue],
    used_parameters: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(tokens: Vec<Token>, parameters: &'a [AttributeValue]) -> Parser<'a> {
        Parser { tokens, at: 0, parameters, used_parameters: 0 }
    }

    pub(crate) fn statement(mut self) -> Result<Statement> {
        let statement = match self.peek() {
            Some(t) if t.is_keyword("SELECT") => Statement::Select(self.select()?),
            Some(t) if t.is_keyword("INSERT") => self.insert()?,
            Some(t) if t.is_keyword("UPDATE") => self.update()?,
            Some(t) if t.is_keyword("DELETE") => self.delete()?,
            Some(t) if t.is_keyword("EXISTS") => {
                self.at += 1;
                self.expect_symbol("(")?;
                let select = self.select()?;
                self.expect_symbol(")")?;
                Statement::Exists(select)
            }
            _ => return Err(malformed("Expected data manipulation")),
        };
        if self.peek().is_some() {
            return Err(self.unexpected());
        }
        if self.used_parameters != self.parameters.len() {
            return Err(ValidationError::new("Number of parameters in request and statement don't match."));
        }
        Ok(statement)
    }

    // --- statements ------------------------------------------------------------------------

    fn select(&mut self) -> Result<Select> {
        self.expect_keyword("SELECT")?;
        let projection = if self.eat_symbol("*") {
            None
        } else {
            let mut paths = vec![self.path()?];
            while self.eat_symbol(",") {
                paths.push(self.path()?);
            }
            Some(paths)
        };
        self.expect_keyword("FROM")?;
        let table = self.name()?;
        let index = if self.eat_symbol(".") { Some(self.name()?) } else { None };
        let condition = if self.eat_keyword("WHERE") { Some(self.condition()?) } else { None };
        let order_by = if self.eat_keyword("ORDER") {
            self.expect_keyword("BY")?;
            let path = self.path()?;
            let descending = if self.eat_keyword("DESC") {
                true
            } else {
                self.eat_keyword("ASC");
                false
            };
            Some((path, descending))
        } else {
            None
        };
        Ok(Select { table, index, projection, condition, order_by })
    }

    fn insert(&mut self) -> Result<Statement> {
        self.expect_keyword("INSERT")?;
        self.expect_keyword("INTO")?;
        let table = self.name()?;
        self.expect_keyword("VALUE")?;
        match self.value()? {
            AttributeValue::M(item) => Ok(Statement::Insert(Insert { table, item })),
            _ => Err(ValidationError::new("Unsupported operation: Inserting a value other than a tuple is not supported")),
        }
    }

    fn update(&mut self) -> Result<Statement> {
        self.expect_keyword("UPDATE")?;
        let table = self.name()?;
        let mut actions = Vec::new();
        loop {
            if self.eat_keyword("SET") {
                loop {
                    actions.push(self.set_action()?);
                    if !self.eat_symbol(",") {
                        break;
                    }
                }
            } else if self.eat_keyword("REMOVE") {
                loop {
                    actions.push(UpdateAction::Remove { path: self.path()? });
                    if !self.eat_symbol(",") {
                        break;
                    }
                }
            } else {
                break;
            }
        }
        if actions.is_empty() {
            return Err(self.unexpected());
        }
        self.expect_keyword("WHERE")?;
        let condition = self.condition()?;
        let returning = self.returning(true)?;
        Ok(Statement::Update(Update { table, update: UpdateExpression { actions }, condition, returning }))
    }

    fn delete(&mut self) -> Result<Statement> {
        self.expect_keyword("DELETE")?;
        self.expect_keyword("FROM")?;
        let table = self.name()?;
        self.expect_keyword("WHERE")?;
        let condition = self.condition()?;
        let returning = self.returning(false)?;
        Ok(Statement::Delete(Delete { table, condition, returning }))
    }

    /// `RETURNING ALL OLD *` (DELETE allows only that) or, for UPDATE, the three others too.
    fn returning(&mut self, update: bool) -> Result<Option<Returning>> {
        if !self.eat_keyword("RETURNING") {
            return Ok(None);
        }
        let which = if self.eat_keyword("ALL") {
            Some(true)
        } else if self.eat_keyword("MODIFIED") {
            Some(false)
        } else {
            None
        };
        let returning = match (which, self.eat_keyword("OLD"), update) {
            (Some(true), true, _) => Returning::AllOld,
            (Some(false), true, true) => Returning::ModifiedOld,
            (Some(true), false, true) if self.eat_keyword("NEW") => Returning::AllNew,
            (Some(false), false, true) if self.eat_keyword("NEW") => Returning::ModifiedNew,
            _ => return Err(self.unexpected()),
        };
        self.expect_symbol("*")?;
        Ok(Some(returning))
    }

    /// `path = data`, where `set_add(path, set)` / `set_delete(path, set)` are the ADD and
    /// DELETE actions of an update expression.
    fn set_action(&mut self) -> Result<UpdateAction> {
        let path = self.path()?;
        self.expect_symbol("=")?;
        if let Some(function) = self.function_name(&["SET_ADD", "SET_DELETE"]) {
            self.expect_symbol("(")?;
            let target = self.path()?;
            self.expect_symbol(",")?;
            let value = self.literal()?;
            self.expect_symbol(")")?;
            if target != path {
                return Err(ValidationError::new(format!(
                    "Unsupported operation: {function} must name the attribute it sets; set {path}, named {target}"
                )));
            }
            return Ok(if function == "SET_ADD" { UpdateAction::Add { path, value } } else { UpdateAction::Delete { path, value } });
        }
        let first = self.set_operand()?;
        let value = if self.eat_symbol("+") {
            SetValue::Plus(first, self.set_operand()?)
        } else if self.eat_symbol("-") {
            SetValue::Minus(first, self.set_operand()?)
        } else {
            SetValue::Operand(first)
        };
        Ok(UpdateAction::Set { path, value })
    }

    fn set_operand(&mut self) -> Result<SetOperand> {
        if self.function_name(&["LIST_APPEND"]).is_some() {
            self.expect_symbol("(")?;
            let a = self.set_operand()?;
            self.expect_symbol(",")?;
            let b = self.set_operand()?;
            self.expect_symbol(")")?;
            return Ok(SetOperand::ListAppend(Box::new(a), Box::new(b)));
        }
        if self.function_name(&["IF_NOT_EXISTS"]).is_some() {
            self.expect_symbol("(")?;
            let path = self.path()?;
            self.expect_symbol(",")?;
            let fallback = self.set_operand()?;
            self.expect_symbol(")")?;
            return Ok(SetOperand::IfNotExists(path, Box::new(fallback)));
        }
        if self.starts_value() {
            Ok(SetOperand::Value(self.literal()?))
        } else {
            Ok(SetOperand::Path(self.path()?))
        }
    }

    // --- conditions ------------------------------------------------------------------------

    fn condition(&mut self) -> Result<Condition> {
        let mut left = self.conjunction()?;
        while self.eat_keyword("OR") {
            left = Condition::Or(Box::new(left), Box::new(self.conjunction()?));
        }
        Ok(left)
    }

    fn conjunction(&mut self) -> Result<Condition> {
        let mut left = self.negation()?;
        while self.eat_keyword("AND") {
            left = Condition::And(Box::new(left), Box::new(self.negation()?));
        }
        Ok(left)
    }

    fn negation(&mut self) -> Result<Condition> {
        if self.eat_keyword("NOT") {
            return Ok(Condition::Not(Box::new(self.negation()?)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Condition> {
        if self.eat_symbol("(") {
            let inner = self.condition()?;
            self.expect_symbol(")")?;
            return Ok(inner);
        }
        if let Some(function) = self.function_name(&["BEGINS_WITH", "CONTAINS", "ATTRIBUTE_TYPE", "ATTRIBUTE_EXISTS", "ATTRIBUTE_NOT_EXISTS"]) {
            self.expect_symbol("(")?;
            let condition = match function {
                "ATTRIBUTE_EXISTS" => Condition::AttributeExists(self.path()?),
                "ATTRIBUTE_NOT_EXISTS" => Condition::AttributeNotExists(self.path()?),
                _ => {
                    let first = self.operand()?;
                    self.expect_symbol(",")?;
                    let second = self.operand()?;
                    match function {
                        "BEGINS_WITH" => Condition::BeginsWith(first, second),
                        "CONTAINS" => Condition::Contains(first, second),
                        _ => Condition::AttributeType(path_of(first)?, second),
                    }
                }
            };
            self.expect_symbol(")")?;
            return Ok(condition);
        }
        let operand = self.operand()?;
        if let Some(comparator) = self.comparator() {
            return Ok(Condition::Compare { comparator, left: operand, right: self.operand()? });
        }
        if self.eat_keyword("BETWEEN") {
            let low = self.operand()?;
            self.expect_keyword("AND")?;
            let high = self.operand()?;
            return Ok(Condition::Between { operand, low, high });
        }
        let negated_in = self.peek().is_some_and(|t| t.is_keyword("NOT")) && self.peek_at(1).is_some_and(|t| t.is_keyword("IN"));
        if negated_in {
            self.at += 1;
        }
        if self.eat_keyword("IN") {
            let close = if self.eat_symbol("[") {
                "]"
            } else {
                self.expect_symbol("(")?;
                ")"
            };
            let mut candidates = vec![self.operand()?];
            while self.eat_symbol(",") {
                candidates.push(self.operand()?);
            }
            self.expect_symbol(close)?;
            let condition = Condition::In { operand, candidates };
            return Ok(if negated_in { Condition::Not(Box::new(condition)) } else { condition });
        }
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            let path = path_of(operand)?;
            let condition = if self.eat_keyword("MISSING") {
                Condition::AttributeNotExists(path)
            } else if self.eat_keyword("NULL") {
                // PartiQL: a missing attribute IS NULL too.
                let null_type = Operand::Value(Literal { placeholder: "NULL".into(), value: AttributeValue::s("NULL") });
                Condition::Or(Box::new(Condition::AttributeNotExists(path.clone())), Box::new(Condition::AttributeType(path, null_type)))
            } else {
                return Err(self.unexpected());
            };
            return Ok(if negated { Condition::Not(Box::new(condition)) } else { condition });
        }
        Err(self.unexpected())
    }

    fn comparator(&mut self) -> Option<Comparator> {
        let comparator = match self.peek()? {
            Token::Symbol("=") => Comparator::Equal,
            Token::Symbol("<>" | "!=") => Comparator::NotEqual,
            Token::Symbol("<") => Comparator::Less,
            Token::Symbol("<=") => Comparator::LessOrEqual,
            Token::Symbol(">") => Comparator::Greater,
            Token::Symbol(">=") => Comparator::GreaterOrEqual,
            _ => return None,
        };
        self.at += 1;
        Some(comparator)
    }

    fn operand(&mut self) -> Result<Operand> {
        if self.function_name(&["SIZE"]).is_some() {
            self.expect_symbol("(")?;
            let path = self.path()?;
            self.expect_symbol(")")?;
            return Ok(Operand::Size(path));
        }
        if self.starts_value() {
            return Ok(Operand::Value(self.literal()?));
        }
        Ok(Operand::Path(self.path()?))
    }

    // --- paths and names -------------------------------------------------------------------

    /// A table, index or attribute name: a bare word that is not a keyword, or a quoted name.
    fn name(&mut self) -> Result<String> {
        match self.next() {
            Some(Token::QuotedName(name)) => Ok(name),
            Some(Token::Word(word)) if !is_keyword(&word) => Ok(word),
            Some(Token::Word(_)) => Err(malformed("Unexpected keyword")),
            Some(_) => Err(malformed("Unexpected token")),
            None => Err(malformed("Unexpected end of statement")),
        }
    }

    fn path(&mut self) -> Result<Path> {
        let mut elements = vec![PathElement::Attribute(self.name()?)];
        loop {
            if self.eat_symbol(".") {
                elements.push(PathElement::Attribute(self.name()?));
            } else if self.eat_symbol("[") {
                let index = match self.next() {
                    Some(Token::Number(n)) => n.parse::<usize>().map_err(|_| malformed("Unexpected token"))?,
                    // `a['b']` is a map key written with brackets.
                    Some(Token::Text(key)) => {
                        self.expect_symbol("]")?;
                        elements.push(PathElement::Attribute(key));
                        continue;
                    }
                    _ => return Err(malformed("Unexpected token")),
                };
                self.expect_symbol("]")?;
                elements.push(PathElement::Index(index));
            } else {
                return Ok(Path { elements });
            }
        }
    }

    // --- values ----------------------------------------------------------------------------

    fn starts_value(&self) -> bool {
        match self.peek() {
            Some(Token::Text(_) | Token::Number(_) | Token::Parameter) => true,
            Some(Token::Symbol("{" | "[" | "<<")) => true,
            Some(t) => t.is_keyword("TRUE") || t.is_keyword("FALSE") || t.is_keyword("NULL"),
            None => false,
        }
    }

    fn literal(&mut self) -> Result<Literal> {
        let placeholder = match self.peek() {
            Some(Token::Parameter) => format!("?{}", self.used_parameters + 1),
            Some(Token::Text(text)) => format!("'{text}'"),
            Some(Token::Number(number)) => number.clone(),
            _ => "value".to_owned(),
        };
        Ok(Literal { placeholder, value: self.value()? })
    }

    fn value(&mut self) -> Result<AttributeValue> {
        match self.next() {
            Some(Token::Text(text)) => Ok(AttributeValue::S(text)),
            Some(Token::Number(number)) => Ok(AttributeValue::N(Number::parse(&number)?)),
            Some(Token::Parameter) => {
                let value = self
                    .parameters
                    .get(self.used_parameters)
                    .cloned()
                    .ok_or_else(|| ValidationError::new("Number of parameters in request and statement don't match."))?;
                self.used_parameters += 1;
                Ok(value)
            }
            Some(t) if t.is_keyword("TRUE") => Ok(AttributeValue::Bool(true)),
            Some(t) if t.is_keyword("FALSE") => Ok(AttributeValue::Bool(false)),
            Some(t) if t.is_keyword("NULL") => Ok(AttributeValue::Null),
            Some(Token::Symbol("{")) => {
                let mut item = Item::new();
                if !self.eat_symbol("}") {
                    loop {
                        let key = match self.next() {
                            Some(Token::Text(key) | Token::QuotedName(key)) => key,
                            _ => return Err(malformed("Unexpected token")),
                        };
                        self.expect_symbol(":")?;
                        let value = self.value()?;
                        item.insert(key, value);
                        if self.eat_symbol("}") {
                            break;
                        }
                        self.expect_symbol(",")?;
                    }
                }
                Ok(AttributeValue::M(item))
            }
            Some(Token::Symbol("[")) => Ok(AttributeValue::L(self.value_list("]")?)),
            Some(Token::Symbol("<<")) => set_of(self.value_list(">>")?),
            Some(Token::Word(_)) => Err(malformed("Unexpected keyword")),
            Some(_) => Err(malformed("Unexpected token")),
            None => Err(malformed("Unexpected end of statement")),
        }
    }

    /// Values up to `close` (already past the opening bracket).
    fn value_list(&mut self, close: &'static str) -> Result<Vec<AttributeValue>> {
        let mut values = Vec::new();
        if self.eat_symbol(close) {
            return Ok(values);
        }
        loop {
            values.push(self.value()?);
            if self.eat_symbol(close) {
                return Ok(values);
            }
            self.expect_symbol(",")?;
        }
    }

    // --- token plumbing --------------------------------------------------------------------

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.at + ahead)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_keyword(word)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<()> {
        if self.eat_symbol(symbol) { Ok(()) } else { Err(self.unexpected()) }
    }

    fn expect_keyword(&mut self, word: &str) -> Result<()> {
        if self.eat_keyword(word) { Ok(()) } else { Err(self.unexpected()) }
    }

    /// The function (one of `names`, upper case) whose call starts here, consumed; the `(`
    /// is left for the caller.
    fn function_name(&mut self, names: &[&'static str]) -> Option<&'static str> {
        let Some(Token::Word(word)) = self.peek() else { return None };
        let name = names.iter().find(|n| word.eq_ignore_ascii_case(n))?;
        if !matches!(self.peek_at(1), Some(Token::Symbol("("))) {
            return None;
        }
        self.at += 1;
        Some(name)
    }

    /// The error for the token at the cursor.
    fn unexpected(&self) -> ValidationError {
        match self.peek() {
            None => malformed("Unexpected end of statement"),
            Some(Token::Word(w)) if is_keyword(w) => malformed("Unexpected keyword"),
            Some(_) => malformed("Unexpected token"),
        }
    }
}

fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

fn path_of(operand: Operand) -> Result<Path> {
    match operand {
        Operand::Path(path) => Ok(path),
        _ => Err(malformed("Unexpected token")),
    }
}

/// A `<<...>>` literal: a string, number or binary set (non-empty, one type, no duplicates).
fn set_of(values: Vec<AttributeValue>) -> Result<AttributeValue> {
    let invalid = |detail: &str| ValidationError::new(format!("One or more parameter values were invalid: {detail}"));
    let Some(first) = values.first() else {
        return Err(invalid("An set  may not be empty"));
    };
    let set = match first {
        AttributeValue::S(_) => AttributeValue::SS(
            values.into_iter().map(|v| if let AttributeValue::S(s) = v { Ok(s) } else { Err(invalid("A set's elements must all be of one type")) }).collect::<Result<_>>()?,
        ),
        AttributeValue::N(_) => AttributeValue::NS(
            values.into_iter().map(|v| if let AttributeValue::N(n) = v { Ok(n) } else { Err(invalid("A set's elements must all be of one type")) }).collect::<Result<_>>()?,
        ),
        AttributeValue::B(_) => AttributeValue::BS(
            values.into_iter().map(|v| if let AttributeValue::B(b) = v { Ok(b) } else { Err(invalid("A set's elements must all be of one type")) }).collect::<Result<_>>()?,
        ),
        _ => return Err(invalid("Sets may hold only strings, numbers or binary values")),
    };
    // Round-trip through the wire form: its checks refuse duplicates with AWS's message.
    AttributeValue::from_json(&set.to_json())
}
