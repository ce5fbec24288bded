//! The authentication failures and how AWS reports each one.
//!
//! AWS names the same failure differently per protocol: query/XML services (STS, IAM,
//! SQS-query, ...) answer `SignatureDoesNotMatch` with HTTP 403, while JSON services
//! (Secrets Manager, SSM, DynamoDB, ...) answer `InvalidSignatureException` with HTTP 400.
//! So every variant carries the facts, and [`AuthError::code_for`] / [`AuthError::status_for`]
//! pick the wire form. See the crate docs for the sources.

/// Why a request failed authentication.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", self.code(), self.message())]
pub enum AuthError {
    /// The signature is malformed or incomplete: missing `Credential`/`SignedHeaders`/
    /// `Signature`, a bad credential scope, an unparsable date, an unsupported algorithm,
    /// `host` not signed, a bad `X-Amz-Expires`.
    IncompleteSignature { message: String },
    /// The signature we computed differs from the one sent. The canonical request and
    /// string to sign we computed are kept so they can be logged (AWS itself echoes them
    /// in some services' messages); [`AuthError::message`] does not include them.
    SignatureMismatch {
        canonical_request: String,
        string_to_sign: String,
    },
    /// A header-signed request dated more than the allowed skew before the server's time.
    /// Times are ISO-8601 basic (`20240101T000000Z`).
    SignatureExpired {
        request_time: String,
        earliest_allowed: String,
        server_time: String,
        max_skew_minutes: i64,
    },
    /// A request dated more than the allowed skew after the server's time.
    SignatureNotYetCurrent {
        request_time: String,
        latest_allowed: String,
        server_time: String,
        max_skew_minutes: i64,
    },
    /// The credential scope's date differs from the request's date.
    ScopeDateMismatch {
        scope_date: String,
        request_date: String,
        request_time: String,
    },
    /// A presigned request used after `X-Amz-Date + X-Amz-Expires`.
    PresignedUrlExpired {
        request_time: String,
        expired_at: String,
        server_time: String,
    },
    /// `x-amz-content-sha256` names a hash the body does not have.
    ContentSha256Mismatch { declared: String, computed: String },
    /// `x-amz-content-sha256` is neither a SHA-256 hex digest nor a known keyword.
    InvalidContentSha256 { value: String },
    /// No signature at all where one is required (the server decides that: [`crate::parse`]
    /// answers `Ok(None)` for anonymous requests).
    MissingAuthenticationToken,
    /// The access key id in the scope is unknown (for the server's key lookup to report).
    UnknownAccessKeyId { access_key_id: String },
    /// The session token is expired (for the server's session lookup to report).
    ExpiredToken,
    /// [`crate::sign_headers`] was given something that cannot go into a header.
    InvalidSigningInput { message: String },
}

/// AWS's text for a wrong signature (identical across services).
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

