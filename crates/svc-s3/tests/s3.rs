//! End-to-end S3 over real HTTP: hyper server → S3Front → s3s → backend → store.

mod common;

use std::time::Duration;

use common::*;

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn bucket_lifecycle_and_errors() {
    let h = start(false).await;
    let r = h.ok("PUT", "/photos").await;
    assert_eq!(r.header("location").as_deref(), Some("/photos"));
    // us-east-1: re-creating your own bucket is a success.
    h.ok("PUT", "/photos").await;
    assert_eq!(h.call("HEAD", "/photos").send().await.status, 200);
    let list = h.ok("GET", "/").await;
    assert_eq!(list.all("Name"), vec!["photos"]);

    // Another account: the name is taken; it cannot see or use the bucket.
    let r = h
        .call("PUT", "/photos")
        .key(OTHER_KEY, OTHER_SECRET, None)
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (409, Some("BucketAlreadyExists"))
    );
    let r = h
        .call("GET", "/")
        .key(OTHER_KEY, OTHER_SECRET, None)
        .send()
        .await;
    assert!(r.all("Name").is_empty());
    let r = h
        .call("GET", "/photos/x")
        .key(OTHER_KEY, OTHER_SECRET, None)
        .send()
        .await;
    assert_eq!(r.status, 403);

    h.put("/photos/a.txt", b"hello").await;
    let r = h.call("DELETE", "/photos").send().await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (409, Some("BucketNotEmpty"))
    );
    assert_eq!(h.call("DELETE", "/photos/a.txt").send().await.status, 204);
    assert_eq!(h.call("DELETE", "/photos").send().await.status, 204);
    assert_eq!(h.call("HEAD", "/photos").send().await.status, 404);
    let r = h.call("DELETE", "/photos").send().await;
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchBucket")));
    let r = h.call("GET", "/photos/a.txt").send().await;
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchBucket")));

    // Invalid names are refused by s3s.
    let r = h.call("PUT", "/Bad_Name").send().await;
    assert_eq!(r.status, 400, "{}", r.text());
}

#[tokio::test]
async fn regions_and_location_constraints() {
    let h = start(false).await;
    let config = |region: &str| {
        format!(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{region}</LocationConstraint></CreateBucketConfiguration>"
        )
    };
    let r = h
        .call("PUT", "/euro")
        .region("eu-west-1")
        .body(config("eu-west-1").into_bytes())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h
        .call("PUT", "/euro")
        .region("eu-west-1")
        .body(config("eu-west-1").into_bytes())
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (409, Some("BucketAlreadyOwnedByYou"))
    );
    let r = h.ok("GET", "/euro?location").await;
    assert_eq!(r.one("LocationConstraint").as_deref(), Some("eu-west-1"));
    let r = h.call("PUT", "/nowhere").region("eu-west-1").send().await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("IllegalLocationConstraintException"))
    );
    let r = h
        .call("PUT", "/mismatch")
        .body(config("eu-west-1").into_bytes())
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("IllegalLocationConstraintException"))
    );
    let r = h.call("HEAD", "/euro").send().await;
    assert_eq!(
        r.header("x-amz-bucket-region").as_deref(),
        Some("eu-west-1")
    );

    // ListBuckets pagination and prefix.
    for name in ["b-1", "b-2", "b-3"] {
        h.ok("PUT", &format!("/{name}")).await;
    }
    let r = h.ok("GET", "/?max-buckets=2&prefix=b-").await;
    assert_eq!(r.all("Name"), vec!["b-1", "b-2"]);
    let token = r.one("ContinuationToken").expect("token");
    let r = h
        .ok(
            "GET",
            &format!(
                "/?max-buckets=2&prefix=b-&continuation-token={}",
                enc(&token)
            ),
        )
        .await;
    assert_eq!(r.all("Name"), vec!["b-3"]);
    assert!(r.one("ContinuationToken").is_none());
}

