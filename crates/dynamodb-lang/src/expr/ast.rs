//! The parsed forms of DynamoDB expressions. Placeholders are already resolved: paths hold real
//! attribute names, operands hold the `ExpressionAttributeValues` they named.

use crate::value::AttributeValue;

/// One step of a document path: a map key (or top-level attribute name), or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathElement {
    Attribute(String),
    Index(usize),
}

/// A document path such as `a.b[2].c`; the first element is always an attribute name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    pub elements: Vec<PathElement>,
}

impl Path {
    /// A path to a top-level attribute.
    pub fn attribute(name: impl Into<String>) -> Path {
        Path {
            elements: vec![PathElement::Attribute(name.into())],
        }
    }

    /// The top-level attribute this path starts at.
    pub fn top_level(&self) -> &str {
        match &self.elements[0] {
            PathElement::Attribute(name) => name,
            PathElement::Index(_) => unreachable!("paths start with an attribute name"),
        }
    }

    pub fn is_top_level(&self) -> bool {
        self.elements.len() == 1
    }

    /// Whether one path is a prefix of the other (they name the same data or nested data).
    pub fn overlaps(&self, other: &Path) -> bool {
        self.elements.iter().zip(&other.elements).all(|(a, b)| a == b)
    }

    /// Whether the paths use the same prefix once as a map and once as a list (`a.b`, `a[0]`).
    pub fn conflicts(&self, other: &Path) -> bool {
        for (a, b) in self.elements.iter().zip(&other.elements) {
            match (a, b) {
                (x, y) if x == y => continue,
                (PathElement::Attribute(_), PathElement::Index(_)) | (PathElement::Index(_), PathElement::Attribute(_)) => {
                    return true;
                }
                _ => return false,
            }
        }
        false
    }

    /// The form AWS prints in messages: `[a, b, [2]]`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .elements
            .iter()
            .map(|e| match e {
                PathElement::Attribute(name) => name.clone(),
                PathElement::Index(i) => format!("[{i}]"),
            })
            .collect();
        format!("[{}]", parts.join(", "))
    }
}

/// `a.b[2]` notation (names are not re-escaped).
impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, element) in self.elements.iter().enumerate() {
            match element {
                PathElement::Attribute(name) if i == 0 => f.write_str(name)?,
                PathElement::Attribute(name) => write!(f, ".{name}")?,
                PathElement::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A value from `ExpressionAttributeValues`, with the placeholder that named it.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub placeholder: String,
    pub value: AttributeValue,
}

/// Something a condition compares: an attribute, a supplied value, or `size(path)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    Value(Literal),
    Size(Path),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparator {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Equal => "=",
            Comparator::NotEqual => "<>",
            Comparator::Less => "<",
            Comparator::LessOrEqual => "<=",
            Comparator::Greater => ">",
            Comparator::GreaterOrEqual => ">=",
        }
    }
}

/// A condition, filter or key condition expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare {
        comparator: Comparator,
        left: Operand,
        right: Operand,
    },
    Between {
        operand: Operand,
        low: Operand,
        high: Operand,
    },
    In {
        operand: Operand,
        candidates: Vec<Operand>,
    },
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    AttributeExists(Path),
    AttributeNotExists(Path),
    AttributeType(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
}

/// A projection expression: the paths to keep.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub paths: Vec<Path>,
}

/// An operand of an update's SET value.
#[derive(Debug, Clone, PartialEq)]
pub enum SetOperand {
    Path(Path),
    Value(Literal),
    IfNotExists(Path, Box<SetOperand>),
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

/// The right-hand side of `SET path = ...`.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Operand(SetOperand),
    Plus(SetOperand, SetOperand),
    Minus(SetOperand, SetOperand),
}

#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    Set { path: Path, value: SetValue },
    Remove { path: Path },
    Add { path: Path, value: Literal },
    Delete { path: Path, value: Literal },
}

impl UpdateAction {
    pub fn path(&self) -> &Path {
        match self {
            UpdateAction::Set { path, .. }
            | UpdateAction::Remove { path }
            | UpdateAction::Add { path, .. }
            | UpdateAction::Delete { path, .. } => path,
        }
    }
}

/// An update expression's actions, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateExpression {
    pub actions: Vec<UpdateAction>,
}

impl UpdateExpression {
    /// The top-level attributes the update writes (the service refuses key attributes).
    pub fn top_level_attributes(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for action in &self.actions {
            let name = action.path().top_level();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(elements: &[&str]) -> Path {
        Path {
            elements: elements
                .iter()
                .map(|e| match e.parse::<usize>() {
                    Ok(i) => PathElement::Index(i),
                    Err(_) => PathElement::Attribute((*e).to_owned()),
                })
                .collect(),
        }
    }

    #[test]
    fn overlap_and_conflict() {
        assert!(path(&["a"]).overlaps(&path(&["a", "b"])));
        assert!(path(&["a", "b"]).overlaps(&path(&["a", "b"])));
        assert!(!path(&["a", "b"]).overlaps(&path(&["a", "c"])));
        assert!(path(&["a", "b"]).conflicts(&path(&["a", "0"])));
        assert!(!path(&["a", "b"]).conflicts(&path(&["a", "c"])));
        assert_eq!(path(&["a", "b", "2"]).describe(), "[a, b, [2]]");
        assert_eq!(path(&["a", "b", "2", "c"]).to_string(), "a.b[2].c");
    }
}
