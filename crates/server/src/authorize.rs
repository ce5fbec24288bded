//! Strict mode's decision point: every request's accesses evaluated by the policy engine against
//! the caller's identity policies (from IAM's [`Directory`]), the session's policies, the
//! permissions boundary and the resource's policy.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use nimbus_core::{Access, Authorizer, Clock, CredentialRegistry, Denied, RequestContext, ResourcePolicy, Session};
use nimbus_policy::{Context, Decision, Directory, Policy, PolicyKind, PolicySet, Principal, PrincipalKind, Request};

/// Parsed resource and session policies, keyed by their text: a request re-reads a queue's or
/// bucket's policy as text and should not pay for parsing it again.
const PARSED_CACHE_LIMIT: usize = 4096;

/// STS's temporary access keys start so (`nimbus_core::ids::access_key_id(true)`).
const TEMPORARY_KEY_PREFIX: &str = "ASIA";

/// Parsed policies by (kind tag, text); `None` for a text that does not parse.
type ParsedPolicies = HashMap<(u8, String), Option<Arc<Policy>>>;

pub struct PolicyAuthorizer {
    strict: bool,
    directory: Option<Arc<dyn Directory>>,
    credentials: Arc<dyn CredentialRegistry>,
    clock: Clock,
    parsed: Mutex<ParsedPolicies>,
}

/// The caller as the policy engine sees it, with everything attached to it.
struct Caller {
    principal: Principal,
    identity: Vec<Arc<Policy>>,
    boundary: Option<Arc<Policy>>,
    session: Vec<Arc<Policy>>,
    source_identity: Option<String>,
}

impl PolicyAuthorizer {
    pub fn new(strict: bool, directory: Option<Arc<dyn Directory>>, credentials: Arc<dyn CredentialRegistry>, clock: Clock) -> Self {
        PolicyAuthorizer { strict, directory, credentials, clock, parsed: Mutex::new(HashMap::new()) }
    }

    /// A policy document parsed once; `None` (and a warning) if it no longer parses, which
    /// makes it grant nothing.
    fn parsed(&self, kind: PolicyKind, text: &str) -> Option<Arc<Policy>> {
        let kind_tag = match kind {
            PolicyKind::Identity => 0,
            PolicyKind::Resource => 1,
            PolicyKind::Trust => 2,
        };
        let key = (kind_tag, text.to_owned());
        if let Some(found) = self.parsed.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return found.clone();
        }
        let policy = match Policy::parse(text, kind) {
            Ok(p) => Some(Arc::new(p)),
            Err(e) => {
                tracing::warn!(target: "nimbus::authz", "a stored {kind:?} policy does not parse ({e}); it grants nothing");
                None
            }
        };
        let mut cache = self.parsed.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= PARSED_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, policy.clone());
        policy
    }

    fn caller(&self, ctx: &RequestContext) -> Caller {
        let arn = ctx.principal.arn.clone();
        // Authentication usually hands the session over; otherwise only temporary (`ASIA`)
        // keys have one, so long-lived keys cost no lookup.
        let session: Option<Arc<Session>> = ctx.principal.session.clone().or_else(|| {
            let key = ctx.principal.access_key_id.as_deref().filter(|k| k.starts_with(TEMPORARY_KEY_PREFIX))?;
            self.credentials.lookup(key).and_then(|c| c.session).map(Arc::new)
        });
        let session: Arc<Session> = session.unwrap_or_default();
        let kind = principal_kind(&arn, &ctx.account_id, session.identity_arn.as_deref());
        let username = (kind == PrincipalKind::User).then(|| arn.rsplit('/').next().unwrap_or_default().to_owned());
        let mut caller = Caller {
            principal: Principal {
                arn: arn.clone(),
                account_id: ctx.account_id.clone(),
                kind: kind.clone(),
                user_id: ctx.principal.user_id.clone(),
                username,
                tags: Vec::new(),
            },
            identity: Vec::new(),
            boundary: None,
            session: session.policies.iter().filter_map(|text| self.parsed(PolicyKind::Identity, text)).collect(),
            source_identity: session.source_identity.clone(),
        };
        // Whose policies the caller has: the user itself, the role behind a session, the user
        // behind a federated or GetSessionToken session.
        let identity_arn = match &kind {
            PrincipalKind::Root | PrincipalKind::Anonymous | PrincipalKind::Service(_) => None,
            PrincipalKind::User => Some(session.identity_arn.clone().unwrap_or(arn)),
            PrincipalKind::AssumedRole { role_arn } => Some(role_arn.clone()),
            PrincipalKind::FederatedUser => session.identity_arn.clone(),
        };
        if let (Some(identity_arn), Some(directory)) = (identity_arn, &self.directory)
            && let Some(attached) = directory.principal_policies(&identity_arn)
        {
            caller.identity = attached.identity;
            caller.boundary = attached.boundary;
            caller.principal.tags = attached.tags;
        }
        // Session tags override the identity's tags with the same key.
        for (key, value) in &session.tags {
            caller.principal.tags.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
            caller.principal.tags.push((key.clone(), value.clone()));
        }
        caller
    }

    /// The condition keys every request has.
    fn base_context(&self, ctx: &RequestContext, caller: &Caller) -> Context {
        let mut context = Context::new();
        context.set_request_time(self.clock.now_millis());
        // Nimbus serves plain HTTP only.
        context.set_one("aws:SecureTransport", "false");
        context.set_one("aws:RequestedRegion", ctx.region.clone());
        if let Some(ip) = ctx.source_ip {
            context.set_one("aws:SourceIp", ip.to_string());
        }
        if let Some(source) = &caller.source_identity {
            context.set_one("aws:SourceIdentity", source.clone());
        }
        context.add_principal_keys(&caller.principal);
        context
    }

    fn decide(
        &self,
        caller: &Caller,
        base: &Context,
        access: &Access,
        resource: &str,
        resource_policy: &dyn Fn(&str) -> Option<ResourcePolicy>,
    ) -> Result<(), Denied> {
        let mut context = base.clone();
        for (key, values) in &access.context {
            context.set(key, values.clone());
        }
        // Role trust policies and KMS key policies must allow by themselves (AWS's two
        // resource types whose policy is not optional).
        // Tagging a role session or setting its source identity is also the trust policy's call.
        let assume_role = access.action.starts_with("sts:AssumeRole")
            || (matches!(access.action.as_str(), "sts:TagSession" | "sts:SetSourceIdentity") && resource.contains(":role/"));
        let required = assume_role || access.action.starts_with("kms:");
        let (policy, owner) = if assume_role {
            let trust = self.directory.as_ref().and_then(|d| d.role(resource));
            (trust.map(|t| t.trust_policy), arn_account(resource))
        } else if resource != "*" {
            match resource_policy(resource) {
                Some(rp) => (self.parsed(PolicyKind::Resource, &rp.document), Some(rp.owner_account)),
                None => (None, arn_account(resource)),
            }
        } else {
            (None, None)
        };
        let identity: Vec<&Policy> = caller.identity.iter().map(Arc::as_ref).collect();
        let session: Vec<&Policy> = caller.session.iter().map(Arc::as_ref).collect();
        let set = PolicySet {
            identity: &identity,
            boundary: caller.boundary.as_deref(),
            session: &session,
            resource: policy.as_deref(),
            resource_account: owner.as_deref(),
            resource_policy_required: required,
        };
        let request = Request { principal: &caller.principal, action: &access.action, resource, context: &context };
        let evaluation = nimbus_policy::evaluate(&set, &request);
        if evaluation.decision == Decision::Allow {
            return Ok(());
        }
        let message = evaluation.denial_message(&request);
        // One line per denial naming what was considered, so a user can see why.
        tracing::info!(
            target: "nimbus::authz",
            principal = %caller.principal.arn,
            action = %access.action,
            resource,
            identity_policies = identity.len(),
            boundary = set.boundary.is_some(),
            session_policies = session.len(),
            resource_policy = set.resource.is_some(),
            matched = ?evaluation.matched,
            missing_context = ?evaluation.missing_context_keys,
            "denied: {message}"
        );
        Err(Denied { message })
    }
}

