//! Filter policy tests: the examples of AWS's SNS developer guide (positive and negative, for
//! message attributes and message bodies) and every validation error.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{FilterPolicy, FilterScope, complexity};

const ATTRS: FilterScope = FilterScope::MessageAttributes;
const BODY: FilterScope = FilterScope::MessageBody;

fn policy(text: &str, scope: FilterScope) -> FilterPolicy {
    FilterPolicy::parse(text, scope).unwrap_or_else(|e| panic!("{text} should be valid: {e}"))
}

fn attributes(list: &[(&str, &str, &str)]) -> BTreeMap<String, (String, String)> {
    list.iter().map(|(name, kind, value)| (name.to_string(), (kind.to_string(), value.to_string()))).collect()
}

fn string(name: &str, value: &str) -> BTreeMap<String, (String, String)> {
    attributes(&[(name, "String", value)])
}

fn array(name: &str, json: &str) -> BTreeMap<String, (String, String)> {
    attributes(&[(name, "String.Array", json)])
}

fn number(name: &str, value: &str) -> BTreeMap<String, (String, String)> {
    attributes(&[(name, "Number", value)])
}

/// The error message for an invalid policy (and its code is InvalidParameter).
fn error(text: &str, scope: FilterScope) -> String {
    match FilterPolicy::parse(text, scope) {
        Ok(_) => panic!("{text} should be refused"),
        Err(e) => {
            assert_eq!(e.code, "InvalidParameter", "{text}");
            e.message
        }
    }
}

/// Asserts the message of an invalid policy, in both scopes.
fn refused(text: &str, detail: &str) {
    let expected = format!("Invalid parameter: FilterPolicy: {detail}");
    assert_eq!(error(text, ATTRS), expected, "{text} (MessageAttributes)");
    assert_eq!(error(text, BODY), expected, "{text} (MessageBody)");
}

// ---------------------------------------------------------------------------------------------
// "Amazon SNS example filter policies"
// ---------------------------------------------------------------------------------------------

fn example_attributes() -> BTreeMap<String, (String, String)> {
    attributes(&[
        ("customer_interests", "String.Array", r#"["soccer", "rugby", "hockey"]"#),
        ("store", "String", "example_corp"),
        ("event", "String", "order_placed"),
        ("price_usd", "Number", "210.75"),
    ])
}

fn example_body() -> Value {
    json!({
        "customer_interests": ["soccer", "rugby", "hockey"],
        "store": "example_corp",
        "event": "order_placed",
        "price_usd": 210.75
    })
}

const ACCEPTING: &str = r#"{
   "store": ["example_corp"],
   "event": [{"anything-but": "order_cancelled"}],
   "customer_interests": ["rugby", "football", "baseball"],
   "price_usd": [{"numeric": [">=", 100]}]
}"#;

const REJECTING: &str = r#"{
   "store": ["example_corp"],
   "event": ["order_cancelled"],
   "encrypted": [false],
   "customer_interests": ["basketball", "baseball"]
}"#;

#[test]
fn example_policy_accepts_and_rejects_the_example_message() {
    assert!(policy(ACCEPTING, ATTRS).matches_attributes(&example_attributes()));
    assert!(!policy(REJECTING, ATTRS).matches_attributes(&example_attributes()));
    assert!(policy(ACCEPTING, BODY).matches_body(&example_body()));
    assert!(!policy(REJECTING, BODY).matches_body(&example_body()));
}

