//! The Principal / NotPrincipal element: parsed into normalized identities, matched against the
//! caller with the strength of the match (which decides how boundaries and session policies
//! apply to what a resource policy grants).

use serde_json::Value;

use crate::document::PolicyError;
use crate::{Principal, PrincipalKind};

/// One principal named in a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Named {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous callers included.
    Everyone,
    /// A bare account id or `arn:aws:iam::<account>:root`: delegates to that account.
    Account(String),
    /// An IAM user, compared by account and name (names are unique in an account, so the path
    /// never changes the answer).
    User { account: String, name: String },
    /// An IAM role: matches every session of the role.
    Role { account: String, name: String },
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>` or
    /// `arn:aws:sts::<account>:federated-user/<name>`: exactly that session.
    Session(String),
    /// A unique id (`AIDA...`, `AROA...`), as IAM shows a principal that was deleted.
    UniqueId(String),
    Service(String),
    Federated(String),
    CanonicalUser(String),
}

/// How directly a resource-policy statement names the caller: the evaluation logic treats a
/// grant to the account, to a role and to the caller itself differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grant {
    /// The caller's account: the account's identity policies must allow too.
    Account,
    /// The caller's role (or everyone, for a session): limited by the role's permissions
    /// boundary and the session's policies.
    Role,
    /// The caller itself: a user ARN, a session ARN, a service.
    Direct,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrincipalSet {
    named: Vec<Named>,
}

impl PrincipalSet {
    /// Parses the value of a Principal / NotPrincipal element.
    pub(crate) fn parse(value: &Value) -> Result<PrincipalSet, PolicyError> {
        let mut named = Vec::new();
        match value {
            Value::String(s) if s == "*" => named.push(Named::Everyone),
            Value::Object(map) if !map.is_empty() => {
                for (kind, values) in map {
                    let values: Vec<&str> = match values {
                        Value::String(s) => vec![s.as_str()],
                        Value::Array(items) if !items.is_empty() => {
                            items.iter().map(|v| v.as_str().ok_or_else(PolicyError::syntax)).collect::<Result<_, _>>()?
                        }
                        _ => return Err(PolicyError::syntax()),
                    };
                    for v in values {
                        named.push(parse_one(kind, v)?);
                    }
                }
            }
            _ => return Err(PolicyError::syntax()),
        }
        Ok(PrincipalSet { named })
    }

    /// The strongest way this set names `principal`, `None` if it does not.
    pub(crate) fn grant_for(&self, principal: &Principal) -> Option<Grant> {
        self.named.iter().filter_map(|n| grant(n, principal)).max()
    }

    /// Whether a NotPrincipal listing this set leaves `principal` out. AWS checks each identity
    /// in the caller's chain (account, then role, then session), so the caller is left out only
    /// when every one of them is listed.
    pub(crate) fn excludes(&self, principal: &Principal) -> bool {
        let listed = |wanted: fn(&Named, &Principal) -> bool| self.named.iter().any(|n| wanted(n, principal));
        match &principal.kind {
            PrincipalKind::Anonymous => listed(|n, _| *n == Named::Everyone),
            PrincipalKind::Service(_) => listed(|n, p| grant(n, p).is_some()),
            PrincipalKind::Root => listed(names_account),
            PrincipalKind::User | PrincipalKind::FederatedUser => listed(names_account) && listed(names_itself),
            PrincipalKind::AssumedRole { .. } => listed(names_account) && listed(names_role) && listed(names_itself),
        }
    }
}

fn names_account(named: &Named, principal: &Principal) -> bool {
    match named {
        Named::Everyone => true,
        Named::Account(account) => is_iam(principal) && *account == principal.account_id,
        _ => false,
    }
}

fn names_role(named: &Named, principal: &Principal) -> bool {
    match (named, &principal.kind) {
        (Named::Everyone, _) => true,
        (Named::Role { account, name }, PrincipalKind::AssumedRole { role_arn }) => names_role_arn(account, name, role_arn),
        _ => false,
    }
}

fn names_itself(named: &Named, principal: &Principal) -> bool {
    matches!(grant(named, principal), Some(Grant::Direct)) || *named == Named::Everyone
}

fn is_iam(principal: &Principal) -> bool {
    !matches!(principal.kind, PrincipalKind::Anonymous | PrincipalKind::Service(_))
}

fn grant(named: &Named, principal: &Principal) -> Option<Grant> {
    let kind = &principal.kind;
    let granted = match named {
        Named::Everyone => everyone_grant(principal),
        Named::Account(account) => {
            if !is_iam(principal) || *account != principal.account_id {
                return None;
            }
            // The root user is its account.
            if *kind == PrincipalKind::Root { Grant::Direct } else { Grant::Account }
        }
        Named::User { account, name } => {
            let (arn_account, resource) = account_and_resource(&principal.arn)?;
            let user_name = resource.strip_prefix("user/")?.rsplit('/').next()?;
            if *kind != PrincipalKind::User || arn_account != account || user_name != name {
                return None;
            }
            Grant::Direct
        }
        Named::Role { account, name } => match kind {
            PrincipalKind::AssumedRole { role_arn } if names_role_arn(account, name, role_arn) => Grant::Role,
            _ => return None,
        },
        Named::Session(arn) => {
            let session_kind = matches!(kind, PrincipalKind::AssumedRole { .. } | PrincipalKind::FederatedUser);
            if !session_kind || *arn != principal.arn {
                return None;
            }
            Grant::Direct
        }
        Named::UniqueId(id) => {
            // A session's user id is `AROA...:<session name>`; its role's id names the role.
            let role_id = principal.user_id.split(':').next().unwrap_or_default();
            match kind {
                _ if *id == principal.user_id => Grant::Direct,
                PrincipalKind::AssumedRole { .. } if *id == role_id => Grant::Role,
                _ => return None,
            }
        }
        Named::Service(service) => match kind {
            PrincipalKind::Service(name) if name.eq_ignore_ascii_case(service) => Grant::Direct,
            _ => return None,
        },
        // A web-identity or SAML provider: STS asks on its behalf with the provider as the
        // caller (a service-kind principal, or its ARN).
        Named::Federated(provider) => {
            let named = match kind {
                PrincipalKind::Service(name) => name == provider,
                _ => principal.arn == *provider,
            };
            if !named {
                return None;
            }
            Grant::Direct
        }
        Named::CanonicalUser(id) => {
            if !is_iam(principal) || *id != principal.user_id {
                return None;
            }
            Grant::Direct
        }
    };
    Some(granted)
}

/// What a grant to everyone (`"*"`, or a NotPrincipal that leaves the caller in) is worth: for
/// a session it does not name the session itself, so the role's boundary and the session's
/// policies still limit it.
pub(crate) fn everyone_grant(principal: &Principal) -> Grant {
    match principal.kind {
        PrincipalKind::AssumedRole { .. } | PrincipalKind::FederatedUser => Grant::Role,
        _ => Grant::Direct,
    }
}

fn names_role_arn(account: &str, name: &str, role_arn: &str) -> bool {
    let Some((arn_account, resource)) = account_and_resource(role_arn) else {
        return false;
    };
    let role_name = resource.strip_prefix("role/").and_then(|r| r.rsplit('/').next());
    arn_account == account && role_name == Some(name)
}

/// The account and resource components of an ARN.
fn account_and_resource(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let _partition = parts.next()?;
    let _service = parts.next()?;
    let _region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    Some((account, resource))
}

fn invalid(kind: &str, value: &str) -> PolicyError {
    PolicyError::new(format!("Invalid principal in policy: \"{kind}\":\"{value}\""))
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_one(kind: &str, value: &str) -> Result<Named, PolicyError> {
    match kind {
        "AWS" => parse_aws(value).ok_or_else(|| invalid(kind, value)),
        "Service" | "Federated" | "CanonicalUser" => {
            if value.is_empty() || value.chars().any(char::is_whitespace) {
                return Err(invalid(kind, value));
            }
            Ok(match kind {
                "Service" => Named::Service(value.to_owned()),
                "Federated" => Named::Federated(value.to_owned()),
                _ => Named::CanonicalUser(value.to_owned()),
            })
        }
        _ => Err(PolicyError::syntax()),
    }
}

fn parse_aws(value: &str) -> Option<Named> {
    if value == "*" {
        return Some(Named::Everyone);
    }
    // Only a lone `*` may be a wildcard: a principal always names one identity.
    if value.contains(['*', '?']) {
        return None;
    }
    if is_account_id(value) {
        return Some(Named::Account(value.to_owned()));
    }
    if is_unique_id(value) {
        return Some(Named::UniqueId(value.to_owned()));
    }
    let mut parts = value.splitn(6, ':');
    let (arn, _partition, service, region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if arn != "arn" || !region.is_empty() || !is_account_id(account) {
        return None;
    }
    let last_name = |rest: &str| rest.rsplit('/').next().filter(|n| !n.is_empty()).map(str::to_owned);
    match service {
        "iam" if resource == "root" => Some(Named::Account(account.to_owned())),
        "iam" => {
            if let Some(rest) = resource.strip_prefix("user/") {
                Some(Named::User { account: account.to_owned(), name: last_name(rest)? })
            } else if let Some(rest) = resource.strip_prefix("role/") {
                Some(Named::Role { account: account.to_owned(), name: last_name(rest)? })
            } else {
                None
            }
        }
        "sts" => {
            if let Some(rest) = resource.strip_prefix("assumed-role/") {
                let (role, session) = rest.split_once('/')?;
                (!role.is_empty() && !session.is_empty()).then(|| Named::Session(value.to_owned()))
            } else if let Some(name) = resource.strip_prefix("federated-user/") {
                (!name.is_empty()).then(|| Named::Session(value.to_owned()))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// `AIDA...` (user), `AROA...` (role), `AIPA...`: four capital letters then 16 or more capitals
/// and digits.
fn is_unique_id(s: &str) -> bool {
    let known = ["AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ASIA", "AKIA"];
    s.len() >= 20 && known.iter().any(|p| s.starts_with(p)) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn principal(arn: &str, kind: PrincipalKind) -> Principal {
        Principal {
            arn: arn.into(),
            account_id: "111122223333".into(),
            kind,
            user_id: "AIDAEXAMPLEEXAMPLE01".into(),
            username: None,
            tags: Vec::new(),
        }
    }

    #[test]
    fn parses_and_normalizes() {
        let set = PrincipalSet::parse(&json!({"AWS": ["111122223333", "arn:aws:iam::444455556666:root"]})).unwrap();
        assert_eq!(set.named, vec![Named::Account("111122223333".into()), Named::Account("444455556666".into())]);
        let set = PrincipalSet::parse(&json!({"AWS": "arn:aws:iam::111122223333:role/path/app"})).unwrap();
        assert_eq!(set.named, vec![Named::Role { account: "111122223333".into(), name: "app".into() }]);
        assert_eq!(PrincipalSet::parse(&json!("*")).unwrap().named, vec![Named::Everyone]);
        assert_eq!(PrincipalSet::parse(&json!({"AWS": "*"})).unwrap().named, vec![Named::Everyone]);
    }

    #[test]
    fn refuses_invalid_principals() {
        for bad in ["arn:aws:iam::111122223333:user/*", "bob", "arn:aws:iam::111122223333:group/devs", "1234"] {
            let err = PrincipalSet::parse(&json!({ "AWS": bad })).unwrap_err();
            assert_eq!(err.message, format!("Invalid principal in policy: \"AWS\":\"{bad}\""));
        }
        assert_eq!(PrincipalSet::parse(&json!("arn:aws:iam::111122223333:root")).unwrap_err(), PolicyError::syntax());
        assert_eq!(PrincipalSet::parse(&json!({"User": "x"})).unwrap_err(), PolicyError::syntax());
    }

    #[test]
    fn grants() {
        let role = PrincipalKind::AssumedRole { role_arn: "arn:aws:iam::111122223333:role/svc/app".into() };
        let session = principal("arn:aws:sts::111122223333:assumed-role/app/s1", role);
        let by_role = PrincipalSet::parse(&json!({"AWS": "arn:aws:iam::111122223333:role/app"})).unwrap();
        assert_eq!(by_role.grant_for(&session), Some(Grant::Role));
        let by_session = PrincipalSet::parse(&json!({"AWS": "arn:aws:sts::111122223333:assumed-role/app/s1"})).unwrap();
        assert_eq!(by_session.grant_for(&session), Some(Grant::Direct));
        let by_account = PrincipalSet::parse(&json!({"AWS": "111122223333"})).unwrap();
        assert_eq!(by_account.grant_for(&session), Some(Grant::Account));
        let anonymous = principal("", PrincipalKind::Anonymous);
        assert_eq!(by_account.grant_for(&anonymous), None);
        let everyone = PrincipalSet::parse(&json!("*")).unwrap();
        assert_eq!(everyone.grant_for(&anonymous), Some(Grant::Direct));
        let service = principal("", PrincipalKind::Service("sns.amazonaws.com".into()));
        let by_service = PrincipalSet::parse(&json!({"Service": ["sns.amazonaws.com"]})).unwrap();
        assert_eq!(by_service.grant_for(&service), Some(Grant::Direct));
        assert_eq!(by_service.grant_for(&session), None);
    }

    #[test]
    fn not_principal_needs_the_whole_chain() {
        let user = principal("arn:aws:iam::111122223333:user/Bob", PrincipalKind::User);
        let only_bob = PrincipalSet::parse(&json!({"AWS": "arn:aws:iam::111122223333:user/Bob"})).unwrap();
        assert!(!only_bob.excludes(&user));
        let bob_and_account =
            PrincipalSet::parse(&json!({"AWS": ["arn:aws:iam::111122223333:user/Bob", "arn:aws:iam::111122223333:root"]})).unwrap();
        assert!(bob_and_account.excludes(&user));
    }
}
