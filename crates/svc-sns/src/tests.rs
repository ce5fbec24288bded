//! SNS through `Service::call`, with a bus that records what it is handed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use nimbus_core::{Clock, Delivery, DeliveryError, EventBus, RequestContext, Service};
use nimbus_store::Store;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::Sns;

#[derive(Default)]
struct RecordingBus {
    delivered: Mutex<Vec<Delivery>>,
    /// Fail this many attempts (transiently) before succeeding.
    failures: Mutex<u32>,
}

#[async_trait::async_trait]
impl EventBus for RecordingBus {
    async fn deliver(&self, delivery: &Delivery) -> Result<(), DeliveryError> {
        let mut failures = self.failures.lock().unwrap();
        if *failures > 0 {
            *failures -= 1;
            return Err(DeliveryError::Transient("endpoint down".into()));
        }
        self.delivered.lock().unwrap().push(delivery.clone());
        Ok(())
    }
}

struct Fixture {
    sns: Sns,
    bus: Arc<RecordingBus>,
    clock: Clock,
}

impl Fixture {
    fn new() -> Fixture {
        let clock = Clock::fixed(OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap());
        let bus = Arc::new(RecordingBus::default());
        let sns = Sns::new(Store::open_ephemeral().unwrap(), clock.clone(), bus.clone());
        sns.start();
        Fixture { sns, bus, clock }
    }

    async fn call(&self, op: &str, input: Value) -> Result<Value, nimbus_core::ServiceError> {
        let mut ctx = RequestContext::for_tests("sns", op);
        ctx.host = Some("localhost:4566".into());
        self.sns.call(&ctx, op, input).await
    }

