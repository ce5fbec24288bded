//! The Logs suite's rows, notes and description in the report, and the row makers the
//! CloudWatch suite's rows share (a closed-loop load, a numbered run).

use std::fmt::Write as _;
use std::path::Path;

use super::dynamodb::{DID_NOT_FINISH, micros, ms, on, say_failure};
use super::{Better, Cell, INVALID, Report, Row, ServerResults, cost_rows, number};
use crate::load::{LoadResult, LoadShape};
use crate::logs::{self, LogsResults, LogsShape, Pattern, Scans};
use crate::numbered::NumberedRun;
use crate::sqs::SetupFailure;

/// A pair of cells, Nimbus's then moto's.
pub(super) type Pair = (Cell, Cell);
/// Makes a pair of cells from what each server measured of one `T`.
pub(super) type PerServer<'a, T> = dyn Fn(&dyn Fn(&T) -> Cell) -> Pair + 'a;

/// The rows of a closed-loop load whose items are `unit` (events, datapoints): throughput,
/// latency per request, server CPU per item, CPU shares, errors.
pub(super) fn load_rows(
    both: &PerServer<LoadResult>,
    label: &str,
    unit: &str,
    target: &'static str,
) -> Vec<Row> {
    let plain = |f: &dyn Fn(&LoadResult) -> Option<f64>| both(&|l| (f(l), None));
    let mut rows = Vec::new();
    let (n, m) = both(&|l| {
        let flag = (l.errors > 0).then(|| INVALID.to_owned());
        (Some(l.items_per_second()), flag)
    });
    rows.push(Row::flagged(
        format!("{label} throughput ({unit}/s)"),
        n,
        m,
        Better::Higher,
        target,
    ));
    for (q, name) in [(0.50, "p50"), (0.99, "p99")] {
        let (n, m) = plain(&|l| ms(l.latency_quantile(q)));
        rows.push(Row::flagged(
            format!("{label} latency per request {name} (ms)"),
            n,
            m,
            Better::Lower,
            "",
        ));
    }
    rows.extend(cost_rows(label, unit.trim_end_matches('s'), LoadResult::server_cpu_per_item, &plain));
    rows
}

/// Why a numbered run's figures are not the whole story, if they are not.
fn numbered_flag(run: &NumberedRun) -> Option<String> {
    if run.stopped_at_cap {
        Some(DID_NOT_FINISH.to_owned())
    } else if run.failed > 0 || run.errors() > 0 {
        Some(INVALID.to_owned())
    } else {
        None
    }
}

/// The rows of a numbered run of `unit` (events, alarms), each request carrying
/// `per_request` of them.
pub(super) fn numbered_rows(
    both: &PerServer<NumberedRun>,
    label: &str,
    unit: &str,
    per_request: &str,
) -> Vec<Row> {
    let plain = |f: &dyn Fn(&NumberedRun) -> Option<f64>| both(&|r| (f(r), None));
    let flagged = |f: &dyn Fn(&NumberedRun) -> Option<f64>| both(&|r| (f(r), numbered_flag(r)));
    let mut rows = Vec::new();
    let (n, m) = flagged(&|r| Some(r.elapsed.as_secs_f64()));
    rows.push(Row::flagged(
        format!("{label}: elapsed (s)"),
        n,
        m,
        Better::Lower,
        "",
    ));
    let (n, m) = both(&|r| {
        let flag = r.stopped_at_cap.then(|| DID_NOT_FINISH.to_owned());
        (Some(r.acknowledged as f64), flag)
    });
    rows.push(Row::flagged(
        format!("{label}: {unit} acknowledged"),
        n,
        m,
        Better::Neither,
        "",
    ));
    let (n, m) = flagged(&|r| Some(r.items_per_second()));
    rows.push(Row::flagged(
        format!("{label}: throughput ({unit}/s)"),
        n,
        m,
        Better::Higher,
        "",
    ));
    for (q, name) in [(0.50, "p50"), (0.99, "p99")] {
        let (n, m) = plain(&|r| r.latency_ms(q));
        rows.push(Row::flagged(
            format!("{label}: latency per request{per_request} {name} (ms)"),
            n,
            m,
            Better::Lower,
            "",
        ));
    }
    let singular = unit.trim_end_matches('s');
    let (n, m) = plain(&|r| micros(r.server_cpu_per_item()));
    rows.push(Row::flagged(
        format!("{label}: server CPU per {singular} (µs)"),
        n,
        m,
        Better::Lower,
        "",
    ));
    let (n, m) = plain(&|r| Some(r.server_cpu_share()));
    rows.push(Row::flagged(
        format!("{label}: server CPU used (cores)"),
        n,
        m,
        Better::Neither,
        "",
    ));
    let (n, m) = plain(&|r| Some(r.failed as f64));
    rows.push(Row::flagged(
        format!("{label}: {unit} failed"),
        n,
        m,
        Better::Neither,
        "0",
    ));
    rows
}

