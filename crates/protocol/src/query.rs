//! awsQuery: form-encoded parameters in, XML out (STS, IAM, SNS, SES v1, RDS, ELBv2, CloudWatch).
//!
//! SQS, a JSON service now, still answers this wire through its awsQuery model (see
//! [`crate::wire_model`]); its error envelope is its own ([`is_sqs`]).
//!
//! Requests carry `Action`, `Version` and the input flattened to dotted keys (Smithy awsQuery
//! spec and its protocol tests `input.smithy`, `input-lists.smithy`, `input-maps.smithy`):
//! - nested structures: `Struct.Member`;
//! - lists: `List.member.1` (1-based; the item renamed by the list member's `locationName`),
//!   flattened `List.1`, and `List=` for an empty list;
//! - maps: `Map.entry.1.key` / `Map.entry.1.value` (key/value renamed by their `locationName`),
//!   flattened `Map.1.key`;
//! - a flattened list of one scalar or a flattened map of one entry may also come unindexed
//!   (`AttributeName=All`, `Tag.Key=k&Tag.Value=v`), as AWS's SQS Query examples send them;
//! - booleans `true`/`false`, timestamps ISO 8601 (any client form is accepted), blobs base64.
//!
//! Responses are `<{Op}Response xmlns=ns><{Op}Result>…</{Op}Result><ResponseMetadata>
//! <RequestId>…</RequestId></ResponseMetadata></{Op}Response>`, errors `<ErrorResponse xmlns=ns>
//! <Error><Type/><Code/><Message/>…</Error><RequestId/></ErrorResponse>` (`xml-errors.smithy`; the
//! namespace is what STS, IAM and SNS send although the Smithy tests leave it out).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use nimbus_core::{Document, ServiceError};
use nimbus_model::{Operation, ServiceModel, Shape, ShapeRef, ShapeType};
use serde_json::Map;

use crate::common::ResolvedError;
use crate::xml::{XmlWriter, is_flattened, read_scalar};
use crate::{HttpRequest, HttpResponse, Wire};

/// The request's parameters: the query string, then a form body (SDKs POST a form; GET carries
/// everything in the query string).
fn parameters(req: &HttpRequest) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes()).into_owned().collect();
    if is_form(req) {
        params.extend(form_urlencoded::parse(&req.body).into_owned());
    }
    params
}

/// Whether the body is a form: the content type says so, or a POST says nothing.
fn is_form(req: &HttpRequest) -> bool {
    match req.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        Some(ct) => ct.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"),
        None => req.method == Method::POST,
    }
}

/// The `Action` parameter, from the form body or the query string.
fn action(params: &[(String, String)]) -> Option<&str> {
    params.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.as_str())
}

/// The operation the request's `Action` names, if the model has it.
pub fn operation_name<'m>(model: &'m ServiceModel, req: &HttpRequest) -> Option<&'m str> {
    let params = parameters(req);
    let action = action(&params)?;
    model.operations.get_key_value(action).map(|(name, _)| name.as_str())
}

/// The error for a request whose `Action` is missing (`MissingAction`) or names no operation of
/// the model (`InvalidAction`), as AWS's query services word them.
pub fn action_error(model: &ServiceModel, req: &HttpRequest) -> ServiceError {
    let params = parameters(req);
    match action(&params) {
        None | Some("") => ServiceError::new("MissingAction", "Missing Action"),
        Some(name) => ServiceError::new(
            "InvalidAction",
            format!("Could not find operation {name} for version {}", model.metadata.api_version),
        ),
    }
}

/// Parameters split at dots into a tree: `Tags.member.1.Key` is `Tags` → `member` → `1` → `Key`.
#[derive(Default, Debug)]
struct Node<'a> {
    value: Option<&'a str>,
    children: BTreeMap<&'a str, Node<'a>>,
}

