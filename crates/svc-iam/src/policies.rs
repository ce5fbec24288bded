//! Inline policies, customer managed policies and their versions, attachments, permissions
//! boundaries. AWS managed policies ([`crate::aws_managed`]) are found by ARN beside the
//! account's own.

use std::collections::{BTreeMap, HashMap};

use nimbus_core::{Document, RequestContext, ServiceError, ids};
use nimbus_policy::{Policy, PolicyKind};
use serde_json::json;

use crate::Iam;
use crate::aws_managed::{self, AwsPolicy};
use crate::errors::{Res, check_name, conflict, exists, limit, malformed, no_policy, no_such};
use crate::records::{GroupRecord, PolicyRecord, PolicyVersion, RoleRecord, UserRecord, key};
use crate::roles::protected;
use crate::tags::{TagChange, put_tags, tags_in};
use crate::util::{
    Read, arn, arn_parts, boolean, group, opt, path_of, req, role, split_resource, ts, url_encode,
    user,
};

/// Managed policies attached to one user, group or role (AWS's default quota).
const ATTACHED_MAX: usize = 10;
/// Versions a managed policy keeps.
const VERSIONS_MAX: usize = 5;
/// Managed policy document size (characters, whitespace excluded).
const MANAGED_SIZE_MAX: usize = 6144;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    User,
    Group,
    Role,
}

impl Owner {
    fn member(self) -> &'static str {
        match self {
            Owner::User => "UserName",
            Owner::Group => "GroupName",
            Owner::Role => "RoleName",
        }
    }
    fn word(self) -> &'static str {
        match self {
            Owner::User => "user",
            Owner::Group => "group",
            Owner::Role => "role",
        }
    }
    /// AWS's aggregate inline policy size quota for the entity.
    fn inline_max(self) -> usize {
        match self {
            Owner::User => 2048,
            Owner::Group => 5120,
            Owner::Role => 10240,
        }
    }
    fn quota_name(self) -> &'static str {
        match self {
            Owner::User => "PoliciesPerUser",
            Owner::Group => "PoliciesPerGroup",
            Owner::Role => "PoliciesPerRole",
        }
    }
}

/// A user, group or role, loaded for a policy change.
pub(crate) enum Entity {
    User(UserRecord),
    Group(GroupRecord),
    Role(RoleRecord),
}

impl Entity {
    pub(crate) fn load<S: Read>(s: &S, account: &str, owner: Owner, name: &str) -> Res<Entity> {
        Ok(match owner {
            Owner::User => Entity::User(user(s, account, name)?),
            Owner::Group => Entity::Group(group(s, account, name)?),
            Owner::Role => Entity::Role(role(s, account, name)?),
        })
    }
    fn name(&self) -> &str {
        match self {
            Entity::User(u) => &u.name,
            Entity::Group(g) => &g.name,
            Entity::Role(r) => &r.name,
        }
    }
    pub(crate) fn inline(&self) -> &BTreeMap<String, String> {
        match self {
            Entity::User(u) => &u.inline,
            Entity::Group(g) => &g.inline,
            Entity::Role(r) => &r.inline,
        }
    }
    fn inline_mut(&mut self) -> &mut BTreeMap<String, String> {
        match self {
            Entity::User(u) => &mut u.inline,
            Entity::Group(g) => &mut g.inline,
            Entity::Role(r) => &mut r.inline,
        }
    }
    pub(crate) fn attached(&self) -> &[String] {
        match self {
            Entity::User(u) => &u.attached,
            Entity::Group(g) => &g.attached,
            Entity::Role(r) => &r.attached,
        }
    }
    fn attached_mut(&mut self) -> &mut Vec<String> {
        match self {
            Entity::User(u) => &mut u.attached,
            Entity::Group(g) => &mut g.attached,
            Entity::Role(r) => &mut r.attached,
        }
    }
    fn boundary_mut(&mut self) -> Option<&mut Option<String>> {
        match self {
            Entity::User(u) => Some(&mut u.boundary),
            Entity::Group(_) => None,
            Entity::Role(r) => Some(&mut r.boundary),
        }
    }
    fn save(&self, t: &nimbus_store::Txn, account: &str) -> Res<()> {
        match self {
            Entity::User(u) => t.put(account, &key(&u.name), u)?,
            Entity::Group(g) => t.put(account, &key(&g.name), g)?,
            Entity::Role(r) => t.put(account, &key(&r.name), r)?,
        }
        Ok(())
    }
}

