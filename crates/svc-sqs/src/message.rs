//! Message bodies and attributes as sent: validation with AWS's errors, and the MD5 digests SDKs
//! check (`MD5OfMessageBody`, `MD5OfMessageAttributes`, `MD5OfMessageSystemAttributes`).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::errors::{Res, invalid_parameter};
use nimbus_core::ServiceError;

pub const MAX_ATTRIBUTES: usize = 10;

/// One message attribute, as stored. `DataType` is `String`, `Number` or `Binary`, optionally
/// with a custom label (`String.url`); Number values are kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string: Option<String>,
    /// Base64 (standard alphabet) of a Binary attribute's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
}

pub type Attributes = BTreeMap<String, Attribute>;

impl Attribute {
    fn is_binary(&self) -> bool {
        base_type(&self.data_type) == "Binary"
    }

    fn value_bytes(&self) -> Vec<u8> {
        match (&self.string, &self.binary) {
            (Some(s), _) => s.as_bytes().to_vec(),
            (None, Some(b)) => B64.decode(b).unwrap_or_default(),
            (None, None) => Vec::new(),
        }
    }

    /// The size the attribute counts towards the message size limit: name, type and value.
    fn size(&self, name: &str) -> usize {
        name.len() + self.data_type.len() + self.value_bytes().len()
    }

    pub fn to_document(&self) -> Value {
        let mut doc = Map::new();
        if let Some(s) = &self.string {
            doc.insert("StringValue".into(), json!(s));
        }
        if let Some(b) = &self.binary {
            doc.insert("BinaryValue".into(), json!(b));
        }
        doc.insert("DataType".into(), json!(self.data_type));
        Value::Object(doc)
    }
}

fn base_type(data_type: &str) -> &str {
    data_type.split_once('.').map_or(data_type, |(base, _)| base)
}

/// Parses and validates a `MessageAttributes` map (or the system attributes map, `system`
/// true: only `AWSTraceHeader`, a String).
pub fn parse_attributes(doc: Option<&Value>, system: bool) -> Res<Attributes> {
    let Some(map) = doc.and_then(Value::as_object) else { return Ok(Attributes::new()) };
    if !system && map.len() > MAX_ATTRIBUTES {
        return Err(invalid_parameter(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            map.len()
        )));
    }
    let mut out = Attributes::new();
    for (name, value) in map {
        if system {
            if name != "AWSTraceHeader" {
                return Err(invalid_parameter(format!("Message system attribute name '{name}' is invalid.")));
            }
        } else {
            validate_attribute_name(name)?;
        }
        let data_type = value.get("DataType").and_then(Value::as_str).unwrap_or_default().to_owned();
        if value.get("StringListValues").is_some() || value.get("BinaryListValues").is_some() {
            return Err(invalid_parameter("Message attribute list values in SendMessage operation are not supported."));
        }
        let string = value.get("StringValue").and_then(Value::as_str).map(str::to_owned);
        let binary = value.get("BinaryValue").and_then(Value::as_str).map(str::to_owned);
        let attribute = Attribute { data_type, string, binary };
        validate_attribute(name, &attribute, system)?;
        out.insert(name.clone(), attribute);
    }
    Ok(out)
}

fn validate_attribute_name(name: &str) -> Res<()> {
    let lower = name.to_ascii_lowercase();
    let bad = name.is_empty()
        || name.len() > 256
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        || name.starts_with('.')
        || name.ends_with('.')
        || name.contains("..");
    if bad {
        return Err(invalid_parameter(format!(
            "Message (user) attribute '{name}' must contain a non-empty attribute name, can only contain alphanumerics, hyphens, underscores and periods, and must not start or end with a period or contain consecutive periods."
        )));
    }
    if lower.starts_with("aws.") || lower.starts_with("amazon.") {
        return Err(invalid_parameter(format!("You can't use the message attribute name '{name}'. The prefixes AWS. and Amazon. are reserved.")));
    }
    Ok(())
}

