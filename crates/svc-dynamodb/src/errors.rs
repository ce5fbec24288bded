//! DynamoDB's errors, with AWS's codes (the model's error shapes) and messages.
//!
//! Messages were taken from AWS's answers as users and test suites recorded them; where AWS's
//! text is unknown the chosen wording is marked "(chosen)".

use nimbus_core::ServiceError;
use nimbus_dynamodb_lang::ValidationError;
use nimbus_store::StoreError;

/// The crate's internal error: a [`ServiceError`], convertible from storage and validation
/// failures so `?` works inside store transactions.
#[derive(Debug)]
pub struct Fail(pub ServiceError);

impl From<ServiceError> for Fail {
    fn from(e: ServiceError) -> Self {
        Fail(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail(ServiceError::internal(format!("DynamoDB storage failed: {e}")))
    }
}

impl From<ValidationError> for Fail {
    fn from(e: ValidationError) -> Self {
        Fail(ServiceError::validation(e.message))
    }
}

impl From<Fail> for ServiceError {
    fn from(Fail(e): Fail) -> Self {
        e
    }
}

pub type Res<T> = Result<T, Fail>;

/// `Err` of a ValidationException with `message`.
pub fn invalid<T>(message: impl Into<String>) -> Res<T> {
    Err(Fail(ServiceError::validation(message)))
}

/// AWS's prefix for most checks of parameter values.
pub fn invalid_parameter<T>(detail: impl std::fmt::Display) -> Res<T> {
    invalid(format!("One or more parameter values were invalid: {detail}"))
}

/// The control plane's answer for a missing table.
pub fn table_not_found(name: &str) -> ServiceError {
    ServiceError::new("ResourceNotFoundException", format!("Requested resource not found: Table: {name} not found"))
}

/// The data plane's answer for a missing table: AWS names nothing.
pub fn resource_not_found() -> ServiceError {
    ServiceError::new("ResourceNotFoundException", "Requested resource not found")
}

pub fn table_exists(name: &str) -> ServiceError {
    ServiceError::new("ResourceInUseException", format!("Table already exists: {name}"))
}

/// The model's shape validation error, in the form AWS's request validator words it.
pub fn constraint(value: &str, member: &str, constraint: &str) -> ServiceError {
    ServiceError::validation(format!(
        "1 validation error detected: Value {value} at '{member}' failed to satisfy constraint: {constraint}"
    ))
}

/// A required member the model leaves optional (CreateTable's KeySchema and
/// AttributeDefinitions, optional since global-table sources exist).
pub fn member_null(member: &str) -> ServiceError {
    constraint("null", member, "Member must not be null")
}

/// The backup and restore operations' missing table (TableNotFoundException, not the
/// control plane's ResourceNotFoundException).
pub fn table_not_found_for_backups(name: &str) -> ServiceError {
    ServiceError::new("TableNotFoundException", format!("Table not found: {name}"))
}

pub fn backup_not_found(arn: &str) -> ServiceError {
    ServiceError::new("BackupNotFoundException", format!("Backup not found: {arn}"))
}

/// A restore's target table exists already (the restores' error; CreateTable's is
/// ResourceInUseException).
pub fn table_already_exists(name: &str) -> ServiceError {
    ServiceError::new("TableAlreadyExistsException", format!("Table already exists: {name}"))
}
