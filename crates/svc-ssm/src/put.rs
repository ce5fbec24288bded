//! PutParameter, DeleteParameter, DeleteParameters.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::{Document, RequestContext};
use regex::Regex;
use serde::Deserialize;
use serde_json::json;

use crate::errors::{self, Res};
use crate::names::{self, Access};
use crate::records::{
    Counters, ParamType, ParameterRecord, StoredValue, Tier, VersionData, VersionRecord, version_key, versions_prefix,
};
use crate::{DEFAULT_KEY_ID, Ssm, load_for_write, policies, purge};

pub const STANDARD_VALUE_MAX: usize = 4096;
pub const ADVANCED_VALUE_MAX: usize = 8192;
pub const DATA_TYPES: [&str; 3] = ["text", "aws:ec2:image", "aws:ssm:integration"];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagInput {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutParameterInput {
    name: String,
    description: Option<String>,
    value: String,
    #[serde(rename = "Type")]
    param_type: Option<String>,
    key_id: Option<String>,
    overwrite: Option<bool>,
    allowed_pattern: Option<String>,
    tags: Option<Vec<TagInput>>,
    tier: Option<String>,
    policies: Option<String>,
    data_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteParameterInput {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteParametersInput {
    names: Vec<String>,
}

/// The tier a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TierRequest {
    Standard,
    Advanced,
    Intelligent,
}

/// Compiles an AllowedPattern; the whole value must match it.
fn compile_pattern(pattern: &str) -> Res<Regex> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| errors::invalid_allowed_pattern(e).into())
}

