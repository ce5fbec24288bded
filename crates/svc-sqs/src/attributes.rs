//! Queue attributes: AWS's defaults, validation and the parsed settings the queue runs on.
//!
//! The settable attributes are stored as AWS shows them (strings); [`Settings`] is their parsed
//! form, rebuilt whenever they change.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::errors::{Res, invalid_attribute_name, invalid_attribute_value, invalid_value};
use crate::names::parse_queue_arn;

pub type AttributeMap = BTreeMap<String, String>;

/// 1 MiB since AWS raised the limit in 2025 (the API reference: "Default: 1,048,576 bytes").
const DEFAULT_MAXIMUM_MESSAGE_SIZE: i64 = 1_048_576;

/// Attributes that only FIFO queues have.
const FIFO_ONLY: &[&str] = &["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"];

/// Attributes computed by SQS, readable but never set.
pub const READ_ONLY: &[&str] = &[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
];

/// Every attribute a caller may set, in the order GetQueueAttributes lists them.
pub const SETTABLE: &[&str] = &[
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "Policy",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// A queue's dead-letter settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    pub target_arn: String,
    pub max_receive_count: u32,
}

/// The attributes in the form the queue uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub fifo: bool,
    pub delay_seconds: i64,
    pub maximum_message_size: usize,
    pub retention_seconds: i64,
    pub receive_wait_seconds: i64,
    pub visibility_timeout: i64,
    pub redrive: Option<Redrive>,
    pub content_based_dedup: bool,
    /// `DeduplicationScope=messageGroup`: duplicates are detected within a message group.
    pub dedup_per_group: bool,
    /// SSE-KMS: the queue's `KmsMasterKeyId` (sends and receives need it usable).
    pub kms_master_key_id: Option<String>,
}

impl Settings {
    pub fn from_attributes(attrs: &AttributeMap) -> Settings {
        let int = |name: &str, default: i64| attrs.get(name).and_then(|v| v.parse().ok()).unwrap_or(default);
        Settings {
            fifo: attrs.get("FifoQueue").is_some_and(|v| v == "true"),
            delay_seconds: int("DelaySeconds", 0),
            maximum_message_size: int("MaximumMessageSize", DEFAULT_MAXIMUM_MESSAGE_SIZE) as usize,
            retention_seconds: int("MessageRetentionPeriod", 345_600),
            receive_wait_seconds: int("ReceiveMessageWaitTimeSeconds", 0),
            visibility_timeout: int("VisibilityTimeout", 30),
            redrive: attrs.get("RedrivePolicy").and_then(|p| parse_redrive_policy(p).ok()).flatten(),
            content_based_dedup: attrs.get("ContentBasedDeduplication").is_some_and(|v| v == "true"),
            dedup_per_group: attrs.get("DeduplicationScope").is_some_and(|v| v == "messageGroup"),
            kms_master_key_id: attrs.get("KmsMasterKeyId").filter(|v| !v.is_empty()).cloned(),
        }
    }
}

