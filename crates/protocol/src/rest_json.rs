//! restJson1 (Lambda, API Gateway v2, SES v2): HTTP bindings plus a JSON body.
//!
//! Per the Smithy restJson1 spec and its protocol tests:
//! - members bound to the URI, query string and headers are read by [`crate::rest`]; the rest form
//!   a JSON object keyed by each member's `locationName` (Smithy's `jsonName`), or the `payload`
//!   member is the whole body (a blob as raw bytes, a string as text, a structure as JSON);
//! - body timestamps are epoch seconds unless `timestampFormat` says otherwise, headers' are HTTP
//!   dates, blobs base64;
//! - a value that cannot be parsed as its type is a 400 `SerializationException`
//!   (`malformedRequests/*.smithy`);
//! - errors carry `X-Amzn-ErrorType: <shape name>` and a JSON body of the error's members
//!   (`errors.smithy`), empty outputs an empty body (`empty-input-output.smithy`).

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use nimbus_core::{Document, ServiceError};
use nimbus_model::{Operation, ServiceModel, Shape, ShapeRef, ShapeType};
use serde_json::Map;

use crate::common::{ResolvedError, TimestampFormat, parse_timestamp};
use crate::rest;
use crate::{HttpRequest, HttpResponse, Wire};

fn serialization_error(message: impl Into<String>) -> ServiceError {
    ServiceError::new("SerializationException", message).with_status(400)
}


/// Decodes labels, query string, headers and the JSON (or payload) body into the input document.
pub fn decode_request(wire: &Wire, op: &Operation, req: &HttpRequest) -> Result<Document, ServiceError> {
    let model = wire.model;
    let Some(input) = op.input.as_ref().and_then(|r| model.shape(&r.shape)) else {
        return Ok(Document::Object(Map::new()));
    };
    let mut doc = rest::decode_bindings(model, op, input, req);
    match rest::payload_member(input) {
        Some((name, member)) => {
            let Some(target) = model.shape(&member.shape) else { return Ok(Document::Object(doc)) };
            if req.body.is_empty() {
                return Ok(Document::Object(doc));
            }
            let value = match target.shape_type {
                ShapeType::Blob => nimbus_core::document::blob(&req.body),
                ShapeType::String => Document::String(
                    std::str::from_utf8(&req.body).map_err(|_| serialization_error("The request body is not valid UTF-8"))?.to_owned(),
                ),
                _ => {
                    let json = parse_body(&req.body)?;
                    match from_wire(model, target, json) {
                        Some(v) => v,
                        None => return Ok(Document::Object(doc)),
                    }
                }
            };
            doc.insert(name.to_owned(), value);
        }
        None => {
            // A body where the input has no body members (a GET's) is ignored, as AWS does.
            if req.body.iter().all(u8::is_ascii_whitespace) || !rest::has_body_members(input) {
                return Ok(Document::Object(doc));
            }
            let Document::Object(body) = parse_body(&req.body)? else {
                return Err(serialization_error("The request body must be a JSON object"));
            };
            for (name, member) in &input.members {
                if member.location.is_some() {
                    continue;
                }
                let Some(target) = model.shape(&member.shape) else { continue };
                let key = member.location_name.as_deref().unwrap_or(name);
                let Some(value) = body.get(key) else { continue };
                if let Some(v) = from_wire(model, target, value.clone()) {
                    doc.insert(name.clone(), v);
                }
            }
        }
    }
    Ok(Document::Object(doc))
}

fn parse_body(body: &[u8]) -> Result<Document, ServiceError> {
    serde_json::from_slice(body).map_err(|e| serialization_error(format!("The request body is not valid JSON: {e}")))
}

