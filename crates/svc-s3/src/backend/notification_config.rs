//! Put/GetBucketNotificationConfiguration: validated as S3 does (`notifications.rs`), each
//! queue and topic sent an `s3:TestEvent` before the configuration is stored, stored as the
//! bucket's `notification` configuration record.

use nimbus_core::DeliveryError;
use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::S3Backend;
use crate::bucket_config::{get_config, set_config};
use crate::io::store_error;
use crate::notifications::{self, DestinationKind, NotificationConfig, Origin};
use crate::records::BucketRecord;

impl S3Backend {
    pub(super) async fn op_put_bucket_notification_configuration(
        &self,
        req: S3Request<PutBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketNotificationConfigurationOutput>> {
        let origin = self.origin(&req);
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let config =
            notifications::config_from(&req.input.notification_configuration, &bucket.region)?;
        if req.input.skip_destination_validation != Some(true) {
            self.validate_destinations(&bucket, &origin, &config)
                .await?;
        }
        let stored = (!config.is_empty()).then_some(&config);
        set_config(&self.store, &bucket.id, stored).map_err(store_error)?;
        Ok(S3Response::new(PutBucketNotificationConfigurationOutput {}))
    }

    pub(super) fn op_get_bucket_notification_configuration(
        &self,
        req: S3Request<GetBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketNotificationConfigurationOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        // No configuration is an empty one, not an error.
        let config = get_config::<NotificationConfig>(&self.store, &bucket.id)
            .map_err(store_error)?
            .unwrap_or_default()
            .to_dto();
        Ok(S3Response::new(GetBucketNotificationConfigurationOutput {
            event_bridge_configuration: config.event_bridge_configuration,
            lambda_function_configurations: config.lambda_function_configurations,
            queue_configurations: config.queue_configurations,
            topic_configurations: config.topic_configurations,
        }))
    }

    /// Sends `s3:TestEvent` to each queue and topic, as S3 does on every Put: a destination
    /// that does not exist (or refuses for good) fails the request. Lambda functions are not
    /// checked (no Lambda in Nimbus).
    async fn validate_destinations(
        &self,
        bucket: &BucketRecord,
        origin: &Origin,
        config: &NotificationConfig,
    ) -> S3Result<()> {
        if !self.events.enabled() {
            return Ok(());
        }
        let message = notifications::test_event(&bucket.name, origin, self.now_ms());
        let mut seen: Vec<(DestinationKind, &str)> = Vec::new();
        let mut failed = Vec::new();
        for destination in &config.destinations {
            if seen.contains(&(destination.kind, destination.arn.as_str())) {
                continue;
            }
            seen.push((destination.kind, destination.arn.as_str()));
            let Some(delivery) = destination.delivery(message.clone()) else {
                continue;
            };
            match self.events.deliver_now(&delivery).await {
                Ok(()) => {}
                Err(DeliveryError::Permanent(why)) => {
                    failed.push(format!("{}: {why}", destination.arn))
                }
                Err(DeliveryError::Transient(why)) => tracing::warn!(
                    "s3:TestEvent to {} not delivered ({why}); configuration accepted",
                    destination.arn
                ),
            }
        }
        if failed.is_empty() {
            return Ok(());
        }
        tracing::info!(
            "notification configuration of bucket {} refused: {}",
            bucket.name,
            failed.join("; ")
        );
        Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Unable to validate the following destination configurations",
        ))
    }
}
