"""Strict mode: every request authorized by IAM policies, and the simulator agreeing with it.

One strict Nimbus for the module. Each case gives a fresh IAM user its policies, makes a real
call with the user's own access key, and checks both the outcome and that
SimulatePrincipalPolicy decides the same for the same action, resource and context.
"""
import uuid

import pytest

from conftest import Nimbus, error_of
from strict_helpers import ACCOUNT, OTHER_ACCOUNT, OTHER_SECRET, STRICT_ARGS, User, allow, client, deny, doc


@pytest.fixture(scope="module")
def strict():
    server = Nimbus(*STRICT_ARGS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def iam(strict):
    return strict.client("iam")


def denied(call, *args, **kwargs):
    code, status, message = error_of(call, *args, **kwargs)
    assert code in ("AccessDenied", "AccessDeniedException", "AuthorizationError"), (code, message)
    return message


def test_root_may_do_everything_and_a_new_user_nothing(strict, iam):
    strict.client("sqs").list_queues()
    user = User(strict, iam)
    message = denied(user.client("sqs").create_queue, QueueName="nope")
    assert message.startswith(f"User: {user.arn} is not authorized to perform: sqs:CreateQueue on resource: ")
    assert message.endswith("because no identity-based policy allows the sqs:CreateQueue action")
    assert user.simulate("sqs:CreateQueue", f"arn:aws:sqs:us-east-1:{ACCOUNT}:nope") == "implicitDeny"
    # GetCallerIdentity is never denied.
    assert user.client("sts").get_caller_identity()["Arn"] == user.arn


def test_identity_allow_then_explicit_deny_wins(strict, iam):
    queue_name = f"q-{uuid.uuid4().hex[:8]}"
    arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{queue_name}"
    user = User(strict, iam, [doc(allow("sqs:*"))])
    url = user.client("sqs").create_queue(QueueName=queue_name)["QueueUrl"]
    user.client("sqs").send_message(QueueUrl=url, MessageBody="hi")
    assert user.simulate("sqs:SendMessage", arn) == "allowed"
    iam.put_user_policy(UserName=user.name, PolicyName="deny-send", PolicyDocument=doc(deny("sqs:SendMessage", arn)))
    message = denied(user.client("sqs").send_message, QueueUrl=url, MessageBody="hi")
    assert "with an explicit deny in an identity-based policy" in message
    assert user.simulate("sqs:SendMessage", arn) == "explicitDeny"
    # Other actions on the queue stay allowed.
    user.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])


def test_not_action(strict, iam):
    user = User(strict, iam, [doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})])
    user.client("sqs").list_queues()
    denied(user.client("iam").list_users)
    assert user.simulate("iam:ListUsers", "*") == "implicitDeny"
    assert user.simulate("sqs:ListQueues", "*") == "allowed"


def test_condition_keys_source_ip_and_region(strict, iam):
    local = User(strict, iam, [doc(allow("sqs:ListQueues", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}))])
    local.client("sqs").list_queues()
    assert local.simulate("sqs:ListQueues", "*", {"aws:SourceIp": "127.0.0.1"}) == "allowed"
    elsewhere = User(strict, iam, [doc(allow("sqs:ListQueues", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))])
    denied(elsewhere.client("sqs").list_queues)
    assert elsewhere.simulate("sqs:ListQueues", "*", {"aws:SourceIp": "127.0.0.1"}) == "implicitDeny"
    regional = User(strict, iam, [doc(allow("sqs:ListQueues", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))])
    regional.client("sqs", region="eu-west-1").list_queues()
    denied(regional.client("sqs", region="us-east-1").list_queues)
    assert regional.simulate("sqs:ListQueues", "*", {"aws:RequestedRegion": "us-east-1"}) == "implicitDeny"


def test_permissions_boundary_limits_identity_policies(strict, iam):
    boundary = iam.create_policy(PolicyName=f"b-{uuid.uuid4().hex[:8]}", PolicyDocument=doc(allow("sqs:*")))["Policy"]["Arn"]
    user = User(strict, iam, [doc(allow(["sqs:*", "secretsmanager:*"]))], boundary=boundary)
    user.client("sqs").list_queues()
    message = denied(user.client("secretsmanager").list_secrets)
    assert "because no permissions boundary allows the secretsmanager:ListSecrets action" in message
    assert user.simulate("secretsmanager:ListSecrets", "*") == "implicitDeny"
    iam.delete_user_permissions_boundary(UserName=user.name)
    user.client("secretsmanager").list_secrets()


