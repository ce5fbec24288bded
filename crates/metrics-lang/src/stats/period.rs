//! Periods and time ranges: which periods are valid, how StartTime is rounded, how stored
//! samples fall into requested periods, and the checks PutMetricData and GetMetricStatistics
//! apply to their numbers. Times are Unix seconds unless a name says milliseconds.

use super::samples::SampleSet;
use crate::error::{Error, ErrorKind, Result};
use std::collections::BTreeMap;

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// The most datapoints one GetMetricStatistics call may return.
pub const MAX_DATAPOINTS_PER_CALL: i64 = 1440;
/// `Period × EvaluationPeriods` may not exceed one day.
pub const MAX_ALARM_EVALUATION_SECONDS: i64 = DAY;
/// PutMetricData refuses values outside ±2^360.
pub const MAX_VALUE_MAGNITUDE: f64 = 2.348_542_582_773_833_2e108;

/// A query period (GetMetricStatistics, MetricStat): 1, 5, 10, 20, 30 (high resolution) or a
/// positive multiple of 60. AWS's documents list 1/5/10/30 in one place and 5/10/20/30 in
/// another; every one of them is accepted.
pub fn validate_query_period(period: i64) -> Result<()> {
    if matches!(period, 1 | 5 | 10 | 20 | 30) || (period > 0 && period % MINUTE == 0) {
        Ok(())
    } else {
        Err(Error::invalid_value("The parameter Period must be a multiple of 60."))
    }
}

/// An alarm's period: 10, 20, 30 (high-resolution alarms) or a positive multiple of 60.
pub fn validate_alarm_period(period: i64) -> Result<()> {
    if matches!(period, 10 | 20 | 30) || (period > 0 && period % MINUTE == 0) {
        Ok(())
    } else {
        Err(Error::validation("The value of Period must be 10, 30, or a multiple of 60."))
    }
}

/// StartTime must come before EndTime.
pub fn validate_time_range(start: i64, end: i64) -> Result<()> {
    if start < end {
        Ok(())
    } else {
        Err(Error::invalid_value("The parameter StartTime must be less than the parameter EndTime."))
    }
}

/// How many periods `[start, end)` spans (a partial last period counts).
pub fn datapoints_requested(start: i64, end: i64, period: i64) -> i64 {
    if end <= start || period <= 0 { 0 } else { (end - start + period - 1) / period }
}

/// GetMetricStatistics' 1,440-datapoint limit, with AWS's wording.
pub fn validate_datapoint_limit(start: i64, end: i64, period: i64) -> Result<()> {
    let requested = datapoints_requested(start, end, period);
    if requested <= MAX_DATAPOINTS_PER_CALL {
        return Ok(());
    }
    Err(Error::invalid_value(format!(
        "You have requested up to {} datapoints, which exceeds the limit of {}. You may reduce the datapoints requested by \
         increasing Period, or decreasing the time range.",
        thousands(requested),
        thousands(MAX_DATAPOINTS_PER_CALL)
    )))
}

fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// StartTime as CloudWatch rounds it, by how old it is at `now`: a high-resolution period
/// (under a minute) rounds down to a multiple of itself; otherwise less than 15 days old rounds
/// down to the minute, 15 to 63 days to 5 minutes, older to the hour.
pub fn round_start_time(start: i64, now: i64, period: i64) -> i64 {
    let age = now - start;
    let unit = if period > 0 && period < MINUTE {
        period
    } else if age < 15 * DAY {
        MINUTE
    } else if age <= 63 * DAY {
        5 * MINUTE
    } else {
        HOUR
    };
    start - start.rem_euclid(unit)
}

/// Whether data at `start` can still be served at `period` given retention: older than 3 hours
/// needs a multiple of 60, older than 15 days a multiple of 300, older than 63 days a multiple
/// of 3600. AWS returns no datapoints (not an error) otherwise.
pub fn period_available(start: i64, now: i64, period: i64) -> bool {
    let age = now - start;
    let needed = if age > 63 * DAY {
        HOUR
    } else if age > 15 * DAY {
        5 * MINUTE
    } else if age > 3 * HOUR {
        MINUTE
    } else {
        1
    };
    period > 0 && period % needed == 0
}

/// The bucket a sample's timestamp (milliseconds) is stored under: the second for
/// high-resolution metrics (`StorageResolution` 1), the minute otherwise.
pub fn storage_timestamp(timestamp_millis: i64, storage_resolution: i64) -> i64 {
    let seconds = timestamp_millis.div_euclid(1000);
    if storage_resolution == 1 { seconds } else { seconds - seconds.rem_euclid(MINUTE) }
}

