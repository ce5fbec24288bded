//! Finding secrets, sealing values, and the staging-label rules every write shares.

use nimbus_core::{RequestContext, ServiceError};
use nimbus_store::Txn;

use crate::errors::{
    DAY_MS, Res, fail, invalid_name, invalid_parameter, is_valid_name, marked_for_deletion, not_found,
};
use crate::records::{SecretRecord, SecretValue, SecretValueRecord, VersionMeta, value_prefix};

pub const AWSCURRENT: &str = "AWSCURRENT";
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";
pub const AWSPENDING: &str = "AWSPENDING";

/// Secrets Manager removes unlabeled (deprecated) versions once a secret has more than this
/// many versions, but never versions younger than [`MIN_VERSION_AGE_MS`].
pub const MAX_RETAINED_VERSIONS: usize = 100;
pub const MIN_VERSION_AGE_MS: i64 = DAY_MS;

/// Staging labels one version may carry (the model's `SecretVersionStagesType` max).
pub const MAX_STAGES_PER_VERSION: usize = 20;

/// The store scope of a request: one account in one region.
pub fn scope_of(ctx: &RequestContext) -> String {
    format!("{}/{}", ctx.account_id, ctx.region)
}

/// Rejects SecretIds AWS rejects before looking anything up.
pub fn check_secret_id(secret_id: &str) -> Res<()> {
    if secret_id.starts_with("arn:") || is_valid_name(secret_id) { Ok(()) } else { fail(invalid_name()) }
}

/// Finds the secret `secret_id` names: a name, a full ARN, or a partial ARN (an ARN without the
/// six random characters). Secrets whose recovery window has ended are purged on the way and
/// reported as absent.
pub fn find(txn: &Txn, ctx: &RequestContext, scope: &str, secret_id: &str, now: i64) -> Res<Option<SecretRecord>> {
    check_secret_id(secret_id)?;
    match lookup_id(ctx, secret_id, |name| txn.get::<SecretRecord>(scope, name))? {
        Some(secret) if is_expired(&secret, now) => {
            purge(txn, scope, &secret)?;
            Ok(None)
        }
        other => Ok(other),
    }
}

/// The secret a (checked) SecretId names in the caller's account and region, found through
/// `get(name)`: within a transaction ([`find`]) or from a plain read (GetSecretValue's reads
/// that change nothing).
pub fn lookup_id<E>(
    ctx: &RequestContext,
    secret_id: &str,
    mut get: impl FnMut(&str) -> Result<Option<SecretRecord>, E>,
) -> Result<Option<SecretRecord>, E> {
    if !secret_id.starts_with("arn:") {
        return get(secret_id);
    }
    lookup_arn(secret_id, |account, region, name| {
        if region != ctx.region || account != ctx.account_id {
            return Ok(None);
        }
        get(name)
    })
}

/// The secret an ARN names, found through `get(account, region, name)`: a full ARN (the name, a
/// hyphen, six random characters) or a partial one (everything after `secret:` is the name).
/// `Ok(None)` when `arn` is no Secrets Manager secret ARN or names no stored secret. Shared by
/// the operations (within their transaction) and strict mode's `access` (a plain store read).
pub fn lookup_arn<E>(
    arn: &str,
    mut get: impl FnMut(&str, &str, &str) -> Result<Option<SecretRecord>, E>,
) -> Result<Option<SecretRecord>, E> {
    // arn:<partition>:secretsmanager:<region>:<account>:secret:<name>[-XXXXXX]
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let [_, _, service, region, account, resource_type, resource] = parts[..] else {
        return Ok(None);
    };
    if service != "secretsmanager" || resource_type != "secret" || resource.is_empty() {
        return Ok(None);
    }
    // A full ARN: the name, a hyphen, six characters.
    if let Some((name, suffix)) = resource.rsplit_once('-')
        && suffix.len() == 6
        && let Some(secret) = get(account, region, name)?
        && secret.arn == arn
    {
        return Ok(Some(secret));
    }
    // A partial ARN: everything after `secret:` is the name.
    get(account, region, resource)
}

pub fn is_expired(secret: &SecretRecord, now: i64) -> bool {
    secret.purge_at_ms.is_some_and(|at| now >= at)
}

/// Deletes a secret and every one of its values for good.
pub fn purge(txn: &Txn, scope: &str, secret: &SecretRecord) -> Res<()> {
    txn.delete::<SecretRecord>(scope, &secret.name)?;
    let values = txn.list::<SecretValueRecord>(scope, &value_prefix(&secret.uid), None, usize::MAX)?;
    for (key, _) in values {
        txn.delete::<SecretValueRecord>(scope, &key)?;
    }
    Ok(())
}

pub fn require(txn: &Txn, ctx: &RequestContext, scope: &str, secret_id: &str, now: i64) -> Res<SecretRecord> {
    find(txn, ctx, scope, secret_id, now)?.ok_or_else(|| not_found().into())
}

/// A secret that exists and is not scheduled for deletion.
pub fn require_live(txn: &Txn, ctx: &RequestContext, scope: &str, secret_id: &str, now: i64) -> Res<SecretRecord> {
    let secret = require(txn, ctx, scope, secret_id, now)?;
    if secret.is_deleted() {
        return fail(marked_for_deletion());
    }
    Ok(secret)
}

pub fn save(txn: &Txn, scope: &str, secret: &SecretRecord) -> Res<()> {
    txn.put(scope, &secret.name, secret)?;
    Ok(())
}

