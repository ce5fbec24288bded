//! Moving bodies between HTTP streams and blob files without holding them in memory.
//!
//! Blob files are written and read with blocking I/O (the store's `BlobWriter` fsyncs on
//! `finish`), so the file side always runs on tokio's blocking pool and talks to the async side
//! through a small bounded channel: memory per transfer stays at a few chunks whatever the size.

use std::io::{Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use md5::{Digest, Md5};
use nimbus_store::{BlobId, BlobWriter, Store, StoreError};
use s3s::dto::StreamingBlob;
use s3s::stream::{ByteStream, RemainingLength};
use s3s::{S3Error, S3ErrorCode, S3Result, StdError};
use tokio::sync::mpsc;

use crate::checksums::{Algorithm, Hasher};
use crate::crypto::{KEY_LEN, SALT_LEN, SegmentKey, SegmentSealer, plan_range, random_bytes};
use crate::records::Segment;

/// Chunks in flight between the HTTP side and the file side.
const CHANNEL_DEPTH: usize = 4;
/// Read size for streaming a blob out.
const READ_CHUNK: usize = 256 * 1024;
/// Most stored bytes an encrypted read handles (reads, decrypts, sends) as one piece: large
/// pieces keep per-message costs small next to the copy and AES work on a big GET.
const READ_BATCH: usize = 16 * (crate::crypto::CHUNK + crate::crypto::TAG);

/// How a new body is stored: encrypted as one segment under `base` (with a fresh salt), or in
/// plaintext; and which additional checksum to compute over the plaintext.
#[derive(Clone, Default)]
pub struct WriteSpec {
    pub base: Option<[u8; KEY_LEN]>,
    pub checksum: Option<Algorithm>,
}

/// A blob just written, with what S3 needs to know about it.
#[derive(Debug, Clone)]
pub struct WrittenBlob {
    pub id: BlobId,
    /// Plaintext size.
    pub size: u64,
    /// MD5 of the plaintext.
    pub md5: [u8; 16],
    /// Raw checksum of the plaintext, in [`WriteSpec::checksum`]'s algorithm.
    pub checksum: Option<Vec<u8>>,
    /// The segment's salt, when encrypted.
    pub salt: Option<[u8; SALT_LEN]>,
}

impl WrittenBlob {
    pub fn md5_hex(&self) -> String {
        hex::encode(self.md5)
    }

    pub fn segment(&self) -> Option<Segment> {
        self.salt.map(|salt| Segment {
            size: self.size,
            salt: hex::encode(salt),
        })
    }
}

/// How to read plaintext out of a stored encrypted body.
#[derive(Clone)]
pub struct Layout {
    pub base: [u8; KEY_LEN],
    /// (plaintext size, salt) of each segment, in order.
    pub segments: Vec<(u64, [u8; SALT_LEN])>,
}

impl Layout {
    pub fn new(base: [u8; KEY_LEN], segments: &[Segment]) -> S3Result<Layout> {
        let segments = segments
            .iter()
            .map(|s| {
                let salt: [u8; SALT_LEN] = hex::decode(&s.salt)
                    .ok()
                    .and_then(|v| v.try_into().ok())
                    .ok_or_else(|| internal("reading an object", "malformed segment salt"))?;
                Ok((s.size, salt))
            })
            .collect::<S3Result<Vec<_>>>()?;
        Ok(Layout { base, segments })
    }
}

enum Msg {
    Data(Bytes),
    /// The body ended normally: make the blob durable. Without it (sender dropped), the partial
    /// blob is discarded.
    Done,
}

pub fn internal(context: &str, e: impl std::fmt::Display) -> S3Error {
    tracing::error!("{context}: {e}");
    S3Error::with_message(
        S3ErrorCode::InternalError,
        "We encountered an internal error. Please try again.",
    )
}

pub fn store_error(e: StoreError) -> S3Error {
    internal("store", e)
}

/// Maps an error from the request body stream (aws-chunked signature check, declared SHA-256,
/// truncated body) to the S3 error AWS would send.
fn body_error(err: StdError) -> S3Error {
    let err = match err.downcast::<S3Error>() {
        Ok(e) => return *e,
        Err(err) => err,
    };
    let text = err.to_string();
    if text.contains("Sha256Mismatch") {
        let code: S3ErrorCode = "XAmzContentSHA256Mismatch"
            .parse()
            .unwrap_or(S3ErrorCode::BadDigest);
        let mut e = S3Error::with_message(
            code,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        );
        e.set_status_code(http::StatusCode::BAD_REQUEST);
        e
    } else if text.contains("SignatureMismatch") {
        S3Error::with_message(
            S3ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
    } else if text.contains("LengthMismatch") || text.contains("Incomplete") {
        S3Error::with_message(
            S3ErrorCode::IncompleteBody,
            "You did not provide the number of bytes specified by the Content-Length HTTP header",
        )
    } else {
        tracing::debug!("request body failed: {text}");
        S3Error::with_message(
            S3ErrorCode::IncompleteBody,
            "The request body could not be read.",
        )
    }
}

/// What the hashing thread computes over the plaintext.
struct Digests {
    md5: [u8; 16],
    checksum: Option<Vec<u8>>,
}

/// What the storing thread wrote.
struct Stored {
    id: BlobId,
    size: u64,
    salt: Option<[u8; SALT_LEN]>,
}

/// Starts writing a new blob on two blocking threads fed the same chunks: one hashes the
/// plaintext (MD5 for the ETag, the additional checksum), the other encrypts and writes it.
/// MD5 (~400 MB/s on one core) is the slowest step of a large PUT; this way the encryption,
/// the writes and most of the fsync (the blob writer syncs as it goes) hide behind it.
/// Each channel holds a few chunks, so memory per transfer stays small whatever the size.
fn start_writing(store: &Store, spec: &WriteSpec) -> (Feed, Workers) {
    let (hash_tx, mut hash_rx) = mpsc::channel::<Msg>(CHANNEL_DEPTH);
    let (store_tx, mut store_rx) = mpsc::channel::<Msg>(CHANNEL_DEPTH);
    let algorithm = spec.checksum;
    let hasher = tokio::task::spawn_blocking(move || {
        let mut md5 = Md5::new();
        let mut checksum = algorithm.map(Hasher::new);
        while let Some(msg) = hash_rx.blocking_recv() {
            match msg {
                Msg::Data(chunk) => {
                    md5.update(&chunk);
                    if let Some(h) = &mut checksum {
                        h.update(&chunk);
                    }
                }
                Msg::Done => {
                    return Ok(Digests {
                        md5: md5.finalize().into(),
                        checksum: checksum.map(Hasher::finish),
                    });
                }
            }
        }
        Err(body_ended_early())
    });
    let (store, base) = (store.clone(), spec.base);
    let storer = tokio::task::spawn_blocking(move || {
        let mut sink = BlobSink::new(&store, base)?;
        while let Some(msg) = store_rx.blocking_recv() {
            match msg {
                Msg::Data(chunk) => sink.write(&chunk)?,
                Msg::Done => return sink.finish(),
            }
        }
        // The body failed: dropping the sink discards the partial file.
        Err(body_ended_early())
    });
    (Feed { hash_tx, store_tx }, Workers { hasher, storer })
}

/// The sending end of [`start_writing`]. Dropped without [`Feed::done`], the blob is
/// discarded.
struct Feed {
    hash_tx: mpsc::Sender<Msg>,
    store_tx: mpsc::Sender<Msg>,
}

impl Feed {
    /// Hands a chunk to both threads; false if one of them has stopped (its error is what
    /// [`Workers::join`] reports).
    async fn push(&self, chunk: Bytes) -> bool {
        self.hash_tx.send(Msg::Data(chunk.clone())).await.is_ok()
            && self.store_tx.send(Msg::Data(chunk)).await.is_ok()
    }

    /// [`Feed::push`] from a blocking thread.
    fn blocking_push(&self, chunk: Bytes) -> bool {
        self.hash_tx.blocking_send(Msg::Data(chunk.clone())).is_ok()
            && self.store_tx.blocking_send(Msg::Data(chunk)).is_ok()
    }

    /// The body is whole: the blob is to be made durable.
    async fn done(self) {
        let _ = self.hash_tx.send(Msg::Done).await;
        let _ = self.store_tx.send(Msg::Done).await;
    }

    /// [`Feed::done`] from a blocking thread.
    fn blocking_done(self) {
        let _ = self.hash_tx.blocking_send(Msg::Done);
        let _ = self.store_tx.blocking_send(Msg::Done);
    }
}

/// The two threads of [`start_writing`].
struct Workers {
    hasher: tokio::task::JoinHandle<S3Result<Digests>>,
    storer: tokio::task::JoinHandle<S3Result<Stored>>,
}

impl Workers {
    /// Waits for both threads (their [`Feed`] must be done or dropped).
    async fn join(self) -> S3Result<WrittenBlob> {
        let stored = self
            .storer
            .await
            .map_err(|e| internal("blob writer task", e))?;
        let digests = self
            .hasher
            .await
            .map_err(|e| internal("blob hashing task", e))?;
        let (stored, digests) = (stored?, digests?);
        Ok(WrittenBlob {
            id: stored.id,
            size: stored.size,
            md5: digests.md5,
            checksum: digests.checksum,
            salt: stored.salt,
        })
    }
}

fn body_ended_early() -> S3Error {
    S3Error::with_message(S3ErrorCode::IncompleteBody, "The request body ended early.")
}

/// The storing end of a new blob: encrypts the plaintext if asked, writes it.
struct BlobSink {
    writer: BlobWriter,
    sealer: Option<SegmentSealer>,
    salt: Option<[u8; SALT_LEN]>,
    size: u64,
}

impl BlobSink {
    fn new(store: &Store, base: Option<[u8; KEY_LEN]>) -> S3Result<BlobSink> {
        let salt = base.map(|_| random_bytes::<SALT_LEN>());
        Ok(BlobSink {
            writer: store.blobs().writer().map_err(store_error)?,
            sealer: base
                .zip(salt)
                .map(|(base, salt)| SegmentSealer::new(SegmentKey::derive(&base, &salt))),
            salt,
            size: 0,
        })
    }

    fn write(&mut self, plain: &[u8]) -> S3Result<()> {
        self.size += plain.len() as u64;
        let writer = &mut self.writer;
        let mut out = |bytes: &[u8]| write_stored(writer, bytes);
        match &mut self.sealer {
            Some(sealer) => sealer.push(plain, &mut out),
            None => out(plain),
        }
    }

    fn finish(mut self) -> S3Result<Stored> {
        if let Some(sealer) = self.sealer.take() {
            let writer = &mut self.writer;
            sealer.finish(&mut |bytes: &[u8]| write_stored(writer, bytes))?;
        }
        let id = self.writer.finish().map_err(store_error)?;
        Ok(Stored {
            id,
            size: self.size,
            salt: self.salt,
        })
    }
}

fn write_stored(writer: &mut BlobWriter, bytes: &[u8]) -> S3Result<()> {
    writer
        .write_all(bytes)
        .map_err(|e| internal("writing blob", e))
}

/// Streams `body` into a new blob as `spec` says, hashing on the way.
pub async fn write_body(
    store: &Store,
    body: Option<StreamingBlob>,
    declared_len: Option<u64>,
    spec: WriteSpec,
) -> S3Result<WrittenBlob> {
    let (feed, workers) = start_writing(store, &spec);
    let mut received: u64 = 0;
    let fed: S3Result<bool> = async {
        if let Some(mut body) = body {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(body_error)?;
                received += chunk.len() as u64;
                if !feed.push(chunk).await {
                    // A thread failed; its error is reported below.
                    return Ok(false);
                }
            }
        }
        if let Some(declared) = declared_len
            && declared != received
        {
            return Err(body_error("LengthMismatch".into()));
        }
        Ok(true)
    }
    .await;
    if matches!(fed, Ok(true)) {
        feed.done().await;
    } else {
        // Closing the channels tells the threads to discard the blob.
        drop(feed);
    }
    let written = workers.join().await;
    fed?;
    written
}

/// Why a plaintext reader stopped early.
enum ReadError {
    /// The consumer went away.
    Closed,
    Failed(std::io::Error),
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Failed(e)
    }
}

