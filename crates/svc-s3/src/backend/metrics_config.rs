//! Put/Get/Delete/ListBucketMetricsConfiguration(s): the bucket's request-metrics
//! configurations, which choose the requests S3 counts for CloudWatch (`request_metrics.rs`).
//!
//! All of a bucket's configurations are one [`MetricsConfigs`] record, the bucket's `metrics`
//! configuration in `c/<bucket id>` (at most 1,000 small entries, read whole only when one
//! changes and when the counters' map is first built). Each change is committed, then the
//! counters' map is refreshed from the store, so counting follows the latest configuration.

use std::collections::BTreeMap;

use base64::Engine;
use nimbus_store::Record;
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use serde::{Deserialize, Serialize};

use super::buckets::{check_tag, to_tag_set, validate_tags};
use super::{S3Backend, TxError, invalid_argument};
use crate::bucket_config::{BucketConfig, get_config};
use crate::io::store_error;
use crate::records::Tags;

/// AWS's limit of metrics configurations per bucket.
pub const MAX_CONFIGURATIONS: usize = 1000;
/// ListBucketMetricsConfigurations returns at most this many per page, as AWS does.
const PAGE_SIZE: usize = 100;
const MAX_ID_LEN: usize = 64;
/// Tags inside one `<And>`: AWS documents no limit; this bounds the record like bucket tags.
const MAX_AND_TAGS: usize = 50;

/// Every metrics configuration of one bucket, by id (the `FilterId` dimension), in id order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsConfigs {
    pub configs: BTreeMap<String, MetricsConfigRecord>,
}

impl Record for MetricsConfigs {
    const KIND: &'static str = "s3.config.metrics";
    const VERSION: u32 = 1;
}

impl BucketConfig for MetricsConfigs {
    const NAME: &'static str = "metrics";
}

/// One configuration: no filter selects every request to the bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsConfigRecord {
    pub filter: Option<MetricsFilterRecord>,
}

/// The conditions of a filter, all of which must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsFilterRecord {
    pub prefix: Option<String>,
    pub tags: Tags,
    pub access_point_arn: Option<String>,
    /// The conditions came inside `<And>`; echoed back that way.
    pub and: bool,
}

impl MetricsFilterRecord {
    fn from_dto(filter: &MetricsFilter) -> S3Result<Self> {
        match filter {
            MetricsFilter::Prefix(prefix) => Ok(MetricsFilterRecord { prefix: Some(prefix.clone()), ..Default::default() }),
            MetricsFilter::Tag(tag) => {
                let (Some(key), value) = (&tag.key, &tag.value) else {
                    return Err(malformed());
                };
                let value = value.clone().unwrap_or_default();
                check_tag(key, &value)?;
                Ok(MetricsFilterRecord { tags: vec![(key.clone(), value)], ..Default::default() })
            }
            MetricsFilter::AccessPointArn(arn) => {
                check_access_point_arn(arn)?;
                Ok(MetricsFilterRecord { access_point_arn: Some(arn.clone()), ..Default::default() })
            }
            MetricsFilter::And(and) => {
                let tags = validate_tags(and.tags.as_deref().unwrap_or_default(), MAX_AND_TAGS)?;
                if let Some(arn) = &and.access_point_arn {
                    check_access_point_arn(arn)?;
                }
                // "The operator must have at least two predicates."
                let predicates = usize::from(and.prefix.is_some()) + usize::from(and.access_point_arn.is_some()) + tags.len();
                if predicates < 2 {
                    return Err(malformed());
                }
                Ok(MetricsFilterRecord { prefix: and.prefix.clone(), tags, access_point_arn: and.access_point_arn.clone(), and: true })
            }
            _ => Err(malformed()),
        }
    }

    fn to_dto(&self) -> MetricsFilter {
        if self.and {
            return MetricsFilter::And(MetricsAndOperator {
                access_point_arn: self.access_point_arn.clone(),
                prefix: self.prefix.clone(),
                tags: (!self.tags.is_empty()).then(|| to_tag_set(&self.tags)),
            });
        }
        if let Some(arn) = &self.access_point_arn {
            return MetricsFilter::AccessPointArn(arn.clone());
        }
        if let Some((key, value)) = self.tags.first() {
            return MetricsFilter::Tag(Tag { key: Some(key.clone()), value: Some(value.clone()) });
        }
        MetricsFilter::Prefix(self.prefix.clone().unwrap_or_default())
    }
}

