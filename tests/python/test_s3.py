"""S3 through the shared port with real clients: boto3 (path and virtual-host style, presigned
URLs used with plain HTTP, managed multipart transfers) and the AWS CLI (`aws s3 cp/sync/ls/presign`)."""
import hashlib
import os
import socket
import xml.etree.ElementTree as ET

import boto3.s3.transfer
import botocore.config
import pytest
import requests

from conftest import REGION, S3_PATH_STYLE, code_of, error_of

def run_ok(nimbus, *args):
    """Runs a high-level `aws s3` command (its output is text, not JSON) that must succeed."""
    proc = nimbus.aws(*args, check=False)
    assert proc.returncode == 0, f"aws {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def xml_error(response):
    root = ET.fromstring(response.content)
    return {child.tag: child.text for child in root}


def test_buckets_with_aws_errors(s3, unique):
    name = f"bkt-{unique}"
    s3.create_bucket(Bucket=name)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=name)
    # us-east-1 answers "already owned" with 200 on AWS too, except through the legacy global
    # endpoint in other regions; boto3 here is in us-east-1.
    code, status, message = error_of(s3.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert code in ("BucketAlreadyOwnedByYou", "IllegalLocationConstraintException"), code
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    code, status, message = error_of(s3.delete_bucket, Bucket=name)
    assert (code, status) == ("BucketNotEmpty", 409)
    assert message == "The bucket you tried to delete is not empty"
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    assert code_of(s3.head_bucket, Bucket=name) == ("404", 404)
    assert code_of(s3.list_objects_v2, Bucket=name) == ("NoSuchBucket", 404)
    assert code_of(s3.create_bucket, Bucket="No_Such") == ("InvalidBucketName", 400)


def test_objects_metadata_ranges_and_conditions(s3, bucket):
    body = os.urandom(10_000)
    put = s3.put_object(Bucket=bucket, Key="dir/obj.bin", Body=body, ContentType="application/x-test",
                        Metadata={"Owner": "alice"}, CacheControl="max-age=60")
    assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    got = s3.get_object(Bucket=bucket, Key="dir/obj.bin")
    assert got["Body"].read() == body
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"owner": "alice"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentLength"] == 10_000

    part = s3.get_object(Bucket=bucket, Key="dir/obj.bin", Range="bytes=100-199")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == "bytes 100-199/10000"
    assert part["Body"].read() == body[100:200]
    assert code_of(s3.get_object, Bucket=bucket, Key="dir/obj.bin", Range="bytes=20000-") == ("InvalidRange", 416)

    assert code_of(s3.get_object, Bucket=bucket, Key="dir/obj.bin", IfMatch='"nope"') == ("PreconditionFailed", 412)
    assert code_of(s3.get_object, Bucket=bucket, Key="dir/obj.bin", IfNoneMatch=put["ETag"]) == ("304", 304)
    assert code_of(s3.put_object, Bucket=bucket, Key="dir/obj.bin", Body=b"again", IfNoneMatch="*") == ("PreconditionFailed", 412)

    head = s3.head_object(Bucket=bucket, Key="dir/obj.bin")
    assert head["ContentLength"] == 10_000 and head["ETag"] == put["ETag"]
    code, status, message = error_of(s3.get_object, Bucket=bucket, Key="missing")
    assert (code, status, message) == ("NoSuchKey", 404, "The specified key does not exist.")


def test_listing_with_delimiter_and_pagination(s3, bucket):
    keys = ["a/1", "a/2", "b/1", "c", "d/e/f"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    listed = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == ["c"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["a/", "b/", "d/"]
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2})
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == keys
    v1 = s3.list_objects(Bucket=bucket, Prefix="a/")
    assert [o["Key"] for o in v1["Contents"]] == ["a/1", "a/2"]


def test_presigned_get_and_put_with_plain_http(nimbus, s3, bucket):
    s3.put_object(Bucket=bucket, Key="file.txt", Body=b"presigned body")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "file.txt"}, ExpiresIn=300)
    r = requests.get(url)
    assert r.status_code == 200 and r.content == b"presigned body"

    tampered = url.replace("file.txt", "other.txt")
    r = requests.get(tampered)
    assert r.status_code == 403
    err = xml_error(r)
    assert err["Code"] == "SignatureDoesNotMatch"
    assert err["Message"].startswith("The request signature we calculated does not match")
    assert err["RequestId"] == r.headers["x-amz-request-id"]

    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "upload.bin"}, ExpiresIn=300)
    r = requests.put(put_url, data=b"uploaded from a browser")
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=bucket, Key="upload.bin")["Body"].read() == b"uploaded from a browser"


