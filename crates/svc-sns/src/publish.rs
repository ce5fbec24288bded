//! Publish and PublishBatch: validation, filter policies, and what each protocol receives
//! (AWS's JSON envelope, or the raw message), staged as durable pending deliveries.

use std::collections::BTreeMap;

use nimbus_core::{Delivery, RequestContext, ServiceError};
use nimbus_store::Txn;
use serde_json::{Map, Value, json};

use crate::errors::{Fail, Res, invalid, invalid_value};
use crate::filter_policy::FilterPolicy;
use crate::records::{PENDING_SCOPE, PendingDelivery, SubscriptionRecord, Target, TopicDedup, TopicRecord, pending_key};
use crate::subscriptions::scope_of;
use crate::topics::{find_topic, parse_topic_arn};
use crate::{Inner, required, scope, string};

/// Message plus attributes may not exceed 256 KiB.
const MAX_MESSAGE_BYTES: usize = 262_144;
/// The SenderId SQS shows for messages SNS delivers.
pub const SNS_SENDER_ID: &str = "AIDAIT2UOQQY3AUEKVGXU";

/// FIFO topics' deduplication interval.
const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;

/// A FIFO message's number, and the message it duplicates if it does.
struct Numbered {
    sequence: String,
    duplicate_of: Option<String>,
}

/// A delivery ready to commit.
pub struct Staged {
    key: String,
    record: PendingDelivery,
}

pub fn stage(t: &mut Txn, staged: Staged) -> Result<(), Fail> {
    t.put(PENDING_SCOPE, &staged.key, &staged.record)?;
    Ok(())
}

