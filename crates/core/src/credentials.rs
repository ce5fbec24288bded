//! Credentials Nimbus knows, so it can verify their signatures.

/// One access key Nimbus can verify: the defaults (`test`/`test`), declared ones, STS session
/// keys, IAM user keys.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
}

/// Where the server looks a key up and where STS/IAM record the keys they issue.
pub trait CredentialRegistry: Send + Sync {
    fn lookup(&self, access_key_id: &str) -> Option<Credential>;
    fn register(&self, credential: Credential) -> Result<(), crate::ServiceError>;
    fn remove(&self, access_key_id: &str) -> Result<(), crate::ServiceError>;
}
