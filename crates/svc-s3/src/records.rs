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
    /// [`Reader::get_record`] of a record the store may keep decoded (`Store::get_shared`):
    /// the hot reads (bucket, configurations, object heads) clone it instead of decoding JSON.
    fn get_record_cloned<R: Record + Clone + Send + Sync + 'static>(&self, scope: &str, key: &str) -> Result<Option<R>, StoreError> {
        self.get_record(scope, key)
    }
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
    fn get_record_cloned<R: Record + Clone + Send + Sync + 'static>(&self, scope: &str, key: &str) -> Result<Option<R>, StoreError> {
        Ok(self.get_shared::<R>(scope, key)?.map(std::sync::Arc::unwrap_or_clone))
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
pub trait BucketConfig: Record + Clone + Send + Sync + 'static {
    /// The sub-resource name, as in the query string (`versioning`, `lifecycle`, ...).
    const NAME: &'static str;
}

pub fn get_config<C: BucketConfig>(
    r: &impl Reader,
    bucket_id: &str,
) -> Result<Option<C>, StoreError> {
    r.get_record_cloned::<C>(&config_scope(bucket_id), C::NAME)
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
    txn.delete::<EncryptionConfig>(&scope, EncryptionConfig::NAME)?;
    txn.delete::<ObjectLockConfig>(&scope, ObjectLockConfig::NAME)?;
    use crate::notifications::NotificationConfig;
    txn.delete::<NotificationConfig>(&scope, NotificationConfig::NAME)?;
    use crate::backend::metrics_config::MetricsConfigs;
    txn.delete::<MetricsConfigs>(&scope, MetricsConfigs::NAME)?;
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
    const CACHED: bool = true;
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
    const CACHED: bool = true;
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
    /// How the body is encrypted at rest; `None`: stored in plaintext (objects from v2).
    #[serde(default)]
    pub encryption: Option<ObjectEncryption>,
    /// The additional checksum (`None` for objects from v2).
    #[serde(default)]
    pub checksum: Option<ObjectChecksum>,
    /// Each part of a multipart object, in order (empty otherwise).
    #[serde(default)]
    pub part_list: Vec<PartInfo>,
    /// Object Lock retention and legal hold of this version.
    #[serde(default)]
    pub lock: ObjectLock,
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
    const VERSION: u32 = 4;
    /// Every GET reads the object's record; each write evicts just that record.
    const CACHED_BY_KEY: bool = true;

    /// v1 → v2: versioning added `version_id` (v1 objects are `null` versions) and `seq`.
    /// v2 → v3: encryption, checksum, part list and lock (v2 bodies are plaintext).
    /// v3 → v4: SSE-KMS data keys may be KMS-wrapped (`Sse::Kms::key_arn`); v3 ones are not.
    fn migrate(
        from_version: u32,
        mut value: serde_json::Value,
    ) -> nimbus_store::Result<serde_json::Value> {
        if from_version == 3 {
            return Ok(value);
        }
        let Some(fields) = value.as_object_mut().filter(|_| matches!(from_version, 1 | 2)) else {
            return Err(StoreError::Corrupt(format!(
                "s3.object has no migration from version {from_version}"
            )));
        };
        if from_version == 1 {
            fields.insert("version_id".into(), serde_json::Value::Null);
            fields.insert("seq".into(), 0.into());
        }
        add_v3_object_fields(fields);
        Ok(value)
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
    const VERSION: u32 = 3;

    /// v1 → v2: the object inside gained the fields of `s3.object` v3.
    /// v2 → v3: as `s3.object` v4 (KMS-wrapped data keys), nothing to change.
    fn migrate(
        from_version: u32,
        mut value: serde_json::Value,
    ) -> nimbus_store::Result<serde_json::Value> {
        if from_version == 2 {
            return Ok(value);
        }
        if from_version != 1 {
            return Err(StoreError::Corrupt(format!(
                "s3.version has no migration from version {from_version}"
            )));
        }
        if let Some(object) = value
            .pointer_mut("/body/Object")
            .and_then(|o| o.as_object_mut())
        {
            add_v3_object_fields(object);
        }
        Ok(value)
    }
}

fn add_v3_object_fields(fields: &mut serde_json::Map<String, serde_json::Value>) {
    fields.insert("encryption".into(), serde_json::Value::Null);
    fields.insert("checksum".into(), serde_json::Value::Null);
    fields.insert("part_list".into(), serde_json::json!([]));
    fields.insert("lock".into(), serde_json::to_value(ObjectLock::default()).unwrap_or_default());
}

/// Plain serde additions of fields that default: the upgrade is the same for every version.
fn migrate_added_fields(
    kind: &str,
    from_version: u32,
    current: u32,
    mut value: serde_json::Value,
    added: &[(&str, serde_json::Value)],
) -> nimbus_store::Result<serde_json::Value> {
    match value.as_object_mut() {
        Some(fields) if from_version < current => {
            for (name, default) in added {
                fields.entry(name.to_string()).or_insert_with(|| default.clone());
            }
            Ok(value)
        }
        _ => Err(StoreError::Corrupt(format!(
            "{kind} has no migration from version {from_version}"
        ))),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    pub upload_id: String,
    pub key: String,
    pub initiated_ms: i64,
    pub initiator_account: String,
    pub headers: ObjectHeaders,
    pub tags: Tags,
    /// How the parts are encrypted (`None`: uploads from v1, parts in plaintext).
    #[serde(default)]
    pub encryption: Option<UploadEncryption>,
    /// The checksum algorithm and type asked for at creation.
    #[serde(default)]
    pub checksum: Option<UploadChecksum>,
    /// Object Lock settings the completed object gets.
    #[serde(default)]
    pub lock: ObjectLock,
}

impl Record for UploadRecord {
    const KIND: &'static str = "s3.upload";
    /// 3: as `s3.object` v4 (KMS-wrapped data keys); v2 records read unchanged.
    const VERSION: u32 = 3;

    /// v1 → v2: encryption, checksum and lock settings.
    fn migrate(
        from_version: u32,
        value: serde_json::Value,
    ) -> nimbus_store::Result<serde_json::Value> {
        migrate_added_fields(
            Self::KIND,
            from_version,
            Self::VERSION,
            value,
            &[
                ("encryption", serde_json::Value::Null),
                ("checksum", serde_json::Value::Null),
                ("lock", serde_json::to_value(ObjectLock::default()).unwrap_or_default()),
            ],
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    pub part_number: i32,
    pub blob: BlobId,
    pub size: u64,
    /// Hex MD5 of the part, without quotes.
    pub etag: String,
    pub last_modified_ms: i64,
    /// The part's encrypted segment (`None`: stored in plaintext).
    #[serde(default)]
    pub segment: Option<Segment>,
    /// Base64 raw checksum of the part in the upload's algorithm.
    #[serde(default)]
    pub checksum: Option<String>,
}

impl Record for PartRecord {
    const KIND: &'static str = "s3.part";
    const VERSION: u32 = 2;

    /// v1 → v2: segment and checksum.
    fn migrate(
        from_version: u32,
        value: serde_json::Value,
    ) -> nimbus_store::Result<serde_json::Value> {
        migrate_added_fields(
            Self::KIND,
            from_version,
            Self::VERSION,
            value,
            &[
                ("segment", serde_json::Value::Null),
                ("checksum", serde_json::Value::Null),
            ],
        )
    }
}

/// Server-side encryption of an object, as the request or the bucket default chose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sse {
    /// `AES256`: Nimbus's own data key.
    S3,
    /// `aws:kms` / `aws:kms:dsse` (see `sse.rs`). With `key_arn`, the data key was made by KMS
    /// and the stored wrapped key is its KMS ciphertext (or, with `bucket_key_blob`, the data
    /// key sealed under that S3 Bucket Key); without, the data key is master-key wrapped
    /// (objects from before KMS, or Nimbus without KMS).
    Kms {
        key_id: Option<String>,
        context: Option<String>,
        dsse: bool,
        /// The ARN of the KMS key that encrypted the data key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key_arn: Option<String>,
        /// Base64 of the bucket key's KMS ciphertext blob (encryption context: the bucket ARN).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bucket_key_blob: Option<String>,
    },
    /// SSE-C: the customer's key, never stored. `key_hmac` (hex HMAC-SHA256 of the key under
    /// `hmac_salt`) recognises it on reads.
    Customer { key_hmac: String, hmac_salt: String },
}

/// A stored body's encryption: who holds the base key, and its segments (see `crypto.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectEncryption {
    pub sse: Sse,
    pub bucket_key: bool,
    /// The data key, wrapped by the store's master key (base64); `None` for SSE-C.
    pub wrapped_key: Option<String>,
    pub segments: Vec<Segment>,
}

/// One separately keyed run of chunks: plaintext size and the key-derivation salt (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub size: u64,
    pub salt: String,
}

/// An upload's encryption, shared by its parts (each part is one segment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadEncryption {
    pub sse: Sse,
    pub bucket_key: bool,
    pub wrapped_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectChecksum {
    pub algorithm: crate::checksums::Algorithm,
    /// `FULL_OBJECT` (true) or `COMPOSITE`.
    pub full_object: bool,
    /// Base64; a composite value ends in `-<parts>`.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadChecksum {
    pub algorithm: crate::checksums::Algorithm,
    pub full_object: bool,
    /// Whether CreateMultipartUpload named the algorithm. When it did not (S3's CRC64NVME
    /// default), parts may carry a checksum of another algorithm, as SDKs send by default.
    #[serde(default = "named_by_default")]
    pub requested: bool,
}

fn named_by_default() -> bool {
    true
}

/// A part of a completed multipart object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartInfo {
    pub size: u64,
    /// Base64 raw checksum of the part.
    pub checksum: Option<String>,
}

