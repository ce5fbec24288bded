"""SQS end to end: boto3 (JSON protocol, query-compatible errors), the AWS CLI and raw query-protocol
requests (legacy clients) against one Nimbus. Queues, attributes, messages and their digests,
visibility, batches, long polling, dead-letter queues and redrive, purge, retention, FIFO order and
deduplication, tags, permissions, and durability across `kill -9`.

The expected behaviour is AWS's, from the SQS API reference and developer guide. Time-driven rules
(visibility, delays, retention, the 60-second purge and recreate rules, the 5-minute FIFO
deduplication window) run on Nimbus's clock, which the tests move instead of sleeping. The module
runs its own Nimbus so those clock moves touch no other test module's server.

botocore does not check SQS's MD5 digests (the Java and .NET SDKs do), so the tests compute
MD5OfMessageBody and MD5OfMessageAttributes themselves, as the developer guide defines them."""
import base64
import concurrent.futures
import datetime
import hashlib
import json
import struct
import time
import urllib.parse
import xml.etree.ElementTree as ET

import botocore.exceptions
import pytest
import requests

import sigv4

from conftest import wait_for

ACCOUNT = "000000000000"
REGION = "us-east-1"


# --- fixtures and helpers --------------------------------------------------------------------

@pytest.fixture(scope="module")
def sqs(server):
    return server.client("sqs")


@pytest.fixture(scope="module")
def raw_sqs(server):
    """A client that skips botocore's own parameter checks, so Nimbus's checks are exercised."""
    return server.client("sqs", parameter_validation=False)


@pytest.fixture
def queue(sqs, unique):
    """A fresh standard queue: (url, name)."""
    name = f"q-{unique}"
    return sqs.create_queue(QueueName=name)["QueueUrl"], name


def advance(server, seconds):
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": seconds})


def clock_ms(server):
    now = server.admin("GET", "/_nimbus/clock")["now"]
    return int(datetime.datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp() * 1000)


def arn(name):
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def fails(call, code, *, status=400, exception=None, **kwargs):
    """Calls `call(**kwargs)`, which must fail with `code` (as botocore reports it in query-compatible
    mode: the x-amzn-query-error code) and `status` (None: any); `exception`, when given, is the
    client's modeled exception that must be raised. Returns the error message."""
    expected = exception or botocore.exceptions.ClientError
    with pytest.raises(expected) as e:
        call(**kwargs)
    err = e.value.response
    got_status = err["ResponseMetadata"]["HTTPStatusCode"]
    assert (err["Error"]["Code"], got_status if status else None) == (code, status), err["Error"]
    return err["Error"].get("Message", "")


def attributes(sqs, url, *names):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"]).get("Attributes", {})


def counts(sqs, url):
    """(visible, in flight, delayed)."""
    a = attributes(sqs, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                   "ApproximateNumberOfMessagesDelayed")
    return (int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"]),
            int(a["ApproximateNumberOfMessagesDelayed"]))


def receive(sqs, url, **kwargs):
    kwargs.setdefault("MaxNumberOfMessages", 10)
    return sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", [])


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def _length_prefixed(data):
    return struct.pack(">I", len(data)) + data


def md5_of_attributes(attrs):
    """MD5OfMessageAttributes as AWS's developer guide defines it ("Calculating the MD5 message digest
    for message attributes"): attributes sorted by name; for each, the 4-byte big-endian length and
    UTF-8 bytes of the name, then of the data type, then one transport byte (1 string, 2 binary),
    then the length and bytes of the value."""
    buf = b""
    for name in sorted(attrs):
        a = attrs[name]
        buf += _length_prefixed(name.encode()) + _length_prefixed(a["DataType"].encode())
        if "StringValue" in a:
            buf += b"\x01" + _length_prefixed(a["StringValue"].encode())
        else:
            buf += b"\x02" + _length_prefixed(bytes(a["BinaryValue"]))
    return hashlib.md5(buf).hexdigest()


def fifo_queue(sqs, name, **attrs):
    attrs = {"FifoQueue": "true", **{k: str(v) for k, v in attrs.items()}}
    return sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]


# --- the digest helper itself ----------------------------------------------------------------

def test_attribute_digest_helper_matches_known_vectors():
    # Published MD5OfMessageAttributes values of SQS responses: the helper the other tests check
    # Nimbus's digests with must reproduce them.
    s = {"attribName1": {"DataType": "String", "StringValue": "attribValue 1"}}
    n = {"customNumberTypeAttrib": {"DataType": "Number.float", "StringValue": "4563442423554324324264524243.32543234"}}
    b = {"binaryAttribute": {"DataType": "Binary", "BinaryValue": b"Hello binary world!"}}
    assert md5_of_attributes(s) == "19e27d4e946b072f3f58da80d94fd778"
    assert md5_of_attributes(n) == "9fe1b90bbd9965bdf77bac517c7d2495"
    assert md5_of_attributes(b) == "31a92b15d92f8db860eda32aceb656c3"
    assert md5_of_attributes({**s, **n, **b}) == "c932db14a896c663f83c260297d594ff"


# --- queues ----------------------------------------------------------------------------------

def test_create_get_url_and_delete_queue(sqs, unique):
    name = f"life-{unique}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url.endswith(f"/{ACCOUNT}/{name}")
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=ACCOUNT)["QueueUrl"] == url
    assert url in sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]

    sqs.delete_queue(QueueUrl=url)
    # botocore reports the query code (x-amzn-query-error) and still raises the modeled exception.
    message = fails(sqs.get_queue_url, "AWS.SimpleQueueService.NonExistentQueue",
                    exception=sqs.exceptions.QueueDoesNotExist, QueueName=name)
    assert "does not exist" in message
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as e:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert e.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", []) == []
    # Another account's queue of that name does not exist either.
    fails(sqs.get_queue_url, "AWS.SimpleQueueService.NonExistentQueue", exception=sqs.exceptions.QueueDoesNotExist,
          QueueName=f"never-{unique}", QueueOwnerAWSAccountId="111111111111")


def test_list_queues_prefix_and_pagination(sqs, unique):
    prefix = f"lst-{unique}-"
    urls = {sqs.create_queue(QueueName=f"{prefix}{i}")["QueueUrl"] for i in range(5)}
    sqs.create_queue(QueueName=f"other-{unique}")

    listed = sqs.list_queues(QueueNamePrefix=prefix)
    assert set(listed["QueueUrls"]) == urls
    assert "NextToken" not in listed  # no MaxResults: no token
    assert sqs.list_queues(QueueNamePrefix=f"nothing-{unique}").get("QueueUrls", []) == []

    seen, pages, token = [], 0, None
    while True:
        page = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, **({"NextToken": token} if token else {}))
        assert 1 <= len(page["QueueUrls"]) <= 2
        seen += page["QueueUrls"]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(urls) and pages == 3


def test_create_queue_is_idempotent_only_with_the_same_attributes(sqs, unique):
    name = f"idem-{unique}"
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45", "DelaySeconds": "2"})["QueueUrl"]
    again = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45", "DelaySeconds": "2"})["QueueUrl"]
    assert again == url
    # Different values: QueueNameExists, whose query code is QueueAlreadyExists.
    fails(sqs.create_queue, "QueueAlreadyExists", exception=sqs.exceptions.QueueNameExists,
          QueueName=name, Attributes={"VisibilityTimeout": "50", "DelaySeconds": "2"})
    assert attributes(sqs, url, "VisibilityTimeout")["VisibilityTimeout"] == "45"  # not altered


def test_deleted_queue_name_is_refused_for_60_seconds(server, sqs, unique):
    name = f"recreate-{unique}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="from the old queue")
    sqs.delete_queue(QueueUrl=url)
    fails(sqs.create_queue, "AWS.SimpleQueueService.QueueDeletedRecently",
          exception=sqs.exceptions.QueueDeletedRecently, QueueName=name)
    advance(server, 30)
    fails(sqs.create_queue, "AWS.SimpleQueueService.QueueDeletedRecently",
          exception=sqs.exceptions.QueueDeletedRecently, QueueName=name)
    advance(server, 31)
    new_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert new_url == url
    assert receive(sqs, new_url) == []  # a new, empty queue
    assert counts(sqs, new_url) == (0, 0, 0)


