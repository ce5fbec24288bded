//! Exclusive ownership of a data directory. Two Nimbus processes writing the same SQLite file
//! and blob tree would be safe for SQLite but not for our invariants (orphan-temp cleanup at
//! open, reset, the master key), so the second one is refused with a message naming the holder.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;

use crate::error::{Result, StoreError};

pub(crate) const LOCK_FILE_NAME: &str = "nimbus.lock";

/// Holds an advisory `flock` on `<dir>/nimbus.lock` until dropped. flock locks belong to the
/// open file description, so a second open in the *same* process conflicts too, and the kernel
/// releases the lock when the process dies, even by `kill -9`: no stale-lock cleanup needed.
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join(LOCK_FILE_NAME);
        // No truncate here: the current holder's pid must stay readable if we lose the race.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| {
                StoreError::io(format!("could not open lock file {}", path.display()), e)
            })?;
        let acquired = FileExt::try_lock_exclusive(&file)
            .map_err(|e| StoreError::io(format!("could not lock {}", path.display()), e))?;
        if !acquired {
            return Err(StoreError::Locked {
                dir: dir.to_path_buf(),
                pid: read_pid(&mut file),
            });
        }
        // The pid is informational (for the Locked message), so failing to record it is not fatal
        // but is still reported: a lock file we cannot write to is a sign of a broken directory.
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| writeln!(file, "{}", std::process::id()))
            .map_err(|e| StoreError::io(format!("could not write {}", path.display()), e))?;
        Ok(DirLock { _file: file })
    }
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// The canonical form of `dir` used in messages and as the Store's identity; falls back to the
/// path as given if it cannot be canonicalized.
pub(crate) fn canonical(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}
