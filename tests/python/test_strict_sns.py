"""Strict mode for SNS: calls authorized on the topic they name, with the topic's policy.

One strict Nimbus for the module. Each case gives a fresh IAM user its policies and makes real
calls with the user's own access key; the other account's root is a second credential.
"""
import uuid

import pytest

from conftest import Nimbus, error_of
from strict_helpers import ACCOUNT, OTHER_ACCOUNT, OTHER_SECRET, STRICT_ARGS, User, allow, doc


@pytest.fixture(scope="module")
def strict():
    server = Nimbus(*STRICT_ARGS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def iam(strict):
    return strict.client("iam")


@pytest.fixture(scope="module")
def root_sns(strict):
    return strict.client("sns")


def topic(root_sns, prefix="t", **kwargs):
    return root_sns.create_topic(Name=f"{prefix}-{uuid.uuid4().hex[:8]}", **kwargs)["TopicArn"]


def denied(call, *args, **kwargs):
    """SNS refuses with its model's error: AuthorizationError, 403."""
    code, status, message = error_of(call, *args, **kwargs)
    assert (code, status) == ("AuthorizationError", 403), (code, status, message)
    return message


def test_publish_allowed_on_one_topic_only(strict, iam, root_sns):
    mine, other = topic(root_sns), topic(root_sns)
    user = User(strict, iam, [doc(allow("sns:Publish", mine))])
    sns = user.client("sns")
    assert sns.publish(TopicArn=mine, Message="hi")["MessageId"]
    # PublishBatch is authorized as sns:Publish.
    batch = sns.publish_batch(TopicArn=mine, PublishBatchRequestEntries=[{"Id": "1", "Message": "a"}])
    assert [s["Id"] for s in batch["Successful"]] == ["1"]
    message = denied(sns.publish, TopicArn=other, Message="hi")
    assert message == (f"User: {user.arn} is not authorized to perform: sns:Publish on resource: {other} "
                       "because no identity-based policy allows the sns:Publish action")
    denied(sns.publish_batch, TopicArn=other, PublishBatchRequestEntries=[{"Id": "1", "Message": "a"}])
    message = denied(sns.delete_topic, TopicArn=mine)
    assert f"sns:DeleteTopic on resource: {mine}" in message
    denied(sns.list_topics)
    # Nothing was deleted.
    assert mine in [t["TopicArn"] for t in root_sns.list_topics()["Topics"]]
    assert user.simulate("sns:Publish", mine) == "allowed"
    assert user.simulate("sns:Publish", other) == "implicitDeny"
    assert user.simulate("sns:DeleteTopic", mine) == "implicitDeny"


def test_topic_policy_grants_another_account(strict, root_sns):
    arn = topic(root_sns, "shared")
    other = strict.client("sns", access_key=OTHER_ACCOUNT, secret_key=OTHER_SECRET)
    # AWS's default topic policy grants nothing to other accounts.
    message = denied(other.publish, TopicArn=arn, Message="hi")
    assert message.startswith(f"User: arn:aws:iam::{OTHER_ACCOUNT}:root is not authorized to perform: sns:Publish on resource: {arn}")
    root_sns.add_permission(TopicArn=arn, Label="other-publish", AWSAccountId=[OTHER_ACCOUNT], ActionName=["Publish"])
    assert other.publish(TopicArn=arn, Message="hi")["MessageId"]
    # The grant is for Publish only.
    denied(other.get_topic_attributes, TopicArn=arn)
    denied(other.delete_topic, TopicArn=arn)
    root_sns.remove_permission(TopicArn=arn, Label="other-publish")
    denied(other.publish, TopicArn=arn, Message="hi")


def test_topic_policy_deny_beats_identity_allow(strict, iam, root_sns):
    arn = topic(root_sns, "guarded")
    user = User(strict, iam, [doc(allow("sns:*"))])
    sns = user.client("sns")
    sns.publish(TopicArn=arn, Message="before")
    policy = doc(
        {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sns:*", "Resource": arn},
        {"Sid": "no-user", "Effect": "Deny", "Principal": {"AWS": user.arn}, "Action": "sns:Publish", "Resource": arn},
    )
    root_sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)
    message = denied(sns.publish, TopicArn=arn, Message="after")
    assert message.endswith("with an explicit deny in a resource-based policy")
    assert user.simulate("sns:Publish", arn, resource_policy=policy) == "explicitDeny"
    # Only Publish is denied; the owner still publishes.
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"]
    root_sns.publish(TopicArn=arn, Message="owner")
    assert user.simulate("sns:GetTopicAttributes", arn, resource_policy=policy) == "allowed"


def test_protocol_condition_on_subscribe(strict, iam, root_sns):
    arn = topic(root_sns, "subs")
    queue_url = strict.client("sqs").create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{queue_url.rsplit('/', 1)[1]}"
    user = User(strict, iam, [doc(allow("sns:Subscribe", arn, Condition={"StringEquals": {"sns:Protocol": "sqs"}}))])
    sns = user.client("sns")
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert sub.startswith(arn + ":")
    denied(sns.subscribe, TopicArn=arn, Protocol="email", Endpoint="someone@example.com")
    assert [s["Protocol"] for s in root_sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]] == ["sqs"]
    assert user.simulate("sns:Subscribe", arn, {"sns:Protocol": "sqs"}) == "allowed"
    assert user.simulate("sns:Subscribe", arn, {"sns:Protocol": "email"}) == "implicitDeny"


