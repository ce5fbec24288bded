//! S3 versioning end to end: bucket state, version ids, delete markers, versionId on object
//! operations, ListObjectVersions.

mod common;

use common::*;

fn versioning_xml(status: &str) -> String {
    format!(
        "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>{status}</Status></VersioningConfiguration>"
    )
}

async fn set_versioning(h: &Harness, bucket: &str, status: &str) {
    let r = h
        .send_xml(
            "PUT",
            &format!("/{bucket}?versioning"),
            &versioning_xml(status),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

fn version_of(r: &Resp) -> String {
    r.header("x-amz-version-id").expect("x-amz-version-id")
}

fn field(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml.find(&open).expect(tag) + open.len();
    let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
    xml[start..end].to_owned()
}

/// (key, version id, is latest) of each `<Version>` of a ListObjectVersions answer, in order.
fn versions(r: &Resp) -> Vec<(String, String, bool)> {
    entries(r, "Version")
}

/// The same for `<DeleteMarker>` (s3s writes markers apart from versions).
fn markers(r: &Resp) -> Vec<(String, String, bool)> {
    entries(r, "DeleteMarker")
}

fn entries(r: &Resp, tag: &str) -> Vec<(String, String, bool)> {
    r.all(tag)
        .iter()
        .map(|x| {
            (
                field(x, "Key"),
                field(x, "VersionId"),
                field(x, "IsLatest") == "true",
            )
        })
        .collect()
}

fn keys(list: &[(String, String, bool)]) -> Vec<String> {
    list.iter().map(|(k, _, _)| k.clone()).collect()
}

fn ids(list: &[(String, String, bool)]) -> Vec<String> {
    list.iter().map(|(_, v, _)| v.clone()).collect()
}

#[tokio::test]
async fn versioning_configuration_states() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    // Never versioned: an empty configuration.
    let r = h.ok("GET", "/bkt?versioning").await;
    assert!(r.text().contains("VersioningConfiguration"), "{}", r.text());
    assert_eq!(r.one("Status"), None);
    assert_eq!(r.one("MfaDelete"), None);

    set_versioning(&h, "bkt", "Enabled").await;
    assert_eq!(
        h.ok("GET", "/bkt?versioning")
            .await
            .one("Status")
            .as_deref(),
        Some("Enabled")
    );

    let with_mfa = "<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>";
    let r = h.send_xml("PUT", "/bkt?versioning", with_mfa).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h.ok("GET", "/bkt?versioning").await;
    assert_eq!(r.one("Status").as_deref(), Some("Suspended"));
    assert_eq!(r.one("MfaDelete").as_deref(), Some("Disabled"));

    // There is no way back to unversioned, and no other status.
    let r = h
        .send_xml("PUT", "/bkt?versioning", &versioning_xml("Off"))
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("MalformedXML")));
    assert_eq!(
        h.ok("GET", "/bkt?versioning")
            .await
            .one("Status")
            .as_deref(),
        Some("Suspended")
    );

    let _r = h
        .expect_error("GET", "/missing?versioning", 404, "NoSuchBucket")
        .await;
}

#[tokio::test]
async fn unversioned_buckets_show_no_version_ids() {
    let h = start(false).await;
    h.ok("PUT", "/plain").await;
    let r = h.put("/plain/k", b"one").await;
    assert_eq!(r.header("x-amz-version-id"), None);
    let r = h.ok("GET", "/plain/k").await;
    assert_eq!(r.header("x-amz-version-id"), None);
    // The object is the null version all the same.
    assert_eq!(h.ok("GET", "/plain/k?versionId=null").await.body, b"one");
    let r = h.ok("GET", "/plain?versions").await;
    assert_eq!(r.all("VersionId"), vec!["null"]);
    assert_eq!(r.all("IsLatest"), vec!["true"]);
    let r = h.call("DELETE", "/plain/k").send().await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("x-amz-delete-marker"), None);
    assert!(
        h.ok("GET", "/plain?versions")
            .await
            .all("Version")
            .is_empty()
    );
}

