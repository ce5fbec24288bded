//! The policy simulator. `SimulatePrincipalPolicy` finds the identity's policies with the same
//! [`resolve`] the directory uses and evaluates with `nimbus_policy::evaluate`, building the
//! principal and the base condition keys as strict mode's authorizer does, so the simulator
//! and enforcement agree. Request-specific keys enforcement reads from the request
//! (`aws:SourceIp`, `aws:RequestedRegion`, service keys) come from `ContextEntries`.

use std::sync::Arc;

use nimbus_core::{Document, RequestContext};
use nimbus_policy::{
    Context, Decision, Directory, Policy, PolicyKind, PolicySet, PolicySource, Principal,
    PrincipalKind, Request,
};
use serde_json::json;

use crate::Iam;
use crate::directory::{Resolved, Source, resolve};
use crate::errors::{Res, invalid, malformed, no_such};
use crate::util::{arn_parts, opt, req, strings};

/// Policies passed in the request, parsed.
fn inputs(input: &Document, member: &str, kind: PolicyKind, label: &str) -> Res<Vec<Source>> {
    strings(input, member)
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let policy = Policy::parse(text, kind).map_err(|e| malformed(e.message))?;
            Ok(Source {
                policy: Arc::new(policy),
                id: format!("{label}.{}", i + 1),
                kind: "none",
            })
        })
        .collect()
}

/// `ContextEntries` into condition keys (values are strings whatever their declared type, as
/// the engine parses them per operator).
fn context_entries(input: &Document, context: &mut Context) {
    for entry in input
        .get("ContextEntries")
        .and_then(Document::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = entry.get("ContextKeyName").and_then(Document::as_str) else {
            continue;
        };
        let values = strings(entry, "ContextKeyValues");
        context.set(name, values);
    }
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allowed",
        Decision::ExplicitDeny => "explicitDeny",
        Decision::ImplicitDeny => "implicitDeny",
    }
}

/// The account of a `ResourceOwner` (`arn:aws:iam::<acct>:root` or a bare id).
fn owner_account(owner: &str) -> String {
    arn_parts(owner)
        .map_or(owner, |(_, account, _)| account)
        .to_owned()
}

/// The account field of a resource ARN, as the authorizer reads it.
fn arn_account(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
}

/// Everything one simulation call evaluates with.
struct Simulation {
    principal: Principal,
    add_principal_keys: bool,
    identity: Vec<Source>,
    boundary: Option<Source>,
    resource_policy: Option<Arc<Policy>>,
    resource_owner: Option<String>,
}

impl Iam {
    fn base_context(&self, sim: &Simulation, input: &Document) -> Context {
        let mut context = Context::new();
        context.set_request_time(self.inner.clock.now_millis());
        context.set_one("aws:SecureTransport", "false");
        if sim.add_principal_keys {
            context.add_principal_keys(&sim.principal);
        }
        context_entries(input, &mut context);
        context
    }

