//! PutMetricData, and the datapoints other services deliver: checked as AWS checks them, then
//! merged into their storage buckets in one transaction on the store's writer thread (group
//! commit), durable before the call answers.

use std::collections::HashMap;

use nimbus_core::document::parse_timestamp;
use nimbus_core::{Document, MetricDatum, MetricValue};
use nimbus_metrics_lang::stats::{SampleSet, StatisticSet, storage_timestamp, validate_datum_values};
use nimbus_store::{Store, StoreError, Txn};
use serde_json::Value;

use crate::errors::{Res, invalid_combination, invalid_value, missing_parameter};
use crate::metric::{self, MetricId, MetricRecord, RegionMarker, metric_scope};
use crate::series;

/// PutMetricData takes at most this many data.
pub const MAX_METRIC_DATA: usize = 1000;
/// Values (and Counts) per datum.
pub const MAX_VALUES: usize = 150;
/// How far back a timestamp may be (two weeks) and ahead (two hours), in milliseconds.
const MAX_AGE_MS: i64 = 14 * 24 * 3600 * 1000;
const MAX_AHEAD_MS: i64 = 2 * 3600 * 1000;
/// The setting holding the next series id.
const SERIES_COUNTER: &str = "cloudwatch.next-series-id";
/// A metric's `last_put_ms` is rewritten at most this often.
const LAST_PUT_RESOLUTION_MS: i64 = 60_000;

/// Samples for one metric, storage bucket and unit, combined across a request.
#[derive(Debug, Clone)]
pub struct Pending {
    pub metric: MetricId,
    pub bucket: i64,
    pub unit: u8,
    pub samples: SampleSet,
}

/// The request's data, checked and combined.
pub fn parse_request(input: &Document, now_ms: i64) -> Res<(String, Vec<Pending>)> {
    let namespace = input.get("Namespace").and_then(Value::as_str).unwrap_or_default();
    metric::check_namespace(namespace, "Namespace")?;
    if namespace.starts_with("AWS/") {
        return Err(invalid_value(format!("The value {namespace} for parameter Namespace is invalid.")));
    }
    let mut data: Vec<&Document> = input.get("MetricData").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
    // EntityMetricData carries the same datums with an entity Nimbus does not model.
    for entity in input.get("EntityMetricData").and_then(Value::as_array).into_iter().flatten() {
        data.extend(entity.get("MetricData").and_then(Value::as_array).into_iter().flatten());
    }
    if input.get("MetricData").is_none() && input.get("EntityMetricData").is_none() {
        return Err(missing_parameter("At least one of the parameters MetricData and EntityMetricData must be specified."));
    }
    if data.len() > MAX_METRIC_DATA {
        return Err(invalid_value(format!("The collection MetricData must not have a size greater than {MAX_METRIC_DATA}.")));
    }
    let mut combined = Combiner::default();
    for (i, datum) in data.iter().enumerate() {
        let (metric, bucket, unit, samples) = parse_datum(namespace, datum, i + 1, now_ms)?;
        combined.add(metric, bucket, unit, samples);
    }
    Ok((namespace.to_owned(), combined.finish()))
}

