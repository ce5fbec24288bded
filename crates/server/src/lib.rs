//! The HTTP front of Nimbus: one listener for every service.
//!
//! ```text
//! TCP ── hyper ──> handle(): admin paths, access log
//!                    ├─ s3_route::is_s3 (request line + headers) ─> HttpService::handle (body unread)
//!                    └─ body read (size-limited) ─> dispatch::handle_aws():
//!                         classify → SigV4 → codec → Service::call → codec
//! ```
//! A panic inside a service becomes that request's 500 `InternalFailure` (see dispatch.rs); the
//! server keeps serving.

pub mod admin;
pub mod audit;
pub mod authorize;
pub mod classify;
pub mod credentials;
pub mod dispatch;
pub mod http_service;
pub mod s3_route;
pub mod sqs_queue_url;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::FutureExt;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use nimbus_core::{AuditSink, Authorizer, Clock, Service};
use nimbus_protocol::{HttpRequest, HttpResponse};
use nimbus_store::Store;
use tokio::net::TcpListener;

pub use authorize::PolicyAuthorizer;
pub use credentials::Credentials;
pub use http_service::{AdminPages, BoxError, HttpService, ResponseBody, Sweeper};

/// The store setting that keeps Nimbus's clock offset across restarts.
pub const CLOCK_OFFSET_SETTING: &str = "clock.offset_ms";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Known keys are verified; unknown keys are accepted unverified.
    Default,
    /// Unknown keys and unsigned requests are refused.
    Strict,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub default_region: String,
    pub account_id: String,
    pub auth_mode: AuthMode,
    /// Requests with larger bodies are refused with 413.
    pub max_body_bytes: usize,
}

/// Everything a request can reach.
pub struct Nimbus {
    pub config: Config,
    pub store: Store,
    pub clock: Clock,
    pub credentials: Arc<Credentials>,
    services: HashMap<&'static str, Arc<dyn Service>>,
    http_services: HashMap<&'static str, Arc<dyn HttpService>>,
    sweepers: Vec<Arc<dyn Sweeper>>,
    admin_pages: Vec<Arc<dyn AdminPages>>,
    authorizer: Option<Arc<dyn Authorizer>>,
    audit: Option<Arc<dyn AuditSink>>,
    started: Instant,
}

/// What a Nimbus serves: codec-driven services, raw-HTTP services (S3) and clock-driven sweepers.
#[derive(Default)]
pub struct ServiceSet {
    pub services: Vec<Arc<dyn Service>>,
    pub http_services: Vec<Arc<dyn HttpService>>,
    pub sweepers: Vec<Arc<dyn Sweeper>>,
    pub admin_pages: Vec<Arc<dyn AdminPages>>,
    /// Strict mode's decision point (`authorize::PolicyAuthorizer`); `None` allows everything.
    pub authorizer: Option<Arc<dyn Authorizer>>,
    /// Where every served call is recorded (CloudTrail's recorder); `None` records nothing.
    pub audit: Option<Arc<dyn AuditSink>>,
}

/// How often the sweepers run on their own (wall time).
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

impl Nimbus {
    pub fn new(config: Config, store: Store, clock: Clock, credentials: Arc<Credentials>, set: ServiceSet) -> Arc<Self> {
        let services = set.services.into_iter().map(|s| (s.model_name(), s)).collect();
        let http_services = set.http_services.into_iter().map(|s| (s.model_name(), s)).collect();
        Arc::new(Nimbus {
            config,
            store,
            clock,
            credentials,
            services,
            http_services,
            sweepers: set.sweepers,
            admin_pages: set.admin_pages,
            authorizer: set.authorizer,
            audit: set.audit,
            started: Instant::now(),
        })
    }

    /// The decision point for strict mode, if one is configured and enforcing.
    pub(crate) fn authorizer(&self) -> Option<&Arc<dyn Authorizer>> {
        self.authorizer.as_ref().filter(|a| a.enforcing())
    }

