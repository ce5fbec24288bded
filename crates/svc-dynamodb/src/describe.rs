//! The `TableDescription` structure (CreateTable, DescribeTable, UpdateTable, DeleteTable) and
//! the ARNs it names.

use nimbus_core::Document;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::records::{BillingMode, IndexRecord, KeySchema, Projection, TableRecord, TableStats, Throughput};

/// Where a table lives: its account and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub account: String,
    pub region: String,
}

impl Place {
    pub fn scope(&self) -> String {
        format!("{}/{}", self.account, self.region)
    }

    pub fn table_arn(&self, table: &str) -> String {
        format!("arn:aws:dynamodb:{}:{}:table/{table}", self.region, self.account)
    }
}

pub fn timestamp(ms: i64) -> Value {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    nimbus_core::document::timestamp(at)
}

/// A stream label: the stream's creation time, `2024-05-01T12:00:00.000` (UTC, no zone suffix),
/// as AWS writes it.
pub fn stream_label(ms: i64) -> String {
    let iso = nimbus_core::document::iso8601_millis(ms);
    iso.trim_end_matches('Z').to_owned()
}

/// What DescribeTable says of a table in `status`.
pub fn table_description(place: &Place, table: &TableRecord, stats: &TableStats, status: &str) -> Document {
    let arn = place.table_arn(&table.name);
    let mut doc = Map::new();
    doc.insert(
        "AttributeDefinitions".into(),
        table.attributes.iter().map(|a| json!({"AttributeName": a.name, "AttributeType": a.kind.as_str()})).collect(),
    );
    doc.insert("TableName".into(), json!(table.name));
    doc.insert("KeySchema".into(), key_schema(&table.keys));
    doc.insert("TableStatus".into(), json!(status));
    doc.insert("CreationDateTime".into(), timestamp(table.created_ms));
    doc.insert("ProvisionedThroughput".into(), throughput(&table.throughput));
    doc.insert("TableSizeBytes".into(), json!(stats.bytes));
    doc.insert("ItemCount".into(), json!(stats.items));
    doc.insert("TableArn".into(), json!(arn));
    doc.insert("TableId".into(), json!(table.id));
    let mut billing = Map::new();
    billing.insert("BillingMode".into(), json!(table.billing.as_str()));
    if let Some(ms) = table.last_pay_per_request_ms {
        billing.insert("LastUpdateToPayPerRequestDateTime".into(), timestamp(ms));
    }
    doc.insert("BillingModeSummary".into(), Value::Object(billing));
    if !table.local_indexes.is_empty() {
        let list = table.local_indexes.iter().map(|i| local_index(&arn, i, stats)).collect();
        doc.insert("LocalSecondaryIndexes".into(), Value::Array(list));
    }
    if !table.global_indexes.is_empty() {
        let list = table.global_indexes.iter().map(|i| global_index(&arn, i, stats, table.billing)).collect();
        doc.insert("GlobalSecondaryIndexes".into(), Value::Array(list));
    }
    if table.stream.enabled {
        doc.insert(
            "StreamSpecification".into(),
            json!({"StreamEnabled": true, "StreamViewType": table.stream.view_type.clone().unwrap_or_default()}),
        );
    }
    if let Some(label) = &table.stream.label {
        doc.insert("LatestStreamLabel".into(), json!(label));
        doc.insert("LatestStreamArn".into(), json!(format!("{arn}/stream/{label}")));
    }
    if let Some(encryption) = &table.encryption {
        let key_arn = kms_key_arn(place, encryption.key.as_deref());
        doc.insert("SSEDescription".into(), json!({"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key_arn}));
    }
    if let Some(class) = &table.table_class {
        doc.insert("TableClassSummary".into(), json!({"TableClass": class}));
    }
    if let Some(restore) = &table.restore {
        let mut summary = Map::new();
        if let Some(arn) = &restore.source_backup_arn {
            summary.insert("SourceBackupArn".into(), json!(arn));
        }
        summary.insert("SourceTableArn".into(), json!(restore.source_table_arn));
        summary.insert("RestoreDateTime".into(), timestamp(restore.restore_ms));
        // Restores complete before their request returns (Nimbus builds the table in it).
        summary.insert("RestoreInProgress".into(), json!(false));
        doc.insert("RestoreSummary".into(), Value::Object(summary));
    }
    doc.insert("DeletionProtectionEnabled".into(), json!(table.deletion_protection));
    if let Some(limits) = table.on_demand {
        doc.insert("OnDemandThroughput".into(), on_demand(limits));
    }
    Value::Object(doc)
}

pub fn key_schema(keys: &KeySchema) -> Value {
    let mut list = vec![json!({"AttributeName": keys.hash.name, "KeyType": "HASH"})];
    if let Some(range) = &keys.range {
        list.push(json!({"AttributeName": range.name, "KeyType": "RANGE"}));
    }
    Value::Array(list)
}

fn throughput(t: &Throughput) -> Value {
    let mut doc = Map::new();
    if let Some(ms) = t.last_increase_ms {
        doc.insert("LastIncreaseDateTime".into(), timestamp(ms));
    }
    if let Some(ms) = t.last_decrease_ms {
        doc.insert("LastDecreaseDateTime".into(), timestamp(ms));
    }
    doc.insert("NumberOfDecreasesToday".into(), json!(0));
    doc.insert("ReadCapacityUnits".into(), json!(t.read));
    doc.insert("WriteCapacityUnits".into(), json!(t.write));
    Value::Object(doc)
}

pub fn on_demand(limits: crate::records::OnDemandLimits) -> Value {
    let mut doc = Map::new();
    if let Some(read) = limits.max_read {
        doc.insert("MaxReadRequestUnits".into(), json!(read));
    }
    if let Some(write) = limits.max_write {
        doc.insert("MaxWriteRequestUnits".into(), json!(write));
    }
    Value::Object(doc)
}

pub fn projection(p: &Projection) -> Value {
    match p {
        Projection::Include(names) => json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": names}),
        other => json!({"ProjectionType": other.type_name()}),
    }
}

fn local_index(table_arn: &str, index: &IndexRecord, stats: &TableStats) -> Value {
    let figures = stats.indexes.get(&index.name).copied().unwrap_or_default();
    json!({
        "IndexName": index.name,
        "KeySchema": key_schema(&index.keys),
        "Projection": projection(&index.projection),
        "IndexSizeBytes": figures.bytes,
        "ItemCount": figures.items,
        "IndexArn": format!("{table_arn}/index/{}", index.name),
    })
}

fn global_index(table_arn: &str, index: &IndexRecord, stats: &TableStats, billing: BillingMode) -> Value {
    let figures = stats.indexes.get(&index.name).copied().unwrap_or_default();
    let provisioned = match (billing, &index.throughput) {
        (BillingMode::Provisioned, Some(t)) => t.clone(),
        _ => Throughput::default(),
    };
    let mut doc = json!({
        "IndexName": index.name,
        "KeySchema": key_schema(&index.keys),
        "Projection": projection(&index.projection),
        // Indexes are built before UpdateTable returns, so they are never CREATING (chosen).
        "IndexStatus": "ACTIVE",
        "ProvisionedThroughput": throughput(&provisioned),
        "IndexSizeBytes": figures.bytes,
        "ItemCount": figures.items,
        "IndexArn": format!("{table_arn}/index/{}", index.name),
    });
    if let Some(limits) = index.on_demand {
        doc["OnDemandThroughput"] = on_demand(limits);
    }
    doc
}

/// The ARN DescribeTable reports for the table's KMS key: the key as given when it is an ARN,
/// else an ARN built in the table's account and region (aliases included; the default key is
/// `alias/aws/dynamodb`).
pub fn kms_key_arn(place: &Place, key: Option<&str>) -> String {
    match key {
        Some(arn) if arn.starts_with("arn:") => arn.to_owned(),
        Some(alias) if alias.starts_with("alias/") => format!("arn:aws:kms:{}:{}:{alias}", place.region, place.account),
        Some(id) => format!("arn:aws:kms:{}:{}:key/{id}", place.region, place.account),
        None => format!("arn:aws:kms:{}:{}:alias/aws/dynamodb", place.region, place.account),
    }
}
