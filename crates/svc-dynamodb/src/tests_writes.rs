//! The write side called directly, on an ephemeral store: conditions, UpdateItem, batches and
//! transactions.

use super::*;
use serde_json::json;

use crate::tests::{err, ok, service};

/// `tbl`: pk (S) + sk (N), a GSI on gk (S).
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

fn key(pk: &str, sk: i64) -> Value {
    json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()}})
}

fn get(db: &DynamoDb, table: &str, pk: &str, sk: i64) -> Option<Value> {
    ok(db, "GetItem", json!({"TableName": table, "Key": key(pk, sk), "ConsistentRead": true})).get("Item").cloned()
}

fn count(db: &DynamoDb, table: &str) -> (i64, i64) {
    let t = &ok(db, "DescribeTable", json!({"TableName": table}))["Table"];
    (t["ItemCount"].as_i64().unwrap(), t["GlobalSecondaryIndexes"][0]["ItemCount"].as_i64().unwrap())
}

#[test]
fn conditional_put_and_delete_lock_pattern() {
    let db = service();
    create(&db, "locks");
    let lock = json!({"TableName": "locks", "Item": {"pk": {"S": "state"}, "sk": {"N": "0"}, "owner": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)"});
    ok(&db, "PutItem", lock.clone());
    let second = err(&db, "PutItem", lock.clone());
    assert_eq!((second.code.as_ref(), second.message.as_str()), ("ConditionalCheckFailedException", "The conditional request failed"));
    assert!(second.fields.get("Item").is_none(), "no item unless asked");
    let mut asking = lock.clone();
    asking["ReturnValuesOnConditionCheckFailure"] = json!("ALL_OLD");
    let with_item = err(&db, "PutItem", asking);
    assert_eq!(with_item.fields["Item"]["owner"], json!({"S": "a"}));

    // Release only if we own it.
    let release = |owner: &str| {
        json!({"TableName": "locks", "Key": key("state", 0), "ConditionExpression": "#o = :me",
               "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": {":me": {"S": owner}}})
    };
    assert_eq!(err(&db, "DeleteItem", release("b")).code, "ConditionalCheckFailedException");
    assert!(get(&db, "locks", "state", 0).is_some(), "a failed condition writes nothing");
    ok(&db, "DeleteItem", release("a"));
    assert!(get(&db, "locks", "state", 0).is_none());
    ok(&db, "PutItem", lock);
}

#[test]
fn legacy_expected_and_expression_checks() {
    let db = service();
    create(&db, "tbl");
    let item = json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"N": "5"}});
    ok(&db, "PutItem", json!({"TableName": "tbl", "Item": item, "Expected": {"pk": {"Exists": false}}}));
    let exists = err(&db, "PutItem", json!({"TableName": "tbl", "Item": item, "Expected": {"pk": {"Exists": false}}}));
    assert_eq!(exists.code, "ConditionalCheckFailedException");
    ok(&db, "PutItem", json!({"TableName": "tbl", "Item": item, "Expected": {"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "9"}]}, "pk": {"Value": {"S": "a"}}}, "ConditionalOperator": "OR"}));
    assert_eq!(
        err(&db, "PutItem", json!({"TableName": "tbl", "Item": item, "Expected": {"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "9"}]}, "pk": {"Value": {"S": "a"}}}})).code,
        "ConditionalCheckFailedException",
        "AND is the default"
    );

    let mixed = err(&db, "PutItem", json!({"TableName": "tbl", "Item": item, "Expected": {"pk": {"Exists": false}}, "ConditionExpression": "attribute_exists(pk)"}));
    assert_eq!(
        mixed.message,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
    );
    let unused = err(&db, "PutItem", json!({"TableName": "tbl", "Item": item, "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": {":x": {"S": "1"}}}));
    assert_eq!(unused.message, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}");
    let undefined = err(&db, "DeleteItem", json!({"TableName": "tbl", "Key": key("a", 1), "ConditionExpression": "v = :nope"}));
    assert!(undefined.message.starts_with("Invalid ConditionExpression: "), "{}", undefined.message);
    let names_alone = err(&db, "DeleteItem", json!({"TableName": "tbl", "Key": key("a", 1), "ExpressionAttributeNames": {"#v": "v"}}));
    assert_eq!(names_alone.message, "ExpressionAttributeNames can only be specified when using expressions");
    assert!(get(&db, "tbl", "a", 1).is_some(), "no refused request deleted the item");
}

#[test]
fn get_item_projection_expression() {
    let db = service();
    create(&db, "tbl");
    ok(&db, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "name": {"S": "n"}, "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}, "l": {"L": [{"S": "0"}, {"S": "1"}, {"S": "2"}]}}}));
    let got = ok(&db, "GetItem", json!({"TableName": "tbl", "Key": key("a", 1), "ProjectionExpression": "#n, m.y, l[2]", "ExpressionAttributeNames": {"#n": "name"}}));
    assert_eq!(got["Item"], json!({"name": {"S": "n"}, "m": {"M": {"y": {"N": "2"}}}, "l": {"L": [{"S": "2"}]}}));
    let mixed = err(&db, "GetItem", json!({"TableName": "tbl", "Key": key("a", 1), "ProjectionExpression": "m", "AttributesToGet": ["m"]}));
    assert!(mixed.message.starts_with("Can not use both expression and non-expression parameters"), "{}", mixed.message);
    let reserved = err(&db, "GetItem", json!({"TableName": "tbl", "Key": key("a", 1), "ProjectionExpression": "name"}));
    assert!(reserved.message.contains("reserved keyword"), "{}", reserved.message);
}

#[test]
fn update_item_actions_and_return_values() {
    let db = service();
    create(&db, "tbl");
    let update = |expression: &str, values: Value, returns: &str| {
        let mut input = json!({"TableName": "tbl", "Key": key("u", 1), "UpdateExpression": expression, "ReturnValues": returns});
        if !values.is_null() {
            input["ExpressionAttributeValues"] = values;
        }
        ok(&db, "UpdateItem", input)
    };
    // Upsert: the item is created from its key.
    let created = update("SET visits = :one, tags = :t", json!({":one": {"N": "1"}, ":t": {"SS": ["a", "b"]}}), "ALL_NEW");
    assert_eq!(created["Attributes"], json!({"pk": {"S": "u"}, "sk": {"N": "1"}, "visits": {"N": "1"}, "tags": {"SS": ["a", "b"]}}));
    assert_eq!(count(&db, "tbl").0, 1);

    let counted = update("ADD visits :two", json!({":two": {"N": "2"}}), "UPDATED_NEW");
    assert_eq!(counted["Attributes"], json!({"visits": {"N": "3"}}));
    let old = update("SET visits = visits - :one, note = if_not_exists(note, :n)", json!({":one": {"N": "1"}, ":n": {"S": "first"}}), "UPDATED_OLD");
    assert_eq!(old["Attributes"], json!({"visits": {"N": "3"}}), "note did not exist before");
    let appended = update("SET events = list_append(if_not_exists(events, :empty), :entry)", json!({":empty": {"L": []}, ":entry": {"L": [{"S": "x"}]}}), "UPDATED_NEW");
    assert_eq!(appended["Attributes"], json!({"events": {"L": [{"S": "x"}]}}));
    let sets = update("ADD tags :c", json!({":c": {"SS": ["c"]}}), "ALL_OLD");
    assert_eq!(sets["Attributes"]["tags"], json!({"SS": ["a", "b"]}));
    let overlap = err(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("u", 1), "UpdateExpression": "ADD tags :c DELETE tags :a",
        "ExpressionAttributeValues": {":c": {"SS": ["c"]}, ":a": {"SS": ["a"]}}}));
    assert!(overlap.message.contains("Two document paths overlap"), "{}", overlap.message);
    update("DELETE tags :a", json!({":a": {"SS": ["a"]}}), "NONE");
    let removed = update("REMOVE note", Value::Null, "ALL_NEW");
    assert_eq!(removed["Attributes"]["tags"], json!({"SS": ["b", "c"]}));
    assert!(removed["Attributes"].get("note").is_none());
    assert!(update("REMOVE note", Value::Null, "NONE").get("Attributes").is_none());

    let on_key = err(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("u", 1), "UpdateExpression": "SET pk = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}}));
    assert_eq!(on_key.message, "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key");
    let wrong_type = err(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("u", 1), "UpdateExpression": "ADD tags :n", "ExpressionAttributeValues": {":n": {"N": "1"}}}));
    assert_eq!(wrong_type.message, "An operand in the update expression has an incorrect data type");
    let index_type = err(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("u", 1), "UpdateExpression": "SET gk = :n", "ExpressionAttributeValues": {":n": {"N": "1"}}}));
    assert_eq!(index_type.message, "One or more parameter values were invalid: Type mismatch for Index Key gk Expected: S Actual: N IndexName: by-gk");
    let big = "x".repeat(400 * 1024);
    let too_big = err(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("u", 1), "UpdateExpression": "SET payload = :b", "ExpressionAttributeValues": {":b": {"S": big}}}));
    assert_eq!(too_big.message, "Item size to update has exceeded the maximum allowed size");

    let guarded = err(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("u", 1), "UpdateExpression": "SET visits = :z", "ConditionExpression": "visits > :z",
        "ExpressionAttributeValues": {":z": {"N": "100"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}));
    assert_eq!(guarded.code, "ConditionalCheckFailedException");
    assert_eq!(guarded.fields["Item"]["visits"], json!({"N": "2"}));

    // The GSI follows updates.
    ok(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("u", 1), "UpdateExpression": "SET gk = :g", "ExpressionAttributeValues": {":g": {"S": "G"}}}));
    assert_eq!(count(&db, "tbl"), (1, 1));
    ok(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("u", 1), "UpdateExpression": "REMOVE gk"}));
    assert_eq!(count(&db, "tbl"), (1, 0));

    // No update at all: the key alone, as AWS does.
    let bare = ok(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("bare", 1), "ReturnValues": "ALL_NEW"}));
    assert_eq!(bare["Attributes"], key("bare", 1));
}