    /// Where served calls are recorded, if anywhere.
    pub(crate) fn audit(&self) -> Option<&Arc<dyn AuditSink>> {
        self.audit.as_ref()
    }

    pub fn service(&self, model_name: &str) -> Option<&Arc<dyn Service>> {
        self.services.get(model_name)
    }

    /// The service pages whose name is the first segment of `rest` (the path after `/_nimbus/`).
    pub(crate) fn admin_pages(&self, name: &str) -> Option<&Arc<dyn AdminPages>> {
        self.admin_pages.iter().find(|p| p.name() == name)
    }

    /// The service pages that claim `path` outside `/_nimbus/` (`/_aws/ses`).
    pub(crate) fn claiming_pages(&self, path: &str) -> Option<&Arc<dyn AdminPages>> {
        self.admin_pages.iter().find(|p| p.claimed_paths().iter().any(|c| http_service::claims(c, path)))
    }

    /// Whether a service's pages claim `path` (so it is an admin path, never a service's).
    pub fn claimed_admin_path(&self, path: &str) -> bool {
        self.claiming_pages(path.trim_end_matches('/')).is_some()
    }

    pub fn http_service(&self, model_name: &str) -> Option<&Arc<dyn HttpService>> {
        self.http_services.get(model_name)
    }

    /// Whether a service of this model name is served, either way.
    pub fn serves(&self, model_name: &str) -> bool {
        self.services.contains_key(model_name) || self.http_services.contains_key(model_name)
    }

    /// The implemented operations of a served service (empty when not served).
    pub fn implemented_operations(&self, model_name: &str) -> Vec<&'static str> {
        match (self.services.get(model_name), self.http_services.get(model_name)) {
            (Some(s), _) => s.operations().to_vec(),
            (None, Some(s)) => s.operations(),
            (None, None) => Vec::new(),
        }
    }

    /// Model names of everything served, sorted.
    pub fn served_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.services.keys().chain(self.http_services.keys()).copied().collect();
        names.sort_unstable();
        names
    }

    /// Runs every sweeper once; a panicking sweeper is logged and the others still run.
    pub async fn run_sweepers(&self) {
        for sweeper in &self.sweepers {
            if let Err(panic) = AssertUnwindSafe(sweeper.sweep()).catch_unwind().await {
                tracing::error!(sweeper = sweeper.name(), "sweeper panicked: {}", dispatch::panic_message(&panic));
            }
        }
    }

    pub fn services(&self) -> impl Iterator<Item = &Arc<dyn Service>> {
        let mut all: Vec<_> = self.services.values().collect();
        all.sort_by_key(|s| s.model_name());
        all.into_iter()
    }
}

/// Largest read buffer of a connection (request heads must fit: AWS allows 8 KiB of headers,
/// S3 2 KiB of user metadata).
const READ_BUFFER_MAX: usize = 128 * 1024;

/// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests finish
/// (for up to `drain`).
pub async fn serve(nimbus: Arc<Nimbus>, listener: TcpListener, shutdown: impl Future<Output = ()>, drain: Duration) {
    let mut builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    // A request body streams as slices of the connection's read buffer, and each slice keeps
    // its buffer alive until the last reader (S3's hashing and storing threads) drops it.
    // hyper's default ceiling (~400 KiB) let a large upload pin several MiB at once; 128 KiB
    // reads cost no measurable throughput and keep 8 concurrent 1 GiB uploads under 64 MiB.
    builder.http1().max_buf_size(READ_BUFFER_MAX);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut sweep_timer = tokio::time::interval_at(tokio::time::Instant::now() + SWEEP_INTERVAL, SWEEP_INTERVAL);
    sweep_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = sweep_timer.tick() => {
                let nimbus = nimbus.clone();
                tokio::spawn(async move { nimbus.run_sweepers().await });
            }
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let nimbus = nimbus.clone();
                let service = hyper::service::service_fn(move |req| {
                    let nimbus = nimbus.clone();
                    async move { Ok::<_, Infallible>(handle(nimbus, req, peer).await) }
                });
                let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection from {peer} ended: {e}");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown()).await.is_err() {
        tracing::warn!("in-flight requests still running after {drain:?}; closing anyway");
    }
}