impl AuthError {
    /// AWS's error code for a query/XML-protocol service (STS, IAM, ...).
    /// Use [`AuthError::code_for`] with `true` for JSON-protocol services.
    pub fn code(&self) -> &'static str {
        self.code_for(false)
    }

    /// AWS's HTTP status for a query/XML-protocol service.
    pub fn status(&self) -> u16 {
        self.status_for(false)
    }

    /// AWS's error code for the protocol: `json_protocol` is true for awsJson services
    /// (Secrets Manager, SSM, ...), false for query/XML ones (STS, IAM, ...).
    pub fn code_for(&self, json_protocol: bool) -> &'static str {
        use AuthError::*;
        match (self, json_protocol) {
            (IncompleteSignature { .. }, false) => "IncompleteSignature",
            (IncompleteSignature { .. }, true) => "IncompleteSignatureException",
            (
                SignatureMismatch { .. }
                | SignatureExpired { .. }
                | SignatureNotYetCurrent { .. }
                | ScopeDateMismatch { .. },
                false,
            ) => "SignatureDoesNotMatch",
            (
                SignatureMismatch { .. }
                | SignatureExpired { .. }
                | SignatureNotYetCurrent { .. }
                | ScopeDateMismatch { .. },
                true,
            ) => "InvalidSignatureException",
            (PresignedUrlExpired { .. }, _) => "RequestExpired",
            (ContentSha256Mismatch { .. }, _) => "XAmzContentSHA256Mismatch",
            (InvalidContentSha256 { .. }, _) => "InvalidArgument",
            (MissingAuthenticationToken, false) => "MissingAuthenticationToken",
            (MissingAuthenticationToken, true) => "MissingAuthenticationTokenException",
            (UnknownAccessKeyId { .. }, false) => "InvalidClientTokenId",
            (UnknownAccessKeyId { .. }, true) => "UnrecognizedClientException",
            (ExpiredToken, false) => "ExpiredToken",
            (ExpiredToken, true) => "ExpiredTokenException",
            (InvalidSigningInput { .. }, _) => "InternalFailure",
        }
    }

    /// AWS's HTTP status for the protocol (see [`AuthError::code_for`]). JSON services answer
    /// client-side auth failures with 400 where query services use 403.
    pub fn status_for(&self, json_protocol: bool) -> u16 {
        use AuthError::*;
        match self {
            IncompleteSignature { .. }
            | PresignedUrlExpired { .. }
            | ContentSha256Mismatch { .. }
            | InvalidContentSha256 { .. } => 400,
            SignatureMismatch { .. }
            | SignatureExpired { .. }
            | SignatureNotYetCurrent { .. }
            | ScopeDateMismatch { .. }
            | MissingAuthenticationToken
            | UnknownAccessKeyId { .. }
            | ExpiredToken => {
                if json_protocol {
                    400
                } else {
                    403
                }
            }
            InvalidSigningInput { .. } => 500,
        }
    }

    /// AWS's message text (the same for both protocols except where noted).
    pub fn message(&self) -> String {
        self.message_for(false)
    }

    /// AWS's message text for the protocol; only `MissingAuthenticationToken` differs.
    pub fn message_for(&self, json_protocol: bool) -> String {
        use AuthError::*;
        match self {
            IncompleteSignature { message } | InvalidSigningInput { message } => message.clone(),
            SignatureMismatch { .. } => SIGNATURE_MISMATCH_MESSAGE.to_owned(),
            SignatureExpired {
                request_time,
                earliest_allowed,
                server_time,
                max_skew_minutes,
            } => format!(
                "Signature expired: {request_time} is now earlier than {earliest_allowed} ({server_time} - {max_skew_minutes} min.)"
            ),
            SignatureNotYetCurrent {
                request_time,
                latest_allowed,
                server_time,
                max_skew_minutes,
            } => format!(
                "Signature not yet current: {request_time} is still later than {latest_allowed} ({server_time} + {max_skew_minutes} min.)"
            ),
            ScopeDateMismatch {
                scope_date,
                request_date,
                request_time,
            } => format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_date}', from '{request_time}'."
            ),
            PresignedUrlExpired { .. } => "Request has expired.".to_owned(),
            ContentSha256Mismatch { .. } => {
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_owned()
            }
            InvalidContentSha256 { .. } => "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.".to_owned(),
            MissingAuthenticationToken => {
                if json_protocol {
                    "Missing Authentication Token".to_owned()
                } else {
                    "Request is missing Authentication Token".to_owned()
                }
            }
            UnknownAccessKeyId { .. } => {
                "The security token included in the request is invalid.".to_owned()
            }
            ExpiredToken => "The security token included in the request is expired".to_owned(),
        }
    }

    /// For a signature mismatch, what we computed, in the form AWS's query services append to
    /// their message: useful in debug logs to see how a client canonicalized differently.
    pub fn debug_detail(&self) -> Option<String> {
        match self {
            AuthError::SignatureMismatch {
                canonical_request,
                string_to_sign,
            } => Some(format!(
                "The Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            )),
            _ => None,
        }
    }

    pub(crate) fn incomplete(message: impl Into<String>) -> Self {
        AuthError::IncompleteSignature {
            message: message.into(),
        }
    }
}
