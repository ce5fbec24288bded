//! AWS Key Management Service.
//!
//! Keys live in the [`Store`] (see [`records`] for the layout); their material is sealed with
//! the store's master key and never stored in plaintext. Cryptography is real (aws-lc):
//! symmetric keys encrypt with AES-256-GCM in Nimbus's own blob format ([`ciphertext`]), which
//! binds the encryption context as authenticated data; RSA keys encrypt with OAEP and sign with
//! PSS or PKCS#1 v1.5; ECC keys sign with ECDSA; HMAC keys make MACs. Public keys are DER
//! SubjectPublicKeyInfo, so any library can verify signatures and encrypt for RSA keys.
//!
//! Clock-driven work (scheduled deletions, automatic rotations, expiring imported material) is
//! done by [`Kms::sweep`] and, lazily, whenever a key it concerns is read, so its outcome never
//! depends on when the sweeper last ran. [`Kms`] is also the [`KeyManager`] other services
//! encrypt with.

mod access;
mod aliases;
mod ciphertext;
mod crypto;
mod due;
mod errors;
mod grants;
mod import;
mod input;
mod key_manager;
mod keys;
mod lookup;
mod material;
mod policies;
mod records;
mod rotation;
mod signing;
mod spec;
mod tags;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use nimbus_core::{Access, Clock, Document, RequestContext, ResourcePolicy, Service, ServiceError};
use nimbus_store::{Store, Txn};
use serde_json::Value;

use crate::errors::{Fail, Res};
use crate::input::Input;
use crate::material::Loaded;

pub use crate::due::SweepReport;

const OPERATIONS: &[&str] = &[
    "CancelKeyDeletion",
    "CreateAlias",
    "CreateGrant",
    "CreateKey",
    "Decrypt",
    "DeleteAlias",
    "DeleteImportedKeyMaterial",
    "DeriveSharedSecret",
    "DescribeKey",
    "DisableKey",
    "DisableKeyRotation",
    "EnableKey",
    "EnableKeyRotation",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "GetParametersForImport",
    "GetPublicKey",
    "ImportKeyMaterial",
    "ListAliases",
    "ListGrants",
    "ListKeyPolicies",
    "ListKeyRotations",
    "ListKeys",
    "ListResourceTags",
    "ListRetirableGrants",
    "PutKeyPolicy",
    "ReEncrypt",
    "ReplicateKey",
    "RetireGrant",
    "RevokeGrant",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "Sign",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateKeyDescription",
    "Verify",
    "VerifyMac",
];

/// Operations that only read and are cheap: they run on the request's thread. Everything else
/// (writes, key generation, RSA signing) runs on a blocking thread, so concurrent writes share
/// one commit and slow key generation never stalls the async workers.
const INLINE: &[&str] = &[
    "Decrypt",
    "DescribeKey",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "GetPublicKey",
    "ListAliases",
    "ListGrants",
    "ListKeyPolicies",
    "ListKeyRotations",
    "ListKeys",
    "ListResourceTags",
    "ListRetirableGrants",
    "ReEncrypt",
    "VerifyMac",
];

/// Loaded key material kept at most; the cache is emptied when it grows past this.
const MATERIAL_CACHE_LIMIT: usize = 4096;

/// AWS Key Management Service.
#[derive(Clone)]
pub struct Kms {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    store: Store,
    clock: Clock,
    /// Parsed key material by its sealing identity. Material versions never change once
    /// written, so an entry is never stale; the key record is still read first on every use,
    /// so a deleted or disabled key is never used from here.
    materials: RwLock<HashMap<String, Arc<Loaded>>>,
}

impl Kms {
    pub fn new(store: Store, clock: Clock) -> Kms {
        Kms { inner: Arc::new(Inner { store, clock, materials: RwLock::new(HashMap::new()) }) }
    }

    /// Clock-driven upkeep: deletes keys whose waiting period has ended, rotates keys whose
    /// rotation date has come, deletes imported material that expired. Idempotent.
    pub fn sweep(&self) -> SweepReport {
        self.inner.sweep()
    }
}

impl Inner {
    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    fn transaction<T>(&self, f: impl FnOnce(&mut Txn) -> Res<T>) -> Res<T> {
        self.store.transaction(f)
    }

