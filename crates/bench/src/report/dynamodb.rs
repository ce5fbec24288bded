//! The DynamoDB suite's rows, notes and description in the report.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::{Better, Cell, INVALID, Report, Row, ServerResults, cost_rows, number};
use crate::dynamodb::{self, BulkLoad, DynamoResults, DynamoShape, QueryResults};
use crate::load::{LoadResult, LoadShape};
use crate::sqs::SetupFailure;

/// The flag of a table load the cap stopped: its figures cover part of the items.
pub(super) const DID_NOT_FINISH: &str = "did not finish";

/// A cell from one measurement, or the word for why it has none.
pub(super) fn on<T>(measured: &Result<T, SetupFailure>, f: impl Fn(&T) -> Cell) -> Cell {
    match measured {
        Ok(measured) => f(measured),
        Err(failure) => (None, Some(failure.flag().to_owned())),
    }
}

pub(super) fn ms(d: Option<Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64() * 1000.0)
}

pub(super) fn micros(d: Option<Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64() * 1e6)
}

/// Why a table load's figures are not the whole story, if they are not.
fn bulk_flag(load: &BulkLoad) -> Option<String> {
    if load.stopped_at_cap {
        Some(DID_NOT_FINISH.to_owned())
    } else if load.failed > 0 || load.errors() > 0 {
        Some(INVALID.to_owned())
    } else {
        None
    }
}

fn query_flag(query: &QueryResults) -> Option<String> {
    (query.errors() > 0).then(|| INVALID.to_owned())
}

