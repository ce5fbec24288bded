//! What S3 tells the server about each call for CloudTrail ([`nimbus_core::CallNote`]): the
//! server cannot see S3's operation or caller, which only s3s and the access hook know.
//!
//! The front puts an empty [`AuditSlot`] into the request's extensions; the access hook fills it
//! once it knows the operation, bucket, key and caller (before deciding, so refusals are noted
//! too); the front moves the note, with the error code of a failed call, into the response's
//! extensions. Requests that never reach the access hook (bad signatures, website and CORS
//! requests) carry no note and are not recorded, as AWS records no call it could not authenticate.

use std::sync::{Arc, Mutex, PoisonError};

use nimbus_core::CallNote;
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::policy::Principal;

/// Where the access hook leaves its note for the front.
#[derive(Clone, Default)]
pub(crate) struct AuditSlot(Arc<Mutex<Option<CallNote>>>);

/// The code and message of an error response, as `errors::complete` read them.
#[derive(Debug, Clone)]
pub(crate) struct ErrorInfo {
    pub code: String,
    pub message: String,
}

impl AuditSlot {
    pub fn fill(&self, note: CallNote) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(note);
    }

    /// The note, with the response's error if it failed.
    pub fn take(&self, error: Option<&ErrorInfo>) -> Option<CallNote> {
        let mut note = self.0.lock().unwrap_or_else(PoisonError::into_inner).take()?;
        note.error = error.map(|e| (e.code.clone(), e.message.clone()));
        Some(note)
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
