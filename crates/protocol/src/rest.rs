//! What restJson1 and restXml share: finding the operation from method + URI template, and the
//! HTTP bindings of members outside the body (URI labels, query string, headers, status code).
//!
//! Templates are botocore's `http.requestUri`: `/2015-03-31/functions/{FunctionName}/invocations`,
//! greedy labels `{Key+}` spanning several segments, and literal query parts after `?`
//! (`?versions`, `?list-type=2`) that the request must carry.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use http::{HeaderMap, HeaderName, HeaderValue};
use nimbus_core::Document;
use nimbus_model::{Location, Operation, ServiceModel, Shape, ShapeRef, ShapeType};
use percent_encoding::percent_decode_str;
use serde_json::Map;

use crate::common::TimestampFormat;
use crate::xml::read_scalar;
use crate::HttpRequest;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Label(String),
    Greedy(String),
}

/// A parsed `requestUri`.
#[derive(Debug, Clone)]
struct Template {
    segments: Vec<Segment>,
    trailing_slash: bool,
    /// `?versions` is `("versions", None)`, `?list-type=2` is `("list-type", Some("2"))`.
    query: Vec<(String, Option<String>)>,
}

impl Template {
    fn parse(uri: &str) -> Template {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let (segments, trailing_slash) = split_path(path);
        let segments = segments
            .into_iter()
            .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(name) => Segment::Greedy(name.to_owned()),
                    None => Segment::Label(name.to_owned()),
                },
                None => Segment::Literal(s.to_owned()),
            })
            .collect();
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (p.to_owned(), None),
            })
            .collect();
        Template { segments, trailing_slash, query }
    }

    /// The labels of `path` (split, still encoded) when it fits, percent-decoded.
    fn match_path(&self, path: &[&str]) -> Option<Vec<(String, String)>> {
        let mut labels = Vec::new();
        let mut at = 0;
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(lit) => {
                    let got = path.get(at)?;
                    if got != lit && decode(got) != *lit {
                        return None;
                    }
                    at += 1;
                }
                Segment::Label(name) => {
                    let got = path.get(at).filter(|s| !s.is_empty())?;
                    labels.push((name.clone(), decode(got)));
                    at += 1;
                }
                Segment::Greedy(name) => {
                    // Takes every segment but those the rest of the template needs; at least one.
                    let rest = self.segments.len() - i - 1;
                    let end = path.len().checked_sub(rest)?;
                    if end <= at {
                        return None;
                    }
                    let value = path[at..end].join("/");
                    if value.is_empty() {
                        return None;
                    }
                    labels.push((name.clone(), decode(&value)));
                    at = end;
                }
            }
        }
        (at == path.len()).then_some(labels)
    }

    /// How specific a match is: literal segments first, then required query literals, then
    /// plain labels over greedy ones, then the same trailing slash.
    fn specificity(&self, trailing_slash: bool) -> (usize, usize, bool, bool) {
        let literals = self.segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count();
        let greedy = self.segments.iter().any(|s| matches!(s, Segment::Greedy(_)));
        (literals, self.query.len(), !greedy, self.trailing_slash == trailing_slash)
    }
}

