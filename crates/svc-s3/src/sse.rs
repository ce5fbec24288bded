//! Server-side encryption: what a request asks for (SSE-S3, SSE-KMS, SSE-C headers, with AWS's
//! checks and messages), the bucket default, and the key material of a body.
//!
//! Data keys of SSE-S3 objects are random per object (per upload for multipart) and stored
//! wrapped by the store's master key ([`MasterKeyKeyring`]). SSE-KMS objects use envelope
//! encryption through KMS when Nimbus has it ([`S3Kms`], the binary's `KeyManager`), as AWS
//! does: the object's data key comes from GenerateDataKey under the named key (or the
//! AWS-managed `alias/aws/s3`, created on first use), with the encryption context
//! `aws:s3:arn` = `arn:aws:s3:::bucket/key` (plus the request's own context), and only its KMS
//! ciphertext is stored, so reading needs the KMS key to be usable. With an S3 Bucket Key, a
//! bucket-level key from KMS (context: the bucket's ARN) is reused for a while to wrap each
//! object's own data key, so KMS's GenerateDataKey is not called per object. SSE-KMS objects
//! written before KMS was wired in (or by Nimbus without KMS) keep master-key wrapping.
//!
//! SSE-C keys are never stored: only a salted HMAC that recognises the key on later requests.
//! AWS refuses SSE-C over plain HTTP; Nimbus serves HTTP only and accepts it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::hmac;
use nimbus_core::{KeyManager, KmsCaller, ServiceError};
use nimbus_store::Store;
use s3s::dto::ServerSideEncryption;
use s3s::{S3Error, S3ErrorCode, S3Result};

use crate::checksums::{b64, unb64};
use crate::crypto::{KEY_LEN, SALT_LEN, random_bytes};
use crate::io::internal;
use crate::records::{BucketRecord, EncryptionConfig, ObjectEncryption, Sse, UploadEncryption};

pub const AES256: &str = "AES256";
pub const KMS: &str = "aws:kms";
pub const KMS_DSSE: &str = "aws:kms:dsse";
/// AAD of wrapped data keys. Not the record's identity: records move between the current and
/// noncurrent scopes and a multipart upload's key moves to its object, so the key must unwrap
/// wherever its record lives.
const DATA_KEY_AAD: &[u8] = b"nimbus-s3-object-data-key-v1";

fn invalid_argument(message: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message.to_owned())
}

fn invalid_request(message: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, message.to_owned())
}

pub fn needs_key_error() -> S3Error {
    invalid_request(
        "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
    )
}

pub fn not_applicable_error() -> S3Error {
    invalid_request("The encryption parameters are not applicable to this object.")
}

/// A customer-provided key, checked against its MD5.
#[derive(Clone)]
pub struct CustomerKey {
    pub key: [u8; KEY_LEN],
    /// `x-amz-server-side-encryption-customer-key-MD5`, echoed in responses.
    pub md5: String,
}

impl CustomerKey {
    /// The headers of a request (or their `copy-source-` forms); `None` if none is present.
    pub fn from_headers(
        algorithm: Option<&str>,
        key: Option<&str>,
        md5: Option<&str>,
    ) -> S3Result<Option<CustomerKey>> {
        if algorithm.is_none() && key.is_none() && md5.is_none() {
            return Ok(None);
        }
        let algorithm = algorithm.ok_or_else(|| {
            invalid_argument(
                "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
            )
        })?;
        if algorithm != AES256 {
            return Err(invalid_argument(
                "The encryption method specified is not supported",
            ));
        }
        let key = key.ok_or_else(|| {
            invalid_argument(
                "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
            )
        })?;
        let md5 = md5.ok_or_else(|| {
            invalid_argument(
                "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
            )
        })?;
        let raw: [u8; KEY_LEN] = unb64(key)
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| invalid_argument("The secret key was invalid for the specified algorithm."))?;
        use md5::{Digest, Md5};
        if unb64(md5).as_deref() != Some(Md5::digest(raw).as_slice()) {
            return Err(invalid_argument(
                "The calculated MD5 hash of the key did not match the hash that was provided.",
            ));
        }
        Ok(Some(CustomerKey {
            key: raw,
            md5: md5.to_owned(),
        }))
    }

    fn hmac_hex(&self, salt: &str) -> String {
        let mac = hmac::Key::new(hmac::HMAC_SHA256, salt.as_bytes());
        hex::encode(hmac::sign(&mac, &self.key).as_ref())
    }

    /// The record of this key for a new object.
    pub fn remembered(&self) -> Sse {
        let salt = hex::encode(random_bytes::<SALT_LEN>());
        Sse::Customer {
            key_hmac: self.hmac_hex(&salt),
            hmac_salt: salt,
        }
    }

    pub fn matches(&self, sse: &Sse) -> bool {
        match sse {
            Sse::Customer {
                key_hmac,
                hmac_salt,
            } => {
                let mine = self.hmac_hex(hmac_salt);
                aws_lc_rs::constant_time::verify_slices_are_equal(mine.as_bytes(), key_hmac.as_bytes())
                    .is_ok()
            }
            _ => false,
        }
    }
}

