//! Amazon DynamoDB: tables and items over the store's ordered spaces.
//!
//! Tables are per account and region. Values, numbers, key encoding, item sizes and
//! expressions come from `nimbus-dynamodb-lang`; this crate owns requests, table definitions
//! and storage.
//!
//! # Storage layout
//! - **Table definitions**: one [`records::TableRecord`] per table, kind `dynamodb.table`, scope
//!   `{account}/{region}`, key the table name (cached: every item request reads one).
//! - **Counts**: one [`records::TableStats`] per table, kind `dynamodb.table_stats`, same scope,
//!   key the table id: ItemCount and TableSizeBytes of the table and of each index, updated in
//!   every item write's transaction, so they are exact.
//! - **Items**: the ordered space `ddb/{table id}`; key = `encode_key(partition value)` followed,
//!   for tables with a sort key, by `encode_key(sort value)` (the lang crate's order-preserving,
//!   self-delimiting encoding, so byte order is DynamoDB's order: by partition, then sort key);
//!   value = one format byte (1) and the item's wire JSON.
//! - **Secondary indexes** (GSI and LSI alike): each its own ordered space
//!   `ddb/{table id}/{index uuid}` (fresh per index incarnation); key = encoded index partition
//!   value, encoded index sort value (if any), then the table key bytes above (so equal index
//!   keys stay distinct, in table-key order); value = the projected item in the item encoding
//!   (ALL: the item; KEYS_ONLY: table and index keys; INCLUDE: those and the named attributes).
//!   Items lacking an index key attribute are not in the index (sparse indexes).
//! - A table's id names its spaces, so DeleteTable drops them (`Txn::ordered_drop_space`:
//!   immediate and cheap) and a background thread purges them in chunks; a table re-created
//!   under the same name starts empty at once.
//!
//! - **Client request tokens** of TransactWriteItems: records `dynamodb.client_token` (scope
//!   `{account}/{region}`, key the token) kept 10 minutes on Nimbus's clock, pruned through the
//!   ordered space `ddb-tokens/{account}/{region}` (see `idempotency.rs`).
//!
//! # Writes
//! Every write (PutItem, DeleteItem, UpdateItem, BatchWriteItem, TransactWriteItems) is parsed
//! into `actions::WriteAction`s before the store is touched, then decided against the stored
//! items and applied in one store transaction (`table_writes.rs`: each table checked and its
//! counts moved once per transaction); the answer comes after the commit. Conditions
//! (ConditionExpression or legacy Expected) see the item inside that transaction. Nimbus does
//! not throttle: BatchWriteItem's `UnprocessedItems` is always empty, BatchGetItem's
//! `UnprocessedKeys` only holds keys past AWS's 16 MB answer limit, and transactions never meet
//! `TransactionConflictException` (store transactions are serialized).
//!
//! - **Streams** (`streams.rs`): one `dynamodb.stream` record per stream in the scope
//!   `dynamodb.streams` keyed `{account}/{region}/{table}/stream/{label}`; the live stream and
//!   the sequence counter sit in the table's `TableStats`; change records in the ordered space
//!   `ddbs/{stream id}` keyed by sequence number, appended by `storage::write_item` in the
//!   write's transaction. [`DynamoDbStreams`] (`streams_api.rs`) serves the Streams API.
//! - **TTL** (`ttl_sweeper.rs`): tables with TTL enabled registered in the scope `dynamodb.ttl`;
//!   an index of items by expiry, `ddbt/{table id}/{uuid}`, kept by every write; `DynamoDb::sweep`
//!   deletes what expired (and trims stream records older than 24 hours).
//! - **Backups** (`backups.rs`): one `dynamodb.backup` record per backup (scope
//!   `{account}/{region}`, key `{table}/backup/{label}`) holding the table's definition and
//!   counts; its items in the ordered space `ddbk/{uuid}` (a SYSTEM backup keeps its deleted
//!   table's `ddb/{table id}`); SYSTEM backups also registered by expiry in the scope
//!   `dynamodb.system_backups`. Restores (`restore.rs`) build a new table from them.
//! - **Point-in-time recovery** (`pitr.rs`): while PITR is on, the change log `ddbp/{table id}/{uuid}`
//!   (named in `TableStats`) gets each item change's key and previous image, keyed by time then
//!   sequence, appended by `storage::write_item_by`; tables with PITR registered in the scope
//!   `dynamodb.pitr` for the sweeper's trimming.
//!
//! # Status transitions
//! Tables and indexes are ACTIVE as soon as the request that creates or changes them returns
//! (GSIs created by UpdateTable are filled in the same transaction), so waiters pass at once;
//! DeleteTable answers DELETING and the table is gone when it returns.
//!
//! # Reads
//! Query (`query.rs`, key conditions in `query_keys.rs`) reads one byte range of the table's or
//! index's space, built from the key condition, so it costs O(log n + k); Scan (`scan.rs`) walks
//! the whole space, parallel segments split by a hash of the encoded partition key. Both share
//! `reads.rs`: Select and projection rules, ExclusiveStartKey as a position, one page per
//! `ordered_visit` (Limit and the 1 MB rule count items evaluated, before the filter), local
//! indexes fetching whole items from the table when asked for more than they hold.
//!
//! Operations not in [`OPERATIONS`] answer `NotImplemented` (501).

