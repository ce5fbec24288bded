//! Expression trees written back as expression text, every attribute name and value through a
//! placeholder (`#n0`, `:v0`): for requests that arrive in another form and run through the
//! operations that take expressions (a PartiQL SELECT runs as a Query or a Scan).

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::ast::{Condition, Operand, Path, PathElement};
use crate::value::AttributeValue;

/// Collects the placeholders of the expressions it writes, for one request.
#[derive(Debug, Default)]
pub struct ExpressionWriter {
    /// Attribute name → its `#n` placeholder (a name used twice shares one).
    names: IndexMap<String, String>,
    values: Vec<AttributeValue>,
}

/// How tightly a condition binds, for parentheses: only where the tree needs them (AWS refuses
/// redundant ones).
fn precedence(condition: &Condition) -> u8 {
    match condition {
        Condition::Or(..) => 1,
        Condition::And(..) => 2,
        Condition::Not(..) => 3,
        _ => 4,
    }
}

impl ExpressionWriter {
    pub fn condition(&mut self, condition: &Condition) -> String {
        let child = |this: &mut Self, inner: &Condition, parent: u8| {
            let text = this.condition(inner);
            if precedence(inner) < parent { format!("({text})") } else { text }
        };
        match condition {
            Condition::Or(a, b) => format!("{} OR {}", child(self, a, 1), child(self, b, 1)),
            Condition::And(a, b) => format!("{} AND {}", child(self, a, 2), child(self, b, 2)),
            Condition::Not(inner) => format!("NOT {}", child(self, inner, 3)),
            Condition::Compare { comparator, left, right } => {
                format!("{} {} {}", self.operand(left), comparator.symbol(), self.operand(right))
            }
            Condition::Between { operand, low, high } => {
                format!("{} BETWEEN {} AND {}", self.operand(operand), self.operand(low), self.operand(high))
            }
            Condition::In { operand, candidates } => {
                let operand = self.operand(operand);
                let candidates: Vec<String> = candidates.iter().map(|c| self.operand(c)).collect();
                format!("{operand} IN ({})", candidates.join(", "))
            }
            Condition::AttributeExists(path) => format!("attribute_exists({})", self.path(path)),
            Condition::AttributeNotExists(path) => format!("attribute_not_exists({})", self.path(path)),
            Condition::AttributeType(path, kind) => format!("attribute_type({}, {})", self.path(path), self.operand(kind)),
            Condition::BeginsWith(a, b) => format!("begins_with({}, {})", self.operand(a), self.operand(b)),
            Condition::Contains(a, b) => format!("contains({}, {})", self.operand(a), self.operand(b)),
        }
    }

    /// A ProjectionExpression naming `paths`.
    pub fn projection(&mut self, paths: &[Path]) -> String {
        let paths: Vec<String> = paths.iter().map(|p| self.path(p)).collect();
        paths.join(", ")
    }

    pub fn path(&mut self, path: &Path) -> String {
        let mut text = String::new();
        for element in &path.elements {
            match element {
                PathElement::Attribute(name) => {
                    let next = self.names.len();
                    let placeholder = self.names.entry(name.clone()).or_insert_with(|| format!("#n{next}"));
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(placeholder);
                }
                PathElement::Index(index) => text.push_str(&format!("[{index}]")),
            }
        }
        text
    }

    fn operand(&mut self, operand: &Operand) -> String {
        match operand {
            Operand::Path(path) => self.path(path),
            Operand::Size(path) => format!("size({})", self.path(path)),
            Operand::Value(literal) => {
                self.values.push(literal.value.clone());
                format!(":v{}", self.values.len() - 1)
            }
        }
    }

    /// `ExpressionAttributeNames` for what was written, if any name was.
    pub fn names_json(&self) -> Option<Value> {
        (!self.names.is_empty())
            .then(|| Value::Object(self.names.iter().map(|(name, placeholder)| (placeholder.clone(), Value::String(name.clone()))).collect()))
    }

    /// `ExpressionAttributeValues` for what was written, if any value was.
    pub fn values_json(&self) -> Option<Value> {
        (!self.values.is_empty()).then(|| {
            Value::Object(self.values.iter().enumerate().map(|(i, value)| (format!(":v{i}"), value.to_json())).collect::<Map<_, _>>())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::names::{ExpressionKind, Expressions};
    use crate::value::parse_item;
    use crate::expr::eval::evaluate;

    /// Parses `text`, writes the tree back, parses that, and checks both trees judge the items
    /// alike.
    fn round_trip(text: &str, values: Value) {
        let mut original = Expressions::from_json(None, Some(&values)).unwrap();
        let tree = original.condition(ExpressionKind::Filter, text).unwrap();
        let mut writer = ExpressionWriter::default();
        let written = writer.condition(&tree);
        let mut again = Expressions::from_json(writer.names_json().as_ref(), writer.values_json().as_ref()).unwrap();
        let reparsed = again.condition(ExpressionKind::Filter, &written).unwrap_or_else(|e| panic!("{written}: {e}"));
        again.finish().unwrap();
        let items = [
            serde_json::json!({"a": {"N": "1"}, "b": {"S": "xy"}, "c": {"L": [{"N": "5"}]}}),
            serde_json::json!({"a": {"N": "7"}, "b": {"S": "z"}}),
            serde_json::json!({"b": {"SS": ["xy", "q"]}}),
        ];
        for item in items {
            let item = parse_item(&item).unwrap();
            assert_eq!(evaluate(&tree, Some(&item)), evaluate(&reparsed, Some(&item)), "{text} vs {written} on {item:?}");
        }
    }

    #[test]
    fn written_conditions_parse_back_to_the_same_meaning() {
        let values = serde_json::json!({":one": {"N": "1"}, ":five": {"N": "5"}, ":x": {"S": "x"}, ":t": {"S": "S"}});
        round_trip("a = :one AND (b = :x OR NOT a > :five)", values.clone());
        round_trip("(a = :one OR a = :five) AND NOT (begins_with(b, :x) AND attribute_exists(c))", values.clone());
        round_trip("a BETWEEN :one AND :five OR a IN (:one, :five) OR contains(b, :x)", values.clone());
        round_trip("c[0] = :five AND size(b) >= :one AND attribute_type(b, :t) AND attribute_not_exists(d.e)", values);
    }

    #[test]
    fn a_name_used_twice_shares_its_placeholder() {
        let mut writer = ExpressionWriter::default();
        let text = writer.projection(&[Path::attribute("a"), Path::attribute("b"), Path::attribute("a")]);
        assert_eq!(text, "#n0, #n1, #n0");
        assert_eq!(writer.names_json().unwrap(), serde_json::json!({"#n0": "a", "#n1": "b"}));
        assert!(writer.values_json().is_none());
    }
}
