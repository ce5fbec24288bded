//! Whether a request is for S3, decided from the request line and headers alone.
//!
//! S3 is the one service the server hands the *unread* request to (its bodies stream to disk and
//! may be gigabytes), so this runs before the body is read, and cannot look at it. The signals,
//! most certain first:
//! 1. a SigV4 scope (header or presigned query) names its signing service: `s3` or not;
//! 2. a SigV2 signature (`Authorization: AWS key:sig`, or `AWSAccessKeyId`+`Signature` in the
//!    query) is only ever S3's nowadays;
//! 3. `X-Amz-Target`, `Smithy-Protocol`, an `Action` parameter or a form-encoded POST body belong to
//!    the JSON, CBOR and query protocols, never to S3;
//! 4. the Host: an `s3` / `s3-*` label (`bkt.s3.localhost`, `bkt.s3-website-us-east-1.amazonaws.com`)
//!    means S3, another service's endpoint prefix means that service;
//! 5. an anonymous request that matches no other REST service's routes is S3's (public objects,
//!    CORS preflights, website pages, browser form uploads), unless it is a bare `GET /`.

use nimbus_protocol::{HttpRequest, Protocol};

/// The model name of S3 (its signing name too).
pub const S3: &str = "s3";

pub fn is_s3<B>(req: &http::Request<B>) -> bool {
    matches!(route(req), Route::S3 { .. })
}

/// Where the server sends a request.
pub enum Route {
    /// To S3, with the SigV4 signature read on the way if the request carries a well-formed
    /// one, so that S3 does not parse it a second time (the server puts it in the request's
    /// extensions; presigned GETs are S3's hottest path).
    S3 { signature: Option<Box<nimbus_auth::SignatureInfo>> },
    /// To the codec services.
    Other,
}

pub fn route<B>(req: &http::Request<B>) -> Route {
    let to = |s3: bool, signature| if s3 { Route::S3 { signature } } else { Route::Other };
    let path = req.uri().path();
    let query = req.uri().query().unwrap_or("");
    let auth_parts = nimbus_auth::RequestParts { method: req.method().as_str(), path, query, headers: req.headers() };
    match nimbus_auth::parse(&auth_parts) {
        Ok(Some(sig)) => return to(sig.service == S3, Some(Box::new(sig))),
        Ok(None) => {}
        // A malformed SigV4 signature: the scope, if readable, still says whose error to return.
        Err(_) => {
            if let Some(service) = raw_scope_service(req) {
                return to(service == S3, None);
            }
        }
    }
    to(unsigned_request_is_s3(req, path, query), None)
}

/// Signals 2-5 of the module docs, for a request without a readable SigV4 scope.
fn unsigned_request_is_s3<B>(req: &http::Request<B>, path: &str, query: &str) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if header("authorization").is_some_and(|a| a.starts_with("AWS ")) || has_params(query, &["AWSAccessKeyId", "Signature"]) {
        return true;
    }
    if header("x-amz-target").is_some() || header("smithy-protocol").is_some() || has_params(query, &["Action"]) {
        return false;
    }
    if header("content-type").is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded")) {
        return false;
    }
    if let Some(host) = header("host") {
        match host_service(host) {
            HostSays::S3 => return true,
            HostSays::Other => return false,
            HostSays::Nothing => {}
        }
    }
    if matches_other_rest_service(req) {
        return false;
    }
    !(path == "/" && req.method() == http::Method::GET)
}

/// The service of a SigV4 credential scope that `nimbus_auth::parse` refused as a whole.
fn raw_scope_service<B>(req: &http::Request<B>) -> Option<String> {
    let from_header = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .map(|rest| rest.split([',', ' ']).next().unwrap_or(rest).to_owned());
    let from_query = || {
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .find(|(k, _)| k == "X-Amz-Credential")
            .map(|(_, v)| v.into_owned())
    };
    let credential = from_header.or_else(from_query)?;
    // <key>/<date>/<region>/<service>/aws4_request
    credential.split('/').nth(3).map(str::to_owned)
}

fn has_params(query: &str, names: &[&str]) -> bool {
    names.iter().all(|name| form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == *name))
}

enum HostSays {
    S3,
    Other,
    Nothing,
}

/// `bkt.s3.localhost:4566`, `s3.us-east-1.amazonaws.com`, `bkt.s3-website.localhost.localstack.cloud`
/// name S3; `sqs.localhost` names SQS; `127.0.0.1:4566` and `localhost` name nothing.
fn host_service(host: &str) -> HostSays {
    let host = host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
    let host = host.to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || !host.contains('.') {
        return HostSays::Nothing;
    }
    if host.split('.').any(|label| label == S3 || label.starts_with("s3-")) {
        return HostSays::S3;
    }
    let first = host.split('.').next().unwrap_or_default();
    let names_service = nimbus_model::index().iter().any(|s| s.endpoint_prefix == first || s.signing_name == first);
    if names_service { HostSays::Other } else { HostSays::Nothing }
}