impl Authorizer for PolicyAuthorizer {
    fn enforcing(&self) -> bool {
        self.strict
    }

    fn authorize(
        &self,
        ctx: &RequestContext,
        accesses: &[Access],
        resource_policy: &dyn Fn(&str) -> Option<ResourcePolicy>,
    ) -> Result<(), Denied> {
        if !self.strict {
            return Ok(());
        }
        let caller = self.caller(ctx);
        let base = self.base_context(ctx, &caller);
        for access in accesses {
            for resource in &access.resources {
                self.decide(&caller, &base, access, resource, resource_policy)?;
            }
        }
        Ok(())
    }
}

/// What kind of principal an ARN names (`identity_arn`: a session's role, with its path).
fn principal_kind(arn: &str, account_id: &str, identity_arn: Option<&str>) -> PrincipalKind {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    if resource == "root" {
        PrincipalKind::Root
    } else if let Some(rest) = resource.strip_prefix("assumed-role/") {
        let role_name = rest.split('/').next().unwrap_or_default();
        let role_arn = identity_arn.map_or_else(|| format!("arn:aws:iam::{account_id}:role/{role_name}"), str::to_owned);
        PrincipalKind::AssumedRole { role_arn }
    } else if resource.starts_with("federated-user/") {
        PrincipalKind::FederatedUser
    } else {
        PrincipalKind::User
    }
}

/// The account field of an ARN, if it has one (S3 ARNs do not).
fn arn_account(arn: &str) -> Option<String> {
    arn.split(':').nth(4).filter(|a| !a.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_kinds_from_arns() {
        assert_eq!(principal_kind("arn:aws:iam::111122223333:root", "111122223333", None), PrincipalKind::Root);
        assert_eq!(principal_kind("arn:aws:iam::111122223333:user/dev/alice", "111122223333", None), PrincipalKind::User);
        assert_eq!(
            principal_kind("arn:aws:sts::111122223333:assumed-role/app/s1", "111122223333", None),
            PrincipalKind::AssumedRole { role_arn: "arn:aws:iam::111122223333:role/app".into() }
        );
        assert_eq!(
            principal_kind("arn:aws:sts::111122223333:assumed-role/app/s1", "111122223333", Some("arn:aws:iam::111122223333:role/svc/app")),
            PrincipalKind::AssumedRole { role_arn: "arn:aws:iam::111122223333:role/svc/app".into() }
        );
        assert_eq!(principal_kind("arn:aws:sts::111122223333:federated-user/bob", "111122223333", None), PrincipalKind::FederatedUser);
        assert_eq!(arn_account("arn:aws:s3:::bucket/key"), None);
        assert_eq!(arn_account("arn:aws:sqs:us-east-1:111122223333:q").as_deref(), Some("111122223333"));
    }
}
