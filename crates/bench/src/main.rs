//! `nimbus-bench`: Nimbus side by side with moto server, in one run.
//!
//! For each server: ready time (spawn to first successful signed API call, median of
//! several starts), idle RSS, then throughput, latency and server CPU per request for
//! `secretsmanager:GetSecretValue` and `ssm:GetParameter` under the same client load.
//! It reports against the targets; it never asserts them.

mod load;
mod procfs;
mod report;
mod requests;
mod servers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;

use load::LoadShape;
use procfs::{CpuClock, Machine};
use report::{Report, ServerResults};
use requests::SignedRequest;
use servers::{ServerKind, ServerSpec};

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
}

/// The operations measured under load, in report order.
const OPERATIONS: [(&str, SignRequest); 2] = [
    ("GetSecretValue", requests::get_secret_value),
    ("GetParameter", requests::get_parameter),
];

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
        operations: OPERATIONS.map(|(name, _)| name).to_vec(),
        shape,
        starts,
        client_threads: usize::try_from(cli.client_threads)?,
        machine: Machine::describe(),
        date_utc: now_utc(),
    };
    for spec in &specs {
        let results = measure(spec, shape, starts, cpu_clock)
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

/// Every measurement of one server. Progress goes to stderr so stdout holds the table.
async fn measure(
    spec: &ServerSpec,
    shape: LoadShape,
    starts: usize,
    cpu_clock: CpuClock,
) -> anyhow::Result<ServerResults> {
    let name = spec.kind.name();
    let version = spec.version();
    eprintln!("== {name}: {version}");

    let mut ready = Vec::new();
    let mut idle_rss_kib = Vec::new();
    let mut last_started = None;
    for start in 1..=starts {
        let (server, took) = spec.start().await?;
        tokio::time::sleep(SETTLE).await;
        let rss = procfs::rss_kib(&procfs::process_tree(server.pid()))?;
        eprintln!(
            "{name}: start {start}/{starts}: ready in {:.1} ms, idle RSS {:.1} MiB",
            took.as_secs_f64() * 1000.0,
            rss as f64 / 1024.0
        );
        ready.push(took);
        idle_rss_kib.push(rss);
        // The last start stays up for the throughput runs.
        if start == starts {
            last_started = Some(server);
        } else {
            server.stop()?;
        }
    }
    let server = last_started.context("at least one start")?;
    let addr = server.addr;

    // The data the reads under load find, checked once so a server that answers 200 with
    // the wrong content cannot pass.
    requests::expect_ok(addr, &requests::create_secret(addr)?).await?;
    let secret = requests::expect_ok(addr, &requests::get_secret_value(addr)?).await?;
    expect_contains(&secret, requests::SECRET_VALUE, "GetSecretValue")?;
    requests::expect_ok(addr, &requests::put_parameter(addr)?).await?;
    let parameter = requests::expect_ok(addr, &requests::get_parameter(addr)?).await?;
    expect_contains(&parameter, requests::PARAMETER_VALUE, "GetParameter")?;

    let mut loads = Vec::new();
    for (operation, sign) in OPERATIONS {
        // Signed now, so the signature is fresh for the whole run.
        let result = load::run(addr, sign(addr)?, shape, server.pid(), cpu_clock).await?;
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
        if result.server_cpu < cpu_clock.tick() * 10 {
            eprintln!(
                "{name}: {operation}: warning: server CPU is only a few clock ticks; CPU per request is coarse"
            );
        }
        loads.push((operation, result));
    }
    let rss_after_load_kib = procfs::rss_kib(&procfs::process_tree(server.pid()))?;
    server.stop()?;
    Ok(ServerResults {
        version,
        ready,
        idle_rss_kib,
        loads,
        rss_after_load_kib,
    })
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
