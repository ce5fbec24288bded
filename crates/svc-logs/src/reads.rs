//! GetLogEvents (one stream, paged both ways) and FilterLogEvents (a group's events across
//! streams in time order, through a filter pattern).

use std::collections::{HashMap, HashSet};
use std::ops::{Bound, ControlFlow};

use nimbus_core::document::string_list_member;
use nimbus_core::{Document, RequestContext};
use nimbus_logs_lang::filter::{FilterPattern, PatternUse};
use nimbus_store::Direction;
use serde_json::{Value, json};

use crate::errors::{self, Res};
use crate::events::{self, EVENT_OVERHEAD};
use crate::input::{self, opt_bool, opt_i64, opt_str, req_str};
use crate::records::{StreamRecord, region_scope, stream_scope};
use crate::Logs;

/// Both reads stop at 10,000 events or 1 MB, whichever comes first.
const MAX_EVENTS: usize = 10_000;
const MAX_PAGE_BYTES: usize = 1_048_576;

/// A GetLogEvents token: `f/<position>` reads on after it, `b/<position>` back before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageToken {
    Forward(i64, u64),
    Backward(i64, u64),
}

impl PageToken {
    fn parse(token: &str) -> Res<PageToken> {
        let (forward, digits) = match token.split_at_checked(2) {
            Some(("f/", digits)) => (true, digits),
            Some(("b/", digits)) => (false, digits),
            _ => return Err(errors::invalid_token()),
        };
        if digits.len() != 56 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(errors::invalid_token());
        }
        let ts = digits[..20].parse::<i64>().map_err(|_| errors::invalid_token())?;
        let seq = digits[20..40].parse::<u64>().map_err(|_| errors::invalid_token())?;
        Ok(if forward { PageToken::Forward(ts, seq) } else { PageToken::Backward(ts, seq) })
    }

    fn render(self) -> String {
        match self {
            PageToken::Forward(ts, seq) => format!("f/{}", events::event_id(ts, seq)),
            PageToken::Backward(ts, seq) => format!("b/{}", events::event_id(ts, seq)),
        }
    }
}

/// One event read back.
struct ReadEvent {
    ts: i64,
    seq: u64,
    stream: u32,
    ingestion: i64,
    message: String,
}

/// The tighter of two lower bounds.
fn max_lower(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (&a, &b) {
        (Bound::Unbounded, _) => b,
        (_, Bound::Unbounded) => a,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            if x > y || (x == y && matches!(a, Bound::Excluded(_))) { a } else { b }
        }
    }
}

/// The tighter of two upper bounds.
fn min_upper(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (&a, &b) {
        (Bound::Unbounded, _) => b,
        (_, Bound::Unbounded) => a,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            if x < y || (x == y && matches!(a, Bound::Excluded(_))) { a } else { b }
        }
    }
}