#[tokio::test]
async fn put_get_head_delete_with_metadata() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    let body = b"The quick brown fox".to_vec();
    let r = h
        .call("PUT", "/bkt/docs/fox.txt")
        .header("content-type", "text/plain")
        .header("content-encoding", "identity")
        .header("content-disposition", "attachment; filename=\"fox.txt\"")
        .header("content-language", "en")
        .header("cache-control", "max-age=60")
        .header("expires", "Wed, 21 Oct 2037 07:28:00 GMT")
        .header("x-amz-meta-color", "brown")
        .header("x-amz-meta-Speed", "quick")
        .header("x-amz-storage-class", "STANDARD_IA")
        .header("x-amz-tagging", "project=alpha&team=red%20team")
        .body(body.clone())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let etag = format!("\"{}\"", md5_hex(&body));
    assert_eq!(r.header("etag"), Some(etag.clone()));

    let r = h.ok("GET", "/bkt/docs/fox.txt").await;
    assert_eq!(r.body, body);
    assert_eq!(r.header("etag"), Some(etag.clone()));
    assert_eq!(r.header("content-type").as_deref(), Some("text/plain"));
    assert_eq!(r.header("content-encoding").as_deref(), Some("identity"));
    assert_eq!(
        r.header("content-disposition").as_deref(),
        Some("attachment; filename=\"fox.txt\"")
    );
    assert_eq!(r.header("content-language").as_deref(), Some("en"));
    assert_eq!(r.header("cache-control").as_deref(), Some("max-age=60"));
    assert_eq!(
        r.header("expires").as_deref(),
        Some("Wed, 21 Oct 2037 07:28:00 GMT")
    );
    assert_eq!(r.header("x-amz-meta-color").as_deref(), Some("brown"));
    assert_eq!(r.header("x-amz-meta-speed").as_deref(), Some("quick"));
    assert_eq!(
        r.header("x-amz-storage-class").as_deref(),
        Some("STANDARD_IA")
    );
    assert_eq!(r.header("x-amz-tagging-count").as_deref(), Some("2"));
    assert_eq!(r.header("content-length").as_deref(), Some("19"));
    assert!(r.header("last-modified").is_some());

    // Response header overrides.
    let r = h.ok("GET", "/bkt/docs/fox.txt?response-content-type=application%2Fjson&response-cache-control=no-cache").await;
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(r.header("cache-control").as_deref(), Some("no-cache"));

    let r = h.call("HEAD", "/bkt/docs/fox.txt").send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length").as_deref(), Some("19"));
    assert_eq!(r.header("etag"), Some(etag.clone()));
    assert_eq!(r.header("x-amz-meta-color").as_deref(), Some("brown"));

    let r = h.ok("GET", "/bkt/docs/fox.txt?tagging").await;
    assert_eq!(r.all("Key"), vec!["project", "team"]);
    assert_eq!(r.all("Value"), vec!["alpha", "red team"]);

    // Default content type; empty object.
    h.put("/bkt/empty", b"").await;
    let r = h.ok("GET", "/bkt/empty").await;
    assert!(r.body.is_empty());
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("binary/octet-stream")
    );
    assert_eq!(r.header("etag"), Some(format!("\"{}\"", md5_hex(b""))));

    // Overwrite replaces.
    h.put("/bkt/docs/fox.txt", b"v2").await;
    assert_eq!(h.ok("GET", "/bkt/docs/fox.txt").await.body, b"v2");

    // Delete is idempotent.
    assert_eq!(
        h.call("DELETE", "/bkt/docs/fox.txt").send().await.status,
        204
    );
    assert_eq!(
        h.call("DELETE", "/bkt/docs/fox.txt").send().await.status,
        204
    );
    let r = h.call("GET", "/bkt/docs/fox.txt").send().await;
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchKey")));
    assert_eq!(h.call("HEAD", "/bkt/docs/fox.txt").send().await.status, 404);

    // Content-MD5 mismatch.
    let r = h
        .call("PUT", "/bkt/md5")
        .header("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==")
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("BadDigest")));
    assert_eq!(h.call("HEAD", "/bkt/md5").send().await.status, 404);
}

