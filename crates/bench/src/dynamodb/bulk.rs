//! The DynamoDB suite's table load (BatchWriteItem of many items from several clients,
//! stopped at a cap) and the Query phase on what it loaded.
//!
//! The load writes items `0..N` in batches of 25 taken in order by whichever client is free;
//! a batch never spans two partitions (100 items each), so each acknowledged batch adds to
//! one partition's count. Those counts are what the queries must find: a server whose load
//! stopped at the cap is queried on the partitions it loaded, each with its own count.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::{Value, json};

use super::{
    BATCH, DynamoShape, ITEMS_PER_PARTITION, TABLE, batch_body, call, call_json, expect_json,
    load_item, ok_json, partition_key, setup_failure,
};
use crate::Plan;
use crate::load::{Client, http_error, nearest_rank};
use crate::procfs;
use crate::sqs::SetupFailure;

/// A request without an answer after this long is given up (and the client reconnected).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Error answers (or transport failures) tolerated per batch before its items count as
/// failed. Putting the same items again is idempotent, so a batch is always safe to resend.
const BATCH_ATTEMPTS: usize = 3;
/// Rounds of resending `UnprocessedItems` per batch before what is left counts as failed.
const UNPROCESSED_ROUNDS: u32 = 8;
/// How often the load's progress is printed.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);
/// Seed of the Query phase's choice of partitions: the same sequence on both servers.
const QUERY_SEED: u64 = 0x6e69_6d62_7573_2d62;

/// What the BatchWriteItem load measured.
#[derive(Debug, Clone, Default)]
pub struct BulkLoad {
    /// Items the load was to write.
    pub items: u64,
    /// Items acknowledged (answered 200 and not returned in `UnprocessedItems`).
    pub loaded: u64,
    /// BatchWriteItem requests answered 200, resends included.
    pub requests: u64,
    /// Items a server returned in `UnprocessedItems` and the client sent again.
    pub resent: u64,
    /// Items given up: their batch kept failing, or stayed unprocessed.
    pub failed: u64,
    /// Error answers and transport failures, by kind.
    pub error_kinds: BTreeMap<String, u64>,
    /// Set when the cap stopped the load before every batch was sent.
    pub stopped_at_cap: bool,
    /// From the first request to the last client's last answer.
    pub elapsed: Duration,
    /// Latency of each request answered 200, in µs, sorted.
    pub latencies_us: Vec<u32>,
    /// CPU the server's process tree and the load generator used over `elapsed`.
    pub server_cpu: Duration,
    pub client_cpu: Duration,
}

impl BulkLoad {
    pub fn items_per_second(&self) -> f64 {
        self.loaded as f64 / self.elapsed.as_secs_f64()
    }

    pub fn server_cpu_per_item(&self) -> Option<Duration> {
        (self.loaded > 0).then(|| self.server_cpu.div_f64(self.loaded as f64))
    }

    pub fn server_cpu_share(&self) -> f64 {
        self.server_cpu.as_secs_f64() / self.elapsed.as_secs_f64()
    }

    pub fn client_cpu_share(&self) -> f64 {
        self.client_cpu.as_secs_f64() / self.elapsed.as_secs_f64()
    }

    pub fn latency_ms(&self, q: f64) -> Option<f64> {
        nearest_rank(&self.latencies_us, q).map(|&us| f64::from(us) / 1000.0)
    }

    pub fn errors(&self) -> u64 {
        self.error_kinds.values().sum()
    }
}

/// What the Query phase measured.
#[derive(Debug, Clone, Default)]
pub struct QueryResults {
    /// Partitions the queries were drawn from (those the load filled with a known count).
    pub partitions: usize,
    /// Set when the load did not finish: the queries ran on what it loaded.
    pub partial_table: bool,
    /// Queries sent, and those answered with the expected count.
    pub sent: u64,
    pub answered: u64,
    /// Wrong counts, error answers and transport failures, by kind.
    pub error_kinds: BTreeMap<String, u64>,
    /// Set when the cap stopped the phase before every query was sent.
    pub stopped_at_cap: bool,
    pub elapsed: Duration,
    /// Latency of each query answered right, in µs, sorted.
    pub latencies_us: Vec<u32>,
    pub server_cpu: Duration,
}

