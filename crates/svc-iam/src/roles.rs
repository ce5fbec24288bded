//! Roles, their trust policies and tags, and service-linked roles.

use nimbus_core::{Document, RequestContext, ServiceError, ids};
use nimbus_policy::{Policy, PolicyKind};
use serde_json::json;

use crate::Iam;
use crate::errors::{Res, check_name, conflict, exists, invalid, limit, malformed, no_such};
use crate::policies::check_no_policies;
use crate::records::{DeletionTaskRecord, InstanceProfileRecord, RoleRecord, key};
use crate::tags::{put_tags, tag, tags_in, untag};
use crate::util::{Read, arn, int, opt, path_of, req, role, ts, url_encode};

/// AWS's default quota on a trust policy's size (characters, whitespace excluded).
const TRUST_POLICY_MAX: usize = 2048;

/// A `Role` document; `full` adds what only GetRole/CreateRole show.
pub(crate) fn role_doc(account: &str, r: &RoleRecord, full: bool) -> Document {
    let mut doc = json!({
        "Path": r.path,
        "RoleName": r.name,
        "RoleId": r.id,
        "Arn": arn(account, "role", &r.path, &r.name),
        "CreateDate": ts(r.created_ms),
        "AssumeRolePolicyDocument": url_encode(&r.trust_policy),
        "MaxSessionDuration": r.max_session_duration,
    });
    if let Some(d) = &r.description {
        doc["Description"] = json!(d);
    }
    if full {
        if let Some(b) = &r.boundary {
            doc["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": b});
        }
        put_tags(&mut doc, &r.tags);
        doc["RoleLastUsed"] = match r.last_used_ms {
            Some(ms) => json!({"LastUsedDate": ts(ms), "Region": nimbus_core::DEFAULT_REGION}),
            None => json!({}),
        };
    }
    doc
}

/// A trust policy as IAM checks it on CreateRole / UpdateAssumeRolePolicy.
pub(crate) fn check_trust_policy(text: &str) -> Res<()> {
    Policy::parse(text, PolicyKind::Trust).map_err(|e| malformed(e.message))?;
    let size = text.chars().filter(|c| !c.is_whitespace()).count();
    if size > TRUST_POLICY_MAX {
        return Err(limit(format!(
            "Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX}"
        )));
    }
    Ok(())
}

fn check_max_session(value: Option<i64>) -> Res<Option<i64>> {
    match value {
        Some(v) if !(3600..=43200).contains(&v) => Err(crate::errors::validation(format!(
            "1 validation error detected: Value '{v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value {}",
            if v < 3600 {
                "greater than or equal to 3600"
            } else {
                "less than or equal to 43200"
            }
        ))),
        other => Ok(other),
    }
}

pub(crate) fn protected(r: &RoleRecord) -> Res<()> {
    if r.service_linked.is_some() {
        return Err(ServiceError::new(
            "UnmodifiableEntity",
            format!("Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS", r.name),
        )
        .into());
    }
    Ok(())
}