#[tokio::test]
async fn enabled_bucket_stacks_versions_and_delete_markers() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    set_versioning(&h, "bkt", "Enabled").await;
    let v1 = version_of(&h.put("/bkt/doc", b"first").await);
    let v2 = version_of(&h.put("/bkt/doc", b"second").await);
    assert_ne!(v1, v2);
    assert_eq!(v1.len(), 32, "{v1}");
    assert!(
        v1.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_'),
        "URL-safe: {v1}"
    );

    let r = h.ok("GET", "/bkt/doc").await;
    assert_eq!(
        (r.body.as_slice(), version_of(&r)),
        (&b"second"[..], v2.clone())
    );
    let r = h.ok("GET", &format!("/bkt/doc?versionId={v1}")).await;
    assert_eq!(
        (r.body.as_slice(), version_of(&r)),
        (&b"first"[..], v1.clone())
    );
    let r = h
        .call("HEAD", format!("/bkt/doc?versionId={v1}"))
        .send()
        .await;
    assert_eq!(
        (r.status, r.header("content-length").as_deref()),
        (200, Some("5"))
    );

    // Delete without a version: a delete marker on top.
    let r = h.call("DELETE", "/bkt/doc").send().await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("x-amz-delete-marker").as_deref(), Some("true"));
    let marker = version_of(&r);
    assert!(marker != v1 && marker != v2);

    let r = h.expect_error("GET", "/bkt/doc", 404, "NoSuchKey").await;
    assert_eq!(r.header("x-amz-delete-marker").as_deref(), Some("true"));
    assert_eq!(r.header("x-amz-version-id"), Some(marker.clone()));
    let r = h.call("HEAD", "/bkt/doc").send().await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-amz-delete-marker").as_deref(), Some("true"));
    let r = h
        .expect_error(
            "GET",
            &format!("/bkt/doc?versionId={marker}"),
            405,
            "MethodNotAllowed",
        )
        .await;
    assert_eq!(r.header("x-amz-delete-marker").as_deref(), Some("true"));
    assert!(r.header("last-modified").is_some());
    let r = h
        .call("HEAD", format!("/bkt/doc?versionId={marker}"))
        .send()
        .await;
    assert_eq!(r.status, 405);

    // Listings show only live current objects.
    assert!(h.ok("GET", "/bkt?list-type=2").await.all("Key").is_empty());
    assert!(h.ok("GET", "/bkt").await.all("Key").is_empty());

    let r = h.ok("GET", "/bkt?versions").await;
    let doc = |v: &str, latest| ("doc".to_owned(), v.to_owned(), latest);
    assert_eq!(versions(&r), vec![doc(&v2, false), doc(&v1, false)]);
    assert_eq!(markers(&r), vec![doc(&marker, true)]);

    // Removing the marker by version id brings v2 back.
    let r = h
        .call("DELETE", format!("/bkt/doc?versionId={marker}"))
        .send()
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("x-amz-delete-marker").as_deref(), Some("true"));
    assert_eq!(r.header("x-amz-version-id"), Some(marker.clone()));
    assert_eq!(h.ok("GET", "/bkt/doc").await.body, b"second");

    // Removing the current version promotes the previous one.
    let r = h
        .call("DELETE", format!("/bkt/doc?versionId={v2}"))
        .send()
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("x-amz-delete-marker"), None);
    let r = h.ok("GET", "/bkt/doc").await;
    assert_eq!(
        (r.body.as_slice(), version_of(&r)),
        (&b"first"[..], v1.clone())
    );
    assert_eq!(
        h.ok("GET", "/bkt?list-type=2").await.all("Key"),
        vec!["doc"]
    );

    // Unknown and malformed version ids.
    let unknown = "A".repeat(32);
    let _r = h
        .expect_error(
            "GET",
            &format!("/bkt/doc?versionId={unknown}"),
            404,
            "NoSuchVersion",
        )
        .await;
    let _r = h
        .expect_error(
            "GET",
            "/bkt/doc?versionId=not-a-version",
            400,
            "InvalidArgument",
        )
        .await;
    let _r = h
        .expect_error(
            "DELETE",
            "/bkt/doc?versionId=not-a-version",
            400,
            "InvalidArgument",
        )
        .await;
    // Deleting a version that does not exist removes nothing and succeeds, as on S3.
    let r = h
        .call("DELETE", format!("/bkt/doc?versionId={unknown}"))
        .send()
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(h.ok("GET", "/bkt/doc").await.body, b"first");
}

