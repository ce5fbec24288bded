//! Bucket policies: parsing (with S3's `MalformedPolicy` checks), evaluation of one request
//! against a policy, and S3's "is this policy public" test.
//!
//! Pure: no store, no HTTP. Evaluation follows IAM's order for a resource policy: any matching
//! `Deny` statement wins; otherwise any matching `Allow` allows; otherwise the policy says
//! nothing (the caller decides what "nothing" means: the owner's account still has access,
//! anyone else does not).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An unsigned request.
    Anonymous,
    /// A signed request: its account and principal ARN.
    Aws { account: String, arn: String },
}

impl Principal {
    /// The root user of `account`: how a caller Nimbus cannot name more precisely (a key the
    /// registry does not know, in the default mode) acts.
    pub fn account_root(account: &str) -> Principal {
        Principal::Aws { arn: format!("arn:aws:iam::{account}:root"), account: account.to_owned() }
    }
}

/// One request, as a policy sees it.
#[derive(Debug, Clone)]
pub struct RequestContext<'a> {
    pub principal: &'a Principal,
    /// `s3:GetObject`.
    pub action: &'a str,
    /// `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
    pub resource: &'a str,
    /// Condition keys (lower-cased names: `aws:sourceip`, `s3:prefix`...) and their values.
    pub keys: &'a BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A statement explicitly denies.
    Deny,
    /// A statement allows and none denies.
    Allow,
    /// No statement applies.
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// `Principal`: everyone, or a list of `AWS` principals (account ids, ARNs) and canonical ids.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Principals {
    Everyone,
    Listed {
        aws: Vec<String>,
        canonical: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    /// Operator without `IfExists` and set qualifiers, as written (`StringLike`).
    operator: String,
    if_exists: bool,
    /// Lower-cased.
    key: String,
    values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    effect: Effect,
    principal: Option<Principals>,
    not_principal: Option<Principals>,
    action: Option<Vec<String>>,
    not_action: Option<Vec<String>>,
    resource: Option<Vec<String>>,
    not_resource: Option<Vec<String>>,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// Condition keys whose fixed values make a wildcard principal non-public (S3's "The meaning of
/// public": the policy only grants to fixed sources).
const FIXED_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:userid",
    "aws:sourceip",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
];

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Bool(b) => Some(vec![b.to_string()]),
        Value::Number(n) => Some(vec![n.to_string()]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn parse_principals(v: &Value) -> Result<Principals, String> {
    let invalid = || "Invalid principal in policy".to_owned();
    match v {
        Value::String(s) if s == "*" => Ok(Principals::Everyone),
        Value::Object(map) => {
            let mut aws = Vec::new();
            let mut canonical = Vec::new();
            for (kind, value) in map {
                let values = strings(value).ok_or_else(invalid)?;
                match kind.as_str() {
                    "AWS" => {
                        if values.iter().any(|p| p == "*") {
                            return Ok(Principals::Everyone);
                        }
                        for p in &values {
                            let account_id = p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit());
                            if !account_id && !p.starts_with("arn:") {
                                return Err(invalid());
                            }
                        }
                        aws.extend(values);
                    }
                    "CanonicalUser" => canonical.extend(values),
                    // Service and federated principals never sign S3 requests to Nimbus.
                    "Service" | "Federated" => {}
                    _ => return Err(invalid()),
                }
            }
            Ok(Principals::Listed { aws, canonical })
        }
        _ => Err(invalid()),
    }
}

fn parse_list(v: &Value, what: &str, check: impl Fn(&str) -> bool) -> Result<Vec<String>, String> {
    let items = strings(v)
        .filter(|i| !i.is_empty())
        .ok_or_else(|| format!("Policy has invalid {what}"))?;
    if items.iter().all(|i| check(i)) {
        Ok(items)
    } else {
        Err(format!("Policy has invalid {what}"))
    }
}

fn valid_action(a: &str) -> bool {
    a == "*"
        || a.split_once(':')
            .is_some_and(|(service, name)| service.eq_ignore_ascii_case("s3") && !name.is_empty())
}

fn valid_resource(r: &str) -> bool {
    r == "*" || r.starts_with("arn:aws:s3:::")
}

