//! S3 lifecycle end to end: configuration validation, and the sweeper driven by a fixed clock.

mod common;

use std::time::Duration;

use common::*;
use nimbus_core::Clock;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

fn at(rfc3339: &str) -> Clock {
    Clock::fixed(
        time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
            .unwrap(),
    )
}

fn lifecycle(rules: &str) -> String {
    format!(
        "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{rules}</LifecycleConfiguration>"
    )
}

async fn set_lifecycle(h: &Harness, bucket: &str, rules: &str) {
    let r = h
        .send_xml("PUT", &format!("/{bucket}?lifecycle"), &lifecycle(rules))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn exists(h: &Harness, target: &str) -> bool {
    h.call("HEAD", target).send().await.status == 200
}

#[tokio::test]
async fn configuration_is_validated_stored_and_removed() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    let _r = h
        .expect_error("GET", "/bkt?lifecycle", 404, "NoSuchLifecycleConfiguration")
        .await;

    set_lifecycle(
        &h,
        "bkt",
        "<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>\
         <Rule><ID>old</ID><Prefix>tmp/</Prefix><Status>Disabled</Status><NoncurrentVersionExpiration><NoncurrentDays>7</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>\
         <Rule><ID>tagged</ID><Filter><And><Prefix>data/</Prefix><Tag><Key>tier</Key><Value>cold</Value></Tag><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><Transition><Days>0</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>",
    )
    .await;
    let r = h.ok("GET", "/bkt?lifecycle").await;
    assert_eq!(r.all("ID"), vec!["logs", "old", "tagged"]);
    assert_eq!(r.all("Status"), vec!["Enabled", "Disabled", "Enabled"]);
    assert_eq!(r.one("Days").as_deref(), Some("30"));
    assert_eq!(r.one("NoncurrentDays").as_deref(), Some("7"));
    assert_eq!(r.one("NewerNoncurrentVersions").as_deref(), Some("2"));
    assert_eq!(r.one("DaysAfterInitiation").as_deref(), Some("3"));
    assert_eq!(r.one("StorageClass").as_deref(), Some("GLACIER"));
    let text = r.text();
    assert!(text.contains("<And>"), "{text}");
    assert!(
        text.contains("<ObjectSizeGreaterThan>100</ObjectSizeGreaterThan>"),
        "{text}"
    );
    // The legacy rule-level Prefix comes back as it was given.
    assert!(
        text.contains("<Prefix>tmp/</Prefix><Status>")
            || text.contains("</ID><Prefix>tmp/</Prefix>"),
        "{text}"
    );

    let refused = [
        // Duplicate IDs.
        (
            "<Rule><ID>x</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule><Rule><ID>x</ID><Filter/><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>",
            "InvalidArgument",
        ),
        // Filter and Prefix together.
        (
            "<Rule><ID>x</ID><Prefix>a</Prefix><Filter><Prefix>a</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
            "MalformedXML",
        ),
        // Days with ExpiredObjectDeleteMarker.
        (
            "<Rule><ID>x</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>",
            "MalformedXML",
        ),
        // Days must be positive.
        (
            "<Rule><ID>x</ID><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>",
            "InvalidArgument",
        ),
        // A date that is not midnight UTC.
        (
            "<Rule><ID>x</ID><Filter/><Status>Enabled</Status><Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration></Rule>",
            "InvalidArgument",
        ),
        // No action at all.
        (
            "<Rule><ID>x</ID><Filter/><Status>Enabled</Status></Rule>",
            "InvalidArgument",
        ),
        // Abort with a tag filter.
        (
            "<Rule><ID>x</ID><Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
            "InvalidArgument",
        ),
        // Unknown status.
        (
            "<Rule><ID>x</ID><Filter/><Status>On</Status><Expiration><Days>1</Days></Expiration></Rule>",
            "MalformedXML",
        ),
    ];
    for (rules, code) in refused {
        let r = h.send_xml("PUT", "/bkt?lifecycle", &lifecycle(rules)).await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some(code)),
            "{rules}: {}",
            r.text()
        );
    }
    let too_many: String = (0..1001)
        .map(|i| format!("<Rule><ID>r{i}</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"))
        .collect();
    let r = h
        .send_xml("PUT", "/bkt?lifecycle", &lifecycle(&too_many))
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("MalformedXML")));
    // Refusals left the stored configuration alone.
    assert_eq!(h.ok("GET", "/bkt?lifecycle").await.all("ID").len(), 3);

    assert_eq!(h.call("DELETE", "/bkt?lifecycle").send().await.status, 204);
    let _r = h
        .expect_error("GET", "/bkt?lifecycle", 404, "NoSuchLifecycleConfiguration")
        .await;
}