fn to_dto(id: &str, config: &MetricsConfigRecord) -> MetricsConfiguration {
    MetricsConfiguration { id: id.to_owned(), filter: config.filter.as_ref().map(MetricsFilterRecord::to_dto) }
}

impl S3Backend {
    pub(super) fn op_put_bucket_metrics_configuration(
        &self,
        req: S3Request<PutBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketMetricsConfigurationOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let id = &req.input.id;
        check_id(id)?;
        let config = &req.input.metrics_configuration;
        if config.id != *id {
            return Err(invalid_argument("The Id in the request body does not match the id query parameter"));
        }
        let record = MetricsConfigRecord { filter: config.filter.as_ref().map(MetricsFilterRecord::from_dto).transpose()? };
        self.store
            .transaction(|txn| -> Result<(), TxError> {
                let mut configs = get_config::<MetricsConfigs>(txn, &bucket.id)?.unwrap_or_default();
                // A Put replaces an existing configuration whole; only new ids count against the limit.
                if !configs.configs.contains_key(id) && configs.configs.len() >= MAX_CONFIGURATIONS {
                    return Err(too_many_configurations().into());
                }
                configs.configs.insert(id.clone(), record);
                crate::records::set_config(txn, &bucket.id, Some(&configs))?;
                Ok(())
            })
            .map_err(S3Error::from)?;
        self.request_metrics.refresh(&self.store, &bucket.name);
        Ok(S3Response::new(PutBucketMetricsConfigurationOutput {}))
    }

    pub(super) fn op_get_bucket_metrics_configuration(
        &self,
        req: S3Request<GetBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketMetricsConfigurationOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let configs = get_config::<MetricsConfigs>(&self.store, &bucket.id).map_err(store_error)?.unwrap_or_default();
        let config = configs.configs.get(&req.input.id).ok_or_else(no_such_configuration)?;
        Ok(S3Response::new(GetBucketMetricsConfigurationOutput { metrics_configuration: Some(to_dto(&req.input.id, config)) }))
    }

    pub(super) fn op_delete_bucket_metrics_configuration(
        &self,
        req: S3Request<DeleteBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<DeleteBucketMetricsConfigurationOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let id = &req.input.id;
        self.store
            .transaction(|txn| -> Result<(), TxError> {
                let mut configs = get_config::<MetricsConfigs>(txn, &bucket.id)?.unwrap_or_default();
                if configs.configs.remove(id).is_none() {
                    return Err(no_such_configuration().into());
                }
                let stored = (!configs.configs.is_empty()).then_some(&configs);
                crate::records::set_config(txn, &bucket.id, stored)?;
                Ok(())
            })
            .map_err(S3Error::from)?;
        self.request_metrics.refresh(&self.store, &bucket.name);
        Ok(S3Response::new(DeleteBucketMetricsConfigurationOutput {}))
    }

    pub(super) fn op_list_bucket_metrics_configurations(
        &self,
        req: S3Request<ListBucketMetricsConfigurationsInput>,
    ) -> S3Result<S3Response<ListBucketMetricsConfigurationsOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let after = req.input.continuation_token.as_deref().map(decode_token).transpose()?;
        let configs = get_config::<MetricsConfigs>(&self.store, &bucket.id).map_err(store_error)?.unwrap_or_default();
        let mut remaining = match &after {
            Some(after) => configs.configs.range::<String, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded)),
            None => configs.configs.range::<String, _>(..),
        };
        let page: Vec<MetricsConfiguration> = remaining.by_ref().take(PAGE_SIZE).map(|(id, c)| to_dto(id, c)).collect();
        let is_truncated = remaining.next().is_some();
        let next_continuation_token = if is_truncated { page.last().map(|c| encode_token(&c.id)) } else { None };
        Ok(S3Response::new(ListBucketMetricsConfigurationsOutput {
            continuation_token: req.input.continuation_token.clone(),
            is_truncated: Some(is_truncated),
            metrics_configuration_list: (!page.is_empty()).then_some(page),
            next_continuation_token,
        }))
    }
}

