//! Storage: SQLite metadata (WAL), versioned records, durable blob files, sealing of secret material
//!
//! Only this crate touches the database and blob files; services persist everything through a
//! [`Store`]. Layout of a data directory:
//!
//! ```text
//! <dir>/nimbus.lock       exclusive advisory lock + pid of the owning process
//! <dir>/nimbus.sqlite3    records, settings and ordered spaces (WAL mode, fsync at every commit)
//! <dir>/master.key        32-byte sealing key for secret material (mode 0600)
//! <dir>/blobs/<xx>/<id>   immutable blob files; <dir>/blobs/tmp holds in-progress writes
//! ```
//!
//! Two ways to keep data: versioned [`Record`]s (serde values under a kind, scope and string key,
//! for named things: a queue, a secret, a table's definition) and *ordered spaces* (raw byte keys
//! to raw byte values in byte order, with range reads in either direction: for data read by key
//! range, such as DynamoDB items and index entries; see `ordered.rs`). Both are written through
//! one [`Txn`], so a change spanning them (an item and its index entries and the table's item
//! count) commits atomically.
//!
//! Every write method returns only after its data is durable, so an acknowledged write survives
//! `kill -9` of the process (and power loss, as far as the filesystem honours fsync). The
//! exception is [`Store::open_ephemeral`], whose data is deleted at exit and so is not fsynced.
//!
//! Concurrency: all writes go through one connection behind a mutex (SQLite allows one writer at
//! a time anyway); reads use a pool of separate connections, which WAL lets run concurrently with
//! the writer, so a read never waits for another request's fsync.

mod blob;
mod cache;
mod dir_lock;
mod durable_fs;
mod error;
mod group_commit;
mod ordered;
mod records;
mod schema;
mod sealing;

use std::fmt;
use std::ops::{Bound, ControlFlow};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;

pub use blob::{BlobId, BlobStore, BlobWriter};
pub use error::{Result, StoreError};
pub use ordered::{Direction, OrderedPair};
pub use records::{Record, Txn};
pub use sealing::{seal_with_key, unseal_with_key};

use cache::RecordCache;
use dir_lock::DirLock;
use group_commit::GroupWriter;
use sealing::SealingKey;

/// Idle reader connections kept for reuse. More can exist briefly under a burst; the extras are
/// closed when returned to a full pool.
const MAX_IDLE_READERS: usize = 32;
const BLOBS_DIR_NAME: &str = "blobs";

/// Handle to one data directory. Cheap to clone (an `Arc` inside); `Send + Sync`. The directory
/// lock is released, and an ephemeral directory deleted, when the last clone drops.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

/// Field order matters: fields drop in declaration order, and the connections and lock file must
/// close before an ephemeral directory is deleted.
struct Inner {
    dir: PathBuf,
    database_path: PathBuf,
    writer: Arc<GroupWriter>,
    /// Shared with `writer`, which empties it after commits that wrote cached kinds.
    cache: Arc<RecordCache>,
    idle_readers: Mutex<Vec<Connection>>,
    sealing_key: SealingKey,
    blobs: BlobStore,
    _lock: DirLock,
    _ephemeral_dir: Option<tempfile::TempDir>,
}

impl Store {
    /// Opens (creating if needed) the data directory `dir`.
    ///
    /// Fails with [`StoreError::Locked`] if another `Store`, in this process or another, has it
    /// open. Brings the schema up to date, loads or creates the sealing key, and discards temp
    /// files of blob writes that a crash interrupted.
    pub fn open(dir: &Path) -> Result<Store> {
        Store::open_in(dir, None)
    }

    /// Opens a store in a fresh temporary directory that is deleted when the last clone of the
    /// Store drops (tests, `--ephemeral` runs). Its writes skip fsync: the data cannot outlive
    /// the process anyway, and fsyncs would make every write milliseconds slower.
    pub fn open_ephemeral() -> Result<Store> {
        let temp = tempfile::Builder::new()
            .prefix("nimbus-")
            .tempdir()
            .map_err(|e| StoreError::io("could not create a temporary data directory", e))?;
        let dir = temp.path().to_path_buf();
        Store::open_in(&dir, Some(temp))
    }

    fn open_in(dir: &Path, ephemeral_dir: Option<tempfile::TempDir>) -> Result<Store> {
        durable_fs::ensure_dir(dir)?;
        let dir = dir_lock::canonical(dir);
        // Lock first: everything below (migrations, temp cleanup, key creation) assumes we are
        // the only process using the directory.
        let lock = DirLock::acquire(&dir)?;
        let database_path = dir.join(schema::DATABASE_FILE_NAME);
        let durable = ephemeral_dir.is_none();
        let mut writer = schema::open_writer(&database_path, durable)?;
        schema::migrate(&mut writer)?;
        let sealing_key = SealingKey::load_or_create(&dir)?;
        let blobs = BlobStore::open_dir(dir.join(BLOBS_DIR_NAME), durable)?;
        // One reader up front so the first request does not pay for opening it.
        let first_reader = schema::open_reader(&database_path)?;
        static NEXT_WRITER_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
        let writer_id = NEXT_WRITER_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let cache = Arc::new(RecordCache::default());
        Ok(Store {
            inner: Arc::new(Inner {
                dir,
                database_path,
                writer: Arc::new(GroupWriter::new(writer, writer_id, cache.clone())),
                cache,
                idle_readers: Mutex::new(vec![first_reader]),
                sealing_key,
                blobs,
                _lock: lock,
                _ephemeral_dir: ephemeral_dir,
            }),
        })
    }