/// The words that go with a pattern's scan figures: extrapolated, a partial group, wrong
/// answers, errors.
fn scan_flag(scans: &Scans, scan_flag: Option<String>, events: u64) -> Option<String> {
    let mut words: Vec<String> = scan_flag.into_iter().collect();
    if scans.loaded < events {
        words.push(format!("group of {} events", scans.loaded));
    }
    if let Some(wrong) = scans.wrong() {
        words.push(format!("wrong: {wrong}"));
    }
    if words.is_empty() && scans.errors() > 0 {
        words.push(INVALID.to_owned());
    }
    (!words.is_empty()).then(|| words.join("; "))
}

impl Report {
    pub(super) fn logs_rows(&self) -> Vec<Row> {
        let Some((shape, _)) = &self.logs else {
            return Vec::new();
        };
        let cell = |side: &Option<ServerResults>, f: &dyn Fn(&LogsResults) -> Cell| {
            side.as_ref()
                .and_then(|s| s.logs.as_ref())
                .map_or((None, None), f)
        };
        let both = |f: &dyn Fn(&LogsResults) -> Cell| (cell(&self.nimbus, f), cell(&self.moto, f));
        let mut rows = Vec::new();

        let on_put = |f: &dyn Fn(&LoadResult) -> Cell| both(&|r| on(&r.put, f));
        rows.extend(load_rows(&on_put, logs::PUT, "events", ""));

        let load = format!(
            "Logs load of {} events, {} per PutLogEvents",
            shape.events,
            logs::LOAD_BATCH
        );
        let on_load = |f: &dyn Fn(&NumberedRun) -> Cell| both(&|r| on(&r.load, f));
        rows.extend(numbered_rows(
            &on_load,
            &load,
            "events",
            &format!(" of {}", logs::LOAD_BATCH),
        ));

        type Pick = fn(&LogsResults) -> &Result<Scans, SetupFailure>;
        let patterns: [(Pattern, Pick); 2] =
            [(Pattern::Term, |r| &r.term), (Pattern::Json, |r| &r.json)];
        for (pattern, pick) in patterns {
            let label = format!(
                "Logs FilterLogEvents `{}` (1 % match) over {} events",
                pattern.text(),
                shape.events
            );
            let on_scans = |f: &dyn Fn(&Scans) -> Cell| both(&|r| on(pick(r), f));
            let (n, m) = on_scans(&|s| match s.seconds_per_scan() {
                Some((secs, flag)) => (Some(secs), scan_flag(s, flag, shape.events)),
                None => (None, Some("failed".to_owned())),
            });
            rows.push(Row::flagged(
                format!("{label}: seconds per full scan (s)"),
                n,
                m,
                Better::Lower,
                "",
            ));
            let (n, m) = on_scans(&|s| match s.events_per_second() {
                Some((rate, flag)) => (Some(rate), scan_flag(s, flag, shape.events)),
                None => (None, Some("failed".to_owned())),
            });
            rows.push(Row::flagged(
                format!("{label}: events scanned/s"),
                n,
                m,
                Better::Higher,
                "",
            ));
            let (n, m) = on_scans(&|s| {
                let scan = s.representative();
                (scan.map(|s| s.matching as f64), s.wrong().map(|_| "wrong".to_owned()))
            });
            rows.push(Row::flagged(
                format!("{label}: matches returned per scan"),
                n,
                m,
                Better::Neither,
                "",
            ));
            let (n, m) = on_scans(&|s| (s.representative().map(|s| s.pages as f64), None));
            rows.push(Row::flagged(
                format!("{label}: pages per scan"),
                n,
                m,
                Better::Neither,
                "",
            ));
            let (n, m) = on_scans(&|s| {
                let scan = s.representative();
                let flag = scan
                    .filter(|s| !s.complete)
                    .map(|_| "scan cut by the cap".to_owned());
                (scan.map(|s| s.server_cpu.as_secs_f64()), flag)
            });
            rows.push(Row::flagged(
                format!("{label}: server CPU per scan (s)"),
                n,
                m,
                Better::Lower,
                "",
            ));
        }
        let (n, m) = both(&|r| (r.rss_after_kib.map(|k| k as f64 / 1024.0), None));
        rows.push(Row::flagged(
            "RSS after the Logs suite (MiB)",
            n,
            m,
            Better::Lower,
            "",
        ));
        rows
    }
}

