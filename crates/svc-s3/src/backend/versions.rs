//! Versioning: the bucket's state (Put/GetBucketVersioning), and the version stack of a key.
//!
//! Layout (see `records.rs`): `o/` holds the current live object of each key; `v/` holds the
//! noncurrent versions and delete markers, newest first per key. Every change to a stack goes
//! through [`push_version`] (a write or a delete without version id) or [`remove_version`]
//! (a delete with one), inside the caller's transaction; they return the blobs that the caller
//! deletes after the commit.

use nimbus_store::{BlobId, StoreError, Txn};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::{S3Backend, TxError, access_denied, no_such_bucket, no_such_key};
use crate::io::store_error;
use crate::records::{
    BUCKET_SCOPE, BucketRecord, NULL_VERSION, ObjectRecord, Reader, VersionBody, VersionRecord,
    VersioningConfig, get_config, object_scope, set_config, version_key, version_prefix,
    version_scope,
};

/// Length of a version id; AWS's are about this long.
const VERSION_ID_LEN: usize = 32;
/// URL-safe, so a version id never needs escaping in a query string.
const VERSION_ID_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
/// Versions read per store call while searching a key's stack.
const PAGE: usize = 256;

/// A bucket's versioning state, as it decides what writes and deletes do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Unversioned,
    Enabled,
    Suspended,
}

impl State {
    pub fn of(config: Option<&VersioningConfig>) -> State {
        match config {
            None => State::Unversioned,
            Some(c) if c.enabled() => State::Enabled,
            Some(_) => State::Suspended,
        }
    }

    /// Whether responses carry `x-amz-version-id` (any bucket that was ever versioned).
    pub fn shows_versions(self) -> bool {
        self != State::Unversioned
    }
}

pub(super) fn new_version_id() -> String {
    nimbus_core::ids::random_from(VERSION_ID_ALPHABET, VERSION_ID_LEN)
}

/// A `versionId` parameter: `null` (the null version) or one of ours. Anything else is
/// `InvalidArgument`, as S3 answers ids it could never have issued.
pub(super) fn parse_version_id(given: Option<&str>) -> S3Result<Option<Option<String>>> {
    match given {
        None => Ok(None),
        Some(NULL_VERSION) => Ok(Some(None)),
        Some(v)
            if v.len() == VERSION_ID_LEN && v.bytes().all(|b| VERSION_ID_ALPHABET.contains(&b)) =>
        {
            Ok(Some(Some(v.to_owned())))
        }
        Some(_) => Err(super::invalid_argument("Invalid version id specified")),
    }
}

pub(super) fn no_such_version() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NoSuchVersion,
        "The specified version does not exist.",
    )
}

fn header_map(pairs: &[(&'static str, String)]) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(v) = http::HeaderValue::from_str(value) {
            headers.insert(*name, v);
        }
    }
    headers
}

/// GET/HEAD of a key whose latest version is a delete marker: 404 NoSuchKey, with the marker.
pub(super) fn deleted_key(marker: &VersionRecord) -> S3Error {
    let mut e = no_such_key();
    e.set_headers(header_map(&[
        ("x-amz-delete-marker", "true".to_owned()),
        (
            "x-amz-version-id",
            marker.version_id().unwrap_or(NULL_VERSION).to_owned(),
        ),
    ]));
    e
}

/// GET/HEAD naming a delete marker by version id: 405 MethodNotAllowed.
pub(super) fn marker_not_allowed(marker: &VersionRecord) -> S3Error {
    let mut e = S3Error::with_message(
        S3ErrorCode::MethodNotAllowed,
        "The specified method is not allowed against this resource.",
    );
    let last_modified =
        time::OffsetDateTime::from_unix_timestamp(marker.last_modified_ms().div_euclid(1000))
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc2822)
                    .ok()
            })
            .map(|s| s.replace("+0000", "GMT"));
    let mut pairs = vec![
        ("x-amz-delete-marker", "true".to_owned()),
        (
            "x-amz-version-id",
            marker.version_id().unwrap_or(NULL_VERSION).to_owned(),
        ),
    ];
    if let Some(lm) = last_modified {
        pairs.push(("last-modified", lm));
    }
    e.set_headers(header_map(&pairs));
    e
}

