//! Checks an operation's input document against its input shape, as AWS's request framework does
//! before a service sees the request.
//!
//! What is checked: required members are present; every value has its shape's type (integers
//! integral and in range, blobs valid base64, timestamps numbers); string, blob, list and map
//! lengths; number ranges. What is not: enum values (SDKs pass values newer than their model and
//! the service decides) and patterns. Members the shape does not have are ignored, as AWS does.
//!
//! Messages follow the framework's wording exactly, e.g.
//! `1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have
//! length greater than or equal to 1`; several violations are joined with `; ` after
//! `N validation errors detected: `. Paths are member names with each segment's first letter
//! lowercased (`advancedSecurityOptions.sAMLOptions`), list elements as `tags.1.member` (1-based).
//!
//! A value of the wrong type is a parse failure in AWS's JSON stacks (`SerializationException`,
//! before any constraint is looked at); in awsQuery / restXml, whose wire is all strings, it is
//! reported as one more validation error.

use base64::Engine;
use nimbus_core::{Document, ServiceError};
use nimbus_model::{Operation, ServiceModel, Shape, ShapeType};

use crate::{Protocol, Wire};

/// The code of framework validation errors: query-style services say `ValidationError`.
pub fn validation_code(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::AwsQuery | Protocol::RestXml => "ValidationError",
        Protocol::AwsJson1_0 | Protocol::AwsJson1_1 | Protocol::RestJson1 | Protocol::RpcV2Cbor => "ValidationException",
    }
}

/// Whether a wrong-typed value is a parse failure (`SerializationException`) in this protocol.
fn types_fail_parsing(protocol: Protocol) -> bool {
    matches!(protocol, Protocol::AwsJson1_0 | Protocol::AwsJson1_1 | Protocol::RestJson1 | Protocol::RpcV2Cbor)
}

/// The error AWS's JSON stacks answer for a body they cannot read into the input shape.
pub fn serialization_error(message: impl Into<String>) -> ServiceError {
    ServiceError::new("SerializationException", message)
}

/// Validates `input` against the operation's input shape. `Ok` when the operation has no input.
pub fn validate_input(wire: &Wire, op: &Operation, input: &Document) -> Result<(), ServiceError> {
    let Some(shape) = op.input.as_ref().and_then(|r| wire.model.shape(&r.shape)) else {
        return Ok(());
    };
    // SQS's query wire names a missing parameter with its own common error (its API reference's
    // `MissingParameter`), not the generic validation message.
    if wire.protocol == Protocol::AwsQuery
        && wire.model.metadata.service_id == "SQS"
        && let Some(missing) = shape.required.iter().find(|m| input.get(m.as_str()).is_none_or(Document::is_null))
    {
        return Err(ServiceError::new("MissingParameter", format!("The request must contain the parameter {missing}.")).with_status(400));
    }
    let strict_types = types_fail_parsing(wire.protocol);
    let mut checker = Checker { model: wire.model, strict_types, violations: Vec::new(), parse_failure: None };
    checker.check(shape, input, &Path::Root);
    if let Some(message) = checker.parse_failure {
        return Err(serialization_error(message));
    }
    if checker.violations.is_empty() {
        return Ok(());
    }
    let count = checker.violations.len();
    let noun = if count == 1 { "error" } else { "errors" };
    let message = format!("{count} validation {noun} detected: {}", checker.violations.join("; "));
    Err(ServiceError::new(validation_code(wire.protocol), message))
}

/// `tags` + `Key` → `tags.key`: AWS lowercases the first letter of each member name in paths.
pub fn member_path(parent: &str, member: &str) -> String {
    let mut chars = member.chars();
    let lowered: String = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    if parent.is_empty() { lowered } else { format!("{parent}.{lowered}") }
}

