//! Access-control sub-resources: bucket policy, ACLs (bucket and object), Object Ownership and
//! Block Public Access; and the ACL side of object writes (`x-amz-acl` and grant headers on
//! PutObject, CopyObject, CreateMultipartUpload), kept in their own records (`bucket_config.rs`)
//! so the object records stay as they are.

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::{S3Backend, no_such_key, owner};
use crate::acl::{self, GrantHeaders, StoredGrant};
use crate::bucket_config::{
    AclConfig, BUCKET_OWNER_ENFORCED, BUCKET_OWNER_PREFERRED, OBJECT_WRITER, OwnershipConfig,
    PolicyConfig, PublicAccessBlockConfig, get_config, object_acl_scope, set_config,
};
use crate::io::store_error;
use crate::policy::Policy;
use crate::records::BucketRecord;

const BUCKET_OWNER_FULL_CONTROL: &str = "bucket-owner-full-control";

/// Where the ACL an upload was created with waits for CompleteMultipartUpload.
pub(super) fn upload_acl_scope(bucket_id: &str) -> String {
    format!("au/{bucket_id}")
}

fn acl_not_supported() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::AccessControlListNotSupported,
        "The bucket does not allow ACLs",
    )
}

fn custom_error(code: &str, status: http::StatusCode, message: &str) -> S3Error {
    let code: S3ErrorCode = code.parse().unwrap_or(S3ErrorCode::InternalError);
    let mut e = S3Error::with_message(code, message.to_owned());
    e.set_status_code(status);
    e
}

/// An ACL given with a write: a canned name, grant headers, or (Put*Acl) a body.
pub(super) struct AclInput<'a> {
    pub canned: Option<&'a str>,
    pub headers: GrantHeaders<'a>,
    pub body: Option<&'a AccessControlPolicy>,
}

impl AclInput<'_> {
    fn is_empty(&self) -> bool {
        self.canned.is_none() && self.headers.is_empty() && self.body.is_none()
    }
}

/// What to store after a write: the ACL record to put, or `None` to remove any (the default
/// private ACL, or ACLs disabled).
pub(super) type AclOutcome = Option<AclConfig>;

impl S3Backend {
    fn ownership(&self, bucket: &BucketRecord) -> S3Result<Option<OwnershipConfig>> {
        get_config::<OwnershipConfig>(&self.store, &bucket.id).map_err(store_error)
    }

    fn public_access_block(&self, bucket: &BucketRecord) -> S3Result<PublicAccessBlockConfig> {
        Ok(
            get_config::<PublicAccessBlockConfig>(&self.store, &bucket.id)
                .map_err(store_error)?
                .unwrap_or_default(),
        )
    }

    /// Checks an ACL a request sets (Object Ownership, then Block Public Access) and resolves
    /// who owns the resource written. `writer`: the caller's account.
    pub(super) fn acl_for_write(
        &self,
        bucket: &BucketRecord,
        writer: &str,
        input: &AclInput<'_>,
    ) -> S3Result<AclOutcome> {
        let ownership = self.ownership(bucket)?;
        let mode = ownership
            .as_ref()
            .map_or(OBJECT_WRITER, |o| o.object_ownership.as_str());
        let bucket_owner = bucket.owner_account.as_str();
        let owner = match mode {
            BUCKET_OWNER_ENFORCED => bucket_owner,
            BUCKET_OWNER_PREFERRED if input.canned == Some(BUCKET_OWNER_FULL_CONTROL) => {
                bucket_owner
            }
            _ => writer,
        };
        if input.is_empty() {
            return Ok((owner != bucket_owner).then(|| AclConfig {
                owner_account: owner.to_owned(),
                grants: acl::canned("private", owner, bucket_owner).unwrap_or_default(),
            }));
        }
        let grants = resolve_grants(input, owner, bucket_owner)?;
        if mode == BUCKET_OWNER_ENFORCED {
            let owner_only = input.canned == Some(BUCKET_OWNER_FULL_CONTROL)
                || acl::is_bucket_owner_full_control(&grants, bucket_owner);
            return if owner_only {
                Ok(None)
            } else {
                Err(acl_not_supported())
            };
        }
        if self.public_access_block(bucket)?.block_public_acls && acl::is_public(&grants) {
            return Err(super::access_denied());
        }
        let default = owner == bucket_owner && acl::is_bucket_owner_full_control(&grants, owner);
        Ok((!default).then(|| AclConfig {
            owner_account: owner.to_owned(),
            grants,
        }))
    }

