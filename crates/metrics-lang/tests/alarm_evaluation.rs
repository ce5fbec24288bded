//! Metric alarm evaluation against the two tables of "How alarm state is evaluated when data is
//! missing" (AWS CloudWatch user guide): five retrieved periods, oldest first, `0` not
//! breaching, `X` breaching, `-` missing.

use nimbus_metrics_lang::alarm::{
    AlarmState, ComparisonOperator, EvaluationSlot, MetricAlarmSpec, TreatMissingData, evaluate_metric_alarm,
};

const PERIOD: i64 = 300;
const START: i64 = 1_700_000_100;

/// What a table cell says: a state, or "Retain current state" (`None`).
type Expected = Option<AlarmState>;
const OK: Expected = Some(AlarmState::Ok);
const ALARM: Expected = Some(AlarmState::Alarm);
const INSUFFICIENT: Expected = Some(AlarmState::InsufficientData);
const RETAIN: Expected = None;

fn slots(pattern: &str) -> Vec<EvaluationSlot> {
    pattern
        .split_whitespace()
        .enumerate()
        .map(|(i, cell)| {
            let timestamp = START + i as i64 * PERIOD;
            match cell {
                "0" => EvaluationSlot::value(timestamp, 5.0),
                "X" => EvaluationSlot::value(timestamp, 50.0),
                "-" => EvaluationSlot::missing(timestamp),
                other => panic!("bad cell {other}"),
            }
        })
        .collect()
}

fn spec(evaluation_periods: u32, datapoints_to_alarm: u32, treat: TreatMissingData) -> MetricAlarmSpec {
    MetricAlarmSpec {
        threshold: Some(10.0),
        comparison: ComparisonOperator::GreaterThanThreshold,
        evaluation_periods,
        datapoints_to_alarm: Some(datapoints_to_alarm),
        treat_missing_data: treat,
        period: PERIOD,
        statistic: Some("Average".into()),
        unit: None,
        ignore_low_sample_percentile: None,
    }
}

/// Checks one table row: the expected state under MISSING, IGNORE, BREACHING, NOT BREACHING.
fn row(n: u32, m: u32, pattern: &str, expected: [Expected; 4]) {
    let treatments = [
        TreatMissingData::Missing,
        TreatMissingData::Ignore,
        TreatMissingData::Breaching,
        TreatMissingData::NotBreaching,
    ];
    for (treat, expected) in treatments.into_iter().zip(expected) {
        let got = evaluate_metric_alarm(&spec(n, m, treat), &slots(pattern), 0).map(|c| c.state);
        assert_eq!(got, expected, "{m} of {n}, {pattern:?}, {treat:?}");
    }
}

#[test]
fn three_out_of_three() {
    row(3, 3, "0 - X - X", [OK, OK, OK, OK]);
    row(3, 3, "0 - - - -", [OK, OK, OK, OK]);
    row(3, 3, "- - - - -", [INSUFFICIENT, RETAIN, ALARM, OK]);
    row(3, 3, "0 X X - X", [ALARM, ALARM, ALARM, ALARM]);
    row(3, 3, "- - - - X", [INSUFFICIENT, RETAIN, ALARM, OK]);
    row(3, 3, "X - - - -", [ALARM, RETAIN, ALARM, OK]);
}

#[test]
fn two_out_of_three() {
    row(3, 2, "0 - X - X", [ALARM, ALARM, ALARM, ALARM]);
    row(3, 2, "0 0 X 0 X", [ALARM, ALARM, ALARM, ALARM]);
    row(3, 2, "0 - X - -", [OK, OK, ALARM, OK]);
    row(3, 2, "- - - - 0", [OK, OK, ALARM, OK]);
    row(3, 2, "- - - - X", [INSUFFICIENT, RETAIN, ALARM, OK]);
}

#[test]
fn full_data_uses_only_the_most_recent_periods() {
    // The breaching datapoint is older than the last three: OK whatever the treatment.
    row(3, 1, "X 0 0 0 0", [OK, OK, OK, OK]);
    row(3, 1, "0 0 X 0 0", [ALARM, ALARM, ALARM, ALARM]);
}

#[test]
fn explanations_of_the_table() {
    // "The next time this alarm is evaluated, if the data is still missing it will go to ALARM,
    // as that non-breaching data point will no longer be among the 5 most recent".
    let breaching = spec(3, 3, TreatMissingData::Breaching);
    assert_eq!(evaluate_metric_alarm(&breaching, &slots("0 - - - -"), 0).unwrap().state, AlarmState::Ok);
    assert_eq!(evaluate_metric_alarm(&breaching, &slots("- - - - -"), 0).unwrap().state, AlarmState::Alarm);
}

#[test]
fn low_sample_percentile_alarms_wait_for_enough_samples() {
    let mut p99 = spec(1, 1, TreatMissingData::Missing);
    p99.ignore_low_sample_percentile = Some(99.0);
    let mut few = slots("X");
    few[0].sample_count = Some(10.0);
    assert_eq!(evaluate_metric_alarm(&p99, &few, 0), None, "fewer than 1000 samples: no change");
    few[0].sample_count = Some(1000.0);
    assert_eq!(evaluate_metric_alarm(&p99, &few, 0).unwrap().state, AlarmState::Alarm);
}

#[test]
fn unusable_periods_count_as_missing() {
    // A band operator without a band for the period cannot judge it.
    let mut band_spec = spec(1, 1, TreatMissingData::Missing);
    band_spec.comparison = ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold;
    band_spec.threshold = None;
    let got = evaluate_metric_alarm(&band_spec, &slots("X"), 0).unwrap();
    assert_eq!(got.state, AlarmState::InsufficientData);
    assert_eq!(got.reason, "Insufficient Data: 1 datapoint was unknown.");
}

/// Property: with no missing data the outcome is the plain M-of-N count over the last N
/// periods, and the treatment of missing data never matters.
#[test]
fn complete_data_is_m_of_n() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..2000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let n = (seed % 6 + 1) as u32;
        let m = ((seed >> 8) % u64::from(n) + 1) as u32;
        let range = n as usize + 2;
        let pattern: Vec<&str> = (0..range).map(|i| if (seed >> (16 + i)) & 1 == 1 { "X" } else { "0" }).collect();
        let breaching = pattern[range - n as usize..].iter().filter(|c| **c == "X").count() as u32;
        let expected = if breaching >= m { AlarmState::Alarm } else { AlarmState::Ok };
        for treat in [TreatMissingData::Missing, TreatMissingData::Ignore, TreatMissingData::Breaching] {
            let got = evaluate_metric_alarm(&spec(n, m, treat), &slots(&pattern.join(" ")), 0).unwrap().state;
            assert_eq!(got, expected, "{m} of {n}: {pattern:?}");
        }
    }
}
