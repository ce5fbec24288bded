//! SSE-KMS through KMS (a fake key manager): real data keys, key states, S3 Bucket Keys.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use nimbus_testkit::FakeKms;
use common::*;
use nimbus_core::{Clock, KmsCaller};

const CALLER: KmsCaller<'static> =
    KmsCaller { account_id: nimbus_core::DEFAULT_ACCOUNT_ID, region: nimbus_core::DEFAULT_REGION };

async fn start_kms() -> (Harness, Arc<FakeKms>) {
    let h = start_with_clock(false, Clock::fixed(time::OffsetDateTime::now_utc())).await;
    let kms = Arc::new(FakeKms::new());
    h.front.set_key_manager(kms.clone());
    (h, kms)
}

/// A fixed-size body with a recognisable marker.
fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"KMS-MARKER-"[i % 11]).collect()
}

#[tokio::test]
async fn objects_use_kms_data_keys_and_report_the_key_arn() {
    let (h, kms) = start_kms().await;
    let key = kms.create_key(CALLER);
    kms.create_alias("alias/app", &key);
    h.ok("PUT", "/bucket").await;
    let data = body(100_000);
    let r = h
        .call("PUT", "/bucket/k")
        .header("x-amz-server-side-encryption", "aws:kms")
        .header("x-amz-server-side-encryption-aws-kms-key-id", "alias/app")
        .body(data.clone())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-amz-server-side-encryption-aws-kms-key-id"), Some(kms.arn_of(&key)));
    let head = h.ok("HEAD", "/bucket/k").await;
    assert_eq!(head.header("x-amz-server-side-encryption").as_deref(), Some("aws:kms"));
    assert_eq!(head.header("x-amz-server-side-encryption-aws-kms-key-id"), Some(kms.arn_of(&key)));
    assert_eq!(h.ok("GET", "/bucket/k").await.body, data);
    assert_eq!(kms.encrypts.load(Ordering::SeqCst), 1, "one GenerateDataKey per object");

    // Disabled: reads of the body fail with KMS's error; metadata still reads.
    kms.set_enabled(&key, false);
    let r = h.call("GET", "/bucket/k").send().await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("KMS.DisabledException")), "{}", r.text());
    assert_eq!(r.one("Message"), Some(format!("{} is disabled.", kms.arn_of(&key))));
    assert_eq!(h.call("HEAD", "/bucket/k").send().await.status, 200);
    let r = h
        .call("PUT", "/bucket/k2")
        .header("x-amz-server-side-encryption", "aws:kms")
        .header("x-amz-server-side-encryption-aws-kms-key-id", &key)
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("KMS.DisabledException")));
    // CopyObject needs the source's key too.
    let r = h.call("PUT", "/bucket/copy").header("x-amz-copy-source", "/bucket/k").send().await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("KMS.DisabledException")));
    kms.set_enabled(&key, true);
    assert_eq!(h.ok("GET", "/bucket/k").await.body, data);
    assert_eq!(h.call("GET", "/bucket/k").header("range", "bytes=70000-70010").send().await.body, data[70000..=70010]);

    // A key that does not exist.
    let r = h
        .call("PUT", "/bucket/k3")
        .header("x-amz-server-side-encryption", "aws:kms")
        .header("x-amz-server-side-encryption-aws-kms-key-id", "alias/missing")
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (400, Some("KMS.NotFoundException")));
    assert_eq!(h.call("HEAD", "/bucket/k3").send().await.status, 404);
}

