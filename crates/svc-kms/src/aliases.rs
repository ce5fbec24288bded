//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use nimbus_core::RequestContext;
use serde_json::{Value, json};

use crate::errors::{Res, alias_not_found, already_exists, aws_managed, limit_exceeded, reserved_alias, validation};
use crate::input::{Input, Out, page, timestamp, with_page};
use crate::lookup::check_not_pending_deletion;
use crate::records::{AliasRecord, KeyRecord, alias_arn, scope};
use crate::Inner;

/// Aliases one key may have (AWS's quota).
const MAX_ALIASES_PER_KEY: usize = 50;

/// AWS's rules for alias names: `alias/` then letters, digits, `/`, `_` and `-`.
fn check_alias_name(name: &str) -> Res<()> {
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    };
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b)) {
        return Err(validation(format!("{name} contains invalid characters for an alias")));
    }
    if name.starts_with("alias/aws/") {
        return Err(reserved_alias());
    }
    Ok(())
}

impl Inner {
    /// The key an alias is to point at: a customer managed key of the caller's account,
    /// named by key id or key ARN.
    fn alias_target(&self, ctx: &RequestContext, input: &Input, action: &str) -> Res<KeyRecord> {
        let key = self.find_key(ctx, input.required_str("TargetKeyId")?, false)?;
        if key.is_aws_managed() {
            return Err(aws_managed(ctx, action, &key.arn()));
        }
        check_not_pending_deletion(&key)?;
        Ok(key)
    }

    fn aliases_of(&self, account: &str, region: &str, key_id: &str) -> Res<Vec<AliasRecord>> {
        Ok(self
            .store
            .list_all::<AliasRecord>(&scope(account, region))?
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| a.target_key_id == key_id)
            .collect())
    }

    pub(crate) fn create_alias(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let name = input.required_str("AliasName")?;
        check_alias_name(name)?;
        let key = self.alias_target(ctx, input, "CreateAlias")?;
        if self.aliases_of(&ctx.account_id, &ctx.region, &key.key_id)?.len() >= MAX_ALIASES_PER_KEY {
            return Err(limit_exceeded(format!("A KMS key can have at most {MAX_ALIASES_PER_KEY} aliases.")));
        }
        let now = self.now();
        let alias = AliasRecord { name: name.to_owned(), target_key_id: key.key_id.clone(), created_ms: now, updated_ms: now };
        let alias_scope = scope(&ctx.account_id, &ctx.region);
        if !self.store.insert(&alias_scope, name, &alias)? {
            return Err(already_exists(format!(
                "An alias with the name {} already exists",
                alias_arn(&ctx.region, &ctx.account_id, name)
            )));
        }
        Ok(json!({}))
    }

    pub(crate) fn update_alias(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let name = input.required_str("AliasName")?;
        if name.starts_with("alias/aws/") {
            return Err(reserved_alias());
        }
        let alias_scope = scope(&ctx.account_id, &ctx.region);
        let Some(alias) = self.store.get::<AliasRecord>(&alias_scope, name)? else {
            return Err(alias_not_found(&alias_arn(&ctx.region, &ctx.account_id, name)));
        };
        let target = self.alias_target(ctx, input, "UpdateAlias")?;
        if let Some(current) = self.load_key(&ctx.account_id, &ctx.region, &alias.target_key_id)?
            && (current.usage != target.usage || key_type(&current) != key_type(&target))
        {
            return Err(validation(format!(
                "Alias {name} points to a {} key with key usage {}; its new target must be of the same type and key usage.",
                key_type(&current),
                current.usage.as_str()
            )));
        }
        let updated = AliasRecord { target_key_id: target.key_id.clone(), updated_ms: self.now(), ..alias };
        self.store.put(&alias_scope, name, &updated)?;
        Ok(json!({}))
    }

    pub(crate) fn delete_alias(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let name = input.required_str("AliasName")?;
        if name.starts_with("alias/aws/") {
            return Err(reserved_alias());
        }
        if !self.store.delete::<AliasRecord>(&scope(&ctx.account_id, &ctx.region), name)? {
            return Err(alias_not_found(&alias_arn(&ctx.region, &ctx.account_id, name)));
        }
        Ok(json!({}))
    }

    pub(crate) fn list_aliases(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let limit = input.limit(50);
        let after = input.marker()?;
        let filter = match input.str("KeyId") {
            Some(id) => Some(self.find_key(ctx, id, false)?.key_id),
            None => None,
        };
        let alias_scope = scope(&ctx.account_id, &ctx.region);
        let mut listed = Vec::new();
        let mut cursor = after;
        loop {
            let batch = self.store.list::<AliasRecord>(&alias_scope, "", cursor.as_deref(), 500)?;
            let Some((last, _)) = batch.last() else { break };
            cursor = Some(last.clone());
            let short = batch.len() < 500;
            for (name, alias) in batch {
                if filter.as_ref().is_some_and(|k| &alias.target_key_id != k) {
                    continue;
                }
                // A key whose deletion came due takes its aliases with it.
                if self.load_key(&ctx.account_id, &ctx.region, &alias.target_key_id)?.is_some() {
                    listed.push((name, alias));
                }
            }
            if short || listed.len() > limit {
                break;
            }
        }
        let (items, next) = page(listed, limit);
        let aliases: Vec<Value> = items
            .iter()
            .map(|(name, a)| {
                Out::new()
                    .set("AliasName", name.clone())
                    .set("AliasArn", alias_arn(&ctx.region, &ctx.account_id, name))
                    .set("TargetKeyId", a.target_key_id.clone())
                    .set("CreationDate", timestamp(a.created_ms))
                    .set("LastUpdatedDate", timestamp(a.updated_ms))
                    .done()
            })
            .collect();
        Ok(with_page(Out::new().set("Aliases", aliases), next).done())
    }
}

/// What UpdateAlias compares: symmetric, asymmetric or HMAC.
fn key_type(key: &KeyRecord) -> &'static str {
    if key.spec.is_symmetric() {
        "symmetric"
    } else if key.spec.is_hmac() {
        "HMAC"
    } else {
        "asymmetric"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names_follow_aws_rules() {
        assert!(check_alias_name("alias/app-1/prod_x").is_ok());
        assert_eq!(check_alias_name("app").unwrap_err().0.code, "ValidationException");
        assert_eq!(check_alias_name("alias/a.b").unwrap_err().0.message, "alias/a.b contains invalid characters for an alias");
        assert_eq!(check_alias_name("alias/").unwrap_err().0.code, "ValidationException");
        assert_eq!(check_alias_name("alias/aws/s3").unwrap_err().0.code, "NotAuthorizedException");
    }
}