    async fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input).await.unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    /// Waits until the bus has received `n` deliveries.
    async fn delivered(&self, n: usize) -> Vec<Delivery> {
        for _ in 0..200 {
            let d = self.bus.delivered.lock().unwrap().clone();
            if d.len() >= n {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("expected {n} deliveries, got {:?}", self.bus.delivered.lock().unwrap());
    }
}

fn queue_body(d: &Delivery) -> (&str, &str) {
    match d {
        Delivery::Queue { queue_arn, body, .. } => (queue_arn, body),
        other => panic!("not a queue delivery: {other:?}"),
    }
}

#[tokio::test]
async fn sqs_subscribers_get_the_json_envelope() {
    let f = Fixture::new();
    let topic = f.ok("CreateTopic", json!({ "Name": "events" })).await["TopicArn"].as_str().unwrap().to_owned();
    assert_eq!(topic, "arn:aws:sns:us-east-1:000000000000:events");
    let sub = f.ok("Subscribe", json!({ "TopicArn": topic, "Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:000000000000:q" })).await;
    assert!(sub["SubscriptionArn"].as_str().unwrap().starts_with(&topic));
    let published = f
        .ok("Publish", json!({ "TopicArn": topic, "Message": "hello", "Subject": "greeting", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}} }))
        .await;
    let d = f.delivered(1).await;
    let (queue, body) = queue_body(&d[0]);
    assert_eq!(queue, "arn:aws:sqs:us-east-1:000000000000:q");
    let envelope: Value = serde_json::from_str(body).unwrap();
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["MessageId"], published["MessageId"]);
    assert_eq!(envelope["TopicArn"], topic);
    assert_eq!(envelope["Subject"], "greeting");
    assert_eq!(envelope["Message"], "hello");
    assert_eq!(envelope["MessageAttributes"]["k"], json!({"Type": "String", "Value": "v"}));
    assert!(envelope["Timestamp"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn raw_delivery_and_filter_policies() {
    let f = Fixture::new();
    let topic = f.ok("CreateTopic", json!({ "Name": "orders" })).await["TopicArn"].as_str().unwrap().to_owned();
    f.ok(
        "Subscribe",
        json!({ "TopicArn": topic, "Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:000000000000:big",
                "Attributes": { "RawMessageDelivery": "true", "FilterPolicy": r#"{"size": [{"numeric": [">", 100]}]}"# } }),
    )
    .await;
    f.ok("Publish", json!({ "TopicArn": topic, "Message": "small", "MessageAttributes": {"size": {"DataType": "Number", "StringValue": "5"}} })).await;
    f.ok("Publish", json!({ "TopicArn": topic, "Message": "large", "MessageAttributes": {"size": {"DataType": "Number", "StringValue": "500"}} })).await;
    let d = f.delivered(1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(f.bus.delivered.lock().unwrap().len(), 1, "the small order was filtered out");
    let Delivery::Queue { body, attributes, .. } = &d[0] else { panic!() };
    assert_eq!(body, "large");
    assert_eq!(attributes["size"]["StringValue"], "500");
}

#[tokio::test]
async fn http_subscriptions_confirm_before_receiving() {
    let f = Fixture::new();
    let topic = f.ok("CreateTopic", json!({ "Name": "hooks" })).await["TopicArn"].as_str().unwrap().to_owned();
    let sub = f.ok("Subscribe", json!({ "TopicArn": topic, "Protocol": "http", "Endpoint": "http://127.0.0.1:9/hook" })).await;
    assert_eq!(sub["SubscriptionArn"], "pending confirmation");
    let d = f.delivered(1).await;
    let Delivery::Http { body, headers, .. } = &d[0] else { panic!("{d:?}") };
    assert!(headers.contains(&("x-amz-sns-message-type".into(), "SubscriptionConfirmation".into())));
    let confirmation: Value = serde_json::from_str(body).unwrap();
    assert!(confirmation["SubscribeURL"].as_str().unwrap().starts_with("http://localhost:4566/?Action=ConfirmSubscription"));
    // Not confirmed: a publish reaches nobody.
    f.ok("Publish", json!({ "TopicArn": topic, "Message": "early" })).await;
    let confirmed = f.ok("ConfirmSubscription", json!({ "TopicArn": topic, "Token": confirmation["Token"] })).await;
    assert!(confirmed["SubscriptionArn"].as_str().unwrap().starts_with(&topic));
    f.ok("Publish", json!({ "TopicArn": topic, "Message": "late" })).await;
    let d = f.delivered(2).await;
    let Delivery::Http { body, .. } = &d[1] else { panic!() };
    assert_eq!(serde_json::from_str::<Value>(body).unwrap()["Message"], "late");
}

#[tokio::test]
async fn transient_failures_are_retried_on_the_clock() {
    let f = Fixture::new();
    *f.bus.failures.lock().unwrap() = 1;
    let topic = f.ok("CreateTopic", json!({ "Name": "retry" })).await["TopicArn"].as_str().unwrap().to_owned();
    f.ok("Subscribe", json!({ "TopicArn": topic, "Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:000000000000:q" })).await;
    f.ok("Publish", json!({ "TopicArn": topic, "Message": "again" })).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(f.bus.delivered.lock().unwrap().is_empty());
    f.clock.advance(Duration::from_secs(2));
    assert_eq!(queue_body(&f.delivered(1).await[0]).0, "arn:aws:sqs:us-east-1:000000000000:q");
}

#[tokio::test]
async fn topic_rules() {
    let f = Fixture::new();
    let code = |r: Result<Value, nimbus_core::ServiceError>| r.unwrap_err().code.into_owned();
    assert_eq!(code(f.call("CreateTopic", json!({ "Name": "bad name" })).await), "InvalidParameterException");
    assert_eq!(code(f.call("CreateTopic", json!({ "Name": "x.fifo" })).await), "InvalidParameterException");
    let fifo = f.ok("CreateTopic", json!({ "Name": "x.fifo", "Attributes": {"FifoTopic": "true"} })).await["TopicArn"].as_str().unwrap().to_owned();
    assert_eq!(code(f.call("Publish", json!({ "TopicArn": fifo, "Message": "m" })).await), "InvalidParameterException");
    let p = f.ok("Publish", json!({ "TopicArn": fifo, "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d" })).await;
    assert_eq!(p["SequenceNumber"].as_str().unwrap().len(), 20);
    assert_eq!(code(f.call("GetTopicAttributes", json!({ "TopicArn": "arn:aws:sns:us-east-1:000000000000:none" })).await), "NotFoundException");
    let attrs = f.ok("GetTopicAttributes", json!({ "TopicArn": fifo })).await["Attributes"].clone();
    assert_eq!(attrs["FifoTopic"], "true");
    assert_eq!(attrs["Owner"], "000000000000");
    assert!(attrs["Policy"].as_str().unwrap().contains("SNS:Publish"));
    let listed = f.ok("ListTopics", json!({})).await;
    assert_eq!(listed["Topics"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn fifo_topics_drop_duplicates_within_five_minutes() {
    let f = Fixture::new();
    let topic = f.ok("CreateTopic", json!({ "Name": "t.fifo", "Attributes": {"FifoTopic": "true"} })).await["TopicArn"].as_str().unwrap().to_owned();
    f.ok("Subscribe", json!({ "TopicArn": topic, "Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:000000000000:q.fifo" })).await;
    let publish = |dedup: &str| json!({ "TopicArn": topic, "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": dedup });
    let first = f.ok("Publish", publish("d1")).await;
    let again = f.ok("Publish", publish("d1")).await;
    assert_eq!(again, first, "a duplicate answers with the first message's id and number");
    let other = f.ok("Publish", publish("d2")).await;
    assert!(other["SequenceNumber"].as_str().unwrap() > first["SequenceNumber"].as_str().unwrap());
    f.delivered(2).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(f.bus.delivered.lock().unwrap().len(), 2, "the duplicate was not delivered");
    f.clock.advance(Duration::from_secs(301));
    let later = f.ok("Publish", publish("d1")).await;
    assert_ne!(later["MessageId"], first["MessageId"], "after the window the id is new again");
    f.delivered(3).await;
}

#[tokio::test]
async fn deliveries_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::fixed(OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap());
    let ctx = RequestContext::for_tests("sns", "x");
    {
        // No worker: the publish is accepted (committed) but not delivered before the "crash".
        let sns = Sns::new(Store::open(dir.path()).unwrap(), clock.clone(), Arc::new(RecordingBus::default()));
        let topic = sns.call(&ctx, "CreateTopic", json!({ "Name": "t" })).await.unwrap()["TopicArn"].clone();
        sns.call(&ctx, "Subscribe", json!({ "TopicArn": topic, "Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:000000000000:q" })).await.unwrap();
        sns.call(&ctx, "Publish", json!({ "TopicArn": topic, "Message": "kept" })).await.unwrap();
    }
    let bus = Arc::new(RecordingBus::default());
    let sns = Sns::new(Store::open(dir.path()).unwrap(), clock, bus.clone());
    sns.start();
    for _ in 0..200 {
        if !bus.delivered.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let d = bus.delivered.lock().unwrap().clone();
    assert_eq!(d.len(), 1);
    assert!(queue_body(&d[0]).1.contains("kept"));
}
