//! What a new session carries into authorization: its session policies (inline and managed),
//! session tags (with role chaining's transitive tags) and source identity.

use nimbus_core::{Credential, ServiceError, Session};
use nimbus_policy::{Directory, Policy, PolicyKind};
use serde::Deserialize;

use crate::validation;

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagInput {
    pub key: String,
    pub value: String,
}

#[derive(Deserialize, Clone)]
pub(crate) struct PolicyArnInput {
    pub arn: Option<String>,
}

/// A federated-user session with no session policy has no permissions (AWS: "If you do not pass
/// a policy ... the resulting federated user session has no permissions"); this session policy
/// allows nothing, so the intersection with the user's policies is empty.
const NOTHING_ALLOWED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"none:null","Resource":"*"}]}"#;

/// The session policies of a new session: the inline `Policy` (validated as an identity policy)
/// and the default versions of the `PolicyArns` (at most 10), as documents.
pub(crate) fn session_policies(
    inline: Option<&str>,
    arns: &[PolicyArnInput],
    directory: Option<&dyn Directory>,
    nothing_if_none: bool,
) -> Result<Vec<String>, ServiceError> {
    if arns.len() > 10 {
        return Err(validation(format!(
            "1 validation error detected: Value '{}' at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10",
            arns.len()
        )));
    }
    let mut policies = Vec::new();
    if let Some(text) = inline {
        Policy::parse(text, PolicyKind::Identity).map_err(|e| ServiceError::new("MalformedPolicyDocument", e.message))?;
        policies.push(text.to_owned());
    }
    for arn in arns.iter().filter_map(|a| a.arn.as_deref()) {
        match directory.and_then(|d| d.managed_policy(arn)) {
            Some(policy) => policies.push(policy.text().to_owned()),
            // Without IAM wired (tests), an ARN cannot be checked; with IAM, AWS refuses it.
            None if directory.is_none() => {}
            None => {
                return Err(ServiceError::new("InvalidParameterValue", format!("The policy {arn} does not exist or is not attachable.")));
            }
        }
    }
    if policies.is_empty() && nothing_if_none {
        policies.push(NOTHING_ALLOWED.to_owned());
    }
    Ok(policies)
}

/// A session's tags and the keys of those that pass on to chained sessions.
pub(crate) type SessionTags = (Vec<(String, String)>, Vec<String>);

/// Session tags: AWS's limits (50 tags, keys up to 128 characters, values up to 256, no key
/// twice ignoring case), the caller's transitive tags carried over (and not overridable), and
/// the transitive keys, which must name tags of this request.
pub(crate) fn session_tags(
    tags: &[TagInput],
    transitive_keys: &[String],
    caller: Option<&Session>,
) -> Result<SessionTags, ServiceError> {
    if tags.len() > 50 {
        return Err(validation(format!(
            "1 validation error detected: Value '[...]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50 (found {})",
            tags.len()
        )));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for tag in tags {
        if tag.key.is_empty() || tag.key.chars().count() > 128 {
            return Err(validation(format!(
                "1 validation error detected: Value '{}' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128",
                tag.key
            )));
        }
        if tag.value.chars().count() > 256 {
            return Err(validation(format!(
                "1 validation error detected: Value '{}' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
                tag.value
            )));
        }
        if out.iter().any(|(k, _)| k.eq_ignore_ascii_case(&tag.key)) {
            return Err(ServiceError::new("InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive."));
        }
        out.push((tag.key.clone(), tag.value.clone()));
    }
    for key in transitive_keys {
        if !out.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(ServiceError::new(
                "InvalidParameterValue",
                "The specified transitive tag key must be included in the requested tags.",
            ));
        }
    }
    let mut transitive: Vec<String> = transitive_keys.to_vec();
    if let Some(caller) = caller {
        for key in &caller.transitive_tag_keys {
            let Some((k, v)) = caller.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) else { continue };
            if out.iter().any(|(mine, _)| mine.eq_ignore_ascii_case(k)) {
                return Err(ServiceError::new(
                    "InvalidParameterValue",
                    "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.",
                ));
            }
            out.push((k.clone(), v.clone()));
            transitive.push(k.clone());
        }
    }
    Ok((out, transitive))
}

/// Source identity: set once per chain; a chained session keeps the caller's and may not
/// change it.
pub(crate) fn source_identity(requested: Option<&str>, caller: Option<&Session>) -> Result<Option<String>, ServiceError> {
    let inherited = caller.and_then(|s| s.source_identity.clone());
    match (requested, inherited) {
        (Some(r), Some(i)) if r != i => Err(ServiceError::new(
            "AccessDenied",
            "The source identity of the calling session cannot be changed for a role-chained session.",
        )
        .with_status(403)),
        (Some(r), _) => {
            let ok = (2..=64).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
            if !ok || r.to_ascii_lowercase().starts_with("aws:") {
                return Err(validation(format!(
                    "1 validation error detected: Value '{r}' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
                )));
            }
            Ok(Some(r.to_owned()))
        }
        (None, inherited) => Ok(inherited),
    }
}

/// AWS's PackedPolicySize: the session policies and tags, compressed, as a percentage of the
/// limit. Nimbus approximates the packing by the compact JSON length over 2,048 characters
/// plus 64 per tag.
pub(crate) fn packed_size(policies: &[String], tags: &[(String, String)]) -> Result<Option<u32>, ServiceError> {
    if policies.is_empty() && tags.is_empty() {
        return Ok(None);
    }
    let policy_chars: usize = policies
        .iter()
        .map(|p| serde_json::from_str::<serde_json::Value>(p).map(|v| v.to_string().len()).unwrap_or(p.len()))
        .sum();
    let tag_chars: usize = tags.iter().map(|(k, v)| k.len() + v.len() + 64).sum();
    let percent = ((policy_chars + tag_chars) * 100).div_ceil(2048) as u32;
    if percent > 100 {
        return Err(ServiceError::new(
            "PackedPolicyTooLarge",
            format!("Packed size of the session policies and session tags exceeds the limit by {}%.", percent - 100),
        ));
    }
    Ok(Some(percent))
}

/// The session of the credentials that signed the request, if any (role chaining).
pub(crate) fn caller_session(credential: Option<Credential>) -> Option<Session> {
    credential.and_then(|c| c.session)
}
