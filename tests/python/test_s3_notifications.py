"""S3 event notifications end to end: boto3 against one Nimbus, S3 delivering to SQS queues and
SNS topics through Nimbus's event bus.

The expected behaviour is AWS's, from the Amazon S3 User Guide ("Amazon S3 Event Notifications",
"Event message structure", "Supported event types", "Configuring event notifications using object
key name filtering") and the API reference (PutBucketNotificationConfiguration): S3 sends an
`s3:TestEvent` to every destination when a configuration is put and refuses the configuration if
a destination cannot take it; each event is one JSON record with the key URL-encoded, no size or
eTag on deletes, a versionId only on versioned buckets, and a hexadecimal sequencer that grows
with each change of a key. Topic deliveries arrive wrapped in SNS's envelope with the subject
"Amazon S3 Notification". The module runs its own Nimbus (its clock is read for eventTime); the
lifecycle test starts another, since it moves the clock."""
import datetime
import json
import re
import time

import botocore.exceptions
import pytest
import requests

from conftest import S3_PATH_STYLE

ACCOUNT = "000000000000"
REGION = "us-east-1"
EMPTY = {"TopicConfigurations": [], "QueueConfigurations": [], "LambdaFunctionConfigurations": []}


# --- fixtures and helpers --------------------------------------------------------------------

@pytest.fixture(scope="module")
def s3(server):
    return server.client("s3", **S3_PATH_STYLE)


@pytest.fixture(scope="module")
def sqs(server):
    return server.client("sqs")


@pytest.fixture(scope="module")
def sns(server):
    return server.client("sns")


def queue(sqs, name, source=None):
    """A queue whose policy lets S3 (or a topic) send to it, as AWS requires: (url, arn)."""
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    principal = "sns.amazonaws.com" if source and ":sns:" in source else "s3.amazonaws.com"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": principal}, "Action": "sqs:SendMessage", "Resource": arn}]}
    url = sqs.create_queue(QueueName=name, Attributes={"Policy": json.dumps(policy)})["QueueUrl"]
    return url, arn


def take(sqs, url, count, timeout=10.0):
    """Receives (and deletes) messages until `count` arrived or `timeout` passed: their bodies."""
    got, deadline = [], time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    AttributeNames=["All"]).get("Messages", [])
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            got.append(m["Body"])
    assert len(got) == count, f"wanted {count} messages, got {len(got)}: {got}"
    return got


def nothing_in(sqs, url, wait=2):
    """Nothing arrives within `wait` seconds."""
    batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get("Messages", [])
    assert batch == [], [m["Body"] for m in batch]


def records(bodies):
    """The one record of each event message."""
    out = []
    for body in bodies:
        doc = json.loads(body)
        assert list(doc) == ["Records"] and len(doc["Records"]) == 1, doc
        out.append(doc["Records"][0])
    return out


def unwrap(bodies):
    """The S3 messages inside SNS envelopes (checking the envelope says S3 sent them)."""
    out = []
    for body in bodies:
        envelope = json.loads(body)
        assert envelope["Type"] == "Notification" and envelope["Subject"] == "Amazon S3 Notification", envelope
        out.append(envelope["Message"])
    return out


def clock_ms(server):
    now = server.admin("GET", "/_nimbus/clock")["now"]
    return int(datetime.datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp() * 1000)