/// Where a value sits in the input, rendered (AWS's way: `tags.1.member.key`) only when a
/// violation is reported: valid inputs, nearly all of them, never build a path string.
enum Path<'a> {
    Root,
    Member(&'a Path<'a>, &'a str),
    /// A list element, 1-based.
    Item(&'a Path<'a>, usize),
    /// A map value under its key.
    Entry(&'a Path<'a>, &'a str),
}

impl Path<'_> {
    fn render(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Member(parent, name) => member_path(&parent.render(), name),
            Path::Item(parent, n) => format!("{}.{n}.member", parent.render()),
            Path::Entry(parent, key) => format!("{}.{key}.member", parent.render()),
        }
    }
}

/// What a constraint measures on a value that has its shape's type.
enum Measure {
    /// Characters of a string, bytes of a blob, elements of a list or map.
    Length(usize),
    Number(f64),
    /// Booleans, timestamps, structures, non-finite floats: nothing to range-check.
    Nothing,
}

/// The measure of `value` under `shape`, or `None` when the value does not have the shape's type.
fn measure(shape: &Shape, value: &Document) -> Option<Measure> {
    Some(match shape.shape_type {
        ShapeType::String => Measure::Length(value.as_str()?.chars().count()),
        ShapeType::Blob => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(value.as_str()?).ok()?;
            Measure::Length(bytes.len())
        }
        ShapeType::Integer => Measure::Number(integral(value, i32::MIN.into(), i32::MAX.into())? as f64),
        ShapeType::Long => Measure::Number(integral(value, i64::MIN.into(), i64::MAX.into())? as f64),
        ShapeType::Float | ShapeType::Double => match value {
            Document::Number(n) => Measure::Number(n.as_f64()?),
            // The JSON protocols spell the non-finite floats as strings.
            Document::String(s) if matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") => Measure::Nothing,
            _ => return None,
        },
        ShapeType::Boolean => {
            value.as_bool()?;
            Measure::Nothing
        }
        ShapeType::Timestamp => {
            value.as_f64()?;
            Measure::Nothing
        }
        ShapeType::List => Measure::Length(value.as_array()?.len()),
        ShapeType::Map => Measure::Length(value.as_object()?.len()),
        ShapeType::Structure => {
            value.as_object()?;
            Measure::Nothing
        }
    })
}

/// The value as a whole number within `[min, max]`; `5.0` counts as whole.
fn integral(value: &Document, min: i128, max: i128) -> Option<i128> {
    let n = value.as_number()?;
    let whole = if let Some(i) = n.as_i64() {
        i128::from(i)
    } else if let Some(u) = n.as_u64() {
        i128::from(u)
    } else {
        let f = n.as_f64()?;
        if f.fract() != 0.0 || !f.is_finite() || f.abs() > 1e19 {
            return None;
        }
        f as i128
    };
    (min..=max).contains(&whole).then_some(whole)
}

/// `1`, not `1.0`: model bounds are whole numbers in practice and AWS prints them so.
fn bound(b: f64) -> String {
    if b.fract() == 0.0 && b.abs() < 1e18 { format!("{}", b as i64) } else { format!("{b}") }
}

/// The constraint a measured value breaks, in AWS's words.
fn broken_constraint(shape: &Shape, measure: &Measure) -> Option<String> {
    let (value, what) = match measure {
        Measure::Length(n) => (*n as f64, "length"),
        Measure::Number(x) => (*x, "value"),
        Measure::Nothing => return None,
    };
    if let Some(max) = shape.max.filter(|max| value > *max) {
        return Some(format!("Member must have {what} less than or equal to {}", bound(max)));
    }
    if let Some(min) = shape.min.filter(|min| value < *min) {
        return Some(format!("Member must have {what} greater than or equal to {}", bound(min)));
    }
    None
}

