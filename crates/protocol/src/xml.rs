//! XML along a shape: the writer awsQuery and restXml serialize output documents with, and the
//! reader restXml decodes request bodies with.
//!
//! The conventions are botocore's serialization traits, which carry Smithy's XML traits:
//! - a member's element is its `locationName`, else the member name;
//! - lists wrap each item in `<member>` (or the list member's `locationName`) unless `flattened`,
//!   when the items repeat in the parent under the member's element name;
//! - maps wrap each pair in `<entry><key/><value/></entry>` (key/value renamed by their
//!   `locationName`) unless `flattened`, when the pairs repeat under the member's element name;
//! - `xmlAttribute` members become attributes of the structure's element;
//! - `xmlNamespace` adds `xmlns` (or `xmlns:prefix`) to the element;
//! - timestamps are ISO 8601 unless `timestampFormat` says otherwise, blobs base64,
//!   booleans `true`/`false`.

use std::borrow::Cow;

use nimbus_core::Document;
use nimbus_model::{ServiceModel, Shape, ShapeRef, ShapeType, XmlNamespace};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::Map;

use crate::common::{parse_timestamp, TimestampFormat};

/// `<?xml ...?>` as restXml services start their bodies.
pub const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Escapes text for element content and attribute values: the five XML entities, plus CR and LF
/// as character references so they survive parsers' end-of-line and attribute normalization.
pub fn escape(text: &str) -> Cow<'_, str> {
    let escaped = quick_xml::escape::escape(text);
    if escaped.contains(['\r', '\n']) {
        Cow::Owned(escaped.replace('\r', "&#xD;").replace('\n', "&#xA;"))
    } else {
        escaped
    }
}

/// Escapes element content: like [`escape`] but keeps LF as is (it is not normalized in text).
fn escape_text(text: &str) -> Cow<'_, str> {
    let escaped = quick_xml::escape::escape(text);
    if escaped.contains('\r') { Cow::Owned(escaped.replace('\r', "&#xD;")) } else { escaped }
}

/// The `xmlns` attribute an `xmlNamespace` trait asks for.
pub fn namespace_attribute(ns: &XmlNamespace) -> (String, String) {
    let name = match ns.prefix() {
        Some(prefix) => format!("xmlns:{prefix}"),
        None => "xmlns".to_owned(),
    };
    (name, ns.uri().to_owned())
}

/// The namespace a service's XML documents carry: `metadata.xmlNamespace` (awsQuery services),
/// else the one botocore copies onto operation inputs and payload members (restXml services,
/// whose Smithy model sets it once on the service).
pub fn service_namespace(model: &ServiceModel) -> Option<&str> {
    if let Some(ns) = &model.metadata.xml_namespace {
        return Some(ns);
    }
    model.operations.values().find_map(|op| {
        let input = op.input.as_ref()?;
        if let Some(ns) = &input.xml_namespace {
            return Some(ns.uri());
        }
        let shape = model.shape(&input.shape)?;
        let payload = shape.members.get(shape.payload.as_deref()?)?;
        payload.xml_namespace.as_ref().map(XmlNamespace::uri)
    })
}

/// Whether a list or map member is flattened (the trait may sit on the member or on the shape).
pub fn is_flattened(member: &ShapeRef, shape: &Shape) -> bool {
    member.flattened || shape.flattened
}

/// The element name the items of a flattened list repeat under: the member's `locationName`, else
/// the list member's, else the member name. (Smithy puts the name on the structure member; some
/// botocore models carry it only on the list member, as botocore's own parser assumes.)
fn flattened_item_name<'a>(member_name: &'a str, member: &'a ShapeRef, list: &'a Shape) -> &'a str {
    member
        .location_name
        .as_deref()
        .or_else(|| list.member.as_ref().and_then(|m| m.location_name.as_deref()))
        .unwrap_or(member_name)
}

/// Builds an XML document from documents along shapes.
pub struct XmlWriter<'m> {
    /// `None` for documents written without shapes (errors of requests tied to no service).
    model: Option<&'m ServiceModel>,
    out: String,
}

impl<'m> XmlWriter<'m> {
    pub fn new(model: &'m ServiceModel) -> Self {
        XmlWriter { model: Some(model), out: String::with_capacity(512) }
    }

    /// A writer for markup and text elements only: members are skipped, having no shapes.
    pub fn without_model() -> Self {
        XmlWriter { model: None, out: String::with_capacity(256) }
    }

