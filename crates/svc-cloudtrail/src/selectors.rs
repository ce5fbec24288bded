//! Event selectors: which events a trail logs (PutEventSelectors / GetEventSelectors).
//!
//! A trail has either basic selectors (`EventSelectors`: read/write type, management events on or
//! off, data resources of S3 objects, DynamoDB tables and Lambda functions by ARN prefix) or
//! advanced ones (`AdvancedEventSelectors`: field conditions on eventCategory, resources.type,
//! resources.ARN, readOnly, eventName, eventSource, errorCode, userIdentity.arn, eventType).
//! An event is logged if any selector matches it. A trail with none set logs all management
//! events and no data events, as AWS's default.

use serde::{Deserialize, Serialize};

use crate::classify::{Category, DataType};
use crate::errors::{self, Res};
use crate::record::{Event, Facts};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventSelector {
    #[serde(default = "all")]
    pub read_write_type: String,
    #[serde(default = "yes")]
    pub include_management_events: bool,
    #[serde(default)]
    pub data_resources: Vec<DataResource>,
    #[serde(default)]
    pub exclude_management_event_sources: Vec<String>,
}

fn all() -> String {
    "All".to_owned()
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataResource {
    #[serde(default)]
    pub r#type: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdvancedEventSelector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub field_selectors: Vec<FieldSelector>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FieldSelector {
    pub field: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equals: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starts_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ends_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_equals: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_starts_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_ends_with: Vec<String>,
}

/// A trail's selectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "selectors")]
pub enum Selectors {
    Basic(Vec<EventSelector>),
    Advanced(Vec<AdvancedEventSelector>),
}

impl Default for Selectors {
    /// All management events, no data events.
    fn default() -> Self {
        Selectors::Basic(vec![EventSelector {
            read_write_type: all(),
            include_management_events: true,
            data_resources: Vec::new(),
            exclude_management_event_sources: Vec::new(),
        }])
    }
}

const MAX_BASIC_SELECTORS: usize = 5;
const MAX_DATA_RESOURCE_VALUES: usize = 250;
const MAX_ADVANCED_VALUES: usize = 500;
const FIELDS: &[&str] =
    &["eventCategory", "resources.type", "resources.ARN", "readOnly", "eventName", "eventSource", "errorCode", "userIdentity.arn", "eventType"];

impl Selectors {
    /// Checks selectors as PutEventSelectors receives them.
    pub fn validate(&self) -> Res<()> {
        match self {
            Selectors::Basic(selectors) => validate_basic(selectors),
            Selectors::Advanced(selectors) => validate_advanced(selectors),
        }
    }

    /// Whether a trail with these selectors logs the event.
    pub fn matches(&self, event: &Event, facts: &Facts) -> bool {
        match self {
            Selectors::Basic(selectors) => selectors.iter().any(|s| basic_matches(s, event, facts)),
            Selectors::Advanced(selectors) => selectors.iter().any(|s| s.field_selectors.iter().all(|f| field_matches(f, event, facts))),
        }
    }

    /// The data event types these selectors can ask for (bits of [`DataType::bit`]).
    pub fn data_mask(&self) -> u32 {
        let mut mask = 0;
        match self {
            Selectors::Basic(selectors) => {
                for resource in selectors.iter().flat_map(|s| &s.data_resources).filter(|r| !r.values.is_empty()) {
                    mask |= resource.r#type.as_deref().and_then(DataType::parse).map_or(0, DataType::bit);
                }
            }
            Selectors::Advanced(selectors) => {
                for selector in selectors {
                    let field = |name: &str| selector.field_selectors.iter().find(|f| f.field == name);
                    if !field("eventCategory").is_some_and(|f| f.equals.iter().any(|v| v == "Data")) {
                        continue;
                    }
                    mask |= match field("resources.type") {
                        Some(types) => types.equals.iter().filter_map(|t| DataType::parse(t)).fold(0, |m, t| m | t.bit()),
                        None => u32::MAX,
                    };
                }
            }
        }
        mask
    }
}

fn validate_basic(selectors: &[EventSelector]) -> Res<()> {
    if selectors.len() > MAX_BASIC_SELECTORS {
        return Err(errors::invalid_selectors(format!("You can specify at most {MAX_BASIC_SELECTORS} event selectors.")));
    }
    let mut values = 0;
    for selector in selectors {
        if !matches!(selector.read_write_type.as_str(), "ReadOnly" | "WriteOnly" | "All") {
            return Err(errors::invalid_selectors(format!("Invalid ReadWriteType {}.", selector.read_write_type)));
        }
        for resource in &selector.data_resources {
            let name = resource.r#type.as_deref().unwrap_or_default();
            let data_type = DataType::parse(name).filter(|t| t.basic_selectable()).ok_or_else(|| {
                errors::invalid_selectors(format!(
                    "Invalid DataResource type {name}. Use advanced event selectors for resource types other than \
                     AWS::S3::Object, AWS::DynamoDB::Table and AWS::Lambda::Function."
                ))
            })?;
            values += resource.values.len();
            let service = match data_type {
                DataType::S3Object => "arn:aws:s3",
                DataType::DynamoDbTable => "arn:aws:dynamodb",
                _ => "arn:aws:lambda",
            };
            if let Some(bad) = resource.values.iter().find(|v| !v.starts_with(service)) {
                return Err(errors::invalid_selectors(format!("Value {bad} for DataResources.Values is invalid.")));
            }
        }
    }
    if values > MAX_DATA_RESOURCE_VALUES {
        return Err(errors::invalid_selectors(format!("You can specify at most {MAX_DATA_RESOURCE_VALUES} data resources for a trail.")));
    }
    Ok(())
}

fn validate_advanced(selectors: &[AdvancedEventSelector]) -> Res<()> {
    let mut values = 0;
    for selector in selectors {
        let mut category = None;
        for field in &selector.field_selectors {
            if !FIELDS.contains(&field.field.as_str()) {
                return Err(errors::invalid_selectors(format!("Invalid field {} in an advanced event selector.", field.field)));
            }
            let operators = [&field.equals, &field.starts_with, &field.ends_with, &field.not_equals, &field.not_starts_with, &field.not_ends_with];
            let count: usize = operators.iter().map(|o| o.len()).sum();
            if count == 0 {
                return Err(errors::invalid_selectors(format!("Field {} has no condition.", field.field)));
            }
            values += count;
            if field.field == "eventCategory" {
                category = field.equals.first().cloned();
            }
            if field.field == "readOnly" && field.equals.iter().any(|v| v != "true" && v != "false") {
                return Err(errors::invalid_selectors("readOnly can only equal true or false."));
            }
            if field.field == "resources.type"
                && let Some(bad) = field.equals.iter().find(|t| DataType::parse(t).is_none())
            {
                return Err(errors::invalid_selectors(format!("Invalid resources.type value {bad}.")));
            }
        }
        match category.as_deref() {
            Some("Management") => {}
            Some("Data") if selector.field_selectors.iter().any(|f| f.field == "resources.type" && !f.equals.is_empty()) => {}
            Some("Data") => return Err(errors::invalid_selectors("A data event selector must specify resources.type with Equals.")),
            _ => return Err(errors::invalid_selectors("Each advanced event selector must specify eventCategory with Equals Management or Data.")),
        }
    }
    if values > MAX_ADVANCED_VALUES {
        return Err(errors::invalid_selectors(format!("You can specify at most {MAX_ADVANCED_VALUES} values across advanced event selectors.")));
    }
    Ok(())
}

fn read_write_matches(read_write_type: &str, read_only: bool) -> bool {
    match read_write_type {
        "ReadOnly" => read_only,
        "WriteOnly" => !read_only,
        _ => true,
    }
}

fn basic_matches(selector: &EventSelector, event: &Event, facts: &Facts) -> bool {
    if !read_write_matches(&selector.read_write_type, event.read_only) {
        return false;
    }
    match facts.class.category {
        Category::Management => selector.include_management_events && !selector.exclude_management_event_sources.contains(&event.source),
        Category::Data(data_type) => {
            let arns = data_arns(data_type, event);
            selector.data_resources.iter().filter(|r| r.r#type.as_deref() == Some(data_type.name())).any(|r| {
                r.values.iter().any(|value| {
                    let everything = matches!(value.as_str(), "arn:aws:s3" | "arn:aws:s3:::" | "arn:aws:dynamodb" | "arn:aws:lambda");
                    everything || arns.iter().any(|arn| if data_type == DataType::S3Object { arn.starts_with(value.as_str()) } else { arn == value })
                })
            })
        }
    }
}

