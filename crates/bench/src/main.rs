//! `nimbus-bench`: Nimbus side by side with moto server, in one run.
//!
//! For each server: ready time (spawn to first successful signed API call, median of
//! several starts), idle RSS, then throughput, latency and server CPU per request for
//! `secretsmanager:GetSecretValue` and `ssm:GetParameter` under the same client load (the
//! core suite), S3's small-object load, large transfers and memory under concurrent
//! uploads (the S3 suite), SQS's batch send, receive + delete and long-poll wake-up
//! (the SQS suite), KMS's Encrypt, Decrypt and GenerateDataKey (the KMS suite), and
//! DynamoDB's PutItem, GetItem, a BatchWriteItem table load and Query (the DynamoDB suite),
//! CloudWatch Logs' PutLogEvents, a group load and FilterLogEvents scans (the Logs suite),
//! and CloudWatch's PutMetricData, PutMetricAlarm, alarm evaluation and DescribeAlarms (the
//! CloudWatch suite).
//! It reports against the targets; it never asserts them.

mod cloudwatch;
mod dynamodb;
mod kms;
mod load;
mod logs;
mod numbered;
mod procfs;
mod report;
mod requests;
mod s3;
mod servers;
mod sqs;
mod transfer;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;

use load::LoadShape;
use procfs::{CpuClock, Machine};
use report::{Report, ServerResults};
use requests::SignedRequest;
use servers::{RunningServer, ServerKind, ServerSpec};

/// How long a server sits after its first answer before its idle RSS is read, so lazy
/// start-up work (moto imports a service's backend on first use) has finished.
const SETTLE: Duration = Duration::from_secs(1);

#[derive(Parser)]
#[command(
    name = "nimbus-bench",
    about = "Benchmark Nimbus side by side with moto server (loopback only)"
)]
struct Cli {
    /// The Nimbus binary (build it with `cargo build --release -p nimbus`).
    #[arg(long, default_value = "target/release/nimbus")]
    nimbus: PathBuf,

    /// moto's server script (`scripts/setup-python-env.sh` installs it into .venv).
    #[arg(long, default_value = ".venv/bin/moto_server")]
    moto: PathBuf,

    /// Length of each measured throughput window, in seconds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    duration_secs: u64,

    /// Warm-up before each window, in seconds (requests sent, not counted).
    #[arg(long, default_value_t = 1)]
    warmup_secs: u64,

    /// Concurrent connections of the load generator (kept alive unless the server closes them).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=4096))]
    connections: u64,

    /// Starts of each server for the ready time and idle RSS (the median is reported).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    starts: u64,

    /// Measure only this server.
    #[arg(long, value_enum)]
    only: Option<ServerKind>,

    /// Threads of the load generator. One leaves the most CPU to the server on a small
    /// machine; see BENCHMARKS.md.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    client_threads: u64,

    /// Also write the table, with date, machine and versions, to this Markdown file.
    #[arg(long)]
    markdown: Option<PathBuf>,

    /// Which measurements to run (ready time and idle RSS are always measured).
    #[arg(long, value_enum, default_value_t = Suite::All)]
    suite: Suite,

    /// S3: size of the large single PUT and GET, in MiB (the client holds one such buffer).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    large_mib: u64,

    /// S3: repeats of the large PUT (each followed by a `dd` of the same size) and of the
    /// large GET; medians are reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    large_repeats: u64,

    /// S3: each large single PUT or GET is given up (and reported) after this many seconds.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    transfer_timeout_secs: u64,

    /// S3: clients uploading at once while the server's RSS is sampled.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    upload_clients: u64,

    /// S3: size of each concurrent upload, in MiB.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    upload_mib: u64,

    /// S3: the concurrent uploads are stopped (and reported as timed out) after this many
    /// seconds.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    upload_timeout_secs: u64,

    /// S3: the concurrent uploads are stopped when the server's RSS passes this many MiB, so
    /// a server that holds bodies in memory cannot exhaust the machine.
    #[arg(long, default_value_t = 8192, value_parser = clap::value_parser!(u64).range(1..))]
    upload_rss_cap_mib: u64,

    /// SQS: concurrent clients of the SendMessageBatch and receive + delete loads (instead of
    /// --connections).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    sqs_clients: u64,