#[test]
fn update_item_legacy_attribute_updates() {
    let db = service();
    create(&db, "tbl");
    let updated = ok(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("l", 1), "ReturnValues": "ALL_NEW", "AttributeUpdates": {
        "n": {"Action": "ADD", "Value": {"N": "5"}},
        "s": {"Action": "PUT", "Value": {"S": "x"}},
        "gone": {"Action": "DELETE"}
    }}));
    assert_eq!(updated["Attributes"], json!({"pk": {"S": "l"}, "sk": {"N": "1"}, "n": {"N": "5"}, "s": {"S": "x"}}));
    let again = ok(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("l", 1), "ReturnValues": "UPDATED_NEW",
        "AttributeUpdates": {"n": {"Action": "ADD", "Value": {"N": "-2"}}}, "Expected": {"s": {"Value": {"S": "x"}}}}));
    assert_eq!(again["Attributes"], json!({"n": {"N": "3"}}));
    let key_update = err(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("l", 1), "AttributeUpdates": {"sk": {"Action": "PUT", "Value": {"N": "2"}}}}));
    assert_eq!(key_update.message, "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key");
    let mixed = err(&db, "UpdateItem", json!({"TableName": "tbl", "Key": key("l", 1), "AttributeUpdates": {"n": {"Action": "DELETE"}}, "UpdateExpression": "REMOVE n"}));
    assert!(mixed.message.starts_with("Can not use both expression and non-expression parameters"), "{}", mixed.message);
}

