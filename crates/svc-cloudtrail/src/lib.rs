//! AWS CloudTrail for Nimbus: every call Nimbus serves, recorded.
//!
//! * [`Recorder`] (`recorder.rs`) is the server's [`nimbus_core::AuditSink`]: calls queue in
//!   memory and one writer thread commits them in batches (never blocking a request);
//! * `classify.rs`: management vs data events and `readOnly`, AWS's tables; `record.rs` the
//!   record (userIdentity, requestParameters with `redact.rs`'s rules, resources);
//! * `history.rs`: event history, 90 days of management events per account and region, what
//!   LookupEvents reads; trimmed on Nimbus's clock by [`CloudTrail::sweep`];
//! * `trails.rs`, `api.rs`: trails (CRUD, StartLogging/StopLogging, status, tags),
//!   `selectors.rs` their event selectors (basic and advanced);
//! * `delivery.rs`: log files of logging trails, gzipped into their S3 bucket through the event
//!   bus every five minutes of Nimbus's clock.

mod api;
mod classify;
mod delivery;
mod errors;
mod history;
mod record;
mod recorder;
mod redact;
mod resources;
mod selectors;
mod trails;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, PoisonError};

use nimbus_core::{Clock, Document, EventBus, RequestContext, Service, ServiceError};
use nimbus_store::Store;
use serde_json::{Value, json};
use time::OffsetDateTime;

pub use classify::{Category, Class, DataType, classify};
pub use recorder::Recorder;

use crate::errors::{Fail, Res};
use crate::history::{Attribute, Query};
use crate::recorder::TrailIndex;

const OPERATIONS: &[&str] = &[
    "AddTags",
    "CreateTrail",
    "DeleteTrail",
    "DescribeTrails",
    "GetEventSelectors",
    "GetTrail",
    "GetTrailStatus",
    "ListTags",
    "ListTrails",
    "LookupEvents",
    "PutEventSelectors",
    "RemoveTags",
    "StartLogging",
    "StopLogging",
    "UpdateTrail",
];

/// LookupEvents' page size when the request names none, and its maximum.
const MAX_RESULTS: usize = 50;

pub struct CloudTrail {
    store: Store,
    clock: Clock,
    /// Where log files go (S3) and how a trail's bucket is checked; `None`: not delivered.
    bus: Option<Arc<dyn EventBus>>,
    trails: Arc<TrailIndex>,
    recorder: Recorder,
    /// Serializes rebuilding the logging-trail index, so the last rebuild sees the last write.
    refreshing: Mutex<()>,
}

impl CloudTrail {
    /// CloudTrail over `store`, with its recorder (whose writer thread starts now) and the
    /// logging trails loaded.
    pub fn new(store: Store, clock: Clock) -> CloudTrail {
        let trails = Arc::new(TrailIndex::default());
        let recorder = Recorder::new(store.clone(), trails.clone());
        let cloudtrail = CloudTrail { store, clock, bus: None, trails, recorder, refreshing: Mutex::new(()) };
        if let Err(Fail(e)) = cloudtrail.refresh() {
            tracing::error!("cloudtrail: loading trails: {e}");
        }
        cloudtrail
    }

    /// Delivers log files through `bus` (S3 takes [`nimbus_core::Delivery::Object`]), which also
    /// checks that a trail's bucket exists.
    pub fn with_event_bus(mut self, bus: Arc<dyn EventBus>) -> CloudTrail {
        self.bus = Some(bus);
        self
    }

    /// The audit sink to give the server.
    pub fn recorder(&self) -> Recorder {
        self.recorder.clone()
    }

    /// Clock-driven upkeep: writes what is queued, trims event history past 90 days, and
    /// delivers the log files that are due. Returns the number of files delivered.
    pub async fn sweep(&self) -> usize {
        let recorder = self.recorder.clone();
        let store = self.store.clone();
        let now_ms = self.clock.now_millis();
        let trimmed = tokio::task::spawn_blocking(move || {
            recorder.flush();
            history::trim(&store, now_ms)
        })
        .await;
        match trimmed {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::debug!("cloudtrail: {n} events left event history"),
            Ok(Err(e)) => tracing::error!("cloudtrail: trimming event history: {e}"),
            Err(e) => tracing::error!("cloudtrail: sweep failed: {e}"),
        }
        delivery::deliver_due(&self.store, self.bus.as_deref(), now_ms).await
    }

