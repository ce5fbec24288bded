//! awsJson1_0 and awsJson1_1: `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>` and the
//! input structure as a JSON object; the response is the output structure as a JSON object.
//!
//! The wire form is already almost the document form (blobs base64, timestamps epoch seconds), so
//! the conversions here only rename members whose wire name differs, convert timestamps that a
//! member's `timestampFormat` puts on the wire as strings, and drop what the shape does not have.
//!
//! Errors (Smithy "aws-json" spec, "Operation error serialization"): a `__type` body field naming
//! the error, which awsJson1_0 servers SHOULD send as the absolute shape id
//! (`com.amazonaws.sqs#QueueDoesNotExist`) and awsJson1_1 servers as the bare shape name; clients
//! accept both (they keep what follows `#` and precedes `:`). Unmodeled errors (AWS's common errors
//! like `InternalFailure`) have no namespace in the model and go out bare in both.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use nimbus_core::{Document, ServiceError};
use nimbus_model::{Operation, ServiceModel, ShapeRef, ShapeType};
use serde_json::Map;

use crate::common::{ResolvedError, format_http_date, format_iso8601, parse_timestamp};
use crate::validate::{mismatch_message, serialization_error};
use crate::{HttpRequest, HttpResponse, Protocol, Wire};

/// The operation named by `X-Amz-Target`, whose prefix must be the model's `targetPrefix`.
pub fn operation_name<'m>(model: &'m ServiceModel, req: &HttpRequest) -> Option<&'m str> {
    let target = req.headers.get("x-amz-target")?.to_str().ok()?;
    let (prefix, operation) = target.trim().rsplit_once('.')?;
    if model.metadata.target_prefix.as_deref() != Some(prefix) {
        return None;
    }
    model.operations.get_key_value(operation).map(|(name, _)| name.as_str())
}

/// Reads the JSON body into the operation's input document. An empty body is `{}` (the spec says
/// servers MUST accept it); anything but a JSON object is a `SerializationException`.
pub fn decode_request(wire: &Wire, op: &Operation, req: &HttpRequest) -> Result<Document, ServiceError> {
    let text = req.body.trim_ascii();
    let value: Document = if text.is_empty() {
        Document::Object(Map::new())
    } else {
        serde_json::from_slice(text).map_err(|e| serialization_error(format!("Malformed JSON request body: {e}")))?
    };
    let Some(input) = &op.input else {
        return Ok(Document::Object(Map::new()));
    };
    if !value.is_object() {
        let shape = wire.model.shape(&input.shape).ok_or_else(|| ServiceError::internal("input shape missing"))?;
        return Err(serialization_error(mismatch_message(shape, &value)));
    }
    Ok(from_wire(wire.model, input, value).unwrap_or_else(|| Document::Object(Map::new())))
}

/// A 200 with the output serialized through the output shape (`{}` when there is none).
pub fn encode_response(wire: &Wire, op: &Operation, output: &Document) -> HttpResponse {
    let body = op
        .output
        .as_ref()
        .and_then(|shape| to_wire(wire.model, shape, output))
        .filter(Document::is_object)
        .unwrap_or_else(|| Document::Object(Map::new()));
    let mut headers = HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type(wire.protocol)));
    insert(&mut headers, "x-amzn-requestid", wire.request_id);
    HttpResponse { status: StatusCode::OK, headers, body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()) }
}