#[test]
fn batch_write_and_get() {
    let db = service();
    create(&db, "t-a");
    create(&db, "t-b");
    let puts = |table: &str, range: std::ops::Range<i64>| -> Vec<Value> {
        range.map(|i| json!({"PutRequest": {"Item": {"pk": {"S": table}, "sk": {"N": i.to_string()}, "gk": {"S": "g"}}}})).collect()
    };
    let written = ok(&db, "BatchWriteItem", json!({"RequestItems": {"t-a": puts("a", 0..20), "t-b": puts("b", 0..5)}, "ReturnConsumedCapacity": "TOTAL"}));
    assert_eq!(written["UnprocessedItems"], json!({}));
    assert_eq!(written["ConsumedCapacity"], json!([{"TableName": "t-a", "CapacityUnits": 20.0}, {"TableName": "t-b", "CapacityUnits": 5.0}]));
    assert_eq!(count(&db, "t-a"), (20, 20));
    assert_eq!(count(&db, "t-b"), (5, 5));

    let too_many = err(&db, "BatchWriteItem", json!({"RequestItems": {"t-a": puts("a", 0..20), "t-b": puts("b", 0..6)}}));
    assert_eq!(too_many.message, "Too many items requested for the BatchWriteItem call");
    let mut duplicated = puts("a", 0..2);
    duplicated.push(json!({"DeleteRequest": {"Key": key("a", 1)}}));
    assert_eq!(err(&db, "BatchWriteItem", json!({"RequestItems": {"t-a": duplicated}})).message, "Provided list of item keys contains duplicates");
    let missing = err(&db, "BatchWriteItem", json!({"RequestItems": {"t-a": [{"DeleteRequest": {"Key": key("a", 0)}}], "nope": puts("nope", 0..1)}}));
    assert_eq!(missing.code, "ResourceNotFoundException");
    assert!(get(&db, "t-a", "a", 0).is_some(), "a failing batch writes nothing");

    let deleted = ok(&db, "BatchWriteItem", json!({"RequestItems": {"t-a": [{"DeleteRequest": {"Key": key("a", 0)}}, {"DeleteRequest": {"Key": key("a", 99)}}]}}));
    assert_eq!(deleted["UnprocessedItems"], json!({}));
    assert_eq!(count(&db, "t-a"), (19, 19));

    let got = ok(&db, "BatchGetItem", json!({"RequestItems": {
        "t-a": {"Keys": [key("a", 1), key("a", 0), key("a", 2)], "ProjectionExpression": "sk"},
        "t-b": {"Keys": [key("b", 4)], "ConsistentRead": true, "AttributesToGet": ["pk", "gk"]}
    }, "ReturnConsumedCapacity": "TOTAL"}));
    let mut a: Vec<Value> = got["Responses"]["t-a"].as_array().unwrap().clone();
    a.sort_by_key(|v| v["sk"]["N"].as_str().unwrap().to_owned());
    assert_eq!(a, vec![json!({"sk": {"N": "1"}}), json!({"sk": {"N": "2"}})]);
    assert_eq!(got["Responses"]["t-b"], json!([{"pk": {"S": "b"}, "gk": {"S": "g"}}]));
    assert_eq!(got["UnprocessedKeys"], json!({}));
    assert_eq!(got["ConsumedCapacity"], json!([{"TableName": "t-a", "CapacityUnits": 1.5}, {"TableName": "t-b", "CapacityUnits": 1.0}]));

    let keys: Vec<Value> = (0..101).map(|i| key("a", i)).collect();
    assert_eq!(err(&db, "BatchGetItem", json!({"RequestItems": {"t-a": {"Keys": keys}}})).message, "Too many items requested for the BatchGetItem call");
    assert_eq!(
        err(&db, "BatchGetItem", json!({"RequestItems": {"t-a": {"Keys": [key("a", 1), key("a", 1)]}}})).message,
        "Provided list of item keys contains duplicates"
    );
}

