//! Lifecycle: Put/Get/DeleteBucketLifecycleConfiguration, and the sweeper that applies the
//! rules at Nimbus's clock ([`S3Backend::sweep_lifecycle`]).
//!
//! The sweeper walks each bucket that has a configuration a store page at a time and acts on
//! what is due, each action its own transaction that first re-checks the version it judged (a
//! request may have changed it meanwhile). It remembers, per bucket, when the next action
//! comes due; a bucket where nothing changed since and nothing is due yet is skipped without
//! reading its objects, so a sweep on a timer costs little when there is nothing to do.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use nimbus_store::{BlobId, StoreError};
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::multipart::drop_parts;
use super::objects::shown_version;
use super::versions::{Found, NewTop, State, find_version, push_version, remove_version};
use super::{S3Backend, TxError, access_denied, no_such_bucket};
use crate::io::store_error;
use crate::notifications::{EXPIRED_DELETE, EXPIRED_MARKER, ObjectEvent, Origin};
use crate::lifecycle::{LifecycleConfig, Rule, config_from, due_after_days, rules_to};
use crate::records::{
    BUCKET_SCOPE, BucketConfig, BucketRecord, NULL_VERSION, ObjectRecord, UploadRecord, VersionBody,
    VersionRecord, VersioningConfig, get_config, object_key_of, object_scope, set_config,
    upload_scope, version_prefix, version_scope,
};

/// Records read per store call while sweeping.
const PAGE: usize = 1000;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleReport {
    /// Buckets with a lifecycle configuration whose objects were examined.
    pub buckets_swept: usize,
    /// Buckets skipped: nothing changed and nothing due since the last sweep.
    pub buckets_skipped: usize,
    /// Current objects deleted (unversioned buckets).
    pub objects_expired: usize,
    /// Delete markers placed by expiring a current object (versioned buckets).
    pub delete_markers_placed: usize,
    /// Noncurrent versions permanently deleted.
    pub noncurrent_expired: usize,
    /// Expired object delete markers (the only version left of a key) removed.
    pub delete_markers_removed: usize,
    /// Objects or versions whose storage class changed.
    pub transitioned: usize,
    /// Incomplete multipart uploads aborted.
    pub uploads_aborted: usize,
}

impl LifecycleReport {
    /// Whether the sweep changed anything.
    pub fn acted(&self) -> bool {
        self.objects_expired
            + self.delete_markers_placed
            + self.noncurrent_expired
            + self.delete_markers_removed
            + self.transitioned
            + self.uploads_aborted
            > 0
    }
}

/// Per bucket id: the change generation a sweep saw, and when its next action comes due.
#[derive(Default)]
pub(super) struct SweepMemo(Mutex<HashMap<String, (u64, i64)>>);

/// The earliest future due time seen during a bucket's sweep.
#[derive(Default)]
struct NextDue(Option<i64>);

impl NextDue {
    fn note(&mut self, at: i64) {
        self.0 = Some(self.0.map_or(at, |t| t.min(at)));
    }
}

/// `Some(storage class)` of the latest transition due at `now`, noting later ones.
fn due_transition<'a>(
    dues: impl Iterator<Item = (Option<i64>, &'a str)>,
    now: i64,
    next: &mut NextDue,
) -> Option<&'a str> {
    let mut chosen: Option<(i64, &str)> = None;
    for (due, class) in dues {
        let Some(due) = due else { continue };
        if due > now {
            next.note(due);
        } else if chosen.is_none_or(|(t, _)| due > t) {
            chosen = Some((due, class));
        }
    }
    chosen.map(|(_, c)| c)
}

