//! SendMessage and SendMessageBatch.

use std::sync::Arc;

use nimbus_core::{RequestContext, ServiceError};
use serde_json::{Map, Value, json};

use crate::errors::{Res, invalid_parameter, invalid_value, missing_parameter};
use crate::message::{self, Attributes};
use crate::attributes::Settings;
use crate::queue::{DEDUP_WINDOW_MS, Queue};
use crate::records::{DedupRecord, MessageRecord, message_key};
use crate::{Inner, batch, integer, required, string};

const BATCH_LIMIT: usize = 1_048_576;

/// One message to send, checked against the queue.
struct Outgoing {
    body: String,
    attributes: Attributes,
    trace_header: Option<String>,
    delay_seconds: i64,
    group_id: Option<String>,
    dedup_id: Option<String>,
}

/// What a send answers per message.
struct Sent {
    message_id: String,
    seq: u64,
    md5_of_body: String,
    md5_of_attributes: Option<String>,
    md5_of_system: Option<String>,
}

impl Sent {
    fn to_document(&self, fifo: bool) -> Map<String, Value> {
        let mut doc = Map::new();
        doc.insert("MD5OfMessageBody".into(), json!(self.md5_of_body));
        if let Some(md5) = &self.md5_of_attributes {
            doc.insert("MD5OfMessageAttributes".into(), json!(md5));
        }
        if let Some(md5) = &self.md5_of_system {
            doc.insert("MD5OfMessageSystemAttributes".into(), json!(md5));
        }
        doc.insert("MessageId".into(), json!(self.message_id));
        if fifo {
            doc.insert("SequenceNumber".into(), json!(self.seq.to_string()));
        }
        doc
    }
}

pub async fn send_message(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let settings = queue.lock().settings.clone();
    let outgoing = check(&settings, input)?;
    inner.check_kms(&queue, settings.kms_master_key_id.as_deref())?;
    let mut sent = send(inner, &ctx.principal.user_id, &queue, vec![Ok(outgoing)]).await?;
    Ok(Value::Object(sent.remove(0)?.to_document(settings.fifo)))
}

pub async fn send_message_batch(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let entries = batch::entries(input, "SendMessageBatchRequestEntry")?;
    let settings = queue.lock().settings.clone();
    let fifo = settings.fifo;
    let checked: Vec<Res<Outgoing>> = entries.iter().map(|e| check(&settings, e)).collect();
    let total: usize = checked.iter().flatten().map(|o| message::message_size(&o.body, &o.attributes)).sum();
    // The batch as a whole may carry what one message of the largest size may.
    if total > BATCH_LIMIT {
        return Err(ServiceError::new(
            "BatchRequestTooLong",
            format!("Batch requests cannot be longer than {BATCH_LIMIT} bytes. You have sent {total} bytes."),
        ));
    }
    inner.check_kms(&queue, settings.kms_master_key_id.as_deref())?;
    let results = send(inner, &ctx.principal.user_id, &queue, checked).await?;
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    for (entry, result) in entries.iter().zip(results) {
        match result {
            Ok(sent) => {
                let mut doc = sent.to_document(fifo);
                doc.insert("Id".into(), json!(batch::id(entry)));
                successful.push(Value::Object(doc));
            }
            Err(e) => failed.push(crate::errors::batch_failure(batch::id(entry), &e)),
        }
    }
    Ok(json!({ "Successful": successful, "Failed": failed }))
}

/// A message from another service (SNS, S3 notifications), through the event bus: the same
/// checks and the same commit as SendMessage.
pub async fn deliver(inner: &Inner, queue_arn: &str, input: &Value, sender_id: &str) -> Res<()> {
    let queue = inner.resolve_arn(queue_arn).await?.ok_or_else(crate::errors::queue_does_not_exist)?;
    let settings = queue.lock().settings.clone();
    let outgoing = check(&settings, input)?;
    inner.check_kms(&queue, settings.kms_master_key_id.as_deref())?;
    let mut sent = send(inner, sender_id, &queue, vec![Ok(outgoing)]).await?;
    sent.remove(0).map(|_| ())
}

