//! ListObjects (v1) and ListObjectsV2: prefix, delimiter → common prefixes, pagination, in
//! UTF-8 byte order of keys.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::buckets::{decode_token, encode_token};
use super::{S3Backend, invalid_argument, owner, ts};
use crate::io::store_error;
use crate::records::{ObjectRecord, object_scope};

const MAX_KEYS: i32 = 1000;
/// Store page size while walking keys.
const PAGE: usize = 1000;
/// Larger than any other character: `<common prefix><MAX>` sorts after (almost) every key that
/// starts with the common prefix, so a listing can jump past them.
const AFTER_ALL: char = char::MAX;

pub(super) enum Entry {
    Object(String, Box<ObjectRecord>),
    Prefix(String),
}

pub(super) struct Page {
    pub entries: Vec<Entry>,
    pub truncated: bool,
    /// Where the next page starts (strictly after): the last key or common prefix returned.
    pub last: Option<String>,
}

fn max_keys(given: Option<i32>) -> S3Result<usize> {
    match given {
        None => Ok(MAX_KEYS as usize),
        Some(n) if n < 0 => Err(invalid_argument(
            "Argument maxKeys must be an integer between 0 and 2147483647",
        )),
        Some(n) => Ok(n.min(MAX_KEYS) as usize),
    }
}