/// A pending delivery for `sub`; `topic_policy` is the topic's DeliveryPolicy, which HTTP
/// subscriptions without their own follow.
fn staged(inner: &Inner, sub: &SubscriptionRecord, topic_policy: Option<&String>, target: Target) -> Staged {
    let now = inner.now();
    let dead_letter_arn = sub
        .attributes
        .get("RedrivePolicy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| p.get("deadLetterTargetArn")?.as_str().map(str::to_owned));
    // HTTP endpoints get AWS's default policy (3 retries, 20 s apart); AWS retries SQS and
    // Lambda for days, which for a local cloud is "until it works" within reason.
    let (retries, retry_delay_ms) = match sub.protocol.as_str() {
        "http" | "https" => http_retry_policy(sub, topic_policy),
        _ => (10, 1_000),
    };
    Staged {
        key: pending_key(now, &nimbus_core::ids::uuid()),
        record: PendingDelivery { subscription_arn: sub.arn.clone(), target, attempts: 0, dead_letter_arn, retries, retry_delay_ms },
    }
}

fn http_retry_policy(sub: &SubscriptionRecord, topic_policy: Option<&String>) -> (u32, i64) {
    let parse = |p: Option<&String>| p.and_then(|p| serde_json::from_str::<Value>(p).ok());
    let own = parse(sub.attributes.get("DeliveryPolicy")).and_then(|p| p.get("healthyRetryPolicy").cloned());
    let topic = parse(topic_policy).and_then(|p| p.get("http")?.get("defaultHealthyRetryPolicy").cloned());
    let healthy = own.or(topic);
    let healthy = healthy.as_ref();
    let retries = healthy.and_then(|h| h.get("numRetries")?.as_u64()).map_or(3, |n| n.min(100) as u32);
    let delay = healthy.and_then(|h| h.get("minDelayTarget")?.as_i64()).unwrap_or(20);
    // AWS caps delivery policies at 100 retries and 3,600 s delays; a policy past that is read as the cap.
    (retries, delay.clamp(1, 3_600) * 1000)
}

/// The base URL clients reach Nimbus on (for SubscribeURL/UnsubscribeURL).
fn endpoint(ctx: &RequestContext) -> String {
    format!("http://{}", ctx.host.as_deref().unwrap_or("localhost:4566"))
}

/// What one publish carries, checked.
struct Message {
    id: String,
    text: String,
    subject: Option<String>,
    /// MessageStructure=json: the per-protocol messages.
    per_protocol: Option<Map<String, Value>>,
    attributes: Map<String, Value>,
    group_id: Option<String>,
    dedup_id: Option<String>,
    sequence: Option<String>,
}

impl Message {
    fn text_for(&self, protocol: &str) -> &str {
        self.per_protocol.as_ref().and_then(|m| m.get(protocol).or_else(|| m.get("default"))).and_then(Value::as_str).unwrap_or(&self.text)
    }
}

fn check_message(input: &Value, topic: &TopicRecord) -> Res<Message> {
    let text = required(input, "Message")?.to_owned();
    if text.is_empty() {
        return Err(invalid("Empty message"));
    }
    let attributes = input.get("MessageAttributes").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut size = text.len();
    for (name, attr) in &attributes {
        let data_type = attr.get("DataType").and_then(Value::as_str).unwrap_or_default();
        let base = data_type.split('.').next().unwrap_or_default();
        let base = if data_type.starts_with("String.Array") { "String.Array" } else { base };
        if !matches!(base, "String" | "Number" | "Binary" | "String.Array") {
            return Err(invalid_value(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            )));
        }
        let value = attr.get("StringValue").or_else(|| attr.get("BinaryValue")).and_then(Value::as_str);
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return Err(invalid_value(format!("The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'.")));
        };
        if base == "Number" && value.parse::<f64>().is_err() {
            return Err(invalid_value(format!("Could not cast message attribute '{name}' value to number.")));
        }
        if base == "String.Array" && !serde_json::from_str::<Value>(value).is_ok_and(|v| v.is_array()) {
            return Err(invalid_value(format!("The message attribute '{name}' with type 'String.Array' must use field 'String'.")));
        }
        size += name.len() + data_type.len() + value.len();
    }
    if size > MAX_MESSAGE_BYTES {
        return Err(invalid("Message too long"));
    }
    let subject = string(input, "Subject").map(str::to_owned);
    if let Some(s) = &subject
        && (s.is_empty() || s.chars().count() > 100 || s.chars().any(|c| c.is_control() || !c.is_ascii()))
    {
        return Err(invalid("Subject"));
    }
    let per_protocol = match string(input, "MessageStructure") {
        None => None,
        Some("json") => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) if map.get("default").is_some_and(Value::is_string) => Some(map),
            Ok(Value::Object(_)) => return Err(invalid("Message Structure - No default entry in JSON message body")),
            _ => return Err(invalid("Message Structure - JSON message body failed to parse")),
        },
        Some(_) => return Err(invalid("MessageStructure")),
    };
    let fifo = topic.attributes.get("FifoTopic").is_some_and(|v| v == "true");
    let group_id = string(input, "MessageGroupId").map(str::to_owned);
    let mut dedup_id = string(input, "MessageDeduplicationId").map(str::to_owned);
    if fifo {
        if group_id.is_none() {
            return Err(invalid("The MessageGroupId parameter is required for FIFO topics"));
        }
        if dedup_id.is_none() {
            if topic.attributes.get("ContentBasedDeduplication").is_none_or(|v| v != "true") {
                return Err(invalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"));
            }
            dedup_id = Some(hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes()).as_ref()));
        }
    } else if dedup_id.is_some() {
        return Err(invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"));
    }
    Ok(Message { id: nimbus_core::ids::uuid(), text, subject, per_protocol, attributes, group_id, dedup_id, sequence: None })
}

/// The attributes a filter policy sees: name -> (DataType, value).
fn filter_view(attributes: &Map<String, Value>) -> BTreeMap<String, (String, String)> {
    attributes
        .iter()
        .filter_map(|(name, a)| {
            let data_type = a.get("DataType")?.as_str()?.to_owned();
            let value = a.get("StringValue").or_else(|| a.get("BinaryValue"))?.as_str()?.to_owned();
            Some((name.clone(), (data_type, value)))
        })
        .collect()
}

fn matches(sub: &SubscriptionRecord, message: &Message) -> bool {
    let Some(policy) = sub.attributes.get("FilterPolicy").filter(|p| !p.is_empty()) else { return true };
    let scope = scope_of(sub.attributes.get("FilterPolicyScope").map(String::as_str));
    let Ok(policy) = FilterPolicy::parse(policy, scope) else { return false };
    match scope {
        crate::filter_policy::FilterScope::MessageAttributes => policy.matches_attributes(&filter_view(&message.attributes)),
        // A body that is not JSON is tested as JSON null (so the empty policy `{}` still matches).
        crate::filter_policy::FilterScope::MessageBody => {
            policy.matches_body(&serde_json::from_str::<Value>(message.text_for(&sub.protocol)).unwrap_or(Value::Null))
        }
    }
}

