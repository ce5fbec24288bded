//! CloudWatch Logs' errors: the model's error shapes with AWS's messages.

use nimbus_core::ServiceError;
use nimbus_store::StoreError;

/// The crate's internal error: a [`ServiceError`], convertible from storage failures so `?`
/// works inside store transactions.
#[derive(Debug)]
pub struct Fail(pub ServiceError);

impl From<ServiceError> for Fail {
    fn from(e: ServiceError) -> Self {
        Fail(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail(ServiceError::internal(format!("CloudWatch Logs storage failed: {e}")))
    }
}

pub type Res<T> = Result<T, Fail>;

fn fail(code: &'static str, message: impl Into<String>) -> Fail {
    Fail(ServiceError::new(code, message))
}

pub fn invalid(message: impl Into<String>) -> Fail {
    fail("InvalidParameterException", message)
}

/// AWS's request-framework wording, which CloudWatch Logs answers as InvalidParameterException.
pub fn constraint(value: &str, member: &str, constraint: &str) -> Fail {
    invalid(format!("1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"))
}

pub fn group_not_found() -> Fail {
    fail("ResourceNotFoundException", "The specified log group does not exist.")
}

pub fn stream_not_found() -> Fail {
    fail("ResourceNotFoundException", "The specified log stream does not exist.")
}

pub fn group_exists() -> Fail {
    fail("ResourceAlreadyExistsException", "The specified log group already exists")
}

pub fn stream_exists() -> Fail {
    fail("ResourceAlreadyExistsException", "The specified log stream already exists")
}

pub fn metric_filter_not_found() -> Fail {
    fail("ResourceNotFoundException", "The specified metric filter does not exist.")
}

pub fn subscription_filter_not_found() -> Fail {
    fail("ResourceNotFoundException", "The specified subscription filter does not exist.")
}

pub fn policy_not_found() -> Fail {
    fail("ResourceNotFoundException", "Policy with the specified name was not found.")
}

pub fn query_not_found() -> Fail {
    fail("ResourceNotFoundException", "Query does not exist.")
}

pub fn limit_exceeded() -> Fail {
    fail("LimitExceededException", "Resource limit exceeded.")
}

pub fn too_many_tags() -> Fail {
    fail("TooManyTagsException", "A resource can have no more than 50 tags.")
}

pub fn invalid_token() -> Fail {
    invalid("The specified nextToken is invalid.")
}

/// Only one way of naming the log group may be used.
pub fn name_and_identifier() -> Fail {
    invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
}

pub fn no_group_named() -> Fail {
    invalid("Either logGroupName or logGroupIdentifier must be specified.")
}
