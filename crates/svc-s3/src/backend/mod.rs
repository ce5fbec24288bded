//! [`S3Backend`]: the `s3s::S3` operations over the Nimbus store.
//!
//! Each submodule adds inherent methods for a family of operations; the trait impl at the end
//! only routes to them. Everything that persists goes through the store: records keyed by
//! (bucket, key) and random-id blobs (see `records.rs`); bodies are streamed (see `io.rs`).

mod access_config;
mod attributes;
mod buckets;
mod encryption;
mod integrity;
mod internal;
mod lifecycle;
mod list;
pub(crate) mod metrics_config;
mod multipart;
mod notification_config;
mod object_lock;
mod objects;
mod versions;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
mod site_config;

use nimbus_core::{Clock, EventBus};
use nimbus_store::{BlobId, Store, StoreError};
use s3s::dto::*;
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use crate::auth::Caller;
use crate::io::store_error;
use crate::notifications::{Notifier, ObjectEvent, Origin, RequestInfo, Sequencer};
use crate::records::{BUCKET_SCOPE, BucketRecord};

pub use lifecycle::LifecycleReport;

/// The S3 operations, over one store.
#[derive(Clone)]
pub struct S3Backend {
    store: Store,
    clock: Clock,
    default_account: String,
    default_region: String,
    /// Bumped by every change to objects, uploads or bucket configuration, so the lifecycle
    /// sweeper can skip buckets where nothing changed and nothing has come due.
    generation: Arc<AtomicU64>,
    sweep_memo: Arc<lifecycle::SweepMemo>,
    /// Where bucket notifications go (nowhere without an event bus).
    events: Notifier,
    sequencer: Arc<Sequencer>,
    /// KMS for SSE-KMS objects (unset: their data keys are master-key wrapped). Shared by the
    /// clones of the backend, so it can be set after the service is built.
    kms: Arc<std::sync::OnceLock<crate::sse::S3Kms>>,
    /// The request-metrics configurations compiled, and their counters (shared by the clones).
    request_metrics: Arc<crate::request_metrics::RequestMetrics>,
}

impl S3Backend {
    pub fn new(store: Store, clock: Clock) -> Self {
        S3Backend {
            store,
            clock,
            default_account: nimbus_core::DEFAULT_ACCOUNT_ID.to_owned(),
            default_region: nimbus_core::DEFAULT_REGION.to_owned(),
            generation: Arc::new(AtomicU64::new(0)),
            sweep_memo: Arc::default(),
            events: Notifier::default(),
            sequencer: Arc::default(),
            kms: Arc::default(),
            request_metrics: Arc::default(),
        }
    }

    /// Encrypts SSE-KMS objects through KMS (envelope encryption under the named key), in this
    /// backend and all its clones. Only the first call counts.
    pub fn set_key_manager(&self, keys: Arc<dyn nimbus_core::KeyManager>) {
        let _ = self.kms.set(crate::sse::S3Kms::new(keys));
    }

    /// The request metrics' configurations and counters.
    pub(crate) fn request_metrics(&self) -> &crate::request_metrics::RequestMetrics {
        &self.request_metrics
    }

