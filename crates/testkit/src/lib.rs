//! Test doubles shared by the service crates' tests (a dev-dependency only): service crates may
//! not depend on each other, so their tests stand in for KMS and the server's credential
//! registry with these.

mod credentials;
mod fake_kms;

pub use credentials::MemoryRegistry;
pub use fake_kms::FakeKms;