/// The start of the period containing `timestamp`, periods counted from `start`.
pub fn period_start(timestamp: i64, start: i64, period: i64) -> i64 {
    start + (timestamp - start).div_euclid(period) * period
}

/// Combines stored sample sets into the requested periods of `[start, end)`: each period's set
/// merges every stored set whose timestamp falls in it. Periods without data are absent, as
/// GetMetricStatistics omits them.
pub fn aggregate<'a>(
    stored: impl IntoIterator<Item = (i64, &'a SampleSet)>,
    start: i64,
    end: i64,
    period: i64,
) -> BTreeMap<i64, SampleSet> {
    let mut periods: BTreeMap<i64, SampleSet> = BTreeMap::new();
    if period <= 0 {
        return periods;
    }
    for (timestamp, samples) in stored {
        if timestamp < start || timestamp >= end || samples.is_empty() {
            continue;
        }
        periods.entry(period_start(timestamp, start, period)).or_default().merge(samples);
    }
    periods
}

/// PutMetricData's checks of one datum's numbers, `member` being its 1-based index. Values and
/// statistic-set members must be finite and within ±2^360; `Values` and `Counts` must pair up;
/// `Value`, `Values` and `StatisticValues` exclude one another; a statistic set's Maximum may
/// not be below its Minimum.
pub fn validate_datum_values(
    member: usize,
    value: Option<f64>,
    values: Option<&[f64]>,
    counts: Option<&[f64]>,
    statistic_values: Option<&super::samples::StatisticSet>,
) -> Result<()> {
    let prefix = format!("MetricData.member.{member}");
    let given =
        [("Value", value.is_some()), ("Values", values.is_some()), ("StatisticValues", statistic_values.is_some())];
    let present: Vec<&str> = given.iter().filter(|(_, p)| *p).map(|(n, _)| *n).collect();
    if present.len() > 1 {
        return Err(Error::new(
            ErrorKind::InvalidParameterCombination,
            format!(
                "The parameters {prefix}.{} and {prefix}.{} are mutually exclusive and you have specified both.",
                present[0], present[1]
            ),
        ));
    }
    let check = |name: String, v: f64| -> Result<()> {
        if v.is_finite() && v.abs() <= MAX_VALUE_MAGNITUDE {
            Ok(())
        } else {
            Err(Error::invalid_value(format!(
                "The value {} for parameter {name} is not valid.",
                crate::format::java_double(v)
            )))
        }
    };
    if let Some(v) = value {
        check(format!("{prefix}.Value"), v)?;
    }
    if let Some(values) = values {
        for (i, &v) in values.iter().enumerate() {
            check(format!("{prefix}.Values.member.{}", i + 1), v)?;
        }
    }
    if let Some(counts) = counts {
        if values.is_none_or(|v| v.len() != counts.len()) {
            return Err(Error::invalid_value(format!(
                "The parameters {prefix}.Values and {prefix}.Counts must be of the same size."
            )));
        }
        for (i, &c) in counts.iter().enumerate() {
            if c < 0.0 {
                return Err(Error::invalid_value(format!(
                    "The value {} for parameter {prefix}.Counts.member.{} is not valid.",
                    crate::format::java_double(c),
                    i + 1
                )));
            }
            check(format!("{prefix}.Counts.member.{}", i + 1), c)?;
        }
    }
    if let Some(set) = statistic_values {
        for (name, v) in
            [("SampleCount", set.sample_count), ("Sum", set.sum), ("Minimum", set.minimum), ("Maximum", set.maximum)]
        {
            check(format!("{prefix}.StatisticValues.{name}"), v)?;
        }
        if set.maximum < set.minimum {
            return Err(Error::invalid_value(format!(
                "The parameter {prefix}.StatisticValues.Maximum must be greater than {prefix}.StatisticValues.Minimum."
            )));
        }
    }
    Ok(())
}

