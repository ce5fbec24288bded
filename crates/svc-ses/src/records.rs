//! What SES persists. v1 and v2 share every record: an identity verified through v1 is the
//! same identity v2 lists, a template created through v2 is sent by v1's SendTemplatedEmail.
//!
//! - scope `{account}/{region}`: [`IdentityRecord`] (key: the identity, domain part
//!   lowercased), [`TemplateRecord`] (key: name), [`ConfigSetRecord`] (key: name),
//!   [`SuppressedRecord`] (key: the address, lowercased), [`ContactListRecord`] (key: name),
//!   [`AccountRecord`] (key [`ACCOUNT_KEY`]).
//! - scope `{account}/{region}/{contact list}`: [`ContactRecord`] (key: the address, lowercased).
//! - scope [`MAILBOX_SCOPE`]: every message, [`MessageRecord`] and its [`RawRecord`] under the
//!   same key, the SES message id, which starts with the send time in hex so keys list in send
//!   order (a 24-hour or two-week window is one range read).

use std::collections::BTreeMap;

use nimbus_store::Record;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const MAILBOX_SCOPE: &str = "mailbox";
pub const ACCOUNT_KEY: &str = "account";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    Email,
    Domain,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentityRecord {
    /// The identity as it is listed (`sender@example.com`, `example.com`).
    pub name: String,
    pub kind: IdentityKind,
    /// Verified for sending; false while pending (only under `require_verification`).
    pub verified: bool,
    /// A domain's TXT verification token (v1 VerifyDomainIdentity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_token: Option<String>,
    /// Easy DKIM tokens, issued once per domain and kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dkim_tokens: Vec<String>,
    pub dkim_enabled: bool,
    #[serde(default)]
    pub topics: NotificationTopics,
    /// Bounces and complaints forwarded by email to the sender (AWS's default: on).
    pub forwarding_enabled: bool,
    /// Headers in Bounce / Complaint / Delivery notifications.
    #[serde(default)]
    pub headers_in: [bool; 3],
    /// The default configuration set of sends from this identity (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_set: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    pub created_ms: i64,
    /// When it became verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_ms: Option<i64>,
}

impl Record for IdentityRecord {
    const KIND: &'static str = "ses.identity";
    const VERSION: u32 = 1;
}

/// The SNS topics an identity's Bounce, Complaint and Delivery notifications go to (v1
/// SetIdentityNotificationTopic).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NotificationTopics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateRecord {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    pub created_ms: i64,
}

impl Record for TemplateRecord {
    const KIND: &'static str = "ses.template";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfigSetRecord {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_destinations: Vec<EventDestinationRecord>,
    /// v2's option structures as given (TrackingOptions, DeliveryOptions, ReputationOptions,
    /// SendingOptions, SuppressionOptions, VdmOptions, ArchivingOptions), by member name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    pub created_ms: i64,
}

impl Record for ConfigSetRecord {
    const KIND: &'static str = "ses.configset";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventDestinationRecord {
    pub name: String,
    pub enabled: bool,
    /// v2's names (`SEND`, `BOUNCE`, `RENDERING_FAILURE`, ...); v1's are translated.
    pub event_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns_topic: Option<String>,
    /// Destinations Nimbus records but does not deliver to (CloudWatch, Firehose, EventBridge,
    /// Pinpoint), as the API that set them wrote them, by member name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub recorded: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuppressedRecord {
    pub email: String,
    /// `BOUNCE` or `COMPLAINT`.
    pub reason: String,
    pub updated_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_id: Option<String>,
}

impl Record for SuppressedRecord {
    const KIND: &'static str = "ses.suppressed";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContactListRecord {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<ListTopic>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Record for ContactListRecord {
    const KIND: &'static str = "ses.contactlist";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListTopic {
    pub name: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `OPT_IN` or `OPT_OUT`.
    pub default_status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContactRecord {
    pub email: String,
    /// Topic name → `OPT_IN` / `OPT_OUT`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub preferences: BTreeMap<String, String>,
    pub unsubscribe_all: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes_data: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Record for ContactRecord {
    const KIND: &'static str = "ses.contact";
    const VERSION: u32 = 1;
}

/// Account-level settings of one region.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountRecord {
    pub sending_enabled: bool,
    /// The account-level suppression list's reasons (AWS's default for accounts: both).
    pub suppressed_reasons: Vec<String>,
}

impl Default for AccountRecord {
    fn default() -> Self {
        AccountRecord { sending_enabled: true, suppressed_reasons: vec!["BOUNCE".into(), "COMPLAINT".into()] }
    }
}

impl Record for AccountRecord {
    const KIND: &'static str = "ses.account";
    const VERSION: u32 = 1;
}

/// How a message came into the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// SendEmail / SendTemplatedEmail / bulk sends: SES built the MIME message.
    Formatted,
    /// SendRawEmail or v2 Raw content: the caller's MIME message, kept as given.
    Raw,
    /// Another service's mail ([`crate::Ses::deliver_mail`]) or SES's own (feedback forwarding,
    /// the simulator's out-of-office reply): not counted against the sending quota.
    System,
}

/// One sent message: the envelope and what the JSON views show. The MIME bytes are the
/// [`RawRecord`] under the same key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageRecord {
    pub id: String,
    pub account: String,
    pub region: String,
    pub timestamp_ms: i64,
    /// The Source (envelope sender) as given, display name included.
    pub source: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bcc: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    pub origin: Origin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_set: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Recipients on the account-level suppression list: accepted, not delivered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<String>,
    /// Recipients that bounced (mailbox simulator, suppression) and complained.
    #[serde(default)]
    pub bounces: u32,
    #[serde(default)]
    pub complaints: u32,
}

impl MessageRecord {
    /// Every envelope recipient (To, Cc, Bcc).
    pub fn recipients(&self) -> impl Iterator<Item = &String> {
        self.to.iter().chain(&self.cc).chain(&self.bcc)
    }
}

impl Record for MessageRecord {
    const KIND: &'static str = "ses.message";
    const VERSION: u32 = 1;
}

/// A message's RFC 5322 bytes, base64 (they need not be UTF-8).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RawRecord {
    pub data: String,
}

impl Record for RawRecord {
    const KIND: &'static str = "ses.raw";
    const VERSION: u32 = 1;
}
