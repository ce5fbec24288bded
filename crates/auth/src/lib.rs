//! SigV4 verification: Authorization header, presigned query strings, clock skew.
//!
//! Pure logic: no I/O and no knowledge of where secrets come from. The server calls
//! [`parse`] (no secret needed) to learn the access key and scope, looks the secret up,
//! then calls [`verify`]. [`sign_headers`] and [`presign_query`] produce signatures for
//! tests and for Nimbus's own internal calls.
//!
//! # Canonicalization
//!
//! * URI: with [`VerifyOptions::double_encode_path`] (all services but S3) the path as
//!   received is normalized (`.`, `..`, empty segments) and each segment encoded again,
//!   which reproduces what SDKs sign. Without it (S3) each segment is decoded and
//!   re-encoded once, not normalized.
//! * Query: decoded then re-encoded (clients escape differently), sorted by encoded name
//!   then value; `X-Amz-Signature` left out for presigned requests. `+` is a literal plus.
//! * Headers: the `SignedHeaders` list, values trimmed, runs of spaces collapsed, repeated
//!   headers joined with `,`. For HTTP/2 the server must put `:authority` into a `Host`
//!   header before calling, since `host` must be signed.
//!
//! # What AWS answers, and where that comes from
//!
//! AWS reports auth failures differently for query/XML services (STS, IAM) and JSON
//! services (Secrets Manager, SSM); [`AuthError::code_for`] and [`AuthError::status_for`]
//! take the protocol. [`AuthError::code`]/[`AuthError::status`] give the query/XML form.
//!
//! | Case | Query/XML | JSON | Source |
//! |---|---|---|---|
//! | Malformed `Authorization`, bad scope, bad date, unsupported algorithm, `host` unsigned, bad `X-Amz-Expires` | `IncompleteSignature` 400 | `IncompleteSignatureException` 400 | AWS Common Errors (CloudSearch/EMR API refs list 400); JSON body `{"__type":"IncompleteSignatureException"}` with status 400 in iann0036/cloud9-sync#10; messages ("'…' not a valid key=value pair (missing equal-sign) in Authorization header: '…'.", "Authorization header requires 'Signature' parameter. … Authorization=…") from jenkinsci/aws-credentials-plugin#72, aws/chalice#828 |
//! | Wrong signature | `SignatureDoesNotMatch` 403 | `InvalidSignatureException` 400 | AWS Common Errors; STS reply quoted in boto/boto3#756 |
//! | Header signature older than the skew | `SignatureDoesNotMatch` 403, "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)" | `InvalidSignatureException` 400, same text | aws/aws-cli#6676 and devsecops/bootcamp#101 (STS); aws/aws-sdk-js#254 (statusCode 400) and upmc-enterprises/registry-creds#24 (ECR, status 400) |
//! | Header signature newer than the skew | `SignatureDoesNotMatch` 403, "Signature not yet current: … is still later than … (… + 15 min.)" | `InvalidSignatureException` 400 | STS reply, status 403, in QT-DevOps/DevOpsIssues#989 |
//! | Presigned request past `X-Amz-Date + X-Amz-Expires` | `RequestExpired` 400 "Request has expired." | same | AWS Common Errors: RequestExpired covers "more than 15 minutes after the request expiration date (such as for pre-signed URLs)", HTTP 400; message as EC2 returns it (aws/aws-sdk-java#1443). S3 instead says `AccessDenied` 403 "Request has expired" (s3s's concern). |
//! | Scope date ≠ request date | `SignatureDoesNotMatch` 403 | `InvalidSignatureException` 400 | AWS's message text "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: …" |
//! | Declared `x-amz-content-sha256` ≠ body | `XAmzContentSHA256Mismatch` 400 | same | S3's documented error; non-S3 services publish nothing |
//! | No signature where one is needed | `MissingAuthenticationToken` 403 | `MissingAuthenticationTokenException` 400 | AWS Common Errors |
//! | Unknown access key | `InvalidClientTokenId` 403 | `UnrecognizedClientException` 400 | AWS Common Errors |
//! | Expired session token | `ExpiredToken` 403 | `ExpiredTokenException` 400 | pulumi/pulumi-aws#2560 (STS, 403) |
//!
//! Presigned URLs for services other than S3: botocore signs the SHA-256 of the (empty)
//! body rather than `UNSIGNED-PAYLOAD` (the canonical string STS echoes in boto/boto3#756
//! ends in `e3b0c442…`), so [`verify`] accepts either for a presigned request that does not
//! declare its payload hash.