fn parse_conditions(v: &Value) -> Result<Vec<Condition>, String> {
    let invalid = || "Invalid Condition in policy".to_owned();
    let map = v.as_object().ok_or_else(invalid)?;
    let mut out = Vec::new();
    for (operator, block) in map {
        let block = block.as_object().ok_or_else(invalid)?;
        let bare = operator
            .strip_prefix("ForAnyValue:")
            .or_else(|| operator.strip_prefix("ForAllValues:"))
            .unwrap_or(operator);
        let (bare, if_exists) = match bare.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (bare, false),
        };
        if !KNOWN_OPERATORS.contains(&bare) {
            return Err(format!("Invalid Condition type : {operator}"));
        }
        for (key, values) in block {
            out.push(Condition {
                operator: bare.to_owned(),
                if_exists,
                key: key.to_ascii_lowercase(),
                values: strings(values).ok_or_else(invalid)?,
            });
        }
    }
    Ok(out)
}

const KNOWN_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

impl Policy {
    /// Parses a bucket policy; the error is the `MalformedPolicy` message.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|_| "Policies must be valid JSON and the first byte must be '{'".to_owned())?;
        let doc = doc.as_object().ok_or_else(|| {
            "Policies must be valid JSON and the first byte must be '{'".to_owned()
        })?;
        if let Some(version) = doc.get("Version")
            && !matches!(version.as_str(), Some("2012-10-17" | "2008-10-17"))
        {
            return Err("The policy must contain a valid version string".to_owned());
        }
        let raw = doc
            .get("Statement")
            .ok_or_else(|| "Missing required field Statement".to_owned())?;
        let raw: Vec<&Value> = match raw {
            Value::Array(items) => items.iter().collect(),
            Value::Object(_) => vec![raw],
            _ => return Err("Missing required field Statement".to_owned()),
        };
        if raw.is_empty() {
            return Err("Could not parse the policy: Statement is empty!".to_owned());
        }
        let mut statements = Vec::new();
        for s in raw {
            let s = s
                .as_object()
                .ok_or_else(|| "Missing required field Statement".to_owned())?;
            let effect = match s.get("Effect").and_then(Value::as_str) {
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                Some(other) => return Err(format!("Invalid effect: {other}")),
                None => return Err("Missing required field Effect".to_owned()),
            };
            let principal = s.get("Principal").map(parse_principals).transpose()?;
            let not_principal = s.get("NotPrincipal").map(parse_principals).transpose()?;
            if principal.is_none() && not_principal.is_none() {
                return Err("Missing required field Principal".to_owned());
            }
            let action = s
                .get("Action")
                .map(|v| parse_list(v, "action", valid_action))
                .transpose()?;
            let not_action = s
                .get("NotAction")
                .map(|v| parse_list(v, "action", valid_action))
                .transpose()?;
            if action.is_none() == not_action.is_none() {
                return Err("Missing required field Action".to_owned());
            }
            let resource = s
                .get("Resource")
                .map(|v| parse_list(v, "resource", valid_resource))
                .transpose()?;
            let not_resource = s
                .get("NotResource")
                .map(|v| parse_list(v, "resource", valid_resource))
                .transpose()?;
            if resource.is_none() == not_resource.is_none() {
                return Err("Missing required field Resource".to_owned());
            }
            let conditions = s
                .get("Condition")
                .map(parse_conditions)
                .transpose()?
                .unwrap_or_default();
            statements.push(Statement {
                effect,
                principal,
                not_principal,
                action,
                not_action,
                resource,
                not_resource,
                conditions,
            });
        }
        Ok(Policy { statements })
    }

    /// The policy's verdict on one request. With `public_grants_ignored` (Block Public Access's
    /// RestrictPublicBuckets on a public policy) no `Allow` counts; `Deny`s still do.
    pub fn evaluate(&self, cx: &RequestContext<'_>, public_grants_ignored: bool) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            if !s.applies(cx) {
                continue;
            }
            match s.effect {
                Effect::Deny => return Decision::Deny,
                Effect::Allow if !public_grants_ignored => allowed = true,
                Effect::Allow => {}
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::NotApplicable
        }
    }

    /// S3's "public" policy: an `Allow` to a wildcard principal not tied to fixed sources.
    pub fn is_public(&self) -> bool {
        self.statements.iter().any(|s| {
            let wildcard =
                matches!(s.principal, Some(Principals::Everyone)) || s.not_principal.is_some();
            s.effect == Effect::Allow
                && wildcard
                && !s.conditions.iter().any(Condition::fixes_source)
        })
    }
}

