//! ConsumedCapacity as the item operations report it when `ReturnConsumedCapacity` asks:
//! `TOTAL` gives the units, `INDEXES` also breaks out the table's share. Nimbus has no
//! throttling, so capacity is reported, never enforced.

use nimbus_core::Document;
use serde_json::{Map, Value, json};

/// Units consumed per table, in the order the request named the tables.
#[derive(Debug, Default)]
pub struct CapacityByTable(Vec<(String, f64)>);

impl CapacityByTable {
    pub fn from_pairs(pairs: Vec<(String, f64)>) -> CapacityByTable {
        CapacityByTable(pairs)
    }

    pub fn pairs(&self) -> &[(String, f64)] {
        &self.0
    }

    pub fn add(&mut self, table: &str, units: f64) {
        match self.0.iter_mut().find(|(name, _)| name == table) {
            Some((_, total)) => *total += units,
            None => self.0.push((table.to_owned(), units)),
        }
    }

    /// Adds `ConsumedCapacity` (a list, one entry per table) to `out` if the request asked.
    pub fn report(&self, out: &mut Map<String, Value>, input: &Document) {
        if let Some(mode) = requested(input) {
            let list: Vec<Value> = self.0.iter().map(|(table, units)| entry(mode, table, *units)).collect();
            out.insert("ConsumedCapacity".into(), Value::Array(list));
        }
    }
}

/// Adds one table's `ConsumedCapacity` to `out` if the request asked (single-item operations).
pub fn report_one(out: &mut Map<String, Value>, input: &Document, table: &str, units: f64) {
    if let Some(mode) = requested(input) {
        out.insert("ConsumedCapacity".into(), entry(mode, table, units));
    }
}

fn requested(input: &Document) -> Option<&str> {
    input.get("ReturnConsumedCapacity").and_then(Value::as_str).filter(|mode| matches!(*mode, "TOTAL" | "INDEXES"))
}

fn entry(mode: &str, table: &str, units: f64) -> Value {
    if mode == "INDEXES" {
        json!({"TableName": table, "CapacityUnits": units, "Table": {"CapacityUnits": units}})
    } else {
        json!({"TableName": table, "CapacityUnits": units})
    }
}