/// Converts a wire JSON value into document form along the shape: keys from `locationName` to
/// member names, timestamp strings to epoch seconds, nulls dropped. Types are otherwise left to
/// the validator, which answers `SerializationException` for a value of the wrong type.
pub fn from_wire(model: &ServiceModel, shape: &Shape, value: Document) -> Option<Document> {
    Some(match (shape.shape_type, value) {
        (_, Document::Null) => return None,
        (ShapeType::Structure, Document::Object(mut object)) if !shape.document => {
            let mut out = Map::new();
            for (name, m) in &shape.members {
                let key = m.location_name.as_deref().unwrap_or(name);
                let Some(v) = object.remove(key) else { continue };
                let Some(target) = model.shape(&m.shape) else { continue };
                if let Some(v) = from_wire(model, target, v) {
                    out.insert(name.clone(), v);
                }
            }
            Document::Object(out)
        }
        (ShapeType::List, Document::Array(items)) => {
            let Some(item_shape) = shape.member.as_deref().and_then(|m| model.shape(&m.shape)) else {
                return Some(Document::Array(items));
            };
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.extend(from_wire(model, item_shape, item));
            }
            Document::Array(out)
        }
        (ShapeType::Map, Document::Object(entries)) => {
            let Some(value_shape) = shape.value.as_deref().and_then(|m| model.shape(&m.shape)) else {
                return Some(Document::Object(entries));
            };
            let mut out = Map::new();
            for (k, v) in entries {
                if let Some(v) = from_wire(model, value_shape, v) {
                    out.insert(k, v);
                }
            }
            Document::Object(out)
        }
        (ShapeType::Timestamp, Document::String(text)) => match parse_timestamp(&text) {
            Some(at) => nimbus_core::document::timestamp(at),
            None => Document::String(text),
        },
        (_, other) => other,
    })
}

/// Converts a document value into wire JSON along the shape: keys to `locationName`, timestamps
/// to the member's format (epoch seconds by default), members bound outside the body dropped.
pub fn to_wire(model: &ServiceModel, member: &ShapeRef, shape: &Shape, value: &Document) -> Document {
    match (shape.shape_type, value) {
        (ShapeType::Structure, Document::Object(object)) if !shape.document => {
            let mut out = Map::new();
            for (name, m) in &shape.members {
                if m.location.is_some() {
                    continue;
                }
                let (Some(v), Some(target)) = (object.get(name), model.shape(&m.shape)) else { continue };
                if v.is_null() {
                    continue;
                }
                out.insert(m.location_name.clone().unwrap_or_else(|| name.clone()), to_wire(model, m, target, v));
            }
            Document::Object(out)
        }
        (ShapeType::List, Document::Array(items)) => match shape.member.as_deref().and_then(|m| Some((m, model.shape(&m.shape)?))) {
            Some((item_ref, item_shape)) => Document::Array(items.iter().map(|i| to_wire(model, item_ref, item_shape, i)).collect()),
            None => value.clone(),
        },
        (ShapeType::Map, Document::Object(entries)) => match shape.value.as_deref().and_then(|m| Some((m, model.shape(&m.shape)?))) {
            Some((value_ref, value_shape)) => {
                Document::Object(entries.iter().map(|(k, v)| (k.clone(), to_wire(model, value_ref, value_shape, v))).collect())
            }
            None => value.clone(),
        },
        (ShapeType::Timestamp, _) => {
            let epoch = match value {
                Document::String(text) => match parse_timestamp(text) {
                    Some(at) => nimbus_core::document::timestamp(at),
                    None => return value.clone(),
                },
                other => other.clone(),
            };
            match TimestampFormat::of(member, shape, TimestampFormat::EpochSeconds) {
                TimestampFormat::EpochSeconds => epoch,
                format => format.format(&epoch).map(Document::String).unwrap_or(epoch),
            }
        }
        _ => value.clone(),
    }
}

fn base_headers(request_id: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    headers
}

fn set_content_type(headers: &mut HeaderMap, value: &'static str) {
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
    }
}

