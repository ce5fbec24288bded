//! AWS Systems Manager Parameter Store.
//!
//! Parameters live in the [`Store`] under the scope `{account}/{region}`; see [`records`] for the
//! layout. Every acknowledged change is one store transaction. SecureString values are encrypted
//! under their KMS key (`KeyId`, or `alias/aws/ssm`) when the service has a [`KeyManager`]
//! ([`Ssm::with_key_manager`], see `encryption.rs`); without one, and in records from before,
//! they are sealed with the store's master key.
//! Policies are validated and kept; the Expiration policy is enforced against Nimbus's clock: an
//! expired parameter reads as deleted, and is purged by the next write that touches it.

mod access;
mod describe;
mod encryption;
mod errors;
mod get;
mod labels;
mod names;
mod policies;
mod put;
mod records;
mod tags;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::sync::Arc;

use nimbus_core::{Access, Clock, Document, KeyManager, RequestContext, Service, ServiceError};
use nimbus_store::{Store, Txn};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::errors::{Fail, Res};
use crate::records::{Counters, ParameterRecord, StoredValue, VersionData, VersionRecord};

/// The KMS key SecureString parameters use when the request names none.
pub const DEFAULT_KEY_ID: &str = "alias/aws/ssm";

/// Quotas of one account and region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub standard_parameters: u64,
    pub advanced_parameters: u64,
    /// Versions of one parameter kept; creating one more deletes the oldest.
    pub versions: usize,
    pub tags: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { standard_parameters: 10_000, advanced_parameters: 100_000, versions: 100, tags: 50 }
    }
}

/// The Parameter Store part of the `ssm` service.
pub struct Ssm {
    store: Store,
    clock: Clock,
    limits: Limits,
    /// KMS, to encrypt SecureStrings under their keys; `None`: the store's master key.
    keys: Option<Arc<dyn KeyManager>>,
}

const OPERATIONS: &[&str] = &[
    "AddTagsToResource",
    "DeleteParameter",
    "DeleteParameters",
    "DescribeParameters",
    "GetParameter",
    "GetParameterHistory",
    "GetParameters",
    "GetParametersByPath",
    "LabelParameterVersion",
    "ListTagsForResource",
    "PutParameter",
    "RemoveTagsFromResource",
    "UnlabelParameterVersion",
];

impl Ssm {
    pub fn new(store: Store, clock: Clock) -> Self {
        Ssm::with_limits(store, clock, Limits::default())
    }

    pub fn with_limits(store: Store, clock: Clock, limits: Limits) -> Self {
        Ssm { store, clock, limits, keys: None }
    }

    /// Encrypts SecureString values through KMS (`KeyId`, or `alias/aws/ssm`).
    pub fn with_key_manager(mut self, keys: Arc<dyn KeyManager>) -> Self {
        self.keys = Some(keys);
        self
    }

    fn scope(ctx: &RequestContext) -> String {
        format!("{}/{}", ctx.account_id, ctx.region)
    }

    fn now_ms(&self) -> i64 {
        self.clock.now_millis()
    }

