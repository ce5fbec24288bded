//! Versioned records and settings: the SQL behind `Store` and `Txn`. Every function takes a
//! plain `&Connection` so the same code serves pooled readers, the writer, and transactions.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Result, StoreError};

/// A persisted record type.
///
/// `KIND` names its partition of the records table (e.g. `"secretsmanager.secret"`); it must be
/// unique across Nimbus and never change once shipped. `VERSION` is stored with every record and
/// must be bumped whenever the serialized form changes incompatibly; `migrate` then upgrades
/// older forms on read, so a restart after an upgrade never loses or garbles state. Migrated
/// records are rewritten at the current version the next time they are `put`.
pub trait Record: serde::Serialize + serde::de::DeserializeOwned {
    const KIND: &'static str;
    const VERSION: u32;

    /// Reads through [`Store::get`](crate::Store::get) are served from an in-memory cache
    /// (see `cache.rs`). For kinds read on most requests and written rarely: every commit that
    /// writes a cached kind empties the whole cache.
    const CACHED: bool = false;

    /// Reads through [`Store::get`](crate::Store::get) are served from the same cache, but a
    /// commit evicts only the records of this kind it wrote (by kind, scope and key). For kinds
    /// read far more often than each record is written, with many records (S3 object heads).
    /// Deleting a whole scope of such a kind still empties the whole cache.
    const CACHED_BY_KEY: bool = false;

    /// Upgrades `value`, stored at `from_version` (always older than `VERSION`), to the current
    /// serialized form. Typically a `match from_version` that chains the steps.
    fn migrate(from_version: u32, value: serde_json::Value) -> Result<serde_json::Value> {
        let _ = value;
        Err(StoreError::Corrupt(format!(
            "{} has no migration from version {from_version}",
            Self::KIND
        )))
    }
}

pub(crate) fn encode<R: Record>(record: &R) -> Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|source| StoreError::Serde {
        kind: R::KIND,
        source,
    })
}

pub(crate) fn decode<R: Record>(key: &str, stored_version: i64, body: &[u8]) -> Result<R> {
    let serde_error = |source| StoreError::Serde {
        kind: R::KIND,
        source,
    };
    let version = u32::try_from(stored_version).map_err(|_| {
        StoreError::Corrupt(format!(
            "{} record {key:?} has invalid version {stored_version}",
            R::KIND
        ))
    })?;
    if version == R::VERSION {
        return serde_json::from_slice(body).map_err(serde_error);
    }
    if version > R::VERSION {
        return Err(StoreError::UnsupportedRecordVersion {
            kind: R::KIND,
            key: key.to_owned(),
            found: version,
            supported: R::VERSION,
        });
    }
    let old: serde_json::Value = serde_json::from_slice(body).map_err(serde_error)?;
    let upgraded = R::migrate(version, old)?;
    serde_json::from_value(upgraded).map_err(serde_error)
}

pub(crate) fn get<R: Record>(conn: &Connection, scope: &str, key: &str) -> Result<Option<R>> {
    read_stored(conn, R::KIND, scope, key, |version, body| decode(key, version, body))
}

/// Passes the stored version and body of a record, if there is one, to `f`; the body is
/// borrowed in place rather than copied out of SQLite.
pub(crate) fn read_stored<T>(
    conn: &Connection,
    kind: &str,
    scope: &str,
    key: &str,
    f: impl FnOnce(i64, &[u8]) -> Result<T>,
) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, body FROM records WHERE kind = ?1 AND scope = ?2 AND key = ?3",
    )?;
    let mut rows = stmt.query(params![kind, scope, key])?;
    match rows.next()? {
        None => Ok(None),
        Some(row) => {
            let body = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            f(row.get(0)?, body).map(Some)
        }
    }
}

pub(crate) fn put(
    conn: &Connection,
    kind: &str,
    version: u32,
    scope: &str,
    key: &str,
    body: &[u8],
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO records (kind, scope, key, version, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (kind, scope, key) DO UPDATE SET version = excluded.version, body = excluded.body",
    )?;
    stmt.execute(params![kind, scope, key, version, body])?;
    Ok(())
}

/// Stores the record only if none exists under the key; returns whether it was stored.
pub(crate) fn insert(
    conn: &Connection,
    kind: &str,
    version: u32,
    scope: &str,
    key: &str,
    body: &[u8],
) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO records (kind, scope, key, version, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (kind, scope, key) DO NOTHING",
    )?;
    Ok(stmt.execute(params![kind, scope, key, version, body])? == 1)
}

pub(crate) fn delete(conn: &Connection, kind: &str, scope: &str, key: &str) -> Result<bool> {
    let mut stmt =
        conn.prepare_cached("DELETE FROM records WHERE kind = ?1 AND scope = ?2 AND key = ?3")?;
    Ok(stmt.execute(params![kind, scope, key])? == 1)
}

pub(crate) fn delete_scope(conn: &Connection, kind: &str, scope: &str) -> Result<usize> {
    let mut stmt = conn.prepare_cached("DELETE FROM records WHERE kind = ?1 AND scope = ?2")?;
    Ok(stmt.execute(params![kind, scope])?)
}

