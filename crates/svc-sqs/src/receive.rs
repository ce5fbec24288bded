//! ReceiveMessage (with long polling and dead-letter redrive), DeleteMessage(Batch),
//! ChangeMessageVisibility(Batch), and receipt handles.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use nimbus_core::RequestContext;
use serde_json::{Map, Value, json};

use crate::errors::{Res, invalid_value, not_in_flight, receipt_handle_invalid};
use crate::message;
use crate::queue::{Live, Queue, Removal, VisibilityError};
use crate::records::{MessageRecord, ReceiveState, message_key};
use crate::{Inner, batch, delete_messages, integer, required, string, string_list};

/// A receipt handle names the queue incarnation, the message and the receive.
pub fn receipt_handle(queue: &Queue, live: &Live) -> String {
    B64URL.encode(format!("{}:{}:{}", queue.id, live.record.seq, live.token))
}

/// (seq, token) of a receipt handle for this queue.
fn parse_receipt(queue: &Queue, handle: &str) -> Res<(u64, u64)> {
    let parsed = B64URL.decode(handle).ok().and_then(|bytes| String::from_utf8(bytes).ok()).and_then(|text| {
        let mut parts = text.split(':');
        let (id, seq, token) = (parts.next()?.to_owned(), parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
        parts.next().is_none().then_some((id, seq, token))
    });
    match parsed {
        Some((id, seq, token)) if id == queue.id => Ok((seq, token)),
        _ => Err(receipt_handle_invalid(handle)),
    }
}

fn random_token() -> u64 {
    rand::random::<u64>().max(1)
}

pub async fn receive_message(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let max = integer(input, "MaxNumberOfMessages").unwrap_or(1);
    if !(1..=10).contains(&max) {
        return Err(invalid_value("MaxNumberOfMessages", max, "Must be between 1 and 10, if provided."));
    }
    let (settings, fifo) = {
        let s = queue.lock();
        (s.settings.clone(), s.settings.fifo)
    };
    let visibility = integer(input, "VisibilityTimeout").unwrap_or(settings.visibility_timeout);
    if !(0..=43_200).contains(&visibility) {
        return Err(invalid_value("VisibilityTimeout", visibility, "Must be >= 0 and <= 43200, if provided."));
    }
    let wait = integer(input, "WaitTimeSeconds").unwrap_or(settings.receive_wait_seconds);
    if !(0..=20).contains(&wait) {
        return Err(invalid_value("WaitTimeSeconds", wait, "Must be >= 0 and <= 20, if provided."));
    }
    inner.check_kms(&queue, settings.kms_master_key_id.as_deref())?;
    let attempt = string(input, "ReceiveRequestAttemptId").filter(|_| fifo).map(str::to_owned);
    if let Some(a) = &attempt
        && (a.is_empty() || a.len() > 128 || !a.bytes().all(|b| b.is_ascii_alphanumeric() || b.is_ascii_punctuation()))
    {
        return Err(invalid_value("ReceiveRequestAttemptId", a, "ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length."));
    }
    let mut system_names = string_list(input, "AttributeNames");
    system_names.extend(string_list(input, "MessageSystemAttributeNames"));
    let attribute_names = string_list(input, "MessageAttributeNames");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait as u64);
    let delivered = loop {
        // Register for wake-ups before looking, so a send between the look and the wait is not missed.
        let arrived = queue.arrivals.notified();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        let now = inner.now();
        let (taken, next_visible) = {
            let mut state = queue.lock();
            if state.deleted {
                return Err(crate::errors::queue_does_not_exist());
            }
            if let Some(replayed) = attempt.as_deref().and_then(|a| state.replay_attempt(a, now)) {
                break replayed;
            }
            let taken = state.take(now, max as usize, visibility * 1000, random_token);
            if let Some(a) = &attempt
                && !taken.delivered.is_empty()
            {
                state.remember_attempt(a.clone(), &taken.delivered, now);
            }
            (taken, state.next_visible_after(now))
        };
        let delivered = taken.delivered.clone();
        commit_take(inner, &queue, taken, now).await?;
        if !delivered.is_empty() {
            break delivered;
        }
        let now_instant = tokio::time::Instant::now();
        if now_instant >= deadline {
            break Vec::new();
        }
        // Sleep until a message arrives, the next one becomes visible, or the wait ends.
        let until_visible = next_visible.map(|at| now_instant + Duration::from_millis((at - inner.now()).max(1) as u64));
        let wake = until_visible.map_or(deadline, |v| v.min(deadline));
        let _ = tokio::time::timeout_at(wake, arrived).await;
    };
    queue.activity.received(delivered.len());
    let messages: Vec<Value> = delivered.iter().map(|live| render(&queue, live, fifo, &system_names, &attribute_names)).collect();
    let mut out = Map::new();
    if !messages.is_empty() {
        out.insert("Messages".into(), Value::Array(messages));
    }
    Ok(Value::Object(out))
}

