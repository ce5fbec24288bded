//! `stats`: aggregation functions, `by` groups and `bin()`, two stats in one query, and sorting
//! the groups, over the fixed events of `common`.

mod common;

use common::{EVENTS, execute, expect, rows};
use nimbus_logs_lang::insights::{ExecuteOptions, Query};

#[test]
fn count_and_avg_by_field() {
    // Groups come in the order their first event came; a group without the field shows none.
    assert_eq!(
        rows("stats count(*) as n, avg(latency) as avg_latency by level"),
        expect(&[
            &[("level", "INFO"), ("n", "2"), ("avg_latency", "100")],
            &[("level", "ERROR"), ("n", "1"), ("avg_latency", "450")],
            &[("n", "2")],
            &[("level", "WARN"), ("n", "1"), ("avg_latency", "300")],
        ])
    );
    assert_eq!(Query::parse("stats count(*) as n by level").unwrap().columns(), ["level", "n"]);
}

#[test]
fn bins() {
    assert_eq!(
        rows("stats count(*) by bin(5m)"),
        expect(&[
            &[("bin(5m)", "2026-12-05 10:00:00.000"), ("count(*)", "3")],
            &[("bin(5m)", "2026-12-05 10:05:00.000"), ("count(*)", "2")],
            &[("bin(5m)", "2026-12-05 10:10:00.000"), ("count(*)", "1")],
        ])
    );
    assert_eq!(
        rows("stats count() as n by bin(1h) as hour"),
        expect(&[&[("hour", "2026-12-05 10:00:00.000"), ("n", "6")]])
    );
    // A later command can name a stats column by its text.
    assert_eq!(
        rows("stats count(*) by bin(5m) | sort count(*) desc | limit 1"),
        expect(&[&[("bin(5m)", "2026-12-05 10:00:00.000"), ("count(*)", "3")]])
    );
}

#[test]
fn aggregation_functions() {
    assert_eq!(
        rows(
            "filter ispresent(level) | stats count_distinct(user.id) as users, sum(latency) as total, min(latency) as fastest, max(latency) as slowest, pct(latency, 50) as median, earliest(path) as first_path, latest(path) as last_path, count(level) as with_level"
        ),
        expect(&[&[
            ("users", "3"),
            ("total", "950"),
            ("fastest", "80"),
            ("slowest", "450"),
            ("median", "120"),
            ("first_path", "/a"),
            ("last_path", "/c"),
            ("with_level", "4"),
        ]])
    );
    assert_eq!(
        rows("filter ispresent(level) | stats stddev(latency) as sd, pct(latency, 99) as p99"),
        expect(&[&[("sd", "170.9532099727876"), ("p99", "450")]])
    );
    // count(field) counts the events that have the field.
    assert_eq!(rows("stats count(*) as all, count(path) as with_path"), expect(&[&[("all", "6"), ("with_path", "4")]]));
}

#[test]
fn aggregates_combine_in_expressions() {
    assert_eq!(
        rows("filter ispresent(latency) | stats sum(latency) / count(*) as mean, max(latency / 10) as tenth"),
        expect(&[&[("mean", "237.5"), ("tenth", "45")]])
    );
}

#[test]
fn parse_then_stats_then_sort() {
    assert_eq!(
        rows(
            r#"parse @message "user=* method=* latency=* status=*" as user, method, latency, status | filter ispresent(method) | stats avg(latency) as avg_l, max(status) as max_status by method | sort avg_l desc"#
        ),
        expect(&[
            &[("method", "POST"), ("avg_l", "1250"), ("max_status", "503")],
            &[("method", "GET"), ("avg_l", "216"), ("max_status", "200")],
        ])
    );
}

#[test]
fn two_stats_commands() {
    assert_eq!(
        rows("filter ispresent(level) | stats count(*) as c by level | stats sum(c) as total, max(c) as most"),
        expect(&[&[("total", "4"), ("most", "2")]])
    );
    // The documented shape: the second aggregates the first's bins.
    assert_eq!(
        rows(
            "FIELDS strlen(@message) AS message_length | STATS sum(message_length) AS bytes BY bin(5m) | STATS max(bytes) AS peak, min(bytes) AS low"
        )
        .len(),
        1
    );
}

#[test]
fn stats_rows_carry_no_ptr_and_count_matched_events() {
    let output = execute("filter ispresent(level) | stats count(*) as n", &EVENTS, &ExecuteOptions::default());
    assert_eq!(output.rows.len(), 1);
    assert!(output.rows[0].iter().all(|f| f.field != "@ptr"));
    assert_eq!(output.statistics.records_matched, 4);
    assert_eq!(output.statistics.records_scanned, 6);
}

#[test]
fn stats_over_nothing() {
    assert_eq!(rows("filter level = 'NONE' | stats count(*) as n"), expect(&[&[("n", "0")]]));
    assert_eq!(rows("filter level = 'NONE' | stats count(*) as n by level"), expect(&[]));
}

#[test]
fn second_stats_over_named_bins() {
    // The stats page's shape: bins named in the first stats, rounded up in the second.
    assert_eq!(
        rows("STATS count(*) AS n BY BIN(5m) AS @t | STATS sum(n) AS total BY dateceil(@t, 10m)"),
        expect(&[
            &[("dateceil(@t, 10m)", "2026-12-05 10:00:00.000"), ("total", "3")],
            &[("dateceil(@t, 10m)", "2026-12-05 10:10:00.000"), ("total", "3")],
        ])
    );
    assert_eq!(
        rows(
            "STATS count_distinct(user.id) AS ids, count(*) AS requests BY path, level | FILTER ids > 0 | STATS count(*) AS paths, sum(requests) / count(*) AS avg_requests BY level"
        ),
        expect(&[
            &[("level", "INFO"), ("paths", "1"), ("avg_requests", "2")],
            &[("level", "ERROR"), ("paths", "1"), ("avg_requests", "1")],
            &[("level", "WARN"), ("paths", "1"), ("avg_requests", "1")],
        ])
    );
}
