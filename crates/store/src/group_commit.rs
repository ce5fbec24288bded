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
//!
//! Async callers ([`GroupWriter::submit`]) do not park a thread each: their closures queue up and
//! one writer thread per store (started on first use) takes everything queued so far, runs each
//! closure in its own savepoint like a blocking writer would, joins the same commit protocol, and
//! then hands every caller its result through a oneshot channel. Under load a request then costs
//! one queue push and one task wake-up instead of a blocking-pool hand-off, a turn on the mutex
//! and a condition-variable wake-up each: on 2 cores that was most of the context switches of an
//! SQS send (BENCHMARKS.md).

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use futures::channel::oneshot;
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
    /// Closures of async callers waiting for the writer thread.
    queued: Arc<WriteQueue>,
}

/// What async callers hand the writer thread (see the module docs).
#[derive(Default)]
struct WriteQueue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

#[derive(Default)]
struct QueueState {
    writes: Vec<Box<dyn QueuedWrite>>,
    thread_started: bool,
    /// The GroupWriter is gone: the thread finishes what is queued (with an error) and exits.
    closed: bool,
}

/// The outcome an async caller receives: its closure's result, or the panic it raised (resumed
/// in the caller, as a blocking writer's panic is).
pub(crate) type WriteOutcome<T, E> = std::thread::Result<Result<T, E>>;

/// A queued closure, type-erased so one queue carries every caller's result type.
trait QueuedWrite: Send {
    /// Runs the closure inside its savepoint; whether it succeeded (its writes are kept).
    fn run(&mut self, txn: &mut Txn) -> bool;
    /// Hands the caller its result once the batch is durable, or failed with `commit_error`.
    fn finish(self: Box<Self>, commit_error: Option<&str>);
}

struct Queued<F, T, E> {
    write: Option<F>,
    outcome: Option<WriteOutcome<T, E>>,
    reply: oneshot::Sender<WriteOutcome<T, E>>,
}