/// `ami-` and 8 or 17 hexadecimal digits.
fn is_ami_id(value: &str) -> bool {
    value
        .strip_prefix("ami-")
        .is_some_and(|hex| (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The KMS key a SecureString is written under: the request's, else the previous version's,
/// else `alias/aws/ssm`.
fn secure_key_id(requested: Option<&str>, previous: Option<&VersionData>) -> String {
    requested
        .map(str::to_owned)
        .or_else(|| previous.and_then(|p| p.key_id.clone()))
        .unwrap_or_else(|| DEFAULT_KEY_ID.to_owned())
}

impl Ssm {
    pub(crate) fn put_parameter(&self, ctx: &RequestContext, input: PutParameterInput) -> Res<Document> {
        let name = names::validate_name(&input.name, Access::Write)?;
        names::check_depth(&name)?;
        let overwrite = input.overwrite.unwrap_or(false);
        let tags = input.tags.unwrap_or_default();
        if overwrite && !tags.is_empty() {
            return Err(errors::tags_with_overwrite().into());
        }
        let requested_type = match input.param_type.as_deref() {
            None => None,
            Some(t) => Some(ParamType::parse(t).ok_or_else(|| {
                nimbus_core::ServiceError::new(
                    "UnsupportedParameterType",
                    format!("The parameter type {t} isn't supported."),
                )
            })?),
        };
        if input.value.is_empty() {
            return Err(errors::value_empty().into());
        }
        if let Some(data_type) = input.data_type.as_deref()
            && !DATA_TYPES.contains(&data_type)
        {
            return Err(errors::validation(format!(
                    "The data type {data_type} isn't supported. Supported data types: text, aws:ec2:image, aws:ssm:integration."
                ))
                .into());
        }
        let mut tag_list: Vec<(String, String)> = Vec::new();
        for tag in tags {
            match tag_list.iter_mut().find(|(k, _)| *k == tag.key) {
                Some(existing) => existing.1 = tag.value,
                None => tag_list.push((tag.key, tag.value)),
            }
        }
        if tag_list.len() > self.limits.tags {
            return Err(errors::too_many_tags(self.limits.tags).into());
        }
        let now = self.now_ms();
        let new_policies = input.policies.as_deref().map(|text| policies::parse(text, now)).transpose()?;
        let requested_tier = match input.tier.as_deref() {
            None => None,
            Some("Standard") => Some(TierRequest::Standard),
            Some("Advanced") => Some(TierRequest::Advanced),
            Some("Intelligent-Tiering") => Some(TierRequest::Intelligent),
            Some(other) => {
                return Err(errors::validation(format!(
                    "1 validation error detected: Value '{other}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]"
                ))
                .into());
            }
        };
        let scope = Self::scope(ctx);
        let user = ctx.principal.arn.clone();

        // A SecureString is encrypted through KMS before the transaction (KMS writes to the same
        // store), under the key the parameter will have; the transaction checks it still does.
        let prepared = match self.find(&scope, std::slice::from_ref(&name))? {
            Some(_) if !overwrite => None,
            existing => {
                let previous = existing.as_ref().map(|r| &r.current);
                match requested_type.or(previous.map(|p| p.param_type)) {
                    Some(ParamType::SecureString) => {
                        let key_id = secure_key_id(input.key_id.as_deref(), previous);
                        self.kms_seal(ctx, &name, &key_id, &input.value)?.map(|value| (key_id, value))
                    }
                    _ => None,
                }
            }
        };

        let (version, tier) = self.store.transaction(|txn| -> Res<(i64, Tier)> {
            let existing = load_for_write(txn, &scope, &name, now)?;
            if existing.is_some() && !overwrite {
                return Err(errors::already_exists().into());
            }
            let previous = existing.as_ref().map(|r| &r.current);
            let param_type = match (requested_type, previous) {
                (Some(t), _) => t,
                (None, Some(p)) => p.param_type,
                (None, None) => {
                    return Err(errors::validation("A parameter type is required when you create a parameter.").into());
                }
            };
            let description = input.description.clone().or_else(|| previous.and_then(|p| p.description.clone()));
            let allowed_pattern = match input.allowed_pattern.as_deref() {
                Some("") => None,
                Some(p) => Some(p.to_owned()),
                None => previous.and_then(|p| p.allowed_pattern.clone()),
            };
            if let Some(pattern) = &allowed_pattern
                && !compile_pattern(pattern)?.is_match(&input.value) {
                    return Err(errors::pattern_mismatch(pattern).into());
                }
            let data_type = input
                .data_type
                .clone()
                .or_else(|| previous.map(|p| p.data_type.clone()))
                .unwrap_or_else(|| "text".to_owned());
            if let Some(p) = previous {
                let special = |d: &str| d == "aws:ec2:image" || d == "aws:ssm:integration";
                if p.data_type != data_type && (special(&p.data_type) || special(&data_type)) {
                    return Err(errors::validation(format!(
                        "You can't change the data type of a parameter from {} to {data_type}.",
                        p.data_type
                    ))
                    .into());
                }
            }
            if data_type == "aws:ec2:image" {
                if param_type != ParamType::String {
                    return Err(errors::validation("The aws:ec2:image data type is supported only for String parameters.").into());
                }
                if !is_ami_id(&input.value) {
                    return Err(errors::validation(format!(
                        "Parameter value {} isn't a valid Amazon Machine Image ID for the aws:ec2:image data type. An image ID has the format ami-12345abcdeEXAMPLE.",
                        input.value
                    ))
                    .into());
                }
            }
            let key_id = match param_type {
                ParamType::SecureString => Some(secure_key_id(input.key_id.as_deref(), previous)),
                _ if input.key_id.is_some() => {
                    return Err(errors::validation(
                        "KeyId can be specified only for parameters of type SecureString.",
                    )
                    .into());
                }
                _ => None,
            };
            let (policy_list, expires_at_ms) = match &new_policies {
                Some(parsed) => (parsed.policies.clone(), parsed.expires_at_ms),
                None => previous.map(|p| (p.policies.clone(), p.expires_at_ms)).unwrap_or_default(),
            };

            // Tier: an explicit choice must hold the value and policies; Intelligent-Tiering
            // picks Standard unless something needs Advanced. A parameter never goes back down.
            let value_len = input.value.chars().count();
            let mut counters = txn.get::<Counters>(&scope, Counters::KEY)?.unwrap_or_default();
            let previous_tier = previous.map(|p| p.tier);
            let standard_full = |counters: &Counters| {
                previous_tier != Some(Tier::Standard) && counters.standard >= self.limits.standard_parameters
            };
            let tier = match requested_tier {
                None => previous_tier.unwrap_or(Tier::Standard),
                Some(TierRequest::Standard) => Tier::Standard,
                Some(TierRequest::Advanced) => Tier::Advanced,
                Some(TierRequest::Intelligent) => {
                    if previous_tier == Some(Tier::Advanced)
                        || value_len > STANDARD_VALUE_MAX
                        || !policy_list.is_empty()
                        || standard_full(&counters)
                    {
                        Tier::Advanced
                    } else {
                        Tier::Standard
                    }
                }
            };
            if tier == Tier::Standard {
                if previous_tier == Some(Tier::Advanced) {
                    return Err(errors::tier_downgrade().into());
                }
                if value_len > STANDARD_VALUE_MAX {
                    return Err(errors::standard_value_too_long().into());
                }
                if !policy_list.is_empty() {
                    return Err(errors::policies_need_advanced().into());
                }
                if standard_full(&counters) {
                    return Err(errors::standard_limit(self.limits.standard_parameters).into());
                }
            } else {
                if value_len > ADVANCED_VALUE_MAX {
                    return Err(errors::value_too_long(ADVANCED_VALUE_MAX).into());
                }
                if previous_tier != Some(Tier::Advanced) && counters.advanced >= self.limits.advanced_parameters {
                    return Err(errors::advanced_limit(self.limits.advanced_parameters).into());
                }
            }

            // Versions: keep the newest `limits.versions`; the oldest goes unless it is labeled.
            let version = previous.map_or(1, |p| p.version + 1);
            if let Some(record) = &existing {
                let prefix = versions_prefix(&name);
                let kept = txn.list::<VersionRecord>(&scope, &prefix, None, self.limits.versions + 1)?;
                if kept.len() >= self.limits.versions {
                    let oldest = kept[0].1.data.version;
                    if record.labels.values().any(|v| *v == oldest) {
                        return Err(errors::max_versions(&name, oldest).into());
                    }
                    let excess = kept.len() + 1 - self.limits.versions;
                    for (key, _) in kept.iter().take(excess) {
                        txn.delete::<VersionRecord>(&scope, key)?;
                    }
                }
            }

            let value = match param_type {
                ParamType::SecureString if self.keys.is_some() => match &prepared {
                    Some((prepared_key, value)) if key_id.as_ref() == Some(prepared_key) => value.clone(),
                    // The parameter changed since it was encrypted: the caller retries.
                    _ => return Err(errors::too_many_updates().into()),
                },
                ParamType::SecureString => {
                    let aad = crate::sealing_aad(ctx, &name, version);
                    let sealed = self.store.seal(input.value.as_bytes(), aad.as_bytes())?;
                    StoredValue::Sealed { sealed: B64.encode(sealed) }
                }
                _ => StoredValue::Plain { text: input.value.clone() },
            };
            let data = VersionData {
                version,
                param_type,
                value,
                key_id,
                description,
                allowed_pattern,
                tier,
                policies: policy_list,
                expires_at_ms,
                data_type,
                modified_ms: now,
                modified_user: user.clone(),
            };
            let record = match existing {
                Some(mut record) => {
                    record.current = data.clone();
                    record
                }
                None => ParameterRecord {
                    name: name.clone(),
                    current: data.clone(),
                    labels: BTreeMap::new(),
                    tags: tag_list.clone(),
                },
            };
            if previous_tier != Some(tier) {
                if let Some(old) = previous_tier {
                    counters.remove(old);
                }
                counters.add(tier);
                txn.put(&scope, Counters::KEY, &counters)?;
            }
            txn.put(&scope, &name, &record)?;
            txn.put(&scope, &version_key(&name, version), &VersionRecord { name: name.clone(), data })?;
            Ok((version, tier))
        })?;
        Ok(json!({"Version": version, "Tier": tier.as_str()}))
    }

    pub(crate) fn delete_parameter(&self, ctx: &RequestContext, input: DeleteParameterInput) -> Res<Document> {
        let name = names::validate_name(&input.name, Access::Write)?;
        let scope = Self::scope(ctx);
        let now = self.now_ms();
        self.store.transaction(|txn| match load_for_write(txn, &scope, &name, now)? {
            Some(record) => purge(txn, &scope, &record),
            None => Err(errors::parameter_not_found().into()),
        })?;
        Ok(json!({}))
    }

    pub(crate) fn delete_parameters(&self, ctx: &RequestContext, input: DeleteParametersInput) -> Res<Document> {
        let requested = names::dedup_names(&input.names);
        for name in &requested {
            names::validate_name(name, Access::Write)?;
        }
        let scope = Self::scope(ctx);
        let now = self.now_ms();
        let (deleted, invalid) = self.store.transaction(|txn| {
            let (mut deleted, mut invalid) = (Vec::new(), Vec::new());
            for name in requested {
                match load_for_write(txn, &scope, &name, now)? {
                    Some(record) => {
                        purge(txn, &scope, &record)?;
                        deleted.push(name);
                    }
                    None => invalid.push(name),
                }
            }
            Res::Ok((deleted, invalid))
        })?;
        Ok(json!({"DeletedParameters": deleted, "InvalidParameters": invalid}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ami_ids() {
        assert!(is_ami_id("ami-12345678"));
        assert!(is_ami_id("ami-0123456789abcdef0"));
        assert!(!is_ami_id("ami-1234567"));
        assert!(!is_ami_id("ami-1234567g"));
        assert!(!is_ami_id("img-12345678"));
    }

    #[test]
    fn patterns_match_the_whole_value() {
        let re = compile_pattern(r"\d+").unwrap();
        assert!(re.is_match("123"));
        assert!(!re.is_match("a123"));
        assert!(compile_pattern(r"^\d+$").unwrap().is_match("42"));
        assert_eq!(compile_pattern("(").unwrap_err().0.code, "InvalidAllowedPatternException");
    }
}
