//! The fast path of plain GetObjects (`fast_get.rs`) against the general path: for each
//! request, the answer with the fast path on must equal the answer with it off (status, every
//! header but the request ids and the date, body), and the fast path must have served exactly
//! the requests it is meant to serve.

mod common;

use common::*;

/// Headers that differ between any two answers.
const PER_RESPONSE: &[&str] = &["x-amz-request-id", "x-amz-id-2", "date"];

fn comparable(r: &Resp) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(name, _)| !PER_RESPONSE.contains(&name.as_str()))
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    headers.sort();
    let body = if r.status < 300 {
        r.body.clone()
    } else {
        // Error bodies name their request id.
        Vec::new()
    };
    (r.status, headers, body)
}

/// Sends the request built by `call` with the fast path on, then off; asserts both answers are
/// the same, and whether the fast path served the first. Returns the answer.
async fn both_ways<'a, F>(h: &'a Harness, served: bool, call: F) -> Resp
where
    F: Fn() -> Call<'a>,
{
    let before = h.front.fast_path_served();
    let fast = call().send().await;
    let took_fast_path = h.front.fast_path_served() > before;
    h.front.set_fast_paths(false);
    let general = call().send().await;
    h.front.set_fast_paths(true);
    assert_eq!(took_fast_path, served, "fast path served: {took_fast_path}; answer {} {}", fast.status, fast.text());
    assert_eq!(comparable(&fast), comparable(&general), "fast path answer differs from the general path's");
    fast
}

async fn put_with(h: &Harness, target: &str, body: &[u8], headers: &[(&str, &str)]) {
    let mut call = h.call("PUT", target).body(body.to_vec());
    for (name, value) in headers {
        call = call.header(name, value);
    }
    let r = call.send().await;
    assert!(r.status < 300, "PUT {target}: {} {}", r.status, r.text());
}

#[tokio::test]
async fn plain_gets_are_answered_as_the_general_path_answers_them() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    put_with(
        &h,
        "/bkt/doc.txt",
        b"hello, fast path",
        &[
            ("content-type", "text/plain"),
            ("cache-control", "max-age=60"),
            ("content-disposition", "attachment; filename=\"doc.txt\""),
            ("content-encoding", "identity"),
            ("content-language", "en"),
            ("expires", "Wed, 21 Oct 2037 07:28:00 GMT"),
            ("x-amz-meta-owner", "team a"),
            ("x-amz-meta-empty", ""),
            ("x-amz-tagging", "a=1&b=2"),
            ("x-amz-storage-class", "STANDARD_IA"),
            ("x-amz-website-redirect-location", "/other.html"),
        ],
    )
    .await;
    let r = both_ways(&h, true, || h.call("GET", "/bkt/doc.txt")).await;
    assert_eq!(r.body, b"hello, fast path");
    assert_eq!(r.header("x-amz-meta-owner").as_deref(), Some("team a"));
    assert_eq!(r.header("x-amz-tagging-count").as_deref(), Some("2"));
    assert_eq!(r.header("x-amz-storage-class").as_deref(), Some("STANDARD_IA"));
    assert!(r.header("x-amz-request-id").is_some() && r.header("x-amz-id-2").is_some());

    // Presigned, as a browser follows it; virtual-hosted; the `x-id` the SDKs add.
    let url = h.presign("GET", "/bkt/doc.txt", 300);
    both_ways(&h, true, || h.call("GET", url.clone()).unsigned()).await;
    let host = format!("bkt.s3.localhost:{}", h.addr.port());
    both_ways(&h, true, || h.call("GET", "/doc.txt").host(&host)).await;
    both_ways(&h, true, || h.call("GET", "/bkt/doc.txt?x-id=GetObject")).await;

    // Keys S3 allows that are not plain words.
    for key in ["a//b", "dir/ünïcødé ✓.txt", "100%/x+y=z&q"] {
        let target = format!("/bkt/{}", enc(key));
        h.put(&target, key.as_bytes()).await;
        let r = both_ways(&h, true, || h.call("GET", target.clone())).await;
        assert_eq!(r.body, key.as_bytes());
    }

    // An empty object, and one larger than what is read in one piece.
    h.put("/bkt/empty", b"").await;
    let r = both_ways(&h, true, || h.call("GET", "/bkt/empty")).await;
    assert_eq!(r.header("content-length").as_deref(), Some("0"));
    let big: Vec<u8> = (0..3 * 1024 * 1024 + 7).map(|i| (i % 251) as u8).collect();
    h.put("/bkt/big", &big).await;
    let r = both_ways(&h, true, || h.call("GET", "/bkt/big")).await;
    assert_eq!(r.body, big);

    // Metadata that s3s RFC 2047-encodes is left to the general path.
    put_with(&h, "/bkt/accented", b"x", &[("x-amz-meta-name", "caf\u{e9}")]).await;
    both_ways(&h, false, || h.call("GET", "/bkt/accented")).await;
}