    /// The first of `candidates` that exists and has not expired.
    fn find(&self, scope: &str, candidates: &[String]) -> Res<Option<ParameterRecord>> {
        let now = self.now_ms();
        for name in candidates {
            if let Some(record) = self.store.get::<ParameterRecord>(scope, name)?
                && !record.is_expired(now)
            {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// The value of a version as a response shows it: SecureStrings decrypted only on request,
    /// their sealed form (base64) otherwise.
    fn render_value(&self, ctx: &RequestContext, name: &str, data: &VersionData, decrypt: bool) -> Res<String> {
        match &data.value {
            StoredValue::Plain { text } => Ok(text.clone()),
            StoredValue::Sealed { sealed } if !decrypt => Ok(sealed.clone()),
            StoredValue::Sealed { sealed } => {
                let bytes = B64
                    .decode(sealed)
                    .map_err(|e| ServiceError::internal(format!("stored SecureString is corrupt: {e}")))?;
                let plain = self.store.unseal(&bytes, sealing_aad(ctx, name, data.version).as_bytes())?;
                String::from_utf8(plain).map_err(|_| Fail(ServiceError::internal("stored SecureString is not UTF-8")))
            }
            StoredValue::Kms { ciphertext } if !decrypt => Ok(ciphertext.clone()),
            StoredValue::KmsEnvelope { sealed, .. } if !decrypt => Ok(sealed.clone()),
            kms @ (StoredValue::Kms { .. } | StoredValue::KmsEnvelope { .. }) => {
                let plain = self.kms_open(ctx, name, kms)?;
                String::from_utf8(plain).map_err(|_| Fail(ServiceError::internal("stored SecureString is not UTF-8")))
            }
        }
    }

    /// The `Parameter` structure of GetParameter(s) and GetParametersByPath.
    fn parameter_doc(
        &self,
        ctx: &RequestContext,
        name: &str,
        data: &VersionData,
        decrypt: bool,
        selector: Option<String>,
    ) -> Res<Value> {
        let mut doc = Map::new();
        doc.insert("Name".into(), json!(name));
        doc.insert("Type".into(), json!(data.param_type.as_str()));
        doc.insert("Value".into(), json!(self.render_value(ctx, name, data, decrypt)?));
        doc.insert("Version".into(), json!(data.version));
        if let Some(selector) = selector {
            doc.insert("Selector".into(), json!(selector));
        }
        doc.insert("LastModifiedDate".into(), timestamp(data.modified_ms));
        doc.insert("ARN".into(), json!(names::arn(ctx, name)));
        doc.insert("DataType".into(), json!(data.data_type));
        Ok(Value::Object(doc))
    }
}

/// The associated data a SecureString version is sealed with: its ARN and version, so sealed
/// bytes moved to another parameter or version fail to open.
fn sealing_aad(ctx: &RequestContext, name: &str, version: i64) -> String {
    format!("{}#{version}", names::arn(ctx, name))
}

fn timestamp(ms: i64) -> Value {
    let at = OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    nimbus_core::document::timestamp(at)
}

fn policies_doc(data: &VersionData) -> Value {
    Value::Array(
        data.policies
            .iter()
            .map(|p| json!({"PolicyText": p.text, "PolicyType": p.policy_type, "PolicyStatus": "Pending"}))
            .collect(),
    )
}

/// Deletes a parameter with all its versions and releases its tier quota.
fn purge(txn: &mut Txn, scope: &str, record: &ParameterRecord) -> Res<()> {
    txn.delete::<ParameterRecord>(scope, &record.name)?;
    let prefix = records::versions_prefix(&record.name);
    loop {
        let batch = txn.list::<VersionRecord>(scope, &prefix, None, 256)?;
        if batch.is_empty() {
            break;
        }
        for (key, _) in batch {
            txn.delete::<VersionRecord>(scope, &key)?;
        }
    }
    let mut counters = txn.get::<Counters>(scope, Counters::KEY)?.unwrap_or_default();
    counters.remove(record.current.tier);
    txn.put(scope, Counters::KEY, &counters)?;
    Ok(())
}

/// Loads a parameter for a write: an expired one is purged and reported absent.
fn load_for_write(txn: &mut Txn, scope: &str, name: &str, now_ms: i64) -> Res<Option<ParameterRecord>> {
    match txn.get::<ParameterRecord>(scope, name)? {
        Some(record) if record.is_expired(now_ms) => {
            purge(txn, scope, &record)?;
            Ok(None)
        }
        other => Ok(other),
    }
}

/// Pagination tokens: the opaque form of the last key returned.
fn encode_token(last_key: &str) -> String {
    B64.encode(format!("nimbus-ssm:{last_key}"))
}

fn decode_token(token: Option<&str>) -> Res<Option<String>> {
    let Some(token) = token else { return Ok(None) };
    let bytes = B64.decode(token).map_err(|_| errors::invalid_next_token())?;
    let text = String::from_utf8(bytes).map_err(|_| errors::invalid_next_token())?;
    match text.strip_prefix("nimbus-ssm:") {
        Some(key) if !key.is_empty() => Ok(Some(key.to_owned())),
        _ => Err(errors::invalid_next_token().into()),
    }
}

fn parse<T: serde::de::DeserializeOwned>(input: Document) -> Res<T> {
    Ok(nimbus_core::service::parse_input(input)?)
}

#[async_trait::async_trait]
impl Service for Ssm {
    fn model_name(&self) -> &'static str {
        "ssm"
    }

    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    /// Parameters have no resource policy here, so `resource_policy` keeps its default (`None`).
    fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        Ssm::access(self, ctx, operation, input)
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        let result = match operation {
            "PutParameter" => self.put_parameter(ctx, parse(input)?),
            "DeleteParameter" => self.delete_parameter(ctx, parse(input)?),
            "DeleteParameters" => self.delete_parameters(ctx, parse(input)?),
            "GetParameter" => self.get_parameter(ctx, parse(input)?),
            "GetParameters" => self.get_parameters(ctx, parse(input)?),
            "GetParametersByPath" => self.get_parameters_by_path(ctx, parse(input)?),
            "GetParameterHistory" => self.get_parameter_history(ctx, parse(input)?),
            "DescribeParameters" => self.describe_parameters(ctx, parse(input)?),
            "LabelParameterVersion" => self.label_parameter_version(ctx, parse(input)?),
            "UnlabelParameterVersion" => self.unlabel_parameter_version(ctx, parse(input)?),
            "AddTagsToResource" => self.add_tags(ctx, parse(input)?),
            "RemoveTagsFromResource" => self.remove_tags(ctx, parse(input)?),
            "ListTagsForResource" => self.list_tags(ctx, parse(input)?),
            other => return Err(ServiceError::not_implemented("ssm", other)),
        };
        result.map_err(|Fail(e)| e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let token = encode_token("/a/b");
        assert_eq!(decode_token(Some(&token)).unwrap().as_deref(), Some("/a/b"));
        assert_eq!(decode_token(None).unwrap(), None);
        assert_eq!(decode_token(Some("garbage!")).unwrap_err().0.code, "InvalidNextToken");
        assert_eq!(decode_token(Some(&B64.encode("other:x"))).unwrap_err().0.code, "InvalidNextToken");
    }
}
