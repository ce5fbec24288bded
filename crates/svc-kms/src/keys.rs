//! Key lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! UpdateKeyDescription, ScheduleKeyDeletion, CancelKeyDeletion, ReplicateKey; AWS managed keys
//! created on first use; the KeyMetadata structure.

use nimbus_core::RequestContext;
use nimbus_store::Txn;
use serde_json::{Value, json};

use crate::due::put_key;
use crate::errors::{
    Res, already_exists, aws_managed, custom_key_store_not_found, invalid_state, not_pending_deletion, pending_deletion,
    pending_import, unsupported, validation,
};
use crate::input::{Input, Out, page, with_page};
use crate::lookup::check_not_pending_deletion;
use crate::material::{generate, random_bytes};
use crate::policies::{aws_managed_policy, default_policy, validate_policy};
use crate::records::{AliasRecord, AutoRotation, KeyRecord, KeyState, Material, MultiRegion, RotationType, key_arn, scope};
use crate::spec::{KeySpec, KeyUsage, Origin};
use crate::tags::parse_tags;
use crate::Inner;

const DAY_MS: i64 = 86_400_000;
/// AWS rotates AWS managed keys every year.
pub const AWS_MANAGED_ROTATION_DAYS: i64 = 365;

/// The values CustomerMasterKeySpec (deprecated) accepts.
const CUSTOMER_MASTER_KEY_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
];

/// The services whose AWS managed keys (`alias/aws/<service>`) Nimbus creates on first use,
/// with what AWS's description says they protect.
const AWS_MANAGED_SERVICES: &[(&str, &str)] = &[
    ("acm", "private certificate keys"),
    ("backup", "backups"),
    ("codecommit", "repositories"),
    ("dynamodb", "DynamoDB tables"),
    ("ebs", "EBS volumes"),
    ("elasticfilesystem", "EFS file systems"),
    ("es", "Elasticsearch domains"),
    ("glue", "Glue data"),
    ("kinesis", "Kinesis data"),
    ("kinesisvideo", "Kinesis Video Streams data"),
    ("lambda", "Lambda functions"),
    ("rds", "RDS databases"),
    ("redshift", "Redshift clusters"),
    ("s3", "S3 objects"),
    ("secretsmanager", "Secrets Manager data"),
    ("sns", "SNS messages"),
    ("sqs", "SQS messages"),
    ("ssm", "parameters"),
    ("xray", "X-Ray data"),
];

/// A new key id: a UUID, or `mrk-` and 32 hex digits for a multi-region key.
fn new_key_id(multi_region: bool) -> Res<String> {
    if multi_region { Ok(format!("mrk-{}", hex::encode(random_bytes(16)?))) } else { Ok(nimbus_core::ids::uuid()) }
}

/// A fresh `KeyMaterialId`.
pub fn new_material_id() -> Res<String> {
    Ok(hex::encode(random_bytes(32)?))
}

/// The encryption, signing and key agreement algorithms of the key, as DescribeKey and
/// GetPublicKey both list them: each list only when the key's spec and usage have some.
pub(crate) fn algorithm_lists(mut out: Out, key: &KeyRecord) -> Out {
    let encryption: Vec<&str> = key.spec.encryption_algorithms(key.usage).iter().map(|a| a.as_str()).collect();
    let signing: Vec<&str> = key.spec.signing_algorithms(key.usage).iter().map(|a| a.as_str()).collect();
    let agreement = key.spec.key_agreement_algorithms(key.usage);
    if !encryption.is_empty() {
        out = out.set("EncryptionAlgorithms", encryption);
    }
    if !signing.is_empty() {
        out = out.set("SigningAlgorithms", signing);
    }
    if !agreement.is_empty() {
        out = out.set("KeyAgreementAlgorithms", agreement.to_vec());
    }
    out
}

