//! AWS's policy evaluation logic.

use crate::{Context, Policy, Principal, Request};

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
    pub fn denial_message(&self, request: &Request) -> String {
        let _ = request;
        todo!("denial message")
    }
}

/// Decides `request` against `set` with AWS's evaluation logic.
pub fn evaluate(set: &PolicySet, request: &Request) -> Evaluation {
    let _ = (set, request);
    todo!("evaluation")
}

pub(crate) fn principal_keys(context: &mut Context, principal: &Principal) {
    let _ = (context, principal);
    todo!("principal keys")
}
