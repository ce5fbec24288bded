//! S3 Object Lock end to end: lock-enabled buckets, default retention, retention and legal
//! hold per version, enforcement on deletes (GOVERNANCE bypass, COMPLIANCE never), Nimbus's
//! clock deciding when retention ends, lifecycle leaving locked versions alone.

mod common;

use std::time::Duration;

use common::*;
use nimbus_core::Clock;

const DAY: Duration = Duration::from_secs(86_400);
const LOCKED: &str = "Access Denied because object protected by object lock.";

fn fixed_clock() -> Clock {
    Clock::fixed(
        time::OffsetDateTime::parse("2024-01-15T10:00:00Z", &time::format_description::well_known::Rfc3339)
            .unwrap(),
    )
}

async fn lock_bucket(h: &Harness, name: &str) {
    let r = h
        .call("PUT", format!("/{name}"))
        .header("x-amz-bucket-object-lock-enabled", "true")
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn put_locked(h: &Harness, target: &str, mode: &str, until: &str) -> String {
    let r = h
        .call("PUT", target)
        .header("content-md5", &content_md5(b"locked"))
        .header("x-amz-object-lock-mode", mode)
        .header("x-amz-object-lock-retain-until-date", until)
        .body(b"locked".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.header("x-amz-version-id").unwrap()
}

fn retention_xml(mode: &str, until: &str) -> String {
    format!("<Retention><Mode>{mode}</Mode><RetainUntilDate>{until}</RetainUntilDate></Retention>")
}

#[tokio::test]
async fn lock_enabled_buckets_are_versioned_and_configurable() {
    let h = start_with_clock(false, fixed_clock()).await;
    lock_bucket(&h, "locked").await;
    assert_eq!(h.ok("GET", "/locked?versioning").await.one("Status").as_deref(), Some("Enabled"));
    let r = h.ok("GET", "/locked?object-lock").await;
    assert_eq!(r.one("ObjectLockEnabled").as_deref(), Some("Enabled"));
    let suspend = "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>";
    let r = h.send_xml("PUT", "/locked?versioning", suspend).await;
    assert_eq!((r.status, r.code().as_deref()), (409, Some("InvalidBucketState")), "{}", r.text());

    let config = "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>2</Days></DefaultRetention></Rule></ObjectLockConfiguration>";
    let r = h.send_xml("PUT", "/locked?object-lock", config).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h.ok("GET", "/locked?object-lock").await;
    assert_eq!((r.one("Mode").as_deref(), r.one("Days").as_deref()), (Some("GOVERNANCE"), Some("2")));
    // The default applies to new objects, dated on Nimbus's clock.
    h.put("/locked/k", b"x").await;
    let r = h.ok("HEAD", "/locked/k").await;
    assert_eq!(r.header("x-amz-object-lock-mode").as_deref(), Some("GOVERNANCE"));
    assert!(r.header("x-amz-object-lock-retain-until-date").unwrap().starts_with("2024-01-17T10:00:00"));
    let r = h.ok("GET", "/locked/k?retention").await;
    assert_eq!(r.one("Mode").as_deref(), Some("GOVERNANCE"));

    h.ok("PUT", "/plainbkt").await;
    h.expect_error("GET", "/plainbkt?object-lock", 404, "ObjectLockConfigurationNotFoundError").await;
    // Enabling later needs versioning.
    let r = h.send_xml("PUT", "/plainbkt?object-lock", config).await;
    assert_eq!((r.status, r.code().as_deref()), (409, Some("InvalidBucketState")), "{}", r.text());
    let r = h
        .call("PUT", "/plainbkt/k")
        .header("content-md5", &content_md5(b"x"))
        .header("x-amz-object-lock-mode", "GOVERNANCE")
        .header("x-amz-object-lock-retain-until-date", "2030-01-01T00:00:00Z")
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidRequest")), "{}", r.text());
    h.put("/plainbkt/k", b"x").await;
    h.expect_error("GET", "/plainbkt/k?retention", 400, "InvalidRequest").await;
}

#[tokio::test]
async fn governance_is_bypassable_compliance_is_not_and_retention_ends_on_the_clock() {
    let clock = fixed_clock();
    let h = start_with_clock(false, clock.clone()).await;
    lock_bucket(&h, "worm").await;
    let gov = put_locked(&h, "/worm/gov", "GOVERNANCE", "2024-01-20T00:00:00Z").await;
    let comp = put_locked(&h, "/worm/comp", "COMPLIANCE", "2024-01-20T00:00:00Z").await;

    let r = h.call("DELETE", format!("/worm/gov?versionId={gov}")).send().await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")), "{}", r.text());
    assert_eq!(r.one("Message").as_deref(), Some(LOCKED));
    let r = h.call("DELETE", format!("/worm/comp?versionId={comp}")).send().await;
    assert_eq!(r.status, 403);
    let r = h
        .call("DELETE", format!("/worm/comp?versionId={comp}"))
        .header("x-amz-bypass-governance-retention", "true")
        .send()
        .await;
    assert_eq!(r.status, 403, "COMPLIANCE is never bypassed");
    // A delete without version id only stacks a marker: allowed.
    assert_eq!(h.call("DELETE", "/worm/comp").send().await.status, 204);

    // COMPLIANCE retention can be extended, not shortened.
    let r = h
        .send_xml("PUT", &format!("/worm/comp?retention&versionId={comp}"), &retention_xml("COMPLIANCE", "2024-01-25T00:00:00Z"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h
        .call("PUT", format!("/worm/comp?retention&versionId={comp}"))
        .header("x-amz-bypass-governance-retention", "true")
        .header("content-md5", &content_md5(retention_xml("COMPLIANCE", "2024-01-16T00:00:00Z").as_bytes()))
        .body(retention_xml("COMPLIANCE", "2024-01-16T00:00:00Z").into_bytes())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")), "{}", r.text());
    // GOVERNANCE shortening needs the bypass.
    let shorter = retention_xml("GOVERNANCE", "2024-01-16T00:00:00Z");
    let r = h.send_xml("PUT", &format!("/worm/gov?retention&versionId={gov}"), &shorter).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = h
        .send_xml("PUT", &format!("/worm/gov?retention&versionId={gov}"), &retention_xml("GOVERNANCE", "2024-01-01T00:00:00Z"))
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidArgument")), "{}", r.text());
    assert_eq!(r.one("Message").as_deref(), Some("The retain until date must be in the future!"));

    let r = h
        .call("DELETE", format!("/worm/gov?versionId={gov}"))
        .header("x-amz-bypass-governance-retention", "true")
        .send()
        .await;
    assert_eq!(r.status, 204, "{}", r.text());

    // Once Nimbus's clock passes the date, the version can go.
    clock.advance(11 * DAY);
    let r = h.call("DELETE", format!("/worm/comp?versionId={comp}")).send().await;
    assert_eq!(r.status, 204, "{}", r.text());
}

#[tokio::test]
async fn legal_holds_block_deletes_until_released() {
    let h = start_with_clock(false, fixed_clock()).await;
    lock_bucket(&h, "holds").await;
    let v = h.put("/holds/k", b"held").await.header("x-amz-version-id").unwrap();
    let on = "<LegalHold><Status>ON</Status></LegalHold>";
    let r = h.send_xml("PUT", &format!("/holds/k?legal-hold&versionId={v}"), on).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(h.ok("GET", "/holds/k?legal-hold").await.one("Status").as_deref(), Some("ON"));
    let r = h
        .call("DELETE", format!("/holds/k?versionId={v}"))
        .header("x-amz-bypass-governance-retention", "true")
        .send()
        .await;
    assert_eq!(r.status, 403, "{}", r.text());

    // DeleteObjects reports it per key.
    let xml = format!("<Delete><Object><Key>k</Key><VersionId>{v}</VersionId></Object></Delete>");
    let r = h.send_xml("POST", "/holds?delete", &xml).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.one("Code").as_deref(), Some("AccessDenied"), "{}", r.text());
    assert_eq!(r.one("Message").as_deref(), Some(LOCKED));

    let off = "<LegalHold><Status>OFF</Status></LegalHold>";
    h.send_xml("PUT", &format!("/holds/k?legal-hold&versionId={v}"), off).await;
    assert_eq!(h.call("DELETE", format!("/holds/k?versionId={v}")).send().await.status, 204);
}

#[tokio::test]
async fn lock_headers_are_checked() {
    let h = start_with_clock(false, fixed_clock()).await;
    lock_bucket(&h, "checks").await;
    // Lock parameters need Content-MD5 or a checksum.
    let r = h
        .call("PUT", "/checks/k")
        .header("x-amz-object-lock-mode", "GOVERNANCE")
        .header("x-amz-object-lock-retain-until-date", "2030-01-01T00:00:00Z")
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidRequest")), "{}", r.text());
    let r = h
        .call("PUT", "/checks/k")
        .header("content-md5", &content_md5(b"x"))
        .header("x-amz-object-lock-mode", "GOVERNANCE")
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidArgument")), "{}", r.text());
    let r = h
        .call("PUT", "/checks/k")
        .header("content-md5", &content_md5(b"x"))
        .header("x-amz-object-lock-mode", "GOVERNANCE")
        .header("x-amz-object-lock-retain-until-date", "2020-01-01T00:00:00Z")
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidArgument")), "{}", r.text());
    h.put("/checks/free", b"x").await;
    h.expect_error("GET", "/checks/free?retention", 404, "NoSuchObjectLockConfiguration").await;
}

#[tokio::test]
async fn lifecycle_does_not_expire_locked_versions() {
    let clock = fixed_clock();
    let h = start_with_clock(false, clock.clone()).await;
    lock_bucket(&h, "lcl").await;
    let old = put_locked(&h, "/lcl/k", "COMPLIANCE", "2024-03-01T00:00:00Z").await;
    h.put("/lcl/k", b"newer").await;
    let rules = "<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule></LifecycleConfiguration>";
    let r = h.send_xml("PUT", "/lcl?lifecycle", rules).await;
    assert_eq!(r.status, 200, "{}", r.text());
    clock.advance(10 * DAY);
    h.front.run_lifecycle().await;
    assert_eq!(h.ok("GET", &format!("/lcl/k?versionId={old}")).await.body, b"locked");
    clock.advance(60 * DAY);
    let report = h.front.run_lifecycle().await;
    assert_eq!(report.noncurrent_expired, 1);
    h.expect_error("GET", &format!("/lcl/k?versionId={old}"), 404, "NoSuchVersion").await;
}
