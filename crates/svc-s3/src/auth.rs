//! Who is calling: s3s verifies SigV4 with the secret [`NimbusAuth`] looks up; [`NimbusAccess`]
//! then checks what s3s cannot see (session token, expiry on Nimbus's clock), records the
//! caller's account for the backend in the request's extensions, and asks `access.rs` whether
//! the caller may do what it asks (bucket policy, ACLs, Block Public Access). Unsigned requests
//! are anonymous in both modes: they get what policies and ACLs give everyone.

use std::sync::Arc;

use nimbus_core::{Clock, Credential, CredentialRegistry};
use nimbus_store::Store;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Error, S3ErrorCode, S3Result};

use crate::access::{self, AccessRequest};
use crate::policy::Principal;

/// The account a request acts as, put into the request's extensions before the backend runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account_id: String,
    /// The access key, when the request carried one.
    pub access_key_id: Option<String>,
    /// The region of the signature's scope, when the front removed the signature (s3s then
    /// cannot tell it to the backend).
    pub region: Option<String>,
    /// The principal's unique id (`AIDA...`, `AROA...:session`; the account id for a root
    /// user), when the registry knows the key.
    pub user_id: Option<String>,
}

pub(crate) const INVALID_ACCESS_KEY_MESSAGE: &str =
    "The AWS Access Key Id you provided does not exist in our records.";

pub(crate) fn expired_token() -> S3Error {
    S3Error::with_message(S3ErrorCode::ExpiredToken, "The provided token has expired.")
}

pub(crate) fn invalid_token() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidToken,
        "The provided token is malformed or otherwise invalid.",
    )
}

pub(crate) fn request_expired() -> S3Error {
    S3Error::with_message(S3ErrorCode::AccessDenied, "Request has expired")
}

/// Secrets of the keys Nimbus knows. Unknown keys never get here in the default mode (the front
/// strips their signature first); in strict mode they are refused.
pub struct NimbusAuth {
    pub(crate) credentials: Arc<dyn CredentialRegistry>,
    pub(crate) clock: Clock,
}

#[async_trait::async_trait]
impl S3Auth for NimbusAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        let Some(credential) = self.credentials.lookup(access_key) else {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidAccessKeyId,
                INVALID_ACCESS_KEY_MESSAGE,
            ));
        };
        check_usable(&credential, &self.clock)?;
        Ok(SecretKey::from(credential.secret_access_key))
    }
}

/// A known key may sign only while it is active and, for temporary credentials, unexpired on
/// Nimbus's clock.
pub(crate) fn check_usable(credential: &Credential, clock: &Clock) -> S3Result<()> {
    if !credential.active {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidAccessKeyId,
            INVALID_ACCESS_KEY_MESSAGE,
        ));
    }
    if credential.expires_at_ms.is_some_and(|at| clock.now_millis() >= at) {
        return Err(expired_token());
    }
    Ok(())
}

/// Temporary credentials must come with their session token (`X-Amz-Security-Token`, header
/// or presigned query parameter).
pub(crate) fn check_session_token(credential: &Credential, token: Option<&str>) -> S3Result<()> {
    match &credential.session_token {
        Some(expected) if token != Some(expected.as_str()) => Err(invalid_token()),
        _ => Ok(()),
    }
}

pub struct NimbusAccess {
    pub(crate) credentials: Arc<dyn CredentialRegistry>,
    pub(crate) clock: Clock,
    pub(crate) store: Store,
    pub(crate) authorizer: crate::iam_authorize::AuthorizerSlot,
    pub(crate) audit_sink: crate::audit::AuditSinkSlot,
}

/// The account an anonymous request acts as where the backend needs one (multipart initiator).
pub(crate) const ANONYMOUS_ACCOUNT: &str = "anonymous";

#[async_trait::async_trait]
impl S3Access for NimbusAccess {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let principal = self.authenticate(cx)?;
        let caller = cx.extensions_mut().get::<Caller>().cloned();
        let audit_slot = cx.extensions_mut().get::<crate::audit::AuditSlot>().cloned();
        let source_ip = cx
            .extensions_mut()
            .get::<std::net::SocketAddr>()
            .map(|a| a.ip());
        let keys = access::ConditionKeys::of_request(&principal, cx.uri(), cx.headers(), source_ip);
        let operation = cx.s3_op().name();
        let bucket = cx.s3_path().get_bucket_name();
        let key = cx.s3_path().get_object_key();
        // The audit record's note, before any refusal: AWS records denied calls too.
        if let Some(slot) = &audit_slot {
            slot.name_operation(operation);
        }
        if let Some(slot) = &audit_slot
            && self.audit_sink.keeps(operation)
        {
            let host = cx.headers().get(http::header::HOST).and_then(|v| v.to_str().ok());
            slot.fill(crate::audit::note(operation, &principal, caller.as_ref(), bucket, key, host));
        }
        if let Some(authorizer) = self.authorizer.enforcing()
            && let Principal::Aws { arn, account } = &principal
        {
            let request = crate::iam_authorize::S3Request {
                operation,
                bucket,
                key,
                copy_source: cx.headers().get("x-amz-copy-source").and_then(|v| v.to_str().ok()).and_then(parse_copy_source),
                keys: keys.get(),
            };
            crate::iam_authorize::authorize(&*authorizer, &self.store, arn, account, caller.as_ref(), source_ip, &request)?;
        }
        access::decide(
            &self.store,
            &AccessRequest {
                principal: &principal,
                operation,
                bucket,
                key,
                keys: &keys,
            },
        )?;
        // A copy reads its source: the caller needs GetObject there too.
        if matches!(operation, "CopyObject" | "UploadPartCopy")
            && let Some((src_bucket, src_key)) = cx
                .headers()
                .get("x-amz-copy-source")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_copy_source)
        {
            access::decide(
                &self.store,
                &AccessRequest {
                    principal: &principal,
                    operation: "GetObject",
                    bucket: Some(&src_bucket),
                    key: Some(&src_key),
                    keys: &keys,
                },
            )?;
        }
        Ok(())
    }
}

