//! Secret values and their versions: GetSecretValue, PutSecretValue, UpdateSecretVersionStage,
//! ListSecretVersionIds, BatchGetSecretValue.

use nimbus_core::document::blob;
use nimbus_core::{Document, RequestContext, ServiceError};
use nimbus_store::Txn;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::encryption::Prepared;
use crate::errors::{
    Failure, Out, Res, day_of, fail, invalid_next_token, invalid_parameter, limit_exceeded, marked_for_deletion,
    not_found, ts,
};
use crate::list::{self, FilterInput, decode_token, encode_token};
use crate::records::{SecretRecord, SecretValue, SecretValueRecord, VersionMeta};
use crate::secrets::version_conflict;
use crate::state::{
    self, AWSCURRENT, AWSPENDING, MAX_STAGES_PER_VERSION, add_version, attach_stage, detach_stage, existing_record,
    new_token, read_record, request_value, save,
};
use crate::{SecretsManager, parse};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetSecretValueInput {
    secret_id: String,
    version_id: Option<String>,
    version_stage: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutSecretValueInput {
    secret_id: String,
    client_request_token: Option<String>,
    secret_binary: Option<String>,
    secret_string: Option<String>,
    version_stages: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateSecretVersionStageInput {
    secret_id: String,
    version_stage: String,
    remove_from_version_id: Option<String>,
    move_to_version_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListSecretVersionIdsInput {
    secret_id: String,
    max_results: Option<i64>,
    next_token: Option<String>,
    include_deprecated: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchGetSecretValueInput {
    secret_id_list: Option<Vec<String>>,
    filters: Option<Vec<FilterInput>>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

const DEFAULT_MAX_RESULTS: usize = 100;
const DEFAULT_BATCH_MAX_RESULTS: usize = 20;
/// The KmsKeyIds entry AWS shows for versions encrypted with aws/secretsmanager.
const DEFAULT_KMS_KEY_LABEL: &str = "DefaultEncryptionKey";

fn value_not_found_for_id(version_id: &str) -> ServiceError {
    ServiceError::new(
        "ResourceNotFoundException",
        format!("Secrets Manager can't find the specified secret value for VersionId: {version_id}"),
    )
}

fn value_not_found_for_stage(stage: &str) -> ServiceError {
    ServiceError::new(
        "ResourceNotFoundException",
        format!("Secrets Manager can't find the specified secret value for staging label: {stage}"),
    )
}

/// Picks the version a GetSecretValue-style request names (default: AWSCURRENT).
fn select_version(secret: &SecretRecord, version_id: Option<&str>, stage: Option<&str>) -> Res<VersionMeta> {
    let version = match (version_id, stage) {
        (Some(id), Some(stage)) => match secret.version(id) {
            Some(v) if v.has_stage(stage) => v,
            Some(_) => {
                return fail(ServiceError::new(
                    "ResourceNotFoundException",
                    format!(
                        "Secrets Manager can't find the specified secret value for VersionId: {id} and staging label: {stage}"
                    ),
                ));
            }
            None => return fail(value_not_found_for_id(id)),
        },
        (Some(id), None) => secret.version(id).ok_or_else(|| Failure::from(value_not_found_for_id(id)))?,
        (None, stage) => {
            let stage = stage.unwrap_or(AWSCURRENT);
            secret.version_with_stage(stage).ok_or_else(|| Failure::from(value_not_found_for_stage(stage)))?
        }
    };
    Ok(version.clone())
}

/// Notes a read of `version_id` (day granularity); returns whether the record changed.
fn mark_accessed(secret: &mut SecretRecord, version_id: &str, now: i64) -> bool {
    let today = day_of(now);
    let mut changed = false;
    if secret.last_accessed_ms != Some(today) {
        secret.last_accessed_ms = Some(today);
        changed = true;
    }
    if let Some(v) = secret.version_mut(version_id)
        && v.last_accessed_ms != Some(today)
    {
        v.last_accessed_ms = Some(today);
        changed = true;
    }
    changed
}

fn value_doc(secret: &SecretRecord, version: &VersionMeta, value: &SecretValue) -> Value {
    let out =
        Out::new().set("ARN", secret.arn.clone()).set("Name", secret.name.clone()).set("VersionId", version.id.clone());
    let out = match value {
        SecretValue::String(s) => out.set("SecretString", s.clone()),
        SecretValue::Binary(b) => out.set("SecretBinary", blob(b)),
    };
    out.list("VersionStages", version.stages.iter().map(|s| json!(s)).collect())
        .set("CreatedDate", ts(version.created_ms))
        .done()
}

/// A version picked for reading, its value still encrypted (decrypted outside the transaction).
struct Fetched {
    secret: SecretRecord,
    version: VersionMeta,
    record: SecretValueRecord,
}

impl SecretsManager {
    /// Picks a version, reads its stored value and records the access.
    fn fetch(
        &self,
        txn: &Txn,
        scope: &str,
        secret: &mut SecretRecord,
        version_id: Option<&str>,
        stage: Option<&str>,
        now: i64,
    ) -> Res<Fetched> {
        let version = select_version(secret, version_id, stage)?;
        let record = read_record(txn, scope, secret, &version.id)?;
        if mark_accessed(secret, &version.id, now) {
            save(txn, scope, secret)?;
        }
        Ok(Fetched { secret: secret.clone(), version, record })
    }

    /// Decrypts a fetched value into GetSecretValue's output.
    fn reveal(&self, ctx: &RequestContext, fetched: &Fetched) -> Res<Value> {
        let value = self.open_value(ctx, &fetched.secret.arn, &fetched.version.id, &fetched.record)?;
        Ok(value_doc(&fetched.secret, &fetched.version, &value))
    }

    /// [`SecretsManager::fetch`] from plain reads, for the common read that changes nothing
    /// (the access was already noted today): it needs no write transaction, so reads neither
    /// queue behind the store's one writer nor pay a commit. `None` for anything else (an
    /// error, an expired or deleted secret, an access to note): the transaction path then
    /// decides, with its errors.
    fn fetch_unchanged(&self, ctx: &RequestContext, input: &GetSecretValueInput, now: i64) -> Res<Option<Fetched>> {
        let scope = state::scope_of(ctx);
        if state::check_secret_id(&input.secret_id).is_err() {
            return Ok(None);
        }
        let found = state::lookup_id(ctx, &input.secret_id, |name| self.store.get::<SecretRecord>(&scope, name))?;
        let Some(mut secret) = found.filter(|s| !state::is_expired(s, now) && !s.is_deleted()) else {
            return Ok(None);
        };
        let Ok(version) = select_version(&secret, input.version_id.as_deref(), input.version_stage.as_deref()) else {
            return Ok(None);
        };
        if mark_accessed(&mut secret, &version.id, now) {
            return Ok(None);
        }
        let Some(record) = self.store.get::<SecretValueRecord>(&scope, &secret.value_key(&version.id))? else {
            return Ok(None);
        };
        Ok(Some(Fetched { secret, version, record }))
    }

    pub(crate) fn get_secret_value(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: GetSecretValueInput = parse(input)?;
        let now = self.now();
        if let Some(fetched) = self.fetch_unchanged(ctx, &input, now)? {
            return self.reveal(ctx, &fetched);
        }
        let fetched = self.tx(ctx, |txn, scope| {
            let mut secret = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
            self.fetch(txn, scope, &mut secret, input.version_id.as_deref(), input.version_stage.as_deref(), now)
        })?;
        self.reveal(ctx, &fetched)
    }

    pub(crate) fn put_secret_value(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: PutSecretValueInput = parse(input)?;
        let Some(value) = request_value(input.secret_string, input.secret_binary)? else {
            return fail(invalid_parameter("You must provide either SecretString or SecretBinary."));
        };
        let now = self.now();
        let token = input.client_request_token.clone().unwrap_or_else(new_token);
        let (secret, existing) = self.tx(ctx, |txn, scope| {
            let secret = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
            let existing = existing_record(txn, scope, &secret, &token)?;
            Ok((secret, existing))
        })?;
        let kms_key_id = secret.kms_key_id.clone();
        let version = match self.prepare_version(
            ctx,
            &secret,
            existing,
            &token,
            &value,
            kms_key_id.as_deref(),
            version_conflict,
        )? {
            Prepared::Retry(existing) => existing,
            Prepared::New(sealed) => self.tx(ctx, |txn, scope| {
                let mut current = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
                if current.uid != secret.uid {
                    return fail(not_found());
                }
                if current.version(&token).is_some() {
                    return fail(version_conflict());
                }
                add_version(txn, scope, &mut current, &token, sealed, kms_key_id, input.version_stages.clone(), now)?;
                save(txn, scope, &current)?;
                current.version(&token).cloned().ok_or_else(|| ServiceError::internal("new version vanished").into())
            })?,
        };
        Ok(Out::new()
            .set("ARN", secret.arn.clone())
            .set("Name", secret.name.clone())
            .set("VersionId", version.id.clone())
            .list("VersionStages", version.stages.iter().map(|s| json!(s)).collect())
            .done())
    }

    pub(crate) fn update_secret_version_stage(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: UpdateSecretVersionStageInput = parse(input)?;
        let stage = input.version_stage.as_str();
        let now = self.now();
        self.tx(ctx, |txn, scope| {
            let mut secret = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
            let holder = secret.version_with_stage(stage).map(|v| v.id.clone());
            if let Some(remove) = &input.remove_from_version_id {
                if secret.version(remove).is_none() {
                    return fail(value_not_found_for_id(remove));
                }
                if holder.as_deref() != Some(remove.as_str()) {
                    return fail(invalid_parameter(format!(
                        "The staging label {stage} is not attached to version {remove}, so it can't be removed from it."
                    )));
                }
            }
            match (&input.move_to_version_id, &input.remove_from_version_id) {
                (Some(target), remove) => {
                    let Some(target_version) = secret.version(target) else {
                        return fail(value_not_found_for_id(target));
                    };
                    if let Some(holder) = &holder
                        && holder != target
                        && remove.as_deref() != Some(holder.as_str())
                    {
                        return fail(invalid_parameter(format!(
                            "The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to version {holder}, so you must explicitly reference that version in RemoveFromVersionId."
                        )));
                    }
                    if !target_version.has_stage(stage) && target_version.stages.len() >= MAX_STAGES_PER_VERSION {
                        return fail(limit_exceeded(format!(
                            "A version can have at most {MAX_STAGES_PER_VERSION} staging labels."
                        )));
                    }
                    // Moving AWSCURRENT onto the AWSPENDING version is a rotation's last step
                    // (what a rotation function's finishSecret does).
                    let finishes_rotation = stage == AWSCURRENT
                        && target_version.has_stage(AWSPENDING)
                        && !target_version.has_stage(AWSCURRENT)
                        && secret.rotation.lambda_arn.is_some();
                    attach_stage(&mut secret, stage, target);
                    if finishes_rotation {
                        secret.rotation.last_rotated_ms = Some(now);
                    }
                }
                (None, Some(remove)) => {
                    if stage == AWSCURRENT {
                        return fail(invalid_parameter(
                            "You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed.",
                        ));
                    }
                    detach_stage(&mut secret, stage, remove);
                }
                (None, None) => {
                    return fail(invalid_parameter(
                        "You must specify RemoveFromVersionId, MoveToVersionId, or both.",
                    ));
                }
            }
            secret.last_changed_ms = now;
            save(txn, scope, &secret)?;
            Ok(Out::new().set("ARN", secret.arn.clone()).set("Name", secret.name.clone()).done())
        })
    }

    pub(crate) fn list_secret_version_ids(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: ListSecretVersionIdsInput = parse(input)?;
        let page_size = input.max_results.map_or(DEFAULT_MAX_RESULTS, |n| n.clamp(1, 100) as usize);
        let after_seq: Option<u64> = match &input.next_token {
            Some(token) => Some(decode_token(token)?.parse().map_err(|_| Failure::from(invalid_next_token()))?),
            None => None,
        };
        let include_deprecated = input.include_deprecated.unwrap_or(false);
        let now = self.now();
        let secret = self.tx(ctx, |txn, scope| state::require(txn, ctx, scope, &input.secret_id, now))?;
        let candidates: Vec<&VersionMeta> = secret
            .versions
            .iter()
            .filter(|v| include_deprecated || !v.stages.is_empty())
            .filter(|v| after_seq.is_none_or(|after| v.seq > after))
            .collect();
        let page = &candidates[..candidates.len().min(page_size)];
        let next_token =
            (candidates.len() > page.len()).then(|| page.last().map(|v| encode_token(&v.seq.to_string()))).flatten();
        let versions: Vec<Value> = page
            .iter()
            .map(|v| {
                Out::new()
                    .set("VersionId", v.id.clone())
                    .list("VersionStages", v.stages.iter().map(|s| json!(s)).collect())
                    .opt("LastAccessedDate", v.last_accessed_ms.map(ts))
                    .set("CreatedDate", ts(v.created_ms))
                    .set("KmsKeyIds", json!([v.kms_key_id.as_deref().unwrap_or(DEFAULT_KMS_KEY_LABEL)]))
                    .done()
            })
            .collect();
        Ok(Out::new()
            .set("Versions", Value::Array(versions))
            .opt("NextToken", next_token)
            .set("ARN", secret.arn.clone())
            .set("Name", secret.name.clone())
            .done())
    }

    pub(crate) fn batch_get_secret_value(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: BatchGetSecretValueInput = parse(input)?;
        let now = self.now();
        match (input.secret_id_list, input.filters) {
            (Some(ids), None) => {
                if input.max_results.is_some() || input.next_token.is_some() {
                    return fail(invalid_parameter(
                        "MaxResults and NextToken can only be used with Filters, not with SecretIdList.",
                    ));
                }
                let fetched = self.tx(ctx, |txn, scope| {
                    let mut fetched = Vec::new();
                    for id in &ids {
                        match self.batch_one(txn, ctx, scope, id, now) {
                            Err(failure) if failure.0.code == "InternalFailure" => return Err(failure),
                            outcome => fetched.push((id.clone(), outcome)),
                        }
                    }
                    Ok(fetched)
                })?;
                let (values, errors) = self.reveal_all(ctx, fetched)?;
                Ok(json!({"SecretValues": values, "Errors": errors}))
            }
            (None, Some(filters)) => {
                let filters = list::parse_filters(filters)?;
                let page_size = input.max_results.map_or(DEFAULT_BATCH_MAX_RESULTS, |n| n.clamp(1, 20) as usize);
                let (fetched, next_token) = self.tx(ctx, |txn, scope| {
                    let secrets = list::matching_secrets(txn, scope, &ctx.region, now, &filters, false)?;
                    let sorted = list::sort_secrets(secrets, list::SortBy::CreatedDate, false);
                    let (page, next_token) =
                        list::paginate(sorted, list::SortBy::CreatedDate, input.next_token.as_deref(), page_size)?;
                    let mut fetched = Vec::new();
                    for mut secret in page {
                        match self.fetch(txn, scope, &mut secret, None, None, now) {
                            Err(failure) if failure.0.code == "InternalFailure" => return Err(failure),
                            outcome => fetched.push((secret.arn.clone(), outcome)),
                        }
                    }
                    Ok((fetched, next_token))
                })?;
                let (values, errors) = self.reveal_all(ctx, fetched)?;
                Ok(Out::new().set("SecretValues", values).opt("NextToken", next_token).set("Errors", errors).done())
            }
            _ => fail(invalid_parameter("You must include either SecretIdList or Filters, but not both.")),
        }
    }

    /// BatchGetSecretValue's values and per-secret errors, decrypting each fetched value.
    fn reveal_all(&self, ctx: &RequestContext, fetched: Vec<(String, Res<Fetched>)>) -> Res<(Vec<Value>, Vec<Value>)> {
        let mut values = Vec::new();
        let mut errors = Vec::new();
        for (id, outcome) in fetched {
            match outcome.and_then(|fetched| self.reveal(ctx, &fetched)) {
                Ok(value) => values.push(value),
                Err(failure) if failure.0.code == "InternalFailure" => return Err(failure),
                Err(Failure(e)) => errors.push(json!({
                    "SecretId": id,
                    "ErrorCode": e.code,
                    "Message": e.message,
                })),
            }
        }
        Ok((values, errors))
    }

    fn batch_one(&self, txn: &Txn, ctx: &RequestContext, scope: &str, id: &str, now: i64) -> Res<Fetched> {
        let mut secret = state::find(txn, ctx, scope, id, now)?.ok_or_else(|| Failure::from(not_found()))?;
        if secret.is_deleted() {
            return fail(marked_for_deletion());
        }
        self.fetch(txn, scope, &mut secret, None, None, now)
    }
}
