//! The service end to end through `Service::call`, on a real store and a fixed clock.

use std::time::{Duration, Instant};

use nimbus_core::{Clock, RequestContext, Service};
use nimbus_store::Store;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::Sqs;

fn clock() -> Clock {
    Clock::fixed(OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap())
}

struct Fixture {
    sqs: Sqs,
    clock: Clock,
}

impl Fixture {
    fn new() -> Fixture {
        let clock = clock();
        Fixture { sqs: Sqs::new(Store::open_ephemeral().unwrap(), clock.clone()), clock }
    }

    async fn call(&self, op: &str, input: Value) -> Result<Value, nimbus_core::ServiceError> {
        let mut ctx = RequestContext::for_tests("sqs", op);
        ctx.host = Some("localhost:4566".into());
        self.sqs.call(&ctx, op, input).await
    }

    async fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input).await.unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    async fn err(&self, op: &str, input: Value) -> String {
        self.call(op, input).await.expect_err(op).code.into_owned()
    }

    async fn create(&self, name: &str, attributes: Value) -> String {
        let out = self.ok("CreateQueue", json!({ "QueueName": name, "Attributes": attributes })).await;
        out["QueueUrl"].as_str().unwrap().to_owned()
    }

    async fn receive(&self, url: &str, extra: Value) -> Vec<Value> {
        let mut input = json!({ "QueueUrl": url, "MaxNumberOfMessages": 10 });
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let out = self.ok("ReceiveMessage", input).await;
        out.get("Messages").and_then(Value::as_array).cloned().unwrap_or_default()
    }
}

#[tokio::test]
async fn send_receive_delete() {
    let f = Fixture::new();
    let url = f.create("jobs", json!({})).await;
    assert_eq!(url, "http://localhost:4566/000000000000/jobs");
    let sent = f
        .ok("SendMessage", json!({ "QueueUrl": url, "MessageBody": "hello", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}} }))
        .await;
    assert_eq!(sent["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592");
    assert!(sent["MD5OfMessageAttributes"].is_string());
    let got = f.receive(&url, json!({ "MessageAttributeNames": ["All"], "MessageSystemAttributeNames": ["All"] })).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["Body"], "hello");
    assert_eq!(got[0]["MessageId"], sent["MessageId"]);
    assert_eq!(got[0]["MD5OfMessageAttributes"], sent["MD5OfMessageAttributes"]);
    assert_eq!(got[0]["Attributes"]["ApproximateReceiveCount"], "1");
    assert!(f.receive(&url, json!({})).await.is_empty(), "in flight");
    f.ok("DeleteMessage", json!({ "QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"] })).await;
    f.clock.advance(Duration::from_secs(31));
    assert!(f.receive(&url, json!({})).await.is_empty(), "deleted for good");
}

#[tokio::test]
async fn visibility_timeout_returns_messages_on_the_clock() {
    let f = Fixture::new();
    let url = f.create("vis", json!({ "VisibilityTimeout": "10" })).await;
    f.ok("SendMessage", json!({ "QueueUrl": url, "MessageBody": "m" })).await;
    let first = f.receive(&url, json!({})).await;
    f.clock.advance(Duration::from_secs(9));
    assert!(f.receive(&url, json!({})).await.is_empty());
    f.clock.advance(Duration::from_secs(1));
    let again = f.receive(&url, json!({ "AttributeNames": ["ApproximateReceiveCount"] })).await;
    assert_eq!(again[0]["Attributes"]["ApproximateReceiveCount"], "2");
    // The old receipt no longer changes visibility.
    let code = f
        .err("ChangeMessageVisibility", json!({ "QueueUrl": url, "ReceiptHandle": first[0]["ReceiptHandle"], "VisibilityTimeout": 5 }))
        .await;
    assert_eq!(code, "InvalidParameterValue");
    f.ok("ChangeMessageVisibility", json!({ "QueueUrl": url, "ReceiptHandle": again[0]["ReceiptHandle"], "VisibilityTimeout": 0 })).await;
    assert_eq!(f.receive(&url, json!({})).await.len(), 1);
}

