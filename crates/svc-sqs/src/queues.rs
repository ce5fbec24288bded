//! Queue management: create, find, list, delete, attributes, purge, tags, permissions,
//! dead-letter sources.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::{RequestContext, ServiceError};
use serde_json::{Map, Value, json};

use crate::attributes::{self, AttributeMap, RedriveAllow, Settings};
use crate::errors::{Fail, Res, invalid_parameter, invalid_value, queue_does_not_exist};
use crate::names::{self, queue_url};
use crate::queue::Queue;
use crate::records::{DedupRecord, DeletedQueue, MessageRecord, QueueRecord, ReceiveState};
use crate::{Inner, integer ,required, string, string_list, string_map};

/// AWS forbids re-creating a deleted queue's name for this long.
const RECREATE_AFTER_MS: i64 = 60_000;
/// One PurgeQueue per queue per minute.
const PURGE_INTERVAL_MS: i64 = 60_000;
const MAX_TAGS: usize = 50;

fn scope(account: &str, region: &str) -> String {
    format!("{account}/{region}")
}

fn url_of(ctx: &RequestContext, queue: &Queue) -> String {
    queue_url(ctx.host.as_deref(), &queue.region, &queue.account, &queue.name)
}

pub async fn create_queue(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(input, "QueueName")?.to_owned();
    if !names::valid_queue_name(&name) {
        return Err(invalid_parameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"));
    }
    let requested = string_map(input, "Attributes");
    let fifo = names::is_fifo_name(&name);
    let fifo_attr = requested.get("FifoQueue").map(|v| v.eq_ignore_ascii_case("true"));
    if fifo != fifo_attr.unwrap_or(false) {
        return Err(invalid_parameter(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
        ));
    }
    let tags = string_map(input, "tags");
    check_tags(&tags, 0)?;
    let mut attrs = attributes::defaults(fifo);
    attributes::apply(&mut attrs, &requested, fifo, true)?;
    check_redrive_target(inner, &ctx.account_id, &ctx.region, &name, fifo, &attrs).await?;

    if let Some(existing) = inner.find(&ctx.account_id, &ctx.region, &name).await? {
        let current = existing.lock().record.attributes.clone();
        let mut wanted = attributes::defaults(fifo);
        attributes::apply(&mut wanted, &requested, fifo, true)?;
        if let Some(differs) = requested.keys().find(|k| current.get(*k) != wanted.get(*k)) {
            return Err(ServiceError::new(
                "QueueNameExists",
                format!("A queue already exists with the same name and a different value for attribute {differs}"),
            ));
        }
        return Ok(json!({ "QueueUrl": url_of(ctx, &existing) }));
    }
    let now = inner.now();
    let record = QueueRecord {
        id: nimbus_core::ids::uuid().replace('-', ""),
        name: name.clone(),
        created_s: now / 1000,
        modified_s: now / 1000,
        attributes: attrs,
        tags,
        purged_at_ms: None,
    };
    let scope = scope(&ctx.account_id, &ctx.region);
    let stored = record.clone();
    let created = inner
        .write(move |t| {
            if let Some(deleted) = t.get::<DeletedQueue>(&scope, &stored.name)? {
                if now - deleted.deleted_at_ms < RECREATE_AFTER_MS {
                    return Err(Fail(ServiceError::new(
                        "QueueDeletedRecently",
                        "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
                    )));
                }
                t.delete::<DeletedQueue>(&scope, &stored.name)?;
            }
            Ok(t.insert(&scope, &stored.name, &stored)?)
        })
        .await?;
    if !created {
        // Created by a concurrent request a moment ago: answer as for an existing queue.
        return Box::pin(create_queue(inner, ctx, input)).await;
    }
    let queue = Arc::new(Queue::new(&ctx.account_id, &ctx.region, record));
    let key = (ctx.account_id.clone(), ctx.region.clone(), name);
    let queue = inner.queues.write().unwrap_or_else(|p| p.into_inner()).entry(key).or_insert(queue).clone();
    Ok(json!({ "QueueUrl": url_of(ctx, &queue) }))
}

/// A RedrivePolicy must name an existing queue of the same type whose RedriveAllowPolicy
/// lets this queue use it.
async fn check_redrive_target(inner: &Inner, account: &str, region: &str, name: &str, fifo: bool, attrs: &AttributeMap) -> Res<()> {
    let Some(policy) = attrs.get("RedrivePolicy") else { return Ok(()) };
    let Some(redrive) = attributes::parse_redrive_policy(policy)? else { return Ok(()) };
    let reason = |why: &str| invalid_value("RedrivePolicy", policy, why);
    let Some(target) = inner.resolve_arn(&redrive.target_arn).await? else {
        return Err(reason("Dead letter target does not exist."));
    };
    let (target_fifo, allow) = {
        let s = target.lock();
        (s.settings.fifo, s.record.attributes.get("RedriveAllowPolicy").cloned())
    };
    if target_fifo != fifo {
        return Err(reason("Dead-letter queue must be same type of queue as the source."));
    }
    let source_arn = names::queue_arn(region, account, name);
    let allowed = match allow.as_deref().map(attributes::parse_redrive_allow_policy).transpose()?.unwrap_or(RedriveAllow::All) {
        RedriveAllow::All => true,
        RedriveAllow::None => false,
        RedriveAllow::Queues(arns) => arns.contains(&source_arn),
    };
    if !allowed {
        return Err(reason(&format!("Queue {source_arn} is not allowed to use {} as its dead-letter queue.", redrive.target_arn)));
    }
    Ok(())
}

pub async fn get_queue_url(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(input, "QueueName")?;
    let account = string(input, "QueueOwnerAWSAccountId").unwrap_or(&ctx.account_id);
    let queue = inner.find(account, &ctx.region, name).await?.ok_or_else(queue_does_not_exist)?;
    Ok(json!({ "QueueUrl": url_of(ctx, &queue) }))
}

/// MaxResults (1 to 1000) and NextToken of the listing calls.
fn page_params(input: &Value) -> Res<(usize, Option<String>, bool)> {
    let max = integer(input, "MaxResults");
    if let Some(m) = max
        && !(1..=1000).contains(&m)
    {
        return Err(invalid_value("MaxResults", m, "MaxResults must be an integer between 1 and 1000."));
    }
    let after = match string(input, "NextToken") {
        Some(token) => {
            let decoded = B64.decode(token).ok().and_then(|b| String::from_utf8(b).ok());
            Some(decoded.ok_or_else(|| invalid_value("NextToken", token, "Invalid NextToken value."))?)
        }
        None => None,
    };
    Ok((max.unwrap_or(1000) as usize, after, max.is_some()))
}

fn next_token(last: Option<&String>, more: bool, paginated: bool) -> Option<String> {
    (more && paginated).then(|| B64.encode(last.map(String::as_str).unwrap_or_default()))
}

pub async fn list_queues(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let prefix = string(input, "QueueNamePrefix").unwrap_or_default().to_owned();
    let (max, after, paginated) = page_params(input)?;
    let scope = scope(&ctx.account_id, &ctx.region);
    let page = inner.read(move |store| Ok(store.list::<QueueRecord>(&scope, &prefix, after.as_deref(), max + 1)?)).await?;
    let more = page.len() > max;
    let names: Vec<String> = page.into_iter().take(max).map(|(name, _)| name).collect();
    let mut out = Map::new();
    if !names.is_empty() {
        let urls: Vec<String> = names.iter().map(|n| queue_url(ctx.host.as_deref(), &ctx.region, &ctx.account_id, n)).collect();
        out.insert("QueueUrls".into(), json!(urls));
    }
    if let Some(token) = next_token(names.last(), more, paginated) {
        out.insert("NextToken".into(), json!(token));
    }
    Ok(Value::Object(out))
}

pub async fn delete_queue(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    {
        let mut state = queue.lock();
        state.deleted = true;
        state.drain();
    }
    inner.forget(&queue);
    queue.arrivals.notify_waiters();
    let (scope, name, id, now) = (scope(&queue.account, &queue.region), queue.name.clone(), queue.id.clone(), inner.now());
    inner
        .write(move |t| {
            t.delete::<QueueRecord>(&scope, &name)?;
            t.delete_scope::<MessageRecord>(&id)?;
            t.delete_scope::<ReceiveState>(&id)?;
            t.delete_scope::<DedupRecord>(&id)?;
            t.put(&scope, &name, &DeletedQueue { deleted_at_ms: now })?;
            Ok(())
        })
        .await?;
    Ok(json!({}))
}

pub async fn get_queue_attributes(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let requested = string_list(input, "AttributeNames");
    let now = inner.now();
    let state = queue.lock();
    let wanted = attributes::requested_names(&requested, state.settings.fifo)?;
    let (visible, in_flight, delayed) = state.counts(now);
    let mut out = Map::new();
    for name in wanted {
        let value = match name {
            "ApproximateNumberOfMessages" => Some(visible.to_string()),
            "ApproximateNumberOfMessagesNotVisible" => Some(in_flight.to_string()),
            "ApproximateNumberOfMessagesDelayed" => Some(delayed.to_string()),
            "CreatedTimestamp" => Some(state.record.created_s.to_string()),
            "LastModifiedTimestamp" => Some(state.record.modified_s.to_string()),
            "QueueArn" => Some(queue.arn.clone()),
            other => state.record.attributes.get(other).cloned(),
        };
        if let Some(v) = value {
            out.insert(name.to_owned(), json!(v));
        }
    }
    let mut doc = Map::new();
    if !out.is_empty() {
        doc.insert("Attributes".into(), Value::Object(out));
    }
    Ok(Value::Object(doc))
}

pub async fn set_queue_attributes(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let changes = string_map(input, "Attributes");
    let (fifo, mut attrs) = {
        let s = queue.lock();
        (s.settings.fifo, s.record.attributes.clone())
    };
    attributes::apply(&mut attrs, &changes, fifo, false)?;
    check_redrive_target(inner, &queue.account, &queue.region, &queue.name, fifo, &attrs).await?;
    let now = inner.now();
    update_record(inner, &queue, move |r| {
        r.attributes = attrs;
        r.modified_s = now / 1000;
    })
    .await?;
    queue.arrivals.notify_waiters();
    Ok(json!({}))
}

/// Applies `change` to the queue's record, commits it, then makes it the live one.
async fn update_record(inner: &Inner, queue: &Queue, change: impl FnOnce(&mut QueueRecord)) -> Res<()> {
    let mut record = queue.lock().record.clone();
    change(&mut record);
    let (scope, stored) = (scope(&queue.account, &queue.region), record.clone());
    inner.write(move |t| Ok(t.put(&scope, &stored.name, &stored)?)).await?;
    let mut state = queue.lock();
    state.settings = Settings::from_attributes(&record.attributes);
    state.record = record;
    Ok(())
}

pub async fn purge_queue(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let now = inner.now();
    if queue.lock().record.purged_at_ms.is_some_and(|at| now - at < PURGE_INTERVAL_MS) {
        return Err(ServiceError::new(
            "PurgeQueueInProgress",
            format!("Only one PurgeQueue operation on {} is allowed every 60 seconds.", queue.name),
        )
        // 403 on both wires (AWS's Smithy model; the JSON botocore model says 400).
        .with_status(403));
    }
    queue.lock().drain();
    let id = queue.id.clone();
    inner
        .write(move |t| {
            t.delete_scope::<MessageRecord>(&id)?;
            t.delete_scope::<ReceiveState>(&id)?;
            Ok(())
        })
        .await?;
    update_record(inner, &queue, |r| r.purged_at_ms = Some(now)).await?;
    Ok(json!({}))
}

fn check_tags(tags: &BTreeMap<String, String>, existing: usize) -> Res<()> {
    if tags.len() + existing > MAX_TAGS {
        return Err(invalid_parameter(format!("Too many tags added for queue. Queues can have at most {MAX_TAGS} tags.")));
    }
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 || k.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid_parameter(format!("Tag key '{k}' or its value is invalid: keys are 1 to 128 characters, values up to 256, and keys can't start with aws:.")));
        }
    }
    Ok(())
}

