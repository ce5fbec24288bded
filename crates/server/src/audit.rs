//! The server's side of the audit hook (`nimbus_core::AuditSink`, CloudTrail's recorder): every
//! call it served becomes one [`ApiCall`], handed over after the answer is known.
//!
//! The cost on a request: one `interest` lookup (in memory) per call; only for calls the sink
//! keeps, one walk of the input building its record form (instead of a clone) and, for calls that
//! change something, of the output. The sink only queues; nothing here waits for disk.

use nimbus_core::{ApiCall, CallNote, Document, Principal};
use nimbus_model::{ServiceModel, ShapeType};
use serde_json::{Map, Value};

/// What AWS writes in place of a secret value.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// What dispatch learns of a call on its way through, for its record.
#[derive(Default)]
pub(crate) struct CallTrace {
    /// Account, region and caller, once authenticated; calls that never got this far (bad
    /// signatures, unknown keys) are not recorded, as AWS records no unauthenticated call.
    pub caller: Option<(String, String, Principal)>,
    pub request_parameters: Option<Document>,
    pub response_elements: Option<Document>,
}

/// A document as CloudTrail records it, walked along its shape: structure members in
/// lowerCamelCase (`QueueName` → `queueName`, `MD5OfBody` → `mD5OfBody`, as AWS writes them),
/// values of shapes the model marks sensitive replaced by [`HIDDEN`], blobs left out (AWS shows
/// neither plaintexts nor ciphertexts), map keys and other values as they are.
pub fn record_form(model: &ServiceModel, shape: &str, value: &Document) -> Document {
    let Some(shape) = model.shape(shape) else { return value.clone() };
    match (shape.shape_type, value) {
        (ShapeType::Structure, Value::Object(fields)) if !shape.document => {
            let mut out = Map::with_capacity(fields.len());
            for (name, field) in fields {
                let member = shape.members.get(name).map(|r| r.shape.as_str());
                match member.and_then(|m| model.shape(m)) {
                    Some(target) if target.sensitive => {
                        out.insert(lower_first(name), Value::from(HIDDEN));
                    }
                    Some(target) if target.shape_type == ShapeType::Blob => {}
                    _ => {
                        let inner = member.map_or_else(|| field.clone(), |m| record_form(model, m, field));
                        out.insert(lower_first(name), inner);
                    }
                }
            }
            Value::Object(out)
        }
        (ShapeType::List, Value::Array(items)) => match shape.member.as_deref() {
            Some(member) => Value::Array(items.iter().map(|i| element(model, &member.shape, i)).collect()),
            None => value.clone(),
        },
        (ShapeType::Map, Value::Object(entries)) => match shape.value.as_deref() {
            Some(member) => Value::Object(entries.iter().map(|(k, v)| (k.clone(), element(model, &member.shape, v))).collect()),
            None => value.clone(),
        },
        _ => value.clone(),
    }
}

/// A list element or map value: hidden if its shape is sensitive.
fn element(model: &ServiceModel, shape: &str, value: &Document) -> Document {
    match model.shape(shape) {
        Some(s) if s.sensitive => Value::from(HIDDEN),
        Some(s) if s.shape_type == ShapeType::Blob => Value::Null,
        _ => record_form(model, shape, value),
    }
}

/// `QueueName` → `queueName`.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The record of an S3 call, from what the S3 front noted.
pub(crate) fn s3_call(note: CallNote, req: S3Request, request_id: &str, now_ms: i64) -> ApiCall {
    ApiCall {
        event_time_ms: now_ms,
        service: "s3".to_owned(),
        event_source: "s3.amazonaws.com".to_owned(),
        operation: note.operation,
        account_id: if note.account_id.is_empty() { req.default_account } else { note.account_id },
        region: req.region,
        principal: note.principal,
        source_ip: Some(req.peer.ip()),
        user_agent: req.user_agent,
        request_id: request_id.to_owned(),
        request_parameters: Some(note.request_parameters),
        response_elements: None,
        error: note.error,
    }
}

/// What the server keeps of an S3 request for its record: the body is S3's, unread.
pub(crate) struct S3Request {
    pub peer: std::net::SocketAddr,
    /// The signature's region, else the default one.
    pub region: String,
    /// Where anonymous calls are recorded.
    pub default_account: String,
    pub user_agent: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input_shape(model: &ServiceModel, operation: &str) -> String {
        model.operation(operation).unwrap().input.as_ref().unwrap().shape.clone()
    }

    #[test]
    fn members_lower_camel_secrets_hidden_blobs_left_out() {
        let model = nimbus_model::service("secretsmanager").unwrap();
        let input = json!({"Name": "db", "SecretString": "hunter2", "SecretBinary": "aGk=", "Tags": [{"Key": "K", "Value": "v"}]});
        let form = record_form(model, &input_shape(model, "CreateSecret"), &input);
        assert_eq!(form, json!({"name": "db", "secretString": HIDDEN, "secretBinary": HIDDEN, "tags": [{"key": "K", "value": "v"}]}));
        let kms = nimbus_model::service("kms").unwrap();
        let form = record_form(kms, &input_shape(kms, "Encrypt"), &json!({"KeyId": "k", "Plaintext": "aGk=", "EncryptionContext": {"App": "x"}}));
        assert_eq!(form, json!({"keyId": "k", "plaintext": HIDDEN, "encryptionContext": {"App": "x"}}));
    }

    #[test]
    fn map_keys_stay_and_unknown_members_pass() {
        let model = nimbus_model::service("dynamodb").unwrap();
        let input = json!({"TableName": "t", "Key": {"Id": {"S": "1"}}});
        assert_eq!(record_form(model, &input_shape(model, "GetItem"), &input), json!({"tableName": "t", "key": {"Id": {"s": "1"}}}));
        assert_eq!(lower_first("MD5OfMessageBody"), "mD5OfMessageBody");
    }
}