#[tokio::test]
async fn object_tagging_operations() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    h.put("/bkt/k", b"data").await;
    let tagging = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag></TagSet></Tagging>";
    let r = h
        .call("PUT", "/bkt/k?tagging")
        .body(tagging.as_bytes().to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        h.ok("GET", "/bkt/k?tagging").await.all("Key"),
        vec!["a", "b"]
    );
    assert_eq!(h.call("DELETE", "/bkt/k?tagging").send().await.status, 204);
    assert!(h.ok("GET", "/bkt/k?tagging").await.all("Key").is_empty());
    let eleven: String = (0..11)
        .map(|i| format!("<Tag><Key>k{i}</Key><Value>v</Value></Tag>"))
        .collect();
    let r = h
        .call("PUT", "/bkt/k?tagging")
        .body(format!("<Tagging><TagSet>{eleven}</TagSet></Tagging>").into_bytes())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidTag")));

    // Bucket tagging.
    let r = h.call("GET", "/bkt?tagging").send().await;
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchTagSet")));
    // AWS answers 204; s3s 0.14 always serializes this output as 200.
    let r = h
        .call("PUT", "/bkt?tagging")
        .body(tagging.as_bytes().to_vec())
        .send()
        .await;
    assert!(
        r.status == 200 || r.status == 204,
        "{} {}",
        r.status,
        r.text()
    );
    assert_eq!(
        h.ok("GET", "/bkt?tagging").await.all("Value"),
        vec!["1", "2"]
    );
    assert_eq!(h.call("DELETE", "/bkt?tagging").send().await.status, 204);
    assert_eq!(h.call("GET", "/bkt?tagging").send().await.status, 404);
}

#[tokio::test]
async fn ranges() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    let body: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    h.put("/bkt/r", &body).await;

    let r = h
        .call("GET", "/bkt/r")
        .header("range", "bytes=10-19")
        .send()
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &body[10..20]);
    assert_eq!(
        r.header("content-range").as_deref(),
        Some("bytes 10-19/1000")
    );
    assert_eq!(r.header("content-length").as_deref(), Some("10"));

    let r = h
        .call("GET", "/bkt/r")
        .header("range", "bytes=-5")
        .send()
        .await;
    assert_eq!((r.status, r.body.as_slice()), (206, &body[995..]));
    assert_eq!(
        r.header("content-range").as_deref(),
        Some("bytes 995-999/1000")
    );

    let r = h
        .call("GET", "/bkt/r")
        .header("range", "bytes=990-")
        .send()
        .await;
    assert_eq!((r.status, r.body.as_slice()), (206, &body[990..]));

    let r = h
        .call("GET", "/bkt/r")
        .header("range", "bytes=995-5000")
        .send()
        .await;
    assert_eq!(
        r.header("content-range").as_deref(),
        Some("bytes 995-999/1000")
    );

    let r = h
        .call("GET", "/bkt/r")
        .header("range", "bytes=1000-")
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (416, Some("InvalidRange")));
}