def test_queue_url_forms_are_accepted(server, sqs, queue):
    url, name = queue
    port = server.port
    forms = [
        f"http://localhost:{port}/{ACCOUNT}/{name}",
        f"http://127.0.0.1:{port}/{ACCOUNT}/{name}",
        f"http://sqs.{REGION}.localhost:{port}/{ACCOUNT}/{name}",
        f"http://sqs.{REGION}.localhost.localstack.cloud:{port}/{ACCOUNT}/{name}",
    ]
    for i, form in enumerate(forms):
        # The host is only parsed: the request still goes to the client's endpoint.
        assert attributes(sqs, form, "QueueArn")["QueueArn"] == arn(name), form
        sqs.send_message(QueueUrl=form, MessageBody=f"via form {i}")
    assert counts(sqs, url) == (len(forms), 0, 0)
    bodies = sorted(m["Body"] for m in receive(sqs, forms[2]) + receive(sqs, forms[3]))
    assert bodies == [f"via form {i}" for i in range(len(forms))]


def test_queue_names_follow_aws_rules(raw_sqs, unique):
    for bad in ["has space", "bang!", "dot.ted", "a" * 81]:
        fails(raw_sqs.create_queue, "InvalidParameterValue", QueueName=bad)
    url = raw_sqs.create_queue(QueueName="A-b_9" + unique[:4])["QueueUrl"]
    assert url.endswith("/A-b_9" + unique[:4])
    raw_sqs.create_queue(QueueName="x" * 80)  # 80 is the limit


# --- attributes ------------------------------------------------------------------------------

def test_default_attributes(server, sqs, queue):
    url, name = queue
    before_s = clock_ms(server) // 1000
    a = attributes(sqs, url)
    expected = {
        "DelaySeconds": "0", "MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0",
        "VisibilityTimeout": "30", "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0",
        "ApproximateNumberOfMessagesDelayed": "0", "QueueArn": arn(name), "SqsManagedSseEnabled": "true",
    }
    assert {k: a.get(k) for k in expected} == expected
    # Epoch seconds on Nimbus's clock.
    assert abs(int(a["CreatedTimestamp"]) - before_s) <= 5
    assert int(a["LastModifiedTimestamp"]) >= int(a["CreatedTimestamp"])
    for absent in ["FifoQueue", "ContentBasedDeduplication", "RedrivePolicy", "Policy"]:
        assert absent not in a
    # Only what is asked for; nothing when nothing is asked for.
    assert set(attributes(sqs, url, "VisibilityTimeout", "QueueArn")) == {"VisibilityTimeout", "QueueArn"}
    assert sqs.get_queue_attributes(QueueUrl=url).get("Attributes", {}) == {}


def test_default_maximum_message_size_is_1_mib(sqs, queue):
    # CreateQueue API reference: "MaximumMessageSize ... Valid values: An integer from 1,024 bytes
    # (1 KiB) to 1,048,576 bytes (1 MiB). Default: 1,048,576 bytes (1 MiB)."
    url, _ = queue
    assert attributes(sqs, url, "MaximumMessageSize") == {"MaximumMessageSize": "1048576"}
    sqs.send_message(QueueUrl=url, MessageBody="x" * 300_000)  # over the old 256 KiB limit


def test_attribute_values_are_validated(sqs, queue, unique):
    url, _ = queue
    out_of_range = {
        "VisibilityTimeout": ["-1", "43201"], "DelaySeconds": ["-1", "901"],
        "MessageRetentionPeriod": ["59", "1209601"], "MaximumMessageSize": ["1023", "1048577"],
        "ReceiveMessageWaitTimeSeconds": ["-1", "21"],
    }
    for attr, values in out_of_range.items():
        for value in values + ["abc"]:
            fails(sqs.create_queue, "InvalidAttributeValue", exception=sqs.exceptions.InvalidAttributeValue,
                  QueueName=f"bad-{unique}", Attributes={attr: value})
            fails(sqs.set_queue_attributes, "InvalidAttributeValue", exception=sqs.exceptions.InvalidAttributeValue,
                  QueueUrl=url, Attributes={attr: value})
    assert sqs.list_queues(QueueNamePrefix=f"bad-{unique}").get("QueueUrls", []) == []
    # The edges are valid.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "43200", "DelaySeconds": "900",
                                                       "MessageRetentionPeriod": "60", "MaximumMessageSize": "1024",
                                                       "ReceiveMessageWaitTimeSeconds": "20"})
    # Unknown attribute names.
    fails(sqs.create_queue, "InvalidAttributeName", exception=sqs.exceptions.InvalidAttributeName,
          QueueName=f"bad-{unique}", Attributes={"Colour": "blue"})
    fails(sqs.set_queue_attributes, "InvalidAttributeName", exception=sqs.exceptions.InvalidAttributeName,
          QueueUrl=url, Attributes={"Colour": "blue"})
    fails(sqs.get_queue_attributes, "InvalidAttributeName", exception=sqs.exceptions.InvalidAttributeName,
          QueueUrl=url, AttributeNames=["Colour"])


def test_set_queue_attributes_round_trip(server, sqs, queue):
    url, _ = queue
    created = int(attributes(sqs, url, "CreatedTimestamp")["CreatedTimestamp"])
    advance(server, 10)
    changes = {"VisibilityTimeout": "120", "DelaySeconds": "5", "MessageRetentionPeriod": "3600",
               "ReceiveMessageWaitTimeSeconds": "3", "MaximumMessageSize": "2048"}
    sqs.set_queue_attributes(QueueUrl=url, Attributes=changes)
    a = attributes(sqs, url)
    assert {k: a[k] for k in changes} == changes
    assert int(a["LastModifiedTimestamp"]) >= created + 10
    assert int(a["CreatedTimestamp"]) == created


