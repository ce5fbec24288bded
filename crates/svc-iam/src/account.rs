//! Account-wide operations: aliases, the password policy, the summary and the authorization
//! details report.

use nimbus_core::{Document, RequestContext};
use serde_json::json;

use crate::Iam;
use crate::errors::{Res, exists, no_such, validation};
use crate::policies::{Managed, local_arn, policy_doc, usage};
use crate::records::{
    ACCOUNT_KEY, AccountRecord, GroupRecord, InstanceProfileRecord, OidcProviderRecord,
    PolicyRecord, RoleRecord, SamlProviderRecord, UserRecord, key,
};
use crate::util::{Read, arn, boolean, int, req, strings, ts, url_encode};

fn attached_docs(arns: &[String]) -> Vec<Document> {
    arns.iter()
        .map(|a| json!({"PolicyName": a.rsplit('/').next().unwrap_or_default(), "PolicyArn": a}))
        .collect()
}

fn inline_docs(inline: &std::collections::BTreeMap<String, String>) -> Vec<Document> {
    inline
        .iter()
        .map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": url_encode(d)}))
        .collect()
}

fn boundary_doc(doc: &mut Document, boundary: Option<&String>) {
    if let Some(b) = boundary {
        doc["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": b});
    }
}

impl Iam {
    fn account_record(&self, ctx: &RequestContext) -> Res<AccountRecord> {
        Ok(self
            .store()
            .rec::<AccountRecord>(&ctx.account_id, ACCOUNT_KEY)?
            .unwrap_or_default())
    }

    fn change_account(
        &self,
        ctx: &RequestContext,
        f: impl FnOnce(&mut AccountRecord) -> Res<()>,
    ) -> Res<()> {
        self.write(ctx, |t, account| {
            let mut record: AccountRecord = t.rec(account, ACCOUNT_KEY)?.unwrap_or_default();
            f(&mut record)?;
            t.put(account, ACCOUNT_KEY, &record)?;
            Ok(())
        })
    }

