"""DynamoDB Streams end to end: boto3's `dynamodbstreams` client reading the change records of
tables written with the `dynamodb` client; stream lifecycle (enable, disable, re-enable, table
deletion); iterator types, expiry and trimming on Nimbus's clock; TTL deletions by the sweeper;
records surviving `kill -9`.

Expected behaviour is AWS's (DynamoDB Streams API reference, "Change data capture for DynamoDB
Streams", "Using time to live"). The module runs its own Nimbus because it moves the clock."""
import datetime

import botocore.exceptions
import pytest
import requests

import sigv4

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def ddb(server):
    return server.client("dynamodb")


@pytest.fixture(scope="module")
def streams(server):
    return server.client("dynamodbstreams")


def advance(server, seconds):
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": seconds})


def clock_secs(server):
    now = server.admin("GET", "/_nimbus/clock")["now"]
    return int(datetime.datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp())


def error(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kwargs)
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def create_table(ddb, name, view_type=None):
    args = dict(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    if view_type:
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    return ddb.create_table(**args)["TableDescription"]


def shard_id(streams, arn):
    return streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]


def iterator(streams, arn, kind, sequence=None):
    args = dict(StreamArn=arn, ShardId=shard_id(streams, arn), ShardIteratorType=kind)
    if sequence:
        args["SequenceNumber"] = sequence
    return streams.get_shard_iterator(**args)["ShardIterator"]


def read_all(streams, arn, kind="TRIM_HORIZON"):
    """Every record from `kind` on, following NextShardIterator until a page is empty."""
    it = iterator(streams, arn, kind)
    out = []
    while it:
        page = streams.get_records(ShardIterator=it, Limit=2)
        out += page["Records"]
        if not page["Records"]:
            break
        it = page.get("NextShardIterator")
    return out


def events(records):
    return [r["eventName"] for r in records]


@pytest.mark.parametrize("view_type,new,old", [
    ("KEYS_ONLY", False, False),
    ("NEW_IMAGE", True, False),
    ("OLD_IMAGE", False, True),
    ("NEW_AND_OLD_IMAGES", True, True),
])
def test_insert_modify_remove_in_order_with_the_view_types_images(server, ddb, streams, unique, view_type, new, old):
    table = f"st-{view_type.lower().replace('_', '-')}-{unique}"
    description = create_table(ddb, table, view_type)
    arn = description["LatestStreamArn"]
    label = description["LatestStreamLabel"]
    assert arn == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/{label}"
    assert ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"] == arn
    assert ddb.describe_table(TableName=table)["Table"]["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": view_type}

    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"N": "1"}})  # unchanged: no record
    ddb.update_item(TableName=table, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "never-there"}})  # nothing removed: no record

    records = read_all(streams, arn)
    assert events(records) == ["INSERT", "MODIFY", "REMOVE"]
    now = clock_secs(server)
    numbers = []
    for record in records:
        assert record["eventVersion"] == "1.1"
        assert record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == REGION
        assert "userIdentity" not in record
        body = record["dynamodb"]
        assert body["Keys"] == {"pk": {"S": "a"}}
        assert body["StreamViewType"] == view_type
        assert body["SizeBytes"] > 0
        assert abs(body["ApproximateCreationDateTime"].timestamp() - now) < 60
        numbers.append(body["SequenceNumber"])
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers) and len(set(numbers)) == 3
    insert, modify, remove = (r["dynamodb"] for r in records)
    assert ("NewImage" in insert) == new and ("OldImage" not in insert)
    assert ("NewImage" in modify) == new and ("OldImage" in modify) == old
    assert ("NewImage" not in remove) and ("OldImage" in remove) == old
    if new:
        assert modify["NewImage"] == {"pk": {"S": "a"}, "v": {"N": "2"}}
    if old:
        assert modify["OldImage"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
        assert remove["OldImage"] == {"pk": {"S": "a"}, "v": {"N": "2"}}
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    assert shard["SequenceNumberRange"]["StartingSequenceNumber"] == numbers[0]


def test_describe_and_list_streams(ddb, streams, unique):
    table = f"st-desc-{unique}"
    created = create_table(ddb, table, "NEW_IMAGE")
    arn = created["LatestStreamArn"]
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamArn"] == arn
    assert description["StreamLabel"] == created["LatestStreamLabel"]
    assert description["StreamStatus"] == "ENABLED"
    assert description["StreamViewType"] == "NEW_IMAGE"
    assert description["TableName"] == table
    assert description["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert isinstance(description["CreationRequestDateTime"], datetime.datetime)
    [shard] = description["Shards"]
    assert shard["ShardId"].startswith("shardId-")
    assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]
    assert streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=shard["ShardId"])["StreamDescription"]["Shards"] == []

    listed = streams.list_streams(TableName=table)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": table, "StreamLabel": created["LatestStreamLabel"]}]
    # Paging over every stream of the account visits this one exactly once.
    seen, start = [], None
    while True:
        page = streams.list_streams(Limit=1, **({"ExclusiveStartStreamArn": start} if start else {}))
        seen += [s["StreamArn"] for s in page["Streams"]]
        start = page.get("LastEvaluatedStreamArn")
        if not start:
            break
    assert seen.count(arn) == 1


