//! The SQS suite, over SQS's JSON protocol (`X-Amz-Target: AmazonSQS.<Op>`, awsJson 1.0,
//! `x-amzn-query-mode: true`, as current SDKs send it):
//!
//! 1. **SendMessageBatch** of 10 messages (~100-byte bodies) from several closed-loop
//!    clients; messages per second and server CPU per message.
//! 2. **Receive + delete**: each client loops ReceiveMessage (up to 10, no wait) then
//!    DeleteMessageBatch of the receipt handles it got, on what the sends left in the
//!    queue; deleted messages per second. A receive that finds the queue empty inside the
//!    window means the queue ran dry: the queue is topped up and the phase run again.
//! 3. **Long-poll wake-up**: a ReceiveMessage with `WaitTimeSeconds=20` parks on an empty
//!    queue; a moment later another connection sends one message; the wake-up latency is
//!    the receive's answer minus the send's answer (and minus the send's start).
//!
//! Every answer the counts rely on is read: a batch counts only its `Successful` entries,
//! a delete only what was deleted; setup checks bodies and MD5s once. What fails is
//! recorded and the suite goes on, so the other server's figures are still worth having.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use md5::{Digest, Md5};
use serde_json::{Value, json};

use crate::load::{self, Client, LoadResult, LoadShape, Tally, Window, http_error};
use crate::procfs::CpuClock;
use crate::requests::{self, Answer, ContentSha256, SignedRequest, ToSign};

/// Names of the two loads, in the table and on stderr.
pub const SEND: &str = "SQS SendMessageBatch ×10";
pub const RECEIVE_DELETE: &str = "SQS receive+delete";
pub const QUEUE: &str = "nimbus-bench-queue";
pub const LONG_POLL_QUEUE: &str = "nimbus-bench-long-poll";
/// Messages per SendMessageBatch / most per ReceiveMessage, SQS's limit.
pub const BATCH: usize = 10;
/// Length of every message body, in bytes.
pub const BODY_BYTES: usize = 100;
/// The long-poll receive's wait, SQS's longest.
const LONG_POLL_WAIT_SECS: u64 = 20;
/// A wake-up phase stops after this many failed rounds in a row: the server cannot do it.
const LONG_POLL_GIVE_UP_AFTER: usize = 5;
/// Topping the queue up is given up after this long.
const TOP_UP_TIMEOUT: Duration = Duration::from_secs(300);
/// Counter of [`LoadResult::counters`]: receives inside the window that found no message.
pub const EMPTY_RECEIVES: &str = "empty receives";
/// The receive + delete target, in messages per second: a queue topped up after
/// running dry holds at least this rate's worth for the next run.
const RECEIVE_DELETE_TARGET: u64 = 25_000;
/// The receive + delete phase is run again (after a top-up) at most this many times when
/// the queue ran dry.
const DRY_RERUNS: usize = 2;

/// How the SQS suite is run.
#[derive(Debug, Clone, Copy)]
pub struct SqsShape {
    /// Concurrent clients of the send and receive + delete loads.
    pub clients: usize,
    /// Rounds of the long-poll wake-up.
    pub long_polls: usize,
    /// How long after sending the long-poll receive the message is sent.
    pub park: Duration,
}

/// What the SQS suite measured on one server.
#[derive(Debug, Clone, Default)]
pub struct SqsResults {
    /// Set when the queues could not be created: nothing else ran.
    pub setup_failure: Option<SetupFailure>,
    pub send: Option<LoadResult>,
    pub receive_delete: Option<LoadResult>,
    /// Visible messages before the receive + delete run that is reported, and after it.
    pub backlog_before: Option<u64>,
    pub backlog_after: Option<u64>,
    /// Receive + delete runs that ran dry and were run again after a top-up.
    pub dry_reruns: usize,
    pub long_poll: Option<LongPollResults>,
    /// VmRSS right after the loads, in KiB.
    pub rss_after_kib: Option<u64>,
    /// What failed, and why, for the notes under the table.
    pub failures: Vec<String>,
}

