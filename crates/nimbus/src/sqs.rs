//! SQS's clock-driven upkeep wired into the server's sweepers (the SQS crate does not know the
//! server's `Sweeper` trait).

use std::sync::Arc;

use futures::future::BoxFuture;
use nimbus_server::Sweeper;
use nimbus_svc_sqs::Sqs;

pub struct SqsSweeper(pub Arc<Sqs>);

impl Sweeper for SqsSweeper {
    fn name(&self) -> &'static str {
        "sqs"
    }

    /// Drops messages past retention and wakes long polls after a clock move.
    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.0.sweep())
    }
}