impl Statement {
    fn applies(&self, cx: &RequestContext<'_>) -> bool {
        let principal_ok = match (&self.principal, &self.not_principal) {
            (Some(p), _) => principal_matches(p, cx.principal),
            (None, Some(np)) => !principal_matches(np, cx.principal),
            (None, None) => false,
        };
        let action_ok = match (&self.action, &self.not_action) {
            (Some(a), _) => a.iter().any(|p| glob(p, cx.action, true)),
            (None, Some(na)) => !na.iter().any(|p| glob(p, cx.action, true)),
            _ => false,
        };
        let resource_ok = match (&self.resource, &self.not_resource) {
            (Some(r), _) => r.iter().any(|p| glob(p, cx.resource, false)),
            (None, Some(nr)) => !nr.iter().any(|p| glob(p, cx.resource, false)),
            _ => false,
        };
        principal_ok && action_ok && resource_ok && self.conditions.iter().all(|c| c.holds(cx.keys))
    }
}

fn principal_matches(p: &Principals, who: &Principal) -> bool {
    match (p, who) {
        (Principals::Everyone, _) => true,
        (Principals::Listed { .. }, Principal::Anonymous) => false,
        (Principals::Listed { aws, canonical }, Principal::Aws { account, arn }) => {
            let root = format!("arn:aws:iam::{account}:root");
            // An account (id or root ARN) in a resource policy trusts every principal of that
            // account (its identity policies then decide, once IAM evaluates them).
            aws.iter().any(|p| p == account || *p == root || p == arn)
                || canonical
                    .iter()
                    .any(|c| *c == crate::acl::canonical_id(account))
        }
    }
}

impl Condition {
    fn fixes_source(&self) -> bool {
        let positive = matches!(
            self.operator.as_str(),
            "StringEquals"
                | "StringEqualsIgnoreCase"
                | "StringLike"
                | "ArnEquals"
                | "ArnLike"
                | "IpAddress"
        );
        positive
            && FIXED_KEYS.contains(&self.key.as_str())
            && self.values.iter().all(|v| {
                if self.key == "aws:sourceip" {
                    // A range wider than /8 (IPv4) or /32 (IPv6) is no fixed source.
                    let (addr, bits) = v.split_once('/').unwrap_or((v, "128"));
                    let bits: u32 = bits.parse().unwrap_or(0);
                    match addr.parse::<IpAddr>() {
                        Ok(IpAddr::V4(_)) => bits >= 8,
                        Ok(IpAddr::V6(_)) => bits >= 32,
                        Err(_) => false,
                    }
                } else {
                    !v.contains('*')
                }
            })
    }

    fn holds(&self, keys: &BTreeMap<String, Vec<String>>) -> bool {
        let Some(actual) = keys.get(&self.key).filter(|v| !v.is_empty()) else {
            return match self.operator.as_str() {
                "Null" => self.values.iter().any(|v| v == "true"),
                // A negated operator on a missing key holds, a positive one does not.
                op => self.if_exists || op.contains("Not"),
            };
        };
        let any = |f: &dyn Fn(&str, &str) -> bool| {
            actual.iter().any(|a| self.values.iter().any(|v| f(a, v)))
        };
        match self.operator.as_str() {
            "Null" => self.values.iter().any(|v| v == "false"),
            "StringEquals" | "ArnEquals" | "BinaryEquals" => any(&|a, v| a == v),
            "StringNotEquals" | "ArnNotEquals" => !any(&|a, v| a == v),
            "StringEqualsIgnoreCase" => any(&|a, v| a.eq_ignore_ascii_case(v)),
            "StringNotEqualsIgnoreCase" => !any(&|a, v| a.eq_ignore_ascii_case(v)),
            "StringLike" | "ArnLike" => any(&|a, v| glob(v, a, false)),
            "StringNotLike" | "ArnNotLike" => !any(&|a, v| glob(v, a, false)),
            "Bool" => any(&|a, v| a.eq_ignore_ascii_case(v)),
            "IpAddress" => any(&|a, v| ip_in(a, v)),
            "NotIpAddress" => !any(&|a, v| ip_in(a, v)),
            op if op.starts_with("Numeric") => any(&|a, v| {
                let (Ok(a), Ok(v)) = (a.parse::<f64>(), v.parse::<f64>()) else {
                    return false;
                };
                match op {
                    "NumericEquals" => a == v,
                    "NumericNotEquals" => a != v,
                    "NumericLessThan" => a < v,
                    "NumericLessThanEquals" => a <= v,
                    "NumericGreaterThan" => a > v,
                    _ => a >= v,
                }
            }),
            // Date operators need request-time keys Nimbus does not supply yet.
            _ => false,
        }
    }
}

