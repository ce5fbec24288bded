//! Access control end to end: bucket policies, ACLs, Object Ownership, Block Public Access, for
//! anonymous, owner and cross-account callers.

mod common;

use common::*;

const OTHER_ACCOUNT: &str = "111122223333";

fn public_read_policy(bucket: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )
}

async fn status(h: &Harness, method: &str, target: &str) -> u16 {
    h.call(method, target).send().await.status
}

/// A bucket whose Block Public Access is removed, as a user making it public must do on AWS.
async fn open_bucket(h: &Harness, name: &str) {
    h.ok("PUT", &format!("/{name}")).await;
    assert!(status(h, "DELETE", &format!("/{name}?publicAccessBlock")).await < 300);
}

#[tokio::test]
async fn new_buckets_block_public_access_and_disable_acls() {
    let h = start(false).await;
    h.ok("PUT", "/fresh").await;
    let r = h.ok("GET", "/fresh?publicAccessBlock").await;
    for setting in [
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            r.one(setting).as_deref(),
            Some("true"),
            "{setting}: {}",
            r.text()
        );
    }
    let r = h.ok("GET", "/fresh?ownershipControls").await;
    assert_eq!(
        r.one("ObjectOwnership").as_deref(),
        Some("BucketOwnerEnforced")
    );

    // ACLs disabled: a public ACL on PUT fails, bucket-owner-full-control and none are fine.
    let r = h
        .call("PUT", "/fresh/k")
        .header("x-amz-acl", "public-read")
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("AccessControlListNotSupported")),
        "{}",
        r.text()
    );
    assert_eq!(
        status(&h, "HEAD", "/fresh/k").await,
        404,
        "the refused PUT stored nothing"
    );
    let r = h
        .call("PUT", "/fresh/k")
        .header("x-amz-acl", "bucket-owner-full-control")
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h
        .call("PUT", "/fresh/k?acl")
        .header("x-amz-acl", "public-read")
        .send()
        .await;
    assert_eq!(r.code().as_deref(), Some("AccessControlListNotSupported"));
    let r = h
        .call("PUT", "/fresh?acl")
        .header("x-amz-acl", "public-read")
        .send()
        .await;
    assert_eq!(r.code().as_deref(), Some("AccessControlListNotSupported"));
    // Reading ACLs still works: the bucket owner has full control.
    let r = h.ok("GET", "/fresh/k?acl").await;
    assert_eq!(r.all("Permission"), vec!["FULL_CONTROL"]);
    assert!(r.one("Owner").is_some());

    // Anonymous callers get nothing.
    let r = h.call("GET", "/fresh/k").unsigned().send().await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")));
    assert_eq!(
        h.call("GET", "/fresh?list-type=2")
            .unsigned()
            .send()
            .await
            .status,
        403
    );
    assert_eq!(h.call("GET", "/").unsigned().send().await.status, 403);
    assert_eq!(
        h.call("PUT", "/anon-bucket").unsigned().send().await.status,
        403
    );
    // A missing bucket is NoSuchBucket, even anonymously.
    let r = h.call("GET", "/no-such-bucket/k").unsigned().send().await;
    assert_eq!(r.code().as_deref(), Some("NoSuchBucket"));

    // CreateBucket with a public ACL: refused under the default ownership.
    let r = h
        .call("PUT", "/acl-bucket")
        .header("x-amz-acl", "public-read")
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidBucketAclWithObjectOwnership"))
    );
    assert_eq!(status(&h, "HEAD", "/acl-bucket").await, 404);
}

