//! The server in-process with stand-in services: panic isolation and the raw HTTP it answers.

mod common;

use std::sync::Arc;

use common::raw;
use nimbus_core::{Document, RequestContext, Service, ServiceError};

/// Answers STS's GetCallerIdentity by panicking, and GetSessionToken normally.
struct PanickingSts;

#[async_trait::async_trait]
impl Service for PanickingSts {
    fn model_name(&self) -> &'static str {
        "sts"
    }
    fn operations(&self) -> &'static [&'static str] {
        &["GetCallerIdentity", "GetAccessKeyInfo"]
    }
    async fn call(&self, _ctx: &RequestContext, op: &str, _input: Document) -> Result<Document, ServiceError> {
        if op == "GetCallerIdentity" {
            panic!("deliberate test panic");
        }
        Ok(serde_json::json!({"Account": "000000000000"}))
    }
}

async fn start() -> String {
    common::start(Arc::new(PanickingSts)).await
}

fn form_post(body: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_panic_is_that_requests_500_and_the_server_keeps_serving() {
    let addr = start().await;
    let response = raw(&addr, &form_post("Action=GetCallerIdentity&Version=2011-06-15")).await;
    assert!(response.starts_with("HTTP/1.1 500"), "{response}");
    assert!(response.contains("<Code>InternalFailure</Code>"), "{response}");
    assert!(response.contains("<Type>Receiver</Type>"), "{response}");
    // Same connection pool, same process: still serving.
    let response = raw(&addr, &form_post("Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId=AKIAIOSFODNN7EXAMPLE")).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("<GetAccessKeyInfoResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"), "{response}");
    assert!(response.contains("<Account>000000000000</Account>"), "{response}");
}

#[tokio::test]
async fn raw_http_query_errors_have_the_query_shape() {
    let addr = start().await;
    // An action STS does not have.
    let response = raw(&addr, &form_post("Action=NoSuchAction&Version=2011-06-15")).await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("<Code>InvalidAction</Code>"), "{response}");
    // An operation STS has but this Nimbus does not implement.
    let response = raw(&addr, &form_post("Action=GetSessionToken&Version=2011-06-15")).await;
    assert!(response.starts_with("HTTP/1.1 501"), "{response}");
    assert!(response.contains("<Code>NotImplemented</Code>"), "{response}");
    assert!(response.contains("GetSessionToken"), "{response}");
    assert!(response.to_ascii_lowercase().contains("x-amzn-requestid") || response.contains("<RequestId>"), "{response}");
}

#[tokio::test]
async fn raw_http_json_unimplemented_service() {
    let addr = start().await;
    let body = "{}";
    let request = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: secretsmanager.ListSecrets\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = raw(&addr, &request).await;
    assert!(response.starts_with("HTTP/1.1 501"), "{response}");
    assert!(response.contains("\"__type\":\"NotImplemented\""), "{response}");
    assert!(response.contains("ListSecrets"), "{response}");
}
