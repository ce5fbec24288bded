//! The S3 access decision: may this principal perform this operation on this bucket or object?
//!
//! Called once per request by `NimbusAccess` (after authentication, before the backend runs),
//! and by the website endpoint (which serves only what anonymous callers may read). The order,
//! as AWS evaluates a request against a bucket:
//! 1. no bucket (ListBuckets) or CreateBucket: signed callers only;
//! 2. a bucket that does not exist: allowed through, so the backend answers `NoSuchBucket`;
//! 3. an explicit `Deny` in the bucket policy refuses, even the owner's account (except the
//!    owner's root managing the policy itself, AWS's way out of a lock-out policy);
//! 4. the bucket owner's account is allowed: this is where an IAM identity-policy check plugs
//!    in ([`identity_allows`]), once IAM policies exist;
//! 5. an `Allow` in the bucket policy (unless Block Public Access's RestrictPublicBuckets
//!    applies to a public policy) allows;
//! 6. ACL grants (unless Object Ownership disables ACLs; public grants unless IgnorePublicAcls)
//!    allow;
//! 7. otherwise `AccessDenied`.

use std::collections::BTreeMap;

use nimbus_store::Store;
use s3s::{S3Error, S3ErrorCode, S3Result};

use crate::acl;
use crate::bucket_config::{
    AclConfig, OwnershipConfig, PolicyConfig, PublicAccessBlockConfig, get_config, object_acl_scope,
};
use crate::io::store_error;
use crate::policy::{Decision, Policy, Principal, RequestContext};
use crate::records::{BUCKET_SCOPE, BucketRecord};

/// One request to decide on.
#[derive(Debug, Clone)]
pub struct AccessRequest<'a> {
    pub principal: &'a Principal,
    /// The S3 operation, as in the model (`GetObject`).
    pub operation: &'a str,
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
    /// Policy condition keys, lower-cased (see [`condition_keys`]), computed if a policy asks.
    pub keys: &'a ConditionKeys<'a>,
}

/// A request's policy condition keys, computed on first use: most requests are decided without
/// any policy (an owner reading its own objects), and building the keys (headers, query, source
/// address, principal) was a measurable share of a small GET.
#[derive(Debug)]
pub struct ConditionKeys<'a> {
    source: Option<KeySource<'a>>,
    computed: std::cell::OnceCell<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug)]
struct KeySource<'a> {
    principal: &'a Principal,
    uri: &'a http::Uri,
    headers: &'a http::HeaderMap,
    source_ip: Option<std::net::IpAddr>,
}

impl<'a> ConditionKeys<'a> {
    /// The keys of this request, built when first asked for.
    pub fn of_request(principal: &'a Principal, uri: &'a http::Uri, headers: &'a http::HeaderMap, source_ip: Option<std::net::IpAddr>) -> Self {
        ConditionKeys { source: Some(KeySource { principal, uri, headers, source_ip }), computed: std::cell::OnceCell::new() }
    }

    /// Keys given outright.
    #[cfg(test)]
    pub fn fixed(keys: BTreeMap<String, Vec<String>>) -> Self {
        ConditionKeys { source: None, computed: std::cell::OnceCell::from(keys) }
    }

    pub fn get(&self) -> &BTreeMap<String, Vec<String>> {
        self.computed.get_or_init(|| match &self.source {
            Some(s) => condition_keys(s.principal, s.uri, s.headers, s.source_ip),
            None => BTreeMap::new(),
        })
    }
}

pub fn access_denied() -> S3Error {
    S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied")
}

