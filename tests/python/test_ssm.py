"""SSM Parameter Store end to end, through boto3 and the AWS CLI: types, versions, selectors,
labels, paths, filters, pagination, decryption, history, deletion, tags, tiers, name rules,
allowed patterns, policies and persistence."""
import concurrent.futures
import datetime
import json
import uuid

import botocore.exceptions
import pytest

from conftest import code_of, error_of

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def ssm(nimbus):
    return nimbus.client("ssm")


@pytest.fixture(scope="module")
def raw_ssm(nimbus):
    """A client that skips boto3's own parameter checks, so the server's checks are exercised."""
    return nimbus.client("ssm", parameter_validation=False)


def arn(name):
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{name.lstrip('/')}"


def all_pages(call, key, **kwargs):
    """Every item of a paged listing, and the page sizes seen."""
    items, sizes, next_token = [], [], None
    while True:
        page = call(**kwargs, **({"NextToken": next_token} if next_token else {}))
        items += page[key]
        sizes.append(len(page[key]))
        next_token = page.get("NextToken")
        if not next_token:
            return items, sizes


def expiration(at):
    return json.dumps([{"Type": "Expiration", "Version": "1.0",
                        "Attributes": {"Timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000Z")}}])


# --- put and get ----------------------------------------------------------------------------

def test_put_and_get_each_type(ssm, unique):
    base = f"/types-{unique}"
    put = ssm.put_parameter(Name=f"{base}/plain", Value="hello world", Type="String", Description="a string")
    assert (put["Version"], put["Tier"]) == (1, "Standard")
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    ssm.put_parameter(Name=f"{base}/list", Value="a,b,c", Type="StringList")
    ssm.put_parameter(Name=f"{base}/secret", Value="p@ssw0rd", Type="SecureString")

    p = ssm.get_parameter(Name=f"{base}/plain")["Parameter"]
    assert (p["Name"], p["Type"], p["Value"], p["Version"], p["DataType"]) == \
        (f"{base}/plain", "String", "hello world", 1, "text")
    assert p["ARN"] == arn(f"{base}/plain")
    assert isinstance(p["LastModifiedDate"], datetime.datetime)
    assert "Selector" not in p
    p = ssm.get_parameter(Name=f"{base}/list")["Parameter"]
    assert (p["Type"], p["Value"]) == ("StringList", "a,b,c")

    # SecureString: opaque unless decryption is asked for.
    hidden = ssm.get_parameter(Name=f"{base}/secret")["Parameter"]
    assert hidden["Type"] == "SecureString"
    assert hidden["Value"] != "p@ssw0rd" and "p@ssw0rd" not in hidden["Value"]
    assert ssm.get_parameter(Name=f"{base}/secret", WithDecryption=False)["Parameter"]["Value"] == hidden["Value"]
    shown = ssm.get_parameter(Name=f"{base}/secret", WithDecryption=True)["Parameter"]
    assert shown["Value"] == "p@ssw0rd"
    # The default key is recorded.
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{base}/secret"]}])
    assert described["Parameters"][0]["KeyId"] == "alias/aws/ssm"
    # Names without a leading slash are fine, and an ARN finds them too.
    flat = f"flat-{unique}"
    ssm.put_parameter(Name=flat, Value="v", Type="String")
    assert ssm.get_parameter(Name=flat)["Parameter"]["ARN"] == arn(flat)
    assert ssm.get_parameter(Name=arn(flat))["Parameter"]["Value"] == "v"
    assert ssm.get_parameter(Name=arn(f"{base}/plain"))["Parameter"]["Value"] == "hello world"
    # Unknown parameter.
    code, status, _ = error_of(ssm.get_parameter, Name=f"{base}/nothing")
    assert (code, status) == ("ParameterNotFound", 400)


def test_overwrite_versions_and_selectors(ssm, unique):
    name = f"/versions-{unique}/p"
    ssm.put_parameter(Name=name, Value="v1", Type="String", Description="first")
    code, status, message = error_of(ssm.put_parameter, Name=name, Value="again", Type="String")
    assert (code, status) == ("ParameterAlreadyExists", 400)
    assert "overwrite" in message.lower()
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "v1"
    assert ssm.put_parameter(Name=name, Value="v2", Overwrite=True)["Version"] == 2
    assert ssm.put_parameter(Name=name, Value="v3", Type="String", Overwrite=True)["Version"] == 3
    current = ssm.get_parameter(Name=name)["Parameter"]
    assert (current["Value"], current["Version"], current["Type"]) == ("v3", 3, "String")

    by_version = ssm.get_parameter(Name=f"{name}:1")["Parameter"]
    assert (by_version["Name"], by_version["Value"], by_version["Version"], by_version["Selector"]) == \
        (name, "v1", 1, ":1")
    assert ssm.get_parameter(Name=f"{arn(name)}:2")["Parameter"]["Value"] == "v2"
    code, status, _ = error_of(ssm.get_parameter, Name=f"{name}:9")
    assert (code, status) == ("ParameterVersionNotFound", 400)

    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [(h["Version"], h["Value"]) for h in history] == [(1, "v1"), (2, "v2"), (3, "v3")]
    assert all(h["Name"] == name and h["Type"] == "String" for h in history)
    assert history[0]["Description"] == "first"


