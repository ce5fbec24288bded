//! Time to live and continuous backups: configuration recorded per table.
//!
//! TTL changes take effect at once (ENABLED/DISABLED, never ENABLING/DISABLING) and AWS's
//! one-change-per-hour limit is not applied (chosen: tests toggle TTL freely). Expired items
//! are deleted by the sweeper (`ttl_sweeper.rs`). Point-in-time recovery settings are kept here;
//! the change log they switch on and the restore are in `pitr.rs` and `restore.rs`.

use nimbus_core::{Document, RequestContext};
use serde_json::{Value, json};

use crate::describe::timestamp;
use crate::errors::{Fail, Res, invalid, table_not_found_for_backups};
use crate::pitr::{self, RECOVERY_DAYS};
use crate::records::{PointInTimeRecovery, TableRecord, TableStats, TimeToLive};
use crate::ttl_sweeper;
use crate::DynamoDb;

impl DynamoDb {
    pub(crate) fn update_time_to_live(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let (place, name) = self.resolve_table_name(ctx, input)?;
        let spec = &input["TimeToLiveSpecification"];
        let enable = spec.get("Enabled").and_then(Value::as_bool).unwrap_or(false);
        let attribute = spec.get("AttributeName").and_then(Value::as_str).unwrap_or_default().to_owned();
        let scope = place.scope();
        self.store.transaction(|t| {
            let mut table = t.get::<TableRecord>(&scope, &name)?.ok_or_else(|| Fail(crate::errors::table_not_found(&name)))?;
            let current = table.ttl.attribute.as_deref();
            match (table.ttl.enabled, enable) {
                (true, _) if current != Some(attribute.as_str()) => {
                    return invalid(format!("TimeToLive is active on a different AttributeName: current AttributeName is {}", current.unwrap_or_default()));
                }
                (true, true) => return invalid("TimeToLive is already enabled"),
                (false, false) => return invalid("TimeToLive is already disabled"),
                _ => {}
            }
            table.ttl = TimeToLive { enabled: enable, attribute: enable.then(|| attribute.clone()) };
            let mut stats = t.get::<TableStats>(&scope, &table.id)?.unwrap_or_default();
            if enable {
                ttl_sweeper::enable(t, &place, &table, &mut stats, &attribute)?;
            } else {
                ttl_sweeper::disable(t, &place, &name, &mut stats)?;
            }
            t.put(&scope, &name, &table)?;
            t.put(&scope, &table.id, &stats)?;
            Ok::<_, Fail>(())
        })?;
        if !enable {
            self.purge_in_background();
        }
        Ok(json!({"TimeToLiveSpecification": {"Enabled": enable, "AttributeName": attribute}}))
    }

    pub(crate) fn describe_time_to_live(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let (_, table) = self.table_for_control(ctx, input)?;
        let description = match (&table.ttl.enabled, &table.ttl.attribute) {
            (true, Some(attribute)) => json!({"TimeToLiveStatus": "ENABLED", "AttributeName": attribute}),
            _ => json!({"TimeToLiveStatus": "DISABLED"}),
        };
        Ok(json!({"TimeToLiveDescription": description}))
    }

    pub(crate) fn describe_continuous_backups(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let given = input.get("TableName").and_then(Value::as_str).unwrap_or_default();
        let (place, name) = Self::table_named_for_backups(ctx, given, "tableName")?;
        let scope = place.scope();
        let table = self.store.get::<TableRecord>(&scope, &name)?.ok_or_else(|| Fail(table_not_found_for_backups(&name)))?;
        let stats = self.store.get::<TableStats>(&scope, &table.id)?.unwrap_or_default();
        Ok(json!({"ContinuousBackupsDescription": self.backups_description(&table, &stats)}))
    }

    /// Enabling starts the table's change log (`pitr.rs`) in the same transaction; disabling
    /// drops it, so a later enabling starts a new recovery window, as on AWS.
    pub(crate) fn update_continuous_backups(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let given = input.get("TableName").and_then(Value::as_str).unwrap_or_default();
        let (place, name) = Self::table_named_for_backups(ctx, given, "tableName")?;
        let scope = place.scope();
        let spec = &input["PointInTimeRecoverySpecification"];
        let enable = spec.get("PointInTimeRecoveryEnabled").and_then(Value::as_bool).unwrap_or(false);
        let days = spec.get("RecoveryPeriodInDays").and_then(Value::as_i64);
        if !enable && days.is_some() {
            return invalid("Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.");
        }
        let now = self.clock.now_millis();
        let (table, stats) = self.store.transaction(|t| {
            let mut table = t.get::<TableRecord>(&scope, &name)?.ok_or_else(|| Fail(table_not_found_for_backups(&name)))?;
            let mut stats = t.get::<TableStats>(&scope, &table.id)?.unwrap_or_default();
            table.recovery = match (enable, table.recovery.enabled) {
                (false, _) => PointInTimeRecovery::default(),
                (true, was) => PointInTimeRecovery {
                    enabled: true,
                    recovery_days: Some(days.unwrap_or(RECOVERY_DAYS)),
                    enabled_at_ms: if was { table.recovery.enabled_at_ms } else { Some(now) },
                },
            };
            if enable {
                pitr::enable(t, &place, &table, &mut stats, now)?;
            } else {
                pitr::disable(t, &place, &name, &mut stats)?;
            }
            t.put(&scope, &name, &table)?;
            t.put(&scope, &table.id, &stats)?;
            Ok::<_, Fail>((table, stats))
        })?;
        if !enable {
            self.purge_in_background();
        }
        Ok(json!({"ContinuousBackupsDescription": self.backups_description(&table, &stats)}))
    }

    fn backups_description(&self, table: &TableRecord, stats: &TableStats) -> Value {
        let pitr = match pitr::window(table, stats, self.clock.now_millis()) {
            Some((earliest, latest)) => json!({
                "PointInTimeRecoveryStatus": "ENABLED",
                "RecoveryPeriodInDays": table.recovery.recovery_days.unwrap_or(RECOVERY_DAYS),
                "EarliestRestorableDateTime": timestamp(earliest),
                "LatestRestorableDateTime": timestamp(latest),
            }),
            None => json!({"PointInTimeRecoveryStatus": "DISABLED"}),
        };
        // Continuous backups themselves are always on for DynamoDB tables.
        json!({"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr})
    }
}
