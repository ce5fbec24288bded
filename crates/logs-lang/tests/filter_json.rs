//! JSON filter patterns with the events and patterns of AWS's documentation ("Using filter
//! patterns to match terms in JSON log events", and the metric filter guide).

use nimbus_logs_lang::filter::{ExtractedValue, FilterPattern, PatternKind, PatternUse};

/// The documentation's example event, on one line as AWS asks for testing.
const TRAIL: &str = r#"{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", "arrayKey": ["value", "another value"], "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], "SomeObject": null, "ThisFlag": true, "cluster.name": "c"}"#;

/// The documentation's event for compound expressions.
const USERS: &str = r#"{"user": {"id": 1, "email": "John.Stiles@example.com"}, "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}], "actions": ["GET", "PUT", "DELETE"], "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]}"#;

fn matches(pattern: &str, message: &str) -> bool {
    FilterPattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}")).matches(message)
}

#[test]
fn documented_matches_on_the_trail_event() {
    for pattern in [
        r#"{ $.eventType = "UpdateTrail" }"#,
        "{ $.sourceIPAddress != 123.123.* }",
        r#"{ $.arrayKey[0] = "value" }"#,
        "{ $.objectList[1].id = 2 }",
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
        "{ $.ThisFlag IS TRUE }",
        "{ $.eventType = %Trail% }",
        "{ $.arrayKey[*] = %val.{2}% }",
        r"{ $.* = %111\.111\.111\.1[0-9]{1,2}% }",
        r#"{ $.['cluster.name'] = "c" }"#,
        r#"{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }"#,
        "{ $.eventType = *Trail }",
        "{ $.eventType = Update* }",
    ] {
        assert!(matches(pattern, TRAIL), "{pattern} should match");
    }
}

#[test]
fn the_same_selectors_fail_on_other_values() {
    for pattern in [
        r#"{ $.eventType = "CreateTrail" }"#,
        "{ $.sourceIPAddress != 111.111.* }",
        r#"{ $.arrayKey[1] = "value" }"#,
        "{ $.objectList[1].id = 1 }",
        "{ $.objectList[5].id = 2 }",
        "{ $.eventType IS NULL }",
        "{ $.eventType NOT EXISTS }",
        "{ $.ThisFlag IS FALSE }",
        "{ $.eventType = %^Trail% }",
        r"{ $.* = %^222\.% }",
        "{ $.eventType = Up*ail }",
        // A missing property fails = and != alike.
        "{ $.missing != 1 }",
    ] {
        assert!(!matches(pattern, TRAIL), "{pattern} should not match");
    }
}