def test_redrive_policy_is_json(sqs, unique):
    dlq = sqs.create_queue(QueueName=f"rp-dlq-{unique}")["QueueUrl"]
    policy = {"deadLetterTargetArn": arn(f"rp-dlq-{unique}"), "maxReceiveCount": 4}
    src = sqs.create_queue(QueueName=f"rp-src-{unique}", Attributes={"RedrivePolicy": json.dumps(policy)})["QueueUrl"]
    assert json.loads(attributes(sqs, src, "RedrivePolicy")["RedrivePolicy"]) == policy
    policy["maxReceiveCount"] = 7
    sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(policy)})
    assert json.loads(attributes(sqs, src)["RedrivePolicy"]) == policy
    # The target must exist, and maxReceiveCount is 1 to 1000.
    missing = {"deadLetterTargetArn": arn(f"rp-missing-{unique}"), "maxReceiveCount": 3}
    fails(sqs.set_queue_attributes, "InvalidParameterValue", QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(missing)})
    for count in [0, 1001]:
        bad = {"deadLetterTargetArn": arn(f"rp-dlq-{unique}"), "maxReceiveCount": count}
        fails(sqs.set_queue_attributes, "InvalidParameterValue", QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(bad)})
    fails(sqs.set_queue_attributes, "InvalidParameterValue", QueueUrl=src, Attributes={"RedrivePolicy": "not json"})
    assert json.loads(attributes(sqs, src)["RedrivePolicy"]) == policy  # unchanged by the refusals
    # An empty value removes it.
    sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in attributes(sqs, src)
    # The dead-letter queue's RedriveAllowPolicy decides who may use it ("denyAll": nobody), and a
    # FIFO queue's dead-letter queue must be FIFO too.
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})
    assert json.loads(attributes(sqs, dlq)["RedriveAllowPolicy"]) == {"redrivePermission": "denyAll"}
    fails(sqs.set_queue_attributes, "InvalidParameterValue", QueueUrl=src,
          Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": arn(f"rp-dlq-{unique}"), "maxReceiveCount": 3})})
    fifo = fifo_queue(sqs, f"rp-src-{unique}.fifo")
    sqs.create_queue(QueueName=f"rp-plain-{unique}")
    fails(sqs.set_queue_attributes, "InvalidParameterValue", QueueUrl=fifo,
          Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": arn(f"rp-plain-{unique}"), "maxReceiveCount": 3})})


def test_message_counters(server, sqs, queue):
    url, _ = queue
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=url, MessageBody="two")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=30)
    assert counts(sqs, url) == (2, 0, 1)
    got = receive(sqs, url, MaxNumberOfMessages=1, VisibilityTimeout=120)
    assert len(got) == 1 and got[0]["Body"] in {"one", "two"}
    assert counts(sqs, url) == (1, 1, 1)
    advance(server, 31)
    assert counts(sqs, url) == (2, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    assert counts(sqs, url) == (2, 0, 0)


# --- messages --------------------------------------------------------------------------------

def test_send_receive_delete_with_message_attributes(sqs, queue):
    url, _ = queue
    body = "héllo wörld ✓ \U0001F600\t\n\r"
    attrs = {
        "colour": {"DataType": "String", "StringValue": "blue ✓"},
        "count": {"DataType": "Number", "StringValue": "-12.5e3"},
        "blob": {"DataType": "Binary", "BinaryValue": bytes(range(256))},
        "price": {"DataType": "Number.float", "StringValue": "3.14"},
        "note": {"DataType": "String.custom-label", "StringValue": "labelled"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attrs)
    assert sent["MD5OfMessageBody"] == md5(body)
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    assert sent["MessageId"]

    (m,) = receive(sqs, url, MessageAttributeNames=["All"])
    assert (m["MessageId"], m["Body"], m["MD5OfBody"]) == (sent["MessageId"], body, md5(body))
    assert m["MessageAttributes"] == attrs
    assert m["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    assert m["ReceiptHandle"]

    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)
    assert receive(sqs, url) == []
    # Deleting again with the same handle is not an error.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_message_attribute_names_filter(sqs, queue):
    url, _ = queue
    attrs = {name: {"DataType": "String", "StringValue": f"v-{name}"} for name in ["a.one", "a.two", "b.one", "ab"]}
    sqs.send_message(QueueUrl=url, MessageBody="filtered", MessageAttributes=attrs)

    def received_with(names):
        (m,) = receive(sqs, url, VisibilityTimeout=0, **({"MessageAttributeNames": names} if names is not None else {}))
        got = m.get("MessageAttributes", {})
        if got:
            # The digest covers exactly the attributes returned.
            assert m["MD5OfMessageAttributes"] == md5_of_attributes(got)
        return set(got)

    assert received_with(["All"]) == set(attrs)
    assert received_with([".*"]) == set(attrs)
    assert received_with(["a.*"]) == {"a.one", "a.two"}
    assert received_with(["b.one"]) == {"b.one"}
    assert received_with(["ab", "b.one", "missing"]) == {"ab", "b.one"}
    assert received_with(None) == set()
    assert received_with(["nothing.*"]) == set()


def test_message_attributes_are_validated(raw_sqs, queue):
    # Developer guide, "Message attribute components": up to 10 attributes; names of A-Z a-z 0-9 _ - .,
    # not starting with AWS. or Amazon., no leading/trailing/double period; types String, Number,
    # Binary (plus a custom label); name, type and value must not be empty.
    url, _ = queue
    sqs = raw_sqs
    string = {"DataType": "String", "StringValue": "v"}
    bad = [
        {f"a{i}": string for i in range(11)},
        {"AWS.reserved": string}, {"amazon.reserved": string}, {".lead": string}, {"trail.": string},
        {"dou..ble": string}, {"sp ace": string}, {"a" * 257: string},
        {"empty": {"DataType": "String", "StringValue": ""}},
        {"n": {"DataType": "Number", "StringValue": "not a number"}},
        {"t": {"DataType": "Colour", "StringValue": "blue"}},
        {"b": {"DataType": "Binary", "StringValue": "a string for a binary"}},
    ]
    for attrs in bad:
        fails(sqs.send_message, "InvalidParameterValue", QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    assert counts(sqs, url)[0] == 0
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={f"a{i}": string for i in range(10)})
    assert counts(sqs, url)[0] == 1


def test_receive_returns_one_message_unless_asked_for_more(sqs, queue, unique):
    url, _ = queue
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"r{i}")
    # ReceiveMessage API reference: MaxNumberOfMessages "Valid values: 1 to 10. Default: 1."
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    assert len(receive(sqs, url, MaxNumberOfMessages=2)) == 2
    # A queue that is not there.
    missing = url.replace(f"q-{unique}", f"gone-{unique}")
    for call, kwargs in [(sqs.send_message, {"MessageBody": "x"}), (sqs.receive_message, {}), (sqs.delete_queue, {}),
                         (sqs.purge_queue, {}), (sqs.delete_message, {"ReceiptHandle": "x"})]:
        fails(call, "AWS.SimpleQueueService.NonExistentQueue", exception=sqs.exceptions.QueueDoesNotExist,
              QueueUrl=missing, **kwargs)


def test_standard_queue_accepts_message_group_ids_for_fair_queues(sqs, queue):
    # SendMessage API reference: "In standard queues, using MessageGroupId enables fair queues."
    url, _ = queue
    sqs.send_message(QueueUrl=url, MessageBody="tenant a", MessageGroupId="tenant-a")
    out = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "b", "MessageBody": "tenant b", "MessageGroupId": "tenant-b"}])
    assert out.get("Failed", []) == []
    got = receive(sqs, url, MessageSystemAttributeNames=["MessageGroupId"])
    assert sorted((m["Body"], m["Attributes"].get("MessageGroupId")) for m in got) == [
        ("tenant a", "tenant-a"), ("tenant b", "tenant-b")]


def test_system_attributes(server, sqs, queue):
    url, _ = queue
    before = clock_ms(server)
    sqs.send_message(QueueUrl=url, MessageBody="sys")
    after = clock_ms(server)
    advance(server, 100)

    (m,) = receive(sqs, url, AttributeNames=["All"], VisibilityTimeout=0)
    a = m["Attributes"]
    assert before - 1000 <= int(a["SentTimestamp"]) <= after + 1000
    assert a["ApproximateReceiveCount"] == "1"
    assert a["SenderId"] == ACCOUNT
    first = int(a["ApproximateFirstReceiveTimestamp"])
    assert first - int(a["SentTimestamp"]) >= 100_000  # received 100 s (of Nimbus's clock) later

    advance(server, 5)
    (m,) = receive(sqs, url, MessageSystemAttributeNames=["ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"])
    assert m["Attributes"] == {"ApproximateReceiveCount": "2", "ApproximateFirstReceiveTimestamp": str(first)}
    assert "SequenceNumber" not in a and "MessageGroupId" not in a  # standard queue


