"""Secrets Manager end to end, through boto3 and the AWS CLI: secrets and their versions,
staging labels, idempotency, deletion and recovery, listing, batch reads, random passwords,
tags, resource policies, rotation settings, errors and persistence."""
import base64
import concurrent.futures
import datetime
import json
import re
import string
import uuid

import botocore.exceptions
import pytest

from conftest import code_of, error_of

ACCOUNT = "000000000000"
REGION = "us-east-1"
ARN_RE = r"arn:aws:secretsmanager:us-east-1:000000000000:secret:{name}-[A-Za-z0-9]{{6}}"
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
DAY = 86400


@pytest.fixture(scope="module")
def sm(nimbus):
    return nimbus.client("secretsmanager")


@pytest.fixture(scope="module")
def raw_sm(nimbus):
    """A client that skips boto3's own parameter checks, so the server's checks are exercised."""
    return nimbus.client("secretsmanager", parameter_validation=False)


def token():
    return str(uuid.uuid4())


def stages(sm, name):
    """VersionId -> sorted staging labels, from DescribeSecret."""
    return {v: sorted(s) for v, s in sm.describe_secret(SecretId=name).get("VersionIdsToStages", {}).items()}


def listed_names(sm, **kwargs):
    names, next_token = [], None
    while True:
        page = sm.list_secrets(**kwargs, **({"NextToken": next_token} if next_token else {}))
        names += [s["Name"] for s in page["SecretList"]]
        next_token = page.get("NextToken")
        if not next_token:
            return names