/// The error response: status from the resolution, `x-amzn-ErrorType` with the bare shape name,
/// and `{"__type": ..., "<message member>": ..., <other members>}`. `query_mode` (the request had
/// `x-amzn-query-mode: true`) adds `x-amzn-query-error: <awsQuery code>;<Sender|Receiver>`.
pub fn encode_error(
    protocol: Protocol,
    model: Option<&ServiceModel>,
    request_id: &str,
    query_mode: bool,
    resolved: &ResolvedError,
    err: &ServiceError,
) -> HttpResponse {
    let mut body = Map::new();
    let absolute = protocol == Protocol::AwsJson1_0;
    body.insert("__type".to_owned(), Document::String(error_type(model, resolved, absolute)));
    let message_key = resolved.message_member.as_deref().unwrap_or("message");
    if !err.message.is_empty() {
        body.insert(message_key.to_owned(), Document::String(err.message.clone()));
    }
    let error_shape = model.and_then(|m| Some((m, m.error_shape(&resolved.shape_name)?.1)));
    for (name, value) in &err.fields {
        if body.contains_key(name) {
            continue;
        }
        let wire_value = match error_shape {
            // Members the error shape has go through it (timestamp formats); others are dropped.
            Some((m, shape)) => match shape.members.get(name) {
                Some(member) => to_wire(m, member, value),
                None => None,
            },
            None => Some(value.clone()),
        };
        if let Some(v) = wire_value {
            body.insert(name.clone(), v);
        }
    }

    let mut headers = HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type(protocol)));
    insert(&mut headers, "x-amzn-requestid", request_id);
    insert(&mut headers, "x-amzn-errortype", &resolved.shape_name);
    if query_mode {
        insert(&mut headers, "x-amzn-query-error", &query_error_header(resolved));
    }
    HttpResponse {
        status: StatusCode::from_u16(resolved.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        headers,
        body: Bytes::from(serde_json::to_vec(&Document::Object(body)).unwrap_or_default()),
    }
}

fn content_type(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::AwsJson1_0 => "application/x-amz-json-1.0",
        _ => "application/x-amz-json-1.1",
    }
}

pub(crate) fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// `<awsQuery code>;Sender` or `;Receiver` (Smithy `awsQueryCompatible` trait).
pub(crate) fn query_error_header(resolved: &ResolvedError) -> String {
    let fault = if resolved.sender_fault { "Sender" } else { "Receiver" };
    format!("{};{fault}", resolved.query_code)
}

/// The error's name for `__type`: `<namespace>#<Shape>` when `absolute` and the model has the
/// shape, else the bare name.
pub(crate) fn error_type(model: Option<&ServiceModel>, resolved: &ResolvedError, absolute: bool) -> String {
    match model {
        Some(m) if absolute && m.error_shape(&resolved.shape_name).is_some() => {
            format!("{}#{}", smithy_namespace(m), resolved.shape_name)
        }
        _ => resolved.shape_name.clone(),
    }
}

/// The Smithy namespace of an AWS service, which botocore models do not carry: `com.amazonaws.`
/// plus the service id lowercased without spaces or dashes (`CloudWatch` → `com.amazonaws.cloudwatch`,
/// `Secrets Manager` → `com.amazonaws.secretsmanager`), the convention of AWS's Smithy models.
pub(crate) fn smithy_namespace(model: &ServiceModel) -> String {
    let id: String = model
        .metadata
        .service_id
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .flat_map(char::to_lowercase)
        .collect();
    format!("com.amazonaws.{id}")
}

/// The key a structure member has on the JSON wire (`locationName`, else the member name).
pub(crate) fn wire_name<'a>(name: &'a str, member: &'a ShapeRef) -> &'a str {
    match (&member.location_name, member.location) {
        (Some(wire), None) => wire,
        _ => name,
    }
}

/// Wire JSON → document, through `member`'s shape. `None` for `null` (an absent member).
fn from_wire(model: &ServiceModel, member: &ShapeRef, value: Document) -> Option<Document> {
    if value.is_null() {
        return None;
    }
    let Some(shape) = model.shape(&member.shape) else { return Some(value) };
    if shape.document {
        return Some(value);
    }
    Some(match (shape.shape_type, value) {
        (ShapeType::Structure, Document::Object(mut fields)) => {
            let mut out = Map::new();
            for (name, member) in &shape.members {
                if let Some(v) = fields.remove(wire_name(name, member)).and_then(|v| from_wire(model, member, v)) {
                    out.insert(name.clone(), v);
                }
            }
            Document::Object(out)
        }
        (ShapeType::List, Document::Array(items)) => match shape.member.as_deref() {
            // A null element stays, so that the validator reports it where it is.
            Some(element) => Document::Array(
                items.into_iter().map(|i| from_wire(model, element, i).unwrap_or(Document::Null)).collect(),
            ),
            None => Document::Array(items),
        },
        (ShapeType::Map, Document::Object(entries)) => match shape.value.as_deref() {
            Some(value_ref) => Document::Object(
                entries.into_iter().filter_map(|(k, v)| Some((k, from_wire(model, value_ref, v)?))).collect(),
            ),
            None => Document::Object(entries),
        },
        // iso8601 / rfc822 members come as strings; the document holds epoch seconds. A string
        // that is no date stays, and fails validation as a wrong type.
        (ShapeType::Timestamp, Document::String(text)) => match text_millis(&text) {
            Some(millis) => millis_document(millis),
            None => Document::String(text),
        },
        // `5.0` for an integer member: services read integers with `as_i64`.
        (ShapeType::Integer | ShapeType::Long, Document::Number(n)) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Document::from(f as i64),
            _ => Document::Number(n),
        },
        (_, other) => other,
    })
}

