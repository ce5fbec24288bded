//! Group commit: many writers, one fsync.
//!
//! Every write transaction must be durable before it is acknowledged, and with
//! `synchronous=FULL` a commit costs one fsync of the WAL (about a millisecond on a fast disk,
//! much more on a slow one). Committing each transaction alone caps a store at ~1,000 writes a
//! second however many clients there are. Instead, writers that arrive while a commit is
//! flushing join the *next* batch: each runs its closure inside a SAVEPOINT of one shared SQLite
//! transaction (so a closure that fails or panics undoes only its own writes), and the last writer
//! of the batch commits it for everyone. Each writer still returns only after the commit that
//! contains its writes, so the durability contract of [`Store::transaction`](crate::Store) is
//! unchanged; only the number of fsyncs drops.
//!
//! Who commits: `wanting` counts writers between "I want to write" and "I hold the connection".
//! A writer that finishes its savepoint while `wanting > 0` leaves the commit to one of them; the
//! writer that finds `wanting == 0` commits. Every writer that raised `wanting` will run and reach
//! the same check, so the batch is always committed by its last member. Batch size adapts: under
//! no contention it is one (no added latency); under load it is everyone who arrived during the
//! previous fsync.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;

use crate::cache::RecordCache;
use crate::error::{Result, StoreError};
use crate::records::Txn;

pub(crate) struct GroupWriter {
    state: Mutex<State>,
    committed: Condvar,
    /// Writers waiting for the connection (see the module docs).
    wanting: AtomicUsize,
    /// Identifies this writer for the same-thread reentrancy check.
    id: usize,
    /// Batches committed so far (each one fsync in durable mode).
    commits: std::sync::atomic::AtomicU64,
    /// Emptied after every commit (or abandon) of a batch that wrote a cached kind, before any
    /// writer of the batch returns.
    cache: Arc<RecordCache>,
}

struct State {
    conn: Connection,
    /// A batch transaction is open on `conn`.
    open: bool,
    /// The batch that writers currently join.
    batch: u64,
    /// Every batch up to this one has finished committing (or failed to).
    finished_through: u64,
    /// The batch whose commit failed most recently, and why.
    failed: Option<(u64, String)>,
    /// A writer of the open batch wrote a cached kind.
    touched_cache: bool,
}

