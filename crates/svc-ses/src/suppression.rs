//! The account-level suppression list (v2). An address on the list whose reason is one of the
//! account's SuppressedReasons (AWS's default for accounts: BOUNCE and COMPLAINT) is not sent
//! to: the send is still accepted, as AWS accepts it, the message is kept in the mailbox with
//! the address under `suppressed`, it is not relayed to that address, and a Bounce
//! (`OnAccountSuppressionList`) is reported like any other bounce.

use nimbus_core::RequestContext;
use nimbus_core::document::{parse_timestamp, string_list_member, timestamp};
use serde_json::{Value, json};

use crate::errors::{Api, Fail, Res};
use crate::identities::ms_time;
use crate::records::{ACCOUNT_KEY, AccountRecord, SuppressedRecord};
use crate::{Inner, ctx_scope, page, page_size, required};

fn check_reason(reason: &str) -> Res<()> {
    if reason == "BOUNCE" || reason == "COMPLAINT" {
        Ok(())
    } else {
        Err(Api::V2.invalid(format!("Invalid suppression reason <{reason}>: it must be BOUNCE or COMPLAINT.")))
    }
}

fn not_listed(email: &str) -> nimbus_core::ServiceError {
    Api::V2.not_found("", format!("Email address <{email}> does not exist on your suppression list."))
}

pub async fn put(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let email = required(Api::V2, input, "EmailAddress")?.to_owned();
    crate::send::mailbox(Api::V2, &email)?;
    let reason = required(Api::V2, input, "Reason")?.to_owned();
    check_reason(&reason)?;
    let record = SuppressedRecord { email: email.clone(), reason, updated_ms: inner.now(), message_id: None, feedback_id: None };
    let (scope, key) = (ctx_scope(ctx), email.to_ascii_lowercase());
    inner.write(move |t| Ok(t.put(&scope, &key, &record)?)).await?;
    Ok(json!({}))
}

pub fn get(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let email = required(Api::V2, input, "EmailAddress")?;
    let r = inner.get::<SuppressedRecord>(&ctx_scope(ctx), &email.to_ascii_lowercase())?.ok_or_else(|| not_listed(email))?;
    let mut attributes = json!({});
    if let Some(id) = &r.message_id {
        attributes["MessageId"] = json!(id);
    }
    if let Some(id) = &r.feedback_id {
        attributes["FeedbackId"] = json!(id);
    }
    Ok(json!({
        "SuppressedDestination": {
            "EmailAddress": r.email,
            "Reason": r.reason,
            "LastUpdateTime": timestamp(ms_time(r.updated_ms)),
            "Attributes": attributes,
        }
    }))
}

pub fn list(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let reasons = string_list_member(input, "Reasons");
    let bound = |member: &str| input.get(member).and_then(parse_timestamp).map(|at| (at.unix_timestamp_nanos() / 1_000_000) as i64);
    let (start, end) = (bound("StartDate"), bound("EndDate"));
    let all: Vec<(String, Value)> = inner
        .list_all::<SuppressedRecord>(&ctx_scope(ctx))?
        .into_iter()
        .filter(|(_, r)| reasons.is_empty() || reasons.contains(&r.reason))
        .filter(|(_, r)| start.is_none_or(|s| r.updated_ms >= s) && end.is_none_or(|e| r.updated_ms <= e))
        .map(|(k, r)| (k, json!({ "EmailAddress": r.email, "Reason": r.reason, "LastUpdateTime": timestamp(ms_time(r.updated_ms)) })))
        .collect();
    let (items, next) = page(Api::V2, all, input, page_size(input, "PageSize", 1000))?;
    let mut out = json!({ "SuppressedDestinationSummaries": items });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

pub async fn delete(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let email = required(Api::V2, input, "EmailAddress")?.to_owned();
    let (scope, key, missing) = (ctx_scope(ctx), email.to_ascii_lowercase(), not_listed(&email));
    inner
        .write(move |t| if t.delete::<SuppressedRecord>(&scope, &key)? { Ok(()) } else { Err(Fail(missing)) })
        .await?;
    Ok(json!({}))
}

/// The account's settings of this region.
pub fn account(inner: &Inner, ctx: &RequestContext) -> Res<AccountRecord> {
    Ok(inner.get::<AccountRecord>(&ctx_scope(ctx), ACCOUNT_KEY)?.unwrap_or_default())
}

/// Changes the account's settings of this region in one transaction.
pub async fn update_account(inner: &Inner, ctx: &RequestContext, change: impl FnOnce(&mut AccountRecord) + Send + 'static) -> Res<()> {
    let scope = ctx_scope(ctx);
    inner
        .write(move |t| {
            let mut account = t.get::<AccountRecord>(&scope, ACCOUNT_KEY)?.unwrap_or_default();
            change(&mut account);
            t.put(&scope, ACCOUNT_KEY, &account)?;
            Ok(())
        })
        .await
}

/// v2 PutAccountSuppressionAttributes: which reasons suppress (an empty list turns the
/// account-level list off).
pub async fn put_account_attributes(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let reasons = string_list_member(input, "SuppressedReasons");
    for reason in &reasons {
        check_reason(reason)?;
    }
    update_account(inner, ctx, move |a| a.suppressed_reasons = reasons).await?;
    Ok(json!({}))
}

