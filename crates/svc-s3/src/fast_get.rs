//! The fast path of S3's most frequent request: GetObject of a whole, current object, with
//! nothing else asked (no range, conditions, version, SSE-C key, checksum mode, response
//! overrides or CORS origin).
//!
//! Why it exists: on a 4 KiB object, s3s's generic pipeline (its own SigV4 parse and check, the
//! typed input, the access hook's context, the typed output's serializer) cost more than the
//! read itself. This path answers the same request from the same parts: Nimbus's SigV4 verifier
//! (`nimbus_auth::verify`, with the signature the router already parsed), `access::decide`,
//! and the backend's `get_object_output`; only the serializer of that output is its own.
//!
//! The contract that keeps it safe: it answers only successes, and only requests whose every
//! part it understands. For anything else, any error included, it returns `None` and the
//! general path answers (with AWS's error). A GET has no side effects, so giving up after some
//! work is harmless. It may therefore be stricter than the general path, never more permissive:
//! each check below is one the general path makes too (s3s's signature and clock checks,
//! `NimbusAuth`/`NimbusAccess`, `S3Front::pre_authenticate`). `tests/fast_get.rs` compares the
//! two paths' answers header by header.

use std::borrow::Cow;
use std::sync::atomic::Ordering;

use http::{HeaderMap, HeaderName, HeaderValue};
use nimbus_auth::{PayloadHash, SignatureInfo};
use s3s::dto::{GetObjectInput, GetObjectOutput, Timestamp, TimestampFormat};

use crate::access::{self, AccessRequest, ConditionKeys};
use crate::auth::{ANONYMOUS_ACCOUNT, check_session_token, check_usable};
use crate::front::{PRESIGN_PARAMS, S3Front, account_for_key, request_target};
use crate::policy::Principal;

/// Request headers that change what GetObject does: the general path handles them.
const DECLINED_HEADERS: &[&str] = &[
    "range",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "origin",
    "x-amz-checksum-mode",
    "x-amz-expected-bucket-owner",
    "x-amz-request-payer",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
    "transfer-encoding",
];

/// SigV4's longest presigned lifetime (7 days); s3s refuses longer ones.
const MAX_PRESIGNED_SECS: u64 = 7 * 24 * 3600;

/// S3's longest key, in bytes; longer ones get `KeyTooLongError` from the general path.
const MAX_KEY_BYTES: usize = 1024;

/// The answer to a plain GetObject, or `None` to let the general path answer.
pub(crate) fn serve(front: &S3Front, req: &http::Request<s3s::Body>) -> Option<http::Response<s3s::Body>> {
    if !front.fast_paths.load(Ordering::Relaxed) || req.method() != http::Method::GET {
        return None;
    }
    let headers = req.headers();
    if DECLINED_HEADERS.iter().any(|name| headers.contains_key(*name))
        || headers.get(http::header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() != b"0")
    {
        return None;
    }
    let host = headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    if crate::host::parse_website_host(host).is_some() {
        return None;
    }
    // A path that does not decode to UTF-8 is the general path's to refuse (the target below
    // is decoded leniently).
    percent_encoding::percent_decode_str(req.uri().path()).decode_utf8().ok()?;
    let (bucket, Some(key)) = request_target(host, req.uri().path())? else {
        return None;
    };
    if key.len() > MAX_KEY_BYTES {
        return None;
    }
    let signature = signature(req)?;
    check_query(req.uri().query().unwrap_or(""), signature.as_ref().is_some_and(|s| s.presigned))?;
    // Strict mode's IAM decision, CloudTrail data events and request metrics live in the
    // general path only.
    if front.authorizer.enforcing().is_some()
        || front.audit_sink.keeps("GetObject")
        || front.backend.request_metrics().active(&front.store)
    {
        return None;
    }
    let (principal, caller) = match &signature {
        Some(sig) => authenticate(front, req, sig)?,
        None => (Principal::Anonymous, ANONYMOUS_ACCOUNT.to_owned()),
    };
    let source_ip = req.extensions().get::<std::net::SocketAddr>().map(|a| a.ip());
    let keys = ConditionKeys::of_request(&principal, req.uri(), headers, source_ip);
    let request = AccessRequest { principal: &principal, operation: "GetObject", bucket: Some(&bucket), key: Some(&key), keys: &keys };
    access::decide(&front.store, &request).ok()?;
    let input = GetObjectInput::builder().bucket(bucket).key(key).build().ok()?;
    let output = front.backend.get_object_output(input, &caller).ok()?;
    let response = serialize(output)?;
    front.fast_path_served.fetch_add(1, Ordering::Relaxed);
    Some(response)
}

