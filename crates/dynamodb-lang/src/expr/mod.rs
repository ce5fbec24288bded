//! The expression language: lexer, parsers, placeholder resolution, evaluation, updates and key
//! conditions.

pub mod ast;
pub mod eval;
pub mod key_condition;
pub mod names;
pub mod parser;
pub mod print;
pub mod reserved;
pub mod update;

mod lexer;
