//! CloudWatch Logs' and CloudWatch's clock-driven upkeep wired into the server's sweepers: log
//! retention, and the alarm evaluation loop (every alarm due on Nimbus's clock is evaluated and
//! its actions run).

use std::sync::Arc;

use futures::future::BoxFuture;
use nimbus_server::Sweeper;
use nimbus_svc_cloudwatch::CloudWatch;
use nimbus_svc_logs::Logs;

pub struct LogsSweeper(pub Arc<Logs>);

impl Sweeper for LogsSweeper {
    fn name(&self) -> &'static str {
        "logs"
    }

    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.0.sweep())
    }
}

pub struct CloudWatchSweeper(pub Arc<CloudWatch>);

impl Sweeper for CloudWatchSweeper {
    fn name(&self) -> &'static str {
        "cloudwatch"
    }

    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.0.sweep())
    }
}