/// The ARNs a data event is for, as data-resource values match them. A bucket-level data event
/// (ListObjects) matches as the bucket with an empty prefix.
fn data_arns(data_type: DataType, event: &Event) -> Vec<String> {
    let of_type = |t: &str| -> Vec<String> {
        event.resources.iter().filter(|r| r.resource_type == t).map(|r| r.arn.clone().unwrap_or_else(|| r.name.clone())).collect()
    };
    let arns = of_type(data_type.name());
    if arns.is_empty() && data_type == DataType::S3Object {
        return of_type("AWS::S3::Bucket").into_iter().map(|bucket| format!("{bucket}/")).collect();
    }
    arns
}

fn field_matches(field: &FieldSelector, event: &Event, facts: &Facts) -> bool {
    let values: Vec<String> = match field.field.as_str() {
        "eventCategory" => vec![facts.class.category_name().to_owned()],
        "resources.type" => match facts.class.category {
            Category::Data(t) => vec![t.name().to_owned()],
            Category::Management => event.resources.iter().map(|r| r.resource_type.clone()).collect(),
        },
        "resources.ARN" => match facts.class.category {
            Category::Data(t) => data_arns(t, event),
            Category::Management => event.resources.iter().filter_map(|r| r.arn.clone()).collect(),
        },
        "readOnly" => vec![event.read_only.to_string()],
        "eventName" => vec![event.name.clone()],
        "eventSource" => vec![event.source.clone()],
        "errorCode" => facts.error_code.iter().cloned().collect(),
        "userIdentity.arn" => facts.user_arn.iter().cloned().collect(),
        "eventType" => vec!["AwsApiCall".to_owned()],
        _ => return false,
    };
    let any = |f: &dyn Fn(&str) -> bool| values.iter().any(|v| f(v));
    let positive = field.equals.is_empty() && field.starts_with.is_empty() && field.ends_with.is_empty()
        || any(&|v| field.equals.iter().any(|e| e == v))
        || any(&|v| field.starts_with.iter().any(|p| v.starts_with(p.as_str())))
        || any(&|v| field.ends_with.iter().any(|s| v.ends_with(s.as_str())));
    let negative = any(&|v| field.not_equals.iter().any(|e| e == v))
        || any(&|v| field.not_starts_with.iter().any(|p| v.starts_with(p.as_str())))
        || any(&|v| field.not_ends_with.iter().any(|s| v.ends_with(s.as_str())));
    positive && !negative
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::build;
    use nimbus_core::ApiCall;
    use serde_json::json;

    fn event(service: &str, operation: &str, params: serde_json::Value) -> (Event, Facts) {
        let call = ApiCall {
            event_time_ms: 0,
            service: service.into(),
            event_source: format!("{service}.amazonaws.com"),
            operation: operation.into(),
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            principal: Some(nimbus_core::Principal::account_root("000000000000")),
            source_ip: None,
            user_agent: None,
            request_id: "r".into(),
            request_parameters: Some(params),
            response_elements: None,
            error: None,
        };
        build(call, "id".into(), 0)
    }

    fn field(name: &str, equals: &[&str], not_equals: &[&str], starts_with: &[&str]) -> FieldSelector {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        FieldSelector {
            field: name.into(),
            equals: strings(equals),
            starts_with: strings(starts_with),
            ends_with: vec![],
            not_equals: strings(not_equals),
            not_starts_with: vec![],
            not_ends_with: vec![],
        }
    }

    #[test]
    fn basic_selectors_match_s3_prefixes_and_read_write_type() {
        let put = event("s3", "PutObject", json!({"bucketName": "b1", "key": "logs/a"}));
        let list = event("s3", "ListObjectsV2", json!({"bucketName": "b1"}));
        let other = event("s3", "GetObject", json!({"bucketName": "b2", "key": "x"}));
        let selectors = |values: &[&str], rw: &str| {
            Selectors::Basic(vec![EventSelector {
                read_write_type: rw.into(),
                include_management_events: false,
                data_resources: vec![DataResource { r#type: Some("AWS::S3::Object".into()), values: values.iter().map(|v| (*v).to_owned()).collect() }],
                exclude_management_event_sources: vec![],
            }])
        };
        let bucket = selectors(&["arn:aws:s3:::b1/"], "All");
        assert!(bucket.matches(&put.0, &put.1) && bucket.matches(&list.0, &list.1) && !bucket.matches(&other.0, &other.1));
        let prefix = selectors(&["arn:aws:s3:::b1/logs/"], "All");
        assert!(prefix.matches(&put.0, &put.1) && !prefix.matches(&list.0, &list.1));
        let everything = selectors(&["arn:aws:s3"], "ReadOnly");
        assert!(!everything.matches(&put.0, &put.1) && everything.matches(&other.0, &other.1));
        let management = event("s3", "CreateBucket", json!({"bucketName": "b1"}));
        assert!(!bucket.matches(&management.0, &management.1), "IncludeManagementEvents false");
        assert!(Selectors::default().matches(&management.0, &management.1) && !Selectors::default().matches(&put.0, &put.1));
        assert_eq!(bucket.data_mask(), DataType::S3Object.bit());
    }

    #[test]
    fn advanced_selectors_and_their_operators() {
        let send = event("sqs", "SendMessage", json!({"queueUrl": "http://h/000000000000/jobs"}));
        let receive = event("sqs", "ReceiveMessage", json!({"queueUrl": "http://h/000000000000/jobs"}));
        let other = event("sqs", "SendMessage", json!({"queueUrl": "http://h/000000000000/other"}));
        let selectors = Selectors::Advanced(vec![AdvancedEventSelector {
            name: None,
            field_selectors: vec![
                field("eventCategory", &["Data"], &[], &[]),
                field("resources.type", &["AWS::SQS::Queue"], &[], &[]),
                field("eventName", &[], &["ReceiveMessage"], &[]),
                field("resources.ARN", &[], &[], &["arn:aws:sqs:us-east-1:000000000000:jo"]),
            ],
        }]);
        assert!(selectors.validate().is_ok());
        assert!(selectors.matches(&send.0, &send.1));
        assert!(!selectors.matches(&receive.0, &receive.1));
        assert!(!selectors.matches(&other.0, &other.1));
        assert_eq!(selectors.data_mask(), DataType::SqsQueue.bit());
        let management = Selectors::Advanced(vec![AdvancedEventSelector {
            name: None,
            field_selectors: vec![field("eventCategory", &["Management"], &[], &[]), field("readOnly", &["false"], &[], &[])],
        }]);
        let create = event("sqs", "CreateQueue", json!({"queueName": "q"}));
        let list = event("sqs", "ListQueues", json!({}));
        assert!(management.matches(&create.0, &create.1) && !management.matches(&list.0, &list.1) && !management.matches(&send.0, &send.1));
        assert_eq!(management.data_mask(), 0);
        let bad = Selectors::Advanced(vec![AdvancedEventSelector { name: None, field_selectors: vec![field("eventCategory", &["Data"], &[], &[])] }]);
        assert_eq!(bad.validate().unwrap_err().0.code, "InvalidEventSelectorsException");
    }
}
