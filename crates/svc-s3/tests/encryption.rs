//! S3 encryption at rest end to end: SSE-S3 by default (ciphertext on disk), default bucket
//! encryption, SSE-KMS headers, SSE-C with AWS's checks and errors, copies and multipart.

mod common;

use common::*;

/// A body with a recognisable text repeated across several 64 KiB chunks.
fn marked_body(len: usize) -> Vec<u8> {
    let mark = b"NIMBUS-PLAINTEXT-MARKER-";
    (0..len).map(|i| mark[i % mark.len()]).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

struct Key {
    b64: String,
    md5: String,
}

fn customer_key(byte: u8) -> Key {
    let raw = [byte; 32];
    use base64::Engine;
    use md5::{Digest, Md5};
    Key {
        b64: b64(&raw),
        md5: base64::engine::general_purpose::STANDARD.encode(Md5::digest(raw)),
    }
}

trait WithKey {
    fn sse_c(self, key: &Key) -> Self;
    fn copy_source_sse_c(self, key: &Key) -> Self;
}

impl WithKey for Call<'_> {
    fn sse_c(self, key: &Key) -> Self {
        self.header("x-amz-server-side-encryption-customer-algorithm", "AES256")
            .header("x-amz-server-side-encryption-customer-key", &key.b64)
            .header("x-amz-server-side-encryption-customer-key-MD5", &key.md5)
    }
    fn copy_source_sse_c(self, key: &Key) -> Self {
        self.header("x-amz-copy-source-server-side-encryption-customer-algorithm", "AES256")
            .header("x-amz-copy-source-server-side-encryption-customer-key", &key.b64)
            .header("x-amz-copy-source-server-side-encryption-customer-key-MD5", &key.md5)
    }
}

fn assert_error(r: &Resp, status: u16, code: &str, message: &str) {
    assert_eq!((r.status, r.code().as_deref()), (status, Some(code)), "{}", r.text());
    assert_eq!(r.one("Message").as_deref(), Some(message), "{}", r.text());
}

#[tokio::test]
async fn objects_are_encrypted_on_disk_by_default_and_ranges_decrypt() {
    let h = start(false).await;
    h.ok("PUT", "/enc").await;
    let body = marked_body(200 * 1024 + 17);
    let r = h.put("/enc/big", &body).await;
    assert_eq!(r.header("x-amz-server-side-encryption").as_deref(), Some("AES256"));
    assert_eq!(r.header("etag").unwrap(), format!("\"{}\"", md5_hex(&body)));
    let files = blob_files(&h);
    assert!(!files.is_empty());
    for file in &files {
        assert!(!contains(file, b"NIMBUS-PLAINTEXT-MARKER"), "plaintext found on disk");
    }
    // 16-byte tag per 64 KiB chunk.
    assert!(files.iter().any(|f| f.len() == body.len() + 4 * 16));

    let r = h.ok("GET", "/enc/big").await;
    assert_eq!(r.body, body);
    assert_eq!(r.header("x-amz-server-side-encryption").as_deref(), Some("AES256"));
    let r = h.ok("HEAD", "/enc/big").await;
    assert_eq!(r.header("x-amz-server-side-encryption").as_deref(), Some("AES256"));
    // A range across a chunk boundary, and one inside the last chunk.
    for (first, last) in [(65_530u64, 65_545u64), (200 * 1024, 200 * 1024 + 16)] {
        let r = h
            .call("GET", "/enc/big")
            .header("range", &format!("bytes={first}-{last}"))
            .send()
            .await;
        assert_eq!(r.status, 206, "{}", r.text());
        assert_eq!(r.body, &body[first as usize..=last as usize]);
    }
    // Empty objects too.
    h.put("/enc/empty", b"").await;
    assert_eq!(h.ok("GET", "/enc/empty").await.body, b"");
}

