//! Objects: put, get, head, delete (one and many), copy, tagging, conditional requests.

use std::collections::BTreeMap;

use nimbus_store::StoreError;
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::buckets::{check_tag, to_tag_set, validate_tags};
use super::versions::{
    Found, NewTop, State, find_version, no_such_version, object_version, parse_version_id,
    push_version, remove_version,
};
use super::{
    S3Backend, TxError, invalid_argument, no_such_key, not_modified, precondition_failed, ts, ts_ms,
};
use super::object_lock::{locked_error, set_lock_headers};
use super::integrity::{self, Trailers, given_checksums, set_object_checksum};
use crate::checksums::{self, Algorithm};
use crate::notifications::{self, ObjectEvent, RequestInfo};
use crate::io::{self, BlobStream, WriteSpec, store_error};
use crate::sse::{self, CustomerKey, WriteKey, set_sse};
use crate::records::{
    BucketRecord, NULL_VERSION, ObjectEncryption, ObjectHeaders, ObjectRecord, Sse, Tags,
    VersionBody, VersionRecord, VersioningConfig, get_config, object_scope, version_scope,
};

const MAX_OBJECT_TAGS: usize = 10;
/// User metadata (names + values of `x-amz-meta-*`) is limited to 2 KB.
const MAX_METADATA_BYTES: usize = 2048;
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";
const STANDARD: &str = "STANDARD";

/// Takes the stored-header fields out of any input that has them (PutObject, CopyObject,
/// CreateMultipartUpload name them alike).
macro_rules! take_header_input {
    ($input:expr) => {
        $crate::backend::objects::HeaderInput {
            content_type: $input.content_type.take(),
            content_encoding: $input.content_encoding.take(),
            content_disposition: $input.content_disposition.take(),
            content_language: $input.content_language.take(),
            cache_control: $input.cache_control.take(),
            expires: $input.expires.take(),
            website_redirect_location: $input.website_redirect_location.take(),
            metadata: $input.metadata.take(),
            storage_class: $input.storage_class.take(),
        }
    };
}
pub(super) use take_header_input;

/// The copy-source preconditions of any input that has them (CopyObject, UploadPartCopy).
macro_rules! copy_source_conditions {
    ($input:expr) => {
        $crate::backend::objects::Conditions {
            if_match: $input.copy_source_if_match.as_ref(),
            if_none_match: $input.copy_source_if_none_match.as_ref(),
            if_modified_since: $input.copy_source_if_modified_since.as_ref(),
            if_unmodified_since: $input.copy_source_if_unmodified_since.as_ref(),
        }
    };
}
pub(super) use copy_source_conditions;

/// What the request says about the object's stored headers.
pub(super) struct HeaderInput {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<Timestamp>,
    pub website_redirect_location: Option<String>,
    pub metadata: Option<Metadata>,
    pub storage_class: Option<StorageClass>,
}

pub(super) fn object_headers(input: HeaderInput) -> S3Result<ObjectHeaders> {
    let metadata: BTreeMap<String, String> = input
        .metadata
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let size: usize = metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_METADATA_BYTES {
        return Err(S3Error::with_message(
            S3ErrorCode::MetadataTooLarge,
            "Your metadata headers exceed the maximum allowed metadata size.",
        ));
    }
    let storage_class = match input.storage_class {
        Some(class) => Some(check_storage_class(class.as_str())?),
        None => None,
    };
    Ok(ObjectHeaders {
        content_type: input.content_type,
        content_encoding: input.content_encoding,
        content_disposition: input.content_disposition,
        content_language: input.content_language,
        cache_control: input.cache_control,
        expires_ms: input.expires.as_ref().map(ts_ms),
        website_redirect_location: input.website_redirect_location,
        metadata,
        storage_class,
    })
}

fn check_storage_class(class: &str) -> S3Result<String> {
    const KNOWN: &[&str] = &[
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "DEEP_ARCHIVE",
        "GLACIER_IR",
        "OUTPOSTS",
        "SNOW",
        "EXPRESS_ONEZONE",
    ];
    if KNOWN.contains(&class) {
        Ok(class.to_owned())
    } else {
        Err(S3Error::with_message(
            S3ErrorCode::InvalidStorageClass,
            "The storage class you specified is not valid",
        ))
    }
}

/// Parses `x-amz-tagging` (`k1=v1&k2=v2`, URL-encoded).
pub(super) fn parse_tagging_header(header: Option<&str>) -> S3Result<Tags> {
    let Some(header) = header.filter(|h| !h.is_empty()) else {
        return Ok(Vec::new());
    };
    let mut tags: Tags = Vec::new();
    for pair in header.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."))
        };
        let (k, v) = (decode(k)?, decode(v)?);
        check_tag(&k, &v)?;
        if tags.iter().any(|(key, _)| *key == k) {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
            ));
        }
        tags.push((k, v));
    }
    if tags.len() > MAX_OBJECT_TAGS {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidTag,
            "Object tags cannot be greater than 10",
        ));
    }
    Ok(tags)
}

fn etag_matches(cond: &ETagCondition, etag: &str) -> bool {
    match cond {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => e.value() == etag,
    }
}