/// One version of a key, wherever it lives.
pub(super) enum Found {
    /// The current live object (`o/`).
    Current(Box<ObjectRecord>),
    /// A noncurrent version or a delete marker (`v/`), with its store key.
    Stacked(String, VersionRecord),
}

impl Found {
    /// The lock state of this version (`None` for a delete marker).
    pub fn lock(&self) -> Option<&crate::records::ObjectLock> {
        match self {
            Found::Current(o) => Some(&o.lock),
            Found::Stacked(_, v) => match &v.body {
                VersionBody::Object(o) => Some(&o.lock),
                VersionBody::DeleteMarker { .. } => None,
            },
        }
    }

    /// The object of this version, or the S3 error for naming a delete marker.
    pub fn object(self) -> S3Result<ObjectRecord> {
        match self {
            Found::Current(o) => Ok(*o),
            Found::Stacked(_, v) => match v.body {
                VersionBody::Object(o) => Ok(*o),
                VersionBody::DeleteMarker { .. } => Err(marker_not_allowed(&v)),
            },
        }
    }
}

/// The key's newest stacked version (`v/`), if any.
pub(super) fn newest_stacked(
    r: &impl Reader,
    bucket_id: &str,
    key: &str,
) -> Result<Option<(String, VersionRecord)>, StoreError> {
    Ok(
        r.list_records::<VersionRecord>(&version_scope(bucket_id), &version_prefix(key), None, 1)?
            .pop(),
    )
}

/// The version `version` (`None`: the null version) of `key`.
pub(super) fn find_version(
    r: &impl Reader,
    bucket_id: &str,
    key: &str,
    version: Option<&str>,
) -> Result<Option<Found>, StoreError> {
    if let Some(current) = r.get_record::<ObjectRecord>(&object_scope(bucket_id), key)?
        && current.version_id.as_deref() == version
    {
        return Ok(Some(Found::Current(Box::new(current))));
    }
    let scope = version_scope(bucket_id);
    let prefix = version_prefix(key);
    let mut after: Option<String> = None;
    loop {
        let page = r.list_records::<VersionRecord>(&scope, &prefix, after.as_deref(), PAGE)?;
        let exhausted = page.len() < PAGE;
        after = page.last().map(|(k, _)| k.clone());
        if let Some((k, v)) = page.into_iter().find(|(_, v)| v.version_id() == version) {
            return Ok(Some(Found::Stacked(k, v)));
        }
        if exhausted {
            return Ok(None);
        }
    }
}

/// The current object of `key` for a request without version id: NoSuchKey (with the delete
/// marker's headers when the latest version is one) if there is none.
pub(super) fn current_or_marker(
    r: &impl Reader,
    bucket_id: &str,
    key: &str,
) -> S3Result<ObjectRecord> {
    if let Some(o) = r
        .get_record_cloned::<ObjectRecord>(&object_scope(bucket_id), key)
        .map_err(store_error)?
    {
        return Ok(o);
    }
    match newest_stacked(r, bucket_id, key).map_err(store_error)? {
        Some((_, v)) if v.is_latest_marker() => Err(deleted_key(&v)),
        _ => Err(no_such_key()),
    }
}

/// The object named by key and optional version id, for reads.
pub(super) fn object_version(
    r: &impl Reader,
    bucket_id: &str,
    key: &str,
    version: Option<Option<String>>,
) -> S3Result<ObjectRecord> {
    match version {
        None => current_or_marker(r, bucket_id, key),
        Some(v) => find_version(r, bucket_id, key, v.as_deref())
            .map_err(store_error)?
            .ok_or_else(no_such_version)?
            .object(),
    }
}

/// What becomes the key's latest version.
pub(super) enum NewTop {
    Object(Box<ObjectRecord>),
    DeleteMarker,
}

/// What [`push_version`] did.
#[derive(Debug, Default)]
pub(super) struct Pushed {
    /// The new version's id (`None`: the null version, or nothing created on an unversioned
    /// bucket's delete).
    pub version_id: Option<String>,
    pub garbage: Vec<BlobId>,
}