/// The IAM action an S3 operation needs, and whether it acts on the object (else the bucket).
pub fn iam_action(operation: &str) -> (String, bool) {
    let object = |a: &str| (format!("s3:{a}"), true);
    let bucket = |a: &str| (format!("s3:{a}"), false);
    match operation {
        "GetObject" | "HeadObject" | "GetObjectAttributes" => object("GetObject"),
        "PutObject"
        | "CopyObject"
        | "CreateMultipartUpload"
        | "UploadPart"
        | "UploadPartCopy"
        | "CompleteMultipartUpload"
        | "PostObject" => object("PutObject"),
        "DeleteObject" | "DeleteObjects" => object("DeleteObject"),
        "AbortMultipartUpload" => object("AbortMultipartUpload"),
        "ListParts" => object("ListMultipartUploadParts"),
        "GetObjectTagging"
        | "PutObjectTagging"
        | "DeleteObjectTagging"
        | "GetObjectAcl"
        | "PutObjectAcl" => object(operation),
        "ListObjects" | "ListObjectsV2" | "HeadBucket" => bucket("ListBucket"),
        "ListObjectVersions" => bucket("ListBucketVersions"),
        "ListMultipartUploads" => bucket("ListBucketMultipartUploads"),
        "ListBuckets" => bucket("ListAllMyBuckets"),
        "GetBucketCors" => bucket("GetBucketCORS"),
        "PutBucketCors" | "DeleteBucketCors" => bucket("PutBucketCORS"),
        "DeleteBucketTagging" => bucket("PutBucketTagging"),
        "DeletePublicAccessBlock" | "PutPublicAccessBlock" => bucket("PutBucketPublicAccessBlock"),
        "GetPublicAccessBlock" => bucket("GetBucketPublicAccessBlock"),
        "DeleteBucketOwnershipControls" => bucket("PutBucketOwnershipControls"),
        "GetBucketLifecycleConfiguration" => bucket("GetLifecycleConfiguration"),
        "GetBucketNotificationConfiguration" => bucket("GetBucketNotification"),
        "PutBucketNotificationConfiguration" => bucket("PutBucketNotification"),
        "PutBucketLifecycleConfiguration" | "DeleteBucketLifecycle" => {
            bucket("PutLifecycleConfiguration")
        }
        "PutBucketMetricsConfiguration" | "DeleteBucketMetricsConfiguration" => {
            bucket("PutMetricsConfiguration")
        }
        "GetBucketMetricsConfiguration" | "ListBucketMetricsConfigurations" => {
            bucket("GetMetricsConfiguration")
        }
        other => bucket(other),
    }
}

/// The ACL permission that grants an IAM action, if any does.
fn acl_permission(action: &str) -> Option<&'static str> {
    Some(match action {
        "s3:ListBucket" | "s3:ListBucketVersions" | "s3:ListBucketMultipartUploads" => acl::READ,
        "s3:GetObject" => acl::READ,
        "s3:PutObject" | "s3:DeleteObject" | "s3:AbortMultipartUpload" => acl::WRITE,
        "s3:GetBucketAcl" | "s3:GetObjectAcl" => acl::READ_ACP,
        "s3:PutBucketAcl" | "s3:PutObjectAcl" => acl::WRITE_ACP,
        _ => return None,
    })
}

/// Where an identity (IAM) policy check goes. Today every signed principal of an account has
/// what its account root has, as before IAM policies existed.
pub fn identity_allows(_principal: &Principal, _action: &str, _resource: &str) -> bool {
    true
}

/// The bucket's access settings, read once per decision.
pub struct BucketAccess {
    pub bucket: BucketRecord,
    pub policy: Option<Policy>,
    pub public_access_block: PublicAccessBlockConfig,
    pub acls_disabled: bool,
}

impl BucketAccess {
    pub fn load(store: &Store, bucket: BucketRecord) -> S3Result<BucketAccess> {
        let policy = get_config::<PolicyConfig>(store, &bucket.id)
            .map_err(store_error)?
            .and_then(|p| Policy::parse(&p.document).ok());
        let public_access_block = get_config::<PublicAccessBlockConfig>(store, &bucket.id)
            .map_err(store_error)?
            .unwrap_or_default();
        let acls_disabled = get_config::<OwnershipConfig>(store, &bucket.id)
            .map_err(store_error)?
            .is_some_and(|o| o.acls_disabled());
        Ok(BucketAccess {
            bucket,
            policy,
            public_access_block,
            acls_disabled,
        })
    }
}

/// The decision for one request: `Ok` or `AccessDenied`.
pub fn decide(store: &Store, req: &AccessRequest<'_>) -> S3Result<()> {
    let signed = matches!(req.principal, Principal::Aws { .. });
    let Some(bucket_name) = req.bucket else {
        return if signed { Ok(()) } else { Err(access_denied()) };
    };
    if req.operation == "CreateBucket" {
        return if signed { Ok(()) } else { Err(access_denied()) };
    }
    let Some(bucket) = store
        .get_shared::<BucketRecord>(BUCKET_SCOPE, bucket_name)
        .map_err(store_error)?
    else {
        return Ok(());
    };
    let access = BucketAccess::load(store, std::sync::Arc::unwrap_or_clone(bucket))?;
    decide_for(store, &access, req)
}

