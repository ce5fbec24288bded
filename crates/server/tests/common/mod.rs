//! What the server's integration tests share: a server on a free port with stand-in services,
//! and raw HTTP/1.1 requests to it.

use std::sync::Arc;
use std::time::Duration;

use nimbus_core::{Clock, Service};
use nimbus_server::{AuthMode, Config, Credentials, Nimbus, ServiceSet};
use nimbus_store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Starts a server serving `service` on an ephemeral store; returns its `host:port`.
pub async fn start(service: Arc<dyn Service>) -> String {
    let store = Store::open_ephemeral().unwrap();
    let credentials = Arc::new(Credentials::new(store.clone(), vec![Credentials::root("test", "test", "000000000000")]));
    let config = Config {
        default_region: "us-east-1".into(),
        account_id: "000000000000".into(),
        auth_mode: AuthMode::Default,
        max_body_bytes: 1024 * 1024,
    };
    let set = ServiceSet { services: vec![service], ..ServiceSet::default() };
    let nimbus = Nimbus::new(config, store, Clock::system(), credentials, set);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(nimbus_server::serve(nimbus, listener, std::future::pending(), Duration::from_secs(1)));
    addr
}

/// Sends one raw HTTP/1.1 request and returns the raw response text.
pub async fn raw(addr: &str, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}
