//! AWS's policy evaluation logic.

use crate::arn::Arn;
use crate::principal::Grant;
use crate::statement::PrincipalMatch;
use crate::{Context, Policy, Principal, PrincipalKind, Request};

/// The policies that decide one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// The principal's identity policies (empty for root and anonymous callers).
    pub identity: &'a [&'a Policy],
    /// The principal's permissions boundary, if it has one.
    pub boundary: Option<&'a Policy>,
    /// Session policies passed to AssumeRole / GetFederationToken (each must allow).
    pub session: &'a [&'a Policy],
    /// The resource's policy (bucket, queue, topic, key, secret policy, role trust policy).
    pub resource: Option<&'a Policy>,
    /// The account that owns the resource; `None` means the principal's own account.
    pub resource_account: Option<&'a str>,
    /// KMS key policies and role trust policies: the resource policy must allow even in the
    /// principal's own account (an identity policy alone is not enough); a statement naming the
    /// account (`arn:aws:iam::<acct>:root` or the bare id) delegates to identity policies.
    pub resource_policy_required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// Which kind of policy refused: picks the end of AWS's AccessDenied message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// `with an explicit deny in an identity-based policy`
    IdentityExplicitDeny,
    /// `with an explicit deny in a resource-based policy`
    ResourceExplicitDeny,
    /// `with an explicit deny in a permissions boundary`
    BoundaryExplicitDeny,
    /// `with an explicit deny in a session policy`
    SessionExplicitDeny,
    /// `because no identity-based policy allows the <action> action`
    NoIdentityAllow,
    /// `because no resource-based policy allows the <action> action`
    NoResourceAllow,
    /// `because no permissions boundary allows the <action> action`
    NoBoundaryAllow,
    /// `because no session policy allows the <action> action`
    NoSessionAllow,
}

/// Where a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySource {
    /// Index into `PolicySet::identity`.
    Identity(usize),
    Boundary,
    /// Index into `PolicySet::session`.
    Session(usize),
    Resource,
}

/// A statement whose Action, Resource, Principal and Condition all matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub source: PolicySource,
    /// Position of the statement in its policy's `Statement` list.
    pub index: usize,
    pub sid: Option<String>,
    /// `true` for Allow, `false` for Deny.
    pub allow: bool,
}

#[derive(Debug, Clone)]
pub struct Evaluation {
    pub decision: Decision,
    /// Set unless `decision` is `Allow`.
    pub deny_reason: Option<DenyReason>,
    /// Every statement that matched (allows and denies), for explanations and the simulator.
    pub matched: Vec<MatchedStatement>,
    /// Condition keys a statement tested that the context lacked (SimulatePrincipalPolicy's
    /// `MissingContextValues`), lowercased, without duplicates.
    pub missing_context_keys: Vec<String>,
}

impl Evaluation {
    /// AWS's AccessDenied message: `User: <arn> is not authorized to perform: <action> on
    /// resource: <resource> because no identity-based policy allows the <action> action`.
    /// Anonymous callers are `User: anonymous`; a request with no resource (`*`) leaves out
    /// `on resource:`, as AWS does for actions that take none.
    pub fn denial_message(&self, request: &Request) -> String {
        let principal = request.principal;
        let who = match &principal.kind {
            PrincipalKind::Anonymous => "anonymous",
            PrincipalKind::Service(name) if principal.arn.is_empty() => name.as_str(),
            _ => principal.arn.as_str(),
        };
        let action = request.action;
        let mut message = format!("User: {who} is not authorized to perform: {action}");
        if !request.resource.is_empty() && request.resource != "*" {
            message.push_str(" on resource: ");
            message.push_str(request.resource);
        }
        let Some(reason) = self.deny_reason else {
            return message;
        };
        let explicit = |policy: &str| format!(" with an explicit deny in {policy}");
        let no_allow = |policy: &str| format!(" because no {policy} allows the {action} action");
        message.push_str(&match reason {
            DenyReason::IdentityExplicitDeny => explicit("an identity-based policy"),
            DenyReason::ResourceExplicitDeny => explicit("a resource-based policy"),
            DenyReason::BoundaryExplicitDeny => explicit("a permissions boundary"),
            DenyReason::SessionExplicitDeny => explicit("a session policy"),
            DenyReason::NoIdentityAllow => no_allow("identity-based policy"),
            DenyReason::NoResourceAllow => no_allow("resource-based policy"),
            DenyReason::NoBoundaryAllow => no_allow("permissions boundary"),
            DenyReason::NoSessionAllow => no_allow("session policy"),
        });
        message
    }
}

/// Context keys that conditions or policy variables asked for and the request lacked.
#[derive(Debug, Default)]
pub(crate) struct Missing {
    keys: Vec<String>,
}

