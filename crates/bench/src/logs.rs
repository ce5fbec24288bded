//! The CloudWatch Logs suite, over its JSON protocol (`X-Amz-Target: Logs_20140328.<Op>`,
//! awsJson 1.1), on a server of its own with a durable store:
//!
//! 1. **PutLogEvents** throughput: each closed-loop client puts batches of 1,000 events
//!    (~100-byte messages, increasing timestamps) into a stream of its own, signed per
//!    request; events per second and server CPU per event.
//! 2. **Group load**: N events (1,000,000 by default) into one log group, 10,000 per
//!    PutLogEvents (one stream per client), from the same clients at once, stopped at a cap;
//!    events per second. Every event is a 68- to 73-byte JSON object.
//! 3. **FilterLogEvents** over that group, following `nextToken` to the end, one client:
//!    a term pattern matching 1 % of the events, and the JSON pattern
//!    `{ $.level = "ERROR" && $.latency > 200 }` matching another 1 %. Every event returned
//!    is checked against the pattern and the count against what was loaded; seconds per full
//!    scan and events scanned per second. A scan cut by the cap is extrapolated from how far
//!    it got (the furthest event returned), and says so.
//!
//! What fails is recorded per measurement and the suite goes on.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

use crate::Plan;
use crate::load::{self, Client, LoadResult, LoadShape, Tally, Window, http_error};
use crate::numbered::{self, JobStatus, NumberedRun, NumberedShape};
use crate::procfs;
use crate::requests::{self, Answer, ContentSha256, SignedRequest, ToSign};
use crate::sqs::{SetupFailure, says_not_implemented};

/// Names of the measurements, in the table and on stderr.
pub const PUT: &str = "Logs PutLogEvents ×1000 ~100 B";
pub const LOAD: &str = "Logs group load";
/// The group of the PutLogEvents throughput run, and the group the scans read.
pub const PUT_GROUP: &str = "/nimbus-bench/put";
pub const FILTER_GROUP: &str = "/nimbus-bench/filter";
/// Events per PutLogEvents of the throughput run.
pub const PUT_BATCH: u64 = 1_000;
/// Events per PutLogEvents of the group load: AWS's most per request. AWS also caps a
/// request at 1,048,576 bytes counting 26 per event plus its message, which is why the
/// load's messages stay under 78 bytes.
pub const LOAD_BATCH: u64 = 10_000;
/// The group's longest message (see [`group_message`]).
const GROUP_MESSAGE_MAX_BYTES: u64 = 73;
// A full load batch fits AWS's request limit: the messages' bytes plus 26 per event.
const _: () = assert!(LOAD_BATCH * (GROUP_MESSAGE_MAX_BYTES + 26) <= 1_048_576);
/// Length of the throughput run's messages.
pub const PUT_MESSAGE_BYTES: usize = 100;
/// The two scans' patterns: a term in 1 % of the messages, and a JSON pattern true of
/// another 1 %.
pub const TERM_PATTERN: &str = "timeout";
pub const JSON_PATTERN: &str = r#"{ $.level = "ERROR" && $.latency > 200 }"#;
/// Events are stamped this long before the suite starts (AWS takes events up to 14 days
/// old and 2 hours ahead).
const STAMP_BACK: Duration = Duration::from_secs(2 * 3600);
/// Events per millisecond of timestamp: a million events span 10 s.
const EVENTS_PER_MS: u64 = 100;
/// A load request without an answer after this long is given up.
const LOAD_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// A scan page gets at most this long, even with more of the cap left.
const PAGE_TIMEOUT: Duration = Duration::from_secs(600);

/// How the Logs suite is run.
#[derive(Debug, Clone, Copy)]
pub struct LogsShape {
    /// Concurrent clients of the PutLogEvents throughput run and of the group load.
    pub clients: usize,
    /// Events the group load puts (and the scans read).
    pub events: u64,
    /// The group load stops after this long.
    pub load_cap: Duration,
    /// Each pattern's scans stop after this long, all repeats together.
    pub scan_cap: Duration,
    /// Full scans per pattern (the median is reported).
    pub scans: usize,
}

