//! Durable, immutable blob files (object bodies, large payloads) under `<dir>/blobs`.
//!
//! Protocol for callers: write the blob (returns once it is durable under its final name), then
//! commit the metadata record that references its id. To remove: commit the record change first,
//! then delete the blob. A crash between the steps leaves at worst an unreferenced blob file,
//! never a record pointing at a missing or partial body.
//!
//! Ids are 128 random bits in hex, never derived from user input, so a key like `../../x` can
//! never turn into a path; `BlobId` validates its form whenever it is parsed or deserialized.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::durable_fs::{self, ensure_dir, remove_if_exists, sync_dir, to_hex};
use crate::error::{Result, StoreError};

const ID_BYTES: usize = 16;
const ID_HEX_LEN: usize = ID_BYTES * 2;
const FANOUT_LEN: usize = 2;
const TMP_DIR_NAME: &str = "tmp";
/// Streaming writes are buffered so many small `write` calls (e.g. body chunks) do not each
/// become a syscall.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;
/// A durable writer flushes and `fdatasync`s after every this many bytes, so a large blob
/// reaches the disk while it streams in (behind the caller's hashing) instead of all at once in
/// `finish`, and dirty pages never pile up for a big upload.
const SYNC_EVERY_BYTES: u64 = 8 * 1024 * 1024;

/// The name of a stored blob: 32 lowercase hex digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobId(String);

