//! Message move tasks: redrive from a dead-letter queue back to the source queues (or to a
//! named destination), at an optional rate. Tasks run in the background and are kept in memory
//! (a restart ends a running task; the messages already moved stay moved, since each move is
//! committed before the next).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::{RequestContext, ServiceError};
use serde_json::{Map, Value, json};

use crate::errors::{Res, invalid_value};
use crate::queue::Queue;
use crate::records::{MessageRecord, message_key};
use crate::{Inner, delete_messages, integer ,required, string};

#[derive(Default)]
pub struct MoveTasks {
    tasks: Mutex<Vec<Arc<Task>>>,
}

struct Task {
    handle: String,
    source_arn: String,
    destination_arn: Option<String>,
    rate: Option<i64>,
    to_move: u64,
    started_ms: i64,
    moved: AtomicU64,
    cancel: AtomicBool,
    /// RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED; and the failure reason.
    status: Mutex<(&'static str, Option<String>)>,
}

impl Task {
    fn status(&self) -> (&'static str, Option<String>) {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_status(&self, status: &'static str, reason: Option<String>) {
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = (status, reason);
    }
}

fn not_found(what: &str) -> ServiceError {
    ServiceError::new("ResourceNotFoundException", format!("The resource that you specified for the {what} parameter doesn't exist."))
}

pub async fn start(inner: &Arc<Inner>, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let source_arn = required(input, "SourceArn")?.to_owned();
    let source = inner.resolve_arn(&source_arn).await?.ok_or_else(|| not_found("SourceArn"))?;
    let destination_arn = string(input, "DestinationArn").map(str::to_owned);
    if let Some(d) = &destination_arn {
        inner.resolve_arn(d).await?.ok_or_else(|| not_found("DestinationArn"))?;
    }
    let rate = integer(input, "MaxNumberOfMessagesPerSecond");
    if let Some(r) = rate
        && !(1..=500).contains(&r)
    {
        return Err(invalid_value("MaxNumberOfMessagesPerSecond", r, "MaxNumberOfMessagesPerSecond must be between 1 and 500."));
    }
    if !is_dead_letter_queue(inner, &source).await? {
        return Err(invalid_value("SourceArn", &source_arn, "Source queue must be configured as a Dead Letter Queue."));
    }
    let mut tasks = inner.moves.tasks.lock().unwrap_or_else(|p| p.into_inner());
    if tasks.iter().any(|t| t.source_arn == source_arn && matches!(t.status().0, "RUNNING" | "CANCELLING")) {
        return Err(ServiceError::new(
            "UnsupportedOperation",
            "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
        ));
    }
    let now = inner.now();
    let to_move = source.lock().counts(now).0 as u64;
    let handle = B64.encode(json!({ "taskId": nimbus_core::ids::uuid(), "sourceArn": source_arn }).to_string());
    let task = Arc::new(Task {
        handle: handle.clone(),
        source_arn,
        destination_arn,
        rate,
        to_move,
        started_ms: now,
        moved: AtomicU64::new(0),
        cancel: AtomicBool::new(false),
        status: Mutex::new(("RUNNING", None)),
    });
    tasks.push(task.clone());
    drop(tasks);
    let inner = inner.clone();
    tokio::spawn(async move {
        let outcome = run(&inner, &source, &task).await;
        match outcome {
            Ok(()) if task.cancel.load(Ordering::SeqCst) => task.set_status("CANCELLED", None),
            Ok(()) => task.set_status("COMPLETED", None),
            Err(reason) => task.set_status("FAILED", Some(reason)),
        }
    });
    Ok(json!({ "TaskHandle": handle }))
}

/// Whether some queue names `queue` as its dead-letter target.
async fn is_dead_letter_queue(inner: &Inner, queue: &Queue) -> Res<bool> {
    let scope = format!("{}/{}", queue.account, queue.region);
    let records = inner.read(move |store| Ok(store.list_all::<crate::records::QueueRecord>(&scope)?)).await?;
    Ok(records.iter().any(|(_, r)| {
        r.attributes
            .get("RedrivePolicy")
            .and_then(|p| crate::attributes::parse_redrive_policy(p).ok().flatten())
            .is_some_and(|redrive| redrive.target_arn == queue.arn)
    }))
}

/// Moves up to the task's count of messages, a batch at a time, each batch committed.
async fn run(inner: &Inner, source: &Arc<Queue>, task: &Task) -> Result<(), String> {
    let batch = task.rate.map_or(100, |r| r.clamp(1, 100) as usize);
    while task.moved.load(Ordering::SeqCst) < task.to_move && !task.cancel.load(Ordering::SeqCst) {
        let started = tokio::time::Instant::now();
        let want = batch.min((task.to_move - task.moved.load(Ordering::SeqCst)) as usize);
        let taken = source.lock().take_for_move(inner.now(), want);
        if taken.is_empty() {
            break;
        }
        let count = taken.len() as u64;
        for live in taken {
            let target_arn = task.destination_arn.clone().or_else(|| live.record.dead_letter_source_arn.clone());
            let target = match &target_arn {
                Some(arn) => inner.resolve_arn(arn).await.map_err(|e| e.message)?,
                None => None,
            };
            let Some(target) = target else {
                let receive = live.receive_state();
                source.lock().insert(live.record.clone(), (live.token != 0).then_some(receive));
                return Err(format!("Destination queue {} does not exist.", target_arn.unwrap_or_default()));
            };
            let wall_micros = nimbus_core::clock::wall_micros();
            let mut record = MessageRecord::clone(&live.record);
            record.seq = target.lock().next_seq(wall_micros);
            record.available_at_ms = inner.now();
            record.dead_letter_source_arn = None;
            record.prior_receives = 0;
            let record = Arc::new(record);
            let (source_id, target_id, stored, old_seq) = (source.id.clone(), target.id.clone(), record.clone(), live.record.seq);
            inner
                .write(move |t| {
                    delete_messages(t, &source_id, &[old_seq])?;
                    t.put(&target_id, &message_key(stored.seq), stored.as_ref())?;
                    Ok(())
                })
                .await
                .map_err(|e| e.message)?;
            target.lock().insert(record, None);
            target.arrivals.notify_waiters();
        }
        task.moved.fetch_add(count, Ordering::SeqCst);
        if let Some(rate) = task.rate {
            let budget = Duration::from_secs_f64(count as f64 / rate as f64);
            tokio::time::sleep_until(started + budget).await;
        }
    }
    Ok(())
}

pub async fn cancel(inner: &Arc<Inner>, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let handle = required(input, "TaskHandle")?;
    let task = inner.moves.tasks.lock().unwrap_or_else(|p| p.into_inner()).iter().find(|t| t.handle == handle).cloned();
    let Some(task) = task.filter(|t| t.status().0 == "RUNNING") else {
        return Err(ServiceError::new("ResourceNotFoundException", "Task does not exist."));
    };
    task.cancel.store(true, Ordering::SeqCst);
    task.set_status("CANCELLING", None);
    Ok(json!({ "ApproximateNumberOfMessagesMoved": task.moved.load(Ordering::SeqCst) }))
}

pub async fn list(inner: &Arc<Inner>, _ctx: &RequestContext, input: &Value) -> Res<Value> {
    let source_arn = required(input, "SourceArn")?;
    inner.resolve_arn(source_arn).await?.ok_or_else(|| not_found("SourceArn"))?;
    let max = integer(input, "MaxResults").unwrap_or(1);
    if !(1..=10).contains(&max) {
        return Err(invalid_value("MaxResults", max, "MaxResults must be between 1 and 10."));
    }
    let tasks = inner.moves.tasks.lock().unwrap_or_else(|p| p.into_inner());
    let results: Vec<Value> = tasks
        .iter()
        .rev()
        .filter(|t| t.source_arn == source_arn)
        .take(max as usize)
        .map(|t| {
            let (status, reason) = t.status();
            let mut doc = Map::new();
            if status == "RUNNING" {
                doc.insert("TaskHandle".into(), json!(t.handle));
            }
            doc.insert("Status".into(), json!(status));
            doc.insert("SourceArn".into(), json!(t.source_arn));
            if let Some(d) = &t.destination_arn {
                doc.insert("DestinationArn".into(), json!(d));
            }
            if let Some(r) = t.rate {
                doc.insert("MaxNumberOfMessagesPerSecond".into(), json!(r));
            }
            doc.insert("ApproximateNumberOfMessagesMoved".into(), json!(t.moved.load(Ordering::SeqCst)));
            doc.insert("ApproximateNumberOfMessagesToMove".into(), json!(t.to_move));
            if let Some(r) = reason {
                doc.insert("FailureReason".into(), json!(r));
            }
            doc.insert("StartedTimestamp".into(), json!(t.started_ms));
            Value::Object(doc)
        })
        .collect();
    Ok(json!({ "Results": results }))
}
