//! The SQLite file: connection settings and schema migrations.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Result, StoreError};

pub(crate) const DATABASE_FILE_NAME: &str = "nimbus.sqlite3";

/// How long a connection waits on a lock held by another connection before failing. Writers are
/// serialized by a mutex in-process, so this mostly covers checkpoints and WAL recovery.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const STATEMENT_CACHE_CAPACITY: usize = 64;
/// The writer's page cache, in KiB (SQLite's negative `cache_size`). SQLite's default of 2 MiB
/// means an insert into a large ordered space (a million log events, a DynamoDB table) reads
/// most B-tree pages back from the file and the WAL on every batch; the cache only grows as
/// pages are touched, so an idle Nimbus pays nothing for it.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
/// Each reader's page cache, in KiB: smaller, since there are several readers.
const READER_CACHE_KIB: i64 = 8 * 1024;

/// Schema migrations, applied in order; `PRAGMA user_version` counts how many have run.
/// Append only: never edit or reorder a step that has shipped, since existing databases have
/// already applied it.
const MIGRATIONS: &[&str] = &[
    // 1: versioned records and settings.
    "CREATE TABLE records (
         kind    TEXT    NOT NULL,
         scope   TEXT    NOT NULL,
         key     TEXT    NOT NULL,
         version INTEGER NOT NULL,
         body    BLOB    NOT NULL,
         PRIMARY KEY (kind, scope, key)
     ) WITHOUT ROWID;
     CREATE TABLE settings (
         name  TEXT NOT NULL PRIMARY KEY,
         value TEXT NOT NULL
     ) WITHOUT ROWID;",
    // 2: ordered byte-keyed spaces (ordered.rs), and the dropped spaces still being purged.
    "CREATE TABLE ordered (
         space TEXT NOT NULL,
         key   BLOB NOT NULL,
         value BLOB NOT NULL,
         PRIMARY KEY (space, key)
     ) WITHOUT ROWID;
     CREATE TABLE ordered_dropped (
         space TEXT NOT NULL PRIMARY KEY
     ) WITHOUT ROWID;",
];

/// The connection all writes go through. synchronous=FULL in WAL mode fsyncs the WAL at every
/// commit, which is what makes an acknowledged write survive `kill -9` and power loss. Without
/// `durable` (ephemeral stores, deleted at exit anyway) commits skip the fsync.
pub(crate) fn open_writer(path: &Path, durable: bool) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure_common(&conn)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt(format!(
            "could not switch {} to WAL journal mode (got {mode:?}); is the filesystem supported?",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", if durable { "FULL" } else { "OFF" })?;
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    Ok(conn)
}

/// A read-only connection; in WAL mode readers see the latest commit and never block the writer
/// or each other.
pub(crate) fn open_reader(path: &Path) -> Result<Connection> {
    // READ_WRITE (not READ_ONLY) so the connection can maintain the WAL index in the -shm file;
    // query_only turns away writes instead.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure_common(&conn)?;
    conn.pragma_update(None, "query_only", true)?;
    conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
    Ok(conn)
}

fn configure_common(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

/// Brings the schema up to date, one transaction per step so an interrupted upgrade resumes
/// cleanly at the next start. Refuses databases from a newer build rather than guessing.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let supported = MIGRATIONS.len() as u32;
    let current: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if current > supported {
        return Err(StoreError::UnsupportedSchema {
            found: current,
            supported,
        });
    }
    for (index, step) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", index as u32 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
