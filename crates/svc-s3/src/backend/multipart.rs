//! Multipart uploads: create, upload part (and part copy), complete, abort, list.

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::list::{common_prefix, common_prefix_list, encoder, listed_class, url_encode};
use super::objects::{
    check_copy_conditions, copy_source_conditions, object_headers, parse_copy_range,
    parse_tagging_header, take_header_input,
};
use super::{S3Backend, TxError, invalid_argument, no_such_upload, owner, ts};
use super::integrity::{
    self, Trailers, checksum_type, given_checksums, set_checksum, set_object_checksum,
};
use super::objects::{check_content_md5, etag_for};
use crate::checksums::{self, Algorithm};
use crate::crypto::sealed_len;
use crate::io::{self, WriteSpec, store_error};
use crate::records::{
    BucketRecord, ObjectChecksum, ObjectEncryption, ObjectRecord, PartInfo, PartRecord,
    UploadChecksum, UploadRecord,
};
use crate::sse::{self, CustomerKey, WriteKey, set_sse};
use crate::records::{part_key, part_scope, upload_scope};

const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
const MAX_PART_NUMBER: i32 = 10_000;
const MAX_LIST: i32 = 1000;

fn check_part_number(n: i32) -> S3Result<()> {
    if (1..=MAX_PART_NUMBER).contains(&n) {
        Ok(())
    } else {
        Err(invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
        ))
    }
}

fn new_upload_id() -> String {
    // Sortable by creation time within a key, opaque otherwise.
    format!(
        "{:012x}{}",
        time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000,
        nimbus_core::ids::random_from(nimbus_core::ids::ALNUM, 40)
    )
}

fn limit(given: Option<i32>, what: &str) -> S3Result<usize> {
    match given {
        None => Ok(MAX_LIST as usize),
        Some(n) if n < 0 => Err(invalid_argument(format!(
            "Argument {what} must be an integer between 0 and 2147483647"
        ))),
        Some(n) => Ok(n.min(MAX_LIST) as usize),
    }
}

impl S3Backend {
    /// The key the next part of `upload` is encrypted with (`None`: a plaintext upload from
    /// before encryption at rest). SSE-C uploads need the same customer key on every part.
    fn part_key(
        &self,
        bucket: &BucketRecord,
        upload: &UploadRecord,
        customer: Option<&CustomerKey>,
    ) -> S3Result<Option<WriteKey>> {
        match &upload.encryption {
            Some(enc) => WriteKey::of_upload(&self.key_scope(bucket, &upload.key), enc, customer).map(Some),
            None => sse::check_plain_read(customer).map(|()| None),
        }
    }

    fn upload(&self, bucket: &BucketRecord, key: &str, upload_id: &str) -> S3Result<UploadRecord> {
        match self
            .store
            .get::<UploadRecord>(&upload_scope(&bucket.id), upload_id)
            .map_err(store_error)?
        {
            Some(u) if u.key == key => Ok(u),
            _ => Err(no_such_upload()),
        }
    }