/// Seconds precision, as HTTP dates carry.
fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn ts_secs(t: &Timestamp) -> i64 {
    secs(ts_ms(t))
}

pub(super) struct Conditions<'a> {
    pub if_match: Option<&'a ETagCondition>,
    pub if_none_match: Option<&'a ETagCondition>,
    pub if_modified_since: Option<&'a Timestamp>,
    pub if_unmodified_since: Option<&'a Timestamp>,
}

/// GET/HEAD preconditions with S3's precedence: If-Match (then If-Unmodified-Since only without
/// it) → 412; If-None-Match (then If-Modified-Since only without it) → 304.
fn check_read_conditions(c: &Conditions<'_>, obj: &ObjectRecord) -> S3Result<()> {
    let modified = secs(obj.last_modified_ms);
    match c.if_match {
        Some(cond) => {
            if !etag_matches(cond, &obj.etag) {
                return Err(precondition_failed());
            }
        }
        None => {
            if c.if_unmodified_since.is_some_and(|t| modified > ts_secs(t)) {
                return Err(precondition_failed());
            }
        }
    }
    match c.if_none_match {
        Some(cond) => {
            if etag_matches(cond, &obj.etag) {
                return Err(not_modified());
            }
        }
        None => {
            if c.if_modified_since.is_some_and(|t| modified <= ts_secs(t)) {
                return Err(not_modified());
            }
        }
    }
    Ok(())
}

/// Copy-source preconditions: every failure is 412. If-Match true overrides a failing
/// If-Unmodified-Since; If-None-Match false with If-Modified-Since true is still 412.
pub(super) fn check_copy_conditions(c: &Conditions<'_>, obj: &ObjectRecord) -> S3Result<()> {
    let modified = secs(obj.last_modified_ms);
    match c.if_match {
        Some(cond) if !etag_matches(cond, &obj.etag) => return Err(precondition_failed()),
        Some(_) => {}
        None => {
            if c.if_unmodified_since.is_some_and(|t| modified > ts_secs(t)) {
                return Err(precondition_failed());
            }
        }
    }
    match c.if_none_match {
        Some(cond) if etag_matches(cond, &obj.etag) => return Err(precondition_failed()),
        Some(_) => {}
        None => {
            if c.if_modified_since.is_some_and(|t| modified <= ts_secs(t)) {
                return Err(precondition_failed());
            }
        }
    }
    Ok(())
}

/// Parses `bytes=first-last` of `x-amz-copy-source-range` against the source size.
pub(super) fn parse_copy_range(range: Option<&str>, size: u64) -> S3Result<(u64, u64)> {
    let Some(range) = range else {
        return Ok((0, size));
    };
    let bad = || {
        invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        )
    };
    let spec = range.strip_prefix("bytes=").ok_or_else(bad)?;
    let (first, last) = spec.split_once('-').ok_or_else(bad)?;
    let first: u64 = first.trim().parse().map_err(|_| bad())?;
    let last: u64 = last.trim().parse().map_err(|_| bad())?;
    if first > last {
        return Err(bad());
    }
    if last >= size {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRange,
            "The requested range is not satisfiable",
        ));
    }
    Ok((first, last - first + 1))
}

impl S3Backend {
    /// The object record, if any.
    pub(super) fn object(
        &self,
        bucket: &BucketRecord,
        key: &str,
    ) -> S3Result<Option<ObjectRecord>> {
        self.store
            .get::<ObjectRecord>(&object_scope(&bucket.id), key)
            .map_err(store_error)
    }

    /// Commits `record` as the latest version of `key` (after `check` approves the current
    /// object), under the bucket's versioning state, and deletes the bodies it replaced. On
    /// refusal the new blob is deleted. `also` runs in the same transaction (multipart
    /// completion drops its upload there) and returns more blobs to delete after the commit.
    /// Returns the version id to show (`None` on a never-versioned bucket) and the change's
    /// event sequencer.
    pub(super) fn commit_object(
        &self,
        bucket: &BucketRecord,
        key: &str,
        record: ObjectRecord,
        check: impl FnOnce(Option<&ObjectRecord>) -> S3Result<()>,
        also: impl FnOnce(&mut nimbus_store::Txn) -> Result<Vec<nimbus_store::BlobId>, TxError>,
    ) -> S3Result<Committed> {
        let new_blob = record.blob.clone();
        let now = self.now_ms();
        let result = self.store.transaction(|txn| -> Result<_, TxError> {
            let old = txn.get::<ObjectRecord>(&object_scope(&bucket.id), key)?;
            check(old.as_ref())?;
            let mut garbage = also(txn)?;
            let state = State::of(get_config::<VersioningConfig>(txn, &bucket.id)?.as_ref());
            let pushed = push_version(
                txn,
                &bucket.id,
                key,
                NewTop::Object(Box::new(record)),
                state,
                now,
            )?;
            garbage.extend(pushed.garbage);
            let committed = Committed {
                version_id: shown_version(state, pushed.version_id),
                sequencer: self.next_sequencer(),
            };
            Ok((committed, garbage))
        });
        match result {
            Ok((committed, garbage)) => {
                self.delete_blobs(garbage);
                self.changed();
                Ok(committed)
            }
            Err(e) => {
                self.delete_blobs([new_blob]);
                Err(e.into())
            }
        }
    }