def test_get_parameters_splits_valid_and_invalid(ssm, unique):
    a, b = f"/gp-{unique}/a", f"/gp-{unique}/b"
    ssm.put_parameter(Name=a, Value="A1", Type="String")
    ssm.put_parameter(Name=a, Value="A2", Type="String", Overwrite=True)
    ssm.put_parameter(Name=b, Value="B", Type="SecureString")
    missing = f"/gp-{unique}/missing"
    got = ssm.get_parameters(Names=[a, f"{a}:1", b, missing, f"{a}:7"], WithDecryption=True)
    assert sorted((p["Name"], p.get("Selector", ""), p["Value"]) for p in got["Parameters"]) == \
        sorted([(a, "", "A2"), (a, ":1", "A1"), (b, "", "B")])
    assert sorted(got["InvalidParameters"]) == sorted([missing, f"{a}:7"])
    only_missing = ssm.get_parameters(Names=[missing])
    assert only_missing["Parameters"] == [] and only_missing["InvalidParameters"] == [missing]
    # Without decryption, SecureStrings stay opaque here too.
    hidden = ssm.get_parameters(Names=[b])["Parameters"][0]["Value"]
    assert hidden != "B"
    # At most 10 names: the model's bound.
    code, status, message = error_of(ssm.get_parameters, Names=[f"/gp-{unique}/{i}" for i in range(11)])
    assert (code, status) == ("ValidationException", 400)
    assert "'names'" in message and "less than or equal to 10" in message


def test_hundred_versions_are_kept_and_a_labeled_oldest_blocks_the_next(ssm, unique):
    name = f"/hundred-{unique}"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    for i in range(2, 101):
        ssm.put_parameter(Name=name, Value=f"v{i}", Overwrite=True)
    # The 101st version pushes out the first.
    assert ssm.put_parameter(Name=name, Value="v101", Overwrite=True)["Version"] == 101
    assert code_of(ssm.get_parameter, Name=f"{name}:1") == ("ParameterVersionNotFound", 400)
    assert ssm.get_parameter(Name=f"{name}:2")["Parameter"]["Value"] == "v2"
    history, _ = all_pages(ssm.get_parameter_history, "Parameters", Name=name)
    assert [h["Version"] for h in history] == list(range(2, 102))
    # A label on the oldest kept version protects it: no 102nd version.
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["keep"])
    code, status, message = error_of(ssm.put_parameter, Name=name, Value="v102", Overwrite=True)
    assert (code, status) == ("ParameterMaxVersionLimitExceeded", 400)
    assert "Version 2" in message
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == 101
    ssm.unlabel_parameter_version(Name=name, ParameterVersion=2, Labels=["keep"])
    assert ssm.put_parameter(Name=name, Value="v102", Overwrite=True)["Version"] == 102


def test_regions_and_accounts_are_isolated(nimbus, ssm, unique):
    name = f"/isolated-{unique}"
    ssm.put_parameter(Name=name, Value="east", Type="String")
    west = nimbus.client("ssm", region="eu-west-1")
    other_account = nimbus.client("ssm", access_key="123456789012", secret_key="x")
    for client in (west, other_account):
        assert code_of(client.get_parameter, Name=name) == ("ParameterNotFound", 400)
        assert client.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"] == []
        assert client.get_parameters(Names=[name])["InvalidParameters"] == [name]
    # The ARN of another region names nothing here.
    assert code_of(ssm.get_parameter, Name=arn(name).replace(REGION, "eu-west-1")) == ("ParameterNotFound", 400)
    assert west.put_parameter(Name=name, Value="west", Type="String")["Version"] == 1
    west_param = west.get_parameter(Name=name)["Parameter"]
    assert (west_param["Value"], west_param["ARN"]) == ("west", f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/{name[1:]}")
    other_account.put_parameter(Name=name, Value="other", Type="String")
    assert other_account.get_parameter(Name=name)["Parameter"]["ARN"] == \
        f"arn:aws:ssm:{REGION}:123456789012:parameter/{name[1:]}"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "east"


def test_concurrent_overwrites_get_distinct_versions(nimbus, unique):
    ssm = nimbus.client("ssm", max_pool_connections=16)
    name = f"/race-{unique}"
    ssm.put_parameter(Name=name, Value="0", Type="String")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        versions = list(pool.map(lambda i: ssm.put_parameter(Name=name, Value=str(i), Overwrite=True)["Version"],
                                 range(1, 31)))
    assert sorted(versions) == list(range(2, 32))
    history, _ = all_pages(ssm.get_parameter_history, "Parameters", Name=name)
    assert [h["Version"] for h in history] == list(range(1, 32))
    # Each version holds the value of the request that was told that version number.
    by_version = {h["Version"]: h["Value"] for h in history}
    assert all(by_version[v] == str(i) for i, v in enumerate(versions, start=1))

    def create(i):
        try:
            ssm.put_parameter(Name=f"{name}-once", Value=str(i), Type="String")
            return "created"
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(create, range(12)))
    assert outcomes == ["ParameterAlreadyExists"] * 11 + ["created"]


# --- labels ---------------------------------------------------------------------------------