impl Report {
    pub(super) fn dynamodb_rows(&self) -> Vec<Row> {
        let Some((shape, _)) = &self.dynamodb else {
            return Vec::new();
        };
        let cell = |side: &Option<ServerResults>, f: &dyn Fn(&DynamoResults) -> Cell| {
            side.as_ref()
                .and_then(|s| s.dynamodb.as_ref())
                .map_or((None, None), f)
        };
        let both =
            |f: &dyn Fn(&DynamoResults) -> Cell| (cell(&self.nimbus, f), cell(&self.moto, f));
        let mut rows = Vec::new();
        let push = |rows: &mut Vec<Row>, metric: String, (n, m): (Cell, Cell), better, target| {
            rows.push(Row::flagged(metric, n, m, better, target));
        };

        type Pick = fn(&DynamoResults) -> &Result<LoadResult, SetupFailure>;
        let loads: [(&str, Pick); 2] = [(dynamodb::PUT, |r| &r.put), (dynamodb::GET, |r| &r.get)];
        for (label, pick) in loads {
            let on_load = |f: &dyn Fn(&LoadResult) -> Option<f64>| {
                both(&|r| on(pick(r), |load| (f(load), None)))
            };
            let throughput = both(&|r| {
                on(pick(r), |load| {
                    let flag = (load.errors > 0).then(|| INVALID.to_owned());
                    (Some(load.requests_per_second()), flag)
                })
            });
            push(
                &mut rows,
                format!("{label} throughput (req/s)"),
                throughput,
                Better::Higher,
                "≥ 30× moto",
            );
            for (q, name) in [(0.50, "p50"), (0.99, "p99")] {
                let latency = on_load(&|l| ms(l.latency_quantile(q)));
                push(
                    &mut rows,
                    format!("{label} latency {name} (ms)"),
                    latency,
                    Better::Lower,
                    "",
                );
            }
            rows.extend(cost_rows(label, "request", LoadResult::server_cpu_per_request, &on_load));
        }

        let bulk = format!("DynamoDB BatchWriteItem load of {} items", shape.items);
        let on_bulk =
            |f: &dyn Fn(&BulkLoad) -> Option<f64>| both(&|r| on(&r.bulk, |l| (f(l), None)));
        let flagged_bulk =
            |f: &dyn Fn(&BulkLoad) -> Option<f64>| both(&|r| on(&r.bulk, |l| (f(l), bulk_flag(l))));
        let elapsed = flagged_bulk(&|l| Some(l.elapsed.as_secs_f64()));
        push(
            &mut rows,
            format!("{bulk}: elapsed (s)"),
            elapsed,
            Better::Lower,
            "< 60 s",
        );
        let loaded = both(&|r| {
            on(&r.bulk, |l| {
                let flag = l.stopped_at_cap.then(|| DID_NOT_FINISH.to_owned());
                (Some(l.loaded as f64), flag)
            })
        });
        push(&mut rows, format!("{bulk}: items loaded"), loaded, Better::Neither, "");
        let rate = flagged_bulk(&|l| Some(l.items_per_second()));
        push(
            &mut rows,
            format!("{bulk}: throughput (items/s)"),
            rate,
            Better::Higher,
            "",
        );
        for (q, name) in [(0.50, "p50"), (0.99, "p99")] {
            let latency = on_bulk(&|l| l.latency_ms(q));
            push(
                &mut rows,
                format!("{bulk}: latency per request of 25 {name} (ms)"),
                latency,
                Better::Lower,
                "",
            );
        }
        let cpu = on_bulk(&|l| micros(l.server_cpu_per_item()));
        push(
            &mut rows,
            format!("{bulk}: server CPU per item (µs)"),
            cpu,
            Better::Lower,
            "",
        );
        let cores = on_bulk(&|l| Some(l.server_cpu_share()));
        push(
            &mut rows,
            format!("{bulk}: server CPU used (cores)"),
            cores,
            Better::Neither,
            "",
        );
        let client = on_bulk(&|l| Some(l.client_cpu_share()));
        push(
            &mut rows,
            format!("{bulk}: load generator CPU (cores)"),
            client,
            Better::Neither,
            "",
        );
        let resent = on_bulk(&|l| Some(l.resent as f64));
        push(
            &mut rows,
            format!("{bulk}: items resent from UnprocessedItems"),
            resent,
            Better::Neither,
            "",
        );
        let failed = on_bulk(&|l| Some(l.failed as f64));
        push(
            &mut rows,
            format!("{bulk}: items failed"),
            failed,
            Better::Neither,
            "0",
        );

        let query = "DynamoDB Query of a 100-item partition";
        let on_query = |f: &dyn Fn(&QueryResults) -> Option<f64>| {
            both(&|r| on(&r.query, |q| (f(q), query_flag(q))))
        };
        for (q, name, target) in [(0.50, "p50", ""), (0.99, "p99", "≤ 2 ms"), (1.0, "max", "")] {
            let latency = on_query(&|results| results.latency_ms(q));
            push(
                &mut rows,
                format!("{query} latency {name} (ms)"),
                latency,
                Better::Lower,
                target,
            );
        }
        let rate = on_query(&|q| Some(q.queries_per_second()));
        push(
            &mut rows,
            format!("{query} throughput, one client (queries/s)"),
            rate,
            Better::Higher,
            "",
        );
        let cpu = on_query(&|q| micros(q.server_cpu_per_query()));
        push(
            &mut rows,
            format!("{query} server CPU per query (µs)"),
            cpu,
            Better::Lower,
            "",
        );
        let errors = both(&|r| on(&r.query, |q| (Some(q.errors() as f64), None)));
        push(
            &mut rows,
            format!("{query} errors (wrong counts included)"),
            errors,
            Better::Neither,
            "0",
        );

        let rss = both(&|r| (r.rss_after_kib.map(|k| k as f64 / 1024.0), None));
        push(
            &mut rows,
            "RSS after the DynamoDB loads (MiB)".to_owned(),
            rss,
            Better::Lower,
            "",
        );
        rows
    }
}

/// The DynamoDB suite's line in the Markdown header.
pub(super) fn description(shape: &DynamoShape, scratch: &Path, load: &LoadShape) -> String {
    format!(
        "- DynamoDB: JSON protocol (`X-Amz-Target: DynamoDB_20120810.*`, awsJson 1.0), SigV4 with `test`/`test`, table `{}` (`pk` S, `sk` N, on demand); \
         {} closed-loop clients, {} s warm-up then a {} s window: PutItem of a 200-byte item (signed once, replayed, overwriting it) and GetItem of another \
         (each answer compared with the item); then BatchWriteItem of {} items of ~110 bytes, {} per request (signed per request, `UnprocessedItems` resent), \
         from the same clients at once, stopped after {} s; then {} Queries (`pk = :p`, 100 items each) on random loaded partitions, one client, closed loop, \
         each answer's Count checked, stopped after {} s. Nimbus runs with a durable `--data-dir` in {} (moto keeps tables in memory)",
        dynamodb::TABLE,
        shape.clients,
        load.warmup.as_secs_f64(),
        load.window.as_secs_f64(),
        shape.items,
        dynamodb::BATCH,
        shape.load_cap.as_secs(),
        shape.queries,
        shape.load_cap.as_secs(),
        scratch.display(),
    )
}