mod actions;
mod backups;
mod batch;
mod capacity;
mod collections;
mod definition;
mod describe;
mod errors;
mod idempotency;
mod items;
mod keys;
mod partiql;
mod pitr;
mod query;
mod query_keys;
mod reads;
mod records;
mod restore;
mod scan;
mod storage;
mod streams;
mod streams_api;
mod table_writes;
mod tables;
mod tags;
mod transactions;
mod ttl;
mod ttl_sweeper;
mod update;

use std::sync::{Arc, Mutex, TryLockError};

use nimbus_core::{Access, Clock, Document, RequestContext, Service, ServiceError};
use nimbus_store::Store;
use serde_json::{Value, json};

use crate::errors::{Fail, Res};

pub use streams_api::DynamoDbStreams;
pub use ttl_sweeper::SweepReport;

/// Ordered-space pairs deleted per commit when purging a deleted table: a chunk takes a few
/// milliseconds, so other writers wait no longer than that.
const PURGE_CHUNK: usize = 5_000;

/// Operations that only read a bounded amount (a key, one page of one partition, table
/// settings): served without leaving the request's runtime thread.
const INLINE_READS: &[&str] = &[
    "GetItem",
    "Query",
    "BatchGetItem",
    "TransactGetItems",
    "DescribeTable",
    "ListTables",
    "ListTagsOfResource",
    "DescribeTimeToLive",
    "DescribeContinuousBackups",
    "DescribeBackup",
    "DescribeLimits",
    "DescribeEndpoints",
];

pub const OPERATIONS: &[&str] = &[
    "BatchExecuteStatement",
    "BatchGetItem",
    "BatchWriteItem",
    "CreateBackup",
    "CreateTable",
    "DeleteBackup",
    "DeleteItem",
    "DeleteTable",
    "DescribeBackup",
    "DescribeContinuousBackups",
    "DescribeEndpoints",
    "DescribeLimits",
    "DescribeTable",
    "DescribeTimeToLive",
    "ExecuteStatement",
    "ExecuteTransaction",
    "GetItem",
    "ListBackups",
    "ListTables",
    "ListTagsOfResource",
    "PutItem",
    "Query",
    "RestoreTableFromBackup",
    "RestoreTableToPointInTime",
    "Scan",
    "TagResource",
    "TransactGetItems",
    "TransactWriteItems",
    "UntagResource",
    "UpdateContinuousBackups",
    "UpdateItem",
    "UpdateTable",
    "UpdateTimeToLive",
];

#[derive(Clone)]
pub struct DynamoDb {
    store: Store,
    clock: Clock,
    /// Held by the one thread purging dropped spaces (see `purge_in_background`).
    purging: Arc<Mutex<()>>,
}

impl DynamoDb {
    pub fn new(store: Store, clock: Clock) -> Self {
        let service = DynamoDb { store, clock, purging: Arc::default() };
        // A purge a previous run did not finish resumes (one indexed read when there is none).
        if service.store.dropped_spaces_pending().unwrap_or(false) {
            service.purge_in_background();
        }
        service
    }

    /// Deletes the items of dropped tables and indexes on a background thread. One purger runs
    /// at a time; it re-checks for new drops after letting go of the lock, and a drop committed
    /// after that check finds the lock free and starts its own.
    fn purge_in_background(&self) {
        let store = self.store.clone();
        let purging = self.purging.clone();
        std::thread::spawn(move || {
            loop {
                let guard = match purging.try_lock() {
                    Ok(guard) => guard,
                    // A purger that panicked left nothing half-done: each chunk is a transaction.
                    Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                    Err(TryLockError::WouldBlock) => return,
                };
                if let Err(e) = store.purge_dropped_spaces(PURGE_CHUNK) {
                    tracing::warn!("purging deleted DynamoDB tables failed (retried at the next delete or start): {e}");
                    return;
                }
                drop(guard);
                if !store.dropped_spaces_pending().unwrap_or(false) {
                    return;
                }
            }
        });
    }

    fn describe_limits() -> Document {
        // AWS's default quotas per account and region.
        json!({
            "AccountMaxReadCapacityUnits": 80_000,
            "AccountMaxWriteCapacityUnits": 80_000,
            "TableMaxReadCapacityUnits": 40_000,
            "TableMaxWriteCapacityUnits": 40_000,
        })
    }

