"""SNS end to end: boto3 (awsQuery) and the AWS CLI against one Nimbus. Topics, attributes, tags and
data protection policies; subscriptions and their attributes; fan-out to SQS queues (the JSON
envelope and its signature, raw delivery, per-protocol messages, filter policies on attributes and
on the body); HTTP and HTTPS endpoints (the confirmation handshake, notifications, retries, TLS
certificate verification); email to the
local mailbox; FIFO topics; PublishBatch; and durability of accepted publishes across `kill -9`.

The expected behaviour is AWS's, from the SNS API reference and developer guide ("Parsing message
formats", "Verifying the signatures of Amazon SNS messages", "Amazon SNS raw message delivery",
"Amazon SNS subscription filter policies", "Amazon SNS message delivery retries", "FIFO topics").
Nimbus signs with SignatureVersion 2 (SHA256withRSA) and serves the certificate at the message's
SigningCertURL; the tests verify every signature they receive against it. HTTP retry delays run on
Nimbus's clock, which the tests move instead of sleeping, so the module runs its own Nimbus."""
import base64
import datetime
import http.server
import json
import queue as queue_mod
import re
import threading
import time
import urllib.parse

import botocore.exceptions
import pytest
import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from conftest import wait_for


ACCOUNT = "000000000000"
REGION = "us-east-1"


# --- fixtures and helpers --------------------------------------------------------------------

@pytest.fixture(scope="module")
def sns(server):
    return server.client("sns")


@pytest.fixture(scope="module")
def raw_sns(server):
    """A client that skips botocore's own parameter checks, so Nimbus's checks are exercised."""
    return server.client("sns", parameter_validation=False)


@pytest.fixture(scope="module")
def sqs(server):
    return server.client("sqs")


@pytest.fixture
def topic(sns, unique):
    return sns.create_topic(Name=f"t-{unique}")["TopicArn"]


def topic_arn(name):
    return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"


def advance(server, seconds):
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": seconds})


def clock_ms(server):
    now = server.admin("GET", "/_nimbus/clock")["now"]
    return int(datetime.datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp() * 1000)


def fails(call, code, *, status=400, **kwargs):
    """Calls `call(**kwargs)`, which must fail with `code` and `status`; returns the message."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kwargs)
    err = e.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), err["Error"]
    return err["Error"].get("Message", "")


def subscribed_queue(sqs, sns, topic, name, *, fifo=False, **sub_attrs):
    """A queue whose policy lets the topic send to it (as AWS requires), subscribed to the topic:
    (queue url, subscription ARN)."""
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]}
    attrs = {"Policy": json.dumps(policy), **({"FifoQueue": "true"} if fifo else {})}
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True,
                        Attributes={k: v if isinstance(v, str) else json.dumps(v) for k, v in sub_attrs.items()})
    return url, sub["SubscriptionArn"]


def take(sqs, url, count, timeout=10.0):
    """Receives (and deletes) messages until `count` have arrived or `timeout` passes."""
    got, deadline = [], time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    MessageAttributeNames=["All"], AttributeNames=["All"]).get("Messages", [])
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        got += batch
    return got


def leftovers(sqs, url):
    """What else is in the queue right now (no waiting)."""
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])


def nothing_more(sqs, url):
    return leftovers(sqs, url) == []


_certs = {}


def string_to_sign(doc):
    """AWS's string to sign ("Verifying the signature of an Amazon SNS message"): for a Notification,
    Message, MessageId, Subject (if present), Timestamp, TopicArn, Type; for (Un)SubscriptionConfirmation,
    Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type; each as `name\\nvalue\\n`."""
    if doc["Type"] == "Notification":
        fields = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        fields = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{k}\n{doc[k]}\n" for k in fields if k in doc).encode()


def verify_signature(doc):
    """Checks the message's signature with the certificate at its SigningCertURL (SignatureVersion 2:
    SHA256withRSA, PKCS#1 v1.5), and that a tampered copy does not verify."""
    assert doc["SignatureVersion"] == "2"
    url = doc["SigningCertURL"]
    if url not in _certs:
        r = requests.get(url, timeout=10)
        assert r.status_code == 200, (url, r.status_code)
        _certs[url] = x509.load_pem_x509_certificate(r.content).public_key()
    key, signature = _certs[url], base64.b64decode(doc["Signature"])
    key.verify(signature, string_to_sign(doc), padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        key.verify(signature, string_to_sign({**doc, "Message": doc["Message"] + "!"}), padding.PKCS1v15(), hashes.SHA256())


class Endpoint:
    """A tiny HTTP server on 127.0.0.1 that records SNS's POSTs; `statuses` are the answers to give
    to notifications, in order (then 200)."""

    def __init__(self, statuses=(), tls=None):
        self.requests = queue_mod.Queue()
        self.statuses = list(statuses)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = 200
                if headers.get("x-amz-sns-message-type") == "Notification" and outer.statuses:
                    status = outer.statuses.pop(0)
                outer.requests.put((self.path, headers, body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls is not None:  # an ssl.SSLContext: serve HTTPS on the same port
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def next(self, timeout=10.0):
        """(path, headers, parsed body, status answered) of the next POST."""
        path, headers, body, status = self.requests.get(timeout=timeout)
        return path, headers, json.loads(body), status

    def idle(self, seconds):
        try:
            self.requests.get(timeout=seconds)
            return False
        except queue_mod.Empty:
            return True

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def endpoint():
    made = []

    def make(statuses=(), tls=None):
        made.append(Endpoint(statuses, tls))
        return made[-1]

    yield make
    for e in made:
        e.close()


def mailbox(server, address):
    q = urllib.parse.urlencode({"address": address})
    return server.admin("GET", f"/_nimbus/sns/mailbox?{q}")["messages"]


TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def parse_timestamp_ms(text):
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


# --- topics ----------------------------------------------------------------------------------

def test_create_topic_is_idempotent_and_refuses_different_attributes(sns, unique):
    name = f"idem-{unique}"
    arn = sns.create_topic(Name=name, Attributes={"DisplayName": "first"})["TopicArn"]
    assert arn == topic_arn(name)
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "first"})["TopicArn"] == arn
    assert sns.create_topic(Name=name)["TopicArn"] == arn  # no attributes asked for: the same topic
    message = fails(sns.create_topic, "InvalidParameter", Name=name, Attributes={"DisplayName": "second"})
    assert "attributes" in message.lower()
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "first"


def test_topic_name_rules(sns, raw_sns, unique):
    # CreateTopic: "Topic names must be made up of only uppercase and lowercase ASCII letters, numbers,
    # underscores, and hyphens, and must be between 1 and 256 characters long."
    ok = f"Ok_-{unique}".ljust(256, "x")
    assert sns.create_topic(Name=ok)["TopicArn"] == topic_arn(ok)
    for bad in ["", "has space", "dot.name", "colon:name", "slash/name", "é" + unique, "x" * 257]:
        fails(raw_sns.create_topic, "InvalidParameter", Name=bad)
    # FIFO topics: the name must end in .fifo and FifoTopic must be true, both or neither.
    fifo = f"f-{unique}.fifo"
    assert sns.create_topic(Name=fifo, Attributes={"FifoTopic": "true"})["TopicArn"] == topic_arn(fifo)
    fails(sns.create_topic, "InvalidParameter", Name=f"g-{unique}.fifo")
    fails(sns.create_topic, "InvalidParameter", Name=f"g-{unique}", Attributes={"FifoTopic": "true"})
    # FIFO-only attributes belong to FIFO topics.
    fails(sns.create_topic, "InvalidParameter", Name=f"h-{unique}", Attributes={"ContentBasedDeduplication": "true"})


def test_topic_attributes(sns, sqs, topic, unique):
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attrs["TopicArn"] == topic
    assert attrs["Owner"] == ACCOUNT
    assert (attrs["SubscriptionsConfirmed"], attrs["SubscriptionsPending"]) == ("0", "0")
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"] and all(s["Resource"] == topic for s in policy["Statement"])
    assert "SNS:Publish" in policy["Statement"][0]["Action"]
    assert "http" in json.loads(attrs["EffectiveDeliveryPolicy"])

    subscribed_queue(sqs, sns, topic, f"attrs-{unique}")
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=f"someone-{unique}@example.com")
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attrs["SubscriptionsConfirmed"], attrs["SubscriptionsPending"]) == ("1", "1")

    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="My Topic")
    delivery = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 10, "numRetries": 4}}}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(delivery))
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attrs["DisplayName"] == "My Topic"
    assert json.loads(attrs["DeliveryPolicy"]) == delivery
    fails(sns.set_topic_attributes, "InvalidParameter", TopicArn=topic, AttributeName="NoSuchAttribute", AttributeValue="x")
    fails(sns.set_topic_attributes, "InvalidParameter", TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue="{not json")


