//! Chunked AES-256-GCM for object bodies at rest.
//!
//! A stored body is one or more *segments* laid end to end: a PutObject or a copy writes one,
//! CompleteMultipartUpload concatenates the parts' segments byte for byte (so it needs no key,
//! which matters for SSE-C, whose key Nimbus never keeps). Each segment has its own random
//! 16-byte salt and is encrypted under `HMAC-SHA256(base key, label || salt)`: the base key is
//! the object's data key (SSE-S3, SSE-KMS) or the customer's key (SSE-C), so even a customer
//! key used for many objects never encrypts two segments under one AES key, and a chunk's
//! nonce can simply be its index.
//!
//! A segment's plaintext is cut into [`CHUNK`]-byte chunks (the last one shorter, and a single
//! empty chunk for an empty segment), each sealed separately with its index in the nonce and
//! `index || final flag` as AAD: chunks cannot be reordered, dropped or moved between
//! segments or objects, and a segment cut short after a chunk boundary fails because its new
//! last chunk is not marked final. Range reads decrypt only the chunks they overlap.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
/// GCM tag appended to every chunk.
pub const TAG: usize = 16;
pub const SALT_LEN: usize = 16;
pub const KEY_LEN: usize = 32;
/// Domain separation of the segment-key derivation.
const SEGMENT_LABEL: &[u8] = b"nimbus-s3-segment-key-v1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoError(pub &'static str);

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for CryptoError {}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    aws_lc_rs::rand::fill(&mut out).expect("the system random source failed");
    out
}

/// The AES key of one segment.
pub struct SegmentKey(LessSafeKey);

impl SegmentKey {
    pub fn derive(base: &[u8; KEY_LEN], salt: &[u8; SALT_LEN]) -> SegmentKey {
        let mac_key = hmac::Key::new(hmac::HMAC_SHA256, base);
        let mut ctx = hmac::Context::with_key(&mac_key);
        ctx.update(SEGMENT_LABEL);
        ctx.update(salt);
        let derived = ctx.sign();
        let unbound = UnboundKey::new(&AES_256_GCM, derived.as_ref()).expect("32-byte AES key");
        SegmentKey(LessSafeKey::new(unbound))
    }

    fn nonce(index: u64) -> Nonce {
        let mut n = [0u8; NONCE_LEN];
        n[NONCE_LEN - 8..].copy_from_slice(&index.to_be_bytes());
        Nonce::assume_unique_for_key(n)
    }

    fn aad(index: u64, last: bool) -> [u8; 9] {
        let mut a = [0u8; 9];
        a[..8].copy_from_slice(&index.to_be_bytes());
        a[8] = u8::from(last);
        a
    }

    /// Seals chunk `index` in place (appends the tag).
    pub fn seal(&self, index: u64, last: bool, buf: &mut Vec<u8>) {
        self.0
            .seal_in_place_append_tag(Self::nonce(index), Aad::from(Self::aad(index, last)), buf)
            .expect("AES-GCM sealing cannot fail for chunk-sized input");
    }

    /// Opens chunk `index` held in `sealed` (ciphertext + tag) in place; returns the
    /// plaintext's length (the plaintext is `sealed[..len]`).
    pub fn open_slice(&self, index: u64, last: bool, sealed: &mut [u8]) -> Result<usize, CryptoError> {
        self.0
            .open_in_place(Self::nonce(index), Aad::from(Self::aad(index, last)), sealed)
            .map(|plain| plain.len())
            .map_err(|_| CryptoError("an encrypted chunk failed authentication"))
    }
}

/// Chunks of a segment of `plain` bytes (at least one).
pub fn chunk_count(plain: u64) -> u64 {
    plain.div_ceil(CHUNK as u64).max(1)
}

/// Stored size of a segment of `plain` bytes.
pub fn sealed_len(plain: u64) -> u64 {
    plain + TAG as u64 * chunk_count(plain)
}

/// Encrypts one segment as its plaintext streams in.
pub struct SegmentSealer {
    key: SegmentKey,
    index: u64,
    pending: Vec<u8>,
}

impl SegmentSealer {
    pub fn new(key: SegmentKey) -> SegmentSealer {
        SegmentSealer {
            key,
            index: 0,
            pending: Vec::with_capacity(CHUNK + TAG),
        }
    }

