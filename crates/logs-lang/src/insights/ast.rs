//! A parsed query: commands over rows whose fields are numbered slots. Every field a query can
//! touch is known once it is parsed, so each gets a slot and rows are plain vectors.

use regex::Regex;

use super::functions::Function;
use super::stats::AggregateFunction;
use super::value::Value;

pub(crate) type Slot = usize;

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Field(Slot),
    Literal(Value),
    /// `[a, b, c]`, only after `in`.
    List(Vec<Expr>),
    Negate(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Like {
        target: Box<Expr>,
        pattern: LikePattern,
        negated: bool,
    },
    In {
        target: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Call(Function, Vec<Expr>),
    /// The result of the stats command's aggregate number `.0`, while its outputs are computed.
    Aggregate(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Remainder,
    Power,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    And,
    Or,
}

#[derive(Debug, Clone)]
pub(crate) enum LikePattern {
    /// `like "text"`: the text appears in the value.
    Substring(String),
    /// `like /regex/` or `=~ /regex/`: the regular expression matches somewhere in the value.
    Regex(Regex),
}

/// An expression and the field it sets (`fields abs(x) as y`, or the expression's own text).
#[derive(Debug, Clone)]
pub(crate) struct Projection {
    pub(crate) expr: Expr,
    pub(crate) slot: Slot,
}

#[derive(Debug, Clone)]
pub(crate) struct Aggregate {
    pub(crate) function: AggregateFunction,
    /// `None` for `count(*)` and `count()`.
    pub(crate) argument: Option<Expr>,
}

#[derive(Debug, Clone)]
pub(crate) struct StatsCommand {
    pub(crate) aggregates: Vec<Aggregate>,
    /// Output fields, whose expressions combine aggregates (`sum(x) / count(*) as avg_x`).
    pub(crate) outputs: Vec<Projection>,
    /// `by` fields, output first.
    pub(crate) groups: Vec<Projection>,
}

#[derive(Debug, Clone)]
pub(crate) struct ParseCommand {
    pub(crate) source: Expr,
    pub(crate) regex: Regex,
    /// Capture group index of each field the command sets.
    pub(crate) captures: Vec<(usize, Slot)>,
}

#[derive(Debug, Clone)]
pub(crate) enum Command {
    Fields(Vec<Projection>),
    Display(Vec<Projection>),
    Filter(Expr),
    Parse(ParseCommand),
    Stats(StatsCommand),
    Sort(Vec<(Expr, bool)>),
    Limit(usize),
    Dedup(Vec<Expr>),
}

impl Command {
    /// Commands that need every row before they can pass any on.
    pub(crate) fn is_barrier(&self) -> bool {
        matches!(self, Command::Stats(_) | Command::Sort(_) | Command::Limit(_) | Command::Dedup(_))
    }
}
