//! GetRandomPassword, drawn from the operating system's CSPRNG.

use nimbus_core::Document;
use rand::Rng;
use rand::rngs::OsRng;
use rand::seq::SliceRandom;
use serde::Deserialize;
use serde_json::json;

use crate::errors::{Res, fail, invalid_parameter};
use crate::parse;

/// The punctuation AWS draws from: ``!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~``.
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const LOWERCASE: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPERCASE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";

pub const DEFAULT_LENGTH: i64 = 32;
pub const MAX_LENGTH: i64 = 4096;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PasswordOptions {
    pub password_length: Option<i64>,
    pub exclude_characters: Option<String>,
    pub exclude_numbers: Option<bool>,
    pub exclude_punctuation: Option<bool>,
    pub exclude_uppercase: Option<bool>,
    pub exclude_lowercase: Option<bool>,
    pub include_space: Option<bool>,
    pub require_each_included_type: Option<bool>,
}

pub fn get_random_password(input: Document) -> Res<Document> {
    let options: PasswordOptions = parse(input)?;
    Ok(json!({ "RandomPassword": generate(&options)? }))
}

/// A password following `options`, AWS's defaults for whatever is absent.
pub fn generate(options: &PasswordOptions) -> Res<String> {
    let length = options.password_length.unwrap_or(DEFAULT_LENGTH);
    if !(1..=MAX_LENGTH).contains(&length) {
        return fail(invalid_parameter(format!("PasswordLength must be between 1 and {MAX_LENGTH} (inclusive).")));
    }
    let length = length as usize;
    let excluded = options.exclude_characters.as_deref().unwrap_or("");
    let class = |set: &str, exclude: Option<bool>| -> Vec<char> {
        if exclude.unwrap_or(false) { Vec::new() } else { set.chars().filter(|c| !excluded.contains(*c)).collect() }
    };
    // The character types; a type emptied by ExcludeCharacters is no longer "included".
    let types: Vec<Vec<char>> = [
        class(LOWERCASE, options.exclude_lowercase),
        class(UPPERCASE, options.exclude_uppercase),
        class(DIGITS, options.exclude_numbers),
        class(PUNCTUATION, options.exclude_punctuation),
    ]
    .into_iter()
    .filter(|t| !t.is_empty())
    .collect();
    let space = options.include_space.unwrap_or(false) && !excluded.contains(' ');
    let mut pool: Vec<char> = types.iter().flatten().copied().collect();
    if space {
        pool.push(' ');
    }
    if pool.is_empty() {
        return fail(invalid_parameter(
            "The password can't be generated because all of the possible characters are excluded.",
        ));
    }
    let require_each = options.require_each_included_type.unwrap_or(true);
    if require_each && length < types.len() {
        return fail(invalid_parameter(format!(
            "The password length is too short to include at least one character of each of the {} included character types.",
            types.len()
        )));
    }
    let mut rng = OsRng;
    let mut chars: Vec<char> = Vec::with_capacity(length);
    if require_each {
        for t in &types {
            chars.push(t[rng.gen_range(0..t.len())]);
        }
    }
    while chars.len() < length {
        chars.push(pool[rng.gen_range(0..pool.len())]);
    }
    chars.shuffle(&mut rng);
    Ok(chars.into_iter().collect())
}
