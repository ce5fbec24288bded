//! Topics: create, delete, list, attributes, tags, data protection policies, permissions.

use std::collections::BTreeMap;

use nimbus_core::{RequestContext, ServiceError};
use serde_json::{Map, Value, json};

use crate::errors::{Fail, Res, invalid, topic_not_found};
use crate::records::{SubscriptionRecord, TopicRecord};
use nimbus_core::document::string_list_member;

use crate::subscriptions::subscriptions_of;
use crate::{Inner, after_token, ctx_scope, next_token, required, scope, string, string_map};

const MAX_TAGS: usize = 50;
const PAGE: usize = 100;

/// Topic attributes a caller may set (the delivery-status logging ones are `<Protocol>Success|Failure...`).
fn settable(name: &str, fifo: bool) -> bool {
    const PLAIN: &[&str] = &["DeliveryPolicy", "DisplayName", "Policy", "TracingConfig", "KmsMasterKeyId", "SignatureVersion", "ArchivePolicy", "DataProtectionPolicy"];
    const FIFO: &[&str] = &["ContentBasedDeduplication", "FifoThroughputScope"];
    const LOGGING_PROTOCOLS: &[&str] = &["HTTP", "Firehose", "Lambda", "SQS", "Application"];
    const LOGGING: &[&str] = &["SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn"];
    PLAIN.contains(&name)
        || (fifo && FIFO.contains(&name))
        || LOGGING_PROTOCOLS.iter().any(|p| name.strip_prefix(p).is_some_and(|rest| LOGGING.contains(&rest)))
}

fn check_attribute(name: &str, value: &str, fifo: bool) -> Res<()> {
    if !settable(name, fifo) {
        return Err(invalid("AttributeName"));
    }
    let ok = match name {
        "Policy" | "DeliveryPolicy" | "ArchivePolicy" | "DataProtectionPolicy" => value.is_empty() || serde_json::from_str::<Value>(value).is_ok_and(|v| v.is_object()),
        "TracingConfig" => matches!(value, "PassThrough" | "Active"),
        "SignatureVersion" => matches!(value, "1" | "2"),
        "ContentBasedDeduplication" => matches!(value, "true" | "false"),
        "FifoThroughputScope" => matches!(value, "Topic" | "MessageGroup"),
        "DisplayName" => value.chars().count() <= 100,
        _ => true,
    };
    if ok { Ok(()) } else { Err(invalid(format!("Attributes Reason: {name}: invalid value"))) }
}

pub(crate) fn valid_topic_name(name: &str) -> bool {
    let stem = name.strip_suffix(".fifo").unwrap_or(name);
    !stem.is_empty() && name.len() <= 256 && stem.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn parse_topic_arn(arn: &str) -> Option<(String, String, String)> {
    let mut parts = arn.splitn(6, ':');
    let (a, _partition, service, region, account, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (a == "arn" && service == "sns" && !region.is_empty() && !account.is_empty() && valid_topic_name(name))
        .then(|| (region.to_owned(), account.to_owned(), name.to_owned()))
}

/// The topic an ARN names; `NotFound` when there is none, `InvalidParameter` for a bad ARN.
pub fn find_topic(inner: &Inner, arn: &str, what: &str) -> Res<TopicRecord> {
    let (region, account, name) = parse_topic_arn(arn).ok_or_else(|| invalid(what))?;
    inner.store.get::<TopicRecord>(&scope(&account, &region), &name).map_err(Fail::from)?.ok_or_else(topic_not_found)
}

pub(crate) fn tags_from(input: &Value) -> BTreeMap<String, String> {
    input
        .get("Tags")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|t| Some((t.get("Key")?.as_str()?.to_owned(), t.get("Value")?.as_str()?.to_owned()))).collect())
        .unwrap_or_default()
}

fn check_tags(tags: &BTreeMap<String, String>) -> Res<()> {
    if tags.len() > MAX_TAGS {
        return Err(ServiceError::new("TagLimitExceededException", "Could not complete request: tag quota of per resource exceeded"));
    }
    if tags.keys().any(|k| k.is_empty() || k.chars().count() > 128 || k.starts_with("aws:")) || tags.values().any(|v| v.chars().count() > 256) {
        return Err(invalid("Tags"));
    }
    Ok(())
}

/// AWS's policy for a new topic (and the topic's policy when it has none of its own).
pub(crate) fn default_policy(arn: &str, account: &str) -> String {
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": { "AWS": "*" },
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
            "Resource": arn,
            "Condition": { "StringEquals": { "AWS:SourceOwner": account } }
        }]
    })
    .to_string()
}