def test_labels_select_versions_and_move(ssm, unique):
    name = f"/labels-{unique}/p"
    for i in (1, 2, 3):
        ssm.put_parameter(Name=name, Value=f"v{i}", Type="String", Overwrite=i > 1)
    labeled = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod", "stable"])
    assert (labeled["InvalidLabels"], labeled["ParameterVersion"]) == ([], 1)
    p = ssm.get_parameter(Name=f"{name}:prod")["Parameter"]
    assert (p["Value"], p["Version"], p["Selector"], p["Name"]) == ("v1", 1, ":prod", name)

    # Attaching a label another version carries moves it.
    assert ssm.label_parameter_version(Name=name, ParameterVersion=3, Labels=["prod"])["InvalidLabels"] == []
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "v3"
    assert ssm.get_parameter(Name=f"{name}:stable")["Parameter"]["Value"] == "v1"
    labels = {h["Version"]: sorted(h["Labels"]) for h in ssm.get_parameter_history(Name=name)["Parameters"]}
    assert labels == {1: ["stable"], 2: [], 3: ["prod"]}

    # Without a version: the latest. Bad labels are reported, good ones still attached.
    result = ssm.label_parameter_version(Name=name, Labels=["1starts-with-digit", "aws-reserved", "ssmx",
                                                            "has space", "good.label_1-x"])
    assert result["ParameterVersion"] == 3
    assert sorted(result["InvalidLabels"]) == sorted(["1starts-with-digit", "aws-reserved", "ssmx", "has space"])
    assert ssm.get_parameter(Name=f"{name}:good.label_1-x")["Parameter"]["Version"] == 3

    unlabeled = ssm.unlabel_parameter_version(Name=name, ParameterVersion=3, Labels=["prod", "stable", "nope"])
    assert unlabeled["RemovedLabels"] == ["prod"]
    assert sorted(unlabeled["InvalidLabels"]) == ["nope", "stable"]
    code, status, _ = error_of(ssm.get_parameter, Name=f"{name}:prod")
    assert (code, status) == ("ParameterVersionNotFound", 400)
    # The label is free again: GetParameters reports it invalid.
    assert ssm.get_parameters(Names=[f"{name}:prod"])["InvalidParameters"] == [f"{name}:prod"]

    assert code_of(ssm.label_parameter_version, Name=name, ParameterVersion=99, Labels=["x"]) == \
        ("ParameterVersionNotFound", 400)
    assert code_of(ssm.label_parameter_version, Name=f"/labels-{unique}/none", Labels=["x"]) == \
        ("ParameterNotFound", 400)
    assert code_of(ssm.unlabel_parameter_version, Name=name, ParameterVersion=42, Labels=["x"]) == \
        ("ParameterVersionNotFound", 400)

    # Ten labels per version at most.
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=[f"l{i}" for i in range(10)])
    code, status, _ = error_of(ssm.label_parameter_version, Name=name, ParameterVersion=2, Labels=["eleventh"])
    assert (code, status) == ("ParameterVersionLabelLimitExceeded", 400)
    # Re-attaching labels the version already has is no growth.
    assert ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["l0", "l9"])["InvalidLabels"] == []


# --- paths ----------------------------------------------------------------------------------

