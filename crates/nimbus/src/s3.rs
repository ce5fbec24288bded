//! S3 wired into the server: the server knows `HttpService` and `Sweeper`, the S3 crate knows
//! neither (service crates never depend on the server), and this adapter joins them.

use std::sync::Arc;

use futures::future::BoxFuture;
use nimbus_server::{HttpService, ResponseBody, Sweeper};
use nimbus_svc_s3::S3Front;

pub struct S3(pub Arc<S3Front>);

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

    /// Applies the lifecycle rules that are due on Nimbus's clock.
    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            let report = self.0.run_lifecycle().await;
            if report.acted() {
                tracing::info!(?report, "s3 lifecycle rules applied");
            }
        })
    }
}