#[tokio::test]
async fn suspended_bucket_replaces_the_null_version() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    h.put("/bkt/k", b"before versioning").await;
    set_versioning(&h, "bkt", "Enabled").await;
    let v1 = version_of(&h.put("/bkt/k", b"enabled").await);
    let r = h.ok("GET", "/bkt?versions").await;
    assert_eq!(ids(&versions(&r)), vec![v1.clone(), "null".to_owned()]);
    assert_eq!(
        h.ok("GET", "/bkt/k?versionId=null").await.body,
        b"before versioning"
    );

    set_versioning(&h, "bkt", "Suspended").await;
    let r = h.put("/bkt/k", b"suspended").await;
    assert_eq!(version_of(&r), "null");
    // The old null version (below v1) is gone; the new one is on top.
    let r = h.ok("GET", "/bkt?versions").await;
    assert_eq!(ids(&versions(&r)), vec!["null".to_owned(), v1.clone()]);
    assert_eq!(
        h.ok("GET", "/bkt/k?versionId=null").await.body,
        b"suspended"
    );
    // A second suspended put replaces it again rather than stacking.
    h.put("/bkt/k", b"suspended again").await;
    let r = h.ok("GET", "/bkt?versions").await;
    assert_eq!(ids(&versions(&r)), vec!["null".to_owned(), v1.clone()]);

    // A suspended delete: a null delete marker replaces the null version.
    let r = h.call("DELETE", "/bkt/k").send().await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("x-amz-delete-marker").as_deref(), Some("true"));
    assert_eq!(r.header("x-amz-version-id").as_deref(), Some("null"));
    let r = h.ok("GET", "/bkt?versions").await;
    assert_eq!(versions(&r), vec![("k".to_owned(), v1.clone(), false)]);
    assert_eq!(markers(&r), vec![("k".to_owned(), "null".to_owned(), true)]);
    let r = h.call("GET", "/bkt/k").send().await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-amz-delete-marker").as_deref(), Some("true"));
    assert_eq!(
        h.ok("GET", &format!("/bkt/k?versionId={v1}")).await.body,
        b"enabled"
    );
}

