"""Strict mode for Secrets Manager and Parameter Store: least-privilege policies on secret and
parameter ARNs, tag conditions, secret resource policies (deny and cross-account allow), and
SimulatePrincipalPolicy agreeing with what the server decides.
"""
import uuid

import pytest

from conftest import Nimbus, error_of
from strict_helpers import ACCOUNT, OTHER_ACCOUNT, OTHER_SECRET, STRICT_ARGS, User, allow, doc

SM = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret"
SSM = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter"


@pytest.fixture(scope="module")
def strict():
    server = Nimbus(*STRICT_ARGS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def iam(strict):
    return strict.client("iam")


@pytest.fixture(scope="module")
def root_sm(strict):
    return strict.client("secretsmanager")


def denied(call, *args, **kwargs):
    """The message of an AccessDeniedException (400, as on AWS's JSON services)."""
    code, status, message = error_of(call, *args, **kwargs)
    assert (code, status) == ("AccessDeniedException", 400), (code, status, message)
    return message


def not_authorized(user, action, resource, reason=None):
    reason = reason or f"because no identity-based policy allows the {action} action"
    return f"User: {user.arn} is not authorized to perform: {action} on resource: {resource} {reason}"


def test_get_secret_value_limited_to_one_secret(strict, iam, root_sm):
    base = f"app{uuid.uuid4().hex[:6]}"
    db_arn = root_sm.create_secret(Name=f"{base}/db", SecretString="s3cret")["ARN"]
    other_arn = root_sm.create_secret(Name=f"{base}/other", SecretString="nope")["ARN"]
    user = User(strict, iam, [doc(allow("secretsmanager:GetSecretValue", f"{SM}:{base}/db-*"))])
    sm = user.client("secretsmanager")
    # By name, by partial ARN and by full ARN: all resolve to the secret's full ARN.
    for secret_id in (f"{base}/db", f"{SM}:{base}/db", db_arn):
        assert sm.get_secret_value(SecretId=secret_id)["SecretString"] == "s3cret"
    message = denied(sm.get_secret_value, SecretId=f"{base}/other")
    assert message == not_authorized(user, "secretsmanager:GetSecretValue", other_arn)
    message = denied(sm.put_secret_value, SecretId=f"{base}/db", SecretString="changed")
    assert message == not_authorized(user, "secretsmanager:PutSecretValue", db_arn)
    assert root_sm.get_secret_value(SecretId=db_arn)["SecretString"] == "s3cret"
    # BatchGetSecretValue needs its own action and GetSecretValue on each secret.
    denied(sm.batch_get_secret_value, SecretIdList=[f"{base}/db"])
    batcher = User(strict, iam, [doc(allow("secretsmanager:BatchGetSecretValue"),
                                     allow("secretsmanager:GetSecretValue", f"{SM}:{base}/db-*"))])
    got = batcher.client("secretsmanager").batch_get_secret_value(SecretIdList=[f"{base}/db"])["SecretValues"]
    assert [v["SecretString"] for v in got] == ["s3cret"]
    message = denied(batcher.client("secretsmanager").batch_get_secret_value, SecretIdList=[f"{base}/db", f"{base}/other"])
    assert message == not_authorized(batcher, "secretsmanager:GetSecretValue", other_arn)
    # CreateSecret is authorized on `secret:<Name>-??????`, which `<Name>-*` patterns match.
    creator = User(strict, iam, [doc(allow("secretsmanager:CreateSecret", f"{SM}:{base}/new-*"))])
    creator.client("secretsmanager").create_secret(Name=f"{base}/new", SecretString="x")
    message = denied(creator.client("secretsmanager").create_secret, Name=f"{base}/else", SecretString="x")
    assert message == not_authorized(creator, "secretsmanager:CreateSecret", f"{SM}:{base}/else-??????")
    # The simulator agrees.
    assert user.simulate("secretsmanager:GetSecretValue", db_arn) == "allowed"
    assert user.simulate("secretsmanager:GetSecretValue", other_arn) == "implicitDeny"


def test_resource_tag_conditions(strict, iam, root_sm):
    base = f"tag{uuid.uuid4().hex[:6]}"
    core = root_sm.create_secret(Name=f"{base}/core", SecretString="c", Tags=[{"Key": "team", "Value": "core"}])["ARN"]
    web = root_sm.create_secret(Name=f"{base}/web", SecretString="w", Tags=[{"Key": "team", "Value": "web"}])["ARN"]
    untagged = root_sm.create_secret(Name=f"{base}/none", SecretString="n")["ARN"]
    condition = {"StringEquals": {"secretsmanager:ResourceTag/team": "core"}}
    user = User(strict, iam, [doc(allow("secretsmanager:GetSecretValue", Condition=condition))])
    sm = user.client("secretsmanager")
    assert sm.get_secret_value(SecretId=core)["SecretString"] == "c"
    assert denied(sm.get_secret_value, SecretId=web) == not_authorized(user, "secretsmanager:GetSecretValue", web)
    denied(sm.get_secret_value, SecretId=f"{base}/none")
    # Retagging the secret changes the decision.
    root_sm.tag_resource(SecretId=web, Tags=[{"Key": "team", "Value": "core"}])
    assert sm.get_secret_value(SecretId=f"{base}/web")["SecretString"] == "w"
    # aws:ResourceTag works the same way.
    other = User(strict, iam, [doc(allow("secretsmanager:DescribeSecret", Condition={"StringEquals": {"aws:ResourceTag/team": "core"}}))])
    assert other.client("secretsmanager").describe_secret(SecretId=core)["ARN"] == core
    denied(other.client("secretsmanager").describe_secret, SecretId=untagged)
    # The simulator agrees when given the same context.
    assert user.simulate("secretsmanager:GetSecretValue", core, {"secretsmanager:ResourceTag/team": "core"}) == "allowed"
    assert user.simulate("secretsmanager:GetSecretValue", untagged, {"secretsmanager:ResourceTag/team": "web"}) == "implicitDeny"


def test_secret_policy_deny_beats_identity_allow(strict, iam, root_sm):
    name = f"deny{uuid.uuid4().hex[:6]}"
    arn = root_sm.create_secret(Name=name, SecretString="v")["ARN"]
    user = User(strict, iam, [doc(allow("secretsmanager:*"))])
    sm = user.client("secretsmanager")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    policy = doc({"Effect": "Deny", "Principal": {"AWS": user.arn}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    root_sm.put_resource_policy(SecretId=name, ResourcePolicy=policy)
    message = denied(sm.get_secret_value, SecretId=name)
    assert message == not_authorized(user, "secretsmanager:GetSecretValue", arn, "with an explicit deny in a resource-based policy")
    # Only what the policy denies: describing the secret is still allowed.
    assert sm.describe_secret(SecretId=name)["Name"] == name
    assert user.simulate("secretsmanager:GetSecretValue", arn, resource_policy=policy) == "explicitDeny"
    root_sm.delete_resource_policy(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"


def test_secret_policy_lets_another_account_in(strict, root_sm):
    name = f"shared{uuid.uuid4().hex[:6]}"
    arn = root_sm.create_secret(Name=name, SecretString="v")["ARN"]
    other = strict.client("secretsmanager", access_key=OTHER_ACCOUNT, secret_key=OTHER_SECRET)
    # The other account's root may do anything in its own account, but nothing here allows it yet.
    code, status, message = error_of(other.get_secret_value, SecretId=arn)
    assert (code, status) == ("AccessDeniedException", 400)
    assert message.startswith(f"User: arn:aws:iam::{OTHER_ACCOUNT}:root is not authorized to perform: "
                              f"secretsmanager:GetSecretValue on resource: {arn} ")
    root_sm.put_resource_policy(SecretId=name, ResourcePolicy=doc({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
    # Now the call goes through, served from the account that owns the secret.
    assert other.get_secret_value(SecretId=arn)["SecretString"] == "v"
    # By name the other account looks in its own account, where there is no such secret.
    assert error_of(other.get_secret_value, SecretId=name)[0] == "ResourceNotFoundException"
    # The policy grants GetSecretValue only.
    assert error_of(other.describe_secret, SecretId=arn)[0] == "AccessDeniedException"


def test_parameters_limited_to_a_path(strict, iam):
    root = strict.client("ssm")
    base = f"app{uuid.uuid4().hex[:6]}"
    root.put_parameter(Name=f"/{base}/url", Value="http://x", Type="String")
    root.put_parameter(Name=f"/other{base}/x", Value="no", Type="String")
    user = User(strict, iam, [doc(allow("ssm:GetParameter*", f"{SSM}/{base}/*"))])
    ssm = user.client("ssm")
    assert ssm.get_parameter(Name=f"/{base}/url")["Parameter"]["Value"] == "http://x"
    assert ssm.get_parameter(Name=f"{SSM}/{base}/url")["Parameter"]["Value"] == "http://x"
    assert [p["Name"] for p in ssm.get_parameters(Names=[f"/{base}/url"])["Parameters"]] == [f"/{base}/url"]
    message = denied(ssm.get_parameter, Name=f"/other{base}/x")
    assert message == not_authorized(user, "ssm:GetParameter", f"{SSM}/other{base}/x")
    # One name the user may not read denies the whole GetParameters.
    denied(ssm.get_parameters, Names=[f"/{base}/url", f"/other{base}/x"])
    message = denied(ssm.put_parameter, Name=f"/{base}/url", Value="changed", Type="String", Overwrite=True)
    assert message == not_authorized(user, "ssm:PutParameter", f"{SSM}/{base}/url")
    assert root.get_parameter(Name=f"/{base}/url")["Parameter"]["Value"] == "http://x"
    # GetParametersByPath is authorized on the path itself, which `/{base}/*` does not match.
    message = denied(ssm.get_parameters_by_path, Path=f"/{base}")
    assert message == not_authorized(user, "ssm:GetParametersByPath", f"{SSM}/{base}")
    assert user.simulate("ssm:GetParameter", f"{SSM}/{base}/url") == "allowed"
    assert user.simulate("ssm:PutParameter", f"{SSM}/{base}/url") == "implicitDeny"
    # A policy on the path's ARN allows it.
    lister = User(strict, iam, [doc(allow("ssm:GetParametersByPath", f"{SSM}/{base}"))])
    got = lister.client("ssm").get_parameters_by_path(Path=f"/{base}")["Parameters"]
    assert [p["Value"] for p in got] == ["http://x"]
    denied(lister.client("ssm").get_parameters_by_path, Path=f"/other{base}")


def test_parameter_conditions(strict, iam):
    root = strict.client("ssm")
    base = f"cond{uuid.uuid4().hex[:6]}"
    root.put_parameter(Name=f"/{base}/core", Value="c", Type="String", Tags=[{"Key": "team", "Value": "core"}])
    root.put_parameter(Name=f"/{base}/web", Value="w", Type="String", Tags=[{"Key": "team", "Value": "web"}])
    reader = User(strict, iam, [doc(allow("ssm:GetParameter", Condition={"StringEquals": {"aws:ResourceTag/team": "core"}}))])
    assert reader.client("ssm").get_parameter(Name=f"/{base}/core")["Parameter"]["Value"] == "c"
    denied(reader.client("ssm").get_parameter, Name=f"/{base}/web")
    # ssm:Overwrite: may create parameters but not change existing ones (the user guide's example).
    writer = User(strict, iam, [doc(
        allow("ssm:PutParameter", f"{SSM}/{base}/*"),
        {"Effect": "Deny", "Action": "ssm:PutParameter", "Resource": "*", "Condition": {"StringEquals": {"ssm:Overwrite": "true"}}},
    )])
    writer.client("ssm").put_parameter(Name=f"/{base}/new", Value="1", Type="String")
    message = denied(writer.client("ssm").put_parameter, Name=f"/{base}/new", Value="2", Type="String", Overwrite=True)
    assert message.endswith("with an explicit deny in an identity-based policy")
    assert root.get_parameter(Name=f"/{base}/new")["Parameter"]["Value"] == "1"
