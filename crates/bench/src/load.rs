//! The load generator: a fixed number of keep-alive connections, each running a closed
//! loop (send, wait for the whole answer, send again), a warm-up, then a timed window.
//!
//! Closed loop means each connection waits for an answer before sending again, so the
//! offered load adapts to the server: a slow server is not buried under a queue it could
//! never drain, and both servers see exactly the same client behaviour.
//!
//! [`run`] replays one signed request; [`run_workers`] drives any per-connection loop
//! (the SQS suite's receive-then-delete, whose second request depends on the first's answer)
//! with the same window and CPU accounting.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;

use crate::procfs::{self, CpuClock};
use crate::requests::{self, Answer, SignedRequest};

/// After a failed connect, wait this long before trying again, so a refusing server does
/// not turn the client into a busy loop that steals its CPU.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, Copy)]
pub struct LoadShape {
    pub connections: usize,
    pub warmup: Duration,
    pub window: Duration,
}

/// The measured window of a run: what completes inside it counts.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
}

impl Window {
    pub fn contains(&self, at: Instant) -> bool {
        at >= self.start && at < self.end
    }
}

/// What one throughput run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// Successful requests (or request cycles) completed inside the window.
    pub requests: u64,
    /// What those requests did, in the load's own unit (messages for SQS); equal to
    /// `requests` for a load of single requests.
    pub items: u64,
    /// Non-200 answers and transport failures, over warm-up and window alike.
    pub errors: u64,
    /// Up to a few kinds of error, with counts, for the report.
    pub error_kinds: BTreeMap<String, u64>,
    /// Load-specific events inside the window (an SQS receive that found the queue empty).
    pub counters: BTreeMap<&'static str, u64>,
    /// Connections opened during the window: 0 when every connection is kept alive.
    pub connections_opened: u64,
    /// Latency of every request counted in `requests`, in µs, sorted.
    latencies_us: Vec<u32>,
    pub window: Duration,
    /// CPU the server's process tree used during the window.
    pub server_cpu: Duration,
    /// CPU the benchmark process (the load generator) used during the window.
    pub client_cpu: Duration,
}

impl LoadResult {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.window.as_secs_f64()
    }

    pub fn items_per_second(&self) -> f64 {
        self.items as f64 / self.window.as_secs_f64()
    }

    /// Latency at quantile `q` (0..=1), nearest rank.
    pub fn latency_quantile(&self, q: f64) -> Option<Duration> {
        nearest_rank(&self.latencies_us, q).map(|&us| Duration::from_micros(u64::from(us)))
    }

    pub fn server_cpu_per_request(&self) -> Option<Duration> {
        (self.requests > 0).then(|| self.server_cpu.div_f64(self.requests as f64))
    }

    pub fn server_cpu_per_item(&self) -> Option<Duration> {
        (self.items > 0).then(|| self.server_cpu.div_f64(self.items as f64))
    }

    /// Share of one core the load generator used.
    pub fn client_cpu_share(&self) -> f64 {
        self.client_cpu.as_secs_f64() / self.window.as_secs_f64()
    }

    /// Share of one core the server used.
    pub fn server_cpu_share(&self) -> f64 {
        self.server_cpu.as_secs_f64() / self.window.as_secs_f64()
    }

    pub fn counter(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }
}

/// The value at quantile `q` (0..=1) of `sorted`, nearest rank.
pub fn nearest_rank<T>(sorted: &[T], q: f64) -> Option<&T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1)
}

/// What one connection's loop saw.
#[derive(Default)]
pub struct Tally {
    latencies_us: Vec<u32>,
    items: u64,
    connections_opened: u64,
    errors: u64,
    error_kinds: BTreeMap<String, u64>,
    counters: BTreeMap<&'static str, u64>,
}

impl Tally {
    pub fn error(&mut self, kind: String) {
        self.errors += 1;
        *self.error_kinds.entry(kind).or_default() += 1;
    }

