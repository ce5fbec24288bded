//! Large bodies without large client memory or copies: uploads are streamed as slices of
//! one buffer (repeated when the body is longer than it), downloads are counted and hashed
//! as they arrive and never collected. Also `dd`, the disk's own speed for a durable write
//! of the same size, to put a PUT's speed in proportion.

use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use http::StatusCode;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use md5::{Digest, Md5};

use crate::requests::{self, SignedRequest};

pub const MIB: u64 = 1024 * 1024;
/// Largest piece of an upload handed to hyper at once: big enough that per-frame overhead
/// vanishes, small enough that a repeated source buffer can be this size.
pub const CHUNK: usize = 1024 * 1024;
/// How much of an error answer's body is kept for the message.
const ERROR_SNIPPET: usize = 512;

/// Deterministic pseudo-random bytes (xorshift64), so a content check means something and
/// a compressing or deduplicating server gains nothing.
pub fn pattern(len: usize, seed: u64) -> Bytes {
    // XOR and multiplying by an odd constant are bijections, so distinct seeds give distinct
    // states; xorshift only needs the state to be non-zero.
    let mut state = (seed ^ 0x9E37_79B9_7F4A_7C15).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    if state == 0 {
        state = 0x9E37_79B9_7F4A_7C15;
    }
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out.into()
}

/// MiB (2^20 bytes) per second for `bytes` moved in `took`.
pub fn mib_per_second(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / MIB as f64 / took.as_secs_f64()
}

/// A request body of `len` bytes: `source` from the start, again and again, in chunks of
/// at most [`CHUNK`] that are slices of `source` (reference-counted, never copied).
pub struct SourceBody {
    source: Bytes,
    len: u64,
    sent: u64,
}

impl SourceBody {
    pub fn new(source: Bytes, len: u64) -> Self {
        assert!(
            !source.is_empty() || len == 0,
            "a non-empty body needs a source"
        );
        SourceBody {
            source,
            len,
            sent: 0,
        }
    }

    fn remaining(&self) -> u64 {
        self.len - self.sent
    }

    fn next_chunk(&mut self) -> Option<Bytes> {
        if self.remaining() == 0 {
            return None;
        }
        let offset = usize::try_from(self.sent % self.source.len() as u64)
            .expect("an offset into the source fits in usize");
        let take = (self.source.len() - offset)
            .min(CHUNK)
            .min(usize::try_from(self.remaining()).unwrap_or(usize::MAX));
        self.sent += take as u64;
        Some(self.source.slice(offset..offset + take))
    }

    /// The MD5 of the whole body in hex, hashed from the very chunks it would send.
    pub fn md5_hex(&self) -> String {
        let mut copy = SourceBody::new(self.source.clone(), self.len);
        let mut md5 = Md5::new();
        while let Some(chunk) = copy.next_chunk() {
            md5.update(&chunk);
        }
        hex::encode(md5.finalize())
    }
}

impl Body for SourceBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.next_chunk().map(|chunk| Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining() == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining())
    }
}

/// The ETag S3 gives a single (not multipart) PUT: the body's MD5 in hex, in quotes.
pub fn single_put_etag(md5_hex: &str) -> String {
    format!("\"{md5_hex}\"")
}

/// What a streamed upload got back.
#[derive(Debug)]
pub struct Uploaded {
    /// From sending the request head to the end of the answer.
    pub took: Duration,
    pub etag: Option<String>,
}

/// Sends `request` with `body` on a new connection and insists on 200.
pub async fn upload(
    addr: SocketAddr,
    request: &SignedRequest,
    body: SourceBody,
) -> anyhow::Result<Uploaded> {
    let mut sender = requests::connect::<SourceBody>(addr).await?;
    sender.ready().await?;
    let started = Instant::now();
    let response = sender.send_request(request.to_http_with(body)).await?;
    let status = response.status();
    let etag = response
        .headers()
        .get(http::header::ETAG)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let answer = response.into_body().collect().await?.to_bytes();
    let took = started.elapsed();
    if status != StatusCode::OK {
        bail!("{} answered {status}: {}", request.label, snippet(&answer));
    }
    Ok(Uploaded { took, etag })
}

/// What a counted download got.
#[derive(Debug)]
pub struct Downloaded {
    /// From sending the request to the last body byte.
    pub took: Duration,
    pub len: u64,
    /// The body's MD5 in hex, when asked for.
    pub md5_hex: Option<String>,
}

/// Sends `request` on a new connection, insists on 200 and reads the body to its end,
/// counting it and, with `hash`, hashing it; the body itself is dropped chunk by chunk.
pub async fn download(
    addr: SocketAddr,
    request: &SignedRequest,
    hash: bool,
) -> anyhow::Result<Downloaded> {
    let mut sender = requests::connect(addr).await?;
    sender.ready().await?;
    let started = Instant::now();
    let response = sender.send_request(request.to_http()).await?;
    let status = response.status();
    let mut body = response.into_body();
    if status != StatusCode::OK {
        let answer = body.collect().await?.to_bytes();
        bail!("{} answered {status}: {}", request.label, snippet(&answer));
    }
    let mut md5 = hash.then(Md5::new);
    let mut len = 0u64;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            len += data.len() as u64;
            if let Some(md5) = &mut md5 {
                md5.update(&data);
            }
        }
    }
    Ok(Downloaded {
        took: started.elapsed(),
        len,
        md5_hex: md5.map(|m| hex::encode(m.finalize())),
    })
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(ERROR_SNIPPET)]).into_owned()
}

