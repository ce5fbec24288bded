//! Composite alarm rules: `ALARM("name")`, `OK(name)`, `INSUFFICIENT_DATA(arn)`, `TRUE`,
//! `FALSE`, combined with `AND`, `OR`, `NOT` and parentheses.
//!
//! AWS documents the functions and operators but not their precedence or case; Nimbus binds
//! NOT tighter than AND, and AND tighter than OR, and accepts the words in any case (AWS's own
//! advice to break a cycle writes the rule `false`). A name may be quoted (`\"` escapes a quote
//! inside) or not, an unquoted name running to the closing parenthesis. Limits as documented:
//! 10,240 characters, 100 distinct child alarms, 500 elements (child alarms, TRUE/FALSE and
//! parentheses, a pair of parentheses counting once).

use super::AlarmState;
use crate::error::{Error, Result};
use crate::format::{iso_millis, long_time};
use serde_json::{Value, json};

pub const MAX_RULE_LENGTH: usize = 10_240;
pub const MAX_RULE_CHILDREN: usize = 100;
pub const MAX_RULE_ELEMENTS: usize = 500;

/// Which state a rule function tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFunction {
    Alarm,
    Ok,
    InsufficientData,
}

impl StateFunction {
    fn state(self) -> AlarmState {
        match self {
            StateFunction::Alarm => AlarmState::Alarm,
            StateFunction::Ok => AlarmState::Ok,
            StateFunction::InsufficientData => AlarmState::InsufficientData,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleExpr {
    Constant(bool),
    /// `ALARM(name)`: the child (a name or an alarm ARN, as written) is in that state.
    State(StateFunction, String),
    Not(Box<RuleExpr>),
    And(Box<RuleExpr>, Box<RuleExpr>),
    Or(Box<RuleExpr>, Box<RuleExpr>),
}

/// A child alarm's state and when it entered it (Unix milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildState {
    pub state: AlarmState,
    pub since_millis: i64,
}

/// A parsed AlarmRule.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeRule {
    pub expr: RuleExpr,
    children: Vec<String>,
}

/// A composite alarm's state after evaluating its rule, with the reason CloudWatch records.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeEvaluation {
    pub state: AlarmState,
    /// `arn:...:alarm:child transitioned to ALARM at Friday 04 August, 2023 12:54:46 UTC`.
    pub reason: String,
    /// `{"triggeringAlarms":[{"arn":...,"state":{"value":...,"timestamp":...}}]}`.
    pub reason_data: String,
}

impl CompositeRule {
    /// Parses an AlarmRule with PutCompositeAlarm's checks (ValidationError).
    pub fn parse(text: &str) -> Result<CompositeRule> {
        let length = text.chars().count();
        if length == 0 || length > MAX_RULE_LENGTH {
            return Err(Error::validation(format!(
                "AlarmRule must be between 1 and {MAX_RULE_LENGTH} characters long."
            )));
        }
        let mut parser = RuleParser { chars: text.chars().collect(), at: 0, elements: 0, depth: 0 };
        let expr = parser.or()?;
        parser.skip_space();
        if parser.at < parser.chars.len() {
            return Err(parser.error("unexpected text"));
        }
        if parser.elements > MAX_RULE_ELEMENTS {
            return Err(Error::validation(format!(
                "AlarmRule can contain at most {MAX_RULE_ELEMENTS} elements; this one has {}.",
                parser.elements
            )));
        }
        let mut children = Vec::new();
        collect_children(&expr, &mut children);
        if children.len() > MAX_RULE_CHILDREN {
            return Err(Error::validation(format!(
                "AlarmRule can refer to at most {MAX_RULE_CHILDREN} alarms; this one refers to {}.",
                children.len()
            )));
        }
        Ok(CompositeRule { expr, children })
    }

    /// The alarms the rule refers to, as written (names or ARNs), each once, in order. The
    /// service checks they exist; [`alarm_name_of`] turns an ARN into a name.
    pub fn children(&self) -> &[String] {
        &self.children
    }

