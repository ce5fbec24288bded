//! Bucket notifications through the front with a recording event bus: the configuration's XML
//! wire, `s3:TestEvent` and what a destination's failure does to the Put, events sent in order
//! after the response without the request waiting for the bus.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use nimbus_core::{Delivery, DeliveryError, EventBus};

const QUEUE: &str = "arn:aws:sqs:us-east-1:000000000000:events";
const TOPIC: &str = "arn:aws:sns:us-east-1:000000000000:removed";
const MISSING: &str = "arn:aws:sqs:us-east-1:000000000000:missing";
const FLAKY: &str = "arn:aws:sqs:us-east-1:000000000000:flaky";

/// Records deliveries; `MISSING` fails for good, `FLAKY` transiently. Object events (not test
/// events) wait for `open` while `held` is set.
#[derive(Default)]
struct Recorder {
    delivered: Mutex<Vec<Delivery>>,
    held: std::sync::atomic::AtomicBool,
    open: tokio::sync::Notify,
}

impl Recorder {
    fn delivered(&self) -> Vec<Delivery> {
        self.delivered.lock().unwrap().clone()
    }

    /// The delivered messages' bodies, parsed.
    fn bodies(&self) -> Vec<serde_json::Value> {
        self.delivered()
            .iter()
            .map(|d| match d {
                Delivery::Queue { body, .. } => serde_json::from_str(body).unwrap(),
                Delivery::Topic { message, .. } => serde_json::from_str(message).unwrap(),
                other => panic!("S3 notifications go to queues and topics only: {other:?}"),
            })
            .collect()
    }

