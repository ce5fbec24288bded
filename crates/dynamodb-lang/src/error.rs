//! The one error this crate reports: a DynamoDB `ValidationException` message.

/// A request DynamoDB would refuse with `ValidationException` (HTTP 400). `message` is AWS's
/// wording, ready to send as the error's `message` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub message: String,
}

impl ValidationError {
    pub fn new(message: impl Into<String>) -> ValidationError {
        ValidationError { message: message.into() }
    }

    /// AWS prefixes most checks on attribute values with this sentence.
    pub(crate) fn invalid_parameter(detail: impl std::fmt::Display) -> ValidationError {
        ValidationError::new(format!("One or more parameter values were invalid: {detail}"))
    }

    /// The message with a prefix naming where the problem is (`Invalid UpdateExpression: `, ...).
    pub(crate) fn prefixed(self, prefix: &str) -> ValidationError {
        ValidationError::new(format!("{prefix}{}", self.message))
    }
}

impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValidationError {}

pub type Result<T, E = ValidationError> = std::result::Result<T, E>;
