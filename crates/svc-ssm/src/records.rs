//! What Parameter Store persists, and how it is keyed.
//!
//! One [`ParameterRecord`] per parameter, keyed by the parameter's name, so a listing by key
//! prefix (`/a/b/`) walks exactly one branch of the hierarchy. Every version, the current one
//! included, is also a [`VersionRecord`] keyed `{name}:{version:020}`: names cannot contain `:`,
//! so the prefix `{name}:` holds exactly that parameter's versions, in version order.
//! A [`Counters`] record per scope tracks how many parameters each tier holds (the tier quotas).

use std::collections::BTreeMap;

use nimbus_store::Record;
use serde::{Deserialize, Serialize};

/// The three parameter types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamType {
    String,
    StringList,
    SecureString,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "String",
            ParamType::StringList => "StringList",
            ParamType::SecureString => "SecureString",
        }
    }

    pub fn parse(s: &str) -> Option<ParamType> {
        match s {
            "String" => Some(ParamType::String),
            "StringList" => Some(ParamType::StringList),
            "SecureString" => Some(ParamType::SecureString),
            _ => None,
        }
    }
}

/// The tier a parameter is stored in (Intelligent-Tiering is a request option that resolves to
/// one of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tier {
    Standard,
    Advanced,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Standard => "Standard",
            Tier::Advanced => "Advanced",
        }
    }
}

/// A parameter value at rest. SecureString values are never stored in plaintext: they are
/// encrypted under their KMS key (`Kms`, `KmsEnvelope`) when Parameter Store has a key manager,
/// otherwise (and in records from before KMS was wired in) sealed under the store's master key,
/// authenticated with the parameter ARN and version (`Sealed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredValue {
    Plain {
        text: String,
    },
    /// Base64 of the sealed bytes. This base64 string is also what reads without decryption
    /// return as the SecureString's (opaque) value, so it is stable for a given version.
    Sealed {
        sealed: String,
    },
    /// Base64 of the KMS ciphertext blob of the value (KMS Encrypt under the parameter's key,
    /// encryption context `PARAMETER_ARN`), as AWS encrypts standard parameters; also what
    /// reads without decryption return, exactly as on AWS.
    Kms {
        ciphertext: String,
    },
    /// Values too long for KMS Encrypt (over 4 KiB, advanced tier): envelope encryption, as AWS
    /// does for advanced parameters. `data_key`: base64 of the data key's KMS ciphertext blob
    /// (same encryption context); `sealed`: base64 of the value under the data key.
    KmsEnvelope {
        data_key: String,
        sealed: String,
    },
}

/// One policy of a parameter, as attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub policy_type: String,
    /// The policy's JSON, compact.
    pub text: String,
}

/// Everything that makes up one version of a parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionData {
    pub version: i64,
    pub param_type: ParamType,
    pub value: StoredValue,
    /// Set for SecureString only.
    pub key_id: Option<String>,
    pub description: Option<String>,
    pub allowed_pattern: Option<String>,
    pub tier: Tier,
    pub policies: Vec<StoredPolicy>,
    /// When the version's Expiration policy deletes the parameter (epoch milliseconds).
    pub expires_at_ms: Option<i64>,
    pub data_type: String,
    pub modified_ms: i64,
    pub modified_user: String,
}

/// The current state of one parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterRecord {
    pub name: String,
    pub current: VersionData,
    /// Label -> version it is attached to. A label is on at most one version.
    pub labels: BTreeMap<String, i64>,
    /// Tags in the order they were first added.
    pub tags: Vec<(String, String)>,
}

impl ParameterRecord {
    /// Whether the parameter's Expiration policy has deleted it by `now_ms`.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.current.expires_at_ms.is_some_and(|at| at <= now_ms)
    }

    /// The labels attached to `version`, in label order.
    pub fn labels_of(&self, version: i64) -> Vec<String> {
        self.labels.iter().filter(|(_, v)| **v == version).map(|(l, _)| l.clone()).collect()
    }
}

impl Record for ParameterRecord {
    const KIND: &'static str = "ssm.parameter";
    /// 2: SecureString values may be KMS-encrypted ([`StoredValue::Kms`], `KmsEnvelope`).
    const VERSION: u32 = 2;

    fn migrate(from_version: u32, value: serde_json::Value) -> nimbus_store::Result<serde_json::Value> {
        migrate_v1(Self::KIND, from_version, value)
    }
}

/// One retained version of a parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub name: String,
    pub data: VersionData,
}

impl Record for VersionRecord {
    const KIND: &'static str = "ssm.parameter-version";
    /// 2: SecureString values may be KMS-encrypted ([`StoredValue::Kms`], `KmsEnvelope`).
    const VERSION: u32 = 2;

    fn migrate(from_version: u32, value: serde_json::Value) -> nimbus_store::Result<serde_json::Value> {
        migrate_v1(Self::KIND, from_version, value)
    }
}

/// How many parameters of each tier a scope holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub standard: u64,
    pub advanced: u64,
}

impl Counters {
    pub const KEY: &'static str = "tiers";

    pub fn add(&mut self, tier: Tier) {
        match tier {
            Tier::Standard => self.standard += 1,
            Tier::Advanced => self.advanced += 1,
        }
    }

    pub fn remove(&mut self, tier: Tier) {
        match tier {
            Tier::Standard => self.standard = self.standard.saturating_sub(1),
            Tier::Advanced => self.advanced = self.advanced.saturating_sub(1),
        }
    }
}

impl Record for Counters {
    const KIND: &'static str = "ssm.counters";
    const VERSION: u32 = 1;
}

/// Version 1 records (master-key sealed SecureStrings only) are valid version 2 records.
fn migrate_v1(kind: &str, from_version: u32, value: serde_json::Value) -> nimbus_store::Result<serde_json::Value> {
    match from_version {
        1 => Ok(value),
        other => Err(nimbus_store::StoreError::Corrupt(format!("{kind} has no migration from version {other}"))),
    }
}

/// Key of a version record.
pub fn version_key(name: &str, version: i64) -> String {
    format!("{name}:{version:020}")
}

/// Key prefix holding every version record of `name`.
pub fn versions_prefix(name: &str) -> String {
    format!("{name}:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_keys_sort_numerically_and_stay_within_their_parameter() {
        assert!(version_key("/a", 9) < version_key("/a", 10));
        assert!(version_key("/a", 100) < version_key("/a", 1000));
        assert!(version_key("/a", 1).starts_with(&versions_prefix("/a")));
        assert!(!version_key("/a/b", 1).starts_with(&versions_prefix("/a")));
        assert!(!version_key("/ab", 1).starts_with(&versions_prefix("/a")));
    }
}
