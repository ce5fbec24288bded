//! The delivery worker: hands committed pending deliveries to the event bus (or the mailbox),
//! deletes each once delivered, retries transient failures on the policy's schedule, and sends
//! what cannot be delivered to the subscription's dead-letter queue (or drops it, logged).
//!
//! Due times are on Nimbus's clock, so moving the clock brings retries forward. The worker
//! sleeps until the next due delivery or until a publish wakes it; it never polls in a loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nimbus_core::{Delivery, DeliveryError, EventBus};
use tokio::sync::Notify;

use crate::Inner;
use crate::records::{MailRecord, PENDING_SCOPE, PendingDelivery, Target, pending_key};

/// Deliveries attempted at once.
const PAGE: usize = 256;

pub struct Worker {
    bus: Arc<dyn EventBus>,
    wake: Notify,
    started: AtomicBool,
}

impl Worker {
    pub fn new(bus: Arc<dyn EventBus>) -> Worker {
        Worker { bus, wake: Notify::new(), started: AtomicBool::new(false) }
    }

    /// New deliveries were committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

pub fn start(inner: Arc<Inner>) {
    if inner.deliveries.started.swap(true, Ordering::SeqCst) {
        return;
    }
    tokio::spawn(async move { run(inner).await });
}

async fn run(inner: Arc<Inner>) {
    loop {
        // A wake-up between the listing and the wait leaves a permit, so it is not lost.
        let woken = inner.deliveries.wake.notified();
        let store = inner.store.clone();
        let page = tokio::task::spawn_blocking(move || store.list::<PendingDelivery>(PENDING_SCOPE, "", None, PAGE)).await;
        let page = match page {
            Ok(Ok(page)) => page,
            Ok(Err(e)) => {
                tracing::error!("reading pending SNS deliveries failed: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => {
                tracing::error!("SNS delivery listing task failed: {e}");
                continue;
            }
        };
        let now = inner.now();
        let due_of = |key: &str| key.split('/').next().and_then(|d| d.parse::<i64>().ok()).unwrap_or(0);
        let (ready, later): (Vec<_>, Vec<_>) = page.into_iter().partition(|(key, _)| due_of(key) <= now);
        let full = ready.len() == PAGE;
        let attempts: Vec<_> = ready.into_iter().map(|(key, pending)| attempt(&inner, key, pending)).collect();
        futures_join(attempts).await;
        if full {
            continue;
        }
        let wait = later.first().map_or(Duration::from_secs(1), |(key, _)| Duration::from_millis((due_of(key) - now).clamp(1, 1000) as u64));
        let _ = tokio::time::timeout(wait, woken).await;
    }
}

/// Runs the attempts concurrently.
async fn futures_join<F: std::future::Future<Output = ()> + Send + 'static>(attempts: Vec<F>) {
    let handles: Vec<_> = attempts.into_iter().map(tokio::spawn).collect();
    for h in handles {
        let _ = h.await;
    }
}

fn attempt(inner: &Arc<Inner>, key: String, pending: PendingDelivery) -> impl std::future::Future<Output = ()> + Send + 'static {
    let inner = inner.clone();
    async move {
        // Retries are timed from when this attempt started, not from when its answer came.
        let started = inner.now();
        let result = match &pending.target {
            Target::Bus { delivery } => inner.deliveries.bus.deliver(delivery).await,
            Target::Mail { scope, mail } => inner.deliveries.bus.deliver(&legacy_mail(scope, mail)).await,
        };
        let outcome = match result {
            Ok(()) => Outcome::Done,
            Err(DeliveryError::Transient(why)) if pending.attempts < pending.retries => Outcome::Retry(why),
            Err(e) => Outcome::Failed(e.to_string()),
        };
        let next = match outcome {
            Outcome::Done => None,
            Outcome::Retry(why) => {
                tracing::debug!(subscription = %pending.subscription_arn, "SNS delivery will be retried: {why}");
                let mut again = pending.clone();
                again.attempts += 1;
                let due = started.saturating_add(pending.retry_delay_ms.max(1));
                Some((pending_key(due, &nimbus_core::ids::uuid()), again))
            }
            Outcome::Failed(why) => {
                dead_letter(&inner, &pending, &why).await;
                None
            }
        };
        let result = inner
            .write(move |t| {
                t.delete::<PendingDelivery>(PENDING_SCOPE, &key)?;
                if let Some((next_key, next)) = &next {
                    t.put(PENDING_SCOPE, next_key, next)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::error!("recording an SNS delivery attempt failed: {e}");
        }
    }
}

enum Outcome {
    Done,
    Retry(String),
    Failed(String),
}

/// A mail staged by a build that kept SNS's own mailbox: now it goes to SES's, like every mail.
fn legacy_mail(scope: &str, mail: &MailRecord) -> Delivery {
    let (account_id, region) = scope.split_once('/').unwrap_or((scope, ""));
    Delivery::Mail {
        account_id: account_id.to_owned(),
        region: region.to_owned(),
        from: "\"AWS Notifications\" <no-reply@sns.amazonaws.com>".to_owned(),
        to: mail.to.clone(),
        subject: mail.subject.clone(),
        body: mail.body.clone(),
    }
}

/// What could not be delivered goes to the subscription's dead-letter queue, as the message the
/// endpoint would have received.
async fn dead_letter(inner: &Inner, pending: &PendingDelivery, why: &str) {
    let Some(dlq) = &pending.dead_letter_arn else {
        tracing::warn!(subscription = %pending.subscription_arn, "SNS delivery dropped: {why}");
        return;
    };
    let body = match &pending.target {
        Target::Bus { delivery: Delivery::Queue { body, .. } } | Target::Bus { delivery: Delivery::Http { body, .. } } => body.clone(),
        Target::Bus { delivery: Delivery::Topic { message, .. } } => message.clone(),
        Target::Bus { delivery: Delivery::Mail { body, .. } } => body.clone(),
        Target::Mail { mail, .. } => mail.body.clone(),
        // SNS never sends objects or metrics; the arm only keeps the match exhaustive.
        Target::Bus { delivery: Delivery::Object { .. } | Delivery::Metrics { .. } } => String::new(),
    };
    let delivery = Delivery::Queue {
        queue_arn: dlq.clone(),
        body,
        attributes: serde_json::json!({}),
        group_id: None,
        dedup_id: None,
        sender_id: crate::publish::SNS_SENDER_ID.into(),
    };
    if let Err(e) = inner.deliveries.bus.deliver(&delivery).await {
        tracing::warn!(subscription = %pending.subscription_arn, "SNS delivery dropped ({why}); its dead-letter queue refused it too: {e}");
    }
}