    /// Where the data key of `key` in `bucket` belongs (for [`crate::sse`]).
    fn key_scope<'a>(&'a self, bucket: &'a BucketRecord, key: &'a str) -> crate::sse::KeyScope<'a> {
        crate::sse::KeyScope { store: &self.store, kms: self.kms.get(), bucket, key, now_ms: self.now_ms() }
    }

    /// Sends bucket notifications through `bus` (SQS queues, SNS topics).
    pub fn with_event_bus(mut self, bus: Arc<dyn EventBus>) -> Self {
        self.events = Notifier::new(bus);
        self
    }

    /// The next event sequencer: call inside the transaction that commits the change, so
    /// sequencers follow the commit order.
    fn next_sequencer(&self) -> String {
        self.sequencer.next(self.now_ms())
    }

    /// Who and where a request is from, for its event messages.
    fn origin<T>(&self, req: &S3Request<T>) -> Origin {
        let info = req.extensions.get::<RequestInfo>();
        let request_id = info.map_or_else(nimbus_core::ids::request_id, |i| i.request_id.clone());
        let principal_id = match req.extensions.get::<Caller>() {
            None => self.default_account.clone(),
            Some(c) if c.account_id == crate::auth::ANONYMOUS_ACCOUNT => "Anonymous".to_owned(),
            Some(c) => match &c.user_id {
                Some(user) if *user != c.account_id => format!("AWS:{user}"),
                _ => c.account_id.clone(),
            },
        };
        Origin {
            host_id: crate::errors::host_id(&request_id),
            request_id,
            principal_id,
            // The server does not pass the client's address on today; clients are local.
            source_ip: info
                .and_then(|i| i.source_ip)
                .map_or_else(|| "127.0.0.1".to_owned(), |ip| ip.to_string()),
        }
    }

    /// Sends the events of a committed change to the bucket's destinations that want them, in
    /// the background: the request neither waits for nor fails with the deliveries.
    fn notify(&self, bucket: &BucketRecord, origin: &Origin, events: &[ObjectEvent]) {
        if !self.events.enabled() || events.is_empty() {
            return;
        }
        let config = match crate::records::get_config::<crate::notifications::NotificationConfig>(
            &self.store,
            &bucket.id,
        ) {
            Ok(Some(config)) => config,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!("s3 notifications of bucket {}: reading the configuration: {e}", bucket.name);
                return;
            }
        };
        let now = self.now_ms();
        let mut deliveries = Vec::new();
        for event in events {
            for destination in config.destinations.iter().filter(|d| d.wants(event.name, &event.key)) {
                let message =
                    crate::notifications::event_message(bucket, origin, now, event, &destination.id);
                match destination.delivery(message) {
                    Some(delivery) => deliveries.push(delivery),
                    None => tracing::debug!(
                        "s3 notification {} for {}: Lambda destinations are not delivered (no Lambda in Nimbus)",
                        event.name,
                        destination.arn
                    ),
                }
            }
        }
        self.events.send(deliveries);
    }

    /// Notes a change the lifecycle sweeper must look at (call after the commit).
    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The account requests without a known caller act as.
    pub fn with_default_account(mut self, account: impl Into<String>) -> Self {
        self.default_account = account.into();
        self
    }

    /// The region requests whose signature names none are in.
    pub fn with_default_region(mut self, region: impl Into<String>) -> Self {
        self.default_region = region.into();
        self
    }

    fn account<T>(&self, req: &S3Request<T>) -> String {
        req.extensions
            .get::<Caller>()
            .map_or_else(|| self.default_account.clone(), |c| c.account_id.clone())
    }

    fn region<T>(&self, req: &S3Request<T>) -> String {
        req.region
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .or_else(|| {
                req.extensions
                    .get::<Caller>()
                    .and_then(|c| c.region.clone())
            })
            .unwrap_or_else(|| self.default_region.clone())
    }

    fn now_ms(&self) -> i64 {
        self.clock.now_millis()
    }

    /// The bucket, if it exists. Whether `account` may use it was decided before the backend
    /// ran (`access.rs`, called by `NimbusAccess`: ownership, bucket policy, ACLs), so a
    /// backend used without that access check enforces nothing.
    fn bucket_for(&self, name: &str, account: &str) -> S3Result<BucketRecord> {
        let _ = account;
        self.store
            .get_shared::<BucketRecord>(BUCKET_SCOPE, name)
            .map_err(store_error)?
            .map(std::sync::Arc::unwrap_or_clone)
            .ok_or_else(|| no_such_bucket(name))
    }

    /// Deletes blobs no record references any more (after the commit that dropped them).
    fn delete_blobs(&self, blobs: impl IntoIterator<Item = BlobId>) {
        for blob in blobs {
            if let Err(e) = self.store.blobs().delete(&blob) {
                tracing::warn!("could not delete blob {blob}: {e}");
            }
        }
    }
}

