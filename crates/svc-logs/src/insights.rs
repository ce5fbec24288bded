//! Logs Insights: StartQuery, GetQueryResults, StopQuery, DescribeQueries. A query runs at once
//! on a blocking thread over one time-range read per log group; its results stay in memory for
//! seven days of Nimbus's clock (AWS keeps them seven days too), so a restart forgets them.

use std::collections::HashMap;
use std::ops::{Bound, ControlFlow};
use std::sync::{Arc, Mutex, PoisonError};

use nimbus_core::document::string_list_member;
use nimbus_core::{Document, RequestContext, ServiceError};
use nimbus_logs_lang::insights::{ExecuteOptions, LogEvent, Query, QueryStatistics, ResultField};
use nimbus_store::{Direction, Store};
use serde_json::{Value, json};

use crate::errors::{self, Res};
use crate::events::{self, DAY_MS};
use crate::input::{self, opt_i64, opt_str, req_str};
use crate::records::{GroupRecord, StreamRecord, region_scope, stream_scope};
use crate::Logs;

/// How long results are kept.
const KEEP_MS: i64 = 7 * DAY_MS;
/// Most log groups one query may read.
const MAX_GROUPS: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Running,
    Complete,
    Cancelled,
    Failed,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Running => "Running",
            Status::Complete => "Complete",
            Status::Cancelled => "Cancelled",
            Status::Failed => "Failed",
        }
    }
}

struct Outcome {
    status: Status,
    rows: Vec<Vec<ResultField>>,
    statistics: QueryStatistics,
    finished_ms: Option<i64>,
}

/// One query, as StartQuery made it.
struct QueryEntry {
    id: String,
    /// `<account>/<region>`: queries are seen only where they were started.
    scope: String,
    query_string: String,
    groups: Vec<String>,
    created_ms: i64,
    outcome: Mutex<Outcome>,
}

/// The queries of the last seven days, by id.
#[derive(Default)]
pub struct Queries {
    by_id: Mutex<HashMap<String, Arc<QueryEntry>>>,
}

impl Queries {
    fn get(&self, scope: &str, id: &str) -> Res<Arc<QueryEntry>> {
        let map = self.by_id.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(id).filter(|q| q.scope == scope).cloned().ok_or_else(errors::query_not_found)
    }

    /// Forgets queries older than seven days.
    pub fn expire(&self, now_ms: i64) {
        self.by_id.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, q| q.created_ms + KEEP_MS > now_ms);
    }
}

/// An event read for a query, owned so the query can borrow it.
struct OwnedEvent {
    ts: i64,
    ingestion: i64,
    message: String,
    stream: Arc<str>,
    group: Arc<str>,
}

/// Reads the events of `groups` with timestamps in `start_ms..end_ms`, newest first.
fn read_events(store: &Store, scope: &str, account: &str, groups: &[GroupRecord], start_ms: i64, end_ms: i64) -> Res<Vec<OwnedEvent>> {
    let mut out = Vec::new();
    for group in groups {
        let streams: HashMap<u32, Arc<str>> = store
            .list_all::<StreamRecord>(&stream_scope(scope, &group.uid))?
            .into_iter()
            .map(|(_, s)| (s.num, Arc::from(s.name.as_str())))
            .collect();
        let label: Arc<str> = Arc::from(format!("{account}:{}", group.name).as_str());
        let (lower, upper) = (events::time_bound(start_ms), events::time_bound(end_ms));
        store.ordered_visit(&events::space(&group.uid), Bound::Included(&lower), Bound::Excluded(&upper), Direction::Forward, |key, value| {
            if let (Some((ts, _)), Some((num, ingestion, message))) = (events::key_position(key), events::decode_value(value))
                && let Some(stream) = streams.get(&num)
            {
                out.push(OwnedEvent { ts, ingestion, message: message.to_owned(), stream: stream.clone(), group: label.clone() });
            }
            ControlFlow::Continue(())
        })?;
    }
    // Newest first, as the console shows rows of a query that does not sort.
    out.sort_by_key(|e| std::cmp::Reverse(e.ts));
    Ok(out)
}

fn malformed(error: &nimbus_logs_lang::insights::QueryError) -> errors::Fail {
    errors::Fail(
        ServiceError::new("MalformedQueryException", error.message.clone()).with_field(
            "queryCompileError",
            json!({
                "location": {"startCharOffset": error.start_char_offset, "endCharOffset": error.end_char_offset},
                "message": error.message,
            }),
        ),
    )
}

impl Logs {
    fn query_groups(&self, ctx: &RequestContext, input: &Document) -> Res<Vec<String>> {
        let single = opt_str(input, "logGroupName");
        let names = string_list_member(input, "logGroupNames");
        let identifiers = string_list_member(input, "logGroupIdentifiers");
        let given = usize::from(single.is_some()) + usize::from(!names.is_empty()) + usize::from(!identifiers.is_empty());
        if given != 1 {
            return Err(errors::invalid("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified."));
        }
        let groups: Vec<String> = if let Some(name) = single {
            vec![name.to_owned()]
        } else if !names.is_empty() {
            names
        } else {
            identifiers.iter().map(|id| input::identifier_to_name(ctx, id)).collect::<Res<_>>()?
        };
        if groups.len() > MAX_GROUPS {
            return Err(errors::invalid(format!("A query can search at most {MAX_GROUPS} log groups.")));
        }
        Ok(groups)
    }

