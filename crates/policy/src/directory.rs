//! Where a principal's policies come from. IAM implements [`Directory`]; the server (for
//! enforcement) and STS (for trust policies) call it. Policies come back already parsed, so a
//! request pays no parsing.

use std::sync::Arc;

use crate::Policy;

/// Everything attached to one IAM identity that decides its requests.
#[derive(Debug, Clone, Default)]
pub struct PrincipalPolicies {
    /// Inline and attached managed policies (default versions), and, for a user, those of
    /// every group the user is in.
    pub identity: Vec<Arc<Policy>>,
    pub boundary: Option<Arc<Policy>>,
    /// The user's or role's tags (`aws:PrincipalTag/<key>`).
    pub tags: Vec<(String, String)>,
}

/// What STS needs to assume a role.
#[derive(Debug, Clone)]
pub struct RoleTrust {
    /// `arn:aws:iam::<account>:role/<path><name>`
    pub arn: String,
    /// `AROA...`
    pub role_id: String,
    pub trust_policy: Arc<Policy>,
    /// Seconds, 3600..=43200.
    pub max_session_duration: i64,
    pub tags: Vec<(String, String)>,
}

/// An IAM OpenID Connect identity provider, as AssumeRoleWithWebIdentity checks tokens with.
#[derive(Debug, Clone)]
pub struct OidcProvider {
    /// `arn:aws:iam::<account>:oidc-provider/<host and path>`
    pub arn: String,
    /// The provider's URL without its scheme (`token.actions.githubusercontent.com`): the
    /// prefix of its condition keys (`<url>:aud`, `<url>:sub`).
    pub url: String,
    /// Audiences a token may name (`aud`).
    pub client_ids: Vec<String>,
}

pub trait Directory: Send + Sync {
    /// The policies of an IAM user (`arn:aws:iam::<acct>:user/<path><name>`), a role
    /// (`...:role/...`) or a role session (`arn:aws:sts::<acct>:assumed-role/<role name>/<session>`,
    /// which resolves to the role). `None` when no such identity exists (any more).
    fn principal_policies(&self, principal_arn: &str) -> Option<PrincipalPolicies>;

    /// The role named by `role_arn` (path included or not), `None` if it does not exist.
    fn role(&self, role_arn: &str) -> Option<RoleTrust>;

    /// A managed policy's default version (`arn:aws:iam::<acct>:policy/...` or
    /// `arn:aws:iam::aws:policy/...`): AssumeRole's `PolicyArns` session policies.
    fn managed_policy(&self, policy_arn: &str) -> Option<Arc<Policy>> {
        let _ = policy_arn;
        None
    }

    /// The OIDC provider of `account_id` whose URL is `issuer` (scheme ignored, as IAM matches
    /// a token's `iss`), `None` if the account registered none.
    fn oidc_provider(&self, account_id: &str, issuer: &str) -> Option<OidcProvider> {
        let _ = (account_id, issuer);
        None
    }
}
