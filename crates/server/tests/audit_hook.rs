//! The audit hook: dispatch hands the sink every call it keeps, with the input and output in
//! record form (secrets hidden), the caller, and the error of a failed call.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use nimbus_core::{ApiCall, AuditSink, Clock, Document, Interest, RequestContext, Service, ServiceError};
use nimbus_server::{AuthMode, Config, Credentials, Nimbus, ServiceSet};
use nimbus_store::Store;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// STS whose AssumeRole answers credentials and whose GetCallerIdentity fails.
struct FakeSts;

#[async_trait::async_trait]
impl Service for FakeSts {
    fn model_name(&self) -> &'static str {
        "sts"
    }
    fn operations(&self) -> &'static [&'static str] {
        &["AssumeRole", "GetCallerIdentity", "GetAccessKeyInfo"]
    }
    async fn call(&self, _ctx: &RequestContext, op: &str, _input: Document) -> Result<Document, ServiceError> {
        match op {
            "AssumeRole" => Ok(json!({"Credentials": {"AccessKeyId": "ASIAX", "SecretAccessKey": "very-secret", "SessionToken": "tok", "Expiration": 1}})),
            "GetCallerIdentity" => Err(ServiceError::new("InvalidClientTokenId", "no").with_status(403)),
            _ => Ok(json!({"Account": "000000000000"})),
        }
    }
}

/// Keeps everything but GetAccessKeyInfo.
#[derive(Default)]
struct Sink(Mutex<Vec<ApiCall>>);

impl AuditSink for Sink {
    fn interest(&self, _service: &str, operation: &str) -> Interest {
        if operation == "GetAccessKeyInfo" { Interest::Skip } else { Interest::RequestAndResponse }
    }
    fn record(&self, call: ApiCall) {
        self.0.lock().unwrap().push(call);
    }
}

async fn start(sink: Arc<Sink>) -> String {
    let store = Store::open_ephemeral().unwrap();
    let credentials = Arc::new(Credentials::new(store.clone(), vec![]));
    let config = Config { default_region: "us-east-1".into(), account_id: "000000000000".into(), auth_mode: AuthMode::Default, max_body_bytes: 1 << 20 };
    let set = ServiceSet { services: vec![Arc::new(FakeSts)], audit: Some(sink), ..ServiceSet::default() };
    let nimbus = Nimbus::new(config, store, Clock::system(), credentials, set);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(nimbus_server::serve(nimbus, listener, std::future::pending(), Duration::from_secs(1)));
    addr
}

/// Sends one raw HTTP/1.1 request and returns the raw response text.
async fn raw(addr: &str, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

fn form_post(body: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: audit-test/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn kept_calls_reach_the_sink_in_record_form() {
    let sink = Arc::new(Sink::default());
    let addr = start(sink.clone()).await;
    let assume = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&RoleSessionName=ci";
    let answer = raw(&addr, &form_post(assume)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    raw(&addr, &form_post("Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId=AKIAIOSFODNN7EXAMPLE")).await;
    raw(&addr, &form_post("Action=GetCallerIdentity&Version=2011-06-15")).await;

    let calls = sink.0.lock().unwrap().clone();
    assert_eq!(calls.iter().map(|c| c.operation.as_str()).collect::<Vec<_>>(), ["AssumeRole", "GetCallerIdentity"], "GetAccessKeyInfo was skipped");
    let assumed = &calls[0];
    assert_eq!(assumed.event_source, "sts.amazonaws.com");
    assert_eq!((assumed.account_id.as_str(), assumed.region.as_str()), ("000000000000", "us-east-1"));
    assert_eq!(assumed.principal.as_ref().unwrap().arn, "arn:aws:iam::000000000000:root");
    assert_eq!(assumed.user_agent.as_deref(), Some("audit-test/1.0"));
    assert_eq!(assumed.source_ip, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(assumed.request_parameters, Some(json!({"roleArn": "arn:aws:iam::000000000000:role/r", "roleSessionName": "ci"})));
    let credentials = &assumed.response_elements.as_ref().unwrap()["credentials"];
    assert_eq!(credentials["secretAccessKey"], nimbus_server::audit::HIDDEN);
    assert_eq!(credentials["accessKeyId"], "ASIAX");
    assert!(assumed.error.is_none());
    let failed = &calls[1];
    assert_eq!(failed.error, Some(("InvalidClientTokenId".to_owned(), "no".to_owned())));
    assert!(failed.response_elements.is_none());
}
