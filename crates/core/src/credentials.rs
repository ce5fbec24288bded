//! Credentials Nimbus knows, so it can verify their signatures.

/// One access key Nimbus can verify: the defaults (`test`/`test`), declared ones, STS session
/// keys, IAM user keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Present for temporary credentials: requests must carry it as `X-Amz-Security-Token`.
    pub session_token: Option<String>,
    pub account_id: String,
    pub principal_arn: String,
    pub user_id: String,
    /// Milliseconds since the epoch on Nimbus's clock; `None` never expires.
    pub expires_at_ms: Option<i64>,
    /// Inactive IAM keys are known but refused.
    pub active: bool,
    /// What an STS session carries beyond its identity (AssumeRole, GetFederationToken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
}

/// The parts of a temporary session that take part in authorization.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// The IAM identity whose policies the session has: the role (its ARN with the path) for
    /// AssumeRole, the calling IAM user for GetFederationToken and GetSessionToken.
    #[serde(default)]
    pub identity_arn: Option<String>,
    /// Session policy documents (the inline `Policy` and the `PolicyArns` documents, resolved
    /// when the session began): each must allow what the session does.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Session tags (`aws:PrincipalTag/<key>` over the role's own tags).
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    #[serde(default)]
    pub transitive_tag_keys: Vec<String>,
    #[serde(default)]
    pub source_identity: Option<String>,
}

/// Where the server looks a key up and where STS/IAM record the keys they issue.
pub trait CredentialRegistry: Send + Sync {
    fn lookup(&self, access_key_id: &str) -> Option<Credential>;
    fn register(&self, credential: Credential) -> Result<(), crate::ServiceError>;
    fn remove(&self, access_key_id: &str) -> Result<(), crate::ServiceError>;
}
