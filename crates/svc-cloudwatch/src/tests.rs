//! The service called directly: an ephemeral store, a fixed clock, and a recording event bus
//! standing in for SNS.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use nimbus_core::{Clock, Delivery, DeliveryError, EventBus, MetricDatum, MetricValue, RequestContext, Service, ServiceError};
use nimbus_store::Store;
use serde_json::{Value, json};
use time::macros::datetime;

use crate::CloudWatch;

#[derive(Default)]
struct RecordingBus {
    deliveries: Mutex<Vec<Delivery>>,
}

#[async_trait::async_trait]
impl EventBus for RecordingBus {
    async fn deliver(&self, delivery: &Delivery) -> Result<(), DeliveryError> {
        self.deliveries.lock().unwrap().push(delivery.clone());
        Ok(())
    }
}

struct Harness {
    cw: CloudWatch,
    clock: Clock,
    bus: Arc<RecordingBus>,
}

/// 2024-03-01 12:00:30 UTC: half a minute into a minute, like a real clock.
fn harness() -> Harness {
    let store = Store::open_ephemeral().unwrap();
    let clock = Clock::fixed(datetime!(2024-03-01 12:00:30 UTC));
    let bus = Arc::new(RecordingBus::default());
    let cw = CloudWatch::new(store, clock.clone()).with_event_bus(bus.clone());
    Harness { cw, clock, bus }
}

impl Harness {
    async fn call(&self, operation: &str, input: Value) -> Result<Value, ServiceError> {
        self.cw.call(&RequestContext::for_tests("cloudwatch", operation), operation, input).await
    }