def test_list_and_delete_topics(sns, sqs, unique):
    arns = {sns.create_topic(Name=f"lst-{unique}-{i}")["TopicArn"] for i in range(3)}

    def listed():
        out, token = [], None
        while True:
            page = sns.list_topics(**({"NextToken": token} if token else {}))
            out += [t["TopicArn"] for t in page["Topics"]]
            token = page.get("NextToken")
            if not token:
                return out

    assert arns <= set(listed())
    # ListTopics API reference: up to 100 topics per call, then a NextToken.
    many = {sns.create_topic(Name=f"page-{unique}-{i:03}")["TopicArn"] for i in range(101)}
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and first["NextToken"]
    everything = listed()
    assert len(everything) == len(set(everything)) and many <= set(everything)
    victim = sorted(arns)[0]
    _, sub = subscribed_queue(sqs, sns, victim, f"del-{unique}")
    sns.delete_topic(TopicArn=victim)
    assert victim not in listed() and (arns - {victim}) <= set(listed())
    # Its subscriptions go with it.
    assert sub not in [s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]]
    fails(sns.get_subscription_attributes, "NotFound", status=404, SubscriptionArn=sub)
    # DeleteTopic is idempotent (API reference); the missing topic is NotFound elsewhere.
    sns.delete_topic(TopicArn=victim)
    for call, kwargs in [(sns.get_topic_attributes, {}), (sns.publish, {"Message": "x"}),
                         (sns.subscribe, {"Protocol": "sqs", "Endpoint": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"}),
                         (sns.list_subscriptions_by_topic, {}),
                         (sns.set_topic_attributes, {"AttributeName": "DisplayName", "AttributeValue": "x"})]:
        fails(call, "NotFound", status=404, TopicArn=victim, **kwargs)


def test_tags(sns, topic, unique):
    tagged = sns.create_topic(Name=f"tagged-{unique}", Tags=[{"Key": "env", "Value": "dev"}])["TopicArn"]
    assert sns.list_tags_for_resource(ResourceArn=tagged)["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == []
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "team", "Value": "a"}, {"Key": "cost", "Value": "1"}])
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "team", "Value": "b"}])
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=topic)["Tags"]}
    assert tags == {"team": "b", "cost": "1"}
    sns.untag_resource(ResourceArn=topic, TagKeys=["cost", "absent"])
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "team", "Value": "b"}]
    missing = topic_arn(f"missing-{unique}")
    fails(sns.list_tags_for_resource, "ResourceNotFound", status=404, ResourceArn=missing)
    fails(sns.tag_resource, "ResourceNotFound", status=404, ResourceArn=missing, Tags=[{"Key": "k", "Value": "v"}])
    # At most 50 tags per resource.
    fails(sns.tag_resource, "TagLimitExceeded", ResourceArn=topic,
          Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])