    /// A successful request (or cycle) that took `latency` and did `items`; the caller
    /// counts only those that complete inside the window.
    pub fn done(&mut self, latency: Duration, items: u64) {
        self.latencies_us
            .push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
        self.items += items;
    }

    pub fn count(&mut self, counter: &'static str) {
        *self.counters.entry(counter).or_default() += 1;
    }

    /// Takes over the connection count of the loop's client, when the loop ends.
    pub fn finish(mut self, client: &Client) -> Self {
        self.connections_opened += client.opened_in_window;
        self
    }
}

/// One error line for a non-200 answer, whatever its body (moto answers errors with HTML).
pub fn http_error(answer: &Answer) -> String {
    let text = String::from_utf8_lossy(&answer.body);
    let words: Vec<&str> = text.split_whitespace().collect();
    let snippet: String = words.join(" ").chars().take(120).collect();
    format!("HTTP {}: {snippet}", answer.status)
}

/// One simulated client: a keep-alive connection that is reopened on the next request
/// when the server closed it after an answer (`Connection: close`, as an SDK would) or
/// after a transport failure. The connect is part of the request that needs it: a server
/// that closes after every answer makes each request pay for a new TCP connection.
pub struct Client {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Connections opened inside this window count in `opened_in_window`.
    window: Option<Window>,
    pub opened_in_window: u64,
}

impl Client {
    pub fn new(addr: SocketAddr, window: Option<Window>) -> Self {
        Client {
            addr,
            sender: None,
            window,
            opened_in_window: 0,
        }
    }

    /// Sends `request` and reads the whole answer. Errors read `connect: ...` or
    /// `transport: ...`; after a failed connect it pauses [`RECONNECT_PAUSE`] first.
    pub async fn send(&mut self, request: &SignedRequest) -> anyhow::Result<Answer> {
        let sender = match &mut self.sender {
            Some(sender) => sender,
            None => {
                let opened = Instant::now();
                match requests::connect(self.addr).await {
                    Ok(sender) => {
                        if self.window.is_some_and(|w| opened >= w.start) {
                            self.opened_in_window += 1;
                        }
                        self.sender.insert(sender)
                    }
                    Err(error) => {
                        tokio::time::sleep(RECONNECT_PAUSE).await;
                        return Err(error.context("connect"));
                    }
                }
            }
        };
        match requests::send(sender, request).await {
            Ok(answer) => {
                if !answer.keep_alive {
                    self.sender = None;
                }
                Ok(answer)
            }
            Err(error) => {
                self.sender = None;
                Err(error.context("transport"))
            }
        }
    }
}

/// Runs `shape.connections` loops made by `worker` (given the window; each returns its
/// [`Tally`] once the window has closed), measuring the CPU of `server_pid`'s tree across
/// the window.
pub async fn run_workers<W, F>(
    shape: LoadShape,
    server_pid: u32,
    cpu_clock: CpuClock,
    worker: W,
) -> anyhow::Result<LoadResult>
where
    W: Fn(Window) -> F,
    F: Future<Output = Tally> + Send + 'static,
{
    let server_tree = procfs::process_tree(server_pid);
    let start = Instant::now();
    let window = Window {
        start: start + shape.warmup,
        end: start + shape.warmup + shape.window,
    };
    let loops: Vec<_> = (0..shape.connections)
        .map(|_| tokio::spawn(worker(window)))
        .collect();

    // CPU is sampled at the window's edges from here, while the connections run.
    tokio::time::sleep_until(window.start.into()).await;
    let server_before = cpu_clock.cpu_time(&server_tree)?;
    let client_before = cpu_clock.own_cpu_time()?;
    tokio::time::sleep_until(window.end.into()).await;
    let server_after = cpu_clock.cpu_time(&server_tree)?;
    let client_after = cpu_clock.own_cpu_time()?;

    let mut total = Tally::default();
    for one in loops {
        let tally = one.await?;
        total.latencies_us.extend(tally.latencies_us);
        total.items += tally.items;
        total.errors += tally.errors;
        total.connections_opened += tally.connections_opened;
        for (kind, count) in tally.error_kinds {
            *total.error_kinds.entry(kind).or_default() += count;
        }
        for (name, count) in tally.counters {
            *total.counters.entry(name).or_default() += count;
        }
    }
    total.latencies_us.sort_unstable();
    Ok(LoadResult {
        requests: total.latencies_us.len() as u64,
        items: total.items,
        errors: total.errors,
        error_kinds: total.error_kinds,
        counters: total.counters,
        connections_opened: total.connections_opened,
        latencies_us: total.latencies_us,
        window: shape.window,
        server_cpu: server_after.saturating_sub(server_before),
        client_cpu: client_after.saturating_sub(client_before),
    })
}