    async fn ok(&self, operation: &str, input: Value) -> Value {
        self.call(operation, input).await.unwrap_or_else(|e| panic!("{operation}: {e}"))
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    async fn put(&self, name: &str, value: f64) {
        self.ok(
            "PutMetricData",
            json!({"Namespace": "App", "MetricData": [{"MetricName": name, "Value": value, "Unit": "Percent",
                   "Dimensions": [{"Name": "Host", "Value": "a"}]}]}),
        )
        .await;
    }

    async fn advance(&self, seconds: u64) {
        self.clock.advance(Duration::from_secs(seconds));
        self.cw.sweep().await;
    }

    async fn alarm(&self, name: &str) -> Value {
        let out = self.ok("DescribeAlarms", json!({"AlarmNames": [name], "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]})).await;
        let mut all: Vec<Value> = out["MetricAlarms"].as_array().unwrap().clone();
        all.extend(out["CompositeAlarms"].as_array().unwrap().iter().cloned());
        all.into_iter().next().unwrap_or(Value::Null)
    }

    fn topic_messages(&self) -> Vec<(String, Value, String)> {
        self.bus
            .deliveries
            .lock()
            .unwrap()
            .iter()
            .map(|d| match d {
                Delivery::Topic { topic_arn, message, subject } => {
                    (topic_arn.clone(), serde_json::from_str(message).unwrap(), subject.clone().unwrap_or_default())
                }
                other => panic!("unexpected delivery {other:?}"),
            })
            .collect()
    }
}

#[tokio::test]
async fn statistics_of_values_value_lists_and_statistic_sets() {
    let h = harness();
    let now = h.now();
    h.ok(
        "PutMetricData",
        json!({"Namespace": "App", "MetricData": [
            {"MetricName": "Latency", "Value": 10.0, "Unit": "Milliseconds"},
            {"MetricName": "Latency", "Values": [20.0, 30.0], "Counts": [1.0, 2.0], "Unit": "Milliseconds"},
            {"MetricName": "Latency", "StatisticValues": {"SampleCount": 2.0, "Sum": 8.0, "Minimum": 4.0, "Maximum": 4.0}, "Unit": "Milliseconds"},
            {"MetricName": "Latency", "Value": 1000.0, "Unit": "Seconds"},
        ]}),
    )
    .await;
    let stats = h
        .ok(
            "GetMetricStatistics",
            json!({"Namespace": "App", "MetricName": "Latency", "StartTime": now - 600, "EndTime": now + 60, "Period": 300,
                   "Statistics": ["SampleCount", "Sum", "Average", "Minimum", "Maximum"], "Unit": "Milliseconds"}),
        )
        .await;
    assert_eq!(stats["Label"], "Latency");
    let points = stats["Datapoints"].as_array().unwrap();
    assert_eq!(points.len(), 1, "{stats}");
    let p = &points[0];
    assert_eq!(p["SampleCount"], 6.0);
    assert_eq!(p["Sum"], 10.0 + 20.0 + 60.0 + 8.0);
    assert_eq!(p["Minimum"], 4.0);
    assert_eq!(p["Maximum"], 30.0);
    assert_eq!(p["Unit"], "Milliseconds");
    let p99 = h
        .ok(
            "GetMetricStatistics",
            json!({"Namespace": "App", "MetricName": "Latency", "StartTime": now - 600, "EndTime": now + 60, "Period": 60,
                   "ExtendedStatistics": ["p50", "p99"], "Unit": "Milliseconds"}),
        )
        .await;
    assert_eq!(p99["Datapoints"][0]["ExtendedStatistics"], json!({"p50": 10.0, "p99": 30.0}));
    // Without a unit, every unit's data counts.
    let all = h
        .ok(
            "GetMetricStatistics",
            json!({"Namespace": "App", "MetricName": "Latency", "StartTime": now - 600, "EndTime": now + 60, "Period": 3600, "Statistics": ["Maximum"]}),
        )
        .await;
    assert_eq!(all["Datapoints"][0]["Maximum"], 1000.0);
}

#[tokio::test]
async fn put_metric_data_refusals() {
    let h = harness();
    let now = h.now();
    let cases = [
        (json!({"Namespace": "AWS/EC2", "MetricData": [{"MetricName": "m", "Value": 1.0}]}), "InvalidParameterValueException", "The value AWS/EC2 for parameter Namespace is invalid."),
        (json!({"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": 1.0, "Timestamp": now - 15 * 86400}]}), "InvalidParameterValueException",
         "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks."),
        (json!({"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": 1.0, "Timestamp": now + 3 * 3600}]}), "InvalidParameterValueException",
         "The parameter MetricData.member.1.Timestamp must specify a time no more than two hours in the future."),
        (json!({"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": 1.0, "Dimensions": [{"Name": "a", "Value": "1"}, {"Name": "a", "Value": "2"}]}]}),
         "InvalidParameterValueException", "No metric may specify the same dimension name twice."),
        (json!({"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": 1.0}, {"MetricName": "m", "Value": 1.0, "Values": [1.0]}]}),
         "InvalidParameterCombinationException", "The parameters MetricData.member.2.Value and MetricData.member.2.Values are mutually exclusive and you have specified both."),
        (json!({"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": 1.0, "StorageResolution": 5}]}), "InvalidParameterValueException",
         "The value 5 for parameter MetricData.member.1.StorageResolution is not valid. Valid values are 1 and 60."),
    ];
    for (input, code, message) in cases {
        let e = h.call("PutMetricData", input.clone()).await.expect_err(&input.to_string());
        assert_eq!((e.code.as_ref(), e.message.as_str()), (code, message), "{input}");
    }
    let too_many: Vec<Value> = (0..1001).map(|i| json!({"MetricName": format!("m{i}"), "Value": 1.0})).collect();
    let e = h.call("PutMetricData", json!({"Namespace": "App", "MetricData": too_many})).await.unwrap_err();
    assert_eq!(e.message, "The collection MetricData must not have a size greater than 1000.");
    // Nothing of a refused call was stored.
    let listed = h.ok("ListMetrics", json!({})).await;
    assert_eq!(listed["Metrics"], json!([]));
}

