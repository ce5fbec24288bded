//! One evaluation of a metric alarm, following "How alarm state is evaluated when data is
//! missing" in AWS's alarm guide:
//!
//! - CloudWatch looks at more periods than `EvaluationPeriods` (the evaluation range).
//! - With at least `EvaluationPeriods` real datapoints in the range, the most recent that many
//!   are evaluated and missing data does not matter.
//! - With fewer, the real ones (however old, within the range) are evaluated together with as
//!   few missing periods as make up `EvaluationPeriods`, those counting as the treatment says.
//! - The alarm goes to ALARM when at least `DatapointsToAlarm` evaluated points breach, else OK.
//!
//! `missing` and `ignore` do not count missing periods either way. The guide's tables then
//! give: OK as soon as a real datapoint does not breach; ALARM when enough real ones breach; and
//! when only breaching datapoints exist but fewer than `DatapointsToAlarm`, INSUFFICIENT_DATA
//! (`missing`) or the current state (`ignore`), except that `missing` goes to ALARM when the
//! metric stopped reporting before the newest period (the guide's "X - - - -" row: CloudWatch
//! keeps re-evaluating the last datapoints it has after a metric stops). With no datapoint at
//! all, `missing` gives INSUFFICIENT_DATA and `ignore` keeps the state.

use super::reason::{self, Counted};
use super::{AlarmState, ComparisonOperator, TreatMissingData};
use crate::error::{Error, Result};
use crate::stats::MAX_ALARM_EVALUATION_SECONDS;

/// An anomaly detection band's bounds for one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    pub lower: f64,
    pub upper: f64,
}

/// One period of the evaluation range: its start and, if data arrived, the statistic's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvaluationSlot {
    pub timestamp: i64,
    pub value: Option<f64>,
    /// The period's sample count (StateReasonData's `sampleCount`; the low-sample rule).
    pub sample_count: Option<f64>,
    /// The band for anomaly detection alarms; a period without one counts as missing.
    pub band: Option<Band>,
}

impl EvaluationSlot {
    pub fn missing(timestamp: i64) -> EvaluationSlot {
        EvaluationSlot { timestamp, value: None, sample_count: None, band: None }
    }

    pub fn value(timestamp: i64, value: f64) -> EvaluationSlot {
        EvaluationSlot { timestamp, value: Some(value), sample_count: None, band: None }
    }
}

/// The alarm settings evaluation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricAlarmSpec {
    /// `Threshold`; `None` for anomaly detection alarms.
    pub threshold: Option<f64>,
    pub comparison: ComparisonOperator,
    pub evaluation_periods: u32,
    /// `DatapointsToAlarm` as configured; `None` means equal to `EvaluationPeriods`, and also
    /// selects AWS's shorter reason text (no "out of the last", no "minimum" clause).
    pub datapoints_to_alarm: Option<u32>,
    /// Already adjusted with [`TreatMissingData::effective_for`].
    pub treat_missing_data: TreatMissingData,
    pub period: i64,
    /// The statistic's name for StateReasonData (`Average`, `p99`); `None` for metric math.
    pub statistic: Option<String>,
    pub unit: Option<String>,
    /// The percentile (0-100) when the alarm is on a percentile with
    /// `EvaluateLowSampleCountPercentile` = `ignore`.
    pub ignore_low_sample_percentile: Option<f64>,
}

impl MetricAlarmSpec {
    fn datapoints_needed(&self) -> u32 {
        self.datapoints_to_alarm.unwrap_or(self.evaluation_periods).clamp(1, self.evaluation_periods.max(1))
    }
}

/// A new state with the reason CloudWatch records for it.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    pub state: AlarmState,
    /// `StateReason` / `NewStateReason`.
    pub reason: String,
    /// `StateReasonData` (JSON text).
    pub reason_data: String,
}

/// Periods of data to retrieve for an evaluation: AWS retrieves more than `EvaluationPeriods`
/// without saying how many; its guide's examples use 5 for 3, so Nimbus uses two extra.
pub fn evaluation_range_periods(evaluation_periods: u32) -> u32 {
    evaluation_periods.saturating_add(2)
}

/// PutMetricAlarm's checks of the evaluation settings.
pub fn validate_evaluation_settings(
    period: i64,
    evaluation_periods: u32,
    datapoints_to_alarm: Option<u32>,
) -> Result<()> {
    if datapoints_to_alarm.is_some_and(|m| m > evaluation_periods) {
        return Err(Error::validation("DatapointsToAlarm must be less than or equal to EvaluationPeriods."));
    }
    if period.saturating_mul(i64::from(evaluation_periods)) > MAX_ALARM_EVALUATION_SECONDS {
        return Err(Error::validation(
            "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400).",
        ));
    }
    Ok(())
}

/// The fewest samples a period needs before a percentile alarm with
/// `EvaluateLowSampleCountPercentile` = `ignore` trusts it: 10/(1-p) for p from 0.5 to 1,
/// 10/p below. p0 and p100 (minimum and maximum) need no minimum.
pub fn low_sample_count_minimum(percentile: f64) -> Option<f64> {
    let p = percentile / 100.0;
    if p <= 0.0 || p >= 1.0 {
        None
    } else if p >= 0.5 {
        Some(10.0 / (1.0 - p))
    } else {
        Some(10.0 / p)
    }
}

