//! The wire codecs, one per AWS protocol, all driven by the service models.
//!
//! Each codec is pure: it turns an HTTP request into the operation's input [`Document`] (checked
//! against the input shape), and an output document or a [`ServiceError`] into the HTTP response in
//! that protocol's exact shape. No service writes XML or JSON envelopes by hand.
//!
//! Which service and protocol a request is for is decided before a codec runs (see the server's
//! classifier); [`operation_name`] then finds the operation the protocol's way.

pub mod common;
pub mod validate;
pub mod json;
pub mod cbor;
pub mod query;
pub mod rest;
pub mod rest_json;
pub mod rest_xml;
pub mod xml;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use nimbus_core::{Document, ServiceError};
use nimbus_model::{Operation, ServiceModel};

/// The wire formats AWS services speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    AwsQuery,
    AwsJson1_0,
    AwsJson1_1,
    RestJson1,
    RestXml,
    RpcV2Cbor,
}

impl Protocol {
    /// The protocol for a model's protocol name (`json` needs the model's `jsonVersion`).
    pub fn from_model(name: &str, json_version: Option<&str>) -> Option<Protocol> {
        Some(match name {
            "query" => Protocol::AwsQuery,
            "json" if json_version == Some("1.1") => Protocol::AwsJson1_1,
            "json" => Protocol::AwsJson1_0,
            "rest-json" => Protocol::RestJson1,
            "rest-xml" => Protocol::RestXml,
            "smithy-rpc-v2-cbor" => Protocol::RpcV2Cbor,
            _ => return None,
        })
    }

    pub fn is_json(self) -> bool {
        matches!(self, Protocol::AwsJson1_0 | Protocol::AwsJson1_1 | Protocol::RestJson1)
    }
}

/// An HTTP request as the server received it, body fully read.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    /// The path as received: still percent-encoded, without the query.
    pub path: String,
    /// The raw query string without `?` (may be empty).
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What a codec needs to know about the service beyond the model.
#[derive(Debug, Clone, Copy)]
pub struct Wire<'a> {
    pub protocol: Protocol,
    /// The model the codec reads the wire through: see [`wire_model`].
    pub model: &'a ServiceModel,
    /// The request id echoed in `x-amzn-RequestId` (JSON, REST-JSON, CBOR), `x-amz-request-id`
    /// (REST-XML) and the `RequestId` element (query).
    pub request_id: &'a str,
    /// JSON services that moved from awsQuery (SQS) answer query clients' error codes in
    /// `x-amzn-query-error` when the request carried `x-amzn-query-mode: true`.
    pub query_mode: bool,
}

/// The model a codec reads and writes a service's wire through. A query-compatible JSON service
/// (SQS) asked over awsQuery answers through its awsQuery model ([`ServiceModel::query_model`]):
/// the JSON model has neither the query wire's names (`locationName`, `flattened`) nor the
/// awsQuery error codes. The member names of the two agree, so the service sees the same input
/// document either way (the query model may lack a newer member, which then never arrives).
/// Every other protocol and service uses the service's own model.
pub fn wire_model(protocol: Protocol, model: &ServiceModel) -> &ServiceModel {
    match protocol {
        Protocol::AwsQuery => model.query_model().unwrap_or(model),
        _ => model,
    }
}

/// Finds which operation of `model` the request invokes, the protocol's way: `X-Amz-Target`
/// (awsJson), `Action` (awsQuery), `/service/S/operation/O` (rpc-v2-cbor), method + URI template
/// (REST). `None` when the request names nothing the model has.
pub fn operation_name<'m>(protocol: Protocol, model: &'m ServiceModel, req: &HttpRequest) -> Option<&'m str> {
    match protocol {
        Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => json::operation_name(model, req),
        Protocol::AwsQuery => query::operation_name(model, req),
        Protocol::RpcV2Cbor => cbor::operation_name(model, req),
        Protocol::RestJson1 | Protocol::RestXml => rest::operation_name(model, req),
    }
}

/// Parses the request into the operation's input document and validates it against the input
/// shape (required members, types, lengths, ranges, enums), answering AWS's validation errors.
pub fn decode_request(wire: &Wire, op: &Operation, req: &HttpRequest) -> Result<Document, ServiceError> {
    let input = decode_unvalidated(wire, op, req)?;
    validate::validate_input(wire, op, &input)?;
    Ok(input)
}

/// [`decode_request`] without the validation, for a caller that completes the input from
/// outside the wire first (the server's SQS queue URL from the request path), then calls
/// [`validate::validate_input`].
pub fn decode_unvalidated(wire: &Wire, op: &Operation, req: &HttpRequest) -> Result<Document, ServiceError> {
    match wire.protocol {
        Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => json::decode_request(wire, op, req),
        Protocol::AwsQuery => query::decode_request(wire, op, req),
        Protocol::RpcV2Cbor => cbor::decode_request(wire, op, req),
        Protocol::RestJson1 => rest_json::decode_request(wire, op, req),
        Protocol::RestXml => rest_xml::decode_request(wire, op, req),
    }
}

/// Serializes an operation's output document as the protocol's success response.
pub fn encode_response(wire: &Wire, op: &Operation, output: &Document) -> HttpResponse {
    match wire.protocol {
        Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => json::encode_response(wire, op, output),
        Protocol::AwsQuery => query::encode_response(wire, op, output),
        Protocol::RpcV2Cbor => cbor::encode_response(wire, op, output),
        Protocol::RestJson1 => rest_json::encode_response(wire, op, output),
        Protocol::RestXml => rest_xml::encode_response(wire, op, output),
    }
}

/// Serializes an error in the protocol's exact error shape. `model` may be `None` when the
/// request could not be tied to a service (then only AWS's common errors apply).
pub fn encode_error(protocol: Protocol, model: Option<&ServiceModel>, request_id: &str, query_mode: bool, err: &ServiceError) -> HttpResponse {
    let resolved = common::resolve_error(model, err);
    match protocol {
        Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => json::encode_error(protocol, model, request_id, query_mode, &resolved, err),
        Protocol::AwsQuery => query::encode_error(model, request_id, &resolved, err),
        Protocol::RpcV2Cbor => cbor::encode_error(model, request_id, query_mode, &resolved, err),
        Protocol::RestJson1 => rest_json::encode_error(model, request_id, &resolved, err),
        Protocol::RestXml => rest_xml::encode_error(model, request_id, &resolved, err),
    }
}
