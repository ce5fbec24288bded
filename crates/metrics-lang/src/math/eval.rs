//! Evaluating an expression tree: operators, broadcasting, alignment. Functions are in
//! `functions.rs`.
//!
//! As documented: arithmetic and comparisons between two series line up by timestamp and treat
//! a value missing on one side as 0; a series and a scalar combine point by point; an array
//! combines element by element with a scalar or series. A point whose result is not a finite
//! number (division by zero, overflow) is dropped, and the evaluation remembers it so the
//! result can carry AWS's `ArithmeticError` message.

use super::functions;
use super::parser::{BinaryOp, Expr};
use super::value::{Series, Value, union};

/// The time frame an expression is evaluated over: GetMetricData's StartTime/EndTime and the
/// period of its results. Functions that produce non-sparse series (TIME_SERIES, FILL, HOUR, ...)
/// have a point at every period start in `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MathContext {
    pub start: i64,
    pub end: i64,
    pub period: i64,
}

impl MathContext {
    pub fn new(start: i64, end: i64, period: i64) -> MathContext {
        MathContext { start, end, period: period.max(1) }
    }

    /// Every period start in `[start, end)`.
    pub fn timestamps(&self) -> Vec<i64> {
        (0..).map(|i| self.start + i * self.period).take_while(|t| *t < self.end).collect()
    }
}

/// What an expression can see: ids already evaluated, the request's metrics (for METRICS()),
/// and the time frame.
pub(crate) struct Evaluator<'a> {
    pub context: MathContext,
    pub lookup: &'a dyn Fn(&str) -> Option<Value>,
    /// The request's metric queries, in request order, with their ids.
    pub metrics: &'a [(String, Series)],
    /// Set when any point was dropped for not being a finite number.
    pub dropped: bool,
}

impl Evaluator<'_> {
    pub fn eval(&mut self, expr: &Expr) -> Result<Value, String> {
        match expr {
            Expr::Number(n) => Ok(Value::Scalar(*n)),
            Expr::Reference(id) => (self.lookup)(id).ok_or_else(|| format!("Unknown metric or expression id {id}.")),
            Expr::Keyword(word) => Err(format!("{word} is not valid here.")),
            Expr::Text(text) => Err(format!("The string \"{text}\" is not valid here.")),
            Expr::Array(items) => {
                let mut series = Vec::new();
                for item in items {
                    match self.eval(item)? {
                        Value::Series(s) => series.push(s),
                        Value::Array(more) => series.extend(more),
                        Value::Scalar(_) => return Err("An array can only contain time series.".into()),
                    }
                }
                Ok(Value::Array(series))
            }
            Expr::Negate(inner) => {
                let value = self.eval(inner)?;
                Ok(self.map(value, |v| -v))
            }
            Expr::Not(inner) => {
                let value = self.eval(inner)?;
                Ok(self.map(value, |v| truth(v == 0.0)))
            }
            Expr::Binary(op, left, right) => {
                let left = self.eval(left)?;
                let right = self.eval(right)?;
                self.binary(*op, left, right)
            }
            Expr::Call(name, args) => functions::call(self, name, args),
        }
    }

    /// Keeps finite results; remembers that something was dropped otherwise.
    pub fn keep(&mut self, timestamp: i64, value: f64, out: &mut Vec<(i64, f64)>) {
        if value.is_finite() {
            out.push((timestamp, value));
        } else {
            self.dropped = true;
        }
    }

    /// Applies `f` to a scalar, to every point of a series, or of every series of an array.
    pub fn map(&mut self, value: Value, f: impl Fn(f64) -> f64) -> Value {
        match value {
            Value::Scalar(v) => Value::Scalar(f(v)),
            Value::Series(s) => Value::Series(self.map_series(&s, &f)),
            Value::Array(items) => Value::Array(items.iter().map(|s| self.map_series(s, &f)).collect()),
        }
    }

    pub fn map_series(&mut self, series: &Series, f: &impl Fn(f64) -> f64) -> Series {
        let mut points = Vec::with_capacity(series.points.len());
        for &(t, v) in &series.points {
            self.keep(t, f(v), &mut points);
        }
        series.with_points(points)
    }

    fn binary(&mut self, op: BinaryOp, left: Value, right: Value) -> Result<Value, String> {
        let f = move |a: f64, b: f64| apply(op, a, b);
        Ok(match (left, right) {
            (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(f(a, b)),
            (Value::Series(a), Value::Scalar(b)) => Value::Series(self.map_series(&a, &|v| f(v, b))),
            (Value::Scalar(a), Value::Series(b)) => Value::Series(self.map_series(&b, &|v| f(a, v))),
            (Value::Series(a), Value::Series(b)) => Value::Series(self.zip(&a, &b, f, false)),
            (Value::Array(items), Value::Scalar(b)) => {
                Value::Array(items.iter().map(|s| self.map_series(s, &|v| f(v, b))).collect())
            }
            (Value::Scalar(a), Value::Array(items)) => {
                Value::Array(items.iter().map(|s| self.map_series(s, &|v| f(a, v))).collect())
            }
            (Value::Array(items), Value::Series(b)) => {
                Value::Array(items.iter().map(|s| self.zip(s, &b, f, false)).collect())
            }
            (Value::Series(a), Value::Array(items)) => {
                Value::Array(items.iter().map(|s| self.zip(&a, s, f, true)).collect())
            }
            (Value::Array(_), Value::Array(_)) => {
                return Err("Operators cannot combine two arrays of time series.".into());
            }
        })
    }

    /// Two series point by point over the union of their timestamps, a missing side being 0.
    /// The label is the array element's (`element_on_right` says which side that is).
    fn zip(&mut self, a: &Series, b: &Series, f: impl Fn(f64, f64) -> f64, element_on_right: bool) -> Series {
        let mut points = Vec::new();
        for (t, va, vb) in union(&a.points, &b.points) {
            self.keep(t, f(va.unwrap_or(0.0), vb.unwrap_or(0.0)), &mut points);
        }
        let labelled = if element_on_right { b } else { a };
        labelled.with_points(points)
    }
}

pub(crate) fn truth(condition: bool) -> f64 {
    if condition { 1.0 } else { 0.0 }
}

fn apply(op: BinaryOp, a: f64, b: f64) -> f64 {
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Subtract => a - b,
        BinaryOp::Multiply => a * b,
        // x/0 is dropped, including 0/0 and the infinities.
        BinaryOp::Divide => a / b,
        BinaryOp::Power => a.powf(b),
        BinaryOp::Equal => truth(a == b),
        BinaryOp::NotEqual => truth(a != b),
        BinaryOp::Less => truth(a < b),
        BinaryOp::LessOrEqual => truth(a <= b),
        BinaryOp::Greater => truth(a > b),
        BinaryOp::GreaterOrEqual => truth(a >= b),
        BinaryOp::And => truth(a != 0.0 && b != 0.0),
        BinaryOp::Or => truth(a != 0.0 || b != 0.0),
    }
}
