//! Properties checked over many generated inputs (a fixed-seed generator, so failures repeat):
//! patterns agree with plain string operations, space-delimited binding agrees with splitting,
//! and `sort` orders consistently.

use nimbus_logs_lang::filter::FilterPattern;
use nimbus_logs_lang::insights::{ExecuteOptions, LogEvent, Query};

/// xorshift64*: enough randomness for test inputs, no dependency.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A string of `min..=max` characters from `alphabet`.
    fn text(&mut self, alphabet: &str, min: usize, max: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let len = min + self.below(max - min + 1);
        (0..len).map(|_| chars[self.below(chars.len())]).collect()
    }
}

const ROUNDS: usize = 2_000;

#[test]
fn term_patterns_agree_with_substring_search() {
    let mut g = Generator(0x5eed);
    for _ in 0..ROUNDS {
        let message = g.text("abc ", 0, 16);
        let a = g.text("abc", 1, 3);
        let b = g.text("abc", 1, 3);
        let has = |t: &str| message.contains(t);
        let check = |pattern: String, expected: bool| {
            let compiled = FilterPattern::parse(&pattern).unwrap();
            assert_eq!(compiled.matches(&message), expected, "{pattern:?} on {message:?}");
        };
        check(format!("{a} {b}"), has(&a) && has(&b));
        check(format!("?{a} ?{b}"), has(&a) || has(&b));
        check(format!("{a} -{b}"), has(&a) && !has(&b));
        check(format!("\"{a} {b}\""), has(&format!("{a} {b}")));
        check(format!("%{a}%"), has(&a));
    }
}

#[test]
fn json_wildcards_agree_with_prefix_and_suffix_tests() {
    let mut g = Generator(0xfeed);
    for _ in 0..ROUNDS {
        let value = g.text("abc", 0, 6);
        let core = g.text("abc", 1, 3);
        let message = format!(r#"{{"k": "{value}", "n": 1}}"#);
        for (pattern, expected) in [
            (format!(r#"{{ $.k = "{core}*" }}"#), value.starts_with(&core)),
            (format!(r#"{{ $.k = "*{core}" }}"#), value.ends_with(&core)),
            (format!(r#"{{ $.k = "*{core}*" }}"#), value.contains(&core)),
            (format!("{{ $.k = {core} }}"), value == core),
            (format!("{{ $.k != {core} }}"), value != core),
            (format!(r#"{{ $.k = "{core}*" || $.n = 2 }}"#), value.starts_with(&core)),
        ] {
            let compiled = FilterPattern::parse(&pattern).unwrap();
            assert_eq!(compiled.matches(&message), expected, "{pattern} on {message}");
        }
    }
}

#[test]
fn delimited_fields_agree_with_splitting() {
    let mut g = Generator(0xabc);
    let first_last = FilterPattern::parse("[first, ..., last]").unwrap();
    let head_rest = FilterPattern::parse("[head, rest]").unwrap();
    for _ in 0..ROUNDS {
        let count = g.below(6);
        let words: Vec<String> = (0..count).map(|_| g.text("ab1", 1, 3)).collect();
        let message = words.join(" ");
        match first_last.extract(&message) {
            Some(extracted) => {
                assert!(count >= 2, "{message:?}");
                assert_eq!(extracted.get("$first").unwrap().to_text(), words[0]);
                assert_eq!(extracted.get("$last").unwrap().to_text(), words[count - 1]);
            }
            None => assert!(count < 2, "{message:?}"),
        }
        match head_rest.extract(&message) {
            Some(extracted) => {
                assert_eq!(extracted.get("$head").unwrap().to_text(), words[0]);
                assert_eq!(extracted.get("$rest").unwrap().to_text(), words[1..].join(" "));
            }
            None => assert!(count < 2, "{message:?}"),
        }
    }
}

/// Runs `query` over events whose JSON message sets `x` to each value; returns the `x` column.
fn sorted_column(query: &str, values: &[String]) -> Vec<String> {
    let messages: Vec<String> = values.iter().map(|v| serde_json::json!({ "x": v }).to_string()).collect();
    let events = messages.iter().enumerate().map(|(i, message)| LogEvent {
        timestamp_ms: i as i64,
        ingestion_time_ms: i as i64,
        message,
        log_stream: "s",
        log_group: "1:g",
        ptr: None,
    });
    let output = Query::parse(query).unwrap().execute(events, &ExecuteOptions::default());
    output.rows.into_iter().map(|row| row.into_iter().find(|f| f.field == "x").unwrap().value).collect()
}

#[test]
fn sort_is_a_consistent_order() {
    let mut g = Generator(0x5047);
    for _ in 0..200 {
        let mut values: Vec<String> = (0..12).map(|_| g.text("a1B9-_ ", 1, 5)).collect();
        values.extend((0..4).map(|_| g.below(1000).to_string()));
        values.sort();
        values.dedup();
        let ascending = sorted_column("fields x | sort x asc", &values);
        let descending = sorted_column("fields x | sort x desc", &values);
        let mut reversed = descending.clone();
        reversed.reverse();
        assert_eq!(ascending, reversed, "asc and desc disagree for {values:?}");
        // Every number after every other value, numbers by value.
        let is_number = |v: &String| v.parse::<f64>().is_ok();
        let first_number = ascending.iter().position(is_number).unwrap_or(ascending.len());
        assert!(ascending[first_number..].iter().all(is_number), "{ascending:?}");
        let numbers: Vec<f64> = ascending[first_number..].iter().map(|v| v.parse().unwrap()).collect();
        assert!(numbers.windows(2).all(|w| w[0] <= w[1]), "{numbers:?}");
        // Sorting what is sorted changes nothing.
        assert_eq!(sorted_column("fields x | sort x asc", &ascending), ascending);
    }
}
