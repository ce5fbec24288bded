//! Query's key condition: a `KeyConditionExpression` tree or legacy `KeyConditions` checked
//! against the queried key schema with AWS's messages, then turned into the one byte range of
//! the ordered space that holds exactly the candidates.
//!
//! The checks are done here rather than by `KeyCondition::analyze` of the language crate
//! because AWS words them per case (too many conditions, a second condition on one key,
//! nested paths, operators that cannot use the key, operand and schema types) and the two
//! parameters word them differently.

use std::ops::Bound;

use nimbus_dynamodb_lang::legacy::filter_condition;
use nimbus_dynamodb_lang::{AttributeType, AttributeValue, Comparator, Condition, KeyCondition, Operand, Path, SortKeyCondition, encode_key, prefix_successor};
use serde_json::Value;

use crate::errors::{Res, invalid, invalid_parameter};
use crate::reads::is_scalar_key_type;
use crate::records::{KeyAttribute, KeySchema};

const EXPRESSION: &str = "Invalid KeyConditionExpression: ";

/// One condition on one key attribute, before it is checked against the schema.
struct Part {
    name: String,
    /// The operator as AWS names it in operand-type messages.
    operator: &'static str,
    condition: SortKeyCondition,
}

fn operator_refused(operator: &str) -> Res<Part> {
    invalid(format!("{EXPRESSION}Invalid operator used in KeyConditionExpression: {operator}"))
}

fn conjuncts<'c>(condition: &'c Condition, out: &mut Vec<&'c Condition>) -> Res<()> {
    match condition {
        Condition::And(a, b) => {
            conjuncts(a, out)?;
            conjuncts(b, out)
        }
        Condition::Or(..) => operator_refused("OR").map(|_| ()),
        Condition::Not(..) => operator_refused("NOT").map(|_| ()),
        other => {
            out.push(other);
            Ok(())
        }
    }
}

fn key_path(operand: &Operand) -> Option<&Path> {
    match operand {
        Operand::Path(path) => Some(path),
        _ => None,
    }
}

fn key_value(operand: &Operand) -> Option<&AttributeValue> {
    match operand {
        Operand::Value(literal) => Some(&literal.value),
        _ => None,
    }
}

fn attribute_name(path: &Path) -> Res<String> {
    if !path.is_top_level() {
        return invalid(format!("{EXPRESSION}KeyConditionExpressions cannot have conditions on nested attributes"));
    }
    Ok(path.top_level().to_owned())
}

fn not_supported<T>() -> Res<T> {
    invalid("Query key condition not supported")
}

fn expression_part(condition: &Condition) -> Res<Part> {
    match condition {
        Condition::Compare { comparator, left, right } => {
            let (path, value, comparator) = match (key_path(left), key_value(right), key_path(right), key_value(left)) {
                (Some(path), Some(value), _, _) => (path, value, *comparator),
                (_, _, Some(path), Some(value)) => (path, value, mirrored(*comparator)),
                _ => return not_supported(),
            };
            let value = value.clone();
            let (operator, condition) = match comparator {
                Comparator::Equal => ("=", SortKeyCondition::Equal(value)),
                Comparator::Less => ("<", SortKeyCondition::Less(value)),
                Comparator::LessOrEqual => ("<=", SortKeyCondition::LessOrEqual(value)),
                Comparator::Greater => (">", SortKeyCondition::Greater(value)),
                Comparator::GreaterOrEqual => (">=", SortKeyCondition::GreaterOrEqual(value)),
                Comparator::NotEqual => return operator_refused("<>"),
            };
            Ok(Part { name: attribute_name(path)?, operator, condition })
        }
        Condition::Between { operand, low, high } => match (key_path(operand), key_value(low), key_value(high)) {
            (Some(path), Some(low), Some(high)) => {
                Ok(Part { name: attribute_name(path)?, operator: "BETWEEN", condition: SortKeyCondition::Between(low.clone(), high.clone()) })
            }
            _ => not_supported(),
        },
        Condition::BeginsWith(subject, prefix) => match (key_path(subject), key_value(prefix)) {
            (Some(path), Some(prefix)) => {
                Ok(Part { name: attribute_name(path)?, operator: "begins_with", condition: SortKeyCondition::BeginsWith(prefix.clone()) })
            }
            _ => not_supported(),
        },
        Condition::In { .. } => operator_refused("IN"),
        Condition::AttributeExists(_) => operator_refused("attribute_exists"),
        Condition::AttributeNotExists(_) => operator_refused("attribute_not_exists"),
        Condition::AttributeType(..) => operator_refused("attribute_type"),
        Condition::Contains(..) => operator_refused("contains"),
        Condition::And(..) | Condition::Or(..) | Condition::Not(..) => not_supported(),
    }
}