#[test]
fn one_mismatching_key_rejects_the_message() {
    // AND across keys: only `encrypted` is missing.
    let p = policy(r#"{"store": ["example_corp"], "encrypted": [false]}"#, ATTRS);
    assert!(!p.matches_attributes(&example_attributes()));
    let p = policy(r#"{"store": ["example_corp"], "encrypted": [false]}"#, BODY);
    assert!(!p.matches_body(&example_body()));
    let mut body = example_body();
    body["encrypted"] = json!(false);
    assert!(p.matches_body(&body));
}

#[test]
fn the_empty_policy_matches_everything() {
    let p = policy("{}", ATTRS);
    assert!(p.matches_attributes(&BTreeMap::new()));
    assert!(p.matches_attributes(&example_attributes()));
    let p = policy(" { } ", BODY);
    assert!(p.matches_body(&json!({})));
    assert!(p.matches_body(&json!("not an object")));
}

#[test]
fn attributes_not_named_in_the_policy_are_ignored() {
    let p = policy(r#"{"store": ["example_corp"]}"#, ATTRS);
    assert!(p.matches_attributes(&example_attributes()));
    assert!(!p.matches_attributes(&BTreeMap::new()));
}

// ---------------------------------------------------------------------------------------------
// "String value matching"
// ---------------------------------------------------------------------------------------------

#[test]
fn exact_string_matching() {
    let text = r#"{"customer_interests": ["rugby", "tennis"]}"#;
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&string("customer_interests", "rugby")));
    assert!(p.matches_attributes(&string("customer_interests", "tennis")));
    assert!(p.matches_attributes(&array("customer_interests", r#"["rugby", "tennis"]"#)));
    assert!(!p.matches_attributes(&string("customer_interests", "baseball")));
    assert!(!p.matches_attributes(&array("customer_interests", r#"["baseball"]"#)));
    // Case-sensitive.
    assert!(!p.matches_attributes(&string("customer_interests", "Rugby")));

    let p = policy(text, BODY);
    assert!(p.matches_body(&json!({"customer_interests": "rugby"})));
    assert!(p.matches_body(&json!({"customer_interests": "tennis"})));
    assert!(p.matches_body(&json!({"customer_interests": ["baseball", "tennis"]})));
    assert!(!p.matches_body(&json!({"customer_interests": "baseball"})));
    assert!(!p.matches_body(&json!({"other": "rugby"})));
}

#[test]
fn string_values_do_not_match_numbers_and_the_reverse() {
    let p = policy(r#"{"code": ["100"]}"#, ATTRS);
    assert!(p.matches_attributes(&string("code", "100")));
    assert!(!p.matches_attributes(&number("code", "100")));
    let p = policy(r#"{"code": [100]}"#, ATTRS);
    assert!(p.matches_attributes(&number("code", "100")));
    assert!(p.matches_attributes(&number("code", "1.0e2")));
    assert!(!p.matches_attributes(&string("code", "100")));
    let p = policy(r#"{"code": [100]}"#, BODY);
    assert!(p.matches_body(&json!({"code": 100})));
    assert!(p.matches_body(&json!({"code": 100.0})));
    assert!(!p.matches_body(&json!({"code": "100"})));
}

#[test]
fn anything_but_matching() {
    let text = r#"{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}"#;
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&string("customer_interests", "baseball")));
    assert!(p.matches_attributes(&string("customer_interests", "football")));
    // It contains a value that isn't rugby or tennis.
    assert!(p.matches_attributes(&array("customer_interests", r#"["rugby", "baseball"]"#)));
    assert!(!p.matches_attributes(&string("customer_interests", "rugby")));
    assert!(!p.matches_attributes(&array("customer_interests", r#"["rugby"]"#)));
    // No attribute at all: nothing to compare.
    assert!(!p.matches_attributes(&BTreeMap::new()));

    let p = policy(text, BODY);
    assert!(p.matches_body(&json!({"customer_interests": "baseball"})));
    assert!(p.matches_body(&json!({"customer_interests": "football"})));
    assert!(p.matches_body(&json!({"customer_interests": ["rugby", "baseball"]})));
    assert!(!p.matches_body(&json!({"customer_interests": ["rugby"]})));
    assert!(!p.matches_body(&json!({"customer_interests": "tennis"})));
}

#[test]
fn anything_but_a_single_value() {
    let p = policy(r#"{"event": [{"anything-but": "order_cancelled"}]}"#, ATTRS);
    assert!(p.matches_attributes(&string("event", "order_placed")));
    assert!(!p.matches_attributes(&string("event", "order_cancelled")));
    let p = policy(r#"{"price": [{"anything-but": 100}]}"#, BODY);
    assert!(p.matches_body(&json!({"price": 101})));
    assert!(!p.matches_body(&json!({"price": 100})));
}

#[test]
fn anything_but_combined_with_exists_false() {
    let text = r#"{"event": [{"anything-but": ["order_cancelled"]}, {"exists": false}]}"#;
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&string("event", "order_placed")));
    assert!(p.matches_attributes(&BTreeMap::new()));
    assert!(!p.matches_attributes(&string("event", "order_cancelled")));
    let p = policy(text, BODY);
    assert!(p.matches_body(&json!({})));
    assert!(p.matches_body(&json!({"event": "order_placed"})));
    assert!(!p.matches_body(&json!({"event": "order_cancelled"})));
}

#[test]
fn anything_but_prefix() {
    let text = r#"{"event": [{"anything-but": {"prefix": "order-"}}]}"#;
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&string("event", "data-entry")));
    assert!(p.matches_attributes(&string("event", "order_number")));
    assert!(!p.matches_attributes(&string("event", "order-cancelled")));
    let p = policy(text, BODY);
    assert!(p.matches_body(&json!({"event": "data-entry"})));
    assert!(p.matches_body(&json!({"event": "order_number"})));
    assert!(!p.matches_body(&json!({"event": "order-cancelled"})));
}

#[test]
fn anything_but_wildcard_and_suffix() {
    for text in [
        r#"{"customer_interests": [{"anything-but": {"wildcard": "*ball"}}]}"#,
        r#"{"customer_interests": [{"anything-but": {"suffix": "ball"}}]}"#,
    ] {
        let p = policy(text, BODY);
        assert!(p.matches_body(&json!({"customer_interests": ["hockey", "rugby", "soccer"]})), "{text}");
        assert!(!p.matches_body(&json!({"customer_interests": ["baseball", "basketball"]})), "{text}");
        let p = policy(text, ATTRS);
        assert!(p.matches_attributes(&array("customer_interests", r#"["hockey", "rugby", "soccer"]"#)), "{text}");
        assert!(!p.matches_attributes(&array("customer_interests", r#"["baseball", "basketball"]"#)), "{text}");
    }
}

#[test]
fn anything_but_equals_ignore_case() {
    let p = policy(r#"{"sport": [{"anything-but": {"equals-ignore-case": ["Rugby", "TENNIS"]}}]}"#, ATTRS);
    assert!(p.matches_attributes(&string("sport", "hockey")));
    assert!(!p.matches_attributes(&string("sport", "rugby")));
    assert!(!p.matches_attributes(&string("sport", "tennis")));
    let p = policy(r#"{"sport": [{"anything-but": {"equals-ignore-case": "rugby"}}]}"#, BODY);
    assert!(!p.matches_body(&json!({"sport": "RUGBY"})));
    assert!(p.matches_body(&json!({"sport": "golf"})));
}

#[test]
fn equals_ignore_case_matching() {
    let text = r#"{"customer_interests": [{"equals-ignore-case": "tennis"}]}"#;
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&string("customer_interests", "TENNIS")));
    assert!(p.matches_attributes(&string("customer_interests", "Tennis")));
    assert!(!p.matches_attributes(&string("customer_interests", "tennis2")));
    let p = policy(text, BODY);
    assert!(p.matches_body(&json!({"customer_interests": "TENNIS"})));
    assert!(p.matches_body(&json!({"customer_interests": "teNnis"})));
    assert!(!p.matches_body(&json!({"customer_interests": "rugby"})));
}

#[test]
fn ip_address_matching() {
    let text = r#"{"source_ip": [{"cidr": "10.0.0.0/24"}]}"#;
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&string("source_ip", "10.0.0.0")));
    assert!(p.matches_attributes(&string("source_ip", "10.0.0.255")));
    assert!(!p.matches_attributes(&string("source_ip", "10.1.1.0")));
    assert!(!p.matches_attributes(&string("source_ip", "not an address")));
    let p = policy(text, BODY);
    assert!(p.matches_body(&json!({"source_ip": "10.0.0.0"})));
    assert!(p.matches_body(&json!({"source_ip": "10.0.0.255"})));
    assert!(!p.matches_body(&json!({"source_ip": "10.1.1.0"})));
}

#[test]
fn cidr_matching_ipv6_and_edges() {
    let p = policy(r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#, BODY);
    assert!(p.matches_body(&json!({"ip": "2001:db8::1"})));
    assert!(p.matches_body(&json!({"ip": "2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff"})));
    assert!(!p.matches_body(&json!({"ip": "2001:db9::1"})));
    assert!(!p.matches_body(&json!({"ip": "10.0.0.1"})));
    // The host bits of the base address are masked off.
    let p = policy(r#"{"ip": [{"cidr": "192.168.1.77/16"}]}"#, BODY);
    assert!(p.matches_body(&json!({"ip": "192.168.200.1"})));
    assert!(!p.matches_body(&json!({"ip": "192.169.0.1"})));
    let p = policy(r#"{"ip": [{"cidr": "192.168.1.7/32"}]}"#, BODY);
    assert!(p.matches_body(&json!({"ip": "192.168.1.7"})));
    assert!(!p.matches_body(&json!({"ip": "192.168.1.8"})));
    let p = policy(r#"{"ip": [{"cidr": "0.0.0.0/0"}]}"#, BODY);
    assert!(p.matches_body(&json!({"ip": "255.255.255.255"})));
    assert!(!p.matches_body(&json!({"ip": "::1"})));
    let p = policy(r#"{"ip": [{"cidr": "::1/128"}]}"#, BODY);
    assert!(p.matches_body(&json!({"ip": "::1"})));
    assert!(!p.matches_body(&json!({"ip": "::2"})));
}

#[test]
fn prefix_matching() {
    let text = r#"{"customer_interests": [{"prefix": "bas"}]}"#;
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&string("customer_interests", "baseball")));
    assert!(p.matches_attributes(&string("customer_interests", "basketball")));
    assert!(!p.matches_attributes(&string("customer_interests", "rugby")));
    let p = policy(text, BODY);
    assert!(p.matches_body(&json!({"customer_interests": "baseball"})));
    assert!(p.matches_body(&json!({"customer_interests": "basketball"})));
    assert!(!p.matches_body(&json!({"customer_interests": "rugby"})));
}

#[test]
fn suffix_matching() {
    let text = r#"{"customer_interests": [{"suffix": "ball"}]}"#;
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&string("customer_interests", "baseball")));
    assert!(p.matches_attributes(&string("customer_interests", "basketball")));
    assert!(!p.matches_attributes(&string("customer_interests", "rugby")));
    let p = policy(text, BODY);
    assert!(p.matches_body(&json!({"customer_interests": "baseball"})));
    assert!(p.matches_body(&json!({"customer_interests": "basketball"})));
    assert!(!p.matches_body(&json!({"customer_interests": "rugby"})));
}

#[test]
fn wildcard_matching() {
    let p = policy(r#"{"customer_interests": [{"wildcard": "*ball"}]}"#, BODY);
    assert!(p.matches_body(&json!({"customer_interests": ["baseball", "basketball"]})));
    assert!(!p.matches_body(&json!({"customer_interests": ["rugby"]})));

    let matches = |pattern: &str, text: &str| {
        let policy = policy(&json!({"k": [{"wildcard": pattern}]}).to_string(), BODY);
        policy.matches_body(&json!({"k": text}))
    };
    assert!(matches("*", ""));
    assert!(matches("*", "anything"));
    assert!(matches("ab*cd*ef", "abcdef"));
    assert!(matches("ab*cd*ef", "ab-cd-cd-ef"));
    assert!(!matches("ab*cd*ef", "ab-dc-ef"));
    assert!(!matches("ab*ba", "aba"));
    assert!(matches("ab*ba", "abba"));
    assert!(matches("a*", "a"));
    assert!(!matches("a*", "ba"));
    assert!(matches("no-star", "no-star"));
    assert!(!matches("no-star", "no-stars"));
    // Escapes: \* is a literal asterisk, \\ a literal backslash.
    assert!(matches(r"a\*b", "a*b"));
    assert!(!matches(r"a\*b", "axb"));
    assert!(matches(r"a\\*", r"a\anything"));
    assert!(matches("é*ü", "éaü"));
}

// ---------------------------------------------------------------------------------------------
// "Numeric value matching"
// ---------------------------------------------------------------------------------------------

#[test]
fn numeric_exact_matching() {
    let text = r#"{"price_usd": [{"numeric": ["=", 301.5]}]}"#;
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&number("price_usd", "301.5")));
    assert!(p.matches_attributes(&number("price_usd", "3.015e2")));
    assert!(!p.matches_attributes(&number("price_usd", "301.6")));
    // A String attribute is not a number.
    assert!(!p.matches_attributes(&string("price_usd", "301.5")));
    let p = policy(text, BODY);
    assert!(p.matches_body(&json!({"price_usd": 301.5})));
    assert!(p.matches_body(&serde_json::from_str::<Value>(r#"{"price_usd": 3.015e2}"#).unwrap()));
    assert!(!p.matches_body(&json!({"price_usd": "301.5"})));
}

#[test]
fn numeric_anything_but_matching() {
    let text = r#"{"price": [{"anything-but": [100, 500]}]}"#;
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&number("price", "101")));
    assert!(p.matches_attributes(&number("price", "100.1")));
    // The guide's Number.Array example: it contains a value that isn't 100 or 500.
    assert!(p.matches_attributes(&attributes(&[("price", "Number.Array", "[100, 50]")])));
    assert!(!p.matches_attributes(&number("price", "100")));
    assert!(!p.matches_attributes(&number("price", "1e2")));
    let p = policy(text, BODY);
    assert!(p.matches_body(&json!({"price": 101})));
    assert!(p.matches_body(&json!({"price": 100.1})));
    assert!(p.matches_body(&json!({"price": [100, 50]})));
    assert!(!p.matches_body(&json!({"price": 100})));
    assert!(!p.matches_body(&json!({"price": [500, 100]})));
}

#[test]
fn numeric_range_matching() {
    let negative = policy(r#"{"price_usd": [{"numeric": ["<", 0]}]}"#, BODY);
    assert!(negative.matches_body(&json!({"price_usd": -0.5})));
    assert!(!negative.matches_body(&json!({"price_usd": 0})));
    assert!(!negative.matches_body(&json!({"price_usd": 3})));

    let text = r#"{"price_usd": [{"numeric": [">", 0, "<=", 150]}]}"#;
    let p = policy(text, BODY);
    assert!(!p.matches_body(&json!({"price_usd": 0})));
    assert!(p.matches_body(&json!({"price_usd": 0.00001})));
    assert!(p.matches_body(&json!({"price_usd": 1})));
    assert!(p.matches_body(&json!({"price_usd": 150})));
    assert!(!p.matches_body(&json!({"price_usd": 150.00001})));
    assert!(!p.matches_body(&json!({"price_usd": 151})));
    assert!(!p.matches_body(&json!({"price_usd": "100"})));
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&number("price_usd", "75")));
    assert!(p.matches_attributes(&attributes(&[("price_usd", "Number.float", "1.5E2")])));
    assert!(!p.matches_attributes(&number("price_usd", "-1")));
    assert!(!p.matches_attributes(&number("price_usd", "150.1")));
}

#[test]
fn numeric_operators_and_their_bounds() {
    let check = |expression: &str, value: f64| {
        policy(&format!(r#"{{"n": [{{"numeric": {expression}}}]}}"#), BODY).matches_body(&json!({"n": value}))
    };
    assert!(check(r#"["<=", 5]"#, 5.0));
    assert!(!check(r#"["<", 5]"#, 5.0));
    assert!(check(r#"[">=", 5]"#, 5.0));
    assert!(!check(r#"[">", 5]"#, 5.0));
    assert!(check(r#"[">=", 0, "<", 10]"#, 0.0));
    assert!(!check(r#"[">=", 0, "<", 10]"#, 10.0));
    assert!(check(r#"["=", -1000000000]"#, -1e9));
    assert!(!check(r#"["<", 1000000000]"#, 5e12));
    assert!(check(r#"[">", 1000000000]"#, 5e12));
}

#[test]
fn numbers_compare_to_five_decimal_places() {
    let p = policy(r#"{"n": [{"numeric": ["=", 1.00001]}]}"#, BODY);
    assert!(p.matches_body(&json!({"n": 1.000014})));
    assert!(!p.matches_body(&json!({"n": 1.00002})));
    let p = policy(r#"{"n": [0.3]}"#, BODY);
    assert!(p.matches_body(&json!({"n": 0.1 + 0.2})));
}

#[test]
fn number_attribute_values_parse_strictly() {
    let p = policy(r#"{"n": [{"numeric": [">", 0]}]}"#, ATTRS);
    for good in ["1", "+1", "1.5", ".5", "5.", "1e3", "1E-3", "-0.1e+2"] {
        let expected = !good.starts_with('-');
        assert_eq!(p.matches_attributes(&number("n", good)), expected, "{good}");
    }
    for bad in ["inf", "NaN", "infinity", "1e", "1..2", "", "-", "0x10", "1 "] {
        assert!(!p.matches_attributes(&number("n", bad)), "{bad}");
    }
}

#[test]
fn plain_numbers_outside_the_numeric_range_still_match_exactly() {
    let p = policy(r#"{"account": [123456789012]}"#, BODY);
    assert!(p.matches_body(&json!({"account": 123456789012u64})));
    assert!(!p.matches_body(&json!({"account": 123456789013u64})));
}

// ---------------------------------------------------------------------------------------------
// "Key matching", null and booleans
// ---------------------------------------------------------------------------------------------

#[test]
fn key_matching_exists_true() {
    let p = policy(r#"{"store": [{"exists": true}]}"#, ATTRS);
    assert!(p.matches_attributes(&attributes(&[
        ("store", "String", "fans"),
        ("customer_interests", "String.Array", r#"["baseball", "basketball"]"#),
    ])));
    assert!(!p.matches_attributes(&array("customer_interests", r#"["baseball", "basketball"]"#)));
    let p = policy(r#"{"store": [{"exists": true}]}"#, BODY);
    assert!(p.matches_body(&json!({"store": "fans", "customer_interests": ["baseball", "basketball"]})));
    assert!(!p.matches_body(&json!({"customer_interests": ["baseball", "basketball"]})));
}

#[test]
fn key_matching_exists_false() {
    let p = policy(r#"{"store": [{"exists": false}]}"#, ATTRS);
    assert!(!p.matches_attributes(&attributes(&[
        ("store", "String", "fans"),
        ("customer_interests", "String.Array", r#"["baseball", "basketball"]"#),
    ])));
    assert!(p.matches_attributes(&array("customer_interests", r#"["baseball", "basketball"]"#)));
    let p = policy(r#"{"store": [{"exists": false}]}"#, BODY);
    assert!(!p.matches_body(&json!({"store": "fans", "customer_interests": ["baseball", "basketball"]})));
    assert!(p.matches_body(&json!({"customer_interests": ["baseball", "basketball"]})));
}

#[test]
fn exists_in_the_body_looks_at_leaf_values() {
    let p = policy(r#"{"store": [{"exists": true}]}"#, BODY);
    assert!(p.matches_body(&json!({"store": null})));
    assert!(p.matches_body(&json!({"store": ["a"]})));
    assert!(!p.matches_body(&json!({"store": []})));
    assert!(!p.matches_body(&json!({"store": {"nested": 1}})));
    let p = policy(r#"{"detail": {"store": [{"exists": false}]}}"#, BODY);
    assert!(p.matches_body(&json!({})));
    assert!(p.matches_body(&json!({"detail": "scalar"})));
    assert!(p.matches_body(&json!({"detail": {"other": 1}})));
    assert!(!p.matches_body(&json!({"detail": {"store": 1}})));
}

#[test]
fn null_and_boolean_matching_in_the_body() {
    let p = policy(r#"{"k": [null]}"#, BODY);
    assert!(p.matches_body(&json!({"k": null})));
    assert!(!p.matches_body(&json!({})));
    assert!(!p.matches_body(&json!({"k": "null"})));
    let p = policy(r#"{"encrypted": [false]}"#, BODY);
    assert!(p.matches_body(&json!({"encrypted": false})));
    assert!(!p.matches_body(&json!({"encrypted": true})));
    assert!(!p.matches_body(&json!({"encrypted": "false"})));
    let p = policy(r#"{"flags": [true]}"#, ATTRS);
    assert!(p.matches_attributes(&array("flags", "[false, true]")));
    assert!(!p.matches_attributes(&string("flags", "true")));
}

#[test]
fn binary_attributes_are_ignored() {
    let binary = attributes(&[("blob", "Binary", "aGVsbG8=")]);
    assert!(!policy(r#"{"blob": [{"exists": true}]}"#, ATTRS).matches_attributes(&binary));
    assert!(policy(r#"{"blob": [{"exists": false}]}"#, ATTRS).matches_attributes(&binary));
    assert!(!policy(r#"{"blob": ["aGVsbG8="]}"#, ATTRS).matches_attributes(&binary));
    let custom = attributes(&[("blob", "Binary.png", "aGVsbG8=")]);
    assert!(!policy(r#"{"blob": [{"prefix": ""}]}"#, ATTRS).matches_attributes(&custom));
}

#[test]
fn custom_data_types_and_array_fallbacks() {
    let p = policy(r#"{"k": ["v"]}"#, ATTRS);
    assert!(p.matches_attributes(&attributes(&[("k", "String.custom", "v")])));
    // A String.Array value that is not a JSON array is compared as a whole.
    assert!(p.matches_attributes(&array("k", "v")));
    // Nested arrays flatten; objects are not values.
    assert!(p.matches_attributes(&array("k", r#"[["x", ["v"]], {"k": "v"}]"#)));
    assert!(!p.matches_attributes(&array("k", r#"[{"k": "v"}]"#)));
    let p = policy(r#"{"k": [{"numeric": [">", 1]}]}"#, ATTRS);
    assert!(p.matches_attributes(&array("k", r#"["a", 2]"#)));
    assert!(!p.matches_attributes(&array("k", r#"["a", "2"]"#)));
    // An empty String.Array is present but holds nothing to compare.
    let p = policy(r#"{"k": [{"exists": true}]}"#, ATTRS);
    assert!(p.matches_attributes(&array("k", "[]")));
    assert!(!policy(r#"{"k": [{"anything-but": "x"}]}"#, ATTRS).matches_attributes(&array("k", "[]")));
}

// ---------------------------------------------------------------------------------------------
// "AND/OR logic"
// ---------------------------------------------------------------------------------------------

#[test]
fn and_logic_across_keys() {
    let text = r#"{"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]}"#;
    let p = policy(text, ATTRS);
    assert!(p.matches_attributes(&attributes(&[("customer_interests", "String", "rugby"), ("price_usd", "Number", "101")])));
    assert!(!p.matches_attributes(&attributes(&[("customer_interests", "String", "rugby"), ("price_usd", "Number", "100")])));
    assert!(!p.matches_attributes(&string("customer_interests", "rugby")));
    let p = policy(text, BODY);
    assert!(p.matches_body(&json!({"customer_interests": "rugby", "price_usd": 150})));
    assert!(!p.matches_body(&json!({"customer_interests": "football", "price_usd": 150})));
}

#[test]
fn or_logic_within_a_key() {
    let p = policy(r#"{"customer_interests": ["rugby", "football", "baseball"]}"#, ATTRS);
    for value in ["rugby", "football", "baseball"] {
        assert!(p.matches_attributes(&string("customer_interests", value)));
    }
    assert!(!p.matches_attributes(&string("customer_interests", "tennis")));
}

const STANDARD_OR: &str = r#"{
  "source": [ "aws.cloudwatch" ],
  "$or": [
    { "metricName": [ "CPUUtilization" ] },
    { "namespace": [ "AWS/EC2" ] }
  ]
}"#;

#[test]
fn or_operator_with_message_attributes() {
    let p = policy(STANDARD_OR, ATTRS);
    assert!(p.matches_attributes(&attributes(&[
        ("source", "String", "aws.cloudwatch"),
        ("metricName", "String", "CPUUtilization"),
    ])));
    assert!(p.matches_attributes(&attributes(&[("source", "String", "aws.cloudwatch"), ("namespace", "String", "AWS/EC2")])));
    assert!(!p.matches_attributes(&string("source", "aws.cloudwatch")));
    assert!(!p.matches_attributes(&attributes(&[("source", "String", "aws.ec2"), ("namespace", "String", "AWS/EC2")])));
    assert!(!p.matches_attributes(&string("metricName", "CPUUtilization")));
}

#[test]
fn or_operator_with_message_bodies() {
    let p = policy(STANDARD_OR, BODY);
    assert!(p.matches_body(&json!({"source": "aws.cloudwatch", "metricName": "CPUUtilization"})));
    assert!(p.matches_body(&json!({"source": "aws.cloudwatch", "namespace": "AWS/EC2"})));
    assert!(!p.matches_body(&json!({"source": "aws.cloudwatch", "namespace": "AWS/ES"})));
    assert!(!p.matches_body(&json!({"namespace": "AWS/EC2"})));
}

const NESTED_OR_ATTRIBUTES: &str = r#"{
    "source": [ "aws.cloudwatch" ],
    "$or": [
      { "metricName": [ "CPUUtilization", "ReadLatency" ] },
      {
        "metricType": [ "MetricType" ] ,
        "$or" : [
          { "metricId": [ 1234, 4321 ] },
          { "spaceId": [ 1000, 2000, 3000 ] }
        ]
      }
    ]
}"#;

const NESTED_OR_BODY: &str = r#"{
    "$or": [
      { "metricName": [ "CPUUtilization", "ReadLatency" ] },
      { "namespace": [ "AWS/EC2", "AWS/ES" ] }
    ],
    "detail" : {
      "scope" : [ "Service" ],
      "$or": [
        { "source": [ "aws.cloudwatch" ] },
        { "type": [ "CloudWatch Alarm State Change"] }
      ]
    }
}"#;

#[test]
fn nested_or_relationships_match_as_documented() {
    let p = policy(NESTED_OR_ATTRIBUTES, ATTRS);
    let with = |extra: &[(&str, &str, &str)]| {
        let mut list = vec![("source", "String", "aws.cloudwatch")];
        list.extend_from_slice(extra);
        attributes(&list)
    };
    assert!(p.matches_attributes(&with(&[("metricName", "String", "ReadLatency")])));
    assert!(p.matches_attributes(&with(&[("metricType", "String", "MetricType"), ("metricId", "Number", "4321")])));
    assert!(p.matches_attributes(&with(&[("metricType", "String", "MetricType"), ("spaceId", "Number", "2000")])));
    assert!(!p.matches_attributes(&with(&[("metricType", "String", "MetricType")])));
    assert!(!p.matches_attributes(&with(&[("metricId", "Number", "4321")])));

    let p = policy(NESTED_OR_BODY, BODY);
    assert!(p.matches_body(&json!({"metricName": "CPUUtilization", "detail": {"scope": "Service", "source": "aws.cloudwatch"}})));
    assert!(p.matches_body(&json!({"namespace": "AWS/ES", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}})));
    assert!(!p.matches_body(&json!({"namespace": "AWS/ES", "detail": {"scope": "Service"}})));
    assert!(!p.matches_body(&json!({"detail": {"scope": "Service", "source": "aws.cloudwatch"}})));
    assert!(!p.matches_body(&json!({"metricName": "CPUUtilization", "detail": {"scope": "Other", "source": "aws.cloudwatch"}})));
}

#[test]
fn or_complexity_is_computed_as_documented() {
    // (1 * 2) + (1 * 1 * 2) + (1 * 1 * 3) = 7
    let p = policy(NESTED_OR_ATTRIBUTES, ATTRS);
    assert_eq!(complexity(&p.root, 1), 7);
    // (2 * 2 * 2) + (2 * 2 * 2) + (2 * 2 * 2) + (2 * 2 * 2) = 32
    let p = policy(NESTED_OR_BODY, BODY);
    assert_eq!(complexity(&p.root, 1), 32);
    // 3 x 1 x 2 = 6
    let p = policy(
        r#"{"key_a": ["value_one", "value_two", "value_three"], "key_b": ["value_one"], "key_c": ["value_one", "value_two"]}"#,
        ATTRS,
    );
    assert_eq!(complexity(&p.root, 1), 6);
}

#[test]
fn or_with_a_reserved_keyword_is_an_ordinary_key() {
    // numeric and prefix are reserved keywords: "$or" is a key whose match values are checked.
    refused(r#"{"$or": [ {"numeric" : 123}, {"prefix": "abc"} ]}"#, "Value of numeric must be an array.");
    let p = policy(r#"{"$or": [ {"prefix": "ab"}, {"suffix": "yz"} ]}"#, ATTRS);
    assert!(p.matches_attributes(&string("$or", "abc")));
    assert!(p.matches_attributes(&string("$or", "xyz")));
    assert!(!p.matches_attributes(&string("$or", "mmm")));
}

#[test]
fn or_with_fewer_than_two_objects_is_an_ordinary_key() {
    refused(r#"{"$or": [ {"a": ["b"]} ]}"#, "Unrecognized match type a");
    refused(r#"{"$or": []}"#, "Empty arrays are not allowed");
    let p = policy(r#"{"$or": ["literal", "values"]}"#, ATTRS);
    assert!(p.matches_attributes(&string("$or", "values")));
    refused(r#"{"$or": "x"}"#, r#""$or" must be an object or an array"#);
}

// ---------------------------------------------------------------------------------------------
// Message body filtering: nested keys
// ---------------------------------------------------------------------------------------------

#[test]
fn nested_policies_match_nested_properties() {
    let p = policy(r#"{"finding": {"account": ["111111111111", "222222222222"]}}"#, BODY);
    assert!(p.matches_body(&json!({"finding": {"account": "111111111111", "region": "us-east-1"}})));
    assert!(!p.matches_body(&json!({"finding": {"account": "333333333333"}})));
    assert!(!p.matches_body(&json!({"account": "111111111111"})));
    assert!(!p.matches_body(&json!({"finding": "111111111111"})));

    let p = policy(r#"{"finding": {"standard_control": ["S3.9", "S3.6"]}, "severity": ["ERROR"]}"#, BODY);
    assert!(p.matches_body(&json!({"severity": "ERROR", "finding": {"standard_control": "S3.6"}})));
    assert!(!p.matches_body(&json!({"severity": "WARN", "finding": {"standard_control": "S3.6"}})));
}

#[test]
fn deeply_nested_keys() {
    let p = policy(r#"{"a": {"b": {"c": {"d": [{"prefix": "x"}]}}}}"#, BODY);
    assert!(p.matches_body(&json!({"a": {"b": {"c": {"d": "xyz"}}}})));
    assert!(!p.matches_body(&json!({"a": {"b": {"c": {"d": "yz"}}}})));
    assert!(!p.matches_body(&json!({"a": {"b": {"d": "xyz"}}})));
}

#[test]
fn arrays_in_the_body_match_when_an_element_does() {
    let p = policy(r#"{"order": {"item": ["pen"]}}"#, BODY);
    assert!(p.matches_body(&json!({"order": [{"item": "book"}, {"item": "pen"}]})));
    assert!(p.matches_body(&json!({"order": {"item": ["book", "pen"]}})));
    assert!(p.matches_body(&json!({"order": [[{"item": "pen"}]]})));
    assert!(!p.matches_body(&json!({"order": [{"item": "book"}]})));
    assert!(!p.matches_body(&json!({"order": []})));

    // Several keys of one nested object must hold in the same array element.
    let p = policy(r#"{"order": {"item": ["pen"], "colour": ["red"]}}"#, BODY);
    assert!(p.matches_body(&json!({"order": [{"item": "pen", "colour": "blue"}, {"item": "pen", "colour": "red"}]})));
    assert!(!p.matches_body(&json!({"order": [{"item": "pen", "colour": "blue"}, {"item": "ink", "colour": "red"}]})));
}

#[test]
fn a_body_that_is_not_an_object_matches_nothing() {
    let p = policy(r#"{"k": [{"exists": false}]}"#, BODY);
    assert!(p.matches_body(&json!({})));
    for body in [json!([{}]), json!("text"), json!(42), json!(null), json!([])] {
        assert!(!p.matches_body(&body), "{body}");
    }
}

#[test]
fn or_inside_nested_objects_and_arrays() {
    let p = policy(r#"{"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}]}}"#, BODY);
    assert!(p.matches_body(&json!({"detail": {"c-count": 3}})));
    assert!(p.matches_body(&json!({"detail": {"d-count": 9}})));
    assert!(p.matches_body(&json!({"detail": [{"c-count": 30}, {"d-count": 1}]})));
    assert!(!p.matches_body(&json!({"detail": {"c-count": 6, "d-count": 10}})));
}

// ---------------------------------------------------------------------------------------------
// Validation: "Filter policy constraints" and the operator grammar
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_json_is_refused() {
    let message = error(r#"{"a": ["b"]"#, ATTRS);
    assert!(message.starts_with("Invalid parameter: FilterPolicy: failed to parse JSON. "), "{message}");
    let message = error("", BODY);
    assert!(message.starts_with("Invalid parameter: FilterPolicy: failed to parse JSON. "), "{message}");
}

#[test]
fn nesting_is_bounded_by_the_json_parser() {
    let nested = |depth: usize| format!("{}[\"v\"]{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    let p = policy(&nested(50), BODY);
    let mut body = json!("v");
    for _ in 0..50 {
        body = json!({ "a": body });
    }
    assert!(p.matches_body(&body));
    let message = error(&nested(200), BODY);
    assert!(message.starts_with("Invalid parameter: FilterPolicy: failed to parse JSON. recursion limit exceeded"), "{message}");
}

#[test]
fn the_policy_must_be_an_object() {
    for text in ["[]", r#""x""#, "1", "null", "true"] {
        refused(text, "Filter is not an object");
    }
}

#[test]
fn the_policy_size_is_limited_to_256_kb() {
    let fits = format!(r#"{{"k": ["{}"]}}"#, "x".repeat(256 * 1024 - 11));
    assert_eq!(fits.len(), 256 * 1024);
    policy(&fits, ATTRS);
    let too_large = format!(r#"{{"k": ["{}"]}}"#, "x".repeat(256 * 1024 - 10));
    refused(&too_large, "Filter policy is too large: the maximum size is 256 KB");
}

#[test]
fn at_most_five_keys() {
    policy(r#"{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"]}"#, ATTRS);
    refused(r#"{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"]}"#, "Filter policy can not have more than 5 keys");
    // The keys of $or alternatives count; a name counts once.
    refused(
        r#"{"a": ["1"], "b": ["1"], "c": ["1"], "$or": [{"d": ["1"]}, {"e": ["1"], "f": ["1"]}]}"#,
        "Filter policy can not have more than 5 keys",
    );
    policy(r#"{"a": ["1"], "b": ["1"], "c": ["1"], "$or": [{"d": ["1"]}, {"d": ["2"], "a": ["2"]}]}"#, ATTRS);
    // Message body: only top-level keys count (the guide's Security Hub example has six leaves).
    policy(
        r#"{ "state": ["SUCCESS"], "severity": [{ "exists": true }], "message": [{ "exists": true }],
             "finding": { "standard_control": [{ "exists": true }], "region": [{ "exists": true }],
                          "account": [{ "exists": true }] } }"#,
        BODY,
    );
    assert_eq!(
        error(r#"{"a": {"x": ["1"]}, "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": {"y": ["1"]}}"#, BODY),
        "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"
    );
}

#[test]
fn at_most_150_combinations() {
    let values = |n: usize| serde_json::to_string(&(0..n).map(|i| i.to_string()).collect::<Vec<_>>()).unwrap();
    policy(&format!(r#"{{"a": {}}}"#, values(150)), ATTRS);
    refused(&format!(r#"{{"a": {}}}"#, values(151)), "Filter policy is too complex");
    policy(&format!(r#"{{"a": {}, "b": {}, "c": {}}}"#, values(6), values(5), values(5)), ATTRS);
    refused(&format!(r#"{{"a": {}, "b": {}, "c": {}}}"#, values(6), values(5), values(6)), "Filter policy is too complex");
    // $or alternatives add up: 1 * (100 + 51) = 151.
    refused(
        &format!(r#"{{"s": ["x"], "$or": [{{"a": {}}}, {{"b": {}}}]}}"#, values(100), values(51)),
        "Filter policy is too complex",
    );
    policy(&format!(r#"{{"s": ["x"], "$or": [{{"a": {}}}, {{"b": {}}}]}}"#, values(100), values(50)), ATTRS);
    // Nested keys weigh their nesting level: 75 values two levels deep count 150.
    policy(&format!(r#"{{"n": {{"a": {}}}}}"#, values(75)), BODY);
    assert_eq!(
        error(&format!(r#"{{"n": {{"a": {}}}}}"#, values(76)), BODY),
        "Invalid parameter: FilterPolicy: Filter policy is too complex"
    );
}

#[test]
fn nested_policies_are_refused_for_message_attributes() {
    let nested = "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy";
    assert_eq!(error(r#"{"finding": {"account": ["1"]}}"#, ATTRS), nested);
    assert_eq!(error(r#"{"a": ["1"], "$or": [{"b": ["1"]}, {"c": {"d": ["1"]}}]}"#, ATTRS), nested);
    policy(r#"{"finding": {"account": ["1"]}}"#, BODY);
}

#[test]
fn structural_errors() {
    refused(r#"{"a": []}"#, "Empty arrays are not allowed");
    assert_eq!(error(r#"{"a": {}}"#, BODY), "Invalid parameter: FilterPolicy: Empty objects are not allowed");
    assert_eq!(
        error(r#"{"a": {"b": {}}}"#, BODY),
        "Invalid parameter: FilterPolicy: Empty objects are not allowed"
    );
    assert_eq!(
        error(r#"{"$or": [{}, {"a": ["1"]}]}"#, BODY),
        "Invalid parameter: FilterPolicy: Empty objects are not allowed"
    );
    refused(r#"{"a": "b"}"#, r#""a" must be an object or an array"#);
    refused(r#"{"a": 1}"#, r#""a" must be an object or an array"#);
    refused(r#"{"a": null}"#, r#""a" must be an object or an array"#);
    refused(r#"{"a": [["b"]]}"#, "Match value must be String, number, true, false, or null");
}

#[test]
fn match_expression_errors() {
    refused(r#"{"a": [{}]}"#, "Match expression name not found");
    refused(r#"{"a": [{"regex": ".*"}]}"#, "Unrecognized match type regex");
    refused(r#"{"a": [{"prefix": "x", "suffix": "y"}]}"#, "Only one key allowed in match expression");
    refused(r#"{"a": [{"exists": true, "prefix": "x"}]}"#, "Only one key allowed in match expression");
    refused(r#"{"a": [{"prefix": 1}]}"#, "prefix match pattern must be a string");
    refused(r#"{"a": [{"suffix": ["x"]}]}"#, "suffix match pattern must be a string");
    refused(r#"{"a": [{"equals-ignore-case": null}]}"#, "equals-ignore-case match pattern must be a string");
    refused(r#"{"a": [{"wildcard": 7}]}"#, "wildcard match pattern must be a string");
    refused(r#"{"a": [{"cidr": true}]}"#, "cidr match pattern must be a string");
}

#[test]
fn exists_must_be_true_or_false() {
    for operand in [r#""true""#, "1", "null", "[true]"] {
        refused(&format!(r#"{{"a": [{{"exists": {operand}}}]}}"#), "exists match pattern must be either true or false.");
    }
}

#[test]
fn numeric_expression_errors() {
    let numeric = |expression: &str, detail: &str| refused(&format!(r#"{{"a": [{{"numeric": {expression}}}]}}"#), detail);
    numeric(r#"">""#, "Value of numeric must be an array.");
    numeric("5", "Value of numeric must be an array.");
    numeric("[]", "Invalid member in numeric match: ]");
    numeric("[5]", "Invalid member in numeric match: 5");
    numeric(r#"["!=", 5]"#, "Unrecognized numeric range operator: !=");
    numeric(r#"["<"]"#, "Value of < must be numeric");
    numeric(r#"["<", "5"]"#, "Value of < must be numeric");
    numeric(r#"["=", null]"#, "Value of = must be numeric");
    numeric(r#"["=", 1, 2]"#, "Too many elements in numeric expression");
    numeric(r#"["<=", 1, ">", 0]"#, "Too many elements in numeric expression");
    numeric(r#"[">", 1, 5]"#, "Bad value in numeric range: 5");
    numeric(r#"[">", 1, ">", 2]"#, "Bad numeric range operator: >");
    numeric(r#"[">=", 1, "="]"#, "Bad numeric range operator: =");
    numeric(r#"[">", 1, "<"]"#, "Value of < must be numeric");
    numeric(r#"[">", 1, "<=", "2"]"#, "Value of <= must be numeric");
    numeric(r#"[">", 1, "<", 2, 3]"#, "Too many terms in numeric range expression");
    numeric(r#"[">", 5, "<", 1]"#, "Bottom must be less than top");
    numeric(r#"[">=", 5, "<=", 5]"#, "Bottom must be less than top");
    numeric(r#"[">", 1000000001]"#, "Value must be between -1.0E9 and 1.0E9, inclusive");
    numeric(r#"["<", -1e10]"#, "Value must be between -1.0E9 and 1.0E9, inclusive");
    numeric(r#"[">", 0, "<", 1.5e9]"#, "Value must be between -1.0E9 and 1.0E9, inclusive");
    policy(r#"{"a": [{"numeric": [">=", -1e9, "<=", 1e9]}]}"#, BODY);
}

#[test]
fn anything_but_errors() {
    let but = |operand: &str, detail: &str| refused(&format!(r#"{{"a": [{{"anything-but": {operand}}}]}}"#), detail);
    let not_a_value = "Value of anything-but must be an array or single string/number value.";
    but("true", not_a_value);
    but("null", not_a_value);
    but(r#"["a", null]"#, "Inside anything but list, start|null|boolean is not supported.");
    but(r#"[true]"#, "Inside anything but list, start|null|boolean is not supported.");
    but(r#"[["a"]]"#, "Inside anything but list, start|null|boolean is not supported.");
    let mixed = "Inside anything but list, either all values are number or string, mixed type is not supported";
    but(r#"["a", 1]"#, mixed);
    but("[]", mixed);
    but("{}", "Anything-But expression name not found");
    but(r#"{"numeric": [">", 1]}"#, "Unsupported anything-but pattern: numeric");
    but(r#"{"prefix": 1}"#, "prefix/suffix match pattern must be a string");
    but(r#"{"suffix": ["a"]}"#, "prefix/suffix match pattern must be a string");
    but(r#"{"prefix": ""}"#, "Null prefix/suffix not allowed");
    but(r#"{"prefix": "a", "suffix": "b"}"#, "Only one key allowed in match expression");
    but(r#"{"wildcard": 1}"#, "wildcard match pattern must be a string");
    let eic = "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.";
    but(r#"{"equals-ignore-case": 1}"#, eic);
    but(r#"{"equals-ignore-case": ["a", 1]}"#, eic);
    but(r#"{"equals-ignore-case": []}"#, eic);
    but("[1e10]", "Value must be between -1.0E9 and 1.0E9, inclusive");
    but("-2000000000", "Value must be between -1.0E9 and 1.0E9, inclusive");
}

#[test]
fn wildcard_errors() {
    refused(r#"{"a": [{"wildcard": "a**b"}]}"#, "Consecutive wildcard characters at pos 1");
    refused(r#"{"a": [{"anything-but": {"wildcard": "**"}}]}"#, "Consecutive wildcard characters at pos 0");
    refused(r#"{"a": [{"wildcard": "a\\b"}]}"#, "Invalid escape character at pos 1");
    refused(r#"{"a": [{"wildcard": "ab\\"}]}"#, "Invalid escape character at pos 2");
    policy(r#"{"a": [{"wildcard": "a\\**"}]}"#, BODY);
}

#[test]
fn cidr_errors() {
    let cidr = |operand: &str, detail: &str| refused(&format!(r#"{{"a": [{{"cidr": "{operand}"}}]}}"#), detail);
    cidr("10.0.0.0", "Malformed CIDR, one '/' required");
    cidr("10.0.0.0/8/8", "Malformed CIDR, one '/' required");
    cidr("10.0.0.0/x", "Malformed CIDR, mask bits must be an integer");
    cidr("10.0.0.0/", "Malformed CIDR, mask bits must be an integer");
    cidr("10.0.0.0/-1", "Malformed CIDR, mask bits must not be negative");
    cidr("10.0.0.0/33", "IPv4 mask bits must be <= 32");
    cidr("::/129", "IPv6 mask bits must be <= 128");
    cidr("example.com/8", "Nonstandard IP address: example.com");
    cidr("10.0.0/8", "Nonstandard IP address: 10.0.0");
}

#[test]
fn the_scope_is_copy_and_policies_clone() {
    let scope = ATTRS;
    let p = FilterPolicy::parse(ACCEPTING, scope).unwrap();
    assert_eq!(scope, FilterScope::MessageAttributes);
    let copy = p.clone();
    assert!(copy.matches_attributes(&example_attributes()));
    assert!(format!("{copy:?}").contains("example_corp"));
}