def test_data_protection_policy(sns, topic, unique):
    assert sns.get_data_protection_policy(ResourceArn=topic).get("DataProtectionPolicy", "") == ""
    policy = {
        "Name": "basicPII", "Description": "Protect email addresses", "Version": "2021-06-01",
        "Statement": [{"Sid": "deny-inbound-email", "DataDirection": "Inbound", "Principal": ["*"],
                       "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
                       "Operation": {"Deny": {}}}],
    }
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=json.dumps(policy))
    assert json.loads(sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"]) == policy
    fails(sns.put_data_protection_policy, "InvalidParameter", ResourceArn=topic, DataProtectionPolicy="not json")
    fails(sns.get_data_protection_policy, "NotFound", status=404, ResourceArn=topic_arn(f"missing-{unique}"))


# --- subscriptions ---------------------------------------------------------------------------

def test_sqs_subscription_lifecycle(sns, sqs, topic, unique):
    url, sub = subscribed_queue(sqs, sns, topic, f"sub-{unique}")
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:sub-{unique}"
    assert sub.startswith(topic + ":")
    # An SQS subscription needs no confirmation: Subscribe answers with its ARN.
    again = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    assert again == sub  # the same endpoint again: the same subscription

    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert {k: attrs[k] for k in ["SubscriptionArn", "TopicArn", "Protocol", "Endpoint", "Owner",
                                  "PendingConfirmation", "ConfirmationWasAuthenticated", "RawMessageDelivery"]} == {
        "SubscriptionArn": sub, "TopicArn": topic, "Protocol": "sqs", "Endpoint": queue_arn, "Owner": ACCOUNT,
        "PendingConfirmation": "false", "ConfirmationWasAuthenticated": "true", "RawMessageDelivery": "false"}

    entry = {"SubscriptionArn": sub, "Owner": ACCOUNT, "Protocol": "sqs", "Endpoint": queue_arn, "TopicArn": topic}
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == [entry]
    assert entry in sns.list_subscriptions()["Subscriptions"]

    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    policy = {"kind": ["book"]}
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps(policy))
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"
    assert json.loads(attrs["FilterPolicy"]) == policy
    assert attrs["FilterPolicyScope"] == "MessageAttributes"  # the default scope
    # Nested policies are for the message body only.
    nested = json.dumps({"order": {"kind": ["book"]}})
    fails(sns.set_subscription_attributes, "InvalidParameter", SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=nested)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody")
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["FilterPolicyScope"] == "MessageBody"
    for name, value in [("FilterPolicyScope", "Elsewhere"), ("RawMessageDelivery", "maybe"),
                        ("FilterPolicy", "{not json"), ("FilterPolicy", json.dumps({"a": "not a list"})),
                        ("NoSuchAttribute", "x")]:
        fails(sns.set_subscription_attributes, "InvalidParameter", SubscriptionArn=sub, AttributeName=name, AttributeValue=value)
    # Different attributes for an existing subscription are refused.
    fails(sns.subscribe, "InvalidParameter", TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
          Attributes={"RawMessageDelivery": "false"})

    sns.unsubscribe(SubscriptionArn=sub)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    fails(sns.get_subscription_attributes, "NotFound", status=404, SubscriptionArn=sub)
    sns.publish(TopicArn=topic, Message="after unsubscribe")
    time.sleep(0.3)
    assert nothing_more(sqs, url)


def test_unconfirmed_subscriptions_are_listed_as_pending_confirmation(sns, topic, unique):
    # Subscribe answers "pending confirmation"; ListSubscriptions(ByTopic) show such a subscription's
    # SubscriptionArn as "PendingConfirmation" (AWS CLI list-subscriptions-by-topic output).
    address = f"pending-{unique}@example.com"
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)["SubscriptionArn"] == "pending confirmation"
    entry = {"SubscriptionArn": "PendingConfirmation", "Owner": ACCOUNT, "Protocol": "email", "Endpoint": address, "TopicArn": topic}
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == [entry]
    assert entry in sns.list_subscriptions()["Subscriptions"]


