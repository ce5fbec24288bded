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
const CHANNEL_DEPTH: usize = 8;
/// Read size for streaming a blob out.
const READ_CHUNK: usize = 256 * 1024;

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
    /// MD5 of the stored (encrypted) bytes: the ETag of SSE-C and SSE-KMS objects, which AWS
    /// does not derive from the plaintext.
    pub stored_md5: [u8; 16],
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

/// The writing end of a new blob: hashes the plaintext, encrypts it if asked, writes it.
struct BodySink {
    writer: BlobWriter,
    md5: Md5,
    stored_md5: Md5,
    checksum: Option<Hasher>,
    sealer: Option<SegmentSealer>,
    salt: Option<[u8; SALT_LEN]>,
    size: u64,
}

impl BodySink {
    fn new(store: &Store, spec: &WriteSpec) -> S3Result<BodySink> {
        let salt = spec.base.map(|_| random_bytes::<SALT_LEN>());
        Ok(BodySink {
            writer: store.blobs().writer().map_err(store_error)?,
            md5: Md5::new(),
            stored_md5: Md5::new(),
            checksum: spec.checksum.map(Hasher::new),
            sealer: spec
                .base
                .zip(salt)
                .map(|(base, salt)| SegmentSealer::new(SegmentKey::derive(&base, &salt))),
            salt,
            size: 0,
        })
    }

    fn write(&mut self, plain: &[u8]) -> S3Result<()> {
        self.md5.update(plain);
        if let Some(h) = &mut self.checksum {
            h.update(plain);
        }
        self.size += plain.len() as u64;
        let (writer, stored_md5) = (&mut self.writer, &mut self.stored_md5);
        let mut out = |bytes: &[u8]| -> S3Result<()> {
            stored_md5.update(bytes);
            writer
                .write_all(bytes)
                .map_err(|e| internal("writing blob", e))
        };
        match &mut self.sealer {
            Some(sealer) => sealer.push(plain, &mut out),
            None => out(plain),
        }
    }

    fn finish(mut self) -> S3Result<WrittenBlob> {
        if let Some(sealer) = self.sealer.take() {
            let (writer, stored_md5) = (&mut self.writer, &mut self.stored_md5);
            sealer.finish(&mut |bytes: &[u8]| -> S3Result<()> {
                stored_md5.update(bytes);
                writer
                    .write_all(bytes)
                    .map_err(|e| internal("writing blob", e))
            })?;
        }
        let id = self.writer.finish().map_err(store_error)?;
        Ok(WrittenBlob {
            id,
            size: self.size,
            md5: self.md5.finalize().into(),
            stored_md5: self.stored_md5.finalize().into(),
            checksum: self.checksum.map(Hasher::finish),
            salt: self.salt,
        })
    }
}

/// Streams `body` into a new blob as `spec` says, hashing on the way.
pub async fn write_body(
    store: &Store,
    body: Option<StreamingBlob>,
    declared_len: Option<u64>,
    spec: WriteSpec,
) -> S3Result<WrittenBlob> {
    let (tx, rx) = mpsc::channel::<Msg>(CHANNEL_DEPTH);
    let writer = spawn_writer(store.clone(), spec, rx);
    let mut received: u64 = 0;
    let feed: S3Result<()> = async {
        if let Some(mut body) = body {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(body_error)?;
                received += chunk.len() as u64;
                if tx.send(Msg::Data(chunk)).await.is_err() {
                    // The writer failed; its error is reported below.
                    return Ok(());
                }
            }
        }
        if let Some(declared) = declared_len
            && declared != received
        {
            return Err(body_error("LengthMismatch".into()));
        }
        let _ = tx.send(Msg::Done).await;
        Ok(())
    }
    .await;
    drop(tx);
    let written = writer.await.map_err(|e| internal("blob writer task", e))?;
    feed?;
    written
}

