//! CloudWatch's errors: the model's error shapes with AWS's messages where AWS publishes them,
//! and messages in AWS's style where it does not.

use nimbus_core::ServiceError;
use nimbus_store::StoreError;
use serde_json::{Value, json};

/// The crate's internal error: a [`ServiceError`], convertible from storage failures and from
/// metrics-lang refusals so `?` works everywhere.
#[derive(Debug)]
pub struct Fail(pub ServiceError);

impl From<ServiceError> for Fail {
    fn from(e: ServiceError) -> Self {
        Fail(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail(ServiceError::internal(format!("CloudWatch storage failed: {e}")))
    }
}

/// metrics-lang names AWS's wire codes (`InvalidParameterValue`, `ValidationError`); the
/// service names the model's error shapes, as everywhere else.
impl From<nimbus_metrics_lang::Error> for Fail {
    fn from(e: nimbus_metrics_lang::Error) -> Self {
        use nimbus_metrics_lang::ErrorKind;
        let shape = match e.kind {
            ErrorKind::InvalidParameterValue => "InvalidParameterValueException",
            ErrorKind::InvalidParameterCombination => "InvalidParameterCombinationException",
            ErrorKind::MissingParameter => "MissingRequiredParameterException",
            ErrorKind::Validation => "ValidationException",
        };
        Fail(ServiceError::new(shape, e.message))
    }
}

pub type Res<T> = Result<T, Fail>;

fn fail(code: &'static str, message: impl Into<String>) -> Fail {
    Fail(ServiceError::new(code, message))
}

pub fn invalid_value(message: impl Into<String>) -> Fail {
    fail("InvalidParameterValueException", message)
}

pub fn invalid_combination(message: impl Into<String>) -> Fail {
    fail("InvalidParameterCombinationException", message)
}

pub fn missing_parameter(message: impl Into<String>) -> Fail {
    fail("MissingRequiredParameterException", message)
}

/// The framework's `ValidationError` (PutMetricAlarm, PutCompositeAlarm, GetMetricData).
pub fn validation(message: impl Into<String>) -> Fail {
    fail("ValidationException", message)
}

pub fn invalid_next_token() -> Fail {
    fail("InvalidNextToken", "The service cannot process the NextToken you sent. Use the NextToken from a previous response.")
}

pub fn alarm_not_found(name: &str) -> Fail {
    fail("ResourceNotFound", format!("Alarm {name} not found"))
}

pub fn limit_exceeded(message: impl Into<String>) -> Fail {
    fail("LimitExceededFault", message)
}

pub fn resource_conflict(message: impl Into<String>) -> Fail {
    fail("ResourceConflict", message)
}

pub fn invalid_format(message: impl Into<String>) -> Fail {
    fail("InvalidFormatFault", message)
}

pub fn dashboard_not_found(message: impl Into<String>) -> Fail {
    fail("DashboardNotFoundError", message)
}

/// PutDashboard's refusal of a body: AWS lists every problem, each with the JSON path it is at,
/// in the message and in `dashboardValidationMessages`.
pub fn dashboard_invalid(problems: &[(String, String)]) -> Fail {
    if let [(path, message)] = problems
        && path.is_empty()
        && message == BODY_NOT_JSON
    {
        return Fail(
            ServiceError::new("DashboardInvalidInputError", BODY_NOT_JSON)
                .with_field("dashboardValidationMessages", json!([{"DataPath": "", "Message": BODY_NOT_JSON}])),
        );
    }
    let listed: Vec<Value> = problems.iter().map(|(path, message)| json!({"dataPath": path, "message": message})).collect();
    let message = format!(
        "The dashboard body is invalid, there are {} validation errors:\n{}",
        problems.len(),
        serde_json::to_string_pretty(&listed).unwrap_or_default()
    );
    let fields: Vec<Value> = problems.iter().map(|(path, message)| json!({"DataPath": path, "Message": message})).collect();
    Fail(ServiceError::new("DashboardInvalidInputError", message).with_field("dashboardValidationMessages", Value::Array(fields)))
}

pub const BODY_NOT_JSON: &str = "The field DashboardBody must be a valid JSON object";

pub fn resource_not_found(resource_type: &str, id: &str) -> Fail {
    Fail(
        ServiceError::new("ResourceNotFoundException", format!("{resource_type} {id} does not exist."))
            .with_field("ResourceType", resource_type)
            .with_field("ResourceId", id),
    )
}
