//! KMS's errors: the model's error shapes with AWS's messages.

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
        Fail(ServiceError::internal(format!("KMS storage failed: {e}")).with_status(500))
    }
}

impl From<Fail> for ServiceError {
    fn from(Fail(e): Fail) -> Self {
        e
    }
}

pub type Res<T> = Result<T, Fail>;

pub fn validation(message: impl Into<String>) -> Fail {
    Fail(ServiceError::validation(message))
}

/// The request framework's message for a member outside its enum.
pub fn not_in_enum(path: &str, value: &str, allowed: &[&str]) -> Fail {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        allowed.join(", ")
    ))
}

/// The request framework's message for a required member that is missing.
pub fn missing(path: &str) -> Fail {
    validation(format!("1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"))
}

pub fn invalid_key_id(id: &str) -> Fail {
    Fail(ServiceError::new("NotFoundException", format!("Invalid keyId '{id}'")))
}

pub fn key_not_found(arn: &str) -> Fail {
    Fail(ServiceError::new("NotFoundException", format!("Key '{arn}' does not exist")))
}

pub fn alias_not_found(alias_arn: &str) -> Fail {
    Fail(ServiceError::new("NotFoundException", format!("Alias {alias_arn} is not found.")))
}

pub fn invalid_arn(arn: &str) -> Fail {
    Fail(ServiceError::new("InvalidArnException", format!("Invalid arn {arn}")))
}

pub fn disabled(arn: &str) -> Fail {
    Fail(ServiceError::new("DisabledException", format!("{arn} is disabled.")))
}

pub fn pending_deletion(arn: &str) -> Fail {
    invalid_state(format!("{arn} is pending deletion."))
}

pub fn not_pending_deletion(arn: &str) -> Fail {
    invalid_state(format!("{arn} is not pending deletion."))
}

pub fn pending_import(arn: &str) -> Fail {
    invalid_state(format!("{arn} is pending import."))
}

pub fn invalid_state(message: impl Into<String>) -> Fail {
    Fail(ServiceError::new("KMSInvalidStateException", message))
}

/// A key used for an operation its key usage does not allow.
pub fn wrong_usage(arn: &str, usage: &str, operation: &str) -> Fail {
    Fail(ServiceError::new(
        "InvalidKeyUsageException",
        format!("{arn} key usage is {usage} which is not valid for {operation}."),
    ))
}

pub fn invalid_key_usage(message: impl Into<String>) -> Fail {
    Fail(ServiceError::new("InvalidKeyUsageException", message))
}

/// AWS answers a ciphertext it cannot decrypt (tampered, wrong context, unknown key) without
/// saying why.
pub fn invalid_ciphertext() -> Fail {
    Fail(ServiceError::new("InvalidCiphertextException", ""))
}

pub fn incorrect_key() -> Fail {
    Fail(ServiceError::new(
        "IncorrectKeyException",
        "The key ID in the request does not identify a KMS key that can perform this operation.",
    ))
}

pub fn invalid_signature() -> Fail {
    Fail(ServiceError::new("KMSInvalidSignatureException", ""))
}

pub fn invalid_mac() -> Fail {
    Fail(ServiceError::new("KMSInvalidMacException", ""))
}

pub fn unsupported(message: impl Into<String>) -> Fail {
    Fail(ServiceError::new("UnsupportedOperationException", message))
}

pub fn already_exists(message: impl Into<String>) -> Fail {
    Fail(ServiceError::new("AlreadyExistsException", message))
}

pub fn limit_exceeded(message: impl Into<String>) -> Fail {
    Fail(ServiceError::new("LimitExceededException", message))
}

pub fn tag_error(message: impl Into<String>) -> Fail {
    Fail(ServiceError::new("TagException", message))
}

pub fn malformed_policy(message: impl Into<String>) -> Fail {
    Fail(ServiceError::new("MalformedPolicyDocumentException", message))
}

pub fn invalid_marker() -> Fail {
    Fail(ServiceError::new("InvalidMarkerException", "The request contains an invalid marker."))
}

/// The `alias/aws/` prefix belongs to AWS: callers may not create, point or delete such
/// aliases.
pub fn reserved_alias() -> Fail {
    Fail(ServiceError::new("NotAuthorizedException", "The alias/aws/ prefix is reserved for AWS managed keys.").with_status(400))
}

/// What AWS answers a change to an AWS managed key: its key policy allows no one to manage it.
pub fn aws_managed(ctx: &nimbus_core::RequestContext, action: &str, arn: &str) -> Fail {
    Fail(ServiceError::new(
        "AccessDeniedException",
        format!(
            "User: {} is not authorized to perform: kms:{action} on resource: {arn} because no resource-based policy allows the kms:{action} action",
            ctx.principal.arn
        ),
    ))
}

pub fn dry_run() -> Fail {
    Fail(ServiceError::new("DryRunOperationException", "The request would have succeeded, but the DryRun option is set."))
}

pub fn invalid_grant_id() -> Fail {
    Fail(ServiceError::new("InvalidGrantIdException", "Invalid grant ID."))
}

pub fn invalid_grant_token() -> Fail {
    Fail(ServiceError::new("InvalidGrantTokenException", "Invalid grant token."))
}

pub fn grant_not_found(grant_id: &str) -> Fail {
    Fail(ServiceError::new("NotFoundException", format!("Grant ID {grant_id} not found")))
}

pub fn custom_key_store_not_found() -> Fail {
    Fail(ServiceError::new("CustomKeyStoreNotFoundException", "Nimbus has no custom key stores."))
}

pub fn internal(message: impl Into<String>) -> Fail {
    Fail(ServiceError::new("KMSInternalException", message).with_status(500))
}
