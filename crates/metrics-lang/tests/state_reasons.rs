//! StateReason and StateReasonData as AWS's alarms write them: each case rebuilds an alarm
//! whose reason was published by AWS (documentation examples and alarm notifications) and
//! checks Nimbus produces the same text.

use nimbus_metrics_lang::alarm::{
    AlarmState, Band, ComparisonOperator, EvaluationSlot, MetricAlarmSpec, TreatMissingData, evaluate_metric_alarm,
};
use serde_json::{Value, json};
use time::macros::datetime;

fn spec(
    comparison: ComparisonOperator,
    threshold: f64,
    n: u32,
    m: Option<u32>,
    treat: TreatMissingData,
    period: i64,
) -> MetricAlarmSpec {
    MetricAlarmSpec {
        threshold: Some(threshold),
        comparison,
        evaluation_periods: n,
        datapoints_to_alarm: m,
        treat_missing_data: treat,
        period,
        statistic: Some("Average".into()),
        unit: None,
        ignore_low_sample_percentile: None,
    }
}

fn reason(spec: &MetricAlarmSpec, slots: &[EvaluationSlot]) -> (AlarmState, String) {
    let change = evaluate_metric_alarm(spec, slots, 0).expect("a state");
    (change.state, change.reason)
}

#[test]
fn one_out_of_one_to_alarm() {
    let t = datetime!(2026-12-05 10:00 UTC).unix_timestamp();
    let spec = spec(ComparisonOperator::GreaterThanOrEqualToThreshold, 90.0, 1, Some(1), TreatMissingData::Missing, 60);
    assert_eq!(
        reason(&spec, &[EvaluationSlot::value(t, 95.0)]),
        (
            AlarmState::Alarm,
            "Threshold Crossed: 1 out of the last 1 datapoints [95.0 (05/12/26 10:00:00)] was greater than or equal to the \
             threshold (90.0) (minimum 1 datapoint for OK -> ALARM transition)."
                .into()
        )
    );
}

#[test]
fn back_to_ok_with_reason_data() {
    // The EventBridge documentation's example alarm, back to OK.
    let t = datetime!(2019-10-01 13:46 UTC).unix_timestamp();
    let query = datetime!(2019-10-01 13:56:40.985 UTC).unix_timestamp_nanos() / 1_000_000;
    let spec = spec(ComparisonOperator::GreaterThanThreshold, 50.0, 1, Some(1), TreatMissingData::Missing, 300);
    let change = evaluate_metric_alarm(&spec, &[EvaluationSlot::value(t, 0.0666851903306472)], query as i64).unwrap();
    assert_eq!(change.state, AlarmState::Ok);
    assert_eq!(
        change.reason,
        "Threshold Crossed: 1 out of the last 1 datapoints [0.0666851903306472 (01/10/19 13:46:00)] was not greater than \
         the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition)."
    );
    let data: Value = serde_json::from_str(&change.reason_data).unwrap();
    assert_eq!(data["version"], "1.0");
    assert_eq!(data["queryDate"], "2019-10-01T13:56:40.985+0000");
    assert_eq!(data["startDate"], "2019-10-01T13:46:00.000+0000");
    assert_eq!(data["statistic"], "Average");
    assert_eq!(data["period"], 300);
    assert_eq!(data["recentDatapoints"], json!([0.0666851903306472]));
    assert_eq!(data["threshold"], json!(50.0));
}

#[test]
fn reason_data_matches_aws_byte_for_byte() {
    // An EC2 status-check alarm (DatapointsToAlarm unset), as DescribeAlarms returned it.
    let t = datetime!(2023-04-07 09:08 UTC).unix_timestamp();
    let query = (datetime!(2023-04-07 09:09:15.917 UTC).unix_timestamp_nanos() / 1_000_000) as i64;
    let mut spec = spec(ComparisonOperator::GreaterThanOrEqualToThreshold, 1.0, 1, None, TreatMissingData::Missing, 60);
    spec.statistic = Some("Minimum".into());
    spec.unit = Some("Count".into());
    let slot = EvaluationSlot { timestamp: t, value: Some(0.0), sample_count: Some(1.0), band: None };
    let change = evaluate_metric_alarm(&spec, &[slot], query).unwrap();
    assert_eq!(
        change.reason,
        "Threshold Crossed: 1 datapoint [0.0 (07/04/23 09:08:00)] was not greater than or equal to the threshold (1.0)."
    );
    assert_eq!(
        change.reason_data,
        r#"{"version":"1.0","queryDate":"2023-04-07T09:09:15.917+0000","startDate":"2023-04-07T09:08:00.000+0000","unit":"Count","statistic":"Minimum","period":60,"recentDatapoints":[0.0],"threshold":1.0,"evaluatedDatapoints":[{"timestamp":"2023-04-07T09:08:00.000+0000","sampleCount":1.0,"value":0.0}]}"#
    );
}

