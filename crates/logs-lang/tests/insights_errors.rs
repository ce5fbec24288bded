//! Queries StartQuery refuses with `MalformedQueryException`: the message and where it points.

use nimbus_logs_lang::insights::{Query, QueryError};

fn error(query: &str) -> QueryError {
    Query::parse(query).expect_err(query)
}

#[test]
fn unexpected_symbols_with_their_location() {
    let e = error("bogus x");
    assert_eq!(e.message, "unexpected symbol found bogus at line 1 and position 0");
    assert_eq!((e.start_char_offset, e.end_char_offset), (0, 4));

    let e = error("fields a\n| frobnicate y");
    assert_eq!(e.message, "unexpected symbol found frobnicate at line 2 and position 2");
    assert_eq!((e.start_char_offset, e.end_char_offset, e.line, e.column), (11, 20, 2, 2));

    // Offsets count characters, not bytes.
    let e = error("fields \u{e9}t\u{e9} | bogus");
    assert_eq!((e.start_char_offset, e.end_char_offset), (13, 17));

    assert_eq!(error("").message, "unexpected symbol found <EOF> at line 1 and position 0");
    assert_eq!(error("filter x = ").message, "unexpected symbol found <EOF> at line 1 and position 11");
    assert_eq!(error("fields a,").message, "unexpected symbol found <EOF> at line 1 and position 9");
    assert_eq!(error("fields a b").message, "unexpected symbol found b at line 1 and position 9");
}

#[test]
fn command_order_rules() {
    // Observed on AWS: "unexpected symbol found sort" for a sort after dedup.
    let e = error("sort @timestamp desc | dedup level | sort level");
    assert_eq!(e.message, "unexpected symbol found sort at line 1 and position 37");
    assert!(Query::parse("sort @timestamp desc | dedup level | limit 5").is_ok());
    assert_eq!(error("sort x | stats count(*)").message, "unexpected symbol found stats at line 1 and position 9");
    assert_eq!(
        error("stats count(*) as a | stats count(*) as b | stats count(*) as c").message,
        "unexpected symbol found stats at line 1 and position 44"
    );
}

#[test]
fn semantic_errors() {
    for (query, message) in [
        ("fields count(*)", "count is an aggregation function, only allowed in stats"),
        ("stats latency", "stats needs an aggregation function such as count(), sum() or avg()"),
        ("limit 0", "limit takes a whole number from 1 to 100000"),
        ("limit 100001", "limit takes a whole number from 1 to 100000"),
        (r#"parse @message "a=* b=*" as x"#, "the pattern has 2 wildcards for 1 fields"),
        ("fields frob(x)", "unknown function frob"),
        ("fields bin(5x)", "5x is not a time period"),
        ("fields abs(1, 2)", "wrong number of arguments for abs"),
        (r"parse @message /(\d+)/", "a parse regular expression names what it extracts: (?<name>...)"),
        ("filter x = 'open", "unterminated string"),
        ("fields `open", "unterminated backtick-quoted field name"),
    ] {
        assert_eq!(error(query).message, message, "{query}");
    }
    let e = error("filter f like /(/");
    assert!(e.message.starts_with("invalid regular expression"), "{}", e.message);
    assert_eq!((e.start_char_offset, e.end_char_offset), (14, 16));
}
