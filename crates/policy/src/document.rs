//! Policy documents: parsed, validated and compiled once.

use crate::statement::Statement;

/// Which rules a document must follow (IAM checks each kind differently on put).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Identity-based (managed, inline, permissions boundary, session policy): no `Principal`.
    Identity,
    /// Resource-based (bucket, queue, topic, key, secret policies): `Principal` or
    /// `NotPrincipal` required in every statement.
    Resource,
    /// A role's trust policy: a resource policy whose actions are `sts:*` and that names no
    /// `Resource`.
    Trust,
}

/// Why a document was refused: `message` is IAM's `MalformedPolicyDocument` message
/// (`Syntax errors in policy.`, `Policy document should not specify a principal.`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub message: String,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyError {}

impl PolicyError {
    pub(crate) fn new(message: impl Into<String>) -> PolicyError {
        PolicyError { message: message.into() }
    }

    /// IAM's answer to a document that is JSON but not the policy grammar.
    pub(crate) fn syntax() -> PolicyError {
        PolicyError::new("Syntax errors in policy.")
    }

    /// IAM's answer to an unknown Version or Effect value.
    pub(crate) fn legacy_parsing() -> PolicyError {
        PolicyError::new("The policy failed legacy parsing")
    }

    /// An action or condition key without `<vendor>:`.
    pub(crate) fn vendor() -> PolicyError {
        PolicyError::new("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    }
}

/// A validated, compiled policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    text: String,
    kind: PolicyKind,
    statements: Vec<Statement>,
}

impl Policy {
    /// Parses and validates `text` as IAM does for `kind`.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let statements = crate::parse::parse(text, kind)?;
        Ok(Policy { text: text.to_owned(), kind, statements })
    }

    /// The document as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The condition keys the document tests, as written, without duplicates, in order of
    /// appearance (GetContextKeysFor*Policy).
    pub fn condition_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for condition in self.statements.iter().flat_map(|s| &s.conditions) {
            if !keys.iter().any(|k| k.eq_ignore_ascii_case(&condition.key)) {
                keys.push(condition.key.clone());
            }
        }
        keys
    }

    pub(crate) fn statements(&self) -> &[Statement] {
        &self.statements
    }
}