pub async fn tag_queue(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let tags = string_map(input, "Tags");
    let mut merged = queue.lock().record.tags.clone();
    merged.extend(tags.clone());
    check_tags(&tags, 0)?;
    if merged.len() > MAX_TAGS {
        check_tags(&merged, 0)?;
    }
    update_record(inner, &queue, |r| r.tags = merged).await?;
    Ok(json!({}))
}

pub async fn untag_queue(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let keys = string_list(input, "TagKeys");
    update_record(inner, &queue, |r| r.tags.retain(|k, _| !keys.contains(k))).await?;
    Ok(json!({}))
}

pub async fn list_queue_tags(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let tags = queue.lock().record.tags.clone();
    Ok(if tags.is_empty() { json!({}) } else { json!({ "Tags": tags }) })
}

/// The actions AddPermission grants (as in AWS's docs: the queue actions, `*` for all).
const GRANTABLE: &[&str] = &[
    "*",
    "SendMessage",
    "ReceiveMessage",
    "DeleteMessage",
    "ChangeMessageVisibility",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "PurgeQueue",
    "ListQueueTags",
];

pub async fn add_permission(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let label = required(input, "Label")?.to_owned();
    if label.is_empty() || label.len() > 80 || !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(invalid_value("Label", &label, "Label can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length."));
    }
    let accounts = string_list(input, "AWSAccountIds");
    let actions = string_list(input, "Actions");
    if accounts.is_empty() {
        return Err(crate::errors::missing_parameter("AWSAccountIds"));
    }
    if actions.is_empty() {
        return Err(crate::errors::missing_parameter("Actions"));
    }
    if let Some(bad) = actions.iter().find(|a| !GRANTABLE.contains(&a.as_str())) {
        return Err(invalid_value("ActionName", bad, "Only the queue owner is allowed to invoke this action."));
    }
    let mut policy = current_policy(&queue);
    let statements = policy["Statement"].as_array_mut().expect("current_policy makes an array");
    if statements.iter().any(|s| s["Sid"] == label.as_str()) {
        return Err(invalid_value("Label", &label, "Already exists."));
    }
    let principals: Vec<String> = accounts.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect();
    let actions: Vec<String> = actions.iter().map(|a| format!("SQS:{a}")).collect();
    statements.push(json!({
        "Sid": label,
        "Effect": "Allow",
        "Principal": { "AWS": if principals.len() == 1 { json!(principals[0]) } else { json!(principals) } },
        "Action": if actions.len() == 1 { json!(actions[0]) } else { json!(actions) },
        "Resource": queue.arn,
    }));
    let text = policy.to_string();
    update_record(inner, &queue, |r| {
        r.attributes.insert("Policy".into(), text);
    })
    .await?;
    Ok(json!({}))
}

