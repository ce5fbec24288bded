//! Query and Scan, the service called directly on an ephemeral store.

use super::*;
use serde_json::json;

use crate::tests::{call, ok, service};

fn message(db: &DynamoDb, operation: &str, input: Value) -> String {
    let e = call(db, operation, input).expect_err(operation);
    assert_eq!(e.code.as_ref(), "ValidationException", "{}", e.message);
    e.message
}

/// `t`: pk S, sk N; GSI `by-g` (g S, sk N) KEYS_ONLY; GSI `by-h` (h S) INCLUDE [x]; GSI
/// `all-g` (g S) ALL; LSI `by-l` (pk, l S) KEYS_ONLY.
fn create(db: &DynamoDb) {
    ok(
        db,
        "CreateTable",
        json!({
            "TableName": "tbl",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "g", "AttributeType": "S"},
                {"AttributeName": "h", "AttributeType": "S"},
                {"AttributeName": "l", "AttributeType": "S"}
            ],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [
                {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                 "Projection": {"ProjectionType": "KEYS_ONLY"}},
                {"IndexName": "by-h", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}},
                {"IndexName": "all-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "ALL"}}
            ],
            "LocalSecondaryIndexes": [
                {"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
                 "Projection": {"ProjectionType": "KEYS_ONLY"}}
            ]
        }),
    );
}

fn put(db: &DynamoDb, item: Value) {
    ok(db, "PutItem", json!({"TableName": "tbl", "Item": item}));
}

/// Partition `a` with sort keys 1..=10 (x = sk * 10, g = "g" for even keys), partition `b`
/// with one item.
fn fill(db: &DynamoDb) {
    for sk in 1..=10 {
        let mut item = json!({"pk": {"S": "a"}, "sk": {"N": sk.to_string()}, "x": {"N": (sk * 10).to_string()},
                              "l": {"S": format!("l{:02}", 11 - sk)}, "y": {"S": "why"}});
        if sk % 2 == 0 {
            item["g"] = json!({"S": "g"});
            item["h"] = json!({"S": "h"});
        }
        put(db, item);
    }
    put(db, json!({"pk": {"S": "b"}, "sk": {"N": "1"}}));
}

fn sort_keys(page: &Value) -> Vec<i64> {
    page["Items"].as_array().unwrap().iter().map(|i| i["sk"]["N"].as_str().unwrap().parse().unwrap()).collect()
}

fn query(db: &DynamoDb, condition: &str, values: Value, extra: Value) -> Value {
    let mut input = json!({"TableName": "tbl", "KeyConditionExpression": condition, "ExpressionAttributeValues": values});
    input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    ok(db, "Query", input)
}

#[test]
fn query_sort_key_operators_and_order() {
    let db = service();
    create(&db);
    fill(&db);
    let v = |n: &str| json!({":p": {"S": "a"}, ":v": {"N": n}});
    assert_eq!(sort_keys(&query(&db, "pk = :p", json!({":p": {"S": "a"}}), json!({}))), (1..=10).collect::<Vec<_>>());
    assert_eq!(sort_keys(&query(&db, "pk = :p AND sk = :v", v("3"), json!({}))), vec![3]);
    assert_eq!(sort_keys(&query(&db, "pk = :p AND sk < :v", v("3"), json!({}))), vec![1, 2]);
    assert_eq!(sort_keys(&query(&db, "pk = :p AND sk <= :v", v("3"), json!({}))), vec![1, 2, 3]);
    assert_eq!(sort_keys(&query(&db, "pk = :p AND sk > :v", v("8"), json!({}))), vec![9, 10]);
    assert_eq!(sort_keys(&query(&db, "pk = :p AND :v <= sk", v("9"), json!({}))), vec![9, 10]);
    let between = json!({":p": {"S": "a"}, ":lo": {"N": "4"}, ":hi": {"N": "6"}});
    assert_eq!(sort_keys(&query(&db, "pk = :p AND sk BETWEEN :lo AND :hi", between.clone(), json!({}))), vec![4, 5, 6]);
    assert_eq!(sort_keys(&query(&db, "pk = :p AND sk BETWEEN :lo AND :hi", between, json!({"ScanIndexForward": false}))), vec![6, 5, 4]);
    let reversed = query(&db, "pk = :p", json!({":p": {"S": "a"}}), json!({"ScanIndexForward": false, "Limit": 3}));
    assert_eq!(sort_keys(&reversed), vec![10, 9, 8]);
    assert_eq!(reversed["LastEvaluatedKey"], json!({"pk": {"S": "a"}, "sk": {"N": "8"}}));
    let rest = query(&db, "pk = :p", json!({":p": {"S": "a"}}), json!({"ScanIndexForward": false, "ExclusiveStartKey": reversed["LastEvaluatedKey"]}));
    assert_eq!(sort_keys(&rest), (1..=7).rev().collect::<Vec<_>>());
    assert!(rest.get("LastEvaluatedKey").is_none());
    // Another partition, and one with nothing.
    assert_eq!(query(&db, "pk = :p", json!({":p": {"S": "b"}}), json!({}))["Count"], 1);
    assert_eq!(query(&db, "pk = :p", json!({":p": {"S": "zz"}}), json!({}))["Count"], 0);
}

