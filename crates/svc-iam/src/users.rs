//! Users, their tags and login profiles.

use nimbus_core::{Document, RequestContext, ServiceError, ids};
use serde_json::json;

use crate::Iam;
use crate::errors::{Res, check_name, conflict, exists, no_such, no_user};
use crate::policies::check_no_policies;
use crate::records::{ACCOUNT_KEY, AccountRecord, LoginProfile, UserRecord, key};
use crate::tags::{put_tags, tag, tags_in, untag};
use crate::util::{Read, arn, boolean, opt, path_of, req, root_arn, target_user_name, ts, user};

/// A `User` document; `full` adds what only GetUser/CreateUser show (boundary, tags).
pub(crate) fn user_doc(account: &str, u: &UserRecord, full: bool) -> Document {
    let mut doc = json!({
        "Path": u.path,
        "UserName": u.name,
        "UserId": u.id,
        "Arn": arn(account, "user", &u.path, &u.name),
        "CreateDate": ts(u.created_ms),
    });
    if full {
        if let Some(b) = &u.boundary {
            doc["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": b});
        }
        put_tags(&mut doc, &u.tags);
    }
    doc
}

impl Iam {
    pub(crate) fn create_user(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "UserName")?;
        check_name(name, "userName")?;
        let path = path_of(input)?;
        let tags = tags_in(input)?;
        let mut boundary = None;
        if let Some(b) = opt(input, "PermissionsBoundary") {
            self.check_boundary_arn(ctx, b)?;
            boundary = Some(b.to_owned());
        }
        let record = UserRecord {
            name: name.to_owned(),
            id: ids::unique_id("AIDA"),
            path,
            created_ms: self.now(),
            tags,
            inline: Default::default(),
            attached: Vec::new(),
            boundary,
            groups: Vec::new(),
            login_profile: None,
            access_keys: Vec::new(),
        };
        self.write(ctx, |t, account| {
            if !t.insert(account, &key(name), &record)? {
                return Err(exists(format!("User with name {name} already exists.")));
            }
            Ok(())
        })?;
        Ok(json!({"User": user_doc(&ctx.account_id, &record, true)}))
    }

    pub(crate) fn get_user(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let Some(name) = target_user_name(ctx, input) else {
            // The root user: no IAM user record.
            // The root user, as AWS answers it: no name, no path.
            return Ok(
                json!({"User": {"UserId": ctx.account_id, "Arn": root_arn(&ctx.account_id), "CreateDate": ts(0)}}),
            );
        };
        let u = user(self.store(), &ctx.account_id, &name)?;
        Ok(json!({"User": user_doc(&ctx.account_id, &u, true)}))
    }

    pub(crate) fn update_user(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "UserName")?;
        let new_name = opt(input, "NewUserName");
        if let Some(n) = new_name {
            check_name(n, "newUserName")?;
        }
        let new_path = match opt(input, "NewPath") {
            Some(p) => {
                crate::errors::check_path(p, "newPath")?;
                Some(p.to_owned())
            }
            None => None,
        };
        let (old, updated) = self.write(ctx, |t, account| {
            let mut u = user(t, account, name)?;
            let old = u.clone();
            if let Some(p) = &new_path {
                u.path = p.clone();
            }
            if let Some(n) = new_name {
                if key(n) != key(name) && t.rec::<UserRecord>(account, &key(n))?.is_some() {
                    return Err(exists(format!("User with name {n} already exists.")));
                }
                t.delete::<UserRecord>(account, &key(name))?;
                u.name = n.to_owned();
            }
            t.put(account, &key(&u.name), &u)?;
            Ok((old, u))
        })?;
        // Keys already issued now sign as the user's new ARN.
        let new_arn = arn(&ctx.account_id, "user", &updated.path, &updated.name);
        if new_arn != arn(&ctx.account_id, "user", &old.path, &old.name) {
            for k in &updated.access_keys {
                if let Some(mut c) = self.inner.credentials.lookup(&k.id) {
                    c.principal_arn = new_arn.clone();
                    self.inner.credentials.register(c)?;
                }
            }
        }
        Ok(json!({}))
    }

    pub(crate) fn delete_user(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "UserName")?;
        self.write(ctx, |t, account| {
            let u = user(t, account, name)?;
            if u.login_profile.is_some() {
                return Err(conflict(
                    "Cannot delete entity, must delete login profile first.",
                ));
            }
            if !u.access_keys.is_empty() {
                return Err(conflict(
                    "Cannot delete entity, must delete access keys first.",
                ));
            }
            check_no_policies(&u.inline, &u.attached)?;
            if !u.groups.is_empty() {
                return Err(conflict(
                    "Cannot delete entity, must remove users from group first.",
                ));
            }
            t.delete::<UserRecord>(account, &key(name))?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_users(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        self.list_by_path(ctx, input, "Users", |u: &UserRecord| {
            user_doc(&ctx.account_id, u, false)
        })
    }

    pub(crate) fn tag_user(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "UserName")?;
        let new = tags_in(input)?;
        self.update_user_record(ctx, name, |u| tag(&mut u.tags, new))?;
        Ok(json!({}))
    }

    pub(crate) fn untag_user(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "UserName")?;
        self.update_user_record(ctx, name, |u| {
            untag(&mut u.tags, input);
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_user_tags(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let u = user(self.store(), &ctx.account_id, req(input, "UserName")?)?;
        crate::tags::list(input, &u.tags)
    }

    /// Reads, changes and writes one user in a transaction.
    pub(crate) fn update_user_record<T>(
        &self,
        ctx: &RequestContext,
        name: &str,
        f: impl FnOnce(&mut UserRecord) -> Res<T>,
    ) -> Res<T> {
        self.update_entity(ctx, |t, account| user(t, account, name), f)
    }

    pub(crate) fn create_login_profile(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let name = target_user_name(ctx, input).ok_or_else(|| no_user("root"))?;
        let password = opt(input, "Password").unwrap_or_default();
        self.check_password(ctx, password)?;
        let reset = boolean(input, "PasswordResetRequired").unwrap_or(false);
        let now = self.now();
        let user_name = self.update_user_record(ctx, &name, |u| {
            if u.login_profile.is_some() {
                return Err(exists(format!(
                    "Login Profile for user {} already exists.",
                    u.name
                )));
            }
            u.login_profile = Some(LoginProfile {
                created_ms: now,
                password_reset_required: reset,
            });
            Ok(u.name.clone())
        })?;
        Ok(
            json!({"LoginProfile": {"UserName": user_name, "CreateDate": ts(now), "PasswordResetRequired": reset}}),
        )
    }

    pub(crate) fn get_login_profile(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let name = target_user_name(ctx, input).ok_or_else(|| no_user("root"))?;
        let u = user(self.store(), &ctx.account_id, &name)?;
        let profile = u.login_profile.ok_or_else(|| {
            no_such(format!(
                "Login Profile for User {} cannot be found.",
                u.name
            ))
        })?;
        Ok(json!({"LoginProfile": {
            "UserName": u.name, "CreateDate": ts(profile.created_ms), "PasswordResetRequired": profile.password_reset_required,
        }}))
    }

    pub(crate) fn update_login_profile(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let name = req(input, "UserName")?;
        if let Some(password) = opt(input, "Password") {
            self.check_password(ctx, password)?;
        }
        let reset = boolean(input, "PasswordResetRequired");
        self.update_user_record(ctx, name, |u| {
            let profile = u.login_profile.as_mut().ok_or_else(|| {
                no_such(format!(
                    "Login Profile for User {} cannot be found.",
                    u.name
                ))
            })?;
            if let Some(r) = reset {
                profile.password_reset_required = r;
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn delete_login_profile(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let name = target_user_name(ctx, input).ok_or_else(|| no_user("root"))?;
        self.update_user_record(ctx, &name, |u| {
            if u.login_profile.take().is_none() {
                return Err(no_such(format!(
                    "Login Profile for User {} cannot be found.",
                    u.name
                )));
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// A new console password against the account's password policy.
    fn check_password(&self, ctx: &RequestContext, password: &str) -> Res<()> {
        let account: Option<AccountRecord> = self.store().rec(&ctx.account_id, ACCOUNT_KEY)?;
        let Some(policy) = account.and_then(|a| a.password_policy) else {
            return Ok(());
        };
        let min = policy
            .get("MinimumPasswordLength")
            .and_then(Document::as_i64)
            .unwrap_or(8);
        let need = |member: &str| {
            policy
                .get(member)
                .and_then(Document::as_bool)
                .unwrap_or(false)
        };
        let mut problems = Vec::new();
        if (password.chars().count() as i64) < min {
            problems.push(format!("Password should have at least {min} characters"));
        }
        if need("RequireSymbols") && !password.chars().any(|c| c.is_ascii_punctuation()) {
            problems.push("Password should have at least one symbol".to_owned());
        }
        if need("RequireNumbers") && !password.chars().any(|c| c.is_ascii_digit()) {
            problems.push("Password should have at least one number".to_owned());
        }
        if need("RequireUppercaseCharacters") && !password.chars().any(|c| c.is_ascii_uppercase()) {
            problems.push("Password should have at least one uppercase letter".to_owned());
        }
        if need("RequireLowercaseCharacters") && !password.chars().any(|c| c.is_ascii_lowercase()) {
            problems.push("Password should have at least one lowercase letter".to_owned());
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(ServiceError::new("PasswordPolicyViolation", problems.join("\n")).into())
    }
}