#[tokio::test]
async fn bucket_policy_lifecycle_and_anonymous_reads() {
    let h = start(false).await;
    h.ok("PUT", "/site").await;
    h.put("/site/index.html", b"<h1>hi</h1>").await;
    let r = h.call("GET", "/site?policy").send().await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (404, Some("NoSuchBucketPolicy"))
    );
    let r = h.call("GET", "/site?policyStatus").send().await;
    assert_eq!(r.code().as_deref(), Some("NoSuchBucketPolicy"));

    // BlockPublicPolicy (on by default) refuses a public policy.
    let policy = public_read_policy("site");
    let r = h
        .call("PUT", "/site?policy")
        .body(policy.clone().into_bytes())
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (403, Some("AccessDenied")),
        "{}",
        r.text()
    );

    assert!(status(&h, "DELETE", "/site?publicAccessBlock").await < 300);
    let r = h.call("GET", "/site?publicAccessBlock").send().await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (404, Some("NoSuchPublicAccessBlockConfiguration"))
    );
    let r = h
        .call("PUT", "/site?policy")
        .body(policy.clone().into_bytes())
        .send()
        .await;
    assert!(r.status < 300, "{} {}", r.status, r.text());
    assert_eq!(h.ok("GET", "/site?policy").await.text(), policy);
    assert_eq!(
        h.ok("GET", "/site?policyStatus")
            .await
            .one("IsPublic")
            .as_deref(),
        Some("true")
    );

    let r = h.call("GET", "/site/index.html").unsigned().send().await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"<h1>hi</h1>".as_slice()),
        "{}",
        r.text()
    );
    assert_eq!(
        h.call("HEAD", "/site/index.html")
            .unsigned()
            .send()
            .await
            .status,
        200
    );
    let r = h.call("GET", "/site/missing").unsigned().send().await;
    assert_eq!(r.code().as_deref(), Some("NoSuchKey"));
    // The policy grants GetObject only.
    assert_eq!(
        h.call("GET", "/site?list-type=2")
            .unsigned()
            .send()
            .await
            .status,
        403
    );
    let r = h
        .call("PUT", "/site/new")
        .unsigned()
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")));
    assert_eq!(
        h.call("DELETE", "/site/index.html")
            .unsigned()
            .send()
            .await
            .status,
        403
    );
    assert_eq!(
        h.call("GET", "/site?policy").unsigned().send().await.status,
        403
    );

    // RestrictPublicBuckets makes the public policy grant nothing to anonymous callers.
    let restrict = "<PublicAccessBlockConfiguration><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>";
    let r = h
        .call("PUT", "/site?publicAccessBlock")
        .body(restrict.as_bytes().to_vec())
        .send()
        .await;
    assert!(r.status < 300, "{}", r.text());
    assert_eq!(
        h.call("GET", "/site/index.html")
            .unsigned()
            .send()
            .await
            .status,
        403
    );
    assert_eq!(
        h.ok("GET", "/site/index.html").await.body,
        b"<h1>hi</h1>",
        "the owner still reads"
    );
    assert!(status(&h, "DELETE", "/site?publicAccessBlock").await < 300);
    assert_eq!(
        h.call("GET", "/site/index.html")
            .unsigned()
            .send()
            .await
            .status,
        200
    );

    // Deleting the policy closes the bucket again.
    assert!(status(&h, "DELETE", "/site?policy").await < 300);
    assert_eq!(
        h.call("GET", "/site/index.html")
            .unsigned()
            .send()
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn explicit_deny_and_conditions() {
    let h = start(false).await;
    open_bucket(&h, "guarded").await;
    h.put("/guarded/public/a", b"a").await;
    h.put("/guarded/secret/b", b"b").await;
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::guarded","arn:aws:s3:::guarded/*"]},
        {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::guarded/secret/*"},
        {"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::guarded",
         "Condition":{"StringNotLike":{"s3:prefix":"public/*"}}}]}"#;
    let r = h
        .call("PUT", "/guarded?policy")
        .body(policy.as_bytes().to_vec())
        .send()
        .await;
    assert!(r.status < 300, "{}", r.text());
    assert_eq!(
        h.call("GET", "/guarded/public/a")
            .unsigned()
            .send()
            .await
            .status,
        200
    );
    assert_eq!(
        h.call("GET", "/guarded/secret/b")
            .unsigned()
            .send()
            .await
            .status,
        403
    );
    // Explicit deny binds the owner's account too.
    assert_eq!(status(&h, "GET", "/guarded/secret/b").await, 403);
    let r = h
        .call("GET", "/guarded?list-type=2&prefix=public%2F")
        .unsigned()
        .send()
        .await;
    assert_eq!(
        (r.status, r.all("Key")),
        (200, vec!["public/a".to_owned()]),
        "{}",
        r.text()
    );
    assert_eq!(
        h.call("GET", "/guarded?list-type=2")
            .unsigned()
            .send()
            .await
            .status,
        403
    );
    assert_eq!(
        h.call("GET", "/guarded?list-type=2&prefix=secret%2F")
            .unsigned()
            .send()
            .await
            .status,
        403
    );
    // The account root can always remove a policy that locks it out.
    assert!(status(&h, "DELETE", "/guarded?policy").await < 300);
    assert_eq!(status(&h, "GET", "/guarded/secret/b").await, 200);
}

#[tokio::test]
async fn malformed_policies_are_refused() {
    let h = start(false).await;
    open_bucket(&h, "pol").await;
    for (policy, message) in [
        ("{not json", "valid JSON"),
        (
            r#"{"Version":"2012-10-17"}"#,
            "Missing required field Statement",
        ),
        (
            r#"{"Statement":[{"Effect":"Perhaps","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
            "Invalid effect",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}"#,
            "invalid action",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:sqs:us-east-1:1:q"}]}"#,
            "invalid resource",
        ),
    ] {
        let r = h
            .call("PUT", "/pol?policy")
            .body(policy.as_bytes().to_vec())
            .send()
            .await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some("MalformedPolicy")),
            "{policy}"
        );
        assert!(r.text().contains(message), "{policy}: {}", r.text());
    }
    assert_eq!(
        h.call("GET", "/pol?policy").send().await.code().as_deref(),
        Some("NoSuchBucketPolicy")
    );
}

#[tokio::test]
async fn cross_account_access_needs_a_policy_grant() {
    let h = start(false).await;
    h.ok("PUT", "/shared").await;
    h.put("/shared/doc", b"shared doc").await;
    let other = |method: &'static str, target: &'static str| {
        h.call(method, target).key(OTHER_KEY, OTHER_SECRET, None)
    };
    let r = other("GET", "/shared/doc").send().await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")));
    // A policy naming another account is not public: Block Public Access lets it through.
    let policy = format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER_ACCOUNT}:root"}},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::shared/*"}}]}}"#
    );
    let r = h
        .call("PUT", "/shared?policy")
        .body(policy.into_bytes())
        .send()
        .await;
    assert!(r.status < 300, "{}", r.text());
    assert_eq!(
        h.ok("GET", "/shared?policyStatus")
            .await
            .one("IsPublic")
            .as_deref(),
        Some("false")
    );
    let r = other("GET", "/shared/doc").send().await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"shared doc".as_slice()),
        "{}",
        r.text()
    );
    let r = other("PUT", "/shared/from-other")
        .body(b"hello".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(h.ok("GET", "/shared/from-other").await.body, b"hello");
    assert_eq!(other("DELETE", "/shared/doc").send().await.status, 403);
    assert_eq!(other("GET", "/shared?list-type=2").send().await.status, 403);
    assert_eq!(
        h.call("GET", "/shared/doc").unsigned().send().await.status,
        403
    );
}

#[tokio::test]
async fn canned_acls_when_acls_are_enabled() {
    let h = start(false).await;
    open_bucket(&h, "acls").await;
    let writer = "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>";
    let r = h
        .call("PUT", "/acls?ownershipControls")
        .body(writer.as_bytes().to_vec())
        .send()
        .await;
    assert!(r.status < 300, "{}", r.text());

    let r = h
        .call("PUT", "/acls/pub")
        .header("x-amz-acl", "public-read")
        .body(b"pub".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    h.put("/acls/priv", b"priv").await;
    let r = h.call("GET", "/acls/pub").unsigned().send().await;
    assert_eq!((r.status, r.body.as_slice()), (200, b"pub".as_slice()));
    assert_eq!(
        h.call("GET", "/acls/priv").unsigned().send().await.status,
        403
    );
    let r = h.ok("GET", "/acls/pub?acl").await;
    assert!(
        r.all("URI")
            .contains(&"http://acs.amazonaws.com/groups/global/AllUsers".to_owned()),
        "{}",
        r.text()
    );
    assert_eq!(r.all("Permission"), vec!["FULL_CONTROL", "READ"]);
    // A public-read object ACL does not make the bucket listable.
    assert_eq!(
        h.call("GET", "/acls?list-type=2")
            .unsigned()
            .send()
            .await
            .status,
        403
    );

    // Bucket ACL public-read: anonymous listing.
    let r = h
        .call("PUT", "/acls?acl")
        .header("x-amz-acl", "public-read")
        .send()
        .await;
    assert!(r.status < 300, "{}", r.text());
    let r = h.call("GET", "/acls?list-type=2").unsigned().send().await;
    assert_eq!(
        (r.status, r.all("Key")),
        (200, vec!["priv".to_owned(), "pub".to_owned()])
    );
    assert!(h.ok("GET", "/acls?acl").await.text().contains("AllUsers"));

    // An AccessControlPolicy body makes an object private again.
    let id = h.ok("GET", "/acls/pub?acl").await.one("ID").unwrap();
    let body = format!(
        "<AccessControlPolicy><Owner><ID>{id}</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>{id}</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>"
    );
    let r = h
        .call("PUT", "/acls/pub?acl")
        .body(body.into_bytes())
        .send()
        .await;
    assert!(r.status < 300, "{}", r.text());
    assert_eq!(
        h.call("GET", "/acls/pub").unsigned().send().await.status,
        403
    );
    let r = h
        .call("PUT", "/acls/pub?acl")
        .header(
            "x-amz-grant-read",
            "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
        )
        .send()
        .await;
    assert!(r.status < 300, "{}", r.text());
    assert_eq!(
        h.call("GET", "/acls/pub").unsigned().send().await.status,
        200
    );

    // IgnorePublicAcls: public grants stop counting. BlockPublicAcls: new ones are refused.
    let ignore = "<PublicAccessBlockConfiguration><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>";
    assert!(
        h.call("PUT", "/acls?publicAccessBlock")
            .body(ignore.as_bytes().to_vec())
            .send()
            .await
            .status
            < 300
    );
    assert_eq!(
        h.call("GET", "/acls/pub").unsigned().send().await.status,
        403
    );
    assert_eq!(
        h.call("GET", "/acls?list-type=2")
            .unsigned()
            .send()
            .await
            .status,
        403
    );
    let r = h
        .call("PUT", "/acls/priv?acl")
        .header("x-amz-acl", "public-read")
        .send()
        .await;
    assert_eq!((r.status, r.code().as_deref()), (403, Some("AccessDenied")));
    let r = h
        .call("PUT", "/acls/new")
        .header("x-amz-acl", "public-read-write")
        .body(b"n".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 403);
    let r = h
        .call("PUT", "/acls/new")
        .header("x-amz-acl", "authenticated-read")
        .body(b"n".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 403, "AuthenticatedUsers grants are public too");

    // Overwriting an object resets its ACL to private.
    assert!(status(&h, "DELETE", "/acls?publicAccessBlock").await < 300);
    h.put("/acls/pub", b"v2").await;
    assert_eq!(
        h.call("GET", "/acls/pub").unsigned().send().await.status,
        403
    );

    // Back to BucketOwnerEnforced: refused while the bucket ACL is public.
    let enforced = "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>";
    let r = h
        .call("PUT", "/acls?ownershipControls")
        .body(enforced.as_bytes().to_vec())
        .send()
        .await;
    assert_eq!(
        r.code().as_deref(),
        Some("InvalidBucketAclWithObjectOwnership")
    );
    assert!(
        h.call("PUT", "/acls?acl")
            .header("x-amz-acl", "private")
            .send()
            .await
            .status
            < 300
    );
    let r = h
        .call("PUT", "/acls?ownershipControls")
        .body(enforced.as_bytes().to_vec())
        .send()
        .await;
    assert!(r.status < 300, "{}", r.text());
    assert!(status(&h, "DELETE", "/acls?ownershipControls").await < 300);
    let r = h.call("GET", "/acls?ownershipControls").send().await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (404, Some("OwnershipControlsNotFoundError"))
    );
}

#[tokio::test]
async fn multipart_and_copy_carry_acls() {
    let h = start(false).await;
    h.ok("PUT", "/mpu").await;
    assert!(status(&h, "DELETE", "/mpu?publicAccessBlock").await < 300);
    let r = h.call("DELETE", "/mpu?ownershipControls").send().await;
    assert!(r.status < 300);
    let upload = h
        .call("POST", "/mpu/big?uploads")
        .header("x-amz-acl", "public-read")
        .send()
        .await;
    assert_eq!(upload.status, 200, "{}", upload.text());
    let upload_id = upload.one("UploadId").unwrap();
    let etag = h
        .put(
            &format!("/mpu/big?partNumber=1&uploadId={}", enc(&upload_id)),
            b"part",
        )
        .await
        .header("etag")
        .unwrap();
    let body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    );
    let r = h
        .call("POST", format!("/mpu/big?uploadId={}", enc(&upload_id)))
        .body(body.into_bytes())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        h.call("GET", "/mpu/big").unsigned().send().await.body,
        b"part"
    );

    let r = h
        .call("PUT", "/mpu/copy")
        .header("x-amz-copy-source", "/mpu/big")
        .header("x-amz-acl", "public-read")
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        h.call("GET", "/mpu/copy").unsigned().send().await.status,
        200
    );
    // Deleting the object drops its ACL: a new object by that name starts private.
    assert_eq!(status(&h, "DELETE", "/mpu/copy").await, 204);
    h.put("/mpu/copy", b"again").await;
    assert_eq!(
        h.call("GET", "/mpu/copy").unsigned().send().await.status,
        403
    );

    // Copying from a bucket the caller cannot read is refused.
    h.ok("PUT", "/mine").await;
    h.put("/mine/secret", b"s").await;
    let r = h
        .call("PUT", "/mpu/stolen")
        .key(OTHER_KEY, OTHER_SECRET, None)
        .header("x-amz-copy-source", "/mine/secret")
        .send()
        .await;
    assert_eq!(r.status, 403);
}