#[tokio::test]
async fn conditional_requests() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    let etag = h
        .put("/bkt/c", b"conditional")
        .await
        .header("etag")
        .unwrap();
    let past = "Sat, 01 Jan 2000 00:00:00 GMT";
    let future = "Fri, 01 Jan 2100 00:00:00 GMT";

    let get = |name: &'static str, value: String| {
        let h = &h;
        async move { h.call("GET", "/bkt/c").header(name, &value).send().await }
    };
    assert_eq!(get("if-match", etag.clone()).await.status, 200);
    let r = get("if-match", "\"0123\"".into()).await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (412, Some("PreconditionFailed"))
    );
    assert_eq!(get("if-none-match", etag.clone()).await.status, 304);
    assert_eq!(get("if-none-match", "\"0123\"".into()).await.status, 200);
    assert_eq!(get("if-modified-since", future.into()).await.status, 304);
    assert_eq!(get("if-modified-since", past.into()).await.status, 200);
    assert_eq!(get("if-unmodified-since", past.into()).await.status, 412);
    assert_eq!(get("if-unmodified-since", future.into()).await.status, 200);
    // If-Match true wins over a failing If-Unmodified-Since.
    let r = h
        .call("GET", "/bkt/c")
        .header("if-match", &etag)
        .header("if-unmodified-since", past)
        .send()
        .await;
    assert_eq!(r.status, 200);
    // If-None-Match false: If-Modified-Since is not consulted.
    let r = h
        .call("GET", "/bkt/c")
        .header("if-none-match", "\"0123\"")
        .header("if-modified-since", future)
        .send()
        .await;
    assert_eq!(r.status, 200);
    let r = h
        .call("HEAD", "/bkt/c")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(r.status, 304);

    // PUT If-None-Match: *
    let r = h
        .call("PUT", "/bkt/c")
        .header("if-none-match", "*")
        .body(b"again".to_vec())
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (412, Some("PreconditionFailed"))
    );
    assert_eq!(h.ok("GET", "/bkt/c").await.body, b"conditional");
    let r = h
        .call("PUT", "/bkt/fresh")
        .header("if-none-match", "*")
        .body(b"new".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn list_objects_v2_delimiter_prefix_pagination() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    let mut keys = Vec::new();
    for dir in ["a", "b", "c"] {
        for i in 0..70 {
            keys.push(format!("{dir}/{i:03}.txt"));
        }
    }
    keys.extend([
        "top-1".to_owned(),
        "top-2".to_owned(),
        "b/sub/deep.txt".to_owned(),
    ]);
    for k in &keys {
        h.put(&format!("/bkt/{k}"), k.as_bytes()).await;
    }
    keys.sort();

    // Delimiter: directories become common prefixes.
    let r = h.ok("GET", "/bkt?list-type=2&delimiter=%2F").await;
    assert_eq!(
        r.all("Prefix")
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect::<Vec<_>>(),
        vec!["a/", "b/", "c/"]
    );
    assert_eq!(r.all("Key"), vec!["top-1", "top-2"]);
    assert_eq!(r.one("KeyCount").as_deref(), Some("5"));

    let r = h
        .ok("GET", "/bkt?list-type=2&prefix=b%2F&delimiter=%2F")
        .await;
    assert_eq!(r.all("Key").len(), 70);
    assert!(r.all("Prefix").contains(&"b/sub/".to_owned()));

    // Pagination over everything, 100 at a time.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let target = match &token {
            Some(t) => format!(
                "/bkt?list-type=2&max-keys=100&continuation-token={}",
                enc(t)
            ),
            None => "/bkt?list-type=2&max-keys=100".to_owned(),
        };
        let r = h.ok("GET", &target).await;
        pages += 1;
        seen.extend(r.all("Key"));
        if r.one("IsTruncated").as_deref() == Some("true") {
            token = Some(r.one("NextContinuationToken").expect("next token"));
        } else {
            assert!(r.one("NextContinuationToken").is_none());
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, keys);

    // Pagination with a delimiter, one entry per page.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let target = match &token {
            Some(t) => format!(
                "/bkt?list-type=2&delimiter=%2F&max-keys=1&continuation-token={}",
                enc(t)
            ),
            None => "/bkt?list-type=2&delimiter=%2F&max-keys=1".to_owned(),
        };
        let r = h.ok("GET", &target).await;
        seen.extend(r.all("Key"));
        seen.extend(r.all("Prefix").into_iter().filter(|p| !p.is_empty()));
        match r.one("NextContinuationToken") {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(seen, vec!["a/", "b/", "c/", "top-1", "top-2"]);

    // StartAfter; max-keys above 1000 is capped.
    let r = h
        .ok(
            "GET",
            "/bkt?list-type=2&start-after=c%2F068.txt&max-keys=5000",
        )
        .await;
    assert_eq!(r.all("Key"), vec!["c/069.txt", "top-1", "top-2"]);
    assert_eq!(r.one("MaxKeys").as_deref(), Some("1000"));

    // FetchOwner.
    let r = h
        .ok("GET", "/bkt?list-type=2&prefix=top&fetch-owner=true")
        .await;
    assert_eq!(r.all("ID").len(), 2);
    let r = h.ok("GET", "/bkt?list-type=2&prefix=top").await;
    assert!(r.all("ID").is_empty());

    // V1 with marker and NextMarker.
    let r = h.ok("GET", "/bkt?delimiter=%2F&max-keys=2").await;
    assert_eq!(r.one("IsTruncated").as_deref(), Some("true"));
    assert_eq!(r.one("NextMarker").as_deref(), Some("b/"));
    let r = h
        .ok("GET", "/bkt?delimiter=%2F&max-keys=10&marker=b%2F")
        .await;
    assert_eq!(r.all("Key"), vec!["top-1", "top-2"]);
    assert_eq!(
        r.all("Prefix")
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>(),
        vec!["c/"]
    );
    let r = h.ok("GET", "/bkt?prefix=a%2F&max-keys=3").await;
    assert_eq!(r.all("Key"), vec!["a/000.txt", "a/001.txt", "a/002.txt"]);
    assert!(r.one("NextMarker").is_none());
}

