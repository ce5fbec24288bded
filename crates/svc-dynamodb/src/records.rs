//! What DynamoDB persists as versioned records: one [`TableRecord`] per table (its definition and
//! settings, keyed by table name in the scope `{account}/{region}`) and one [`TableStats`] per
//! table (item count and size, keyed by table id), kept apart so an item write rewrites a few
//! bytes rather than the whole definition, and so definitions can be cached (they change
//! rarely and every item request reads one). Items themselves live in ordered spaces (see
//! `storage.rs`).

use std::collections::BTreeMap;

use nimbus_dynamodb_lang::AttributeType;
use nimbus_store::Record;
use serde::{Deserialize, Serialize};

/// A key attribute's scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    pub fn parse(name: &str) -> Option<ScalarType> {
        match name {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    pub fn attribute_type(self) -> AttributeType {
        match self {
            ScalarType::S => AttributeType::S,
            ScalarType::N => AttributeType::N,
            ScalarType::B => AttributeType::B,
        }
    }
}

/// One key attribute: its name and type (the type from AttributeDefinitions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttribute {
    pub name: String,
    pub kind: ScalarType,
}

/// A key schema: a partition (HASH) key and an optional sort (RANGE) key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySchema {
    pub hash: KeyAttribute,
    pub range: Option<KeyAttribute>,
}

impl KeySchema {
    pub fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.hash).chain(self.range.as_ref())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.attributes().any(|a| a.name == name)
    }
}

/// Which attributes an index copies from the table's items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Projection {
    KeysOnly,
    Include(Vec<String>),
    All,
}

impl Projection {
    pub fn type_name(&self) -> &'static str {
        match self {
            Projection::KeysOnly => "KEYS_ONLY",
            Projection::Include(_) => "INCLUDE",
            Projection::All => "ALL",
        }
    }
}

/// Provisioned capacity and its change history, as DescribeTable reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throughput {
    pub read: i64,
    pub write: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_increase_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_decrease_ms: Option<i64>,
}

/// OnDemandThroughput limits as given (`-1`: no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnDemandLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_read: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_write: Option<i64>,
}

/// A global or local secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexRecord {
    pub name: String,
    pub keys: KeySchema,
    pub projection: Projection,
    /// The ordered space holding the index's entries: unique per index incarnation, so a
    /// deleted index's space can be purged lazily while a new one of the same name fills.
    pub space: String,
    /// GSIs of provisioned tables only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Throughput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand: Option<OnDemandLimits>,
}

/// A table's stream settings; the label and ARN stay after the stream is disabled, as on AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamSettings {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Server-side encryption with a KMS key (`None` on the table: AWS-owned key, the default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsEncryption {
    /// The key as given (id, ARN or alias), reported as an ARN.
    pub key: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeToLive {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointInTimeRecovery {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_at_ms: Option<i64>,
}

/// A restored table's origin, as DescribeTable's RestoreSummary reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_backup_arn: Option<String>,
    pub source_table_arn: String,
    /// The backup's creation time, or the point in time restored to.
    pub restore_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    Provisioned,
    PayPerRequest,
}

impl BillingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

/// One table: definition and settings. Keyed by name in `{account}/{region}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRecord {
    pub name: String,
    /// TableId (a UUID); also names the table's ordered spaces, so a table re-created under
    /// the same name never sees the old one's items.
    pub id: String,
    pub created_ms: i64,
    /// AttributeDefinitions in the order given.
    pub attributes: Vec<KeyAttribute>,
    pub keys: KeySchema,
    pub billing: BillingMode,
    /// Provisioned capacity (zeros for on-demand tables).
    pub throughput: Throughput,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand: Option<OnDemandLimits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_pay_per_request_ms: Option<i64>,
    #[serde(default)]
    pub global_indexes: Vec<IndexRecord>,
    #[serde(default)]
    pub local_indexes: Vec<IndexRecord>,
    #[serde(default)]
    pub stream: StreamSettings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<KmsEncryption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_class: Option<String>,
    #[serde(default)]
    pub deletion_protection: bool,
    /// Tags by key (tag keys are unique; AWS lists them in no promised order).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub ttl: TimeToLive,
    #[serde(default)]
    pub recovery: PointInTimeRecovery,
    /// What the table was restored from (RestoreTableFromBackup, RestoreTableToPointInTime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreSummary>,
}

impl Record for TableRecord {
    const KIND: &'static str = "dynamodb.table";
    const VERSION: u32 = 1;
    const CACHED: bool = true;
}

impl TableRecord {
    /// The ordered space of the table's items.
    pub fn item_space(&self) -> String {
        item_space(&self.id)
    }

    pub fn index(&self, name: &str) -> Option<&IndexRecord> {
        self.global_indexes.iter().chain(&self.local_indexes).find(|i| i.name == name)
    }

    pub fn indexes(&self) -> impl Iterator<Item = &IndexRecord> {
        self.global_indexes.iter().chain(&self.local_indexes)
    }

    /// The type AttributeDefinitions gives `name`.
    pub fn attribute_type(&self, name: &str) -> Option<ScalarType> {
        self.attributes.iter().find(|a| a.name == name).map(|a| a.kind)
    }
}

pub fn item_space(table_id: &str) -> String {
    format!("ddb/{table_id}")
}

/// A fresh ordered space for an index of the table `table_id`.
pub fn new_index_space(table_id: &str) -> String {
    format!("ddb/{table_id}/{}", nimbus_core::ids::uuid())
}

/// Item count and bytes of a table and of each of its indexes, exact (AWS refreshes its
/// figures about every six hours; an emulator has no reason to lag). Keyed by table id.
///
/// Every item write's transaction reads and rewrites this record, so it also carries what each
/// write must keep up besides items and indexes, as of that transaction: the live stream and
/// its sequence counter, the TTL index and the point-in-time recovery log (see `streams.rs`,
/// `ttl_sweeper.rs`, `pitr.rs`). A write then
/// never appends to a stream UpdateTable has just ended, however stale the request's table
/// definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStats {
    pub items: i64,
    pub bytes: i64,
    #[serde(default)]
    pub indexes: BTreeMap<String, IndexStats>,
    /// The enabled stream that item changes are recorded to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<crate::streams::LiveStream>,
    /// The last stream sequence number issued for this table (all its streams share the
    /// counter, so numbers only grow).
    #[serde(default)]
    pub stream_sequence: u64,
    /// The index of items by expiry time, while TTL is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_index: Option<crate::ttl_sweeper::TtlIndex>,
    /// The change log of point-in-time recovery, while it is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pitr: Option<crate::pitr::PitrLog>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexStats {
    pub items: i64,
    pub bytes: i64,
}

impl Record for TableStats {
    const KIND: &'static str = "dynamodb.table_stats";
    const VERSION: u32 = 1;
}