def test_get_parameters_by_path(ssm, raw_ssm, unique):
    root = f"/bp-{unique}"
    tree = {f"{root}/app/a": "String", f"{root}/app/b": "StringList", f"{root}/app/sub/c": "SecureString",
            f"{root}/app/sub/deep/d": "String", f"{root}/other/e": "String", f"{root}/application": "String"}
    for name, kind in tree.items():
        ssm.put_parameter(Name=name, Value=f"value of {name.rsplit('/', 1)[1]}", Type=kind)

    def names(**kwargs):
        items, _ = all_pages(ssm.get_parameters_by_path, "Parameters", **kwargs)
        return sorted(p["Name"] for p in items)

    assert names(Path=f"{root}/app") == [f"{root}/app/a", f"{root}/app/b"]
    assert names(Path=f"{root}/app/") == [f"{root}/app/a", f"{root}/app/b"]
    assert names(Path=f"{root}/app", Recursive=False) == [f"{root}/app/a", f"{root}/app/b"]
    assert names(Path=f"{root}/app", Recursive=True) == \
        sorted([f"{root}/app/a", f"{root}/app/b", f"{root}/app/sub/c", f"{root}/app/sub/deep/d"])
    assert names(Path=root) == [f"{root}/application"]
    assert names(Path=root, Recursive=True) == sorted(tree)
    assert names(Path=f"{root}/nothing", Recursive=True) == []

    # Filters.
    assert names(Path=root, Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}]) == \
        [f"{root}/app/sub/c"]
    assert names(Path=root, Recursive=True,
                 ParameterFilters=[{"Key": "Type", "Option": "Equals", "Values": ["StringList", "SecureString"]}]) \
        == sorted([f"{root}/app/b", f"{root}/app/sub/c"])
    ssm.put_parameter(Name=f"{root}/app/a", Value="newer a", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=f"{root}/app/a", ParameterVersion=1, Labels=["golden"])
    labeled = ssm.get_parameters_by_path(Path=root, Recursive=True,
                                         ParameterFilters=[{"Key": "Label", "Values": ["golden"]}])["Parameters"]
    assert [(p["Name"], p["Version"], p["Value"]) for p in labeled] == [(f"{root}/app/a", 1, "value of a")]

    # Decryption.
    secret = ssm.get_parameters_by_path(Path=f"{root}/app/sub", WithDecryption=True)["Parameters"]
    assert [(p["Name"], p["Value"]) for p in secret] == [(f"{root}/app/sub/c", "value of c")]
    hidden = ssm.get_parameters_by_path(Path=f"{root}/app/sub")["Parameters"]
    assert hidden[0]["Value"] != "value of c"

    # Errors.
    assert code_of(ssm.get_parameters_by_path, Path="no-leading-slash") == ("ValidationException", 400)
    code, status, message = error_of(ssm.get_parameters_by_path, Path=root,
                                     ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert (code, status) == ("InvalidFilterKey", 400)
    code, status, message = error_of(raw_ssm.get_parameters_by_path, Path=root, MaxResults=11)
    assert (code, status) == ("ValidationException", 400)
    assert "'maxResults'" in message and "less than or equal to 10" in message


def test_get_parameters_by_path_pagination(ssm, unique):
    root = f"/pages-{unique}"
    expected = sorted(f"{root}/n{i:02d}" for i in range(13)) + [f"{root}/deeper/x", f"{root}/deeper/y"]
    for name in expected:
        ssm.put_parameter(Name=name, Value=name, Type="String")
    for page_size in (1, 3, 10):
        items, sizes = all_pages(ssm.get_parameters_by_path, "Parameters", Path=root, Recursive=True,
                                 MaxResults=page_size)
        assert sorted(p["Name"] for p in items) == sorted(expected), page_size
        assert len(items) == len({p["Name"] for p in items}), "no parameter repeats across pages"
        assert all(size == page_size for size in sizes[:-1]) and 1 <= sizes[-1] <= page_size, sizes
        assert all(p["Value"] == p["Name"] for p in items)
    # One level only, paged.
    items, sizes = all_pages(ssm.get_parameters_by_path, "Parameters", Path=root, MaxResults=4)
    assert sorted(p["Name"] for p in items) == sorted(n for n in expected if "/deeper/" not in n)
    assert sizes == [4, 4, 4, 1]
    assert code_of(ssm.get_parameters_by_path, Path=root, NextToken="garbage!") == ("InvalidNextToken", 400)


# --- describe -------------------------------------------------------------------------------

def test_describe_parameters_filters_and_pagination(nimbus, ssm, unique):
    root = f"/desc-{unique}"
    kms = nimbus.client("kms")
    custom = f"alias/custom-{unique}"
    kms.create_alias(AliasName=custom, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    ssm.put_parameter(Name=f"{root}/db/host", Value="h", Type="String", Description="database host",
                      Tags=[{"Key": "team", "Value": "data"}])
    ssm.put_parameter(Name=f"{root}/db/password", Value="pw", Type="SecureString", KeyId=custom,
                      Tags=[{"Key": "team", "Value": "security"}])
    ssm.put_parameter(Name=f"{root}/db/replica/host", Value="r", Type="String")
    ssm.put_parameter(Name=f"{root}/web/hosts", Value="a,b", Type="StringList", Tier="Advanced",
                      Tags=[{"Key": "public", "Value": ""}])
    ssm.put_parameter(Name=f"{root}/web/hosts", Value="a,b,c", Overwrite=True)

    def names(*filters, **kwargs):
        items, _ = all_pages(ssm.describe_parameters, "Parameters",
                             ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [root]}, *filters],
                             **kwargs)
        return sorted(p["Name"][len(root):] for p in items)

    everything = ["/db/host", "/db/password", "/db/replica/host", "/web/hosts"]
    assert names() == everything
    assert names({"Key": "Type", "Values": ["SecureString"]}) == ["/db/password"]
    assert names({"Key": "Type", "Values": ["String", "StringList"]}) == ["/db/host", "/db/replica/host", "/web/hosts"]
    assert names({"Key": "Tier", "Values": ["Advanced"]}) == ["/web/hosts"]
    assert names({"Key": "KeyId", "Values": [custom]}) == ["/db/password"]
    assert names({"Key": "tag:team"}) == ["/db/host", "/db/password"]
    assert names({"Key": "tag:team", "Values": ["data"]}) == ["/db/host"]
    assert names({"Key": "tag:team", "Option": "BeginsWith", "Values": ["sec"]}) == ["/db/password"]
    assert names({"Key": "tag:public"}) == ["/web/hosts"]
    assert names({"Key": "tag:nobody"}) == []
    assert names({"Key": "Name", "Option": "Contains", "Values": ["host"]}) == ["/db/host", "/db/replica/host",
                                                                                  "/web/hosts"]
    # Name BeginsWith and Path on their own.
    items, _ = all_pages(ssm.describe_parameters, "Parameters",
                         ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"{root}/db/"]}])
    assert sorted(p["Name"] for p in items) == [f"{root}/db/host", f"{root}/db/password", f"{root}/db/replica/host"]
    items, _ = all_pages(ssm.describe_parameters, "Parameters",
                         ParameterFilters=[{"Key": "Name", "Values": [f"{root}/db/host"]}])
    assert [p["Name"] for p in items] == [f"{root}/db/host"]
    items, _ = all_pages(ssm.describe_parameters, "Parameters",
                         ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": [f"{root}/db"]}])
    assert sorted(p["Name"] for p in items) == [f"{root}/db/host", f"{root}/db/password"]
    items, _ = all_pages(ssm.describe_parameters, "Parameters",
                         ParameterFilters=[{"Key": "Path", "Values": [f"{root}/db"]}])
    assert sorted(p["Name"] for p in items) == [f"{root}/db/host", f"{root}/db/password"]

    # Metadata.
    meta = {p["Name"][len(root):]: p for p in all_pages(
        ssm.describe_parameters, "Parameters",
        ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [root]}])[0]}
    assert meta["/db/host"]["Description"] == "database host"
    assert meta["/db/host"]["Type"] == "String" and "KeyId" not in meta["/db/host"]
    assert meta["/db/password"]["KeyId"] == custom
    assert (meta["/web/hosts"]["Version"], meta["/web/hosts"]["Tier"]) == (2, "Advanced")
    assert meta["/db/host"]["ARN"] == arn(f"{root}/db/host")
    assert "Value" not in meta["/db/host"]

    # Pagination: every page full but the last, the union exact.
    for page_size in (1, 3):
        items, sizes = all_pages(ssm.describe_parameters, "Parameters", MaxResults=page_size,
                                 ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [root]}])
        assert sorted(p["Name"][len(root):] for p in items) == everything
        assert all(s == page_size for s in sizes[:-1]), sizes
    items, sizes = all_pages(ssm.describe_parameters, "Parameters", MaxResults=2,
                             ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [root]}])
    assert sorted(p["Name"][len(root):] for p in items) == everything and sizes == [2, 2]

    # Filter errors.
    assert code_of(ssm.describe_parameters, ParameterFilters=[{"Key": "Label", "Values": ["x"]}]) == \
        ("InvalidFilterKey", 400)
    assert code_of(ssm.describe_parameters,
                   ParameterFilters=[{"Key": "Path", "Option": "BeginsWith", "Values": [root]}]) == \
        ("InvalidFilterOption", 400)
    assert code_of(ssm.describe_parameters, ParameterFilters=[{"Key": "Type", "Values": ["Number"]}]) == \
        ("InvalidFilterValue", 400)
    assert code_of(ssm.describe_parameters, NextToken="garbage!") == ("InvalidNextToken", 400)


