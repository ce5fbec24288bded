//! The CloudWatch suite's rows, notes and description in the report.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::dynamodb::{micros, ms, on, say_failure};
use super::logs::{load_rows, numbered_rows};
use super::{Better, Cell, Report, Row, ServerResults, number};
use crate::cloudwatch::{self, CloudWatchResults, CloudWatchShape, Evaluation, Paging, Round};
use crate::load::{LoadResult, LoadShape};
use crate::numbered::NumberedRun;
use crate::sqs::SetupFailure;

/// The word for a measurement moto has nothing to compare with.
const NO_MOTO_EQUIVALENT: &str = "no moto equivalent";

/// Why a paging's figures are not to be compared, if they are not.
fn paging_flag(paging: &Paging, evaluates: bool) -> Option<String> {
    if paging.stopped_at_cap {
        Some("stopped at the cap".to_owned())
    } else if !evaluates {
        Some("never evaluated".to_owned())
    } else {
        (paging.alarms != paging.expected)
            .then(|| format!("found {} of {}", paging.alarms, paging.expected))
    }
}

impl Report {
    pub(super) fn cloudwatch_rows(&self) -> Vec<Row> {
        let Some((shape, _)) = &self.cloudwatch else {
            return Vec::new();
        };
        let cell = |side: &Option<ServerResults>, f: &dyn Fn(&CloudWatchResults) -> Cell| {
            side.as_ref()
                .and_then(|s| s.cloudwatch.as_ref())
                .map_or((None, None), f)
        };
        let both = |f: &dyn Fn(&CloudWatchResults) -> Cell| {
            (cell(&self.nimbus, f), cell(&self.moto, f))
        };
        let mut rows = Vec::new();

        let on_put = |f: &dyn Fn(&LoadResult) -> Cell| both(&|r| on(&r.put, f));
        rows.extend(load_rows(&on_put, cloudwatch::PUT, "datapoints", ""));

        let create = format!(
            "{} of {} alarms over {} metrics",
            cloudwatch::CREATE,
            shape.alarms,
            cloudwatch::ALARM_METRICS
        );
        let on_create = |f: &dyn Fn(&NumberedRun) -> Cell| both(&|r| on(&r.create, f));
        rows.extend(numbered_rows(&on_create, &create, "alarms", ""));

        let round = format!(
            "CloudWatch alarm evaluation round, {} alarms (POST /_nimbus/clock +{} s)",
            shape.alarms,
            cloudwatch::PERIOD_SECS
        );
        let on_evaluation = |f: &dyn Fn(&Evaluation) -> Option<Round>, pick: fn(Round) -> Duration| {
            both(&|r| match &r.evaluation {
                None => (None, Some(NO_MOTO_EQUIVALENT.to_owned())),
                Some(evaluation) => on(evaluation, |e| (ms(f(e).map(pick)), None)),
            })
        };
        type PickRound = fn(&Evaluation) -> Option<Round>;
        let which: [(&str, PickRound); 3] = [
            ("first, alarms leave INSUFFICIENT_DATA", |e| e.rounds.first().copied()),
            ("later, no state change, median", Evaluation::later),
            ("baseline before any alarm", |e| Some(e.baseline)),
        ];
        for (what, f) in which {
            let (n, m) = on_evaluation(&f, |r| r.elapsed);
            rows.push(Row::flagged(
                format!("{round}, {what} (ms)"),
                n,
                m,
                Better::Lower,
                "",
            ));
            let (n, m) = on_evaluation(&f, |r| r.server_cpu);
            rows.push(Row::flagged(
                format!("{round}, {what}: server CPU (ms)"),
                n,
                m,
                Better::Lower,
                "",
            ));
        }
        let (n, m) = both(&|r| match &r.evaluation {
            None => (None, Some(NO_MOTO_EQUIVALENT.to_owned())),
            Some(evaluation) => on(evaluation, |e| {
                let first = e.rounds.first().map(|r| r.server_cpu);
                (micros(first.map(|cpu| cpu.div_f64(shape.alarms as f64))), None)
            }),
        });
        rows.push(Row::flagged(
            format!("{round}, first: server CPU per alarm (µs)"),
            n,
            m,
            Better::Lower,
            "",
        ));

        type PickPaging = fn(&CloudWatchResults) -> &Result<Paging, SetupFailure>;
        let pagings: [(String, PickPaging); 2] = [
            (
                format!(
                    "CloudWatch DescribeAlarms of all {} alarms, {} per page",
                    shape.alarms,
                    cloudwatch::PAGE
                ),
                |r| &r.describe_all,
            ),
            (
                format!(
                    "CloudWatch DescribeAlarms StateValue=ALARM, {} per page",
                    cloudwatch::PAGE
                ),
                |r| &r.describe_in_alarm,
            ),
        ];
        for (i, (label, pick)) in pagings.into_iter().enumerate() {
            // Every alarm is listed whether or not the server evaluates; the ALARM filter
            // finds nothing on a server that never evaluates.
            let evaluates = |r: &CloudWatchResults| r.evaluates || i == 0;
            let (n, m) = both(&|r| {
                on(pick(r), |p| {
                    (ms(p.median()), paging_flag(p, evaluates(r)))
                })
            });
            rows.push(Row::flagged(
                format!("{label}: time to page through, median of {} (ms)", cloudwatch::PAGING_REPEATS),
                n,
                m,
                Better::Lower,
                "",
            ));
            let (n, m) = both(&|r| {
                on(pick(r), |p| {
                    let flag = paging_flag(p, evaluates(r)).map(|flag| {
                        if flag.starts_with("found") {
                            format!("expected {}", p.expected)
                        } else {
                            flag
                        }
                    });
                    (Some(p.alarms as f64), flag)
                })
            });
            rows.push(Row::flagged(
                format!("{label}: alarms found"),
                n,
                m,
                Better::Neither,
                "",
            ));
            let (n, m) = both(&|r| on(pick(r), |p| (Some(p.pages as f64), None)));
            rows.push(Row::flagged(
                format!("{label}: pages"),
                n,
                m,
                Better::Neither,
                "",
            ));
        }
        let (n, m) = both(&|r| (r.rss_after_kib.map(|k| k as f64 / 1024.0), None));
        rows.push(Row::flagged(
            "RSS after the CloudWatch suite (MiB)",
            n,
            m,
            Better::Lower,
            "",
        ));
        rows
    }
}