/// Every constraint of a shape, in the order AWS lists them inside `[...]` when it reports a list
/// element or a map key/value (maximum first, as seen in AWS's own messages).
fn all_constraints(shape: &Shape) -> Vec<String> {
    let what = match shape.shape_type {
        ShapeType::String | ShapeType::Blob | ShapeType::List | ShapeType::Map => "length",
        _ => "value",
    };
    let mut out = Vec::new();
    if let Some(max) = shape.max {
        out.push(format!("Member must have {what} less than or equal to {}", bound(max)));
    }
    if let Some(min) = shape.min {
        out.push(format!("Member must have {what} greater than or equal to {}", bound(min)));
    }
    if let Some(pattern) = &shape.pattern {
        out.push(format!("Member must satisfy regular expression pattern: {pattern}"));
    }
    if let Some(values) = &shape.enum_values {
        out.push(format!("Member must satisfy enum value set: [{}]", values.join(", ")));
    }
    out
}

fn is_scalar(shape: &Shape) -> bool {
    !matches!(shape.shape_type, ShapeType::Structure | ShapeType::List | ShapeType::Map)
}

struct Checker<'m> {
    model: &'m ServiceModel,
    strict_types: bool,
    violations: Vec<String>,
    /// The first wrong-typed value, as the `SerializationException` message (strict protocols).
    parse_failure: Option<String>,
}

impl<'m> Checker<'m> {
    fn check(&mut self, shape: &Shape, value: &Document, path: &Path) {
        if shape.document {
            return; // a document member holds any JSON value
        }
        let Some(measured) = measure(shape, value) else {
            self.wrong_type(shape, value, path);
            return;
        };
        if let Some(constraint) = broken_constraint(shape, &measured) {
            self.violation(shape, Some(value), path, &constraint);
        }
        match (shape.shape_type, value) {
            (ShapeType::Structure, Document::Object(fields)) => self.members(shape, fields, path),
            (ShapeType::List, Document::Array(items)) => self.items(shape, value, items, path),
            (ShapeType::Map, Document::Object(entries)) => self.entries(shape, value, entries, path),
            _ => {}
        }
    }

    fn members(&mut self, shape: &Shape, fields: &serde_json::Map<String, Document>, path: &Path) {
        for (name, member) in &shape.members {
            let at = Path::Member(path, name);
            match fields.get(name) {
                None | Some(Document::Null) => {
                    if shape.is_required(name) {
                        self.violation(shape, None, &at, "Member must not be null");
                    }
                }
                Some(value) => {
                    if let Some(member_shape) = self.model.shape(&member.shape) {
                        self.check(member_shape, value, &at);
                    }
                }
            }
        }
    }

    /// Structured elements are checked at `list.N.member`; scalar elements are reported once, at
    /// the list, with all of the element's constraints (`Member must satisfy constraint: [...]`).
    fn items(&mut self, list: &Shape, value: &Document, items: &[Document], path: &Path) {
        let Some(element) = list.member.as_deref().and_then(|m| self.model.shape(&m.shape)) else {
            return;
        };
        if !is_scalar(element) {
            for (i, item) in items.iter().enumerate() {
                self.check(element, item, &Path::Item(path, i + 1));
            }
            return;
        }
        let mut broken = false;
        for (i, item) in items.iter().enumerate() {
            match measure(element, item) {
                Some(m) => broken |= broken_constraint(element, &m).is_some(),
                None => self.wrong_type(element, item, &Path::Item(path, i + 1)),
            }
        }
        if broken {
            let constraint = format!("Member must satisfy constraint: [{}]", all_constraints(element).join(", "));
            self.violation(list, Some(value), path, &constraint);
        }
    }