/// Errors from inside a store transaction: the operation's own, or the store's.
enum TxError {
    S3(S3Error),
    Store(StoreError),
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

impl From<S3Error> for TxError {
    fn from(e: S3Error) -> Self {
        TxError::S3(e)
    }
}

impl From<TxError> for S3Error {
    fn from(e: TxError) -> Self {
        match e {
            TxError::S3(e) => e,
            TxError::Store(e) => store_error(e),
        }
    }
}

pub(crate) fn ts(ms: i64) -> Timestamp {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::from(t)
}

fn ts_ms(t: &Timestamp) -> i64 {
    let t: time::OffsetDateTime = t.clone().into();
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn no_such_bucket(name: &str) -> S3Error {
    let _ = name;
    S3Error::with_message(
        S3ErrorCode::NoSuchBucket,
        "The specified bucket does not exist",
    )
}

fn no_such_key() -> S3Error {
    S3Error::with_message(S3ErrorCode::NoSuchKey, "The specified key does not exist.")
}

fn no_such_upload() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

fn access_denied() -> S3Error {
    S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied")
}

fn invalid_argument(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message.into())
}

fn precondition_failed() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold",
    )
}

fn not_modified() -> S3Error {
    S3Error::new(S3ErrorCode::NotModified)
}

fn invalid_tag(message: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidTag, message.to_owned())
}

fn owner(account: &str) -> Owner {
    Owner {
        display_name: Some(account.to_owned()),
        id: Some(crate::acl::canonical_id(account)),
    }
}