/// Times `dd if=/dev/zero of=DIR/… bs=1M count=MIB conv=fsync`: the disk's speed for a
/// durable write of that size, in the filesystem of `dir`. Timed from the spawn to dd's exit
/// (one process start, ~1 ms, next to tens of milliseconds of writing), as a PUT is timed
/// from its first byte to its answer. The file is removed afterwards.
pub async fn dd_fsync(dir: &Path, mib: u64) -> anyhow::Result<Duration> {
    let target = dir.join("nimbus-bench-dd.bin");
    // dd blocks for the whole write; off the runtime's thread, so nothing else stalls.
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let output = Command::new("dd")
            .arg("if=/dev/zero")
            .arg(format!("of={}", target.display()))
            .args(["bs=1M", &format!("count={mib}"), "conv=fsync"])
            .stdin(Stdio::null())
            .output()
            .context("running dd")?;
        let took = started.elapsed();
        let _ = std::fs::remove_file(&target);
        let stats = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            bail!("dd exited with {}: {}", output.status, stats.trim());
        }
        // A full disk or a short count would otherwise pass for a fast disk.
        let copied = dd_bytes_copied(&stats).context("dd printed no byte count")?;
        if copied != mib * MIB {
            bail!("dd copied {copied} bytes, not {}", mib * MIB);
        }
        Ok(took)
    })
    .await?
}

/// The byte count of dd's final statistics line (`67108864 bytes (67 MB, 64 MiB) copied, …`).
fn dd_bytes_copied(stats: &str) -> Option<u64> {
    stats
        .lines()
        .rev()
        .find(|line| line.contains(" copied"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(mut body: SourceBody) -> (Vec<u8>, Vec<usize>) {
        let mut all = Vec::new();
        let mut sizes = Vec::new();
        while let Some(chunk) = body.next_chunk() {
            sizes.push(chunk.len());
            all.extend_from_slice(&chunk);
        }
        (all, sizes)
    }

    #[test]
    fn patterns_are_deterministic_and_sized() {
        assert!(pattern(4096, 4) == pattern(4096, 4));
        // Neighbouring seeds (which differ only in their lowest bit) give other bytes.
        assert!(pattern(4096, 4) != pattern(4096, 5));
        assert!(pattern(64, 0).iter().any(|&b| b != 0));
        assert_eq!(pattern(13, 1).len(), 13);
    }

    #[test]
    fn a_body_repeats_its_source_to_its_length() {
        let source = pattern(1000, 9);
        let body = SourceBody::new(source.clone(), 2500);
        assert_eq!(body.size_hint().exact(), Some(2500));
        let (all, sizes) = collect(body);
        let expected: Vec<u8> = source.iter().cycle().take(2500).copied().collect();
        assert_eq!(all, expected);
        // Chunks stop at the source's end, so each one is a slice of it.
        assert_eq!(sizes, [1000, 1000, 500]);
    }

    #[test]
    fn a_large_source_is_sent_in_chunks() {
        let source = pattern(2 * CHUNK + 10, 3);
        let (all, sizes) = collect(SourceBody::new(source.clone(), source.len() as u64));
        assert_eq!(all, source);
        assert_eq!(sizes, [CHUNK, CHUNK, 10]);
    }

    #[test]
    fn md5_covers_the_whole_body() {
        let source = pattern(1000, 9);
        let whole: Vec<u8> = source.iter().cycle().take(2500).copied().collect();
        assert_eq!(
            SourceBody::new(source, 2500).md5_hex(),
            hex::encode(Md5::digest(&whole))
        );
        // The well-known MD5 of nothing, as S3's ETag of an empty object.
        assert_eq!(
            single_put_etag(&SourceBody::new(Bytes::new(), 0).md5_hex()),
            "\"d41d8cd98f00b204e9800998ecf8427e\""
        );
    }

    #[test]
    fn mib_per_second_maths() {
        assert_eq!(mib_per_second(64 * MIB, Duration::from_millis(500)), 128.0);
        assert_eq!(mib_per_second(1024 * MIB, Duration::from_secs(2)), 512.0);
    }

    #[test]
    fn dd_statistics_give_the_bytes_copied() {
        let gnu = "64+0 records in\n64+0 records out\n\
                   67108864 bytes (67 MB, 64 MiB) copied, 0.0627 s, 1.1 GB/s\n";
        assert_eq!(dd_bytes_copied(gnu), Some(64 * MIB));
        let short = "3+0 records in\n3+0 records out\n3145728 bytes (3.1 MB, 3.0 MiB) copied, 0.01 s, 300 MB/s\n";
        assert_eq!(dd_bytes_copied(short), Some(3 * MIB));
        assert_eq!(dd_bytes_copied("dd: error writing: No space left\n"), None);
    }
}