    /// Keys and scalar values are reported at the map (`Map keys must satisfy constraint: [...]`,
    /// `Map value must satisfy constraint: [...]`); structured values at `map.<key>.member`.
    fn entries(&mut self, map: &Shape, value: &Document, entries: &serde_json::Map<String, Document>, path: &Path) {
        let key_shape = map.key.as_deref().and_then(|k| self.model.shape(&k.shape));
        let value_shape = map.value.as_deref().and_then(|v| self.model.shape(&v.shape));
        if let Some(key_shape) = key_shape {
            let broken = entries.keys().any(|k| {
                let key = Document::String(k.clone());
                measure(key_shape, &key).and_then(|m| broken_constraint(key_shape, &m)).is_some()
            });
            if broken {
                let constraint = format!("Map keys must satisfy constraint: [{}]", all_constraints(key_shape).join(", "));
                self.violation(map, Some(value), path, &constraint);
            }
        }
        let Some(value_shape) = value_shape else { return };
        if !is_scalar(value_shape) {
            for (key, item) in entries {
                self.check(value_shape, item, &Path::Entry(path, key));
            }
            return;
        }
        let mut broken = false;
        for (key, item) in entries {
            match measure(value_shape, item) {
                Some(m) => broken |= broken_constraint(value_shape, &m).is_some(),
                None => self.wrong_type(value_shape, item, &Path::Entry(path, key)),
            }
        }
        if broken {
            let constraint = format!("Map value must satisfy constraint: [{}]", all_constraints(value_shape).join(", "));
            self.violation(map, Some(value), path, &constraint);
        }
    }

    /// `Value 'x' at 'p' failed to satisfy constraint: C`. AWS leaves the value out when it is
    /// sensitive (and we also for blobs, which Java would print as a buffer object); `None` is
    /// a missing value, printed `null`.
    fn violation(&mut self, shape: &Shape, value: Option<&Document>, path: &Path, constraint: &str) {
        let shown = match value {
            None => "Value null".to_owned(),
            Some(_) if self.hides_value(shape) => "Value".to_owned(),
            Some(v) => format!("Value '{}'", self.render(Some(shape), v)),
        };
        let path = path.render();
        self.violations.push(format!("{shown} at '{path}' failed to satisfy constraint: {constraint}"));
    }

    fn wrong_type(&mut self, shape: &Shape, value: &Document, path: &Path) {
        if self.strict_types {
            if self.parse_failure.is_none() {
                self.parse_failure = Some(mismatch_message(shape, value));
            }
            return;
        }
        // The same words as the awsQuery decoder's own type errors.
        let expected = match shape.shape_type {
            ShapeType::String => "a string",
            ShapeType::Integer | ShapeType::Long => "an integer",
            ShapeType::Float | ShapeType::Double => "a number",
            ShapeType::Boolean => "a boolean (true or false)",
            ShapeType::Blob => "base64-encoded",
            ShapeType::Timestamp => "a timestamp in ISO 8601 format",
            ShapeType::List => "a list",
            ShapeType::Map => "a map",
            ShapeType::Structure => "a structure",
        };
        self.violation(shape, Some(value), path, &format!("Member must be {expected}"));
    }

