//! The CloudWatch suite, over CloudWatch's awsJson 1.0 protocol (`X-Amz-Target:
//! GraniteServiceVersion20100801.<Op>`; boto3 speaks CBOR to CloudWatch now, but the bench
//! signs its own requests and both servers take JSON), on a server of its own with a durable
//! store:
//!
//! 1. **PutMetricData** throughput: one request of 20 MetricData (4 metrics × 5 hosts, two
//!    dimensions each) × 10 Values, signed once and replayed from several closed-loop
//!    clients; datapoints per second and server CPU per datapoint.
//! 2. **PutMetricAlarm** of 10,000 alarms over 100 metrics (signed per request, from the
//!    same clients at once, stopped at a cap); alarms per second. Even alarms have a
//!    threshold below the metrics' value, odd ones above it.
//! 3. **Alarm evaluation** (Nimbus only: moto never evaluates alarms): the 100 metrics get a
//!    datapoint each, then `POST /_nimbus/clock {"advance_seconds": 60}` moves the clock, and
//!    that request answers only after the sweepers (alarm evaluation among them) ran: its
//!    wall time and the server's CPU over it are one evaluation round. The first round
//!    moves every alarm out of INSUFFICIENT_DATA; the later ones (data put again before
//!    each) change nothing. A round before any alarm exists is the baseline.
//! 4. **DescribeAlarms** paging through every alarm (100 per page, `NextToken` followed),
//!    and through those with `StateValue=ALARM`; each count checked.
//!
//! What fails is recorded per measurement and the suite goes on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

use crate::Plan;
use crate::load::{self, LoadResult, LoadShape, http_error};
use crate::numbered::{self, JobStatus, NumberedRun, NumberedShape};
use crate::procfs;
use crate::requests::{self, Answer, ContentSha256, SignedRequest, ToSign};
use crate::sqs::{SetupFailure, says_not_implemented};

/// Names of the measurements, in the table and on stderr.
pub const PUT: &str = "CloudWatch PutMetricData 20 × 10 values";
pub const CREATE: &str = "CloudWatch PutMetricAlarm";
/// The throughput run's namespace, and the alarms' (kept apart so the load feeds no alarm).
pub const PUT_NAMESPACE: &str = "NimbusBench/Put";
pub const ALARM_NAMESPACE: &str = "NimbusBench/Alarms";
/// MetricData per PutMetricData and Values per MetricData of the throughput run.
pub const DATUMS: usize = 20;
pub const VALUES: usize = 10;
/// Datapoints one throughput request carries.
pub const DATAPOINTS_PER_REQUEST: u64 = (DATUMS * VALUES) as u64;
/// Metrics the alarms watch (alarm `i` watches metric `i % 100`).
pub const ALARM_METRICS: u64 = 100;
/// The value every watched metric gets, and the two thresholds (`GreaterThanThreshold`):
/// even alarms breach, odd ones do not.
const ALARM_VALUE: f64 = 100.0;
const BREACHED_THRESHOLD: f64 = 50.0;
const CLEAR_THRESHOLD: f64 = 150.0;
/// The alarms' period, and how far each evaluation round moves the clock.
pub const PERIOD_SECS: u64 = 60;
/// DescribeAlarms' page size, AWS's largest.
pub const PAGE: u64 = 100;
/// Times each DescribeAlarms paging is repeated (the median is reported).
pub const PAGING_REPEATS: usize = 3;
/// A request without an answer after this long is given up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// How the CloudWatch suite is run.
#[derive(Debug, Clone, Copy)]
pub struct CloudWatchShape {
    /// Concurrent clients of the PutMetricData load and of the alarm creation.
    pub clients: usize,
    /// Alarms created.
    pub alarms: u64,
    /// Evaluation rounds after the alarms exist (Nimbus only).
    pub rounds: usize,
    /// The alarm creation stops after this long; so does each paging.
    pub cap: Duration,
}

/// One evaluation round: `POST /_nimbus/clock`, answered after the sweepers ran.
#[derive(Debug, Clone, Copy)]
pub struct Round {
    pub elapsed: Duration,
    pub server_cpu: Duration,
}