impl QueryResults {
    pub fn latency_ms(&self, q: f64) -> Option<f64> {
        nearest_rank(&self.latencies_us, q).map(|&us| f64::from(us) / 1000.0)
    }

    pub fn queries_per_second(&self) -> f64 {
        self.answered as f64 / self.elapsed.as_secs_f64()
    }

    pub fn server_cpu_per_query(&self) -> Option<Duration> {
        (self.answered > 0).then(|| self.server_cpu.div_f64(self.answered as f64))
    }

    pub fn errors(&self) -> u64 {
        self.error_kinds.values().sum()
    }
}

/// The items the load left in each partition, as far as the client knows.
#[derive(Debug, Default)]
pub struct Partitions {
    /// Acknowledged items per partition.
    counts: Vec<u32>,
    /// Partitions whose count is unknown: a batch of theirs failed in transport, so the
    /// server may or may not have written it.
    uncertain: Vec<bool>,
    /// The load did not write every item.
    partial: bool,
}

impl Partitions {
    /// Partitions with items and a known count, with that count.
    fn queryable(&self) -> Vec<(u64, u32)> {
        (0u64..)
            .zip(self.counts.iter().zip(&self.uncertain))
            .filter(|(_, (count, uncertain))| **count > 0 && !**uncertain)
            .map(|(partition, (count, _))| (partition, *count))
            .collect()
    }
}

/// A small deterministic generator (SplitMix64): the bench has no `rand`, and both servers
/// must be queried on the same sequence of partitions.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0), by multiplication rather than modulo, so without bias
    /// worth speaking of.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// How one batch ended.
#[derive(Debug, Default)]
struct BatchOutcome {
    acknowledged: u64,
    resent: u64,
    failed: u64,
    /// Failed items that the server may have written all the same (a transport failure).
    uncertain: bool,
    requests: u64,
    latencies_us: Vec<u32>,
    errors: Vec<String>,
}

