//! What the golden tests share: building raw requests, decoding and encoding through the public
//! entry points, and reading responses back as sorted header pairs and text.

#![allow(dead_code)]

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use nimbus_core::ServiceError;
use nimbus_model::ServiceModel;
use nimbus_protocol::{HttpRequest, HttpResponse, Protocol, Wire, decode_request, encode_response, operation_name};

pub fn model(name: &str) -> &'static ServiceModel {
    nimbus_model::service(name).unwrap()
}

/// A request as received: `target` is the path with an optional `?query`.
pub fn request(method: Method, target: &str, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> HttpRequest {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
    }
    HttpRequest { method, path: path.to_owned(), query: query.to_owned(), headers: map, body: Bytes::copy_from_slice(body.as_ref()) }
}

pub fn wire(protocol: Protocol, model: &'static ServiceModel, request_id: &'static str) -> Wire<'static> {
    Wire { protocol, model, request_id, query_mode: false }
}

/// Decodes through the public entry points: operation lookup, decoding, validation.
pub fn decode(wire: &Wire, req: &HttpRequest) -> Result<(String, serde_json::Value), ServiceError> {
    let name = operation_name(wire.protocol, wire.model, req).expect("operation found");
    let op = wire.model.operation(name).unwrap();
    decode_request(wire, op, req).map(|doc| (name.to_owned(), doc))
}

pub fn encode(wire: &Wire, operation: &str, output: serde_json::Value) -> HttpResponse {
    encode_response(wire, wire.model.operation(operation).unwrap(), &output)
}

/// Response headers as sorted (name, value) pairs.
pub fn headers(resp: &HttpResponse) -> Vec<(String, String)> {
    let mut out: Vec<_> = resp.headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned())).collect();
    out.sort();
    out
}

/// Expected headers in the same form as [`headers`].
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<_> = list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    out.sort();
    out
}

pub fn text(resp: &HttpResponse) -> &str {
    std::str::from_utf8(&resp.body).unwrap()
}