/// A managed policy found by ARN.
pub(crate) enum Managed {
    Aws(&'static AwsPolicy),
    Local(PolicyRecord),
}

impl Managed {
    fn name_and_path(&self) -> (&str, &str) {
        match self {
            Managed::Aws(p) => (&p.name, &p.path),
            Managed::Local(p) => (&p.name, &p.path),
        }
    }
}

/// The managed policy `policy_arn` names in `account` (or AWS's), if it exists.
pub(crate) fn find_managed<S: Read>(
    s: &S,
    account: &str,
    policy_arn: &str,
) -> Res<Option<Managed>> {
    if let Some(p) = aws_managed::find(policy_arn) {
        return Ok(Some(Managed::Aws(p)));
    }
    let Some(("iam", arn_account, resource)) = arn_parts(policy_arn) else {
        return Ok(None);
    };
    if arn_account != account {
        return Ok(None);
    }
    let Some((name, path)) = split_resource(resource, "policy") else {
        return Ok(None);
    };
    Ok(s.rec::<PolicyRecord>(account, &key(name))?
        .filter(|p| p.path == path && p.name == name)
        .map(Managed::Local))
}

/// The managed policy `policy_arn` names, refused as NoSuchEntity when there is none.
fn existing_managed<S: Read>(s: &S, account: &str, policy_arn: &str) -> Res<Managed> {
    find_managed(s, account, policy_arn)?.ok_or_else(|| no_policy(policy_arn))
}

/// A local managed policy by ARN, for changes: AWS managed ones refuse.
fn local_policy<S: Read>(s: &S, ctx: &RequestContext, policy_arn: &str) -> Res<PolicyRecord> {
    match find_managed(s, &ctx.account_id, policy_arn)? {
        Some(Managed::Local(p)) => Ok(p),
        Some(Managed::Aws(_)) => Err(ServiceError::new(
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: iam:{} on resource: policy {policy_arn}",
                ctx.principal.arn, ctx.operation
            ),
        )
        .with_status(403)
        .into()),
        None => Err(no_policy(policy_arn)),
    }
}