#[test]
fn batch_get_leaves_keys_past_16_mb_unprocessed() {
    let db = service();
    create(&db, "big");
    let blob = "x".repeat(390 * 1024);
    for i in 0..50 {
        ok(&db, "PutItem", json!({"TableName": "big", "Item": {"pk": {"S": "p"}, "sk": {"N": i.to_string()}, "v": {"S": blob}}}));
    }
    let keys: Vec<Value> = (0..50).map(|i| key("p", i)).collect();
    let got = ok(&db, "BatchGetItem", json!({"RequestItems": {"big": {"Keys": keys, "ConsistentRead": true}}}));
    let found = got["Responses"]["big"].as_array().unwrap().len();
    let left = got["UnprocessedKeys"]["big"]["Keys"].as_array().unwrap().len();
    assert_eq!(found + left, 50);
    assert_eq!(found, 16 * 1024 / 390, "as many ~390 KB items as fit in 16 MB");
    assert_eq!(got["UnprocessedKeys"]["big"]["ConsistentRead"], true, "the table's other parameters come back with its keys");
}

fn tx_put(table: &str, pk: &str, sk: i64, condition: Option<&str>) -> Value {
    let mut put = json!({"TableName": table, "Item": {"pk": {"S": pk}, "sk": {"N": sk.to_string()}, "v": {"N": "1"}}});
    if let Some(condition) = condition {
        put["ConditionExpression"] = json!(condition);
    }
    json!({"Put": put})
}