/// The role name AWS gives a service's service-linked role.
fn service_linked_name(service: &str) -> String {
    let short = service.strip_suffix(".amazonaws.com").unwrap_or(service);
    let known = [
        ("autoscaling", "AutoScaling"),
        ("ecs", "ECS"),
        ("rds", "RDS"),
        ("elasticbeanstalk", "ElasticBeanstalk"),
        ("elasticloadbalancing", "ElasticLoadBalancing"),
        ("elasticache", "ElastiCache"),
        ("es", "AmazonElasticsearchService"),
        ("opensearchservice", "AmazonOpenSearchService"),
        ("lambda.edgelambda", "LambdaReplicator"),
        ("spot", "EC2Spot"),
        ("organizations", "Organizations"),
        ("sso", "SSO"),
        ("support", "Support"),
        ("trustedadvisor", "TrustedAdvisor"),
        ("cloudtrail", "CloudTrail"),
        ("config", "Config"),
        ("guardduty", "AmazonGuardDuty"),
        ("eks", "AmazonEKS"),
        ("kafka", "Kafka"),
        (
            "dynamodb.application-autoscaling",
            "ApplicationAutoScaling_DynamoDBTable",
        ),
        (
            "ecs.application-autoscaling",
            "ApplicationAutoScaling_ECSService",
        ),
    ];
    let suffix = known
        .iter()
        .find(|(s, _)| *s == short)
        .map(|(_, n)| (*n).to_owned())
        .unwrap_or_else(|| {
            short
                .split(['.', '-'])
                .map(|part| {
                    let mut c = part.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect()
        });
    format!("AWSServiceRoleFor{suffix}")
}

impl Iam {
    pub(crate) fn create_role(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "RoleName")?;
        check_name(name, "roleName")?;
        let path = path_of(input)?;
        let trust = req(input, "AssumeRolePolicyDocument")?;
        check_trust_policy(trust)?;
        let max = check_max_session(int(input, "MaxSessionDuration"))?.unwrap_or(3600);
        let tags = tags_in(input)?;
        let boundary = match opt(input, "PermissionsBoundary") {
            Some(b) => {
                self.check_boundary_arn(ctx, b)?;
                Some(b.to_owned())
            }
            None => None,
        };
        let record = RoleRecord {
            name: name.to_owned(),
            id: ids::unique_id("AROA"),
            path,
            created_ms: self.now(),
            trust_policy: trust.to_owned(),
            description: opt(input, "Description").map(str::to_owned),
            max_session_duration: max,
            boundary,
            tags,
            inline: Default::default(),
            attached: Vec::new(),
            service_linked: None,
            last_used_ms: None,
        };
        self.write(ctx, |t, account| {
            if !t.insert(account, &key(name), &record)? {
                return Err(exists(format!("Role with name {name} already exists.")));
            }
            Ok(())
        })?;
        Ok(json!({"Role": role_doc(&ctx.account_id, &record, true)}))
    }

    pub(crate) fn get_role(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let r = role(self.store(), &ctx.account_id, req(input, "RoleName")?)?;
        Ok(json!({"Role": role_doc(&ctx.account_id, &r, true)}))
    }

    /// Reads, changes and writes one role in a transaction.
    pub(crate) fn update_role_record<T>(
        &self,
        ctx: &RequestContext,
        name: &str,
        f: impl FnOnce(&mut RoleRecord) -> Res<T>,
    ) -> Res<T> {
        self.update_entity(ctx, |t, account| role(t, account, name), f)
    }

    pub(crate) fn update_role(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "RoleName")?;
        let max = check_max_session(int(input, "MaxSessionDuration"))?;
        let description = opt(input, "Description");
        self.update_role_record(ctx, name, |r| {
            protected(r)?;
            if let Some(m) = max {
                r.max_session_duration = m;
            }
            if let Some(d) = description {
                r.description = Some(d.to_owned());
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn update_role_description(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let name = req(input, "RoleName")?;
        let description = req(input, "Description")?;
        let r = self.update_role_record(ctx, name, |r| {
            r.description = Some(description.to_owned());
            Ok(r.clone())
        })?;
        Ok(json!({"Role": role_doc(&ctx.account_id, &r, true)}))
    }

    pub(crate) fn update_assume_role_policy(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let name = req(input, "RoleName")?;
        let text = req(input, "PolicyDocument")?;
        check_trust_policy(text)?;
        self.update_role_record(ctx, name, |r| {
            protected(r)?;
            r.trust_policy = text.to_owned();
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn delete_role(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "RoleName")?;
        self.write(ctx, |t, account| {
            let r = role(t, account, name)?;
            protected(&r)?;
            Self::check_role_deletable(t, account, &r)?;
            t.delete::<RoleRecord>(account, &key(name))?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn check_role_deletable<S: Read>(t: &S, account: &str, r: &RoleRecord) -> Res<()> {
        let in_profile = t
            .all::<InstanceProfileRecord>(account)?
            .iter()
            .any(|p| p.roles.iter().any(|n| key(n) == key(&r.name)));
        if in_profile {
            return Err(conflict(
                "Cannot delete entity, must remove roles from instance profile first.",
            ));
        }
        check_no_policies(&r.inline, &r.attached)
    }

    pub(crate) fn list_roles(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        self.list_by_path(ctx, input, "Roles", |r: &RoleRecord| {
            role_doc(&ctx.account_id, r, false)
        })
    }

    pub(crate) fn tag_role(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let new = tags_in(input)?;
        self.update_role_record(ctx, req(input, "RoleName")?, |r| tag(&mut r.tags, new))?;
        Ok(json!({}))
    }

    pub(crate) fn untag_role(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        self.update_role_record(ctx, req(input, "RoleName")?, |r| {
            untag(&mut r.tags, input);
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_role_tags(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let r = role(self.store(), &ctx.account_id, req(input, "RoleName")?)?;
        crate::tags::list(input, &r.tags)
    }

    pub(crate) fn create_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let service = req(input, "AWSServiceName")?;
        if !service.ends_with(".amazonaws.com") || service.contains(['/', ' ']) {
            return Err(invalid(format!(
                "Unrecognized service principal {service}."
            )));
        }
        let mut name = service_linked_name(service);
        if let Some(suffix) = opt(input, "CustomSuffix") {
            name = format!("{name}_{suffix}");
        }
        let trust = json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": [service]}, "Action": ["sts:AssumeRole"]}],
        })
        .to_string();
        let record = RoleRecord {
            name: name.clone(),
            id: ids::unique_id("AROA"),
            path: format!("/aws-service-role/{service}/"),
            created_ms: self.now(),
            trust_policy: trust,
            description: opt(input, "Description").map(str::to_owned),
            max_session_duration: 3600,
            boundary: None,
            tags: Vec::new(),
            inline: Default::default(),
            attached: Vec::new(),
            service_linked: Some(service.to_owned()),
            last_used_ms: None,
        };
        self.write(ctx, |t, account| {
            if !t.insert(account, &key(&name), &record)? {
                return Err(invalid(format!(
                    "Service role name {name} has been taken in this account, please try a different suffix."
                )));
            }
            Ok(())
        })?;
        Ok(json!({"Role": role_doc(&ctx.account_id, &record, true)}))
    }

    pub(crate) fn delete_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let name = req(input, "RoleName")?;
        let task_id = self.write(ctx, |t, account| {
            let r = role(t, account, name)?;
            let Some(service) = &r.service_linked else {
                return Err(invalid(format!(
                    "Role {name} is not a service-linked role."
                )));
            };
            let task_id = format!("task/aws-service-role/{service}/{}/{}", r.name, ids::uuid());
            let (status, reason) = match Self::check_role_deletable(t, account, &r) {
                Ok(()) => {
                    t.delete::<RoleRecord>(account, &key(name))?;
                    ("SUCCEEDED", None)
                }
                Err(e) => ("FAILED", Some(e.0.message)),
            };
            t.put(
                account,
                &task_id,
                &DeletionTaskRecord {
                    status: status.to_owned(),
                    reason,
                },
            )?;
            Ok(task_id)
        })?;
        Ok(json!({"DeletionTaskId": task_id}))
    }

    pub(crate) fn get_service_linked_role_deletion_status(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let id = req(input, "DeletionTaskId")?;
        let task: DeletionTaskRecord = self
            .store()
            .rec(&ctx.account_id, id)?
            .ok_or_else(|| no_such(format!("Deletion task {id} cannot be found.")))?;
        let mut out = json!({"Status": task.status});
        if let Some(reason) = task.reason {
            out["Reason"] = json!({"Reason": reason});
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn service_linked_role_names() {
        assert_eq!(
            super::service_linked_name("autoscaling.amazonaws.com"),
            "AWSServiceRoleForAutoScaling"
        );
        assert_eq!(
            super::service_linked_name("custom-thing.amazonaws.com"),
            "AWSServiceRoleForCustomThing"
        );
    }
}