/// Validates one message (a SendMessage input or a batch entry) for a queue of these settings.
fn check(settings: &Settings, input: &Value) -> Res<Outgoing> {
    let body = string(input, "MessageBody").unwrap_or_default().to_owned();
    message::validate_body(&body)?;
    let attributes = message::parse_attributes(input.get("MessageAttributes"), false)?;
    let system = message::parse_attributes(input.get("MessageSystemAttributes"), true)?;
    let size = message::message_size(&body, &attributes);
    if size > settings.maximum_message_size {
        return Err(invalid_parameter(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {} bytes.",
            settings.maximum_message_size
        )));
    }
    let delay = integer(input, "DelaySeconds");
    if let Some(d) = delay
        && !(0..=900).contains(&d)
    {
        return Err(invalid_value("DelaySeconds", d, "DelaySeconds must be >= 0 and <= 900."));
    }
    let group_id = string(input, "MessageGroupId").map(str::to_owned);
    let mut dedup_id = string(input, "MessageDeduplicationId").map(str::to_owned);
    for (name, value) in [("MessageGroupId", &group_id), ("MessageDeduplicationId", &dedup_id)] {
        if let Some(v) = value
            && (v.is_empty() || v.len() > 128 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b.is_ascii_punctuation()))
        {
            return Err(invalid_value(name, v, &format!("{name} can only include alphanumeric and punctuation characters. 1 to 128 in length.")));
        }
    }
    if settings.fifo {
        if group_id.is_none() {
            return Err(missing_parameter("MessageGroupId"));
        }
        if let Some(d) = delay {
            return Err(invalid_value("DelaySeconds", d, "The request include parameter that is not valid for this queue type."));
        }
        if dedup_id.is_none() {
            if !settings.content_based_dedup {
                return Err(invalid_parameter(
                    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                ));
            }
            // Content-based deduplication: SHA-256 of the body (not the attributes).
            dedup_id = Some(sha256_hex(body.as_bytes()));
        }
    } else if let Some(d) = &dedup_id {
        return Err(invalid_value("MessageDeduplicationId", d, "The request include parameter that is not valid for this queue type."));
    }
    Ok(Outgoing {
        body,
        attributes,
        trace_header: system.get("AWSTraceHeader").and_then(|a| a.string.clone()),
        delay_seconds: delay.unwrap_or(settings.delay_seconds),
        group_id,
        dedup_id,
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref())
}

/// Sends checked messages: deduplicates (FIFO), commits the new ones, then makes them
/// receivable and wakes long polls. Per-message results in input order.
async fn send(inner: &Inner, sender_id: &str, queue: &Arc<Queue>, messages: Vec<Res<Outgoing>>) -> Res<Vec<Res<Sent>>> {
    let fifo = queue.lock().settings.fifo;
    // FIFO: hold the queue's send order across the commit, so sequence numbers enter in order.
    let _order = if fifo { Some(queue.send_order.lock().await) } else { None };
    let now = inner.now();
    let wall_micros = nimbus_core::clock::wall_micros();
    let mut results = Vec::with_capacity(messages.len());
    let mut new: Vec<Arc<MessageRecord>> = Vec::new();
    let mut new_dedup: Vec<(String, DedupRecord)> = Vec::new();
    {
        let mut state = queue.lock();
        if state.deleted {
            return Err(crate::errors::queue_does_not_exist());
        }
        let per_group = state.settings.dedup_per_group;
        for outgoing in messages {
            let o = match outgoing {
                Ok(o) => o,
                Err(e) => {
                    results.push(Err(e));
                    continue;
                }
            };
            let md5_of_body = message::md5_hex(o.body.as_bytes());
            let md5_of_attributes = message::md5_of_attributes(&o.attributes);
            let md5_of_system = o.trace_header.as_ref().map(|t| {
                let mut system = Attributes::new();
                system.insert("AWSTraceHeader".into(), message::Attribute { data_type: "String".into(), string: Some(t.clone()), binary: None });
                message::md5_of_attributes(&system).unwrap_or_default()
            });
            let dedup_key = o.dedup_id.as_ref().map(|d| match (&o.group_id, per_group) {
                (Some(g), true) => format!("{g}\0{d}"),
                _ => d.clone(),
            });
            if let Some(key) = &dedup_key
                && let Some((message_id, seq)) = state.duplicate_of(key, now)
            {
                results.push(Ok(Sent { message_id, seq, md5_of_body, md5_of_attributes, md5_of_system }));
                continue;
            }
            let seq = state.next_seq(wall_micros);
            let record = Arc::new(MessageRecord {
                id: nimbus_core::ids::uuid(),
                seq,
                md5_of_body: md5_of_body.clone(),
                body: o.body,
                attributes: o.attributes,
                trace_header: o.trace_header,
                sender_id: sender_id.to_owned(),
                sent_at_ms: now,
                available_at_ms: now + o.delay_seconds * 1000,
                group_id: o.group_id,
                dedup_id: o.dedup_id,
                dead_letter_source_arn: None,
                prior_receives: 0,
            });
            if let Some(key) = dedup_key {
                let expires_ms = now + DEDUP_WINDOW_MS;
                state.remember_dedup(key.clone(), record.id.clone(), seq, expires_ms);
                new_dedup.push((key, DedupRecord { message_id: record.id.clone(), seq, expires_ms }));
            }
            results.push(Ok(Sent { message_id: record.id.clone(), seq, md5_of_body, md5_of_attributes, md5_of_system }));
            new.push(record);
        }
    }
    if new.is_empty() {
        return Ok(results);
    }
    let queue_id = queue.id.clone();
    let to_store = new.clone();
    let dedup_keys: Vec<String> = new_dedup.iter().map(|(k, _)| k.clone()).collect();
    let committed = inner
        .write(move |t| {
            for record in &to_store {
                t.put(&queue_id, &message_key(record.seq), record.as_ref())?;
            }
            for (key, d) in &new_dedup {
                t.put(&queue_id, key, d)?;
            }
            Ok(())
        })
        .await;
    let mut state = queue.lock();
    if let Err(e) = committed {
        // Nothing was stored: a retry must not be taken for a duplicate of it.
        for key in dedup_keys {
            state.forget_dedup(&key);
        }
        return Err(e);
    }
    for record in new {
        queue.activity.sent(record.body.len());
        state.insert(record, None);
    }
    drop(state);
    queue.arrivals.notify_waiters();
    Ok(results)
}
