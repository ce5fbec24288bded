//! The trait every service crate implements.

use crate::{Document, RequestContext, ServiceError};

/// One AWS service, behind the protocol engine.
///
/// `call` receives an input already parsed from the wire and validated against the operation's
/// input shape (required members present, types right), in [`crate::document`] form. It answers
/// with the output document, which the codec serializes according to the output shape; members
/// the shape does not have are an error in the service, not something the codec passes through.
#[async_trait::async_trait]
pub trait Service: Send + Sync + 'static {
    /// The botocore model this service answers for (`secretsmanager`, `ssm`, `sts`).
    fn model_name(&self) -> &'static str;

    /// The operations implemented; every other operation of the model gets `NotImplemented`.
    fn operations(&self) -> &'static [&'static str];

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError>;
}

/// Deserializes an operation's input document into a typed struct. Codecs have validated the
/// document against the model already, so a failure here is a mismatch between the struct and the
/// model; it is still reported as AWS's validation error rather than a panic.
pub fn parse_input<T: serde::de::DeserializeOwned>(input: Document) -> Result<T, ServiceError> {
    serde_json::from_value(input).map_err(|e| ServiceError::validation(format!("Invalid request: {e}")))
}

/// Serializes a typed output struct into an output document.
pub fn to_output<T: serde::Serialize>(output: &T) -> Result<Document, ServiceError> {
    serde_json::to_value(output).map_err(|e| ServiceError::internal(format!("output serialization failed: {e}")))
}
