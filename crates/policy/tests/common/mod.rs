//! Builders shared by the integration tests.
#![allow(dead_code)]

use nimbus_policy::{evaluate, Context, Decision, Evaluation, Policy, PolicyKind, PolicySet, Principal, PrincipalKind, Request};
use serde_json::Value;

pub const ACCOUNT: &str = "111122223333";
pub const OTHER: &str = "444455556666";

pub fn user(name: &str) -> Principal {
    user_in(ACCOUNT, name)
}

pub fn user_in(account: &str, name: &str) -> Principal {
    Principal {
        arn: format!("arn:aws:iam::{account}:user/{name}"),
        account_id: account.into(),
        kind: PrincipalKind::User,
        user_id: "AIDAJQABLZS4A3QDU576Q".into(),
        username: Some(name.into()),
        tags: Vec::new(),
    }
}

pub fn session(role: &str, session: &str) -> Principal {
    session_in(ACCOUNT, role, session)
}

pub fn session_in(account: &str, role: &str, session: &str) -> Principal {
    Principal {
        arn: format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
        account_id: account.into(),
        kind: PrincipalKind::AssumedRole { role_arn: format!("arn:aws:iam::{account}:role/{role}") },
        user_id: format!("AROADBQP57FF2AEXAMPLE:{session}"),
        username: None,
        tags: Vec::new(),
    }
}

pub fn federated(name: &str) -> Principal {
    Principal {
        arn: format!("arn:aws:sts::{ACCOUNT}:federated-user/{name}"),
        account_id: ACCOUNT.into(),
        kind: PrincipalKind::FederatedUser,
        user_id: format!("{ACCOUNT}:{name}"),
        username: None,
        tags: Vec::new(),
    }
}

pub fn root(account: &str) -> Principal {
    Principal {
        arn: format!("arn:aws:iam::{account}:root"),
        account_id: account.into(),
        kind: PrincipalKind::Root,
        user_id: account.into(),
        username: None,
        tags: Vec::new(),
    }
}

pub fn anonymous() -> Principal {
    Principal { arn: String::new(), account_id: String::new(), kind: PrincipalKind::Anonymous, user_id: String::new(), username: None, tags: Vec::new() }
}

pub fn service(name: &str) -> Principal {
    Principal {
        arn: String::new(),
        account_id: String::new(),
        kind: PrincipalKind::Service(name.into()),
        user_id: String::new(),
        username: None,
        tags: Vec::new(),
    }
}

pub fn parse(kind: PolicyKind, document: &Value) -> Policy {
    Policy::parse(&document.to_string(), kind).unwrap_or_else(|e| panic!("{document} should parse: {e}"))
}

pub fn identity(document: Value) -> Policy {
    parse(PolicyKind::Identity, &document)
}

pub fn resource(document: Value) -> Policy {
    parse(PolicyKind::Resource, &document)
}

pub fn trust(document: Value) -> Policy {
    parse(PolicyKind::Trust, &document)
}

/// An identity policy of one statement.
pub fn statement(effect: &str, action: &str, resource: &str) -> Policy {
    identity(serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": effect, "Action": action, "Resource": resource}]
    }))
}

/// The principal's keys plus `extra` (key, value) pairs.
pub fn context_for(principal: &Principal, extra: &[(&str, &str)]) -> Context {
    let mut context = Context::new();
    context.add_principal_keys(principal);
    for (k, v) in extra {
        context.set_one(k, *v);
    }
    context
}

pub fn run(set: &PolicySet, principal: &Principal, action: &str, resource: &str, context: &Context) -> Evaluation {
    let request = Request { principal, action, resource, context };
    evaluate(set, &request)
}

/// Decides with only the principal's own keys in the context.
pub fn decide(set: &PolicySet, principal: &Principal, action: &str, resource: &str) -> Decision {
    run(set, principal, action, resource, &context_for(principal, &[])).decision
}

/// The decision of one identity policy alone for a user.
pub fn identity_decision(policy: &Policy, action: &str, resource: &str, extra: &[(&str, &str)]) -> Decision {
    let alice = user("alice");
    let identity = [policy];
    let set = PolicySet { identity: &identity, ..Default::default() };
    run(&set, &alice, action, resource, &context_for(&alice, extra)).decision
}
