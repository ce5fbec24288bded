//! Browser form uploads (`POST /<bucket>`, `multipart/form-data`): what s3s does not do.
//!
//! s3s parses the form, verifies the policy signature and checks the policy's conditions. The
//! front first reads the form's *prelude* (every field before the `file` part, which AWS requires
//! to be last; at most [`MAX_PRELUDE`] bytes, so the file itself is never buffered here) and:
//! * checks the policy's `expiration` on Nimbus's clock (s3s checks wall time only), so moving
//!   the clock expires forms as it expires presigned URLs;
//! * handles a key the registry does not know as the rest of Nimbus does: accepted unverified in
//!   the default mode (the signature field is dropped, the policy's conditions still apply),
//!   `InvalidAccessKeyId` in strict mode;
//! * substitutes `${filename}` in the `key` field with the uploaded file's name, as S3 does.
//!
//! The rewritten prelude is then put back in front of the rest of the body stream.

use base64::Engine;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use s3s::{S3Error, S3ErrorCode};

/// AWS limits the fields before the file to 20 KB of policy plus small fields; s3s allows 20 MB.
/// Nimbus allows 1 MiB, which no real form comes near.
const MAX_PRELUDE: usize = 1024 * 1024;

/// One part of the prelude.
struct Part {
    /// The part's header block (without the blank line).
    headers: String,
    name: String,
    value: Vec<u8>,
}

/// What the front learned from the prelude.
pub struct FormAuth {
    /// The access key the form names (`x-amz-credential` or `AWSAccessKeyId`), if any.
    pub access_key: Option<String>,
    /// The region of `x-amz-credential`'s scope.
    pub region: Option<String>,
}

/// Whether the request is a browser form upload.
pub fn is_form_upload<B>(req: &http::Request<B>) -> bool {
    req.method() == http::Method::POST && boundary(req).is_some()
}

fn boundary<B>(req: &http::Request<B>) -> Option<String> {
    let content_type = req.headers().get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary").then(|| v.trim_matches('"').to_owned())
    })
}

/// Reads and rewrites the prelude. `drop_signature` removes the signature fields (unknown key,
/// default mode); `now` is Nimbus's clock.
pub async fn prepare(
    req: &mut http::Request<s3s::Body>,
    now: time::OffsetDateTime,
    drop_signature: impl FnOnce(&str) -> Result<bool, S3Error>,
) -> Result<FormAuth, S3Error> {
    let boundary = boundary(req).ok_or_else(malformed)?;
    let delimiter = format!("\r\n--{boundary}");
    let mut body = std::mem::take(req.body_mut());
    // Read until the `file` part's headers are complete.
    let mut buf = BytesMut::new();
    let file_start = loop {
        if let Some(at) = find_file_part(&buf, &delimiter) {
            break at;
        }
        if buf.len() > MAX_PRELUDE {
            return Err(S3Error::with_message(
                S3ErrorCode::MaxPostPreDataLengthExceededError,
                "Your POST request fields preceding the upload file were too large.",
            ));
        }
        match body.next().await {
            Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
            Some(Err(_)) => return Err(S3Error::with_message(S3ErrorCode::IncompleteBody, "The request body could not be read.")),
            None => return Err(malformed()),
        }
    };
    let (prelude, rest) = buf.split_at(file_start.part_start);
    let mut parts = parse_parts(prelude, &delimiter)?;

    let field = |parts: &[Part], name: &str| -> Option<String> {
        parts
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| String::from_utf8_lossy(&p.value).into_owned())
    };
    if let Some(policy) = field(&parts, "policy") {
        check_expiration(&policy, now)?;
    }
    let credential = field(&parts, "x-amz-credential");
    let access_key = credential
        .as_deref()
        .and_then(|c| c.split('/').next().map(str::to_owned))
        .or_else(|| field(&parts, "AWSAccessKeyId"));
    let region = credential.as_deref().and_then(|c| c.split('/').nth(2).map(str::to_owned));
    if let Some(key) = &access_key
        && drop_signature(key)?
    {
        parts.retain(|p| !p.name.eq_ignore_ascii_case("x-amz-signature") && !p.name.eq_ignore_ascii_case("signature"));
    }
    if let Some(filename) = &file_start.filename
        && let Some(key) = parts.iter_mut().find(|p| p.name == "key")
    {
        let text = String::from_utf8_lossy(&key.value).into_owned();
        if text.contains("${filename}") {
            key.value = text.replace("${filename}", filename).into_bytes();
        }
    }

    let mut rebuilt = BytesMut::with_capacity(prelude.len());
    for part in &parts {
        rebuilt.extend_from_slice(format!("--{boundary}\r\n{}\r\n\r\n", part.headers).as_bytes());
        rebuilt.extend_from_slice(&part.value);
        rebuilt.extend_from_slice(b"\r\n");
    }
    // `rest` starts with the `--boundary` line of the file part.
    rebuilt.extend_from_slice(rest);
    let new_len = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .map(|old| old - buf_len(prelude) + buf_len(&rebuilt[..rebuilt.len() - rest.len()]));
    let head = futures::stream::once(futures::future::ready(Ok::<Bytes, s3s::StdError>(rebuilt.freeze())));
    let stream = head.chain(body).map(|chunk| chunk.map(hyper::body::Frame::data));
    *req.body_mut() = s3s::Body::http_body_unsync(http_body_util::StreamBody::new(stream));
    match new_len.and_then(|n| u64::try_from(n).ok()) {
        Some(n) => {
            req.headers_mut().insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(n));
        }
        None => {
            req.headers_mut().remove(http::header::CONTENT_LENGTH);
        }
    }
    Ok(FormAuth { access_key, region })
}