    async fn wait_for(&self, count: usize) -> Vec<serde_json::Value> {
        for _ in 0..200 {
            if self.delivered.lock().unwrap().len() >= count {
                return self.bodies();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("wanted {count} deliveries, got {:?}", self.delivered());
    }
}

#[async_trait::async_trait]
impl EventBus for Recorder {
    async fn deliver(&self, delivery: &Delivery) -> Result<(), DeliveryError> {
        let (arn, body) = match delivery {
            Delivery::Queue { queue_arn, body, .. } => (queue_arn.as_str(), body.as_str()),
            Delivery::Topic { topic_arn, message, .. } => (topic_arn.as_str(), message.as_str()),
            Delivery::Http { url, body, .. } => (url.as_str(), body.as_str()),
            other => (other.target(), ""),
        };
        if arn == MISSING {
            return Err(DeliveryError::Permanent("no such queue".into()));
        }
        if arn == FLAKY {
            return Err(DeliveryError::Transient("try later".into()));
        }
        if !body.contains("s3:TestEvent") && self.held.load(std::sync::atomic::Ordering::SeqCst) {
            self.open.notified().await;
        }
        self.delivered.lock().unwrap().push(delivery.clone());
        Ok(())
    }
}

const CONFIG: &str = "<NotificationConfiguration>\
    <QueueConfiguration><Id>created</Id><Queue>arn:aws:sqs:us-east-1:000000000000:events</Queue>\
    <Event>s3:ObjectCreated:*</Event>\
    <Filter><S3Key><FilterRule><Name>prefix</Name><Value>in/</Value></FilterRule></S3Key></Filter>\
    </QueueConfiguration>\
    <TopicConfiguration><Topic>arn:aws:sns:us-east-1:000000000000:removed</Topic>\
    <Event>s3:ObjectRemoved:Delete</Event><Event>s3:ObjectRemoved:DeleteMarkerCreated</Event>\
    </TopicConfiguration>\
    <CloudFunctionConfiguration><Id>fn</Id>\
    <CloudFunction>arn:aws:lambda:us-east-1:000000000000:function:thumbs</CloudFunction>\
    <Event>s3:ObjectCreated:Put</Event>\
    <Filter><S3Key><FilterRule><Name>prefix</Name><Value>img/</Value></FilterRule></S3Key></Filter>\
    </CloudFunctionConfiguration>\
    <EventBridgeConfiguration></EventBridgeConfiguration>\
    </NotificationConfiguration>";

async fn wired() -> (Harness, Arc<Recorder>) {
    let bus = Arc::new(Recorder::default());
    let h = start_with_bus(bus.clone()).await;
    h.ok("PUT", "/bkt").await;
    let r = h.send_xml("PUT", "/bkt?notification", CONFIG).await;
    assert_eq!(r.status, 200, "{}", r.text());
    (h, bus)
}

#[tokio::test]
async fn configuration_wire_and_test_events() {
    let (h, bus) = wired().await;
    // One TestEvent per queue and topic (none to the Lambda function).
    let delivered = bus.delivered();
    assert_eq!(delivered.len(), 2, "{delivered:?}");
    match &delivered[1] {
        Delivery::Topic { topic_arn, subject, .. } => {
            assert_eq!((topic_arn.as_str(), subject.as_deref()), (TOPIC, Some("Amazon S3 Notification")));
        }
        other => panic!("{other:?}"),
    }
    match &delivered[0] {
        Delivery::Queue { queue_arn, group_id, .. } => assert_eq!((queue_arn.as_str(), group_id), (QUEUE, &None)),
        other => panic!("{other:?}"),
    }
    for body in bus.bodies() {
        assert_eq!(body["Event"], "s3:TestEvent");
        assert_eq!(body["Service"], "Amazon S3");
        assert_eq!(body["Bucket"], "bkt");
    }

    let r = h.ok("GET", "/bkt?notification").await;
    assert_eq!(r.all("Queue"), vec![QUEUE]);
    assert_eq!(r.all("Topic"), vec![TOPIC]);
    assert_eq!(r.all("CloudFunction"), vec!["arn:aws:lambda:us-east-1:000000000000:function:thumbs"]);
    assert_eq!(r.all("Name"), vec!["Prefix", "Prefix"]);
    // s3s writes the lists in its own order: compare as sets.
    let ids = r.all("Id");
    assert!(ids.contains(&"created".to_owned()) && ids.contains(&"fn".to_owned()), "{}", r.text());
    assert_eq!(ids.len(), 3, "the topic configuration got an id: {}", r.text());
    assert!(r.text().contains("<EventBridgeConfiguration"), "{}", r.text());
    let mut events = r.all("Event");
    events.sort();
    assert_eq!(
        events,
        vec![
            "s3:ObjectCreated:*",
            "s3:ObjectCreated:Put",
            "s3:ObjectRemoved:Delete",
            "s3:ObjectRemoved:DeleteMarkerCreated",
        ]
    );

    // The Lambda function's events are not delivered: an img/ object goes nowhere.
    h.put("/bkt/img/a.png", b"png").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(bus.delivered().len(), 2);
}

#[tokio::test]
async fn unreachable_destinations_refuse_the_configuration() {
    let bus = Arc::new(Recorder::default());
    let h = start_with_bus(bus.clone()).await;
    h.ok("PUT", "/bkt").await;
    let queue = |arn: &str| {
        format!(
            "<NotificationConfiguration><QueueConfiguration><Queue>{arn}</Queue>\
             <Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>"
        )
    };
    let r = h.send_xml("PUT", "/bkt?notification", &queue(MISSING)).await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidArgument")), "{}", r.text());
    assert_eq!(
        r.one("Message").as_deref(),
        Some("Unable to validate the following destination configurations")
    );
    let r = h.ok("GET", "/bkt?notification").await;
    assert!(r.all("Queue").is_empty(), "nothing stored: {}", r.text());
    // A transient failure is not the destination's fault: accepted.
    let r = h.send_xml("PUT", "/bkt?notification", &queue(FLAKY)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Skipping validation sends nothing and accepts anything well formed.
    let r = h
        .call("PUT", "/bkt?notification")
        .header("x-amz-skip-destination-validation", "true")
        .header("content-md5", &content_md5(queue(MISSING).as_bytes()))
        .body(queue(MISSING).into_bytes())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(h.ok("GET", "/bkt?notification").await.all("Queue"), vec![MISSING]);
    assert!(bus.delivered().is_empty());
    // Malformed configurations.
    let bad_event = "<NotificationConfiguration><QueueConfiguration><Queue>arn:aws:sqs:us-east-1:000000000000:events</Queue>\
        <Event>s3:ObjectCreated:Sometimes</Event></QueueConfiguration></NotificationConfiguration>";
    let r = h.send_xml("PUT", "/bkt?notification", bad_event).await;
    assert_eq!(
        (r.status, r.code().as_deref(), r.one("Message").as_deref()),
        (400, Some("InvalidArgument"), Some("The event is not supported for notifications"))
    );
}

#[tokio::test]
async fn events_follow_the_response_in_order_without_holding_it() {
    let (h, bus) = wired().await;
    let tests = bus.delivered().len();
    bus.held.store(true, std::sync::atomic::Ordering::SeqCst);
    // The bus is stuck; requests are not.
    let put = tokio::time::timeout(Duration::from_secs(5), h.put("/bkt/in/first.txt", b"one"))
        .await
        .expect("PUT waited for the bus");
    tokio::time::timeout(Duration::from_secs(5), h.ok("DELETE", "/bkt/in/first.txt"))
        .await
        .expect("DELETE waited for the bus");
    // Not matching: wrong prefix for the queue, and a PUT is no ObjectRemoved event.
    h.put("/bkt/out/second.txt", b"two").await;
    assert_eq!(bus.delivered().len(), tests);
    bus.held.store(false, std::sync::atomic::Ordering::SeqCst);
    bus.open.notify_one();
    let bodies = bus.wait_for(tests + 2).await;
    let records: Vec<&serde_json::Value> = bodies[tests..].iter().map(|b| &b["Records"][0]).collect();
    assert_eq!(
        records.iter().map(|r| r["eventName"].as_str().unwrap()).collect::<Vec<_>>(),
        vec!["ObjectCreated:Put", "ObjectRemoved:Delete"]
    );
    let put_record = records[0];
    assert_eq!(put_record["responseElements"]["x-amz-request-id"].as_str(), put.header("x-amz-request-id").as_deref());
    assert_eq!(put_record["responseElements"]["x-amz-id-2"].as_str(), put.header("x-amz-id-2").as_deref());
    assert_eq!(put_record["s3"]["configurationId"], "created");
    assert_eq!(put_record["s3"]["object"]["eTag"], md5_hex(b"one"));
    assert_eq!(put_record["s3"]["object"]["size"], 3);
    let delete_record = records[1];
    assert!(delete_record["s3"]["object"].get("size").is_none());
    assert!(
        delete_record["s3"]["object"]["sequencer"].as_str().unwrap()
            > put_record["s3"]["object"]["sequencer"].as_str().unwrap()
    );
    match &bus.delivered()[tests + 1] {
        Delivery::Topic { topic_arn, subject, .. } => {
            assert_eq!((topic_arn.as_str(), subject.as_deref()), (TOPIC, Some("Amazon S3 Notification")));
        }
        other => panic!("{other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(bus.delivered().len(), tests + 2, "out/second.txt matched nothing");
}

#[tokio::test]
async fn without_a_bus_configurations_are_kept_and_nothing_is_sent() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    let r = h.send_xml("PUT", "/bkt?notification", CONFIG).await;
    assert_eq!(r.status, 200, "{}", r.text());
    h.put("/bkt/in/a.txt", b"a").await;
    assert_eq!(h.ok("GET", "/bkt?notification").await.all("Queue"), vec![QUEUE]);
}
