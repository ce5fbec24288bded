//! aws-sdk-rust's S3 client against the real binary: path style, streaming bodies (the SDK sends
//! aws-chunked with a trailing CRC checksum by default), multipart, presigned URLs.

mod common;

use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use common::Nimbus;

async fn s3(nimbus: &Nimbus) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(&nimbus.default_config().await).force_path_style(true).build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A plain HTTP/1.1 request (no SDK, no signing) as a browser would send a presigned URL.
async fn plain_http(method: &str, url: &str, body: &[u8]) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let head = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status: u16 = std::str::from_utf8(&out[9..12]).unwrap().parse().unwrap();
    (status, out[split + 4..].to_vec())
}

#[tokio::test]
async fn objects_listing_and_errors() {
    let nimbus = Nimbus::start(&[]);
    let s3 = s3(&nimbus).await;
    s3.create_bucket().bucket("rust-bucket").send().await.unwrap();
    let put = s3
        .put_object()
        .bucket("rust-bucket")
        .key("dir/hello.txt")
        .content_type("text/plain")
        .metadata("team", "core")
        .body(ByteStream::from_static(b"hello from rust"))
        .send()
        .await
        .unwrap();
    // The MD5 of the body (md5sum of "hello from rust").
    assert_eq!(put.e_tag(), Some("\"c2d91083db45a033f3a16b252cf8394e\""));
    let got = s3.get_object().bucket("rust-bucket").key("dir/hello.txt").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(got.metadata().unwrap().get("team").map(String::as_str), Some("core"));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello from rust");

    let listed = s3.list_objects_v2().bucket("rust-bucket").prefix("dir/").send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["dir/hello.txt"]);

    let err = s3.get_object().bucket("rust-bucket").key("missing").send().await.unwrap_err();
    assert_eq!(err.code(), Some("NoSuchKey"));
    assert!(err.into_service_error().is_no_such_key());
    let err = s3.delete_bucket().bucket("rust-bucket").send().await.unwrap_err();
    assert_eq!(err.code(), Some("BucketNotEmpty"));
}

#[tokio::test]
async fn multipart_upload_assembles_parts() {
    let nimbus = Nimbus::start(&[]);
    let s3 = s3(&nimbus).await;
    s3.create_bucket().bucket("rust-mpu").send().await.unwrap();
    let upload = s3.create_multipart_upload().bucket("rust-mpu").key("big").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    let part_size = 5 * 1024 * 1024;
    let data: Vec<u8> = (0..part_size * 2 + 17).map(|i| (i % 251) as u8).collect();
    let mut completed = Vec::new();
    for (i, chunk) in data.chunks(part_size).enumerate() {
        let number = i32::try_from(i + 1).unwrap();
        let part = s3
            .upload_part()
            .bucket("rust-mpu")
            .key("big")
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(chunk.to_vec()))
            .send()
            .await
            .unwrap();
        completed.push(CompletedPart::builder().part_number(number).e_tag(part.e_tag().unwrap()).build());
    }
    let done = s3
        .complete_multipart_upload()
        .bucket("rust-mpu")
        .key("big")
        .upload_id(upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
        .send()
        .await
        .unwrap();
    assert!(done.e_tag().unwrap().ends_with("-3\""), "{:?}", done.e_tag());
    let got = s3.get_object().bucket("rust-mpu").key("big").send().await.unwrap();
    assert_eq!(got.content_length(), Some(i64::try_from(data.len()).unwrap()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), data.as_slice());
}

#[tokio::test]
async fn presigned_get_and_put_work_over_plain_http() {
    let nimbus = Nimbus::start(&[]);
    let s3 = s3(&nimbus).await;
    s3.create_bucket().bucket("rust-presign").send().await.unwrap();
    let config = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let put = s3.put_object().bucket("rust-presign").key("up.bin").presigned(config.clone()).await.unwrap();
    let (status, body) = plain_http("PUT", put.uri(), b"from a presigned PUT").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let get = s3.get_object().bucket("rust-presign").key("up.bin").presigned(config).await.unwrap();
    let (status, body) = plain_http("GET", get.uri(), b"").await;
    assert_eq!((status, body.as_slice()), (200, b"from a presigned PUT".as_slice()));
    // A tampered URL is refused.
    let tampered = get.uri().replace("up.bin", "other.bin");
    let (status, body) = plain_http("GET", &tampered, b"").await;
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("<Code>SignatureDoesNotMatch</Code>"));
}
