//! Amazon SES, both APIs over one state: v1 ([`Ses`], model `ses`, awsQuery) and v2
//! ([`SesV2`], model `sesv2`, rest-json).
//!
//! Identities, templates, configuration sets, the suppression list and contact lists are store
//! records ([`records`]). Every accepted message is kept, durably, as its full RFC 5322 MIME
//! message in the local mailbox ([`mailbox`]), which the binary serves under
//! `/_nimbus/ses/messages` and LocalStack's `/_aws/ses`; with an SMTP relay configured each
//! message is also handed to that server in the background ([`relay`]). Bounce, complaint and
//! delivery notifications (the mailbox simulator's addresses, the suppression list) go to SNS
//! topics through the event bus ([`events`]).
//!
//! Identities are verified at once unless [`SesOptions::require_verification`] keeps them
//! pending until [`Ses::verify_identity`] (the admin endpoint) verifies them. Times read
//! Nimbus's [`Clock`].

mod address;
mod config_sets;
mod contacts;
mod errors;
mod events;
mod identities;
mod mailbox;
mod mime;
mod records;
mod relay;
mod send;
mod suppression;
mod templates;
mod v1;
mod v2;

use std::sync::Arc;

use nimbus_core::{Clock, Document, EventBus, RequestContext, Service, ServiceError};
use nimbus_store::{Store, Txn};
use serde_json::Value;

use crate::errors::{Api, Fail, Res};

pub use mailbox::MailFilter;

/// Server options the binary sets from its flags.
#[derive(Debug, Clone, Default)]
pub struct SesOptions {
    /// New identities stay pending until verified through [`Ses::verify_identity`], and sends
    /// from them are refused as in AWS's sandbox.
    pub require_verification: bool,
    /// `host:port` of an SMTP server every stored message is also sent to.
    pub smtp_relay: Option<String>,
}

/// SES v1 (the `ses` model, awsQuery).
pub struct Ses {
    inner: Arc<Inner>,
}

/// SES v2 (the `sesv2` model, rest-json), over the same state as the [`Ses`] it came from.
pub struct SesV2 {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    store: Store,
    clock: Clock,
    options: SesOptions,
    bus: Option<Arc<dyn EventBus>>,
    relay: Option<relay::Relay>,
}

const V1_OPERATIONS: &[&str] = &[
    "CreateConfigurationSet",
    "CreateConfigurationSetEventDestination",
    "CreateTemplate",
    "DeleteConfigurationSet",
    "DeleteConfigurationSetEventDestination",
    "DeleteIdentity",
    "DeleteTemplate",
    "DeleteVerifiedEmailAddress",
    "DescribeConfigurationSet",
    "GetAccountSendingEnabled",
    "GetIdentityDkimAttributes",
    "GetIdentityNotificationAttributes",
    "GetIdentityVerificationAttributes",
    "GetSendQuota",
    "GetSendStatistics",
    "GetTemplate",
    "ListConfigurationSets",
    "ListIdentities",
    "ListTemplates",
    "ListVerifiedEmailAddresses",
    "SendBulkTemplatedEmail",
    "SendEmail",
    "SendRawEmail",
    "SendTemplatedEmail",
    "SetIdentityDkimEnabled",
    "SetIdentityFeedbackForwardingEnabled",
    "SetIdentityHeadersInNotificationsEnabled",
    "SetIdentityNotificationTopic",
    "TestRenderTemplate",
    "UpdateAccountSendingEnabled",
    "UpdateConfigurationSetEventDestination",
    "UpdateTemplate",
    "VerifyDomainDkim",
    "VerifyDomainIdentity",
    "VerifyEmailAddress",
    "VerifyEmailIdentity",
];

const V2_OPERATIONS: &[&str] = &[
    "CreateConfigurationSet",
    "CreateConfigurationSetEventDestination",
    "CreateContact",
    "CreateContactList",
    "CreateEmailIdentity",
    "CreateEmailTemplate",
    "DeleteConfigurationSet",
    "DeleteConfigurationSetEventDestination",
    "DeleteContact",
    "DeleteContactList",
    "DeleteEmailIdentity",
    "DeleteEmailTemplate",
    "DeleteSuppressedDestination",
    "GetAccount",
    "GetConfigurationSet",
    "GetConfigurationSetEventDestinations",
    "GetContact",
    "GetContactList",
    "GetEmailIdentity",
    "GetEmailTemplate",
    "GetSuppressedDestination",
    "ListConfigurationSets",
    "ListContactLists",
    "ListContacts",
    "ListEmailIdentities",
    "ListEmailTemplates",
    "ListSuppressedDestinations",
    "PutAccountSendingAttributes",
    "PutAccountSuppressionAttributes",
    "PutEmailIdentityConfigurationSetAttributes",
    "PutEmailIdentityFeedbackAttributes",
    "PutSuppressedDestination",
    "SendBulkEmail",
    "SendEmail",
    "TestRenderEmailTemplate",
    "UpdateConfigurationSetEventDestination",
    "UpdateContact",
    "UpdateContactList",
    "UpdateEmailTemplate",
];

impl Ses {
    /// `bus` carries bounce, complaint and delivery notifications to SNS topics; without one
    /// they are not sent.
    pub fn new(store: Store, clock: Clock, options: SesOptions, bus: Option<Arc<dyn EventBus>>) -> Self {
        let relay = options.smtp_relay.as_deref().map(relay::Relay::new);
        Ses { inner: Arc::new(Inner { store, clock, options, bus, relay }) }
    }

