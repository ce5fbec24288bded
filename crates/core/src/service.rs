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

    /// Adds a condition key when the request has a value for it.
    pub fn with_some(self, key: impl Into<String>, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.with(key, vec![value.to_string()]),
            None => self,
        }
    }

    /// The tags a request sets: `aws:RequestTag/<key>` for each and `aws:TagKeys` for all
    /// (nothing when there are none), as every tagging service's authorization reference says.
    pub fn with_request_tags<'a>(mut self, tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut keys = Vec::new();
        for (key, value) in tags {
            self = self.with(format!("aws:RequestTag/{key}"), vec![value.to_owned()]);
            keys.push(key.to_owned());
        }
        if keys.is_empty() { self } else { self.with("aws:TagKeys", keys) }
    }
}

/// The `(key, value)` pairs of a tag-list member (`[{"Key": k, "Value": v}]`, or other member
/// names such as KMS's `TagKey`/`TagValue`); a missing value reads as empty.
pub fn tag_list<'a>(input: &'a Document, list: &str, key: &str, value: &str) -> Vec<(&'a str, &'a str)> {
    input
        .get(list)
        .and_then(Document::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tag| Some((tag.get(key)?.as_str()?, tag.get(value).and_then(Document::as_str).unwrap_or_default())))
        .collect()
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
