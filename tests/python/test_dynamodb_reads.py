"""DynamoDB Query and Scan end to end through boto3: every sort-key operator, order, pagination
(Limit, the 1 MB rule, paginators), filters and counts, Select and projections, global and local
secondary indexes, parallel scans, the legacy parameters, and AWS's errors."""
from decimal import Decimal

import boto3
import botocore.config
import pytest
from boto3.dynamodb.conditions import Attr, Key

from conftest import REGION, error_of


@pytest.fixture(scope="module")
def ddb(nimbus):
    return nimbus.client("dynamodb")


@pytest.fixture(scope="module")
def resource(nimbus):
    return boto3.resource("dynamodb", endpoint_url=nimbus.url, region_name=REGION, aws_access_key_id="test",
                          aws_secret_access_key="test", config=botocore.config.Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def table(ddb, resource):
    """pk S / sk N, with a KEYS_ONLY GSI on (g, sk), an INCLUDE GSI on h (x projected), an ALL
    GSI on g and a KEYS_ONLY LSI on (pk, l). Partition "a" holds sk 1..20 (x = sk * 10; g and
    h on even sk only; l counting down), partition "b" one item."""
    name = "reads-" + __import__("uuid").uuid4().hex[:8]
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in [("pk", "S"), ("sk", "N"), ("g", "S"), ("h", "S"), ("l", "S")]],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "by-h", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}},
            {"IndexName": "all-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
        ],
        LocalSecondaryIndexes=[
            {"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
        ],
    )
    t = resource.Table(name)
    with t.batch_writer() as batch:
        for sk in range(1, 21):
            item = {"pk": "a", "sk": sk, "x": sk * 10, "l": f"l{21 - sk:02}", "y": "why",
                    "m": {"tags": ["t1", "t2", "t3"], "n": {"deep": sk}}}
            if sk % 2 == 0:
                item.update(g="g", h="h")
            batch.put_item(Item=item)
        batch.put_item(Item={"pk": "b", "sk": 1})
    return t


def sks(response):
    return [int(i["sk"]) for i in response["Items"]]


@pytest.mark.parametrize("condition, expected", [
    (Key("pk").eq("a") & Key("sk").eq(3), [3]),
    (Key("pk").eq("a") & Key("sk").lt(3), [1, 2]),
    (Key("pk").eq("a") & Key("sk").lte(3), [1, 2, 3]),
    (Key("pk").eq("a") & Key("sk").gt(18), [19, 20]),
    (Key("pk").eq("a") & Key("sk").gte(18), [18, 19, 20]),
    (Key("pk").eq("a") & Key("sk").between(5, 7), [5, 6, 7]),
    (Key("pk").eq("b"), [1]),
    (Key("pk").eq("nothing"), []),
])
def test_sort_key_operators(table, condition, expected):
    assert sks(table.query(KeyConditionExpression=condition)) == expected


def test_begins_with_and_reverse_order(ddb, resource, unique):
    name = f"strs-{unique}"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    t = resource.Table(name)
    for sk in ["a", "ab", "abc", "b", "a\u00ff", "ba", "aa\u0000"]:
        t.put_item(Item={"pk": "p", "sk": sk})
    got = t.query(KeyConditionExpression=Key("pk").eq("p") & Key("sk").begins_with("a"))
    assert [i["sk"] for i in got["Items"]] == ["a", "aa\u0000", "ab", "abc", "a\u00ff"]
    rev = t.query(KeyConditionExpression=Key("pk").eq("p"), ScanIndexForward=False)
    assert [i["sk"] for i in rev["Items"]] == ["ba", "b", "a\u00ff", "abc", "ab", "aa\u0000", "a"]


def test_limit_pagination_forward_and_reverse(table):
    for forward in (True, False):
        got, start, pages = [], None, 0
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            page = table.query(KeyConditionExpression=Key("pk").eq("a"), Limit=6, ScanIndexForward=forward, **extra)
            got += sks(page)
            pages += 1
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        expected = list(range(1, 21))
        assert got == (expected if forward else expected[::-1])
        # 20 items in pages of 6: 6, 6, 6, 2.
        assert pages == 4