    /// SQS: rounds of the long-poll wake-up (a parked receive woken by a send).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    sqs_long_polls: u64,

    /// SQS: how long after the long-poll receive is sent the message is sent, in ms (the
    /// receive must be parked by then).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    sqs_park_ms: u64,

    /// DynamoDB: concurrent clients of the PutItem, GetItem and BatchWriteItem loads
    /// (instead of --connections).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    dynamodb_clients: u64,

    /// DynamoDB: items the BatchWriteItem load writes (25 per request, 100 per partition).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    dynamodb_items: u64,

    /// DynamoDB: a server still loading after this many seconds is stopped there (and its
    /// load reported as not finished); the Query phase has the same cap.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    dynamodb_load_cap_secs: u64,

    /// DynamoDB: queries of the Query phase (one client, closed loop).
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    dynamodb_queries: u64,

    /// Logs: concurrent clients of the PutLogEvents load and of the group load (one stream
    /// each; instead of --connections).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    logs_clients: u64,

    /// Logs: events the group load puts (10,000 per PutLogEvents) and FilterLogEvents scans.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=99_999_999))]
    logs_events: u64,

    /// Logs: a server still loading the group after this many seconds is stopped there (its
    /// load reported as not finished, the scans run on what it loaded).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    logs_load_cap_secs: u64,

    /// Logs: each pattern's scans stop after this many seconds; a scan cut short is
    /// extrapolated from how far it got, and marked so.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    logs_scan_cap_secs: u64,

    /// Logs: full FilterLogEvents scans per pattern (the median is reported).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    logs_scans: u64,

    /// CloudWatch: concurrent clients of the PutMetricData load and of the alarm creation
    /// (instead of --connections).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    cloudwatch_clients: u64,

    /// CloudWatch: alarms created (over 100 metrics) for the evaluation and DescribeAlarms.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    cloudwatch_alarms: u64,

    /// CloudWatch: evaluation rounds (`POST /_nimbus/clock`, Nimbus only) with the alarms.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    cloudwatch_rounds: u64,

    /// CloudWatch: the alarm creation, and each DescribeAlarms paging, stop after this many
    /// seconds.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    cloudwatch_cap_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Suite {
    /// Secrets Manager and SSM reads under load.
    Core,
    /// S3: 4 KiB GET (presigned) and PUT under load, large PUT/GET, concurrent uploads.
    S3,
    /// S3's 4 KiB GET and PUT under load only: the quick loop while tuning the small path.
    S3Small,
    /// SQS: SendMessageBatch, receive + delete, long-poll wake-up, with a durable store.
    Sqs,
    /// KMS: Encrypt, Decrypt and GenerateDataKey under load.
    Kms,
    /// DynamoDB: PutItem and GetItem under load, a BatchWriteItem table load, Query, with a
    /// durable store.
    Dynamodb,
    /// CloudWatch Logs: PutLogEvents under load, a group load and FilterLogEvents scans,
    /// with a durable store.
    Logs,
    /// CloudWatch: PutMetricData under load, PutMetricAlarm, alarm evaluation (Nimbus) and
    /// DescribeAlarms, with a durable store.
    Cloudwatch,
    /// Core, S3, SQS, KMS, DynamoDB, Logs and CloudWatch.
    All,
}

impl Suite {
    fn core(self) -> bool {
        self == Suite::Core || self == Suite::All
    }

    fn s3(self) -> bool {
        matches!(self, Suite::S3 | Suite::S3Small | Suite::All)
    }

    /// Large transfers and concurrent uploads, which take most of the S3 suite's time.
    fn s3_large(self) -> bool {
        self == Suite::S3 || self == Suite::All
    }

    fn sqs(self) -> bool {
        self == Suite::Sqs || self == Suite::All
    }

    fn kms(self) -> bool {
        self == Suite::Kms || self == Suite::All
    }

    fn dynamodb(self) -> bool {
        self == Suite::Dynamodb || self == Suite::All
    }

    fn logs(self) -> bool {
        self == Suite::Logs || self == Suite::All
    }

    fn cloudwatch(self) -> bool {
        self == Suite::Cloudwatch || self == Suite::All
    }
}

