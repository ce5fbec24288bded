//! Buckets: create, delete, head, list, location, tagging.

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::multipart::drop_parts;
use super::{S3Backend, TxError, access_denied, invalid_tag, no_such_bucket, owner, ts};
use crate::io::store_error;
use crate::records::{BUCKET_SCOPE, BucketRecord, ObjectRecord, Tags, UploadRecord, VersionRecord};
use crate::records::{ObjectLockConfig, VersioningConfig, set_config};
use crate::records::{delete_bucket_configs, object_scope, upload_scope, version_scope};

const US_EAST_1: &str = "us-east-1";
const MAX_BUCKET_TAGS: usize = 50;

impl S3Backend {
    pub(super) fn op_create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let account = self.account(&req);
        let endpoint_region = self.region(&req);
        let name = req.input.bucket.clone();
        let constraint = req
            .input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|c| c.as_str().to_owned())
            .filter(|c| !c.is_empty());
        let region = match constraint.as_deref() {
            None if endpoint_region == US_EAST_1 => US_EAST_1.to_owned(),
            None => {
                return Err(S3Error::with_message(
                    S3ErrorCode::IllegalLocationConstraintException,
                    "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
                ));
            }
            Some(US_EAST_1) => {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidLocationConstraint,
                    "The specified location-constraint is not valid",
                ));
            }
            Some(c) => {
                let wanted = if c == "EU" { "eu-west-1" } else { c };
                if wanted != endpoint_region {
                    return Err(S3Error::with_message(
                        S3ErrorCode::IllegalLocationConstraintException,
                        format!(
                            "The {c} location constraint is incompatible for the region specific endpoint this request was sent to."
                        ),
                    ));
                }
                wanted.to_owned()
            }
        };
        let record = BucketRecord {
            id: nimbus_core::ids::uuid(),
            name: name.clone(),
            owner_account: account.clone(),
            region: region.clone(),
            created_ms: self.now_ms(),
            tags: None,
        };
        let object_lock = req.input.object_lock_enabled_for_bucket.unwrap_or(false);
        // The bucket and, with Object Lock, its lock and versioning configurations: one commit.
        let inserted = self
            .store
            .transaction(|txn| -> Result<bool, nimbus_store::StoreError> {
                if !txn.insert(BUCKET_SCOPE, &name, &record)? {
                    return Ok(false);
                }
                if object_lock {
                    let lock = ObjectLockConfig {
                        enabled: true,
                        default_mode: None,
                        default_days: None,
                        default_years: None,
                    };
                    set_config(txn, &record.id, Some(&lock))?;
                    let versioning = VersioningConfig {
                        status: "Enabled".to_owned(),
                        mfa_delete: None,
                    };
                    set_config(txn, &record.id, Some(&versioning))?;
                }
                Ok(true)
            })
            .map_err(store_error)?;
        if !inserted {
            let existing = self
                .store
                .get::<BucketRecord>(BUCKET_SCOPE, &name)
                .map_err(store_error)?;
            match existing {
                Some(b) if b.owner_account == account => {
                    // us-east-1 keeps its legacy answer: re-creating your own bucket succeeds.
                    if !(b.region == US_EAST_1 && region == US_EAST_1) {
                        return Err(S3Error::with_message(
                            S3ErrorCode::BucketAlreadyOwnedByYou,
                            "Your previous request to create the named bucket succeeded and you already own it.",
                        ));
                    }
                }
                Some(_) => {
                    return Err(S3Error::with_message(
                        S3ErrorCode::BucketAlreadyExists,
                        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
                    ));
                }
                None => {
                    return Err(store_error(nimbus_store::StoreError::Corrupt(
                        "bucket vanished".into(),
                    )));
                }
            }
        }
        let location = if region == US_EAST_1 {
            format!("/{name}")
        } else {
            format!("http://{name}.s3.amazonaws.com/")
        };
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(location),
        }))
    }

    pub(super) fn op_delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let account = self.account(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        let uploads = self.store.transaction(|txn| -> Result<_, TxError> {
            // Noncurrent versions and delete markers count: S3 refuses those buckets too.
            if !txn
                .list::<ObjectRecord>(&object_scope(&bucket.id), "", None, 1)?
                .is_empty()
                || !txn
                    .list::<VersionRecord>(&version_scope(&bucket.id), "", None, 1)?
                    .is_empty()
            {
                return Err(S3Error::with_message(
                    S3ErrorCode::BucketNotEmpty,
                    "The bucket you tried to delete is not empty",
                )
                .into());
            }
            // In-progress multipart uploads go with the bucket.
            let uploads =
                txn.list::<UploadRecord>(&upload_scope(&bucket.id), "", None, usize::MAX)?;
            let mut blobs = Vec::new();
            for (upload_id, _) in &uploads {
                blobs.extend(drop_parts(txn, upload_id)?);
                txn.delete::<UploadRecord>(&upload_scope(&bucket.id), upload_id)?;
            }
            delete_bucket_configs(txn, &bucket.id)?;
            txn.delete::<BucketRecord>(BUCKET_SCOPE, &bucket.name)?;
            Ok(blobs)
        })?;
        self.delete_blobs(uploads);
        self.changed();
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    pub(super) fn op_head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let account = self.account(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(bucket.region),
            ..Default::default()
        }))
    }

    pub(super) fn op_list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let account = self.account(&req);
        let input = &req.input;
        let max = match input.max_buckets {
            None => 10_000,
            Some(n) if (1..=10_000).contains(&n) => n as usize,
            Some(_) => {
                return Err(super::invalid_argument(
                    "Max buckets must be between 1 and 10000.",
                ));
            }
        };
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = match &input.continuation_token {
            Some(token) => Some(decode_token(token)?),
            None => None,
        };
        let mut buckets = Vec::new();
        let mut cursor = after;
        let mut truncated = false;
        'outer: loop {
            let page = self
                .store
                .list::<BucketRecord>(BUCKET_SCOPE, &prefix, cursor.as_deref(), 1000)
                .map_err(store_error)?;
            let Some((last, _)) = page.last() else { break };
            cursor = Some(last.clone());
            for (_, b) in page {
                if b.owner_account != account {
                    continue;
                }
                if input.bucket_region.as_ref().is_some_and(|r| *r != b.region) {
                    continue;
                }
                if buckets.len() == max {
                    truncated = true;
                    break 'outer;
                }
                buckets.push(b);
            }
        }
        let continuation_token = (truncated && !buckets.is_empty())
            .then(|| encode_token(&buckets.last().map(|b| b.name.clone()).unwrap_or_default()));
        let out = ListBucketsOutput {
            buckets: Some(
                buckets
                    .into_iter()
                    .map(|b| Bucket {
                        name: Some(b.name),
                        creation_date: Some(ts(b.created_ms)),
                        bucket_region: Some(b.region),
                    })
                    .collect(),
            ),
            continuation_token,
            owner: Some(owner(&account)),
            prefix: input.prefix.clone(),
        };
        Ok(S3Response::new(out))
    }

    pub(super) fn op_get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let account = self.account(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        let location_constraint = (bucket.region != US_EAST_1)
            .then(|| BucketLocationConstraint::from(bucket.region.clone()));
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint,
        }))
    }

    pub(super) fn op_put_bucket_tagging(
        &self,
        req: S3Request<PutBucketTaggingInput>,
    ) -> S3Result<S3Response<PutBucketTaggingOutput>> {
        let account = self.account(&req);
        let tags = validate_tags(&req.input.tagging.tag_set, MAX_BUCKET_TAGS)?;
        let name = req.input.bucket.clone();
        self.update_bucket(&name, &account, |b| b.tags = Some(tags))?;
        Ok(S3Response::new(PutBucketTaggingOutput {}))
    }

    pub(super) fn op_get_bucket_tagging(
        &self,
        req: S3Request<GetBucketTaggingInput>,
    ) -> S3Result<S3Response<GetBucketTaggingOutput>> {
        let account = self.account(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        match bucket.tags {
            Some(tags) if !tags.is_empty() => Ok(S3Response::new(GetBucketTaggingOutput {
                tag_set: to_tag_set(&tags),
            })),
            _ => Err(S3Error::with_message(
                S3ErrorCode::NoSuchTagSet,
                "The TagSet does not exist",
            )),
        }
    }

    pub(super) fn op_delete_bucket_tagging(
        &self,
        req: S3Request<DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<DeleteBucketTaggingOutput>> {
        let account = self.account(&req);
        let name = req.input.bucket.clone();
        self.update_bucket(&name, &account, |b| b.tags = None)?;
        Ok(S3Response::new(DeleteBucketTaggingOutput {}))
    }

    fn update_bucket(
        &self,
        name: &str,
        account: &str,
        change: impl FnOnce(&mut BucketRecord),
    ) -> S3Result<()> {
        self.store.transaction(|txn| -> Result<(), TxError> {
            let mut bucket = txn
                .get::<BucketRecord>(BUCKET_SCOPE, name)?
                .ok_or_else(|| no_such_bucket(name))?;
            if bucket.owner_account != account {
                return Err(access_denied().into());
            }
            change(&mut bucket);
            txn.put(BUCKET_SCOPE, name, &bucket)?;
            Ok(())
        })?;
        Ok(())
    }
}

/// Checks a tag set as S3 does and converts it to stored form.
pub(super) fn validate_tags(tag_set: &[Tag], max: usize) -> S3Result<Tags> {
    if tag_set.len() > max {
        return Err(invalid_tag(if max == 10 {
            "Object tags cannot be greater than 10"
        } else {
            "Bucket tag count cannot be greater than 50"
        }));
    }
    let mut out: Tags = Vec::with_capacity(tag_set.len());
    for tag in tag_set {
        let key = tag.key.clone().unwrap_or_default();
        let value = tag.value.clone().unwrap_or_default();
        check_tag(&key, &value)?;
        if out.iter().any(|(k, _)| *k == key) {
            return Err(invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
        out.push((key, value));
    }
    Ok(out)
}

pub(super) fn check_tag(key: &str, value: &str) -> S3Result<()> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err(invalid_tag("The TagKey you have provided is invalid"));
    }
    if value.chars().count() > 256 {
        return Err(invalid_tag("The TagValue you have provided is invalid"));
    }
    Ok(())
}

pub(super) fn to_tag_set(tags: &Tags) -> TagSet {
    tags.iter()
        .map(|(k, v)| Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

/// Continuation tokens are opaque to clients: base64 of the position to continue after.
pub(super) fn encode_token(after: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(after.as_bytes())
}

pub(super) fn decode_token(token: &str) -> S3Result<String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(token.as_bytes())
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .ok_or_else(|| super::invalid_argument("The continuation token provided is incorrect"))
}