impl Inner {
    pub(crate) fn create_key(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key_spec = input.enum_of("KeySpec", KeySpec::parse, KeySpec::ALL)?;
        let cmk_spec = input.enum_of("CustomerMasterKeySpec", KeySpec::parse, CUSTOMER_MASTER_KEY_SPECS)?;
        if key_spec.is_some() && cmk_spec.is_some() {
            return Err(validation(
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.",
            ));
        }
        let spec = key_spec.or(cmk_spec).unwrap_or(KeySpec::SymmetricDefault);
        let usage = input.enum_of("KeyUsage", KeyUsage::parse, KeyUsage::ALL)?.unwrap_or(KeyUsage::EncryptDecrypt);
        if !spec.usages().contains(&usage) {
            return Err(validation(format!("KeyUsage {} is not compatible with KeySpec {}", usage.as_str(), spec.as_str())));
        }
        if spec.family().is_none() {
            return Err(unsupported(format!("KeySpec {} is not supported in this Region.", spec.as_str())));
        }
        let origin = input.enum_of("Origin", Origin::parse, Origin::ALL)?.unwrap_or(Origin::AwsKms);
        if input.has("CustomKeyStoreId") {
            return Err(custom_key_store_not_found());
        }
        match origin {
            Origin::AwsKms | Origin::External => {}
            Origin::AwsCloudhsm | Origin::ExternalKeyStore => {
                return Err(validation(format!("A CustomKeyStoreId is required when Origin is {}.", origin.as_str())));
            }
        }
        if input.has("XksKeyId") {
            return Err(validation("XksKeyId is valid only with Origin EXTERNAL_KEY_STORE."));
        }
        let multi_region = input.bool("MultiRegion");
        let tags = parse_tags(input, &[])?;
        let policy = match input.str("Policy") {
            Some(text) => validate_policy(ctx, text, input.bool("BypassPolicyLockoutSafetyCheck"))?,
            None => default_policy(&ctx.account_id),
        };
        let now = self.now();
        let key_id = new_key_id(multi_region)?;
        let mut key = KeyRecord {
            key_id,
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            created_ms: now,
            description: input.str("Description").unwrap_or_default().to_owned(),
            usage,
            spec,
            origin,
            aws_service: None,
            state: if origin == Origin::External { KeyState::PendingImport } else { KeyState::Enabled },
            deletion: None,
            policy,
            tags,
            materials: Vec::new(),
            current: 0,
            rotation: None,
            multi_region: multi_region.then(|| MultiRegion { primary_region: ctx.region.clone(), replica_regions: Vec::new() }),
            imported_expiry: None,
        };
        if origin == Origin::AwsKms {
            self.add_material(&mut key, now, None)?;
        }
        self.transaction(|t| {
            if !t.insert(&scope(&key.account, &key.region), &key.key_id, &key)? {
                return Err(crate::errors::internal("key id collision"));
            }
            put_key(t, None, &key)
        })?;
        Ok(json!({ "KeyMetadata": self.key_metadata(&key)? }))
    }

    /// Generates a new material version for `key` (created at `at`) and makes it current.
    pub(crate) fn add_material(&self, key: &mut KeyRecord, at: i64, rotation: Option<RotationType>) -> Res<()> {
        let plain = generate(key.spec)?;
        let id = new_material_id()?;
        let sealed = self.seal_material(&key.account, &key.key_id, &id, &plain)?;
        key.materials.push(Material { id, sealed: Some(sealed), created_ms: at, rotation, imported: false, description: None });
        key.current = key.materials.len() - 1;
        Ok(())
    }

    /// Copies a multi-region primary's material versions to its replicas.
    pub(crate) fn sync_replicas(&self, t: &mut Txn, primary: &KeyRecord) -> Res<()> {
        let Some(family) = &primary.multi_region else { return Ok(()) };
        if family.primary_region != primary.region {
            return Ok(());
        }
        for region in &family.replica_regions {
            let replica_scope = scope(&primary.account, region);
            if let Some(old) = t.get::<KeyRecord>(&replica_scope, &primary.key_id)? {
                let mut replica = old.clone();
                replica.materials = primary.materials.clone();
                replica.current = primary.current;
                put_key(t, Some(&old), &replica)?;
            }
        }
        Ok(())
    }

