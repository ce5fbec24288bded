//! KMS as other services use it (Secrets Manager, SSM SecureString, S3 SSE-KMS, SQS SSE): the
//! contract svc-kms implements and the binary hands to the services that encrypt. Service crates
//! never depend on each other, so this is the only way they reach KMS.

use crate::ServiceError;

/// Who is asking, so aliases and key ids resolve in the right account and region, and
/// AWS-managed keys (`alias/aws/<service>`) are created in that account on first use.
#[derive(Debug, Clone, Copy)]
pub struct KmsCaller<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
}

/// A fresh data key: `plaintext` for the caller to use and forget, `ciphertext` (a KMS
/// ciphertext blob, as `GenerateDataKey` returns) to store beside the data.
#[derive(Clone)]
pub struct DataKey {
    pub plaintext: Vec<u8>,
    pub ciphertext: Vec<u8>,
    /// The ARN of the KMS key that encrypted it.
    pub key_arn: String,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey").field("key_arn", &self.key_arn).finish_non_exhaustive()
    }
}

/// The outcome of [`KeyManager::decrypt`].
#[derive(Clone)]
pub struct Decrypted {
    pub plaintext: Vec<u8>,
    pub key_arn: String,
}

/// Encryption context pairs (bound as authenticated data; order does not matter).
pub type EncryptionContext<'a> = &'a [(String, String)];

/// Errors are KMS's own (`NotFoundException`, `DisabledException`, `KMSInvalidStateException`,
/// `InvalidCiphertextException`, `IncorrectKeyException`); the calling service maps them to
/// its own error shapes.
pub trait KeyManager: Send + Sync {
    /// The ARN of the symmetric key `key_id` names (key id, key ARN, `alias/<name>` or alias
    /// ARN), creating an AWS-managed `alias/aws/<service>` key on first use. Fails for a
    /// missing, disabled or pending-deletion key, as Encrypt would.
    fn resolve_key(&self, caller: KmsCaller, key_id: &str) -> Result<String, ServiceError>;

    /// `GenerateDataKey` with `KeySpec=AES_256`.
    fn generate_data_key(&self, caller: KmsCaller, key_id: &str, context: EncryptionContext) -> Result<DataKey, ServiceError>;

    /// `Encrypt` (plaintext up to 4 KiB).
    fn encrypt(&self, caller: KmsCaller, key_id: &str, plaintext: &[u8], context: EncryptionContext) -> Result<Vec<u8>, ServiceError>;

    /// `Decrypt` of a ciphertext blob from `encrypt` or `generate_data_key` (the key is found
    /// from the ciphertext).
    fn decrypt(&self, caller: KmsCaller, ciphertext: &[u8], context: EncryptionContext) -> Result<Decrypted, ServiceError>;
}