/// The encryption a write asks for, before the bucket default applies.
#[derive(Clone)]
pub enum Requested {
    Default,
    Managed { sse: Sse, bucket_key: bool },
    Customer(CustomerKey),
}

/// Checks `x-amz-server-side-encryption` (+ KMS key id, context, bucket key) against the
/// SSE-C headers, as S3 does.
pub fn requested(
    sse: Option<&ServerSideEncryption>,
    kms_key_id: Option<&str>,
    kms_context: Option<&str>,
    bucket_key: Option<bool>,
    customer: Option<CustomerKey>,
) -> S3Result<Requested> {
    if let Some(customer) = customer {
        if sse.is_some() {
            return Err(invalid_argument(
                "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
            ));
        }
        return Ok(Requested::Customer(customer));
    }
    let Some(sse) = sse else {
        if kms_key_id.is_some() {
            return Err(invalid_argument(
                "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
            ));
        }
        return Ok(Requested::Default);
    };
    let sse = match sse.as_str() {
        AES256 => {
            if kms_key_id.is_some() {
                return Err(invalid_argument(
                    "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                ));
            }
            Sse::S3
        }
        alg @ (KMS | KMS_DSSE) => {
            if let Some(context) = kms_context {
                parse_context(context)?;
            }
            Sse::Kms {
                key_id: kms_key_id.map(str::to_owned),
                context: kms_context.map(str::to_owned),
                dsse: alg == KMS_DSSE,
                key_arn: None,
                bucket_key_blob: None,
            }
        }
        _ => {
            return Err(invalid_argument(
                "The encryption method specified is not supported",
            ));
        }
    };
    Ok(Requested::Managed {
        sse,
        bucket_key: bucket_key.unwrap_or(false),
    })
}

/// Wraps and unwraps object data keys. The hook where KMS envelope encryption plugs in.
pub trait KmsKeyring {
    fn wrap(&self, data_key: &[u8; KEY_LEN]) -> S3Result<Vec<u8>>;
    fn unwrap(&self, wrapped: &[u8]) -> S3Result<[u8; KEY_LEN]>;
}

/// Data keys sealed by the data directory's master key (AES-256-GCM).
pub struct MasterKeyKeyring<'a>(pub &'a Store);

impl KmsKeyring for MasterKeyKeyring<'_> {
    fn wrap(&self, data_key: &[u8; KEY_LEN]) -> S3Result<Vec<u8>> {
        self.0
            .seal(data_key, DATA_KEY_AAD)
            .map_err(|e| internal("sealing a data key", e))
    }
    fn unwrap(&self, wrapped: &[u8]) -> S3Result<[u8; KEY_LEN]> {
        self.0
            .unseal(wrapped, DATA_KEY_AAD)
            .map_err(|e| internal("unsealing a data key", e))?
            .try_into()
            .map_err(|_| internal("unsealing a data key", "wrong length"))
    }
}