/// Serializes the output: status from `http.responseCode` (or a `statusCode` member), header
/// members, and the body members as JSON (or the payload member as the body).
pub fn encode_response(wire: &Wire, op: &Operation, output: &Document) -> HttpResponse {
    let model = wire.model;
    let mut headers = base_headers(wire.request_id);
    let mut status = op.http.response_code.unwrap_or(200);
    let mut body = Bytes::new();
    if let Some((output_ref, shape)) = op.output.as_ref().and_then(|r| Some((r, model.shape(&r.shape)?))) {
        if let Some(code) = rest::encode_bindings(model, shape, output, &mut headers) {
            status = code;
        }
        match rest::payload_member(shape) {
            Some((name, member)) => {
                if let (Some(value), Some(target)) = (output.get(name).filter(|v| !v.is_null()), model.shape(&member.shape)) {
                    body = payload_body(model, member, target, value, &mut headers);
                }
            }
            None if rest::has_body_members(shape) => {
                let json = to_wire(model, output_ref, shape, output);
                let json = if json.is_object() { json } else { Document::Object(Map::new()) };
                body = Bytes::from(json.to_string());
                set_content_type(&mut headers, "application/json");
            }
            None => {}
        }
    }
    HttpResponse { status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK), headers, body }
}

/// The body a payload member makes: a blob's bytes, a string's text, anything else as JSON.
fn payload_body(model: &ServiceModel, member: &ShapeRef, shape: &Shape, value: &Document, headers: &mut HeaderMap) -> Bytes {
    match (shape.shape_type, value) {
        (ShapeType::Blob, Document::String(encoded)) => {
            set_content_type(headers, "application/octet-stream");
            // A service that put raw text where base64 belongs still gets its bytes sent.
            Bytes::from(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap_or_else(|_| encoded.clone().into_bytes()))
        }
        (ShapeType::String, Document::String(text)) => {
            set_content_type(headers, "text/plain");
            Bytes::from(text.clone())
        }
        _ => {
            set_content_type(headers, "application/json");
            Bytes::from(to_wire(model, member, shape, value).to_string())
        }
    }
}

/// Serializes an error: `X-Amzn-ErrorType` names the error shape, the body holds the message
/// under the shape's message member (its `locationName`; `message` for errors the model lacks)
/// and the other members given in `err.fields`; header-bound members go to headers.
pub fn encode_error(model: Option<&ServiceModel>, request_id: &str, resolved: &ResolvedError, err: &ServiceError) -> HttpResponse {
    let mut headers = base_headers(request_id);
    if let Ok(kind) = HeaderValue::from_str(&resolved.shape_name) {
        headers.insert("x-amzn-errortype", kind);
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut body = Map::new();
    match model.and_then(|m| Some((m, m.error_shape(&err.code)?.1))) {
        Some((model, shape)) => {
            let mut fields = err.fields.clone();
            for (name, member) in &shape.members {
                if resolved.message_member.as_deref() == Some(name.as_str()) {
                    if !err.message.is_empty() {
                        fields.insert(name.clone(), Document::String(err.message.clone()));
                    }
                } else if name == "Type" && member.location.is_none() && !fields.contains_key(name) {
                    // Lambda's errors say whose fault they are in a `Type` member: `User` or
                    // `Service`.
                    let side = if resolved.sender_fault { "User" } else { "Service" };
                    fields.insert(name.clone(), Document::String(side.to_owned()));
                }
            }
            let fields = Document::Object(fields);
            rest::encode_bindings(model, shape, &fields, &mut headers);
            if let Document::Object(wire_fields) = to_wire(model, &ShapeRef::default(), shape, &fields) {
                body = wire_fields;
            }
        }
        None => {
            if !err.message.is_empty() {
                body.insert("message".to_owned(), Document::String(err.message.clone()));
            }
            for (k, v) in &err.fields {
                body.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    let status = StatusCode::from_u16(resolved.status).unwrap_or(StatusCode::BAD_REQUEST);
    HttpResponse { status, headers, body: Bytes::from(Document::Object(body).to_string()) }
}
