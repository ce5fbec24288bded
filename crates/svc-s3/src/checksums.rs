//! S3 additional checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256): streaming hashers, the
//! multipart combinations, and what a request asks for.
//!
//! A multipart object's checksum is either *composite* (the algorithm over the concatenated
//! binary part checksums, shown as `<base64>-<part count>`) or *full object* (the CRC of the
//! whole body, which CRCs allow computing from the parts' CRCs and sizes alone, so completing
//! an upload never re-reads the parts).

use base64::Engine;
use s3s::crypto::{Checksum as _, Crc32, Crc32c, Crc64Nvme, Sha1, Sha256};
use s3s::{S3Error, S3ErrorCode, S3Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

pub const ALL: [Algorithm; 5] = [
    Algorithm::Crc32,
    Algorithm::Crc32c,
    Algorithm::Crc64Nvme,
    Algorithm::Sha1,
    Algorithm::Sha256,
];

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    pub fn parse(name: &str) -> Option<Algorithm> {
        ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// `x-amz-checksum-<name>`.
    pub fn header(self) -> String {
        format!("x-amz-checksum-{}", self.name().to_ascii_lowercase())
    }

    pub fn raw_len(self) -> usize {
        match self {
            Algorithm::Crc32 | Algorithm::Crc32c => 4,
            Algorithm::Crc64Nvme => 8,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
        }
    }

    /// CRCs combine; SHA digests only compose.
    pub fn supports_full_object(self) -> bool {
        matches!(self, Algorithm::Crc32 | Algorithm::Crc32c | Algorithm::Crc64Nvme)
    }

    /// The reflected polynomial of a CRC (for [`crc_combine`]).
    fn crc_poly(self) -> Option<(u64, usize)> {
        match self {
            Algorithm::Crc32 => Some((0xEDB8_8320, 32)),
            Algorithm::Crc32c => Some((0x82F6_3B78, 32)),
            Algorithm::Crc64Nvme => Some((0x9A6C_9329_AC4B_C9B5, 64)),
            _ => None,
        }
    }
}

pub fn b64(raw: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(raw)
}

pub fn unb64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

pub enum Hasher {
    Crc32(Crc32),
    Crc32c(Crc32c),
    Crc64Nvme(Crc64Nvme),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Crc32 => Hasher::Crc32(Crc32::new()),
            Algorithm::Crc32c => Hasher::Crc32c(Crc32c::new()),
            Algorithm::Crc64Nvme => Hasher::Crc64Nvme(Crc64Nvme::new()),
            Algorithm::Sha1 => Hasher::Sha1(Sha1::new()),
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Crc32(h) => h.update(data),
            Hasher::Crc32c(h) => h.update(data),
            Hasher::Crc64Nvme(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Crc32(h) => h.finalize().to_vec(),
            Hasher::Crc32c(h) => h.finalize().to_vec(),
            Hasher::Crc64Nvme(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().as_ref().to_vec(),
            Hasher::Sha256(h) => h.finalize().as_ref().to_vec(),
        }
    }
}

pub fn digest(algorithm: Algorithm, data: &[u8]) -> Vec<u8> {
    let mut h = Hasher::new(algorithm);
    h.update(data);
    h.finish()
}

fn gf2_times(mat: &[u64], mut vec: u64) -> u64 {
    let mut sum = 0;
    let mut i = 0;
    while vec != 0 {
        if vec & 1 != 0 {
            sum ^= mat[i];
        }
        vec >>= 1;
        i += 1;
    }
    sum
}

fn gf2_square(square: &mut [u64], mat: &[u64]) {
    for n in 0..mat.len() {
        square[n] = gf2_times(mat, mat[n]);
    }
}

/// CRC of `A || B` from `crc(A)`, `crc(B)` and `len(B)` (reflected CRCs with all-ones init
/// and final xor): applies `len(B)` zero bytes to `crc(A)` by repeated squaring of the shift
/// operator over GF(2), then xors in `crc(B)`.
fn crc_combine(poly: u64, bits: usize, mut crc1: u64, crc2: u64, mut len2: u64) -> u64 {
    if len2 == 0 {
        return crc1;
    }
    let mut odd = vec![0u64; bits];
    let mut even = vec![0u64; bits];
    odd[0] = poly;
    let mut row = 1u64;
    for slot in odd.iter_mut().skip(1) {
        *slot = row;
        row <<= 1;
    }
    gf2_square(&mut even, &odd);
    gf2_square(&mut odd, &even);
    loop {
        gf2_square(&mut even, &odd);
        if len2 & 1 != 0 {
            crc1 = gf2_times(&even, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
        gf2_square(&mut odd, &even);
        if len2 & 1 != 0 {
            crc1 = gf2_times(&odd, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
    }
    crc1 ^ crc2
}

fn crc_value(raw: &[u8]) -> u64 {
    raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// The full-object CRC of parts given as (raw CRC, size); `None` for SHA algorithms.
pub fn full_object(algorithm: Algorithm, parts: &[(Vec<u8>, u64)]) -> Option<Vec<u8>> {
    let (poly, bits) = algorithm.crc_poly()?;
    let mut acc: Option<u64> = None;
    for (raw, size) in parts {
        let crc = crc_value(raw);
        acc = Some(match acc {
            None => crc,
            Some(a) => crc_combine(poly, bits, a, crc, *size),
        });
    }
    let value = match acc {
        Some(v) => v,
        None => crc_value(&digest(algorithm, b"")),
    };
    Some(value.to_be_bytes()[8 - bits / 8..].to_vec())
}

/// The composite checksum: the algorithm over the concatenated raw part checksums, `-<n>`.
pub fn composite(algorithm: Algorithm, parts: &[Vec<u8>]) -> String {
    let mut h = Hasher::new(algorithm);
    for raw in parts {
        h.update(raw);
    }
    format!("{}-{}", b64(&h.finish()), parts.len())
}

/// What a write request says about its checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    pub algorithm: Algorithm,
    pub expected: Expected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// No value given: S3 computes and stores it.
    Nothing,
    /// `x-amz-checksum-*` header (base64).
    Header(String),
    /// Named in `x-amz-trailer`: comes after the body.
    Trailer,
}

fn invalid_request(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, message.into())
}

/// Reads the checksum headers of a write: `given` is each algorithm's `x-amz-checksum-*`
/// value, `sdk` the `x-amz-sdk-checksum-algorithm`, `trailer` the `x-amz-trailer` header.
/// Without any, `default` (S3 adds CRC64NVME to objects uploaded without a checksum).
pub fn requested(
    given: &[(Algorithm, Option<&str>)],
    sdk: Option<&str>,
    trailer: Option<&str>,
    default: Option<Algorithm>,
) -> S3Result<Option<Requested>> {
    let headers: Vec<(Algorithm, &str)> =
        given.iter().filter_map(|(a, v)| v.map(|v| (*a, v))).collect();
    if headers.len() > 1 {
        return Err(invalid_request(
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        ));
    }
    let sdk = match sdk {
        None => None,
        Some(name) => Some(Algorithm::parse(name).ok_or_else(|| {
            invalid_request("Value for x-amz-sdk-checksum-algorithm header is invalid.")
        })?),
    };
    let trailer = match trailer.map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(name) => Some(
            ALL.into_iter()
                .find(|a| a.header().eq_ignore_ascii_case(name))
                .ok_or_else(|| invalid_request("The value specified in the x-amz-trailer header is not supported"))?,
        ),
    };
    let found = match (headers.first(), trailer) {
        (Some(_), Some(_)) => {
            return Err(invalid_request(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            ));
        }
        (Some((a, v)), None) => {
            let raw = unb64(v).filter(|r| r.len() == a.raw_len()).ok_or_else(|| {
                invalid_request(format!("Value for {} header is invalid.", a.header()))
            })?;
            let _ = raw;
            Some(Requested {
                algorithm: *a,
                expected: Expected::Header((*v).to_owned()),
            })
        }
        (None, Some(a)) => Some(Requested {
            algorithm: a,
            expected: Expected::Trailer,
        }),
        (None, None) => None,
    };
    match (found, sdk) {
        (Some(f), Some(s)) if f.algorithm != s => Err(S3Error::with_message(
            S3ErrorCode::BadDigest,
            format!(
                "The {} you specified did not match the calculated checksum.",
                s.name()
            ),
        )),
        (Some(f), _) => Ok(Some(f)),
        (None, Some(_)) => Err(invalid_request(
            "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.",
        )),
        (None, None) => Ok(default.map(|algorithm| Requested {
            algorithm,
            expected: Expected::Nothing,
        })),
    }
}

/// `BadDigest` for a checksum that does not match the body.
pub fn mismatch(algorithm: Algorithm) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::BadDigest,
        format!(
            "The {} you specified did not match the calculated checksum.",
            algorithm.name()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_object_crcs_combine_like_the_whole_body() {
        let body: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 253) as u8).collect();
        for algorithm in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
            let parts: Vec<(Vec<u8>, u64)> = [&body[..40_000], &body[40_000..40_001], &body[40_001..]]
                .iter()
                .map(|p| (digest(algorithm, p), p.len() as u64))
                .collect();
            assert_eq!(
                full_object(algorithm, &parts).unwrap(),
                digest(algorithm, &body),
                "{algorithm:?}"
            );
        }
        assert_eq!(full_object(Algorithm::Sha256, &[]), None);
    }

    #[test]
    fn composite_is_the_hash_of_part_hashes_with_the_count() {
        let parts = vec![digest(Algorithm::Sha256, b"a"), digest(Algorithm::Sha256, b"b")];
        let joined = [parts[0].clone(), parts[1].clone()].concat();
        assert_eq!(
            composite(Algorithm::Sha256, &parts),
            format!("{}-2", b64(&digest(Algorithm::Sha256, &joined)))
        );
    }

    #[test]
    fn request_headers_are_checked() {
        let crc = b64(&digest(Algorithm::Crc32, b"x"));
        let ok = requested(&[(Algorithm::Crc32, Some(&crc))], Some("crc32"), None, None).unwrap();
        assert_eq!(ok.unwrap().expected, Expected::Header(crc.clone()));
        let two = requested(
            &[(Algorithm::Crc32, Some(&crc)), (Algorithm::Sha1, Some("x"))],
            None,
            None,
            None,
        );
        assert_eq!(two.unwrap_err().code(), &S3ErrorCode::InvalidRequest);
        let bad = requested(&[(Algorithm::Sha256, Some(&crc))], None, None, None);
        assert_eq!(bad.unwrap_err().code(), &S3ErrorCode::InvalidRequest);
        let sdk_only = requested(&[], Some("SHA1"), None, None);
        assert_eq!(sdk_only.unwrap_err().code(), &S3ErrorCode::InvalidRequest);
        let trailer = requested(&[], Some("CRC32C"), Some("x-amz-checksum-crc32c"), None).unwrap();
        assert_eq!(trailer.unwrap().expected, Expected::Trailer);
        let default = requested(&[], None, None, Some(Algorithm::Crc64Nvme)).unwrap().unwrap();
        assert_eq!((default.algorithm, default.expected), (Algorithm::Crc64Nvme, Expected::Nothing));
    }
}
