//! Who asks, for what, with which condition keys.

use std::collections::HashMap;

/// What kind of identity signed the request; decides principal matching and the
/// cross-account and session rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// `arn:aws:iam::<acct>:root`: allowed everything in its own account except what a
    /// resource policy explicitly denies.
    Root,
    /// `arn:aws:iam::<acct>:user/<path><name>`
    User,
    /// `arn:aws:sts::<acct>:assumed-role/<name>/<session>`; `role_arn` is the role's IAM ARN
    /// (with its path), which a resource policy may name instead of the session.
    AssumedRole { role_arn: String },
    /// `arn:aws:sts::<acct>:federated-user/<name>`
    FederatedUser,
    /// A service principal such as `sns.amazonaws.com` (deliveries between services).
    Service(String),
    /// An unsigned request: matches only `"Principal": "*"` / `{"AWS": "*"}`.
    Anonymous,
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub arn: String,
    pub account_id: String,
    pub kind: PrincipalKind,
    /// `aws:userid`: `AIDA...` for users, `AROA...:<session>` for role sessions, the account
    /// id for root, `<account>:<name>` for federated users.
    pub user_id: String,
    /// `aws:username` (IAM users only).
    pub username: Option<String>,
    /// `aws:PrincipalTag/<key>`: the user's or role's tags, overridden by session tags.
    pub tags: Vec<(String, String)>,
}

/// Condition-key values of one request. Keys are case-insensitive (stored lowercased), values
/// are multi-valued strings as IAM treats them (numbers, dates, booleans, IPs are parsed by the
/// operator that compares them).
#[derive(Debug, Clone, Default)]
pub struct Context {
    values: HashMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Self {
        Context::default()
    }

    /// Sets `key` (any case) to `values`, replacing what it had.
    pub fn set(&mut self, key: &str, values: Vec<String>) {
        self.values.insert(key.to_ascii_lowercase(), values);
    }

    /// Sets `key` to one value.
    pub fn set_one(&mut self, key: &str, value: impl Into<String>) {
        self.set(key, vec![value.into()]);
    }

    /// The values of `key` (any case), `None` when the request does not carry it.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if let Some(v) = self.values.get(key) {
            return Some(v);
        }
        self.values.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }

    /// The values of a key already lowercased: one lookup, no allocation (evaluation's path).
    pub(crate) fn get_lowercase(&self, key: &str) -> Option<&[String]> {
        self.values.get(key).map(Vec::as_slice)
    }

    /// Sets the request's time keys from Nimbus's clock: `aws:CurrentTime` (ISO 8601) and
    /// `aws:EpochTime` (seconds).
    pub fn set_request_time(&mut self, epoch_millis: i64) {
        self.set_one("aws:CurrentTime", crate::values::iso8601_millis(epoch_millis));
        self.set_one("aws:EpochTime", epoch_millis.div_euclid(1000).to_string());
    }

    /// Adds the keys that follow from the principal: `aws:PrincipalArn`, `aws:PrincipalAccount`,
    /// `aws:PrincipalType`, `aws:userid`, `aws:username`, `aws:PrincipalTag/<key>`,
    /// `aws:PrincipalIsAWSService`, `aws:PrincipalServiceName`.
    pub fn add_principal_keys(&mut self, principal: &Principal) {
        crate::evaluate::principal_keys(self, principal);
    }
}

/// One authorization question: may `principal` perform `action` on `resource`?
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub principal: &'a Principal,
    /// `service:Operation`, as the service authorization reference names it (`s3:GetObject`).
    pub action: &'a str,
    /// The resource ARN, or `*` for actions that take none.
    pub resource: &'a str,
    pub context: &'a Context,
}
