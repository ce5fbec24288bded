//! SES's errors. v1 (awsQuery) and v2 (rest-json) name the same failures differently: v1 has a
//! shape per thing (`TemplateDoesNotExistException`, wire code `TemplateDoesNotExist`) and
//! answers bad input with the common `InvalidParameterValue`; v2 has `NotFoundException`,
//! `AlreadyExistsException` and `BadRequestException` for everything. [`Api`] picks.

use nimbus_core::ServiceError;
use nimbus_store::StoreError;

pub type Res<T> = Result<T, ServiceError>;

/// A `ServiceError` that store failures convert into, for `?` inside transactions.
#[derive(Debug)]
pub struct Fail(pub ServiceError);

impl From<ServiceError> for Fail {
    fn from(e: ServiceError) -> Self {
        Fail(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail(store(e))
    }
}

impl From<Fail> for ServiceError {
    fn from(Fail(e): Fail) -> Self {
        e
    }
}

pub fn store(e: StoreError) -> ServiceError {
    ServiceError::internal(format!("SES storage failed: {e}"))
}

/// Which API a call came through, so shared code answers in that API's error shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    V1,
    V2,
}

impl Api {
    /// Bad input: v1 `InvalidParameterValue` (400), v2 `BadRequestException`.
    pub fn invalid(self, message: impl Into<String>) -> ServiceError {
        match self {
            Api::V1 => ServiceError::new("InvalidParameterValue", message).with_status(400),
            Api::V2 => ServiceError::new("BadRequestException", message),
        }
    }

    /// A missing thing: v1's own shape (`v1_shape`), v2 `NotFoundException` (404).
    pub fn not_found(self, v1_shape: &'static str, message: impl Into<String>) -> ServiceError {
        match self {
            Api::V1 => ServiceError::new(v1_shape, message),
            Api::V2 => ServiceError::new("NotFoundException", message),
        }
    }

    /// A name already taken: v1's own shape, v2 `AlreadyExistsException`.
    pub fn already_exists(self, v1_shape: &'static str, message: impl Into<String>) -> ServiceError {
        match self {
            Api::V1 => ServiceError::new(v1_shape, message),
            Api::V2 => ServiceError::new("AlreadyExistsException", message),
        }
    }

    /// The whole message refused (both APIs call it `MessageRejected`).
    pub fn rejected(self, message: impl Into<String>) -> ServiceError {
        ServiceError::new("MessageRejected", message)
    }

    /// Sending switched off for the account (v1 UpdateAccountSendingEnabled, v2
    /// PutAccountSendingAttributes).
    pub fn sending_paused(self) -> ServiceError {
        match self {
            Api::V1 => ServiceError::new("AccountSendingPausedException", "Email sending is disabled for this account."),
            Api::V2 => ServiceError::new("SendingPausedException", "Email sending is disabled for this account."),
        }
    }

    pub fn template_missing(self, name: &str) -> ServiceError {
        self.not_found("TemplateDoesNotExistException", format!("Template {name} does not exist."))
            .with_field_if(self == Api::V1, "TemplateName", name)
    }

    pub fn config_set_missing(self, name: &str) -> ServiceError {
        self.not_found("ConfigurationSetDoesNotExistException", format!("Configuration set <{name}> does not exist."))
            .with_field_if(self == Api::V1, "ConfigurationSetName", name)
    }
}

/// Adds an error-shape member only where the shape has it.
trait WithFieldIf {
    fn with_field_if(self, cond: bool, name: &str, value: &str) -> Self;
}

impl WithFieldIf for ServiceError {
    fn with_field_if(self, cond: bool, name: &str, value: &str) -> Self {
        if cond { self.with_field(name, value) } else { self }
    }
}
