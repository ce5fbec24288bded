"""DynamoDB end to end through boto3: tables (create, describe, list, update, delete, waiters),
their errors, tags, TTL and backups configuration, items (put, get, delete) with key errors, and
durability of acknowledged item writes across kill -9."""
import threading
import time

import botocore.exceptions
import pytest

from conftest import error_of

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def ddb(nimbus):
    return nimbus.client("dynamodb")


def create_table(ddb, name, **extra):
    args = dict(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    args.update(extra)
    return ddb.create_table(**args)["TableDescription"]


def test_create_describe_and_waiter(ddb, unique):
    name = f"orders-{unique}"
    created = create_table(ddb, name, Tags=[{"Key": "team", "Value": "core"}])
    assert created["TableArn"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    assert created["KeySchema"][0] == {"AttributeName": "pk", "KeyType": "HASH"}
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableId"] == created["TableId"]
    assert table["ItemCount"] == 0 and table["TableSizeBytes"] == 0
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert table["CreationDateTime"].year >= 2024
    # By ARN too.
    assert ddb.describe_table(TableName=created["TableArn"])["Table"]["TableName"] == name


def test_create_errors(ddb, unique):
    name = f"dup-{unique}"
    create_table(ddb, name)
    assert error_of(create_table, ddb, name) == ("ResourceInUseException", 400, f"Table already exists: {name}")
    code, status, message = error_of(
        ddb.create_table, TableName=f"x-{unique}",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    assert (code, status) == ("ValidationException", 400)
    assert message == ("One or more parameter values were invalid: Number of attributes in KeySchema does not "
                       "exactly match number of attributes defined in AttributeDefinitions")
    _, _, message = error_of(
        ddb.create_table, TableName=f"y-{unique}",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    assert message.endswith("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
    _, _, message = error_of(
        ddb.create_table, TableName=f"z-{unique}",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    assert "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified" in message
    code, _, message = error_of(ddb.describe_table, TableName=f"missing-{unique}")
    assert (code, message) == ("ResourceNotFoundException", f"Requested resource not found: Table: missing-{unique} not found")


def test_indexes_are_described(ddb, unique):
    name = f"idx-{unique}"
    created = create_table(
        ddb, name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                              {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "l", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}],
        LocalSecondaryIndexes=[{"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                   {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    gsi = created["GlobalSecondaryIndexes"][0]
    assert gsi["IndexArn"] == f"{created['TableArn']}/index/by-g" and gsi["IndexStatus"] == "ACTIVE"
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}
    assert created["LocalSecondaryIndexes"][0]["IndexName"] == "by-l"
    assert created["LatestStreamArn"].startswith(f"{created['TableArn']}/stream/")
    assert created["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_list_tables_pages(ddb, unique):
    names = [f"list-{unique}-{i}" for i in range(3)]
    for name in names:
        create_table(ddb, name)
    seen, start = [], names[0][:-1]  # just before the first of ours
    while True:
        args = {"Limit": 2, "ExclusiveStartTableName": start}
        page = ddb.list_tables(**args)
        seen += [n for n in page["TableNames"] if n.startswith(f"list-{unique}")]
        if "LastEvaluatedTableName" not in page:
            break
        start = page["LastEvaluatedTableName"]
    assert seen == names
    paginated = [n for p in ddb.get_paginator("list_tables").paginate() for n in p["TableNames"]]
    assert set(names) <= set(paginated)


def test_update_table(ddb, unique):
    name = f"upd-{unique}"
    create_table(ddb, name)
    _, _, message = error_of(ddb.update_table, TableName=name)
    assert message.startswith("At least one of ProvisionedThroughput, BillingMode")
    out = ddb.update_table(TableName=name, BillingMode="PROVISIONED",
                           ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})["TableDescription"]
    assert out["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert out["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    _, _, message = error_of(ddb.update_table, TableName=name,
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert message == f"Table already has an enabled stream: TableName: {name}"
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "city": {"S": "Oslo"}})
    out = ddb.update_table(
        TableName=name, AttributeDefinitions=[{"AttributeName": "city", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by-city", "KeySchema": [{"AttributeName": "city", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}])["TableDescription"]
    assert out["GlobalSecondaryIndexes"][0]["ItemCount"] == 1
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 3})


def test_deletion_protection_and_delete(ddb, unique):
    name = f"del-{unique}"
    create_table(ddb, name, DeletionProtectionEnabled=True)
    assert error_of(ddb.delete_table, TableName=name) == (
        "ValidationException", 400,
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    out = ddb.delete_table(TableName=name)["TableDescription"]
    assert out["TableStatus"] == "DELETING" and out["ItemCount"] == 1
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    assert error_of(ddb.delete_table, TableName=name)[0] == "ResourceNotFoundException"
    # Re-created under the same name, it starts empty.
    create_table(ddb, name)
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})


def test_tags(ddb, unique):
    arn = create_table(ddb, f"tags-{unique}", Tags=[{"Key": "a", "Value": "1"}])["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    missing = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/none-{unique}"
    assert error_of(ddb.list_tags_of_resource, ResourceArn=missing) == (
        "ResourceNotFoundException", 400, f"Requested resource not found: ResourcArn: {missing} not found")


def test_ttl_and_backups_configuration(ddb, unique):
    name = f"ttl-{unique}"
    create_table(ddb, name)
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    spec = {"Enabled": True, "AttributeName": "expires"}
    assert ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)["TimeToLiveSpecification"] == spec
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    assert error_of(ddb.update_time_to_live, TableName=name, TimeToLiveSpecification=spec)[2] == "TimeToLive is already enabled"
    backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["ContinuousBackupsStatus"] == "ENABLED"
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    on = ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    assert on["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_limits_and_endpoints(ddb, nimbus):
    assert ddb.describe_limits()["TableMaxReadCapacityUnits"] == 40000
    endpoints = ddb.describe_endpoints()["Endpoints"]
    assert endpoints[0]["Address"] == nimbus.url.removeprefix("http://")


def test_items_put_get_delete(ddb, unique):
    name = f"items-{unique}"
    create_table(ddb, name)
    item = {"pk": {"S": "user#1"}, "sk": {"N": "10"}, "name": {"S": "Ada"}, "tags": {"SS": ["a", "b"]},
            "blob": {"B": b"\x00\xff"}, "nested": {"M": {"l": {"L": [{"N": "1.5"}, {"NULL": True}, {"BOOL": False}]}}}}
    assert "Attributes" not in ddb.put_item(TableName=name, Item=item, ReturnValues="ALL_OLD")
    got = ddb.get_item(TableName=name, Key={"pk": {"S": "user#1"}, "sk": {"N": "10"}}, ConsistentRead=True)["Item"]
    assert got == item
    old = ddb.put_item(TableName=name, Item={"pk": {"S": "user#1"}, "sk": {"N": "10"}}, ReturnValues="ALL_OLD")
    assert old["Attributes"] == item
    out = ddb.put_item(TableName=name, Item={"pk": {"S": "user#2"}, "sk": {"N": "1"}}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": name, "CapacityUnits": 1.0}
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 2
    deleted = ddb.delete_item(TableName=name, Key={"pk": {"S": "user#1"}, "sk": {"N": "10"}}, ReturnValues="ALL_OLD")
    assert deleted["Attributes"] == {"pk": {"S": "user#1"}, "sk": {"N": "10"}}
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "user#1"}, "sk": {"N": "10"}})
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 1


def test_item_key_errors(ddb, unique):
    name = f"keys-{unique}"
    create_table(ddb, name)
    assert error_of(ddb.put_item, TableName=name, Item={"pk": {"S": "a"}}) == (
        "ValidationException", 400, "One or more parameter values were invalid: Missing the key sk in the item")
    assert error_of(ddb.put_item, TableName=name, Item={"pk": {"N": "1"}, "sk": {"N": "1"}})[2] == (
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N")
    for key in ({"pk": {"S": "a"}}, {"pk": {"S": "a"}, "sk": {"S": "1"}}, {"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "y"}}):
        assert error_of(ddb.get_item, TableName=name, Key=key)[2] == "The provided key element does not match the schema"
    assert error_of(ddb.put_item, TableName=name, Item={"pk": {"S": ""}, "sk": {"N": "1"}})[2] == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty "
        "string value. Key: pk")
    assert error_of(ddb.put_item, TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "big": {"S": "x" * 410_000}})[2] == (
        "Item size has exceeded the maximum allowed size")
    assert error_of(ddb.get_item, TableName=f"nope-{unique}", Key={"pk": {"S": "a"}}) == (
        "ResourceNotFoundException", 400, "Requested resource not found")


def test_acknowledged_item_writes_survive_kill_9(start_nimbus, data_dir):
    server = start_nimbus(data_dir=data_dir)
    ddb = server.client("dynamodb")
    create_table(ddb, "durable")
    acknowledged = {}
    stop = threading.Event()
    lock = threading.Lock()

    def write(writer):
        client = server.client("dynamodb")
        i = 0
        while not stop.is_set():
            key = f"w{writer}-{i}"
            try:
                client.put_item(TableName="durable", Item={"pk": {"S": key}, "sk": {"N": str(i)}, "v": {"S": f"value-{i}"}})
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
                return  # the process is gone: this write was never acknowledged
            with lock:
                acknowledged[key] = i
            i += 1

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    server.kill9()
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) > 20, "the writers made progress"

    again = start_nimbus(data_dir=data_dir)
    ddb = again.client("dynamodb")
    for key, i in acknowledged.items():
        got = ddb.get_item(TableName="durable", Key={"pk": {"S": key}, "sk": {"N": str(i)}})
        assert got["Item"]["v"] == {"S": f"value-{i}"}, f"lost acknowledged item {key}"
    assert ddb.describe_table(TableName="durable")["Table"]["ItemCount"] >= len(acknowledged)


def test_operations_not_built_yet_answer_not_implemented(ddb, unique):
    name = f"ni-{unique}"
    create_table(ddb, name)
    code, status, message = error_of(ddb.describe_global_table, GlobalTableName=name)
    assert (code, status) == ("NotImplemented", 501) and "DescribeGlobalTable" in message
