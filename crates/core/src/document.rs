//! The canonical in-memory form of operation inputs and outputs.
//!
//! Every codec turns its wire format into the same [`Document`] and back, so a service is
//! written once for all protocols. The conventions follow the awsJson wire form, because that is
//! the one closest to the model:
//! - structures are objects keyed by the model's member names (not wire names);
//! - blobs are base64 strings (standard alphabet, padded);
//! - timestamps are numbers of seconds since the epoch (fractions allowed);
//! - absent optional members are absent keys, never `null`.

use base64::Engine;
use time::OffsetDateTime;

pub type Document = serde_json::Value;

/// A timestamp in document form: seconds since the epoch, with millisecond precision.
pub fn timestamp(at: OffsetDateTime) -> Document {
    let millis = (at.unix_timestamp_nanos() / 1_000_000) as i64;
    if millis % 1000 == 0 {
        Document::from(millis / 1000)
    } else {
        Document::from(millis as f64 / 1000.0)
    }
}

/// Reads a document timestamp (seconds since the epoch) back into a date-time, at the
/// millisecond precision documents carry (rounding, so `1704164700.25` stays `.250`).
pub fn parse_timestamp(value: &Document) -> Option<OffsetDateTime> {
    let millis = match value.as_i64() {
        Some(secs) => i128::from(secs) * 1000,
        None => (value.as_f64()? * 1000.0).round() as i128,
    };
    OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).ok()
}

/// Epoch milliseconds as `2012-05-02T00:54:06.655Z`: the form AWS writes into message bodies
/// (SNS notifications, S3 event records).
pub fn iso8601_millis(ms: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// A blob in document form.
pub fn blob(bytes: &[u8]) -> Document {
    Document::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Reads a document blob back into bytes.
pub fn parse_blob(value: &Document) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(value.as_str()?).ok()
}

/// A string member of an input document.
pub fn str_member<'a>(doc: &'a Document, name: &str) -> Option<&'a str> {
    doc.get(name).and_then(Document::as_str)
}

/// A list-of-strings member (absent: empty).
pub fn string_list_member(doc: &Document, name: &str) -> Vec<String> {
    doc.get(name)
        .and_then(Document::as_array)
        .map(|items| items.iter().filter_map(Document::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A string-to-string map member (absent: empty), in key order.
pub fn string_map_member(doc: &Document, name: &str) -> std::collections::BTreeMap<String, String> {
    doc.get(name)
        .and_then(Document::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_with_millisecond_precision() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_000_000).unwrap();
        assert_eq!(timestamp(at), serde_json::json!(1_700_000_000.123));
        assert_eq!(parse_timestamp(&timestamp(at)), Some(at));
        let whole = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(timestamp(whole), serde_json::json!(1_700_000_000));
        let quarter = serde_json::json!(1_704_164_700.25);
        assert_eq!(timestamp(parse_timestamp(&quarter).unwrap()), quarter);
    }

    #[test]
    fn blobs_round_trip() {
        assert_eq!(blob(b"hi\0"), serde_json::json!("aGkA"));
        assert_eq!(parse_blob(&blob(b"hi\0")).unwrap(), b"hi\0");
        assert_eq!(parse_blob(&serde_json::json!("not base64!")), None);
    }
}
