//! S3 wired into the server: the server knows `HttpService` and `Sweeper`, the S3 crate knows
//! neither (service crates never depend on the server), and this adapter joins them. The
//! sweeper also hands S3's request metrics to CloudWatch.

use std::sync::Arc;

use futures::future::BoxFuture;
use nimbus_core::{Delivery, EventBus};
use nimbus_server::{HttpService, ResponseBody, Sweeper};
use nimbus_svc_s3::S3Front;

/// S3's front, and the bus its `AWS/S3` request metrics go out on (to CloudWatch).
pub struct S3(pub Arc<S3Front>, pub Arc<dyn EventBus>);

impl HttpService for S3 {
    fn model_name(&self) -> &'static str {
        "s3"
    }

    fn operations(&self) -> Vec<&'static str> {
        nimbus_svc_s3::operations()
    }

    fn handle(&self, req: http::Request<hyper::body::Incoming>) -> BoxFuture<'_, http::Response<ResponseBody>> {
        Box::pin(self.0.handle(req))
    }
}

impl Sweeper for S3 {
    fn name(&self) -> &'static str {
        "s3"
    }

    /// Applies the lifecycle rules that are due on Nimbus's clock, then publishes the request
    /// metrics of buckets with metrics configurations (once a minute, as AWS does, and at each
    /// clock move).
    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            let report = self.0.run_lifecycle().await;
            if report.acted() {
                tracing::info!(?report, "s3 lifecycle rules applied");
            }
            for (account_id, region, data) in self.0.standard_metrics() {
                let delivery = Delivery::Metrics { account_id, region, namespace: "AWS/S3".into(), data };
                if let Err(e) = self.1.deliver(&delivery).await {
                    tracing::debug!("AWS/S3 metrics not stored: {e}");
                }
            }
        })
    }
}
