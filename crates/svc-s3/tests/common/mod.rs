//! A real hyper server calling `S3Front::handle` on 127.0.0.1:0, and a SigV4-signing client.

#![allow(dead_code)]


use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use nimbus_core::{Clock, Credential, CredentialRegistry, ServiceError};
use nimbus_store::Store;
use nimbus_svc_s3::S3Front;

pub const KEY: &str = "test";
pub const SECRET: &str = "test";
pub const ACCOUNT: &str = "000000000000";
pub const OTHER_KEY: &str = "AKIAOTHERACCOUNT0001";
pub const OTHER_SECRET: &str = "other-secret";

#[derive(Default)]
pub struct Registry(Mutex<HashMap<String, Credential>>);

impl CredentialRegistry for Registry {
    fn lookup(&self, access_key_id: &str) -> Option<Credential> {
        self.0.lock().unwrap().get(access_key_id).cloned()
    }
    fn register(&self, credential: Credential) -> Result<(), ServiceError> {
        self.0
            .lock()
            .unwrap()
            .insert(credential.access_key_id.clone(), credential);
        Ok(())
    }
    fn remove(&self, access_key_id: &str) -> Result<(), ServiceError> {
        self.0.lock().unwrap().remove(access_key_id);
        Ok(())
    }
}

pub fn credential(key: &str, secret: &str, account: &str) -> Credential {
    Credential {
        access_key_id: key.to_owned(),
        secret_access_key: secret.to_owned(),
        session_token: None,
        account_id: account.to_owned(),
        principal_arn: format!("arn:aws:iam::{account}:root"),
        user_id: account.to_owned(),
        expires_at_ms: None,
        active: true,
        session: None,
    }
}

pub struct Harness {
    pub addr: SocketAddr,
    pub clock: Clock,
    pub registry: Arc<Registry>,
    pub front: Arc<S3Front>,
    /// The harness's store (encryption tests read blob files on disk).
    pub store: Store,
}

pub struct Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
    /// Texts of every `<tag>` element.
    pub fn all(&self, tag: &str) -> Vec<String> {
        let text = self.text();
        let close = format!("</{tag}>");
        let mut out = Vec::new();
        let mut rest = text.as_str();
        // `<tag>` or `<tag attr=...>`.
        while let Some(start) = rest.find(&format!("<{tag}")) {
            let after = &rest[start + tag.len() + 1..];
            let Some(gt) = after.find('>') else { break };
            if !(gt == 0 || after.starts_with(' ')) || after[..gt].ends_with('/') {
                rest = &after[gt + 1..];
                continue;
            }
            let after = &after[gt + 1..];
            let end = after.find(&close).expect("closing tag");
            out.push(unescape(&after[..end]));
            rest = &after[end + close.len()..];
        }
        out
    }
    pub fn one(&self, tag: &str) -> Option<String> {
        self.all(tag).into_iter().next()
    }
    pub fn code(&self) -> Option<String> {
        self.one("Code")
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

pub async fn start(strict: bool) -> Harness {
    start_with_clock(strict, Clock::system()).await
}

/// A harness on a given clock (lifecycle tests move a fixed one).
pub async fn start_with_clock(strict: bool, clock: Clock) -> Harness {
    start_with(strict, clock, None).await
}

/// A harness whose bucket notifications go to `bus`.
pub async fn start_with_bus(bus: Arc<dyn nimbus_core::EventBus>) -> Harness {
    start_with(false, Clock::system(), Some(bus)).await
}

async fn start_with(strict: bool, clock: Clock, bus: Option<Arc<dyn nimbus_core::EventBus>>) -> Harness {
    let store = Store::open_ephemeral().unwrap();
    let registry = Arc::new(Registry::default());
    registry.register(credential(KEY, SECRET, ACCOUNT)).unwrap();
    registry
        .register(credential(OTHER_KEY, OTHER_SECRET, "111122223333"))
        .unwrap();
    let front = Arc::new(S3Front::with_defaults(
        store.clone(),
        clock.clone(),
        registry.clone(),
        strict,
        nimbus_core::DEFAULT_ACCOUNT_ID,
        nimbus_core::DEFAULT_REGION,
        bus,
    ));
    let server_front = front.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let front = server_front.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let front = front.clone();
                    async move { Ok::<_, Infallible>(front.handle(req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Harness {
        addr,
        clock,
        registry,
        front,
        store,
    }
}

/// S3's URI encoding of a key: everything but unreserved characters and `/`.
pub fn enc(key: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(key, SET).to_string()
}

/// `Content-MD5` of a body (base64 of the binary MD5), as S3 wants on XML configuration PUTs.
pub fn content_md5(data: &[u8]) -> String {
    use base64::Engine;
    use md5::{Digest, Md5};
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data))
}

/// A request under construction.
pub struct Call<'a> {
    h: &'a Harness,
    method: &'a str,
    target: String,
    host: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    key: Option<(String, String, Option<String>)>,
    region: String,
}

impl Harness {
    pub fn call<'a>(&'a self, method: &'a str, target: impl Into<String>) -> Call<'a> {
        Call {
            h: self,
            method,
            target: target.into(),
            host: None,
            headers: Vec::new(),
            body: Vec::new(),
            key: Some((KEY.to_owned(), SECRET.to_owned(), None)),
            region: "us-east-1".to_owned(),
        }
    }

    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub async fn ok(&self, method: &str, target: &str) -> Resp {
        let r = self.call(method, target).send().await;
        assert!(
            r.status < 300,
            "{method} {target}: {} {}",
            r.status,
            r.text()
        );
        r
    }

    pub async fn put(&self, target: &str, body: &[u8]) -> Resp {
        let r = self.call("PUT", target).body(body.to_vec()).send().await;
        assert!(r.status < 300, "PUT {target}: {} {}", r.status, r.text());
        r
    }

    /// Sends a request that must fail with this status and S3 error code.
    pub async fn expect_error(&self, method: &str, target: &str, status: u16, code: &str) -> Resp {
        let r = self.call(method, target).send().await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (status, Some(code)),
            "{method} {target}: {}",
            r.text()
        );
        r
    }

    /// Sends an XML body with its Content-MD5 (configuration PUTs, multi-object delete).
    pub async fn send_xml(&self, method: &str, target: &str, xml: &str) -> Resp {
        self.call(method, target)
            .header("content-md5", &content_md5(xml.as_bytes()))
            .body(xml.as_bytes().to_vec())
            .send()
            .await
    }

    /// A presigned URL's target (path + query) for the default key.
    pub fn presign(&self, method: &str, path: &str, expires: u64) -> String {
        let mut headers = http::HeaderMap::new();
        headers.insert("host", self.host().parse().unwrap());
        let parts = nimbus_auth::RequestParts {
            method,
            path,
            query: "",
            headers: &headers,
        };
        let params = nimbus_auth::SigningParams {
            access_key_id: KEY,
            secret_access_key: SECRET,
            session_token: None,
            region: "us-east-1",
            service: "s3",
            time: time::OffsetDateTime::now_utc(),
            double_encode_path: false,
        };
        format!(
            "{path}?{}",
            nimbus_auth::presign_query(&parts, &params, expires)
        )
    }
}

