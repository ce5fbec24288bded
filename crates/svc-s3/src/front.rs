//! [`S3Front`]: what the server calls for S3 requests, without knowing s3s.
//!
//! Authentication, the s3s way plus Nimbus's default mode:
//! * a key the registry knows: s3s verifies the signature (header, presigned, aws-chunked
//!   chunk signatures) with the secret [`NimbusAuth`] returns; [`NimbusAccess`] then checks the
//!   session token and expiry on Nimbus's clock;
//! * an unknown key, default mode: s3s cannot verify without a secret, so the front removes the
//!   signature (the `Authorization` header, or the `X-Amz-*` parameters of a presigned URL)
//!   before s3s sees the request and records the caller itself; an aws-chunked body of such a
//!   request is decoded here (`chunked.rs`), its chunk signatures unverifiable like the rest;
//! * an unknown key, strict mode: `InvalidAccessKeyId`;
//! * unsigned requests, either mode: anonymous; `access.rs` decides what they may do (bucket
//!   policy, ACLs, Block Public Access), as on AWS.
//!
//! Before s3s, the front also answers what s3s does not route: requests to a website endpoint
//! Host (`website.rs`) and CORS preflights (`OPTIONS`, `cors.rs`); on the way out it adds the
//! CORS headers of a request whose `Origin` a bucket rule allows.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use nimbus_core::{Clock, CredentialRegistry};
use nimbus_store::Store;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3Error, S3ErrorCode};