fn buf_len(b: &[u8]) -> i64 {
    i64::try_from(b.len()).unwrap_or(i64::MAX)
}

struct FileStart {
    /// Offset of the `--boundary` line that opens the file part.
    part_start: usize,
    filename: Option<String>,
}

/// Finds the part named `file` whose headers are complete in `buf`.
fn find_file_part(buf: &[u8], delimiter: &str) -> Option<FileStart> {
    // The first boundary has no leading CRLF.
    let first = &delimiter.as_bytes()[2..];
    let mut starts: Vec<usize> = Vec::new();
    if buf.starts_with(first) {
        starts.push(0);
    }
    let mut from = 0;
    while let Some(at) = find(&buf[from..], delimiter.as_bytes()) {
        starts.push(from + at + 2);
        from += at + delimiter.len();
    }
    for start in starts {
        let header_start = start + first.len() + 2;
        if header_start > buf.len() {
            continue;
        }
        let Some(end) = find(&buf[header_start..], b"\r\n\r\n") else { continue };
        let headers = String::from_utf8_lossy(&buf[header_start..header_start + end]);
        let (name, filename) = disposition(&headers);
        if name.as_deref() == Some("file") {
            return Some(FileStart { part_start: start, filename });
        }
    }
    None
}

/// Parses the prelude's parts (everything before the file part).
fn parse_parts(prelude: &[u8], delimiter: &str) -> Result<Vec<Part>, S3Error> {
    let first = &delimiter.as_bytes()[2..];
    let mut parts = Vec::new();
    if prelude.is_empty() {
        return Ok(parts);
    }
    let Some(mut rest) = prelude.strip_prefix(first) else { return Err(malformed()) };
    loop {
        rest = rest.strip_prefix(b"\r\n").ok_or_else(malformed)?;
        let header_end = find(rest, b"\r\n\r\n").ok_or_else(malformed)?;
        let headers = String::from_utf8_lossy(&rest[..header_end]).into_owned();
        let body = &rest[header_end + 4..];
        // Each value ends at the next delimiter (CRLF + --boundary); the last one at the prelude's
        // end, whose trailing CRLF belongs to the file part's delimiter.
        let (value, next) = match find(body, delimiter.as_bytes()) {
            Some(end) => (&body[..end], Some(&body[end + delimiter.len()..])),
            None => (body.strip_suffix(b"\r\n").ok_or_else(malformed)?, None),
        };
        let (name, _) = disposition(&headers);
        parts.push(Part { headers, name: name.ok_or_else(malformed)?, value: value.to_vec() });
        match next {
            Some(next) if !next.is_empty() => rest = next,
            _ => break,
        }
    }
    Ok(parts)
}

