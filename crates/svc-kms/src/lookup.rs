//! Finding the key a request names (key id, key ARN, alias name, alias ARN), the key-state
//! checks AWS applies, and loading key material.

use std::sync::{Arc, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::RequestContext;

use crate::errors::{
    Res, alias_not_found, disabled, internal, invalid_arn, invalid_key_id, key_not_found, pending_deletion, pending_import,
};
use crate::material::{self, Loaded};
use crate::records::{AliasRecord, KeyRecord, KeyState, alias_arn, key_arn, scope};
use crate::{Inner, MATERIAL_CACHE_LIMIT};

/// What a `KeyId` member names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    Key { account: String, region: String, key_id: String },
    Alias { account: String, region: String, name: String },
}

/// A key id as KMS makes them: a UUID, or `mrk-` and 32 hex digits for multi-region keys.
pub fn is_key_id(id: &str) -> bool {
    if let Some(hex) = id.strip_prefix("mrk-") {
        return hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Parses a `KeyId` member. Aliases are accepted only where the operation takes them.
pub fn parse_key_ref(ctx: &RequestContext, id: &str, allow_alias: bool) -> Res<KeyRef> {
    if let Some(rest) = id.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [_partition, service, region, account, resource] = parts[..] else { return Err(invalid_arn(id)) };
        if service != "kms" || region.is_empty() || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid_arn(id));
        }
        if let Some(key_id) = resource.strip_prefix("key/") {
            return Ok(KeyRef::Key { account: account.into(), region: region.into(), key_id: key_id.into() });
        }
        if resource.starts_with("alias/") && allow_alias {
            return Ok(KeyRef::Alias { account: account.into(), region: region.into(), name: resource.into() });
        }
        return Err(invalid_key_id(id));
    }
    if id.starts_with("alias/") {
        if !allow_alias {
            return Err(invalid_key_id(id));
        }
        return Ok(KeyRef::Alias { account: ctx.account_id.clone(), region: ctx.region.clone(), name: id.into() });
    }
    if !is_key_id(id) {
        return Err(invalid_key_id(id));
    }
    Ok(KeyRef::Key { account: ctx.account_id.clone(), region: ctx.region.clone(), key_id: id.into() })
}

impl Inner {
    /// The key `id` names, with due work applied (a key whose deletion came due is gone).
    pub(crate) fn find_key(&self, ctx: &RequestContext, id: &str, allow_alias: bool) -> Res<KeyRecord> {
        let reference = parse_key_ref(ctx, id, allow_alias)?;
        self.find_ref(ctx, &reference)
    }

    pub(crate) fn find_ref(&self, ctx: &RequestContext, reference: &KeyRef) -> Res<KeyRecord> {
        let (account, region, key_id) = match reference {
            KeyRef::Key { account, region, key_id } => (account.as_str(), region.as_str(), key_id.clone()),
            KeyRef::Alias { account, region, name } => {
                let alias = match self.store.get::<AliasRecord>(&scope(account, region), name)? {
                    Some(alias) => alias,
                    None if account == &ctx.account_id => match self.aws_managed_key(account, region, name)? {
                        Some(key) => return Ok(key),
                        None => return Err(alias_not_found(&alias_arn(region, account, name))),
                    },
                    None => return Err(alias_not_found(&alias_arn(region, account, name))),
                };
                (account.as_str(), region.as_str(), alias.target_key_id)
            }
        };
        self.load_key(account, region, &key_id)?.ok_or_else(|| key_not_found(&key_arn(region, account, &key_id)))
    }

    /// A key by id, with its due work applied; `None` if there is none (any more).
    pub(crate) fn load_key(&self, account: &str, region: &str, key_id: &str) -> Res<Option<KeyRecord>> {
        let Some(key) = self.store.get::<KeyRecord>(&scope(account, region), key_id)? else { return Ok(None) };
        if !self.has_due_work(&key, self.now()) {
            return Ok(Some(key));
        }
        self.settle(account, region, key_id)
    }

