//! AWS Secrets Manager.
//!
//! Every operation of the `secretsmanager` model is answered here except the replication family
//! (`ReplicateSecretToRegions`, `RemoveRegionsFromReplication`, `StopReplicationToReplica`,
//! `AssociateCrossAccountReplica`, `DisassociateCrossAccountReplica`), which returns
//! `NotImplemented` and is left out of [`Service::operations`].
//!
//! # Storage
//!
//! Secrets live in the [`Store`] under scope `"{account}/{region}"` (see [`records`]). Every
//! version's value is encrypted as AWS does it, under the secret's KMS key or the AWS-managed
//! `aws/secretsmanager` (envelope encryption, see `encryption.rs`), when the service has a
//! [`KeyManager`] ([`SecretsManager::with_key_manager`]); without one, and for versions written
//! before KMS existed, it is sealed with the store's AES-256-GCM key. Either way the secret's ARN
//! and the version id are bound as associated data, so no secret value is ever written in the
//! clear. Each acknowledged change is one store transaction.
//!
//! # Time
//!
//! All dates come from Nimbus's [`Clock`]. A secret whose recovery window has ended (now ≥
//! `DeletionDate`) is purged, values and all, the next time anything looks it up or lists
//! secrets; it is then gone exactly as in AWS (`ResourceNotFoundException`, name free again).
//! `LastAccessedDate` is kept at day granularity (midnight UTC), as AWS reports it.
//!
//! # Choices where AWS's documentation is silent
//!
//! - **Rotation.** `RotateSecret` validates and records the configuration (`RotationEnabled`,
//!   `RotationLambdaARN`, `RotationRules`, external rotation metadata), computes
//!   `NextRotationDate` (from `AutomaticallyAfterDays`, `rate(...)`, or `cron(...)`; cron
//!   expressions using `W` or `#` are accepted but get no date), and answers with the version id
//!   the rotation would create (the `ClientRequestToken`, or a fresh UUID). Nimbus has no Lambda
//!   yet, so no rotation function is invoked and no version is created: it is as if the
//!   function's `createSecret` step had not run yet. The rotation state machine is otherwise
//!   AWS's, driven by staging labels: while `AWSPENDING` sits on a version other than
//!   `AWSCURRENT` a rotation is in progress and RotateSecret refuses (`InvalidRequestException`);
//!   moving `AWSCURRENT` onto the `AWSPENDING` version of a secret with a rotation function (a
//!   function's `finishSecret` step) completes the rotation and sets `LastRotatedDate`.
//!   `CancelRotateSecret` turns rotation off, keeps the function ARN and rules, and reports the
//!   unfinished `AWSPENDING` version if there is one.
//! - **Resource policies.** Only the `default` policy exists. A `PolicyName` other than `default`
//!   is refused by Put/Delete (`InvalidParameterException`, "You can modify only the default
//!   policy.") and reads as absent in Get. Policies are checked for JSON
//!   (`MalformedPolicyDocumentException` otherwise) and for the structure of an IAM resource
//!   policy (Version, Statement, Effect, Action/NotAction, Principal/NotPrincipal, no unknown
//!   elements). A policy is "public" when a statement allows principal `*` (or `{"AWS": "*"}`)
//!   without a Condition; `BlockPublicPolicy` is recorded and, when true, refuses such policies
//!   (`PublicPolicyException`). ValidateResourcePolicy reports the same findings as
//!   `ValidationErrors` with the check names `SYNTAX_CHECK` and `PUBLIC_ACCESS_CHECK`.
//! - **ListSecrets** sorts by `CreatedDate` ascending unless told otherwise (names break ties).
//!   Values in one filter are alternatives; `!`-values exclude; filters combine with AND. `all`
//!   requires every word of the value to prefix-match, ignoring case, the name, description,
//!   region, a tag key or value, or a word within one of those.
//! - **Version retention.** Versions left without staging labels are deprecated (listed only with
//!   `IncludeDeprecated`, still readable by id); once a secret has more than 100 versions the
//!   oldest deprecated ones older than 24 hours are removed, as the quotas page describes. There
//!   is no hard cap on versions, so PutSecretValue never fails with `LimitExceededException`; a
//!   version holds at most 20 labels (`LimitExceededException` from UpdateSecretVersionStage).
//! - **Deleted secrets** can still be described, listed (`IncludePlannedDeletion`), have their
//!   versions and resource policy read, and be force-deleted; every other operation answers
//!   "marked for deletion". `DeletedDate` is when DeleteSecret was called; `DeletionDate` the end
//!   of the window. RestoreSecret on a secret that is not deleted succeeds and changes nothing.
//! - **Tags.** A secret holds at most 50 tags, keys with the reserved `aws:` prefix not counted
//!   (AWS's documented quota); CreateSecret or TagResource going over it fails with
//!   `InvalidParameterException`, the code the model lists for both.
//! - `AddReplicaRegions` on CreateSecret is answered with a `Failed` replication status per
//!   region (the secret itself is created); `CrossAccountPrimaryARN` is `NotImplemented`.
//! - Where AWS documents no message, the message is Nimbus's own wording; the error code is
//!   always the one the model lists for the situation.

mod access;
mod encryption;
mod errors;
mod list;
mod password;
mod policy;
pub mod records;
mod rotation;
mod secrets;
mod state;
mod versions;

use nimbus_core::service::parse_input;
use std::sync::Arc;

