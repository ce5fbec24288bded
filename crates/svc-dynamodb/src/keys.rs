//! Primary and index keys: checking them in items and in `Key` parameters with AWS's messages,
//! and turning them into the byte keys of the ordered spaces (see `storage.rs`).

use nimbus_dynamodb_lang::{AttributeValue, Item, encode_key_into};

use crate::errors::{Res, invalid, invalid_parameter};
use crate::records::{IndexRecord, KeyAttribute, KeySchema, TableRecord};

/// DynamoDB's limits on key values, in bytes.
const MAX_HASH_KEY_BYTES: usize = 2048;
const MAX_RANGE_KEY_BYTES: usize = 1024;

/// The storage key of an item being written: its key attributes must be present, of the
/// schema's types, non-empty and within the size limits.
pub fn item_key(table: &TableRecord, item: &Item) -> Res<Vec<u8>> {
    let mut out = Vec::new();
    for (position, attribute) in table.keys.attributes().enumerate() {
        let Some(value) = item.get(&attribute.name) else {
            return invalid_parameter(format!("Missing the key {} in the item", attribute.name));
        };
        if value.attribute_type() != attribute.kind.attribute_type() {
            return invalid_parameter(format!(
                "Type mismatch for key {} expected: {} actual: {}",
                attribute.name,
                attribute.kind.as_str(),
                value.attribute_type().name()
            ));
        }
        check_key_value(&attribute.name, value, position == 0)?;
        encode_key_into(value, &mut out);
    }
    Ok(out)
}

/// The storage key named by a `Key` parameter (GetItem, DeleteItem, UpdateItem): exactly the
/// schema's attributes, of its types.
pub fn lookup_key(table: &TableRecord, key: &Item) -> Res<Vec<u8>> {
    let expected = table.keys.attributes().count();
    let mut out = Vec::new();
    if key.len() != expected {
        return invalid("The provided key element does not match the schema");
    }
    for (position, attribute) in table.keys.attributes().enumerate() {
        let Some(value) = key.get(&attribute.name) else {
            return invalid("The provided key element does not match the schema");
        };
        if value.attribute_type() != attribute.kind.attribute_type() {
            return invalid("The provided key element does not match the schema");
        }
        check_key_value(&attribute.name, value, position == 0)?;
        encode_key_into(value, &mut out);
    }
    Ok(out)
}

/// The key attributes of `item` (for projections and ReturnValues of keys).
pub fn key_of(keys: &KeySchema, item: &Item) -> Item {
    keys.attributes().filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone()))).collect()
}

fn check_key_value(name: &str, value: &AttributeValue, is_hash: bool) -> Res<()> {
    let length = match value {
        AttributeValue::S(s) if s.is_empty() => {
            return invalid(format!(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {name}"
            ));
        }
        AttributeValue::B(b) if b.is_empty() => {
            return invalid(format!(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: {name}"
            ));
        }
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        _ => 0,
    };
    if is_hash && length > MAX_HASH_KEY_BYTES {
        // AWS's text, missing space included.
        return invalid_parameter(format!("Size of hashkey has exceeded the maximum size limit of{MAX_HASH_KEY_BYTES} bytes"));
    }
    if !is_hash && length > MAX_RANGE_KEY_BYTES {
        return invalid_parameter(format!("Aggregated size of all range keys has exceeded the size limit of {MAX_RANGE_KEY_BYTES} bytes"));
    }
    Ok(())
}

/// Whether an index key attribute of a written item is acceptable: absent is fine (the item is
/// just not in the index); present, it must have the index's type and not be empty.
pub fn check_index_keys(table: &TableRecord, item: &Item) -> Res<()> {
    for index in table.indexes() {
        for attribute in index.keys.attributes() {
            if table.keys.contains(&attribute.name) {
                continue;
            }
            let Some(value) = item.get(&attribute.name) else { continue };
            check_index_value(index, attribute, value)?;
        }
    }
    Ok(())
}

fn check_index_value(index: &IndexRecord, attribute: &KeyAttribute, value: &AttributeValue) -> Res<()> {
    if value.attribute_type() != attribute.kind.attribute_type() {
        return invalid_parameter(format!(
            "Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
            attribute.name,
            attribute.kind.as_str(),
            value.attribute_type().name(),
            index.name
        ));
    }
    let empty = matches!(value, AttributeValue::S(s) if s.is_empty()) || matches!(value, AttributeValue::B(b) if b.is_empty());
    if empty {
        let kind = if matches!(value, AttributeValue::S(_)) { "string" } else { "binary" };
        return invalid(format!(
            "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: {}, IndexKey: {}",
            index.name, attribute.name
        ));
    }
    Ok(())
}

