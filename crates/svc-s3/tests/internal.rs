//! What S3 does for the rest of Nimbus: objects written by other services through the event bus
//! (CloudTrail's log files), and the note of each call it leaves for the audit record.

mod common;

use common::*;
use nimbus_core::{CallNote, Delivery, DeliveryError};

fn object(bucket: &str, key: &str, body: &[u8]) -> Delivery {
    Delivery::Object {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        body: body.to_vec(),
        content_type: "application/json".to_owned(),
        content_encoding: Some("gzip".to_owned()),
    }
}

#[tokio::test]
async fn objects_from_the_bus_are_written_as_the_bucket_owner() {
    let h = start(false).await;
    h.ok("PUT", "/logs").await;
    assert!(h.front.bucket_exists("logs"));
    assert!(!h.front.bucket_exists("nope"));

    let key = "AWSLogs/000000000000/CloudTrail/us-east-1/2024/01/01/file one.json.gz";
    h.front.deliver(&object("logs", key, b"\x1f\x8bbody")).await.unwrap();
    let got = h.ok("GET", &format!("/logs/{}", enc(key))).await;
    assert_eq!(got.body, b"\x1f\x8bbody");
    assert_eq!(got.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(got.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(h.ok("GET", "/logs?list-type=2").await.all("Key"), vec![key.to_owned()]);

    match h.front.deliver(&object("nope", "k", b"x")).await {
        Err(DeliveryError::Permanent(why)) => assert!(why.contains("does not exist"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(h.front.deliver(&Delivery::Http { url: "http://x".into(), headers: vec![], body: String::new() }).await.is_err());
}

/// An audit sink that keeps every call but object reads (as CloudTrail does while no trail
/// selects S3 data events for them) and records nothing itself.
struct KeepsAllButReads;

impl nimbus_core::AuditSink for KeepsAllButReads {
    fn interest(&self, _service: &str, operation: &str) -> nimbus_core::Interest {
        if operation == "HeadObject" { nimbus_core::Interest::Skip } else { nimbus_core::Interest::Request }
    }

    fn record(&self, _call: nimbus_core::ApiCall) {}
}

#[tokio::test]
async fn responses_carry_a_note_of_the_call_for_the_audit_record() {
    let h = start(false).await;
    h.ok("PUT", "/noted").await;
    let head = || http::Request::builder().method("HEAD").uri("/noted/k").header("host", "localhost").body(s3s::Body::empty()).unwrap();
    // Without a sink nothing is kept, so nothing is noted.
    assert!(h.front.call(head()).await.extensions().get::<CallNote>().is_none());
    h.front.set_audit_sink(std::sync::Arc::new(KeepsAllButReads));
    // Calls the sink does not keep are not noted either.
    assert!(h.front.call(head()).await.extensions().get::<CallNote>().is_none());
    // Unsigned: anonymous, refused by the bucket's default rules.
    let request = http::Request::builder()
        .method("GET")
        .uri("/noted/some/key.txt")
        .header("host", "localhost")
        .body(s3s::Body::empty())
        .unwrap();
    let response = h.front.call(request).await;
    assert_eq!(response.status(), 403);
    let note = response.extensions().get::<CallNote>().expect("a note").clone();
    assert_eq!(note.operation, "GetObject");
    assert_eq!(note.principal, None);
    assert_eq!(note.account_id, "", "anonymous: the server picks the account");
    assert_eq!(note.request_parameters, serde_json::json!({"bucketName": "noted", "Host": "localhost", "key": "some/key.txt"}));
    assert_eq!(note.error.as_ref().map(|(code, _)| code.as_str()), Some("AccessDenied"));
}
