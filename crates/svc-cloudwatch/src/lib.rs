//! Amazon CloudWatch (metrics, alarms, dashboards) for Nimbus.
//!
//! * Metrics: `put_data.rs` (PutMetricData and other services' datapoints, committed through the
//!   store's group commit), `metric.rs` (identity, name and dimension checks, the metric
//!   record), `series.rs` (datapoints in ordered spaces), `statistics.rs`
//!   (GetMetricStatistics), `metric_data.rs` (GetMetricData, metric math), `list.rs`
//!   (ListMetrics). Arithmetic and languages are metrics-lang's.
//! * Alarms: `records.rs` (the persisted alarm and its documents), `book.rs` (every alarm in
//!   memory, the evaluation schedule), `alarms.rs` (Put/Delete/Enable/Disable), `describe.rs`,
//!   `state.rs` (transitions, composite alarms, SetAlarmState), `evaluation.rs` (the loop run
//!   by [`CloudWatch::sweep`]), `actions.rs` (SNS notifications through the event bus),
//!   `history.rs` (DescribeAlarmHistory).
//! * `dashboards.rs`, `tags.rs`; `retention.rs` (15 months of datapoints, 30 days of history).

mod actions;
mod alarms;
mod book;
mod dashboards;
mod describe;
mod errors;
mod evaluation;
mod history;
mod list;
mod metric;
mod metric_data;
mod put_data;
mod records;
mod retention;
mod series;
mod state;
mod statistics;
mod tags;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use nimbus_core::{Clock, Delivery, Document, EventBus, RequestContext, Service, ServiceError};
use nimbus_store::Store;
use time::OffsetDateTime;

use crate::book::Book;
use crate::errors::{Fail, Res};

const OPERATIONS: &[&str] = &[
    "DeleteAlarms",
    "DeleteDashboards",
    "DescribeAlarmHistory",
    "DescribeAlarms",
    "DescribeAlarmsForMetric",
    "DisableAlarmActions",
    "EnableAlarmActions",
    "GetDashboard",
    "GetMetricData",
    "GetMetricStatistics",
    "ListDashboards",
    "ListMetrics",
    "ListTagsForResource",
    "PutCompositeAlarm",
    "PutDashboard",
    "PutMetricAlarm",
    "PutMetricData",
    "SetAlarmState",
    "TagResource",
    "UntagResource",
];

pub struct CloudWatch {
    store: Store,
    clock: Clock,
    /// Where alarm actions go (SNS takes [`nimbus_core::Delivery::Topic`]).
    bus: Option<Arc<dyn EventBus>>,
    /// Every alarm, loaded on first use; one lock serializes alarm changes and evaluation.
    book: tokio::sync::Mutex<Book>,
    retention: retention::Retention,
}

impl CloudWatch {
    pub fn new(store: Store, clock: Clock) -> CloudWatch {
        CloudWatch { store, clock, bus: None, book: tokio::sync::Mutex::new(Book::default()), retention: Default::default() }
    }

    pub fn with_event_bus(mut self, bus: Arc<dyn EventBus>) -> CloudWatch {
        self.bus = Some(bus);
        self
    }

    /// Datapoints from other services ([`Delivery::Metrics`]), stored as PutMetricData would
    /// (any namespace, `AWS/` included).
    pub async fn deliver(&self, delivery: &Delivery) -> Result<(), ServiceError> {
        let Delivery::Metrics { account_id, region, namespace, data } = delivery else {
            return Err(ServiceError::new("InvalidParameterValue", format!("CloudWatch cannot take a delivery for {}", delivery.target())));
        };
        if !metric::valid_namespace(namespace) {
            return Err(ServiceError::new("InvalidParameterValue", format!("The value {namespace} for parameter Namespace is invalid.")));
        }
        let pending = put_data::from_delivery(namespace, data);
        put_data::commit(&self.store, account_id, region, pending, self.clock.now_millis()).await.map_err(|Fail(e)| e)
    }

    /// Clock-driven upkeep: evaluates the alarms that are due (running their actions), and
    /// trims datapoints past 15 months and history past 30 days.
    pub async fn sweep(&self) {
        if let Err(Fail(e)) = self.evaluate_due_alarms().await {
            tracing::error!("cloudwatch: alarm evaluation: {e}");
        }
        self.retention.run_if_due(&self.store, self.clock.now_millis()).await;
    }

    async fn put_metric_data(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let now_ms = self.clock.now_millis();
        let (_, pending) = put_data::parse_request(input, now_ms)?;
        put_data::commit(&self.store, &ctx.account_id, &ctx.region, pending, now_ms).await?;
        Ok(serde_json::json!({}))
    }
}

pub(crate) fn time_of_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn time_of_seconds(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[async_trait::async_trait]
impl Service for CloudWatch {
    fn model_name(&self) -> &'static str {
        "cloudwatch"
    }

    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        let result = match operation {
            "PutMetricData" => self.put_metric_data(ctx, &input).await,
            "GetMetricStatistics" => self.get_metric_statistics(ctx, &input),
            "GetMetricData" => self.get_metric_data(ctx, &input),
            "ListMetrics" => self.list_metrics(ctx, &input),
            "PutMetricAlarm" => self.put_metric_alarm(ctx, &input).await,
            "PutCompositeAlarm" => self.put_composite_alarm(ctx, &input).await,
            "DescribeAlarms" => self.describe_alarms(ctx, &input).await,
            "DescribeAlarmsForMetric" => self.describe_alarms_for_metric(ctx, &input).await,
            "DescribeAlarmHistory" => self.describe_alarm_history(ctx, &input),
            "DeleteAlarms" => self.delete_alarms(ctx, &input).await,
            "SetAlarmState" => self.set_alarm_state(ctx, &input).await,
            "EnableAlarmActions" => self.set_actions_enabled(ctx, &input, true).await,
            "DisableAlarmActions" => self.set_actions_enabled(ctx, &input, false).await,
            "PutDashboard" => self.put_dashboard(ctx, &input).await,
            "GetDashboard" => self.get_dashboard(ctx, &input),
            "ListDashboards" => self.list_dashboards(ctx, &input),
            "DeleteDashboards" => self.delete_dashboards(ctx, &input).await,
            "TagResource" => self.tag_resource(ctx, &input).await,
            "UntagResource" => self.untag_resource(ctx, &input).await,
            "ListTagsForResource" => self.list_tags_for_resource(ctx, &input).await,
            other => return Err(ServiceError::not_implemented("monitoring", other)),
        };
        result.map_err(|Fail(e)| e)
    }
}