/// Document → wire JSON, through `member`'s shape: members the shape lacks and `null`s are
/// dropped, timestamps take the member's format (epoch seconds by default). `None` for nothing.
fn to_wire(model: &ServiceModel, member: &ShapeRef, value: &Document) -> Option<Document> {
    if value.is_null() {
        return None;
    }
    let Some(shape) = model.shape(&member.shape) else { return Some(value.clone()) };
    if shape.document {
        return Some(value.clone());
    }
    Some(match (shape.shape_type, value) {
        (ShapeType::Structure, Document::Object(fields)) => {
            let mut out = Map::new();
            for (name, member) in &shape.members {
                if let Some(v) = fields.get(name).and_then(|v| to_wire(model, member, v)) {
                    out.insert(wire_name(name, member).to_owned(), v);
                }
            }
            Document::Object(out)
        }
        (ShapeType::List, Document::Array(items)) => match shape.member.as_deref() {
            Some(element) => {
                Document::Array(items.iter().map(|i| to_wire(model, element, i).unwrap_or(Document::Null)).collect())
            }
            None => value.clone(),
        },
        (ShapeType::Map, Document::Object(entries)) => match shape.value.as_deref() {
            Some(value_ref) => Document::Object(
                entries.iter().filter_map(|(k, v)| Some((k.clone(), to_wire(model, value_ref, v)?))).collect(),
            ),
            None => value.clone(),
        },
        (ShapeType::Timestamp, _) => {
            let format = member.timestamp_format.as_deref().or(shape.timestamp_format.as_deref());
            timestamp_to_wire(value, format)?
        }
        _ => value.clone(),
    })
}

/// A document timestamp (epoch seconds; a date string is tolerated) in the member's wire format.
fn timestamp_to_wire(value: &Document, format: Option<&str>) -> Option<Document> {
    let millis = epoch_millis(value)?;
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).ok()?;
    Some(match format {
        Some("iso8601") => Document::String(format_iso8601(at)),
        Some("rfc822") => Document::String(format_http_date(at)),
        _ => millis_document(millis),
    })
}

/// Milliseconds since the epoch of a document timestamp, rounded: going through nanoseconds in
/// floating point would turn `.25` into `.249999…` and lose a millisecond.
pub(crate) fn epoch_millis(value: &Document) -> Option<i128> {
    match value {
        Document::String(text) => text_millis(text),
        Document::Number(n) => match n.as_i64() {
            Some(secs) => Some(i128::from(secs) * 1000),
            None => secs_to_millis(n.as_f64()?),
        },
        _ => None,
    }
}

/// Milliseconds since the epoch of a date string in any form clients send.
pub(crate) fn text_millis(text: &str) -> Option<i128> {
    match text.trim().parse::<f64>() {
        Ok(secs) => secs_to_millis(secs),
        Err(_) => Some(parse_timestamp(text)?.unix_timestamp_nanos() / 1_000_000),
    }
}

fn secs_to_millis(secs: f64) -> Option<i128> {
    secs.is_finite().then(|| (secs * 1000.0).round() as i128)
}

