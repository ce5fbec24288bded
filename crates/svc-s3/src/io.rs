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
use nimbus_store::{BlobId, Store, StoreError};
use s3s::dto::StreamingBlob;
use s3s::stream::{ByteStream, RemainingLength};
use s3s::{S3Error, S3ErrorCode, S3Result, StdError};
use tokio::sync::mpsc;

/// Chunks in flight between the HTTP side and the file side.
const CHANNEL_DEPTH: usize = 8;
/// Read size for streaming a blob out.
const READ_CHUNK: usize = 256 * 1024;

/// A blob just written, with what S3 needs to know about it.
#[derive(Debug, Clone)]
pub struct WrittenBlob {
    pub id: BlobId,
    pub size: u64,
    pub md5: [u8; 16],
}

impl WrittenBlob {
    pub fn md5_hex(&self) -> String {
        hex::encode(self.md5)
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

/// Streams `body` into a new blob, computing its MD5 on the way.
pub async fn write_body(
    store: &Store,
    body: Option<StreamingBlob>,
    declared_len: Option<u64>,
) -> S3Result<WrittenBlob> {
    let (tx, rx) = mpsc::channel::<Msg>(CHANNEL_DEPTH);
    let writer = spawn_writer(store.clone(), rx);
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
    mut rx: mpsc::Receiver<Msg>,
) -> tokio::task::JoinHandle<S3Result<WrittenBlob>> {
    tokio::task::spawn_blocking(move || {
        let mut writer = store.blobs().writer().map_err(store_error)?;
        let mut md5 = Md5::new();
        while let Some(msg) = rx.blocking_recv() {
            match msg {
                Msg::Data(chunk) => {
                    md5.update(&chunk);
                    writer
                        .write_all(&chunk)
                        .map_err(|e| internal("writing blob", e))?;
                }
                Msg::Done => {
                    let size = writer.len();
                    let id = writer.finish().map_err(store_error)?;
                    return Ok(WrittenBlob {
                        id,
                        size,
                        md5: md5.finalize().into(),
                    });
                }
            }
        }
        // The body failed: dropping the writer discards the partial file.
        Err(S3Error::with_message(
            S3ErrorCode::IncompleteBody,
            "The request body ended early.",
        ))
    })
}

/// One piece of a blob to copy into a new blob: `(blob, start, length)`.
pub type Slice = (BlobId, u64, u64);

/// Concatenates slices of existing blobs into a new blob (CopyObject, UploadPartCopy,
/// CompleteMultipartUpload), on the blocking pool, never loading a whole blob.
pub async fn concat(store: &Store, slices: Vec<Slice>) -> S3Result<WrittenBlob> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut writer = store.blobs().writer().map_err(store_error)?;
        let mut md5 = Md5::new();
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
                md5.update(&buf[..n]);
                writer
                    .write_all(&buf[..n])
                    .map_err(|e| internal("writing blob", e))?;
                left -= n as u64;
            }
        }
        let size = writer.len();
        let id = writer.finish().map_err(store_error)?;
        Ok(WrittenBlob {
            id,
            size,
            md5: md5.finalize().into(),
        })
    })
    .await
    .map_err(|e| internal("blob copy task", e))?
}

/// A response body reading `len` bytes of an already opened blob file from `start`.
pub struct BlobStream {
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    remaining: u64,
}

impl BlobStream {
    pub fn new(mut file: std::fs::File, start: u64, len: u64) -> BlobStream {
        let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
        tokio::task::spawn_blocking(move || {
            if let Err(e) = file.seek(SeekFrom::Start(start)) {
                let _ = tx.blocking_send(Err(e));
                return;
            }
            let mut left = len;
            while left > 0 {
                let want = READ_CHUNK.min(usize::try_from(left).unwrap_or(usize::MAX));
                let mut buf = vec![0u8; want];
                match file.read(&mut buf) {
                    Ok(0) => {
                        let _ = tx.blocking_send(Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "blob shorter than recorded",
                        )));
                        return;
                    }
                    Ok(n) => {
                        buf.truncate(n);
                        left -= n as u64;
                        // A closed channel means the client went away: stop reading.
                        if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
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
