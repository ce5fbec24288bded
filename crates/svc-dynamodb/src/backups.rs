//! On-demand backups: CreateBackup, DescribeBackup, ListBackups, DeleteBackup, and the SYSTEM
//! backup DeleteTable leaves of a table with point-in-time recovery.
//!
//! # Layout
//! - **Backups**: one [`BackupRecord`] per backup, kind `dynamodb.backup`, scope
//!   `{account}/{region}`, keyed `{table}/backup/{label}` (the ARN's resource after `table/`),
//!   so ListBackups walks them by table then creation time and its TableName filter is a key
//!   prefix. The record holds the table's definition as it was (key schema, attributes,
//!   indexes, billing, SSE, stream and TTL settings) and its counts.
//! - **Items**: the ordered space [`BackupRecord::space`]: a USER backup's `ddbk/{uuid}`,
//!   filled by CreateBackup in the same transaction that reads the table, so a backup is
//!   exactly the table at one instant (items keep their stored encoding; the copy costs one
//!   put per item, in one transaction, like a GSI backfill). A SYSTEM backup takes over its
//!   deleted table's own item space, so it costs nothing to make.
//! - **SYSTEM backups** expire 35 days after their table's deletion, as on AWS: each is also
//!   registered in [`SYSTEM_SCOPE`] with its expiry, and the sweeper deletes it then.
//!
//! A backup is AVAILABLE as soon as CreateBackup returns (AWS: CREATING first, for a while);
//! DeleteBackup answers DELETED and drops the items at once (`Txn::ordered_drop_space`). Backups
//! outlive their table, as on AWS.

use nimbus_core::{Document, RequestContext, ServiceError};
use nimbus_store::{Record, Txn};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::DynamoDb;
use crate::definition;
use crate::describe::{Place, key_schema, kms_key_arn, on_demand, projection, timestamp};
use crate::errors::{Fail, Res, backup_not_found, invalid, table_not_found_for_backups};
use crate::pitr::DAY_MS;
use crate::records::{BillingMode, TableRecord, TableStats};
use crate::storage;

/// The scope of the registry of SYSTEM backups, by expiry.
pub const SYSTEM_SCOPE: &str = "dynamodb.system_backups";

/// How long AWS keeps the SYSTEM backup of a table deleted with PITR enabled.
const SYSTEM_RETENTION_MS: i64 = 35 * DAY_MS;

/// ListBackups' page without a Limit (AWS: up to 1 MB of summaries; chosen).
const DEFAULT_PAGE: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupKind {
    User,
    System,
}

impl BackupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupKind::User => "USER",
            BackupKind::System => "SYSTEM",
        }
    }
}

/// One backup: what it was taken of, and where its items are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    pub account: String,
    pub region: String,
    pub table_name: String,
    /// `01576616366715-b4e58d3a`: the creation time in epoch milliseconds (14 digits) and eight
    /// random hex digits, as in AWS's backup ARNs.
    pub label: String,
    pub name: String,
    pub kind: BackupKind,
    pub created_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_ms: Option<i64>,
    /// The table's ItemCount and TableSizeBytes when the backup was taken.
    pub items: i64,
    pub bytes: i64,
    /// The table's definition and settings when the backup was taken.
    pub table: TableRecord,
    /// The ordered space of the backed-up items (keys and values as the table stored them).
    pub space: String,
}

impl Record for BackupRecord {
    const KIND: &'static str = "dynamodb.backup";
    const VERSION: u32 = 1;
}

/// A SYSTEM backup's registration, keyed `{account}/{region}/{backup key}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemBackup {
    pub account: String,
    pub region: String,
    pub key: String,
    pub expires_ms: i64,
}

impl Record for SystemBackup {
    const KIND: &'static str = "dynamodb.system_backup";
    const VERSION: u32 = 1;
}

pub fn backup_key(table: &str, label: &str) -> String {
    format!("{table}/backup/{label}")
}

/// The record key of a backup ARN of `place` (`None`: not one, or another account's or region's).
pub fn key_of_arn(place: &Place, arn: &str) -> Option<String> {
    let rest = arn.strip_prefix(&place.table_arn(""))?;
    let (table, label) = rest.split_once("/backup/")?;
    let valid = !table.is_empty() && !label.is_empty() && !table.contains('/') && !label.contains('/');
    valid.then(|| backup_key(table, label))
}

fn new_label(now_ms: i64) -> String {
    format!("{now_ms:014}-{}", &nimbus_core::ids::uuid().replace('-', "")[..8])
}

impl BackupRecord {
    pub fn place(&self) -> Place {
        Place { account: self.account.clone(), region: self.region.clone() }
    }