/// Refuses to delete a user, group or role that still has inline or attached policies.
pub(crate) fn check_no_policies(inline: &BTreeMap<String, String>, attached: &[String]) -> Res<()> {
    if !inline.is_empty() {
        return Err(conflict(
            "Cannot delete entity, must delete policies first.",
        ));
    }
    if !attached.is_empty() {
        return Err(conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    Ok(())
}

/// An identity policy document as IAM checks it on put.
pub(crate) fn check_identity_policy(text: &str) -> Res<Policy> {
    Policy::parse(text, PolicyKind::Identity).map_err(|e| malformed(e.message))
}

fn size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// A managed policy document (new policy or new version): a valid identity policy within
/// the managed size quota.
fn check_managed_policy(text: &str) -> Res<()> {
    check_identity_policy(text)?;
    if size(text) > MANAGED_SIZE_MAX {
        return Err(limit(format!(
            "Cannot exceed quota for PolicySize: {MANAGED_SIZE_MAX}"
        )));
    }
    Ok(())
}

fn no_inline(owner: Owner, policy_name: &str) -> crate::errors::Failure {
    no_such(format!(
        "The {} policy with name {policy_name} cannot be found.",
        owner.word()
    ))
}

fn no_version(policy_arn: &str, version_id: &str) -> crate::errors::Failure {
    no_such(format!(
        "Policy {policy_arn} version {version_id} does not exist or is not attachable."
    ))
}

/// The entity name (`UserName`, `GroupName` or `RoleName`) and `PolicyName` that identify an
/// inline policy.
fn inline_policy_of(input: &Document, owner: Owner) -> Res<(&str, &str)> {
    Ok((req(input, owner.member())?, req(input, "PolicyName")?))
}

/// The `PolicyArn` and `VersionId` that identify a managed policy version.
fn policy_version_of(input: &Document) -> Res<(&str, &str)> {
    Ok((req(input, "PolicyArn")?, req(input, "VersionId")?))
}

/// Refuses a change to a version the local policy does not have.
fn check_version_exists(p: &PolicyRecord, policy_arn: &str, version_id: &str) -> Res<()> {
    if !p.versions.iter().any(|v| v.id == version_id) {
        return Err(no_version(policy_arn, version_id));
    }
    Ok(())
}

/// How many entities attach each policy, and use it as their boundary.
pub(crate) fn usage<S: Read>(s: &S, account: &str) -> Res<HashMap<String, (i64, i64)>> {
    let mut counts: HashMap<String, (i64, i64)> = HashMap::new();
    let mut note = |attached: &[String], boundary: Option<&String>| {
        for a in attached {
            counts.entry(a.clone()).or_default().0 += 1;
        }
        if let Some(b) = boundary {
            counts.entry(b.clone()).or_default().1 += 1;
        }
    };
    for u in s.all::<UserRecord>(account)? {
        note(&u.attached, u.boundary.as_ref());
    }
    for g in s.all::<GroupRecord>(account)? {
        note(&g.attached, None);
    }
    for r in s.all::<RoleRecord>(account)? {
        note(&r.attached, r.boundary.as_ref());
    }
    Ok(counts)
}

pub(crate) fn local_arn(account: &str, p: &PolicyRecord) -> String {
    arn(account, "policy", &p.path, &p.name)
}

/// A `Policy` document; `full` adds Description and Tags (GetPolicy, CreatePolicy).
pub(crate) fn policy_doc(account: &str, m: &Managed, counts: (i64, i64), full: bool) -> Document {
    let mut doc = match m {
        Managed::Aws(p) => json!({
            "PolicyName": p.name, "PolicyId": p.id, "Arn": p.arn, "Path": p.path, "DefaultVersionId": p.default_version,
            "CreateDate": ts(p.created_ms), "UpdateDate": ts(p.updated_ms),
        }),
        Managed::Local(p) => json!({
            "PolicyName": p.name, "PolicyId": p.id, "Arn": local_arn(account, p), "Path": p.path,
            "DefaultVersionId": p.default_version, "CreateDate": ts(p.created_ms), "UpdateDate": ts(p.updated_ms),
        }),
    };
    doc["AttachmentCount"] = json!(counts.0);
    doc["PermissionsBoundaryUsageCount"] = json!(counts.1);
    doc["IsAttachable"] = json!(true);
    if full {
        let (description, tags) = match m {
            Managed::Aws(p) => (Some(p.description.as_str()), &[][..]),
            Managed::Local(p) => (p.description.as_deref(), &p.tags[..]),
        };
        if let Some(d) = description {
            doc["Description"] = json!(d);
        }
        put_tags(&mut doc, tags);
    }
    doc
}

fn version_doc(v: &PolicyVersion, default: &str, with_document: bool) -> Document {
    let mut doc = json!({"VersionId": v.id, "IsDefaultVersion": v.id == default, "CreateDate": ts(v.created_ms)});
    if with_document {
        doc["Document"] = json!(url_encode(&v.document));
    }
    doc
}

impl Iam {
    /// The user, group or role the input names (`UserName`, `GroupName` or `RoleName`).
    fn entity_of(&self, ctx: &RequestContext, input: &Document, owner: Owner) -> Res<Entity> {
        Entity::load(
            self.store(),
            &ctx.account_id,
            owner,
            req(input, owner.member())?,
        )
    }

    /// Reads the local managed policy `policy_arn` names, lets `change` edit it and saves it.
    fn change_local_policy<T>(
        &self,
        ctx: &RequestContext,
        policy_arn: &str,
        change: impl FnOnce(&mut PolicyRecord) -> Res<T>,
    ) -> Res<T> {
        self.update_entity(ctx, |t, _| local_policy(t, ctx, policy_arn), change)
    }

    // ---- inline policies ----

    pub(crate) fn put_inline(
        &self,
        ctx: &RequestContext,
        input: &Document,
        owner: Owner,
    ) -> Res<Document> {
        let (name, policy_name) = inline_policy_of(input, owner)?;
        check_name(policy_name, "policyName")?;
        let text = req(input, "PolicyDocument")?;
        check_identity_policy(text)?;
        self.write(ctx, |t, account| {
            let mut e = Entity::load(t, account, owner, name)?;
            if let Entity::Role(r) = &e {
                protected(r)?;
            }
            e.inline_mut()
                .insert(policy_name.to_owned(), text.to_owned());
            let total: usize = e.inline().values().map(|d| size(d)).sum();
            if total > owner.inline_max() {
                return Err(limit(format!(
                    "Maximum policy size of {} bytes exceeded for {} {}",
                    owner.inline_max(),
                    owner.word(),
                    e.name()
                )));
            }
            e.save(t, account)
        })?;
        Ok(json!({}))
    }

    pub(crate) fn get_inline(
        &self,
        ctx: &RequestContext,
        input: &Document,
        owner: Owner,
    ) -> Res<Document> {
        let (name, policy_name) = inline_policy_of(input, owner)?;
        let e = Entity::load(self.store(), &ctx.account_id, owner, name)?;
        let text = e
            .inline()
            .get(policy_name)
            .ok_or_else(|| no_inline(owner, policy_name))?;
        Ok(
            json!({owner.member(): e.name(), "PolicyName": policy_name, "PolicyDocument": url_encode(text)}),
        )
    }

    pub(crate) fn delete_inline(
        &self,
        ctx: &RequestContext,
        input: &Document,
        owner: Owner,
    ) -> Res<Document> {
        let (name, policy_name) = inline_policy_of(input, owner)?;
        self.write(ctx, |t, account| {
            let mut e = Entity::load(t, account, owner, name)?;
            if e.inline_mut().remove(policy_name).is_none() {
                return Err(no_inline(owner, policy_name));
            }
            e.save(t, account)
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_inline(
        &self,
        ctx: &RequestContext,
        input: &Document,
        owner: Owner,
    ) -> Res<Document> {
        let e = self.entity_of(ctx, input, owner)?;
        let items = e.inline().keys().map(|n| (n.clone(), json!(n))).collect();
        crate::paging::page(input, items, "PolicyNames")
    }

    // ---- managed policies ----

    pub(crate) fn create_policy(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "PolicyName")?;
        check_name(name, "policyName")?;
        let path = path_of(input)?;
        let text = req(input, "PolicyDocument")?;
        check_managed_policy(text)?;
        let now = self.now();
        let record = PolicyRecord {
            name: name.to_owned(),
            id: ids::unique_id("ANPA"),
            path,
            description: opt(input, "Description").map(str::to_owned),
            created_ms: now,
            updated_ms: now,
            default_version: "v1".to_owned(),
            versions: vec![PolicyVersion {
                id: "v1".to_owned(),
                document: text.to_owned(),
                created_ms: now,
            }],
            next_version: 2,
            tags: tags_in(input)?,
        };
        self.write(ctx, |t, account| {
            if !t.insert(account, &key(name), &record)? {
                return Err(exists(format!(
                    "A policy called {name} already exists. Duplicate names are not allowed."
                )));
            }
            Ok(())
        })?;
        Ok(json!({"Policy": policy_doc(&ctx.account_id, &Managed::Local(record), (0, 0), true)}))
    }

    pub(crate) fn get_policy(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let policy_arn = req(input, "PolicyArn")?;
        let m = existing_managed(self.store(), &ctx.account_id, policy_arn)?;
        let counts = usage(self.store(), &ctx.account_id)?
            .get(policy_arn)
            .copied()
            .unwrap_or_default();
        Ok(json!({"Policy": policy_doc(&ctx.account_id, &m, counts, true)}))
    }

    pub(crate) fn delete_policy(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let policy_arn = req(input, "PolicyArn")?;
        self.write(ctx, |t, account| {
            let p = local_policy(t, ctx, policy_arn)?;
            if usage(t, account)?.get(policy_arn).is_some_and(|c| c.0 + c.1 > 0) {
                return Err(conflict("Cannot delete a policy attached to entities."));
            }
            if p.versions.len() > 1 {
                return Err(conflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
                ));
            }
            t.delete::<PolicyRecord>(account, &key(&p.name))?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_policies(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let scope = opt(input, "Scope").unwrap_or("All");
        let only_attached = boolean(input, "OnlyAttached").unwrap_or(false);
        let prefix = crate::paging::path_prefix(input)?;
        let usage_filter = opt(input, "PolicyUsageFilter");
        let counts = usage(self.store(), &ctx.account_id)?;
        let mut managed: Vec<Managed> = Vec::new();
        if scope != "Local" {
            managed.extend(aws_managed::all().iter().map(Managed::Aws));
        }
        if scope != "AWS" {
            managed.extend(
                self.store()
                    .all::<PolicyRecord>(&ctx.account_id)?
                    .into_iter()
                    .map(Managed::Local),
            );
        }
        let mut items = Vec::new();
        for m in managed {
            let (name, path) = m.name_and_path();
            let policy_arn = match &m {
                Managed::Aws(p) => p.arn.clone(),
                Managed::Local(p) => local_arn(&ctx.account_id, p),
            };
            let c = counts.get(&policy_arn).copied().unwrap_or_default();
            if !path.starts_with(&prefix) {
                continue;
            }
            let used = match usage_filter {
                Some("PermissionsPolicy") => c.0 > 0,
                Some("PermissionsBoundary") => c.1 > 0,
                _ => c.0 + c.1 > 0,
            };
            if only_attached && !used {
                continue;
            }
            items.push((
                format!("{}\0{policy_arn}", name.to_ascii_lowercase()),
                policy_doc(&ctx.account_id, &m, c, false),
            ));
        }
        crate::paging::page(input, items, "Policies")
    }

    // ---- versions ----

    pub(crate) fn create_policy_version(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let policy_arn = req(input, "PolicyArn")?;
        let text = req(input, "PolicyDocument")?;
        check_managed_policy(text)?;
        let set_default = boolean(input, "SetAsDefault").unwrap_or(false);
        let now = self.now();
        let (version, default) = self.change_local_policy(ctx, policy_arn, |p| {
            if p.versions.len() >= VERSIONS_MAX {
                return Err(limit(
                    "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
                ));
            }
            let version = PolicyVersion { id: format!("v{}", p.next_version), document: text.to_owned(), created_ms: now };
            p.next_version += 1;
            if set_default {
                p.default_version = version.id.clone();
            }
            p.updated_ms = now;
            p.versions.push(version.clone());
            Ok((version, p.default_version.clone()))
        })?;
        Ok(json!({"PolicyVersion": version_doc(&version, &default, false)}))
    }

    pub(crate) fn get_policy_version(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let (policy_arn, version_id) = policy_version_of(input)?;
        let missing = || no_version(policy_arn, version_id);
        let doc = match existing_managed(self.store(), &ctx.account_id, policy_arn)? {
            Managed::Aws(p) if p.default_version == version_id => {
                let v = PolicyVersion {
                    id: version_id.to_owned(),
                    document: p.document.clone(),
                    created_ms: p.updated_ms,
                };
                version_doc(&v, &p.default_version, true)
            }
            Managed::Aws(_) => return Err(missing()),
            Managed::Local(p) => {
                let v = p
                    .versions
                    .iter()
                    .find(|v| v.id == version_id)
                    .ok_or_else(missing)?;
                version_doc(v, &p.default_version, true)
            }
        };
        Ok(json!({"PolicyVersion": doc}))
    }

    pub(crate) fn list_policy_versions(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let policy_arn = req(input, "PolicyArn")?;
        let items = match existing_managed(self.store(), &ctx.account_id, policy_arn)? {
            Managed::Aws(p) => {
                let v = PolicyVersion {
                    id: p.default_version.clone(),
                    document: String::new(),
                    created_ms: p.updated_ms,
                };
                vec![("0".to_owned(), version_doc(&v, &p.default_version, false))]
            }
            // Newest first, as IAM lists them.
            Managed::Local(p) => p
                .versions
                .iter()
                .rev()
                .enumerate()
                .map(|(i, v)| (format!("{i:02}"), version_doc(v, &p.default_version, false)))
                .collect(),
        };
        crate::paging::page(input, items, "Versions")
    }

    pub(crate) fn delete_policy_version(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let (policy_arn, version_id) = policy_version_of(input)?;
        self.change_local_policy(ctx, policy_arn, |p| {
            check_version_exists(p, policy_arn, version_id)?;
            if p.default_version == version_id {
                return Err(conflict("Cannot delete the default version of a policy."));
            }
            p.versions.retain(|v| v.id != version_id);
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn set_default_policy_version(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let (policy_arn, version_id) = policy_version_of(input)?;
        let now = self.now();
        self.change_local_policy(ctx, policy_arn, |p| {
            check_version_exists(p, policy_arn, version_id)?;
            p.default_version = version_id.to_owned();
            p.updated_ms = now;
            Ok(())
        })?;
        Ok(json!({}))
    }

    // ---- attachments ----

    pub(crate) fn attach(
        &self,
        ctx: &RequestContext,
        input: &Document,
        owner: Owner,
        attach: bool,
    ) -> Res<Document> {
        let name = req(input, owner.member())?;
        let policy_arn = req(input, "PolicyArn")?;
        self.write(ctx, |t, account| {
            let mut e = Entity::load(t, account, owner, name)?;
            let attached = e.attached().iter().any(|a| a == policy_arn);
            if attach {
                if find_managed(t, account, policy_arn)?.is_none() {
                    return Err(no_policy(policy_arn));
                }
                if let Entity::Role(r) = &e {
                    protected(r)?;
                }
                if attached {
                    return Ok(());
                }
                if e.attached().len() >= ATTACHED_MAX {
                    return Err(limit(format!(
                        "Cannot exceed quota for {}: {ATTACHED_MAX}",
                        owner.quota_name()
                    )));
                }
                e.attached_mut().push(policy_arn.to_owned());
            } else {
                if !attached {
                    return Err(no_policy(policy_arn));
                }
                e.attached_mut().retain(|a| a != policy_arn);
            }
            e.save(t, account)
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_attached(
        &self,
        ctx: &RequestContext,
        input: &Document,
        owner: Owner,
    ) -> Res<Document> {
        let e = self.entity_of(ctx, input, owner)?;
        let prefix = crate::paging::path_prefix(input)?;
        let mut items = Vec::new();
        for (i, policy_arn) in e.attached().iter().enumerate() {
            let Some(m) = find_managed(self.store(), &ctx.account_id, policy_arn)? else {
                continue;
            };
            let (name, path) = m.name_and_path();
            if path.starts_with(&prefix) {
                items.push((
                    format!("{i:02}"),
                    json!({"PolicyName": name, "PolicyArn": policy_arn}),
                ));
            }
        }
        crate::paging::page(input, items, "AttachedPolicies")
    }

    pub(crate) fn list_entities_for_policy(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let policy_arn = req(input, "PolicyArn")?;
        let account = &ctx.account_id;
        existing_managed(self.store(), account, policy_arn)?;
        let filter = opt(input, "EntityFilter");
        let prefix = crate::paging::path_prefix(input)?;
        let boundary_use = opt(input, "PolicyUsageFilter") == Some("PermissionsBoundary");
        let uses = |attached: &[String], boundary: Option<&String>| {
            if boundary_use {
                boundary.is_some_and(|b| b == policy_arn)
            } else {
                attached.iter().any(|a| a == policy_arn)
            }
        };
        let wants = |kind: &str| filter.is_none_or(|f| f == kind);
        let mut users = Vec::new();
        let mut groups = Vec::new();
        let mut roles = Vec::new();
        if wants("User") {
            for u in self.store().all::<UserRecord>(account)? {
                if u.path.starts_with(&prefix) && uses(&u.attached, u.boundary.as_ref()) {
                    users.push(json!({"UserName": u.name, "UserId": u.id}));
                }
            }
        }
        if wants("Group") && !boundary_use {
            for g in self.store().all::<GroupRecord>(account)? {
                if g.path.starts_with(&prefix) && uses(&g.attached, None) {
                    groups.push(json!({"GroupName": g.name, "GroupId": g.id}));
                }
            }
        }
        if wants("Role") {
            for r in self.store().all::<RoleRecord>(account)? {
                if r.path.starts_with(&prefix) && uses(&r.attached, r.boundary.as_ref()) {
                    roles.push(json!({"RoleName": r.name, "RoleId": r.id}));
                }
            }
        }
        Ok(
            json!({"PolicyGroups": groups, "PolicyUsers": users, "PolicyRoles": roles, "IsTruncated": false}),
        )
    }

    // ---- tags ----

    pub(crate) fn tag_policy(
        &self,
        ctx: &RequestContext,
        input: &Document,
        add: bool,
    ) -> Res<Document> {
        let policy_arn = req(input, "PolicyArn")?;
        let change = TagChange::read(input, add)?;
        self.change_local_policy(ctx, policy_arn, |p| change.apply(&mut p.tags))?;
        Ok(json!({}))
    }

    pub(crate) fn list_policy_tags(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let policy_arn = req(input, "PolicyArn")?;
        match existing_managed(self.store(), &ctx.account_id, policy_arn)? {
            Managed::Aws(_) => crate::tags::list(input, &[]),
            Managed::Local(p) => crate::tags::list(input, &p.tags),
        }
    }

    // ---- permissions boundaries ----

    /// A boundary must be an existing managed policy.
    pub(crate) fn check_boundary_arn(&self, ctx: &RequestContext, policy_arn: &str) -> Res<()> {
        if find_managed(self.store(), &ctx.account_id, policy_arn)?.is_none() {
            return Err(crate::errors::invalid(format!(
                "Scope ARN: {policy_arn} does not exist or is not attachable."
            )));
        }
        Ok(())
    }

    pub(crate) fn boundary(
        &self,
        ctx: &RequestContext,
        input: &Document,
        owner: Owner,
        put: bool,
    ) -> Res<Document> {
        let name = req(input, owner.member())?;
        let new = if put {
            let b = req(input, "PermissionsBoundary")?;
            self.check_boundary_arn(ctx, b)?;
            Some(b.to_owned())
        } else {
            None
        };
        self.write(ctx, |t, account| {
            let mut e = Entity::load(t, account, owner, name)?;
            if let Some(slot) = e.boundary_mut() {
                *slot = new;
            }
            e.save(t, account)
        })?;
        Ok(json!({}))
    }
}