def test_subscribe_refuses_bad_protocols_and_endpoints(sns, topic, unique):
    for protocol, endpoint in [("carrier-pigeon", "coo"), ("sqs", "not-an-arn"), ("sqs", f"arn:aws:sns:{REGION}:{ACCOUNT}:t"),
                               ("http", "https://example.com/"), ("http", "ftp://example.com/"),
                               ("https", "http://example.com/"), ("email", "no-at-sign"), ("lambda", "function-name")]:
        fails(sns.subscribe, "InvalidParameter", TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
    # Raw delivery is for SQS, HTTP/S and Firehose only.
    fails(sns.subscribe, "InvalidParameter", TopicArn=topic, Protocol="email", Endpoint=f"a-{unique}@example.com",
          Attributes={"RawMessageDelivery": "true"})
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


# --- fan-out to SQS --------------------------------------------------------------------------

def test_sqs_receives_the_signed_json_envelope(server, sns, sqs, topic, unique):
    url, sub = subscribed_queue(sqs, sns, topic, f"env-{unique}")
    before = clock_ms(server)
    out = sns.publish(TopicArn=topic, Message="hello\nworld", Subject="Greetings", MessageAttributes={
        "colour": {"DataType": "String", "StringValue": "red"},
        "count": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01bin"}})
    after = clock_ms(server)
    (m,) = take(sqs, url, 1)
    doc = json.loads(m["Body"])
    assert doc["Type"] == "Notification"
    assert doc["MessageId"] == out["MessageId"]
    assert (doc["TopicArn"], doc["Subject"], doc["Message"]) == (topic, "Greetings", "hello\nworld")
    assert TIMESTAMP.match(doc["Timestamp"]), doc["Timestamp"]
    assert before - 1000 <= parse_timestamp_ms(doc["Timestamp"]) <= after + 1000
    assert doc["MessageAttributes"] == {
        "colour": {"Type": "String", "Value": "red"},
        "count": {"Type": "Number", "Value": "42"},
        "blob": {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01bin").decode()}}
    # Not raw: the SNS attributes are in the envelope, not SQS message attributes.
    assert m.get("MessageAttributes", {}) == {}
    verify_signature(doc)
    unsubscribe = urllib.parse.urlparse(doc["UnsubscribeURL"])
    assert urllib.parse.parse_qs(unsubscribe.query) == {"Action": ["Unsubscribe"], "SubscriptionArn": [sub]}

    # Without a Subject, the field is absent, and the signature still verifies.
    out = sns.publish(TopicArn=topic, Message="no subject")
    (m,) = take(sqs, url, 1)
    doc = json.loads(m["Body"])
    assert "Subject" not in doc and "MessageAttributes" not in doc
    assert (doc["MessageId"], doc["Message"]) == (out["MessageId"], "no subject")
    verify_signature(doc)

    # Visiting the UnsubscribeURL (unsigned, as a browser would) ends the subscription.
    assert requests.get(doc["UnsubscribeURL"], timeout=10).status_code == 200
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_raw_delivery_to_sqs(sns, sqs, topic, unique):
    url, _ = subscribed_queue(sqs, sns, topic, f"raw-{unique}", RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message='{"not": "wrapped"}', Subject="ignored", MessageAttributes={
        "colour": {"DataType": "String", "StringValue": "red"},
        "count": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01bin"}})
    (m,) = take(sqs, url, 1)
    assert m["Body"] == '{"not": "wrapped"}'
    assert m["MessageAttributes"] == {
        "colour": {"DataType": "String", "StringValue": "red"},
        "count": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01bin"}}


def test_message_structure_json_picks_the_sqs_entry(sns, sqs, topic, unique):
    url, _ = subscribed_queue(sqs, sns, topic, f"struct-{unique}")
    raw_url, _ = subscribed_queue(sqs, sns, topic, f"struct-raw-{unique}", RawMessageDelivery="true")
    sns.publish(TopicArn=topic, MessageStructure="json",
                Message=json.dumps({"default": "for everyone", "sqs": "for queues", "email": "for mail"}))
    (m,) = take(sqs, url, 1)
    assert json.loads(m["Body"])["Message"] == "for queues"
    assert [m["Body"] for m in take(sqs, raw_url, 1)] == ["for queues"]
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "the default", "http": "h"}))
    (m,) = take(sqs, url, 1)
    assert json.loads(m["Body"])["Message"] == "the default"
    assert [m["Body"] for m in take(sqs, raw_url, 1)] == ["the default"]
    # Publish API reference: with MessageStructure=json the message must be JSON with a "default" key.
    fails(sns.publish, "InvalidParameter", TopicArn=topic, MessageStructure="json", Message=json.dumps({"sqs": "x"}))
    fails(sns.publish, "InvalidParameter", TopicArn=topic, MessageStructure="json", Message="not json")


def test_two_queues_both_receive(sns, sqs, topic, unique):
    a, _ = subscribed_queue(sqs, sns, topic, f"fan-a-{unique}")
    b, _ = subscribed_queue(sqs, sns, topic, f"fan-b-{unique}")
    ids = [sns.publish(TopicArn=topic, Message=f"m{i}")["MessageId"] for i in range(3)]
    for url in (a, b):
        got = take(sqs, url, 3)
        assert sorted(json.loads(m["Body"])["MessageId"] for m in got) == sorted(ids)
        assert sorted(json.loads(m["Body"])["Message"] for m in got) == ["m0", "m1", "m2"]


def test_publish_validation(sns, sqs, topic, unique):
    # Publish API reference: a non-empty message of at most 256 KiB (with its attributes); a Subject of
    # ASCII text without line breaks or control characters, under 100 characters; attribute types
    # String, Number and Binary (with optional custom suffixes), Numbers that parse.
    url, _ = subscribed_queue(sqs, sns, topic, f"valid-{unique}")
    for kwargs in [{"Message": ""}, {"Message": "x" * (256 * 1024 + 1)}, {"Message": "x", "Subject": ""},
                   {"Message": "x", "Subject": "two\nlines"}, {"Message": "x", "Subject": "s" * 101}]:
        fails(sns.publish, "InvalidParameter", TopicArn=topic, **kwargs)
    for attr in [{"DataType": "Colour", "StringValue": "blue"}, {"DataType": "Number", "StringValue": "twelve"},
                 {"DataType": "String", "StringValue": ""}]:
        fails(sns.publish, "ParameterValueInvalid", TopicArn=topic, Message="x", MessageAttributes={"a": attr})
    fails(sns.publish, "InvalidParameter", Message="no target")
    # A message of exactly 256 KiB and custom attribute types are fine.
    big = sns.publish(TopicArn=topic, Message="x" * (256 * 1024))["MessageId"]
    sns.publish(TopicArn=topic, Message="typed", MessageAttributes={"n": {"DataType": "Number.int", "StringValue": "7"}})
    got = [json.loads(m["Body"]) for m in take(sqs, url, 2)]
    assert sorted(len(d["Message"]) for d in got) == [5, 256 * 1024]
    assert big in [d["MessageId"] for d in got]
    assert [d["MessageAttributes"] for d in got if d["Message"] == "typed"] == [{"n": {"Type": "Number.int", "Value": "7"}}]
    time.sleep(0.3)
    assert nothing_more(sqs, url)  # none of the refused publishes was delivered


def test_filter_policies_on_message_attributes(sns, sqs, topic, unique):
    policies = {
        "exact": {"colour": ["red"]},
        "prefix": {"colour": [{"prefix": "bl"}]},
        "anything_but": {"colour": [{"anything-but": ["red", "blue"]}]},
        "numeric": {"price": [{"numeric": [">=", 10, "<", 20]}]},
        "exists": {"store": [{"exists": True}]},
        "absent": {"store": [{"exists": False}]},
        "and": {"colour": ["blue", "green"], "price": [{"numeric": [">", 12]}]},
    }
    queues = {name: subscribed_queue(sqs, sns, topic, f"fp-{name.replace('_', '-')}-{unique}", FilterPolicy=p)[0]
              for name, p in policies.items()}
    control, _ = subscribed_queue(sqs, sns, topic, f"fp-control-{unique}")

    def attrs(colour=None, price=None, store=None):
        out = {}
        if colour:
            out["colour"] = {"DataType": "String", "StringValue": colour}
        if price is not None:
            out["price"] = {"DataType": "Number", "StringValue": str(price)}
        if store:
            out["store"] = {"DataType": "String", "StringValue": store}
        return out

    messages = {"m1": attrs("red", 5), "m2": attrs("blue", 15, "x"), "m3": attrs("black", 25),
                "m4": attrs("green", 10, "y"), "m5": {}}
    for body, a in messages.items():
        sns.publish(TopicArn=topic, Message=body, **({"MessageAttributes": a} if a else {}))
    assert sorted(json.loads(m["Body"])["Message"] for m in take(sqs, control, 5)) == sorted(messages)

    expected = {"exact": {"m1"}, "prefix": {"m2", "m3"}, "anything_but": {"m3", "m4"},
                "numeric": {"m2", "m4"}, "exists": {"m2", "m4"}, "absent": {"m1", "m3", "m5"}, "and": {"m2"}}
    got = {name: {json.loads(m["Body"])["Message"] for m in take(sqs, url, len(expected[name]))}
           for name, url in queues.items()}
    time.sleep(0.3)
    got = {name: bodies | {json.loads(m["Body"])["Message"] for m in leftovers(sqs, queues[name])}
           for name, bodies in got.items()}
    assert got == expected


def test_filter_policy_on_the_message_body(sns, sqs, topic, unique):
    policy = {"order": {"status": ["paid"], "total": [{"numeric": [">", 100]}]}}
    url, _ = subscribed_queue(sqs, sns, topic, f"body-{unique}", FilterPolicy=policy, FilterPolicyScope="MessageBody")
    control, _ = subscribed_queue(sqs, sns, topic, f"body-control-{unique}")
    bodies = [
        {"order": {"status": "paid", "total": 150}, "id": "match"},
        {"order": {"status": "paid", "total": 50}, "id": "too-small"},
        {"order": {"status": "open", "total": 500}, "id": "not-paid"},
        {"status": "paid", "total": 150, "id": "not-nested"},
    ]
    for b in bodies:
        # Attribute filters do not apply in body scope: this attribute alone would not match.
        sns.publish(TopicArn=topic, Message=json.dumps(b), MessageAttributes={"status": {"DataType": "String", "StringValue": "x"}})
    sns.publish(TopicArn=topic, Message="not json at all")
    assert len(take(sqs, control, 5)) == 5
    got = take(sqs, url, 1)
    time.sleep(0.3)
    got += leftovers(sqs, url)
    assert [json.loads(json.loads(m["Body"])["Message"])["id"] for m in got] == ["match"]


# --- HTTP endpoints --------------------------------------------------------------------------

def test_http_subscription_confirmation_and_notification(server, sns, topic, endpoint):
    hook = endpoint()
    out = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)
    assert out["SubscriptionArn"] == "pending confirmation"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"] == "1"
    (listed,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert (listed["Protocol"], listed["Endpoint"]) == ("http", hook.url)

    path, headers, doc, _ = hook.next()
    assert path == "/hook"
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert headers["content-type"].startswith("text/plain")
    assert doc["Type"] == "SubscriptionConfirmation" and doc["TopicArn"] == topic
    assert doc["Token"] and TIMESTAMP.match(doc["Timestamp"])
    verify_signature(doc)
    subscribe_url = urllib.parse.urlparse(doc["SubscribeURL"])
    assert f"{subscribe_url.scheme}://{subscribe_url.netloc}" == server.url
    assert urllib.parse.parse_qs(subscribe_url.query) == {
        "Action": ["ConfirmSubscription"], "TopicArn": [topic], "Token": [doc["Token"]]}

    # Visiting the SubscribeURL (unsigned) confirms; the answer is ConfirmSubscription's XML.
    r = requests.get(doc["SubscribeURL"], timeout=10)
    assert r.status_code == 200, r.text
    arn = re.search(r"<SubscriptionArn>([^<]+)</SubscriptionArn>", r.text).group(1)
    assert arn.startswith(topic + ":")
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert (attrs["PendingConfirmation"], attrs["Protocol"], attrs["Endpoint"]) == ("false", "http", hook.url)
    counts = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (counts["SubscriptionsConfirmed"], counts["SubscriptionsPending"]) == ("1", "0")

    out = sns.publish(TopicArn=topic, Message="to the endpoint", Subject="Hi")
    _, headers, doc, _ = hook.next()
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == out["MessageId"]
    assert headers["x-amz-sns-topic-arn"] == topic
    assert headers["x-amz-sns-subscription-arn"] == arn
    assert (doc["Type"], doc["MessageId"], doc["Message"], doc["Subject"]) == ("Notification", out["MessageId"], "to the endpoint", "Hi")
    verify_signature(doc)


def test_http_confirm_with_token_and_retry_after_a_5xx(server, sns, topic, endpoint):
    hook = endpoint(statuses=[500])
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)["SubscriptionArn"] == "pending confirmation"
    _, _, confirmation, _ = hook.next()
    # Nothing is sent to an unconfirmed endpoint.
    sns.publish(TopicArn=topic, Message="too early")
    assert hook.idle(0.5)
    fails(sns.confirm_subscription, "InvalidParameter", TopicArn=topic, Token="not-the-token")
    arn = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
    assert arn.startswith(topic + ":")

    out = sns.publish(TopicArn=topic, Message="retry me")
    _, headers, first, status = hook.next()
    assert (status, first["MessageId"], first["Message"]) == (500, out["MessageId"], "retry me")
    # AWS's default HTTP policy: 3 retries, 20 seconds apart ("Amazon SNS message delivery retries").
    assert hook.idle(1.5)
    advance(server, 21)
    _, headers, again, status = hook.next(timeout=5)
    assert status == 200
    assert headers["x-amz-sns-message-id"] == out["MessageId"]  # a retry keeps the message's id
    assert (again["MessageId"], again["Message"]) == (out["MessageId"], "retry me")
    verify_signature(again)
    assert hook.idle(0.5)  # delivered: no more retries


def test_http_subscription_delivery_policy_sets_retries(server, sns, topic, endpoint):
    # "Creating an HTTP/S delivery policy": a subscription's healthyRetryPolicy sets the number of
    # retries and their delays; once they are used up, SNS stops (and discards, with no DLQ).
    hook = endpoint(statuses=[500, 500, 500, 500])
    policy = {"healthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 5, "numRetries": 2, "numNoDelayRetries": 0,
                                     "numMinDelayRetries": 0, "numMaxDelayRetries": 0, "backoffFunction": "linear"}}
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url, Attributes={"DeliveryPolicy": json.dumps(policy)})
    _, _, confirmation, _ = hook.next()
    arn = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
    assert json.loads(sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["DeliveryPolicy"]) == policy
    out = sns.publish(TopicArn=topic, Message="fails thrice")
    attempts = [hook.next()]
    assert hook.idle(1.0)
    for _ in range(2):
        advance(server, 6)
        attempts.append(hook.next(timeout=5))
    advance(server, 6)
    assert hook.idle(1.5)  # two retries, then no more
    assert [(a[2]["MessageId"], a[3]) for a in attempts] == [(out["MessageId"], 500)] * 3


def test_http_topic_delivery_policy_applies_to_its_subscriptions(server, sns, topic, endpoint):
    # "Creating an HTTP/S delivery policy": a topic's http.defaultHealthyRetryPolicy applies to its
    # HTTP/S subscriptions that have no policy of their own.
    policy = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 5, "numRetries": 1,
                                                     "numNoDelayRetries": 0, "numMinDelayRetries": 0,
                                                     "numMaxDelayRetries": 0, "backoffFunction": "linear"}}}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy))
    hook = endpoint(statuses=[500])
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)
    _, _, confirmation, _ = hook.next()
    sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
    out = sns.publish(TopicArn=topic, Message="retry in 5 s")
    assert hook.next()[3] == 500
    advance(server, 6)
    _, _, again, status = hook.next(timeout=3)
    assert (again["MessageId"], status) == (out["MessageId"], 200)