def test_paginator_and_filter_counts(ddb, table):
    paginator = ddb.get_paginator("query")
    pages = list(paginator.paginate(
        TableName=table.name, KeyConditionExpression="pk = :p", FilterExpression="x > :x",
        ExpressionAttributeValues={":p": {"S": "a"}, ":x": {"N": "150"}}, PaginationConfig={"PageSize": 7}))
    # Limit counts items evaluated; the filter keeps those above 150.
    assert [p["ScannedCount"] for p in pages] == [7, 7, 6]
    assert [p["Count"] for p in pages] == [0, 0, 5]
    assert [int(i["sk"]["N"]) for p in pages for i in p["Items"]] == [16, 17, 18, 19, 20]
    counted = table.query(KeyConditionExpression=Key("pk").eq("a"), FilterExpression=Attr("g").exists(), Select="COUNT")
    assert (counted["Count"], counted["ScannedCount"]) == (10, 20)
    assert "Items" not in counted


def test_one_megabyte_pages(ddb, resource, unique):
    name = f"big-{unique}"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    t = resource.Table(name)
    blob = "x" * (100 * 1024)
    with t.batch_writer() as batch:
        for sk in range(25):
            batch.put_item(Item={"pk": "p", "sk": sk, "data": blob})
    first = t.query(KeyConditionExpression=Key("pk").eq("p"), ReturnConsumedCapacity="TOTAL")
    # Ten ~100 KB items stay under 1 MB; the eleventh crosses it and ends the page.
    assert sks(first) == list(range(11))
    assert first["LastEvaluatedKey"] == {"pk": "p", "sk": 10}
    # 11 items of about 102,410 bytes: 276 units of 4 KB, halved (eventually consistent).
    assert first["ConsumedCapacity"] == {"TableName": name, "CapacityUnits": 138.0}
    pages = list(ddb.get_paginator("scan").paginate(TableName=name, Select="COUNT"))
    assert [p["Count"] for p in pages] == [11, 11, 3]


def test_projections_with_nested_paths(table):
    got = table.query(KeyConditionExpression=Key("pk").eq("a") & Key("sk").eq(4),
                      ProjectionExpression="#m.tags[1], m.n.deep, x", ExpressionAttributeNames={"#m": "m"})
    assert got["Items"] == [{"m": {"tags": ["t2"], "n": {"deep": 4}}, "x": 40}]
    scanned = table.scan(ProjectionExpression="sk", FilterExpression=Attr("pk").eq("b"))
    assert scanned["Items"] == [{"sk": 1}]


def test_global_secondary_indexes(table):
    keys_only = table.query(IndexName="by-g", KeyConditionExpression=Key("g").eq("g") & Key("sk").gt(14), Limit=2)
    assert keys_only["Items"] == [{"pk": "a", "sk": 16, "g": "g"}, {"pk": "a", "sk": 18, "g": "g"}]
    # The index keys and the table keys.
    assert keys_only["LastEvaluatedKey"] == {"pk": "a", "sk": 18, "g": "g"}
    rest = table.query(IndexName="by-g", KeyConditionExpression=Key("g").eq("g") & Key("sk").gt(14),
                       ExclusiveStartKey=keys_only["LastEvaluatedKey"])
    assert sks(rest) == [20]
    # Sparse: only the 10 items with h; INCLUDE projects x.
    include = table.query(IndexName="by-h", KeyConditionExpression=Key("h").eq("h"))
    assert include["Count"] == 10
    assert include["Items"][0] == {"pk": "a", "sk": 2, "h": "h", "x": 20}
    everything = table.query(IndexName="all-g", KeyConditionExpression=Key("g").eq("g"), Select="ALL_ATTRIBUTES")
    assert everything["Items"][0]["y"] == "why"
    assert error_of(table.query, IndexName="by-h", KeyConditionExpression=Key("h").eq("h"), Select="ALL_ATTRIBUTES") == (
        "ValidationException", 400, "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
        "supported for global secondary index by-h because its projection type is not ALL")
    assert error_of(table.query, IndexName="by-h", KeyConditionExpression=Key("h").eq("h"), ProjectionExpression="y")[2] == (
        "One or more parameter values were invalid: Global secondary index by-h does not project [y]")
    assert error_of(table.query, IndexName="by-g", KeyConditionExpression=Key("g").eq("g"), ConsistentRead=True)[2] == (
        "Consistent reads are not supported on global secondary indexes")


