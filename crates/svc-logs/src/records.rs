//! What CloudWatch Logs persists as versioned records (events live in ordered spaces, see
//! `events.rs`).
//!
//! Scopes: groups, metric filters, subscription filters and resource policies live in the
//! region's scope `<account>/<region>`; a group's streams in `<account>/<region>/<group uid>`,
//! so a group deleted and created again starts with no streams. [`RegionMarker`]s (scope "")
//! let the retention sweeper find every region that has log groups.

use std::collections::BTreeMap;

use nimbus_core::RequestContext;
use nimbus_store::Record;
use serde::{Deserialize, Serialize};

/// One log group (key: its name).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupRecord {
    pub name: String,
    /// Names this incarnation's event space and stream scope.
    pub uid: String,
    pub created_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    pub class: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Message bytes of the events stored now (retention subtracts what it deletes).
    pub stored_bytes: u64,
    /// The next event's sequence number: events of one millisecond keep their ingestion order.
    pub next_seq: u64,
    /// The number the next stream gets; events carry their stream's number, not its name.
    pub next_stream_num: u32,
    pub metric_filter_count: u32,
}

impl Record for GroupRecord {
    const KIND: &'static str = "logs.group";
    const VERSION: u32 = 1;
}

/// One log stream (key: its name, scope: its group's stream scope).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamRecord {
    pub name: String,
    pub num: u32,
    pub created_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_event_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ingestion_ms: Option<i64>,
    /// Counts accepted uploads: the sequence token PutLogEvents hands back (and then ignores).
    pub uploads: u64,
}

impl Record for StreamRecord {
    const KIND: &'static str = "logs.stream";
    const VERSION: u32 = 1;
}

/// A metric transformation as PutMetricFilter takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transformation {
    pub metric_name: String,
    pub metric_namespace: String,
    pub metric_value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<f64>,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// One metric filter (key: `<group>:<filter>`; neither name may contain a colon).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricFilterRecord {
    pub group: String,
    pub name: String,
    pub pattern: String,
    pub transformation: Transformation,
    pub created_ms: i64,
    #[serde(default)]
    pub apply_on_transformed_logs: bool,
}

impl Record for MetricFilterRecord {
    const KIND: &'static str = "logs.metric_filter";
    const VERSION: u32 = 1;
}

/// One subscription filter (key: `<group>:<filter>`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionFilterRecord {
    pub group: String,
    pub name: String,
    pub pattern: String,
    pub destination_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub distribution: String,
    pub created_ms: i64,
    #[serde(default)]
    pub apply_on_transformed_logs: bool,
}

impl Record for SubscriptionFilterRecord {
    const KIND: &'static str = "logs.subscription_filter";
    const VERSION: u32 = 1;
}

/// One resource policy (key: its name, or `@<resource arn>` for a resource-scoped policy).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourcePolicyRecord {
    pub name: Option<String>,
    pub document: String,
    pub updated_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_arn: Option<String>,
    pub revision_id: String,
}

impl Record for ResourcePolicyRecord {
    const KIND: &'static str = "logs.resource_policy";
    const VERSION: u32 = 1;
}

/// Marks a region with log groups (scope "", key `<account>/<region>`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegionMarker {}

impl Record for RegionMarker {
    const KIND: &'static str = "logs.region";
    const VERSION: u32 = 1;
}

pub const MARKER_SCOPE: &str = "";

pub fn region_scope(ctx: &RequestContext) -> String {
    format!("{}/{}", ctx.account_id, ctx.region)
}

pub fn stream_scope(region_scope: &str, group_uid: &str) -> String {
    format!("{region_scope}/{group_uid}")
}

/// The key of a group's filter: `<group>:<filter>` (colons are in neither name's alphabet).
pub fn filter_key(group: &str, filter: &str) -> String {
    format!("{group}:{filter}")
}
