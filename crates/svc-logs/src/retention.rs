//! Retention: the sweeper deletes events older than their group's retention on Nimbus's clock.

use std::ops::Bound;

use nimbus_store::{Direction, Store};

use crate::errors::Res;
use crate::events::{self, DAY_MS};
use crate::records::{GroupRecord, MARKER_SCOPE, RegionMarker};
use crate::streams::{DELETE_CHUNK, subtract_bytes};

/// Deletes every expired event of every group with a retention policy, a chunk per
/// transaction; returns how many events went.
pub fn trim(store: &Store, now_ms: i64) -> Res<usize> {
    let mut deleted = 0;
    for (region, _) in store.list_all::<RegionMarker>(MARKER_SCOPE)? {
        for (name, group) in store.list_all::<GroupRecord>(&region)? {
            let Some(days) = group.retention_days else { continue };
            deleted += trim_group(store, &region, &name, &group.uid, now_ms - i64::from(days) * DAY_MS)?;
        }
    }
    Ok(deleted)
}

fn trim_group(store: &Store, scope: &str, name: &str, uid: &str, cutoff_ms: i64) -> Res<usize> {
    let space = events::space(uid);
    let (lower, upper) = (events::time_bound(0), events::time_bound(cutoff_ms));
    let mut deleted = 0;
    loop {
        let old = store.ordered_range(&space, Bound::Included(&lower), Bound::Excluded(&upper), Direction::Forward, DELETE_CHUNK)?;
        if old.is_empty() {
            return Ok(deleted);
        }
        store.transaction(|t| {
            let mut freed = 0u64;
            for (key, value) in &old {
                t.ordered_delete(&space, key)?;
                if let (Some((ts, seq)), Some(num)) = (events::key_position(key), events::value_stream(value)) {
                    t.ordered_delete(&space, &events::stream_key(num, ts, seq))?;
                }
                freed += events::value_message_len(value) as u64;
            }
            subtract_bytes(t, scope, name, uid, freed)
        })?;
        deleted += old.len();
        if old.len() < DELETE_CHUNK {
            return Ok(deleted);
        }
    }
}
