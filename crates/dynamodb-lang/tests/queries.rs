//! Key conditions for Query and projections, on a table keyed by `ForumName` / `Subject`.

mod common;

use common::{item, value};
use nimbus_dynamodb_lang::{Expressions, KeyCondition, KeySchema, SortKeyCondition, encode_key, project};
use serde_json::{Value, json};
use std::ops::{Bound, RangeBounds};

const SCHEMA: KeySchema<'static> = KeySchema {
    partition_key: "ForumName",
    sort_key: Some("Subject"),
};

fn key_condition(expression: &str, values: Value) -> Result<KeyCondition, String> {
    let mut expressions = Expressions::from_json(None, Some(&values)).map_err(|e| e.message)?;
    let condition = expressions.key_condition(expression, SCHEMA).map_err(|e| e.message)?;
    expressions.finish().map_err(|e| e.message)?;
    Ok(condition)
}

#[test]
fn partition_and_sort_key() {
    let values = json!({":f": {"S": "Amazon DynamoDB"}, ":s": {"S": "DynamoDB Thread 1"}});
    let condition = key_condition("ForumName = :f AND Subject >= :s", values).unwrap();
    assert_eq!(condition.partition_value, value(json!({"S": "Amazon DynamoDB"})));
    assert_eq!(
        condition.sort,
        Some((
            "Subject".to_owned(),
            SortKeyCondition::GreaterOrEqual(value(json!({"S": "DynamoDB Thread 1"})))
        ))
    );
    assert!(condition.matches(&item(
        json!({"ForumName": {"S": "Amazon DynamoDB"}, "Subject": {"S": "DynamoDB Thread 2"}})
    )));
    assert!(!condition.matches(&item(json!({"ForumName": {"S": "Amazon DynamoDB"}, "Subject": {"S": "A"}}))));
    // Value first is the same condition, mirrored.
    let values = json!({":f": {"S": "x"}, ":s": {"S": "m"}});
    let mirrored = key_condition(":f = ForumName AND :s > Subject", values).unwrap();
    assert_eq!(mirrored.sort.unwrap().1, SortKeyCondition::Less(value(json!({"S": "m"}))));
    let only_partition = key_condition("ForumName = :f", json!({":f": {"S": "x"}})).unwrap();
    assert_eq!(only_partition.sort, None);
}

#[test]
fn between_and_begins_with_ranges() {
    let condition = key_condition(
        "ForumName = :f AND Subject BETWEEN :a AND :b",
        json!({":f": {"S": "x"}, ":a": {"S": "b"}, ":b": {"S": "d"}}),
    )
    .unwrap();
    let (_, sort) = condition.sort.unwrap();
    let range = sort.byte_range();
    for (subject, inside) in [("a", false), ("b", true), ("c", true), ("d", true), ("da", false)] {
        let bytes = encode_key(&value(json!({"S": subject}))).unwrap();
        assert_eq!(range.contains(&bytes), inside, "{subject}");
        assert_eq!(sort.matches(&value(json!({"S": subject}))), inside, "{subject}");
    }
    let condition = key_condition(
        "ForumName = :f AND begins_with(Subject, :p)",
        json!({":f": {"S": "x"}, ":p": {"S": "ab"}}),
    )
    .unwrap();
    let (_, sort) = condition.sort.unwrap();
    let range = sort.byte_range();
    for (subject, inside) in [
        ("a", false),
        ("ab", true),
        ("ab\0", true),
        ("abzzz", true),
        ("ac", false),
        ("b", false),
    ] {
        let bytes = encode_key(&value(json!({"S": subject}))).unwrap();
        assert_eq!(range.contains(&bytes), inside, "{subject:?}");
        assert_eq!(sort.matches(&value(json!({"S": subject}))), inside, "{subject:?}");
    }
    let numeric = SortKeyCondition::Less(value(json!({"N": "10"}))).byte_range();
    assert_eq!(numeric.0, Bound::Unbounded);
    assert!(numeric.contains(&encode_key(&value(json!({"N": "9.99"}))).unwrap()));
    assert!(!numeric.contains(&encode_key(&value(json!({"N": "10"}))).unwrap()));
}

#[test]
fn refused_key_conditions() {
    let values = json!({":f": {"S": "x"}, ":s": {"S": "y"}});
    assert_eq!(
        key_condition("Subject = :s AND Subject = :f", values.clone()).unwrap_err(),
        "KeyConditionExpressions must only contain one condition per key"
    );
    assert_eq!(
        key_condition("Subject = :s", json!({":s": {"S": "y"}})).unwrap_err(),
        "Query condition missed key schema element: ForumName"
    );
    assert_eq!(
        key_condition("ForumName = :f OR Subject = :s", values.clone()).unwrap_err(),
        "Query key condition not supported"
    );
    assert_eq!(
        key_condition("ForumName <> :f", json!({":f": {"S": "x"}})).unwrap_err(),
        "Query key condition not supported"
    );
    assert_eq!(
        key_condition("ForumName > :f", json!({":f": {"S": "x"}})).unwrap_err(),
        "Query key condition not supported"
    );
    assert_eq!(
        key_condition("ForumName = :f AND contains(Subject, :s)", values.clone()).unwrap_err(),
        "Query key condition not supported"
    );
    assert_eq!(
        key_condition("ForumName = :f AND Author = :s", values).unwrap_err(),
        "Query key condition not supported"
    );
}

#[test]
fn projections_keep_structure() {
    let reply = item(json!({
        "Id": {"S": "Amazon DynamoDB#DynamoDB Thread 1"},
        "ReplyDateTime": {"S": "2015-09-15T19:58:22.947Z"},
        "Message": {"S": "DynamoDB Thread 1 Reply 1 text"},
        "PostedBy": {"S": "User A"},
        "Tags": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]},
        "Votes": {"M": {"Up": {"N": "3"}, "Down": {"N": "1"}}}
    }));
    let mut expressions = Expressions::from_json(Some(&json!({"#m": "Message"})), None).unwrap();
    let projection = expressions
        .projection("#m, Tags[3], Tags[1], Votes.Up, Absent.Child, Tags[9]")
        .unwrap();
    expressions.finish().unwrap();
    assert_eq!(
        project(&reply, &projection),
        item(json!({
            "Message": {"S": "DynamoDB Thread 1 Reply 1 text"},
            "Tags": {"L": [{"S": "b"}, {"S": "d"}]},
            "Votes": {"M": {"Up": {"N": "3"}}}
        }))
    );
    let mut expressions = Expressions::default();
    assert_eq!(
        expressions.projection("Votes, Votes.Up").unwrap_err().message,
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [Votes], path two: [Votes, Up]"
    );
    assert_eq!(
        expressions.projection("!!").unwrap_err().message,
        "Invalid ProjectionExpression: Syntax error; token: \"!\", near: \"!!\""
    );
}
