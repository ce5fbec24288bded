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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use nimbus_core::{Clock, CredentialRegistry, EventBus};
use nimbus_store::Store;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3Error, S3ErrorCode};

use crate::auth::{Caller, INVALID_ACCESS_KEY_MESSAGE, NimbusAccess, NimbusAuth, request_expired};
use crate::backend::{LifecycleReport, S3Backend};
use crate::host::NimbusHost;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// Query parameters of a SigV4 presigned URL.
pub(crate) const PRESIGN_PARAMS: &[&str] = &[
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
    /// The same backend the service calls, for work outside requests (lifecycle sweeps) and
    /// for the fast path of plain GETs (`fast_get.rs`).
    pub(crate) backend: S3Backend,
    pub(crate) store: Store,
    pub(crate) credentials: Arc<dyn CredentialRegistry>,
    pub(crate) clock: Clock,
    pub(crate) strict: bool,
    pub(crate) default_account: String,
    /// Strict mode's IAM decision point, shared with the access hook; set once by the binary.
    pub(crate) authorizer: crate::iam_authorize::AuthorizerSlot,
    /// CloudTrail's recorder, shared with the access hook (which notes only kept calls).
    pub(crate) audit_sink: crate::audit::AuditSinkSlot,
    /// Whether plain GETs may take `fast_get.rs` (on; tests turn it off to compare answers).
    pub(crate) fast_paths: AtomicBool,
    /// Requests the fast path answered.
    pub(crate) fast_path_served: AtomicU64,
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
            None,
        )
    }

    /// Like [`S3Front::new`], with the account unsigned/unknown-key requests act as, the
    /// region assumed when a request names none, and the event bus bucket notifications go
    /// through (`None`: configurations are stored, nothing is sent).
    pub fn with_defaults(
        store: Store,
        clock: Clock,
        credentials: Arc<dyn CredentialRegistry>,
        strict_auth: bool,
        default_account: &str,
        default_region: &str,
        event_bus: Option<Arc<dyn EventBus>>,
    ) -> Self {
        let mut backend = S3Backend::new(store.clone(), clock.clone())
            .with_default_account(default_account)
            .with_default_region(default_region);
        if let Some(bus) = event_bus {
            backend = backend.with_event_bus(bus);
        }
        let mut builder = S3ServiceBuilder::new(backend.clone());
        builder.set_host(NimbusHost);
        builder.set_config(Arc::new(s3s::config::StaticConfigProvider::new(Arc::new(s3s_config()))));
        builder.set_auth(NimbusAuth {
            credentials: credentials.clone(),
            clock: clock.clone(),
        });
        let authorizer = crate::iam_authorize::AuthorizerSlot::default();
        let audit_sink = crate::audit::AuditSinkSlot::default();
        builder.set_access(NimbusAccess {
            credentials: credentials.clone(),
            clock: clock.clone(),
            store: store.clone(),
            authorizer: authorizer.clone(),
            audit_sink: audit_sink.clone(),
        });
        S3Front {
            service: builder.build(),
            backend,
            store,
            credentials,
            clock,
            strict: strict_auth,
            default_account: default_account.to_owned(),
            authorizer,
            audit_sink,
            fast_paths: AtomicBool::new(true),
            fast_path_served: AtomicU64::new(0),
        }
    }

    /// Turns the fast path of plain GetObjects (`fast_get.rs`) on or off; every answer is the
    /// same either way (tests compare them), only the cost differs.
    pub fn set_fast_paths(&self, on: bool) {
        self.fast_paths.store(on, Ordering::Relaxed);
    }

    /// How many requests the fast path of plain GetObjects has answered.
    pub fn fast_path_served(&self) -> u64 {
        self.fast_path_served.load(Ordering::Relaxed)
    }

    /// Hands S3 the audit sink (CloudTrail's recorder): the access hook then notes the calls it
    /// keeps for the server to record. Without one, no call is noted.
    pub fn set_audit_sink(&self, sink: Arc<dyn nimbus_core::AuditSink>) {
        self.audit_sink.set(sink);
    }

    /// Hands S3 strict mode's IAM decision point: signed requests are then authorized against
    /// the caller's identity policies and the bucket policy (one engine for every service)
    /// before the bucket's own rules (ACLs, Block Public Access) apply.
    /// Encrypts SSE-KMS objects through KMS (`KeyManager`), with real data keys and S3 Bucket
    /// Keys. Without it, their data keys are wrapped by the store's master key.
    pub fn set_key_manager(&self, keys: Arc<dyn nimbus_core::KeyManager>) {
        self.backend.set_key_manager(keys);
    }

    pub fn set_authorizer(&self, authorizer: Arc<dyn nimbus_core::Authorizer>) {
        self.authorizer.set(authorizer);
    }

    /// Applies the buckets' lifecycle rules due at the clock's now (expirations, transitions,
    /// noncurrent-version expiry, expired delete markers, aborting stale multipart uploads).
    /// Idempotent, and cheap when nothing changed and nothing came due since the last run:
    /// call it on a timer and after moving the clock. Runs on tokio's blocking pool.
    pub async fn run_lifecycle(&self) -> LifecycleReport {
        let backend = self.backend.clone();
        tokio::task::spawn_blocking(move || backend.sweep_lifecycle())
            .await
            .unwrap_or_else(|e| {
                tracing::error!("lifecycle sweep panicked: {e}");
                LifecycleReport::default()
            })
    }

    /// Whether a bucket of this name exists (CloudTrail checks a trail's bucket).
    pub fn bucket_exists(&self, bucket: &str) -> bool {
        self.backend.bucket_exists(bucket).unwrap_or(false)
    }

    /// Takes an object from another service through the event bus
    /// ([`nimbus_core::Delivery::Object`]): written as the bucket's owner through the normal PUT
    /// path. A missing bucket is a permanent failure.
    pub async fn deliver(&self, delivery: &nimbus_core::Delivery) -> Result<(), nimbus_core::DeliveryError> {
        use nimbus_core::DeliveryError;
        let nimbus_core::Delivery::Object { bucket, key, body, content_type, content_encoding } = delivery else {
            return Err(DeliveryError::Permanent(format!("S3 takes objects, not {delivery:?}")));
        };
        let body = Bytes::from(body.clone());
        self.backend
            .put_object_internal(bucket, key, body, content_type, content_encoding.as_deref())
            .await
            .map_err(|e| match e.code() {
                S3ErrorCode::NoSuchBucket => DeliveryError::Permanent(format!("bucket {bucket} does not exist")),
                code => DeliveryError::Transient(format!("writing s3://{bucket}/{key}: {}", code.as_str())),
            })
    }

    pub async fn handle(
        &self,
        req: http::Request<hyper::body::Incoming>,
    ) -> http::Response<ResponseBody> {
        self.call(req.map(s3s::Body::from)).await
    }

    /// [`S3Front::handle`] for a body already in s3s's form.
    pub async fn call(&self, mut req: http::Request<s3s::Body>) -> http::Response<ResponseBody> {
        if let Some(response) = crate::fast_get::serve(self, &req) {
            return with_request_id(response.map(|body| body.boxed_unsync()), &nimbus_core::ids::request_id());
        }
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
        // Request metrics: one atomic load, unless some bucket has a metrics configuration.
        let metering = self
            .backend
            .request_metrics()
            .active(&self.store)
            .then(|| (std::time::Instant::now(), crate::request_metrics::upload_size(req.headers())));
        // Filled by the access hook for the call's audit record and, when metered, the metrics.
        let audit = if metering.is_some() { crate::audit::AuditSlot::naming_operation() } else { crate::audit::AuditSlot::default() };
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
            let form_upload = crate::post_form::is_form_upload(&req);
            let source_ip = req.extensions().get::<std::net::SocketAddr>().map(|a| a.ip());
            req.extensions_mut().insert(crate::notifications::RequestInfo {
                request_id: request_id.clone(),
                source_ip,
                form_upload,
            });
            req.extensions_mut().insert(audit.clone());
            let prepared = if form_upload {
                self.prepare_form_upload(&mut req).await
            } else {
                self.pre_authenticate(&mut req)
            };
            match prepared {
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
        let (operation, note) = audit.take(response.extensions().get::<crate::audit::ErrorInfo>());
        let metered = match (&metering, &target) {
            (Some((started, uploaded_bytes)), Some((bucket, key))) => {
                let outcome = crate::request_metrics::RequestOutcome {
                    key: key.as_deref(),
                    kind: crate::request_metrics::RequestKind::of(operation.as_deref(), &method, key.is_some()),
                    status: response.status().as_u16(),
                    uploaded_bytes: *uploaded_bytes,
                    started: *started,
                };
                self.backend.request_metrics().record(bucket, &outcome)
            }
            _ => Vec::new(),
        };
        let mut response = response.map(|body| body.boxed_unsync());
        if let Some(note) = note {
            response.extensions_mut().insert(note);
        }
        // An actual cross-origin request gets its CORS headers, errors included.
        if method != http::Method::OPTIONS
            && let (Some(origin), Some((bucket, _))) = (&origin, &target)
            && let Some(cors) =
                crate::cors::actual_request_headers(&self.store, bucket, origin, method.as_str())
        {
            response.headers_mut().extend(cors);
        }
        let response = with_request_id(response, &request_id);
        match metering {
            Some((started, _)) => crate::request_metrics::RequestMetrics::meter_body(response, started, metered),
            None => response,
        }
    }

    /// The `AWS/S3` request metrics (dimensions `BucketName`, `FilterId`) of every bucket
    /// metrics configuration that selected requests since the last call, timestamped now on
    /// Nimbus's clock and grouped by (bucket owner's account, bucket region). Counters restart
    /// from zero: call once a minute, as AWS publishes them.
    pub fn standard_metrics(&self) -> Vec<(String, String, Vec<nimbus_core::MetricDatum>)> {
        self.backend.request_metrics().datapoints(self.clock.now_millis())
    }

    /// Handles keys the registry does not know, before s3s looks at the signature.
    fn pre_authenticate(&self, req: &mut http::Request<s3s::Body>) -> Result<(), S3Error> {
        // The server's router has usually parsed the signature already (`s3_route::route`).
        let parsed = match req.extensions_mut().remove::<nimbus_auth::SignatureInfo>() {
            Some(sig) => Ok(Some(sig)),
            None => {
                let uri = req.uri().clone();
                nimbus_auth::parse(&nimbus_auth::RequestParts {
                    method: req.method().as_str(),
                    path: uri.path(),
                    query: uri.query().unwrap_or(""),
                    headers: req.headers(),
                })
            }
        };
        // Malformed SigV4 signatures are s3s's to judge.
        let Ok(Some(sig)) = parsed else {
            return self.pre_authenticate_v2(req);
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
            strip_query_params(req, PRESIGN_PARAMS)?;
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
            user_id: None,
        });
        Ok(())
    }
}

