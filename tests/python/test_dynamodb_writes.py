"""DynamoDB's write side end to end through boto3: conditional writes (the Terraform lock
pattern), the resource API with boto3.dynamodb.conditions, UpdateItem's actions and
ReturnValues, batches, transactions (cancellation reasons, idempotency tokens), the legacy
Expected/AttributeUpdates parameters, and their errors."""
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key

from conftest import REGION, error_of


@pytest.fixture(scope="module")
def ddb(nimbus):
    return nimbus.client("dynamodb")


@pytest.fixture(scope="module")
def resource(nimbus):
    return boto3.resource("dynamodb", endpoint_url=nimbus.url, region_name=REGION,
                          aws_access_key_id="test", aws_secret_access_key="test")


def make_table(ddb, name, hash_only=False):
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "gk", "AttributeType": "S"}]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if not hash_only:
        attributes.append({"AttributeName": "sk", "AttributeType": "N"})
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
    ddb.create_table(
        TableName=name, AttributeDefinitions=attributes, KeySchema=keys, BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{"IndexName": "by-gk", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    return name


@pytest.fixture
def table(ddb, unique):
    return make_table(ddb, f"writes-{unique}")


@pytest.fixture
def lock_table(ddb, unique):
    """A Terraform state-lock table: hash key LockID only."""
    name = f"locks-{unique}"
    ddb.create_table(TableName=name, AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    return name


def key(pk, sk=1):
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def test_terraform_lock_pattern(ddb, lock_table):
    lock = {"LockID": {"S": "bucket/path/terraform.tfstate"}, "Info": {"S": '{"ID":"1","Who":"me"}'}}
    ddb.put_item(TableName=lock_table, Item=lock, ConditionExpression="attribute_not_exists(LockID)")
    code, status, message = error_of(ddb.put_item, TableName=lock_table, Item=lock,
                                     ConditionExpression="attribute_not_exists(LockID)")
    assert (code, status, message) == ("ConditionalCheckFailedException", 400, "The conditional request failed")
    # The holder's Info comes back when asked for.
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as e:
        ddb.put_item(TableName=lock_table, Item=lock, ConditionExpression="attribute_not_exists(LockID)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Item"]["Info"] == lock["Info"]
    ddb.delete_item(TableName=lock_table, Key={"LockID": lock["LockID"]})
    ddb.put_item(TableName=lock_table, Item=lock, ConditionExpression="attribute_not_exists(LockID)")


def test_resource_api_with_condition_builders(resource, table):
    t = resource.Table(table)
    t.put_item(Item={"pk": "user", "sk": 1, "name": "Ann", "age": 30, "tags": {"a", "b"}})
    t.put_item(Item={"pk": "user", "sk": 1, "name": "Ann", "age": 31},
               ConditionExpression=Attr("age").eq(30) & Attr("name").begins_with("A"))
    with pytest.raises(t.meta.client.exceptions.ConditionalCheckFailedException):
        t.put_item(Item={"pk": "user", "sk": 1}, ConditionExpression=Attr("age").lt(18) | Attr("banned").exists())
    with pytest.raises(t.meta.client.exceptions.ConditionalCheckFailedException):
        t.delete_item(Key={"pk": "user", "sk": 1}, ConditionExpression=Key("pk").eq("other"))
    t.update_item(Key={"pk": "user", "sk": 1}, UpdateExpression="SET age = age + :one",
                  ConditionExpression=Attr("age").between(30, 40) & Attr("name").is_in(["Ann", "Bob"]),
                  ExpressionAttributeValues={":one": 1})
    item = t.get_item(Key={"pk": "user", "sk": 1}, ConsistentRead=True)["Item"]
    assert item["age"] == Decimal(32)
    assert t.get_item(Key={"pk": "user", "sk": 1}, ProjectionExpression="age")["Item"] == {"age": Decimal(32)}
    t.delete_item(Key={"pk": "user", "sk": 1}, ConditionExpression=Attr("age").gte(32) & Attr("tags").not_exists())
    assert "Item" not in t.get_item(Key={"pk": "user", "sk": 1})


def test_update_item_actions_and_return_values(resource, table):
    t = resource.Table(table)
    k = {"pk": "counter", "sk": 1}
    # Upsert, and ADD on a missing counter starts from zero.
    out = t.update_item(Key=k, UpdateExpression="ADD hits :one", ExpressionAttributeValues={":one": 1},
                        ReturnValues="ALL_NEW")
    assert out["Attributes"] == {"pk": "counter", "sk": 1, "hits": 1}
    for _ in range(4):
        t.update_item(Key=k, UpdateExpression="ADD hits :one", ExpressionAttributeValues={":one": 1})
    out = t.update_item(Key=k, UpdateExpression="SET hits = hits + :n", ExpressionAttributeValues={":n": 10},
                        ReturnValues="UPDATED_OLD")
    assert out["Attributes"] == {"hits": 5}
    out = t.update_item(Key=k, UpdateExpression="SET history = list_append(if_not_exists(history, :empty), :h)",
                        ExpressionAttributeValues={":empty": [], ":h": ["a"]}, ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"history": ["a"]}
    out = t.update_item(Key=k, UpdateExpression="SET history = list_append(:h, history), opener = if_not_exists(opener, :f)",
                        ExpressionAttributeValues={":h": ["z"], ":f": "yes"}, ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"history": ["z", "a"], "opener": "yes"}
    out = t.update_item(Key=k, UpdateExpression="SET opener = if_not_exists(opener, :f)",
                        ExpressionAttributeValues={":f": "no"}, ReturnValues="ALL_OLD")
    assert out["Attributes"]["opener"] == "yes"
    t.update_item(Key=k, UpdateExpression="ADD colours :c", ExpressionAttributeValues={":c": {"red", "blue"}})
    out = t.update_item(Key=k, UpdateExpression="DELETE colours :c REMOVE history[0]",
                        ExpressionAttributeValues={":c": {"red"}}, ReturnValues="ALL_NEW")
    assert out["Attributes"]["colours"] == {"blue"}
    assert out["Attributes"]["history"] == ["a"]
    out = t.update_item(Key=k, UpdateExpression="REMOVE opener, colours", ReturnValues="UPDATED_OLD")
    assert out["Attributes"] == {"opener": "yes", "colours": {"blue"}}
    assert "Attributes" not in t.update_item(Key=k, UpdateExpression="SET hits = :z", ExpressionAttributeValues={":z": 0})
    assert t.get_item(Key=k, ConsistentRead=True)["Item"] == {"pk": "counter", "sk": 1, "hits": 0, "history": ["a"]}


def test_update_item_errors(ddb, table):
    ddb.put_item(TableName=table, Item={**key("e"), "n": {"N": "1"}, "s": {"S": "x"}})
    code, _, message = error_of(ddb.update_item, TableName=table, Key=key("e"), UpdateExpression="SET pk = :v",
                                ExpressionAttributeValues={":v": {"S": "y"}})
    assert (code, message) == ("ValidationException",
                               "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key")
    _, _, message = error_of(ddb.update_item, TableName=table, Key=key("e"), UpdateExpression="ADD s :one",
                             ExpressionAttributeValues={":one": {"N": "1"}})
    assert message == "An operand in the update expression has an incorrect data type"
    _, _, message = error_of(ddb.update_item, TableName=table, Key=key("e"), UpdateExpression="SET gk = :n",
                             ExpressionAttributeValues={":n": {"N": "1"}})
    assert message == "One or more parameter values were invalid: Type mismatch for Index Key gk Expected: S Actual: N IndexName: by-gk"
    _, _, message = error_of(ddb.update_item, TableName=table, Key=key("e"), UpdateExpression="SET big = :b",
                             ExpressionAttributeValues={":b": {"S": "x" * (400 * 1024)}})
    assert message == "Item size to update has exceeded the maximum allowed size"
    _, _, message = error_of(ddb.update_item, TableName=table, Key=key("e"), UpdateExpression="SET n = :v",
                             ExpressionAttributeValues={":v": {"N": "1"}, ":unused": {"N": "2"}})
    assert message == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    _, _, message = error_of(ddb.update_item, TableName=table, Key=key("e"), UpdateExpression="SET n = :v",
                             ConditionExpression="n = :v", Expected={"n": {"Value": {"N": "1"}}},
                             ExpressionAttributeValues={":v": {"N": "1"}})
    assert message.startswith("Can not use both expression and non-expression parameters in the same request")
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as e:
        ddb.update_item(TableName=table, Key=key("e"), UpdateExpression="SET n = :v", ConditionExpression="n > :v",
                        ExpressionAttributeValues={":v": {"N": "5"}}, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Item"]["n"] == {"N": "1"}
    assert ddb.get_item(TableName=table, Key=key("e"))["Item"]["n"] == {"N": "1"}


def test_legacy_expected_and_attribute_updates(ddb, table):
    ddb.put_item(TableName=table, Item={**key("old"), "v": {"N": "1"}}, Expected={"pk": {"Exists": False}})
    code, _, _ = error_of(ddb.put_item, TableName=table, Item=key("old"), Expected={"pk": {"Exists": False}})
    assert code == "ConditionalCheckFailedException"
    out = ddb.update_item(TableName=table, Key=key("old"), ReturnValues="ALL_NEW",
                          AttributeUpdates={"v": {"Action": "ADD", "Value": {"N": "4"}},
                                            "s": {"Action": "PUT", "Value": {"SS": ["a"]}}},
                          Expected={"v": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}})
    assert out["Attributes"]["v"] == {"N": "5"} and out["Attributes"]["s"] == {"SS": ["a"]}
    code, _, _ = error_of(ddb.update_item, TableName=table, Key=key("old"),
                          AttributeUpdates={"v": {"Action": "DELETE"}},
                          Expected={"v": {"Value": {"N": "1"}}, "missing": {"Exists": True, "Value": {"S": "x"}}},
                          ConditionalOperator="OR")
    assert code == "ConditionalCheckFailedException"
    ddb.delete_item(TableName=table, Key=key("old"), Expected={"v": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "5"}]}})
    assert "Item" not in ddb.get_item(TableName=table, Key=key("old"))
    code, _, message = error_of(ddb.get_item, TableName=table, Key=key("old"), AttributesToGet=["v"], ProjectionExpression="v")
    assert code == "ValidationException" and message.startswith("Can not use both expression and non-expression parameters")


