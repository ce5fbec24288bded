//! Services that take the raw HTTP request instead of going through the protocol codecs.
//!
//! S3 is the one: its wire has its own crate (s3s), and its bodies stream to disk, so the server
//! must hand it the request *before* reading the body (see `s3_route.rs` for how S3 requests are
//! recognised from the request line and headers alone). The server keeps what it owns for every
//! service: admin paths, panic isolation, the access log. The service does its own SigV4 checks,
//! over the same credential registry and clock.

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body of every response the server sends.
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

pub trait HttpService: Send + Sync {
    /// The botocore model name (`s3`): coverage and health are reported under it.
    fn model_name(&self) -> &'static str;
    /// The operations implemented, named as in the model.
    fn operations(&self) -> Vec<&'static str>;
    fn handle(&self, req: http::Request<Incoming>) -> BoxFuture<'_, http::Response<ResponseBody>>;
}

/// Work that falls due on Nimbus's clock (S3 lifecycle rules, ...). The server runs every
/// sweeper once a minute and right after `POST /_nimbus/clock` moves the clock, before answering,
/// so a test that moves the clock sees the effects at once.
pub trait Sweeper: Send + Sync {
    fn name(&self) -> &'static str;
    fn sweep(&self) -> BoxFuture<'_, ()>;
}

/// A service's own pages under `/_nimbus/<name>/` (SNS's signing certificate and its email
/// mailbox, SES's mailbox): answered with bytes, outside any AWS protocol. Like every admin
/// path they are decided before classification.
pub trait AdminPages: Send + Sync {
    /// The path segment after `/_nimbus/` (`sns`).
    fn name(&self) -> &'static str;
    /// Answers `GET /_nimbus/<name><rest>?<query>` with (status, content type, body); `None`
    /// when there is no such page.
    fn get(&self, rest: &str, query: &str) -> Option<(u16, &'static str, Vec<u8>)>;
    /// Paths outside `/_nimbus/` these pages also answer, each with everything under it
    /// (`/_aws/ses`: LocalStack's endpoint that tests already call).
    fn claimed_paths(&self) -> &'static [&'static str] {
        &[]
    }
    /// Answers any method: `rest` is the path after `/_nimbus/<name>`, or the whole path for a
    /// claimed one. By default GETs go to [`AdminPages::get`] and other methods find nothing.
    fn handle(&self, method: &http::Method, rest: &str, query: &str, body: &[u8]) -> Option<(u16, &'static str, Vec<u8>)> {
        let _ = body;
        if method == http::Method::GET { self.get(rest, query) } else { None }
    }
}

/// Whether `path` is `claimed` or under it.
pub fn claims(claimed: &str, path: &str) -> bool {
    path.strip_prefix(claimed).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}