    /// Takes plaintext; calls `out` with each sealed chunk that is complete. A full chunk is
    /// held back until more data arrives, since only then is it known not to be the last.
    pub fn push<E>(
        &mut self,
        mut data: &[u8],
        out: &mut impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        while !data.is_empty() {
            if self.pending.len() == CHUNK {
                self.emit(false, out)?;
            }
            let take = (CHUNK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(())
    }

    /// Seals the last chunk (empty for an empty segment).
    pub fn finish<E>(mut self, out: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        self.emit(true, out)
    }

    fn emit<E>(&mut self, last: bool, out: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        self.key.seal(self.index, last, &mut self.pending);
        out(&self.pending)?;
        self.pending.clear();
        self.index += 1;
        Ok(())
    }
}

/// One chunk a plaintext range needs: where it is stored and which of its bytes to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRead {
    pub segment: usize,
    pub index: u64,
    pub last: bool,
    /// Offset of the sealed chunk in the stored body.
    pub offset: u64,
    /// Sealed length (plaintext + tag).
    pub sealed: usize,
    /// Plaintext bytes of the chunk to skip, then to keep.
    pub skip: usize,
    pub take: usize,
}

/// The chunks covering plaintext bytes `[start, start + len)` of a body made of segments of
/// the given plaintext sizes, in order.
pub fn plan_range(segments: &[u64], start: u64, len: u64) -> Vec<ChunkRead> {
    let mut plan = Vec::new();
    let end = start + len;
    let (mut plain_base, mut stored_base) = (0u64, 0u64);
    for (segment, &size) in segments.iter().enumerate() {
        let seg_end = plain_base + size;
        if len > 0 && seg_end > start && plain_base < end {
            let chunks = chunk_count(size);
            let first = (start.max(plain_base) - plain_base) / CHUNK as u64;
            for index in first..chunks {
                let chunk_start = plain_base + index * CHUNK as u64;
                if chunk_start >= end {
                    break;
                }
                let chunk_len = (size - index * CHUNK as u64).min(CHUNK as u64);
                let skip = start.saturating_sub(chunk_start);
                let take = (end.min(chunk_start + chunk_len) - chunk_start) - skip;
                plan.push(ChunkRead {
                    segment,
                    index,
                    last: index + 1 == chunks,
                    offset: stored_base + index * (CHUNK + TAG) as u64,
                    sealed: chunk_len as usize + TAG,
                    skip: skip as usize,
                    take: take as usize,
                });
            }
        }
        plain_base = seg_end;
        stored_base += sealed_len(size);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal_segment(base: &[u8; 32], salt: &[u8; 16], plain: &[u8], pieces: usize) -> Vec<u8> {
        let mut sealer = SegmentSealer::new(SegmentKey::derive(base, salt));
        let mut stored = Vec::new();
        let mut out = |c: &[u8]| -> Result<(), ()> {
            stored.extend_from_slice(c);
            Ok(())
        };
        for piece in plain.chunks(pieces.max(1)) {
            sealer.push(piece, &mut out).unwrap();
        }
        sealer.finish(&mut out).unwrap();
        stored
    }

    fn read(base: &[u8; 32], salts: &[[u8; 16]], sizes: &[u64], stored: &[u8], start: u64, len: u64) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::new();
        for c in plan_range(sizes, start, len) {
            let off = c.offset as usize;
            let mut buf = stored
                .get(off..off + c.sealed)
                .ok_or(CryptoError("short"))?
                .to_vec();
            SegmentKey::derive(base, &salts[c.segment]).open_slice(c.index, c.last, &mut buf)?;
            out.extend_from_slice(&buf[c.skip..c.skip + c.take]);
        }
        Ok(out)
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn sealed_sizes_and_round_trip_with_ranges_across_segments() {
        let base = [9u8; 32];
        let salts = [[1u8; 16], [2u8; 16], [3u8; 16]];
        let parts = [data(CHUNK * 2 + 100), data(CHUNK), data(0)];
        let mut stored = Vec::new();
        for (part, salt) in parts.iter().zip(&salts) {
            let s = seal_segment(&base, salt, part, 1000);
            assert_eq!(s.len() as u64, sealed_len(part.len() as u64));
            stored.extend(s);
        }
        let sizes: Vec<u64> = parts.iter().map(|p| p.len() as u64).collect();
        let whole: Vec<u8> = parts.concat();
        assert!(!stored.windows(64).any(|w| whole.windows(64).next() == Some(w)));
        let total = whole.len() as u64;
        for (start, len) in [(0, total), (5, 10), (CHUNK as u64 - 3, 6), (CHUNK as u64 * 2 + 90, 40), (total - 1, 1), (7, 0)] {
            let got = read(&base, &salts, &sizes, &stored, start, len).unwrap();
            assert_eq!(got, &whole[start as usize..(start + len) as usize], "range {start}+{len}");
        }
        // A one-byte range touches exactly one chunk.
        assert_eq!(plan_range(&sizes, CHUNK as u64 + 1, 1).len(), 1);
    }

    #[test]
    fn tampering_reordering_and_truncation_are_detected() {
        let base = [4u8; 32];
        let salt = [5u8; 16];
        let plain = data(CHUNK * 2);
        let stored = seal_segment(&base, &salt, &plain, CHUNK);
        let sizes = [plain.len() as u64];
        let mut flipped = stored.clone();
        flipped[10] ^= 1;
        assert!(read(&base, &[salt], &sizes, &flipped, 0, 20).is_err());
        // Swap the two chunks.
        let (a, b) = stored.split_at(CHUNK + TAG);
        let swapped = [b, a].concat();
        assert!(read(&base, &[salt], &sizes, &swapped, 0, sizes[0]).is_err());
        // Cut after the first chunk and claim that was all: its chunk is not marked final.
        assert!(read(&base, &[salt], &[CHUNK as u64], &stored[..CHUNK + TAG], 0, CHUNK as u64).is_err());
        // Another key or salt cannot open it.
        assert!(read(&[6u8; 32], &[salt], &sizes, &stored, 0, 1).is_err());
        assert!(read(&base, &[[0u8; 16]], &sizes, &stored, 0, 1).is_err());
        assert_eq!(read(&base, &[salt], &sizes, &stored, 0, sizes[0]).unwrap(), plain);
    }
}
