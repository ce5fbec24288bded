//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.
//!
//! Grants are recorded and listed with AWS's semantics (operations valid for the key,
//! constraints, idempotent re-creation); grant tokens are accepted by every operation that
//! takes them. Nimbus does not consult grants when authorizing (strict mode evaluates policies).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::RequestContext;
use serde_json::{Value, json};

use crate::errors::{
    Res, dry_run, grant_not_found, invalid_grant_id, invalid_grant_token, key_not_found, not_in_enum, validation,
};
use crate::input::{Input, Out, page, timestamp, with_page};
use crate::lookup::{check_usable, is_key_id};
use crate::material::random_bytes;
use crate::records::{GrantRecord, KeyRecord, grant_scope, key_arn, scope};
use crate::spec::GrantOperation;
use crate::Inner;

const TOKEN_PREFIX: &str = "nimbus-grant:v1:";

fn is_grant_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A grant token: the grant's identity plus randomness (AWS's tokens are opaque too).
fn grant_token(key: &KeyRecord, grant_id: &str) -> Res<String> {
    let nonce = hex::encode(random_bytes(16)?);
    Ok(B64.encode(format!("{TOKEN_PREFIX}{}:{}:{}:{grant_id}:{nonce}", key.account, key.region, key.key_id)))
}

/// (account, region, key id, grant id) of a token Nimbus issued.
pub(crate) fn parse_grant_token(token: &str) -> Option<(String, String, String, String)> {
    let text = String::from_utf8(B64.decode(token).ok()?).ok()?;
    let rest = text.strip_prefix(TOKEN_PREFIX)?;
    let parts: Vec<&str> = rest.split(':').collect();
    let [account, region, key_id, grant_id, _nonce] = parts[..] else { return None };
    Some((account.into(), region.into(), key_id.into(), grant_id.into()))
}

fn grant_doc(key_arn: &str, grant: &GrantRecord) -> Value {
    Out::new()
        .set("KeyId", key_arn)
        .set("GrantId", grant.grant_id.clone())
        .opt("Name", grant.name.clone())
        .set("CreationDate", timestamp(grant.created_ms))
        .opt("GranteePrincipal", grant.grantee.clone())
        .opt("GranteeServicePrincipal", grant.grantee_service.clone())
        .opt("RetiringPrincipal", grant.retiring.clone())
        .opt("RetiringServicePrincipal", grant.retiring_service.clone())
        .set("IssuingAccount", format!("arn:aws:iam::{}:root", grant.issuing_account))
        .set("Operations", grant.operations.clone())
        .opt("Constraints", grant.constraints.clone())
        .done()
}

/// The grant's constraints, checked: one of the two encryption context forms, only on
/// symmetric keys.
fn parse_constraints(input: &Input, key: &KeyRecord) -> Res<Option<Value>> {
    let Some(constraints) = input.0.get("Constraints").filter(|c| c.as_object().is_some_and(|o| !o.is_empty())) else {
        return Ok(None);
    };
    let subset = constraints.get("EncryptionContextSubset").is_some();
    let equals = constraints.get("EncryptionContextEquals").is_some();
    if subset && equals {
        return Err(validation("A grant constraint can have EncryptionContextSubset or EncryptionContextEquals, not both."));
    }
    if (subset || equals) && !key.spec.is_symmetric() {
        return Err(validation(format!(
            "Encryption context grant constraints are valid only for symmetric encryption KMS keys; {} has key spec {}.",
            key.arn(),
            key.spec.as_str()
        )));
    }
    Ok(Some(constraints.clone()))
}