def test_per_message_and_queue_delays(server, sqs, raw_sqs, unique):
    url = sqs.create_queue(QueueName=f"delay-{unique}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=30)
    sqs.send_message(QueueUrl=url, MessageBody="now")
    assert [m["Body"] for m in receive(sqs, url, VisibilityTimeout=0)] == ["now"]
    assert counts(sqs, url)[2] == 1
    advance(server, 20)
    assert [m["Body"] for m in receive(sqs, url, VisibilityTimeout=0)] == ["now"]
    advance(server, 11)
    assert sorted(m["Body"] for m in receive(sqs, url, VisibilityTimeout=0)) == ["delayed", "now"]

    # The queue's DelaySeconds is the default; a message's own DelaySeconds wins (0 included).
    slow = sqs.create_queue(QueueName=f"delayq-{unique}", Attributes={"DelaySeconds": "20"})["QueueUrl"]
    sqs.send_message(QueueUrl=slow, MessageBody="queue default")
    sqs.send_message(QueueUrl=slow, MessageBody="explicit zero", DelaySeconds=0)
    assert [m["Body"] for m in receive(sqs, slow, VisibilityTimeout=0)] == ["explicit zero"]
    advance(server, 21)
    assert sorted(m["Body"] for m in receive(sqs, slow)) == ["explicit zero", "queue default"]

    fails(raw_sqs.send_message, "InvalidParameterValue", QueueUrl=url, MessageBody="x", DelaySeconds=901)
    fails(raw_sqs.send_message, "InvalidParameterValue", QueueUrl=url, MessageBody="x", DelaySeconds=-1)


def test_invalid_message_contents(sqs, queue):
    url, _ = queue
    # SendMessage API reference: allowed are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
    for bad in ["nul \x00 inside", "bell \x07", "\x1f", "not a char \uffff", "\ufffe"]:
        fails(sqs.send_message, "InvalidMessageContents", exception=sqs.exceptions.InvalidMessageContents,
              QueueUrl=url, MessageBody=bad)
    edges = "\t\n\r \ud7ff\ue000\ufffd\U00010000\U0010ffff"
    sqs.send_message(QueueUrl=url, MessageBody=edges)
    (m,) = receive(sqs, url)
    assert m["Body"] == edges and m["MD5OfBody"] == md5(edges)
    assert counts(sqs, url)[0] == 0  # the refused ones were not stored


def test_message_size_limit(sqs, queue):
    url, _ = queue
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "1024"})
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    sqs.send_message(QueueUrl=url, MessageBody="é" * 512)  # 1024 bytes of UTF-8
    fails(sqs.send_message, "InvalidParameterValue", QueueUrl=url, MessageBody="x" * 1025)
    fails(sqs.send_message, "InvalidParameterValue", QueueUrl=url, MessageBody="é" * 513)  # 513 characters, 1026 bytes
    # Attribute names, types and values count towards the size.
    fails(sqs.send_message, "InvalidParameterValue", QueueUrl=url, MessageBody="x" * 1000,
          MessageAttributes={"k": {"DataType": "String", "StringValue": "v" * 30}})
    assert counts(sqs, url)[0] == 2


# --- visibility ------------------------------------------------------------------------------

def test_visibility_timeout_runs_on_the_clock(server, sqs, unique):
    url = sqs.create_queue(QueueName=f"vis-{unique}", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hidden")
    (first,) = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert receive(sqs, url) == []
    assert counts(sqs, url) == (0, 1, 0)
    advance(server, 20)
    assert receive(sqs, url) == []
    advance(server, 11)
    (second,) = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"], VisibilityTimeout=100)
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    # The receive's own VisibilityTimeout applies to that receive.
    advance(server, 31)
    assert receive(sqs, url) == []
    advance(server, 70)
    assert [m["Body"] for m in receive(sqs, url)] == ["hidden"]


def test_change_message_visibility(server, sqs, raw_sqs, queue):
    url, _ = queue
    sqs.send_message(QueueUrl=url, MessageBody="cmv")
    (m,) = receive(sqs, url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    (m,) = receive(sqs, url)  # visible again right away
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=300)
    advance(server, 31)  # past the queue's 30 s: the change holds
    assert receive(sqs, url) == []
    advance(server, 270)
    (m2,) = receive(sqs, url, VisibilityTimeout=10)
    # The new timeout counts from the change: 10 s from now, not from the receive.
    advance(server, 8)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=5)
    advance(server, 4)
    assert receive(sqs, url) == []
    advance(server, 2)
    (m3,) = receive(sqs, url, VisibilityTimeout=5)
    fails(raw_sqs.change_message_visibility, "InvalidParameterValue", QueueUrl=url,
          ReceiptHandle=m3["ReceiptHandle"], VisibilityTimeout=43201)
    # Once the timeout has run out the message is no longer in flight.
    advance(server, 6)
    fails(sqs.change_message_visibility, "AWS.SimpleQueueService.MessageNotInflight",
          exception=sqs.exceptions.MessageNotInflight, QueueUrl=url, ReceiptHandle=m3["ReceiptHandle"], VisibilityTimeout=30)
    # A changed timeout is not kept for the next receive: it is the queue's (30 s) again.
    (m4,) = receive(sqs, url)
    assert receive(sqs, url) == []
    advance(server, 31)
    (m5,) = receive(sqs, url)
    assert m5["MessageId"] == m4["MessageId"]
    # "If you attempt to set the VisibilityTimeout to a value greater than the maximum time left, Amazon
    # SQS returns an error": at most 12 hours from the receive.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m5["ReceiptHandle"], VisibilityTimeout=7200)
    advance(server, 3600)
    fails(sqs.change_message_visibility, "InvalidParameterValue", QueueUrl=url,
          ReceiptHandle=m5["ReceiptHandle"], VisibilityTimeout=43200)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m5["ReceiptHandle"], VisibilityTimeout=43200 - 3700)


def test_delete_with_a_stale_receipt_handle_does_not_delete(server, sqs, queue):
    url, _ = queue
    sqs.send_message(QueueUrl=url, MessageBody="stale")
    (old,) = receive(sqs, url, VisibilityTimeout=10)
    advance(server, 11)
    (new,) = receive(sqs, url, VisibilityTimeout=60)
    assert new["MessageId"] == old["MessageId"] and new["ReceiptHandle"] != old["ReceiptHandle"]
    # DeleteMessage API reference: with an old receipt handle "the request will succeed, but the
    # message might not be deleted"; the most recent one must be used.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old["ReceiptHandle"])
    assert counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=new["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)
    advance(server, 61)
    assert receive(sqs, url) == []


def test_invalid_receipt_handle(sqs, queue):
    url, _ = queue
    for handle in ["not-a-receipt-handle", "AAAA"]:
        fails(sqs.delete_message, "ReceiptHandleIsInvalid", status=None, exception=sqs.exceptions.ReceiptHandleIsInvalid,
              QueueUrl=url, ReceiptHandle=handle)
        fails(sqs.change_message_visibility, "ReceiptHandleIsInvalid", status=None,
              exception=sqs.exceptions.ReceiptHandleIsInvalid, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=10)


def test_invalid_receipt_handle_is_a_404(server, sqs, queue):
    # AWS's Smithy model of SQS (aws/api-models-aws, sqs-2012-11-05.json): ReceiptHandleIsInvalid has
    # "smithy.api#httpError": 404 and awsQueryError httpResponseCode 404 (botocore's JSON model drops
    # error traits, and its last query model lacks this shape's).
    url, _ = queue
    fails(sqs.delete_message, "ReceiptHandleIsInvalid", status=404, QueueUrl=url, ReceiptHandle="not-a-handle")
    status, root = query(server, {"Action": "DeleteMessage", "QueueUrl": url, "ReceiptHandle": "not-a-handle"})
    assert (status, root.findtext("Error/Code")) == (404, "ReceiptHandleIsInvalid")


# --- batches ---------------------------------------------------------------------------------

def test_send_message_batch_with_mixed_results(server, sqs, queue):
    url, _ = queue
    attrs = {"n": {"DataType": "Number", "StringValue": "7"}}
    out = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "plain", "MessageBody": "first"},
        {"Id": "with-attrs", "MessageBody": "second", "MessageAttributes": attrs},
        {"Id": "delayed_1", "MessageBody": "third", "DelaySeconds": 60},
        {"Id": "bad", "MessageBody": "bad \x00"},
    ])
    ok = {e["Id"]: e for e in out["Successful"]}
    assert set(ok) == {"plain", "with-attrs", "delayed_1"}
    assert ok["plain"]["MD5OfMessageBody"] == md5("first") and "MD5OfMessageAttributes" not in ok["plain"]
    assert ok["with-attrs"]["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    assert len({e["MessageId"] for e in ok.values()}) == 3
    (failed,) = out["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == ("bad", "InvalidMessageContents", True)
    assert failed.get("Message")
    assert counts(sqs, url) == (2, 0, 1)
    got = {m["Body"]: m for m in receive(sqs, url, MessageAttributeNames=["All"], VisibilityTimeout=300)}
    assert set(got) == {"first", "second"}
    assert got["second"]["MessageId"] == ok["with-attrs"]["MessageId"]
    assert got["second"]["MessageAttributes"] == attrs
    advance(server, 61)
    assert [m["Body"] for m in receive(sqs, url)] == ["third"]


def test_delete_and_change_visibility_batches_with_mixed_results(sqs, queue):
    url, _ = queue
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    msgs = receive(sqs, url, VisibilityTimeout=300)
    assert len(msgs) == 3
    out = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": msgs[0]["ReceiptHandle"]},
        {"Id": "b", "ReceiptHandle": "bogus-handle"},
    ])
    assert [e["Id"] for e in out["Successful"]] == ["a"]
    (failed,) = out["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == ("b", "ReceiptHandleIsInvalid", True)
    assert counts(sqs, url) == (0, 2, 0)

    out = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "c", "ReceiptHandle": msgs[1]["ReceiptHandle"], "VisibilityTimeout": 0},
        {"Id": "d", "ReceiptHandle": "bogus-handle", "VisibilityTimeout": 0},
    ])
    assert [e["Id"] for e in out["Successful"]] == ["c"]
    (failed,) = out["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == ("d", "ReceiptHandleIsInvalid", True)
    assert [m["Body"] for m in receive(sqs, url)] == [msgs[1]["Body"]]


def test_batch_request_errors(raw_sqs, queue):
    url, _ = queue
    sqs = raw_sqs
    send = lambda entries: sqs.send_message_batch(QueueUrl=url, Entries=entries)  # noqa: E731
    delete = lambda entries: sqs.delete_message_batch(QueueUrl=url, Entries=entries)  # noqa: E731
    change = lambda entries: sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)  # noqa: E731
    entry = {
        send: lambda i: {"Id": i, "MessageBody": "b"},
        delete: lambda i: {"Id": i, "ReceiptHandle": "h"},
        change: lambda i: {"Id": i, "ReceiptHandle": "h", "VisibilityTimeout": 1},
    }
    for call, make in entry.items():
        fails(call, "AWS.SimpleQueueService.EmptyBatchRequest", exception=sqs.exceptions.EmptyBatchRequest, entries=[])
        fails(call, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
              exception=sqs.exceptions.TooManyEntriesInBatchRequest, entries=[make(f"e{i}") for i in range(11)])
        fails(call, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
              exception=sqs.exceptions.BatchEntryIdsNotDistinct, entries=[make("same"), make("same")])
        fails(call, "AWS.SimpleQueueService.InvalidBatchEntryId",
              exception=sqs.exceptions.InvalidBatchEntryId, entries=[make("not valid!")])
    # The whole batch's payload is limited to 1 MiB.
    big = [{"Id": f"e{i}", "MessageBody": "x" * 120_000} for i in range(10)]
    fails(send, "AWS.SimpleQueueService.BatchRequestTooLong", exception=sqs.exceptions.BatchRequestTooLong, entries=big)
    assert counts(sqs, url) == (0, 0, 0)


