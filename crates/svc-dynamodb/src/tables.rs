//! The table lifecycle: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable.
//!
//! Tables are ACTIVE as soon as CreateTable returns (its answer says so too), and UpdateTable's
//! changes, new GSIs included (built in the same transaction), are complete when it returns, so
//! a client's `table_exists` waiter or status poll passes at the first look. DeleteTable's
//! answer says DELETING; the table is gone when it returns and its items are purged in the
//! background, unless PITR was on: then they become the table's SYSTEM backup (`backups.rs`).

use nimbus_core::{Document, RequestContext, ServiceError};
use nimbus_store::Txn;
use serde_json::{Value, json};

use crate::definition::{self, IndexInput};
use crate::describe::{Place, table_description};
use crate::errors::{Fail, Res, invalid, invalid_parameter, table_exists, table_not_found};
use crate::records::{BillingMode, StreamSettings, TableRecord, TableStats, Throughput};
use crate::storage;
use crate::{backups, pitr, streams, ttl_sweeper};
use crate::DynamoDb;

/// UpdateTable's answer when nothing in the request changes the table (AWS lists what it
/// accepts).
const NOTHING_TO_UPDATE: &str = "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required";

impl DynamoDb {
    pub(crate) fn create_table(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let place = Self::place(ctx);
        let name = input.get("TableName").and_then(Value::as_str).unwrap_or_default();
        // A table is created by name: an ARN fails the name pattern, as on AWS.
        definition::check_table_name(name)?;
        let attributes = definition::attribute_definitions(input)?;
        let key_pairs = definition::raw_key_schema(input.get("KeySchema"), "keySchema")?;
        let keys = definition::table_key_schema(&key_pairs, &attributes)?;
        let billing = definition::billing_mode(input.get("BillingMode")).unwrap_or(BillingMode::Provisioned);
        let id = nimbus_core::ids::uuid();

        let mut global = Vec::new();
        if let Some(list) = input.get("GlobalSecondaryIndexes").and_then(Value::as_array) {
            if list.is_empty() {
                return invalid_parameter("List of GlobalSecondaryIndexes is empty");
            }
            for doc in list {
                global.push(definition::index(IndexInput { doc, global: true }, &attributes, billing, &id)?);
            }
        }
        let mut local = Vec::new();
        if let Some(list) = input.get("LocalSecondaryIndexes").and_then(Value::as_array) {
            if list.is_empty() {
                return invalid_parameter("List of LocalSecondaryIndexes is empty");
            }
            for doc in list {
                local.push(definition::index(IndexInput { doc, global: false }, &attributes, billing, &id)?);
            }
        }
        definition::check_indexes(&keys, &global, &local)?;
        let all: Vec<_> = global.iter().chain(&local).collect();
        definition::check_definitions_used(&attributes, &keys, &all)?;

        let throughput = match (billing, definition::throughput(input.get("ProvisionedThroughput"))) {
            (BillingMode::Provisioned, Some((read, write))) => Throughput { read, write, ..Throughput::default() },
            (BillingMode::Provisioned, None) => {
                return invalid_parameter("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
            }
            (BillingMode::PayPerRequest, Some(_)) => {
                return invalid_parameter("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
            }
            (BillingMode::PayPerRequest, None) => Throughput::default(),
        };
        let on_demand = definition::on_demand(input.get("OnDemandThroughput"));
        if billing == BillingMode::Provisioned && on_demand.is_some_and(|o| o.max_read.is_some()) {
            return invalid_parameter("MaxReadRequestUnits for OnDemandThroughput cannot be specified when the table BillingMode is PROVISIONED");
        }
        let (stream_enabled, view_type) = definition::create_stream(input.get("StreamSpecification"))?;
        let encryption = definition::encryption(input.get("SSESpecification"))?;
        let tags = definition::tags(input.get("Tags"))?;
        let mut tag_map = Default::default();
        definition::merge_tags(&mut tag_map, tags)?;
        if input.get("GlobalTableSourceArn").is_some() {
            return Err(ServiceError::not_implemented("DynamoDB", "CreateTable with GlobalTableSourceArn").into());
        }

        let now = self.clock.now_millis();
        let table = TableRecord {
            name: name.to_owned(),
            id,
            created_ms: now,
            attributes,
            keys,
            billing,
            throughput,
            on_demand,
            last_pay_per_request_ms: None,
            global_indexes: global,
            local_indexes: local,
            // Set by `streams::open_stream` below when the request enables a stream.
            stream: StreamSettings::default(),
            encryption,
            table_class: input.get("TableClass").and_then(Value::as_str).map(str::to_owned),
            deletion_protection: input.get("DeletionProtectionEnabled").and_then(Value::as_bool).unwrap_or(false),
            tags: tag_map,
            ttl: Default::default(),
            recovery: Default::default(),
            restore: None,
        };
        let scope = place.scope();
        let (table, stats) = self.store.transaction(|t| {
            let mut table = table.clone();
            let mut stats = TableStats::default();
            if let (true, Some(view_type)) = (stream_enabled, &view_type) {
                streams::open_stream(t, &place, &mut table, &mut stats, view_type, now)?;
            }
            if !t.insert(&scope, name, &table)? {
                return Err(Fail(table_exists(name)));
            }
            t.put(&scope, &table.id, &stats)?;
            Ok((table, stats))
        })?;
        Ok(json!({"TableDescription": table_description(&place, &table, &stats, "ACTIVE")}))
    }

    pub(crate) fn describe_table(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let (place, table) = self.table_for_control(ctx, input)?;
        let stats = self.stats(&place, &table)?;
        Ok(json!({"Table": table_description(&place, &table, &stats, "ACTIVE")}))
    }

    pub(crate) fn list_tables(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let place = Self::place(ctx);
        let limit = input.get("Limit").and_then(Value::as_u64).map_or(100, |l| l as usize);
        let after = input.get("ExclusiveStartTableName").and_then(Value::as_str);
        // One more than asked tells whether the page is the last.
        let page = self.store.list::<TableRecord>(&place.scope(), "", after, limit + 1)?;
        let more = page.len() > limit;
        let names: Vec<&str> = page.iter().take(limit).map(|(name, _)| name.as_str()).collect();
        let mut out = json!({"TableNames": names});
        if more && let Some(last) = names.last() {
            out["LastEvaluatedTableName"] = json!(last);
        }
        Ok(out)
    }

    pub(crate) fn delete_table(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let (place, name) = self.resolve_table_name(ctx, input)?;
        let scope = place.scope();
        let now = self.clock.now_millis();
        let (table, stats) = self.store.transaction(|t| {
            let table = t.get::<TableRecord>(&scope, &name)?.ok_or_else(|| Fail(table_not_found(&name)))?;
            if table.deletion_protection {
                return invalid("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.");
            }
            let mut stats = t.get::<TableStats>(&scope, &table.id)?.unwrap_or_default();
            // The stream outlives the table by 24 hours, disabled, as on AWS.
            if stats.stream.is_some() {
                streams::close_stream(t, &place, &mut table.clone(), &mut stats, now)?;
            }
            ttl_sweeper::disable(t, &place, &name, &mut stats)?;
            pitr::disable(t, &place, &name, &mut stats)?;
            t.delete::<TableRecord>(&scope, &name)?;
            t.delete::<TableStats>(&scope, &table.id)?;
            if table.recovery.enabled {
                // AWS keeps a SYSTEM backup of a table deleted with PITR on; it takes the items.
                backups::system_backup(t, &place, &table, &stats, now)?;
            } else {
                t.ordered_drop_space(&table.item_space())?;
            }
            for index in table.indexes() {
                t.ordered_drop_space(&index.space)?;
            }
            Ok((table, stats))
        })?;
        self.purge_in_background();
        Ok(json!({"TableDescription": table_description(&place, &table, &stats, "DELETING")}))
    }

    pub(crate) fn update_table(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let (place, name) = self.resolve_table_name(ctx, input)?;
        let scope = place.scope();
        let now = self.clock.now_millis();
        let gsi_updates = input.get("GlobalSecondaryIndexUpdates").and_then(Value::as_array);
        if gsi_updates.is_some_and(|u| u.is_empty()) {
            return invalid(NOTHING_TO_UPDATE);
        }
        if input.get("ReplicaUpdates").is_some() || input.get("GlobalTableWitnessUpdates").is_some() {
            return Err(ServiceError::not_implemented("DynamoDB", "UpdateTable with ReplicaUpdates").into());
        }
        let changes = [
            "ProvisionedThroughput",
            "BillingMode",
            "StreamSpecification",
            "GlobalSecondaryIndexUpdates",
            "SSESpecification",
            "DeletionProtectionEnabled",
            "OnDemandThroughput",
            "WarmThroughput",
            "TableClass",
        ];
        let present: Vec<&str> = changes.iter().copied().filter(|m| input.get(*m).is_some()).collect();
        if present.is_empty() {
            return invalid(NOTHING_TO_UPDATE);
        }
        for (member, what) in [("SSESpecification", "Server-Side Encryption"), ("TableClass", "TableClass"), ("DeletionProtectionEnabled", "DeletionProtection")] {
            if present.contains(&member) && present.len() > 1 {
                return invalid_parameter(format!("{what} modification must be the only operation in the request"));
            }
        }
        let (table, stats) = self.store.transaction(|t| {
            let mut table = t.get::<TableRecord>(&scope, &name)?.ok_or_else(|| Fail(table_not_found(&name)))?;
            let mut stats = t.get::<TableStats>(&scope, &table.id)?.unwrap_or_default();
            apply_billing(&mut table, input, now)?;
            apply_stream(t, &place, &mut table, &mut stats, input, now)?;
            if input.get("SSESpecification").is_some() {
                table.encryption = definition::encryption(input.get("SSESpecification"))?;
            }
            if let Some(class) = input.get("TableClass").and_then(Value::as_str) {
                table.table_class = Some(class.to_owned());
            }
            if let Some(protect) = input.get("DeletionProtectionEnabled").and_then(Value::as_bool) {
                table.deletion_protection = protect;
            }
            if let Some(updates) = gsi_updates {
                apply_index_updates(t, &mut table, &mut stats, input, updates)?;
            }
            t.put(&scope, &name, &table)?;
            t.put(&scope, &table.id, &stats)?;
            Ok::<_, Fail>((table, stats))
        })?;
        self.purge_in_background();
        Ok(json!({"TableDescription": table_description(&place, &table, &stats, "ACTIVE")}))
    }
}

/// BillingMode, ProvisionedThroughput and OnDemandThroughput of UpdateTable.
fn apply_billing(table: &mut TableRecord, input: &Document, now: i64) -> Res<()> {
    let requested_mode = definition::billing_mode(input.get("BillingMode"));
    let requested = definition::throughput(input.get("ProvisionedThroughput"));
    let mode = requested_mode.unwrap_or(table.billing);
    match (mode, requested) {
        (BillingMode::PayPerRequest, Some(_)) if requested_mode.is_some() => {
            return invalid_parameter("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
        }
        (BillingMode::PayPerRequest, Some(_)) => {
            return invalid_parameter("ProvisionedThroughput cannot be specified when BillingMode is PAY_PER_REQUEST");
        }
        (BillingMode::Provisioned, None) if table.billing == BillingMode::PayPerRequest => {
            return invalid_parameter("ProvisionedThroughput must be specified when BillingMode is PROVISIONED");
        }
        (BillingMode::Provisioned, Some((read, write))) => {
            let current = &table.throughput;
            if table.billing == BillingMode::Provisioned && requested_mode.is_none() && read == current.read && write == current.write {
                return invalid(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    current.read, current.write
                ));
            }
            let mut next = Throughput { read, write, ..current.clone() };
            if read > current.read || write > current.write {
                next.last_increase_ms = Some(now);
            }
            if read < current.read || write < current.write {
                next.last_decrease_ms = Some(now);
            }
            table.throughput = next;
            if table.billing == BillingMode::PayPerRequest {
                // GSIs of a table switched to provisioned take the table's capacity unless an
                // Update action gives theirs (chosen: AWS asks for each GSI's capacity).
                for index in &mut table.global_indexes {
                    index.throughput.get_or_insert(Throughput { read, write, ..Throughput::default() });
                }
            }
        }
        _ => {}
    }
    if mode == BillingMode::PayPerRequest && table.billing == BillingMode::Provisioned {
        table.throughput = Throughput::default();
        table.last_pay_per_request_ms = Some(now);
        for index in &mut table.global_indexes {
            index.throughput = None;
        }
    }
    table.billing = mode;
    if let Some(limits) = definition::on_demand(input.get("OnDemandThroughput")) {
        table.on_demand = Some(limits);
    }
    Ok(())
}

fn apply_stream(t: &Txn, place: &Place, table: &mut TableRecord, stats: &mut TableStats, input: &Document, now: i64) -> Res<()> {
    let Some(spec) = input.get("StreamSpecification") else { return Ok(()) };
    let enable = spec.get("StreamEnabled").and_then(Value::as_bool).unwrap_or(false);
    let view_type = spec.get("StreamViewType").and_then(Value::as_str);
    if enable {
        if table.stream.enabled {
            return invalid(format!("Table already has an enabled stream: TableName: {}", table.name));
        }
        let Some(view_type) = view_type else {
            return invalid_parameter("If stream is being enabled then UpdateViewType is required");
        };
        streams::open_stream(t, place, table, stats, view_type, now)?;
    } else {
        if view_type.is_some() {
            return invalid_parameter("If stream is being disabled, then UpdateViewType must not be specified");
        }
        if !table.stream.enabled {
            return invalid(format!("Table has no stream to disable: TableName: {}", table.name));
        }
        streams::close_stream(t, place, table, stats, now)?;
    }
    Ok(())
}

/// GlobalSecondaryIndexUpdates: Create (built from the table's items at once), Update
/// (throughput), Delete (its entries purged in the background).
fn apply_index_updates(t: &Txn, table: &mut TableRecord, stats: &mut TableStats, input: &Document, updates: &[Value]) -> Res<()> {
    // New key attributes of created indexes come with the request's AttributeDefinitions.
    if input.get("AttributeDefinitions").is_some() {
        for attribute in definition::attribute_definitions(input)? {
            match table.attribute_type(&attribute.name) {
                Some(kind) if kind != attribute.kind => {
                    return invalid_parameter(format!("Cannot change the type of attribute {}", attribute.name));
                }
                Some(_) => {}
                None => table.attributes.push(attribute),
            }
        }
    }
    let mut touched: Vec<String> = Vec::new();
    for update in updates {
        let actions = ["Create", "Update", "Delete"].iter().filter(|a| update.get(**a).is_some()).count();
        if actions == 0 {
            return invalid_parameter("One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null");
        }
        if actions > 1 {
            return invalid_parameter("Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object");
        }
        let action = update.get("Create").or_else(|| update.get("Update")).or_else(|| update.get("Delete")).expect("one action");
        let index_name = action.get("IndexName").and_then(Value::as_str).unwrap_or_default().to_owned();
        if touched.contains(&index_name) {
            return invalid_parameter(format!("Only one global secondary index update per index is allowed simultaneously. Index: {index_name}"));
        }
        touched.push(index_name.clone());
        if let Some(create) = update.get("Create") {
            if table.index(&index_name).is_some() {
                return invalid("Attempting to create an index which already exists");
            }
            let pairs = definition::raw_key_schema(create.get("KeySchema"), "keySchema")?;
            if pairs.iter().any(|(name, _)| table.attribute_type(name).is_none()) {
                return invalid_parameter(format!("AttributeDefinitions is not specified for index: {index_name}"));
            }
            let throughput = definition::throughput(create.get("ProvisionedThroughput"));
            match (table.billing, throughput) {
                (BillingMode::Provisioned, None) => {
                    return invalid_parameter(format!("ProvisionedThroughput must be specified for index: {index_name}"));
                }
                (BillingMode::PayPerRequest, Some(_)) => {
                    return invalid_parameter(format!(
                        "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {index_name} when BillingMode is PAY_PER_REQUEST"
                    ));
                }
                _ => {}
            }
            let index = definition::index(IndexInput { doc: create, global: true }, &table.attributes, table.billing, &table.id)?;
            storage::backfill(t, table, &index, stats)?;
            table.global_indexes.push(index);
            definition::check_indexes(&table.keys, &table.global_indexes, &table.local_indexes)?;
        } else if let Some(change) = update.get("Update") {
            let Some(index) = table.global_indexes.iter_mut().find(|i| i.name == index_name) else {
                return invalid(format!("Cannot update an index that is not a GlobalSecondaryIndex: {index_name}"));
            };
            if let Some((read, write)) = definition::throughput(change.get("ProvisionedThroughput")) {
                if table.billing == BillingMode::PayPerRequest {
                    return invalid_parameter(format!(
                        "The only Updates for index: {index_name} when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput"
                    ));
                }
                index.throughput = Some(Throughput { read, write, ..Throughput::default() });
            }
            if let Some(limits) = definition::on_demand(change.get("OnDemandThroughput")) {
                index.on_demand = Some(limits);
            }
        } else {
            let Some(position) = table.global_indexes.iter().position(|i| i.name == index_name) else {
                return invalid(format!("Cannot delete an index that is not a GlobalSecondaryIndex: {index_name}"));
            };
            let index = table.global_indexes.remove(position);
            t.ordered_drop_space(&index.space)?;
            stats.indexes.remove(&index.name);
        }
    }
    // Attribute definitions no key uses any more are dropped, as AWS does after an index goes.
    let used: Vec<String> = table
        .keys
        .attributes()
        .chain(table.indexes().flat_map(|i| i.keys.attributes()))
        .map(|a| a.name.clone())
        .collect();
    table.attributes.retain(|a| used.contains(&a.name));
    Ok(())
}

impl DynamoDb {
    pub(crate) fn place(ctx: &RequestContext) -> Place {
        Place { account: ctx.account_id.clone(), region: ctx.region.clone() }
    }

    /// The table a request's `TableName` names (a name, or an ARN of this account and region).
    pub(crate) fn resolve_table_name(&self, ctx: &RequestContext, input: &Document) -> Res<(Place, String)> {
        let place = Self::place(ctx);
        let given = input.get("TableName").and_then(Value::as_str).unwrap_or_default();
        if given.starts_with("arn:") {
            let prefix = place.table_arn("");
            return match given.strip_prefix(&prefix) {
                Some(name) if !name.is_empty() && !name.contains('/') => Ok((place, name.to_owned())),
                // Another account's or region's table, or not a table: none here (chosen).
                _ => Err(table_not_found(given).into()),
            };
        }
        definition::check_table_name(given)?;
        Ok((place, given.to_owned()))
    }

    /// The table a control-plane request names, or AWS's control-plane not-found error.
    pub(crate) fn table_for_control(&self, ctx: &RequestContext, input: &Document) -> Res<(Place, TableRecord)> {
        let (place, name) = self.resolve_table_name(ctx, input)?;
        match self.store.get::<TableRecord>(&place.scope(), &name)? {
            Some(table) => Ok((place, table)),
            None => Err(table_not_found(&name).into()),
        }
    }

    pub(crate) fn stats(&self, place: &Place, table: &TableRecord) -> Res<TableStats> {
        Ok(self.store.get::<TableStats>(&place.scope(), &table.id)?.unwrap_or_default())
    }
}