#[tokio::test]
async fn multipart_upload_three_parts() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    let r = h
        .call("POST", "/bkt/big.bin?uploads")
        .header("content-type", "application/x-test")
        .header("x-amz-meta-kind", "big")
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let upload_id = r.one("UploadId").unwrap();

    let part1: Vec<u8> = (0..5 * MIB).map(|i| (i % 253) as u8).collect();
    let part2: Vec<u8> = (0..5 * MIB).map(|i| (i % 241) as u8).collect();
    let part3 = b"the small last part".to_vec();
    let mut etags = Vec::new();
    for (n, part) in [&part1, &part2, &part3].into_iter().enumerate() {
        let target = format!(
            "/bkt/big.bin?partNumber={}&uploadId={}",
            n + 1,
            enc(&upload_id)
        );
        let r = h.call("PUT", &target).body(part.clone()).send().await;
        assert_eq!(r.status, 200, "{}", r.text());
        let etag = r.header("etag").unwrap();
        assert_eq!(etag, format!("\"{}\"", md5_hex(part)));
        etags.push(etag);
    }
    let r = h
        .ok("GET", &format!("/bkt/big.bin?uploadId={}", enc(&upload_id)))
        .await;
    assert_eq!(r.all("PartNumber"), vec!["1", "2", "3"]);
    let r = h.ok("GET", "/bkt?uploads").await;
    assert_eq!(r.all("UploadId"), vec![upload_id.clone()]);

    // Out of order.
    let complete = |order: &[usize]| {
        let parts: String = order
            .iter()
            .map(|&n| {
                format!(
                    "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>",
                    etags[n - 1]
                )
            })
            .collect();
        format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>").into_bytes()
    };
    let target = format!("/bkt/big.bin?uploadId={}", enc(&upload_id));
    let r = h
        .call("POST", &target)
        .body(complete(&[2, 1, 3]))
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidPartOrder"))
    );
    let r = h
        .call("POST", &target)
        .body(complete(&[1, 3, 2]))
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidPartOrder"))
    );
    // A part that was never uploaded.
    let bad = b"<CompleteMultipartUpload><Part><PartNumber>7</PartNumber><ETag>\"00\"</ETag></Part></CompleteMultipartUpload>";
    let r = h.call("POST", &target).body(bad.to_vec()).send().await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidPart")));

    let r = h
        .call("POST", &target)
        .body(complete(&[1, 2, 3]))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let mut md5s = Vec::new();
    for p in [&part1, &part2, &part3] {
        md5s.extend(hex::decode(md5_hex(p)).unwrap());
    }
    let expected_etag = format!("\"{}-3\"", md5_hex(&md5s));
    assert_eq!(r.one("ETag"), Some(expected_etag.clone()));

    let r = h.ok("GET", "/bkt/big.bin").await;
    assert_eq!(r.header("etag"), Some(expected_etag));
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/x-test")
    );
    assert_eq!(r.header("x-amz-meta-kind").as_deref(), Some("big"));
    let mut whole = part1.clone();
    whole.extend(&part2);
    whole.extend(&part3);
    assert_eq!(r.body.len(), whole.len());
    assert!(r.body == whole, "assembled content differs");
    let r = h.ok("GET", "/bkt?uploads").await;
    assert!(r.all("UploadId").is_empty());
    // The upload is gone.
    let r = h
        .call("POST", &target)
        .body(complete(&[1, 2, 3]))
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchUpload")));
}

