//! What strict mode authorizes for an SNS call, from the service authorization reference: the
//! `sns:<Op>` action (PublishBatch is `sns:Publish`) on the topic the call names, with the
//! topic's tags (`aws:ResourceTag/*`), the request's tags (`aws:RequestTag/*`, `aws:TagKeys`) and
//! Subscribe's `sns:Protocol`/`sns:Endpoint`; the topic's `Policy` attribute is its resource policy.
//!
//! The reference gives Unsubscribe, Get/SetSubscriptionAttributes, ListTopics and
//! ListSubscriptions no resource type, so they are authorized on `*`.

use nimbus_core::document::string_list_member;
use nimbus_core::service::tag_list;
use nimbus_core::{Access, Document, RequestContext, ResourcePolicy};

use crate::records::TopicRecord;
use crate::topics::{default_policy, parse_topic_arn, tags_from, valid_topic_name};
use crate::{Inner, scope, string};

/// Operations on the topic named by `TopicArn`.
const ON_TOPIC_ARN: &[&str] = &[
    "AddPermission",
    "ConfirmSubscription",
    "DeleteTopic",
    "GetTopicAttributes",
    "ListSubscriptionsByTopic",
    "PublishBatch",
    "RemovePermission",
    "SetTopicAttributes",
    "Subscribe",
];

/// Operations on the topic named by `ResourceArn`.
const ON_RESOURCE_ARN: &[&str] = &["GetDataProtectionPolicy", "ListTagsForResource", "PutDataProtectionPolicy", "TagResource", "UntagResource"];

/// The topic ARN in `member`, if it is one (anything else cannot be named: the call fails later).
fn topic_member(input: &Document, member: &str) -> Option<String> {
    string(input, member).filter(|arn| parse_topic_arn(arn).is_some()).map(str::to_owned)
}

/// The topic a call names, `None` for calls on no topic or on one that cannot be named.
fn topic(ctx: &RequestContext, operation: &str, input: &Document) -> Option<String> {
    match operation {
        "CreateTopic" => string(input, "Name").filter(|name| valid_topic_name(name)).map(|name| ctx.arn("sns", name)),
        "Publish" => topic_member(input, "TopicArn").or_else(|| topic_member(input, "TargetArn")),
        op if ON_TOPIC_ARN.contains(&op) => topic_member(input, "TopicArn"),
        op if ON_RESOURCE_ARN.contains(&op) => topic_member(input, "ResourceArn"),
        _ => None,
    }
}


impl Inner {
    /// The stored topic an ARN names (a subscription ARN names its topic).
    fn topic_record(&self, arn: &str) -> Option<TopicRecord> {
        let (region, account, name) = parse_topic_arn(arn).or_else(|| arn.rsplit_once(':').and_then(|(topic, _)| parse_topic_arn(topic)))?;
        self.store.get::<TopicRecord>(&scope(&account, &region), &name).ok().flatten()
    }