/// The count of items in a BatchWriteItem answer's `UnprocessedItems`, and the body that
/// sends them again (as SDKs do: the map becomes the next request's `RequestItems`); `None`
/// when every item was processed.
fn unprocessed_items(output: &Value) -> Result<Option<(u64, Vec<u8>)>, String> {
    let Some(unprocessed) = output.get("UnprocessedItems") else {
        return Ok(None);
    };
    let tables = unprocessed
        .as_object()
        .ok_or("BatchWriteItem: UnprocessedItems is not a map")?;
    let mut count = 0;
    for requests in tables.values() {
        count += requests
            .as_array()
            .ok_or("BatchWriteItem: UnprocessedItems holds a table without a list")?
            .len() as u64;
    }
    if count == 0 {
        return Ok(None);
    }
    let body = serde_json::to_vec(&json!({ "RequestItems": unprocessed }))
        .map_err(|e| format!("encoding UnprocessedItems: {e}"))?;
    Ok(Some((count, body)))
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// Writes the bulk items `items` in one BatchWriteItem (signed here), resending what comes
/// back unprocessed (after a short pause that doubles each round, as SDKs back off) and
/// retrying error answers; nothing is resent after `deadline`.
async fn write_batch(
    client: &mut Client,
    addr: SocketAddr,
    items: Range<u64>,
    deadline: Option<Instant>,
) -> BatchOutcome {
    let mut out = BatchOutcome::default();
    let mut body = batch_body(items.clone()).into_bytes();
    let mut pending = items.end - items.start;
    let (mut failed_attempts, mut rounds) = (0, 0);
    let mut maybe_written = false;
    let past_deadline = || deadline.is_some_and(|d| Instant::now() >= d);
    loop {
        let request = match call(
            "dynamodb:BatchWriteItem",
            addr,
            "BatchWriteItem",
            body.clone(),
        ) {
            Ok(request) => request,
            Err(error) => {
                out.errors.push(format!("{error:#}"));
                out.failed += pending;
                return out;
            }
        };
        let sent = Instant::now();
        let answer = tokio::time::timeout(REQUEST_TIMEOUT, client.send(&request)).await;
        let took = sent.elapsed();
        // Ok: the unprocessed items; Err: why, and whether the batch may have been written.
        let outcome = match answer {
            Err(_) => {
                // The connection still holds the unanswered request: start afresh.
                *client = Client::new(addr, None);
                Err((
                    format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
                    true,
                ))
            }
            Ok(Err(error)) => Err((format!("{error:#}"), true)),
            Ok(Ok(answer)) if answer.status != StatusCode::OK => Err((http_error(&answer), false)),
            Ok(Ok(answer)) => ok_json(&answer, "BatchWriteItem")
                .and_then(|output| unprocessed_items(&output))
                .map_err(|why| (why, true)),
        };
        match outcome {
            Ok(unprocessed) => {
                out.requests += 1;
                out.latencies_us.push(micros(took));
                let left = unprocessed.as_ref().map_or(0, |(n, _)| *n);
                out.acknowledged += pending.saturating_sub(left);
                let Some((left, next)) = unprocessed else {
                    return out;
                };
                rounds += 1;
                if rounds > UNPROCESSED_ROUNDS || past_deadline() {
                    out.errors.push(format!(
                        "BatchWriteItem: items still unprocessed after {rounds} requests"
                    ));
                    out.failed += left;
                    return out;
                }
                out.resent += left;
                pending = left;
                body = next;
                tokio::time::sleep(Duration::from_millis(1 << rounds.min(7))).await;
            }
            Err((why, may_have_written)) => {
                maybe_written |= may_have_written;
                failed_attempts += 1;
                let give_up = failed_attempts >= BATCH_ATTEMPTS
                    || past_deadline()
                    || crate::sqs::says_not_implemented(&why);
                out.errors.push(why);
                if give_up {
                    out.failed += pending;
                    out.uncertain = maybe_written;
                    return out;
                }
            }
        }
    }
}

/// What the load's clients share.
struct Shared {
    items: u64,
    batches: u64,
    next_batch: AtomicU64,
    deadline: Instant,
    /// Acknowledged items per partition, and partitions whose count is unknown.
    counts: Vec<AtomicU32>,
    uncertain: Vec<AtomicBool>,
    /// Acknowledged items so far, for the progress lines.
    loaded: AtomicU64,
}

/// One client's share of the load.
#[derive(Default)]
struct ClientTally {
    loaded: u64,
    resent: u64,
    failed: u64,
    requests: u64,
    latencies_us: Vec<u32>,
    error_kinds: BTreeMap<String, u64>,
    finished: Option<Instant>,
}

/// One client: takes the next batch until none is left or the cap has passed.
async fn load_client(addr: SocketAddr, shared: Arc<Shared>) -> ClientTally {
    let mut tally = ClientTally::default();
    let mut client = Client::new(addr, None);
    while Instant::now() < shared.deadline {
        let batch = shared.next_batch.fetch_add(1, Ordering::Relaxed);
        if batch >= shared.batches {
            break;
        }
        let first = batch * BATCH;
        let items = first..(first + BATCH).min(shared.items);
        let outcome = write_batch(&mut client, addr, items, Some(shared.deadline)).await;
        let partition = usize::try_from(first / ITEMS_PER_PARTITION).unwrap_or(usize::MAX);
        if let Some(count) = shared.counts.get(partition) {
            count.fetch_add(outcome.acknowledged as u32, Ordering::Relaxed);
        }
        if outcome.uncertain
            && let Some(uncertain) = shared.uncertain.get(partition)
        {
            uncertain.store(true, Ordering::Relaxed);
        }
        shared
            .loaded
            .fetch_add(outcome.acknowledged, Ordering::Relaxed);
        tally.loaded += outcome.acknowledged;
        tally.resent += outcome.resent;
        tally.failed += outcome.failed;
        tally.requests += outcome.requests;
        tally.latencies_us.extend(outcome.latencies_us);
        for error in outcome.errors {
            *tally.error_kinds.entry(error).or_default() += 1;
        }
    }
    tally.finished = Some(Instant::now());
    tally
}

/// Checks BatchWriteItem once: the load's first batch is written (it is written again by
/// the load, the same items) and one of its items read back.
async fn check_batch_write(addr: SocketAddr, items: u64) -> anyhow::Result<()> {
    let first = 0..BATCH.min(items);
    let mut client = Client::new(addr, None);
    let outcome = write_batch(&mut client, addr, first.clone(), None).await;
    if outcome.acknowledged != first.end {
        anyhow::bail!(
            "BatchWriteItem of {} items acknowledged {}: {}",
            first.end,
            outcome.acknowledged,
            outcome.errors.join("; ")
        );
    }
    let n = first.end - 1;
    let key = json!({
        "pk": { "S": partition_key(n / ITEMS_PER_PARTITION) },
        "sk": { "N": (n % ITEMS_PER_PARTITION).to_string() },
    });
    let got = expect_json(addr, &super::get_item(addr, key)?).await?;
    let written: Value = serde_json::from_str(&load_item(n))?;
    if got.get("Item") != Some(&written) {
        anyhow::bail!("GetItem of an item BatchWriteItem wrote answered {got}");
    }
    Ok(())
}

/// The BatchWriteItem load of `shape.items` items from `shape.clients` clients, stopped at
/// `shape.load_cap`; with what it left in each partition for the queries.
pub async fn measure_load(
    addr: SocketAddr,
    shape: DynamoShape,
    (server_pid, plan): (u32, &Plan),
    name: &str,
) -> (Result<BulkLoad, SetupFailure>, Partitions) {
    if let Err(error) = check_batch_write(addr, shape.items).await {
        let failure = setup_failure(&error);
        eprintln!("{name}: DynamoDB BatchWriteItem: {}", failure.why);
        return (Err(failure), Partitions::default());
    }
    eprintln!("{name}: DynamoDB: a batch written and an item of it read back intact");
    match run_load(addr, shape, server_pid, plan, name).await {
        Ok((load, partitions)) => {
            eprintln!(
                "{name}: DynamoDB BatchWriteItem load: {} of {} items in {:.1} s{} ({:.0} items/s), {} resent, {} failed, server {:.2} cores, load generator {:.2} cores",
                load.loaded,
                load.items,
                load.elapsed.as_secs_f64(),
                if load.stopped_at_cap {
                    " (stopped at the cap)"
                } else {
                    ""
                },
                load.items_per_second(),
                load.resent,
                load.failed,
                load.server_cpu_share(),
                load.client_cpu_share(),
            );
            (Ok(load), partitions)
        }
        Err(error) => {
            eprintln!("{name}: DynamoDB BatchWriteItem load: {error:#}");
            (Err(setup_failure(&error)), Partitions::default())
        }
    }
}

async fn run_load(
    addr: SocketAddr,
    shape: DynamoShape,
    server_pid: u32,
    plan: &Plan,
    name: &str,
) -> anyhow::Result<(BulkLoad, Partitions)> {
    let partitions = usize::try_from(shape.items.div_ceil(ITEMS_PER_PARTITION))?;
    let server_tree = procfs::process_tree(server_pid);
    let server_before = plan.cpu_clock.cpu_time(&server_tree)?;
    let client_before = plan.cpu_clock.own_cpu_time()?;
    let start = Instant::now();
    let shared = Arc::new(Shared {
        items: shape.items,
        batches: shape.items.div_ceil(BATCH),
        next_batch: AtomicU64::new(0),
        deadline: start + shape.load_cap,
        counts: (0..partitions).map(|_| AtomicU32::new(0)).collect(),
        uncertain: (0..partitions).map(|_| AtomicBool::new(false)).collect(),
        loaded: AtomicU64::new(0),
    });
    let clients: Vec<_> = (0..shape.clients)
        .map(|_| tokio::spawn(load_client(addr, shared.clone())))
        .collect();
    let mut next_progress = start + PROGRESS_EVERY;
    while !clients.iter().all(tokio::task::JoinHandle::is_finished) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if Instant::now() >= next_progress {
            next_progress += PROGRESS_EVERY;
            eprintln!(
                "{name}: DynamoDB BatchWriteItem load: {} of {} items after {:.0} s",
                shared.loaded.load(Ordering::Relaxed),
                shape.items,
                start.elapsed().as_secs_f64()
            );
        }
    }
    let mut load = BulkLoad {
        items: shape.items,
        ..BulkLoad::default()
    };
    let mut end = start;
    for client in clients {
        let tally = client.await?;
        end = end.max(tally.finished.unwrap_or(end));
        load.loaded += tally.loaded;
        load.resent += tally.resent;
        load.failed += tally.failed;
        load.requests += tally.requests;
        load.latencies_us.extend(tally.latencies_us);
        for (kind, count) in tally.error_kinds {
            *load.error_kinds.entry(kind).or_default() += count;
        }
    }
    load.server_cpu = plan
        .cpu_clock
        .cpu_time(&server_tree)?
        .saturating_sub(server_before);
    load.client_cpu = plan.cpu_clock.own_cpu_time()?.saturating_sub(client_before);
    load.elapsed = end.duration_since(start);
    load.latencies_us.sort_unstable();
    load.stopped_at_cap = shared.next_batch.load(Ordering::Relaxed) < shared.batches;
    let partitions = Partitions {
        counts: shared
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect(),
        uncertain: shared
            .uncertain
            .iter()
            .map(|u| u.load(Ordering::Relaxed))
            .collect(),
        partial: load.loaded < load.items,
    };
    Ok((load, partitions))
}