/// The evaluation rounds.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// A round before any alarm existed (after the PutMetricData load).
    pub baseline: Round,
    /// The rounds with the alarms: the first moves them out of INSUFFICIENT_DATA.
    pub rounds: Vec<Round>,
}

impl Evaluation {
    /// The median of the rounds after the first, if there are any.
    pub fn later(&self) -> Option<Round> {
        let mut later: Vec<Round> = self.rounds.iter().skip(1).copied().collect();
        later.sort_by_key(|r| r.elapsed);
        load::nearest_rank(&later, 0.5).copied()
    }
}

/// One DescribeAlarms filter paged through, repeatedly.
#[derive(Debug, Clone, Default)]
pub struct Paging {
    /// Each complete paging's time (request round trips summed).
    pub times: Vec<Duration>,
    /// Pages and alarms of the last paging.
    pub pages: u64,
    pub alarms: u64,
    /// Alarms the filter should find, if the server evaluates them.
    pub expected: u64,
    /// Set when a paging was cut by the cap.
    pub stopped_at_cap: bool,
}

impl Paging {
    pub fn median(&self) -> Option<Duration> {
        let mut times = self.times.clone();
        times.sort_unstable();
        load::nearest_rank(&times, 0.5).copied()
    }
}

/// What the CloudWatch suite measured on one server.
#[derive(Debug, Clone)]
pub struct CloudWatchResults {
    pub put: Result<LoadResult, SetupFailure>,
    pub create: Result<NumberedRun, SetupFailure>,
    /// `None` on a server that cannot be told to evaluate (moto).
    pub evaluation: Option<Result<Evaluation, SetupFailure>>,
    pub describe_all: Result<Paging, SetupFailure>,
    pub describe_in_alarm: Result<Paging, SetupFailure>,
    /// Whether the server evaluates alarms at all (moto leaves them as created).
    pub evaluates: bool,
    /// VmRSS right after the suite, in KiB.
    pub rss_after_kib: Option<u64>,
}

impl CloudWatchResults {
    pub fn not_run(failure: SetupFailure, evaluates: bool) -> Self {
        CloudWatchResults {
            put: Err(failure.clone()),
            create: Err(failure.clone()),
            evaluation: evaluates.then(|| Err(failure.clone())),
            describe_all: Err(failure.clone()),
            describe_in_alarm: Err(failure),
            evaluates,
            rss_after_kib: None,
        }
    }
}

/// A CloudWatch awsJson 1.0 call, signed for `addr` as an SDK signs it.
fn call(
    label: &'static str,
    addr: SocketAddr,
    operation: &str,
    input: &Value,
) -> anyhow::Result<SignedRequest> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    headers.insert(
        "x-amz-target",
        HeaderValue::from_str(&format!("GraniteServiceVersion20100801.{operation}"))?,
    );
    requests::sign_with_headers(
        addr,
        ToSign {
            label,
            service: "monitoring",
            method: Method::POST,
            path: "/",
            query: "",
            headers,
            body: serde_json::to_vec(input)?.into(),
            content_sha256: ContentSha256::Absent,
        },
    )
}

fn ok_json(answer: &Answer, operation: &str) -> Result<Value, String> {
    if answer.status != StatusCode::OK {
        return Err(http_error(answer));
    }
    // An empty body is a valid answer to the operations without output.
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice::<Value>(&answer.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| format!("{operation}: 200 without a JSON object"))
}

async fn expect_json(addr: SocketAddr, request: &SignedRequest) -> anyhow::Result<Value> {
    let answer = requests::send_once(addr, request)
        .await
        .with_context(|| format!("{} to {addr}", request.label))?;
    ok_json(&answer, request.label)
        .map_err(|why| anyhow::anyhow!("{} answered {why}", request.label))
}

fn setup_failure(error: &anyhow::Error) -> SetupFailure {
    let why = format!("{error:#}");
    SetupFailure {
        not_implemented: says_not_implemented(&why),
        why,
    }
}

