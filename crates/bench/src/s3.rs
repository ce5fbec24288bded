//! The S3 suite: small objects under load (a 4 KiB GET through a presigned URL, a 4 KiB PUT;
//! run by the load generator), large single transfers (a PUT next to `dd conv=fsync` of the
//! same size on the same disk, a GET), and the server's memory while several clients upload
//! large objects at once.
//!
//! Every body is checked (content or ETag), so a server that answers 200 without doing the
//! work cannot pass. A phase that fails is recorded and the suite goes on: moto, which
//! keeps every object in memory, may not get through the large uploads at all.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::bail;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};

use crate::procfs;
use crate::requests::{self, ContentSha256, SignedRequest, ToSign};
use crate::transfer::{self, MIB, SourceBody, Uploaded};

pub const BUCKET: &str = "nimbus-bench";
const SMALL_KEY: &str = "small-4k";
const SMALL_SIZE: usize = 4096;
const LARGE_KEY: &str = "large";
/// The concurrent uploads repeat a buffer this size: the client never holds a whole object.
const UPLOAD_SOURCE: usize = transfer::CHUNK;
/// How often the server's RSS is read during the concurrent uploads.
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// Presigned URLs of the run stay valid this long (a load window replays one URL).
const PRESIGN_EXPIRES_SECS: u64 = 3600;

/// Sizes, counts and limits of the large-transfer phases.
#[derive(Debug, Clone, Copy)]
pub struct S3Shape {
    pub large_mib: u64,
    pub large_repeats: usize,
    /// Each large single PUT or GET is given up after this long.
    pub transfer_timeout: Duration,
    pub upload_clients: usize,
    pub upload_mib: u64,
    /// The concurrent uploads, all together, are given up after this long.
    pub upload_timeout: Duration,
    /// The uploads stop when the server's RSS passes this: a server that buffers whole
    /// bodies could otherwise exhaust the machine.
    pub upload_rss_cap_mib: u64,
}

/// Timings of one repeated transfer, with how many repeats failed (why is in
/// [`S3Results::failures`]).
#[derive(Debug, Clone, Default)]
pub struct Repeats {
    pub times: Vec<Duration>,
    pub failed: usize,
}

/// What the S3 suite measured on one server, beyond its throughput runs.
#[derive(Debug, Clone, Default)]
pub struct S3Results {
    /// VmRSS right after the 4 KiB throughput runs, in KiB.
    pub rss_after_small_loads_kib: Option<u64>,
    pub large_put: Repeats,
    pub large_get: Repeats,
    /// `dd conv=fsync` of the same size in the same filesystem, once after each PUT.
    pub dd: Repeats,
    /// MD5 of the same bytes in this process, one stream, once after each PUT: the ceiling of
    /// any single PUT, whose ETag is the body's MD5 (MD5 cannot be split across cores).
    pub md5: Repeats,
    pub uploads: Option<UploadResults>,
    /// What failed, and why, for the notes under the table.
    pub failures: Vec<String>,
}

impl S3Results {
    /// Results of a suite that could not run at all.
    pub fn not_run(why: String) -> Self {
        S3Results {
            failures: vec![why],
            ..S3Results::default()
        }
    }
}