    /// The v2 API over this state.
    pub fn v2(&self) -> SesV2 {
        SesV2 { inner: self.inner.clone() }
    }

    /// Drops a plain-text message into the mailbox as `from` would have sent it to `to`
    /// (SNS email subscriptions): no verification, quota or events, but relayed like every
    /// message. Returns the message id.
    pub async fn deliver_mail(
        &self,
        account: &str,
        region: &str,
        from: &str,
        to: &str,
        subject: &str,
        text_body: &str,
    ) -> Result<String, ServiceError> {
        send::system_mail(&self.inner, account, region, from, to, subject, text_body).await
    }

    /// Marks a pending identity verified (the admin endpoint); false when there is no such
    /// identity in that account and region. Blocks until committed.
    pub fn verify_identity(&self, account: &str, region: &str, identity: &str) -> Result<bool, ServiceError> {
        identities::verify_now(&self.inner, account, region, identity)
    }

    /// The mailbox's messages matching `filter`, oldest first, as Nimbus's JSON (no raw bytes).
    pub fn messages_json(&self, filter: &MailFilter) -> Result<Value, ServiceError> {
        mailbox::list_json(&self.inner, filter)
    }

    /// One message as JSON, headers and raw MIME text included.
    pub fn message_json(&self, id: &str) -> Result<Option<Value>, ServiceError> {
        mailbox::message_json(&self.inner, id)
    }

    /// One message's RFC 5322 bytes.
    pub fn message_raw(&self, id: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        mailbox::raw(&self.inner, id)
    }

    /// Deletes the messages matching `filter`; returns how many. Blocks until committed.
    pub fn delete_messages(&self, filter: &MailFilter) -> Result<usize, ServiceError> {
        mailbox::delete_matching(&self.inner, filter)
    }

    /// LocalStack's `GET /_aws/ses` document: `{"messages": [...]}` in its member names.
    pub fn localstack_json(&self, filter: &MailFilter) -> Result<Value, ServiceError> {
        mailbox::localstack_json(&self.inner, filter)
    }
}

impl Inner {
    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Runs a store transaction on the store's writer thread (concurrent requests share a
    /// commit without parking a thread each).
    async fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Txn) -> Result<T, Fail> + Send + 'static) -> Res<T> {
        self.store.transaction_async(f).await.map_err(ServiceError::from)
    }

    /// [`Inner::write`] for the admin endpoints' synchronous callers.
    fn write_blocking<T>(&self, f: impl FnOnce(&mut Txn) -> Result<T, Fail>) -> Res<T> {
        self.store.transaction(f).map_err(ServiceError::from)
    }

    fn get<R: nimbus_store::Record>(&self, scope: &str, key: &str) -> Res<Option<R>> {
        self.store.get(scope, key).map_err(errors::store)
    }

    fn list_all<R: nimbus_store::Record>(&self, scope: &str) -> Res<Vec<(String, R)>> {
        self.store.list_all(scope).map_err(errors::store)
    }
}

/// Where an account's records in a region live.
fn scope(account: &str, region: &str) -> String {
    format!("{account}/{region}")
}

fn ctx_scope(ctx: &RequestContext) -> String {
    scope(&ctx.account_id, &ctx.region)
}

use nimbus_core::document::str_member as string;

fn required<'a>(api: Api, input: &'a Value, name: &str) -> Res<&'a str> {
    string(input, name).ok_or_else(|| api.invalid(format!("{name} is required.")))
}

/// One page of `items` (already in key order) after the NextToken, at most `limit`, and the
/// token for the next page. Tokens are the last key shown, base64.
fn page<T>(api: Api, items: Vec<(String, T)>, input: &Value, limit: usize) -> Res<(Vec<T>, Option<String>)> {
    use base64::Engine;
    let after = match string(input, "NextToken") {
        None => None,
        Some(token) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| match api {
                    Api::V1 => api.invalid("Invalid NextToken."),
                    Api::V2 => ServiceError::new("BadRequestException", "Invalid NextToken."),
                })?,
        ),
    };
    let mut rest: Vec<(String, T)> = items.into_iter().filter(|(k, _)| after.as_ref().is_none_or(|a| k > a)).collect();
    let limit = limit.max(1);
    let next = (rest.len() > limit).then(|| base64::engine::general_purpose::STANDARD.encode(&rest[limit - 1].0));
    rest.truncate(limit);
    Ok((rest.into_iter().map(|(_, v)| v).collect(), next))
}

/// A page size member (`MaxItems`, `PageSize`) with its default.
fn page_size(input: &Value, member: &str, default: usize) -> usize {
    input.get(member).and_then(Value::as_u64).map_or(default, |n| n as usize)
}

#[async_trait::async_trait]
impl Service for Ses {
    fn model_name(&self) -> &'static str {
        "ses"
    }

    fn operations(&self) -> &'static [&'static str] {
        V1_OPERATIONS
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        v1::call(&self.inner, ctx, operation, &input).await
    }
}

#[async_trait::async_trait]
impl Service for SesV2 {
    fn model_name(&self) -> &'static str {
        "sesv2"
    }

    fn operations(&self) -> &'static [&'static str] {
        V2_OPERATIONS
    }

    /// v2's actions are IAM's `ses:` actions, as v1's are.
    fn iam_prefix(&self) -> &'static str {
        "ses"
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        v2::call(&self.inner, ctx, operation, &input).await
    }
}

#[cfg(test)]
mod tests;