/// Runs `request` against `addr` with `shape`, measuring the CPU of `server_pid`'s tree
/// across the window.
pub async fn run(
    addr: SocketAddr,
    request: SignedRequest,
    shape: LoadShape,
    server_pid: u32,
    cpu_clock: CpuClock,
) -> anyhow::Result<LoadResult> {
    let request = Arc::new(request);
    run_workers(shape, server_pid, cpu_clock, |window| {
        drive_connection(addr, request.clone(), window)
    })
    .await
}

/// One client: sends back to back until the window closes. A request counts where it
/// completes, so the window holds exactly the answers received during it.
async fn drive_connection(addr: SocketAddr, request: Arc<SignedRequest>, window: Window) -> Tally {
    let mut tally = Tally::default();
    let mut client = Client::new(addr, Some(window));
    loop {
        let sent = Instant::now();
        if sent >= window.end {
            break;
        }
        match client.send(&request).await {
            Ok(answer) => {
                let done = Instant::now();
                if answer.status != StatusCode::OK {
                    tally.error(http_error(&answer));
                } else if window.contains(done) {
                    tally.done(done.duration_since(sent), 1);
                }
            }
            Err(error) => tally.error(format!("{error:#}")),
        }
    }
    tally.finish(&client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_latencies(latencies_us: Vec<u32>) -> LoadResult {
        LoadResult {
            requests: latencies_us.len() as u64,
            items: latencies_us.len() as u64 * 10,
            errors: 0,
            error_kinds: BTreeMap::new(),
            counters: BTreeMap::new(),
            connections_opened: 0,
            latencies_us,
            window: Duration::from_secs(2),
            server_cpu: Duration::from_millis(100),
            client_cpu: Duration::ZERO,
        }
    }

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let result = with_latencies((1..=100).collect());
        let micros = |q| result.latency_quantile(q).unwrap().as_micros();
        assert_eq!(micros(0.5), 50);
        assert_eq!(micros(0.99), 99);
        assert_eq!(micros(0.0), 1);
        assert_eq!(micros(1.0), 100);
        assert_eq!(with_latencies(vec![]).latency_quantile(0.5), None);
        assert_eq!(nearest_rank(&[-3i64, -1, 4], 0.5), Some(&-1));
    }

    #[test]
    fn rates_are_per_second_of_window() {
        let result = with_latencies(vec![10; 1000]);
        assert_eq!(result.requests_per_second(), 500.0);
        assert_eq!(result.items_per_second(), 5000.0);
        assert_eq!(
            result.server_cpu_per_request(),
            Some(Duration::from_micros(100))
        );
        assert_eq!(
            result.server_cpu_per_item(),
            Some(Duration::from_micros(10))
        );
        assert_eq!(result.server_cpu_share(), 0.05);
    }

    #[test]
    fn windows_hold_their_start_not_their_end() {
        let start = Instant::now();
        let window = Window {
            start,
            end: start + Duration::from_secs(1),
        };
        assert!(window.contains(start));
        assert!(!window.contains(window.end));
    }
}
