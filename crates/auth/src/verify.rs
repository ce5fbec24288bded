//! Checking a parsed signature against the secret, the clocks, and the body.

use time::{Duration, OffsetDateTime};

use crate::canonical::{
    CanonicalInputs, UNSIGNED_PAYLOAD, canonical_query, canonical_request, canonical_uri,
    credential_scope, decode_query, format_iso_basic, sha256_hex, signature_matches, signing_key,
    string_to_sign,
};
use crate::parse::{X_AMZ_SIGNATURE, declared_payload_literal};
use crate::{AuthError, PayloadHash, RequestParts, SignatureInfo, VerifyOptions};

/// Verifies the signature with the secret. `body` is the full request body: when
/// `x-amz-content-sha256` is absent, services other than S3 sign the SHA-256 of the body;
/// when present, it must equal the body's SHA-256 unless `UNSIGNED-PAYLOAD`/`STREAMING-*`
/// (streaming chunk signatures are not checked here).
///
/// Order of checks: the clock (skew for header signatures on `wall_now`, expiry for
/// presigned ones on `clock_now`), then the signature, then the declared body hash.
pub fn verify(
    req: &RequestParts,
    info: &SignatureInfo,
    secret_access_key: &str,
    body: &[u8],
    opts: &VerifyOptions,
) -> Result<(), AuthError> {
    check_time(info, opts)?;

    let body_hash = sha256_hex(body);
    let declared = match declared_payload_literal(req, info.presigned) {
        // Services other than S3 hash the body they received: a declared hash that differs
        // from it simply makes the signature wrong (SignatureDoesNotMatch). Only S3 reports
        // the mismatch itself, as XAmzContentSHA256Mismatch.
        Some(literal) if opts.double_encode_path && is_sha256_hex(&literal) => Some(body_hash.clone()),
        other => other,
    };
    // The payload hash the client may have signed, most likely first. Trying a second one
    // costs nothing in security: each candidate still needs a signature made with the secret.
    let candidates: Vec<&str> = match (&declared, info.presigned) {
        (Some(literal), _) => vec![literal.as_str()],
        (None, false) => vec![body_hash.as_str()],
        (None, true) => vec![UNSIGNED_PAYLOAD, body_hash.as_str()],
    };

    let query = decode_query(req.query);
    let canonical_query = canonical_query(
        query
            .iter()
            .filter(|(name, _)| !(info.presigned && name.as_slice() == X_AMZ_SIGNATURE.as_bytes()))
            .map(|(name, value)| (name.as_slice(), value.as_slice())),
    );
    let canonical_uri = canonical_uri(req.path, opts.double_encode_path);
    let scope = credential_scope(&info.date, &info.region, &info.service);
    let request_time = format_iso_basic(info.request_time);
    let key = signing_key(secret_access_key, &info.date, &info.region, &info.service);

    let mut first_attempt = None;
    for payload_hash in candidates {
        let canonical = canonical_request(
            &CanonicalInputs {
                method: req.method,
                canonical_uri: &canonical_uri,
                canonical_query: &canonical_query,
                signed_headers: &info.signed_headers,
                payload_hash,
            },
            req.headers,
        );
        let to_sign = string_to_sign(&request_time, &scope, &canonical);
        if signature_matches(&key, &to_sign, &info.signature) {
            return check_body(&info.payload, &body_hash);
        }
        first_attempt.get_or_insert((canonical, to_sign));
    }

    let (canonical, to_sign) = first_attempt.unwrap_or_default();
    Err(AuthError::SignatureMismatch {
        canonical_request: String::from_utf8_lossy(&canonical).into_owned(),
        string_to_sign: to_sign,
    })
}

