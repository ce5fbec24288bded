//! Signing, for tests and for Nimbus's own internal calls.

use http::{HeaderMap, HeaderName, HeaderValue};
use time::OffsetDateTime;

use crate::canonical::{
    ALGORITHM, CanonicalInputs, UNSIGNED_PAYLOAD, canonical_query, canonical_request,
    canonical_uri, credential_scope, decode_query, format_iso_basic, sha256_hex, signature_hex,
    signing_key, string_to_sign, uri_encode,
};
use crate::parse::{
    X_AMZ_ALGORITHM, X_AMZ_CREDENTIAL, X_AMZ_DATE, X_AMZ_EXPIRES, X_AMZ_SECURITY_TOKEN,
    X_AMZ_SIGNATURE, X_AMZ_SIGNED_HEADERS,
};
use crate::{AuthError, RequestParts};

/// Who signs, for which scope, at what time.
#[derive(Clone, Copy)]
pub struct SigningParams<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    /// Sent as `X-Amz-Security-Token` (header or query) and signed.
    pub session_token: Option<&'a str>,
    pub region: &'a str,
    /// The signing name, e.g. `sts`, `secretsmanager`, `s3`.
    pub service: &'a str,
    pub time: OffsetDateTime,
    /// True for every service but S3; must match the verifier's setting.
    pub double_encode_path: bool,
}

impl std::fmt::Debug for SigningParams<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningParams")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .field("region", &self.region)
            .field("service", &self.service)
            .field("time", &self.time)
            .field("double_encode_path", &self.double_encode_path)
            .finish()
    }
}

/// Headers SDKs never sign: hop-by-hop ones a proxy may rewrite, and ones that vary per
/// attempt (the list of the AWS SDK for JavaScript v3's signer).
const UNSIGNABLE_HEADERS: &[&str] = &[
    "authorization",
    "connection",
    "expect",
    "from",
    "keep-alive",
    "max-forwards",
    "pragma",
    "referer",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// Signs a request with an `Authorization` header, as SDKs do. Every header of `req`
/// except the unsignable ones is signed, so `req.headers` must already hold `Host` and
/// anything else to be covered. Returns the headers to add: `Authorization`, `X-Amz-Date`,
/// `X-Amz-Content-Sha256` if `sign_content_sha256`, and `X-Amz-Security-Token` with a
/// session token.
///
/// The payload hash is the SHA-256 of `body`, unless `req.headers` already holds an
/// `x-amz-content-sha256` (e.g. `UNSIGNED-PAYLOAD`), whose value is then signed as is.
pub fn sign_headers(
    req: &RequestParts,
    body: &[u8],
    params: &SigningParams,
    sign_content_sha256: bool,
) -> Result<HeaderMap, AuthError> {
    let request_time = format_iso_basic(params.time);
    let payload_hash = match req.headers.get("x-amz-content-sha256") {
        Some(value) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
        None => sha256_hex(body),
    };

    let mut added = HeaderMap::new();
    added.insert("x-amz-date", header_value(&request_time)?);
    if sign_content_sha256 && !req.headers.contains_key("x-amz-content-sha256") {
        added.insert("x-amz-content-sha256", header_value(&payload_hash)?);
    }
    if let Some(token) = params.session_token {
        added.insert("x-amz-security-token", header_value(token)?);
    }

    // The request as it will be sent: its own headers, ours replacing any of the same name.
    let mut sent = req.headers.clone();
    for (name, value) in &added {
        sent.insert(name.clone(), value.clone());
    }
    let mut signed_headers: Vec<String> = sent
        .keys()
        .map(HeaderName::as_str)
        .filter(|name| !UNSIGNABLE_HEADERS.contains(name))
        .map(str::to_owned)
        .collect();
    signed_headers.sort();
    signed_headers.dedup();

    let query = decode_query(req.query);
    let canonical = canonical_request(
        &CanonicalInputs {
            method: req.method,
            canonical_uri: &canonical_uri(req.path, params.double_encode_path),
            canonical_query: &canonical_query(
                query.iter().map(|(n, v)| (n.as_slice(), v.as_slice())),
            ),
            signed_headers: &signed_headers,
            payload_hash: &payload_hash,
        },
        &sent,
    );
    let date = &request_time[..8];
    let scope = credential_scope(date, params.region, params.service);
    let key = signing_key(
        params.secret_access_key,
        date,
        params.region,
        params.service,
    );
    let signature = signature_hex(&key, &string_to_sign(&request_time, &scope, &canonical));

    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        params.access_key_id,
        signed_headers.join(";"),
    );
    added.insert(http::header::AUTHORIZATION, header_value(&authorization)?);
    Ok(added)
}

/// Produces a presigned query string: `req.query`'s parameters plus the `X-Amz-*` ones,
/// in canonical order, then `X-Amz-Signature`. Only `host` is signed (taken from
/// `req.headers`), and the payload is `UNSIGNED-PAYLOAD`, as S3 presigners do.
pub fn presign_query(req: &RequestParts, params: &SigningParams, expires_secs: u64) -> String {
    presign_query_with_payload(req, params, expires_secs, UNSIGNED_PAYLOAD)
}

/// [`presign_query`] with another payload hash: botocore signs the body's SHA-256 in
/// presigned URLs for services other than S3.
pub(crate) fn presign_query_with_payload(
    req: &RequestParts,
    params: &SigningParams,
    expires_secs: u64,
    payload_hash: &str,
) -> String {
    let request_time = format_iso_basic(params.time);
    let date = &request_time[..8];
    let scope = credential_scope(date, params.region, params.service);
    let signed_headers = vec!["host".to_owned()];

    let mut query: Vec<(Vec<u8>, Vec<u8>)> = decode_query(req.query);
    let mut add = |name: &str, value: &str| {
        query.push((name.as_bytes().to_vec(), value.as_bytes().to_vec()));
    };
    add(X_AMZ_ALGORITHM, ALGORITHM);
    add(
        X_AMZ_CREDENTIAL,
        &format!("{}/{scope}", params.access_key_id),
    );
    add(X_AMZ_DATE, &request_time);
    add(X_AMZ_EXPIRES, &expires_secs.to_string());
    add(X_AMZ_SIGNED_HEADERS, &signed_headers.join(";"));
    if let Some(token) = params.session_token {
        add(X_AMZ_SECURITY_TOKEN, token);
    }

    let canonical_query = canonical_query(query.iter().map(|(n, v)| (n.as_slice(), v.as_slice())));
    let canonical = canonical_request(
        &CanonicalInputs {
            method: req.method,
            canonical_uri: &canonical_uri(req.path, params.double_encode_path),
            canonical_query: &canonical_query,
            signed_headers: &signed_headers,
            payload_hash,
        },
        req.headers,
    );
    let key = signing_key(
        params.secret_access_key,
        date,
        params.region,
        params.service,
    );
    let signature = signature_hex(&key, &string_to_sign(&request_time, &scope, &canonical));
    format!(
        "{canonical_query}&{X_AMZ_SIGNATURE}={}",
        uri_encode(signature.as_bytes())
    )
}

fn header_value(text: &str) -> Result<HeaderValue, AuthError> {
    HeaderValue::from_str(text).map_err(|_| AuthError::InvalidSigningInput {
        message: format!("cannot put {text:?} in an HTTP header"),
    })
}