impl S3Backend {
    pub(super) fn op_put_bucket_lifecycle_configuration(
        &self,
        req: S3Request<PutBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketLifecycleConfigurationOutput>> {
        let account = self.account(&req);
        let config = config_from(req.input.lifecycle_configuration.as_ref())?;
        self.set_bucket_config(&req.input.bucket, &account, Some(&config))?;
        Ok(S3Response::new(
            PutBucketLifecycleConfigurationOutput::default(),
        ))
    }

    pub(super) fn op_get_bucket_lifecycle_configuration(
        &self,
        req: S3Request<GetBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketLifecycleConfigurationOutput>> {
        let account = self.account(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        let config = get_config::<LifecycleConfig>(&self.store, &bucket.id)
            .map_err(store_error)?
            .ok_or_else(|| {
                S3Error::with_message(
                    S3ErrorCode::NoSuchLifecycleConfiguration,
                    "The lifecycle configuration does not exist",
                )
            })?;
        Ok(S3Response::new(GetBucketLifecycleConfigurationOutput {
            rules: Some(rules_to(&config)),
            ..Default::default()
        }))
    }

    pub(super) fn op_delete_bucket_lifecycle(
        &self,
        req: S3Request<DeleteBucketLifecycleInput>,
    ) -> S3Result<S3Response<DeleteBucketLifecycleOutput>> {
        let account = self.account(&req);
        self.set_bucket_config::<LifecycleConfig>(&req.input.bucket, &account, None)?;
        Ok(S3Response::new(DeleteBucketLifecycleOutput::default()))
    }

    /// Stores or removes one sub-resource configuration of a bucket the caller owns.
    pub(super) fn set_bucket_config<C: BucketConfig>(
        &self,
        name: &str,
        account: &str,
        config: Option<&C>,
    ) -> S3Result<()> {
        self.store.transaction(|txn| -> Result<(), TxError> {
            let bucket = txn
                .get::<BucketRecord>(BUCKET_SCOPE, name)?
                .ok_or_else(|| no_such_bucket(name))?;
            if bucket.owner_account != account {
                return Err(access_denied().into());
            }
            set_config(txn, &bucket.id, config)?;
            Ok(())
        })?;
        self.changed();
        Ok(())
    }

    /// Applies every enabled lifecycle rule that is due at the clock's now, in every bucket.
    /// Idempotent: a second run at the same time does nothing. Blocking (store I/O): call it
    /// from a blocking context, or through `S3Front::run_lifecycle`.
    pub fn sweep_lifecycle(&self) -> LifecycleReport {
        let now = self.now_ms();
        let mut report = LifecycleReport::default();
        let mut after: Option<String> = None;
        loop {
            let page =
                match self
                    .store
                    .list::<BucketRecord>(BUCKET_SCOPE, "", after.as_deref(), PAGE)
                {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::error!("lifecycle: listing buckets failed: {e}");
                        break;
                    }
                };
            let exhausted = page.len() < PAGE;
            after = page.last().map(|(k, _)| k.clone());
            for (_, bucket) in page {
                if let Err(e) = self.sweep_bucket_if_due(&bucket, now, &mut report) {
                    tracing::error!("lifecycle: bucket {} failed: {e:?}", bucket.name);
                }
            }
            if exhausted {
                break;
            }
        }
        if report.acted() {
            tracing::info!("lifecycle sweep: {report:?}");
        }
        report
    }

    fn sweep_bucket_if_due(
        &self,
        bucket: &BucketRecord,
        now: i64,
        report: &mut LifecycleReport,
    ) -> S3Result<()> {
        let Some(config) =
            get_config::<LifecycleConfig>(&self.store, &bucket.id).map_err(store_error)?
        else {
            return Ok(());
        };
        let generation = self.generation();
        let memo = self
            .sweep_memo
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&bucket.id)
            .copied();
        if let Some((seen, due)) = memo
            && seen == generation
            && now < due
        {
            report.buckets_skipped += 1;
            return Ok(());
        }
        report.buckets_swept += 1;
        let mut next = NextDue::default();
        for rule in config.rules.iter().filter(|r| r.enabled) {
            self.sweep_current(bucket, rule, now, &mut next, report)?;
            self.sweep_stacked(bucket, rule, now, &mut next, report)?;
            self.sweep_uploads(bucket, rule, now, &mut next, report)?;
        }
        self.sweep_memo
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(bucket.id.clone(), (generation, next.0.unwrap_or(i64::MAX)));
        Ok(())
    }

    /// Expiration (Days, Date) and Transitions of current objects.
    fn sweep_current(
        &self,
        bucket: &BucketRecord,
        rule: &Rule,
        now: i64,
        next: &mut NextDue,
        report: &mut LifecycleReport,
    ) -> S3Result<()> {
        let expiration = rule.expiration.as_ref().filter(|e| e.due(0).is_some());
        if expiration.is_none() && rule.transitions.is_empty() {
            return Ok(());
        }
        let scope = object_scope(&bucket.id);
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .list::<ObjectRecord>(&scope, rule.filter.prefix(), after.as_deref(), PAGE)
                .map_err(store_error)?;
            let exhausted = page.len() < PAGE;
            after = page.last().map(|(k, _)| k.clone());
            for (key, obj) in page {
                if !rule.filter.matches(&key, obj.size, &obj.tags) {
                    continue;
                }
                if let Some(due) = expiration.and_then(|e| e.due(obj.last_modified_ms)) {
                    if due <= now {
                        self.expire_current(bucket, &key, &obj, report)?;
                        continue;
                    }
                    next.note(due);
                }
                let dues = rule
                    .transitions
                    .iter()
                    .map(|t| (t.due(obj.last_modified_ms), t.storage_class.as_str()));
                if let Some(class) = due_transition(dues, now, next)
                    && obj.headers.storage_class.as_deref() != Some(class)
                {
                    self.transition_current(bucket, &key, &obj, class, report)?;
                }
            }
            if exhausted {
                return Ok(());
            }
        }
    }