#[tokio::test]
async fn delivered_metrics_may_use_aws_namespaces() {
    let h = harness();
    let delivery = Delivery::Metrics {
        account_id: "000000000000".into(),
        region: "us-east-1".into(),
        namespace: "AWS/SQS".into(),
        data: vec![MetricDatum {
            metric_name: "NumberOfMessagesSent".into(),
            dimensions: vec![("QueueName".into(), "jobs".into())],
            timestamp_ms: h.clock.now_millis(),
            value: MetricValue::Single { value: 3.0 },
            unit: Some("Count".into()),
            storage_resolution: 60,
        }],
    };
    h.cw.deliver(&delivery).await.unwrap();
    h.cw.deliver(&delivery).await.unwrap();
    let listed = h.ok("ListMetrics", json!({"Namespace": "AWS/SQS"})).await;
    assert_eq!(
        listed["Metrics"],
        json!([{"Namespace": "AWS/SQS", "MetricName": "NumberOfMessagesSent", "Dimensions": [{"Name": "QueueName", "Value": "jobs"}]}])
    );
    let now = h.now();
    let sum = h
        .ok(
            "GetMetricStatistics",
            json!({"Namespace": "AWS/SQS", "MetricName": "NumberOfMessagesSent", "Dimensions": [{"Name": "QueueName", "Value": "jobs"}],
                   "StartTime": now - 300, "EndTime": now + 60, "Period": 60, "Statistics": ["Sum"]}),
        )
        .await;
    assert_eq!(sum["Datapoints"][0]["Sum"], 6.0);
    assert_eq!(sum["Datapoints"][0]["Unit"], "Count");
}

#[tokio::test]
async fn list_metrics_filters_and_pages() {
    let h = harness();
    let data: Vec<Value> = (0..600)
        .map(|i| json!({"MetricName": "Requests", "Value": 1.0, "Dimensions": [{"Name": "Host", "Value": format!("h{i:03}")}, {"Name": "Zone", "Value": "z1"}]}))
        .collect();
    h.ok("PutMetricData", json!({"Namespace": "App", "MetricData": &data[..500]})).await;
    h.ok("PutMetricData", json!({"Namespace": "App", "MetricData": &data[500..]})).await;
    h.put("CPU", 5.0).await;
    let first = h.ok("ListMetrics", json!({"Namespace": "App", "MetricName": "Requests"})).await;
    assert_eq!(first["Metrics"].as_array().unwrap().len(), 500);
    let token = first["NextToken"].as_str().unwrap();
    let second = h.ok("ListMetrics", json!({"Namespace": "App", "MetricName": "Requests", "NextToken": token})).await;
    assert_eq!(second["Metrics"].as_array().unwrap().len(), 100);
    assert!(second.get("NextToken").is_none());
    let by_value = h.ok("ListMetrics", json!({"Dimensions": [{"Name": "Host", "Value": "h007"}]})).await;
    assert_eq!(by_value["Metrics"].as_array().unwrap().len(), 1);
    let by_name = h.ok("ListMetrics", json!({"Dimensions": [{"Name": "Host"}], "MetricName": "CPU"})).await;
    assert_eq!(by_name["Metrics"][0]["Dimensions"], json!([{"Name": "Host", "Value": "a"}]));
    // Recently active: three hours; listed at all: two weeks.
    h.clock.advance(Duration::from_secs(4 * 3600));
    let recent = h.ok("ListMetrics", json!({"RecentlyActive": "PT3H"})).await;
    assert_eq!(recent["Metrics"], json!([]));
    h.clock.advance(Duration::from_secs(15 * 86400));
    assert_eq!(h.ok("ListMetrics", json!({})).await["Metrics"], json!([]));
}

