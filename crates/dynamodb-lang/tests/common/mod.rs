//! Shared helpers: a small deterministic generator (no dependencies) and value builders.

#![allow(dead_code)]

use nimbus_dynamodb_lang::{AttributeValue, Item, Number};
use serde_json::Value;

/// xorshift64*: deterministic, so a failure reproduces from the seed in the message.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    /// A valid DynamoDB number: 1..=max_digits significant digits, leading exponent in range.
    pub fn number(&mut self, max_digits: u64, exponent_low: i64, exponent_high: i64) -> Number {
        if self.chance(20) {
            return Number::ZERO;
        }
        let count = 1 + self.below(max_digits) as usize;
        let mut digits: String = (0..count).map(|_| char::from(b'0' + self.below(10) as u8)).collect();
        digits.replace_range(0..1, &(1 + self.below(9)).to_string());
        let leading = self.range(exponent_low, exponent_high);
        let sign = if self.chance(2) { "-" } else { "" };
        let text = format!("{sign}{}.{}E{}", &digits[..1], &digits[1..], leading);
        Number::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }
}

pub fn item(json: Value) -> Item {
    nimbus_dynamodb_lang::parse_item(&json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

pub fn value(json: Value) -> AttributeValue {
    AttributeValue::from_json(&json).unwrap_or_else(|e| panic!("{json}: {e}"))
}
