//! SQS's clock-driven upkeep wired into the server's sweepers (the SQS crate does not know the
//! server's `Sweeper` trait), and its standard metrics handed to CloudWatch.

use std::sync::Arc;

use futures::future::BoxFuture;
use nimbus_core::{Delivery, EventBus};
use nimbus_server::Sweeper;
use nimbus_svc_sqs::Sqs;

pub struct SqsSweeper {
    pub sqs: Arc<Sqs>,
    /// Where the `AWS/SQS` datapoints go (CloudWatch).
    pub bus: Arc<dyn EventBus>,
}

impl Sweeper for SqsSweeper {
    fn name(&self) -> &'static str {
        "sqs"
    }

    /// Drops messages past retention and wakes long polls after a clock move, then publishes
    /// every loaded queue's standard metrics (once a minute, as AWS does, and at each clock move).
    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            self.sqs.sweep().await;
            for (account_id, region, data) in self.sqs.standard_metrics() {
                let delivery = Delivery::Metrics { account_id, region, namespace: "AWS/SQS".into(), data };
                if let Err(e) = self.bus.deliver(&delivery).await {
                    tracing::debug!("AWS/SQS metrics not stored: {e}");
                }
            }
        })
    }
}