#[tokio::test]
async fn get_metric_data_with_math_and_pages() {
    let h = harness();
    let now = h.now();
    let minute = now - now % 60;
    for (i, value) in [1.0, 2.0, 3.0].into_iter().enumerate() {
        let t = minute - 120 + 60 * i as i64;
        h.ok("PutMetricData", json!({"Namespace": "App", "MetricData": [
            {"MetricName": "Errors", "Value": value, "Timestamp": t},
            {"MetricName": "Requests", "Value": value * 10.0, "Timestamp": t},
        ]}))
        .await;
    }
    let stat = |name: &str| json!({"Metric": {"Namespace": "App", "MetricName": name}, "Period": 60, "Stat": "Sum"});
    let out = h
        .ok(
            "GetMetricData",
            json!({"StartTime": minute - 300, "EndTime": minute + 60, "ScanBy": "TimestampAscending", "MetricDataQueries": [
                {"Id": "e", "MetricStat": stat("Errors"), "ReturnData": false},
                {"Id": "r", "MetricStat": stat("Requests")},
                {"Id": "rate", "Expression": "100 * e / r", "Label": "Error rate"},
                {"Id": "total", "Expression": "SUM(METRICS())"},
            ]}),
        )
        .await;
    let results = out["MetricDataResults"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{out}");
    assert_eq!(results[0]["Id"], "r");
    assert_eq!(results[0]["Label"], "Requests");
    assert_eq!(results[0]["Values"], json!([10.0, 20.0, 30.0]));
    assert_eq!(results[0]["StatusCode"], "Complete");
    assert_eq!(results[1]["Label"], "Error rate");
    assert_eq!(results[1]["Values"], json!([10.0, 10.0, 10.0]));
    assert_eq!(results[2]["Values"], json!([11.0, 22.0, 33.0]));
    // Descending by default, paged by MaxDatapoints.
    let page = h
        .ok("GetMetricData", json!({"StartTime": minute - 300, "EndTime": minute + 60, "MaxDatapoints": 2,
             "MetricDataQueries": [{"Id": "r", "MetricStat": stat("Requests")}]}))
        .await;
    assert_eq!(page["MetricDataResults"][0]["Values"], json!([30.0, 20.0]));
    assert_eq!(page["MetricDataResults"][0]["StatusCode"], "PartialData");
    let token = page["NextToken"].as_str().unwrap();
    let rest = h
        .ok("GetMetricData", json!({"StartTime": minute - 300, "EndTime": minute + 60, "MaxDatapoints": 2, "NextToken": token,
             "MetricDataQueries": [{"Id": "r", "MetricStat": stat("Requests")}]}))
        .await;
    assert_eq!(rest["MetricDataResults"][0]["Values"], json!([10.0]));
    assert!(rest.get("NextToken").is_none());
    let bad = h
        .call("GetMetricData", json!({"StartTime": minute - 300, "EndTime": minute, "MetricDataQueries": [{"Id": "x", "Expression": "y * 2"}]}))
        .await
        .unwrap_err();
    assert_eq!(bad.code, "ValidationException");
}

async fn put_cpu_alarm(h: &Harness, extra: Value) {
    let mut input = json!({
        "AlarmName": "cpu-high", "Namespace": "App", "MetricName": "CPU", "Dimensions": [{"Name": "Host", "Value": "a"}],
        "Statistic": "Average", "Period": 60, "EvaluationPeriods": 1, "Threshold": 90.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:ops"], "OKActions": ["arn:aws:sns:us-east-1:000000000000:ops"],
    });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    h.ok("PutMetricAlarm", input).await;
}

#[tokio::test]
async fn alarm_goes_to_alarm_notifies_sns_and_returns_to_ok() {
    let h = harness();
    put_cpu_alarm(&h, json!({})).await;
    let created = h.alarm("cpu-high").await;
    assert_eq!(created["StateValue"], "INSUFFICIENT_DATA");
    assert_eq!(created["StateReason"], "Unchecked: Initial alarm creation");
    assert_eq!(created["AlarmArn"], "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high");

    h.put("CPU", 95.0).await;
    h.advance(60).await;
    let alarm = h.alarm("cpu-high").await;
    assert_eq!(alarm["StateValue"], "ALARM", "{alarm}");
    assert!(
        alarm["StateReason"].as_str().unwrap().starts_with("Threshold Crossed: 1 datapoint [95.0 (01/03/24 12:00:00)] was greater than or equal to the threshold (90.0)."),
        "{alarm}"
    );
    let messages = h.topic_messages();
    assert_eq!(messages.len(), 1);
    let (topic, message, subject) = &messages[0];
    assert_eq!(topic, "arn:aws:sns:us-east-1:000000000000:ops");
    assert_eq!(subject, "ALARM: \"cpu-high\" in US East (N. Virginia)");
    assert_eq!(message["NewStateValue"], "ALARM");
    assert_eq!(message["OldStateValue"], "INSUFFICIENT_DATA");
    assert_eq!(message["Trigger"]["MetricName"], "CPU");
    assert_eq!(message["Trigger"]["Statistic"], "AVERAGE");
    assert_eq!(message["Region"], "US East (N. Virginia)");

    // Still breaching a minute later: no new transition, no new message.
    h.put("CPU", 96.0).await;
    h.advance(60).await;
    assert_eq!(h.topic_messages().len(), 1);

    h.put("CPU", 10.0).await;
    h.advance(60).await;
    assert_eq!(h.alarm("cpu-high").await["StateValue"], "OK");
    let messages = h.topic_messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].2, "OK: \"cpu-high\" in US East (N. Virginia)");

    let history = h.ok("DescribeAlarmHistory", json!({"AlarmName": "cpu-high"})).await;
    let items = history["AlarmHistoryItems"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["HistoryItemType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Action", "StateUpdate", "Action", "StateUpdate", "ConfigurationUpdate"], "{history}");
    assert_eq!(items[1]["HistorySummary"], "Alarm updated from ALARM to OK");
    let data: Value = serde_json::from_str(items[1]["HistoryData"].as_str().unwrap()).unwrap();
    assert_eq!(data["oldState"]["stateValue"], "ALARM");
    assert_eq!(data["newState"]["stateReasonData"]["recentDatapoints"], json!([10.0]));
    assert_eq!(items[0]["HistorySummary"], "Successfully executed action arn:aws:sns:us-east-1:000000000000:ops");
    let created: Value = serde_json::from_str(items[4]["HistoryData"].as_str().unwrap()).unwrap();
    assert_eq!(created["type"], "Create");
    assert_eq!(created["createdAlarm"]["alarmName"], "cpu-high");
    let only_state = h.ok("DescribeAlarmHistory", json!({"AlarmName": "cpu-high", "HistoryItemType": "StateUpdate", "ScanBy": "TimestampAscending", "MaxRecords": 1})).await;
    assert_eq!(only_state["AlarmHistoryItems"][0]["HistorySummary"], "Alarm updated from INSUFFICIENT_DATA to ALARM");
    assert!(only_state["NextToken"].is_string());
}

