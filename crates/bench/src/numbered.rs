//! Numbered requests from several clients at once, until every one is sent or a cap passes:
//! the Logs suite's group load (PutLogEvents batch `n` holds events `n × 10,000..`) and the
//! CloudWatch suite's alarm creation (PutMetricAlarm `n` creates alarm `n`).
//!
//! Each request differs from the others, so each is built and signed just before it is
//! sent, by whichever client is free, in order; the signing is part of the client's CPU,
//! not of the request's latency. A request is sent once: an error counts its items as
//! failed, and the job's [`JobStatus`] says whether the server may have applied it anyway.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::load::{Client, nearest_rank};
use crate::procfs::{self, CpuClock};
use crate::requests::{Answer, SignedRequest};

/// How often a run's progress is printed.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// What became of one numbered job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Not sent: the cap passed first.
    NotSent,
    /// Every item acknowledged.
    Done,
    /// Answered, with some items refused (the answer said which count).
    Partial,
    /// An error answer: nothing was applied.
    Failed,
    /// No answer or a broken connection: the server may or may not have applied it.
    Uncertain,
}

impl JobStatus {
    fn code(self) -> u8 {
        match self {
            JobStatus::NotSent => 0,
            JobStatus::Done => 1,
            JobStatus::Partial => 2,
            JobStatus::Failed => 3,
            JobStatus::Uncertain => 4,
        }
    }

    fn from_code(code: u8) -> Self {
        match code {
            1 => JobStatus::Done,
            2 => JobStatus::Partial,
            3 => JobStatus::Failed,
            4 => JobStatus::Uncertain,
            _ => JobStatus::NotSent,
        }
    }
}

/// How a numbered run goes.
#[derive(Debug, Clone, Copy)]
pub struct NumberedShape {
    pub clients: usize,
    pub jobs: u64,
    /// No job is started after this long.
    pub cap: Duration,
    /// A request without an answer after this long is given up.
    pub request_timeout: Duration,
}

/// Builds and signs job `job` for client `client`: the request and the items it carries.
pub type MakeJob = dyn Fn(usize, u64) -> anyhow::Result<(SignedRequest, u64)> + Send + Sync;
/// Reads an answer: the items the server acknowledged, or why it failed (a non-200 is
/// already an error before this is asked).
pub type CheckAnswer = dyn Fn(&Answer, u64) -> Result<u64, String> + Send + Sync;

/// What a numbered run measured.
#[derive(Debug, Clone, Default)]
pub struct NumberedRun {
    /// Items acknowledged.
    pub acknowledged: u64,
    /// Items in jobs that failed or were refused in part.
    pub failed: u64,
    /// Requests answered 200.
    pub requests: u64,
    /// Error answers and transport failures, by kind.
    pub error_kinds: BTreeMap<String, u64>,
    /// Set when the cap stopped the run before every job was sent.
    pub stopped_at_cap: bool,
    /// From the first request to the last client's last answer.
    pub elapsed: Duration,
    /// Latency of each request answered 200, in µs, sorted.
    pub latencies_us: Vec<u32>,
    /// CPU the server's process tree and the load generator used over `elapsed`.
    pub server_cpu: Duration,
    pub client_cpu: Duration,
    /// Each job's outcome, by job number.
    pub statuses: Vec<JobStatus>,
}

impl NumberedRun {
    pub fn items_per_second(&self) -> f64 {
        self.acknowledged as f64 / self.elapsed.as_secs_f64()
    }

