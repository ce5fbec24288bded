//! S3 request metrics end to end: bucket metrics configurations (Put/Get/Delete/List, AWS's
//! validation and limits) and the `AWS/S3` datapoints of the requests they select.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::*;
use nimbus_core::{MetricDatum, MetricValue};
use nimbus_svc_s3::S3Front;

fn metrics_xml(id: &str, filter: &str) -> String {
    format!("<MetricsConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Id>{id}</Id>{filter}</MetricsConfiguration>")
}

async fn put_config(h: &Harness, bucket: &str, id: &str, filter: &str) -> Resp {
    h.send_xml("PUT", &format!("/{bucket}?metrics&id={id}"), &metrics_xml(id, filter)).await
}

async fn set_config(h: &Harness, bucket: &str, id: &str, filter: &str) {
    let r = put_config(h, bucket, id, filter).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// The datapoints of one (bucket, filter): metric name → value.
fn readings(all: &[(String, String, Vec<MetricDatum>)], bucket: &str, filter_id: &str) -> BTreeMap<String, MetricValue> {
    let dimensions = [("BucketName".to_owned(), bucket.to_owned()), ("FilterId".to_owned(), filter_id.to_owned())];
    all.iter()
        .flat_map(|(_, _, data)| data)
        .filter(|d| d.dimensions == dimensions)
        .map(|d| (d.metric_name.clone(), d.value.clone()))
        .collect()
}

fn count(values: &BTreeMap<String, MetricValue>, name: &str) -> f64 {
    match values.get(name) {
        Some(MetricValue::Single { value }) => *value,
        Some(MetricValue::StatisticSet { sum, .. }) => *sum,
        None => 0.0,
    }
}

fn samples(values: &BTreeMap<String, MetricValue>, name: &str) -> f64 {
    match values.get(name) {
        Some(MetricValue::StatisticSet { sample_count, .. }) => *sample_count,
        Some(MetricValue::Single { .. }) => 1.0,
        None => 0.0,
    }
}

/// Response bodies report when their last byte is out, which for empty bodies is when the
/// server drops them, just after the client has the response.
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
}

#[tokio::test]
async fn configurations_are_validated_stored_listed_and_deleted() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    h.expect_error("GET", "/bkt?metrics&id=none", 404, "NoSuchConfiguration").await;
    h.expect_error("DELETE", "/bkt?metrics&id=none", 404, "NoSuchConfiguration").await;
    let empty = h.ok("GET", "/bkt?metrics").await;
    assert_eq!(empty.one("IsTruncated").as_deref(), Some("false"));
    assert!(empty.all("MetricsConfiguration").is_empty(), "{}", empty.text());

    set_config(&h, "bkt", "EntireBucket", "").await;
    set_config(&h, "bkt", "logs", "<Filter><Prefix>logs/</Prefix></Filter>").await;
    set_config(
        &h,
        "bkt",
        "tagged",
        "<Filter><And><Prefix>data/</Prefix><Tag><Key>team</Key><Value>a</Value></Tag></And></Filter>",
    )
    .await;
    let r = h.ok("GET", "/bkt?metrics&id=logs").await;
    assert_eq!(r.one("Id").as_deref(), Some("logs"));
    assert_eq!(r.one("Prefix").as_deref(), Some("logs/"));
    let r = h.ok("GET", "/bkt?metrics&id=tagged").await;
    assert!(r.text().contains("<And>"), "{}", r.text());
    assert_eq!(r.one("Key").as_deref(), Some("team"));
    let r = h.ok("GET", "/bkt?metrics&id=EntireBucket").await;
    assert!(!r.text().contains("<Filter>"), "{}", r.text());

    // A Put replaces the configuration whole.
    set_config(&h, "bkt", "logs", "<Filter><Prefix>other/</Prefix></Filter>").await;
    assert_eq!(h.ok("GET", "/bkt?metrics&id=logs").await.one("Prefix").as_deref(), Some("other/"));
    let list = h.ok("GET", "/bkt?metrics").await;
    assert_eq!(list.all("Id"), vec!["EntireBucket", "logs", "tagged"]);

    let refused = [
        ("bad id!", "", "InvalidArgument"),
        ("a-very-long-id-that-goes-on-and-on-and-on-well-past-sixty-four-chars", "", "InvalidArgument"),
        ("lonely", "<Filter><And><Prefix>p/</Prefix></And></Filter>", "MalformedXML"),
        ("ap", "<Filter><AccessPointArn>not-an-arn</AccessPointArn></Filter>", "InvalidArgument"),
        ("dup", "<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter>", "InvalidTag"),
    ];
    for (id, filter, code) in refused {
        let target = format!("/bkt?metrics&id={}", enc(id));
        let r = h.send_xml("PUT", &target, &metrics_xml(id, filter)).await;
        assert_eq!((r.status, r.code().as_deref()), (400, Some(code)), "{id}: {}", r.text());
    }
    // The id of the query and the body must agree.
    let r = h.send_xml("PUT", "/bkt?metrics&id=one", &metrics_xml("two", "")).await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidArgument")), "{}", r.text());
    let r = put_config(&h, "missing-bucket", "x", "").await;
    assert_eq!(r.code().as_deref(), Some("NoSuchBucket"));

    h.ok("DELETE", "/bkt?metrics&id=logs").await;
    h.expect_error("GET", "/bkt?metrics&id=logs", 404, "NoSuchConfiguration").await;
    assert_eq!(h.ok("GET", "/bkt?metrics").await.all("Id"), vec!["EntireBucket", "tagged"]);
}

