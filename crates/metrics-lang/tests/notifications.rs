//! The SNS message an alarm action publishes, compared with messages AWS sent (account ids and
//! names replaced).

use nimbus_metrics_lang::alarm::{
    AlarmNotification, AlarmState, Dimension, NotificationMetricStat, NotificationQuery, Trigger, TriggerStatistic,
    notification_subject, region_long_name,
};
use nimbus_metrics_lang::stats::Statistic;
use time::macros::datetime;

fn millis(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn dimension(name: &str, value: &str) -> Dimension {
    Dimension { name: name.into(), value: value.into() }
}

fn metric_alarm() -> AlarmNotification {
    AlarmNotification {
        alarm_name: "busy-runners".into(),
        alarm_description: Some("Too many busy runners".into()),
        account_id: "123456789012".into(),
        configuration_updated_millis: millis(datetime!(2025-09-16 16:54:41.676 UTC)),
        new_state: AlarmState::Alarm,
        new_state_reason:
            "Threshold Crossed: 1 out of the last 1 datapoints [596.3636363636364 (16/09/25 16:58:00)] was \
                           greater than the threshold (580.0) (minimum 1 datapoint for OK -> ALARM transition)."
                .into(),
        state_change_millis: millis(datetime!(2025-09-16 16:59:17.131 UTC)),
        region: "us-east-1".into(),
        alarm_arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:busy-runners".into(),
        old_state: AlarmState::Ok,
        ok_actions: vec![],
        alarm_actions: vec!["arn:aws:sns:us-east-1:123456789012:alerts".into()],
        insufficient_data_actions: vec![],
        trigger: Trigger::Metric {
            metric_name: "runners.busy".into(),
            namespace: "ci".into(),
            statistic: TriggerStatistic::Statistic(Statistic::Average),
            unit: None,
            dimensions: vec![dimension("Org", "example"), dimension("RunnerType", "linux.2xlarge")],
        },
        period: 60,
        evaluation_periods: 1,
        datapoints_to_alarm: Some(1),
        comparison_operator: "GreaterThanThreshold".into(),
        threshold: Some(580.0),
        treat_missing_data: Some("notBreaching".into()),
        evaluate_low_sample_count_percentile: None,
    }
}

#[test]
fn metric_alarm_message() {
    assert_eq!(
        metric_alarm().message(),
        concat!(
            r#"{"AlarmName":"busy-runners","AlarmDescription":"Too many busy runners","AWSAccountId":"123456789012","#,
            r#""AlarmConfigurationUpdatedTimestamp":"2025-09-16T16:54:41.676+0000","NewStateValue":"ALARM","#,
            r#""NewStateReason":"Threshold Crossed: 1 out of the last 1 datapoints [596.3636363636364 (16/09/25 16:58:00)] was greater than the threshold (580.0) (minimum 1 datapoint for OK -> ALARM transition).","#,
            r#""StateChangeTime":"2025-09-16T16:59:17.131+0000","Region":"US East (N. Virginia)","#,
            r#""AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:busy-runners","OldStateValue":"OK","#,
            r#""OKActions":[],"AlarmActions":["arn:aws:sns:us-east-1:123456789012:alerts"],"InsufficientDataActions":[],"#,
            r#""Trigger":{"MetricName":"runners.busy","Namespace":"ci","StatisticType":"Statistic","Statistic":"AVERAGE","#,
            r#""Unit":null,"Dimensions":[{"value":"example","name":"Org"},{"value":"linux.2xlarge","name":"RunnerType"}],"#,
            r#""Period":60,"EvaluationPeriods":1,"DatapointsToAlarm":1,"ComparisonOperator":"GreaterThanThreshold","#,
            r#""Threshold":580.0,"TreatMissingData":"notBreaching","EvaluateLowSampleCountPercentile":""}}"#
        )
    );
}

#[test]
fn unset_settings_and_extended_statistics() {
    let mut alarm = metric_alarm();
    alarm.alarm_description = None;
    alarm.datapoints_to_alarm = None;
    alarm.treat_missing_data = None;
    alarm.trigger = Trigger::Metric {
        metric_name: "Latency".into(),
        namespace: "AWS/ApiGateway".into(),
        statistic: TriggerStatistic::Extended("p99".into()),
        unit: Some("Milliseconds".into()),
        dimensions: vec![],
    };
    let message: serde_json::Value = serde_json::from_str(&alarm.message()).unwrap();
    assert!(message["AlarmDescription"].is_null());
    let trigger = &message["Trigger"];
    assert_eq!(trigger["StatisticType"], "ExtendedStatistic");
    assert_eq!(trigger["ExtendedStatistic"], "p99");
    assert!(trigger.get("Statistic").is_none());
    assert_eq!(trigger["Unit"], "Milliseconds");
    assert!(trigger.get("DatapointsToAlarm").is_none(), "left out when the alarm does not set it");
    assert_eq!(trigger["TreatMissingData"], "");
}

#[test]
fn metric_math_alarm_trigger() {
    let mut alarm = metric_alarm();
    alarm.evaluation_periods = 4;
    alarm.comparison_operator = "LessThanLowerOrGreaterThanUpperThreshold".into();
    alarm.threshold = None;
    alarm.treat_missing_data = Some("missing".into());
    alarm.trigger = Trigger::Metrics {
        threshold_metric_id: Some("ad1".into()),
        queries: vec![
            NotificationQuery {
                id: "m1".into(),
                expression: None,
                label: None,
                metric_stat: Some(NotificationMetricStat {
                    namespace: "AWS/ApiGateway".into(),
                    metric_name: "Count".into(),
                    dimensions: vec![dimension("ApiName", "example")],
                    period: 60,
                    stat: "Sum".into(),
                    unit: None,
                }),
                return_data: true,
                period: None,
                account_id: None,
            },
            NotificationQuery {
                id: "ad1".into(),
                expression: Some("ANOMALY_DETECTION_BAND(m1, 1.5)".into()),
                label: Some("Count (expected)".into()),
                metric_stat: None,
                return_data: true,
                period: None,
                account_id: None,
            },
        ],
    };
    let message = alarm.message();
    let trigger = &message[message.find(r#""Trigger":"#).unwrap()..];
    assert_eq!(
        trigger,
        concat!(
            r#""Trigger":{"Period":60,"EvaluationPeriods":4,"DatapointsToAlarm":1,"#,
            r#""ComparisonOperator":"LessThanLowerOrGreaterThanUpperThreshold","ThresholdMetricId":"ad1","#,
            r#""TreatMissingData":"missing","EvaluateLowSampleCountPercentile":"","#,
            r#""Metrics":[{"Id":"m1","MetricStat":{"Metric":{"Dimensions":[{"value":"example","name":"ApiName"}],"#,
            r#""MetricName":"Count","Namespace":"AWS/ApiGateway"},"Period":60,"Stat":"Sum"},"ReturnData":true},"#,
            r#"{"Expression":"ANOMALY_DETECTION_BAND(m1, 1.5)","Id":"ad1","Label":"Count (expected)","ReturnData":true}]}}"#
        )
    );
}

#[test]
fn subjects_and_regions() {
    assert_eq!(metric_alarm().subject(), r#"ALARM: "busy-runners" in US East (N. Virginia)"#);
    assert_eq!(notification_subject(AlarmState::Ok, "test", "us-west-2"), r#"OK: "test" in US West (Oregon)"#);
    assert_eq!(region_long_name("eu-west-1"), "EU (Ireland)");
    assert_eq!(region_long_name("ap-northeast-2"), "Asia Pacific (Seoul)");
    assert_eq!(region_long_name("xx-nowhere-9"), "xx-nowhere-9");
    let long = notification_subject(AlarmState::InsufficientData, &"n".repeat(200), "us-east-1");
    assert_eq!(long.chars().count(), 100);
    assert!(long.starts_with("INSUFFICIENT_DATA: \"nnn"));
}
