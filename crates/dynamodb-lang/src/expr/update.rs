//! Applying an update expression to an item: SET (with `+`/`-`, `if_not_exists`,
//! `list_append`), REMOVE, ADD and DELETE, with DynamoDB's errors for paths that cannot be
//! written and operands of the wrong type.
//!
//! Every SET value is computed from the item as it was before the update, then the actions are
//! applied; list elements removed by one REMOVE are numbered as in the original list.

use super::ast::*;
use super::eval::resolve_path;
use crate::error::ValidationError;
use crate::value::{AttributeValue, Item};

/// The item after an update, and the paths the update wrote (for `ReturnValues`
/// `UPDATED_OLD`/`UPDATED_NEW`: project the old or new item on them with
/// [`crate::project_paths`]).
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateOutcome {
    pub item: Item,
    pub updated_paths: Vec<Path>,
}

fn invalid_path() -> ValidationError {
    ValidationError::new("The document path provided in the update expression is invalid for update")
}

fn wrong_type() -> ValidationError {
    ValidationError::new("An operand in the update expression has an incorrect data type")
}

fn missing_attribute() -> ValidationError {
    ValidationError::new(
        "Invalid UpdateExpression: The provided expression refers to an attribute that does not exist in the item",
    )
}

/// Applies `update` to `item` (`None`: the item does not exist yet; the result is then built
/// from nothing, and the service adds the key attributes).
pub fn apply_update(update: &UpdateExpression, item: Option<&Item>) -> Result<UpdateOutcome, ValidationError> {
    let original = item.cloned().unwrap_or_default();
    let mut values = Vec::with_capacity(update.actions.len());
    for action in &update.actions {
        if let UpdateAction::Set { value, .. } = action {
            values.push(Some(set_value(value, &original)?));
        } else {
            values.push(None);
        }
    }
    let mut result = original.clone();
    for (action, value) in update.actions.iter().zip(values) {
        match action {
            UpdateAction::Set { path, .. } => write(&mut result, path, value.expect("computed above"))?,
            UpdateAction::Remove { .. } => {}
            UpdateAction::Add { path, value } => add(&mut result, path, &value.value)?,
            UpdateAction::Delete { path, value } => delete(&mut result, path, &value.value)?,
        }
    }
    // Removals last, highest list index first, so indexes keep their original meaning.
    let mut removals: Vec<&Path> = update
        .actions
        .iter()
        .filter_map(|a| match a {
            UpdateAction::Remove { path } => Some(path),
            _ => None,
        })
        .collect();
    removals.sort_by(|a, b| b.elements.cmp_by_index(&a.elements));
    for path in removals {
        remove(&mut result, path)?;
    }
    Ok(UpdateOutcome {
        item: result,
        updated_paths: update.actions.iter().map(|a| a.path().clone()).collect(),
    })
}

/// Orders paths so that, within one list, a higher index sorts higher.
trait IndexOrder {
    fn cmp_by_index(&self, other: &Self) -> std::cmp::Ordering;
}

impl IndexOrder for Vec<PathElement> {
    fn cmp_by_index(&self, other: &Self) -> std::cmp::Ordering {
        for (a, b) in self.iter().zip(other) {
            let order = match (a, b) {
                (PathElement::Index(x), PathElement::Index(y)) => x.cmp(y),
                (PathElement::Attribute(x), PathElement::Attribute(y)) => x.cmp(y),
                (PathElement::Index(_), PathElement::Attribute(_)) => std::cmp::Ordering::Less,
                (PathElement::Attribute(_), PathElement::Index(_)) => std::cmp::Ordering::Greater,
            };
            if order.is_ne() {
                return order;
            }
        }
        self.len().cmp(&other.len())
    }
}

fn set_operand(operand: &SetOperand, item: &Item) -> Result<AttributeValue, ValidationError> {
    match operand {
        SetOperand::Path(path) => resolve_path(item, path).cloned().ok_or_else(missing_attribute),
        SetOperand::Value(literal) => Ok(literal.value.clone()),
        SetOperand::IfNotExists(path, default) => match resolve_path(item, path) {
            Some(value) => Ok(value.clone()),
            None => set_operand(default, item),
        },
        SetOperand::ListAppend(first, second) => match (set_operand(first, item)?, set_operand(second, item)?) {
            (AttributeValue::L(mut a), AttributeValue::L(b)) => {
                a.extend(b);
                Ok(AttributeValue::L(a))
            }
            _ => Err(wrong_type()),
        },
    }
}