/// The AWS-managed key of SSE-KMS objects that name none.
pub const DEFAULT_KMS_KEY: &str = "alias/aws/s3";
/// How long one S3 Bucket Key is reused for new objects (Nimbus's clock).
const BUCKET_KEY_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// S3's way to KMS: the key manager, and the bucket keys currently in use.
pub struct S3Kms {
    keys: Arc<dyn KeyManager>,
    /// (bucket id, KMS key ARN) → the bucket key new objects are wrapped with.
    bucket_keys: Mutex<HashMap<(String, String), BucketKey>>,
}

struct BucketKey {
    plaintext: [u8; KEY_LEN],
    /// Its KMS ciphertext blob, stored with every object it wraps.
    blob: Vec<u8>,
    created_ms: i64,
}

impl S3Kms {
    pub fn new(keys: Arc<dyn KeyManager>) -> S3Kms {
        S3Kms { keys, bucket_keys: Mutex::default() }
    }
}

/// Where a data key belongs: the object it encrypts (its ARN is the KMS encryption context),
/// the bucket (whose account and region are the KMS caller's), and KMS if Nimbus has it.
pub struct KeyScope<'a> {
    pub store: &'a Store,
    pub kms: Option<&'a S3Kms>,
    pub bucket: &'a BucketRecord,
    pub key: &'a str,
    pub now_ms: i64,
}

impl KeyScope<'_> {
    fn caller(&self) -> KmsCaller<'_> {
        KmsCaller { account_id: &self.bucket.owner_account, region: &self.bucket.region }
    }

    fn bucket_arn(&self) -> String {
        format!("arn:aws:s3:::{}", self.bucket.name)
    }

    fn object_arn(&self) -> String {
        format!("arn:aws:s3:::{}/{}", self.bucket.name, self.key)
    }

    /// The encryption context of an object-level data key: the request's own pairs, and
    /// `aws:s3:arn`.
    fn object_context(&self, requested: Option<&str>) -> S3Result<Vec<(String, String)>> {
        let mut pairs = match requested {
            Some(context) => parse_context(context)?,
            None => Vec::new(),
        };
        pairs.retain(|(k, _)| k != "aws:s3:arn");
        pairs.push(("aws:s3:arn".to_owned(), self.object_arn()));
        Ok(pairs)
    }

    fn bucket_context(&self) -> Vec<(String, String)> {
        vec![("aws:s3:arn".to_owned(), self.bucket_arn())]
    }
}

/// `x-amz-server-side-encryption-context`: base64 of a JSON object of strings.
fn parse_context(header: &str) -> S3Result<Vec<(String, String)>> {
    let malformed = || {
        invalid_argument(
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
        )
    };
    let bytes = unb64(header).ok_or_else(malformed)?;
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    map.into_iter().map(|(k, v)| v.as_str().map(|v| (k, v.to_owned())).ok_or_else(malformed)).collect()
}

/// A KMS error as S3 reports it: `KMS.<KMS's code>`, 400, KMS's message (e.g.
/// `KMS.DisabledException`, `KMS.NotFoundException`). Nimbus's own failures stay 500s.
pub fn kms_error(e: ServiceError) -> S3Error {
    if e.code == "InternalFailure" {
        return internal("calling KMS", e.message);
    }
    let mut error = S3Error::with_message(S3ErrorCode::Custom(format!("KMS.{}", e.code).into()), e.message);
    error.set_status_code(http::StatusCode::BAD_REQUEST);
    error
}

/// A new SSE-KMS body's data key through KMS: the key, its stored (wrapped) form, the KMS key's
/// ARN, and the S3 Bucket Key's KMS ciphertext when one wraps it.
struct KmsDataKey {
    base: [u8; KEY_LEN],
    wrapped: Vec<u8>,
    key_arn: String,
    bucket_key_blob: Option<Vec<u8>>,
}

