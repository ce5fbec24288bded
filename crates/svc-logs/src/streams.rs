//! Log streams: CreateLogStream, DeleteLogStream, DescribeLogStreams.

use std::ops::Bound;

use nimbus_core::{Document, RequestContext};
use nimbus_store::{Direction, Store};
use serde_json::{Value, json};

use crate::errors::{self, Res};
use crate::events;
use crate::groups::group_in;
use crate::input::{self, opt_bool, opt_str, req_str};
use crate::records::{GroupRecord, StreamRecord, region_scope, stream_scope};
use crate::Logs;

/// Events deleted per transaction when a stream goes or retention trims.
pub const DELETE_CHUNK: usize = 5_000;

impl Logs {
    pub(crate) fn create_log_stream(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group_name = req_str(input, "logGroupName")?;
        let name = req_str(input, "logStreamName")?;
        input::check_no_colon_or_star(name, "logStreamName")?;
        let scope = region_scope(ctx);
        let now = self.clock.now_millis();
        self.store.transaction(|t| {
            let mut group = group_in(t, &scope, group_name)?;
            let stream = StreamRecord {
                name: name.to_owned(),
                num: group.next_stream_num,
                created_ms: now,
                first_event_ms: None,
                last_event_ms: None,
                last_ingestion_ms: None,
                uploads: 0,
            };
            if !t.insert(&stream_scope(&scope, &group.uid), name, &stream)? {
                return Err(errors::stream_exists());
            }
            group.next_stream_num += 1;
            t.put(&scope, group_name, &group)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) async fn delete_log_stream(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group_name = req_str(input, "logGroupName")?.to_owned();
        let name = req_str(input, "logStreamName")?;
        let scope = region_scope(ctx);
        let (uid, num) = self.store.transaction(|t| {
            let group = group_in(t, &scope, &group_name)?;
            let streams = stream_scope(&scope, &group.uid);
            let stream = t.get::<StreamRecord>(&streams, name)?.ok_or_else(errors::stream_not_found)?;
            t.delete::<StreamRecord>(&streams, name)?;
            Ok::<_, errors::Fail>((group.uid, stream.num))
        })?;
        // The record is gone, so no read shows the stream; its events follow in chunks (a new
        // stream of the same name gets a new number, so it never sees them).
        let store = self.store.clone();
        let purged = tokio::task::spawn_blocking(move || purge_stream(&store, &scope, &group_name, &uid, num)).await;
        match purged {
            Ok(Ok(())) => {}
            Ok(Err(errors::Fail(e))) => tracing::warn!("logs: deleting a stream's events: {e}"),
            Err(e) => tracing::warn!("logs: deleting a stream's events: {e}"),
        }
        Ok(json!({}))
    }

    pub(crate) fn describe_log_streams(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group_name = input::group_named(ctx, input)?;
        let group = self.group(ctx, &group_name)?;
        let prefix = opt_str(input, "logStreamNamePrefix");
        let by_time = match opt_str(input, "orderBy") {
            None | Some("LogStreamName") => false,
            Some("LastEventTime") => true,
            Some(other) => {
                return Err(errors::constraint(other, "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]"));
            }
        };
        if by_time && prefix.is_some() {
            return Err(errors::invalid("Cannot order by LastEventTime with a logStreamNamePrefix."));
        }
        let descending = opt_bool(input, "descending").unwrap_or(false);
        let limit = input::page_limit(input, "limit", 50);
        let after = input::next_token(input)?;
        let mut streams: Vec<StreamRecord> = self
            .store
            .list_all::<StreamRecord>(&stream_scope(&region_scope(ctx), &group.uid))?
            .into_iter()
            .map(|(_, s)| s)
            .filter(|s| prefix.is_none_or(|p| s.name.starts_with(p)))
            .collect();
        if by_time {
            streams.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
        }
        if descending {
            streams.reverse();
        }
        let start = match &after {
            Some(token) => streams.iter().position(|s| token_of(s, by_time) == *token).map_or(streams.len(), |i| i + 1),
            None => 0,
        };
        let page: Vec<&StreamRecord> = streams.iter().skip(start).take(limit).collect();
        let mut out = json!({"logStreams": page.iter().map(|s| stream_document(ctx, &group_name, s)).collect::<Vec<_>>()});
        if start + page.len() < streams.len()
            && let Some(last) = page.last()
        {
            out["nextToken"] = json!(input::encode_token(&token_of(last, by_time)));
        }
        Ok(out)
    }
}

fn order_key(stream: &StreamRecord) -> (i64, &str) {
    (stream.last_event_ms.unwrap_or(0), &stream.name)
}

fn token_of(stream: &StreamRecord, by_time: bool) -> String {
    if by_time { format!("{}\n{}", stream.last_event_ms.unwrap_or(0), stream.name) } else { stream.name.clone() }
}

fn stream_document(ctx: &RequestContext, group: &str, stream: &StreamRecord) -> Value {
    let mut doc = json!({
        "logStreamName": stream.name,
        "creationTime": stream.created_ms,
        "arn": input::stream_arn(ctx, group, &stream.name),
        "uploadSequenceToken": events::sequence_token(stream.uploads),
        // AWS stopped reporting bytes per stream in 2019: always zero.
        "storedBytes": 0,
    });
    if let Some(ts) = stream.first_event_ms {
        doc["firstEventTimestamp"] = json!(ts);
    }
    if let Some(ts) = stream.last_event_ms {
        doc["lastEventTimestamp"] = json!(ts);
    }
    if let Some(ts) = stream.last_ingestion_ms {
        doc["lastIngestionTime"] = json!(ts);
    }
    doc
}

/// Deletes every event of stream `num`, a chunk per transaction, taking their bytes off the
/// group's storedBytes.
pub fn purge_stream(store: &Store, scope: &str, group_name: &str, uid: &str, num: u32) -> Res<()> {
    let space = events::space(uid);
    let (lower, upper) = (events::stream_bound(num, 0), events::stream_end(num));
    loop {
        let keys = store.ordered_range(&space, Bound::Included(&lower), Bound::Excluded(&upper), Direction::Forward, DELETE_CHUNK)?;
        if keys.is_empty() {
            return Ok(());
        }
        store.transaction(|t| {
            let mut freed = 0u64;
            for (key, _) in &keys {
                let Some((ts, seq)) = events::key_position(key) else { continue };
                let time_key = events::time_key(ts, seq);
                if let Some(value) = t.ordered_get(&space, &time_key)? {
                    freed += events::value_message_len(&value) as u64;
                    t.ordered_delete(&space, &time_key)?;
                }
                t.ordered_delete(&space, key)?;
            }
            subtract_bytes(t, scope, group_name, uid, freed)
        })?;
        if keys.len() < DELETE_CHUNK {
            return Ok(());
        }
    }
}

/// Takes `freed` bytes off the group's storedBytes, if the group is still this incarnation.
pub fn subtract_bytes(t: &nimbus_store::Txn, scope: &str, group_name: &str, uid: &str, freed: u64) -> Res<()> {
    if freed == 0 {
        return Ok(());
    }
    if let Some(mut group) = t.get::<GroupRecord>(scope, group_name)?
        && group.uid == uid
    {
        group.stored_bytes = group.stored_bytes.saturating_sub(freed);
        t.put(scope, group_name, &group)?;
    }
    Ok(())
}