impl<'a> Node<'a> {
    fn build(params: &'a [(String, String)]) -> Node<'a> {
        let mut root = Node::default();
        for (key, value) in params {
            if key == "Action" || key == "Version" {
                continue;
            }
            let mut node = &mut root;
            for part in key.split('.') {
                node = node.children.entry(part).or_default();
            }
            // The first occurrence wins, as with a repeated scalar in AWS's parsers.
            node.value.get_or_insert(value.as_str());
        }
        root
    }

    /// The numbered children (`1`, `2`...) in index order.
    fn indexed(&self) -> Vec<&Node<'a>> {
        let mut items: Vec<(u32, &Node<'a>)> =
            self.children.iter().filter_map(|(k, v)| Some((k.parse::<u32>().ok()?, v))).collect();
        items.sort_by_key(|(i, _)| *i);
        items.into_iter().map(|(_, v)| v).collect()
    }
}

/// Decodes the form parameters into the operation's input document. Unknown parameters are
/// ignored; values that do not parse as their type stay strings, which the validator reports as
/// AWS's query services do (`ValidationError`, `Member must be an integer`).
pub fn decode_request(wire: &Wire, op: &Operation, req: &HttpRequest) -> Result<Document, ServiceError> {
    let params = parameters(req);
    if action(&params).is_none_or(str::is_empty) {
        return Err(ServiceError::new("MissingAction", "Missing Action"));
    }
    let Some(input) = op.input.as_ref().and_then(|r| wire.model.shape(&r.shape)) else {
        return Ok(Document::Object(Map::new()));
    };
    let root = Node::build(&params);
    Ok(Document::Object(structure(wire.model, input, &root)))
}

fn structure(model: &ServiceModel, shape: &Shape, node: &Node) -> Map<String, Document> {
    let mut out = Map::new();
    for (name, member) in &shape.members {
        let Some(target) = model.shape(&member.shape) else { continue };
        // The member's `locationName`, else its target shape's (botocore's serializer reads both:
        // SQS's TagQueue sends `Tags` as `Tag.N.Key` from the TagMap shape's name), else the name.
        let wire = member.location_name.as_deref().or(target.location_name.as_deref()).unwrap_or(name);
        // botocore keys a flattened list by its item's locationName when it has one (`Item.1`
        // rather than `List.1`), so that name is accepted too.
        let alternate = (target.shape_type == ShapeType::List && is_flattened(member, target))
            .then(|| target.member.as_ref().and_then(|m| m.location_name.as_deref()))
            .flatten();
        let Some(child) = node.children.get(wire).or_else(|| node.children.get(alternate?)) else { continue };
        if let Some(value) = value(model, member, target, child) {
            out.insert(name.clone(), value);
        }
    }
    out
}

fn value(model: &ServiceModel, member: &ShapeRef, shape: &Shape, node: &Node) -> Option<Document> {
    Some(match shape.shape_type {
        ShapeType::Structure => Document::Object(structure(model, shape, node)),
        ShapeType::List => {
            let item_ref = shape.member.as_deref()?;
            let item_shape = model.shape(&item_ref.shape)?;
            let item_name = item_ref.location_name.as_deref().unwrap_or("member");
            // Wrapped (`List.member.N`) unless flattened (`List.N`); either form is accepted, as
            // clients differ on flattening more than on anything else. `List=` is an empty list.
            let items = match node.children.get(item_name) {
                Some(wrapped) if !is_flattened(member, shape) || node.indexed().is_empty() => wrapped,
                _ => node,
            };
            let mut list: Vec<Document> =
                items.indexed().into_iter().filter_map(|item| value(model, item_ref, item_shape, item)).collect();
            // A one-item flattened list of scalars may come unindexed, as in AWS's SQS Query
            // examples (`AttributeName=All`); `List=` stays the empty list.
            if list.is_empty() && is_flattened(member, shape) && node.children.is_empty() && !is_aggregate(item_shape) {
                list.extend(node.value.filter(|v| !v.is_empty()).map(|v| read_scalar(item_shape, v)));
            }
            Document::Array(list)
        }
        ShapeType::Map => {
            let (key_ref, value_ref) = (shape.key.as_deref()?, shape.value.as_deref()?);
            let value_shape = model.shape(&value_ref.shape)?;
            let key_name = key_ref.location_name.as_deref().unwrap_or("key");
            let value_name = value_ref.location_name.as_deref().unwrap_or("value");
            let entries = node.children.get("entry").unwrap_or(node);
            let mut indexed = entries.indexed();
            // A one-entry flattened map may come unindexed, as in AWS's SQS Query examples
            // (`Tag.Key=QueueType&Tag.Value=Production`).
            if indexed.is_empty() && is_flattened(member, shape) && node.children.contains_key(key_name) {
                indexed.push(node);
            }
            let mut map = Map::new();
            for entry in indexed {
                // An entry without a key or value is dropped: documents never carry nulls.
                let Some(key) = entry.children.get(key_name).and_then(|k| k.value) else { continue };
                let Some(v) = entry.children.get(value_name).and_then(|v| value(model, value_ref, value_shape, v)) else { continue };
                map.insert(key.to_owned(), v);
            }
            Document::Object(map)
        }
        _ => read_scalar(shape, node.value?),
    })
}

fn is_aggregate(shape: &Shape) -> bool {
    matches!(shape.shape_type, ShapeType::Structure | ShapeType::List | ShapeType::Map)
}

fn xml_response(status: StatusCode, request_id: &str, body: String) -> HttpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    HttpResponse { status, headers, body: Bytes::from(body) }
}