#[test]
fn transact_write_items_all_or_nothing() {
    let db = service();
    create(&db, "tbl");
    ok(&db, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "acct"}, "sk": {"N": "1"}, "balance": {"N": "100"}}}));
    let transfer = |amount: &str| {
        json!({"TransactItems": [
            {"Update": {"TableName": "tbl", "Key": key("acct", 1), "UpdateExpression": "SET balance = balance - :a", "ConditionExpression": "balance >= :a",
                        "ExpressionAttributeValues": {":a": {"N": amount}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Update": {"TableName": "tbl", "Key": key("acct", 2), "UpdateExpression": "ADD balance :a", "ExpressionAttributeValues": {":a": {"N": amount}}}},
            {"ConditionCheck": {"TableName": "tbl", "Key": key("audit", 0), "ConditionExpression": "attribute_not_exists(pk)"}},
            tx_put("tbl", "log", 1, Some("attribute_not_exists(pk)"))
        ], "ReturnConsumedCapacity": "TOTAL"})
    };
    let done = ok(&db, "TransactWriteItems", transfer("30"));
    assert_eq!(done["ConsumedCapacity"], json!([{"TableName": "tbl", "CapacityUnits": 8.0}]));
    assert_eq!(get(&db, "tbl", "acct", 1).unwrap()["balance"], json!({"N": "70"}));
    assert_eq!(get(&db, "tbl", "acct", 2).unwrap()["balance"], json!({"N": "30"}));
    assert_eq!(count(&db, "tbl").0, 3);

    // Too much: the first and the last fail, nothing is written.
    let refused = err(&db, "TransactWriteItems", transfer("500"));
    assert_eq!(refused.code, "TransactionCanceledException");
    assert_eq!(refused.message, "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None, ConditionalCheckFailed]");
    let reasons = refused.fields["CancellationReasons"].as_array().unwrap();
    assert_eq!(reasons[0]["Message"], "The conditional request failed");
    assert_eq!(reasons[0]["Item"]["balance"], json!({"N": "70"}), "asked for with ALL_OLD");
    assert_eq!(reasons[1], json!({"Code": "None"}));
    assert!(reasons[3].get("Item").is_none(), "not asked for");
    assert_eq!(get(&db, "tbl", "acct", 2).unwrap()["balance"], json!({"N": "30"}));

    // A data-dependent validation failure is a reason too.
    let invalid = err(&db, "TransactWriteItems", json!({"TransactItems": [
        tx_put("tbl", "new", 1, None),
        {"Update": {"TableName": "tbl", "Key": key("acct", 1), "UpdateExpression": "ADD balance :s", "ExpressionAttributeValues": {":s": {"SS": ["x"]}}}}
    ]}));
    assert_eq!(invalid.message, "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]");
    assert_eq!(invalid.fields["CancellationReasons"][1]["Message"], "An operand in the update expression has an incorrect data type");
    assert!(get(&db, "tbl", "new", 1).is_none());

    let twice = err(&db, "TransactWriteItems", json!({"TransactItems": [tx_put("tbl", "x", 1, None), {"Delete": {"TableName": "tbl", "Key": key("x", 1)}}]}));
    assert_eq!((twice.code.as_ref(), twice.message.as_str()), ("ValidationException", "Transaction request cannot include multiple operations on one item"));
    let static_error = err(&db, "TransactWriteItems", json!({"TransactItems": [{"Delete": {"TableName": "tbl", "Key": {"pk": {"S": "x"}}}}]}));
    assert_eq!((static_error.code.as_ref(), static_error.message.as_str()), ("ValidationException", "The provided key element does not match the schema"));
    let missing = err(&db, "TransactWriteItems", json!({"TransactItems": [tx_put("nope", "x", 1, None)]}));
    assert_eq!(missing.code, "ResourceNotFoundException");
}

#[test]
fn transact_write_items_client_request_token() {
    let db = service();
    create(&db, "tbl");
    let add = |amount: &str| {
        json!({"ClientRequestToken": "token-1", "ReturnConsumedCapacity": "TOTAL", "TransactItems": [
            {"Update": {"TableName": "tbl", "Key": key("c", 1), "UpdateExpression": "ADD n :a", "ExpressionAttributeValues": {":a": {"N": amount}}}}
        ]})
    };
    let first = ok(&db, "TransactWriteItems", add("1"));
    let replay = ok(&db, "TransactWriteItems", add("1"));
    assert_eq!(replay, first);
    assert_eq!(get(&db, "tbl", "c", 1).unwrap()["n"], json!({"N": "1"}), "the replay applied nothing");
    let mismatch = err(&db, "TransactWriteItems", add("2"));
    assert_eq!(mismatch.code, "IdempotentParameterMismatchException");

    // After ten minutes the token is new again.
    db.clock.advance(std::time::Duration::from_secs(601));
    ok(&db, "TransactWriteItems", add("2"));
    assert_eq!(get(&db, "tbl", "c", 1).unwrap()["n"], json!({"N": "3"}));
    // Expired tokens are pruned by later transactions.
    db.clock.advance(std::time::Duration::from_secs(601));
    ok(&db, "TransactWriteItems", json!({"ClientRequestToken": "token-2", "TransactItems": [tx_put("tbl", "p", 1, None)]}));
    assert!(db.store.get::<idempotency::ClientToken>("000000000000/us-east-1", "token-1").unwrap().is_none());
    assert!(db.store.get::<idempotency::ClientToken>("000000000000/us-east-1", "token-2").unwrap().is_some());
}

#[test]
fn transact_get_items() {
    let db = service();
    create(&db, "tbl");
    ok(&db, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "1"}, "y": {"S": "2"}}}));
    let got = ok(&db, "TransactGetItems", json!({"TransactItems": [
        {"Get": {"TableName": "tbl", "Key": key("a", 1), "ProjectionExpression": "#y", "ExpressionAttributeNames": {"#y": "y"}}},
        {"Get": {"TableName": "tbl", "Key": key("missing", 1)}},
        {"Get": {"TableName": "arn:aws:dynamodb:us-east-1:000000000000:table/tbl", "Key": key("b", 1)}}
    ], "ReturnConsumedCapacity": "TOTAL"}));
    assert_eq!(got["Responses"], json!([{"Item": {"y": {"S": "2"}}}, {}, {}]));
    assert_eq!(got["ConsumedCapacity"][0]["CapacityUnits"], 6.0);
    let twice = err(&db, "TransactGetItems", json!({"TransactItems": [{"Get": {"TableName": "tbl", "Key": key("a", 1)}}, {"Get": {"TableName": "tbl", "Key": key("a", 1)}}]}));
    assert_eq!(twice.message, "Transaction request cannot include multiple operations on one item");
}