/// The data key and stored form of a new SSE-KMS body, through KMS.
fn kms_data_key(
    scope: &KeyScope<'_>,
    kms: &S3Kms,
    key_id: Option<&str>,
    context: Option<&str>,
    bucket_key: bool,
) -> S3Result<KmsDataKey> {
    let key_id = key_id.unwrap_or(DEFAULT_KMS_KEY);
    if !bucket_key {
        let data_key =
            kms.keys.generate_data_key(scope.caller(), key_id, &scope.object_context(context)?).map_err(kms_error)?;
        let base: [u8; KEY_LEN] =
            data_key.plaintext.as_slice().try_into().map_err(|_| internal("a KMS data key", "wrong length"))?;
        return Ok(KmsDataKey { base, wrapped: data_key.ciphertext, key_arn: data_key.key_arn, bucket_key_blob: None });
    }
    // The key must still be usable for every object, even when a bucket key is reused.
    let key_arn = kms.keys.resolve_key(scope.caller(), key_id).map_err(kms_error)?;
    let cache_key = (scope.bucket.id.clone(), key_arn.clone());
    let (bucket_plain, bucket_blob) = {
        let mut cache = kms.bucket_keys.lock().unwrap_or_else(PoisonError::into_inner);
        match cache.get(&cache_key) {
            Some(k) if scope.now_ms - k.created_ms < BUCKET_KEY_LIFETIME_MS && scope.now_ms >= k.created_ms => {
                (k.plaintext, k.blob.clone())
            }
            _ => {
                let data_key =
                    kms.keys.generate_data_key(scope.caller(), &key_arn, &scope.bucket_context()).map_err(kms_error)?;
                let plaintext: [u8; KEY_LEN] = data_key
                    .plaintext
                    .as_slice()
                    .try_into()
                    .map_err(|_| internal("a KMS bucket key", "wrong length"))?;
                cache.insert(
                    cache_key,
                    BucketKey { plaintext, blob: data_key.ciphertext.clone(), created_ms: scope.now_ms },
                );
                (plaintext, data_key.ciphertext)
            }
        }
    };
    let base = random_bytes::<KEY_LEN>();
    let wrapped = nimbus_store::seal_with_key(&bucket_plain, &base, scope.object_arn().as_bytes())
        .map_err(|e| internal("wrapping a data key", e))?;
    Ok(KmsDataKey { base, wrapped, key_arn, bucket_key_blob: Some(bucket_blob) })
}

/// Unwraps the data key of an SSE-KMS body written through KMS.
fn kms_unwrap(
    scope: &KeyScope<'_>,
    wrapped: &[u8],
    context: Option<&str>,
    bucket_key_blob: Option<&str>,
) -> S3Result<[u8; KEY_LEN]> {
    let kms = scope
        .kms
        .ok_or_else(|| internal("reading an SSE-KMS object", "it is encrypted through KMS, but Nimbus runs without KMS"))?;
    let plaintext = match bucket_key_blob {
        None => kms.keys.decrypt(scope.caller(), wrapped, &scope.object_context(context)?).map_err(kms_error)?.plaintext,
        Some(blob) => {
            let blob = unb64(blob).ok_or_else(|| internal("reading a bucket key", "not base64"))?;
            let bucket_key = kms.keys.decrypt(scope.caller(), &blob, &scope.bucket_context()).map_err(kms_error)?;
            nimbus_store::unseal_with_key(&bucket_key.plaintext, wrapped, scope.object_arn().as_bytes())
                .map_err(|e| internal("unwrapping a data key", e))?
        }
    };
    plaintext.try_into().map_err(|_| internal("unwrapping a data key", "wrong length"))
}

/// The encryption settings of a new body: what to record and the base key to encrypt with.
#[derive(Clone)]
pub struct WriteKey {
    pub sse: Sse,
    pub bucket_key: bool,
    pub wrapped_key: Option<String>,
    pub base: [u8; KEY_LEN],
    /// The customer key's MD5, for SSE-C responses.
    pub customer_md5: Option<String>,
}