def test_parameter_history_pages(ssm, unique):
    name = f"/history-{unique}"
    ssm.put_parameter(Name=name, Value="s1", Type="SecureString", Description="d1")
    for i in range(2, 6):
        ssm.put_parameter(Name=name, Value=f"s{i}", Overwrite=True, **({"Description": "d3"} if i == 3 else {}))
    items, sizes = all_pages(ssm.get_parameter_history, "Parameters", Name=name, MaxResults=2, WithDecryption=True)
    assert sizes == [2, 2, 1]
    assert [(h["Version"], h["Value"]) for h in items] == [(i, f"s{i}") for i in range(1, 6)]
    assert all(h["Type"] == "SecureString" and h["KeyId"] == "alias/aws/ssm" for h in items)
    assert items[0]["Description"] == "d1" and items[2]["Description"] == "d3"
    assert items[0]["LastModifiedUser"] == f"arn:aws:iam::{ACCOUNT}:root"
    hidden = ssm.get_parameter_history(Name=name)["Parameters"]
    assert all(h["Value"] != f"s{h['Version']}" for h in hidden)
    assert code_of(ssm.get_parameter_history, Name=f"/history-{unique}-none") == ("ParameterNotFound", 400)


# --- delete ---------------------------------------------------------------------------------

def test_delete_parameter_and_parameters(ssm, unique):
    base = f"/del-{unique}"
    for n in ("a", "b", "c"):
        ssm.put_parameter(Name=f"{base}/{n}", Value=n, Type="String")
    ssm.put_parameter(Name=f"{base}/a", Value="a2", Type="String", Overwrite=True)
    assert ssm.delete_parameter(Name=f"{base}/a")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert code_of(ssm.get_parameter, Name=f"{base}/a") == ("ParameterNotFound", 400)
    assert code_of(ssm.get_parameter_history, Name=f"{base}/a") == ("ParameterNotFound", 400)
    assert code_of(ssm.delete_parameter, Name=f"{base}/a") == ("ParameterNotFound", 400)
    # A re-created parameter starts again from version 1, without the old history.
    assert ssm.put_parameter(Name=f"{base}/a", Value="fresh", Type="String")["Version"] == 1
    assert [h["Value"] for h in ssm.get_parameter_history(Name=f"{base}/a")["Parameters"]] == ["fresh"]

    result = ssm.delete_parameters(Names=[f"{base}/b", f"{base}/missing", f"{base}/c"])
    assert sorted(result["DeletedParameters"]) == [f"{base}/b", f"{base}/c"]
    assert result["InvalidParameters"] == [f"{base}/missing"]
    assert ssm.get_parameters(Names=[f"{base}/b", f"{base}/c"])["InvalidParameters"] != []
    assert sorted(ssm.get_parameters(Names=[f"{base}/b", f"{base}/c"])["InvalidParameters"]) == \
        [f"{base}/b", f"{base}/c"]