def test_batch_write_and_get(ddb, resource, table, unique):
    other = make_table(ddb, f"writes2-{unique}", hash_only=True)
    out = ddb.batch_write_item(RequestItems={
        table: [{"PutRequest": {"Item": {**key("b", i), "gk": {"S": "g"}}}} for i in range(20)],
        other: [{"PutRequest": {"Item": {"pk": {"S": f"o{i}"}}}} for i in range(5)],
    }, ReturnConsumedCapacity="TOTAL")
    assert out["UnprocessedItems"] == {}
    assert sorted((c["TableName"], c["CapacityUnits"]) for c in out["ConsumedCapacity"]) == sorted([(table, 20.0), (other, 5.0)])
    assert ddb.describe_table(TableName=table)["Table"]["ItemCount"] == 20
    assert ddb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"] == 20

    got = ddb.batch_get_item(RequestItems={
        table: {"Keys": [key("b", 3), key("b", 4), key("b", 99)], "ProjectionExpression": "#s", "ExpressionAttributeNames": {"#s": "sk"}},
        other: {"Keys": [{"pk": {"S": "o1"}}], "ConsistentRead": True},
    })
    assert sorted(i["sk"]["N"] for i in got["Responses"][table]) == ["3", "4"]
    assert got["Responses"][other] == [{"pk": {"S": "o1"}}]
    assert got["UnprocessedKeys"] == {}

    code, _, message = error_of(ddb.batch_write_item, RequestItems={
        table: [{"PutRequest": {"Item": key("x", i)}} for i in range(20)],
        other: [{"DeleteRequest": {"Key": {"pk": {"S": f"o{i}"}}}} for i in range(6)]})
    assert (code, message) == ("ValidationException", "Too many items requested for the BatchWriteItem call")
    _, _, message = error_of(ddb.batch_write_item, RequestItems={
        table: [{"PutRequest": {"Item": key("d")}}, {"DeleteRequest": {"Key": key("d")}}]})
    assert message == "Provided list of item keys contains duplicates"
    _, _, message = error_of(ddb.batch_get_item, RequestItems={table: {"Keys": [key("b", 1), key("b", 1)]}})
    assert message == "Provided list of item keys contains duplicates"
    _, _, message = error_of(ddb.batch_get_item, RequestItems={
        table: {"Keys": [key("b", i) for i in range(60)]}, other: {"Keys": [{"pk": {"S": f"o{i}"}} for i in range(41)]}})
    assert message == "Too many items requested for the BatchGetItem call"
    code, _, _ = error_of(ddb.batch_write_item, RequestItems={f"missing-{unique}": [{"PutRequest": {"Item": key("m")}}]})
    assert code == "ResourceNotFoundException"

    # boto3's batch writer (chunks of 25, retries UnprocessedItems).
    t = resource.Table(table)
    with t.batch_writer() as writer:
        for i in range(100, 160):
            writer.put_item(Item={"pk": "w", "sk": i})
        writer.delete_item(Key={"pk": "b", "sk": 0})
    assert ddb.describe_table(TableName=table)["Table"]["ItemCount"] == 20 - 1 + 60


