//! Default bucket encryption (Put/Get/DeleteBucketEncryption) and the key material of reads.

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::S3Backend;
use crate::io::{Layout, store_error};
use crate::records::{BucketRecord, EncryptionConfig, ObjectRecord, Sse, get_config};
use crate::sse::{self, AES256, CustomerKey, KMS, KMS_DSSE};

impl S3Backend {
    /// The bucket's default encryption, if one was put.
    pub(super) fn default_encryption(&self, bucket: &BucketRecord) -> S3Result<Option<EncryptionConfig>> {
        get_config::<EncryptionConfig>(&self.store, &bucket.id).map_err(store_error)
    }

    /// How to read an object's plaintext: `None` for bodies stored in plaintext. Checks the
    /// SSE-C key the request gave against the object.
    pub(super) fn read_layout(
        &self,
        bucket: &BucketRecord,
        key: &str,
        obj: &ObjectRecord,
        customer: Option<&CustomerKey>,
    ) -> S3Result<Option<Layout>> {
        let Some(enc) = &obj.encryption else {
            sse::check_plain_read(customer)?;
            return Ok(None);
        };
        let scope = self.key_scope(bucket, key);
        let base = sse::base_key(&scope, &enc.sse, enc.wrapped_key.as_deref(), customer)?;
        Layout::new(base, &enc.segments).map(Some)
    }

    /// The SSE-C checks of a read that returns no body (HEAD, GetObjectAttributes): the
    /// customer key must fit, but no data key is unwrapped, so KMS is not asked (as on AWS,
    /// metadata reads work while the object's KMS key is disabled).
    pub(super) fn check_read_key(&self, obj: &ObjectRecord, customer: Option<&CustomerKey>) -> S3Result<()> {
        let Some(enc) = &obj.encryption else {
            return sse::check_plain_read(customer);
        };
        match (&enc.sse, customer) {
            (Sse::Customer { .. }, None) => Err(sse::needs_key_error()),
            (sse @ Sse::Customer { .. }, Some(c)) if c.matches(sse) => Ok(()),
            (Sse::Customer { .. }, Some(_)) => Err(S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied")),
            (_, Some(_)) => Err(sse::not_applicable_error()),
            (_, None) => Ok(()),
        }
    }

    pub(super) fn op_put_bucket_encryption(
        &self,
        req: S3Request<PutBucketEncryptionInput>,
    ) -> S3Result<S3Response<PutBucketEncryptionOutput>> {
        let account = self.account(&req);
        let rules = &req.input.server_side_encryption_configuration.rules;
        let malformed = || {
            S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        };
        let [rule] = rules.as_slice() else {
            return Err(malformed());
        };
        let by_default = rule
            .apply_server_side_encryption_by_default
            .as_ref()
            .ok_or_else(malformed)?;
        let algorithm = by_default.sse_algorithm.as_str().to_owned();
        if ![AES256, KMS, KMS_DSSE].contains(&algorithm.as_str()) {
            return Err(malformed());
        }
        if algorithm == AES256 && by_default.kms_master_key_id.is_some() {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
            ));
        }
        let config = EncryptionConfig {
            algorithm,
            kms_key_id: by_default.kms_master_key_id.clone(),
            bucket_key: rule.bucket_key_enabled.unwrap_or(false),
        };
        self.set_bucket_config(&req.input.bucket, &account, Some(&config))?;
        Ok(S3Response::new(PutBucketEncryptionOutput::default()))
    }

    /// Every bucket has a default encryption since January 2023: without one put, SSE-S3.
    pub(super) fn op_get_bucket_encryption(
        &self,
        req: S3Request<GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
        let account = self.account(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        let config = self.default_encryption(&bucket)?.unwrap_or(EncryptionConfig {
            algorithm: AES256.to_owned(),
            kms_key_id: None,
            bucket_key: false,
        });
        let rule = ServerSideEncryptionRule {
            apply_server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
                kms_master_key_id: config.kms_key_id,
                sse_algorithm: ServerSideEncryption::from(config.algorithm),
            }),
            bucket_key_enabled: Some(config.bucket_key),
        };
        Ok(S3Response::new(GetBucketEncryptionOutput {
            server_side_encryption_configuration: Some(ServerSideEncryptionConfiguration {
                rules: vec![rule],
            }),
        }))
    }

    /// Removes the configuration: new objects get the SSE-S3 default again.
    pub(super) fn op_delete_bucket_encryption(
        &self,
        req: S3Request<DeleteBucketEncryptionInput>,
    ) -> S3Result<S3Response<DeleteBucketEncryptionOutput>> {
        let account = self.account(&req);
        self.set_bucket_config::<EncryptionConfig>(&req.input.bucket, &account, None)?;
        Ok(S3Response::new(DeleteBucketEncryptionOutput::default()))
    }
}
