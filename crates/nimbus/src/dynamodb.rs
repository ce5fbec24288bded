//! DynamoDB's clock-driven upkeep wired into the server's sweepers: TTL deletions and the
//! trimming of stream records older than 24 hours happen when due on Nimbus's clock.

use std::sync::Arc;

use futures::future::BoxFuture;
use nimbus_server::Sweeper;
use nimbus_svc_dynamodb::DynamoDb;

pub struct DynamoDbSweeper(pub Arc<DynamoDb>);

impl Sweeper for DynamoDbSweeper {
    fn name(&self) -> &'static str {
        "dynamodb"
    }

    fn sweep(&self) -> BoxFuture<'_, ()> {
        let dynamodb = self.0.clone();
        Box::pin(async move {
            // Deletions commit in chunks (blocking transactions): off the async workers.
            match tokio::task::spawn_blocking(move || dynamodb.sweep()).await {
                Ok(report) if report.expired + report.trimmed + report.streams_removed > 0 => {
                    tracing::debug!(expired = report.expired, trimmed = report.trimmed, streams_removed = report.streams_removed, "DynamoDB sweep");
                }
                Ok(_) => {}
                Err(e) => tracing::error!("DynamoDB sweep failed: {e}"),
            }
        })
    }
}