#[tokio::test]
async fn expiration_by_days_rounds_to_midnight_and_is_idempotent() {
    let clock = at("2024-01-15T10:30:00Z");
    let h = start_with_clock(false, clock.clone()).await;
    h.ok("PUT", "/bkt").await;
    h.put("/bkt/logs/a", b"x").await;
    h.put("/bkt/keep/b", b"x").await;
    set_lifecycle(
        &h,
        "bkt",
        "<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
    )
    .await;

    assert!(!h.front.run_lifecycle().await.acted());
    // Created 01-15 10:30 + 1 day = 01-16 10:30, rounded up: due 01-17 00:00 UTC.
    clock.advance(DAY + 13 * HOUR + Duration::from_secs(29 * 60)); // 01-16 23:59
    let report = h.front.run_lifecycle().await;
    assert!(!report.acted(), "{report:?}");
    assert!(exists(&h, "/bkt/logs/a").await);
    clock.advance(Duration::from_secs(60)); // 01-17 00:00
    let report = h.front.run_lifecycle().await;
    assert_eq!(report.objects_expired, 1, "{report:?}");
    assert!(!exists(&h, "/bkt/logs/a").await);
    assert!(exists(&h, "/bkt/keep/b").await);

    // Again at the same time: nothing more to do.
    let report = h.front.run_lifecycle().await;
    assert!(!report.acted(), "{report:?}");
    // And once nothing changed, the bucket is not even read.
    let report = h.front.run_lifecycle().await;
    assert_eq!(
        (report.buckets_skipped, report.buckets_swept),
        (1, 0),
        "{report:?}"
    );
    // A write makes it look again.
    h.put("/bkt/logs/new", b"x").await;
    let report = h.front.run_lifecycle().await;
    assert_eq!(report.buckets_swept, 1, "{report:?}");
    assert!(exists(&h, "/bkt/logs/new").await);
}

#[tokio::test]
async fn expiration_by_date_with_tag_and_size_filters() {
    let clock = at("2024-03-01T12:00:00Z");
    let h = start_with_clock(false, clock.clone()).await;
    h.ok("PUT", "/bkt").await;
    for (key, tags, size) in [
        ("big-cold", "tier=cold", 200),
        ("small-cold", "tier=cold", 10),
        ("big-hot", "tier=hot", 200),
    ] {
        let r = h
            .call("PUT", format!("/bkt/{key}"))
            .header("x-amz-tagging", tags)
            .body(vec![b'x'; size])
            .send()
            .await;
        assert_eq!(r.status, 200);
    }
    set_lifecycle(
        &h,
        "bkt",
        "<Rule><ID>cold</ID><Filter><And><Tag><Key>tier</Key><Value>cold</Value></Tag><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><Expiration><Date>2024-03-05T00:00:00Z</Date></Expiration></Rule>",
    )
    .await;
    clock.advance(3 * DAY); // 03-04 12:00
    assert!(!h.front.run_lifecycle().await.acted());
    clock.advance(12 * HOUR); // 03-05 00:00
    assert_eq!(h.front.run_lifecycle().await.objects_expired, 1);
    assert!(!exists(&h, "/bkt/big-cold").await);
    assert!(exists(&h, "/bkt/small-cold").await);
    assert!(exists(&h, "/bkt/big-hot").await);
}

#[tokio::test]
async fn disabled_rules_do_nothing() {
    let clock = at("2024-01-01T00:00:00Z");
    let h = start_with_clock(false, clock.clone()).await;
    h.ok("PUT", "/bkt").await;
    h.put("/bkt/a", b"x").await;
    set_lifecycle(
        &h,
        "bkt",
        "<Rule><ID>off</ID><Filter/><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
    )
    .await;
    clock.advance(10 * DAY);
    assert!(!h.front.run_lifecycle().await.acted());
    assert!(exists(&h, "/bkt/a").await);
}

#[tokio::test]
async fn versioned_expiration_noncurrent_expiry_and_expired_markers() {
    let clock = at("2024-01-01T08:00:00Z");
    let h = start_with_clock(false, clock.clone()).await;
    h.ok("PUT", "/bkt").await;
    let r = h
        .send_xml(
            "PUT",
            "/bkt?versioning",
            "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
        )
        .await;
    assert_eq!(r.status, 200);
    h.put("/bkt/doc", b"v1").await;
    set_lifecycle(
        &h,
        "bkt",
        "<Rule><ID>current</ID><Filter/><Status>Enabled</Status><Expiration><Days>2</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration></Rule>\
         <Rule><ID>markers</ID><Filter/><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>",
    )
    .await;

    // 01-01 08:00 + 2 days → due 01-04 00:00: a delete marker, not a deletion.
    clock.advance(2 * DAY + 16 * HOUR); // 01-04 00:00
    let report = h.front.run_lifecycle().await;
    assert_eq!(report.delete_markers_placed, 1, "{report:?}");
    let r = h.call("GET", "/bkt/doc").send().await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-amz-delete-marker").as_deref(), Some("true"));
    let r = h.ok("GET", "/bkt?versions").await;
    assert_eq!(r.all("Version").len(), 1);
    assert_eq!(r.all("DeleteMarker").len(), 1);
    // Idempotent: the marker is not stacked again.
    assert!(!h.front.run_lifecycle().await.acted());

    // v1 became noncurrent 01-04 00:00; + 3 days → 01-07 00:00.
    clock.advance(3 * DAY - HOUR);
    assert!(!h.front.run_lifecycle().await.acted());
    clock.advance(HOUR);
    let report = h.front.run_lifecycle().await;
    assert_eq!(report.noncurrent_expired, 1, "{report:?}");
    // The marker was then all that was left of the key: removed too.
    assert_eq!(report.delete_markers_removed, 1, "{report:?}");
    let r = h.ok("GET", "/bkt?versions").await;
    assert!(
        r.all("Version").is_empty() && r.all("DeleteMarker").is_empty(),
        "{}",
        r.text()
    );
    assert_eq!(h.call("DELETE", "/bkt").send().await.status, 204);
}