/// The DynamoDB suite's counts and failures, under the table.
pub(super) fn notes(name: &str, results: &DynamoResults) -> String {
    let mut out = String::new();
    // A failure shared by several measurements (the table could not be made) is said once.
    let mut said = Vec::new();
    for (label, load) in [(dynamodb::PUT, &results.put), (dynamodb::GET, &results.get)] {
        match load {
            Ok(load) => {
                let _ = writeln!(
                    out,
                    "- {name}: {label}: {} requests in {} s over {} new connections",
                    load.requests,
                    load.window.as_secs_f64(),
                    load.connections_opened,
                );
                for (kind, count) in &load.error_kinds {
                    let _ = writeln!(out, "- {name}: {label}: {count} × {kind}");
                }
            }
            Err(why) => say_failure(&mut out, &mut said, name, label, why),
        }
    }
    let what = "DynamoDB BatchWriteItem load";
    match &results.bulk {
        Ok(load) => {
            let _ = writeln!(
                out,
                "- {name}: {what}: {} of {} items in {} requests (resends included), {} s{}",
                load.loaded,
                load.items,
                load.requests,
                number(load.elapsed.as_secs_f64()),
                if load.stopped_at_cap {
                    "; stopped at the cap"
                } else {
                    ""
                },
            );
            for (kind, count) in &load.error_kinds {
                let _ = writeln!(out, "- {name}: {what}: {count} × {kind}");
            }
        }
        Err(why) => say_failure(&mut out, &mut said, name, what, why),
    }
    let what = "DynamoDB Query";
    match &results.query {
        Ok(query) => {
            let _ = writeln!(
                out,
                "- {name}: {what}: {} of {} queries answered with the loaded count, drawn from {} partitions{}{}",
                query.answered,
                query.sent,
                query.partitions,
                if query.partial_table {
                    " (the table held what the load wrote before its cap)"
                } else {
                    ""
                },
                if query.stopped_at_cap {
                    "; stopped at the cap"
                } else {
                    ""
                },
            );
            for (kind, count) in &query.error_kinds {
                let _ = writeln!(out, "- {name}: {what}: {count} × {kind}");
            }
        }
        Err(why) => say_failure(&mut out, &mut said, name, what, why),
    }
    out
}

