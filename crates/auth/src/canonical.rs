//! The canonical request of SigV4: URI, query, headers, and the hashing and HMAC around it.
//!
//! Everything works on bytes: header values may hold obs-text and decoded query strings
//! need not be UTF-8, and the signature is over bytes anyway.

use aws_lc_rs::{digest, hmac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, percent_encode};
use time::OffsetDateTime;
use time::macros::format_description;

/// The only algorithm this crate verifies.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";
/// The payload-hash literal for a body the signature does not cover.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// RFC 3986 unreserved characters stay; everything else is `%XX` (uppercase hex).
const ENCODE_ALL_BUT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(crate) fn uri_encode(bytes: &[u8]) -> String {
    percent_encode(bytes, ENCODE_ALL_BUT_UNRESERVED).to_string()
}

/// The canonical URI from the path as received (still percent-encoded).
///
/// `double_encode` (every service but S3): SDKs take the already-encoded path, drop `.`,
/// `..` and empty segments, and encode each segment again, so `%20` becomes `%2520`. We do
/// the same to the path as received, which reproduces what the client computed.
///
/// Otherwise (S3): the path is used once-encoded and not normalized. Clients disagree on
/// which characters they escape, so each segment is decoded and re-encoded the one
/// canonical way; splitting on the raw `/` first keeps an escaped `%2F` inside its segment.
pub(crate) fn canonical_uri(raw_path: &str, double_encode: bool) -> String {
    let path = if raw_path.is_empty() { "/" } else { raw_path };
    if double_encode {
        let normalized = remove_dot_segments(path);
        normalized
            .split('/')
            .map(|segment| uri_encode(segment.as_bytes()))
            .collect::<Vec<_>>()
            .join("/")
    } else {
        path.split('/')
            .map(|segment| uri_encode(&percent_decode(segment.as_bytes()).collect::<Vec<u8>>()))
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// RFC 3986 dot-segment removal as the SDKs apply it for signing: `.` and empty segments
/// are dropped, `..` pops one, a trailing `/` is kept only when the path ended in `/` and
/// something remains (AWS's normalize-path test cases: `/example/..` and `/./` → `/`,
/// `//example//` → `/example/`).
fn remove_dot_segments(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            other => kept.push(other),
        }
    }
    let mut out = String::with_capacity(path.len());
    out.push('/');
    out.push_str(&kept.join("/"));
    if path.ends_with('/') && !kept.is_empty() {
        out.push('/');
    }
    out
}

/// Query parameters as decoded name/value bytes, in the order received. A piece without
/// `=` is a name with an empty value. `+` stays a literal plus: SigV4 clients always send
/// spaces as `%20`, and treating `+` as a space would change what they signed.
pub(crate) fn decode_query(raw_query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            // Through Cow: a piece with no `%` is copied whole instead of byte by byte
            // (presigned URLs carry long credentials and signatures on every request).
            let decode = |text: &str| std::borrow::Cow::from(percent_decode(text.as_bytes())).into_owned();
            (decode(name), decode(value))
        })
        .collect()
}

/// The canonical query string: each name and value encoded, sorted by encoded name then
/// encoded value, joined with `&`, and `name=` for an empty value.
pub(crate) fn canonical_query<'a>(pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(name, value)| (uri_encode(name), uri_encode(value)))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// One canonical header value: every value of the header (in the order received) trimmed,
/// runs of spaces collapsed to one, and joined with `,`. A header that is absent yields
/// an empty value, which makes the signature fail unless the client signed it empty.
pub(crate) fn canonical_header_value(headers: &http::HeaderMap, name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, value) in headers.get_all(name).iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let mut in_space = false;
        for &byte in value.as_bytes().trim_ascii() {
            if byte == b' ' || byte == b'\t' {
                if !in_space {
                    out.push(b' ');
                }
                in_space = true;
            } else {
                out.push(byte);
                in_space = false;
            }
        }
    }
    out
}

/// What goes into a canonical request besides the request itself.
pub(crate) struct CanonicalInputs<'a> {
    pub method: &'a str,
    pub canonical_uri: &'a str,
    pub canonical_query: &'a str,
    pub signed_headers: &'a [String],
    pub payload_hash: &'a str,
}

pub(crate) fn canonical_request(inputs: &CanonicalInputs, headers: &http::HeaderMap) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(inputs.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(inputs.canonical_uri.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(inputs.canonical_query.as_bytes());
    out.push(b'\n');
    for name in inputs.signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(&canonical_header_value(headers, name));
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(inputs.signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(inputs.payload_hash.as_bytes());
    out
}

pub(crate) fn credential_scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/{SCOPE_TERMINATOR}")
}

pub(crate) fn string_to_sign(request_time: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{request_time}\n{scope}\n{}",
        sha256_hex(canonical_request)
    )
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

/// Signing keys derived lately, by secret and scope. A key serves one secret for one day,
/// region and service, so nearly every request of a client reuses the one before's; deriving
/// it is four HMACs, a visible share of verifying a small request.
static SIGNING_KEYS: std::sync::Mutex<Option<std::collections::HashMap<String, hmac::Key>>> =
    std::sync::Mutex::new(None);
/// Past this many, the memo is emptied and refills.
const SIGNING_KEYS_MAX: usize = 256;

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
pub(crate) fn signing_key(
    secret_access_key: &str,
    date: &str,
    region: &str,
    service: &str,
) -> hmac::Key {
    let memo_key = [secret_access_key, date, region, service].join("\0");
    let mut memo = SIGNING_KEYS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let keys = memo.get_or_insert_with(Default::default);
    if let Some(key) = keys.get(&memo_key) {
        return key.clone();
    }
    let key = derive_signing_key(secret_access_key, date, region, service);
    if keys.len() >= SIGNING_KEYS_MAX {
        keys.clear();
    }
    keys.insert(memo_key, key.clone());
    key
}

fn derive_signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> hmac::Key {
    let mut key = format!("AWS4{secret_access_key}").into_bytes();
    for part in [date, region, service, SCOPE_TERMINATOR] {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), part.as_bytes());
        key = tag.as_ref().to_vec();
    }
    hmac::Key::new(hmac::HMAC_SHA256, &key)
}