/// Splits a path into segments, without the leading slash; a trailing slash is reported apart so
/// `/rrset` and `/rrset/` both match (Route 53 has both, on different methods).
fn split_path(path: &str) -> (Vec<&str>, bool) {
    let path = path.strip_prefix('/').unwrap_or(path);
    if path.is_empty() {
        return (Vec::new(), false);
    }
    let trailing = path.ends_with('/');
    let path = path.strip_suffix('/').unwrap_or(path);
    (path.split('/').collect(), trailing)
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

struct Route {
    /// Index into the model's operations.
    operation: usize,
    method: String,
    template: Template,
}

/// The parsed templates of one model, built on first use. Keyed by the model's address: models
/// live for the process (`nimbus_model::service`); the uid and operation count guard against an
/// address reused by another model (tests parsing their own).
fn routes(model: &ServiceModel) -> Arc<Vec<Route>> {
    type Cache = RwLock<HashMap<usize, (Option<String>, Arc<Vec<Route>>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = std::ptr::from_ref(model) as usize;
    let cache = CACHE.get_or_init(Default::default);
    if let Some((uid, found)) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&key)
        && *uid == model.metadata.uid
        && found.len() == model.operations.len()
    {
        return found.clone();
    }
    let built: Arc<Vec<Route>> = Arc::new(
        model
            .operations
            .values()
            .enumerate()
            .map(|(i, op)| Route { operation: i, method: op.http.method.to_ascii_uppercase(), template: Template::parse(&op.http.request_uri) })
            .collect(),
    );
    cache.write().unwrap_or_else(|e| e.into_inner()).insert(key, (model.metadata.uid.clone(), built.clone()));
    built
}

/// The operation whose method and URI template fit the request, the most specific when several
/// do (`/{Bucket}?versions` over `/{Bucket}`, `/a/b` over `/a/{x}`).
pub fn operation_name<'m>(model: &'m ServiceModel, req: &HttpRequest) -> Option<&'m str> {
    let (path, trailing) = split_path(&req.path);
    let query: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes()).into_owned().collect();
    let method = req.method.as_str();
    let mut best: Option<(usize, (usize, usize, bool, bool))> = None;
    for route in routes(model).iter() {
        if route.method != method || route.template.match_path(&path).is_none() {
            continue;
        }
        let query_fits = route.template.query.iter().all(|(key, want)| {
            query.iter().any(|(k, v)| k == key && want.as_ref().is_none_or(|want| v == want))
        });
        if !query_fits {
            continue;
        }
        let score = route.template.specificity(trailing);
        if best.as_ref().is_none_or(|(_, s)| score > *s) {
            best = Some((route.operation, score));
        }
    }
    model.operations.get_index(best?.0).map(|(name, _)| name.as_str())
}

/// The labels of `path` (as received: encoded, no query) under `template` (a `requestUri`, whose
/// query part is ignored), percent-decoded. `None` when the path does not fit.
pub fn uri_labels(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    let (segments, _) = split_path(path);
    Template::parse(template).match_path(&segments)
}

// ---------------------------------------------------------------------------------------------
// Input bindings

/// Reads the members the input binds outside the body: URI labels, query string members (lists as
/// repeated keys, a map member taking every parameter no other member claims), headers (lists
/// comma-separated) and prefixed header maps. Values that do not parse as their type stay strings,
/// for the validator to report in the protocol's words.
pub fn decode_bindings(model: &ServiceModel, op: &Operation, input: &Shape, req: &HttpRequest) -> Map<String, Document> {
    let mut out = Map::new();
    let labels = uri_labels(&op.http.request_uri, &req.path).unwrap_or_default();
    let query: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes()).into_owned().collect();
    // Query keys a named member or the template itself claims; a querystring map gets the rest.
    let template = Template::parse(&op.http.request_uri);
    let mut claimed: Vec<&str> = template.query.iter().map(|(k, _)| k.as_str()).collect();
    for (name, member) in &input.members {
        if member.location == Some(Location::QueryString) && model.shape(&member.shape).is_some_and(|s| s.shape_type != ShapeType::Map) {
            claimed.push(member.location_name.as_deref().unwrap_or(name));
        }
    }
    for (name, member) in &input.members {
        let Some(location) = member.location else { continue };
        let Some(shape) = model.shape(&member.shape) else { continue };
        let wire = member.location_name.as_deref().unwrap_or(name);
        let value = match location {
            Location::Uri => match labels.iter().find(|(k, _)| k == wire) {
                Some((_, v)) => read_scalar(shape, v),
                None => continue,
            },
            Location::QueryString => match shape.shape_type {
                ShapeType::Map => {
                    let Some(value_ref) = shape.value.as_deref() else { continue };
                    let value_is_list = model.shape(&value_ref.shape).is_some_and(|s| s.shape_type == ShapeType::List);
                    let mut map = Map::new();
                    for (k, v) in query.iter().filter(|(k, _)| !claimed.contains(&k.as_str())) {
                        if value_is_list {
                            let entry = map.entry(k.clone()).or_insert_with(|| Document::Array(Vec::new()));
                            if let Document::Array(items) = entry {
                                items.push(Document::String(v.clone()));
                            }
                        } else if !map.contains_key(k) {
                            map.insert(k.clone(), Document::String(v.clone()));
                        }
                    }
                    if map.is_empty() {
                        continue;
                    }
                    Document::Object(map)
                }
                ShapeType::List => {
                    let values: Vec<&str> = query.iter().filter(|(k, _)| k == wire).map(|(_, v)| v.as_str()).collect();
                    if values.is_empty() {
                        continue;
                    }
                    list_of(model, shape, &values)
                }
                _ => match query.iter().find(|(k, _)| k == wire) {
                    Some((_, v)) => read_scalar(shape, v),
                    None => continue,
                },
            },
            Location::Header => {
                let Some(raw) = header_text(&req.headers, wire) else { continue };
                if shape.shape_type == ShapeType::List {
                    let item_format = shape
                        .member
                        .as_deref()
                        .and_then(|m| Some(TimestampFormat::of(m, model.shape(&m.shape)?, TimestampFormat::HttpDate)));
                    let items = split_header_list(&raw, item_format == Some(TimestampFormat::HttpDate));
                    let items: Vec<&str> = items.iter().map(String::as_str).collect();
                    list_of(model, shape, &items)
                } else {
                    read_scalar(shape, &raw)
                }
            }
            Location::Headers => {
                let prefix = wire.to_ascii_lowercase();
                let mut map = Map::new();
                for (header, value) in &req.headers {
                    if let (Some(key), Ok(text)) = (header.as_str().strip_prefix(&prefix), value.to_str()) {
                        map.insert(key.to_owned(), Document::String(text.to_owned()));
                    }
                }
                if map.is_empty() {
                    continue;
                }
                Document::Object(map)
            }
            Location::StatusCode => continue,
        };
        out.insert(name.clone(), value);
    }
    out
}

