//! The one decision point of strict mode. The server implements [`Authorizer`] over the policy
//! engine and IAM's directory; codec services are asked through it before `Service::call`, and
//! S3 (which has its own front) calls it from its access hook. Services describe what a call
//! does ([`crate::Access`]); they never decide identity-policy questions themselves.

use crate::{Access, RequestContext, ResourcePolicy};

/// A refusal: `message` is AWS's AccessDenied text (`User: arn:... is not authorized to perform:
/// s3:GetObject on resource: arn:aws:s3:::b/k because no identity-based policy allows the
/// s3:GetObject action`); each service wraps it in its own error shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub message: String,
}

pub trait Authorizer: Send + Sync {
    /// Whether requests are authorized at all (`--auth strict`); when false `authorize` allows
    /// everything and callers may skip computing their accesses.
    fn enforcing(&self) -> bool;

    /// Decides every action on every resource of `accesses` for the caller in `ctx`:
    /// identity policies (and the session's, and the permissions boundary) plus the resource
    /// policy `resource_policy` returns for a resource ARN.
    fn authorize(
        &self,
        ctx: &RequestContext,
        accesses: &[Access],
        resource_policy: &dyn Fn(&str) -> Option<ResourcePolicy>,
    ) -> Result<(), Denied>;
}