#[tokio::test]
async fn multipart_errors_abort_and_part_copy() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    let upload_id = h
        .ok("POST", "/bkt/m?uploads")
        .await
        .one("UploadId")
        .unwrap();
    let part = |n: i32| format!("/bkt/m?partNumber={n}&uploadId={}", enc(&upload_id));
    let e1 = h.put(&part(1), b"small one").await.header("etag").unwrap();
    let e2 = h.put(&part(2), b"small two").await.header("etag").unwrap();
    let r = h.call("PUT", part(10001)).body(b"x".to_vec()).send().await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidArgument"))
    );
    let body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{e1}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{e2}</ETag></Part></CompleteMultipartUpload>"
    );
    let r = h
        .call("POST", format!("/bkt/m?uploadId={}", enc(&upload_id)))
        .body(body.into_bytes())
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("EntityTooSmall"))
    );

    // UploadPartCopy with a range, then a one-part completion.
    h.put("/bkt/source", b"0123456789abcdef").await;
    let r = h
        .call("PUT", part(1))
        .header("x-amz-copy-source", "/bkt/source")
        .header("x-amz-copy-source-range", "bytes=4-9")
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let e1 = r.one("ETag").unwrap();
    assert_eq!(e1, format!("\"{}\"", md5_hex(b"456789")));
    let body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{e1}</ETag></Part></CompleteMultipartUpload>"
    );
    let r = h
        .call("POST", format!("/bkt/m?uploadId={}", enc(&upload_id)))
        .body(body.into_bytes())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(h.ok("GET", "/bkt/m").await.body, b"456789");

    // Abort.
    let upload_id = h
        .ok("POST", "/bkt/gone?uploads")
        .await
        .one("UploadId")
        .unwrap();
    h.put(
        &format!("/bkt/gone?partNumber=1&uploadId={}", enc(&upload_id)),
        b"x",
    )
    .await;
    let target = format!("/bkt/gone?uploadId={}", enc(&upload_id));
    assert_eq!(h.call("DELETE", &target).send().await.status, 204);
    let r = h.call("GET", &target).send().await;
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchUpload")));
    let r = h
        .call(
            "PUT",
            format!("/bkt/gone?partNumber=1&uploadId={}", enc(&upload_id)),
        )
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn copy_object_directives_and_conditions() {
    let h = start(false).await;
    h.ok("PUT", "/src").await;
    h.ok("PUT", "/dst").await;
    let r = h
        .call("PUT", "/src/orig")
        .header("content-type", "text/plain")
        .header("x-amz-meta-a", "1")
        .header("x-amz-tagging", "t=1")
        .body(b"copy me".to_vec())
        .send()
        .await;
    let etag = r.header("etag").unwrap();

    // COPY (default) keeps metadata, across buckets.
    let r = h
        .call("PUT", "/dst/copy")
        .header("x-amz-copy-source", "/src/orig")
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.one("ETag"), Some(etag.clone()));
    let r = h.ok("GET", "/dst/copy").await;
    assert_eq!(r.body, b"copy me");
    assert_eq!(r.header("content-type").as_deref(), Some("text/plain"));
    assert_eq!(r.header("x-amz-meta-a").as_deref(), Some("1"));
    assert_eq!(r.header("x-amz-tagging-count").as_deref(), Some("1"));

    // REPLACE takes the request's.
    let r = h
        .call("PUT", "/dst/replaced")
        .header("x-amz-copy-source", "src/orig")
        .header("x-amz-metadata-directive", "REPLACE")
        .header("content-type", "application/octet-stream")
        .header("x-amz-meta-b", "2")
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h.ok("GET", "/dst/replaced").await;
    assert_eq!(r.header("x-amz-meta-b").as_deref(), Some("2"));
    assert!(r.header("x-amz-meta-a").is_none());

    // Copy onto itself needs REPLACE.
    let r = h
        .call("PUT", "/src/orig")
        .header("x-amz-copy-source", "/src/orig")
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidRequest"))
    );
    let r = h
        .call("PUT", "/src/orig")
        .header("x-amz-copy-source", "/src/orig")
        .header("x-amz-metadata-directive", "REPLACE")
        .header("x-amz-meta-new", "yes")
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(h.ok("GET", "/src/orig").await.body, b"copy me");

    // Copy-source conditions.
    let r = h
        .call("PUT", "/dst/c")
        .header("x-amz-copy-source", "/src/orig")
        .header("x-amz-copy-source-if-match", "\"00\"")
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (412, Some("PreconditionFailed"))
    );
    let r = h
        .call("PUT", "/dst/c")
        .header("x-amz-copy-source", "/src/orig")
        .header("x-amz-copy-source-if-none-match", &etag)
        .send()
        .await;
    assert_eq!(r.status, 412);
    let r = h
        .call("PUT", "/dst/c")
        .header("x-amz-copy-source", "/src/missing")
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchKey")));
    // Keys with special characters in the copy source are URL-encoded.
    h.put(&format!("/src/{}", enc("dir/with space+plus")), b"sp")
        .await;
    let r = h
        .call("PUT", "/dst/sp")
        .header(
            "x-amz-copy-source",
            &format!("/src/{}", enc("dir/with space+plus")),
        )
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(h.ok("GET", "/dst/sp").await.body, b"sp");
}