    pub(super) fn op_create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let account = self.account(&req);
        let mut input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        let headers = object_headers(take_header_input!(input))?;
        let tags = parse_tagging_header(input.tagging.as_deref())?;
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
        let checksum = upload_checksum(
            input.checksum_algorithm.as_ref().map(|a| a.as_str()),
            input.checksum_type.as_ref().map(|t| t.as_str()),
        )?;
        let lock = self.lock_for_write(
            &bucket,
            input.object_lock_mode.as_ref().map(|m| m.as_str()),
            input.object_lock_retain_until_date.as_ref(),
            input.object_lock_legal_hold_status.as_ref().map(|s| s.as_str()),
            true,
        )?;
        let key = WriteKey::new(&self.key_scope(&bucket, &input.key), requested_sse, self.default_encryption(&bucket)?.as_ref())?;
        let upload_id = new_upload_id();
        let record = UploadRecord {
            upload_id: upload_id.clone(),
            key: input.key.clone(),
            initiated_ms: self.now_ms(),
            initiator_account: account,
            headers,
            tags,
            encryption: Some(key.upload_encryption()),
            checksum: Some(checksum.clone()),
            lock,
        };
        self.store
            .put(&upload_scope(&bucket.id), &upload_id, &record)
            .map_err(store_error)?;
        self.changed();
        let mut out = CreateMultipartUploadOutput {
            bucket: Some(bucket.name),
            key: Some(input.key),
            upload_id: Some(upload_id),
            checksum_algorithm: Some(ChecksumAlgorithm::from(checksum.algorithm.name().to_owned())),
            checksum_type: Some(checksum_type(checksum.full_object)),
            ..Default::default()
        };
        set_sse!(out, sse::headers_for(&key.sse, key.bucket_key, key.customer_md5.as_deref()));
        Ok(S3Response::new(out))
    }

    /// Records a part written to `written` (replacing any earlier upload of the same number).
    fn commit_part(
        &self,
        bucket: &BucketRecord,
        upload_id: &str,
        part_number: i32,
        written: &io::WrittenBlob,
        etag: String,
        checksum: Option<String>,
    ) -> S3Result<PartRecord> {
        let record = PartRecord {
            part_number,
            blob: written.id.clone(),
            size: written.size,
            etag,
            last_modified_ms: self.now_ms(),
            segment: written.segment(),
            checksum,
        };
        let uploads = upload_scope(&bucket.id);
        let parts = part_scope(upload_id);
        let key = part_key(part_number);
        let result = self.store.transaction(|txn| -> Result<_, TxError> {
            if txn.get::<UploadRecord>(&uploads, upload_id)?.is_none() {
                return Err(no_such_upload().into());
            }
            let old = txn.get::<PartRecord>(&parts, &key)?;
            txn.put(&parts, &key, &record)?;
            Ok(old)
        });
        match result {
            Ok(old) => {
                if let Some(old) = old {
                    self.delete_blobs([old.blob]);
                }
                Ok(record)
            }
            Err(e) => {
                self.delete_blobs([written.id.clone()]);
                Err(e.into())
            }
        }
    }

    pub(super) async fn op_upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let account = self.account(&req);
        let trailers = Trailers::of(&req);
        let mut input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        check_part_number(input.part_number)?;
        let upload = self.upload(&bucket, &input.key, &input.upload_id)?;
        let customer = CustomerKey::from_headers(
            input.sse_customer_algorithm.as_deref(),
            input.sse_customer_key.as_deref(),
            input.sse_customer_key_md5.as_deref(),
        )?;
        let key = self.part_key(&bucket, &upload, customer.as_ref())?;
        let upload_algorithm = upload.checksum.as_ref().map(|c| c.algorithm);
        let checksum = checksums::requested(
            &given_checksums!(input),
            trailers.sdk_algorithm(input.checksum_algorithm.as_ref()),
            trailers.declared(),
            upload_algorithm,
        )?;
        let upload_named_algorithm = upload.checksum.as_ref().is_some_and(|c| c.requested);
        // A part checksummed with another algorithm than the upload's default: verified, but it
        // cannot feed the upload's CRC64NVME, so the completed object carries none.
        let foreign_checksum = matches!((upload_algorithm, &checksum), (Some(a), Some(c)) if c.algorithm != a);
        if let (Some(upload_alg), Some(c)) = (upload_algorithm, &checksum)
            && c.algorithm != upload_alg
            && upload_named_algorithm
        {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                format!(
                    "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                    upload_alg.name().to_ascii_lowercase(),
                    c.algorithm.name().to_ascii_lowercase()
                ),
            ));
        }
        let declared = input.content_length.and_then(|n| u64::try_from(n).ok());
        let spec = WriteSpec {
            base: key.as_ref().map(|k| k.base),
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
        let etag = part_etag(key.as_ref(), &written);
        let part = self.commit_part(
            &bucket,
            &input.upload_id,
            input.part_number,
            &written,
            etag,
            verified.as_ref().filter(|_| !foreign_checksum).map(|(_, v)| v.clone()),
        )?;
        let mut out = UploadPartOutput {
            e_tag: Some(ETag::Strong(part.etag)),
            ..Default::default()
        };
        if let Some((algorithm, value)) = verified {
            set_checksum!(out, algorithm, Some(value));
        }
        if let Some(k) = &key {
            set_sse!(out, sse::headers_for(&k.sse, k.bucket_key, k.customer_md5.as_deref()));
        }
        Ok(S3Response::new(out))
    }

    pub(super) async fn op_upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        check_part_number(input.part_number)?;
        let upload = self.upload(&bucket, &input.key, &input.upload_id)?;
        let source = self.copy_source(&input.copy_source, &account)?;
        let src = &source.object;
        check_copy_conditions(&copy_source_conditions!(input), src)?;
        let source_customer = CustomerKey::from_headers(
            input.copy_source_sse_customer_algorithm.as_deref(),
            input.copy_source_sse_customer_key.as_deref(),
            input.copy_source_sse_customer_key_md5.as_deref(),
        )?;
        let layout = self.read_layout(&source.bucket, &source.key, src, source_customer.as_ref())?;
        let customer = CustomerKey::from_headers(
            input.sse_customer_algorithm.as_deref(),
            input.sse_customer_key.as_deref(),
            input.sse_customer_key_md5.as_deref(),
        )?;
        let key = self.part_key(&bucket, &upload, customer.as_ref())?;
        let (start, len) = parse_copy_range(input.copy_source_range.as_deref(), src.size)?;
        let algorithm = upload.checksum.as_ref().map(|c| c.algorithm);
        let file = self.store.blobs().open(&src.blob).map_err(store_error)?;
        let spec = WriteSpec {
            base: key.as_ref().map(|k| k.base),
            checksum: algorithm,
        };
        let written = io::transcode(&self.store, file, layout, start, len, spec).await?;
        let etag = part_etag(key.as_ref(), &written);
        let checksum = written.checksum.as_deref().map(checksums::b64);
        let part = self.commit_part(
            &bucket,
            &input.upload_id,
            input.part_number,
            &written,
            etag,
            checksum.clone(),
        )?;
        let mut result = CopyPartResult {
            e_tag: Some(ETag::Strong(part.etag)),
            last_modified: Some(ts(part.last_modified_ms)),
            ..Default::default()
        };
        if let Some(algorithm) = algorithm {
            set_checksum!(result, algorithm, checksum);
        }
        let mut out = UploadPartCopyOutput {
            copy_part_result: Some(result),
            copy_source_version_id: source.shown_version,
            ..Default::default()
        };
        if let Some(k) = &key {
            set_sse!(out, sse::headers_for(&k.sse, k.bucket_key, k.customer_md5.as_deref()));
        }
        Ok(S3Response::new(out))
    }

    pub(super) async fn op_complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let account = self.account(&req);
        let origin = self.origin(&req);
        let host = req
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let mut input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        let upload = self.upload(&bucket, &input.key, &input.upload_id)?;
        let requested = input
            .multipart_upload
            .take()
            .and_then(|m| m.parts)
            .unwrap_or_default();
        if requested.is_empty() {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        }
        let stored = self
            .store
            .list::<PartRecord>(&part_scope(&upload.upload_id), "", None, usize::MAX)
            .map_err(store_error)?;
        let invalid_part = || {
            S3Error::with_message(
                S3ErrorCode::InvalidPart,
                "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
            )
        };
        let mut chosen: Vec<&PartRecord> = Vec::with_capacity(requested.len());
        let mut previous = 0;
        for part in &requested {
            let number = part.part_number.ok_or_else(invalid_part)?;
            if number <= previous {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidPartOrder,
                    "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
                ));
            }
            previous = number;
            let found = stored
                .iter()
                .map(|(_, p)| p)
                .find(|p| p.part_number == number)
                .ok_or_else(invalid_part)?;
            if let Some(etag) = &part.e_tag
                && etag.value().trim_matches('"') != found.etag
            {
                return Err(invalid_part());
            }
            check_part_checksum(upload.checksum.as_ref(), part, found, &invalid_part)?;
            chosen.push(found);
        }
        if let Some((_, all_but_last)) = chosen.split_last()
            && all_but_last.iter().any(|p| p.size < MIN_PART_SIZE)
        {
            return Err(S3Error::with_message(
                S3ErrorCode::EntityTooSmall,
                "Your proposed upload is smaller than the minimum allowed object size.",
            ));
        }
        let etag = io::multipart_etag(&chosen.iter().map(|p| p.etag.as_str()).collect::<Vec<_>>());
        let object_checksum = completed_checksum(upload.checksum.as_ref(), &chosen)?;
        check_complete_checksum(&input, object_checksum.as_ref())?;
        // Stored bytes are concatenated as they are: encrypted parts keep their segments.
        let slices = chosen
            .iter()
            .map(|p| {
                let stored = if p.segment.is_some() { sealed_len(p.size) } else { p.size };
                (p.blob.clone(), 0, stored)
            })
            .collect();
        let parts_count = chosen.len() as u32;
        let size: u64 = chosen.iter().map(|p| p.size).sum();
        let encryption = upload.encryption.as_ref().map(|e| ObjectEncryption {
            sse: e.sse.clone(),
            bucket_key: e.bucket_key,
            wrapped_key: e.wrapped_key.clone(),
            segments: chosen.iter().filter_map(|p| p.segment.clone()).collect(),
        });
        if encryption
            .as_ref()
            .is_some_and(|e| e.segments.len() != chosen.len())
        {
            return Err(io::internal("completing an upload", "a part has no segment"));
        }
        let blob = io::concat(&self.store, slices).await?;
        let record = ObjectRecord {
            blob,
            size,
            etag: etag.clone(),
            last_modified_ms: self.now_ms(),
            headers: upload.headers.clone(),
            tags: upload.tags.clone(),
            parts: Some(parts_count),
            version_id: None,
            seq: 0,
            encryption: encryption.clone(),
            checksum: object_checksum.clone(),
            part_list: chosen
                .iter()
                .map(|p| PartInfo {
                    size: p.size,
                    checksum: p.checksum.clone(),
                })
                .collect(),
            lock: upload.lock.clone(),
        };
        let uploads = upload_scope(&bucket.id);
        let committed = self.commit_object(
            &bucket,
            &input.key,
            record,
            |_| Ok(()),
            |txn| {
                if txn
                    .get::<UploadRecord>(&uploads, &upload.upload_id)?
                    .is_none()
                {
                    return Err(no_such_upload().into());
                }
                txn.delete::<UploadRecord>(&uploads, &upload.upload_id)?;
                Ok(drop_parts(txn, &upload.upload_id)?)
            },
        )?;
        self.notify(
            &bucket,
            &origin,
            &[committed.created(crate::notifications::CREATED_MULTIPART, &input.key, size, &etag)],
        );
        let version_id = committed.version_id;
        let location = match host {
            Some(host) => format!("http://{host}/{}/{}", bucket.name, url_encode(&input.key)),
            None => format!("/{}/{}", bucket.name, url_encode(&input.key)),
        };
        let mut out = CompleteMultipartUploadOutput {
            bucket: Some(bucket.name),
            key: Some(input.key),
            e_tag: Some(ETag::Strong(etag)),
            location: Some(location),
            version_id,
            ..Default::default()
        };
        set_object_checksum!(out, object_checksum.as_ref());
        if let Some(e) = &encryption {
            let h = sse::headers_for(&e.sse, e.bucket_key, None);
            out.server_side_encryption = h.sse;
            out.ssekms_key_id = h.kms_key_id;
            out.bucket_key_enabled = h.bucket_key;
        }
        Ok(S3Response::new(out))
    }

    pub(super) fn op_abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        self.upload(&bucket, &input.key, &input.upload_id)?;
        let uploads = upload_scope(&bucket.id);
        let garbage = self.store.transaction(|txn| -> Result<_, TxError> {
            if !txn.delete::<UploadRecord>(&uploads, &input.upload_id)? {
                return Err(no_such_upload().into());
            }
            Ok(drop_parts(txn, &input.upload_id)?)
        })?;
        self.delete_blobs(garbage);
        self.changed();
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    pub(super) fn op_list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        let max = limit(input.max_uploads, "max-uploads")?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
        let mut all: Vec<UploadRecord> = self
            .store
            .list::<UploadRecord>(&upload_scope(&bucket.id), "", None, usize::MAX)
            .map_err(store_error)?
            .into_iter()
            .map(|(_, u)| u)
            .filter(|u| u.key.starts_with(&prefix))
            .collect();
        all.sort_by(|a, b| {
            (&a.key, a.initiated_ms, &a.upload_id).cmp(&(&b.key, b.initiated_ms, &b.upload_id))
        });
        let key_marker = input.key_marker.clone().filter(|m| !m.is_empty());
        let upload_marker = input.upload_id_marker.clone().filter(|m| !m.is_empty());
        let after_marker = |u: &UploadRecord| match (&key_marker, &upload_marker) {
            (None, _) => true,
            (Some(k), None) => u.key.as_str() > k.as_str(),
            (Some(k), Some(id)) => {
                u.key.as_str() > k.as_str() || (u.key == *k && u.upload_id.as_str() > id.as_str())
            }
        };
        let mut uploads = Vec::new();
        let mut prefixes: Vec<String> = Vec::new();
        let mut truncated = false;
        let mut last: Option<(String, Option<String>)> = None;
        for u in all.into_iter().filter(after_marker) {
            let common = common_prefix(&u.key, &prefix, delimiter.as_deref());
            if let Some(common) = &common
                && prefixes.last() == Some(common)
            {
                continue;
            }
            if uploads.len() + prefixes.len() == max {
                truncated = true;
                break;
            }
            match common {
                Some(common) => {
                    last = Some((common.clone(), None));
                    prefixes.push(common);
                }
                None => {
                    last = Some((u.key.clone(), Some(u.upload_id.clone())));
                    uploads.push(u);
                }
            }
        }
        let enc = encoder(input.encoding_type.as_ref());
        let (next_key_marker, next_upload_id_marker) = match (truncated, last) {
            (true, Some((k, id))) => (Some(enc(k)), id),
            _ => (None, None),
        };
        let out = ListMultipartUploadsOutput {
            bucket: Some(bucket.name.clone()),
            common_prefixes: Some(common_prefix_list(prefixes, &enc)),
            delimiter: input.delimiter.map(enc),
            encoding_type: input.encoding_type,
            is_truncated: Some(truncated),
            key_marker: Some(input.key_marker.map(enc).unwrap_or_default()),
            max_uploads: Some(max as i32),
            next_key_marker,
            next_upload_id_marker,
            prefix: Some(enc(prefix)),
            upload_id_marker: Some(input.upload_id_marker.unwrap_or_default()),
            uploads: Some(
                uploads
                    .into_iter()
                    .map(|u| MultipartUpload {
                        initiated: Some(ts(u.initiated_ms)),
                        initiator: Some(initiator(&u)),
                        owner: Some(owner(&bucket.owner_account)),
                        storage_class: Some(StorageClass::from(listed_class(&u.headers))),
                        key: Some(enc(u.key)),
                        upload_id: Some(u.upload_id),
                        ..Default::default()
                    })
                    .collect(),
            ),
            request_charged: None,
        };
        Ok(S3Response::new(out))
    }

    pub(super) fn op_list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        let upload = self.upload(&bucket, &input.key, &input.upload_id)?;
        let max = limit(input.max_parts, "max-parts")?;
        let marker = input.part_number_marker.unwrap_or(0).max(0);
        let after = (marker > 0).then(|| part_key(marker));
        let mut page = self
            .store
            .list::<PartRecord>(
                &part_scope(&upload.upload_id),
                "",
                after.as_deref(),
                max + 1,
            )
            .map_err(store_error)?;
        let truncated = page.len() > max;
        page.truncate(max);
        let next_marker = page.last().map(|(_, p)| p.part_number);
        let out = ListPartsOutput {
            bucket: Some(bucket.name.clone()),
            key: Some(upload.key.clone()),
            upload_id: Some(upload.upload_id.clone()),
            initiator: Some(initiator(&upload)),
            owner: Some(owner(&bucket.owner_account)),
            storage_class: Some(StorageClass::from(listed_class(&upload.headers))),
            checksum_algorithm: upload
                .checksum
                .as_ref()
                .map(|c| ChecksumAlgorithm::from(c.algorithm.name().to_owned())),
            checksum_type: upload.checksum.as_ref().map(|c| checksum_type(c.full_object)),
            is_truncated: Some(truncated),
            max_parts: Some(max as i32),
            part_number_marker: Some(marker),
            next_part_number_marker: if truncated { next_marker } else { None },
            parts: Some(
                page.into_iter()
                    .map(|(_, p)| {
                        let mut part = Part {
                            e_tag: Some(ETag::Strong(p.etag)),
                            last_modified: Some(ts(p.last_modified_ms)),
                            part_number: Some(p.part_number),
                            size: i64::try_from(p.size).ok(),
                            ..Default::default()
                        };
                        if let Some(c) = &upload.checksum {
                            set_checksum!(part, c.algorithm, p.checksum);
                        }
                        part
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        Ok(S3Response::new(out))
    }
}

fn initiator(upload: &UploadRecord) -> Initiator {
    Initiator {
        display_name: Some(upload.initiator_account.clone()),
        id: owner(&upload.initiator_account).id,
    }
}

/// Deletes an upload's part records (inside the caller's transaction); returns their blobs, to
/// delete after the commit.
pub(super) fn drop_parts(
    txn: &mut nimbus_store::Txn,
    upload_id: &str,
) -> Result<Vec<nimbus_store::BlobId>, nimbus_store::StoreError> {
    let parts = part_scope(upload_id);
    let mut garbage = Vec::new();
    for (key, part) in txn.list::<PartRecord>(&parts, "", None, usize::MAX)? {
        txn.delete::<PartRecord>(&parts, &key)?;
        garbage.push(part.blob);
    }
    Ok(garbage)
}

/// The ETag of a part: as a single-part object's (see `objects::etag_for`).
fn part_etag(key: Option<&WriteKey>, written: &io::WrittenBlob) -> String {
    match key {
        Some(k) => etag_for(&k.sse, written),
        None => written.md5_hex(),
    }
}

/// CreateMultipartUpload's checksum algorithm and type. Without an algorithm S3 uses its
/// default, CRC64NVME over the full object; CRC64NVME is always full-object, the others
/// composite unless FULL_OBJECT is asked for (which only CRCs support).
fn upload_checksum(algorithm: Option<&str>, kind: Option<&str>) -> S3Result<UploadChecksum> {
    let invalid = |m: &str| S3Error::with_message(S3ErrorCode::InvalidRequest, m.to_owned());
    let requested = algorithm.is_some();
    let algorithm_or_default = match algorithm {
        None if kind.is_some() => {
            return Err(invalid(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
            ));
        }
        None => Algorithm::Crc64Nvme,
        Some(name) => Algorithm::parse(name)
            .ok_or_else(|| invalid("Value for x-amz-checksum-algorithm header is invalid."))?,
    };
    let algorithm = algorithm_or_default;
    let full_object = match kind {
        None => algorithm == Algorithm::Crc64Nvme,
        Some("FULL_OBJECT") if algorithm.supports_full_object() => true,
        Some("FULL_OBJECT") => {
            return Err(invalid(&format!(
                "The FULL_OBJECT checksum type cannot be used with the {} checksum algorithm.",
                algorithm.name().to_ascii_lowercase()
            )));
        }
        Some("COMPOSITE") if algorithm != Algorithm::Crc64Nvme => false,
        Some("COMPOSITE") => {
            return Err(invalid(
                "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
            ));
        }
        Some(_) => return Err(invalid("Value for x-amz-checksum-type header is invalid.")),
    };
    Ok(UploadChecksum {
        algorithm: algorithm_or_default,
        full_object,
        requested,
    })
}

/// A part in CompleteMultipartUpload: a composite upload must name each part's checksum, and
/// any checksum named must be the stored one.
fn check_part_checksum(
    upload: Option<&UploadChecksum>,
    part: &CompletedPart,
    stored: &PartRecord,
    invalid_part: &dyn Fn() -> S3Error,
) -> S3Result<()> {
    let Some(upload) = upload else {
        return Ok(());
    };
    let given = given_checksums!(part)
        .into_iter()
        .find(|(a, _)| *a == upload.algorithm)
        .and_then(|(_, v)| v.map(str::to_owned));
    match given {
        None if !upload.full_object && stored.checksum.is_some() => Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            format!(
                "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {} in the request.",
                upload.algorithm.name().to_ascii_lowercase(),
                stored.part_number
            ),
        )),
        Some(v) if Some(&v) != stored.checksum.as_ref() => Err(invalid_part()),
        _ => Ok(()),
    }
}

