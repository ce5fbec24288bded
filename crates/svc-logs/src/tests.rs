//! The service called directly: an ephemeral store, a fixed clock, and a bus that records the
//! datapoints metric filters publish.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use nimbus_core::{Clock, Delivery, DeliveryError, EventBus, MetricValue, RequestContext, Service, ServiceError};
use nimbus_store::Store;
use serde_json::{Value, json};
use time::macros::datetime;

use crate::Logs;

/// 2024-01-01T00:00:00Z in milliseconds.
const NOW: i64 = 1_704_067_200_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

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
    logs: Logs,
    clock: Clock,
    bus: Arc<RecordingBus>,
}

fn harness() -> Harness {
    let store = Store::open_ephemeral().unwrap();
    let clock = Clock::fixed(datetime!(2024-01-01 00:00 UTC));
    let bus = Arc::new(RecordingBus::default());
    let logs = Logs::new(store, clock.clone()).with_event_bus(bus.clone());
    Harness { logs, clock, bus }
}

impl Harness {
    async fn call(&self, operation: &str, input: Value) -> Result<Value, ServiceError> {
        self.logs.call(&RequestContext::for_tests("logs", operation), operation, input).await
    }

    async fn ok(&self, operation: &str, input: Value) -> Value {
        match self.call(operation, input).await {
            Ok(out) => out,
            Err(e) => panic!("{operation} failed: {e}"),
        }
    }

    async fn err(&self, operation: &str, input: Value) -> ServiceError {
        match self.call(operation, input).await {
            Ok(out) => panic!("{operation} succeeded: {out}"),
            Err(e) => e,
        }
    }

    async fn group_with_stream(&self, group: &str, stream: &str) {
        self.ok("CreateLogGroup", json!({"logGroupName": group})).await;
        self.ok("CreateLogStream", json!({"logGroupName": group, "logStreamName": stream})).await;
    }

    async fn put(&self, group: &str, stream: &str, events: &[(i64, &str)]) -> Value {
        let events: Vec<Value> = events.iter().map(|(ts, m)| json!({"timestamp": ts, "message": m})).collect();
        self.ok("PutLogEvents", json!({"logGroupName": group, "logStreamName": stream, "logEvents": events})).await
    }
}