impl NimbusAccess {
    /// Who the request is from, with the session token and presigned expiry checked (what s3s
    /// cannot see); records the [`Caller`] for the backend.
    fn authenticate(&self, cx: &mut S3AccessContext<'_>) -> S3Result<Principal> {
        let Some(access_key) = cx.credentials().map(|c| c.access_key.clone()) else {
            // The front removed the signature of an unknown key (default mode) and set the
            // Caller; otherwise the request is anonymous.
            if let Some(caller) = cx.extensions_mut().get::<Caller>() {
                return Ok(Principal::account_root(&caller.account_id));
            }
            cx.extensions_mut().insert(Caller {
                account_id: ANONYMOUS_ACCOUNT.to_owned(),
                access_key_id: None,
                region: None,
                user_id: None,
            });
            return Ok(Principal::Anonymous);
        };
        // s3s verified the signature with this key's secret; now what it does not check.
        let Some(credential) = self.credentials.lookup(&access_key) else {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidAccessKeyId,
                INVALID_ACCESS_KEY_MESSAGE,
            ));
        };
        let presigned = presigned_params(cx.uri());
        let token = match &presigned {
            Some(p) => p.session_token.clone(),
            None => cx
                .headers()
                .get("x-amz-security-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        check_session_token(&credential, token.as_deref())?;
        if let Some(p) = &presigned
            && p.expired_at(self.clock.now())
        {
            return Err(request_expired());
        }
        let principal = Principal::Aws {
            account: credential.account_id.clone(),
            arn: credential.principal_arn.clone(),
        };
        cx.extensions_mut().insert(Caller {
            account_id: credential.account_id,
            access_key_id: Some(access_key),
            region: None,
            user_id: Some(credential.user_id),
        });
        Ok(principal)
    }
}

/// `bucket/key` or `/bucket/key?versionId=…`, URL-encoded, as in `x-amz-copy-source`.
fn parse_copy_source(header: &str) -> Option<(String, String)> {
    let path = header.split('?').next().unwrap_or(header);
    let path = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8()
        .ok()?;
    let (bucket, key) = path.split_once('/')?;
    Some((bucket.to_owned(), key.to_owned()))
}

/// The presigning parameters of a SigV4 presigned URL.
#[derive(Debug, Clone)]
pub(crate) struct Presigned {
    pub date: Option<time::OffsetDateTime>,
    pub expires_secs: Option<i64>,
    pub session_token: Option<String>,
}

impl Presigned {
    pub fn expired_at(&self, now: time::OffsetDateTime) -> bool {
        match (self.date, self.expires_secs) {
            (Some(date), Some(secs)) => now > date + time::Duration::seconds(secs),
            _ => false,
        }
    }
}

/// `Some` when the query carries a presigned signature: SigV4 (`X-Amz-Signature`, expiry =
/// `X-Amz-Date` + `X-Amz-Expires`) or SigV2 (`Signature` + `Expires`, an absolute epoch second;
/// boto3 still presigns S3 URLs this way unless told `signature_version='s3v4'`).
pub(crate) fn presigned_params(uri: &http::Uri) -> Option<Presigned> {
    let query = uri.query()?;
    let mut signed = false;
    let mut v2_signed = false;
    let mut v2_expires: Option<i64> = None;
    let mut p = Presigned {
        date: None,
        expires_secs: None,
        session_token: None,
    };
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8_lossy()
            .into_owned();
        match name {
            "X-Amz-Signature" => signed = true,
            "X-Amz-Date" => p.date = parse_amz_date(&value),
            "X-Amz-Expires" => p.expires_secs = value.parse().ok(),
            "X-Amz-Security-Token" | "x-amz-security-token" => p.session_token = Some(value),
            "Signature" => v2_signed = true,
            "Expires" => v2_expires = value.parse().ok(),
            _ => {}
        }
    }
    if !signed && v2_signed {
        signed = true;
        p.date = Some(time::OffsetDateTime::UNIX_EPOCH);
        p.expires_secs = v2_expires;
    }
    signed.then_some(p)
}

/// `20130524T000000Z`.
pub(crate) fn parse_amz_date(text: &str) -> Option<time::OffsetDateTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|t| t.assume_utc())
}