    fn shape(&self, name: &str) -> Option<&'m Shape> {
        self.model?.shape(name)
    }

    /// Appends markup as is.
    pub fn raw(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    /// `<name a="v">`.
    pub fn open(&mut self, name: &str, attributes: &[(String, String)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            self.out.push_str(&escape(value));
            self.out.push('"');
        }
        self.out.push('>');
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name>text</name>`, or `<name/>` for empty text.
    pub fn text_element(&mut self, name: &str, attributes: &[(String, String)], text: &str) {
        if text.is_empty() {
            self.open(name, attributes);
            self.out.pop();
            self.out.push_str("/>");
            return;
        }
        self.open(name, attributes);
        self.out.push_str(&escape_text(text));
        self.close(name);
    }

    /// Writes the element of each present member of a structure value, in model order. Members
    /// bound elsewhere (`location`: headers, URI, query, status) and attributes are skipped.
    pub fn structure_members(&mut self, shape: &Shape, value: &Document) {
        let Some(object) = value.as_object() else { return };
        for (name, member) in &shape.members {
            if member.location.is_some() || member.xml_attribute {
                continue;
            }
            match object.get(name) {
                Some(v) if !v.is_null() => self.member(name, member, v),
                _ => {}
            }
        }
    }

    /// Writes one structure member: its element, or its repeated elements when flattened.
    pub fn member(&mut self, member_name: &str, member: &ShapeRef, value: &Document) {
        let Some(shape) = self.shape(&member.shape) else { return };
        let name = member.location_name.as_deref().unwrap_or(member_name);
        match shape.shape_type {
            ShapeType::List if is_flattened(member, shape) => {
                let (Some(items), Some(item_ref)) = (value.as_array(), shape.member.as_deref()) else { return };
                let item_name = flattened_item_name(member_name, member, shape);
                for item in items.iter().filter(|i| !i.is_null()) {
                    self.element(item_name, item_ref, item, &[]);
                }
            }
            ShapeType::Map if is_flattened(member, shape) => {
                let Some(entries) = value.as_object() else { return };
                let ns = namespace_attributes(member, shape);
                for (key, entry) in entries {
                    self.open(name, &ns);
                    self.map_entry(shape, key, entry);
                    self.close(name);
                }
            }
            _ => self.element(name, member, value, &[]),
        }
    }

    /// Writes `value` as the element `name` along `member`, with `extra` attributes on it (the
    /// root's `xmlns`).
    pub fn element(&mut self, name: &str, member: &ShapeRef, value: &Document, extra: &[(String, String)]) {
        let Some(shape) = self.shape(&member.shape) else { return };
        let mut attributes = namespace_attributes(member, shape);
        attributes.extend(extra.iter().cloned());
        match shape.shape_type {
            ShapeType::Structure => {
                attributes.extend(self.attribute_members(shape, value));
                self.open(name, &attributes);
                self.structure_members(shape, value);
                self.close(name);
            }
            ShapeType::List => {
                let Some(item_ref) = shape.member.as_deref() else { return };
                let item_name = item_ref.location_name.as_deref().unwrap_or("member");
                self.open(name, &attributes);
                for item in value.as_array().into_iter().flatten().filter(|i| !i.is_null()) {
                    self.element(item_name, item_ref, item, &[]);
                }
                self.close(name);
            }
            ShapeType::Map => {
                self.open(name, &attributes);
                for (key, entry) in value.as_object().into_iter().flatten() {
                    self.open("entry", &[]);
                    self.map_entry(shape, key, entry);
                    self.close("entry");
                }
                self.close(name);
            }
            _ => {
                let text = scalar_text(member, shape, value);
                self.text_element(name, &attributes, &text);
            }
        }
    }

    /// Writes a structure as the element `name` (a response root or payload).
    pub fn structure_element(&mut self, name: &str, shape: &Shape, value: &Document, mut attributes: Vec<(String, String)>) {
        attributes.extend(self.attribute_members(shape, value));
        self.open(name, &attributes);
        self.structure_members(shape, value);
        self.close(name);
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn map_entry(&mut self, map: &Shape, key: &str, value: &Document) {
        let (Some(key_ref), Some(value_ref)) = (map.key.as_deref(), map.value.as_deref()) else { return };
        let key_name = key_ref.location_name.as_deref().unwrap_or("key");
        let value_name = value_ref.location_name.as_deref().unwrap_or("value");
        self.element(key_name, key_ref, &Document::String(key.to_owned()), &[]);
        if !value.is_null() {
            self.element(value_name, value_ref, value, &[]);
        }
    }

    /// The `xmlAttribute` members of a structure value, as attributes.
    fn attribute_members(&self, shape: &Shape, value: &Document) -> Vec<(String, String)> {
        let Some(object) = value.as_object() else { return Vec::new() };
        shape
            .members
            .iter()
            .filter(|(_, m)| m.xml_attribute)
            .filter_map(|(name, m)| {
                let v = object.get(name).filter(|v| !v.is_null())?;
                let target = self.shape(&m.shape)?;
                Some((m.location_name.clone().unwrap_or_else(|| name.clone()), scalar_text(m, target, v).into_owned()))
            })
            .collect()
    }
}

fn namespace_attributes(member: &ShapeRef, shape: &Shape) -> Vec<(String, String)> {
    member.xml_namespace.as_ref().or(shape.xml_namespace.as_ref()).map(namespace_attribute).into_iter().collect()
}

/// The text of a scalar value: strings, enums and blobs (already base64) as they are, numbers and
/// booleans in their JSON spelling, timestamps in the member's format (ISO 8601 by default).
pub fn scalar_text<'v>(member: &ShapeRef, shape: &Shape, value: &'v Document) -> Cow<'v, str> {
    match value {
        Document::String(s) => {
            if shape.shape_type == ShapeType::Timestamp {
                // A service may hand over a timestamp as text; normalize it when it parses.
                if let Some(at) = parse_timestamp(s) {
                    let doc = nimbus_core::document::timestamp(at);
                    if let Some(text) = TimestampFormat::of(member, shape, TimestampFormat::Iso8601).format(&doc) {
                        return Cow::Owned(text);
                    }
                }
            }
            Cow::Borrowed(s)
        }
        Document::Number(n) if shape.shape_type == ShapeType::Timestamp => Cow::Owned(
            TimestampFormat::of(member, shape, TimestampFormat::Iso8601).format(value).unwrap_or_else(|| n.to_string()),
        ),
        Document::Number(n) => Cow::Owned(n.to_string()),
        Document::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Document::Null => Cow::Borrowed(""),
        other => Cow::Owned(other.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// A parsed XML element: local names (prefixes dropped, as the models never use them for
/// elements), attributes under their qualified names, text with entities resolved.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// An attribute by qualified name (`xsi:type`), else by local name.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        let local = |q: &str| q.rsplit(':').next().unwrap_or(q).to_owned();
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .or_else(|| self.attributes.iter().find(|(k, _)| !k.starts_with("xmlns") && local(k) == local(name)))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a whole document into its root element. The error says what is wrong, for the caller's
/// protocol error.
pub fn parse(xml: &[u8]) -> Result<Element, String> {
    let text = std::str::from_utf8(xml).map_err(|_| "the XML is not valid UTF-8".to_owned())?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|e| format!("the XML is not well-formed: {e}"))?;
        match event {
            Event::Start(start) => stack.push(open_element(&start)?),
            Event::Empty(start) => {
                let element = open_element(&start)?;
                attach(&mut stack, &mut root, element)?;
            }
            Event::End(_) => {
                let element = stack.pop().ok_or("the XML closes an element it never opened")?;
                attach(&mut stack, &mut root, element)?;
            }
            Event::Text(text) => {
                let text = text.unescape().map_err(|e| format!("the XML has a bad entity: {e}"))?;
                match stack.last_mut() {
                    Some(parent) => parent.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err("the XML has text outside its root element".to_owned()),
                }
            }
            Event::CData(data) => {
                let data = std::str::from_utf8(&data).map_err(|_| "the XML is not valid UTF-8".to_owned())?;
                if let Some(parent) = stack.last_mut() {
                    parent.text.push_str(data);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err("the XML ends before its elements are closed".to_owned());
    }
    root.ok_or_else(|| "the XML has no root element".to_owned())
}

fn open_element(start: &BytesStart) -> Result<Element, String> {
    let name = std::str::from_utf8(start.local_name().as_ref()).map_err(|_| "bad element name".to_owned())?.to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| format!("the XML has a bad attribute: {e}"))?;
        let key = std::str::from_utf8(attribute.key.as_ref()).map_err(|_| "bad attribute name".to_owned())?.to_owned();
        let value = attribute.unescape_value().map_err(|e| format!("the XML has a bad attribute: {e}"))?;
        attributes.push((key, value.into_owned()));
    }
    Ok(Element { name, attributes, children: Vec::new(), text: String::new() })
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err("the XML has more than one root element".to_owned()),
    }
    Ok(())
}

/// Reads the members of a structure from an element's children and attributes. Members bound
/// elsewhere (`location`) are left to the HTTP bindings; unknown elements are ignored.
pub fn read_structure(model: &ServiceModel, shape: &Shape, element: &Element) -> Map<String, Document> {
    let mut out = Map::new();
    for (name, member) in &shape.members {
        if member.location.is_some() {
            continue;
        }
        let Some(target) = model.shape(&member.shape) else { continue };
        let wire = member.location_name.as_deref().unwrap_or(name);
        if member.xml_attribute {
            if let Some(text) = element.attribute(wire) {
                out.insert(name.clone(), read_scalar(target, text));
            }
            continue;
        }
        let value = match target.shape_type {
            ShapeType::List if is_flattened(member, target) => {
                let Some(item_ref) = target.member.as_deref() else { continue };
                let item_name = flattened_item_name(name, member, target);
                let items: Vec<Document> = element.children_named(item_name).map(|item| read_value(model, item_ref, item)).collect();
                if items.is_empty() {
                    continue;
                }
                Document::Array(items)
            }
            ShapeType::Map if is_flattened(member, target) => {
                let mut map = Map::new();
                for entry in element.children_named(wire) {
                    read_map_entry(model, target, entry, &mut map);
                }
                if map.is_empty() {
                    continue;
                }
                Document::Object(map)
            }
            _ => match element.child(wire) {
                Some(child) => read_value(model, member, child),
                None => continue,
            },
        };
        out.insert(name.clone(), value);
    }
    out
}

/// Reads one element as a value of `member`'s target shape.
pub fn read_value(model: &ServiceModel, member: &ShapeRef, element: &Element) -> Document {
    let Some(shape) = model.shape(&member.shape) else { return Document::String(element.text.clone()) };
    match shape.shape_type {
        ShapeType::Structure => Document::Object(read_structure(model, shape, element)),
        ShapeType::List => match shape.member.as_deref() {
            // Items are `<member>` (or the renamed item); any child element is accepted, as the
            // wrapper holds nothing else.
            Some(item_ref) => Document::Array(element.children.iter().map(|item| read_value(model, item_ref, item)).collect()),
            None => Document::Array(Vec::new()),
        },
        ShapeType::Map => {
            let mut map = Map::new();
            for entry in &element.children {
                read_map_entry(model, shape, entry, &mut map);
            }
            Document::Object(map)
        }
        _ => read_scalar(shape, &element.text),
    }
}

fn read_map_entry(model: &ServiceModel, map: &Shape, entry: &Element, out: &mut Map<String, Document>) {
    let (Some(key_ref), Some(value_ref)) = (map.key.as_deref(), map.value.as_deref()) else { return };
    let key_name = key_ref.location_name.as_deref().unwrap_or("key");
    let value_name = value_ref.location_name.as_deref().unwrap_or("value");
    // An entry without a key or value is dropped: documents never carry nulls.
    if let (Some(key), Some(value)) = (entry.child(key_name), entry.child(value_name)) {
        out.insert(key.text.clone(), read_value(model, value_ref, value));
    }
}

/// Reads wire text (XML, form, header, query, label) as its shape's type. Text that does not
/// parse stays a string, for the validator to report in the protocol's words with the member's
/// path (`Member must be an integer`), together with any other violation.
pub fn read_scalar(shape: &Shape, text: &str) -> Document {
    let trimmed = text.trim();
    let parsed = match shape.shape_type {
        ShapeType::Boolean => match trimmed {
            "true" => Some(Document::Bool(true)),
            "false" => Some(Document::Bool(false)),
            _ => None,
        },
        ShapeType::Integer | ShapeType::Long => trimmed.parse::<i64>().ok().map(Document::from),
        ShapeType::Float | ShapeType::Double => match trimmed {
            "NaN" | "Infinity" | "-Infinity" => Some(Document::String(trimmed.to_owned())),
            _ => trimmed.parse::<f64>().ok().filter(|n| n.is_finite()).and_then(serde_json::Number::from_f64).map(Document::Number),
        },
        // Every client form is accepted whatever the declared format: parsing is unambiguous.
        ShapeType::Timestamp => parse_timestamp(trimmed).map(nimbus_core::document::timestamp),
        ShapeType::Blob => Some(Document::String(trimmed.to_owned())),
        _ => None,
    };
    parsed.unwrap_or_else(|| Document::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn route53() -> &'static ServiceModel {
        nimbus_model::service("route53").unwrap()
    }

    #[test]
    fn escapes_markup_and_line_ends() {
        assert_eq!(escape("a<b>&\"c'\r\n"), "a&lt;b&gt;&amp;&quot;c&apos;&#xD;&#xA;");
        assert_eq!(escape_text("x\r\ny"), "x&#xD;\ny");
    }

    #[test]
    fn writes_wrapped_lists_renamed_items_and_iso_timestamps() {
        let model = route53();
        let shape = model.shape("CreateHostedZoneResponse").unwrap();
        let doc = json!({
            "ChangeInfo": {"Id": "/change/C1", "Status": "PENDING", "SubmittedAt": 1_704_164_645.5},
            "DelegationSet": {"NameServers": ["ns-1.example.com", "ns-2.example.net"]},
            "Location": "ignored: a header"
        });
        let mut w = XmlWriter::new(model);
        w.structure_members(shape, &doc);
        assert_eq!(
            w.finish(),
            "<ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status><SubmittedAt>2024-01-02T03:04:05.500Z</SubmittedAt></ChangeInfo>\
             <DelegationSet><NameServers><NameServer>ns-1.example.com</NameServer><NameServer>ns-2.example.net</NameServer></NameServers></DelegationSet>"
        );
    }

    #[test]
    fn writes_flattened_lists_and_maps_and_attributes() {
        let s3 = nimbus_model::service("s3").unwrap();
        // CORSRule.AllowedMethods is a flattened list renamed AllowedMethod.
        let shape = s3.shape("CORSRule").unwrap();
        let mut w = XmlWriter::new(s3);
        w.structure_members(shape, &json!({"AllowedMethods": ["GET", "PUT"], "MaxAgeSeconds": 5}));
        assert_eq!(w.finish(), "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><MaxAgeSeconds>5</MaxAgeSeconds>");
        // Grantee carries xsi:type as an attribute and its namespace.
        let grant = s3.shape("Grant").unwrap();
        let mut w = XmlWriter::new(s3);
        w.structure_members(grant, &json!({"Grantee": {"Type": "CanonicalUser", "ID": "abc"}, "Permission": "READ"}));
        let out = w.finish();
        assert!(out.starts_with("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>abc</ID></Grantee>"), "{out}");
        // SNS maps are wrapped in entry/key/value; SQS's are flattened.
        let sns = nimbus_model::service("sns").unwrap();
        let attrs = sns.shape("GetTopicAttributesResponse").unwrap();
        let mut w = XmlWriter::new(sns);
        w.structure_members(attrs, &json!({"Attributes": {"Policy": "{\"a\":1}"}}));
        assert_eq!(w.finish(), "<Attributes><entry><key>Policy</key><value>{&quot;a&quot;:1}</value></entry></Attributes>");
    }

    #[test]
    fn reads_a_body_back_along_the_shape() {
        let model = route53();
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
            <CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
              <Name>example.com.</Name><CallerReference>r&amp;1</CallerReference>
              <HostedZoneConfig><Comment><![CDATA[a <b>]]></Comment><PrivateZone>true</PrivateZone></HostedZoneConfig>
              <Unknown>ignored</Unknown>
            </CreateHostedZoneRequest>"#;
        let root = parse(xml).unwrap();
        assert_eq!(root.name, "CreateHostedZoneRequest");
        let doc = read_structure(model, model.shape("CreateHostedZoneRequest").unwrap(), &root);
        assert_eq!(
            Document::Object(doc),
            json!({"Name": "example.com.", "CallerReference": "r&1", "HostedZoneConfig": {"Comment": "a <b>", "PrivateZone": true}})
        );
        let list = parse(b"<ListTagsForResourcesRequest><ResourceIds><ResourceId>a</ResourceId><ResourceId>b</ResourceId></ResourceIds></ListTagsForResourcesRequest>").unwrap();
        let doc = read_structure(model, model.shape("ListTagsForResourcesRequest").unwrap(), &list);
        assert_eq!(Document::Object(doc), json!({"ResourceIds": ["a", "b"]}));
    }

    #[test]
    fn rejects_broken_documents_and_leaves_bad_values_to_the_validator() {
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"<a></a><b/>").is_err());
        assert!(parse(b"").is_err());
        let model = route53();
        let root = parse(b"<r><HostedZoneConfig><PrivateZone>maybe</PrivateZone></HostedZoneConfig></r>").unwrap();
        let doc = read_structure(model, model.shape("CreateHostedZoneRequest").unwrap(), &root);
        assert_eq!(Document::Object(doc), json!({"HostedZoneConfig": {"PrivateZone": "maybe"}}));
    }
}