/// The key of `item`'s entry in `index`: the index's key values, then the table key (so
/// entries with equal index keys stay distinct and ordered by table key). `None` when the item
/// lacks an index key attribute or has one of another type (items written before the index
/// existed), which leaves it out of the index, as DynamoDB's sparse indexes do.
pub fn index_entry_key(index: &IndexRecord, item: &Item, table_key: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(table_key.len() + 32);
    for attribute in index.keys.attributes() {
        let value = item.get(&attribute.name)?;
        if value.attribute_type() != attribute.kind.attribute_type() {
            return None;
        }
        if matches!(value, AttributeValue::S(s) if s.is_empty()) || matches!(value, AttributeValue::B(b) if b.is_empty()) {
            return None;
        }
        encode_key_into(value, &mut out);
    }
    out.extend_from_slice(table_key);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{BillingMode, Projection, ScalarType, Throughput};
    use nimbus_dynamodb_lang::parse_item;
    use serde_json::json;

    fn table() -> TableRecord {
        let pk = KeyAttribute { name: "pk".into(), kind: ScalarType::S };
        let sk = KeyAttribute { name: "sk".into(), kind: ScalarType::N };
        let gk = KeyAttribute { name: "gk".into(), kind: ScalarType::S };
        TableRecord {
            name: "t".into(),
            id: "id".into(),
            created_ms: 0,
            attributes: vec![pk.clone(), sk.clone(), gk.clone()],
            keys: KeySchema { hash: pk, range: Some(sk) },
            billing: BillingMode::PayPerRequest,
            throughput: Throughput::default(),
            on_demand: None,
            last_pay_per_request_ms: None,
            global_indexes: vec![IndexRecord {
                name: "by-gk".into(),
                keys: KeySchema { hash: gk, range: None },
                projection: Projection::All,
                space: "s".into(),
                throughput: None,
                on_demand: None,
            }],
            local_indexes: vec![],
            stream: Default::default(),
            encryption: None,
            table_class: None,
            deletion_protection: false,
            tags: Default::default(),
            ttl: Default::default(),
            recovery: Default::default(),
            restore: None,
        }
    }

    fn message<T: std::fmt::Debug>(r: Res<T>) -> String {
        r.unwrap_err().0.message
    }

    #[test]
    fn item_keys_are_checked_with_aws_messages() {
        let t = table();
        let item = |j| parse_item(&j).unwrap();
        assert!(item_key(&t, &item(json!({"pk": {"S": "a"}, "sk": {"N": "1"}}))).is_ok());
        assert_eq!(
            message(item_key(&t, &item(json!({"sk": {"N": "1"}})))),
            "One or more parameter values were invalid: Missing the key pk in the item"
        );
        assert_eq!(
            message(item_key(&t, &item(json!({"pk": {"N": "1"}, "sk": {"N": "1"}})))),
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
        );
        assert!(message(item_key(&t, &item(json!({"pk": {"S": ""}, "sk": {"N": "1"}})))).ends_with("empty string value. Key: pk"));
        let big = "x".repeat(2049);
        assert!(message(item_key(&t, &item(json!({"pk": {"S": big}, "sk": {"N": "1"}})))).contains("limit of2048 bytes"));
        assert_eq!(
            message(check_index_keys(&t, &item(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"N": "2"}})))),
            "One or more parameter values were invalid: Type mismatch for Index Key gk Expected: S Actual: N IndexName: by-gk"
        );
    }

    #[test]
    fn lookup_keys_must_match_the_schema_exactly() {
        let t = table();
        let key = |j| parse_item(&j).unwrap();
        assert!(lookup_key(&t, &key(json!({"pk": {"S": "a"}, "sk": {"N": "1"}}))).is_ok());
        for bad in [
            json!({"pk": {"S": "a"}}),
            json!({"pk": {"S": "a"}, "sk": {"S": "1"}}),
            json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "y"}}),
            json!({"pk": {"S": "a"}, "other": {"N": "1"}}),
        ] {
            assert_eq!(message(lookup_key(&t, &key(bad))), "The provided key element does not match the schema");
        }
    }

    #[test]
    fn storage_keys_order_by_partition_then_sort_key() {
        let t = table();
        let k = |pk: &str, sk: &str| item_key(&t, &parse_item(&json!({"pk": {"S": pk}, "sk": {"N": sk}})).unwrap()).unwrap();
        // Numbers are keys by value, not by spelling.
        assert_eq!(k("a", "90"), k("a", "9e1"));
        assert!(k("a", "-5") < k("a", "2"));
        assert!(k("a", "2") < k("a", "10"));
        assert!(k("a", "999") < k("ab", "-999"));
    }
}