fn current_policy(queue: &Queue) -> Value {
    let existing = queue.lock().record.attributes.get("Policy").and_then(|p| serde_json::from_str::<Value>(p).ok());
    let mut policy = existing.filter(Value::is_object).unwrap_or_else(|| {
        json!({ "Version": "2012-10-17", "Id": format!("{}/SQSDefaultPolicy", queue.arn), "Statement": [] })
    });
    if !policy["Statement"].is_array() {
        let single = policy["Statement"].take();
        policy["Statement"] = if single.is_null() { json!([]) } else { json!([single]) };
    }
    policy
}

pub async fn remove_permission(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let label = required(input, "Label")?.to_owned();
    let mut policy = current_policy(&queue);
    let statements = policy["Statement"].as_array_mut().expect("current_policy makes an array");
    let before = statements.len();
    statements.retain(|s| s["Sid"] != label.as_str());
    if statements.len() == before {
        return Err(invalid_value("Label", &label, "can't find label on existing policy."));
    }
    let empty = statements.is_empty();
    let text = policy.to_string();
    update_record(inner, &queue, |r| {
        if empty {
            r.attributes.remove("Policy");
        } else {
            r.attributes.insert("Policy".into(), text);
        }
    })
    .await?;
    Ok(json!({}))
}

pub async fn list_dead_letter_source_queues(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let (max, after, paginated) = page_params(input)?;
    let scope = scope(&queue.account, &queue.region);
    let all = inner.read(move |store| Ok(store.list_all::<QueueRecord>(&scope)?)).await?;
    let sources: Vec<String> = all
        .into_iter()
        .filter(|(name, _)| after.as_ref().is_none_or(|a| name > a))
        .filter(|(_, r)| {
            r.attributes
                .get("RedrivePolicy")
                .and_then(|p| attributes::parse_redrive_policy(p).ok().flatten())
                .is_some_and(|redrive| redrive.target_arn == queue.arn)
        })
        .map(|(name, _)| name)
        .collect();
    let more = sources.len() > max;
    let page: Vec<&String> = sources.iter().take(max).collect();
    let urls: Vec<String> = page.iter().map(|n| queue_url(ctx.host.as_deref(), &queue.region, &queue.account, n)).collect();
    let mut out = Map::new();
    out.insert("queueUrls".into(), json!(urls));
    if let Some(token) = next_token(page.last().copied(), more, paginated) {
        out.insert("NextToken".into(), json!(token));
    }
    Ok(Value::Object(out))
}