    /// Whether the rule holds. A child the lookup does not know is in no state.
    pub fn holds(&self, lookup: &dyn Fn(&str) -> Option<ChildState>) -> bool {
        holds(&self.expr, lookup)
    }

    /// The composite alarm's state (ALARM when the rule holds, OK otherwise) and its reason:
    /// the children whose states decided the outcome (for an OR that holds, those that made it
    /// hold; for an AND that fails, those that made it fail; ...), most recent change first.
    /// `arn_of` gives a child's ARN for the reason (children written as ARNs are kept).
    pub fn evaluate(
        &self,
        lookup: &dyn Fn(&str) -> Option<ChildState>,
        arn_of: &dyn Fn(&str) -> String,
    ) -> CompositeEvaluation {
        let holds = self.holds(lookup);
        let mut deciding = Vec::new();
        deciders(&self.expr, holds, lookup, &mut deciding);
        let mut triggering: Vec<(String, ChildState)> = Vec::new();
        for child in deciding {
            let arn = if child.starts_with("arn:") { child.clone() } else { arn_of(&child) };
            if let Some(state) = lookup(&child)
                && !triggering.iter().any(|(a, _)| *a == arn)
            {
                triggering.push((arn, state));
            }
        }
        triggering.sort_by_key(|(_, s)| std::cmp::Reverse(s.since_millis));
        let state = if holds { AlarmState::Alarm } else { AlarmState::Ok };
        let reason = match triggering.first() {
            Some((arn, child)) => {
                format!("{arn} transitioned to {} at {}", child.state.name(), long_time(child.since_millis))
            }
            None => format!("The alarm rule evaluated to {}.", if holds { "TRUE" } else { "FALSE" }),
        };
        let alarms: Vec<Value> = triggering
            .iter()
            .map(|(arn, s)| json!({ "arn": arn, "state": { "value": s.state.name(), "timestamp": iso_millis(s.since_millis) } }))
            .collect();
        let reason_data = json!({ "triggeringAlarms": alarms }).to_string();
        CompositeEvaluation { state, reason, reason_data }
    }
}

/// The alarm name in an alarm ARN (`arn:aws:cloudwatch:us-east-1:123456789012:alarm:name`), or
/// the text itself when it is not one.
pub fn alarm_name_of(reference: &str) -> &str {
    let mut parts = reference.splitn(7, ':');
    match (parts.next(), parts.nth(4), parts.next()) {
        (Some("arn"), Some("alarm"), Some(name)) => name,
        _ => reference,
    }
}

fn collect_children(expr: &RuleExpr, out: &mut Vec<String>) {
    match expr {
        RuleExpr::State(_, name) if !out.contains(name) => out.push(name.clone()),
        RuleExpr::Not(e) => collect_children(e, out),
        RuleExpr::And(a, b) | RuleExpr::Or(a, b) => {
            collect_children(a, out);
            collect_children(b, out);
        }
        _ => {}
    }
}

fn holds(expr: &RuleExpr, lookup: &dyn Fn(&str) -> Option<ChildState>) -> bool {
    match expr {
        RuleExpr::Constant(value) => *value,
        RuleExpr::State(function, name) => lookup(name).is_some_and(|s| s.state == function.state()),
        RuleExpr::Not(e) => !holds(e, lookup),
        RuleExpr::And(a, b) => holds(a, lookup) && holds(b, lookup),
        RuleExpr::Or(a, b) => holds(a, lookup) || holds(b, lookup),
    }
}

/// The children responsible for `expr` evaluating to `value`.
fn deciders(expr: &RuleExpr, value: bool, lookup: &dyn Fn(&str) -> Option<ChildState>, out: &mut Vec<String>) {
    match expr {
        RuleExpr::Constant(_) => {}
        RuleExpr::State(_, name) => out.push(name.clone()),
        RuleExpr::Not(e) => deciders(e, !value, lookup, out),
        RuleExpr::And(a, b) | RuleExpr::Or(a, b) => {
            let decisive = matches!(expr, RuleExpr::And(..)) != value;
            // AND that fails / OR that holds: the operands with that value decided; otherwise all did.
            for side in [a, b] {
                if !decisive || holds(side, lookup) == value {
                    deciders(side, value, lookup, out);
                }
            }
        }
    }
}