pub(crate) fn signature_hex(key: &hmac::Key, string_to_sign: &str) -> String {
    hex::encode(hmac::sign(key, string_to_sign.as_bytes()))
}

/// Compares in constant time (aws-lc's HMAC verify) so response timing leaks nothing
/// about how many leading bytes of a guessed signature were right.
pub(crate) fn signature_matches(key: &hmac::Key, string_to_sign: &str, provided_hex: &str) -> bool {
    match hex::decode(provided_hex) {
        Ok(provided) => hmac::verify(key, string_to_sign.as_bytes(), &provided).is_ok(),
        Err(_) => false,
    }
}

/// `20150830T123600Z`, the form of `X-Amz-Date` and of the string to sign.
pub(crate) fn format_iso_basic(time: OffsetDateTime) -> String {
    let utc = time.to_offset(time::UtcOffset::UTC);
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    utc.format(&format)
        .unwrap_or_else(|_| String::from("00000000T000000Z"))
}

pub(crate) fn parse_iso_basic(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(text, &format)
        .ok()
        .map(|t| t.assume_utc())
}

/// The HTTP `Date` header (IMF-fixdate, `Sun, 30 Aug 2015 12:36:00 GMT`), which SigV4
/// accepts when `X-Amz-Date` is absent.
pub(crate) fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(|t| t.assume_utc())
}

/// A `YYYYMMDD` scope date that names a real day.
pub(crate) fn is_scope_date(text: &str) -> bool {
    let format = format_description!("[year][month][day]");
    text.len() == 8 && time::Date::parse(text, &format).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_encoding_normalizes_then_encodes_the_received_path_again() {
        assert_eq!(canonical_uri("", true), "/");
        assert_eq!(canonical_uri("/", true), "/");
        assert_eq!(canonical_uri("//", true), "/");
        assert_eq!(canonical_uri("/./", true), "/");
        assert_eq!(canonical_uri("/example/..", true), "/");
        assert_eq!(canonical_uri("/example1/example2/../..", true), "/");
        assert_eq!(canonical_uri("/./example", true), "/example");
        assert_eq!(canonical_uri("//example//", true), "/example/");
        assert_eq!(canonical_uri("/a/b/../c/", true), "/a/c/");
        assert_eq!(canonical_uri("/example space/", true), "/example%20space/");
        assert_eq!(
            canonical_uri("/example%20space/", true),
            "/example%2520space/"
        );
        assert_eq!(
            canonical_uri("/2015-03-31/functions/my%3Afn/invocations", true),
            "/2015-03-31/functions/my%253Afn/invocations"
        );
    }

    #[test]
    fn single_encoding_decodes_and_reencodes_each_segment_without_normalizing() {
        assert_eq!(canonical_uri("/bucket/a%20b", false), "/bucket/a%20b");
        assert_eq!(canonical_uri("/bucket/a b", false), "/bucket/a%20b");
        assert_eq!(canonical_uri("/bucket/a%7eb", false), "/bucket/a~b");
        assert_eq!(canonical_uri("/bucket/a%2Fb", false), "/bucket/a%2Fb");
        assert_eq!(canonical_uri("/bucket//./x", false), "/bucket//./x");
        assert_eq!(canonical_uri("/test$file.text", false), "/test%24file.text");
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted_by_name_then_value() {
        let pairs = decode_query("b=2&a=%7e&a=1&c&d=&e=x%2By+z&=v");
        let query = canonical_query(pairs.iter().map(|(n, v)| (n.as_slice(), v.as_slice())));
        assert_eq!(query, "=v&a=1&a=~&b=2&c=&d=&e=x%2By%2Bz");
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined() {
        let mut headers = http::HeaderMap::new();
        headers.append("my-header", "  a   b \t c  ".parse().unwrap());
        headers.append("my-header", "second".parse().unwrap());
        assert_eq!(
            canonical_header_value(&headers, "my-header"),
            b"a b c,second"
        );
        assert_eq!(canonical_header_value(&headers, "absent"), b"");
    }

    #[test]
    fn signing_key_matches_the_aws_documentation_example() {
        // AWS General Reference, "Examples of how to derive a signing key for SigV4":
        // secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830/us-east-1/iam.
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        let string_to_sign = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59";
        assert_eq!(
            signature_hex(&key, string_to_sign),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
        assert!(signature_matches(
            &key,
            string_to_sign,
            "5D672D79C15B13162D9279B0855CFBA6789A8EDB4C82C400E06B5924A6F2B5D7"
        ));
        assert!(!signature_matches(&key, string_to_sign, "not hex"));
    }

    #[test]
    fn dates_parse_in_both_accepted_forms() {
        let iso = parse_iso_basic("20150830T123600Z").unwrap();
        assert_eq!(format_iso_basic(iso), "20150830T123600Z");
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"), Some(iso));
        assert_eq!(parse_iso_basic("2015-08-30T12:36:00Z"), None);
        assert!(is_scope_date("20150830"));
        assert!(!is_scope_date("20151330"));
        assert!(!is_scope_date("2015083"));
    }
}
