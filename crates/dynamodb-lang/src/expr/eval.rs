//! Evaluating conditions and filters against an item, and applying projections, with
//! DynamoDB's semantics: values of different types are never equal or ordered, `<`/`>` only
//! order numbers, strings (by UTF-8 bytes) and binaries (unsigned bytes), a missing attribute
//! makes any comparison false except `<>`.

use super::ast::*;
use crate::value::{AttributeValue, Item};
use indexmap::IndexMap;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The value at `path` in `item`, if there is one.
pub fn resolve_path<'a>(item: &'a Item, path: &Path) -> Option<&'a AttributeValue> {
    let mut elements = path.elements.iter();
    let mut current = match elements.next()? {
        PathElement::Attribute(name) => item.get(name)?,
        PathElement::Index(_) => return None,
    };
    for element in elements {
        current = match (element, current) {
            (PathElement::Attribute(name), AttributeValue::M(map)) => map.get(name)?,
            (PathElement::Index(index), AttributeValue::L(list)) => list.get(*index)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The order of two values of the same scalar type (N, S, B); `None` for anything else.
pub fn compare_values(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// What `size()` returns: string length (UTF-8 bytes), binary length, number of elements of a
/// set, list or map; `None` for the other types (the condition is then false).
pub fn value_size_function(value: &AttributeValue) -> Option<usize> {
    match value {
        AttributeValue::S(s) => Some(s.len()),
        AttributeValue::B(b) => Some(b.len()),
        AttributeValue::SS(v) => Some(v.len()),
        AttributeValue::NS(v) => Some(v.len()),
        AttributeValue::BS(v) => Some(v.len()),
        AttributeValue::L(v) => Some(v.len()),
        AttributeValue::M(m) => Some(m.len()),
        _ => None,
    }
}

fn operand_value<'a>(operand: &'a Operand, item: &'a Item) -> Option<Cow<'a, AttributeValue>> {
    match operand {
        Operand::Path(path) => resolve_path(item, path).map(Cow::Borrowed),
        Operand::Value(literal) => Some(Cow::Borrowed(&literal.value)),
        Operand::Size(path) => {
            let size = value_size_function(resolve_path(item, path)?)?;
            Some(Cow::Owned(AttributeValue::N(crate::Number::from_i64(size as i64))))
        }
    }
}

/// Whether `condition` holds for `item` (`None`: there is no item, as for a PutItem of a new key).
pub fn evaluate(condition: &Condition, item: Option<&Item>) -> bool {
    let empty = Item::new();
    evaluate_on(condition, item.unwrap_or(&empty))
}

fn evaluate_on(condition: &Condition, item: &Item) -> bool {
    match condition {
        Condition::And(a, b) => evaluate_on(a, item) && evaluate_on(b, item),
        Condition::Or(a, b) => evaluate_on(a, item) || evaluate_on(b, item),
        Condition::Not(inner) => !evaluate_on(inner, item),
        Condition::AttributeExists(path) => resolve_path(item, path).is_some(),
        Condition::AttributeNotExists(path) => resolve_path(item, path).is_none(),
        Condition::AttributeType(path, type_operand) => {
            let (Some(value), Some(type_name)) = (resolve_path(item, path), operand_value(type_operand, item)) else {
                return false;
            };
            matches!(&*type_name, AttributeValue::S(name) if name == value.attribute_type().name())
        }
        Condition::BeginsWith(subject, prefix) => {
            let (Some(subject), Some(prefix)) = (operand_value(subject, item), operand_value(prefix, item)) else {
                return false;
            };
            match (&*subject, &*prefix) {
                (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
                (AttributeValue::B(s), AttributeValue::B(p)) => s.starts_with(p),
                _ => false,
            }
        }
        Condition::Contains(container, element) => {
            let (Some(container), Some(element)) = (operand_value(container, item), operand_value(element, item)) else {
                return false;
            };
            contains(&container, &element)
        }
        Condition::Compare { comparator, left, right } => {
            let left = operand_value(left, item);
            let right = operand_value(right, item);
            match (left, right) {
                (Some(l), Some(r)) => compare(*comparator, &l, &r),
                // A missing attribute equals nothing, so it is "not equal" to everything.
                _ => *comparator == Comparator::NotEqual,
            }
        }
        Condition::Between { operand, low, high } => {
            let (Some(value), Some(low), Some(high)) = (
                operand_value(operand, item),
                operand_value(low, item),
                operand_value(high, item),
            ) else {
                return false;
            };
            compare(Comparator::GreaterOrEqual, &value, &low) && compare(Comparator::LessOrEqual, &value, &high)
        }
        Condition::In { operand, candidates } => {
            let Some(value) = operand_value(operand, item) else {
                return false;
            };
            candidates
                .iter()
                .any(|c| operand_value(c, item).is_some_and(|c| *c == *value))
        }
    }
}

/// One comparison between two present values.
pub fn compare(comparator: Comparator, left: &AttributeValue, right: &AttributeValue) -> bool {
    match comparator {
        Comparator::Equal => left == right,
        Comparator::NotEqual => left != right,
        _ => match compare_values(left, right) {
            None => false,
            Some(order) => match comparator {
                Comparator::Less => order == Ordering::Less,
                Comparator::LessOrEqual => order != Ordering::Greater,
                Comparator::Greater => order == Ordering::Greater,
                Comparator::GreaterOrEqual => order != Ordering::Less,
                Comparator::Equal | Comparator::NotEqual => unreachable!(),
            },
        },
    }
}

/// `contains`: a substring of a string, a byte run of a binary, a member of a set of the
/// element's type, or an element of a list.
pub fn contains(container: &AttributeValue, element: &AttributeValue) -> bool {
    match (container, element) {
        (AttributeValue::S(s), AttributeValue::S(e)) => s.contains(e.as_str()),
        (AttributeValue::B(b), AttributeValue::B(e)) => e.is_empty() || b.windows(e.len()).any(|w| w == e.as_slice()),
        (AttributeValue::SS(set), AttributeValue::S(e)) => set.contains(e),
        (AttributeValue::NS(set), AttributeValue::N(e)) => set.contains(e),
        (AttributeValue::BS(set), AttributeValue::B(e)) => set.contains(e),
        (AttributeValue::L(list), e) => list.contains(e),
        _ => false,
    }
}

/// A partly built projection: list elements are kept by original index until the end, when
/// they are packed in index order (projecting `a[1]` and `a[3]` gives a two-element list).
enum Node {
    Leaf(AttributeValue),
    Map(IndexMap<String, Node>),
    List(BTreeMap<usize, Node>),
}

impl Node {
    fn into_value(self) -> AttributeValue {
        match self {
            Node::Leaf(value) => value,
            Node::Map(map) => AttributeValue::M(map.into_iter().map(|(k, v)| (k, v.into_value())).collect()),
            Node::List(list) => AttributeValue::L(list.into_values().map(Node::into_value).collect()),
        }
    }

    fn child(&mut self, element: &PathElement) -> &mut Node {
        match (self, element) {
            (Node::Map(map), PathElement::Attribute(name)) => {
                map.entry(name.clone()).or_insert_with(|| Node::Map(IndexMap::new()))
            }
            (Node::List(list), PathElement::Index(i)) => list.entry(*i).or_insert_with(|| Node::Map(IndexMap::new())),
            (node, _) => node,
        }
    }
}

/// The parts of `item` named by `paths`, keeping their structure; paths that name nothing are
/// skipped. What ProjectionExpression returns, and the `UPDATED_*` return values.
pub fn project_paths<'p>(item: &Item, paths: impl IntoIterator<Item = &'p Path>) -> Item {
    let mut root: IndexMap<String, Node> = IndexMap::new();
    for path in paths {
        let Some(value) = resolve_path(item, path) else { continue };
        let mut node = root
            .entry(path.top_level().to_owned())
            .or_insert_with(|| Node::Map(IndexMap::new()));
        let rest = &path.elements[1..];
        if rest.is_empty() {
            *node = Node::Leaf(value.clone());
            continue;
        }
        // Shape each intermediate node after the next step (map key or list index).
        for (i, element) in rest.iter().enumerate() {
            if let Node::Map(map) = node
                && map.is_empty()
                && matches!(element, PathElement::Index(_))
            {
                *node = Node::List(BTreeMap::new());
            }
            node = node.child(element);
            if i == rest.len() - 1 {
                *node = Node::Leaf(value.clone());
            }
        }
    }
    root.into_iter().map(|(k, v)| (k, v.into_value())).collect()
}

/// Applies a ProjectionExpression to an item.
pub fn project(item: &Item, projection: &Projection) -> Item {
    project_paths(item, &projection.paths)
}