def test_http_unsubscribe_sends_unsubscribe_confirmation(sns, topic, endpoint):
    # "Parsing message formats": SNS POSTs an UnsubscribeConfirmation to an HTTP/S endpoint after it is
    # unsubscribed, signed like a SubscriptionConfirmation (with a SubscribeURL to resubscribe).
    hook = endpoint()
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)
    _, _, confirmation, _ = hook.next()
    arn = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
    sns.unsubscribe(SubscriptionArn=arn)
    _, headers, doc, _ = hook.next(timeout=2)
    assert headers["x-amz-sns-message-type"] == doc["Type"] == "UnsubscribeConfirmation"
    assert doc["TopicArn"] == topic and doc["Token"] and doc["SubscribeURL"]
    verify_signature(doc)


def tls_endpoint_files(directory):
    """A CA and a certificate it signed for 127.0.0.1 (PEM files in `directory`): what a
    development HTTPS endpoint with its own CA looks like. Returns (ca file, ssl server context)."""
    import ssl
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import ipaddress

    now = datetime.datetime.now(datetime.timezone.utc)

    def certificate(subject, issuer, public_key, signing_key, ca, san=None):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    name = lambda cn: x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)])  # noqa: E731
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate(name("Nimbus test CA"), name("Nimbus test CA"), ca_key.public_key(), ca_key, True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = certificate(name("127.0.0.1"), ca.subject, leaf_key.public_key(), ca_key, False,
                       [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")])
    ca_file, cert_file, key_file = directory / "ca.pem", directory / "leaf.pem", directory / "leaf.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return ca_file, context


def test_https_endpoint_gets_confirmation_and_notification_over_tls(start_nimbus, endpoint, tmp_path, unique):
    # An https:// subscription is delivered over TLS, and the endpoint's certificate is verified
    # against the trusted CAs (here the endpoint's own CA, trusted through SSL_CERT_FILE).
    ca_file, context = tls_endpoint_files(tmp_path)
    trusting = start_nimbus(env={"SSL_CERT_FILE": str(ca_file)})
    sns = trusting.client("sns")
    topic = sns.create_topic(Name=f"tls-{unique}")["TopicArn"]
    hook = endpoint(tls=context)
    assert hook.url.startswith("https://")
    assert sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=hook.url)["SubscriptionArn"] == "pending confirmation"
    _, headers, confirmation, _ = hook.next()
    assert headers["x-amz-sns-message-type"] == confirmation["Type"] == "SubscriptionConfirmation"
    arn = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["Protocol"] == "https"
    out = sns.publish(TopicArn=topic, Message="over TLS")
    _, headers, doc, _ = hook.next()
    assert (headers["x-amz-sns-message-type"], doc["MessageId"], doc["Message"]) == ("Notification", out["MessageId"], "over TLS")


def test_https_endpoint_with_an_untrusted_certificate_gets_nothing(sns, topic, endpoint, tmp_path):
    # The module's Nimbus trusts only the system's CAs, so the TLS handshake with an endpoint whose
    # certificate a private CA signed fails, and no request reaches the endpoint.
    _, context = tls_endpoint_files(tmp_path)
    hook = endpoint(tls=context)
    assert sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=hook.url)["SubscriptionArn"] == "pending confirmation"
    assert hook.idle(2.0)


def test_http_confirmation_carries_a_message_id_header(sns, topic, endpoint):
    # "HTTP/HTTPS headers": confirmations, notifications and unsubscribe confirmations all carry
    # x-amz-sns-message-id, the message's MessageId.
    hook = endpoint()
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)
    _, headers, doc, _ = hook.next()
    assert headers.get("x-amz-sns-message-id") == doc["MessageId"]