impl Missing {
    /// `key` is lowercased already (compiled so).
    pub(crate) fn note(&mut self, key: &str) {
        if !self.keys.iter().any(|k| k == key) {
            self.keys.push(key.to_owned());
        }
    }

    pub(crate) fn into_keys(self) -> Vec<String> {
        self.keys
    }
}

/// What one policy says about the request.
#[derive(Debug, Default, Clone, Copy)]
struct Verdict {
    allow: bool,
    deny: bool,
    /// For a resource policy: the strongest way a matching Allow names the caller.
    grant: Option<Grant>,
}

struct Scanner<'r, 'a> {
    request: &'r Request<'a>,
    /// The action's service prefix and the resource's ARN components, found once.
    service: &'a str,
    resource: Arn<'a>,
    /// The caller is an IAM user or role session with a permissions boundary.
    boundary_applies: bool,
    matched: Vec<MatchedStatement>,
    missing: Missing,
}

impl Scanner<'_, '_> {
    fn scan(&mut self, policy: &Policy, source: PolicySource) -> Verdict {
        let request = self.request;
        let context = request.context;
        let mut verdict = Verdict::default();
        for (index, statement) in policy.statements().iter().enumerate() {
            // Cheapest and most selective first: most statements stop at the action.
            if !statement.matches_action(request.action, self.service, context, &mut self.missing)
                || !statement.matches_resource(&self.resource, context, &mut self.missing)
            {
                continue;
            }
            let principal = statement.matches_principal(request.principal, self.boundary_applies);
            if principal == PrincipalMatch::No || !statement.conditions_hold(context, &mut self.missing) {
                continue;
            }
            self.matched.push(MatchedStatement { source, index, sid: statement.sid.clone(), allow: statement.allow });
            if !statement.allow {
                verdict.deny = true;
                continue;
            }
            verdict.allow = true;
            let grant = match principal {
                PrincipalMatch::Named(grant) => Some(grant),
                PrincipalMatch::Excluded => Some(crate::principal::everyone_grant(request.principal)),
                PrincipalMatch::Implied | PrincipalMatch::No => None,
            };
            verdict.grant = verdict.grant.max(grant);
        }
        verdict
    }
}

/// Decides `request` against `set` with AWS's evaluation logic.
///
/// Explicit deny in any policy wins. Then, for IAM users and role sessions in the resource's
/// account: a resource policy naming the caller itself allows on its own; one naming the
/// caller's role is still limited by the permissions boundary and session policies; one naming
/// only the account needs the identity policies (within boundary and session policies) to
/// allow, as does a request with no resource-policy allow at all. Across accounts both sides
/// must allow. The root user of the resource's account needs nothing but the absence of a
/// resource-policy deny; anonymous callers and services only a resource-policy allow.
pub fn evaluate(set: &PolicySet, request: &Request) -> Evaluation {
    let principal = request.principal;
    let iam_entity = matches!(
        principal.kind,
        PrincipalKind::User | PrincipalKind::AssumedRole { .. } | PrincipalKind::FederatedUser
    );
    let mut scanner = Scanner {
        request,
        service: request.action.split_once(':').map_or(request.action, |(service, _)| service),
        resource: Arn::split(request.resource),
        boundary_applies: set.boundary.is_some()
            && matches!(principal.kind, PrincipalKind::User | PrincipalKind::AssumedRole { .. }),
        matched: Vec::new(),
        missing: Missing::default(),
    };

    // Identity policies, boundaries and session policies belong to IAM entities only: the
    // root user, anonymous callers and services have none.
    let mut identity = Verdict::default();
    let mut boundary = None;
    let mut sessions_allow = true;
    let mut session_deny = false;
    if iam_entity {
        for (i, policy) in set.identity.iter().enumerate() {
            let v = scanner.scan(policy, PolicySource::Identity(i));
            identity.allow |= v.allow;
            identity.deny |= v.deny;
        }
        boundary = set.boundary.map(|b| scanner.scan(b, PolicySource::Boundary));
        for (i, policy) in set.session.iter().enumerate() {
            let v = scanner.scan(policy, PolicySource::Session(i));
            sessions_allow &= v.allow;
            session_deny |= v.deny;
        }
    }
    let resource = set.resource.map(|r| scanner.scan(r, PolicySource::Resource)).unwrap_or_default();

    let explicit = if identity.deny {
        Some(DenyReason::IdentityExplicitDeny)
    } else if boundary.is_some_and(|b| b.deny) {
        Some(DenyReason::BoundaryExplicitDeny)
    } else if session_deny {
        Some(DenyReason::SessionExplicitDeny)
    } else if resource.deny {
        Some(DenyReason::ResourceExplicitDeny)
    } else {
        None
    };
    let outcome = match explicit {
        Some(reason) => Err((Decision::ExplicitDeny, reason)),
        None => decide(set, principal, &identity, boundary, sessions_allow, &resource).map_err(|r| (Decision::ImplicitDeny, r)),
    };
    let (decision, deny_reason) = match outcome {
        Ok(()) => (Decision::Allow, None),
        Err((decision, reason)) => (decision, Some(reason)),
    };
    Evaluation { decision, deny_reason, matched: scanner.matched, missing_context_keys: scanner.missing.into_keys() }
}