/// What the Logs suite measured on one server: each measurement, or why it has none.
#[derive(Debug, Clone)]
pub struct LogsResults {
    pub put: Result<LoadResult, SetupFailure>,
    pub load: Result<NumberedRun, SetupFailure>,
    pub term: Result<Scans, SetupFailure>,
    pub json: Result<Scans, SetupFailure>,
    /// VmRSS right after the scans, in KiB.
    pub rss_after_kib: Option<u64>,
}

impl LogsResults {
    pub fn not_run(failure: SetupFailure) -> Self {
        LogsResults {
            put: Err(failure.clone()),
            load: Err(failure.clone()),
            term: Err(failure.clone()),
            json: Err(failure),
            rss_after_kib: None,
        }
    }
}

/// Which of the two scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    Term,
    Json,
}

impl Pattern {
    pub fn text(self) -> &'static str {
        match self {
            Pattern::Term => TERM_PATTERN,
            Pattern::Json => JSON_PATTERN,
        }
    }

    /// Whether the group's event `n` matches.
    pub fn matches(self, n: u64) -> bool {
        match self {
            Pattern::Term => n % 100 == 37,
            Pattern::Json => n % 100 == 3,
        }
    }

    /// Events of `range` that match: both patterns take one residue mod 100.
    fn matches_in(self, range: Range<u64>) -> u64 {
        let residue = match self {
            Pattern::Term => 37,
            Pattern::Json => 3,
        };
        let below = |x: u64| x / 100 + u64::from(x % 100 > residue);
        below(range.end) - below(range.start)
    }
}

/// One scan: FilterLogEvents from no token until none is returned (or the cap).
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// The requests' round trips summed (the client's reading of the pages left out).
    pub elapsed: Duration,
    pub pages: u64,
    /// Events returned, those that are loaded events matching the pattern, and the others.
    pub returned: u64,
    pub matching: u64,
    pub foreign: u64,
    /// The last page came without a `nextToken`.
    pub complete: bool,
    /// The largest event number returned: how far a cut scan got.
    pub furthest: Option<u64>,
    pub server_cpu: Duration,
}

/// One pattern's scans.
#[derive(Debug, Clone)]
pub struct Scans {
    pub pattern: Pattern,
    /// Events in the group, and the matches among them when known (a load request that
    /// failed without an answer leaves it unknown).
    pub loaded: u64,
    pub expected: Option<u64>,
    /// The largest event number loaded, plus one (for how far a cut scan got).
    pub loaded_end: u64,
    pub scans: Vec<Scan>,
    pub error_kinds: BTreeMap<String, u64>,
}

impl Scans {
    fn complete(&self) -> impl Iterator<Item = &Scan> {
        self.scans.iter().filter(|s| s.complete)
    }

    /// Seconds per full scan: the median of the complete scans; else extrapolated from the
    /// first scan's progress, with a word saying so.
    pub fn seconds_per_scan(&self) -> Option<(f64, Option<String>)> {
        let mut times: Vec<f64> = self.complete().map(|s| s.elapsed.as_secs_f64()).collect();
        times.sort_by(f64::total_cmp);
        if let Some(&median) = load::nearest_rank(&times, 0.5) {
            return Some((median, None));
        }
        let cut = self.scans.first()?;
        let fraction = self.progress(cut)?;
        Some((
            cut.elapsed.as_secs_f64() / fraction,
            Some(format!(
                "extrapolated from {:.0} % in {:.0} s",
                fraction * 100.0,
                cut.elapsed.as_secs_f64()
            )),
        ))
    }

    /// How far through the group a cut scan got, from the furthest event it returned.
    fn progress(&self, scan: &Scan) -> Option<f64> {
        let furthest = scan.furthest?;
        (self.loaded_end > 0).then(|| ((furthest + 1) as f64 / self.loaded_end as f64).min(1.0))
    }

    pub fn events_per_second(&self) -> Option<(f64, Option<String>)> {
        let (secs, flag) = self.seconds_per_scan()?;
        Some((self.loaded as f64 / secs, flag))
    }

    /// The scan the per-scan figures (pages, matches, CPU) come from: the first complete
    /// one, else the first.
    pub fn representative(&self) -> Option<&Scan> {
        self.complete().next().or(self.scans.first())
    }

