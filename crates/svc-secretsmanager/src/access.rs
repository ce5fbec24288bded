//! What strict mode authorizes for a Secrets Manager call: `secretsmanager:<Op>` on the secret's
//! full ARN (a name or partial ARN resolved through the store, as the operations resolve it),
//! with Secrets Manager's condition keys, and the secret's `default` policy as resource policy.
//! Source: the Service Authorization Reference, "Actions, resources, and condition keys for AWS
//! Secrets Manager" (resource type `Secret`: `arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}`).

use nimbus_core::service::tag_list;
use nimbus_core::{Access, Document, RequestContext, ResourcePolicy};

use crate::SecretsManager;
use crate::records::SecretRecord;
use crate::state::{check_secret_id, is_expired, lookup_arn, scope_of};

/// Operations that name no secret: their action on `*`.
const ACCOUNT_WIDE: &[&str] = &["GetRandomPassword", "ListSecrets"];

fn string<'a>(input: &'a Document, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Document::as_str)
}




/// `aws:TagKeys` from UntagResource's `TagKeys`.
fn with_tag_keys(access: Access, input: &Document) -> Access {
    let keys: Vec<String> = input
        .get("TagKeys")
        .and_then(Document::as_array)
        .map(|keys| keys.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if keys.is_empty() { access } else { access.with("aws:TagKeys", keys) }
}

/// The condition keys describing an existing secret (the `Secret` resource type's keys).
fn with_secret(mut access: Access, region: &str, secret: Option<&SecretRecord>) -> Access {
    let Some(secret) = secret else { return access };
    for tag in &secret.tags {
        access = access
            .with(format!("aws:ResourceTag/{}", tag.key), vec![tag.value.clone()])
            .with(format!("secretsmanager:ResourceTag/{}", tag.key), vec![tag.value.clone()]);
    }
    if let Some(lambda) = &secret.rotation.lambda_arn {
        access = access.with("secretsmanager:resource/AllowRotationLambdaArn", vec![lambda.clone()]);
    }
    if let Some(kind) = &secret.secret_type {
        access = access.with("secretsmanager:resource/Type", vec![kind.clone()]);
    }
    // No replication in Nimbus: every secret is a primary in its own region.
    access.with("secretsmanager:SecretPrimaryRegion", vec![region.to_owned()])
}

/// `(account, region)` of an ARN-shaped string, for the store scope of a secret in it.
fn arn_scope(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, _, region, account) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some((account, region))
}

impl SecretsManager {
    /// The secret `secret_id` (a name, a full or a partial ARN) names: its full ARN and record
    /// when it exists, else the ARN it would be known by (a name: its partial ARN; an ARN: as
    /// given); `*` for a member that cannot name a secret (the call then fails its own checks).
    /// ARNs are looked up in the account and region they name, so a cross-account caller's
    /// request is decided against the other account's secret and its policy.
    fn secret_resource(&self, ctx: &RequestContext, secret_id: Option<&str>) -> (String, Option<SecretRecord>) {
        let Some(id) = secret_id else { return ("*".to_owned(), None) };
        if check_secret_id(id).is_err() {
            return ("*".to_owned(), None);
        }
        let now = self.now();
        let live = |found: Option<SecretRecord>| found.filter(|s| !is_expired(s, now));
        if id.starts_with("arn:") {
            let mut well_formed = false;
            let found = lookup_arn(id, |account, region, name| {
                well_formed = true;
                self.store.get::<SecretRecord>(&format!("{account}/{region}"), name)
            });
            return match live(found.ok().flatten()) {
                Some(secret) => (secret.arn.clone(), Some(secret)),
                None if well_formed => (id.to_owned(), None),
                None => ("*".to_owned(), None),
            };
        }
        match live(self.store.get::<SecretRecord>(&scope_of(ctx), id).ok().flatten()) {
            Some(secret) => (secret.arn.clone(), Some(secret)),
            None => (ctx.arn("secretsmanager", &format!("secret:{id}")), None),
        }
    }

    /// `secretsmanager:<operation>` on the secret `secret_id` names, with the secret's keys and
    /// `secretsmanager:SecretId` (the ARN the request resolves to).
    fn on_secret(&self, ctx: &RequestContext, action: &str, secret_id: Option<&str>) -> Access {
        let (arn, secret) = self.secret_resource(ctx, secret_id);
        let region = arn_scope(&arn).map_or(ctx.region.as_str(), |(_, region)| region).to_owned();
        let mut access = Access::new(format!("secretsmanager:{action}"), vec![arn.clone()]);
        if arn != "*" {
            access = access.with("secretsmanager:SecretId", vec![arn]);
        }
        with_secret(access, &region, secret.as_ref())
    }