fn messages(out: &Value) -> Vec<String> {
    out["events"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn log_groups_are_created_described_and_refused_twice() {
    let h = harness();
    h.ok("CreateLogGroup", json!({"logGroupName": "/app/web", "tags": {"team": "a"}, "kmsKeyId": "arn:aws:kms:us-east-1:000000000000:key/k"})).await;
    h.ok("CreateLogGroup", json!({"logGroupName": "/app/worker", "logGroupClass": "INFREQUENT_ACCESS"})).await;
    h.ok("CreateLogGroup", json!({"logGroupName": "other"})).await;
    let e = h.err("CreateLogGroup", json!({"logGroupName": "/app/web"})).await;
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("ResourceAlreadyExistsException", "The specified log group already exists"));
    let e = h.err("CreateLogGroup", json!({"logGroupName": "bad name"})).await;
    assert_eq!(e.code, "InvalidParameterException");
    assert!(e.message.contains("regular expression pattern"), "{}", e.message);

    let out = h.ok("DescribeLogGroups", json!({"logGroupNamePrefix": "/app/"})).await;
    let groups = out["logGroups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["logGroupName"], "/app/web");
    assert_eq!(groups[0]["arn"], "arn:aws:logs:us-east-1:000000000000:log-group:/app/web:*");
    assert_eq!(groups[0]["logGroupArn"], "arn:aws:logs:us-east-1:000000000000:log-group:/app/web");
    assert_eq!(groups[0]["creationTime"], NOW);
    assert_eq!(groups[0]["kmsKeyId"], "arn:aws:kms:us-east-1:000000000000:key/k");
    assert_eq!(groups[1]["logGroupClass"], "INFREQUENT_ACCESS");

    let out = h.ok("DescribeLogGroups", json!({"logGroupNamePattern": "WORK"})).await;
    assert_eq!(out["logGroups"][0]["logGroupName"], "/app/worker");
    // Pages of one.
    let first = h.ok("DescribeLogGroups", json!({"limit": 1})).await;
    let token = first["nextToken"].as_str().unwrap();
    let second = h.ok("DescribeLogGroups", json!({"limit": 1, "nextToken": token})).await;
    assert_eq!(second["logGroups"][0]["logGroupName"], "/app/worker");
    let third = h.ok("DescribeLogGroups", json!({"limit": 1, "nextToken": second["nextToken"]})).await;
    assert_eq!(third["logGroups"][0]["logGroupName"], "other");
    assert!(third.get("nextToken").is_none());

    h.ok("DeleteLogGroup", json!({"logGroupName": "other"})).await;
    let e = h.err("DeleteLogGroup", json!({"logGroupName": "other"})).await;
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("ResourceNotFoundException", "The specified log group does not exist."));
}

#[tokio::test]
async fn retention_takes_only_aws_day_values() {
    let h = harness();
    h.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    let e = h.err("PutRetentionPolicy", json!({"logGroupName": "g", "retentionInDays": 2})).await;
    assert_eq!(e.code, "InvalidParameterException");
    assert!(e.message.starts_with("1 validation error detected: Value '2' at 'retentionInDays'"), "{}", e.message);
    h.ok("PutRetentionPolicy", json!({"logGroupName": "g", "retentionInDays": 7})).await;
    let out = h.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(out["logGroups"][0]["retentionInDays"], 7);
    h.ok("DeleteRetentionPolicy", json!({"logGroupName": "g"})).await;
    let out = h.ok("DescribeLogGroups", json!({})).await;
    assert!(out["logGroups"][0].get("retentionInDays").is_none());
}

#[tokio::test]
async fn tags_by_arn_and_by_name() {
    let h = harness();
    h.ok("CreateLogGroup", json!({"logGroupName": "g", "tags": {"a": "1"}})).await;
    let arn = "arn:aws:logs:us-east-1:000000000000:log-group:g";
    h.ok("TagResource", json!({"resourceArn": arn, "tags": {"b": "2"}})).await;
    h.ok("TagLogGroup", json!({"logGroupName": "g", "tags": {"c": "3"}})).await;
    let out = h.ok("ListTagsForResource", json!({"resourceArn": format!("{arn}:*")})).await;
    assert_eq!(out["tags"], json!({"a": "1", "b": "2", "c": "3"}));
    h.ok("UntagResource", json!({"resourceArn": arn, "tagKeys": ["a"]})).await;
    h.ok("UntagLogGroup", json!({"logGroupName": "g", "tags": ["b"]})).await;
    assert_eq!(h.ok("ListTagsLogGroup", json!({"logGroupName": "g"})).await["tags"], json!({"c": "3"}));
    let e = h.err("ListTagsForResource", json!({"resourceArn": "arn:aws:logs:us-east-1:000000000000:log-group:nope"})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn put_log_events_enforces_batch_rules() {
    let h = harness();
    h.group_with_stream("g", "s").await;
    let put = |events: Value| h.call("PutLogEvents", json!({"logGroupName": "g", "logStreamName": "s", "logEvents": events}));
    let e = put(json!([{"timestamp": NOW, "message": "b"}, {"timestamp": NOW - 1, "message": "a"}])).await.unwrap_err();
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        ("InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
    );
    let e = put(json!([{"timestamp": NOW - 25 * HOUR, "message": "a"}, {"timestamp": NOW, "message": "b"}])).await.unwrap_err();
    assert_eq!(e.message, "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
    // 1,048,576 bytes exactly is allowed, one more is not.
    let exact = "x".repeat(1_048_576 - 26);
    put(json!([{"timestamp": NOW, "message": exact}])).await.unwrap();
    let over = "x".repeat(1_048_576 - 25);
    let e = put(json!([{"timestamp": NOW, "message": over}])).await.unwrap_err();
    assert_eq!(e.message, "Upload too large: 1048577 bytes exceeds limit of 1048576");
    let e = h.err("PutLogEvents", json!({"logGroupName": "g", "logStreamName": "nope", "logEvents": [{"timestamp": NOW, "message": "m"}]})).await;
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("ResourceNotFoundException", "The specified log stream does not exist."));
    let e = h.err("PutLogEvents", json!({"logGroupName": "nope", "logStreamName": "s", "logEvents": [{"timestamp": NOW, "message": "m"}]})).await;
    assert_eq!(e.message, "The specified log group does not exist.");
}

#[tokio::test]
async fn too_old_too_new_and_expired_events_are_reported_not_stored() {
    let h = harness();
    h.group_with_stream("g", "s").await;
    h.ok("PutRetentionPolicy", json!({"logGroupName": "g", "retentionInDays": 1})).await;
    // Events up to 24 h apart: the batch span rule counts only the events kept.
    let out = h
        .put("g", "s", &[(NOW - 15 * DAY, "ancient"), (NOW - 2 * DAY, "expired"), (NOW - HOUR, "kept 1"), (NOW, "kept 2"), (NOW + 3 * HOUR, "future")])
        .await;
    assert_eq!(
        out["rejectedLogEventsInfo"],
        json!({"tooOldLogEventEndIndex": 0, "expiredLogEventEndIndex": 1, "tooNewLogEventStartIndex": 4})
    );
    assert_eq!(out["nextSequenceToken"].as_str().unwrap().len(), 56);
    let got = h.ok("GetLogEvents", json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true})).await;
    assert_eq!(messages(&got), ["kept 1", "kept 2"]);
    assert_eq!(got["events"][0]["ingestionTime"], NOW);
    let out = h.put("g", "s", &[(NOW, "fine")]).await;
    assert!(out.get("rejectedLogEventsInfo").is_none());
    // Sequence tokens are accepted and ignored.
    let out = h
        .ok("PutLogEvents", json!({"logGroupName": "g", "logStreamName": "s", "sequenceToken": "bogus", "logEvents": [{"timestamp": NOW, "message": "x"}]}))
        .await;
    assert!(out["nextSequenceToken"].is_string());
    let streams = h.ok("DescribeLogStreams", json!({"logGroupName": "g"})).await;
    let stream = &streams["logStreams"][0];
    assert_eq!(stream["firstEventTimestamp"], NOW - HOUR);
    assert_eq!(stream["lastEventTimestamp"], NOW);
    assert_eq!(stream["lastIngestionTime"], NOW);
    assert_eq!(stream["uploadSequenceToken"], out["nextSequenceToken"]);
    let groups = h.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(groups["logGroups"][0]["storedBytes"], ("kept 1kept 2finex".len()) as u64);
}

#[tokio::test]
async fn get_log_events_pages_forward_and_backward_like_aws() {
    let h = harness();
    h.group_with_stream("g", "s").await;
    h.ok("CreateLogStream", json!({"logGroupName": "g", "logStreamName": "other"})).await;
    let events: Vec<(i64, String)> = (0..10).map(|i| (NOW - 10 * MINUTE + i * MINUTE, format!("e{i}"))).collect();
    let refs: Vec<(i64, &str)> = events.iter().map(|(t, m)| (*t, m.as_str())).collect();
    h.put("g", "s", &refs).await;
    h.put("g", "other", &[(NOW - 5 * MINUTE, "not mine")]).await;
    let get = |extra: Value| {
        let mut input = json!({"logGroupName": "g", "logStreamName": "s", "limit": 4});
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        h.call("GetLogEvents", input)
    };
    // From the tail by default: the newest events, oldest first.
    let tail = get(json!({})).await.unwrap();
    assert_eq!(messages(&tail), ["e6", "e7", "e8", "e9"]);
    let back = get(json!({"nextToken": tail["nextBackwardToken"]})).await.unwrap();
    assert_eq!(messages(&back), ["e2", "e3", "e4", "e5"]);
    let back = get(json!({"nextToken": back["nextBackwardToken"]})).await.unwrap();
    assert_eq!(messages(&back), ["e0", "e1"]);
    let start = back["nextBackwardToken"].clone();
    let end = get(json!({"nextToken": start})).await.unwrap();
    assert!(messages(&end).is_empty());
    assert_eq!(end["nextBackwardToken"], start, "the same token at the end");
    // From the head, forward to the end.
    let mut token = None::<Value>;
    let mut seen = Vec::new();
    loop {
        let extra = match &token {
            Some(t) => json!({"nextToken": t}),
            None => json!({"startFromHead": true}),
        };
        let page = get(extra).await.unwrap();
        let forward = page["nextForwardToken"].clone();
        assert!(forward.as_str().unwrap().starts_with("f/"));
        assert!(page["nextBackwardToken"].as_str().unwrap().starts_with("b/"));
        if token.as_ref() == Some(&forward) {
            assert!(messages(&page).is_empty());
            break;
        }
        seen.extend(messages(&page));
        token = Some(forward);
    }
    assert_eq!(seen, (0..10).map(|i| format!("e{i}")).collect::<Vec<_>>());
    // New events show up behind the last forward token.
    h.put("g", "s", &[(NOW, "late")]).await;
    let page = get(json!({"nextToken": token.unwrap()})).await.unwrap();
    assert_eq!(messages(&page), ["late"]);
    // Time range: startTime inclusive, endTime exclusive.
    let ranged = get(json!({"startFromHead": true, "startTime": NOW - 8 * MINUTE, "endTime": NOW - 6 * MINUTE})).await.unwrap();
    assert_eq!(messages(&ranged), ["e2", "e3"]);
    // By ARN as logGroupIdentifier.
    let by_arn = h
        .ok("GetLogEvents", json!({"logGroupIdentifier": "arn:aws:logs:us-east-1:000000000000:log-group:g", "logStreamName": "other"}))
        .await;
    assert_eq!(messages(&by_arn), ["not mine"]);
    let e = h.err("GetLogEvents", json!({"logGroupName": "g", "logStreamName": "s", "nextToken": "f/nonsense"})).await;
    assert_eq!(e.code, "InvalidParameterException");
}

#[tokio::test]
async fn filter_log_events_across_streams_with_patterns() {
    let h = harness();
    h.group_with_stream("g", "web-1").await;
    h.ok("CreateLogStream", json!({"logGroupName": "g", "logStreamName": "web-2"})).await;
    h.ok("CreateLogStream", json!({"logGroupName": "g", "logStreamName": "db"})).await;
    h.put("g", "web-1", &[(NOW - 5 * MINUTE, "ERROR disk full"), (NOW - 3 * MINUTE, r#"{"level":"ERROR","latency":450}"#)]).await;
    h.put("g", "web-2", &[(NOW - 4 * MINUTE, "INFO ok"), (NOW - 2 * MINUTE, r#"{"level":"INFO","latency":20}"#)]).await;
    h.put("g", "db", &[(NOW - 6 * MINUTE, r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#)]).await;
    let filter = |extra: Value| {
        let mut input = json!({"logGroupName": "g"});
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        h.call("FilterLogEvents", input)
    };
    let all = filter(json!({})).await.unwrap();
    let streams: Vec<&str> = all["events"].as_array().unwrap().iter().map(|e| e["logStreamName"].as_str().unwrap()).collect();
    assert_eq!(streams, ["db", "web-1", "web-2", "web-1", "web-2"], "time order across streams");
    assert_eq!(all["searchedLogStreams"], json!([]));
    assert!(all["events"][0]["eventId"].as_str().unwrap().chars().all(|c| c.is_ascii_digit()));
    assert!(all.get("nextToken").is_none());

    assert_eq!(messages(&filter(json!({"filterPattern": "ERROR"})).await.unwrap()), ["ERROR disk full", r#"{"level":"ERROR","latency":450}"#]);
    assert_eq!(messages(&filter(json!({"filterPattern": "{ $.latency > 100 }"})).await.unwrap()), [r#"{"level":"ERROR","latency":450}"#]);
    let delimited = filter(json!({"filterPattern": "[ip, user, username, timestamp, request, status_code = 4*, bytes > 1000]"})).await.unwrap();
    assert_eq!(delimited["events"][0]["logStreamName"], "db");
    assert_eq!(messages(&filter(json!({"logStreamNamePrefix": "web-2"})).await.unwrap()).len(), 2);
    assert_eq!(messages(&filter(json!({"logStreamNames": ["db", "web-1"], "filterPattern": "?disk ?frank"})).await.unwrap()).len(), 2);
    assert_eq!(
        messages(&filter(json!({"startTime": NOW - 4 * MINUTE, "endTime": NOW - 3 * MINUTE})).await.unwrap()),
        ["INFO ok", r#"{"level":"ERROR","latency":450}"#],
        "both ends inclusive"
    );
    let e = filter(json!({"filterPattern": "{ $.latency > fast }"})).await.unwrap_err();
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("InvalidParameterException", "Invalid filter pattern"));
    let e = filter(json!({"logStreamNames": ["db"], "logStreamNamePrefix": "d"})).await.unwrap_err();
    assert_eq!(e.code, "InvalidParameterException");

    // Pages of two, resumed by token.
    let mut token: Option<Value> = None;
    let mut seen = Vec::new();
    loop {
        let extra = match &token {
            Some(t) => json!({"limit": 2, "nextToken": t}),
            None => json!({"limit": 2}),
        };
        let page = filter(extra).await.unwrap();
        seen.extend(messages(&page));
        match page.get("nextToken") {
            Some(t) => token = Some(t.clone()),
            None => break,
        }
    }
    assert_eq!(seen, messages(&all));
}

#[tokio::test]
async fn metric_filters_publish_aggregated_datapoints_after_commit() {
    let h = harness();
    h.group_with_stream("g", "s").await;
    h.ok(
        "PutMetricFilter",
        json!({
            "logGroupName": "g", "filterName": "latency", "filterPattern": "{ $.latency = * }",
            "metricTransformations": [{"metricName": "Latency", "metricNamespace": "App", "metricValue": "$.latency", "unit": "Milliseconds", "dimensions": {"Level": "$.level"}}],
        }),
    )
    .await;
    h.ok(
        "PutMetricFilter",
        json!({
            "logGroupName": "g", "filterName": "errors", "filterPattern": "ERROR",
            "metricTransformations": [{"metricName": "Errors", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0}],
        }),
    )
    .await;
    let groups = h.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(groups["logGroups"][0]["metricFilterCount"], 2);
    h.put("g", "s", &[(NOW - 30_000, r#"{"level":"ERROR","latency":100}"#), (NOW - 20_000, r#"{"level":"ERROR","latency":300}"#), (NOW - 10_000, r#"{"level":"INFO","latency":7}"#)])
        .await;
    let deliveries = h.bus.deliveries.lock().unwrap().clone();
    assert_eq!(deliveries.len(), 1, "one namespace, one delivery");
    let Delivery::Metrics { account_id, region, namespace, data } = &deliveries[0] else { panic!() };
    assert_eq!((account_id.as_str(), region.as_str(), namespace.as_str()), ("000000000000", "us-east-1", "App"));
    let minute = (NOW - 30_000) - (NOW - 30_000).rem_euclid(MINUTE);
    let find = |name: &str, dims: &[(&str, &str)]| {
        data.iter()
            .find(|d| d.metric_name == name && d.dimensions.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect::<Vec<_>>() == dims)
            .unwrap_or_else(|| panic!("{name} {dims:?} in {data:?}"))
            .clone()
    };
    let error_latency = find("Latency", &[("Level", "ERROR")]);
    assert_eq!(error_latency.value, MetricValue::StatisticSet { sample_count: 2.0, sum: 400.0, minimum: 100.0, maximum: 300.0 });
    assert_eq!(error_latency.unit.as_deref(), Some("Milliseconds"));
    assert_eq!(error_latency.timestamp_ms, minute);
    assert_eq!(find("Latency", &[("Level", "INFO")]).value, MetricValue::Single { value: 7.0 });
    // Two matches of ERROR plus the default for the third event.
    assert_eq!(find("Errors", &[]).value, MetricValue::StatisticSet { sample_count: 3.0, sum: 2.0, minimum: 0.0, maximum: 1.0 });

    let described = h.ok("DescribeMetricFilters", json!({"metricName": "Errors", "metricNamespace": "App"})).await;
    assert_eq!(described["metricFilters"].as_array().unwrap().len(), 1);
    assert_eq!(described["metricFilters"][0]["metricTransformations"][0]["defaultValue"], 0.0);
    let e = h
        .err("PutMetricFilter", json!({"logGroupName": "g", "filterName": "bad", "filterPattern": "{ $.a > x }", "metricTransformations": [{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}]}))
        .await;
    assert_eq!(e.message, "Invalid metric filter pattern");
    h.ok("DeleteMetricFilter", json!({"logGroupName": "g", "filterName": "latency"})).await;
    let e = h.err("DeleteMetricFilter", json!({"logGroupName": "g", "filterName": "latency"})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
    h.bus.deliveries.lock().unwrap().clear();
    h.put("g", "s", &[(NOW, r#"{"level":"ERROR","latency":1}"#)]).await;
    let deliveries = h.bus.deliveries.lock().unwrap().clone();
    let Delivery::Metrics { data, .. } = &deliveries[0] else { panic!() };
    assert_eq!(data.iter().map(|d| d.metric_name.as_str()).collect::<Vec<_>>(), ["Errors"], "the deleted filter no longer publishes");
}

#[tokio::test]
async fn test_metric_filter_reports_extracted_values() {
    let h = harness();
    let out = h
        .ok("TestMetricFilter", json!({"filterPattern": "[ip, user, username, timestamp, request, status_code, bytes]", "logEventMessages": [
            r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 200 1534"#, "short"]}))
        .await;
    let matches = out["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0]["eventNumber"], 1);
    assert_eq!(matches[0]["extractedValues"]["$status_code"], "200");
    assert_eq!(matches[0]["extractedValues"]["$request"], "GET /index.html HTTP/1.0");
}

#[tokio::test]
async fn subscription_filters_allow_two_per_group() {
    let h = harness();
    h.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    let put = |name: &str, pattern: &str| {
        h.call("PutSubscriptionFilter", json!({"logGroupName": "g", "filterName": name, "filterPattern": pattern, "destinationArn": "arn:aws:lambda:us-east-1:000000000000:function:f"}))
    };
    put("a", "").await.unwrap();
    put("b", "ERROR").await.unwrap();
    put("b", "WARN").await.unwrap();
    let e = put("c", "").await.unwrap_err();
    assert_eq!(e.code, "LimitExceededException");
    let e = put("c", "{ $.x > nope }").await.unwrap_err();
    assert_eq!(e.message, "Invalid subscription filter pattern");
    let out = h.ok("DescribeSubscriptionFilters", json!({"logGroupName": "g"})).await;
    let filters = out["subscriptionFilters"].as_array().unwrap();
    assert_eq!(filters.len(), 2);
    assert_eq!(filters[1]["filterPattern"], "WARN");
    assert_eq!(filters[1]["distribution"], "ByLogStream");
    h.ok("DeleteSubscriptionFilter", json!({"logGroupName": "g", "filterName": "a"})).await;
    put("c", "").await.unwrap();
}

async fn query_results(h: &Harness, id: &str) -> Value {
    for _ in 0..200 {
        let out = h.ok("GetQueryResults", json!({"queryId": id})).await;
        if out["status"] != "Running" {
            return out;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("query {id} never finished");
}

#[tokio::test]
async fn insights_stats_by_bin() {
    let h = harness();
    h.group_with_stream("g", "s").await;
    let base = NOW - 20 * MINUTE;
    h.put("g", "s", &[
        (base, r#"{"level":"ERROR"}"#),
        (base + MINUTE, r#"{"level":"ERROR"}"#),
        (base + 6 * MINUTE, r#"{"level":"INFO"}"#),
        (base + 7 * MINUTE, r#"{"level":"ERROR"}"#),
    ])
    .await;
    let started = h
        .ok("StartQuery", json!({"logGroupName": "g", "startTime": (NOW - HOUR) / 1000, "endTime": NOW / 1000,
            "queryString": "filter level = 'ERROR' | stats count(*) as errors by bin(5m)"}))
        .await;
    let out = query_results(&h, started["queryId"].as_str().unwrap()).await;
    assert_eq!(out["status"], "Complete");
    let rows = out["results"].as_array().unwrap();
    let counts: Vec<(&str, &str)> = rows.iter().map(|r| (r[0]["value"].as_str().unwrap(), r[1]["value"].as_str().unwrap())).collect();
    assert_eq!(counts.len(), 2);
    assert!(counts.contains(&("2023-12-31 23:40:00.000", "2")), "{counts:?}");
    assert!(counts.contains(&("2023-12-31 23:45:00.000", "1")), "{counts:?}");
    assert_eq!(out["statistics"]["recordsScanned"], 4.0);
    assert_eq!(out["statistics"]["recordsMatched"], 3.0);
    let described = h.ok("DescribeQueries", json!({"logGroupName": "g"})).await;
    assert_eq!(described["queries"][0]["status"], "Complete");

    let e = h.err("StartQuery", json!({"logGroupName": "g", "startTime": 0, "endTime": 1, "queryString": "stats count(*) by"})).await;
    assert_eq!(e.code, "MalformedQueryException");
    assert!(e.fields["queryCompileError"]["location"]["startCharOffset"].is_number());
    let e = h.err("StartQuery", json!({"logGroupName": "missing", "startTime": 0, "endTime": 1, "queryString": "fields @message"})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
    let e = h.err("GetQueryResults", json!({"queryId": "nope"})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn retention_deletes_old_events_on_the_clock() {
    let h = harness();
    h.group_with_stream("g", "s").await;
    h.put("g", "s", &[(NOW - 2 * DAY, "two days"), (NOW - 2 * DAY + HOUR, "two days less an hour")]).await;
    h.put("g", "s", &[(NOW, "today")]).await;
    h.ok("PutRetentionPolicy", json!({"logGroupName": "g", "retentionInDays": 3})).await;
    h.logs.sweep().await;
    let all = h.ok("FilterLogEvents", json!({"logGroupName": "g"})).await;
    assert_eq!(messages(&all).len(), 3);
    h.clock.advance(Duration::from_secs(86_400 + 1800));
    h.logs.sweep().await;
    let all = h.ok("FilterLogEvents", json!({"logGroupName": "g"})).await;
    assert_eq!(messages(&all), ["two days less an hour", "today"]);
    let stream = h.ok("GetLogEvents", json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true})).await;
    assert_eq!(messages(&stream), ["two days less an hour", "today"]);
    let groups = h.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(groups["logGroups"][0]["storedBytes"], ("two days less an hour".len() + "today".len()) as u64);
}

#[tokio::test]
async fn deleted_streams_and_groups_take_their_events() {
    let h = harness();
    h.group_with_stream("g", "s").await;
    h.ok("CreateLogStream", json!({"logGroupName": "g", "logStreamName": "keep"})).await;
    h.put("g", "s", &[(NOW, "gone")]).await;
    h.put("g", "keep", &[(NOW, "kept")]).await;
    let e = h.err("CreateLogStream", json!({"logGroupName": "g", "logStreamName": "s"})).await;
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("ResourceAlreadyExistsException", "The specified log stream already exists"));
    h.ok("DeleteLogStream", json!({"logGroupName": "g", "logStreamName": "s"})).await;
    h.ok("CreateLogStream", json!({"logGroupName": "g", "logStreamName": "s"})).await;
    assert_eq!(messages(&h.ok("FilterLogEvents", json!({"logGroupName": "g"})).await), ["kept"]);
    let fresh = h.ok("GetLogEvents", json!({"logGroupName": "g", "logStreamName": "s"})).await;
    assert!(messages(&fresh).is_empty());
    assert_eq!(h.ok("DescribeLogGroups", json!({})).await["logGroups"][0]["storedBytes"], 4);

    h.ok("DeleteLogGroup", json!({"logGroupName": "g"})).await;
    h.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    assert!(messages(&h.ok("FilterLogEvents", json!({"logGroupName": "g"})).await).is_empty());
    let streams = h.ok("DescribeLogStreams", json!({"logGroupName": "g"})).await;
    assert_eq!(streams["logStreams"], json!([]));
}

#[tokio::test]
async fn describe_log_streams_orders_and_pages() {
    let h = harness();
    h.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    for name in ["b", "a", "c"] {
        h.ok("CreateLogStream", json!({"logGroupName": "g", "logStreamName": name})).await;
    }
    h.put("g", "a", &[(NOW, "x")]).await;
    h.put("g", "c", &[(NOW - MINUTE, "x")]).await;
    let names = |out: &Value| -> Vec<String> { out["logStreams"].as_array().unwrap().iter().map(|s| s["logStreamName"].as_str().unwrap().to_owned()).collect() };
    assert_eq!(names(&h.ok("DescribeLogStreams", json!({"logGroupName": "g"})).await), ["a", "b", "c"]);
    assert_eq!(names(&h.ok("DescribeLogStreams", json!({"logGroupName": "g", "orderBy": "LastEventTime", "descending": true})).await), ["a", "c", "b"]);
    let first = h.ok("DescribeLogStreams", json!({"logGroupName": "g", "limit": 2, "descending": true})).await;
    assert_eq!(names(&first), ["c", "b"]);
    let second = h.ok("DescribeLogStreams", json!({"logGroupName": "g", "limit": 2, "descending": true, "nextToken": first["nextToken"]})).await;
    assert_eq!(names(&second), ["a"]);
    assert!(second.get("nextToken").is_none());
    let e = h.err("DescribeLogStreams", json!({"logGroupName": "g", "orderBy": "LastEventTime", "logStreamNamePrefix": "a"})).await;
    assert_eq!(e.message, "Cannot order by LastEventTime with a logStreamNamePrefix.");
    let e = h.err("DescribeLogStreams", json!({"logGroupName": "g", "logGroupIdentifier": "g"})).await;
    assert_eq!(e.message, "LogGroup name and LogGroup ARN are mutually exclusive parameters.");
}

#[tokio::test]
async fn resource_policies_round_trip() {
    let h = harness();
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"route53.amazonaws.com"},"Action":"logs:PutLogEvents","Resource":"*"}]}"#;
    let out = h.ok("PutResourcePolicy", json!({"policyName": "r53", "policyDocument": doc})).await;
    assert_eq!(out["resourcePolicy"]["policyScope"], "ACCOUNT");
    let listed = h.ok("DescribeResourcePolicies", json!({})).await;
    assert_eq!(listed["resourcePolicies"][0]["policyName"], "r53");
    assert_eq!(listed["resourcePolicies"][0]["policyDocument"], doc);
    let e = h.err("PutResourcePolicy", json!({"policyName": "bad", "policyDocument": "{"})).await;
    assert_eq!(e.code, "InvalidParameterException");
    h.ok("DeleteResourcePolicy", json!({"policyName": "r53"})).await;
    let e = h.err("DeleteResourcePolicy", json!({"policyName": "r53"})).await;
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[test]
fn strict_mode_names_streams_and_groups() {
    let ctx = RequestContext::for_tests("logs", "PutLogEvents");
    let access = crate::access::access(&ctx, "PutLogEvents", &json!({"logGroupName": "g", "logStreamName": "s"}));
    assert_eq!(access[0].action, "logs:PutLogEvents");
    assert_eq!(access[0].resources, ["arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:s"]);
    let access = crate::access::access(&ctx, "FilterLogEvents", &json!({"logGroupIdentifier": "arn:aws:logs:us-east-1:000000000000:log-group:g:*"}));
    assert_eq!(access[0].resources, ["arn:aws:logs:us-east-1:000000000000:log-group:g"]);
}

#[tokio::test]
async fn pages_stop_at_one_megabyte() {
    let h = harness();
    h.group_with_stream("g", "s").await;
    let big = "x".repeat(400_000);
    h.put("g", "s", &[(NOW - 2, &big), (NOW - 1, &big)]).await;
    h.put("g", "s", &[(NOW, &big)]).await;
    let first = h.ok("FilterLogEvents", json!({"logGroupName": "g"})).await;
    assert_eq!(messages(&first).len(), 2);
    let rest = h.ok("FilterLogEvents", json!({"logGroupName": "g", "nextToken": first["nextToken"]})).await;
    assert_eq!(messages(&rest).len(), 1);
    assert!(rest.get("nextToken").is_none());
    let head = h.ok("GetLogEvents", json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true})).await;
    assert_eq!(messages(&head).len(), 2);
    let next = h.ok("GetLogEvents", json!({"logGroupName": "g", "logStreamName": "s", "nextToken": head["nextForwardToken"]})).await;
    assert_eq!(messages(&next).len(), 1);
}