/// A header's value as text (several occurrences joined as one list, as HTTP allows).
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// Splits a header list: comma-separated, items optionally double-quoted (with `\"` escapes).
/// HTTP dates contain a comma themselves, so a list of them splits on every other comma.
fn split_header_list(raw: &str, http_dates: bool) -> Vec<String> {
    if raw.trim().is_empty() {
        return Vec::new();
    }
    if http_dates {
        let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
        return parts.chunks(2).map(|pair| pair.join(", ")).collect();
    }
    let mut items = Vec::new();
    let (mut item, mut in_quotes, mut was_quoted) = (String::new(), false, false);
    let finish = |item: &mut String, was_quoted: bool| {
        let text = std::mem::take(item);
        if was_quoted { text } else { text.trim().to_owned() }
    };
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' if !in_quotes && !was_quoted && item.trim().is_empty() => {
                item.clear();
                in_quotes = true;
                was_quoted = true;
            }
            '"' if in_quotes => in_quotes = false,
            '\\' if in_quotes => item.extend(chars.next()),
            ',' if !in_quotes => {
                items.push(finish(&mut item, was_quoted));
                was_quoted = false;
            }
            // Whatever follows a closing quote up to the comma is not part of the item.
            _ if was_quoted && !in_quotes => {}
            c => item.push(c),
        }
    }
    items.push(finish(&mut item, was_quoted));
    items
}

fn list_of(model: &ServiceModel, list: &Shape, items: &[&str]) -> Document {
    match list.member.as_deref().and_then(|m| model.shape(&m.shape)) {
        Some(item_shape) => Document::Array(items.iter().map(|text| read_scalar(item_shape, text)).collect()),
        None => Document::Array(items.iter().map(|text| Document::String((*text).to_owned())).collect()),
    }
}

// ---------------------------------------------------------------------------------------------
// Output bindings

/// Writes the output members bound to headers (and prefixed header maps) and returns the status a
/// `statusCode` member sets, if any.
pub fn encode_bindings(model: &ServiceModel, shape: &Shape, output: &Document, headers: &mut HeaderMap) -> Option<u16> {
    let object = output.as_object()?;
    let mut status = None;
    for (name, member) in &shape.members {
        let Some(location) = member.location else { continue };
        let Some(value) = object.get(name).filter(|v| !v.is_null()) else { continue };
        let Some(target) = model.shape(&member.shape) else { continue };
        let wire = member.location_name.as_deref().unwrap_or(name);
        match location {
            Location::Header => {
                let text = if target.shape_type == ShapeType::List {
                    let Some(item_ref) = target.member.as_deref() else { continue };
                    let Some(item_shape) = model.shape(&item_ref.shape) else { continue };
                    value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|item| {
                            let text = header_scalar(item_ref, item_shape, item);
                            let needs_quotes = item_shape.shape_type == ShapeType::String && text.contains([',', '"']);
                            if needs_quotes { format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"")) } else { text }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                } else {
                    header_scalar(member, target, value)
                };
                insert_header(headers, wire, &text);
            }
            Location::Headers => {
                for (key, v) in value.as_object().into_iter().flatten() {
                    if let Some(text) = v.as_str() {
                        insert_header(headers, &format!("{wire}{key}"), text);
                    }
                }
            }
            Location::StatusCode => status = value.as_u64().and_then(|s| u16::try_from(s).ok()),
            Location::Uri | Location::QueryString => {}
        }
    }
    status
}