/// The operations of the core suite measured under load, in report order.
const OPERATIONS: [(&str, SignRequest); 2] = [
    ("GetSecretValue", requests::get_secret_value),
    ("GetParameter", requests::get_parameter),
];
/// Throughput target of the core operations: a ratio to moto.
const CORE_TARGET: &str = "≥ 20×";
const S3_GET: &str = "S3 GetObject 4 KiB presigned";
const S3_PUT: &str = "S3 PutObject 4 KiB";
const S3_OPERATIONS: [&str; 2] = [S3_GET, S3_PUT];

/// What one run measures.
#[derive(Debug, Clone)]
struct Plan {
    shape: LoadShape,
    starts: usize,
    suite: Suite,
    s3: s3::S3Shape,
    /// Where the S3 suite's Nimbus keeps its data and `dd` writes: one filesystem for both.
    s3_scratch: PathBuf,
    sqs: sqs::SqsShape,
    /// Where the SQS suite's Nimbus keeps its data.
    sqs_scratch: PathBuf,
    dynamodb: dynamodb::DynamoShape,
    /// Where the DynamoDB suite's Nimbus keeps its data.
    dynamodb_scratch: PathBuf,
    logs: logs::LogsShape,
    /// Where the Logs suite's Nimbus keeps its data.
    logs_scratch: PathBuf,
    cloudwatch: cloudwatch::CloudWatchShape,
    /// Where the CloudWatch suite's Nimbus keeps its data.
    cloudwatch_scratch: PathBuf,
    cpu_clock: CpuClock,
}

/// Signs one request shape for a server's address.
type SignRequest = fn(SocketAddr) -> anyhow::Result<SignedRequest>;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = if cli.client_threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(usize::try_from(cli.client_threads)?)
            .enable_all()
            .build()?
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let cpu_clock = CpuClock::from_getconf()?;
    let shape = LoadShape {
        connections: usize::try_from(cli.connections)?,
        warmup: Duration::from_secs(cli.warmup_secs),
        window: Duration::from_secs(cli.duration_secs),
    };
    let starts = usize::try_from(cli.starts)?;
    let plan = Plan {
        shape,
        starts,
        suite: cli.suite,
        s3: s3::S3Shape {
            large_mib: cli.large_mib,
            large_repeats: usize::try_from(cli.large_repeats)?,
            transfer_timeout: Duration::from_secs(cli.transfer_timeout_secs),
            upload_clients: usize::try_from(cli.upload_clients)?,
            upload_mib: cli.upload_mib,
            upload_timeout: Duration::from_secs(cli.upload_timeout_secs),
            upload_rss_cap_mib: cli.upload_rss_cap_mib,
        },
        // The temp directory, where `nimbus serve --ephemeral` would put its data too.
        s3_scratch: std::env::temp_dir().join(format!("nimbus-bench-s3-{}", std::process::id())),
        sqs: sqs::SqsShape {
            clients: usize::try_from(cli.sqs_clients)?,
            long_polls: usize::try_from(cli.sqs_long_polls)?,
            park: Duration::from_millis(cli.sqs_park_ms),
        },
        sqs_scratch: std::env::temp_dir().join(format!("nimbus-bench-sqs-{}", std::process::id())),
        dynamodb: dynamodb::DynamoShape {
            clients: usize::try_from(cli.dynamodb_clients)?,
            items: cli.dynamodb_items,
            load_cap: Duration::from_secs(cli.dynamodb_load_cap_secs),
            queries: usize::try_from(cli.dynamodb_queries)?,
        },
        dynamodb_scratch: std::env::temp_dir()
            .join(format!("nimbus-bench-dynamodb-{}", std::process::id())),
        logs: logs::LogsShape {
            clients: usize::try_from(cli.logs_clients)?,
            events: cli.logs_events,
            load_cap: Duration::from_secs(cli.logs_load_cap_secs),
            scan_cap: Duration::from_secs(cli.logs_scan_cap_secs),
            scans: usize::try_from(cli.logs_scans)?,
        },
        logs_scratch: std::env::temp_dir().join(format!("nimbus-bench-logs-{}", std::process::id())),
        cloudwatch: cloudwatch::CloudWatchShape {
            clients: usize::try_from(cli.cloudwatch_clients)?,
            alarms: cli.cloudwatch_alarms,
            rounds: usize::try_from(cli.cloudwatch_rounds)?,
            cap: Duration::from_secs(cli.cloudwatch_cap_secs),
        },
        cloudwatch_scratch: std::env::temp_dir()
            .join(format!("nimbus-bench-cloudwatch-{}", std::process::id())),
        cpu_clock,
    };
    let mut specs = Vec::new();
    if cli.only != Some(ServerKind::Moto) {
        specs.push(ServerSpec {
            kind: ServerKind::Nimbus,
            binary: cli.nimbus.clone(),
        });
    }
    if cli.only != Some(ServerKind::Nimbus) {
        specs.push(ServerSpec {
            kind: ServerKind::Moto,
            binary: cli.moto.clone(),
        });
    }
    for spec in &specs {
        if !spec.binary.is_file() {
            let hint = match spec.kind {
                ServerKind::Nimbus => {
                    "build it with `cargo build --release -p nimbus` or pass --nimbus"
                }
                ServerKind::Moto => "run scripts/setup-python-env.sh or pass --moto",
            };
            bail!(
                "{} not found at {}: {hint}",
                spec.kind.name(),
                spec.binary.display()
            );
        }
    }

    let mut report = Report {
        nimbus: None,
        moto: None,
        operations: operations(cli.suite),
        s3: cli.suite.s3().then(|| (plan.s3, plan.s3_scratch.clone())),
        sqs: cli
            .suite
            .sqs()
            .then(|| (plan.sqs, plan.sqs_scratch.clone())),
        dynamodb: cli
            .suite
            .dynamodb()
            .then(|| (plan.dynamodb, plan.dynamodb_scratch.clone())),
        logs: cli.suite.logs().then(|| (plan.logs, plan.logs_scratch.clone())),
        cloudwatch: cli
            .suite
            .cloudwatch()
            .then(|| (plan.cloudwatch, plan.cloudwatch_scratch.clone())),
        shape,
        starts,
        client_threads: usize::try_from(cli.client_threads)?,
        machine: Machine::describe(),
        date_utc: now_utc(),
    };
    for spec in &specs {
        let results = measure(spec, &plan)
            .await
            .with_context(|| format!("measuring {}", spec.kind.name()))?;
        match spec.kind {
            ServerKind::Nimbus => report.nimbus = Some(results),
            ServerKind::Moto => report.moto = Some(results),
        }
    }

    println!();
    print!("{}", report.text_table());
    if let Some(path) = &cli.markdown {
        std::fs::write(path, report.markdown())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("\nwrote {}", path.display());
    }
    Ok(())
}