fn set_value(value: &SetValue, item: &Item) -> Result<AttributeValue, ValidationError> {
    match value {
        SetValue::Operand(operand) => set_operand(operand, item),
        SetValue::Plus(a, b) | SetValue::Minus(a, b) => match (set_operand(a, item)?, set_operand(b, item)?) {
            (AttributeValue::N(x), AttributeValue::N(y)) => {
                let result = if matches!(value, SetValue::Plus(..)) {
                    x.checked_add(&y)?
                } else {
                    x.checked_sub(&y)?
                };
                Ok(AttributeValue::N(result))
            }
            _ => Err(wrong_type()),
        },
    }
}

/// The container that holds the last element of `path`, which must exist with the right type.
fn parent_mut<'a>(item: &'a mut Item, path: &Path) -> Result<Option<&'a mut AttributeValue>, ValidationError> {
    let elements = &path.elements;
    if elements.len() == 1 {
        return Ok(None);
    }
    let mut current = item.get_mut(path.top_level()).ok_or_else(invalid_path)?;
    for element in &elements[1..elements.len() - 1] {
        current = match (element, current) {
            (PathElement::Attribute(name), AttributeValue::M(map)) => map.get_mut(name).ok_or_else(invalid_path)?,
            (PathElement::Index(i), AttributeValue::L(list)) => list.get_mut(*i).ok_or_else(invalid_path)?,
            _ => return Err(invalid_path()),
        };
    }
    Ok(Some(current))
}

/// Writes `value` at `path`: a map key is set, a list index replaced, or appended when past
/// the end.
fn write(item: &mut Item, path: &Path, value: AttributeValue) -> Result<(), ValidationError> {
    let last = path.elements.last().expect("paths are not empty");
    match (parent_mut(item, path)?, last) {
        (None, _) => {
            item.insert(path.top_level().to_owned(), value);
        }
        (Some(AttributeValue::M(map)), PathElement::Attribute(name)) => {
            map.insert(name.clone(), value);
        }
        (Some(AttributeValue::L(list)), PathElement::Index(i)) => {
            if *i < list.len() {
                list[*i] = value;
            } else {
                list.push(value);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

fn remove(item: &mut Item, path: &Path) -> Result<(), ValidationError> {
    let last = path.elements.last().expect("paths are not empty");
    match (parent_mut(item, path)?, last) {
        (None, _) => {
            item.shift_remove(path.top_level());
        }
        (Some(AttributeValue::M(map)), PathElement::Attribute(name)) => {
            map.shift_remove(name);
        }
        (Some(AttributeValue::L(list)), PathElement::Index(i)) => {
            if *i < list.len() {
                list.remove(*i);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

fn add(item: &mut Item, path: &Path, operand: &AttributeValue) -> Result<(), ValidationError> {
    let current = resolve_path(item, path).cloned();
    let new_value = match (current, operand) {
        (None, _) => operand.clone(),
        (Some(AttributeValue::N(a)), AttributeValue::N(b)) => AttributeValue::N(a.checked_add(b)?),
        (Some(AttributeValue::SS(mut a)), AttributeValue::SS(b)) => {
            union(&mut a, b);
            AttributeValue::SS(a)
        }
        (Some(AttributeValue::NS(mut a)), AttributeValue::NS(b)) => {
            union(&mut a, b);
            AttributeValue::NS(a)
        }
        (Some(AttributeValue::BS(mut a)), AttributeValue::BS(b)) => {
            union(&mut a, b);
            AttributeValue::BS(a)
        }
        _ => return Err(wrong_type()),
    };
    write(item, path, new_value)
}

fn union<T: PartialEq + Clone>(set: &mut Vec<T>, more: &[T]) {
    for element in more {
        if !set.contains(element) {
            set.push(element.clone());
        }
    }
}

fn delete(item: &mut Item, path: &Path, operand: &AttributeValue) -> Result<(), ValidationError> {
    let Some(current) = resolve_path(item, path).cloned() else {
        return Ok(());
    };
    let remaining = match (current, operand) {
        (AttributeValue::SS(mut a), AttributeValue::SS(b)) => {
            a.retain(|e| !b.contains(e));
            (!a.is_empty()).then_some(AttributeValue::SS(a))
        }
        (AttributeValue::NS(mut a), AttributeValue::NS(b)) => {
            a.retain(|e| !b.contains(e));
            (!a.is_empty()).then_some(AttributeValue::NS(a))
        }
        (AttributeValue::BS(mut a), AttributeValue::BS(b)) => {
            a.retain(|e| !b.contains(e));
            (!a.is_empty()).then_some(AttributeValue::BS(a))
        }
        _ => return Err(wrong_type()),
    };
    match remaining {
        Some(value) => write(item, path, value),
        // A set may not be empty: deleting its last elements removes the attribute.
        None => remove(item, path),
    }
}
