//! Space-delimited filter patterns with the events and patterns of AWS's documentation, and the
//! values TestMetricFilter reports for them.

use nimbus_logs_lang::filter::{ExtractedValue, FilterPattern, PatternKind};

const APACHE: [&str; 3] = [
    r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534"#,
    r#"127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324"#,
    r#"127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355"#,
];

const PROD: &str = r#"127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;

const SERVICE: [&str; 4] = [
    "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200",
    "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310",
    "WARNING 09/25/2014 12:00:02 Invalid user request",
    "ERROR 09/25/2014 12:00:02 Failed to process request",
];

fn pattern(text: &str) -> FilterPattern {
    FilterPattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Which of `events` the pattern matches, by index.
fn matching(text: &str, events: &[&str]) -> Vec<usize> {
    let pattern = pattern(text);
    events.iter().enumerate().filter(|(_, e)| pattern.matches(e)).map(|(i, _)| i).collect()
}

#[test]
fn fields_and_ellipses() {
    assert_eq!(
        pattern("[ip, user, username, timestamp, request, status_code, bytes]").kind(),
        PatternKind::SpaceDelimited
    );
    for text in [
        "[ip, user, username, timestamp, request, status_code, bytes]",
        "[..., status_code, bytes]",
        "[ip, user, ..., status_code, bytes]",
        "[ip, user, ...]",
    ] {
        assert_eq!(matching(text, &APACHE), [0, 1, 2], "{text}");
    }
    // An event with fewer fields than the pattern does not match.
    assert_eq!(matching("[a, b, c, d]", &["x y z"]), Vec::<usize>::new());
    assert_eq!(matching("[a, ..., b, c]", &["x y", "x y z", "w x y z"]), [1, 2]);
}

#[test]
fn conditions() {
    assert_eq!(matching("[ip, user, username, timestamp, request, status_code, bytes > 1000]", &APACHE), [0, 1, 2]);
    assert_eq!(matching("[ip, user, username, timestamp, request, status_code, bytes > 5000]", &APACHE), [1]);
    assert_eq!(matching("[ip, user, username, timestamp, request, status_code = 200, bytes]", &APACHE), [0, 2]);
    assert_eq!(matching("[ip, user, username, timestamp, request, status_code = 5*, bytes]", &APACHE), [1]);
    assert_eq!(matching("[ip, user, username, timestamp, request = *gif*, status_code = 2*, bytes]", &APACHE), [0, 2]);
    assert_eq!(
        matching("[ip, user, username, timestamp, request, status_code = 2* && bytes < 2000, bytes]", &APACHE),
        [0]
    );
    assert_eq!(
        matching("[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]", &[PROD]),
        [0]
    );
    assert_eq!(matching(r#"[ip, user = "-", ...]"#, &APACHE), [0, 1, 2]);
}

#[test]
fn documented_prod_examples() {
    let other = r#"10.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;
    let gone = r#"127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 410 1534"#;
    let ok = r#"127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 200 1534"#;
    let events = [PROD, other, gone, ok];
    assert_eq!(
        matching(
            r"[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]",
            &events
        ),
        [0, 2]
    );
    assert_eq!(matching("[..., request =*.html*, status_code = 4*, bytes]", &events), [0, 1, 2]);
    assert_eq!(
        matching(
            "[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]",
            &events
        ),
        [0, 1, 2]
    );
}

#[test]
fn terms_in_order() {
    assert_eq!(matching("[w1=ERROR, w2]", &SERVICE), [3]);
    assert_eq!(matching("[w1=ERROR || w1=WARNING, w2]", &SERVICE), [2, 3]);
    assert_eq!(matching("[w1!=ERROR && w1!=WARNING, w2]", &SERVICE), [0, 1]);
    assert_eq!(matching("[w1=ERROR || w1=%WARN%, w2]", &SERVICE), [2, 3]);
    assert_eq!(
        matching("[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", &SERVICE),
        [0]
    );
    assert_eq!(
        matching(
            "[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]",
            &SERVICE
        ),
        [1]
    );
    // Older guide: with three two- and three-word lines.
    let lines = ["ERROR WARN message", "ERROR message", "WARN message"];
    assert_eq!(matching("[w1=ERROR || w1=WARN, w2]", &lines), [0, 1, 2]);
}

#[test]
fn the_last_field_takes_the_rest_of_the_event() {
    let pattern = pattern("[w1=ERROR, w2]");
    let extracted = pattern.extract(SERVICE[3]).unwrap();
    assert_eq!(extracted.get("$w1"), Some(ExtractedValue::Text("ERROR".into())));
    assert_eq!(extracted.get("$w2").unwrap().to_text(), "09/25/2014 12:00:02 Failed to process request");
    assert_eq!(extracted.get("$3").unwrap().to_text(), "12:00:02");
    assert_eq!(
        extracted.values(),
        [
            ("$w1".to_owned(), "ERROR".to_owned()),
            ("$w2".to_owned(), "09/25/2014 12:00:02 Failed to process request".to_owned())
        ]
    );
}

#[test]
fn extracted_values_as_the_metric_filter_guide_shows() {
    let pattern = pattern("[ip, server, username, timestamp, request, status_code, bytes > 1000]");
    let extracted = pattern.extract(PROD).unwrap();
    let mut values = extracted.values();
    values.sort();
    let expected = [
        ("$bytes", "1534"),
        ("$ip", "127.0.0.1"),
        ("$request", "GET /index.html HTTP/1.0"),
        ("$server", "Prod"),
        ("$status_code", "404"),
        ("$timestamp", "10/Oct/2000:13:25:15 -0700"),
        ("$username", "frank"),
    ];
    assert_eq!(values, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
    assert_eq!(extracted.metric_value("$bytes"), Some(1534.0));
    assert_eq!(extracted.metric_value("$7"), Some(1534.0));
    assert_eq!(extracted.get("$server").unwrap().to_text(), "Prod");
    assert_eq!(extracted.metric_value("$server"), None);
    assert_eq!(extracted.get("$nothing"), None);
    assert_eq!(extracted.get("$8"), None);
}

#[test]
fn extracted_values_name_unnamed_fields_by_position() {
    // The filter pattern guide's example: named fields by name, the others by position.
    let pattern = pattern("[..., request=*.html*, status_code=4*,]");
    let line = r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;
    let mut values = pattern.extract(line).unwrap().values();
    values.sort();
    let expected = [
        ("$1", "127.0.0.1"),
        ("$2", "-"),
        ("$3", "frank"),
        ("$4", "10/Oct/2000:13:25:15 -0700"),
        ("$7", "1534"),
        ("$request", "GET /index.html HTTP/1.0"),
        ("$status_code", "404"),
    ];
    assert_eq!(values, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
}

#[test]
fn refused_patterns() {
    for (text, reason) in [
        ("[a b]", "expected an operator after \"a\""),
        ("[a = 1 b]", "expected , between fields, found \"b\""),
        ("[a = ]", "missing value after the operator"),
        ("[a > many]", "<, <=, > and >= compare with a number"),
        ("[a, b", "a space-delimited pattern is enclosed in [ ]"),
        ("[a = %x%, b = %y%, c = %z%]", "at most two regular expressions in a space-delimited pattern"),
        ("[a ~ 1]", "expected an operator after \"a\""),
    ] {
        assert_eq!(FilterPattern::parse(text).expect_err(text).reason(), reason, "{text}");
    }
}
