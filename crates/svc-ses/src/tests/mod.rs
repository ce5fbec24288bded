//! SES through `Service::call` (v1 and v2 over one state), with a bus that records what it is
//! handed and a fixed clock.

mod resources;
mod sending;

use std::sync::{Arc, Mutex};

use nimbus_core::{Clock, Delivery, DeliveryError, EventBus, RequestContext, Service, ServiceError};
use nimbus_store::Store;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{MailFilter, Ses, SesOptions, SesV2};

#[derive(Default)]
struct RecordingBus {
    delivered: Mutex<Vec<Delivery>>,
}

#[async_trait::async_trait]
impl EventBus for RecordingBus {
    async fn deliver(&self, delivery: &Delivery) -> Result<(), DeliveryError> {
        self.delivered.lock().unwrap().push(delivery.clone());
        Ok(())
    }
}

struct Fixture {
    ses: Ses,
    v2: SesV2,
    bus: Arc<RecordingBus>,
    clock: Clock,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(SesOptions::default(), Store::open_ephemeral().unwrap())
    }

    fn requiring_verification() -> Fixture {
        Fixture::with(SesOptions { require_verification: true, smtp_relay: None }, Store::open_ephemeral().unwrap())
    }

    fn with(options: SesOptions, store: Store) -> Fixture {
        let clock = Clock::fixed(OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap());
        let bus = Arc::new(RecordingBus::default());
        let ses = Ses::new(store, clock.clone(), options, Some(bus.clone() as Arc<dyn EventBus>));
        let v2 = ses.v2();
        Fixture { ses, v2, bus, clock }
    }

    async fn v1(&self, op: &str, input: Value) -> Result<Value, ServiceError> {
        self.ses.call(&RequestContext::for_tests("ses", op), op, input).await
    }

    async fn v2(&self, op: &str, input: Value) -> Result<Value, ServiceError> {
        self.v2.call(&RequestContext::for_tests("sesv2", op), op, input).await
    }

    async fn ok1(&self, op: &str, input: Value) -> Value {
        self.v1(op, input).await.unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    async fn ok2(&self, op: &str, input: Value) -> Value {
        self.v2(op, input).await.unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    async fn err1(&self, op: &str, input: Value) -> ServiceError {
        self.v1(op, input).await.expect_err(op)
    }

    async fn err2(&self, op: &str, input: Value) -> ServiceError {
        self.v2(op, input).await.expect_err(op)
    }

    async fn verify(&self, address: &str) {
        self.ok1("VerifyEmailIdentity", json!({ "EmailAddress": address })).await;
    }

    /// The mailbox's messages (Nimbus's JSON).
    fn messages(&self, filter: MailFilter) -> Vec<Value> {
        self.ses.messages_json(&filter).unwrap()["messages"].as_array().unwrap().clone()
    }

    fn raw(&self, id: &str) -> String {
        String::from_utf8(self.ses.message_raw(id).unwrap().expect("stored")).unwrap()
    }

    /// Waits until the bus has received `n` deliveries; returns their (topic, parsed message).
    async fn published(&self, n: usize) -> Vec<(String, Value)> {
        for _ in 0..200 {
            if self.bus.delivered.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        self.bus
            .delivered
            .lock()
            .unwrap()
            .iter()
            .map(|d| match d {
                Delivery::Topic { topic_arn, message, .. } => (topic_arn.clone(), serde_json::from_str(message).unwrap()),
                other => panic!("unexpected delivery {other:?}"),
            })
            .collect()
    }
}

fn send_input(from: &str, to: &[&str]) -> Value {
    json!({
        "Source": from,
        "Destination": { "ToAddresses": to },
        "Message": {
            "Subject": { "Data": "Hello" },
            "Body": { "Text": { "Data": "plain body" }, "Html": { "Data": "<p>html body</p>" } },
        },
    })
}