thread_local! {
    /// Writers whose transaction this thread is running (almost always zero or one entry).
    static WRITING_ON_THIS_THREAD: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks this thread as inside a transaction of `id` until dropped.
struct ReentrancyMark(usize);

impl ReentrancyMark {
    fn enter(id: usize) -> ReentrancyMark {
        WRITING_ON_THIS_THREAD.with_borrow_mut(|held| {
            assert!(
                !held.contains(&id),
                "Store write called inside Store::transaction on the same store; use the Txn passed to the closure"
            );
            held.push(id);
        });
        ReentrancyMark(id)
    }
}

impl Drop for ReentrancyMark {
    fn drop(&mut self) {
        let id = self.0;
        WRITING_ON_THIS_THREAD.with_borrow_mut(|held| held.retain(|&h| h != id));
    }
}

impl GroupWriter {
    pub(crate) fn new(conn: Connection, id: usize, cache: Arc<RecordCache>) -> GroupWriter {
        GroupWriter {
            state: Mutex::new(State {
                conn,
                open: false,
                batch: 1,
                finished_through: 0,
                failed: None,
                touched_cache: false,
            }),
            committed: Condvar::new(),
            wanting: AtomicUsize::new(0),
            id,
            commits: std::sync::atomic::AtomicU64::new(0),
            cache,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock happens only inside `f`, which is caught; the connection
        // is consistent (the savepoint was rolled back), so poisoning carries no information.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` in a savepoint of the current batch and returns once the batch is durable.
    pub(crate) fn run<T, E: From<StoreError>>(&self, f: impl FnOnce(&mut Txn) -> Result<T, E>) -> Result<T, E> {
        let _mark = ReentrancyMark::enter(self.id);
        self.wanting.fetch_add(1, Ordering::SeqCst);
        let mut state = self.lock();
        self.wanting.fetch_sub(1, Ordering::SeqCst);

        if !state.open {
            state.conn.execute_batch("BEGIN IMMEDIATE").map_err(StoreError::from)?;
            state.open = true;
        }
        let outcome = {
            let conn = &state.conn;
            conn.execute_batch("SAVEPOINT nimbus_write").map_err(StoreError::from)?;
            let mut txn = Txn::new(conn);
            let outcome = catch_unwind(AssertUnwindSafe(|| f(&mut txn)));
            let wrote_cached = txn.wrote_cached.get();
            let undo = !matches!(outcome, Ok(Ok(_)));
            let end = if undo {
                "ROLLBACK TO nimbus_write; RELEASE nimbus_write"
            } else {
                "RELEASE nimbus_write"
            };
            if let Err(e) = conn.execute_batch(end) {
                // The savepoint could not be closed: the whole batch is suspect, so abandon it.
                // Writers already waiting on it see the failure.
                let message = format!("could not close a write savepoint: {e}");
                let batch = state.batch;
                self.abandon(&mut state, batch, message.clone());
                self.committed.notify_all();
                return Err(StoreError::Commit(message).into());
            }
            state.touched_cache |= wrote_cached;
            outcome
        };
        let my_batch = state.batch;
        let succeeded = matches!(outcome, Ok(Ok(_)));

        if self.wanting.load(Ordering::SeqCst) == 0 {
            // Last member of the batch: commit it for everyone.
            let commit = state.conn.execute_batch("COMMIT");
            match commit {
                Ok(()) => {
                    self.commits.fetch_add(1, Ordering::Relaxed);
                    self.settle_cache(&mut state);
                    state.open = false;
                    state.finished_through = my_batch;
                    state.batch += 1;
                }
                Err(e) => self.abandon(&mut state, my_batch, format!("commit failed: {e}")),
            }
            self.committed.notify_all();
        } else if succeeded {
            // Someone queued behind us commits; wait for it. (A writer whose own work was undone
            // has nothing to wait for.)
            while state.finished_through < my_batch {
                state = self.committed.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
        }
        let commit_error = state
            .failed
            .as_ref()
            .filter(|(batch, _)| *batch == my_batch)
            .map(|(_, message)| message.clone());
        drop(state);

        match outcome {
            Err(panic) => resume_unwind(panic),
            Ok(Err(e)) => Err(e),
            Ok(Ok(value)) => match commit_error {
                Some(message) => Err(StoreError::Commit(message).into()),
                None => Ok(value),
            },
        }
    }

    /// Batches committed since the store opened.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Empties the read cache if the batch just ended wrote a cached kind.
    fn settle_cache(&self, state: &mut State) {
        if std::mem::take(&mut state.touched_cache) {
            self.cache.clear();
        }
    }

    /// Rolls the open batch back and marks it finished with an error.
    fn abandon(&self, state: &mut State, batch: u64, message: String) {
        let _ = state.conn.execute_batch("ROLLBACK");
        // Nothing of the batch landed, so the cache is still right; this only resets the flag
        // for the next batch (an extra clear costs a refill, never correctness).
        self.settle_cache(state);
        state.open = false;
        state.failed = Some((batch, message));
        state.finished_through = batch;
        state.batch += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> (tempfile::TempDir, Arc<GroupWriter>) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("t.sqlite3")).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);").unwrap();
        (dir, Arc::new(GroupWriter::new(conn, 1, Arc::default())))
    }

    fn count(w: &GroupWriter) -> i64 {
        w.lock().conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn concurrent_writers_all_commit_and_a_failure_undoes_only_its_own_writes() {
        let (_dir, w) = writer();
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let w = w.clone();
                std::thread::spawn(move || {
                    for j in 0..50 {
                        let key = i * 1000 + j;
                        let result: Result<(), StoreError> = w.run(|t| {
                            t.conn.execute("INSERT INTO t (k, v) VALUES (?1, 'x')", [key])?;
                            if j % 10 == 0 { Err(StoreError::Commit("deliberate".into())) } else { Ok(()) }
                        });
                        assert_eq!(result.is_err(), j % 10 == 0);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // 5 of each thread's 50 writes failed and were undone.
        assert_eq!(count(&w), 16 * 45);
        assert!(!w.lock().open, "the last batch was committed");
    }

    #[test]
    fn a_panicking_writer_is_undone_and_the_writer_stays_usable() {
        let (_dir, w) = writer();
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            let _: Result<(), StoreError> = w.run(|t| {
                t.conn.execute("INSERT INTO t (k, v) VALUES (1, 'x')", []).unwrap();
                panic!("deliberate");
            });
        }));
        assert!(panicked.is_err());
        let ok: Result<(), StoreError> = w.run(|t| {
            t.conn.execute("INSERT INTO t (k, v) VALUES (2, 'y')", [])?;
            Ok(())
        });
        ok.unwrap();
        assert_eq!(count(&w), 1);
    }

    #[test]
    #[should_panic(expected = "inside Store::transaction")]
    fn writing_from_inside_a_transaction_panics_instead_of_deadlocking() {
        let (_dir, w) = writer();
        let inner = w.clone();
        let _: Result<(), StoreError> = w.run(|_| inner.run(|_| Ok::<(), StoreError>(())));
    }
}