#[tokio::test]
async fn a_bucket_holds_at_most_1000_configurations_listed_100_at_a_time() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    for i in 0..1000 {
        set_config(&h, "bkt", &format!("cfg-{i:04}"), "").await;
    }
    let r = put_config(&h, "bkt", "one-too-many", "").await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("TooManyConfigurations")), "{}", r.text());
    // Replacing an existing one is not a new configuration.
    set_config(&h, "bkt", "cfg-0007", "<Filter><Prefix>p/</Prefix></Filter>").await;

    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let target = match &token {
            Some(t) => format!("/bkt?metrics&continuation-token={}", enc(t)),
            None => "/bkt?metrics".to_owned(),
        };
        let page = h.ok("GET", &target).await;
        let page_ids = page.all("Id");
        assert!(page_ids.len() <= 100);
        ids.extend(page_ids);
        if page.one("IsTruncated").as_deref() != Some("true") {
            assert!(page.one("NextContinuationToken").is_none());
            break;
        }
        assert_eq!(page.one("ContinuationToken"), token);
        token = page.one("NextContinuationToken");
        assert!(token.is_some());
    }
    let expected: Vec<String> = (0..1000).map(|i| format!("cfg-{i:04}")).collect();
    assert_eq!(ids, expected);
    h.expect_error("GET", "/bkt?metrics&continuation-token=%21%21", 400, "InvalidArgument").await;
}

#[tokio::test]
async fn selected_requests_are_counted_per_filter_and_read_once() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    h.ok("PUT", "/quiet").await;
    set_config(&h, "bkt", "EntireBucket", "").await;
    set_config(&h, "bkt", "logs", "<Filter><Prefix>logs/</Prefix></Filter>").await;
    set_config(&h, "bkt", "via-ap", "<Filter><AccessPointArn>arn:aws:s3:us-east-1:000000000000:accesspoint/ap</AccessPointArn></Filter>").await;
    // Activity before this point (the configuration PUTs) is not what is measured here.
    let _ = h.front.standard_metrics();

    h.put("/bkt/logs/a", b"hello").await;
    h.put("/bkt/img/b", b"0123456789").await;
    h.put("/quiet/logs/a", b"not counted").await;
    let got = h.ok("GET", "/bkt/logs/a").await;
    assert_eq!(got.body, b"hello");
    h.expect_error("GET", "/bkt/logs/missing", 404, "NoSuchKey").await;
    h.ok("HEAD", "/bkt/logs/a").await;
    h.ok("GET", "/bkt?list-type=2").await;
    h.ok("DELETE", "/bkt/img/b").await;
    settle().await;

    let all = h.front.standard_metrics();
    assert_eq!(all.len(), 1, "one account and region");
    assert_eq!((all[0].0.as_str(), all[0].1.as_str()), (ACCOUNT, "us-east-1"));
    let whole = readings(&all, "bkt", "EntireBucket");
    assert_eq!(count(&whole, "AllRequests"), 7.0);
    assert_eq!(count(&whole, "PutRequests"), 2.0);
    assert_eq!(count(&whole, "GetRequests"), 2.0);
    assert_eq!(count(&whole, "HeadRequests"), 1.0);
    assert_eq!(count(&whole, "ListRequests"), 1.0);
    assert_eq!(count(&whole, "DeleteRequests"), 1.0);
    assert_eq!(count(&whole, "PostRequests"), 0.0);
    assert_eq!(count(&whole, "SelectRequests"), 0.0);
    assert_eq!(count(&whole, "4xxErrors"), 1.0);
    assert_eq!(samples(&whole, "4xxErrors"), 7.0);
    assert_eq!(count(&whole, "5xxErrors"), 0.0);
    assert_eq!(count(&whole, "BytesUploaded"), 15.0);
    assert_eq!(samples(&whole, "BytesUploaded"), 2.0);
    assert_eq!(samples(&whole, "FirstByteLatency"), 7.0);
    assert_eq!(samples(&whole, "TotalRequestLatency"), 7.0);
    // The object, the 404's error document and the listing came with bodies.
    assert!(count(&whole, "BytesDownloaded") > 5.0);
    assert_eq!(samples(&whole, "BytesDownloaded"), 3.0);

    // The prefix filter sees the logs/ object requests, not the bucket listing.
    let logs = readings(&all, "bkt", "logs");
    assert_eq!(count(&logs, "AllRequests"), 4.0);
    assert_eq!(count(&logs, "PutRequests"), 1.0);
    assert_eq!(count(&logs, "GetRequests"), 2.0);
    assert_eq!(count(&logs, "HeadRequests"), 1.0);
    assert_eq!(count(&logs, "ListRequests"), 0.0);
    assert_eq!(count(&logs, "BytesUploaded"), 5.0);
    assert_eq!(count(&logs, "4xxErrors"), 1.0);
    // No request comes through an access point in Nimbus; a quiet bucket publishes nothing.
    assert!(readings(&all, "bkt", "via-ap").is_empty());
    assert!(all.iter().flat_map(|(_, _, d)| d).all(|d| d.dimensions[0].1 == "bkt"));

    // A reading resets the counters: the next minute has nothing.
    assert!(h.front.standard_metrics().is_empty());
}

