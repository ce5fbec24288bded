//! What S3 persists, and how it is keyed.
//!
//! * [`BucketRecord`]: scope `""`, key = bucket name (one global namespace, as on AWS). Each
//!   bucket gets a random `id` at creation; everything inside the bucket is scoped by that id,
//!   so a bucket deleted and re-created never sees leftovers of its previous life.
//! * [`ObjectRecord`]: scope `o/<bucket id>`, key = the object key exactly as given. Keys are
//!   never paths: the body lives in a blob with a random id. The store lists keys in UTF-8 byte
//!   order, which is S3's listing order.
//! * [`UploadRecord`]: scope `u/<bucket id>`, key = upload id (in-progress multipart uploads).
//! * [`PartRecord`]: scope `p/<upload id>`, key = part number zero-padded to 5 digits, so the
//!   parts list in part order.
//!
//! Versioning (see `backend/versions.rs`) keeps `o/` as the *current, live* version of each key,
//! so ListObjects walks only what it shows. Everything else of a key's version stack is a
//! [`VersionRecord`] in scope `v/<bucket id>`, key = [`version_key`] (`<object key>\0<inverted
//! seq>`): the noncurrent versions and, when the key's latest version is a delete marker, that
//! marker. Each version carries `seq`, its position in the key's stack (higher = newer), so the
//! store lists a key's versions newest first and right after the key itself.
//!
//! Bucket sub-resource configurations (versioning, lifecycle, and later policy, CORS, ...) are
//! one record each in scope `c/<bucket id>`, keyed by the sub-resource name: implement
//! [`BucketConfig`] and list the type in [`delete_bucket_configs`].

use std::collections::BTreeMap;

use nimbus_store::{BlobId, Record, Store, StoreError, Txn};
use serde::{Deserialize, Serialize};

pub use crate::lifecycle::LifecycleConfig;

pub const BUCKET_SCOPE: &str = "";

pub fn object_scope(bucket_id: &str) -> String {
    format!("o/{bucket_id}")
}

pub fn upload_scope(bucket_id: &str) -> String {
    format!("u/{bucket_id}")
}

pub fn part_scope(upload_id: &str) -> String {
    format!("p/{upload_id}")
}

pub fn part_key(part_number: i32) -> String {
    format!("{part_number:05}")
}

pub fn version_scope(bucket_id: &str) -> String {
    format!("v/{bucket_id}")
}

/// `<object key>\0<u64::MAX - seq, 20 digits>`: NUL sorts before every other character, so all
/// versions of a key list together, before any longer key, newest first.
pub fn version_key(key: &str, seq: u64) -> String {
    format!("{key}\0{:020}", u64::MAX - seq)
}

/// The prefix of every [`version_key`] of `key`.
pub fn version_prefix(key: &str) -> String {
    format!("{key}\0")
}

/// The object key of a [`version_key`].
pub fn object_key_of(version_key: &str) -> &str {
    version_key
        .rsplit_once('\0')
        .map_or(version_key, |(key, _)| key)
}

/// Reads the same way from the store and from inside a transaction.
pub trait Reader {
    fn get_record<R: Record>(&self, scope: &str, key: &str) -> Result<Option<R>, StoreError>;
    fn list_records<R: Record>(
        &self,
        scope: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, R)>, StoreError>;
}

impl Reader for Store {
    fn get_record<R: Record>(&self, scope: &str, key: &str) -> Result<Option<R>, StoreError> {
        self.get(scope, key)
    }
    fn list_records<R: Record>(
        &self,
        scope: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, R)>, StoreError> {
        self.list(scope, prefix, after, limit)
    }
}

impl Reader for Txn<'_> {
    fn get_record<R: Record>(&self, scope: &str, key: &str) -> Result<Option<R>, StoreError> {
        self.get(scope, key)
    }
    fn list_records<R: Record>(
        &self,
        scope: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, R)>, StoreError> {
        self.list(scope, prefix, after, limit)
    }
}

pub fn config_scope(bucket_id: &str) -> String {
    format!("c/{bucket_id}")
}

/// A bucket sub-resource configuration, stored as its own record in [`config_scope`] under
/// [`BucketConfig::NAME`] (not as a field of [`BucketRecord`], so each evolves and versions on
/// its own and reading one never loads the others).
pub trait BucketConfig: Record {
    /// The sub-resource name, as in the query string (`versioning`, `lifecycle`, ...).
    const NAME: &'static str;
}