    /// Stores (or clears) an object's ACL after the object was written.
    pub(super) fn set_object_acl(
        &self,
        bucket: &BucketRecord,
        key: &str,
        acl: &AclOutcome,
    ) -> S3Result<()> {
        let scope = object_acl_scope(&bucket.id);
        match acl {
            Some(acl) => self.store.put(&scope, key, acl).map_err(store_error),
            // Most objects never had an ACL: a read first spares every such PUT a second commit.
            None => match self.store.get::<AclConfig>(&scope, key).map_err(store_error)? {
                None => Ok(()),
                Some(_) => self
                    .store
                    .delete::<AclConfig>(&scope, key)
                    .map(drop)
                    .map_err(store_error),
            },
        }
    }

    /// Settings of a new bucket, as AWS gives them since April 2023: Block Public Access on,
    /// ACLs disabled (unless the request chose an ownership mode), and the request's ACL.
    pub(super) fn init_bucket_access(
        &self,
        bucket: &BucketRecord,
        ownership: Option<&str>,
        acl: &AclInput<'_>,
    ) -> S3Result<()> {
        let mode = ownership.unwrap_or(BUCKET_OWNER_ENFORCED);
        let grants = if acl.is_empty() {
            None
        } else {
            Some(resolve_grants(
                acl,
                &bucket.owner_account,
                &bucket.owner_account,
            )?)
        };
        if let Some(grants) = &grants {
            if mode == BUCKET_OWNER_ENFORCED
                && !acl::is_bucket_owner_full_control(grants, &bucket.owner_account)
            {
                return Err(invalid_bucket_acl_with_ownership());
            }
            // Block Public Access is on for a new bucket: a public ACL cannot be set.
            if acl::is_public(grants) {
                return Err(super::access_denied());
            }
        }
        let set = |r: Result<bool, nimbus_store::StoreError>| r.map(drop).map_err(store_error);
        set(set_config(
            &self.store,
            &bucket.id,
            Some(&PublicAccessBlockConfig::ALL_ON),
        ))?;
        set(set_config(
            &self.store,
            &bucket.id,
            Some(&OwnershipConfig {
                object_ownership: mode.to_owned(),
            }),
        ))?;
        if let Some(grants) = grants
            && !acl::is_bucket_owner_full_control(&grants, &bucket.owner_account)
        {
            let acl = AclConfig {
                owner_account: bucket.owner_account.clone(),
                grants,
            };
            set(set_config(&self.store, &bucket.id, Some(&acl)))?;
        }
        Ok(())
    }

    // ---- bucket policy ----

