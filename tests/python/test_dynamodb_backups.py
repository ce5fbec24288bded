"""DynamoDB on-demand backups and point-in-time recovery end to end through boto3 and the AWS CLI:
CreateBackup / DescribeBackup / ListBackups / DeleteBackup, RestoreTableFromBackup with its
overrides, UpdateContinuousBackups and RestoreTableToPointInTime to a time between two writes,
the SYSTEM backup DeleteTable leaves of a table with PITR, and all of it surviving `kill -9`.

Expected behaviour is AWS's (DynamoDB API reference: CreateBackup, ListBackups,
RestoreTableFromBackup, RestoreTableToPointInTime; "Point-in-time recovery: how it works").
Nimbus differences the tests rely on: backups are AVAILABLE and restored tables ACTIVE at once,
and LatestRestorableDateTime is now rather than about five minutes ago. The module runs its own
Nimbus because it moves the clock."""
import datetime
import re

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def ddb(server):
    return server.client("dynamodb")


def advance(server, seconds):
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": seconds})


def clock(server):
    now = server.admin("GET", "/_nimbus/clock")["now"]
    return datetime.datetime.fromisoformat(now.replace("Z", "+00:00"))


def error(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kwargs)
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def make_table(ddb, name):
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "gk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{"IndexName": "by-gk", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    return name


def put(ddb, table, pk, v):
    ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "gk": {"S": f"g-{v}"}, "v": {"S": v}})


def contents(ddb, table):
    items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted((i["pk"]["S"], i["v"]["S"]) for i in items)


def by_gk(ddb, table, gk):
    page = ddb.query(TableName=table, IndexName="by-gk", KeyConditionExpression="gk = :g",
                     ExpressionAttributeValues={":g": {"S": gk}})
    return [i["pk"]["S"] for i in page["Items"]]


def enable_pitr(ddb, table, **spec):
    return ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, **spec})