/// `:v < sk` is `sk > :v`.
fn mirrored(comparator: Comparator) -> Comparator {
    match comparator {
        Comparator::Less => Comparator::Greater,
        Comparator::LessOrEqual => Comparator::GreaterOrEqual,
        Comparator::Greater => Comparator::Less,
        Comparator::GreaterOrEqual => Comparator::LessOrEqual,
        same => same,
    }
}

fn values(condition: &SortKeyCondition) -> Vec<&AttributeValue> {
    match condition {
        SortKeyCondition::Equal(v)
        | SortKeyCondition::Less(v)
        | SortKeyCondition::LessOrEqual(v)
        | SortKeyCondition::Greater(v)
        | SortKeyCondition::GreaterOrEqual(v)
        | SortKeyCondition::BeginsWith(v) => vec![v],
        SortKeyCondition::Between(low, high) => vec![low, high],
    }
}

fn schema_type_mismatch<T>() -> Res<T> {
    invalid_parameter("Condition parameter type does not match schema type")
}

/// Assembles checked parts into the key condition: the partition key by equality, at most
/// one condition on the sort key, values of the schema's types.
fn assemble(parts: Vec<Part>, schema: &KeySchema) -> Res<KeyCondition> {
    let attribute = |name: &str| schema.attributes().find(|a| a.name == name);
    if !parts.iter().any(|p| p.name == schema.hash.name) {
        return invalid(format!("Query condition missed key schema element: {}", schema.hash.name));
    }
    if let Some(stray) = parts.iter().find(|p| attribute(&p.name).is_none()) {
        // The partition key is there, so the stray condition stands where the sort key should.
        let missed = schema.range.as_ref().map_or(stray.name.as_str(), |range| range.name.as_str());
        return invalid(format!("Query condition missed key schema element: {missed}"));
    }
    let mut partition_value = None;
    let mut sort = None;
    for part in parts {
        let key: &KeyAttribute = attribute(&part.name).expect("checked above");
        for value in values(&part.condition) {
            if value.attribute_type() != key.kind.attribute_type() {
                return schema_type_mismatch();
            }
        }
        if part.name == schema.hash.name {
            let SortKeyCondition::Equal(value) = part.condition else {
                return not_supported();
            };
            check_partition_value(&part.name, &value)?;
            partition_value = Some(value);
        } else {
            sort = Some((part.name, part.condition));
        }
    }
    let partition_value = partition_value.expect("checked above");
    Ok(KeyCondition { partition_key: schema.hash.name.clone(), partition_value, sort })
}

fn check_partition_value(name: &str, value: &AttributeValue) -> Res<()> {
    let kind = match value {
        AttributeValue::S(s) if s.is_empty() => "string",
        AttributeValue::B(b) if b.is_empty() => "binary",
        _ => return Ok(()),
    };
    invalid(format!(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {name}"
    ))
}