pub(crate) fn list<R: Record>(
    conn: &Connection,
    scope: &str,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, R)>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    // Seek straight to the first candidate via the primary key, then walk in key order and stop
    // at the first key outside the prefix; no prefix upper bound needs computing. SQLite's BINARY
    // collation compares UTF-8 bytes, which is the byte order promised to callers.
    let (sql, start) = match after {
        Some(after) if after >= prefix => (
            "SELECT key, version, body FROM records WHERE kind = ?1 AND scope = ?2 AND key > ?3 ORDER BY key",
            after,
        ),
        _ => (
            "SELECT key, version, body FROM records WHERE kind = ?1 AND scope = ?2 AND key >= ?3 ORDER BY key",
            prefix,
        ),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params![R::KIND, scope, start])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let key = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        if !key.starts_with(prefix) {
            break;
        }
        let body = row.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
        let record = decode(key, row.get(1)?, body)?;
        out.push((key.to_owned(), record));
        if out.len() == limit {
            break;
        }
    }
    Ok(out)
}

pub(crate) fn setting(conn: &Connection, name: &str) -> Result<Option<String>> {
    let mut stmt = conn.prepare_cached("SELECT value FROM settings WHERE name = ?1")?;
    Ok(stmt.query_row([name], |row| row.get(0)).optional()?)
}

pub(crate) fn set_setting(conn: &Connection, name: &str, value: &str) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )?;
    stmt.execute([name, value])?;
    Ok(())
}

pub(crate) fn remove_setting(conn: &Connection, name: &str) -> Result<bool> {
    let mut stmt = conn.prepare_cached("DELETE FROM settings WHERE name = ?1")?;
    Ok(stmt.execute([name])? == 1)
}

pub(crate) fn delete_all(conn: &Connection) -> Result<()> {
    conn.execute_batch("DELETE FROM records; DELETE FROM settings;")?;
    Ok(())
}

/// A write transaction in progress, handed to the closure of `Store::transaction`. Reads see the
/// transaction's own uncommitted writes. Everything commits together when the closure returns
/// Ok, and nothing does if it returns Err or panics.
pub struct Txn<'a> {
    pub(crate) conn: &'a Connection,
    /// Set by any write of a [`Record::CACHED`] kind: the commit then empties the read cache.
    pub(crate) wrote_cached: std::cell::Cell<bool>,
    /// Cache keys of the [`Record::CACHED_BY_KEY`] records written: the commit evicts them.
    pub(crate) evicted: std::cell::RefCell<Vec<String>>,
}

impl<'a> Txn<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Txn<'a> {
        Txn { conn, wrote_cached: std::cell::Cell::new(false), evicted: std::cell::RefCell::default() }
    }

    /// Notes a write of the record (kind R, `scope`, `key`), before it is made.
    fn note_write<R: Record>(&self, scope: &str, key: &str) {
        if R::CACHED {
            self.wrote_cached.set(true);
        } else if R::CACHED_BY_KEY {
            self.evicted.borrow_mut().push(crate::cache::cache_key(R::KIND, scope, key));
        }
    }

    pub fn get<R: Record>(&self, scope: &str, key: &str) -> Result<Option<R>> {
        get(self.conn, scope, key)
    }

    pub fn put<R: Record>(&self, scope: &str, key: &str, record: &R) -> Result<()> {
        self.put_encoded::<R>(scope, key, &encode(record)?)
    }

    /// Stores the record only if the key is free; returns whether it was stored.
    pub fn insert<R: Record>(&self, scope: &str, key: &str, record: &R) -> Result<bool> {
        self.insert_encoded::<R>(scope, key, &encode(record)?)
    }

    /// [`Txn::put`] of a body already encoded (by [`encode`]).
    pub(crate) fn put_encoded<R: Record>(&self, scope: &str, key: &str, body: &[u8]) -> Result<()> {
        self.note_write::<R>(scope, key);
        put(self.conn, R::KIND, R::VERSION, scope, key, body)
    }

    pub(crate) fn insert_encoded<R: Record>(&self, scope: &str, key: &str, body: &[u8]) -> Result<bool> {
        self.note_write::<R>(scope, key);
        insert(self.conn, R::KIND, R::VERSION, scope, key, body)
    }

    pub fn delete<R: Record>(&self, scope: &str, key: &str) -> Result<bool> {
        self.note_write::<R>(scope, key);
        delete(self.conn, R::KIND, scope, key)
    }

    /// Deletes every record of kind R in `scope` (a queue's messages when it is purged or
    /// deleted); returns how many there were.
    pub fn delete_scope<R: Record>(&self, scope: &str) -> Result<usize> {
        if R::CACHED || R::CACHED_BY_KEY {
            self.wrote_cached.set(true);
        }
        delete_scope(self.conn, R::KIND, scope)
    }

    pub fn list<R: Record>(
        &self,
        scope: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, R)>> {
        list(self.conn, scope, prefix, after, limit)
    }

    pub fn setting(&self, name: &str) -> Result<Option<String>> {
        setting(self.conn, name)
    }

    pub fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        set_setting(self.conn, name, value)
    }

    pub fn remove_setting(&self, name: &str) -> Result<bool> {
        remove_setting(self.conn, name)
    }
}
