//! Subscriptions: subscribe (with the confirmation handshake for HTTP and email endpoints),
//! confirm, unsubscribe, list, attributes.

use std::collections::BTreeMap;

use nimbus_core::{RequestContext, ServiceError};
use serde_json::{Map, Value, json};

use crate::errors::{Fail, Res, invalid, subscription_not_found};
use crate::filter_policy::{FilterPolicy, FilterScope};
use crate::records::SubscriptionRecord;
use crate::topics::{effective_delivery_policy, find_topic, parse_topic_arn};
use crate::{Inner, after_token, ctx_scope, list_all, next_token, publish, required, scope, string, string_map};

const PAGE: usize = 100;
const SETTABLE: &[&str] = &["DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy"];

/// Protocols that must confirm before they receive anything (AWS sends them a confirmation).
fn needs_confirmation(protocol: &str) -> bool {
    matches!(protocol, "http" | "https" | "email" | "email-json")
}

fn check_endpoint(protocol: &str, endpoint: &str) -> Res<()> {
    let arn_of = |service: &str| endpoint.starts_with(&format!("arn:aws:{service}:")) && endpoint.split(':').count() >= 6;
    let ok = match protocol {
        "http" => endpoint.starts_with("http://"),
        "https" => endpoint.starts_with("https://"),
        "email" | "email-json" => endpoint.contains('@') && !endpoint.starts_with('@') && !endpoint.ends_with('@'),
        "sqs" => arn_of("sqs"),
        "lambda" => arn_of("lambda"),
        "firehose" => arn_of("firehose"),
        "application" => arn_of("sns"),
        "sms" => endpoint.trim_start_matches('+').len() >= 7 && endpoint.trim_start_matches('+').bytes().all(|b| b.is_ascii_digit()),
        other => return Err(invalid(format!("Amazon SNS does not support this protocol string: {other}"))),
    };
    if ok {
        return Ok(());
    }
    Err(invalid(match protocol {
        "sqs" => "SQS endpoint ARN".to_owned(),
        "lambda" => "Lambda endpoint ARN".to_owned(),
        "email" | "email-json" => "Email address".to_owned(),
        "sms" => "SMS endpoint".to_owned(),
        _ => "Endpoint must match the specified protocol".to_owned(),
    }))
}

/// Validates one subscription attribute for a protocol.
fn check_attribute(name: &str, value: &str, protocol: &str, attrs: &BTreeMap<String, String>) -> Res<()> {
    if !SETTABLE.contains(&name) {
        return Err(invalid("AttributeName"));
    }
    let bad = |why: &str| invalid(format!("Attributes Reason: {name}: {why}"));
    let json_object = |v: &str| serde_json::from_str::<Value>(v).is_ok_and(|v| v.is_object());
    match name {
        "RawMessageDelivery" if !matches!(value.to_ascii_lowercase().as_str(), "true" | "false") => {
            Err(bad(&format!("Invalid value [{value}]. Must be true or false.")))
        }
        "RawMessageDelivery" if !matches!(protocol, "sqs" | "http" | "https" | "firehose") => {
            Err(invalid(format!("Attributes Reason: Delivery protocol [{protocol}] does not support raw message delivery.")))
        }
        "FilterPolicyScope" if !matches!(value, "MessageAttributes" | "MessageBody") => {
            Err(bad("Invalid value; the supported values are MessageAttributes and MessageBody"))
        }
        "FilterPolicy" if !value.is_empty() => {
            FilterPolicy::parse(value, scope_of(attrs.get("FilterPolicyScope").map(String::as_str))).map(|_| ())
        }
        "RedrivePolicy" if !value.is_empty() => {
            let target = serde_json::from_str::<Value>(value).ok().and_then(|v| v.get("deadLetterTargetArn")?.as_str().map(str::to_owned));
            if target.is_some_and(|t| t.starts_with("arn:aws:sqs:")) { Ok(()) } else { Err(bad("deadLetterTargetArn must be an SQS queue ARN")) }
        }
        "DeliveryPolicy" | "ReplayPolicy" if !value.is_empty() && !json_object(value) => Err(bad("Invalid JSON")),
        _ => Ok(()),
    }
}

pub fn scope_of(value: Option<&str>) -> FilterScope {
    if value == Some("MessageBody") { FilterScope::MessageBody } else { FilterScope::MessageAttributes }
}

fn subscription_key(arn: &str) -> Option<(String, String)> {
    // arn:aws:sns:<region>:<account>:<topic>:<id>
    let (topic_arn, id) = arn.rsplit_once(':')?;
    let (region, account, _) = parse_topic_arn(topic_arn)?;
    Some((scope(&account, &region), id.to_owned()))
}

/// The subscriptions of a topic (they live in the topic's account and region), keyed by id.
pub fn subscriptions_of(inner: &Inner, topic_arn: &str) -> Res<Vec<(String, SubscriptionRecord)>> {
    let (region, account, _) = parse_topic_arn(topic_arn).ok_or_else(|| invalid("TopicArn"))?;
    let mut subs = list_all::<SubscriptionRecord>(&inner.store, &scope(&account, &region))?;
    subs.retain(|(_, s)| s.topic_arn == topic_arn);
    Ok(subs)
}