/// A scalar in a header: timestamps as HTTP dates unless the member says otherwise.
fn header_scalar(member: &ShapeRef, shape: &Shape, value: &Document) -> String {
    match (shape.shape_type, value) {
        (ShapeType::Timestamp, Document::Number(_)) => {
            TimestampFormat::of(member, shape, TimestampFormat::HttpDate).format(value).unwrap_or_default()
        }
        (_, Document::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// Adds a header, dropping it when the name or value cannot be sent (control characters).
pub fn insert_header(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value.as_bytes())) {
        headers.append(name, value);
    }
}

/// The member an input or output names as its whole body (`payload`), with its reference.
pub fn payload_member(shape: &Shape) -> Option<(&str, &ShapeRef)> {
    let name = shape.payload.as_deref()?;
    shape.members.get_key_value(name).map(|(k, v)| (k.as_str(), v))
}

/// Whether a structure has members that go in the body (not bound to headers, URI, status...).
pub fn has_body_members(shape: &Shape) -> bool {
    shape.members.values().any(|m| m.location.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::Method;

    fn request(method: Method, path: &str, query: &str) -> HttpRequest {
        HttpRequest { method, path: path.to_owned(), query: query.to_owned(), headers: HeaderMap::new(), body: Bytes::new() }
    }

    #[test]
    fn matches_labels_greedy_labels_and_query_literals() {
        assert_eq!(
            uri_labels("/2015-03-31/functions/{FunctionName}/invocations", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/invocations"),
            Some(vec![("FunctionName".to_owned(), "arn:aws:lambda:us-east-1:1:function:f".to_owned())])
        );
        assert_eq!(
            uri_labels("/{Bucket}/{Key+}?uploads", "/b/a/b%20c/d"),
            Some(vec![("Bucket".to_owned(), "b".to_owned()), ("Key".to_owned(), "a/b c/d".to_owned())])
        );
        assert_eq!(uri_labels("/{Bucket}/{Key+}", "/b/"), None);
        assert_eq!(uri_labels("/v2/apis/{apiId}", "/v2/apis"), None);
        assert_eq!(uri_labels("/v2/apis/{apiId}", "/v2/apis/a/b"), None);
    }

    #[test]
    fn routes_to_the_most_specific_operation() {
        let lambda = nimbus_model::service("lambda").unwrap();
        let name = |m, p, q| operation_name(lambda, &request(m, p, q));
        assert_eq!(name(Method::GET, "/2015-03-31/functions/f", ""), Some("GetFunction"));
        assert_eq!(name(Method::GET, "/2015-03-31/functions/", ""), Some("ListFunctions"));
        assert_eq!(name(Method::GET, "/2015-03-31/functions/f/configuration", ""), Some("GetFunctionConfiguration"));
        assert_eq!(name(Method::POST, "/2015-03-31/functions/f/invocations", ""), Some("Invoke"));
        assert_eq!(name(Method::PATCH, "/2015-03-31/functions/f", ""), None);
        let route53 = nimbus_model::service("route53").unwrap();
        let name = |m, p| operation_name(route53, &request(m, p, ""));
        assert_eq!(name(Method::POST, "/2013-04-01/hostedzone/Z1/rrset/"), Some("ChangeResourceRecordSets"));
        assert_eq!(name(Method::GET, "/2013-04-01/hostedzone/Z1/rrset"), Some("ListResourceRecordSets"));
        assert_eq!(name(Method::GET, "/2013-04-01/hostedzonecount"), Some("GetHostedZoneCount"));
        let cloudfront = nimbus_model::service("cloudfront").unwrap();
        let name = |q| operation_name(cloudfront, &request(Method::POST, "/2020-05-31/tagging", q));
        assert_eq!(name("Operation=Tag&Resource=arn"), Some("TagResource"));
        assert_eq!(name("Resource=arn&Operation=Untag"), Some("UntagResource"));
        assert_eq!(name("Resource=arn"), None);
    }

    #[test]
    fn splits_header_lists_with_quotes_and_dates() {
        assert_eq!(split_header_list("a, b ,c", false), ["a", "b", "c"]);
        assert_eq!(split_header_list("\"a,b\", \"c\\\"d\", e", false), ["a,b", "c\"d", "e"]);
        assert_eq!(
            split_header_list("Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec 2019 23:48:18 GMT", true),
            ["Mon, 16 Dec 2019 23:48:18 GMT", "Tue, 17 Dec 2019 23:48:18 GMT"]
        );
    }
}
