//! Condition and filter expressions, as in the developer guide's examples: parse with the
//! request's names and values, evaluate against sample items.

mod common;

use common::item;
use nimbus_dynamodb_lang::{ExpressionKind, Expressions, Item, evaluate};
use serde_json::{Value, json};

fn product() -> Item {
    item(json!({
        "Id": {"N": "123"},
        "Title": {"S": "Bicycle 123"},
        "Description": {"S": "123 description"},
        "BicycleType": {"S": "Hybrid"},
        "Brand": {"S": "Brand-Company C"},
        "Price": {"N": "500"},
        "Color": {"SS": ["Red", "Black"]},
        "ProductCategory": {"S": "Bicycle"},
        "InStock": {"BOOL": true},
        "QuantityOnHand": {"NULL": true},
        "RelatedItems": {"L": [{"N": "341"}, {"N": "472"}, {"N": "649"}]},
        "Pictures": {"M": {
            "FrontView": {"S": "http://example.com/products/123_front.jpg"},
            "RearView": {"S": "http://example.com/products/123_rear.jpg"},
            "SideView": {"S": "http://example.com/products/123_left_side.jpg"}
        }},
        "ProductReviews": {"M": {
            "FiveStar": {"L": [{"S": "Excellent! Can't recommend it highly enough! Buy it!"}, {"S": "Do yourself a favor and buy this."}]},
            "OneStar": {"L": [{"S": "Terrible product! Do not buy this."}]}
        }},
        "Comment": {"S": "This product sells out quickly during the summer"},
        "Safety.Warning": {"S": "Always wear a helmet"}
    }))
}

/// Parses `expression` with the given names and values, checks usage, evaluates on `item`.
fn holds(expression: &str, names: Value, values: Value, item: Option<&Item>) -> bool {
    let names = (!names.is_null()).then_some(&names);
    let values = (!values.is_null()).then_some(&values);
    let mut expressions = Expressions::from_json(names, values).unwrap();
    let condition = expressions
        .condition(ExpressionKind::Condition, expression)
        .unwrap_or_else(|e| panic!("{expression}: {e}"));
    expressions.finish().unwrap();
    evaluate(&condition, item)
}

fn error(kind: ExpressionKind, expression: &str, names: Value, values: Value) -> String {
    let names = (!names.is_null()).then_some(&names);
    let values = (!values.is_null()).then_some(&values);
    let mut expressions = Expressions::from_json(names, values).unwrap();
    match expressions.condition(kind, expression) {
        Ok(_) => expressions.finish().expect_err(expression).message,
        Err(e) => e.message,
    }
}

#[test]
fn comparisons() {
    let p = product();
    assert!(holds("Price > :p", Value::Null, json!({":p": {"N": "100"}}), Some(&p)));
    assert!(holds("Price = :p", Value::Null, json!({":p": {"N": "500.00"}}), Some(&p)));
    assert!(
        !holds("Price = :p", Value::Null, json!({":p": {"S": "500"}}), Some(&p)),
        "types differ"
    );
    assert!(holds("Price <> :p", Value::Null, json!({":p": {"S": "500"}}), Some(&p)));
    assert!(holds("Title >= :t", Value::Null, json!({":t": {"S": "Bicycle"}}), Some(&p)));
    assert!(
        !holds("InStock > :b", Value::Null, json!({":b": {"BOOL": false}}), Some(&p)),
        "booleans have no order"
    );
    assert!(
        holds("Color = :c", Value::Null, json!({":c": {"SS": ["Black", "Red"]}}), Some(&p)),
        "sets compare unordered"
    );
    assert!(holds(
        "RelatedItems[1] < :n",
        Value::Null,
        json!({":n": {"N": "500"}}),
        Some(&p)
    ));
    assert!(holds(
        "Pictures.FrontView = :f",
        Value::Null,
        json!({":f": {"S": "http://example.com/products/123_front.jpg"}}),
        Some(&p)
    ));
    assert!(holds(
        "#sw = :w",
        json!({"#sw": "Safety.Warning"}),
        json!({":w": {"S": "Always wear a helmet"}}),
        Some(&p)
    ));
    // A missing attribute is "not equal" to everything and in no other relation.
    assert!(holds("Manufacturer <> :v", Value::Null, json!({":v": {"N": "1"}}), Some(&p)));
    assert!(!holds("Manufacturer = :v", Value::Null, json!({":v": {"N": "1"}}), Some(&p)));
    assert!(!holds("Manufacturer < :v", Value::Null, json!({":v": {"N": "1"}}), Some(&p)));
}

