//! What SQS persists.
//!
//! - [`QueueRecord`]: one per queue, scope `{account}/{region}`, key the queue name.
//! - [`DeletedQueue`]: a deleted queue's name for the 60 seconds AWS forbids re-creating it.
//! - [`MessageRecord`]: one per message, scope the queue's id, key the message's sequence
//!   number (`{seq:020}`, so the scope lists in send order). Written once, on send.
//! - [`ReceiveState`]: the in-flight state of a received message, same scope and key; written
//!   on every receive and visibility change, so a body is never rewritten.
//! - [`DedupRecord`]: a FIFO deduplication id seen in the last 5 minutes, scope the queue id.

use std::collections::BTreeMap;

use nimbus_store::Record;
use serde::{Deserialize, Serialize};

use crate::message::Attributes;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueRecord {
    /// Unique per incarnation: a queue deleted and created again under the same name is a new
    /// queue, and the old one's receipt handles do not work on it.
    pub id: String,
    pub name: String,
    pub created_s: i64,
    pub modified_s: i64,
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub purged_at_ms: Option<i64>,
}

impl Record for QueueRecord {
    const KIND: &'static str = "sqs.queue";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeletedQueue {
    pub deleted_at_ms: i64,
}

impl Record for DeletedQueue {
    const KIND: &'static str = "sqs.queue-deleted";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageRecord {
    pub id: String,
    pub seq: u64,
    pub body: String,
    pub md5_of_body: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: Attributes,
    /// `AWSTraceHeader`, the one system attribute a sender may set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_header: Option<String>,
    pub sender_id: String,
    pub sent_at_ms: i64,
    /// When the message first becomes visible (after its delay).
    pub available_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_id: Option<String>,
    /// The queue this message was moved from as a dead letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_source_arn: Option<String>,
    /// Receives before it was moved here (a dead letter keeps counting).
    #[serde(default)]
    pub prior_receives: u32,
}

impl Record for MessageRecord {
    const KIND: &'static str = "sqs.message";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ReceiveState {
    pub visible_at_ms: i64,
    pub receive_count: u32,
    pub first_receive_ms: i64,
    pub received_at_ms: i64,
    /// Identifies the latest receipt handle.
    pub token: u64,
}

impl Record for ReceiveState {
    const KIND: &'static str = "sqs.receive";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DedupRecord {
    pub message_id: String,
    pub seq: u64,
    pub expires_ms: i64,
}

impl Record for DedupRecord {
    const KIND: &'static str = "sqs.dedup";
    const VERSION: u32 = 1;
}

pub fn message_key(seq: u64) -> String {
    format!("{seq:020}")
}