/// [`decide`] with the bucket's settings already loaded.
pub fn decide_for(store: &Store, access: &BucketAccess, req: &AccessRequest<'_>) -> S3Result<()> {
    let (action, on_object) = iam_action(req.operation);
    let bucket = &access.bucket;
    let resource = match (on_object, req.key) {
        (true, Some(key)) => format!("arn:aws:s3:::{}/{key}", bucket.name),
        // DeleteObjects names its keys in the body: judged on the bucket's objects as a whole.
        (true, None) => format!("arn:aws:s3:::{}/*", bucket.name),
        (false, _) => format!("arn:aws:s3:::{}", bucket.name),
    };
    let caller_account = match req.principal {
        Principal::Aws { account, .. } => Some(account.as_str()),
        Principal::Anonymous => None,
    };
    let owner_account = caller_account == Some(bucket.owner_account.as_str());
    let pab = access.public_access_block;
    let restricted =
        pab.restrict_public_buckets && access.policy.as_ref().is_some_and(Policy::is_public);
    let verdict = access.policy.as_ref().map_or(Decision::NotApplicable, |p| {
        let cx = RequestContext {
            principal: req.principal,
            action: &action,
            resource: &resource,
            keys: req.keys.get(),
        };
        p.evaluate(&cx, restricted && !owner_account)
    });
    if verdict == Decision::Deny {
        let root_managing_policy = owner_account
            && matches!(req.principal, Principal::Aws { arn, .. } if arn.ends_with(":root"))
            && action.ends_with("BucketPolicy");
        if !root_managing_policy {
            return Err(access_denied());
        }
    }
    if owner_account {
        return if identity_allows(req.principal, &action, &resource) {
            Ok(())
        } else {
            Err(access_denied())
        };
    }
    if verdict == Decision::Allow {
        return Ok(());
    }
    if !access.acls_disabled
        && let Some(permission) = acl_permission(&action)
    {
        let acl = if on_object && permission != acl::WRITE {
            match req.key {
                Some(key) => store
                    .get::<AclConfig>(&object_acl_scope(&bucket.id), key)
                    .map_err(store_error)?,
                None => None,
            }
        } else {
            get_config::<AclConfig>(store, &bucket.id).map_err(store_error)?
        };
        if let Some(acl) = acl
            && acl::permits(
                &acl.grants,
                caller_account,
                permission,
                pab.ignore_public_acls,
            )
        {
            return Ok(());
        }
    }
    Err(access_denied())
}