#[tokio::test]
async fn versions_encryption_and_locks_are_reported_alike() {
    let h = start(false).await;
    h.call("PUT", "/locked").header("x-amz-bucket-object-lock-enabled", "true").send().await;
    let retain = "2099-01-01T00:00:00Z";
    let md5 = content_md5(b"kept");
    put_with(
        &h,
        "/locked/held",
        b"kept",
        &[
            ("content-md5", &md5),
            ("x-amz-object-lock-mode", "GOVERNANCE"),
            ("x-amz-object-lock-retain-until-date", retain),
            ("x-amz-object-lock-legal-hold", "ON"),
        ],
    )
    .await;
    let r = both_ways(&h, true, || h.call("GET", "/locked/held")).await;
    assert_eq!(r.header("x-amz-object-lock-mode").as_deref(), Some("GOVERNANCE"));
    assert!(r.header("x-amz-version-id").is_some(), "object lock buckets are versioned");

    h.ok("PUT", "/enc").await;
    put_with(&h, "/enc/kms", b"secret", &[("x-amz-server-side-encryption", "aws:kms")]).await;
    let r = both_ways(&h, true, || h.call("GET", "/enc/kms")).await;
    assert_eq!(r.header("x-amz-server-side-encryption").as_deref(), Some("aws:kms"));
    assert_eq!(r.body, b"secret");
    h.put("/enc/default", b"plain").await;
    let r = both_ways(&h, true, || h.call("GET", "/enc/default")).await;
    assert_eq!(r.header("x-amz-server-side-encryption").as_deref(), Some("AES256"));

    // SSE-C needs the key on every read: never the fast path's.
    let key = [7u8; 32];
    let sse_c = [
        ("x-amz-server-side-encryption-customer-algorithm", "AES256".to_owned()),
        ("x-amz-server-side-encryption-customer-key", b64(&key)),
        ("x-amz-server-side-encryption-customer-key-md5", content_md5(&key)),
    ];
    let headers: Vec<(&str, &str)> = sse_c.iter().map(|(n, v)| (*n, v.as_str())).collect();
    put_with(&h, "/enc/customer", b"mine", &headers).await;
    let r = both_ways(&h, false, || h.call("GET", "/enc/customer")).await;
    assert_eq!(r.status, 400);

    // A version id asked for is the general path's; the current version is the fast path's.
    h.send_xml("PUT", "/enc?versioning", "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>").await;
    h.put("/enc/v", b"one").await;
    let first = h.ok("GET", "/enc/v").await.header("x-amz-version-id").unwrap();
    h.put("/enc/v", b"two").await;
    let r = both_ways(&h, true, || h.call("GET", "/enc/v")).await;
    assert_eq!(r.body, b"two", "the cached head of the key was replaced by the write");
    let old = format!("/enc/v?versionId={first}");
    let r = both_ways(&h, false, || h.call("GET", old.clone())).await;
    assert_eq!(r.body, b"one");
    h.ok("DELETE", "/enc/v").await;
    let r = both_ways(&h, false, || h.call("GET", "/enc/v")).await;
    assert_eq!((r.status, r.header("x-amz-delete-marker").as_deref()), (404, Some("true")));
}

