//! Datapoints on disk: one ordered space per account and region,
//! `cloudwatch.series/<account>/<region>`, keyed by the metric's series id (8 bytes), the
//! storage timestamp (8 bytes: the minute, or the second for high-resolution data; sign bit
//! flipped so byte order is time order) and the unit (1 byte). The value is the
//! [`SampleSet`] of everything PutMetricData sent for that metric, bucket and unit, so a time
//! range of one metric is one key range, read once whatever the requested period.

use std::ops::{Bound, ControlFlow};

use nimbus_metrics_lang::stats::SampleSet;
use nimbus_store::{Direction, Store, StoreError, Txn};

pub fn space(account: &str, region: &str) -> String {
    format!("cloudwatch.series/{account}/{region}")
}

const KEY_LEN: usize = 17;

fn time_bytes(seconds: i64) -> [u8; 8] {
    ((seconds as u64) ^ (1 << 63)).to_be_bytes()
}

fn key(series: u64, seconds: i64, unit: u8) -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    key[..8].copy_from_slice(&series.to_be_bytes());
    key[8..16].copy_from_slice(&time_bytes(seconds));
    key[16] = unit;
    key
}

/// The first key at or after `seconds` for the series (any unit).
fn bound(series: u64, seconds: i64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&series.to_be_bytes());
    key[8..].copy_from_slice(&time_bytes(seconds));
    key
}

fn decode_key(key: &[u8]) -> Option<(i64, u8)> {
    let time: [u8; 8] = key.get(8..16)?.try_into().ok()?;
    let seconds = (u64::from_be_bytes(time) ^ (1 << 63)) as i64;
    Some((seconds, *key.get(16)?))
}

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("cloudwatch datapoints: {e}"))
}

/// Adds `samples` to what is stored for the series at `seconds` and `unit`, in the caller's
/// transaction.
pub fn merge(txn: &Txn, space: &str, series: u64, seconds: i64, unit: u8, samples: &SampleSet) -> Result<(), StoreError> {
    let key = key(series, seconds, unit);
    let merged = match txn.ordered_get(space, &key)? {
        Some(bytes) => {
            let mut stored: SampleSet = serde_json::from_slice(&bytes).map_err(corrupt)?;
            stored.merge(samples);
            stored
        }
        None => samples.clone(),
    };
    let value = serde_json::to_vec(&merged).map_err(corrupt)?;
    txn.ordered_put(space, &key, &value)
}

/// One stored bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub seconds: i64,
    pub unit: u8,
    pub samples: SampleSet,
}

/// Every bucket of the series in `[start, end)` (seconds), ascending.
pub fn read(store: &Store, space: &str, series: u64, start: i64, end: i64) -> Result<Vec<Bucket>, StoreError> {
    let (lower, upper) = (bound(series, start), bound(series, end));
    let mut out = Vec::new();
    let mut bad = None;
    store.ordered_visit(space, Bound::Included(&lower[..]), Bound::Excluded(&upper[..]), Direction::Forward, |key, value| {
        match (decode_key(key), serde_json::from_slice::<SampleSet>(value)) {
            (Some((seconds, unit)), Ok(samples)) => out.push(Bucket { seconds, unit, samples }),
            (_, Err(e)) => bad = Some(e.to_string()),
            (None, _) => bad = Some("short key".to_owned()),
        }
        ControlFlow::Continue(())
    })?;
    if let Some(e) = bad {
        tracing::warn!("cloudwatch: skipped an unreadable datapoint bucket: {e}");
    }
    Ok(out)
}

/// Deletes the series' buckets older than `cutoff` (seconds), a chunk per transaction; returns
/// how many went.
pub fn trim(store: &Store, space: &str, series: u64, cutoff: i64) -> Result<usize, StoreError> {
    const CHUNK: usize = 1000;
    let (lower, upper) = (bound(series, i64::MIN), bound(series, cutoff));
    let mut deleted = 0;
    loop {
        let old = store.ordered_range(space, Bound::Included(&lower[..]), Bound::Excluded(&upper[..]), Direction::Forward, CHUNK)?;
        if old.is_empty() {
            return Ok(deleted);
        }
        store.transaction(|t| {
            for (key, _) in &old {
                t.ordered_delete(space, key)?;
            }
            Ok::<_, StoreError>(())
        })?;
        deleted += old.len();
        if old.len() < CHUNK {
            return Ok(deleted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_series_then_time() {
        assert!(key(1, -5, 0) < key(1, 0, 0));
        assert!(key(1, 0, 3) < key(1, 60, 0));
        assert!(key(1, i64::MAX, 9) < key(2, i64::MIN, 0));
        assert_eq!(decode_key(&key(7, -120, 15)), Some((-120, 15)));
    }
}
