//! Amazon SQS: standard and FIFO queues.
//!
//! Each queue's messages are kept in memory ([`queue::State`]) and in the store
//! ([`records`]): a send is answered only after its messages are committed, a receive only after
//! the new in-flight state is, so acknowledged sends and receive counts survive `kill -9`.
//! Store calls run on blocking threads, so concurrent requests share one commit (group commit).
//! A queue's state is loaded from the store the first time a request names it.
//!
//! Long polls wait on the queue's [`Notify`](tokio::sync::Notify), woken by every send and by
//! clock moves (the sweeper), and by a timer for the next message that becomes visible; a
//! receive never polls in a loop.
//!
//! Times (visibility, delays, retention, deduplication windows) read Nimbus's [`Clock`].

mod access;
mod activity;
mod attributes;
mod batch;
mod errors;
mod message;
mod move_tasks;
mod names;
mod queue;
mod queues;
mod receive;
mod records;
mod send;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use nimbus_core::{Clock, Document, KeyManager, KmsCaller, RequestContext, Service, ServiceError};
use nimbus_store::{Store, Txn};
use serde_json::Value;

use crate::errors::{Fail, Res, queue_does_not_exist};
use crate::queue::Queue;
use crate::records::{DedupRecord, MessageRecord, QueueRecord, ReceiveState};

pub use crate::names::{parse_queue_url, QueueRef};

/// (account, region, queue name).
type QueueKey = (String, String, String);

pub struct Sqs {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    queues: RwLock<HashMap<QueueKey, Arc<Queue>>>,
    moves: move_tasks::MoveTasks,
    /// KMS, for queues with a `KmsMasterKeyId` (unset: the key is recorded, not checked).
    keys: OnceLock<Arc<dyn KeyManager>>,
}

const OPERATIONS: &[&str] = &[
    "AddPermission",
    "CancelMessageMoveTask",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
    "CreateQueue",
    "DeleteMessage",
    "DeleteMessageBatch",
    "DeleteQueue",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "ListMessageMoveTasks",
    "ListQueueTags",
    "ListQueues",
    "PurgeQueue",
    "ReceiveMessage",
    "RemovePermission",
    "SendMessage",
    "SendMessageBatch",
    "SetQueueAttributes",
    "StartMessageMoveTask",
    "TagQueue",
    "UntagQueue",
];

impl Sqs {
    pub fn new(store: Store, clock: Clock) -> Self {
        Sqs {
            inner: Arc::new(Inner {
                store,
                clock,
                queues: RwLock::new(HashMap::new()),
                moves: Default::default(),
                keys: OnceLock::new(),
            }),
        }
    }

    /// Checks the KMS key of SSE-KMS queues (`KmsMasterKeyId`, `alias/aws/sqs` included) on
    /// every send and receive, as AWS does: a missing or disabled key fails the call.
    pub fn with_key_manager(self, keys: Arc<dyn KeyManager>) -> Self {
        let _ = self.inner.keys.set(keys);
        self
    }

    /// A message from another service through the event bus ([`nimbus_core::Delivery::Queue`]):
    /// validated and committed as a SendMessage would be.
    pub async fn deliver(&self, delivery: &nimbus_core::Delivery) -> Result<(), ServiceError> {
        let nimbus_core::Delivery::Queue { queue_arn, body, attributes, group_id, dedup_id, sender_id } = delivery else {
            return Err(ServiceError::internal("SQS was handed a delivery for another kind of target"));
        };
        let mut input = serde_json::json!({ "MessageBody": body });
        if attributes.as_object().is_some_and(|a| !a.is_empty()) {
            input["MessageAttributes"] = attributes.clone();
        }
        if let Some(g) = group_id {
            input["MessageGroupId"] = g.clone().into();
        }
        if let Some(d) = dedup_id {
            input["MessageDeduplicationId"] = d.clone().into();
        }
        send::deliver(&self.inner, queue_arn, &input, sender_id).await
    }