impl S3Front {
    /// [`S3Front::pre_authenticate`] for browser form uploads, whose credentials are form fields
    /// (see `post_form.rs`).
    async fn prepare_form_upload(&self, req: &mut http::Request<s3s::Body>) -> Result<(), S3Error> {
        let credentials = self.credentials.clone();
        let strict = self.strict;
        let drop_signature = |key: &str| {
            if credentials.lookup(key).is_some() {
                Ok(false)
            } else if strict {
                Err(S3Error::with_message(S3ErrorCode::InvalidAccessKeyId, INVALID_ACCESS_KEY_MESSAGE))
            } else {
                Ok(true)
            }
        };
        let form = crate::post_form::prepare(req, self.clock.now(), drop_signature).await?;
        if let Some(key) = form.access_key
            && self.credentials.lookup(&key).is_none()
        {
            req.extensions_mut().insert(Caller {
                account_id: account_for_key(&key, &self.default_account),
                access_key_id: Some(key),
                region: form.region,
                user_id: None,
            });
        }
        Ok(())
    }

    /// [`S3Front::pre_authenticate`] for SigV2 (`Authorization: AWS key:signature`, or
    /// `AWSAccessKeyId`/`Signature`/`Expires` in the query): unknown keys, as for SigV4.
    fn pre_authenticate_v2(&self, req: &mut http::Request<s3s::Body>) -> Result<(), S3Error> {
        let uri = req.uri().clone();
        let from_header = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|a| a.strip_prefix("AWS "))
            .and_then(|rest| rest.rsplit_once(':'))
            .map(|(key, _)| key.to_owned());
        let from_query = || {
            let query = uri.query().unwrap_or("");
            let has_signature = query.split('&').any(|p| p.starts_with("Signature="));
            query
                .split('&')
                .find_map(|p| p.strip_prefix("AWSAccessKeyId="))
                .filter(|_| has_signature)
                .map(|key| percent_encoding::percent_decode_str(key).decode_utf8_lossy().into_owned())
        };
        let presigned = from_header.is_none();
        let Some(access_key) = from_header.or_else(from_query) else {
            return Ok(());
        };
        if self.credentials.lookup(&access_key).is_some() {
            return bucket_root_with_slash(req);
        }
        if self.strict {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidAccessKeyId,
                INVALID_ACCESS_KEY_MESSAGE,
            ));
        }
        if presigned {
            if crate::auth::presigned_params(&uri).is_some_and(|p| p.expired_at(self.clock.now())) {
                return Err(request_expired());
            }
            strip_query_params(req, &["AWSAccessKeyId", "Signature", "Expires", "x-amz-security-token"])?;
        } else {
            req.headers_mut().remove(http::header::AUTHORIZATION);
        }
        req.extensions_mut().insert(Caller {
            account_id: account_for_key(&access_key, &self.default_account),
            access_key_id: Some(access_key),
            region: None,
            user_id: None,
        });
        Ok(())
    }
}

