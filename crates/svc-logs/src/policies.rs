//! Resource policies: PutResourcePolicy, DescribeResourcePolicies, DeleteResourcePolicy.
//! Account-scoped policies are named; a resource-scoped policy is keyed by its log group's ARN.

use nimbus_core::{Document, RequestContext};
use serde_json::{Value, json};

use crate::errors::{self, Res};
use crate::input::{self, opt_str};
use crate::records::{GroupRecord, ResourcePolicyRecord, region_scope};
use crate::Logs;

/// Most account-scoped resource policies per region.
const MAX_ACCOUNT_POLICIES: usize = 10;

fn key_of(name: Option<&str>, resource_arn: Option<&str>) -> Res<String> {
    match (name, resource_arn) {
        (_, Some(arn)) => Ok(format!("@{arn}")),
        (Some(name), None) => Ok(name.to_owned()),
        (None, None) => Err(errors::invalid("Either policyName or resourceArn must be specified.")),
    }
}

impl Logs {
    pub(crate) fn put_resource_policy(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = opt_str(input, "policyName");
        let resource_arn = opt_str(input, "resourceArn");
        let document = opt_str(input, "policyDocument").ok_or_else(|| errors::invalid("policyDocument is required"))?;
        if !serde_json::from_str::<Value>(document).is_ok_and(|v| v.is_object()) {
            return Err(errors::invalid("Policy document is not valid JSON."));
        }
        let key = key_of(name, resource_arn)?;
        let scope = region_scope(ctx);
        if let Some(arn) = resource_arn {
            let group = input::group_from_arn(ctx, arn).ok_or_else(errors::group_not_found)?;
            self.group(ctx, group)?;
        }
        let expected = opt_str(input, "expectedRevisionId").map(str::to_owned);
        let record = ResourcePolicyRecord {
            name: name.map(str::to_owned),
            document: document.to_owned(),
            updated_ms: self.clock.now_millis(),
            resource_arn: resource_arn.map(str::to_owned),
            revision_id: nimbus_core::ids::uuid(),
        };
        self.store.transaction(|t| {
            let current = t.get::<ResourcePolicyRecord>(&scope, &key)?;
            if let Some(expected) = &expected
                && current.as_ref().map(|c| &c.revision_id) != Some(expected)
            {
                return Err(errors::Fail(nimbus_core::ServiceError::new(
                    "OperationAbortedException",
                    "The expected revision id does not match the current revision id.",
                )));
            }
            if current.is_none() && resource_arn.is_none() {
                let account = t.list::<ResourcePolicyRecord>(&scope, "", None, usize::MAX)?;
                if account.iter().filter(|(k, _)| !k.starts_with('@')).count() >= MAX_ACCOUNT_POLICIES {
                    return Err(errors::limit_exceeded());
                }
            }
            t.put(&scope, &key, &record)?;
            Ok(())
        })?;
        Ok(json!({"resourcePolicy": policy_document(&record), "revisionId": record.revision_id}))
    }

    pub(crate) fn describe_resource_policies(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let scope_filter = opt_str(input, "policyScope");
        let resource_arn = opt_str(input, "resourceArn");
        let limit = input::page_limit(input, "limit", 50);
        let after = input::next_token(input)?;
        let all = self.store.list::<ResourcePolicyRecord>(&region_scope(ctx), "", after.as_deref(), usize::MAX)?;
        let wanted = all.into_iter().filter(|(_, p)| {
            let scope = if p.resource_arn.is_some() { "RESOURCE" } else { "ACCOUNT" };
            scope_filter.is_none_or(|s| s == scope) && resource_arn.is_none_or(|arn| p.resource_arn.as_deref() == Some(arn))
        });
        let mut page: Vec<(String, ResourcePolicyRecord)> = wanted.take(limit + 1).collect();
        let more = page.len() > limit;
        page.truncate(limit);
        let mut out = json!({"resourcePolicies": page.iter().map(|(_, p)| policy_document(p)).collect::<Vec<_>>()});
        if more && let Some((key, _)) = page.last() {
            out["nextToken"] = json!(input::encode_token(key));
        }
        Ok(out)
    }

    pub(crate) fn delete_resource_policy(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let key = key_of(opt_str(input, "policyName"), opt_str(input, "resourceArn"))?;
        if !self.store.delete::<ResourcePolicyRecord>(&region_scope(ctx), &key)? {
            return Err(errors::policy_not_found());
        }
        Ok(json!({}))
    }

    /// The resource policies strict mode weighs for a log group's ARN: the account's policies
    /// and the group's own, merged into one document's statements.
    pub(crate) fn policy_for(&self, ctx: &RequestContext, group: &GroupRecord) -> Option<String> {
        let all = self.store.list::<ResourcePolicyRecord>(&region_scope(ctx), "", None, usize::MAX).ok()?;
        let group_arn = input::group_arn(ctx, &group.name);
        let mut statements = Vec::new();
        for (_, policy) in all {
            let applies = match &policy.resource_arn {
                None => true,
                Some(arn) => arn.trim_end_matches(":*") == group_arn,
            };
            if !applies {
                continue;
            }
            let Ok(doc) = serde_json::from_str::<Value>(&policy.document) else { continue };
            match doc.get("Statement") {
                Some(Value::Array(list)) => statements.extend(list.iter().cloned()),
                Some(one) => statements.push(one.clone()),
                None => {}
            }
        }
        (!statements.is_empty()).then(|| json!({"Version": "2012-10-17", "Statement": statements}).to_string())
    }
}

fn policy_document(policy: &ResourcePolicyRecord) -> Value {
    let mut doc = json!({
        "policyDocument": policy.document,
        "lastUpdatedTime": policy.updated_ms,
        "policyScope": if policy.resource_arn.is_some() { "RESOURCE" } else { "ACCOUNT" },
        "revisionId": policy.revision_id,
    });
    if let Some(name) = &policy.name {
        doc["policyName"] = json!(name);
    }
    if let Some(arn) = &policy.resource_arn {
        doc["resourceArn"] = json!(arn);
    }
    doc
}
