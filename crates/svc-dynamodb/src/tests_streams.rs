//! Streams, stream records, the DynamoDB Streams API and TTL deletion, called directly on an
//! ephemeral store with a fixed clock that the tests move.

use std::time::Duration;

use super::*;
use serde_json::json;

const START_SECS: i64 = 1_700_000_000;

struct Both {
    db: DynamoDb,
    streams: DynamoDbStreams,
    clock: Clock,
}

fn both() -> Both {
    let store = Store::open_ephemeral().unwrap();
    let clock = Clock::fixed(time::OffsetDateTime::from_unix_timestamp(START_SECS).unwrap());
    Both { db: DynamoDb::new(store.clone(), clock.clone()), streams: DynamoDbStreams::new(store, clock.clone()), clock }
}

impl Both {
    fn call(&self, operation: &str, input: Value) -> Result<Value, ServiceError> {
        crate::tests::call(&self.db, operation, input)
    }

    fn ok(&self, operation: &str, input: Value) -> Value {
        self.call(operation, input).unwrap_or_else(|e| panic!("{operation}: {e}"))
    }

    fn err(&self, operation: &str, input: Value) -> ServiceError {
        self.call(operation, input).expect_err(operation)
    }

    fn streams_call(&self, operation: &str, input: Value) -> Result<Value, ServiceError> {
        let ctx = RequestContext::for_tests("dynamodbstreams", operation);
        self.streams.dispatch(&ctx, operation, &input).map_err(|Fail(e)| e)
    }

    fn s_ok(&self, operation: &str, input: Value) -> Value {
        self.streams_call(operation, input).unwrap_or_else(|e| panic!("{operation}: {e}"))
    }

    fn s_err(&self, operation: &str, input: Value) -> ServiceError {
        self.streams_call(operation, input).expect_err(operation)
    }

    fn create(&self, name: &str, view_type: Option<&str>) -> Value {
        let mut input = json!({
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "gk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [{"IndexName": "by-gk", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}]
        });
        if let Some(view_type) = view_type {
            input["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": view_type});
        }
        self.ok("CreateTable", input)["TableDescription"].clone()
    }

    fn put(&self, table: &str, item: Value) {
        self.ok("PutItem", json!({"TableName": table, "Item": item}));
    }

    fn delete(&self, table: &str, pk: &str) {
        self.ok("DeleteItem", json!({"TableName": table, "Key": {"pk": {"S": pk}}}));
    }

    fn stream_arn(&self, table: &str) -> String {
        self.ok("DescribeTable", json!({"TableName": table}))["Table"]["LatestStreamArn"].as_str().unwrap().to_owned()
    }

    fn shard(&self, arn: &str) -> Value {
        self.s_ok("DescribeStream", json!({"StreamArn": arn}))["StreamDescription"]["Shards"][0].clone()
    }

    fn iterator(&self, arn: &str, kind: &str, sequence: Option<&str>) -> Result<String, ServiceError> {
        let shard = self.shard(arn)["ShardId"].as_str().unwrap().to_owned();
        let mut input = json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": kind});
        if let Some(sequence) = sequence {
            input["SequenceNumber"] = json!(sequence);
        }
        self.streams_call("GetShardIterator", input).map(|out| out["ShardIterator"].as_str().unwrap().to_owned())
    }

    /// Every record from `kind` on, following NextShardIterator until a page is empty.
    fn read_all(&self, arn: &str, kind: &str) -> Vec<Value> {
        let mut iterator = self.iterator(arn, kind, None).unwrap();
        let mut out = Vec::new();
        loop {
            let page = self.s_ok("GetRecords", json!({"ShardIterator": iterator, "Limit": 2}));
            let records = page["Records"].as_array().unwrap().clone();
            let done = records.is_empty();
            out.extend(records);
            match page.get("NextShardIterator").and_then(Value::as_str) {
                Some(next) if !done => iterator = next.to_owned(),
                _ => return out,
            }
        }
    }
}

fn events(records: &[Value]) -> Vec<&str> {
    records.iter().map(|r| r["eventName"].as_str().unwrap()).collect()
}

