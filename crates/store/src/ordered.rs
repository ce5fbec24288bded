//! Ordered spaces: byte keys to byte values, kept in key order, for data that is read by key
//! range rather than by name (DynamoDB items and index entries).
//!
//! A *space* is a name (`TEXT`) owning a set of `(key, value)` pairs; keys are compared as raw
//! bytes (SQLite's `memcmp` order for BLOBs: byte by byte, unsigned, a shorter key before every
//! longer key it is a prefix of), so a caller that encodes its keys order-preservingly gets its
//! own order back. Both columns are the primary key of a `WITHOUT ROWID` table, so a point read
//! is one B-tree descent and a range read of `k` pairs costs O(log n + k) whatever the space's
//! size. Values are opaque: the caller picks their encoding and versions it itself.
//!
//! Dropping a space is lazy, because a space can hold millions of pairs and deleting them in one
//! transaction would hold the writer (and every other service's writes) for seconds. Dropping
//! marks the space in `ordered_dropped` atomically with the caller's other writes; from that
//! commit on the space reads empty and refuses writes, and [`purge_some`] deletes its pairs in
//! bounded chunks, each its own transaction, unmarking the space when it is empty. A crash
//! mid-purge leaves the mark, so the purge resumes at the next call. A dropped name is usable
//! again only once purged, so callers should give each incarnation of a thing a fresh space name
//! (DynamoDB uses the table id) rather than wait.

use std::ops::{Bound, ControlFlow};

use rusqlite::{Connection, OptionalExtension, ToSql, params};

use crate::error::{Result, StoreError};

/// The order a range read walks its keys in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Ascending byte order.
    Forward,
    /// Descending byte order.
    Reverse,
}

/// A key and its value, as a range read returns them.
pub type OrderedPair = (Vec<u8>, Vec<u8>);

fn is_dropped(conn: &Connection, space: &str) -> Result<bool> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM ordered_dropped WHERE space = ?1")?;
    Ok(stmt.exists([space])?)
}

fn refuse_if_dropped(conn: &Connection, space: &str) -> Result<()> {
    if is_dropped(conn, space)? {
        return Err(StoreError::SpaceDropped(space.to_owned()));
    }
    Ok(())
}

pub(crate) fn get(conn: &Connection, space: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
    if is_dropped(conn, space)? {
        return Ok(None);
    }
    let mut stmt = conn.prepare_cached("SELECT value FROM ordered WHERE space = ?1 AND key = ?2")?;
    Ok(stmt.query_row(params![space, key], |row| row.get(0)).optional()?)
}

pub(crate) fn put(conn: &Connection, space: &str, key: &[u8], value: &[u8]) -> Result<()> {
    refuse_if_dropped(conn, space)?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO ordered (space, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (space, key) DO UPDATE SET value = excluded.value",
    )?;
    stmt.execute(params![space, key, value])?;
    Ok(())
}

/// [`put`] for many pairs of one space: the space is checked for a drop once and the statement
/// prepared once, so a writer adding thousands of pairs at a time (CloudWatch Logs' events) pays
/// one B-tree insert per pair and nothing more.
pub(crate) fn put_many<'a>(conn: &Connection, space: &str, pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Result<()> {
    refuse_if_dropped(conn, space)?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO ordered (space, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (space, key) DO UPDATE SET value = excluded.value",
    )?;
    for (key, value) in pairs {
        stmt.execute(params![space, key, value])?;
    }
    Ok(())
}

pub(crate) fn delete(conn: &Connection, space: &str, key: &[u8]) -> Result<bool> {
    refuse_if_dropped(conn, space)?;
    let mut stmt = conn.prepare_cached("DELETE FROM ordered WHERE space = ?1 AND key = ?2")?;
    Ok(stmt.execute(params![space, key])? == 1)
}

/// Calls `visit` with each pair of `space` whose key lies within the bounds, in `direction`
/// order, until it returns `Break` or the range ends. Pairs are borrowed from SQLite's row
/// buffers, so a visitor that stops early (a page is full) never copies what it does not keep.
pub(crate) fn visit(
    conn: &Connection,
    space: &str,
    lower: Bound<&[u8]>,
    upper: Bound<&[u8]>,
    direction: Direction,
    mut visit: impl FnMut(&[u8], &[u8]) -> ControlFlow<()>,
) -> Result<()> {
    if is_dropped(conn, space)? {
        return Ok(());
    }
    let mut sql = String::from("SELECT key, value FROM ordered WHERE space = ?");
    let mut args: Vec<&dyn ToSql> = vec![&space];
    // Bound keys live in `bound_keys` so `args` can borrow them.
    let bound_keys: Vec<&[u8]> = [(lower, " AND key >= ?", " AND key > ?"), (upper, " AND key <= ?", " AND key < ?")]
        .into_iter()
        .filter_map(|(bound, included, excluded)| match bound {
            Bound::Included(key) => Some((key, included)),
            Bound::Excluded(key) => Some((key, excluded)),
            Bound::Unbounded => None,
        })
        .map(|(key, clause)| {
            sql.push_str(clause);
            key
        })
        .collect();
    args.extend(bound_keys.iter().map(|key| key as &dyn ToSql));
    sql.push_str(match direction {
        Direction::Forward => " ORDER BY key ASC",
        Direction::Reverse => " ORDER BY key DESC",
    });
    // At most 3 x 3 x 2 distinct statements, so they all stay in the statement cache.
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(args.as_slice())?;
    while let Some(row) = rows.next()? {
        let key = row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
        let value = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        if visit(key, value).is_break() {
            break;
        }
    }
    Ok(())
}

