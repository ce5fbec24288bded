//! Checksums on the wire: what a write asks for, checking the body against it (header or
//! aws-chunked trailer), and the checksum fields of responses.

use s3s::S3Result;

use crate::checksums::{self, Algorithm, Expected, Requested, b64};
use crate::chunked::ChunkTrailers;
use crate::io::WrittenBlob;
use crate::records::ObjectChecksum;

/// The `x-amz-checksum-*` values of an input, by algorithm.
macro_rules! given_checksums {
    ($input:expr) => {
        [
            (
                $crate::checksums::Algorithm::Crc32,
                $input.checksum_crc32.as_deref(),
            ),
            (
                $crate::checksums::Algorithm::Crc32c,
                $input.checksum_crc32c.as_deref(),
            ),
            (
                $crate::checksums::Algorithm::Crc64Nvme,
                $input.checksum_crc64nvme.as_deref(),
            ),
            (
                $crate::checksums::Algorithm::Sha1,
                $input.checksum_sha1.as_deref(),
            ),
            (
                $crate::checksums::Algorithm::Sha256,
                $input.checksum_sha256.as_deref(),
            ),
        ]
    };
}
pub(super) use given_checksums;

/// Sets an output's `checksum_<algorithm>` field to `value`.
macro_rules! set_checksum {
    ($out:expr, $algorithm:expr, $value:expr) => {{
        let value: Option<String> = $value;
        match $algorithm {
            $crate::checksums::Algorithm::Crc32 => $out.checksum_crc32 = value,
            $crate::checksums::Algorithm::Crc32c => $out.checksum_crc32c = value,
            $crate::checksums::Algorithm::Crc64Nvme => $out.checksum_crc64nvme = value,
            $crate::checksums::Algorithm::Sha1 => $out.checksum_sha1 = value,
            $crate::checksums::Algorithm::Sha256 => $out.checksum_sha256 = value,
        }
    }};
}
pub(super) use set_checksum;

/// Sets an output's checksum and `checksum_type` from a stored object checksum.
macro_rules! set_object_checksum {
    ($out:expr, $checksum:expr) => {{
        if let Some(c) = $checksum {
            $crate::backend::integrity::set_checksum!($out, c.algorithm, Some(c.value.clone()));
            $out.checksum_type = Some($crate::backend::integrity::checksum_type(c.full_object));
        }
    }};
}
pub(super) use set_object_checksum;

pub(super) fn checksum_type(full_object: bool) -> s3s::dto::ChecksumType {
    s3s::dto::ChecksumType::from(if full_object { "FULL_OBJECT" } else { "COMPOSITE" }.to_owned())
}

/// Where aws-chunked trailers of this request can be read once the body is consumed.
pub(super) struct Trailers {
    declared: Option<String>,
    /// `x-amz-sdk-checksum-algorithm` (s3s reads `x-amz-checksum-algorithm` into the input's
    /// `checksum_algorithm`, not this header).
    sdk: Option<String>,
    s3s: Option<s3s::TrailingHeaders>,
    decoded: Option<ChunkTrailers>,
}

impl Trailers {
    pub fn of<T>(req: &s3s::S3Request<T>) -> Trailers {
        let decoded = req.extensions.get::<ChunkTrailers>().cloned();
        let declared = req
            .headers
            .get("x-amz-trailer")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| decoded.as_ref().and_then(|d| d.declared.clone()));
        let sdk = req
            .headers
            .get("x-amz-sdk-checksum-algorithm")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Trailers {
            declared,
            sdk,
            s3s: req.trailing_headers.clone(),
            decoded,
        }
    }

    pub fn declared(&self) -> Option<&str> {
        self.declared.as_deref()
    }

    /// The algorithm the SDK says it used: `x-amz-sdk-checksum-algorithm`, else the input's.
    pub fn sdk_algorithm<'a>(&'a self, input: Option<&'a s3s::dto::ChecksumAlgorithm>) -> Option<&'a str> {
        self.sdk.as_deref().or(input.map(|a| a.as_str()))
    }

    fn value(&self, name: &str) -> Option<String> {
        if let Some(t) = &self.s3s
            && let Some(v) = t.read(|h| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)).flatten()
        {
            return Some(v);
        }
        self.decoded.as_ref().and_then(|d| d.get(name))
    }
}

/// Checks the written body against the requested checksum; returns the base64 value to store.
pub(super) fn verify(
    requested: Option<&Requested>,
    written: &WrittenBlob,
    trailers: &Trailers,
) -> S3Result<Option<(Algorithm, String)>> {
    let (Some(requested), Some(computed)) = (requested, written.checksum.as_ref()) else {
        return Ok(None);
    };
    let computed = b64(computed);
    let expected = match &requested.expected {
        Expected::Nothing => None,
        Expected::Header(v) => Some(v.clone()),
        Expected::Trailer => {
            let name = requested.algorithm.header();
            let value = trailers.value(&name).ok_or_else(|| {
                s3s::S3Error::with_message(
                    s3s::S3ErrorCode::InvalidRequest,
                    format!("The {name} trailer was declared but not sent."),
                )
            })?;
            if checksums::unb64(&value).is_none_or(|r| r.len() != requested.algorithm.raw_len()) {
                return Err(s3s::S3Error::with_message(
                    s3s::S3ErrorCode::InvalidRequest,
                    format!("Value for {name} trailing header is invalid."),
                ));
            }
            Some(value)
        }
    };
    if expected.is_some_and(|e| e != computed) {
        return Err(checksums::mismatch(requested.algorithm));
    }
    Ok(Some((requested.algorithm, computed)))
}

/// A single-part object's stored checksum.
pub(super) fn object_checksum(verified: Option<(Algorithm, String)>) -> Option<ObjectChecksum> {
    verified.map(|(algorithm, value)| ObjectChecksum {
        algorithm,
        full_object: true,
        value,
    })
}