def test_local_secondary_index(table):
    cond = Key("pk").eq("a") & Key("l").lt("l03")
    projected = table.query(IndexName="by-l", KeyConditionExpression=cond)
    assert projected["Items"] == [{"pk": "a", "sk": 20, "l": "l01"}, {"pk": "a", "sk": 19, "l": "l02"}]
    # ALL_ATTRIBUTES on a local index fetches the whole items from the table.
    whole = table.query(IndexName="by-l", KeyConditionExpression=cond, Select="ALL_ATTRIBUTES", ConsistentRead=True,
                        ReturnConsumedCapacity="INDEXES")
    assert [i["y"] for i in whole["Items"]] == ["why", "why"]
    capacity = whole["ConsumedCapacity"]
    assert capacity["LocalSecondaryIndexes"] == {"by-l": {"CapacityUnits": 1.0}}
    assert capacity["Table"] == {"CapacityUnits": 1.0}
    assert capacity["CapacityUnits"] == 2.0


def test_parallel_scan_segments_cover_the_table_once(ddb, resource, unique):
    name = f"par-{unique}"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    t = resource.Table(name)
    with t.batch_writer() as batch:
        for i in range(300):
            batch.put_item(Item={"pk": f"item-{i}", "n": i})
    paginator = ddb.get_paginator("scan")
    per_segment = []
    for segment in range(4):
        items = [i["pk"]["S"] for page in paginator.paginate(TableName=name, Segment=segment, TotalSegments=4,
                                                              PaginationConfig={"PageSize": 25})
                 for i in page["Items"]]
        per_segment.append(items)
    union = [pk for items in per_segment for pk in items]
    assert sorted(union) == sorted(f"item-{i}" for i in range(300))
    assert len(union) == len(set(union)) == 300
    assert all(items for items in per_segment)
    # The same partition again: deterministic.
    again = [i["pk"]["S"] for page in paginator.paginate(TableName=name, Segment=2, TotalSegments=4) for i in page["Items"]]
    assert sorted(again) == sorted(per_segment[2])
    assert error_of(ddb.scan, TableName=name, Segment=4, TotalSegments=4) == (
        "ValidationException", 400,
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 4 is not less than TotalSegments: 4")
    assert error_of(ddb.scan, TableName=name, Segment=1)[2] == (
        "The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
    assert error_of(ddb.scan, TableName=name, TotalSegments=2)[2] == (
        "The Segment parameter is required but was not present in the request when parameter TotalSegments is present")


def test_legacy_parameters(ddb, table):
    got = ddb.query(TableName=table.name, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
        "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "3"}, {"N": "9"}]},
    }, QueryFilter={
        "x": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "50"}]},
        "g": {"ComparisonOperator": "NOT_NULL"},
    }, ConditionalOperator="AND", AttributesToGet=["sk", "x"])
    assert got["Items"] == [{"sk": {"N": str(n)}, "x": {"N": str(n * 10)}} for n in (6, 8)]
    assert (got["Count"], got["ScannedCount"]) == (2, 7)
    scanned = ddb.scan(TableName=table.name, ScanFilter={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "b"}]}})
    assert scanned["Items"] == [{"pk": {"S": "b"}, "sk": {"N": "1"}}]
    assert error_of(ddb.query, TableName=table.name, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
        "sk": {"ComparisonOperator": "NE", "AttributeValueList": [{"N": "1"}]},
    })[2] == "Attempted conditional constraint is not an indexable operation"
    assert error_of(ddb.query, TableName=table.name, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
        QueryFilter={"sk": {"ComparisonOperator": "NOT_NULL"}})[2] == (
        "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk")


