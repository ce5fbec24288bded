//! The event bus behind [`nimbus_core::EventBus`]: routes a delivery to the service that takes
//! it (SQS queues in process) or makes the HTTP call (SNS http subscriptions). Service crates
//! only know the trait; this is the one place that knows them all.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use nimbus_core::{Delivery, DeliveryError, EventBus};
use nimbus_svc_sns::Sns;
use nimbus_svc_sqs::Sqs;

/// How long an HTTP endpoint has to answer (AWS allows 15 seconds).
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

pub struct Bus {
    pub sqs: Arc<Sqs>,
    /// Set once SNS exists (SNS itself is built with this bus).
    pub sns: std::sync::OnceLock<Arc<Sns>>,
}

#[async_trait::async_trait]
impl EventBus for Bus {
    async fn deliver(&self, delivery: &Delivery) -> Result<(), DeliveryError> {
        match delivery {
            Delivery::Queue { .. } => self.sqs.deliver(delivery).await.map_err(DeliveryError::from),
            Delivery::Topic { .. } => match self.sns.get() {
                Some(sns) => sns.deliver(delivery).await.map_err(DeliveryError::from),
                None => Err(DeliveryError::Transient("SNS is not running yet".into())),
            },
            Delivery::Http { url, headers, body } => post(url, headers, body).await,
        }
    }
}

/// POSTs a notification; 2xx is delivered, 4xx refused for good (as AWS treats it), anything
/// else is retried.
async fn post(url: &str, headers: &[(String, String)], body: &str) -> Result<(), DeliveryError> {
    let uri: http::Uri = url.parse().map_err(|e| DeliveryError::Permanent(format!("endpoint {url} is not a URL: {e}")))?;
    if uri.scheme_str() != Some("http") {
        return Err(DeliveryError::Permanent(format!("{url}: Nimbus delivers to http:// endpoints only (no TLS client)")));
    }
    let host = uri.host().ok_or_else(|| DeliveryError::Permanent(format!("endpoint {url} has no host")))?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let call = async {
        let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| DeliveryError::Transient(format!("connecting to {url}: {e}")))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| DeliveryError::Transient(format!("{url}: {e}")))?;
        tokio::spawn(connection);
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = http::Request::post(path).header(http::header::HOST, authority(&host, uri.port_u16()));
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| DeliveryError::Permanent(format!("building the request to {url}: {e}")))?;
        let response = sender.send_request(request).await.map_err(|e| DeliveryError::Transient(format!("{url}: {e}")))?;
        let status = response.status();
        let _ = response.into_body().collect().await;
        match status.as_u16() {
            200..=299 => Ok(()),
            400..=499 => Err(DeliveryError::Permanent(format!("{url} answered {status}"))),
            _ => Err(DeliveryError::Transient(format!("{url} answered {status}"))),
        }
    };
    tokio::time::timeout(HTTP_TIMEOUT, call).await.map_err(|_| DeliveryError::Transient(format!("{url} did not answer within 15 s")))?
}

fn authority(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}
