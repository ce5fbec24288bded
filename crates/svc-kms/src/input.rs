//! Reading an operation's input document (already type-checked by the codec) and writing the
//! output, with the request framework's messages for what the codec leaves to services: enum
//! values and conditionally required members.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::Document;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::errors::{Res, invalid_marker, missing, not_in_enum};

/// `KeySpec` → `keySpec`: the framework names members with a lowercase first letter.
pub fn path(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub struct Input<'a>(pub &'a Document);

impl<'a> Input<'a> {
    pub fn str(&self, name: &str) -> Option<&'a str> {
        self.0.get(name).and_then(Value::as_str)
    }

    pub fn required_str(&self, name: &str) -> Res<&'a str> {
        self.str(name).ok_or_else(|| missing(&path(name)))
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(|v| !v.is_null())
    }

    pub fn blob(&self, name: &str) -> Option<Vec<u8>> {
        self.str(name).and_then(|s| B64.decode(s).ok())
    }

    pub fn required_blob(&self, name: &str) -> Res<Vec<u8>> {
        self.blob(name).ok_or_else(|| missing(&path(name)))
    }

    pub fn bool(&self, name: &str) -> bool {
        self.0.get(name).and_then(Value::as_bool).unwrap_or(false)
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.0.get(name).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
    }

    pub fn strings(&self, name: &str) -> Vec<String> {
        nimbus_core::document::string_list_member(self.0, name)
    }

    /// An enum member: `None` when absent, the framework's error when not a known value.
    pub fn enum_of<T>(&self, name: &str, parse: fn(&str) -> Option<T>, all: &[&str]) -> Res<Option<T>> {
        match self.str(name) {
            None => Ok(None),
            Some(value) => parse(value).map(Some).ok_or_else(|| not_in_enum(&path(name), value, all)),
        }
    }

    pub fn context(&self, name: &str) -> BTreeMap<String, String> {
        nimbus_core::document::string_map_member(self.0, name)
    }

    /// `Limit` (the codec checked its range), or the operation's default.
    pub fn limit(&self, default: usize) -> usize {
        self.int("Limit").map(|l| l.clamp(1, 1000) as usize).unwrap_or(default)
    }

    /// The key after which a page starts, from `Marker`.
    pub fn marker(&self) -> Res<Option<String>> {
        self.str("Marker").map(decode_marker).transpose()
    }
}

/// Pagination markers: the opaque form of the last key of the previous page.
pub fn encode_marker(last_key: &str) -> String {
    B64.encode(format!("nimbus-kms:{last_key}"))
}

fn decode_marker(marker: &str) -> Res<String> {
    let bytes = B64.decode(marker).map_err(|_| invalid_marker())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid_marker())?;
    match text.strip_prefix("nimbus-kms:") {
        Some(key) if !key.is_empty() => Ok(key.to_owned()),
        _ => Err(invalid_marker()),
    }
}

/// An output structure under construction.
#[derive(Default)]
pub struct Out(pub Map<String, Value>);

impl Out {
    pub fn new() -> Out {
        Out(Map::new())
    }

    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Out {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    pub fn opt(self, name: &str, value: Option<impl Into<Value>>) -> Out {
        match value {
            Some(v) => self.set(name, v),
            None => self,
        }
    }

    pub fn blob(self, name: &str, bytes: &[u8]) -> Out {
        self.set(name, nimbus_core::document::blob(bytes))
    }

    pub fn time(self, name: &str, ms: i64) -> Out {
        self.set(name, timestamp(ms))
    }

    pub fn done(self) -> Value {
        Value::Object(self.0)
    }
}

pub fn timestamp(ms: i64) -> Value {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    nimbus_core::document::timestamp(at)
}

/// A page of `items` (already sorted by key) in the KMS list shape: `Truncated`, and
/// `NextMarker` when there is more.
pub fn page<T>(mut items: Vec<(String, T)>, limit: usize) -> (Vec<(String, T)>, Option<String>) {
    if items.len() > limit {
        items.truncate(limit);
        let marker = items.last().map(|(k, _)| encode_marker(k));
        (items, marker)
    } else {
        (items, None)
    }
}

pub fn with_page(out: Out, next: Option<String>) -> Out {
    let truncated = next.is_some();
    out.opt("NextMarker", next).set("Truncated", truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_reject_garbage() {
        let input = serde_json::json!({ "Marker": encode_marker("k1") });
        assert_eq!(Input(&input).marker().unwrap().as_deref(), Some("k1"));
        let bad = serde_json::json!({ "Marker": "nope" });
        assert_eq!(Input(&bad).marker().unwrap_err().0.code, "InvalidMarkerException");
    }

    #[test]
    fn enum_members_are_checked_with_the_framework_message() {
        let input = serde_json::json!({ "KeySpec": "AES_999" });
        let err = Input(&input).enum_of("KeySpec", crate::spec::KeySpec::parse, crate::spec::KeySpec::ALL).unwrap_err();
        assert!(err.0.message.starts_with("1 validation error detected: Value 'AES_999' at 'keySpec'"), "{}", err.0.message);
    }
}
