//! SQS's two wires through the real server, with a stand-in SQS service: legacy awsQuery posted to
//! the queue's URL (the path supplies `QueueUrl`), and awsJson1_0 in query mode.

mod common;

use std::sync::Arc;

use common::raw;
use nimbus_core::{Document, RequestContext, Service, ServiceError};
use serde_json::json;

/// Echoes what it was given in SendMessage's output members, so the test sees the input and the
/// context the server built; any other queue is missing.
struct EchoSqs;

#[async_trait::async_trait]
impl Service for EchoSqs {
    fn model_name(&self) -> &'static str {
        "sqs"
    }
    fn operations(&self) -> &'static [&'static str] {
        &["SendMessage", "GetQueueUrl"]
    }
    async fn call(&self, ctx: &RequestContext, op: &str, input: Document) -> Result<Document, ServiceError> {
        match op {
            "SendMessage" => Ok(json!({
                "MessageId": input["QueueUrl"],
                "MD5OfMessageBody": input["MessageBody"],
                "SequenceNumber": ctx.host.clone().unwrap_or_default(),
            })),
            _ => Err(ServiceError::new("QueueDoesNotExist", "The specified queue does not exist.")),
        }
    }
}

async fn start() -> String {
    common::start(Arc::new(EchoSqs)).await
}

fn post(path: &str, headers: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: sqs.us-east-1.localhost.localstack.cloud:4566\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

const FORM: &str = "Content-Type: application/x-www-form-urlencoded\r\n";

#[tokio::test]
async fn query_requests_to_the_queue_url_name_their_queue_by_the_path() {
    let addr = start().await;
    let response = raw(&addr, &post("/000000000000/jobs/", FORM, "Action=SendMessage&Version=2012-11-05&MessageBody=hi")).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let host = "sqs.us-east-1.localhost.localstack.cloud:4566";
    assert!(
        response.contains(&format!(
            "<SendMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><SendMessageResult>\
             <MD5OfMessageBody>hi</MD5OfMessageBody><MessageId>http://{host}/000000000000/jobs</MessageId>\
             <SequenceNumber>{host}</SequenceNumber></SendMessageResult>"
        )),
        "{response}"
    );
    // Posted to `/` without a QueueUrl: SQS's MissingParameter.
    let response = raw(&addr, &post("/", FORM, "Action=SendMessage&Version=2012-11-05&MessageBody=hi")).await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("<Code>MissingParameter</Code><Message>The request must contain the parameter QueueUrl.</Message>"), "{response}");
}

#[tokio::test]
async fn query_errors_are_sqs_error_responses() {
    let addr = start().await;
    let response = raw(&addr, &post("/", FORM, "Action=GetQueueUrl&Version=2012-11-05&QueueName=missing")).await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(
        response.contains(
            "<ErrorResponse><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>\
             <Message>The specified queue does not exist.</Message><Detail/></Error><RequestId>"
        ),
        "{response}"
    );
    // An action SQS's query model does not have.
    let response = raw(&addr, &post("/", FORM, "Action=NoSuchAction&Version=2012-11-05")).await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("<Code>InvalidAction</Code>") && response.contains("<Detail/>"), "{response}");
}

#[tokio::test]
async fn json_errors_in_query_mode_carry_the_query_code() {
    let addr = start().await;
    let headers = "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.GetQueueUrl\r\nx-amzn-query-mode: true\r\n";
    let response = raw(&addr, &post("/", headers, r#"{"QueueName":"missing"}"#)).await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.to_ascii_lowercase().contains("x-amzn-query-error: aws.simplequeueservice.nonexistentqueue;sender"), "{response}");
    assert!(response.contains(r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#), "{response}");
}
