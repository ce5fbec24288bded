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
/// mailbox): plain GETs answered with bytes, outside any AWS protocol.
pub trait AdminPages: Send + Sync {
    /// The path segment after `/_nimbus/` (`sns`).
    fn name(&self) -> &'static str;
    /// Answers `GET /_nimbus/<name><rest>?<query>` with (status, content type, body); `None`
    /// when there is no such page.
    fn get(&self, rest: &str, query: &str) -> Option<(u16, &'static str, Vec<u8>)>;
}
