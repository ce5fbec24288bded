//! Smithy RPC v2 CBOR (`smithy.protocols#rpcv2Cbor`), which current CloudWatch SDKs prefer.
//!
//! Per the Smithy spec ("Smithy RPC v2 CBOR protocol"): requests are `POST
//! {prefix?}/service/{ServiceName}/operation/{OperationName}` with `Smithy-Protocol: rpc-v2-cbor`
//! and no `X-Amz-Target`; bodies are CBOR maps keyed by member names; blobs are byte strings;
//! timestamps are tag 1 around epoch seconds (integer or float). Responses carry the same
//! `Smithy-Protocol` header and `Content-Type: application/cbor`; operations with no output have
//! no body and no content type. Errors are the error structure plus `__type` holding the error's
//! absolute shape id (`com.amazonaws.cloudwatch#ResourceNotFound`) — generated clients (Go's among
//! them) match modeled errors on that exact string — and no `X-Amzn-ErrorType` header.
//!
//! Decoding uses `ciborium` (which reads every CBOR form, including indefinite lengths and
//! half-precision floats). Encoding has its own small writer: `ciborium` picks half-precision floats
//! whenever lossless, which the spec says servers SHOULD NOT send.

use base64::Engine;
use bytes::Bytes;
use ciborium::Value as Cbor;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use nimbus_core::{Document, ServiceError};
use nimbus_model::{Operation, ServiceModel, Shape, ShapeRef, ShapeType};
use serde_json::Map;

use crate::common::ResolvedError;
use crate::json::{epoch_millis, error_type, insert, millis_document, query_error_header, text_millis, wire_name};
use crate::validate::serialization_error;
use crate::{HttpRequest, HttpResponse, Wire};

const PROTOCOL_HEADER: &str = "smithy-protocol";
const PROTOCOL_VALUE: &str = "rpc-v2-cbor";
const CONTENT_TYPE: &str = "application/cbor";

/// The operation in the last four path segments. The service segment is the model's
/// `targetPrefix` (the Smithy service shape's name, which botocore also sends), or that name
/// qualified by a namespace with `#` written as `.`, which the spec says servers SHOULD accept.
pub fn operation_name<'m>(model: &'m ServiceModel, req: &HttpRequest) -> Option<&'m str> {
    if req.method != Method::POST {
        return None;
    }
    if req.headers.get(PROTOCOL_HEADER)?.to_str().ok()?.trim() != PROTOCOL_VALUE {
        return None;
    }
    // The spec: a request with either target header is malformed and MUST be rejected.
    if req.headers.contains_key("x-amz-target") || req.headers.contains_key("x-amzn-target") {
        return None;
    }
    let mut segments = req.path.rsplit('/');
    let (operation, operation_word, service, service_word) =
        (segments.next()?, segments.next()?, segments.next()?, segments.next()?);
    if operation_word != "operation" || service_word != "service" {
        return None;
    }
    let name = model.metadata.target_prefix.as_deref()?;
    let qualified = service.strip_suffix(name).is_some_and(|ns| ns.ends_with('.'));
    if service != name && !qualified {
        return None;
    }
    model.operations.get_key_value(operation).map(|(name, _)| name.as_str())
}

/// Reads the CBOR body into the operation's input document: byte strings become base64 strings,
/// tag-1 timestamps epoch-seconds numbers, `null`/`undefined` members absent. Empty body = `{}`.
pub fn decode_request(wire: &Wire, op: &Operation, req: &HttpRequest) -> Result<Document, ServiceError> {
    if req.body.is_empty() {
        return Ok(Document::Object(Map::new()));
    }
    let value: Cbor = ciborium::de::from_reader(&req.body[..])
        .map_err(|e| serialization_error(format!("Malformed CBOR request body: {e}")))?;
    let Some(input) = &op.input else {
        return Ok(Document::Object(Map::new()));
    };
    if !value.is_map() {
        return Err(serialization_error("The request body must be a CBOR map holding the input structure"));
    }
    Ok(from_cbor(wire.model, Some(input), value)?.unwrap_or_else(|| Document::Object(Map::new())))
}

