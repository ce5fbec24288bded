//! Multipart uploads: create, upload part (and part copy), complete, abort, list.

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::list::{common_prefix, common_prefix_list, encoder, listed_class, url_encode};
use super::objects::{
    check_copy_conditions, copy_source_conditions, object_headers, parse_copy_range,
    parse_tagging_header, take_header_input,
};
use super::{S3Backend, TxError, invalid_argument, no_such_upload, owner, ts};
use crate::io::{self, store_error};
use crate::records::{BucketRecord, ObjectRecord, PartRecord, UploadRecord};
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
        let upload_id = new_upload_id();
        let record = UploadRecord {
            upload_id: upload_id.clone(),
            key: input.key.clone(),
            initiated_ms: self.now_ms(),
            initiator_account: account,
            headers,
            tags,
        };
        self.store
            .put(&upload_scope(&bucket.id), &upload_id, &record)
            .map_err(store_error)?;
        self.changed();
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(bucket.name),
            key: Some(input.key),
            upload_id: Some(upload_id),
            ..Default::default()
        }))
    }

    /// Records a part written to `written` (replacing any earlier upload of the same number).
    fn commit_part(
        &self,
        bucket: &BucketRecord,
        upload_id: &str,
        part_number: i32,
        written: &io::WrittenBlob,
    ) -> S3Result<PartRecord> {
        let record = PartRecord {
            part_number,
            blob: written.id.clone(),
            size: written.size,
            etag: written.md5_hex(),
            last_modified_ms: self.now_ms(),
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
        let mut input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        check_part_number(input.part_number)?;
        self.upload(&bucket, &input.key, &input.upload_id)?;
        let declared = input.content_length.and_then(|n| u64::try_from(n).ok());
        let written = io::write_body(&self.store, input.body.take(), declared).await?;
        let part = self.commit_part(&bucket, &input.upload_id, input.part_number, &written)?;
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(ETag::Strong(part.etag)),
            ..Default::default()
        }))
    }

    pub(super) async fn op_upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        check_part_number(input.part_number)?;
        self.upload(&bucket, &input.key, &input.upload_id)?;
        let source = self.copy_source(&input.copy_source, &account)?;
        let src = &source.object;
        check_copy_conditions(&copy_source_conditions!(input), src)?;
        let (start, len) = parse_copy_range(input.copy_source_range.as_deref(), src.size)?;
        let written = io::concat(&self.store, vec![(src.blob.clone(), start, len)]).await?;
        let part = self.commit_part(&bucket, &input.upload_id, input.part_number, &written)?;
        Ok(S3Response::new(UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(ETag::Strong(part.etag)),
                last_modified: Some(ts(part.last_modified_ms)),
                ..Default::default()
            }),
            copy_source_version_id: source.shown_version,
            ..Default::default()
        }))
    }

    pub(super) async fn op_complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let account = self.account(&req);
        let host = req
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        let upload = self.upload(&bucket, &input.key, &input.upload_id)?;
        let requested = input
            .multipart_upload
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
        let slices = chosen.iter().map(|p| (p.blob.clone(), 0, p.size)).collect();
        let parts_count = chosen.len() as u32;
        let written = io::concat(&self.store, slices).await?;
        let record = ObjectRecord {
            blob: written.id.clone(),
            size: written.size,
            etag: etag.clone(),
            last_modified_ms: self.now_ms(),
            headers: upload.headers.clone(),
            tags: upload.tags.clone(),
            parts: Some(parts_count),
            version_id: None,
            seq: 0,
        };
        let uploads = upload_scope(&bucket.id);
        let version_id = self.commit_object(
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
        let location = match host {
            Some(host) => format!("http://{host}/{}/{}", bucket.name, url_encode(&input.key)),
            None => format!("/{}/{}", bucket.name, url_encode(&input.key)),
        };
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(bucket.name),
            key: Some(input.key),
            e_tag: Some(ETag::Strong(etag)),
            location: Some(location),
            version_id,
            ..Default::default()
        }))
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
            is_truncated: Some(truncated),
            max_parts: Some(max as i32),
            part_number_marker: Some(marker),
            next_part_number_marker: if truncated { next_marker } else { None },
            parts: Some(
                page.into_iter()
                    .map(|(_, p)| Part {
                        e_tag: Some(ETag::Strong(p.etag)),
                        last_modified: Some(ts(p.last_modified_ms)),
                        part_number: Some(p.part_number),
                        size: i64::try_from(p.size).ok(),
                        ..Default::default()
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