/// Commits what a receive changed: the delivered messages' receive state, expired messages
/// gone, dead letters moved to the dead-letter queue.
async fn commit_take(inner: &Inner, queue: &Arc<Queue>, taken: crate::queue::Taken, now: i64) -> Res<()> {
    let crate::queue::Taken { delivered, dead, expired } = taken;
    if delivered.is_empty() && dead.is_empty() && expired.is_empty() {
        return Ok(());
    }
    let redrive = queue.lock().settings.redrive.clone();
    let target = match (&dead[..], redrive) {
        ([], _) | (_, None) => None,
        (_, Some(redrive)) => inner.resolve_arn(&redrive.target_arn).await?,
    };
    let mut dead_records = Vec::new();
    let mut kept = Vec::new();
    match &target {
        Some(dlq) => {
            let wall_micros = nimbus_core::clock::wall_micros();
            let mut dlq_state = dlq.lock();
            for live in &dead {
                let seq = dlq_state.next_seq(wall_micros);
                let mut record = MessageRecord::clone(&live.record);
                record.seq = seq;
                record.available_at_ms = now;
                record.dead_letter_source_arn = Some(queue.arn.clone());
                record.prior_receives = live.receive_count;
                dead_records.push(Arc::new(record));
            }
        }
        // The dead-letter queue is gone: the messages stay where they are.
        None => kept = dead.clone(),
    }
    let queue_id = queue.id.clone();
    let dlq_id = target.as_ref().map(|q| q.id.clone());
    let states: Vec<(u64, ReceiveState)> = delivered.iter().map(|l| (l.record.seq, l.receive_state())).collect();
    // Dead letters leave this queue only when they have a queue to go to.
    let moved = dead.iter().filter(|_| target.is_some()).map(|l| l.record.seq);
    let gone: Vec<u64> = expired.iter().copied().chain(moved).collect();
    let to_store = dead_records.clone();
    inner
        .write(move |t| {
            for (seq, state) in &states {
                t.put(&queue_id, &message_key(*seq), state)?;
            }
            delete_messages(t, &queue_id, &gone)?;
            if let Some(dlq_id) = &dlq_id {
                for record in &to_store {
                    t.put(dlq_id, &message_key(record.seq), record.as_ref())?;
                }
            }
            Ok(())
        })
        .await?;
    if !kept.is_empty() {
        let mut state = queue.lock();
        for live in kept {
            let receive = live.receive_state();
            state.insert(live.record, Some(receive));
        }
    }
    if let Some(dlq) = target {
        let mut state = dlq.lock();
        for record in dead_records {
            state.insert(record, None);
        }
        drop(state);
        dlq.arrivals.notify_waiters();
    }
    Ok(())
}

/// One `Message` of a ReceiveMessage answer.
fn render(queue: &Queue, live: &Live, fifo: bool, system_names: &[String], attribute_names: &[String]) -> Value {
    let r = &live.record;
    let mut doc = Map::new();
    doc.insert("MessageId".into(), json!(r.id));
    doc.insert("ReceiptHandle".into(), json!(receipt_handle(queue, live)));
    doc.insert("MD5OfBody".into(), json!(r.md5_of_body));
    doc.insert("Body".into(), json!(r.body));
    let all = system_names.iter().any(|n| n == "All");
    let wants = |name: &str| all || system_names.iter().any(|n| n == name);
    let mut system = Map::new();
    let mut put = |name: &str, value: String| {
        if wants(name) {
            system.insert(name.to_owned(), json!(value));
        }
    };
    put("SenderId", r.sender_id.clone());
    put("SentTimestamp", r.sent_at_ms.to_string());
    put("ApproximateReceiveCount", live.receive_count.to_string());
    put("ApproximateFirstReceiveTimestamp", live.first_receive_ms.unwrap_or(live.received_at_ms).to_string());
    if fifo {
        put("SequenceNumber", r.seq.to_string());
        if let Some(d) = &r.dedup_id {
            put("MessageDeduplicationId", d.clone());
        }
    }
    if let Some(g) = &r.group_id {
        put("MessageGroupId", g.clone());
    }
    if let Some(t) = &r.trace_header {
        put("AWSTraceHeader", t.clone());
    }
    if let Some(source) = &r.dead_letter_source_arn {
        put("DeadLetterQueueSourceArn", source.clone());
    }
    if !system.is_empty() {
        doc.insert("Attributes".into(), Value::Object(system));
    }
    let selected: Vec<(&String, &message::Attribute)> = r.attributes.iter().filter(|(name, _)| attribute_selected(name, attribute_names)).collect();
    if let Some(md5) = message::md5_of_attribute_iter(selected.iter().copied()) {
        doc.insert("MD5OfMessageAttributes".into(), json!(md5));
        let attrs: Map<String, Value> = selected.iter().map(|(name, a)| ((*name).clone(), a.to_document())).collect();
        doc.insert("MessageAttributes".into(), Value::Object(attrs));
    }
    Value::Object(doc)
}

