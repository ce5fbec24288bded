//! A whole GetMetricData request (or an alarm's `Metrics` array) as metric math sees it: ids
//! checked, expressions parsed, references resolved without cycles, then everything evaluated
//! in dependency order.

use super::eval::{Evaluator, MathContext};
use super::parser::Expr;
use super::value::{Series, Value};
use crate::error::{Error, Result};
use std::collections::HashMap;

/// The message GetMetricData attaches to a result when points were dropped for not being
/// finite numbers (`MessageData` with this code and value).
pub const ARITHMETIC_ERROR_CODE: &str = "ArithmeticError";
pub const ARITHMETIC_ERROR_MESSAGE: &str =
    "One or more data-points have been dropped due to non-numeric values (NaN, -Infinite, +Infinite)";

/// One MetricDataQuery.
#[derive(Debug, Clone, PartialEq)]
pub struct MathQuery {
    pub id: String,
    pub label: Option<String>,
    pub source: QuerySource,
    /// `ReturnData` (default true in GetMetricData).
    pub return_data: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QuerySource {
    /// A MetricStat: the statistic's value per period, already aggregated by the caller.
    Metric { points: Vec<(i64, f64)>, period: i64 },
    /// A math expression over other queries' ids.
    Expression(String),
}

impl MathQuery {
    pub fn metric(id: &str, points: Vec<(i64, f64)>, period: i64) -> MathQuery {
        MathQuery { id: id.into(), label: None, source: QuerySource::Metric { points, period }, return_data: true }
    }

    pub fn expression(id: &str, expression: &str) -> MathQuery {
        MathQuery { id: id.into(), label: None, source: QuerySource::Expression(expression.into()), return_data: true }
    }

    pub fn with_label(mut self, label: &str) -> MathQuery {
        self.label = Some(label.into());
        self
    }

    pub fn hidden(mut self) -> MathQuery {
        self.return_data = false;
        self
    }

    /// The label results carry: the query's Label, else its id.
    fn display_label(&self) -> String {
        self.label.clone().unwrap_or_else(|| self.id.clone())
    }
}

/// A message of GetMetricData's `MetricDataResult.Messages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultMessage {
    pub code: String,
    pub value: String,
}

/// One query's result: one series, or several for an expression giving an array (each then
/// labelled "Expression-Label Metric-Label", or just the metric's label when the expression's
/// Label is empty or absent).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub id: String,
    pub return_data: bool,
    /// Whether an expression gave an array of time series (even of one), which alarms refuse.
    pub array: bool,
    pub series: Vec<Series>,
    pub messages: Vec<ResultMessage>,
}

/// Whether `id` is a valid query id: a lowercase letter, then letters, digits, underscores.
pub fn is_valid_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A validated request: parsed expressions and an evaluation order.
struct Plan {
    expressions: HashMap<usize, Expr>,
    order: Vec<usize>,
}

/// Checks a request without evaluating it: ids are well formed and unique, expressions parse,
/// references name existing ids, and no expression depends on itself. `parameter` names the
/// list in messages: `MetricDataQueries` (GetMetricData) or `Metrics` (PutMetricAlarm).
pub fn validate_queries(queries: &[MathQuery], parameter: &str) -> Result<()> {
    plan(queries, parameter).map(|_| ())
}

fn plan(queries: &[MathQuery], parameter: &str) -> Result<Plan> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, query) in queries.iter().enumerate() {
        let member = format!("{parameter}.member.{}.Id", i + 1);
        if !is_valid_id(&query.id) {
            return Err(Error::validation(format!(
                "The value {} for parameter {member} is not valid. Ids must start with a lowercase letter and contain only \
                 letters, numbers and underscores.",
                query.id
            )));
        }
        if index.insert(&query.id, i).is_some() {
            return Err(Error::validation(format!("The value {} for parameter {member} is not unique.", query.id)));
        }
    }
    let mut expressions = HashMap::new();
    let mut dependencies: Vec<Vec<usize>> = vec![Vec::new(); queries.len()];
    for (i, query) in queries.iter().enumerate() {
        let QuerySource::Expression(text) = &query.source else { continue };
        let in_expression = |message: &str| Error::validation(format!("Error in expression {}: {message}", query.id));
        let expr = Expr::parse(text).map_err(|e| in_expression(&e.message))?;
        for reference in expr.references() {
            let Some(&target) = index.get(reference.as_str()) else {
                return Err(in_expression(&format!("Unknown metric or expression id {reference}.")));
            };
            dependencies[i].push(target);
        }
        if expr.uses_metrics_function() {
            dependencies[i].extend(
                queries
                    .iter()
                    .enumerate()
                    .filter(|(_, q)| matches!(q.source, QuerySource::Metric { .. }))
                    .map(|(j, _)| j),
            );
        }
        expressions.insert(i, expr);
    }
    let order = topological_order(queries, &dependencies)?;
    Ok(Plan { expressions, order })
}