#[tokio::test]
async fn without_a_key_id_the_aws_managed_key_is_used() {
    let (h, kms) = start_kms().await;
    h.ok("PUT", "/bucket").await;
    let r = h
        .call("PUT", "/bucket/k")
        .header("x-amz-server-side-encryption", "aws:kms")
        .body(b"hello".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let managed = kms.alias_target("alias/aws/s3").expect("aws/s3 created on first use");
    assert_eq!(r.header("x-amz-server-side-encryption-aws-kms-key-id"), Some(kms.arn_of(&managed)));
    // SSE-S3 objects never touch KMS.
    let before = kms.encrypts.load(Ordering::SeqCst);
    h.put("/bucket/plain", b"x").await;
    assert_eq!(kms.encrypts.load(Ordering::SeqCst), before);
    kms.set_enabled(&managed, false);
    assert_eq!(h.call("GET", "/bucket/k").send().await.code().as_deref(), Some("KMS.DisabledException"));
    assert_eq!(h.ok("GET", "/bucket/plain").await.body, b"x");
}

#[tokio::test]
async fn bucket_keys_reuse_one_kms_data_key_per_bucket() {
    let (h, kms) = start_kms().await;
    let key = kms.create_key(CALLER);
    h.ok("PUT", "/bkt").await;
    let config = format!(
        "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>{key}</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"
    );
    assert_eq!(h.send_xml("PUT", "/bkt?encryption", &config).await.status, 200);
    for i in 0..5 {
        let r = h.put(&format!("/bkt/o{i}"), format!("object {i}").as_bytes()).await;
        assert_eq!(r.header("x-amz-server-side-encryption-bucket-key-enabled").as_deref(), Some("true"));
        assert_eq!(r.header("x-amz-server-side-encryption-aws-kms-key-id"), Some(kms.arn_of(&key)));
    }
    assert_eq!(kms.encrypts.load(Ordering::SeqCst), 1, "one bucket key for five objects");
    for i in 0..5 {
        let r = h.ok("GET", &format!("/bkt/o{i}")).await;
        assert_eq!(r.body, format!("object {i}").as_bytes());
        assert_eq!(r.header("x-amz-server-side-encryption-bucket-key-enabled").as_deref(), Some("true"));
    }
    // Objects still need the key: disabled, they neither read nor write.
    kms.set_enabled(&key, false);
    assert_eq!(h.call("GET", "/bkt/o1").send().await.code().as_deref(), Some("KMS.DisabledException"));
    let r = h.call("PUT", "/bkt/o9").body(b"x".to_vec()).send().await;
    assert_eq!(r.code().as_deref(), Some("KMS.DisabledException"));
    kms.set_enabled(&key, true);

    // After the bucket key's lifetime a new one is made.
    h.clock.advance(std::time::Duration::from_secs(3600));
    h.put("/bkt/later", b"later").await;
    assert_eq!(kms.encrypts.load(Ordering::SeqCst), 2);
    assert_eq!(h.ok("GET", "/bkt/o0").await.body, b"object 0");
    assert_eq!(h.ok("GET", "/bkt/later").await.body, b"later");
}

#[tokio::test]
async fn multipart_uploads_under_kms() {
    let (h, kms) = start_kms().await;
    let key = kms.create_key(CALLER);
    h.ok("PUT", "/mpu").await;
    let r = h
        .call("POST", "/mpu/big?uploads")
        .header("x-amz-server-side-encryption", "aws:kms")
        .header("x-amz-server-side-encryption-aws-kms-key-id", &key)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let upload = r.one("UploadId").unwrap();
    let part1 = body(5 * 1024 * 1024);
    let part2 = b"tail".to_vec();
    let mut etags = Vec::new();
    for (n, part) in [(1, &part1), (2, &part2)] {
        let r = h.call("PUT", format!("/mpu/big?partNumber={n}&uploadId={upload}")).body(part.clone()).send().await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("x-amz-server-side-encryption-aws-kms-key-id"), Some(kms.arn_of(&key)));
        etags.push(r.header("etag").unwrap());
    }
    let complete = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        etags[0], etags[1]
    );
    let r = h.send_xml("POST", &format!("/mpu/big?uploadId={upload}"), &complete).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = h.ok("GET", "/mpu/big").await;
    assert_eq!(got.body.len(), part1.len() + part2.len());
    assert_eq!(&got.body[part1.len()..], b"tail");
    kms.set_enabled(&key, false);
    assert_eq!(h.call("GET", "/mpu/big").send().await.code().as_deref(), Some("KMS.DisabledException"));
}

#[tokio::test]
async fn objects_written_before_kms_still_read() {
    let h = start(false).await;
    h.ok("PUT", "/old").await;
    let r = h
        .call("PUT", "/old/k")
        .header("x-amz-server-side-encryption", "aws:kms")
        .header("x-amz-server-side-encryption-aws-kms-key-id", "alias/whatever")
        .body(b"master-key wrapped".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200);
    // KMS arrives (an upgrade): the old object still reads, without KMS.
    let kms = Arc::new(FakeKms::new());
    h.front.set_key_manager(kms.clone());
    let r = h.ok("GET", "/old/k").await;
    assert_eq!(r.body, b"master-key wrapped");
    assert_eq!(r.header("x-amz-server-side-encryption-aws-kms-key-id").as_deref(), Some("alias/whatever"));
}