/// SigV2 signs a path-style request to a bucket (`PUT /bkt`) with the resource `/bkt/`, as AWS
/// documents and boto's signer does, while s3s 0.14.1 signs the path as sent. Adding the slash
/// makes both agree; s3s reads `/bkt/` as the same bucket.
fn bucket_root_with_slash(req: &mut http::Request<s3s::Body>) -> Result<(), S3Error> {
    let virtual_host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(crate::host::parse_virtual_host)
        .is_some();
    let path = req.uri().path();
    let one_segment = path.len() > 1 && !path[1..].contains('/');
    if virtual_host || !one_segment {
        return Ok(());
    }
    let uri = req.uri();
    let path_and_query = match uri.query() {
        Some(q) => format!("{}/?{q}", uri.path()),
        None => format!("{}/", uri.path()),
    };
    let mut builder = http::Uri::builder();
    if let Some(scheme) = uri.scheme() {
        builder = builder.scheme(scheme.clone());
    }
    if let Some(authority) = uri.authority() {
        builder = builder.authority(authority.clone());
    }
    *req.uri_mut() = builder.path_and_query(path_and_query).build().map_err(|_| {
        S3Error::with_message(S3ErrorCode::InvalidURI, "Couldn't parse the specified URI.")
    })?;
    Ok(())
}