/// Whether an unsigned request matches a route of a REST service other than S3 (Lambda's
/// `/2015-03-31/functions`, API Gateway's `/v2/apis`, ...).
fn matches_other_rest_service<B>(req: &http::Request<B>) -> bool {
    let req = HttpRequest {
        method: req.method().clone(),
        path: req.uri().path().to_owned(),
        query: req.uri().query().unwrap_or_default().to_owned(),
        headers: req.headers().clone(),
        body: bytes::Bytes::new(),
    };
    nimbus_model::index().iter().filter(|s| s.name != S3).any(|s| {
        let protocol = s.protocols.first().and_then(|p| Protocol::from_model(p, s.json_version.as_deref()));
        let Some(protocol @ (Protocol::RestJson1 | Protocol::RestXml)) = protocol else { return false };
        nimbus_model::service(&s.name).is_some_and(|model| nimbus_protocol::operation_name(protocol, model, &req).is_some())
    })
}

/// S3's answer when its handler panicked: a 500 `InternalError` in S3's XML error shape.
pub fn internal_error() -> http::Response<crate::ResponseBody> {
    let request_id = nimbus_core::ids::request_id();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. \
         Please try again.</Message><RequestId>{request_id}</RequestId></Error>"
    );
    let mut response = http::Response::new(crate::full(body.into()));
    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    let headers = response.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/xml"));
    if let Ok(value) = http::HeaderValue::from_str(&request_id) {
        headers.insert("x-amz-request-id", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::Request<()> {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).unwrap()
    }

    const S3_SIG: &str = "AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
    const STS_SIG: &str = "AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";

    #[test]
    fn the_signing_scope_decides() {
        let date = ("x-amz-date", "20261122T000000Z");
        assert!(is_s3(&req("PUT", "/bucket/key", &[("authorization", S3_SIG), date, ("host", "127.0.0.1:4566")])));
        assert!(!is_s3(&req("POST", "/", &[("authorization", STS_SIG), date, ("host", "127.0.0.1:4566")])));
        // Presigned, and a scope nimbus_auth refuses as a whole (no SignedHeaders).
        let presigned = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20261122%2Fus-east-1%2Fs3%2Faws4_request\
                         &X-Amz-Date=20261122T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
        assert!(is_s3(&req("GET", presigned, &[])));
        let broken = "AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/s3/aws4_request, Signature=00";
        assert!(is_s3(&req("GET", "/b/k", &[("authorization", broken)])));
    }

    #[test]
    fn sigv2_is_s3() {
        assert!(is_s3(&req("GET", "/b/k", &[("authorization", "AWS test:c2lnbmF0dXJl")])));
        assert!(is_s3(&req("GET", "/b/k?AWSAccessKeyId=test&Expires=1&Signature=abc", &[])));
    }

    #[test]
    fn other_protocols_are_not_s3() {
        assert!(!is_s3(&req("POST", "/", &[("x-amz-target", "AmazonSQS.ListQueues")])));
        assert!(!is_s3(&req("POST", "/", &[("content-type", "application/x-www-form-urlencoded")])));
        assert!(!is_s3(&req("GET", "/?Action=ListQueues", &[])));
        assert!(!is_s3(&req("POST", "/service/X/operation/Y", &[("smithy-protocol", "rpc-v2-cbor")])));
    }

    #[test]
    fn hosts() {
        for host in ["bkt.s3.localhost:4566", "bkt.s3.us-east-1.localhost", "bkt.s3.localhost.localstack.cloud:4566",
            "bkt.s3.amazonaws.com", "bkt.s3.eu-west-1.amazonaws.com", "bkt.s3-website-us-east-1.amazonaws.com",
            "bkt.s3-website.localhost:4566", "s3.localhost.localstack.cloud"] {
            assert!(is_s3(&req("GET", "/", &[("host", host)])), "{host}");
        }
        assert!(!is_s3(&req("GET", "/x", &[("host", "sqs.us-east-1.localhost.localstack.cloud")])));
    }

    #[test]
    fn anonymous_requests_fall_to_s3_unless_another_rest_route_matches() {
        assert!(is_s3(&req("GET", "/public-bucket/index.html", &[("host", "127.0.0.1:4566")])));
        assert!(is_s3(&req("OPTIONS", "/bucket/key", &[("origin", "http://app.example")])));
        assert!(is_s3(&req("POST", "/bucket", &[("content-type", "multipart/form-data; boundary=x")])));
        assert!(!is_s3(&req("GET", "/2015-03-31/functions/", &[("host", "127.0.0.1:4566")])));
        // Nothing to go on at all: not S3 (the generic unclassified 400).
        assert!(!is_s3(&req("GET", "/", &[("host", "127.0.0.1:4566")])));
    }
}
