//! What KMS persists, and how it is keyed.
//!
//! - [`KeyRecord`]: one per key, scope `{account}/{region}`, keyed by key id. Its key material
//!   versions are sealed with the store's master key (AAD: account, key id and material id), so
//!   no key material is ever stored in plaintext.
//! - [`AliasRecord`]: scope `{account}/{region}`, keyed by alias name (`alias/app`).
//! - [`GrantRecord`]: scope `{account}/{region}/{key id}`, keyed by grant id.
//! - [`DueRecord`]: clock-driven work (a scheduled deletion, the next automatic rotation, the
//!   expiry of imported material), scope [`DUE_SCOPE`], keyed so that key order is due order:
//!   the sweeper reads from the start and stops at the first entry still in the future.
//! - [`ImportTokenRecord`]: a GetParametersForImport wrapping key, scope `{account}/{region}`,
//!   keyed by token id.

use nimbus_store::Record;
use serde::{Deserialize, Serialize};

use crate::spec::{KeySpec, KeyUsage, Origin};

pub const DUE_SCOPE: &str = "kms";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
    PendingImport,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
            KeyState::PendingImport => "PendingImport",
        }
    }
}

/// How a key material version came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RotationType {
    Automatic,
    OnDemand,
}

impl RotationType {
    pub fn as_str(self) -> &'static str {
        match self {
            RotationType::Automatic => "AUTOMATIC",
            RotationType::OnDemand => "ON_DEMAND",
        }
    }
}

/// One version of a key's material. Versions are never removed (old ciphertexts name them by
/// index); deleting imported material empties `sealed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    /// 64 hex digits (`KeyMaterialId`).
    pub id: String,
    /// Base64 of the sealed material (a raw symmetric or HMAC key, or a PKCS#8 private key).
    pub sealed: Option<String>,
    pub created_ms: i64,
    /// `None` for the key's first material.
    pub rotation: Option<RotationType>,
    pub imported: bool,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    pub due_ms: i64,
    pub window_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoRotation {
    pub period_days: i64,
    pub next_ms: i64,
}

/// Imported key material's lifetime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedExpiry {
    pub expires: bool,
    pub valid_to_ms: Option<i64>,
}

/// A multi-region key's place in its family. The primary lists its replicas' regions; a
/// replica names the primary's region and reads the family from the primary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiRegion {
    pub primary_region: String,
    pub replica_regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub key_id: String,
    pub account: String,
    pub region: String,
    pub created_ms: i64,
    pub description: String,
    pub usage: KeyUsage,
    pub spec: KeySpec,
    pub origin: Origin,
    /// `Some(service)` for AWS managed keys (`s3` for `alias/aws/s3`).
    pub aws_service: Option<String>,
    pub state: KeyState,
    pub deletion: Option<Deletion>,
    pub policy: String,
    pub tags: Vec<(String, String)>,
    pub materials: Vec<Material>,
    /// Index in `materials` of the version new ciphertexts use.
    pub current: usize,
    pub rotation: Option<AutoRotation>,
    pub multi_region: Option<MultiRegion>,
    pub imported_expiry: Option<ImportedExpiry>,
}

impl KeyRecord {
    pub fn arn(&self) -> String {
        key_arn(&self.region, &self.account, &self.key_id)
    }

    pub fn is_aws_managed(&self) -> bool {
        self.aws_service.is_some()
    }

    pub fn enabled(&self) -> bool {
        self.state == KeyState::Enabled
    }

    pub fn current_material(&self) -> Option<&Material> {
        self.materials.get(self.current)
    }
}

impl Record for KeyRecord {
    const KIND: &'static str = "kms.key";
    const VERSION: u32 = 1;
    // Read by every cryptographic request, written only by key management.
    const CACHED: bool = true;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRecord {
    pub name: String,
    pub target_key_id: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Record for AliasRecord {
    const KIND: &'static str = "kms.alias";
    const VERSION: u32 = 1;
    const CACHED: bool = true;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRecord {
    pub grant_id: String,
    pub key_id: String,
    pub name: Option<String>,
    pub created_ms: i64,
    pub grantee: Option<String>,
    pub grantee_service: Option<String>,
    pub retiring: Option<String>,
    pub retiring_service: Option<String>,
    pub issuing_account: String,
    pub operations: Vec<String>,
    /// `EncryptionContextSubset` / `EncryptionContextEquals` / `SourceArn`, in document form.
    pub constraints: Option<serde_json::Value>,
}

impl Record for GrantRecord {
    const KIND: &'static str = "kms.grant";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DueWork {
    Deletion,
    Rotation,
    MaterialExpiry,
}

impl DueWork {
    fn tag(self) -> &'static str {
        match self {
            DueWork::Deletion => "d",
            DueWork::Rotation => "r",
            DueWork::MaterialExpiry => "x",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueRecord {
    pub work: DueWork,
    pub due_ms: i64,
    pub account: String,
    pub region: String,
    pub key_id: String,
}

impl DueRecord {
    pub fn new(work: DueWork, due_ms: i64, key: &KeyRecord) -> DueRecord {
        DueRecord { work, due_ms, account: key.account.clone(), region: key.region.clone(), key_id: key.key_id.clone() }
    }

    /// `{due ms, zero-padded}/{work}/{account}/{region}/{key id}`: key order is due order.
    pub fn key(&self) -> String {
        format!("{:020}/{}/{}/{}/{}", self.due_ms.max(0), self.work.tag(), self.account, self.region, self.key_id)
    }
}

impl Record for DueRecord {
    const KIND: &'static str = "kms.due";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportTokenRecord {
    pub key_id: String,
    pub wrapping_algorithm: String,
    /// Base64 of the sealed PKCS#8 wrapping private key.
    pub sealed_private_key: String,
    pub valid_to_ms: i64,
}

impl Record for ImportTokenRecord {
    const KIND: &'static str = "kms.import-token";
    const VERSION: u32 = 1;
}

pub fn scope(account: &str, region: &str) -> String {
    format!("{account}/{region}")
}

pub fn grant_scope(account: &str, region: &str, key_id: &str) -> String {
    format!("{account}/{region}/{key_id}")
}

pub fn key_arn(region: &str, account: &str, key_id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{key_id}")
}

pub fn alias_arn(region: &str, account: &str, alias_name: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:{alias_name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_keys_sort_by_due_time() {
        let key = |ms| DueRecord { work: DueWork::Rotation, due_ms: ms, account: "1".into(), region: "r".into(), key_id: "k".into() }.key();
        assert!(key(9) < key(10));
        assert!(key(999_999_999_999) < key(1_000_000_000_000));
    }
}
