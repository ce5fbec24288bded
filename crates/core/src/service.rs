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

    /// The IAM service prefix of this service's actions (`s3`, `sqs`, `ses` for `sesv2`).
    fn iam_prefix(&self) -> &'static str {
        self.model_name()
    }

    /// What IAM must allow for this call (strict mode asks before `call`): the actions, the
    /// resources each applies to and the service's condition keys, from the service
    /// authorization reference. The default, `<prefix>:<operation>` on `*`, is right only for
    /// operations that take no resource; services override it. Runs before input checks, so it
    /// must not fail on bad input: a resource it cannot name is `*`.
    fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        let _ = (ctx, input);
        vec![Access::new(format!("{}:{operation}", self.iam_prefix()), vec!["*".to_owned()])]
    }

    /// The resource policy attached to `resource_arn` (queue, topic, key, secret policy), which
    /// strict mode evaluates beside the caller's identity policies.
    fn resource_policy(&self, ctx: &RequestContext, resource_arn: &str) -> Option<ResourcePolicy> {
        let _ = (ctx, resource_arn);
        None
    }
}

/// One action on some resources, as strict mode authorizes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// `sqs:SendMessage`
    pub action: String,
    /// ARNs (`arn:aws:sqs:us-east-1:000000000000:jobs`), or `*`.
    pub resources: Vec<String>,
    /// Service condition keys with their values for this request (`kms:EncryptionContext:app`,
    /// `s3:prefix`, `aws:ResourceTag/team`, `aws:RequestTag/team`, `aws:TagKeys`).
    pub context: Vec<(String, Vec<String>)>,
}

impl Access {
    pub fn new(action: impl Into<String>, resources: Vec<String>) -> Self {
        Access { action: action.into(), resources, context: Vec::new() }
    }

    /// Adds a condition key.
    pub fn with(mut self, key: impl Into<String>, values: Vec<String>) -> Self {
        self.context.push((key.into(), values));
        self
    }
}

/// A resource-based policy and the account owning the resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePolicy {
    pub document: String,
    pub owner_account: String,
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
