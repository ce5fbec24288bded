//! restXml (Route 53, CloudFront): HTTP bindings plus an XML body. S3 is served by s3s elsewhere.
//!
//! Per the Smithy restXml spec and protocol tests, and Route 53's "REST Responses" page:
//! - members bound to the URI, query string and headers are read by [`crate::rest`]; the others
//!   are the children of the body's root element (the input's `locationName`, in the service
//!   namespace), or the `payload` member is the whole body;
//! - responses start with the XML declaration, their root is the output shape's name (or
//!   `locationName`) in the service namespace, and carry `x-amz-request-id`;
//! - empty outputs have an empty body (`empty-input-output.smithy`);
//! - errors are `<ErrorResponse xmlns=ns><Error><Type/><Code/><Message/>…</Error><RequestId/>
//!   </ErrorResponse>` (`errors.smithy`; the namespace is what Route 53 and CloudFront send).

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use nimbus_core::{Document, ServiceError};
use nimbus_model::{Operation, ServiceModel, Shape, ShapeRef, ShapeType};
use serde_json::Map;

use crate::common::ResolvedError;
use crate::rest;
use crate::xml::{self, DECLARATION, XmlWriter};
use crate::{HttpRequest, HttpResponse, Wire};

/// The error for input that cannot be read: the service's own code for it where the model has one
/// (Route 53 `InvalidInput`, CloudFront `InvalidArgument`), else `MalformedXML`.
fn input_error(model: &ServiceModel, message: String) -> ServiceError {
    let code = ["InvalidInput", "InvalidArgument"].into_iter().find(|c| model.error_shape(c).is_some()).unwrap_or("MalformedXML");
    ServiceError::new(code, message)
}

/// Decodes labels, query string, headers and the XML (or payload) body into the input document.
pub fn decode_request(wire: &Wire, op: &Operation, req: &HttpRequest) -> Result<Document, ServiceError> {
    let model = wire.model;
    let Some(input) = op.input.as_ref().and_then(|r| model.shape(&r.shape)) else {
        return Ok(Document::Object(Map::new()));
    };
    let mut doc = rest::decode_bindings(model, op, input, req);
    let blank = req.body.iter().all(u8::is_ascii_whitespace);
    match rest::payload_member(input) {
        Some((name, member)) => {
            let Some(target) = model.shape(&member.shape) else { return Ok(Document::Object(doc)) };
            if req.body.is_empty() {
                return Ok(Document::Object(doc));
            }
            let value = match target.shape_type {
                ShapeType::Blob => nimbus_core::document::blob(&req.body),
                ShapeType::String => Document::String(
                    std::str::from_utf8(&req.body).map_err(|_| input_error(model, "The request body is not valid UTF-8".to_owned()))?.to_owned(),
                ),
                _ if blank => return Ok(Document::Object(doc)),
                _ => {
                    let root = xml::parse(&req.body).map_err(|e| input_error(model, e))?;
                    xml::read_value(model, member, &root)
                }
            };
            doc.insert(name.to_owned(), value);
        }
        // A body where the input has no body members (a GET's) is ignored, as AWS does.
        None if !blank && rest::has_body_members(input) => {
            let root = xml::parse(&req.body).map_err(|e| input_error(model, e))?;
            let body = xml::read_structure(model, input, &root);
            for (k, v) in body {
                doc.entry(k).or_insert(v);
            }
        }
        None => {}
    }
    Ok(Document::Object(doc))
}

fn base_headers(request_id: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amz-request-id", id);
    }
    headers
}

fn set_content_type(headers: &mut HeaderMap, value: &'static str) {
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
    }
}

/// The `xmlns` of a root element: its own trait, else the service's namespace.
fn root_namespace(model: &ServiceModel, member: Option<&ShapeRef>, shape: &Shape) -> Vec<(String, String)> {
    match member.and_then(|m| m.xml_namespace.as_ref()).or(shape.xml_namespace.as_ref()) {
        Some(ns) => vec![xml::namespace_attribute(ns)],
        None => xml::service_namespace(model).map(|ns| ("xmlns".to_owned(), ns.to_owned())).into_iter().collect(),
    }
}

/// Serializes the output: status from `http.responseCode` (or a `statusCode` member), header
/// members, and the body members under the output's root element (or the payload member).
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
                    body = payload_body(model, name, member, target, value, &mut headers);
                }
            }
            None if rest::has_body_members(shape) => {
                let root = output_ref.location_name.as_deref().or(shape.location_name.as_deref()).unwrap_or(&output_ref.shape);
                let mut w = XmlWriter::new(model);
                w.raw(DECLARATION);
                w.structure_element(root, shape, output, root_namespace(model, Some(output_ref), shape));
                body = Bytes::from(w.finish());
                set_content_type(&mut headers, "text/xml");
            }
            None => {}
        }
    }
    HttpResponse { status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK), headers, body }
}

/// The body a payload member makes: a blob's bytes, a string's text, a structure as the root
/// element named by the member's `locationName` (else the shape's, else the member name).
fn payload_body(model: &ServiceModel, name: &str, member: &ShapeRef, shape: &Shape, value: &Document, headers: &mut HeaderMap) -> Bytes {
    match (shape.shape_type, value) {
        (ShapeType::Blob, Document::String(encoded)) => {
            set_content_type(headers, "application/octet-stream");
            Bytes::from(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap_or_else(|_| encoded.clone().into_bytes()))
        }
        (ShapeType::String, Document::String(text)) => {
            set_content_type(headers, "text/plain");
            Bytes::from(text.clone())
        }
        (ShapeType::Structure, _) => {
            let root = member.location_name.as_deref().or(shape.location_name.as_deref()).unwrap_or(name);
            let mut w = XmlWriter::new(model);
            w.raw(DECLARATION);
            w.structure_element(root, shape, value, root_namespace(model, Some(member), shape));
            set_content_type(headers, "text/xml");
            Bytes::from(w.finish())
        }
        _ => {
            let mut w = XmlWriter::new(model);
            w.raw(DECLARATION);
            w.element(name, member, value, &[]);
            set_content_type(headers, "text/xml");
            Bytes::from(w.finish())
        }
    }
}

/// Serializes an error as `<ErrorResponse>` in the service namespace, with `x-amz-request-id`;
/// the error shape's header-bound members go to headers.
pub fn encode_error(model: Option<&ServiceModel>, request_id: &str, resolved: &ResolvedError, err: &ServiceError) -> HttpResponse {
    let mut headers = base_headers(request_id);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    let namespace: Vec<(String, String)> =
        model.and_then(xml::service_namespace).map(|ns| ("xmlns".to_owned(), ns.to_owned())).into_iter().collect();
    if let Some((model, shape)) = model.and_then(|m| Some((m, m.error_shape(&err.code)?.1))) {
        rest::encode_bindings(model, shape, &Document::Object(err.fields.clone()), &mut headers);
    }
    let body = format!("{DECLARATION}{}", crate::query::error_body(model, &namespace, request_id, resolved, err, crate::query::ErrorDetail::None));
    let status = StatusCode::from_u16(resolved.status).unwrap_or(StatusCode::BAD_REQUEST);
    HttpResponse { status, headers, body: Bytes::from(body) }
}
