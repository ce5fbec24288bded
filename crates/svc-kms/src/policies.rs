//! Key policies: the defaults AWS writes, GetKeyPolicy, PutKeyPolicy, ListKeyPolicies.
//!
//! A policy is checked as JSON with statements here (the IAM grammar is nimbus-policy's, which
//! strict mode evaluates); the lockout safety check asks whether the new policy still lets the
//! caller change it, unless the request bypasses it.

use nimbus_core::RequestContext;
use serde_json::{Value, json};

use crate::errors::{Fail, Res, aws_managed, limit_exceeded, malformed_policy};
use crate::input::Input;
use crate::Inner;

pub const POLICY_NAME: &str = "default";
/// KMS's key policy size quota.
const MAX_POLICY_BYTES: usize = 32 * 1024;

/// The policy CreateKey gives a key when the request has none, exactly as AWS writes it.
pub fn default_policy(account: &str) -> String {
    format!(
        r#"{{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {{
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{account}:root"
    }},
    "Action" : "kms:*",
    "Resource" : "*"
  }} ]
}}"#
    )
}

/// The policy of an AWS managed key: any principal of the account may use it through the
/// service, the account may read its metadata.
pub fn aws_managed_policy(account: &str, region: &str, service: &str) -> String {
    let name = service_display_name(service);
    format!(
        r#"{{
  "Version" : "2012-10-17",
  "Id" : "auto-{service}-2",
  "Statement" : [ {{
    "Sid" : "Allow access through {name} for all principals in the account that are authorized to use {name}",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "*"
    }},
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {{
      "StringEquals" : {{
        "kms:CallerAccount" : "{account}",
        "kms:ViaService" : "{service}.{region}.amazonaws.com"
      }}
    }}
  }}, {{
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{account}:root"
    }},
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*" ],
    "Resource" : "*"
  }} ]
}}"#
    )
}

fn service_display_name(service: &str) -> &str {
    match service {
        "s3" => "S3",
        "secretsmanager" => "Secrets Manager",
        "ssm" => "Systems Manager",
        "sqs" => "SQS",
        "sns" => "SNS",
        "ebs" => "EBS",
        "rds" => "RDS",
        "lambda" => "Lambda",
        "dynamodb" => "DynamoDB",
        other => other,
    }
}

/// Checks a policy document and returns it as given.
pub fn validate_policy(ctx: &RequestContext, text: &str, bypass_lockout_check: bool) -> Res<String> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(limit_exceeded("The key policy exceeds the maximum size of 32 KB."));
    }
    let doc: Value = serde_json::from_str(text).map_err(|_| malformed_policy("The policy document is not valid JSON."))?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => return Err(malformed_policy("Policy document must contain a Statement.")),
    };
    for statement in &statements {
        check_statement(statement)?;
    }
    if !bypass_lockout_check && !statements.iter().any(|s| allows_put_key_policy(ctx, s)) {
        return Err(malformed_policy("The new key policy will not allow you to update the key policy in the future."));
    }
    Ok(text.to_owned())
}

fn check_statement(statement: &Value) -> Res<()> {
    let Some(fields) = statement.as_object() else { return Err(malformed_policy("Policy contains a statement that is not a JSON object.")) };
    match fields.get("Effect").and_then(Value::as_str) {
        Some("Allow" | "Deny") => {}
        _ => return Err(malformed_policy("Policy contains a statement with no or an invalid Effect.")),
    }
    if !fields.contains_key("Action") && !fields.contains_key("NotAction") {
        return Err(malformed_policy("Policy contains a statement with no Action."));
    }
    if !fields.contains_key("Principal") && !fields.contains_key("NotPrincipal") {
        return Err(malformed_policy("Policy contains a statement with no Principal."));
    }
    if let Some(principal) = fields.get("Principal")
        && !principal_is_well_formed(principal)
    {
        return Err(malformed_policy("Policy contains a statement with one or more invalid principals."));
    }
    Ok(())
}

