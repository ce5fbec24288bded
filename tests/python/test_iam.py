"""IAM end to end, through boto3 and the AWS CLI: users, groups, roles, inline and managed
policies (versions, AWS managed ones), access keys that sign at once, instance profiles, identity
providers, the password policy, the authorization details report, the simulator, persistence."""
import json
import uuid

import botocore.exceptions
import pytest

from conftest import Nimbus, error_of

ACCOUNT = "000000000000"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_S3 = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
EC2_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


@pytest.fixture(scope="module")
def iam(nimbus):
    return nimbus.client("iam")


def name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_user_lifecycle_and_errors(iam):
    user = name("alice")
    created = iam.create_user(UserName=user, Path="/dev/", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/dev/{user}"
    assert created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21
    got = iam.get_user(UserName=user)["User"]
    assert got["UserId"] == created["UserId"] and got["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert error_of(iam.create_user, UserName=user.upper()) == \
        ("EntityAlreadyExists", 409, f"User with name {user.upper()} already exists.")
    assert error_of(iam.get_user, UserName="nobody-here") == \
        ("NoSuchEntity", 404, "The user with name nobody-here cannot be found.")
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=ALLOW_S3)
    assert error_of(iam.delete_user, UserName=user) == \
        ("DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
    # The document comes back URL-encoded on the wire; boto3 decodes it into a dict.
    assert iam.get_user_policy(UserName=user, PolicyName="s3")["PolicyDocument"] == json.loads(ALLOW_S3)
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["s3"]
    iam.delete_user_policy(UserName=user, PolicyName="s3")
    renamed = name("alicia")
    iam.update_user(UserName=user, NewUserName=renamed, NewPath="/")
    assert error_of(iam.get_user, UserName=user)[0] == "NoSuchEntity"
    assert iam.get_user(UserName=renamed)["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{renamed}"
    iam.untag_user(UserName=renamed, TagKeys=["team"])
    assert iam.list_user_tags(UserName=renamed)["Tags"] == []
    iam.delete_user(UserName=renamed)
    assert error_of(iam.delete_user, UserName=renamed)[:2] == ("NoSuchEntity", 404)


def test_malformed_policy_documents(iam):
    user = name("m")
    iam.create_user(UserName=user)
    code, status, message = error_of(iam.put_user_policy, UserName=user, PolicyName="p", PolicyDocument="{nope")
    assert (code, status, message) == ("MalformedPolicyDocument", 400, "This policy contains invalid Json")
    with_principal = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    assert error_of(iam.create_policy, PolicyName=name("p"), PolicyDocument=with_principal)[0] == "MalformedPolicyDocument"
    no_principal_trust = doc({"Effect": "Allow", "Action": "sts:AssumeRole"})
    assert error_of(iam.create_role, RoleName=name("r"), AssumeRolePolicyDocument=no_principal_trust)[0] == \
        "MalformedPolicyDocument"


def test_pagination_with_markers(iam):
    path = f"/page-{uuid.uuid4().hex[:6]}/"
    names = sorted(name("u") for _ in range(5))
    for n in names:
        iam.create_user(UserName=n, Path=path)
    seen, sizes, marker = [], [], None
    while True:
        page = iam.list_users(PathPrefix=path, MaxItems=2, **({"Marker": marker} if marker else {}))
        seen += [u["UserName"] for u in page["Users"]]
        sizes.append(len(page["Users"]))
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == names and sizes == [2, 2, 1]
    # The paginator agrees.
    pages = iam.get_paginator("list_users").paginate(PathPrefix=path, PaginationConfig={"PageSize": 3})
    assert [u["UserName"] for p in pages for u in p["Users"]] == names


def test_groups_and_membership(iam):
    group, user = name("g"), name("member")
    g = iam.create_group(GroupName=group)["Group"]
    assert g["GroupId"].startswith("AGPA") and g["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/{group}"
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [user]
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    assert error_of(iam.delete_group, GroupName=group) == \
        ("DeleteConflict", 409, "Cannot delete entity, must remove users from group first.")
    assert error_of(iam.delete_user, UserName=user)[0] == "DeleteConflict"
    iam.put_group_policy(GroupName=group, PolicyName="gp", PolicyDocument=ALLOW_S3)
    assert iam.get_group_policy(GroupName=group, PolicyName="gp")["PolicyDocument"]["Statement"][0]["Action"] == "s3:*"
    iam.remove_user_from_group(GroupName=group, UserName=user)
    assert error_of(iam.delete_group, GroupName=group)[2] == "Cannot delete entity, must delete policies first."
    iam.delete_group_policy(GroupName=group, PolicyName="gp")
    iam.delete_group(GroupName=group)
    assert error_of(iam.get_group, GroupName=group) == ("NoSuchEntity", 404, f"The group with name {group} cannot be found.")


def test_roles_trust_policies_and_tags(iam):
    role = name("r")
    created = iam.create_role(RoleName=role, Path="/svc/", AssumeRolePolicyDocument=EC2_TRUST,
                              Description="app role", MaxSessionDuration=7200,
                              Tags=[{"Key": "env", "Value": "dev"}])["Role"]
    assert created["RoleId"].startswith("AROA")
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/svc/{role}"
    got = iam.get_role(RoleName=role)["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(EC2_TRUST)
    assert (got["MaxSessionDuration"], got["Description"]) == (7200, "app role")
    assert "RoleLastUsed" in got
    assert error_of(iam.create_role, RoleName=role, AssumeRolePolicyDocument=EC2_TRUST) == \
        ("EntityAlreadyExists", 409, f"Role with name {role} already exists.")
    code, status, _ = error_of(iam.update_role, RoleName=role, MaxSessionDuration=50000)
    assert (code, status) == ("ValidationError", 400)
    new_trust = doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=new_trust)
    assert iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"] == json.loads(new_trust)
    iam.tag_role(RoleName=role, Tags=[{"Key": "owner", "Value": "me"}])
    assert {t["Key"] for t in iam.list_role_tags(RoleName=role)["Tags"]} == {"env", "owner"}
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=ALLOW_S3)
    assert error_of(iam.delete_role, RoleName=role)[2] == "Cannot delete entity, must delete policies first."
    iam.delete_role_policy(RoleName=role, PolicyName="inline")
    assert role in [r["RoleName"] for r in iam.list_roles(PathPrefix="/svc/")["Roles"]]
    iam.delete_role(RoleName=role)
    assert error_of(iam.get_role, RoleName=role) == ("NoSuchEntity", 404, f"The role with name {role} cannot be found.")


def test_managed_policies_versions_and_attachments(iam):
    policy_name, user = name("mp"), name("att")
    policy = iam.create_policy(PolicyName=policy_name, PolicyDocument=ALLOW_S3, Description="d")["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/{policy_name}"
    assert (policy["DefaultVersionId"], policy["AttachmentCount"]) == ("v1", 0)
    assert error_of(iam.create_policy, PolicyName=policy_name, PolicyDocument=ALLOW_S3) == \
        ("EntityAlreadyExists", 409, f"A policy called {policy_name} already exists. Duplicate names are not allowed.")
    for n in range(2, 6):
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_S3, SetAsDefault=(n == 4))["PolicyVersion"]
        assert v["VersionId"] == f"v{n}"
    code, status, message = error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=ALLOW_S3)
    assert (code, status) == ("LimitExceeded", 409) and "up to 5 versions" in message
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v4"
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v5", "v4", "v3", "v2", "v1"]
    assert error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v4")[:2] == ("DeleteConflict", 409)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["IsDefaultVersion"] is True
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert iam.list_attached_user_policies(UserName=user)["AttachedPolicies"] == [{"PolicyName": policy_name, "PolicyArn": arn}]
    assert [u["UserName"] for u in iam.list_entities_for_policy(PolicyArn=arn)["PolicyUsers"]] == [user]
    assert error_of(iam.delete_policy, PolicyArn=arn) == ("DeleteConflict", 409, "Cannot delete a policy attached to entities.")
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    for v in ("v1", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    assert error_of(iam.get_policy, PolicyArn=arn) == ("NoSuchEntity", 404, f"Policy {arn} was not found.")
    local = iam.list_policies(Scope="Local")["Policies"]
    assert arn not in [p["Arn"] for p in local]


def test_aws_managed_policies_are_listed_and_attachable(iam):
    aws = {p["PolicyName"]: p for p in iam.get_paginator("list_policies").paginate(Scope="AWS").build_full_result()["Policies"]}
    for expected in ("AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "AmazonS3FullAccess",
                     "AmazonS3ReadOnlyAccess", "AmazonSQSFullAccess", "SecretsManagerReadWrite",
                     "AmazonECSTaskExecutionRolePolicy", "AWSLambdaBasicExecutionRole",
                     "AWSLambdaVPCAccessExecutionRole", "CloudWatchLogsFullAccess"):
        assert expected in aws, expected
    assert aws["AWSLambdaBasicExecutionRole"]["Arn"] == "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    admin = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]
    version = iam.get_policy_version(PolicyArn=admin["Arn"], VersionId=admin["DefaultVersionId"])["PolicyVersion"]
    assert version["Document"]["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    role = name("lambda")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=EC2_TRUST)
    iam.attach_role_policy(RoleName=role, PolicyArn=aws["AWSLambdaBasicExecutionRole"]["Arn"])
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert attached[0]["PolicyName"] == "AWSLambdaBasicExecutionRole"
    assert any(p["PolicyName"] == "AWSLambdaBasicExecutionRole"
               for p in iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"])
    assert error_of(iam.delete_policy, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")[0] == "AccessDenied"
    missing = f"arn:aws:iam::{ACCOUNT}:policy/nope-{uuid.uuid4().hex[:6]}"
    assert error_of(iam.attach_role_policy, RoleName=role, PolicyArn=missing) == ("NoSuchEntity", 404, f"Policy {missing} was not found.")


def test_access_keys_sign_at_once_and_stop_when_inactive(nimbus, iam):
    user = name("keys")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40
    sts = nimbus.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == arn
    # A wrong secret for a known key fails the signature.
    wrong = nimbus.client("sts", access_key=key["AccessKeyId"], secret_key="x" * 40)
    assert error_of(wrong.get_caller_identity)[0] == "SignatureDoesNotMatch"
    iam.create_access_key(UserName=user)
    assert error_of(iam.create_access_key, UserName=user) == \
        ("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    statuses = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}
    assert statuses[key["AccessKeyId"]] == "Inactive" and len(statuses) == 2
    assert error_of(sts.get_caller_identity)[:2] == ("InvalidClientTokenId", 403)
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Arn"] == arn
    assert iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["UserName"] == user
    # The user's own key lists its own keys without naming the user.
    own = nimbus.client("iam", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert len(own.list_access_keys()["AccessKeyMetadata"]) == 2
    assert own.get_user()["User"]["UserName"] == user
    assert error_of(iam.delete_user, UserName=user)[2] == "Cannot delete entity, must delete access keys first."
    for k in statuses:
        iam.delete_access_key(UserName=user, AccessKeyId=k)
    # Deleted, the key is unknown: the default mode accepts unknown keys unverified as the
    # account's root (strict mode refuses them: test_iam_enforcement.py).
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    iam.delete_user(UserName=user)


def test_instance_profiles(iam):
    profile, role, other = name("ip"), name("r"), name("r")
    for r in (role, other):
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=EC2_TRUST)
    created = iam.create_instance_profile(InstanceProfileName=profile, Path="/app/")["InstanceProfile"]
    assert created["InstanceProfileId"].startswith("AIPA")
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/app/{profile}"
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert error_of(iam.add_role_to_instance_profile, InstanceProfileName=profile, RoleName=other)[:2] == ("LimitExceeded", 409)
    assert [r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"]] == [role]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]] == [profile]
    assert error_of(iam.delete_role, RoleName=role)[0] == "DeleteConflict"
    assert error_of(iam.delete_instance_profile, InstanceProfileName=profile)[0] == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=profile)
    assert error_of(iam.get_instance_profile, InstanceProfileName=profile) == \
        ("NoSuchEntity", 404, f"Instance Profile {profile} cannot be found.")


def test_oidc_and_saml_providers(iam):
    host = f"token.{uuid.uuid4().hex[:6]}.example.com"
    arn = iam.create_open_id_connect_provider(Url=f"https://{host}", ClientIDList=["sts.amazonaws.com"],
                                              ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"
    assert error_of(iam.create_open_id_connect_provider, Url=f"https://{host}", ThumbprintList=["a" * 40])[:2] == \
        ("EntityAlreadyExists", 409)
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["b" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (got["Url"], got["ClientIDList"], got["ThumbprintList"]) == (host, ["sts.amazonaws.com", "app"], ["b" * 40])
    assert arn in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error_of(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)[:2] == ("NoSuchEntity", 404)
    metadata = '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">' + " " * 1000 + "</EntityDescriptor>"
    saml = iam.create_saml_provider(Name=name("saml"), SAMLMetadataDocument=metadata)["SAMLProviderArn"]
    assert iam.get_saml_provider(SAMLProviderArn=saml)["SAMLMetadataDocument"] == metadata
    iam.delete_saml_provider(SAMLProviderArn=saml)
    assert error_of(iam.get_saml_provider, SAMLProviderArn=saml)[0] == "NoSuchEntity"


def test_password_policy_summary_and_authorization_details(server):
    iam = server.client("iam")
    assert error_of(iam.get_account_password_policy) == \
        ("NoSuchEntity", 404, f"The Password Policy with domain name {ACCOUNT} cannot be found.")
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, MaxPasswordAge=90)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert (policy["MinimumPasswordLength"], policy["RequireSymbols"], policy["ExpirePasswords"], policy["MaxPasswordAge"]) == \
        (12, True, True, 90)
    iam.create_user(UserName="console")
    assert error_of(iam.create_login_profile, UserName="console", Password="short")[0] == "PasswordPolicyViolation"
    iam.create_login_profile(UserName="console", Password="long-enough-password!")
    assert iam.get_login_profile(UserName="console")["LoginProfile"]["UserName"] == "console"
    iam.delete_account_password_policy()
    assert error_of(iam.delete_account_password_policy)[0] == "NoSuchEntity"
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=EC2_TRUST)
    iam.attach_role_policy(RoleName="reader", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_user_policy(UserName="console", PolicyName="inline", PolicyDocument=ALLOW_S3)
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["Users"], summary["Roles"], summary["AccessKeysPerUserQuota"]) == (1, 1, 2)
    details = iam.get_account_authorization_details()
    assert [u["UserName"] for u in details["UserDetailList"]] == ["console"]
    assert details["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"] == json.loads(ALLOW_S3)
    assert details["RoleDetailList"][0]["AttachedManagedPolicies"][0]["PolicyName"] == "ReadOnlyAccess"
    assert [p["PolicyName"] for p in details["Policies"]] == ["ReadOnlyAccess"]
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert only_roles["UserDetailList"] == [] and len(only_roles["RoleDetailList"]) == 1
    first = iam.get_account_authorization_details(MaxItems=1)
    assert first["IsTruncated"] is True
    rest = iam.get_account_authorization_details(Marker=first["Marker"])
    assert len(rest["RoleDetailList"]) + len(rest["Policies"]) == 2
    iam.create_account_alias(AccountAlias="nimbus-test")
    assert iam.list_account_aliases()["AccountAliases"] == ["nimbus-test"]


def test_simulator(iam):
    user = name("sim")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}))
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:GetObject", "s3:DeleteBucket", "sqs:SendMessage"])["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "explicitDeny", "implicitDeny"]
    assert results[0]["EvalResourceName"] == "*"
    assert results[0]["MatchedStatements"][0]["SourcePolicyId"] == "p"
    assert results[0]["MatchedStatements"][0]["SourcePolicyType"] == "user"
    assert results[2]["MissingContextValues"] == ["aws:requestedregion"]
    with_context = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["sqs:SendMessage"], ResourceArns=[f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q"],
        ContextEntries=[{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["eu-west-1"],
                         "ContextKeyType": "string"}])["EvaluationResults"][0]
    assert with_context["EvalDecision"] == "allowed"
    assert with_context["ResourceSpecificResults"][0]["EvalResourceDecision"] == "allowed"
    # A group's policies count for its members, a boundary given in the call limits them.
    group = name("sg")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="gp", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}))
    iam.add_user_to_group(GroupName=group, UserName=user)
    r = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["sns:Publish"])["EvaluationResults"][0]
    assert (r["EvalDecision"], r["MatchedStatements"][0]["SourcePolicyType"]) == ("allowed", "group")
    r = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["sns:Publish"],
        PermissionsBoundaryPolicyInputList=[ALLOW_S3])["EvaluationResults"][0]
    assert r["EvalDecision"] == "implicitDeny"
    custom = iam.simulate_custom_policy(
        PolicyInputList=[doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})],
        ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::b/k", "arn:aws:s3:::other/k"])["EvaluationResults"]
    assert [(r["EvalResourceName"], r["EvalDecision"]) for r in custom] == \
        [("arn:aws:s3:::b/k", "allowed"), ("arn:aws:s3:::other/k", "implicitDeny")]
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]
    assert keys == ["aws:RequestedRegion"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=["{bad"], ActionNames=["s3:GetObject"])
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_cli(nimbus):
    user = name("cli")
    out = nimbus.aws("iam", "create-user", "--user-name", user)
    assert out["User"]["UserName"] == user
    nimbus.aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "p", "--policy-document", ALLOW_S3)
    got = nimbus.aws("iam", "get-user-policy", "--user-name", user, "--policy-name", "p")
    assert got["PolicyDocument"]["Statement"][0]["Action"] == "s3:*"
    listed = nimbus.aws("iam", "list-users")
    assert user in [u["UserName"] for u in listed["Users"]]
    proc = nimbus.aws("iam", "get-user", "--user-name", "ghost-" + user, check=False)
    assert proc.returncode != 0 and "NoSuchEntity" in proc.stderr


def test_users_and_keys_survive_restart(data_dir):
    server = Nimbus(data_dir=data_dir)
    try:
        iam = server.client("iam")
        arn = iam.create_user(UserName="durable")["User"]["Arn"]
        iam.put_user_policy(UserName="durable", PolicyName="p", PolicyDocument=ALLOW_S3)
        key = iam.create_access_key(UserName="durable")["AccessKey"]
    finally:
        server.stop()
    again = Nimbus(data_dir=data_dir)
    try:
        iam = again.client("iam")
        assert iam.get_user(UserName="durable")["User"]["Arn"] == arn
        assert iam.list_user_policies(UserName="durable")["PolicyNames"] == ["p"]
        sts = again.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
        assert sts.get_caller_identity()["Arn"] == arn
    finally:
        again.stop()