/// The throughput run's request: 4 metrics × 5 hosts, 10 values each.
fn put_metric_data(addr: SocketAddr) -> anyhow::Result<SignedRequest> {
    let names = ["RequestLatency", "ResponseBytes", "QueueDepth", "CpuPercent"];
    let datums: Vec<Value> = (0..DATUMS)
        .map(|i| {
            let values: Vec<f64> = (0..VALUES).map(|v| (i * VALUES + v) as f64 + 0.5).collect();
            json!({
                "MetricName": names[i % names.len()],
                "Dimensions": [
                    { "Name": "Host", "Value": format!("host-{}", i / names.len()) },
                    { "Name": "Service", "Value": "api" },
                ],
                "Values": values,
                "Counts": vec![1.0; VALUES],
            })
        })
        .collect();
    call(
        "cloudwatch:PutMetricData",
        addr,
        "PutMetricData",
        &json!({ "Namespace": PUT_NAMESPACE, "MetricData": datums }),
    )
}

fn alarm_metric(metric: u64) -> (String, Value) {
    (
        format!("latency-{metric:03}"),
        json!([{ "Name": "Service", "Value": format!("svc-{metric:03}") }]),
    )
}

pub fn alarm_name(alarm: u64) -> String {
    format!("bench-alarm-{alarm:06}")
}

fn put_metric_alarm(addr: SocketAddr, alarm: u64) -> anyhow::Result<SignedRequest> {
    let (metric, dimensions) = alarm_metric(alarm % ALARM_METRICS);
    let threshold = if alarm.is_multiple_of(2) {
        BREACHED_THRESHOLD
    } else {
        CLEAR_THRESHOLD
    };
    call(
        "cloudwatch:PutMetricAlarm",
        addr,
        "PutMetricAlarm",
        &json!({
            "AlarmName": alarm_name(alarm),
            "Namespace": ALARM_NAMESPACE,
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": "Average",
            "Period": PERIOD_SECS,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
        }),
    )
}

/// One datapoint (at the server's now) for each watched metric, 20 metrics per request.
async fn put_alarm_data(addr: SocketAddr) -> anyhow::Result<()> {
    for first in (0..ALARM_METRICS).step_by(DATUMS) {
        let datums: Vec<Value> = (first..(first + DATUMS as u64).min(ALARM_METRICS))
            .map(|m| {
                let (name, dimensions) = alarm_metric(m);
                json!({ "MetricName": name, "Dimensions": dimensions, "Value": ALARM_VALUE })
            })
            .collect();
        let input = json!({ "Namespace": ALARM_NAMESPACE, "MetricData": datums });
        expect_json(
            addr,
            &call("cloudwatch:PutMetricData", addr, "PutMetricData", &input)?,
        )
        .await?;
    }
    Ok(())
}

/// The throughput request sent once, and its metrics listed back.
async fn prepare(addr: SocketAddr) -> Result<(), SetupFailure> {
    let setup = async {
        expect_json(addr, &put_metric_data(addr)?).await?;
        let input = json!({ "Namespace": PUT_NAMESPACE });
        let listed = expect_json(
            addr,
            &call("cloudwatch:ListMetrics", addr, "ListMetrics", &input)?,
        )
        .await?;
        // moto lists a metric once per datapoint: the metrics are counted once each.
        let mut metrics: Vec<String> = listed
            .get("Metrics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|m| format!("{}{}", m["MetricName"], m["Dimensions"]))
            .collect();
        metrics.sort_unstable();
        metrics.dedup();
        if metrics.len() != DATUMS {
            let text: String = listed.to_string().chars().take(300).collect();
            bail!(
                "ListMetrics answered {} distinct metrics after PutMetricData of {DATUMS}: {text}",
                metrics.len()
            );
        }
        anyhow::Ok(())
    };
    setup.await.map_err(|error| setup_failure(&error))
}

/// `POST /_nimbus/clock`, unsigned like every admin path: the clock moves `seconds` and
/// the answer comes after the sweepers ran.
fn advance_clock(addr: SocketAddr, seconds: u64) -> anyhow::Result<SignedRequest> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::HOST,
        HeaderValue::from_str(&addr.to_string())?,
    );
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(SignedRequest {
        label: "POST /_nimbus/clock",
        method: Method::POST,
        uri: http::Uri::from_static("/_nimbus/clock"),
        headers,
        body: Bytes::from(json!({ "advance_seconds": seconds }).to_string()),
    })
}

