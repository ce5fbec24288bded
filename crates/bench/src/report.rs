//! Turns the measurements of both servers into one table: plain text for the terminal,
//! Markdown (with date, machine and versions) for BENCHMARKS.md.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

mod cloudwatch;
mod dynamodb;
mod logs;

use crate::cloudwatch::{CloudWatchResults, CloudWatchShape};
use crate::dynamodb::{DynamoResults, DynamoShape};
use crate::logs::{LogsResults, LogsShape};
use crate::load::{LoadResult, LoadShape};
use crate::procfs::Machine;
use crate::s3::{self, Repeats, S3Results, S3Shape, Stopped, UploadResults};
use crate::sqs::{self, LongPollResults, SqsResults, SqsShape};
use crate::transfer::{MIB, mib_per_second};

/// Everything measured on one server.
#[derive(Debug, Clone)]
pub struct ServerResults {
    pub version: String,
    /// Spawn to first 200, one per start, in start order.
    pub ready: Vec<Duration>,
    /// VmRSS 1 s after the first answer, one per start, in KiB.
    pub idle_rss_kib: Vec<u64>,
    /// Throughput runs, by operation name.
    pub loads: Vec<(&'static str, LoadResult)>,
    /// Throughput runs that could not be run (their setup failed), with why.
    pub load_failures: Vec<(&'static str, String)>,
    /// VmRSS right after the core suite's throughput runs, in KiB, if they ran.
    pub rss_after_load_kib: Option<u64>,
    /// The S3 suite's large transfers, if it ran.
    pub s3: Option<S3Results>,
    /// The SQS suite, if it ran.
    pub sqs: Option<SqsResults>,
    /// The DynamoDB suite, if it ran.
    pub dynamodb: Option<DynamoResults>,
    /// The Logs suite, if it ran.
    pub logs: Option<LogsResults>,
    /// The CloudWatch suite, if it ran.
    pub cloudwatch: Option<CloudWatchResults>,
}

impl ServerResults {
    fn ready_median_ms(&self) -> Option<f64> {
        median(self.ready.iter().map(Duration::as_secs_f64).collect()).map(|s| s * 1000.0)
    }

    fn idle_rss_median_mib(&self) -> Option<f64> {
        median(self.idle_rss_kib.iter().map(|&k| k as f64).collect()).map(|k| k / 1024.0)
    }

    fn load(&self, operation: &str) -> Option<&LoadResult> {
        self.loads
            .iter()
            .find(|(name, _)| *name == operation)
            .map(|(_, result)| result)
    }

    /// What to write next to (or instead of) the throughput of `operation`.
    fn load_flag(&self, operation: &str) -> Option<String> {
        if self
            .load_failures
            .iter()
            .any(|(name, _)| *name == operation)
        {
            Some("failed".to_owned())
        } else if self.load(operation).is_some_and(|l| l.errors > 0) {
            Some(INVALID.to_owned())
        } else {
            None
        }
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    })
}

/// How the ratio column is formed: always so that above 1 means Nimbus is better.
#[derive(Debug, Clone, Copy)]
enum Better {
    /// Times and memory: moto / nimbus.
    Lower,
    /// Throughput: nimbus / moto.
    Higher,
    /// Context only (errors, CPU shares): no ratio.
    Neither,
}

/// The flag of a complete measurement that saw errors: its value and ratio are shown, to be
/// read with care. Every other flag marks a value that is partial (cut short by a timeout or
/// a cap, or missing repeats) or missing, whose ratio would mislead, so none is shown.
const INVALID: &str = "invalid";

/// One server's value in a row, and the word that goes with it (see [`Row::nimbus_flag`]).
type Cell = (Option<f64>, Option<String>);

/// Both servers' cells of one figure of a load run.
type LoadCells<'a> = dyn Fn(&dyn Fn(&LoadResult) -> Option<f64>) -> (Cell, Cell) + 'a;

/// The rows that close every closed-loop load's block: server CPU per `per` (µs, from `cpu`),
/// the CPU the server and the load generator used (cores), and errors. `cells` reads one figure
/// of each server's run (a server whose run failed says so in its cell).
fn cost_rows(
    label: &str,
    per: &str,
    cpu: fn(&LoadResult) -> Option<Duration>,
    cells: &LoadCells,
) -> Vec<Row> {
    let row = |metric: String, f: &dyn Fn(&LoadResult) -> Option<f64>, better, target| {
        let (n, m) = cells(f);
        Row::flagged(metric, n, m, better, target)
    };
    vec![
        row(format!("{label} server CPU per {per} (µs)"), &|l| cpu(l).map(|d| d.as_secs_f64() * 1e6), Better::Lower, ""),
        row(format!("{label} server CPU used (cores)"), &|l| Some(l.server_cpu_share()), Better::Neither, ""),
        row(format!("{label} load generator CPU (cores)"), &|l| Some(l.client_cpu_share()), Better::Neither, ""),
        row(format!("{label} errors"), &|l| Some(l.errors as f64), Better::Neither, "0"),
    ]
}

struct Row {
    metric: String,
    nimbus: Option<f64>,
    moto: Option<f64>,
    better: Better,
    target: &'static str,
    /// A word or two next to a value that must not be trusted as is ("invalid": errors
    /// during its run), or in place of a value that could not be measured ("failed").
    nimbus_flag: Option<String>,
    moto_flag: Option<String>,
}

impl Row {
    fn new(
        metric: impl Into<String>,
        nimbus: Option<f64>,
        moto: Option<f64>,
        better: Better,
        target: &'static str,
    ) -> Self {
        Row {
            metric: metric.into(),
            nimbus,
            moto,
            better,
            target,
            nimbus_flag: None,
            moto_flag: None,
        }
    }