# --- long polling ----------------------------------------------------------------------------

def test_long_poll_returns_as_soon_as_a_message_arrives(server, sqs, queue):
    url, _ = queue
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        waiting = pool.submit(lambda: (receive(server.client("sqs"), url, WaitTimeSeconds=10), time.monotonic()))
        time.sleep(0.2)
        assert not waiting.done()
        sqs.send_message(QueueUrl=url, MessageBody="wake up")
        messages, finished = waiting.result(timeout=15)
    assert [m["Body"] for m in messages] == ["wake up"]
    assert finished - started < 2.0


def test_empty_long_poll_waits_its_time(sqs, raw_sqs, unique):
    url = sqs.create_queue(QueueName=f"poll-{unique}")["QueueUrl"]
    started = time.monotonic()
    assert receive(sqs, url, WaitTimeSeconds=1) == []
    assert 0.9 <= time.monotonic() - started < 2.5
    # The queue's ReceiveMessageWaitTimeSeconds is the default wait.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"ReceiveMessageWaitTimeSeconds": "1"})
    started = time.monotonic()
    assert receive(sqs, url) == []
    assert 0.9 <= time.monotonic() - started < 2.5
    started = time.monotonic()
    assert receive(sqs, url, WaitTimeSeconds=0) == []  # short poll
    assert time.monotonic() - started < 0.8
    fails(raw_sqs.receive_message, "InvalidParameterValue", QueueUrl=url, WaitTimeSeconds=21)
    fails(raw_sqs.receive_message, "InvalidParameterValue", QueueUrl=url, MaxNumberOfMessages=11)
    fails(raw_sqs.receive_message, "InvalidParameterValue", QueueUrl=url, MaxNumberOfMessages=0)


def test_long_poll_is_woken_by_a_clock_move(server, sqs, queue):
    url, _ = queue
    sqs.send_message(QueueUrl=url, MessageBody="after the delay", DelaySeconds=60)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        waiting = pool.submit(lambda: (receive(server.client("sqs"), url, WaitTimeSeconds=10), time.monotonic()))
        time.sleep(0.2)
        advance(server, 61)
        messages, finished = waiting.result(timeout=15)
    assert [m["Body"] for m in messages] == ["after the delay"]
    assert finished - started < 2.0


# --- dead-letter queues and redrive ----------------------------------------------------------