fn query(addr: SocketAddr, partition: u64) -> anyhow::Result<crate::requests::SignedRequest> {
    call_json(
        "dynamodb:Query",
        addr,
        "Query",
        &json!({
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": { ":p": { "S": partition_key(partition) } },
        }),
    )
}

/// A Query answer's `Count`, checked against its `Items`.
fn query_count(output: &Value) -> Result<u64, String> {
    let count = output
        .get("Count")
        .and_then(Value::as_u64)
        .ok_or("Query answered without a Count")?;
    let items = output
        .get("Items")
        .and_then(Value::as_array)
        .ok_or("Query answered without Items")?;
    if items.len() as u64 != count {
        return Err(format!(
            "Query answered Count {count} with {} Items",
            items.len()
        ));
    }
    Ok(count)
}

/// Checks one partition's Query answer item by item: `expected` items, distinct sort keys in
/// ascending order, each exactly as loaded.
fn check_partition(output: &Value, partition: u64, expected: u32) -> Result<(), String> {
    let count = query_count(output)?;
    if count != u64::from(expected) {
        return Err(format!(
            "Query of {} answered Count {count}, {expected} were loaded",
            partition_key(partition)
        ));
    }
    let mut last = None;
    for item in output["Items"].as_array().into_iter().flatten() {
        let sk = item
            .pointer("/sk/N")
            .and_then(Value::as_str)
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|&sk| sk < ITEMS_PER_PARTITION)
            .ok_or_else(|| format!("Query answered an item with a foreign sort key: {item}"))?;
        if last.is_some_and(|last| sk <= last) {
            return Err("Query answered items out of sort key order".to_owned());
        }
        last = Some(sk);
        let loaded: Value = serde_json::from_str(&load_item(partition * ITEMS_PER_PARTITION + sk))
            .map_err(|e| e.to_string())?;
        if *item != loaded {
            return Err(format!(
                "Query answered another item than was loaded: {item}"
            ));
        }
    }
    Ok(())
}