@pytest.mark.parametrize("access_key", ["test", "AKIAUNKNOWNKEY000001"])
def test_presigned_urls_expire_on_nimbus_clock(start_nimbus, access_key):
    """boto3 presigns S3 with SigV2 unless told s3v4; both expire on Nimbus's clock, for known
    keys (verified) and unknown ones (accepted unverified in the default mode)."""
    server = start_nimbus()
    s3 = server.client("s3", **S3_PATH_STYLE)
    s3.create_bucket(Bucket="expiring")
    s3.put_object(Bucket="expiring", Key="k", Body=b"v")
    urls = []
    for version in ("s3", "s3v4"):
        signer = server.client("s3", access_key=access_key, signature_version=version, **S3_PATH_STYLE)
        urls.append(signer.generate_presigned_url("get_object", Params={"Bucket": "expiring", "Key": "k"}, ExpiresIn=60))
    assert "AWSAccessKeyId=" in urls[0] and "X-Amz-Signature=" in urls[1]
    for url in urls:
        r = requests.get(url)
        assert r.status_code == 200 and r.content == b"v", r.text
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": 120})
    for url in urls:
        r = requests.get(url)
        assert r.status_code == 403, url
        err = xml_error(r)
        assert err["Code"] == "AccessDenied" and "expired" in err["Message"].lower()


def test_wrong_secret_is_refused(nimbus, bucket):
    bad = nimbus.client("s3", secret_key="wrong", **S3_PATH_STYLE)
    assert code_of(bad.list_objects_v2, Bucket=bucket) == ("SignatureDoesNotMatch", 403)


