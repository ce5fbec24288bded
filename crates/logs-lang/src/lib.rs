//! CloudWatch Logs' two languages, pure (no I/O, no clock, no store): the service crate owns
//! requests, log groups and storage, and calls in to parse once and then match or run.
//!
//! # Filter patterns ([`filter`])
//! FilterLogEvents' `filterPattern`, PutMetricFilter, PutSubscriptionFilter, TestMetricFilter:
//! ```
//! use nimbus_logs_lang::filter::{FilterPattern, PatternUse};
//!
//! let pattern = FilterPattern::parse("[ip, user, username, timestamp, request, status_code = 4*, bytes > 1000]")?;
//! let event = r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;
//! let extracted = pattern.extract(event).expect("matches");
//! assert_eq!(extracted.metric_value("$bytes"), Some(1534.0)); // MetricTransformation.metricValue
//! assert_eq!(extracted.get("$request").unwrap().to_text(), "GET /index.html HTTP/1.0"); // a dimension
//! assert!(!pattern.matches("127.0.0.1 - frank [x] \"GET /\" 200 1534"));
//!
//! let refused = FilterPattern::parse(r#"{ $.latency > fast }"#).unwrap_err();
//! assert_eq!(refused.message(PatternUse::MetricFilter), "Invalid metric filter pattern");
//! # Ok::<(), nimbus_logs_lang::filter::PatternError>(())
//! ```
//! - [`filter::FilterPattern::parse`] → [`filter::FilterPattern::matches`] (the hot path) or
//!   [`filter::FilterPattern::extract`] ([`filter::Extracted`]: `get("$.a.b")`, `get("$name")`,
//!   `get("$3")`, `metric_value(..)`, and `values()` as TestMetricFilter's `extractedValues`).
//! - [`filter::PatternError::message`] is the `InvalidParameterException` text for the operation
//!   ([`filter::PatternUse`]): "Invalid filter pattern", "Invalid metric filter pattern", "Invalid
//!   subscription filter pattern", or "Invalid character(s) in term '…'".
//! - [`filter::FilterPattern::kind`]: metric filters may only publish dimensions for JSON and
//!   space-delimited patterns ("The specified filter pattern does not support dimensions").
//!
//! Supported, as AWS documents them: the empty pattern; terms, quoted phrases (`\"` and `\\`
//! escapes), `?optional` terms (ignored beside other terms), `-excluded` terms; standalone
//! `%regex%` with AWS's restricted syntax (no parentheses, no `!`, no multi-byte characters,
//! ASCII `\d \w \s`); JSON patterns with `=`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`,
//! parentheses, leading/trailing `*` wildcards, `%regex%` values, `IS NULL`, `IS TRUE`,
//! `IS FALSE`, `NOT EXISTS`, array indexes, `.*` / `[*]` wildcards (one per selector, three per
//! pattern), `$.['key.with.dots']`, at most two regexes; space-delimited patterns with quoted and
//! bracketed event fields, `...`, unnamed fields, `&&` / `||` conditions and regex values.
//!
//! Choices where AWS's documentation is silent or inconsistent: without `...`, the last field of
//! a space-delimited pattern takes the rest of the event (the current guide's `[w1=ERROR, w2]`
//! example); a condition on a missing JSON property is false for `=` and `!=` alike; unquoted
//! terms may contain ASCII punctuation (only a `"` or a multi-byte character is refused); a
//! quoted blank term matches everything (the guide's `" "`).
//!
//! Speed: terms are `memchr::memmem` searches compiled once; a JSON pattern first checks that
//! an unescaped event contains the keys and `=` texts it requires, and parses the event (once)
//! only then; `benches/filter_log_events.rs` measures each family over 100,000 events.
//!
//! # Logs Insights ([`insights`])
//! StartQuery / GetQueryResults:
//! ```
//! use nimbus_logs_lang::insights::{ExecuteOptions, LogEvent, Query};
//!
//! let query = Query::parse("filter level = 'ERROR' | stats count(*) as errors by bin(5m)")?;
//! let events = [LogEvent {
//!     timestamp_ms: 1_796_464_800_000,
//!     ingestion_time_ms: 1_796_464_800_100,
//!     message: r#"{"level":"ERROR","latency":450}"#,
//!     log_stream: "web-1",
//!     log_group: "123456789012:/app/web",
//!     ptr: None,
//! }];
//! let output = query.execute(events, &ExecuteOptions::default());
//! assert_eq!(output.rows[0][0].field, "bin(5m)");
//! assert_eq!(output.rows[0][0].value, "2026-12-05 10:00:00.000");
//! assert_eq!((output.rows[0][1].field.as_str(), output.rows[0][1].value.as_str()), ("errors", "1"));
//! assert_eq!(output.statistics.records_scanned, 1);
//! # Ok::<(), nimbus_logs_lang::insights::QueryError>(())
//! ```
//! - [`insights::Query::parse`] fails with [`insights::QueryError`]: the
//!   `MalformedQueryException`'s `queryCompileError` (message, character offsets, line, column);
//!   grammar errors read `unexpected symbol found X at line L and position P`, as AWS words them.
//! - [`insights::Query::execute`] takes the events (in the order the service wants rows when the
//!   query does not sort) and [`insights::ExecuteOptions`] (StartQuery's `limit`, times for
//!   `now()`, `queryStartTime()`), and returns rows of (field, value) text in GetQueryResults'
//!   order, then `@ptr` for event rows, plus `recordsMatched`, `recordsScanned`, `bytesScanned`.
//!
//! Supported: `fields`, `display`, `filter`, `parse` (glob with `as`, regex with named groups),
//! `stats` (`count`, `count_distinct`, `sum`, `avg`, `min`, `max`, `pct`, `stddev`, `earliest`,
//! `latest`, `sortsFirst`, `sortsLast`; `by` fields, `bin()`, aliases, arithmetic over
//! aggregates, two `stats` per query), `sort` (AWS's documented natural order, `asc`/`desc`,
//! several keys), `limit`, `dedup`; `and`/`or`/`not`, comparisons, arithmetic, `like` (text or
//! `/regex/`), `=~`, `in [..]`, `not like`, `not in`; `#` comments; case-insensitive commands;
//! backtick field names; the numeric, string, datetime, IP address and general functions listed in
//! `insights/functions.rs`. JSON events get their fields discovered as AWS names them
//! (`user.id`, `items.0.name`, `@@key` for a key starting with `@`, at most 200 per event), and
//! only the fields a query reads are extracted.
//!
//! Choices where the documentation is silent: with no `fields`, `display` or `stats`, rows show
//! `@timestamp` and `@message` (what the documentation says `filter (duration>2000)` shows); the
//! default row count is 10,000 (the `limit` page), the `limit` command takes up to 100,000, and
//! StartQuery's `limit` also caps a query's own; `sort` is ascending unless `desc`, with missing
//! values last; `stats` groups come in the order of their first row, and a `stats` without `by`
//! over no rows gives one row (`count(*)` = 0); booleans show as `1`/`0` (documented for
//! `ispresent`), JSON booleans as written; `pct` is nearest-rank, `stddev` the sample deviation;
//! comparisons, `like` and `in` on a missing field are false; `earliest(@timestamp)` answers epoch
//! milliseconds (observed on AWS).
//!
//! # Known gaps
//! - Filter patterns: the per-log-group quota of five regex patterns is the service's to count;
//!   AWS's regex evaluation time limit is not modelled.
//! - Insights commands not implemented: `pattern`, `diff`, `anomaly`, `unmask`, `unnest`,
//!   `lookup`, `filterIndex`, `SOURCE`, `limit any`, `parse ... logfmt`, `head`/`tail`.
//! - Insights functions not implemented: `jsonParse` and maps/lists, `split`, `case`,
//!   `parseDate`, `formatDate`, `urlencode`/`base64` and the hash functions, `haversine`, the
//!   time-series aggregates (`rate`, `histogram`, `count_over_time`), `values`.
//! - Discovered fields for Lambda `REPORT` lines (`@duration`, `@requestId`, ...), VPC flow logs
//!   and Route 53 logs are not generated; only JSON events are.
//! - Regular expressions use the `regex` crate (RE2-like, no look-around or backreferences),
//!   where AWS uses Hyperscan.

pub mod filter;
pub mod insights;

/// The service keeps compiled patterns and queries, and may use them from any thread.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<filter::FilterPattern>();
    shareable::<insights::Query>();
};