    /// The AWS managed key `alias/aws/<service>` names, created with its alias on first use.
    pub(crate) fn aws_managed_key(&self, account: &str, region: &str, alias_name: &str) -> Res<Option<KeyRecord>> {
        let Some(service) = alias_name.strip_prefix("alias/aws/") else { return Ok(None) };
        let Some((_, protects)) = AWS_MANAGED_SERVICES.iter().find(|(s, _)| *s == service) else { return Ok(None) };
        let now = self.now();
        let mut key = KeyRecord {
            key_id: nimbus_core::ids::uuid(),
            account: account.to_owned(),
            region: region.to_owned(),
            created_ms: now,
            description: format!("Default key that protects my {protects} when no other key is defined"),
            usage: KeyUsage::EncryptDecrypt,
            spec: KeySpec::SymmetricDefault,
            origin: Origin::AwsKms,
            aws_service: Some(service.to_owned()),
            state: KeyState::Enabled,
            deletion: None,
            policy: aws_managed_policy(account, region, service),
            tags: Vec::new(),
            materials: Vec::new(),
            current: 0,
            rotation: Some(AutoRotation { period_days: AWS_MANAGED_ROTATION_DAYS, next_ms: now + AWS_MANAGED_ROTATION_DAYS * DAY_MS }),
            multi_region: None,
            imported_expiry: None,
        };
        self.add_material(&mut key, now, None)?;
        let key_scope = scope(account, region);
        let created = self.transaction(|t| {
            // Another request may have created it meanwhile: the alias decides.
            if let Some(alias) = t.get::<AliasRecord>(&key_scope, alias_name)? {
                return Ok(t.get::<KeyRecord>(&key_scope, &alias.target_key_id)?);
            }
            t.put(&key_scope, &key.key_id, &key)?;
            put_key(t, None, &key)?;
            let alias = AliasRecord { name: alias_name.to_owned(), target_key_id: key.key_id.clone(), created_ms: now, updated_ms: now };
            t.put(&key_scope, alias_name, &alias)?;
            Ok(Some(key.clone()))
        })?;
        Ok(created)
    }

    /// The `KeyMetadata` structure, with every member AWS returns for the key.
    pub(crate) fn key_metadata(&self, key: &KeyRecord) -> Res<Value> {
        let spec = key.spec;
        let macs: Vec<&str> = spec.mac_algorithms().iter().map(|a| a.as_str()).collect();
        let mut out = Out::new()
            .set("AWSAccountId", key.account.clone())
            .set("KeyId", key.key_id.clone())
            .set("Arn", key.arn())
            .time("CreationDate", key.created_ms)
            .set("Enabled", key.enabled())
            .set("Description", key.description.clone())
            .set("KeyUsage", key.usage.as_str())
            .set("KeyState", key.state.as_str());
        if key.state == KeyState::PendingDeletion
            && let Some(deletion) = &key.deletion
        {
            out = out.time("DeletionDate", deletion.due_ms);
        }
        if let Some(expiry) = &key.imported_expiry
            && let Some(valid_to) = expiry.valid_to_ms.filter(|_| expiry.expires)
        {
            out = out.time("ValidTo", valid_to);
        }
        out = out.set("Origin", key.origin.as_str());
        if key.origin == Origin::External
            && let Some(expiry) = &key.imported_expiry
        {
            let model = if expiry.expires { "KEY_MATERIAL_EXPIRES" } else { "KEY_MATERIAL_DOES_NOT_EXPIRE" };
            out = out.set("ExpirationModel", model);
        }
        out = out
            .set("KeyManager", if key.is_aws_managed() { "AWS" } else { "CUSTOMER" })
            .opt("CustomerMasterKeySpec", spec.customer_master_key_spec())
            .set("KeySpec", spec.as_str());
        out = algorithm_lists(out, key);
        if !macs.is_empty() {
            out = out.set("MacAlgorithms", macs);
        }
        out = out.set("MultiRegion", key.multi_region.is_some());
        if let Some(config) = self.multi_region_configuration(key)? {
            out = out.set("MultiRegionConfiguration", config);
        }
        if spec.is_symmetric()
            && let Some(material) = key.current_material().filter(|m| m.sealed.is_some())
        {
            out = out.set("CurrentKeyMaterialId", material.id.clone());
        }
        Ok(out.done())
    }

    fn multi_region_configuration(&self, key: &KeyRecord) -> Res<Option<Value>> {
        let Some(family) = &key.multi_region else { return Ok(None) };
        let is_primary = family.primary_region == key.region;
        let replica_regions = if is_primary {
            family.replica_regions.clone()
        } else {
            self.store
                .get::<KeyRecord>(&scope(&key.account, &family.primary_region), &key.key_id)?
                .and_then(|primary| primary.multi_region)
                .map(|f| f.replica_regions)
                .unwrap_or_default()
        };
        let entry = |region: &str| json!({ "Arn": key_arn(region, &key.account, &key.key_id), "Region": region });
        Ok(Some(json!({
            "MultiRegionKeyType": if is_primary { "PRIMARY" } else { "REPLICA" },
            "PrimaryKey": entry(&family.primary_region),
            "ReplicaKeys": replica_regions.iter().map(|r| entry(r)).collect::<Vec<_>>(),
        })))
    }