pub fn find_subscription(inner: &Inner, arn: &str) -> Res<(String, SubscriptionRecord)> {
    let (scope, id) = subscription_key(arn).ok_or_else(|| invalid("SubscriptionArn"))?;
    let sub = inner.store.get::<SubscriptionRecord>(&scope, &id).map_err(Fail::from)?.ok_or_else(subscription_not_found)?;
    Ok((scope, sub))
}

pub async fn subscribe(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let topic = find_topic(inner, required(input, "TopicArn")?, "TopicArn")?;
    let protocol = required(input, "Protocol")?.to_ascii_lowercase();
    let endpoint = string(input, "Endpoint").unwrap_or_default().to_owned();
    check_endpoint(&protocol, &endpoint)?;
    let fifo = topic.attributes.get("FifoTopic").is_some_and(|v| v == "true");
    if fifo && protocol != "sqs" && protocol != "firehose" {
        return Err(invalid(format!("Invalid protocol type: {protocol}")));
    }
    let requested = string_map(input, "Attributes");
    for (name, value) in &requested {
        check_attribute(name, value, &protocol, &requested)?;
    }
    let scope = ctx_scope(ctx);
    let existing = list_all::<SubscriptionRecord>(&inner.store, &scope)?
        .into_iter()
        .map(|(_, s)| s)
        .find(|s| s.topic_arn == topic.arn && s.protocol == protocol && s.endpoint == endpoint);
    let return_arn = input.get("ReturnSubscriptionArn").and_then(Value::as_bool).unwrap_or(false);
    if let Some(sub) = existing {
        if requested.iter().any(|(k, v)| sub.attributes.get(k) != Some(v)) {
            return Err(invalid("Attributes Reason: Subscription already exists with different attributes"));
        }
        return Ok(json!({ "SubscriptionArn": shown_arn(&sub, return_arn) }));
    }
    let id = nimbus_core::ids::uuid();
    let pending = needs_confirmation(&protocol);
    let sub = SubscriptionRecord {
        arn: format!("{}:{id}", topic.arn),
        topic_arn: topic.arn.clone(),
        protocol: protocol.clone(),
        endpoint,
        owner: ctx.account_id.clone(),
        attributes: requested,
        confirmed: !pending,
        token: pending.then(confirmation_token),
        created_ms: inner.now(),
    };
    let confirmation = if pending { Some(publish::confirmation_delivery(inner, ctx, &topic, &sub)?) } else { None };
    let stored = sub.clone();
    inner
        .write(move |t| {
            t.put(&scope, &id, &stored)?;
            if let Some(c) = confirmation {
                publish::stage(t, c)?;
            }
            Ok(())
        })
        .await?;
    inner.deliveries.wake();
    Ok(json!({ "SubscriptionArn": shown_arn(&sub, return_arn) }))
}

/// Listings show an unconfirmed subscription's ARN as `PendingConfirmation` (Subscribe's answer
/// says "pending confirmation").
fn listed_arn(sub: &SubscriptionRecord) -> String {
    if sub.confirmed { sub.arn.clone() } else { "PendingConfirmation".into() }
}

/// AWS shows "pending confirmation" instead of the ARN of an unconfirmed subscription.
fn shown_arn(sub: &SubscriptionRecord, return_arn: bool) -> String {
    if sub.confirmed || return_arn { sub.arn.clone() } else { "pending confirmation".into() }
}

pub fn confirmation_token() -> String {
    let bytes: [u8; 64] = std::array::from_fn(|_| rand::random::<u8>());
    hex::encode(bytes)
}

pub async fn confirm_subscription(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let topic_arn = required(input, "TopicArn")?.to_owned();
    let token = required(input, "Token")?.to_owned();
    let (region, account, _) = parse_topic_arn(&topic_arn).ok_or_else(|| invalid("TopicArn"))?;
    let scope = scope(&account, &region);
    let found = list_all::<SubscriptionRecord>(&inner.store, &scope)?
        .into_iter()
        .find(|(_, s)| s.topic_arn == topic_arn && s.token.as_deref() == Some(token.as_str()));
    let Some((id, mut sub)) = found else { return Err(invalid("Token")) };
    if !sub.confirmed {
        sub.confirmed = true;
        sub.attributes.insert("ConfirmationWasAuthenticated".into(), input.get("AuthenticateOnUnsubscribe").and_then(Value::as_str).map_or("false", |v| if v == "true" { "true" } else { "false" }).into());
        let stored = sub.clone();
        inner.write(move |t| Ok(t.put(&scope, &id, &stored)?)).await?;
    }
    Ok(json!({ "SubscriptionArn": sub.arn }))
}

