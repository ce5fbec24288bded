//! Amazon SNS: topics, subscriptions, filter policies, and durable fan-out.
//!
//! Topics and subscriptions are store records ([`records`]). A publish is accepted once one
//! [`records::PendingDelivery`] per matching subscription is committed; the delivery worker
//! ([`delivery`]) then hands each to the event bus ([`nimbus_core::EventBus`]: SQS queues,
//! HTTP endpoints) and deletes it when delivered, retrying transient failures and sending what
//! cannot be delivered to the subscription's dead-letter queue. Email deliveries go to the local
//! mailbox (store records).
//!
//! Times read Nimbus's [`Clock`].

mod access;
mod delivery;
mod errors;
mod filter_policy;
mod publish;
mod records;
mod signing;
mod subscriptions;
mod topics;

use std::sync::Arc;

use nimbus_core::{Access, Clock, Document, EventBus, RequestContext, ResourcePolicy, Service, ServiceError};
use nimbus_store::{Store, Txn};
use serde_json::Value;

use crate::errors::{Fail, Res};

pub use signing::CERT_PATH as SIGNING_CERT_PATH;

pub struct Sns {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    deliveries: delivery::Worker,
    signer: signing::SignerCell,
}

const OPERATIONS: &[&str] = &[
    "ConfirmSubscription",
    "CreateTopic",
    "DeleteTopic",
    "GetDataProtectionPolicy",
    "GetSubscriptionAttributes",
    "GetTopicAttributes",
    "ListSubscriptions",
    "ListSubscriptionsByTopic",
    "ListTagsForResource",
    "ListTopics",
    "Publish",
    "PublishBatch",
    "PutDataProtectionPolicy",
    "SetSubscriptionAttributes",
    "SetTopicAttributes",
    "Subscribe",
    "TagResource",
    "Unsubscribe",
    "UntagResource",
    "AddPermission",
    "RemovePermission",
];

impl Sns {
    pub fn new(store: Store, clock: Clock, bus: Arc<dyn EventBus>) -> Self {
        let deliveries = delivery::Worker::new(bus);
        Sns { inner: Arc::new(Inner { store, clock, deliveries, signer: Default::default() }) }
    }

    /// Starts the delivery worker on the current tokio runtime: it first resumes deliveries a
    /// previous run accepted but had not finished.
    pub fn start(&self) {
        delivery::start(self.inner.clone());
    }

    /// A message from another service through the event bus ([`nimbus_core::Delivery::Topic`],
    /// e.g. an S3 event notification): published as a Publish call from the topic's owner would be.
    pub async fn deliver(&self, delivery: &nimbus_core::Delivery) -> Result<(), ServiceError> {
        let nimbus_core::Delivery::Topic { topic_arn, message, subject } = delivery else {
            return Err(ServiceError::internal("SNS was handed a delivery for another kind of target"));
        };
        let (region, account, _) = topics::parse_topic_arn(topic_arn).ok_or_else(errors::topic_not_found)?;
        let mut ctx = RequestContext::for_tests("sns", "Publish");
        ctx.account_id = account;
        ctx.region = region;
        let mut input = serde_json::json!({ "TopicArn": topic_arn, "Message": message });
        if let Some(s) = subject {
            input["Subject"] = s.clone().into();
        }
        publish::publish(&self.inner, &ctx, &input).await.map(|_| ())
    }

    /// The PEM certificate notifications are signed with (served at [`SIGNING_CERT_PATH`]).
    pub fn signing_certificate(&self) -> Result<String, ServiceError> {
        Ok(self.inner.signer.get(&self.inner.store)?.cert_pem.clone())
    }

    /// Email delivered by builds before SES took the mailbox, oldest first (new email is in
    /// SES's mailbox).
    pub fn mailbox(&self, account: &str, region: &str) -> Result<Vec<Value>, ServiceError> {
        let scope = format!("{account}/{region}");
        let mails = list_all::<records::MailRecord>(&self.inner.store, &scope)?;
        Ok(mails
            .into_iter()
            .map(|(_, m)| serde_json::json!({ "to": m.to, "subject": m.subject, "body": m.body, "topicArn": m.topic_arn, "sentMs": m.sent_ms }))
            .collect())
    }
}

