//! Test harness: the service over an ephemeral store and a fixed clock.
#![allow(dead_code)]

use std::sync::Arc;

use nimbus_core::{Clock, RequestContext, Service, ServiceError};
use nimbus_store::Store;
use nimbus_svc_ssm::{Limits, Ssm};
use serde_json::Value;
use time::OffsetDateTime;

pub const START: i64 = 1_700_000_000;
pub const ACCOUNT: &str = "000000000000";
pub const REGION: &str = "us-east-1";

pub struct Harness {
    pub ssm: Ssm,
    pub clock: Clock,
    pub store: Store,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    pub fn with_limits(limits: Limits) -> Self {
        Self::over(Store::open_ephemeral().expect("ephemeral store"), limits)
    }

    pub fn over(store: Store, limits: Limits) -> Self {
        let clock = Clock::fixed(OffsetDateTime::from_unix_timestamp(START).unwrap());
        Harness { ssm: Ssm::with_limits(store.clone(), clock.clone(), limits), clock, store }
    }

    /// Over an ephemeral store, with `kms` as Parameter Store's key manager.
    pub fn with_kms(kms: Arc<nimbus_testkit::FakeKms>) -> Self {
        Self::over_with_kms(Store::open_ephemeral().expect("ephemeral store"), kms)
    }

    pub fn over_with_kms(store: Store, kms: Arc<nimbus_testkit::FakeKms>) -> Self {
        let mut h = Self::over(store, Limits::default());
        h.ssm = Ssm::with_limits(h.store.clone(), h.clock.clone(), Limits::default()).with_key_manager(kms);
        h
    }

    pub async fn call(&self, op: &str, input: Value) -> Result<Value, ServiceError> {
        let ctx = RequestContext::for_tests("ssm", op);
        self.ssm.call(&ctx, op, input).await
    }

    pub async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input.clone()).await {
            Ok(v) => v,
            Err(e) => panic!("{op} {input} failed: {e}"),
        }
    }

    pub async fn err(&self, op: &str, input: Value) -> ServiceError {
        match self.call(op, input.clone()).await {
            Ok(v) => panic!("{op} {input} succeeded unexpectedly: {v}"),
            Err(e) => e,
        }
    }

    /// PutParameter of a String without overwrite.
    pub async fn put(&self, name: &str, value: &str) -> Value {
        self.ok("PutParameter", serde_json::json!({"Name": name, "Value": value, "Type": "String"})).await
    }

    /// PutParameter with Overwrite.
    pub async fn overwrite(&self, name: &str, value: &str) -> Value {
        self.ok("PutParameter", serde_json::json!({"Name": name, "Value": value, "Overwrite": true})).await
    }

    pub async fn get(&self, name: &str) -> Value {
        self.ok("GetParameter", serde_json::json!({"Name": name})).await["Parameter"].clone()
    }

    /// Names in a Parameters list.
    pub fn names(list: &Value) -> Vec<String> {
        list.as_array().unwrap().iter().map(|p| p["Name"].as_str().unwrap().to_owned()).collect()
    }
}

pub fn arn(name: &str) -> String {
    format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{}", name.strip_prefix('/').unwrap_or(name))
}