#[tokio::test]
async fn newer_noncurrent_versions_are_kept() {
    let clock = at("2024-01-01T00:00:00Z");
    let h = start_with_clock(false, clock.clone()).await;
    h.ok("PUT", "/bkt").await;
    h.send_xml(
        "PUT",
        "/bkt?versioning",
        "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
    )
    .await;
    let mut versions = Vec::new();
    for i in 0..5 {
        let r = h.put("/bkt/k", format!("v{i}").as_bytes()).await;
        versions.push(r.header("x-amz-version-id").unwrap());
    }
    set_lifecycle(
        &h,
        "bkt",
        "<Rule><ID>keep2</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>",
    )
    .await;
    clock.advance(2 * DAY);
    let report = h.front.run_lifecycle().await;
    // Four noncurrent versions, the two newest kept.
    assert_eq!(report.noncurrent_expired, 2, "{report:?}");
    let r = h.ok("GET", "/bkt?versions").await;
    assert_eq!(
        r.all("VersionId"),
        vec![
            versions[4].clone(),
            versions[3].clone(),
            versions[2].clone()
        ]
    );
}

#[tokio::test]
async fn transitions_change_the_storage_class() {
    let clock = at("2024-01-01T00:00:00Z");
    let h = start_with_clock(false, clock.clone()).await;
    h.ok("PUT", "/bkt").await;
    h.put("/bkt/archive/a", b"x").await;
    h.put("/bkt/other", b"x").await;
    set_lifecycle(
        &h,
        "bkt",
        "<Rule><ID>tiers</ID><Filter><Prefix>archive/</Prefix></Filter><Status>Enabled</Status>\
         <Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>\
         <Transition><Days>90</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>",
    )
    .await;
    clock.advance(31 * DAY);
    assert_eq!(h.front.run_lifecycle().await.transitioned, 1);
    let r = h.call("HEAD", "/bkt/archive/a").send().await;
    assert_eq!(
        r.header("x-amz-storage-class").as_deref(),
        Some("STANDARD_IA")
    );
    assert_eq!(
        h.call("HEAD", "/bkt/other")
            .send()
            .await
            .header("x-amz-storage-class"),
        None
    );
    assert!(!h.front.run_lifecycle().await.acted());
    clock.advance(60 * DAY);
    assert_eq!(h.front.run_lifecycle().await.transitioned, 1);
    let r = h.ok("GET", "/bkt?list-type=2&prefix=archive/").await;
    assert_eq!(r.one("StorageClass").as_deref(), Some("GLACIER"));
}

#[tokio::test]
async fn incomplete_multipart_uploads_are_aborted() {
    let clock = at("2024-01-01T12:00:00Z");
    let h = start_with_clock(false, clock.clone()).await;
    h.ok("PUT", "/bkt").await;
    let upload = h
        .ok("POST", "/bkt/big?uploads")
        .await
        .one("UploadId")
        .unwrap();
    h.put(&format!("/bkt/big?partNumber=1&uploadId={upload}"), b"part")
        .await;
    let kept = h
        .ok("POST", "/bkt/keep/big?uploads")
        .await
        .one("UploadId")
        .unwrap();
    set_lifecycle(
        &h,
        "bkt",
        "<Rule><ID>abort</ID><Filter><Prefix>big</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
    )
    .await;
    clock.advance(11 * HOUR); // 01-01 23:00
    assert!(!h.front.run_lifecycle().await.acted());
    clock.advance(DAY + HOUR); // 01-03 00:00
    assert_eq!(h.front.run_lifecycle().await.uploads_aborted, 1);
    let _r = h
        .expect_error(
            "GET",
            &format!("/bkt/big?uploadId={upload}"),
            404,
            "NoSuchUpload",
        )
        .await;
    assert_eq!(
        h.ok("GET", "/bkt?uploads").await.all("UploadId"),
        vec![kept]
    );
}
