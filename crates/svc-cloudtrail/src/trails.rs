//! Trails: what is persisted, how a trail is named and found.
//!
//! One [`TrailRecord`] per trail, all in record scope "" keyed `<account>/<home region>/<name>`,
//! so an account's trails are one prefix and every trail loads at start (the writer's index).
//! Delivery state is a separate [`TrailStatus`] record keyed by the trail's id, so the sweeper
//! updating it never races a configuration change.

use std::collections::BTreeMap;

use nimbus_core::RequestContext;
use nimbus_store::{Record, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::errors::{self, Res};
use crate::recorder::ActiveTrail;
use crate::selectors::Selectors;

/// Trails per account and region (AWS's quota).
pub const MAX_TRAILS_PER_REGION: usize = 5;
/// Tags per trail (AWS's quota).
pub const MAX_TAGS: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailRecord {
    /// Unique per trail ever created: a recreated trail starts with no pending log file.
    pub id: String,
    pub name: String,
    pub account: String,
    pub home_region: String,
    pub s3_bucket: String,
    #[serde(default)]
    pub s3_key_prefix: Option<String>,
    #[serde(default)]
    pub sns_topic_name: Option<String>,
    pub include_global: bool,
    pub multi_region: bool,
    pub log_file_validation: bool,
    #[serde(default)]
    pub cloudwatch_log_group_arn: Option<String>,
    #[serde(default)]
    pub cloudwatch_role_arn: Option<String>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    pub selectors: Selectors,
    /// Whether PutEventSelectors set the selectors (`HasCustomEventSelectors`).
    pub custom_selectors: bool,
    pub logging: bool,
    #[serde(default)]
    pub start_logging_ms: Option<i64>,
    #[serde(default)]
    pub stop_logging_ms: Option<i64>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub created_ms: i64,
}

impl Record for TrailRecord {
    const KIND: &'static str = "cloudtrail.trail";
    const VERSION: u32 = 1;
}

/// The scope every trail record lives in.
pub const SCOPE: &str = "";

/// How the last deliveries of a trail went (GetTrailStatus), keyed by the trail's id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrailStatus {
    #[serde(default)]
    pub latest_delivery_ms: Option<i64>,
    #[serde(default)]
    pub latest_attempt_ms: Option<i64>,
    #[serde(default)]
    pub latest_delivery_error: Option<String>,
}

impl Record for TrailStatus {
    const KIND: &'static str = "cloudtrail.trail_status";
    const VERSION: u32 = 1;
}

pub fn key(account: &str, region: &str, name: &str) -> String {
    format!("{account}/{region}/{name}")
}

impl TrailRecord {
    pub fn arn(&self) -> String {
        format!("arn:aws:cloudtrail:{}:{}:trail/{}", self.home_region, self.account, self.name)
    }

    pub fn key(&self) -> String {
        key(&self.account, &self.home_region, &self.name)
    }

    /// The writer's view, when the trail logs.
    pub fn active(&self) -> Option<ActiveTrail> {
        self.logging.then(|| ActiveTrail {
            account: self.account.clone(),
            home_region: self.home_region.clone(),
            id: self.id.clone(),
            multi_region: self.multi_region,
            include_global: self.include_global,
            selectors: self.selectors.clone(),
        })
    }

    /// The `Trail` structure (GetTrail, DescribeTrails).
    pub fn describe(&self) -> Value {
        let mut doc = self.common();
        doc.insert("HomeRegion".into(), json!(self.home_region));
        doc.insert("HasCustomEventSelectors".into(), json!(self.custom_selectors));
        doc.insert("HasInsightSelectors".into(), json!(false));
        Value::Object(doc)
    }

    /// The members CreateTrail and UpdateTrail answer with.
    pub fn common(&self) -> Map<String, Value> {
        let mut doc = Map::new();
        doc.insert("Name".into(), json!(self.name));
        doc.insert("S3BucketName".into(), json!(self.s3_bucket));
        if let Some(prefix) = &self.s3_key_prefix {
            doc.insert("S3KeyPrefix".into(), json!(prefix));
        }
        if let Some(topic) = &self.sns_topic_name {
            doc.insert("SnsTopicName".into(), json!(topic));
            let arn = if topic.starts_with("arn:") { topic.clone() } else { format!("arn:aws:sns:{}:{}:{topic}", self.home_region, self.account) };
            doc.insert("SnsTopicARN".into(), json!(arn));
        }
        doc.insert("IncludeGlobalServiceEvents".into(), json!(self.include_global));
        doc.insert("IsMultiRegionTrail".into(), json!(self.multi_region));
        doc.insert("TrailARN".into(), json!(self.arn()));
        doc.insert("LogFileValidationEnabled".into(), json!(self.log_file_validation));
        for (member, value) in [
            ("CloudWatchLogsLogGroupArn", &self.cloudwatch_log_group_arn),
            ("CloudWatchLogsRoleArn", &self.cloudwatch_role_arn),
            ("KmsKeyId", &self.kms_key_id),
        ] {
            if let Some(value) = value {
                doc.insert(member.into(), json!(value));
            }
        }
        doc.insert("IsOrganizationTrail".into(), json!(false));
        doc
    }
}