/// One measurement's failure, unless the same was said already.
pub(super) fn say_failure<'a>(
    out: &mut String,
    said: &mut Vec<&'a str>,
    name: &str,
    what: &str,
    failure: &'a SetupFailure,
) {
    if said.contains(&failure.why.as_str()) {
        return;
    }
    let _ = if failure.not_implemented {
        writeln!(
            out,
            "- {name}: {what}: not implemented on {name}: {}",
            failure.why
        )
    } else {
        writeln!(out, "- {name}: {what}: not run: {}", failure.why)
    };
    said.push(&failure.why);
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::procfs::Machine;

    fn server(dynamodb: DynamoResults) -> ServerResults {
        ServerResults {
            version: "v".to_owned(),
            ready: vec![],
            idle_rss_kib: vec![],
            loads: vec![],
            load_failures: vec![],
            rss_after_load_kib: None,
            s3: None,
            sqs: None,
            dynamodb: Some(dynamodb),
            logs: None,
            cloudwatch: None,
        }
    }

    fn report(nimbus: DynamoResults, moto: DynamoResults) -> Report {
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
            dynamodb: Some((
                DynamoShape {
                    clients: 8,
                    items: 1000,
                    load_cap: Duration::from_secs(120),
                    queries: 10,
                },
                PathBuf::from("/tmp/x"),
            )),
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
        }
    }

    fn cells(rows: &[Row], metric: &str) -> [String; 5] {
        rows.iter()
            .find(|row| row.metric.starts_with(metric))
            .map(Row::cells)
            .unwrap_or_else(|| panic!("no row {metric}"))
    }

    #[test]
    fn rows_say_which_measurement_is_not_implemented() {
        let not_implemented = SetupFailure {
            not_implemented: true,
            why: "dynamodb:Query answered HTTP 501 Not Implemented".to_owned(),
        };
        // Nimbus: everything but Query; moto: the table could not be made.
        let nimbus = DynamoResults {
            query: Err(not_implemented),
            bulk: Ok(BulkLoad {
                items: 1000,
                loaded: 1000,
                requests: 40,
                elapsed: Duration::from_secs(2),
                ..BulkLoad::default()
            }),
            ..DynamoResults::not_run(SetupFailure {
                not_implemented: false,
                why: "the server died".to_owned(),
            })
        };
        let moto = DynamoResults::not_run(SetupFailure {
            not_implemented: false,
            why: "CreateTable answered HTTP 500".to_owned(),
        });
        let report = report(nimbus, moto);
        let rows = report.dynamodb_rows();
        let put = cells(&rows, "DynamoDB PutItem ~200 B throughput");
        assert_eq!(
            (put[1].as_str(), put[2].as_str(), put[4].as_str()),
            ("failed", "failed", "≥ 30× moto")
        );
        let elapsed = cells(&rows, "DynamoDB BatchWriteItem load of 1000 items: elapsed");
        assert_eq!((elapsed[1].as_str(), elapsed[2].as_str()), ("2", "failed"));
        let rate = cells(
            &rows,
            "DynamoDB BatchWriteItem load of 1000 items: throughput",
        );
        assert_eq!(rate[1], "500");
        let p99 = cells(&rows, "DynamoDB Query of a 100-item partition latency p99");
        assert_eq!(
            (p99[1].as_str(), p99[4].as_str()),
            ("not implemented", "≤ 2 ms")
        );
        let notes = report.notes();
        assert!(notes.contains(
            "- nimbus: DynamoDB Query: not implemented on nimbus: dynamodb:Query answered HTTP 501"
        ));
        // The shared failure is said once, under the first measurement it stopped.
        assert_eq!(notes.matches("CreateTable answered HTTP 500").count(), 1);
        assert_eq!(notes.matches("the server died").count(), 1);
    }

    #[test]
    fn a_load_stopped_at_the_cap_has_no_ratio() {
        let finished = BulkLoad {
            items: 1000,
            loaded: 1000,
            elapsed: Duration::from_secs(2),
            ..BulkLoad::default()
        };
        let capped = BulkLoad {
            items: 1000,
            loaded: 300,
            stopped_at_cap: true,
            elapsed: Duration::from_secs(120),
            ..BulkLoad::default()
        };
        let failure = SetupFailure {
            not_implemented: false,
            why: "x".to_owned(),
        };
        let with = |bulk| DynamoResults {
            bulk: Ok(bulk),
            ..DynamoResults::not_run(failure.clone())
        };
        let rows = report(with(finished), with(capped)).dynamodb_rows();
        let elapsed = cells(&rows, "DynamoDB BatchWriteItem load of 1000 items: elapsed");
        assert_eq!(elapsed[2], "120 (did not finish)");
        assert_eq!(elapsed[3], "-");
        let loaded = cells(
            &rows,
            "DynamoDB BatchWriteItem load of 1000 items: items loaded",
        );
        assert_eq!(
            (loaded[1].as_str(), loaded[2].as_str()),
            ("1000", "300 (did not finish)")
        );
        let rate = cells(
            &rows,
            "DynamoDB BatchWriteItem load of 1000 items: throughput",
        );
        assert_eq!(
            (rate[2].as_str(), rate[3].as_str()),
            ("2.50 (did not finish)", "-")
        );
    }

    #[test]
    fn the_description_names_the_flags_values() {
        let shape = DynamoShape {
            clients: 8,
            items: 20_000,
            load_cap: Duration::from_secs(30),
            queries: 2000,
        };
        let load = LoadShape {
            connections: 16,
            warmup: Duration::from_secs(1),
            window: Duration::from_secs(5),
        };
        let line = description(&shape, Path::new("/tmp/d"), &load);
        assert!(line.contains("BatchWriteItem of 20000 items"));
        assert!(line.contains("stopped after 30 s"));
        assert!(line.contains("2000 Queries"));
    }
}