/// A parsed `KeyConditionExpression` checked against `schema` (the table's or the index's).
pub fn from_expression(condition: &Condition, schema: &KeySchema) -> Res<KeyCondition> {
    let mut conditions = Vec::new();
    conjuncts(condition, &mut conditions)?;
    let mut parts: Vec<Part> = Vec::with_capacity(conditions.len());
    for condition in conditions {
        parts.push(expression_part(condition)?);
    }
    for (i, part) in parts.iter().enumerate() {
        if parts[..i].iter().any(|earlier| earlier.name == part.name) {
            return invalid(format!("{EXPRESSION}KeyConditionExpressions must only contain one condition per key"));
        }
    }
    let key_count = schema.attributes().count();
    if parts.len() > key_count {
        return invalid(format!(
            "The number of query conditions ({}) exceeds the number of key attributes defined in the schema ({key_count})",
            parts.len()
        ));
    }
    // Operands no key could ever match are an expression error; the schema check follows.
    for part in &parts {
        for value in values(&part.condition) {
            let refused = match part.condition {
                SortKeyCondition::Equal(_) => false,
                SortKeyCondition::BeginsWith(_) => !matches!(value.attribute_type(), AttributeType::S | AttributeType::B),
                _ => !is_scalar_key_type(value),
            };
            if refused {
                return invalid(format!(
                    "{EXPRESSION}Incorrect operand type for operator or function; operator or function: {}, operand type: {}",
                    part.operator,
                    value.attribute_type().name()
                ));
            }
        }
    }
    assemble(parts, schema)
}

/// Legacy `KeyConditions` (attribute → `{ComparisonOperator, AttributeValueList}`) checked
/// against `schema`, with the legacy parameter's messages.
pub fn from_legacy(key_conditions: &Value, schema: &KeySchema) -> Res<KeyCondition> {
    // Operator names, operand counts and operand types, with the legacy messages.
    filter_condition(key_conditions, None, "KeyConditions")?;
    let Some(entries) = key_conditions.as_object() else {
        return invalid("KeyConditions must be a map");
    };
    if entries.len() > 2 {
        return invalid("Conditions can be of length 1 or 2 only");
    }
    let mut parts = Vec::with_capacity(entries.len());
    for (name, body) in entries {
        let operator = body.get("ComparisonOperator").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<AttributeValue> = match body.get("AttributeValueList").and_then(Value::as_array) {
            Some(list) => list.iter().map(AttributeValue::from_json).collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let first = || values[0].clone();
        let condition = match operator {
            "EQ" => SortKeyCondition::Equal(first()),
            "LT" => SortKeyCondition::Less(first()),
            "LE" => SortKeyCondition::LessOrEqual(first()),
            "GT" => SortKeyCondition::Greater(first()),
            "GE" => SortKeyCondition::GreaterOrEqual(first()),
            "BETWEEN" => SortKeyCondition::Between(first(), values[1].clone()),
            "BEGINS_WITH" => SortKeyCondition::BeginsWith(first()),
            _ => return invalid("Attempted conditional constraint is not an indexable operation"),
        };
        parts.push(Part { name: name.clone(), operator: "", condition });
    }
    assemble(parts, schema)
}

/// The byte range of the queried space holding exactly the key condition's candidates.
///
/// Keys there are the encoded partition value, then (with a sort key) the encoded sort value,
/// then, in an index, the table key. Encodings are self-delimiting, so every key whose sort
/// value is `v` starts with `prefix + enc(v)`, and the first key past all of them is the
/// prefix successor of `prefix + enc(v)`.
pub fn key_range(condition: &KeyCondition) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let prefix = encode_key(&condition.partition_value).unwrap_or_default();
    let joined = |tail: &[u8]| [prefix.as_slice(), tail].concat();
    let after_all = |start: Vec<u8>| prefix_successor(&start).map_or(Bound::Unbounded, Bound::Excluded);
    let Some((_, sort)) = &condition.sort else {
        return (Bound::Included(prefix.clone()), after_all(prefix));
    };
    let (low, high) = sort.byte_range();
    let lower = match low {
        Bound::Unbounded => Bound::Included(prefix.clone()),
        Bound::Included(start) => Bound::Included(joined(&start)),
        // Past every key whose sort value is the bound's.
        Bound::Excluded(value) => match prefix_successor(&joined(&value)) {
            Some(next) => Bound::Included(next),
            None => Bound::Excluded(joined(&value)),
        },
    };
    let upper = match high {
        Bound::Unbounded => after_all(prefix),
        Bound::Included(value) => after_all(joined(&value)),
        Bound::Excluded(end) => Bound::Excluded(joined(&end)),
    };
    (lower, upper)
}