/// The operations measured under load, with their throughput targets, in report order.
fn operations(suite: Suite) -> Vec<(&'static str, &'static str)> {
    let mut operations = Vec::new();
    if suite.core() {
        operations.extend(OPERATIONS.map(|(name, _)| (name, CORE_TARGET)));
    }
    if suite.s3() {
        operations.extend([(S3_GET, "≥ 30,000 req/s"), (S3_PUT, "")]);
    }
    if suite.kms() {
        operations.extend(kms::OPERATIONS.map(|op| (op, "")));
    }
    operations
}

/// Every measurement of one server. Progress goes to stderr so stdout holds the table.
async fn measure(spec: &ServerSpec, plan: &Plan) -> anyhow::Result<ServerResults> {
    let name = spec.kind.name();
    let version = spec.version();
    eprintln!("== {name}: {version}");

    let mut ready = Vec::new();
    let mut idle_rss_kib = Vec::new();
    let mut last_started = None;
    for start in 1..=plan.starts {
        let (server, took) = spec.start().await?;
        tokio::time::sleep(SETTLE).await;
        let rss = procfs::rss_kib(&procfs::process_tree(server.pid()))?;
        eprintln!(
            "{name}: start {start}/{}: ready in {:.1} ms, idle RSS {:.1} MiB",
            plan.starts,
            took.as_secs_f64() * 1000.0,
            rss as f64 / 1024.0
        );
        ready.push(took);
        idle_rss_kib.push(rss);
        // The last start stays up for the core and KMS suites' throughput runs.
        if start == plan.starts && (plan.suite.core() || plan.suite.kms()) {
            last_started = Some(server);
        } else {
            server.stop()?;
        }
    }
    let mut results = ServerResults {
        version,
        ready,
        idle_rss_kib,
        loads: Vec::new(),
        load_failures: Vec::new(),
        rss_after_load_kib: None,
        s3: None,
        sqs: None,
        dynamodb: None,
        logs: None,
        cloudwatch: None,
    };
    if let Some(server) = last_started {
        if plan.suite.core() {
            measure_core(&server, plan, &mut results).await?;
        }
        if plan.suite.kms() {
            kms::measure(&server, plan, &mut results).await;
        }
        results.rss_after_load_kib = Some(procfs::rss_kib(&procfs::process_tree(server.pid()))?);
        server.stop()?;
    }
    if plan.suite.s3() {
        measure_s3(spec, plan, &mut results).await?;
    }
    if plan.suite.sqs() {
        measure_sqs(spec, plan, &mut results).await?;
    }
    if plan.suite.dynamodb() {
        let scratch = &plan.dynamodb_scratch;
        let suite = measure_dynamodb_in(spec, plan, scratch, &mut results);
        in_scratch(scratch, suite).await?;
    }
    if plan.suite.logs() {
        let scratch = &plan.logs_scratch;
        let suite = measure_logs_in(spec, plan, scratch, &mut results);
        in_scratch(scratch, suite).await?;
    }
    if plan.suite.cloudwatch() {
        let scratch = &plan.cloudwatch_scratch;
        let suite = measure_cloudwatch_in(spec, plan, scratch, &mut results);
        in_scratch(scratch, suite).await?;
    }
    Ok(results)
}