#[tokio::test]
async fn default_bucket_encryption_is_aes256_until_configured() {
    let h = start(false).await;
    h.ok("PUT", "/dflt").await;
    let r = h.ok("GET", "/dflt?encryption").await;
    assert_eq!(r.one("SSEAlgorithm").as_deref(), Some("AES256"));
    assert_eq!(r.one("BucketKeyEnabled").as_deref(), Some("false"));

    let kms = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>alias/app</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>";
    let r = h.send_xml("PUT", "/dflt?encryption", kms).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h.ok("GET", "/dflt?encryption").await;
    assert_eq!(r.one("SSEAlgorithm").as_deref(), Some("aws:kms"));
    assert_eq!(r.one("KMSMasterKeyID").as_deref(), Some("alias/app"));
    assert_eq!(r.one("BucketKeyEnabled").as_deref(), Some("true"));

    let r = h.put("/dflt/k", b"kms by default").await;
    assert_eq!(r.header("x-amz-server-side-encryption").as_deref(), Some("aws:kms"));
    assert_eq!(r.header("x-amz-server-side-encryption-aws-kms-key-id").as_deref(), Some("alias/app"));
    assert_eq!(r.header("x-amz-server-side-encryption-bucket-key-enabled").as_deref(), Some("true"));
    // SSE-KMS ETags are not the MD5 of the data.
    assert_ne!(r.header("etag").unwrap(), format!("\"{}\"", md5_hex(b"kms by default")));
    let r = h.ok("GET", "/dflt/k").await;
    assert_eq!(r.body, b"kms by default");
    assert_eq!(r.header("x-amz-server-side-encryption").as_deref(), Some("aws:kms"));

    // A request's own choice wins over the default.
    let r = h
        .call("PUT", "/dflt/own")
        .header("x-amz-server-side-encryption", "AES256")
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!(r.header("x-amz-server-side-encryption").as_deref(), Some("AES256"));

    let r = h.call("DELETE", "/dflt?encryption").send().await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(h.ok("GET", "/dflt?encryption").await.one("SSEAlgorithm").as_deref(), Some("AES256"));
    let r = h.put("/dflt/k2", b"x").await;
    assert_eq!(r.header("x-amz-server-side-encryption").as_deref(), Some("AES256"));

    let bad = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>DES</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
    let r = h.send_xml("PUT", "/dflt?encryption", bad).await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("MalformedXML")));
    h.expect_error("GET", "/nosuch?encryption", 404, "NoSuchBucket").await;
}

#[tokio::test]
async fn sse_kms_headers_are_recorded_and_checked() {
    let h = start(false).await;
    h.ok("PUT", "/kms").await;
    let r = h
        .call("PUT", "/kms/k")
        .header("x-amz-server-side-encryption", "aws:kms:dsse")
        .header("x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:000000000000:key/abc")
        .body(b"dsse".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-amz-server-side-encryption").as_deref(), Some("aws:kms:dsse"));
    let r = h.ok("HEAD", "/kms/k").await;
    assert_eq!(
        r.header("x-amz-server-side-encryption-aws-kms-key-id").as_deref(),
        Some("arn:aws:kms:us-east-1:000000000000:key/abc")
    );
    let r = h
        .call("PUT", "/kms/bad")
        .header("x-amz-server-side-encryption", "ROT13")
        .send()
        .await;
    assert_error(&r, 400, "InvalidArgument", "The encryption method specified is not supported");
    let r = h
        .call("PUT", "/kms/bad")
        .header("x-amz-server-side-encryption", "AES256")
        .header("x-amz-server-side-encryption-aws-kms-key-id", "k")
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidArgument")));
}

#[tokio::test]
async fn sse_c_needs_the_right_key_and_checks_its_headers() {
    let h = start(false).await;
    h.ok("PUT", "/ssec").await;
    let key = customer_key(1);
    let other = customer_key(2);
    let body = marked_body(70_000);
    let r = h.call("PUT", "/ssec/k").sse_c(&key).body(body.clone()).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-amz-server-side-encryption-customer-algorithm").as_deref(), Some("AES256"));
    assert_eq!(r.header("x-amz-server-side-encryption-customer-key-md5").as_deref(), Some(key.md5.as_str()));
    assert_eq!(r.header("x-amz-server-side-encryption"), None);
    assert_ne!(r.header("etag").unwrap(), format!("\"{}\"", md5_hex(&body)));
    for file in blob_files(&h) {
        assert!(!contains(&file, b"NIMBUS-PLAINTEXT-MARKER"));
    }

    let needs = "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.";
    assert_error(&h.call("GET", "/ssec/k").send().await, 400, "InvalidRequest", needs);
    let r = h.call("HEAD", "/ssec/k").send().await;
    assert_eq!(r.status, 400);
    let r = h.call("GET", "/ssec/k").sse_c(&other).send().await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")), "{}", r.text());
    assert_eq!(h.call("HEAD", "/ssec/k").sse_c(&other).send().await.status, 403);
    let r = h.call("GET", "/ssec/k").sse_c(&key).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, body);
    assert_eq!(r.header("x-amz-server-side-encryption-customer-key-md5").as_deref(), Some(key.md5.as_str()));
    let r = h
        .call("GET", "/ssec/k")
        .sse_c(&key)
        .header("range", "bytes=65530-65540")
        .send()
        .await;
    assert_eq!(r.body, &body[65_530..=65_540]);

    // Header checks, with AWS's messages.
    let r = h
        .call("PUT", "/ssec/x")
        .header("x-amz-server-side-encryption-customer-algorithm", "AES256")
        .header("x-amz-server-side-encryption-customer-key", &key.b64)
        .header("x-amz-server-side-encryption-customer-key-MD5", &other.md5)
        .send()
        .await;
    assert_error(&r, 400, "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided.");
    let short = b64(&[3u8; 16]);
    let short_md5 = {
        use md5::{Digest, Md5};
        b64(&Md5::digest([3u8; 16]))
    };
    let r = h
        .call("PUT", "/ssec/x")
        .header("x-amz-server-side-encryption-customer-algorithm", "AES256")
        .header("x-amz-server-side-encryption-customer-key", &short)
        .header("x-amz-server-side-encryption-customer-key-MD5", &short_md5)
        .send()
        .await;
    assert_error(&r, 400, "InvalidArgument", "The secret key was invalid for the specified algorithm.");
    let r = h
        .call("PUT", "/ssec/x")
        .header("x-amz-server-side-encryption-customer-algorithm", "AES128")
        .header("x-amz-server-side-encryption-customer-key", &key.b64)
        .header("x-amz-server-side-encryption-customer-key-MD5", &key.md5)
        .send()
        .await;
    assert_error(&r, 400, "InvalidArgument", "The encryption method specified is not supported");
    let r = h
        .call("PUT", "/ssec/x")
        .sse_c(&key)
        .header("x-amz-server-side-encryption", "AES256")
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidArgument")));

    // A key for an object that has none.
    h.put("/ssec/plain", b"p").await;
    let r = h.call("GET", "/ssec/plain").sse_c(&key).send().await;
    assert_error(&r, 400, "InvalidRequest", "The encryption parameters are not applicable to this object.");
}