/// A 200 with the output structure as a CBOR map; no body at all when the operation has no output.
pub fn encode_response(wire: &Wire, op: &Operation, output: &Document) -> HttpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(PROTOCOL_HEADER, HeaderValue::from_static(PROTOCOL_VALUE));
    insert(&mut headers, "x-amzn-requestid", wire.request_id);
    let body = match &op.output {
        None => Bytes::new(),
        Some(shape) => {
            headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            let mut writer = Writer::default();
            if output.is_object() {
                writer.value(wire.model, Some(shape), output);
            } else {
                writer.head(MAP, 0);
            }
            Bytes::from(writer.0)
        }
    };
    HttpResponse { status: StatusCode::OK, headers, body }
}

/// The error response: `{"__type": <absolute shape id>, "<message member>": ..., <members>}`.
/// Unmodeled (common) errors keep their bare name, having no namespace to give. `query_mode`
/// adds `x-amzn-query-error` as for awsJson (the Smithy query-compatible rpcv2Cbor tests).
pub fn encode_error(
    model: Option<&ServiceModel>,
    request_id: &str,
    query_mode: bool,
    resolved: &ResolvedError,
    err: &ServiceError,
) -> HttpResponse {
    let error_shape = model.and_then(|m| Some((m, m.error_shape(&resolved.shape_name)?.1)));
    let message_key = resolved.message_member.as_deref().unwrap_or("message");
    let mut entries: Vec<(&str, Option<&ShapeRef>, &Document)> = Vec::new();
    let message = Document::String(err.message.clone());
    if !err.message.is_empty() {
        entries.push((message_key, None, &message));
    }
    for (name, value) in &err.fields {
        if name == "__type" || name == message_key || value.is_null() {
            continue;
        }
        match error_shape {
            Some((_, shape)) => {
                if let Some(member) = shape.members.get(name) {
                    entries.push((wire_name(name, member), Some(member), value));
                }
            }
            None => entries.push((name, None, value)),
        }
    }

    let mut writer = Writer::default();
    writer.head(MAP, entries.len() as u64 + 1);
    writer.text("__type");
    writer.text(&error_type(model, resolved, true));
    for (key, member, value) in entries {
        writer.text(key);
        match (error_shape, member) {
            (Some((m, _)), Some(member)) => writer.value(m, Some(member), value),
            _ => writer.untyped(value),
        }
    }

    let mut headers = HeaderMap::new();
    headers.insert(PROTOCOL_HEADER, HeaderValue::from_static(PROTOCOL_VALUE));
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    insert(&mut headers, "x-amzn-requestid", request_id);
    if query_mode {
        insert(&mut headers, "x-amzn-query-error", &query_error_header(resolved));
    }
    HttpResponse {
        status: StatusCode::from_u16(resolved.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        headers,
        body: Bytes::from(writer.0),
    }
}

fn wrong_type(expected: &str, found: &str) -> ServiceError {
    serialization_error(format!("Expected {expected} but found {found}"))
}

/// A CBOR value → document, through `member`'s shape (`None`: no shape known, convert as is).
/// `Ok(None)` for `null` and `undefined`, which mean absent.
fn from_cbor(model: &ServiceModel, member: Option<&ShapeRef>, value: Cbor) -> Result<Option<Document>, ServiceError> {
    let shape: Option<&Shape> = member.and_then(|m| model.shape(&m.shape)).filter(|s| !s.document);
    let kind = shape.map(|s| s.shape_type);
    Ok(Some(match value {
        Cbor::Null => return Ok(None),
        Cbor::Tag(1, inner) => epoch_seconds(*inner)?,
        Cbor::Tag(2..=5, _) => {
            // Bignums and decimal fractions: the spec says to fail rather than lose precision.
            return Err(serialization_error("Arbitrary-precision numbers are not supported"));
        }
        Cbor::Tag(_, inner) => return from_cbor(model, member, *inner),
        Cbor::Bytes(bytes) => match kind {
            None | Some(ShapeType::Blob) => nimbus_core::document::blob(&bytes),
            Some(_) => return Err(wrong_type("a text string or number", "a byte string")),
        },
        Cbor::Text(text) => match kind {
            Some(ShapeType::Blob) => return Err(wrong_type("a byte string", "a text string")),
            // Not the protocol's form, but unambiguous: accept a date string for a timestamp.
            Some(ShapeType::Timestamp) => match text_millis(&text) {
                Some(millis) => millis_document(millis),
                None => Document::String(text),
            },
            _ => Document::String(text),
        },
        Cbor::Integer(int) => integer(i128::from(int)),
        Cbor::Float(f) => float(f, kind),
        Cbor::Bool(b) => Document::Bool(b),
        Cbor::Array(items) => {
            let element = shape.and_then(|s| s.member.as_deref());
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                // A null element stays, so that the validator reports it where it is.
                out.push(from_cbor(model, element, item)?.unwrap_or(Document::Null));
            }
            Document::Array(out)
        }
        Cbor::Map(entries) => {
            let mut out = Map::new();
            for (key, item) in entries {
                let Cbor::Text(key) = key else {
                    return Err(serialization_error("CBOR map keys must be text strings"));
                };
                let (name, item_ref) = match shape {
                    Some(s) if s.shape_type == ShapeType::Structure => {
                        // Unknown members (a union's `__type` among them) are ignored.
                        match s.members.iter().find(|(name, m)| wire_name(name, m) == key) {
                            Some((name, m)) => (name.clone(), Some(m)),
                            None => continue,
                        }
                    }
                    Some(s) if s.shape_type == ShapeType::Map => (key, s.value.as_deref()),
                    _ => (key, None),
                };
                if let Some(v) = from_cbor(model, item_ref, item)? {
                    out.insert(name, v);
                }
            }
            Document::Object(out)
        }
        _ => return Err(serialization_error("Unsupported CBOR value")),
    }))
}