    /// Nimbus itself, as the client reached it.
    fn describe_endpoints(ctx: &RequestContext) -> Document {
        let address = ctx.host.clone().unwrap_or_else(|| "127.0.0.1:4566".to_owned());
        json!({"Endpoints": [{"Address": address, "CachePeriodInMinutes": 1440}]})
    }

    fn dispatch(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Res<Document> {
        // Stream records of this request's writes take its time (see `streams::RequestTime`).
        let _time = streams::RequestTime::enter(self.clock.now_millis());
        match operation {
            "CreateTable" => self.create_table(ctx, input),
            "DescribeTable" => self.describe_table(ctx, input),
            "ListTables" => self.list_tables(ctx, input),
            "UpdateTable" => self.update_table(ctx, input),
            "DeleteTable" => self.delete_table(ctx, input),
            "TagResource" => self.tag_resource(ctx, input),
            "UntagResource" => self.untag_resource(ctx, input),
            "ListTagsOfResource" => self.list_tags(ctx, input),
            "UpdateTimeToLive" => self.update_time_to_live(ctx, input),
            "DescribeTimeToLive" => self.describe_time_to_live(ctx, input),
            "DescribeContinuousBackups" => self.describe_continuous_backups(ctx, input),
            "UpdateContinuousBackups" => self.update_continuous_backups(ctx, input),
            "CreateBackup" => self.create_backup(ctx, input),
            "DescribeBackup" => self.describe_backup(ctx, input),
            "ListBackups" => self.list_backups(ctx, input),
            "DeleteBackup" => self.delete_backup(ctx, input),
            "RestoreTableFromBackup" => self.restore_table_from_backup(ctx, input),
            "RestoreTableToPointInTime" => self.restore_table_to_point_in_time(ctx, input),
            "DescribeLimits" => Ok(Self::describe_limits()),
            "DescribeEndpoints" => Ok(Self::describe_endpoints(ctx)),
            "GetItem" => self.get_item(ctx, input),
            "Query" => self.query(ctx, input),
            "Scan" => self.scan(ctx, input),
            "BatchWriteItem" => self.batch_write_item(ctx, input),
            "BatchGetItem" => self.batch_get_item(ctx, input),
            "TransactWriteItems" => self.transact_write_items(ctx, input),
            "TransactGetItems" => self.transact_get_items(ctx, input),
            "ExecuteStatement" => self.execute_statement(ctx, input),
            "BatchExecuteStatement" => self.batch_execute_statement(ctx, input),
            "ExecuteTransaction" => self.execute_transaction(ctx, input),
            other => Err(Fail(ServiceError::not_implemented("DynamoDB", other))),
        }
    }
}

#[async_trait::async_trait]
impl Service for DynamoDb {
    fn model_name(&self) -> &'static str {
        "dynamodb"
    }

    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    /// `dynamodb:<Operation>` on the table the request names (by name or ARN), or `*` for the
    /// account-wide operations; tag operations name their ResourceArn, backup operations their
    /// BackupArn; restores also need item reads and writes on the target table.
    fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        let place = Self::place(ctx);
        if let Some(accesses) = transactions::multi_table_access(&place, operation, input) {
            return accesses;
        }
        if let Some(accesses) = restore::backup_access(&place, operation, input) {
            return accesses;
        }
        let resource = match (input.get("TableName").and_then(Value::as_str), input.get("ResourceArn").and_then(Value::as_str)) {
            (Some(name), _) if name.starts_with("arn:") => name.to_owned(),
            (Some(name), _) => place.table_arn(name),
            (None, Some(arn)) => arn.to_owned(),
            (None, None) => "*".to_owned(),
        };
        vec![Access::new(format!("dynamodb:{operation}"), vec![resource])]
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        // Reads of bounded size answer on the request's own thread. One-item writes hand their
        // parsed action to the store's writer thread and wait for the commit without holding a
        // thread. Everything else that writes (or may walk a whole table) runs on the blocking
        // pool: it waits for its group commit, and holding a runtime worker for that would let
        // only as many requests progress as there are workers, each waiting alone for its fsync.
        if INLINE_READS.contains(&operation) {
            return self.dispatch(ctx, operation, &input).map_err(|Fail(e)| e);
        }
        let one_item_write = match operation {
            "PutItem" => Some(self.put_item(ctx, &input).await),
            "DeleteItem" => Some(self.delete_item(ctx, &input).await),
            "UpdateItem" => Some(self.update_item(ctx, &input).await),
            _ => None,
        };
        if let Some(outcome) = one_item_write {
            return outcome.map_err(|Fail(e)| e);
        }
        let (service, ctx, operation) = (self.clone(), ctx.clone(), operation.to_owned());
        tokio::task::spawn_blocking(move || service.dispatch(&ctx, &operation, &input).map_err(|Fail(e)| e))
            .await
            .map_err(|e| ServiceError::internal(format!("DynamoDB task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_streams;
#[cfg(test)]
mod tests_writes;
#[cfg(test)]
mod tests_reads;
#[cfg(test)]
mod tests_backups;