async fn evaluation_round(addr: SocketAddr, (server_pid, plan): (u32, &Plan)) -> anyhow::Result<Round> {
    let request = advance_clock(addr, PERIOD_SECS)?;
    let tree = procfs::process_tree(server_pid);
    let before = plan.cpu_clock.cpu_time(&tree)?;
    let started = Instant::now();
    let answer = requests::send_once(addr, &request).await?;
    let elapsed = started.elapsed();
    let server_cpu = plan.cpu_clock.cpu_time(&tree)?.saturating_sub(before);
    if answer.status != StatusCode::OK {
        bail!("{} answered {}", request.label, http_error(&answer));
    }
    Ok(Round { elapsed, server_cpu })
}

/// Pages through DescribeAlarms (`StateValue` if given) [`PAGING_REPEATS`] times.
async fn describe_paging(
    addr: SocketAddr,
    state: Option<&str>,
    expected: u64,
    cap: Duration,
) -> anyhow::Result<Paging> {
    let mut paging = Paging {
        expected,
        ..Paging::default()
    };
    let deadline = Instant::now() + cap;
    let mut client = load::Client::new(addr, None);
    for _ in 0..PAGING_REPEATS {
        let (mut pages, mut alarms, mut took) = (0, 0, Duration::ZERO);
        let mut token: Option<String> = None;
        let complete = loop {
            if Instant::now() >= deadline {
                break false;
            }
            let mut input = json!({ "MaxRecords": PAGE });
            if let Some(state) = state {
                input["StateValue"] = Value::from(state);
            }
            if let Some(token) = &token {
                input["NextToken"] = Value::from(token.as_str());
            }
            let request = call("cloudwatch:DescribeAlarms", addr, "DescribeAlarms", &input)?;
            let sent = Instant::now();
            let answer = tokio::time::timeout(REQUEST_TIMEOUT, client.send(&request))
                .await
                .context("DescribeAlarms: no answer in time")??;
            took += sent.elapsed();
            let output = ok_json(&answer, "DescribeAlarms").map_err(anyhow::Error::msg)?;
            pages += 1;
            alarms += output
                .get("MetricAlarms")
                .and_then(Value::as_array)
                .map_or(0, Vec::len) as u64;
            match output.get("NextToken").and_then(Value::as_str) {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break true,
            }
        };
        paging.pages = pages;
        paging.alarms = alarms;
        if !complete {
            paging.stopped_at_cap = true;
            break;
        }
        paging.times.push(took);
    }
    Ok(paging)
}

/// The alarm creation: `shape.alarms` PutMetricAlarm from `shape.clients` clients.
async fn run_create(
    addr: SocketAddr,
    shape: CloudWatchShape,
    (server_pid, plan): (u32, &Plan),
    name: &str,
) -> anyhow::Result<NumberedRun> {
    let make: Arc<numbered::MakeJob> =
        Arc::new(move |_client, alarm| Ok((put_metric_alarm(addr, alarm)?, 1)));
    let check: Arc<numbered::CheckAnswer> =
        Arc::new(|answer, _| ok_json(answer, "PutMetricAlarm").map(|_| 1));
    let numbered_shape = NumberedShape {
        clients: shape.clients,
        jobs: shape.alarms,
        cap: shape.cap,
        request_timeout: REQUEST_TIMEOUT,
    };
    numbered::run(
        addr,
        numbered_shape,
        (server_pid, plan.cpu_clock),
        (make, check),
        &format!("{name}: {CREATE}"),
    )
    .await
}

/// The PutMetricData load: one signed request replayed, each answer a 200.
async fn run_put(
    addr: SocketAddr,
    shape: LoadShape,
    (server_pid, plan): (u32, &Plan),
) -> anyhow::Result<LoadResult> {
    let request = put_metric_data(addr)?;
    let mut result = load::run(addr, request, shape, server_pid, plan.cpu_clock).await?;
    // The replayed load counts requests; each carries the same datapoints.
    result.items = result.requests * DATAPOINTS_PER_REQUEST;
    Ok(result)
}

