//! On-demand backups, restores and point-in-time recovery, called directly on an ephemeral
//! store with a fixed clock that the tests move.

use std::time::Duration;

use super::*;
use crate::tests::{call, err, ok};
use serde_json::json;

const START_SECS: i64 = 1_700_000_000;
const ARN_PREFIX: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/";

fn service() -> DynamoDb {
    DynamoDb::new(Store::open_ephemeral().unwrap(), Clock::fixed(time::OffsetDateTime::from_unix_timestamp(START_SECS).unwrap()))
}

fn advance(db: &DynamoDb, secs: u64) {
    db.clock.advance(Duration::from_secs(secs));
}

/// Seconds since the epoch on the service's clock.
fn now(db: &DynamoDb) -> f64 {
    db.clock.now_millis() as f64 / 1000.0
}

fn create(db: &DynamoDb, name: &str) {
    ok(
        db,
        "CreateTable",
        json!({
            "TableName": name,
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "gk", "AttributeType": "S"}
            ],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [{
                "IndexName": "by-gk",
                "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}
            }]
        }),
    );
}

fn put(db: &DynamoDb, table: &str, pk: &str, sk: i64, v: &str) {
    ok(db, "PutItem", json!({"TableName": table, "Item": {"pk": {"S": pk}, "sk": {"N": sk.to_string()}, "gk": {"S": format!("g-{v}")}, "v": {"S": v}}}));
}

fn delete(db: &DynamoDb, table: &str, pk: &str, sk: i64) {
    ok(db, "DeleteItem", json!({"TableName": table, "Key": {"pk": {"S": pk}, "sk": {"N": sk.to_string()}}}));
}

