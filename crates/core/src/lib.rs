//! Contracts shared by every Nimbus crate.
//!
//! A service crate sees only what is here: a [`RequestContext`] saying who calls and where, an input
//! [`Document`] already validated against the operation's input shape, and it answers with an output
//! document or a [`ServiceError`]. It never sees HTTP; the protocol codecs own the wire.

pub mod audit;
pub mod authz;
pub mod bus;
pub mod clock;
pub mod context;
pub mod credentials;
pub mod document;
pub mod error;
pub mod ids;
pub mod kms;
pub mod service;
pub mod web_identity;

pub use audit::{ApiCall, AuditSink, CallNote, Interest};
pub use authz::{Authorizer, Denied};
pub use bus::{Delivery, DeliveryError, EventBus, MetricDatum, MetricValue};
pub use clock::Clock;
pub use context::{Principal, RequestContext};
pub use credentials::{Credential, CredentialRegistry, Session};
pub use document::Document;
pub use error::ServiceError;
pub use kms::{DataKey, Decrypted, KeyManager, KmsCaller};
pub use service::{Access, ResourcePolicy, Service};
pub use web_identity::IdentityKeys;

/// The account requests fall into when their access key id is not itself a 12-digit account id.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";
/// The region a request is in when its signature does not say.
pub const DEFAULT_REGION: &str = "us-east-1";
