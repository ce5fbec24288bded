//! Groups and membership. A user's groups are kept in the user's record (what the directory
//! reads per request); a group's members are found by scanning the account's users.

use nimbus_core::{Document, RequestContext, ids};
use serde_json::json;

use crate::Iam;
use crate::errors::{Res, check_name, conflict, exists, limit};
use crate::policies::check_no_policies;
use crate::records::{GroupRecord, UserRecord, key};
use crate::users::user_doc;
use crate::util::{Read, arn, group, opt, path_of, req, ts, user};

/// Groups a user may be in (AWS's quota).
const GROUPS_PER_USER: usize = 10;

pub(crate) fn group_doc(account: &str, g: &GroupRecord) -> Document {
    json!({
        "Path": g.path,
        "GroupName": g.name,
        "GroupId": g.id,
        "Arn": arn(account, "group", &g.path, &g.name),
        "CreateDate": ts(g.created_ms),
    })
}

/// The `GroupName` and `UserName` that AddUserToGroup and RemoveUserFromGroup name.
fn membership_of(input: &Document) -> Res<(&str, &str)> {
    Ok((req(input, "GroupName")?, req(input, "UserName")?))
}

impl Iam {
    pub(crate) fn create_group(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "GroupName")?;
        check_name(name, "groupName")?;
        let record = GroupRecord {
            name: name.to_owned(),
            id: ids::unique_id("AGPA"),
            path: path_of(input)?,
            created_ms: self.now(),
            inline: Default::default(),
            attached: Vec::new(),
        };
        self.write(ctx, |t, account| {
            if !t.insert(account, &key(name), &record)? {
                return Err(exists(format!("Group with name {name} already exists.")));
            }
            Ok(())
        })?;
        Ok(json!({"Group": group_doc(&ctx.account_id, &record)}))
    }

    pub(crate) fn get_group(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let g = group(self.store(), &ctx.account_id, req(input, "GroupName")?)?;
        let members: Vec<(String, Document)> = self
            .store()
            .all::<UserRecord>(&ctx.account_id)?
            .iter()
            .filter(|u| u.groups.iter().any(|n| key(n) == key(&g.name)))
            .map(|u| (key(&u.name), user_doc(&ctx.account_id, u, false)))
            .collect();
        let mut out = crate::paging::page(input, members, "Users")?;
        out["Group"] = group_doc(&ctx.account_id, &g);
        Ok(out)
    }

    pub(crate) fn update_group(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "GroupName")?;
        let new_name = opt(input, "NewGroupName");
        if let Some(n) = new_name {
            check_name(n, "newGroupName")?;
        }
        let new_path = opt(input, "NewPath");
        if let Some(p) = new_path {
            crate::errors::check_path(p, "newPath")?;
        }
        self.write(ctx, |t, account| {
            let mut g = group(t, account, name)?;
            if let Some(p) = new_path {
                g.path = p.to_owned();
            }
            if let Some(n) = new_name
                && key(n) != key(name)
            {
                if t.rec::<GroupRecord>(account, &key(n))?.is_some() {
                    return Err(exists(format!("Group with name {n} already exists.")));
                }
                t.delete::<GroupRecord>(account, &key(name))?;
                // Members follow the group to its new name.
                for mut u in t.all::<UserRecord>(account)? {
                    if u.groups.iter().any(|m| key(m) == key(name)) {
                        u.groups.retain(|m| key(m) != key(name));
                        u.groups.push(n.to_owned());
                        t.put(account, &key(&u.name), &u)?;
                    }
                }
            }
            if let Some(n) = new_name {
                g.name = n.to_owned();
            }
            t.put(account, &key(&g.name), &g)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn delete_group(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "GroupName")?;
        self.write(ctx, |t, account| {
            let g = group(t, account, name)?;
            if t.all::<UserRecord>(account)?
                .iter()
                .any(|u| u.groups.iter().any(|m| key(m) == key(name)))
            {
                return Err(conflict(
                    "Cannot delete entity, must remove users from group first.",
                ));
            }
            check_no_policies(&g.inline, &g.attached)?;
            t.delete::<GroupRecord>(account, &key(name))?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_groups(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        self.list_by_path(ctx, input, "Groups", |g: &GroupRecord| {
            group_doc(&ctx.account_id, g)
        })
    }

    /// Loads the group and the user, lets `change` edit the user's groups (told whether the
    /// user is a member already) and saves the user when `change` says it changed something.
    fn change_membership(
        &self,
        ctx: &RequestContext,
        group_name: &str,
        user_name: &str,
        change: impl FnOnce(&mut UserRecord, GroupRecord, bool) -> Res<bool>,
    ) -> Res<Document> {
        self.write(ctx, |t, account| {
            let g = group(t, account, group_name)?;
            let mut u = user(t, account, user_name)?;
            let member = u.groups.iter().any(|m| key(m) == key(&g.name));
            if change(&mut u, g, member)? {
                t.put(account, &key(&u.name), &u)?;
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn add_user_to_group(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let (group_name, user_name) = membership_of(input)?;
        self.change_membership(ctx, group_name, user_name, |u, g, member| {
            if member {
                return Ok(false);
            }
            if u.groups.len() >= GROUPS_PER_USER {
                return Err(limit(format!(
                    "Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}"
                )));
            }
            u.groups.push(g.name);
            Ok(true)
        })
    }

    pub(crate) fn remove_user_from_group(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let (group_name, user_name) = membership_of(input)?;
        self.change_membership(ctx, group_name, user_name, |u, g, member| {
            if !member {
                return Err(crate::errors::no_such(format!(
                    "The user with name {user_name} cannot be found in group {group_name}."
                )));
            }
            u.groups.retain(|m| key(m) != key(&g.name));
            Ok(true)
        })
    }

    pub(crate) fn list_groups_for_user(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let u = user(self.store(), &ctx.account_id, req(input, "UserName")?)?;
        let mut items = Vec::new();
        for name in &u.groups {
            if let Some(g) = self
                .store()
                .rec::<GroupRecord>(&ctx.account_id, &key(name))?
            {
                items.push((key(&g.name), group_doc(&ctx.account_id, &g)));
            }
        }
        crate::paging::page(input, items, "Groups")
    }
}