    /// Material version `index` of `key`, parsed (and cached).
    pub(crate) fn material(&self, key: &KeyRecord, index: usize) -> Res<Arc<Loaded>> {
        let Some(version) = key.materials.get(index) else { return Err(crate::errors::invalid_ciphertext()) };
        let identity = material_aad(&key.account, &key.key_id, &version.id);
        if let Some(hit) = self.materials.read().unwrap_or_else(PoisonError::into_inner).get(&identity) {
            return Ok(hit.clone());
        }
        let Some(sealed) = &version.sealed else { return Err(pending_import(&key.arn())) };
        let sealed = B64.decode(sealed).map_err(|_| internal("stored key material is corrupt"))?;
        let plain = self.store.unseal(&sealed, identity.as_bytes())?;
        let loaded = Arc::new(material::load(key.spec, &plain)?);
        let mut cache = self.materials.write().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= MATERIAL_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(identity, loaded.clone());
        Ok(loaded)
    }

    /// The key's current material.
    pub(crate) fn current_material(&self, key: &KeyRecord) -> Res<Arc<Loaded>> {
        self.material(key, key.current)
    }

    /// Seals material for storage in `key`'s record (base64 of the sealed bytes).
    pub(crate) fn seal_material(&self, account: &str, key_id: &str, material_id: &str, plain: &[u8]) -> Res<String> {
        let sealed = self.store.seal(plain, material_aad(account, key_id, material_id).as_bytes())?;
        Ok(B64.encode(sealed))
    }
}

/// The identity key material is sealed under: a sealed version copied into another key's record
/// fails to unseal. No region: a multi-region replica shares its primary's id and material.
fn material_aad(account: &str, key_id: &str, material_id: &str) -> String {
    format!("kms-key-material/{account}/{key_id}/{material_id}")
}

/// Cryptographic operations need an enabled key with material.
pub fn check_usable(key: &KeyRecord) -> Res<()> {
    match key.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(disabled(&key.arn())),
        KeyState::PendingDeletion => Err(pending_deletion(&key.arn())),
        KeyState::PendingImport => Err(pending_import(&key.arn())),
    }
}

/// Management operations refuse keys pending deletion.
pub fn check_not_pending_deletion(key: &KeyRecord) -> Res<()> {
    if key.state == KeyState::PendingDeletion { Err(pending_deletion(&key.arn())) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_have_kms_forms() {
        assert!(is_key_id("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(is_key_id("mrk-1234abcd12ab34cd56ef1234567890ab"));
        assert!(!is_key_id("1234abcd-12ab-34cd-56ef-1234567890a"));
        assert!(!is_key_id("mrk-xyz"));
        assert!(!is_key_id("foo"));
    }

    #[test]
    fn key_references_parse_every_form() {
        let ctx = RequestContext::for_tests("kms", "Encrypt");
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        let arn = format!("arn:aws:kms:eu-west-1:111122223333:key/{id}");
        assert_eq!(
            parse_key_ref(&ctx, &arn, false).unwrap(),
            KeyRef::Key { account: "111122223333".into(), region: "eu-west-1".into(), key_id: id.into() }
        );
        assert_eq!(
            parse_key_ref(&ctx, "alias/app", true).unwrap(),
            KeyRef::Alias { account: "000000000000".into(), region: "us-east-1".into(), name: "alias/app".into() }
        );
        assert_eq!(parse_key_ref(&ctx, "alias/app", false).unwrap_err().0.code, "NotFoundException");
        assert_eq!(parse_key_ref(&ctx, "nope", true).unwrap_err().0.message, "Invalid keyId 'nope'");
        assert_eq!(parse_key_ref(&ctx, "arn:aws:s3:::bucket", true).unwrap_err().0.code, "InvalidArnException");
    }
}