async fn handle(nimbus: Arc<Nimbus>, mut req: http::Request<Incoming>, peer: SocketAddr) -> http::Response<ResponseBody> {
    let started = Instant::now();
    // Raw-HTTP services (S3) read the client's address here: policies' aws:SourceIp, event
    // notifications' sourceIPAddress.
    req.extensions_mut().insert(peer);
    if !admin::is_admin_path(req.uri().path())
        && !nimbus.claimed_admin_path(req.uri().path())
        && let Some(s3) = nimbus.http_service(s3_route::S3)
        && let s3_route::Route::S3 { signature } = s3_route::route(&req)
    {
        // What the audit record needs of the request (the S3 front notes the rest).
        let audit_request = nimbus.audit().map(|_| audit::S3Request {
            peer,
            region: signature.as_ref().map_or_else(|| nimbus.config.default_region.clone(), |s| s.region.clone()),
            default_account: nimbus.config.account_id.clone(),
            user_agent: req.headers().get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
        });
        if let Some(signature) = signature {
            req.extensions_mut().insert(*signature);
        }
        let (method, path) = (req.method().clone(), req.uri().path().to_owned());
        let mut response = match AssertUnwindSafe(s3.handle(req)).catch_unwind().await {
            Ok(response) => response,
            Err(panic) => {
                tracing::error!(service = "s3", "panic while serving: {}", dispatch::panic_message(&panic));
                s3_route::internal_error()
            }
        };
        // The front noted the operation and caller of calls it authenticated (`CallNote`).
        let note = response.extensions_mut().remove::<nimbus_core::CallNote>();
        let request_id = response.headers().get("x-amz-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
        if let (Some(sink), Some(audit_request), Some(note)) = (nimbus.audit(), audit_request, note)
            && sink.interest("s3", &note.operation).keeps()
        {
            sink.record(audit::s3_call(note, audit_request, request_id, nimbus.clock.now_millis()));
        }
        tracing::info!(
            target: "nimbus::access",
            request_id,
            service = "s3",
            operation = "-",
            status = response.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "{method} {path}"
        );
        return response;
    }
    let request_id = nimbus_core::ids::request_id();
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, nimbus.config.max_body_bytes).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let status = if e.is::<http_body_util::LengthLimitError>() { 413 } else { 400 };
            return plain(status, &format!("could not read the request body: {e}"));
        }
    };
    let req = HttpRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts.headers,
        body,
    };
    let (method, path) = (req.method.clone(), req.path.clone());
    let outcome = match admin::handle(&nimbus, &req) {
        Some(response) => {
            if admin::moves_clock(&req) && response.status.is_success() {
                nimbus.run_sweepers().await;
            }
            dispatch::Outcome { response, service: Some("nimbus".into()), operation: None }
        }
        None => dispatch::handle_aws(&nimbus, req, &request_id, Some(peer.ip())).await,
    };
    tracing::info!(
        target: "nimbus::access",
        request_id,
        service = outcome.service.as_deref().unwrap_or("-"),
        operation = outcome.operation.as_deref().unwrap_or("-"),
        status = outcome.response.status.as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "{method} {path}"
    );
    into_hyper(outcome.response)
}

fn into_hyper(response: HttpResponse) -> http::Response<ResponseBody> {
    let mut out = http::Response::new(full(response.body));
    *out.status_mut() = response.status;
    *out.headers_mut() = response.headers;
    out
}

/// A complete in-memory body, in the server's body type.
pub fn full(bytes: Bytes) -> ResponseBody {
    Full::new(bytes).map_err(|never| match never {}).boxed_unsync()
}

fn plain(status: u16, message: &str) -> http::Response<ResponseBody> {
    let mut out = http::Response::new(full(Bytes::from(message.to_owned())));
    *out.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST);
    out
}