pub async fn unsubscribe(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let arn = required(input, "SubscriptionArn")?;
    let (scope, id) = subscription_key(arn).ok_or_else(|| invalid("SubscriptionArn"))?;
    // HTTP endpoints are told, as AWS does, with a way back in.
    let sub = inner.store.get::<SubscriptionRecord>(&scope, &id).map_err(Fail::from)?;
    let notice = match &sub {
        Some(sub) if matches!(sub.protocol.as_str(), "http" | "https") && sub.confirmed => {
            let topic_policy = find_topic(inner, &sub.topic_arn, "TopicArn").ok().and_then(|t| t.attributes.get("DeliveryPolicy").cloned());
            Some(publish::unsubscribe_confirmation(inner, ctx, topic_policy.as_ref(), sub)?)
        }
        _ => None,
    };
    let staged = notice.is_some();
    inner
        .write(move |t| {
            t.delete::<SubscriptionRecord>(&scope, &id)?;
            if let Some(n) = notice {
                publish::stage(t, n)?;
            }
            Ok(())
        })
        .await?;
    if staged {
        inner.deliveries.wake();
    }
    Ok(json!({}))
}

pub fn list_subscriptions(inner: &Inner, ctx: &RequestContext, input: &Value, topic: Option<&str>) -> Res<Value> {
    if let Some(t) = topic {
        find_topic(inner, t, "TopicArn")?;
    }
    let after = after_token(input)?;
    let all = list_all::<SubscriptionRecord>(&inner.store, &ctx_scope(ctx))?;
    let matching: Vec<&(String, SubscriptionRecord)> = all
        .iter()
        .filter(|(k, s)| topic.is_none_or(|t| s.topic_arn == t) && after.as_ref().is_none_or(|a| k > a))
        .collect();
    let more = matching.len() > PAGE;
    let subs: Vec<Value> = matching
        .iter()
        .take(PAGE)
        .map(|(_, s)| json!({ "SubscriptionArn": listed_arn(s), "Owner": s.owner, "Protocol": s.protocol, "Endpoint": s.endpoint, "TopicArn": s.topic_arn }))
        .collect();
    let mut out = Map::new();
    out.insert("Subscriptions".into(), Value::Array(subs));
    if more {
        out.insert("NextToken".into(), json!(next_token(&matching[PAGE - 1].0)));
    }
    Ok(Value::Object(out))
}

pub fn get_subscription_attributes(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let (_, sub) = find_subscription(inner, required(input, "SubscriptionArn")?)?;
    let mut attrs: Map<String, Value> = sub.attributes.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    attrs.insert("SubscriptionArn".into(), json!(sub.arn));
    attrs.insert("TopicArn".into(), json!(sub.topic_arn));
    attrs.insert("Owner".into(), json!(sub.owner));
    attrs.insert("Protocol".into(), json!(sub.protocol));
    attrs.insert("Endpoint".into(), json!(sub.endpoint));
    attrs.insert("PendingConfirmation".into(), json!((!sub.confirmed).to_string()));
    attrs.entry("ConfirmationWasAuthenticated").or_insert_with(|| json!(if sub.confirmed && !needs_confirmation(&sub.protocol) { "true" } else { "false" }));
    attrs.entry("RawMessageDelivery").or_insert_with(|| json!("false"));
    if sub.attributes.contains_key("FilterPolicy") {
        attrs.entry("FilterPolicyScope").or_insert_with(|| json!("MessageAttributes"));
    }
    if matches!(sub.protocol.as_str(), "http" | "https") {
        attrs.insert("EffectiveDeliveryPolicy".into(), json!(effective_delivery_policy(sub.attributes.get("DeliveryPolicy"))));
    }
    Ok(json!({ "Attributes": attrs }))
}

pub async fn set_subscription_attributes(inner: &Inner, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let (scope, sub) = find_subscription(inner, required(input, "SubscriptionArn")?)?;
    let name = required(input, "AttributeName")?.to_owned();
    let value = string(input, "AttributeValue").unwrap_or_default().to_owned();
    let mut attrs = sub.attributes.clone();
    if name == "FilterPolicyScope" {
        attrs.insert(name.clone(), value.clone());
        if let Some(policy) = attrs.get("FilterPolicy").filter(|p| !p.is_empty()) {
            FilterPolicy::parse(policy, scope_of(Some(&value))).map_err(|e| ServiceError::new(e.code.clone(), e.message.clone()))?;
        }
    }
    check_attribute(&name, &value, &sub.protocol, &attrs)?;
    let id = sub.arn.rsplit_once(':').map(|(_, id)| id.to_owned()).unwrap_or_default();
    inner
        .write(move |t| {
            let mut current = t.get::<SubscriptionRecord>(&scope, &id)?.ok_or_else(subscription_not_found)?;
            if value.is_empty() {
                current.attributes.remove(&name);
            } else {
                current.attributes.insert(name, value);
            }
            t.put(&scope, &id, &current)?;
            Ok(())
        })
        .await?;
    Ok(json!({}))
}
