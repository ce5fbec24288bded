//! The one error type of the store. Messages are written for the person running Nimbus:
//! they name the file or record involved and, where there is one, the way out.

use std::path::PathBuf;

use crate::blob::BlobId;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another `Store` (in this or another process) holds the data directory's lock.
    #[error(
        "data directory {} is in use by another Nimbus process ({}); stop it or choose another data directory",
        .dir.display(),
        match .pid { Some(pid) => format!("pid {pid}"), None => "pid unknown".to_owned() }
    )]
    Locked { dir: PathBuf, pid: Option<u32> },

    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// A filesystem operation failed; `context` says which and on what path.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// Stored bytes do not have the shape this build expects.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),

    /// Sealing or unsealing failed (wrong key, wrong associated data, or tampered bytes).
    #[error("{0}")]
    Crypto(String),

    #[error("could not (de)serialize a {kind} record: {source}")]
    Serde {
        kind: &'static str,
        #[source]
        source: serde_json::Error,
    },

    /// The database was written by a newer Nimbus; opening it with this build could garble it.
    #[error(
        "database schema version {found} is newer than this Nimbus build supports ({supported}); upgrade Nimbus or use another data directory"
    )]
    UnsupportedSchema { found: u32, supported: u32 },

    /// A record was written by a newer Nimbus whose format this build cannot read.
    #[error(
        "{kind} record {key:?} was stored at version {found}, newer than this Nimbus build supports ({supported}); upgrade Nimbus"
    )]
    UnsupportedRecordVersion {
        kind: &'static str,
        key: String,
        found: u32,
        supported: u32,
    },

    /// A group commit failed; every write of the batch was rolled back.
    #[error("write not committed: {0}")]
    Commit(String),

    #[error("blob {0} does not exist")]
    BlobNotFound(BlobId),

    /// A write named an ordered space that was dropped and is not yet purged: a bug in the
    /// caller, which should have given the new incarnation a fresh space name.
    #[error("ordered space {0:?} was dropped and is still being purged; write under a new space name")]
    SpaceDropped(String),
}

impl StoreError {
    /// An io::Error with a description of what was being done (use inside a `map_err` closure
    /// so the description is only formatted on failure).
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> StoreError {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
