use std::collections::HashSet;

use serde_json::{Value, json};

use crate::common::*;

const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

async fn draw(sm: &Sm, input: Value) -> String {
    sm.ok("GetRandomPassword", input).await["RandomPassword"].as_str().unwrap().to_owned()
}

fn kinds(p: &str) -> (bool, bool, bool, bool, bool) {
    (
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| PUNCTUATION.contains(c)),
        p.contains(' '),
    )
}

#[tokio::test]
async fn defaults_draw_all_four_types_and_32_characters() {
    let sm = Sm::new();
    let mut seen = HashSet::new();
    let mut distinct = HashSet::new();
    for _ in 0..300 {
        let p = draw(&sm, json!({})).await;
        assert_eq!(p.chars().count(), 32);
        assert_eq!(kinds(&p), (true, true, true, true, false), "{p}");
        assert!(p.chars().all(|c| c.is_ascii_alphanumeric() || PUNCTUATION.contains(c)));
        seen.extend(p.chars());
        distinct.insert(p);
    }
    assert_eq!(distinct.len(), 300);
    // Over 9,600 characters every one of the 94 candidates shows up.
    assert_eq!(seen.len(), 26 + 26 + 10 + 32);
}

#[tokio::test]
async fn exclusion_options() {
    let sm = Sm::new();
    for _ in 0..100 {
        let p = draw(&sm, json!({"ExcludePunctuation": true, "ExcludeNumbers": true, "PasswordLength": 40})).await;
        assert_eq!(p.len(), 40);
        assert!(p.chars().all(|c| c.is_ascii_alphabetic()), "{p}");
        assert!(kinds(&p).0 && kinds(&p).1);

        let p = draw(&sm, json!({"ExcludeUppercase": true, "ExcludeLowercase": true})).await;
        assert!(p.chars().all(|c| c.is_ascii_digit() || PUNCTUATION.contains(c)), "{p}");
        assert!(kinds(&p).2 && kinds(&p).3);

        let p =
            draw(&sm, json!({"ExcludeCharacters": "abcdefghijklmnopqrstuvwxyz0123456789!@#", "PasswordLength": 64}))
                .await;
        assert!(!p.chars().any(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "!@#".contains(c)), "{p}");
        assert!(kinds(&p).1 && kinds(&p).3);
    }
}

#[tokio::test]
async fn include_space_and_require_each_type() {
    let sm = Sm::new();
    let mut spaces = 0;
    for _ in 0..100 {
        let p = draw(&sm, json!({"IncludeSpace": true, "PasswordLength": 100})).await;
        spaces += p.matches(' ').count();
        let (l, u, d, s, _) = kinds(&p);
        assert!(l && u && d && s);
    }
    assert!(spaces > 0, "a space appears in 10,000 characters");

    // With RequireEachIncludedType, four types need four characters.
    for _ in 0..200 {
        let p = draw(&sm, json!({"PasswordLength": 4})).await;
        assert_eq!(kinds(&p), (true, true, true, true, false), "{p}");
    }
    let e = sm.err("GetRandomPassword", json!({"PasswordLength": 3})).await;
    assert_eq!(e.code, "InvalidParameterException");
    let p = draw(&sm, json!({"PasswordLength": 1, "RequireEachIncludedType": false})).await;
    assert_eq!(p.chars().count(), 1);
    let p = draw(
        &sm,
        json!({"PasswordLength": 1, "ExcludeNumbers": true, "ExcludePunctuation": true, "ExcludeUppercase": true}),
    )
    .await;
    assert!(p.chars().all(|c| c.is_ascii_lowercase()));
}

#[tokio::test]
async fn length_limits_and_impossible_requests() {
    let sm = Sm::new();
    assert_eq!(draw(&sm, json!({"PasswordLength": 4096})).await.chars().count(), 4096);
    for length in [0, 4097] {
        let e = sm.err("GetRandomPassword", json!({"PasswordLength": length})).await;
        assert_eq!(e.code, "InvalidParameterException");
    }
    let e = sm
        .err(
            "GetRandomPassword",
            json!({"ExcludeNumbers": true, "ExcludePunctuation": true, "ExcludeUppercase": true, "ExcludeLowercase": true}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterException");
    // Only spaces left.
    let p = draw(
        &sm,
        json!({"ExcludeNumbers": true, "ExcludePunctuation": true, "ExcludeUppercase": true, "ExcludeLowercase": true, "IncludeSpace": true, "PasswordLength": 3}),
    )
    .await;
    assert_eq!(p, "   ");
}