struct RuleParser {
    chars: Vec<char>,
    at: usize,
    elements: usize,
    depth: usize,
}

impl RuleParser {
    fn error(&self, what: &str) -> Error {
        Error::validation(format!("AlarmRule is not valid: {what} at position {}.", self.at + 1))
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    /// The next word (letters and underscores), without consuming it.
    fn peek_word(&mut self) -> String {
        self.skip_space();
        self.chars[self.at..].iter().take_while(|c| c.is_ascii_alphabetic() || **c == '_').collect()
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let next = self.peek_word();
        let boundary = self.chars.get(self.at + next.len()).is_none_or(|c| !c.is_ascii_alphanumeric());
        if next.eq_ignore_ascii_case(word) && boundary {
            self.at += next.len();
            true
        } else {
            false
        }
    }

    fn eat_char(&mut self, c: char) -> bool {
        self.skip_space();
        if self.chars.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<RuleExpr> {
        let mut left = self.and()?;
        while self.eat_word("OR") {
            left = RuleExpr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<RuleExpr> {
        let mut left = self.not()?;
        while self.eat_word("AND") {
            left = RuleExpr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<RuleExpr> {
        if self.eat_word("NOT") {
            return self.nested(|p| Ok(RuleExpr::Not(Box::new(p.not()?))));
        }
        self.primary()
    }

    fn nested(&mut self, parse: impl FnOnce(&mut RuleParser) -> Result<RuleExpr>) -> Result<RuleExpr> {
        self.depth += 1;
        if self.depth > MAX_RULE_ELEMENTS {
            return Err(self.error("nesting too deep"));
        }
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn primary(&mut self) -> Result<RuleExpr> {
        if self.eat_char('(') {
            self.elements += 1;
            return self.nested(|p| {
                let inner = p.or()?;
                if p.eat_char(')') { Ok(inner) } else { Err(p.error("expected ')'")) }
            });
        }
        let word = self.peek_word();
        let function = match word.to_ascii_uppercase().as_str() {
            "TRUE" | "FALSE" => {
                self.at += word.len();
                self.elements += 1;
                return Ok(RuleExpr::Constant(word.eq_ignore_ascii_case("TRUE")));
            }
            "ALARM" => StateFunction::Alarm,
            "OK" => StateFunction::Ok,
            "INSUFFICIENT_DATA" => StateFunction::InsufficientData,
            "" if self.at >= self.chars.len() => return Err(self.error("the rule ended where a function was expected")),
            _ => return Err(self.error("expected ALARM, OK, INSUFFICIENT_DATA, TRUE, FALSE, NOT or '('")),
        };
        self.at += word.len();
        if !self.eat_char('(') {
            return Err(self.error(&format!("expected '(' after {}", word.to_ascii_uppercase())));
        }
        let name = self.alarm_name()?;
        if !self.eat_char(')') {
            return Err(self.error("expected ')' after the alarm name"));
        }
        if name.is_empty() {
            return Err(self.error("empty alarm name"));
        }
        self.elements += 1;
        Ok(RuleExpr::State(function, name))
    }

    fn alarm_name(&mut self) -> Result<String> {
        self.skip_space();
        if self.chars.get(self.at) == Some(&'"') {
            self.at += 1;
            let mut name = String::new();
            loop {
                match self.chars.get(self.at) {
                    None => return Err(self.error("unterminated quoted alarm name")),
                    Some('"') => {
                        self.at += 1;
                        return Ok(name);
                    }
                    Some('\\') if matches!(self.chars.get(self.at + 1), Some('"' | '\\')) => {
                        name.push(self.chars[self.at + 1]);
                        self.at += 2;
                    }
                    Some(&c) => {
                        name.push(c);
                        self.at += 1;
                    }
                }
            }
        }
        let start = self.at;
        while self.chars.get(self.at).is_some_and(|c| *c != ')') {
            self.at += 1;
        }
        Ok(self.chars[start..self.at].iter().collect::<String>().trim().to_owned())
    }
}