/// Rewrites the request's URI without the named query parameters.
fn strip_query_params(req: &mut http::Request<s3s::Body>, names: &[&str]) -> Result<(), S3Error> {
    let uri = req.uri().clone();
    let query: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(n, _)| n);
            !pair.is_empty() && !names.contains(&name)
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
    *req.uri_mut() = builder.path_and_query(path_and_query).build().map_err(|_| {
        S3Error::with_message(S3ErrorCode::InvalidURI, "Couldn't parse the specified URI.")
    })?;
    Ok(())
}

/// Largest file of a browser form upload. s3s holds a form upload's file in memory while it
/// checks the policy (its design; every other S3 path streams), so Nimbus bounds it well below
/// AWS's 5 GB: larger uploads get `EntityTooLarge`. Browser uploads are rarely near this.
pub const MAX_FORM_UPLOAD_BYTES: u64 = 256 * 1024 * 1024;

fn s3s_config() -> s3s::config::S3Config {
    let mut config = s3s::config::S3Config::default();
    config.post_object_max_file_size = MAX_FORM_UPLOAD_BYTES;
    config
}

/// Adds the request's id and the host id derived from it, as every S3 response carries them.
fn with_request_id(mut response: http::Response<ResponseBody>, request_id: &str) -> http::Response<ResponseBody> {
    let headers = response.headers_mut();
    if let Ok(value) = http::HeaderValue::from_str(request_id) {
        headers.insert("x-amz-request-id", value);
    }
    if let Ok(value) = http::HeaderValue::from_str(&crate::errors::host_id(request_id)) {
        headers.insert("x-amz-id-2", value);
    }
    response
}

/// The bucket and key a REST request addresses (virtual-hosted or path style).
pub(crate) fn request_target(host: &str, path: &str) -> Option<(String, Option<String>)> {
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
pub(crate) fn account_for_key(access_key_id: &str, default_account: &str) -> String {
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