/// Dependencies first; a cycle is refused naming the path around it.
fn topological_order(queries: &[MathQuery], dependencies: &[Vec<usize>]) -> Result<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done,
    }
    fn visit(
        node: usize,
        queries: &[MathQuery],
        dependencies: &[Vec<usize>],
        marks: &mut [Mark],
        path: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<()> {
        match marks[node] {
            Mark::Done => return Ok(()),
            Mark::Visiting => {
                let from = path.iter().position(|&n| n == node).unwrap_or(0);
                let cycle: Vec<&str> =
                    path[from..].iter().chain(std::iter::once(&node)).map(|&n| queries[n].id.as_str()).collect();
                return Err(Error::validation(format!(
                    "Error in expression {}: Circular dependency between expressions: {}.",
                    queries[node].id,
                    cycle.join(" -> ")
                )));
            }
            Mark::New => {}
        }
        marks[node] = Mark::Visiting;
        path.push(node);
        for &dependency in &dependencies[node] {
            visit(dependency, queries, dependencies, marks, path, order)?;
        }
        path.pop();
        marks[node] = Mark::Done;
        order.push(node);
        Ok(())
    }
    let mut marks = vec![Mark::New; queries.len()];
    let mut order = Vec::with_capacity(queries.len());
    for node in 0..queries.len() {
        visit(node, queries, dependencies, &mut marks, &mut Vec::new(), &mut order)?;
    }
    Ok(order)
}

/// Evaluates every query of a GetMetricData request. Problems with the request itself (ids,
/// syntax, references, cycles, an expression giving a scalar or using a value wrongly) are a
/// `ValidationError` for the whole request; dropped non-finite points are reported per result
/// with [`ARITHMETIC_ERROR_MESSAGE`]. Results come back in request order.
pub fn evaluate_queries(queries: &[MathQuery], context: &MathContext) -> Result<Vec<QueryResult>> {
    let plan = plan(queries, "MetricDataQueries")?;
    let metrics: Vec<(String, Series)> = queries
        .iter()
        .filter_map(|q| match &q.source {
            QuerySource::Metric { points, period } => {
                Some((q.id.clone(), Series::new(q.display_label(), points.clone(), Some(*period))))
            }
            QuerySource::Expression(_) => None,
        })
        .collect();
    let mut values: HashMap<String, Value> = HashMap::new();
    let mut results: Vec<Option<QueryResult>> = vec![None; queries.len()];
    for &i in &plan.order {
        let query = &queries[i];
        let (value, dropped) = match &query.source {
            QuerySource::Metric { .. } => {
                let series = metrics.iter().find(|(id, _)| *id == query.id).map(|(_, s)| s.clone());
                (Value::Series(series.unwrap_or_else(|| Series::computed(Vec::new()))), false)
            }
            QuerySource::Expression(_) => {
                let lookup = |id: &str| values.get(id).cloned();
                let mut evaluator = Evaluator { context: *context, lookup: &lookup, metrics: &metrics, dropped: false };
                let value = evaluator
                    .eval(&plan.expressions[&i])
                    .map_err(|m| Error::validation(format!("Error in expression {}: {m}", query.id)))?;
                if let Value::Scalar(_) = value {
                    return Err(Error::validation(format!(
                        "Error in expression {}: The expression must return a time series or an array of time series, not a \
                         scalar.",
                        query.id
                    )));
                }
                (value, evaluator.dropped)
            }
        };
        let series = match &value {
            Value::Series(s) => vec![Series { label: query.display_label(), ..s.clone() }],
            Value::Array(items) => items
                .iter()
                .map(|s| {
                    let label = match query.label.as_deref() {
                        Some(prefix) if !prefix.is_empty() => format!("{prefix} {}", s.label),
                        _ => s.label.clone(),
                    };
                    Series { label, ..s.clone() }
                })
                .collect(),
            Value::Scalar(_) => unreachable!("scalars are refused above"),
        };
        let messages = if dropped {
            vec![ResultMessage { code: ARITHMETIC_ERROR_CODE.into(), value: ARITHMETIC_ERROR_MESSAGE.into() }]
        } else {
            Vec::new()
        };
        let array = matches!(value, Value::Array(_));
        values.insert(query.id.clone(), value);
        results[i] =
            Some(QueryResult { id: query.id.clone(), return_data: query.return_data, array, series, messages });
    }
    Ok(results.into_iter().flatten().collect())
}

/// The series a metric-math alarm watches: its `Metrics` validated as PutMetricAlarm does
/// (exactly one query returns data, and it gives a single time series), then evaluated.
pub fn evaluate_alarm_metrics(queries: &[MathQuery], context: &MathContext) -> Result<Series> {
    validate_alarm_metrics(queries)?;
    let watched = queries.iter().position(|q| q.return_data).expect("validated: one query returns data");
    let results = evaluate_queries(queries, context).map_err(|e| Error::validation(e.message))?;
    let mut result = results.into_iter().nth(watched).expect("one result per query");
    if result.array || result.series.len() != 1 {
        return Err(Error::validation(format!(
            "Error in expression {}: The expression for an alarm must return a single time series.",
            queries[watched].id
        )));
    }
    Ok(result.series.remove(0))
}

/// PutMetricAlarm's checks of its `Metrics` array that need no data.
pub fn validate_alarm_metrics(queries: &[MathQuery]) -> Result<()> {
    if queries.iter().filter(|q| q.return_data).count() != 1 {
        return Err(Error::validation("Exactly one element of the metrics list should return data."));
    }
    plan(queries, "Metrics").map(|_| ())
}