impl SqsResults {
    pub fn not_run(failure: SetupFailure) -> Self {
        SqsResults {
            setup_failure: Some(failure),
            ..SqsResults::default()
        }
    }
}

/// Why the suite could not start on a server.
#[derive(Debug, Clone)]
pub struct SetupFailure {
    /// The server answered that SQS (or the operation) is not implemented.
    pub not_implemented: bool,
    pub why: String,
}

impl SetupFailure {
    /// The word for the table.
    pub fn flag(&self) -> &'static str {
        if self.not_implemented {
            "not implemented"
        } else {
            "failed"
        }
    }
}

/// One long-poll round: times relative to the send's start.
#[derive(Debug, Clone, Copy)]
pub struct WakeUp {
    /// The send's answer arrived this long after it was sent.
    pub send_took: Duration,
    /// The parked receive answered this long after the send was started.
    pub receive_after_send_start: Duration,
}

impl WakeUp {
    /// The receive's answer minus the send's answer, in µs; negative when the server woke
    /// the receive before it answered the send.
    pub fn after_send_answer_us(&self) -> i64 {
        let micros = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        micros(self.receive_after_send_start) - micros(self.send_took)
    }
}

#[derive(Debug, Clone, Default)]
pub struct LongPollResults {
    pub rounds: usize,
    pub wake_ups: Vec<WakeUp>,
    /// Rounds that failed, by what went wrong.
    pub failures: BTreeMap<String, usize>,
    /// Set when the phase stopped before all rounds.
    pub gave_up: Option<String>,
}

impl LongPollResults {
    /// Receive answer minus send answer, at quantile `q`, in ms.
    pub fn after_answer_ms(&self, q: f64) -> Option<f64> {
        let mut us: Vec<i64> = self
            .wake_ups
            .iter()
            .map(WakeUp::after_send_answer_us)
            .collect();
        us.sort_unstable();
        load::nearest_rank(&us, q).map(|&us| us as f64 / 1000.0)
    }

    /// Receive answer minus send start, at quantile `q`, in ms.
    pub fn after_start_ms(&self, q: f64) -> Option<f64> {
        let mut times: Vec<Duration> = self
            .wake_ups
            .iter()
            .map(|w| w.receive_after_send_start)
            .collect();
        times.sort_unstable();
        load::nearest_rank(&times, q).map(|d| d.as_secs_f64() * 1000.0)
    }

    pub fn failed(&self) -> usize {
        self.failures.values().sum()
    }
}

/// An SQS JSON-protocol call, signed for `addr` as an SDK signs it.
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
        HeaderValue::from_str(&format!("AmazonSQS.{operation}"))?,
    );
    headers.insert("x-amzn-query-mode", HeaderValue::from_static("true"));
    requests::sign_with_headers(
        addr,
        ToSign {
            label,
            service: "sqs",
            method: Method::POST,
            path: "/",
            query: "",
            headers,
            body: serde_json::to_vec(input)?.into(),
            content_sha256: ContentSha256::Absent,
        },
    )
}

/// The body of message `index` of a batch: distinct per index, [`BODY_BYTES`] long.
pub fn message_body(index: usize) -> String {
    let mut body = format!("nimbus-bench message {index} ");
    while body.len() < BODY_BYTES {
        body.push(char::from(b'a' + (body.len() % 26) as u8));
    }
    body
}

fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

fn send_batch(addr: SocketAddr, queue_url: &str) -> anyhow::Result<SignedRequest> {
    let entries: Vec<Value> = (0..BATCH)
        .map(|i| json!({ "Id": i.to_string(), "MessageBody": message_body(i) }))
        .collect();
    call(
        "sqs:SendMessageBatch",
        addr,
        "SendMessageBatch",
        &json!({ "QueueUrl": queue_url, "Entries": entries }),
    )
}

fn receive(
    addr: SocketAddr,
    queue_url: &str,
    wait_secs: u64,
    max: usize,
) -> anyhow::Result<SignedRequest> {
    call(
        "sqs:ReceiveMessage",
        addr,
        "ReceiveMessage",
        &json!({
            "QueueUrl": queue_url,
            "MaxNumberOfMessages": max,
            "WaitTimeSeconds": wait_secs,
        }),
    )
}