    pub(crate) fn create_account_alias(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let alias = req(input, "AccountAlias")?;
        let ok = alias.len() >= 3
            && alias
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !alias.starts_with('-')
            && !alias.ends_with('-')
            && !alias.contains("--");
        if !ok {
            return Err(validation(format!(
                "1 validation error detected: Value '{alias}' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){{1,61}}[a-z0-9]$"
            )));
        }
        self.change_account(ctx, |a| {
            if a.aliases.iter().any(|x| x == alias) {
                return Err(exists(format!("The account alias {alias} already exists.")));
            }
            // An account has one alias: a new one replaces it.
            a.aliases = vec![alias.to_owned()];
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn delete_account_alias(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let alias = req(input, "AccountAlias")?;
        self.change_account(ctx, |a| {
            if !a.aliases.iter().any(|x| x == alias) {
                return Err(no_such(format!(
                    "The account alias {alias} cannot be found."
                )));
            }
            a.aliases.retain(|x| x != alias);
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_account_aliases(&self, ctx: &RequestContext) -> Res<Document> {
        Ok(json!({"AccountAliases": self.account_record(ctx)?.aliases, "IsTruncated": false}))
    }

    pub(crate) fn update_password_policy(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let max_age = int(input, "MaxPasswordAge");
        let mut policy = json!({
            "MinimumPasswordLength": int(input, "MinimumPasswordLength").unwrap_or(8),
            "RequireSymbols": boolean(input, "RequireSymbols").unwrap_or(false),
            "RequireNumbers": boolean(input, "RequireNumbers").unwrap_or(false),
            "RequireUppercaseCharacters": boolean(input, "RequireUppercaseCharacters").unwrap_or(false),
            "RequireLowercaseCharacters": boolean(input, "RequireLowercaseCharacters").unwrap_or(false),
            "AllowUsersToChangePassword": boolean(input, "AllowUsersToChangePassword").unwrap_or(false),
            "ExpirePasswords": max_age.is_some_and(|a| a > 0),
        });
        if let Some(age) = max_age.filter(|a| *a > 0) {
            policy["MaxPasswordAge"] = json!(age);
        }
        if let Some(reuse) = int(input, "PasswordReusePrevention") {
            policy["PasswordReusePrevention"] = json!(reuse);
        }
        if let Some(hard) = boolean(input, "HardExpiry") {
            policy["HardExpiry"] = json!(hard);
        }
        self.change_account(ctx, |a| {
            a.password_policy = Some(policy);
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn no_password_policy(ctx: &RequestContext) -> crate::errors::Failure {
        no_such(format!(
            "The Password Policy with domain name {} cannot be found.",
            ctx.account_id
        ))
    }

    pub(crate) fn get_password_policy(&self, ctx: &RequestContext) -> Res<Document> {
        let policy = self
            .account_record(ctx)?
            .password_policy
            .ok_or_else(|| Self::no_password_policy(ctx))?;
        Ok(json!({"PasswordPolicy": policy}))
    }

    pub(crate) fn delete_password_policy(&self, ctx: &RequestContext) -> Res<Document> {
        self.change_account(ctx, |a| {
            a.password_policy
                .take()
                .map(|_| ())
                .ok_or_else(|| Self::no_password_policy(ctx))
        })?;
        Ok(json!({}))
    }

    pub(crate) fn get_account_summary(&self, ctx: &RequestContext) -> Res<Document> {
        let account = &ctx.account_id;
        let s = self.store();
        let users = s.all::<UserRecord>(account)?;
        let roles = s.all::<RoleRecord>(account)?;
        let groups = s.all::<GroupRecord>(account)?;
        let attachments: i64 = usage(s, account)?.values().map(|c| c.0).sum();
        let providers = s.all::<OidcProviderRecord>(account)?.len()
            + s.all::<SamlProviderRecord>(account)?.len();
        Ok(json!({"SummaryMap": {
            "Users": users.len(), "UsersQuota": 5000,
            "Groups": groups.len(), "GroupsQuota": 300,
            "Roles": roles.len(), "RolesQuota": 1000,
            "Policies": s.all::<PolicyRecord>(account)?.len(), "PoliciesQuota": 1500,
            "InstanceProfiles": s.all::<InstanceProfileRecord>(account)?.len(), "InstanceProfilesQuota": 1000,
            "ServerCertificates": 0, "ServerCertificatesQuota": 20,
            "MFADevices": 0, "MFADevicesInUse": 0, "AccountMFAEnabled": 0,
            "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0,
            "AttachedPoliciesPerUserQuota": 10, "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
            "PolicySizeQuota": 6144, "PolicyVersionsInUse": attachments, "PolicyVersionsInUseQuota": 10000,
            "VersionsPerPolicyQuota": 5, "GroupsPerUserQuota": 10,
            "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120, "RolePolicySizeQuota": 10240,
            "AccessKeysPerUserQuota": 2, "SigningCertificatesPerUserQuota": 2, "AssumeRolePolicySizeQuota": 2048,
            "GlobalEndpointTokenVersion": 1, "Providers": providers,
        }}))
    }

    pub(crate) fn get_account_authorization_details(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let account = &ctx.account_id;
        let s = self.store();
        let filter = strings(input, "Filter");
        let wants = |kind: &str| filter.is_empty() || filter.iter().any(|f| f == kind);
        let mut items: Vec<(String, Document)> = Vec::new();
        let profiles = s.all::<InstanceProfileRecord>(account)?;
        if wants("User") {
            for u in s.all::<UserRecord>(account)? {
                let mut doc = json!({
                    "Path": u.path, "UserName": u.name, "UserId": u.id, "Arn": arn(account, "user", &u.path, &u.name),
                    "CreateDate": ts(u.created_ms), "UserPolicyList": inline_docs(&u.inline), "GroupList": u.groups,
                    "AttachedManagedPolicies": attached_docs(&u.attached), "Tags": crate::tags::tags_out(&u.tags),
                });
                boundary_doc(&mut doc, u.boundary.as_ref());
                items.push((
                    format!("1{}", key(&u.name)),
                    json!({"k": "UserDetailList", "d": doc}),
                ));
            }
        }
        if wants("Group") {
            for g in s.all::<GroupRecord>(account)? {
                let doc = json!({
                    "Path": g.path, "GroupName": g.name, "GroupId": g.id, "Arn": arn(account, "group", &g.path, &g.name),
                    "CreateDate": ts(g.created_ms), "GroupPolicyList": inline_docs(&g.inline),
                    "AttachedManagedPolicies": attached_docs(&g.attached),
                });
                items.push((
                    format!("2{}", key(&g.name)),
                    json!({"k": "GroupDetailList", "d": doc}),
                ));
            }
        }
        if wants("Role") {
            for r in s.all::<RoleRecord>(account)? {
                let mut role_profiles = Vec::new();
                for p in profiles
                    .iter()
                    .filter(|p| p.roles.iter().any(|n| key(n) == key(&r.name)))
                {
                    role_profiles.push(json!({
                        "Path": p.path, "InstanceProfileName": p.name, "InstanceProfileId": p.id,
                        "Arn": arn(account, "instance-profile", &p.path, &p.name), "CreateDate": ts(p.created_ms),
                        "Roles": [crate::roles::role_doc(account, &r, false)],
                    }));
                }
                let mut doc = crate::roles::role_doc(account, &r, true);
                doc["InstanceProfileList"] = json!(role_profiles);
                doc["RolePolicyList"] = json!(inline_docs(&r.inline));
                doc["AttachedManagedPolicies"] = json!(attached_docs(&r.attached));
                if let Some(o) = doc.as_object_mut() {
                    o.remove("MaxSessionDuration");
                    o.remove("Description");
                }
                items.push((
                    format!("3{}", key(&r.name)),
                    json!({"k": "RoleDetailList", "d": doc}),
                ));
            }
        }
        let counts = usage(s, account)?;
        let mut managed: Vec<Managed> = Vec::new();
        if wants("LocalManagedPolicy") {
            managed.extend(
                s.all::<PolicyRecord>(account)?
                    .into_iter()
                    .map(Managed::Local),
            );
        }
        if wants("AWSManagedPolicy") {
            // AWS managed policies appear when something in the account uses them.
            managed.extend(
                crate::aws_managed::all()
                    .iter()
                    .filter(|p| counts.contains_key(&p.arn))
                    .map(Managed::Aws),
            );
        }
        for m in managed {
            let (policy_arn, versions) = match &m {
                Managed::Aws(p) => (
                    p.arn.clone(),
                    vec![json!({"Document": url_encode(&p.document), "VersionId": p.default_version, "IsDefaultVersion": true, "CreateDate": ts(p.updated_ms)})],
                ),
                Managed::Local(p) => (
                    local_arn(account, p),
                    p.versions
                        .iter()
                        .map(|v| json!({"Document": url_encode(&v.document), "VersionId": v.id, "IsDefaultVersion": v.id == p.default_version, "CreateDate": ts(v.created_ms)}))
                        .collect(),
                ),
            };
            let c = counts.get(&policy_arn).copied().unwrap_or_default();
            let mut doc = policy_doc(account, &m, c, true);
            if let Some(o) = doc.as_object_mut() {
                o.remove("Tags");
            }
            doc["PolicyVersionList"] = json!(versions);
            items.push((
                format!("4{}", policy_arn.to_ascii_lowercase()),
                json!({"k": "Policies", "d": doc}),
            ));
        }
        let paged = crate::paging::page(input, items, "Items")?;
        let mut out = json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []});
        for item in paged["Items"].as_array().into_iter().flatten() {
            if let Some(arr) = item["k"].as_str().and_then(|kind| out[kind].as_array_mut()) {
                arr.push(item["d"].clone());
            }
        }
        out["IsTruncated"] = paged["IsTruncated"].clone();
        if let Some(m) = paged.get("Marker") {
            out["Marker"] = m.clone();
        }
        Ok(out)
    }
}
