//! Update expressions applied to sample items, following the developer guide's examples.

mod common;

use common::{item, value};
use nimbus_dynamodb_lang::{Expressions, Item, UpdateOutcome, apply_update, project_paths};
use serde_json::{Value, json};

fn product() -> Item {
    item(json!({
        "Id": {"N": "789"},
        "ProductCategory": {"S": "Home Improvement"},
        "Price": {"N": "52"},
        "InStock": {"BOOL": true},
        "Brand": {"S": "Acme"},
        "Color": {"SS": ["Red", "Black"]},
        "RelatedItems": {"L": [{"S": "Hammer"}, {"S": "Nails"}, {"S": "Screwdriver"}]},
        "ProductReviews": {"M": {"FiveStar": {"L": [{"S": "Best product ever!"}]}}}
    }))
}

fn parse_and_apply(expression: &str, names: Value, values: Value, target: Option<&Item>) -> Result<UpdateOutcome, String> {
    let names = (!names.is_null()).then_some(&names);
    let values = (!values.is_null()).then_some(&values);
    let mut expressions = Expressions::from_json(names, values).map_err(|e| e.message)?;
    let update = expressions.update(expression).map_err(|e| e.message)?;
    expressions.finish().map_err(|e| e.message)?;
    apply_update(&update, target).map_err(|e| e.message)
}

fn updated(expression: &str, values: Value) -> Item {
    parse_and_apply(expression, Value::Null, values, Some(&product()))
        .unwrap_or_else(|e| panic!("{expression}: {e}"))
        .item
}

fn refused(expression: &str, values: Value) -> String {
    parse_and_apply(expression, Value::Null, values, Some(&product())).expect_err(expression)
}

#[test]
fn set_and_arithmetic() {
    let result = updated(
        "SET Price = Price - :p, ProductCategory = :c",
        json!({":p": {"N": "5"}, ":c": {"S": "Hardware"}}),
    );
    assert_eq!(result["Price"], value(json!({"N": "47"})));
    assert_eq!(result["ProductCategory"], value(json!({"S": "Hardware"})));
    let result = updated("SET ProductReviews.OneStar = :r", json!({":r": {"L": [{"S": "Meh"}]}}));
    assert_eq!(
        result["ProductReviews"],
        value(json!({"M": {"FiveStar": {"L": [{"S": "Best product ever!"}]}, "OneStar": {"L": [{"S": "Meh"}]}}}))
    );
    // Values are computed from the item before the update.
    let result = updated("SET Price = :n, PreviousPrice = Price", json!({":n": {"N": "1"}}));
    assert_eq!(result["PreviousPrice"], value(json!({"N": "52"})));
}

#[test]
fn list_operations() {
    let result = updated("SET RelatedItems[1] = :ri", json!({":ri": {"S": "Pliers"}}));
    assert_eq!(
        result["RelatedItems"],
        value(json!({"L": [{"S": "Hammer"}, {"S": "Pliers"}, {"S": "Screwdriver"}]}))
    );
    // An index past the end appends.
    let result = updated("SET RelatedItems[10] = :ri", json!({":ri": {"S": "Saw"}}));
    assert_eq!(
        result["RelatedItems"],
        value(json!({"L": [{"S": "Hammer"}, {"S": "Nails"}, {"S": "Screwdriver"}, {"S": "Saw"}]}))
    );
    let result = updated(
        "SET RelatedItems = list_append(RelatedItems, :more)",
        json!({":more": {"L": [{"S": "Level"}]}}),
    );
    assert_eq!(
        result["RelatedItems"],
        value(json!({"L": [{"S": "Hammer"}, {"S": "Nails"}, {"S": "Screwdriver"}, {"S": "Level"}]}))
    );
    let result = updated(
        "SET RelatedItems = list_append(:more, RelatedItems)",
        json!({":more": {"L": [{"S": "Level"}]}}),
    );
    assert_eq!(
        result["RelatedItems"],
        value(json!({"L": [{"S": "Level"}, {"S": "Hammer"}, {"S": "Nails"}, {"S": "Screwdriver"}]}))
    );
    // Removing two elements: both indexes refer to the original list.
    let result = updated("REMOVE RelatedItems[0], RelatedItems[2]", Value::Null);
    assert_eq!(result["RelatedItems"], value(json!({"L": [{"S": "Nails"}]})));
}

#[test]
fn if_not_exists() {
    let result = updated(
        "SET Price = if_not_exists(Price, :p), Stock = if_not_exists(Stock, :s)",
        json!({":p": {"N": "100"}, ":s": {"N": "0"}}),
    );
    assert_eq!(result["Price"], value(json!({"N": "52"})));
    assert_eq!(result["Stock"], value(json!({"N": "0"})));
}

