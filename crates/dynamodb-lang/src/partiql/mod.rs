//! DynamoDB's PartiQL subset (ExecuteStatement, BatchExecuteStatement, ExecuteTransaction):
//! statements parsed into trees whose conditions and updates are the expression language's,
//! with the request's `Parameters` bound to `?` in order. The service decides how to run them
//! (a key lookup, a Query when the WHERE pins the partition key, else a Scan).

mod ast;
mod lexer;
mod parser;

pub use ast::{Delete, Insert, Returning, Select, Statement, Update};

pub use crate::error::{Result, ValidationError};
use crate::value::AttributeValue;

/// Parses one statement, binding `parameters` to its `?` placeholders in order.
pub fn parse_statement(text: &str, parameters: &[AttributeValue]) -> Result<Statement> {
    let tokens = lexer::tokenize(text)?;
    parser::Parser::new(tokens, parameters).statement()
}

/// AWS's envelope for statements it cannot parse: `ValidationException` "Statement wasn't well
/// formed, can't be processed: <detail>".
pub(crate) fn malformed(detail: &str) -> ValidationError {
    ValidationError::new(format!("Statement wasn't well formed, can't be processed: {detail}"))
}
