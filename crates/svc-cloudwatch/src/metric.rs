//! A metric's identity (namespace, name, dimension set), the checks AWS applies to each part,
//! and the record that names a metric's series.
//!
//! CloudWatch identifies a metric by namespace, name and the *set* of its dimensions: the order
//! a caller lists dimensions in does not matter, so dimensions are kept sorted by name.

use nimbus_core::Document;
use nimbus_store::Record;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::errors::{Res, invalid_value};

/// At most this many dimensions per metric.
pub const MAX_DIMENSIONS: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MetricId {
    pub namespace: String,
    pub name: String,
    /// Sorted by name; names unique.
    pub dimensions: Vec<(String, String)>,
}

impl MetricId {
    /// The record key: namespace, then name and dimensions as JSON, so keys sort by namespace
    /// then name and no two identities share a key whatever characters they hold.
    pub fn key(&self) -> String {
        let rest = json!([self.name, self.dimensions]).to_string();
        format!("{}\u{0}{rest}", self.namespace)
    }

    pub fn dimensions_document(&self) -> Value {
        dimensions_document(&self.dimensions)
    }

    pub fn document(&self) -> Value {
        json!({"Namespace": self.namespace, "MetricName": self.name, "Dimensions": self.dimensions_document()})
    }
}

pub fn dimensions_document(dimensions: &[(String, String)]) -> Value {
    Value::Array(dimensions.iter().map(|(n, v)| json!({"Name": n, "Value": v})).collect())
}

/// The key prefix of every metric of a namespace.
pub fn namespace_prefix(namespace: &str) -> String {
    format!("{namespace}\u{0}")
}

/// The characters AWS allows in a namespace: alphanumerics, `.`, `-`, `_`, `/`, `#`, `:` and
/// space, not starting with a colon.
pub fn valid_namespace(namespace: &str) -> bool {
    !namespace.is_empty()
        && !namespace.starts_with(':')
        && namespace.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#' | ':' | ' '))
}

pub fn check_namespace(namespace: &str, parameter: &str) -> Res<()> {
    if valid_namespace(namespace) && namespace.chars().count() <= 255 {
        Ok(())
    } else {
        Err(invalid_value(format!("The value {namespace} for parameter {parameter} is invalid.")))
    }
}

/// Dimensions as a request gives them (`[{"Name", "Value"}]`), checked as AWS checks them and
/// sorted. `parameter` names the list in messages (`MetricData.member.1.Dimensions`).
pub fn parse_dimensions(list: Option<&Document>, parameter: &str) -> Res<Vec<(String, String)>> {
    let items = list.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if items.len() > MAX_DIMENSIONS {
        return Err(invalid_value(format!(
            "The collection {parameter} must not have a size greater than {MAX_DIMENSIONS}."
        )));
    }
    let mut dimensions = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let name = item.get("Name").and_then(Value::as_str).unwrap_or_default();
        let value = item.get("Value").and_then(Value::as_str).unwrap_or_default();
        let member = format!("{parameter}.member.{}", i + 1);
        check_dimension_name(name, &format!("{member}.Name"))?;
        check_dimension_value(value, &format!("{member}.Value"))?;
        dimensions.push((name.to_owned(), value.to_owned()));
    }
    sort_unique(dimensions)
}

/// Dimension names: ASCII, at least one non-whitespace character, not starting with a colon.
pub fn check_dimension_name(name: &str, parameter: &str) -> Res<()> {
    if name.is_empty() || !name.is_ascii() || name.trim().is_empty() || name.starts_with(':') || name.len() > 255 {
        return Err(invalid_value(format!("The value {name} for parameter {parameter} is invalid.")));
    }
    Ok(())
}

/// Dimension values: ASCII, at least one non-whitespace character.
pub fn check_dimension_value(value: &str, parameter: &str) -> Res<()> {
    if value.is_empty() || !value.is_ascii() || value.trim().is_empty() || value.len() > 1024 {
        return Err(invalid_value(format!("The value {value} for parameter {parameter} is invalid.")));
    }
    Ok(())
}

pub fn sort_unique(mut dimensions: Vec<(String, String)>) -> Res<Vec<(String, String)>> {
    dimensions.sort();
    if dimensions.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(invalid_value("No metric may specify the same dimension name twice."));
    }
    Ok(dimensions)
}

/// A metric Nimbus has data for: its identity, the id of its series in the ordered space, and
/// when data last arrived (ListMetrics' RecentlyActive and its two-week window).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricRecord {
    pub id: MetricId,
    pub series: u64,
    /// Nimbus clock, milliseconds; refreshed at most once a minute.
    pub last_put_ms: i64,
}

impl Record for MetricRecord {
    const KIND: &'static str = "cloudwatch.metric";
    const VERSION: u32 = 1;
}

/// Marks that an account and region have metrics (scope "", key `<account>/<region>`), so the
/// retention sweep can find every region's data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegionMarker {}

impl Record for RegionMarker {
    const KIND: &'static str = "cloudwatch.region";
    const VERSION: u32 = 1;
}

/// The record scope of one account's metrics in one region.
pub fn metric_scope(account: &str, region: &str) -> String {
    format!("{account}/{region}")
}

/// Units CloudWatch knows (the model's `StandardUnit`); a datapoint's unit is stored as its
/// index in this list.
pub const UNITS: [&str; 27] = [
    "None",
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
];

pub fn unit_index(unit: &str) -> Option<u8> {
    UNITS.iter().position(|u| *u == unit).map(|i| i as u8)
}

pub fn unit_name(index: u8) -> &'static str {
    UNITS.get(usize::from(index)).copied().unwrap_or("None")
}

/// A `Unit` member checked against the enum (the codec leaves enums to the service).
pub fn parse_unit(input: &Document, member: &str, parameter: &str) -> Res<Option<u8>> {
    match input.get(member).and_then(Value::as_str) {
        None => Ok(None),
        Some(unit) => unit_index(unit).map(Some).ok_or_else(|| {
            invalid_value(format!("The value {unit} for parameter {parameter} is not a valid unit."))
        }),
    }
}
