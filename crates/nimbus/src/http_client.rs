//! The one outbound HTTP client of the binary: SNS deliveries to `http://` and `https://`
//! endpoints and OIDC providers' discovery documents and keys. HTTP/1.1, over TLS (rustls with
//! aws-lc) for `https://`.
//!
//! TLS trusts the system's certificate store, read once (`rustls-native-certs`: the files under
//! `/etc/ssl/certs`, or the bundle named by `SSL_CERT_FILE` / the directory `SSL_CERT_DIR`, as
//! OpenSSL-based tools do), so a development endpoint with its own CA is trusted by pointing
//! `SSL_CERT_FILE` at a bundle that includes it. Certificates are verified (chain, name, expiry)
//! as a real AWS delivery would: a failed handshake is a failed delivery, retried by policy.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;

/// Why a call did not get an answer.
#[derive(Debug)]
pub enum CallError {
    /// The URL cannot be called at all (not `http://` or `https://`, no host): retrying will not
    /// help.
    Unusable(String),
    /// Connecting, the TLS handshake, sending or reading failed, or the time ran out.
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
    let tls = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err(CallError::Unusable(format!("{url}: Nimbus calls http:// and https:// URLs only"))),
    };
    let host = uri.host().ok_or_else(|| CallError::Unusable(format!("{url} has no host")))?.to_owned();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = match uri.port_u16() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let mut request = http::Request::builder().method(method).uri(path).header(http::header::HOST, authority);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .body(Full::new(body))
        .map_err(|e| CallError::Unusable(format!("building the request to {url}: {e}")))?;
    // An IPv6 literal arrives bracketed in the URI; sockets and certificate names want it bare.
    let bare_host = host.trim_start_matches('[').trim_end_matches(']').to_owned();

    let exchange = async {
        let stream = tokio::net::TcpStream::connect((bare_host.as_str(), port))
            .await
            .map_err(|e| CallError::Failed(format!("connecting to {url}: {e}")))?;
        if !tls {
            return exchange(TokioIo::new(stream), request, url).await;
        }
        let name = ServerName::try_from(bare_host.clone())
            .map_err(|e| CallError::Unusable(format!("{url}: {bare_host:?} is not a TLS server name: {e}")))?;
        let stream = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, stream)
            .await
            .map_err(|e| CallError::Failed(format!("TLS handshake with {url}: {e}")))?;
        exchange(TokioIo::new(stream), request, url).await
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| CallError::Failed(format!("{url} did not answer within {} s", timeout.as_secs())))?
}

/// One HTTP/1.1 request and its whole answer over an open connection (plain or TLS).
async fn exchange<Io>(
    io: Io,
    request: http::Request<Full<Bytes>>,
    url: &str,
) -> Result<(http::StatusCode, Bytes), CallError>
where
    Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(io).await.map_err(|e| CallError::Failed(format!("{url}: {e}")))?;
    tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(|e| CallError::Failed(format!("{url}: {e}")))?;
    let status = response.status();
    let body = response.into_body().collect().await.map_err(|e| CallError::Failed(format!("{url}: {e}")))?.to_bytes();
    Ok((status, body))
}

/// The TLS client settings, built on first use: the system's trust roots (read once; see the
/// module docs), aws-lc's cipher suites, HTTP/1.1 announced by ALPN.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let loaded = rustls_native_certs::load_native_certs();
            for error in &loaded.errors {
                tracing::warn!("reading the system's trusted certificates: {error}");
            }
            let mut roots = rustls::RootCertStore::empty();
            let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
            if ignored > 0 {
                tracing::warn!("{ignored} of the system's trusted certificates could not be parsed");
            }
            if added == 0 {
                tracing::warn!("no trusted CA certificates found: https:// calls will fail (set SSL_CERT_FILE)");
            }
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("aws-lc's provider supports TLS 1.2 and 1.3")
                .with_root_certificates(roots)
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
}
