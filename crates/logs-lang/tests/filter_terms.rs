//! Term, phrase and standalone regex patterns, with the examples of AWS's "Filter pattern syntax"
//! page: each documented pattern against the events it lists as matching and not matching.

use nimbus_logs_lang::filter::{FilterPattern, PatternKind, PatternUse};

fn pattern(text: &str) -> FilterPattern {
    FilterPattern::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn assert_matches(text: &str, matching: &[&str], not_matching: &[&str]) {
    let pattern = pattern(text);
    for message in matching {
        assert!(pattern.matches(message), "{text:?} should match {message:?}");
        assert!(pattern.extract(message).is_some(), "{text:?} should extract from {message:?}");
    }
    for message in not_matching {
        assert!(!pattern.matches(message), "{text:?} should not match {message:?}");
        assert!(pattern.extract(message).is_none());
    }
}

const BAD_REQUEST: &str = "[ERROR 400] BAD REQUEST";
const UNAUTHORIZED: &str = "[ERROR 401] UNAUTHORIZED REQUEST";
const MISSING: &str = "[ERROR 419] MISSING ARGUMENTS";
const INVALID: &str = "[ERROR 420] INVALID ARGUMENTS";

#[test]
fn single_term() {
    assert_matches(
        "ERROR",
        &[BAD_REQUEST, UNAUTHORIZED, MISSING, INVALID],
        &["[INFO] all good", "error in lower case"],
    );
    assert_matches(
        "ERROR",
        &["[ERROR] A fatal exception has occurred", "Exiting with ERRORCODE: -1"],
        &["Exiting cleanly"],
    );
}

#[test]
fn multiple_terms_must_all_appear() {
    assert_matches("ERROR ARGUMENTS", &[MISSING, INVALID], &[BAD_REQUEST, UNAUTHORIZED]);
    assert_matches(
        "ERROR Exception",
        &["[ERROR] Caught IllegalArgumentException", "[ERROR] Unhandled Exception"],
        &["[ERROR] all fine", "Exception without the level"],
    );
    assert_matches(
        "Failed to process the request",
        &["[WARN] Failed to process the request", "[ERROR] Unable to continue: Failed to process the request"],
        &["[WARN] Failed to process"],
    );
}

#[test]
fn optional_terms() {
    assert_matches("?ERROR ?ARGUMENTS", &[BAD_REQUEST, UNAUTHORIZED, MISSING, INVALID], &["[INFO] all good"]);
    assert_matches("?ERROR ?WARN", &["ERROR WARN message", "ERROR message", "WARN message"], &["INFO message"]);
    assert_matches(
        r#"?REPORT ?"Task timed out""#,
        &["REPORT RequestId: 1", "Task timed out after 3.00 seconds"],
        &["Task done"],
    );
}

#[test]
fn optional_terms_are_ignored_beside_other_terms() {
    // AWS: "If you combine ? with other filter patterns, all question mark terms will be ignored."
    assert_matches(
        "?ERROR ?ARGUMENTS REQUEST",
        &["[INFO] REQUEST FAILED", "[WARN] UNAUTHORIZED REQUEST", "[ERROR] 400 BAD REQUEST"],
        &[MISSING, INVALID],
    );
}

#[test]
fn exact_phrase() {
    assert_matches(
        r#""INTERNAL SERVER ERROR""#,
        &["[ERROR 500] INTERNAL SERVER ERROR"],
        &["[ERROR 500] INTERNAL ERROR SERVER"],
    );
    assert_matches(r#""say \"hi\"""#, &[r#"they say "hi" twice"#], &["they say hi"]);
}

#[test]
fn excluded_terms() {
    assert_matches("ERROR -ARGUMENTS", &[BAD_REQUEST, UNAUTHORIZED], &[MISSING, INVALID]);
    assert_matches("ERROR -WARN", &["ERROR message"], &["ERROR WARN message", "WARN message"]);
    assert_matches("ERROR WARN", &["ERROR WARN message"], &["ERROR message", "WARN message"]);
    // The older documentation writes the exclusion with a space after the minus.
    assert_matches(
        r#""ERROR" - "Exiting""#,
        &["[ERROR] A fatal exception has occurred"],
        &["Exiting with ERRORCODE: -1"],
    );
}

#[test]
fn everything() {
    for text in ["", "   ", r#"" ""#] {
        assert_matches(text, &["anything", "", "x"], &[]);
    }
    assert_eq!(pattern("").kind(), PatternKind::Everything);
    assert_eq!(pattern("ERROR").kind(), PatternKind::Terms);
    assert_eq!(pattern("%ERR%").kind(), PatternKind::Regex);
}

#[test]
fn terms_are_case_sensitive_substrings() {
    assert_matches("Error", &["An Error occurred", "Errors: 3"], &["ERROR", "error"]);
    assert_matches("RequestId:", &["REPORT RequestId: abc"], &["REPORT RequestId abc"]);
}

#[test]
fn standalone_regex() {
    assert_matches(
        "%AUTHORIZED%",
        &["[ERROR 401] UNAUTHORIZED REQUEST", "[SUCCESS 200] AUTHORIZED REQUEST"],
        &["authorized"],
    );
    assert_matches(r"%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%", &["from 10.0.0.12 port 22"], &["from localhost"]);
    assert_matches("%[Ee]rror|[Ff]ail%", &["Error", "an error", "Failed", "failure"], &["ERROR", "FAIL"]);
    assert_matches(
        "%^starting|^initializing|^shutting down%",
        &["starting ...", "initializing ...", "shutting down"],
        &["skipping initializing ..."],
    );
}

#[test]
fn refused_patterns() {
    for (text, reason) in [
        (r#""unterminated"#, "unterminated double-quoted term"),
        ("%something!%", "character '!' is not allowed in a regular expression"),
        ("%(a|b)%", "character '(' is not allowed in a regular expression"),
    ] {
        let error = FilterPattern::parse(text).expect_err(text);
        assert_eq!(error.reason(), reason, "{text}");
        assert_eq!(error.message(PatternUse::FilterLogEvents), "Invalid filter pattern");
        assert_eq!(error.message(PatternUse::MetricFilter), "Invalid metric filter pattern");
        assert_eq!(error.message(PatternUse::SubscriptionFilter), "Invalid subscription filter pattern");
    }
}

#[test]
fn multi_byte_characters_must_be_quoted() {
    let error = FilterPattern::parse("caf\u{e9} open").unwrap_err();
    assert_eq!(error.message(PatternUse::SubscriptionFilter), "Invalid character(s) in term 'caf\u{e9}'");
    assert_matches("\"caf\u{e9}\"", &["le caf\u{e9} ouvre"], &["le cafe ouvre"]);
}

#[test]
fn terms_extract_nothing() {
    let pattern = pattern("ERROR");
    let extracted = pattern.extract("ERROR 42").unwrap();
    assert_eq!(extracted.get("$1"), None);
    assert!(extracted.values().is_empty());
    assert_eq!(extracted.metric_value("1"), Some(1.0));
    assert_eq!(extracted.metric_value("2.5"), Some(2.5));
    assert_eq!(extracted.metric_value("$.latency"), None);
}