#[test]
fn between_and_in() {
    let p = product();
    let values = json!({":lo": {"N": "100"}, ":hi": {"N": "500"}});
    assert!(holds("Price BETWEEN :lo AND :hi", Value::Null, values.clone(), Some(&p)));
    assert!(
        holds("Price between :lo and :hi", Value::Null, values, Some(&p)),
        "keywords ignore case"
    );
    let values = json!({":a": {"S": "Road"}, ":b": {"S": "Hybrid"}});
    assert!(holds("BicycleType IN (:a, :b)", Value::Null, values.clone(), Some(&p)));
    assert!(!holds("Brand IN (:a, :b)", Value::Null, values, Some(&p)));
}

#[test]
fn logic_and_precedence() {
    let p = product();
    let values = json!({":yes": {"N": "500"}, ":no": {"N": "1"}});
    // NOT binds tighter than AND, AND tighter than OR.
    assert!(holds(
        "Price = :no OR Price = :yes AND Price <> :no",
        Value::Null,
        values.clone(),
        Some(&p)
    ));
    assert!(!holds(
        "(Price = :no OR Price = :yes) AND Price = :no",
        Value::Null,
        values.clone(),
        Some(&p)
    ));
    assert!(holds(
        "NOT Price = :no AND Price = :yes",
        Value::Null,
        values.clone(),
        Some(&p)
    ));
    assert!(!holds("NOT (Price = :no OR Price = :yes)", Value::Null, values, Some(&p)));
}

#[test]
fn functions() {
    let p = product();
    assert!(holds(
        "attribute_exists(Pictures.SideView)",
        Value::Null,
        Value::Null,
        Some(&p)
    ));
    assert!(holds(
        "attribute_not_exists(Manufacturer)",
        Value::Null,
        Value::Null,
        Some(&p)
    ));
    assert!(
        holds("attribute_not_exists(Id)", Value::Null, Value::Null, None),
        "no item: nothing exists"
    );
    assert!(holds(
        "attribute_type(ProductReviews.FiveStar, :t)",
        Value::Null,
        json!({":t": {"S": "L"}}),
        Some(&p)
    ));
    assert!(holds(
        "attribute_type(QuantityOnHand, :t)",
        Value::Null,
        json!({":t": {"S": "NULL"}}),
        Some(&p)
    ));
    assert!(holds(
        "begins_with(Pictures.FrontView, :v)",
        Value::Null,
        json!({":v": {"S": "http://"}}),
        Some(&p)
    ));
    assert!(holds(
        "contains(Color, :v)",
        Value::Null,
        json!({":v": {"S": "Red"}}),
        Some(&p)
    ));
    assert!(holds(
        "contains(#c, :v)",
        json!({"#c": "Comment"}),
        json!({":v": {"S": "summer"}}),
        Some(&p)
    ));
    assert!(holds(
        "contains(RelatedItems, :v)",
        Value::Null,
        json!({":v": {"N": "472"}}),
        Some(&p)
    ));
    assert!(!holds(
        "contains(Price, :v)",
        Value::Null,
        json!({":v": {"N": "5"}}),
        Some(&p)
    ));
    assert!(holds(
        "size(Description) < :v",
        Value::Null,
        json!({":v": {"N": "100"}}),
        Some(&p)
    ));
    assert!(holds("size(Color) = :v", Value::Null, json!({":v": {"N": "2"}}), Some(&p)));
    assert!(holds(
        "size(ProductReviews.OneStar) > :v",
        Value::Null,
        json!({":v": {"N": "0"}}),
        Some(&p)
    ));
    assert!(
        !holds("size(Price) > :v", Value::Null, json!({":v": {"N": "0"}}), Some(&p)),
        "numbers have no size"
    );
}