    fn run(&self, ctx: &RequestContext, sim: Simulation, input: &Document) -> Res<Document> {
        let actions = strings(input, "ActionNames");
        let mut resources = strings(input, "ResourceArns");
        let resources_given = !resources.is_empty();
        if resources.is_empty() {
            resources.push("*".to_owned());
        }
        let context = self.base_context(&sim, input);
        let identity: Vec<&Policy> = sim.identity.iter().map(|s| s.policy.as_ref()).collect();
        let mut items = Vec::new();
        for action in &actions {
            if !action.contains(':') {
                return Err(invalid(format!(
                    "Actions must be prefaced by a vendor: {action}"
                )));
            }
            for resource in &resources {
                // sts:AssumeRole* on a role with no policy given: the role's trust policy, which
                // must allow by itself, as enforcement decides.
                let mut policy = sim.resource_policy.clone();
                let mut required = false;
                if action.to_ascii_lowercase().starts_with("sts:assumerole") {
                    if policy.is_none() {
                        policy = crate::directory::IamDirectory(self.inner.clone())
                            .role(resource)
                            .map(|t| t.trust_policy);
                    }
                    required = policy.is_some();
                } else if action.to_ascii_lowercase().starts_with("kms:") {
                    required = policy.is_some();
                }
                let owner = sim.resource_owner.clone().or_else(|| arn_account(resource));
                let set = PolicySet {
                    identity: &identity,
                    boundary: sim.boundary.as_ref().map(|b| b.policy.as_ref()),
                    session: &[],
                    resource: policy.as_deref(),
                    resource_account: owner.as_deref(),
                    resource_policy_required: required,
                };
                let request = Request {
                    principal: &sim.principal,
                    action,
                    resource,
                    context: &context,
                };
                let evaluation = nimbus_policy::evaluate(&set, &request);
                let matched: Vec<Document> = evaluation
                    .matched
                    .iter()
                    .map(|m| {
                        let (id, kind) =
                            match m.source {
                                PolicySource::Identity(i) => {
                                    (sim.identity[i].id.clone(), sim.identity[i].kind)
                                }
                                PolicySource::Boundary => sim.boundary.as_ref().map_or(
                                    ("PermissionsBoundaryPolicy".to_owned(), "none"),
                                    |b| (b.id.clone(), b.kind),
                                ),
                                PolicySource::Session(i) => {
                                    (format!("SessionPolicy.{}", i + 1), "none")
                                }
                                PolicySource::Resource => ("ResourcePolicy".to_owned(), "resource"),
                            };
                        json!({"SourcePolicyId": id, "SourcePolicyType": kind})
                    })
                    .collect();
                let decision = decision_name(evaluation.decision);
                let missing = evaluation.missing_context_keys.clone();
                let mut result = json!({
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": decision,
                    "MatchedStatements": matched,
                    "MissingContextValues": missing,
                });
                if let Some(b) = &sim.boundary {
                    let allowed = evaluation.deny_reason
                        != Some(nimbus_policy::DenyReason::NoBoundaryAllow)
                        && evaluation.deny_reason
                            != Some(nimbus_policy::DenyReason::BoundaryExplicitDeny);
                    let _ = b;
                    result["PermissionsBoundaryDecisionDetail"] =
                        json!({"AllowedByPermissionsBoundary": allowed});
                }
                if resources_given {
                    result["ResourceSpecificResults"] = json!([{
                        "EvalResourceName": resource,
                        "EvalResourceDecision": decision,
                        "MatchedStatements": result["MatchedStatements"].clone(),
                        "MissingContextValues": result["MissingContextValues"].clone(),
                    }]);
                }
                items.push((format!("{:08}", items.len()), result));
            }
        }
        let _ = ctx;
        crate::paging::page(input, items, "EvaluationResults")
    }

    fn source(&self, source_arn: &str) -> Res<Resolved> {
        resolve(self.store(), &self.inner.cache, source_arn)?.ok_or_else(|| {
            let what = arn_parts(source_arn)
                .map(|(_, _, r)| r)
                .unwrap_or(source_arn);
            let (kind, name) = what.split_once('/').unwrap_or(("entity", what));
            no_such(format!(
                "The {kind} with name {} cannot be found.",
                name.rsplit('/').next().unwrap_or(name)
            ))
        })
    }

    fn resource_inputs(input: &Document) -> Res<(Option<Arc<Policy>>, Option<String>)> {
        let policy = match opt(input, "ResourcePolicy") {
            Some(text) => Some(Arc::new(
                Policy::parse(text, PolicyKind::Resource).map_err(|e| malformed(e.message))?,
            )),
            None => None,
        };
        Ok((policy, opt(input, "ResourceOwner").map(owner_account)))
    }