    pub fn key(&self) -> String {
        backup_key(&self.table_name, &self.label)
    }

    pub fn arn(&self) -> String {
        format!("{}/backup/{}", self.place().table_arn(&self.table_name), self.label)
    }

    /// Whether the backup still exists at `now_ms` (a SYSTEM backup past its expiry is gone,
    /// whether or not the sweeper has removed it yet).
    pub fn live(&self, now_ms: i64) -> bool {
        self.expires_ms.is_none_or(|at| at > now_ms)
    }

    fn details(&self, status: &str) -> Value {
        let mut doc = json!({
            "BackupArn": self.arn(),
            "BackupName": self.name,
            "BackupSizeBytes": self.bytes,
            "BackupStatus": status,
            "BackupType": self.kind.as_str(),
            "BackupCreationDateTime": timestamp(self.created_ms),
        });
        if let Some(at) = self.expires_ms {
            doc["BackupExpiryDateTime"] = timestamp(at);
        }
        doc
    }

    fn summary(&self) -> Value {
        let mut doc = json!({
            "TableName": self.table_name,
            "TableId": self.table.id,
            "TableArn": self.place().table_arn(&self.table_name),
            "BackupArn": self.arn(),
            "BackupName": self.name,
            "BackupCreationDateTime": timestamp(self.created_ms),
            "BackupStatus": "AVAILABLE",
            "BackupType": self.kind.as_str(),
            "BackupSizeBytes": self.bytes,
        });
        if let Some(at) = self.expires_ms {
            doc["BackupExpiryDateTime"] = timestamp(at);
        }
        doc
    }