def test_backup_modify_restore_gives_the_snapshot(server, ddb, unique):
    table = make_table(ddb, f"bk-{unique}")
    put(ddb, table, "a", "x")
    put(ddb, table, "b", "y")
    details = ddb.create_backup(TableName=table, BackupName="nightly")["BackupDetails"]
    arn = details["BackupArn"]
    assert re.fullmatch(rf"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/backup/\d{{14}}-[0-9a-f]{{8}}", arn), arn
    assert details["BackupStatus"] == "AVAILABLE"
    assert details["BackupType"] == "USER"
    assert details["BackupName"] == "nightly"
    assert details["BackupSizeBytes"] > 0
    assert abs((details["BackupCreationDateTime"] - clock(server)).total_seconds()) < 60

    ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    put(ddb, table, "b", "changed")
    put(ddb, table, "c", "new")

    target = f"bk-restored-{unique}"
    restored = ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)["TableDescription"]
    ddb.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    assert restored["TableStatus"] == "ACTIVE"
    assert restored["ItemCount"] == 2
    summary = restored["RestoreSummary"]
    assert summary["SourceBackupArn"] == arn
    assert summary["SourceTableArn"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    assert summary["RestoreInProgress"] is False
    assert summary["RestoreDateTime"] == details["BackupCreationDateTime"]
    assert contents(ddb, target) == [("a", "x"), ("b", "y")]
    assert contents(ddb, table) == [("b", "changed"), ("c", "new")]
    assert by_gk(ddb, target, "g-y") == ["b"]
    assert by_gk(ddb, target, "g-new") == []

    code, status, message = error(ddb.restore_table_from_backup, TargetTableName=table, BackupArn=arn)
    assert (code, status, message) == ("TableAlreadyExistsException", 400, f"Table already exists: {table}")

    description = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    assert description["SourceTableDetails"]["TableName"] == table
    assert description["SourceTableDetails"]["ItemCount"] == 2
    assert description["SourceTableDetails"]["BillingMode"] == "PAY_PER_REQUEST"
    assert description["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"][0]["IndexName"] == "by-gk"

    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    code, status, message = error(ddb.describe_backup, BackupArn=arn)
    assert (code, status, message) == ("BackupNotFoundException", 400, f"Backup not found: {arn}")
    assert error(ddb.restore_table_from_backup, TargetTableName=f"bk-again-{unique}", BackupArn=arn)[0] == "BackupNotFoundException"
    # The restored table stands on its own.
    assert contents(ddb, target) == [("a", "x"), ("b", "y")]


def test_restore_overrides(ddb, unique):
    table = make_table(ddb, f"ovr-{unique}")
    put(ddb, table, "a", "x")
    arn = ddb.create_backup(TableName=table, BackupName="b1x")["BackupDetails"]["BackupArn"]
    target = f"ovr-restored-{unique}"
    restored = ddb.restore_table_from_backup(
        TargetTableName=target, BackupArn=arn, BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
        GlobalSecondaryIndexOverride=[])["TableDescription"]
    assert restored["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert restored["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert "GlobalSecondaryIndexes" not in restored
    assert contents(ddb, target) == [("a", "x")]
    code, status, _ = error(ddb.restore_table_from_backup, TargetTableName=f"ovr-bad-{unique}", BackupArn=arn,
                            BillingModeOverride="PROVISIONED")
    assert (code, status) == ("ValidationException", 400)


def test_list_backups_filters_and_pagination(server, ddb, unique):
    table = make_table(ddb, f"lst-{unique}")
    start = clock(server)
    arns = []
    for i in range(3):
        arns.append(ddb.create_backup(TableName=table, BackupName=f"b-{i}")["BackupDetails"]["BackupArn"])
        advance(server, 10)
    listed = ddb.list_backups(TableName=table)["BackupSummaries"]
    assert [s["BackupArn"] for s in listed] == arns
    assert {s["TableName"] for s in listed} == {table}
    assert all(s["BackupType"] == "USER" and s["BackupStatus"] == "AVAILABLE" for s in listed)

    first = ddb.list_backups(TableName=table, Limit=2)
    assert [s["BackupArn"] for s in first["BackupSummaries"]] == arns[:2]
    assert first["LastEvaluatedBackupArn"] == arns[1]
    rest = ddb.list_backups(TableName=table, Limit=2, ExclusiveStartBackupArn=first["LastEvaluatedBackupArn"])
    assert [s["BackupArn"] for s in rest["BackupSummaries"]] == arns[2:]
    assert "LastEvaluatedBackupArn" not in rest
    paged = [s["BackupArn"] for page in ddb.get_paginator("list_backups").paginate(TableName=table, PaginationConfig={"PageSize": 1})
             for s in page["BackupSummaries"]]
    assert paged == arns

    window = ddb.list_backups(TableName=table, TimeRangeLowerBound=start + datetime.timedelta(seconds=10),
                              TimeRangeUpperBound=start + datetime.timedelta(seconds=20))
    assert [s["BackupArn"] for s in window["BackupSummaries"]] == arns[1:2]
    assert ddb.list_backups(TableName=table, BackupType="SYSTEM")["BackupSummaries"] == []
    assert len(ddb.list_backups(TableName=table, BackupType="ALL")["BackupSummaries"]) == 3


def test_point_in_time_restore_between_two_writes(server, ddb, unique):
    table = make_table(ddb, f"pitr-{unique}")
    put(ddb, table, "gone", "old")
    put(ddb, table, "kept", "v1")
    enable_pitr(ddb, table)
    advance(server, 10)
    ddb.delete_item(TableName=table, Key={"pk": {"S": "gone"}})  # first write set
    put(ddb, table, "a", "a1")
    advance(server, 10)
    middle = clock(server)
    advance(server, 10)
    put(ddb, table, "kept", "v2")  # second write set: an update, an insert, a delete
    put(ddb, table, "inserted", "i1")
    ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    advance(server, 10)

    description = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert description["PointInTimeRecoveryStatus"] == "ENABLED"
    assert description["RecoveryPeriodInDays"] == 35
    assert description["EarliestRestorableDateTime"] < middle < description["LatestRestorableDateTime"]
    assert abs((description["LatestRestorableDateTime"] - clock(server)).total_seconds()) < 5

    target = f"pitr-mid-{unique}"
    restored = ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=target, RestoreDateTime=middle)["TableDescription"]
    assert restored["TableStatus"] == "ACTIVE"
    assert restored["RestoreSummary"]["SourceTableArn"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    assert "SourceBackupArn" not in restored["RestoreSummary"]
    # The first write set is there, the second is not: the update reverted, the insert gone, the delete undone.
    assert contents(ddb, target) == [("a", "a1"), ("kept", "v1")]
    assert by_gk(ddb, target, "g-a1") == ["a"]
    assert by_gk(ddb, target, "g-i1") == []

    # Before the first write set: the deleted item is back.
    early = f"pitr-early-{unique}"
    ddb.restore_table_to_point_in_time(SourceTableArn=f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}", TargetTableName=early,
                                       RestoreDateTime=description["EarliestRestorableDateTime"])
    assert contents(ddb, early) == [("gone", "old"), ("kept", "v1")]

    latest = f"pitr-latest-{unique}"
    ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=latest, UseLatestRestorableTime=True)
    assert contents(ddb, latest) == contents(ddb, table) == [("inserted", "i1"), ("kept", "v2")]


