//! Filesystem helpers for crash-safe file creation: write to a temp name, fsync, rename into
//! place, fsync the directory. A reader therefore sees either no file or the whole file, and
//! once the function returns the file survives a crash or power loss.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::{Result, StoreError};

/// Fsyncs a directory so that entries created, renamed or removed in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(format!("could not sync directory {}", dir.display()), e))
}

/// Creates a directory (and parents) if missing; when it had to be created, syncs its parent
/// so the new entry itself is durable.
pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| StoreError::io(format!("could not create directory {}", dir.display()), e))?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Opens a new file for writing, readable and writable by the owner only on Unix
/// (it may hold key material or object bodies).
pub(crate) fn create_private(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| StoreError::io(format!("could not create {}", path.display()), e))
}

/// Atomically and durably replaces `path` with `bytes` (via `<path>.tmp`).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    // A leftover from a crash mid-write is garbage; create_new must not trip over it.
    remove_if_exists(&tmp)?;
    let mut file = create_private(&tmp)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| StoreError::io(format!("could not write {}", tmp.display()), e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| {
        StoreError::io(
            format!("could not rename {} to {}", tmp.display(), path.display()),
            e,
        )
    })?;
    if let Some(parent) = path.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Removes a file; Ok(false) if it was not there.
pub(crate) fn remove_if_exists(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::io(
            format!("could not remove {}", path.display()),
            e,
        )),
    }
}

/// Fills a buffer from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| StoreError::Crypto("the system random number generator failed".into()))?;
    Ok(bytes)
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}
