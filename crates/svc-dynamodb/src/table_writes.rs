//! Item writes inside one store transaction, for any number of items and tables: each table is
//! confirmed once (it may have been deleted or re-created since the request read its
//! definition) and its counts are read once and written back once, so a batch of 25 costs one
//! definition check and one counts update per table rather than per item.

use std::collections::HashMap;

use nimbus_dynamodb_lang::Item;
use nimbus_store::Txn;

use crate::errors::{Fail, Res, resource_not_found};
use crate::records::{TableRecord, TableStats};
use crate::storage::{decode_item, write_item};

pub struct TableWrites {
    scope: String,
    /// Counts of the tables opened, by table id; `true` once changed.
    stats: HashMap<String, (TableStats, bool)>,
}

impl TableWrites {
    /// Writes to tables of the scope `{account}/{region}`.
    pub fn new(scope: String) -> TableWrites {
        TableWrites { scope, stats: HashMap::new() }
    }

    /// Confirms `table` still exists as read and loads its counts; once per table.
    pub fn open(&mut self, txn: &Txn, table: &TableRecord) -> Res<()> {
        if self.stats.contains_key(&table.id) {
            return Ok(());
        }
        match txn.get::<TableRecord>(&self.scope, &table.name)? {
            Some(current) if current.id == table.id => {}
            _ => return Err(Fail(resource_not_found())),
        }
        let stats = txn.get::<TableStats>(&self.scope, &table.id)?.unwrap_or_default();
        self.stats.insert(table.id.clone(), (stats, false));
        Ok(())
    }

    /// The stored item under `key`, read through the transaction (it sees earlier writes).
    pub fn read(&self, txn: &Txn, table: &TableRecord, key: &[u8]) -> Res<Option<Item>> {
        match txn.ordered_get(&table.item_space(), key)? {
            Some(bytes) => Ok(Some(decode_item(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Replaces `old` (read in this transaction) by `new` under `key`, with index entries and
    /// counts. The table must have been opened.
    pub fn write(&mut self, txn: &Txn, table: &TableRecord, key: &[u8], old: Option<&Item>, new: Option<&Item>) -> Res<()> {
        if old.is_none() && new.is_none() {
            return Ok(());
        }
        let Some((stats, changed)) = self.stats.get_mut(&table.id) else {
            return Err(Fail(nimbus_core::ServiceError::internal("DynamoDB write to a table not opened in its transaction")));
        };
        *changed = true;
        write_item(txn, table, key, old, new, stats)
    }

    /// Writes back the counts that moved.
    pub fn finish(self, txn: &Txn) -> Res<()> {
        for (id, (stats, changed)) in &self.stats {
            if *changed {
                txn.put(&self.scope, id, stats)?;
            }
        }
        Ok(())
    }
}