impl WriteKey {
    /// A fresh key for `requested`, the bucket default filling in [`Requested::Default`].
    pub fn new(
        scope: &KeyScope<'_>,
        requested: Requested,
        default: Option<&EncryptionConfig>,
    ) -> S3Result<WriteKey> {
        let (sse, bucket_key) = match requested {
            Requested::Customer(c) => {
                return Ok(WriteKey {
                    sse: c.remembered(),
                    bucket_key: false,
                    wrapped_key: None,
                    base: c.key,
                    customer_md5: Some(c.md5),
                });
            }
            Requested::Managed { sse, bucket_key } => (sse, bucket_key),
            Requested::Default => match default {
                Some(c) if c.algorithm != AES256 => (
                    Sse::Kms {
                        key_id: c.kms_key_id.clone(),
                        context: None,
                        dsse: c.algorithm == KMS_DSSE,
                        key_arn: None,
                        bucket_key_blob: None,
                    },
                    c.bucket_key,
                ),
                Some(c) => (Sse::S3, c.bucket_key),
                None => (Sse::S3, false),
            },
        };
        let (sse, base, wrapped) = match (sse, scope.kms) {
            (Sse::Kms { key_id, context, dsse, .. }, Some(kms)) => {
                let made = kms_data_key(scope, kms, key_id.as_deref(), context.as_deref(), bucket_key)?;
                let sse = Sse::Kms {
                    key_id,
                    context,
                    dsse,
                    key_arn: Some(made.key_arn),
                    bucket_key_blob: made.bucket_key_blob.map(|b| b64(&b)),
                };
                (sse, made.base, made.wrapped)
            }
            (sse, _) => {
                let base = random_bytes::<KEY_LEN>();
                let wrapped = MasterKeyKeyring(scope.store).wrap(&base)?;
                (sse, base, wrapped)
            }
        };
        Ok(WriteKey {
            sse,
            bucket_key,
            wrapped_key: Some(b64(&wrapped)),
            base,
            customer_md5: None,
        })
    }

    /// The key of an existing upload for its next part.
    pub fn of_upload(
        scope: &KeyScope<'_>,
        enc: &UploadEncryption,
        customer: Option<&CustomerKey>,
    ) -> S3Result<WriteKey> {
        let base = base_key(scope, &enc.sse, enc.wrapped_key.as_deref(), customer)?;
        Ok(WriteKey {
            sse: enc.sse.clone(),
            bucket_key: enc.bucket_key,
            wrapped_key: enc.wrapped_key.clone(),
            base,
            customer_md5: customer.map(|c| c.md5.clone()),
        })
    }

    pub fn upload_encryption(&self) -> UploadEncryption {
        UploadEncryption {
            sse: self.sse.clone(),
            bucket_key: self.bucket_key,
            wrapped_key: self.wrapped_key.clone(),
        }
    }
}

/// The base key of a stored body: unwrapped data key, or the customer's key if it is the one
/// the object was written with (400 without it, 403 with another).
pub fn base_key(
    scope: &KeyScope<'_>,
    sse: &Sse,
    wrapped: Option<&str>,
    customer: Option<&CustomerKey>,
) -> S3Result<[u8; KEY_LEN]> {
    match (sse, customer) {
        (Sse::Customer { .. }, None) => Err(needs_key_error()),
        (Sse::Customer { .. }, Some(c)) if c.matches(sse) => Ok(c.key),
        (Sse::Customer { .. }, Some(_)) => Err(S3Error::with_message(
            S3ErrorCode::AccessDenied,
            "Access Denied",
        )),
        (_, Some(_)) => Err(not_applicable_error()),
        (_, None) => {
            let wrapped = wrapped
                .and_then(unb64)
                .ok_or_else(|| internal("reading a data key", "missing wrapped key"))?;
            match sse {
                Sse::Kms { key_arn: Some(_), context, bucket_key_blob, .. } => {
                    kms_unwrap(scope, &wrapped, context.as_deref(), bucket_key_blob.as_deref())
                }
                _ => MasterKeyKeyring(scope.store).unwrap(&wrapped),
            }
        }
    }
}

/// Checks the SSE-C key of a read of an object that is not encrypted at rest (v2 objects):
/// any key is "not applicable".
pub fn check_plain_read(customer: Option<&CustomerKey>) -> S3Result<()> {
    match customer {
        Some(_) => Err(not_applicable_error()),
        None => Ok(()),
    }
}

