//! What S3 tells the server about each call for CloudTrail ([`nimbus_core::CallNote`]): the
//! server cannot see S3's operation or caller, which only s3s and the access hook know.
//!
//! The front puts an empty [`AuditSlot`] into the request's extensions; the access hook fills it
//! once it knows the operation, bucket, key and caller (before deciding, so refusals are noted
//! too); the front moves the note, with the error code of a failed call, into the response's
//! extensions. Requests that never reach the access hook (bad signatures, website and CORS
//! requests) carry no note and are not recorded, as AWS records no call it could not authenticate.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use nimbus_core::{AuditSink, CallNote};
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::policy::Principal;

/// The audit sink (CloudTrail's recorder), set by the binary once it exists: asked before a note
/// is built, so calls CloudTrail does not keep (object reads and writes while no trail selects S3
/// data events: nearly every request) cost nothing here.
#[derive(Clone, Default)]
pub struct AuditSinkSlot(Arc<OnceLock<Arc<dyn AuditSink>>>);

impl AuditSinkSlot {
    pub fn set(&self, sink: Arc<dyn AuditSink>) {
        let _ = self.0.set(sink);
    }

    /// Whether a call of `operation` would be recorded; without a sink, none is.
    pub fn keeps(&self, operation: &str) -> bool {
        self.0.get().is_some_and(|sink| sink.interest("s3", operation).keeps())
    }
}

/// Where the access hook leaves what it learnt for the front: the operation's name when the
/// front asked for it (request metrics count by it), and the note when the call is kept.
#[derive(Clone, Default)]
pub(crate) struct AuditSlot(Arc<Mutex<Noted>>);

#[derive(Default)]
struct Noted {
    wants_operation: bool,
    operation: Option<String>,
    note: Option<CallNote>,
}

/// The code and message of an error response, as `errors::complete` read them.
#[derive(Debug, Clone)]
pub(crate) struct ErrorInfo {
    pub code: String,
    pub message: String,
}

impl AuditSlot {
    /// A slot that keeps the operation's name, for requests that are metered.
    pub fn naming_operation() -> AuditSlot {
        AuditSlot(Arc::new(Mutex::new(Noted { wants_operation: true, ..Noted::default() })))
    }

    /// Keeps the operation's name if the front asked for it (the copy is the only cost).
    pub fn name_operation(&self, operation: &str) {
        let mut noted = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if noted.wants_operation {
            noted.operation = Some(operation.to_owned());
        }
    }

    pub fn fill(&self, note: CallNote) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).note = Some(note);
    }

    /// The operation, if the access hook named it, and the note with the response's error if
    /// the call failed.
    pub fn take(&self, error: Option<&ErrorInfo>) -> (Option<String>, Option<CallNote>) {
        let mut noted = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut note = noted.note.take();
        if let Some(note) = &mut note {
            note.error = error.map(|e| (e.code.clone(), e.message.clone()));
        }
        (noted.operation.take(), note)
    }
}

/// The note of one call: `bucketName`, `Host` and `key` are the request parameters AWS records
/// for S3.
pub(crate) fn note(
    operation: &str,
    principal: &Principal,
    caller: Option<&Caller>,
    bucket: Option<&str>,
    key: Option<&str>,
    host: Option<&str>,
) -> CallNote {
    let mut params = Map::new();
    if let Some(bucket) = bucket {
        params.insert("bucketName".into(), Value::from(bucket));
    }
    if let Some(host) = host {
        params.insert("Host".into(), Value::from(host));
    }
    if let Some(key) = key {
        params.insert("key".into(), Value::from(key));
    }
    let (account_id, principal) = match principal {
        // The server records anonymous calls in its default account (the note cannot tell the
        // bucket's owner without reading the bucket).
        Principal::Anonymous => (String::new(), None),
        Principal::Aws { account, arn } => {
            let principal = nimbus_core::Principal {
                arn: arn.clone(),
                user_id: caller.and_then(|c| c.user_id.clone()).unwrap_or_else(|| account.clone()),
                access_key_id: caller.and_then(|c| c.access_key_id.clone()),
                verified: caller.is_some_and(|c| c.user_id.is_some()),
                session: None,
            };
            (account.clone(), Some(principal))
        }
    };
    CallNote { operation: operation.to_owned(), account_id, principal, request_parameters: Value::Object(params), error: None }
}
