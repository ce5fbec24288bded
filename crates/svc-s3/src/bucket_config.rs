//! Bucket sub-resource configurations for access control, CORS and websites, each stored as its
//! own record in scope `c/<bucket id>` keyed by the sub-resource name (never as fields of
//! `BucketRecord`, so each evolves and versions on its own), and object ACLs in scope
//! `a/<bucket id>` keyed by the object key (apart from the object record, so ACL changes never
//! rewrite object records).
//!
//! The storage helpers are `records::BucketConfig` / `get_config` / `set_config`, shared with
//! versioning, lifecycle and encryption.

use nimbus_store::{Record, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::acl::StoredGrant;

pub use crate::records::{BucketConfig, get_config};

pub fn object_acl_scope(bucket_id: &str) -> String {
    format!("a/{bucket_id}")
}

/// Stores (`Some`) or removes (`None`) a configuration in its own transaction; returns whether
/// one existed before.
pub fn set_config<C: BucketConfig>(
    store: &Store,
    bucket_id: &str,
    config: Option<&C>,
) -> Result<bool, StoreError> {
    store.transaction(|txn| crate::records::set_config(txn, bucket_id, config))
}

/// Drops the object ACLs of a deleted bucket (its id is never reused, so this only reclaims
/// space; the bucket's configurations go with it in `records::delete_bucket_configs`).
pub fn delete_object_acls(store: &Store, bucket_id: &str) -> Result<(), StoreError> {
    let acl_scope = object_acl_scope(bucket_id);
    loop {
        let page = store.list::<AclConfig>(&acl_scope, "", None, 1000)?;
        if page.is_empty() {
            return Ok(());
        }
        for (key, _) in page {
            store.delete::<AclConfig>(&acl_scope, &key)?;
        }
    }
}

/// The bucket policy document, kept as given (GetBucketPolicy returns it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyConfig {
    pub document: String,
}

impl Record for PolicyConfig {
    const KIND: &'static str = "s3.config.policy";
    const VERSION: u32 = 1;
    const CACHED: bool = true;
}

impl BucketConfig for PolicyConfig {
    const NAME: &'static str = "policy";
}

/// An access control list: of the bucket (config `acl`) or of one object (scope `a/<bucket id>`).
/// Absent means the default: the owner has FULL_CONTROL, nobody else anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclConfig {
    /// The account owning the resource.
    pub owner_account: String,
    pub grants: Vec<StoredGrant>,
}

impl Record for AclConfig {
    const KIND: &'static str = "s3.config.acl";
    const VERSION: u32 = 1;
}

impl BucketConfig for AclConfig {
    const NAME: &'static str = "acl";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRuleConfig {
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsConfig {
    pub rules: Vec<CorsRuleConfig>,
}

impl Record for CorsConfig {
    const KIND: &'static str = "s3.config.cors";
    const VERSION: u32 = 1;
    const CACHED: bool = true;
}

impl BucketConfig for CorsConfig {
    const NAME: &'static str = "cors";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectAll {
    pub host_name: String,
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRuleConfig {
    pub key_prefix_equals: Option<String>,
    pub http_error_code_returned_equals: Option<String>,
    pub protocol: Option<String>,
    pub host_name: Option<String>,
    pub replace_key_prefix_with: Option<String>,
    pub replace_key_with: Option<String>,
    pub http_redirect_code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebsiteConfig {
    pub index_suffix: Option<String>,
    pub error_key: Option<String>,
    pub redirect_all: Option<RedirectAll>,
    pub routing_rules: Vec<RoutingRuleConfig>,
}

impl Record for WebsiteConfig {
    const KIND: &'static str = "s3.config.website";
    const VERSION: u32 = 1;
    const CACHED: bool = true;
}

impl BucketConfig for WebsiteConfig {
    const NAME: &'static str = "website";
}

/// The bucket's Block Public Access settings. New buckets get all four on (AWS's default since
/// April 2023); an absent record (DeletePublicAccessBlock) means all off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlockConfig {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlockConfig {
    pub const ALL_ON: PublicAccessBlockConfig = PublicAccessBlockConfig {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
}

impl Record for PublicAccessBlockConfig {
    const KIND: &'static str = "s3.config.public-access-block";
    const VERSION: u32 = 1;
    const CACHED: bool = true;
}

impl BucketConfig for PublicAccessBlockConfig {
    const NAME: &'static str = "public-access-block";
}

pub const BUCKET_OWNER_ENFORCED: &str = "BucketOwnerEnforced";
pub const BUCKET_OWNER_PREFERRED: &str = "BucketOwnerPreferred";
pub const OBJECT_WRITER: &str = "ObjectWriter";

/// Object Ownership. New buckets get `BucketOwnerEnforced` (AWS's default since April 2023);
/// an absent record (DeleteBucketOwnershipControls) means `ObjectWriter`, the pre-2023 behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipConfig {
    pub object_ownership: String,
}

impl OwnershipConfig {
    pub fn acls_disabled(&self) -> bool {
        self.object_ownership == BUCKET_OWNER_ENFORCED
    }
}

impl Record for OwnershipConfig {
    const KIND: &'static str = "s3.config.ownership";
    const VERSION: u32 = 1;
    const CACHED: bool = true;
}

impl BucketConfig for OwnershipConfig {
    const NAME: &'static str = "ownership";
}