# --- email -----------------------------------------------------------------------------------

def test_email_confirmation_and_delivery_to_the_mailbox(server, sns, topic, unique):
    address = f"reader-{unique}@example.com"
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)["SubscriptionArn"] == "pending confirmation"
    (mail,) = wait_for(lambda: mailbox(server, address))
    assert (mail["to"], mail["from"]) == (address, "AWS Notifications <no-reply@sns.amazonaws.com>")
    assert mail["subject"] == "AWS Notification - Subscription Confirmation"
    url = re.search(r"https?://\S+Token=\S+", mail["body"]).group(0)
    token = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["Token"][0]
    # Unconfirmed: nothing but the confirmation arrives.
    sns.publish(TopicArn=topic, Message="too early", Subject="Early")
    arn = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"

    sns.publish(TopicArn=topic, Message="hello by mail", Subject="News")
    sns.publish(TopicArn=topic, Message="no subject here")
    mails = wait_for(lambda: (m := mailbox(server, address)) and len(m) >= 3 and m)
    # Deliveries run concurrently: the two notifications may arrive in either order.
    assert sorted((m["subject"], m["body"]) for m in mails[1:]) == [
        ("AWS Notification Message", "no subject here"), ("News", "hello by mail")]
    assert all(m["to"] == address for m in mails)
    assert mailbox(server, f"other-{unique}@example.com") == []
    # The mail is SES's: its mailbox holds the same messages as full MIME.
    q = urllib.parse.urlencode({"to": address})
    in_ses = server.admin("GET", f"/_nimbus/ses/messages?{q}")["messages"]
    assert [m["subject"] for m in in_ses] == [m["subject"] for m in mails]
    assert all(m["from"] == "no-reply@sns.amazonaws.com" for m in in_ses)