/// Object Lock state of one version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLock {
    /// `GOVERNANCE` or `COMPLIANCE`, with `retain_until_ms`.
    pub mode: Option<String>,
    pub retain_until_ms: Option<i64>,
    pub legal_hold: bool,
}

impl ObjectLock {
    /// Whether the version may not be deleted at `now_ms`: legal hold, COMPLIANCE retention,
    /// or GOVERNANCE retention without the bypass.
    pub fn protects(&self, now_ms: i64, bypass_governance: bool) -> bool {
        if self.legal_hold {
            return true;
        }
        match (&self.mode, self.retain_until_ms) {
            (Some(mode), Some(until)) if until > now_ms => {
                !(mode == "GOVERNANCE" && bypass_governance)
            }
            _ => false,
        }
    }
}

/// `PutBucketEncryption`'s rule. Absent: the AWS default (SSE-S3, no bucket key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionConfig {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    pub kms_key_id: Option<String>,
    pub bucket_key: bool,
}

impl Record for EncryptionConfig {
    const KIND: &'static str = "s3.config.encryption";
    const VERSION: u32 = 1;
    const CACHED: bool = true;
}

impl BucketConfig for EncryptionConfig {
    const NAME: &'static str = "encryption";
}

/// Object Lock of a bucket: enabled at creation (or later on a versioned bucket), with an
/// optional default retention for new objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLockConfig {
    pub enabled: bool,
    /// (mode, days, years): exactly one of days and years.
    pub default_mode: Option<String>,
    pub default_days: Option<i32>,
    pub default_years: Option<i32>,
}