def test_iterator_types(ddb, streams, unique):
    table = f"st-iter-{unique}"
    arn = create_table(ddb, table, "KEYS_ONLY")["LatestStreamArn"]
    for pk in "abc":
        ddb.put_item(TableName=table, Item={"pk": {"S": pk}})
    numbers = [r["dynamodb"]["SequenceNumber"] for r in read_all(streams, arn)]
    assert len(numbers) == 3

    latest = iterator(streams, arn, "LATEST")
    assert latest.startswith(arn + "|")
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    ddb.put_item(TableName=table, Item={"pk": {"S": "d"}})
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in streams.get_records(ShardIterator=latest)["Records"]] == ["d"]

    at = streams.get_records(ShardIterator=iterator(streams, arn, "AT_SEQUENCE_NUMBER", numbers[1]), Limit=1)
    assert at["Records"][0]["dynamodb"]["SequenceNumber"] == numbers[1]
    after = streams.get_records(ShardIterator=iterator(streams, arn, "AFTER_SEQUENCE_NUMBER", numbers[1]), Limit=1)
    assert after["Records"][0]["dynamodb"]["SequenceNumber"] == numbers[2]
    rest = streams.get_records(ShardIterator=after["NextShardIterator"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in rest["Records"]] == ["d"]
    # An open shard always gives a next iterator, even with nothing new.
    assert rest["NextShardIterator"]


def test_disabling_and_re_enabling_makes_a_new_stream(server, ddb, streams, unique):
    table = f"st-toggle-{unique}"
    first = create_table(ddb, table, "NEW_IMAGE")["LatestStreamArn"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}})
    reader = iterator(streams, first, "TRIM_HORIZON")

    advance(server, 2)  # a new label needs a later millisecond
    updated = ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})["TableDescription"]
    assert "StreamSpecification" not in updated
    assert updated["LatestStreamArn"] == first
    ddb.put_item(TableName=table, Item={"pk": {"S": "while-disabled"}})

    description = streams.describe_stream(StreamArn=first)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    assert "EndingSequenceNumber" in description["Shards"][0]["SequenceNumberRange"]
    page = streams.get_records(ShardIterator=reader)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]] == ["a"]
    assert "NextShardIterator" not in page  # the closed shard is read to its end

    enabled = ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    second = enabled["TableDescription"]["LatestStreamArn"]
    assert second != first
    assert ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"] == second
    ddb.put_item(TableName=table, Item={"pk": {"S": "b"}})
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, second)] == ["b"]
    assert [s["StreamArn"] for s in streams.list_streams(TableName=table)["Streams"]] == [first, second]

    code, status, message = error(ddb.update_table, TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert (code, status) == ("ValidationException", 400)
    assert message == f"Table already has an enabled stream: TableName: {table}"


def test_deleted_tables_stream_stays_readable_disabled(ddb, streams, unique):
    table = f"st-deleted-{unique}"
    arn = create_table(ddb, table, "NEW_IMAGE")["LatestStreamArn"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}})
    ddb.delete_table(TableName=table)
    assert streams.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"] == "DISABLED"
    assert events(read_all(streams, arn)) == ["INSERT"]


