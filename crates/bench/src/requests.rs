//! The API calls the benchmark makes, signed once and replayed.
//!
//! A SigV4 signature stays valid for 15 minutes, so each request shape is signed when a
//! phase starts and the same bytes are sent again and again: the load generator spends its
//! CPU on HTTP, not on HMACs, and both servers see exactly what an SDK would send.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use nimbus_auth::{RequestParts, SigningParams, presign_query, sign_headers};

/// Nimbus always knows `test`/`test`; moto accepts any key.
const ACCESS_KEY_ID: &str = "test";
const SECRET_ACCESS_KEY: &str = "test";
const REGION: &str = "us-east-1";

pub const SECRET_NAME: &str = "nimbus-bench-secret";
pub const SECRET_VALUE: &str = "nimbus-bench-secret-value";
pub const PARAMETER_NAME: &str = "/nimbus-bench/parameter";
pub const PARAMETER_VALUE: &str = "nimbus-bench-parameter-value";

/// A request with its signature, ready to be sent any number of times while the signature
/// is valid (15 minutes with headers, a presigned URL's own expiry otherwise).
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// What the request does, for error messages.
    pub label: &'static str,
    pub method: Method,
    /// Path and query string, as sent (origin form: the `Host` header names the server).
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl SignedRequest {
    pub fn to_http(&self) -> Request<Full<Bytes>> {
        self.to_http_with(Full::new(self.body.clone()))
    }

    /// The request with another body: a streamed one, for large transfers, whose bytes
    /// were not signed (`UNSIGNED-PAYLOAD`).
    pub fn to_http_with<B>(&self, body: B) -> Request<B> {
        let mut request = Request::new(body);
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// `sts:GetCallerIdentity`: the cheapest real API call both servers answer, used to tell
/// when a server is ready.
pub fn get_caller_identity(addr: SocketAddr) -> anyhow::Result<SignedRequest> {
    sign(
        "sts:GetCallerIdentity",
        addr,
        "sts",
        "application/x-www-form-urlencoded; charset=utf-8",
        None,
        "Action=GetCallerIdentity&Version=2011-06-15".into(),
    )
}

pub fn create_secret(addr: SocketAddr) -> anyhow::Result<SignedRequest> {
    let body = serde_json::json!({ "Name": SECRET_NAME, "SecretString": SECRET_VALUE });
    json_call(
        "secretsmanager:CreateSecret",
        addr,
        "secretsmanager",
        "secretsmanager.CreateSecret",
        &body,
    )
}

pub fn get_secret_value(addr: SocketAddr) -> anyhow::Result<SignedRequest> {
    let body = serde_json::json!({ "SecretId": SECRET_NAME });
    json_call(
        "secretsmanager:GetSecretValue",
        addr,
        "secretsmanager",
        "secretsmanager.GetSecretValue",
        &body,
    )
}

pub fn put_parameter(addr: SocketAddr) -> anyhow::Result<SignedRequest> {
    let body =
        serde_json::json!({ "Name": PARAMETER_NAME, "Value": PARAMETER_VALUE, "Type": "String" });
    json_call(
        "ssm:PutParameter",
        addr,
        "ssm",
        "AmazonSSM.PutParameter",
        &body,
    )
}

pub fn get_parameter(addr: SocketAddr) -> anyhow::Result<SignedRequest> {
    let body = serde_json::json!({ "Name": PARAMETER_NAME });
    json_call(
        "ssm:GetParameter",
        addr,
        "ssm",
        "AmazonSSM.GetParameter",
        &body,
    )
}

fn json_call(
    label: &'static str,
    addr: SocketAddr,
    signing_name: &str,
    target: &str,
    body: &serde_json::Value,
) -> anyhow::Result<SignedRequest> {
    let body = serde_json::to_vec(body)?;
    sign(
        label,
        addr,
        signing_name,
        "application/x-amz-json-1.1",
        Some(target),
        body,
    )
}

/// Signs what botocore would sign: `host`, `content-type`, `x-amz-date` and, for JSON
/// services, `x-amz-target`.
fn sign(
    label: &'static str,
    addr: SocketAddr,
    signing_name: &str,
    content_type: &'static str,
    target: Option<&str>,
    body: Vec<u8>,
) -> anyhow::Result<SignedRequest> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    if let Some(target) = target {
        headers.insert("x-amz-target", HeaderValue::from_str(target)?);
    }
    sign_with_headers(
        addr,
        ToSign {
            label,
            service: signing_name,
            method: Method::POST,
            path: "/",
            query: "",
            headers,
            body: body.into(),
            content_sha256: ContentSha256::Absent,
        },
    )
}

/// What `x-amz-content-sha256` says in a header-signed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentSha256 {
    /// No such header, as SDKs send to JSON and query services (the body's hash is still
    /// part of the signature).
    Absent,
    /// The body's SHA-256 in hex, as boto3 sends to S3 over plain HTTP.
    OfBody,
    /// `UNSIGNED-PAYLOAD`: the body is not signed, so it may be streamed later.
    Unsigned,
}