    pub(super) fn op_put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let policy = Policy::parse(&req.input.policy)
            .map_err(|m| S3Error::with_message(S3ErrorCode::MalformedPolicy, m))?;
        if policy.is_public() && self.public_access_block(&bucket)?.block_public_policy {
            return Err(super::access_denied());
        }
        let config = PolicyConfig {
            document: req.input.policy,
        };
        set_config(&self.store, &bucket.id, Some(&config)).map_err(store_error)?;
        Ok(S3Response::new(PutBucketPolicyOutput {}))
    }

    pub(super) fn op_get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let policy = get_config::<PolicyConfig>(&self.store, &bucket.id)
            .map_err(store_error)?
            .ok_or_else(no_such_bucket_policy)?;
        Ok(S3Response::new(GetBucketPolicyOutput {
            policy: Some(policy.document),
        }))
    }

    pub(super) fn op_delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        set_config::<PolicyConfig>(&self.store, &bucket.id, None).map_err(store_error)?;
        Ok(S3Response::new(DeleteBucketPolicyOutput {}))
    }

    pub(super) fn op_get_bucket_policy_status(
        &self,
        req: S3Request<GetBucketPolicyStatusInput>,
    ) -> S3Result<S3Response<GetBucketPolicyStatusOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let policy = get_config::<PolicyConfig>(&self.store, &bucket.id)
            .map_err(store_error)?
            .ok_or_else(no_such_bucket_policy)?;
        let is_public = Policy::parse(&policy.document).is_ok_and(|p| p.is_public());
        Ok(S3Response::new(GetBucketPolicyStatusOutput {
            policy_status: Some(PolicyStatus {
                is_public: Some(is_public),
            }),
        }))
    }

    // ---- ACLs ----

    pub(super) fn op_put_bucket_acl(
        &self,
        req: S3Request<PutBucketAclInput>,
    ) -> S3Result<S3Response<PutBucketAclOutput>> {
        let account = self.account(&req);
        let input = &req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        let acl_input = AclInput {
            canned: input.acl.as_ref().map(BucketCannedACL::as_str),
            headers: GrantHeaders {
                full_control: input.grant_full_control.as_deref(),
                read: input.grant_read.as_deref(),
                read_acp: input.grant_read_acp.as_deref(),
                write: input.grant_write.as_deref(),
                write_acp: input.grant_write_acp.as_deref(),
            },
            body: input.access_control_policy.as_ref(),
        };
        if acl_input.is_empty() {
            return Err(S3Error::with_message(
                S3ErrorCode::MissingSecurityHeader,
                "Your request was missing a required header",
            ));
        }
        // The bucket's owner is always its creator, whatever the ownership mode.
        let outcome = self.acl_for_write(&bucket, &bucket.owner_account, &acl_input)?;
        set_config(&self.store, &bucket.id, outcome.as_ref()).map_err(store_error)?;
        Ok(S3Response::new(PutBucketAclOutput {}))
    }

    pub(super) fn op_get_bucket_acl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<S3Response<GetBucketAclOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let stored = get_config::<AclConfig>(&self.store, &bucket.id).map_err(store_error)?;
        let (owner_account, grants) = self.effective_acl(&bucket, stored)?;
        Ok(S3Response::new(GetBucketAclOutput {
            grants: Some(grants),
            owner: Some(owner(&owner_account)),
        }))
    }

    pub(super) fn op_put_object_acl(
        &self,
        req: S3Request<PutObjectAclInput>,
    ) -> S3Result<S3Response<PutObjectAclOutput>> {
        let account = self.account(&req);
        let input = &req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        if self.object(&bucket, &input.key)?.is_none() {
            return Err(no_such_key());
        }
        let acl_input = AclInput {
            canned: input.acl.as_ref().map(ObjectCannedACL::as_str),
            headers: GrantHeaders {
                full_control: input.grant_full_control.as_deref(),
                read: input.grant_read.as_deref(),
                read_acp: input.grant_read_acp.as_deref(),
                write: input.grant_write.as_deref(),
                write_acp: input.grant_write_acp.as_deref(),
            },
            body: input.access_control_policy.as_ref(),
        };
        if acl_input.is_empty() {
            return Err(S3Error::with_message(
                S3ErrorCode::MissingSecurityHeader,
                "Your request was missing a required header",
            ));
        }
        // The object keeps its owner; a new ACL does not change it.
        let current = self
            .store
            .get::<AclConfig>(&object_acl_scope(&bucket.id), &input.key)
            .map_err(store_error)?;
        let writer = current.map_or_else(|| bucket.owner_account.clone(), |c| c.owner_account);
        let outcome = self.acl_for_write(&bucket, &writer, &acl_input)?;
        self.set_object_acl(&bucket, &input.key, &outcome)?;
        Ok(S3Response::new(PutObjectAclOutput::default()))
    }

    pub(super) fn op_get_object_acl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        if self.object(&bucket, &req.input.key)?.is_none() {
            return Err(no_such_key());
        }
        let stored = self
            .store
            .get::<AclConfig>(&object_acl_scope(&bucket.id), &req.input.key)
            .map_err(store_error)?;
        let (owner_account, grants) = self.effective_acl(&bucket, stored)?;
        Ok(S3Response::new(GetObjectAclOutput {
            grants: Some(grants),
            owner: Some(owner(&owner_account)),
            request_charged: None,
        }))
    }

    /// The owner and grants a Get*Acl shows: with ACLs disabled always "bucket owner, full
    /// control"; otherwise the stored ACL or the default one.
    fn effective_acl(
        &self,
        bucket: &BucketRecord,
        stored: Option<AclConfig>,
    ) -> S3Result<(String, Vec<Grant>)> {
        let disabled = self.ownership(bucket)?.is_some_and(|o| o.acls_disabled());
        let acl = match stored {
            Some(acl) if !disabled => acl,
            _ => AclConfig {
                owner_account: bucket.owner_account.clone(),
                grants: acl::canned("private", &bucket.owner_account, &bucket.owner_account)?,
            },
        };
        let known = [acl.owner_account.clone(), bucket.owner_account.clone()];
        let grants = acl::to_dto(&acl.grants, |id| {
            known.iter().find(|a| acl::canonical_id(a) == id).cloned()
        });
        Ok((acl.owner_account, grants))
    }

    // ---- Object Ownership ----

    pub(super) fn op_put_bucket_ownership_controls(
        &self,
        req: S3Request<PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<PutBucketOwnershipControlsOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let rules = &req.input.ownership_controls.rules;
        let [rule] = rules.as_slice() else {
            return Err(malformed_xml());
        };
        let mode = rule.object_ownership.as_str();
        if ![BUCKET_OWNER_ENFORCED, BUCKET_OWNER_PREFERRED, OBJECT_WRITER].contains(&mode) {
            return Err(malformed_xml());
        }
        if mode == BUCKET_OWNER_ENFORCED
            && let Some(acl) =
                get_config::<AclConfig>(&self.store, &bucket.id).map_err(store_error)?
            && !acl::is_bucket_owner_full_control(&acl.grants, &bucket.owner_account)
        {
            return Err(invalid_bucket_acl_with_ownership());
        }
        let config = OwnershipConfig {
            object_ownership: mode.to_owned(),
        };
        set_config(&self.store, &bucket.id, Some(&config)).map_err(store_error)?;
        Ok(S3Response::new(PutBucketOwnershipControlsOutput {}))
    }

    pub(super) fn op_get_bucket_ownership_controls(
        &self,
        req: S3Request<GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<GetBucketOwnershipControlsOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let config = self.ownership(&bucket)?.ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::OwnershipControlsNotFoundError,
                "The bucket ownership controls were not found",
            )
        })?;
        Ok(S3Response::new(GetBucketOwnershipControlsOutput {
            ownership_controls: Some(OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: ObjectOwnership::from(config.object_ownership),
                }],
            }),
        }))
    }

    pub(super) fn op_delete_bucket_ownership_controls(
        &self,
        req: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<DeleteBucketOwnershipControlsOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        set_config::<OwnershipConfig>(&self.store, &bucket.id, None).map_err(store_error)?;
        Ok(S3Response::new(DeleteBucketOwnershipControlsOutput {}))
    }

    // ---- Block Public Access ----

    pub(super) fn op_put_public_access_block(
        &self,
        req: S3Request<PutPublicAccessBlockInput>,
    ) -> S3Result<S3Response<PutPublicAccessBlockOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let c = &req.input.public_access_block_configuration;
        let config = PublicAccessBlockConfig {
            block_public_acls: c.block_public_acls.unwrap_or(false),
            ignore_public_acls: c.ignore_public_acls.unwrap_or(false),
            block_public_policy: c.block_public_policy.unwrap_or(false),
            restrict_public_buckets: c.restrict_public_buckets.unwrap_or(false),
        };
        set_config(&self.store, &bucket.id, Some(&config)).map_err(store_error)?;
        Ok(S3Response::new(PutPublicAccessBlockOutput {}))
    }

    pub(super) fn op_get_public_access_block(
        &self,
        req: S3Request<GetPublicAccessBlockInput>,
    ) -> S3Result<S3Response<GetPublicAccessBlockOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let c = get_config::<PublicAccessBlockConfig>(&self.store, &bucket.id)
            .map_err(store_error)?
            .ok_or_else(|| {
                custom_error(
                    "NoSuchPublicAccessBlockConfiguration",
                    http::StatusCode::NOT_FOUND,
                    "The public access block configuration was not found",
                )
            })?;
        Ok(S3Response::new(GetPublicAccessBlockOutput {
            public_access_block_configuration: Some(PublicAccessBlockConfiguration {
                block_public_acls: Some(c.block_public_acls),
                block_public_policy: Some(c.block_public_policy),
                ignore_public_acls: Some(c.ignore_public_acls),
                restrict_public_buckets: Some(c.restrict_public_buckets),
            }),
        }))
    }

    pub(super) fn op_delete_public_access_block(
        &self,
        req: S3Request<DeletePublicAccessBlockInput>,
    ) -> S3Result<S3Response<DeletePublicAccessBlockOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        set_config::<PublicAccessBlockConfig>(&self.store, &bucket.id, None)
            .map_err(store_error)?;
        Ok(S3Response::new(DeletePublicAccessBlockOutput {}))
    }
}

/// The grants an ACL input stands for: exactly one of canned, headers, body.
fn resolve_grants(
    input: &AclInput<'_>,
    owner: &str,
    bucket_owner: &str,
) -> S3Result<Vec<StoredGrant>> {
    let given = usize::from(input.canned.is_some())
        + usize::from(!input.headers.is_empty())
        + usize::from(input.body.is_some());
    if given > 1 {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "Specifying both Canned ACLs and Header Grants is not allowed",
        ));
    }
    if let Some(name) = input.canned {
        acl::canned(name, owner, bucket_owner)
    } else if let Some(body) = input.body {
        acl::from_policy(body)
    } else {
        input.headers.grants()
    }
}

fn no_such_bucket_policy() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NoSuchBucketPolicy,
        "The bucket policy does not exist",
    )
}

fn malformed_xml() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::MalformedXML,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

fn invalid_bucket_acl_with_ownership() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidBucketAclWithObjectOwnership,
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    )
}
