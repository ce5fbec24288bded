//! Log files: the events a trail logs, delivered to its S3 bucket.
//!
//! The writer puts each event a logging trail selects into the trail's pending space,
//! `cloudtrail.pending/<trail id>` (keyed as event history is; value: region and record). The
//! sweeper delivers a trail's pending events once the oldest is five minutes old on Nimbus's
//! clock (AWS delivers "about every 5 minutes"): one gzipped `{"Records":[...]}` file per region,
//! named as AWS names them ("CloudTrail log file name format"), written into the bucket through
//! the event bus ([`Delivery::Object`]). Delivered events leave the pending space; a failed
//! delivery (say, the bucket was deleted) keeps them for the next sweep and shows in
//! GetTrailStatus. Events a trail logged before StopLogging are still delivered.

use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Bound;

use flate2::Compression;
use flate2::write::GzEncoder;
use nimbus_core::{Delivery, EventBus};
use nimbus_store::{Direction, Store, StoreError, Txn};
use serde::{Deserialize, Serialize};

use crate::record::Event;
use crate::trails::{SCOPE, TrailRecord, TrailStatus};

/// How old the oldest pending event must be before a file is written (Nimbus's clock).
pub const DELIVERY_INTERVAL_MS: i64 = 5 * 60 * 1000;
/// Events in one pass over one trail; more wait for the next sweep.
const MAX_EVENTS_PER_PASS: usize = 50_000;

fn space(trail_id: &str) -> String {
    format!("cloudtrail.pending/{trail_id}")
}

/// One event waiting for its trail's next log file.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    region: String,
    record: String,
}

/// Adds an event to a trail's next log file, in the writer's transaction.
pub fn queue(txn: &Txn, trail_id: &str, event: &Event) -> Result<(), StoreError> {
    let pending = Pending { region: event.region.clone(), record: event.record.clone() };
    let value = serde_json::to_vec(&pending).map_err(|e| StoreError::Corrupt(format!("cloudtrail pending event: {e}")))?;
    txn.ordered_put(&space(trail_id), &crate::history::event_key(event), &value)
}

/// Forgets a deleted trail's pending events.
pub fn discard(store: &Store, trail_id: &str) -> Result<(), StoreError> {
    let space = space(trail_id);
    loop {
        let pairs = store.ordered_range(&space, Bound::Unbounded, Bound::Unbounded, Direction::Forward, 1000)?;
        if pairs.is_empty() {
            return Ok(());
        }
        store.transaction(|t| {
            for (key, _) in &pairs {
                t.ordered_delete(&space, key)?;
            }
            Ok::<_, StoreError>(())
        })?;
    }
}

/// Delivers the log files that are due, for every trail; returns how many files were written.
pub async fn deliver_due(store: &Store, bus: Option<&dyn EventBus>, now_ms: i64) -> usize {
    let trails = match store.list_all::<TrailRecord>(SCOPE) {
        Ok(trails) => trails,
        Err(e) => {
            tracing::error!("cloudtrail: reading trails for delivery: {e}");
            return 0;
        }
    };
    let mut files = 0;
    for (_, trail) in trails {
        match deliver_trail(store, bus, &trail, now_ms).await {
            Ok(n) => files += n,
            Err(e) => tracing::error!(trail = %trail.name, "cloudtrail: delivery failed: {e}"),
        }
    }
    files
}

