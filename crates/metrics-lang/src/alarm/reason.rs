//! The text (StateReason) and JSON (StateReasonData) CloudWatch records for a metric alarm's
//! state, in the shapes AWS's alarms produce:
//!
//! - `Threshold Crossed: 1 out of the last 1 datapoints [95.0 (05/12/26 10:00:00)] was greater
//!   than or equal to the threshold (90.0) (minimum 1 datapoint for OK -> ALARM transition).`
//!   when `DatapointsToAlarm` is set; `Threshold Crossed: 3 datapoints [...] were greater than
//!   the threshold (0.0).` when it is not.
//! - `... and 19 missing datapoints were treated as [NonBreaching] ...` when missing periods were
//!   filled in.
//! - `Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were
//!   treated as [Breaching].` when missing periods alone decided.
//! - `Thresholds Crossed: ... were less than the lower thresholds [a, b] or greater than the
//!   upper thresholds [c, d] ...` for anomaly bands.
//! - `Insufficient Data: 1 datapoint was unknown.`
//!
//! The datapoints listed are those that support the new state (breaching for ALARM, not
//! breaching for OK), newest first; StateReason is capped at 1,023 characters (the model's
//! limit) by listing fewer of them. The "minimum" clause names the fixed transition (OK -> ALARM
//! or ALARM -> OK) whatever the previous state, as AWS's messages do.

use super::evaluate::{Judged, MetricAlarmSpec, StateChange};
use super::{AlarmState, ComparisonOperator};
use crate::format::{iso_millis, java_double, reason_time};
use serde_json::{Map, Value, json};

/// The longest StateReason the model allows.
const MAX_REASON_LENGTH: usize = 1023;

/// What an evaluation counted: the real datapoints evaluated (oldest first), the missing
/// periods filled in (newest first) and what they counted as (`None`: not counted).
pub(crate) struct Counted {
    pub evaluated: Vec<Judged>,
    pub fillers: Vec<i64>,
    pub filler_breaching: Option<bool>,
    pub state: AlarmState,
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

fn was_were(n: usize) -> &'static str {
    if n == 1 { "was" } else { "were" }
}

pub(crate) fn describe(spec: &MetricAlarmSpec, counted: &Counted, query_time_millis: i64) -> StateChange {
    StateChange {
        state: counted.state,
        reason: reason_text(spec, counted),
        reason_data: reason_data(spec, counted, query_time_millis),
    }
}

fn reason_text(spec: &MetricAlarmSpec, counted: &Counted) -> String {
    let n = spec.evaluation_periods.max(1) as usize;
    if counted.state == AlarmState::InsufficientData {
        let unknown = counted.fillers.len();
        return format!("Insufficient Data: {} {} unknown.", plural(unknown, "datapoint"), was_were(unknown));
    }
    let alarm = counted.state == AlarmState::Alarm;
    let heading = if spec.comparison.uses_band() { "Thresholds Crossed" } else { "Threshold Crossed" };
    let missing_clause = match counted.filler_breaching {
        Some(breaching) if !counted.fillers.is_empty() => {
            let k = counted.fillers.len();
            format!(
                " and {} {} treated as [{}]",
                plural(k, "missing datapoint"),
                was_were(k),
                if breaching { "Breaching" } else { "NonBreaching" }
            )
        }
        _ => String::new(),
    };
    let supporting: Vec<&Judged> = counted.evaluated.iter().rev().filter(|j| j.breaching == alarm).collect();
    if supporting.is_empty() {
        // The filled-in periods decided on their own.
        let received = if counted.evaluated.is_empty() {
            "no datapoints were received".to_owned()
        } else {
            format!("{} {} received", plural(counted.evaluated.len(), "datapoint"), was_were(counted.evaluated.len()))
        };
        return format!("{heading}: {received} for {}{missing_clause}.", plural(n, "period"));
    }
    let explicit = spec.datapoints_to_alarm.is_some();
    let m = spec.datapoints_to_alarm.unwrap_or(spec.evaluation_periods).clamp(1, n as u32) as usize;
    let minimum_clause = if !explicit {
        String::new()
    } else if alarm {
        format!(" (minimum {} for OK -> ALARM transition)", plural(m, "datapoint"))
    } else {
        format!(" (minimum {} for ALARM -> OK transition)", plural(n - m + 1, "datapoint"))
    };
    // List as many datapoints as fit in StateReason, newest first.
    let mut listed = supporting.len();
    loop {
        let text = compose(
            spec,
            &supporting[..listed],
            supporting.len(),
            n,
            alarm,
            explicit,
            &missing_clause,
            &minimum_clause,
        );
        if text.chars().count() <= MAX_REASON_LENGTH || listed <= 1 {
            return text;
        }
        listed -= 1;
    }
}

