//! RestoreTableFromBackup and RestoreTableToPointInTime: a new table (new TableId) with a
//! backup's or a live table's definition and items.
//!
//! Both build the whole table in one store transaction: the items are copied as stored into
//! the new table's space (for a point in time, the source's current items, then the changes
//! logged after that time undone, see `pitr.rs`), then one pass decodes each item once to count
//! it and fill every secondary index. The table is ACTIVE when the request returns, with
//! `RestoreInProgress: false` (AWS: CREATING for a while, as large restores take time).
//!
//! As on AWS, the new table takes the source's key schema, attribute definitions, indexes,
//! billing mode and capacity, SSE settings and table class (a backup's as they were; a
//! point-in-time restore's from the source table's current settings), each override applied;
//! streams, TTL, PITR, tags and deletion protection are not restored.

use nimbus_core::{Document, RequestContext, ServiceError};
use serde_json::{Value, json};

use crate::DynamoDb;
use crate::definition::{self, IndexInput};
use crate::describe::{Place, table_description};
use crate::errors::{Fail, Res, backup_not_found, invalid, invalid_parameter, table_already_exists, table_not_found_for_backups};
use crate::pitr;
use crate::records::{BillingMode, IndexRecord, RestoreSummary, TableRecord, TableStats, Throughput, new_index_space};
use crate::storage;

impl DynamoDb {
    pub(crate) fn restore_table_from_backup(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let place = Self::place(ctx);
        let target = target_name(input)?;
        let arn = input.get("BackupArn").and_then(Value::as_str).unwrap_or_default();
        let backup = self.backup_of_arn(&place, arn)?;
        let summary = RestoreSummary {
            source_backup_arn: Some(backup.arn()),
            source_table_arn: place.table_arn(&backup.table_name),
            restore_ms: backup.created_ms,
        };
        let table = restored_definition(&backup.table, target, input, self.clock.now_millis(), summary)?;
        let scope = place.scope();
        let (table, stats) = self.store.transaction(|t| {
            // Deleted (or expired) since it was read: the copy would find nothing.
            if t.get::<crate::backups::BackupRecord>(&scope, &backup.key())?.is_none_or(|b| b.space != backup.space) {
                return Err(Fail(backup_not_found(arn)));
            }
            if !t.insert(&scope, target, &table)? {
                return Err(Fail(table_already_exists(target)));
            }
            storage::copy_items(t, &backup.space, &table.item_space())?;
            let stats = storage::index_all(t, &table)?;
            t.put(&scope, &table.id, &stats)?;
            Ok((table, stats))
        })?;
        Ok(json!({"TableDescription": table_description(&place, &table, &stats, "ACTIVE")}))
    }

    pub(crate) fn restore_table_to_point_in_time(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let (place, source_name) = source_table(ctx, input)?;
        let target = target_name(input)?;
        let use_latest = input.get("UseLatestRestorableTime").and_then(Value::as_bool).unwrap_or(false);
        let requested = input.get("RestoreDateTime").and_then(nimbus_core::document::parse_timestamp).map(|at| (at.unix_timestamp_nanos() / 1_000_000) as i64);
        match (use_latest, requested) {
            (true, Some(_)) => return invalid("Only one of RestoreDateTime or UseLatestRestorableTime can be specified"),
            (false, None) => return invalid("Either RestoreDateTime or UseLatestRestorableTime must be specified"),
            _ => {}
        }
        let now = self.clock.now_millis();
        let scope = place.scope();
        let (table, stats) = self.store.transaction(|t| {
            let source = t.get::<TableRecord>(&scope, &source_name)?.ok_or_else(|| Fail(table_not_found_for_backups(&source_name)))?;
            let source_stats = t.get::<TableStats>(&scope, &source.id)?.unwrap_or_default();
            let Some((earliest, latest)) = pitr::window(&source, &source_stats, now) else {
                return Err(Fail(ServiceError::new(
                    "PointInTimeRecoveryUnavailableException",
                    format!("Point in time recovery is not enabled for table '{source_name}'"),
                )));
            };
            let at = requested.unwrap_or(latest);
            if at < earliest || at > latest {
                let iso = nimbus_core::document::iso8601_millis;
                return Err(Fail(ServiceError::new(
                    "InvalidRestoreTimeException",
                    format!(
                        "Invalid RestoreDateTime {}: it must be between EarliestRestorableDateTime {} and LatestRestorableDateTime {}",
                        iso(at),
                        iso(earliest),
                        iso(latest)
                    ),
                )));
            }
            let summary = RestoreSummary { source_backup_arn: None, source_table_arn: place.table_arn(&source_name), restore_ms: at };
            let table = restored_definition(&source, target, input, now, summary)?;
            if !t.insert(&scope, target, &table)? {
                return Err(Fail(table_already_exists(target)));
            }
            storage::copy_items(t, &source.item_space(), &table.item_space())?;
            if let Some(log) = &source_stats.pitr {
                pitr::undo_after(t, log, &table.item_space(), at)?;
            }
            let stats = storage::index_all(t, &table)?;
            t.put(&scope, &table.id, &stats)?;
            Ok::<_, Fail>((table, stats))
        })?;
        Ok(json!({"TableDescription": table_description(&place, &table, &stats, "ACTIVE")}))
    }
}

