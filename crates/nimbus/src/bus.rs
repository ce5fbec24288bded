//! The event bus behind [`nimbus_core::EventBus`]: routes a delivery to the service that takes
//! it (SQS queues, SNS topics, S3 objects, SES mail and CloudWatch metrics in process) or makes the HTTP call (SNS http
//! subscriptions). Service crates
//! only know the trait; this is the one place that knows them all.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use nimbus_core::{Delivery, DeliveryError, EventBus};
use nimbus_svc_cloudwatch::CloudWatch;
use nimbus_svc_s3::S3Front;
use nimbus_svc_ses::Ses;
use nimbus_svc_sns::Sns;
use nimbus_svc_sqs::Sqs;

use crate::http_client::{self, CallError};

/// How long an HTTP endpoint has to answer (AWS allows 15 seconds).
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

pub struct Bus {
    pub sqs: Arc<Sqs>,
    /// Set once SNS exists (SNS itself is built with this bus).
    pub sns: std::sync::OnceLock<Arc<Sns>>,
    /// Set once S3 exists (S3 itself is built with this bus): CloudTrail's log files.
    pub s3: std::sync::OnceLock<Arc<S3Front>>,
    /// Set once SES exists: SNS email subscriptions land in its mailbox.
    pub ses: std::sync::OnceLock<Arc<Ses>>,
    /// Set once CloudWatch exists: metric filters' datapoints and standard metrics.
    pub cloudwatch: std::sync::OnceLock<Arc<CloudWatch>>,
}

#[async_trait::async_trait]
impl EventBus for Bus {
    async fn deliver(&self, delivery: &Delivery) -> Result<(), DeliveryError> {
        match delivery {
            Delivery::Queue { .. } => self.sqs.deliver(delivery).await.map_err(DeliveryError::from),
            Delivery::Topic { .. } => match self.sns.get() {
                Some(sns) => sns.deliver(delivery).await.map_err(DeliveryError::from),
                None => Err(DeliveryError::Transient("SNS is not running yet".into())),
            },
            Delivery::Http { url, headers, body } => post(url, headers, body).await,
            Delivery::Object { .. } => match self.s3.get() {
                Some(s3) => s3.deliver(delivery).await,
                None => Err(DeliveryError::Transient("S3 is not running yet".into())),
            },
            Delivery::Mail { account_id, region, from, to, subject, body } => match self.ses.get() {
                Some(ses) => ses.deliver_mail(account_id, region, from, to, subject, body).await.map(drop).map_err(DeliveryError::from),
                None => Err(DeliveryError::Transient("SES is not running yet".into())),
            },
            Delivery::Metrics { .. } => match self.cloudwatch.get() {
                Some(cloudwatch) => cloudwatch.deliver(delivery).await.map_err(DeliveryError::from),
                None => Err(DeliveryError::Transient("CloudWatch is not running yet".into())),
            },
        }
    }

    fn target_exists(&self, delivery: &Delivery) -> Option<bool> {
        match delivery {
            Delivery::Object { bucket, .. } => self.s3.get().map(|s3| s3.bucket_exists(bucket)),
            _ => None,
        }
    }
}

/// POSTs a notification; 2xx is delivered, 4xx refused for good (as AWS treats it), anything
/// else is retried.
async fn post(url: &str, headers: &[(String, String)], body: &str) -> Result<(), DeliveryError> {
    let answer = http_client::call(http::Method::POST, url, headers, Bytes::from(body.to_owned()), HTTP_TIMEOUT).await;
    let status = match answer {
        Ok((status, _)) => status,
        Err(CallError::Unusable(why)) => return Err(DeliveryError::Permanent(why)),
        Err(CallError::Failed(why)) => return Err(DeliveryError::Transient(why)),
    };
    match status.as_u16() {
        200..=299 => Ok(()),
        400..=499 => Err(DeliveryError::Permanent(format!("{url} answered {status}"))),
        _ => Err(DeliveryError::Transient(format!("{url} answered {status}"))),
    }
}