#[tokio::test]
async fn disabled_actions_and_missing_data() {
    let h = harness();
    put_cpu_alarm(&h, json!({"ActionsEnabled": false, "TreatMissingData": "breaching"})).await;
    h.advance(60).await;
    let alarm = h.alarm("cpu-high").await;
    assert_eq!(alarm["StateValue"], "ALARM");
    assert_eq!(alarm["StateReason"], "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].");
    assert!(h.topic_messages().is_empty(), "actions are disabled");
    h.ok("EnableAlarmActions", json!({"AlarmNames": ["cpu-high"]})).await;
    assert_eq!(h.alarm("cpu-high").await["ActionsEnabled"], true);
    h.ok("SetAlarmState", json!({"AlarmName": "cpu-high", "StateValue": "OK", "StateReason": "testing"})).await;
    assert_eq!(h.alarm("cpu-high").await["StateReason"], "testing");
    assert_eq!(h.topic_messages().len(), 1);
    let e = h.call("SetAlarmState", json!({"AlarmName": "nope", "StateValue": "OK", "StateReason": "x"})).await.unwrap_err();
    assert_eq!(e.code, "ResourceNotFound");
    let e = h
        .call("SetAlarmState", json!({"AlarmName": "cpu-high", "StateValue": "OK", "StateReason": "x", "StateReasonData": "{"}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "InvalidFormatFault");
}

#[tokio::test]
async fn put_metric_alarm_refusals() {
    let h = harness();
    let base = json!({"AlarmName": "a", "Namespace": "App", "MetricName": "CPU", "Statistic": "Average", "Period": 60,
                      "EvaluationPeriods": 2, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold"});
    let with = |k: &str, v: Value| {
        let mut input = base.clone();
        input[k] = v;
        input
    };
    let cases = [
        (with("DatapointsToAlarm", json!(3)), "DatapointsToAlarm must be less than or equal to EvaluationPeriods."),
        (with("Period", json!(45)), "The value of Period must be 10, 30, or a multiple of 60."),
        (with("ExtendedStatistic", json!("p99")), "The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both."),
        (with("EvaluationPeriods", json!(1441)), "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)."),
        (with("TreatMissingData", json!("sometimes")), "Option sometimes is not supported. Supported options for parameter TreatMissingData are: missing, ignore, breaching and notBreaching."),
    ];
    for (input, message) in cases {
        let e = h.call("PutMetricAlarm", input.clone()).await.expect_err(&input.to_string());
        assert_eq!((e.code.as_ref(), e.message.as_str()), ("ValidationException", message), "{input}");
    }
    let math = json!({"AlarmName": "m", "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [{"Id": "a", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "CPU"}, "Period": 60, "Stat": "Sum"}},
                    {"Id": "b", "Expression": "a * 2"}]});
    let e = h.call("PutMetricAlarm", math).await.unwrap_err();
    assert_eq!(e.message, "Exactly one element of the metrics list should return data.");
}

#[tokio::test]
async fn metric_math_alarm_and_composite_alarm() {
    let h = harness();
    h.ok("PutMetricAlarm", json!({"AlarmName": "double", "EvaluationPeriods": 1, "Threshold": 100.0, "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [{"Id": "cpu", "ReturnData": false, "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "CPU", "Dimensions": [{"Name": "Host", "Value": "a"}]}, "Period": 60, "Stat": "Maximum"}},
                    {"Id": "twice", "Expression": "cpu * 2", "Label": "twice"}]})).await;
    put_cpu_alarm(&h, json!({"AlarmActions": [], "OKActions": []})).await;
    h.ok("PutCompositeAlarm", json!({"AlarmName": "both", "AlarmRule": "ALARM(\"double\") AND ALARM(cpu-high)",
        "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:pager"]})).await;
    let e = h.call("PutCompositeAlarm", json!({"AlarmName": "bad", "AlarmRule": "ALARM(missing)"})).await.unwrap_err();
    assert_eq!(e.code, "ValidationException");
    h.put("CPU", 60.0).await;
    h.advance(60).await;
    assert_eq!(h.alarm("double").await["StateValue"], "ALARM");
    assert_eq!(h.alarm("cpu-high").await["StateValue"], "OK");
    assert_eq!(h.alarm("both").await["StateValue"], "OK");
    h.put("CPU", 99.0).await;
    h.advance(60).await;
    let both = h.alarm("both").await;
    assert_eq!(both["StateValue"], "ALARM", "{both}");
    assert!(both["StateReason"].as_str().unwrap().contains("transitioned to ALARM at"), "{both}");
    let messages = h.topic_messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].1["AlarmRule"], "ALARM(\"double\") AND ALARM(cpu-high)");
    // Children and parents.
    let children = h.ok("DescribeAlarms", json!({"ChildrenOfAlarmName": "both"})).await;
    assert_eq!(children["MetricAlarms"].as_array().unwrap().len(), 2);
    let parents = h.ok("DescribeAlarms", json!({"ParentsOfAlarmName": "double"})).await;
    assert_eq!(parents["CompositeAlarms"][0]["AlarmName"], "both");
    // Default AlarmTypes: metric alarms only.
    let default = h.ok("DescribeAlarms", json!({})).await;
    assert_eq!(default["CompositeAlarms"], json!([]));
    assert_eq!(default["MetricAlarms"].as_array().unwrap().len(), 2);
    let for_metric = h.ok("DescribeAlarmsForMetric", json!({"Namespace": "App", "MetricName": "CPU", "Dimensions": [{"Name": "Host", "Value": "a"}]})).await;
    assert_eq!(for_metric["MetricAlarms"].as_array().unwrap().len(), 2);
    // A child cannot go while a composite refers to it... composites only; deleting the
    // composite first works.
    h.ok("DeleteAlarms", json!({"AlarmNames": ["both", "not-there"]})).await;
    assert_eq!(h.alarm("both").await, Value::Null);
}