/// AWS's JSON envelope of a notification (what SQS and HTTP subscribers receive unless raw).
fn envelope(inner: &Inner, ctx: &RequestContext, topic_arn: &str, sub: &SubscriptionRecord, message: &Message, now: i64) -> Res<String> {
    let mut doc = Map::new();
    doc.insert("Type".into(), json!("Notification"));
    doc.insert("MessageId".into(), json!(message.id));
    if let Some(seq) = &message.sequence {
        doc.insert("SequenceNumber".into(), json!(seq));
    }
    doc.insert("TopicArn".into(), json!(topic_arn));
    if let Some(subject) = &message.subject {
        doc.insert("Subject".into(), json!(subject));
    }
    doc.insert("Message".into(), json!(message.text_for(&sub.protocol)));
    doc.insert("Timestamp".into(), json!(nimbus_core::document::iso8601_millis(now)));
    crate::signing::sign_message(inner.signer.get(&inner.store)?, &endpoint(ctx), &mut doc)?;
    doc.insert("UnsubscribeURL".into(), json!(format!("{}/?Action=Unsubscribe&SubscriptionArn={}", endpoint(ctx), sub.arn)));
    if !message.attributes.is_empty() {
        let attrs: Map<String, Value> = message
            .attributes
            .iter()
            .map(|(name, a)| {
                let value = a.get("StringValue").or_else(|| a.get("BinaryValue")).cloned().unwrap_or(Value::Null);
                (name.clone(), json!({ "Type": a.get("DataType").cloned().unwrap_or(Value::Null), "Value": value }))
            })
            .collect();
        doc.insert("MessageAttributes".into(), Value::Object(attrs));
    }
    Ok(Value::Object(doc).to_string())
}