/// The CloudWatch suite's line in the Markdown header.
pub(super) fn description(shape: &CloudWatchShape, scratch: &Path, load: &LoadShape) -> String {
    format!(
        "- CloudWatch: awsJson 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.*`; boto3 now speaks CBOR, both servers take JSON), SigV4 with `test`/`test`; \
         {} closed-loop clients, {} s warm-up then a {} s window: PutMetricData of {} MetricData (4 metrics × 5 hosts, 2 dimensions) × {} Values (signed once, replayed); \
         then PutMetricAlarm of {} alarms over {} metrics (Average, period {} s, 1 evaluation period, even alarms' threshold below the metrics' value), signed per request, \
         from the same clients at once, stopped after {} s; one datapoint per metric, then (Nimbus only: moto never evaluates alarms) {} evaluation rounds, \
         each `POST /_nimbus/clock {{\"advance_seconds\": {}}}` timed to its answer (which comes after the sweepers ran) with the server's CPU over it, data put again before each later round, \
         and one such round before any alarm as the baseline; then DescribeAlarms paged through ({} per page, `NextToken` followed) for all alarms and for `StateValue=ALARM`, {} times each. \
         Nimbus runs with a durable `--data-dir` in {} (moto keeps metrics in memory)",
        shape.clients,
        load.warmup.as_secs_f64(),
        load.window.as_secs_f64(),
        cloudwatch::DATUMS,
        cloudwatch::VALUES,
        shape.alarms,
        cloudwatch::ALARM_METRICS,
        cloudwatch::PERIOD_SECS,
        shape.cap.as_secs(),
        shape.rounds,
        cloudwatch::PERIOD_SECS,
        cloudwatch::PAGE,
        cloudwatch::PAGING_REPEATS,
        scratch.display(),
    )
}