#[test]
fn remove_add_delete() {
    let result = updated("REMOVE Brand, InStock, ProductReviews.FiveStar", Value::Null);
    assert!(!result.contains_key("Brand") && !result.contains_key("InStock"));
    assert_eq!(result["ProductReviews"], value(json!({"M": {}})));
    let result = updated(
        "ADD Price :n, Color :c, Visits :n",
        json!({":n": {"N": "3"}, ":c": {"SS": ["Orange", "Red"]}}),
    );
    assert_eq!(result["Price"], value(json!({"N": "55"})));
    assert_eq!(result["Color"], value(json!({"SS": ["Red", "Black", "Orange"]})));
    assert_eq!(result["Visits"], value(json!({"N": "3"})), "ADD creates a missing attribute");
    let result = updated("DELETE Color :c", json!({":c": {"SS": ["Red"]}}));
    assert_eq!(result["Color"], value(json!({"SS": ["Black"]})));
    let result = updated("DELETE Color :c", json!({":c": {"SS": ["Red", "Black", "Yellow"]}}));
    assert!(!result.contains_key("Color"), "an emptied set is removed");
}

#[test]
fn new_item() {
    let outcome = parse_and_apply(
        "SET a = :v ADD n :one",
        Value::Null,
        json!({":v": {"S": "x"}, ":one": {"N": "1"}}),
        None,
    )
    .unwrap();
    assert_eq!(outcome.item, item(json!({"a": {"S": "x"}, "n": {"N": "1"}})));
}

#[test]
fn updated_values() {
    let before = product();
    let outcome = parse_and_apply(
        "SET ProductReviews.OneStar = :r ADD Price :n",
        Value::Null,
        json!({":r": {"L": []}, ":n": {"N": "1"}}),
        Some(&before),
    )
    .unwrap();
    assert_eq!(
        project_paths(&outcome.item, &outcome.updated_paths),
        item(json!({"ProductReviews": {"M": {"OneStar": {"L": []}}}, "Price": {"N": "53"}}))
    );
    assert_eq!(
        project_paths(&before, &outcome.updated_paths),
        item(json!({"Price": {"N": "52"}}))
    );
    let mut expressions = Expressions::from_json(Some(&json!({"#b": "Brand"})), Some(&json!({":v": {"S": "x"}}))).unwrap();
    let update = expressions.update("SET #b = :v, a.b = :v REMOVE c, a.d").unwrap();
    assert_eq!(update.top_level_attributes(), ["Brand", "a", "c"]);
}

#[test]
fn errors() {
    assert_eq!(
        refused("SET a = :v, a.b = :v", json!({":v": {"S": "x"}})),
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    assert_eq!(
        refused("SET a.b = :v REMOVE a[0]", json!({":v": {"S": "x"}})),
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"
    );
    assert_eq!(
        refused("SET a = :v SET b = :v", json!({":v": {"S": "x"}})),
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"
    );
    assert_eq!(
        refused("SET Nothing.here = :v", json!({":v": {"S": "x"}})),
        "The document path provided in the update expression is invalid for update"
    );
    assert_eq!(
        refused("SET Brand.x = :v", json!({":v": {"S": "x"}})),
        "The document path provided in the update expression is invalid for update"
    );
    assert_eq!(
        refused("SET Brand = Brand + :v", json!({":v": {"N": "1"}})),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        refused("ADD Brand :v", json!({":v": {"N": "1"}})),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        refused("DELETE Color :v", json!({":v": {"NS": ["1"]}})),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        refused("SET a = Nope + :v", json!({":v": {"N": "1"}})),
        "Invalid UpdateExpression: The provided expression refers to an attribute that does not exist in the item"
    );
    assert_eq!(
        refused("ADD a :v", json!({":v": {"BOOL": true}})),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN"
    );
    assert_eq!(
        refused("SET a = :v + :w", json!({":v": {"N": "1"}, ":w": {"S": "x"}})),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"
    );
    assert_eq!(
        refused("SET count = :v", json!({":v": {"N": "1"}})),
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: count"
    );
    assert_eq!(
        refused("ADD hits : incr", json!({":incr": {"N": "1"}})),
        "Invalid UpdateExpression: Syntax error; token: \":\", near: \"hits : incr\""
    );
    assert_eq!(
        refused("INVALID SYNTAX HERE", Value::Null),
        "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\""
    );
    assert_eq!(
        refused("SET Price = :big + :big", json!({":big": {"N": "9E125"}})),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
}