def kms_alias(nimbus, name):
    """Creates a KMS key under alias `name` (services encrypt with real KMS keys); returns `name`."""
    kms = nimbus.client("kms")
    kms.create_alias(AliasName=name, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    return name


def advance(server, seconds):
    return server.admin("POST", "/_nimbus/clock", {"advance_seconds": seconds})


# --- creating and reading -------------------------------------------------------------------

def test_create_string_secret_records_everything(nimbus, sm, unique):
    name = f"app/db-{unique}"
    my_key = kms_alias(nimbus, f"alias/my-key-{unique}")
    vid = token()
    created = sm.create_secret(Name=name, SecretString='{"user":"admin","pass":"s3cret"}',
                               Description="Primary database", KmsKeyId=my_key,
                               ClientRequestToken=vid,
                               Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}])
    assert created["Name"] == name
    assert re.fullmatch(ARN_RE.format(name=re.escape(name)), created["ARN"]), created["ARN"]
    assert created["VersionId"] == vid
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200

    described = sm.describe_secret(SecretId=name)
    assert described["ARN"] == created["ARN"]
    assert described["Name"] == name
    assert described["Description"] == "Primary database"
    assert described["KmsKeyId"] == my_key
    assert described["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}]
    assert described["VersionIdsToStages"] == {vid: ["AWSCURRENT"]}
    assert described["RotationEnabled"] is False
    assert "DeletedDate" not in described
    assert isinstance(described["CreatedDate"], datetime.datetime)
    assert described["LastChangedDate"] >= described["CreatedDate"]

    value = sm.get_secret_value(SecretId=name)
    assert value["SecretString"] == '{"user":"admin","pass":"s3cret"}'
    assert "SecretBinary" not in value
    assert value["VersionId"] == vid
    assert value["VersionStages"] == ["AWSCURRENT"]
    assert value["ARN"] == created["ARN"] and value["Name"] == name
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert [(v["VersionId"], v["VersionStages"]) for v in versions] == [(vid, ["AWSCURRENT"])]
    # The version remembers the key it was encrypted under.
    assert versions[0]["KmsKeyIds"] == [my_key]


def test_binary_secret_round_trips_exact_bytes(sm, unique):
    name = f"bin-{unique}"
    payload = bytes(range(256)) + b"\x00\xff"
    sm.create_secret(Name=name, SecretBinary=payload)
    value = sm.get_secret_value(SecretId=name)
    assert value["SecretBinary"] == payload
    assert "SecretString" not in value
    # A put may switch the secret to a string value.
    sm.put_secret_value(SecretId=name, SecretString="now text")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "now text"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretBinary"] == payload


def test_secret_without_value_has_no_version(sm, unique):
    name = f"empty-{unique}"
    created = sm.create_secret(Name=name, Description="filled later")
    assert "VersionId" not in created
    assert "VersionIdsToStages" not in sm.describe_secret(SecretId=name)
    code, status, message = error_of(sm.get_secret_value, SecretId=name)
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert "AWSCURRENT" in message
    # The first value put gets AWSCURRENT.
    put = sm.put_secret_value(SecretId=name, SecretString="first")
    assert put["VersionStages"] == ["AWSCURRENT"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "first"


def test_get_by_name_full_arn_and_partial_arn(sm, unique):
    name = f"svc/api-key-{unique}"
    arn = sm.create_secret(Name=name, SecretString="k1")["ARN"]
    partial = arn[:-7]
    assert partial == f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}"
    for secret_id in (name, arn, partial):
        value = sm.get_secret_value(SecretId=secret_id)
        assert value["SecretString"] == "k1", secret_id
        assert value["ARN"] == arn
        assert sm.describe_secret(SecretId=secret_id)["Name"] == name
    # A full ARN with the wrong random suffix, another region or another account names nothing.
    wrong_suffix = partial + "-" + ("AAAAAA" if not arn.endswith("AAAAAA") else "BBBBBB")
    for secret_id in (wrong_suffix, arn.replace(REGION, "eu-west-1"), arn.replace(ACCOUNT, "111122223333")):
        assert code_of(sm.get_secret_value, SecretId=secret_id) == ("ResourceNotFoundException", 400), secret_id
    # Writes through a partial ARN work too.
    sm.put_secret_value(SecretId=partial, SecretString="k2")
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "k2"


# --- versions and staging labels ------------------------------------------------------------

def test_put_moves_awscurrent_and_awsprevious(sm, unique):
    name = f"versions-{unique}"
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    put2 = sm.put_secret_value(SecretId=name, SecretString="two")
    v2 = put2["VersionId"]
    assert put2["VersionStages"] == ["AWSCURRENT"]
    assert stages(sm, name) == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    v3 = sm.put_secret_value(SecretId=name, SecretString="three")["VersionId"]
    # v1 lost its last label: deprecated, gone from the stage map but still readable by id.
    assert stages(sm, name) == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "three"
    prev = sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert (prev["SecretString"], prev["VersionId"], prev["VersionStages"]) == ("two", v2, ["AWSPREVIOUS"])
    old = sm.get_secret_value(SecretId=name, VersionId=v1)
    assert old["SecretString"] == "one"
    assert old.get("VersionStages", []) == []

    listed = sm.list_secret_version_ids(SecretId=name)
    assert listed["Name"] == name and listed["ARN"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-")
    assert {v["VersionId"]: v["VersionStages"] for v in listed["Versions"]} == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    everything = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert sorted(v["VersionId"] for v in everything) == sorted([v1, v2, v3])
    # Pages of one.
    seen, next_token = [], None
    while True:
        page = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True, MaxResults=1,
                                          **({"NextToken": next_token} if next_token else {}))
        assert len(page["Versions"]) == 1
        seen.append(page["Versions"][0]["VersionId"])
        next_token = page.get("NextToken")
        if not next_token:
            break
    assert sorted(seen) == sorted([v1, v2, v3])

    # Selecting a version that does not carry the stage, or a stage nobody carries.
    assert code_of(sm.get_secret_value, SecretId=name, VersionId=v1, VersionStage="AWSCURRENT") == \
        ("ResourceNotFoundException", 400)
    assert code_of(sm.get_secret_value, SecretId=name, VersionStage="NOPE") == ("ResourceNotFoundException", 400)
    assert code_of(sm.get_secret_value, SecretId=name, VersionId=token()) == ("ResourceNotFoundException", 400)


def test_custom_labels_and_update_secret_version_stage(sm, unique):
    name = f"stages-{unique}"
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    # A put with explicit stages leaves AWSCURRENT where it is.
    put = sm.put_secret_value(SecretId=name, SecretString="canary", VersionStages=["CANARY", "TESTING"])
    v3 = put["VersionId"]
    assert sorted(put["VersionStages"]) == ["CANARY", "TESTING"]
    assert stages(sm, name) == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"], v3: ["CANARY", "TESTING"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    assert sm.get_secret_value(SecretId=name, VersionStage="CANARY")["SecretString"] == "canary"

    # Moving a label that another version holds requires naming that version.
    code, status, message = error_of(sm.update_secret_version_stage, SecretId=name, VersionStage="CANARY",
                                     MoveToVersionId=v1)
    assert (code, status) == ("InvalidParameterException", 400)
    assert v3 in message
    moved = sm.update_secret_version_stage(SecretId=name, VersionStage="CANARY", MoveToVersionId=v1,
                                           RemoveFromVersionId=v3)
    assert moved["Name"] == name
    assert stages(sm, name) == {v1: ["AWSPREVIOUS", "CANARY"], v2: ["AWSCURRENT"], v3: ["TESTING"]}
    # Removing from the wrong version is refused.
    assert code_of(sm.update_secret_version_stage, SecretId=name, VersionStage="TESTING",
                   RemoveFromVersionId=v1) == ("InvalidParameterException", 400)
    # Removing a label outright.
    sm.update_secret_version_stage(SecretId=name, VersionStage="TESTING", RemoveFromVersionId=v3)
    assert v3 not in stages(sm, name)

    # Moving AWSCURRENT: AWSPREVIOUS follows to the version it left.
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v3,
                                   RemoveFromVersionId=v2)
    assert stages(sm, name) == {v1: ["CANARY"], v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "canary"
    # AWSCURRENT can only be moved, never removed.
    assert code_of(sm.update_secret_version_stage, SecretId=name, VersionStage="AWSCURRENT",
                   RemoveFromVersionId=v3) == ("InvalidParameterException", 400)
    # Unknown target version.
    assert code_of(sm.update_secret_version_stage, SecretId=name, VersionStage="NEW",
                   MoveToVersionId=token()) == ("ResourceNotFoundException", 400)
    # A brand-new label can be attached without RemoveFromVersionId.
    sm.update_secret_version_stage(SecretId=name, VersionStage="NEW", MoveToVersionId=v2)
    assert stages(sm, name)[v2] == ["AWSPREVIOUS", "NEW"]


def test_client_request_token_idempotency(sm, unique):
    name = f"idem-{unique}"
    create_token = token()
    first = sm.create_secret(Name=name, SecretString="v1", ClientRequestToken=create_token)
    # A retry of the same create (same token, same value) answers the same.
    again = sm.create_secret(Name=name, SecretString="v1", ClientRequestToken=create_token)
    assert (again["ARN"], again["VersionId"]) == (first["ARN"], create_token)
    # Same name, anything else: the secret exists.
    assert code_of(sm.create_secret, Name=name, SecretString="v1") == ("ResourceExistsException", 400)
    assert code_of(sm.create_secret, Name=name, SecretString="other", ClientRequestToken=create_token) == \
        ("ResourceExistsException", 400)

    put_token = token()
    put = sm.put_secret_value(SecretId=name, SecretString="v2", ClientRequestToken=put_token)
    assert put["VersionId"] == put_token
    retry = sm.put_secret_value(SecretId=name, SecretString="v2", ClientRequestToken=put_token)
    assert retry["VersionId"] == put_token
    assert retry["VersionStages"] == ["AWSCURRENT"]
    all_versions = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert sorted(v["VersionId"] for v in all_versions) == sorted([create_token, put_token])
    code, status, _ = error_of(sm.put_secret_value, SecretId=name, SecretString="different",
                               ClientRequestToken=put_token)
    assert (code, status) == ("ResourceExistsException", 400)
    # Nothing changed.
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v2"
    assert stages(sm, name) == {create_token: ["AWSPREVIOUS"], put_token: ["AWSCURRENT"]}
    # UpdateSecret follows the same rule.
    assert code_of(sm.update_secret, SecretId=name, SecretString="different", ClientRequestToken=put_token) == \
        ("ResourceExistsException", 400)


def test_update_secret(nimbus, sm, unique):
    name = f"update-{unique}"
    other = kms_alias(nimbus, f"alias/other-{unique}")
    v1 = sm.create_secret(Name=name, SecretString="one", Description="before")["VersionId"]
    # Metadata only: no new version.
    meta = sm.update_secret(SecretId=name, Description="after", KmsKeyId=other)
    assert meta["Name"] == name and "VersionId" not in meta
    described = sm.describe_secret(SecretId=name)
    assert (described["Description"], described["KmsKeyId"]) == ("after", other)
    assert described["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    # A value: a new current version.
    v2 = sm.update_secret(SecretId=name, SecretString="two")["VersionId"]
    assert v2 != v1
    assert stages(sm, name) == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    assert sm.describe_secret(SecretId=name)["Description"] == "after"
    assert code_of(sm.update_secret, SecretId=f"missing-{unique}", Description="x") == \
        ("ResourceNotFoundException", 400)
    assert code_of(sm.update_secret, SecretId=name, SecretString="a", SecretBinary=b"b") == \
        ("InvalidParameterException", 400)


def test_concurrent_writers_never_lose_a_version(nimbus, unique):
    sm = nimbus.client("secretsmanager", max_pool_connections=16)
    name = f"race-{unique}"
    first = sm.create_secret(Name=name, SecretString="0")["VersionId"]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: sm.put_secret_value(SecretId=name, SecretString=str(i))["VersionId"],
                            range(1, 25)))
    assert len(set(ids)) == 24
    versions = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == sorted(ids + [first])
    labels = sorted(label for v in versions for label in v.get("VersionStages", []))
    assert labels == ["AWSCURRENT", "AWSPREVIOUS"]
    current = sm.get_secret_value(SecretId=name)
    assert current["VersionId"] in ids and current["SecretString"] == str(ids.index(current["VersionId"]) + 1)

    # Many creates of one name: exactly one wins.
    def create(i):
        try:
            sm.create_secret(Name=f"{name}-once", SecretString=str(i))
            return "created"
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(create, range(12)))
    assert outcomes == ["ResourceExistsException"] * 11 + ["created"]