/// Why the concurrent uploads were cut short.
#[derive(Debug, Clone, Copy)]
pub enum Stopped {
    TimedOut(Duration),
    RssCap { mib: u64 },
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stopped::TimedOut(after) => write!(f, "timed out after {} s", after.as_secs()),
            Stopped::RssCap { mib } => write!(f, "stopped: server RSS passed {mib} MiB"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct UploadResults {
    pub peak_rss_kib: u64,
    /// From the first request to the last answer (or to the stop).
    pub elapsed: Duration,
    /// Bytes of the uploads that were acknowledged with the right ETag.
    pub bytes_acknowledged: u64,
    /// Uploads that did not answer 200 with the right ETag, or did not finish.
    pub failed: usize,
    pub stopped: Option<Stopped>,
}

fn object_path(key: &str) -> String {
    format!("/{BUCKET}/{key}")
}

/// A header-signed S3 request without a query.
fn s3_request(
    label: &'static str,
    addr: SocketAddr,
    method: Method,
    path: &str,
    body: Bytes,
    content_sha256: ContentSha256,
    content_length: Option<u64>,
) -> anyhow::Result<SignedRequest> {
    let mut headers = HeaderMap::new();
    if let Some(len) = content_length {
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    requests::sign_with_headers(
        addr,
        ToSign {
            label,
            service: "s3",
            method,
            path,
            query: "",
            headers,
            body,
            content_sha256,
        },
    )
}

fn create_bucket(addr: SocketAddr) -> anyhow::Result<SignedRequest> {
    s3_request(
        "s3:CreateBucket",
        addr,
        Method::PUT,
        &format!("/{BUCKET}"),
        Bytes::new(),
        ContentSha256::OfBody,
        None,
    )
}

/// The 4 KiB PUT as boto3 signs it over plain HTTP: the body's SHA-256 is signed and sent.
pub fn put_small(addr: SocketAddr, body: Bytes) -> anyhow::Result<SignedRequest> {
    let len = body.len() as u64;
    s3_request(
        "s3:PutObject 4 KiB",
        addr,
        Method::PUT,
        &object_path(SMALL_KEY),
        body,
        ContentSha256::OfBody,
        Some(len),
    )
}

/// The 4 KiB GET through a presigned URL, as a browser or `curl` sends it: only `Host`.
pub fn get_small_presigned(addr: SocketAddr) -> anyhow::Result<SignedRequest> {
    requests::presign(
        "s3:GetObject 4 KiB (presigned)",
        addr,
        Method::GET,
        &object_path(SMALL_KEY),
        PRESIGN_EXPIRES_SECS,
    )
}

/// A PUT whose body is streamed afterwards, so it is signed `UNSIGNED-PAYLOAD`.
fn put_streamed(addr: SocketAddr, key: &str, len: u64) -> anyhow::Result<SignedRequest> {
    s3_request(
        "s3:PutObject (streamed)",
        addr,
        Method::PUT,
        &object_path(key),
        Bytes::new(),
        ContentSha256::Unsigned,
        Some(len),
    )
}

fn get_object(addr: SocketAddr, key: &str) -> anyhow::Result<SignedRequest> {
    s3_request(
        "s3:GetObject",
        addr,
        Method::GET,
        &object_path(key),
        Bytes::new(),
        ContentSha256::Unsigned,
        None,
    )
}

/// Creates the bucket and the 4 KiB object of pseudo-random bytes, and checks that the
/// presigned GET returns exactly those bytes. Returns the object's body, for the PUT
/// under load.
pub async fn prepare_small(addr: SocketAddr) -> anyhow::Result<Bytes> {
    requests::expect_ok(addr, &create_bucket(addr)?).await?;
    let body = transfer::pattern(SMALL_SIZE, 4);
    requests::expect_ok(addr, &put_small(addr, body.clone())?).await?;
    let got = requests::expect_ok(addr, &get_small_presigned(addr)?).await?;
    if got != body {
        bail!(
            "the presigned GET answered 200 with {} bytes that are not the object's",
            got.len()
        );
    }
    Ok(body)
}

/// Uploads `source` repeated to `len` bytes as `key` (signed just before, so a slow earlier
/// phase cannot expire the signature) and checks the answer's ETag is the body's MD5.
async fn put_checked(
    addr: SocketAddr,
    key: &str,
    (source, len): (Bytes, u64),
    expected_etag: &str,
) -> anyhow::Result<Uploaded> {
    let request = put_streamed(addr, key, len)?;
    let uploaded = transfer::upload(addr, &request, SourceBody::new(source, len)).await?;
    match &uploaded.etag {
        Some(etag) if etag == expected_etag => Ok(uploaded),
        Some(etag) => bail!("ETag {etag}, not the body's MD5 {expected_etag}"),
        None => bail!("no ETag in the answer"),
    }
}

/// `future`, given up after `limit`.
async fn within<T>(
    limit: Duration,
    future: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(limit, future).await {
        Ok(outcome) => outcome,
        Err(_) => bail!("timed out after {} s", limit.as_secs()),
    }
}

/// The large single transfers, then the concurrent uploads, on a server that has the bucket.
/// `dd_dir` is a directory in the filesystem the server writes to.
pub async fn measure_large(
    addr: SocketAddr,
    server_pid: u32,
    shape: S3Shape,
    dd_dir: &Path,
    name: &str,
) -> S3Results {
    let mut results = S3Results::default();
    let len = shape.large_mib * MIB;
    // The whole object is distinct bytes, sent as slices of this one buffer: a server that
    // stored only part of it and repeated that would fail the GET's content check.
    let source = transfer::pattern(
        usize::try_from(len).expect("--large-mib fits in memory"),
        64,
    );
    let md5_hex = SourceBody::new(source.clone(), len).md5_hex();
    large_puts(addr, shape, (source, &md5_hex), dd_dir, name, &mut results).await;
    if results.large_put.times.is_empty() {
        record(
            &mut results.failures,
            name,
            format!("{} MiB GET: skipped, no PUT succeeded", shape.large_mib),
        );
    } else {
        large_gets(addr, shape, &md5_hex, name, &mut results).await;
    }
    let uploads = concurrent_uploads(addr, server_pid, shape, name, &mut results.failures).await;
    results.uploads = Some(uploads);
    results
}

/// The large PUT of `source` (whose MD5 is `md5_hex`) `shape.large_repeats` times, each
/// followed by a `dd` of the same size into `dd_dir`.
async fn large_puts(
    addr: SocketAddr,
    shape: S3Shape,
    (source, md5_hex): (Bytes, &str),
    dd_dir: &Path,
    name: &str,
    results: &mut S3Results,
) {
    let mib = shape.large_mib;
    let len = mib * MIB;
    let expected_etag = transfer::single_put_etag(md5_hex);
    let of = shape.large_repeats;
    for repeat in 1..=of {
        let put = put_checked(addr, LARGE_KEY, (source.clone(), len), &expected_etag);
        match within(shape.transfer_timeout, put).await {
            Ok(uploaded) => {
                let rate = transfer::mib_per_second(len, uploaded.took);
                eprintln!("{name}: {mib} MiB PUT {repeat}/{of}: {rate:.0} MiB/s");
                results.large_put.times.push(uploaded.took);
            }
            Err(error) => {
                let failure = format!("{mib} MiB PUT {repeat}: {error:#}");
                record(&mut results.failures, name, failure);
                results.large_put.failed += 1;
            }
        }
        let hashed = source.clone();
        let started = Instant::now();
        if tokio::task::spawn_blocking(move || <md5::Md5 as md5::Digest>::digest(&hashed)).await.is_ok() {
            let took = started.elapsed();
            eprintln!("{name}: MD5 of {mib} MiB {repeat}/{of}: {:.0} MiB/s", transfer::mib_per_second(len, took));
            results.md5.times.push(took);
        }
        match transfer::dd_fsync(dd_dir, mib).await {
            Ok(took) => {
                let rate = transfer::mib_per_second(len, took);
                eprintln!("{name}: dd conv=fsync {mib} MiB {repeat}/{of}: {rate:.0} MiB/s");
                results.dd.times.push(took);
            }
            Err(error) => {
                record(
                    &mut results.failures,
                    name,
                    format!("dd {repeat}: {error:#}"),
                );
                results.dd.failed += 1;
            }
        }
    }
}

/// One GET of the large object that checks its content against `md5_hex`, then
/// `shape.large_repeats` timed GETs that only count the bytes.
async fn large_gets(
    addr: SocketAddr,
    shape: S3Shape,
    md5_hex: &str,
    name: &str,
    results: &mut S3Results,
) {
    let mib = shape.large_mib;
    let len = mib * MIB;
    // The check is not timed: hashing on the client would slow it, and on two cores would
    // take CPU from the server too. A server that fails it gets no GET speed at all.
    let verify = async {
        let downloaded = transfer::download(addr, &get_object(addr, LARGE_KEY)?, true).await?;
        check_download(&downloaded, len, Some(md5_hex))
    };
    if let Err(error) = within(shape.transfer_timeout, verify).await {
        let failure = format!("{mib} MiB GET (content check): {error:#}");
        record(&mut results.failures, name, failure);
        results.large_get.failed += 1;
        return;
    }
    eprintln!("{name}: {mib} MiB GET: the content is what was PUT");
    let of = shape.large_repeats;
    for repeat in 1..=of {
        let get = async {
            let downloaded = transfer::download(addr, &get_object(addr, LARGE_KEY)?, false).await?;
            check_download(&downloaded, len, None)?;
            Ok(downloaded.took)
        };
        match within(shape.transfer_timeout, get).await {
            Ok(took) => {
                let rate = transfer::mib_per_second(len, took);
                eprintln!("{name}: {mib} MiB GET {repeat}/{of}: {rate:.0} MiB/s");
                results.large_get.times.push(took);
            }
            Err(error) => {
                let failure = format!("{mib} MiB GET {repeat}: {error:#}");
                record(&mut results.failures, name, failure);
                results.large_get.failed += 1;
            }
        }
    }
}

/// Checks a download's length and, if it was hashed, its MD5.
fn check_download(
    downloaded: &transfer::Downloaded,
    len: u64,
    md5_hex: Option<&str>,
) -> anyhow::Result<()> {
    if downloaded.len != len {
        bail!("{} bytes, not {len}", downloaded.len);
    }
    if let (Some(expected), Some(got)) = (md5_hex, &downloaded.md5_hex)
        && got != expected
    {
        bail!("the body is not what was PUT (MD5 {got}, not {expected})");
    }
    Ok(())
}

/// Notes a failure in the results and on stderr.
fn record(failures: &mut Vec<String>, name: &str, failure: String) {
    eprintln!("{name}: {failure}");
    failures.push(failure);
}

/// `shape.upload_clients` clients PUT `shape.upload_mib` MiB each at once (streamed from a
/// small repeated buffer), while the server's RSS is sampled.
async fn concurrent_uploads(
    addr: SocketAddr,
    server_pid: u32,
    shape: S3Shape,
    name: &str,
    failures: &mut Vec<String>,
) -> UploadResults {
    let len = shape.upload_mib * MIB;
    let source = transfer::pattern(UPLOAD_SOURCE, 8);
    let expected_etag = transfer::single_put_etag(&SourceBody::new(source.clone(), len).md5_hex());
    eprintln!(
        "{name}: {} × {} MiB uploads: running",
        shape.upload_clients, shape.upload_mib
    );
    let started = Instant::now();
    let uploads: Vec<_> = (0..shape.upload_clients)
        .map(|client| {
            let body = (source.clone(), len);
            let expected_etag = expected_etag.clone();
            tokio::spawn(async move {
                put_checked(addr, &format!("upload-{client}"), body, &expected_etag).await
            })
        })
        .collect();
    let cap_kib = shape.upload_rss_cap_mib * 1024;
    let mut peak_rss_kib = 0;
    let mut stopped = None;
    while uploads.iter().any(|upload| !upload.is_finished()) {
        // The tree is listed each time: a server could start workers mid-run.
        if let Ok(rss) = procfs::rss_kib(&procfs::process_tree(server_pid)) {
            peak_rss_kib = peak_rss_kib.max(rss);
            if rss > cap_kib {
                stopped = Some(Stopped::RssCap {
                    mib: shape.upload_rss_cap_mib,
                });
            }
        }
        if stopped.is_none() && started.elapsed() > shape.upload_timeout {
            stopped = Some(Stopped::TimedOut(shape.upload_timeout));
        }
        if stopped.is_some() {
            for upload in &uploads {
                upload.abort();
            }
            break;
        }
        tokio::time::sleep(RSS_SAMPLE_EVERY).await;
    }
    let elapsed = started.elapsed();
    let mut failed = 0;
    let mut bytes_acknowledged = 0;
    for (client, upload) in uploads.into_iter().enumerate() {
        match upload.await {
            Ok(Ok(_)) => bytes_acknowledged += len,
            Ok(Err(error)) => {
                failed += 1;
                record(failures, name, format!("upload {client}: {error:#}"));
            }
            // Aborted at the stop, which is reported once.
            Err(_) => failed += 1,
        }
    }
    if let Some(stopped) = stopped {
        record(failures, name, format!("concurrent uploads {stopped}"));
    }
    eprintln!(
        "{name}: {} × {} MiB uploads: peak RSS {:.1} MiB, {:.0} MiB/s acknowledged in all, {failed} failed",
        shape.upload_clients,
        shape.upload_mib,
        peak_rss_kib as f64 / 1024.0,
        transfer::mib_per_second(bytes_acknowledged, elapsed),
    );
    UploadResults {
        peak_rss_kib,
        elapsed,
        bytes_acknowledged,
        failed,
        stopped,
    }
}
