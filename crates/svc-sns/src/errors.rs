//! SNS's errors, with AWS's codes (the model's error shapes) and messages.

use nimbus_core::ServiceError;
use nimbus_store::StoreError;

#[derive(Debug)]
pub struct Fail(pub ServiceError);

impl From<ServiceError> for Fail {
    fn from(e: ServiceError) -> Self {
        Fail(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail(ServiceError::internal(format!("SNS storage failed: {e}")))
    }
}

impl From<Fail> for ServiceError {
    fn from(Fail(e): Fail) -> Self {
        e
    }
}

pub type Res<T> = Result<T, ServiceError>;

/// `InvalidParameter` with AWS's `Invalid parameter: <what>` wording.
pub fn invalid(what: impl std::fmt::Display) -> ServiceError {
    ServiceError::new("InvalidParameterException", format!("Invalid parameter: {what}"))
}

pub fn invalid_value(message: impl Into<String>) -> ServiceError {
    ServiceError::new("InvalidParameterValueException", message)
}

pub fn topic_not_found() -> ServiceError {
    ServiceError::new("NotFoundException", "Topic does not exist")
}

pub fn subscription_not_found() -> ServiceError {
    ServiceError::new("NotFoundException", "Subscription does not exist")
}