    /// A row of `(value, flag)` per server.
    fn flagged(
        metric: impl Into<String>,
        (nimbus, nimbus_flag): Cell,
        (moto, moto_flag): Cell,
        better: Better,
        target: &'static str,
    ) -> Self {
        Row {
            nimbus_flag,
            moto_flag,
            ..Row::new(metric, nimbus, moto, better, target)
        }
    }

    fn ratio(&self) -> Option<f64> {
        let partial = |flag: &Option<String>| flag.as_deref().is_some_and(|f| f != INVALID);
        if partial(&self.nimbus_flag) || partial(&self.moto_flag) {
            return None;
        }
        let (nimbus, moto) = (self.nimbus?, self.moto?);
        let ratio = match self.better {
            Better::Lower => moto / nimbus,
            Better::Higher => nimbus / moto,
            Better::Neither => return None,
        };
        // A zero or negative value (a wake-up before the send's answer) has no ratio.
        (ratio.is_finite() && ratio > 0.0).then_some(ratio)
    }

    fn cells(&self) -> [String; 5] {
        let value = |v: Option<f64>, flag: &Option<String>| match (v, flag) {
            (Some(v), Some(flag)) => format!("{} ({flag})", number(v)),
            (Some(v), None) => number(v),
            (None, Some(flag)) => flag.clone(),
            (None, None) => "-".to_owned(),
        };
        [
            self.metric.clone(),
            value(self.nimbus, &self.nimbus_flag),
            value(self.moto, &self.moto_flag),
            self.ratio()
                .map_or_else(|| "-".to_owned(), |r| format!("{}×", number(r))),
            self.target.to_owned(),
        ]
    }
}

/// Three significant digits or so, never scientific notation.
fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 100.0 || value == value.trunc() && magnitude < 1e15 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

const HEADER: [&str; 5] = ["metric", "nimbus", "moto", "ratio", "target"];

/// A whole run: what was measured, how, and where.
pub struct Report {
    pub nimbus: Option<ServerResults>,
    pub moto: Option<ServerResults>,
    /// Operations measured under load, with their throughput target.
    pub operations: Vec<(&'static str, &'static str)>,
    /// The S3 suite's sizes and scratch directory (Nimbus's data and `dd`'s file), if it ran.
    pub s3: Option<(S3Shape, PathBuf)>,
    /// The SQS suite's shape and scratch directory (Nimbus's data), if it ran.
    pub sqs: Option<(SqsShape, PathBuf)>,
    /// The DynamoDB suite's shape and scratch directory (Nimbus's data), if it ran.
    pub dynamodb: Option<(DynamoShape, PathBuf)>,
    /// The Logs suite's shape and scratch directory (Nimbus's data), if it ran.
    pub logs: Option<(LogsShape, PathBuf)>,
    /// The CloudWatch suite's shape and scratch directory (Nimbus's data), if it ran.
    pub cloudwatch: Option<(CloudWatchShape, PathBuf)>,
    pub shape: LoadShape,
    pub starts: usize,
    pub client_threads: usize,
    pub machine: Machine,
    pub date_utc: String,
}

impl Report {
    fn rows(&self) -> Vec<Row> {
        let both = |f: &dyn Fn(&ServerResults) -> Option<f64>| {
            (
                self.nimbus.as_ref().and_then(f),
                self.moto.as_ref().and_then(f),
            )
        };
        let mut rows = Vec::new();
        let (n, m) = both(&ServerResults::ready_median_ms);
        rows.push(Row::new(
            format!("ready time, median of {} starts (ms)", self.starts),
            n,
            m,
            Better::Lower,
            "≤ 20 ms",
        ));
        let (n, m) = both(&ServerResults::idle_rss_median_mib);
        rows.push(Row::new(
            "idle RSS, median (MiB)",
            n,
            m,
            Better::Lower,
            "≤ 15 MiB",
        ));

        for &(op, target) in &self.operations {
            let load = |f: &dyn Fn(&LoadResult) -> Option<f64>| {
                both(&|side: &ServerResults| side.load(op).and_then(f))
            };
            let flag = |side: &Option<ServerResults>| side.as_ref().and_then(|s| s.load_flag(op));
            let ms = |d: Option<Duration>| d.map(|d| d.as_secs_f64() * 1000.0);

            let (n, m) = load(&|l| Some(l.requests_per_second()));
            let mut throughput = Row::new(
                format!("{op} throughput (req/s)"),
                n,
                m,
                Better::Higher,
                target,
            );
            throughput.nimbus_flag = flag(&self.nimbus);
            throughput.moto_flag = flag(&self.moto);
            rows.push(throughput);
            let (n, m) = load(&|l| ms(l.latency_quantile(0.50)));
            rows.push(Row::new(
                format!("{op} latency p50 (ms)"),
                n,
                m,
                Better::Lower,
                "",
            ));
            let (n, m) = load(&|l| ms(l.latency_quantile(0.99)));
            rows.push(Row::new(
                format!("{op} latency p99 (ms)"),
                n,
                m,
                Better::Lower,
                "",
            ));
            let (n, m) = load(&|l| l.server_cpu_per_request().map(|d| d.as_secs_f64() * 1e6));
            rows.push(Row::new(
                format!("{op} server CPU per request (µs)"),
                n,
                m,
                Better::Lower,
                "",
            ));
            let (n, m) = load(&|l| Some(l.server_cpu_share()));
            rows.push(Row::new(
                format!("{op} server CPU used (cores)"),
                n,
                m,
                Better::Neither,
                "",
            ));
            let (n, m) = load(&|l| Some(l.client_cpu_share()));
            rows.push(Row::new(
                format!("{op} load generator CPU (cores)"),
                n,
                m,
                Better::Neither,
                "",
            ));
            let (n, m) = load(&|l| Some(l.errors as f64));
            rows.push(Row::new(format!("{op} errors"), n, m, Better::Neither, "0"));
        }

        let (n, m) = both(&|s| s.rss_after_load_kib.map(|k| k as f64 / 1024.0));
        if n.is_some() || m.is_some() {
            rows.push(Row::new(
                "RSS after the core load runs (MiB)",
                n,
                m,
                Better::Lower,
                "",
            ));
        }
        if let Some((shape, _)) = &self.s3 {
            rows.extend(self.s3_rows(shape));
        }
        if self.sqs.is_some() {
            rows.extend(self.sqs_rows());
        }
        rows.extend(self.dynamodb_rows());
        rows.extend(self.logs_rows());
        rows.extend(self.cloudwatch_rows());
        rows
    }

