//! Amazon CloudWatch Logs for Nimbus.
//!
//! * `groups.rs`: log groups (create, delete, describe, retention, KMS key association);
//!   `streams.rs`: log streams;
//! * `events.rs`: how events are stored (one ordered space per group incarnation, keyed by time
//!   and by stream) and PutLogEvents with AWS's batch rules and `rejectedLogEventsInfo`;
//! * `reads.rs`: GetLogEvents (`f/` and `b/` tokens) and FilterLogEvents (filter patterns of
//!   `nimbus-logs-lang`, parsed once per request, over one range read of the group);
//! * `metric_filters.rs`: metric filters and the datapoints each upload hands to CloudWatch as
//!   [`nimbus_core::Delivery::Metrics`] after its events are committed;
//! * `subscriptions.rs`: subscription filters, recorded and validated. **Not delivered**: Nimbus
//!   has no Lambda, Kinesis or Firehose yet, so no events reach their destinations;
//! * `insights.rs`: Logs Insights queries (`nimbus-logs-lang`'s engine), results in memory;
//! * `tags.rs`, `policies.rs`: tags on log groups, resource policies;
//! * `retention.rs`: [`Logs::sweep`] deletes events past their group's retention;
//! * `access.rs`: strict mode's actions and ARNs.
//!
//! Time is Nimbus's [`Clock`] throughout: what is "too old", "too new" or expired, ingestion
//! times, creation times.

mod access;
mod errors;
mod events;
mod groups;
mod input;
mod insights;
mod metric_filters;
mod policies;
mod reads;
mod records;
mod retention;
mod streams;
mod subscriptions;
mod tags;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use nimbus_core::{Access, Clock, Document, EventBus, RequestContext, ResourcePolicy, Service, ServiceError};
use nimbus_store::Store;

use crate::errors::Fail;

const OPERATIONS: &[&str] = &[
    "AssociateKmsKey",
    "CreateLogGroup",
    "CreateLogStream",
    "DeleteLogGroup",
    "DeleteLogStream",
    "DeleteMetricFilter",
    "DeleteResourcePolicy",
    "DeleteRetentionPolicy",
    "DeleteSubscriptionFilter",
    "DescribeLogGroups",
    "DescribeLogStreams",
    "DescribeMetricFilters",
    "DescribeQueries",
    "DescribeResourcePolicies",
    "DescribeSubscriptionFilters",
    "DisassociateKmsKey",
    "FilterLogEvents",
    "GetLogEvents",
    "GetQueryResults",
    "ListTagsForResource",
    "ListTagsLogGroup",
    "PutLogEvents",
    "PutMetricFilter",
    "PutResourcePolicy",
    "PutRetentionPolicy",
    "PutSubscriptionFilter",
    "StartQuery",
    "StopQuery",
    "TagLogGroup",
    "TagResource",
    "TestMetricFilter",
    "UntagLogGroup",
    "UntagResource",
];

pub struct Logs {
    store: Store,
    clock: Clock,
    /// Where metric filters' datapoints go (CloudWatch takes [`nimbus_core::Delivery::Metrics`]).
    bus: Option<Arc<dyn EventBus>>,
    metric_filters: metric_filters::FilterCache,
    queries: insights::Queries,
}

impl Logs {
    pub fn new(store: Store, clock: Clock) -> Logs {
        Logs { store, clock, bus: None, metric_filters: Default::default(), queries: Default::default() }
    }

    pub fn with_event_bus(mut self, bus: Arc<dyn EventBus>) -> Logs {
        self.bus = Some(bus);
        self
    }

    /// Clock-driven upkeep: deletes events past their group's retention, forgets query results
    /// older than seven days, and finishes deleting the events of deleted groups.
    pub async fn sweep(&self) {
        let now = self.clock.now_millis();
        self.queries.expire(now);
        let store = self.store.clone();
        let trimmed = tokio::task::spawn_blocking(move || {
            let trimmed = retention::trim(&store, now);
            if let Err(e) = store.purge_dropped_spaces(10_000) {
                tracing::warn!("logs: purging deleted events: {e}");
            }
            trimmed
        })
        .await;
        match trimmed {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::debug!("logs: retention deleted {n} events"),
            Ok(Err(Fail(e))) => tracing::error!("logs: retention: {e}"),
            Err(e) => tracing::error!("logs: sweep failed: {e}"),
        }
    }
}

#[async_trait::async_trait]
impl Service for Logs {
    fn model_name(&self) -> &'static str {
        "logs"
    }

    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        let result = match operation {
            "CreateLogGroup" => self.create_log_group(ctx, &input),
            "DeleteLogGroup" => self.delete_log_group(ctx, &input),
            "DescribeLogGroups" => self.describe_log_groups(ctx, &input),
            "PutRetentionPolicy" => self.put_retention_policy(ctx, &input),
            "DeleteRetentionPolicy" => self.delete_retention_policy(ctx, &input),
            "AssociateKmsKey" => self.associate_kms_key(ctx, &input),
            "DisassociateKmsKey" => self.disassociate_kms_key(ctx, &input),
            "CreateLogStream" => self.create_log_stream(ctx, &input),
            "DeleteLogStream" => self.delete_log_stream(ctx, &input).await,
            "DescribeLogStreams" => self.describe_log_streams(ctx, &input),
            "PutLogEvents" => self.put_log_events(ctx, input).await,
            "GetLogEvents" => self.get_log_events(ctx, &input).await,
            "FilterLogEvents" => self.filter_log_events(ctx, &input).await,
            "TagResource" => self.tag_resource(ctx, &input),
            "UntagResource" => self.untag_resource(ctx, &input),
            "ListTagsForResource" => self.list_tags_for_resource(ctx, &input),
            "TagLogGroup" => self.tag_log_group(ctx, &input),
            "UntagLogGroup" => self.untag_log_group(ctx, &input),
            "ListTagsLogGroup" => self.list_tags_log_group(ctx, &input),
            "PutResourcePolicy" => self.put_resource_policy(ctx, &input),
            "DescribeResourcePolicies" => self.describe_resource_policies(ctx, &input),
            "DeleteResourcePolicy" => self.delete_resource_policy(ctx, &input),
            "PutMetricFilter" => self.put_metric_filter(ctx, &input),
            "DescribeMetricFilters" => self.describe_metric_filters(ctx, &input),
            "DeleteMetricFilter" => self.delete_metric_filter(ctx, &input),
            "TestMetricFilter" => self.test_metric_filter(&input),
            "PutSubscriptionFilter" => self.put_subscription_filter(ctx, &input),
            "DescribeSubscriptionFilters" => self.describe_subscription_filters(ctx, &input),
            "DeleteSubscriptionFilter" => self.delete_subscription_filter(ctx, &input),
            "StartQuery" => self.start_query(ctx, &input),
            "GetQueryResults" => self.get_query_results(ctx, &input),
            "StopQuery" => self.stop_query(ctx, &input),
            "DescribeQueries" => self.describe_queries(ctx, &input),
            other => return Err(ServiceError::not_implemented("logs", other)),
        };
        result.map_err(|Fail(e)| e)
    }

    fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        access::access(ctx, operation, input)
    }

    fn resource_policy(&self, ctx: &RequestContext, resource_arn: &str) -> Option<ResourcePolicy> {
        let name = input::group_from_arn(ctx, resource_arn.split(":log-stream:").next().unwrap_or(resource_arn))?;
        let group = self.group(ctx, name).ok()?;
        let document = self.policy_for(ctx, &group)?;
        Some(ResourcePolicy { document, owner_account: ctx.account_id.clone() })
    }
}