/// One version's stored (encrypted) value.
pub fn read_record(txn: &Txn, scope: &str, secret: &SecretRecord, version_id: &str) -> Res<SecretValueRecord> {
    Ok(txn
        .get::<SecretValueRecord>(scope, &secret.value_key(version_id))?
        .ok_or_else(|| ServiceError::internal(format!("value of version {version_id} is missing")))?)
}

/// The stored value of version `token`, if `secret` has such a version (the first step of
/// deciding whether a write is a retry).
pub fn existing_record(txn: &Txn, scope: &str, secret: &SecretRecord, token: &str) -> Res<Option<SecretValueRecord>> {
    match secret.version(token) {
        Some(_) => Ok(Some(read_record(txn, scope, secret, token)?)),
        None => Ok(None),
    }
}

/// The value of a request: SecretString xor SecretBinary (base64 in document form).
pub fn request_value(secret_string: Option<String>, secret_binary: Option<String>) -> Res<Option<SecretValue>> {
    match (secret_string, secret_binary) {
        (Some(_), Some(_)) => fail(invalid_parameter(
            "You can't specify both a binary secret value and a string secret value in the same secret.",
        )),
        (Some(s), None) => Ok(Some(SecretValue::String(s))),
        (None, Some(b)) => {
            let bytes = nimbus_core::document::parse_blob(&serde_json::Value::String(b))
                .ok_or_else(|| ServiceError::validation("SecretBinary is not valid base64"))?;
            Ok(Some(SecretValue::Binary(bytes)))
        }
        (None, None) => Ok(None),
    }
}

/// Adds a version to `secret` (not yet saved) and stores its encrypted value `sealed`, written
/// under `kms_key_id` (the secret's KmsKeyId when it was encrypted).
///
/// `stages`: `None` moves AWSCURRENT to the new version; `Some` attaches exactly those labels,
/// taking each from whichever version had it. The first version of a secret always gets
/// AWSCURRENT. Whenever AWSCURRENT moves, AWSPREVIOUS goes to the version it left.
#[allow(clippy::too_many_arguments)]
pub fn add_version(
    txn: &Txn,
    scope: &str,
    secret: &mut SecretRecord,
    version_id: &str,
    sealed: SecretValueRecord,
    kms_key_id: Option<String>,
    stages: Option<Vec<String>>,
    now: i64,
) -> Res<()> {
    let mut stages = stages.unwrap_or_else(|| vec![AWSCURRENT.to_owned()]);
    if secret.version_with_stage(AWSCURRENT).is_none() && !stages.iter().any(|s| s == AWSCURRENT) {
        stages.push(AWSCURRENT.to_owned());
    }
    let mut unique: Vec<String> = Vec::new();
    for stage in stages {
        if !unique.contains(&stage) {
            unique.push(stage);
        }
    }
    if unique.len() > MAX_STAGES_PER_VERSION {
        return fail(invalid_parameter(format!("A version can have at most {MAX_STAGES_PER_VERSION} staging labels.")));
    }
    txn.put(scope, &secret.value_key(version_id), &sealed)?;
    let seq = secret.next_seq;
    secret.next_seq += 1;
    secret.versions.push(VersionMeta {
        id: version_id.to_owned(),
        seq,
        stages: Vec::new(),
        created_ms: now,
        last_accessed_ms: None,
        kms_key_id,
    });
    for stage in &unique {
        attach_stage(secret, stage, version_id);
    }
    secret.last_changed_ms = now;
    prune_versions(txn, scope, secret, now)
}

/// Attaches `stage` to version `target`, removing it from any other version. Moving AWSCURRENT
/// moves AWSPREVIOUS to the version AWSCURRENT left.
pub fn attach_stage(secret: &mut SecretRecord, stage: &str, target: &str) {
    let previous_holder = secret.version_with_stage(stage).map(|v| v.id.clone());
    if previous_holder.as_deref() == Some(target) {
        return;
    }
    if let Some(holder) = &previous_holder {
        detach_stage(secret, stage, holder);
    }
    if let Some(v) = secret.version_mut(target) {
        v.stages.push(stage.to_owned());
    }
    if stage == AWSCURRENT
        && let Some(holder) = previous_holder
    {
        for v in &mut secret.versions {
            v.stages.retain(|s| s != AWSPREVIOUS);
        }
        if let Some(v) = secret.version_mut(&holder) {
            v.stages.push(AWSPREVIOUS.to_owned());
        }
    }
}

pub fn detach_stage(secret: &mut SecretRecord, stage: &str, from: &str) {
    if let Some(v) = secret.version_mut(from) {
        v.stages.retain(|s| s != stage);
    }
}

/// Removes deprecated (unlabeled) versions, oldest first, while the secret has more than
/// [`MAX_RETAINED_VERSIONS`]; versions younger than a day are kept regardless.
pub fn prune_versions(txn: &Txn, scope: &str, secret: &mut SecretRecord, now: i64) -> Res<()> {
    while secret.versions.len() > MAX_RETAINED_VERSIONS {
        let Some(index) =
            secret.versions.iter().position(|v| v.stages.is_empty() && now - v.created_ms >= MIN_VERSION_AGE_MS)
        else {
            break;
        };
        let removed = secret.versions.remove(index);
        txn.delete::<SecretValueRecord>(scope, &secret.value_key(&removed.id))?;
    }
    Ok(())
}

/// A fresh version id when the caller gave no ClientRequestToken (SDKs normally send one).
pub fn new_token() -> String {
    nimbus_core::ids::uuid()
}
