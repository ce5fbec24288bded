//! The service called directly, on an ephemeral store.

use super::*;
use nimbus_store::Direction;
use serde_json::json;
use std::ops::Bound;

pub(crate) fn service() -> DynamoDb {
    DynamoDb::new(Store::open_ephemeral().unwrap(), Clock::fixed(time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()))
}

/// Calls the operation the way the server does (`Service::call`), so one-item writes take the
/// store's writer thread and everything else the blocking pool, as they do in production.
pub(crate) fn call(db: &DynamoDb, operation: &str, input: Value) -> Result<Value, ServiceError> {
    let ctx = RequestContext::for_tests("dynamodb", operation);
    runtime().block_on(db.call(&ctx, operation, input))
}

/// One runtime for every test thread (a multi-thread runtime may be entered from many).
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(1).build().expect("a test runtime"))
}

pub(crate) fn ok(db: &DynamoDb, operation: &str, input: Value) -> Value {
    call(db, operation, input).unwrap_or_else(|e| panic!("{operation}: {e}"))
}

pub(crate) fn err(db: &DynamoDb, operation: &str, input: Value) -> ServiceError {
    call(db, operation, input).expect_err(operation)
}

fn create(db: &DynamoDb, name: &str) -> Value {
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
                "Projection": {"ProjectionType": "KEYS_ONLY"}
            }]
        }),
    )
}

#[test]
fn create_describe_list_delete() {
    let db = service();
    let created = create(&db, "orders");
    let description = &created["TableDescription"];
    assert_eq!(description["TableStatus"], "ACTIVE");
    assert_eq!(description["TableArn"], "arn:aws:dynamodb:us-east-1:000000000000:table/orders");
    assert_eq!(description["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(description["ProvisionedThroughput"]["ReadCapacityUnits"], 0);
    assert_eq!(description["GlobalSecondaryIndexes"][0]["IndexArn"], "arn:aws:dynamodb:us-east-1:000000000000:table/orders/index/by-gk");
    assert_eq!(description["GlobalSecondaryIndexes"][0]["IndexStatus"], "ACTIVE");
    assert_eq!(description["DeletionProtectionEnabled"], false);

    let again = err(&db, "CreateTable", json!({"TableName": "orders", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}));
    assert_eq!((again.code.as_ref(), again.message.as_str()), ("ResourceInUseException", "Table already exists: orders"));

    let described = ok(&db, "DescribeTable", json!({"TableName": "orders"}));
    assert_eq!(described["Table"]["TableId"], description["TableId"]);
    let by_arn = ok(&db, "DescribeTable", json!({"TableName": "arn:aws:dynamodb:us-east-1:000000000000:table/orders"}));
    assert_eq!(by_arn["Table"]["TableName"], "orders");

    for name in ["b-table", "a-table", "c-table"] {
        create(&db, name);
    }
    let page = ok(&db, "ListTables", json!({"Limit": 2}));
    assert_eq!(page["TableNames"], json!(["a-table", "b-table"]));
    assert_eq!(page["LastEvaluatedTableName"], "b-table");
    let rest = ok(&db, "ListTables", json!({"ExclusiveStartTableName": "b-table"}));
    assert_eq!(rest["TableNames"], json!(["c-table", "orders"]));
    assert!(rest.get("LastEvaluatedTableName").is_none());

    let deleted = ok(&db, "DeleteTable", json!({"TableName": "orders"}));
    assert_eq!(deleted["TableDescription"]["TableStatus"], "DELETING");
    let missing = err(&db, "DescribeTable", json!({"TableName": "orders"}));
    assert_eq!((missing.code.as_ref(), missing.message.as_str()), ("ResourceNotFoundException", "Requested resource not found: Table: orders not found"));
}

#[test]
fn create_table_validation() {
    let db = service();
    let unused = err(&db, "CreateTable", json!({
        "TableName": "tb1",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
    }));
    assert_eq!(unused.message, "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");
    let no_throughput = err(&db, "CreateTable", json!({
        "TableName": "tb1",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]
    }));
    assert!(no_throughput.message.ends_with("must both be specified when BillingMode is PROVISIONED"), "{}", no_throughput.message);
    let with_throughput = err(&db, "CreateTable", json!({
        "TableName": "tb1",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    }));
    assert!(with_throughput.message.contains("Neither ReadCapacityUnits nor WriteCapacityUnits"));
    let missing_keys = err(&db, "CreateTable", json!({"TableName": "tb1", "AttributeDefinitions": []}));
    assert_eq!(missing_keys.message, "1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null");
    let bad_name = err(&db, "CreateTable", json!({"TableName": "x", "AttributeDefinitions": [], "KeySchema": []}));
    assert!(bad_name.message.contains("at 'tableName'"));
}

#[test]
fn items_put_get_delete_with_indexes_and_counts() {
    let db = service();
    create(&db, "tbl");
    let item = json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g1"}, "data": {"L": [{"S": "x"}]}});
    let put = ok(&db, "PutItem", json!({"TableName": "tbl", "Item": item, "ReturnValues": "ALL_OLD"}));
    assert!(put.get("Attributes").is_none());
    let got = ok(&db, "GetItem", json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}, "sk": {"N": "1.0"}}}));
    assert_eq!(got["Item"], item);
    let only = ok(&db, "GetItem", json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "AttributesToGet": ["gk"]}));
    assert_eq!(only["Item"], json!({"gk": {"S": "g1"}}));

    let replaced = ok(&db, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g2"}}, "ReturnValues": "ALL_OLD"}));
    assert_eq!(replaced["Attributes"], item);
    ok(&db, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "b"}, "sk": {"N": "2"}}}));

    let table = db.store.get::<records::TableRecord>("000000000000/us-east-1", "tbl").unwrap().unwrap();
    let index = &table.global_indexes[0];
    let entries = db.store.ordered_range(&index.space, Bound::Unbounded, Bound::Unbounded, Direction::Forward, 10).unwrap();
    assert_eq!(entries.len(), 1, "the old g1 entry went, and the item without gk is not indexed");
    let projected = storage::decode_item(&entries[0].1).unwrap();
    assert_eq!(nimbus_dynamodb_lang::item_to_json(&projected), json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g2"}}));
    let described = ok(&db, "DescribeTable", json!({"TableName": "tbl"}));
    assert_eq!(described["Table"]["ItemCount"], 2);
    assert_eq!(described["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"], 1);

    let deleted = ok(&db, "DeleteItem", json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ReturnValues": "ALL_OLD"}));
    assert_eq!(deleted["Attributes"]["gk"], json!({"S": "g2"}));
    let gone = ok(&db, "GetItem", json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}));
    assert!(gone.get("Item").is_none());
    assert!(db.store.ordered_range(&index.space, Bound::Unbounded, Bound::Unbounded, Direction::Forward, 10).unwrap().is_empty());
    let described = ok(&db, "DescribeTable", json!({"TableName": "tbl"}));
    assert_eq!(described["Table"]["ItemCount"], 1);
    assert_eq!(storage::all_items(&db.store, &table.item_space()).len(), 1);
}