    pub(crate) fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        let action = match operation {
            "PublishBatch" => "sns:Publish".to_owned(),
            other => format!("sns:{other}"),
        };
        let topic = topic(ctx, operation, input);
        let mut access = Access::new(action, vec![topic.clone().unwrap_or_else(|| "*".to_owned())]);
        if operation != "CreateTopic"
            && let Some(record) = topic.as_deref().and_then(|arn| self.topic_record(arn))
        {
            for (k, v) in &record.tags {
                access = access.with(format!("aws:ResourceTag/{k}"), vec![v.clone()]);
            }
        }
        match operation {
            "Subscribe" => {
                for (key, member) in [("sns:Protocol", "Protocol"), ("sns:Endpoint", "Endpoint")] {
                    if let Some(value) = string(input, member) {
                        access = access.with(key, vec![value.to_owned()]);
                    }
                }
            }
            "TagResource" => access = access.with_request_tags(tag_list(input, "Tags", "Key", "Value")),
            "UntagResource" => access = access.with("aws:TagKeys", string_list_member(input, "TagKeys")),
            "CreateTopic" => {
                access = access.with_request_tags(tag_list(input, "Tags", "Key", "Value"));
                // Tagging a topic on creation also takes sns:TagResource.
                if !tags_from(input).is_empty() {
                    let tagging = Access { action: "sns:TagResource".to_owned(), ..access.clone() };
                    return vec![access, tagging];
                }
            }
            _ => {}
        }
        vec![access]
    }

    /// The topic's `Policy` attribute (AWS's default policy if it has none), owned by the
    /// topic's account; a subscription ARN resolves to its topic.
    pub(crate) fn resource_policy(&self, resource_arn: &str) -> Option<ResourcePolicy> {
        let topic = self.topic_record(resource_arn)?;
        let (_, account, _) = parse_topic_arn(&topic.arn)?;
        let document = topic.attributes.get("Policy").cloned().unwrap_or_else(|| default_policy(&topic.arn, &account));
        Some(ResourcePolicy { document, owner_account: account })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use nimbus_core::{Clock, Delivery, DeliveryError, EventBus, Service};
    use nimbus_store::Store;
    use serde_json::json;

    use super::*;
    use crate::Sns;

    const TOPIC: &str = "arn:aws:sns:us-east-1:000000000000:alerts";

    struct NoBus;

    #[async_trait::async_trait]
    impl EventBus for NoBus {
        async fn deliver(&self, _: &Delivery) -> Result<(), DeliveryError> {
            Ok(())
        }
    }

    fn sns() -> Sns {
        Sns::new(Store::open_ephemeral().unwrap(), Clock::system(), Arc::new(NoBus))
    }

    fn ctx(op: &str) -> RequestContext {
        RequestContext::for_tests("sns", op)
    }

    fn access(sns: &Sns, op: &str, input: Document) -> Vec<Access> {
        sns.access(&ctx(op), op, &input)
    }

    fn one(sns: &Sns, op: &str, input: Document) -> (String, Vec<String>) {
        let accesses = access(sns, op, input);
        assert_eq!(accesses.len(), 1, "{accesses:?}");
        (accesses[0].action.clone(), accesses[0].resources.clone())
    }

    fn key<'a>(access: &'a Access, name: &str) -> Option<&'a Vec<String>> {
        access.context.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    #[test]
    fn topic_operations_name_the_topic() {
        let sns = sns();
        for op in ["Publish", "DeleteTopic", "GetTopicAttributes", "SetTopicAttributes", "Subscribe", "ListSubscriptionsByTopic", "AddPermission", "RemovePermission", "ConfirmSubscription"] {
            assert_eq!(one(&sns, op, json!({ "TopicArn": TOPIC })), (format!("sns:{op}"), vec![TOPIC.to_owned()]), "{op}");
        }
        assert_eq!(one(&sns, "PublishBatch", json!({ "TopicArn": TOPIC })), ("sns:Publish".to_owned(), vec![TOPIC.to_owned()]));
        assert_eq!(one(&sns, "Publish", json!({ "TargetArn": TOPIC })).1, vec![TOPIC.to_owned()]);
        for op in ["TagResource", "UntagResource", "ListTagsForResource", "GetDataProtectionPolicy", "PutDataProtectionPolicy"] {
            assert_eq!(one(&sns, op, json!({ "ResourceArn": TOPIC })).1, vec![TOPIC.to_owned()], "{op}");
        }
        assert_eq!(one(&sns, "CreateTopic", json!({ "Name": "alerts" })), ("sns:CreateTopic".to_owned(), vec![TOPIC.to_owned()]));
        let fifo = "arn:aws:sns:us-east-1:000000000000:orders.fifo";
        assert_eq!(one(&sns, "Publish", json!({ "TopicArn": fifo })).1, vec![fifo.to_owned()]);
    }

    #[test]
    fn account_wide_and_subscription_operations_are_on_star() {
        let sns = sns();
        let sub = format!("{TOPIC}:0b9c8a4e-5f0e-4c1b-9d3e-2f1a0c9b8d7e");
        for (op, input) in [
            ("ListTopics", json!({})),
            ("ListSubscriptions", json!({})),
            ("Unsubscribe", json!({ "SubscriptionArn": sub })),
            ("GetSubscriptionAttributes", json!({ "SubscriptionArn": sub })),
            ("SetSubscriptionAttributes", json!({ "SubscriptionArn": sub, "AttributeName": "RawMessageDelivery" })),
            ("Publish", json!({ "PhoneNumber": "+15555550100", "Message": "hi" })),
        ] {
            assert_eq!(one(&sns, op, input), (format!("sns:{op}"), vec!["*".to_owned()]), "{op}");
        }
    }

    #[test]
    fn bad_input_is_star_and_never_panics() {
        let sns = sns();
        for input in [
            json!({}),
            json!({ "TopicArn": "not-an-arn" }),
            json!({ "TopicArn": "arn:aws:sns:us-east-1:000000000000:bad name!" }),
            json!({ "TopicArn": "arn:aws:sqs:us-east-1:000000000000:alerts" }),
            json!({ "TopicArn": 42, "ResourceArn": [1], "Name": null, "Tags": "x", "TagKeys": {} }),
        ] {
            for op in ["Publish", "DeleteTopic", "TagResource", "UntagResource", "CreateTopic", "Subscribe"] {
                let accesses = access(&sns, op, input.clone());
                assert!(accesses.iter().all(|a| a.resources == ["*"]), "{op} {input}: {accesses:?}");
            }
        }
        assert_eq!(one(&sns, "CreateTopic", json!({ "Name": "no spaces allowed" })).1, ["*"]);
        assert_eq!(sns.resource_policy(&ctx("Publish"), "*"), None);
        assert_eq!(sns.resource_policy(&ctx("Publish"), "arn:aws:sns:us-east-1"), None);
    }

    #[test]
    fn subscribe_carries_protocol_and_endpoint() {
        let sns = sns();
        let queue = "arn:aws:sqs:us-east-1:000000000000:q";
        let accesses = access(&sns, "Subscribe", json!({ "TopicArn": TOPIC, "Protocol": "sqs", "Endpoint": queue }));
        assert_eq!(key(&accesses[0], "sns:Protocol"), Some(&vec!["sqs".to_owned()]));
        assert_eq!(key(&accesses[0], "sns:Endpoint"), Some(&vec![queue.to_owned()]));
        let bare = access(&sns, "Subscribe", json!({ "TopicArn": TOPIC, "Protocol": "email" }));
        assert_eq!(key(&bare[0], "sns:Endpoint"), None);
    }

    #[tokio::test]
    async fn tags_become_condition_keys() {
        let sns = sns();
        let create = json!({ "Name": "alerts", "Tags": [{ "Key": "team", "Value": "red" }, { "Key": "env", "Value": "dev" }] });
        let accesses = access(&sns, "CreateTopic", create.clone());
        // Tagging on creation also takes sns:TagResource, with the same request tags.
        assert_eq!(accesses.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(), ["sns:CreateTopic", "sns:TagResource"]);
        for a in &accesses {
            assert_eq!(a.resources, [TOPIC]);
            assert_eq!(key(a, "aws:RequestTag/team"), Some(&vec!["red".to_owned()]));
            assert_eq!(key(a, "aws:TagKeys"), Some(&vec!["team".to_owned(), "env".to_owned()]));
        }
        sns.call(&ctx("CreateTopic"), "CreateTopic", create).await.unwrap();

        let publish = access(&sns, "Publish", json!({ "TopicArn": TOPIC, "Message": "hi" }));
        assert_eq!(key(&publish[0], "aws:ResourceTag/team"), Some(&vec!["red".to_owned()]));
        assert_eq!(key(&publish[0], "aws:RequestTag/team"), None);
        let tag = access(&sns, "TagResource", json!({ "ResourceArn": TOPIC, "Tags": [{ "Key": "cost", "Value": "42" }] }));
        assert_eq!(key(&tag[0], "aws:RequestTag/cost"), Some(&vec!["42".to_owned()]));
        assert_eq!(key(&tag[0], "aws:TagKeys"), Some(&vec!["cost".to_owned()]));
        assert_eq!(key(&tag[0], "aws:ResourceTag/env"), Some(&vec!["dev".to_owned()]));
        let untag = access(&sns, "UntagResource", json!({ "ResourceArn": TOPIC, "TagKeys": ["team"] }));
        assert_eq!(key(&untag[0], "aws:TagKeys"), Some(&vec!["team".to_owned()]));
        // An untagged create is only sns:CreateTopic.
        assert_eq!(access(&sns, "CreateTopic", json!({ "Name": "plain" })).len(), 1);
    }

    #[tokio::test]
    async fn topic_policy_is_the_resource_policy() {
        let sns = sns();
        let c = ctx("CreateTopic");
        assert_eq!(sns.resource_policy(&c, TOPIC), None, "no topic, no policy");
        sns.call(&c, "CreateTopic", json!({ "Name": "alerts" })).await.unwrap();
        let default = sns.resource_policy(&c, TOPIC).unwrap();
        assert_eq!(default, ResourcePolicy { document: default_policy(TOPIC, "000000000000"), owner_account: "000000000000".into() });
        // A subscription ARN resolves to its topic.
        assert_eq!(sns.resource_policy(&c, &format!("{TOPIC}:0b9c8a4e-5f0e-4c1b-9d3e-2f1a0c9b8d7e")), Some(default));

        let own = json!({ "Version": "2012-10-17", "Statement": [{ "Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": TOPIC }] }).to_string();
        sns.call(&c, "SetTopicAttributes", json!({ "TopicArn": TOPIC, "AttributeName": "Policy", "AttributeValue": own })).await.unwrap();
        assert_eq!(sns.resource_policy(&c, TOPIC).unwrap().document, own);
        // A topic whose policy was removed falls back to AWS's default.
        sns.call(&c, "SetTopicAttributes", json!({ "TopicArn": TOPIC, "AttributeName": "Policy", "AttributeValue": "" })).await.unwrap();
        assert_eq!(sns.resource_policy(&c, TOPIC).unwrap().document, default_policy(TOPIC, "000000000000"));
    }
}