# --- tags -----------------------------------------------------------------------------------

def test_tags(ssm, unique):
    name = f"/tags-{unique}/p"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "a", "Value": "1"}])

    def tags(resource_id=name):
        listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=resource_id)["TagList"]
        return {t["Key"]: t["Value"] for t in listed}

    assert tags() == {"a": "1"}
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name,
                             Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "one"}])
    assert tags() == {"a": "one", "b": "2"}
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["a", "zzz"])
    assert tags() == {"b": "2"}
    # Overwriting the value keeps the tags; tags and Overwrite together are refused.
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    assert tags() == {"b": "2"}
    code, status, message = error_of(ssm.put_parameter, Name=name, Value="v3", Overwrite=True,
                                     Tags=[{"Key": "c", "Value": "3"}])
    assert (code, status) == ("ValidationException", 400)
    assert "tags and overwrite can't be used together" in message
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "v2"

    # Tag by ARN; at most 50 tags.
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=arn(name),
                             Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    assert len(tags()) == 50
    code, status, _ = error_of(ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId=name,
                               Tags=[{"Key": "fifty-first", "Value": "v"}])
    assert (code, status) == ("TooManyTagsError", 400)
    assert len(tags()) == 50 and "fifty-first" not in tags()
    assert code_of(ssm.put_parameter, Name=f"{name}-many", Value="v", Type="String",
                   Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]) == ("TooManyTagsError", 400)

    assert code_of(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId=f"/tags-{unique}/none") == \
        ("InvalidResourceId", 400)
    assert code_of(ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId=f"/tags-{unique}/none",
                   Tags=[{"Key": "k", "Value": "v"}]) == ("InvalidResourceId", 400)


# --- tiers, names, patterns, policies -------------------------------------------------------

