//! The [`Recorder`]: CloudTrail's [`AuditSink`], fed by the server on every call.
//!
//! Requests only push into a bounded in-memory queue (a full queue drops the call, counts it and
//! logs a warning: recording never blocks a request). One writer thread turns the queue into
//! records and writes each batch in one store transaction: management events into event
//! history, every event a logging trail selects into that trail's pending log file. A batch is
//! written 200 ms after its first call, or at once when 1,000 are queued. An event is durable
//! once its batch commits (within about a second), not before the call's answer; AWS itself
//! delivers events minutes after the call. [`Recorder::flush`] writes what is queued now
//! (LookupEvents, the sweeper and shutdown call it).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use nimbus_core::{ApiCall, AuditSink, Interest};
use nimbus_store::{Store, StoreError};

use crate::classify::{Category, classify};
use crate::record::{self, Event, Facts};
use crate::selectors::Selectors;

/// Calls queued at most; beyond, calls are dropped.
const QUEUE_CAPACITY: usize = 100_000;
/// A batch is written once this many calls are queued...
const BATCH_SIZE: usize = 1_000;
/// ...or this long after its first call was queued.
const BATCH_DELAY: Duration = Duration::from_millis(200);
/// How long the writer sleeps on an empty queue before checking whether it should stop.
const IDLE_WAIT: Duration = Duration::from_secs(1);

/// A logging trail, as the writer matches events against it.
#[derive(Debug, Clone)]
pub struct ActiveTrail {
    pub account: String,
    pub home_region: String,
    /// The trail's unique id: its pending log file lives under it.
    pub id: String,
    pub multi_region: bool,
    pub include_global: bool,
    pub selectors: Selectors,
}

impl ActiveTrail {
    /// Whether this trail logs the event: same account, its region (or every region), global
    /// service events only if it includes them, and one of its selectors matches.
    pub fn logs(&self, event: &Event, facts: &Facts) -> bool {
        self.account == facts.account_id
            && (self.multi_region || event.region == self.home_region)
            && (!facts.global || self.include_global)
            && self.selectors.matches(event, facts)
    }
}

/// The logging trails, kept in memory for the writer, and which data event types any of them
/// selects (the hot path's check).
#[derive(Default)]
pub struct TrailIndex {
    logging: RwLock<Arc<Vec<ActiveTrail>>>,
    data_mask: AtomicU32,
}

impl TrailIndex {
    pub fn set(&self, trails: Vec<ActiveTrail>) {
        let mask = trails.iter().fold(0, |m, t| m | t.selectors.data_mask());
        *self.logging.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(trails);
        self.data_mask.store(mask, Ordering::Release);
    }

    pub fn logging(&self) -> Arc<Vec<ActiveTrail>> {
        self.logging.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn wants_data(&self, bit: u32) -> bool {
        self.data_mask.load(Ordering::Acquire) & bit != 0
    }
}

/// CloudTrail's audit sink. Cheap to clone.
#[derive(Clone)]
pub struct Recorder {
    shared: Arc<Shared>,
}

struct Shared {
    store: Store,
    trails: Arc<TrailIndex>,
    queue: Mutex<Vec<ApiCall>>,
    /// Calls queued at most ([`QUEUE_CAPACITY`]; smaller in tests).
    capacity: usize,
    wake: Condvar,
    /// Held while a batch is converted and committed, so a flush returns only after everything
    /// queued before it is durable.
    writing: Mutex<()>,
    dropped: AtomicU64,
    /// The next event's sequence number: starts at the wall clock's microseconds, so it keeps
    /// growing across restarts.
    next_seq: AtomicU64,
    /// Accounts and regions known to have a history marker (`history::HistoryScope`).
    scopes: Mutex<HashSet<String>>,
}

impl Recorder {
    /// A recorder writing into `store`, and its writer thread (which ends once the recorder is
    /// dropped).
    pub fn new(store: Store, trails: Arc<TrailIndex>) -> Recorder {
        let recorder = Recorder::unstarted(store, trails, QUEUE_CAPACITY);
        let weak = Arc::downgrade(&recorder.shared);
        let spawned = std::thread::Builder::new().name("cloudtrail-writer".into()).spawn(move || writer(weak));
        if let Err(e) = spawned {
            tracing::error!("cloudtrail: could not start the writer thread ({e}); events are written only when flushed");
        }
        recorder
    }

