//! DynamoDB's data language, pure: attribute values and numbers, the order-preserving key
//! encoding and item sizes a storage layer needs, and the expression language (condition,
//! filter, key condition, projection and update expressions, plus the legacy parameters that
//! predate them), and the PartiQL statements of ExecuteStatement and friends (`partiql`), each
//! checked with AWS's `ValidationException` messages.
//!
//! No I/O and no tables here: the service crate owns requests, storage and key schemas, and
//! calls in to parse, validate, evaluate and apply.

mod error;
mod expr;
mod key_bytes;
pub mod legacy;
mod number;
pub mod partiql;
mod size;
mod value;

pub use error::{Result, ValidationError};
pub use expr::ast::{
    Comparator, Condition, Literal, Operand, Path, PathElement, Projection, SetOperand, SetValue, UpdateAction, UpdateExpression,
};
pub use expr::eval::{compare, compare_values, contains, evaluate, project, project_paths, resolve_path, value_size_function};
pub use expr::key_condition::{KeyCondition, KeySchema, SortKeyCondition};
pub use expr::names::{ExpressionKind, Expressions, parse_expression_attribute_names, parse_expression_attribute_values};
pub use expr::parser::MAX_IN_OPERANDS;
pub use expr::print::ExpressionWriter;
pub use expr::reserved::is_reserved;
pub use expr::update::{UpdateOutcome, apply_update};
pub use key_bytes::{decode_key, encode_key, encode_key_into, encode_key_prefix, prefix_successor};
pub use number::{MAX_DIGITS, MAX_EXPONENT, MIN_EXPONENT, Number};
pub use size::{MAX_ITEM_SIZE, attribute_size, item_size, read_capacity_units, value_size, write_capacity_units};
pub use value::{AttributeType, AttributeValue, Item, MAX_NESTING_DEPTH, item_to_json, parse_item};