async fn deliver_trail(store: &Store, bus: Option<&dyn EventBus>, trail: &TrailRecord, now_ms: i64) -> Result<usize, StoreError> {
    let space = space(&trail.id);
    let pending = store.ordered_range(&space, Bound::Unbounded, Bound::Unbounded, Direction::Forward, MAX_EVENTS_PER_PASS)?;
    let Some((oldest, _)) = pending.first() else { return Ok(0) };
    let oldest_ms = i64::from_be_bytes(oldest[..8].try_into().unwrap_or_default());
    if now_ms - oldest_ms < DELIVERY_INTERVAL_MS {
        return Ok(0);
    }
    let mut by_region: BTreeMap<String, (Vec<Vec<u8>>, Vec<String>)> = BTreeMap::new();
    for (key, value) in pending {
        match serde_json::from_slice::<Pending>(&value) {
            Ok(p) => {
                let entry = by_region.entry(p.region).or_default();
                entry.0.push(key);
                entry.1.push(p.record);
            }
            Err(e) => tracing::warn!("cloudtrail: dropping an unreadable pending event: {e}"),
        }
    }
    let mut status = store.get::<TrailStatus>(SCOPE, &trail.id)?.unwrap_or_default();
    let mut files = 0;
    for (region, (keys, records)) in by_region {
        let delivery = Delivery::Object {
            bucket: trail.s3_bucket.clone(),
            key: log_file_key(trail, &region, now_ms),
            body: gzip_records(&records),
            content_type: "application/json".to_owned(),
            content_encoding: Some("gzip".to_owned()),
        };
        let outcome = match bus {
            Some(bus) => bus.deliver(&delivery).await.map_err(|e| e.to_string()),
            None => Err("no S3 to deliver to".to_owned()),
        };
        status.latest_attempt_ms = Some(now_ms);
        match outcome {
            Ok(()) => {
                store.transaction(|t| {
                    for key in &keys {
                        t.ordered_delete(&space, key)?;
                    }
                    Ok::<_, StoreError>(())
                })?;
                status.latest_delivery_ms = Some(now_ms);
                status.latest_delivery_error = None;
                files += 1;
            }
            Err(why) => {
                tracing::warn!(trail = %trail.name, bucket = %trail.s3_bucket, "cloudtrail: log file not delivered: {why}");
                status.latest_delivery_error = Some(why);
            }
        }
    }
    store.put(SCOPE, &trail.id, &status)?;
    Ok(files)
}

/// `<prefix>/AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<unique>.json.gz`
pub fn log_file_key(trail: &TrailRecord, region: &str, now_ms: i64) -> String {
    let at = crate::time_of(now_ms);
    let (y, m, d, hh, mm) = (at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute());
    let account = &trail.account;
    let unique = nimbus_core::ids::random_from(nimbus_core::ids::ALNUM, 16);
    let prefix = trail.s3_key_prefix.as_deref().filter(|p| !p.is_empty()).map(|p| format!("{p}/")).unwrap_or_default();
    format!("{prefix}AWSLogs/{account}/CloudTrail/{region}/{y:04}/{m:02}/{d:02}/{account}_CloudTrail_{region}_{y:04}{m:02}{d:02}T{hh:02}{mm:02}Z_{unique}.json.gz")
}

/// `{"Records":[...]}`, gzipped; the records are already JSON text.
fn gzip_records(records: &[String]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    let mut write = || -> std::io::Result<()> {
        encoder.write_all(b"{\"Records\":[")?;
        for (i, record) in records.iter().enumerate() {
            if i > 0 {
                encoder.write_all(b",")?;
            }
            encoder.write_all(record.as_bytes())?;
        }
        encoder.write_all(b"]}")
    };
    // Writing into memory cannot fail.
    let _ = write();
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn file_names_and_bodies_follow_aws() {
        let trail = TrailRecord {
            id: "id".into(),
            name: "t".into(),
            account: "111122223333".into(),
            home_region: "us-east-1".into(),
            s3_bucket: "logs".into(),
            s3_key_prefix: Some("audit".into()),
            sns_topic_name: None,
            include_global: true,
            multi_region: false,
            log_file_validation: false,
            cloudwatch_log_group_arn: None,
            cloudwatch_role_arn: None,
            kms_key_id: None,
            selectors: Default::default(),
            custom_selectors: false,
            logging: true,
            start_logging_ms: None,
            stop_logging_ms: None,
            tags: Default::default(),
            created_ms: 0,
        };
        let key = log_file_key(&trail, "eu-west-1", 1_438_395_000_000);
        let expected = "audit/AWSLogs/111122223333/CloudTrail/eu-west-1/2015/08/01/111122223333_CloudTrail_eu-west-1_20150801T0210Z_";
        assert!(key.starts_with(expected), "{key}");
        assert!(key.ends_with(".json.gz") && key.len() == expected.len() + 16 + 8, "{key}");
        let mut text = String::new();
        GzDecoder::new(&gzip_records(&["{\"a\":1}".into(), "{\"b\":2}".into()])[..]).read_to_string(&mut text).unwrap();
        assert_eq!(text, r#"{"Records":[{"a":1},{"b":2}]}"#);
    }

    use flate2::read::GzDecoder;
}