/// Reads plaintext bytes `[start, start + len)` of a stored body (decrypting only the chunks
/// the range overlaps), handing them to `sink` a piece at a time. Blocking.
///
/// Reads are positional (`pread`): the file may be shared with other readers
/// (`BlobStore::open_shared`), so it has no cursor to move.
fn read_plain(
    file: &std::fs::File,
    layout: Option<&Layout>,
    start: u64,
    len: u64,
    mut sink: impl FnMut(Vec<u8>) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    use std::os::unix::fs::FileExt;
    let Some(layout) = layout else {
        let mut left = len;
        let mut offset = start;
        while left > 0 {
            let want = READ_CHUNK.min(usize::try_from(left).unwrap_or(usize::MAX));
            let mut buf = vec![0u8; want];
            let n = loop {
                match file.read_at(&mut buf, offset) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            if n == 0 {
                return Err(ReadError::Failed(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "blob shorter than recorded",
                )));
            }
            buf.truncate(n);
            left -= n as u64;
            offset += n as u64;
            sink(buf)?;
        }
        return Ok(());
    };
    let sizes: Vec<u64> = layout.segments.iter().map(|(size, _)| *size).collect();
    let plan = plan_range(&sizes, start, len);
    let mut key: Option<(usize, SegmentKey)> = None;
    let mut rest = plan.as_slice();
    while !rest.is_empty() {
        // Chunks stored back to back are read with one read and sent as one piece.
        let mut batch = 1;
        let mut sealed_total = rest[0].sealed;
        while batch < rest.len()
            && sealed_total + rest[batch].sealed <= READ_BATCH
            && rest[batch].offset == rest[batch - 1].offset + rest[batch - 1].sealed as u64
        {
            sealed_total += rest[batch].sealed;
            batch += 1;
        }
        let (chunks, tail) = rest.split_at(batch);
        rest = tail;
        let mut buf = vec![0u8; sealed_total];
        file.read_exact_at(&mut buf, chunks[0].offset)?;
        // Decrypt each chunk in place, then move the bytes it contributes down to the end
        // of what is kept so far: the piece is compacted without a second buffer.
        let (mut read_at, mut kept) = (0usize, 0usize);
        for chunk in chunks {
            if key.as_ref().is_none_or(|(segment, _)| *segment != chunk.segment) {
                let salt = &layout.segments[chunk.segment].1;
                key = Some((chunk.segment, SegmentKey::derive(&layout.base, salt)));
            }
            if let Some((_, k)) = &key {
                let sealed = &mut buf[read_at..read_at + chunk.sealed];
                k.open_slice(chunk.index, chunk.last, sealed).map_err(|e| {
                    ReadError::Failed(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
                })?;
            }
            let from = read_at + chunk.skip;
            buf.copy_within(from..from + chunk.take, kept);
            kept += chunk.take;
            read_at += chunk.sealed;
        }
        buf.truncate(kept);
        sink(buf)?;
    }
    Ok(())
}

/// Copies plaintext `[start, start + len)` of a stored body into a new blob written as `spec`
/// says (CopyObject, UploadPartCopy: the destination may be encrypted differently).
pub async fn transcode(
    store: &Store,
    file: std::fs::File,
    layout: Option<Layout>,
    start: u64,
    len: u64,
    spec: WriteSpec,
) -> S3Result<WrittenBlob> {
    let (feed, workers) = start_writing(store, &spec);
    let read = tokio::task::spawn_blocking(move || {
        let read = read_plain(&file, layout.as_ref(), start, len, |piece| {
            if feed.blocking_push(Bytes::from(piece)) {
                Ok(())
            } else {
                Err(ReadError::Closed)
            }
        });
        if read.is_ok() {
            feed.blocking_done();
        }
        read
    })
    .await
    .map_err(|e| internal("blob copy task", e))?;
    let written = workers.join().await;
    match read {
        Err(ReadError::Failed(e)) => Err(internal("reading the copy source", e)),
        // Closed: a writing thread stopped, and its own error is the one `written` holds.
        Ok(()) | Err(ReadError::Closed) => written,
    }
}

/// One piece of a blob to copy into a new blob: `(blob, start, length)` in stored bytes.
pub type Slice = (BlobId, u64, u64);

/// Concatenates stored bytes of existing blobs into a new blob, unchanged (multipart
/// completion: encrypted parts stay as they are, so no key is needed), never loading a whole
/// blob. Returns the new blob's id.
pub async fn concat(store: &Store, slices: Vec<Slice>) -> S3Result<BlobId> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut writer = store.blobs().writer().map_err(store_error)?;
        let mut buf = vec![0u8; READ_CHUNK];
        for (blob, start, len) in slices {
            let mut file = store.blobs().open(&blob).map_err(store_error)?;
            file.seek(SeekFrom::Start(start))
                .map_err(|e| internal("seeking blob", e))?;
            let mut left = len;
            while left > 0 {
                let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                let n = file
                    .read(&mut buf[..want])
                    .map_err(|e| internal("reading blob", e))?;
                if n == 0 {
                    return Err(internal(
                        "reading blob",
                        format!("blob {blob} is shorter than recorded"),
                    ));
                }
                writer
                    .write_all(&buf[..n])
                    .map_err(|e| internal("writing blob", e))?;
                left -= n as u64;
            }
        }
        writer.finish().map_err(store_error)
    })
    .await
    .map_err(|e| internal("blob copy task", e))?
}