/// The Logs suite's line in the Markdown header.
pub(super) fn description(shape: &LogsShape, scratch: &Path, load: &LoadShape) -> String {
    format!(
        "- Logs: JSON protocol (`X-Amz-Target: Logs_20140328.*`, awsJson 1.1), SigV4 with `test`/`test`; \
         {} closed-loop clients, each its own stream of `{}`, {} s warm-up then a {} s window: PutLogEvents of {} events of {} bytes with increasing timestamps (signed per request); \
         then {} JSON events of 68–73 bytes into `{}`, {} per PutLogEvents, one stream per client, from the same clients at once, stopped after {} s; \
         then FilterLogEvents (`interleaved: true`, no limit, `nextToken` followed to the end, one client) with `{}` (1 % of the events) and `{}` (another 1 %), \
         up to {} full scans per pattern within {} s (median reported; a scan cut by that cap is extrapolated from the furthest event it returned, and marked so); \
         every event returned is checked against the pattern, the count against what was loaded. Nimbus runs with a durable `--data-dir` in {} (moto keeps logs in memory)",
        shape.clients,
        logs::PUT_GROUP,
        load.warmup.as_secs_f64(),
        load.window.as_secs_f64(),
        logs::PUT_BATCH,
        logs::PUT_MESSAGE_BYTES,
        shape.events,
        logs::FILTER_GROUP,
        logs::LOAD_BATCH,
        shape.load_cap.as_secs(),
        logs::TERM_PATTERN,
        logs::JSON_PATTERN,
        shape.scans,
        shape.scan_cap.as_secs(),
        scratch.display(),
    )
}