#[test]
fn compound_expressions() {
    assert!(matches(r#"{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }"#, USERS));
    assert!(!matches(r#"{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }"#, USERS));
    // && binds tighter than ||.
    assert!(matches(
        r#"{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }"#,
        USERS
    ));
    assert!(!matches(
        r#"{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }"#,
        USERS
    ));
    // The older guide writes the same without quotes.
    assert!(matches(
        r#"{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }"#,
        USERS
    ));
    assert!(matches("{ $.coordinates[2][0] = 7 }", USERS));
}

#[test]
fn or_between_values() {
    let pattern = FilterPattern::parse("{ $.foo = bar || $.foo = baz }").unwrap();
    assert!(pattern.matches(r#"{"foo": "bar"}"#));
    assert!(pattern.matches(r#"{"foo": "baz"}"#));
    assert!(!pattern.matches(r#"{"foo": "qux"}"#));
}

#[test]
fn selectors_on_arrays_or_objects_match_nothing() {
    let event = r#"{"users": [1, 2, 3], "user": {"id": 1}}"#;
    for pattern in ["{ $.users = 1 }", "{ $.users != 1 }", "{ $.user = 1 }", "{ $.user != 1 }"] {
        assert!(!matches(pattern, event), "{pattern}");
    }
}

#[test]
fn numeric_comparisons() {
    let event = r#"{"latency": 1200, "numbers": [5, 0.001], "processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}], "errorCode": 400, "number": [1000]}"#;
    for pattern in [
        "{ $.latency >= 500 }",
        "{ $.numbers[0] < 10e3 }",
        "{ $.numbers[1] < 10e-3 }",
        "{ $.processes[4].averageRuntime <= 55.5 }",
        "{ $.errorCode = 400 }",
        "{ $.errorCode != 500 }",
        "{ $.latency > +1000 }",
        "{ $.number[0] = 1e+3 }",
        "{ $.number[0] != 1e-3 }",
        "{ $.errorCode = 4* }",
    ] {
        assert!(matches(pattern, event), "{pattern} should match");
    }
    for pattern in ["{ $.latency < 500 }", "{ $.numbers[0] > 10e3 }", "{ $.errorCode = 500 }", "{ $.errorCode = 5* }"] {
        assert!(!matches(pattern, event), "{pattern} should not match");
    }
    // Numbers written as strings compare as numbers too, unless in scientific notation.
    assert!(matches("{ $.latency > 100 }", r#"{"latency": "250"}"#));
    assert!(!matches("{ $.latency > 100 }", r#"{"latency": "2e5"}"#));
}

#[test]
fn only_json_objects_match() {
    for message in ["eventType UpdateTrail", "", "[1, 2]", r#"{"eventType": "UpdateTrail""#, "  {oops}"] {
        assert!(!matches("{ $.eventType = * }", message), "{message:?}");
    }
    assert!(matches("{ $.eventType = * }", r#"   {"eventType": "UpdateTrail"}"#));
    assert!(!matches("{ $.eventType = * }", r#"{"eventType": null}"#));
}

#[test]
fn metric_values_and_dimensions() {
    let pattern = FilterPattern::parse("{ $.latency = * }").unwrap();
    assert_eq!(pattern.kind(), PatternKind::Json);
    let extracted = pattern.extract(r#"{"latency": 50, "requestType": "GET"}"#).unwrap();
    assert_eq!(extracted.metric_value("$.latency"), Some(50.0));
    assert_eq!(extracted.get("$.requestType"), Some(ExtractedValue::Text("GET".into())));
    assert_eq!(extracted.get("$.requestType").unwrap().to_text(), "GET");
    assert_eq!(extracted.get("$.missing"), None);
    assert_eq!(extracted.metric_value("$.requestType"), None, "text that is not a number is no metric value");
    assert!(extracted.values().is_empty(), "AWS reports extracted values only for space-delimited patterns");

    let dimensions = FilterPattern::parse(r#"{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }"#).unwrap();
    let extracted = dimensions.extract(TRAIL).unwrap();
    assert_eq!(extracted.get("$.eventType").unwrap().to_text(), "UpdateTrail");
    assert_eq!(extracted.get("$.objectList[1].id"), Some(ExtractedValue::Number(2.0)));
    assert!(dimensions.extract(r#"{"eventType": "x", "sourceIPAddress": "123.123.0.1"}"#).is_none());
}

#[test]
fn refused_patterns() {
    for (pattern, reason) in [
        ("{ $.a IS NOT NULL }", "IS is followed by NULL, TRUE or FALSE"),
        ("{ $.a EXISTS }", "expected an operator after the selector"),
        ("{ $.a > abc }", "<, <=, > and >= compare with a number"),
        ("{ a = 1 }", "a JSON property selector starts with $"),
        ("{ $.a = 1", "a JSON pattern is enclosed in { }"),
        ("{ $.a = }", "missing value after the operator"),
        ("{ ($.a = 1 }", "missing ) in the JSON pattern"),
        ("{ $.a = %x% || $.b = %y% || $.c = %z% }", "at most two regular expressions in a JSON pattern"),
        ("{ $.*.b[*] = 1 }", "at most one wildcard in a property selector"),
        ("{ $.*.a = 1 || $.*.b = 1 || $.*.c = 1 || $.*.d = 1 }", "at most three wildcard selectors in a JSON pattern"),
        ("{ $.a = 1 $.b = 2 }", "unexpected \"$.b = 2 \" in the JSON pattern"),
    ] {
        let error = FilterPattern::parse(pattern).expect_err(pattern);
        assert_eq!(error.reason(), reason, "{pattern}");
        assert_eq!(error.message(PatternUse::MetricFilter), "Invalid metric filter pattern");
    }
}

#[test]
fn raw_text_shortcuts_never_hide_a_match() {
    // Keys and values written with escapes, numbers written with exponents, either side of ||.
    for (pattern, message) in [
        (r#"{ $.level = "ERROR" }"#, r#"{"l\u0065vel": "ERROR"}"#),
        (r#"{ $.level = "ERROR" }"#, r#"{"level": "ERR\u004fR"}"#),
        (r#"{ $.level = "ERR*" }"#, r#"{"level":"ERROR"}"#),
        ("{ $.x = 100* }", r#"{"x": 1E2}"#),
        ("{ $.flag = true }", r#"{"flag": true}"#),
        (r#"{ $.a = "x1" || $.b = "y1" }"#, r#"{"b": "y1"}"#),
        (r#"{ $.a NOT EXISTS && $.b = "y1" }"#, r#"{"b": "y1"}"#),
        (r#"{ $.['odd key'] = "v" }"#, r#"{"odd key": "v"}"#),
    ] {
        assert!(matches(pattern, message), "{pattern} should match {message}");
    }
    for (pattern, message) in [
        (r#"{ $.level = "ERROR" }"#, r#"{"level": "INFO", "note": "no ERROR here"}"#),
        (r#"{ $.level = "ERROR" }"#, r#"{"other": "ERROR"}"#),
    ] {
        assert!(!matches(pattern, message), "{pattern} should not match {message}");
    }
}
