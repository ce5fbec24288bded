//! The secret as a whole: CreateSecret, DescribeSecret, UpdateSecret, DeleteSecret,
//! RestoreSecret, TagResource, UntagResource.

use nimbus_core::{Document, RequestContext, ServiceError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::encryption::Prepared;
use crate::errors::{
    DAY_MS, Out, Res, already_exists, fail, invalid_name, invalid_parameter, invalid_request, is_valid_name,
    marked_for_deletion, not_found, ts,
};
use crate::records::{Rotation, SecretRecord, Tag};
use crate::state::{self, add_version, existing_record, new_token, request_value, save};
use crate::{SecretsManager, parse, rotation};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagInput {
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicaRegion {
    region: Option<String>,
    kms_key_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateSecretInput {
    name: String,
    client_request_token: Option<String>,
    description: Option<String>,
    kms_key_id: Option<String>,
    secret_binary: Option<String>,
    secret_string: Option<String>,
    tags: Option<Vec<TagInput>>,
    add_replica_regions: Option<Vec<ReplicaRegion>>,
    #[serde(rename = "Type")]
    secret_type: Option<String>,
    #[serde(rename = "CrossAccountPrimaryARN")]
    cross_account_primary_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SecretIdInput {
    secret_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateSecretInput {
    secret_id: String,
    client_request_token: Option<String>,
    description: Option<String>,
    kms_key_id: Option<String>,
    secret_binary: Option<String>,
    secret_string: Option<String>,
    #[serde(rename = "Type")]
    secret_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteSecretInput {
    secret_id: String,
    recovery_window_in_days: Option<i64>,
    force_delete_without_recovery: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagResourceInput {
    secret_id: String,
    tags: Vec<TagInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagResourceInput {
    secret_id: String,
    tag_keys: Vec<String>,
}

const DEFAULT_RECOVERY_WINDOW_DAYS: i64 = 30;
/// Tags one secret may carry; keys with AWS's reserved `aws:` prefix don't count.
const MAX_TAGS: usize = 50;
const RECOVERY_WINDOW_DAYS: std::ops::RangeInclusive<i64> = 7..=30;

/// Tags as given: keys required; a key given twice keeps its last value.
pub(crate) fn to_tags(input: Vec<TagInput>) -> Res<Vec<Tag>> {
    let mut tags: Vec<Tag> = Vec::new();
    for tag in input {
        let Some(key) = tag.key else {
            return fail(invalid_parameter("You must specify a key for each tag."));
        };
        let value = tag.value.unwrap_or_default();
        merge_tag(&mut tags, Tag { key, value });
    }
    Ok(tags)
}

/// Refuses a tag set over the per-secret quota.
fn check_tag_count(tags: &[Tag]) -> Res<()> {
    let counted = tags.iter().filter(|t| !t.key.starts_with("aws:")).count();
    if counted > MAX_TAGS {
        return fail(invalid_parameter(format!("A secret can have at most {MAX_TAGS} tags.")));
    }
    Ok(())
}

fn merge_tag(tags: &mut Vec<Tag>, tag: Tag) {
    match tags.iter_mut().find(|t| t.key == tag.key) {
        Some(existing) => existing.value = tag.value,
        None => tags.push(tag),
    }
}

fn tags_doc(tags: &[Tag]) -> Vec<Value> {
    tags.iter().map(|t| json!({"Key": t.key, "Value": t.value})).collect()
}

/// `VersionIdsToStages` / `SecretVersionsToStages`: versions that carry labels.
pub(crate) fn stages_map(secret: &SecretRecord) -> Option<Value> {
    let map: serde_json::Map<String, Value> =
        secret.versions.iter().filter(|v| !v.stages.is_empty()).map(|v| (v.id.clone(), json!(v.stages))).collect();
    (!map.is_empty()).then_some(Value::Object(map))
}

/// DescribeSecret's output, or (with `list_entry`) a ListSecrets `SecretListEntry`.
pub(crate) fn describe_doc(secret: &SecretRecord, region: &str, list_entry: bool) -> Value {
    let rotation = &secret.rotation;
    let external: Vec<Value> = rotation.external_metadata.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect();
    let stages_key = if list_entry { "SecretVersionsToStages" } else { "VersionIdsToStages" };
    Out::new()
        .set("ARN", secret.arn.clone())
        .set("Name", secret.name.clone())
        .opt("Type", secret.secret_type.clone())
        .opt("Description", secret.description.clone())
        .opt("KmsKeyId", secret.kms_key_id.clone())
        .set("RotationEnabled", rotation.enabled)
        .opt("RotationLambdaARN", rotation.lambda_arn.clone())
        .opt("RotationRules", rotation.rules.as_ref().map(rotation::rules_doc))
        .list("ExternalSecretRotationMetadata", external)
        .opt("ExternalSecretRotationRoleArn", rotation.external_role_arn.clone())
        .opt("LastRotatedDate", rotation.last_rotated_ms.map(ts))
        .set("LastChangedDate", ts(secret.last_changed_ms))
        .opt("LastAccessedDate", secret.last_accessed_ms.map(ts))
        .opt("DeletedDate", secret.deleted_ms.map(ts))
        .opt("NextRotationDate", rotation::next_rotation_ms(secret).map(ts))
        .list("Tags", tags_doc(&secret.tags))
        .opt(stages_key, stages_map(secret))
        .set("CreatedDate", ts(secret.created_ms))
        .set("PrimaryRegion", region.to_owned())
        .done()
}

fn arn_and_name(secret: &SecretRecord) -> Out {
    Out::new().set("ARN", secret.arn.clone()).set("Name", secret.name.clone())
}

impl SecretsManager {
    pub(crate) fn create_secret(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: CreateSecretInput = parse(input)?;
        if !is_valid_name(&input.name) {
            return fail(invalid_name());
        }
        if input.cross_account_primary_arn.is_some() {
            return fail(ServiceError::not_implemented("secretsmanager", "CreateSecret with CrossAccountPrimaryARN"));
        }
        let value = request_value(input.secret_string, input.secret_binary)?;
        let tags = to_tags(input.tags.unwrap_or_default())?;
        check_tag_count(&tags)?;
        let now = self.now();
        let kms_key_id = input.kms_key_id.clone().filter(|k| !k.is_empty());
        let token = match (&input.client_request_token, &value) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(_)) => Some(new_token()),
            (None, None) => None,
        };
        // First look: an existing secret is an error, unless this is a retry of the request
        // that created it (same token, same value), which returns what it returned.
        let existing = self.tx(ctx, |txn, scope| match state::find(txn, ctx, scope, &input.name, now)? {
            Some(existing) if existing.is_deleted() => fail(invalid_request(
                "You can't create this secret because a secret with this name is already scheduled for deletion.",
            )),
            Some(existing) => {
                let record = match (&input.client_request_token, &value) {
                    (Some(token), Some(_)) => existing_record(txn, scope, &existing, token)?,
                    _ => None,
                };
                Ok(Some((existing, record)))
            }
            None => Ok(None),
        })?;
        let arn = match existing {
            Some((existing, Some(record))) => {
                let (Some(token), Some(value)) = (&token, &value) else {
                    return fail(already_exists(&input.name));
                };
                let prepared = self.prepare_version(ctx, &existing, Some(record), token, value, None, || {
                    already_exists(&input.name)
                })?;
                return match prepared {
                    Prepared::Retry(version) => {
                        Ok(create_output(&existing, Some(version.id), input.add_replica_regions))
                    }
                    Prepared::New(_) => fail(already_exists(&input.name)),
                };
            }
            Some(_) => return fail(already_exists(&input.name)),
            None => ctx.arn(
                "secretsmanager",
                &format!("secret:{}-{}", input.name, nimbus_core::ids::random_from(nimbus_core::ids::ALNUM, 6)),
            ),
        };
        let sealed = match (&token, &value) {
            (Some(token), Some(value)) => Some(self.seal_value(ctx, &arn, token, kms_key_id.as_deref(), value)?),
            _ => None,
        };
        let (secret, version_id) = self.tx(ctx, |txn, scope| {
            if let Some(existing) = state::find(txn, ctx, scope, &input.name, now)? {
                if existing.is_deleted() {
                    return fail(invalid_request(
                        "You can't create this secret because a secret with this name is already scheduled for deletion.",
                    ));
                }
                return fail(already_exists(&input.name));
            }
            let mut secret = SecretRecord {
                name: input.name.clone(),
                arn: arn.clone(),
                uid: nimbus_core::ids::uuid(),
                description: input.description.clone(),
                kms_key_id: kms_key_id.clone(),
                secret_type: input.secret_type.clone(),
                tags: tags.clone(),
                created_ms: now,
                last_changed_ms: now,
                last_accessed_ms: None,
                deleted_ms: None,
                purge_at_ms: None,
                rotation: Rotation::default(),
                policy: None,
                block_public_policy: false,
                versions: Vec::new(),
                next_seq: 0,
            };
            let mut version_id = None;
            if let (Some(token), Some(sealed)) = (&token, &sealed) {
                add_version(txn, scope, &mut secret, token, sealed.clone(), kms_key_id.clone(), None, now)?;
                version_id = Some(token.clone());
            }
            save(txn, scope, &secret)?;
            Ok((secret, version_id))
        })?;
        Ok(create_output(&secret, version_id, input.add_replica_regions))
    }
}

/// CreateSecret's output.
fn create_output(secret: &SecretRecord, version_id: Option<String>, replicas: Option<Vec<ReplicaRegion>>) -> Value {
    let replication: Vec<Value> = replicas
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            Out::new()
                .opt("Region", r.region)
                .opt("KmsKeyId", r.kms_key_id)
                .set("Status", "Failed")
                .set("StatusMessage", "Replication to other Regions is not implemented in Nimbus.")
                .done()
        })
        .collect();
    arn_and_name(secret).opt("VersionId", version_id).list("ReplicationStatus", replication).done()
}

impl SecretsManager {
    pub(crate) fn describe_secret(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: SecretIdInput = parse(input)?;
        let now = self.now();
        let secret = self.tx(ctx, |txn, scope| state::require(txn, ctx, scope, &input.secret_id, now))?;
        Ok(describe_doc(&secret, &ctx.region, false))
    }

    pub(crate) fn update_secret(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: UpdateSecretInput = parse(input)?;
        let value = request_value(input.secret_string, input.secret_binary)?;
        let now = self.now();
        let token = value.as_ref().map(|_| input.client_request_token.clone().unwrap_or_else(new_token));
        let (before, existing) = self.tx(ctx, |txn, scope| {
            let secret = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
            let existing = match &token {
                Some(token) => existing_record(txn, scope, &secret, token)?,
                None => None,
            };
            Ok((secret, existing))
        })?;
        // A new KmsKeyId ("" is aws/secretsmanager) applies to versions written from now on.
        let kms_key_id = match &input.kms_key_id {
            Some(key) => Some(key.clone()).filter(|k| !k.is_empty()),
            None => before.kms_key_id.clone(),
        };
        if let Some(key) = input.kms_key_id.as_deref().filter(|k| !k.is_empty()) {
            self.check_key(ctx, key)?;
        }
        let prepared = match (&token, &value) {
            (Some(token), Some(value)) => Some(self.prepare_version(
                ctx,
                &before,
                existing,
                token,
                value,
                kms_key_id.as_deref(),
                version_conflict,
            )?),
            _ => None,
        };
        let (secret, version_id) = self.tx(ctx, |txn, scope| {
            let mut secret = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
            if secret.uid != before.uid {
                return fail(not_found());
            }
            if let Some(description) = &input.description {
                secret.description = Some(description.clone());
            }
            if input.kms_key_id.is_some() {
                secret.kms_key_id = kms_key_id.clone();
            }
            if let Some(secret_type) = &input.secret_type {
                secret.secret_type = Some(secret_type.clone());
            }
            if let (Some(token), Some(Prepared::New(sealed))) = (&token, &prepared) {
                if secret.version(token).is_some() {
                    return fail(version_conflict());
                }
                add_version(txn, scope, &mut secret, token, sealed.clone(), kms_key_id.clone(), None, now)?;
            }
            secret.last_changed_ms = now;
            save(txn, scope, &secret)?;
            Ok((secret, token.clone()))
        })?;
        Ok(arn_and_name(&secret).opt("VersionId", version_id).done())
    }

    pub(crate) fn delete_secret(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: DeleteSecretInput = parse(input)?;
        let force = input.force_delete_without_recovery.unwrap_or(false);
        if let Some(days) = input.recovery_window_in_days {
            if !RECOVERY_WINDOW_DAYS.contains(&days) {
                return fail(invalid_parameter(
                    "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
                ));
            }
            if force {
                return fail(invalid_parameter(
                    "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
                ));
            }
        }
        let days = input.recovery_window_in_days.unwrap_or(DEFAULT_RECOVERY_WINDOW_DAYS);
        let now = self.now();
        let (secret, deletion_ms) = self.tx(ctx, |txn, scope| {
            let mut secret = state::require(txn, ctx, scope, &input.secret_id, now)?;
            if force {
                state::purge(txn, scope, &secret)?;
                return Ok((secret, now));
            }
            if secret.is_deleted() {
                return fail(marked_for_deletion());
            }
            let deletion_ms = now + days * DAY_MS;
            secret.deleted_ms = Some(now);
            secret.purge_at_ms = Some(deletion_ms);
            secret.last_changed_ms = now;
            save(txn, scope, &secret)?;
            Ok((secret, deletion_ms))
        })?;
        Ok(arn_and_name(&secret).set("DeletionDate", ts(deletion_ms)).done())
    }

    pub(crate) fn restore_secret(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: SecretIdInput = parse(input)?;
        let now = self.now();
        let secret = self.tx(ctx, |txn, scope| {
            let mut secret = state::require(txn, ctx, scope, &input.secret_id, now)?;
            if secret.is_deleted() {
                secret.deleted_ms = None;
                secret.purge_at_ms = None;
                secret.last_changed_ms = now;
                save(txn, scope, &secret)?;
            }
            Ok(secret)
        })?;
        Ok(arn_and_name(&secret).done())
    }

    pub(crate) fn tag_resource(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: TagResourceInput = parse(input)?;
        let tags = to_tags(input.tags)?;
        let now = self.now();
        self.tx(ctx, |txn, scope| {
            let mut secret = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
            for tag in tags {
                merge_tag(&mut secret.tags, tag);
            }
            check_tag_count(&secret.tags)?;
            secret.last_changed_ms = now;
            save(txn, scope, &secret)
        })?;
        Ok(json!({}))
    }

    pub(crate) fn untag_resource(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: UntagResourceInput = parse(input)?;
        let now = self.now();
        self.tx(ctx, |txn, scope| {
            let mut secret = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
            secret.tags.retain(|t| !input.tag_keys.contains(&t.key));
            secret.last_changed_ms = now;
            save(txn, scope, &secret)
        })?;
        Ok(json!({}))
    }
}

/// A ClientRequestToken reused with a different value.
pub(crate) fn version_conflict() -> ServiceError {
    ServiceError::new(
        "ResourceExistsException",
        "You can't modify an existing version, you can only create new versions.",
    )
}