#[test]
fn validation_messages() {
    use ExpressionKind::*;
    let none = Value::Null;
    assert_eq!(
        error(Condition, "status = :v", none.clone(), json!({":v": {"S": "x"}})),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(
        error(Filter, "a.Size = :v", none.clone(), json!({":v": {"S": "x"}})),
        "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: Size"
    );
    assert_eq!(
        error(Condition, "#n = :v", none.clone(), json!({":v": {"S": "x"}})),
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #n"
    );
    assert_eq!(
        error(Condition, "a = :v", none.clone(), json!({":w": {"S": "x"}})),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v"
    );
    assert_eq!(
        error(Condition, "a = :v", json!({"#n": "x"}), json!({":v": {"S": "x"}})),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}"
    );
    assert_eq!(
        error(Condition, "a = :v", none.clone(), json!({":v": {"S": "x"}, ":w": {"S": "y"}})),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"
    );
    assert_eq!(
        error(Condition, "  ", none.clone(), none.clone()),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
    assert_eq!(
        error(Condition, "a = = :v", none.clone(), json!({":v": {"S": "x"}})),
        "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = :v\""
    );
    assert_eq!(
        error(Condition, "a = :v AND", none.clone(), json!({":v": {"S": "x"}})),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""
    );
    assert_eq!(
        error(Condition, "a = :v ! b", none.clone(), json!({":v": {"S": "x"}})),
        "Invalid ConditionExpression: Syntax error; token: \"!\", near: \":v ! b\""
    );
    // A syntax error anywhere wins over a reserved word earlier.
    assert!(error(Condition, "status = :v )", none.clone(), json!({":v": {"S": "x"}})).contains("Syntax error; token: \")\""));
    assert_eq!(
        error(KeyCondition, "beginsWith(a, :v)", none.clone(), json!({":v": {"S": "x"}})),
        "Invalid KeyConditionExpression: Invalid function name; function: beginsWith"
    );
    assert_eq!(
        error(Condition, "begins_with(a, :v)", none.clone(), json!({":v": {"N": "1"}})),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert_eq!(
        error(Condition, "attribute_exists(a, b)", none.clone(), none.clone()),
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"
    );
    assert_eq!(
        error(Condition, "((a = :v))", none.clone(), json!({":v": {"S": "x"}})),
        "Invalid ConditionExpression: The expression has redundant parentheses;"
    );
    assert_eq!(
        error(
            Condition,
            "a BETWEEN :hi AND :lo",
            none.clone(),
            json!({":lo": {"N": "1"}, ":hi": {"N": "10"}})
        ),
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}"
    );
    let many: serde_json::Map<String, Value> = (0..101).map(|i| (format!(":v{i}"), json!({"N": i.to_string()}))).collect();
    let list: Vec<String> = (0..101).map(|i| format!(":v{i}")).collect();
    assert_eq!(
        error(
            Condition,
            &format!("a IN ({})", list.join(", ")),
            none.clone(),
            Value::Object(many)
        ),
        "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"
    );
}

#[test]
fn placeholder_maps_are_checked() {
    assert_eq!(
        Expressions::from_json(None, Some(&json!({}))).unwrap_err().message,
        "ExpressionAttributeValues must not be empty"
    );
    assert_eq!(
        Expressions::from_json(Some(&json!({})), None).unwrap_err().message,
        "ExpressionAttributeNames must not be empty"
    );
    assert_eq!(
        Expressions::from_json(None, Some(&json!({"pid": {"S": "x"}})))
            .unwrap_err()
            .message,
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"pid\""
    );
    assert_eq!(
        Expressions::from_json(Some(&json!({"#a-b": "x"})), None).unwrap_err().message,
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"#a-b\""
    );
    assert_eq!(
        Expressions::from_json(None, Some(&json!({":v": {"NULL": false}})))
            .unwrap_err()
            .message,
        "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: Null attribute value types must have the value of true for key :v"
    );
    assert_eq!(
        Expressions::from_json(None, Some(&json!({":v": {"S": "x"}})))
            .unwrap()
            .finish()
            .unwrap_err()
            .message,
        "ExpressionAttributeValues can only be specified when using expressions"
    );
}

#[test]
fn names_and_values_are_shared_across_expressions() {
    let mut expressions = Expressions::from_json(
        Some(&json!({"#p": "Price", "#t": "Title"})),
        Some(&json!({":max": {"N": "1000"}})),
    )
    .unwrap();
    expressions.condition(ExpressionKind::Filter, "#p < :max").unwrap();
    // #t is used by the projection, not the filter: together nothing is unused.
    expressions.projection("#t, Id").unwrap();
    expressions.finish().unwrap();
}