/// A request before its `Authorization` header.
pub struct ToSign<'a> {
    /// What the request does, for error messages.
    pub label: &'static str,
    /// The signing name: `s3`, `sts`, ...
    pub service: &'a str,
    pub method: Method,
    pub path: &'a str,
    /// Already encoded, without the `?`.
    pub query: &'a str,
    /// Every one is signed; `Host` is added.
    pub headers: HeaderMap,
    /// The bytes sent with the request; with [`ContentSha256::Unsigned`], usually empty and
    /// replaced by a streamed body (see [`SignedRequest::to_http_with`]).
    pub body: Bytes,
    pub content_sha256: ContentSha256,
}

/// Signs a request with an `Authorization` header over all its headers plus `Host` (added
/// here: hyper's low-level client sends only the headers it is given).
pub fn sign_with_headers(addr: SocketAddr, request: ToSign) -> anyhow::Result<SignedRequest> {
    let ToSign {
        label,
        service,
        method,
        path,
        query,
        mut headers,
        body,
        content_sha256,
    } = request;
    headers.insert(
        http::header::HOST,
        HeaderValue::from_str(&addr.to_string())?,
    );
    if content_sha256 == ContentSha256::Unsigned {
        headers.insert(
            "x-amz-content-sha256",
            HeaderValue::from_static("UNSIGNED-PAYLOAD"),
        );
    }
    let parts = RequestParts {
        method: method.as_str(),
        path,
        query,
        headers: &headers,
    };
    // With the header already set (unsigned), sign_headers signs its value as is.
    let add_content_sha256 = content_sha256 != ContentSha256::Absent;
    let added = sign_headers(&parts, &body, &signing_params(service), add_content_sha256)
        .with_context(|| format!("signing {label}"))?;
    headers.extend(added);
    Ok(SignedRequest {
        label,
        method,
        uri: origin_form(path, query)?,
        headers,
        body,
    })
}

/// A presigned URL's request (S3's way: only `Host` is signed, `UNSIGNED-PAYLOAD`), valid
/// for `expires_secs`.
pub fn presign(
    label: &'static str,
    addr: SocketAddr,
    method: Method,
    path: &str,
    expires_secs: u64,
) -> anyhow::Result<SignedRequest> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::HOST,
        HeaderValue::from_str(&addr.to_string())?,
    );
    let parts = RequestParts {
        method: method.as_str(),
        path,
        query: "",
        headers: &headers,
    };
    let query = presign_query(&parts, &signing_params("s3"), expires_secs);
    Ok(SignedRequest {
        label,
        method,
        uri: origin_form(path, &query)?,
        headers,
        body: Bytes::new(),
    })
}

fn signing_params(service: &str) -> SigningParams<'_> {
    SigningParams {
        access_key_id: ACCESS_KEY_ID,
        secret_access_key: SECRET_ACCESS_KEY,
        session_token: None,
        region: REGION,
        service,
        time: time::OffsetDateTime::now_utc(),
        // S3 signs the path as sent; every other service encodes it twice.
        double_encode_path: service != "s3",
    }
}

fn origin_form(path: &str, query: &str) -> anyhow::Result<Uri> {
    let text = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    text.parse()
        .with_context(|| format!("{text:?} is not a request target"))
}

/// Opens one keep-alive HTTP/1.1 connection; its driver runs as a task of its own.
pub async fn connect<B>(addr: SocketAddr) -> anyhow::Result<SendRequest<B>>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = tokio::net::TcpStream::connect(addr).await?;
    // Requests are small and sent one at a time per connection: Nagle would only add delay.
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        // A connection that fails surfaces as an error on the sender; nothing to add here.
        let _ = connection.await;
    });
    Ok(sender)
}

/// A response, read to the end.
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
    /// False when the server said `Connection: close`: the next request needs a new
    /// connection. moto's server (Werkzeug) says so on every answer.
    pub keep_alive: bool,
}

/// Sends one request on an open connection and reads the whole response.
pub async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    request: &SignedRequest,
) -> anyhow::Result<Answer> {
    sender.ready().await?;
    let response = sender.send_request(request.to_http()).await?;
    let status = response.status();
    let keep_alive = !response
        .headers()
        .get_all(http::header::CONNECTION)
        .iter()
        .any(|value| {
            value.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|token| token.trim().eq_ignore_ascii_case("close"))
            })
        });
    let body = response.into_body().collect().await?.to_bytes();
    Ok(Answer {
        status,
        body,
        keep_alive,
    })
}

/// One request on a fresh connection: for setup calls and readiness polls.
pub async fn send_once(addr: SocketAddr, request: &SignedRequest) -> anyhow::Result<Answer> {
    let mut sender = connect(addr).await?;
    send(&mut sender, request).await
}

/// Sends a setup call and insists on 200.
pub async fn expect_ok(addr: SocketAddr, request: &SignedRequest) -> anyhow::Result<Bytes> {
    let answer = send_once(addr, request)
        .await
        .with_context(|| format!("{} to {addr}", request.label))?;
    if answer.status != StatusCode::OK {
        bail!(
            "{} to {addr} answered {}: {}",
            request.label,
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
    Ok(answer.body)
}