pub async fn create_topic(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(input, "Name")?.to_owned();
    let mut requested = string_map(input, "Attributes");
    let fifo = requested.get("FifoTopic").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !valid_topic_name(&name) || fifo != name.ends_with(".fifo") {
        return Err(invalid(if fifo || name.ends_with(".fifo") {
            "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
        } else {
            "Topic Name"
        }));
    }
    requested.remove("FifoTopic");
    for (k, v) in &requested {
        check_attribute(k, v, fifo)?;
    }
    let tags = tags_from(input);
    check_tags(&tags)?;
    let arn = ctx.arn("sns", &name);
    let mut attributes = requested.clone();
    attributes.entry("Policy".into()).or_insert_with(|| default_policy(&arn, &ctx.account_id));
    attributes.entry("DisplayName".into()).or_default();
    if fifo {
        attributes.insert("FifoTopic".into(), "true".into());
        attributes.entry("ContentBasedDeduplication".into()).or_insert_with(|| "false".into());
    }
    let record = TopicRecord {
        name: name.clone(),
        arn: arn.clone(),
        attributes,
        tags,
        data_protection_policy: string(input, "DataProtectionPolicy").map(str::to_owned),
        created_ms: inner.now(),
        sequence: 0,
    };
    let scope = ctx_scope(ctx);
    inner
        .write(move |t| {
            if let Some(existing) = t.get::<TopicRecord>(&scope, &record.name)? {
                // Same name: the same topic, unless the request asks for different attributes.
                if requested.iter().any(|(k, v)| existing.attributes.get(k) != Some(v)) {
                    return Err(Fail(invalid("Attributes Reason: Topic already exists with different attributes")));
                }
                return Ok(());
            }
            t.put(&scope, &record.name, &record)?;
            Ok(())
        })
        .await?;
    Ok(json!({ "TopicArn": arn }))
}

pub async fn delete_topic(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let arn = required(input, "TopicArn")?.to_owned();
    let (region, account, name) = parse_topic_arn(&arn).ok_or_else(|| invalid("TopicArn"))?;
    let subs: Vec<String> = subscriptions_of(inner, &arn)?.into_iter().map(|(k, _)| k).collect();
    // Deleting a topic that does not exist succeeds, as on AWS.
    inner
        .write(move |t| {
            let scope = scope(&account, &region);
            t.delete::<TopicRecord>(&scope, &name)?;
            for key in &subs {
                t.delete::<SubscriptionRecord>(&scope, key)?;
            }
            Ok(())
        })
        .await?;
    Ok(json!({}))
}

pub fn list_topics(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let after = after_token(input)?;
    let page = inner.store.list::<TopicRecord>(&ctx_scope(ctx), "", after.as_deref(), PAGE + 1).map_err(Fail::from)?;
    let more = page.len() > PAGE;
    let topics: Vec<Value> = page.iter().take(PAGE).map(|(_, t)| json!({ "TopicArn": t.arn })).collect();
    let mut out = Map::new();
    out.insert("Topics".into(), Value::Array(topics));
    if more {
        out.insert("NextToken".into(), json!(next_token(&page[PAGE - 1].0)));
    }
    Ok(Value::Object(out))
}

pub fn get_topic_attributes(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let topic = find_topic(inner, required(input, "TopicArn")?, "TopicArn")?;
    let (_, account, _) = parse_topic_arn(&topic.arn).expect("stored ARNs parse");
    let subs: Vec<SubscriptionRecord> = subscriptions_of(inner, &topic.arn)?.into_iter().map(|(_, s)| s).collect();
    let mut attrs: Map<String, Value> = topic.attributes.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    attrs.insert("TopicArn".into(), json!(topic.arn));
    attrs.insert("Owner".into(), json!(account));
    attrs.insert("SubscriptionsConfirmed".into(), json!(subs.iter().filter(|s| s.confirmed).count().to_string()));
    attrs.insert("SubscriptionsPending".into(), json!(subs.iter().filter(|s| !s.confirmed).count().to_string()));
    attrs.insert("SubscriptionsDeleted".into(), json!("0"));
    attrs.insert("EffectiveDeliveryPolicy".into(), json!(effective_delivery_policy(topic.attributes.get("DeliveryPolicy"))));
    Ok(json!({ "Attributes": attrs }))
}

/// AWS's default HTTP delivery policy, or the topic's own.
pub fn effective_delivery_policy(own: Option<&String>) -> String {
    own.cloned().unwrap_or_else(|| {
        json!({"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3, "numMaxDelayRetries": 0, "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear"}, "disableSubscriptionOverrides": false, "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}}})
            .to_string()
    })
}