/// Ids are the `FilterId` dimension: 1 to 64 letters, digits, periods, dashes and underscores.
fn check_id(id: &str) -> S3Result<()> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    if id.is_empty() || id.len() > MAX_ID_LEN || !id.chars().all(valid_char) {
        return Err(invalid_argument(
            "The metrics configuration ID must be 1 to 64 characters: letters, numbers, periods, dashes and underscores",
        ));
    }
    Ok(())
}

/// `arn:<partition>:s3:<region>:<account>:accesspoint/<name>`.
fn check_access_point_arn(arn: &str) -> S3Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = matches!(
        parts.as_slice(),
        ["arn", partition, "s3", region, account, resource]
            if !partition.is_empty()
                && !region.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("accesspoint/").is_some_and(|name| !name.is_empty() && !name.contains('/'))
    );
    if valid { Ok(()) } else { Err(invalid_argument("Invalid AccessPointArn in the metrics configuration filter")) }
}

/// The token names the last id of the page (opaque to clients, as AWS's is).
fn encode_token(last_id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last_id)
}

fn decode_token(token: &str) -> S3Result<String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|id| check_id(id).is_ok())
        .ok_or_else(|| invalid_argument("The continuation token provided is incorrect"))
}

fn malformed() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::MalformedXML,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

fn no_such_configuration() -> S3Error {
    let mut e = S3Error::with_message(S3ErrorCode::Custom("NoSuchConfiguration".into()), "The specified configuration does not exist.");
    e.set_status_code(http::StatusCode::NOT_FOUND);
    e
}

fn too_many_configurations() -> S3Error {
    let mut e = S3Error::with_message(
        S3ErrorCode::Custom("TooManyConfigurations".into()),
        "You are attempting to create a new configuration but have already reached the 1,000-configuration limit.",
    );
    e.set_status_code(http::StatusCode::BAD_REQUEST);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> Tag {
        Tag { key: Some(key.into()), value: Some(value.into()) }
    }

    #[test]
    fn ids_follow_aws_rules() {
        assert!(check_id("EntireBucket").is_ok());
        assert!(check_id("a.b-c_9").is_ok());
        assert!(check_id(&"x".repeat(64)).is_ok());
        assert!(check_id("").is_err());
        assert!(check_id(&"x".repeat(65)).is_err());
        assert!(check_id("has space").is_err());
        assert!(check_id("slash/").is_err());
    }

    #[test]
    fn filters_round_trip_and_and_needs_two_predicates() {
        let filters = [
            MetricsFilter::Prefix("logs/".into()),
            MetricsFilter::Tag(tag("team", "a")),
            MetricsFilter::AccessPointArn("arn:aws:s3:us-east-1:123456789012:accesspoint/ap".into()),
            MetricsFilter::And(MetricsAndOperator {
                prefix: Some("p/".into()),
                tags: Some(vec![tag("k", "v")]),
                access_point_arn: None,
            }),
            MetricsFilter::And(MetricsAndOperator { prefix: None, tags: Some(vec![tag("k", "v"), tag("l", "w")]), access_point_arn: None }),
        ];
        for filter in filters {
            let record = MetricsFilterRecord::from_dto(&filter).unwrap();
            assert_eq!(record.to_dto(), filter);
        }
        let lone = MetricsFilter::And(MetricsAndOperator { prefix: Some("p/".into()), tags: None, access_point_arn: None });
        assert_eq!(MetricsFilterRecord::from_dto(&lone).unwrap_err().code(), &S3ErrorCode::MalformedXML);
        let duplicate = MetricsFilter::And(MetricsAndOperator { prefix: None, tags: Some(vec![tag("k", "v"), tag("k", "w")]), access_point_arn: None });
        assert_eq!(MetricsFilterRecord::from_dto(&duplicate).unwrap_err().code(), &S3ErrorCode::InvalidTag);
        let bad_arn = MetricsFilter::AccessPointArn("arn:aws:s3:::bucket".into());
        assert_eq!(MetricsFilterRecord::from_dto(&bad_arn).unwrap_err().code(), &S3ErrorCode::InvalidArgument);
    }

    #[test]
    fn continuation_tokens_round_trip_and_refuse_garbage() {
        assert_eq!(decode_token(&encode_token("cfg-0099")).unwrap(), "cfg-0099");
        assert_eq!(decode_token("!!!").unwrap_err().code(), &S3ErrorCode::InvalidArgument);
    }
}