fn failure_of(error: anyhow::Error, name: &str, what: &str) -> SetupFailure {
    eprintln!("{name}: {what}: {error:#}");
    setup_failure(&error)
}

/// The whole suite on a started server at `addr` (process `server_pid`); `evaluates` says
/// whether the server can be told to evaluate its alarms (`POST /_nimbus/clock`).
pub async fn measure(
    addr: SocketAddr,
    server_pid: u32,
    plan: &Plan,
    name: &str,
    evaluates: bool,
) -> CloudWatchResults {
    let shape = plan.cloudwatch;
    if let Err(failure) = prepare(addr).await {
        let what = if failure.not_implemented {
            "not implemented"
        } else {
            "setting up"
        };
        eprintln!("{name}: CloudWatch: {what}: {}", failure.why);
        return CloudWatchResults::not_run(failure, evaluates);
    }
    eprintln!("{name}: CloudWatch: PutMetricData answered, its {DATUMS} metrics listed back");
    let server = (server_pid, plan);
    let load_shape = LoadShape {
        connections: shape.clients,
        ..plan.shape
    };
    let put = match run_put(addr, load_shape, server).await {
        Ok(result) => {
            crate::logs::progress(name, PUT, "datapoints", &result);
            Ok(result)
        }
        Err(error) => Err(failure_of(error, name, PUT)),
    };
    let baseline = if evaluates {
        match evaluation_round(addr, server).await {
            Ok(round) => {
                eprintln!(
                    "{name}: CloudWatch evaluation round without alarms: {:.1} ms, server CPU {:.0} ms",
                    round.elapsed.as_secs_f64() * 1000.0,
                    round.server_cpu.as_secs_f64() * 1000.0
                );
                Some(Ok(round))
            }
            Err(error) => Some(Err(failure_of(error, name, "evaluation round"))),
        }
    } else {
        None
    };
    let create = match run_create(addr, shape, server, name).await {
        Ok(run) => {
            eprintln!(
                "{name}: {CREATE}: {} of {} alarms in {:.1} s{} ({:.0} alarms/s), {} failed, p50 {:.2} ms, server {:.2} cores",
                run.acknowledged,
                shape.alarms,
                run.elapsed.as_secs_f64(),
                if run.stopped_at_cap { " (stopped at the cap)" } else { "" },
                run.items_per_second(),
                run.failed,
                run.latency_ms(0.5).unwrap_or(f64::NAN),
                run.server_cpu_share(),
            );
            for (kind, count) in &run.error_kinds {
                eprintln!("{name}: {CREATE}: {count} × {kind}");
            }
            Ok(run)
        }
        Err(error) => Err(failure_of(error, name, CREATE)),
    };
    let (created, breaching) = match &create {
        Ok(run) => {
            let done = |even: bool| {
                (0u64..)
                    .zip(&run.statuses)
                    .filter(|(i, s)| **s == JobStatus::Done && (!even || i.is_multiple_of(2)))
                    .count() as u64
            };
            (done(false), done(true))
        }
        Err(_) => (0, 0),
    };
    let data = put_alarm_data(addr).await;
    let evaluation = match (baseline, data) {
        (None, _) => None,
        (Some(Err(failure)), _) => Some(Err(failure)),
        (Some(Ok(_)), Err(error)) => Some(Err(failure_of(error, name, "PutMetricData for the alarms"))),
        (Some(Ok(baseline)), Ok(())) => Some(run_rounds(addr, shape, server, baseline, name).await),
    };
    let in_alarm = if evaluates { breaching } else { 0 };
    let describe = |state, expected| async move {
        describe_paging(addr, state, expected, shape.cap)
            .await
            .map_err(|error| failure_of(error, name, "DescribeAlarms"))
    };
    let describe_all = describe(None, created).await;
    let describe_in_alarm = describe(Some("ALARM"), in_alarm).await;
    for (what, paging) in [("all", &describe_all), ("StateValue=ALARM", &describe_in_alarm)] {
        if let Ok(paging) = paging {
            eprintln!(
                "{name}: DescribeAlarms {what}: {} alarms (expected {}) in {} pages, median {:.1} ms{}",
                paging.alarms,
                paging.expected,
                paging.pages,
                paging.median().unwrap_or_default().as_secs_f64() * 1000.0,
                if paging.stopped_at_cap { " (stopped at the cap)" } else { "" },
            );
        }
    }
    CloudWatchResults {
        put,
        create,
        evaluation,
        describe_all,
        describe_in_alarm,
        evaluates,
        rss_after_kib: procfs::rss_kib(&procfs::process_tree(server_pid)).ok(),
    }
}