    pub(crate) fn describe_key(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, true)?;
        Ok(json!({ "KeyMetadata": self.key_metadata(&key)? }))
    }

    pub(crate) fn list_keys(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let limit = input.limit(100);
        let after = input.marker()?;
        let key_scope = scope(&ctx.account_id, &ctx.region);
        let mut listed = Vec::new();
        let mut cursor = after;
        // Keys whose deletion came due are deleted as they are met, so read until the page fills.
        while listed.len() <= limit {
            let batch = self.store.list::<KeyRecord>(&key_scope, "", cursor.as_deref(), limit + 1)?;
            let Some((last, _)) = batch.last() else { break };
            cursor = Some(last.clone());
            let short = batch.len() <= limit;
            for (id, key) in batch {
                let live = if self.has_due_work(&key, self.now()) { self.settle(&key.account, &key.region, &id)? } else { Some(key) };
                if let Some(key) = live {
                    listed.push((id, key));
                }
            }
            if short {
                break;
            }
        }
        let (items, next) = page(listed, limit);
        let keys: Vec<Value> = items.iter().map(|(id, k)| json!({ "KeyId": id, "KeyArn": k.arn() })).collect();
        Ok(with_page(Out::new().set("Keys", keys), next).done())
    }

    /// Loads a key for a change, refusing AWS managed keys (`action` names the IAM action
    /// AWS's key policy for them does not allow).
    pub(crate) fn customer_key(&self, ctx: &RequestContext, input: &Input, action: &str) -> Res<KeyRecord> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, false)?;
        if key.is_aws_managed() {
            return Err(aws_managed(ctx, action, &key.arn()));
        }
        Ok(key)
    }

    /// Re-reads `key` in a transaction, applies `change` and writes it with its due entries.
    pub(crate) fn update_key(&self, key: &KeyRecord, change: impl FnOnce(&mut KeyRecord) -> Res<()>) -> Res<KeyRecord> {
        self.transaction(|t| {
            let old = t
                .get::<KeyRecord>(&scope(&key.account, &key.region), &key.key_id)?
                .ok_or_else(|| crate::errors::key_not_found(&key.arn()))?;
            let mut new = old.clone();
            change(&mut new)?;
            put_key(t, Some(&old), &new)?;
            Ok(new)
        })
    }

    pub(crate) fn enable_key(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        self.switch_key(ctx, input, "EnableKey", KeyState::Enabled)
    }

    pub(crate) fn disable_key(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        self.switch_key(ctx, input, "DisableKey", KeyState::Disabled)
    }

    /// EnableKey and DisableKey: only an enabled or disabled key switches between the two.
    fn switch_key(&self, ctx: &RequestContext, input: &Input, operation: &str, to: KeyState) -> Res<Value> {
        let key = self.customer_key(ctx, input, operation)?;
        self.update_key(&key, |k| match k.state {
            KeyState::PendingDeletion => Err(pending_deletion(&k.arn())),
            KeyState::PendingImport => Err(pending_import(&k.arn())),
            KeyState::Enabled | KeyState::Disabled => {
                k.state = to;
                Ok(())
            }
        })?;
        Ok(json!({}))
    }

    pub(crate) fn update_key_description(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.customer_key(ctx, input, "UpdateKeyDescription")?;
        let description = input.required_str("Description")?.to_owned();
        self.update_key(&key, |k| {
            check_not_pending_deletion(k)?;
            k.description = description;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn schedule_key_deletion(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let days = input.int("PendingWindowInDays").unwrap_or(30);
        if !(7..=30).contains(&days) {
            let bound = if days < 7 { "greater than or equal to 7" } else { "less than or equal to 30" };
            return Err(validation(format!(
                "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value {bound}"
            )));
        }
        let key = self.customer_key(ctx, input, "ScheduleKeyDeletion")?;
        if let Some(family) = &key.multi_region
            && family.primary_region == key.region
            && !family.replica_regions.is_empty()
        {
            return Err(invalid_state(format!(
                "{} is a multi-Region primary key with replica keys. Delete its replica keys first.",
                key.arn()
            )));
        }
        let due_ms = self.now() + days * DAY_MS;
        let key = self.update_key(&key, |k| {
            check_not_pending_deletion(k)?;
            k.state = KeyState::PendingDeletion;
            k.deletion = Some(crate::records::Deletion { due_ms, window_days: days });
            Ok(())
        })?;
        if let Some(family) = &key.multi_region
            && family.primary_region != key.region
        {
            self.forget_replica(&key)?;
        }
        Ok(Out::new()
            .set("KeyId", key.arn())
            .time("DeletionDate", due_ms)
            .set("KeyState", KeyState::PendingDeletion.as_str())
            .set("PendingWindowInDays", days)
            .done())
    }

    /// A replica scheduled for deletion leaves its primary's family, as on AWS.
    fn forget_replica(&self, replica: &KeyRecord) -> Res<()> {
        let Some(family) = &replica.multi_region else { return Ok(()) };
        self.transaction(|t| {
            let primary_scope = scope(&replica.account, &family.primary_region);
            if let Some(old) = t.get::<KeyRecord>(&primary_scope, &replica.key_id)? {
                let mut primary = old.clone();
                if let Some(f) = primary.multi_region.as_mut() {
                    f.replica_regions.retain(|r| r != &replica.region);
                }
                put_key(t, Some(&old), &primary)?;
            }
            Ok(())
        })
    }

    pub(crate) fn cancel_key_deletion(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.customer_key(ctx, input, "CancelKeyDeletion")?;
        let key = self.update_key(&key, |k| {
            if k.state != KeyState::PendingDeletion {
                return Err(not_pending_deletion(&k.arn()));
            }
            let has_material = k.current_material().is_some_and(|m| m.sealed.is_some());
            k.state = if has_material { KeyState::Disabled } else { KeyState::PendingImport };
            k.deletion = None;
            Ok(())
        })?;
        Ok(json!({ "KeyId": key.arn() }))
    }

    pub(crate) fn replicate_key(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.customer_key(ctx, input, "ReplicateKey")?;
        let replica_region = input.required_str("ReplicaRegion")?.to_owned();
        let Some(family) = key.multi_region.clone() else {
            return Err(unsupported(format!("{} is not a multi-Region key.", key.arn())));
        };
        if family.primary_region != key.region {
            return Err(unsupported(format!("{} is not a multi-Region primary key.", key.arn())));
        }
        check_not_pending_deletion(&key)?;
        if replica_region == key.region || family.replica_regions.contains(&replica_region) {
            return Err(already_exists(format!(
                "{} already exists",
                key_arn(&replica_region, &key.account, &key.key_id)
            )));
        }
        let policy = match input.str("Policy") {
            Some(text) => validate_policy(ctx, text, input.bool("BypassPolicyLockoutSafetyCheck"))?,
            None => default_policy(&ctx.account_id),
        };
        let tags = parse_tags(input, &[])?;
        let now = self.now();
        let imported = key.origin == Origin::External;
        let replica = KeyRecord {
            region: replica_region.clone(),
            created_ms: now,
            description: input.str("Description").map_or_else(|| key.description.clone(), str::to_owned),
            state: if imported { KeyState::PendingImport } else { KeyState::Enabled },
            deletion: None,
            policy,
            tags,
            materials: if imported { Vec::new() } else { key.materials.clone() },
            rotation: None,
            multi_region: Some(MultiRegion { primary_region: key.region.clone(), replica_regions: Vec::new() }),
            imported_expiry: None,
            ..key.clone()
        };
        self.transaction(|t| {
            put_key(t, None, &replica)?;
            let old = t.get::<KeyRecord>(&scope(&key.account, &key.region), &key.key_id)?.ok_or_else(|| crate::errors::key_not_found(&key.arn()))?;
            let mut primary = old.clone();
            if let Some(f) = primary.multi_region.as_mut() {
                f.replica_regions.push(replica_region.clone());
            }
            put_key(t, Some(&old), &primary)
        })?;
        let tags: Vec<Value> = replica.tags.iter().map(|(k, v)| json!({ "TagKey": k, "TagValue": v })).collect();
        Ok(json!({
            "ReplicaKeyMetadata": self.key_metadata(&replica)?,
            "ReplicaPolicy": replica.policy,
            "ReplicaTags": tags,
        }))
    }
}