    /// The data directory (canonicalized).
    pub fn data_dir(&self) -> &Path {
        &self.inner.dir
    }

    // ---- versioned records ----

    pub fn get<R: Record>(&self, scope: &str, key: &str) -> Result<Option<R>> {
        if !R::CACHED && !R::CACHED_BY_KEY {
            return self.with_reader(|conn| records::get(conn, scope, key));
        }
        self.cached_stored::<R>(scope, key)?
            .map(|stored| records::decode(key, stored.version, &stored.body))
            .transpose()
    }

    /// [`Store::get`], shared: for cached kinds the decoded record is kept with the cached
    /// bytes, so a hit costs a hash lookup and no decode (hot paths: S3's bucket, its
    /// configurations and object heads on every GET).
    pub fn get_shared<R: Record + Send + Sync + 'static>(&self, scope: &str, key: &str) -> Result<Option<Arc<R>>> {
        if !R::CACHED && !R::CACHED_BY_KEY {
            return Ok(self.get::<R>(scope, key)?.map(Arc::new));
        }
        let Some(stored) = self.cached_stored::<R>(scope, key)? else {
            return Ok(None);
        };
        if let Some(decoded) = stored.decoded.get()
            && let Ok(record) = decoded.clone().downcast::<R>()
        {
            return Ok(Some(record));
        }
        let record = Arc::new(records::decode::<R>(key, stored.version, &stored.body)?);
        let _ = stored.decoded.set(record.clone());
        Ok(Some(record))
    }

    /// A cached kind's stored form, from the cache or read (and cached).
    fn cached_stored<R: Record>(&self, scope: &str, key: &str) -> Result<Option<cache::StoredRecord>> {
        let cache_key = cache::cache_key(R::KIND, scope, key);
        match self.inner.cache.lookup(&cache_key) {
            Ok(hit) => Ok(hit),
            Err(epoch) => {
                let stored = self.with_reader(|conn| {
                    records::read_stored(conn, R::KIND, scope, key, |version, body| {
                        Ok(Arc::new(cache::Stored::new(version, body)))
                    })
                })?;
                self.inner.cache.fill(cache_key, epoch, stored.clone());
                Ok(stored)
            }
        }
    }

    /// Creates or replaces a record; durable when it returns.
    pub fn put<R: Record>(&self, scope: &str, key: &str, record: &R) -> Result<()> {
        // Serialize before taking the writer so other writers do not wait on it.
        let body = records::encode(record)?;
        self.transaction(|t| t.put_encoded::<R>(scope, key, &body))
    }

    /// Creates a record only if the key is free (no read-check-write race); returns whether it
    /// was stored.
    pub fn insert<R: Record>(&self, scope: &str, key: &str, record: &R) -> Result<bool> {
        let body = records::encode(record)?;
        self.transaction(|t| t.insert_encoded::<R>(scope, key, &body))
    }

    /// Deletes a record; returns whether it existed.
    pub fn delete<R: Record>(&self, scope: &str, key: &str) -> Result<bool> {
        self.transaction(|t| t.delete::<R>(scope, key))
    }

    /// Records of kind R in `scope` whose key starts with `prefix`, in key (byte) order, strictly
    /// after `after` if given, at most `limit`. For pagination pass the last key of the previous
    /// page as `after`.
    pub fn list<R: Record>(
        &self,
        scope: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, R)>> {
        self.with_reader(|conn| records::list(conn, scope, prefix, after, limit))
    }

    /// Every record of kind R in `scope`, in key order (read in pages; for scopes small enough
    /// to hold in memory: a queue's messages at load, an account's topics).
    pub fn list_all<R: Record>(&self, scope: &str) -> Result<Vec<(String, R)>> {
        const PAGE: usize = 1000;
        let mut out: Vec<(String, R)> = Vec::new();
        loop {
            let after = out.last().map(|(k, _)| k.clone());
            let page = self.list::<R>(scope, "", after.as_deref(), PAGE)?;
            let done = page.len() < PAGE;
            out.extend(page);
            if done {
                return Ok(out);
            }
        }
    }

    /// Runs `f` as one atomic, durable transaction: everything it writes through the [`Txn`]
    /// commits together, or nothing does if it returns Err (passed through) or panics.
    ///
    /// Writes are serialized, so keep the closure short and do no I/O other than through the Txn.
    /// Calling this Store's write methods (`put`, `transaction`, ...) inside the closure is a bug
    /// (it would deadlock) and panics instead; reads through the Store do not see the
    /// transaction's uncommitted writes, so read through the Txn.
    pub fn transaction<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Txn) -> Result<T, E>,
    ) -> Result<T, E> {
        // Concurrent transactions share one commit (one fsync); see group_commit.rs.
        self.inner.writer.run(f)
    }

    /// [`Store::transaction`] for async callers: `f` runs on the store's writer thread, in the
    /// same batches as blocking writers, and the future resolves once its writes are durable.
    /// No thread is parked while waiting, so many concurrent requests share one commit without
    /// a blocking-pool hand-off each. A panic in `f` is resumed in the awaiting task.
    pub fn transaction_async<T, E, F>(&self, f: F) -> impl std::future::Future<Output = Result<T, E>> + Send + 'static
    where
        F: FnOnce(&mut Txn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let outcome = self.inner.writer.submit(f);
        async move {
            match outcome.await {
                Ok(Ok(result)) => result,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => Err(StoreError::Commit("the store's writer thread stopped".into()).into()),
            }
        }
    }

    /// Write transactions committed since the store opened: with group commit, fewer than the
    /// transactions run when writers overlap (one fsync each in durable mode).
    pub fn commits(&self) -> u64 {
        self.inner.writer.commits()
    }

    // ---- ordered spaces (ordered.rs; writes go through `Txn::ordered_*`) ----

    /// The value under `key` in `space`, if any.
    pub fn ordered_get(&self, space: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.with_reader(|conn| ordered::get(conn, space, key))
    }

    /// Up to `limit` pairs of `space` whose keys lie within `lower..upper`, walked in
    /// `direction`: ascending byte order from the lower bound, or descending from the upper one.
    /// For pagination pass the last key returned as the next call's excluded bound.
    pub fn ordered_range(
        &self,
        space: &str,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<OrderedPair>> {
        self.with_reader(|conn| ordered::range(conn, space, lower, upper, direction, limit))
    }

    /// Like [`Store::ordered_range`], but hands each pair to `visitor` borrowed, until it returns
    /// `Break`: for readers that stop on something other than a count (a page's byte budget) or
    /// that keep only part of what they read. The visitor runs on a pooled reader connection, so
    /// keep it short and do no store calls inside it.
    pub fn ordered_visit(
        &self,
        space: &str,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        direction: Direction,
        visitor: impl FnMut(&[u8], &[u8]) -> ControlFlow<()>,
    ) -> Result<()> {
        self.with_reader(|conn| ordered::visit(conn, space, lower, upper, direction, visitor))
    }

    /// Whether some space dropped by [`Txn::ordered_drop_space`] still has pairs to delete (after
    /// a restart, to resume an interrupted purge).
    pub fn dropped_spaces_pending(&self) -> Result<bool> {
        self.with_reader(ordered::any_dropped)
    }

    /// Deletes the pairs of every dropped space, `pairs_per_commit` at a time, each chunk its own
    /// transaction so other writers get the connection between chunks; returns how many pairs it
    /// deleted. Run it off the request path (a background thread) after dropping a large space.
    pub fn purge_dropped_spaces(&self, pairs_per_commit: usize) -> Result<usize> {
        let pairs_per_commit = pairs_per_commit.max(1);
        let mut total = 0;
        loop {
            let (deleted, more) = self.transaction(|t| ordered::purge_some(t.conn, pairs_per_commit))?;
            total += deleted;
            if !more {
                return Ok(total);
            }
        }
    }

    // ---- settings ----

    pub fn setting(&self, name: &str) -> Result<Option<String>> {
        self.with_reader(|conn| records::setting(conn, name))
    }

    pub fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        self.transaction(|t| records::set_setting(t.conn, name, value))
    }

    /// Removes a setting; returns whether it existed.
    pub fn remove_setting(&self, name: &str) -> Result<bool> {
        self.transaction(|t| records::remove_setting(t.conn, name))
    }

    // ---- secret material ----

    /// Encrypts `plaintext` with AES-256-GCM under the master key. `aad` is authenticated but not
    /// stored: pass the owning record's identity (e.g. `"<scope>/<secret arn>/<version id>"`) so
    /// a ciphertext copied to another record fails to unseal.
    /// Output: format byte || 96-bit nonce || ciphertext || tag.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        self.inner.sealing_key.seal(plaintext, aad)
    }

    /// Reverses [`Store::seal`]; fails with [`StoreError::Crypto`] if `aad` differs or any byte
    /// was changed.
    pub fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        self.inner.sealing_key.unseal(sealed, aad)
    }

    // ---- blobs ----

    pub fn blobs(&self) -> &BlobStore {
        &self.inner.blobs
    }

    /// Deletes every record, setting, ordered space and blob (POST /_nimbus/reset). Keeps the
    /// master key and the directory lock. Blob writes in flight are not interrupted.
    pub fn reset(&self) -> Result<()> {
        self.transaction(|t| {
            t.wrote_cached.set(true);
            records::delete_all(t.conn)?;
            ordered::delete_all(t.conn)
        })?;
        // Metadata first: if deleting blobs fails halfway, no record points at a missing blob.
        self.inner.blobs.delete_all()
    }

    // ---- connections ----

    fn with_reader<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self
            .inner
            .idle_readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => schema::open_reader(&self.inner.database_path)?,
        };
        let result = read(&conn);
        let mut idle = self
            .inner
            .idle_readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}
