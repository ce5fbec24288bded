//! The evaluation loop: every sweep evaluates the metric alarms due on Nimbus's clock (each
//! alarm once a minute), then the composite alarms whose children changed, persists the
//! transitions with their StateUpdate history, and runs the actions.
//!
//! Cost follows the due alarms: the due alarms' metrics are collected first, each metric's
//! range read once (one ordered-space range) however many alarms watch it, then every alarm is
//! evaluated in memory by metrics-lang's `evaluate_metric_alarm`.
//!
//! Which periods an evaluation sees: the `EvaluationPeriods + 2` periods (metrics-lang's
//! evaluation range) ending with the period in progress when it already has data, else ending
//! with the last complete period, so data just sent counts at once and an empty period in
//! progress is not yet "missing". Periods align to multiples of the period since the epoch.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use nimbus_metrics_lang::alarm::{
    ComparisonOperator, EvaluationSlot, MetricAlarmSpec, StateChange, TreatMissingData, evaluate_metric_alarm,
    evaluation_range_periods,
};
use nimbus_metrics_lang::math::{MathContext, MathQuery, QuerySource, evaluate_alarm_metrics};
use nimbus_metrics_lang::stats::{ExtendedStatistic, Stat, Statistic};
use nimbus_store::Store;
use serde_json::Value;

use crate::alarms::alarm_period;
use crate::errors::Res;
use crate::metric::{MetricId, unit_index};
use crate::metric_data::{Source, parse_queries};
use crate::records::{AlarmRecord, MetricAlarmConfig};
use crate::series::{self, Bucket};
use crate::state::{Transition, settle_composites, with_state};
use crate::statistics::{periods, stat_value};
use crate::CloudWatch;

/// A metric alarm is evaluated once a minute; a little less, so a sweep a moment early on the
/// wall clock still finds it due.
const EVALUATION_INTERVAL_MS: i64 = 55_000;

/// The periods one evaluation looks at.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    end: i64,
    period: i64,
    /// The period in progress.
    current: i64,
}

impl Window {
    fn new(period: i64, evaluation_periods: u32, now: i64) -> Window {
        let period = period.max(1);
        let current = now - now.rem_euclid(period);
        let n = i64::from(evaluation_range_periods(evaluation_periods));
        Window { start: current - n * period, end: current + period, period, current }
    }

    /// The evaluation range's slots, oldest first.
    fn slots(&self, values: &BTreeMap<i64, (f64, Option<f64>)>) -> Vec<EvaluationSlot> {
        let mut slots: Vec<EvaluationSlot> = (0..)
            .map(|i| self.start + i * self.period)
            .take_while(|t| *t < self.end)
            .map(|t| match values.get(&t) {
                Some((value, count)) => EvaluationSlot { timestamp: t, value: Some(*value), sample_count: *count, band: None },
                None => EvaluationSlot::missing(t),
            })
            .collect();
        if values.contains_key(&self.current) {
            slots.remove(0);
        } else {
            slots.pop();
        }
        slots
    }
}

type MetricKey = (String, String, String);

fn metric_key(alarm: &AlarmRecord, metric: &MetricId) -> MetricKey {
    (alarm.account.clone(), alarm.region.clone(), metric.key())
}

