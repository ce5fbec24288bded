//! Logs Insights commands other than `stats`, over the fixed events of `common`, with the exact
//! rows GetQueryResults would list.

mod common;

use common::{EVENTS, Event, T0, execute, expect, rows, rows_over};
use nimbus_logs_lang::insights::{ExecuteOptions, Query, ResultField};

#[test]
fn without_fields_the_results_show_timestamp_and_message() {
    assert_eq!(
        rows(r#"filter level = "ERROR""#),
        expect(&[&[("@timestamp", "2026-12-05 10:00:30.000"), ("@message", EVENTS[1].message)]])
    );
    let output = execute(r#"filter level = "ERROR""#, &EVENTS, &ExecuteOptions::default());
    assert_eq!(output.rows[0].last(), Some(&ResultField { field: "@ptr".into(), value: "p2".into() }));
    assert_eq!(Query::parse("filter level = 'ERROR'").unwrap().columns(), ["@timestamp", "@message"]);
}

#[test]
fn fields_sort_and_limit() {
    assert_eq!(
        rows("fields @timestamp, @message | sort @timestamp desc | limit 2"),
        expect(&[
            &[("@timestamp", "2026-12-05 10:12:00.000"), ("@message", EVENTS[5].message)],
            &[("@timestamp", "2026-12-05 10:07:00.000"), ("@message", EVENTS[4].message)],
        ])
    );
    assert_eq!(
        rows("filter ispresent(latency) | fields latency | sort latency | limit 3"),
        expect(&[&[("latency", "80")], &[("latency", "120")], &[("latency", "300")]])
    );
}

#[test]
fn filter_comparisons_and_booleans() {
    assert_eq!(
        rows(r#"filter level != "INFO" and latency > 200 | fields level, latency"#),
        expect(&[&[("level", "ERROR"), ("latency", "450")], &[("level", "WARN"), ("latency", "300")]])
    );
    assert_eq!(
        rows("filter (latency < 100 or latency >= 450) | fields latency"),
        expect(&[&[("latency", "450")], &[("latency", "80")]])
    );
    assert_eq!(rows("filter not ispresent(level) | fields @logStream").len(), 2);
}

#[test]
fn like_regex_and_in() {
    assert_eq!(
        rows("fields level, user.id as uid | filter @message like /ERROR|WARN/"),
        expect(&[&[("level", "ERROR"), ("uid", "u2")], &[("level", "WARN"), ("uid", "u3")]])
    );
    assert_eq!(
        rows(r#"filter @message like "method=POST" | fields @timestamp"#),
        expect(&[&[("@timestamp", "2026-12-05 10:07:00.000")]])
    );
    assert_eq!(
        rows("filter @message not like /level/ | fields @timestamp"),
        expect(&[&[("@timestamp", "2026-12-05 10:06:00.000")], &[("@timestamp", "2026-12-05 10:07:00.000")]])
    );
    assert_eq!(
        rows(r"filter path =~ /^\/[ab]$/ | fields path"),
        expect(&[&[("path", "/a")], &[("path", "/b")], &[("path", "/a")]])
    );
    assert_eq!(rows("filter level like /(?i)warn/ | fields level"), expect(&[&[("level", "WARN")]]));
    assert_eq!(
        rows("filter latency in [80, 120] | fields path, latency"),
        expect(&[&[("path", "/a"), ("latency", "120")], &[("path", "/a"), ("latency", "80")]])
    );
    assert_eq!(
        rows(r#"filter ispresent(level) and level not in ["INFO", "ERROR"] | fields level"#),
        expect(&[&[("level", "WARN")]])
    );
}

#[test]
fn functions_and_column_names() {
    assert_eq!(
        rows(
            r#"filter ispresent(path) | fields strlen(path) as n, toupper(level) as upper, concat(level, ":", path) as both, substr(user.id, 1) as num | limit 2"#
        ),
        expect(&[
            &[("n", "2"), ("upper", "INFO"), ("both", "INFO:/a"), ("num", "1")],
            &[("n", "2"), ("upper", "ERROR"), ("both", "ERROR:/b"), ("num", "2")],
        ])
    );
    // A column without `as` is named after the expression as written.
    assert_eq!(
        rows("filter ispresent(latency) | fields abs(latency - 200), latency * 2 | limit 1"),
        expect(&[&[("abs(latency - 200)", "80"), ("latency * 2", "240")]])
    );
    // Booleans show as 1 and 0.
    assert_eq!(
        rows("fields ispresent(path) as has_path, isempty(path) as no_path | limit 4"),
        expect(&[
            &[("has_path", "1"), ("no_path", "0")],
            &[("has_path", "1"), ("no_path", "0")],
            &[("has_path", "1"), ("no_path", "0")],
            &[("has_path", "0"), ("no_path", "1")],
        ])
    );
}

#[test]
fn datetime_functions() {
    assert_eq!(
        rows(
            r#"filter @message like "bob" | fields datefloor(@timestamp, 1h) as hour, dateceil(@timestamp, 10m) as next, toMillis(@timestamp) as ms, fromMillis(1796464800000) as t0"#
        ),
        expect(&[&[
            ("hour", "2026-12-05 10:00:00.000"),
            ("next", "2026-12-05 10:10:00.000"),
            ("ms", "1796465220000"),
            ("t0", "2026-12-05 10:00:00.000"),
        ]])
    );
    let options = ExecuteOptions { now_ms: T0 + 123, ..ExecuteOptions::default() };
    let output = execute("fields now() as n | limit 1", &EVENTS, &options);
    assert_eq!(output.rows[0][0], ResultField { field: "n".into(), value: "1796464800".into() });
}

#[test]
fn system_and_discovered_fields() {
    assert_eq!(
        rows(r#"filter @message like "alice" | fields @logStream, @log, @ingestionTime, @timestamp"#),
        expect(&[&[
            ("@logStream", "web-1"),
            ("@log", "123456789012:/app/web"),
            ("@ingestionTime", "2026-12-05 10:06:01.500"),
            ("@timestamp", "2026-12-05 10:06:00.000"),
        ]])
    );
    // Arrays flatten by index; a JSON key starting with @ gets a second @.
    assert_eq!(
        rows("filter ispresent(tags.0) | fields tags.0, tags.1, `@@origin`"),
        expect(&[&[("tags.0", "x"), ("tags.1", "y"), ("@@origin", "edge")]])
    );
}

#[test]
fn parse_with_a_glob() {
    assert_eq!(
        rows(
            r#"parse @message "user=* method=* latency=* status=*" as user, method, latency, status | filter ispresent(method) | fields user, method, latency, status"#
        ),
        expect(&[
            &[("user", "alice"), ("method", "GET"), ("latency", "216"), ("status", "200")],
            &[("user", "bob"), ("method", "POST"), ("latency", "1250"), ("status", "503")],
        ])
    );
}

#[test]
fn parse_with_named_groups() {
    assert_eq!(
        rows(
            r"parse @message /user=(?<name>\w+) method=(?<verb>[A-Z]+)/ | filter ispresent(name) | display name, verb"
        ),
        expect(&[&[("name", "alice"), ("verb", "GET")], &[("name", "bob"), ("verb", "POST")]])
    );
}

const DOC_LINE: Event = Event {
    at: T0,
    message: "25 May 2019 10:24:39,474 [ERROR] {foo=2, bar=data} The error was: DataIntegrityException",
    ptr: "d1",
};

#[test]
fn documented_parse_examples() {
    let expected =
        expect(&[&[("level", "ERROR"), ("config", "{foo=2, bar=data}"), ("exception", "DataIntegrityException")]]);
    assert_eq!(
        rows_over(
            r#"parse @message "[*] * The error was: *" as level, config, exception | display level, config, exception"#,
            &[DOC_LINE]
        ),
        expected
    );
    assert_eq!(
        rows_over(
            r"parse @message /\[(?<level>\S+)\]\s+(?<config>\{.*\})\s+The error was: (?<exception>\S+)/ | display level, config, exception",
            &[DOC_LINE]
        ),
        expected
    );
}

#[test]
fn documented_display_examples() {
    let lines = [
        Event { at: T0, message: "2019-05-25 10:24:39 [ERROR] disk full", ptr: "a" },
        Event { at: T0 + 1, message: "2019-05-25 10:24:40 [INFO] started", ptr: "b" },
        Event { at: T0 + 2, message: "2019-05-25 10:24:41 [DEBUG] noise", ptr: "c" },
    ];
    let query = r#"FIELDS @message
    | PARSE @message "* [*] *" as loggingTime, loggingType, loggingMessage
    | FILTER loggingType IN ["ERROR", "INFO"]
    | DISPLAY loggingMessage, loggingType = "ERROR" as isError"#;
    assert_eq!(
        rows_over(query, &lines),
        expect(&[
            &[("loggingMessage", "disk full"), ("isError", "1")],
            &[("loggingMessage", "started"), ("isError", "0")]
        ])
    );
    let query = r#"fields @message
    | parse @message "[*] *" as loggingType, loggingMessage
    | filter loggingType = "ERROR"
    | display loggingMessage"#;
    assert_eq!(rows_over(query, &lines), expect(&[&[("loggingMessage", "disk full")]]));
}

#[test]
fn dedup_keeps_the_first_row_of_each_value() {
    assert_eq!(
        rows("filter ispresent(level) | fields level, latency | sort latency asc | dedup level"),
        expect(&[
            &[("level", "INFO"), ("latency", "80")],
            &[("level", "WARN"), ("latency", "300")],
            &[("level", "ERROR"), ("latency", "450")],
        ])
    );
    assert_eq!(rows("fields level | sort @timestamp desc | dedup level | limit 2").len(), 2);
    // Rows without the field are never duplicates.
    assert_eq!(rows("fields level, @timestamp | dedup level").len(), 5);
}

#[test]
fn comments_and_case() {
    assert_eq!(
        rows("# errors only\nFILTER level = 'ERROR' # the JSON field\n| FIELDS level"),
        expect(&[&[("level", "ERROR")]])
    );
    assert_eq!(rows("fields level\n    # | filter level = 'INFO'\n    | limit 2").len(), 2);
}

#[test]
fn statistics_and_limits() {
    let output = execute(r#"filter level = "INFO""#, &EVENTS, &ExecuteOptions::default());
    assert_eq!(output.statistics.records_scanned, 6);
    assert_eq!(output.statistics.records_matched, 2);
    assert_eq!(output.statistics.bytes_scanned, EVENTS.iter().map(|e| e.message.len() as u64).sum::<u64>());

    let limited = ExecuteOptions { limit: Some(2), ..ExecuteOptions::default() };
    assert_eq!(execute("fields @message", &EVENTS, &limited).rows.len(), 2);
    assert_eq!(execute("fields @message | limit 4", &EVENTS, &ExecuteOptions::default()).rows.len(), 4);
    let output = execute("fields @message | limit 1", &EVENTS, &ExecuteOptions::default());
    assert_eq!(output.statistics.records_matched, 6, "limit does not change what matched");
}
