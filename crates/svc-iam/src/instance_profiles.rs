//! Instance profiles: containers for one role.

use nimbus_core::{Document, RequestContext, ids};
use serde_json::json;

use crate::Iam;
use crate::errors::{Res, check_name, conflict, exists, limit, no_instance_profile, no_such};
use crate::records::{InstanceProfileRecord, RoleRecord, key};
use crate::roles::role_doc;
use crate::tags::{TagChange, put_tags, tags_in};
use crate::util::{Read, arn, path_of, req, role, ts};

/// Roles an instance profile may hold (AWS's quota).
const ROLES_PER_PROFILE: usize = 1;

fn profile<S: Read>(s: &S, account: &str, name: &str) -> Res<InstanceProfileRecord> {
    s.rec(account, &key(name))?
        .ok_or_else(|| no_instance_profile(name))
}

fn profile_doc<S: Read>(s: &S, account: &str, p: &InstanceProfileRecord) -> Res<Document> {
    let mut roles = Vec::new();
    for name in &p.roles {
        if let Some(r) = s.rec::<RoleRecord>(account, &key(name))? {
            roles.push(role_doc(account, &r, false));
        }
    }
    let mut doc = json!({
        "Path": p.path,
        "InstanceProfileName": p.name,
        "InstanceProfileId": p.id,
        "Arn": arn(account, "instance-profile", &p.path, &p.name),
        "CreateDate": ts(p.created_ms),
        "Roles": roles,
    });
    put_tags(&mut doc, &p.tags);
    Ok(doc)
}

impl Iam {
    /// An `InstanceProfiles` page of the account's profiles that `keep` selects.
    fn profiles_page(
        &self,
        ctx: &RequestContext,
        input: &Document,
        keep: impl Fn(&InstanceProfileRecord) -> bool,
    ) -> Res<Document> {
        let mut items = Vec::new();
        for p in self.store().all::<InstanceProfileRecord>(&ctx.account_id)? {
            if keep(&p) {
                items.push((
                    key(&p.name),
                    profile_doc(self.store(), &ctx.account_id, &p)?,
                ));
            }
        }
        crate::paging::page(input, items, "InstanceProfiles")
    }

    pub(crate) fn create_instance_profile(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let name = req(input, "InstanceProfileName")?;
        check_name(name, "instanceProfileName")?;
        let record = InstanceProfileRecord {
            name: name.to_owned(),
            id: ids::unique_id("AIPA"),
            path: path_of(input)?,
            created_ms: self.now(),
            roles: Vec::new(),
            tags: tags_in(input)?,
        };
        self.write(ctx, |t, account| {
            if !t.insert(account, &key(name), &record)? {
                return Err(exists(format!("Instance Profile {name} already exists.")));
            }
            Ok(())
        })?;
        Ok(json!({"InstanceProfile": profile_doc(self.store(), &ctx.account_id, &record)?}))
    }

    pub(crate) fn get_instance_profile(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let p = profile(
            self.store(),
            &ctx.account_id,
            req(input, "InstanceProfileName")?,
        )?;
        Ok(json!({"InstanceProfile": profile_doc(self.store(), &ctx.account_id, &p)?}))
    }

    pub(crate) fn delete_instance_profile(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let name = req(input, "InstanceProfileName")?;
        self.write(ctx, |t, account| {
            let p = profile(t, account, name)?;
            if !p.roles.is_empty() {
                return Err(conflict(
                    "Cannot delete entity, must remove roles from instance profile first.",
                ));
            }
            t.delete::<InstanceProfileRecord>(account, &key(name))?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_instance_profiles(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let prefix = crate::paging::path_prefix(input)?;
        self.profiles_page(ctx, input, |p| p.path.starts_with(&prefix))
    }

    pub(crate) fn role_in_instance_profile(
        &self,
        ctx: &RequestContext,
        input: &Document,
        add: bool,
    ) -> Res<Document> {
        let name = req(input, "InstanceProfileName")?;
        let role_name = req(input, "RoleName")?;
        self.write(ctx, |t, account| {
            let mut p = profile(t, account, name)?;
            let r = role(t, account, role_name)?;
            let present = p.roles.iter().any(|n| key(n) == key(&r.name));
            if add {
                if present || p.roles.len() >= ROLES_PER_PROFILE {
                    return Err(limit(format!("Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}")));
                }
                p.roles.push(r.name);
            } else {
                if !present {
                    return Err(no_such(format!("The role with name {role_name} cannot be found.")));
                }
                p.roles.retain(|n| key(n) != key(&r.name));
            }
            t.put(account, &key(&p.name), &p)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_instance_profiles_for_role(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let r = role(self.store(), &ctx.account_id, req(input, "RoleName")?)?;
        self.profiles_page(ctx, input, |p| {
            p.roles.iter().any(|n| key(n) == key(&r.name))
        })
    }

    pub(crate) fn tag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: &Document,
        add: bool,
    ) -> Res<Document> {
        let name = req(input, "InstanceProfileName")?;
        let change = TagChange::read(input, add)?;
        self.update_entity(
            ctx,
            |t, account| profile(t, account, name),
            |p| change.apply(&mut p.tags),
        )?;
        Ok(json!({}))
    }

    pub(crate) fn list_instance_profile_tags(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let p = profile(
            self.store(),
            &ctx.account_id,
            req(input, "InstanceProfileName")?,
        )?;
        crate::tags::list(input, &p.tags)
    }
}