/// The completed object's checksum from its parts' (`None` when a part has none: parts
/// uploaded before checksums were kept).
fn completed_checksum(
    upload: Option<&UploadChecksum>,
    parts: &[&PartRecord],
) -> S3Result<Option<ObjectChecksum>> {
    let Some(upload) = upload else {
        return Ok(None);
    };
    let raws: Option<Vec<Vec<u8>>> = parts
        .iter()
        .map(|p| p.checksum.as_deref().and_then(checksums::unb64))
        .collect();
    let Some(raws) = raws else {
        return Ok(None);
    };
    let value = if upload.full_object {
        let sized: Vec<(Vec<u8>, u64)> = raws.into_iter().zip(parts.iter().map(|p| p.size)).collect();
        let raw = checksums::full_object(upload.algorithm, &sized)
            .ok_or_else(|| io::internal("combining checksums", "not a CRC"))?;
        checksums::b64(&raw)
    } else {
        checksums::composite(upload.algorithm, &raws)
    };
    Ok(Some(ObjectChecksum {
        algorithm: upload.algorithm,
        full_object: upload.full_object,
        value,
    }))
}

/// The whole-object checksum and type a CompleteMultipartUpload request may carry.
fn check_complete_checksum(
    input: &CompleteMultipartUploadInput,
    computed: Option<&ObjectChecksum>,
) -> S3Result<()> {
    if let (Some(kind), Some(c)) = (&input.checksum_type, computed)
        && kind.as_str() != checksum_type(c.full_object).as_str()
    {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            format!(
                "The upload was created using the {} checksum mode. The complete request must use the same checksum mode.",
                checksum_type(c.full_object).as_str()
            ),
        ));
    }
    for (algorithm, given) in given_checksums!(input) {
        let Some(given) = given else { continue };
        match computed {
            Some(c) if c.algorithm == algorithm => {
                if given != c.value {
                    return Err(checksums::mismatch(algorithm));
                }
            }
            _ => {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    format!(
                        "The upload was not created with the {} checksum algorithm.",
                        algorithm.name().to_ascii_lowercase()
                    ),
                ));
            }
        }
    }
    Ok(())
}