/// MessageAttributeNames: `All` or `.*` for every attribute, `prefix.*` for a prefix, else
/// exact names.
fn attribute_selected(name: &str, requested: &[String]) -> bool {
    requested.iter().any(|r| {
        r == "All" || r == ".*" || r == name || r.strip_suffix(".*").is_some_and(|prefix| name.starts_with(&format!("{prefix}.")) || name == prefix)
    })
}

pub async fn delete_message(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    delete_one(inner, &queue, required(input, "ReceiptHandle")?).await?;
    Ok(json!({}))
}

async fn delete_one(inner: &Inner, queue: &Queue, handle: &str) -> Res<()> {
    let (seq, token) = parse_receipt(queue, handle)?;
    // AWS counts every delete with a valid receipt handle, also of a message already gone.
    queue.activity.deleted(1);
    let removed = matches!(queue.lock().remove(seq, token), Removal::Removed);
    if removed {
        let queue_id = queue.id.clone();
        inner.write(move |t| delete_messages(t, &queue_id, &[seq])).await?;
    }
    Ok(())
}

pub async fn delete_message_batch(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let entries = batch::entries(input, "DeleteMessageBatchRequestEntry")?;
    let mut removed = Vec::new();
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    {
        for entry in entries {
            let id = batch::id(entry);
            let handle = string(entry, "ReceiptHandle").unwrap_or_default();
            match parse_receipt(&queue, handle) {
                Ok((seq, token)) => {
                    if matches!(queue.lock().remove(seq, token), Removal::Removed) {
                        removed.push(seq);
                    }
                    successful.push(json!({ "Id": id }));
                }
                Err(e) => failed.push(crate::errors::batch_failure(id, &e)),
            }
        }
    }
    queue.activity.deleted(successful.len());
    if !removed.is_empty() {
        let queue_id = queue.id.clone();
        inner.write(move |t| delete_messages(t, &queue_id, &removed)).await?;
    }
    Ok(json!({ "Successful": successful, "Failed": failed }))
}

pub async fn change_message_visibility(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let handle = required(input, "ReceiptHandle")?;
    let timeout = integer(input, "VisibilityTimeout").ok_or_else(|| crate::errors::missing_parameter("VisibilityTimeout"))?;
    change_one(inner, &queue, handle, timeout).await?;
    Ok(json!({}))
}

async fn change_one(inner: &Inner, queue: &Queue, handle: &str, timeout: i64) -> Res<()> {
    if !(0..=43_200).contains(&timeout) {
        return Err(invalid_value("VisibilityTimeout", timeout, "VisibilityTimeout must be an integer between 0 and 43200"));
    }
    let (seq, token) = parse_receipt(queue, handle)?;
    let now = inner.now();
    let result = queue.lock().change_visibility(seq, token, now + timeout * 1000, now);
    let state = result.map_err(|e| match e {
        VisibilityError::NoSuchReceipt => {
            invalid_value("ReceiptHandle", handle, "Message does not exist or is not available for visibility timeout change.")
        }
        VisibilityError::NotInFlight => not_in_flight(),
        VisibilityError::BeyondMaximum => invalid_value(
            "VisibilityTimeout",
            timeout,
            "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
        ),
    })?;
    let queue_id = queue.id.clone();
    inner.write(move |t| Ok(t.put(&queue_id, &message_key(seq), &state)?)).await?;
    if timeout == 0 {
        queue.arrivals.notify_waiters();
    }
    Ok(())
}

pub async fn change_message_visibility_batch(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let queue = inner.resolve(ctx, required(input, "QueueUrl")?).await?;
    let entries = batch::entries(input, "ChangeMessageVisibilityBatchRequestEntry")?;
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    for entry in entries {
        let id = batch::id(entry);
        let handle = string(entry, "ReceiptHandle").unwrap_or_default();
        let timeout = integer(entry, "VisibilityTimeout").unwrap_or(0);
        match change_one(inner, &queue, handle, timeout).await {
            Ok(()) => successful.push(json!({ "Id": id })),
            Err(e) if e.status.is_some_and(|s| s >= 500) => return Err(e),
            Err(e) => failed.push(crate::errors::batch_failure(id, &e)),
        }
    }
    Ok(json!({ "Successful": successful, "Failed": failed }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_name_selection() {
        let req = |names: &[&str]| names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(attribute_selected("a", &req(&["All"])));
        assert!(attribute_selected("a", &req(&[".*"])));
        assert!(attribute_selected("foo.bar", &req(&["foo.*"])));
        assert!(!attribute_selected("foobar", &req(&["foo.*"])));
        assert!(attribute_selected("a", &req(&["a"])));
        assert!(!attribute_selected("a", &req(&[])));
    }
}
