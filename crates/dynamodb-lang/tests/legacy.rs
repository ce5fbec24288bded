//! Legacy parameters from old SDKs, converted to the expression trees and evaluated.

mod common;

use common::item;
use nimbus_dynamodb_lang::legacy::{
    attribute_updates, attributes_to_get, check_parameter_mix, expected_condition, filter_condition, key_conditions,
};
use nimbus_dynamodb_lang::{Item, KeySchema, SortKeyCondition, apply_update, evaluate, project};
use serde_json::json;

fn thread() -> Item {
    item(json!({
        "ForumName": {"S": "Amazon S3"},
        "Subject": {"S": "S3 Thread 1"},
        "Views": {"N": "10"},
        "Tags": {"SS": ["index", "primarykey"]},
        "Answered": {"BOOL": false}
    }))
}

#[test]
fn expected_value_and_exists() {
    let t = thread();
    let expected = json!({"Views": {"Value": {"N": "10"}}, "LastPostedBy": {"Exists": false}});
    let condition = expected_condition(&expected, None).unwrap().unwrap();
    assert!(evaluate(&condition, Some(&t)));
    let expected = json!({"Views": {"Value": {"N": "11"}, "Exists": true}, "Answered": {"Exists": false}});
    assert!(!evaluate(&expected_condition(&expected, None).unwrap().unwrap(), Some(&t)));
    // With OR, no item at all satisfies "Answered does not exist".
    assert!(evaluate(
        &expected_condition(&expected, Some(&json!("OR"))).unwrap().unwrap(),
        None
    ));
    assert!(!evaluate(
        &expected_condition(&expected, Some(&json!("OR"))).unwrap().unwrap(),
        Some(&t)
    ));
    assert_eq!(
        expected_condition(&json!({"Views": {"Exists": true}}), None)
            .unwrap_err()
            .message,
        "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: Views"
    );
    assert_eq!(
        expected_condition(&json!({"Views": {"Exists": false, "Value": {"N": "1"}}}), None)
            .unwrap_err()
            .message,
        "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: Views"
    );
}

#[test]
fn comparison_operators() {
    let t = thread();
    let check = |filter: serde_json::Value| evaluate(&filter_condition(&filter, None, "ScanFilter").unwrap().unwrap(), Some(&t));
    assert!(check(
        json!({"Views": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "10"}]}})
    ));
    assert!(!check(
        json!({"Views": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "10"}]}})
    ));
    assert!(check(
        json!({"Views": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "10"}]}})
    ));
    assert!(check(
        json!({"Views": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "3"}, {"N": "10"}]}})
    ));
    assert!(check(
        json!({"Subject": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "S3"}]}})
    ));
    assert!(check(
        json!({"Tags": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "index"}]}})
    ));
    assert!(check(
        json!({"Tags": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "sortkey"}]}})
    ));
    assert!(!check(
        json!({"Nope": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "x"}]}})
    ));
    assert!(check(
        json!({"Answered": {"ComparisonOperator": "NOT_NULL"}, "Nope": {"ComparisonOperator": "NULL"}})
    ));
    assert!(check(
        json!({"Views": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "10"}]}})
    ));
    assert!(check(
        json!({"Views": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "10.0"}]}})
    ));
    assert_eq!(
        filter_condition(
            &json!({"Views": {"ComparisonOperator": "EQ", "AttributeValueList": []}}),
            None,
            "ScanFilter"
        )
        .unwrap_err()
        .message,
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"
    );
    assert_eq!(
        filter_condition(
            &json!({"Views": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}}),
            None,
            "ScanFilter"
        )
        .unwrap_err()
        .message,
        "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"
    );
}

#[test]
fn key_conditions_for_query() {
    let schema = KeySchema {
        partition_key: "ForumName",
        sort_key: Some("Subject"),
    };
    let condition = key_conditions(
        &json!({
            "ForumName": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "Amazon S3"}]},
            "Subject": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "S3"}]}
        }),
        schema,
    )
    .unwrap();
    assert_eq!(
        condition.sort.as_ref().unwrap().1,
        SortKeyCondition::BeginsWith(nimbus_dynamodb_lang::AttributeValue::s("S3"))
    );
    assert!(condition.matches(&thread()));
    let missing = key_conditions(
        &json!({"Subject": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}}),
        schema,
    );
    assert_eq!(
        missing.unwrap_err().message,
        "Query condition missed key schema element: ForumName"
    );
}

#[test]
fn attribute_updates_apply() {
    let update = attribute_updates(&json!({
        "Views": {"Action": "ADD", "Value": {"N": "5"}},
        "Tags": {"Action": "DELETE", "Value": {"SS": ["index"]}},
        "Answered": {"Action": "DELETE"},
        "LastPostedBy": {"Value": {"S": "User A"}},
        "History": {"Action": "ADD", "Value": {"L": [{"S": "viewed"}]}}
    }))
    .unwrap();
    let result = apply_update(&update, Some(&thread())).unwrap().item;
    assert_eq!(
        result,
        item(json!({
            "ForumName": {"S": "Amazon S3"},
            "Subject": {"S": "S3 Thread 1"},
            "Views": {"N": "15"},
            "Tags": {"SS": ["primarykey"]},
            "LastPostedBy": {"S": "User A"},
            "History": {"L": [{"S": "viewed"}]}
        }))
    );
    assert_eq!(
        attribute_updates(&json!({"Views": {"Action": "PUT"}})).unwrap_err().message,
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    );
}

#[test]
fn attributes_to_get_projects() {
    let projection = attributes_to_get(&json!(["Subject", "Views", "Absent"])).unwrap();
    assert_eq!(
        project(&thread(), &projection),
        item(json!({"Subject": {"S": "S3 Thread 1"}, "Views": {"N": "10"}}))
    );
}

#[test]
fn legacy_and_expressions_do_not_mix() {
    let request = json!({"TableName": "Thread", "Expected": {}, "ConditionExpression": "attribute_exists(a)"});
    assert_eq!(
        check_parameter_mix(request.as_object().unwrap()).unwrap_err().message,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
    );
    let request = json!({"TableName": "Thread", "ConditionExpression": "attribute_exists(a)", "ProjectionExpression": "a"});
    check_parameter_mix(request.as_object().unwrap()).unwrap();
}