/// The evaluation rounds with the alarms: data for the watched metrics before each (the
/// first round's data is already in).
async fn run_rounds(
    addr: SocketAddr,
    shape: CloudWatchShape,
    server: (u32, &Plan),
    baseline: Round,
    name: &str,
) -> Result<Evaluation, SetupFailure> {
    let mut evaluation = Evaluation {
        baseline,
        rounds: Vec::new(),
    };
    for round in 0..shape.rounds {
        if round > 0
            && let Err(error) = put_alarm_data(addr).await
        {
            return Err(failure_of(error, name, "PutMetricData for the alarms"));
        }
        let measured = evaluation_round(addr, server)
            .await
            .map_err(|error| failure_of(error, name, "evaluation round"))?;
        eprintln!(
            "{name}: CloudWatch evaluation round {}/{} with {} alarms: {:.1} ms, server CPU {:.0} ms",
            round + 1,
            shape.rounds,
            shape.alarms,
            measured.elapsed.as_secs_f64() * 1000.0,
            measured.server_cpu.as_secs_f64() * 1000.0
        );
        evaluation.rounds.push(measured);
    }
    Ok(evaluation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(request: &SignedRequest) -> Value {
        serde_json::from_slice(&request.body).unwrap()
    }

    #[test]
    fn the_throughput_request_carries_20_metrics_of_10_values() {
        let addr: SocketAddr = "127.0.0.1:4566".parse().unwrap();
        let request = put_metric_data(addr).unwrap();
        assert_eq!(
            request.headers["x-amz-target"],
            "GraniteServiceVersion20100801.PutMetricData"
        );
        let input = body(&request);
        let datums = input["MetricData"].as_array().unwrap();
        assert_eq!(datums.len(), DATUMS);
        let points: usize = datums.iter().map(|d| d["Values"].as_array().unwrap().len()).sum();
        assert_eq!(points as u64, DATAPOINTS_PER_REQUEST);
        // 20 distinct metrics (name + dimensions), as ListMetrics is expected to list.
        let mut distinct: Vec<String> = datums
            .iter()
            .map(|d| format!("{}{}", d["MetricName"], d["Dimensions"]))
            .collect();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), DATUMS);
    }

    #[test]
    fn even_alarms_breach_and_odd_ones_do_not() {
        let addr: SocketAddr = "127.0.0.1:4566".parse().unwrap();
        for alarm in [0, 1, 100, 9_999] {
            let input = body(&put_metric_alarm(addr, alarm).unwrap());
            let threshold = input["Threshold"].as_f64().unwrap();
            assert_eq!(ALARM_VALUE > threshold, alarm.is_multiple_of(2));
            assert_eq!(input["MetricName"], alarm_metric(alarm % ALARM_METRICS).0);
        }
    }

    #[test]
    fn later_rounds_take_the_median_after_the_first() {
        let round = |ms| Round {
            elapsed: Duration::from_millis(ms),
            server_cpu: Duration::ZERO,
        };
        let evaluation = Evaluation {
            baseline: round(1),
            rounds: vec![round(500), round(30), round(10), round(20)],
        };
        assert_eq!(evaluation.later().unwrap().elapsed, Duration::from_millis(20));
        let one = Evaluation {
            baseline: round(1),
            rounds: vec![round(500)],
        };
        assert!(one.later().is_none());
    }
}