impl<F, T, E> QueuedWrite for Queued<F, T, E>
where
    F: FnOnce(&mut Txn) -> Result<T, E> + Send,
    T: Send,
    E: From<StoreError> + Send,
{
    fn run(&mut self, txn: &mut Txn) -> bool {
        let Some(write) = self.write.take() else { return false };
        let outcome = catch_unwind(AssertUnwindSafe(|| write(txn)));
        let succeeded = matches!(outcome, Ok(Ok(_)));
        self.outcome = Some(outcome);
        succeeded
    }

    fn finish(self: Box<Self>, commit_error: Option<&str>) {
        let Queued { outcome, reply, .. } = *self;
        let outcome = match (outcome, commit_error) {
            (Some(Ok(Ok(_))), Some(message)) => Ok(Err(StoreError::Commit(message.to_owned()).into())),
            (Some(outcome), _) => outcome,
            (None, message) => Ok(Err(StoreError::Commit(message.unwrap_or("the write never ran").to_owned()).into())),
        };
        // The caller may have stopped waiting (its request was dropped); the write stands anyway.
        let _ = reply.send(outcome);
    }
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
    /// Cache keys of the keyed-cached records the open batch wrote.
    evicted: Vec<String>,
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
                evicted: Vec::new(),
            }),
            committed: Condvar::new(),
            wanting: AtomicUsize::new(0),
            id,
            commits: std::sync::atomic::AtomicU64::new(0),
            cache,
            queued: Arc::default(),
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
        let mut state = self.join_batch().map_err(|message| E::from(StoreError::Commit(message)))?;
        let mut outcome = None;
        let closed = self.in_savepoint(&mut state, |txn| {
            let result = catch_unwind(AssertUnwindSafe(|| f(txn)));
            let succeeded = matches!(result, Ok(Ok(_)));
            outcome = Some(result);
            succeeded
        });
        let outcome = match closed {
            Ok(_) => outcome.expect("the savepoint ran the closure"),
            Err(message) => return Err(StoreError::Commit(message).into()),
        };
        let my_batch = state.batch;
        let commit_error = if matches!(outcome, Ok(Ok(_))) || self.wanting.load(Ordering::SeqCst) == 0 {
            self.settle_batch(state, my_batch)
        } else {
            // A writer whose own work was undone has nothing to wait for; someone queued behind
            // it commits the batch.
            None
        };

        match outcome {
            Err(panic) => resume_unwind(panic),
            Ok(Err(e)) => Err(e),
            Ok(Ok(value)) => match commit_error {
                Some(message) => Err(StoreError::Commit(message).into()),
                None => Ok(value),
            },
        }
    }

    /// Queues `f` for the writer thread (started on first use); the receiver gets its outcome
    /// once the batch holding its writes is durable. See the module docs.
    pub(crate) fn submit<F, T, E>(self: &Arc<Self>, f: F) -> oneshot::Receiver<WriteOutcome<T, E>>
    where
        F: FnOnce(&mut Txn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        let write = Box::new(Queued { write: Some(f), outcome: None, reply });
        let mut queue = self.queued.state.lock().unwrap_or_else(PoisonError::into_inner);
        queue.writes.push(write);
        if !queue.thread_started {
            queue.thread_started = true;
            let writer = Arc::downgrade(self);
            let queued = self.queued.clone();
            let spawned = std::thread::Builder::new()
                .name("nimbus-store-writer".into())
                .spawn(move || write_queued_forever(&writer, &queued));
            if let Err(e) = spawned {
                // Without the thread nothing would ever answer: fail what is queued now; the
                // next submit tries again.
                queue.thread_started = false;
                let message = format!("could not start the store's writer thread: {e}");
                for write in std::mem::take(&mut queue.writes) {
                    write.finish(Some(&message));
                }
                return receiver;
            }
        }
        drop(queue);
        self.queued.ready.notify_one();
        receiver
    }

    /// Runs queued writes as members of the current batch, then answers each once the batch is
    /// durable (or failed).
    fn run_queued(&self, mut writes: Vec<Box<dyn QueuedWrite>>) {
        let _mark = ReentrancyMark::enter(self.id);
        let mut state = match self.join_batch() {
            Ok(state) => state,
            Err(message) => return finish_all(writes, &message),
        };
        for write in &mut writes {
            if let Err(message) = self.in_savepoint(&mut state, |txn| write.run(txn)) {
                return finish_all(writes, &message);
            }
        }
        let my_batch = state.batch;
        let commit_error = self.settle_batch(state, my_batch);
        for write in writes {
            write.finish(commit_error.as_deref());
        }
    }

    /// Takes the connection for the current batch, opening the batch's transaction if needed.
    fn join_batch(&self) -> Result<MutexGuard<'_, State>, String> {
        self.wanting.fetch_add(1, Ordering::SeqCst);
        let mut state = self.lock();
        self.wanting.fetch_sub(1, Ordering::SeqCst);
        if !state.open {
            state.conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| format!("could not begin a write batch: {e}"))?;
            state.open = true;
        }
        Ok(state)
    }

    /// Runs `body` inside a savepoint of the open batch; `body` says whether its writes stand
    /// (else they are rolled back). Err if the savepoint could not be opened or closed: then the
    /// whole batch has been abandoned.
    fn in_savepoint(&self, state: &mut MutexGuard<'_, State>, body: impl FnOnce(&mut Txn) -> bool) -> Result<bool, String> {
        let fail = |state: &mut MutexGuard<'_, State>, message: String| {
            let batch = state.batch;
            self.abandon(state, batch, message.clone());
            self.committed.notify_all();
            Err(message)
        };
        if let Err(e) = state.conn.execute_batch("SAVEPOINT nimbus_write") {
            return fail(state, format!("could not open a write savepoint: {e}"));
        }
        let (keep, wrote_cached, evicted) = {
            let mut txn = Txn::new(&state.conn);
            let keep = body(&mut txn);
            (keep, txn.wrote_cached.get(), txn.evicted.take())
        };
        let end = if keep { "RELEASE nimbus_write" } else { "ROLLBACK TO nimbus_write; RELEASE nimbus_write" };
        if let Err(e) = state.conn.execute_batch(end) {
            // The savepoint could not be closed: the whole batch is suspect, so abandon it.
            // Writers already waiting on it see the failure.
            return fail(state, format!("could not close a write savepoint: {e}"));
        }
        state.touched_cache |= wrote_cached;
        if keep {
            state.evicted.extend(evicted);
        }
        Ok(keep)
    }

    /// After a member's savepoint: the last member commits the batch for everyone, the others
    /// wait for that commit. The batch's commit error, if it failed.
    fn settle_batch(&self, mut state: MutexGuard<'_, State>, my_batch: u64) -> Option<String> {
        if self.wanting.load(Ordering::SeqCst) == 0 {
            match state.conn.execute_batch("COMMIT") {
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
        } else {
            while state.finished_through < my_batch {
                state = self.committed.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
        }
        state.failed.as_ref().filter(|(batch, _)| *batch == my_batch).map(|(_, message)| message.clone())
    }

    /// Batches committed since the store opened.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Empties the read cache if the batch just ended wrote a cached kind, else evicts the
    /// keyed-cached records it wrote.
    fn settle_cache(&self, state: &mut State) {
        let evicted = std::mem::take(&mut state.evicted);
        if std::mem::take(&mut state.touched_cache) {
            self.cache.clear();
        } else if !evicted.is_empty() {
            self.cache.evict(&evicted);
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

impl Drop for GroupWriter {
    fn drop(&mut self) {
        // Stop the writer thread (it holds only a weak reference, so it cannot keep us alive).
        self.queued.state.lock().unwrap_or_else(PoisonError::into_inner).closed = true;
        self.queued.ready.notify_all();
    }
}

/// The writer thread: waits for queued writes and runs each lot as one batch member, until the
/// GroupWriter is dropped.
fn write_queued_forever(writer: &std::sync::Weak<GroupWriter>, queued: &WriteQueue) {
    loop {
        let writes = {
            let mut queue = queued.state.lock().unwrap_or_else(PoisonError::into_inner);
            while queue.writes.is_empty() && !queue.closed {
                queue = queued.ready.wait(queue).unwrap_or_else(PoisonError::into_inner);
            }
            if queue.writes.is_empty() {
                return;
            }
            std::mem::take(&mut queue.writes)
        };
        match writer.upgrade() {
            Some(writer) => writer.run_queued(writes),
            None => return finish_all(writes, "the store was closed before the write ran"),
        }
    }
}

fn finish_all(writes: Vec<Box<dyn QueuedWrite>>, message: &str) {
    for write in writes {
        write.finish(Some(message));
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

    /// Rows visible to another connection: only what has committed.
    fn committed_rows(dir: &tempfile::TempDir) -> i64 {
        let reader = Connection::open(dir.path().join("t.sqlite3")).unwrap();
        reader.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap()
    }

    fn outcome<T>(receiver: oneshot::Receiver<WriteOutcome<T, StoreError>>) -> Result<T, StoreError> {
        match futures::executor::block_on(receiver).expect("the writer thread answers") {
            Ok(result) => result,
            Err(panic) => resume_unwind(panic),
        }
    }

    #[test]
    fn queued_writes_share_batches_with_blocking_writers_and_answer_after_the_commit() {
        let (dir, w) = writer();
        let queued: Vec<_> = (0..300i64)
            .map(|k| {
                w.submit(move |t: &mut Txn| {
                    t.conn.execute("INSERT INTO t (k, v) VALUES (?1, 'queued')", [k])?;
                    if k % 10 == 0 { Err(StoreError::Commit("deliberate".into())) } else { Ok(k * 2) }
                })
            })
            .collect();
        let blocking = {
            let w = w.clone();
            std::thread::spawn(move || {
                for k in 1000..1100i64 {
                    let done: Result<(), StoreError> = w.run(|t| {
                        t.conn.execute("INSERT INTO t (k, v) VALUES (?1, 'blocking')", [k])?;
                        Ok(())
                    });
                    done.unwrap();
                }
            })
        };
        for (k, receiver) in queued.into_iter().enumerate() {
            let k = k as i64;
            match outcome(receiver) {
                Ok(doubled) => {
                    assert_eq!(doubled, k * 2);
                    // Answered only once durable: another connection already sees the row.
                    let visible: i64 = Connection::open(dir.path().join("t.sqlite3"))
                        .unwrap()
                        .query_row("SELECT count(*) FROM t WHERE k = ?1", [k], |r| r.get(0))
                        .unwrap();
                    assert_eq!(visible, 1, "row {k} answered before its commit");
                }
                Err(e) => assert!(k % 10 == 0 && e.to_string().contains("deliberate"), "{k}: {e}"),
            }
        }
        blocking.join().unwrap();
        assert_eq!(committed_rows(&dir), 270 + 100);
        assert!(w.commits() < 400, "queued writes were batched: {} commits", w.commits());
    }

    #[test]
    fn a_panicking_queued_write_is_undone_and_resumed_in_its_caller() {
        let (dir, w) = writer();
        let panicking = w.submit(|t: &mut Txn| -> Result<(), StoreError> {
            t.conn.execute("INSERT INTO t (k, v) VALUES (1, 'x')", []).unwrap();
            panic!("deliberate queued panic");
        });
        let fine = w.submit(|t: &mut Txn| -> Result<(), StoreError> {
            t.conn.execute("INSERT INTO t (k, v) VALUES (2, 'y')", [])?;
            Ok(())
        });
        let caught = catch_unwind(AssertUnwindSafe(|| outcome(panicking))).unwrap_err();
        assert_eq!(caught.downcast_ref::<&str>(), Some(&"deliberate queued panic"));
        outcome(fine).unwrap();
        assert_eq!(committed_rows(&dir), 1);
    }

    #[test]
    fn a_queued_write_that_writes_through_the_store_again_fails_instead_of_deadlocking() {
        let (_dir, w) = writer();
        let inner = w.clone();
        let nested = w.submit(move |_: &mut Txn| inner.run(|_| Ok::<(), StoreError>(())));
        let caught = catch_unwind(AssertUnwindSafe(|| outcome(nested))).unwrap_err();
        let message = caught.downcast_ref::<&str>().copied().unwrap_or_default();
        assert!(message.contains("inside Store::transaction"), "{message}");
    }

    #[test]
    fn dropping_the_writer_stops_its_thread() {
        let (_dir, w) = writer();
        outcome(w.submit(|_: &mut Txn| Ok::<(), StoreError>(()))).unwrap();
        let queue = w.queued.clone();
        drop(w);
        // The thread holds only the queue and a weak reference; once it has seen `closed` and
        // returned, the queue's last other owner is this test.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while Arc::strong_count(&queue) > 1 {
            assert!(std::time::Instant::now() < deadline, "the writer thread did not exit");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    #[should_panic(expected = "inside Store::transaction")]
    fn writing_from_inside_a_transaction_panics_instead_of_deadlocking() {
        let (_dir, w) = writer();
        let inner = w.clone();
        let _: Result<(), StoreError> = w.run(|_| inner.run(|_| Ok::<(), StoreError>(())));
    }
}
