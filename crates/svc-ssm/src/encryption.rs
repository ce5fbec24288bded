//! SecureString values under KMS keys, as AWS does it ("How AWS Systems Manager Parameter Store
//! uses AWS KMS"): a standard parameter's value is encrypted directly with KMS Encrypt under the
//! parameter's key (`KeyId`, or the AWS-managed `alias/aws/ssm`, which KMS creates on first
//! use), with the encryption context `PARAMETER_ARN` = the parameter's ARN; values too long for
//! Encrypt (advanced parameters) use envelope encryption with a data key under the same key and
//! context. Reads without decryption return the base64 ciphertext; with decryption, the key must
//! be usable, else `InvalidKeyId` carrying KMS's own error, as AWS reports it.
//!
//! KMS calls never run inside a store transaction (KMS writes to the same store).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::{KmsCaller, RequestContext, ServiceError};

use crate::errors::{Fail, Res};
use crate::records::StoredValue;
use crate::{Ssm, names};

/// The largest plaintext KMS Encrypt takes; longer values use a data key.
const MAX_DIRECT: usize = 4096;

fn caller(ctx: &RequestContext) -> KmsCaller<'_> {
    KmsCaller { account_id: &ctx.account_id, region: &ctx.region }
}

fn context(ctx: &RequestContext, name: &str) -> [(String, String); 1] {
    [("PARAMETER_ARN".to_owned(), names::arn(ctx, name))]
}

/// A KMS failure as Parameter Store reports it: `InvalidKeyId`, with KMS's message and the
/// service-call details AWS's Java services append. Nimbus's own failures stay 500s.
fn kms_failure(e: ServiceError) -> Fail {
    if e.code == "InternalFailure" {
        return Fail(e);
    }
    Fail(ServiceError::new(
        "InvalidKeyId",
        format!(
            "{} (Service: AWSKMS; Status Code: 400; Error Code: {}; Request ID: {}; Proxy: null)",
            e.message,
            e.code,
            nimbus_core::ids::uuid()
        ),
    ))
}

fn corrupt(e: impl std::fmt::Display) -> Fail {
    Fail(ServiceError::internal(format!("stored SecureString is corrupt: {e}")))
}

impl Ssm {
    /// Encrypts a SecureString value under `key_id` through KMS; `None` when Parameter Store has
    /// no key manager (the value is then sealed with the master key inside the transaction).
    pub(crate) fn kms_seal(
        &self,
        ctx: &RequestContext,
        name: &str,
        key_id: &str,
        value: &str,
    ) -> Res<Option<StoredValue>> {
        let Some(keys) = &self.keys else { return Ok(None) };
        let context = context(ctx, name);
        if value.len() <= MAX_DIRECT {
            let blob = keys.encrypt(caller(ctx), key_id, value.as_bytes(), &context).map_err(kms_failure)?;
            return Ok(Some(StoredValue::Kms { ciphertext: B64.encode(blob) }));
        }
        let data_key = keys.generate_data_key(caller(ctx), key_id, &context).map_err(kms_failure)?;
        let sealed =
            nimbus_store::seal_with_key(&data_key.plaintext, value.as_bytes(), names::arn(ctx, name).as_bytes())?;
        Ok(Some(StoredValue::KmsEnvelope { data_key: B64.encode(&data_key.ciphertext), sealed: B64.encode(sealed) }))
    }

    /// Decrypts a KMS-encrypted SecureString value.
    pub(crate) fn kms_open(&self, ctx: &RequestContext, name: &str, value: &StoredValue) -> Res<Vec<u8>> {
        let Some(keys) = &self.keys else {
            return Err(Fail(ServiceError::internal(
                "this SecureString is encrypted under a KMS key, but Nimbus runs without KMS",
            )));
        };
        let context = context(ctx, name);
        match value {
            StoredValue::Kms { ciphertext } => {
                let blob = B64.decode(ciphertext).map_err(corrupt)?;
                Ok(keys.decrypt(caller(ctx), &blob, &context).map_err(kms_failure)?.plaintext)
            }
            StoredValue::KmsEnvelope { data_key, sealed } => {
                let blob = B64.decode(data_key).map_err(corrupt)?;
                let data_key = keys.decrypt(caller(ctx), &blob, &context).map_err(kms_failure)?;
                let sealed = B64.decode(sealed).map_err(corrupt)?;
                Ok(nimbus_store::unseal_with_key(&data_key.plaintext, &sealed, names::arn(ctx, name).as_bytes())?)
            }
            _ => Err(Fail(ServiceError::internal("not a KMS-encrypted value"))),
        }
    }
}
