//! Resource policies: GetResourcePolicy, PutResourcePolicy, DeleteResourcePolicy,
//! ValidateResourcePolicy, ListResourcePolicies.
//!
//! A secret has at most one policy, `default` (the only one callers may modify). Policies are
//! checked for valid JSON and the structure of an IAM resource policy; nothing evaluates them.

use nimbus_core::{Document, RequestContext, ServiceError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::{Out, Res, fail, invalid_parameter, malformed_policy};
use crate::state::{self, save};
use crate::{SecretsManager, parse};

pub const DEFAULT_POLICY_NAME: &str = "default";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyRefInput {
    secret_id: String,
    policy_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutResourcePolicyInput {
    secret_id: String,
    resource_policy: String,
    policy_name: Option<String>,
    block_public_policy: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ValidateResourcePolicyInput {
    secret_id: Option<String>,
    resource_policy: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListResourcePoliciesInput {
    secret_id: String,
}

/// A problem found in a policy: the check that failed and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProblem {
    pub check: &'static str,
    pub message: String,
}

const SYNTAX_CHECK: &str = "SYNTAX_CHECK";
const PUBLIC_ACCESS_CHECK: &str = "PUBLIC_ACCESS_CHECK";

const TOP_LEVEL_KEYS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_KEYS: &[&str] =
    &["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];

fn syntax(message: impl Into<String>) -> PolicyProblem {
    PolicyProblem { check: SYNTAX_CHECK, message: message.into() }
}

fn is_string_or_strings(value: &Value) -> bool {
    match value {
        Value::String(_) => true,
        Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_string),
        _ => false,
    }
}

fn is_valid_principal(value: &Value) -> bool {
    match value {
        Value::String(s) => s == "*",
        Value::Object(map) => !map.is_empty() && map.values().all(is_string_or_strings),
        _ => false,
    }
}

/// Whether a statement lets anyone in: `Allow` to principal `*` (or `{"AWS": "*"}`) with no
/// condition to narrow it.
fn is_public_statement(statement: &serde_json::Map<String, Value>) -> bool {
    let wildcard = |v: &Value| match v {
        Value::String(s) => s == "*",
        Value::Array(items) => items.iter().any(|i| i.as_str() == Some("*")),
        _ => false,
    };
    statement.get("Effect").and_then(Value::as_str) == Some("Allow")
        && !statement.contains_key("Condition")
        && match statement.get("Principal") {
            Some(Value::String(s)) => s == "*",
            Some(Value::Object(map)) => map.get("AWS").is_some_and(wildcard),
            _ => false,
        }
}

/// Checks a policy document. `Err` means it is not JSON at all; `Ok` lists every problem
/// found (structure first, then broad access), empty for a good policy.
pub fn check_policy(text: &str) -> Res<Vec<PolicyProblem>> {
    let document: Value = serde_json::from_str(text)
        .map_err(|e| malformed_policy(format!("The resource policy has syntax errors: {e}")))?;
    let mut problems = Vec::new();
    let Value::Object(top) = &document else {
        problems.push(syntax("The policy must be a JSON object."));
        return Ok(problems);
    };
    for key in top.keys() {
        if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
            problems.push(syntax(format!("The policy contains the unsupported element {key}.")));
        }
    }
    if let Some(version) = top.get("Version")
        && !matches!(version.as_str(), Some("2012-10-17" | "2008-10-17"))
    {
        problems.push(syntax("The policy Version must be 2012-10-17 or 2008-10-17."));
    }
    let statements: Vec<&Value> = match top.get("Statement") {
        Some(Value::Array(items)) if !items.is_empty() => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => {
            problems.push(syntax("The policy must contain a Statement element with at least one statement."));
            return Ok(problems);
        }
    };
    let mut public = false;
    for (index, statement) in statements.iter().enumerate() {
        let Value::Object(statement) = statement else {
            problems.push(syntax(format!("Statement {index} must be a JSON object.")));
            continue;
        };
        for key in statement.keys() {
            if !STATEMENT_KEYS.contains(&key.as_str()) {
                problems.push(syntax(format!("Statement {index} contains the unsupported element {key}.")));
            }
        }
        if !matches!(statement.get("Effect").and_then(Value::as_str), Some("Allow" | "Deny")) {
            problems.push(syntax(format!("Statement {index} must have an Effect of Allow or Deny.")));
        }
        match (statement.get("Action"), statement.get("NotAction")) {
            (Some(a), None) | (None, Some(a)) if is_string_or_strings(a) => {}
            _ => problems.push(syntax(format!("Statement {index} must have exactly one of Action or NotAction."))),
        }
        match (statement.get("Principal"), statement.get("NotPrincipal")) {
            (Some(p), None) | (None, Some(p)) if is_valid_principal(p) => {}
            _ => {
                problems.push(syntax(format!("Statement {index} must have exactly one of Principal or NotPrincipal.")))
            }
        }
        if let Some(r) = statement.get("Resource").or_else(|| statement.get("NotResource"))
            && !is_string_or_strings(r)
        {
            problems.push(syntax(format!("Statement {index} has an invalid Resource.")));
        }
        if let Some(condition) = statement.get("Condition")
            && !condition.is_object()
        {
            problems.push(syntax(format!("Statement {index} has an invalid Condition.")));
        }
        public |= is_public_statement(statement);
    }
    if public {
        problems.push(PolicyProblem {
            check: PUBLIC_ACCESS_CHECK,
            message: "The resource policy grants a wide range of principals access to the secret.".into(),
        });
    }
    Ok(problems)
}

/// Only the `default` policy can be modified.
fn check_modifiable(policy_name: Option<&str>) -> Res<()> {
    match policy_name {
        None | Some(DEFAULT_POLICY_NAME) => Ok(()),
        Some(_) => fail(invalid_parameter("You can modify only the default policy.")),
    }
}

impl SecretsManager {
    pub(crate) fn get_resource_policy(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: PolicyRefInput = parse(input)?;
        let now = self.now();
        let secret = self.tx(ctx, |txn, scope| state::require(txn, ctx, scope, &input.secret_id, now))?;
        let name = input.policy_name.as_deref().unwrap_or(DEFAULT_POLICY_NAME);
        let policy = secret.policy.clone().filter(|_| name == DEFAULT_POLICY_NAME);
        Ok(Out::new()
            .set("ARN", secret.arn.clone())
            .set("Name", secret.name.clone())
            .opt("PolicyName", policy.as_ref().map(|_| name.to_owned()).or(input.policy_name.clone()))
            .opt("ResourcePolicy", policy)
            .done())
    }

    pub(crate) fn put_resource_policy(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: PutResourcePolicyInput = parse(input)?;
        check_modifiable(input.policy_name.as_deref())?;
        let block_public = input.block_public_policy.unwrap_or(false);
        let problems = check_policy(&input.resource_policy)?;
        if let Some(problem) = problems.iter().find(|p| p.check == SYNTAX_CHECK) {
            return fail(malformed_policy(problem.message.clone()));
        }
        if block_public && problems.iter().any(|p| p.check == PUBLIC_ACCESS_CHECK) {
            return fail(ServiceError::new(
                "PublicPolicyException",
                "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.",
            ));
        }
        let now = self.now();
        let secret = self.tx(ctx, |txn, scope| {
            let mut secret = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
            secret.policy = Some(input.resource_policy.clone());
            secret.block_public_policy = block_public;
            secret.last_changed_ms = now;
            save(txn, scope, &secret)?;
            Ok(secret)
        })?;
        Ok(Out::new()
            .set("ARN", secret.arn.clone())
            .set("Name", secret.name.clone())
            .opt("PolicyName", input.policy_name)
            .done())
    }

    pub(crate) fn delete_resource_policy(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: PolicyRefInput = parse(input)?;
        check_modifiable(input.policy_name.as_deref())?;
        let now = self.now();
        let secret = self.tx(ctx, |txn, scope| {
            let mut secret = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
            if secret.policy.take().is_some() {
                secret.block_public_policy = false;
                secret.last_changed_ms = now;
                save(txn, scope, &secret)?;
            }
            Ok(secret)
        })?;
        Ok(Out::new()
            .set("ARN", secret.arn.clone())
            .set("Name", secret.name.clone())
            .opt("PolicyName", input.policy_name)
            .done())
    }

    pub(crate) fn validate_resource_policy(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: ValidateResourcePolicyInput = parse(input)?;
        if let Some(secret_id) = &input.secret_id {
            let now = self.now();
            self.tx(ctx, |txn, scope| state::require(txn, ctx, scope, secret_id, now))?;
        }
        let problems = check_policy(&input.resource_policy)?;
        let errors: Vec<Value> =
            problems.iter().map(|p| json!({"CheckName": p.check, "ErrorMessage": p.message})).collect();
        Ok(json!({"PolicyValidationPassed": errors.is_empty(), "ValidationErrors": errors}))
    }

    pub(crate) fn list_resource_policies(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: ListResourcePoliciesInput = parse(input)?;
        let now = self.now();
        let secret = self.tx(ctx, |txn, scope| state::require(txn, ctx, scope, &input.secret_id, now))?;
        let policies: Vec<Value> = secret.policy.iter().map(|_| json!({"PolicyName": DEFAULT_POLICY_NAME})).collect();
        Ok(json!({"ResourcePolicies": policies}))
    }
}
