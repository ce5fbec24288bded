//! What strict mode authorizes for each KMS call: the `kms:<Op>` action on the key ARN(s) the
//! call names (aliases resolved to their key), with KMS's condition keys, and the key policy as
//! the resource policy (which must allow by itself, as on AWS).

use std::collections::BTreeMap;

use nimbus_core::service::tag_list;
use nimbus_core::{Access, Document, RequestContext, ResourcePolicy};

use crate::ciphertext;
use crate::input::Input;
use crate::lookup::{KeyRef, parse_key_ref};
use crate::records::{AliasRecord, KeyRecord, alias_arn, key_arn, scope};
use crate::Inner;

/// Operations that name no key.
const ACCOUNT_WIDE: &[&str] = &[
    "CreateKey",
    "GenerateRandom",
    "ListKeys",
    "ListAliases",
    "ListRetirableGrants",
    "ConnectCustomKeyStore",
    "CreateCustomKeyStore",
    "DeleteCustomKeyStore",
    "DescribeCustomKeyStores",
    "DisconnectCustomKeyStore",
    "UpdateCustomKeyStore",
];

/// Operations taking an encryption context, and the member that holds it.
fn context_member(operation: &str) -> Option<&'static str> {
    match operation {
        "Encrypt" | "Decrypt" | "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" | "GenerateDataKeyPair"
        | "GenerateDataKeyPairWithoutPlaintext" => Some("EncryptionContext"),
        _ => None,
    }
}

fn with_context(mut access: Access, context: &BTreeMap<String, String>) -> Access {
    for (k, v) in context {
        access = access.with(format!("kms:EncryptionContext:{k}"), vec![v.clone()]);
    }
    if !context.is_empty() {
        access = access.with("kms:EncryptionContextKeys", context.keys().cloned().collect());
    }
    access
}



impl Inner {
    /// The key a `KeyId`-like member names, as an ARN (an alias resolved to its key), and the
    /// key itself when it exists. A key that cannot be found is still named by its ARN (or the
    /// alias's), so the caller's identity policies decide; a member that is no key id is `*`.
    fn key_resource(&self, ctx: &RequestContext, id: Option<&str>) -> (String, Option<KeyRecord>) {
        let Some(id) = id else { return ("*".to_owned(), None) };
        let Ok(reference) = parse_key_ref(ctx, id, true) else { return ("*".to_owned(), None) };
        let (account, region, key_id) = match &reference {
            KeyRef::Key { account, region, key_id } => (account.clone(), region.clone(), key_id.clone()),
            KeyRef::Alias { account, region, name } => match self.store.get::<AliasRecord>(&scope(account, region), name) {
                Ok(Some(alias)) => (account.clone(), region.clone(), alias.target_key_id),
                _ => return (alias_arn(region, account, name), None),
            },
        };
        let key = self.store.get::<KeyRecord>(&scope(&account, &region), &key_id).ok().flatten();
        (key_arn(&region, &account, &key_id), key)
    }

    /// The key of a ciphertext blob (Decrypt and ReEncrypt without a key id).
    fn blob_resource(&self, ctx: &RequestContext, input: &Input) -> (String, Option<KeyRecord>) {
        let Some(blob) = input.blob("CiphertextBlob") else { return ("*".to_owned(), None) };
        let Some((header, _, _)) = ciphertext::parse(&blob) else { return ("*".to_owned(), None) };
        let key = self.store.get::<KeyRecord>(&scope(&header.account, &ctx.region), &header.key_id).ok().flatten();
        (key_arn(&ctx.region, &header.account, &header.key_id), key)
    }

    /// The condition keys describing a key (`aws:ResourceTag/*`, `kms:KeySpec`, ...).
    fn with_key(mut access: Access, key: Option<&KeyRecord>) -> Access {
        let Some(key) = key else { return access };
        for (k, v) in &key.tags {
            access = access.with(format!("aws:ResourceTag/{k}"), vec![v.clone()]);
        }
        access
            .with("kms:KeySpec", vec![key.spec.as_str().to_owned()])
            .with("kms:KeyUsage", vec![key.usage.as_str().to_owned()])
            .with("kms:KeyOrigin", vec![key.origin.as_str().to_owned()])
            .with("kms:MultiRegion", vec![key.multi_region.is_some().to_string()])
    }

