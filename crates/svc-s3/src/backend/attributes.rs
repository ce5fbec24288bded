//! GetObjectAttributes: ETag, Checksum, ObjectParts, StorageClass, ObjectSize of one version.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::integrity::{checksum_type, set_checksum};
use super::objects::reported_or_standard;
use super::versions::{object_version, parse_version_id};
use super::{S3Backend, invalid_argument, ts};
use crate::sse::CustomerKey;

const MAX_PARTS: i32 = 1000;

impl S3Backend {
    pub(super) fn op_get_object_attributes(
        &self,
        req: S3Request<GetObjectAttributesInput>,
    ) -> S3Result<S3Response<GetObjectAttributesOutput>> {
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
        let wanted: Vec<String> = input
            .object_attributes
            .iter()
            .flat_map(|a| a.as_str().split(','))
            .map(|a| a.trim().to_owned())
            .collect();
        const KNOWN: &[&str] = &["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];
        if wanted.is_empty() || wanted.iter().any(|a| !KNOWN.contains(&a.as_str())) {
            return Err(invalid_argument("Invalid attribute name specified."));
        }
        let want = |name: &str| wanted.iter().any(|a| a == name);
        let mut out = GetObjectAttributesOutput {
            last_modified: Some(ts(obj.last_modified_ms)),
            version_id: state.shows_versions().then(|| obj.version_str().to_owned()),
            ..Default::default()
        };
        if want("ETag") {
            out.e_tag = Some(ETag::Strong(obj.etag.clone()));
        }
        if want("ObjectSize") {
            out.object_size = i64::try_from(obj.size).ok();
        }
        if want("StorageClass") {
            out.storage_class = Some(reported_or_standard(obj.headers.storage_class.as_deref()));
        }
        if want("Checksum")
            && let Some(c) = &obj.checksum
        {
            let mut checksum = Checksum {
                checksum_type: Some(checksum_type(c.full_object)),
                ..Default::default()
            };
            set_checksum!(checksum, c.algorithm, Some(c.value.clone()));
            out.checksum = Some(checksum);
        }
        if want("ObjectParts") && !obj.part_list.is_empty() {
            let max = input.max_parts.unwrap_or(MAX_PARTS).clamp(0, MAX_PARTS) as usize;
            let marker = input.part_number_marker.unwrap_or(0).max(0) as usize;
            let algorithm = obj.checksum.as_ref().map(|c| c.algorithm);
            let page: Vec<ObjectPart> = obj
                .part_list
                .iter()
                .enumerate()
                .skip(marker)
                .take(max)
                .map(|(i, p)| {
                    let mut part = ObjectPart {
                        part_number: Some(i as i32 + 1),
                        size: i64::try_from(p.size).ok(),
                        ..Default::default()
                    };
                    if let Some(a) = algorithm {
                        set_checksum!(part, a, p.checksum.clone());
                    }
                    part
                })
                .collect();
            let last = marker + page.len();
            let truncated = last < obj.part_list.len();
            out.object_parts = Some(GetObjectAttributesParts {
                total_parts_count: Some(obj.part_list.len() as i32),
                part_number_marker: Some(marker as i32),
                next_part_number_marker: truncated.then_some(last as i32),
                max_parts: Some(max as i32),
                is_truncated: Some(truncated),
                parts: Some(page),
            });
        }
        Ok(S3Response::new(out))
    }
}