fn delete_batch(
    addr: SocketAddr,
    queue_url: &str,
    handles: &[String],
) -> anyhow::Result<SignedRequest> {
    let entries: Vec<Value> = handles
        .iter()
        .enumerate()
        .map(|(i, handle)| json!({ "Id": i.to_string(), "ReceiptHandle": handle }))
        .collect();
    call(
        "sqs:DeleteMessageBatch",
        addr,
        "DeleteMessageBatch",
        &json!({ "QueueUrl": queue_url, "Entries": entries }),
    )
}

/// The answer's JSON, if it is a 200 with a JSON object.
fn ok_json(answer: &Answer, operation: &str) -> Result<Value, String> {
    if answer.status != StatusCode::OK {
        return Err(http_error(answer));
    }
    serde_json::from_slice::<Value>(&answer.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| format!("{operation}: 200 without a JSON object"))
}

/// A batch answer's `Successful` count, or why some entries failed.
fn batch_outcome(output: &Value, operation: &str) -> Result<u64, (u64, String)> {
    let count = |member: &str| {
        output
            .get(member)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    };
    let successful = count("Successful") as u64;
    let failed = output.get("Failed").and_then(Value::as_array);
    match failed.and_then(|f| f.first()) {
        None => Ok(successful),
        Some(first) => {
            let code = first
                .get("Code")
                .and_then(Value::as_str)
                .unwrap_or("no code");
            Err((
                successful,
                format!(
                    "{operation}: {} entries failed ({code})",
                    failed.map_or(0, Vec::len)
                ),
            ))
        }
    }
}

/// A received message: body, MD5 of the body, receipt handle.
struct Received {
    body: String,
    md5: String,
    handle: String,
}

fn received_messages(output: &Value) -> Result<Vec<Received>, String> {
    let Some(messages) = output.get("Messages") else {
        // An empty receive has no `Messages` (or an empty one).
        return Ok(Vec::new());
    };
    let messages = messages
        .as_array()
        .ok_or("ReceiveMessage: Messages is not a list")?;
    messages
        .iter()
        .map(|message| {
            let text = |member: &str| {
                message
                    .get(member)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| format!("ReceiveMessage: a message without {member}"))
            };
            Ok(Received {
                body: text("Body")?,
                md5: text("MD5OfBody")?,
                handle: text("ReceiptHandle")?,
            })
        })
        .collect()
}

/// One call on a fresh client, insisting on a 200 with JSON.
async fn expect_json(addr: SocketAddr, request: &SignedRequest) -> anyhow::Result<Value> {
    let answer = requests::send_once(addr, request)
        .await
        .with_context(|| format!("{} to {addr}", request.label))?;
    ok_json(&answer, request.label)
        .map_err(|why| anyhow::anyhow!("{} answered {why}", request.label))
}

/// Whether an error answer says the operation (or service) is not implemented.
pub fn says_not_implemented(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("notimplemented")
        || text.contains("not implemented")
        || text.contains("unknownoperation")
        || text.contains("http 501")
}

/// Creates a queue (CreateQueue, then GetQueueUrl as a client would) and returns its URL.
async fn create_queue(addr: SocketAddr, name: &str) -> anyhow::Result<String> {
    let created = expect_json(
        addr,
        &call(
            "sqs:CreateQueue",
            addr,
            "CreateQueue",
            &json!({ "QueueName": name }),
        )?,
    )
    .await?;
    let url = expect_json(
        addr,
        &call(
            "sqs:GetQueueUrl",
            addr,
            "GetQueueUrl",
            &json!({ "QueueName": name }),
        )?,
    )
    .await?;
    let url = url
        .get("QueueUrl")
        .and_then(Value::as_str)
        .context("GetQueueUrl answered without a QueueUrl")?;
    if created.get("QueueUrl").and_then(Value::as_str) != Some(url) {
        bail!("CreateQueue and GetQueueUrl gave different URLs: {created} and {url:?}");
    }
    Ok(url.to_owned())
}