fn target_name(input: &Document) -> Res<&str> {
    let target = input.get("TargetTableName").and_then(Value::as_str).unwrap_or_default();
    definition::check_name(target, "targetTableName")?;
    Ok(target)
}

/// RestoreTableToPointInTime's source: SourceTableName or SourceTableArn, exactly one.
fn source_table(ctx: &RequestContext, input: &Document) -> Res<(Place, String)> {
    let by_name = input.get("SourceTableName").and_then(Value::as_str);
    let by_arn = input.get("SourceTableArn").and_then(Value::as_str);
    match (by_name, by_arn) {
        (Some(name), None) => DynamoDb::table_named_for_backups(ctx, name, "sourceTableName"),
        (None, Some(arn)) if arn.starts_with("arn:") => DynamoDb::table_named_for_backups(ctx, arn, "sourceTableArn"),
        (None, Some(arn)) => Err(table_not_found_for_backups(arn).into()),
        (Some(_), Some(_)) => invalid("Only one of SourceTableArn or SourceTableName can be specified"),
        (None, None) => invalid("Either SourceTableArn or SourceTableName must be specified"),
    }
}

/// The restored table's definition: `source`'s, under a new name and id, with the request's
/// overrides (BillingModeOverride, ProvisionedThroughputOverride, OnDemandThroughputOverride,
/// GlobalSecondaryIndexOverride, LocalSecondaryIndexOverride, SSESpecificationOverride).
fn restored_definition(source: &TableRecord, target: &str, input: &Document, now: i64, restore: RestoreSummary) -> Res<TableRecord> {
    let id = nimbus_core::ids::uuid();
    let billing = definition::billing_mode(input.get("BillingModeOverride")).unwrap_or(source.billing);
    let throughput = match (billing, definition::throughput(input.get("ProvisionedThroughputOverride"))) {
        (BillingMode::PayPerRequest, Some(_)) => {
            return invalid_parameter("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
        }
        (BillingMode::PayPerRequest, None) => Throughput::default(),
        (BillingMode::Provisioned, Some((read, write))) => Throughput { read, write, ..Throughput::default() },
        (BillingMode::Provisioned, None) if source.billing == BillingMode::Provisioned => {
            Throughput { read: source.throughput.read, write: source.throughput.write, ..Throughput::default() }
        }
        (BillingMode::Provisioned, None) => {
            // The source was on-demand: there is no capacity to carry over (chosen wording).
            return invalid_parameter("ProvisionedThroughputOverride must be specified when BillingModeOverride is PROVISIONED");
        }
    };
    let carried = |index: &IndexRecord| IndexRecord {
        space: new_index_space(&id),
        throughput: match billing {
            BillingMode::PayPerRequest => None,
            // A GSI of an on-demand source takes the table's new capacity (chosen).
            BillingMode::Provisioned => Some(index.throughput.as_ref().map_or(throughput.clone(), |t| Throughput { read: t.read, write: t.write, ..Throughput::default() })),
        },
        ..index.clone()
    };
    let global = match input.get("GlobalSecondaryIndexOverride").and_then(Value::as_array) {
        Some(list) => list.iter().map(|doc| definition::index(IndexInput { doc, global: true }, &source.attributes, billing, &id)).collect::<Res<Vec<_>>>()?,
        None => source.global_indexes.iter().map(carried).collect(),
    };
    let local = match input.get("LocalSecondaryIndexOverride").and_then(Value::as_array) {
        Some(list) => list.iter().map(|doc| definition::index(IndexInput { doc, global: false }, &source.attributes, billing, &id)).collect::<Res<Vec<_>>>()?,
        None => source.local_indexes.iter().map(|index| IndexRecord { space: new_index_space(&id), ..index.clone() }).collect(),
    };
    definition::check_indexes(&source.keys, &global, &local)?;
    // Attribute definitions only an excluded index used go with it.
    let mut attributes = source.attributes.clone();
    attributes.retain(|a| source.keys.contains(&a.name) || global.iter().chain(&local).any(|i| i.keys.contains(&a.name)));
    let encryption = match input.get("SSESpecificationOverride") {
        Some(spec) => definition::encryption(Some(spec))?,
        None => source.encryption.clone(),
    };
    Ok(TableRecord {
        name: target.to_owned(),
        id,
        created_ms: now,
        attributes,
        keys: source.keys.clone(),
        billing,
        throughput,
        on_demand: definition::on_demand(input.get("OnDemandThroughputOverride")).or(source.on_demand),
        last_pay_per_request_ms: None,
        global_indexes: global,
        local_indexes: local,
        stream: Default::default(),
        encryption,
        table_class: source.table_class.clone(),
        deletion_protection: false,
        tags: Default::default(),
        ttl: Default::default(),
        recovery: Default::default(),
        restore: Some(restore),
    })
}

/// What a restore writes to its target table, as AWS's IAM guide for backup and restore lists
/// it: item reads and writes besides the restore action itself.
const RESTORE_TARGET_ACTIONS: &[&str] = &[
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:BatchWriteItem",
];

/// Strict mode's accesses for the backup operations: DescribeBackup and DeleteBackup on the
/// backup, ListBackups on `*` (AWS names no resource for it), RestoreTableFromBackup on the
/// backup and RestoreTableToPointInTime on the source table, each restore with
/// [`RESTORE_TARGET_ACTIONS`] on the target table. CreateBackup takes the table's ARN like
/// the table operations.
pub(crate) fn backup_access(place: &Place, operation: &str, input: &Document) -> Option<Vec<nimbus_core::Access>> {
    use nimbus_core::Access;
    let member = |name: &str| input.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let table_arn = |name: String| if name.starts_with("arn:") { name } else { place.table_arn(&name) };
    let restore = |action: &str, source: String| {
        let target = place.table_arn(&member("TargetTableName"));
        let mut accesses = vec![Access::new(action, vec![source])];
        accesses.extend(RESTORE_TARGET_ACTIONS.iter().map(|a| Access::new(*a, vec![target.clone()])));
        accesses
    };
    match operation {
        "DescribeBackup" | "DeleteBackup" => Some(vec![Access::new(format!("dynamodb:{operation}"), vec![member("BackupArn")])]),
        "ListBackups" => Some(vec![Access::new("dynamodb:ListBackups", vec!["*".to_owned()])]),
        "RestoreTableFromBackup" => Some(restore("dynamodb:RestoreTableFromBackup", member("BackupArn"))),
        "RestoreTableToPointInTime" => {
            let source = match input.get("SourceTableArn").and_then(Value::as_str) {
                Some(arn) => arn.to_owned(),
                None => table_arn(member("SourceTableName")),
            };
            Some(restore("dynamodb:RestoreTableToPointInTime", source))
        }
        _ => None,
    }
}
