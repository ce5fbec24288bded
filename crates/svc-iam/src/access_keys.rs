//! Access keys: created for a user (at most two), registered with the server's credential
//! registry at once so requests signed with them verify, deactivated and deleted there too.

use nimbus_core::{Credential, Document, RequestContext, ids};
use serde_json::json;

use crate::Iam;
use crate::errors::{Res, limit, no_such, validation};
use crate::records::{AccessKeyMeta, UserRecord};
use crate::util::{Read, arn, opt, req, target_user_name, ts, user};

/// Keys a user may have (AWS's quota).
const KEYS_PER_USER: usize = 2;

fn no_key(id: &str) -> crate::errors::Failure {
    no_such(format!("The Access Key with id {id} cannot be found."))
}

fn user_name(ctx: &RequestContext, input: &Document) -> Res<String> {
    target_user_name(ctx, input)
        .ok_or_else(|| validation("Must specify userName when calling with non-User credentials"))
}

/// The user a key operation is about and the `AccessKeyId` it names.
fn named_key<'a>(ctx: &RequestContext, input: &'a Document) -> Res<(String, &'a str)> {
    Ok((user_name(ctx, input)?, req(input, "AccessKeyId")?))
}

impl Iam {
    pub(crate) fn create_access_key(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let name = user_name(ctx, input)?;
        let id = ids::access_key_id(false);
        let secret = ids::secret_access_key();
        let now = self.now();
        let u = self.update_user_record(ctx, &name, |u| {
            if u.access_keys.len() >= KEYS_PER_USER {
                return Err(limit(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}"
                )));
            }
            u.access_keys.push(AccessKeyMeta {
                id: id.clone(),
                status: "Active".to_owned(),
                created_ms: now,
            });
            Ok(u.clone())
        })?;
        let registered = self.inner.credentials.register(Credential {
            access_key_id: id.clone(),
            secret_access_key: secret.clone(),
            session_token: None,
            account_id: ctx.account_id.clone(),
            principal_arn: arn(&ctx.account_id, "user", &u.path, &u.name),
            user_id: u.id.clone(),
            expires_at_ms: None,
            active: true,
            session: None,
        });
        if let Err(e) = registered {
            // Not usable, so not kept.
            let _ = self.update_user_record(ctx, &name, |u| {
                u.access_keys.retain(|k| k.id != id);
                Ok(())
            });
            return Err(e.into());
        }
        Ok(json!({"AccessKey": {
            "UserName": u.name, "AccessKeyId": id, "Status": "Active", "SecretAccessKey": secret, "CreateDate": ts(now),
        }}))
    }

    pub(crate) fn update_access_key(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let (name, id) = named_key(ctx, input)?;
        let status = req(input, "Status")?;
        if status != "Active" && status != "Inactive" {
            return Err(validation(format!(
                "1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
            )));
        }
        self.update_user_record(ctx, &name, |u| {
            let key = u
                .access_keys
                .iter_mut()
                .find(|k| k.id == id)
                .ok_or_else(|| no_key(id))?;
            key.status = status.to_owned();
            Ok(())
        })?;
        if let Some(mut c) = self.inner.credentials.lookup(id) {
            c.active = status == "Active";
            self.inner.credentials.register(c)?;
        }
        Ok(json!({}))
    }

    pub(crate) fn delete_access_key(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let (name, id) = named_key(ctx, input)?;
        self.update_user_record(ctx, &name, |u| {
            let before = u.access_keys.len();
            u.access_keys.retain(|k| k.id != id);
            if u.access_keys.len() == before {
                return Err(no_key(id));
            }
            Ok(())
        })?;
        self.inner.credentials.remove(id)?;
        Ok(json!({}))
    }

    pub(crate) fn list_access_keys(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = user_name(ctx, input)?;
        let u = user(self.store(), &ctx.account_id, &name)?;
        let items = u
            .access_keys
            .iter()
            .map(|k| {
                (k.id.clone(), json!({"UserName": u.name, "AccessKeyId": k.id, "Status": k.status, "CreateDate": ts(k.created_ms)}))
            })
            .collect();
        crate::paging::page(input, items, "AccessKeyMetadata")
    }

    pub(crate) fn get_access_key_last_used(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let id = req(input, "AccessKeyId")?;
        let owner = self
            .store()
            .all::<UserRecord>(&ctx.account_id)?
            .into_iter()
            .find(|u| u.access_keys.iter().any(|k| k.id == id))
            .ok_or_else(|| no_key(id))?;
        let _ = opt(input, "UserName");
        Ok(
            json!({"UserName": owner.name, "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}),
        )
    }
}