fn parse_datum(namespace: &str, datum: &Document, member: usize, now_ms: i64) -> Res<(MetricId, i64, u8, SampleSet)> {
    let prefix = format!("MetricData.member.{member}");
    let name = datum.get("MetricName").and_then(Value::as_str).unwrap_or_default();
    if name.is_empty() {
        return Err(missing_parameter(format!("The parameter {prefix}.MetricName is required.")));
    }
    let dimensions = metric::parse_dimensions(datum.get("Dimensions"), &format!("{prefix}.Dimensions"))?;
    let timestamp_ms = match datum.get("Timestamp") {
        None => now_ms,
        Some(t) => parse_timestamp(t)
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
            .ok_or_else(|| invalid_value(format!("The parameter {prefix}.Timestamp is not a valid timestamp.")))?,
    };
    if timestamp_ms < now_ms - MAX_AGE_MS {
        return Err(invalid_value(format!("The parameter {prefix}.Timestamp must specify a time within the past two weeks.")));
    }
    if timestamp_ms > now_ms + MAX_AHEAD_MS {
        return Err(invalid_value(format!(
            "The parameter {prefix}.Timestamp must specify a time no more than two hours in the future."
        )));
    }
    let unit = metric::parse_unit(datum, "Unit", &format!("{prefix}.Unit"))?.unwrap_or(0);
    let resolution = match datum.get("StorageResolution").and_then(Value::as_i64) {
        None | Some(60) => 60,
        Some(1) => 1,
        Some(other) => {
            return Err(invalid_value(format!(
                "The value {other} for parameter {prefix}.StorageResolution is not valid. Valid values are 1 and 60."
            )));
        }
    };
    let numbers = |member: &str| -> Option<Vec<f64>> {
        datum.get(member).and_then(Value::as_array).map(|a| a.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
    };
    let value = datum.get("Value").map(|v| v.as_f64().unwrap_or(f64::NAN));
    let values = numbers("Values");
    let counts = numbers("Counts");
    let statistic_values = datum.get("StatisticValues").map(|s| {
        let field = |name: &str| s.get(name).and_then(Value::as_f64).unwrap_or(f64::NAN);
        StatisticSet { sample_count: field("SampleCount"), sum: field("Sum"), minimum: field("Minimum"), maximum: field("Maximum") }
    });
    if counts.is_some() && values.is_none() {
        return Err(invalid_combination(format!(
            "The parameter {prefix}.Counts may only be specified together with {prefix}.Values."
        )));
    }
    validate_datum_values(member, value, values.as_deref(), counts.as_deref(), statistic_values.as_ref())?;
    if values.as_ref().is_some_and(|v| v.len() > MAX_VALUES) {
        return Err(invalid_value(format!("The collection {prefix}.Values must not have a size greater than {MAX_VALUES}.")));
    }
    let mut samples = SampleSet::new();
    match (value, &values, statistic_values) {
        (Some(v), _, _) => samples.add_value(v),
        (None, Some(values), _) => samples.add_values(values, counts.as_deref()),
        (None, None, Some(set)) => samples.add_statistic_set(set),
        (None, None, None) => {
            return Err(missing_parameter(format!(
                "At least one of the parameters {prefix}.Value, {prefix}.Values or {prefix}.StatisticValues must be specified."
            )));
        }
    }
    let metric = MetricId { namespace: namespace.to_owned(), name: name.to_owned(), dimensions };
    Ok((metric, storage_timestamp(timestamp_ms, resolution), unit, samples))
}

/// Datapoints another service delivered (no `AWS/` restriction; a datum that fails the checks
/// is dropped with a log line rather than failing the others).
pub fn from_delivery(namespace: &str, data: &[MetricDatum]) -> Vec<Pending> {
    let mut combined = Combiner::default();
    for datum in data {
        let dimensions = match metric::sort_unique(datum.dimensions.clone()) {
            Ok(d) => d,
            Err(_) => {
                tracing::warn!("cloudwatch: dropped a delivered datum of {namespace}/{} with repeated dimensions", datum.metric_name);
                continue;
            }
        };
        let mut samples = SampleSet::new();
        match &datum.value {
            MetricValue::Single { value } => samples.add_value(*value),
            MetricValue::StatisticSet { sample_count, sum, minimum, maximum } => samples.add_statistic_set(StatisticSet {
                sample_count: *sample_count,
                sum: *sum,
                minimum: *minimum,
                maximum: *maximum,
            }),
        }
        if samples.is_empty() {
            continue;
        }
        let unit = datum.unit.as_deref().and_then(metric::unit_index).unwrap_or(0);
        let resolution = if datum.storage_resolution == 1 { 1 } else { 60 };
        let metric = MetricId { namespace: namespace.to_owned(), name: datum.metric_name.clone(), dimensions };
        combined.add(metric, storage_timestamp(datum.timestamp_ms, resolution), unit, samples);
    }
    combined.finish()
}

#[derive(Default)]
struct Combiner {
    order: Vec<(String, i64, u8)>,
    by_key: HashMap<(String, i64, u8), Pending>,
}

impl Combiner {
    fn add(&mut self, metric: MetricId, bucket: i64, unit: u8, samples: SampleSet) {
        let key = (metric.key(), bucket, unit);
        match self.by_key.get_mut(&key) {
            Some(pending) => pending.samples.merge(&samples),
            None => {
                self.order.push(key.clone());
                self.by_key.insert(key, Pending { metric, bucket, unit, samples });
            }
        }
    }

    fn finish(mut self) -> Vec<Pending> {
        self.order.iter().filter_map(|k| self.by_key.remove(k)).collect()
    }
}

/// Writes the data in one transaction on the store's writer thread; resolves once durable.
pub async fn commit(store: &Store, account: &str, region: &str, data: Vec<Pending>, now_ms: i64) -> Res<()> {
    if data.is_empty() {
        return Ok(());
    }
    let scope = metric_scope(account, region);
    let space = series::space(account, region);
    store
        .transaction_async(move |t| {
            let mut series_of: HashMap<String, u64> = HashMap::new();
            for pending in &data {
                let key = pending.metric.key();
                let series = match series_of.get(&key) {
                    Some(series) => *series,
                    None => {
                        let series = ensure_metric(t, &scope, &key, &pending.metric, now_ms)?;
                        series_of.insert(key, series);
                        series
                    }
                };
                series::merge(t, &space, series, pending.bucket, pending.unit, &pending.samples)?;
            }
            Ok::<_, StoreError>(())
        })
        .await?;
    Ok(())
}

/// The metric's series id, creating the metric (and its region marker) on first data.
fn ensure_metric(t: &Txn, scope: &str, key: &str, metric: &MetricId, now_ms: i64) -> Result<u64, StoreError> {
    if let Some(mut record) = t.get::<MetricRecord>(scope, key)? {
        if now_ms - record.last_put_ms >= LAST_PUT_RESOLUTION_MS {
            record.last_put_ms = now_ms;
            t.put(scope, key, &record)?;
        }
        return Ok(record.series);
    }
    let series = t.setting(SERIES_COUNTER)?.and_then(|s| s.parse::<u64>().ok()).unwrap_or(1);
    t.set_setting(SERIES_COUNTER, &(series + 1).to_string())?;
    t.put(scope, key, &MetricRecord { id: metric.clone(), series, last_put_ms: now_ms })?;
    t.put(RegionMarker::SCOPE, scope, &RegionMarker {})?;
    Ok(series)
}

impl RegionMarker {
    pub const SCOPE: &'static str = "";
}

/// The series id of a metric, if it has data.
pub fn series_of(store: &Store, account: &str, region: &str, metric: &MetricId) -> Result<Option<u64>, StoreError> {
    Ok(store.get::<MetricRecord>(&metric_scope(account, region), &metric.key())?.map(|r| r.series))
}