/// `name` and `filename` of a part's `Content-Disposition: form-data; name="..."; filename="..."`.
fn disposition(headers: &str) -> (Option<String>, Option<String>) {
    let Some(line) = headers
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
    else {
        return (None, None);
    };
    let param = |key: &str| {
        line.split(';').skip(1).find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            k.eq_ignore_ascii_case(key).then(|| v.trim().trim_matches('"').to_owned())
        })
    };
    (param("name"), param("filename"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The policy document's `expiration`, checked on Nimbus's clock.
fn check_expiration(policy_b64: &str, now: time::OffsetDateTime) -> Result<(), S3Error> {
    let invalid = || S3Error::with_message(S3ErrorCode::InvalidPolicyDocument, "Invalid Policy: Invalid JSON.");
    let json = base64::engine::general_purpose::STANDARD.decode(policy_b64.trim()).map_err(|_| invalid())?;
    let policy: serde_json::Value = serde_json::from_slice(&json).map_err(|_| invalid())?;
    let Some(expiration) = policy.get("expiration").and_then(|v| v.as_str()) else {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidPolicyDocument,
            "Invalid Policy: Policy missing expiration.",
        ));
    };
    let at = time::OffsetDateTime::parse(expiration, &time::format_description::well_known::Rfc3339)
        .map_err(|_| S3Error::with_message(S3ErrorCode::InvalidPolicyDocument, "Invalid Policy: Invalid 'expiration' value."))?;
    if now >= at {
        return Err(S3Error::with_message(S3ErrorCode::AccessDenied, "Invalid according to Policy: Policy expired."));
    }
    Ok(())
}

fn malformed() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::MalformedPOSTRequest,
        "The body of your POST request is not well-formed multipart/form-data.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELIM: &str = "\r\n--XyZ";

    fn form(fields: &[(&str, &str)], file: &str) -> Vec<u8> {
        let mut out = String::new();
        for (k, v) in fields {
            out.push_str(&format!("--XyZ\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
        }
        out.push_str(&format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file}\"\r\nContent-Type: image/jpeg\r\n\r\nDATA\r\n--XyZ--\r\n"
        ));
        out.into_bytes()
    }

    #[test]
    fn finds_the_file_part_and_parses_the_fields_before_it() {
        let body = form(&[("key", "user/${filename}"), ("policy", "abc")], "cat.jpg");
        let start = find_file_part(&body, DELIM).unwrap();
        assert_eq!(start.filename.as_deref(), Some("cat.jpg"));
        assert!(body[start.part_start..].starts_with(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\""));
        let parts = parse_parts(&body[..start.part_start], DELIM).unwrap();
        let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["key", "policy"]);
        assert_eq!(parts[0].value, b"user/${filename}");
    }

    #[test]
    fn an_incomplete_file_header_is_not_found_yet() {
        let body = form(&[("key", "k")], "a.txt");
        let cut = find(&body, b"Content-Type: image").unwrap();
        assert!(find_file_part(&body[..cut], DELIM).is_none());
    }

    #[test]
    fn expiration_is_on_the_given_clock() {
        let policy = base64::engine::general_purpose::STANDARD.encode(r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[]}"#);
        let before = time::macros::datetime!(2029-12-31 23:59 UTC);
        let after = time::macros::datetime!(2030-01-01 00:00:01 UTC);
        assert!(check_expiration(&policy, before).is_ok());
        assert_eq!(check_expiration(&policy, after).unwrap_err().code(), &S3ErrorCode::AccessDenied);
        assert_eq!(check_expiration("%%%", before).unwrap_err().code(), &S3ErrorCode::InvalidPolicyDocument);
    }
}