/// The pairs [`visit`] would pass, copied out, at most `limit` of them.
pub(crate) fn range(
    conn: &Connection,
    space: &str,
    lower: Bound<&[u8]>,
    upper: Bound<&[u8]>,
    direction: Direction,
    limit: usize,
) -> Result<Vec<OrderedPair>> {
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    visit(conn, space, lower, upper, direction, |key, value| {
        out.push((key.to_vec(), value.to_vec()));
        if out.len() == limit { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    })?;
    Ok(out)
}

/// Marks `space` dropped (see the module docs); dropping a dropped space is a no-op.
pub(crate) fn drop_space(conn: &Connection, space: &str) -> Result<()> {
    let mut stmt =
        conn.prepare_cached("INSERT INTO ordered_dropped (space) VALUES (?1) ON CONFLICT (space) DO NOTHING")?;
    stmt.execute([space])?;
    Ok(())
}

pub(crate) fn any_dropped(conn: &Connection) -> Result<bool> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM ordered_dropped LIMIT 1")?;
    Ok(stmt.exists([])?)
}

/// Deletes up to `max_pairs` pairs of one dropped space, unmarking it once it is empty. Returns
/// how many pairs it deleted and whether any dropped space is left to purge.
pub(crate) fn purge_some(conn: &Connection, max_pairs: usize) -> Result<(usize, bool)> {
    let mut next = conn.prepare_cached("SELECT space FROM ordered_dropped LIMIT 1")?;
    let Some(space) = next.query_row([], |row| row.get::<_, String>(0)).optional()? else {
        return Ok((0, false));
    };
    let limit = i64::try_from(max_pairs).unwrap_or(i64::MAX);
    // The inner SELECT walks the primary key from the space's first key, so each chunk costs
    // O(log n + chunk) however much of the space is left.
    let mut delete = conn.prepare_cached(
        "DELETE FROM ordered WHERE space = ?1 AND key IN
             (SELECT key FROM ordered WHERE space = ?1 ORDER BY key LIMIT ?2)",
    )?;
    let deleted = delete.execute(params![space, limit])?;
    if deleted < max_pairs {
        let mut unmark = conn.prepare_cached("DELETE FROM ordered_dropped WHERE space = ?1")?;
        unmark.execute([&space])?;
        return Ok((deleted, any_dropped(conn)?));
    }
    Ok((deleted, true))
}

pub(crate) fn delete_all(conn: &Connection) -> Result<()> {
    conn.execute_batch("DELETE FROM ordered; DELETE FROM ordered_dropped;")?;
    Ok(())
}

/// Ordered-space writes and reads inside a transaction: they commit (durably, with group commit)
/// together with everything else the transaction writes, and reads see its uncommitted writes.
impl crate::Txn<'_> {
    pub fn ordered_get(&self, space: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        get(self.conn, space, key)
    }

    /// Creates or replaces the value under `key`. Fails with [`StoreError::SpaceDropped`] if
    /// the space was dropped.
    pub fn ordered_put(&self, space: &str, key: &[u8], value: &[u8]) -> Result<()> {
        put(self.conn, space, key, value)
    }

    /// Inserts or replaces many pairs of `space` in key order or not; see [`put_many`].
    pub fn ordered_put_many<'a>(&self, space: &str, pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Result<()> {
        put_many(self.conn, space, pairs)
    }

    /// Deletes the pair under `key`; returns whether it existed.
    pub fn ordered_delete(&self, space: &str, key: &[u8]) -> Result<bool> {
        delete(self.conn, space, key)
    }

    /// See [`Store::ordered_range`](crate::Store::ordered_range).
    pub fn ordered_range(
        &self,
        space: &str,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<OrderedPair>> {
        range(self.conn, space, lower, upper, direction, limit)
    }

    /// See [`Store::ordered_visit`](crate::Store::ordered_visit).
    pub fn ordered_visit(
        &self,
        space: &str,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        direction: Direction,
        visitor: impl FnMut(&[u8], &[u8]) -> ControlFlow<()>,
    ) -> Result<()> {
        visit(self.conn, space, lower, upper, direction, visitor)
    }

    /// Drops a whole space: from this transaction's commit on it reads empty and refuses writes;
    /// its pairs are deleted afterwards, in chunks, by
    /// [`Store::purge_dropped_spaces`](crate::Store::purge_dropped_spaces). Cheap whatever
    /// the space's size.
    pub fn ordered_drop_space(&self, space: &str) -> Result<()> {
        drop_space(self.conn, space)
    }
}