#[test]
fn strict_mode_sees_every_table_of_a_batch_or_transaction() {
    let db = service();
    let ctx = RequestContext::for_tests("dynamodb", "BatchWriteItem");
    let arn = |t: &str| format!("arn:aws:dynamodb:us-east-1:000000000000:table/{t}");
    let batch = db.access(&ctx, "BatchWriteItem", &json!({"RequestItems": {"t-a": [], "t-b": []}}));
    assert_eq!(batch.len(), 1);
    assert_eq!((batch[0].action.as_str(), batch[0].resources.clone()), ("dynamodb:BatchWriteItem", vec![arn("t-a"), arn("t-b")]));
    let transaction = db.access(&ctx, "TransactWriteItems", &json!({"TransactItems": [
        {"Put": {"TableName": "t-a"}}, {"ConditionCheck": {"TableName": "t-b"}}, {"Put": {"TableName": arn("t-c")}}
    ]}));
    let pairs: Vec<(String, Vec<String>)> = transaction.into_iter().map(|a| (a.action, a.resources)).collect();
    assert_eq!(pairs, vec![
        ("dynamodb:PutItem".to_owned(), vec![arn("t-a"), arn("t-c")]),
        ("dynamodb:ConditionCheckItem".to_owned(), vec![arn("t-b")]),
    ]);
}