/// Whether a start key's values lie within the key condition: AWS refuses one from another
/// partition, or whose sort key the condition excludes.
pub fn check_start(condition: &KeyCondition, start: &nimbus_dynamodb_lang::Item) -> Res<()> {
    if start.get(&condition.partition_key) != Some(&condition.partition_value) {
        return invalid("The provided starting key is outside query boundaries based on provided conditions");
    }
    if let Some((name, sort)) = &condition.sort
        && !start.get(name).is_some_and(|value| sort.matches(value))
    {
        return invalid("The provided starting key does not match the range key predicate");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ScalarType;
    use nimbus_dynamodb_lang::Expressions;
    use serde_json::json;

    fn schema(sort: ScalarType) -> KeySchema {
        KeySchema {
            hash: KeyAttribute { name: "pk".into(), kind: ScalarType::S },
            range: Some(KeyAttribute { name: "sk".into(), kind: sort }),
        }
    }

    fn analyze(text: &str, values: serde_json::Value, sort: ScalarType) -> Res<KeyCondition> {
        let mut expressions = Expressions::from_json(None, Some(&values)).unwrap();
        let tree = expressions.key_condition_tree(text)?;
        from_expression(&tree, &schema(sort))
    }

    fn message(r: Res<KeyCondition>) -> String {
        r.unwrap_err().0.message
    }

    #[test]
    fn expression_checks_use_aws_messages() {
        let v = |x: serde_json::Value| json!({":p": {"S": "a"}, ":v": x, ":w": {"N": "9"}});
        let n = ScalarType::N;
        assert!(analyze("pk = :p AND sk < :v", v(json!({"N": "1"})), n).is_ok());
        assert!(analyze(":p = pk AND :v <= sk", v(json!({"N": "1"})), n).is_ok());
        assert_eq!(message(analyze("sk = :v", json!({":v": {"N": "1"}}), n)), "Query condition missed key schema element: pk");
        assert_eq!(message(analyze("pk = :p AND zz = :v", v(json!({"N": "1"})), n)), "Query condition missed key schema element: sk");
        assert_eq!(
            message(analyze("pk = :p AND sk > :v AND sk < :w", v(json!({"N": "1"})), n)),
            "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"
        );
        assert_eq!(
            message(analyze("pk = :p AND sk > :v AND extra = :w", v(json!({"N": "1"})), n)),
            "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"
        );
        assert_eq!(
            message(analyze("pk = :p AND sk < :v", v(json!({"BOOL": true})), n)),
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL"
        );
        assert_eq!(
            message(analyze("pk = :p AND sk = :v", v(json!({"BOOL": true})), n)),
            "One or more parameter values were invalid: Condition parameter type does not match schema type"
        );
        assert_eq!(
            message(analyze("pk = :p AND begins_with(sk, :v)", v(json!({"S": "x"})), n)),
            "One or more parameter values were invalid: Condition parameter type does not match schema type"
        );
        assert_eq!(
            message(analyze("pk = :p OR sk = :v", v(json!({"N": "1"})), n)),
            "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR"
        );
        assert_eq!(message(analyze("pk > :p", json!({":p": {"S": "a"}}), n)), "Query key condition not supported");
        assert_eq!(
            message(analyze("pk = :p AND sk.x = :v", v(json!({"N": "1"})), n)),
            "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes"
        );
        assert_eq!(
            message(analyze("pk = :w", json!({":w": {"N": "9"}}), n)),
            "One or more parameter values were invalid: Condition parameter type does not match schema type"
        );
    }

    #[test]
    fn legacy_checks_use_the_legacy_messages() {
        let s = schema(ScalarType::S);
        let eq = |v: &str| json!({"ComparisonOperator": "EQ", "AttributeValueList": [{"S": v}]});
        assert!(from_legacy(&json!({"pk": eq("a"), "sk": eq("b")}), &s).is_ok());
        assert_eq!(from_legacy(&json!({"pk": eq("a"), "sk": eq("b"), "x": eq("c")}), &s).unwrap_err().0.message, "Conditions can be of length 1 or 2 only");
        assert_eq!(
            from_legacy(&json!({"pk": eq("a"), "sk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "b"}]}}), &s).unwrap_err().0.message,
            "Attempted conditional constraint is not an indexable operation"
        );
        assert_eq!(from_legacy(&json!({"pk": eq("a"), "z": eq("b")}), &s).unwrap_err().0.message, "Query condition missed key schema element: sk");
        assert_eq!(
            from_legacy(&json!({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}}), &s).unwrap_err().0.message,
            "One or more parameter values were invalid: Condition parameter type does not match schema type"
        );
    }

    #[test]
    fn ranges_hold_exactly_the_matching_keys() {
        let key = |sk: &str| [encode_key(&AttributeValue::s("a")).unwrap(), encode_key(&AttributeValue::s(sk)).unwrap()].concat();
        // An index entry: the same, then a table key.
        let entry = |sk: &str| [key(sk), encode_key(&AttributeValue::s("t")).unwrap()].concat();
        let inside = |range: &(Bound<Vec<u8>>, Bound<Vec<u8>>), k: &[u8]| {
            let above = match &range.0 {
                Bound::Included(b) => k >= b.as_slice(),
                Bound::Excluded(b) => k > b.as_slice(),
                Bound::Unbounded => true,
            };
            let below = match &range.1 {
                Bound::Included(b) => k <= b.as_slice(),
                Bound::Excluded(b) => k < b.as_slice(),
                Bound::Unbounded => true,
            };
            above && below
        };
        let s = schema(ScalarType::S);
        let cases: [(&str, &[&str], &[&str]); 6] = [
            ("pk = :p AND sk = :v", &["m"], &["l", "ma", "n"]),
            ("pk = :p AND sk > :v", &["ma", "n"], &["m", "l"]),
            ("pk = :p AND sk >= :v", &["m", "ma"], &["l"]),
            ("pk = :p AND sk < :v", &["l", "a"], &["m", "ma"]),
            ("pk = :p AND sk <= :v", &["m", "l"], &["ma", "n"]),
            ("pk = :p AND begins_with(sk, :v)", &["m", "ma", "mzz"], &["l", "n"]),
        ];
        for (text, yes, no) in cases {
            let mut expressions = Expressions::from_json(None, Some(&json!({":p": {"S": "a"}, ":v": {"S": "m"}}))).unwrap();
            let condition = from_expression(&expressions.key_condition_tree(text).unwrap(), &s).unwrap();
            let range = key_range(&condition);
            for sk in yes {
                assert!(inside(&range, &key(sk)) && inside(&range, &entry(sk)), "{text}: {sk}");
            }
            for sk in no {
                assert!(!inside(&range, &key(sk)) && !inside(&range, &entry(sk)), "{text}: {sk}");
            }
        }
        // Another partition is never inside.
        let mut expressions = Expressions::from_json(None, Some(&json!({":p": {"S": "a"}}))).unwrap();
        let condition = from_expression(&expressions.key_condition_tree("pk = :p").unwrap(), &s).unwrap();
        let other = [encode_key(&AttributeValue::s("ab")).unwrap(), encode_key(&AttributeValue::s("m")).unwrap()].concat();
        assert!(!inside(&key_range(&condition), &other));
        assert!(inside(&key_range(&condition), &key("")));
    }
}
