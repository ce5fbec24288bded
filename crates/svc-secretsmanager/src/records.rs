//! What Secrets Manager persists, as versioned store records.
//!
//! Two kinds, both in scope `"{account}/{region}"`:
//! - [`SecretRecord`] (`secretsmanager.secret`), keyed by the secret's name: all metadata,
//!   including every version's id, staging labels and dates, so listing and describing never
//!   touch secret values.
//! - [`SecretValueRecord`] (`secretsmanager.secret-value`), keyed by `"{uid}/{version id}"`: one
//!   version's value, sealed with the store's key. `uid` is unique per secret incarnation, so a
//!   secret re-created under a deleted one's name never sees the old values.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use nimbus_store::{Record, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// `RotationRulesType`, as the caller gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatically_after_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Rotation {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<RotationRules>,
    /// `ExternalSecretRotationMetadata` (key, value) pairs, in the caller's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_metadata: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotated_ms: Option<i64>,
    /// When rotation was last (re)configured: the base of the schedule until a rotation ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configured_ms: Option<i64>,
}

/// One version of a secret (its value lives in a [`SecretValueRecord`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionMeta {
    pub id: String,
    /// Creation order within the secret (pagination of ListSecretVersionIds).
    pub seq: u64,
    pub stages: Vec<String>,
    pub created_ms: i64,
    /// Day (midnight UTC) the value was last read, as AWS reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_accessed_ms: Option<i64>,
    /// The secret's KmsKeyId when this version was written (`None`: aws/secretsmanager).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

impl VersionMeta {
    pub fn has_stage(&self, stage: &str) -> bool {
        self.stages.iter().any(|s| s == stage)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretRecord {
    pub name: String,
    pub arn: String,
    pub uid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// The `Type` member (managed external secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_type: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    pub created_ms: i64,
    pub last_changed_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_accessed_ms: Option<i64>,
    /// When DeleteSecret was called (`DeletedDate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_ms: Option<i64>,
    /// When the recovery window ends and the secret is gone for good (`DeletionDate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at_ms: Option<i64>,
    #[serde(default)]
    pub rotation: Rotation,
    /// The `default` resource policy, as the caller wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(default)]
    pub block_public_policy: bool,
    /// Oldest first.
    #[serde(default)]
    pub versions: Vec<VersionMeta>,
    #[serde(default)]
    pub next_seq: u64,
}

impl Record for SecretRecord {
    const KIND: &'static str = "secretsmanager.secret";
    const VERSION: u32 = 1;
}

impl SecretRecord {
    pub fn version(&self, id: &str) -> Option<&VersionMeta> {
        self.versions.iter().find(|v| v.id == id)
    }

    pub fn version_mut(&mut self, id: &str) -> Option<&mut VersionMeta> {
        self.versions.iter_mut().find(|v| v.id == id)
    }

    pub fn version_with_stage(&self, stage: &str) -> Option<&VersionMeta> {
        self.versions.iter().find(|v| v.has_stage(stage))
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_ms.is_some()
    }

    /// Key of a version's value record.
    pub fn value_key(&self, version_id: &str) -> String {
        value_key(&self.uid, version_id)
    }

    /// Associated data binding a sealed value to its secret and version.
    pub fn value_aad(&self, version_id: &str) -> Vec<u8> {
        value_aad(&self.arn, version_id)
    }
}

/// Associated data binding a sealed value to its secret (ARN) and version.
pub fn value_aad(arn: &str, version_id: &str) -> Vec<u8> {
    format!("{arn}/{version_id}").into_bytes()
}

pub fn value_key(uid: &str, version_id: &str) -> String {
    format!("{uid}/{version_id}")
}

/// The prefix shared by all value records of one secret incarnation.
pub fn value_prefix(uid: &str) -> String {
    format!("{uid}/")
}

/// A secret version's value, encrypted one of two ways:
/// - `kms`: envelope encryption, as AWS does it: a KMS data key (GenerateDataKey under the
///   secret's key, encryption context `SecretARN` + `SecretVersionId`) encrypts the value with
///   AES-256-GCM; only the data key's KMS ciphertext is kept;
/// - `sealed`: AES-256-GCM under the store's master key (versions written before KMS was wired
///   in, version 1 of this record, and Nimbus run without a key manager).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretValueRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms: Option<KmsSealed>,
}

/// A value under a KMS data key (all byte strings base64).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KmsSealed {
    /// The ARN of the KMS key that encrypted the data key.
    pub key_arn: String,
    /// The data key's KMS ciphertext blob.
    pub data_key: String,
    /// The value, sealed under the plaintext data key (same layout as the store's sealing).
    pub value: String,
}

impl Record for SecretValueRecord {
    const KIND: &'static str = "secretsmanager.secret-value";
    /// 2: `sealed` became optional beside `kms` (envelope encryption under a KMS key).
    const VERSION: u32 = 2;

    fn migrate(from_version: u32, value: serde_json::Value) -> Result<serde_json::Value, StoreError> {
        match from_version {
            // `{"sealed": ...}` reads as a version 2 record sealed with the master key.
            1 => Ok(value),
            other => Err(StoreError::Corrupt(format!("{} has no migration from version {other}", Self::KIND))),
        }
    }
}

impl SecretValueRecord {
    pub fn from_sealed(sealed: &[u8]) -> Self {
        SecretValueRecord { sealed: Some(STANDARD.encode(sealed)), kms: None }
    }

    pub fn from_kms(key_arn: String, data_key: &[u8], value: &[u8]) -> Self {
        SecretValueRecord {
            sealed: None,
            kms: Some(KmsSealed { key_arn, data_key: STANDARD.encode(data_key), value: STANDARD.encode(value) }),
        }
    }
}

/// Decodes a base64 member of a value record.
pub fn decode_b64(what: &str, encoded: &str) -> Result<Vec<u8>, StoreError> {
    STANDARD.decode(encoded).map_err(|e| StoreError::Corrupt(format!("{what} of a secret value is not base64: {e}")))
}

/// A secret value in the clear: only ever in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretValue {
    String(String),
    Binary(Vec<u8>),
}

const STRING_TAG: u8 = b'S';
const BINARY_TAG: u8 = b'B';

impl SecretValue {
    /// The plaintext that gets sealed: a one-byte type tag, then the value's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let (tag, bytes) = match self {
            SecretValue::String(s) => (STRING_TAG, s.as_bytes()),
            SecretValue::Binary(b) => (BINARY_TAG, b.as_slice()),
        };
        let mut out = Vec::with_capacity(bytes.len() + 1);
        out.push(tag);
        out.extend_from_slice(bytes);
        out
    }

    pub fn decode(plain: &[u8]) -> Result<SecretValue, StoreError> {
        match plain.split_first() {
            Some((&STRING_TAG, rest)) => String::from_utf8(rest.to_vec())
                .map(SecretValue::String)
                .map_err(|_| StoreError::Corrupt("secret string is not UTF-8".into())),
            Some((&BINARY_TAG, rest)) => Ok(SecretValue::Binary(rest.to_vec())),
            _ => Err(StoreError::Corrupt("secret value has an unknown type tag".into())),
        }
    }
}
