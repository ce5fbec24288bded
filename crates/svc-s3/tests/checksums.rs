//! S3 additional checksums end to end: headers and aws-chunked trailers validated on upload,
//! stored and returned, multipart composite and full-object checksums, GetObjectAttributes.

mod common;

use common::*;
use s3s::crypto::{Checksum, Crc32, Crc32c, Crc64Nvme, Sha256};

fn crc32(data: &[u8]) -> String {
    b64(&Crc32::checksum(data))
}

fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::checksum(data).as_ref().to_vec()
}

fn assert_error(r: &Resp, status: u16, code: &str, message: &str) {
    assert_eq!((r.status, r.code().as_deref()), (status, Some(code)), "{}", r.text());
    assert_eq!(r.one("Message").as_deref(), Some(message), "{}", r.text());
}

#[tokio::test]
async fn header_checksums_are_validated_stored_and_returned_on_request() {
    let h = start(false).await;
    h.ok("PUT", "/sums").await;
    let body = b"checksummed body".to_vec();
    let r = h
        .call("PUT", "/sums/k")
        .header("x-amz-checksum-crc32", &crc32(&body))
        .header("x-amz-sdk-checksum-algorithm", "CRC32")
        .body(body.clone())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-amz-checksum-crc32"), Some(crc32(&body)));
    assert_eq!(r.header("x-amz-checksum-type").as_deref(), Some("FULL_OBJECT"));

    let r = h.ok("GET", "/sums/k").await;
    assert_eq!(r.header("x-amz-checksum-crc32"), None);
    let r = h.call("GET", "/sums/k").header("x-amz-checksum-mode", "ENABLED").send().await;
    assert_eq!(r.header("x-amz-checksum-crc32"), Some(crc32(&body)));
    let r = h.call("HEAD", "/sums/k").header("x-amz-checksum-mode", "ENABLED").send().await;
    assert_eq!(r.header("x-amz-checksum-crc32"), Some(crc32(&body)));
    // Not for a range.
    let r = h
        .call("GET", "/sums/k")
        .header("x-amz-checksum-mode", "ENABLED")
        .header("range", "bytes=0-3")
        .send()
        .await;
    assert_eq!(r.header("x-amz-checksum-crc32"), None);

    let r = h
        .call("PUT", "/sums/bad")
        .header("x-amz-checksum-crc32", &crc32(b"other"))
        .body(body.clone())
        .send()
        .await;
    assert_error(&r, 400, "BadDigest", "The CRC32 you specified did not match the calculated checksum.");
    h.expect_error("GET", "/sums/bad", 404, "NoSuchKey").await;
    let r = h
        .call("PUT", "/sums/bad")
        .header("x-amz-checksum-sha256", "not-base64!")
        .body(body.clone())
        .send()
        .await;
    assert_error(&r, 400, "InvalidRequest", "Value for x-amz-checksum-sha256 header is invalid.");
    let r = h
        .call("PUT", "/sums/bad")
        .header("x-amz-checksum-crc32", &crc32(&body))
        .header("x-amz-checksum-sha256", &b64(&sha256(&body)))
        .body(body.clone())
        .send()
        .await;
    assert_error(&r, 400, "InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
    let r = h
        .call("PUT", "/sums/bad")
        .header("x-amz-sdk-checksum-algorithm", "SHA1")
        .body(body.clone())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidRequest")), "{}", r.text());
}

#[tokio::test]
async fn objects_without_a_checksum_get_crc64nvme_and_content_md5_is_checked() {
    let h = start(false).await;
    h.ok("PUT", "/dsum").await;
    let body = b"no checksum given".to_vec();
    let r = h.put("/dsum/k", &body).await;
    let expected = b64(&Crc64Nvme::checksum(&body));
    assert_eq!(r.header("x-amz-checksum-crc64nvme"), Some(expected.clone()));
    let r = h.call("HEAD", "/dsum/k").header("x-amz-checksum-mode", "ENABLED").send().await;
    assert_eq!(r.header("x-amz-checksum-crc64nvme"), Some(expected));

    let r = h
        .call("PUT", "/dsum/md5")
        .header("content-md5", &content_md5(b"something else"))
        .body(body.clone())
        .send()
        .await;
    assert_error(&r, 400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    let r = h
        .call("PUT", "/dsum/md5")
        .header("content-md5", "short")
        .body(body.clone())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidDigest")), "{}", r.text());
}

/// An aws-chunked body with a checksum trailer, as SDKs send by default (unknown key: the
/// front decodes the framing itself).
async fn put_with_trailer(h: &Harness, target: &str, data: &[u8], trailer: &str) -> Resp {
    let mut wire = format!("{:x}\r\n", data.len()).into_bytes();
    wire.extend_from_slice(data);
    wire.extend_from_slice(format!("\r\n0\r\nx-amz-checksum-crc32c:{trailer}\r\n\r\n").as_bytes());
    h.call("PUT", target)
        .key("AKIAUNKNOWNKEY000001", "whatever", None)
        .header("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", &data.len().to_string())
        .header("x-amz-trailer", "x-amz-checksum-crc32c")
        .header("x-amz-sdk-checksum-algorithm", "CRC32C")
        .body(wire)
        .send()
        .await
}

#[tokio::test]
async fn trailer_checksums_are_validated() {
    let h = start(false).await;
    h.ok("PUT", "/trl").await;
    let data = b"trailing checksum";
    let good = b64(&Crc32c::checksum(data));
    let r = put_with_trailer(&h, "/trl/k", data, &good).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-amz-checksum-crc32c"), Some(good.clone()));
    assert_eq!(h.ok("GET", "/trl/k").await.body, data);
    let r = put_with_trailer(&h, "/trl/bad", data, &b64(&Crc32c::checksum(b"x"))).await;
    assert_error(&r, 400, "BadDigest", "The CRC32C you specified did not match the calculated checksum.");
}

async fn create(h: &Harness, target: &str, algorithm: &str, kind: Option<&str>) -> Resp {
    let mut call = h
        .call("POST", format!("{target}?uploads"))
        .header("x-amz-checksum-algorithm", algorithm);
    if let Some(kind) = kind {
        call = call.header("x-amz-checksum-type", kind);
    }
    call.send().await
}

#[tokio::test]
async fn multipart_composite_and_full_object_checksums() {
    let h = start(false).await;
    h.ok("PUT", "/mps").await;
    let part1: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let part2 = b"last part".to_vec();

    // Composite SHA256.
    let r = create(&h, "/mps/comp", "SHA256", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-amz-checksum-type").as_deref(), Some("COMPOSITE"));
    let upload = r.one("UploadId").unwrap();
    let mut parts = Vec::new();
    for (n, part) in [(1, &part1), (2, &part2)] {
        let sum = b64(&sha256(part));
        let r = h
            .call("PUT", format!("/mps/comp?partNumber={n}&uploadId={upload}"))
            .header("x-amz-checksum-sha256", &sum)
            .body(part.clone())
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("x-amz-checksum-sha256"), Some(sum.clone()));
        parts.push((n, r.header("etag").unwrap(), sum));
    }
    // A part checksum in another algorithm is refused.
    let r = h
        .call("PUT", format!("/mps/comp?partNumber=3&uploadId={upload}"))
        .header("x-amz-checksum-crc32", &crc32(b"x"))
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidRequest")), "{}", r.text());
    let without_sums = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        parts[0].1, parts[1].1
    );
    let r = h
        .call("POST", format!("/mps/comp?uploadId={upload}"))
        .body(without_sums.into_bytes())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidRequest")), "{}", r.text());
    let xml = format!(
        "<CompleteMultipartUpload>{}</CompleteMultipartUpload>",
        parts
            .iter()
            .map(|(n, e, s)| format!("<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag><ChecksumSHA256>{s}</ChecksumSHA256></Part>"))
            .collect::<String>()
    );
    let r = h
        .call("POST", format!("/mps/comp?uploadId={upload}"))
        .body(xml.into_bytes())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let joined = [sha256(&part1), sha256(&part2)].concat();
    let composite = format!("{}-2", b64(&sha256(&joined)));
    assert_eq!(r.one("ChecksumSHA256"), Some(composite.clone()));
    let r = h.call("HEAD", "/mps/comp").header("x-amz-checksum-mode", "ENABLED").send().await;
    assert_eq!(r.header("x-amz-checksum-sha256"), Some(composite));
    assert_eq!(r.header("x-amz-checksum-type").as_deref(), Some("COMPOSITE"));

    let r = h
        .call("GET", "/mps/comp?attributes")
        .header("x-amz-object-attributes", "ETag,Checksum,ObjectParts,StorageClass,ObjectSize")
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.one("ObjectSize"), Some((part1.len() + part2.len()).to_string()));
    assert_eq!(r.one("StorageClass").as_deref(), Some("STANDARD"));
    assert_eq!(r.one("PartsCount").as_deref(), Some("2"));
    assert_eq!(r.one("ChecksumType").as_deref(), Some("COMPOSITE"));
    assert!(r.all("ChecksumSHA256").contains(&b64(&sha256(&part2))), "{}", r.text());

    // Full-object CRC32C: the CRC of the whole body, computed from the parts'.
    let r = create(&h, "/mps/full", "CRC32C", Some("FULL_OBJECT")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let upload = r.one("UploadId").unwrap();
    let mut etags = Vec::new();
    for (n, part) in [(1, &part1), (2, &part2)] {
        let r = h
            .call("PUT", format!("/mps/full?partNumber={n}&uploadId={upload}"))
            .body(part.clone())
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        etags.push(r.header("etag").unwrap());
    }
    let whole = [part1.clone(), part2.clone()].concat();
    let expected = b64(&Crc32c::checksum(&whole));
    let xml = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        etags[0], etags[1]
    );
    let wrong = h
        .call("POST", format!("/mps/full?uploadId={upload}"))
        .header("x-amz-checksum-crc32c", &b64(&Crc32c::checksum(b"nope")))
        .body(xml.clone().into_bytes())
        .send()
        .await;
    assert_eq!((wrong.status, wrong.code().as_deref()), (400, Some("BadDigest")), "{}", wrong.text());
    let r = h
        .call("POST", format!("/mps/full?uploadId={upload}"))
        .header("x-amz-checksum-crc32c", &expected)
        .body(xml.into_bytes())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.one("ChecksumCRC32C"), Some(expected));
    assert_eq!(r.one("ChecksumType").as_deref(), Some("FULL_OBJECT"));

    // SHA cannot be full-object.
    let r = create(&h, "/mps/x", "SHA1", Some("FULL_OBJECT")).await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidRequest")), "{}", r.text());
}
