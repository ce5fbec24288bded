//! SQS's errors: the model's error shapes where there is one, AWS's common query errors
//! (`InvalidParameterValue`, `MissingParameter`) otherwise, with AWS's messages.

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
        Fail(storage(e))
    }
}

impl From<Fail> for ServiceError {
    fn from(Fail(e): Fail) -> Self {
        e
    }
}

pub type Res<T> = Result<T, ServiceError>;

pub fn storage(e: StoreError) -> ServiceError {
    ServiceError::internal(format!("SQS storage failed: {e}"))
}

pub fn queue_does_not_exist() -> ServiceError {
    ServiceError::new("QueueDoesNotExist", "The specified queue does not exist.")
}

pub fn invalid_parameter(message: impl Into<String>) -> ServiceError {
    ServiceError::new("InvalidParameterValue", message).with_status(400)
}

/// `Value <v> for parameter <name> is invalid. Reason: <reason>`: AWS's wording for a value
/// outside what a parameter accepts.
pub fn invalid_value(name: &str, value: impl std::fmt::Display, reason: &str) -> ServiceError {
    invalid_parameter(format!("Value {value} for parameter {name} is invalid. Reason: {reason}"))
}

pub fn missing_parameter(name: &str) -> ServiceError {
    ServiceError::new("MissingParameter", format!("The request must contain the parameter {name}.")).with_status(400)
}

pub fn invalid_attribute_name(name: &str) -> ServiceError {
    ServiceError::new("InvalidAttributeName", format!("Unknown Attribute {name}."))
}

pub fn invalid_attribute_value(name: &str) -> ServiceError {
    ServiceError::new("InvalidAttributeValue", format!("Invalid value for the parameter {name}."))
}

pub fn receipt_handle_invalid(handle: &str) -> ServiceError {
    // 404 on both wires, as AWS's Smithy model for SQS says (botocore's models do not carry it).
    ServiceError::new("ReceiptHandleIsInvalid", format!("The input receipt handle \"{handle}\" is not a valid receipt handle.")).with_status(404)
}

pub fn not_in_flight() -> ServiceError {
    ServiceError::new("MessageNotInflight", "Message does not exist or is not available for visibility timeout change.")
}

/// The per-entry failure of a batch call (`BatchResultErrorEntry`).
pub fn batch_failure(id: &str, err: &ServiceError) -> serde_json::Value {
    let sender_fault = err.status.is_none_or(|s| s < 500);
    serde_json::json!({ "Id": id, "SenderFault": sender_fault, "Code": err.code, "Message": err.message })
}

/// A KMS failure of an SSE-KMS queue as SQS reports it: its awsQuery code (`KMS.DisabledException`,
/// `KMS.NotFoundException`, ...: the codes of the `Kms*` error shapes in AWS's Smithy model), 400,
/// with KMS's message and the service-call details AWS appends. Nimbus's own failures stay 500s.
pub fn kms_error(e: ServiceError) -> ServiceError {
    let code = match &*e.code {
        "NotFoundException" => "KMS.NotFoundException",
        "DisabledException" => "KMS.DisabledException",
        "KMSInvalidStateException" => "KMS.InvalidStateException",
        "AccessDeniedException" => "KMS.AccessDeniedException",
        "InvalidKeyUsageException" => "KMS.InvalidKeyUsageException",
        "ThrottlingException" => "KMS.ThrottlingException",
        "KMSOptInRequired" => "KMS.OptInRequired",
        _ => return e,
    };
    ServiceError::new(
        code,
        format!(
            "{} (Service: AWSKMS; Status Code: 400; Error Code: {}; Request ID: {}; Proxy: null)",
            e.message,
            e.code,
            nimbus_core::ids::uuid()
        ),
    )
    .with_status(400)
}