# --- deletion -------------------------------------------------------------------------------

def test_delete_with_recovery_window_restore_and_expiry(start_nimbus):
    server = start_nimbus()
    sm = server.client("secretsmanager")
    name = "doomed"
    arn = sm.create_secret(Name=name, SecretString="keep me")["ARN"]

    deleted = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert (deleted["ARN"], deleted["Name"]) == (arn, name)
    described = sm.describe_secret(SecretId=name)
    assert (deleted["DeletionDate"] - described["DeletedDate"]).total_seconds() == pytest.approx(7 * DAY, abs=1)

    # Marked for deletion: reads and writes refused, describe still works.
    for call, kwargs in ((sm.get_secret_value, {}), (sm.put_secret_value, {"SecretString": "x"}),
                         (sm.update_secret, {"Description": "x"}),
                         (sm.tag_resource, {"Tags": [{"Key": "k", "Value": "v"}]})):
        code, status, message = error_of(call, SecretId=name, **kwargs)
        assert (code, status) == ("InvalidRequestException", 400), call
        assert "marked for deletion" in message
    assert code_of(sm.delete_secret, SecretId=name) == ("InvalidRequestException", 400)
    assert code_of(sm.create_secret, Name=name, SecretString="x") == ("InvalidRequestException", 400)
    assert [s["Name"] for s in sm.list_secrets()["SecretList"]] == []
    planned = sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert [s["Name"] for s in planned] == [name] and "DeletedDate" in planned[0]
    # The sixth day: still recoverable.
    advance(server, 6 * DAY)
    assert sm.describe_secret(SecretId=name)["Name"] == name

    restored = sm.restore_secret(SecretId=name)
    assert (restored["ARN"], restored["Name"]) == (arn, name)
    assert "DeletedDate" not in sm.describe_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "keep me"

    # Default window is 30 days; past it, the secret is gone for good.
    deleted = sm.delete_secret(SecretId=name)
    described = sm.describe_secret(SecretId=name)
    assert (deleted["DeletionDate"] - described["DeletedDate"]).total_seconds() == pytest.approx(30 * DAY, abs=1)
    advance(server, 29 * DAY)
    assert sm.describe_secret(SecretId=name)["Name"] == name
    advance(server, DAY + 60)
    for call in (sm.describe_secret, sm.get_secret_value, sm.restore_secret, sm.list_secret_version_ids):
        assert code_of(call, SecretId=name) == ("ResourceNotFoundException", 400), call
    assert sm.list_secrets(IncludePlannedDeletion=True)["SecretList"] == []
    # The name is free again, for a brand-new secret.
    new = sm.create_secret(Name=name, SecretString="reborn")
    assert new["ARN"] != arn
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "reborn"
    assert code_of(sm.get_secret_value, SecretId=arn) == ("ResourceNotFoundException", 400)