impl Call<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }
    pub fn host(mut self, host: &str) -> Self {
        self.host = Some(host.to_owned());
        self
    }
    pub fn key(mut self, key: &str, secret: &str, token: Option<&str>) -> Self {
        self.key = Some((key.to_owned(), secret.to_owned(), token.map(str::to_owned)));
        self
    }
    pub fn unsigned(mut self) -> Self {
        self.key = None;
        self
    }
    pub fn region(mut self, region: &str) -> Self {
        self.region = region.to_owned();
        self
    }

    pub async fn send(self) -> Resp {
        let host = self.host.clone().unwrap_or_else(|| self.h.host());
        let mut headers = http::HeaderMap::new();
        headers.insert("host", host.parse().unwrap());
        for (n, v) in &self.headers {
            headers.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let (path, query) = self.target.split_once('?').unwrap_or((&self.target, ""));
        if let Some((key, secret, token)) = &self.key {
            let parts = nimbus_auth::RequestParts {
                method: self.method,
                path,
                query,
                headers: &headers,
            };
            let params = nimbus_auth::SigningParams {
                access_key_id: key,
                secret_access_key: secret,
                session_token: token.as_deref(),
                region: &self.region,
                service: "s3",
                time: time::OffsetDateTime::now_utc(),
                double_encode_path: false,
            };
            let added = nimbus_auth::sign_headers(&parts, &self.body, &params, true).unwrap();
            for (n, v) in &added {
                headers.insert(n.clone(), v.clone());
            }
        }
        let mut req = http::Request::builder()
            .method(self.method)
            .uri(&self.target);
        *req.headers_mut().unwrap() = headers;
        let req = req.body(Full::new(Bytes::from(self.body))).unwrap();
        send_raw(self.h.addr, req).await
    }
}

pub async fn send_raw(addr: SocketAddr, req: http::Request<Full<Bytes>>) -> Resp {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let is_head = req.method() == http::Method::HEAD;
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = if is_head {
        Vec::new()
    } else {
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec()
    };
    Resp {
        status,
        headers,
        body,
    }
}

pub fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Every byte of every blob file of the harness's store.
pub fn blob_files(h: &Harness) -> Vec<Vec<u8>> {
    let root = h.store.data_dir().join("blobs");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() || dir.file_name().unwrap() == "tmp" {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            out.push(std::fs::read(file.unwrap().path()).unwrap());
        }
    }
    out
}