/// The Query phase: `shape.queries` queries on partitions drawn from those loaded, one
/// client, closed loop, each signed just before it is sent (the signing is not timed).
pub async fn measure_query(
    addr: SocketAddr,
    shape: DynamoShape,
    (server_pid, plan): (u32, &Plan),
    partitions: &Partitions,
    name: &str,
) -> Result<QueryResults, SetupFailure> {
    let queryable = partitions.queryable();
    // One query checked item by item first; with nothing loaded, one query all the same,
    // to tell a server without Query from one without data.
    let (probe_partition, probe_count) = queryable.first().copied().unwrap_or((0, 0));
    let check = async {
        let output = expect_json(addr, &query(addr, probe_partition)?).await?;
        if queryable.is_empty() {
            anyhow::bail!("no partition was loaded, nothing to query");
        }
        check_partition(&output, probe_partition, probe_count).map_err(anyhow::Error::msg)
    };
    if let Err(error) = check.await {
        let failure = setup_failure(&error);
        eprintln!("{name}: DynamoDB Query: {}", failure.why);
        return Err(failure);
    }
    eprintln!(
        "{name}: DynamoDB: a partition queried back intact; {} queries on {} partitions",
        shape.queries,
        queryable.len()
    );
    let outcome = run_queries(addr, shape, server_pid, plan, &queryable).await;
    match outcome {
        Ok(mut results) => {
            results.partial_table = partitions.partial;
            let ms = |q| results.latency_ms(q).unwrap_or(f64::NAN);
            eprintln!(
                "{name}: DynamoDB Query: {:.0} queries/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} errors{}",
                results.queries_per_second(),
                ms(0.5),
                ms(0.99),
                ms(1.0),
                results.errors(),
                if results.stopped_at_cap {
                    " (stopped at the cap)"
                } else {
                    ""
                },
            );
            Ok(results)
        }
        Err(error) => {
            eprintln!("{name}: DynamoDB Query: {error:#}");
            Err(setup_failure(&error))
        }
    }
}