pub fn get_config<C: BucketConfig>(
    r: &impl Reader,
    bucket_id: &str,
) -> Result<Option<C>, StoreError> {
    r.get_record::<C>(&config_scope(bucket_id), C::NAME)
}

/// Stores (`Some`) or removes (`None`) a configuration; returns whether one existed before.
pub fn set_config<C: BucketConfig>(
    txn: &mut Txn,
    bucket_id: &str,
    config: Option<&C>,
) -> Result<bool, StoreError> {
    let scope = config_scope(bucket_id);
    let existed = txn.get::<C>(&scope, C::NAME)?.is_some();
    match config {
        Some(c) => txn.put(&scope, C::NAME, c)?,
        None => {
            txn.delete::<C>(&scope, C::NAME)?;
        }
    }
    Ok(existed)
}

/// Drops every configuration of a bucket being deleted. New [`BucketConfig`] types go here.
pub fn delete_bucket_configs(txn: &mut Txn, bucket_id: &str) -> Result<(), StoreError> {
    let scope = config_scope(bucket_id);
    txn.delete::<VersioningConfig>(&scope, VersioningConfig::NAME)?;
    txn.delete::<LifecycleConfig>(&scope, LifecycleConfig::NAME)?;
    use crate::bucket_config::{
        AclConfig, CorsConfig, OwnershipConfig, PolicyConfig, PublicAccessBlockConfig, WebsiteConfig,
    };
    txn.delete::<PolicyConfig>(&scope, PolicyConfig::NAME)?;
    txn.delete::<AclConfig>(&scope, AclConfig::NAME)?;
    txn.delete::<CorsConfig>(&scope, CorsConfig::NAME)?;
    txn.delete::<WebsiteConfig>(&scope, WebsiteConfig::NAME)?;
    txn.delete::<PublicAccessBlockConfig>(&scope, PublicAccessBlockConfig::NAME)?;
    txn.delete::<OwnershipConfig>(&scope, OwnershipConfig::NAME)?;
    Ok(())
}

/// `PutBucketVersioning`'s state. Absent: the bucket was never versioned (there is no way back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersioningConfig {
    /// `Enabled` or `Suspended`.
    pub status: String,
    /// `Enabled` or `Disabled`, as last given.
    pub mfa_delete: Option<String>,
}

impl VersioningConfig {
    pub fn enabled(&self) -> bool {
        self.status == "Enabled"
    }
}

impl Record for VersioningConfig {
    const KIND: &'static str = "s3.config.versioning";
    const VERSION: u32 = 1;
}

impl BucketConfig for VersioningConfig {
    const NAME: &'static str = "versioning";
}

/// A (key, value) tag, in the order given.
pub type Tags = Vec<(String, String)>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRecord {
    pub id: String,
    pub name: String,
    pub owner_account: String,
    pub region: String,
    pub created_ms: i64,
    #[serde(default)]
    pub tags: Option<Tags>,
}

impl Record for BucketRecord {
    const KIND: &'static str = "s3.bucket";
    const VERSION: u32 = 1;
}

/// Headers stored with an object and returned on GET/HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    /// `Expires`, milliseconds since the epoch.
    pub expires_ms: Option<i64>,
    pub website_redirect_location: Option<String>,
    /// `x-amz-meta-*` without the prefix, lower-cased names as received.
    pub metadata: BTreeMap<String, String>,
    pub storage_class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRecord {
    pub blob: BlobId,
    pub size: u64,
    /// Without quotes: `<hex md5>` or `<hex md5 of part md5s>-<parts>`.
    pub etag: String,
    pub last_modified_ms: i64,
    pub headers: ObjectHeaders,
    pub tags: Tags,
    /// Parts count of an object assembled by CompleteMultipartUpload.
    pub parts: Option<u32>,
    /// `None` is the `null` version: written while the bucket was unversioned or suspended.
    pub version_id: Option<String>,
    /// Position in the key's version stack (see the module docs); 0 for objects from v1.
    pub seq: u64,
}

impl ObjectRecord {
    /// The version id as S3 shows it.
    pub fn version_str(&self) -> &str {
        self.version_id.as_deref().unwrap_or(NULL_VERSION)
    }
}