/// The core suite: Secrets Manager and SSM reads under load.
async fn measure_core(
    server: &RunningServer,
    plan: &Plan,
    results: &mut ServerResults,
) -> anyhow::Result<()> {
    let addr = server.addr;
    // The data the reads under load find, checked once so a server that answers 200 with
    // the wrong content cannot pass.
    requests::expect_ok(addr, &requests::create_secret(addr)?).await?;
    let secret = requests::expect_ok(addr, &requests::get_secret_value(addr)?).await?;
    expect_contains(&secret, requests::SECRET_VALUE, "GetSecretValue")?;
    requests::expect_ok(addr, &requests::put_parameter(addr)?).await?;
    let parameter = requests::expect_ok(addr, &requests::get_parameter(addr)?).await?;
    expect_contains(&parameter, requests::PARAMETER_VALUE, "GetParameter")?;
    for (operation, sign) in OPERATIONS {
        // Signed now, so the signature is fresh for the whole run.
        let result = run_load(server, operation, sign(addr)?, plan).await?;
        results.loads.push((operation, result));
    }
    Ok(())
}

/// The S3 suite, on a server of its own. Nimbus keeps its state in a durable data directory
/// (`--ephemeral` skips fsyncs, its files dying with the process), so every acknowledged PUT
/// is fsync'd, as in real use. What fails here is reported, not fatal: the other server's
/// figures are still worth having.
async fn measure_s3(
    spec: &ServerSpec,
    plan: &Plan,
    results: &mut ServerResults,
) -> anyhow::Result<()> {
    in_scratch(&plan.s3_scratch, measure_s3_in(spec, plan, &plan.s3_scratch, results)).await
}

