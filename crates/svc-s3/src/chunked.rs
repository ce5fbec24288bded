//! Decoding of `aws-chunked` request bodies whose signature the front removed (unknown keys in
//! the default mode): s3s only decodes them while verifying chunk signatures, which needs the
//! secret we do not have. Framing, per chunk: `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n`;
//! a zero-size chunk ends the data, then optional trailer lines and an empty line.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use futures::Stream;
use s3s::stream::{ByteStream, DynByteStream, RemainingLength};
use s3s::{S3Error, S3ErrorCode, StdError};

/// A chunk header or trailer line longer than this is malformed.
const MAX_LINE: usize = 8 * 1024;

/// The trailers of a decoded aws-chunked body (request extension): the `x-amz-trailer` header
/// as sent, and the trailer lines once the body has been read to its end.
#[derive(Clone, Default)]
pub struct ChunkTrailers {
    pub declared: Option<String>,
    pub received: Arc<Mutex<Option<http::HeaderMap>>>,
}

impl ChunkTrailers {
    /// A received trailer's value.
    pub fn get(&self, name: &str) -> Option<String> {
        let guard = self.received.lock().unwrap_or_else(PoisonError::into_inner);
        guard
            .as_ref()?
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// Replaces the request's body by its decoded form and fixes the length headers.
pub fn decode_request(req: &mut http::Request<s3s::Body>) -> Result<(), S3Error> {
    let decoded_len = req
        .headers()
        .get("x-amz-decoded-content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::MissingContentLength,
                "You must provide the Content-Length HTTP header.",
            )
        })?;
    let body = std::mem::take(req.body_mut());
    let trailers = ChunkTrailers {
        declared: req
            .headers()
            .get("x-amz-trailer")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        received: Arc::default(),
    };
    let stream: DynByteStream = Box::pin(ChunkDecoder {
        inner: body,
        buf: BytesMut::new(),
        state: State::Header,
        remaining: decoded_len,
        trailers: trailers.received.clone(),
        trailer_lines: http::HeaderMap::new(),
    });
    req.extensions_mut().insert(trailers);
    *req.body_mut() = s3s::Body::from(stream);
    let headers = req.headers_mut();
    headers.insert(
        http::header::CONTENT_LENGTH,
        http::HeaderValue::from(decoded_len),
    );
    headers.remove("x-amz-decoded-content-length");
    headers.remove("x-amz-content-sha256");
    headers.remove("x-amz-trailer");
    // Content-Encoding minus the `aws-chunked` token.
    if let Some(encoding) = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
    {
        let rest: Vec<&str> = encoding
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
            .collect();
        if rest.is_empty() {
            headers.remove(http::header::CONTENT_ENCODING);
        } else if let Ok(value) = http::HeaderValue::from_str(&rest.join(", ")) {
            headers.insert(http::header::CONTENT_ENCODING, value);
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

struct ChunkDecoder {
    inner: s3s::Body,
    buf: BytesMut,
    state: State,
    /// Decoded bytes still expected (for `remaining_length`).
    remaining: u64,
    /// Where the trailers go once the body ends.
    trailers: Arc<Mutex<Option<http::HeaderMap>>>,
    trailer_lines: http::HeaderMap,
}

fn malformed() -> StdError {
    Box::new(S3Error::with_message(
        S3ErrorCode::IncompleteBody,
        "The aws-chunked body is malformed.",
    ))
}

fn take_line(buf: &mut BytesMut) -> Option<Result<Bytes, StdError>> {
    match buf.windows(2).position(|w| w == b"\r\n") {
        Some(pos) => {
            let line = buf.split_to(pos).freeze();
            buf.advance(2);
            Some(Ok(line))
        }
        None if buf.len() > MAX_LINE => Some(Err(malformed())),
        None => None,
    }
}

impl ChunkDecoder {
    /// Progress without reading more input: `Some(item)` to yield, `None` when input is needed.
    fn step(&mut self) -> Option<Option<Result<Bytes, StdError>>> {
        loop {
            match self.state {
                State::Header => {
                    let line = match take_line(&mut self.buf)? {
                        Ok(line) => line,
                        Err(e) => return Some(Some(Err(e))),
                    };
                    let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
                    let size = std::str::from_utf8(size_text)
                        .ok()
                        .and_then(|s| u64::from_str_radix(s.trim(), 16).ok());
                    match size {
                        Some(0) => self.state = State::Trailers,
                        Some(n) => self.state = State::Data(n),
                        None => return Some(Some(Err(malformed()))),
                    }
                }
                State::Data(left) => {
                    if self.buf.is_empty() {
                        return None;
                    }
                    let n = usize::try_from(left)
                        .unwrap_or(usize::MAX)
                        .min(self.buf.len());
                    let chunk = self.buf.split_to(n).freeze();
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                    self.remaining = self.remaining.saturating_sub(n as u64);
                    return Some(Some(Ok(chunk)));
                }
                State::DataEnd => {
                    if self.buf.len() < 2 {
                        return None;
                    }
                    if &self.buf[..2] != b"\r\n" {
                        return Some(Some(Err(malformed())));
                    }
                    self.buf.advance(2);
                    self.state = State::Header;
                }
                State::Trailers => match take_line(&mut self.buf)? {
                    Ok(line) if line.is_empty() => {
                        self.publish_trailers();
                        self.state = State::Done;
                    }
                    Ok(trailer) => self.note_trailer(&trailer),
                    Err(e) => return Some(Some(Err(e))),
                },
                State::Done => return Some(None),
            }
        }
    }
}

impl ChunkDecoder {
    fn note_trailer(&mut self, line: &[u8]) {
        let Some((name, value)) = std::str::from_utf8(line).ok().and_then(|l| l.split_once(':')) else {
            return;
        };
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.trim().as_bytes()),
            http::HeaderValue::from_str(value.trim()),
        ) {
            self.trailer_lines.insert(name, value);
        }
    }

    fn publish_trailers(&mut self) {
        let lines = std::mem::take(&mut self.trailer_lines);
        *self.trailers.lock().unwrap_or_else(PoisonError::into_inner) = Some(lines);
    }
}

impl Stream for ChunkDecoder {
    type Item = Result<Bytes, StdError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.step() {
                return Poll::Ready(item);
            }
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(bytes))) => self.buf.extend_from_slice(&bytes),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => {
                    // Some clients omit the final empty line after the trailers.
                    return Poll::Ready(match self.state {
                        State::Trailers => {
                            self.publish_trailers();
                            None
                        }
                        State::Done => None,
                        _ => Some(Err(malformed())),
                    });
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl ByteStream for ChunkDecoder {
    fn remaining_length(&self) -> RemainingLength {
        RemainingLength::new_exact(usize::try_from(self.remaining).unwrap_or(usize::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    async fn decode(wire: &'static [u8], pieces: usize) -> Result<Vec<u8>, String> {
        let chunks: Vec<Bytes> = wire
            .chunks(wire.len().div_ceil(pieces))
            .map(Bytes::from_static)
            .collect();
        let items: Vec<Result<Bytes, std::io::Error>> = chunks.into_iter().map(Ok).collect();
        let body = s3s::Body::from(s3s::dto::StreamingBlob::wrap(futures::stream::iter(items)));
        let mut decoder = ChunkDecoder {
            inner: body,
            buf: BytesMut::new(),
            state: State::Header,
            remaining: 0,
            trailers: Arc::default(),
            trailer_lines: http::HeaderMap::new(),
        };
        let mut out = Vec::new();
        while let Some(item) = decoder.next().await {
            out.extend_from_slice(&item.map_err(|e| e.to_string())?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn decodes_signed_and_unsigned_framing_in_any_split() {
        let signed: &[u8] = b"5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=0\r\n\r\n";
        let trailer: &[u8] = b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
        for pieces in [1, 2, 3, 7, 40] {
            assert_eq!(decode(signed, pieces).await.unwrap(), b"hello world");
            assert_eq!(decode(trailer, pieces).await.unwrap(), b"abc");
        }
        assert!(decode(b"5\r\nhel", 1).await.is_err());
        assert!(decode(b"zz\r\n", 1).await.is_err());
    }
}