fn principal_is_well_formed(principal: &Value) -> bool {
    match principal {
        Value::String(s) => s == "*",
        Value::Object(map) => !map.is_empty() && map.values().all(|v| !strings(v).is_empty()),
        _ => false,
    }
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `*` and `?` wildcards, case-insensitive (IAM action names).
fn glob_matches(pattern: &str, value: &str) -> bool {
    fn go(p: &[u8], v: &[u8]) -> bool {
        match (p.first(), v.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], v) || (!v.is_empty() && go(p, &v[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &v[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &v[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), value.as_bytes())
}

/// Whether an Allow statement could let the caller call PutKeyPolicy.
fn allows_put_key_policy(ctx: &RequestContext, statement: &Value) -> bool {
    if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
        return false;
    }
    let action_matches = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), _) => strings(actions).iter().any(|a| glob_matches(a, "kms:PutKeyPolicy")),
        (None, Some(not)) => !strings(not).iter().any(|a| glob_matches(a, "kms:PutKeyPolicy")),
        (None, None) => false,
    };
    if !action_matches {
        return false;
    }
    let Some(principal) = statement.get("Principal") else { return false };
    let candidates = caller_principals(ctx);
    match principal {
        Value::String(s) => s == "*",
        Value::Object(map) => map.get("AWS").is_some_and(|aws| {
            strings(aws).iter().any(|p| *p == "*" || candidates.iter().any(|c| c == p))
        }),
        _ => false,
    }
}

/// The principal values a policy may name the caller by: its ARN, its role's ARN for a role
/// session, and its account (root ARN or bare id), which delegates to IAM policies.
fn caller_principals(ctx: &RequestContext) -> Vec<String> {
    let account = &ctx.account_id;
    let mut out = vec![ctx.principal.arn.clone(), format!("arn:aws:iam::{account}:root"), account.clone()];
    if let Some(rest) = ctx.principal.arn.strip_prefix(&format!("arn:aws:sts::{account}:assumed-role/"))
        && let Some((role, _session)) = rest.split_once('/')
    {
        out.push(format!("arn:aws:iam::{account}:role/{role}"));
    }
    out
}

fn check_policy_name(input: &Input) -> Res<()> {
    match input.str("PolicyName") {
        None | Some(POLICY_NAME) => Ok(()),
        Some(_) => Err(Fail(nimbus_core::ServiceError::new("NotFoundException", "No such policy exists"))),
    }
}

impl Inner {
    pub(crate) fn get_key_policy(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, false)?;
        check_policy_name(input)?;
        Ok(json!({ "Policy": key.policy, "PolicyName": POLICY_NAME }))
    }

    pub(crate) fn put_key_policy(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, false)?;
        if key.is_aws_managed() {
            return Err(aws_managed(ctx, "PutKeyPolicy", &key.arn()));
        }
        check_policy_name(input)?;
        let policy = validate_policy(ctx, input.required_str("Policy")?, input.bool("BypassPolicyLockoutSafetyCheck"))?;
        self.update_key(&key, |k| {
            k.policy = policy;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_key_policies(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        self.find_key(ctx, input.required_str("KeyId")?, false)?;
        Ok(json!({ "PolicyNames": [POLICY_NAME], "Truncated": false }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policies_are_valid_json_naming_the_account() {
        let doc: Value = serde_json::from_str(&default_policy("111122223333")).unwrap();
        assert_eq!(doc["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::111122223333:root");
        let managed: Value = serde_json::from_str(&aws_managed_policy("111122223333", "eu-west-1", "s3")).unwrap();
        assert_eq!(managed["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"], "s3.eu-west-1.amazonaws.com");
    }

    #[test]
    fn lockout_check_wants_the_caller_allowed_to_put_policies() {
        let ctx = RequestContext::for_tests("kms", "PutKeyPolicy");
        assert!(validate_policy(&ctx, &default_policy("000000000000"), false).is_ok());
        let other = default_policy("999999999999");
        assert_eq!(validate_policy(&ctx, &other, false).unwrap_err().0.code, "MalformedPolicyDocumentException");
        assert!(validate_policy(&ctx, &other, true).is_ok());
        let wildcard = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Put*","Resource":"*"}]}"#;
        assert!(validate_policy(&ctx, wildcard, false).is_ok());
        assert!(validate_policy(&ctx, "not json", true).is_err());
        assert!(validate_policy(&ctx, r#"{"Version":"2012-10-17"}"#, true).is_err());
    }

    #[test]
    fn globs_match_iam_style() {
        assert!(glob_matches("kms:*", "kms:PutKeyPolicy"));
        assert!(glob_matches("KMS:put*", "kms:PutKeyPolicy"));
        assert!(glob_matches("*", "kms:PutKeyPolicy"));
        assert!(!glob_matches("kms:Get*", "kms:PutKeyPolicy"));
    }
}
