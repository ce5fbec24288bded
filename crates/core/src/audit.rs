//! The audit hook: how the server tells CloudTrail about every call it served.
//!
//! The server asks the [`AuditSink`] (CloudTrail's recorder, wired by the binary) whether a call
//! would be kept *before* building anything ([`AuditSink::interest`]: an in-memory table lookup),
//! and hands it an [`ApiCall`] once the outcome is known. Recording must never slow a request:
//! `record` only queues the call, and the sink writes its queue to the store in the background.
//!
//! S3 answers through its own front (s3s), so the server cannot see its operation or caller; the
//! front puts a [`CallNote`] into the response's extensions and the server records from it.

use std::net::IpAddr;

use crate::{Document, Principal};

/// What a call would be kept as: decided from the service and operation alone, before the server
/// copies the input (which only kept calls pay for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Not kept: a data event no logging trail asks for.
    Skip,
    /// Kept with its request parameters (read-only calls: AWS leaves `responseElements` null).
    Request,
    /// Kept with its request parameters and its output (calls that change something).
    RequestAndResponse,
}

impl Interest {
    pub fn keeps(self) -> bool {
        self != Interest::Skip
    }

    pub fn wants_response(self) -> bool {
        self == Interest::RequestAndResponse
    }
}

/// One call as the server saw it: what a CloudTrail record is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    /// When the call completed, on Nimbus's clock (epoch milliseconds).
    pub event_time_ms: i64,
    /// The service's model name (`dynamodb`, `s3`, `dynamodbstreams`).
    pub service: String,
    /// The service's host name in records: `<signing name>.amazonaws.com`.
    pub event_source: String,
    pub operation: String,
    /// The account the call acted in (the caller's) and the region it was made in.
    pub account_id: String,
    pub region: String,
    /// Who called; `None` for an anonymous (unsigned) request.
    pub principal: Option<Principal>,
    pub source_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub request_id: String,
    /// The input in record form (member names in lowerCamelCase, values of the model's sensitive
    /// shapes hidden, blobs left out); `None` when the call failed before its input was read.
    pub request_parameters: Option<Document>,
    /// The output in record form, for successful calls that change something.
    pub response_elements: Option<Document>,
    /// The error code and message of a failed call.
    pub error: Option<(String, String)>,
}

/// Where the server hands calls. Implementations must be cheap and must never block or wait for
/// disk: both methods run on every request's path.
pub trait AuditSink: Send + Sync {
    /// Whether a call of `operation` on `service` (model name) would be kept.
    fn interest(&self, service: &str, operation: &str) -> Interest;

    /// Queues a call the sink was interested in. Never blocks: a full queue drops the call.
    fn record(&self, call: ApiCall);
}

/// What a raw-HTTP service (S3) knows of a call that the server does not: the operation, who
/// called and what it named. Put into the response's extensions for the server's audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct CallNote {
    pub operation: String,
    /// The caller's account; empty for anonymous calls (the server records those in its default
    /// account).
    pub account_id: String,
    /// `None`: anonymous.
    pub principal: Option<Principal>,
    /// In record form (`{"bucketName": ..., "key": ...}`).
    pub request_parameters: Document,
    /// The error code and message, when the call failed.
    pub error: Option<(String, String)>,
}
