//! CloudTrail's clock-driven upkeep wired into the server's sweepers: event history trimmed past
//! 90 days and trails' log files delivered once due, on Nimbus's clock.

use std::sync::Arc;

use futures::future::BoxFuture;
use nimbus_server::Sweeper;
use nimbus_svc_cloudtrail::CloudTrail;

pub struct CloudTrailSweeper(pub Arc<CloudTrail>);

impl Sweeper for CloudTrailSweeper {
    fn name(&self) -> &'static str {
        "cloudtrail"
    }

    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            let files = self.0.sweep().await;
            if files > 0 {
                tracing::debug!(files, "CloudTrail log files delivered");
            }
        })
    }
}