def test_assumed_role_sessions(strict, iam):
    user = User(strict, iam, [doc(allow("sts:AssumeRole"))])
    role_name = f"r-{uuid.uuid4().hex[:8]}"
    trust = doc({"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role_name, PolicyName="read", PolicyDocument=doc(allow(["sqs:ListQueues", "sqs:GetQueueUrl"])))
    creds = user.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]
    session = strict.client("sqs", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                            session_token=creds["SessionToken"])
    session.list_queues()
    message = denied(session.create_queue, QueueName="x")
    assert message.startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/s1 is not authorized")
    # A session policy narrows the session further.
    creds = user.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="s2",
                                           Policy=doc(allow("sqs:GetQueueUrl")))["Credentials"]
    narrowed = strict.client("sqs", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                             session_token=creds["SessionToken"])
    assert "because no session policy allows the sqs:ListQueues action" in denied(narrowed.list_queues)
    # The trust policy decides who may assume the role.
    stranger = User(strict, iam, [doc(allow("sts:AssumeRole"))])
    denied(stranger.client("sts").assume_role, RoleArn=role_arn, RoleSessionName="s3")
    # Without an identity allow, a trust policy naming the account is not enough...
    open_role = f"r-{uuid.uuid4().hex[:8]}"
    account_trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"})
    open_arn = iam.create_role(RoleName=open_role, AssumeRolePolicyDocument=account_trust)["Role"]["Arn"]
    nobody = User(strict, iam)
    denied(nobody.client("sts").assume_role, RoleArn=open_arn, RoleSessionName="s4")
    # ...and with one it is.
    user.client("sts").assume_role(RoleArn=open_arn, RoleSessionName="s5")


def test_trust_policy_external_id_and_session_tags(strict, iam):
    user = User(strict, iam, [doc(allow(["sts:AssumeRole", "sts:TagSession"]))])
    role_name = f"r-{uuid.uuid4().hex[:8]}"
    trust = doc({"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"sts:ExternalId": "partner-42"}}})
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    sts = user.client("sts")
    denied(sts.assume_role, RoleArn=role_arn, RoleSessionName="s1")
    denied(sts.assume_role, RoleArn=role_arn, RoleSessionName="s1", ExternalId="partner-41")
    sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="partner-42")
    # Session tags need sts:TagSession in the trust policy too (AWS's rule).
    denied(sts.assume_role, RoleArn=role_arn, RoleSessionName="s1", ExternalId="partner-42",
           Tags=[{"Key": "team", "Value": "blue"}])
    tagging_trust = doc(
        {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "partner-42"}}},
        {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:TagSession",
         "Condition": {"StringEquals": {"aws:RequestTag/team": "blue"}}},
    )
    iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=tagging_trust)
    sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="partner-42", Tags=[{"Key": "team", "Value": "blue"}])
    denied(sts.assume_role, RoleArn=role_arn, RoleSessionName="s1", ExternalId="partner-42",
           Tags=[{"Key": "team", "Value": "red"}])


