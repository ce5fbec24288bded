//! The read cache of records whose kind sets [`Record::CACHED`](crate::Record::CACHED).
//!
//! Some records are read on nearly every request and written almost never: an S3 bucket and its
//! configurations (policy, Block Public Access, ownership...) are read by every object GET. A
//! SQLite read costs a read transaction (WAL index locks, a B-tree walk) each time; this cache
//! keeps the stored form (version and JSON body, or "absent") in memory instead, so a hit costs
//! one hash lookup and the decode.
//!
//! Coherence, without per-key bookkeeping: any committed write batch that touched a cached kind
//! clears the whole cache and advances `epoch` (see `group_commit.rs`), before any writer of
//! that batch is answered, so a reader never sees an older value than a write already
//! acknowledged. A reader that misses notes the epoch *before* its database read and fills the
//! cache only if the epoch is unchanged afterwards: a value read just before a commit can then
//! never be cached after that commit's clear. Cached kinds are the rarely written ones, so
//! clearing everything costs nothing that matters.
//!
//! Kinds that set [`Record::CACHED_BY_KEY`](crate::Record::CACHED_BY_KEY) (S3's object heads:
//! many records, each read far more often than written) are evicted key by key instead: the
//! commit removes exactly the records it wrote, and advances `epoch` as a clear does, with the
//! same guarantee.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Past either bound the cache is emptied and refills from what is read next: a simple cap
/// for a cache that normally holds a few hundred small records.
const MAX_ENTRIES: usize = 16 * 1024;
const MAX_BYTES: usize = 8 * 1024 * 1024;

/// A record as stored: its serialized version and body, and once some reader asked for it
/// through [`Store::get_shared`](crate::Store::get_shared), the decoded value, so later readers
/// skip the JSON decode too.
pub(crate) struct Stored {
    pub(crate) version: i64,
    pub(crate) body: Box<[u8]>,
    pub(crate) decoded: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl Stored {
    pub(crate) fn new(version: i64, body: &[u8]) -> Stored {
        Stored { version, body: body.into(), decoded: OnceLock::new() }
    }
}

impl PartialEq for Stored {
    fn eq(&self, other: &Stored) -> bool {
        (self.version, &self.body) == (other.version, &other.body)
    }
}

impl std::fmt::Debug for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stored").field("version", &self.version).field("body", &String::from_utf8_lossy(&self.body)).finish()
    }
}

pub(crate) type StoredRecord = Arc<Stored>;

#[derive(Default)]
pub(crate) struct RecordCache {
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    /// Advanced by every clear after a commit.
    epoch: u64,
    /// `None`: the record does not exist (most lookups of optional configurations).
    map: HashMap<String, Option<StoredRecord>>,
    bytes: usize,
}

/// The cache key of one record: kind, scope and key, separated by a byte none of them holds.
pub(crate) fn cache_key(kind: &str, scope: &str, key: &str) -> String {
    [kind, scope, key].join("\0")
}

fn entry_size(key: &str, found: &Option<StoredRecord>) -> usize {
    key.len() + found.as_ref().map_or(0, |stored| stored.body.len())
}

impl RecordCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached form of a record (`Some(None)`: known absent), or the epoch to pass to
    /// [`RecordCache::fill`] after reading it from the database.
    pub(crate) fn lookup(&self, key: &str) -> Result<Option<StoredRecord>, u64> {
        let entries = self.entries();
        match entries.map.get(key) {
            Some(hit) => Ok(hit.clone()),
            None => Err(entries.epoch),
        }
    }

    /// Caches what a read that started at `epoch` found, unless a commit cleared the cache since.
    pub(crate) fn fill(&self, key: String, epoch: u64, found: Option<StoredRecord>) {
        let mut entries = self.entries();
        if entries.epoch != epoch {
            return;
        }
        let size = entry_size(&key, &found);
        if entries.map.len() >= MAX_ENTRIES || entries.bytes + size > MAX_BYTES {
            entries.map.clear();
            entries.bytes = 0;
        }
        let old_size = entries.map.get(&key).map(|old| entry_size(&key, old));
        entries.bytes += size;
        if let Some(old_size) = old_size {
            // Two readers missed at once and both fill: the entry is counted once.
            entries.bytes -= old_size;
        }
        entries.map.insert(key, found);
    }

    /// Forgets these records, after a commit that wrote them. Advancing the epoch drops the
    /// fills of reads that started before the commit, as [`RecordCache::clear`] does.
    pub(crate) fn evict(&self, keys: &[String]) {
        let mut entries = self.entries();
        entries.epoch += 1;
        for key in keys {
            if let Some(old) = entries.map.remove(key) {
                entries.bytes -= entry_size(key, &old);
            }
        }
    }

    /// Forgets everything, after a commit that wrote a cached kind.
    pub(crate) fn clear(&self) {
        let mut entries = self.entries();
        entries.epoch += 1;
        entries.map.clear();
        entries.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(body: &[u8]) -> Option<StoredRecord> {
        Some(Arc::new(Stored::new(1, body)))
    }

    #[test]
    fn a_fill_after_a_clear_is_dropped() {
        let cache = RecordCache::default();
        let key = cache_key("k", "s", "a");
        let epoch = cache.lookup(&key).unwrap_err();
        cache.clear();
        cache.fill(key.clone(), epoch, stored(b"old"));
        let epoch = cache.lookup(&key).expect_err("the stale fill was not cached");
        cache.fill(key.clone(), epoch, stored(b"new"));
        assert_eq!(cache.lookup(&key).unwrap(), stored(b"new"));
        cache.fill(cache_key("k", "s", "b"), epoch, None);
        assert_eq!(cache.lookup(&cache_key("k", "s", "b")).unwrap(), None);
    }

    #[test]
    fn an_eviction_forgets_its_keys_only_and_drops_older_fills() {
        let cache = RecordCache::default();
        let (a, b) = (cache_key("k", "s", "a"), cache_key("k", "s", "b"));
        for key in [&a, &b] {
            let epoch = cache.lookup(key).unwrap_err();
            cache.fill(key.clone(), epoch, stored(b"v1"));
        }
        let epoch_before = cache.lookup(&cache_key("k", "s", "c")).unwrap_err();
        cache.evict(std::slice::from_ref(&a));
        assert!(cache.lookup(&a).is_err(), "the written record is forgotten");
        assert_eq!(cache.lookup(&b).unwrap(), stored(b"v1"), "other records stay");
        cache.fill(cache_key("k", "s", "c"), epoch_before, stored(b"stale"));
        assert!(cache.lookup(&cache_key("k", "s", "c")).is_err(), "a read from before the commit is not cached");
    }

    #[test]
    fn keys_do_not_collide_across_parts() {
        assert_ne!(cache_key("k", "a/b", "c"), cache_key("k", "a", "b/c"));
    }
}
