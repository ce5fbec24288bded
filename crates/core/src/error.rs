//! The one error type a service returns.

use std::borrow::Cow;

use crate::Document;

/// An AWS error as a service states it. The codec renders it in the protocol's exact shape.
///
/// `code` is the name of an error shape in the service's model (`ResourceNotFoundException`) or
/// one of AWS's common errors (`ValidationException`, `AccessDeniedException`, ...). The HTTP
/// status comes from the model's error shape unless `status` overrides it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceError {
    pub code: Cow<'static, str>,
    pub message: String,
    pub status: Option<u16>,
    /// Further members of the error shape (e.g. `CancellationReasons`), in document form.
    pub fields: serde_json::Map<String, Document>,
}

impl ServiceError {
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ServiceError { code: code.into(), message: message.into(), status: None, fields: Default::default() }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_field(mut self, name: &str, value: impl Into<Document>) -> Self {
        self.fields.insert(name.to_owned(), value.into());
        self
    }

    /// AWS's framework-level validation error for JSON protocols.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    /// The request reached an operation the model has but Nimbus does not implement.
    pub fn not_implemented(service: &str, operation: &str) -> Self {
        Self::new(
            "NotImplemented",
            format!("The operation {operation} of service {service} is not implemented in Nimbus"),
        )
        .with_status(501)
    }

    /// A failure inside Nimbus (storage, a panic): a 500 that the client may retry.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new("InternalFailure", message).with_status(500)
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ServiceError {}