def test_force_delete_without_recovery(sm, unique):
    name = f"force-{unique}"
    arn = sm.create_secret(Name=name, SecretString="bye")["ARN"]
    deleted = sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert (deleted["ARN"], deleted["Name"]) == (arn, name)
    assert isinstance(deleted["DeletionDate"], datetime.datetime)
    assert code_of(sm.get_secret_value, SecretId=name) == ("ResourceNotFoundException", 400)
    assert code_of(sm.describe_secret, SecretId=name) == ("ResourceNotFoundException", 400)
    assert name not in listed_names(sm, IncludePlannedDeletion=True, Filters=[{"Key": "name", "Values": [name]}])
    # Immediately reusable.
    assert sm.create_secret(Name=name, SecretString="again")["ARN"] != arn
    # A secret already scheduled for deletion can still be force-deleted.
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=10)
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert code_of(sm.describe_secret, SecretId=name) == ("ResourceNotFoundException", 400)
    assert code_of(sm.delete_secret, SecretId=name, ForceDeleteWithoutRecovery=True) == \
        ("ResourceNotFoundException", 400)


def test_invalid_recovery_windows(sm, unique):
    name = f"window-{unique}"
    sm.create_secret(Name=name, SecretString="x")
    for days in (6, 31, 0, -1):
        code, status, message = error_of(sm.delete_secret, SecretId=name, RecoveryWindowInDays=days)
        assert (code, status) == ("InvalidParameterException", 400), days
    assert code_of(sm.delete_secret, SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True) == \
        ("InvalidParameterException", 400)
    # None of those touched the secret; the bounds themselves are accepted.
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "x"
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=30)
    sm.restore_secret(SecretId=name)
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert "DeletedDate" in sm.describe_secret(SecretId=name)


# --- listing --------------------------------------------------------------------------------

def test_list_secrets_filters(sm, unique):
    p = f"lf-{unique}-"
    sm.create_secret(Name=p + "alpha", SecretString="a", Description="Primary DB creds",
                     Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}])
    sm.create_secret(Name=p + "beta", SecretString="b", Description="replica db",
                     Tags=[{"Key": "env", "Value": "dev"}])
    sm.create_secret(Name=p + "gamma", SecretString="c", Tags=[{"Key": "owner", "Value": "prodteam"}])

    def names(*filters):
        return sorted(n[len(p):] for n in listed_names(sm, Filters=[{"Key": "name", "Values": [p]}, *filters]))

    assert names() == ["alpha", "beta", "gamma"]
    assert sorted(listed_names(sm, Filters=[{"Key": "name", "Values": [p + "al", p + "ga"]}])) == \
        [p + "alpha", p + "gamma"]
    # Names match case-sensitively, descriptions not.
    assert listed_names(sm, Filters=[{"Key": "name", "Values": [p.upper()]}]) == []
    assert names({"Key": "description", "Values": ["primary"]}) == ["alpha"]
    assert names({"Key": "description", "Values": ["REPLICA", "Primary"]}) == ["alpha", "beta"]
    assert names({"Key": "tag-key", "Values": ["env"]}) == ["alpha", "beta"]
    assert names({"Key": "tag-key", "Values": ["te"]}) == ["alpha"]
    assert names({"Key": "tag-value", "Values": ["prod"]}) == ["alpha", "gamma"]
    assert names({"Key": "tag-value", "Values": ["Prod"]}) == []
    # Negation.
    assert names({"Key": "tag-key", "Values": ["!env"]}) == ["gamma"]
    assert names({"Key": "tag-value", "Values": ["!prod"]}) == ["beta"]
    assert sorted(listed_names(sm, Filters=[{"Key": "name", "Values": [p, "!" + p + "b"]}])) == \
        [p + "alpha", p + "gamma"]
    # `all`: words of the value, matched case-insensitively against every attribute.
    assert names({"Key": "all", "Values": ["PRIMARY"]}) == ["alpha"]
    assert names({"Key": "all", "Values": ["db"]}) == ["alpha", "beta"]
    assert names({"Key": "all", "Values": ["core"]}) == ["alpha"]
    assert names({"Key": "all", "Values": ["gamma"]}) == ["gamma"]
    # Filters combine with AND.
    assert names({"Key": "tag-key", "Values": ["env"]}, {"Key": "tag-value", "Values": ["dev"]}) == ["beta"]
    # Entries carry the secret's metadata.
    entry = sm.list_secrets(Filters=[{"Key": "name", "Values": [p + "alpha"]}])["SecretList"][0]
    assert entry["Description"] == "Primary DB creds"
    assert {t["Key"]: t["Value"] for t in entry["Tags"]} == {"env": "prod", "team": "core"}
    assert list(entry["SecretVersionsToStages"].values()) == [["AWSCURRENT"]]
    assert entry["ARN"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{p}alpha-")


def test_list_secrets_pagination_and_sort_order(sm, unique):
    p = f"page-{unique}-"
    expected = [f"{p}{i}" for i in range(7)]
    for n in expected:
        sm.create_secret(Name=n, SecretString=n)
    only_mine = [{"Key": "name", "Values": [p]}]
    pages = []
    next_token = None
    while True:
        page = sm.list_secrets(Filters=only_mine, MaxResults=3, **({"NextToken": next_token} if next_token else {}))
        pages.append([s["Name"] for s in page["SecretList"]])
        next_token = page.get("NextToken")
        if not next_token:
            break
    assert [len(pg) for pg in pages] == [3, 3, 1]
    assert sum(pages, []) == expected  # oldest first by default
    assert listed_names(sm, Filters=only_mine, SortOrder="asc", MaxResults=2) == expected
    assert listed_names(sm, Filters=only_mine, SortOrder="desc", MaxResults=2) == expected[::-1]
    assert listed_names(sm, Filters=only_mine, SortBy="name", SortOrder="desc") == sorted(expected, reverse=True)
    assert code_of(sm.list_secrets, NextToken="not a token!") == ("InvalidNextTokenException", 400)


def test_batch_get_secret_value(sm, unique):
    p = f"batch-{unique}-"
    arns = [sm.create_secret(Name=f"{p}{i}", SecretString=f"value-{i}")["ARN"] for i in range(4)]
    missing = f"{p}missing"
    got = sm.batch_get_secret_value(SecretIdList=[f"{p}0", arns[1], missing])
    assert sorted((v["Name"], v["SecretString"]) for v in got["SecretValues"]) == \
        [(f"{p}0", "value-0"), (f"{p}1", "value-1")]
    assert all(v["VersionStages"] == ["AWSCURRENT"] for v in got["SecretValues"])
    assert [(e["SecretId"], e["ErrorCode"]) for e in got["Errors"]] == [(missing, "ResourceNotFoundException")]

    # A secret marked for deletion is an error entry, not a value.
    sm.delete_secret(SecretId=f"{p}3", RecoveryWindowInDays=7)
    got = sm.batch_get_secret_value(SecretIdList=[f"{p}2", f"{p}3"])
    assert [v["SecretString"] for v in got["SecretValues"]] == ["value-2"]
    assert [(e["SecretId"], e["ErrorCode"]) for e in got["Errors"]] == [(f"{p}3", "InvalidRequestException")]

    # By filter, paged.
    values, next_token = [], None
    while True:
        page = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [p]}], MaxResults=2,
                                         **({"NextToken": next_token} if next_token else {}))
        assert len(page["SecretValues"]) <= 2
        values += [(v["Name"], v["SecretString"]) for v in page["SecretValues"]]
        next_token = page.get("NextToken")
        if not next_token:
            break
    assert sorted(values) == [(f"{p}{i}", f"value-{i}") for i in range(3)]

    assert code_of(sm.batch_get_secret_value, SecretIdList=[f"{p}0"], Filters=[{"Key": "name", "Values": [p]}]) \
        == ("InvalidParameterException", 400)
    assert code_of(sm.batch_get_secret_value) == ("InvalidParameterException", 400)


