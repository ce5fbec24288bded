//! ListObjects (v1), ListObjectsV2 and ListObjectVersions: prefix, delimiter → common
//! prefixes, pagination, in UTF-8 byte order of keys (versions of a key newest first). Every
//! listing reads the store a page at a time, never a whole bucket.

use std::collections::VecDeque;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::buckets::{decode_token, encode_token};
use super::versions::{Found, find_version, parse_version_id};
use super::{S3Backend, invalid_argument, owner, ts};
use crate::io::store_error;
use crate::records::{
    ObjectHeaders, ObjectRecord, VersionBody, VersionRecord, object_key_of, object_scope,
    version_prefix, version_scope,
};

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
        let mut cursor = after.map(|a| resume_after(a, prefix, delimiter));
        let mut last_prefix: Option<String> = None;
        'walk: loop {
            let batch = self
                .store
                .list::<ObjectRecord>(&scope, prefix, cursor.as_deref(), PAGE)
                .map_err(store_error)?;
            let exhausted = batch.len() < PAGE;
            let mut next_cursor = batch.last().map(|(k, _)| k.clone());
            for (key, record) in batch {
                if let Some(common) = common_prefix(&key, prefix, delimiter) {
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
        let enc = encoder(input.encoding_type.as_ref());
        let fetch_owner = input.fetch_owner.unwrap_or(false);
        let (contents, common_prefixes) = split(page.entries, |key, obj| {
            listed_object(
                enc(key),
                obj,
                fetch_owner.then(|| owner(&bucket.owner_account)),
            )
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
            common_prefixes: Some(common_prefix_list(common_prefixes, &enc)),
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
        let enc = encoder(input.encoding_type.as_ref());
        let (contents, common_prefixes) = split(page.entries, |key, obj| {
            listed_object(enc(key), obj, Some(owner(&bucket.owner_account)))
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
            common_prefixes: Some(common_prefix_list(common_prefixes, &enc)),
            delimiter: input.delimiter.map(enc),
            encoding_type: input.encoding_type,
            request_charged: None,
        };
        Ok(S3Response::new(out))
    }
}

/// One sorted scope read a page at a time, from a resume point.
struct Cursor<R> {
    scope: String,
    prefix: String,
    after: Option<String>,
    buf: VecDeque<(String, R)>,
    done: bool,
}

impl<R: nimbus_store::Record> Cursor<R> {
    fn new(scope: String, prefix: &str, after: Option<String>) -> Self {
        Cursor {
            scope,
            prefix: prefix.to_owned(),
            after,
            buf: VecDeque::new(),
            done: false,
        }
    }

    fn peek(&mut self, store: &nimbus_store::Store) -> S3Result<Option<&(String, R)>> {
        if self.buf.is_empty() && !self.done {
            let page = store
                .list::<R>(&self.scope, &self.prefix, self.after.as_deref(), PAGE)
                .map_err(store_error)?;
            self.done = page.len() < PAGE;
            if let Some((k, _)) = page.last() {
                self.after = Some(k.clone());
            }
            self.buf.extend(page);
        }
        Ok(self.buf.front())
    }

    /// Skips to strictly after `after` (a position past a whole common prefix).
    fn skip_to(&mut self, after: &str) {
        self.buf.clear();
        self.after = Some(after.to_owned());
        self.done = false;
    }
}

enum VersionEntry {
    Version(ObjectVersion),
    Marker(DeleteMarkerEntry),
    Prefix(String),
}

impl S3Backend {
    /// ListObjectVersions: a merge of the current objects (`o/`) and the stacked versions
    /// (`v/`), which the store already orders key by key, newest first within a key.
    pub(super) fn op_list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        let max = max_keys(input.max_keys)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.as_deref().filter(|d| !d.is_empty());
        let key_marker = input.key_marker.clone().filter(|m| !m.is_empty());
        let version_marker = input.version_id_marker.clone().filter(|m| !m.is_empty());
        // Resume points in each scope (strictly after).
        let (o_after, v_after) = match (&key_marker, &version_marker) {
            (None, Some(_)) => {
                return Err(invalid_argument(
                    "A version-id marker cannot be specified without a key marker.",
                ));
            }
            (None, None) => (None, None),
            (Some(k), None) => {
                let after = resume_after(k.clone(), &prefix, delimiter);
                // `<key>\u{1}` sorts after every `<key>\0<seq>`: past all versions of the key.
                let v_after = if after == *k {
                    format!("{k}\u{1}")
                } else {
                    after.clone()
                };
                (Some(after), Some(v_after))
            }
            (Some(k), Some(v)) => {
                let version = parse_version_id(Some(v))?.flatten();
                let v_after = match find_version(&self.store, &bucket.id, k, version.as_deref())
                    .map_err(store_error)?
                {
                    Some(Found::Current(_)) => version_prefix(k),
                    Some(Found::Stacked(vkey, _)) => vkey,
                    None => format!("{k}\u{1}"),
                };
                (Some(k.clone()), Some(v_after))
            }
        };
        let mut current = Cursor::<ObjectRecord>::new(object_scope(&bucket.id), &prefix, o_after);
        let mut stacked = Cursor::<VersionRecord>::new(version_scope(&bucket.id), &prefix, v_after);
        let mut entries: Vec<VersionEntry> = Vec::new();
        let mut last: Option<(String, Option<String>)> = None;
        let mut truncated = false;
        let owner_of = || Some(owner(&bucket.owner_account));
        loop {
            let o_key = current.peek(&self.store)?.map(|(k, _)| k.clone());
            let v_key = stacked
                .peek(&self.store)?
                .map(|(k, _)| object_key_of(k).to_owned());
            // For the same key the current object comes first: it is the newest version.
            let take_current = match (&o_key, &v_key) {
                (None, None) => break,
                (Some(o), Some(v)) => o <= v,
                (Some(_), None) => true,
                (None, Some(_)) => false,
            };
            let key = if take_current { o_key } else { v_key }.unwrap_or_default();
            if entries.len() == max {
                truncated = true;
                break;
            }
            if let Some(common) = common_prefix(&key, &prefix, delimiter) {
                let past = format!("{common}{AFTER_ALL}");
                current.skip_to(&past);
                stacked.skip_to(&past);
                last = Some((common.clone(), None));
                entries.push(VersionEntry::Prefix(common));
                continue;
            }
            let entry = if take_current {
                let (k, o) = current.buf.pop_front().expect("peeked");
                version_entry(k, &o, true, owner_of())
            } else {
                let (vk, v) = stacked.buf.pop_front().expect("peeked");
                let k = object_key_of(&vk).to_owned();
                let latest = v.is_latest_marker();
                match &v.body {
                    VersionBody::Object(o) => version_entry(k, o, false, owner_of()),
                    VersionBody::DeleteMarker {
                        version_id,
                        last_modified_ms,
                        ..
                    } => VersionEntry::Marker(DeleteMarkerEntry {
                        is_latest: Some(latest),
                        key: Some(k),
                        last_modified: Some(ts(*last_modified_ms)),
                        owner: owner_of(),
                        version_id: Some(version_id.clone().unwrap_or_else(|| "null".to_owned())),
                    }),
                }
            };
            let (k, v) = match &entry {
                VersionEntry::Version(o) => (o.key.clone(), o.version_id.clone()),
                VersionEntry::Marker(m) => (m.key.clone(), m.version_id.clone()),
                VersionEntry::Prefix(_) => (None, None),
            };
            last = k.map(|k| (k, v));
            entries.push(entry);
        }
        let enc = encoder(input.encoding_type.as_ref());
        let mut versions = Vec::new();
        let mut markers = Vec::new();
        let mut prefixes = Vec::new();
        for e in entries {
            match e {
                VersionEntry::Version(mut o) => {
                    o.key = o.key.map(&enc);
                    versions.push(o);
                }
                VersionEntry::Marker(mut m) => {
                    m.key = m.key.map(&enc);
                    markers.push(m);
                }
                VersionEntry::Prefix(p) => prefixes.push(p),
            }
        }
        let (next_key_marker, next_version_id_marker) = match (truncated, last) {
            (true, Some((k, v))) => (Some(enc(k)), v),
            _ => (None, None),
        };
        Ok(S3Response::new(ListObjectVersionsOutput {
            name: Some(bucket.name.clone()),
            prefix: Some(enc(prefix)),
            delimiter: input.delimiter.map(&enc),
            encoding_type: input.encoding_type,
            key_marker: Some(input.key_marker.map(&enc).unwrap_or_default()),
            version_id_marker: Some(input.version_id_marker.unwrap_or_default()),
            max_keys: Some(max as i32),
            is_truncated: Some(truncated),
            next_key_marker,
            next_version_id_marker,
            versions: Some(versions),
            delete_markers: Some(markers),
            common_prefixes: Some(common_prefix_list(prefixes, &enc)),
            request_charged: None,
        }))
    }
}

fn version_entry(
    key: String,
    obj: &ObjectRecord,
    is_latest: bool,
    owner: Option<Owner>,
) -> VersionEntry {
    VersionEntry::Version(ObjectVersion {
        key: Some(key),
        version_id: Some(obj.version_str().to_owned()),
        is_latest: Some(is_latest),
        e_tag: Some(ETag::Strong(obj.etag.clone())),
        last_modified: Some(ts(obj.last_modified_ms)),
        size: i64::try_from(obj.size).ok(),
        storage_class: Some(ObjectVersionStorageClass::from(listed_class(&obj.headers))),
        owner,
        ..Default::default()
    })
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

/// What `encoding-type` asks of every key, prefix and marker in a listing.
pub(super) fn encoder(encoding: Option<&EncodingType>) -> impl Fn(String) -> String + Copy + use<> {
    let url = is_url_encoding(encoding);
    move |s: String| if url { url_encode(&s) } else { s }
}

pub(super) fn common_prefix_list(
    prefixes: Vec<String>,
    enc: &impl Fn(String) -> String,
) -> CommonPrefixList {
    prefixes
        .into_iter()
        .map(|p| CommonPrefix {
            prefix: Some(enc(p)),
        })
        .collect()
}

/// The storage class listings show (STANDARD when none was asked for).
pub(super) fn listed_class(headers: &ObjectHeaders) -> String {
    headers
        .storage_class
        .clone()
        .unwrap_or_else(|| "STANDARD".to_owned())
}

fn listed_object(key: String, obj: &ObjectRecord, owner: Option<Owner>) -> Object {
    Object {
        key: Some(key),
        e_tag: Some(ETag::Strong(obj.etag.clone())),
        last_modified: Some(ts(obj.last_modified_ms)),
        size: i64::try_from(obj.size).ok(),
        storage_class: Some(ObjectStorageClass::from(listed_class(&obj.headers))),
        owner,
        ..Default::default()
    }
}

/// The common prefix `key` rolls up into under `delimiter`, if any.
pub(super) fn common_prefix(key: &str, prefix: &str, delimiter: Option<&str>) -> Option<String> {
    let d = delimiter.filter(|d| !d.is_empty())?;
    key[prefix.len()..]
        .find(d)
        .map(|i| key[..prefix.len() + i + d.len()].to_owned())
}

/// Where a listing resumes after `after` (a marker or token): past every key under it if it
/// is a common prefix (the previous page ended on one).
fn resume_after(after: String, prefix: &str, delimiter: Option<&str>) -> String {
    if common_prefix(&after, prefix, delimiter).is_some_and(|c| c.len() == after.len()) {
        format!("{after}{AFTER_ALL}")
    } else {
        after
    }
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