def dlq_pair(sqs, unique, max_receive_count=2):
    dlq_name, src_name = f"dlq-{unique}", f"src-{unique}"
    dlq = sqs.create_queue(QueueName=dlq_name)["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn(dlq_name), "maxReceiveCount": max_receive_count})
    src = sqs.create_queue(QueueName=src_name, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    return src, dlq, src_name, dlq_name


def drive_to_dlq(sqs, src, expected):
    """Receives (VisibilityTimeout 0) until the source is empty; returns the receive counts seen."""
    seen = []
    for _ in range(10):
        got = receive(sqs, src, VisibilityTimeout=0, AttributeNames=["ApproximateReceiveCount"])
        if not got:
            break
        seen += [(m["Body"], int(m["Attributes"]["ApproximateReceiveCount"])) for m in got]
    assert counts(sqs, src) == (0, 0, 0), "everything moved to the dead-letter queue"
    assert {b for b, _ in seen} == set(expected)
    return seen


def test_dead_letter_queue_after_max_receive_count(sqs, unique):
    src, dlq, src_name, _ = dlq_pair(sqs, unique, max_receive_count=2)
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison",
                            MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    seen = drive_to_dlq(sqs, src, ["poison"])
    # Delivered maxReceiveCount times from the source, never more.
    assert [c for _, c in seen] == [1, 2]

    (m,) = receive(sqs, dlq, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"])
    assert (m["Body"], m["MessageId"]) == ("poison", sent["MessageId"])
    assert m["Attributes"]["DeadLetterQueueSourceArn"] == arn(src_name)
    assert m["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}
    assert m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]

    listed = sqs.list_dead_letter_source_queues(QueueUrl=dlq)
    assert listed["queueUrls"] == [src]
    assert sqs.list_dead_letter_source_queues(QueueUrl=src).get("queueUrls", []) == []


def test_message_move_task_redrives_back_to_the_source(sqs, unique):
    src, dlq, src_name, dlq_name = dlq_pair(sqs, unique, max_receive_count=1)
    for i in range(3):
        sqs.send_message(QueueUrl=src, MessageBody=f"m{i}")
    drive_to_dlq(sqs, src, ["m0", "m1", "m2"])
    assert counts(sqs, dlq)[0] == 3

    task = sqs.start_message_move_task(SourceArn=arn(dlq_name))
    assert task["TaskHandle"]

    def completed():
        results = sqs.list_message_move_tasks(SourceArn=arn(dlq_name), MaxResults=10)["Results"]
        return results if results and results[0]["Status"] == "COMPLETED" else None

    results = wait_for(completed)
    assert results, sqs.list_message_move_tasks(SourceArn=arn(dlq_name))
    latest = results[0]
    assert latest["SourceArn"] == arn(dlq_name)
    assert latest["ApproximateNumberOfMessagesMoved"] == 3
    assert latest["ApproximateNumberOfMessagesToMove"] == 3
    assert "StartedTimestamp" in latest
    assert counts(sqs, dlq) == (0, 0, 0)
    assert sorted(m["Body"] for m in receive(sqs, src)) == ["m0", "m1", "m2"]

    fails(sqs.start_message_move_task, "ResourceNotFoundException", status=None,
          exception=sqs.exceptions.ResourceNotFoundException, SourceArn=arn(f"no-such-{unique}"))


# --- purge and retention ---------------------------------------------------------------------

def test_purge_queue_and_the_60_second_rule(server, sqs, queue):
    url, _ = queue
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"p{i}")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=30)
    receive(sqs, url, MaxNumberOfMessages=1)
    assert counts(sqs, url) == (2, 1, 1)
    sqs.purge_queue(QueueUrl=url)
    assert counts(sqs, url) == (0, 0, 0)  # in-flight and delayed ones too
    fails(sqs.purge_queue, "AWS.SimpleQueueService.PurgeQueueInProgress", status=None,
          exception=sqs.exceptions.PurgeQueueInProgress, QueueUrl=url)
    advance(server, 40)
    fails(sqs.purge_queue, "AWS.SimpleQueueService.PurgeQueueInProgress", status=None,
          exception=sqs.exceptions.PurgeQueueInProgress, QueueUrl=url)
    assert receive(sqs, url) == []
    advance(server, 21)
    sqs.send_message(QueueUrl=url, MessageBody="after")
    sqs.purge_queue(QueueUrl=url)
    assert counts(sqs, url) == (0, 0, 0)


def test_purge_queue_in_progress_is_a_403(server, sqs, queue):
    # AWS's Smithy model of SQS: PurgeQueueInProgress has "smithy.api#httpError": 403 (the status of
    # the awsJson1_0 wire) and awsQueryError httpResponseCode 403 (the query wire's).
    url, _ = queue
    sqs.purge_queue(QueueUrl=url)
    status, root = query(server, {"Action": "PurgeQueue", "QueueUrl": url})
    assert (status, root.findtext("Error/Code")) == (403, "AWS.SimpleQueueService.PurgeQueueInProgress")
    fails(sqs.purge_queue, "AWS.SimpleQueueService.PurgeQueueInProgress", status=403, QueueUrl=url)


def test_messages_expire_after_the_retention_period(server, sqs, unique):
    url = sqs.create_queue(QueueName=f"ret-{unique}", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="ephemeral")
    sqs.send_message(QueueUrl=url, MessageBody="in flight")
    receive(sqs, url, MaxNumberOfMessages=1, VisibilityTimeout=600)
    advance(server, 30)
    sqs.send_message(QueueUrl=url, MessageBody="younger")
    assert sum(counts(sqs, url)) == 3
    advance(server, 31)  # the first two are 61 s old, the last 31 s
    assert counts(sqs, url) == (1, 0, 0)
    assert [m["Body"] for m in receive(sqs, url)] == ["younger"]


# --- FIFO queues -----------------------------------------------------------------------------

def test_fifo_queue_attributes_and_name_rules(sqs, unique):
    url = fifo_queue(sqs, f"attrs-{unique}.fifo")
    a = attributes(sqs, url)
    assert (a["FifoQueue"], a["ContentBasedDeduplication"]) == ("true", "false")
    assert (a["DeduplicationScope"], a["FifoThroughputLimit"]) == ("queue", "perQueue")
    assert a["QueueArn"] == arn(f"attrs-{unique}.fifo")
    # A FIFO queue's name must end in .fifo; FifoQueue can only be given at creation.
    fails(sqs.create_queue, "InvalidParameterValue", QueueName=f"nofifo-{unique}", Attributes={"FifoQueue": "true"})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "false"})
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert attributes(sqs, url, "FifoQueue") == {"FifoQueue": "true"}


def test_fifo_order_and_group_locking(sqs, unique):
    url = fifo_queue(sqs, f"order-{unique}.fifo", ContentBasedDeduplication="true")
    for group, bodies in [("g1", ["a1", "a2", "a3"]), ("g2", ["b1", "b2"])]:
        for body in bodies:
            sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    groups = {"a": ["a1", "a2", "a3"], "b": ["b1", "b2"]}

    (head,) = receive(sqs, url, MaxNumberOfMessages=1)
    locked = head["Body"][0]
    assert head["Body"] == groups[locked][0]  # each group's first message first
    other = "b" if locked == "a" else "a"
    # While a message of a group is in flight, no later message of that group is delivered.
    rest = receive(sqs, url)
    assert [m["Body"] for m in rest] == groups[other]
    assert receive(sqs, url) == []
    # Made visible again, the head comes back first: order holds.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=head["ReceiptHandle"], VisibilityTimeout=0)
    (again,) = receive(sqs, url, MaxNumberOfMessages=1)
    assert again["Body"] == head["Body"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    assert [m["Body"] for m in receive(sqs, url)] == groups[locked][1:]


def test_fifo_deduplication_id_within_5_minutes(server, sqs, unique):
    url = fifo_queue(sqs, f"dedup-{unique}.fifo")
    first = sqs.send_message(QueueUrl=url, MessageBody="original", MessageGroupId="g", MessageDeduplicationId="d1")
    dup = sqs.send_message(QueueUrl=url, MessageBody="different body", MessageGroupId="g", MessageDeduplicationId="d1")
    assert dup["MessageId"] == first["MessageId"]  # accepted, not delivered again
    assert counts(sqs, url)[0] == 1
    (m,) = receive(sqs, url, MessageSystemAttributeNames=["MessageDeduplicationId", "MessageGroupId"])
    assert m["Body"] == "original"
    assert m["Attributes"] == {"MessageDeduplicationId": "d1", "MessageGroupId": "g"}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    # The id is remembered after the message is deleted, for the rest of the interval.
    advance(server, 200)
    assert sqs.send_message(QueueUrl=url, MessageBody="again", MessageGroupId="g",
                            MessageDeduplicationId="d1")["MessageId"] == first["MessageId"]
    assert receive(sqs, url) == []
    advance(server, 101)  # past 5 minutes since the first send
    fresh = sqs.send_message(QueueUrl=url, MessageBody="after the window", MessageGroupId="g", MessageDeduplicationId="d1")
    assert fresh["MessageId"] != first["MessageId"]
    assert [m["Body"] for m in receive(sqs, url)] == ["after the window"]
    # Without a deduplication id or content-based deduplication the send is refused.
    fails(sqs.send_message, "InvalidParameterValue", QueueUrl=url, MessageBody="x", MessageGroupId="g")


def test_fifo_receive_request_attempt_id(sqs, unique):
    # ReceiveMessage API reference: "During a visibility timeout, subsequent calls with the same
    # ReceiveRequestAttemptId return the same messages and receipt handles."
    url = fifo_queue(sqs, f"attempt-{unique}.fifo", ContentBasedDeduplication="true")
    for body in ["one", "two"]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    first = receive(sqs, url, ReceiveRequestAttemptId="attempt-1")
    assert [m["Body"] for m in first][:1] == ["one"]
    again = receive(sqs, url, ReceiveRequestAttemptId="attempt-1")
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in again] == [(m["MessageId"], m["ReceiptHandle"]) for m in first]
    assert receive(sqs, url, ReceiveRequestAttemptId="attempt-2") == []  # the group is in flight
    for m in again:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_fifo_content_based_deduplication(sqs, unique):
    url = fifo_queue(sqs, f"cbd-{unique}.fifo", ContentBasedDeduplication="true")
    a = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    c = sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"] != c["MessageId"]
    # An explicit id overrides the generated one (the body's SHA-256); equal to it, it is a duplicate.
    generated = hashlib.sha256(b"same").hexdigest()
    d = sqs.send_message(QueueUrl=url, MessageBody="not same", MessageGroupId="g", MessageDeduplicationId=generated)
    assert d["MessageId"] == a["MessageId"]
    e = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g", MessageDeduplicationId="explicit")
    assert e["MessageId"] not in {a["MessageId"], c["MessageId"]}
    got = receive(sqs, url, MessageSystemAttributeNames=["MessageDeduplicationId"])
    assert [(m["Body"], m["Attributes"]["MessageDeduplicationId"]) for m in got] == [
        ("same", generated), ("other", hashlib.sha256(b"other").hexdigest()), ("same", "explicit")]