/// Makes `new` the latest version of `key` under `state`: an enabled bucket stacks a new
/// version; a suspended one replaces the null version (wherever it is in the stack) with a new
/// null version; an unversioned one replaces the object (and a delete removes it).
pub(super) fn push_version(
    txn: &mut Txn,
    bucket_id: &str,
    key: &str,
    new: NewTop,
    state: State,
    now_ms: i64,
) -> Result<Pushed, StoreError> {
    let objects = object_scope(bucket_id);
    let versions = version_scope(bucket_id);
    let current = txn.get::<ObjectRecord>(&objects, key)?;
    let mut garbage = Vec::new();
    if state == State::Unversioned {
        // A never-versioned bucket has no stacks: plain replace or delete.
        if let Some(old) = current {
            garbage.push(old.blob);
        }
        match new {
            NewTop::Object(mut record) => {
                record.version_id = None;
                record.seq = 0;
                txn.put(&objects, key, &*record)?;
            }
            NewTop::DeleteMarker => {
                txn.delete::<ObjectRecord>(&objects, key)?;
            }
        }
        return Ok(Pushed {
            version_id: None,
            garbage,
        });
    }
    let newest = newest_stacked(txn, bucket_id, key)?;
    let seq = current
        .as_ref()
        .map(|c| c.seq)
        .max(newest.as_ref().map(|(_, v)| v.seq()))
        .map_or(1, |s| s + 1);
    let version_id = (state == State::Enabled).then(new_version_id);
    let replaces_null = version_id.is_none();
    if let Some(old) = current {
        if matches!(new, NewTop::DeleteMarker) {
            txn.delete::<ObjectRecord>(&objects, key)?;
        }
        if replaces_null && old.version_id.is_none() {
            garbage.push(old.blob);
        } else {
            let stacked = VersionRecord {
                noncurrent_since_ms: Some(now_ms),
                body: VersionBody::Object(Box::new(old)),
            };
            txn.put(&versions, &version_key(key, stacked.seq()), &stacked)?;
        }
    }
    let mut null_handled = false;
    if let Some((vkey, mut marker)) = newest
        && marker.is_latest_marker()
    {
        if replaces_null && marker.version_id().is_none() {
            txn.delete::<VersionRecord>(&versions, &vkey)?;
            null_handled = true;
        } else {
            marker.noncurrent_since_ms = Some(now_ms);
            txn.put(&versions, &vkey, &marker)?;
        }
    }
    if replaces_null && !null_handled {
        // A key has at most one null version: an older one in the stack goes too.
        garbage.extend(remove_stacked_null(txn, bucket_id, key)?);
    }
    match new {
        NewTop::Object(mut record) => {
            record.version_id = version_id.clone();
            record.seq = seq;
            txn.put(&objects, key, &*record)?;
        }
        NewTop::DeleteMarker => {
            let marker = VersionRecord {
                noncurrent_since_ms: None,
                body: VersionBody::DeleteMarker {
                    version_id: version_id.clone(),
                    seq,
                    last_modified_ms: now_ms,
                },
            };
            txn.put(&versions, &version_key(key, seq), &marker)?;
        }
    }
    Ok(Pushed {
        version_id,
        garbage,
    })
}

/// Removes the null version from the key's stack (`v/`) if there is one; returns its blob.
fn remove_stacked_null(
    txn: &mut Txn,
    bucket_id: &str,
    key: &str,
) -> Result<Option<BlobId>, StoreError> {
    if let Some(Found::Stacked(vkey, v)) = find_version(txn, bucket_id, key, None)? {
        txn.delete::<VersionRecord>(&version_scope(bucket_id), &vkey)?;
        if let VersionBody::Object(o) = v.body {
            return Ok(Some(o.blob));
        }
    }
    Ok(None)
}

/// What [`remove_version`] removed.
pub(super) struct Removed {
    pub delete_marker: bool,
    pub garbage: Vec<BlobId>,
}