    fn sqs_rows(&self) -> Vec<Row> {
        // A server whose queues could not be set up shows why in every row.
        let cell = |side: &Option<ServerResults>, f: &dyn Fn(&SqsResults) -> Cell| match side
            .as_ref()
            .and_then(|s| s.sqs.as_ref())
        {
            None => (None, None),
            Some(sqs) => match &sqs.setup_failure {
                Some(failure) => (None, Some(failure.flag().to_owned())),
                None => f(sqs),
            },
        };
        let both = |f: &dyn Fn(&SqsResults) -> Cell| (cell(&self.nimbus, f), cell(&self.moto, f));
        let mut rows = Vec::new();
        type Pick = fn(&SqsResults) -> Option<&LoadResult>;
        let loads: [(&str, &'static str, Pick); 2] = [
            (sqs::SEND, "≥ 50,000 msg/s", |s| s.send.as_ref()),
            (sqs::RECEIVE_DELETE, "≥ 25,000 msg/s", |s| {
                s.receive_delete.as_ref()
            }),
        ];
        for (label, target, pick) in loads {
            // The load's own figure; "failed" when it did not run.
            let on_load = |f: &dyn Fn(&LoadResult) -> Option<f64>| {
                both(&|s| match pick(s) {
                    Some(load) => (f(load), None),
                    None => (None, Some("failed".to_owned())),
                })
            };
            let (n, m) = both(&|s| match pick(s) {
                None => (None, Some("failed".to_owned())),
                Some(load) => {
                    let flag = if load.counter(sqs::EMPTY_RECEIVES) > 0 {
                        // The rate is the queue's size, not the server's speed.
                        Some("ran dry".to_owned())
                    } else {
                        (load.errors > 0).then(|| INVALID.to_owned())
                    };
                    (Some(load.items_per_second()), flag)
                }
            });
            rows.push(Row::flagged(
                format!("{label} throughput (msg/s)"),
                n,
                m,
                Better::Higher,
                target,
            ));
            let what = if label == sqs::SEND {
                "request"
            } else {
                "receive+delete"
            };
            let ms = |d: Option<Duration>| d.map(|d| d.as_secs_f64() * 1000.0);
            for (q, name) in [(0.50, "p50"), (0.99, "p99")] {
                let (n, m) = on_load(&|l| ms(l.latency_quantile(q)));
                rows.push(Row::flagged(
                    format!("{label} latency per {what} {name} (ms)"),
                    n,
                    m,
                    Better::Lower,
                    "",
                ));
            }
            rows.extend(cost_rows(label, "message", LoadResult::server_cpu_per_item, &on_load));
            if label == sqs::RECEIVE_DELETE {
                let (n, m) = on_load(&|l| Some(l.counter(sqs::EMPTY_RECEIVES) as f64));
                rows.push(Row::flagged(
                    format!("{label} empty receives in the window"),
                    n,
                    m,
                    Better::Neither,
                    "0",
                ));
            }
        }

        let on_long_poll = |f: &dyn Fn(&LongPollResults) -> Option<f64>| {
            both(&|s| match &s.long_poll {
                None => (None, Some("failed".to_owned())),
                Some(lp) => match long_poll_flag(lp) {
                    Some(flag) if lp.wake_ups.is_empty() => (None, Some(flag)),
                    flag => (f(lp), flag),
                },
            })
        };
        let wake = "SQS long-poll wake-up, receive answer − send answer";
        for (q, name, target) in [(0.50, "p50", ""), (0.99, "p99", "≤ 5 ms"), (1.0, "max", "")] {
            let (n, m) = on_long_poll(&|lp| lp.after_answer_ms(q));
            rows.push(Row::flagged(
                format!("{wake}, {name} (ms)"),
                n,
                m,
                Better::Lower,
                target,
            ));
        }
        let wake = "SQS long-poll wake-up, receive answer − send start";
        for (q, name) in [(0.50, "p50"), (0.99, "p99")] {
            let (n, m) = on_long_poll(&|lp| lp.after_start_ms(q));
            rows.push(Row::flagged(
                format!("{wake}, {name} (ms)"),
                n,
                m,
                Better::Lower,
                "",
            ));
        }
        let (n, m) = both(&|s| match &s.long_poll {
            None => (None, Some("failed".to_owned())),
            Some(lp) => (
                Some(lp.failed() as f64),
                lp.gave_up.as_ref().map(|_| "gave up".to_owned()),
            ),
        });
        rows.push(Row::flagged(
            "SQS long-poll rounds failed",
            n,
            m,
            Better::Neither,
            "0",
        ));
        let (n, m) = both(&|s| (s.rss_after_kib.map(|k| k as f64 / 1024.0), None));
        rows.push(Row::flagged(
            "RSS after the SQS loads (MiB)",
            n,
            m,
            Better::Lower,
            "",
        ));
        rows
    }

    fn s3_rows(&self, shape: &S3Shape) -> Vec<Row> {
        let cell = |side: &Option<ServerResults>, f: &dyn Fn(&S3Results) -> Cell| {
            side.as_ref()
                .and_then(|s| s.s3.as_ref())
                .map_or((None, None), f)
        };
        let both = |f: &dyn Fn(&S3Results) -> Cell| (cell(&self.nimbus, f), cell(&self.moto, f));
        let mib = shape.large_mib;
        let large = mib * MIB;
        let mut rows = Vec::new();
        let (n, m) = both(&|s| {
            let rss = s.rss_after_small_loads_kib.map(|k| k as f64 / 1024.0);
            (rss, None)
        });
        rows.push(Row::flagged(
            "RSS after the S3 4 KiB load runs (MiB)",
            n,
            m,
            Better::Lower,
            "",
        ));
        let (n, m) = both(&|s| repeats_cell(&s.large_put, large));
        rows.push(Row::flagged(
            format!(
                "S3 {mib} MiB PUT, median of {} (MiB/s)",
                shape.large_repeats
            ),
            n,
            m,
            Better::Higher,
            "",
        ));
        let (n, m) = both(&|s| repeats_cell(&s.dd, large));
        rows.push(Row::flagged(
            format!("dd conv=fsync {mib} MiB, same filesystem, median (MiB/s)"),
            n,
            m,
            Better::Neither,
            "",
        ));
        let (n, m) = both(&|s| {
            let (put, put_flag) = repeats_cell(&s.large_put, large);
            let (dd, dd_flag) = repeats_cell(&s.dd, large);
            let share = put.zip(dd).map(|(put, dd)| put / dd * 100.0);
            (share, put_flag.or(dd_flag))
        });
        rows.push(Row::flagged(
            format!("S3 {mib} MiB PUT as % of dd"),
            n,
            m,
            Better::Higher,
            "≥ 80 %",
        ));
        let (n, m) = both(&|s| repeats_cell(&s.md5, large));
        rows.push(Row::flagged(
            format!("MD5 of {mib} MiB, one stream on this CPU, median (MiB/s)"),
            n,
            m,
            Better::Neither,
            "",
        ));
        let (n, m) = both(&|s| {
            let (put, put_flag) = repeats_cell(&s.large_put, large);
            let (md5, md5_flag) = repeats_cell(&s.md5, large);
            (put.zip(md5).map(|(put, md5)| put / md5 * 100.0), put_flag.or(md5_flag))
        });
        rows.push(Row::flagged(
            format!("S3 {mib} MiB PUT as % of one MD5 stream"),
            n,
            m,
            Better::Higher,
            "",
        ));
        let (n, m) = both(&|s| repeats_cell(&s.large_get, large));
        rows.push(Row::flagged(
            format!(
                "S3 {mib} MiB GET, median of {} (MiB/s)",
                shape.large_repeats
            ),
            n,
            m,
            Better::Higher,
            "≥ 1024 MiB/s",
        ));

        let uploads = format!(
            "{} × {} MiB uploads",
            shape.upload_clients, shape.upload_mib
        );
        let (n, m) = both(&|s| {
            on_uploads(s, |u| {
                let peak = (u.peak_rss_kib > 0).then(|| u.peak_rss_kib as f64 / 1024.0);
                (peak, uploads_flag(u))
            })
        });
        rows.push(Row::flagged(
            format!("peak RSS during {uploads} (MiB)"),
            n,
            m,
            Better::Lower,
            "< 64 MiB",
        ));
        let (n, m) = both(&|s| {
            on_uploads(s, |u| match uploads_flag(u) {
                // A rate over uploads that did not all finish would flatter the server.
                Some(flag) => (None, Some(flag)),
                None => (Some(mib_per_second(u.bytes_acknowledged, u.elapsed)), None),
            })
        });
        rows.push(Row::flagged(
            format!("{uploads}, together (MiB/s)"),
            n,
            m,
            Better::Higher,
            "",
        ));
        // Uploads cut short count as failed; the flag says why.
        let (n, m) = both(&|s| {
            on_uploads(s, |u| {
                let why = u.stopped.is_some().then(|| uploads_flag(u)).flatten();
                (Some(u.failed as f64), why)
            })
        });
        rows.push(Row::flagged(
            format!("{uploads}: failed"),
            n,
            m,
            Better::Neither,
            "0",
        ));
        rows
    }

    /// The table, aligned for a terminal.
    pub fn text_table(&self) -> String {
        let cells: Vec<[String; 5]> = self.rows().iter().map(Row::cells).collect();
        let mut widths = HEADER.map(|h| h.chars().count());
        for row in &cells {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |row: &[String; 5]| {
            let mut out = String::new();
            for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
                let pad = " ".repeat(width - cell.chars().count());
                // Metric names read left-aligned, numbers right-aligned.
                if column == 0 {
                    write!(out, "{cell}{pad}")
                } else {
                    write!(out, "  {pad}{cell}")
                }
                .expect("writing to a String");
            }
            out.trim_end().to_owned() + "\n"
        };
        let mut out = line(&HEADER.map(str::to_owned));
        out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
        out.push('\n');
        for row in &cells {
            out.push_str(&line(row));
        }
        out.push_str(&self.notes());
        out
    }

    /// The table plus the date, machine, versions and per-start details, in Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(out, "Run on {} (UTC).\n", self.date_utc);
        let _ = writeln!(
            out,
            "- Machine: {} CPUs ({}), {:.1} GiB RAM, Linux {}",
            m.cpus, m.cpu_model, m.memory_gib, m.kernel
        );
        for (name, side) in [("Nimbus", &self.nimbus), ("moto", &self.moto)] {
            if let Some(side) = side {
                let _ = writeln!(out, "- {name}: {}", side.version);
            }
        }
        let _ = writeln!(
            out,
            "- Load: {} concurrent HTTP/1.1 connections (kept alive unless the server closes them), closed loop, {} s warm-up then a {} s window per operation; \
             load generator on {} thread{} of the same machine",
            self.shape.connections,
            self.shape.warmup.as_secs_f64(),
            self.shape.window.as_secs_f64(),
            self.client_threads,
            if self.client_threads == 1 { "" } else { "s" },
        );
        let _ = writeln!(
            out,
            "- Ready time and idle RSS: {} starts of each server",
            self.starts
        );
        if let Some((shape, scratch)) = &self.s3 {
            let _ = writeln!(
                out,
                "- S3: path-style requests to bucket `{}`, SigV4 with `test`/`test`; the 4 KiB GET is presigned (only `Host` signed), \
                 the 4 KiB PUT header-signed with the body's SHA-256 (same key overwritten), the large transfers header-signed `UNSIGNED-PAYLOAD` and streamed in 1 MiB slices, \
                 each on a new connection, timed from the request to the end of the answer. \
                 Nimbus runs with a durable `--data-dir` (each acknowledged PUT is fsync'd) in {}, where `dd if=/dev/zero bs=1M conv=fsync` writes too, timed from spawn to exit \
                 (moto keeps objects in memory). {} MiB PUT (ETag checked against the body's MD5) {} times, one `dd` after each; \
                 one untimed GET checks the content, then {} timed GETs count the bytes; {} clients upload {} MiB each at once, VmRSS sampled every 50 ms",
                s3::BUCKET,
                scratch.display(),
                shape.large_mib,
                shape.large_repeats,
                shape.large_repeats,
                shape.upload_clients,
                shape.upload_mib,
            );
        }
        if let Some((shape, scratch)) = &self.sqs {
            let _ = writeln!(
                out,
                "- SQS: JSON protocol (`X-Amz-Target: AmazonSQS.*`, awsJson 1.0, `x-amzn-query-mode: true`), SigV4 with `test`/`test`; \
                 {} closed-loop clients (kept alive unless the server closes them), {} s warm-up then a {} s window per load: \
                 SendMessageBatch of {} × {}-byte messages to `{}` (signed once, replayed), then ReceiveMessage (up to {}, `WaitTimeSeconds=0`) \
                 followed by DeleteMessageBatch of the handles received (signed per request) on what the sends left; \
                 long-poll wake-up: {} rounds of ReceiveMessage `WaitTimeSeconds=20` on the empty `{}`, one SendMessage on another connection {} ms later. \
                 Nimbus runs with a durable `--data-dir` in {} (moto keeps queues in memory)",
                shape.clients,
                self.shape.warmup.as_secs_f64(),
                self.shape.window.as_secs_f64(),
                sqs::BATCH,
                sqs::BODY_BYTES,
                sqs::QUEUE,
                sqs::BATCH,
                shape.long_polls,
                sqs::LONG_POLL_QUEUE,
                shape.park.as_millis(),
                scratch.display(),
            );
        }
        if let Some((shape, scratch)) = &self.dynamodb {
            out.push_str(&dynamodb::description(shape, scratch, &self.shape));
            out.push('\n');
        }
        if let Some((shape, scratch)) = &self.logs {
            out.push_str(&logs::description(shape, scratch, &self.shape));
            out.push('\n');
        }
        if let Some((shape, scratch)) = &self.cloudwatch {
            out.push_str(&cloudwatch::description(shape, scratch, &self.shape));
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "- Ratio: moto / nimbus for times, memory and CPU, nimbus / moto for throughput: \
             above 1 means Nimbus is better\n"
        );
        let _ = writeln!(out, "| {} |", HEADER.join(" | "));
        let _ = writeln!(out, "|---|---:|---:|---:|---|");
        for row in self.rows() {
            let _ = writeln!(out, "| {} |", row.cells().join(" | "));
        }
        out.push_str(&self.notes());
        out
    }