/// The policy condition keys a request supplies.
pub fn condition_keys(
    principal: &Principal,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    source_ip: Option<std::net::IpAddr>,
) -> BTreeMap<String, Vec<String>> {
    let mut keys = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        keys.insert(k.to_owned(), vec![v]);
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let secure = uri.scheme_str() == Some("https")
        || header("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
    set("aws:securetransport", secure.to_string());
    let forwarded = header("x-forwarded-for")
        .and_then(|f| f.split(',').next().and_then(|ip| ip.trim().parse().ok()));
    if let Some(ip) = forwarded.or(source_ip) {
        set("aws:sourceip", ip.to_string());
    }
    for (key, name) in [
        ("aws:useragent", "user-agent"),
        ("aws:referer", "referer"),
        ("s3:x-amz-acl", "x-amz-acl"),
        (
            "s3:x-amz-server-side-encryption",
            "x-amz-server-side-encryption",
        ),
        ("s3:x-amz-copy-source", "x-amz-copy-source"),
        ("s3:x-amz-storage-class", "x-amz-storage-class"),
        ("s3:x-amz-content-sha256", "x-amz-content-sha256"),
    ] {
        if let Some(v) = header(name) {
            set(key, v);
        }
    }
    for (name, value) in form_urlencoded_pairs(uri.query().unwrap_or("")) {
        if matches!(name.as_str(), "prefix" | "delimiter" | "max-keys") {
            set(&format!("s3:{name}"), value);
        }
    }
    if let Principal::Aws { account, arn } = principal {
        set("aws:principalaccount", account.clone());
        set("aws:principalarn", arn.clone());
        let kind = if arn.ends_with(":root") {
            "Account"
        } else {
            "User"
        };
        set("aws:principaltype", kind.to_owned());
    } else {
        set("aws:principaltype", "Anonymous".to_owned());
    }
    keys
}

fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bucket_config::{OwnershipConfig, set_config};

    fn bucket(store: &Store) -> BucketRecord {
        let b = BucketRecord {
            id: "id1".into(),
            name: "bkt".into(),
            owner_account: "000000000000".into(),
            region: "us-east-1".into(),
            created_ms: 0,
            tags: None,
        };
        store.put(BUCKET_SCOPE, "bkt", &b).unwrap();
        b
    }

    fn check(store: &Store, who: &Principal, op: &str, key: Option<&str>) -> bool {
        let keys = ConditionKeys::fixed(BTreeMap::new());
        decide(
            store,
            &AccessRequest {
                principal: who,
                operation: op,
                bucket: Some("bkt"),
                key,
                keys: &keys,
            },
        )
        .is_ok()
    }

    fn owner() -> Principal {
        Principal::Aws {
            account: "000000000000".into(),
            arn: "arn:aws:iam::000000000000:root".into(),
        }
    }

    #[test]
    fn owner_anonymous_and_public_acls() {
        let store = Store::open_ephemeral().unwrap();
        let b = bucket(&store);
        let anon = Principal::Anonymous;
        assert!(check(&store, &owner(), "GetObject", Some("k")));
        assert!(!check(&store, &anon, "GetObject", Some("k")));
        assert!(!check(&store, &anon, "ListObjectsV2", None));
        let public = AclConfig {
            owner_account: b.owner_account.clone(),
            grants: acl::canned("public-read", &b.owner_account, &b.owner_account).unwrap(),
        };
        store.put(&object_acl_scope(&b.id), "k", &public).unwrap();
        assert!(check(&store, &anon, "GetObject", Some("k")));
        assert!(!check(&store, &anon, "GetObject", Some("other")));
        assert!(!check(&store, &anon, "PutObject", Some("k")));
        // IgnorePublicAcls, then ACLs disabled by Object Ownership.
        let ignore = PublicAccessBlockConfig {
            ignore_public_acls: true,
            ..Default::default()
        };
        set_config(&store, &b.id, Some(&ignore)).unwrap();
        assert!(!check(&store, &anon, "GetObject", Some("k")));
        set_config::<PublicAccessBlockConfig>(&store, &b.id, None).unwrap();
        set_config(
            &store,
            &b.id,
            Some(&OwnershipConfig {
                object_ownership: "BucketOwnerEnforced".into(),
            }),
        )
        .unwrap();
        assert!(!check(&store, &anon, "GetObject", Some("k")));
        // A missing bucket goes through to NoSuchBucket; no bucket at all needs a signature.
        let keys = ConditionKeys::fixed(BTreeMap::new());
        let req = AccessRequest {
            principal: &anon,
            operation: "GetObject",
            bucket: Some("nope"),
            key: Some("k"),
            keys: &keys,
        };
        assert!(decide(&store, &req).is_ok());
        let req = AccessRequest {
            principal: &anon,
            operation: "ListBuckets",
            bucket: None,
            key: None,
            keys: &keys,
        };
        assert!(decide(&store, &req).is_err());
    }

    #[test]
    fn policy_deny_binds_the_owner_but_not_root_on_the_policy() {
        let store = Store::open_ephemeral().unwrap();
        let b = bucket(&store);
        let deny = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]}]}"#;
        set_config(
            &store,
            &b.id,
            Some(&PolicyConfig {
                document: deny.into(),
            }),
        )
        .unwrap();
        assert!(!check(&store, &owner(), "GetObject", Some("k")));
        assert!(check(&store, &owner(), "DeleteBucketPolicy", None));
        let user = Principal::Aws {
            account: "000000000000".into(),
            arn: "arn:aws:iam::000000000000:user/u".into(),
        };
        assert!(!check(&store, &user, "DeleteBucketPolicy", None));
    }

    #[test]
    fn restrict_public_buckets() {
        let store = Store::open_ephemeral().unwrap();
        let b = bucket(&store);
        let public = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#;
        set_config(
            &store,
            &b.id,
            Some(&PolicyConfig {
                document: public.into(),
            }),
        )
        .unwrap();
        assert!(check(&store, &Principal::Anonymous, "GetObject", Some("k")));
        assert!(check(
            &store,
            &Principal::Anonymous,
            "HeadObject",
            Some("k")
        ));
        assert!(!check(&store, &Principal::Anonymous, "ListObjects", None));
        let restrict = PublicAccessBlockConfig {
            restrict_public_buckets: true,
            ..Default::default()
        };
        set_config(&store, &b.id, Some(&restrict)).unwrap();
        assert!(!check(
            &store,
            &Principal::Anonymous,
            "GetObject",
            Some("k")
        ));
        assert!(check(&store, &owner(), "GetObject", Some("k")));
    }

    #[test]
    fn actions() {
        assert_eq!(iam_action("HeadObject"), ("s3:GetObject".to_owned(), true));
        assert_eq!(iam_action("UploadPart"), ("s3:PutObject".to_owned(), true));
        assert_eq!(
            iam_action("ListObjectsV2"),
            ("s3:ListBucket".to_owned(), false)
        );
        assert_eq!(
            iam_action("PutBucketPolicy"),
            ("s3:PutBucketPolicy".to_owned(), false)
        );
        assert_eq!(
            iam_action("DeleteBucketCors"),
            ("s3:PutBucketCORS".to_owned(), false)
        );
        assert_eq!(
            iam_action("ListBucketMetricsConfigurations"),
            ("s3:GetMetricsConfiguration".to_owned(), false)
        );
        assert_eq!(
            iam_action("DeleteBucketMetricsConfiguration"),
            ("s3:PutMetricsConfiguration".to_owned(), false)
        );
    }
}