    /// Noncurrent expiration and transitions, and expired object delete markers: walks the
    /// stacked versions one key at a time (newest first within a key).
    fn sweep_stacked(
        &self,
        bucket: &BucketRecord,
        rule: &Rule,
        now: i64,
        next: &mut NextDue,
        report: &mut LifecycleReport,
    ) -> S3Result<()> {
        let markers = rule
            .expiration
            .as_ref()
            .is_some_and(|e| e.expired_object_delete_marker == Some(true));
        if rule.noncurrent_expiration.is_none()
            && rule.noncurrent_transitions.is_empty()
            && !markers
        {
            return Ok(());
        }
        let scope = version_scope(&bucket.id);
        let mut after: Option<String> = None;
        let mut group: Vec<(String, VersionRecord)> = Vec::new();
        loop {
            let page = self
                .store
                .list::<VersionRecord>(&scope, rule.filter.prefix(), after.as_deref(), PAGE)
                .map_err(store_error)?;
            let exhausted = page.len() < PAGE;
            after = page.last().map(|(k, _)| k.clone());
            for (vkey, v) in page {
                if group
                    .first()
                    .is_some_and(|(g, _)| object_key_of(g) != object_key_of(&vkey))
                {
                    self.sweep_key(bucket, rule, std::mem::take(&mut group), now, next, report)?;
                }
                group.push((vkey, v));
            }
            if exhausted {
                break;
            }
        }
        if !group.is_empty() {
            self.sweep_key(bucket, rule, group, now, next, report)?;
        }
        Ok(())
    }

    /// One key's stacked versions, newest first.
    fn sweep_key(
        &self,
        bucket: &BucketRecord,
        rule: &Rule,
        group: Vec<(String, VersionRecord)>,
        now: i64,
        next: &mut NextDue,
        report: &mut LifecycleReport,
    ) -> S3Result<()> {
        let Some(key) = group.first().map(|(k, _)| object_key_of(k).to_owned()) else {
            return Ok(());
        };
        let mut remaining = group.len();
        // How many noncurrent object versions are newer than the one at hand.
        let mut newer = 0;
        for (vkey, v) in &group {
            let (VersionBody::Object(obj), Some(since)) = (&v.body, v.noncurrent_since_ms) else {
                continue;
            };
            let position = newer;
            newer += 1;
            if !rule.filter.matches(&key, obj.size, &obj.tags) {
                continue;
            }
            // NewerNoncurrentVersions: that many newer noncurrent versions are kept anyway.
            let applies = |n: Option<i32>| n.is_none_or(|n| position >= n as usize);
            if let Some(exp) = &rule.noncurrent_expiration
                && applies(exp.newer_noncurrent_versions)
            {
                let due = due_after_days(since, exp.noncurrent_days);
                if due <= now {
                    if self.remove_stacked(bucket, &key, vkey, v)? {
                        report.noncurrent_expired += 1;
                        remaining -= 1;
                    } else if let Some(until) = obj.lock.retain_until_ms.filter(|t| *t > now) {
                        // Kept by Object Lock: look again when the retention ends.
                        next.note(until);
                    }
                    continue;
                }
                next.note(due);
            }
            let dues = rule
                .noncurrent_transitions
                .iter()
                .filter(|t| applies(t.newer_noncurrent_versions))
                .map(|t| {
                    (
                        Some(due_after_days(since, t.noncurrent_days)),
                        t.storage_class.as_deref().unwrap_or_default(),
                    )
                });
            if let Some(class) = due_transition(dues, now, next)
                && obj.headers.storage_class.as_deref() != Some(class)
            {
                self.transition_stacked(bucket, vkey, v, class, report)?;
            }
        }
        // A delete marker that is all that is left of its key.
        let marker_only = remaining == 1 && group.iter().any(|(_, v)| v.is_latest_marker());
        if marker_only
            && rule
                .expiration
                .as_ref()
                .is_some_and(|e| e.expired_object_delete_marker == Some(true))
            && rule.filter.matches_key_only(&key)
        {
            self.remove_lone_marker(bucket, &key, report)?;
        }
        Ok(())
    }