    fn hides_value(&self, shape: &Shape) -> bool {
        let secret = |s: &Shape| s.sensitive || s.shape_type == ShapeType::Blob;
        if secret(shape) {
            return true;
        }
        // A list or map of secrets shows its secrets when printed.
        [shape.member.as_deref(), shape.value.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(|r| self.model.shape(&r.shape))
            .any(secret)
    }

    /// The value as AWS's Java framework prints it: strings bare, lists `[a, b]`, maps and
    /// structures `{k=v, k2=v2}`, floating-point numbers with a fraction (`5.0`).
    fn render(&self, shape: Option<&Shape>, value: &Document) -> String {
        match value {
            Document::Null => "null".to_owned(),
            Document::Bool(b) => b.to_string(),
            Document::String(s) => s.clone(),
            Document::Number(n) => match (shape.map(|s| s.shape_type), n.as_f64()) {
                (Some(ShapeType::Float | ShapeType::Double), Some(f)) => format!("{f:?}"),
                _ => n.to_string(),
            },
            Document::Array(items) => {
                let element = shape.and_then(|s| s.member.as_deref()).and_then(|m| self.model.shape(&m.shape));
                let parts: Vec<String> = items.iter().map(|i| self.render(element, i)).collect();
                format!("[{}]", parts.join(", "))
            }
            Document::Object(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| {
                        let inner = match shape {
                            Some(s) if s.shape_type == ShapeType::Map => s.value.as_deref(),
                            Some(s) => s.members.get(k),
                            None => None,
                        };
                        format!("{k}={}", self.render(inner.and_then(|r| self.model.shape(&r.shape)), v))
                    })
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }
}

/// The parse-failure message of AWS's JSON stacks for a value of the wrong type
/// (`STRING_VALUE can not be converted to an Integer`, `Start of list found where not expected`).
pub fn mismatch_message(shape: &Shape, value: &Document) -> String {
    let found = match value {
        Document::Object(_) => return "Start of structure or map found where not expected.".to_owned(),
        Document::Array(_) => return "Start of list found where not expected.".to_owned(),
        Document::String(_) => "STRING_VALUE",
        Document::Number(_) => "NUMBER_VALUE",
        Document::Bool(_) => "BOOLEAN_VALUE",
        Document::Null => "NULL_VALUE",
    };
    let expected = match shape.shape_type {
        ShapeType::String => "a String",
        ShapeType::Integer => "an Integer",
        ShapeType::Long => "a Long",
        ShapeType::Float => "a Float",
        ShapeType::Double => "a Double",
        ShapeType::Boolean => "a Boolean",
        // The value was a string, but not base64.
        ShapeType::Blob if value.is_string() => return "Base64 encoded value is not valid.".to_owned(),
        ShapeType::Blob => "a Blob",
        ShapeType::Timestamp => "a Timestamp",
        ShapeType::List => "a List",
        ShapeType::Map => "a Map",
        ShapeType::Structure => "a Structure",
    };
    format!("{found} can not be converted to {expected}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(service: &str, protocol: Protocol, operation: &str, input: Document) -> Result<(), ServiceError> {
        let model = nimbus_model::service(service).unwrap();
        let wire = Wire { protocol, model, request_id: "req", query_mode: false };
        validate_input(&wire, model.operation(operation).unwrap(), &input)
    }

    fn message(result: Result<(), ServiceError>) -> (String, String) {
        let err = result.unwrap_err();
        (err.code.into_owned(), err.message)
    }

    #[test]
    fn accepts_valid_input_and_ignores_unknown_members() {
        let input = json!({"SecretId": "db", "VersionStage": "AWSCURRENT", "Surprise": [1, 2]});
        run("secretsmanager", Protocol::AwsJson1_1, "GetSecretValue", input).unwrap();
    }

    #[test]
    fn required_member_missing_or_null() {
        let expected = "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null";
        for input in [json!({}), json!({"SecretId": null})] {
            let (code, msg) = message(run("secretsmanager", Protocol::AwsJson1_1, "GetSecretValue", input));
            assert_eq!(code, "ValidationException");
            assert_eq!(msg, expected);
        }
    }

    #[test]
    fn string_length_in_characters() {
        let (_, msg) = message(run("secretsmanager", Protocol::AwsJson1_1, "CreateSecret", json!({"Name": ""})));
        assert_eq!(
            msg,
            "1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        // 64 characters but 128 bytes: the limit counts characters.
        let token = "é".repeat(64);
        run("secretsmanager", Protocol::AwsJson1_1, "CreateSecret", json!({"Name": "n", "ClientRequestToken": token})).unwrap();
        let (_, msg) = message(run("secretsmanager", Protocol::AwsJson1_1, "CreateSecret", json!({"Name": "x".repeat(513)})));
        assert!(msg.ends_with("at 'name' failed to satisfy constraint: Member must have length less than or equal to 512"), "{msg}");
    }

    #[test]
    fn several_violations_are_counted_and_joined() {
        let input = json!({"Name": "", "ClientRequestToken": "short"});
        let (_, msg) = message(run("secretsmanager", Protocol::AwsJson1_1, "CreateSecret", input));
        assert_eq!(
            msg,
            "2 validation errors detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1; \
             Value 'short' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 32"
        );
    }

    #[test]
    fn sensitive_values_are_not_echoed() {
        let input = json!({"Name": "n", "SecretString": ""});
        let (_, msg) = message(run("secretsmanager", Protocol::AwsJson1_1, "CreateSecret", input));
        assert_eq!(
            msg,
            "1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
    }

    #[test]
    fn blob_must_be_base64_and_is_measured_in_bytes() {
        let (code, _) = message(run("secretsmanager", Protocol::AwsJson1_1, "CreateSecret", json!({"Name": "n", "SecretBinary": "not base64!"})));
        assert_eq!(code, "SerializationException");
        let (code, msg) = message(run("secretsmanager", Protocol::AwsJson1_1, "CreateSecret", json!({"Name": "n", "SecretBinary": ""})));
        assert_eq!(code, "ValidationException");
        assert!(msg.contains("Value at 'secretBinary' failed to satisfy constraint: Member must have length greater than or equal to 1"), "{msg}");
        run("secretsmanager", Protocol::AwsJson1_1, "CreateSecret", json!({"Name": "n", "SecretBinary": "AA=="})).unwrap();
    }

    #[test]
    fn list_length_and_nested_structure_paths() {
        let (_, msg) = message(run("ssm", Protocol::AwsJson1_1, "GetParameters", json!({"Names": []})));
        assert_eq!(
            msg,
            "1 validation error detected: Value '[]' at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        let names: Vec<String> = (0..11).map(|i| format!("p{i}")).collect();
        let (_, msg) = message(run("ssm", Protocol::AwsJson1_1, "GetParameters", json!({"Names": names})));
        assert!(msg.starts_with("1 validation error detected: Value '[p0, p1,"), "{msg}");
        assert!(msg.ends_with("at 'names' failed to satisfy constraint: Member must have length less than or equal to 10"), "{msg}");

        let input = json!({"Name": "/a", "Value": "v", "Tags": [{"Key": "k", "Value": "v"}, {"Value": "v"}]});
        let (_, msg) = message(run("ssm", Protocol::AwsJson1_1, "PutParameter", input));
        assert_eq!(msg, "1 validation error detected: Value null at 'tags.2.member.key' failed to satisfy constraint: Member must not be null");
    }

    #[test]
    fn scalar_list_elements_are_reported_at_the_list() {
        let (_, msg) = message(run("ssm", Protocol::AwsJson1_1, "GetParameters", json!({"Names": ["ok", ""]})));
        assert_eq!(
            msg,
            "1 validation error detected: Value '[ok, ]' at 'names' failed to satisfy constraint: Member must satisfy constraint: \
             [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1]"
        );
    }

    #[test]
    fn number_ranges_and_integral_integers() {
        let base = json!({"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s"});
        let mut input = base.clone();
        input["RoleSessionName"] = json!("ab");
        input["DurationSeconds"] = json!(899);
        let (code, msg) = message(run("sts", Protocol::AwsQuery, "AssumeRole", input));
        assert_eq!(code, "ValidationError");
        assert_eq!(
            msg,
            "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
        );
        let mut input = base.clone();
        input["RoleSessionName"] = json!("ab");
        input["DurationSeconds"] = json!(43_201);
        let (_, msg) = message(run("sts", Protocol::AwsQuery, "AssumeRole", input));
        assert!(msg.ends_with("Member must have value less than or equal to 43200"), "{msg}");

        // Whole floats are integers; fractions and out-of-range numbers are not.
        let mut input = base.clone();
        input["RoleSessionName"] = json!("ab");
        input["DurationSeconds"] = json!(3600.0);
        run("sts", Protocol::AwsQuery, "AssumeRole", input.clone()).unwrap();
        input["DurationSeconds"] = json!(3600.5);
        let (code, msg) = message(run("sts", Protocol::AwsQuery, "AssumeRole", input.clone()));
        assert_eq!(code, "ValidationError");
        assert_eq!(msg, "1 validation error detected: Value '3600.5' at 'durationSeconds' failed to satisfy constraint: Member must be an integer");
        input["DurationSeconds"] = json!(1u64 << 40);
        let (code, msg) = message(run("sts", Protocol::AwsJson1_0, "AssumeRole", input));
        assert_eq!(code, "SerializationException");
        assert_eq!(msg, "NUMBER_VALUE can not be converted to an Integer");
    }

    #[test]
    fn long_range_and_double_values() {
        let model = nimbus_model::service("cloudwatch").unwrap();
        let wire = Wire { protocol: Protocol::RpcV2Cbor, model, request_id: "r", query_mode: false };
        let op = model.operation("PutMetricData").unwrap();
        let ok = json!({"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": 1.5, "Timestamp": 1_700_000_000, "StorageResolution": 1}]});
        validate_input(&wire, op, &ok).unwrap();
        let nan = json!({"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": "NaN"}]});
        validate_input(&wire, op, &nan).unwrap();
        let bad = json!({"Namespace": "App", "MetricData": [{"MetricName": "m", "StorageResolution": 0}]});
        let err = validate_input(&wire, op, &bad).unwrap_err();
        assert_eq!(
            err.message,
            "1 validation error detected: Value '0' at 'metricData.1.member.storageResolution' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        let bad_time = json!({"Namespace": "App", "MetricData": [{"MetricName": "m", "Timestamp": "yesterday"}]});
        let err = validate_input(&wire, op, &bad_time).unwrap_err();
        assert_eq!((err.code.as_ref(), err.message.as_str()), ("SerializationException", "STRING_VALUE can not be converted to a Timestamp"));
    }

    #[test]
    fn wrong_types_fail_parsing_in_json_protocols() {
        let cases = [
            (json!({"SecretId": 5}), "NUMBER_VALUE can not be converted to a String"),
            (json!({"SecretId": ["a"]}), "Start of list found where not expected."),
            (json!({"SecretId": {"a": 1}}), "Start of structure or map found where not expected."),
        ];
        for (input, expected) in cases {
            let (code, msg) = message(run("secretsmanager", Protocol::AwsJson1_1, "GetSecretValue", input));
            assert_eq!((code.as_str(), msg.as_str()), ("SerializationException", expected));
        }
        let (code, msg) = message(run("ssm", Protocol::AwsJson1_1, "GetParameters", json!({"Names": ["a"], "WithDecryption": "yes"})));
        assert_eq!((code.as_str(), msg.as_str()), ("SerializationException", "STRING_VALUE can not be converted to a Boolean"));
    }

    #[test]
    fn map_values_are_reported_at_the_map() {
        // SQS message attributes: map of structures, each requiring DataType.
        let input = json!({"QueueUrl": "q", "MessageBody": "b", "MessageAttributes": {"color": {"StringValue": "red"}}});
        let (_, msg) = message(run("sqs", Protocol::AwsJson1_0, "SendMessage", input));
        assert_eq!(
            msg,
            "1 validation error detected: Value null at 'messageAttributes.color.member.dataType' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn paths_lowercase_only_the_first_letter() {
        assert_eq!(member_path("", "SAMLOptions"), "sAMLOptions");
        assert_eq!(member_path("advancedSecurityOptions", "MasterUserName"), "advancedSecurityOptions.masterUserName");
    }

    #[test]
    fn operations_without_input_accept_anything() {
        let model = nimbus_model::service("sts").unwrap();
        let wire = Wire { protocol: Protocol::AwsQuery, model, request_id: "r", query_mode: false };
        validate_input(&wire, model.operation("GetCallerIdentity").unwrap(), &json!({})).unwrap();
    }
}
