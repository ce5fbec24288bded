//! The credentials Nimbus can verify: declared at start (including `test`/`test`) and issued at
//! run time by STS and IAM (persisted, so they survive a restart).

use std::collections::HashMap;

use nimbus_core::{Credential, CredentialRegistry, ServiceError};
use nimbus_store::{Record, Store};

/// Issued credentials as persisted records.
#[derive(serde::Serialize, serde::Deserialize)]
struct IssuedCredential(Credential);

impl Record for IssuedCredential {
    const KIND: &'static str = "auth.credential";
    const VERSION: u32 = 1;
}

const SCOPE: &str = "global";

pub struct Credentials {
    store: Store,
    declared: HashMap<String, Credential>,
}

impl Credentials {
    pub fn new(store: Store, declared: Vec<Credential>) -> Self {
        let declared = declared.into_iter().map(|c| (c.access_key_id.clone(), c)).collect();
        Credentials { store, declared }
    }

    /// A long-lived credential for an account's root user (what `test`/`test` is).
    pub fn root(access_key_id: &str, secret: &str, account_id: &str) -> Credential {
        Credential {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret.to_owned(),
            session_token: None,
            account_id: account_id.to_owned(),
            principal_arn: format!("arn:aws:iam::{account_id}:root"),
            user_id: account_id.to_owned(),
            expires_at_ms: None,
            active: true,
            session: None,
        }
    }

    /// A declared IAM-user-like identity (`--credential AKID:SECRET:ACCOUNT:USER`).
    pub fn user(access_key_id: &str, secret: &str, account_id: &str, user_name: &str) -> Credential {
        Credential {
            principal_arn: format!("arn:aws:iam::{account_id}:user/{user_name}"),
            user_id: nimbus_core::ids::stable_id("AIDA", access_key_id),
            ..Self::root(access_key_id, secret, account_id)
        }
    }
}

impl CredentialRegistry for Credentials {
    fn lookup(&self, access_key_id: &str) -> Option<Credential> {
        if let Some(c) = self.declared.get(access_key_id) {
            return Some(c.clone());
        }
        match self.store.get::<IssuedCredential>(SCOPE, access_key_id) {
            Ok(found) => found.map(|c| c.0),
            Err(e) => {
                tracing::error!("credential lookup failed: {e}");
                None
            }
        }
    }

    fn register(&self, credential: Credential) -> Result<(), ServiceError> {
        let key = credential.access_key_id.clone();
        self.store
            .put(SCOPE, &key, &IssuedCredential(credential))
            .map_err(|e| ServiceError::internal(format!("storing credentials failed: {e}")))
    }

    fn remove(&self, access_key_id: &str) -> Result<(), ServiceError> {
        self.store
            .delete::<IssuedCredential>(SCOPE, access_key_id)
            .map(|_| ())
            .map_err(|e| ServiceError::internal(format!("deleting credentials failed: {e}")))
    }
}

/// Parses `AKID:SECRET[:ACCOUNT[:USER]]`. Without ACCOUNT, a 12-digit key id is its own account.
pub fn parse_declared(spec: &str, default_account: &str) -> Result<Credential, String> {
    let parts: Vec<&str> = spec.trim().split(':').collect();
    let (akid, secret) = match parts.as_slice() {
        [akid, secret, ..] if !akid.is_empty() && !secret.is_empty() => (*akid, *secret),
        _ => return Err(format!("credential {spec:?} is not ACCESS_KEY:SECRET[:ACCOUNT[:USER]]")),
    };
    let account = match parts.get(2).filter(|a| !a.is_empty()) {
        Some(a) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => (*a).to_owned(),
        Some(a) => return Err(format!("account id {a:?} in credential for {akid} is not 12 digits")),
        None => account_for_key(akid, default_account),
    };
    Ok(match parts.get(3).filter(|u| !u.is_empty()) {
        Some(user) => Credentials::user(akid, secret, &account, user),
        None => Credentials::root(akid, secret, &account),
    })
}

/// A 12-digit access key id is its own account id (LocalStack's convention); else the default.
pub fn account_for_key(access_key_id: &str, default_account: &str) -> String {
    if access_key_id.len() == 12 && access_key_id.bytes().all(|b| b.is_ascii_digit()) {
        access_key_id.to_owned()
    } else {
        default_account.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_declared_credentials() {
        let c = parse_declared("AKIAALICE:s3cret:111122223333:alice", "000000000000").unwrap();
        assert_eq!(c.account_id, "111122223333");
        assert_eq!(c.principal_arn, "arn:aws:iam::111122223333:user/alice");
        assert_eq!(c.user_id, parse_declared("AKIAALICE:x:111122223333:alice", "0").unwrap().user_id);
        let c = parse_declared("123456789012:pw", "000000000000").unwrap();
        assert_eq!(c.account_id, "123456789012");
        assert_eq!(c.principal_arn, "arn:aws:iam::123456789012:root");
        assert!(parse_declared("nosecret", "000000000000").is_err());
        assert!(parse_declared("a:b:12", "000000000000").is_err());
    }

    #[test]
    fn issued_credentials_persist_in_the_store() {
        let store = Store::open_ephemeral().unwrap();
        let creds = Credentials::new(store.clone(), vec![Credentials::root("test", "test", "000000000000")]);
        assert!(creds.lookup("test").is_some());
        assert!(creds.lookup("ASIAX").is_none());
        let issued = Credential { access_key_id: "ASIAX".into(), ..Credentials::root("x", "y", "000000000000") };
        creds.register(issued.clone()).unwrap();
        assert_eq!(Credentials::new(store, vec![]).lookup("ASIAX"), Some(issued));
    }
}