/// Milliseconds since the epoch in document form: whole seconds as an integer.
pub(crate) fn millis_document(millis: i128) -> Document {
    if millis % 1000 == 0 { Document::from((millis / 1000) as i64) } else { Document::from(millis as f64 / 1000.0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use serde_json::json;

    fn request(target: &str, body: &str) -> HttpRequest {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-target", HeaderValue::from_str(target).unwrap());
        HttpRequest { method: Method::POST, path: "/".into(), query: String::new(), headers, body: Bytes::from(body.to_owned()) }
    }

    fn wire(service: &str) -> Wire<'static> {
        let model = nimbus_model::service(service).unwrap();
        let protocol = Protocol::from_model(&model.metadata.protocol, model.metadata.json_version.as_deref()).unwrap();
        Wire { protocol, model, request_id: "req-1", query_mode: false }
    }

    #[test]
    fn finds_the_operation_from_the_target_header() {
        let model = nimbus_model::service("secretsmanager").unwrap();
        assert_eq!(operation_name(model, &request("secretsmanager.GetSecretValue", "")), Some("GetSecretValue"));
        assert_eq!(operation_name(model, &request("AmazonSSM.GetSecretValue", "")), None);
        assert_eq!(operation_name(model, &request("secretsmanager.NoSuchThing", "")), None);
        assert_eq!(operation_name(model, &request("GetSecretValue", "")), None);
    }

    #[test]
    fn empty_body_is_an_empty_object_and_junk_is_a_serialization_error() {
        let w = wire("secretsmanager");
        let op = w.model.operation("ListSecrets").unwrap();
        assert_eq!(decode_request(&w, op, &request("secretsmanager.ListSecrets", " ")).unwrap(), json!({}));
        let err = decode_request(&w, op, &request("secretsmanager.ListSecrets", "{\"MaxResults\": ")).unwrap_err();
        assert_eq!(err.code, "SerializationException");
        let err = decode_request(&w, op, &request("secretsmanager.ListSecrets", "[1]")).unwrap_err();
        assert_eq!((err.code.as_ref(), err.message.as_str()), ("SerializationException", "Start of list found where not expected."));
    }

    #[test]
    fn drops_nulls_and_unknown_members_and_normalizes_whole_integers() {
        let w = wire("secretsmanager");
        let op = w.model.operation("ListSecrets").unwrap();
        let doc = decode_request(&w, op, &request("x", r#"{"MaxResults": 5.0, "NextToken": null, "Bogus": 1}"#)).unwrap();
        assert_eq!(doc, json!({"MaxResults": 5}));
        assert!(doc["MaxResults"].is_i64());
    }

    #[test]
    fn timestamps_in_strings_become_epoch_seconds_and_go_out_per_format() {
        assert_eq!(timestamp_to_wire(&json!(1_704_164_645), None), Some(json!(1_704_164_645)));
        assert_eq!(timestamp_to_wire(&json!(1_704_164_645.5), Some("iso8601")), Some(json!("2024-01-02T03:04:05.500Z")));
        assert_eq!(timestamp_to_wire(&json!(1_704_164_645), Some("rfc822")), Some(json!("Tue, 02 Jan 2024 03:04:05 GMT")));
        assert_eq!(timestamp_to_wire(&json!("2024-01-02T03:04:05Z"), None), Some(json!(1_704_164_645)));
        let model = nimbus_model::service("secretsmanager").unwrap();
        let member = ShapeRef { shape: "CreatedDateType".into(), ..Default::default() };
        assert_eq!(from_wire(model, &member, json!("2024-01-02T03:04:05Z")), Some(json!(1_704_164_645)));
        assert_eq!(from_wire(model, &member, json!(1_704_164_645.25)), Some(json!(1_704_164_645.25)));
        assert_eq!(timestamp_to_wire(&json!(1_704_164_700.25), None), Some(json!(1_704_164_700.25)));
        assert_eq!(from_wire(model, &member, json!("1704164700.25")), Some(json!(1_704_164_700.25)));
    }

    #[test]
    fn namespaces_follow_the_service_id() {
        assert_eq!(smithy_namespace(nimbus_model::service("secretsmanager").unwrap()), "com.amazonaws.secretsmanager");
        assert_eq!(smithy_namespace(nimbus_model::service("cloudwatch").unwrap()), "com.amazonaws.cloudwatch");
        assert_eq!(smithy_namespace(nimbus_model::service("logs").unwrap()), "com.amazonaws.cloudwatchlogs");
    }

    #[test]
    fn error_fields_go_through_the_error_shape() {
        let model = nimbus_model::service("ssm").unwrap();
        let err = ServiceError::new("OpsItemLimitExceededException", "too many")
            .with_field("Limit", 5)
            .with_field("NotAMember", "x");
        let resolved = crate::common::resolve_error(Some(model), &err);
        let resp = encode_error(Protocol::AwsJson1_1, Some(model), "r", false, &resolved, &err);
        assert_eq!(
            std::str::from_utf8(&resp.body).unwrap(),
            r#"{"__type":"OpsItemLimitExceededException","Message":"too many","Limit":5}"#
        );
    }
}
