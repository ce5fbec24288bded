"""CloudTrail end to end: every call the binary serves is recorded; LookupEvents finds the
management events; a logging trail with S3 data-event selectors gets gzipped log files in its
bucket once Nimbus's clock has moved five minutes; StopLogging stops them."""
import gzip
import json
import time
import uuid

import pytest

from conftest import Nimbus, error_of
from strict_helpers import STRICT_ARGS, User, doc, allow

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"


def name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def records(events):
    return [json.loads(e["CloudTrailEvent"]) for e in events]


def lookup(client, key, value, **kwargs):
    attrs = [{"AttributeKey": key, "AttributeValue": value}]
    return client.lookup_events(LookupAttributes=attrs, **kwargs)["Events"]


def advance(server, minutes):
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": minutes * 60})


def test_create_secret_is_recorded_with_the_caller_and_a_hidden_value(nimbus):
    secret = name("db")
    nimbus.client("secretsmanager").create_secret(Name=secret, SecretString="s3cr3t-password")
    queue = name("q")
    nimbus.client("sqs").create_queue(QueueName=queue)
    trail = nimbus.client("cloudtrail")

    events = [e for e in lookup(trail, "EventName", "CreateSecret") if any(r["ResourceName"] == secret for r in e["Resources"])]
    assert len(events) == 1
    event = events[0]
    assert event["EventSource"] == "secretsmanager.amazonaws.com"
    assert event["ReadOnly"] == "false"
    assert event["Username"] == "root"
    assert event["AccessKeyId"] == "test"
    record = json.loads(event["CloudTrailEvent"])
    assert record["userIdentity"]["type"] == "Root"
    assert record["userIdentity"]["arn"] == "arn:aws:iam::000000000000:root"
    assert record["userIdentity"]["accessKeyId"] == "test"
    assert record["requestParameters"]["name"] == secret
    assert record["requestParameters"]["secretString"] == HIDDEN
    assert "s3cr3t-password" not in event["CloudTrailEvent"]
    assert record["responseElements"]["name"] == secret
    assert record["eventSource"] == "secretsmanager.amazonaws.com"
    assert record["awsRegion"] == "us-east-1"
    assert record["userAgent"].startswith("Boto3/")
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert record["requestID"] and record["eventID"] == event["EventId"]
    assert record["eventCategory"] == "Management" and record["managementEvent"] is True

    queues = [r for r in records(lookup(trail, "ResourceType", "AWS::SQS::Queue")) if r["requestParameters"].get("queueName") == queue]
    assert queues and queues[0]["eventName"] == "CreateQueue"
    # Data events never reach event history.
    nimbus.client("sqs").send_message(QueueUrl=nimbus.client("sqs").get_queue_url(QueueName=queue)["QueueUrl"], MessageBody="x")
    assert not lookup(trail, "EventName", "SendMessage")
    # The lookup itself is a (read-only) management event.
    assert lookup(trail, "EventName", "LookupEvents")[0]["ReadOnly"] == "true"


def test_lookup_through_the_cli(nimbus):
    queue = name("cli")
    nimbus.client("sqs").create_queue(QueueName=queue)
    out = nimbus.aws("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateQueue")
    names = {json.loads(e["CloudTrailEvent"])["requestParameters"]["queueName"] for e in out["Events"]}
    assert queue in names
    assert all(e["EventName"] == "CreateQueue" for e in out["Events"])


def test_pagination_and_time_range(nimbus):
    trail = nimbus.client("cloudtrail")
    prefix = name("page")
    sqs = nimbus.client("sqs")
    for i in range(7):
        sqs.create_queue(QueueName=f"{prefix}-{i}")
    pages = trail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateQueue"}], PaginationConfig={"PageSize": 3})
    seen = [json.loads(e["CloudTrailEvent"])["requestParameters"]["queueName"] for page in pages for e in page["Events"]]
    ours = [q for q in seen if q.startswith(prefix)]
    assert ours == [f"{prefix}-{i}" for i in reversed(range(7))], "newest first, every page"
    code, _, _ = error_of(trail.lookup_events, StartTime=time.time() + 60, EndTime=time.time())
    assert code == "InvalidTimeRangeException"
    two = [{"AttributeKey": "EventName", "AttributeValue": "a"}, {"AttributeKey": "Username", "AttributeValue": "b"}]
    assert error_of(trail.lookup_events, LookupAttributes=two)[0] == "InvalidLookupAttributesException"


def test_access_denied_calls_are_recorded():
    strict = Nimbus(*STRICT_ARGS)
    try:
        iam = strict.client("iam")
        user = User(strict, iam, [doc(allow("sqs:ListQueues"))])
        queue = name("denied")
        code, _, _ = error_of(user.client("sqs").create_queue, QueueName=queue)
        assert code in ("AccessDenied", "AccessDeniedException")
        events = lookup(strict.client("cloudtrail"), "Username", user.name)
        denied = [r for r in records(events) if r["eventName"] == "CreateQueue"]
        assert len(denied) == 1
        record = denied[0]
        assert record["errorCode"] == code
        assert "not authorized" in record["errorMessage"]
        assert record["userIdentity"]["type"] == "IAMUser"
        assert record["userIdentity"]["userName"] == user.name
        assert record["userIdentity"]["accessKeyId"] == user.key
        assert record["requestParameters"]["queueName"] == queue
        assert record["responseElements"] is None
        # CreateAccessKey's secret never reaches a record.
        keys = records(lookup(strict.client("cloudtrail"), "EventName", "CreateAccessKey"))
        assert keys and keys[0]["responseElements"]["accessKey"]["secretAccessKey"] == HIDDEN
        assert user.secret not in json.dumps(keys)
    finally:
        strict.stop()