#[allow(clippy::too_many_arguments)]
fn compose(
    spec: &MetricAlarmSpec,
    listed: &[&Judged],
    count: usize,
    n: usize,
    alarm: bool,
    explicit: bool,
    missing_clause: &str,
    minimum_clause: &str,
) -> String {
    let heading = if spec.comparison.uses_band() { "Thresholds Crossed" } else { "Threshold Crossed" };
    let points: Vec<String> =
        listed.iter().map(|j| format!("{} ({})", java_double(j.value), reason_time(j.slot.timestamp))).collect();
    let counted = if explicit { format!("{count} out of the last {n} datapoints") } else { plural(count, "datapoint") };
    let comparison = comparison_text(spec, listed, alarm);
    format!(
        "{heading}: {counted} [{}] {} {comparison}{missing_clause}{minimum_clause}.",
        points.join(", "),
        was_were(count)
    )
}

fn comparison_text(spec: &MetricAlarmSpec, listed: &[&Judged], alarm: bool) -> String {
    let not = if alarm { "" } else { "not " };
    let bounds = |pick: fn(&super::Band) -> f64| {
        let values: Vec<String> =
            listed.iter().filter_map(|j| j.slot.band.as_ref().map(|b| java_double(pick(b)))).collect();
        format!("[{}]", values.join(", "))
    };
    match spec.comparison {
        ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold => format!(
            "{not}less than the lower thresholds {} or greater than the upper thresholds {}",
            bounds(|b| b.lower),
            bounds(|b| b.upper)
        ),
        ComparisonOperator::LessThanLowerThreshold => {
            format!("{not}less than the lower thresholds {}", bounds(|b| b.lower))
        }
        ComparisonOperator::GreaterThanUpperThreshold => {
            format!("{not}greater than the upper thresholds {}", bounds(|b| b.upper))
        }
        static_operator => {
            let words = match static_operator {
                ComparisonOperator::GreaterThanOrEqualToThreshold => "greater than or equal to",
                ComparisonOperator::GreaterThanThreshold => "greater than",
                ComparisonOperator::LessThanThreshold => "less than",
                _ => "less than or equal to",
            };
            format!("{not}{words} the threshold ({})", java_double(spec.threshold.unwrap_or(0.0)))
        }
    }
}

/// StateReasonData: `{"version":"1.0","queryDate":...,"startDate":...,"unit":...,
/// "statistic":...,"period":...,"recentDatapoints":[oldest first],"threshold":...,
/// "evaluatedDatapoints":[newest first]}`, keys in AWS's order; a filled-in period appears in
/// `evaluatedDatapoints` with its timestamp only.
fn reason_data(spec: &MetricAlarmSpec, counted: &Counted, query_time_millis: i64) -> String {
    let mut data = Map::new();
    data.insert("version".into(), json!("1.0"));
    data.insert("queryDate".into(), json!(iso_millis(query_time_millis)));
    let filled: &[i64] = if counted.filler_breaching.is_some() { &counted.fillers } else { &[] };
    let oldest = counted.evaluated.iter().map(|j| j.slot.timestamp).chain(filled.iter().copied()).min();
    if let Some(oldest) = oldest.filter(|_| !counted.evaluated.is_empty()) {
        data.insert("startDate".into(), json!(iso_millis(oldest * 1000)));
    }
    if let Some(unit) = &spec.unit {
        data.insert("unit".into(), json!(unit));
    }
    if let Some(statistic) = &spec.statistic {
        data.insert("statistic".into(), json!(statistic));
    }
    data.insert("period".into(), json!(spec.period));
    data.insert("recentDatapoints".into(), Value::Array(counted.evaluated.iter().map(|j| json!(j.value)).collect()));
    if let Some(threshold) = spec.threshold.filter(|_| !spec.comparison.uses_band()) {
        data.insert("threshold".into(), json!(threshold));
    }
    let mut evaluated: Vec<(i64, Value)> = counted
        .evaluated
        .iter()
        .map(|j| {
            let mut point = Map::new();
            point.insert("timestamp".into(), json!(iso_millis(j.slot.timestamp * 1000)));
            if let Some(count) = j.slot.sample_count {
                point.insert("sampleCount".into(), json!(count));
            }
            point.insert("value".into(), json!(j.value));
            (j.slot.timestamp, Value::Object(point))
        })
        .chain(filled.iter().map(|&t| (t, json!({ "timestamp": iso_millis(t * 1000) }))))
        .collect();
    evaluated.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    if !evaluated.is_empty() {
        data.insert("evaluatedDatapoints".into(), Value::Array(evaluated.into_iter().map(|(_, v)| v).collect()));
    }
    Value::Object(data).to_string()
}