def test_tiers_and_value_sizes(ssm, unique):
    base = f"/tiers-{unique}"
    assert ssm.put_parameter(Name=f"{base}/max-standard", Value="x" * 4096, Type="String")["Tier"] == "Standard"
    code, status, message = error_of(ssm.put_parameter, Name=f"{base}/too-big", Value="x" * 4097, Type="String")
    assert (code, status) == ("ValidationException", 400)
    assert "4096" in message
    code, status, _ = error_of(ssm.put_parameter, Name=f"{base}/too-big", Value="x" * 4097, Type="String",
                               Tier="Standard")
    assert (code, status) == ("ValidationException", 400)
    assert code_of(ssm.get_parameter, Name=f"{base}/too-big") == ("ParameterNotFound", 400)

    put = ssm.put_parameter(Name=f"{base}/adv", Value="y" * 8192, Type="String", Tier="Advanced")
    assert (put["Version"], put["Tier"]) == (1, "Advanced")
    assert ssm.get_parameter(Name=f"{base}/adv")["Parameter"]["Value"] == "y" * 8192
    code, status, _ = error_of(ssm.put_parameter, Name=f"{base}/adv2", Value="y" * 8193, Type="String",
                               Tier="Advanced")
    assert (code, status) == ("ValidationException", 400)
    # Intelligent-Tiering picks what the value needs.
    assert ssm.put_parameter(Name=f"{base}/smart-small", Value="s", Type="String",
                             Tier="Intelligent-Tiering")["Tier"] == "Standard"
    assert ssm.put_parameter(Name=f"{base}/smart-big", Value="b" * 5000, Type="String",
                             Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    # An advanced parameter can't go back to Standard, and stays Advanced when the tier is omitted.
    code, status, message = error_of(ssm.put_parameter, Name=f"{base}/adv", Value="small", Tier="Standard",
                                     Overwrite=True)
    assert (code, status) == ("ValidationException", 400)
    assert "downgrade" in message
    assert ssm.put_parameter(Name=f"{base}/adv", Value="small", Overwrite=True)["Tier"] == "Advanced"
    # A standard one can be upgraded.
    assert ssm.put_parameter(Name=f"{base}/max-standard", Value="z" * 6000, Tier="Advanced",
                             Overwrite=True)["Tier"] == "Advanced"
    tiers = {h["Version"]: h["Tier"] for h in ssm.get_parameter_history(Name=f"{base}/max-standard")["Parameters"]}
    assert tiers == {1: "Standard", 2: "Advanced"}
    assert code_of(ssm.put_parameter, Name=f"{base}/bad-tier", Value="v", Type="String", Tier="Premium") == \
        ("ValidationException", 400)


def test_name_rules(ssm, raw_ssm, unique):
    for reserved in (f"aws-{unique}", f"/aws/{unique}", f"AWS{unique}", f"/Aws/x/{unique}"):
        code, status, message = error_of(ssm.put_parameter, Name=reserved, Value="v", Type="String")
        assert (code, status) == ("AccessDeniedException", 400), reserved
        assert message == f"No access to reserved parameter name: {reserved.lstrip('/')}."
    for bad in (f"ssm-{unique}", f"/SSM/{unique}", f"bad name {unique}", f"/bad#{unique}", f"/x/{unique}:1x",
                f"not/rooted-{unique}", f"/double//slash-{unique}", f"/trailing-{unique}/", f"/emoji-{unique}-é"):
        code, status, _ = error_of(ssm.put_parameter, Name=bad, Value="v", Type="String")
        assert (code, status) == ("ValidationException", 400), bad
    # Names are case-sensitive.
    ssm.put_parameter(Name=f"/Case-{unique}", Value="upper", Type="String")
    ssm.put_parameter(Name=f"/case-{unique}", Value="lower", Type="String")
    assert ssm.get_parameter(Name=f"/Case-{unique}")["Parameter"]["Value"] == "upper"
    # Fifteen levels is the deepest hierarchy.
    fifteen = f"/d{unique}" + "".join(f"/l{i}" for i in range(2, 16))
    assert ssm.put_parameter(Name=fifteen, Value="deep", Type="String")["Version"] == 1
    code, status, _ = error_of(ssm.put_parameter, Name=fifteen + "/l16", Value="v", Type="String")
    assert (code, status) == ("HierarchyLevelLimitExceededException", 400)
    # Length: 1011 characters for the caller, 2048 in the model.
    long_ok = "/" + unique + "n" * (1010 - len(unique))
    assert len(long_ok) == 1011
    assert ssm.put_parameter(Name=long_ok, Value="v", Type="String")["Version"] == 1
    assert code_of(ssm.put_parameter, Name=long_ok + "n", Value="v", Type="String") == ("ValidationException", 400)
    code, status, message = error_of(ssm.put_parameter, Name="/" + "n" * 2048, Value="v", Type="String")
    assert (code, status) == ("ValidationException", 400)
    assert "less than or equal to 2048" in message
    # Empty values and missing types are refused.
    assert code_of(raw_ssm.put_parameter, Name=f"/empty-{unique}", Value="", Type="String") == \
        ("ValidationException", 400)
    assert code_of(ssm.put_parameter, Name=f"/untyped-{unique}", Value="v") == ("ValidationException", 400)
    assert code_of(ssm.put_parameter, Name=f"/weird-{unique}", Value="v", Type="Number") == \
        ("UnsupportedParameterType", 400)
    # Reading under the reserved prefix is allowed; there is simply nothing there.
    assert code_of(ssm.get_parameter, Name="/aws/service/nothing-here") == ("ParameterNotFound", 400)


def test_allowed_pattern(ssm, unique):
    name = f"/pattern-{unique}"
    code, status, message = error_of(ssm.put_parameter, Name=name, Value="abc", Type="String",
                                     AllowedPattern=r"^\d+$")
    assert (code, status) == ("ParameterPatternMismatchException", 400)
    assert r"^\d+$" in message
    assert code_of(ssm.get_parameter, Name=name) == ("ParameterNotFound", 400)
    ssm.put_parameter(Name=name, Value="123", Type="String", AllowedPattern=r"^\d+$")
    # The pattern stays with the parameter.
    assert code_of(ssm.put_parameter, Name=name, Value="12a", Overwrite=True) == \
        ("ParameterPatternMismatchException", 400)
    assert ssm.put_parameter(Name=name, Value="456", Overwrite=True)["Version"] == 2
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert meta["AllowedPattern"] == r"^\d+$"
    # The whole value must match, not just part of it.
    assert code_of(ssm.put_parameter, Name=f"{name}-partial", Value="x12x", Type="String",
                   AllowedPattern=r"\d+") == ("ParameterPatternMismatchException", 400)
    assert code_of(ssm.put_parameter, Name=f"{name}-badregex", Value="x", Type="String",
                   AllowedPattern="(unclosed") == ("InvalidAllowedPatternException", 400)


def test_policies_require_advanced(ssm, unique):
    name = f"/policy-{unique}"
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)
    code, status, message = error_of(ssm.put_parameter, Name=name, Value="v", Type="String",
                                     Policies=expiration(future))
    assert (code, status) == ("ValidationException", 400)
    assert "advanced" in message.lower()
    code, status, _ = error_of(ssm.put_parameter, Name=name, Value="v", Type="String", Tier="Standard",
                               Policies=expiration(future))
    assert (code, status) == ("ValidationException", 400)
    put = ssm.put_parameter(Name=name, Value="v", Type="String", Tier="Advanced", Policies=expiration(future))
    assert put["Tier"] == "Advanced"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert [p["PolicyType"] for p in meta["Policies"]] == ["Expiration"]
    assert json.loads(meta["Policies"][0]["PolicyText"]) == json.loads(expiration(future))[0]
    assert ssm.put_parameter(Name=f"{name}-smart", Value="v", Type="String", Tier="Intelligent-Tiering",
                             Policies=expiration(future))["Tier"] == "Advanced"
    assert code_of(ssm.put_parameter, Name=f"{name}-x", Value="v", Type="String", Tier="Advanced",
                   Policies=json.dumps([{"Type": "Explode", "Version": "1.0", "Attributes": {}}])) == \
        ("InvalidPolicyTypeException", 400)
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    assert code_of(ssm.put_parameter, Name=f"{name}-x", Value="v", Type="String", Tier="Advanced",
                   Policies=expiration(past)) == ("InvalidPolicyAttributeException", 400)
    assert code_of(ssm.put_parameter, Name=f"{name}-x", Value="v", Type="String", Tier="Advanced",
                   Policies=expiration(future)[:-1] + "," + expiration(future)[1:]) == \
        ("IncompatiblePolicyException", 400)


