//! botocore's service-model format (`service-2.json`), as serde types.
//!
//! Only semantics are kept (documentation is stripped when the models are fetched). This file is
//! also compiled into `build.rs`, which reads every model to build the classification index, so
//! it depends on nothing but serde and indexmap.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ServiceModel {
    pub metadata: Metadata,
    pub operations: IndexMap<String, Operation>,
    pub shapes: HashMap<String, Shape>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub api_version: String,
    pub endpoint_prefix: String,
    /// The primary protocol: `query`, `json`, `rest-json`, `rest-xml`, `smithy-rpc-v2-cbor`, `ec2`.
    pub protocol: String,
    /// Every protocol the service answers, in the order SDKs prefer them.
    #[serde(default)]
    pub protocols: Vec<String>,
    pub json_version: Option<String>,
    pub target_prefix: Option<String>,
    pub signing_name: Option<String>,
    pub service_id: String,
    pub xml_namespace: Option<String>,
    /// Present (as `{}`) on JSON services that moved from awsQuery and still speak its error codes.
    pub aws_query_compatible: Option<serde_json::Value>,
    pub global_endpoint: Option<String>,
    pub uid: Option<String>,
}

impl Metadata {
    /// The name SigV4 scopes carry for this service.
    pub fn signing_name(&self) -> &str {
        self.signing_name.as_deref().unwrap_or(&self.endpoint_prefix)
    }

    /// All protocols this service answers (the primary one when `protocols` is absent).
    pub fn all_protocols(&self) -> Vec<&str> {
        if self.protocols.is_empty() {
            vec![self.protocol.as_str()]
        } else {
            self.protocols.iter().map(String::as_str).collect()
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub name: String,
    pub http: Http,
    pub input: Option<ShapeRef>,
    pub output: Option<ShapeRef>,
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
    pub endpoint: Option<Endpoint>,
    #[serde(rename = "authtype")]
    pub auth_type: Option<String>,
    #[serde(default)]
    pub deprecated: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Http {
    pub method: String,
    pub request_uri: String,
    pub response_code: Option<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub host_prefix: Option<String>,
}

/// Where a member of a REST input or output lives on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Location {
    Header,
    /// A map member: every header with the member's `locationName` as prefix.
    Headers,
    #[serde(rename = "querystring")]
    QueryString,
    Uri,
    StatusCode,
}

/// A reference to a shape: an operation's input/output/error, a structure member, a list member,
/// a map key or value. The serialization traits here override the target shape's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapeRef {
    pub shape: String,
    pub location: Option<Location>,
    pub location_name: Option<String>,
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub xml_attribute: bool,
    pub xml_namespace: Option<XmlNamespace>,
    pub timestamp_format: Option<String>,
    #[serde(default)]
    pub idempotency_token: bool,
    #[serde(default)]
    pub host_label: bool,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub eventpayload: bool,
    /// On an awsQuery operation output: the element wrapping the result (`GetCallerIdentityResult`).
    pub result_wrapper: Option<String>,
}

/// `xmlNamespace` is a bare URI in metadata and `{uri, prefix}` on shapes and members.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum XmlNamespace {
    Uri(String),
    Qualified { uri: String, prefix: Option<String> },
}

impl XmlNamespace {
    pub fn uri(&self) -> &str {
        match self {
            XmlNamespace::Uri(uri) | XmlNamespace::Qualified { uri, .. } => uri,
        }
    }

    pub fn prefix(&self) -> Option<&str> {
        match self {
            XmlNamespace::Uri(_) => None,
            XmlNamespace::Qualified { prefix, .. } => prefix.as_deref(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeType {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Blob,
    Timestamp,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    #[serde(rename = "type")]
    pub shape_type: ShapeType,
    // structure
    #[serde(default)]
    pub members: IndexMap<String, ShapeRef>,
    #[serde(default)]
    pub required: Vec<String>,
    /// REST: the member that is the whole HTTP body.
    pub payload: Option<String>,
    pub error: Option<ErrorTraits>,
    #[serde(default)]
    pub exception: bool,
    /// A server-side (5xx) error.
    #[serde(default)]
    pub fault: bool,
    #[serde(default)]
    pub union: bool,
    #[serde(default)]
    pub document: bool,
    #[serde(default)]
    pub event: bool,
    #[serde(default)]
    pub eventstream: bool,
    // list and map
    pub member: Option<Box<ShapeRef>>,
    pub key: Option<Box<ShapeRef>>,
    pub value: Option<Box<ShapeRef>>,
    #[serde(default)]
    pub flattened: bool,
    // scalars
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
    pub pattern: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub timestamp_format: Option<String>,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub sensitive: bool,
    // xml
    pub location_name: Option<String>,
    pub xml_namespace: Option<XmlNamespace>,
}

impl Shape {
    pub fn is_required(&self, member: &str) -> bool {
        self.required.iter().any(|r| r == member)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorTraits {
    /// The code awsQuery (and query-compatible JSON) clients see, when it differs from the shape name.
    pub code: Option<String>,
    pub http_status_code: Option<u16>,
    #[serde(default)]
    pub sender_fault: bool,
}