/// The response headers describing an object's encryption.
#[derive(Debug, Default, Clone)]
pub struct SseHeaders {
    pub sse: Option<ServerSideEncryption>,
    pub kms_key_id: Option<String>,
    pub bucket_key: Option<bool>,
    pub customer_algorithm: Option<String>,
    pub customer_md5: Option<String>,
}

pub fn headers_for(sse: &Sse, bucket_key: bool, customer_md5: Option<&str>) -> SseHeaders {
    match sse {
        Sse::S3 => SseHeaders {
            sse: Some(ServerSideEncryption::from(AES256.to_owned())),
            bucket_key: bucket_key.then_some(true),
            ..Default::default()
        },
        Sse::Kms { key_id, dsse, key_arn, .. } => SseHeaders {
            sse: Some(ServerSideEncryption::from(
                if *dsse { KMS_DSSE } else { KMS }.to_owned(),
            )),
            // The full key ARN, as AWS reports it, once KMS resolved it.
            kms_key_id: key_arn.clone().or_else(|| key_id.clone()),
            bucket_key: bucket_key.then_some(true),
            ..Default::default()
        },
        Sse::Customer { .. } => SseHeaders {
            customer_algorithm: Some(AES256.to_owned()),
            customer_md5: customer_md5.map(str::to_owned),
            ..Default::default()
        },
    }
}

pub fn object_headers(enc: Option<&ObjectEncryption>, customer_md5: Option<&str>) -> SseHeaders {
    match enc {
        Some(e) => headers_for(&e.sse, e.bucket_key, customer_md5),
        None => SseHeaders::default(),
    }
}

/// Sets the SSE fields of an output struct from [`SseHeaders`].
macro_rules! set_sse {
    ($out:expr, $h:expr) => {{
        let h = $h;
        $out.server_side_encryption = h.sse;
        $out.ssekms_key_id = h.kms_key_id;
        $out.bucket_key_enabled = h.bucket_key;
        $out.sse_customer_algorithm = h.customer_algorithm;
        $out.sse_customer_key_md5 = h.customer_md5;
    }};
}
pub(crate) use set_sse;

#[cfg(test)]
mod tests {
    use super::*;

    fn key_headers(key: &[u8]) -> (String, String) {
        use md5::{Digest, Md5};
        (b64(key), b64(&Md5::digest(key)))
    }

    #[test]
    fn customer_keys_are_checked_and_recognised_without_being_stored() {
        let (k, m) = key_headers(&[7u8; 32]);
        let key = CustomerKey::from_headers(Some("AES256"), Some(&k), Some(&m))
            .unwrap()
            .unwrap();
        let sse = key.remembered();
        assert!(key.matches(&sse));
        let serialized = serde_json::to_string(&sse).unwrap();
        assert!(!serialized.contains(&k) && !serialized.contains(&hex::encode([7u8; 32])));
        let (k2, m2) = key_headers(&[8u8; 32]);
        let other = CustomerKey::from_headers(Some("AES256"), Some(&k2), Some(&m2))
            .unwrap()
            .unwrap();
        assert!(!other.matches(&sse));
        let message = |r: S3Result<Option<CustomerKey>>| r.err().and_then(|e| e.message().map(str::to_owned));
        assert_eq!(
            message(CustomerKey::from_headers(Some("AES256"), Some(&k), Some(&m2))).as_deref(),
            Some("The calculated MD5 hash of the key did not match the hash that was provided.")
        );
        let (short, short_md5) = key_headers(&[1u8; 16]);
        assert_eq!(
            message(CustomerKey::from_headers(Some("AES256"), Some(&short), Some(&short_md5))).as_deref(),
            Some("The secret key was invalid for the specified algorithm.")
        );
        assert!(CustomerKey::from_headers(Some("AES128"), Some(&k), Some(&m)).is_err());
        assert!(CustomerKey::from_headers(None, None, None).unwrap().is_none());
    }
}