#[tokio::test]
async fn list_object_versions_paginates_groups_and_encodes() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    set_versioning(&h, "bkt", "Enabled").await;
    let mut a = Vec::new();
    for body in [&b"a1"[..], b"a2", b"a3"] {
        a.push(version_of(&h.put("/bkt/a", body).await));
    }
    let bx = version_of(&h.put("/bkt/b/x", b"x").await);
    h.put("/bkt/b/y", b"y").await;
    let c = version_of(&h.put("/bkt/c%20d", b"c").await);
    let dm = version_of(&h.call("DELETE", "/bkt/c%20d").send().await);

    // Newest first within a key; keys in order.
    let all = h.ok("GET", "/bkt?versions").await;
    let listed = versions(&all);
    assert_eq!(keys(&listed), vec!["a", "a", "a", "b/x", "b/y", "c d"]);
    assert_eq!(
        ids(&listed)[..4],
        [a[2].clone(), a[1].clone(), a[0].clone(), bx.clone()]
    );
    assert!(listed[0].2);
    assert_eq!(listed[5], ("c d".to_owned(), c.clone(), false));
    assert_eq!(markers(&all), vec![("c d".to_owned(), dm.clone(), true)]);

    // Two at a time, resuming from key-marker + version-id-marker, gives every version once.
    let mut seen = Vec::new();
    let mut target = "/bkt?versions&max-keys=2".to_owned();
    for _ in 0..10 {
        let r = h.ok("GET", &target).await;
        assert_eq!(r.one("MaxKeys").as_deref(), Some("2"));
        seen.extend(r.all("VersionId"));
        if r.one("IsTruncated").as_deref() != Some("true") {
            assert_eq!(r.one("NextKeyMarker"), None);
            break;
        }
        let key = r.one("NextKeyMarker").expect("NextKeyMarker");
        let version = r.one("NextVersionIdMarker").expect("NextVersionIdMarker");
        target = format!(
            "/bkt?versions&max-keys=2&key-marker={}&version-id-marker={version}",
            enc(&key)
        );
    }
    let mut expected = all.all("VersionId");
    assert_eq!(seen.len(), expected.len(), "{seen:?}");
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);

    // A key-marker alone skips every version of that key.
    let r = h.ok("GET", "/bkt?versions&key-marker=a").await;
    assert_eq!(keys(&versions(&r)), vec!["b/x", "b/y", "c d"]);
    assert_eq!(keys(&markers(&r)), vec!["c d"]);

    // Delimiter: b/ rolls up, prefix narrows.
    let r = h.ok("GET", "/bkt?versions&delimiter=/").await;
    let common: Vec<String> = r
        .all("CommonPrefixes")
        .iter()
        .map(|x| field(x, "Prefix"))
        .collect();
    assert_eq!(common, vec!["b/"]);
    assert_eq!(keys(&versions(&r)), vec!["a", "a", "a", "c d"]);
    let r = h.ok("GET", "/bkt?versions&prefix=b/").await;
    assert_eq!(r.all("Key"), vec!["b/x", "b/y"]);
    // Paging with a delimiter resumes past the common prefix.
    let r = h.ok("GET", "/bkt?versions&delimiter=/&max-keys=4").await;
    assert_eq!(r.one("NextKeyMarker").as_deref(), Some("b/"));
    let r = h.ok("GET", "/bkt?versions&delimiter=/&key-marker=b/").await;
    assert_eq!(keys(&versions(&r)), vec!["c d"]);
    assert_eq!(keys(&markers(&r)), vec!["c d"]);

    let r = h
        .ok("GET", "/bkt?versions&encoding-type=url&prefix=c")
        .await;
    assert_eq!(keys(&versions(&r)), vec!["c%20d"]);
    assert_eq!(keys(&markers(&r)), vec!["c%20d"]);

    let _r = h
        .expect_error(
            "GET",
            &format!("/bkt?versions&version-id-marker={bx}"),
            400,
            "InvalidArgument",
        )
        .await;
}