#[tokio::test]
async fn what_the_fast_path_leaves_to_the_general_path() {
    let h = start(false).await;
    h.ok("PUT", "/bkt").await;
    h.put("/bkt/k", b"0123456789").await;
    h.put("/bkt/public/x", b"for all").await;
    assert!(h.call("DELETE", "/bkt?publicAccessBlock").send().await.status < 300);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/public/*"}]}"#;
    let r = h.call("PUT", "/bkt?policy").body(policy.as_bytes().to_vec()).send().await;
    assert!(r.status < 300, "{}", r.text());

    // Anonymous reads: served where the bucket policy allows them, refused (by the general
    // path) elsewhere.
    let r = both_ways(&h, true, || h.call("GET", "/bkt/public/x").unsigned()).await;
    assert_eq!(r.body, b"for all");
    let r = both_ways(&h, false, || h.call("GET", "/bkt/k").unsigned()).await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")));

    // Requests asking for more than the whole current object.
    let r = both_ways(&h, false, || h.call("GET", "/bkt/k").header("range", "bytes=2-4")).await;
    assert_eq!((r.status, r.body.as_slice()), (206, &b"234"[..]));
    let etag = h.ok("GET", "/bkt/k").await.header("etag").unwrap();
    let r = both_ways(&h, false, || h.call("GET", "/bkt/k").header("if-none-match", &etag)).await;
    assert_eq!(r.status, 304);
    let r = both_ways(&h, false, || h.call("GET", "/bkt/k?response-content-type=text/csv")).await;
    assert_eq!(r.header("content-type").as_deref(), Some("text/csv"));
    both_ways(&h, false, || h.call("GET", "/bkt/k").header("origin", "https://example.com")).await;
    both_ways(&h, false, || h.call("GET", "/bkt/k").header("x-amz-checksum-mode", "ENABLED")).await;

    // A path that is not UTF-8 once decoded, even where a lenient decoding names an object.
    h.put(&format!("/bkt/{}", enc("bad\u{fffd}key")), b"x").await;
    let r = both_ways(&h, false, || h.call("GET", "/bkt/bad%FFkey")).await;
    assert!(r.status >= 400, "{}", r.text());

    // Every failure is the general path's answer.
    let r = both_ways(&h, false, || h.call("GET", "/bkt/missing")).await;
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchKey")));
    let r = both_ways(&h, false, || h.call("GET", "/nobucket/k")).await;
    assert_eq!((r.status, r.code().as_deref()), (404, Some("NoSuchBucket")));
    let r = both_ways(&h, false, || h.call("GET", "/bkt/k").key(KEY, "wrong secret", None)).await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("SignatureDoesNotMatch")));
    let other = both_ways(&h, false, || h.call("GET", "/bkt/k").key(OTHER_KEY, OTHER_SECRET, None)).await;
    assert_eq!((other.status, other.code().as_deref()), (403, Some("AccessDenied")));

    // A presigned URL past its expiry on Nimbus's clock, and one whose signature was altered.
    let url = h.presign("GET", "/bkt/k", 60);
    both_ways(&h, true, || h.call("GET", url.clone()).unsigned()).await;
    let offset = h.clock.offset_millis();
    h.clock.advance(std::time::Duration::from_secs(120));
    let r = both_ways(&h, false, || h.call("GET", url.clone()).unsigned()).await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")));
    h.clock.set_offset_millis(offset);
    let at = url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let flipped = if url.as_bytes()[at] == b'0' { "1" } else { "0" };
    let tampered = format!("{}{flipped}{}", &url[..at], &url[at + 1..]);
    let r = both_ways(&h, false, || h.call("GET", tampered.clone()).unsigned()).await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("SignatureDoesNotMatch")));

    // A key the registry does not know, in the default mode: its account acts, unverified.
    let r = both_ways(&h, true, || h.call("GET", "/bkt/k").key("AKIAUNKNOWN000000000", "whatever", None)).await;
    assert_eq!(r.body, b"0123456789");
}

#[tokio::test]
async fn strict_mode_keeps_every_request_on_the_general_path() {
    let h = start(true).await;
    h.ok("PUT", "/bkt").await;
    h.put("/bkt/k", b"v").await;
    // Without an authorizer wired, strict mode still refuses unknown keys, in the general path.
    let r = both_ways(&h, false, || h.call("GET", "/bkt/k").key("AKIAUNKNOWN000000000", "whatever", None)).await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("InvalidAccessKeyId")));
}
