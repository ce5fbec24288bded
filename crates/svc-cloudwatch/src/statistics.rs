//! GetMetricStatistics, and what it shares with GetMetricData and alarm evaluation: a metric's
//! stored buckets combined into requested periods, optionally of one unit only.

use std::collections::BTreeMap;

use nimbus_core::Document;
use nimbus_core::document::{parse_timestamp, timestamp};
use nimbus_metrics_lang::stats::{
    self, ExtendedStatistic, SampleSet, Stat, Statistic, period_available, round_start_time, validate_datapoint_limit,
    validate_query_period, validate_time_range,
};
use serde_json::{Map, Value, json};

use crate::errors::{Res, invalid_combination, invalid_value, missing_parameter};
use crate::metric::{self, MetricId, unit_name};
use crate::series::Bucket;
use crate::{CloudWatch, time_of_seconds};

/// One requested period's samples and the unit they were sent with.
#[derive(Debug, Clone)]
pub struct PeriodData {
    pub samples: SampleSet,
    pub unit: u8,
}

/// The buckets in `[start, end)` grouped into periods counted from `start`; only data of
/// `unit` when one is given. Periods without data are absent.
pub fn periods(buckets: &[Bucket], unit: Option<u8>, start: i64, end: i64, period: i64) -> BTreeMap<i64, PeriodData> {
    let kept: Vec<&Bucket> = buckets.iter().filter(|b| unit.is_none_or(|u| b.unit == u)).collect();
    let merged = stats::aggregate(kept.iter().map(|b| (b.seconds, &b.samples)), start, end, period);
    merged
        .into_iter()
        .map(|(t, samples)| {
            let first_unit = kept
                .iter()
                .find(|b| b.seconds >= t && b.seconds < t + period)
                .map_or(0, |b| b.unit);
            (t, PeriodData { samples, unit: unit.unwrap_or(first_unit) })
        })
        .collect()
}

/// A statistic's value for one period.
pub fn stat_value(samples: &SampleSet, stat: &Stat) -> Option<f64> {
    match stat {
        Stat::Basic(s) => samples.statistic(*s),
        Stat::Extended(e) => samples.extended(e),
    }
}

/// A timestamp member in whole seconds.
pub fn seconds_member(input: &Document, member: &str) -> Option<i64> {
    input.get(member).and_then(parse_timestamp).map(|t| t.unix_timestamp())
}

impl CloudWatch {
    pub(crate) fn get_metric_statistics(&self, ctx: &nimbus_core::RequestContext, input: &Document) -> Res<Document> {
        let now = self.clock.now().unix_timestamp();
        let namespace = input.get("Namespace").and_then(Value::as_str).unwrap_or_default();
        let name = input.get("MetricName").and_then(Value::as_str).unwrap_or_default();
        let dimensions = metric::parse_dimensions(input.get("Dimensions"), "Dimensions")?;
        let start = seconds_member(input, "StartTime").unwrap_or(0);
        let end = seconds_member(input, "EndTime").unwrap_or(0);
        let period = input.get("Period").and_then(Value::as_i64).unwrap_or(0);
        validate_query_period(period)?;
        validate_time_range(start, end)?;
        let statistics: Vec<Statistic> = input
            .get("Statistics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, s)| {
                let text = s.as_str().unwrap_or_default();
                Statistic::parse(text).ok_or_else(|| {
                    invalid_value(format!("The value {text} for parameter Statistics.member.{} is not supported.", i + 1))
                })
            })
            .collect::<Res<_>>()?;
        let extended: Vec<ExtendedStatistic> = input
            .get("ExtendedStatistics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, s)| {
                ExtendedStatistic::parse_for(s.as_str().unwrap_or_default(), &format!("ExtendedStatistics.member.{}", i + 1))
                    .map_err(Into::into)
            })
            .collect::<Res<_>>()?;
        if statistics.is_empty() && extended.is_empty() {
            return Err(missing_parameter("Must specify either Statistics or ExtendedStatistics."));
        }
        if !statistics.is_empty() && !extended.is_empty() {
            return Err(invalid_combination(
                "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.",
            ));
        }
        let unit = metric::parse_unit(input, "Unit", "Unit")?;
        let start = round_start_time(start, now, period);
        validate_datapoint_limit(start, end, period)?;
        let metric = MetricId { namespace: namespace.to_owned(), name: name.to_owned(), dimensions };
        let mut datapoints = Vec::new();
        if period_available(start, now, period) {
            let buckets = self.read_metric(&ctx.account_id, &ctx.region, &metric, start, end)?;
            for (t, data) in periods(&buckets, unit, start, end, period) {
                datapoints.push(datapoint(t, &data, &statistics, &extended));
            }
        }
        Ok(json!({"Label": name, "Datapoints": datapoints}))
    }

    /// The metric's buckets in `[start, end)`; none when the metric has no data.
    pub(crate) fn read_metric(&self, account: &str, region: &str, metric: &MetricId, start: i64, end: i64) -> Res<Vec<Bucket>> {
        let Some(series) = crate::put_data::series_of(&self.store, account, region, metric)? else {
            return Ok(Vec::new());
        };
        Ok(crate::series::read(&self.store, &crate::series::space(account, region), series, start, end)?)
    }
}

fn datapoint(t: i64, data: &PeriodData, statistics: &[Statistic], extended: &[ExtendedStatistic]) -> Value {
    let mut point = Map::new();
    point.insert("Timestamp".into(), timestamp(time_of_seconds(t)));
    for statistic in statistics {
        if let Some(v) = data.samples.statistic(*statistic) {
            point.insert(statistic.name().into(), json!(v));
        }
    }
    if !extended.is_empty() {
        let mut values = Map::new();
        for e in extended {
            if let Some(v) = data.samples.extended(e) {
                values.insert(e.name().to_owned(), json!(v));
            }
        }
        point.insert("ExtendedStatistics".into(), Value::Object(values));
    }
    point.insert("Unit".into(), json!(unit_name(data.unit)));
    Value::Object(point)
}