def event_ms(text):
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", text), text
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def expected(name, bucket, key, config_id, meta, obj):
    """AWS's record for an event, without eventTime and sequencer (checked on their own)."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventName": name,
        "userIdentity": {"principalId": ACCOUNT},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": meta["RequestId"], "x-amz-id-2": meta["HostId"]},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": config_id,
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": ACCOUNT}, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": key, **obj},
        },
    }


def check(record, want, since_ms, until_ms):
    """`record` is `want` plus an eventTime within [since, until] and a hex sequencer; returns it."""
    record = json.loads(json.dumps(record))
    obj = record["s3"]["object"]
    sequencer = obj.pop("sequencer")
    assert re.fullmatch(r"[0-9A-F]+", sequencer), sequencer
    assert since_ms <= event_ms(record.pop("eventTime")) <= until_ms
    assert record == want
    return sequencer


def later(a, b):
    """Sequencer b is later than a (AWS: left-pad the shorter with zeros, compare as strings)."""
    width = max(len(a), len(b))
    return b.rjust(width, "0") > a.rjust(width, "0")


@pytest.fixture(scope="module")
def wired(server, s3, sqs, sns):
    """A bucket notifying a queue of ObjectCreated:* under `in/` ending `.txt` and a topic of
    ObjectRemoved:*; a second queue subscribed to the topic. The TestEvents of the Put are
    taken (and checked) here."""
    suffix = str(int(time.time() * 1000))
    bucket = f"notified-{suffix}"
    s3.create_bucket(Bucket=bucket)
    created_url, created_arn = queue(sqs, f"created-{suffix}")
    topic = sns.create_topic(Name=f"removed-{suffix}")["TopicArn"]
    removed_url, removed_arn = queue(sqs, f"removed-{suffix}", source=topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=removed_arn)
    since = clock_ms(server)
    put = s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{
            "Id": "created-txt", "QueueArn": created_arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                               {"Name": "suffix", "Value": ".txt"}]}}}],
        "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}],
    })
    until = clock_ms(server)
    meta = put["ResponseMetadata"]
    for body in take(sqs, created_url, 1) + unwrap(take(sqs, removed_url, 1)):
        event = json.loads(body)
        assert since <= event_ms(event.pop("Time")) <= until
        assert event == {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": bucket,
                         "RequestId": meta["RequestId"], "HostId": meta["HostId"]}
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    topic_id = config["TopicConfigurations"][0]["Id"]
    return {"bucket": bucket, "created": created_url, "removed": removed_url, "topic": topic,
            "created_arn": created_arn, "topic_id": topic_id}


# --- configuration ---------------------------------------------------------------------------

def test_configuration_round_trip_with_generated_id(s3, wired):
    config = s3.get_bucket_notification_configuration(Bucket=wired["bucket"])
    config.pop("ResponseMetadata")
    assert config == {
        "QueueConfigurations": [{
            "Id": "created-txt", "QueueArn": wired["created_arn"], "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"},
                                               {"Name": "Suffix", "Value": ".txt"}]}}}],
        "TopicConfigurations": [{"Id": wired["topic_id"], "TopicArn": wired["topic"],
                                 "Events": ["s3:ObjectRemoved:*"]}],
    }
    assert wired["topic_id"], "S3 gives a configuration without Id one"


def test_a_bucket_without_configuration_has_an_empty_one(s3, server):
    s3.create_bucket(Bucket="no-notifications")
    config = s3.get_bucket_notification_configuration(Bucket="no-notifications")
    config.pop("ResponseMetadata")
    assert config == {}


def fails(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kwargs)
    err = e.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]


def test_refused_configurations(s3, sqs):
    s3.create_bucket(Bucket="refusing")
    _, arn = queue(sqs, "refusing-target")
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue"
    put = s3.put_bucket_notification_configuration

    def config(*queues):
        return {"QueueConfigurations": [{"QueueArn": a, "Events": e, **({"Filter": {"Key": {"FilterRules": f}}} if f else {})}
                                        for a, e, f in queues]}

    assert fails(put, Bucket="refusing", NotificationConfiguration=config((missing, ["s3:ObjectCreated:*"], None))) == (
        "InvalidArgument", 400, "Unable to validate the following destination configurations")
    missing_topic = {"TopicConfigurations": [{"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic",
                                              "Events": ["s3:ObjectRemoved:*"]}]}
    assert fails(put, Bucket="refusing", NotificationConfiguration=missing_topic)[2] == \
        "Unable to validate the following destination configurations"
    assert fails(put, Bucket="refusing", NotificationConfiguration=config((arn, ["s3:ObjectCreated:Nope"], None))) == (
        "InvalidArgument", 400, "The event is not supported for notifications")
    overlap = config((arn, ["s3:ObjectCreated:*"], [{"Name": "prefix", "Value": "a/"}]),
                     (arn, ["s3:ObjectCreated:Put"], [{"Name": "suffix", "Value": ".jpg"}]))
    assert fails(put, Bucket="refusing", NotificationConfiguration=overlap) == (
        "InvalidArgument", 400,
        "Configurations overlap. Configurations on the same bucket cannot share a common event type.")
    # Disjoint prefixes share event types without overlapping.
    put(Bucket="refusing", NotificationConfiguration=config(
        (arn, ["s3:ObjectCreated:*"], [{"Name": "prefix", "Value": "a/"}]),
        (arn, ["s3:ObjectCreated:Put"], [{"Name": "prefix", "Value": "b/"}])))
    # Nothing refused was stored; the accepted one was.
    got = s3.get_bucket_notification_configuration(Bucket="refusing")["QueueConfigurations"]
    assert [q["Filter"]["Key"]["FilterRules"][0]["Value"] for q in got] == ["a/", "b/"]
    # Skipping destination validation accepts a queue that is not there (and sends nothing).
    put(Bucket="refusing", NotificationConfiguration=config((missing, ["s3:ObjectCreated:*"], None)),
        SkipDestinationValidation=True)
    assert s3.get_bucket_notification_configuration(Bucket="refusing")["QueueConfigurations"][0]["QueueArn"] == missing


def test_an_empty_configuration_turns_notifications_off(server, s3, sqs):
    s3.create_bucket(Bucket="switched-off")
    url, arn = queue(sqs, "switched-off-target")
    s3.put_bucket_notification_configuration(Bucket="switched-off", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    take(sqs, url, 1)  # the TestEvent
    s3.put_bucket_notification_configuration(Bucket="switched-off", NotificationConfiguration={})
    config = s3.get_bucket_notification_configuration(Bucket="switched-off")
    config.pop("ResponseMetadata")
    assert config == {}
    s3.put_object(Bucket="switched-off", Key="k", Body=b"x")
    nothing_in(sqs, url)


def test_deleting_the_bucket_drops_its_configuration(s3, sqs):
    url, arn = queue(sqs, "recreated-target")
    s3.create_bucket(Bucket="recreated")
    s3.put_bucket_notification_configuration(Bucket="recreated", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    take(sqs, url, 1)
    s3.delete_bucket(Bucket="recreated")
    s3.create_bucket(Bucket="recreated")
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket="recreated")
    s3.put_object(Bucket="recreated", Key="k", Body=b"x")
    nothing_in(sqs, url)


# --- events ----------------------------------------------------------------------------------

def test_put_copy_and_multipart_events(server, s3, sqs, wired):
    bucket, url = wired["bucket"], wired["created"]
    since = clock_ms(server)
    put = s3.put_object(Bucket=bucket, Key="in/a b+c.txt", Body=b"hello")
    [record] = records(take(sqs, url, 1))
    check(record, expected("ObjectCreated:Put", bucket, "in/a+b%2Bc.txt", "created-txt", put["ResponseMetadata"],
                           {"size": 5, "eTag": put["ETag"].strip('"')}), since, clock_ms(server))

    since = clock_ms(server)
    copy = s3.copy_object(Bucket=bucket, Key="in/copy.txt", CopySource={"Bucket": bucket, "Key": "in/a b+c.txt"})
    [record] = records(take(sqs, url, 1))
    check(record, expected("ObjectCreated:Copy", bucket, "in/copy.txt", "created-txt", copy["ResponseMetadata"],
                           {"size": 5, "eTag": copy["CopyObjectResult"]["ETag"].strip('"')}), since, clock_ms(server))

    since = clock_ms(server)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="in/big.txt")["UploadId"]
    parts = []
    for number, body in [(1, b"a" * (5 * 1024 * 1024)), (2, b"tail")]:
        part = s3.upload_part(Bucket=bucket, Key="in/big.txt", UploadId=upload, PartNumber=number, Body=body)
        parts.append({"PartNumber": number, "ETag": part["ETag"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="in/big.txt", UploadId=upload,
                                        MultipartUpload={"Parts": parts})
    [record] = records(take(sqs, url, 1))
    etag = done["ETag"].strip('"')
    assert etag.endswith("-2")
    check(record, expected("ObjectCreated:CompleteMultipartUpload", bucket, "in/big.txt", "created-txt",
                           done["ResponseMetadata"], {"size": 5 * 1024 * 1024 + 4, "eTag": etag}),
          since, clock_ms(server))


def test_keys_the_filter_does_not_match_send_nothing(s3, sqs, wired):
    bucket = wired["bucket"]
    s3.put_object(Bucket=bucket, Key="out/x.txt", Body=b"x")  # wrong prefix
    s3.put_object(Bucket=bucket, Key="in/x.bin", Body=b"x")   # wrong suffix
    s3.put_object(Bucket=bucket, Key="x.txt", Body=b"x")      # neither
    nothing_in(sqs, wired["created"])


def test_delete_events_through_the_topic(server, s3, sqs, wired):
    bucket, created, removed = wired["bucket"], wired["created"], wired["removed"]
    put = s3.put_object(Bucket=bucket, Key="in/doomed.txt", Body=b"bye")
    [put_record] = records(take(sqs, created, 1))
    since = clock_ms(server)
    deleted = s3.delete_object(Bucket=bucket, Key="in/doomed.txt")
    [record] = records(unwrap(take(sqs, removed, 1)))
    # Deletes carry neither size nor eTag; an unversioned bucket's events no versionId.
    sequencer = check(record, expected("ObjectRemoved:Delete", bucket, "in/doomed.txt", wired["topic_id"],
                                       deleted["ResponseMetadata"], {}), since, clock_ms(server))
    assert later(put_record["s3"]["object"]["sequencer"], sequencer)
    assert put["ETag"].strip('"') == put_record["s3"]["object"]["eTag"]

    # DeleteObjects: one event per key (quiet mode only quiets the response), the topic takes any key.
    s3.put_object(Bucket=bucket, Key="elsewhere/one", Body=b"1")
    since = clock_ms(server)
    batch = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "elsewhere/one"}, {"Key": "never existed"}],
                                                     "Quiet": True})
    got = records(unwrap(take(sqs, removed, 2)))
    got.sort(key=lambda r: r["s3"]["object"]["key"])
    for record, key in zip(got, ["elsewhere/one", "never+existed"]):
        check(record, expected("ObjectRemoved:Delete", bucket, key, wired["topic_id"], batch["ResponseMetadata"], {}),
              since, clock_ms(server))
    # Deletes are not ObjectCreated events.
    nothing_in(sqs, created, wait=1)


def test_versioned_bucket_events_carry_version_ids(server, s3, sqs):
    s3.create_bucket(Bucket="versioned-events")
    s3.put_bucket_versioning(Bucket="versioned-events", VersioningConfiguration={"Status": "Enabled"})
    url, arn = queue(sqs, "versioned-events-target")
    s3.put_bucket_notification_configuration(Bucket="versioned-events", NotificationConfiguration={
        "QueueConfigurations": [{"Id": "all", "QueueArn": arn,
                                 "Events": ["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"]}]})
    take(sqs, url, 1)
    since = clock_ms(server)
    put = s3.put_object(Bucket="versioned-events", Key="doc", Body=b"v1")
    marker = s3.delete_object(Bucket="versioned-events", Key="doc")
    gone = s3.delete_object(Bucket="versioned-events", Key="doc", VersionId=put["VersionId"])
    until = clock_ms(server)
    put_record, marker_record, gone_record = records(take(sqs, url, 3))
    seq = [
        check(put_record, expected("ObjectCreated:Put", "versioned-events", "doc", "all", put["ResponseMetadata"],
                                   {"size": 2, "eTag": put["ETag"].strip('"'), "versionId": put["VersionId"]}),
              since, until),
        check(marker_record, expected("ObjectRemoved:DeleteMarkerCreated", "versioned-events", "doc", "all",
                                      marker["ResponseMetadata"], {"versionId": marker["VersionId"]}), since, until),
        check(gone_record, expected("ObjectRemoved:Delete", "versioned-events", "doc", "all", gone["ResponseMetadata"],
                                    {"versionId": put["VersionId"]}), since, until),
    ]
    assert later(seq[0], seq[1]) and later(seq[1], seq[2]), seq


def test_browser_form_upload_is_a_post_event(server, s3, sqs):
    s3.create_bucket(Bucket="form-events")
    url, arn = queue(sqs, "form-events-target")
    s3.put_bucket_notification_configuration(Bucket="form-events", NotificationConfiguration={
        "QueueConfigurations": [{"Id": "posts", "QueueArn": arn, "Events": ["s3:ObjectCreated:Post"]}]})
    take(sqs, url, 1)
    since = clock_ms(server)
    post = s3.generate_presigned_post("form-events", "uploads/${filename}", ExpiresIn=600)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("photo 1.jpg", b"jpeg bytes")})
    assert r.status_code == 204, r.text
    [record] = records(take(sqs, url, 1))
    meta = {"RequestId": r.headers["x-amz-request-id"], "HostId": r.headers["x-amz-id-2"]}
    etag = s3.head_object(Bucket="form-events", Key="uploads/photo 1.jpg")["ETag"].strip('"')
    check(record, expected("ObjectCreated:Post", "form-events", "uploads/photo+1.jpg", "posts", meta,
                           {"size": 10, "eTag": etag}), since, clock_ms(server))
    # A plain PUT is not a Post event.
    s3.put_object(Bucket="form-events", Key="put.jpg", Body=b"x")
    nothing_in(sqs, url, wait=1)


def test_lifecycle_expiration_events(start_nimbus):
    server = start_nimbus()
    s3, sqs = server.client("s3", **S3_PATH_STYLE), server.client("sqs")
    s3.create_bucket(Bucket="expiring")
    s3.put_bucket_lifecycle_configuration(Bucket="expiring", LifecycleConfiguration={"Rules": [{
        "ID": "a-day", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}]})
    url, arn = queue(sqs, "expiring-target")
    s3.put_bucket_notification_configuration(Bucket="expiring", NotificationConfiguration={
        "QueueConfigurations": [{"Id": "expired", "QueueArn": arn, "Events": ["s3:LifecycleExpiration:*"]}]})
    take(sqs, url, 1)
    s3.put_object(Bucket="expiring", Key="tmp/old", Body=b"x")
    s3.put_object(Bucket="expiring", Key="keep/old", Body=b"x")
    nothing_in(sqs, url, wait=1)  # a PUT is no lifecycle event
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": 3 * 86400})
    since = clock_ms(server)
    [record] = records(take(sqs, url, 1))
    assert since - 60_000 <= event_ms(record.pop("eventTime")) <= clock_ms(server)
    record["s3"]["object"].pop("sequencer")
    record.pop("responseElements")  # a request of S3's own
    assert record == {
        "eventVersion": "2.3", "eventSource": "aws:s3", "awsRegion": REGION,
        "eventName": "LifecycleExpiration:Delete",
        "userIdentity": {"principalId": "s3.amazonaws.com"},
        "requestParameters": {"sourceIPAddress": "s3.amazonaws.com"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "expired",
               "bucket": {"name": "expiring", "ownerIdentity": {"principalId": ACCOUNT},
                          "arn": "arn:aws:s3:::expiring"},
               "object": {"key": "tmp/old"}},
    }
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="expiring")["Contents"]] == ["keep/old"]