/// `*` (any run) and `?` (one character) wildcards.
pub fn glob(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if ignore_case {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether `addr` is in `cidr` (`192.0.2.0/24`, `2001:db8::/32`, or a single address).
fn ip_in(addr: &str, cidr: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr, None),
    };
    match (addr.parse::<IpAddr>(), net.parse::<IpAddr>()) {
        (Ok(IpAddr::V4(a)), Ok(IpAddr::V4(n))) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (Ok(IpAddr::V6(a)), Ok(IpAddr::V6(n))) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), vec![(*v).to_owned()]))
            .collect()
    }

    fn eval(
        policy: &str,
        who: &Principal,
        action: &str,
        resource: &str,
        k: &[(&str, &str)],
    ) -> Decision {
        let keys = keys(k);
        Policy::parse(policy).unwrap().evaluate(
            &RequestContext {
                principal: who,
                action,
                resource,
                keys: &keys,
            },
            false,
        )
    }

    const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"r","Effect":"Allow","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}"#;

    fn other() -> Principal {
        Principal::Aws {
            account: "111122223333".into(),
            arn: "arn:aws:iam::111122223333:user/bob".into(),
        }
    }

    #[test]
    fn public_read_allows_objects_only() {
        let anon = Principal::Anonymous;
        assert_eq!(
            eval(
                PUBLIC_READ,
                &anon,
                "s3:GetObject",
                "arn:aws:s3:::site/a/b.html",
                &[]
            ),
            Decision::Allow
        );
        assert_eq!(
            eval(
                PUBLIC_READ,
                &anon,
                "s3:PutObject",
                "arn:aws:s3:::site/a",
                &[]
            ),
            Decision::NotApplicable
        );
        assert_eq!(
            eval(
                PUBLIC_READ,
                &anon,
                "s3:ListBucket",
                "arn:aws:s3:::site",
                &[]
            ),
            Decision::NotApplicable
        );
        assert_eq!(
            eval(
                PUBLIC_READ,
                &anon,
                "s3:GetObject",
                "arn:aws:s3:::sitex/a",
                &[]
            ),
            Decision::NotApplicable
        );
        assert!(Policy::parse(PUBLIC_READ).unwrap().is_public());
    }

    #[test]
    fn explicit_deny_wins_and_wildcard_actions() {
        let p = r#"{"Statement":[
            {"Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:Get*","s3:List*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},
            {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/secret/*"}]}"#;
        let anon = Principal::Anonymous;
        assert_eq!(
            eval(p, &anon, "s3:GetObject", "arn:aws:s3:::b/x", &[]),
            Decision::Allow
        );
        assert_eq!(
            eval(p, &anon, "s3:ListBucket", "arn:aws:s3:::b", &[]),
            Decision::Allow
        );
        assert_eq!(
            eval(p, &anon, "s3:GetObject", "arn:aws:s3:::b/secret/x", &[]),
            Decision::Deny
        );
        assert_eq!(
            eval(p, &anon, "S3:GETOBJECT", "arn:aws:s3:::b/x", &[]),
            Decision::Allow,
            "actions ignore case"
        );
    }

    #[test]
    fn account_principals_and_not_action() {
        let p = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
            "NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]}"#;
        assert_eq!(
            eval(p, &other(), "s3:PutObject", "arn:aws:s3:::b/k", &[]),
            Decision::Allow
        );
        assert_eq!(
            eval(p, &other(), "s3:DeleteObject", "arn:aws:s3:::b/k", &[]),
            Decision::NotApplicable
        );
        assert_eq!(
            eval(
                p,
                &Principal::Anonymous,
                "s3:PutObject",
                "arn:aws:s3:::b/k",
                &[]
            ),
            Decision::NotApplicable
        );
        let third = Principal::Aws {
            account: "444455556666".into(),
            arn: "arn:aws:iam::444455556666:root".into(),
        };
        assert_eq!(
            eval(p, &third, "s3:PutObject", "arn:aws:s3:::b/k", &[]),
            Decision::NotApplicable
        );
        assert!(!Policy::parse(p).unwrap().is_public());
        let by_id = p.replace("arn:aws:iam::111122223333:root", "111122223333");
        assert_eq!(
            eval(&by_id, &other(), "s3:PutObject", "arn:aws:s3:::b/k", &[]),
            Decision::Allow
        );
    }

    #[test]
    fn not_resource() {
        let p = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::b/public/*"}]}"#;
        let anon = Principal::Anonymous;
        assert_eq!(
            eval(p, &anon, "s3:GetObject", "arn:aws:s3:::b/private", &[]),
            Decision::Deny
        );
        assert_eq!(
            eval(p, &anon, "s3:GetObject", "arn:aws:s3:::b/public/x", &[]),
            Decision::NotApplicable
        );
    }

    #[test]
    fn conditions() {
        let ip = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
            "Condition":{"IpAddress":{"aws:SourceIp":"10.1.0.0/16"}}}]}"#;
        let anon = Principal::Anonymous;
        let r = "arn:aws:s3:::b/k";
        assert_eq!(
            eval(
                ip,
                &anon,
                "s3:GetObject",
                r,
                &[("aws:SourceIp", "10.1.2.3")]
            ),
            Decision::Allow
        );
        assert_eq!(
            eval(
                ip,
                &anon,
                "s3:GetObject",
                r,
                &[("aws:SourceIp", "10.2.0.1")]
            ),
            Decision::NotApplicable
        );
        assert_eq!(
            eval(ip, &anon, "s3:GetObject", r, &[]),
            Decision::NotApplicable
        );
        assert!(
            !Policy::parse(ip).unwrap().is_public(),
            "a fixed IP range is not public"
        );

        let tls = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*",
            "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        assert_eq!(
            eval(
                tls,
                &anon,
                "s3:GetObject",
                r,
                &[("aws:SecureTransport", "false")]
            ),
            Decision::Deny
        );
        assert_eq!(
            eval(
                tls,
                &anon,
                "s3:GetObject",
                r,
                &[("aws:SecureTransport", "true")]
            ),
            Decision::NotApplicable
        );

        let prefix = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
            "Condition":{"StringLike":{"s3:prefix":["home/*",""]},"StringNotEquals":{"aws:UserAgent":"blocked"}}}]}"#;
        let list = |k: &[(&str, &str)]| eval(prefix, &anon, "s3:ListBucket", "arn:aws:s3:::b", k);
        assert_eq!(list(&[("s3:prefix", "home/alice/")]), Decision::Allow);
        assert_eq!(list(&[("s3:prefix", "etc/")]), Decision::NotApplicable);
        assert_eq!(
            list(&[("s3:prefix", "home/x"), ("aws:UserAgent", "blocked")]),
            Decision::NotApplicable
        );

        let eq = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*",
            "Condition":{"StringEquals":{"aws:Referer":"https://example.com/"}}}]}"#;
        assert_eq!(
            eval(
                eq,
                &anon,
                "s3:GetObject",
                r,
                &[("aws:Referer", "https://example.com/")]
            ),
            Decision::Allow
        );
        assert_eq!(
            eval(
                eq,
                &anon,
                "s3:GetObject",
                r,
                &[("aws:Referer", "https://evil.com/")]
            ),
            Decision::NotApplicable
        );
        assert!(
            Policy::parse(eq).unwrap().is_public(),
            "Referer is no fixed source"
        );
    }

    #[test]
    fn restrict_public_buckets_ignores_allows_but_not_denies() {
        let p = Policy::parse(PUBLIC_READ).unwrap();
        let keys = BTreeMap::new();
        let cx = RequestContext {
            principal: &Principal::Anonymous,
            action: "s3:GetObject",
            resource: "arn:aws:s3:::site/x",
            keys: &keys,
        };
        assert_eq!(p.evaluate(&cx, true), Decision::NotApplicable);
    }

    #[test]
    fn malformed_policies() {
        let bad = |text: &str| Policy::parse(text).unwrap_err();
        assert!(bad("not json").contains("valid JSON"));
        assert_eq!(
            bad(r#"{"Version":"2012-10-17"}"#),
            "Missing required field Statement"
        );
        assert_eq!(
            bad(
                r#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:*","Resource":"*"}]}"#
            ),
            "Invalid effect: Maybe"
        );
        assert_eq!(
            bad(
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"*"}]}"#
            ),
            "Policy has invalid action"
        );
        assert_eq!(
            bad(
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:sqs:::q"}]}"#
            ),
            "Policy has invalid resource"
        );
        assert_eq!(
            bad(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*"}]}"#),
            "Missing required field Resource"
        );
        assert_eq!(
            bad(r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#),
            "Missing required field Principal"
        );
    }

    #[test]
    fn globs_and_cidrs() {
        assert!(glob("arn:aws:s3:::b/*", "arn:aws:s3:::b/", false));
        assert!(glob("a*b?d", "aXXbcd", false));
        assert!(!glob("a*b?d", "aXXbd", false));
        assert!(glob("*", "", false));
        assert!(ip_in("2001:db8::1", "2001:db8::/32"));
        assert!(!ip_in("10.0.0.1", "2001:db8::/32"));
        assert!(ip_in("192.0.2.7", "192.0.2.7"));
    }
}
