//! SQS's one addressing rule outside its model: a request may be sent to the queue's own URL.
//!
//! SQS's query API addresses a queue by posting to its URL, as AWS's Query API examples do
//! (`https://sqs.us-east-2.amazonaws.com/123456789012/MyQueue/?Action=SendMessage&...`), and
//! legacy clients still send `POST /123456789012/my-queue` with `Action=SendMessage` and no
//! `QueueUrl` parameter. The path then *is* the queue URL, so it becomes the input's `QueueUrl`
//! before validation (which would otherwise refuse the request for lacking it), and the service
//! sees the same input as from a client that names the queue in the body.

use nimbus_core::Document;
use nimbus_model::{Operation, ServiceModel};
use nimbus_protocol::HttpRequest;

/// The input member naming the queue an SQS operation acts on.
const QUEUE_URL: &str = "QueueUrl";

/// Sets `QueueUrl` to `http://<Host><path>` when the operation's input has that member, the
/// request did not carry it, and the path is a queue's: `/<12-digit account>/<queue name>`
/// (a trailing `/`, as in AWS's examples, is not part of the queue URL). Anything else is left
/// as it is, for validation to judge.
pub fn fill_queue_url_from_path(model: &ServiceModel, op: &Operation, req: &HttpRequest, input: &mut Document) {
    let has_member = op.input.as_ref().and_then(|r| model.shape(&r.shape)).is_some_and(|s| s.members.contains_key(QUEUE_URL));
    let Some(fields) = input.as_object_mut() else { return };
    if !has_member || fields.contains_key(QUEUE_URL) {
        return;
    }
    let Some(path) = queue_path(&req.path) else { return };
    let Some(host) = req.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).filter(|h| !h.is_empty()) else {
        return;
    };
    fields.insert(QUEUE_URL.to_owned(), Document::String(format!("http://{host}{path}")));
}

/// `/<account>/<name>` when `path` is a queue's path (12 ASCII digits, then a name without `/`),
/// without a trailing `/`.
fn queue_path(path: &str) -> Option<&str> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let (account, name) = path.strip_prefix('/')?.split_once('/')?;
    let is_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (is_account && !name.is_empty() && !name.contains('/')).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, Method};
    use serde_json::json;

    fn request(path: &str, host: Option<&str>) -> HttpRequest {
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(http::header::HOST, host.parse().unwrap());
        }
        HttpRequest { method: Method::POST, path: path.into(), query: String::new(), headers, body: Bytes::new() }
    }

    fn filled(operation: &str, path: &str, host: Option<&str>, input: Document) -> Document {
        let model = nimbus_model::query_model("sqs").unwrap();
        let mut input = input;
        fill_queue_url_from_path(model, model.operation(operation).unwrap(), &request(path, host), &mut input);
        input
    }

    #[test]
    fn the_queue_path_becomes_the_queue_url() {
        let input = filled("SendMessage", "/123456789012/my-queue", Some("localhost:4566"), json!({"MessageBody": "hi"}));
        assert_eq!(input, json!({"MessageBody": "hi", "QueueUrl": "http://localhost:4566/123456789012/my-queue"}));
        // AWS's examples end the queue URL with `/`; the queue URL itself does not.
        let host = "sqs.us-east-1.localhost.localstack.cloud:4566";
        let input = filled("ReceiveMessage", "/000000000000/jobs.fifo/", Some(host), json!({}));
        assert_eq!(input, json!({"QueueUrl": format!("http://{host}/000000000000/jobs.fifo")}));
    }

    #[test]
    fn a_queue_url_the_request_carries_wins() {
        let given = json!({"QueueUrl": "http://elsewhere/111111111111/q", "MessageBody": "hi"});
        assert_eq!(filled("SendMessage", "/123456789012/my-queue", Some("localhost"), given.clone()), given);
    }

    #[test]
    fn other_paths_operations_and_hostless_requests_are_left_alone() {
        for path in ["/", "/123456789012", "/123456789012/", "/12345678901/q", "/1234567890123/q", "/12345678901x/q", "/123456789012/a/b", "/123456789012//"] {
            assert_eq!(filled("SendMessage", path, Some("localhost"), json!({})), json!({}), "{path}");
        }
        assert_eq!(filled("SendMessage", "/123456789012/q", None, json!({})), json!({}));
        // CreateQueue, GetQueueUrl and ListQueues name no queue URL.
        assert_eq!(filled("CreateQueue", "/123456789012/q", Some("localhost"), json!({"QueueName": "q"})), json!({"QueueName": "q"}));
        assert_eq!(filled("ListQueues", "/123456789012/q", Some("localhost"), json!({})), json!({}));
    }
}