/// Runs a suite (whose future has not started yet) with its scratch directory made first and
/// removed after, however the suite ends.
async fn in_scratch(scratch: &Path, suite: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    std::fs::create_dir_all(scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let outcome = suite.await;
    let _ = std::fs::remove_dir_all(scratch);
    outcome
}

async fn measure_s3_in(
    spec: &ServerSpec,
    plan: &Plan,
    scratch: &Path,
    results: &mut ServerResults,
) -> anyhow::Result<()> {
    let name = spec.kind.name();
    let server = match spec.start_in(Some(&scratch.join("data"))).await {
        Ok((server, _)) => server,
        Err(error) => {
            let why = format!("starting for the S3 suite: {error:#}");
            s3_loads_not_run(name, &why, results);
            results.s3 = Some(s3::S3Results::not_run(why));
            return Ok(());
        }
    };
    let addr = server.addr;
    match s3::prepare_small(addr).await {
        Ok(small) => {
            // Each is signed just before its run, as the core suite's are.
            let get = s3::get_small_presigned(addr)?;
            run_s3_load(&server, S3_GET, get, plan, results).await;
            let put = s3::put_small(addr, small)?;
            run_s3_load(&server, S3_PUT, put, plan, results).await;
        }
        Err(error) => {
            let why = format!("setting up the 4 KiB object: {error:#}");
            s3_loads_not_run(name, &why, results);
        }
    }
    // None if the server is gone; the phases below then fail and say so.
    let rss_after_small_loads_kib = procfs::rss_kib(&procfs::process_tree(server.pid())).ok();
    if !plan.suite.s3_large() {
        return server.stop();
    }
    let mut large = s3::measure_large(addr, server.pid(), plan.s3, scratch, name).await;
    large.rss_after_small_loads_kib = rss_after_small_loads_kib;
    results.s3 = Some(large);
    server.stop()
}

/// The SQS suite, on a server of its own with a durable data directory (as the S3 suite),
/// so every acknowledged send, receive and delete is committed. A server that cannot set
/// up the queues (Nimbus before SQS is registered says NotImplemented) is reported, not fatal.
async fn measure_sqs(
    spec: &ServerSpec,
    plan: &Plan,
    results: &mut ServerResults,
) -> anyhow::Result<()> {
    in_scratch(&plan.sqs_scratch, measure_sqs_in(spec, plan, &plan.sqs_scratch, results)).await
}

async fn measure_sqs_in(
    spec: &ServerSpec,
    plan: &Plan,
    scratch: &Path,
    results: &mut ServerResults,
) -> anyhow::Result<()> {
    let name = spec.kind.name();
    let server = match spec.start_in(Some(&scratch.join("data"))).await {
        Ok((server, _)) => server,
        Err(error) => {
            let why = format!("starting for the SQS suite: {error:#}");
            eprintln!("{name}: SQS: {why}");
            results.sqs = Some(sqs::SqsResults::not_run(sqs::SetupFailure {
                not_implemented: false,
                why,
            }));
            return Ok(());
        }
    };
    let addr = server.addr;
    let (queue, long_poll_queue) = match sqs::prepare(addr).await {
        Ok(urls) => urls,
        Err(failure) => {
            if failure.not_implemented {
                eprintln!("{name}: SQS: not implemented on {name}: {}", failure.why);
            } else {
                eprintln!("{name}: SQS: setting up the queues: {}", failure.why);
            }
            results.sqs = Some(sqs::SqsResults::not_run(failure));
            return server.stop();
        }
    };
    eprintln!("{name}: SQS: queues created, a batch sent, received and deleted intact");
    let shape = LoadShape {
        connections: plan.sqs.clients,
        ..plan.shape
    };
    let (pid, cpu_clock) = (server.pid(), plan.cpu_clock);
    let mut measured = sqs::SqsResults::default();
    match sqs::run_send(addr, &queue, shape, pid, cpu_clock).await {
        Ok(result) => {
            sqs::progress(name, sqs::SEND, &result);
            measured.send = Some(result);
        }
        Err(error) => sqs::record(
            &mut measured.failures,
            name,
            format!("{}: {error:#}", sqs::SEND),
        ),
    }
    sqs::measure_receive_delete(addr, &queue, shape, (pid, cpu_clock), name, &mut measured).await;
    measured.long_poll = Some(sqs::measure_long_poll(addr, &long_poll_queue, plan.sqs, name).await);
    measured.rss_after_kib = procfs::rss_kib(&procfs::process_tree(pid)).ok();
    results.sqs = Some(measured);
    server.stop()
}

/// The DynamoDB suite, on a server of its own with a durable data directory (as the SQS
/// suite), so every acknowledged write is committed. What a server cannot do (Query before
/// it is implemented) is reported per measurement, not fatal.
async fn measure_dynamodb_in(
    spec: &ServerSpec,
    plan: &Plan,
    scratch: &Path,
    results: &mut ServerResults,
) -> anyhow::Result<()> {
    let name = spec.kind.name();
    let server = match spec.start_in(Some(&scratch.join("data"))).await {
        Ok((server, _)) => server,
        Err(error) => {
            let why = format!("starting for the DynamoDB suite: {error:#}");
            eprintln!("{name}: DynamoDB: {why}");
            results.dynamodb = Some(dynamodb::DynamoResults::not_run(sqs::SetupFailure {
                not_implemented: false,
                why,
            }));
            return Ok(());
        }
    };
    results.dynamodb = Some(dynamodb::measure(server.addr, server.pid(), plan, name).await);
    server.stop()
}

/// The Logs suite, on a server of its own with a durable data directory (as the DynamoDB
/// suite). What a server cannot do is reported per measurement, not fatal.
async fn measure_logs_in(
    spec: &ServerSpec,
    plan: &Plan,
    scratch: &Path,
    results: &mut ServerResults,
) -> anyhow::Result<()> {
    let name = spec.kind.name();
    let server = match spec.start_in(Some(&scratch.join("data"))).await {
        Ok((server, _)) => server,
        Err(error) => {
            let why = format!("starting for the Logs suite: {error:#}");
            eprintln!("{name}: Logs: {why}");
            results.logs = Some(logs::LogsResults::not_run(sqs::SetupFailure {
                not_implemented: false,
                why,
            }));
            return Ok(());
        }
    };
    results.logs = Some(logs::measure(server.addr, server.pid(), plan, name).await);
    server.stop()
}

/// The CloudWatch suite, on a server of its own with a durable data directory. Only Nimbus
/// can be told to evaluate its alarms (`POST /_nimbus/clock`); moto never evaluates them.
async fn measure_cloudwatch_in(
    spec: &ServerSpec,
    plan: &Plan,
    scratch: &Path,
    results: &mut ServerResults,
) -> anyhow::Result<()> {
    let name = spec.kind.name();
    let evaluates = spec.kind == ServerKind::Nimbus;
    let server = match spec.start_in(Some(&scratch.join("data"))).await {
        Ok((server, _)) => server,
        Err(error) => {
            let why = format!("starting for the CloudWatch suite: {error:#}");
            eprintln!("{name}: CloudWatch: {why}");
            let failure = sqs::SetupFailure {
                not_implemented: false,
                why,
            };
            results.cloudwatch = Some(cloudwatch::CloudWatchResults::not_run(failure, evaluates));
            return Ok(());
        }
    };
    let measured = cloudwatch::measure(server.addr, server.pid(), plan, name, evaluates).await;
    results.cloudwatch = Some(measured);
    server.stop()
}

/// Records that the S3 loads could not run, and why.
fn s3_loads_not_run(name: &str, why: &str, results: &mut ServerResults) {
    eprintln!("{name}: {why}");
    results
        .load_failures
        .extend(S3_OPERATIONS.map(|op| (op, why.to_owned())));
}

/// [`run_load`] for the S3 suite, where a failure (the server died) is recorded, not fatal.
async fn run_s3_load(
    server: &RunningServer,
    operation: &'static str,
    request: SignedRequest,
    plan: &Plan,
    results: &mut ServerResults,
) {
    match run_load(server, operation, request, plan).await {
        Ok(result) => results.loads.push((operation, result)),
        Err(error) => {
            let why = format!("{error:#}");
            eprintln!("{}: {operation}: {why}", server.kind.name());
            results.load_failures.push((operation, why));
        }
    }
}

/// One closed-loop run, with its progress line.
async fn run_load(
    server: &RunningServer,
    operation: &str,
    request: SignedRequest,
    plan: &Plan,
) -> anyhow::Result<load::LoadResult> {
    let name = server.kind.name();
    let result = load::run(
        server.addr,
        request,
        plan.shape,
        server.pid(),
        plan.cpu_clock,
    )
    .await?;
    eprintln!(
        "{name}: {operation}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors, server {:.2} cores, load generator {:.2} cores",
        result.requests_per_second(),
        result
            .latency_quantile(0.5)
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0,
        result
            .latency_quantile(0.99)
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0,
        result.errors,
        result.server_cpu_share(),
        result.client_cpu_share(),
    );
    if result.server_cpu < plan.cpu_clock.tick() * 10 {
        eprintln!(
            "{name}: {operation}: warning: server CPU is only a few clock ticks; CPU per request is coarse"
        );
    }
    Ok(result)
}

fn expect_contains(body: &[u8], needle: &str, operation: &str) -> anyhow::Result<()> {
    if String::from_utf8_lossy(body).contains(needle) {
        Ok(())
    } else {
        bail!(
            "{operation} answered 200 without the stored value: {}",
            String::from_utf8_lossy(body)
        )
    }
}

fn now_utc() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::now_utc()
        .format(format)
        .unwrap_or_else(|_| "unknown date".to_owned())
}
