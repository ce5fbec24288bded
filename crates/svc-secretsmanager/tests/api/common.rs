use std::time::Duration;

use nimbus_core::{Clock, RequestContext, Service, ServiceError};
use nimbus_store::Store;
use nimbus_svc_secretsmanager::SecretsManager;
use serde_json::Value;
use time::OffsetDateTime;

/// 2024-01-01T00:00:00Z.
pub const START: i64 = 1_704_067_200;
pub const DAY: Duration = Duration::from_secs(86_400);

pub struct Sm {
    pub svc: SecretsManager,
    pub clock: Clock,
    pub store: Store,
}

impl Sm {
    pub fn new() -> Sm {
        Sm::with_store(Store::open_ephemeral().expect("ephemeral store"))
    }

    pub fn with_store(store: Store) -> Sm {
        let clock = Clock::fixed(OffsetDateTime::from_unix_timestamp(START).unwrap());
        Sm { svc: SecretsManager::new(store.clone(), clock.clone()), clock, store }
    }

    pub async fn call(&self, op: &str, input: Value) -> Result<Value, ServiceError> {
        self.call_in(&RequestContext::for_tests("secretsmanager", op), op, input).await
    }

    pub async fn call_in(&self, ctx: &RequestContext, op: &str, input: Value) -> Result<Value, ServiceError> {
        self.svc.call(ctx, op, input).await
    }

    pub async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input).await {
            Ok(v) => v,
            Err(e) => panic!("{op} failed: {e}"),
        }
    }

    pub async fn err(&self, op: &str, input: Value) -> ServiceError {
        match self.call(op, input).await {
            Ok(v) => panic!("{op} succeeded unexpectedly: {v}"),
            Err(e) => e,
        }
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub fn now_secs(&self) -> f64 {
        self.clock.now_millis() as f64 / 1000.0
    }
}

/// A document timestamp as seconds.
pub fn secs(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a timestamp: {v}"))
}

pub fn assert_error(e: &ServiceError, code: &str, message: &str) {
    assert_eq!(e.code, code, "unexpected error: {e}");
    assert_eq!(e.message, message, "unexpected message for {code}");
}

pub fn stages(v: &Value) -> Vec<String> {
    let mut s: Vec<String> =
        v.as_array().map(|a| a.iter().map(|x| x.as_str().unwrap().to_owned()).collect()).unwrap_or_default();
    s.sort();
    s
}

pub fn token(n: u32) -> String {
    format!("{n:08}-aaaa-bbbb-cccc-000000000000")
}