#[test]
fn query_begins_with_on_a_string_sort_key_and_legacy_key_conditions() {
    let db = service();
    ok(&db, "CreateTable", json!({
        "TableName": "strs", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    }));
    for sk in ["a", "ab", "abc", "b", "a\u{ff}", "ba"] {
        ok(&db, "PutItem", json!({"TableName": "strs", "Item": {"pk": {"S": "p"}, "sk": {"S": sk}}}));
    }
    let keys = |page: &Value| page["Items"].as_array().unwrap().iter().map(|i| i["sk"]["S"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let page = ok(&db, "Query", json!({"TableName": "strs", "KeyConditionExpression": "pk = :p AND begins_with(sk, :v)",
        "ExpressionAttributeValues": {":p": {"S": "p"}, ":v": {"S": "a"}}}));
    assert_eq!(keys(&page), ["a", "ab", "abc", "a\u{ff}"]);
    let legacy = ok(&db, "Query", json!({"TableName": "strs", "KeyConditions": {
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
        "sk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "b"}]}}}));
    assert_eq!(keys(&legacy), ["b", "ba"]);
    let legacy_gt = ok(&db, "Query", json!({"TableName": "strs", "KeyConditions": {
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
        "sk": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "abc"}]}},
        "QueryFilter": {"sk2": {"ComparisonOperator": "NULL"}}}));
    assert_eq!(keys(&legacy_gt), ["a\u{ff}", "b", "ba"]);
}

#[test]
fn limit_counts_items_evaluated_before_the_filter() {
    let db = service();
    create(&db);
    fill(&db);
    let page = query(&db, "pk = :p", json!({":p": {"S": "a"}, ":min": {"N": "35"}}), json!({"Limit": 5, "FilterExpression": "x > :min"}));
    assert_eq!((page["Count"].as_i64(), page["ScannedCount"].as_i64()), (Some(2), Some(5)));
    assert_eq!(sort_keys(&page), vec![4, 5]);
    assert_eq!(page["LastEvaluatedKey"], json!({"pk": {"S": "a"}, "sk": {"N": "5"}}));
    // A page that ends exactly at Limit still names its last key, as DynamoDB does.
    let all = query(&db, "pk = :p", json!({":p": {"S": "a"}}), json!({"Limit": 10}));
    assert_eq!(all["LastEvaluatedKey"]["sk"]["N"], "10");
    let empty = query(&db, "pk = :p", json!({":p": {"S": "a"}}), json!({"ExclusiveStartKey": all["LastEvaluatedKey"]}));
    assert_eq!((empty["Count"].as_i64(), empty.get("LastEvaluatedKey")), (Some(0), None));
    let counted = query(&db, "pk = :p", json!({":p": {"S": "a"}, ":min": {"N": "35"}}), json!({"Select": "COUNT", "FilterExpression": "x > :min"}));
    assert_eq!((counted["Count"].as_i64(), counted["ScannedCount"].as_i64(), counted.get("Items")), (Some(7), Some(10), None));
}

#[test]
fn pages_end_after_the_item_that_crosses_one_megabyte() {
    let db = service();
    create(&db);
    let blob = "x".repeat(100 * 1024);
    for sk in 0..25 {
        put(&db, json!({"pk": {"S": "big"}, "sk": {"N": sk.to_string()}, "data": {"S": blob}}));
    }
    let first = query(&db, "pk = :p", json!({":p": {"S": "big"}}), json!({"ReturnConsumedCapacity": "TOTAL", "ConsistentRead": true}));
    // Ten items are just under 1 MB; the eleventh crosses it and ends the page.
    assert_eq!(first["Count"], 11);
    assert_eq!(first["LastEvaluatedKey"]["sk"]["N"], "10");
    let read: usize = 11 * (2 + 3 + 2 + 2 + 4 + 100 * 1024);
    assert_eq!(first["ConsumedCapacity"]["CapacityUnits"], json!(read.div_ceil(4096) as f64));
    let second = query(&db, "pk = :p", json!({":p": {"S": "big"}}), json!({"ExclusiveStartKey": first["LastEvaluatedKey"]}));
    assert_eq!(sort_keys(&second), (11..22).collect::<Vec<_>>());
    let third = query(&db, "pk = :p", json!({":p": {"S": "big"}}), json!({"ExclusiveStartKey": second["LastEvaluatedKey"]}));
    assert_eq!((sort_keys(&third), third.get("LastEvaluatedKey")), ((22..25).collect::<Vec<_>>(), None));
    // Scan follows the same rule.
    let scanned = ok(&db, "Scan", json!({"TableName": "tbl", "Select": "COUNT"}));
    assert_eq!((scanned["Count"].as_i64(), scanned["ScannedCount"].as_i64()), (Some(11), Some(11)));
}

#[test]
fn global_index_queries_and_their_projections() {
    let db = service();
    create(&db);
    fill(&db);
    let keys_only = ok(&db, "Query", json!({"TableName": "tbl", "IndexName": "by-g", "KeyConditionExpression": "g = :g AND sk > :s",
        "ExpressionAttributeValues": {":g": {"S": "g"}, ":s": {"N": "4"}}, "Limit": 2}));
    assert_eq!(keys_only["Items"], json!([
        {"pk": {"S": "a"}, "sk": {"N": "6"}, "g": {"S": "g"}},
        {"pk": {"S": "a"}, "sk": {"N": "8"}, "g": {"S": "g"}}
    ]));
    // The index key and the table key, as AWS gives them.
    assert_eq!(keys_only["LastEvaluatedKey"], json!({"pk": {"S": "a"}, "sk": {"N": "8"}, "g": {"S": "g"}}));
    let next = ok(&db, "Query", json!({"TableName": "tbl", "IndexName": "by-g", "KeyConditionExpression": "g = :g AND sk > :s",
        "ExpressionAttributeValues": {":g": {"S": "g"}, ":s": {"N": "4"}}, "ExclusiveStartKey": keys_only["LastEvaluatedKey"]}));
    assert_eq!(sort_keys(&next), vec![10]);
    // Sparse: only items with h are in by-h; INCLUDE keeps x.
    let include = ok(&db, "Query", json!({"TableName": "tbl", "IndexName": "by-h", "KeyConditionExpression": "h = :h",
        "ExpressionAttributeValues": {":h": {"S": "h"}}, "ProjectionExpression": "x, sk"}));
    assert_eq!(include["Count"], 5);
    assert_eq!(include["Items"][0], json!({"x": {"N": "20"}, "sk": {"N": "2"}}));
    let all = ok(&db, "Query", json!({"TableName": "tbl", "IndexName": "all-g", "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "g"}}, "Select": "ALL_ATTRIBUTES", "ReturnConsumedCapacity": "INDEXES"}));
    assert_eq!(all["Items"][0]["y"], json!({"S": "why"}));
    assert_eq!(all["ConsumedCapacity"]["GlobalSecondaryIndexes"]["all-g"]["CapacityUnits"], 0.5);
    assert_eq!(all["ConsumedCapacity"]["Table"]["CapacityUnits"], 0.0);

    let base = json!({"TableName": "tbl", "IndexName": "by-h", "KeyConditionExpression": "h = :h", "ExpressionAttributeValues": {":h": {"S": "h"}}});
    let with = |extra: Value| {
        let mut input = base.clone();
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        input
    };
    assert_eq!(
        message(&db, "Query", with(json!({"Select": "ALL_ATTRIBUTES"}))),
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index by-h because its projection type is not ALL"
    );
    assert_eq!(
        message(&db, "Query", with(json!({"ProjectionExpression": "y, x, l"}))),
        "One or more parameter values were invalid: Global secondary index by-h does not project [y, l]"
    );
    assert_eq!(message(&db, "Query", with(json!({"ConsistentRead": true}))), "Consistent reads are not supported on global secondary indexes");
    assert_eq!(message(&db, "Query", with(json!({"IndexName": "nope"}))), "The table does not have the specified index: nope");
    assert_eq!(message(&db, "Scan", json!({"TableName": "tbl", "IndexName": "nope"})), "The table does not have the specified index: nope");
}

#[test]
fn local_index_queries_fetch_what_the_index_lacks() {
    let db = service();
    create(&db);
    fill(&db);
    let input = |extra: Value| {
        let mut input = json!({"TableName": "tbl", "IndexName": "by-l", "KeyConditionExpression": "pk = :p AND l < :l",
            "ExpressionAttributeValues": {":p": {"S": "a"}, ":l": {"S": "l03"}}});
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        input
    };
    // Index order: l01 (sk 10), l02 (sk 9).
    let projected = ok(&db, "Query", input(json!({})));
    assert_eq!(projected["Items"], json!([
        {"pk": {"S": "a"}, "sk": {"N": "10"}, "l": {"S": "l01"}},
        {"pk": {"S": "a"}, "sk": {"N": "9"}, "l": {"S": "l02"}}
    ]));
    let whole = ok(&db, "Query", input(json!({"Select": "ALL_ATTRIBUTES", "ConsistentRead": true, "ReturnConsumedCapacity": "INDEXES"})));
    assert_eq!(whole["Items"][0]["y"], json!({"S": "why"}));
    assert_eq!(whole["ConsumedCapacity"]["LocalSecondaryIndexes"]["by-l"]["CapacityUnits"], 1.0);
    assert_eq!(whole["ConsumedCapacity"]["Table"]["CapacityUnits"], 1.0);
    let specific = ok(&db, "Query", input(json!({"ProjectionExpression": "x"})));
    assert_eq!(specific["Items"], json!([{"x": {"N": "100"}}, {"x": {"N": "90"}}]));
    let filtered = ok(&db, "Query", input(json!({"FilterExpression": "x = :x", "ExpressionAttributeValues": {":p": {"S": "a"}, ":l": {"S": "l03"}, ":x": {"N": "90"}}})));
    assert_eq!((filtered["Count"].as_i64(), filtered["ScannedCount"].as_i64()), (Some(1), Some(2)));
}

#[test]
fn select_and_projection_rules() {
    let db = service();
    create(&db);
    fill(&db);
    let base = |extra: Value| {
        let mut input = json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}});
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        input
    };
    assert_eq!(
        message(&db, "Query", base(json!({"Select": "ALL_PROJECTED_ATTRIBUTES"}))),
        "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
    );
    assert_eq!(
        message(&db, "Scan", json!({"TableName": "tbl", "Select": "ALL_PROJECTED_ATTRIBUTES"})),
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
    );
    assert_eq!(
        message(&db, "Query", base(json!({"Select": "SPECIFIC_ATTRIBUTES"}))),
        "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
    );
    assert_eq!(
        message(&db, "Query", base(json!({"Select": "COUNT", "ProjectionExpression": "x"}))),
        "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get only the Count"
    );
    assert_eq!(
        message(&db, "Scan", json!({"TableName": "tbl", "Select": "ALL_ATTRIBUTES", "AttributesToGet": ["x"]})),
        "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES"
    );
    assert_eq!(
        message(&db, "Query", base(json!({"Select": "count"}))),
        "1 validation error detected: Value 'count' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
    );
    let nested = ok(&db, "Query", json!({"TableName": "tbl", "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
        "Select": "SPECIFIC_ATTRIBUTES", "AttributesToGet": ["sk", "missing"], "Limit": 1}));
    assert_eq!(nested["Items"], json!([{"sk": {"N": "1"}}]));
    put(&db, json!({"pk": {"S": "n"}, "sk": {"N": "1"}, "m": {"M": {"a": {"L": [{"S": "x"}, {"S": "y"}]}, "b": {"S": "z"}}}}));
    let projected = ok(&db, "Query", json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "n"}},
        "ProjectionExpression": "#m.a[1], m.b", "ExpressionAttributeNames": {"#m": "m"}}));
    assert_eq!(projected["Items"], json!([{"m": {"M": {"a": {"L": [{"S": "y"}]}, "b": {"S": "z"}}}}]));
}