fn validate_attribute(name: &str, attr: &Attribute, system: bool) -> Res<()> {
    let base = base_type(&attr.data_type);
    let label_ok = attr.data_type.split_once('.').is_none_or(|(_, label)| {
        !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    });
    if attr.data_type.is_empty() {
        return Err(invalid_parameter(format!("The message attribute '{name}' must contain non-empty message attribute type.")));
    }
    if !matches!(base, "String" | "Number" | "Binary") || !label_ok || attr.data_type.len() > 256 || (system && base != "String") {
        return Err(invalid_parameter(format!(
            "The type of message (user) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
        )));
    }
    let empty = |kind: &str| {
        invalid_parameter(format!(
            "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{kind}'."
        ))
    };
    match base {
        "Binary" => {
            let bytes = attr.binary.as_deref().map(|b| B64.decode(b));
            match bytes {
                Some(Ok(b)) if !b.is_empty() => {}
                _ => return Err(empty("Binary")),
            }
            if attr.string.is_some() {
                return Err(invalid_parameter(format!("The message attribute '{name}' with type 'Binary' must use field 'Binary'.")));
            }
        }
        _ => {
            let Some(s) = attr.string.as_deref().filter(|s| !s.is_empty()) else { return Err(empty(base)) };
            if attr.binary.is_some() {
                return Err(invalid_parameter(format!("The message attribute '{name}' with type '{base}' must use field 'String'.")));
            }
            if base == "Number" && !is_sqs_number(s) {
                return Err(invalid_parameter(format!("Can't cast the value of message (user) attribute '{name}' to a number.")));
            }
            if let Some(bad) = invalid_character(s) {
                return Err(invalid_parameter(format!("Invalid non-alphanumeric character '#x{bad:X}' was found in the message attribute '{name}'.")));
            }
        }
    }
    Ok(())
}

/// A Number attribute: an optionally signed decimal with up to 38 digits of precision, and an
/// optional exponent (AWS accepts values from -10^128 to 10^126).
fn is_sqs_number(s: &str) -> bool {
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let mantissa = mantissa.strip_prefix(['+', '-']).unwrap_or(mantissa);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    let significant = format!("{int}{frac}");
    let significant = significant.trim_start_matches('0').trim_end_matches('0');
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.len() <= 3 && e.bytes().all(|b| b.is_ascii_digit())
    });
    digits_ok && exponent_ok && significant.len() <= 38
}

/// The first character outside what SQS accepts in a message (XML 1.0's characters).
pub fn invalid_character(s: &str) -> Option<u32> {
    s.chars().map(u32::from).find(|&c| {
        !(c == 0x9 || c == 0xA || c == 0xD || (0x20..=0xD7FF).contains(&c) || (0xE000..=0xFFFD).contains(&c) || (0x10000..=0x10FFFF).contains(&c))
    })
}

pub fn validate_body(body: &str) -> Res<()> {
    if body.is_empty() {
        return Err(crate::errors::missing_parameter("MessageBody"));
    }
    if let Some(bad) = invalid_character(body) {
        return Err(ServiceError::new(
            "InvalidMessageContents",
            format!("Invalid binary character '#x{bad:X}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"),
        ));
    }
    Ok(())
}

/// Body plus attributes, as counted against MaximumMessageSize.
pub fn message_size(body: &str, attributes: &Attributes) -> usize {
    body.len() + attributes.iter().map(|(name, a)| a.size(name)).sum::<usize>()
}

pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// AWS's digest of message attributes: for each attribute in name order, the name, the data
/// type and the value, each as a 4-byte big-endian length and the bytes, with a transport byte
/// (1 for String and Number values, 2 for Binary) before the value. `None` for no attributes
/// (AWS then sends no digest).
pub fn md5_of_attributes(attributes: &Attributes) -> Option<String> {
    md5_of_attribute_iter(attributes.iter())
}