def test_managed_multipart_upload_and_download(s3, bucket, tmp_path):
    config = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    source = tmp_path / "big.bin"
    data = os.urandom(12 * 1024 * 1024 + 123)
    source.write_bytes(data)
    s3.upload_file(str(source), bucket, "big.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    # AWS's multipart ETag: MD5 of the parts' binary MD5s, then -<parts>.
    parts = [data[i:i + 5 * 1024 * 1024] for i in range(0, len(data), 5 * 1024 * 1024)]
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert head["ETag"] == f'"{expected}-3"'
    target = tmp_path / "back.bin"
    s3.download_file(bucket, "big.bin", str(target), Config=config)
    assert target.read_bytes() == data


@pytest.fixture
def localstack_dns(monkeypatch):
    """`*.localhost.localstack.cloud` resolves to 127.0.0.1 through public DNS; the test machine
    may be offline, so resolve it here the same way."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".localhost.localstack.cloud"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_virtual_host_style(nimbus, localstack_dns, unique):
    endpoint = f"http://s3.localhost.localstack.cloud:{nimbus.port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test",
                      aws_secret_access_key="test",
                      config=botocore.config.Config(s3={"addressing_style": "virtual"}))
    name = f"vhost-{unique}"
    s3.create_bucket(Bucket=name)
    put = s3.put_object(Bucket=name, Key="k/v.txt", Body=b"virtual")
    assert s3.get_object(Bucket=name, Key="k/v.txt")["Body"].read() == b"virtual"
    # The same bucket, path style.
    path_style = nimbus.client("s3", **S3_PATH_STYLE)
    assert path_style.head_object(Bucket=name, Key="k/v.txt")["ETag"] == put["ETag"]
    url = s3.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "k/v.txt"})
    assert url.startswith(f"http://{name}.s3.localhost.localstack.cloud:{nimbus.port}/")
    assert requests.get(url).content == b"virtual"


def test_keys_are_never_paths(s3, bucket):
    keys = ["../../etc/passwd", "a//b", "ünïcødé/ключ", "spaces and +plus", "k" * 1024]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(listed, key=lambda k: k.encode()) == listed
    assert set(listed) == set(keys)
    assert code_of(s3.put_object, Bucket=bucket, Key="k" * 1025, Body=b"") == ("KeyTooLongError", 400)


def test_cli_cp_200_mib_through_multipart(nimbus, bucket, tmp_path):
    source = tmp_path / "200mib.bin"
    with open(source, "wb") as f:
        for _ in range(200):
            f.write(os.urandom(1024 * 1024))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    run_ok(nimbus, "s3", "cp", str(source), f"s3://{bucket}/big/200mib.bin")
    head = nimbus.aws("s3api", "head-object", "--bucket", bucket, "--key", "big/200mib.bin")
    assert head["ContentLength"] == 200 * 1024 * 1024
    assert head["ETag"].strip('"').endswith("-25")  # the CLI's 8 MiB parts
    back = tmp_path / "back.bin"
    run_ok(nimbus, "s3", "cp", f"s3://{bucket}/big/200mib.bin", str(back))
    assert hashlib.sha256(back.read_bytes()).hexdigest() == digest


def test_cli_sync_ls_and_presign(nimbus, bucket, tmp_path):
    src = tmp_path / "site"
    (src / "css").mkdir(parents=True)
    (src / "index.html").write_text("<h1>hi</h1>")
    (src / "css" / "app.css").write_text("body{}")
    run_ok(nimbus, "s3", "sync", str(src), f"s3://{bucket}/site")
    listing = nimbus.aws("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "site/")
    assert sorted(o["Key"] for o in listing["Contents"]) == ["site/css/app.css", "site/index.html"]
    ls = nimbus.aws("s3", "ls", f"s3://{bucket}/site/", check=False)
    assert ls.returncode == 0 and "index.html" in ls.stdout and "PRE css/" in ls.stdout
    presign = nimbus.aws("s3", "presign", f"s3://{bucket}/site/index.html", "--expires-in", "3600", check=False)
    assert presign.returncode == 0, presign.stderr
    r = requests.get(presign.stdout.strip())
    assert r.status_code == 200 and r.text == "<h1>hi</h1>"
    # A second sync uploads nothing.
    again = nimbus.aws("s3", "sync", str(src), f"s3://{bucket}/site", check=False)
    assert again.returncode == 0 and "upload:" not in again.stdout


def test_acknowledged_puts_survive_kill_9(start_nimbus, data_dir):
    server = start_nimbus(data_dir=data_dir)
    s3 = server.client("s3", **S3_PATH_STYLE)
    s3.create_bucket(Bucket="durable")
    bodies = {f"obj-{i}": os.urandom(1000 + i) for i in range(30)}
    for key, body in bodies.items():
        s3.put_object(Bucket="durable", Key=key, Body=body)
    server.kill9()
    again = start_nimbus(data_dir=data_dir)
    s3 = again.client("s3", **S3_PATH_STYLE)
    for key, body in bodies.items():
        assert s3.get_object(Bucket="durable", Key=key)["Body"].read() == body


def test_s3_shows_in_coverage_and_health(nimbus):
    coverage = nimbus.admin("GET", "/_nimbus/services")["s3"]
    assert coverage["implemented"] >= 26 and "PutObject" in coverage["operations"]
    assert nimbus.admin("GET", "/_localstack/health")["services"]["s3"] == "running"
    assert nimbus.admin("GET", "/_nimbus/health")["services"]["s3"] == "running"


def test_versioning_with_boto3(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=bucket, Key="doc", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="doc", Body=b"two")["VersionId"]
    assert v1 != v2 and v1 != "null"
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"two"
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId=v1)["Body"].read() == b"one"
    deleted = s3.delete_object(Bucket=bucket, Key="doc")
    assert deleted["DeleteMarker"] is True
    assert code_of(s3.get_object, Bucket=bucket, Key="doc") == ("NoSuchKey", 404)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    versions = s3.list_object_versions(Bucket=bucket, Prefix="doc")
    assert [v["VersionId"] for v in versions["Versions"]] == [v2, v1]
    assert [m["VersionId"] for m in versions["DeleteMarkers"]] == [deleted["VersionId"]]
    assert versions["DeleteMarkers"][0]["IsLatest"] is True
    # Removing the marker brings the object back.
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=deleted["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"two"
    # A well-formed id that names nothing, and a malformed one, as AWS tells them apart.
    assert code_of(s3.get_object, Bucket=bucket, Key="doc", VersionId="A" * 32) == ("NoSuchVersion", 404)
    assert code_of(s3.get_object, Bucket=bucket, Key="doc", VersionId="not-an-id") == ("InvalidArgument", 400)


def test_lifecycle_runs_when_the_clock_moves(start_nimbus):
    server = start_nimbus()
    s3 = server.client("s3", **S3_PATH_STYLE)
    s3.create_bucket(Bucket="lifecycle")
    s3.put_bucket_lifecycle_configuration(Bucket="lifecycle", LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
    ]})
    s3.put_object(Bucket="lifecycle", Key="tmp/a", Body=b"a")
    s3.put_object(Bucket="lifecycle", Key="keep/b", Body=b"b")
    rules = s3.get_bucket_lifecycle_configuration(Bucket="lifecycle")["Rules"]
    assert rules[0]["ID"] == "tmp" and rules[0]["Expiration"]["Days"] == 1
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": 3600})
    assert len(s3.list_objects_v2(Bucket="lifecycle")["Contents"]) == 2
    # Creation + 1 day, rounded up to the next midnight UTC: two days is always past it.
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": 2 * 86400})
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="lifecycle")["Contents"]] == ["keep/b"]
    s3.delete_bucket_lifecycle(Bucket="lifecycle")
    assert code_of(s3.get_bucket_lifecycle_configuration, Bucket="lifecycle") == ("NoSuchLifecycleConfiguration", 404)


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_presigned_post_browser_upload(start_nimbus, signature_version):
    server = start_nimbus()
    s3 = server.client("s3", signature_version=signature_version, **S3_PATH_STYLE)
    s3.create_bucket(Bucket="uploads")
    post = s3.generate_presigned_post(
        "uploads", "user/${filename}",
        Fields={"success_action_status": "201", "Content-Type": "image/jpeg"},
        Conditions=[["content-length-range", 1, 100], {"success_action_status": "201"},
                    ["starts-with", "$key", "user/"], {"Content-Type": "image/jpeg"}],
        ExpiresIn=600)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("photo.jpg", b"jpeg bytes")})
    assert r.status_code == 201, r.text
    created = {child.tag: child.text for child in ET.fromstring(r.content)}
    assert created["Key"] == "user/photo.jpg" and created["Bucket"] == "uploads"
    got = s3.get_object(Bucket="uploads", Key="user/photo.jpg")
    assert got["Body"].read() == b"jpeg bytes" and got["ContentType"] == "image/jpeg"

    # Each condition is enforced.
    r = requests.post(post["url"], data=post["fields"], files={"file": ("big.jpg", b"x" * 101)})
    assert r.status_code == 400 and xml_error(r)["Code"] == "EntityTooLarge"
    fields = dict(post["fields"], key="elsewhere/x")
    r = requests.post(post["url"], data=fields, files={"file": ("x", b"abc")})
    assert r.status_code in (400, 403) and xml_error(r)["Code"] in ("AccessDenied", "InvalidPolicyDocument")
    signature_field = "x-amz-signature" if signature_version == "s3v4" else "signature"
    fields = dict(post["fields"], **{signature_field: post["fields"][signature_field][:-4] + "AAAA"})
    r = requests.post(post["url"], data=fields, files={"file": ("x.jpg", b"abc")})
    assert r.status_code == 403 and xml_error(r)["Code"] == "SignatureDoesNotMatch"

    # The policy expires on Nimbus's clock.
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": 601})
    r = requests.post(post["url"], data=post["fields"], files={"file": ("late.jpg", b"abc")})
    assert r.status_code == 403
    assert xml_error(r)["Code"] == "AccessDenied"
    assert code_of(s3.head_object, Bucket="uploads", Key="user/late.jpg") == ("404", 404)


def test_presigned_post_redirect_and_unknown_key(nimbus, s3, bucket):
    unknown = nimbus.client("s3", access_key="AKIAUNKNOWNPOSTER001", secret_key="whatever",
                            signature_version="s3v4", **S3_PATH_STYLE)
    post = unknown.generate_presigned_post(
        bucket, "forms/${filename}", Fields={"success_action_redirect": "http://app.example/done"},
        Conditions=[{"success_action_redirect": "http://app.example/done"}])
    r = requests.post(post["url"], data=post["fields"], files={"file": ("report.csv", b"a,b\n")},
                      allow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["Location"].startswith("http://app.example/done?")
    assert "key=forms%2Freport.csv" in r.headers["Location"]
    assert s3.get_object(Bucket=bucket, Key="forms/report.csv")["Body"].read() == b"a,b\n"


def test_sigv2_header_signing_for_old_clients(nimbus, unique):
    old = nimbus.client("s3", signature_version="s3", **S3_PATH_STYLE)
    name = f"sigv2-{unique}"
    old.create_bucket(Bucket=name)
    old.put_object(Bucket=name, Key="a b/c.txt", Body=b"v2", Metadata={"k": "v"})
    assert old.get_object(Bucket=name, Key="a b/c.txt")["Body"].read() == b"v2"
    assert [o["Key"] for o in old.list_objects(Bucket=name)["Contents"]] == ["a b/c.txt"]
    bad = nimbus.client("s3", signature_version="s3", secret_key="wrong", **S3_PATH_STYLE)
    assert code_of(bad.get_object, Bucket=name, Key="a b/c.txt") == ("SignatureDoesNotMatch", 403)