/// Allow or implicit deny, once no policy denies explicitly.
fn decide(
    set: &PolicySet,
    principal: &Principal,
    identity: &Verdict,
    boundary: Option<Verdict>,
    sessions_allow: bool,
    resource: &Verdict,
) -> Result<(), DenyReason> {
    let same_account = set.resource_account.is_none_or(|a| a == principal.account_id);
    let granted = resource.grant;
    match principal.kind {
        PrincipalKind::Root => {
            if (same_account && !set.resource_policy_required) || granted.is_some() {
                Ok(())
            } else {
                Err(DenyReason::NoResourceAllow)
            }
        }
        PrincipalKind::Anonymous | PrincipalKind::Service(_) => granted.map(|_| ()).ok_or(DenyReason::NoResourceAllow),
        PrincipalKind::User | PrincipalKind::AssumedRole { .. } | PrincipalKind::FederatedUser => {
            // What the boundary and the session policies leave of a grant.
            let limits = if boundary.is_some_and(|b| !b.allow) {
                Err(DenyReason::NoBoundaryAllow)
            } else if !sessions_allow {
                Err(DenyReason::NoSessionAllow)
            } else {
                Ok(())
            };
            let identity_side = if identity.allow { limits } else { Err(DenyReason::NoIdentityAllow) };
            if !same_account {
                return match granted {
                    None => Err(DenyReason::NoResourceAllow),
                    Some(_) => identity_side,
                };
            }
            match granted {
                Some(Grant::Direct) => Ok(()),
                Some(Grant::Role) => limits,
                Some(Grant::Account) => identity_side,
                None if set.resource_policy_required => Err(DenyReason::NoResourceAllow),
                None => identity_side,
            }
        }
    }
}

/// The condition keys that follow from who is asking (AWS's principal key table).
pub(crate) fn principal_keys(context: &mut Context, principal: &Principal) {
    let signed = principal.kind != PrincipalKind::Anonymous;
    let service = match &principal.kind {
        PrincipalKind::Service(name) => Some(name.clone()),
        _ => None,
    };
    let principal_type = match &principal.kind {
        PrincipalKind::Root => Some("Account"),
        PrincipalKind::User => Some("User"),
        PrincipalKind::AssumedRole { .. } => Some("AssumedRole"),
        PrincipalKind::FederatedUser => Some("FederatedUser"),
        PrincipalKind::Anonymous => Some("Anonymous"),
        PrincipalKind::Service(_) => None,
    };
    // For a role session AWS gives the role's ARN, not the session's.
    let principal_arn = match &principal.kind {
        PrincipalKind::AssumedRole { role_arn } => Some(role_arn.clone()),
        PrincipalKind::Anonymous | PrincipalKind::Service(_) => None,
        _ => Some(principal.arn.clone()),
    };
    if let Some(arn) = principal_arn.filter(|a| !a.is_empty()) {
        context.set_one("aws:PrincipalArn", arn);
    }
    if service.is_none() && signed && !principal.account_id.is_empty() {
        context.set_one("aws:PrincipalAccount", principal.account_id.clone());
    }
    if let Some(t) = principal_type {
        context.set_one("aws:PrincipalType", t);
    }
    if principal.kind == PrincipalKind::Anonymous {
        let id = if principal.user_id.is_empty() { "anonymous" } else { principal.user_id.as_str() };
        context.set_one("aws:userid", id);
    } else if !principal.user_id.is_empty() {
        context.set_one("aws:userid", principal.user_id.clone());
    }
    if principal.kind == PrincipalKind::User {
        let name = principal.username.clone().or_else(|| principal.arn.rsplit('/').next().map(str::to_owned));
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            context.set_one("aws:username", name);
        }
    }
    for (key, value) in &principal.tags {
        context.set_one(&format!("aws:PrincipalTag/{key}"), value.clone());
    }
    if signed {
        context.set_one("aws:PrincipalIsAWSService", if service.is_some() { "true" } else { "false" });
    }
    if let Some(name) = service {
        context.set_one("aws:PrincipalServiceName", name);
    }
}