#[test]
fn item_collection_metrics_only_for_tables_with_local_indexes() {
    let db = service();
    create(&db, "plain");
    let asked = |table: &str, pk: &str| json!({"TableName": table, "Item": {"pk": {"S": pk}, "sk": {"N": "1"}}, "ReturnItemCollectionMetrics": "SIZE"});
    // No LSI, no item collections: nothing even when asked.
    assert_eq!(ok(&db, "PutItem", asked("plain", "a")).get("ItemCollectionMetrics"), None);
    ok(
        &db,
        "CreateTable",
        json!({
            "TableName": "lsi",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "l", "AttributeType": "S"}
            ],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "BillingMode": "PAY_PER_REQUEST",
            "LocalSecondaryIndexes": [{"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
                                       "Projection": {"ProjectionType": "ALL"}}]
        }),
    );
    let expected = |pk: &str| json!({"ItemCollectionKey": {"pk": {"S": pk}}, "SizeEstimateRangeGB": [0.0, 1.0]});
    assert_eq!(ok(&db, "PutItem", asked("lsi", "a"))["ItemCollectionMetrics"], expected("a"));
    // Not asked: not answered.
    let quiet = ok(&db, "PutItem", json!({"TableName": "lsi", "Item": {"pk": {"S": "a"}, "sk": {"N": "2"}}}));
    assert_eq!(quiet.get("ItemCollectionMetrics"), None);
    let updated = ok(
        &db,
        "UpdateItem",
        json!({"TableName": "lsi", "Key": key("a", 2), "UpdateExpression": "SET l = :l", "ExpressionAttributeValues": {":l": {"S": "x"}},
               "ReturnItemCollectionMetrics": "SIZE"}),
    );
    assert_eq!(updated["ItemCollectionMetrics"], expected("a"));
    let deleted = ok(&db, "DeleteItem", json!({"TableName": "lsi", "Key": key("a", 2), "ReturnItemCollectionMetrics": "SIZE"}));
    assert_eq!(deleted["ItemCollectionMetrics"], expected("a"));
    // A batch: per table, one entry per collection touched; the LSI-less table has none.
    let batch = ok(
        &db,
        "BatchWriteItem",
        json!({"RequestItems": {
            "lsi": [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "1"}}}}, {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "2"}}}},
                    {"PutRequest": {"Item": {"pk": {"S": "c"}, "sk": {"N": "1"}}}}],
            "plain": [{"PutRequest": {"Item": {"pk": {"S": "z"}, "sk": {"N": "1"}}}}]
        }, "ReturnItemCollectionMetrics": "SIZE"}),
    );
    assert_eq!(batch["ItemCollectionMetrics"], json!({"lsi": [expected("b"), expected("c")]}));
    let transaction = ok(
        &db,
        "TransactWriteItems",
        json!({"TransactItems": [{"Put": {"TableName": "lsi", "Item": {"pk": {"S": "d"}, "sk": {"N": "1"}}}},
                                 {"ConditionCheck": {"TableName": "lsi", "Key": key("a", 1), "ConditionExpression": "attribute_exists(pk)"}}],
               "ReturnItemCollectionMetrics": "SIZE"}),
    );
    assert_eq!(transaction["ItemCollectionMetrics"], json!({"lsi": [expected("d")]}));
}

#[test]
fn transactions_over_4_mb_are_refused() {
    let db = service();
    create(&db, "tbl");
    // Eleven items of ~390 KB: each is under the 400 KB item limit, together over 4 MB.
    let big = "x".repeat(390 * 1024);
    let items: Vec<Value> = (0..11).map(|sk| json!({"Put": {"TableName": "tbl", "Item": {"pk": {"S": "p"}, "sk": {"N": sk.to_string()}, "blob": {"S": big}}}})).collect();
    let e = err(&db, "TransactWriteItems", json!({"TransactItems": items}));
    assert_eq!((&*e.code, &*e.message), ("ValidationException", "Transaction request cannot be larger than 4 MB"));
    assert_eq!(count(&db, "tbl").0, 0);
    // Ten of them (3.9 MB) commit.
    ok(&db, "TransactWriteItems", json!({"TransactItems": items[..10]}));
    assert_eq!(count(&db, "tbl").0, 10);
}
