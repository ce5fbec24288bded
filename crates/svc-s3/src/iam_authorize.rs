//! Strict mode for S3: a signed request is put to the one IAM decision point every service
//! uses (`nimbus_core::Authorizer`), with S3's actions, resource ARNs and condition keys and the
//! bucket policy as the resource policy. `access.rs` then still applies what only S3 has (ACLs,
//! Block Public Access, Object Ownership), so a request must pass both.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use nimbus_core::{Access, Authorizer, RequestContext, ResourcePolicy};
use nimbus_store::Store;
use s3s::{S3Error, S3ErrorCode, S3Result};

use crate::auth::Caller;
use crate::bucket_config::{PolicyConfig, get_config};
use crate::records::{BUCKET_SCOPE, BucketRecord};

/// Where the binary puts the authorizer after building the front (shared by the front and
/// its access hook).
#[derive(Clone, Default)]
pub struct AuthorizerSlot(Arc<OnceLock<Arc<dyn Authorizer>>>);

impl AuthorizerSlot {
    pub fn set(&self, authorizer: Arc<dyn Authorizer>) {
        let _ = self.0.set(authorizer);
    }

    /// The authorizer, if one is set and strict mode is on.
    pub fn enforcing(&self) -> Option<Arc<dyn Authorizer>> {
        self.0.get().filter(|a| a.enforcing()).cloned()
    }
}

/// What an S3 request asks, as the access hook sees it.
pub struct S3Request<'a> {
    pub operation: &'a str,
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
    /// `(bucket, key)` of `x-amz-copy-source` (CopyObject, UploadPartCopy).
    pub copy_source: Option<(String, String)>,
    /// Condition keys, lowercased (`access::condition_keys`).
    pub keys: &'a BTreeMap<String, Vec<String>>,
}

/// The IAM actions and resources of one S3 request.
fn accesses(request: &S3Request) -> Vec<Access> {
    let context: Vec<(String, Vec<String>)> = request.keys.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let arn = |bucket: &str, key: Option<&str>, on_object: bool| match (on_object, key) {
        (true, Some(key)) => format!("arn:aws:s3:::{bucket}/{key}"),
        (true, None) => format!("arn:aws:s3:::{bucket}/*"),
        (false, _) => format!("arn:aws:s3:::{bucket}"),
    };
    let (action, on_object) = crate::access::iam_action(request.operation);
    let resource = match request.bucket {
        Some(bucket) => arn(bucket, request.key, on_object),
        None => "*".to_owned(),
    };
    let mut out = vec![Access { action, resources: vec![resource], context: context.clone() }];
    // A copy reads its source.
    if let Some((bucket, key)) = &request.copy_source {
        out.push(Access { action: "s3:GetObject".into(), resources: vec![arn(bucket, Some(key), true)], context });
    }
    out
}

/// The policy of the bucket an S3 ARN (`arn:aws:s3:::bucket[/key]`) names, with its owner.
fn bucket_policy(store: &Store, resource_arn: &str) -> Option<ResourcePolicy> {
    let bucket_name = resource_arn.strip_prefix("arn:aws:s3:::")?.split('/').next()?;
    let bucket = store.get::<BucketRecord>(BUCKET_SCOPE, bucket_name).ok()??;
    let document = get_config::<PolicyConfig>(store, &bucket.id).ok()??.document;
    Some(ResourcePolicy { document, owner_account: bucket.owner_account })
}

/// Decides a signed request in strict mode; `AccessDenied` with IAM's explanation otherwise.
pub fn authorize(
    authorizer: &dyn Authorizer,
    store: &Store,
    principal_arn: &str,
    account: &str,
    caller: Option<&Caller>,
    source_ip: Option<std::net::IpAddr>,
    request: &S3Request,
) -> S3Result<()> {
    // A missing bucket is the backend's NoSuchBucket, as without strict mode.
    if let Some(bucket) = request.bucket
        && request.operation != "CreateBucket"
        && store.get::<BucketRecord>(BUCKET_SCOPE, bucket).ok().flatten().is_none()
    {
        return Ok(());
    }
    let ctx = RequestContext {
        request_id: nimbus_core::ids::request_id(),
        account_id: account.to_owned(),
        region: caller.and_then(|c| c.region.clone()).unwrap_or_else(|| nimbus_core::DEFAULT_REGION.to_owned()),
        principal: nimbus_core::Principal {
            arn: principal_arn.to_owned(),
            user_id: caller.and_then(|c| c.user_id.clone()).unwrap_or_else(|| account.to_owned()),
            access_key_id: caller.and_then(|c| c.access_key_id.clone()),
            verified: true,
            session: None,
        },
        service: "s3".to_owned(),
        operation: request.operation.to_owned(),
        source_ip,
        host: None,
    };
    authorizer
        .authorize(&ctx, &accesses(request), &|arn| bucket_policy(store, arn))
        .map_err(|denied| S3Error::with_message(S3ErrorCode::AccessDenied, denied.message))
}