# --- FIFO ------------------------------------------------------------------------------------

def test_fifo_topic_to_fifo_queue(sns, sqs, unique):
    topic = sns.create_topic(Name=f"fifo-{unique}.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attrs["FifoTopic"], attrs["ContentBasedDeduplication"]) == ("true", "false")
    url, _ = subscribed_queue(sqs, sns, topic, f"fifo-{unique}.fifo", fifo=True)
    # Only SQS (and Firehose) endpoints subscribe to FIFO topics.
    fails(sns.subscribe, "InvalidParameter", TopicArn=topic, Protocol="email", Endpoint=f"x-{unique}@example.com")

    fails(sns.publish, "InvalidParameter", TopicArn=topic, Message="no group", MessageDeduplicationId="d")
    fails(sns.publish, "InvalidParameter", TopicArn=topic, Message="no dedup id", MessageGroupId="g")
    sent = [sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g1", MessageDeduplicationId=f"d{i}")
            for i in range(5)]
    seqs = [s["SequenceNumber"] for s in sent]
    assert all(s.isdigit() for s in seqs) and [int(s) for s in seqs] == sorted(int(s) for s in seqs)
    assert len(set(seqs)) == 5
    got = take(sqs, url, 5)
    docs = [json.loads(m["Body"]) for m in got]
    assert [d["Message"] for d in docs] == [f"m{i}" for i in range(5)]
    assert [d["MessageId"] for d in docs] == [s["MessageId"] for s in sent]
    assert [d["SequenceNumber"] for d in docs] == seqs
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"g1"}
    # The deduplication id is honoured within the 5-minute window.
    sns.publish(TopicArn=topic, Message="m0", MessageGroupId="g1", MessageDeduplicationId="d0")
    time.sleep(0.3)
    assert nothing_more(sqs, url)
    # A MessageDeduplicationId on a standard topic is refused.
    standard = sns.create_topic(Name=f"std-{unique}")["TopicArn"]
    fails(sns.publish, "InvalidParameter", TopicArn=standard, Message="x", MessageDeduplicationId="d")