# --- random passwords -----------------------------------------------------------------------

def test_get_random_password_obeys_options(sm, raw_sm):
    default = sm.get_random_password()["RandomPassword"]
    assert len(default) == 32
    assert set(default) <= set(string.ascii_letters + string.digits + PUNCTUATION)

    excluded = "abcXYZ012!@#"
    for _ in range(5):
        pw = sm.get_random_password(PasswordLength=100, ExcludeCharacters=excluded)["RandomPassword"]
        assert len(pw) == 100
        assert not set(pw) & set(excluded)
    pw = sm.get_random_password(PasswordLength=200, ExcludePunctuation=True)["RandomPassword"]
    assert len(pw) == 200 and pw.isalnum()
    pw = sm.get_random_password(PasswordLength=200, ExcludeNumbers=True, ExcludeLowercase=True)["RandomPassword"]
    assert set(pw) <= set(string.ascii_uppercase + PUNCTUATION)
    assert set(pw) & set(string.ascii_uppercase) and set(pw) & set(PUNCTUATION)
    pw = sm.get_random_password(PasswordLength=64, ExcludeUppercase=True, ExcludeLowercase=True,
                                ExcludePunctuation=True)["RandomPassword"]
    assert len(pw) == 64 and pw.isdigit()
    pw = sm.get_random_password(PasswordLength=3000, IncludeSpace=True, ExcludePunctuation=True)["RandomPassword"]
    assert " " in pw and set(pw) <= set(string.ascii_letters + string.digits + " ")
    pw = sm.get_random_password(PasswordLength=300)["RandomPassword"]
    assert " " not in pw

    # RequireEachIncludedType: every password holds each included type, even the shortest.
    for _ in range(30):
        pw = sm.get_random_password(PasswordLength=4, RequireEachIncludedType=True)["RandomPassword"]
        assert len(pw) == 4
        assert any(c.islower() for c in pw) and any(c.isupper() for c in pw)
        assert any(c.isdigit() for c in pw) and any(c in PUNCTUATION for c in pw)
    for _ in range(20):
        pw = sm.get_random_password(PasswordLength=2, ExcludeNumbers=True, ExcludePunctuation=True,
                                    RequireEachIncludedType=True)["RandomPassword"]
        assert any(c.islower() for c in pw) and any(c.isupper() for c in pw)
    assert len(sm.get_random_password(PasswordLength=4096)["RandomPassword"]) == 4096

    assert code_of(sm.get_random_password, PasswordLength=3, RequireEachIncludedType=True) == \
        ("InvalidParameterException", 400)
    assert code_of(sm.get_random_password, ExcludeUppercase=True, ExcludeLowercase=True, ExcludeNumbers=True,
                   ExcludePunctuation=True) == ("InvalidParameterException", 400)
    # Length bounds are the model's (1..4096), checked before the service sees the request.
    code, status, message = error_of(raw_sm.get_random_password, PasswordLength=4097)
    assert (code, status) == ("ValidationException", 400)
    assert "passwordLength" in message and "less than or equal to 4096" in message
    code, status, message = error_of(raw_sm.get_random_password, PasswordLength=0)
    assert (code, status) == ("ValidationException", 400)
    assert "greater than or equal to 1" in message


# --- tags -----------------------------------------------------------------------------------