/// Both queues, and one round trip checked end to end: a batch sent, received (bodies
/// and MD5s checked) and deleted, so a server that answers 200 without doing the work
/// cannot pass. Returns the queues' URLs.
pub async fn prepare(addr: SocketAddr) -> Result<(String, String), SetupFailure> {
    let setup = async {
        let queue = create_queue(addr, QUEUE).await?;
        let long_poll = create_queue(addr, LONG_POLL_QUEUE).await?;
        check_round_trip(addr, &queue).await?;
        anyhow::Ok((queue, long_poll))
    };
    setup.await.map_err(|error| {
        let why = format!("{error:#}");
        SetupFailure {
            not_implemented: says_not_implemented(&why),
            why,
        }
    })
}

async fn check_round_trip(addr: SocketAddr, queue: &str) -> anyhow::Result<()> {
    let sent = expect_json(addr, &send_batch(addr, queue)?).await?;
    match batch_outcome(&sent, "SendMessageBatch") {
        Ok(n) if n == BATCH as u64 => {}
        Ok(n) => bail!("SendMessageBatch of {BATCH} answered {n} successful entries"),
        Err((_, why)) => bail!("{why}"),
    }
    for entry in sent["Successful"].as_array().into_iter().flatten() {
        let index: usize = entry["Id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .filter(|&i| i < BATCH)
            .with_context(|| format!("SendMessageBatch: an entry with an unknown Id: {entry}"))?;
        if entry["MD5OfMessageBody"].as_str() != Some(md5_hex(&message_body(index)).as_str()) {
            bail!("SendMessageBatch: entry {index}'s MD5OfMessageBody is not its body's MD5");
        }
    }
    let mut received = Vec::new();
    // A receive may return fewer than asked; a few tries get the whole batch.
    for _ in 0..BATCH {
        let output = expect_json(addr, &receive(addr, queue, 0, BATCH)?).await?;
        received.extend(received_messages(&output).map_err(anyhow::Error::msg)?);
        if received.len() >= BATCH {
            break;
        }
    }
    let mut bodies: Vec<&str> = received.iter().map(|m| m.body.as_str()).collect();
    bodies.sort_unstable();
    let mut expected: Vec<String> = (0..BATCH).map(message_body).collect();
    expected.sort_unstable();
    if bodies != expected {
        bail!(
            "ReceiveMessage gave back {} messages that are not the {BATCH} sent",
            bodies.len()
        );
    }
    if let Some(bad) = received.iter().find(|m| m.md5 != md5_hex(&m.body)) {
        bail!(
            "ReceiveMessage: MD5OfBody {} is not the body's MD5",
            bad.md5
        );
    }
    let handles: Vec<String> = received.into_iter().map(|m| m.handle).collect();
    let deleted = expect_json(addr, &delete_batch(addr, queue, &handles)?).await?;
    match batch_outcome(&deleted, "DeleteMessageBatch") {
        Ok(n) if n == BATCH as u64 => Ok(()),
        Ok(n) => bail!("DeleteMessageBatch of {BATCH} answered {n} successful entries"),
        Err((_, why)) => bail!("{why}"),
    }
}

/// Visible messages in the queue (`ApproximateNumberOfMessages`).
pub async fn backlog(addr: SocketAddr, queue_url: &str) -> anyhow::Result<u64> {
    let request = call(
        "sqs:GetQueueAttributes",
        addr,
        "GetQueueAttributes",
        &json!({ "QueueUrl": queue_url, "AttributeNames": ["ApproximateNumberOfMessages"] }),
    )?;
    let output = expect_json(addr, &request).await?;
    let value = &output["Attributes"]["ApproximateNumberOfMessages"];
    value
        .as_str()
        .and_then(|n| n.parse().ok())
        .or_else(|| value.as_u64())
        .with_context(|| format!("GetQueueAttributes answered {output}"))
}

/// The SendMessageBatch load: each client sends the same signed batch back to back.
pub async fn run_send(
    addr: SocketAddr,
    queue_url: &str,
    shape: LoadShape,
    server_pid: u32,
    cpu_clock: CpuClock,
) -> anyhow::Result<LoadResult> {
    let request = Arc::new(send_batch(addr, queue_url)?);
    load::run_workers(shape, server_pid, cpu_clock, |window| {
        send_loop(addr, request.clone(), window)
    })
    .await
}

/// Sends one batch call; the entries it reports successful, or why it failed.
async fn batch_call(client: &mut Client, request: &SignedRequest, operation: &str) -> Result<u64, String> {
    match client.send(request).await {
        Ok(answer) => ok_json(&answer, operation).and_then(|output| batch_outcome(&output, operation).map_err(|(_, why)| why)),
        Err(error) => Err(format!("{error:#}")),
    }
}

async fn send_loop(addr: SocketAddr, request: Arc<SignedRequest>, window: Window) -> Tally {
    let mut tally = Tally::default();
    let mut client = Client::new(addr, Some(window));
    loop {
        let sent = Instant::now();
        if sent >= window.end {
            break;
        }
        let outcome = batch_call(&mut client, &request, "SendMessageBatch").await;
        let done = Instant::now();
        match outcome {
            Ok(messages) if messages == BATCH as u64 => {
                if window.contains(done) {
                    tally.done(done.duration_since(sent), messages);
                }
            }
            Ok(messages) => tally.error(format!(
                "SendMessageBatch: {messages} of {BATCH} entries successful"
            )),
            Err(why) => tally.error(why),
        }
    }
    tally.finish(&client)
}

/// The receive + delete load on what the queue holds.
async fn run_receive_delete(
    addr: SocketAddr,
    queue_url: &str,
    shape: LoadShape,
    server_pid: u32,
    cpu_clock: CpuClock,
) -> anyhow::Result<LoadResult> {
    let receive = Arc::new(receive(addr, queue_url, 0, BATCH)?);
    let queue_url: Arc<str> = queue_url.into();
    load::run_workers(shape, server_pid, cpu_clock, |window| {
        receive_delete_loop(addr, receive.clone(), queue_url.clone(), window)
    })
    .await
}

/// One client: ReceiveMessage, then DeleteMessageBatch of what it got (signed there, the
/// handles being new each time), until the window closes. A cycle counts where its delete
/// completes; a receive is always followed by its delete, so no message is left in flight.
async fn receive_delete_loop(
    addr: SocketAddr,
    receive: Arc<SignedRequest>,
    queue_url: Arc<str>,
    window: Window,
) -> Tally {
    let mut tally = Tally::default();
    let mut client = Client::new(addr, Some(window));
    loop {
        let started = Instant::now();
        if started >= window.end {
            break;
        }
        let received = match client.send(&receive).await {
            Ok(answer) => ok_json(&answer, "ReceiveMessage").and_then(|o| received_messages(&o)),
            Err(error) => Err(format!("{error:#}")),
        };
        let handles: Vec<String> = match received {
            Ok(messages) => messages.into_iter().map(|m| m.handle).collect(),
            Err(why) => {
                tally.error(why);
                continue;
            }
        };
        if handles.is_empty() {
            if window.contains(Instant::now()) {
                tally.count(EMPTY_RECEIVES);
            }
            continue;
        }
        let delete = match delete_batch(addr, &queue_url, &handles) {
            Ok(delete) => delete,
            Err(error) => {
                tally.error(format!("{error:#}"));
                continue;
            }
        };
        let outcome = batch_call(&mut client, &delete, "DeleteMessageBatch").await;
        let done = Instant::now();
        match outcome {
            Ok(deleted) => {
                if deleted != handles.len() as u64 {
                    tally.error(format!(
                        "DeleteMessageBatch: {deleted} of {} entries successful",
                        handles.len()
                    ));
                }
                if window.contains(done) {
                    tally.done(done.duration_since(started), deleted);
                }
            }
            Err(why) => tally.error(why),
        }
    }
    tally.finish(&client)
}

/// Sends at least `messages` more messages in batches from `clients` connections (untimed).
async fn top_up(
    addr: SocketAddr,
    queue_url: &str,
    clients: usize,
    messages: u64,
) -> anyhow::Result<()> {
    let request = Arc::new(send_batch(addr, queue_url)?);
    let remaining = Arc::new(AtomicU64::new(messages.div_ceil(BATCH as u64)));
    let fills: Vec<_> = (0..clients)
        .map(|_| {
            let (request, remaining) = (request.clone(), remaining.clone());
            tokio::spawn(async move {
                let mut client = Client::new(addr, None);
                let mut failures = 0;
                while remaining
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                    .is_ok()
                {
                    let outcome = match client.send(&request).await {
                        Ok(answer) => ok_json(&answer, "SendMessageBatch"),
                        Err(error) => Err(format!("{error:#}")),
                    };
                    if let Err(why) = outcome {
                        failures += 1;
                        remaining.fetch_add(1, Ordering::Relaxed);
                        if failures > 10 {
                            bail!("topping up: {why}");
                        }
                    }
                }
                Ok(())
            })
        })
        .collect();
    let all = async {
        for fill in fills {
            fill.await??;
        }
        anyhow::Ok(())
    };
    match tokio::time::timeout(TOP_UP_TIMEOUT, all).await {
        Ok(outcome) => outcome,
        Err(_) => bail!("topping up timed out after {} s", TOP_UP_TIMEOUT.as_secs()),
    }
}

/// The receive + delete phase on what the sends left; when it ran dry, the queue is topped
/// up with several times what that run consumed and the phase is run again (at most
/// [`DRY_RERUNS`] times). The last run is reported.
pub async fn measure_receive_delete(
    addr: SocketAddr,
    queue_url: &str,
    shape: LoadShape,
    (server_pid, cpu_clock): (u32, CpuClock),
    name: &str,
    results: &mut SqsResults,
) {
    for run in 0..=DRY_RERUNS {
        let before = backlog(addr, queue_url).await;
        match &before {
            Ok(n) => eprintln!("{name}: {RECEIVE_DELETE}: {n} messages in the queue"),
            Err(error) => record(
                &mut results.failures,
                name,
                format!("backlog before receive+delete unknown: {error:#}"),
            ),
        }
        let outcome = run_receive_delete(addr, queue_url, shape, server_pid, cpu_clock).await;
        let result = match outcome {
            Ok(result) => result,
            Err(error) => {
                record(
                    &mut results.failures,
                    name,
                    format!("receive+delete: {error:#}"),
                );
                return;
            }
        };
        progress(name, RECEIVE_DELETE, &result);
        let empty = result.counter(EMPTY_RECEIVES);
        results.backlog_before = before.ok();
        results.backlog_after = backlog(addr, queue_url).await.ok();
        results.receive_delete = Some(result);
        results.dry_reruns = run;
        if empty == 0 || run == DRY_RERUNS {
            if empty > 0 {
                record(
                    &mut results.failures,
                    name,
                    format!(
                        "receive+delete: the queue ran dry ({empty} empty receives in the window) after {run} top-ups"
                    ),
                );
            }
            return;
        }
        // The dry run consumed everything it found; the next gets four times that, and at
        // least enough for the target rate over warm-up and window.
        let consumed = results.backlog_before.unwrap_or_else(|| {
            let rate = results
                .receive_delete
                .as_ref()
                .map_or(0.0, LoadResult::items_per_second);
            (rate * (shape.warmup + shape.window).as_secs_f64()) as u64
        });
        let for_target = RECEIVE_DELETE_TARGET * (shape.warmup + shape.window).as_secs();
        let more = (consumed * 4).max(for_target);
        eprintln!(
            "{name}: {RECEIVE_DELETE}: the queue ran dry ({empty} empty receives); topping up {more} messages and running again"
        );
        if let Err(error) = top_up(addr, queue_url, shape.connections, more).await {
            record(&mut results.failures, name, format!("{error:#}"));
            return;
        }
    }
}

/// The long-poll wake-up rounds on the (empty) long-poll queue.
pub async fn measure_long_poll(
    addr: SocketAddr,
    queue_url: &str,
    shape: SqsShape,
    name: &str,
) -> LongPollResults {
    let mut results = LongPollResults::default();
    let mut receiver = Some(Client::new(addr, None));
    let mut sender = Client::new(addr, None);
    let mut failed_in_a_row = 0;
    for round in 0..shape.long_polls {
        results.rounds += 1;
        let outcome = long_poll_round(
            addr,
            queue_url,
            shape.park,
            round,
            &mut receiver,
            &mut sender,
        )
        .await;
        match outcome {
            Ok(wake_up) => {
                failed_in_a_row = 0;
                results.wake_ups.push(wake_up);
            }
            Err(why) => {
                failed_in_a_row += 1;
                *results.failures.entry(why.clone()).or_default() += 1;
                if failed_in_a_row >= LONG_POLL_GIVE_UP_AFTER {
                    results.gave_up = Some(format!(
                        "gave up after {failed_in_a_row} failed rounds in a row (last: {why})"
                    ));
                    break;
                }
            }
        }
        if (round + 1) % 50 == 0 {
            eprintln!(
                "{name}: SQS long-poll: {} of {} rounds",
                round + 1,
                shape.long_polls
            );
        }
    }
    let ms = |v: Option<f64>| v.unwrap_or(f64::NAN);
    eprintln!(
        "{name}: SQS long-poll wake-up (receive answer − send answer): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} of {} rounds failed",
        ms(results.after_answer_ms(0.5)),
        ms(results.after_answer_ms(0.99)),
        ms(results.after_answer_ms(1.0)),
        results.failed(),
        results.rounds,
    );
    results
}

/// One round: park a receive, send a message, time the receive's answer, delete the message.
/// The receiving client is moved into the receive's task and back; `None` after a round
/// whose receive never answered (a new one is made).
async fn long_poll_round(
    addr: SocketAddr,
    queue_url: &str,
    park: Duration,
    round: usize,
    receiver: &mut Option<Client>,
    sender: &mut Client,
) -> Result<WakeUp, String> {
    let error = |e: anyhow::Error| format!("{e:#}");
    let body = format!("wake-up {round} {}", message_body(round));
    let receive = receive(addr, queue_url, LONG_POLL_WAIT_SECS, 1).map_err(error)?;
    let send = call(
        "sqs:SendMessage",
        addr,
        "SendMessage",
        &json!({ "QueueUrl": queue_url, "MessageBody": body }),
    )
    .map_err(error)?;
    let mut client = receiver.take().unwrap_or_else(|| Client::new(addr, None));
    let parked = tokio::spawn(async move {
        let answer = client.send(&receive).await;
        (Instant::now(), answer, client)
    });
    tokio::time::sleep(park).await;
    // A receive that answered already was not parked (a message left over, or no long
    // polling): no message is sent, what it got is deleted, the round fails.
    let early = parked.is_finished();
    let send_start = Instant::now();
    let sent = if early {
        None
    } else {
        Some(sender.send(&send).await)
    };
    let send_done = Instant::now();
    let limit = Duration::from_secs(LONG_POLL_WAIT_SECS + 10);
    let Ok(joined) = tokio::time::timeout(limit, parked).await else {
        return Err(format!(
            "the receive did not answer within {} s",
            limit.as_secs()
        ));
    };
    let (received_at, answer, client) = joined.map_err(|e| format!("receive task: {e}"))?;
    *receiver = Some(client);
    if let Some(sent) = sent {
        let sent = sent
            .map_err(error)
            .and_then(|answer| ok_json(&answer, "SendMessage"))?;
        if sent.get("MessageId").and_then(Value::as_str).is_none() {
            return Err("SendMessage answered without a MessageId".to_owned());
        }
    }
    let messages = answer
        .map_err(error)
        .and_then(|answer| ok_json(&answer, "ReceiveMessage"))
        .and_then(|output| received_messages(&output))?;
    // Whatever came back is deleted, so the next round starts on an empty queue.
    for message in &messages {
        let delete = call(
            "sqs:DeleteMessage",
            addr,
            "DeleteMessage",
            &json!({ "QueueUrl": queue_url, "ReceiptHandle": message.handle }),
        )
        .map_err(error)?;
        let answer = sender.send(&delete).await.map_err(error)?;
        ok_json(&answer, "DeleteMessage")?;
    }
    if early {
        return Err("the receive answered before the message was sent".to_owned());
    }
    match messages.first() {
        None => Err(format!(
            "the receive answered empty {:.0} ms after the send",
            received_at
                .saturating_duration_since(send_start)
                .as_secs_f64()
                * 1000.0
        )),
        Some(message) if message.body != body => {
            Err("the receive answered another message than the one sent".to_owned())
        }
        Some(_) => Ok(WakeUp {
            send_took: send_done.duration_since(send_start),
            receive_after_send_start: received_at.saturating_duration_since(send_start),
        }),
    }
}

/// The progress line of a load run, on stderr.
pub fn progress(name: &str, label: &str, result: &LoadResult) {
    let ms = |q| result.latency_quantile(q).unwrap_or_default().as_secs_f64() * 1000.0;
    eprintln!(
        "{name}: {label}: {:.0} msg/s ({:.0} req/s), p50 {:.2} ms, p99 {:.2} ms, {} errors, {} empty receives, server {:.2} cores, load generator {:.2} cores",
        result.items_per_second(),
        result.requests_per_second(),
        ms(0.5),
        ms(0.99),
        result.errors,
        result.counter(EMPTY_RECEIVES),
        result.server_cpu_share(),
        result.client_cpu_share(),
    );
}

/// Notes a failure in the results and on stderr.
pub fn record(failures: &mut Vec<String>, name: &str, failure: String) {
    eprintln!("{name}: SQS: {failure}");
    failures.push(failure);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_distinct_and_of_the_set_length() {
        let bodies: Vec<String> = (0..BATCH).map(message_body).collect();
        assert!(bodies.iter().all(|b| b.len() == BODY_BYTES));
        let mut unique = bodies.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), BATCH);
    }

    #[test]
    fn batch_answers_count_successful_entries_and_name_failures() {
        let ok = json!({ "Successful": [{ "Id": "0" }, { "Id": "1" }], "Failed": [] });
        assert_eq!(batch_outcome(&ok, "X"), Ok(2));
        let partly = json!({
            "Successful": [{ "Id": "0" }],
            "Failed": [{ "Id": "1", "Code": "ReceiptHandleIsInvalid", "SenderFault": true }],
        });
        assert_eq!(
            batch_outcome(&partly, "X"),
            Err((1, "X: 1 entries failed (ReceiptHandleIsInvalid)".to_owned()))
        );
    }

    #[test]
    fn received_messages_read_handles_and_allow_an_empty_answer() {
        assert!(received_messages(&json!({})).unwrap().is_empty());
        assert!(
            received_messages(&json!({ "Messages": [] }))
                .unwrap()
                .is_empty()
        );
        let one = json!({ "Messages": [{ "Body": "b", "MD5OfBody": "m", "ReceiptHandle": "h" }] });
        let got = received_messages(&one).unwrap();
        assert_eq!((got[0].body.as_str(), got[0].handle.as_str()), ("b", "h"));
        let broken = json!({ "Messages": [{ "Body": "b" }] });
        assert!(received_messages(&broken).is_err());
    }

    #[test]
    fn wake_up_latency_may_be_negative() {
        let early = WakeUp {
            send_took: Duration::from_micros(900),
            receive_after_send_start: Duration::from_micros(700),
        };
        assert_eq!(early.after_send_answer_us(), -200);
        let results = LongPollResults {
            rounds: 2,
            wake_ups: vec![
                early,
                WakeUp {
                    send_took: Duration::from_micros(500),
                    receive_after_send_start: Duration::from_micros(1500),
                },
            ],
            ..LongPollResults::default()
        };
        assert_eq!(results.after_answer_ms(0.5), Some(-0.2));
        assert_eq!(results.after_answer_ms(1.0), Some(1.0));
        assert_eq!(results.after_start_ms(1.0), Some(1.5));
    }

    #[test]
    fn not_implemented_answers_are_recognised() {
        assert!(says_not_implemented(
            "sqs:CreateQueue answered HTTP 501 Not Implemented: {\"__type\":\"NotImplemented\"}"
        ));
        assert!(!says_not_implemented("connect: connection refused"));
    }
}
