//! Turns the measurements of both servers into one table: plain text for the terminal,
//! Markdown (with date, machine and versions) for BENCHMARKS.md.

use std::fmt::Write as _;
use std::time::Duration;

use crate::load::{LoadResult, LoadShape};
use crate::procfs::Machine;

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
    /// VmRSS right after the last throughput run, in KiB.
    pub rss_after_load_kib: u64,
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

struct Row {
    metric: String,
    nimbus: Option<f64>,
    moto: Option<f64>,
    better: Better,
    target: &'static str,
    /// Appended to a value cell that must not be trusted (errors during its run).
    nimbus_flag: &'static str,
    moto_flag: &'static str,
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
            nimbus_flag: "",
            moto_flag: "",
        }
    }

    fn ratio(&self) -> Option<f64> {
        let (nimbus, moto) = (self.nimbus?, self.moto?);
        let ratio = match self.better {
            Better::Lower => moto / nimbus,
            Better::Higher => nimbus / moto,
            Better::Neither => return None,
        };
        ratio.is_finite().then_some(ratio)
    }

    fn cells(&self) -> [String; 5] {
        let value = |v: Option<f64>, flag: &str| {
            v.map_or_else(|| "-".to_owned(), |v| format!("{}{flag}", number(v)))
        };
        [
            self.metric.clone(),
            value(self.nimbus, self.nimbus_flag),
            value(self.moto, self.moto_flag),
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
    pub operations: Vec<&'static str>,
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

        for operation in &self.operations {
            let op = *operation;
            let load = |f: &dyn Fn(&LoadResult) -> Option<f64>| {
                both(&|side: &ServerResults| side.load(op).and_then(f))
            };
            let flag = |side: &Option<ServerResults>| {
                if side
                    .as_ref()
                    .and_then(|s| s.load(op))
                    .is_some_and(|l| l.errors > 0)
                {
                    " (invalid)"
                } else {
                    ""
                }
            };
            let ms = |d: Option<Duration>| d.map(|d| d.as_secs_f64() * 1000.0);

            let (n, m) = load(&|l| Some(l.requests_per_second()));
            let mut throughput = Row::new(
                format!("{op} throughput (req/s)"),
                n,
                m,
                Better::Higher,
                "≥ 20×",
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

        let (n, m) = both(&|s| Some(s.rss_after_load_kib as f64 / 1024.0));
        rows.push(Row::new(
            "RSS after the load runs (MiB)",
            n,
            m,
            Better::Lower,
            "",
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
        }
        out
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
    fn ratio_is_above_one_when_nimbus_is_better() {
        let time = Row::new("t", Some(10.0), Some(500.0), Better::Lower, "");
        assert_eq!(time.ratio(), Some(50.0));
        let throughput = Row::new("q", Some(20_000.0), Some(400.0), Better::Higher, "");
        assert_eq!(throughput.ratio(), Some(50.0));
        let missing = Row::new("m", Some(1.0), None, Better::Higher, "");
        assert_eq!(missing.ratio(), None);
    }
}
