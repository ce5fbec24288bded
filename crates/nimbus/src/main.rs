//! `nimbus`: a local AWS cloud in one binary.

mod bus;
mod cli;
mod cloudtrail;
mod dynamodb;
mod http_client;
mod kms;
mod logs_tail;
mod observability;
mod oidc;
mod s3;
mod ses;
mod sns;
mod sqs;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use nimbus_core::{Clock, Service};
use nimbus_server::{AuthMode, Config, Credentials, Nimbus, ServiceSet};
use nimbus_store::Store;

use cli::{Cli, Command, ServeArgs};

/// Requests allocate and free many small buffers across threads; glibc's malloc spent about a
/// fifth of a small S3 GET's CPU in that (perf, BENCHMARKS.md), mimalloc a fraction of it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Services { json } => services(json),
        Command::Logs { command: cli::LogsCommand::Tail(args) } => logs_tail::run(args),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(log_filter(&args.log)).context("--log is not a valid filter")?)
        .with_writer(std::io::stderr)
        .init();
    let store = if args.ephemeral {
        Store::open_ephemeral().context("opening an ephemeral data directory")?
    } else {
        Store::open(&args.data_dir).with_context(|| format!("opening the data directory {}", args.data_dir.display()))?
    };
    let clock = Clock::system();
    if let Some(offset) = store.setting(nimbus_server::CLOCK_OFFSET_SETTING)? {
        clock.set_offset_millis(offset.parse().context("stored clock offset")?);
    }
    let declared = args.declared_credentials()?;
    let credentials = Arc::new(Credentials::new(store.clone(), declared));
    let config = Config {
        default_region: args.region.clone(),
        account_id: args.account_id.clone(),
        auth_mode: args.auth_mode(),
        max_body_bytes: args.max_body_mib * 1024 * 1024,
    };
    let built = build_services(&store, &clock, &credentials, &config, args.ses_options());
    let nimbus = Nimbus::new(config, store.clone(), clock.clone(), credentials.clone(), built.set);
    let built_recorder = built.cloudtrail_recorder;

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        // Resumes SNS deliveries a previous run accepted and had not finished.
        built.sns.start();
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("binding {} (is another Nimbus or LocalStack running? use --bind)", args.bind))?;
        let addr = listener.local_addr()?;
        let where_ = if args.ephemeral { "ephemeral".to_owned() } else { args.data_dir.display().to_string() };
        tracing::info!("Nimbus {} listening on http://{addr} (data: {where_}, started in {:?})", env!("CARGO_PKG_VERSION"), started.elapsed());
        // testcontainers' LocalStack module waits for this line on stdout.
        println!("Ready.");
        nimbus_server::serve(nimbus, listener, shutdown_signal(), Duration::from_secs(10)).await;
        tracing::info!("shut down cleanly");
        anyhow::Ok(())
    })?;
    // The calls CloudTrail still had queued (at most a fraction of a second's worth).
    built_recorder.flush();
    drop(store);
    Ok(())
}

/// s3s logs every client error (a 404, a bad signature) at ERROR level; Nimbus's access log
/// already records those, so s3s stays quiet unless the filter names it.
fn log_filter(filter: &str) -> String {
    if filter.contains("s3s") { filter.to_owned() } else { format!("{filter},s3s=off") }
}

/// Every service Nimbus serves, wired to the shared store, clock and credentials.
/// What `build_services` wires: the set the server serves, and the background work to start
/// once the runtime runs.
struct Built {
    set: ServiceSet,
    sns: Arc<nimbus_svc_sns::Sns>,
    /// CloudTrail's audit sink, flushed at shutdown.
    cloudtrail_recorder: nimbus_svc_cloudtrail::Recorder,
}

