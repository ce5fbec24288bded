//! The parsed forms of PartiQL statements. Literals and `?` parameters are already values;
//! conditions and updates reuse the expression language's trees, so the service evaluates and
//! applies them with the same code as ConditionExpression and UpdateExpression.

use crate::expr::ast::{Condition, Path, UpdateExpression};
use crate::value::Item;

/// One statement of ExecuteStatement, BatchExecuteStatement or ExecuteTransaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(Select),
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    /// `EXISTS(SELECT ...)`: a condition check inside ExecuteTransaction.
    Exists(Select),
}

impl Statement {
    /// The table the statement names.
    pub fn table(&self) -> &str {
        match self {
            Statement::Select(s) | Statement::Exists(s) => &s.table,
            Statement::Insert(i) => &i.table,
            Statement::Update(u) => &u.table,
            Statement::Delete(d) => &d.table,
        }
    }

    /// Whether the statement only reads (SELECT and EXISTS).
    pub fn is_read(&self) -> bool {
        matches!(self, Statement::Select(_) | Statement::Exists(_))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub table: String,
    /// `FROM "table"."index"`.
    pub index: Option<String>,
    /// The paths listed; `None` for `*`.
    pub projection: Option<Vec<Path>>,
    pub condition: Option<Condition>,
    /// `ORDER BY path [ASC|DESC]`: the path and whether it is descending.
    pub order_by: Option<(Path, bool)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub table: String,
    pub item: Item,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub table: String,
    pub update: UpdateExpression,
    /// Must name exactly one item by its whole key (the service checks that against the
    /// schema); the rest of it is a condition on that item.
    pub condition: Condition,
    pub returning: Option<Returning>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    pub table: String,
    pub condition: Condition,
    pub returning: Option<Returning>,
}

/// `RETURNING ... *`: what an UPDATE or DELETE answers with, as UpdateItem's ReturnValues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returning {
    AllOld,
    ModifiedOld,
    AllNew,
    ModifiedNew,
}

impl Returning {
    /// The equivalent `ReturnValues` of UpdateItem/DeleteItem.
    pub fn return_values(self) -> &'static str {
        match self {
            Returning::AllOld => "ALL_OLD",
            Returning::ModifiedOld => "UPDATED_OLD",
            Returning::AllNew => "ALL_NEW",
            Returning::ModifiedNew => "UPDATED_NEW",
        }
    }
}