pub fn md5_of_attribute_iter<'a>(attributes: impl Iterator<Item = (&'a String, &'a Attribute)>) -> Option<String> {
    let mut hasher = Md5::new();
    let mut any = false;
    let field = |hasher: &mut Md5, bytes: &[u8]| {
        hasher.update((bytes.len() as u32).to_be_bytes());
        hasher.update(bytes);
    };
    for (name, attr) in attributes {
        any = true;
        field(&mut hasher, name.as_bytes());
        field(&mut hasher, attr.data_type.as_bytes());
        hasher.update([if attr.is_binary() { 2 } else { 1 }]);
        field(&mut hasher, &attr.value_bytes());
    }
    any.then(|| hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(doc: Value) -> Attributes {
        parse_attributes(Some(&doc), false).unwrap()
    }

    #[test]
    fn body_digest_is_plain_md5() {
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn attribute_digest_follows_the_documented_encoding() {
        // Built by hand from the documented layout, independently of md5_of_attributes.
        let a = attrs(json!({"b": {"DataType": "Number", "StringValue": "7"}, "a": {"DataType": "Binary", "BinaryValue": B64.encode([0u8, 255])}}));
        let mut expected = Vec::new();
        for (name, ty, transport, value) in [("a", "Binary", 2u8, vec![0u8, 255]), ("b", "Number", 1u8, b"7".to_vec())] {
            expected.extend((name.len() as u32).to_be_bytes());
            expected.extend(name.as_bytes());
            expected.extend((ty.len() as u32).to_be_bytes());
            expected.extend(ty.as_bytes());
            expected.push(transport);
            expected.extend((value.len() as u32).to_be_bytes());
            expected.extend(value);
        }
        assert_eq!(md5_of_attributes(&a), Some(md5_hex(&expected)));
        assert_eq!(md5_of_attributes(&Attributes::new()), None);
    }

    #[test]
    fn a_known_digest_from_an_sdk_round_trip() {
        // boto3 computes this for {"k": String "v"} (its own MD5 check of SendMessage).
        let a = attrs(json!({"k": {"DataType": "String", "StringValue": "v"}}));
        let mut bytes = Vec::new();
        bytes.extend(1u32.to_be_bytes());
        bytes.extend(b"k");
        bytes.extend(6u32.to_be_bytes());
        bytes.extend(b"String");
        bytes.push(1);
        bytes.extend(1u32.to_be_bytes());
        bytes.extend(b"v");
        assert_eq!(md5_of_attributes(&a).unwrap(), md5_hex(&bytes));
    }

    #[test]
    fn attribute_rules() {
        let bad = |doc: Value| parse_attributes(Some(&doc), false).unwrap_err().code.into_owned();
        assert_eq!(bad(json!({"AWS.x": {"DataType": "String", "StringValue": "v"}})), "InvalidParameterValue");
        assert_eq!(bad(json!({"a..b": {"DataType": "String", "StringValue": "v"}})), "InvalidParameterValue");
        assert_eq!(bad(json!({"a": {"DataType": "Text", "StringValue": "v"}})), "InvalidParameterValue");
        assert_eq!(bad(json!({"a": {"DataType": "String", "StringValue": ""}})), "InvalidParameterValue");
        assert_eq!(bad(json!({"a": {"DataType": "Number", "StringValue": "1x"}})), "InvalidParameterValue");
        let eleven: Map<String, Value> = (0..11).map(|i| (format!("a{i}"), json!({"DataType": "String", "StringValue": "v"}))).collect();
        assert_eq!(bad(Value::Object(eleven)), "InvalidParameterValue");
        assert!(parse_attributes(Some(&json!({"n": {"DataType": "Number.int", "StringValue": "-1.5e10"}})), false).is_ok());
    }

    #[test]
    fn numbers_as_sqs_reads_them() {
        for ok in ["0", "-1", "+2.5", ".5", "1.", "1e126", "12345678901234567890123456789012345678"] {
            assert!(is_sqs_number(ok), "{ok}");
        }
        for bad in ["", "-", "1.2.3", "abc", "1e", "123456789012345678901234567890123456789"] {
            assert!(!is_sqs_number(bad), "{bad}");
        }
    }

    #[test]
    fn bodies_allow_xml_characters_only() {
        assert!(validate_body("ok \t\n\r é 😀").is_ok());
        assert_eq!(validate_body("a\u{1}b").unwrap_err().code, "InvalidMessageContents");
        assert_eq!(validate_body("").unwrap_err().code, "MissingParameter");
    }
}