impl Record for ObjectLockConfig {
    const KIND: &'static str = "s3.config.object-lock";
    const VERSION: u32 = 1;
    const CACHED: bool = true;
}

impl BucketConfig for ObjectLockConfig {
    const NAME: &'static str = "object-lock";
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
        assert_eq!((record.encryption, record.checksum), (None, None));
        assert!(ObjectRecord::migrate(7, serde_json::json!({})).is_err());
    }

    fn v2_object() -> serde_json::Value {
        serde_json::json!({
            "blob": "0123456789abcdef0123456789abcdef",
            "size": 3,
            "etag": "abc",
            "last_modified_ms": 5,
            "headers": ObjectHeaders::default(),
            "tags": [],
            "parts": null,
            "version_id": "v1",
            "seq": 4,
        })
    }

    #[test]
    fn v2_objects_and_v1_versions_migrate_to_plaintext_unlocked_bodies() {
        let record: ObjectRecord =
            serde_json::from_value(ObjectRecord::migrate(2, v2_object()).unwrap()).unwrap();
        assert_eq!(record.version_id.as_deref(), Some("v1"));
        assert_eq!(record.encryption, None);
        assert!(record.part_list.is_empty());
        assert_eq!(record.lock, ObjectLock::default());
        let v1_version = serde_json::json!({
            "noncurrent_since_ms": 9,
            "body": { "Object": v2_object() },
        });
        let migrated = VersionRecord::migrate(1, v1_version).unwrap();
        assert_eq!(migrated.pointer("/body/Object/part_list"), Some(&serde_json::json!([])));
        let version: VersionRecord = serde_json::from_value(migrated).unwrap();
        assert_eq!(version.seq(), 4);
        assert!(VersionRecord::migrate(3, serde_json::json!({})).is_err());
    }

    #[test]
    fn records_from_before_kms_read_unchanged_as_master_key_wrapped() {
        let v3 = serde_json::json!({"sse": {"Kms": {"key_id": "alias/k", "context": null, "dsse": false}}});
        assert_eq!(ObjectRecord::migrate(3, v3.clone()).unwrap(), v3);
        assert_eq!(VersionRecord::migrate(2, v3.clone()).unwrap(), v3);
        let sse: Sse = serde_json::from_value(v3["sse"].clone()).unwrap();
        assert!(matches!(sse, Sse::Kms { key_arn: None, bucket_key_blob: None, .. }));
        assert!(ObjectRecord::migrate(4, serde_json::json!({})).is_err());
    }

    #[test]
    fn v1_uploads_and_parts_migrate_without_encryption() {
        let upload = serde_json::json!({
            "upload_id": "u", "key": "k", "initiated_ms": 1, "initiator_account": "a",
            "headers": ObjectHeaders::default(), "tags": [],
        });
        let upload: UploadRecord =
            serde_json::from_value(UploadRecord::migrate(1, upload).unwrap()).unwrap();
        assert_eq!((upload.encryption, upload.checksum), (None, None));
        let part = serde_json::json!({
            "part_number": 1, "blob": "0123456789abcdef0123456789abcdef", "size": 1,
            "etag": "e", "last_modified_ms": 1,
        });
        let part: PartRecord =
            serde_json::from_value(PartRecord::migrate(1, part).unwrap()).unwrap();
        assert_eq!((part.segment, part.checksum), (None, None));
        assert!(PartRecord::migrate(2, serde_json::json!({})).is_err());
    }

    #[test]
    fn lock_protection_rules() {
        let governance = ObjectLock {
            mode: Some("GOVERNANCE".into()),
            retain_until_ms: Some(100),
            legal_hold: false,
        };
        assert!(governance.protects(50, false));
        assert!(!governance.protects(50, true));
        assert!(!governance.protects(100, false));
        let compliance = ObjectLock {
            mode: Some("COMPLIANCE".into()),
            ..governance.clone()
        };
        assert!(compliance.protects(50, true));
        let hold = ObjectLock {
            legal_hold: true,
            ..ObjectLock::default()
        };
        assert!(hold.protects(i64::MAX, true));
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