def test_fifo_sequence_numbers_and_required_group(sqs, raw_sqs, unique):
    url = fifo_queue(sqs, f"seq-{unique}.fifo", ContentBasedDeduplication="true")
    seqs = [sqs.send_message(QueueUrl=url, MessageBody=f"s{i}", MessageGroupId=f"g{i % 2}")["SequenceNumber"]
            for i in range(4)]
    batch = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": f"b{i}", "MessageBody": f"b{i}", "MessageGroupId": "g0"} for i in range(3)])
    assert batch.get("Failed", []) == []
    seqs += [e["SequenceNumber"] for e in sorted(batch["Successful"], key=lambda e: e["Id"])]
    assert all(s.isdigit() for s in seqs)
    assert [int(s) for s in seqs] == sorted(int(s) for s in seqs) and len(set(seqs)) == len(seqs)
    got = []  # a receive may return only part of a group: delete and go on until the queue is empty
    while batch_got := receive(sqs, url, MessageSystemAttributeNames=["SequenceNumber", "MessageGroupId"]):
        got += batch_got
        for m in batch_got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    by_body = {m["Body"]: m["Attributes"] for m in got}
    assert by_body["s0"] == {"SequenceNumber": seqs[0], "MessageGroupId": "g0"}
    assert by_body["s1"] == {"SequenceNumber": seqs[1], "MessageGroupId": "g1"}
    assert [m["Body"] for m in got if m["Attributes"]["MessageGroupId"] == "g0"] == ["s0", "s2", "b0", "b1", "b2"]

    fails(sqs.send_message, "MissingParameter", QueueUrl=url, MessageBody="no group")
    out = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "nogroup", "MessageBody": "x"}])
    assert [(f["Id"], f["Code"]) for f in out["Failed"]] == [("nogroup", "MissingParameter")]
    # Per-message delays are not for FIFO queues.
    fails(raw_sqs.send_message, "InvalidParameterValue", QueueUrl=url, MessageBody="x", MessageGroupId="g", DelaySeconds=5)


# --- tags and permissions --------------------------------------------------------------------