fn raw(sub: &SubscriptionRecord) -> bool {
    sub.attributes.get("RawMessageDelivery").is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// What a subscription receives of a message, or `None` for protocols not delivered yet
/// (lambda until Lambda exists, sms, application, firehose: recorded, not sent).
/// The From of SNS's email: the topic's DisplayName (AWS's default name without one) at
/// AWS's no-reply address.
pub fn mail_sender(topic: &TopicRecord) -> String {
    let name = topic.attributes.get("DisplayName").filter(|n| !n.is_empty()).map_or("AWS Notifications", String::as_str);
    format!("\"{}\" <no-reply@sns.amazonaws.com>", name.replace(['"', '\\'], ""))
}

fn target_for(inner: &Inner, ctx: &RequestContext, topic: &TopicRecord, sub: &SubscriptionRecord, message: &Message, now: i64) -> Res<Option<Target>> {
    let topic_arn = topic.arn.as_str();
    let body = || if raw(sub) { Ok(message.text_for(&sub.protocol).to_owned()) } else { envelope(inner, ctx, topic_arn, sub, message, now) };
    Ok(match sub.protocol.as_str() {
        "sqs" => {
            // Raw delivery passes message attributes on as SQS attributes.
            let attributes = if raw(sub) {
                let converted: Map<String, Value> = message
                    .attributes
                    .iter()
                    .map(|(name, a)| {
                        let mut a = a.clone();
                        if a.get("DataType").and_then(Value::as_str).is_some_and(|t| t.starts_with("String.Array")) {
                            a["DataType"] = json!("String");
                        }
                        (name.clone(), a)
                    })
                    .collect();
                Value::Object(converted)
            } else {
                json!({})
            };
            Some(Target::Bus {
                delivery: Delivery::Queue {
                    queue_arn: sub.endpoint.clone(),
                    body: body()?,
                    attributes,
                    group_id: message.group_id.clone(),
                    dedup_id: message.dedup_id.clone(),
                    sender_id: SNS_SENDER_ID.into(),
                },
            })
        }
        "http" | "https" => Some(Target::Bus {
            delivery: Delivery::Http {
                url: sub.endpoint.clone(),
                headers: vec![
                    ("x-amz-sns-message-type".into(), "Notification".into()),
                    ("x-amz-sns-message-id".into(), message.id.clone()),
                    ("x-amz-sns-topic-arn".into(), topic_arn.into()),
                    ("x-amz-sns-subscription-arn".into(), sub.arn.clone()),
                    ("x-amz-sns-rawdelivery".into(), raw(sub).to_string()),
                    ("content-type".into(), "text/plain; charset=UTF-8".into()),
                    ("user-agent".into(), "Amazon Simple Notification Service Agent".into()),
                ],
                body: body()?,
            },
        }),
        "email" | "email-json" => {
            let Some((region, account, _)) = parse_topic_arn(topic_arn) else { return Ok(None) };
            let body = if sub.protocol == "email" { message.text_for("email").to_owned() } else { envelope(inner, ctx, topic_arn, sub, message, now)? };
            Some(Target::Bus {
                delivery: Delivery::Mail {
                    account_id: account,
                    region,
                    from: mail_sender(topic),
                    to: sub.endpoint.clone(),
                    subject: message.subject.clone().unwrap_or_else(|| "AWS Notification Message".into()),
                    body,
                },
            })
        }
        _ => None,
    })
}

/// The SubscriptionConfirmation an HTTP or email endpoint receives on Subscribe.
pub fn confirmation_delivery(inner: &Inner, ctx: &RequestContext, topic: &TopicRecord, sub: &SubscriptionRecord) -> Res<Staged> {
    let token = sub.token.clone().unwrap_or_default();
    let subscribe_url = format!("{}/?Action=ConfirmSubscription&TopicArn={}&Token={token}", endpoint(ctx), topic.arn);
    let message = format!(
        "You have chosen to subscribe to the topic {}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
        topic.arn
    );
    let now = inner.now();
    let message_id = nimbus_core::ids::uuid();
    let mut doc = Map::new();
    doc.insert("Type".into(), json!("SubscriptionConfirmation"));
    doc.insert("MessageId".into(), json!(message_id));
    doc.insert("Token".into(), json!(token));
    doc.insert("TopicArn".into(), json!(topic.arn));
    doc.insert("Message".into(), json!(message));
    doc.insert("SubscribeURL".into(), json!(subscribe_url));
    doc.insert("Timestamp".into(), json!(nimbus_core::document::iso8601_millis(now)));
    crate::signing::sign_message(inner.signer.get(&inner.store)?, &endpoint(ctx), &mut doc)?;
    let body = Value::Object(doc).to_string();
    let target = match sub.protocol.as_str() {
        "http" | "https" => Target::Bus {
            delivery: Delivery::Http {
                url: sub.endpoint.clone(),
                headers: vec![
                    ("x-amz-sns-message-type".into(), "SubscriptionConfirmation".into()),
                    ("x-amz-sns-message-id".into(), message_id),
                    ("x-amz-sns-topic-arn".into(), topic.arn.clone()),
                    ("content-type".into(), "text/plain; charset=UTF-8".into()),
                    ("user-agent".into(), "Amazon Simple Notification Service Agent".into()),
                ],
                body,
            },
        },
        _ => Target::Bus {
            delivery: Delivery::Mail {
                account_id: ctx.account_id.clone(),
                region: ctx.region.clone(),
                from: mail_sender(topic),
                to: sub.endpoint.clone(),
                subject: "AWS Notification - Subscription Confirmation".into(),
                body: if sub.protocol == "email-json" { body } else { format!("{message}\n\n{subscribe_url}\n") },
            },
        },
    };
    Ok(staged(inner, sub, topic.attributes.get("DeliveryPolicy"), target))
}

/// The UnsubscribeConfirmation an HTTP endpoint receives when it is unsubscribed (its
/// SubscribeURL subscribes it again).
pub fn unsubscribe_confirmation(inner: &Inner, ctx: &RequestContext, topic_policy: Option<&String>, sub: &SubscriptionRecord) -> Res<Staged> {
    let token = sub.token.clone().unwrap_or_else(crate::subscriptions::confirmation_token);
    let subscribe_url = format!("{}/?Action=ConfirmSubscription&TopicArn={}&Token={token}", endpoint(ctx), sub.topic_arn);
    let message = format!(
        "You have chosen to deactivate subscription {}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
        sub.arn
    );
    let message_id = nimbus_core::ids::uuid();
    let mut doc = Map::new();
    doc.insert("Type".into(), json!("UnsubscribeConfirmation"));
    doc.insert("MessageId".into(), json!(message_id));
    doc.insert("Token".into(), json!(token));
    doc.insert("TopicArn".into(), json!(sub.topic_arn));
    doc.insert("Message".into(), json!(message));
    doc.insert("SubscribeURL".into(), json!(subscribe_url));
    doc.insert("Timestamp".into(), json!(nimbus_core::document::iso8601_millis(inner.now())));
    crate::signing::sign_message(inner.signer.get(&inner.store)?, &endpoint(ctx), &mut doc)?;
    let target = Target::Bus {
        delivery: Delivery::Http {
            url: sub.endpoint.clone(),
            headers: vec![
                ("x-amz-sns-message-type".into(), "UnsubscribeConfirmation".into()),
                ("x-amz-sns-message-id".into(), message_id),
                ("x-amz-sns-topic-arn".into(), sub.topic_arn.clone()),
                ("x-amz-sns-subscription-arn".into(), sub.arn.clone()),
                ("content-type".into(), "text/plain; charset=UTF-8".into()),
                ("user-agent".into(), "Amazon Simple Notification Service Agent".into()),
            ],
            body: Value::Object(doc).to_string(),
        },
    };
    Ok(staged(inner, sub, topic_policy, target))
}

pub async fn publish(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let arn = string(input, "TopicArn").or_else(|| string(input, "TargetArn"));
    let Some(arn) = arn else {
        if string(input, "PhoneNumber").is_some() {
            // SMS is recorded, not sent: the publish succeeds as on AWS.
            required(input, "Message")?;
            return Ok(json!({ "MessageId": nimbus_core::ids::uuid() }));
        }
        return Err(invalid("TopicArn or TargetArn Reason: no value for required parameter"));
    };
    let topic = find_topic(inner, arn, "TopicArn")?;
    let message = check_message(input, &topic)?;
    let mut out = publish_checked(inner, ctx, &topic, vec![message]).await?;
    Ok(out.remove(0))
}

/// Fans checked messages out to the topic's confirmed, matching subscriptions: every delivery
/// is committed before the publish is answered.
async fn publish_checked(inner: &Inner, ctx: &RequestContext, topic: &TopicRecord, mut messages: Vec<Message>) -> Res<Vec<Value>> {
    let (region, account, name) = parse_topic_arn(&topic.arn).expect("stored ARNs parse");
    let fifo = topic.attributes.get("FifoTopic").is_some_and(|v| v == "true");
    let subs: Vec<SubscriptionRecord> =
        crate::subscriptions::subscriptions_of(inner, &topic.arn)?.into_iter().map(|(_, s)| s).filter(|s| s.confirmed).collect();
    let now = inner.now();
    let topic_scope = scope(&account, &region);
    // FIFO topics number their messages (the counter lives in the topic record) and drop
    // duplicates: a deduplication id seen in the last 5 minutes is accepted, answered with the
    // first message's id and number, and not delivered again.
    let numbered: Vec<Option<Numbered>> = if fifo {
        let (scope_, name_, arn) = (topic_scope.clone(), name.clone(), topic.arn.clone());
        let wanted: Vec<(String, String)> = messages.iter().map(|m| (m.dedup_id.clone().unwrap_or_default(), m.id.clone())).collect();
        inner
            .write(move |t| {
                let mut record = t.get::<TopicRecord>(&scope_, &name_)?.ok_or_else(crate::errors::topic_not_found)?;
                let mut last = record.sequence.max(nimbus_core::clock::wall_micros());
                let mut out = Vec::with_capacity(wanted.len());
                for (dedup_id, message_id) in wanted {
                    if let Some(seen) = t.get::<TopicDedup>(&arn, &dedup_id)?.filter(|d| d.expires_ms > now) {
                        out.push(Some(Numbered { sequence: seen.sequence, duplicate_of: Some(seen.message_id) }));
                        continue;
                    }
                    last += 1;
                    let sequence = format!("{last:020}");
                    t.put(&arn, &dedup_id, &TopicDedup { message_id, sequence: sequence.clone(), expires_ms: now + DEDUP_WINDOW_MS })?;
                    out.push(Some(Numbered { sequence, duplicate_of: None }));
                }
                record.sequence = last;
                t.put(&scope_, &name_, &record)?;
                Ok(out)
            })
            .await?
    } else {
        messages.iter().map(|_| None).collect()
    };
    let mut staged_all = Vec::new();
    let mut answers = Vec::new();
    for (message, numbered) in messages.iter_mut().zip(numbered) {
        let duplicate = numbered.as_ref().and_then(|n| n.duplicate_of.clone());
        message.sequence = numbered.map(|n| n.sequence);
        if let Some(first) = duplicate {
            message.id = first;
        } else {
            for sub in subs.iter().filter(|s| matches(s, message)) {
                if let Some(target) = target_for(inner, ctx, topic, sub, message, now)? {
                    staged_all.push(staged(inner, sub, topic.attributes.get("DeliveryPolicy"), target));
                }
            }
        }
        let mut answer = Map::new();
        answer.insert("MessageId".into(), json!(message.id));
        if let Some(seq) = &message.sequence {
            answer.insert("SequenceNumber".into(), json!(seq));
        }
        answers.push(Value::Object(answer));
    }
    if !staged_all.is_empty() {
        inner
            .write(move |t| {
                for s in staged_all {
                    stage(t, s)?;
                }
                Ok(())
            })
            .await?;
        inner.deliveries.wake();
    }
    Ok(answers)
}

pub async fn publish_batch(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let topic = find_topic(inner, required(input, "TopicArn")?, "TopicArn")?;
    let entries = input.get("PublishBatchRequestEntries").and_then(Value::as_array).cloned().unwrap_or_default();
    if entries.is_empty() {
        return Err(ServiceError::new("EmptyBatchRequestException", "The batch request doesn't contain any entries."));
    }
    if entries.len() > 10 {
        return Err(ServiceError::new("TooManyEntriesInBatchRequestException", "The batch request contains more entries than permissible."));
    }
    let mut ids = std::collections::HashSet::new();
    for e in &entries {
        let id = e.get("Id").and_then(Value::as_str).unwrap_or_default();
        if id.is_empty() || id.len() > 80 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(ServiceError::new("InvalidBatchEntryIdException", "The Id of a batch entry in a batch request doesn't abide by the specification."));
        }
        if !ids.insert(id) {
            return Err(ServiceError::new("BatchEntryIdsNotDistinctException", "Two or more batch entries in the request have the same Id."));
        }
    }
    let total: usize = entries.iter().map(|e| e.get("Message").and_then(Value::as_str).map_or(0, str::len)).sum();
    if total > MAX_MESSAGE_BYTES {
        return Err(ServiceError::new("BatchRequestTooLongException", "The length of all the messages put together is more than the limit."));
    }
    let mut ok_ids = Vec::new();
    let mut messages = Vec::new();
    let mut failed = Vec::new();
    for e in &entries {
        let id = e.get("Id").and_then(Value::as_str).unwrap_or_default().to_owned();
        match check_message(e, &topic) {
            Ok(m) => {
                ok_ids.push(id);
                messages.push(m);
            }
            Err(err) => {
                let code = nimbus_model_code(&err);
                failed.push(json!({ "Id": id, "Code": code, "Message": err.message, "SenderFault": true }));
            }
        }
    }
    let answers = if messages.is_empty() { Vec::new() } else { publish_checked(inner, ctx, &topic, messages).await? };
    let successful: Vec<Value> = ok_ids
        .into_iter()
        .zip(answers)
        .map(|(id, mut a)| {
            a["Id"] = json!(id);
            a
        })
        .collect();
    Ok(json!({ "Successful": successful, "Failed": failed }))
}

/// The wire code of an error shape, as batch entries show it (`InvalidParameter`).
fn nimbus_model_code(err: &ServiceError) -> String {
    match err.code.as_ref() {
        "InvalidParameterException" => "InvalidParameter".into(),
        "InvalidParameterValueException" => "ParameterValueInvalid".into(),
        other => other.into(),
    }
}