    /// Per-start figures and any errors, under the table.
    fn notes(&self) -> String {
        let mut out = String::from("\n");
        for (name, side) in [("nimbus", &self.nimbus), ("moto", &self.moto)] {
            let Some(side) = side else { continue };
            let ready: Vec<String> = side
                .ready
                .iter()
                .map(|d| number(d.as_secs_f64() * 1000.0))
                .collect();
            let rss: Vec<String> = side
                .idle_rss_kib
                .iter()
                .map(|k| number(*k as f64 / 1024.0))
                .collect();
            let _ = writeln!(
                out,
                "- {name}: ready per start (ms): {}; idle RSS per start (MiB): {}",
                ready.join(", "),
                rss.join(", ")
            );
            for (operation, load) in &side.loads {
                let _ = writeln!(
                    out,
                    "- {name}: {operation}: {} requests in {} s over {} new connections",
                    load.requests,
                    load.window.as_secs_f64(),
                    load.connections_opened,
                );
                for (kind, count) in &load.error_kinds {
                    let _ = writeln!(out, "- {name}: {operation}: {count} × {kind}");
                }
            }
            for (operation, why) in &side.load_failures {
                let _ = writeln!(out, "- {name}: {operation}: not run: {why}");
            }
            if let Some(s3) = &side.s3 {
                for failure in &s3.failures {
                    let _ = writeln!(out, "- {name}: S3: {failure}");
                }
            }
            if let Some(sqs) = &side.sqs {
                out.push_str(&sqs_notes(name, sqs));
            }
            if let Some(results) = &side.dynamodb {
                out.push_str(&dynamodb::notes(name, results));
            }
            if let Some(results) = &side.logs {
                out.push_str(&logs::notes(name, results));
            }
            if let Some(results) = &side.cloudwatch {
                out.push_str(&cloudwatch::notes(name, results));
            }
        }
        out
    }
}

/// The SQS suite's counts, backlog and failures, under the table.
fn sqs_notes(name: &str, results: &SqsResults) -> String {
    let mut out = String::new();
    if let Some(failure) = &results.setup_failure {
        let what = if failure.not_implemented {
            format!("not implemented on {name}")
        } else {
            "not run".to_owned()
        };
        let _ = writeln!(out, "- {name}: SQS: {what}: {}", failure.why);
        return out;
    }
    for (label, load) in [
        (sqs::SEND, &results.send),
        (sqs::RECEIVE_DELETE, &results.receive_delete),
    ] {
        let Some(load) = load else { continue };
        let _ = writeln!(
            out,
            "- {name}: {label}: {} messages in {} requests{} in {} s over {} new connections",
            load.items,
            load.requests,
            if label == sqs::SEND {
                ""
            } else {
                " (receive+delete pairs)"
            },
            load.window.as_secs_f64(),
            load.connections_opened,
        );
        for (kind, count) in &load.error_kinds {
            let _ = writeln!(out, "- {name}: {label}: {count} × {kind}");
        }
    }
    if results.receive_delete.is_some() {
        let count = |n: Option<u64>| n.map_or_else(|| "unknown".to_owned(), |n| n.to_string());
        let _ = writeln!(
            out,
            "- {name}: {}: {} messages in the queue before, {} after{}",
            sqs::RECEIVE_DELETE,
            count(results.backlog_before),
            count(results.backlog_after),
            match results.dry_reruns {
                0 => String::new(),
                n => format!(
                    " (run {} times: the earlier runs ran dry and the queue was topped up)",
                    n + 1
                ),
            },
        );
    }
    if let Some(lp) = &results.long_poll {
        let _ = writeln!(
            out,
            "- {name}: SQS long-poll: {} wake-ups measured in {} rounds",
            lp.wake_ups.len(),
            lp.rounds
        );
        for (why, count) in &lp.failures {
            let _ = writeln!(out, "- {name}: SQS long-poll: {count} × {why}");
        }
        if let Some(why) = &lp.gave_up {
            let _ = writeln!(out, "- {name}: SQS long-poll: {why}");
        }
    }
    for failure in &results.failures {
        let _ = writeln!(out, "- {name}: SQS: {failure}");
    }
    out
}

/// Why the long-poll figures are not the whole story, if they are not: partial when the
/// phase gave up, marked invalid when some rounds failed.
fn long_poll_flag(results: &LongPollResults) -> Option<String> {
    if results.gave_up.is_some() || results.wake_ups.is_empty() {
        Some("failed".to_owned())
    } else if results.failed() > 0 {
        Some(INVALID.to_owned())
    } else {
        None
    }
}

/// The median rate of a repeated transfer of `bytes`, and a word on failed repeats.
fn repeats_cell(repeats: &Repeats, bytes: u64) -> Cell {
    let rate = median(repeats.times.iter().map(Duration::as_secs_f64).collect())
        .map(|secs| mib_per_second(bytes, Duration::from_secs_f64(secs)));
    let flag = match (repeats.failed, repeats.times.len()) {
        (0, _) => None,
        (_, 0) => Some("failed".to_owned()),
        (failed, done) => Some(format!("{failed} of {} failed", failed + done)),
    };
    (rate, flag)
}

/// A cell from the concurrent uploads' results, empty if they did not run.
fn on_uploads(results: &S3Results, f: impl Fn(&UploadResults) -> Cell) -> Cell {
    results.uploads.as_ref().map_or((None, None), f)
}

/// Why the concurrent uploads' figures are not the whole story, if they are not.
fn uploads_flag(uploads: &UploadResults) -> Option<String> {
    match (uploads.stopped, uploads.failed) {
        (Some(Stopped::TimedOut(_)), _) => Some("timed out".to_owned()),
        (Some(Stopped::RssCap { .. }), _) => Some("hit RSS cap".to_owned()),
        (None, 0) => None,
        (None, _) => Some("failed".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn numbers_keep_about_three_digits() {
        assert_eq!(number(12345.6), "12346");
        assert_eq!(number(42.37), "42.4");
        assert_eq!(number(0.7812), "0.78");
        assert_eq!(number(3.0), "3");
    }

    #[test]
    fn flags_go_next_to_or_instead_of_values() {
        let row = Row::flagged(
            "m",
            (Some(239.0), Some("invalid".to_owned())),
            (None, Some("timed out".to_owned())),
            Better::Higher,
            "",
        );
        let cells = row.cells();
        assert_eq!(cells[1], "239 (invalid)");
        assert_eq!(cells[2], "timed out");
        assert_eq!(cells[3], "-");
        // An invalid run keeps its ratio; a value cut short by a cap does not.
        let invalid = Row::flagged(
            "m",
            (Some(300.0), None),
            (Some(100.0), Some(INVALID.to_owned())),
            Better::Higher,
            "",
        );
        assert_eq!(invalid.ratio(), Some(3.0));
        let capped = Row::flagged(
            "m",
            (Some(60.0), None),
            (Some(8225.0), Some("hit RSS cap".to_owned())),
            Better::Lower,
            "",
        );
        assert_eq!(capped.ratio(), None);
        assert_eq!(Row::new("m", None, None, Better::Lower, "").cells()[1], "-");
    }

    #[test]
    fn repeats_give_the_median_rate_and_say_what_failed() {
        let secs = |s: &[u64]| s.iter().map(|&s| Duration::from_secs(s)).collect();
        let all = Repeats {
            times: secs(&[1, 4, 2]),
            failed: 0,
        };
        assert_eq!(repeats_cell(&all, 64 * MIB), (Some(32.0), None));
        let some = Repeats {
            times: secs(&[2]),
            failed: 2,
        };
        assert_eq!(
            repeats_cell(&some, 64 * MIB),
            (Some(32.0), Some("2 of 3 failed".to_owned()))
        );
        let none = Repeats {
            times: vec![],
            failed: 5,
        };
        assert_eq!(
            repeats_cell(&none, 64 * MIB),
            (None, Some("failed".to_owned()))
        );
    }

    #[test]
    fn uploads_that_did_not_all_finish_are_flagged() {
        let uploads = |failed, stopped| UploadResults {
            peak_rss_kib: 1024,
            elapsed: Duration::from_secs(1),
            bytes_acknowledged: 0,
            failed,
            stopped,
        };
        assert_eq!(uploads_flag(&uploads(0, None)), None);
        assert_eq!(uploads_flag(&uploads(2, None)).as_deref(), Some("failed"));
        let timed_out = Some(Stopped::TimedOut(Duration::from_secs(300)));
        assert_eq!(
            uploads_flag(&uploads(8, timed_out)).as_deref(),
            Some("timed out")
        );
        let capped = Some(Stopped::RssCap { mib: 8192 });
        assert_eq!(
            uploads_flag(&uploads(8, capped)).as_deref(),
            Some("hit RSS cap")
        );
    }

    #[test]
    fn sqs_rows_say_why_a_server_has_no_figures() {
        use crate::sqs::{SetupFailure, WakeUp};
        let server = |sqs| ServerResults {
            version: "v".to_owned(),
            ready: vec![],
            idle_rss_kib: vec![],
            loads: vec![],
            load_failures: vec![],
            rss_after_load_kib: None,
            s3: None,
            sqs: Some(sqs),
            dynamodb: None,
            logs: None,
            cloudwatch: None,
        };
        let not_implemented = SqsResults::not_run(SetupFailure {
            not_implemented: true,
            why: "HTTP 501".to_owned(),
        });
        let wake_up = |answer_us, start_us| WakeUp {
            send_took: Duration::from_micros(start_us - answer_us),
            receive_after_send_start: Duration::from_micros(start_us),
        };
        let mut long_poll = LongPollResults {
            rounds: 3,
            wake_ups: vec![wake_up(100, 900), wake_up(300, 1100)],
            ..LongPollResults::default()
        };
        long_poll.failures.insert("answered empty".to_owned(), 1);
        // moto's sends "failed" (no result), its long polls ran with one failed round.
        let moto = SqsResults {
            long_poll: Some(long_poll),
            ..SqsResults::default()
        };
        let shape = LoadShape {
            connections: 8,
            warmup: Duration::from_secs(1),
            window: Duration::from_secs(5),
        };
        let report = Report {
            nimbus: Some(server(not_implemented)),
            moto: Some(server(moto)),
            operations: vec![],
            s3: None,
            sqs: Some((
                SqsShape {
                    clients: 8,
                    long_polls: 3,
                    park: Duration::from_millis(100),
                },
                PathBuf::from("/tmp/x"),
            )),
            dynamodb: None,
            logs: None,
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
        };
        let rows = report.sqs_rows();
        let cells = |metric: &str| {
            rows.iter()
                .find(|row| row.metric.starts_with(metric))
                .map(Row::cells)
                .unwrap_or_else(|| panic!("no row {metric}"))
        };
        let send = cells("SQS SendMessageBatch ×10 throughput");
        assert_eq!(
            (send[1].as_str(), send[2].as_str()),
            ("not implemented", "failed")
        );
        let p99 = cells("SQS long-poll wake-up, receive answer − send answer, p99");
        assert_eq!(
            (p99[1].as_str(), p99[2].as_str()),
            ("not implemented", "0.30 (invalid)")
        );
        let notes = report.notes();
        assert!(notes.contains("- nimbus: SQS: not implemented on nimbus: HTTP 501"));
        assert!(notes.contains("- moto: SQS long-poll: 1 × answered empty"));
    }

    #[test]
    fn ratio_is_above_one_when_nimbus_is_better() {
        let time = Row::new("t", Some(10.0), Some(500.0), Better::Lower, "");
        assert_eq!(time.ratio(), Some(50.0));
        let throughput = Row::new("q", Some(20_000.0), Some(400.0), Better::Higher, "");
        assert_eq!(throughput.ratio(), Some(50.0));
        let missing = Row::new("m", Some(1.0), None, Better::Higher, "");
        assert_eq!(missing.ratio(), None);
    }
}