# --- PublishBatch ----------------------------------------------------------------------------

def test_publish_batch(sns, raw_sns, sqs, topic, unique):
    url, _ = subscribed_queue(sqs, sns, topic, f"batch-{unique}")
    out = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "one", "Message": "first"},
        {"Id": "bad", "Message": "x", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "not a number"}}},
        {"Id": "two", "Message": "second", "Subject": "S"},
    ])
    ok = {e["Id"]: e["MessageId"] for e in out["Successful"]}
    assert set(ok) == {"one", "two"}
    (failed,) = out["Failed"]
    assert failed["Id"] == "bad" and failed["SenderFault"] is True and failed["Code"]
    got = {json.loads(m["Body"])["MessageId"]: json.loads(m["Body"]) for m in take(sqs, url, 2)}
    assert set(got) == set(ok.values())
    assert (got[ok["one"]]["Message"], got[ok["two"]]["Message"], got[ok["two"]]["Subject"]) == ("first", "second", "S")
    time.sleep(0.3)
    assert nothing_more(sqs, url)

    fails(raw_sns.publish_batch, "EmptyBatchRequest", TopicArn=topic, PublishBatchRequestEntries=[])
    fails(sns.publish_batch, "TooManyEntriesInBatchRequest", TopicArn=topic,
          PublishBatchRequestEntries=[{"Id": f"e{i}", "Message": "m"} for i in range(11)])
    fails(sns.publish_batch, "BatchEntryIdsNotDistinct", TopicArn=topic,
          PublishBatchRequestEntries=[{"Id": "same", "Message": "a"}, {"Id": "same", "Message": "b"}])
    fails(sns.publish_batch, "InvalidBatchEntryId", TopicArn=topic,
          PublishBatchRequestEntries=[{"Id": "bad id!", "Message": "a"}])
    fails(sns.publish_batch, "NotFound", status=404, TopicArn=topic_arn(f"missing-{unique}"),
          PublishBatchRequestEntries=[{"Id": "a", "Message": "a"}])


# --- durability ------------------------------------------------------------------------------

def test_accepted_publishes_reach_the_queue_across_kill_9(start_nimbus, data_dir, unique):
    first = start_nimbus(data_dir=data_dir)
    sns, sqs = first.client("sns"), first.client("sqs")
    topic = sns.create_topic(Name=f"durable-{unique}")["TopicArn"]
    url, _ = subscribed_queue(sqs, sns, topic, f"durable-{unique}")
    ids = {sns.publish(TopicArn=topic, Message=f"d{i}")["MessageId"]: f"d{i}" for i in range(5)}
    first.kill9()  # some deliveries may still be pending: they were committed with the publish

    again = start_nimbus(data_dir=data_dir)
    sqs = again.client("sqs")
    url = sqs.get_queue_url(QueueName=f"durable-{unique}")["QueueUrl"]
    got = take(sqs, url, 5)
    docs = {json.loads(m["Body"])["MessageId"]: json.loads(m["Body"])["Message"] for m in got}
    assert docs == ids  # every accepted publish arrived (at-least-once: a repeat would be the same id)
    # The subscription survived too: a new publish is delivered.
    sns = again.client("sns")
    new = sns.publish(TopicArn=topic, Message="after restart")["MessageId"]
    (m,) = take(sqs, url, 1)
    assert json.loads(m["Body"])["MessageId"] == new
    verify_signature(json.loads(m["Body"]))


# --- AWS CLI ---------------------------------------------------------------------------------

def test_aws_cli_create_topic_subscribe_and_publish(server, sqs, unique):
    name = f"cli-{unique}"
    out = server.aws("sns", "create-topic", "--name", name)
    assert out == {"TopicArn": topic_arn(name)}
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sub = server.aws("sns", "subscribe", "--topic-arn", topic_arn(name), "--protocol", "sqs",
                     "--notification-endpoint", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")
    assert sub["SubscriptionArn"].startswith(topic_arn(name) + ":")
    sent = server.aws("sns", "publish", "--topic-arn", topic_arn(name), "--message", "from the cli", "--subject", "CLI")
    assert set(sent) == {"MessageId"} and re.fullmatch(r"[0-9a-f-]{36}", sent["MessageId"])
    (m,) = take(sqs, url, 1)
    doc = json.loads(m["Body"])
    assert (doc["MessageId"], doc["Message"], doc["Subject"]) == (sent["MessageId"], "from the cli", "CLI")
