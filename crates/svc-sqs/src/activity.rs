//! What each queue did since CloudWatch last asked: the counters behind SQS's standard metrics
//! (namespace `AWS/SQS`, dimension `QueueName`), which [`crate::Sqs::standard_metrics`] turns
//! into datapoints once a minute, as AWS publishes them.
//!
//! Counters only ever add; taking a reading swaps them to zero, so a datapoint is the activity
//! of the minute before it. Sizes keep min/max beside the sum so `SentMessageSize` is a full
//! statistic set.

use std::sync::atomic::{AtomicU64, Ordering};

use nimbus_core::{MetricDatum, MetricValue};

use crate::queue::Queue;

#[derive(Debug, Default)]
pub struct Activity {
    sent: AtomicU64,
    sent_bytes: AtomicU64,
    smallest_sent: AtomicU64,
    largest_sent: AtomicU64,
    received: AtomicU64,
    deleted: AtomicU64,
    empty_receives: AtomicU64,
}

impl Activity {
    pub fn sent(&self, body_bytes: usize) {
        let bytes = body_bytes as u64;
        // The minimum starts at zero after a reading, meaning "none yet": store bytes + 1.
        self.smallest_sent.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |m| (m == 0 || bytes + 1 < m).then_some(bytes + 1)).ok();
        self.largest_sent.fetch_max(bytes, Ordering::Relaxed);
        self.sent_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// One ReceiveMessage call that returned `count` messages (none: an empty receive).
    pub fn received(&self, count: usize) {
        if count == 0 {
            self.empty_receives.fetch_add(1, Ordering::Relaxed);
        } else {
            self.received.fetch_add(count as u64, Ordering::Relaxed);
        }
    }

    pub fn deleted(&self, count: usize) {
        self.deleted.fetch_add(count as u64, Ordering::Relaxed);
    }

    fn take(counter: &AtomicU64) -> f64 {
        counter.swap(0, Ordering::Relaxed) as f64
    }
}

/// The datapoints of one queue at `now_ms`: the gauges as they stand, the counters since the
/// last reading (which this resets).
pub fn datapoints(queue: &Queue, now_ms: i64) -> Vec<MetricDatum> {
    let (visible, in_flight, delayed, oldest_sent_ms) = {
        let state = queue.lock();
        let (visible, in_flight, delayed) = state.counts(now_ms);
        (visible, in_flight, delayed, state.oldest_sent_ms(now_ms))
    };
    let activity = &queue.activity;
    let sent = Activity::take(&activity.sent);
    let sent_bytes = Activity::take(&activity.sent_bytes);
    let smallest = Activity::take(&activity.smallest_sent);
    let largest = Activity::take(&activity.largest_sent);
    let age_seconds = oldest_sent_ms.map_or(0, |sent| (now_ms - sent).max(0) / 1000);
    let datum = |name: &str, value: f64, unit: &str| MetricDatum {
        metric_name: name.to_owned(),
        dimensions: vec![("QueueName".to_owned(), queue.name.clone())],
        timestamp_ms: now_ms,
        value: MetricValue::Single { value },
        unit: Some(unit.to_owned()),
        storage_resolution: 60,
    };
    let mut data = vec![
        datum("ApproximateNumberOfMessagesVisible", visible as f64, "Count"),
        datum("ApproximateNumberOfMessagesNotVisible", in_flight as f64, "Count"),
        datum("ApproximateNumberOfMessagesDelayed", delayed as f64, "Count"),
        datum("ApproximateAgeOfOldestMessage", age_seconds as f64, "Seconds"),
        datum("NumberOfMessagesSent", sent, "Count"),
        datum("NumberOfMessagesReceived", Activity::take(&activity.received), "Count"),
        datum("NumberOfMessagesDeleted", Activity::take(&activity.deleted), "Count"),
        datum("NumberOfEmptyReceives", Activity::take(&activity.empty_receives), "Count"),
    ];
    // AWS reports SentMessageSize only for minutes in which messages were sent.
    if sent > 0.0 {
        let mut size = datum("SentMessageSize", 0.0, "Bytes");
        size.value = MetricValue::StatisticSet { sample_count: sent, sum: sent_bytes, minimum: (smallest - 1.0).max(0.0), maximum: largest };
        data.push(size);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_resets_the_counters_and_keeps_min_and_max() {
        let activity = Activity::default();
        activity.sent(10);
        activity.sent(0);
        activity.sent(300);
        activity.received(2);
        activity.received(0);
        activity.deleted(1);
        assert_eq!(Activity::take(&activity.sent), 3.0);
        assert_eq!(Activity::take(&activity.smallest_sent) - 1.0, 0.0);
        assert_eq!(Activity::take(&activity.largest_sent), 300.0);
        assert_eq!(Activity::take(&activity.sent_bytes), 310.0);
        assert_eq!(Activity::take(&activity.received), 2.0);
        assert_eq!(Activity::take(&activity.empty_receives), 1.0);
        assert_eq!(Activity::take(&activity.deleted), 1.0);
        assert_eq!(Activity::take(&activity.sent), 0.0);
        activity.sent(5);
        assert_eq!(Activity::take(&activity.smallest_sent) - 1.0, 5.0);
    }
}