    /// Why the answers cannot be trusted, if they cannot: events that do not match, or a
    /// complete scan with another count than was loaded.
    pub fn wrong(&self) -> Option<String> {
        let foreign: u64 = self.scans.iter().map(|s| s.foreign).sum();
        if foreign > 0 {
            let scan = self.scans.iter().find(|s| s.foreign > 0)?;
            return Some(format!(
                "{} of {} returned events do not match",
                scan.foreign, scan.returned
            ));
        }
        let expected = self.expected?;
        self.complete()
            .find(|s| s.matching != expected)
            .map(|s| format!("{} matches returned, {expected} loaded", s.matching))
    }

    pub fn errors(&self) -> u64 {
        self.error_kinds.values().sum()
    }
}

/// A Logs JSON-protocol call with `body`, signed for `addr` as an SDK signs it.
fn call(
    label: &'static str,
    addr: SocketAddr,
    operation: &str,
    body: Vec<u8>,
) -> anyhow::Result<SignedRequest> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    headers.insert(
        "x-amz-target",
        HeaderValue::from_str(&format!("Logs_20140328.{operation}"))?,
    );
    requests::sign_with_headers(
        addr,
        ToSign {
            label,
            service: "logs",
            method: Method::POST,
            path: "/",
            query: "",
            headers,
            body: body.into(),
            content_sha256: ContentSha256::Absent,
        },
    )
}

fn call_json(
    label: &'static str,
    addr: SocketAddr,
    operation: &str,
    input: &Value,
) -> anyhow::Result<SignedRequest> {
    call(label, addr, operation, serde_json::to_vec(input)?)
}