def test_transactions(ddb, table):
    ddb.put_item(TableName=table, Item={**key("acct", 1), "balance": {"N": "100"}})

    def transfer(amount, **extra):
        return ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": table, "Key": key("acct", 1), "UpdateExpression": "SET balance = balance - :a",
                        "ConditionExpression": "balance >= :a", "ExpressionAttributeValues": {":a": {"N": str(amount)}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Update": {"TableName": table, "Key": key("acct", 2), "UpdateExpression": "ADD balance :a",
                        "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
            {"ConditionCheck": {"TableName": table, "Key": key("frozen", 1), "ConditionExpression": "attribute_not_exists(pk)"}},
        ], **extra)

    transfer(40)
    assert ddb.get_item(TableName=table, Key=key("acct", 1))["Item"]["balance"] == {"N": "60"}
    assert ddb.get_item(TableName=table, Key=key("acct", 2))["Item"]["balance"] == {"N": "40"}

    ddb.put_item(TableName=table, Item=key("frozen", 1))
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as e:
        transfer(70)
    error = e.value.response
    assert error["Error"]["Message"] == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                                         "[ConditionalCheckFailed, None, ConditionalCheckFailed]")
    reasons = error["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None", "ConditionalCheckFailed"]
    assert reasons[0]["Message"] == "The conditional request failed"
    assert reasons[0]["Item"]["balance"] == {"N": "60"}
    assert "Item" not in reasons[2]
    assert ddb.get_item(TableName=table, Key=key("acct", 2))["Item"]["balance"] == {"N": "40"}, "nothing was applied"

    code, _, message = error_of(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": key("same")}},
        {"ConditionCheck": {"TableName": table, "Key": key("same"), "ConditionExpression": "attribute_exists(pk)"}}])
    assert (code, message) == ("ValidationException", "Transaction request cannot include multiple operations on one item")

    got = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": key("acct", 1), "ProjectionExpression": "balance"}},
        {"Get": {"TableName": table, "Key": key("nobody", 1)}},
    ])["Responses"]
    assert got == [{"Item": {"balance": {"N": "60"}}}, {}]