def test_tag_and_untag(sm, unique):
    name = f"tags-{unique}"
    sm.create_secret(Name=name, SecretString="x", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "one"}])
    assert {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId=name)["Tags"]} == {"a": "one", "b": "2"}
    sm.untag_resource(SecretId=name, TagKeys=["a", "not-there"])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    sm.untag_resource(SecretId=name, TagKeys=["b"])
    assert "Tags" not in sm.describe_secret(SecretId=name) or sm.describe_secret(SecretId=name)["Tags"] == []
    assert code_of(sm.tag_resource, SecretId=f"none-{unique}", Tags=[{"Key": "k", "Value": "v"}]) == \
        ("ResourceNotFoundException", 400)

    # At most 50 tags per secret (AWS's quota; the reserved aws: prefix doesn't count).
    fifty = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    assert code_of(sm.create_secret, Name=f"{name}-51", SecretString="x",
                   Tags=fifty + [{"Key": "k50", "Value": "v"}]) == ("InvalidParameterException", 400)
    assert code_of(sm.describe_secret, SecretId=f"{name}-51") == ("ResourceNotFoundException", 400)
    sm.tag_resource(SecretId=name, Tags=fifty)
    sm.tag_resource(SecretId=name, Tags=[{"Key": "k0", "Value": "changed"}])
    assert code_of(sm.tag_resource, SecretId=name, Tags=[{"Key": "one-too-many", "Value": "v"}]) == \
        ("InvalidParameterException", 400)
    tags = {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId=name)["Tags"]}
    assert len(tags) == 50 and tags["k0"] == "changed" and "one-too-many" not in tags
    assert code_of(sm.untag_resource, SecretId=f"none-{unique}", TagKeys=["k"]) == ("ResourceNotFoundException", 400)


# --- resource policies ----------------------------------------------------------------------

def policy(principal, condition=None):
    statement = {"Effect": "Allow", "Principal": principal, "Action": "secretsmanager:GetSecretValue",
                 "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_resource_policy_lifecycle(sm, unique):
    name = f"policy-{unique}"
    arn = sm.create_secret(Name=name, SecretString="x")["ARN"]
    empty = sm.get_resource_policy(SecretId=name)
    assert (empty["ARN"], empty["Name"]) == (arn, name) and "ResourcePolicy" not in empty

    private = policy({"AWS": "arn:aws:iam::111122223333:root"})
    put = sm.put_resource_policy(SecretId=name, ResourcePolicy=private, BlockPublicPolicy=True)
    assert (put["ARN"], put["Name"]) == (arn, name)
    assert json.loads(sm.get_resource_policy(SecretId=arn)["ResourcePolicy"]) == json.loads(private)

    public = policy("*")
    code, status, _ = error_of(sm.put_resource_policy, SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True)
    assert (code, status) == ("PublicPolicyException", 400)
    assert code_of(sm.put_resource_policy, SecretId=name, ResourcePolicy=policy({"AWS": "*"}),
                   BlockPublicPolicy=True) == ("PublicPolicyException", 400)
    # The refused policy did not replace the stored one.
    assert json.loads(sm.get_resource_policy(SecretId=name)["ResourcePolicy"]) == json.loads(private)
    # A condition narrows access enough; without the block a public policy is accepted.
    narrowed = policy("*", {"StringEquals": {"aws:PrincipalAccount": "111122223333"}})
    sm.put_resource_policy(SecretId=name, ResourcePolicy=narrowed, BlockPublicPolicy=True)
    sm.put_resource_policy(SecretId=name, ResourcePolicy=public)
    assert json.loads(sm.get_resource_policy(SecretId=name)["ResourcePolicy"]) == json.loads(public)

    assert code_of(sm.put_resource_policy, SecretId=name, ResourcePolicy="{not json") == \
        ("MalformedPolicyDocumentException", 400)
    assert code_of(sm.put_resource_policy, SecretId=name,
                   ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]})) == \
        ("MalformedPolicyDocumentException", 400)
    assert code_of(sm.put_resource_policy, SecretId=f"none-{unique}", ResourcePolicy=private) == \
        ("ResourceNotFoundException", 400)

    deleted = sm.delete_resource_policy(SecretId=name)
    assert (deleted["ARN"], deleted["Name"]) == (arn, name)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)