    /// AbortIncompleteMultipartUpload.
    fn sweep_uploads(
        &self,
        bucket: &BucketRecord,
        rule: &Rule,
        now: i64,
        next: &mut NextDue,
        report: &mut LifecycleReport,
    ) -> S3Result<()> {
        let Some(days) = rule.abort_multipart_days else {
            return Ok(());
        };
        let scope = upload_scope(&bucket.id);
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .list::<UploadRecord>(&scope, "", after.as_deref(), PAGE)
                .map_err(store_error)?;
            let exhausted = page.len() < PAGE;
            after = page.last().map(|(k, _)| k.clone());
            for (upload_id, upload) in page {
                if !rule.filter.matches_key_only(&upload.key) {
                    continue;
                }
                let due = due_after_days(upload.initiated_ms, days);
                if due > now {
                    next.note(due);
                    continue;
                }
                let garbage = self.store.transaction(|txn| -> Result<_, StoreError> {
                    if !txn.delete::<UploadRecord>(&scope, &upload_id)? {
                        return Ok(None);
                    }
                    drop_parts(txn, &upload_id).map(Some)
                });
                if let Some(garbage) = garbage.map_err(store_error)? {
                    report.uploads_aborted += 1;
                    self.after_commit(garbage);
                }
            }
            if exhausted {
                return Ok(());
            }
        }
    }

    fn after_commit(&self, garbage: Vec<BlobId>) {
        self.delete_blobs(garbage);
        self.changed();
    }

    /// Expires the current object, if it is still the version judged: deleted on an
    /// unversioned bucket, a delete marker on top of it on a versioned one.
    fn expire_current(
        &self,
        bucket: &BucketRecord,
        key: &str,
        judged: &ObjectRecord,
        report: &mut LifecycleReport,
    ) -> S3Result<()> {
        let now = self.now_ms();
        let done = self.store.transaction(|txn| -> Result<_, StoreError> {
            let current = txn.get::<ObjectRecord>(&object_scope(&bucket.id), key)?;
            if current.is_none_or(|c| c.seq != judged.seq || c.etag != judged.etag) {
                return Ok(None);
            }
            let state = State::of(get_config::<VersioningConfig>(txn, &bucket.id)?.as_ref());
            let pushed = push_version(txn, &bucket.id, key, NewTop::DeleteMarker, state, now)?;
            let event = ObjectEvent {
                name: if state == State::Unversioned { EXPIRED_DELETE } else { EXPIRED_MARKER },
                key: key.to_owned(),
                size: None,
                etag: None,
                version_id: shown_version(state, pushed.version_id),
                sequencer: self.next_sequencer(),
            };
            Ok(Some((state, pushed.garbage, event)))
        });
        if let Some((state, garbage, event)) = done.map_err(store_error)? {
            if state == State::Unversioned {
                report.objects_expired += 1;
            } else {
                report.delete_markers_placed += 1;
            }
            self.after_commit(garbage);
            self.notify(bucket, &Origin::lifecycle(), &[event]);
        }
        Ok(())
    }

    fn transition_current(
        &self,
        bucket: &BucketRecord,
        key: &str,
        judged: &ObjectRecord,
        class: &str,
        report: &mut LifecycleReport,
    ) -> S3Result<()> {
        let scope = object_scope(&bucket.id);
        let done = self.store.transaction(|txn| -> Result<_, StoreError> {
            let Some(mut current) = txn.get::<ObjectRecord>(&scope, key)? else {
                return Ok(false);
            };
            if current.seq != judged.seq || current.etag != judged.etag {
                return Ok(false);
            }
            current.headers.storage_class = Some(class.to_owned());
            txn.put(&scope, key, &current)?;
            Ok(true)
        });
        if done.map_err(store_error)? {
            report.transitioned += 1;
            self.changed();
        }
        Ok(())
    }

    fn transition_stacked(
        &self,
        bucket: &BucketRecord,
        vkey: &str,
        judged: &VersionRecord,
        class: &str,
        report: &mut LifecycleReport,
    ) -> S3Result<()> {
        let scope = version_scope(&bucket.id);
        let done = self.store.transaction(|txn| -> Result<_, StoreError> {
            let Some(mut v) = txn.get::<VersionRecord>(&scope, vkey)? else {
                return Ok(false);
            };
            if v.version_id() != judged.version_id() {
                return Ok(false);
            }
            let VersionBody::Object(obj) = &mut v.body else {
                return Ok(false);
            };
            obj.headers.storage_class = Some(class.to_owned());
            txn.put(&scope, vkey, &v)?;
            Ok(true)
        });
        if done.map_err(store_error)? {
            report.transitioned += 1;
            self.changed();
        }
        Ok(())
    }

    /// Permanently removes a stacked version if it is still there; returns whether it was.
    fn remove_stacked(
        &self,
        bucket: &BucketRecord,
        key: &str,
        vkey: &str,
        judged: &VersionRecord,
    ) -> S3Result<bool> {
        let now = self.now_ms();
        let removed = self.store.transaction(|txn| -> Result<_, StoreError> {
            let found = find_version(txn, &bucket.id, key, judged.version_id())?;
            // Object Lock: a retained or held version outlives any lifecycle rule.
            if super::object_lock::protected(found.as_ref(), now) {
                return Ok(None);
            }
            match found {
                Some(Found::Stacked(k, _)) if k == vkey => {
                    let removed = remove_version(txn, &bucket.id, key, judged.version_id())?;
                    Ok(removed.map(|r| (r, self.next_sequencer())))
                }
                _ => Ok(None),
            }
        });
        match removed.map_err(store_error)? {
            Some((r, sequencer)) => {
                self.after_commit(r.garbage);
                let event = ObjectEvent {
                    name: EXPIRED_DELETE,
                    key: key.to_owned(),
                    size: None,
                    etag: None,
                    version_id: Some(judged.version_id().unwrap_or(NULL_VERSION).to_owned()),
                    sequencer,
                };
                self.notify(bucket, &Origin::lifecycle(), &[event]);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Removes the key's delete marker if it is still the only version of the key.
    fn remove_lone_marker(
        &self,
        bucket: &BucketRecord,
        key: &str,
        report: &mut LifecycleReport,
    ) -> S3Result<()> {
        let scope = version_scope(&bucket.id);
        let removed = self.store.transaction(|txn| -> Result<_, StoreError> {
            let versions = txn.list::<VersionRecord>(&scope, &version_prefix(key), None, 2)?;
            let lone = versions.len() == 1
                && versions[0].1.is_latest_marker()
                && txn
                    .get::<ObjectRecord>(&object_scope(&bucket.id), key)?
                    .is_none();
            if lone {
                txn.delete::<VersionRecord>(&scope, &versions[0].0)?;
            }
            Ok(lone)
        });
        if removed.map_err(store_error)? {
            report.delete_markers_removed += 1;
            self.changed();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_due_transition_wins_and_later_ones_set_the_next_due() {
        let mut next = NextDue::default();
        let dues = [
            (Some(10), "STANDARD_IA"),
            (Some(20), "GLACIER"),
            (Some(40), "DEEP_ARCHIVE"),
            (None, "ONEZONE_IA"),
        ];
        assert_eq!(
            due_transition(dues.iter().copied(), 25, &mut next),
            Some("GLACIER")
        );
        assert_eq!(next.0, Some(40));
        let mut next = NextDue::default();
        assert_eq!(due_transition(dues.iter().copied(), 5, &mut next), None);
        assert_eq!(next.0, Some(10));
    }
}