/// The request's SigV4 signature (`Some(None)`: unsigned), or `None` for what this path leaves
/// to the general one: SigV2, a malformed signature, another service's scope.
fn signature(req: &http::Request<s3s::Body>) -> Option<Option<Cow<'_, SignatureInfo>>> {
    let sig = match req.extensions().get::<SignatureInfo>() {
        Some(sig) => Some(Cow::Borrowed(sig)),
        None => {
            let uri = req.uri();
            let parts = nimbus_auth::RequestParts {
                method: req.method().as_str(),
                path: uri.path(),
                query: uri.query().unwrap_or(""),
                headers: req.headers(),
            };
            nimbus_auth::parse(&parts).ok()?.map(Cow::Owned)
        }
    };
    match sig {
        Some(sig) if sig.service == "s3" => Some(Some(sig)),
        Some(_) => None,
        // An `Authorization` header that is not SigV4 is SigV2's.
        None if req.headers().contains_key(http::header::AUTHORIZATION) => None,
        None => Some(None),
    }
}

/// The query may only hold a presigned URL's own parameters (when presigned) and the `x-id`
/// the AWS SDKs add; anything else (versionId, partNumber, response-* overrides, SigV2's
/// parameters) is the general path's.
fn check_query(query: &str, presigned: bool) -> Option<()> {
    if query.is_empty() {
        return Some(());
    }
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let allowed = match name {
            "x-id" => value == "GetObject",
            _ => presigned && PRESIGN_PARAMS.contains(&name),
        };
        if !allowed {
            return None;
        }
    }
    Some(())
}

/// Who signed, as `NimbusAuth`, `NimbusAccess` and `S3Front::pre_authenticate` decide it, or
/// `None` for any refusal (the general path then says which).
fn authenticate(front: &S3Front, req: &http::Request<s3s::Body>, sig: &SignatureInfo) -> Option<(Principal, String)> {
    let headers = req.headers();
    let clock_now = front.clock.now();
    let wall_now = time::OffsetDateTime::now_utc();
    if sig.presigned {
        let secs = sig.expires_secs.filter(|s| (1..=MAX_PRESIGNED_SECS).contains(s))?;
        let expires_at = sig.request_time + time::Duration::seconds(i64::try_from(secs).ok()?);
        // s3s judges expiry on the wall clock, Nimbus on its own (movable) clock: both must pass.
        if wall_now > expires_at || clock_now > expires_at {
            return None;
        }
    } else {
        // s3s requires `x-amz-date` and a declared payload hash; a GET carries no body.
        let empty_body = matches!(&sig.payload, PayloadHash::Sha256Hex(h) if h == EMPTY_SHA256);
        if !headers.contains_key("x-amz-date") || !(sig.payload == PayloadHash::Unsigned || empty_body) {
            return None;
        }
    }
    if sig.date != scope_date(sig.request_time) {
        return None;
    }
    let Some(credential) = front.credentials.lookup(&sig.access_key_id) else {
        // An unknown key in the default mode: the caller is the key's account, unverified, as
        // `S3Front::pre_authenticate` records it (strict mode refuses it).
        if front.strict {
            return None;
        }
        let account = account_for_key(&sig.access_key_id, &front.default_account);
        return Some((Principal::account_root(&account), account));
    };
    check_usable(&credential, &front.clock).ok()?;
    check_session_token(&credential, sig.session_token.as_deref()).ok()?;
    let uri = req.uri();
    let parts = nimbus_auth::RequestParts {
        method: req.method().as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers,
    };
    let options = nimbus_auth::VerifyOptions {
        wall_now,
        clock_now,
        max_skew: nimbus_auth::DEFAULT_MAX_SKEW,
        double_encode_path: false,
    };
    nimbus_auth::verify(&parts, sig, &credential.secret_access_key, &[], &options).ok()?;
    let principal = Principal::Aws { account: credential.account_id.clone(), arn: credential.principal_arn };
    Some((principal, credential.account_id))
}

/// SHA-256 of the empty body.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// `YYYYMMDD` of a time, as a credential scope names its date.
fn scope_date(t: time::OffsetDateTime) -> String {
    format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
}