fn build_services(
    store: &Store,
    clock: &Clock,
    credentials: &Arc<Credentials>,
    config: &Config,
    ses_options: nimbus_svc_ses::SesOptions,
) -> Built {
    // IAM first: strict mode's authorizer and STS find principals, roles and policies in it.
    let iam = Arc::new(nimbus_svc_iam::Iam::new(store.clone(), clock.clone(), credentials.clone()));
    let iam_directory = iam.directory();
    let directory: Option<Arc<dyn nimbus_policy::Directory>> = Some(iam_directory.clone());
    let authorizer: Arc<dyn nimbus_core::Authorizer> = Arc::new(nimbus_server::PolicyAuthorizer::new(
        config.auth_mode == AuthMode::Strict,
        directory,
        credentials.clone(),
        clock.clone(),
    ));
    // Then KMS: the services that encrypt reach it through `KeyManager`.
    let kms = Arc::new(nimbus_svc_kms::Kms::new(store.clone(), clock.clone()));
    let keys: Arc<dyn nimbus_core::KeyManager> = kms.clone();
    let dynamodb = Arc::new(nimbus_svc_dynamodb::DynamoDb::new(store.clone(), clock.clone()));
    let mut services: Vec<Arc<dyn Service>> = vec![
        Arc::new(
            nimbus_svc_sts::Sts::new(store.clone(), clock.clone(), credentials.clone())
                .with_directory(iam_directory)
                .with_identity_keys(Arc::new(oidc::OidcKeys::default()))
                .enforce_trust(config.auth_mode == AuthMode::Strict),
        ),
        Arc::new(nimbus_svc_secretsmanager::SecretsManager::new(store.clone(), clock.clone()).with_key_manager(keys.clone())),
        Arc::new(nimbus_svc_ssm::Ssm::new(store.clone(), clock.clone()).with_key_manager(keys.clone())),
        kms.clone(),
        iam,
        dynamodb.clone(),
        Arc::new(nimbus_svc_dynamodb::DynamoDbStreams::new(store.clone(), clock.clone())),
    ];
    let sqs = Arc::new(nimbus_svc_sqs::Sqs::new(store.clone(), clock.clone()).with_key_manager(keys.clone()));
    services.push(sqs.clone());
    let bus = Arc::new(bus::Bus { sqs: sqs.clone(), sns: Default::default(), s3: Default::default(), ses: Default::default(), cloudwatch: Default::default() });
    let sns = Arc::new(nimbus_svc_sns::Sns::new(store.clone(), clock.clone(), bus.clone()));
    let _ = bus.sns.set(sns.clone());
    services.push(sns.clone());
    // SES v1 and v2 over one state; bounce/complaint/delivery notifications go out on the bus.
    let ses = Arc::new(nimbus_svc_ses::Ses::new(store.clone(), clock.clone(), ses_options, Some(bus.clone() as Arc<dyn nimbus_core::EventBus>)));
    let _ = bus.ses.set(ses.clone());
    services.push(ses.clone());
    services.push(Arc::new(ses.v2()));
    let s3 = Arc::new(s3::S3(Arc::new(nimbus_svc_s3::S3Front::with_defaults(
        store.clone(),
        clock.clone(),
        credentials.clone(),
        config.auth_mode == AuthMode::Strict,
        &config.account_id,
        &config.default_region,
        Some(bus.clone() as Arc<dyn nimbus_core::EventBus>),
    )), bus.clone() as Arc<dyn nimbus_core::EventBus>));
    let _ = bus.s3.set(s3.0.clone());
    s3.0.set_authorizer(authorizer.clone());
    s3.0.set_key_manager(keys);
    // CloudTrail records every call the server serves (its recorder is the server's audit sink)
    // and writes trails' log files into S3 through the bus.
    let cloudtrail = Arc::new(nimbus_svc_cloudtrail::CloudTrail::new(store.clone(), clock.clone()).with_event_bus(bus.clone()));
    let cloudtrail_recorder = cloudtrail.recorder();
    s3.0.set_audit_sink(Arc::new(cloudtrail_recorder.clone()));
    services.push(cloudtrail.clone());
    // CloudWatch takes metric-filter datapoints from Logs (and standard metrics) through the bus,
    // and publishes alarm actions to SNS through it.
    let cloudwatch = Arc::new(nimbus_svc_cloudwatch::CloudWatch::new(store.clone(), clock.clone()).with_event_bus(bus.clone()));
    let _ = bus.cloudwatch.set(cloudwatch.clone());
    services.push(cloudwatch.clone());
    let logs = Arc::new(nimbus_svc_logs::Logs::new(store.clone(), clock.clone()).with_event_bus(bus.clone()));
    services.push(logs.clone());
    let sns_pages = Arc::new(sns::SnsPages { sns: sns.clone(), ses: ses.clone(), account_id: config.account_id.clone(), region: config.default_region.clone() });
    let set = ServiceSet {
        services,
        http_services: vec![s3.clone()],
        sweepers: vec![
            s3,
            Arc::new(sqs::SqsSweeper { sqs, bus: bus.clone() }),
            Arc::new(kms::KmsSweeper(kms)),
            Arc::new(dynamodb::DynamoDbSweeper(dynamodb)),
            Arc::new(cloudtrail::CloudTrailSweeper(cloudtrail)),
            Arc::new(observability::LogsSweeper(logs)),
            Arc::new(observability::CloudWatchSweeper(cloudwatch)),
        ],
        admin_pages: vec![
            sns_pages,
            Arc::new(ses::SesPages { ses, account_id: config.account_id.clone(), region: config.default_region.clone() }),
        ],
        authorizer: Some(authorizer),
        audit: Some(Arc::new(cloudtrail_recorder.clone())),
    };
    Built { set, sns, cloudtrail_recorder }
}

/// `nimbus services`: per service, the operations implemented out of the model's total.
fn services(json: bool) -> anyhow::Result<()> {
    let store = Store::open_ephemeral()?;
    let clock = Clock::system();
    let credentials = Arc::new(Credentials::new(store.clone(), vec![]));
    let config = Config {
        default_region: nimbus_core::DEFAULT_REGION.into(),
        account_id: nimbus_core::DEFAULT_ACCOUNT_ID.into(),
        auth_mode: AuthMode::Default,
        max_body_bytes: 0,
    };
    let services = build_services(&store, &clock, &credentials, &config, Default::default()).set;
    let nimbus = Nimbus::new(config, store.clone(), clock.clone(), credentials.clone(), services);
    let coverage = nimbus_server::admin::coverage(&nimbus);
    if json {
        println!("{}", serde_json::to_string_pretty(&coverage)?);
        return Ok(());
    }
    println!("{:<18} {:>11}  implemented operations", "service", "implemented");
    for (name, entry) in coverage.as_object().expect("coverage is an object") {
        let ops: Vec<&str> = entry["operations"].as_array().into_iter().flatten().filter_map(|o| o.as_str()).collect();
        let count = format!("{}/{}", entry["implemented"], entry["total"]);
        println!("{name:<18} {count:>11}  {}", if ops.is_empty() { "-".to_owned() } else { ops.join(", ") });
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