/// AWS's trail-name rules: 3 to 128 characters of letters, digits, `.`, `_`, `-`; starting and
/// ending with a letter or digit; no two of `._-` side by side; not an IP address.
pub fn validate_name(name: &str) -> Res<()> {
    if name.len() < 3 {
        return Err(errors::invalid_trail_name(&format!(
            "Trail name too short. Minimum allowed length: 3 characters. Specified name length: {} characters.",
            name.len()
        )));
    }
    if name.len() > 128 {
        return Err(errors::invalid_trail_name(&format!(
            "Trail name too long. Maximum allowed length: 128 characters. Specified name length: {} characters.",
            name.len()
        )));
    }
    let symbol = |c: char| matches!(c, '.' | '_' | '-');
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || symbol(c)) {
        return Err(errors::invalid_trail_name(
            "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).",
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(errors::invalid_trail_name("Trail name must start with a letter or number."));
    }
    if !name.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(errors::invalid_trail_name("Trail name must end with a letter or number."));
    }
    if name.as_bytes().windows(2).any(|w| symbol(w[0] as char) && symbol(w[1] as char)) {
        return Err(errors::invalid_trail_name("Trail name cannot have adjacent periods, underscores or dashes."));
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(errors::invalid_trail_name("Trail name cannot be formatted as an IP address."));
    }
    Ok(())
}

/// S3's bucket-naming rules, as far as CloudTrail checks them.
pub fn validate_bucket(bucket: &str) -> Res<()> {
    let ok = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok { Ok(()) } else { Err(errors::invalid_bucket_name(bucket)) }
}

/// `arn:aws:cloudtrail:<region>:<account>:trail/<name>` → (region, account, name).
pub fn parse_arn(arn: &str) -> Res<(String, String, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "cloudtrail", region, account, resource] if !region.is_empty() && !account.is_empty() => match resource.strip_prefix("trail/") {
            Some(name) if !name.is_empty() => Ok(((*region).to_owned(), (*account).to_owned(), name.to_owned())),
            _ => Err(errors::invalid_arn(arn)),
        },
        _ => Err(errors::invalid_arn(arn)),
    }
}

/// Finds the trail a request names (a name or an ARN). By name: the trail of that name in the
/// request's region, else (reads only, `shadow`) a multi-region trail of that name elsewhere in
/// the account, as AWS shows multi-region trails in every region.
pub fn find(store: &Store, ctx: &RequestContext, name_or_arn: &str, shadow: bool) -> Res<TrailRecord> {
    let not_found = || errors::trail_not_found(name_or_arn, &ctx.account_id, &ctx.region);
    if name_or_arn.starts_with("arn:") {
        let (region, account, name) = parse_arn(name_or_arn)?;
        if account != ctx.account_id {
            return Err(not_found());
        }
        let trail = store.get::<TrailRecord>(SCOPE, &key(&account, &region, &name))?.ok_or_else(not_found)?;
        if !shadow && region != ctx.region {
            return Err(home_region(&trail));
        }
        return Ok(trail);
    }
    validate_name(name_or_arn)?;
    if let Some(trail) = store.get::<TrailRecord>(SCOPE, &key(&ctx.account_id, &ctx.region, name_or_arn))? {
        return Ok(trail);
    }
    let elsewhere = account_trails(store, &ctx.account_id)?.into_iter().find(|t| t.name == name_or_arn && t.multi_region);
    match elsewhere {
        Some(trail) if shadow => Ok(trail),
        Some(trail) => Err(home_region(&trail)),
        None => Err(not_found()),
    }
}

fn home_region(trail: &TrailRecord) -> errors::Fail {
    errors::Fail(nimbus_core::ServiceError::new(
        "InvalidHomeRegionException",
        format!("This operation must be called from the trail's home region, {}.", trail.home_region),
    ))
}

/// Every trail of an account, in every region.
pub fn account_trails(store: &Store, account: &str) -> Res<Vec<TrailRecord>> {
    Ok(store.list::<TrailRecord>(SCOPE, &format!("{account}/"), None, 10_000)?.into_iter().map(|(_, t)| t).collect())
}

/// Checks a tag list (`TagsList`) and returns it as a map.
pub fn parse_tags(input: &Value) -> Res<Vec<(String, String)>> {
    let mut tags = Vec::new();
    for tag in input.get("TagsList").and_then(Value::as_array).into_iter().flatten() {
        let key = tag.get("Key").and_then(Value::as_str).unwrap_or_default();
        let value = tag.get("Value").and_then(Value::as_str).unwrap_or_default();
        if key.is_empty() || key.len() > 128 || key.starts_with("aws:") {
            return Err(errors::invalid_tag(format!("Tag key {key:?} is not valid: 1 to 128 characters, not starting with aws:.")));
        }
        if value.len() > 256 {
            return Err(errors::invalid_tag(format!("The value of tag {key} is longer than 256 characters.")));
        }
        tags.push((key.to_owned(), value.to_owned()));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_names_follow_aws_rules() {
        for good in ["abc", "my-trail", "Trail_1.log", "a1b"] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in ["ab", "-trail", "trail-", "my--trail", "my._trail", "has space", "192.168.5.4", &"x".repeat(129)] {
            assert_eq!(validate_name(bad).unwrap_err().0.code, "InvalidTrailNameException", "{bad}");
        }
    }

    #[test]
    fn arns_and_buckets() {
        assert_eq!(parse_arn("arn:aws:cloudtrail:eu-west-1:111122223333:trail/t1").unwrap(), ("eu-west-1".into(), "111122223333".into(), "t1".into()));
        assert_eq!(parse_arn("arn:aws:s3:::b").unwrap_err().0.code, "CloudTrailARNInvalidException");
        assert_eq!(parse_arn("arn:aws:cloudtrail:r:a:eventdatastore/x").unwrap_err().0.code, "CloudTrailARNInvalidException");
        assert!(validate_bucket("my-logs.bucket").is_ok());
        assert!(validate_bucket("My_Bucket").is_err());
    }
}