    pub(crate) fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        if ACCOUNT_WIDE.contains(&operation) {
            return vec![Access::new(format!("secretsmanager:{operation}"), vec!["*".to_owned()])];
        }
        match operation {
            // AWS: BatchGetSecretValue itself on `*`, and GetSecretValue on each secret. Secrets
            // chosen by `Filters` are only known while the call runs, so only a SecretIdList
            // names them here.
            "BatchGetSecretValue" => {
                let mut accesses = vec![Access::new("secretsmanager:BatchGetSecretValue", vec!["*".to_owned()])];
                let ids = input.get("SecretIdList").and_then(Document::as_array);
                for id in ids.into_iter().flatten() {
                    accesses.push(self.on_secret(ctx, "GetSecretValue", Some(id.as_str().unwrap_or_default())));
                }
                accesses
            }
            // The secret does not exist yet, and its ARN's six random characters are drawn only
            // when it is created, so the request names `secret:<Name>-??????`: the literal
            // `??????` stands for the unknown suffix. Policies written the way AWS documents for
            // secrets (`secret:<Name>-??????`, `secret:<Name>-*`, `secret:<prefix>*`) match it; a
            // policy naming one exact existing ARN does not, as no such secret can be created.
            "CreateSecret" => {
                let resource = match string(input, "Name") {
                    Some(name) if check_secret_id(name).is_ok() && !name.starts_with("arn:") => {
                        ctx.arn("secretsmanager", &format!("secret:{name}-??????"))
                    }
                    _ => "*".to_owned(),
                };
                let mut access = Access::new("secretsmanager:CreateSecret", vec![resource]);
                access = access.with_some("secretsmanager:Name", string(input, "Name"));
                access = access.with_some("secretsmanager:Description", string(input, "Description"));
                access = access.with_some("secretsmanager:KmsKeyId", string(input, "KmsKeyId"));
                access = access.with_some("secretsmanager:ForceOverwriteReplicaSecret", input.get("ForceOverwriteReplicaSecret").and_then(Document::as_bool));
                let regions: Vec<String> = input
                    .get("AddReplicaRegions")
                    .and_then(Document::as_array)
                    .map(|r| r.iter().filter_map(|r| r.get("Region")?.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                if !regions.is_empty() {
                    access = access.with("secretsmanager:AddReplicaRegions", regions);
                }
                vec![access.with_request_tags(tag_list(input, "Tags", "Key", "Value"))]
            }
            // Without a SecretId the policy is checked on its own: no resource.
            "ValidateResourcePolicy" if string(input, "SecretId").is_none() => {
                vec![Access::new("secretsmanager:ValidateResourcePolicy", vec!["*".to_owned()])]
            }
            _ => {
                let mut access = self.on_secret(ctx, operation, string(input, "SecretId"));
                match operation {
                    "GetSecretValue" => {
                        access = access.with_some("secretsmanager:VersionId", string(input, "VersionId"));
                        access = access.with_some("secretsmanager:VersionStage", string(input, "VersionStage"));
                    }
                    "UpdateSecretVersionStage" => {
                        access = access.with_some("secretsmanager:VersionStage", string(input, "VersionStage"));
                    }
                    "UpdateSecret" => {
                        access = access.with_some("secretsmanager:Description", string(input, "Description"));
                        access = access.with_some("secretsmanager:KmsKeyId", string(input, "KmsKeyId"));
                    }
                    "DeleteSecret" => {
                        if let Some(days) = input.get("RecoveryWindowInDays").and_then(Document::as_i64) {
                            access = access.with("secretsmanager:RecoveryWindowInDays", vec![days.to_string()]);
                        }
                        access = access.with_some("secretsmanager:ForceDeleteWithoutRecovery", input.get("ForceDeleteWithoutRecovery").and_then(Document::as_bool));
                    }
                    "PutResourcePolicy" => {
                        access = access.with_some("secretsmanager:BlockPublicPolicy", input.get("BlockPublicPolicy").and_then(Document::as_bool));
                    }
                    "RotateSecret" => {
                        access = access.with_some("secretsmanager:RotationLambdaARN", string(input, "RotationLambdaARN"));
                        access = access.with_some("secretsmanager:RotateImmediately", input.get("RotateImmediately").and_then(Document::as_bool));
                        if input.get("RotationRules").is_some() {
                            access = access.with("secretsmanager:ModifyRotationRules", vec!["true".to_owned()]);
                        }
                    }
                    "TagResource" => access = access.with_request_tags(tag_list(input, "Tags", "Key", "Value")),
                    "UntagResource" => access = with_tag_keys(access, input),
                    _ => {}
                }
                vec![access]
            }
        }
    }

    /// The secret's `default` resource policy, owned by the account in its ARN.
    pub(crate) fn secret_policy(&self, arn: &str) -> Option<ResourcePolicy> {
        let now = self.now();
        let mut owner = None;
        let secret = lookup_arn(arn, |account, region, name| {
            owner = Some(account.to_owned());
            self.store.get::<SecretRecord>(&format!("{account}/{region}"), name)
        })
        .ok()??;
        if is_expired(&secret, now) {
            return None;
        }
        Some(ResourcePolicy { document: secret.policy?, owner_account: owner? })
    }
}