def test_point_in_time_restore_errors(server, ddb, unique):
    plain = make_table(ddb, f"pe-plain-{unique}")
    code, status, _ = error(ddb.restore_table_to_point_in_time, SourceTableName=plain, TargetTableName=f"pe-x-{unique}",
                            UseLatestRestorableTime=True)
    assert (code, status) == ("PointInTimeRecoveryUnavailableException", 400)
    code, status, message = error(ddb.restore_table_to_point_in_time, SourceTableName=f"pe-none-{unique}",
                                  TargetTableName=f"pe-x-{unique}", UseLatestRestorableTime=True)
    assert (code, status, message) == ("TableNotFoundException", 400, f"Table not found: pe-none-{unique}")

    table = make_table(ddb, f"pe-on-{unique}")
    enable_pitr(ddb, table)
    now = clock(server)
    for when in (now - datetime.timedelta(minutes=1), now + datetime.timedelta(minutes=10)):
        code, status, _ = error(ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=f"pe-x-{unique}",
                                RestoreDateTime=when)
        assert (code, status) == ("InvalidRestoreTimeException", 400)
    code, status, _ = error(ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=plain,
                            UseLatestRestorableTime=True)
    assert (code, status) == ("TableAlreadyExistsException", 400)
    code, status, message = error(ddb.create_backup, TableName=f"pe-none-{unique}", BackupName="bkp")
    assert (code, status, message) == ("TableNotFoundException", 400, f"Table not found: pe-none-{unique}")

    # Disabling drops the log: re-enabling starts a new window.
    ddb.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    advance(server, 10)
    enable_pitr(ddb, table)
    code, _, _ = error(ddb.restore_table_to_point_in_time, SourceTableName=table, TargetTableName=f"pe-x-{unique}", RestoreDateTime=now)
    assert code == "InvalidRestoreTimeException"


def test_deleting_a_table_with_pitr_leaves_a_system_backup(server, ddb, unique):
    table = make_table(ddb, f"sys-{unique}")
    enable_pitr(ddb, table)
    put(ddb, table, "a", "x")
    ddb.delete_table(TableName=table)
    assert ddb.list_backups(TableName=table)["BackupSummaries"] == []
    (system,) = ddb.list_backups(TableName=table, BackupType="SYSTEM")["BackupSummaries"]
    assert system["BackupName"] == f"{table}$DeletedTableBackup"
    assert system["BackupType"] == "SYSTEM"
    assert (system["BackupExpiryDateTime"] - system["BackupCreationDateTime"]) == datetime.timedelta(days=35)
    ddb.restore_table_from_backup(TargetTableName=table, BackupArn=system["BackupArn"])
    assert contents(ddb, table) == [("a", "x")]
    # 35 days on, the sweeper (run right after the clock moves) has removed it.
    advance(server, 35 * 86_400 + 60)
    assert error(ddb.describe_backup, BackupArn=system["BackupArn"])[0] == "BackupNotFoundException"
    assert ddb.list_backups(TableName=table, BackupType="ALL")["BackupSummaries"] == []


def test_aws_cli_backup_and_restore(server, unique):
    table = f"cli-bk-{unique}"
    server.aws("dynamodb", "create-table", "--table-name", table,
               "--attribute-definitions", "AttributeName=pk,AttributeType=S",
               "--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
    server.aws("dynamodb", "put-item", "--table-name", table, "--item", '{"pk": {"S": "a"}}')
    arn = server.aws("dynamodb", "create-backup", "--table-name", table, "--backup-name", "cli")["BackupDetails"]["BackupArn"]
    server.aws("dynamodb", "restore-table-from-backup", "--target-table-name", f"{table}-r", "--backup-arn", arn)
    server.aws("dynamodb", "wait", "table-exists", "--table-name", f"{table}-r")
    assert server.aws("dynamodb", "scan", "--table-name", f"{table}-r")["Items"] == [{"pk": {"S": "a"}}]
    listed = server.aws("dynamodb", "list-backups", "--table-name", table)["BackupSummaries"]
    assert [b["BackupArn"] for b in listed] == [arn]


def test_backups_and_the_pitr_log_survive_kill_9(start_nimbus, data_dir):
    first = start_nimbus(data_dir=data_dir)
    ddb = first.client("dynamodb")
    table = make_table(ddb, "durable")
    put(ddb, table, "a", "v1")
    arn = ddb.create_backup(TableName=table, BackupName="durable-bk")["BackupDetails"]["BackupArn"]
    enable_pitr(ddb, table)
    advance(first, 10)
    put(ddb, table, "a", "v2")
    middle = clock(first)
    advance(first, 10)
    put(ddb, table, "a", "v3")
    first.kill9()

    second = start_nimbus(data_dir=data_dir)
    ddb = second.client("dynamodb")
    ddb.restore_table_from_backup(TargetTableName="durable-from-backup", BackupArn=arn)
    assert contents(ddb, "durable-from-backup") == [("a", "v1")]
    ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName="durable-pitr", RestoreDateTime=middle)
    assert contents(ddb, "durable-pitr") == [("a", "v2")]
