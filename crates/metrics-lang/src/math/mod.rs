//! Metric math: the expression language of GetMetricData's `Expression` and of metric-math
//! alarms. [`Expr::parse`] gives the tree; [`evaluate_queries`] evaluates a whole request (ids,
//! references, cycles, METRICS()); [`evaluate_alarm_metrics`] gives the one series an alarm
//! watches.

mod eval;
mod functions;
mod lexer;
mod parser;
mod queries;
mod value;

pub use eval::MathContext;
pub use parser::{BinaryOp, Expr, MAX_EXPRESSION_LENGTH, ParseError};
pub use queries::{
    ARITHMETIC_ERROR_CODE, ARITHMETIC_ERROR_MESSAGE, MathQuery, QueryResult, QuerySource, ResultMessage,
    evaluate_alarm_metrics, evaluate_queries, is_valid_id, validate_alarm_metrics, validate_queries,
};
pub use value::{Series, Value};