    pub(crate) fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        let input = Input(input);
        let action = format!("kms:{operation}");
        let caller = |a: Access| a.with("kms:CallerAccount", vec![ctx.account_id.clone()]);
        if ACCOUNT_WIDE.contains(&operation) {
            let mut access = caller(Access::new(action, vec!["*".to_owned()]));
            if operation == "CreateKey" {
                access = access.with_request_tags(tag_list(input.0, "Tags", "TagKey", "TagValue"));
                access = access.with_some("kms:KeySpec", input.str("KeySpec"));
                access = access.with_some("kms:KeyUsage", input.str("KeyUsage"));
                access = access.with_some("kms:KeyOrigin", input.str("Origin"));
                access = access.with("kms:MultiRegion", vec![input.bool("MultiRegion").to_string()]);
            }
            return vec![access];
        }
        match operation {
            "CreateAlias" | "DeleteAlias" | "UpdateAlias" => {
                let name = input.str("AliasName").unwrap_or_default();
                let alias = alias_arn(&ctx.region, &ctx.account_id, name);
                let mut resources = vec![alias];
                let current = self.store.get::<AliasRecord>(&scope(&ctx.account_id, &ctx.region), name).ok().flatten();
                if let Some(current) = current {
                    resources.push(key_arn(&ctx.region, &ctx.account_id, &current.target_key_id));
                }
                if let Some(target) = input.str("TargetKeyId") {
                    let (arn, _) = self.key_resource(ctx, Some(target));
                    if !resources.contains(&arn) {
                        resources.push(arn);
                    }
                }
                vec![caller(Access::new(action, resources))]
            }
            "ReEncrypt" => {
                let (from, from_key) = match input.str("SourceKeyId") {
                    Some(id) => self.key_resource(ctx, Some(id)),
                    None => self.blob_resource(ctx, &input),
                };
                let (to, to_key) = self.key_resource(ctx, input.str("DestinationKeyId"));
                let same = from == to;
                let source = with_context(caller(Access::new("kms:ReEncryptFrom", vec![from])), &input.context("SourceEncryptionContext"));
                let destination = with_context(caller(Access::new("kms:ReEncryptTo", vec![to])), &input.context("DestinationEncryptionContext"));
                let on_same = vec![same.to_string()];
                vec![
                    Self::with_key(source.with("kms:ReEncryptOnSameKey", on_same.clone()), from_key.as_ref()),
                    Self::with_key(destination.with("kms:ReEncryptOnSameKey", on_same), to_key.as_ref()),
                ]
            }
            _ => {
                let (arn, key) = match (operation, input.str("KeyId")) {
                    ("Decrypt", None) => self.blob_resource(ctx, &input),
                    ("RetireGrant", None) => match input.str("GrantToken").and_then(crate::grants::parse_grant_token) {
                        Some((account, region, key_id, _)) => {
                            let key = self.store.get::<KeyRecord>(&scope(&account, &region), &key_id).ok().flatten();
                            (key_arn(&region, &account, &key_id), key)
                        }
                        None => ("*".to_owned(), None),
                    },
                    (_, id) => self.key_resource(ctx, id),
                };
                let mut access = caller(Access::new(action, vec![arn]));
                if let Some(member) = context_member(operation) {
                    access = with_context(access, &input.context(member));
                }
                if input.str("KeyId").is_some_and(|id| id.starts_with("alias/") || id.contains(":alias/")) {
                    let alias = input.str("KeyId").unwrap_or_default();
                    let name = alias.rsplit_once(':').map_or(alias, |(_, n)| n);
                    access = access.with("kms:RequestAlias", vec![name.to_owned()]);
                }
                access = access.with_some("kms:EncryptionAlgorithm", input.str("EncryptionAlgorithm"));
                access = access.with_some("kms:SigningAlgorithm", input.str("SigningAlgorithm"));
                access = access.with_some("kms:MessageType", input.str("MessageType"));
                access = access.with_some("kms:MacAlgorithm", input.str("MacAlgorithm"));
                access = access.with_some("kms:DataKeyPairSpec", input.str("KeyPairSpec"));
                access = access.with_some("kms:KeyAgreementAlgorithm", input.str("KeyAgreementAlgorithm"));
                access = access.with_some("kms:WrappingAlgorithm", input.str("WrappingAlgorithm"));
                access = access.with_some("kms:WrappingKeySpec", input.str("WrappingKeySpec"));
                access = access.with_some("kms:ExpirationModel", input.str("ExpirationModel"));
                access = access.with_some("kms:ReplicaRegion", input.str("ReplicaRegion"));
                if let Some(days) = input.int("RotationPeriodInDays") {
                    access = access.with("kms:RotationPeriodInDays", vec![days.to_string()]);
                }
                if let Some(days) = input.int("PendingWindowInDays") {
                    access = access.with("kms:ScheduleKeyDeletionPendingWindowInDays", vec![days.to_string()]);
                }
                if operation == "CreateGrant" {
                    access = access.with("kms:GrantOperations", input.strings("Operations"));
                    access = access.with_some("kms:GranteePrincipal", input.str("GranteePrincipal"));
                    access = access.with_some("kms:RetiringPrincipal", input.str("RetiringPrincipal"));
                    if let Some(constraints) = input.0.get("Constraints").and_then(Document::as_object) {
                        access = access.with("kms:GrantConstraintType", constraints.keys().cloned().collect());
                    }
                }
                if matches!(operation, "TagResource" | "CreateKey" | "ReplicateKey") {
                    access = access.with_request_tags(tag_list(input.0, "Tags", "TagKey", "TagValue"));
                }
                if operation == "UntagResource" {
                    access = access.with("aws:TagKeys", input.strings("TagKeys"));
                }
                let mut accesses = vec![Self::with_key(access, key.as_ref())];
                if operation == "ReplicateKey" {
                    accesses.push(caller(Access::new("kms:CreateKey", vec!["*".to_owned()])));
                }
                accesses
            }
        }
    }

    pub(crate) fn resource_policy(&self, ctx: &RequestContext, resource_arn: &str) -> Option<ResourcePolicy> {
        let KeyRef::Key { account, region, key_id } = parse_key_ref(ctx, resource_arn, false).ok()? else { return None };
        if !resource_arn.starts_with("arn:") {
            return None;
        }
        let key = self.store.get::<KeyRecord>(&scope(&account, &region), &key_id).ok().flatten()?;
        Some(ResourcePolicy { document: key.policy, owner_account: key.account })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_become_condition_keys() {
        let context: BTreeMap<String, String> = [("app".to_owned(), "web".to_owned())].into();
        let access = with_context(Access::new("kms:Encrypt", vec!["*".into()]), &context);
        assert!(access.context.contains(&("kms:EncryptionContext:app".to_owned(), vec!["web".to_owned()])));
        assert!(access.context.contains(&("kms:EncryptionContextKeys".to_owned(), vec!["app".to_owned()])));
    }
}