    /// The standard `AWS/SQS` metrics of every queue loaded since the start, as of now on
    /// Nimbus's clock, grouped by (account, region). Counters restart from zero.
    pub fn standard_metrics(&self) -> Vec<(String, String, Vec<nimbus_core::MetricDatum>)> {
        let queues: Vec<Arc<Queue>> = self.inner.queues.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        let now = self.inner.clock.now_millis();
        let mut by_place: std::collections::BTreeMap<(String, String), Vec<nimbus_core::MetricDatum>> = Default::default();
        for queue in queues.iter().filter(|q| !q.lock().deleted) {
            by_place.entry((queue.account.clone(), queue.region.clone())).or_default().extend(activity::datapoints(queue, now));
        }
        by_place.into_iter().map(|((account, region), data)| (account, region, data)).collect()
    }

    /// Clock-driven upkeep: drops messages past retention and expired deduplication ids of
    /// every loaded queue, and wakes long polls (the clock may have moved, making messages
    /// visible). Runs once a minute and after `POST /_nimbus/clock`.
    pub async fn sweep(&self) {
        let queues: Vec<Arc<Queue>> = self.inner.queues.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        let now = self.inner.clock.now_millis();
        for queue in queues {
            let (expired, dedup) = queue.lock().expire(now);
            if !expired.is_empty() || !dedup.is_empty() {
                let id = queue.id.clone();
                let result = self
                    .inner
                    .write(move |t| {
                        delete_messages(t, &id, &expired)?;
                        for key in &dedup {
                            t.delete::<DedupRecord>(&id, key)?;
                        }
                        Ok(())
                    })
                    .await;
                if let Err(e) = result {
                    tracing::warn!(queue = %queue.arn, "sweeping expired messages failed: {e}");
                }
            }
            queue.arrivals.notify_waiters();
        }
    }
}

impl Inner {
    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Runs a store transaction on the store's writer thread without parking a thread of ours,
    /// so many requests join one commit.
    async fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Txn) -> Result<T, Fail> + Send + 'static) -> Res<T> {
        self.store.transaction_async(f).await.map_err(ServiceError::from)
    }

    async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Store) -> Result<T, Fail> + Send + 'static) -> Res<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store).map_err(ServiceError::from))
            .await
            .map_err(|e| ServiceError::internal(format!("SQS storage task failed: {e}")))?
    }

    fn cached(&self, key: &QueueKey) -> Option<Arc<Queue>> {
        self.queues.read().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    /// The queue, loaded from the store on first use; `None` if it does not exist.
    async fn find(&self, account: &str, region: &str, name: &str) -> Res<Option<Arc<Queue>>> {
        let key = (account.to_owned(), region.to_owned(), name.to_owned());
        if let Some(q) = self.cached(&key) {
            return Ok(Some(q));
        }
        let scope = format!("{account}/{region}");
        let queue_name = name.to_owned();
        let loaded = self
            .read(move |store| {
                let Some(record) = store.get::<QueueRecord>(&scope, &queue_name)? else { return Ok(None) };
                let messages = store.list_all::<MessageRecord>(&record.id)?;
                let receipts: HashMap<String, ReceiveState> = store.list_all::<ReceiveState>(&record.id)?.into_iter().collect();
                let dedup = store.list_all::<DedupRecord>(&record.id)?;
                Ok(Some((record, messages, receipts, dedup)))
            })
            .await?;
        let Some((record, messages, receipts, dedup)) = loaded else { return Ok(None) };
        let queue = Arc::new(Queue::new(account, region, record));
        {
            let mut state = queue.lock();
            for (key, message) in messages {
                let receive = receipts.get(&key).copied();
                state.insert(Arc::new(message), receive);
            }
            for (key, d) in dedup {
                state.remember_dedup(key, d.message_id, d.seq, d.expires_ms);
            }
        }
        let mut queues = self.queues.write().unwrap_or_else(|p| p.into_inner());
        Ok(Some(queues.entry(key).or_insert(queue).clone()))
    }

    /// The queue a request's QueueUrl names (in the URL's account and region, else the
    /// caller's).
    /// For an SSE-KMS queue, checks that its KMS key is usable (sends and receives need it).
    fn check_kms(&self, queue: &Queue, key_id: Option<&str>) -> Res<()> {
        let (Some(keys), Some(key_id)) = (self.keys.get(), key_id) else { return Ok(()) };
        let caller = KmsCaller { account_id: &queue.account, region: &queue.region };
        keys.resolve_key(caller, key_id).map(|_| ()).map_err(errors::kms_error)
    }

    async fn resolve(&self, ctx: &RequestContext, url: &str) -> Res<Arc<Queue>> {
        let Some(r) = names::parse_queue_url(url) else {
            return Err(ServiceError::new("InvalidAddress", format!("The address {url} is not valid for this endpoint.")));
        };
        let region = r.region.as_deref().unwrap_or(&ctx.region);
        self.find(&r.account, region, &r.name).await?.ok_or_else(queue_does_not_exist)
    }

    async fn resolve_arn(&self, arn: &str) -> Res<Option<Arc<Queue>>> {
        match names::parse_queue_arn(arn) {
            Some((region, account, name)) => self.find(&account, &region, &name).await,
            None => Ok(None),
        }
    }

    fn forget(&self, queue: &Queue) {
        let key = (queue.account.clone(), queue.region.clone(), queue.name.clone());
        let mut queues = self.queues.write().unwrap_or_else(|p| p.into_inner());
        if queues.get(&key).is_some_and(|q| q.id == queue.id) {
            queues.remove(&key);
        }
    }
}