fn as_ref(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(k) => Bound::Included(k),
        Bound::Excluded(k) => Bound::Excluded(k),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn page_limit(input: &Document) -> usize {
    opt_i64(input, "limit").and_then(|n| usize::try_from(n).ok()).filter(|n| *n > 0).unwrap_or(MAX_EVENTS).min(MAX_EVENTS)
}

impl Logs {
    pub(crate) async fn get_log_events(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group_name = input::group_named(ctx, input)?;
        let stream_name = req_str(input, "logStreamName")?;
        let group = self.group(ctx, &group_name)?;
        let stream = self
            .store
            .get::<StreamRecord>(&stream_scope(&region_scope(ctx), &group.uid), stream_name)?
            .ok_or_else(errors::stream_not_found)?;
        let token = opt_str(input, "nextToken").map(PageToken::parse).transpose()?;
        let limit = page_limit(input);
        let num = stream.num;
        // startTime is inclusive, endTime exclusive.
        let mut lower = Bound::Included(events::stream_bound(num, opt_i64(input, "startTime").unwrap_or(0)));
        let mut upper = match opt_i64(input, "endTime") {
            Some(end) => Bound::Excluded(events::stream_bound(num, end)),
            None => Bound::Excluded(events::stream_end(num)),
        };
        let forward = match token {
            Some(PageToken::Forward(ts, seq)) => {
                lower = max_lower(lower, Bound::Excluded(events::stream_key(num, ts, seq)));
                true
            }
            Some(PageToken::Backward(ts, seq)) => {
                upper = min_upper(upper, Bound::Excluded(events::stream_key(num, ts, seq)));
                false
            }
            None => opt_bool(input, "startFromHead").unwrap_or(false),
        };
        let store = self.store.clone();
        let space = events::space(&group.uid);
        let read = tokio::task::spawn_blocking(move || -> Res<Vec<ReadEvent>> {
            let direction = if forward { Direction::Forward } else { Direction::Reverse };
            let keys = store.ordered_range(&space, as_ref(&lower), as_ref(&upper), direction, limit)?;
            let mut page = Vec::with_capacity(keys.len());
            let mut bytes = 0;
            for (key, _) in keys {
                let Some((ts, seq)) = events::key_position(&key) else { continue };
                let Some(value) = store.ordered_get(&space, &events::time_key(ts, seq))? else { continue };
                let Some((stream, ingestion, message)) = events::decode_value(&value) else { continue };
                bytes += message.len() + EVENT_OVERHEAD;
                if bytes > MAX_PAGE_BYTES && !page.is_empty() {
                    break;
                }
                page.push(ReadEvent { ts, seq, stream, ingestion, message: message.to_owned() });
            }
            if !forward {
                page.reverse();
            }
            Ok(page)
        })
        .await
        .map_err(|e| errors::Fail(nimbus_core::ServiceError::internal(format!("reading events: {e}"))))??;
        let (next_forward, next_backward) = match (page_edges(&read), token) {
            (Some(((first_ts, first_seq), (last_ts, last_seq))), _) => {
                (PageToken::Forward(last_ts, last_seq), PageToken::Backward(first_ts, first_seq))
            }
            // At the end in the direction read: the same token back, as AWS answers.
            (None, Some(PageToken::Forward(ts, seq))) => (PageToken::Forward(ts, seq), PageToken::Backward(ts, seq)),
            (None, Some(PageToken::Backward(ts, seq))) => (PageToken::Forward(ts, seq), PageToken::Backward(ts, seq)),
            (None, None) => (PageToken::Forward(0, 0), PageToken::Backward(0, 0)),
        };
        let events: Vec<Value> = read
            .iter()
            .map(|e| json!({"timestamp": e.ts, "message": e.message, "ingestionTime": e.ingestion}))
            .collect();
        Ok(json!({
            "events": events,
            "nextForwardToken": next_forward.render(),
            "nextBackwardToken": next_backward.render(),
        }))
    }

    pub(crate) async fn filter_log_events(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let group_name = input::group_named(ctx, input)?;
        let names = string_list_member(input, "logStreamNames");
        let prefix = opt_str(input, "logStreamNamePrefix");
        if !names.is_empty() && prefix.is_some() {
            return Err(errors::invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters."));
        }
        let pattern = FilterPattern::parse(opt_str(input, "filterPattern").unwrap_or(""))
            .map_err(|e| errors::invalid(e.message(PatternUse::FilterLogEvents)))?;
        let group = self.group(ctx, &group_name)?;
        let streams: HashMap<u32, String> = self
            .store
            .list_all::<StreamRecord>(&stream_scope(&region_scope(ctx), &group.uid))?
            .into_iter()
            .map(|(_, s)| (s.num, s.name))
            .collect();
        let allowed: Option<HashSet<u32>> = if !names.is_empty() {
            Some(streams.iter().filter(|(_, n)| names.contains(n)).map(|(num, _)| *num).collect())
        } else {
            prefix.map(|p| streams.iter().filter(|(_, n)| n.starts_with(p)).map(|(num, _)| *num).collect())
        };
        if allowed.as_ref().is_some_and(HashSet::is_empty) {
            return Ok(json!({"events": [], "searchedLogStreams": []}));
        }
        let limit = page_limit(input);
        // Both ends are inclusive.
        let mut lower = Bound::Included(events::time_bound(opt_i64(input, "startTime").unwrap_or(0)));
        let upper = match opt_i64(input, "endTime").and_then(|end| end.checked_add(1)) {
            Some(end) => Bound::Excluded(events::time_bound(end)),
            None => Bound::Excluded(events::time_end()),
        };
        if let Some(token) = opt_str(input, "nextToken") {
            let after = decode_filter_token(token, &group.uid)?;
            lower = max_lower(lower, Bound::Excluded(after));
        }
        let store = self.store.clone();
        let space = events::space(&group.uid);
        let (page, resume) = tokio::task::spawn_blocking(move || -> Res<(Vec<ReadEvent>, Option<Vec<u8>>)> {
            let mut page = Vec::new();
            let mut bytes = 0;
            let mut last_key: Option<Vec<u8>> = None;
            let mut more = false;
            store.ordered_visit(&space, as_ref(&lower), as_ref(&upper), Direction::Forward, |key, value| {
                if page.len() == limit {
                    more = true;
                    return ControlFlow::Break(());
                }
                let Some(stream) = events::value_stream(value) else { return ControlFlow::Continue(()) };
                if allowed.as_ref().is_some_and(|a| !a.contains(&stream)) {
                    return ControlFlow::Continue(());
                }
                let Some((_, ingestion, message)) = events::decode_value(value) else { return ControlFlow::Continue(()) };
                if !pattern.matches(message) {
                    return ControlFlow::Continue(());
                }
                let Some((ts, seq)) = events::key_position(key) else { return ControlFlow::Continue(()) };
                let size = message.len() + EVENT_OVERHEAD;
                if bytes + size > MAX_PAGE_BYTES && !page.is_empty() {
                    more = true;
                    return ControlFlow::Break(());
                }
                bytes += size;
                page.push(ReadEvent { ts, seq, stream, ingestion, message: message.to_owned() });
                last_key = Some(key.to_vec());
                ControlFlow::Continue(())
            })?;
            Ok((page, if more { last_key } else { None }))
        })
        .await
        .map_err(|e| errors::Fail(nimbus_core::ServiceError::internal(format!("reading events: {e}"))))??;
        let events: Vec<Value> = page
            .iter()
            .filter_map(|e| {
                let stream = streams.get(&e.stream)?;
                Some(json!({
                    "logStreamName": stream,
                    "timestamp": e.ts,
                    "message": e.message,
                    "ingestionTime": e.ingestion,
                    "eventId": events::event_id(e.ts, e.seq),
                }))
            })
            .collect();
        // searchedLogStreams: AWS has returned an empty list since May 2020.
        let mut out = json!({"events": events, "searchedLogStreams": []});
        if let Some(key) = resume {
            out["nextToken"] = json!(format!("{}-{}", group.uid, hex::encode(key)));
        }
        Ok(out)
    }
}

fn page_edges(page: &[ReadEvent]) -> Option<((i64, u64), (i64, u64))> {
    Some(((page.first()?.ts, page.first()?.seq), (page.last()?.ts, page.last()?.seq)))
}

fn decode_filter_token(token: &str, uid: &str) -> Res<Vec<u8>> {
    let (token_uid, key) = token.split_once('-').ok_or_else(errors::invalid_token)?;
    if token_uid != uid {
        return Err(errors::invalid_token());
    }
    hex::decode(key).map_err(|_| errors::invalid_token())
}
