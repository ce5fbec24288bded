//! The one outbound HTTP client of the binary: SNS deliveries to `http://` endpoints and OIDC
//! providers' discovery documents and keys. Plain HTTP/1.1 only: Nimbus has no TLS client.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// Why a call did not get an answer.
#[derive(Debug)]
pub enum CallError {
    /// The URL cannot be called at all (not `http://`, no host): retrying will not help.
    Unusable(String),
    /// Connecting, sending or reading failed, or the time ran out.
    Failed(String),
}

/// Sends one request and returns the status and the whole body, within `timeout`.
pub async fn call(
    method: http::Method,
    url: &str,
    headers: &[(String, String)],
    body: Bytes,
    timeout: Duration,
) -> Result<(http::StatusCode, Bytes), CallError> {
    let uri: http::Uri = url.parse().map_err(|e| CallError::Unusable(format!("{url} is not a URL: {e}")))?;
    if uri.scheme_str() != Some("http") {
        return Err(CallError::Unusable(format!("{url}: Nimbus calls http:// URLs only (no TLS client)")));
    }
    let host = uri.host().ok_or_else(|| CallError::Unusable(format!("{url} has no host")))?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let exchange = async {
        let stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| CallError::Failed(format!("connecting to {url}: {e}")))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| CallError::Failed(format!("{url}: {e}")))?;
        tokio::spawn(connection);
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let authority = match uri.port_u16() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let mut request = http::Request::builder().method(method).uri(path).header(http::header::HOST, authority);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request.body(Full::new(body)).map_err(|e| CallError::Unusable(format!("building the request to {url}: {e}")))?;
        let response = sender.send_request(request).await.map_err(|e| CallError::Failed(format!("{url}: {e}")))?;
        let status = response.status();
        let body = response.into_body().collect().await.map_err(|e| CallError::Failed(format!("{url}: {e}")))?.to_bytes();
        Ok((status, body))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| CallError::Failed(format!("{url} did not answer within {} s", timeout.as_secs())))?
}
