//! Retention: datapoints older than 15 months (AWS's longest retention: raw data is simply
//! kept until then) and alarm history older than 30 days are deleted, once per day of Nimbus's
//! clock, off the async threads.

use std::sync::atomic::{AtomicI64, Ordering};

use nimbus_store::{Store, StoreError};

use crate::history;
use crate::metric::{MetricRecord, RegionMarker};
use crate::series;

/// 15 months, counted as 455 days.
pub const DATAPOINT_RETENTION_MS: i64 = 455 * 24 * 3600 * 1000;
const TRIM_INTERVAL_MS: i64 = 24 * 3600 * 1000;

#[derive(Default)]
pub struct Retention {
    /// Nimbus-clock time of the last trim (0: never, so the first sweep trims).
    last_run_ms: AtomicI64,
}

impl Retention {
    pub async fn run_if_due(&self, store: &Store, now_ms: i64) {
        let last = self.last_run_ms.load(Ordering::Relaxed);
        if last != 0 && now_ms - last < TRIM_INTERVAL_MS {
            return;
        }
        self.last_run_ms.store(now_ms, Ordering::Relaxed);
        let store = store.clone();
        match tokio::task::spawn_blocking(move || trim(&store, now_ms)).await {
            Ok(Ok((0, 0))) => {}
            Ok(Ok((points, items))) => tracing::debug!("cloudwatch: retention removed {points} datapoint buckets, {items} history items"),
            Ok(Err(e)) => tracing::error!("cloudwatch: retention: {e}"),
            Err(e) => tracing::error!("cloudwatch: retention failed: {e}"),
        }
    }
}

/// Trims every region's datapoints and history; returns (buckets, history items) deleted.
pub fn trim(store: &Store, now_ms: i64) -> Result<(usize, usize), StoreError> {
    let cutoff = (now_ms - DATAPOINT_RETENTION_MS).div_euclid(1000);
    let (mut buckets, mut items) = (0, 0);
    for (scope, _) in store.list_all::<RegionMarker>(RegionMarker::SCOPE)? {
        let Some((account, region)) = scope.split_once('/') else { continue };
        let space = series::space(account, region);
        for (_, metric) in store.list_all::<MetricRecord>(&scope)? {
            buckets += series::trim(store, &space, metric.series, cutoff)?;
        }
        items += history::trim(store, account, region, now_ms)?;
    }
    Ok((buckets, items))
}