mod canonical;
mod error;
mod parse;
mod sign;
mod verify;

pub use canonical::{ALGORITHM, SCOPE_TERMINATOR, UNSIGNED_PAYLOAD};
pub use error::{AuthError, SIGNATURE_MISMATCH_MESSAGE};
pub use parse::{MAX_PRESIGNED_EXPIRES_SECS, parse};
pub use sign::{SigningParams, presign_query, sign_headers};
pub use verify::verify;

/// What the server hands in: the request as received.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// Raw path as received, still percent-encoded, no query.
    pub path: &'a str,
    /// Raw query string as received, without `?`, may be `""`.
    pub query: &'a str,
    pub headers: &'a http::HeaderMap,
}

/// The payload hash the signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadHash {
    /// `UNSIGNED-PAYLOAD`: the body is not covered. Also what a presigned request without
    /// an explicit hash reports (though [`verify`] then also accepts the body's SHA-256).
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` and the other `STREAMING-*` values: the body
    /// carries its own chunk signatures, which this crate does not check.
    StreamingSigned,
    /// A declared SHA-256 (lowercase hex) the body must have.
    Sha256Hex(String),
    /// No `x-amz-content-sha256` header: the SHA-256 of the body is signed, as every
    /// service but S3 does; [`verify`] computes it.
    BodySha256,
}

/// A signature found on a request, before it is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    pub access_key_id: String,
    /// `YYYYMMDD` from the scope.
    pub date: String,
    pub region: String,
    /// Signing name from the scope, e.g. `secretsmanager`, `sts`.
    pub service: String,
    /// Lowercase header names, in the order the client listed them.
    pub signed_headers: Vec<String>,
    /// Lowercase hex.
    pub signature: String,
    /// `X-Amz-Date` (or the `Date` header).
    pub request_time: time::OffsetDateTime,
    pub presigned: bool,
    /// `X-Amz-Expires` for presigned requests, when given.
    pub expires_secs: Option<u64>,
    /// `X-Amz-Security-Token` header or query parameter.
    pub session_token: Option<String>,
    pub payload: PayloadHash,
}

impl SignatureInfo {
    /// `20150830/us-east-1/iam/aws4_request`.
    pub fn credential_scope(&self) -> String {
        canonical::credential_scope(&self.date, &self.region, &self.service)
    }
}

/// The clocks and rules [`verify`] judges by.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// Real time: for the ±`max_skew` check on header signatures (and on presigned
    /// `X-Amz-Date`s in the future).
    pub wall_now: time::OffsetDateTime,
    /// Nimbus's (movable) clock: for presigned expiry.
    pub clock_now: time::OffsetDateTime,
    /// 15 minutes at AWS.
    pub max_skew: time::Duration,
    /// True for all services but S3.
    pub double_encode_path: bool,
}

impl VerifyOptions {
    /// AWS's rules for a non-S3 service, with both clocks at `now`.
    pub fn new(now: time::OffsetDateTime) -> Self {
        VerifyOptions {
            wall_now: now,
            clock_now: now,
            max_skew: DEFAULT_MAX_SKEW,
            double_encode_path: true,
        }
    }
}

/// AWS's allowed clock skew.
pub const DEFAULT_MAX_SKEW: time::Duration = time::Duration::minutes(15);
