//! One queue's live state: its messages in memory (the store holds the durable copy), who is
//! in flight, FIFO groups and deduplication. Everything here is synchronous and clock-free (the
//! caller passes `now`), so it is tested directly.
//!
//! Every message sits in `by_visibility` under the time it is next visible: delayed messages
//! under the end of their delay, in-flight ones under the end of their visibility timeout. A
//! standard receive walks that index from its start; a FIFO receive walks messages in sequence
//! order and skips groups that have a message in flight (group locking).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::attributes::Settings;
use crate::records::{MessageRecord, QueueRecord, ReceiveState};

/// FIFO deduplication window.
pub const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;
/// How long a FIFO ReceiveRequestAttemptId replays its answer.
pub const ATTEMPT_WINDOW_MS: i64 = 5 * 60 * 1000;

pub struct Queue {
    pub account: String,
    pub region: String,
    pub name: String,
    /// The incarnation id (QueueRecord::id), also the store scope of the queue's messages.
    pub id: String,
    pub arn: String,
    state: Mutex<State>,
    /// Woken when a message arrives or the clock moves: long polls wait on it.
    pub arrivals: Notify,
    /// FIFO sends hold this across their commit, so sequence numbers reach the queue in order.
    pub send_order: tokio::sync::Mutex<()>,
    /// Counters for the standard CloudWatch metrics.
    pub activity: crate::activity::Activity,
}

