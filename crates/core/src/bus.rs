//! The event bus: how one service hands work to another without depending on it.
//!
//! SNS fans out to SQS queues and HTTP endpoints, S3 notifies SQS and SNS, CloudTrail writes log
//! files into S3 buckets, CloudWatch Logs publishes metric-filter datapoints to CloudWatch, SNS
//! mails into SES's mailbox, and later targets (Lambda, EventBridge) join the same way. The sending crate builds a [`Delivery`] and calls
//! [`EventBus::deliver`]; the binary's bus routes it to the receiving service's in-process entry
//! point (or makes the HTTP call). Service crates never call each other and never see HTTP
//! themselves.

use serde::{Deserialize, Serialize};

use crate::{Document, ServiceError};

/// One message for one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delivery {
    /// A message into an SQS queue, named by its ARN.
    Queue {
        queue_arn: String,
        body: String,
        /// SQS message attributes in document form: `{"name": {"DataType": ..., "StringValue" | "BinaryValue": ...}}`.
        #[serde(default)]
        attributes: Document,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dedup_id: Option<String>,
        /// The SenderId the message shows (the sending service's principal).
        sender_id: String,
    },
    /// A message published to an SNS topic, named by its ARN (S3 event notifications).
    Topic {
        topic_arn: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
    },
    /// A POST to an HTTP(S) endpoint (SNS http/https subscriptions).
    Http {
        url: String,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// An object written into an S3 bucket by a service (CloudTrail log files), as the bucket's
    /// owner; bucket notifications fire as for any PUT.
    Object {
        bucket: String,
        key: String,
        body: Vec<u8>,
        content_type: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_encoding: Option<String>,
    },
    /// Datapoints for CloudWatch (metric filters of CloudWatch Logs, the standard metrics other
    /// services publish about themselves), in one namespace of one account and region.
    Metrics {
        account_id: String,
        region: String,
        namespace: String,
        data: Vec<MetricDatum>,
    },
    /// A plain-text mail into SES's mailbox (SNS email subscriptions).
    Mail {
        account_id: String,
        region: String,
        from: String,
        to: String,
        subject: String,
        body: String,
    },
}

/// One CloudWatch datapoint as PutMetricData takes it, for metrics another service publishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricDatum {
    pub metric_name: String,
    /// Name/value pairs, in the order given (CloudWatch identifies a metric by the set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<(String, String)>,
    /// Milliseconds since the Unix epoch, on Nimbus's clock.
    pub timestamp_ms: i64,
    pub value: MetricValue,
    /// A CloudWatch `StandardUnit` name (`Count`, `Seconds`, ...), `None` for `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// 1 for high resolution, 60 (the default) for standard.
    #[serde(default = "standard_resolution")]
    pub storage_resolution: u32,
}

fn standard_resolution() -> u32 {
    60
}

/// What one datapoint carries: a single value, or a statistic set already summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MetricValue {
    Single { value: f64 },
    StatisticSet { sample_count: f64, sum: f64, minimum: f64, maximum: f64 },
}

impl Delivery {
    /// The ARN, URL or bucket a delivery is for, for logs.
    pub fn target(&self) -> &str {
        match self {
            Delivery::Queue { queue_arn, .. } => queue_arn,
            Delivery::Topic { topic_arn, .. } => topic_arn,
            Delivery::Http { url, .. } => url,
            Delivery::Object { bucket, .. } => bucket,
            Delivery::Metrics { namespace, .. } => namespace,
            Delivery::Mail { to, .. } => to,
        }
    }
}

/// What a delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// The target does not exist or refused for good (a missing queue, a 4xx): retrying will not help.
    Permanent(String),
    /// Worth retrying (a 5xx, a refused connection, a timeout).
    Transient(String),
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryError::Permanent(why) => write!(f, "permanent failure: {why}"),
            DeliveryError::Transient(why) => write!(f, "transient failure: {why}"),
        }
    }
}

impl From<ServiceError> for DeliveryError {
    fn from(e: ServiceError) -> Self {
        if e.status.is_some_and(|s| s >= 500) {
            DeliveryError::Transient(e.to_string())
        } else {
            DeliveryError::Permanent(e.to_string())
        }
    }
}

#[async_trait::async_trait]
pub trait EventBus: Send + Sync {
    async fn deliver(&self, delivery: &Delivery) -> Result<(), DeliveryError>;

    /// Whether the target of `delivery` exists now, checked without delivering (CloudTrail's
    /// CreateTrail checks its bucket this way). `None`: this bus cannot tell.
    fn target_exists(&self, delivery: &Delivery) -> Option<bool> {
        let _ = delivery;
        None
    }
}
