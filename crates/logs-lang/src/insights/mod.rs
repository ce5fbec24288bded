//! The Logs Insights query language (StartQuery's `queryString`): parsed once into a plan, then
//! run over the events of the queried log groups and time range.

mod ast;
mod error;
mod eval;
mod exec;
mod expr_parser;
mod functions;
mod lexer;
mod parser;
mod stats;
mod time;
mod value;

pub use error::QueryError;

use functions::Clock;
use parser::{Parser, Plan};

/// How many rows a query returns when neither the query (`limit`) nor StartQuery's `limit` says.
pub const DEFAULT_LIMIT: usize = 10_000;
/// The most rows the `limit` command may ask for.
pub const MAX_LIMIT: usize = parser::MAX_LIMIT;

/// One log event offered to a query.
#[derive(Debug, Clone, Copy)]
pub struct LogEvent<'a> {
    /// `@timestamp`: the event's time, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// `@ingestionTime`.
    pub ingestion_time_ms: i64,
    /// `@message`.
    pub message: &'a str,
    /// `@logStream`.
    pub log_stream: &'a str,
    /// `@log` as the service shows it (AWS: `account-id:log-group-name`).
    pub log_group: &'a str,
    /// `@ptr`, the token GetLogRecord takes, when the service issues one.
    pub ptr: Option<&'a str>,
}

/// What a run needs besides the events.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecuteOptions {
    /// StartQuery's `limit`: the row count when the query has no `limit` command
    /// ([`DEFAULT_LIMIT`] when `None`).
    pub limit: Option<usize>,
    /// When the query started, milliseconds since the epoch (`now()`).
    pub now_ms: i64,
    /// StartQuery's `startTime` and `endTime`, in milliseconds (`queryStartTime()`,
    /// `queryEndTime()`).
    pub start_time_ms: i64,
    pub end_time_ms: i64,
}

/// One field of a result row, as GetQueryResults lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultField {
    pub field: String,
    pub value: String,
}

/// GetQueryResults' `statistics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryStatistics {
    /// Events that passed the query's filters (before `stats`, `limit` and `dedup`).
    pub records_matched: u64,
    /// Events the query read.
    pub records_scanned: u64,
    /// Bytes of the messages read.
    pub bytes_scanned: u64,
}

/// A finished query: its rows and statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryOutput {
    pub rows: Vec<Vec<ResultField>>,
    pub statistics: QueryStatistics,
}

/// A parsed Logs Insights query.
#[derive(Debug, Clone)]
pub struct Query {
    plan: Plan,
}

impl Query {
    /// Parses a query string, or returns the `MalformedQueryException` AWS would answer.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        Ok(Query { plan: Parser::parse(text)? })
    }

    /// Runs the query over `events`, in the order given (rows keep that order unless the query
    /// sorts them).
    pub fn execute<'a>(&self, events: impl IntoIterator<Item = LogEvent<'a>>, options: &ExecuteOptions) -> QueryOutput {
        let clock = Clock { now_ms: options.now_ms, start_ms: options.start_time_ms, end_ms: options.end_time_ms };
        let limit = options.limit.unwrap_or(DEFAULT_LIMIT);
        let outcome = exec::run(&self.plan, events, &clock, limit);
        QueryOutput { rows: outcome.rows, statistics: outcome.statistics }
    }

    /// The names of the fields result rows show, in order (without `@ptr`).
    pub fn columns(&self) -> Vec<&str> {
        self.plan.columns.iter().map(|slot| self.plan.names[*slot].as_str()).collect()
    }
}