#[tokio::test]
async fn describe_alarms_filters_and_pages() {
    let h = harness();
    for i in 0..5 {
        put_cpu_alarm(&h, json!({"AlarmName": format!("web-{i}"), "AlarmActions": [], "OKActions": []})).await;
    }
    put_cpu_alarm(&h, json!({"AlarmName": "db-0"})).await;
    let page = h.ok("DescribeAlarms", json!({"AlarmNamePrefix": "web-", "MaxRecords": 3})).await;
    let names: Vec<&str> = page["MetricAlarms"].as_array().unwrap().iter().map(|a| a["AlarmName"].as_str().unwrap()).collect();
    assert_eq!(names, ["web-0", "web-1", "web-2"]);
    let rest = h.ok("DescribeAlarms", json!({"AlarmNamePrefix": "web-", "MaxRecords": 3, "NextToken": page["NextToken"]})).await;
    assert_eq!(rest["MetricAlarms"].as_array().unwrap().len(), 2);
    let by_action = h.ok("DescribeAlarms", json!({"ActionPrefix": "arn:aws:sns"})).await;
    assert_eq!(by_action["MetricAlarms"][0]["AlarmName"], "db-0");
    let by_state = h.ok("DescribeAlarms", json!({"StateValue": "ALARM"})).await;
    assert_eq!(by_state["MetricAlarms"], json!([]));
    h.ok("TagResource", json!({"ResourceARN": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:db-0", "Tags": [{"Key": "team", "Value": "a"}]})).await;
    let tags = h.ok("ListTagsForResource", json!({"ResourceARN": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:db-0"})).await;
    assert_eq!(tags["Tags"], json!([{"Key": "team", "Value": "a"}]));
    h.ok("UntagResource", json!({"ResourceARN": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:db-0", "TagKeys": ["team"]})).await;
    let e = h.call("ListTagsForResource", json!({"ResourceARN": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:nope"})).await.unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");
    h.ok("DeleteAlarms", json!({"AlarmNames": ["web-0", "web-1"]})).await;
    assert_eq!(h.ok("DescribeAlarms", json!({})).await["MetricAlarms"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn dashboards() {
    let h = harness();
    let body = json!({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"markdown": "hi"}}]}).to_string();
    let out = h.ok("PutDashboard", json!({"DashboardName": "main", "DashboardBody": body})).await;
    assert_eq!(out["DashboardValidationMessages"], json!([]));
    let got = h.ok("GetDashboard", json!({"DashboardName": "main"})).await;
    assert_eq!(got["DashboardBody"], body);
    assert_eq!(got["DashboardArn"], "arn:aws:cloudwatch::000000000000:dashboard/main");
    h.ok("PutDashboard", json!({"DashboardName": "other", "DashboardBody": body})).await;
    let listed = h.ok("ListDashboards", json!({"DashboardNamePrefix": "ma"})).await;
    assert_eq!(listed["DashboardEntries"].as_array().unwrap().len(), 1);
    assert_eq!(listed["DashboardEntries"][0]["Size"], body.len());
    let e = h.call("PutDashboard", json!({"DashboardName": "x", "DashboardBody": "not json"})).await.unwrap_err();
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("DashboardInvalidInputError", "The field DashboardBody must be a valid JSON object"));
    let e = h.call("PutDashboard", json!({"DashboardName": "x", "DashboardBody": "{\"widgets\": [{\"properties\": {}}]}"})).await.unwrap_err();
    assert_eq!(e.fields["dashboardValidationMessages"], json!([{"DataPath": "/widgets/0", "Message": "Should have required property 'type'"}]));
    let e = h.call("DeleteDashboards", json!({"DashboardNames": ["main", "gone"]})).await.unwrap_err();
    assert_eq!(e.code, "DashboardNotFoundError");
    assert!(h.call("GetDashboard", json!({"DashboardName": "main"})).await.is_ok(), "nothing deleted");
    h.ok("DeleteDashboards", json!({"DashboardNames": ["main", "other"]})).await;
    assert_eq!(h.call("GetDashboard", json!({"DashboardName": "main"})).await.unwrap_err().code, "DashboardNotFoundError");
}

#[tokio::test]
async fn retention_trims_old_datapoints() {
    let h = harness();
    h.put("CPU", 1.0).await;
    let now = h.now();
    let query = json!({"Namespace": "App", "MetricName": "CPU", "Dimensions": [{"Name": "Host", "Value": "a"}],
                       "StartTime": now - 3600, "EndTime": now + 3600, "Period": 3600, "Statistics": ["Sum"]});
    h.advance(60).await;
    assert_eq!(h.ok("GetMetricStatistics", query.clone()).await["Datapoints"].as_array().unwrap().len(), 1);
    let trimmed = crate::retention::trim(&h.cw.store, h.clock.now_millis() + crate::retention::DATAPOINT_RETENTION_MS).unwrap();
    assert_eq!(trimmed.0, 1);
    assert_eq!(h.ok("GetMetricStatistics", query).await["Datapoints"], json!([]));
}

/// `cargo test -p nimbus-svc-cloudwatch -- --ignored --nocapture`: 10,000 alarms over 1,000
/// metrics, one sweep.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn ten_thousand_alarms_sweep() {
    let h = harness();
    let data: Vec<Value> = (0..1000)
        .map(|i| json!({"MetricName": "CPU", "Value": f64::from(i % 100), "Dimensions": [{"Name": "Host", "Value": format!("h{i}")}]}))
        .collect();
    h.ok("PutMetricData", json!({"Namespace": "App", "MetricData": data})).await;
    let started = std::time::Instant::now();
    for i in 0..10_000 {
        h.ok("PutMetricAlarm", json!({"AlarmName": format!("a{i}"), "Namespace": "App", "MetricName": "CPU",
            "Dimensions": [{"Name": "Host", "Value": format!("h{}", i % 1000)}], "Statistic": "Average", "Period": 60,
            "EvaluationPeriods": 1, "Threshold": 50.0, "ComparisonOperator": "GreaterThanThreshold"})).await;
    }
    eprintln!("10,000 PutMetricAlarm: {:?}", started.elapsed());
    h.clock.advance(Duration::from_secs(60));
    let started = std::time::Instant::now();
    let transitions = h.cw.evaluate_due_alarms().await.unwrap();
    eprintln!("sweep of 10,000 due alarms: {:?}, {} transitions", started.elapsed(), transitions.len());
    assert_eq!(transitions.len(), 10_000);
    let started = std::time::Instant::now();
    let again = h.cw.evaluate_due_alarms().await.unwrap();
    eprintln!("sweep with nothing due: {:?}", started.elapsed());
    assert!(again.is_empty());
}