/// Deletes messages and their receive state.
fn delete_messages(t: &mut Txn, queue_id: &str, seqs: &[u64]) -> Result<(), Fail> {
    for seq in seqs {
        let key = records::message_key(*seq);
        t.delete::<MessageRecord>(queue_id, &key)?;
        t.delete::<ReceiveState>(queue_id, &key)?;
    }
    Ok(())
}

// Input helpers over the (already validated) input document.
use nimbus_core::document::{str_member as string, string_list_member as string_list, string_map_member as string_map};

fn required<'a>(input: &'a Value, name: &str) -> Res<&'a str> {
    string(input, name).ok_or_else(|| errors::missing_parameter(name))
}

fn integer(input: &Value, name: &str) -> Option<i64> {
    input.get(name).and_then(Value::as_i64)
}

#[async_trait::async_trait]
impl Service for Sqs {
    fn model_name(&self) -> &'static str {
        "sqs"
    }

    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<nimbus_core::Access> {
        access::accesses(ctx, operation, input)
    }

    fn resource_policy(&self, _ctx: &RequestContext, resource_arn: &str) -> Option<nimbus_core::ResourcePolicy> {
        access::queue_policy(&self.inner, resource_arn)
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        let inner = &self.inner;
        match operation {
            "CreateQueue" => queues::create_queue(inner, ctx, &input).await,
            "GetQueueUrl" => queues::get_queue_url(inner, ctx, &input).await,
            "ListQueues" => queues::list_queues(inner, ctx, &input).await,
            "DeleteQueue" => queues::delete_queue(inner, ctx, &input).await,
            "GetQueueAttributes" => queues::get_queue_attributes(inner, ctx, &input).await,
            "SetQueueAttributes" => queues::set_queue_attributes(inner, ctx, &input).await,
            "PurgeQueue" => queues::purge_queue(inner, ctx, &input).await,
            "TagQueue" => queues::tag_queue(inner, ctx, &input).await,
            "UntagQueue" => queues::untag_queue(inner, ctx, &input).await,
            "ListQueueTags" => queues::list_queue_tags(inner, ctx, &input).await,
            "AddPermission" => queues::add_permission(inner, ctx, &input).await,
            "RemovePermission" => queues::remove_permission(inner, ctx, &input).await,
            "ListDeadLetterSourceQueues" => queues::list_dead_letter_source_queues(inner, ctx, &input).await,
            "SendMessage" => send::send_message(inner, ctx, &input).await,
            "SendMessageBatch" => send::send_message_batch(inner, ctx, &input).await,
            "ReceiveMessage" => receive::receive_message(inner, ctx, &input).await,
            "DeleteMessage" => receive::delete_message(inner, ctx, &input).await,
            "DeleteMessageBatch" => receive::delete_message_batch(inner, ctx, &input).await,
            "ChangeMessageVisibility" => receive::change_message_visibility(inner, ctx, &input).await,
            "ChangeMessageVisibilityBatch" => receive::change_message_visibility_batch(inner, ctx, &input).await,
            "StartMessageMoveTask" => move_tasks::start(inner, ctx, &input).await,
            "CancelMessageMoveTask" => move_tasks::cancel(inner, ctx, &input).await,
            "ListMessageMoveTasks" => move_tasks::list(inner, ctx, &input).await,
            _ => Err(ServiceError::not_implemented("SQS", operation)),
        }
    }
}

#[cfg(test)]
mod tests;