def test_endpoint_condition_on_subscribe(strict, iam, root_sns):
    arn = topic(root_sns, "mail")
    user = User(strict, iam, [doc(allow("sns:Subscribe", arn, Condition={"StringLike": {"sns:Endpoint": "*@example.com"}}))])
    sns = user.client("sns")
    sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="ops@example.com")
    denied(sns.subscribe, TopicArn=arn, Protocol="email", Endpoint="ops@elsewhere.org")


def test_resource_and_request_tags(strict, iam, root_sns):
    red = topic(root_sns, "red", Tags=[{"Key": "team", "Value": "red"}])
    blue = topic(root_sns, "blue", Tags=[{"Key": "team", "Value": "blue"}])
    user = User(strict, iam, [doc(
        allow("sns:Publish", Condition={"StringEquals": {"aws:ResourceTag/team": "red"}}),
        allow(["sns:CreateTopic", "sns:TagResource"], Condition={"StringEquals": {"aws:RequestTag/team": "red"}}),
    )])
    sns = user.client("sns")
    sns.publish(TopicArn=red, Message="hi")
    denied(sns.publish, TopicArn=blue, Message="hi")
    # Creating is allowed only with the team tag; tagging on creation takes sns:TagResource too.
    name = f"new-{uuid.uuid4().hex[:8]}"
    created = sns.create_topic(Name=name, Tags=[{"Key": "team", "Value": "red"}])["TopicArn"]
    assert created == f"arn:aws:sns:us-east-1:{ACCOUNT}:{name}"
    denied(sns.create_topic, Name=f"untagged-{uuid.uuid4().hex[:8]}")
    denied(sns.create_topic, Name=f"bluish-{uuid.uuid4().hex[:8]}", Tags=[{"Key": "team", "Value": "blue"}])
    denied(sns.tag_resource, ResourceArn=blue, Tags=[{"Key": "team", "Value": "blue"}])
    sns.tag_resource(ResourceArn=blue, Tags=[{"Key": "team", "Value": "red"}])
    # Now blue is red.
    sns.publish(TopicArn=blue, Message="hi")


def test_create_topic_with_tags_needs_tag_resource(strict, iam):
    user = User(strict, iam, [doc(allow("sns:CreateTopic"))])
    sns = user.client("sns")
    sns.create_topic(Name=f"plain-{uuid.uuid4().hex[:8]}")
    message = denied(sns.create_topic, Name=f"tagged-{uuid.uuid4().hex[:8]}", Tags=[{"Key": "k", "Value": "v"}])
    assert "sns:TagResource" in message