/// Permanently removes one version; if it was the latest, the next newest takes its place.
/// `None` if the key has no such version.
pub(super) fn remove_version(
    txn: &mut Txn,
    bucket_id: &str,
    key: &str,
    version: Option<&str>,
) -> Result<Option<Removed>, StoreError> {
    let Some(found) = find_version(txn, bucket_id, key, version)? else {
        return Ok(None);
    };
    let removed = match found {
        Found::Current(o) => {
            txn.delete::<ObjectRecord>(&object_scope(bucket_id), key)?;
            promote_newest(txn, bucket_id, key)?;
            Removed {
                delete_marker: false,
                garbage: vec![o.blob],
            }
        }
        Found::Stacked(vkey, v) => {
            txn.delete::<VersionRecord>(&version_scope(bucket_id), &vkey)?;
            if v.is_latest_marker() {
                promote_newest(txn, bucket_id, key)?;
            }
            match v.body {
                VersionBody::Object(o) => Removed {
                    delete_marker: false,
                    garbage: vec![o.blob],
                },
                VersionBody::DeleteMarker { .. } => Removed {
                    delete_marker: true,
                    garbage: Vec::new(),
                },
            }
        }
    };
    Ok(Some(removed))
}

/// The latest version was removed: the newest stacked one becomes the latest (an object moves
/// back to `o/`; a delete marker just stops being noncurrent).
fn promote_newest(txn: &mut Txn, bucket_id: &str, key: &str) -> Result<(), StoreError> {
    let Some((vkey, mut v)) = newest_stacked(txn, bucket_id, key)? else {
        return Ok(());
    };
    let versions = version_scope(bucket_id);
    match v.body {
        VersionBody::Object(o) => {
            txn.delete::<VersionRecord>(&versions, &vkey)?;
            txn.put(&object_scope(bucket_id), key, &*o)?;
        }
        VersionBody::DeleteMarker { .. } => {
            v.noncurrent_since_ms = None;
            txn.put(&versions, &vkey, &v)?;
        }
    }
    Ok(())
}

impl S3Backend {
    /// The bucket's versioning state (read outside any transaction, for response headers).
    pub(super) fn versioning_state(&self, bucket: &BucketRecord) -> S3Result<State> {
        let config =
            get_config::<VersioningConfig>(&self.store, &bucket.id).map_err(store_error)?;
        Ok(State::of(config.as_ref()))
    }

    pub(super) fn op_put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let account = self.account(&req);
        let config = req.input.versioning_configuration;
        let malformed = || {
            S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        };
        let status = match config.status.as_ref().map(|s| s.as_str()) {
            None => None,
            Some(s @ ("Enabled" | "Suspended")) => Some(s.to_owned()),
            Some(_) => return Err(malformed()),
        };
        let mfa_delete = match config.mfa_delete.as_ref().map(|s| s.as_str()) {
            None => None,
            Some(s @ ("Enabled" | "Disabled")) => Some(s.to_owned()),
            Some(_) => return Err(malformed()),
        };
        let name = req.input.bucket;
        self.store.transaction(|txn| -> Result<(), TxError> {
            let bucket = txn
                .get::<BucketRecord>(BUCKET_SCOPE, &name)?
                .ok_or_else(|| no_such_bucket(&name))?;
            if bucket.owner_account != account {
                return Err(access_denied().into());
            }
            let old = get_config::<VersioningConfig>(txn, &bucket.id)?;
            let locked = get_config::<crate::records::ObjectLockConfig>(txn, &bucket.id)?
                .is_some_and(|c| c.enabled);
            if locked && status.as_deref() == Some("Suspended") {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidBucketState,
                    "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
                )
                .into());
            }
            // Without a Status the state stays as it is: a bucket never returns to unversioned.
            let status = match (status, &old) {
                (Some(s), _) => s,
                (None, Some(old)) => old.status.clone(),
                (None, None) => return Ok(()),
            };
            let config = VersioningConfig {
                status,
                mfa_delete: mfa_delete.or_else(|| old.and_then(|o| o.mfa_delete)),
            };
            set_config(txn, &bucket.id, Some(&config))?;
            Ok(())
        })?;
        self.changed();
        Ok(S3Response::new(PutBucketVersioningOutput::default()))
    }

    pub(super) fn op_get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let account = self.account(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        let config =
            get_config::<VersioningConfig>(&self.store, &bucket.id).map_err(store_error)?;
        Ok(S3Response::new(GetBucketVersioningOutput {
            status: config
                .as_ref()
                .map(|c| BucketVersioningStatus::from(c.status.clone())),
            mfa_delete: config.and_then(|c| c.mfa_delete).map(MFADeleteStatus::from),
        }))
    }
}
