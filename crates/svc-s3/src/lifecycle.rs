//! Bucket lifecycle configuration: the stored form, its validation (as S3 answers
//! PutBucketLifecycleConfiguration), and the pure rules of when an action is due and which
//! objects a rule applies to. The sweeper that acts on them is `backend/lifecycle.rs`.

use nimbus_store::Record;
use s3s::dto;
use s3s::{S3Error, S3ErrorCode, S3Result};
use serde::{Deserialize, Serialize};

use crate::records::{BucketConfig, Tags};

pub const DAY_MS: i64 = 86_400_000;
const MAX_RULES: usize = 1000;
const MAX_ID_LEN: usize = 255;
const MAX_NEWER_NONCURRENT: i32 = 100;
/// Classes a transition may move to.
const TRANSITION_CLASSES: &[&str] = &[
    "GLACIER",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
];
/// Classes with a 30-day minimum age before a Days transition.
const THIRTY_DAY_CLASSES: &[&str] = &["STANDARD_IA", "ONEZONE_IA"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleConfig {
    pub rules: Vec<Rule>,
}

impl Record for LifecycleConfig {
    const KIND: &'static str = "s3.config.lifecycle";
    const VERSION: u32 = 1;
    const CACHED: bool = true;
}

impl BucketConfig for LifecycleConfig {
    const NAME: &'static str = "lifecycle";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub enabled: bool,
    /// The rule used the legacy `<Prefix>` element instead of `<Filter>`; echoed back that way.
    pub legacy_prefix: bool,
    pub filter: Filter,
    pub expiration: Option<Expiration>,
    pub transitions: Vec<Transition>,
    pub noncurrent_expiration: Option<NoncurrentAction>,
    /// `storage_class` is always set on these.
    pub noncurrent_transitions: Vec<NoncurrentAction>,
    pub abort_multipart_days: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub prefix: Option<String>,
    pub tags: Tags,
    pub size_greater_than: Option<i64>,
    pub size_less_than: Option<i64>,
    /// The conditions came inside `<And>`; echoed back that way.
    pub and: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiration {
    pub days: Option<i32>,
    pub date_ms: Option<i64>,
    pub expired_object_delete_marker: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub days: Option<i32>,
    pub date_ms: Option<i64>,
    pub storage_class: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoncurrentAction {
    pub noncurrent_days: i32,
    pub newer_noncurrent_versions: Option<i32>,
    pub storage_class: Option<String>,
}

/// `created + days`, rounded up to the next midnight UTC: when S3 considers an age-based
/// action due (an object created 2014-01-15 10:30 with Days=3 is due 2014-01-19 00:00).
pub fn due_after_days(since_ms: i64, days: i32) -> i64 {
    let t = since_ms + i64::from(days) * DAY_MS;
    t.div_euclid(DAY_MS) * DAY_MS + if t.rem_euclid(DAY_MS) == 0 { 0 } else { DAY_MS }
}

impl Filter {
    /// Whether an object (key, size, tags) is subject to the rule. Sizes are strict bounds.
    pub fn matches(&self, key: &str, size: u64, tags: &Tags) -> bool {
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        self.prefix.as_deref().is_none_or(|p| key.starts_with(p))
            && self.tags.iter().all(|t| tags.contains(t))
            && self.size_greater_than.is_none_or(|gt| size > gt)
            && self.size_less_than.is_none_or(|lt| size < lt)
    }

    /// Whether the rule can apply to something with no tags and no size (a delete marker, a
    /// multipart upload): only prefix conditions.
    pub fn matches_key_only(&self, key: &str) -> bool {
        self.tags.is_empty()
            && self.size_greater_than.is_none()
            && self.size_less_than.is_none()
            && self.prefix.as_deref().is_none_or(|p| key.starts_with(p))
    }

    pub fn prefix(&self) -> &str {
        self.prefix.as_deref().unwrap_or("")
    }
}

impl Expiration {
    /// When a current object created at `created_ms` expires under this rule, if it ever does.
    pub fn due(&self, created_ms: i64) -> Option<i64> {
        match (self.days, self.date_ms) {
            (Some(days), _) => Some(due_after_days(created_ms, days)),
            (None, Some(date)) => Some(date),
            _ => None,
        }
    }
}

impl Transition {
    pub fn due(&self, created_ms: i64) -> Option<i64> {
        match (self.days, self.date_ms) {
            (Some(days), _) => Some(due_after_days(created_ms, days)),
            (None, Some(date)) => Some(date),
            _ => None,
        }
    }
}

fn malformed() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::MalformedXML,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

fn invalid(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message.into())
}

fn ts_ms(t: &dto::Timestamp) -> i64 {
    let t: time::OffsetDateTime = t.clone().into();
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn ts(ms: i64) -> dto::Timestamp {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    dto::Timestamp::from(t)
}

fn midnight_date(date: &dto::Timestamp) -> S3Result<i64> {
    let ms = ts_ms(date);
    if ms.rem_euclid(DAY_MS) != 0 {
        return Err(invalid("'Date' must be at midnight GMT"));
    }
    Ok(ms)
}

fn positive_days(days: i32, action: &str) -> S3Result<i32> {
    if days <= 0 {
        return Err(invalid(format!(
            "'Days' for {action} action must be a positive integer"
        )));
    }
    Ok(days)
}

fn tags_of(set: &[dto::Tag]) -> S3Result<Tags> {
    set.iter()
        .map(|t| match (&t.key, &t.value) {
            (Some(k), v) => Ok((k.clone(), v.clone().unwrap_or_default())),
            _ => Err(malformed()),
        })
        .collect()
}

fn check_sizes(gt: Option<i64>, lt: Option<i64>) -> S3Result<()> {
    if gt.is_some_and(|n| n < 0) || lt.is_some_and(|n| n <= 0) {
        return Err(invalid("Object size filters must be positive integers"));
    }
    if let (Some(gt), Some(lt)) = (gt, lt)
        && gt >= lt
    {
        return Err(invalid(
            "ObjectSizeGreaterThan must be less than ObjectSizeLessThan",
        ));
    }
    Ok(())
}

fn filter_from(f: &dto::LifecycleRuleFilter) -> S3Result<Filter> {
    let given = usize::from(f.prefix.is_some())
        + usize::from(f.tag.is_some())
        + usize::from(f.and.is_some())
        + usize::from(f.object_size_greater_than.is_some())
        + usize::from(f.object_size_less_than.is_some());
    // A filter names one condition; several go inside <And>.
    if given > 1 {
        return Err(malformed());
    }
    if let Some(and) = &f.and {
        check_sizes(and.object_size_greater_than, and.object_size_less_than)?;
        let tags = tags_of(and.tags.as_deref().unwrap_or_default())?;
        return Ok(Filter {
            prefix: and.prefix.clone(),
            tags,
            size_greater_than: and.object_size_greater_than,
            size_less_than: and.object_size_less_than,
            and: true,
        });
    }
    check_sizes(f.object_size_greater_than, f.object_size_less_than)?;
    Ok(Filter {
        prefix: f.prefix.clone(),
        tags: f
            .tag
            .as_ref()
            .map(|t| tags_of(std::slice::from_ref(t)))
            .transpose()?
            .unwrap_or_default(),
        size_greater_than: f.object_size_greater_than,
        size_less_than: f.object_size_less_than,
        and: false,
    })
}

fn transition_class(class: Option<&dto::TransitionStorageClass>) -> S3Result<String> {
    let class = class.map(|c| c.as_str()).ok_or_else(malformed)?;
    if !TRANSITION_CLASSES.contains(&class) {
        return Err(malformed());
    }
    Ok(class.to_owned())
}

fn rule_from(r: &dto::LifecycleRule) -> S3Result<Rule> {
    let enabled = match r.status.as_str() {
        "Enabled" => true,
        "Disabled" => false,
        _ => return Err(malformed()),
    };
    let id = match r.id.as_deref() {
        Some(id) if id.chars().count() > MAX_ID_LEN => {
            return Err(invalid("ID length should not exceed allowed limit of 255"));
        }
        Some(id) if !id.is_empty() => id.to_owned(),
        // S3 names unnamed rules itself.
        _ => nimbus_core::ids::random_from(nimbus_core::ids::ALNUM, 48),
    };
    let (filter, legacy_prefix) = match (&r.filter, &r.prefix) {
        (Some(_), Some(_)) | (None, None) => return Err(malformed()),
        (Some(f), None) => (filter_from(f)?, false),
        (None, Some(p)) => (
            Filter {
                prefix: Some(p.clone()),
                ..Filter::default()
            },
            true,
        ),
    };
    let expiration = match &r.expiration {
        None => None,
        Some(e) => {
            let given = usize::from(e.days.is_some())
                + usize::from(e.date.is_some())
                + usize::from(e.expired_object_delete_marker.is_some());
            if given != 1 {
                return Err(malformed());
            }
            if e.expired_object_delete_marker.is_some() && !filter.tags.is_empty() {
                return Err(invalid(
                    "ExpiredObjectDeleteMarker cannot be specified with a tag-based filter.",
                ));
            }
            Some(Expiration {
                days: e.days.map(|d| positive_days(d, "Expiration")).transpose()?,
                date_ms: e.date.as_ref().map(midnight_date).transpose()?,
                expired_object_delete_marker: e.expired_object_delete_marker,
            })
        }
    };
    let mut transitions = Vec::new();
    for t in r.transitions.as_deref().unwrap_or_default() {
        if t.days.is_some() == t.date.is_some() {
            return Err(malformed());
        }
        let storage_class = transition_class(t.storage_class.as_ref())?;
        if let Some(days) = t.days {
            if days < 0 {
                return Err(invalid("'Days' in Transition action must be nonnegative"));
            }
            if days < 30 && THIRTY_DAY_CLASSES.contains(&storage_class.as_str()) {
                return Err(invalid(format!(
                    "'Days' in Transition action must be greater than or equal to 30 for storageClass '{storage_class}'"
                )));
            }
        }
        transitions.push(Transition {
            days: t.days,
            date_ms: t.date.as_ref().map(midnight_date).transpose()?,
            storage_class,
        });
    }
    let noncurrent = |days: Option<i32>, newer: Option<i32>, action: &str| -> S3Result<_> {
        let days = days.ok_or_else(malformed)?;
        if days <= 0 {
            return Err(invalid(format!(
                "'NoncurrentDays' for {action} action must be a positive integer"
            )));
        }
        if newer.is_some_and(|n| !(1..=MAX_NEWER_NONCURRENT).contains(&n)) {
            return Err(invalid(format!(
                "'NewerNoncurrentVersions' for {action} action must be a positive integer up to 100"
            )));
        }
        Ok((days, newer))
    };
    let noncurrent_expiration = match &r.noncurrent_version_expiration {
        None => None,
        Some(e) => {
            let (days, newer) = noncurrent(
                e.noncurrent_days,
                e.newer_noncurrent_versions,
                "NoncurrentVersionExpiration",
            )?;
            Some(NoncurrentAction {
                noncurrent_days: days,
                newer_noncurrent_versions: newer,
                storage_class: None,
            })
        }
    };
    let mut noncurrent_transitions = Vec::new();
    for t in r
        .noncurrent_version_transitions
        .as_deref()
        .unwrap_or_default()
    {
        let (days, newer) = noncurrent(
            t.noncurrent_days,
            t.newer_noncurrent_versions,
            "NoncurrentVersionTransition",
        )?;
        noncurrent_transitions.push(NoncurrentAction {
            noncurrent_days: days,
            newer_noncurrent_versions: newer,
            storage_class: Some(transition_class(t.storage_class.as_ref())?),
        });
    }
    let abort_multipart_days = match &r.abort_incomplete_multipart_upload {
        None => None,
        Some(a) => {
            if !filter.tags.is_empty() {
                return Err(invalid(
                    "AbortIncompleteMultipartUpload cannot be specified with Tags.",
                ));
            }
            let days = a.days_after_initiation.ok_or_else(malformed)?;
            Some(positive_days(days, "AbortIncompleteMultipartUpload")?)
        }
    };
    if let (Some(exp_days), Some(latest)) = (
        expiration.as_ref().and_then(|e| e.days),
        transitions.iter().filter_map(|t| t.days).max(),
    ) && exp_days <= latest
    {
        return Err(invalid(
            "'Days' in the Expiration action for filter must be greater than 'Days' in the Transition action",
        ));
    }
    if expiration.is_none()
        && transitions.is_empty()
        && noncurrent_expiration.is_none()
        && noncurrent_transitions.is_empty()
        && abort_multipart_days.is_none()
    {
        return Err(invalid(
            "At least one action needs to be specified in a rule",
        ));
    }
    Ok(Rule {
        id,
        enabled,
        legacy_prefix,
        filter,
        expiration,
        transitions,
        noncurrent_expiration,
        noncurrent_transitions,
        abort_multipart_days,
    })
}

/// Validates a PutBucketLifecycleConfiguration body as S3 does and converts it to stored form.
pub fn config_from(
    config: Option<&dto::BucketLifecycleConfiguration>,
) -> S3Result<LifecycleConfig> {
    let rules = config.map(|c| c.rules.as_slice()).unwrap_or_default();
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(malformed());
    }
    let rules = rules.iter().map(rule_from).collect::<S3Result<Vec<_>>>()?;
    for (i, rule) in rules.iter().enumerate() {
        if rules[..i].iter().any(|r| r.id == rule.id) {
            return Err(invalid(
                "Rule ID must be unique. Found same ID for more than one rule",
            ));
        }
    }
    Ok(LifecycleConfig { rules })
}

fn dto_tag((k, v): &(String, String)) -> dto::Tag {
    dto::Tag {
        key: Some(k.clone()),
        value: Some(v.clone()),
    }
}

fn filter_to(f: &Filter) -> dto::LifecycleRuleFilter {
    if f.and {
        return dto::LifecycleRuleFilter {
            and: Some(dto::LifecycleRuleAndOperator {
                prefix: f.prefix.clone(),
                tags: (!f.tags.is_empty()).then(|| f.tags.iter().map(dto_tag).collect()),
                object_size_greater_than: f.size_greater_than,
                object_size_less_than: f.size_less_than,
            }),
            ..Default::default()
        };
    }
    dto::LifecycleRuleFilter {
        prefix: f.prefix.clone(),
        tag: f.tags.first().map(dto_tag),
        object_size_greater_than: f.size_greater_than,
        object_size_less_than: f.size_less_than,
        ..Default::default()
    }
}

/// The stored configuration as GetBucketLifecycleConfiguration returns it.
pub fn rules_to(config: &LifecycleConfig) -> Vec<dto::LifecycleRule> {
    config
        .rules
        .iter()
        .map(|r| dto::LifecycleRule {
            id: Some(r.id.clone()),
            status: dto::ExpirationStatus::from(
                if r.enabled { "Enabled" } else { "Disabled" }.to_owned(),
            ),
            prefix: r.legacy_prefix.then(|| r.filter.prefix().to_owned()),
            filter: (!r.legacy_prefix).then(|| filter_to(&r.filter)),
            expiration: r.expiration.as_ref().map(|e| dto::LifecycleExpiration {
                days: e.days,
                date: e.date_ms.map(ts),
                expired_object_delete_marker: e.expired_object_delete_marker,
            }),
            transitions: (!r.transitions.is_empty()).then(|| {
                r.transitions
                    .iter()
                    .map(|t| dto::Transition {
                        days: t.days,
                        date: t.date_ms.map(ts),
                        storage_class: Some(dto::TransitionStorageClass::from(
                            t.storage_class.clone(),
                        )),
                    })
                    .collect()
            }),
            noncurrent_version_expiration: r.noncurrent_expiration.as_ref().map(|n| {
                dto::NoncurrentVersionExpiration {
                    noncurrent_days: Some(n.noncurrent_days),
                    newer_noncurrent_versions: n.newer_noncurrent_versions,
                }
            }),
            noncurrent_version_transitions: (!r.noncurrent_transitions.is_empty()).then(|| {
                r.noncurrent_transitions
                    .iter()
                    .map(|n| dto::NoncurrentVersionTransition {
                        noncurrent_days: Some(n.noncurrent_days),
                        newer_noncurrent_versions: n.newer_noncurrent_versions,
                        storage_class: n
                            .storage_class
                            .clone()
                            .map(dto::TransitionStorageClass::from),
                    })
                    .collect()
            }),
            abort_incomplete_multipart_upload: r.abort_multipart_days.map(|d| {
                dto::AbortIncompleteMultipartUpload {
                    days_after_initiation: Some(d),
                }
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        let t =
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap()
    }

    #[test]
    fn days_round_up_to_the_next_midnight_utc() {
        // AWS's own example: created Jan 15 10:30, Days=3 → due Jan 19 00:00 UTC.
        assert_eq!(
            due_after_days(ms("2014-01-15T10:30:00Z"), 3),
            ms("2014-01-19T00:00:00Z")
        );
        // One millisecond after midnight still waits for the next midnight.
        assert_eq!(
            due_after_days(ms("2014-01-15T00:00:00.001Z"), 1),
            ms("2014-01-17T00:00:00Z")
        );
        // Exactly midnight is already a midnight.
        assert_eq!(
            due_after_days(ms("2014-01-15T00:00:00Z"), 1),
            ms("2014-01-16T00:00:00Z")
        );
        assert_eq!(
            due_after_days(ms("2014-01-15T23:59:59Z"), 1),
            ms("2014-01-17T00:00:00Z")
        );
    }

    #[test]
    fn filters_match_prefix_tags_and_sizes() {
        let tags: Tags = vec![("team".into(), "red".into()), ("env".into(), "dev".into())];
        let f = Filter {
            prefix: Some("logs/".into()),
            tags: vec![("env".into(), "dev".into())],
            size_greater_than: Some(10),
            size_less_than: Some(100),
            and: true,
        };
        assert!(f.matches("logs/a", 50, &tags));
        assert!(!f.matches("data/a", 50, &tags), "prefix");
        assert!(!f.matches("logs/a", 10, &tags), "greater-than is strict");
        assert!(!f.matches("logs/a", 100, &tags), "less-than is strict");
        assert!(
            !f.matches("logs/a", 50, &vec![("env".into(), "prod".into())]),
            "tag value differs"
        );
        assert!(
            !f.matches_key_only("logs/a"),
            "tag filters never match markers"
        );
        let everything = Filter::default();
        assert!(everything.matches("any", 0, &Vec::new()));
        assert!(everything.matches_key_only("any"));
    }

    fn rule(xml_like: impl FnOnce(&mut dto::LifecycleRule)) -> dto::BucketLifecycleConfiguration {
        let mut r = dto::LifecycleRule {
            abort_incomplete_multipart_upload: None,
            expiration: Some(dto::LifecycleExpiration {
                days: Some(1),
                date: None,
                expired_object_delete_marker: None,
            }),
            filter: Some(dto::LifecycleRuleFilter::default()),
            id: Some("r1".into()),
            noncurrent_version_expiration: None,
            noncurrent_version_transitions: None,
            prefix: None,
            status: dto::ExpirationStatus::from("Enabled".to_owned()),
            transitions: None,
        };
        xml_like(&mut r);
        dto::BucketLifecycleConfiguration { rules: vec![r] }
    }

    fn code(c: &dto::BucketLifecycleConfiguration) -> String {
        config_from(Some(c)).unwrap_err().code().as_str().to_owned()
    }

    #[test]
    fn validation_answers_as_s3_does() {
        assert!(config_from(Some(&rule(|_| {}))).is_ok());
        let both = rule(|r| r.prefix = Some("x".into()));
        assert_eq!(code(&both), "MalformedXML");
        let days_and_marker = rule(|r| {
            r.expiration.as_mut().unwrap().expired_object_delete_marker = Some(true);
        });
        assert_eq!(code(&days_and_marker), "MalformedXML");
        let zero_days = rule(|r| r.expiration.as_mut().unwrap().days = Some(0));
        assert_eq!(code(&zero_days), "InvalidArgument");
        let not_midnight = rule(|r| {
            let e = r.expiration.as_mut().unwrap();
            e.days = None;
            e.date = Some(ts(ms("2030-01-01T10:00:00Z")));
        });
        assert_eq!(code(&not_midnight), "InvalidArgument");
        let no_action = rule(|r| r.expiration = None);
        assert_eq!(code(&no_action), "InvalidArgument");
        let mut dup = rule(|_| {});
        dup.rules.push(dup.rules[0].clone());
        assert_eq!(code(&dup), "InvalidArgument");
        let two_conditions = rule(|r| {
            r.filter = Some(dto::LifecycleRuleFilter {
                prefix: Some("a".into()),
                object_size_greater_than: Some(1),
                ..Default::default()
            });
        });
        assert_eq!(code(&two_conditions), "MalformedXML");
        let ia_too_soon = rule(|r| {
            r.expiration = None;
            r.transitions = Some(vec![dto::Transition {
                days: Some(10),
                date: None,
                storage_class: Some(dto::TransitionStorageClass::from("STANDARD_IA".to_owned())),
            }]);
        });
        assert_eq!(code(&ia_too_soon), "InvalidArgument");
        assert_eq!(
            config_from(Some(&dto::BucketLifecycleConfiguration { rules: vec![] }))
                .unwrap_err()
                .code()
                .as_str(),
            "MalformedXML"
        );
    }
}