/// The CloudWatch suite's counts and failures, under the table.
pub(super) fn notes(name: &str, results: &CloudWatchResults) -> String {
    let mut out = String::new();
    let mut said = Vec::new();
    match &results.put {
        Ok(load) => {
            let _ = writeln!(
                out,
                "- {name}: {}: {} requests ({} datapoints) in {} s over {} new connections",
                cloudwatch::PUT,
                load.requests,
                load.items,
                load.window.as_secs_f64(),
                load.connections_opened,
            );
            for (kind, count) in &load.error_kinds {
                let _ = writeln!(out, "- {name}: {}: {count} × {kind}", cloudwatch::PUT);
            }
        }
        Err(why) => say_failure(&mut out, &mut said, name, cloudwatch::PUT, why),
    }
    match &results.create {
        Ok(run) => {
            let _ = writeln!(
                out,
                "- {name}: {}: {} alarms created in {} s{}",
                cloudwatch::CREATE,
                run.acknowledged,
                number(run.elapsed.as_secs_f64()),
                if run.stopped_at_cap {
                    "; stopped at the cap"
                } else {
                    ""
                },
            );
            for (kind, count) in &run.error_kinds {
                let _ = writeln!(out, "- {name}: {}: {count} × {kind}", cloudwatch::CREATE);
            }
        }
        Err(why) => say_failure(&mut out, &mut said, name, cloudwatch::CREATE, why),
    }
    match &results.evaluation {
        None => {
            let _ = writeln!(
                out,
                "- {name}: alarm evaluation: {name} never evaluates alarms (they stay as created) and has no clock to move: no evaluation figures, and DescribeAlarms StateValue=ALARM finds none"
            );
        }
        Some(Ok(evaluation)) => {
            let rounds: Vec<String> = evaluation
                .rounds
                .iter()
                .map(|r| {
                    format!(
                        "{} ms ({} ms CPU)",
                        number(r.elapsed.as_secs_f64() * 1000.0),
                        number(r.server_cpu.as_secs_f64() * 1000.0)
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "- {name}: alarm evaluation rounds: {}; CPU is read in clock ticks (10 ms)",
                rounds.join(", ")
            );
        }
        Some(Err(why)) => say_failure(&mut out, &mut said, name, "alarm evaluation", why),
    }
    for (what, paging) in [
        ("DescribeAlarms (all)", &results.describe_all),
        ("DescribeAlarms StateValue=ALARM", &results.describe_in_alarm),
    ] {
        match paging {
            Ok(p) => {
                let _ = writeln!(
                    out,
                    "- {name}: {what}: {} alarms in {} pages (expected {}){}",
                    p.alarms,
                    p.pages,
                    p.expected,
                    if p.pages == 1 && p.alarms > cloudwatch::PAGE {
                        format!(": {name} ignores MaxRecords and answers everything at once")
                    } else {
                        String::new()
                    },
                );
            }
            Err(why) => say_failure(&mut out, &mut said, name, what, why),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::procfs::Machine;

    fn server(cloudwatch: CloudWatchResults) -> ServerResults {
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
            logs: None,
            cloudwatch: Some(cloudwatch),
        }
    }

    fn report(nimbus: CloudWatchResults, moto: CloudWatchResults) -> Report {
        Report {
            nimbus: Some(server(nimbus)),
            moto: Some(server(moto)),
            operations: vec![],
            s3: None,
            sqs: None,
            dynamodb: None,
            logs: None,
            cloudwatch: Some((
                CloudWatchShape {
                    clients: 8,
                    alarms: 1000,
                    rounds: 3,
                    cap: Duration::from_secs(300),
                },
                PathBuf::from("/tmp/x"),
            )),
            shape: LoadShape {
                connections: 8,
                warmup: Duration::from_secs(1),
                window: Duration::from_secs(5),
            },
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
    fn moto_rows_say_what_it_has_no_equivalent_for() {
        let failure = SetupFailure {
            not_implemented: false,
            why: "x".to_owned(),
        };
        let round = |ms| Round {
            elapsed: Duration::from_millis(ms),
            server_cpu: Duration::from_millis(ms),
        };
        let paging = |alarms, expected| Paging {
            times: vec![Duration::from_millis(40)],
            pages: 1,
            alarms,
            expected,
            stopped_at_cap: false,
        };
        let nimbus = CloudWatchResults {
            evaluation: Some(Ok(Evaluation {
                baseline: round(1),
                rounds: vec![round(200), round(20), round(30)],
            })),
            describe_all: Ok(paging(1000, 1000)),
            describe_in_alarm: Ok(paging(500, 500)),
            ..CloudWatchResults::not_run(failure.clone(), true)
        };
        let moto = CloudWatchResults {
            describe_all: Ok(paging(1000, 1000)),
            describe_in_alarm: Ok(paging(0, 0)),
            ..CloudWatchResults::not_run(failure, false)
        };
        let report = report(nimbus, moto);
        let rows = report.cloudwatch_rows();
        let first = cells(&rows, "CloudWatch alarm evaluation round, 1000 alarms (POST /_nimbus/clock +60 s), first");
        assert_eq!((first[1].as_str(), first[2].as_str()), ("200", NO_MOTO_EQUIVALENT));
        let later = cells(&rows, "CloudWatch alarm evaluation round, 1000 alarms (POST /_nimbus/clock +60 s), later");
        assert_eq!(later[1], "20");
        let all = cells(&rows, "CloudWatch DescribeAlarms of all 1000 alarms, 100 per page: time");
        assert_eq!(all[3], "1×");
        let in_alarm = cells(&rows, "CloudWatch DescribeAlarms StateValue=ALARM, 100 per page: time");
        assert_eq!(in_alarm[2], "40 (never evaluated)");
        assert_eq!(in_alarm[3], "-");
        let notes = report.notes();
        assert!(notes.contains("moto never evaluates alarms"));
    }
}
