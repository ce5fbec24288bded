//! Evaluates an expression against one row. A missing field is `None`; comparisons, `like` and
//! `in` on a missing value are false (so `not` of them is true), arithmetic on it is missing.

use std::cmp::Ordering;

use super::ast::{BinaryOp, Expr, LikePattern};
use super::functions::{Clock, call};
use super::value::{Value, compare, equals};

pub(crate) type Row = Vec<Option<Value>>;

pub(crate) struct Context<'a> {
    pub(crate) clock: &'a Clock,
    /// The finished aggregates, while a stats command computes its outputs.
    pub(crate) aggregates: &'a [Option<Value>],
}

pub(crate) fn evaluate(expr: &Expr, row: &[Option<Value>], context: &Context<'_>) -> Option<Value> {
    match expr {
        Expr::Field(slot) => row.get(*slot).cloned().flatten(),
        Expr::Literal(value) => Some(value.clone()),
        Expr::Aggregate(index) => context.aggregates.get(*index).cloned().flatten(),
        // Lists only appear after `in`, which reads them itself.
        Expr::List(_) => None,
        Expr::Negate(inner) => Some(Value::Num(-evaluate(inner, row, context)?.as_number()?)),
        Expr::Not(inner) => Some(Value::Bool(!truthy(evaluate(inner, row, context).as_ref()))),
        Expr::Binary(op, left, right) => binary(*op, left, right, row, context),
        Expr::Like { target, pattern, negated } => {
            let matched = evaluate(target, row, context).is_some_and(|value| {
                let text = value.text();
                match pattern {
                    LikePattern::Substring(needle) => text.contains(needle.as_str()),
                    LikePattern::Regex(regex) => regex.is_match(&text),
                }
            });
            Some(Value::Bool(matched != *negated))
        }
        Expr::In { target, list, negated } => {
            let found = evaluate(target, row, context).is_some_and(|value| {
                list.iter().any(|item| evaluate(item, row, context).is_some_and(|candidate| equals(&value, &candidate)))
            });
            Some(Value::Bool(found != *negated))
        }
        Expr::Call(function, args) => {
            let values: Vec<Option<Value>> = args.iter().map(|arg| evaluate(arg, row, context)).collect();
            call(function, &values, context.clock)
        }
    }
}

pub(crate) fn truthy(value: Option<&Value>) -> bool {
    value.is_some_and(Value::is_truthy)
}

fn binary(op: BinaryOp, left: &Expr, right: &Expr, row: &[Option<Value>], context: &Context<'_>) -> Option<Value> {
    match op {
        BinaryOp::And => {
            let result =
                truthy(evaluate(left, row, context).as_ref()) && truthy(evaluate(right, row, context).as_ref());
            return Some(Value::Bool(result));
        }
        BinaryOp::Or => {
            let result =
                truthy(evaluate(left, row, context).as_ref()) || truthy(evaluate(right, row, context).as_ref());
            return Some(Value::Bool(result));
        }
        _ => {}
    }
    let left = evaluate(left, row, context);
    let right = evaluate(right, row, context);
    let ordering = |expected: fn(Ordering) -> bool| {
        let holds = match (&left, &right) {
            (Some(a), Some(b)) => compare(a, b).is_some_and(expected),
            _ => false,
        };
        Some(Value::Bool(holds))
    };
    match op {
        BinaryOp::Equal => ordering(|o| o == Ordering::Equal),
        BinaryOp::NotEqual => ordering(|o| o != Ordering::Equal),
        BinaryOp::Less => ordering(|o| o == Ordering::Less),
        BinaryOp::LessOrEqual => ordering(|o| o != Ordering::Greater),
        BinaryOp::Greater => ordering(|o| o == Ordering::Greater),
        BinaryOp::GreaterOrEqual => ordering(|o| o != Ordering::Less),
        _ => {
            let a = left?.as_number()?;
            let b = right?.as_number()?;
            let result = match op {
                BinaryOp::Add => a + b,
                BinaryOp::Subtract => a - b,
                BinaryOp::Multiply => a * b,
                BinaryOp::Divide if b != 0.0 => a / b,
                BinaryOp::Remainder if b != 0.0 => a % b,
                BinaryOp::Power => a.powf(b),
                _ => return None,
            };
            result.is_finite().then_some(Value::Num(result))
        }
    }
}