#[test]
fn several_datapoints_newest_first() {
    let t = |minute: i64| datetime!(2020-10-05 06:00 UTC).unix_timestamp() + minute * 60;
    let spec =
        spec(ComparisonOperator::GreaterThanOrEqualToThreshold, 10.0, 2, Some(2), TreatMissingData::Missing, 300);
    let change =
        evaluate_metric_alarm(&spec, &[EvaluationSlot::value(t(20), 10.0), EvaluationSlot::value(t(25), 10.25)], 0)
            .unwrap();
    assert_eq!(
        change.reason,
        "Threshold Crossed: 2 out of the last 2 datapoints [10.25 (05/10/20 06:25:00), 10.0 (05/10/20 06:20:00)] were \
         greater than or equal to the threshold (10.0) (minimum 2 datapoints for OK -> ALARM transition)."
    );
    let data: Value = serde_json::from_str(&change.reason_data).unwrap();
    assert_eq!(data["recentDatapoints"], json!([10.0, 10.25]), "oldest first");
    assert_eq!(data["startDate"], "2020-10-05T06:20:00.000+0000");
    assert_eq!(data["evaluatedDatapoints"][0]["timestamp"], "2020-10-05T06:25:00.000+0000", "newest first");
}

#[test]
fn m_of_n_back_to_ok_lists_the_non_breaching_datapoints() {
    let t = |minute: i64| datetime!(2023-06-02 12:00 UTC).unix_timestamp() + minute * 60;
    let spec = spec(ComparisonOperator::GreaterThanOrEqualToThreshold, 1.0, 2, Some(2), TreatMissingData::Missing, 60);
    assert_eq!(
        reason(&spec, &[EvaluationSlot::value(t(27), 1.0), EvaluationSlot::value(t(28), 0.0)]),
        (
            AlarmState::Ok,
            "Threshold Crossed: 1 out of the last 2 datapoints [0.0 (02/06/23 12:28:00)] was not greater than or equal to \
             the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition)."
                .into()
        )
    );
}

#[test]
fn without_datapoints_to_alarm_the_short_form() {
    let t = |minute: i64| datetime!(2026-08-19 05:00 UTC).unix_timestamp() + minute * 60;
    let spec = spec(ComparisonOperator::GreaterThanThreshold, 0.0, 3, None, TreatMissingData::Missing, 180);
    let slots =
        [EvaluationSlot::value(t(44), 1.0), EvaluationSlot::value(t(47), 3.0), EvaluationSlot::value(t(50), 2.0)];
    assert_eq!(
        reason(&spec, &slots).1,
        "Threshold Crossed: 3 datapoints [2.0 (19/08/26 05:50:00), 3.0 (19/08/26 05:47:00), 1.0 (19/08/26 05:44:00)] were \
         greater than the threshold (0.0)."
    );
}

#[test]
fn filled_in_periods_are_named() {
    // 8 periods, one datapoint, the other 7 treated as breaching: still OK.
    let t = |minute: i64| datetime!(2026-08-19 09:00 UTC).unix_timestamp() + minute * 60;
    let eight = spec(ComparisonOperator::LessThanOrEqualToThreshold, 0.0, 8, None, TreatMissingData::Breaching, 60);
    let mut slots: Vec<EvaluationSlot> = (0..10).map(|i| EvaluationSlot::missing(t(27 + i))).collect();
    slots[9] = EvaluationSlot::value(t(36), 2.0);
    assert_eq!(
        reason(&eight, &slots),
        (
            AlarmState::Ok,
            "Threshold Crossed: 1 datapoint [2.0 (19/08/26 09:36:00)] was not less than or equal to the threshold (0.0) and \
             7 missing datapoints were treated as [Breaching]."
                .into()
        )
    );

    // 1 out of 20 with the rest treated as not breaching.
    let t = |minute: i64| datetime!(2024-03-16 11:56 UTC).unix_timestamp() + minute * 60;
    let twenty =
        spec(ComparisonOperator::GreaterThanOrEqualToThreshold, 1.0, 20, Some(1), TreatMissingData::NotBreaching, 60);
    let mut slots: Vec<EvaluationSlot> = (0..22).map(|i| EvaluationSlot::missing(t(i))).collect();
    slots[19] = EvaluationSlot::value(t(19), 613.0);
    assert_eq!(
        reason(&twenty, &slots).1,
        "Threshold Crossed: 1 out of the last 20 datapoints [613.0 (16/03/24 12:15:00)] was greater than or equal to the \
         threshold (1.0) and 19 missing datapoints were treated as [NonBreaching] (minimum 1 datapoint for OK -> ALARM \
         transition)."
    );
}

