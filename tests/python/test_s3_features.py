"""S3 features beyond plain objects, driven by boto3 and plain HTTP as applications use them:
public access through a bucket policy and Block Public Access, CORS preflights, static website
hosting by Host header, encryption at rest (SSE-S3 default, SSE-C), checksums, Object Lock."""
import base64
import hashlib
import json
import os

import requests

from conftest import code_of, error_of

def public_read_policy(bucket):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def test_new_buckets_are_private_and_block_public_access_wins(nimbus, s3, bucket):
    s3.put_object(Bucket=bucket, Key="asset.css", Body=b"body{}", ContentType="text/css")
    url = f"{nimbus.url}/{bucket}/asset.css"
    r = requests.get(url)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    # AWS's defaults since April 2023: all four BPA settings on, ACLs disabled.
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()), block
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]
    assert ownership["ObjectOwnership"] == "BucketOwnerEnforced"
    # A public policy is refused while BlockPublicPolicy is on.
    assert code_of(s3.put_bucket_policy, Bucket=bucket, Policy=public_read_policy(bucket)) == ("AccessDenied", 403)

    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=public_read_policy(bucket))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    r = requests.get(url)
    assert r.status_code == 200 and r.text == "body{}" and r.headers["Content-Type"] == "text/css"
    # The policy grants GetObject only: anonymous listing and writes stay refused.
    assert requests.get(f"{nimbus.url}/{bucket}?list-type=2").status_code == 403
    assert requests.put(f"{nimbus.url}/{bucket}/evil.txt", data=b"x").status_code == 403
    # RestrictPublicBuckets turns the public policy off for anonymous callers again.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True})
    assert requests.get(url).status_code == 403


def test_cors_preflight_and_actual_request(nimbus, s3, bucket):
    url = f"{nimbus.url}/{bucket}/upload.bin"
    preflight = {"Origin": "http://app.example", "Access-Control-Request-Method": "PUT",
                 "Access-Control-Request-Headers": "content-type"}
    r = requests.options(url, headers=preflight)
    assert r.status_code == 403 and "<Code>AccessForbidden</Code>" in r.text
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["http://app.example"], "AllowedMethods": ["GET", "PUT"],
        "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}]})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["MaxAgeSeconds"] == 600
    r = requests.options(url, headers=preflight)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert "PUT" in r.headers["Access-Control-Allow-Methods"]
    assert r.headers["Access-Control-Max-Age"] == "600"
    # Another origin or method does not match a rule.
    assert requests.options(url, headers=dict(preflight, Origin="http://evil.example")).status_code == 403
    assert requests.options(url, headers=dict(preflight, **{"Access-Control-Request-Method": "DELETE"})).status_code == 403
    # The browser's actual request, here through a presigned PUT, carries the CORS headers.
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "upload.bin"})
    r = requests.put(put_url, data=b"data", headers={"Origin": "http://app.example"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert "ETag" in r.headers["Access-Control-Expose-Headers"]


def test_static_website_by_host_header(nimbus, s3, bucket):
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=public_read_policy(bucket))
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="docs/index.html", Body=b"<h1>docs</h1>", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="index-spa.html", Body=b"<div id=app>", ContentType="text/html")
    site = lambda host_form: {"Host": host_form.format(bucket=bucket, port=nimbus.port)}  # noqa: E731
    hosts = ["{bucket}.s3-website.localhost:{port}", "{bucket}.s3-website.localhost.localstack.cloud:{port}",
             "{bucket}.s3-website-us-east-1.amazonaws.com", "{bucket}.s3-website.us-east-1.amazonaws.com"]
    # No website configuration yet: AWS's HTML 404.
    r = requests.get(nimbus.url + "/", headers=site(hosts[0]))
    assert r.status_code == 404 and "NoSuchWebsiteConfiguration" in r.text

    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "index-spa.html"}})
    for host in hosts:
        r = requests.get(nimbus.url + "/", headers=site(host))
        assert r.status_code == 200 and r.text == "<h1>home</h1>", host
    r = requests.get(nimbus.url + "/docs/", headers=site(hosts[0]))
    assert r.text == "<h1>docs</h1>"
    r = requests.get(nimbus.url + "/docs", headers=site(hosts[0]), allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].endswith("/docs/")
    # A client-side route: the error document, with status 404 (the SPA pattern).
    r = requests.get(nimbus.url + "/app/settings", headers=site(hosts[0]))
    assert r.status_code == 404 and r.text == "<div id=app>"
    # Website responses are HTML, and writes are not served there.
    assert requests.put(nimbus.url + "/x", data=b"x", headers=site(hosts[0])).status_code == 405


def test_encryption_at_rest_defaults_and_sse_c(nimbus, s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="default.txt", Body=b"plain secret text")
    assert put["ServerSideEncryption"] == "AES256"
    assert put["ETag"] == '"%s"' % hashlib.md5(b"plain secret text").hexdigest()
    enc = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    key = os.urandom(32)
    body = os.urandom(200_000)
    s3.put_object(Bucket=bucket, Key="customer.bin", Body=body, SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    got = s3.get_object(Bucket=bucket, Key="customer.bin", SSECustomerAlgorithm="AES256", SSECustomerKey=key,
                        Range="bytes=70000-139999")
    assert got["Body"].read() == body[70000:140000]
    assert got["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode()
    code, status, message = error_of(s3.get_object, Bucket=bucket, Key="customer.bin")
    assert (code, status) == ("InvalidRequest", 400) and "Server Side Encryption" in message
    assert code_of(s3.get_object, Bucket=bucket, Key="customer.bin", SSECustomerAlgorithm="AES256",
                   SSECustomerKey=os.urandom(32)) == ("AccessDenied", 403)

    kms = nimbus.client("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/app-{bucket}", TargetKeyId=key_arn)
    s3.put_object(Bucket=bucket, Key="kms.txt", Body=b"k", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=f"alias/app-{bucket}")
    head = s3.head_object(Bucket=bucket, Key="kms.txt")
    # S3 reports the full ARN of the key the alias named, as AWS does.
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key_arn


def test_checksums_are_validated_stored_and_returned(s3, bucket):
    body = b"checksum me" * 1000
    put = s3.put_object(Bucket=bucket, Key="sum.bin", Body=body, ChecksumAlgorithm="SHA256")
    expected = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert put["ChecksumSHA256"] == expected
    head = s3.head_object(Bucket=bucket, Key="sum.bin", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == expected
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    code, status = code_of(s3.put_object, Bucket=bucket, Key="bad.bin", Body=body, ChecksumSHA256=wrong)
    assert status == 400 and code in ("BadDigest", "InvalidRequest")
    attrs = s3.get_object_attributes(Bucket=bucket, Key="sum.bin", ObjectAttributes=["ObjectSize", "Checksum", "ETag"])
    assert attrs["ObjectSize"] == len(body) and attrs["Checksum"]["ChecksumSHA256"] == expected


def test_object_lock_protects_versions(nimbus, s3, unique):
    name = f"locked-{unique}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    version = s3.put_object(Bucket=name, Key="record.pdf", Body=b"%PDF")["VersionId"]
    retention = s3.get_object_retention(Bucket=name, Key="record.pdf", VersionId=version)["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    code, status = code_of(s3.delete_object, Bucket=name, Key="record.pdf", VersionId=version)
    assert (code, status) == ("AccessDenied", 403)
    # GOVERNANCE yields to an explicit bypass.
    s3.delete_object(Bucket=name, Key="record.pdf", VersionId=version, BypassGovernanceRetention=True)
    assert code_of(s3.head_object, Bucket=name, Key="record.pdf", VersionId=version)[1] in (400, 404)