/// The metrics an alarm reads, each with the period it is read at.
fn metrics_of(config: &MetricAlarmConfig) -> Vec<(MetricId, i64)> {
    if let Some(metric) = &config.metric {
        return vec![(metric.clone(), config.period.unwrap_or(60))];
    }
    let list = config.metrics.as_ref().and_then(Value::as_array).cloned().unwrap_or_default();
    parse_queries(&list, "Metrics")
        .map(|queries| {
            queries
                .into_iter()
                .filter_map(|q| match q.source {
                    Source::Stat(s) => Some((s.metric, s.period)),
                    Source::Expression(_) => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn aligned(start: i64, period: i64) -> i64 {
    start - start.rem_euclid(period.max(1))
}

/// Evaluates the alarms against the store's data; `None` where an alarm keeps its state.
fn evaluate_all(store: &Store, alarms: &[AlarmRecord], now_ms: i64) -> Vec<Option<StateChange>> {
    let now = now_ms.div_euclid(1000);
    // Which range of which metric the due alarms need.
    let mut wanted: HashMap<MetricKey, (MetricId, i64, i64)> = HashMap::new();
    for alarm in alarms {
        let Some(config) = alarm.metric_config() else { continue };
        let window = Window::new(alarm_period(config), config.evaluation_periods, now);
        for (metric, period) in metrics_of(config) {
            let start = aligned(window.start, period);
            let entry = wanted.entry(metric_key(alarm, &metric)).or_insert((metric, start, window.end));
            entry.1 = entry.1.min(start);
            entry.2 = entry.2.max(window.end);
        }
    }
    // Each metric read once.
    let mut data: HashMap<MetricKey, Vec<Bucket>> = HashMap::with_capacity(wanted.len());
    for (key, (metric, start, end)) in wanted {
        let (account, region, _) = &key;
        let buckets = match crate::put_data::series_of(store, account, region, &metric) {
            Ok(Some(id)) => series::read(store, &series::space(account, region), id, start, end).unwrap_or_else(|e| {
                tracing::error!("cloudwatch: reading {} for alarms: {e}", metric.name);
                Vec::new()
            }),
            Ok(None) => Vec::new(),
            Err(e) => {
                tracing::error!("cloudwatch: looking up {} for alarms: {e}", metric.name);
                Vec::new()
            }
        };
        data.insert(key, buckets);
    }
    alarms
        .iter()
        .map(|alarm| {
            let config = alarm.metric_config()?;
            evaluate_one(alarm, config, &data, now, now_ms)
        })
        .collect()
}

fn evaluate_one(
    alarm: &AlarmRecord,
    config: &MetricAlarmConfig,
    data: &HashMap<MetricKey, Vec<Bucket>>,
    now: i64,
    now_ms: i64,
) -> Option<StateChange> {
    let period = alarm_period(config);
    let window = Window::new(period, config.evaluation_periods, now);
    let empty = Vec::new();
    let buckets_of = |metric: &MetricId| data.get(&metric_key(alarm, metric)).unwrap_or(&empty);
    let values: BTreeMap<i64, (f64, Option<f64>)> = match &config.metric {
        Some(metric) => {
            let stat = match (&config.statistic, &config.extended_statistic) {
                (Some(s), _) => Stat::Basic(Statistic::parse(s)?),
                (None, Some(e)) => Stat::Extended(ExtendedStatistic::parse(e)?),
                (None, None) => return None,
            };
            let unit = config.unit.as_deref().and_then(unit_index);
            periods(buckets_of(metric), unit, window.start, window.end, period)
                .into_iter()
                .filter_map(|(t, d)| stat_value(&d.samples, &stat).map(|v| (t, (v, Some(d.samples.sample_count())))))
                .collect()
        }
        None => {
            let list = config.metrics.as_ref().and_then(Value::as_array).cloned().unwrap_or_default();
            let parsed = parse_queries(&list, "Metrics").ok()?;
            let queries: Vec<MathQuery> = parsed
                .iter()
                .map(|q| {
                    let source = match &q.source {
                        Source::Stat(s) => {
                            let start = aligned(window.start, s.period);
                            let points = periods(buckets_of(&s.metric), s.unit, start, window.end, s.period)
                                .into_iter()
                                .filter_map(|(t, d)| stat_value(&d.samples, &s.stat).map(|v| (t, v)))
                                .collect();
                            QuerySource::Metric { points, period: s.period }
                        }
                        Source::Expression(e) => QuerySource::Expression(e.clone()),
                    };
                    MathQuery { id: q.id.clone(), label: q.label.clone(), source, return_data: q.return_data }
                })
                .collect();
            match evaluate_alarm_metrics(&queries, &MathContext::new(window.start, window.end, period)) {
                Ok(series) => series.points.into_iter().map(|(t, v)| (t, (v, None))).collect(),
                Err(e) => {
                    tracing::warn!("cloudwatch: alarm {} could not evaluate its metrics: {}", alarm.name, e.message);
                    return None;
                }
            }
        }
    };
    let namespace = config.metric.as_ref().map(|m| m.namespace.as_str());
    let treat = config.treat_missing_data.as_deref().and_then(TreatMissingData::parse).unwrap_or_default();
    let ignore_low_sample_percentile = match (&config.evaluate_low_sample_count_percentile, &config.extended_statistic) {
        (Some(mode), Some(e)) if mode == "ignore" => ExtendedStatistic::parse(e).and_then(|e| e.percentile()),
        _ => None,
    };
    let spec = MetricAlarmSpec {
        threshold: config.threshold,
        comparison: ComparisonOperator::parse(&config.comparison_operator)?,
        evaluation_periods: config.evaluation_periods,
        datapoints_to_alarm: config.datapoints_to_alarm,
        treat_missing_data: treat.effective_for(namespace),
        period,
        statistic: config.statistic.clone().or_else(|| config.extended_statistic.clone()),
        unit: config.unit.clone(),
        ignore_low_sample_percentile,
    };
    evaluate_metric_alarm(&spec, &window.slots(&values), now_ms)
}

impl CloudWatch {
    /// Evaluates every alarm due now; returns the transitions made (actions already run).
    pub(crate) async fn evaluate_due_alarms(&self) -> Res<Vec<Transition>> {
        let now_ms = self.clock.now_millis();
        let mut book = self.book.lock().await;
        book.ensure_loaded(&self.store)?;
        let mut metric_alarms = Vec::new();
        let mut composites = BTreeSet::new();
        for key in book.take_due(now_ms) {
            match book.get(&key) {
                Some(alarm) if alarm.is_composite() => {
                    composites.insert(key);
                }
                Some(alarm) => metric_alarms.push(alarm.clone()),
                None => {}
            }
        }
        for alarm in &metric_alarms {
            book.schedule(alarm.key(), now_ms + EVALUATION_INTERVAL_MS);
        }
        if metric_alarms.is_empty() && composites.is_empty() {
            return Ok(Vec::new());
        }
        let store = self.store.clone();
        let (metric_alarms, changes) = tokio::task::spawn_blocking(move || {
            let changes = evaluate_all(&store, &metric_alarms, now_ms);
            (metric_alarms, changes)
        })
        .await
        .map_err(|e| crate::errors::Fail(nimbus_core::ServiceError::internal(format!("alarm evaluation failed: {e}"))))?;
        let mut transitions = Vec::new();
        for (alarm, change) in metric_alarms.iter().zip(changes) {
            let Some(change) = change else { continue };
            // The alarm may have been changed or deleted while the data was read.
            let Some(current) = book.get(&alarm.key()) else { continue };
            if change.state.name() == current.state {
                continue;
            }
            let after = with_state(current, change.state.name(), change.reason, Some(change.reason_data), now_ms);
            transitions.push(Transition { before: current.clone(), after: after.clone() });
            book.insert(after, None);
        }
        let metric_transitions = transitions.clone();
        settle_composites(&mut book, composites, &metric_transitions, now_ms, &mut transitions);
        self.persist_transitions(&mut book, &transitions).await?;
        drop(book);
        self.run_actions(&transitions).await;
        Ok(transitions)
    }
}