/// GetObject's output as HTTP, header for header what s3s writes for it; `None` for any field
/// this path does not write (the general path then answers).
fn serialize(out: GetObjectOutput) -> Option<http::Response<s3s::Body>> {
    let unwritten = out.content_range.is_some()
        || out.delete_marker.is_some()
        || out.expiration.is_some()
        || out.missing_meta.is_some()
        || out.parts_count.is_some()
        || out.replication_status.is_some()
        || out.request_charged.is_some()
        || out.restore.is_some()
        || out.checksum_crc32.is_some()
        || out.checksum_crc32c.is_some()
        || out.checksum_crc64nvme.is_some()
        || out.checksum_sha1.is_some()
        || out.checksum_sha256.is_some()
        || out.checksum_type.is_some();
    if unwritten {
        return None;
    }
    let mut h = HeaderMap::with_capacity(16);
    put(&mut h, http::header::ACCEPT_RANGES, out.accept_ranges.as_deref())?;
    put(&mut h, "x-amz-server-side-encryption-bucket-key-enabled", out.bucket_key_enabled.map(|b| if b { "true" } else { "false" }))?;
    put(&mut h, http::header::CACHE_CONTROL, out.cache_control.as_deref())?;
    put(&mut h, http::header::CONTENT_DISPOSITION, out.content_disposition.as_deref())?;
    put(&mut h, http::header::CONTENT_ENCODING, out.content_encoding.as_deref())?;
    put(&mut h, http::header::CONTENT_LANGUAGE, out.content_language.as_deref())?;
    if let Some(len) = out.content_length {
        h.insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    put(&mut h, http::header::CONTENT_TYPE, out.content_type.as_deref())?;
    if let Some(etag) = &out.e_tag {
        h.insert(http::header::ETAG, etag.to_http_header().ok()?);
    }
    put_time(&mut h, http::header::EXPIRES, out.expires.as_ref(), TimestampFormat::HttpDate)?;
    put_time(&mut h, http::header::LAST_MODIFIED, out.last_modified.as_ref(), TimestampFormat::HttpDate)?;
    for (name, value) in out.metadata.iter().flatten() {
        // s3s RFC 2047-encodes other values; those objects take the general path.
        if !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return None;
        }
        let name = HeaderName::from_bytes(format!("x-amz-meta-{name}").as_bytes()).ok()?;
        h.insert(name, HeaderValue::from_str(value).ok()?);
    }
    put(&mut h, "x-amz-object-lock-legal-hold", out.object_lock_legal_hold_status.as_ref().map(|s| s.as_str()))?;
    put(&mut h, "x-amz-object-lock-mode", out.object_lock_mode.as_ref().map(|m| m.as_str()))?;
    put_time(&mut h, "x-amz-object-lock-retain-until-date", out.object_lock_retain_until_date.as_ref(), TimestampFormat::DateTime)?;
    put(&mut h, "x-amz-server-side-encryption-customer-algorithm", out.sse_customer_algorithm.as_deref())?;
    put(&mut h, "x-amz-server-side-encryption-customer-key-md5", out.sse_customer_key_md5.as_deref())?;
    put(&mut h, "x-amz-server-side-encryption-aws-kms-key-id", out.ssekms_key_id.as_deref())?;
    put(&mut h, "x-amz-server-side-encryption", out.server_side_encryption.as_ref().map(|s| s.as_str()))?;
    put(&mut h, "x-amz-storage-class", out.storage_class.as_ref().map(|s| s.as_str()))?;
    if let Some(count) = out.tag_count {
        h.insert("x-amz-tagging-count", HeaderValue::from(count));
    }
    put(&mut h, "x-amz-version-id", out.version_id.as_deref())?;
    put(&mut h, "x-amz-website-redirect-location", out.website_redirect_location.as_deref())?;
    let body = out.body.map_or_else(s3s::Body::empty, s3s::Body::from);
    let mut response = http::Response::new(body);
    *response.headers_mut() = h;
    Some(response)
}

fn put(h: &mut HeaderMap, name: impl http::header::IntoHeaderName, value: Option<&str>) -> Option<()> {
    if let Some(value) = value {
        h.insert(name, HeaderValue::from_str(value).ok()?);
    }
    Some(())
}

fn put_time(h: &mut HeaderMap, name: impl http::header::IntoHeaderName, value: Option<&Timestamp>, format: TimestampFormat) -> Option<()> {
    if let Some(value) = value {
        let mut text = Vec::with_capacity(32);
        value.format(format, &mut text).ok()?;
        h.insert(name, HeaderValue::from_bytes(&text).ok()?);
    }
    Some(())
}