/// A response body: plaintext bytes `[start, start + len)` of an already opened blob file.
pub struct BlobStream {
    source: Source,
    remaining: u64,
}

enum Source {
    /// A small body, read when the stream was made; taken by the first poll.
    Read(Option<std::io::Result<Bytes>>),
    /// A large body, read a piece at a time by a blocking thread.
    Streamed(mpsc::Receiver<std::io::Result<Bytes>>),
}

/// Bodies up to this size are read and decrypted on the request's own thread (a read of a
/// few pages, like the metadata lookups before it): for small GETs, handing the read to the
/// blocking pool and back costs more than the read itself.
const READ_INLINE_MAX: u64 = 256 * 1024;

impl BlobStream {
    /// The file may be shared with other readers (`BlobStore::open_shared`): reads are
    /// positional.
    pub fn new(file: std::sync::Arc<std::fs::File>, layout: Option<Layout>, start: u64, len: u64) -> BlobStream {
        if len <= READ_INLINE_MAX {
            // A small body is usually one piece; later pieces, if any, are appended to it.
            let mut body: Vec<u8> = Vec::new();
            let result = read_plain(&file, layout.as_ref(), start, len, |piece| {
                if body.is_empty() {
                    body = piece;
                } else {
                    body.extend_from_slice(&piece);
                }
                Ok(())
            });
            let read = match result {
                // An empty body is a stream that ends at once.
                Ok(()) if body.is_empty() => None,
                Ok(()) => Some(Ok(Bytes::from(body))),
                Err(ReadError::Failed(e)) => {
                    tracing::error!("reading an object body failed: {e}");
                    Some(Err(e))
                }
                Err(ReadError::Closed) => Some(Err(std::io::Error::other("object read stopped"))),
            };
            return BlobStream {
                source: Source::Read(read),
                remaining: len,
            };
        }
        let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
        tokio::task::spawn_blocking(move || {
            let result = read_plain(&file, layout.as_ref(), start, len, |piece| {
                // A closed channel means the client went away: stop reading.
                tx.blocking_send(Ok(Bytes::from(piece)))
                    .map_err(|_| ReadError::Closed)
            });
            if let Err(ReadError::Failed(e)) = result {
                tracing::error!("reading an object body failed: {e}");
                let _ = tx.blocking_send(Err(e));
            }
        });
        BlobStream {
            source: Source::Streamed(rx),
            remaining: len,
        }
    }

    pub fn into_blob(self) -> StreamingBlob {
        StreamingBlob::new(self)
    }
}

impl Stream for BlobStream {
    type Item = Result<Bytes, StdError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = match &mut self.source {
            Source::Read(read) => Poll::Ready(read.take()),
            Source::Streamed(rx) => rx.poll_recv(cx),
        };
        match next {
            Poll::Ready(Some(Ok(chunk))) => {
                self.remaining = self.remaining.saturating_sub(chunk.len() as u64);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl ByteStream for BlobStream {
    fn remaining_length(&self) -> RemainingLength {
        RemainingLength::new_exact(usize::try_from(self.remaining).unwrap_or(usize::MAX))
    }
}

/// The multipart ETag: MD5 of the concatenated binary MD5s of the parts, then `-<count>`.
pub fn multipart_etag(part_md5_hex: &[&str]) -> String {
    let mut md5 = Md5::new();
    for hex_md5 in part_md5_hex {
        if let Ok(raw) = hex::decode(hex_md5) {
            md5.update(&raw);
        }
    }
    format!("{}-{}", hex::encode(md5.finalize()), part_md5_hex.len())
}