@pytest.fixture(scope="module")
def clocked():
    """A Nimbus of this module's own: these tests move its clock."""
    server = Nimbus()
    yield server
    server.stop()


def log_files(s3, bucket):
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(o["Key"] for o in listed)


def read_log(s3, bucket, key):
    obj = s3.get_object(Bucket=bucket, Key=key)
    body = obj["Body"].read()
    assert body[:2] == b"\x1f\x8b", "gzip"
    return json.loads(gzip.decompress(body))["Records"]


def test_trail_delivers_data_events_to_s3_until_stopped(clocked):
    s3 = clocked.client("s3", s3={"addressing_style": "path"})
    trail = clocked.client("cloudtrail")
    logs, data = name("trail-logs"), name("data")
    s3.create_bucket(Bucket=logs)
    s3.create_bucket(Bucket=data)
    code, _, _ = error_of(trail.create_trail, Name="nobucket", S3BucketName=name("missing"))
    assert code == "S3BucketDoesNotExistException"
    created = trail.create_trail(Name="objects", S3BucketName=logs, S3KeyPrefix="audit")
    assert created["TrailARN"] == "arn:aws:cloudtrail:us-east-1:000000000000:trail/objects"
    trail.put_event_selectors(TrailName="objects", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{data}/"]}]}])
    assert trail.get_trail_status(Name="objects")["IsLogging"] is False
    trail.start_logging(Name="objects")
    assert trail.get_trail_status(Name="objects")["IsLogging"] is True

    s3.put_object(Bucket=data, Key="reports/one.txt", Body=b"hello")
    assert not log_files(s3, logs), "nothing before five minutes pass"
    advance(clocked, 6)
    files = log_files(s3, logs)
    assert len(files) == 1
    assert files[0].startswith("audit/AWSLogs/000000000000/CloudTrail/us-east-1/")
    assert files[0].endswith(".json.gz")
    found = read_log(s3, logs, files[0])
    puts = [r for r in found if r["eventName"] == "PutObject"]
    assert len(puts) == 1
    put = puts[0]
    assert put["eventCategory"] == "Data" and put["managementEvent"] is False
    assert put["requestParameters"]["bucketName"] == data
    assert put["requestParameters"]["key"] == "reports/one.txt"
    assert {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{data}/reports/one.txt", "accountId": "000000000000"} in put["resources"]
    assert put["userIdentity"]["type"] == "Root"
    assert any(r["eventName"] == "StartLogging" for r in found), "management events too"
    status = trail.get_trail_status(Name="objects")
    assert "LatestDeliveryTime" in status and "LatestDeliveryError" not in status
    # PutObject is not in event history (data event); its log file's PutObject is (CloudTrail's
    # own write is not a call anyone made).
    assert not lookup(trail, "EventName", "PutObject")

    trail.stop_logging(Name="objects")
    s3.put_object(Bucket=data, Key="reports/two.txt", Body=b"again")
    advance(clocked, 6)
    # What the trail logged before StopLogging (the calls above) is still delivered; nothing after.
    delivered = [r for key in log_files(s3, logs) for r in read_log(s3, logs, key)]
    keys = [r["requestParameters"].get("key") for r in delivered if r["eventName"] == "PutObject"]
    assert keys == ["reports/one.txt"]
    assert trail.get_trail_status(Name="objects")["IsLogging"] is False
    settled = log_files(s3, logs)
    advance(clocked, 6)
    assert log_files(s3, logs) == settled, "a stopped trail writes no new files"


def test_trail_crud_through_boto3(clocked):
    s3 = clocked.client("s3", s3={"addressing_style": "path"})
    trail = clocked.client("cloudtrail")
    bucket = name("crud-logs")
    s3.create_bucket(Bucket=bucket)
    trail.create_trail(Name="crud", S3BucketName=bucket, TagsList=[{"Key": "team", "Value": "core"}])
    assert error_of(trail.create_trail, Name="crud", S3BucketName=bucket)[0] == "TrailAlreadyExistsException"
    assert error_of(trail.create_trail, Name="-bad", S3BucketName=bucket)[0] == "InvalidTrailNameException"
    got = trail.get_trail(Name="crud")["Trail"]
    assert got["HomeRegion"] == "us-east-1" and got["S3BucketName"] == bucket
    assert "crud" in [t["Name"] for t in trail.list_trails()["Trails"]]
    assert "crud" in [t["Name"] for t in trail.describe_trails()["trailList"]]
    trail.update_trail(Name="crud", IsMultiRegionTrail=True)
    assert trail.get_trail(Name="crud")["Trail"]["IsMultiRegionTrail"] is True
    arn = got["TrailARN"]
    assert trail.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [{"Key": "team", "Value": "core"}]
    advanced = [{"Name": "queues", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::SQS::Queue"]}]}]
    trail.put_event_selectors(TrailName="crud", AdvancedEventSelectors=advanced)
    assert trail.get_event_selectors(TrailName="crud")["AdvancedEventSelectors"][0]["Name"] == "queues"
    trail.delete_trail(Name="crud")
    assert error_of(trail.get_trail, Name="crud")[0] == "TrailNotFoundException"