use crate::auth::{Caller, INVALID_ACCESS_KEY_MESSAGE, NimbusAccess, NimbusAuth, request_expired};
use crate::backend::S3Backend;
use crate::host::NimbusHost;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// Query parameters of a SigV4 presigned URL.
const PRESIGN_PARAMS: &[&str] = &[
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

pub struct S3Front {
    service: S3Service,
    store: Store,
    credentials: Arc<dyn CredentialRegistry>,
    clock: Clock,
    strict: bool,
    default_account: String,
}

impl S3Front {
    pub fn new(
        store: Store,
        clock: Clock,
        credentials: Arc<dyn CredentialRegistry>,
        strict_auth: bool,
    ) -> Self {
        Self::with_defaults(
            store,
            clock,
            credentials,
            strict_auth,
            nimbus_core::DEFAULT_ACCOUNT_ID,
            nimbus_core::DEFAULT_REGION,
        )
    }

    /// Like [`S3Front::new`], with the account unsigned/unknown-key requests act as and the
    /// region assumed when a request names none.
    pub fn with_defaults(
        store: Store,
        clock: Clock,
        credentials: Arc<dyn CredentialRegistry>,
        strict_auth: bool,
        default_account: &str,
        default_region: &str,
    ) -> Self {
        let backend = S3Backend::new(store.clone(), clock.clone())
            .with_default_account(default_account)
            .with_default_region(default_region);
        let mut builder = S3ServiceBuilder::new(backend);
        builder.set_host(NimbusHost);
        builder.set_auth(NimbusAuth {
            credentials: credentials.clone(),
            clock: clock.clone(),
        });
        builder.set_access(NimbusAccess {
            credentials: credentials.clone(),
            clock: clock.clone(),
            store: store.clone(),
        });
        S3Front {
            service: builder.build(),
            store,
            credentials,
            clock,
            strict: strict_auth,
            default_account: default_account.to_owned(),
        }
    }

    pub async fn handle(
        &self,
        req: http::Request<hyper::body::Incoming>,
    ) -> http::Response<ResponseBody> {
        self.call(req.map(s3s::Body::from)).await
    }

    /// [`S3Front::handle`] for a body already in s3s's form.
    pub async fn call(&self, mut req: http::Request<s3s::Body>) -> http::Response<ResponseBody> {
        let request_id = nimbus_core::ids::request_id();
        let resource = req.uri().path().to_owned();
        let host = req
            .headers()
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let origin = req
            .headers()
            .get(http::header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let method = req.method().clone();
        let target = request_target(&host, req.uri().path());
        let response = if let Some(bucket) = crate::host::parse_website_host(&host) {
            crate::website::serve(&self.service, &self.store, &bucket, &req, &request_id).await
        } else if method == http::Method::OPTIONS {
            // s3s does not route OPTIONS: CORS preflights are answered here.
            match &target {
                Some((bucket, key)) => {
                    crate::cors::preflight(&self.store, bucket, key.as_deref(), req.headers())
                }
                None => error_response(S3Error::with_message(
                    S3ErrorCode::MethodNotAllowed,
                    "The specified method is not allowed against this resource.",
                )),
            }
        } else {
            match self.pre_authenticate(&mut req) {
                Err(e) => error_response(e),
                Ok(()) => match self.service.call(req).await {
                    Ok(resp) => resp,
                    Err(e) => {
                        tracing::error!("s3 request failed: {e:?}");
                        error_response(S3Error::new(S3ErrorCode::InternalError))
                    }
                },
            }
        };
        let response = crate::errors::complete(response, &resource, &request_id).await;
        let mut response = response.map(|body| body.boxed_unsync());
        // An actual cross-origin request gets its CORS headers, errors included.
        if method != http::Method::OPTIONS
            && let (Some(origin), Some((bucket, _))) = (&origin, &target)
            && let Some(cors) =
                crate::cors::actual_request_headers(&self.store, bucket, origin, method.as_str())
        {
            response.headers_mut().extend(cors);
        }
        let headers = response.headers_mut();
        if let Ok(value) = http::HeaderValue::from_str(&request_id) {
            headers.insert("x-amz-request-id", value);
        }
        if let Ok(value) = http::HeaderValue::from_str(&crate::errors::host_id(&request_id)) {
            headers.insert("x-amz-id-2", value);
        }
        response
    }

    /// Handles keys the registry does not know, before s3s looks at the signature.
    fn pre_authenticate(&self, req: &mut http::Request<s3s::Body>) -> Result<(), S3Error> {
        let uri = req.uri().clone();
        let parts = nimbus_auth::RequestParts {
            method: req.method().as_str(),
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            headers: req.headers(),
        };
        // Malformed or SigV2 signatures are s3s's to judge.
        let Ok(Some(sig)) = nimbus_auth::parse(&parts) else {
            return Ok(());
        };
        if self.credentials.lookup(&sig.access_key_id).is_some() {
            return Ok(());
        }
        if self.strict {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidAccessKeyId,
                INVALID_ACCESS_KEY_MESSAGE,
            ));
        }
        if sig.presigned
            && let Some(secs) = sig.expires_secs
            && self.clock.now()
                > sig.request_time
                    + time::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX))
        {
            return Err(request_expired());
        }
        if sig.presigned {
            let query: Vec<&str> = uri
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|pair| {
                    let name = pair.split_once('=').map_or(*pair, |(n, _)| n);
                    !pair.is_empty() && !PRESIGN_PARAMS.contains(&name)
                })
                .collect();
            let path_and_query = if query.is_empty() {
                uri.path().to_owned()
            } else {
                format!("{}?{}", uri.path(), query.join("&"))
            };
            let mut builder = http::Uri::builder();
            if let Some(scheme) = uri.scheme() {
                builder = builder.scheme(scheme.clone());
            }
            if let Some(authority) = uri.authority() {
                builder = builder.authority(authority.clone());
            }
            *req.uri_mut() = builder
                .path_and_query(path_and_query)
                .build()
                .map_err(|_| {
                    S3Error::with_message(
                        S3ErrorCode::InvalidURI,
                        "Couldn't parse the specified URI.",
                    )
                })?;
        } else {
            req.headers_mut().remove(http::header::AUTHORIZATION);
            if sig.payload == nimbus_auth::PayloadHash::StreamingSigned {
                crate::chunked::decode_request(req)?;
            }
        }
        req.extensions_mut().insert(Caller {
            account_id: account_for_key(&sig.access_key_id, &self.default_account),
            access_key_id: Some(sig.access_key_id.clone()),
            region: Some(sig.region.clone()),
        });
        Ok(())
    }
}

/// The bucket and key a REST request addresses (virtual-hosted or path style).
fn request_target(host: &str, path: &str) -> Option<(String, Option<String>)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    if let Some((bucket, _)) = crate::host::parse_virtual_host(host) {
        return Some((bucket, (!path.is_empty()).then(|| decode(path))));
    }
    if crate::host::parse_website_host(host).is_some() {
        return None;
    }
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    (!bucket.is_empty()).then(|| (decode(bucket), (!key.is_empty()).then(|| decode(key))))
}

/// A 12-digit access key id is its own account (as the server does for other services).
fn account_for_key(access_key_id: &str, default_account: &str) -> String {
    if access_key_id.len() == 12 && access_key_id.bytes().all(|b| b.is_ascii_digit()) {
        access_key_id.to_owned()
    } else {
        default_account.to_owned()
    }
}

fn error_response(e: S3Error) -> http::Response<s3s::Body> {
    e.to_http_response().unwrap_or_else(|_| {
        let mut resp = http::Response::new(s3s::Body::empty());
        *resp.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        resp
    })
}