/// The attributes a new queue has before the request's are applied.
pub fn defaults(fifo: bool) -> AttributeMap {
    let mut attrs: AttributeMap = [
        ("DelaySeconds", "0"),
        ("MaximumMessageSize", "1048576"),
        ("MessageRetentionPeriod", "345600"),
        ("ReceiveMessageWaitTimeSeconds", "0"),
        ("VisibilityTimeout", "30"),
        ("SqsManagedSseEnabled", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if fifo {
        for (k, v) in [("FifoQueue", "true"), ("ContentBasedDeduplication", "false"), ("DeduplicationScope", "queue"), ("FifoThroughputLimit", "perQueue")] {
            attrs.insert(k.to_owned(), v.to_owned());
        }
    }
    attrs
}

/// Validates `changes` (CreateQueue or SetQueueAttributes) and applies them to `attrs`.
/// `creating` allows `FifoQueue`, which is fixed once the queue exists.
pub fn apply(attrs: &mut AttributeMap, changes: &AttributeMap, fifo: bool, creating: bool) -> Res<()> {
    for (name, value) in changes {
        if READ_ONLY.contains(&name.as_str()) || !SETTABLE.contains(&name.as_str()) {
            return Err(invalid_attribute_name(name));
        }
        if FIFO_ONLY.contains(&name.as_str()) && !fifo && !(name == "FifoQueue" && value == "false") {
            return Err(invalid_attribute_name(name));
        }
        if name == "FifoQueue" && !creating {
            return Err(invalid_attribute_name(name));
        }
        let normalized = validate(name, value)?;
        match normalized {
            Some(v) => attrs.insert(name.clone(), v),
            None => attrs.remove(name),
        };
    }
    if !fifo {
        attrs.remove("FifoQueue");
    }
    // A KMS key replaces SSE-SQS, and brings its data key reuse period.
    if changes.contains_key("KmsMasterKeyId") && attrs.contains_key("KmsMasterKeyId") {
        attrs.insert("SqsManagedSseEnabled".into(), "false".into());
        attrs.entry("KmsDataKeyReusePeriodSeconds".into()).or_insert_with(|| "300".into());
    }
    if changes.get("SqsManagedSseEnabled").is_some_and(|v| v == "true") {
        attrs.remove("KmsMasterKeyId");
        attrs.remove("KmsDataKeyReusePeriodSeconds");
    }
    if fifo && attrs.get("FifoThroughputLimit").is_some_and(|v| v == "perMessageGroupId") && attrs.get("DeduplicationScope").is_some_and(|v| v == "queue") {
        return Err(invalid_value(
            "FifoThroughputLimit",
            "perMessageGroupId",
            "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup",
        ));
    }
    Ok(())
}

/// Checks one attribute's value; returns the value to store (`None` removes the attribute: an
/// empty RedrivePolicy, Policy or KmsMasterKeyId clears it).
fn validate(name: &str, value: &str) -> Res<Option<String>> {
    let range = |lo: i64, hi: i64| -> Res<Option<String>> {
        match value.trim().parse::<i64>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(Some(n.to_string())),
            _ => Err(invalid_attribute_value(name)),
        }
    };
    let boolean = || -> Res<Option<String>> {
        match value.to_ascii_lowercase().as_str() {
            v @ ("true" | "false") => Ok(Some(v.to_owned())),
            _ => Err(invalid_attribute_value(name)),
        }
    };
    match name {
        "DelaySeconds" => range(0, 900),
        "MaximumMessageSize" => range(1024, 1_048_576),
        "MessageRetentionPeriod" => range(60, 1_209_600),
        "ReceiveMessageWaitTimeSeconds" => range(0, 20),
        "VisibilityTimeout" => range(0, 43_200),
        "KmsDataKeyReusePeriodSeconds" => range(60, 86_400),
        "SqsManagedSseEnabled" | "ContentBasedDeduplication" | "FifoQueue" => boolean(),
        "DeduplicationScope" => match value {
            "messageGroup" | "queue" => Ok(Some(value.to_owned())),
            _ => Err(invalid_attribute_value(name)),
        },
        "FifoThroughputLimit" => match value {
            "perQueue" | "perMessageGroupId" => Ok(Some(value.to_owned())),
            _ => Err(invalid_attribute_value(name)),
        },
        "KmsMasterKeyId" => Ok((!value.is_empty()).then(|| value.to_owned())),
        "Policy" => {
            if value.is_empty() {
                return Ok(None);
            }
            match serde_json::from_str::<Value>(value) {
                Ok(Value::Object(_)) => Ok(Some(value.to_owned())),
                _ => Err(invalid_attribute_value(name)),
            }
        }
        "RedrivePolicy" => {
            parse_redrive_policy(value)?;
            Ok((!value.is_empty()).then(|| value.to_owned()))
        }
        "RedriveAllowPolicy" => {
            parse_redrive_allow_policy(value)?;
            Ok((!value.is_empty()).then(|| value.to_owned()))
        }
        _ => Err(invalid_attribute_name(name)),
    }
}

/// Parses a RedrivePolicy (`{"deadLetterTargetArn": ..., "maxReceiveCount": n}`, the count as
/// a number or a string). Empty means none.
pub fn parse_redrive_policy(value: &str) -> Res<Option<Redrive>> {
    if value.is_empty() {
        return Ok(None);
    }
    let reason = |why: &str| invalid_value("RedrivePolicy", value, why);
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(value) else {
        return Err(reason("Redrive policy is not a valid JSON map."));
    };
    let Some(target) = map.get("deadLetterTargetArn").and_then(Value::as_str) else {
        return Err(reason("Redrive policy does not contain mandatory attribute: deadLetterTargetArn."));
    };
    let count = match map.get("maxReceiveCount") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        None => return Err(reason("Redrive policy does not contain mandatory attribute: maxReceiveCount.")),
        _ => None,
    };
    let Some(count) = count.filter(|c| (1..=1000).contains(c)) else {
        let shown = map.get("maxReceiveCount").map(|v| v.to_string().trim_matches('"').to_owned()).unwrap_or_default();
        return Err(reason(&format!("Invalid value for maxReceiveCount: {shown}, valid values are from 1 to 1000 both inclusive.")));
    };
    if let Some(extra) = map.keys().find(|k| !matches!(k.as_str(), "deadLetterTargetArn" | "maxReceiveCount")) {
        return Err(reason(&format!("Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount], found: {extra}.")));
    }
    if parse_queue_arn(target).is_none() {
        return Err(reason("Invalid value for deadLetterTargetArn."));
    }
    Ok(Some(Redrive { target_arn: target.to_owned(), max_receive_count: count as u32 }))
}

