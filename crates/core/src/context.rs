//! Who is calling, where, and for which operation.

use std::net::IpAddr;

/// The identity a request was signed as (or the anonymous one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `arn:aws:iam::000000000000:root`, `arn:aws:sts::...:assumed-role/R/s`, ...
    pub arn: String,
    /// GetCallerIdentity's `UserId`: the account id for root, `AIDA...`, `AROA...:session`.
    pub user_id: String,
    pub access_key_id: Option<String>,
    /// Whether the signature was verified against a known secret (false in the default mode
    /// for unknown keys, which are accepted unverified).
    pub verified: bool,
    /// The STS session of the temporary credential that signed, as authentication found it, so
    /// strict mode's authorizer need not look the key up again. `None` for long-lived keys, and
    /// where the caller was built without it (the authorizer then looks temporary keys up).
    pub session: Option<std::sync::Arc<crate::Session>>,
}

impl Principal {
    pub fn account_root(account_id: &str) -> Self {
        Principal {
            arn: format!("arn:aws:iam::{account_id}:root"),
            user_id: account_id.to_owned(),
            access_key_id: None,
            verified: false,
            session: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub account_id: String,
    pub region: String,
    pub principal: Principal,
    /// The model name of the service (`secretsmanager`) and the operation (`CreateSecret`).
    pub service: String,
    pub operation: String,
    pub source_ip: Option<IpAddr>,
    /// The request's Host header as sent (`localhost:4566`): SQS builds queue URLs on it.
    pub host: Option<String>,
}

impl RequestContext {
    /// A context for tests and internal calls: default account and region, root principal.
    pub fn for_tests(service: &str, operation: &str) -> Self {
        RequestContext {
            request_id: crate::ids::request_id(),
            account_id: crate::DEFAULT_ACCOUNT_ID.to_owned(),
            region: crate::DEFAULT_REGION.to_owned(),
            principal: Principal::account_root(crate::DEFAULT_ACCOUNT_ID),
            service: service.to_owned(),
            operation: operation.to_owned(),
            source_ip: None,
            host: None,
        }
    }

    /// `arn:aws:<service>:<region>:<account>:<resource>`.
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{resource}", self.region, self.account_id)
    }
}