/// `Values`/`Counts` pairing alone, for callers that validate arrays separately.
pub fn validate_values_and_counts(member: usize, values: &[f64], counts: Option<&[f64]>) -> Result<()> {
    validate_datum_values(member, None, Some(values), counts, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        for ok in [1, 5, 10, 20, 30, 60, 300, 3600, 86_400] {
            assert!(validate_query_period(ok).is_ok(), "{ok}");
        }
        for bad in [0, -60, 2, 45, 90, 61] {
            let error = validate_query_period(bad).unwrap_err();
            assert_eq!(error.message, "The parameter Period must be a multiple of 60.");
        }
        assert!(validate_alarm_period(10).is_ok());
        assert!(validate_alarm_period(120).is_ok());
        assert_eq!(
            validate_alarm_period(5).unwrap_err().message,
            "The value of Period must be 10, 30, or a multiple of 60."
        );
    }

    #[test]
    fn datapoint_limit_wording() {
        assert!(validate_datapoint_limit(0, 1440 * 60, 60).is_ok());
        let error = validate_datapoint_limit(0, 1441 * 60, 60).unwrap_err();
        assert_eq!(
            error.message,
            "You have requested up to 1,441 datapoints, which exceeds the limit of 1,440. You may reduce the datapoints \
             requested by increasing Period, or decreasing the time range."
        );
    }

    #[test]
    fn start_time_rounding_follows_age() {
        let now = 100 * DAY;
        // 12:32:34 on some day.
        let t = |days_ago: i64| now - days_ago * DAY + 12 * HOUR + 32 * MINUTE + 34 - now % DAY;
        let day_start = |days_ago: i64| now - days_ago * DAY - now % DAY;
        assert_eq!(round_start_time(t(1), now, 60), day_start(1) + 12 * HOUR + 32 * MINUTE);
        assert_eq!(round_start_time(t(20), now, 300), day_start(20) + 12 * HOUR + 30 * MINUTE);
        assert_eq!(round_start_time(t(70), now, 3600), day_start(70) + 12 * HOUR);
        // 01:05:23 with a 10-second period → 01:05:20; 15:02:17 with 5 seconds → 15:02:15.
        assert_eq!(round_start_time(HOUR + 5 * MINUTE + 23, 2 * HOUR, 10), HOUR + 5 * MINUTE + 20);
        assert_eq!(round_start_time(15 * HOUR + 2 * MINUTE + 17, 16 * HOUR, 5), 15 * HOUR + 2 * MINUTE + 15);
    }

    #[test]
    fn retention_decides_which_periods_have_data() {
        let now = 100 * DAY;
        assert!(period_available(now - HOUR, now, 10));
        assert!(!period_available(now - 4 * HOUR, now, 10));
        assert!(period_available(now - 4 * HOUR, now, 60));
        assert!(!period_available(now - 20 * DAY, now, 60));
        assert!(period_available(now - 20 * DAY, now, 600));
        assert!(!period_available(now - 70 * DAY, now, 300));
        assert!(period_available(now - 70 * DAY, now, 7200));
    }

    #[test]
    fn buckets() {
        assert_eq!(storage_timestamp(90_500, 60), 60);
        assert_eq!(storage_timestamp(90_500, 1), 90);
        let mut a = SampleSet::new();
        a.add_value(1.0);
        let mut b = SampleSet::new();
        b.add_value(3.0);
        let stored = [(0, &a), (60, &b), (300, &a), (600, &b)];
        let periods = aggregate(stored, 0, 600, 300);
        assert_eq!(periods.keys().copied().collect::<Vec<_>>(), vec![0, 300]);
        assert_eq!(periods[&0].sum(), 4.0);
        assert_eq!(periods[&300].sum(), 1.0);
    }

    #[test]
    fn datum_checks() {
        assert!(validate_datum_values(1, Some(1.0), None, None, None).is_ok());
        let both = validate_datum_values(2, Some(1.0), Some(&[1.0]), None, None).unwrap_err();
        assert_eq!(both.code(), "InvalidParameterCombination");
        assert_eq!(
            both.message,
            "The parameters MetricData.member.2.Value and MetricData.member.2.Values are mutually exclusive and you have \
             specified both."
        );
        let sizes = validate_values_and_counts(1, &[1.0, 2.0], Some(&[1.0])).unwrap_err();
        assert_eq!(
            sizes.message,
            "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size."
        );
        let nan = validate_datum_values(1, Some(f64::NAN), None, None, None).unwrap_err();
        assert_eq!(nan.message, "The value NaN for parameter MetricData.member.1.Value is not valid.");
        assert!(validate_datum_values(1, Some(1e109), None, None, None).is_err());
        assert_eq!(MAX_VALUE_MAGNITUDE, 2f64.powi(360));
        let set = super::super::samples::StatisticSet { sample_count: 2.0, sum: 3.0, minimum: 2.0, maximum: 1.0 };
        let inverted = validate_datum_values(1, None, None, None, Some(&set)).unwrap_err();
        assert_eq!(
            inverted.message,
            "The parameter MetricData.member.1.StatisticValues.Maximum must be greater than \
             MetricData.member.1.StatisticValues.Minimum."
        );
    }
}
