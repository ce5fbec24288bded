//! The load generator: a fixed number of keep-alive connections, each sending the same
//! signed request back to back (closed loop), a warm-up, then a timed window.
//!
//! Closed loop means each connection waits for an answer before sending again, so the
//! offered load adapts to the server: a slow server is not buried under a queue it could
//! never drain, and both servers see exactly the same client behaviour.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::StatusCode;

use crate::procfs::{self, CpuClock};
use crate::requests::{self, SignedRequest};

/// After a failed connect, wait this long before trying again, so a refusing server does
/// not turn the client into a busy loop that steals its CPU.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, Copy)]
pub struct LoadShape {
    pub connections: usize,
    pub warmup: Duration,
    pub window: Duration,
}

/// What one throughput run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// 200 answers completed inside the window.
    pub requests: u64,
    /// Non-200 answers and transport failures, over warm-up and window alike.
    pub errors: u64,
    /// Up to a few kinds of error, with counts, for the report.
    pub error_kinds: BTreeMap<String, u64>,
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

    /// Latency at quantile `q` (0..=1), nearest rank.
    pub fn latency_quantile(&self, q: f64) -> Option<Duration> {
        if self.latencies_us.is_empty() {
            return None;
        }
        let rank = (q * self.latencies_us.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.latencies_us.len()) - 1;
        Some(Duration::from_micros(u64::from(self.latencies_us[index])))
    }

    pub fn server_cpu_per_request(&self) -> Option<Duration> {
        (self.requests > 0).then(|| self.server_cpu.div_f64(self.requests as f64))
    }

    /// Share of one core the load generator used.
    pub fn client_cpu_share(&self) -> f64 {
        self.client_cpu.as_secs_f64() / self.window.as_secs_f64()
    }

    /// Share of one core the server used.
    pub fn server_cpu_share(&self) -> f64 {
        self.server_cpu.as_secs_f64() / self.window.as_secs_f64()
    }
}

/// What one connection saw.
#[derive(Default)]
struct ConnectionTally {
    latencies_us: Vec<u32>,
    connections_opened: u64,
    errors: u64,
    error_kinds: BTreeMap<String, u64>,
}

impl ConnectionTally {
    fn error(&mut self, kind: String) {
        self.errors += 1;
        *self.error_kinds.entry(kind).or_default() += 1;
    }
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
    let server_tree = procfs::process_tree(server_pid);
    let start = Instant::now();
    let window_start = start + shape.warmup;
    let window_end = window_start + shape.window;

    let connections: Vec<_> = (0..shape.connections)
        .map(|_| {
            tokio::spawn(drive_connection(
                addr,
                request.clone(),
                window_start,
                window_end,
            ))
        })
        .collect();

    // CPU is sampled at the window's edges from here, while the connections run.
    tokio::time::sleep_until(window_start.into()).await;
    let server_before = cpu_clock.cpu_time(&server_tree)?;
    let client_before = cpu_clock.own_cpu_time()?;
    tokio::time::sleep_until(window_end.into()).await;
    let server_after = cpu_clock.cpu_time(&server_tree)?;
    let client_after = cpu_clock.own_cpu_time()?;

    let mut latencies_us = Vec::new();
    let mut errors = 0;
    let mut connections_opened = 0;
    let mut error_kinds = BTreeMap::new();
    for connection in connections {
        let tally = connection.await?;
        latencies_us.extend(tally.latencies_us);
        errors += tally.errors;
        connections_opened += tally.connections_opened;
        for (kind, count) in tally.error_kinds {
            *error_kinds.entry(kind).or_default() += count;
        }
    }
    latencies_us.sort_unstable();
    Ok(LoadResult {
        requests: latencies_us.len() as u64,
        errors,
        error_kinds,
        connections_opened,
        latencies_us,
        window: shape.window,
        server_cpu: server_after.saturating_sub(server_before),
        client_cpu: client_after.saturating_sub(client_before),
    })
}

/// One client: sends back to back until the window closes. It reconnects when the server
/// closes the connection after an answer (`Connection: close`, as an SDK would), and after
/// a transport failure, which counts as an error.
async fn drive_connection(
    addr: SocketAddr,
    request: Arc<SignedRequest>,
    window_start: Instant,
    window_end: Instant,
) -> ConnectionTally {
    let mut tally = ConnectionTally::default();
    'connection: loop {
        let opened = Instant::now();
        if opened >= window_end {
            break;
        }
        // The connect is part of the request that needs it: a server that closes after
        // every answer makes each request pay for a new TCP connection.
        let mut sender = match requests::connect(addr).await {
            Ok(sender) => sender,
            Err(error) => {
                tally.error(format!("connect: {error:#}"));
                tokio::time::sleep(RECONNECT_PAUSE).await;
                continue;
            }
        };
        if opened >= window_start {
            tally.connections_opened += 1;
        }
        let mut sent = opened;
        loop {
            match requests::send(&mut sender, &request).await {
                Ok(answer) => {
                    let done = Instant::now();
                    if answer.status != StatusCode::OK {
                        // One line, whatever the body (moto answers errors with HTML).
                        let text = String::from_utf8_lossy(&answer.body);
                        let words: Vec<&str> = text.split_whitespace().collect();
                        let snippet: String = words.join(" ").chars().take(120).collect();
                        tally.error(format!("HTTP {}: {snippet}", answer.status));
                    } else if done >= window_start && done < window_end {
                        // A request counts where it completes, so the window holds exactly
                        // the answers received during it.
                        let micros = u32::try_from(done.duration_since(sent).as_micros())
                            .unwrap_or(u32::MAX);
                        tally.latencies_us.push(micros);
                    }
                    if !answer.keep_alive {
                        continue 'connection;
                    }
                }
                Err(error) => {
                    tally.error(format!("transport: {error:#}"));
                    continue 'connection;
                }
            }
            sent = Instant::now();
            if sent >= window_end {
                break 'connection;
            }
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_latencies(latencies_us: Vec<u32>) -> LoadResult {
        LoadResult {
            requests: latencies_us.len() as u64,
            errors: 0,
            error_kinds: BTreeMap::new(),
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
    }

    #[test]
    fn rates_are_per_second_of_window() {
        let result = with_latencies(vec![10; 1000]);
        assert_eq!(result.requests_per_second(), 500.0);
        assert_eq!(
            result.server_cpu_per_request(),
            Some(Duration::from_micros(100))
        );
        assert_eq!(result.server_cpu_share(), 0.05);
    }
}