/// The content of a tag-1 timestamp, in document form (millisecond resolution, per the spec).
fn epoch_seconds(inner: Cbor) -> Result<Document, ServiceError> {
    let secs = match inner {
        Cbor::Integer(int) => return Ok(integer(i128::from(int))),
        Cbor::Float(f) if f.is_finite() => f,
        _ => return Err(serialization_error("A tag-1 timestamp must hold a finite number")),
    };
    Ok(millis_document((secs * 1000.0).round() as i128))
}

fn integer(i: i128) -> Document {
    if let Ok(i) = i64::try_from(i) {
        Document::from(i)
    } else if let Ok(u) = u64::try_from(i) {
        Document::from(u)
    } else {
        Document::from(i as f64)
    }
}

/// A float in document form: whole numbers for integer members (services read them with
/// `as_i64`), the JSON protocols' strings for non-finite values.
fn float(f: f64, kind: Option<ShapeType>) -> Document {
    if f.is_nan() {
        return Document::String("NaN".into());
    }
    if f.is_infinite() {
        return Document::String(if f > 0.0 { "Infinity" } else { "-Infinity" }.into());
    }
    match kind {
        Some(ShapeType::Integer | ShapeType::Long) if f.fract() == 0.0 && f.abs() < 9.0e15 => Document::from(f as i64),
        _ => Document::from(f),
    }
}

const UNSIGNED: u8 = 0;
const NEGATIVE: u8 = 1;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const TAG: u8 = 6;