#[tokio::test]
async fn versions_by_id_for_tagging_copy_batch_delete_and_multipart() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    set_versioning(&h, "bkt", "Enabled").await;
    let v1 = version_of(
        &h.call("PUT", "/bkt/t")
            .header("x-amz-tagging", "gen=one")
            .body(b"one".to_vec())
            .send()
            .await,
    );
    let v2 = version_of(&h.put("/bkt/t", b"two").await);

    // Tagging by version.
    let r = h.ok("GET", &format!("/bkt/t?tagging&versionId={v1}")).await;
    assert_eq!(r.all("Value"), vec!["one"]);
    assert_eq!(version_of(&r), v1);
    assert!(h.ok("GET", "/bkt/t?tagging").await.all("Value").is_empty());
    let tagging = "<Tagging><TagSet><Tag><Key>gen</Key><Value>old</Value></Tag></TagSet></Tagging>";
    let r = h
        .send_xml("PUT", &format!("/bkt/t?tagging&versionId={v1}"), tagging)
        .await;
    assert_eq!((r.status, version_of(&r)), (200, v1.clone()));
    assert_eq!(
        h.ok("GET", &format!("/bkt/t?tagging&versionId={v1}"))
            .await
            .all("Value"),
        vec!["old"]
    );
    let r = h
        .call("DELETE", format!("/bkt/t?tagging&versionId={v1}"))
        .send()
        .await;
    assert_eq!(r.status, 204);
    assert!(
        h.ok("GET", &format!("/bkt/t?tagging&versionId={v1}"))
            .await
            .all("Value")
            .is_empty()
    );
    let r = h
        .call(
            "GET",
            format!("/bkt/t?tagging&versionId={}", "B".repeat(32)),
        )
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (404, Some("NoSuchVersion"))
    );

    // Copy from an older version (restoring it on the same key is allowed).
    let r = h
        .call("PUT", "/bkt/t")
        .header("x-amz-copy-source", &format!("/bkt/t?versionId={v1}"))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-amz-copy-source-version-id"), Some(v1.clone()));
    let v3 = version_of(&r);
    assert!(v3 != v1 && v3 != v2);
    assert_eq!(h.ok("GET", "/bkt/t").await.body, b"one");
    let marker = version_of(&h.call("DELETE", "/bkt/t").send().await);
    let r = h
        .call("PUT", "/bkt/copy")
        .header("x-amz-copy-source", &format!("/bkt/t?versionId={marker}"))
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidRequest"))
    );
    let r = h
        .call("PUT", "/bkt/copy")
        .header("x-amz-copy-source", "/bkt/t")
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchKey")));

    // Multi-object delete with versions.
    let body = format!(
        "<Delete><Object><Key>t</Key><VersionId>{v2}</VersionId></Object><Object><Key>t</Key><VersionId>{marker}</VersionId></Object><Object><Key>fresh</Key></Object></Delete>"
    );
    let r = h.send_xml("POST", "/bkt?delete", &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    assert!(
        text.contains(&format!("<VersionId>{v2}</VersionId>")),
        "{text}"
    );
    assert!(text.contains("<DeleteMarker>true</DeleteMarker>"), "{text}");
    assert!(text.contains("<DeleteMarkerVersionId>"), "{text}");
    // v3 is current again, v2 gone.
    let r = h.ok("GET", "/bkt?versions&prefix=t").await;
    assert_eq!(r.all("VersionId"), vec![v3.clone(), v1.clone()]);

    // CompleteMultipartUpload makes a version.
    let r = h.ok("POST", "/bkt/mp?uploads").await;
    let upload = r.one("UploadId").unwrap();
    let part = h
        .put(&format!("/bkt/mp?partNumber=1&uploadId={upload}"), b"part")
        .await;
    let etag = part.header("etag").unwrap();
    let complete = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    );
    let r = h
        .call("POST", format!("/bkt/mp?uploadId={upload}"))
        .body(complete.into_bytes())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let vm = version_of(&r);
    assert_eq!(version_of(&h.ok("HEAD", "/bkt/mp").await), vm);
}

#[tokio::test]
async fn buckets_with_versions_or_markers_are_not_empty() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    set_versioning(&h, "bkt", "Enabled").await;
    let v = version_of(&h.put("/bkt/k", b"x").await);
    let marker = version_of(&h.call("DELETE", "/bkt/k").send().await);
    // Nothing listed, yet not empty.
    assert!(h.ok("GET", "/bkt?list-type=2").await.all("Key").is_empty());
    let _r = h
        .expect_error("DELETE", "/bkt", 409, "BucketNotEmpty")
        .await;
    h.ok("DELETE", &format!("/bkt/k?versionId={v}")).await;
    let _r = h
        .expect_error("DELETE", "/bkt", 409, "BucketNotEmpty")
        .await;
    h.ok("DELETE", &format!("/bkt/k?versionId={marker}")).await;
    assert_eq!(h.call("DELETE", "/bkt").send().await.status, 204);
    // A new bucket of the same name starts unversioned.
    h.ok("PUT", "/bkt").await;
    assert_eq!(h.ok("GET", "/bkt?versioning").await.one("Status"), None);
}