/// `(pk, sk, v)` of every item, in key order.
fn items(db: &DynamoDb, table: &str) -> Vec<(String, String, String)> {
    let page = ok(db, "Scan", json!({"TableName": table}));
    let mut out: Vec<_> = page["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["pk"]["S"].as_str().unwrap().to_owned(), i["sk"]["N"].as_str().unwrap().to_owned(), i["v"]["S"].as_str().unwrap().to_owned()))
        .collect();
    out.sort();
    out
}

fn triples(list: &[(&str, i64, &str)]) -> Vec<(String, String, String)> {
    list.iter().map(|(pk, sk, v)| ((*pk).to_owned(), sk.to_string(), (*v).to_owned())).collect()
}

fn by_gk(db: &DynamoDb, table: &str, gk: &str) -> Vec<String> {
    let page = ok(db, "Query", json!({"TableName": table, "IndexName": "by-gk", "KeyConditionExpression": "gk = :g", "ExpressionAttributeValues": {":g": {"S": gk}}}));
    page["Items"].as_array().unwrap().iter().map(|i| i["pk"]["S"].as_str().unwrap().to_owned()).collect()
}

fn backup(db: &DynamoDb, table: &str, name: &str) -> Value {
    ok(db, "CreateBackup", json!({"TableName": table, "BackupName": name}))["BackupDetails"].clone()
}

fn enable_pitr(db: &DynamoDb, table: &str) -> Value {
    ok(db, "UpdateContinuousBackups", json!({"TableName": table, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}))
}

fn restore_to(db: &DynamoDb, source: &str, target: &str, at: f64) -> Result<Value, ServiceError> {
    call(db, "RestoreTableToPointInTime", json!({"SourceTableName": source, "TargetTableName": target, "RestoreDateTime": at}))
}

#[test]
fn backup_then_modify_then_restore_gives_the_snapshot() {
    let db = service();
    create(&db, "orders");
    put(&db, "orders", "a", 1, "x");
    put(&db, "orders", "a", 2, "y");
    put(&db, "orders", "b", 1, "z");
    let details = backup(&db, "orders", "before-cleanup");
    let arn = details["BackupArn"].as_str().unwrap();
    let label = arn.strip_prefix(&format!("{ARN_PREFIX}orders/backup/")).expect("AWS's backup ARN");
    let (millis, suffix) = label.split_once('-').unwrap();
    assert_eq!(millis, format!("{:014}", START_SECS * 1000));
    assert!(suffix.len() == 8 && suffix.bytes().all(|b| b.is_ascii_hexdigit()), "{label}");
    assert_eq!(details["BackupName"], "before-cleanup");
    assert_eq!(details["BackupStatus"], "AVAILABLE");
    assert_eq!(details["BackupType"], "USER");
    assert_eq!(details["BackupCreationDateTime"], json!(START_SECS));
    assert!(details["BackupSizeBytes"].as_i64().unwrap() > 0);

    advance(&db, 60);
    delete(&db, "orders", "a", 1);
    put(&db, "orders", "a", 2, "changed");
    put(&db, "orders", "c", 1, "new");

    let restored = ok(&db, "RestoreTableFromBackup", json!({"TargetTableName": "orders-restored", "BackupArn": arn}))["TableDescription"].clone();
    assert_eq!(restored["TableName"], "orders-restored");
    assert_eq!(restored["TableStatus"], "ACTIVE");
    assert_eq!(restored["ItemCount"], 3);
    assert_eq!(restored["GlobalSecondaryIndexes"][0]["ItemCount"], 3);
    assert_eq!(restored["GlobalSecondaryIndexes"][0]["IndexStatus"], "ACTIVE");
    let source_id = ok(&db, "DescribeTable", json!({"TableName": "orders"}))["Table"]["TableId"].clone();
    assert_ne!(restored["TableId"], source_id);
    assert_eq!(
        restored["RestoreSummary"],
        json!({"SourceBackupArn": arn, "SourceTableArn": format!("{ARN_PREFIX}orders"), "RestoreDateTime": START_SECS, "RestoreInProgress": false})
    );
    assert!(restored.get("StreamSpecification").is_none());
    assert_eq!(ok(&db, "DescribeTable", json!({"TableName": "orders-restored"}))["Table"]["RestoreSummary"], restored["RestoreSummary"]);

    assert_eq!(items(&db, "orders-restored"), triples(&[("a", 1, "x"), ("a", 2, "y"), ("b", 1, "z")]));
    assert_eq!(items(&db, "orders"), triples(&[("a", 2, "changed"), ("b", 1, "z"), ("c", 1, "new")]));
    // The index was rebuilt from the restored items.
    assert_eq!(by_gk(&db, "orders-restored", "g-x"), ["a"]);
    assert!(by_gk(&db, "orders-restored", "g-new").is_empty());
    assert_eq!(by_gk(&db, "orders", "g-new"), ["c"]);
    // The restored table is an ordinary table.
    put(&db, "orders-restored", "d", 1, "w");
    assert_eq!(ok(&db, "DescribeTable", json!({"TableName": "orders-restored"}))["Table"]["ItemCount"], 4);

    let again = err(&db, "RestoreTableFromBackup", json!({"TargetTableName": "orders", "BackupArn": arn}));
    assert_eq!((again.code.as_ref(), again.message.as_str()), ("TableAlreadyExistsException", "Table already exists: orders"));

    let described = ok(&db, "DescribeBackup", json!({"BackupArn": arn}))["BackupDescription"].clone();
    assert_eq!(described["BackupDetails"], details);
    let source = &described["SourceTableDetails"];
    assert_eq!(source["TableName"], "orders");
    assert_eq!(source["TableId"], source_id);
    assert_eq!(source["ItemCount"], 3);
    assert_eq!(source["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(source["KeySchema"][1], json!({"AttributeName": "sk", "KeyType": "RANGE"}));
    let features = &described["SourceTableFeatureDetails"];
    assert_eq!(features["GlobalSecondaryIndexes"][0]["IndexName"], "by-gk");
    assert_eq!(features["GlobalSecondaryIndexes"][0]["Projection"], json!({"ProjectionType": "ALL"}));
    assert_eq!(features["TimeToLiveDescription"], json!({"TimeToLiveStatus": "DISABLED"}));
}

#[test]
fn restore_overrides() {
    let db = service();
    create(&db, "src");
    put(&db, "src", "a", 1, "x");
    let arn = backup(&db, "src", "bk1")["BackupArn"].as_str().unwrap().to_owned();

    let provisioned = ok(
        &db,
        "RestoreTableFromBackup",
        json!({
            "TargetTableName": "no-index",
            "BackupArn": arn,
            "BillingModeOverride": "PROVISIONED",
            "ProvisionedThroughputOverride": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
            "GlobalSecondaryIndexOverride": [],
            "SSESpecificationOverride": {"Enabled": true, "SSEType": "KMS", "KMSMasterKeyId": "alias/mine"}
        }),
    )["TableDescription"]
        .clone();
    assert_eq!(provisioned["BillingModeSummary"]["BillingMode"], "PROVISIONED");
    assert_eq!(provisioned["ProvisionedThroughput"]["ReadCapacityUnits"], 5);
    assert_eq!(provisioned["ProvisionedThroughput"]["WriteCapacityUnits"], 7);
    assert!(provisioned.get("GlobalSecondaryIndexes").is_none());
    // The index's key attribute is no longer defined.
    assert_eq!(provisioned["AttributeDefinitions"].as_array().unwrap().len(), 2);
    assert_eq!(provisioned["SSEDescription"]["KMSMasterKeyArn"], "arn:aws:kms:us-east-1:000000000000:alias/mine");
    assert_eq!(items(&db, "no-index"), triples(&[("a", 1, "x")]));

    let no_capacity = err(&db, "RestoreTableFromBackup", json!({"TargetTableName": "tb2", "BackupArn": arn, "BillingModeOverride": "PROVISIONED"}));
    assert_eq!(no_capacity.code, "ValidationException");
    let capacity_on_demand = err(&db, "RestoreTableFromBackup", json!({"TargetTableName": "tb2", "BackupArn": arn, "ProvisionedThroughputOverride": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}));
    assert!(capacity_on_demand.message.contains("PAY_PER_REQUEST"), "{}", capacity_on_demand.message);
    let bad_name = err(&db, "RestoreTableFromBackup", json!({"TargetTableName": "a b", "BackupArn": arn}));
    assert!(bad_name.message.contains("at 'targetTableName'"), "{}", bad_name.message);
    // A refused restore creates nothing.
    assert_eq!(err(&db, "DescribeTable", json!({"TableName": "tb2"})).code, "ResourceNotFoundException");
}

#[test]
fn delete_backup_and_backups_outliving_their_table() {
    let db = service();
    create(&db, "tbl");
    put(&db, "tbl", "a", 1, "x");
    let keep = backup(&db, "tbl", "keep")["BackupArn"].as_str().unwrap().to_owned();
    let drop = backup(&db, "tbl", "drop")["BackupArn"].as_str().unwrap().to_owned();
    assert_ne!(keep, drop);

    let deleted = ok(&db, "DeleteBackup", json!({"BackupArn": drop}))["BackupDescription"].clone();
    assert_eq!(deleted["BackupDetails"]["BackupStatus"], "DELETED");
    assert_eq!(deleted["BackupDetails"]["BackupName"], "drop");
    assert_eq!(deleted["SourceTableDetails"]["ItemCount"], 1);
    for operation in ["DescribeBackup", "DeleteBackup"] {
        let missing = err(&db, operation, json!({"BackupArn": drop}));
        assert_eq!((missing.code.as_ref(), missing.message.clone()), ("BackupNotFoundException", format!("Backup not found: {drop}")));
    }
    let gone = err(&db, "RestoreTableFromBackup", json!({"TargetTableName": "tb2", "BackupArn": drop}));
    assert_eq!(gone.code, "BackupNotFoundException");
    let elsewhere = drop.replace("us-east-1", "eu-west-1");
    assert_eq!(err(&db, "DescribeBackup", json!({"BackupArn": elsewhere})).code, "BackupNotFoundException");
    assert_eq!(err(&db, "DescribeBackup", json!({"BackupArn": format!("{ARN_PREFIX}tbl/stream/x")})).code, "BackupNotFoundException");

    // Backups stay when their table goes (no PITR: no SYSTEM backup).
    ok(&db, "DeleteTable", json!({"TableName": "tbl"}));
    assert_eq!(ok(&db, "DescribeBackup", json!({"BackupArn": keep}))["BackupDescription"]["SourceTableDetails"]["TableName"], "tbl");
    ok(&db, "RestoreTableFromBackup", json!({"TargetTableName": "tbl", "BackupArn": keep}));
    assert_eq!(items(&db, "tbl"), triples(&[("a", 1, "x")]));
    let all = ok(&db, "ListBackups", json!({"BackupType": "ALL"}));
    assert_eq!(all["BackupSummaries"].as_array().unwrap().len(), 1);
}

#[test]
fn list_backups_filters_and_pages() {
    let db = service();
    create(&db, "tb1");
    create(&db, "tb2");
    let b1 = backup(&db, "tb1", "first")["BackupArn"].as_str().unwrap().to_owned();
    advance(&db, 10);
    let b2 = backup(&db, "tb1", "second")["BackupArn"].as_str().unwrap().to_owned();
    advance(&db, 10);
    let b3 = backup(&db, "tb2", "third")["BackupArn"].as_str().unwrap().to_owned();
    let arns = |page: &Value| page["BackupSummaries"].as_array().unwrap().iter().map(|s| s["BackupArn"].as_str().unwrap().to_owned()).collect::<Vec<_>>();

    let all = ok(&db, "ListBackups", json!({}));
    assert_eq!(arns(&all), [b1.as_str(), b2.as_str(), b3.as_str()]);
    assert!(all.get("LastEvaluatedBackupArn").is_none());
    let summary = &all["BackupSummaries"][2];
    assert_eq!(summary["TableName"], "tb2");
    assert_eq!(summary["TableArn"], format!("{ARN_PREFIX}tb2"));
    assert_eq!(summary["BackupName"], "third");
    assert_eq!(summary["BackupType"], "USER");
    assert_eq!(summary["BackupStatus"], "AVAILABLE");
    assert_eq!(summary["BackupCreationDateTime"], json!(START_SECS + 20));

    assert_eq!(arns(&ok(&db, "ListBackups", json!({"TableName": "tb1"}))), [b1.as_str(), b2.as_str()]);
    assert_eq!(arns(&ok(&db, "ListBackups", json!({"TableName": format!("{ARN_PREFIX}tb2")}))), [b3.as_str()]);
    assert!(arns(&ok(&db, "ListBackups", json!({"TableName": "tb1x"}))).is_empty());
    // Lower bound inclusive, upper exclusive.
    let range = ok(&db, "ListBackups", json!({"TimeRangeLowerBound": START_SECS + 10, "TimeRangeUpperBound": START_SECS + 20}));
    assert_eq!(arns(&range), [b2.as_str()]);
    assert!(arns(&ok(&db, "ListBackups", json!({"BackupType": "SYSTEM"}))).is_empty());
    assert!(arns(&ok(&db, "ListBackups", json!({"BackupType": "AWS_BACKUP"}))).is_empty());
    assert_eq!(arns(&ok(&db, "ListBackups", json!({"BackupType": "ALL"}))).len(), 3);
    assert_eq!(err(&db, "ListBackups", json!({"BackupType": "MINE"})).code, "ValidationException");

    let first = ok(&db, "ListBackups", json!({"Limit": 2}));
    assert_eq!(arns(&first), [b1.as_str(), b2.as_str()]);
    assert_eq!(first["LastEvaluatedBackupArn"], b2.as_str());
    let second = ok(&db, "ListBackups", json!({"Limit": 2, "ExclusiveStartBackupArn": b2}));
    assert_eq!(arns(&second), [b3.as_str()]);
    assert!(second.get("LastEvaluatedBackupArn").is_none());
    let exact = ok(&db, "ListBackups", json!({"Limit": 3}));
    assert!(exact.get("LastEvaluatedBackupArn").is_none());
    assert_eq!(err(&db, "ListBackups", json!({"ExclusiveStartBackupArn": "arn:aws:dynamodb:us-east-1:000000000000:table/x"})).code, "ValidationException");
}

#[test]
fn backup_errors() {
    let db = service();
    let missing = err(&db, "CreateBackup", json!({"TableName": "nope", "BackupName": "bk1"}));
    assert_eq!((missing.code.as_ref(), missing.message.as_str()), ("TableNotFoundException", "Table not found: nope"));
    let foreign = err(&db, "CreateBackup", json!({"TableName": "arn:aws:dynamodb:eu-west-1:000000000000:table/tbx", "BackupName": "bk1"}));
    assert_eq!(foreign.code, "TableNotFoundException");
    create(&db, "tbl");
    let bad = err(&db, "CreateBackup", json!({"TableName": "tbl", "BackupName": "no spaces"}));
    assert!(bad.message.contains("at 'backupName'"), "{}", bad.message);
    let by_arn = ok(&db, "CreateBackup", json!({"TableName": format!("{ARN_PREFIX}tbl"), "BackupName": "bk1"}));
    assert!(by_arn["BackupDetails"]["BackupArn"].as_str().unwrap().starts_with(&format!("{ARN_PREFIX}tbl/backup/")));
}

/// T0: PITR on. T0+5: `gone` deleted. T0+10: a and b written. T0+20: a deleted, b updated,
/// c inserted. Now: T0+30.
fn pitr_history(db: &DynamoDb) {
    create(db, "hist");
    put(db, "hist", "gone", 1, "before-pitr");
    let on = enable_pitr(db, "hist");
    let description = &on["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"];
    assert_eq!(description["EarliestRestorableDateTime"], json!(START_SECS));
    advance(db, 5);
    delete(db, "hist", "gone", 1);
    advance(db, 5);
    put(db, "hist", "a", 1, "a1");
    put(db, "hist", "b", 1, "b1");
    advance(db, 10);
    delete(db, "hist", "a", 1);
    put(db, "hist", "b", 1, "b2");
    put(db, "hist", "c", 1, "c1");
    advance(db, 10);
}

#[test]
fn point_in_time_restore_between_two_writes() {
    let db = service();
    pitr_history(&db);
    let t0 = START_SECS as f64;

    let between = restore_to(&db, "hist", "at-15", t0 + 15.0).unwrap()["TableDescription"].clone();
    assert_eq!(items(&db, "at-15"), triples(&[("a", 1, "a1"), ("b", 1, "b1")]));
    assert_eq!(between["ItemCount"], 2);
    assert_eq!(between["RestoreSummary"], json!({"SourceTableArn": format!("{ARN_PREFIX}hist"), "RestoreDateTime": START_SECS + 15, "RestoreInProgress": false}));
    assert_eq!(by_gk(&db, "at-15", "g-b1"), ["b"]);
    assert!(by_gk(&db, "at-15", "g-c1").is_empty());

    // The restore time itself is included.
    restore_to(&db, "hist", "at-10", t0 + 10.0).unwrap();
    assert_eq!(items(&db, "at-10"), triples(&[("a", 1, "a1"), ("b", 1, "b1")]));
    restore_to(&db, "hist", "at-9", t0 + 9.999).unwrap();
    assert!(items(&db, "at-9").is_empty());
    // Before the deletion at T0+5 (the enabling instant itself is restorable): the item is back.
    restore_to(&db, "hist", "at-0", t0).unwrap();
    assert_eq!(items(&db, "at-0"), triples(&[("gone", 1, "before-pitr")]));

    let latest = ok(&db, "RestoreTableToPointInTime", json!({"SourceTableArn": format!("{ARN_PREFIX}hist"), "TargetTableName": "latest", "UseLatestRestorableTime": true}));
    assert_eq!(latest["TableDescription"]["RestoreSummary"]["RestoreDateTime"], json!(START_SECS + 30));
    assert_eq!(items(&db, "latest"), triples(&[("b", 1, "b2"), ("c", 1, "c1")]));
    assert_eq!(items(&db, "hist"), items(&db, "latest"));

    let description = ok(&db, "DescribeContinuousBackups", json!({"TableName": "hist"}))["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"].clone();
    assert_eq!(description["EarliestRestorableDateTime"], json!(START_SECS));
    assert_eq!(description["LatestRestorableDateTime"], json!(START_SECS + 30));
    // Restored tables do not inherit PITR.
    let restored = ok(&db, "DescribeContinuousBackups", json!({"TableName": "at-15"}));
    assert_eq!(restored["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"], "DISABLED");
}

#[test]
fn point_in_time_restore_errors() {
    let db = service();
    pitr_history(&db);
    let t0 = START_SECS as f64;
    let early = restore_to(&db, "hist", "tgt", t0 - 1.0).unwrap_err();
    assert_eq!(early.code, "InvalidRestoreTimeException");
    let future = restore_to(&db, "hist", "tgt", now(&db) + 60.0).unwrap_err();
    assert_eq!(future.code, "InvalidRestoreTimeException");
    let missing = restore_to(&db, "nope", "tgt", t0).unwrap_err();
    assert_eq!((missing.code.as_ref(), missing.message.as_str()), ("TableNotFoundException", "Table not found: nope"));
    let exists = restore_to(&db, "hist", "hist", t0 + 1.0).unwrap_err();
    assert_eq!((exists.code.as_ref(), exists.message.as_str()), ("TableAlreadyExistsException", "Table already exists: hist"));

    create(&db, "plain");
    let off = restore_to(&db, "plain", "tgt", now(&db)).unwrap_err();
    assert_eq!(off.code, "PointInTimeRecoveryUnavailableException");
    for input in [
        json!({"SourceTableName": "hist", "TargetTableName": "tgt"}),
        json!({"SourceTableName": "hist", "TargetTableName": "tgt", "UseLatestRestorableTime": true, "RestoreDateTime": t0}),
        json!({"TargetTableName": "tgt", "UseLatestRestorableTime": true}),
        json!({"SourceTableName": "hist", "SourceTableArn": format!("{ARN_PREFIX}hist"), "TargetTableName": "tgt", "UseLatestRestorableTime": true}),
    ] {
        assert_eq!(err(&db, "RestoreTableToPointInTime", input.clone()).code, "ValidationException", "{input}");
    }
    assert_eq!(err(&db, "DescribeTable", json!({"TableName": "tgt"})).code, "ResourceNotFoundException");
}

#[test]
fn disabling_pitr_drops_the_log_and_re_enabling_starts_a_new_window() {
    let db = service();
    pitr_history(&db);
    let scope = "000000000000/us-east-1";
    let table = db.store.get::<records::TableRecord>(scope, "hist").unwrap().unwrap();
    let log = db.store.get::<records::TableStats>(scope, &table.id).unwrap().unwrap().pitr.expect("a log while PITR is on");
    let entries = |space: &str| db.store.ordered_range(space, std::ops::Bound::Unbounded, std::ops::Bound::Unbounded, nimbus_store::Direction::Forward, 100).unwrap().len();
    assert_eq!(entries(&log.space), 6);

    ok(&db, "UpdateContinuousBackups", json!({"TableName": "hist", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": false}}));
    assert!(db.store.get::<records::TableStats>(scope, &table.id).unwrap().unwrap().pitr.is_none());
    assert_eq!(entries(&log.space), 0);
    put(&db, "hist", "d", 1, "d1");

    advance(&db, 10);
    enable_pitr(&db, "hist");
    let restart = now(&db);
    let window = ok(&db, "DescribeContinuousBackups", json!({"TableName": "hist"}));
    assert_eq!(window["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"], json!(restart as i64));
    assert_eq!(restore_to(&db, "hist", "tgt", START_SECS as f64 + 15.0).unwrap_err().code, "InvalidRestoreTimeException");
    advance(&db, 5);
    put(&db, "hist", "e", 1, "e1");
    restore_to(&db, "hist", "tgt", restart).unwrap();
    assert_eq!(items(&db, "tgt"), triples(&[("b", 1, "b2"), ("c", 1, "c1"), ("d", 1, "d1")]));
}

#[test]
fn the_sweeper_trims_the_log_to_the_recovery_period() {
    let db = service();
    create(&db, "short");
    ok(&db, "UpdateContinuousBackups", json!({"TableName": "short", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true, "RecoveryPeriodInDays": 1}}));
    put(&db, "short", "a", 1, "old");
    advance(&db, 12 * 3600);
    put(&db, "short", "a", 1, "newer");
    assert_eq!(db.sweep().pitr_trimmed, 0);
    advance(&db, 13 * 3600);
    let report = db.sweep();
    assert_eq!(report.pitr_trimmed, 1);
    let description = ok(&db, "DescribeContinuousBackups", json!({"TableName": "short"}))["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"].clone();
    assert_eq!(description["RecoveryPeriodInDays"], 1);
    let earliest = description["EarliestRestorableDateTime"].as_f64().unwrap();
    assert_eq!(earliest, now(&db) - 86_400.0);
    assert_eq!(restore_to(&db, "short", "tgt", earliest - 1.0).unwrap_err().code, "InvalidRestoreTimeException");
    // Still exact inside the window: before the second write, the first one's value.
    restore_to(&db, "short", "tgt", earliest).unwrap();
    assert_eq!(items(&db, "tgt"), triples(&[("a", 1, "old")]));
}

#[test]
fn deleting_a_table_with_pitr_leaves_a_system_backup() {
    let db = service();
    create(&db, "doomed");
    enable_pitr(&db, "doomed");
    put(&db, "doomed", "a", 1, "x");
    put(&db, "doomed", "b", 1, "y");
    ok(&db, "DeleteTable", json!({"TableName": "doomed"}));
    assert!(ok(&db, "ListBackups", json!({})).get("BackupSummaries").unwrap().as_array().unwrap().is_empty());
    let system = ok(&db, "ListBackups", json!({"BackupType": "SYSTEM"}))["BackupSummaries"][0].clone();
    assert_eq!(system["BackupName"], "doomed$DeletedTableBackup");
    assert_eq!(system["BackupType"], "SYSTEM");
    assert_eq!(system["BackupExpiryDateTime"], json!(START_SECS + 35 * 86_400));
    let arn = system["BackupArn"].as_str().unwrap().to_owned();
    assert_eq!(err(&db, "DeleteBackup", json!({"BackupArn": arn})).code, "ValidationException");

    // The purge of the deleted table's other spaces leaves the backup's items alone.
    advance(&db, 3600);
    db.store.purge_dropped_spaces(1000).unwrap();
    ok(&db, "RestoreTableFromBackup", json!({"TargetTableName": "doomed", "BackupArn": arn}));
    assert_eq!(items(&db, "doomed"), triples(&[("a", 1, "x"), ("b", 1, "y")]));
    assert_eq!(by_gk(&db, "doomed", "g-y"), ["b"]);

    advance(&db, 35 * 86_400);
    assert_eq!(err(&db, "DescribeBackup", json!({"BackupArn": arn})).code, "BackupNotFoundException");
    assert_eq!(db.sweep().backups_expired, 1);
    assert!(ok(&db, "ListBackups", json!({"BackupType": "ALL"}))["BackupSummaries"].as_array().unwrap().is_empty());
    assert_eq!(db.sweep().backups_expired, 0);
}

#[test]
fn tables_without_pitr_keep_no_log() {
    let db = service();
    create(&db, "plain");
    put(&db, "plain", "a", 1, "x");
    let table = db.store.get::<records::TableRecord>("000000000000/us-east-1", "plain").unwrap().unwrap();
    assert!(db.store.get::<records::TableStats>("000000000000/us-east-1", &table.id).unwrap().unwrap().pitr.is_none());
    assert_eq!(db.sweep().pitr_trimmed, 0);
}

#[test]
fn strict_mode_access_for_backups_and_restores() {
    let db = service();
    let ctx = RequestContext::for_tests("dynamodb", "DescribeBackup");
    assert!(OPERATIONS.contains(&"RestoreTableToPointInTime") && OPERATIONS.windows(2).all(|w| w[0] < w[1]));
    let backup_arn = format!("{ARN_PREFIX}tbx/backup/01700000000000-abcdef01");
    let actions = |operation: &str, input: Value| db.access(&ctx, operation, &input).into_iter().map(|a| (a.action, a.resources)).collect::<Vec<_>>();
    assert_eq!(actions("CreateBackup", json!({"TableName": "tbx", "BackupName": "bkp"})), [("dynamodb:CreateBackup".to_owned(), vec![format!("{ARN_PREFIX}tbx")])]);
    assert_eq!(actions("DescribeBackup", json!({"BackupArn": backup_arn})), [("dynamodb:DescribeBackup".to_owned(), vec![backup_arn.clone()])]);
    assert_eq!(actions("ListBackups", json!({"TableName": "tb1x"})), [("dynamodb:ListBackups".to_owned(), vec!["*".to_owned()])]);
    let restore = actions("RestoreTableFromBackup", json!({"BackupArn": backup_arn, "TargetTableName": "new"}));
    assert_eq!(restore[0], ("dynamodb:RestoreTableFromBackup".to_owned(), vec![backup_arn.clone()]));
    assert!(restore.contains(&("dynamodb:PutItem".to_owned(), vec![format!("{ARN_PREFIX}new")])));
    assert_eq!(restore.len(), 8);
    let pitr = actions("RestoreTableToPointInTime", json!({"SourceTableName": "tbx", "TargetTableName": "new"}));
    assert_eq!(pitr[0], ("dynamodb:RestoreTableToPointInTime".to_owned(), vec![format!("{ARN_PREFIX}tbx")]));
    assert!(pitr.contains(&("dynamodb:BatchWriteItem".to_owned(), vec![format!("{ARN_PREFIX}new")])));
}