impl S3Backend {
    /// Walks the bucket's keys after `after`, grouping by `delimiter`, until `max` entries.
    pub(super) fn walk(
        &self,
        bucket_id: &str,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<String>,
        max: usize,
    ) -> S3Result<Page> {
        let scope = object_scope(bucket_id);
        let delimiter = delimiter.filter(|d| !d.is_empty());
        let mut entries = Vec::new();
        let mut truncated = false;
        // If the previous page ended on a common prefix, skip the rest of it.
        let mut cursor = after.map(|a| {
            let is_common_prefix = delimiter.is_some_and(|d| {
                a.strip_prefix(prefix)
                    .and_then(|rest| rest.find(d).map(|i| i + d.len() == rest.len()))
                    .unwrap_or(false)
            });
            if is_common_prefix {
                format!("{a}{AFTER_ALL}")
            } else {
                a
            }
        });
        let mut last_prefix: Option<String> = None;
        'walk: loop {
            let batch = self
                .store
                .list::<ObjectRecord>(&scope, prefix, cursor.as_deref(), PAGE)
                .map_err(store_error)?;
            let exhausted = batch.len() < PAGE;
            let mut next_cursor = batch.last().map(|(k, _)| k.clone());
            for (key, record) in batch {
                let common = delimiter.and_then(|d| {
                    key[prefix.len()..]
                        .find(d)
                        .map(|i| key[..prefix.len() + i + d.len()].to_owned())
                });
                if let Some(common) = common {
                    if last_prefix.as_deref() == Some(common.as_str()) {
                        continue;
                    }
                    if entries.len() == max {
                        truncated = true;
                        break 'walk;
                    }
                    last_prefix = Some(common.clone());
                    next_cursor = Some(format!("{common}{AFTER_ALL}"));
                    entries.push(Entry::Prefix(common));
                    // Jump past the rest of this prefix.
                    cursor = next_cursor.clone();
                    continue 'walk;
                }
                if entries.len() == max {
                    truncated = true;
                    break 'walk;
                }
                entries.push(Entry::Object(key, Box::new(record)));
            }
            if exhausted {
                break;
            }
            cursor = next_cursor;
        }
        let last = entries.last().map(|e| match e {
            Entry::Object(k, _) => k.clone(),
            Entry::Prefix(p) => p.clone(),
        });
        Ok(Page {
            entries,
            truncated,
            last,
        })
    }

    pub(super) fn op_list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        let max = max_keys(input.max_keys)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = match &input.continuation_token {
            Some(token) => Some(decode_token(token)?),
            None => input.start_after.clone().filter(|s| !s.is_empty()),
        };
        let page = self.walk(&bucket.id, &prefix, input.delimiter.as_deref(), after, max)?;
        let url = is_url_encoding(input.encoding_type.as_ref());
        let enc = |s: String| if url { url_encode(&s) } else { s };
        let fetch_owner = input.fetch_owner.unwrap_or(false);
        let (contents, common_prefixes) = split(page.entries, |key, obj| Object {
            key: Some(enc(key)),
            e_tag: Some(ETag::Strong(obj.etag.clone())),
            last_modified: Some(ts(obj.last_modified_ms)),
            size: i64::try_from(obj.size).ok(),
            storage_class: Some(ObjectStorageClass::from(
                obj.headers
                    .storage_class
                    .clone()
                    .unwrap_or_else(|| "STANDARD".to_owned()),
            )),
            owner: fetch_owner.then(|| owner(&bucket.owner_account)),
            ..Default::default()
        });
        let key_count = (contents.len() + common_prefixes.len()) as i32;
        let out = ListObjectsV2Output {
            name: Some(bucket.name.clone()),
            prefix: Some(enc(prefix)),
            max_keys: Some(max as i32),
            key_count: Some(key_count),
            continuation_token: input.continuation_token,
            is_truncated: Some(page.truncated),
            next_continuation_token: page
                .truncated
                .then(|| page.last.as_deref().map(encode_token))
                .flatten(),
            contents: Some(contents),
            common_prefixes: Some(
                common_prefixes
                    .into_iter()
                    .map(|p| CommonPrefix {
                        prefix: Some(enc(p)),
                    })
                    .collect(),
            ),
            delimiter: input.delimiter.map(enc),
            encoding_type: input.encoding_type,
            start_after: input.start_after.map(enc),
            request_charged: None,
        };
        Ok(S3Response::new(out))
    }

    pub(super) fn op_list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        let max = max_keys(input.max_keys)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = input.marker.clone().filter(|m| !m.is_empty());
        let page = self.walk(&bucket.id, &prefix, input.delimiter.as_deref(), after, max)?;
        let url = is_url_encoding(input.encoding_type.as_ref());
        let enc = |s: String| if url { url_encode(&s) } else { s };
        let (contents, common_prefixes) = split(page.entries, |key, obj| Object {
            key: Some(enc(key)),
            e_tag: Some(ETag::Strong(obj.etag.clone())),
            last_modified: Some(ts(obj.last_modified_ms)),
            size: i64::try_from(obj.size).ok(),
            storage_class: Some(ObjectStorageClass::from(
                obj.headers
                    .storage_class
                    .clone()
                    .unwrap_or_else(|| "STANDARD".to_owned()),
            )),
            owner: Some(owner(&bucket.owner_account)),
            ..Default::default()
        });
        let has_delimiter = input.delimiter.as_deref().is_some_and(|d| !d.is_empty());
        let out = ListObjectsOutput {
            name: Some(bucket.name.clone()),
            prefix: Some(enc(prefix)),
            marker: Some(input.marker.map(enc).unwrap_or_default()),
            max_keys: Some(max as i32),
            is_truncated: Some(page.truncated),
            next_marker: (page.truncated && has_delimiter)
                .then(|| page.last.map(enc))
                .flatten(),
            contents: Some(contents),
            common_prefixes: Some(
                common_prefixes
                    .into_iter()
                    .map(|p| CommonPrefix {
                        prefix: Some(enc(p)),
                    })
                    .collect(),
            ),
            delimiter: input.delimiter.map(enc),
            encoding_type: input.encoding_type,
            request_charged: None,
        };
        Ok(S3Response::new(out))
    }
}

fn split(
    entries: Vec<Entry>,
    mut object: impl FnMut(String, &ObjectRecord) -> Object,
) -> (Vec<Object>, Vec<String>) {
    let mut contents = Vec::new();
    let mut prefixes = Vec::new();
    for e in entries {
        match e {
            Entry::Object(key, record) => contents.push(object(key, &record)),
            Entry::Prefix(p) => prefixes.push(p),
        }
    }
    (contents, prefixes)
}

pub(super) fn is_url_encoding(encoding: Option<&EncodingType>) -> bool {
    encoding.is_some_and(|e| e.as_str().eq_ignore_ascii_case("url"))
}

/// `encoding-type=url`: percent-encodes everything but unreserved characters and `/`.
pub(super) fn url_encode(s: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(s, SET).to_string()
}