#[async_trait::async_trait]
impl S3 for S3Backend {
    // ---- buckets ----
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let name = req.input.bucket.clone();
        let before = self
            .store
            .get::<BucketRecord>(BUCKET_SCOPE, &name)
            .map_err(store_error)?;
        let ownership = req
            .input
            .object_ownership
            .as_ref()
            .map(|o| o.as_str().to_owned());
        let input = &req.input;
        let canned = input.acl.as_ref().map(|a| a.as_str().to_owned());
        let headers = [
            input.grant_full_control.clone(),
            input.grant_read.clone(),
            input.grant_read_acp.clone(),
            input.grant_write.clone(),
            input.grant_write_acp.clone(),
        ];
        let out = self.op_create_bucket(req)?;
        let created = self
            .store
            .get::<BucketRecord>(BUCKET_SCOPE, &name)
            .map_err(store_error)?;
        if let Some(bucket) = created
            && before.is_none_or(|b| b.id != bucket.id)
        {
            let [full_control, read, read_acp, write, write_acp] = &headers;
            let acl = access_config::AclInput {
                canned: canned.as_deref(),
                headers: crate::acl::GrantHeaders {
                    full_control: full_control.as_deref(),
                    read: read.as_deref(),
                    read_acp: read_acp.as_deref(),
                    write: write.as_deref(),
                    write_acp: write_acp.as_deref(),
                },
                body: None,
            };
            if let Err(e) = self.init_bucket_access(&bucket, ownership.as_deref(), &acl) {
                // The request's ACL is refused: the bucket is not created after all.
                let _ = self.store.transaction(|txn| {
                    txn.delete::<BucketRecord>(BUCKET_SCOPE, &name)?;
                    crate::records::delete_bucket_configs(txn, &bucket.id)
                });
                return Err(e);
            }
        }
        Ok(out)
    }
    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let bucket = self
            .store
            .get::<BucketRecord>(BUCKET_SCOPE, &req.input.bucket)
            .map_err(store_error)?;
        let out = self.op_delete_bucket(req)?;
        if let Some(bucket) = bucket {
            self.request_metrics.forget(&bucket.name);
            crate::bucket_config::delete_object_acls(&self.store, &bucket.id)
                .map_err(store_error)?;
        }
        Ok(out)
    }
    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.op_head_bucket(req)
    }
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.op_list_buckets(req)
    }
    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.op_get_bucket_location(req)
    }
    async fn put_bucket_tagging(
        &self,
        req: S3Request<PutBucketTaggingInput>,
    ) -> S3Result<S3Response<PutBucketTaggingOutput>> {
        self.op_put_bucket_tagging(req)
    }
    async fn get_bucket_tagging(
        &self,
        req: S3Request<GetBucketTaggingInput>,
    ) -> S3Result<S3Response<GetBucketTaggingOutput>> {
        self.op_get_bucket_tagging(req)
    }
    async fn delete_bucket_tagging(
        &self,
        req: S3Request<DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<DeleteBucketTaggingOutput>> {
        self.op_delete_bucket_tagging(req)
    }

    // ---- versioning and lifecycle ----
    async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        self.op_put_bucket_versioning(req)
    }
    async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        self.op_get_bucket_versioning(req)
    }
    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        self.op_list_object_versions(req)
    }
    async fn put_bucket_lifecycle_configuration(
        &self,
        req: S3Request<PutBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketLifecycleConfigurationOutput>> {
        self.op_put_bucket_lifecycle_configuration(req)
    }
    async fn get_bucket_lifecycle_configuration(
        &self,
        req: S3Request<GetBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketLifecycleConfigurationOutput>> {
        self.op_get_bucket_lifecycle_configuration(req)
    }
    async fn delete_bucket_lifecycle(
        &self,
        req: S3Request<DeleteBucketLifecycleInput>,
    ) -> S3Result<S3Response<DeleteBucketLifecycleOutput>> {
        self.op_delete_bucket_lifecycle(req)
    }

    // ---- encryption and object lock ----
    async fn put_bucket_encryption(
        &self,
        req: S3Request<PutBucketEncryptionInput>,
    ) -> S3Result<S3Response<PutBucketEncryptionOutput>> {
        self.op_put_bucket_encryption(req)
    }
    async fn get_bucket_encryption(
        &self,
        req: S3Request<GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
        self.op_get_bucket_encryption(req)
    }
    async fn delete_bucket_encryption(
        &self,
        req: S3Request<DeleteBucketEncryptionInput>,
    ) -> S3Result<S3Response<DeleteBucketEncryptionOutput>> {
        self.op_delete_bucket_encryption(req)
    }
    async fn put_object_lock_configuration(
        &self,
        req: S3Request<PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<PutObjectLockConfigurationOutput>> {
        self.op_put_object_lock_configuration(req)
    }
    async fn get_object_lock_configuration(
        &self,
        req: S3Request<GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
        self.op_get_object_lock_configuration(req)
    }
    async fn put_object_retention(
        &self,
        req: S3Request<PutObjectRetentionInput>,
    ) -> S3Result<S3Response<PutObjectRetentionOutput>> {
        self.op_put_object_retention(req)
    }
    async fn get_object_retention(
        &self,
        req: S3Request<GetObjectRetentionInput>,
    ) -> S3Result<S3Response<GetObjectRetentionOutput>> {
        self.op_get_object_retention(req)
    }
    async fn put_object_legal_hold(
        &self,
        req: S3Request<PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<PutObjectLegalHoldOutput>> {
        self.op_put_object_legal_hold(req)
    }
    async fn get_object_legal_hold(
        &self,
        req: S3Request<GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<GetObjectLegalHoldOutput>> {
        self.op_get_object_legal_hold(req)
    }
    async fn get_object_attributes(
        &self,
        req: S3Request<GetObjectAttributesInput>,
    ) -> S3Result<S3Response<GetObjectAttributesOutput>> {
        self.op_get_object_attributes(req)
    }

    // ---- objects ----
    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let i = &req.input;
        let (bucket, acl) = self.object_write_acl(
            &req,
            &i.bucket,
            i.acl.as_ref(),
            [
                &i.grant_full_control,
                &i.grant_read,
                &i.grant_read_acp,
                &i.grant_write_acp,
            ],
        )?;
        let key = i.key.clone();
        let out = self.op_put_object(req).await?;
        self.set_object_acl(&bucket, &key, &acl)?;
        Ok(out)
    }
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.op_get_object(req)
    }
    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.op_head_object(req)
    }
    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket_name, key) = (req.input.bucket.clone(), req.input.key.clone());
        let out = self.op_delete_object(req)?;
        self.forget_object_acls(&bucket_name, [key])?;
        Ok(out)
    }
    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket_name = req.input.bucket.clone();
        let out = self.op_delete_objects(req)?;
        let deleted = out
            .output
            .deleted
            .iter()
            .flatten()
            .filter_map(|d| d.key.clone());
        self.forget_object_acls(&bucket_name, deleted)?;
        Ok(out)
    }
    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let i = &req.input;
        let (bucket, acl) = self.object_write_acl(
            &req,
            &i.bucket,
            i.acl.as_ref(),
            [
                &i.grant_full_control,
                &i.grant_read,
                &i.grant_read_acp,
                &i.grant_write_acp,
            ],
        )?;
        let key = i.key.clone();
        let out = self.op_copy_object(req).await?;
        self.set_object_acl(&bucket, &key, &acl)?;
        Ok(out)
    }
    async fn put_object_tagging(
        &self,
        req: S3Request<PutObjectTaggingInput>,
    ) -> S3Result<S3Response<PutObjectTaggingOutput>> {
        self.op_put_object_tagging(req)
    }
    async fn get_object_tagging(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<S3Response<GetObjectTaggingOutput>> {
        self.op_get_object_tagging(req)
    }
    async fn delete_object_tagging(
        &self,
        req: S3Request<DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
        self.op_delete_object_tagging(req)
    }

    // ---- listings ----
    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.op_list_objects(req)
    }
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.op_list_objects_v2(req)
    }

    // ---- multipart ----
    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let i = &req.input;
        let (bucket, acl) = self.object_write_acl(
            &req,
            &i.bucket,
            i.acl.as_ref(),
            [
                &i.grant_full_control,
                &i.grant_read,
                &i.grant_read_acp,
                &i.grant_write_acp,
            ],
        )?;
        let out = self.op_create_multipart_upload(req)?;
        if let (Some(acl), Some(upload_id)) = (&acl, &out.output.upload_id) {
            self.store
                .put(&access_config::upload_acl_scope(&bucket.id), upload_id, acl)
                .map_err(store_error)?;
        }
        Ok(out)
    }
    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.op_upload_part(req).await
    }
    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.op_upload_part_copy(req).await
    }
    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket_name, key, upload_id) = (
            req.input.bucket.clone(),
            req.input.key.clone(),
            req.input.upload_id.clone(),
        );
        let out = self.op_complete_multipart_upload(req).await?;
        if let Some(bucket) = self
            .store
            .get::<BucketRecord>(BUCKET_SCOPE, &bucket_name)
            .map_err(store_error)?
        {
            let scope = access_config::upload_acl_scope(&bucket.id);
            let acl = self
                .store
                .get::<crate::bucket_config::AclConfig>(&scope, &upload_id)
                .map_err(store_error)?;
            self.set_object_acl(&bucket, &key, &acl)?;
            self.store
                .delete::<crate::bucket_config::AclConfig>(&scope, &upload_id)
                .map_err(store_error)?;
        }
        Ok(out)
    }
    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.op_abort_multipart_upload(req)
    }
    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        self.op_list_multipart_uploads(req)
    }
    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.op_list_parts(req)
    }

    // ---- access control ----
    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        self.op_put_bucket_policy(req)
    }
    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        self.op_get_bucket_policy(req)
    }
    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        self.op_delete_bucket_policy(req)
    }
    async fn get_bucket_policy_status(
        &self,
        req: S3Request<GetBucketPolicyStatusInput>,
    ) -> S3Result<S3Response<GetBucketPolicyStatusOutput>> {
        self.op_get_bucket_policy_status(req)
    }
    async fn put_bucket_acl(
        &self,
        req: S3Request<PutBucketAclInput>,
    ) -> S3Result<S3Response<PutBucketAclOutput>> {
        self.op_put_bucket_acl(req)
    }
    async fn get_bucket_acl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<S3Response<GetBucketAclOutput>> {
        self.op_get_bucket_acl(req)
    }
    async fn put_object_acl(
        &self,
        req: S3Request<PutObjectAclInput>,
    ) -> S3Result<S3Response<PutObjectAclOutput>> {
        self.op_put_object_acl(req)
    }
    async fn get_object_acl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        self.op_get_object_acl(req)
    }
    async fn put_bucket_ownership_controls(
        &self,
        req: S3Request<PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<PutBucketOwnershipControlsOutput>> {
        self.op_put_bucket_ownership_controls(req)
    }
    async fn get_bucket_ownership_controls(
        &self,
        req: S3Request<GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<GetBucketOwnershipControlsOutput>> {
        self.op_get_bucket_ownership_controls(req)
    }
    async fn delete_bucket_ownership_controls(
        &self,
        req: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<DeleteBucketOwnershipControlsOutput>> {
        self.op_delete_bucket_ownership_controls(req)
    }
    async fn put_public_access_block(
        &self,
        req: S3Request<PutPublicAccessBlockInput>,
    ) -> S3Result<S3Response<PutPublicAccessBlockOutput>> {
        self.op_put_public_access_block(req)
    }
    async fn get_public_access_block(
        &self,
        req: S3Request<GetPublicAccessBlockInput>,
    ) -> S3Result<S3Response<GetPublicAccessBlockOutput>> {
        self.op_get_public_access_block(req)
    }
    async fn delete_public_access_block(
        &self,
        req: S3Request<DeletePublicAccessBlockInput>,
    ) -> S3Result<S3Response<DeletePublicAccessBlockOutput>> {
        self.op_delete_public_access_block(req)
    }

    // ---- notifications ----
    async fn put_bucket_notification_configuration(
        &self,
        req: S3Request<PutBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketNotificationConfigurationOutput>> {
        self.op_put_bucket_notification_configuration(req).await
    }
    async fn get_bucket_notification_configuration(
        &self,
        req: S3Request<GetBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketNotificationConfigurationOutput>> {
        self.op_get_bucket_notification_configuration(req)
    }

    // ---- request metrics ----
    async fn put_bucket_metrics_configuration(
        &self,
        req: S3Request<PutBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketMetricsConfigurationOutput>> {
        self.op_put_bucket_metrics_configuration(req)
    }
    async fn get_bucket_metrics_configuration(
        &self,
        req: S3Request<GetBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketMetricsConfigurationOutput>> {
        self.op_get_bucket_metrics_configuration(req)
    }
    async fn delete_bucket_metrics_configuration(
        &self,
        req: S3Request<DeleteBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<DeleteBucketMetricsConfigurationOutput>> {
        self.op_delete_bucket_metrics_configuration(req)
    }
    async fn list_bucket_metrics_configurations(
        &self,
        req: S3Request<ListBucketMetricsConfigurationsInput>,
    ) -> S3Result<S3Response<ListBucketMetricsConfigurationsOutput>> {
        self.op_list_bucket_metrics_configurations(req)
    }

    // ---- CORS and website ----
    async fn put_bucket_cors(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<S3Response<PutBucketCorsOutput>> {
        self.op_put_bucket_cors(req)
    }
    async fn get_bucket_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        self.op_get_bucket_cors(req)
    }
    async fn delete_bucket_cors(
        &self,
        req: S3Request<DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<DeleteBucketCorsOutput>> {
        self.op_delete_bucket_cors(req)
    }
    async fn put_bucket_website(
        &self,
        req: S3Request<PutBucketWebsiteInput>,
    ) -> S3Result<S3Response<PutBucketWebsiteOutput>> {
        self.op_put_bucket_website(req)
    }
    async fn get_bucket_website(
        &self,
        req: S3Request<GetBucketWebsiteInput>,
    ) -> S3Result<S3Response<GetBucketWebsiteOutput>> {
        self.op_get_bucket_website(req)
    }
    async fn delete_bucket_website(
        &self,
        req: S3Request<DeleteBucketWebsiteInput>,
    ) -> S3Result<S3Response<DeleteBucketWebsiteOutput>> {
        self.op_delete_bucket_website(req)
    }
}

impl S3Backend {
    /// Checks the ACL an object write carries, before the body is read; what to store after.
    fn object_write_acl<T>(
        &self,
        req: &S3Request<T>,
        bucket: &str,
        canned: Option<&ObjectCannedACL>,
        [full_control, read, read_acp, write_acp]: [&Option<String>; 4],
    ) -> S3Result<(BucketRecord, access_config::AclOutcome)> {
        let bucket = self.bucket_for(bucket, &self.account(req))?;
        let input = access_config::AclInput {
            canned: canned.map(ObjectCannedACL::as_str),
            headers: crate::acl::GrantHeaders {
                full_control: full_control.as_deref(),
                read: read.as_deref(),
                read_acp: read_acp.as_deref(),
                write: None,
                write_acp: write_acp.as_deref(),
            },
            body: None,
        };
        let acl = self.acl_for_write(&bucket, &self.account(req), &input)?;
        Ok((bucket, acl))
    }

    /// Drops the ACLs of deleted objects.
    fn forget_object_acls(
        &self,
        bucket: &str,
        keys: impl IntoIterator<Item = String>,
    ) -> S3Result<()> {
        let Some(bucket) = self
            .store
            .get::<BucketRecord>(BUCKET_SCOPE, bucket)
            .map_err(store_error)?
        else {
            return Ok(());
        };
        let scope = crate::bucket_config::object_acl_scope(&bucket.id);
        for key in keys {
            self.store
                .delete::<crate::bucket_config::AclConfig>(&scope, &key)
                .map_err(store_error)?;
        }
        Ok(())
    }
}

/// The operations (as named in the S3 model) that [`S3Backend`] implements.
pub const OPERATIONS: &[&str] = &[
    "AbortMultipartUpload",
    "CompleteMultipartUpload",
    "CopyObject",
    "CreateBucket",
    "CreateMultipartUpload",
    "DeleteBucket",
    "DeleteBucketCors",
    "DeleteBucketEncryption",
    "DeleteBucketLifecycle",
    "DeleteBucketMetricsConfiguration",
    "DeleteBucketOwnershipControls",
    "DeleteBucketPolicy",
    "DeleteBucketTagging",
    "DeleteBucketWebsite",
    "DeleteObject",
    "DeleteObjectTagging",
    "DeleteObjects",
    "DeletePublicAccessBlock",
    "GetBucketAcl",
    "GetBucketCors",
    "GetBucketEncryption",
    "GetBucketLifecycleConfiguration",
    "GetBucketLocation",
    "GetBucketMetricsConfiguration",
    "GetBucketNotificationConfiguration",
    "GetBucketOwnershipControls",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketTagging",
    "GetBucketVersioning",
    "GetBucketWebsite",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectLockConfiguration",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetPublicAccessBlock",
    "HeadBucket",
    "HeadObject",
    "ListBucketMetricsConfigurations",
    "ListBuckets",
    "ListMultipartUploads",
    "ListObjectVersions",
    "ListObjects",
    "ListObjectsV2",
    "ListParts",
    "PutBucketAcl",
    "PutBucketCors",
    "PutBucketEncryption",
    "PutBucketLifecycleConfiguration",
    "PutBucketMetricsConfiguration",
    "PutBucketNotificationConfiguration",
    "PutBucketOwnershipControls",
    "PutBucketPolicy",
    "PutBucketTagging",
    "PutBucketVersioning",
    "PutBucketWebsite",
    "PutObject",
    "PutObjectAcl",
    "PutObjectLegalHold",
    "PutObjectLockConfiguration",
    "PutObjectRetention",
    "PutObjectTagging",
    "PutPublicAccessBlock",
    "UploadPart",
    "UploadPartCopy",
];