#[tokio::test]
async fn copies_decrypt_the_source_and_encrypt_the_destination() {
    let h = start(false).await;
    h.ok("PUT", "/cpy").await;
    let key = customer_key(5);
    let new_key = customer_key(6);
    h.call("PUT", "/cpy/src").sse_c(&key).body(b"secret body".to_vec()).send().await;
    // Without the source key the copy cannot read it.
    let r = h.call("PUT", "/cpy/dst").header("x-amz-copy-source", "/cpy/src").send().await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidRequest")), "{}", r.text());
    // SSE-C source → default (SSE-S3) destination.
    let r = h
        .call("PUT", "/cpy/dst")
        .header("x-amz-copy-source", "/cpy/src")
        .copy_source_sse_c(&key)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-amz-server-side-encryption").as_deref(), Some("AES256"));
    assert_eq!(h.ok("GET", "/cpy/dst").await.body, b"secret body");
    // SSE-S3 source → SSE-C destination under another key.
    let r = h
        .call("PUT", "/cpy/dst2")
        .header("x-amz-copy-source", "/cpy/dst")
        .sse_c(&new_key)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(h.call("GET", "/cpy/dst2").sse_c(&new_key).send().await.body, b"secret body");
    assert_eq!(h.call("GET", "/cpy/dst2").sse_c(&key).send().await.status, 403);
}

#[tokio::test]
async fn sse_c_multipart_parts_need_the_key_and_complete_does_not() {
    let h = start(false).await;
    h.ok("PUT", "/mpu").await;
    let key = customer_key(9);
    let r = h.call("POST", "/mpu/obj?uploads").sse_c(&key).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-amz-server-side-encryption-customer-algorithm").as_deref(), Some("AES256"));
    let upload = r.one("UploadId").unwrap();
    let part1 = marked_body(5 * 1024 * 1024);
    let part2 = b"tail of the object".to_vec();
    let r = h
        .call("PUT", format!("/mpu/obj?partNumber=1&uploadId={upload}"))
        .body(part1.clone())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("InvalidRequest")), "{}", r.text());
    let mut etags = Vec::new();
    for (n, part) in [(1, &part1), (2, &part2)] {
        let r = h
            .call("PUT", format!("/mpu/obj?partNumber={n}&uploadId={upload}"))
            .sse_c(&key)
            .body(part.clone())
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        etags.push(r.header("etag").unwrap());
    }
    let xml = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        etags[0], etags[1]
    );
    let r = h
        .call("POST", format!("/mpu/obj?uploadId={upload}"))
        .body(xml.into_bytes())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(h.call("GET", "/mpu/obj").send().await.status, 400);
    let whole = [part1.clone(), part2.clone()].concat();
    let r = h.call("GET", "/mpu/obj").sse_c(&key).send().await;
    assert_eq!(r.status, 200);
    assert!(r.body == whole, "multipart body differs");
    let start = part1.len() - 5;
    let r = h
        .call("GET", "/mpu/obj")
        .sse_c(&key)
        .header("range", &format!("bytes={start}-{}", start + 9))
        .send()
        .await;
    assert_eq!(r.body, &whole[start..start + 10]);
    for file in blob_files(&h) {
        assert!(!contains(&file, b"NIMBUS-PLAINTEXT-MARKER"));
    }
}