/// A datapoint that takes part in the evaluation and whether it breaches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Judged {
    pub slot: EvaluationSlot,
    pub value: f64,
    pub breaching: bool,
}

/// Evaluates the alarm over `slots` (the evaluation range, oldest first, one per period; see
/// [`evaluation_range_periods`]). `None` means the alarm keeps its current state and reason
/// (`ignore` with too little data, or too few samples for a percentile set to `ignore`).
/// `query_time_millis` is when the evaluation runs (StateReasonData's `queryDate`).
pub fn evaluate_metric_alarm(
    spec: &MetricAlarmSpec,
    slots: &[EvaluationSlot],
    query_time_millis: i64,
) -> Option<StateChange> {
    let n = spec.evaluation_periods.max(1) as usize;
    let m = spec.datapoints_needed() as usize;
    let real: Vec<Judged> = slots.iter().filter_map(|slot| judge(spec, slot)).collect();

    if let Some(percentile) = spec.ignore_low_sample_percentile
        && let Some(minimum) = low_sample_count_minimum(percentile)
    {
        let recent = &real[real.len().saturating_sub(n)..];
        if recent.iter().any(|j| j.slot.sample_count.is_some_and(|c| c < minimum)) {
            return None;
        }
    }

    let counted = if real.len() >= n {
        let evaluated = real[real.len() - n..].to_vec();
        let breaching = evaluated.iter().filter(|j| j.breaching).count();
        Counted { evaluated, fillers: Vec::new(), filler_breaching: None, state: state_for(breaching >= m) }
    } else {
        let fillers = missing_timestamps(slots, &real, n - real.len());
        let breaching_real = real.iter().filter(|j| j.breaching).count();
        let good_real = real.len() - breaching_real;
        match spec.treat_missing_data {
            TreatMissingData::Breaching | TreatMissingData::NotBreaching => {
                let fill_breaches = spec.treat_missing_data == TreatMissingData::Breaching;
                let breaching = breaching_real + if fill_breaches { fillers.len() } else { 0 };
                Counted {
                    evaluated: real,
                    fillers,
                    filler_breaching: Some(fill_breaches),
                    state: state_for(breaching >= m),
                }
            }
            TreatMissingData::Missing | TreatMissingData::Ignore => {
                let state = if breaching_real >= m {
                    Some(AlarmState::Alarm)
                } else if good_real > 0 {
                    Some(AlarmState::Ok)
                } else if spec.treat_missing_data == TreatMissingData::Ignore {
                    None
                } else if breaching_real > 0 && slots.last().is_some_and(|s| judge(spec, s).is_none()) {
                    // The metric stopped reporting: its last datapoints are re-evaluated.
                    Some(AlarmState::Alarm)
                } else {
                    Some(AlarmState::InsufficientData)
                };
                let state = state?;
                Counted { evaluated: real, fillers, filler_breaching: None, state }
            }
        }
    };
    Some(reason::describe(spec, &counted, query_time_millis))
}

fn state_for(alarm: bool) -> AlarmState {
    if alarm { AlarmState::Alarm } else { AlarmState::Ok }
}

/// The slot as a datapoint, if it has data that can be compared (a band operator needs a band).
fn judge(spec: &MetricAlarmSpec, slot: &EvaluationSlot) -> Option<Judged> {
    let value = slot.value.filter(|v| v.is_finite())?;
    let breaching = if spec.comparison.uses_band() {
        spec.comparison.breaches_band(value, slot.band?)
    } else {
        spec.comparison.breaches_threshold(value, spec.threshold?)
    };
    Some(Judged { slot: *slot, value, breaching })
}

/// Timestamps of the `count` most recent periods without a usable datapoint, newest first.
fn missing_timestamps(slots: &[EvaluationSlot], real: &[Judged], count: usize) -> Vec<i64> {
    let mut missing: Vec<i64> = slots
        .iter()
        .rev()
        .map(|s| s.timestamp)
        .filter(|t| !real.iter().any(|j| j.slot.timestamp == *t))
        .take(count)
        .collect();
    // Periods older than the range stand in when the range itself is too short.
    let period = slots.windows(2).map(|w| w[1].timestamp - w[0].timestamp).next().unwrap_or(60).max(1);
    let mut oldest = slots.first().map_or(0, |s| s.timestamp);
    while missing.len() < count {
        oldest -= period;
        missing.push(oldest);
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_checks() {
        assert!(validate_evaluation_settings(60, 5, Some(3)).is_ok());
        assert_eq!(
            validate_evaluation_settings(60, 2, Some(3)).unwrap_err().message,
            "DatapointsToAlarm must be less than or equal to EvaluationPeriods."
        );
        assert!(validate_evaluation_settings(3600, 24, None).is_ok());
        assert!(validate_evaluation_settings(3600, 25, None).is_err());
    }

    #[test]
    fn low_sample_minimums() {
        assert_eq!(low_sample_count_minimum(99.0).map(f64::round), Some(1000.0));
        assert_eq!(low_sample_count_minimum(10.0).map(f64::round), Some(100.0));
        assert_eq!(low_sample_count_minimum(50.0), Some(20.0));
        assert_eq!(low_sample_count_minimum(100.0), None);
        assert_eq!(evaluation_range_periods(3), 5);
    }
}