/// Who may use a queue as its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedriveAllow {
    All,
    None,
    Queues(Vec<String>),
}

pub fn parse_redrive_allow_policy(value: &str) -> Res<RedriveAllow> {
    if value.is_empty() {
        return Ok(RedriveAllow::All);
    }
    let reason = |why: &str| invalid_value("RedriveAllowPolicy", value, why);
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(value) else {
        return Err(reason("Amazon SQS can't create the redrive allow policy, as it's in an unsupported format."));
    };
    let sources: Option<Vec<String>> = map
        .get("sourceQueueArns")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect());
    match map.get("redrivePermission").and_then(Value::as_str) {
        Some("allowAll") if sources.is_none() => Ok(RedriveAllow::All),
        Some("denyAll") if sources.is_none() => Ok(RedriveAllow::None),
        Some("byQueue") => match sources {
            Some(s) if !s.is_empty() && s.len() <= 10 => Ok(RedriveAllow::Queues(s)),
            _ => Err(reason("Amazon SQS can't create the redrive allow policy. To specify one or more source queues, you must set redrivePermission to byQueue and list between 1 and 10 source queue ARNs.")),
        },
        Some("allowAll" | "denyAll") => Err(reason("Amazon SQS can't create the redrive allow policy. To specify one or more source queues, you must set redrivePermission to byQueue.")),
        _ => Err(reason("Amazon SQS can't create the redrive allow policy, as it's in an unsupported format.")),
    }
}

/// The names a GetQueueAttributes request asks for, `All` expanded; unknown names are refused.
pub fn requested_names(names: &[String], fifo: bool) -> Res<Vec<&'static str>> {
    let all: Vec<&'static str> = SETTABLE.iter().chain(READ_ONLY).copied().filter(|n| fifo || !FIFO_ONLY.contains(n)).collect();
    let mut out = Vec::new();
    for name in names {
        if name == "All" {
            return Ok(all);
        }
        match SETTABLE.iter().chain(READ_ONLY).find(|n| **n == name.as_str()) {
            Some(n) if fifo || !FIFO_ONLY.contains(n) => out.push(*n),
            Some(_) => {}
            None => return Err(invalid_attribute_name(name)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(pairs: &[(&str, &str)]) -> AttributeMap {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_and_settings() {
        let s = Settings::from_attributes(&defaults(false));
        assert_eq!((s.visibility_timeout, s.retention_seconds, s.maximum_message_size, s.fifo), (30, 345_600, 1_048_576, false));
        assert!(Settings::from_attributes(&defaults(true)).fifo);
    }

    #[test]
    fn ranges_are_enforced() {
        let mut attrs = defaults(false);
        assert_eq!(apply(&mut attrs, &changes(&[("VisibilityTimeout", "43201")]), false, false).unwrap_err().code, "InvalidAttributeValue");
        assert_eq!(apply(&mut attrs, &changes(&[("DelaySeconds", "x")]), false, false).unwrap_err().code, "InvalidAttributeValue");
        assert_eq!(apply(&mut attrs, &changes(&[("Bogus", "1")]), false, false).unwrap_err().code, "InvalidAttributeName");
        assert_eq!(apply(&mut attrs, &changes(&[("QueueArn", "x")]), false, false).unwrap_err().code, "InvalidAttributeName");
        assert_eq!(apply(&mut attrs, &changes(&[("ContentBasedDeduplication", "true")]), false, false).unwrap_err().code, "InvalidAttributeName");
        apply(&mut attrs, &changes(&[("VisibilityTimeout", "0"), ("MaximumMessageSize", "1048576")]), false, false).unwrap();
        assert_eq!(attrs["VisibilityTimeout"], "0");
    }

    #[test]
    fn redrive_policies() {
        let ok = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"3"}"#;
        assert_eq!(parse_redrive_policy(ok).unwrap().unwrap().max_receive_count, 3);
        let zero = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":0}"#;
        assert!(parse_redrive_policy(zero).unwrap_err().message.contains("valid values are from 1 to 1000"));
        assert!(parse_redrive_policy("nope").is_err());
        assert_eq!(parse_redrive_policy("").unwrap(), None);
        assert_eq!(parse_redrive_allow_policy(r#"{"redrivePermission":"denyAll"}"#).unwrap(), RedriveAllow::None);
        assert!(parse_redrive_allow_policy(r#"{"redrivePermission":"byQueue"}"#).is_err());
    }

    #[test]
    fn kms_key_replaces_sse_sqs() {
        let mut attrs = defaults(false);
        apply(&mut attrs, &changes(&[("KmsMasterKeyId", "alias/aws/sqs")]), false, true).unwrap();
        assert_eq!(attrs["SqsManagedSseEnabled"], "false");
        assert_eq!(attrs["KmsDataKeyReusePeriodSeconds"], "300");
    }
}
