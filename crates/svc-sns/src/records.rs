//! What SNS persists.
//!
//! - [`TopicRecord`]: scope `{account}/{region}`, key the topic name.
//! - [`SubscriptionRecord`]: scope `{account}/{region}`, key the subscription id (the last
//!   part of its ARN). Listing by topic walks the scope; a topic has few subscriptions.
//! - [`PendingDelivery`]: one per (accepted publish, matching subscription), scope
//!   [`PENDING_SCOPE`], key `{due ms:016}/{id}` so the scope lists in due order. Written in the
//!   same commit that accepts the publish, deleted once delivered: an accepted publish is
//!   delivered after a restart too.
//! - [`MailRecord`]: email delivered by builds before SES took the mailbox (scope
//!   `{account}/{region}`); still listed by [`crate::Sns::mailbox`], never written now.
//! - [`TopicDedup`]: FIFO topics' recent deduplication ids (scope the topic ARN).

use std::collections::BTreeMap;

use nimbus_core::Delivery;
use nimbus_store::Record;
use serde::{Deserialize, Serialize};

pub const PENDING_SCOPE: &str = "pending";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TopicRecord {
    pub name: String,
    pub arn: String,
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_protection_policy: Option<String>,
    pub created_ms: i64,
    /// The next FIFO sequence number.
    #[serde(default)]
    pub sequence: u64,
}

impl Record for TopicRecord {
    const KIND: &'static str = "sns.topic";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    pub arn: String,
    pub topic_arn: String,
    pub protocol: String,
    pub endpoint: String,
    pub owner: String,
    pub attributes: BTreeMap<String, String>,
    pub confirmed: bool,
    /// The confirmation token of a pending subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub created_ms: i64,
}

impl Record for SubscriptionRecord {
    const KIND: &'static str = "sns.subscription";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingDelivery {
    pub subscription_arn: String,
    pub target: Target,
    pub attempts: u32,
    /// Where what cannot be delivered goes (the subscription's RedrivePolicy), if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_arn: Option<String>,
    /// AWS's HTTP retry policy: retries after the first attempt, and the delay between them.
    pub retries: u32,
    pub retry_delay_ms: i64,
}

/// Where a delivery goes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Target {
    /// Through the event bus (SQS, HTTP).
    Bus { delivery: Delivery },
    /// Into SNS's own mailbox, as builds before SES kept it; read only from pending records
    /// those builds left (new email goes through the bus as [`Delivery::Mail`]).
    Mail { scope: String, mail: MailRecord },
}

impl Record for PendingDelivery {
    const KIND: &'static str = "sns.delivery";
    const VERSION: u32 = 1;
}

/// A FIFO topic's deduplication id seen in the last 5 minutes (scope: the topic ARN; replaced
/// when the id is used again after it expired).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TopicDedup {
    pub message_id: String,
    pub sequence: String,
    pub expires_ms: i64,
}

impl Record for TopicDedup {
    const KIND: &'static str = "sns.dedup";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailRecord {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub topic_arn: String,
    pub sent_ms: i64,
}

impl Record for MailRecord {
    const KIND: &'static str = "sns.mail";
    const VERSION: u32 = 1;
}

pub fn pending_key(due_ms: i64, id: &str) -> String {
    format!("{:016}/{id}", due_ms.max(0))
}