/// The answer's JSON, if it is a 200 with a JSON object.
fn ok_json(answer: &Answer, operation: &str) -> Result<Value, String> {
    if answer.status != StatusCode::OK {
        return Err(http_error(answer));
    }
    // moto answers the operations without output with an empty body.
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

/// Message `index` of a throughput stream: distinct, [`PUT_MESSAGE_BYTES`] long.
pub fn put_message(index: u64) -> String {
    let mut message = format!("INFO request {index} served in 12 ms path=/api/items ");
    while message.len() < PUT_MESSAGE_BYTES {
        message.push(char::from(b'a' + (message.len() % 26) as u8));
    }
    message.truncate(PUT_MESSAGE_BYTES);
    message
}

/// The group's event `n`: a JSON object of 68 to 73 bytes. One in 100 says `timeout`
/// ([`Pattern::Term`]); one in 50 is an ERROR, half of those slower than 200 ms
/// ([`Pattern::Json`]).
pub fn group_message(n: u64) -> String {
    let error = n % 50 == 3;
    let latency = match n % 100 {
        3 => 300 + (n / 100) % 700,
        53 => 153,
        _ => n.wrapping_mul(7919) % 1000,
    };
    let msg = if n % 100 == 37 {
        "upstream timeout"
    } else {
        "request served"
    };
    format!(
        r#"{{"level":"{}","latency":{latency},"req":"r{n:08}","msg":"{msg}"}}"#,
        if error { "ERROR" } else { "INFO" }
    )
}

/// The event number of a group message, if it is one.
fn group_event_number(message: &str) -> Option<u64> {
    let (_, rest) = message.split_once(r#""req":"r"#)?;
    let digits = rest.get(..8)?;
    let n = digits.parse().ok()?;
    (group_message(n) == message).then_some(n)
}

/// Milliseconds since the epoch, `STAMP_BACK` ago: the suite's first timestamp.
fn base_timestamp_ms() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(now.saturating_sub(STAMP_BACK).as_millis()).unwrap_or(0)
}

/// A PutLogEvents body of the events `range`, message and timestamp of each from the
/// functions given, in order (AWS wants a batch in chronological order).
fn put_body(
    group: &str,
    stream: &str,
    range: Range<u64>,
    message: impl Fn(u64) -> String,
    timestamp: impl Fn(u64) -> u64,
) -> Vec<u8> {
    let mut body = String::with_capacity((range.end - range.start) as usize * 120 + 100);
    let _ = write!(
        body,
        r#"{{"logGroupName":{},"logStreamName":{},"logEvents":["#,
        Value::from(group),
        Value::from(stream)
    );
    for (i, n) in range.enumerate() {
        if i > 0 {
            body.push(',');
        }
        let message = Value::from(message(n));
        let _ = write!(
            body,
            r#"{{"timestamp":{},"message":{message}}}"#,
            timestamp(n)
        );
    }
    body.push_str("]}");
    body.into_bytes()
}

/// Events a PutLogEvents answer says it refused (`rejectedLogEventsInfo`), of `sent`.
fn rejected_events(output: &Value, sent: u64) -> u64 {
    let Some(info) = output.get("rejectedLogEventsInfo").filter(|v| v.is_object()) else {
        return 0;
    };
    let index = |name: &str| info.get(name).and_then(Value::as_u64);
    // Old and expired events are the first ones up to an index; too new, from one on.
    let old = index("tooOldLogEventEndIndex")
        .max(index("expiredLogEventEndIndex"))
        .map_or(0, |end| end + 1);
    let new = index("tooNewLogEventStartIndex").map_or(0, |start| sent.saturating_sub(start));
    (old + new).min(sent)
}

fn check_put(answer: &Answer, sent: u64) -> Result<u64, String> {
    let output = ok_json(answer, "PutLogEvents")?;
    Ok(sent - rejected_events(&output, sent))
}

fn put_stream(client: usize) -> String {
    format!("put-{client}")
}

fn load_stream(client: usize) -> String {
    format!("load-{client}")
}

async fn create_group(addr: SocketAddr, group: &str) -> anyhow::Result<()> {
    let input = json!({ "logGroupName": group });
    expect_json(
        addr,
        &call_json("logs:CreateLogGroup", addr, "CreateLogGroup", &input)?,
    )
    .await?;
    Ok(())
}

async fn create_stream(addr: SocketAddr, group: &str, stream: &str) -> anyhow::Result<()> {
    let input = json!({ "logGroupName": group, "logStreamName": stream });
    expect_json(
        addr,
        &call_json("logs:CreateLogStream", addr, "CreateLogStream", &input)?,
    )
    .await?;
    Ok(())
}

/// The groups and every client's streams; one small batch put and read back (GetLogEvents)
/// intact.
async fn prepare(addr: SocketAddr, clients: usize) -> Result<(), SetupFailure> {
    let setup = async {
        create_group(addr, PUT_GROUP).await?;
        create_group(addr, FILTER_GROUP).await?;
        for client in 0..clients {
            create_stream(addr, PUT_GROUP, &put_stream(client)).await?;
            create_stream(addr, FILTER_GROUP, &load_stream(client)).await?;
        }
        create_stream(addr, PUT_GROUP, "check").await?;
        let base = base_timestamp_ms();
        let body = put_body(PUT_GROUP, "check", 0..3, put_message, |n| base + n);
        let answer = requests::send_once(addr, &call("logs:PutLogEvents", addr, "PutLogEvents", body)?)
            .await?;
        let accepted = check_put(&answer, 3).map_err(anyhow::Error::msg)?;
        if accepted != 3 {
            bail!("PutLogEvents of 3 events accepted {accepted}");
        }
        let input = json!({ "logGroupName": PUT_GROUP, "logStreamName": "check", "startFromHead": true });
        let got = expect_json(
            addr,
            &call_json("logs:GetLogEvents", addr, "GetLogEvents", &input)?,
        )
        .await?;
        let messages: Vec<&str> = got
            .get("events")
            .and_then(Value::as_array)
            .map(|events| {
                events
                    .iter()
                    .filter_map(|e| e.get("message").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let put: Vec<String> = (0..3).map(put_message).collect();
        if messages != put {
            bail!("GetLogEvents answered other events than were put: {got}");
        }
        anyhow::Ok(())
    };
    setup.await.map_err(|error| setup_failure(&error))
}

/// The PutLogEvents throughput run: each client its own stream, batches signed per request.
async fn run_put(
    addr: SocketAddr,
    shape: LoadShape,
    (server_pid, plan): (u32, &Plan),
) -> anyhow::Result<LoadResult> {
    let base = base_timestamp_ms();
    let next_client = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    load::run_workers(shape, server_pid, plan.cpu_clock, |window| {
        let client = next_client.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        put_loop(addr, put_stream(client), base, window)
    })
    .await
}

async fn put_loop(addr: SocketAddr, stream: String, base: u64, window: Window) -> Tally {
    let mut tally = Tally::default();
    let mut client = Client::new(addr, Some(window));
    let mut next = 0;
    loop {
        if Instant::now() >= window.end {
            break;
        }
        let events = next..next + PUT_BATCH;
        next = events.end;
        let body = put_body(PUT_GROUP, &stream, events, put_message, |n| {
            base + n / EVENTS_PER_MS
        });
        let request = match call("logs:PutLogEvents", addr, "PutLogEvents", body) {
            Ok(request) => request,
            Err(error) => {
                tally.error(format!("{error:#}"));
                continue;
            }
        };
        let sent = Instant::now();
        let outcome = match client.send(&request).await {
            Ok(answer) => check_put(&answer, PUT_BATCH),
            Err(error) => Err(format!("{error:#}")),
        };
        let done = Instant::now();
        match outcome {
            Ok(accepted) if accepted < PUT_BATCH => {
                tally.error(format!(
                    "PutLogEvents refused {} of {PUT_BATCH} events",
                    PUT_BATCH - accepted
                ));
            }
            Ok(accepted) if window.contains(done) => tally.done(done.duration_since(sent), accepted),
            Ok(_) => {}
            Err(why) => tally.error(why),
        }
    }
    tally.finish(&client)
}

/// The progress line of a load run whose items are `unit`, on stderr.
pub fn progress(name: &str, label: &str, unit: &str, result: &LoadResult) {
    let ms = |q| result.latency_quantile(q).unwrap_or_default().as_secs_f64() * 1000.0;
    eprintln!(
        "{name}: {label}: {:.0} {unit}/s ({:.0} req/s), p50 {:.2} ms, p99 {:.2} ms, {} errors, server {:.2} cores, load generator {:.2} cores",
        result.items_per_second(),
        result.requests_per_second(),
        ms(0.5),
        ms(0.99),
        result.errors,
        result.server_cpu_share(),
        result.client_cpu_share(),
    );
    for (kind, count) in &result.error_kinds {
        eprintln!("{name}: {label}: {count} × {kind}");
    }
}

/// The group load: `shape.events` events, [`LOAD_BATCH`] per request, one stream per client.
async fn run_load(
    addr: SocketAddr,
    shape: LogsShape,
    (server_pid, plan): (u32, &Plan),
    name: &str,
) -> anyhow::Result<NumberedRun> {
    let base = base_timestamp_ms();
    let events = shape.events;
    let make: Arc<numbered::MakeJob> = Arc::new(move |client, job| {
        let first = job * LOAD_BATCH;
        let range = first..(first + LOAD_BATCH).min(events);
        let count = range.end - range.start;
        let body = put_body(FILTER_GROUP, &load_stream(client), range, group_message, |n| {
            base + n / EVENTS_PER_MS
        });
        Ok((call("logs:PutLogEvents", addr, "PutLogEvents", body)?, count))
    });
    let check: Arc<numbered::CheckAnswer> = Arc::new(check_put);
    let numbered_shape = NumberedShape {
        clients: shape.clients,
        jobs: events.div_ceil(LOAD_BATCH),
        cap: shape.load_cap,
        request_timeout: LOAD_REQUEST_TIMEOUT,
    };
    numbered::run(
        addr,
        numbered_shape,
        (server_pid, plan.cpu_clock),
        (make, check),
        &format!("{name}: {LOAD}"),
    )
    .await
}

/// What the scans can count on after the load: events loaded, the end of the numbers
/// loaded, and the matches of each pattern when every sent batch was answered whole.
fn loaded_matches(load: &NumberedRun, events: u64, pattern: Pattern) -> (u64, Option<u64>) {
    let mut expected = Some(0);
    let mut end = 0;
    for (job, status) in (0u64..).zip(&load.statuses) {
        let range = job * LOAD_BATCH..((job + 1) * LOAD_BATCH).min(events);
        match status {
            JobStatus::Done => {
                expected = expected.map(|e| e + pattern.matches_in(range.clone()));
                end = end.max(range.end);
            }
            JobStatus::NotSent | JobStatus::Failed => {}
            JobStatus::Partial | JobStatus::Uncertain => {
                expected = None;
                end = end.max(range.end);
            }
        }
    }
    (end, expected)
}

fn filter_request(
    addr: SocketAddr,
    pattern: Pattern,
    token: Option<&str>,
) -> anyhow::Result<SignedRequest> {
    let mut input = json!({
        "logGroupName": FILTER_GROUP,
        "filterPattern": pattern.text(),
        // Ignored by AWS since 2019 (always interleaved); moto orders stream by stream
        // without it, which would make a cut scan's progress unreadable.
        "interleaved": true,
    });
    if let Some(token) = token {
        input["nextToken"] = Value::from(token);
    }
    call_json("logs:FilterLogEvents", addr, "FilterLogEvents", &input)
}

/// A page's events counted into `scan`; its `nextToken`, if any.
fn read_page(output: &Value, pattern: Pattern, scan: &mut Scan) -> Result<Option<String>, String> {
    let events = output
        .get("events")
        .and_then(Value::as_array)
        .ok_or("FilterLogEvents answered without events")?;
    for event in events {
        scan.returned += 1;
        let number = event
            .get("message")
            .and_then(Value::as_str)
            .and_then(group_event_number);
        match number {
            Some(n) if pattern.matches(n) => {
                scan.matching += 1;
                scan.furthest = scan.furthest.max(Some(n));
            }
            Some(n) => {
                scan.foreign += 1;
                scan.furthest = scan.furthest.max(Some(n));
            }
            None => scan.foreign += 1,
        }
    }
    // moto says `"nextToken": null` at the end; AWS leaves it out.
    Ok(output
        .get("nextToken")
        .and_then(Value::as_str)
        .map(str::to_owned))
}

/// One full scan (or as much as fits before `deadline`).
async fn scan_once(
    addr: SocketAddr,
    pattern: Pattern,
    deadline: Instant,
    (server_pid, plan): (u32, &Plan),
) -> Result<Scan, (Scan, String)> {
    let mut scan = Scan::default();
    let server_tree = procfs::process_tree(server_pid);
    let cpu = |tree: &[u32]| plan.cpu_clock.cpu_time(tree).unwrap_or_default();
    let server_before = cpu(&server_tree);
    let mut client = Client::new(addr, None);
    let mut token: Option<String> = None;
    let outcome = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Ok(());
        }
        let request = match filter_request(addr, pattern, token.as_deref()) {
            Ok(request) => request,
            Err(error) => break Err(format!("{error:#}")),
        };
        let sent = Instant::now();
        let answer = tokio::time::timeout(left.min(PAGE_TIMEOUT), client.send(&request)).await;
        scan.elapsed += sent.elapsed();
        let output = match answer {
            // The cap passed with a page in flight: the scan is cut there.
            Err(_) => break Ok(()),
            Ok(Err(error)) => break Err(format!("{error:#}")),
            Ok(Ok(answer)) => match ok_json(&answer, "FilterLogEvents") {
                Ok(output) => output,
                Err(why) => break Err(why),
            },
        };
        scan.pages += 1;
        match read_page(&output, pattern, &mut scan) {
            Ok(Some(next)) => token = Some(next),
            Ok(None) => {
                scan.complete = true;
                break Ok(());
            }
            Err(why) => break Err(why),
        }
    };
    scan.server_cpu = cpu(&server_tree).saturating_sub(server_before);
    match outcome {
        Ok(()) => Ok(scan),
        Err(why) => Err((scan, why)),
    }
}

/// Up to `shape.scans` full scans with `pattern`, all within `shape.scan_cap`.
async fn measure_scans(
    addr: SocketAddr,
    shape: LogsShape,
    server: (u32, &Plan),
    (loaded, loaded_end, expected): (u64, u64, Option<u64>),
    pattern: Pattern,
    name: &str,
) -> Scans {
    let mut scans = Scans {
        pattern,
        loaded,
        expected,
        loaded_end,
        scans: Vec::new(),
        error_kinds: BTreeMap::new(),
    };
    let deadline = Instant::now() + shape.scan_cap;
    for round in 1..=shape.scans {
        if Instant::now() >= deadline {
            break;
        }
        let scan = match scan_once(addr, pattern, deadline, server).await {
            Ok(scan) => scan,
            Err((scan, why)) => {
                eprintln!("{name}: FilterLogEvents {}: {why}", pattern.text());
                *scans.error_kinds.entry(why).or_default() += 1;
                scan
            }
        };
        eprintln!(
            "{name}: FilterLogEvents {} scan {round}/{}: {} pages, {} events returned ({} matching, expected {}), {:.2} s{}",
            pattern.text(),
            shape.scans,
            scan.pages,
            scan.returned,
            scan.matching,
            expected.map_or_else(|| "unknown".to_owned(), |e| e.to_string()),
            scan.elapsed.as_secs_f64(),
            if scan.complete { "" } else { " (cut by the cap)" },
        );
        let complete = scan.complete;
        scans.scans.push(scan);
        if !complete {
            break;
        }
    }
    scans
}

/// The whole suite on a started server at `addr` (process `server_pid`).
pub async fn measure(addr: SocketAddr, server_pid: u32, plan: &Plan, name: &str) -> LogsResults {
    let shape = plan.logs;
    if let Err(failure) = prepare(addr, shape.clients).await {
        let what = if failure.not_implemented {
            "not implemented"
        } else {
            "setting up the groups"
        };
        eprintln!("{name}: Logs: {what}: {}", failure.why);
        return LogsResults::not_run(failure);
    }
    eprintln!("{name}: Logs: groups and streams created, 3 events put and read back intact");
    let server = (server_pid, plan);
    let load_shape = LoadShape {
        connections: shape.clients,
        ..plan.shape
    };
    let put = match run_put(addr, load_shape, server).await {
        Ok(result) => {
            progress(name, PUT, "events", &result);
            Ok(result)
        }
        Err(error) => {
            eprintln!("{name}: {PUT}: {error:#}");
            Err(setup_failure(&error))
        }
    };
    let load = match run_load(addr, shape, server, name).await {
        Ok(load) => {
            eprintln!(
                "{name}: {LOAD}: {} of {} events in {:.1} s{} ({:.0} events/s), {} failed, server {:.2} cores, load generator {:.2} cores",
                load.acknowledged,
                shape.events,
                load.elapsed.as_secs_f64(),
                if load.stopped_at_cap { " (stopped at the cap)" } else { "" },
                load.items_per_second(),
                load.failed,
                load.server_cpu_share(),
                load.client_cpu_share(),
            );
            for (kind, count) in &load.error_kinds {
                eprintln!("{name}: {LOAD}: {count} × {kind}");
            }
            Ok(load)
        }
        Err(error) => {
            eprintln!("{name}: {LOAD}: {error:#}");
            Err(setup_failure(&error))
        }
    };
    let scan = |pattern| {
        let load = &load;
        async move {
            let load = match load {
                Ok(load) if load.acknowledged > 0 => load,
                Ok(_) => {
                    return Err(SetupFailure {
                        not_implemented: false,
                        why: "the group load put no event".to_owned(),
                    });
                }
                Err(failure) => return Err(failure.clone()),
            };
            let (end, expected) = loaded_matches(load, shape.events, pattern);
            let counts = (load.acknowledged, end, expected);
            let scans = measure_scans(addr, shape, server, counts, pattern, name).await;
            match scans.scans.first() {
                Some(first) if first.pages == 0 => {
                    let why = scans.error_kinds.keys().next().cloned().unwrap_or_default();
                    Err(SetupFailure {
                        not_implemented: says_not_implemented(&why),
                        why,
                    })
                }
                _ => Ok(scans),
            }
        }
    };
    let term = scan(Pattern::Term).await;
    let json = scan(Pattern::Json).await;
    LogsResults {
        put,
        load,
        term,
        json,
        rss_after_kib: procfs::rss_kib(&procfs::process_tree(server_pid)).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_messages_fit_a_full_batch_in_one_mib() {
        for n in [0, 3, 37, 53, 99, 12_345, 99_999_999] {
            let message = group_message(n);
            assert!((68..=GROUP_MESSAGE_MAX_BYTES as usize).contains(&message.len()), "{message}");
            assert_eq!(group_event_number(&message), Some(n));
        }
        assert_eq!(put_message(7).len(), PUT_MESSAGE_BYTES);
        assert_ne!(put_message(7), put_message(8));
        assert_eq!(group_event_number("{\"req\":\"r00000001\"}"), None);
    }

    #[test]
    fn the_patterns_match_one_percent_each_and_say_so_in_the_messages() {
        let term = (0..10_000).filter(|&n| Pattern::Term.matches(n)).count();
        let json = (0..10_000).filter(|&n| Pattern::Json.matches(n)).count();
        assert_eq!((term, json), (100, 100));
        for n in 0..1_000 {
            let message = group_message(n);
            assert_eq!(message.contains("timeout"), Pattern::Term.matches(n));
            let event: Value = serde_json::from_str(&message).unwrap();
            let json_match = event["level"] == "ERROR" && event["latency"].as_u64().unwrap() > 200;
            assert_eq!(json_match, Pattern::Json.matches(n), "{message}");
        }
        for range in [0..100, 0..3, 3..4, 4..137, 37..38, 50..1_037] {
            let counted = range.clone().filter(|&n| Pattern::Term.matches(n)).count() as u64;
            assert_eq!(Pattern::Term.matches_in(range.clone()), counted, "{range:?}");
            let counted = range.clone().filter(|&n| Pattern::Json.matches(n)).count() as u64;
            assert_eq!(Pattern::Json.matches_in(range.clone()), counted, "{range:?}");
        }
    }

    #[test]
    fn put_bodies_are_json_in_chronological_order() {
        let body = put_body("g", "s", 10..13, group_message, |n| 1000 + n);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["logGroupName"], "g");
        let events = body["logEvents"].as_array().unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!(events[2]["timestamp"], 1012);
        assert_eq!(events[0]["message"], group_message(10));
    }

    #[test]
    fn rejected_events_are_counted_from_the_indexes() {
        assert_eq!(rejected_events(&json!({ "nextSequenceToken": "1" }), 10), 0);
        let info = |v: Value| json!({ "rejectedLogEventsInfo": v });
        assert_eq!(rejected_events(&info(json!({ "tooOldLogEventEndIndex": 2 })), 10), 3);
        assert_eq!(rejected_events(&info(json!({ "tooNewLogEventStartIndex": 8 })), 10), 2);
        assert_eq!(rejected_events(&info(json!({ "expiredLogEventEndIndex": 9 })), 10), 10);
    }

    #[test]
    fn pages_count_matches_and_strangers() {
        let page = json!({
            "events": [
                { "message": group_message(37) },
                { "message": group_message(137) },
                { "message": group_message(5) },
                { "message": "not ours" },
            ],
            "nextToken": null,
        });
        let mut scan = Scan::default();
        assert_eq!(read_page(&page, Pattern::Term, &mut scan), Ok(None));
        assert_eq!((scan.returned, scan.matching, scan.foreign), (4, 2, 2));
        assert_eq!(scan.furthest, Some(137));
        let page = json!({ "events": [], "nextToken": "t" });
        assert_eq!(read_page(&page, Pattern::Term, &mut scan), Ok(Some("t".to_owned())));
    }

    #[test]
    fn a_cut_scan_is_extrapolated_and_says_so() {
        let scans = |scans| Scans {
            pattern: Pattern::Term,
            loaded: 1000,
            expected: Some(10),
            loaded_end: 1000,
            scans,
            error_kinds: BTreeMap::new(),
        };
        let cut = Scan {
            elapsed: Duration::from_secs(10),
            furthest: Some(249),
            matching: 3,
            ..Scan::default()
        };
        let (secs, flag) = scans(vec![cut]).seconds_per_scan().unwrap();
        assert_eq!(secs, 40.0);
        assert!(flag.unwrap().starts_with("extrapolated from 25 %"));
        let full = |secs, matching| Scan {
            elapsed: Duration::from_secs(secs),
            complete: true,
            matching,
            ..Scan::default()
        };
        let done = scans(vec![full(3, 10), full(1, 10), full(2, 10)]);
        assert_eq!(done.seconds_per_scan(), Some((2.0, None)));
        assert_eq!(done.events_per_second(), Some((500.0, None)));
        assert_eq!(done.wrong(), None);
        let miscounted = scans(vec![full(1, 9)]);
        assert_eq!(miscounted.wrong().unwrap(), "9 matches returned, 10 loaded");
    }

    #[test]
    fn matches_expected_follow_the_batches_acknowledged() {
        let run = |statuses| NumberedRun {
            statuses,
            ..NumberedRun::default()
        };
        let events = 25_000;
        let all = run(vec![JobStatus::Done; 3]);
        assert_eq!(loaded_matches(&all, events, Pattern::Term), (25_000, Some(250)));
        let capped = run(vec![JobStatus::Done, JobStatus::NotSent, JobStatus::NotSent]);
        assert_eq!(loaded_matches(&capped, events, Pattern::Json), (10_000, Some(100)));
        let unsure = run(vec![JobStatus::Done, JobStatus::Uncertain, JobStatus::NotSent]);
        assert_eq!(loaded_matches(&unsure, events, Pattern::Json), (20_000, None));
    }
}