pub const NULL_VERSION: &str = "null";

impl Record for ObjectRecord {
    const KIND: &'static str = "s3.object";
    const VERSION: u32 = 2;

    /// v1 → v2: versioning added `version_id` (v1 objects are `null` versions) and `seq`.
    fn migrate(
        from_version: u32,
        mut value: serde_json::Value,
    ) -> nimbus_store::Result<serde_json::Value> {
        if from_version == 1
            && let Some(fields) = value.as_object_mut()
        {
            fields.insert("version_id".into(), serde_json::Value::Null);
            fields.insert("seq".into(), 0.into());
            return Ok(value);
        }
        Err(StoreError::Corrupt(format!(
            "s3.object has no migration from version {from_version}"
        )))
    }
}

/// A version that is not the current live object: a noncurrent object version, or a delete
/// marker (current or not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRecord {
    /// When a newer version replaced this one; `None` only for a delete marker that is the
    /// key's latest version.
    pub noncurrent_since_ms: Option<i64>,
    pub body: VersionBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum VersionBody {
    Object(Box<ObjectRecord>),
    DeleteMarker {
        version_id: Option<String>,
        seq: u64,
        last_modified_ms: i64,
    },
}

impl VersionRecord {
    pub fn version_id(&self) -> Option<&str> {
        match &self.body {
            VersionBody::Object(o) => o.version_id.as_deref(),
            VersionBody::DeleteMarker { version_id, .. } => version_id.as_deref(),
        }
    }
    pub fn seq(&self) -> u64 {
        match &self.body {
            VersionBody::Object(o) => o.seq,
            VersionBody::DeleteMarker { seq, .. } => *seq,
        }
    }
    pub fn last_modified_ms(&self) -> i64 {
        match &self.body {
            VersionBody::Object(o) => o.last_modified_ms,
            VersionBody::DeleteMarker {
                last_modified_ms, ..
            } => *last_modified_ms,
        }
    }
    pub fn is_delete_marker(&self) -> bool {
        matches!(self.body, VersionBody::DeleteMarker { .. })
    }
    /// A delete marker that is its key's latest version.
    pub fn is_latest_marker(&self) -> bool {
        self.is_delete_marker() && self.noncurrent_since_ms.is_none()
    }
}

impl Record for VersionRecord {
    const KIND: &'static str = "s3.version";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    pub upload_id: String,
    pub key: String,
    pub initiated_ms: i64,
    pub initiator_account: String,
    pub headers: ObjectHeaders,
    pub tags: Tags,
}

impl Record for UploadRecord {
    const KIND: &'static str = "s3.upload";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    pub part_number: i32,
    pub blob: BlobId,
    pub size: u64,
    /// Hex MD5 of the part, without quotes.
    pub etag: String,
    pub last_modified_ms: i64,
}

impl Record for PartRecord {
    const KIND: &'static str = "s3.part";
    const VERSION: u32 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_objects_migrate_to_null_versions() {
        let v1 = serde_json::json!({
            "blob": "0123456789abcdef0123456789abcdef",
            "size": 3,
            "etag": "abc",
            "last_modified_ms": 5,
            "headers": ObjectHeaders::default(),
            "tags": [],
            "parts": null,
        });
        let migrated = ObjectRecord::migrate(1, v1).unwrap();
        let record: ObjectRecord = serde_json::from_value(migrated).unwrap();
        assert_eq!((record.version_id, record.seq), (None, 0));
        assert_eq!(record.size, 3);
        assert!(ObjectRecord::migrate(7, serde_json::json!({})).is_err());
    }

    #[test]
    fn version_keys_list_newest_first_and_before_longer_keys() {
        let mut keys = [
            version_key("a", 1),
            version_key("a/b", 9),
            version_key("a", 2),
            version_key("a", 10),
            version_key("ab", 1),
        ];
        keys.sort();
        let shown: Vec<(&str, &str)> = keys
            .iter()
            .map(|k| (object_key_of(k), &k[k.len() - 2..]))
            .collect();
        assert_eq!(
            shown.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            vec!["a", "a", "a", "a/b", "ab"]
        );
        assert_eq!(keys[0], version_key("a", 10));
        assert_eq!(keys[2], version_key("a", 1));
        assert!(keys[0].starts_with(&version_prefix("a")));
    }
}