def test_expiration_policy_deletes_on_nimbus_clock(start_nimbus):
    server = start_nimbus()
    ssm = server.client("ssm")
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    ssm.put_parameter(Name="/expiring", Value="soon gone", Type="String", Tier="Advanced", Policies=expiration(at))
    ssm.put_parameter(Name="/staying", Value="here", Type="String")
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": 86400})
    assert ssm.get_parameter(Name="/expiring")["Parameter"]["Value"] == "soon gone"
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": 2 * 86400})
    assert code_of(ssm.get_parameter, Name="/expiring") == ("ParameterNotFound", 400)
    assert [p["Name"] for p in ssm.get_parameters_by_path(Path="/")["Parameters"]] == ["/staying"]
    assert [p["Name"] for p in ssm.describe_parameters()["Parameters"]] == ["/staying"]
    # The name is free again.
    assert ssm.put_parameter(Name="/expiring", Value="back", Type="String")["Version"] == 1


# --- the AWS CLI ----------------------------------------------------------------------------

def test_cli_round_trip(nimbus, unique):
    root = f"/cli-{unique}"
    out = nimbus.aws("ssm", "put-parameter", "--name", f"{root}/plain", "--value", "cli value", "--type", "String")
    assert out == {"Version": 1, "Tier": "Standard"}
    nimbus.aws("ssm", "put-parameter", "--name", f"{root}/secret", "--value", "hush", "--type", "SecureString")
    nimbus.aws("ssm", "put-parameter", "--name", f"{root}/nested/deep", "--value", "d", "--type", "String")
    out = nimbus.aws("ssm", "put-parameter", "--name", f"{root}/plain", "--value", "cli value 2", "--overwrite")
    assert out["Version"] == 2

    got = nimbus.aws("ssm", "get-parameter", "--name", f"{root}/plain")["Parameter"]
    assert (got["Value"], got["Version"], got["ARN"]) == ("cli value 2", 2, arn(f"{root}/plain"))
    got = nimbus.aws("ssm", "get-parameter", "--name", f"{root}/secret", "--with-decryption")["Parameter"]
    assert got["Value"] == "hush"
    got = nimbus.aws("ssm", "get-parameter", "--name", f"{root}/plain:1")["Parameter"]
    assert (got["Value"], got["Selector"]) == ("cli value", ":1")

    # The CLI follows NextToken itself; a page size of 1 makes it walk three pages.
    listed = nimbus.aws("ssm", "get-parameters-by-path", "--path", root, "--recursive", "--with-decryption",
                        "--page-size", "1")
    assert sorted((p["Name"], p["Value"]) for p in listed["Parameters"]) == \
        [(f"{root}/nested/deep", "d"), (f"{root}/plain", "cli value 2"), (f"{root}/secret", "hush")]
    listed = nimbus.aws("ssm", "get-parameters-by-path", "--path", root)
    assert sorted(p["Name"] for p in listed["Parameters"]) == [f"{root}/plain", f"{root}/secret"]

    proc = nimbus.aws("ssm", "put-parameter", "--name", f"{root}/plain", "--value", "x", "--type", "String",
                      check=False)
    assert proc.returncode != 0 and "ParameterAlreadyExists" in proc.stderr


# --- persistence ----------------------------------------------------------------------------

def test_parameters_survive_restart_and_secure_strings_are_sealed(start_nimbus, data_dir):
    secret = "sealed-" + uuid.uuid4().hex
    server = start_nimbus(data_dir=data_dir)
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/keep/plain", Value="plain value", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    ssm.put_parameter(Name="/keep/secret", Value=secret + "-1", Type="SecureString")
    ssm.put_parameter(Name="/keep/secret", Value=secret, Overwrite=True)
    ssm.label_parameter_version(Name="/keep/secret", ParameterVersion=1, Labels=["first"])
    ssm.put_parameter(Name="/keep/big", Value="b" * 5000, Type="String", Tier="Advanced")
    ssm.delete_parameter(Name="/keep/plain")
    ssm.put_parameter(Name="/keep/plain", Value="plain again", Type="String", Tags=[{"Key": "k2", "Value": "v2"}])
    assert server.stop() == 0

    for path in data_dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path

    server = start_nimbus(data_dir=data_dir)
    ssm = server.client("ssm")
    got = ssm.get_parameter(Name="/keep/secret", WithDecryption=True)["Parameter"]
    assert (got["Value"], got["Version"]) == (secret, 2)
    assert ssm.get_parameter(Name="/keep/secret:first", WithDecryption=True)["Parameter"]["Value"] == secret + "-1"
    plain = ssm.get_parameter(Name="/keep/plain")["Parameter"]
    assert (plain["Value"], plain["Version"]) == ("plain again", 1)
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/keep/plain")["TagList"]
    assert tags == [{"Key": "k2", "Value": "v2"}]
    big = ssm.get_parameter(Name="/keep/big")["Parameter"]
    assert big["Value"] == "b" * 5000
    items, _ = all_pages(ssm.get_parameters_by_path, "Parameters", Path="/keep")
    assert sorted(p["Name"] for p in items) == ["/keep/big", "/keep/plain", "/keep/secret"]
    assert ssm.put_parameter(Name="/keep/secret", Value="third", Overwrite=True)["Version"] == 3