def test_query_errors(ddb, table):
    def q(**kwargs):
        return error_of(ddb.query, TableName=table.name, **kwargs)

    p = {":p": {"S": "a"}}
    assert q(KeyConditionExpression="sk = :v", ExpressionAttributeValues={":v": {"N": "1"}}) == (
        "ValidationException", 400, "Query condition missed key schema element: pk")
    assert q(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"N": "1"}})[2] == (
        "One or more parameter values were invalid: Condition parameter type does not match schema type")
    assert q(KeyConditionExpression="pk = :p AND begins_with(sk, :v)",
             ExpressionAttributeValues={":p": {"S": "a"}, ":v": {"N": "1"}})[2] == (
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: "
        "begins_with, operand type: N")
    assert q(KeyConditionExpression="pk = :p AND sk > :a AND sk < :b",
             ExpressionAttributeValues={":p": {"S": "a"}, ":a": {"N": "1"}, ":b": {"N": "5"}})[2] == (
        "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key")
    assert q(KeyConditionExpression="pk = :p", ExpressionAttributeValues=p, FilterExpression="sk > :p")[2] == (
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk")
    assert q(KeyConditionExpression="pk = :p", ExpressionAttributeValues=p, IndexName="missing")[2] == (
        "The table does not have the specified index: missing")
    assert q(KeyConditionExpression="pk = :p", ExpressionAttributeValues=p, Select="ALL_PROJECTED_ATTRIBUTES")[2] == (
        "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    assert q(KeyConditionExpression="pk = :p", ExpressionAttributeValues=p, Select="SPECIFIC_ATTRIBUTES")[2] == (
        "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get "
        "SPECIFIC_ATTRIBUTES")
    assert q(KeyConditionExpression="pk = :p", ExpressionAttributeValues=p, Select="COUNT", ProjectionExpression="x")[2] == (
        "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get only the Count")
    assert q(KeyConditionExpression="pk = :p", ExpressionAttributeValues=p,
             ExclusiveStartKey={"pk": {"S": "a"}})[2] == "The provided starting key is invalid"
    assert q(KeyConditionExpression="pk = :p", ExpressionAttributeValues=p,
             ExclusiveStartKey={"pk": {"S": "b"}, "sk": {"N": "1"}})[2] == (
        "The provided starting key is outside query boundaries based on provided conditions")
    assert error_of(ddb.query, TableName="no-such-table", KeyConditionExpression="pk = :p", ExpressionAttributeValues=p) == (
        "ResourceNotFoundException", 400, "Requested resource not found")
    assert error_of(ddb.scan, TableName=table.name, ExclusiveStartKey={"pk": {"S": "a"}})[2] == (
        "The provided starting key is invalid: The provided key element does not match the schema")


def test_scan_of_an_index_and_consistent_reads(table):
    got = table.scan(IndexName="by-h", Limit=4, ConsistentRead=False)
    assert got["Count"] == 4
    assert set(got["LastEvaluatedKey"]) == {"pk", "sk", "h"}
    rest = table.scan(IndexName="by-h", ExclusiveStartKey=got["LastEvaluatedKey"])
    assert sorted(sks(got) + sks(rest)) == list(range(2, 21, 2))
    full = table.scan(ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert full["Count"] == 21 and full["ScannedCount"] == 21
    assert full["ConsumedCapacity"]["TableName"] == table.name
    assert isinstance(full["ConsumedCapacity"]["CapacityUnits"], float)
    assert Decimal(str(full["ConsumedCapacity"]["CapacityUnits"])) >= 1