    /// A recorder without its writer thread: calls are written only by [`Recorder::flush`].
    fn unstarted(store: Store, trails: Arc<TrailIndex>, capacity: usize) -> Recorder {
        let shared = Arc::new(Shared {
            store,
            trails,
            queue: Mutex::new(Vec::new()),
            capacity,
            wake: Condvar::new(),
            writing: Mutex::new(()),
            dropped: AtomicU64::new(0),
            next_seq: AtomicU64::new(nimbus_core::clock::wall_micros()),
            scopes: Mutex::default(),
        });
        Recorder { shared }
    }

    #[cfg(test)]
    pub(crate) fn for_tests(store: Store, capacity: usize) -> Recorder {
        Recorder::unstarted(store, Arc::default(), capacity)
    }

    /// Writes everything queued now and returns once it is committed. Blocking: call it from a
    /// blocking context.
    pub fn flush(&self) {
        self.shared.write_queued();
    }

    /// Calls dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl AuditSink for Recorder {
    fn interest(&self, service: &str, operation: &str) -> Interest {
        let class = classify(service, operation);
        if let Category::Data(data_type) = class.category
            && !self.shared.trails.wants_data(data_type.bit())
        {
            return Interest::Skip;
        }
        if class.read_only { Interest::Request } else { Interest::RequestAndResponse }
    }

    fn record(&self, call: ApiCall) {
        let mut queue = self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.len() >= self.shared.capacity {
            drop(queue);
            let dropped = self.shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "cloudtrail: the event queue is full; events are being dropped");
            }
            return;
        }
        queue.push(call);
        // Wake the writer for a new batch, or early for a full one.
        if queue.len() == 1 || queue.len() == BATCH_SIZE {
            self.shared.wake.notify_one();
        }
    }
}

/// The writer thread: waits for a batch, writes it; stops when the recorder is gone.
fn writer(shared: Weak<Shared>) {
    loop {
        let Some(shared) = shared.upgrade() else { return };
        if shared.wait_for_batch() {
            shared.write_queued();
        }
    }
}

impl Shared {
    /// Waits (at most about a second) for calls, then for the batch to fill or its delay to pass.
    fn wait_for_batch(&self) -> bool {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.is_empty() {
            queue = self.wake.wait_timeout(queue, IDLE_WAIT).unwrap_or_else(PoisonError::into_inner).0;
            if queue.is_empty() {
                return false;
            }
        }
        let deadline = Instant::now() + BATCH_DELAY;
        while queue.len() < BATCH_SIZE {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            queue = self.wake.wait_timeout(queue, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
        true
    }

    fn write_queued(&self) {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let batch = std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        if batch.is_empty() {
            return;
        }
        let count = batch.len();
        let first = self.next_seq.fetch_add(count as u64, Ordering::Relaxed);
        let events: Vec<(Event, Facts)> =
            batch.into_iter().zip(first..).map(|(call, seq)| record::build(call, nimbus_core::ids::uuid(), seq)).collect();
        let trails = self.trails.logging();
        let new_scopes: Vec<String> = {
            let known = self.scopes.lock().unwrap_or_else(PoisonError::into_inner);
            let mut new: Vec<String> = events
                .iter()
                .filter(|(_, f)| f.class.is_management())
                .map(|(e, f)| format!("{}/{}", f.account_id, e.region))
                .filter(|scope| !known.contains(scope))
                .collect();
            new.sort();
            new.dedup();
            new
        };
        let written = self.store.transaction(|t| {
            for (event, facts) in &events {
                if facts.class.is_management() {
                    let scope = format!("{}/{}", facts.account_id, event.region);
                    crate::history::insert(t, &facts.account_id, event, new_scopes.contains(&scope))?;
                }
                for trail in trails.iter().filter(|trail| trail.logs(event, facts)) {
                    crate::delivery::queue(t, &trail.id, event)?;
                }
            }
            Ok::<_, StoreError>(())
        });
        match written {
            Ok(()) => self.scopes.lock().unwrap_or_else(PoisonError::into_inner).extend(new_scopes),
            Err(e) => tracing::error!("cloudtrail: {count} events could not be written: {e}"),
        }
    }
}