#[tokio::test]
async fn dead_letter_after_max_receives() {
    let f = Fixture::new();
    let dlq = f.create("dlq", json!({})).await;
    let dlq_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
    let policy = json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3 }).to_string();
    let url = f.create("work", json!({ "RedrivePolicy": policy, "VisibilityTimeout": "0" })).await;
    f.ok("SendMessage", json!({ "QueueUrl": url, "MessageBody": "poison" })).await;
    for _ in 0..3 {
        assert_eq!(f.receive(&url, json!({})).await.len(), 1);
    }
    assert!(f.receive(&url, json!({})).await.is_empty(), "the fourth receive moves it");
    let dead = f.receive(&dlq, json!({ "MessageSystemAttributeNames": ["All"] })).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["Body"], "poison");
    assert_eq!(dead[0]["Attributes"]["DeadLetterQueueSourceArn"], "arn:aws:sqs:us-east-1:000000000000:work");
    let sources = f.ok("ListDeadLetterSourceQueues", json!({ "QueueUrl": dlq })).await;
    assert_eq!(sources["queueUrls"], json!([url]));
}

#[tokio::test]
async fn long_poll_wakes_on_send() {
    let f = std::sync::Arc::new(Fixture::new());
    let url = f.create("poll", json!({})).await;
    let (f2, url2) = (f.clone(), url.clone());
    let started = Instant::now();
    let waiter = tokio::spawn(async move { f2.receive(&url2, json!({ "WaitTimeSeconds": 10 })).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    f.ok("SendMessage", json!({ "QueueUrl": url, "MessageBody": "wake" })).await;
    let got = waiter.await.unwrap();
    assert_eq!(got.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5), "woke at once, not at the end of the wait");
}

#[tokio::test]
async fn long_poll_ends_empty_after_the_wait() {
    let f = Fixture::new();
    let url = f.create("idle", json!({})).await;
    let started = Instant::now();
    assert!(f.receive(&url, json!({ "WaitTimeSeconds": 1 })).await.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn fifo_dedup_order_and_sequence_numbers() {
    let f = Fixture::new();
    let url = f.create("orders.fifo", json!({ "FifoQueue": "true" })).await;
    let send = |body: &str, dedup: &str| json!({ "QueueUrl": url, "MessageBody": body, "MessageGroupId": "g", "MessageDeduplicationId": dedup });
    let a = f.ok("SendMessage", send("a", "1")).await;
    let dup = f.ok("SendMessage", send("a again", "1")).await;
    assert_eq!(a["MessageId"], dup["MessageId"]);
    let b = f.ok("SendMessage", send("b", "2")).await;
    assert!(b["SequenceNumber"].as_str().unwrap().parse::<u128>().unwrap() > a["SequenceNumber"].as_str().unwrap().parse::<u128>().unwrap());
    let got = f.receive(&url, json!({ "MaxNumberOfMessages": 1 })).await;
    assert_eq!(got[0]["Body"], "a");
    assert!(f.receive(&url, json!({})).await.is_empty(), "group locked while a is in flight");
    f.ok("DeleteMessage", json!({ "QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"] })).await;
    assert_eq!(f.receive(&url, json!({})).await[0]["Body"], "b");
    // After the 5-minute window the same id is a new message.
    f.clock.advance(Duration::from_secs(300));
    let later = f.ok("SendMessage", send("a", "1")).await;
    assert_ne!(later["MessageId"], a["MessageId"]);
    assert_eq!(f.err("SendMessage", json!({ "QueueUrl": url, "MessageBody": "x", "MessageDeduplicationId": "z" })).await, "MissingParameter");
    assert_eq!(f.err("SendMessage", json!({ "QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g" })).await, "InvalidParameterValue");
}

#[tokio::test]
async fn queue_lifecycle_rules() {
    let f = Fixture::new();
    let url = f.create("life", json!({ "VisibilityTimeout": "5" })).await;
    assert_eq!(f.create("life", json!({ "VisibilityTimeout": "5" })).await, url, "same attributes: same queue");
    assert_eq!(f.err("CreateQueue", json!({ "QueueName": "life", "Attributes": {"VisibilityTimeout": "6"} })).await, "QueueNameExists");
    assert_eq!(f.err("CreateQueue", json!({ "QueueName": "bad.fifo" })).await, "InvalidParameterValue");
    f.ok("PurgeQueue", json!({ "QueueUrl": url })).await;
    assert_eq!(f.err("PurgeQueue", json!({ "QueueUrl": url })).await, "PurgeQueueInProgress");
    f.ok("DeleteQueue", json!({ "QueueUrl": url })).await;
    assert_eq!(f.err("GetQueueAttributes", json!({ "QueueUrl": url, "AttributeNames": ["All"] })).await, "QueueDoesNotExist");
    assert_eq!(f.err("CreateQueue", json!({ "QueueName": "life" })).await, "QueueDeletedRecently");
    f.clock.advance(Duration::from_secs(61));
    f.create("life", json!({})).await;
    let listed = f.ok("ListQueues", json!({ "QueueNamePrefix": "li" })).await;
    assert_eq!(listed["QueueUrls"], json!([url]));
}

#[tokio::test]
async fn attributes_and_counters() {
    let f = Fixture::new();
    let url = f.create("counted", json!({ "DelaySeconds": "0" })).await;
    f.ok("SendMessage", json!({ "QueueUrl": url, "MessageBody": "now" })).await;
    f.ok("SendMessage", json!({ "QueueUrl": url, "MessageBody": "later", "DelaySeconds": 60 })).await;
    f.ok("SendMessage", json!({ "QueueUrl": url, "MessageBody": "taken" })).await;
    f.receive(&url, json!({ "MaxNumberOfMessages": 1 })).await;
    let attrs = f.ok("GetQueueAttributes", json!({ "QueueUrl": url, "AttributeNames": ["All"] })).await["Attributes"].clone();
    assert_eq!(attrs["ApproximateNumberOfMessages"], "1");
    assert_eq!(attrs["ApproximateNumberOfMessagesNotVisible"], "1");
    assert_eq!(attrs["ApproximateNumberOfMessagesDelayed"], "1");
    assert_eq!(attrs["QueueArn"], "arn:aws:sqs:us-east-1:000000000000:counted");
    assert_eq!(attrs["VisibilityTimeout"], "30");
    assert!(attrs.get("FifoQueue").is_none());
    assert_eq!(f.err("SetQueueAttributes", json!({ "QueueUrl": url, "Attributes": {"MessageRetentionPeriod": "59"} })).await, "InvalidAttributeValue");
    assert_eq!(f.err("GetQueueAttributes", json!({ "QueueUrl": url, "AttributeNames": ["Nope"] })).await, "InvalidAttributeName");
}

#[tokio::test]
async fn retention_really_drops_messages() {
    let f = Fixture::new();
    let url = f.create("short", json!({ "MessageRetentionPeriod": "60" })).await;
    f.ok("SendMessage", json!({ "QueueUrl": url, "MessageBody": "old" })).await;
    f.clock.advance(Duration::from_secs(60));
    f.sqs.sweep().await;
    let attrs = f.ok("GetQueueAttributes", json!({ "QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"] })).await;
    assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessages"], "0");
    assert!(f.receive(&url, json!({})).await.is_empty());
}

#[tokio::test]
async fn batches_report_per_entry() {
    let f = Fixture::new();
    let url = f.create("batch", json!({})).await;
    let out = f
        .ok("SendMessageBatch", json!({ "QueueUrl": url, "Entries": [
            {"Id": "ok", "MessageBody": "fine"},
            {"Id": "bad", "MessageBody": "x", "MessageAttributes": {"a": {"DataType": "Number", "StringValue": "NaN"}}},
        ]}))
        .await;
    assert_eq!(out["Successful"][0]["Id"], "ok");
    assert_eq!(out["Failed"][0]["Id"], "bad");
    assert_eq!(out["Failed"][0]["SenderFault"], true);
    let got = f.receive(&url, json!({})).await;
    let out = f
        .ok("DeleteMessageBatch", json!({ "QueueUrl": url, "Entries": [
            {"Id": "a", "ReceiptHandle": got[0]["ReceiptHandle"]},
            {"Id": "b", "ReceiptHandle": "garbage"},
        ]}))
        .await;
    assert_eq!(out["Successful"], json!([{"Id": "a"}]));
    assert_eq!(out["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
}

#[tokio::test]
async fn messages_and_receives_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let url;
    {
        let sqs = Sqs::new(Store::open(dir.path()).unwrap(), clock.clone());
        let ctx = RequestContext::for_tests("sqs", "x");
        url = sqs.call(&ctx, "CreateQueue", json!({ "QueueName": "durable" })).await.unwrap()["QueueUrl"].as_str().unwrap().to_owned();
        for body in ["one", "two"] {
            sqs.call(&ctx, "SendMessage", json!({ "QueueUrl": url, "MessageBody": body })).await.unwrap();
        }
        sqs.call(&ctx, "ReceiveMessage", json!({ "QueueUrl": url })).await.unwrap();
    }
    let sqs = Sqs::new(Store::open(dir.path()).unwrap(), clock.clone());
    let ctx = RequestContext::for_tests("sqs", "x");
    let attrs = sqs.call(&ctx, "GetQueueAttributes", json!({ "QueueUrl": url, "AttributeNames": ["All"] })).await.unwrap();
    assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessages"], "1");
    assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"], "1", "in-flight state survived");
    clock.advance(Duration::from_secs(30));
    let got = sqs.call(&ctx, "ReceiveMessage", json!({ "QueueUrl": url, "MaxNumberOfMessages": 10, "AttributeNames": ["All"] })).await.unwrap();
    let messages = got["Messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    let counts: Vec<&str> = messages.iter().map(|m| m["Attributes"]["ApproximateReceiveCount"].as_str().unwrap()).collect();
    assert!(counts.contains(&"2"), "receive count kept: {counts:?}");
}

#[tokio::test]
async fn move_task_redrives_dead_letters_home() {
    let f = Fixture::new();
    let dlq = f.create("home-dlq", json!({})).await;
    let policy = json!({ "deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:home-dlq", "maxReceiveCount": 1 }).to_string();
    let url = f.create("home", json!({ "RedrivePolicy": policy, "VisibilityTimeout": "0" })).await;
    f.ok("SendMessage", json!({ "QueueUrl": url, "MessageBody": "back" })).await;
    f.receive(&url, json!({})).await;
    f.receive(&url, json!({})).await;
    let attrs = f.ok("GetQueueAttributes", json!({ "QueueUrl": dlq, "AttributeNames": ["ApproximateNumberOfMessages"] })).await;
    assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessages"], "1");
    f.ok("StartMessageMoveTask", json!({ "SourceArn": "arn:aws:sqs:us-east-1:000000000000:home-dlq" })).await;
    let mut status = Value::Null;
    for _ in 0..100 {
        let tasks = f.ok("ListMessageMoveTasks", json!({ "SourceArn": "arn:aws:sqs:us-east-1:000000000000:home-dlq" })).await;
        status = tasks["Results"][0].clone();
        if status["Status"] == "COMPLETED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status["Status"], "COMPLETED");
    assert_eq!(status["ApproximateNumberOfMessagesMoved"], 1);
    assert_eq!(f.receive(&url, json!({})).await[0]["Body"], "back");
    assert_eq!(
        f.err("StartMessageMoveTask", json!({ "SourceArn": "arn:aws:sqs:us-east-1:000000000000:home" })).await,
        "InvalidParameterValue",
        "not a dead-letter queue"
    );
}

/// A key manager that knows some keys, some of them disabled.
struct Keys {
    enabled: Vec<&'static str>,
    disabled: Vec<&'static str>,
}

impl nimbus_core::KeyManager for Keys {
    fn resolve_key(&self, caller: nimbus_core::KmsCaller, key_id: &str) -> Result<String, nimbus_core::ServiceError> {
        let arn = format!("arn:aws:kms:{}:{}:key/{key_id}", caller.region, caller.account_id);
        if self.enabled.contains(&key_id) || key_id == "alias/aws/sqs" {
            Ok(arn)
        } else if self.disabled.contains(&key_id) {
            Err(nimbus_core::ServiceError::new("DisabledException", format!("{arn} is disabled.")))
        } else {
            Err(nimbus_core::ServiceError::new("NotFoundException", format!("Key '{arn}' does not exist")))
        }
    }
    fn generate_data_key(
        &self,
        _: nimbus_core::KmsCaller,
        _: &str,
        _: nimbus_core::kms::EncryptionContext,
    ) -> Result<nimbus_core::DataKey, nimbus_core::ServiceError> {
        unreachable!("SQS only checks keys")
    }
    fn encrypt(
        &self,
        _: nimbus_core::KmsCaller,
        _: &str,
        _: &[u8],
        _: nimbus_core::kms::EncryptionContext,
    ) -> Result<Vec<u8>, nimbus_core::ServiceError> {
        unreachable!("SQS only checks keys")
    }
    fn decrypt(
        &self,
        _: nimbus_core::KmsCaller,
        _: &[u8],
        _: nimbus_core::kms::EncryptionContext,
    ) -> Result<nimbus_core::Decrypted, nimbus_core::ServiceError> {
        unreachable!("SQS only checks keys")
    }
}

#[tokio::test]
async fn sse_kms_queues_need_a_usable_key() {
    let clock = clock();
    let keys = std::sync::Arc::new(Keys { enabled: vec!["good"], disabled: vec!["off"] });
    let f = Fixture { sqs: Sqs::new(Store::open_ephemeral().unwrap(), clock.clone()).with_key_manager(keys), clock };
    let good = f.create("good", json!({"KmsMasterKeyId": "good"})).await;
    let managed = f.create("managed", json!({"KmsMasterKeyId": "alias/aws/sqs"})).await;
    let off = f.create("off", json!({"KmsMasterKeyId": "off"})).await;
    let gone = f.create("gone", json!({"KmsMasterKeyId": "gone"})).await;
    let plain = f.create("plain", json!({})).await;
    for url in [&good, &managed, &plain] {
        f.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "m"})).await;
        assert_eq!(f.receive(url, json!({})).await.len(), 1);
    }
    let e = f.call("SendMessage", json!({"QueueUrl": off, "MessageBody": "m"})).await.unwrap_err();
    assert_eq!((&*e.code, e.status), ("KMS.DisabledException", Some(400)));
    assert!(e.message.starts_with("arn:aws:kms:us-east-1:000000000000:key/off is disabled. (Service: AWSKMS; Status Code: 400; Error Code: DisabledException;"), "{}", e.message);
    let batch = json!({"QueueUrl": off, "Entries": [{"Id": "a", "MessageBody": "m"}]});
    assert_eq!(f.err("SendMessageBatch", batch).await, "KMS.DisabledException");
    assert_eq!(f.err("ReceiveMessage", json!({"QueueUrl": off})).await, "KMS.DisabledException");
    assert_eq!(f.err("SendMessage", json!({"QueueUrl": gone, "MessageBody": "m"})).await, "KMS.NotFoundException");
    // Nothing was sent to the failing queues.
    let attrs = f.ok("GetQueueAttributes", json!({"QueueUrl": off, "AttributeNames": ["ApproximateNumberOfMessages"]})).await;
    assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessages"], "0");
    // Turning SSE-KMS off (empty KmsMasterKeyId) makes the queue usable again.
    f.ok("SetQueueAttributes", json!({"QueueUrl": off, "Attributes": {"KmsMasterKeyId": ""}})).await;
    f.ok("SendMessage", json!({"QueueUrl": off, "MessageBody": "m"})).await;
}
