//! What AWS hides in records beyond what the models mark sensitive.
//!
//! The server already replaced values of sensitive shapes (Secrets Manager `SecretString` and
//! `SecretBinary`, SSM parameter values, KMS `Plaintext`, IAM passwords and secret keys, STS
//! assertions and tokens) with `HIDDEN_DUE_TO_SECURITY_REASONS` and left blobs out. Message and
//! item contents are customer data the models do not mark, which AWS hides too:
//! - SQS: `messageBody` (SendMessage, and each SendMessageBatch entry) shows as hidden;
//! - SNS: `message` of Publish and of each PublishBatch entry shows as hidden;
//! - DynamoDB: "non key attribute values ... will not appear in logs of actions using the classic
//!   API" and are redacted for PartiQL: items, expression values, PartiQL parameters and
//!   returned attributes are left out; keys stay, shown as plain values (`{"id": "1"}`) as in
//!   AWS's examples.

use serde_json::{Map, Value};

/// What AWS writes in place of a secret value.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Hides customer data in a call's request parameters.
pub fn request(service: &str, params: &mut Value) {
    match service {
        "sqs" => {
            hide(params, "messageBody");
            for entry in entries(params, "entries") {
                hide(entry, "messageBody");
            }
        }
        "sns" => {
            hide(params, "message");
            for entry in entries(params, "publishBatchRequestEntries") {
                hide(entry, "message");
            }
        }
        "dynamodb" => dynamodb(params),
        _ => {}
    }
}

/// Hides customer data in a call's response elements.
pub fn response(service: &str, elements: &mut Value) {
    if service == "dynamodb" {
        dynamodb(elements);
    }
}

fn hide(doc: &mut Value, member: &str) {
    if let Some(value) = doc.get_mut(member) {
        *value = Value::from(HIDDEN);
    }
}

fn entries<'a>(doc: &'a mut Value, member: &str) -> impl Iterator<Item = &'a mut Value> {
    doc.get_mut(member).and_then(Value::as_array_mut).into_iter().flatten()
}

/// Members whose values are item data (never shown), and members that hold keys (shown plain).
const ITEM_DATA: &[&str] = &["item", "expressionAttributeValues", "attributeUpdates", "expected", "parameters", "attributes", "items"];
const KEYS: &[&str] = &["key", "exclusiveStartKey", "lastEvaluatedKey"];

/// Walks a DynamoDB document: batch and transaction requests nest the same members.
fn dynamodb(doc: &mut Value) {
    match doc {
        Value::Object(fields) => {
            fields.retain(|name, _| !ITEM_DATA.contains(&name.as_str()));
            for (name, value) in fields.iter_mut() {
                if KEYS.contains(&name.as_str()) || name == "keys" {
                    plain_keys(value);
                } else {
                    dynamodb(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(dynamodb),
        _ => {}
    }
}

/// `{"id": {"s": "1"}}` → `{"id": "1"}` (also inside a list of keys).
fn plain_keys(value: &mut Value) {
    match value {
        Value::Array(keys) => keys.iter_mut().for_each(plain_keys),
        Value::Object(attributes) => {
            for attribute in attributes.values_mut() {
                if let Some(plain) = plain_value(attribute) {
                    *attribute = plain;
                }
            }
        }
        _ => {}
    }
}

/// The scalar inside a key attribute value (`s`, `n`, `b`).
fn plain_value(attribute: &Value) -> Option<Value> {
    let typed: &Map<String, Value> = attribute.as_object()?;
    if typed.len() != 1 {
        return None;
    }
    let (kind, inner) = typed.iter().next()?;
    matches!(kind.as_str(), "s" | "n" | "b").then(|| inner.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn message_bodies_are_hidden() {
        let mut send = json!({"queueUrl": "u", "messageBody": "card 4111", "entries": [{"id": "1", "messageBody": "x"}]});
        request("sqs", &mut send);
        assert_eq!(send, json!({"queueUrl": "u", "messageBody": HIDDEN, "entries": [{"id": "1", "messageBody": HIDDEN}]}));
        let mut publish = json!({"topicArn": "t", "message": "m", "subject": "s"});
        request("sns", &mut publish);
        assert_eq!(publish["message"], HIDDEN);
        assert_eq!(publish["subject"], "s");
    }

    #[test]
    fn dynamodb_items_are_left_out_and_keys_shown_plain() {
        let mut put = json!({"tableName": "t", "item": {"id": {"s": "1"}, "ssn": {"s": "123"}}, "expressionAttributeValues": {":v": {"n": "1"}},
            "conditionExpression": "attribute_not_exists(id)"});
        request("dynamodb", &mut put);
        assert_eq!(put, json!({"tableName": "t", "conditionExpression": "attribute_not_exists(id)"}));
        let mut get = json!({"tableName": "t", "key": {"id": {"s": "1"}, "n": {"n": "2"}}});
        request("dynamodb", &mut get);
        assert_eq!(get, json!({"tableName": "t", "key": {"id": "1", "n": "2"}}));
        let mut batch = json!({"requestItems": {"t": [{"putRequest": {"item": {"a": {"s": "x"}}}}, {"deleteRequest": {"key": {"id": {"s": "9"}}}}]}});
        request("dynamodb", &mut batch);
        assert_eq!(batch, json!({"requestItems": {"t": [{"putRequest": {}}, {"deleteRequest": {"key": {"id": "9"}}}]}}));
        let mut out = json!({"attributes": {"a": {"s": "old"}}, "consumedCapacity": {"tableName": "t"}});
        response("dynamodb", &mut out);
        assert_eq!(out, json!({"consumedCapacity": {"tableName": "t"}}));
    }
}