def test_identity_allow_and_bucket_policy_deny(strict, iam):
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    root_s3 = client(strict, "s3")
    root_s3.create_bucket(Bucket=bucket)
    root_s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    user = User(strict, iam, [doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))])
    assert user.client("s3").get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"
    policy = doc({"Effect": "Deny", "Principal": {"AWS": user.arn}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"})
    root_s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    code, status = error_of(user.client("s3").get_object, Bucket=bucket, Key="k")[:2]
    assert (code, status) == ("AccessDenied", 403)
    assert user.simulate("s3:GetObject", f"arn:aws:s3:::{bucket}/k", resource_policy=policy) == "explicitDeny"
    # Actions the user has no identity allow for stay denied.
    assert error_of(user.client("s3").put_object, Bucket=bucket, Key="k2", Body=b"x")[0] == "AccessDenied"


def test_cross_account_bucket_needs_both_policies(strict, iam):
    other = client(strict, "s3", access_key=OTHER_ACCOUNT, secret_key=OTHER_SECRET)
    bucket = f"x-{uuid.uuid4().hex[:8]}"
    other.create_bucket(Bucket=bucket)
    other.put_object(Bucket=bucket, Key="k", Body=b"shared")
    reader = User(strict, iam, [doc(allow("s3:GetObject"))])
    # The other account's bucket says nothing about us yet.
    assert error_of(reader.client("s3").get_object, Bucket=bucket, Key="k")[0] == "AccessDenied"
    other.put_bucket_policy(Bucket=bucket, Policy=doc({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
    assert reader.client("s3").get_object(Bucket=bucket, Key="k")["Body"].read() == b"shared"
    # The bucket policy alone is not enough: the caller's account must allow too.
    nobody = User(strict, iam)
    assert error_of(nobody.client("s3").get_object, Bucket=bucket, Key="k")[0] == "AccessDenied"


def test_queue_policy_grants_cross_account_send(strict, iam):
    other_sqs = strict.client("sqs", access_key=OTHER_ACCOUNT, secret_key=OTHER_SECRET)
    name = f"shared-{uuid.uuid4().hex[:8]}"
    url = other_sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = f"arn:aws:sqs:us-east-1:{OTHER_ACCOUNT}:{name}"
    sender = User(strict, iam, [doc(allow("sqs:SendMessage"))])
    denied(sender.client("sqs").send_message, QueueUrl=url, MessageBody="x")
    other_sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": doc({
        "Effect": "Allow", "Principal": {"AWS": sender.arn}, "Action": "sqs:SendMessage", "Resource": queue_arn})})
    sender.client("sqs").send_message(QueueUrl=url, MessageBody="x")


def test_simulate_custom_policy_with_context(strict, iam):
    policy = doc(allow("s3:ListBucket", "arn:aws:s3:::b", Condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"}}))
    result = iam.simulate_custom_policy(
        PolicyInputList=[policy], ActionNames=["s3:ListBucket"], ResourceArns=["arn:aws:s3:::b"],
        ContextEntries=[{"ContextKeyName": "s3:prefix", "ContextKeyValues": ["home/alice/x"], "ContextKeyType": "string"},
                        {"ContextKeyName": "aws:username", "ContextKeyValues": ["alice"], "ContextKeyType": "string"}],
    )["EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed"
    result = iam.simulate_custom_policy(
        PolicyInputList=[policy], ActionNames=["s3:ListBucket"], ResourceArns=["arn:aws:s3:::b"],
        ContextEntries=[{"ContextKeyName": "s3:prefix", "ContextKeyValues": ["home/bob/x"], "ContextKeyType": "string"},
                        {"ContextKeyName": "aws:username", "ContextKeyValues": ["alice"], "ContextKeyType": "string"}],
    )["EvaluationResults"][0]
    assert result["EvalDecision"] == "implicitDeny"


def test_cli_sees_the_same_denial(strict, iam):
    user = User(strict, iam, [doc(allow("sqs:ListQueues"))])
    strict.aws("sqs", "list-queues", access_key=user.key, secret_key=user.secret)
    proc = strict.aws("sqs", "create-queue", "--queue-name", "cli-denied", access_key=user.key, secret_key=user.secret, check=False)
    assert proc.returncode != 0
    assert "not authorized to perform: sqs:CreateQueue" in proc.stderr


def test_inactive_and_deleted_keys_stop_working(strict, iam):
    user = User(strict, iam, [doc(allow("sqs:ListQueues"))])
    user.client("sqs").list_queues()
    iam.update_access_key(UserName=user.name, AccessKeyId=user.key, Status="Inactive")
    assert error_of(user.client("sqs").list_queues)[0] in ("InvalidClientTokenId", "UnrecognizedClientException")
    iam.update_access_key(UserName=user.name, AccessKeyId=user.key, Status="Active")
    user.client("sqs").list_queues()
    iam.delete_access_key(UserName=user.name, AccessKeyId=user.key)
    assert error_of(user.client("sqs").list_queues)[0] in ("InvalidClientTokenId", "UnrecognizedClientException")
