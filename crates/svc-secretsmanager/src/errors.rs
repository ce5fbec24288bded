//! AWS's errors for Secrets Manager, with the messages AWS returns, plus small helpers shared by
//! the operation modules (output building, timestamps).

use nimbus_core::ServiceError;
use nimbus_core::document::timestamp;
use nimbus_store::StoreError;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// An operation's failure inside this crate. Wraps [`ServiceError`] so that both store errors
/// and service errors can be raised with `?` inside a store transaction.
#[derive(Debug)]
pub struct Failure(pub Box<ServiceError>);

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure(Box::new(store_error(e)))
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Failure(Box::new(e))
    }
}

pub type Res<T> = Result<T, Failure>;

/// A storage failure is Nimbus's fault, not the caller's: AWS's generic 500.
pub fn store_error(e: StoreError) -> ServiceError {
    ServiceError::internal(format!("Nimbus storage error: {e}"))
}

pub fn fail<T>(e: ServiceError) -> Res<T> {
    Err(Failure(Box::new(e)))
}

pub fn not_found() -> ServiceError {
    ServiceError::new("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

pub fn marked_for_deletion() -> ServiceError {
    invalid_request("You can't perform this operation on the secret because it was marked for deletion.")
}

pub fn already_exists(name: &str) -> ServiceError {
    ServiceError::new(
        "ResourceExistsException",
        format!("The operation failed because the secret {name} already exists."),
    )
}

pub fn invalid_parameter(message: impl Into<String>) -> ServiceError {
    ServiceError::new("InvalidParameterException", message)
}

pub fn invalid_request(message: impl Into<String>) -> ServiceError {
    ServiceError::new("InvalidRequestException", message)
}

pub fn limit_exceeded(message: impl Into<String>) -> ServiceError {
    ServiceError::new("LimitExceededException", message)
}

pub fn invalid_next_token() -> ServiceError {
    ServiceError::new("InvalidNextTokenException", "The NextToken value is invalid.")
}

pub fn malformed_policy(message: impl Into<String>) -> ServiceError {
    ServiceError::new("MalformedPolicyDocumentException", message)
}

pub fn invalid_name() -> ServiceError {
    ServiceError::validation(
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
    )
}

/// Characters AWS accepts in a secret name (and in a SecretId that is not an ARN).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-!".contains(c))
}

/// A millisecond epoch time in document form.
pub fn ts(ms: i64) -> Value {
    timestamp(date_time(ms))
}

pub fn date_time(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub const DAY_MS: i64 = 86_400_000;

/// Midnight UTC of the day `ms` falls in: AWS reports access dates at day granularity.
pub fn day_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(DAY_MS)
}

/// Builds an output document, leaving out absent optional members (never `null`).
#[derive(Default)]
pub struct Out(Map<String, Value>);

impl Out {
    pub fn new() -> Self {
        Out(Map::new())
    }

    pub fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    pub fn opt<V: Into<Value>>(self, key: &str, value: Option<V>) -> Self {
        match value {
            Some(v) => self.set(key, v),
            None => self,
        }
    }

    /// Sets a list member only when it has elements.
    pub fn list(self, key: &str, values: Vec<Value>) -> Self {
        if values.is_empty() { self } else { self.set(key, Value::Array(values)) }
    }

    pub fn done(self) -> Value {
        Value::Object(self.0)
    }
}
