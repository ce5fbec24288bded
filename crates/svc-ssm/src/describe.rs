//! DescribeParameters, and the ParameterStringFilter rules it shares with GetParametersByPath.
//!
//! Keys valid for DescribeParameters: Name, Path, Type, KeyId, Tier, DataType, `tag:KEY`
//! (not Label). For GetParametersByPath: Type, KeyId, Label. Options: Equals and BeginsWith;
//! Name also Contains; Path takes Recursive or OneLevel; Label only Equals. Filters are ANDed,
//! the values of one filter ORed.

use nimbus_core::{Document, RequestContext};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::errors::{self, Res};
use crate::names;
use crate::put::DATA_TYPES;
use crate::records::{ParamType, ParameterRecord};
use crate::{Ssm, decode_token, policies_doc, timestamp};

const DESCRIBE_DEFAULT_MAX: usize = 10;
const TYPES: [&str; 3] = ["String", "StringList", "SecureString"];
const TIERS: [&str; 3] = ["Standard", "Advanced", "Intelligent-Tiering"];

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FilterInput {
    key: String,
    option: Option<String>,
    values: Option<Vec<String>>,
}

/// The legacy `Filters` member (Name, Type, KeyId).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyFilterInput {
    key: String,
    values: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeParametersInput {
    filters: Option<Vec<LegacyFilterInput>>,
    parameter_filters: Option<Vec<FilterInput>>,
    max_results: Option<usize>,
    next_token: Option<String>,
    shared: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    DescribeParameters,
    GetParametersByPath,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Name,
    Path,
    Type,
    Kms,
    Tier,
    DataType,
    Label,
    Tag(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Equals,
    BeginsWith,
    Contains,
    Recursive,
    OneLevel,
}

impl Opt {
    fn parse(s: &str) -> Option<Opt> {
        Some(match s {
            "Equals" => Opt::Equals,
            "BeginsWith" => Opt::BeginsWith,
            "Contains" => Opt::Contains,
            "Recursive" => Opt::Recursive,
            "OneLevel" => Opt::OneLevel,
            _ => return None,
        })
    }

    fn test(self, actual: &str, wanted: &str) -> bool {
        match self {
            Opt::Equals => actual == wanted,
            Opt::BeginsWith => actual.starts_with(wanted),
            Opt::Contains => actual.contains(wanted),
            Opt::Recursive | Opt::OneLevel => false,
        }
    }
}

#[derive(Debug, Clone)]
struct Filter {
    key: Key,
    option: Opt,
    values: Vec<String>,
}

/// Validated filters of one request.
#[derive(Debug, Clone, Default)]
pub struct FilterSet {
    filters: Vec<Filter>,
}

impl FilterSet {
    pub fn parse(inputs: Vec<FilterInput>, operation: Operation) -> Res<FilterSet> {
        let valid_keys: &[&str] = match operation {
            Operation::DescribeParameters => &["Name", "Path", "Type", "KeyId", "Tier", "DataType", "tag:<key>"],
            Operation::GetParametersByPath => &["Type", "KeyId", "Label"],
        };
        let mut filters: Vec<Filter> = Vec::with_capacity(inputs.len());
        let mut seen: Vec<String> = Vec::new();
        for input in inputs {
            let key = match input.key.as_str() {
                "Name" => Key::Name,
                "Path" => Key::Path,
                "Type" => Key::Type,
                "KeyId" => Key::Kms,
                "Tier" => Key::Tier,
                "DataType" => Key::DataType,
                "Label" => Key::Label,
                other => match other.strip_prefix("tag:") {
                    Some(tag) if !tag.is_empty() => Key::Tag(tag.to_owned()),
                    _ => return Err(errors::invalid_filter_key(other, valid_keys).into()),
                },
            };
            let allowed = match (operation, &key) {
                (Operation::DescribeParameters, Key::Label) => false,
                (Operation::DescribeParameters, _) => true,
                (Operation::GetParametersByPath, k) => matches!(k, Key::Type | Key::Kms | Key::Label),
            };
            if !allowed {
                return Err(errors::invalid_filter_key(&input.key, valid_keys).into());
            }
            if seen.contains(&input.key) {
                return Err(errors::duplicate_filter(&input.key).into());
            }
            seen.push(input.key.clone());

            let valid_options: &[&str] = match &key {
                Key::Name => &["Equals", "BeginsWith", "Contains"],
                Key::Path => &["Recursive", "OneLevel"],
                Key::Label => &["Equals"],
                _ => &["Equals", "BeginsWith"],
            };
            let option_name = input.option.as_deref().unwrap_or(if key == Key::Path { "OneLevel" } else { "Equals" });
            let option = match Opt::parse(option_name) {
                Some(o) if valid_options.contains(&option_name) => o,
                _ => return Err(errors::invalid_filter_option(option_name, valid_options).into()),
            };

            let values = input.values.unwrap_or_default();
            if values.is_empty() && !matches!(key, Key::Tag(_)) {
                return Err(errors::missing_filter_values(&input.key).into());
            }
            let mut checked = Vec::with_capacity(values.len());
            for value in values {
                let closed_set: Option<&[&str]> = match key {
                    Key::Type => Some(&TYPES),
                    Key::Tier => Some(&TIERS),
                    Key::DataType => Some(&DATA_TYPES),
                    _ => None,
                };
                if let Some(set) = closed_set
                    && option == Opt::Equals
                    && !set.contains(&value.as_str())
                {
                    return Err(errors::invalid_filter_value(&value, set).into());
                }
                checked.push(if key == Key::Path { names::validate_path(&value)? } else { value });
            }
            filters.push(Filter { key, option, values: checked });
        }
        Ok(FilterSet { filters })
    }

    fn legacy(inputs: Vec<LegacyFilterInput>) -> Res<FilterSet> {
        let mut filters = Vec::with_capacity(inputs.len());
        for input in inputs {
            let (key, option) = match input.key.as_str() {
                "Name" => (Key::Name, Opt::BeginsWith),
                "Type" => (Key::Type, Opt::Equals),
                "KeyId" => (Key::Kms, Opt::Equals),
                other => return Err(errors::invalid_filter_key(other, &["Name", "Type", "KeyId"]).into()),
            };
            if input.values.is_empty() {
                return Err(errors::missing_filter_values(&input.key).into());
            }
            filters.push(Filter { key, option, values: input.values });
        }
        Ok(FilterSet { filters })
    }

    pub fn matches(&self, record: &ParameterRecord) -> bool {
        self.filters.iter().all(|f| f.matches(record))
    }

    /// With a Label filter: the version carrying the first of its labels the parameter has.
    pub fn label_version(&self, record: &ParameterRecord) -> Option<i64> {
        let filter = self.filters.iter().find(|f| f.key == Key::Label)?;
        filter.values.iter().find_map(|label| record.labels.get(label).copied())
    }

    /// The store prefix that holds every possible match, when a Path filter narrows it.
    fn listing_prefix(&self) -> String {
        match self.filters.iter().find(|f| f.key == Key::Path) {
            Some(Filter { values, .. }) if values.len() == 1 => names::listing_prefix(&values[0]),
            _ => String::new(),
        }
    }
}

impl Filter {
    fn matches(&self, record: &ParameterRecord) -> bool {
        let data = &record.current;
        let any = |actual: &str| self.values.iter().any(|v| self.option.test(actual, v));
        match &self.key {
            Key::Name => any(&record.name),
            Key::Path => self.values.iter().any(|p| names::is_under(&record.name, p, self.option == Opt::Recursive)),
            Key::Type => any(data.param_type.as_str()),
            Key::Kms => data.param_type == ParamType::SecureString && data.key_id.as_deref().is_some_and(any),
            Key::Tier => any(data.tier.as_str()),
            Key::DataType => any(&data.data_type),
            Key::Label => self.values.iter().any(|l| record.labels.contains_key(l)),
            Key::Tag(tag) => record.tags.iter().any(|(k, v)| k == tag && (self.values.is_empty() || any(v))),
        }
    }
}

impl Ssm {
    pub(crate) fn describe_parameters(&self, ctx: &RequestContext, input: DescribeParametersInput) -> Res<Document> {
        let legacy = input.filters.unwrap_or_default();
        let modern = input.parameter_filters.unwrap_or_default();
        if !legacy.is_empty() && !modern.is_empty() {
            return Err(
                errors::validation("You can use either Filters or ParameterFilters in a single request.").into()
            );
        }
        let filters = if legacy.is_empty() {
            FilterSet::parse(modern, Operation::DescribeParameters)?
        } else {
            FilterSet::legacy(legacy)?
        };
        let max = input.max_results.unwrap_or(DESCRIBE_DEFAULT_MAX).max(1);
        let after = decode_token(input.next_token.as_deref())?;
        if input.shared.unwrap_or(false) {
            // Parameters shared with this account through AWS RAM: Nimbus shares none.
            return Ok(json!({"Parameters": []}));
        }
        let scope = Self::scope(ctx);
        let now = self.now_ms();
        let (matches, next) = self.scan(&scope, &filters.listing_prefix(), after, max, |record| {
            !record.is_expired(now) && filters.matches(record)
        })?;
        let parameters: Vec<Value> = matches.iter().map(|record| metadata_doc(ctx, record)).collect();
        let mut out = Map::new();
        out.insert("Parameters".into(), Value::Array(parameters));
        if let Some(next) = next {
            out.insert("NextToken".into(), json!(next));
        }
        Ok(Value::Object(out))
    }
}

/// A `ParameterMetadata` structure.
fn metadata_doc(ctx: &RequestContext, record: &ParameterRecord) -> Value {
    let data = &record.current;
    let mut doc = Map::new();
    doc.insert("Name".into(), json!(record.name));
    doc.insert("ARN".into(), json!(names::arn(ctx, &record.name)));
    doc.insert("Type".into(), json!(data.param_type.as_str()));
    if data.param_type == ParamType::SecureString
        && let Some(key_id) = &data.key_id
    {
        doc.insert("KeyId".into(), json!(key_id));
    }
    doc.insert("LastModifiedDate".into(), timestamp(data.modified_ms));
    doc.insert("LastModifiedUser".into(), json!(data.modified_user));
    if let Some(description) = &data.description {
        doc.insert("Description".into(), json!(description));
    }
    if let Some(pattern) = &data.allowed_pattern {
        doc.insert("AllowedPattern".into(), json!(pattern));
    }
    doc.insert("Version".into(), json!(data.version));
    doc.insert("Tier".into(), json!(data.tier.as_str()));
    doc.insert("Policies".into(), policies_doc(data));
    doc.insert("DataType".into(), json!(data.data_type));
    Value::Object(doc)
}