def test_errors(ddb, streams, unique):
    table = f"st-errors-{unique}"
    arn = create_table(ddb, table, "KEYS_ONLY")["LatestStreamArn"]
    missing = arn + "0"
    assert error(streams.describe_stream, StreamArn=missing) == (
        "ResourceNotFoundException", 400, f"Requested resource not found: Stream: {missing} not found")
    assert error(streams.get_shard_iterator, StreamArn=arn, ShardId="shardId-00000001700000000000-00000000", ShardIteratorType="LATEST") == (
        "ResourceNotFoundException", 400, "Requested resource not found: Shard does not exist")
    code, status, _ = error(streams.get_shard_iterator, StreamArn=arn, ShardId=shard_id(streams, arn), ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert (code, status) == ("ValidationException", 400)
    code, _, _ = error(streams.get_shard_iterator, StreamArn=arn, ShardId=shard_id(streams, arn),
                       ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber="9" * 21)
    assert code == "ValidationException"
    assert error(streams.get_records, ShardIterator=iterator(streams, arn, "LATEST"), Limit=1001) == (
        "ValidationException", 400,
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000")
    assert error(streams.list_streams, TableName=f"none-{unique}") == (
        "ResourceNotFoundException", 400, f"Requested resource not found: Table: none-{unique} not found")


def test_target_prefix_picks_streams_or_dynamodb(server):
    """DynamoDB and DynamoDB Streams share the signing name `dynamodb`: the X-Amz-Target prefix
    picks the service."""
    def post(target):
        url = server.url + "/"
        headers = sigv4.sign("POST", url, {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target}, "{}",
                             "test", "test", REGION, "dynamodb")
        return requests.post(url, data="{}", headers=headers, timeout=30)

    streams_answer = post("DynamoDBStreams_20120810.ListStreams")
    assert streams_answer.status_code == 200 and "Streams" in streams_answer.json(), streams_answer.text
    tables_answer = post("DynamoDB_20120810.ListTables")
    assert tables_answer.status_code == 200 and "TableNames" in tables_answer.json(), tables_answer.text
    coverage = requests.get(server.url + "/_nimbus/services", timeout=30).json()["dynamodbstreams"]
    assert coverage["implemented"] == coverage["total"] == 4 and coverage["not_implemented"] == []


# --- clock-driven: expiry, trimming, TTL (these move the module server's clock) ----------------

def test_iterators_expire_after_15_minutes(server, ddb, streams, unique):
    table = f"st-expiry-{unique}"
    arn = create_table(ddb, table, "KEYS_ONLY")["LatestStreamArn"]
    it = iterator(streams, arn, "TRIM_HORIZON")
    advance(server, 14 * 60)
    streams.get_records(ShardIterator=it)
    advance(server, 2 * 60)
    assert error(streams.get_records, ShardIterator=it) == (
        "ExpiredIteratorException", 400, "The provided iterator exceeds the maximum age allowed.")


def test_records_older_than_24_hours_are_trimmed(server, ddb, streams, unique):
    table = f"st-trim-{unique}"
    arn = create_table(ddb, table, "KEYS_ONLY")["LatestStreamArn"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "old"}})
    old = read_all(streams, arn)[0]["dynamodb"]["SequenceNumber"]
    advance(server, 12 * 3600)
    ddb.put_item(TableName=table, Item={"pk": {"S": "new"}})
    advance(server, 13 * 3600)  # the sweeper runs before the clock move answers
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, arn)] == ["new"]
    assert error(streams.get_shard_iterator, StreamArn=arn, ShardId=shard_id(streams, arn),
                 ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=old) == (
        "TrimmedDataAccessException", 400, "The operation attempted to read past the oldest stream record in a shard.")


def test_ttl_deletes_expired_items_with_a_service_remove_record(server, ddb, streams, unique):
    table = f"st-ttl-{unique}"
    arn = create_table(ddb, table, "NEW_AND_OLD_IMAGES")["LatestStreamArn"]
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    now = clock_secs(server)
    ddb.put_item(TableName=table, Item={"pk": {"S": "expiring"}, "expires": {"N": str(now + 60)}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "later"}, "expires": {"N": str(now + 100_000)}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "string"}, "expires": {"S": str(now - 10)}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "ancient"}, "expires": {"N": str(now - 6 * 366 * 86400)}})
    assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": "expiring"}})

    advance(server, 120)
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "expiring"}})
    for kept in ("later", "string", "ancient"):
        assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": kept}}), kept
    assert ddb.describe_table(TableName=table)["Table"]["ItemCount"] == 3

    removals = [r for r in read_all(streams, arn) if r["eventName"] == "REMOVE"]
    assert len(removals) == 1
    [removal] = removals
    assert removal["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert removal["dynamodb"]["Keys"] == {"pk": {"S": "expiring"}}
    assert removal["dynamodb"]["OldImage"]["expires"] == {"N": str(now + 60)}


def test_records_survive_kill_9(start_nimbus, data_dir):
    first = start_nimbus(data_dir=data_dir)
    ddb = first.client("dynamodb")
    arn = create_table(ddb, "durable-stream", "NEW_IMAGE")["LatestStreamArn"]
    for pk in "abc":
        ddb.put_item(TableName="durable-stream", Item={"pk": {"S": pk}})
    before = read_all(first.client("dynamodbstreams"), arn)
    assert len(before) == 3
    first.kill9()

    second = start_nimbus(data_dir=data_dir)
    streams = second.client("dynamodbstreams")
    after = read_all(streams, arn)
    assert [r["dynamodb"] for r in after] == [r["dynamodb"] for r in before]
    second.client("dynamodb").put_item(TableName="durable-stream", Item={"pk": {"S": "d"}})
    newest = read_all(streams, arn)[-1]["dynamodb"]
    assert int(newest["SequenceNumber"]) > int(before[-1]["dynamodb"]["SequenceNumber"])