#[test]
fn item_errors() {
    let db = service();
    create(&db, "tbl");
    let missing = err(&db, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}}}));
    assert_eq!(missing.message, "One or more parameter values were invalid: Missing the key sk in the item");
    let schema = err(&db, "GetItem", json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}}}));
    assert_eq!(schema.message, "The provided key element does not match the schema");
    let no_table = err(&db, "GetItem", json!({"TableName": "nope", "Key": {"pk": {"S": "a"}}}));
    assert_eq!((no_table.code.as_ref(), no_table.message.as_str()), ("ResourceNotFoundException", "Requested resource not found"));
    let big = "x".repeat(400 * 1024);
    let too_big = err(&db, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": big}}}));
    assert_eq!(too_big.message, "Item size has exceeded the maximum allowed size");
    let condition = err(&db, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ConditionExpression": "attribute_exists(pk)"}));
    assert_eq!((condition.code.as_ref(), condition.message.as_str()), ("ConditionalCheckFailedException", "The conditional request failed"));
    let returns = err(&db, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ReturnValues": "ALL_NEW"}));
    assert_eq!(returns.message, "Return values set to invalid value");
}

#[test]
fn update_table_billing_streams_gsi_and_protection() {
    let db = service();
    create(&db, "tbl");
    ok(&db, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "other": {"S": "o1"}}}));
    let nothing = err(&db, "UpdateTable", json!({"TableName": "tbl"}));
    assert!(nothing.message.starts_with("At least one of ProvisionedThroughput, BillingMode"));

    let switched = ok(&db, "UpdateTable", json!({"TableName": "tbl", "BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}));
    assert_eq!(switched["TableDescription"]["BillingModeSummary"]["BillingMode"], "PROVISIONED");
    assert_eq!(switched["TableDescription"]["ProvisionedThroughput"]["ReadCapacityUnits"], 5);
    let same = err(&db, "UpdateTable", json!({"TableName": "tbl", "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}));
    assert!(same.message.starts_with("The provisioned throughput for the table will not change."));

    let streamed = ok(&db, "UpdateTable", json!({"TableName": "tbl", "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"}}));
    let arn = streamed["TableDescription"]["LatestStreamArn"].as_str().unwrap().to_owned();
    assert!(arn.starts_with("arn:aws:dynamodb:us-east-1:000000000000:table/tbl/stream/2023-11-14T"), "{arn}");
    let twice = err(&db, "UpdateTable", json!({"TableName": "tbl", "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"}}));
    assert_eq!(twice.message, "Table already has an enabled stream: TableName: tbl");

    // A new GSI is filled from the existing items before UpdateTable returns.
    let with_index = ok(&db, "UpdateTable", json!({
        "TableName": "tbl",
        "AttributeDefinitions": [{"AttributeName": "other", "AttributeType": "S"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {
            "IndexName": "by-other",
            "KeySchema": [{"AttributeName": "other", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
        }}]
    }));
    let indexes = with_index["TableDescription"]["GlobalSecondaryIndexes"].as_array().unwrap();
    let created = indexes.iter().find(|i| i["IndexName"] == "by-other").unwrap();
    assert_eq!(created["ItemCount"], 1);
    let dropped = ok(&db, "UpdateTable", json!({"TableName": "tbl", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "by-gk"}}]}));
    let names: Vec<&str> = dropped["TableDescription"]["AttributeDefinitions"].as_array().unwrap().iter().map(|a| a["AttributeName"].as_str().unwrap()).collect();
    assert_eq!(names, ["pk", "sk", "other"], "the dropped index's key definition went with it");

    ok(&db, "UpdateTable", json!({"TableName": "tbl", "DeletionProtectionEnabled": true}));
    let protected = err(&db, "DeleteTable", json!({"TableName": "tbl"}));
    assert_eq!(protected.message, "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.");
}

#[test]
fn a_deleted_table_is_recreated_empty_and_its_items_are_purged() {
    let db = service();
    create(&db, "tbl");
    for i in 0..20 {
        ok(&db, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": format!("p{i}")}, "sk": {"N": "1"}, "gk": {"S": "g"}}}));
    }
    let old = db.store.get::<records::TableRecord>("000000000000/us-east-1", "tbl").unwrap().unwrap();
    ok(&db, "DeleteTable", json!({"TableName": "tbl"}));
    create(&db, "tbl");
    let got = ok(&db, "GetItem", json!({"TableName": "tbl", "Key": {"pk": {"S": "p1"}, "sk": {"N": "1"}}}));
    assert!(got.get("Item").is_none());
    assert_eq!(ok(&db, "DescribeTable", json!({"TableName": "tbl"}))["Table"]["ItemCount"], 0);
    // The purge runs on a thread; run one here too and wait for nothing to be left.
    db.store.purge_dropped_spaces(7).unwrap();
    assert!(!db.store.dropped_spaces_pending().unwrap());
    assert!(storage::all_items(&db.store, &old.item_space()).is_empty());
}

#[test]
fn tags_ttl_and_backups() {
    let db = service();
    create(&db, "tbl");
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/tbl";
    ok(&db, "TagResource", json!({"ResourceArn": arn, "Tags": [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}]}));
    ok(&db, "UntagResource", json!({"ResourceArn": arn, "TagKeys": ["env"]}));
    assert_eq!(ok(&db, "ListTagsOfResource", json!({"ResourceArn": arn}))["Tags"], json!([{"Key": "team", "Value": "a"}]));
    let missing = err(&db, "ListTagsOfResource", json!({"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/nope"}));
    assert_eq!(missing.message, "Requested resource not found: ResourcArn: arn:aws:dynamodb:us-east-1:000000000000:table/nope not found");

    let spec = |enabled: bool, name: &str| json!({"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": name}});
    assert_eq!(ok(&db, "DescribeTimeToLive", json!({"TableName": "tbl"}))["TimeToLiveDescription"], json!({"TimeToLiveStatus": "DISABLED"}));
    ok(&db, "UpdateTimeToLive", spec(true, "expires"));
    assert_eq!(err(&db, "UpdateTimeToLive", spec(true, "expires")).message, "TimeToLive is already enabled");
    assert_eq!(err(&db, "UpdateTimeToLive", spec(true, "other")).message, "TimeToLive is active on a different AttributeName: current AttributeName is expires");
    assert_eq!(
        ok(&db, "DescribeTimeToLive", json!({"TableName": "tbl"}))["TimeToLiveDescription"],
        json!({"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"})
    );
    ok(&db, "UpdateTimeToLive", spec(false, "expires"));
    assert_eq!(err(&db, "UpdateTimeToLive", spec(false, "expires")).message, "TimeToLive is already disabled");

    let backups = ok(&db, "DescribeContinuousBackups", json!({"TableName": "tbl"}));
    assert_eq!(backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"], "DISABLED");
    let on = ok(&db, "UpdateContinuousBackups", json!({"TableName": "tbl", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}));
    assert_eq!(on["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"], 35);
    assert_eq!(err(&db, "DescribeContinuousBackups", json!({"TableName": "nope"})).code, "TableNotFoundException");
}