def test_tags(sqs, unique):
    url = sqs.create_queue(QueueName=f"tags-{unique}", tags={"env": "dev", "team": "a"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev", "team": "a"}
    sqs.tag_queue(QueueUrl=url, Tags={"team": "b", "Cost": "1"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev", "team": "b", "Cost": "1"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "b", "Cost": "1"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "Cost"])
    assert sqs.list_queue_tags(QueueUrl=url).get("Tags", {}) == {}
    plain = sqs.create_queue(QueueName=f"notags-{unique}")["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=plain).get("Tags", {}) == {}
    fails(sqs.list_queue_tags, "AWS.SimpleQueueService.NonExistentQueue", exception=sqs.exceptions.QueueDoesNotExist,
          QueueUrl=plain.replace("notags-", "missing-"))


def test_add_and_remove_permission(sqs, queue):
    url, name = queue

    def statements():
        policy = attributes(sqs, url).get("Policy")
        return {s["Sid"]: s for s in json.loads(policy)["Statement"]} if policy else {}

    def as_set(value):
        return {v.lower() for v in ([value] if isinstance(value, str) else value)}

    sqs.add_permission(QueueUrl=url, Label="send-recv", AWSAccountIds=["111111111111"],
                       Actions=["SendMessage", "ReceiveMessage"])
    policy = json.loads(attributes(sqs, url, "Policy")["Policy"])
    assert policy["Version"] == "2012-10-17"
    s = statements()["send-recv"]
    assert s["Effect"] == "Allow"
    assert as_set(s["Principal"]["AWS"]) == {"arn:aws:iam::111111111111:root"}
    assert as_set(s["Action"]) == {"sqs:sendmessage", "sqs:receivemessage"}
    assert s["Resource"] == arn(name)

    sqs.add_permission(QueueUrl=url, Label="all", AWSAccountIds=["222222222222", "333333333333"], Actions=["*"])
    assert set(statements()) == {"send-recv", "all"}
    assert as_set(statements()["all"]["Principal"]["AWS"]) == {
        "arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"}
    fails(sqs.add_permission, "InvalidParameterValue", QueueUrl=url, Label="all",
          AWSAccountIds=["444444444444"], Actions=["SendMessage"])
    sqs.remove_permission(QueueUrl=url, Label="send-recv")
    assert set(statements()) == {"all"}
    fails(sqs.remove_permission, "InvalidParameterValue", QueueUrl=url, Label="send-recv")


# --- durability ------------------------------------------------------------------------------

def test_messages_and_in_flight_state_survive_kill_9(start_nimbus, data_dir, unique):
    first = start_nimbus(data_dir=data_dir)
    sqs = first.client("sqs")
    url = sqs.create_queue(QueueName=f"durable-{unique}", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"d{i}",
                         MessageAttributes={"i": {"DataType": "Number", "StringValue": str(i)}})
    (in_flight,) = receive(sqs, url, MaxNumberOfMessages=1)
    fifo = fifo_queue(sqs, f"durable-{unique}.fifo")
    sent = sqs.send_message(QueueUrl=fifo, MessageBody="f", MessageGroupId="g", MessageDeduplicationId="once")
    first.kill9()

    again = start_nimbus(data_dir=data_dir)
    sqs = again.client("sqs")
    url = sqs.get_queue_url(QueueName=f"durable-{unique}")["QueueUrl"]
    assert attributes(sqs, url, "VisibilityTimeout")["VisibilityTimeout"] == "60"
    assert counts(sqs, url) == (2, 1, 0)
    rest = receive(sqs, url, MessageAttributeNames=["All"], VisibilityTimeout=600)
    assert sorted(m["Body"] for m in rest) == sorted({"d0", "d1", "d2"} - {in_flight["Body"]})
    assert all(m["MessageAttributes"]["i"]["StringValue"] == m["Body"][1] for m in rest)
    assert receive(sqs, url) == []  # the in-flight one is still invisible
    advance(again, 61)
    (back,) = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert (back["MessageId"], back["Body"]) == (in_flight["MessageId"], in_flight["Body"])
    assert back["Attributes"]["ApproximateReceiveCount"] == "2"
    # FIFO deduplication state is durable too.
    fifo = sqs.get_queue_url(QueueName=f"durable-{unique}.fifo")["QueueUrl"]
    dup = sqs.send_message(QueueUrl=fifo, MessageBody="f", MessageGroupId="g", MessageDeduplicationId="once")
    assert dup["MessageId"] == sent["MessageId"]
    assert counts(sqs, fifo)[0] == 1


# --- AWS CLI ---------------------------------------------------------------------------------

def test_aws_cli_create_send_receive(server, unique):
    name = f"cli-{unique}"
    url = server.aws("sqs", "create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=40")["QueueUrl"]
    assert url.endswith(f"/{ACCOUNT}/{name}")
    sent = server.aws("sqs", "send-message", "--queue-url", url, "--message-body", "from the cli",
                      "--message-attributes", json.dumps({"k": {"DataType": "String", "StringValue": "v"}}))
    assert sent["MD5OfMessageBody"] == md5("from the cli")
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes({"k": {"DataType": "String", "StringValue": "v"}})
    out = server.aws("sqs", "receive-message", "--queue-url", url, "--attribute-names", "All",
                     "--message-attribute-names", "All")
    (m,) = out["Messages"]
    assert (m["MessageId"], m["Body"], m["MD5OfBody"]) == (sent["MessageId"], "from the cli", md5("from the cli"))
    assert m["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    got = server.aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "VisibilityTimeout")
    assert got["Attributes"] == {"VisibilityTimeout": "40"}


# --- query protocol (legacy clients) ---------------------------------------------------------

def query(server, params, path="/"):
    """A signed form-encoded POST in SQS's query protocol: (status, XML root without namespaces)."""
    body = urllib.parse.urlencode({**params, "Version": "2012-11-05"})
    url = server.url + path
    headers = sigv4.sign("POST", url, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body,
                         "test", "test", REGION, "sqs")
    r = requests.post(url, data=body, headers=headers, timeout=30)
    root = ET.fromstring(r.content)
    for el in root.iter():
        el.tag = el.tag.split("}", 1)[-1]
    return r.status_code, root


def test_query_protocol_create_send_receive(server, sqs, unique):
    name = f"query-{unique}"
    status, root = query(server, {"Action": "CreateQueue", "QueueName": name,
                                  "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "40",
                                  "Attribute.2.Name": "DelaySeconds", "Attribute.2.Value": "0"})
    assert status == 200 and root.tag == "CreateQueueResponse"
    url = root.findtext("CreateQueueResult/QueueUrl")
    assert url.endswith(f"/{ACCOUNT}/{name}")
    assert root.findtext("ResponseMetadata/RequestId")
    assert attributes(sqs, url, "VisibilityTimeout")["VisibilityTimeout"] == "40"

    blob = b"\x00\x01binary\xff"
    attrs = {"colour": {"DataType": "String", "StringValue": "red"},
             "blob": {"DataType": "Binary", "BinaryValue": blob}}
    status, root = query(server, {
        "Action": "SendMessage", "QueueUrl": url, "MessageBody": "hello & <query>",
        "MessageAttribute.1.Name": "colour", "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.1.Value.StringValue": "red",
        "MessageAttribute.2.Name": "blob", "MessageAttribute.2.Value.DataType": "Binary",
        "MessageAttribute.2.Value.BinaryValue": base64.b64encode(blob).decode(),
    })
    assert status == 200 and root.tag == "SendMessageResponse"
    result = root.find("SendMessageResult")
    assert result.findtext("MD5OfMessageBody") == md5("hello & <query>")
    assert result.findtext("MD5OfMessageAttributes") == md5_of_attributes(attrs)
    message_id = result.findtext("MessageId")
    assert message_id and root.findtext("ResponseMetadata/RequestId")

    status, root = query(server, {"Action": "ReceiveMessage", "QueueUrl": url, "AttributeName.1": "All",
                                  "MessageAttributeName.1": "All", "MaxNumberOfMessages": "5"})
    assert status == 200 and root.tag == "ReceiveMessageResponse"
    (m,) = root.findall("ReceiveMessageResult/Message")
    assert (m.findtext("MessageId"), m.findtext("Body")) == (message_id, "hello & <query>")
    assert m.findtext("MD5OfBody") == md5("hello & <query>")
    assert m.findtext("MD5OfMessageAttributes") == md5_of_attributes(attrs)
    system = {a.findtext("Name"): a.findtext("Value") for a in m.findall("Attribute")}
    assert system["ApproximateReceiveCount"] == "1" and system["SentTimestamp"].isdigit()
    assert system["SenderId"] == ACCOUNT
    got = {a.findtext("Name"): a.find("Value") for a in m.findall("MessageAttribute")}
    assert set(got) == {"colour", "blob"}
    assert (got["colour"].findtext("StringValue"), got["colour"].findtext("DataType")) == ("red", "String")
    assert base64.b64decode(got["blob"].findtext("BinaryValue")) == blob
    assert got["blob"].findtext("DataType") == "Binary"
    assert root.findtext("ResponseMetadata/RequestId")
    handle = m.findtext("ReceiptHandle")

    status, root = query(server, {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "All"})
    queue_attrs = {a.findtext("Name"): a.findtext("Value") for a in root.findall("GetQueueAttributesResult/Attribute")}
    assert queue_attrs["VisibilityTimeout"] == "40" and queue_attrs["ApproximateNumberOfMessagesNotVisible"] == "1"

    status, root = query(server, {"Action": "DeleteMessage", "QueueUrl": url, "ReceiptHandle": handle})
    assert status == 200 and root.tag == "DeleteMessageResponse" and root.findtext("ResponseMetadata/RequestId")
    assert counts(sqs, url) == (0, 0, 0)

    status, root = query(server, {"Action": "ListQueues", "QueueNamePrefix": name})
    assert [u.text for u in root.findall("ListQueuesResult/QueueUrl")] == [url]


def test_query_protocol_batch(server, sqs, queue):
    url, _ = queue
    status, root = query(server, {
        "Action": "SendMessageBatch", "QueueUrl": url,
        "SendMessageBatchRequestEntry.1.Id": "one", "SendMessageBatchRequestEntry.1.MessageBody": "first",
        "SendMessageBatchRequestEntry.2.Id": "two", "SendMessageBatchRequestEntry.2.MessageBody": "second",
        "SendMessageBatchRequestEntry.2.DelaySeconds": "0",
        "SendMessageBatchRequestEntry.3.Id": "bad", "SendMessageBatchRequestEntry.3.MessageBody": "\x01",
    })
    assert status == 200 and root.tag == "SendMessageBatchResponse"
    entries = root.findall("SendMessageBatchResult/SendMessageBatchResultEntry")
    assert {e.findtext("Id"): e.findtext("MD5OfMessageBody") for e in entries} == {"one": md5("first"), "two": md5("second")}
    (failed,) = root.findall("SendMessageBatchResult/BatchResultErrorEntry")
    assert (failed.findtext("Id"), failed.findtext("Code"), failed.findtext("SenderFault")) == \
        ("bad", "InvalidMessageContents", "true")
    assert counts(sqs, url)[0] == 2


def test_query_protocol_error_response(server, unique):
    status, root = query(server, {"Action": "GetQueueUrl", "QueueName": f"missing-{unique}"})
    assert status == 400 and root.tag == "ErrorResponse"
    assert root.findtext("Error/Type") == "Sender"
    assert root.findtext("Error/Code") == "AWS.SimpleQueueService.NonExistentQueue"
    assert "does not exist" in root.findtext("Error/Message")
    assert root.findtext("RequestId")
    # A modeled error with its own query code (QueueNameExists is QueueAlreadyExists), and another.
    name = f"qerr-{unique}"
    query(server, {"Action": "CreateQueue", "QueueName": name, "Attribute.1.Name": "DelaySeconds", "Attribute.1.Value": "1"})
    status, root = query(server, {"Action": "CreateQueue", "QueueName": name,
                                  "Attribute.1.Name": "DelaySeconds", "Attribute.1.Value": "2"})
    assert (status, root.findtext("Error/Code"), root.findtext("Error/Type")) == (400, "QueueAlreadyExists", "Sender")
    status, root = query(server, {"Action": "CreateQueue", "QueueName": f"bad-{unique}",
                                  "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "99999"})
    assert (status, root.findtext("Error/Code"), root.findtext("Error/Type")) == (400, "InvalidAttributeValue", "Sender")


def test_query_protocol_post_to_the_queue_url(server, sqs, queue):
    url, name = queue
    status, root = query(server, {"Action": "SendMessage", "MessageBody": "posted to the queue's path"},
                         path=f"/{ACCOUNT}/{name}")
    assert status == 200 and root.tag == "SendMessageResponse"
    assert root.findtext("SendMessageResult/MD5OfMessageBody") == md5("posted to the queue's path")
    status, root = query(server, {"Action": "GetQueueAttributes", "AttributeName.1": "QueueArn"},
                         path=f"/{ACCOUNT}/{name}/")
    assert status == 200
    assert root.findtext("GetQueueAttributesResult/Attribute/Value") == arn(name)
    assert [m["Body"] for m in receive(sqs, url)] == ["posted to the queue's path"]