    /// Rebuilds the writer's index of logging trails from the store (after any trail change).
    fn refresh(&self) -> Res<()> {
        let _one_at_a_time = self.refreshing.lock().unwrap_or_else(PoisonError::into_inner);
        let all = self.store.list_all::<trails::TrailRecord>(trails::SCOPE)?;
        self.trails.set(all.iter().filter_map(|(_, t)| t.active()).collect());
        Ok(())
    }

    async fn lookup_events(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let attributes = input.get("LookupAttributes").and_then(Value::as_array).cloned().unwrap_or_default();
        if attributes.len() > 1 {
            return Err(errors::invalid_lookup("You can specify at most one lookup attribute."));
        }
        let attribute = match attributes.first() {
            Some(a) => Some(Attribute::parse(
                a.get("AttributeKey").and_then(Value::as_str).unwrap_or_default(),
                a.get("AttributeValue").and_then(Value::as_str).unwrap_or_default(),
            )?),
            None => None,
        };
        let time = |member: &str| input.get(member).and_then(nimbus_core::document::parse_timestamp).map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
        let (start_ms, end_ms) = (time("StartTime"), time("EndTime"));
        if let (Some(start), Some(end)) = (start_ms, end_ms)
            && start > end
        {
            return Err(errors::invalid_time_range());
        }
        let max_results = match input.get("MaxResults").and_then(Value::as_i64) {
            None => MAX_RESULTS,
            Some(n @ 1..=50) => n as usize,
            Some(_) => return Err(errors::invalid_max_results()),
        };
        match input.get("EventCategory").and_then(Value::as_str) {
            None => {}
            // Insights events only; Nimbus has no CloudTrail Insights.
            Some("insight") => return Ok(json!({"Events": []})),
            Some(_) => return Err(errors::invalid_category()),
        }
        let query = Query { attribute, start_ms, end_ms, max_results, next_token: input.get("NextToken").and_then(Value::as_str).map(str::to_owned) };
        // What this caller did just before is visible at once: write the queue first.
        let recorder = self.recorder.clone();
        let _ = tokio::task::spawn_blocking(move || recorder.flush()).await;
        let (events, token) = history::lookup(&self.store, &ctx.account_id, &ctx.region, &query)?;
        let mut out = json!({"Events": events.iter().map(history::event_document).collect::<Vec<_>>()});
        if let Some(token) = token {
            out["NextToken"] = json!(token);
        }
        Ok(out)
    }
}

/// Epoch milliseconds as a date-time.
pub(crate) fn time_of(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[async_trait::async_trait]
impl Service for CloudTrail {
    fn model_name(&self) -> &'static str {
        "cloudtrail"
    }

    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        let result = match operation {
            "LookupEvents" => self.lookup_events(ctx, &input).await,
            "CreateTrail" => self.create_trail(ctx, &input),
            "UpdateTrail" => self.update_trail(ctx, &input),
            "DeleteTrail" => self.delete_trail(ctx, &input),
            "GetTrail" => self.get_trail(ctx, &input),
            "DescribeTrails" => self.describe_trails(ctx, &input),
            "ListTrails" => self.list_trails(ctx),
            "StartLogging" => self.set_logging(ctx, &input, true),
            "StopLogging" => self.set_logging(ctx, &input, false),
            "GetTrailStatus" => self.trail_status(ctx, &input),
            "PutEventSelectors" => self.put_event_selectors(ctx, &input),
            "GetEventSelectors" => self.get_event_selectors(ctx, &input),
            "AddTags" => self.add_tags(ctx, &input),
            "RemoveTags" => self.remove_tags(ctx, &input),
            "ListTags" => self.list_tags(ctx, &input),
            other => return Err(ServiceError::not_implemented("cloudtrail", other)),
        };
        result.map_err(|Fail(e)| e)
    }
}