    pub(super) async fn op_put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let account = self.account(&req);
        let origin = self.origin(&req);
        let event_name = if req.extensions.get::<RequestInfo>().is_some_and(|i| i.form_upload) {
            notifications::CREATED_POST
        } else {
            notifications::CREATED_PUT
        };
        let trailers = Trailers::of(&req);
        let mut input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        let headers = object_headers(take_header_input!(input))?;
        let tags = parse_tagging_header(input.tagging.as_deref())?;
        // Fail fast before reading the body; checked again atomically at commit.
        let if_none_match = input.if_none_match.take();
        let if_match = input.if_match.take();
        if if_none_match.is_some() || if_match.is_some() {
            let current = self.object(&bucket, &input.key)?;
            check_write_conditions(if_match.as_ref(), if_none_match.as_ref(), current.as_ref())?;
        }
        let customer = CustomerKey::from_headers(
            input.sse_customer_algorithm.as_deref(),
            input.sse_customer_key.as_deref(),
            input.sse_customer_key_md5.as_deref(),
        )?;
        let requested_sse = sse::requested(
            input.server_side_encryption.as_ref(),
            input.ssekms_key_id.as_deref(),
            input.ssekms_encryption_context.as_deref(),
            input.bucket_key_enabled,
            customer,
        )?;
        let checksum = checksums::requested(
            &given_checksums!(input),
            trailers.sdk_algorithm(input.checksum_algorithm.as_ref()),
            trailers.declared(),
            Some(Algorithm::Crc64Nvme),
        )?;
        let lock = self.lock_for_write(
            &bucket,
            input.object_lock_mode.as_ref().map(|m| m.as_str()),
            input.object_lock_retain_until_date.as_ref(),
            input.object_lock_legal_hold_status.as_ref().map(|s| s.as_str()),
            input.content_md5.is_some() || checksum.as_ref().is_some_and(|c| c.expected != checksums::Expected::Nothing),
        )?;
        let key = WriteKey::new(&self.key_scope(&bucket, &input.key), requested_sse, self.default_encryption(&bucket)?.as_ref())?;
        let declared = input.content_length.and_then(|n| u64::try_from(n).ok());
        let spec = WriteSpec {
            base: Some(key.base),
            checksum: checksum.as_ref().map(|c| c.algorithm),
        };
        let written = io::write_body(&self.store, input.body.take(), declared, spec).await?;
        let verified = check_content_md5(input.content_md5.as_deref(), &written)
            .and_then(|()| integrity::verify(checksum.as_ref(), &written, &trailers));
        let verified = match verified {
            Ok(v) => v,
            Err(e) => {
                self.delete_blobs([written.id.clone()]);
                return Err(e);
            }
        };
        let etag = etag_for(&key.sse, &written);
        let size = written.size;
        let stored_checksum = integrity::object_checksum(verified);
        let record = ObjectRecord {
            blob: written.id.clone(),
            size,
            etag: etag.clone(),
            last_modified_ms: self.now_ms(),
            headers,
            tags,
            parts: None,
            version_id: None,
            seq: 0,
            encryption: Some(ObjectEncryption {
                sse: key.sse.clone(),
                bucket_key: key.bucket_key,
                wrapped_key: key.wrapped_key.clone(),
                segments: written.segment().into_iter().collect(),
            }),
            checksum: stored_checksum.clone(),
            part_list: Vec::new(),
            lock,
        };
        let committed = self.commit_object(
            &bucket,
            &input.key,
            record,
            |current| check_write_conditions(if_match.as_ref(), if_none_match.as_ref(), current),
            |_| Ok(Vec::new()),
        )?;
        self.notify(
            &bucket,
            &origin,
            &[committed.created(event_name, &input.key, size, &etag)],
        );
        let mut out = PutObjectOutput {
            e_tag: Some(ETag::Strong(etag)),
            size: i64::try_from(size).ok(),
            version_id: committed.version_id,
            ..Default::default()
        };
        set_sse!(out, sse::headers_for(&key.sse, key.bucket_key, key.customer_md5.as_deref()));
        set_object_checksum!(out, stored_checksum.as_ref());
        Ok(S3Response::new(out))
    }

    /// Reads the record and opens its blob; retries if an overwrite removed the blob between
    /// the two steps.
    fn open_object(
        &self,
        bucket: &BucketRecord,
        key: &str,
        version: Option<Option<String>>,
    ) -> S3Result<(ObjectRecord, std::sync::Arc<std::fs::File>)> {
        for _ in 0..3 {
            let obj = object_version(&self.store, &bucket.id, key, version.clone())?;
            match self.store.blobs().open_shared(&obj.blob) {
                Ok(file) => return Ok((obj, file)),
                Err(StoreError::BlobNotFound(_)) => continue,
                Err(e) => return Err(store_error(e)),
            }
        }
        Err(io::internal(
            "opening object",
            format!("body of {key:?} keeps disappearing"),
        ))
    }

    pub(super) fn op_get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let account = self.account(&req);
        self.get_object_output(req.input, &account).map(S3Response::new)
    }

    /// GetObject's work, shared by s3s's path and the front's fast path (`fast_get.rs`), which
    /// serializes the same output itself.
    pub(crate) fn get_object_output(&self, input: GetObjectInput, account: &str) -> S3Result<GetObjectOutput> {
        let bucket = self.bucket_for(&input.bucket, account)?;
        let version = parse_version_id(input.version_id.as_deref())?;
        let state = self.versioning_state(&bucket)?;
        let customer = CustomerKey::from_headers(
            input.sse_customer_algorithm.as_deref(),
            input.sse_customer_key.as_deref(),
            input.sse_customer_key_md5.as_deref(),
        )?;
        let (obj, file) = self.open_object(&bucket, &input.key, version)?;
        let layout = self.read_layout(&bucket, &input.key, &obj, customer.as_ref())?;
        check_read_conditions(
            &Conditions {
                if_match: input.if_match.as_ref(),
                if_none_match: input.if_none_match.as_ref(),
                if_modified_since: input.if_modified_since.as_ref(),
                if_unmodified_since: input.if_unmodified_since.as_ref(),
            },
            &obj,
        )?;
        let (start, len, content_range) = byte_range(input.range, obj.size)?;
        let whole = content_range.is_none();
        let body = BlobStream::new(file, layout, start, len).into_blob();
        let h = &obj.headers;
        let mut out = GetObjectOutput {
            body: Some(body),
            accept_ranges: Some("bytes".to_owned()),
            content_length: i64::try_from(len).ok(),
            content_range,
            content_type: Some(
                h.content_type
                    .clone()
                    .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned()),
            ),
            content_encoding: h.content_encoding.clone(),
            content_disposition: h.content_disposition.clone(),
            content_language: h.content_language.clone(),
            cache_control: h.cache_control.clone(),
            expires: h.expires_ms.map(ts),
            website_redirect_location: h.website_redirect_location.clone(),
            e_tag: Some(ETag::Strong(obj.etag.clone())),
            last_modified: Some(ts(obj.last_modified_ms)),
            metadata: (!h.metadata.is_empty()).then(|| h.metadata.clone().into_iter().collect()),
            storage_class: reported_class(h.storage_class.as_deref()),
            tag_count: (!obj.tags.is_empty()).then_some(obj.tags.len() as i32),
            parts_count: input.part_number.and(obj.parts.map(|p| p as i32)),
            version_id: state.shows_versions().then(|| obj.version_str().to_owned()),
            ..Default::default()
        };
        set_sse!(out, sse::object_headers(obj.encryption.as_ref(), customer.as_ref().map(|c| c.md5.as_str())));
        if whole && checksum_mode_enabled(input.checksum_mode.as_ref()) {
            set_object_checksum!(out, obj.checksum.as_ref());
        }
        set_lock_headers!(out, &obj.lock);
        // response-content-type & co. are applied by s3s on top of these headers.
        Ok(out)
    }

    pub(super) fn op_head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        let version = parse_version_id(input.version_id.as_deref())?;
        let state = self.versioning_state(&bucket)?;
        let obj = object_version(&self.store, &bucket.id, &input.key, version)?;
        let customer = CustomerKey::from_headers(
            input.sse_customer_algorithm.as_deref(),
            input.sse_customer_key.as_deref(),
            input.sse_customer_key_md5.as_deref(),
        )?;
        self.check_read_key(&obj, customer.as_ref())?;
        check_read_conditions(
            &Conditions {
                if_match: input.if_match.as_ref(),
                if_none_match: input.if_none_match.as_ref(),
                if_modified_since: input.if_modified_since.as_ref(),
                if_unmodified_since: input.if_unmodified_since.as_ref(),
            },
            &obj,
        )?;
        let (_, len, content_range) = byte_range(input.range, obj.size)?;
        let version_id = state.shows_versions().then(|| obj.version_str().to_owned());
        let sse_headers = sse::object_headers(obj.encryption.as_ref(), customer.as_ref().map(|c| c.md5.as_str()));
        let checksum = (content_range.is_none() && checksum_mode_enabled(input.checksum_mode.as_ref()))
            .then_some(obj.checksum.as_ref())
            .flatten();
        let lock = obj.lock.clone();
        let h = obj.headers;
        let mut out = HeadObjectOutput {
            accept_ranges: Some("bytes".to_owned()),
            content_length: i64::try_from(len).ok(),
            content_range,
            content_type: input
                .response_content_type
                .or(h.content_type)
                .or_else(|| Some(DEFAULT_CONTENT_TYPE.to_owned())),
            content_encoding: input.response_content_encoding.or(h.content_encoding),
            content_disposition: input.response_content_disposition.or(h.content_disposition),
            content_language: input.response_content_language.or(h.content_language),
            cache_control: input.response_cache_control.or(h.cache_control),
            expires: input.response_expires.or(h.expires_ms.map(ts)),
            website_redirect_location: h.website_redirect_location,
            e_tag: Some(ETag::Strong(obj.etag)),
            last_modified: Some(ts(obj.last_modified_ms)),
            metadata: (!h.metadata.is_empty()).then(|| h.metadata.into_iter().collect()),
            storage_class: reported_class(h.storage_class.as_deref()),
            parts_count: input.part_number.and(obj.parts.map(|p| p as i32)),
            version_id,
            ..Default::default()
        };
        set_sse!(out, sse_headers);
        set_object_checksum!(out, checksum);
        set_lock_headers!(out, &lock);
        Ok(S3Response::new(out))
    }

    pub(super) fn op_delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let account = self.account(&req);
        let origin = self.origin(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        let version = parse_version_id(req.input.version_id.as_deref())?;
        let if_match = req.input.if_match.clone();
        let bypass = req.input.bypass_governance_retention.unwrap_or(false);
        let deleted = self.remove_object(&bucket, &req.input.key, version, bypass, |current| {
            match (&if_match, current) {
                (Some(_), None) => Err(no_such_key()),
                (Some(cond), Some(obj)) if !etag_matches(cond, &obj.etag) => {
                    Err(precondition_failed())
                }
                _ => Ok(()),
            }
        })?;
        self.notify(&bucket, &origin, &[deleted.event(&req.input.key)]);
        Ok(S3Response::new(DeleteObjectOutput {
            delete_marker: deleted.delete_marker.then_some(true),
            version_id: deleted.version_id,
            ..Default::default()
        }))
    }

    /// DeleteObject's work, for one key: without a version, the versioning state decides
    /// (remove, or stack a delete marker); with one, that version goes for good. Deleting
    /// nothing is success, as on S3.
    fn remove_object(
        &self,
        bucket: &BucketRecord,
        key: &str,
        version: Option<Option<String>>,
        bypass_governance: bool,
        check: impl FnOnce(Option<&ObjectRecord>) -> S3Result<()>,
    ) -> S3Result<Deleted> {
        let now = self.now_ms();
        let (deleted, garbage) = self.store.transaction(|txn| -> Result<_, TxError> {
            let state = State::of(get_config::<VersioningConfig>(txn, &bucket.id)?.as_ref());
            match version {
                None => {
                    let current = txn.get::<ObjectRecord>(&object_scope(&bucket.id), key)?;
                    check(current.as_ref())?;
                    let pushed =
                        push_version(txn, &bucket.id, key, NewTop::DeleteMarker, state, now)?;
                    let deleted = Deleted {
                        delete_marker: state.shows_versions(),
                        version_id: shown_version(state, pushed.version_id),
                        marker_created: state.shows_versions(),
                        sequencer: self.next_sequencer(),
                    };
                    Ok((deleted, pushed.garbage))
                }
                Some(v) => {
                    if let Some(found) = find_version(txn, &bucket.id, key, v.as_deref())?
                        && let Some(lock) = found.lock()
                        && lock.protects(now, bypass_governance)
                    {
                        return Err(locked_error().into());
                    }
                    let removed = remove_version(txn, &bucket.id, key, v.as_deref())?;
                    let deleted = Deleted {
                        delete_marker: removed.as_ref().is_some_and(|r| r.delete_marker),
                        version_id: Some(v.unwrap_or_else(|| NULL_VERSION.to_owned())),
                        marker_created: false,
                        sequencer: self.next_sequencer(),
                    };
                    Ok((deleted, removed.map(|r| r.garbage).unwrap_or_default()))
                }
            }
        })?;
        self.delete_blobs(garbage);
        self.changed();
        Ok(deleted)
    }

    pub(super) fn op_delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let account = self.account(&req);
        let origin = self.origin(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        let delete = req.input.delete;
        if delete.objects.len() > 1000 {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        }
        let quiet = delete.quiet.unwrap_or(false);
        let bypass = req.input.bypass_governance_retention.unwrap_or(false);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        let mut events = Vec::new();
        for ident in delete.objects {
            let key = ident.key;
            let result = parse_version_id(ident.version_id.as_deref()).and_then(|version| {
                self.remove_object(&bucket, &key, version, bypass, |current| {
                    match (&ident.e_tag, current) {
                        (Some(etag), Some(obj)) if etag.value() != obj.etag => {
                            Err(precondition_failed())
                        }
                        _ => Ok(()),
                    }
                })
            });
            match result {
                Ok(d) => {
                    events.push(d.event(&key));
                    if !quiet {
                        // A new delete marker is reported as such; a removed version by its id.
                        let (version_id, marker_id) = match (&ident.version_id, d.delete_marker) {
                            (None, true) => (None, d.version_id),
                            (Some(_), true) => (d.version_id.clone(), d.version_id),
                            (_, false) => (d.version_id, None),
                        };
                        deleted.push(DeletedObject {
                            key: Some(key),
                            version_id,
                            delete_marker: d.delete_marker.then_some(true),
                            delete_marker_version_id: marker_id,
                        });
                    }
                }
                Err(e) => errors.push(Error {
                    code: Some(e.code().as_str().to_owned()),
                    message: e.message().map(str::to_owned),
                    key: Some(key),
                    version_id: ident.version_id,
                }),
            }
        }
        self.notify(&bucket, &origin, &events);
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: Some(errors),
            request_charged: None,
        }))
    }

    /// The source object of a copy, with the caller's access to its bucket checked.
    pub(super) fn copy_source(
        &self,
        source: &CopySource,
        account: &str,
    ) -> S3Result<CopySourceObject> {
        let CopySource::Bucket {
            bucket,
            key,
            version_id,
        } = source
        else {
            return Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                "Copying from access points or outposts is not implemented",
            ));
        };
        let version = parse_version_id(version_id.as_deref())?;
        let bucket = self.bucket_for(bucket, account)?;
        let state = self.versioning_state(&bucket)?;
        let (object, is_current) = match version {
            None => (object_version(&self.store, &bucket.id, key, None)?, true),
            Some(v) => match find_version(&self.store, &bucket.id, key, v.as_deref())
                .map_err(store_error)?
                .ok_or_else(no_such_version)?
            {
                Found::Current(o) => (*o, true),
                Found::Stacked(_, v) => match v.body {
                    VersionBody::Object(o) => (*o, false),
                    VersionBody::DeleteMarker { .. } => {
                        return Err(S3Error::with_message(
                            S3ErrorCode::InvalidRequest,
                            "The source of a copy request may not specifically refer to a delete marker by version id.",
                        ));
                    }
                },
            },
        };
        let shown_version = state
            .shows_versions()
            .then(|| object.version_str().to_owned());
        Ok(CopySourceObject {
            bucket,
            key: key.to_string(),
            object,
            is_current,
            shown_version,
        })
    }

    pub(super) async fn op_copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let account = self.account(&req);
        let origin = self.origin(&req);
        let mut input = req.input;
        let dest_bucket = self.bucket_for(&input.bucket, &account)?;
        let source = self.copy_source(&input.copy_source, &account)?;
        let src = &source.object;
        check_copy_conditions(&copy_source_conditions!(input), src)?;
        let source_customer = CustomerKey::from_headers(
            input.copy_source_sse_customer_algorithm.as_deref(),
            input.copy_source_sse_customer_key.as_deref(),
            input.copy_source_sse_customer_key_md5.as_deref(),
        )?;
        let source_layout = self.read_layout(&source.bucket, &source.key, src, source_customer.as_ref())?;
        let customer = CustomerKey::from_headers(
            input.sse_customer_algorithm.as_deref(),
            input.sse_customer_key.as_deref(),
            input.sse_customer_key_md5.as_deref(),
        )?;
        let has_customer = customer.is_some();
        let requested_sse = sse::requested(
            input.server_side_encryption.as_ref(),
            input.ssekms_key_id.as_deref(),
            input.ssekms_encryption_context.as_deref(),
            input.bucket_key_enabled,
            customer,
        )?;
        let checksum_algorithm = match &input.checksum_algorithm {
            Some(a) => Algorithm::parse(a.as_str()).ok_or_else(|| {
                S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    "Value for x-amz-checksum-algorithm header is invalid.",
                )
            })?,
            None => src.checksum.as_ref().map_or(Algorithm::Crc64Nvme, |c| c.algorithm),
        };
        let lock = self.lock_for_write(
            &dest_bucket,
            input.object_lock_mode.as_ref().map(|m| m.as_str()),
            input.object_lock_retain_until_date.as_ref(),
            input.object_lock_legal_hold_status.as_ref().map(|s| s.as_str()),
            true,
        )?;
        let replace_metadata = match input.metadata_directive.as_ref().map(|d| d.as_str()) {
            None | Some("COPY") => false,
            Some("REPLACE") => true,
            Some(_) => return Err(invalid_argument("Unknown metadata directive.")),
        };
        let replace_tags = match input.tagging_directive.as_ref().map(|d| d.as_str()) {
            None | Some("COPY") => false,
            Some("REPLACE") => true,
            Some(_) => return Err(invalid_argument("Unknown tagging directive.")),
        };
        // Copying an older version onto its own key is how a version is restored: allowed.
        let same_object =
            source.bucket.id == dest_bucket.id && source.key == input.key && source.is_current;
        if same_object
            && !replace_metadata
            && input.storage_class.is_none()
            && input.website_redirect_location.is_none()
            && input.server_side_encryption.is_none()
            && !has_customer
        {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
            ));
        }
        let mut headers = if replace_metadata {
            object_headers(take_header_input!(input))?
        } else {
            let mut h = src.headers.clone();
            if let Some(loc) = input.website_redirect_location.take() {
                h.website_redirect_location = Some(loc);
            }
            h
        };
        if let Some(class) = input.storage_class.take() {
            headers.storage_class = Some(check_storage_class(class.as_str())?);
        } else if !replace_metadata {
            // The storage class is not copied: the destination gets the request's (STANDARD).
            headers.storage_class = None;
        }
        let tags = if replace_tags {
            parse_tagging_header(input.tagging.as_deref())?
        } else {
            src.tags.clone()
        };
        let key = WriteKey::new(&self.key_scope(&dest_bucket, &input.key), requested_sse, self.default_encryption(&dest_bucket)?.as_ref())?;
        let file = self.store.blobs().open(&src.blob).map_err(store_error)?;
        let spec = WriteSpec {
            base: Some(key.base),
            checksum: Some(checksum_algorithm),
        };
        let written = io::transcode(&self.store, file, source_layout, 0, src.size, spec).await?;
        let stored_checksum = integrity::object_checksum(
            written.checksum.as_deref().map(|raw| (checksum_algorithm, checksums::b64(raw))),
        );
        let record = ObjectRecord {
            blob: written.id.clone(),
            size: written.size,
            etag: etag_for(&key.sse, &written),
            last_modified_ms: self.now_ms(),
            headers,
            tags,
            parts: None,
            version_id: None,
            seq: 0,
            encryption: Some(ObjectEncryption {
                sse: key.sse.clone(),
                bucket_key: key.bucket_key,
                wrapped_key: key.wrapped_key.clone(),
                segments: written.segment().into_iter().collect(),
            }),
            checksum: stored_checksum.clone(),
            part_list: Vec::new(),
            lock,
        };
        let (etag, last_modified_ms, size) = (record.etag.clone(), record.last_modified_ms, record.size);
        let committed = self.commit_object(
            &dest_bucket,
            &input.key,
            record,
            |_| Ok(()),
            |_| Ok(Vec::new()),
        )?;
        self.notify(
            &dest_bucket,
            &origin,
            &[committed.created(notifications::CREATED_COPY, &input.key, size, &etag)],
        );
        let version_id = committed.version_id;
        let mut result = CopyObjectResult {
            e_tag: Some(ETag::Strong(etag)),
            last_modified: Some(ts(last_modified_ms)),
            ..Default::default()
        };
        set_object_checksum!(result, stored_checksum.as_ref());
        let mut out = CopyObjectOutput {
            copy_object_result: Some(result),
            copy_source_version_id: source.shown_version,
            version_id,
            ..Default::default()
        };
        let mut headers = sse::headers_for(&key.sse, key.bucket_key, key.customer_md5.as_deref());
        out.server_side_encryption = headers.sse.take();
        out.ssekms_key_id = headers.kms_key_id.take();
        out.bucket_key_enabled = headers.bucket_key;
        out.sse_customer_algorithm = headers.customer_algorithm.take();
        out.sse_customer_key_md5 = headers.customer_md5.take();
        Ok(S3Response::new(out))
    }

    pub(super) fn op_put_object_tagging(
        &self,
        req: S3Request<PutObjectTaggingInput>,
    ) -> S3Result<S3Response<PutObjectTaggingOutput>> {
        let account = self.account(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        let tags = validate_tags(&req.input.tagging.tag_set, MAX_OBJECT_TAGS)?;
        let version = parse_version_id(req.input.version_id.as_deref())?;
        let version_id =
            self.update_object(&bucket, &req.input.key, version, |obj| {
                obj.tags = tags;
                Ok(())
            })?;
        Ok(S3Response::new(PutObjectTaggingOutput { version_id }))
    }

    pub(super) fn op_get_object_tagging(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<S3Response<GetObjectTaggingOutput>> {
        let account = self.account(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        let version = parse_version_id(req.input.version_id.as_deref())?;
        let state = self.versioning_state(&bucket)?;
        let obj = object_version(&self.store, &bucket.id, &req.input.key, version)?;
        Ok(S3Response::new(GetObjectTaggingOutput {
            tag_set: to_tag_set(&obj.tags),
            version_id: state.shows_versions().then(|| obj.version_str().to_owned()),
        }))
    }

    pub(super) fn op_delete_object_tagging(
        &self,
        req: S3Request<DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
        let account = self.account(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        let version = parse_version_id(req.input.version_id.as_deref())?;
        let version_id =
            self.update_object(&bucket, &req.input.key, version, |obj| {
                obj.tags.clear();
                Ok(())
            })?;
        Ok(S3Response::new(DeleteObjectTaggingOutput { version_id }))
    }

    /// Changes one version of an object in place (tags); returns the version id to show.
    pub(super) fn update_object(
        &self,
        bucket: &BucketRecord,
        key: &str,
        version: Option<Option<String>>,
        change: impl FnOnce(&mut ObjectRecord) -> S3Result<()>,
    ) -> S3Result<Option<String>> {
        let shown = self.store.transaction(|txn| -> Result<_, TxError> {
            let state = State::of(get_config::<VersioningConfig>(txn, &bucket.id)?.as_ref());
            let found = match &version {
                None => Found::Current(Box::new(object_version(txn, &bucket.id, key, None)?)),
                Some(v) => {
                    find_version(txn, &bucket.id, key, v.as_deref())?.ok_or_else(no_such_version)?
                }
            };
            let shown;
            match found {
                Found::Current(mut obj) => {
                    change(&mut obj)?;
                    shown = obj.version_str().to_owned();
                    txn.put(&object_scope(&bucket.id), key, &*obj)?;
                }
                Found::Stacked(vkey, mut v) => {
                    let VersionBody::Object(obj) = &mut v.body else {
                        return Err(super::versions::marker_not_allowed(&v).into());
                    };
                    change(obj)?;
                    shown = obj.version_str().to_owned();
                    txn.put::<VersionRecord>(&version_scope(&bucket.id), &vkey, &v)?;
                }
            }
            Ok(state.shows_versions().then_some(shown))
        })?;
        self.changed();
        Ok(shown)
    }
}

/// What a DeleteObject did, as its response headers say.
pub(super) struct Deleted {
    pub delete_marker: bool,
    pub version_id: Option<String>,
    /// The delete stacked a new delete marker (no version id, on a bucket that shows versions).
    pub marker_created: bool,
    pub sequencer: String,
}

impl Deleted {
    /// The `ObjectRemoved:*` event of this delete of `key`.
    pub fn event(&self, key: &str) -> ObjectEvent {
        ObjectEvent {
            name: if self.marker_created {
                notifications::REMOVED_MARKER
            } else {
                notifications::REMOVED_DELETE
            },
            key: key.to_owned(),
            size: None,
            etag: None,
            version_id: self.version_id.clone(),
            sequencer: self.sequencer.clone(),
        }
    }
}

/// What [`S3Backend::commit_object`] committed.
pub(super) struct Committed {
    /// The version id to show (`None` on a never-versioned bucket).
    pub version_id: Option<String>,
    pub sequencer: String,
}

impl Committed {
    /// The `ObjectCreated:*` event of the object committed.
    pub fn created(&self, name: &'static str, key: &str, size: u64, etag: &str) -> ObjectEvent {
        ObjectEvent {
            name,
            key: key.to_owned(),
            size: Some(size),
            etag: Some(etag.to_owned()),
            version_id: self.version_id.clone(),
            sequencer: self.sequencer.clone(),
        }
    }
}

/// The object a copy reads, and where it came from.
pub(super) struct CopySourceObject {
    pub bucket: BucketRecord,
    pub key: String,
    pub object: ObjectRecord,
    /// It is the key's current version (not an older one named by version id).
    pub is_current: bool,
    /// `x-amz-copy-source-version-id`, on a versioned source bucket.
    pub shown_version: Option<String>,
}

/// The version id a response shows: none on a never-versioned bucket, `null` for null versions.
pub(super) fn shown_version(state: State, version_id: Option<String>) -> Option<String> {
    state
        .shows_versions()
        .then(|| version_id.unwrap_or_else(|| NULL_VERSION.to_owned()))
}

/// A `Range` against an object's size: (start, length, `Content-Range`).
fn byte_range(range: Option<Range>, size: u64) -> S3Result<(u64, u64, Option<String>)> {
    let Some(range) = range else {
        return Ok((0, size, None));
    };
    let r = range.check(size).map_err(|_| {
        S3Error::with_message(
            S3ErrorCode::InvalidRange,
            "The requested range is not satisfiable",
        )
    })?;
    let header = format!("bytes {}-{}/{}", r.start, r.end - 1, size);
    Ok((r.start, r.end - r.start, Some(header)))
}

/// PUT's `If-None-Match: *` (412 if the key exists) and `If-Match` (404 if it does not,
/// 412 if its ETag differs).
fn check_write_conditions(
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    current: Option<&ObjectRecord>,
) -> S3Result<()> {
    if let Some(cond) = if_none_match {
        if !cond.is_any() {
            return Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                "A header you provided implies functionality that is not implemented",
            ));
        }
        if current.is_some() {
            return Err(precondition_failed());
        }
    }
    if let Some(cond) = if_match {
        match current {
            None => return Err(no_such_key()),
            Some(obj) if !etag_matches(cond, &obj.etag) => return Err(precondition_failed()),
            Some(_) => {}
        }
    }
    Ok(())
}

/// S3 reports `x-amz-storage-class` for every class but STANDARD.
fn reported_class(class: Option<&str>) -> Option<StorageClass> {
    class
        .filter(|c| *c != STANDARD)
        .map(|c| StorageClass::from(c.to_owned()))
}

/// `Content-MD5` against the plaintext: `InvalidDigest` if malformed, `BadDigest` if different.
pub(super) fn check_content_md5(given: Option<&str>, written: &io::WrittenBlob) -> S3Result<()> {
    let Some(given) = given else {
        return Ok(());
    };
    match checksums::unb64(given) {
        Some(raw) if raw.len() == 16 => {
            if raw != written.md5 {
                return Err(S3Error::with_message(
                    S3ErrorCode::BadDigest,
                    "The Content-MD5 you specified did not match what we received.",
                ));
            }
            Ok(())
        }
        _ => Err(S3Error::with_message(
            S3ErrorCode::InvalidDigest,
            "The Content-MD5 you specified was invalid.",
        )),
    }
}

/// The ETag of a single-part body: the plaintext's MD5 for SSE-S3 (as AWS), random for SSE-C
/// and SSE-KMS (AWS's is not the MD5 of the data either, and must reveal nothing about it).
pub(super) fn etag_for(sse: &Sse, written: &io::WrittenBlob) -> String {
    match sse {
        Sse::S3 => written.md5_hex(),
        Sse::Kms { .. } | Sse::Customer { .. } => hex::encode(crate::crypto::random_bytes::<16>()),
    }
}

fn checksum_mode_enabled(mode: Option<&ChecksumMode>) -> bool {
    mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case("ENABLED"))
}

/// The storage class as GetObjectAttributes shows it (STANDARD included).
pub(super) fn reported_or_standard(class: Option<&str>) -> StorageClass {
    StorageClass::from(class.unwrap_or(STANDARD).to_owned())
}