    pub fn server_cpu_per_item(&self) -> Option<Duration> {
        (self.acknowledged > 0).then(|| self.server_cpu.div_f64(self.acknowledged as f64))
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

/// What the clients share.
struct Shared {
    jobs: u64,
    next_job: AtomicU64,
    deadline: Instant,
    statuses: Vec<AtomicU8>,
    acknowledged: AtomicU64,
}

#[derive(Default)]
struct ClientTally {
    acknowledged: u64,
    failed: u64,
    requests: u64,
    latencies_us: Vec<u32>,
    error_kinds: BTreeMap<String, u64>,
    finished: Option<Instant>,
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

async fn numbered_client(
    addr: SocketAddr,
    index: usize,
    shape: NumberedShape,
    shared: Arc<Shared>,
    (make, check): (Arc<MakeJob>, Arc<CheckAnswer>),
) -> ClientTally {
    let mut tally = ClientTally::default();
    let mut client = Client::new(addr, None);
    while Instant::now() < shared.deadline {
        let job = shared.next_job.fetch_add(1, Ordering::Relaxed);
        if job >= shared.jobs {
            break;
        }
        let (request, items) = match make(index, job) {
            Ok(made) => made,
            Err(error) => {
                *tally.error_kinds.entry(format!("{error:#}")).or_default() += 1;
                set_status(&shared, job, JobStatus::Failed);
                continue;
            }
        };
        let sent = Instant::now();
        let answer = tokio::time::timeout(shape.request_timeout, client.send(&request)).await;
        let took = sent.elapsed();
        let outcome = match answer {
            Err(_) => {
                // The connection still holds the unanswered request: start afresh.
                client = Client::new(addr, None);
                Err((
                    format!("no answer within {} s", shape.request_timeout.as_secs()),
                    JobStatus::Uncertain,
                ))
            }
            Ok(Err(error)) => Err((format!("{error:#}"), JobStatus::Uncertain)),
            Ok(Ok(answer)) if answer.status != http::StatusCode::OK => Err((
                crate::load::http_error(&answer),
                JobStatus::Failed,
            )),
            Ok(Ok(answer)) => check(&answer, items).map_err(|why| (why, JobStatus::Uncertain)),
        };
        match outcome {
            Ok(acknowledged) => {
                tally.requests += 1;
                tally.latencies_us.push(micros(took));
                tally.acknowledged += acknowledged;
                tally.failed += items.saturating_sub(acknowledged);
                shared
                    .acknowledged
                    .fetch_add(acknowledged, Ordering::Relaxed);
                let status = if acknowledged == items {
                    JobStatus::Done
                } else {
                    JobStatus::Partial
                };
                set_status(&shared, job, status);
            }
            Err((why, status)) => {
                *tally.error_kinds.entry(why).or_default() += 1;
                tally.failed += items;
                set_status(&shared, job, status);
            }
        }
    }
    tally.finished = Some(Instant::now());
    tally
}

fn set_status(shared: &Shared, job: u64, status: JobStatus) {
    if let Some(slot) = usize::try_from(job).ok().and_then(|j| shared.statuses.get(j)) {
        slot.store(status.code(), Ordering::Relaxed);
    }
}

/// Runs `shape.jobs` jobs made by `make` from `shape.clients` clients, stopped at
/// `shape.cap`, measuring the CPU of `server_pid`'s tree over the run. `label` names the
/// run in the progress lines.
pub async fn run(
    addr: SocketAddr,
    shape: NumberedShape,
    (server_pid, cpu_clock): (u32, CpuClock),
    (make, check): (Arc<MakeJob>, Arc<CheckAnswer>),
    label: &str,
) -> anyhow::Result<NumberedRun> {
    let server_tree = procfs::process_tree(server_pid);
    let server_before = cpu_clock.cpu_time(&server_tree)?;
    let client_before = cpu_clock.own_cpu_time()?;
    let start = Instant::now();
    let shared = Arc::new(Shared {
        jobs: shape.jobs,
        next_job: AtomicU64::new(0),
        deadline: start + shape.cap,
        statuses: (0..shape.jobs).map(|_| AtomicU8::new(0)).collect(),
        acknowledged: AtomicU64::new(0),
    });
    let clients: Vec<_> = (0..shape.clients)
        .map(|index| {
            let job = (make.clone(), check.clone());
            tokio::spawn(numbered_client(addr, index, shape, shared.clone(), job))
        })
        .collect();
    let mut next_progress = start + PROGRESS_EVERY;
    while !clients.iter().all(tokio::task::JoinHandle::is_finished) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if Instant::now() >= next_progress {
            next_progress += PROGRESS_EVERY;
            eprintln!(
                "{label}: {} acknowledged after {:.0} s ({} of {} requests started)",
                shared.acknowledged.load(Ordering::Relaxed),
                start.elapsed().as_secs_f64(),
                shared.next_job.load(Ordering::Relaxed).min(shape.jobs),
                shape.jobs,
            );
        }
    }
    let mut run = NumberedRun::default();
    let mut end = start;
    for client in clients {
        let tally = client.await?;
        end = end.max(tally.finished.unwrap_or(end));
        run.acknowledged += tally.acknowledged;
        run.failed += tally.failed;
        run.requests += tally.requests;
        run.latencies_us.extend(tally.latencies_us);
        for (kind, count) in tally.error_kinds {
            *run.error_kinds.entry(kind).or_default() += count;
        }
    }
    run.server_cpu = cpu_clock
        .cpu_time(&server_tree)?
        .saturating_sub(server_before);
    run.client_cpu = cpu_clock.own_cpu_time()?.saturating_sub(client_before);
    run.elapsed = end.duration_since(start);
    run.latencies_us.sort_unstable();
    run.stopped_at_cap = shared.next_job.load(Ordering::Relaxed) < shape.jobs;
    run.statuses = shared
        .statuses
        .iter()
        .map(|s| JobStatus::from_code(s.load(Ordering::Relaxed)))
        .collect();
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_survive_their_codes() {
        for status in [
            JobStatus::NotSent,
            JobStatus::Done,
            JobStatus::Partial,
            JobStatus::Failed,
            JobStatus::Uncertain,
        ] {
            assert_eq!(JobStatus::from_code(status.code()), status);
        }
    }

    #[test]
    fn rates_are_over_the_elapsed_time() {
        let run = NumberedRun {
            acknowledged: 500,
            elapsed: Duration::from_secs(2),
            server_cpu: Duration::from_millis(500),
            ..NumberedRun::default()
        };
        assert_eq!(run.items_per_second(), 250.0);
        assert_eq!(run.server_cpu_per_item(), Some(Duration::from_millis(1)));
        assert_eq!(run.server_cpu_share(), 0.25);
    }
}
