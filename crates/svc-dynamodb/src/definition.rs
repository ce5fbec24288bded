//! Table definitions as CreateTable and UpdateTable receive them: table names, key schemas,
//! attribute definitions, indexes and their projections, billing and throughput, streams,
//! encryption and tags, each checked in AWS's order with AWS's messages.

use std::collections::{BTreeMap, BTreeSet};

use nimbus_core::Document;
use nimbus_core::ServiceError;

use crate::errors::{Fail, Res, constraint, invalid, invalid_parameter, member_null};
use crate::records::{BillingMode, IndexRecord, KeyAttribute, KeySchema, OnDemandLimits, Projection, ScalarType, Throughput};

pub const MAX_GLOBAL_INDEXES: usize = 20;
pub const MAX_LOCAL_INDEXES: usize = 5;
pub const MAX_TAGS: usize = 50;

/// Checks a table name the way AWS's request validator does (the model types TableName as a
/// table ARN too, so its name rules are not checked by the codec).
pub fn check_table_name(name: &str) -> Res<()> {
    check_name(name, "tableName")
}

/// A table or backup name in another member (`targetTableName`, `backupName`), by the same rules.
pub fn check_name(name: &str, member: &str) -> Res<()> {
    let shown = format!("'{name}'");
    let length = name.chars().count();
    if length < 3 {
        return Err(constraint(&shown, member, "Member must have length greater than or equal to 3").into());
    }
    if length > 255 {
        return Err(constraint(&shown, member, "Member must have length less than or equal to 255").into());
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')) {
        return Err(constraint(&shown, member, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+").into());
    }
    Ok(())
}

/// AttributeDefinitions in the order given; a name defined twice is refused.
pub fn attribute_definitions(input: &Document) -> Res<Vec<KeyAttribute>> {
    let Some(list) = input.get("AttributeDefinitions").and_then(Document::as_array) else {
        return Err(member_null("attributeDefinitions").into());
    };
    let mut out: Vec<KeyAttribute> = Vec::with_capacity(list.len());
    for definition in list {
        let name = str_of(definition, "AttributeName");
        let type_name = str_of(definition, "AttributeType");
        // The codec has checked the enum; a value outside S/N/B cannot arrive.
        let kind = ScalarType::parse(type_name).ok_or_else(|| Fail(ServiceError::validation(format!("Invalid AttributeType: {type_name}"))))?;
        if out.iter().any(|a| a.name == name) {
            return invalid(format!("Attribute Name is duplicated: {name}"));
        }
        out.push(KeyAttribute { name: name.to_owned(), kind });
    }
    Ok(out)
}

/// A KeySchema list as sent: (attribute name, key type) pairs.
pub fn raw_key_schema(value: Option<&Document>, member: &str) -> Res<Vec<(String, String)>> {
    let Some(list) = value.and_then(Document::as_array) else {
        return Err(member_null(member).into());
    };
    let pairs: Vec<(String, String)> =
        list.iter().map(|e| (str_of(e, "AttributeName").to_owned(), str_of(e, "KeyType").to_owned())).collect();
    if pairs.len() > 2 {
        // AWS shows the list the way its Java model prints it (chosen rendering).
        let shown = pairs
            .iter()
            .map(|(name, key_type)| format!("KeySchemaElement(attributeName={name}, keyType={key_type})"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(constraint(&format!("'[{shown}]'"), member, "Member must have length less than or equal to 2").into());
    }
    Ok(pairs)
}

/// The HASH/RANGE structure of a key schema, before types are looked up.
fn structure(pairs: &[(String, String)]) -> Res<(String, Option<String>)> {
    let (hash, hash_type) = &pairs[0];
    if hash_type != "HASH" {
        return invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    }
    let range = match pairs.get(1) {
        None => None,
        Some((range, range_type)) => {
            if range_type != "RANGE" {
                return invalid("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
            }
            if range == hash {
                return invalid("Both the Hash Key and the Range Key element in the KeySchema have the same name");
            }
            Some(range.clone())
        }
    };
    Ok((hash.clone(), range))
}

fn typed(name: &str, definitions: &[KeyAttribute]) -> Option<KeyAttribute> {
    definitions.iter().find(|d| d.name == name).cloned()
}

/// The table's own key schema.
pub fn table_key_schema(pairs: &[(String, String)], definitions: &[KeyAttribute]) -> Res<KeySchema> {
    let (hash, range) = structure(pairs)?;
    let missing = || Fail(ServiceError::validation("Invalid KeySchema: Some index key attribute have no definition"));
    let hash = typed(&hash, definitions).ok_or_else(missing)?;
    let range = match range {
        Some(range) => Some(typed(&range, definitions).ok_or_else(missing)?),
        None => None,
    };
    Ok(KeySchema { hash, range })
}

/// An index's key schema; its attributes must be defined.
pub fn index_key_schema(pairs: &[(String, String)], definitions: &[KeyAttribute]) -> Res<KeySchema> {
    let (hash, range) = structure(pairs)?;
    let resolve = |name: &str| {
        typed(name, definitions).ok_or_else(|| {
            let keys = pairs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
            let defined = definitions.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ");
            Fail(ServiceError::validation(format!(
                "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{keys}], AttributeDefinitions: [{defined}]"
            )))
        })
    };
    let hash = resolve(&hash)?;
    let range = match range {
        Some(range) => Some(resolve(&range)?),
        None => None,
    };
    Ok(KeySchema { hash, range })
}

pub fn projection(value: Option<&Document>) -> Res<Projection> {
    let type_name = value.and_then(|p| p.get("ProjectionType")).and_then(Document::as_str);
    let non_key: Option<Vec<String>> = value
        .and_then(|p| p.get("NonKeyAttributes"))
        .and_then(Document::as_array)
        .map(|names| names.iter().filter_map(Document::as_str).map(str::to_owned).collect());
    match (type_name, non_key) {
        (None, _) => invalid_parameter("Unknown ProjectionType: null"),
        (Some("INCLUDE"), None) => invalid_parameter("ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
        (Some("INCLUDE"), Some(names)) => {
            let mut seen = BTreeSet::new();
            for name in &names {
                if !seen.insert(name.as_str()) {
                    return invalid_parameter(format!("Duplicate element in NonKeyAttributes: {name}"));
                }
            }
            Ok(Projection::Include(names))
        }
        (Some(other), Some(_)) => invalid_parameter(format!("ProjectionType is {other}, but NonKeyAttributes is specified")),
        (Some("KEYS_ONLY"), None) => Ok(Projection::KeysOnly),
        (Some(_), None) => Ok(Projection::All),
    }
}

/// `ProvisionedThroughput` as given, if present.
pub fn throughput(value: Option<&Document>) -> Option<(i64, i64)> {
    let value = value?;
    Some((
        value.get("ReadCapacityUnits").and_then(Document::as_i64).unwrap_or(0),
        value.get("WriteCapacityUnits").and_then(Document::as_i64).unwrap_or(0),
    ))
}

pub fn on_demand(value: Option<&Document>) -> Option<OnDemandLimits> {
    let value = value?;
    Some(OnDemandLimits {
        max_read: value.get("MaxReadRequestUnits").and_then(Document::as_i64),
        max_write: value.get("MaxWriteRequestUnits").and_then(Document::as_i64),
    })
}

pub fn billing_mode(value: Option<&Document>) -> Option<BillingMode> {
    match value?.as_str()? {
        "PAY_PER_REQUEST" => Some(BillingMode::PayPerRequest),
        _ => Some(BillingMode::Provisioned),
    }
}

/// A secondary index of CreateTable (or a GSI Create action of UpdateTable): its name, keys,
/// projection and, for GSIs, throughput checked against the table's billing mode.
pub struct IndexInput<'a> {
    pub doc: &'a Document,
    pub global: bool,
}

pub fn index(input: IndexInput<'_>, definitions: &[KeyAttribute], billing: BillingMode, table_id: &str) -> Res<IndexRecord> {
    let name = str_of(input.doc, "IndexName").to_owned();
    let pairs = raw_key_schema(input.doc.get("KeySchema"), "keySchema")?;
    let keys = index_key_schema(&pairs, definitions)?;
    let projection = projection(input.doc.get("Projection"))?;
    let throughput = if input.global {
        match (billing, throughput(input.doc.get("ProvisionedThroughput"))) {
            (BillingMode::Provisioned, None) => {
                return invalid_parameter(format!("ProvisionedThroughput is not specified for index: {name}"));
            }
            (BillingMode::Provisioned, Some((read, write))) => Some(Throughput { read, write, ..Throughput::default() }),
            (BillingMode::PayPerRequest, Some(_)) => {
                return invalid_parameter(format!(
                    "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
                ));
            }
            (BillingMode::PayPerRequest, None) => None,
        }
    } else {
        None
    };
    Ok(IndexRecord {
        name,
        keys,
        projection,
        space: crate::records::new_index_space(table_id),
        throughput,
        on_demand: on_demand(input.doc.get("OnDemandThroughput")),
    })
}

/// The checks across a table's indexes: list sizes, unique names, LSIs sharing the table's
/// partition key and having a sort key.
pub fn check_indexes(table_keys: &KeySchema, global: &[IndexRecord], local: &[IndexRecord]) -> Res<()> {
    if global.len() > MAX_GLOBAL_INDEXES {
        return invalid_parameter(format!("GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GLOBAL_INDEXES}"));
    }
    if local.len() > MAX_LOCAL_INDEXES {
        return invalid_parameter(format!("Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LOCAL_INDEXES}"));
    }
    let mut names = BTreeSet::new();
    for index in global.iter().chain(local) {
        if !names.insert(index.name.as_str()) {
            return invalid_parameter(format!("Duplicate index name: {}", index.name));
        }
    }
    if !local.is_empty() && table_keys.range.is_none() {
        return invalid_parameter("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex");
    }
    for index in local {
        if index.keys.hash.name != table_keys.hash.name {
            return invalid_parameter(format!(
                "Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                index.name, index.keys.hash.name, table_keys.hash.name
            ));
        }
        if index.keys.range.is_none() {
            return invalid_parameter(format!("Index KeySchema does not have a range key for index: {}", index.name));
        }
    }
    Ok(())
}

/// Every attribute definition must be used by a key of the table or an index.
pub fn check_definitions_used(definitions: &[KeyAttribute], table_keys: &KeySchema, indexes: &[&IndexRecord]) -> Res<()> {
    let mut used: Vec<&str> = table_keys.attributes().map(|a| a.name.as_str()).collect();
    for index in indexes {
        for attribute in index.keys.attributes() {
            if !used.contains(&attribute.name.as_str()) {
                used.push(&attribute.name);
            }
        }
    }
    if definitions.iter().all(|d| used.contains(&d.name.as_str())) {
        return Ok(());
    }
    if indexes.is_empty() {
        return invalid_parameter(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        );
    }
    let defined = definitions.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ");
    invalid_parameter(format!("Some AttributeDefinitions are not used. AttributeDefinitions: [{defined}], keys used: [{}]", used.join(", ")))
}

/// CreateTable's StreamSpecification: (enabled, view type).
pub fn create_stream(value: Option<&Document>) -> Res<(bool, Option<String>)> {
    let Some(value) = value else { return Ok((false, None)) };
    let enabled = value.get("StreamEnabled").and_then(Document::as_bool).unwrap_or(false);
    let view_type = value.get("StreamViewType").and_then(Document::as_str).map(str::to_owned);
    match (enabled, &view_type) {
        (true, None) => invalid_parameter("Table is being created with a stream enabled, UpdateViewType is required"),
        (false, Some(_)) => invalid_parameter("Table is being created with a stream disabled, UpdateViewType should not be specified"),
        _ => Ok((enabled, view_type)),
    }
}

/// SSESpecification: `Some(encryption)` for a KMS key, `None` for the AWS-owned default.
pub fn encryption(value: Option<&Document>) -> Res<Option<crate::records::KmsEncryption>> {
    let Some(value) = value else { return Ok(None) };
    let enabled = value.get("Enabled").and_then(Document::as_bool);
    let sse_type = value.get("SSEType").and_then(Document::as_str);
    let key = value.get("KMSMasterKeyId").and_then(Document::as_str);
    if enabled == Some(false) {
        if sse_type.is_some() {
            return invalid_parameter("SSEType can not be specified if Enabled is false");
        }
        if key.is_some() {
            return invalid_parameter("KMSMasterKeyId can not be specified if Enabled is false");
        }
        return Ok(None);
    }
    if sse_type == Some("AES256") {
        return invalid_parameter("SSEType AES256 is not supported");
    }
    if key.is_some() && sse_type.is_none() {
        return invalid_parameter("SSEType KMS is required if KMSMasterKeyId is specified");
    }
    if enabled == Some(true) {
        return Ok(Some(crate::records::KmsEncryption { key: key.map(str::to_owned) }));
    }
    Ok(None)
}

/// A Tags list, checked (AWS's tag rules for DynamoDB).
pub fn tags(value: Option<&Document>) -> Res<Vec<(String, String)>> {
    let Some(list) = value.and_then(Document::as_array) else { return Ok(Vec::new()) };
    let mut out: Vec<(String, String)> = Vec::with_capacity(list.len());
    for tag in list {
        let key = str_of(tag, "Key");
        let value = str_of(tag, "Value");
        if key.starts_with("aws:") {
            return invalid(format!("Tag Key cannot be prefixed with aws:, Key: {key}"));
        }
        if out.iter().any(|(k, _)| k == key) {
            return invalid(format!("Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}"));
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// Adds `new` to `tags`, refusing more than [`MAX_TAGS`].
pub fn merge_tags(tags: &mut BTreeMap<String, String>, new: Vec<(String, String)>) -> Res<()> {
    let mut merged = tags.clone();
    merged.extend(new);
    if merged.len() > MAX_TAGS {
        return invalid("Number of Tags exceed the current limit for the provided ResourceArn");
    }
    *tags = merged;
    Ok(())
}

fn str_of<'a>(doc: &'a Document, member: &str) -> &'a str {
    doc.get(member).and_then(Document::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs(pairs: &[(&str, ScalarType)]) -> Vec<KeyAttribute> {
        pairs.iter().map(|(n, k)| KeyAttribute { name: (*n).into(), kind: *k }).collect()
    }

    fn message<T: std::fmt::Debug>(r: Res<T>) -> String {
        r.unwrap_err().0.message
    }

    #[test]
    fn names_follow_the_model_rules() {
        assert!(check_table_name("a.b-c_9").is_ok());
        assert!(message(check_table_name("ab")).ends_with("Member must have length greater than or equal to 3"));
        assert!(message(check_table_name("a b c")).contains("regular expression pattern: [a-zA-Z0-9_.-]+"));
        assert!(message(check_table_name(&"x".repeat(256))).contains("less than or equal to 255"));
    }

    #[test]
    fn key_schema_structure_and_definitions() {
        let d = defs(&[("pk", ScalarType::S), ("sk", ScalarType::N)]);
        let pairs = |list: &[(&str, &str)]| list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect::<Vec<_>>();
        let schema = table_key_schema(&pairs(&[("pk", "HASH"), ("sk", "RANGE")]), &d).unwrap();
        assert_eq!(schema.range.unwrap().kind, ScalarType::N);
        assert_eq!(
            message(table_key_schema(&pairs(&[("pk", "RANGE")]), &d)),
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
        );
        assert_eq!(
            message(table_key_schema(&pairs(&[("pk", "HASH"), ("sk", "HASH")]), &d)),
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"
        );
        assert_eq!(
            message(table_key_schema(&pairs(&[("pk", "HASH"), ("pk", "RANGE")]), &d)),
            "Both the Hash Key and the Range Key element in the KeySchema have the same name"
        );
        assert_eq!(
            message(table_key_schema(&pairs(&[("zz", "HASH")]), &d)),
            "Invalid KeySchema: Some index key attribute have no definition"
        );
        assert!(message(index_key_schema(&pairs(&[("zz", "HASH")]), &d)).contains("Keys: [zz], AttributeDefinitions: [pk, sk]"));
        let too_long = raw_key_schema(Some(&json!([{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"},{"AttributeName":"c","KeyType":"RANGE"}])), "keySchema");
        assert!(message(too_long).ends_with("Member must have length less than or equal to 2"));
    }

    #[test]
    fn unused_definitions_are_named_when_indexes_exist() {
        let d = defs(&[("pk", ScalarType::S), ("extra", ScalarType::S)]);
        let keys = KeySchema { hash: d[0].clone(), range: None };
        assert!(message(check_definitions_used(&d, &keys, &[])).contains("Number of attributes in KeySchema does not exactly match"));
        let index = IndexRecord {
            name: "i".into(),
            keys: keys.clone(),
            projection: Projection::All,
            space: "s".into(),
            throughput: None,
            on_demand: None,
        };
        assert_eq!(
            message(check_definitions_used(&d, &keys, &[&index])),
            "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [pk, extra], keys used: [pk]"
        );
    }

    #[test]
    fn projections() {
        assert_eq!(projection(Some(&json!({"ProjectionType": "ALL"}))).unwrap(), Projection::All);
        assert_eq!(
            projection(Some(&json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}))).unwrap(),
            Projection::Include(vec!["a".into()])
        );
        assert!(message(projection(Some(&json!({"ProjectionType": "INCLUDE"})))).ends_with("NonKeyAttributes is not specified"));
        assert!(message(projection(Some(&json!({"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["a"]})))).ends_with("NonKeyAttributes is specified"));
        assert!(message(projection(Some(&json!({})))).ends_with("Unknown ProjectionType: null"));
    }
}
