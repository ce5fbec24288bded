//! Amazon S3 for Nimbus.
//!
//! S3 is the one service whose wire is not Nimbus's protocol codecs: the `s3s` crate parses
//! requests into typed inputs and serializes outputs and errors, and this crate supplies
//! * [`S3Backend`], the operations (`s3s::S3`) over the Nimbus [`Store`](nimbus_store::Store):
//!   versioned records keyed by (bucket, key), bodies in random-id blobs, streamed both ways;
//! * authentication over Nimbus's credential registry and clock (`auth.rs`, `front.rs`);
//! * virtual-hosted-style addressing ([`NimbusHost`]);
//! * [`S3Front`], the entry point the server calls with a hyper request;
//! * versioning (`backend/versions.rs`): version stacks per key, delete markers, `versionId`
//!   on reads, deletes, tagging and copy sources, ListObjectVersions;
//! * lifecycle (`lifecycle.rs` rules, `backend/lifecycle.rs` sweeper): configurations are
//!   validated and stored, and applied by [`S3Front::run_lifecycle`], which the server calls
//!   on a timer and after `POST /_nimbus/clock` moves the clock. It returns a
//!   [`LifecycleReport`] of what it did; it is idempotent and cheap when nothing is due.
//!
//! * event notifications (`notifications.rs`, `backend/notification_config.rs`): the bucket's
//!   `notification` configuration, `s3:TestEvent` on Put, and `ObjectCreated:*`,
//!   `ObjectRemoved:*`, `LifecycleExpiration:*` events to SQS queues and SNS topics through the
//!   [`nimbus_core::EventBus`] given to [`S3Front::with_defaults`], sent after the commit in the
//!   background.
//!
//! * encryption at rest (`crypto.rs` chunked AES-256-GCM, `sse.rs` SSE-S3/KMS/C and keys,
//!   `backend/encryption.rs` default bucket encryption), checksums (`checksums.rs`,
//!   `backend/integrity.rs`), Object Lock (`backend/object_lock.rs`), GetObjectAttributes.
//!
//! * request metrics (`backend/metrics_config.rs` configurations, `request_metrics.rs`
//!   counters): requests selected by a bucket's metrics configurations are counted in the
//!   front and read once a minute by [`S3Front::standard_metrics`] as `AWS/S3` datapoints.
//!
//! What the backend does not implement stays s3s's default: `NotImplemented`.

mod access;
mod acl;
mod audit;
mod auth;
mod backend;
mod bucket_config;
mod checksums;
mod chunked;
mod cors;
mod crypto;
mod errors;
mod fast_get;
mod front;
mod host;
mod iam_authorize;
mod io;
mod lifecycle;
mod notifications;
mod policy;
mod post_form;
mod records;
mod request_metrics;
mod sse;
mod website;

pub use auth::Caller;
pub use backend::{LifecycleReport, S3Backend};
pub use front::{BoxError, ResponseBody, S3Front};
pub use host::{NimbusHost, parse_virtual_host, parse_website_host};

/// The S3 operations implemented, named as in `models/s3.json` (for the coverage report).
pub fn operations() -> Vec<&'static str> {
    backend::OPERATIONS.to_vec()
}