#[tokio::test]
async fn configuration_changes_and_bucket_deletion_take_effect_at_once() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    set_config(&h, "bkt", "logs", "<Filter><Prefix>logs/</Prefix></Filter>").await;
    let _ = h.front.standard_metrics();
    h.put("/bkt/logs/a", b"x").await;
    // Widening the filter keeps what was counted under the same id.
    set_config(&h, "bkt", "logs", "").await;
    h.ok("GET", "/bkt?list-type=2").await;
    settle().await;
    let all = h.front.standard_metrics();
    let logs = readings(&all, "bkt", "logs");
    assert_eq!(count(&logs, "PutRequests"), 1.0);
    assert_eq!(count(&logs, "ListRequests"), 1.0);
    // The Put of the configuration itself was a bucket-level request it selects.
    assert_eq!(count(&logs, "AllRequests"), 3.0);

    // What a deleted configuration counted is still published once.
    h.ok("GET", "/bkt/logs/a").await;
    h.ok("DELETE", "/bkt?metrics&id=logs").await;
    h.ok("GET", "/bkt/logs/a").await;
    settle().await;
    let all = h.front.standard_metrics();
    assert_eq!(count(&readings(&all, "bkt", "logs"), "GetRequests"), 1.0);
    assert!(h.front.standard_metrics().is_empty());

    // A bucket deleted and created again starts without configurations.
    set_config(&h, "bkt", "EntireBucket", "").await;
    h.ok("DELETE", "/bkt/logs/a").await;
    h.ok("DELETE", "/bkt").await;
    let _ = h.front.standard_metrics();
    h.ok("PUT", "/bkt").await;
    h.put("/bkt/k", b"x").await;
    h.expect_error("GET", "/bkt?metrics&id=EntireBucket", 404, "NoSuchConfiguration").await;
    settle().await;
    assert!(h.front.standard_metrics().is_empty());
}

#[tokio::test]
async fn configurations_are_loaded_at_the_first_request_after_a_start() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    set_config(&h, "bkt", "EntireBucket", "").await;

    // A second front over the same store, as after a restart.
    let restarted = Arc::new(S3Front::new(h.store.clone(), h.clock.clone(), h.registry.clone(), false));
    assert!(restarted.standard_metrics().is_empty());
    // Anonymous: refused (Block Public Access), and counted as a 4xx.
    let req = http::Request::builder()
        .method("GET")
        .uri("/bkt/k")
        .header("host", "localhost")
        .body(s3s::Body::empty())
        .unwrap();
    let resp = restarted.call(req).await;
    assert_eq!(resp.status(), 403);
    drop(resp);
    let all = restarted.standard_metrics();
    let whole = readings(&all, "bkt", "EntireBucket");
    assert_eq!(count(&whole, "GetRequests"), 1.0);
    assert_eq!(count(&whole, "4xxErrors"), 1.0);
    assert!(samples(&whole, "TotalRequestLatency") == 1.0);
}