#[test]
fn missing_periods_alone_decide() {
    let spec2 = spec(ComparisonOperator::LessThanThreshold, 1.0, 2, None, TreatMissingData::Breaching, 900);
    let slots: Vec<EvaluationSlot> = (0..4).map(|i| EvaluationSlot::missing(1_700_000_100 + i * 900)).collect();
    let change = evaluate_metric_alarm(&spec2, &slots, 0).unwrap();
    assert_eq!(change.state, AlarmState::Alarm);
    assert_eq!(
        change.reason,
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching]."
    );
    let data: Value = serde_json::from_str(&change.reason_data).unwrap();
    assert_eq!(data["recentDatapoints"], json!([]));
    assert_eq!(data["evaluatedDatapoints"].as_array().unwrap().len(), 2, "the filled-in periods, timestamps only");
    assert!(data.get("startDate").is_none());

    // One datapoint that does not breach, two missing ones that do: 2 of 3 → ALARM.
    let spec3 = spec(ComparisonOperator::GreaterThanThreshold, 0.0, 3, Some(2), TreatMissingData::Breaching, 60);
    let slots = [
        EvaluationSlot::missing(1_700_000_040),
        EvaluationSlot::missing(1_700_000_100),
        EvaluationSlot::value(1_700_000_160, 0.0),
    ];
    assert_eq!(
        reason(&spec3, &slots),
        (
            AlarmState::Alarm,
            "Threshold Crossed: 1 datapoint was received for 3 periods and 2 missing datapoints were treated as [Breaching]."
                .into()
        )
    );
}

#[test]
fn insufficient_data() {
    let spec = spec(ComparisonOperator::GreaterThanThreshold, 0.0, 1, None, TreatMissingData::Missing, 60);
    assert_eq!(
        reason(&spec, &[EvaluationSlot::missing(1_700_000_040)]),
        (AlarmState::InsufficientData, "Insufficient Data: 1 datapoint was unknown.".into())
    );
    let spec5 = MetricAlarmSpec { evaluation_periods: 5, ..spec };
    assert_eq!(
        reason(&spec5, &[EvaluationSlot::missing(1_700_000_040)]).1,
        "Insufficient Data: 5 datapoints were unknown."
    );
}

#[test]
fn anomaly_band_reason() {
    let t = |minute: i64| datetime!(2019-11-22 00:00 UTC).unix_timestamp() + minute * 60;
    let mut spec = spec(
        ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold,
        0.0,
        2,
        Some(2),
        TreatMissingData::Missing,
        300,
    );
    spec.threshold = None;
    let slot = |minute, value, lower, upper| EvaluationSlot {
        timestamp: t(minute),
        value: Some(value),
        sample_count: None,
        band: Some(Band { lower, upper }),
    };
    let slots = [
        slot(52, 27.035814838199848, 31.317673764600034, 32.68864166862828),
        slot(57, 28.244242980188464, 31.723549397187316, 33.09242087209403),
    ];
    let change = evaluate_metric_alarm(&spec, &slots, 0).unwrap();
    assert_eq!(
        change.reason,
        "Thresholds Crossed: 2 out of the last 2 datapoints [28.244242980188464 (22/11/19 00:57:00), 27.035814838199848 \
         (22/11/19 00:52:00)] were less than the lower thresholds [31.723549397187316, 31.317673764600034] or greater than \
         the upper thresholds [33.09242087209403, 32.68864166862828] (minimum 2 datapoints for OK -> ALARM transition)."
    );
    let data: Value = serde_json::from_str(&change.reason_data).unwrap();
    assert!(data.get("threshold").is_none(), "bands have no single threshold");
}

#[test]
fn long_reasons_fit_the_state_reason_limit() {
    let spec = spec(ComparisonOperator::GreaterThanThreshold, 0.0, 100, Some(100), TreatMissingData::Missing, 60);
    let slots: Vec<EvaluationSlot> =
        (0..100).map(|i| EvaluationSlot::value(1_700_000_040 + i * 60, 123.456789)).collect();
    let change = evaluate_metric_alarm(&spec, &slots, 0).unwrap();
    assert_eq!(change.state, AlarmState::Alarm);
    assert!(change.reason.chars().count() <= 1023, "{}", change.reason.len());
    assert!(change.reason.starts_with("Threshold Crossed: 100 out of the last 100 datapoints [123.456789 ("));
    assert!(change.reason.ends_with("(minimum 100 datapoints for OK -> ALARM transition)."));
}