impl Queue {
    pub fn new(account: &str, region: &str, record: QueueRecord) -> Queue {
        let settings = Settings::from_attributes(&record.attributes);
        Queue {
            account: account.to_owned(),
            region: region.to_owned(),
            name: record.name.clone(),
            id: record.id.clone(),
            arn: crate::names::queue_arn(region, account, &record.name),
            state: Mutex::new(State {
                record,
                settings,
                deleted: false,
                messages: BTreeMap::new(),
                by_visibility: BTreeSet::new(),
                dedup: HashMap::new(),
                attempts: HashMap::new(),
                last_seq: 0,
            }),
            arrivals: Notify::new(),
            send_order: tokio::sync::Mutex::new(()),
            activity: Default::default(),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state as consistent as each step makes it;
        // serving on is better than failing every later request on this queue.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A message in the queue.
#[derive(Debug, Clone)]
pub struct Live {
    pub record: Arc<MessageRecord>,
    pub visible_at_ms: i64,
    pub receive_count: u32,
    pub first_receive_ms: Option<i64>,
    pub received_at_ms: i64,
    pub token: u64,
}

impl Live {
    pub fn in_flight(&self, now: i64) -> bool {
        self.receive_count > self.record.prior_receives && self.visible_at_ms > now
    }

    pub fn receive_state(&self) -> ReceiveState {
        ReceiveState {
            visible_at_ms: self.visible_at_ms,
            receive_count: self.receive_count,
            first_receive_ms: self.first_receive_ms.unwrap_or(self.received_at_ms),
            received_at_ms: self.received_at_ms,
            token: self.token,
        }
    }
}

/// What one receive took out of the queue's visible messages.
#[derive(Debug, Default)]
pub struct Taken {
    /// Delivered messages, now in flight, with their new receive state.
    pub delivered: Vec<Live>,
    /// Messages past maxReceiveCount, removed here for the dead-letter queue.
    pub dead: Vec<Live>,
    /// Messages past the retention period, removed.
    pub expired: Vec<u64>,
}

pub enum Removal {
    Removed,
    /// The handle is not the message's latest: AWS answers success and keeps the message.
    Stale,
    Gone,
}

struct Dedup {
    message_id: String,
    seq: u64,
    expires_ms: i64,
}

struct Attempt {
    /// (seq, token) of each message the attempt received.
    received: Vec<(u64, u64)>,
    expires_ms: i64,
}

pub struct State {
    pub record: QueueRecord,
    pub settings: Settings,
    /// Set when the queue is deleted: holders of the Arc must not use it any more.
    pub deleted: bool,
    messages: BTreeMap<u64, Live>,
    by_visibility: BTreeSet<(i64, u64)>,
    dedup: HashMap<String, Dedup>,
    attempts: HashMap<String, Attempt>,
    last_seq: u64,
}

impl State {
    /// The next sequence number: increasing, and above any used before a restart (it starts
    /// from wall-clock microseconds, which only grow between runs).
    pub fn next_seq(&mut self, wall_micros: u64) -> u64 {
        self.last_seq = (self.last_seq + 1).max(wall_micros);
        self.last_seq
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Adds a message (on send, on load, or as a dead letter).
    pub fn insert(&mut self, record: Arc<MessageRecord>, receive: Option<ReceiveState>) {
        let seq = record.seq;
        self.last_seq = self.last_seq.max(seq);
        let live = match receive {
            Some(r) => Live {
                visible_at_ms: r.visible_at_ms,
                receive_count: r.receive_count,
                first_receive_ms: Some(r.first_receive_ms),
                received_at_ms: r.received_at_ms,
                token: r.token,
                record,
            },
            None => Live {
                visible_at_ms: record.available_at_ms,
                receive_count: record.prior_receives,
                first_receive_ms: None,
                received_at_ms: 0,
                token: 0,
                record,
            },
        };
        self.by_visibility.insert((live.visible_at_ms, seq));
        if let Some(old) = self.messages.insert(seq, live) {
            self.by_visibility.remove(&(old.visible_at_ms, seq));
        }
    }

    fn unlink(&mut self, seq: u64) -> Option<Live> {
        let live = self.messages.remove(&seq)?;
        self.by_visibility.remove(&(live.visible_at_ms, seq));
        Some(live)
    }

    fn expired(&self, live: &Live, now: i64) -> bool {
        live.record.sent_at_ms + self.settings.retention_seconds * 1000 <= now
    }

    /// Takes up to `max` visible messages, making them in flight for `visibility_ms`.
    /// Messages past the retention period are dropped and those past the redrive policy's
    /// maxReceiveCount are handed back as dead letters instead of being delivered.
    pub fn take(&mut self, now: i64, max: usize, visibility_ms: i64, mut token: impl FnMut() -> u64) -> Taken {
        let mut taken = Taken::default();
        let max_receives = self.settings.redrive.as_ref().map(|r| r.max_receive_count);
        // Delivered messages go back into the index only at the end, so no pass meets them
        // again; dead and expired ones leave it, so every pass makes progress.
        loop {
            let wanted = max - taken.delivered.len();
            let candidates = if self.settings.fifo {
                self.fifo_candidates(now, wanted, max_receives)
            } else {
                self.standard_candidates(now, wanted)
            };
            if candidates.is_empty() {
                break;
            }
            for seq in candidates {
                let Some(live) = self.messages.get(&seq) else { continue };
                if self.expired(live, now) {
                    self.unlink(seq);
                    taken.expired.push(seq);
                    continue;
                }
                if max_receives.is_some_and(|m| live.receive_count >= m) {
                    taken.dead.extend(self.unlink(seq));
                    continue;
                }
                let mut live = self.unlink(seq).expect("just looked up");
                live.receive_count += 1;
                live.first_receive_ms.get_or_insert(now);
                live.received_at_ms = now;
                live.visible_at_ms = now + visibility_ms;
                live.token = token();
                taken.delivered.push(live);
            }
            if taken.delivered.len() >= max || self.settings.fifo {
                break;
            }
        }
        for live in &taken.delivered {
            self.by_visibility.insert((live.visible_at_ms, live.record.seq));
            self.messages.insert(live.record.seq, live.clone());
        }
        taken
    }

    /// Up to `wanted` visible messages of a standard queue, longest visible first.
    fn standard_candidates(&self, now: i64, wanted: usize) -> Vec<u64> {
        self.by_visibility.iter().take_while(|(at, _)| *at <= now).take(wanted).map(|(_, seq)| *seq).collect()
    }

    /// The messages a FIFO receive may deliver, in order: per group, the messages from the
    /// group's head on, for groups with nothing in flight; a delayed head holds its group back.
    /// A head past maxReceiveCount is a dead letter and the next message becomes the head.
    fn fifo_candidates(&self, now: i64, max: usize, max_receives: Option<u32>) -> Vec<u64> {
        let mut blocked: HashSet<&str> = HashSet::new();
        let mut out = Vec::new();
        let mut deliverable = 0;
        for (seq, live) in &self.messages {
            let group = live.record.group_id.as_deref().unwrap_or_default();
            if blocked.contains(group) {
                continue;
            }
            if live.visible_at_ms > now {
                blocked.insert(group);
                continue;
            }
            out.push(*seq);
            let dead = max_receives.is_some_and(|m| live.receive_count >= m) || self.expired(live, now);
            if !dead {
                deliverable += 1;
                if deliverable >= max {
                    break;
                }
            }
        }
        out
    }

    /// Removes a received message if `token` is its latest receipt.
    pub fn remove(&mut self, seq: u64, token: u64) -> Removal {
        match self.messages.get(&seq) {
            None => Removal::Gone,
            // Token 0: never received from this queue (a dead letter arrives with its count).
            Some(live) if live.token != token || live.token == 0 => Removal::Stale,
            Some(_) => {
                self.unlink(seq);
                Removal::Removed
            }
        }
    }

    /// Sets when a received message becomes visible again.
    pub fn change_visibility(&mut self, seq: u64, token: u64, visible_at_ms: i64, now: i64) -> Result<ReceiveState, VisibilityError> {
        let live = self.messages.get(&seq).filter(|l| l.token == token && l.token != 0).ok_or(VisibilityError::NoSuchReceipt)?;
        if !live.in_flight(now) {
            return Err(VisibilityError::NotInFlight);
        }
        // AWS caps the total at 12 hours from the receive.
        if visible_at_ms > live.received_at_ms + 43_200_000 {
            return Err(VisibilityError::BeyondMaximum);
        }
        let mut live = self.unlink(seq).expect("just looked up");
        live.visible_at_ms = visible_at_ms;
        let state = live.receive_state();
        self.by_visibility.insert((visible_at_ms, seq));
        self.messages.insert(seq, live);
        Ok(state)
    }

    /// Every message's sequence number (purge, delete).
    pub fn drain(&mut self) -> Vec<u64> {
        self.by_visibility.clear();
        let seqs = self.messages.keys().copied().collect();
        self.messages.clear();
        self.attempts.clear();
        seqs
    }

    /// Drops messages past the retention period, and forgets deduplication ids and receive
    /// attempts past their windows; returns the dropped messages' and dedup keys.
    pub fn expire(&mut self, now: i64) -> (Vec<u64>, Vec<String>) {
        let retention_ms = self.settings.retention_seconds * 1000;
        let old: Vec<u64> = self.messages.values().filter(|l| l.record.sent_at_ms + retention_ms <= now).map(|l| l.record.seq).collect();
        for seq in &old {
            self.unlink(*seq);
        }
        let stale_dedup: Vec<String> = self.dedup.iter().filter(|(_, d)| d.expires_ms <= now).map(|(k, _)| k.clone()).collect();
        for key in &stale_dedup {
            self.dedup.remove(key);
        }
        self.attempts.retain(|_, a| a.expires_ms > now);
        (old, stale_dedup)
    }

    /// (visible, in flight, delayed), not counting messages past retention.
    pub fn counts(&self, now: i64) -> (usize, usize, usize) {
        let (mut visible, mut in_flight, mut delayed) = (0, 0, 0);
        for live in self.messages.values() {
            if self.expired(live, now) {
                continue;
            }
            if live.visible_at_ms <= now {
                visible += 1;
            } else if live.in_flight(now) {
                in_flight += 1;
            } else {
                delayed += 1;
            }
        }
        (visible, in_flight, delayed)
    }

    /// When the oldest message still in the queue (not past retention) was sent.
    pub fn oldest_sent_ms(&self, now: i64) -> Option<i64> {
        self.messages.values().filter(|live| !self.expired(live, now)).map(|live| live.record.sent_at_ms).min()
    }

    /// When the earliest message not yet visible becomes visible.
    pub fn next_visible_after(&self, now: i64) -> Option<i64> {
        self.by_visibility.range((now + 1, 0)..).next().map(|(at, _)| *at)
    }

    // ---- FIFO deduplication and receive attempts ----

    /// The message an unexpired deduplication key already sent, if any.
    pub fn duplicate_of(&self, key: &str, now: i64) -> Option<(String, u64)> {
        self.dedup.get(key).filter(|d| d.expires_ms > now).map(|d| (d.message_id.clone(), d.seq))
    }

    pub fn remember_dedup(&mut self, key: String, message_id: String, seq: u64, expires_ms: i64) {
        self.dedup.insert(key, Dedup { message_id, seq, expires_ms });
    }

    pub fn forget_dedup(&mut self, key: &str) {
        self.dedup.remove(key);
    }

    /// Removes up to `max` visible messages for a move task (redrive from a dead-letter queue).
    pub fn take_for_move(&mut self, now: i64, max: usize) -> Vec<Live> {
        let seqs: Vec<u64> = self.by_visibility.iter().take_while(|(at, _)| *at <= now).take(max).map(|(_, seq)| *seq).collect();
        seqs.into_iter().filter_map(|seq| self.unlink(seq)).collect()
    }

    /// The messages an earlier receive with this attempt id got, if all are still in flight
    /// under the same receipts (then the same answer is given again).
    pub fn replay_attempt(&self, attempt: &str, now: i64) -> Option<Vec<Live>> {
        let a = self.attempts.get(attempt).filter(|a| a.expires_ms > now)?;
        a.received
            .iter()
            .map(|(seq, token)| self.messages.get(seq).filter(|l| l.token == *token && l.in_flight(now)).cloned())
            .collect()
    }

    pub fn remember_attempt(&mut self, attempt: String, delivered: &[Live], now: i64) {
        let received = delivered.iter().map(|l| (l.record.seq, l.token)).collect();
        self.attempts.insert(attempt, Attempt { received, expires_ms: now + ATTEMPT_WINDOW_MS });
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum VisibilityError {
    NoSuchReceipt,
    NotInFlight,
    BeyondMaximum,
}

#[cfg(test)]
mod tests;