fn namespace_attributes(model: Option<&ServiceModel>) -> Vec<(String, String)> {
    model.and_then(|m| m.metadata.xml_namespace.clone()).map(|ns| ("xmlns".to_owned(), ns)).into_iter().collect()
}

/// Serializes the output in the operation's `{Op}Response` envelope, the members inside the
/// `resultWrapper` element (there is none when the operation has no output shape).
pub fn encode_response(wire: &Wire, op: &Operation, output: &Document) -> HttpResponse {
    let model = wire.model;
    let root = format!("{}Response", op.name);
    let mut w = XmlWriter::new(model);
    w.open(&root, &namespace_attributes(Some(model)));
    if let Some((output_ref, shape)) = op.output.as_ref().and_then(|r| Some((r, model.shape(&r.shape)?))) {
        match output_ref.result_wrapper.as_deref() {
            Some(wrapper) => {
                w.open(wrapper, &[]);
                w.structure_members(shape, output);
                w.close(wrapper);
            }
            // Without a wrapper botocore reads the members straight from the response element.
            None => w.structure_members(shape, output),
        }
    }
    w.open("ResponseMetadata", &[]);
    w.text_element("RequestId", &[], wire.request_id);
    w.close("ResponseMetadata");
    w.close(&root);
    xml_response(StatusCode::OK, wire.request_id, w.finish())
}

/// Serializes an error as `<ErrorResponse>`: `Type` (Sender or Receiver), the query code, the
/// message, then the error shape's other members present in `err.fields`.
pub fn encode_error(model: Option<&ServiceModel>, request_id: &str, resolved: &ResolvedError, err: &ServiceError) -> HttpResponse {
    let status = StatusCode::from_u16(resolved.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = if is_sqs(model) {
        error_body(model, &[], request_id, resolved, err, ErrorDetail::Empty)
    } else {
        error_body(model, &namespace_attributes(model), request_id, resolved, err, ErrorDetail::None)
    };
    xml_response(status, request_id, body)
}

/// SQS's `<ErrorResponse>` differs from STS's, IAM's and SNS's in what no model records: it has
/// no namespace (its success responses do) and `<Error>` ends with an empty `<Detail/>` (the
/// element AWS's "Interpreting Amazon SQS XML API responses" lists after `Message`), e.g.
/// `<ErrorResponse><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>
/// <Message>…</Message><Detail/></Error><RequestId>…</RequestId></ErrorResponse>`.
fn is_sqs(model: Option<&ServiceModel>) -> bool {
    model.is_some_and(|m| m.metadata.service_id == "SQS")
}

/// Whether `<Error>` closes with `<Detail/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorDetail {
    None,
    Empty,
}

/// The `<ErrorResponse>` document awsQuery and restXml share.
pub(crate) fn error_body(
    model: Option<&ServiceModel>,
    root_attributes: &[(String, String)],
    request_id: &str,
    resolved: &ResolvedError,
    err: &ServiceError,
    detail: ErrorDetail,
) -> String {
    let mut w = model.map_or_else(XmlWriter::without_model, XmlWriter::new);
    w.open("ErrorResponse", root_attributes);
    w.open("Error", &[]);
    w.text_element("Type", &[], if resolved.sender_fault { "Sender" } else { "Receiver" });
    w.text_element("Code", &[], &resolved.query_code);
    if !err.message.is_empty() {
        w.text_element("Message", &[], &err.message);
    }
    let shape = model.and_then(|m| m.error_shape(&err.code)).map(|(_, s)| s);
    for (name, value) in &err.fields {
        if value.is_null() || resolved.message_member.as_deref() == Some(name.as_str()) {
            continue;
        }
        match shape.and_then(|s| s.members.get(name)) {
            Some(member) if member.location.is_none() => w.member(name, member, value),
            Some(_) => {} // bound to a header: the REST codec sends it there
            None => match value {
                Document::String(s) => w.text_element(name, &[], s),
                Document::Number(_) | Document::Bool(_) => w.text_element(name, &[], &value.to_string()),
                _ => {}
            },
        }
    }
    if detail == ErrorDetail::Empty {
        w.text_element("Detail", &[], "");
    }
    w.close("Error");
    w.text_element("RequestId", &[], request_id);
    w.close("ErrorResponse");
    w.finish()
}
