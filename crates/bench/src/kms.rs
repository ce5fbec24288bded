//! The KMS suite, over KMS's JSON protocol (`X-Amz-Target: TrentService.<Op>`, awsJson 1.1),
//! on the server the core suite uses:
//!
//! 1. **Encrypt** of 1 KiB under a symmetric key, with an encryption context;
//! 2. **Decrypt** of one such ciphertext (no key id: the key is found from the blob);
//! 3. **GenerateDataKey** (`AES_256`) with an encryption context.
//!
//! Each is one request signed once and replayed under load, as the core suite's are. Before
//! the loads, one round trip is checked end to end (the ciphertext decrypts to the plaintext,
//! the data key decrypts to its plaintext), so a server answering 200 without doing the
//! cryptography cannot pass.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Value, json};

use crate::requests::{self, ContentSha256, SignedRequest, ToSign};
use crate::servers::RunningServer;
use crate::report::ServerResults;
use crate::{Plan, run_load};

pub const ENCRYPT: &str = "KMS Encrypt 1 KiB";
pub const DECRYPT: &str = "KMS Decrypt 1 KiB";
pub const GENERATE_DATA_KEY: &str = "KMS GenerateDataKey AES_256";
/// The loads in report order.
pub const OPERATIONS: [&str; 3] = [ENCRYPT, DECRYPT, GENERATE_DATA_KEY];
/// Bytes encrypted per Encrypt.
const PLAINTEXT_BYTES: usize = 1024;

/// A KMS JSON-protocol call, signed for `addr` as an SDK signs it.
fn call(label: &'static str, addr: SocketAddr, operation: &str, input: &Value) -> anyhow::Result<SignedRequest> {
    let mut headers = HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/x-amz-json-1.1"));
    headers.insert("x-amz-target", HeaderValue::from_str(&format!("TrentService.{operation}"))?);
    requests::sign_with_headers(
        addr,
        ToSign {
            label,
            service: "kms",
            method: Method::POST,
            path: "/",
            query: "",
            headers,
            body: serde_json::to_vec(input)?.into(),
            content_sha256: ContentSha256::Absent,
        },
    )
}

/// Standard base64 with padding (the JSON wire's blob encoding).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn plaintext() -> String {
    base64(&(0..PLAINTEXT_BYTES).map(|i| (i % 251) as u8).collect::<Vec<_>>())
}

fn context() -> Value {
    json!({ "purpose": "nimbus-bench", "tenant": "t1" })
}

/// A 200's JSON answer.
async fn expect_json(addr: SocketAddr, request: &SignedRequest) -> anyhow::Result<Value> {
    let body = requests::expect_ok(addr, request).await?;
    serde_json::from_slice(&body).with_context(|| format!("{} answered 200 without JSON", request.label))
}

fn text<'a>(value: &'a Value, member: &str, operation: &str) -> anyhow::Result<&'a str> {
    value.get(member).and_then(Value::as_str).with_context(|| format!("{operation} answered without {member}: {value}"))
}

/// The key, and a ciphertext of the Encrypt load's plaintext, checked to decrypt.
async fn prepare(addr: SocketAddr) -> anyhow::Result<(String, String)> {
    let created = expect_json(addr, &call("kms:CreateKey", addr, "CreateKey", &json!({ "Description": "nimbus-bench" }))?).await?;
    let key_id = created.pointer("/KeyMetadata/KeyId").and_then(Value::as_str).context("CreateKey answered without a KeyId")?.to_owned();
    let encrypted = expect_json(addr, &encrypt(addr, &key_id)?).await?;
    let blob = text(&encrypted, "CiphertextBlob", "Encrypt")?.to_owned();
    let decrypted = expect_json(addr, &decrypt(addr, &blob)?).await?;
    if text(&decrypted, "Plaintext", "Decrypt")? != plaintext() {
        bail!("Decrypt answered another plaintext than Encrypt was given");
    }
    let data_key = expect_json(addr, &generate_data_key(addr, &key_id)?).await?;
    let wrapped = text(&data_key, "CiphertextBlob", "GenerateDataKey")?;
    let unwrapped = expect_json(addr, &decrypt(addr, wrapped)?).await?;
    if text(&unwrapped, "Plaintext", "Decrypt")? != text(&data_key, "Plaintext", "GenerateDataKey")? {
        bail!("the data key's ciphertext does not decrypt to its plaintext");
    }
    Ok((key_id, blob))
}

fn encrypt(addr: SocketAddr, key_id: &str) -> anyhow::Result<SignedRequest> {
    call("kms:Encrypt", addr, "Encrypt", &json!({ "KeyId": key_id, "Plaintext": plaintext(), "EncryptionContext": context() }))
}

fn decrypt(addr: SocketAddr, blob: &str) -> anyhow::Result<SignedRequest> {
    call("kms:Decrypt", addr, "Decrypt", &json!({ "CiphertextBlob": blob, "EncryptionContext": context() }))
}

fn generate_data_key(addr: SocketAddr, key_id: &str) -> anyhow::Result<SignedRequest> {
    call("kms:GenerateDataKey", addr, "GenerateDataKey", &json!({ "KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": context() }))
}

/// The KMS loads on `server`. A server that cannot set up (or dies) is recorded per load,
/// not fatal: the other server's figures are still worth having.
pub async fn measure(server: &RunningServer, plan: &Plan, results: &mut ServerResults) {
    let name = server.kind.name();
    let addr = server.addr;
    let (key_id, blob) = match prepare(addr).await {
        Ok(prepared) => prepared,
        Err(error) => {
            let why = format!("setting up the KMS key: {error:#}");
            eprintln!("{name}: {why}");
            results.load_failures.extend(OPERATIONS.map(|op| (op, why.clone())));
            return;
        }
    };
    eprintln!("{name}: KMS: key created, a ciphertext and a data key decrypted intact");
    type Sign = Box<dyn Fn() -> anyhow::Result<SignedRequest>>;
    let loads: [(&'static str, Sign); 3] = [
        (ENCRYPT, Box::new({ let k = key_id.clone(); move || encrypt(addr, &k) })),
        (DECRYPT, Box::new(move || decrypt(addr, &blob))),
        (GENERATE_DATA_KEY, Box::new(move || generate_data_key(addr, &key_id))),
    ];
    for (operation, sign) in loads {
        // Signed just before its run, so the signature is fresh for the whole window.
        let outcome = match sign() {
            Ok(request) => run_load(server, operation, request, plan).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(result) => results.loads.push((operation, result)),
            Err(error) => {
                let why = format!("{error:#}");
                eprintln!("{name}: {operation}: {why}");
                results.load_failures.push((operation, why));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_with_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe]), "//4=");
    }
}