impl Inner {
    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Runs a store transaction on the store's writer thread, so concurrent publishes share a
    /// commit without parking a thread each.
    async fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Txn) -> Result<T, Fail> + Send + 'static) -> Res<T> {
        self.store.transaction_async(f).await.map_err(ServiceError::from)
    }
}

fn scope(account: &str, region: &str) -> String {
    format!("{account}/{region}")
}

fn ctx_scope(ctx: &RequestContext) -> String {
    scope(&ctx.account_id, &ctx.region)
}

/// Every record of a kind in a scope, in key order.
fn list_all<R: nimbus_store::Record>(store: &Store, scope: &str) -> Result<Vec<(String, R)>, ServiceError> {
    Ok(store.list_all::<R>(scope).map_err(Fail::from)?)
}

use nimbus_core::document::{str_member as string, string_map_member as string_map};

fn required<'a>(input: &'a Value, name: &str) -> Res<&'a str> {
    string(input, name).ok_or_else(|| errors::invalid(name))
}

/// Opaque pagination tokens: the last key of the page, base64.
fn next_token(last: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(last)
}

fn after_token(input: &Value) -> Res<Option<String>> {
    use base64::Engine;
    match string(input, "NextToken") {
        None => Ok(None),
        Some(t) => base64::engine::general_purpose::STANDARD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .map(Some)
            .ok_or_else(|| errors::invalid("NextToken")),
    }
}

#[async_trait::async_trait]
impl Service for Sns {
    fn model_name(&self) -> &'static str {
        "sns"
    }

    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        self.inner.access(ctx, operation, input)
    }

    fn resource_policy(&self, _ctx: &RequestContext, resource_arn: &str) -> Option<ResourcePolicy> {
        self.inner.resource_policy(resource_arn)
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        let inner = &self.inner;
        match operation {
            "CreateTopic" => topics::create_topic(inner, ctx, &input).await,
            "DeleteTopic" => topics::delete_topic(inner, ctx, &input).await,
            "ListTopics" => topics::list_topics(inner, ctx, &input),
            "GetTopicAttributes" => topics::get_topic_attributes(inner, ctx, &input),
            "SetTopicAttributes" => topics::set_topic_attributes(inner, ctx, &input).await,
            "TagResource" => topics::tag_resource(inner, ctx, &input).await,
            "UntagResource" => topics::untag_resource(inner, ctx, &input).await,
            "ListTagsForResource" => topics::list_tags_for_resource(inner, ctx, &input),
            "PutDataProtectionPolicy" => topics::put_data_protection_policy(inner, ctx, &input).await,
            "GetDataProtectionPolicy" => topics::get_data_protection_policy(inner, ctx, &input),
            "AddPermission" => topics::add_permission(inner, ctx, &input).await,
            "RemovePermission" => topics::remove_permission(inner, ctx, &input).await,
            "Subscribe" => subscriptions::subscribe(inner, ctx, &input).await,
            "ConfirmSubscription" => subscriptions::confirm_subscription(inner, ctx, &input).await,
            "Unsubscribe" => subscriptions::unsubscribe(inner, ctx, &input).await,
            "ListSubscriptions" => subscriptions::list_subscriptions(inner, ctx, &input, None),
            "ListSubscriptionsByTopic" => {
                let topic = required(&input, "TopicArn")?.to_owned();
                subscriptions::list_subscriptions(inner, ctx, &input, Some(&topic))
            }
            "GetSubscriptionAttributes" => subscriptions::get_subscription_attributes(inner, ctx, &input),
            "SetSubscriptionAttributes" => subscriptions::set_subscription_attributes(inner, ctx, &input).await,
            "Publish" => publish::publish(inner, ctx, &input).await,
            "PublishBatch" => publish::publish_batch(inner, ctx, &input).await,
            _ => Err(ServiceError::not_implemented("SNS", operation)),
        }
    }
}

#[cfg(test)]
mod tests;