#[tokio::test]
async fn delete_objects_batch() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    for k in ["a", "b", "c"] {
        h.put(&format!("/bkt/{k}"), b"x").await;
    }
    let body = "<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object><Object><Key>nope</Key></Object></Delete>";
    let r = h.send_xml("POST", "/bkt?delete", body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let mut deleted = r.all("Key");
    deleted.sort();
    assert_eq!(deleted, vec!["a", "b", "nope"]);
    let quiet = "<Delete><Quiet>true</Quiet><Object><Key>c</Key></Object></Delete>";
    let r = h.send_xml("POST", "/bkt?delete", quiet).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.all("Key").is_empty());
    assert!(h.ok("GET", "/bkt?list-type=2").await.all("Key").is_empty());
}

#[tokio::test]
async fn presigned_urls_valid_tampered_expired() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    h.put("/bkt/shared.txt", b"presigned body").await;
    let url = h.presign("GET", "/bkt/shared.txt", 3600);
    let r = h.call("GET", &url).unsigned().send().await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"presigned body".as_slice()),
        "{}",
        r.text()
    );

    let tampered = url.replace("/bkt/shared.txt", "/bkt/other.txt");
    let r = h.call("GET", &tampered).unsigned().send().await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (403, Some("SignatureDoesNotMatch"))
    );
    let last = url.chars().last().unwrap();
    let flipped = format!(
        "{}{}",
        &url[..url.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    assert_eq!(h.call("GET", &flipped).unsigned().send().await.status, 403);

    h.clock.advance(Duration::from_secs(3601));
    let r = h.call("GET", &url).unsigned().send().await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")));
    assert!(r.text().contains("Request has expired"));
}

#[tokio::test]
async fn virtual_host_addressing() {
    let h = start(false).await;
    let port = h.addr.port();
    let host = format!("vhost.s3.localhost:{port}");
    let r = h.call("PUT", "/").host(&host).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h
        .call("PUT", "/dir/file.txt")
        .host(&host)
        .body(b"via vhost".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Path style sees the same object.
    assert_eq!(h.ok("GET", "/vhost/dir/file.txt").await.body, b"via vhost");
    for host in [
        format!("vhost.s3.localhost.localstack.cloud:{port}"),
        format!("vhost.s3.us-east-1.localhost:{port}"),
        "vhost.s3.amazonaws.com".to_owned(),
        "vhost.s3.us-east-1.amazonaws.com".to_owned(),
    ] {
        let r = h.call("GET", "/dir/file.txt").host(&host).send().await;
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, b"via vhost".as_slice()),
            "{host}: {}",
            r.text()
        );
    }
    let r = h.call("GET", "/?list-type=2").host(&host).send().await;
    assert_eq!(r.all("Key"), vec!["dir/file.txt"]);
    // localhost:<port> stays path-style.
    let r = h
        .call("GET", "/vhost/dir/file.txt")
        .host(&format!("localhost:{port}"))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn weird_keys_are_just_keys() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    let long = "k".repeat(1024);
    let keys = [
        "../../x",
        "a//b",
        "ключ/数据 ✓ 🎉",
        "with space+plus&amp=eq?q",
        "trailing/",
        "%2F.percent",
        long.as_str(),
    ];
    for key in keys {
        let target = format!("/bkt/{}", enc(key));
        let r = h
            .call("PUT", &target)
            .body(key.as_bytes().to_vec())
            .send()
            .await;
        assert_eq!(r.status, 200, "{key}: {}", r.text());
        let r = h.call("GET", &target).send().await;
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, key.as_bytes()),
            "{key}: {}",
            r.text()
        );
    }
    let too_long = "k".repeat(1025);
    let r = h
        .call("PUT", format!("/bkt/{too_long}"))
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 400, "{}", r.text());

    let r = h.ok("GET", "/bkt?list-type=2").await;
    let mut expected: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    expected.sort();
    assert_eq!(r.all("Key"), expected);
    // encoding-type=url.
    let r = h
        .ok("GET", "/bkt?list-type=2&encoding-type=url&prefix=%D0%BA")
        .await;
    assert_eq!(r.all("Key"), vec![enc("ключ/数据 ✓ 🎉")]);
}