/// The Logs suite's counts and failures, under the table.
pub(super) fn notes(name: &str, results: &LogsResults) -> String {
    let mut out = String::new();
    let mut said = Vec::new();
    match &results.put {
        Ok(load) => {
            let _ = writeln!(
                out,
                "- {name}: {}: {} events in {} requests in {} s over {} new connections",
                logs::PUT,
                load.items,
                load.requests,
                load.window.as_secs_f64(),
                load.connections_opened,
            );
            for (kind, count) in &load.error_kinds {
                let _ = writeln!(out, "- {name}: {}: {count} × {kind}", logs::PUT);
            }
        }
        Err(why) => say_failure(&mut out, &mut said, name, logs::PUT, why),
    }
    match &results.load {
        Ok(run) => {
            let _ = writeln!(
                out,
                "- {name}: {}: {} events acknowledged in {} requests, {} s{}",
                logs::LOAD,
                run.acknowledged,
                run.requests,
                number(run.elapsed.as_secs_f64()),
                if run.stopped_at_cap {
                    "; stopped at the cap"
                } else {
                    ""
                },
            );
            for (kind, count) in &run.error_kinds {
                let _ = writeln!(out, "- {name}: {}: {count} × {kind}", logs::LOAD);
            }
        }
        Err(why) => say_failure(&mut out, &mut said, name, logs::LOAD, why),
    }
    for scans in [&results.term, &results.json] {
        match scans {
            Ok(scans) => {
                let what = format!("FilterLogEvents `{}`", scans.pattern.text());
                let expected = scans
                    .expected
                    .map_or_else(|| "an unknown number".to_owned(), |e| e.to_string());
                for (i, scan) in scans.scans.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "- {name}: {what}: scan {}: {} pages, {} events returned, {} matching of {expected} loaded, {} s{}",
                        i + 1,
                        scan.pages,
                        scan.returned,
                        scan.matching,
                        number(scan.elapsed.as_secs_f64()),
                        if scan.complete { "" } else { ", cut by the cap" },
                    );
                }
                for (kind, count) in &scans.error_kinds {
                    let _ = writeln!(out, "- {name}: {what}: {count} × {kind}");
                }
            }
            Err(why) => say_failure(&mut out, &mut said, name, "FilterLogEvents", why),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::logs::Scan;
    use crate::procfs::Machine;

    fn server(logs: LogsResults) -> ServerResults {
        ServerResults {
            version: "v".to_owned(),
            ready: vec![],
            idle_rss_kib: vec![],
            loads: vec![],
            load_failures: vec![],
            rss_after_load_kib: None,
            s3: None,
            sqs: None,
            dynamodb: None,
            logs: Some(logs),
            cloudwatch: None,
        }
    }

    fn report(nimbus: LogsResults, moto: LogsResults) -> Report {
        let shape = LoadShape {
            connections: 8,
            warmup: Duration::from_secs(1),
            window: Duration::from_secs(5),
        };
        Report {
            nimbus: Some(server(nimbus)),
            moto: Some(server(moto)),
            operations: vec![],
            s3: None,
            sqs: None,
            dynamodb: None,
            logs: Some((
                LogsShape {
                    clients: 8,
                    events: 1000,
                    load_cap: Duration::from_secs(300),
                    scan_cap: Duration::from_secs(300),
                    scans: 3,
                },
                PathBuf::from("/tmp/x"),
            )),
            cloudwatch: None,
            shape,
            starts: 1,
            client_threads: 1,
            machine: Machine {
                cpus: 2,
                cpu_model: "cpu".to_owned(),
                memory_gib: 1.0,
                kernel: "k".to_owned(),
            },
            date_utc: "today".to_owned(),
        }
    }

    fn cells(rows: &[Row], metric: &str) -> [String; 5] {
        rows.iter()
            .find(|row| row.metric.starts_with(metric))
            .map(Row::cells)
            .unwrap_or_else(|| panic!("no row {metric}"))
    }

    fn scans(pattern: Pattern, loaded: u64, scans: Vec<Scan>) -> Scans {
        Scans {
            pattern,
            loaded,
            expected: Some(loaded / 100),
            loaded_end: loaded,
            scans,
            error_kinds: BTreeMap::new(),
        }
    }

    #[test]
    fn scans_cut_by_the_cap_or_answering_wrong_have_no_ratio() {
        let not_implemented = SetupFailure {
            not_implemented: true,
            why: "logs:PutLogEvents answered HTTP 501".to_owned(),
        };
        let full = Scan {
            elapsed: Duration::from_millis(500),
            pages: 1,
            returned: 10,
            matching: 10,
            complete: true,
            ..Scan::default()
        };
        let cut = Scan {
            elapsed: Duration::from_secs(300),
            pages: 30,
            returned: 300_000,
            matching: 3,
            foreign: 299_997,
            furthest: Some(299),
            ..Scan::default()
        };
        let nimbus = LogsResults {
            term: Ok(scans(Pattern::Term, 1000, vec![full.clone()])),
            json: Ok(scans(Pattern::Json, 1000, vec![full])),
            ..LogsResults::not_run(not_implemented)
        };
        let moto = LogsResults {
            term: Ok(scans(Pattern::Term, 1000, vec![Scan {
                foreign: 0,
                returned: 3,
                ..cut.clone()
            }])),
            json: Ok(scans(Pattern::Json, 1000, vec![cut])),
            ..LogsResults::not_run(SetupFailure {
                not_implemented: false,
                why: "x".to_owned(),
            })
        };
        let rows = report(nimbus, moto).logs_rows();
        let term = cells(
            &rows,
            "Logs FilterLogEvents `timeout` (1 % match) over 1000 events: seconds per full scan",
        );
        assert_eq!(term[1], "0.50");
        assert_eq!(term[2], "1000 (extrapolated from 30 % in 300 s)");
        assert_eq!(term[3], "-");
        let json = cells(&rows, "Logs FilterLogEvents `{ $.level");
        assert!(json[2].contains("wrong: 299997 of 300000 returned events do not match"));
        let put = cells(&rows, "Logs PutLogEvents ×1000 ~100 B throughput (events/s)");
        assert_eq!((put[1].as_str(), put[2].as_str()), ("not implemented", "failed"));
    }
}