impl BlobId {
    fn random() -> Result<BlobId> {
        Ok(BlobId(to_hex(&durable_fs::random_bytes::<ID_BYTES>()?)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn is_valid(text: &str) -> bool {
        text.len() == ID_HEX_LEN && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
}

impl FromStr for BlobId {
    type Err = StoreError;
    fn from_str(text: &str) -> Result<BlobId> {
        BlobId::try_from(text.to_owned())
    }
}

impl TryFrom<String> for BlobId {
    type Error = StoreError;
    fn try_from(text: String) -> Result<BlobId> {
        if BlobId::is_valid(&text) {
            Ok(BlobId(text))
        } else {
            Err(StoreError::Corrupt(format!(
                "{text:?} is not a valid blob id"
            )))
        }
    }
}

impl From<BlobId> for String {
    fn from(id: BlobId) -> String {
        id.0
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.0)
    }
}

/// Blob files of one data directory: `<root>/<first 2 hex digits>/<id>`, with in-progress
/// writes in `<root>/tmp`.
#[derive(Debug)]
pub struct BlobStore {
    root: PathBuf,
    tmp: PathBuf,
    /// False for ephemeral stores: their files are deleted at exit, so fsyncs buy nothing.
    durable: bool,
    /// Small blobs' files kept open for [`BlobStore::open_shared`].
    open_files: Mutex<OpenFiles>,
}

/// Files of small blobs, open for reading. Opening a file (path walk, `openat`, `close`) costs
/// more than reading a few KiB from the page cache, and small objects are read over and over.
/// Sound because a blob never changes once finished and its random id is never reused; a
/// deleted blob leaves the map before its file is removed.
#[derive(Debug, Default)]
struct OpenFiles {
    files: HashMap<BlobId, Arc<File>>,
    /// Advanced by every delete: an open that raced a delete is not kept (it could hold an
    /// unlinked file's space until evicted).
    deletes: u64,
}

/// At most this many files are kept open (past it, the map is emptied and refills).
const OPEN_FILES_MAX: usize = 256;
/// Only blobs up to this size are kept open: for larger ones the open is noise next to the
/// read, and a kept file of a deleted blob would hold its disk space.
const OPEN_FILE_MAX_BYTES: u64 = 1024 * 1024;

impl BlobStore {
    /// Prepares the directory and discards temp files left by writes a crash interrupted
    /// (safe because the caller holds the data-directory lock: no other writer exists).
    pub(crate) fn open_dir(root: PathBuf, durable: bool) -> Result<BlobStore> {
        let tmp = root.join(TMP_DIR_NAME);
        ensure_dir(&tmp)?;
        let store = BlobStore { root, tmp, durable, open_files: Mutex::default() };
        store.remove_temp_files()?;
        Ok(store)
    }

    /// Writes a whole blob durably and returns its id.
    pub fn write(&self, bytes: &[u8]) -> Result<BlobId> {
        let mut writer = self.writer()?;
        writer
            .write_all(bytes)
            .map_err(|e| StoreError::io("could not write blob", e))?;
        writer.finish()
    }

    /// Starts a streaming write; the blob exists only once `finish` returns its id. Dropping the
    /// writer unfinished discards the partial data.
    pub fn writer(&self) -> Result<BlobWriter> {
        let id = BlobId::random()?;
        let tmp_path = self.tmp.join(format!("{id}.tmp"));
        let file = durable_fs::create_private(&tmp_path)?;
        Ok(BlobWriter {
            file: Some(BufWriter::with_capacity(WRITE_BUFFER_BYTES, file)),
            fanout_dir: self.root.join(&id.as_str()[..FANOUT_LEN]),
            tmp_path,
            id,
            len: 0,
            synced_len: 0,
            committed: false,
            durable: self.durable,
        })
    }

    /// Opens a blob for reading (the file supports `Read` and `Seek`, e.g. for ranges).
    pub fn open(&self, id: &BlobId) -> Result<File> {
        let path = self.path(id);
        File::open(&path).map_err(|e| not_found_or_io(id, &path, e))
    }

    /// Opens a blob for positional reads (`FileExt::read_at`): the file may be shared with
    /// other readers. Small blobs' files stay open for the next reader.
    pub fn open_shared(&self, id: &BlobId) -> Result<Arc<File>> {
        let deletes = {
            let open = self.open_files();
            if let Some(file) = open.files.get(id) {
                return Ok(file.clone());
            }
            open.deletes
        };
        let file = Arc::new(self.open(id)?);
        let small = file.metadata().is_ok_and(|m| m.len() <= OPEN_FILE_MAX_BYTES);
        let mut open = self.open_files();
        if small && open.deletes == deletes {
            if open.files.len() >= OPEN_FILES_MAX {
                open.files.clear();
            }
            open.files.insert(id.clone(), file.clone());
        }
        Ok(file)
    }

    fn open_files(&self) -> MutexGuard<'_, OpenFiles> {
        self.open_files.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes the kept file of a blob about to be deleted.
    fn forget_open(&self, id: Option<&BlobId>) {
        let mut open = self.open_files();
        open.deletes += 1;
        match id {
            Some(id) => {
                open.files.remove(id);
            }
            None => open.files.clear(),
        }
    }

    /// The blob's size in bytes.
    pub fn len(&self, id: &BlobId) -> Result<u64> {
        let path = self.path(id);
        std::fs::metadata(&path)
            .map(|m| m.len())
            .map_err(|e| not_found_or_io(id, &path, e))
    }

    pub fn exists(&self, id: &BlobId) -> Result<bool> {
        match self.len(id) {
            Ok(_) => Ok(true),
            Err(StoreError::BlobNotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes a blob; Ok(false) if it did not exist. Not fsynced: if a crash undoes the
    /// removal, the result is an unreferenced file, which is harmless.
    pub fn delete(&self, id: &BlobId) -> Result<bool> {
        self.forget_open(Some(id));
        remove_if_exists(&self.path(id))
    }

    /// Every stored blob id (for garbage collection of unreferenced blobs).
    pub fn ids(&self) -> Result<Vec<BlobId>> {
        let mut ids = Vec::new();
        for fanout in self.fanout_dirs()? {
            for entry in read_dir(&fanout)? {
                if let Some(id) = entry
                    .file_name()
                    .to_str()
                    .and_then(|name| name.parse().ok())
                {
                    ids.push(id);
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Deletes every finished blob. In-progress writes are left alone; they belong to callers
    /// that will commit (or abandon) them after the reset.
    pub(crate) fn delete_all(&self) -> Result<()> {
        self.forget_open(None);
        for fanout in self.fanout_dirs()? {
            for entry in read_dir(&fanout)? {
                remove_if_exists(&entry.path())?;
            }
        }
        Ok(())
    }

    fn path(&self, id: &BlobId) -> PathBuf {
        self.root.join(&id.as_str()[..FANOUT_LEN]).join(id.as_str())
    }

    fn fanout_dirs(&self) -> Result<Vec<PathBuf>> {
        Ok(read_dir(&self.root)?
            .into_iter()
            .filter(|entry| {
                entry.file_name().len() == FANOUT_LEN && entry.file_type().is_ok_and(|t| t.is_dir())
            })
            .map(|entry| entry.path())
            .collect())
    }

    fn remove_temp_files(&self) -> Result<()> {
        for entry in read_dir(&self.tmp)? {
            remove_if_exists(&entry.path())?;
        }
        Ok(())
    }
}

fn read_dir(dir: &Path) -> Result<Vec<std::fs::DirEntry>> {
    let context = || format!("could not list directory {}", dir.display());
    std::fs::read_dir(dir)
        .map_err(|e| StoreError::io(context(), e))?
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| StoreError::io(context(), e))
}

fn not_found_or_io(id: &BlobId, path: &Path, e: std::io::Error) -> StoreError {
    if e.kind() == std::io::ErrorKind::NotFound {
        StoreError::BlobNotFound(id.clone())
    } else {
        StoreError::io(format!("could not read blob {}", path.display()), e)
    }
}

/// An in-progress blob. Write the body, then call `finish`.
pub struct BlobWriter {
    /// Taken by `finish` (which consumes the writer, so it is always Some while writable).
    file: Option<BufWriter<File>>,
    /// Set once the temp file has been renamed into place; otherwise Drop removes it.
    committed: bool,
    durable: bool,
    tmp_path: PathBuf,
    fanout_dir: PathBuf,
    id: BlobId,
    len: u64,
    /// `len` at the last intermediate sync.
    synced_len: u64,
}

impl BlobWriter {
    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes the blob durable under its final name and returns its id.
    pub fn finish(mut self) -> Result<BlobId> {
        let buffered = self.file.take().expect("BlobWriter is finished only once");
        let file = buffered.into_inner().map_err(|e| {
            StoreError::io(
                format!("could not write {}", self.tmp_path.display()),
                e.into_error(),
            )
        })?;
        if self.durable {
            file.sync_all().map_err(|e| {
                StoreError::io(format!("could not sync {}", self.tmp_path.display()), e)
            })?;
        }
        drop(file);
        ensure_dir(&self.fanout_dir)?;
        let final_path = self.fanout_dir.join(self.id.as_str());
        std::fs::rename(&self.tmp_path, &final_path).map_err(|e| {
            StoreError::io(
                format!("could not move blob into {}", final_path.display()),
                e,
            )
        })?;
        self.committed = true;
        if self.durable {
            sync_dir(&self.fanout_dir)?;
        }
        Ok(self.id.clone())
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("blob writer already finished"))?;
        let written = file.write(buf)?;
        self.len += written as u64;
        if self.durable && self.len - self.synced_len >= SYNC_EVERY_BYTES {
            file.flush()?;
            file.get_ref().sync_data()?;
            self.synced_len = self.len;
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.committed {
            // Abandoned or failed: the partial body must not linger (open() would also sweep
            // it at the next start, but a long-running server should not accumulate them).
            let _ = std::fs::remove_file(&self.tmp_path);
        }
    }
}

impl fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobWriter")
            .field("id", &self.id)
            .field("len", &self.len)
            .finish()
    }
}