#[tokio::test]
async fn authentication_modes() {
    // Default mode: unknown keys are accepted; unsigned requests are anonymous, as on AWS
    // (what a bucket policy or ACL gives everyone: here nothing).
    let h = start(false).await;
    let r = h
        .call("PUT", "/open")
        .key("AKIAUNKNOWNKEY000001", "whatever", None)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h
        .call("PUT", "/open/k")
        .key("AKIAUNKNOWNKEY000001", "whatever", None)
        .body(b"v".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        h.call("GET", "/open/k")
            .key("AKIAUNKNOWNKEY000002", "x", None)
            .send()
            .await
            .body,
        b"v"
    );
    let r = h.call("GET", "/open/k").unsigned().send().await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")));
    // A known key with a wrong secret is refused.
    let r = h
        .call("GET", "/open/k")
        .key(KEY, "wrong", None)
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (403, Some("SignatureDoesNotMatch"))
    );
    // A 12-digit key id acts as that account.
    let r = h
        .call("GET", "/open/k")
        .key("222233334444", "x", None)
        .send()
        .await;
    assert_eq!(r.status, 403);

    // Temporary credentials: token must match, expiry on Nimbus's clock.
    let mut temp = credential("ASIATEMPORARY0000001", "temp-secret", ACCOUNT);
    temp.session_token = Some("the-token".into());
    temp.expires_at_ms = Some(h.clock.now_millis() + 3_600_000);
    nimbus_core::CredentialRegistry::register(&*h.registry, temp).unwrap();
    let r = h
        .call("GET", "/open/k")
        .key("ASIATEMPORARY0000001", "temp-secret", Some("the-token"))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h
        .call("GET", "/open/k")
        .key("ASIATEMPORARY0000001", "temp-secret", Some("other"))
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidToken")));
    h.clock.advance(Duration::from_secs(7200));
    let r = h
        .call("GET", "/open/k")
        .key("ASIATEMPORARY0000001", "temp-secret", Some("the-token"))
        .send()
        .await;
    assert_eq!(r.code().as_deref(), Some("ExpiredToken"));

    // Strict mode.
    let s = start(true).await;
    let r = s
        .call("PUT", "/strict")
        .key("AKIAUNKNOWNKEY000001", "whatever", None)
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (403, Some("InvalidAccessKeyId"))
    );
    let r = s.call("PUT", "/strict").unsigned().send().await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")));
    assert_eq!(s.call("PUT", "/strict").send().await.status, 200);
}

#[tokio::test]
async fn aws_chunked_upload_from_unknown_key() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    let wire = b"6;chunk-signature=aaaa\r\nhello \r\n5;chunk-signature=bbbb\r\nworld\r\n0;chunk-signature=cccc\r\n\r\n";
    let r = h
        .call("PUT", "/bkt/chunked")
        .key("AKIAUNKNOWNKEY000001", "whatever", None)
        .header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", "11")
        .body(wire.to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h.ok("GET", "/bkt/chunked").await;
    assert_eq!(r.body, b"hello world");
    assert!(r.header("content-encoding").is_none());
}

#[test]
fn operations_are_model_names() {
    let model: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/s3.json"))
            .unwrap(),
    )
    .unwrap();
    let ops = model["operations"].as_object().unwrap();
    for op in nimbus_svc_s3::operations() {
        assert!(ops.contains_key(op), "{op} is not an S3 operation");
    }
}