    pub(crate) fn simulate_principal_policy(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let source = self.source(req(input, "PolicySourceArn")?)?;
        let mut identity = source.policies.clone();
        identity.extend(inputs(
            input,
            "PolicyInputList",
            PolicyKind::Identity,
            "PolicyInputList",
        )?);
        let boundaries = inputs(
            input,
            "PermissionsBoundaryPolicyInputList",
            PolicyKind::Identity,
            "PermissionsBoundaryPolicyInputList",
        )?;
        let boundary = boundaries
            .into_iter()
            .next()
            .or_else(|| source.boundary.clone());
        let account = arn_parts(&source.arn).map_or(ctx.account_id.clone(), |p| p.1.to_owned());
        let caller = opt(input, "CallerArn");
        let (arn, kind) = match (source.entity, caller) {
            (_, Some(c)) => (c.to_owned(), PrincipalKind::User),
            ("Role", None) => (
                source.arn.clone(),
                PrincipalKind::AssumedRole {
                    role_arn: source.arn.clone(),
                },
            ),
            _ => (source.arn.clone(), PrincipalKind::User),
        };
        let username = (kind == PrincipalKind::User)
            .then(|| arn.rsplit('/').next().unwrap_or_default().to_owned());
        let principal = Principal {
            arn,
            account_id: account,
            kind,
            user_id: source.id.clone(),
            username,
            tags: source.tags.clone(),
        };
        let (resource_policy, resource_owner) = Self::resource_inputs(input)?;
        let sim = Simulation {
            principal,
            add_principal_keys: true,
            identity,
            boundary,
            resource_policy,
            resource_owner,
        };
        self.run(ctx, sim, input)
    }

    pub(crate) fn simulate_custom_policy(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let identity = inputs(
            input,
            "PolicyInputList",
            PolicyKind::Identity,
            "PolicyInputList",
        )?;
        let boundary = inputs(
            input,
            "PermissionsBoundaryPolicyInputList",
            PolicyKind::Identity,
            "PermissionsBoundaryPolicyInputList",
        )?
        .into_iter()
        .next();
        let caller = opt(input, "CallerArn");
        let principal = Principal {
            arn: caller.unwrap_or_default().to_owned(),
            account_id: ctx.account_id.clone(),
            kind: PrincipalKind::User,
            user_id: String::new(),
            username: caller.map(|c| c.rsplit('/').next().unwrap_or_default().to_owned()),
            tags: Vec::new(),
        };
        let (resource_policy, resource_owner) = Self::resource_inputs(input)?;
        let sim = Simulation {
            principal,
            add_principal_keys: caller.is_some(),
            identity,
            boundary,
            resource_policy,
            resource_owner,
        };
        self.run(ctx, sim, input)
    }

    pub(crate) fn context_keys_for_principal(
        &self,
        _ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let source = self.source(req(input, "PolicySourceArn")?)?;
        let mut policies: Vec<Arc<Policy>> =
            source.policies.iter().map(|s| s.policy.clone()).collect();
        policies.extend(policy_input_list(input)?);
        Ok(json!({"ContextKeyNames": context_keys(&policies)}))
    }

    pub(crate) fn context_keys_for_custom(&self, input: &Document) -> Res<Document> {
        let policies = policy_input_list(input)?;
        Ok(json!({"ContextKeyNames": context_keys(&policies)}))
    }
}

/// The identity policies of the input's `PolicyInputList`, for the context key listings.
fn policy_input_list(input: &Document) -> Res<Vec<Arc<Policy>>> {
    Ok(inputs(
        input,
        "PolicyInputList",
        PolicyKind::Identity,
        "PolicyInputList",
    )?
    .into_iter()
    .map(|s| s.policy)
    .collect())
}

fn context_keys(policies: &[Arc<Policy>]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for key in policies.iter().flat_map(|p| p.condition_keys()) {
        if !keys.iter().any(|k| k.eq_ignore_ascii_case(&key)) {
            keys.push(key);
        }
    }
    keys
}