#[test]
fn query_errors_use_aws_messages() {
    let db = service();
    create(&db);
    fill(&db);
    let q = |condition: &str, values: Value, extra: Value| {
        let mut input = json!({"TableName": "tbl", "KeyConditionExpression": condition, "ExpressionAttributeValues": values});
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        message(&db, "Query", input)
    };
    let p = json!({":p": {"S": "a"}});
    assert_eq!(message(&db, "Query", json!({"TableName": "tbl"})), "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
    assert_eq!(q("pk = :p", json!({":p": {"N": "1"}}), json!({})), "One or more parameter values were invalid: Condition parameter type does not match schema type");
    assert_eq!(
        q("pk = :p", p.clone(), json!({"FilterExpression": "sk > :p"})),
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"
    );
    assert_eq!(
        message(&db, "Query", json!({"TableName": "tbl", "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
            "QueryFilter": {"pk": {"ComparisonOperator": "NOT_NULL"}}})),
        "QueryFilter can only contain non-primary key attributes: Primary key attribute: pk"
    );
    assert_eq!(q("pk = :p", p.clone(), json!({"ExclusiveStartKey": {"pk": {"S": "a"}}})), "The provided starting key is invalid");
    assert_eq!(
        q("pk = :p", p.clone(), json!({"ExclusiveStartKey": {"pk": {"S": "b"}, "sk": {"N": "1"}}})),
        "The provided starting key is outside query boundaries based on provided conditions"
    );
    assert_eq!(
        q("pk = :p AND sk > :s", json!({":p": {"S": "a"}, ":s": {"N": "5"}}), json!({"ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"N": "2"}}})),
        "The provided starting key does not match the range key predicate"
    );
    assert_eq!(
        q("pk = :p", p.clone(), json!({"IndexName": "by-l", "ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"N": "1"}}})),
        "The provided starting key is invalid"
    );
    assert_eq!(
        q("pk = :p", p.clone(), json!({"ExpressionAttributeNames": {"#unused": "x"}})),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"
    );
    let missing = call(&db, "Query", json!({"TableName": "nope", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": p})).unwrap_err();
    assert_eq!((missing.code.as_ref(), missing.message.as_str()), ("ResourceNotFoundException", "Requested resource not found"));
}

#[test]
fn scan_pages_filters_and_segments_cover_the_table_once() {
    let db = service();
    create(&db);
    for i in 0..200 {
        put(&db, json!({"pk": {"S": format!("p{}", i % 37)}, "sk": {"N": i.to_string()}, "x": {"N": (i % 3).to_string()}}));
    }
    let mut seen = Vec::new();
    let mut start: Option<Value> = None;
    loop {
        let mut input = json!({"TableName": "tbl", "Limit": 30});
        if let Some(key) = &start {
            input["ExclusiveStartKey"] = key.clone();
        }
        let page = ok(&db, "Scan", input);
        seen.extend(sort_keys(&page));
        match page.get("LastEvaluatedKey") {
            Some(key) => start = Some(key.clone()),
            None => break,
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..200).collect::<Vec<_>>());

    let mut segments = Vec::new();
    for segment in 0..4 {
        let mut start: Option<Value> = None;
        loop {
            let mut input = json!({"TableName": "tbl", "Segment": segment, "TotalSegments": 4, "Limit": 17});
            if let Some(key) = &start {
                input["ExclusiveStartKey"] = key.clone();
            }
            let page = ok(&db, "Scan", input);
            segments.extend(sort_keys(&page));
            match page.get("LastEvaluatedKey") {
                Some(key) => start = Some(key.clone()),
                None => break,
            }
        }
    }
    segments.sort_unstable();
    assert_eq!(segments, (0..200).collect::<Vec<_>>());

    let filtered = ok(&db, "Scan", json!({"TableName": "tbl", "FilterExpression": "x = :z", "ExpressionAttributeValues": {":z": {"N": "0"}}}));
    assert_eq!((filtered["Count"].as_i64(), filtered["ScannedCount"].as_i64()), (Some(67), Some(200)));
    let legacy = ok(&db, "Scan", json!({"TableName": "tbl", "Select": "COUNT", "ConditionalOperator": "OR",
        "ScanFilter": {"x": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}, "sk": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "3"}]}}}));
    assert_eq!(legacy["Count"], 67 + 2);
    // A start key from another segment.
    let first = ok(&db, "Scan", json!({"TableName": "tbl", "Segment": 0, "TotalSegments": 4, "Limit": 1}));
    let other = (1..4).find(|s| {
        call(&db, "Scan", json!({"TableName": "tbl", "Segment": s, "TotalSegments": 4, "ExclusiveStartKey": first["LastEvaluatedKey"]})).is_err()
    });
    let s = other.expect("some other segment refuses the key");
    assert_eq!(
        message(&db, "Scan", json!({"TableName": "tbl", "Segment": s, "TotalSegments": 4, "ExclusiveStartKey": first["LastEvaluatedKey"]})),
        format!("The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 4 Segment: {s}")
    );
    assert_eq!(
        message(&db, "Scan", json!({"TableName": "tbl", "ExclusiveStartKey": {"pk": {"S": "a"}}})),
        "The provided starting key is invalid: The provided key element does not match the schema"
    );
}

#[test]
fn scan_of_an_index_reads_its_entries() {
    let db = service();
    create(&db);
    fill(&db);
    let page = ok(&db, "Scan", json!({"TableName": "tbl", "IndexName": "by-h", "Limit": 3, "ReturnConsumedCapacity": "TOTAL"}));
    assert_eq!(page["Count"], 3);
    assert_eq!(page["Items"][0], json!({"pk": {"S": "a"}, "sk": {"N": "2"}, "h": {"S": "h"}, "x": {"N": "20"}}));
    assert_eq!(page["LastEvaluatedKey"], json!({"pk": {"S": "a"}, "sk": {"N": "6"}, "h": {"S": "h"}}));
    assert_eq!(page["ConsumedCapacity"], json!({"TableName": "tbl", "CapacityUnits": 0.5}));
    let rest = ok(&db, "Scan", json!({"TableName": "tbl", "IndexName": "by-h", "ExclusiveStartKey": page["LastEvaluatedKey"]}));
    assert_eq!(sort_keys(&rest), vec![8, 10]);
    assert_eq!(
        message(&db, "Scan", json!({"TableName": "tbl", "IndexName": "by-h", "ConsistentRead": true})),
        "Consistent reads are not supported on global secondary indexes"
    );
}
