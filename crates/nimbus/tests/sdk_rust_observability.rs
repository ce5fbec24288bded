//! aws-sdk-rust's CloudWatch client (it speaks smithy-rpc-v2-cbor) and CloudWatch Logs client
//! (awsJson 1.1) against the real binary: metrics with dimensions and statistics, metric math,
//! an alarm's state and history; log events written, filtered and read back.

mod common;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, DimensionFilter, Metric, MetricDataQuery, MetricDatum, MetricStat, StandardUnit,
    StateValue, Statistic,
};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use common::Nimbus;

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn cloudwatch_metrics_over_cbor() {
    let nimbus = Nimbus::start(&[]);
    let cw = aws_sdk_cloudwatch::Client::new(&nimbus.default_config().await);
    // Whole minutes back, so every datapoint falls in one 60-second period.
    let minute = (now_secs() / 60 - 2) * 60;
    let at = DateTime::from_secs(minute + 10);
    let host = Dimension::builder().name("Host").value("web-1").build();
    cw.put_metric_data()
        .namespace("Nimbus/Test")
        .metric_data(MetricDatum::builder().metric_name("Latency").dimensions(host.clone()).timestamp(at).value(100.0).unit(StandardUnit::Milliseconds).build())
        .metric_data(
            MetricDatum::builder()
                .metric_name("Latency")
                .dimensions(host.clone())
                .timestamp(at)
                .values(200.0)
                .values(400.0)
                .counts(1.0)
                .counts(2.0)
                .unit(StandardUnit::Milliseconds)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let stats = cw
        .get_metric_statistics()
        .namespace("Nimbus/Test")
        .metric_name("Latency")
        .dimensions(host.clone())
        .start_time(DateTime::from_secs(minute))
        .end_time(DateTime::from_secs(minute + 60))
        .period(60)
        .statistics(Statistic::Sum)
        .statistics(Statistic::SampleCount)
        .statistics(Statistic::Maximum)
        .statistics(Statistic::Average)
        .send()
        .await
        .unwrap();
    let point = &stats.datapoints()[0];
    assert_eq!(stats.datapoints().len(), 1);
    // 100 + 200 + 2 × 400 over four samples.
    assert_eq!((point.sum(), point.sample_count(), point.maximum(), point.average()), (Some(1100.0), Some(4.0), Some(400.0), Some(275.0)));
    assert_eq!(point.unit().map(|u| u.as_str()), Some("Milliseconds"));

    // Without the dimension it is another metric, with no data.
    let none = cw
        .get_metric_statistics()
        .namespace("Nimbus/Test")
        .metric_name("Latency")
        .start_time(DateTime::from_secs(minute))
        .end_time(DateTime::from_secs(minute + 60))
        .period(60)
        .statistics(Statistic::Sum)
        .send()
        .await
        .unwrap();
    assert!(none.datapoints().is_empty());

    let listed = cw
        .list_metrics()
        .namespace("Nimbus/Test")
        .dimensions(DimensionFilter::builder().name("Host").build())
        .send()
        .await
        .unwrap();
    assert_eq!(listed.metrics().len(), 1);
    assert_eq!(listed.metrics()[0].metric_name(), Some("Latency"));

    // Metric math on the same series.
    let metric = Metric::builder().namespace("Nimbus/Test").metric_name("Latency").dimensions(host.clone()).build();
    let data = cw
        .get_metric_data()
        .start_time(DateTime::from_secs(minute))
        .end_time(DateTime::from_secs(minute + 60))
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("m1")
                .metric_stat(MetricStat::builder().metric(metric).period(60).stat("Sum").build())
                .return_data(false)
                .build(),
        )
        .metric_data_queries(MetricDataQuery::builder().id("doubled").expression("m1 * 2").build())
        .send()
        .await
        .unwrap();
    let results = data.metric_data_results();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].id(), Some("doubled"));
    assert_eq!(results[0].values(), &[2200.0]);

    // An alarm starts with insufficient data; setting its state is recorded in its history.
    cw.put_metric_alarm()
        .alarm_name("slow")
        .namespace("Nimbus/Test")
        .metric_name("Latency")
        .dimensions(host)
        .statistic(Statistic::Average)
        .period(60)
        .evaluation_periods(1)
        .threshold(250.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    let alarms = cw.describe_alarms().alarm_names("slow").send().await.unwrap();
    assert_eq!(alarms.metric_alarms()[0].state_value(), Some(&StateValue::InsufficientData));
    cw.set_alarm_state().alarm_name("slow").state_value(StateValue::Alarm).state_reason("testing").send().await.unwrap();
    let alarms = cw.describe_alarms().alarm_names("slow").send().await.unwrap();
    assert_eq!(alarms.metric_alarms()[0].state_value(), Some(&StateValue::Alarm));
    let history = cw.describe_alarm_history().alarm_name("slow").send().await.unwrap();
    assert!(history.alarm_history_items().iter().any(|h| h.history_summary().unwrap_or_default().contains("INSUFFICIENT_DATA to ALARM")));

    // AWS's error for a missing dashboard, through the CBOR error path.
    let err = cw.get_dashboard().dashboard_name("missing").send().await.unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_dashboard_not_found_error(), "{err:?}");
}

#[tokio::test]
async fn cloudwatch_logs_events_filtered_and_read_back() {
    let nimbus = Nimbus::start(&[]);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&nimbus.default_config().await);
    logs.create_log_group().log_group_name("/app/web").send().await.unwrap();
    logs.create_log_stream().log_group_name("/app/web").log_stream_name("web-1").send().await.unwrap();
    let now_ms = now_secs() * 1000;
    let events = [r#"{"level":"INFO","latency":20}"#, r#"{"level":"ERROR","latency":450}"#, "plain ERROR line", r#"{"level":"ERROR","latency":90}"#];
    let mut put = logs.put_log_events().log_group_name("/app/web").log_stream_name("web-1");
    for (i, message) in events.iter().enumerate() {
        put = put.log_events(InputLogEvent::builder().timestamp(now_ms + i as i64).message(*message).build().unwrap());
    }
    let answer = put.send().await.unwrap();
    assert!(answer.rejected_log_events_info().is_none());

    let filtered = logs
        .filter_log_events()
        .log_group_name("/app/web")
        .filter_pattern(r#"{ $.level = "ERROR" && $.latency > 200 }"#)
        .send()
        .await
        .unwrap();
    let messages: Vec<&str> = filtered.events().iter().filter_map(|e| e.message()).collect();
    assert_eq!(messages, [events[1]]);

    let read = logs.get_log_events().log_group_name("/app/web").log_stream_name("web-1").start_from_head(true).send().await.unwrap();
    let messages: Vec<&str> = read.events().iter().filter_map(|e| e.message()).collect();
    assert_eq!(messages, events);

    let missing = logs.get_log_events().log_group_name("/app/none").log_stream_name("x").send().await.unwrap_err().into_service_error();
    assert!(missing.is_resource_not_found_exception(), "{missing:?}");
}
