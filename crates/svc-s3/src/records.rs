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

use std::collections::BTreeMap;

use nimbus_store::{BlobId, Record};
use serde::{Deserialize, Serialize};

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
}

impl Record for ObjectRecord {
    const KIND: &'static str = "s3.object";
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