/// A CBOR writer for responses: definite lengths, shortest integer heads, floats as single
/// precision when that is exact and double otherwise (never half precision).
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn head(&mut self, major: u8, n: u64) {
        let major = major << 5;
        if n < 24 {
            self.0.push(major | n as u8);
        } else if let Ok(n) = u8::try_from(n) {
            self.0.extend([major | 24, n]);
        } else if let Ok(n) = u16::try_from(n) {
            self.0.push(major | 25);
            self.0.extend(n.to_be_bytes());
        } else if let Ok(n) = u32::try_from(n) {
            self.0.push(major | 26);
            self.0.extend(n.to_be_bytes());
        } else {
            self.0.push(major | 27);
            self.0.extend(n.to_be_bytes());
        }
    }

    fn text(&mut self, s: &str) {
        self.head(TEXT, s.len() as u64);
        self.0.extend(s.as_bytes());
    }

    fn bytes(&mut self, b: &[u8]) {
        self.head(BYTES, b.len() as u64);
        self.0.extend(b);
    }

    fn int(&mut self, i: i128) {
        if i >= 0 {
            self.head(UNSIGNED, i as u64);
        } else {
            self.head(NEGATIVE, (-1 - i) as u64);
        }
    }

    fn float(&mut self, f: f64) {
        let single = f as f32;
        if f64::from(single) == f || f.is_nan() {
            self.0.push(0xfa);
            self.0.extend(single.to_be_bytes());
        } else {
            self.0.push(0xfb);
            self.0.extend(f.to_be_bytes());
        }
    }

    fn simple(&mut self, byte: u8) {
        self.0.push(byte);
    }

    fn null(&mut self) {
        self.simple(0xf6);
    }

    fn bool(&mut self, b: bool) {
        self.simple(if b { 0xf5 } else { 0xf4 });
    }

    /// A number with no shape to say otherwise: integers as integers, the rest as floats.
    fn number(&mut self, n: &serde_json::Number) {
        if let Some(i) = n.as_i64() {
            self.int(i.into());
        } else if let Some(u) = n.as_u64() {
            self.int(u.into());
        } else {
            self.float(n.as_f64().unwrap_or(f64::NAN));
        }
    }

    /// A document value through `member`'s shape: blobs to byte strings, timestamps to tag 1,
    /// floats as floats; structure members the shape lacks, and nulls, are left out.
    fn value(&mut self, model: &ServiceModel, member: Option<&ShapeRef>, value: &Document) {
        let Some(shape) = member.and_then(|m| model.shape(&m.shape)).filter(|s| !s.document) else {
            return self.untyped(value);
        };
        match (shape.shape_type, value) {
            (_, Document::Null) => self.null(),
            (ShapeType::Structure, Document::Object(fields)) => {
                let present: Vec<(&str, &ShapeRef, &Document)> = shape
                    .members
                    .iter()
                    .filter_map(|(name, m)| {
                        let v = fields.get(name).filter(|v| !v.is_null())?;
                        Some((wire_name(name, m), m, v))
                    })
                    .collect();
                self.head(MAP, present.len() as u64);
                for (key, m, v) in present {
                    self.text(key);
                    self.value(model, Some(m), v);
                }
            }
            (ShapeType::List, Document::Array(items)) => {
                self.head(ARRAY, items.len() as u64);
                for item in items {
                    self.value(model, shape.member.as_deref(), item);
                }
            }
            (ShapeType::Map, Document::Object(entries)) => {
                let present: Vec<_> = entries.iter().filter(|(_, v)| !v.is_null()).collect();
                self.head(MAP, present.len() as u64);
                for (key, v) in present {
                    self.text(key);
                    self.value(model, shape.value.as_deref(), v);
                }
            }
            (ShapeType::Blob, Document::String(encoded)) => {
                match base64::engine::general_purpose::STANDARD.decode(encoded) {
                    Ok(raw) => self.bytes(&raw),
                    Err(_) => self.text(encoded),
                }
            }
            (ShapeType::Timestamp, _) => {
                let Some(millis) = epoch_millis(value) else { return self.untyped(value) };
                self.head(TAG, 1);
                if millis % 1000 == 0 {
                    self.int(millis / 1000);
                } else {
                    self.float(millis as f64 / 1000.0);
                }
            }
            (ShapeType::Float | ShapeType::Double, Document::Number(n)) => self.float(n.as_f64().unwrap_or(f64::NAN)),
            (ShapeType::Float | ShapeType::Double, Document::String(s)) if matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") => {
                self.float(match s.as_str() {
                    "NaN" => f64::NAN,
                    "Infinity" => f64::INFINITY,
                    _ => f64::NEG_INFINITY,
                })
            }
            (ShapeType::Integer | ShapeType::Long, Document::Number(n)) => match n.as_f64() {
                Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => self.int(f as i128),
                _ => self.number(n),
            },
            _ => self.untyped(value),
        }
    }

    /// A document value with no shape: strings as text, objects as maps.
    fn untyped(&mut self, value: &Document) {
        match value {
            Document::Null => self.null(),
            Document::Bool(b) => self.bool(*b),
            Document::Number(n) => self.number(n),
            Document::String(s) => self.text(s),
            Document::Array(items) => {
                self.head(ARRAY, items.len() as u64);
                for item in items {
                    self.untyped(item);
                }
            }
            Document::Object(entries) => {
                let present: Vec<_> = entries.iter().filter(|(_, v)| !v.is_null()).collect();
                self.head(MAP, present.len() as u64);
                for (key, v) in present {
                    self.text(key);
                    self.untyped(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(path: &str, headers: &[(&'static str, &str)], body: Vec<u8>) -> HttpRequest {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        HttpRequest { method: Method::POST, path: path.into(), query: String::new(), headers: map, body: Bytes::from(body) }
    }

    fn cloudwatch() -> &'static ServiceModel {
        nimbus_model::service("cloudwatch").unwrap()
    }

    #[test]
    fn routes_by_path_and_requires_the_protocol_header() {
        let cw = cloudwatch();
        let smithy = [("smithy-protocol", "rpc-v2-cbor")];
        let path = "/service/GraniteServiceVersion20100801/operation/PutMetricData";
        assert_eq!(operation_name(cw, &request(path, &smithy, vec![])), Some("PutMetricData"));
        let prefixed = "/v1/service/com.amazonaws.cloudwatch.GraniteServiceVersion20100801/operation/ListMetrics";
        assert_eq!(operation_name(cw, &request(prefixed, &smithy, vec![])), Some("ListMetrics"));
        assert_eq!(operation_name(cw, &request(path, &[], vec![])), None);
        let with_target = [("smithy-protocol", "rpc-v2-cbor"), ("x-amz-target", "GraniteServiceVersion20100801.PutMetricData")];
        assert_eq!(operation_name(cw, &request(path, &with_target, vec![])), None);
        assert_eq!(operation_name(cw, &request("/service/CloudWatch/operation/PutMetricData", &smithy, vec![])), None);
        assert_eq!(operation_name(cw, &request("/service/GraniteServiceVersion20100801/operation/Nope", &smithy, vec![])), None);
        assert_eq!(operation_name(cw, &request("/operation/PutMetricData", &smithy, vec![])), None);
    }

    #[test]
    fn writer_uses_shortest_heads_and_never_half_floats() {
        let mut w = Writer::default();
        w.int(23);
        w.int(24);
        w.int(-1);
        w.int(-25);
        w.int(65_536);
        w.float(1.5);
        w.float(0.1);
        let expected: Vec<u8> = [
            &[0x17, 0x18, 0x18, 0x20, 0x38, 0x18][..],
            &[0x1a, 0x00, 0x01, 0x00, 0x00],
            &[0xfa, 0x3f, 0xc0, 0x00, 0x00],
            &[0xfb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a],
        ]
        .concat();
        assert_eq!(w.0, expected);
    }

    #[test]
    fn decodes_indefinite_lengths_half_floats_undefined_and_tags() {
        let model = cloudwatch();
        let wire = Wire { protocol: crate::Protocol::RpcV2Cbor, model, request_id: "r", query_mode: false };
        let op = model.operation("PutMetricData").unwrap();
        // {_ "Namespace": "A", "MetricData": [_ {"MetricName": "m", "Value": f16 1.5,
        //   "Timestamp": 1(f64 1.25), "Unit": undefined} ] }
        let body = [
            &[0xbf, 0x69][..],
            b"Namespace",
            &[0x61, b'A', 0x6a],
            b"MetricData",
            &[0x9f, 0xa4, 0x6a],
            b"MetricName",
            &[0x61, b'm', 0x65],
            b"Value",
            &[0xf9, 0x3e, 0x00, 0x69],
            b"Timestamp",
            &[0xc1, 0xfb, 0x3f, 0xf4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64],
            b"Unit",
            &[0xf7, 0xff, 0xff],
        ]
        .concat();
        let doc = decode_request(&wire, op, &request("/", &[], body)).unwrap();
        assert_eq!(doc, json!({"Namespace": "A", "MetricData": [{"MetricName": "m", "Timestamp": 1.25, "Value": 1.5}]}));
    }

    #[test]
    fn rejects_malformed_bodies_and_misplaced_byte_strings() {
        let model = cloudwatch();
        let wire = Wire { protocol: crate::Protocol::RpcV2Cbor, model, request_id: "r", query_mode: false };
        let op = model.operation("PutMetricData").unwrap();
        let err = decode_request(&wire, op, &request("/", &[], vec![0xa1, 0x69])).unwrap_err();
        assert_eq!(err.code, "SerializationException");
        let err = decode_request(&wire, op, &request("/", &[], vec![0x80])).unwrap_err();
        assert_eq!(err.code, "SerializationException");
        let body = [&[0xa1, 0x69][..], b"Namespace", &[0x41, b'A']].concat();
        let err = decode_request(&wire, op, &request("/", &[], body)).unwrap_err();
        assert_eq!(err.message, "Expected a text string or number but found a byte string");
        // Tag 4, a decimal fraction (273.15): no model member can hold it exactly.
        let decimal = [&[0xa1, 0x69][..], b"Namespace", &[0xc4, 0x82, 0x21, 0x19, 0x6a, 0xb3]].concat();
        let err = decode_request(&wire, op, &request("/", &[], decimal)).unwrap_err();
        assert_eq!(err.message, "Arbitrary-precision numbers are not supported");
    }

    #[test]
    fn round_trips_blobs_and_timestamps_through_the_shapes() {
        let model = cloudwatch();
        let op = model.operation("GetMetricWidgetImage").unwrap();
        let wire = Wire { protocol: crate::Protocol::RpcV2Cbor, model, request_id: "r", query_mode: false };
        let resp = encode_response(&wire, op, &json!({"MetricWidgetImage": "aGkA"}));
        let expected = [&[0xa1, 0x71][..], b"MetricWidgetImage", &[0x43, b'h', b'i', 0x00]].concat();
        assert_eq!(resp.body.as_ref(), expected);
        let value: Cbor = ciborium::de::from_reader(resp.body.as_ref()).unwrap();
        let back = from_cbor(model, op.output.as_ref(), value).unwrap().unwrap();
        assert_eq!(back, json!({"MetricWidgetImage": "aGkA"}));
    }

    #[test]
    fn operations_without_output_have_no_body_or_content_type() {
        let model = cloudwatch();
        let op = model.operation("PutMetricData").unwrap();
        assert!(op.output.is_none());
        let wire = Wire { protocol: crate::Protocol::RpcV2Cbor, model, request_id: "r", query_mode: false };
        let resp = encode_response(&wire, op, &json!({}));
        assert!(resp.body.is_empty());
        assert!(resp.headers.get("content-type").is_none());
        assert_eq!(resp.headers["smithy-protocol"], "rpc-v2-cbor");
    }
}