    /// DescribeBackup's (and DeleteBackup's) BackupDescription.
    pub fn description(&self, status: &str) -> Value {
        let table = &self.table;
        let provisioned = |read: i64, write: i64| json!({"ReadCapacityUnits": read, "WriteCapacityUnits": write});
        let mut source = json!({
            "TableName": self.table_name,
            "TableId": table.id,
            "TableArn": self.place().table_arn(&self.table_name),
            "TableSizeBytes": self.bytes,
            "KeySchema": key_schema(&table.keys),
            "TableCreationDateTime": timestamp(table.created_ms),
            "ProvisionedThroughput": provisioned(table.throughput.read, table.throughput.write),
            "ItemCount": self.items,
            "BillingMode": table.billing.as_str(),
        });
        if let Some(limits) = table.on_demand {
            source["OnDemandThroughput"] = on_demand(limits);
        }
        let mut features = Map::new();
        if !table.local_indexes.is_empty() {
            let list = table.local_indexes.iter().map(|i| json!({"IndexName": i.name, "KeySchema": key_schema(&i.keys), "Projection": projection(&i.projection)}));
            features.insert("LocalSecondaryIndexes".into(), list.collect());
        }
        if !table.global_indexes.is_empty() {
            let list = table.global_indexes.iter().map(|i| {
                let mut doc = json!({"IndexName": i.name, "KeySchema": key_schema(&i.keys), "Projection": projection(&i.projection)});
                if let (BillingMode::Provisioned, Some(t)) = (table.billing, &i.throughput) {
                    doc["ProvisionedThroughput"] = provisioned(t.read, t.write);
                }
                if let Some(limits) = i.on_demand {
                    doc["OnDemandThroughput"] = on_demand(limits);
                }
                doc
            });
            features.insert("GlobalSecondaryIndexes".into(), list.collect());
        }
        if table.stream.enabled {
            let view_type = table.stream.view_type.clone().unwrap_or_default();
            features.insert("StreamDescription".into(), json!({"StreamEnabled": true, "StreamViewType": view_type}));
        }
        let ttl = match (&table.ttl.enabled, &table.ttl.attribute) {
            (true, Some(attribute)) => json!({"TimeToLiveStatus": "ENABLED", "AttributeName": attribute}),
            _ => json!({"TimeToLiveStatus": "DISABLED"}),
        };
        features.insert("TimeToLiveDescription".into(), ttl);
        if let Some(encryption) = &table.encryption {
            let key_arn = kms_key_arn(&self.place(), encryption.key.as_deref());
            features.insert("SSEDescription".into(), json!({"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key_arn}));
        }
        json!({"BackupDetails": self.details(status), "SourceTableDetails": source, "SourceTableFeatureDetails": Value::Object(features)})
    }
}

/// Stores `backup` under a free label (two backups of a table in one millisecond draw again).
fn insert_backup(txn: &Txn, backup: &mut BackupRecord) -> Res<()> {
    let scope = backup.place().scope();
    while !txn.insert(&scope, &backup.key(), &*backup)? {
        backup.label = new_label(backup.created_ms);
    }
    Ok(())
}

/// DeleteTable of a table with PITR enabled: a SYSTEM backup named `<table>$DeletedTableBackup`,
/// kept 35 days, that takes over the table's item space (the caller must not drop it).
pub fn system_backup(txn: &Txn, place: &Place, table: &TableRecord, stats: &TableStats, now_ms: i64) -> Res<()> {
    let expires_ms = now_ms + SYSTEM_RETENTION_MS;
    let mut backup = BackupRecord {
        account: place.account.clone(),
        region: place.region.clone(),
        table_name: table.name.clone(),
        label: new_label(now_ms),
        name: format!("{}$DeletedTableBackup", table.name),
        kind: BackupKind::System,
        created_ms: now_ms,
        expires_ms: Some(expires_ms),
        items: stats.items,
        bytes: stats.bytes,
        table: table.clone(),
        space: table.item_space(),
    };
    insert_backup(txn, &mut backup)?;
    let entry = SystemBackup { account: place.account.clone(), region: place.region.clone(), key: backup.key(), expires_ms };
    txn.put(SYSTEM_SCOPE, &format!("{}/{}/{}", place.account, place.region, backup.key()), &entry)?;
    Ok(())
}

impl DynamoDb {
    /// A table named (by name or ARN) in a backup or restore request's `member`: its place and
    /// name. An ARN of another account or region names no table here (TableNotFoundException).
    pub(crate) fn table_named_for_backups(ctx: &RequestContext, given: &str, member: &str) -> Res<(Place, String)> {
        let place = Self::place(ctx);
        if given.starts_with("arn:") {
            return match given.strip_prefix(&place.table_arn("")) {
                Some(name) if !name.is_empty() && !name.contains('/') => Ok((place, name.to_owned())),
                _ => Err(table_not_found_for_backups(given).into()),
            };
        }
        definition::check_name(given, member)?;
        Ok((place, given.to_owned()))
    }

    /// The live backup an ARN names.
    pub(crate) fn backup_of_arn(&self, place: &Place, arn: &str) -> Res<BackupRecord> {
        let key = key_of_arn(place, arn).ok_or_else(|| Fail(backup_not_found(arn)))?;
        match self.store.get::<BackupRecord>(&place.scope(), &key)? {
            Some(backup) if backup.live(self.clock.now_millis()) => Ok(backup),
            _ => Err(backup_not_found(arn).into()),
        }
    }

    pub(crate) fn create_backup(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let given = input.get("TableName").and_then(Value::as_str).unwrap_or_default();
        let (place, name) = Self::table_named_for_backups(ctx, given, "tableName")?;
        let backup_name = input.get("BackupName").and_then(Value::as_str).unwrap_or_default();
        definition::check_name(backup_name, "backupName")?;
        let now = self.clock.now_millis();
        let scope = place.scope();
        let backup = self.store.transaction(|t| {
            let table = t.get::<TableRecord>(&scope, &name)?.ok_or_else(|| Fail(table_not_found_for_backups(&name)))?;
            let stats = t.get::<TableStats>(&scope, &table.id)?.unwrap_or_default();
            let mut backup = BackupRecord {
                account: place.account.clone(),
                region: place.region.clone(),
                table_name: name.clone(),
                label: new_label(now),
                name: backup_name.to_owned(),
                kind: BackupKind::User,
                created_ms: now,
                expires_ms: None,
                items: stats.items,
                bytes: stats.bytes,
                table: table.clone(),
                space: format!("ddbk/{}", nimbus_core::ids::uuid()),
            };
            // Read and copied in this transaction: the backup is the table at one instant.
            storage::copy_items(t, &table.item_space(), &backup.space)?;
            insert_backup(t, &mut backup)?;
            Ok::<_, Fail>(backup)
        })?;
        Ok(json!({"BackupDetails": backup.details("AVAILABLE")}))
    }

    pub(crate) fn describe_backup(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let arn = input.get("BackupArn").and_then(Value::as_str).unwrap_or_default();
        let backup = self.backup_of_arn(&Self::place(ctx), arn)?;
        Ok(json!({"BackupDescription": backup.description("AVAILABLE")}))
    }

    pub(crate) fn delete_backup(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let place = Self::place(ctx);
        let arn = input.get("BackupArn").and_then(Value::as_str).unwrap_or_default();
        let key = key_of_arn(&place, arn).ok_or_else(|| Fail(backup_not_found(arn)))?;
        let now = self.clock.now_millis();
        let scope = place.scope();
        let backup = self.store.transaction(|t| {
            let backup = match t.get::<BackupRecord>(&scope, &key)? {
                Some(backup) if backup.live(now) => backup,
                _ => return Err(Fail(backup_not_found(arn))),
            };
            if backup.kind == BackupKind::System {
                // AWS keeps SYSTEM backups for their 35 days (chosen wording).
                return invalid(format!("SYSTEM backups cannot be deleted; they expire on their own: {arn}"));
            }
            t.delete::<BackupRecord>(&scope, &key)?;
            t.ordered_drop_space(&backup.space)?;
            Ok(backup)
        })?;
        self.purge_in_background();
        Ok(json!({"BackupDescription": backup.description("DELETED")}))
    }

    pub(crate) fn list_backups(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let place = Self::place(ctx);
        let kinds: &[BackupKind] = match input.get("BackupType").and_then(Value::as_str) {
            None | Some("USER") => &[BackupKind::User],
            Some("SYSTEM") => &[BackupKind::System],
            Some("ALL") => &[BackupKind::User, BackupKind::System],
            // Nimbus has no AWS Backup: none of its backups is of that type.
            Some("AWS_BACKUP") => &[],
            Some(other) => {
                return Err(crate::errors::constraint(&format!("'{other}'"), "backupType", "Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]").into());
            }
        };
        let prefix = match input.get("TableName").and_then(Value::as_str) {
            Some(given) => backup_key(&Self::table_named_for_backups(ctx, given, "tableName")?.1, ""),
            None => String::new(),
        };
        let millis = |member: &str| input.get(member).and_then(nimbus_core::document::parse_timestamp).map(|at| (at.unix_timestamp_nanos() / 1_000_000) as i64);
        let (lower, upper) = (millis("TimeRangeLowerBound"), millis("TimeRangeUpperBound"));
        let limit = input.get("Limit").and_then(Value::as_u64).map_or(DEFAULT_PAGE, |l| l as usize);
        let mut after = match input.get("ExclusiveStartBackupArn").and_then(Value::as_str) {
            Some(arn) => Some(key_of_arn(&place, arn).ok_or_else(|| Fail(ServiceError::validation(format!("Invalid ExclusiveStartBackupArn: {arn}"))))?),
            None => None,
        };
        let now = self.clock.now_millis();
        let in_range = |b: &BackupRecord| lower.is_none_or(|l| b.created_ms >= l) && upper.is_none_or(|u| b.created_ms < u);
        // One more than asked tells whether the page is the last.
        let mut found: Vec<BackupRecord> = Vec::new();
        'walk: loop {
            let page = self.store.list::<BackupRecord>(&place.scope(), &prefix, after.as_deref(), 200)?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            let done = page.len() < 200;
            for (_, backup) in page {
                if kinds.contains(&backup.kind) && backup.live(now) && in_range(&backup) {
                    found.push(backup);
                    if found.len() > limit {
                        break 'walk;
                    }
                }
            }
            if done {
                break;
            }
        }
        let more = found.len() > limit;
        found.truncate(limit);
        let mut out = json!({"BackupSummaries": found.iter().map(BackupRecord::summary).collect::<Vec<_>>()});
        if more && let Some(last) = found.last() {
            out["LastEvaluatedBackupArn"] = json!(last.arn());
        }
        Ok(out)
    }

    /// Deletes the SYSTEM backups whose 35 days are over; returns how many.
    pub(crate) fn expire_system_backups(&self, now_ms: i64) -> usize {
        let mut removed = 0;
        let mut after: Option<String> = None;
        loop {
            let page = match self.store.list::<SystemBackup>(SYSTEM_SCOPE, "", after.as_deref(), 200) {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!("DynamoDB backup expiry could not list SYSTEM backups: {e}");
                    return removed;
                }
            };
            let Some((last, _)) = page.last() else { return removed };
            after = Some(last.clone());
            for (registry_key, entry) in page.iter().filter(|(_, e)| e.expires_ms <= now_ms) {
                let scope = format!("{}/{}", entry.account, entry.region);
                let outcome = self.store.transaction(|t| {
                    if let Some(backup) = t.get::<BackupRecord>(&scope, &entry.key)? {
                        t.delete::<BackupRecord>(&scope, &entry.key)?;
                        t.ordered_drop_space(&backup.space)?;
                    }
                    t.delete::<SystemBackup>(SYSTEM_SCOPE, registry_key)?;
                    Ok::<_, Fail>(())
                });
                match outcome {
                    Ok(()) => removed += 1,
                    Err(Fail(e)) => tracing::warn!(backup = %entry.key, "DynamoDB SYSTEM backup expiry failed: {e}"),
                }
            }
        }
    }
}