fn check_time(info: &SignatureInfo, opts: &VerifyOptions) -> Result<(), AuthError> {
    let skew_minutes = opts.max_skew.whole_minutes();
    // Not-yet-valid is about the client's clock, so it is judged on real time even for
    // presigned URLs; moving Nimbus's clock back must not break freshly presigned URLs.
    let latest_allowed = add(opts.wall_now, opts.max_skew);
    if info.request_time > latest_allowed {
        return Err(AuthError::SignatureNotYetCurrent {
            request_time: format_iso_basic(info.request_time),
            latest_allowed: format_iso_basic(latest_allowed),
            server_time: format_iso_basic(opts.wall_now),
            max_skew_minutes: skew_minutes,
        });
    }

    if info.presigned {
        // Without X-Amz-Expires a presigned request lives as long as the skew window,
        // which is what AWS does for services other than S3.
        let lifetime = info
            .expires_secs
            .map(|secs| Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX)))
            .unwrap_or(opts.max_skew);
        let expired_at = add(info.request_time, lifetime);
        if opts.clock_now > expired_at {
            return Err(AuthError::PresignedUrlExpired {
                request_time: format_iso_basic(info.request_time),
                expired_at: format_iso_basic(expired_at),
                server_time: format_iso_basic(opts.clock_now),
            });
        }
    } else {
        let earliest_allowed = add(opts.wall_now, -opts.max_skew);
        if info.request_time < earliest_allowed {
            return Err(AuthError::SignatureExpired {
                request_time: format_iso_basic(info.request_time),
                earliest_allowed: format_iso_basic(earliest_allowed),
                server_time: format_iso_basic(opts.wall_now),
                max_skew_minutes: skew_minutes,
            });
        }
    }
    Ok(())
}

/// The body must have the hash the client declared and signed.
fn check_body(payload: &PayloadHash, body_hash: &str) -> Result<(), AuthError> {
    match payload {
        PayloadHash::Sha256Hex(declared) if !declared.eq_ignore_ascii_case(body_hash) => {
            Err(AuthError::ContentSha256Mismatch {
                declared: declared.clone(),
                computed: body_hash.to_owned(),
            })
        }
        _ => Ok(()),
    }
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn add(time: OffsetDateTime, duration: Duration) -> OffsetDateTime {
    time.saturating_add(duration)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::sign::presign_query_with_payload;
    use crate::{SigningParams, parse};

    fn params() -> SigningParams<'static> {
        SigningParams {
            access_key_id: "AKID",
            secret_access_key: "secret",
            session_token: None,
            region: "us-east-1",
            service: "sts",
            time: datetime!(2024-01-01 00:00:00 UTC),
            double_encode_path: true,
        }
    }

    fn host_only() -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert("host", http::HeaderValue::from_static("sts.amazonaws.com"));
        headers
    }

    #[test]
    fn a_botocore_style_presigned_url_signing_the_empty_body_hash_verifies() {
        let headers = host_only();
        let req = RequestParts {
            method: "GET",
            path: "/",
            query: "Action=GetCallerIdentity&Version=2011-06-15",
            headers: &headers,
        };
        let query = presign_query_with_payload(&req, &params(), 900, &sha256_hex(b""));
        let req = RequestParts {
            query: &query,
            ..req
        };
        let info = parse(&req).unwrap().unwrap();
        let opts = VerifyOptions::new(datetime!(2024-01-01 00:05:00 UTC));
        verify(&req, &info, "secret", b"", &opts).unwrap();
        // The body is covered: another body gives another hash, so no candidate matches.
        assert!(matches!(
            verify(&req, &info, "secret", b"x", &opts),
            Err(AuthError::SignatureMismatch { .. })
        ));
    }

    #[test]
    fn a_presigned_url_declaring_its_body_hash_needs_that_body() {
        let headers = host_only();
        let body = b"Action=GetCallerIdentity";
        let declared = sha256_hex(body);
        let raw_query = format!("X-Amz-Content-Sha256={declared}");
        let req = RequestParts {
            method: "POST",
            path: "/",
            query: &raw_query,
            headers: &headers,
        };
        let query = presign_query_with_payload(&req, &params(), 900, &declared);
        let req = RequestParts {
            query: &query,
            ..req
        };
        let info = parse(&req).unwrap().unwrap();
        assert_eq!(info.payload, PayloadHash::Sha256Hex(declared));
        let opts = VerifyOptions::new(datetime!(2024-01-01 00:05:00 UTC));
        verify(&req, &info, "secret", body, &opts).unwrap();
        // Outside S3 the service hashes what it received: the signature no longer matches.
        assert!(matches!(
            verify(&req, &info, "secret", b"other", &opts),
            Err(AuthError::SignatureMismatch { .. })
        ));
        // S3 reports the mismatch itself.
        let s3 = VerifyOptions { double_encode_path: false, ..opts };
        assert!(matches!(
            verify(&req, &info, "secret", b"other", &s3),
            Err(AuthError::ContentSha256Mismatch { .. })
        ));
    }
}