fn spawn_writer(
    store: Store,
    spec: WriteSpec,
    mut rx: mpsc::Receiver<Msg>,
) -> tokio::task::JoinHandle<S3Result<WrittenBlob>> {
    tokio::task::spawn_blocking(move || {
        let mut sink = BodySink::new(&store, &spec)?;
        while let Some(msg) = rx.blocking_recv() {
            match msg {
                Msg::Data(chunk) => sink.write(&chunk)?,
                Msg::Done => return sink.finish(),
            }
        }
        // The body failed: dropping the sink discards the partial file.
        Err(S3Error::with_message(
            S3ErrorCode::IncompleteBody,
            "The request body ended early.",
        ))
    })
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
fn read_plain(
    file: &mut std::fs::File,
    layout: Option<&Layout>,
    start: u64,
    len: u64,
    mut sink: impl FnMut(Vec<u8>) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    let Some(layout) = layout else {
        file.seek(SeekFrom::Start(start))?;
        let mut left = len;
        while left > 0 {
            let want = READ_CHUNK.min(usize::try_from(left).unwrap_or(usize::MAX));
            let mut buf = vec![0u8; want];
            let n = loop {
                match file.read(&mut buf) {
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
            sink(buf)?;
        }
        return Ok(());
    };
    let sizes: Vec<u64> = layout.segments.iter().map(|(size, _)| *size).collect();
    let mut key: Option<(usize, SegmentKey)> = None;
    let mut position: Option<u64> = None;
    for chunk in plan_range(&sizes, start, len) {
        if key.as_ref().is_none_or(|(segment, _)| *segment != chunk.segment) {
            let salt = &layout.segments[chunk.segment].1;
            key = Some((chunk.segment, SegmentKey::derive(&layout.base, salt)));
        }
        if position != Some(chunk.offset) {
            file.seek(SeekFrom::Start(chunk.offset))?;
        }
        let mut buf = vec![0u8; chunk.sealed];
        file.read_exact(&mut buf)?;
        position = Some(chunk.offset + chunk.sealed as u64);
        if let Some((_, k)) = &key {
            k.open(chunk.index, chunk.last, &mut buf)
                .map_err(|e| ReadError::Failed(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        }
        buf.truncate(chunk.skip + chunk.take);
        buf.drain(..chunk.skip);
        sink(buf)?;
    }
    Ok(())
}

/// Copies plaintext `[start, start + len)` of a stored body into a new blob written as `spec`
/// says (CopyObject, UploadPartCopy: the destination may be encrypted differently).
pub async fn transcode(
    store: &Store,
    mut file: std::fs::File,
    layout: Option<Layout>,
    start: u64,
    len: u64,
    spec: WriteSpec,
) -> S3Result<WrittenBlob> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut sink = BodySink::new(&store, &spec)?;
        let mut failure: Option<S3Error> = None;
        let read = read_plain(&mut file, layout.as_ref(), start, len, |piece| {
            sink.write(&piece).map_err(|e| {
                failure = Some(e);
                ReadError::Closed
            })
        });
        match read {
            Ok(()) => sink.finish(),
            Err(ReadError::Closed) => Err(failure.unwrap_or_else(|| internal("copying", "stopped"))),
            Err(ReadError::Failed(e)) => Err(internal("reading the copy source", e)),
        }
    })
    .await
    .map_err(|e| internal("blob copy task", e))?
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
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    remaining: u64,
}

impl BlobStream {
    pub fn new(mut file: std::fs::File, layout: Option<Layout>, start: u64, len: u64) -> BlobStream {
        let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
        tokio::task::spawn_blocking(move || {
            let result = read_plain(&mut file, layout.as_ref(), start, len, |piece| {
                // A closed channel means the client went away: stop reading.
                tx.blocking_send(Ok(Bytes::from(piece)))
                    .map_err(|_| ReadError::Closed)
            });
            if let Err(ReadError::Failed(e)) = result {
                tracing::error!("reading an object body failed: {e}");
                let _ = tx.blocking_send(Err(e));
            }
        });
        BlobStream { rx, remaining: len }
    }

    pub fn into_blob(self) -> StreamingBlob {
        StreamingBlob::new(self)
    }
}

impl Stream for BlobStream {
    type Item = Result<Bytes, StdError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.rx.poll_recv(cx) {
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