    pub(crate) fn start_query(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        if let Some(language) = opt_str(input, "queryLanguage")
            && language != "CWLI"
        {
            return Err(errors::invalid(format!("Query language {language} is not supported by Nimbus; use CWLI.")));
        }
        let group_names = self.query_groups(ctx, input)?;
        let query_string = req_str(input, "queryString")?;
        let start = opt_i64(input, "startTime").unwrap_or(0);
        let end = opt_i64(input, "endTime").unwrap_or(0);
        if start > end {
            return Err(errors::invalid("The start time of a query must not be after its end time."));
        }
        let query = Query::parse(query_string).map_err(|e| malformed(&e))?;
        let groups: Vec<GroupRecord> = group_names.iter().map(|name| self.group(ctx, name)).collect::<Res<_>>()?;
        let now = self.clock.now_millis();
        let scope = region_scope(ctx);
        let entry = Arc::new(QueryEntry {
            id: nimbus_core::ids::uuid(),
            scope: scope.clone(),
            query_string: query_string.to_owned(),
            groups: group_names,
            created_ms: now,
            outcome: Mutex::new(Outcome { status: Status::Running, rows: Vec::new(), statistics: QueryStatistics::default(), finished_ms: None }),
        });
        self.queries.by_id.lock().unwrap_or_else(PoisonError::into_inner).insert(entry.id.clone(), entry.clone());
        // Times are seconds; the end second is included.
        let (start_ms, end_ms) = (start.saturating_mul(1000), end.saturating_add(1).saturating_mul(1000));
        let options = ExecuteOptions {
            limit: opt_i64(input, "limit").and_then(|n| usize::try_from(n).ok()),
            now_ms: now,
            start_time_ms: start_ms,
            end_time_ms: end_ms,
        };
        let (store, account, running) = (self.store.clone(), ctx.account_id.clone(), entry.clone());
        let run = move || {
            let result = read_events(&store, &scope, &account, &groups, start_ms, end_ms).map(|events| {
                query.execute(
                    events.iter().map(|e| LogEvent {
                        timestamp_ms: e.ts,
                        ingestion_time_ms: e.ingestion,
                        message: &e.message,
                        log_stream: &e.stream,
                        log_group: &e.group,
                        ptr: None,
                    }),
                    &options,
                )
            });
            let mut outcome = running.outcome.lock().unwrap_or_else(PoisonError::into_inner);
            if outcome.status != Status::Running {
                return;
            }
            outcome.finished_ms = Some(now);
            match result {
                Ok(output) => {
                    outcome.status = Status::Complete;
                    outcome.rows = output.rows;
                    outcome.statistics = output.statistics;
                }
                Err(errors::Fail(e)) => {
                    tracing::warn!("logs: query {} failed: {e}", running.id);
                    outcome.status = Status::Failed;
                }
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn_blocking(run)),
            Err(_) => run(),
        }
        Ok(json!({"queryId": entry.id}))
    }

    pub(crate) fn get_query_results(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let entry = self.queries.get(&region_scope(ctx), req_str(input, "queryId")?)?;
        let outcome = entry.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        let results: Vec<Value> = outcome
            .rows
            .iter()
            .map(|row| Value::Array(row.iter().map(|f| json!({"field": f.field, "value": f.value})).collect()))
            .collect();
        let s = outcome.statistics;
        Ok(json!({
            "queryLanguage": "CWLI",
            "results": results,
            "statistics": {
                "recordsMatched": s.records_matched as f64,
                "recordsScanned": s.records_scanned as f64,
                "bytesScanned": s.bytes_scanned as f64,
                "logGroupsScanned": entry.groups.len() as f64,
            },
            "status": outcome.status.name(),
        }))
    }

    pub(crate) fn stop_query(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let entry = self.queries.get(&region_scope(ctx), req_str(input, "queryId")?)?;
        let mut outcome = entry.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        let running = outcome.status == Status::Running;
        if running {
            outcome.status = Status::Cancelled;
            outcome.finished_ms = Some(self.clock.now_millis());
        }
        Ok(json!({"success": running}))
    }

    pub(crate) fn describe_queries(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let scope = region_scope(ctx);
        let group = opt_str(input, "logGroupName");
        let status = opt_str(input, "status");
        let max = opt_i64(input, "maxResults").and_then(|n| usize::try_from(n).ok()).filter(|n| *n > 0).unwrap_or(1000);
        let after = input::next_token(input)?;
        let mut entries: Vec<Arc<QueryEntry>> = self
            .queries
            .by_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|q| q.scope == scope && group.is_none_or(|g| q.groups.iter().any(|n| n == g)))
            .cloned()
            .collect();
        entries.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then_with(|| a.id.cmp(&b.id)));
        let mut infos = Vec::new();
        let mut skipping = after.is_some();
        let mut more = false;
        for entry in &entries {
            if skipping {
                skipping = after.as_deref() != Some(entry.id.as_str());
                continue;
            }
            let outcome = entry.outcome.lock().unwrap_or_else(PoisonError::into_inner);
            if status.is_some_and(|s| s != outcome.status.name()) {
                continue;
            }
            if infos.len() == max {
                more = true;
                break;
            }
            let mut info = json!({
                "queryLanguage": "CWLI",
                "queryId": entry.id,
                "queryString": entry.query_string,
                "status": outcome.status.name(),
                "createTime": entry.created_ms,
                "logGroupName": entry.groups.first(),
            });
            if let Some(done) = outcome.finished_ms {
                info["queryDuration"] = json!(done - entry.created_ms);
                info["bytesScanned"] = json!(outcome.statistics.bytes_scanned as f64);
            }
            infos.push((entry.id.clone(), info));
        }
        let mut out = json!({"queries": infos.iter().map(|(_, i)| i.clone()).collect::<Vec<_>>()});
        if more && let Some((id, _)) = infos.last() {
            out["nextToken"] = json!(input::encode_token(id));
        }
        Ok(out)
    }
}