#[test]
fn item_changes_become_records_in_order_with_the_view_types_images() {
    let env = both();
    let created = env.create("orders", Some("NEW_AND_OLD_IMAGES"));
    let label = created["LatestStreamLabel"].as_str().unwrap();
    assert_eq!(label, "2023-11-14T22:13:20.000");
    let arn = created["LatestStreamArn"].as_str().unwrap().to_owned();
    assert_eq!(arn, format!("arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/{label}"));
    assert_eq!(env.stream_arn("orders"), arn);

    env.put("orders", json!({"pk": {"S": "a"}, "n": {"N": "1"}}));
    env.put("orders", json!({"pk": {"S": "a"}, "n": {"N": "1.0"}})); // no change: no record
    env.put("orders", json!({"pk": {"S": "a"}, "n": {"N": "2"}}));
    env.delete("orders", "a");
    env.delete("orders", "missing"); // nothing removed: no record
    env.ok("UpdateItem", json!({"TableName": "orders", "Key": {"pk": {"S": "b"}}, "UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "5"}}}));

    let records = env.read_all(&arn, "TRIM_HORIZON");
    assert_eq!(events(&records), ["INSERT", "MODIFY", "REMOVE", "INSERT"]);
    let first = &records[0];
    assert_eq!(first["eventVersion"], "1.1");
    assert_eq!(first["eventSource"], "aws:dynamodb");
    assert_eq!(first["awsRegion"], "us-east-1");
    assert_eq!(first["eventID"].as_str().unwrap().len(), 32);
    assert!(first.get("userIdentity").is_none());
    let body = &first["dynamodb"];
    assert_eq!(body["ApproximateCreationDateTime"], START_SECS);
    assert_eq!(body["Keys"], json!({"pk": {"S": "a"}}));
    assert_eq!(body["NewImage"], json!({"pk": {"S": "a"}, "n": {"N": "1"}}));
    assert!(body.get("OldImage").is_none());
    assert_eq!(body["StreamViewType"], "NEW_AND_OLD_IMAGES");
    assert!(body["SizeBytes"].as_u64().unwrap() > 0);
    assert_eq!(records[1]["dynamodb"]["OldImage"]["n"], json!({"N": "1"}));
    assert_eq!(records[1]["dynamodb"]["NewImage"]["n"], json!({"N": "2"}));
    assert_eq!(records[2]["dynamodb"]["OldImage"]["n"], json!({"N": "2"}));
    assert!(records[2]["dynamodb"].get("NewImage").is_none());
    let numbers: Vec<&str> = records.iter().map(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap()).collect();
    assert!(numbers.iter().all(|n| n.len() == 21));
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    let start = env.shard(&arn)["SequenceNumberRange"]["StartingSequenceNumber"].as_str().unwrap().to_owned();
    assert_eq!(start, numbers[0]);
}

#[test]
fn each_view_type_carries_its_images() {
    let env = both();
    for (table, view_type, new, old) in [
        ("keys-only", "KEYS_ONLY", false, false),
        ("new-image", "NEW_IMAGE", true, false),
        ("old-image", "OLD_IMAGE", false, true),
        ("both-images", "NEW_AND_OLD_IMAGES", true, true),
    ] {
        env.create(table, Some(view_type));
        env.put(table, json!({"pk": {"S": "k"}, "v": {"S": "1"}}));
        env.put(table, json!({"pk": {"S": "k"}, "v": {"S": "2"}}));
        let records = env.read_all(&env.stream_arn(table), "TRIM_HORIZON");
        assert_eq!(events(&records), ["INSERT", "MODIFY"], "{view_type}");
        let modify = &records[1]["dynamodb"];
        assert_eq!(modify["StreamViewType"], view_type);
        assert_eq!(modify["Keys"], json!({"pk": {"S": "k"}}));
        assert_eq!(modify.get("NewImage").is_some(), new, "{view_type}");
        assert_eq!(modify.get("OldImage").is_some(), old, "{view_type}");
    }
}

#[test]
fn batch_and_transaction_writes_are_recorded() {
    let env = both();
    env.create("tbl", Some("NEW_IMAGE"));
    env.ok("BatchWriteItem", json!({"RequestItems": {"tbl": [
        {"PutRequest": {"Item": {"pk": {"S": "a"}}}},
        {"PutRequest": {"Item": {"pk": {"S": "b"}}}}
    ]}}));
    env.ok("TransactWriteItems", json!({"TransactItems": [{"Delete": {"TableName": "tbl", "Key": {"pk": {"S": "a"}}}}]}));
    let records = env.read_all(&env.stream_arn("tbl"), "TRIM_HORIZON");
    assert_eq!(events(&records), ["INSERT", "INSERT", "REMOVE"]);
}

#[test]
fn iterator_types_and_their_errors() {
    let env = both();
    env.create("tbl", Some("KEYS_ONLY"));
    let arn = env.stream_arn("tbl");
    for pk in ["a", "b", "c"] {
        env.put("tbl", json!({"pk": {"S": pk}}));
    }
    let all = env.read_all(&arn, "TRIM_HORIZON");
    let numbers: Vec<String> = all.iter().map(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap().to_owned()).collect();

    let latest = env.iterator(&arn, "LATEST", None).unwrap();
    assert!(latest.starts_with(&format!("{arn}|1|")));
    assert_eq!(env.s_ok("GetRecords", json!({"ShardIterator": latest}))["Records"], json!([]));
    env.put("tbl", json!({"pk": {"S": "d"}}));
    let after_latest = env.s_ok("GetRecords", json!({"ShardIterator": latest}));
    assert_eq!(after_latest["Records"][0]["dynamodb"]["Keys"]["pk"]["S"], "d");

    let at = env.iterator(&arn, "AT_SEQUENCE_NUMBER", Some(&numbers[1])).unwrap();
    let page = env.s_ok("GetRecords", json!({"ShardIterator": at, "Limit": 1}));
    assert_eq!(page["Records"][0]["dynamodb"]["SequenceNumber"], numbers[1].as_str());
    let after = env.iterator(&arn, "AFTER_SEQUENCE_NUMBER", Some(&numbers[1])).unwrap();
    let page = env.s_ok("GetRecords", json!({"ShardIterator": after, "Limit": 1}));
    assert_eq!(page["Records"][0]["dynamodb"]["SequenceNumber"], numbers[2].as_str());
    // The next iterator continues where the page stopped.
    let next = page["NextShardIterator"].as_str().unwrap();
    let rest = env.s_ok("GetRecords", json!({"ShardIterator": next}));
    assert_eq!(events(rest["Records"].as_array().unwrap()), ["INSERT"]);

    let missing_number = env.iterator(&arn, "AT_SEQUENCE_NUMBER", None).unwrap_err();
    assert_eq!(missing_number.code.as_ref(), "ValidationException");
    let extra_number = env.iterator(&arn, "LATEST", Some(&numbers[0])).unwrap_err();
    assert_eq!(extra_number.code.as_ref(), "ValidationException");
    let beyond = env.iterator(&arn, "AT_SEQUENCE_NUMBER", Some("900000000000000000000")).unwrap_err();
    assert_eq!(beyond.code.as_ref(), "ValidationException");

    let wrong_shard = env.s_err("GetShardIterator", json!({"StreamArn": arn, "ShardId": "shardId-00000001700000000000-00000000", "ShardIteratorType": "LATEST"}));
    assert_eq!((wrong_shard.code.as_ref(), wrong_shard.message.as_str()), ("ResourceNotFoundException", "Requested resource not found: Shard does not exist"));
    let unknown = format!("{}x", arn);
    let no_stream = env.s_err("DescribeStream", json!({"StreamArn": unknown}));
    assert_eq!((no_stream.code.as_ref(), no_stream.message.clone()), ("ResourceNotFoundException", format!("Requested resource not found: Stream: {unknown} not found")));
    let garbage = env.s_err("GetRecords", json!({"ShardIterator": "not-an-iterator"}));
    assert_eq!(garbage.code.as_ref(), "ValidationException");
    let too_many = env.s_err("GetRecords", json!({"ShardIterator": latest, "Limit": 1001}));
    assert_eq!(too_many.message, "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000");

    // Iterators last 15 minutes of Nimbus's clock.
    let fresh = env.iterator(&arn, "TRIM_HORIZON", None).unwrap();
    env.clock.advance(Duration::from_secs(14 * 60));
    env.s_ok("GetRecords", json!({"ShardIterator": fresh}));
    env.clock.advance(Duration::from_secs(2 * 60));
    let expired = env.s_err("GetRecords", json!({"ShardIterator": fresh}));
    assert_eq!((expired.code.as_ref(), expired.message.as_str()), ("ExpiredIteratorException", "The provided iterator exceeds the maximum age allowed."));
}

#[test]
fn disabling_closes_the_shard_and_enabling_starts_a_new_stream() {
    let env = both();
    env.create("tbl", Some("NEW_IMAGE"));
    let first = env.stream_arn("tbl");
    env.put("tbl", json!({"pk": {"S": "a"}}));
    let reader = env.iterator(&first, "TRIM_HORIZON", None).unwrap();

    env.clock.advance(Duration::from_secs(60));
    let disabled = env.ok("UpdateTable", json!({"TableName": "tbl", "StreamSpecification": {"StreamEnabled": false}}));
    assert!(disabled["TableDescription"].get("StreamSpecification").is_none());
    assert_eq!(disabled["TableDescription"]["LatestStreamArn"], first.as_str());
    env.put("tbl", json!({"pk": {"S": "not-recorded"}}));

    let description = env.s_ok("DescribeStream", json!({"StreamArn": first}))["StreamDescription"].clone();
    assert_eq!(description["StreamStatus"], "DISABLED");
    assert_eq!(description["TableName"], "tbl");
    assert_eq!(description["KeySchema"], json!([{"AttributeName": "pk", "KeyType": "HASH"}]));
    let range = &description["Shards"][0]["SequenceNumberRange"];
    assert_eq!(range["StartingSequenceNumber"], range["EndingSequenceNumber"]);
    // The closed shard is read to its end: its last page has no next iterator.
    let page = env.s_ok("GetRecords", json!({"ShardIterator": reader}));
    assert_eq!(events(page["Records"].as_array().unwrap()), ["INSERT"]);
    assert!(page.get("NextShardIterator").is_none(), "{page}");

    let enabled = env.ok("UpdateTable", json!({"TableName": "tbl", "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}}));
    let second = enabled["TableDescription"]["LatestStreamArn"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(enabled["TableDescription"]["LatestStreamLabel"], "2023-11-14T22:14:20.000");
    env.put("tbl", json!({"pk": {"S": "b"}}));
    let records = env.read_all(&second, "TRIM_HORIZON");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["dynamodb"]["Keys"]["pk"]["S"], "b");
    assert_eq!(env.s_ok("DescribeStream", json!({"StreamArn": second}))["StreamDescription"]["StreamStatus"], "ENABLED");

    let listed = env.s_ok("ListStreams", json!({"TableName": "tbl"}));
    let arns: Vec<&str> = listed["Streams"].as_array().unwrap().iter().map(|s| s["StreamArn"].as_str().unwrap()).collect();
    assert_eq!(arns, [first.as_str(), second.as_str()]);
    let page = env.s_ok("ListStreams", json!({"Limit": 1}));
    assert_eq!(page["LastEvaluatedStreamArn"], first.as_str());
    let rest = env.s_ok("ListStreams", json!({"ExclusiveStartStreamArn": first}));
    assert_eq!(rest["Streams"][0]["StreamArn"], second.as_str());
    assert!(rest.get("LastEvaluatedStreamArn").is_none());
    let none = env.s_err("ListStreams", json!({"TableName": "nope"}));
    assert_eq!((none.code.as_ref(), none.message.as_str()), ("ResourceNotFoundException", "Requested resource not found: Table: nope not found"));
}

#[test]
fn deleting_the_table_disables_its_stream_which_goes_a_day_later() {
    let env = both();
    env.create("tbl", Some("NEW_IMAGE"));
    let arn = env.stream_arn("tbl");
    env.put("tbl", json!({"pk": {"S": "a"}}));
    env.ok("DeleteTable", json!({"TableName": "tbl"}));
    assert_eq!(env.s_ok("DescribeStream", json!({"StreamArn": arn}))["StreamDescription"]["StreamStatus"], "DISABLED");
    assert_eq!(env.read_all(&arn, "TRIM_HORIZON").len(), 1);
    env.clock.advance(Duration::from_secs(25 * 3600));
    let report = env.db.sweep();
    assert_eq!((report.trimmed, report.streams_removed), (0, 1));
    assert_eq!(env.s_err("DescribeStream", json!({"StreamArn": arn})).code.as_ref(), "ResourceNotFoundException");
}

#[test]
fn records_older_than_a_day_are_trimmed() {
    let env = both();
    env.create("tbl", Some("KEYS_ONLY"));
    let arn = env.stream_arn("tbl");
    env.put("tbl", json!({"pk": {"S": "old"}}));
    let old_number = env.read_all(&arn, "TRIM_HORIZON")[0]["dynamodb"]["SequenceNumber"].as_str().unwrap().to_owned();
    env.clock.advance(Duration::from_secs(12 * 3600));
    env.put("tbl", json!({"pk": {"S": "new"}}));
    env.clock.advance(Duration::from_secs(13 * 3600));
    let report = env.db.sweep();
    assert_eq!(report.trimmed, 1);
    assert_eq!(env.db.sweep().trimmed, 0, "a sweep with nothing due changes nothing");

    let records = env.read_all(&arn, "TRIM_HORIZON");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["dynamodb"]["Keys"]["pk"]["S"], "new");
    let trimmed = env.iterator(&arn, "AT_SEQUENCE_NUMBER", Some(&old_number)).unwrap_err();
    assert_eq!((trimmed.code.as_ref(), trimmed.message.as_str()), ("TrimmedDataAccessException", "The operation attempted to read past the oldest stream record in a shard."));
    // An iterator positioned before the trim point (issued just now) reads trimmed data.
    let stale = env.streams.iterator_for_tests(&arn, 1);
    assert_eq!(env.s_err("GetRecords", json!({"ShardIterator": stale})).code.as_ref(), "TrimmedDataAccessException");
}

#[test]
fn ttl_deletes_expired_numbers_only_through_the_write_path() {
    let env = both();
    env.create("tbl", Some("NEW_AND_OLD_IMAGES"));
    let arn = env.stream_arn("tbl");
    let now = START_SECS;
    env.put("tbl", json!({"pk": {"S": "before-ttl"}, "gk": {"S": "g"}, "exp": {"N": (now + 100).to_string()}}));
    env.ok("UpdateTimeToLive", json!({"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}));
    env.put("tbl", json!({"pk": {"S": "soon"}, "gk": {"S": "g"}, "exp": {"N": format!("{}.5", now + 50)}}));
    env.put("tbl", json!({"pk": {"S": "later"}, "exp": {"N": (now + 10_000).to_string()}}));
    env.put("tbl", json!({"pk": {"S": "string"}, "exp": {"S": (now - 10).to_string()}}));
    env.put("tbl", json!({"pk": {"S": "ancient"}, "exp": {"N": (now - 6 * 366 * 86_400).to_string()}}));
    env.put("tbl", json!({"pk": {"S": "none"}}));
    // Moved further out before it expired: stays.
    env.put("tbl", json!({"pk": {"S": "extended"}, "exp": {"N": (now + 10).to_string()}}));
    env.ok("UpdateItem", json!({"TableName": "tbl", "Key": {"pk": {"S": "extended"}}, "UpdateExpression": "SET exp = :e", "ExpressionAttributeValues": {":e": {"N": (now + 20_000).to_string()}}}));

    assert_eq!(env.db.sweep().expired, 0, "nothing is due yet");
    env.clock.advance(Duration::from_secs(200));
    let report = env.db.sweep();
    assert_eq!(report.expired, 2);

    for gone in ["before-ttl", "soon"] {
        assert!(env.ok("GetItem", json!({"TableName": "tbl", "Key": {"pk": {"S": gone}}})).get("Item").is_none(), "{gone}");
    }
    for kept in ["later", "string", "ancient", "none", "extended"] {
        assert!(env.ok("GetItem", json!({"TableName": "tbl", "Key": {"pk": {"S": kept}}})).get("Item").is_some(), "{kept}");
    }
    let table = env.ok("DescribeTable", json!({"TableName": "tbl"}))["Table"].clone();
    assert_eq!(table["ItemCount"], 5);
    assert_eq!(table["GlobalSecondaryIndexes"][0]["ItemCount"], 0);

    let records = env.read_all(&arn, "TRIM_HORIZON");
    let removals: Vec<&Value> = records.iter().filter(|r| r["eventName"] == "REMOVE").collect();
    assert_eq!(removals.len(), 2);
    for removal in removals {
        assert_eq!(removal["userIdentity"], json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}));
        assert_eq!(removal["dynamodb"]["ApproximateCreationDateTime"], START_SECS + 200);
        assert!(removal["dynamodb"]["OldImage"]["exp"].is_object());
    }

    // Disabled TTL deletes nothing more.
    env.ok("UpdateTimeToLive", json!({"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": false, "AttributeName": "exp"}}));
    env.clock.advance(Duration::from_secs(30_000));
    assert_eq!(env.db.sweep().expired, 0);
    assert!(env.ok("GetItem", json!({"TableName": "tbl", "Key": {"pk": {"S": "later"}}})).get("Item").is_some());
}

#[test]
fn ttl_sweeps_large_tables_in_chunks() {
    let env = both();
    env.create("big", None);
    env.ok("UpdateTimeToLive", json!({"TableName": "big", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}));
    let count = crate::ttl_sweeper::TTL_CHUNK * 2 + 7;
    for chunk in (0..count).collect::<Vec<_>>().chunks(25) {
        let puts: Vec<Value> = chunk.iter().map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("k{i}")}, "exp": {"N": (START_SECS + 1).to_string()}}}})).collect();
        env.ok("BatchWriteItem", json!({"RequestItems": {"big": puts}}));
    }
    env.clock.advance(Duration::from_secs(10));
    assert_eq!(env.db.sweep().expired, count);
    assert_eq!(env.ok("DescribeTable", json!({"TableName": "big"}))["Table"]["ItemCount"], 0);
    let _ = env.err("DescribeTable", json!({"TableName": "gone"}));
}
