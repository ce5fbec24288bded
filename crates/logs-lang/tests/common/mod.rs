//! A small fixed set of log events and helpers to run Insights queries over them.

#![allow(dead_code)]

use nimbus_logs_lang::insights::{ExecuteOptions, LogEvent, Query, QueryOutput};

/// 2026-12-05 10:00:00.000 UTC.
pub const T0: i64 = 1_796_464_800_000;
const MINUTE: i64 = 60_000;

pub struct Event {
    pub at: i64,
    pub message: &'static str,
    pub ptr: &'static str,
}

/// Six events of a web service: JSON request logs and plain `key=value` lines.
pub const EVENTS: [Event; 6] = [
    Event { at: T0, message: r#"{"level":"INFO","latency":120,"user":{"id":"u1"},"path":"/a"}"#, ptr: "p1" },
    Event {
        at: T0 + MINUTE / 2,
        message: r#"{"level":"ERROR","latency":450,"user":{"id":"u2"},"path":"/b"}"#,
        ptr: "p2",
    },
    Event {
        at: T0 + 4 * MINUTE,
        message: r#"{"level":"INFO","latency":80,"user":{"id":"u1"},"path":"/a"}"#,
        ptr: "p3",
    },
    Event { at: T0 + 6 * MINUTE, message: "user=alice method=GET latency=216 status=200", ptr: "p4" },
    Event { at: T0 + 7 * MINUTE, message: "user=bob method=POST latency=1250 status=503", ptr: "p5" },
    Event {
        at: T0 + 12 * MINUTE,
        message: r#"{"level":"WARN","latency":300,"user":{"id":"u3"},"path":"/c","tags":["x","y"],"@origin":"edge"}"#,
        ptr: "p6",
    },
];

pub fn events(list: &[Event]) -> impl Iterator<Item = LogEvent<'_>> {
    list.iter().map(|e| LogEvent {
        timestamp_ms: e.at,
        ingestion_time_ms: e.at + 1_500,
        message: e.message,
        log_stream: "web-1",
        log_group: "123456789012:/app/web",
        ptr: Some(e.ptr),
    })
}

pub fn execute(query: &str, list: &[Event], options: &ExecuteOptions) -> QueryOutput {
    let query = Query::parse(query).unwrap_or_else(|e| panic!("{query}: {e:?}"));
    query.execute(events(list), options)
}

/// The result rows as (field, value) pairs, without `@ptr`.
pub fn rows(query: &str) -> Vec<Vec<(String, String)>> {
    rows_over(query, &EVENTS)
}

pub fn rows_over(query: &str, list: &[Event]) -> Vec<Vec<(String, String)>> {
    execute(query, list, &ExecuteOptions::default())
        .rows
        .into_iter()
        .map(|row| row.into_iter().filter(|f| f.field != "@ptr").map(|f| (f.field, f.value)).collect())
        .collect()
}

/// Expected rows written as slices of (field, value).
pub fn expect(rows: &[&[(&str, &str)]]) -> Vec<Vec<(String, String)>> {
    rows.iter().map(|row| row.iter().map(|(f, v)| ((*f).to_owned(), (*v).to_owned())).collect()).collect()
}
