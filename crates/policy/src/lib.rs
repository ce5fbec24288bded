//! IAM policy language: one engine for every service.
//!
//! * [`Policy::parse`] checks a document as IAM does on put (`MalformedPolicyDocument` messages)
//!   and compiles it once (wildcards, ARNs, conditions) so evaluation does no parsing.
//! * [`evaluate`] applies AWS's documented evaluation logic to a [`PolicySet`] for one
//!   [`Request`]: explicit deny > allow > implicit deny; identity, resource, permissions-boundary
//!   and session policies; same-account and cross-account rules.
//! * [`Directory`] is how the server and STS find a principal's policies (IAM implements it).
//!
//! This crate is pure: no I/O, no clock (the caller puts `aws:CurrentTime` in the [`Context`]).

mod arn;
mod condition;
mod context;
mod directory;
mod document;
mod evaluate;
mod parse;
mod pattern;
mod principal;
mod statement;
mod values;

pub use context::{Context, Principal, PrincipalKind, Request};
pub use directory::{Directory, OidcProvider, PrincipalPolicies, RoleTrust};
pub use document::{Policy, PolicyError, PolicyKind};
pub use evaluate::{evaluate, Decision, DenyReason, Evaluation, MatchedStatement, PolicySet, PolicySource};