def test_transaction_client_request_token(server, unique):
    ddb = server.client("dynamodb")
    table = make_table(ddb, f"tokens-{unique}")

    def add(amount, token="tok-" + unique):
        return ddb.transact_write_items(ClientRequestToken=token, TransactItems=[
            {"Update": {"TableName": table, "Key": key("c"), "UpdateExpression": "ADD n :a",
                        "ExpressionAttributeValues": {":a": {"N": str(amount)}}}}])

    add(1)
    add(1)  # the SDK's retry: answered again, not applied again
    assert ddb.get_item(TableName=table, Key=key("c"))["Item"]["n"] == {"N": "1"}
    code, status, _ = error_of(add, 2)
    assert (code, status) == ("IdempotentParameterMismatchException", 400)
    # boto3 generates a fresh token per call when none is given.
    ddb.transact_write_items(TransactItems=[{"Update": {"TableName": table, "Key": key("c"), "UpdateExpression": "ADD n :a",
                                                        "ExpressionAttributeValues": {":a": {"N": "1"}}}}])
    assert ddb.get_item(TableName=table, Key=key("c"))["Item"]["n"] == {"N": "2"}
    # Ten minutes on Nimbus's clock later, the token is new again.
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": 601})
    add(2)
    assert ddb.get_item(TableName=table, Key=key("c"))["Item"]["n"] == {"N": "4"}


def test_aws_cli_terraform_lock_pattern(nimbus, unique):
    # What Terraform's S3 backend does with its lock table, through the AWS CLI: the conditional
    # put succeeds once, a second holder is refused, deleting the lock releases it.
    table = f"cli-locks-{unique}"
    nimbus.aws("dynamodb", "create-table", "--table-name", table,
               "--attribute-definitions", "AttributeName=LockID,AttributeType=S",
               "--key-schema", "AttributeName=LockID,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
    nimbus.aws("dynamodb", "wait", "table-exists", "--table-name", table)
    lock = ["dynamodb", "put-item", "--table-name", table, "--item", '{"LockID": {"S": "state/prod"}, "Who": {"S": "ci"}}',
            "--condition-expression", "attribute_not_exists(LockID)"]
    nimbus.aws(*lock)
    second = nimbus.aws(*lock, check=False)
    assert second.returncode != 0 and "ConditionalCheckFailedException" in second.stderr
    got = nimbus.aws("dynamodb", "get-item", "--table-name", table, "--key", '{"LockID": {"S": "state/prod"}}')
    assert got["Item"]["Who"] == {"S": "ci"}
    nimbus.aws("dynamodb", "delete-item", "--table-name", table, "--key", '{"LockID": {"S": "state/prod"}}')
    nimbus.aws(*lock)
    rows = nimbus.aws("dynamodb", "execute-statement", "--statement", f"SELECT Who FROM \"{table}\" WHERE LockID = 'state/prod'")
    assert rows["Items"] == [{"Who": {"S": "ci"}}]
