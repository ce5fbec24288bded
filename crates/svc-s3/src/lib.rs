//! Amazon S3 for Nimbus.
//!
//! S3 is the one service whose wire is not Nimbus's protocol codecs: the `s3s` crate parses
//! requests into typed inputs and serializes outputs and errors, and this crate supplies
//! * [`S3Backend`], the operations (`s3s::S3`) over the Nimbus [`Store`](nimbus_store::Store):
//!   versioned records keyed by (bucket, key), bodies in random-id blobs, streamed both ways;
//! * authentication over Nimbus's credential registry and clock (`auth.rs`, `front.rs`);
//! * virtual-hosted-style addressing ([`NimbusHost`]);
//! * [`S3Front`], the entry point the server calls with a hyper request.
//!
//! What the backend does not implement stays s3s's default: `NotImplemented`.

mod access;
mod acl;
mod auth;
mod backend;
mod bucket_config;
mod chunked;
mod cors;
mod errors;
mod front;
mod host;
mod io;
mod policy;
mod records;
mod website;

pub use auth::Caller;
pub use backend::S3Backend;
pub use front::{BoxError, ResponseBody, S3Front};
pub use host::{NimbusHost, parse_virtual_host, parse_website_host};

/// The S3 operations implemented, named as in `models/s3.json` (for the coverage report).
pub fn operations() -> Vec<&'static str> {
    backend::OPERATIONS.to_vec()
}