async fn run_queries(
    addr: SocketAddr,
    shape: DynamoShape,
    server_pid: u32,
    plan: &Plan,
    queryable: &[(u64, u32)],
) -> anyhow::Result<QueryResults> {
    let mut results = QueryResults {
        partitions: queryable.len(),
        ..QueryResults::default()
    };
    let mut random = SplitMix64::new(QUERY_SEED);
    let mut client = Client::new(addr, None);
    let server_tree = procfs::process_tree(server_pid);
    let server_before = plan.cpu_clock.cpu_time(&server_tree)?;
    let start = Instant::now();
    let mut error = |kind: String| *results.error_kinds.entry(kind).or_default() += 1;
    let mut latencies_us = Vec::with_capacity(shape.queries);
    let mut sent = 0;
    for _ in 0..shape.queries {
        if start.elapsed() >= shape.load_cap {
            break;
        }
        let (partition, expected) = queryable[random.below(queryable.len() as u64) as usize];
        let request = query(addr, partition)?;
        sent += 1;
        let started = Instant::now();
        let answer = tokio::time::timeout(REQUEST_TIMEOUT, client.send(&request)).await;
        let took = started.elapsed();
        let outcome = match answer {
            Err(_) => {
                client = Client::new(addr, None);
                Err(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()))
            }
            Ok(Err(e)) => Err(format!("{e:#}")),
            Ok(Ok(answer)) => ok_json(&answer, "Query").and_then(|output| query_count(&output)),
        };
        match outcome {
            Ok(count) if count == u64::from(expected) => latencies_us.push(micros(took)),
            Ok(count) => error(format!(
                "Query answered Count {count} where {expected} were loaded"
            )),
            Err(why) => error(why),
        }
    }
    results.elapsed = start.elapsed();
    results.server_cpu = plan
        .cpu_clock
        .cpu_time(&server_tree)?
        .saturating_sub(server_before);
    results.sent = sent;
    results.answered = latencies_us.len() as u64;
    results.stopped_at_cap = sent < shape.queries as u64;
    latencies_us.sort_unstable();
    results.latencies_us = latencies_us;
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_stays_in_range() {
        let draws = |seed| {
            let mut random = SplitMix64::new(seed);
            (0..1000).map(|_| random.below(7)).collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        assert_ne!(draws(1), draws(2));
        let values = draws(QUERY_SEED);
        assert!(values.iter().all(|&v| v < 7));
        // Every value is drawn, none much more than its share.
        for v in 0..7 {
            let n = values.iter().filter(|&&x| x == v).count();
            assert!((90..=200).contains(&n), "{v} drawn {n} times");
        }
    }

    #[test]
    fn unprocessed_items_are_counted_and_sent_again_as_request_items() {
        assert_eq!(unprocessed_items(&json!({})), Ok(None));
        assert_eq!(
            unprocessed_items(&json!({ "UnprocessedItems": {} })),
            Ok(None)
        );
        let left = json!({ "UnprocessedItems": { TABLE: [
            { "PutRequest": { "Item": { "pk": { "S": "p00000" } } } },
            { "PutRequest": { "Item": { "pk": { "S": "p00001" } } } },
        ] } });
        let (count, body) = unprocessed_items(&left).unwrap().unwrap();
        assert_eq!(count, 2);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["RequestItems"], left["UnprocessedItems"]);
        assert!(unprocessed_items(&json!({ "UnprocessedItems": [] })).is_err());
    }

    #[test]
    fn only_partitions_with_a_known_count_are_queried() {
        let partitions = Partitions {
            counts: vec![100, 0, 75, 100],
            uncertain: vec![false, false, false, true],
            partial: true,
        };
        assert_eq!(partitions.queryable(), vec![(0, 100), (2, 75)]);
    }

    #[test]
    fn a_partition_is_checked_item_by_item() {
        let items = |sks: &[u64]| -> Vec<Value> {
            sks.iter()
                .map(|&sk| serde_json::from_str(&load_item(300 + sk)).unwrap())
                .collect()
        };
        let answer = |items: Vec<Value>| json!({ "Count": items.len(), "Items": items });
        assert_eq!(check_partition(&answer(items(&[0, 1, 2])), 3, 3), Ok(()));
        assert!(
            check_partition(&answer(items(&[0, 1])), 3, 3)
                .unwrap_err()
                .contains("Count 2")
        );
        assert!(
            check_partition(&answer(items(&[1, 0, 2])), 3, 3)
                .unwrap_err()
                .contains("order")
        );
        let mut changed = items(&[0, 1, 2]);
        changed[1]["payload"]["S"] = json!("something else");
        assert!(check_partition(&answer(changed), 3, 3).is_err());
        let miscounted = json!({ "Count": 3, "Items": items(&[0, 1]) });
        assert!(query_count(&miscounted).is_err());
    }

    #[test]
    fn rates_and_shares_are_over_the_elapsed_time() {
        let load = BulkLoad {
            items: 1000,
            loaded: 500,
            elapsed: Duration::from_secs(2),
            server_cpu: Duration::from_millis(500),
            ..BulkLoad::default()
        };
        assert_eq!(load.items_per_second(), 250.0);
        assert_eq!(load.server_cpu_per_item(), Some(Duration::from_millis(1)));
        assert_eq!(load.server_cpu_share(), 0.25);
    }
}
