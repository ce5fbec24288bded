//! TransactWriteItems' `ClientRequestToken`: a token is remembered for 10 minutes (Nimbus's
//! clock) after the transaction that used it commits, with the request it came with and the
//! capacity it consumed. The same token with the same request answers again without applying
//! anything; with another request, `IdempotentParameterMismatchException`. Cancelled or failed
//! transactions leave no token, so a retry runs again.
//!
//! Tokens are records (kind `dynamodb.client_token`, scope `{account}/{region}`, key the
//! token), written in the transaction they guard. SDKs send a fresh token with every call, so
//! each transaction also deletes a few expired tokens, found through the ordered space
//! `ddb-tokens/{account}/{region}` (key: expiry in big-endian milliseconds, then the token).

use std::ops::Bound;

use nimbus_core::ServiceError;
use nimbus_store::{Direction, Record, Txn};
use serde::{Deserialize, Serialize};

use crate::describe::Place;
use crate::errors::{Fail, Res};

/// How long a token is remembered: AWS's idempotency window.
pub const TOKEN_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// Expired tokens deleted per transaction: more than one, so they never pile up.
const PRUNE_PER_TRANSACTION: usize = 4;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientToken {
    /// The request's TransactItems, as JSON text.
    pub request: String,
    pub expires_ms: i64,
    /// Capacity units the transaction consumed, per table, in request order.
    pub capacity: Vec<(String, f64)>,
}

impl Record for ClientToken {
    const KIND: &'static str = "dynamodb.client_token";
    const VERSION: u32 = 1;
}

/// What the token says about a request.
pub enum Seen {
    /// Not seen (or expired): run the transaction.
    New,
    /// The same request committed earlier: answer with its capacity.
    Replay(Vec<(String, f64)>),
}

fn expiry_space(place: &Place) -> String {
    format!("ddb-tokens/{}", place.scope())
}

fn expiry_key(expires_ms: i64, token: &str) -> Vec<u8> {
    let mut key = expires_ms.max(0).to_be_bytes().to_vec();
    key.extend_from_slice(token.as_bytes());
    key
}

/// Looks `token` up for `request` at `now_ms`, after deleting a few expired tokens.
pub fn check(txn: &Txn, place: &Place, token: &str, request: &str, now_ms: i64) -> Res<Seen> {
    let scope = place.scope();
    let space = expiry_space(place);
    let now = expiry_key(now_ms, "");
    let expired = txn.ordered_range(&space, Bound::Unbounded, Bound::Excluded(&now), Direction::Forward, PRUNE_PER_TRANSACTION)?;
    for (key, _) in expired {
        if let Some(name) = key.get(8..).and_then(|t| std::str::from_utf8(t).ok()) {
            txn.delete::<ClientToken>(&scope, name)?;
        }
        txn.ordered_delete(&space, &key)?;
    }
    match txn.get::<ClientToken>(&scope, token)? {
        Some(seen) if seen.expires_ms > now_ms => {
            if seen.request == request {
                Ok(Seen::Replay(seen.capacity))
            } else {
                // (chosen: AWS's wording is not documented)
                Err(Fail(ServiceError::new(
                    "IdempotentParameterMismatchException",
                    "Request parameters do not match the parameters of the earlier request with the same ClientRequestToken",
                )))
            }
        }
        _ => Ok(Seen::New),
    }
}

/// Remembers `token` for a transaction committing now.
pub fn remember(txn: &Txn, place: &Place, token: &str, request: String, capacity: Vec<(String, f64)>, now_ms: i64) -> Res<()> {
    let scope = place.scope();
    if let Some(previous) = txn.get::<ClientToken>(&scope, token)? {
        txn.ordered_delete(&expiry_space(place), &expiry_key(previous.expires_ms, token))?;
    }
    let expires_ms = now_ms + TOKEN_LIFETIME_MS;
    txn.put(&scope, token, &ClientToken { request, expires_ms, capacity })?;
    txn.ordered_put(&expiry_space(place), &expiry_key(expires_ms, token), &[])?;
    Ok(())
}