impl Inner {
    pub(crate) fn create_grant(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, false)?;
        let mut operations = Vec::new();
        for op in input.strings("Operations") {
            let parsed = GrantOperation::parse(&op).ok_or_else(|| not_in_enum("operations", &op, GrantOperation::ALL))?;
            if !operations.contains(&parsed) {
                operations.push(parsed);
            }
        }
        if operations.is_empty() {
            return Err(validation(
                "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        check_usable(&key)?;
        let valid = key.spec.grant_operations(key.usage);
        if let Some(bad) = operations.iter().find(|op| !valid.contains(op)) {
            return Err(validation(format!(
                "Grant operation {} is not valid for a KMS key with key spec {} and key usage {}.",
                bad.as_str(),
                key.spec.as_str(),
                key.usage.as_str()
            )));
        }
        let grantee = input.str("GranteePrincipal").map(str::to_owned);
        let grantee_service = input.str("GranteeServicePrincipal").map(str::to_owned);
        if grantee.is_none() && grantee_service.is_none() {
            return Err(validation("A grant must have a GranteePrincipal or a GranteeServicePrincipal."));
        }
        let constraints = parse_constraints(input, &key)?;
        if input.bool("DryRun") {
            return Err(dry_run());
        }
        let candidate = GrantRecord {
            grant_id: hex::encode(random_bytes(32)?),
            key_id: key.key_id.clone(),
            name: input.str("Name").map(str::to_owned),
            created_ms: self.now(),
            grantee,
            grantee_service,
            retiring: input.str("RetiringPrincipal").map(str::to_owned),
            retiring_service: input.str("RetiringServicePrincipal").map(str::to_owned),
            issuing_account: ctx.account_id.clone(),
            operations: operations.iter().map(|o| o.as_str().to_owned()).collect(),
            constraints,
        };
        let grants_scope = grant_scope(&key.account, &key.region, &key.key_id);
        let grant_id = self.transaction(|t| {
            // Creating the same grant again (same name, grantee, operations, constraints and
            // retiring principal) returns the existing grant, as AWS does.
            if candidate.name.is_some() {
                for (_, existing) in t.list::<GrantRecord>(&grants_scope, "", None, usize::MAX)? {
                    let same = GrantRecord { grant_id: existing.grant_id.clone(), created_ms: existing.created_ms, ..candidate.clone() };
                    if same == existing {
                        return Ok(existing.grant_id);
                    }
                }
            }
            t.put(&grants_scope, &candidate.grant_id, &candidate)?;
            Ok(candidate.grant_id.clone())
        })?;
        Ok(json!({ "GrantToken": grant_token(&key, &grant_id)?, "GrantId": grant_id }))
    }

    pub(crate) fn list_grants(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, false)?;
        let limit = input.limit(50).min(100);
        let after = input.marker()?;
        let grant_id = input.str("GrantId");
        if let Some(id) = grant_id
            && !is_grant_id(id)
        {
            return Err(invalid_grant_id());
        }
        let grantee = input.str("GranteePrincipal");
        let grants_scope = grant_scope(&key.account, &key.region, &key.key_id);
        let all = self.store.list::<GrantRecord>(&grants_scope, "", after.as_deref(), usize::MAX)?;
        let matching: Vec<(String, GrantRecord)> = all
            .into_iter()
            .filter(|(_, g)| grant_id.is_none_or(|id| g.grant_id == id) && grantee.is_none_or(|p| g.grantee.as_deref() == Some(p)))
            .collect();
        let (items, next) = page(matching, limit);
        let arn = key.arn();
        let grants: Vec<Value> = items.iter().map(|(_, g)| grant_doc(&arn, g)).collect();
        Ok(with_page(Out::new().set("Grants", grants), next).done())
    }

    pub(crate) fn list_retirable_grants(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let retiring = input.str("RetiringPrincipal");
        let retiring_service = input.str("RetiringServicePrincipal");
        if retiring.is_none() && retiring_service.is_none() {
            return Err(validation("Specify a RetiringPrincipal or a RetiringServicePrincipal."));
        }
        let limit = input.limit(50).min(100);
        let after = input.marker()?;
        let mut matching = Vec::new();
        for (key_id, key) in self.store.list_all::<KeyRecord>(&scope(&ctx.account_id, &ctx.region))? {
            for (grant_id, grant) in self.store.list_all::<GrantRecord>(&grant_scope(&key.account, &key.region, &key_id))? {
                let matches = retiring.is_some_and(|p| grant.retiring.as_deref() == Some(p))
                    || retiring_service.is_some_and(|p| grant.retiring_service.as_deref() == Some(p));
                let position = format!("{key_id}/{grant_id}");
                if matches && after.as_ref().is_none_or(|a| &position > a) {
                    matching.push((position, (key.arn(), grant)));
                }
            }
        }
        let (items, next) = page(matching, limit);
        let grants: Vec<Value> = items.iter().map(|(_, (arn, g))| grant_doc(arn, g)).collect();
        Ok(with_page(Out::new().set("Grants", grants), next).done())
    }

    pub(crate) fn retire_grant(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let (account, region, key_id, grant_id) = match (input.str("GrantToken"), input.str("KeyId"), input.str("GrantId")) {
            (Some(token), _, _) => parse_grant_token(token).ok_or_else(invalid_grant_token)?,
            (None, Some(key), Some(grant)) => {
                let key = self.find_key(ctx, key, false)?;
                (key.account, key.region, key.key_id, grant.to_owned())
            }
            _ => return Err(validation("Specify a GrantToken, or both a KeyId and a GrantId.")),
        };
        if input.bool("DryRun") {
            return Err(dry_run());
        }
        self.delete_grant(&account, &region, &key_id, &grant_id)
    }

    pub(crate) fn revoke_grant(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, false)?;
        let grant_id = input.required_str("GrantId")?;
        if input.bool("DryRun") {
            return Err(dry_run());
        }
        self.delete_grant(&key.account, &key.region, &key.key_id, grant_id)
    }

    fn delete_grant(&self, account: &str, region: &str, key_id: &str, grant_id: &str) -> Res<Value> {
        if !is_grant_id(grant_id) {
            return Err(invalid_grant_id());
        }
        if !is_key_id(key_id) || self.load_key(account, region, key_id)?.is_none() {
            return Err(key_not_found(&key_arn(region, account, key_id)));
        }
        if !self.store.delete::<GrantRecord>(&grant_scope(account, region, key_id), grant_id)? {
            return Err(grant_not_found(grant_id));
        }
        Ok(json!({}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_grant() {
        let token = B64.encode(format!("{TOKEN_PREFIX}000000000000:us-east-1:k:{}:n", "a".repeat(64)));
        let (account, region, key, grant) = parse_grant_token(&token).unwrap();
        assert_eq!((account.as_str(), region.as_str(), key.as_str()), ("000000000000", "us-east-1", "k"));
        assert_eq!(grant, "a".repeat(64));
        assert!(parse_grant_token("garbage").is_none());
    }
}
