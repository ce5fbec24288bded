//! Encryption of secret values under KMS keys, as AWS does it ("Secret encryption and decryption
//! in AWS Secrets Manager"): envelope encryption with a fresh 256-bit data key per version, from
//! GenerateDataKey under the secret's KMS key (or the AWS-managed `aws/secretsmanager`, created
//! by KMS on first use), with the encryption context `SecretARN` + `SecretVersionId`. The data
//! key's KMS ciphertext is stored beside the value; reading decrypts it through KMS, so a
//! disabled or deleted key makes the value unreadable (`DecryptionFailure`).
//!
//! KMS calls never run inside a store transaction (KMS writes to the same store, for instance
//! when it creates `aws/secretsmanager`): writes encrypt before their transaction, reads decrypt
//! after theirs.

use nimbus_core::kms::KmsCaller;
use nimbus_core::{RequestContext, ServiceError};

use crate::SecretsManager;
use crate::errors::{Failure, Res, fail};
use crate::records::{SecretRecord, SecretValue, SecretValueRecord, VersionMeta, decode_b64, value_aad};

/// The AWS-managed key a secret without a KmsKeyId is encrypted with.
pub const DEFAULT_KEY: &str = "alias/aws/secretsmanager";

/// `EncryptionFailure`, with the exception's documented message (API reference, errors of
/// CreateSecret / PutSecretValue / UpdateSecret).
pub fn encryption_failure() -> ServiceError {
    ServiceError::new(
        "EncryptionFailure",
        "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key is available, enabled, and not in an invalid state. For more information, see Key state: Effect on your KMS key.",
    )
}

/// `DecryptionFailure`, with the exception's documented message (API reference, errors of
/// GetSecretValue).
pub fn decryption_failure() -> ServiceError {
    ServiceError::new(
        "DecryptionFailure",
        "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
    )
}

/// A KMS error seen by Secrets Manager: Nimbus's own failures stay 500s; everything the caller
/// can fix (missing, disabled, pending-deletion, wrong key type) becomes `replacement`.
fn kms_failure(e: ServiceError, replacement: fn() -> ServiceError) -> Failure {
    if e.code == "InternalFailure" { Failure::from(e) } else { Failure::from(replacement()) }
}

fn context(arn: &str, version_id: &str) -> [(String, String); 2] {
    [("SecretARN".to_owned(), arn.to_owned()), ("SecretVersionId".to_owned(), version_id.to_owned())]
}

fn caller(ctx: &RequestContext) -> KmsCaller<'_> {
    KmsCaller { account_id: &ctx.account_id, region: &ctx.region }
}

/// The outcome of deciding, before the write transaction, what a write of `value` under version
/// id `token` does.
pub enum Prepared {
    /// The token names an existing version with the same value: a retry, nothing to write.
    Retry(VersionMeta),
    /// A new version, its value already encrypted.
    New(SecretValueRecord),
}

impl SecretsManager {
    /// Encrypts one version's value: under `kms_key_id` (or `aws/secretsmanager`) when Nimbus has
    /// a key manager, else with the store's master key.
    pub(crate) fn seal_value(
        &self,
        ctx: &RequestContext,
        arn: &str,
        version_id: &str,
        kms_key_id: Option<&str>,
        value: &SecretValue,
    ) -> Res<SecretValueRecord> {
        let aad = value_aad(arn, version_id);
        let Some(keys) = &self.keys else {
            return Ok(SecretValueRecord::from_sealed(&self.store.seal(&value.encode(), &aad)?));
        };
        let key_id = kms_key_id.unwrap_or(DEFAULT_KEY);
        let data_key = keys
            .generate_data_key(caller(ctx), key_id, &context(arn, version_id))
            .map_err(|e| kms_failure(e, encryption_failure))?;
        let sealed = nimbus_store::seal_with_key(&data_key.plaintext, &value.encode(), &aad)?;
        Ok(SecretValueRecord::from_kms(data_key.key_arn, &data_key.ciphertext, &sealed))
    }

    /// Decrypts one version's value (either form of [`SecretValueRecord`]).
    pub(crate) fn open_value(
        &self,
        ctx: &RequestContext,
        arn: &str,
        version_id: &str,
        record: &SecretValueRecord,
    ) -> Res<SecretValue> {
        let aad = value_aad(arn, version_id);
        let plain = match (&record.kms, &record.sealed) {
            (Some(kms), _) => {
                let Some(keys) = &self.keys else {
                    return fail(ServiceError::internal(
                        "this secret version is encrypted under a KMS key, but Nimbus runs without KMS",
                    ));
                };
                let data_key = keys
                    .decrypt(caller(ctx), &decode_b64("data key", &kms.data_key)?, &context(arn, version_id))
                    .map_err(|e| kms_failure(e, decryption_failure))?;
                nimbus_store::unseal_with_key(&data_key.plaintext, &decode_b64("value", &kms.value)?, &aad)?
            }
            (None, Some(sealed)) => self.store.unseal(&decode_b64("sealed value", sealed)?, &aad)?,
            (None, None) => return fail(ServiceError::internal("secret value record holds no value")),
        };
        Ok(SecretValue::decode(&plain)?)
    }

    /// Checks that `kms_key_id` names a usable symmetric key (UpdateSecret changing the key).
    pub(crate) fn check_key(&self, ctx: &RequestContext, kms_key_id: &str) -> Res<()> {
        match &self.keys {
            Some(keys) => {
                keys.resolve_key(caller(ctx), kms_key_id).map_err(|e| kms_failure(e, encryption_failure))?;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Decides what a write of `value` as version `token` of `secret` does. `existing` is the
    /// stored value of version `token`, if that version exists: the same value makes the request
    /// a retry, a different one is `conflict`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn prepare_version(
        &self,
        ctx: &RequestContext,
        secret: &SecretRecord,
        existing: Option<SecretValueRecord>,
        token: &str,
        value: &SecretValue,
        kms_key_id: Option<&str>,
        conflict: impl FnOnce() -> ServiceError,
    ) -> Res<Prepared> {
        if let (Some(record), Some(version)) = (existing, secret.version(token)) {
            let stored = self.open_value(ctx, &secret.arn, token, &record)?;
            return if stored == *value { Ok(Prepared::Retry(version.clone())) } else { fail(conflict()) };
        }
        Ok(Prepared::New(self.seal_value(ctx, &secret.arn, token, kms_key_id, value)?))
    }
}
