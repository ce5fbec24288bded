//! What IAM persists, as versioned store records, all in scope `<account id>` (IAM is global).
//!
//! Entities are keyed by their lowercased name (IAM names are unique ignoring case, and kept
//! as given): users, groups, roles, customer managed policies, instance profiles. A user's
//! inline policies, attached policy ARNs, group names, login profile and access key metadata
//! live in its record, so one get resolves it; access key secrets live only in the server's
//! credential registry. Attachment counts are computed from the entities, never kept twice.

use std::collections::BTreeMap;

use nimbus_store::Record;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginProfile {
    pub created_ms: i64,
    pub password_reset_required: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKeyMeta {
    pub id: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRecord {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created_ms: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Inline policies: name → document as given.
    #[serde(default)]
    pub inline: BTreeMap<String, String>,
    /// Attached managed policy ARNs, in attachment order.
    #[serde(default)]
    pub attached: Vec<String>,
    #[serde(default)]
    pub boundary: Option<String>,
    /// Names of the groups the user is in.
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub login_profile: Option<LoginProfile>,
    #[serde(default)]
    pub access_keys: Vec<AccessKeyMeta>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupRecord {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created_ms: i64,
    #[serde(default)]
    pub inline: BTreeMap<String, String>,
    #[serde(default)]
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleRecord {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created_ms: i64,
    pub trust_policy: String,
    #[serde(default)]
    pub description: Option<String>,
    pub max_session_duration: i64,
    #[serde(default)]
    pub boundary: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub inline: BTreeMap<String, String>,
    #[serde(default)]
    pub attached: Vec<String>,
    /// The service of a service-linked role (`elasticbeanstalk.amazonaws.com`).
    #[serde(default)]
    pub service_linked: Option<String>,
    #[serde(default)]
    pub last_used_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub id: String,
    pub document: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub name: String,
    pub id: String,
    pub path: String,
    #[serde(default)]
    pub description: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub default_version: String,
    /// Oldest first.
    pub versions: Vec<PolicyVersion>,
    /// The number of the next version (`v<n>`): numbers are never reused.
    pub next_version: u32,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl PolicyRecord {
    pub fn default_document(&self) -> &str {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map_or("", |v| v.document.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceProfileRecord {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created_ms: i64,
    /// Role names (at most one).
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// An OpenID Connect provider, keyed by its URL without the scheme (`host/path`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OidcProviderRecord {
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub created_ms: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A SAML provider, keyed by its name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamlProviderRecord {
    pub name: String,
    pub metadata: String,
    pub created_ms: i64,
    pub valid_until_ms: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// Account-wide settings, one record keyed `account`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountRecord {
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The password policy as `PasswordPolicy` members (document form).
    #[serde(default)]
    pub password_policy: Option<serde_json::Value>,
}

/// A service-linked role deletion task (DeleteServiceLinkedRole is asynchronous on AWS).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeletionTaskRecord {
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
}

macro_rules! record {
    ($ty:ty, $kind:literal) => {
        impl Record for $ty {
            const KIND: &'static str = $kind;
            const VERSION: u32 = 1;
        }
    };
}

record!(UserRecord, "iam.user");
record!(GroupRecord, "iam.group");
record!(RoleRecord, "iam.role");
record!(PolicyRecord, "iam.policy");
record!(InstanceProfileRecord, "iam.instance-profile");
record!(OidcProviderRecord, "iam.oidc-provider");
record!(SamlProviderRecord, "iam.saml-provider");
record!(AccountRecord, "iam.account");
record!(DeletionTaskRecord, "iam.deletion-task");

/// An IAM entity with a name and a path (user, group, role, managed policy, instance
/// profile), stored under the key of its name.
pub trait PathNamed {
    fn name(&self) -> &str;
    fn path(&self) -> &str;
}

macro_rules! path_named {
    ($($ty:ty),+) => {$(
        impl PathNamed for $ty {
            fn name(&self) -> &str {
                &self.name
            }
            fn path(&self) -> &str {
                &self.path
            }
        }
    )+};
}

path_named!(
    UserRecord,
    GroupRecord,
    RoleRecord,
    PolicyRecord,
    InstanceProfileRecord
);

/// The store key of an entity name.
pub fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

pub const ACCOUNT_KEY: &str = "account";
