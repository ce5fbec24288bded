//! KMS's clock-driven upkeep wired into the server's sweepers: scheduled deletions, automatic
//! rotations and expiring imported material happen when due, not only when a key is next read.

use std::sync::Arc;

use futures::future::BoxFuture;
use nimbus_server::Sweeper;
use nimbus_svc_kms::Kms;

pub struct KmsSweeper(pub Arc<Kms>);

impl Sweeper for KmsSweeper {
    fn name(&self) -> &'static str {
        "kms"
    }

    fn sweep(&self) -> BoxFuture<'_, ()> {
        let kms = self.0.clone();
        Box::pin(async move {
            // Rotation generates key material and commits: off the async workers.
            match tokio::task::spawn_blocking(move || kms.sweep()).await {
                Ok(report) if report.deleted + report.rotated + report.expired > 0 => {
                    tracing::debug!(deleted = report.deleted, rotated = report.rotated, expired = report.expired, "KMS sweep");
                }
                Ok(_) => {}
                Err(e) => tracing::error!("KMS sweep failed: {e}"),
            }
        })
    }
}
