//! The service end to end through `Service::call`, on a real store and a fixed clock.

mod crypto;
mod lifecycle;
mod management;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::{Clock, RequestContext, Service, ServiceError};
use nimbus_store::Store;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::Kms;

pub const DAY: Duration = Duration::from_secs(86_400);

pub struct Fixture {
    pub kms: Kms,
    pub clock: Clock,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::on(Store::open_ephemeral().unwrap())
    }

    pub fn on(store: Store) -> Fixture {
        let clock = Clock::fixed(OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap());
        Fixture { kms: Kms::new(store, clock.clone()), clock }
    }

    pub async fn call_in(&self, region: &str, op: &str, input: Value) -> Result<Value, ServiceError> {
        let mut ctx = RequestContext::for_tests("kms", op);
        ctx.region = region.to_owned();
        self.kms.call(&ctx, op, input).await
    }

    pub async fn call(&self, op: &str, input: Value) -> Result<Value, ServiceError> {
        self.call_in("us-east-1", op, input).await
    }

    pub async fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input).await.unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    /// The error code of a call that must fail.
    pub async fn err(&self, op: &str, input: Value) -> String {
        self.call(op, input).await.expect_err(op).code.into_owned()
    }

    pub async fn error(&self, op: &str, input: Value) -> ServiceError {
        self.call(op, input).await.expect_err(op)
    }

    /// A new key's id.
    pub async fn key(&self, input: Value) -> String {
        self.ok("CreateKey", input).await["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
    }

    pub async fn metadata(&self, key_id: &str) -> Value {
        self.ok("DescribeKey", json!({ "KeyId": key_id })).await["KeyMetadata"].clone()
    }

    pub async fn encrypt(&self, key_id: &str, plaintext: &[u8], context: Value) -> String {
        let out = self.ok("Encrypt", json!({ "KeyId": key_id, "Plaintext": b64(plaintext), "EncryptionContext": context })).await;
        out["CiphertextBlob"].as_str().unwrap().to_owned()
    }

    pub async fn decrypt(&self, blob: &str, context: Value) -> Vec<u8> {
        let out = self.ok("Decrypt", json!({ "CiphertextBlob": blob, "EncryptionContext": context })).await;
        unb64(&out["Plaintext"])
    }
}

pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub fn unb64(value: &Value) -> Vec<u8> {
    B64.decode(value.as_str().expect("a blob")).expect("base64")
}