def test_validate_resource_policy(sm, unique):
    ok = sm.validate_resource_policy(ResourcePolicy=policy({"AWS": "arn:aws:iam::111122223333:root"}))
    assert ok["PolicyValidationPassed"] is True and ok["ValidationErrors"] == []
    public = sm.validate_resource_policy(ResourcePolicy=policy("*"))
    assert public["PolicyValidationPassed"] is False
    assert [e["CheckName"] for e in public["ValidationErrors"]] == ["PUBLIC_ACCESS_CHECK"]
    bad = sm.validate_resource_policy(ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    assert bad["PolicyValidationPassed"] is False
    assert {e["CheckName"] for e in bad["ValidationErrors"]} == {"SYNTAX_CHECK"}
    assert code_of(sm.validate_resource_policy, ResourcePolicy="nope") == ("MalformedPolicyDocumentException", 400)
    name = f"validate-{unique}"
    sm.create_secret(Name=name, SecretString="x")
    assert sm.validate_resource_policy(SecretId=name, ResourcePolicy=policy({"AWS": ACCOUNT}))[
        "PolicyValidationPassed"] is True
    assert code_of(sm.validate_resource_policy, SecretId=f"none-{unique}", ResourcePolicy=policy("*")) == \
        ("ResourceNotFoundException", 400)


# --- rotation -------------------------------------------------------------------------------

def test_rotate_secret_records_configuration(sm, raw_sm, unique):
    name = f"rotate-{unique}"
    sm.create_secret(Name=name, SecretString="x")
    # No rotation function known: refused.
    assert code_of(sm.rotate_secret, SecretId=name) == ("InvalidRequestException", 400)
    lambda_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rotator"
    rotation_token = token()
    rotated = sm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn, ClientRequestToken=rotation_token,
                               RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    assert rotated["Name"] == name and rotated["VersionId"] == rotation_token
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == lambda_arn
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert (described["NextRotationDate"] - described["LastChangedDate"]).total_seconds() == \
        pytest.approx(30 * DAY, abs=2)

    sm.rotate_secret(SecretId=name, RotationRules={"ScheduleExpression": "rate(10 days)", "Duration": "3h"})
    described = sm.describe_secret(SecretId=name)
    rules = described["RotationRules"]
    assert (rules["ScheduleExpression"], rules["Duration"]) == ("rate(10 days)", "3h")
    assert described["RotationLambdaARN"] == lambda_arn
    assert (described["NextRotationDate"] - described["LastChangedDate"]).total_seconds() == \
        pytest.approx(10 * DAY, abs=2)

    assert code_of(sm.rotate_secret, SecretId=name,
                   RotationRules={"ScheduleExpression": "every tuesday"}) == ("InvalidParameterException", 400)
    assert code_of(sm.rotate_secret, SecretId=name, RotationRules={"AutomaticallyAfterDays": 5,
                                                                   "ScheduleExpression": "rate(5 days)"}) == \
        ("InvalidParameterException", 400)
    code, status, message = error_of(raw_sm.rotate_secret, SecretId=name,
                                     RotationRules={"AutomaticallyAfterDays": 1001})
    assert (code, status) == ("ValidationException", 400)
    assert "rotationRules.automaticallyAfterDays" in message

    cancelled = sm.cancel_rotate_secret(SecretId=name)
    assert cancelled["Name"] == name
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is False
    assert "NextRotationDate" not in described
    # The function and rules stay recorded.
    assert described["RotationLambdaARN"] == lambda_arn


def test_unfinished_rotation_blocks_rotate_and_finishing_it_records_the_date(sm, unique):
    name = f"pending-{unique}"
    current = sm.create_secret(Name=name, SecretString="old")["VersionId"]
    lambda_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rotator"
    sm.rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn, RotationRules={"AutomaticallyAfterDays": 7})
    assert "LastRotatedDate" not in sm.describe_secret(SecretId=name)
    # What a rotation function's createSecret step leaves behind: a version labeled AWSPENDING.
    pending = sm.put_secret_value(SecretId=name, SecretString="new", VersionStages=["AWSPENDING"])["VersionId"]
    assert stages(sm, name) == {current: ["AWSCURRENT"], pending: ["AWSPENDING"]}
    code, status, _ = error_of(sm.rotate_secret, SecretId=name)
    assert (code, status) == ("InvalidRequestException", 400)
    # finishSecret: AWSCURRENT moves onto the pending version; the rotation is done.
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=pending,
                                   RemoveFromVersionId=current)
    described = sm.describe_secret(SecretId=name)
    assert isinstance(described["LastRotatedDate"], datetime.datetime)
    assert stages(sm, name) == {current: ["AWSPREVIOUS"], pending: ["AWSCURRENT", "AWSPENDING"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "new"
    # AWSPENDING on the current version does not count as a rotation in progress.
    sm.rotate_secret(SecretId=name)
    # CancelRotateSecret reports an unfinished pending version.
    other = sm.put_secret_value(SecretId=name, SecretString="newer", VersionStages=["AWSPENDING"])["VersionId"]
    cancelled = sm.cancel_rotate_secret(SecretId=name)
    assert cancelled["VersionId"] == other
    assert sm.describe_secret(SecretId=name)["RotationEnabled"] is False


def test_regions_and_accounts_are_isolated(nimbus, sm, unique):
    name = f"isolated-{unique}"
    arn = sm.create_secret(Name=name, SecretString="east")["ARN"]
    west = nimbus.client("secretsmanager", region="eu-west-1")
    other_account = nimbus.client("secretsmanager", access_key="123456789012", secret_key="x")
    for client in (west, other_account):
        assert code_of(client.get_secret_value, SecretId=name) == ("ResourceNotFoundException", 400)
        assert code_of(client.get_secret_value, SecretId=arn) == ("ResourceNotFoundException", 400)
        assert client.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"] == []
    west_arn = west.create_secret(Name=name, SecretString="west")["ARN"]
    assert west_arn.startswith(f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:{name}-")
    other_arn = other_account.create_secret(Name=name, SecretString="other")["ARN"]
    assert other_arn.startswith(f"arn:aws:secretsmanager:{REGION}:123456789012:secret:{name}-")
    assert west.get_secret_value(SecretId=name)["SecretString"] == "west"
    assert other_account.get_secret_value(SecretId=name)["SecretString"] == "other"
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "east"
    assert west.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"][0]["PrimaryRegion"] == \
        "eu-west-1"


def test_last_accessed_date_is_the_day_of_the_last_read(nimbus, sm, unique):
    name = f"accessed-{unique}"
    sm.create_secret(Name=name, SecretString="x")
    assert "LastAccessedDate" not in sm.describe_secret(SecretId=name)
    sm.get_secret_value(SecretId=name)
    now = datetime.datetime.fromisoformat(nimbus.admin("GET", "/_nimbus/clock")["now"].replace("Z", "+00:00"))
    accessed = sm.describe_secret(SecretId=name)["LastAccessedDate"].astimezone(datetime.timezone.utc)
    assert accessed == now.replace(hour=0, minute=0, second=0, microsecond=0)
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert versions[0]["LastAccessedDate"].astimezone(datetime.timezone.utc) == accessed


# --- errors ---------------------------------------------------------------------------------

def test_errors_have_exact_codes_and_statuses(sm, raw_sm, unique):
    code, status, message = error_of(sm.get_secret_value, SecretId=f"nope-{unique}")
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert message == "Secrets Manager can't find the specified secret."
    for call in (sm.describe_secret, sm.delete_secret, sm.restore_secret, sm.list_secret_version_ids,
                 sm.get_resource_policy, sm.cancel_rotate_secret):
        assert code_of(call, SecretId=f"nope-{unique}") == ("ResourceNotFoundException", 400), call
    assert code_of(sm.put_secret_value, SecretId=f"nope-{unique}", SecretString="x") == \
        ("ResourceNotFoundException", 400)

    name = f"err-{unique}"
    sm.create_secret(Name=name, SecretString="x")
    code, status, message = error_of(sm.create_secret, Name=name, SecretString="y")
    assert (code, status) == ("ResourceExistsException", 400)
    assert name in message
    assert code_of(sm.create_secret, Name=f"both-{unique}", SecretString="a", SecretBinary=b"b") == \
        ("InvalidParameterException", 400)
    assert code_of(sm.put_secret_value, SecretId=name) == ("InvalidParameterException", 400)

    # The model's constraints, checked by the protocol layer.
    code, status, message = error_of(raw_sm.create_secret, Name="n" * 513, SecretString="x")
    assert (code, status) == ("ValidationException", 400)
    assert message == ("1 validation error detected: Value '" + "n" * 513 +
                       "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 512")
    assert sm.create_secret(Name="m" * 500 + unique, SecretString="x")["Name"] == "m" * 500 + unique
    code, status, message = error_of(raw_sm.put_secret_value, SecretId=name, SecretString="x",
                                     ClientRequestToken="too-short")
    assert (code, status) == ("ValidationException", 400)
    assert "'clientRequestToken'" in message and "greater than or equal to 32" in message
    code, status, message = error_of(raw_sm.put_secret_value, SecretId=name, SecretString="x" * 65537)
    assert (code, status) == ("ValidationException", 400)
    assert "at 'secretString'" in message and "less than or equal to 65536" in message
    assert "x" * 65537 not in message  # a sensitive value is not echoed
    code, status, message = error_of(raw_sm.describe_secret)
    assert (code, status) == ("ValidationException", 400)
    assert "'secretId'" in message and "must not be null" in message
    code, status, message = error_of(raw_sm.list_secrets, MaxResults=101)
    assert (code, status) == ("ValidationException", 400)
    assert "'maxResults'" in message
    # Characters a secret name may not contain.
    code, status, message = error_of(sm.create_secret, Name=f"bad name#{unique}", SecretString="x")
    assert (code, status) == ("ValidationException", 400)
    assert "Invalid name" in message
    # Wrong types fail to parse.
    code, status, _ = error_of(raw_sm.list_secrets, MaxResults="ten")
    assert (code, status) == ("SerializationException", 400)


# --- the AWS CLI ----------------------------------------------------------------------------

def test_cli_round_trip(nimbus, unique):
    name = f"cli/secret-{unique}"
    created = nimbus.aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "cli-value",
                         "--description", "from the cli", "--tags", "Key=origin,Value=cli")
    assert created["Name"] == name
    assert re.fullmatch(ARN_RE.format(name=re.escape(name)), created["ARN"])
    got = nimbus.aws("secretsmanager", "get-secret-value", "--secret-id", name)
    assert (got["SecretString"], got["VersionId"], got["VersionStages"]) == \
        ("cli-value", created["VersionId"], ["AWSCURRENT"])
    got = nimbus.aws("secretsmanager", "get-secret-value", "--secret-id", created["ARN"][:-7])
    assert got["SecretString"] == "cli-value"

    listed = nimbus.aws("secretsmanager", "list-secrets", "--filters", f"Key=name,Values={name}",
                        "Key=tag-value,Values=cli")
    assert [(s["Name"], s["Description"]) for s in listed["SecretList"]] == [(name, "from the cli")]
    listed = nimbus.aws("secretsmanager", "list-secrets", "--filters", f"Key=name,Values={name}",
                        "Key=tag-value,Values=!cli")
    assert listed["SecretList"] == []

    pw = nimbus.aws("secretsmanager", "get-random-password", "--password-length", "48", "--exclude-punctuation",
                    "--require-each-included-type")["RandomPassword"]
    assert len(pw) == 48 and pw.isalnum()
    assert any(c.isdigit() for c in pw) and any(c.isupper() for c in pw) and any(c.islower() for c in pw)

    deleted = nimbus.aws("secretsmanager", "delete-secret", "--secret-id", name, "--force-delete-without-recovery")
    assert deleted["Name"] == name and deleted["ARN"] == created["ARN"] and "DeletionDate" in deleted
    proc = nimbus.aws("secretsmanager", "get-secret-value", "--secret-id", name, check=False)
    assert proc.returncode != 0 and "ResourceNotFoundException" in proc.stderr


# --- persistence ----------------------------------------------------------------------------

def test_secrets_survive_restart_and_are_sealed_on_disk(start_nimbus, data_dir):
    plaintext = "plaintext-" + uuid.uuid4().hex
    binary = b"\x00binary-" + uuid.uuid4().hex.encode()
    server = start_nimbus(data_dir=data_dir)
    sm = server.client("secretsmanager")
    arn = sm.create_secret(Name="durable", SecretString=plaintext + "-v1", Tags=[{"Key": "k", "Value": "v"}],
                           Description="kept")["ARN"]
    v2 = sm.put_secret_value(SecretId="durable", SecretString=plaintext)["VersionId"]
    sm.create_secret(Name="durable-bin", SecretBinary=binary)
    sm.delete_secret(SecretId="durable-bin", RecoveryWindowInDays=7)
    assert server.stop() == 0

    for path in data_dir.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert plaintext.encode() not in raw, path
            assert binary not in raw, path
            assert base64.b64encode(binary) not in raw, path

    server = start_nimbus(data_dir=data_dir)
    sm = server.client("secretsmanager")
    value = sm.get_secret_value(SecretId=arn)
    assert (value["SecretString"], value["VersionId"]) == (plaintext, v2)
    assert sm.get_secret_value(SecretId="durable", VersionStage="AWSPREVIOUS")["SecretString"] == plaintext + "-v1"
    described = sm.describe_secret(SecretId="durable")
    assert described["Tags"] == [{"Key": "k", "Value": "v"}] and described["Description"] == "kept"
    # The scheduled deletion survived too, and so did the value behind it.
    assert code_of(sm.get_secret_value, SecretId="durable-bin") == ("InvalidRequestException", 400)
    sm.restore_secret(SecretId="durable-bin")
    assert sm.get_secret_value(SecretId="durable-bin")["SecretBinary"] == binary