use nimbus_core::{Access, Clock, Document, KeyManager, RequestContext, ResourcePolicy, Service, ServiceError};
use nimbus_store::{Store, Txn};
use serde::de::DeserializeOwned;

use errors::{Failure, Res};

/// The operations Nimbus implements (all of the model's but replication).
const OPERATIONS: &[&str] = &[
    "BatchGetSecretValue",
    "CancelRotateSecret",
    "CreateSecret",
    "DeleteResourcePolicy",
    "DeleteSecret",
    "DescribeSecret",
    "GetRandomPassword",
    "GetResourcePolicy",
    "GetSecretValue",
    "ListResourcePolicies",
    "ListSecretVersionIds",
    "ListSecrets",
    "PutResourcePolicy",
    "PutSecretValue",
    "RestoreSecret",
    "RotateSecret",
    "TagResource",
    "UntagResource",
    "UpdateSecret",
    "UpdateSecretVersionStage",
    "ValidateResourcePolicy",
];

/// AWS Secrets Manager over a [`Store`], with dates from a [`Clock`].
pub struct SecretsManager {
    store: Store,
    clock: Clock,
    /// KMS, to encrypt values under the secrets' keys; `None`: the store's master key.
    keys: Option<Arc<dyn KeyManager>>,
}

impl SecretsManager {
    pub fn new(store: Store, clock: Clock) -> Self {
        SecretsManager { store, clock, keys: None }
    }

    /// Encrypts new secret versions through KMS (`KmsKeyId`, or `aws/secretsmanager`).
    pub fn with_key_manager(mut self, keys: Arc<dyn KeyManager>) -> Self {
        self.keys = Some(keys);
        self
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Whether the secret the input's `SecretId` ARN names has a resource policy.
    fn shared_by_policy(&self, input: &Document) -> bool {
        input.get("SecretId").and_then(Document::as_str).is_some_and(|arn| self.secret_policy(arn).is_some())
    }

    /// Runs `f` in one store transaction, with the request's scope.
    fn tx<T>(&self, ctx: &RequestContext, f: impl FnOnce(&Txn, &str) -> Res<T>) -> Res<T> {
        let scope = state::scope_of(ctx);
        self.store.transaction(|txn| f(txn, &scope))
    }
}

/// A request naming another account's secret by ARN is served from that account, where the
/// secret lives (and its KMS key), when the secret has a resource policy: AWS's cross-account
/// access, which strict mode has already authorized against the caller's identity policies and
/// that policy. A secret without one stays invisible to other accounts, as without a policy
/// AWS lets no other account in.
fn owner_context(ctx: &RequestContext, input: &Document) -> Option<RequestContext> {
    let arn = input.get("SecretId").and_then(Document::as_str)?;
    // arn:<partition>:secretsmanager:<region>:<account>:secret:<name>
    let mut parts = arn.splitn(7, ':');
    let (Some("arn"), Some(_), Some("secretsmanager"), Some(region), Some(account)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let other_account = account != ctx.account_id && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (other_account && region == ctx.region).then(|| RequestContext { account_id: account.to_owned(), ..ctx.clone() })
}

fn parse<T: DeserializeOwned>(input: Document) -> Res<T> {
    parse_input(input).map_err(Failure::from)
}

#[async_trait::async_trait]
impl Service for SecretsManager {
    fn model_name(&self) -> &'static str {
        "secretsmanager"
    }

    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        SecretsManager::access(self, ctx, operation, input)
    }

    fn resource_policy(&self, _ctx: &RequestContext, resource_arn: &str) -> Option<ResourcePolicy> {
        self.secret_policy(resource_arn)
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        let owner = owner_context(ctx, &input).filter(|_| self.shared_by_policy(&input));
        let ctx = owner.as_ref().unwrap_or(ctx);
        let result = match operation {
            "CreateSecret" => self.create_secret(ctx, input),
            "DescribeSecret" => self.describe_secret(ctx, input),
            "UpdateSecret" => self.update_secret(ctx, input),
            "DeleteSecret" => self.delete_secret(ctx, input),
            "RestoreSecret" => self.restore_secret(ctx, input),
            "TagResource" => self.tag_resource(ctx, input),
            "UntagResource" => self.untag_resource(ctx, input),
            "GetSecretValue" => self.get_secret_value(ctx, input),
            "PutSecretValue" => self.put_secret_value(ctx, input),
            "UpdateSecretVersionStage" => self.update_secret_version_stage(ctx, input),
            "ListSecretVersionIds" => self.list_secret_version_ids(ctx, input),
            "BatchGetSecretValue" => self.batch_get_secret_value(ctx, input),
            "ListSecrets" => self.list_secrets(ctx, input),
            "GetRandomPassword" => password::get_random_password(input),
            "GetResourcePolicy" => self.get_resource_policy(ctx, input),
            "PutResourcePolicy" => self.put_resource_policy(ctx, input),
            "DeleteResourcePolicy" => self.delete_resource_policy(ctx, input),
            "ValidateResourcePolicy" => self.validate_resource_policy(ctx, input),
            "ListResourcePolicies" => self.list_resource_policies(ctx, input),
            "RotateSecret" => self.rotate_secret(ctx, input),
            "CancelRotateSecret" => self.cancel_rotate_secret(ctx, input),
            _ => Err(Failure::from(ServiceError::not_implemented("secretsmanager", operation))),
        };
        result.map_err(|failure| *failure.0)
    }
}