    fn dispatch(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Res<Value> {
        let input = Input(input);
        match operation {
            "CreateKey" => self.create_key(ctx, &input),
            "DescribeKey" => self.describe_key(ctx, &input),
            "ListKeys" => self.list_keys(ctx, &input),
            "EnableKey" => self.enable_key(ctx, &input),
            "DisableKey" => self.disable_key(ctx, &input),
            "UpdateKeyDescription" => self.update_key_description(ctx, &input),
            "ScheduleKeyDeletion" => self.schedule_key_deletion(ctx, &input),
            "CancelKeyDeletion" => self.cancel_key_deletion(ctx, &input),
            "ReplicateKey" => self.replicate_key(ctx, &input),
            "Encrypt" => self.encrypt(ctx, &input),
            "Decrypt" => self.decrypt(ctx, &input),
            "ReEncrypt" => self.re_encrypt(ctx, &input),
            "GenerateDataKey" => self.generate_data_key(ctx, &input, true),
            "GenerateDataKeyWithoutPlaintext" => self.generate_data_key(ctx, &input, false),
            "GenerateDataKeyPair" => self.generate_data_key_pair(ctx, &input, true),
            "GenerateDataKeyPairWithoutPlaintext" => self.generate_data_key_pair(ctx, &input, false),
            "GenerateRandom" => self.generate_random(&input),
            "Sign" => self.sign(ctx, &input),
            "Verify" => self.verify(ctx, &input),
            "GetPublicKey" => self.get_public_key(ctx, &input),
            "GenerateMac" => self.generate_mac(ctx, &input),
            "VerifyMac" => self.verify_mac(ctx, &input),
            "DeriveSharedSecret" => self.derive_shared_secret(ctx, &input),
            "CreateAlias" => self.create_alias(ctx, &input),
            "UpdateAlias" => self.update_alias(ctx, &input),
            "DeleteAlias" => self.delete_alias(ctx, &input),
            "ListAliases" => self.list_aliases(ctx, &input),
            "GetKeyPolicy" => self.get_key_policy(ctx, &input),
            "PutKeyPolicy" => self.put_key_policy(ctx, &input),
            "ListKeyPolicies" => self.list_key_policies(ctx, &input),
            "CreateGrant" => self.create_grant(ctx, &input),
            "ListGrants" => self.list_grants(ctx, &input),
            "ListRetirableGrants" => self.list_retirable_grants(ctx, &input),
            "RetireGrant" => self.retire_grant(ctx, &input),
            "RevokeGrant" => self.revoke_grant(ctx, &input),
            "EnableKeyRotation" => self.enable_key_rotation(ctx, &input),
            "DisableKeyRotation" => self.disable_key_rotation(ctx, &input),
            "GetKeyRotationStatus" => self.get_key_rotation_status(ctx, &input),
            "RotateKeyOnDemand" => self.rotate_key_on_demand(ctx, &input),
            "ListKeyRotations" => self.list_key_rotations(ctx, &input),
            "TagResource" => self.tag_resource(ctx, &input),
            "UntagResource" => self.untag_resource(ctx, &input),
            "ListResourceTags" => self.list_resource_tags(ctx, &input),
            "GetParametersForImport" => self.get_parameters_for_import(ctx, &input),
            "ImportKeyMaterial" => self.import_key_material(ctx, &input),
            "DeleteImportedKeyMaterial" => self.delete_imported_key_material(ctx, &input),
            other => Err(Fail(ServiceError::not_implemented("kms", other))),
        }
    }
}

#[async_trait::async_trait]
impl Service for Kms {
    fn model_name(&self) -> &'static str {
        "kms"
    }

    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        if INLINE.contains(&operation) {
            return self.inner.dispatch(ctx, operation, &input).map_err(ServiceError::from);
        }
        let inner = self.inner.clone();
        let ctx = ctx.clone();
        let operation = operation.to_owned();
        tokio::task::spawn_blocking(move || inner.dispatch(&ctx, &operation, &input).map_err(ServiceError::from))
            .await
            .map_err(|e| ServiceError::internal(format!("KMS task failed: {e}")))?
    }

    fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        self.inner.access(ctx, operation, input)
    }

    fn resource_policy(&self, ctx: &RequestContext, resource_arn: &str) -> Option<ResourcePolicy> {
        self.inner.resource_policy(ctx, resource_arn)
    }
}