async fn update_topic(inner: &Inner, arn: &str, change: impl FnOnce(&mut TopicRecord) -> Res<()> + Send + 'static) -> Res<()> {
    let (region, account, name) = parse_topic_arn(arn).ok_or_else(|| invalid("TopicArn"))?;
    inner
        .write(move |t| {
            let scope = scope(&account, &region);
            let mut topic = t.get::<TopicRecord>(&scope, &name)?.ok_or_else(topic_not_found)?;
            change(&mut topic)?;
            t.put(&scope, &name, &topic)?;
            Ok(())
        })
        .await
}

pub async fn set_topic_attributes(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let arn = required(input, "TopicArn")?.to_owned();
    let name = required(input, "AttributeName")?.to_owned();
    let value = string(input, "AttributeValue").unwrap_or_default().to_owned();
    update_topic(inner, &arn, move |topic| {
        let fifo = topic.attributes.get("FifoTopic").is_some_and(|v| v == "true");
        check_attribute(&name, &value, fifo)?;
        if value.is_empty() && name != "DisplayName" {
            topic.attributes.remove(&name);
        } else {
            topic.attributes.insert(name, value);
        }
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

pub async fn tag_resource(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let arn = required(input, "ResourceArn")?.to_owned();
    let tags = tags_from(input);
    update_topic(inner, &arn, move |topic| {
        topic.tags.extend(tags);
        check_tags(&topic.tags)
    })
    .await
    .map_err(resource_not_found)?;
    Ok(json!({}))
}

/// Tagging calls name a missing topic with `ResourceNotFound`.
fn resource_not_found(e: ServiceError) -> ServiceError {
    if e.code == "NotFoundException" { ServiceError::new("ResourceNotFoundException", "Resource does not exist") } else { e }
}

pub async fn untag_resource(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let arn = required(input, "ResourceArn")?.to_owned();
    let keys = string_list_member(input, "TagKeys");
    update_topic(inner, &arn, move |topic| {
        topic.tags.retain(|k, _| !keys.contains(k));
        Ok(())
    })
    .await
    .map_err(resource_not_found)?;
    Ok(json!({}))
}

pub fn list_tags_for_resource(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let topic = find_topic(inner, required(input, "ResourceArn")?, "ResourceArn").map_err(resource_not_found)?;
    let tags: Vec<Value> = topic.tags.iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect();
    Ok(json!({ "Tags": tags }))
}

pub async fn put_data_protection_policy(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let arn = required(input, "ResourceArn")?.to_owned();
    let policy = required(input, "DataProtectionPolicy")?.to_owned();
    if !serde_json::from_str::<Value>(&policy).is_ok_and(|v| v.is_object()) {
        return Err(invalid("DataProtectionPolicy"));
    }
    update_topic(inner, &arn, move |topic| {
        topic.data_protection_policy = Some(policy);
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

pub fn get_data_protection_policy(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let topic = find_topic(inner, required(input, "ResourceArn")?, "ResourceArn")?;
    Ok(match topic.data_protection_policy {
        Some(p) => json!({ "DataProtectionPolicy": p }),
        None => json!({}),
    })
}

pub async fn add_permission(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let arn = required(input, "TopicArn")?.to_owned();
    let label = required(input, "Label")?.to_owned();
    let (accounts, actions) = (string_list_member(input, "AWSAccountId"), string_list_member(input, "ActionName"));
    update_topic(inner, &arn, move |topic| {
        let mut policy: Value = topic.attributes.get("Policy").and_then(|p| serde_json::from_str(p).ok()).unwrap_or_else(|| json!({"Version": "2008-10-17", "Statement": []}));
        let statements = policy["Statement"].as_array_mut().ok_or_else(|| invalid("Policy"))?;
        if statements.iter().any(|s| s["Sid"] == label.as_str()) {
            return Err(invalid("Statement already exists"));
        }
        let principals: Vec<String> = accounts.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect();
        let actions: Vec<String> = actions.iter().map(|a| format!("SNS:{a}")).collect();
        statements.push(json!({ "Sid": label, "Effect": "Allow", "Principal": {"AWS": principals}, "Action": actions, "Resource": topic.arn }));
        topic.attributes.insert("Policy".into(), policy.to_string());
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

pub async fn remove_permission(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let arn = required(input, "TopicArn")?.to_owned();
    let label = required(input, "Label")?.to_owned();
    update_topic(inner, &arn, move |topic| {
        let Some(mut policy) = topic.attributes.get("Policy").and_then(|p| serde_json::from_str::<Value>(p).ok()) else { return Ok(()) };
        if let Some(statements) = policy["Statement"].as_array_mut() {
            statements.retain(|s| s["Sid"] != label.as_str());
        }
        topic.attributes.insert("Policy".into(), policy.to_string());
        Ok(())
    })
    .await?;
    Ok(json!({}))
}
