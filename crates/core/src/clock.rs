//! Nimbus's clock: wall time plus an offset that tests can move forward.
//!
//! Everything with a deadline (secret recovery windows, credential expiry, presigned URL expiry,
//! visibility timeouts) reads this clock, so `POST /_nimbus/clock` can make days pass at once.
//! Signature clock-skew checks read the wall clock instead: SDKs sign with real time, and a moved
//! Nimbus clock must not make every signed request look skewed.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use time::OffsetDateTime;

#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

#[derive(Debug)]
struct ClockInner {
    /// Milliseconds added to the base time.
    offset_ms: AtomicI64,
    /// `None`: the base is the system's wall clock. `Some`: a fixed base (tests).
    fixed_base_ms: Option<i64>,
}

impl Clock {
    /// Wall time, with no offset.
    pub fn system() -> Self {
        Self::with(None, 0)
    }

    /// A clock frozen at `at` until advanced: for deterministic unit tests.
    pub fn fixed(at: OffsetDateTime) -> Self {
        Self::with(Some((at.unix_timestamp_nanos() / 1_000_000) as i64), 0)
    }

    fn with(fixed_base_ms: Option<i64>, offset_ms: i64) -> Self {
        Clock { inner: Arc::new(ClockInner { offset_ms: AtomicI64::new(offset_ms), fixed_base_ms }) }
    }

    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(self.now_millis() as i128 * 1_000_000)
            .expect("clock within OffsetDateTime's range")
    }

    pub fn now_millis(&self) -> i64 {
        let base = self.inner.fixed_base_ms.unwrap_or_else(wall_millis);
        base + self.inner.offset_ms.load(Ordering::Relaxed)
    }

    /// Moves the clock forward (never back: time that has passed stays passed).
    pub fn advance(&self, by: Duration) {
        self.inner.offset_ms.fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }

    pub fn offset_millis(&self) -> i64 {
        self.inner.offset_ms.load(Ordering::Relaxed)
    }

    /// Restores a persisted offset at start-up.
    pub fn set_offset_millis(&self, offset: i64) {
        self.inner.offset_ms.store(offset.max(0), Ordering::Relaxed);
    }
}

/// The machine's real time, for the checks that must ignore Nimbus's offset.
pub fn wall_now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Wall-clock microseconds since the epoch: a floor for sequence numbers that must keep growing
/// across restarts (Nimbus's clock can be moved, so it is no such floor).
pub fn wall_micros() -> u64 {
    (wall_now().unix_timestamp_nanos() / 1000) as u64
}

fn wall_millis() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_advanced() {
        let start = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let clock = Clock::fixed(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(86_400));
        assert_eq!(clock.now(), start + time::Duration::days(1));
        assert_eq!(clock.offset_millis(), 86_400_000);
    }

    #[test]
    fn system_clock_tracks_wall_time_plus_offset() {
        let clock = Clock::system();
        clock.set_offset_millis(3_600_000);
        let drift = clock.now_millis() - wall_millis() - 3_600_000;
        assert!(drift.abs() < 1_000, "drift {drift} ms");
    }
}
