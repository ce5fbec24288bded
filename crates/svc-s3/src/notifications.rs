//! S3 event notifications: the bucket's `notification` configuration (validated as S3 does),
//! which destinations an event goes to (event type and key filters), AWS's event messages, and
//! their delivery through Nimbus's event bus ([`nimbus_core::EventBus`]).
//!
//! * Configuration: queue (SQS) and topic (SNS) destinations are delivered to; Lambda function
//!   destinations and the EventBridge switch are validated, stored and returned, not delivered
//!   (Nimbus has neither service yet).
//! * On PutBucketNotificationConfiguration S3 sends `s3:TestEvent` to every queue and topic and
//!   refuses the configuration if one cannot take it (unless `x-amz-skip-destination-validation`).
//! * Events (`ObjectCreated:*`, `ObjectRemoved:*`, `LifecycleExpiration:*`) are built after the
//!   change is committed and handed to one background task per [`Notifier`], which delivers them
//!   in order; the request never waits for them. A failed delivery is logged, not retried.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use nimbus_core::{Delivery, DeliveryError, EventBus};
use nimbus_store::Record;
use s3s::dto::{
    FilterRule, FilterRuleName, LambdaFunctionConfiguration, NotificationConfiguration,
    NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter, TopicConfiguration,
};
use s3s::{S3Error, S3ErrorCode, S3Result};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::records::{BucketConfig, BucketRecord};

/// The event types a notification configuration may name: the S3 model's `Event` enum
/// (a unit test checks this list against `models/s3.json`).
pub const EVENT_TYPES: &[&str] = &[
    "s3:ReducedRedundancyLostObject",
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:ObjectRestore:Delete",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectAcl:Put",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAnnotation:*",
    "s3:ObjectAnnotation:Put",
    "s3:ObjectAnnotation:Delete",
    "s3:ObjectRetention:Put",
];

/// The event names Nimbus emits (as in a record's `eventName`, without `s3:`).
pub const CREATED_PUT: &str = "ObjectCreated:Put";
pub const CREATED_POST: &str = "ObjectCreated:Post";
pub const CREATED_COPY: &str = "ObjectCreated:Copy";
pub const CREATED_MULTIPART: &str = "ObjectCreated:CompleteMultipartUpload";
pub const REMOVED_DELETE: &str = "ObjectRemoved:Delete";
pub const REMOVED_MARKER: &str = "ObjectRemoved:DeleteMarkerCreated";
pub const EXPIRED_DELETE: &str = "LifecycleExpiration:Delete";
pub const EXPIRED_MARKER: &str = "LifecycleExpiration:DeleteMarkerCreated";

/// The subject of S3's notifications to SNS topics.
pub const TOPIC_SUBJECT: &str = "Amazon S3 Notification";

/// Who lifecycle actions are by (`userIdentity` and `sourceIPAddress` of their events).
pub const S3_SERVICE_PRINCIPAL: &str = "s3.amazonaws.com";

/// Where a destination's events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DestinationKind {
    Queue,
    Topic,
    /// Stored and returned; not delivered (no Lambda in Nimbus yet).
    Lambda,
}

/// One `QueueConfiguration` / `TopicConfiguration` / `CloudFunctionConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    pub kind: DestinationKind,
    /// As given, or generated as S3 does when the configuration has none.
    pub id: String,
    pub arn: String,
    /// As given (`s3:ObjectCreated:*`, ...), in order.
    pub events: Vec<String>,
    /// `(Prefix|Suffix, value)`, in the order given; names as S3 returns them.
    pub filter_rules: Vec<(String, String)>,
}

impl Destination {
    pub fn prefix(&self) -> &str {
        self.rule("Prefix")
    }

    pub fn suffix(&self) -> &str {
        self.rule("Suffix")
    }

    fn rule(&self, name: &str) -> &str {
        self.filter_rules
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether an event named `event_name` (`ObjectCreated:Put`) on `key` goes here.
    pub fn wants(&self, event_name: &str, key: &str) -> bool {
        self.events.iter().any(|e| event_matches(e, event_name))
            && key.starts_with(self.prefix())
            && key.ends_with(self.suffix())
    }

    /// The delivery of `message` to this destination (`None`: not delivered, Lambda).
    pub fn delivery(&self, message: String) -> Option<Delivery> {
        match self.kind {
            DestinationKind::Queue => Some(Delivery::Queue {
                queue_arn: self.arn.clone(),
                body: message,
                attributes: json!({}),
                group_id: None,
                dedup_id: None,
                sender_id: s3_sender_id(),
            }),
            DestinationKind::Topic => Some(Delivery::Topic {
                topic_arn: self.arn.clone(),
                message,
                subject: Some(TOPIC_SUBJECT.to_owned()),
            }),
            DestinationKind::Lambda => None,
        }
    }
}

/// The `SenderId` S3's messages show in SQS (Nimbus's stable id for the S3 service principal).
fn s3_sender_id() -> String {
    nimbus_core::ids::stable_id("AIDA", S3_SERVICE_PRINCIPAL)
}

/// A bucket's notification configuration (sub-resource `notification`). Absent: none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationConfig {
    /// Queues, then topics, then Lambda functions, each in the order given.
    pub destinations: Vec<Destination>,
    /// `EventBridgeConfiguration` present: stored and returned; not delivered.
    pub event_bridge: bool,
}

impl NotificationConfig {
    pub fn is_empty(&self) -> bool {
        self.destinations.is_empty() && !self.event_bridge
    }

    /// The configuration as GetBucketNotificationConfiguration returns it.
    pub fn to_dto(&self) -> NotificationConfiguration {
        let of = |kind| self.destinations.iter().filter(move |d| d.kind == kind);
        fn some<T>(v: Vec<T>) -> Option<Vec<T>> {
            (!v.is_empty()).then_some(v)
        }
        NotificationConfiguration {
            queue_configurations: some(
                of(DestinationKind::Queue)
                    .map(|d| QueueConfiguration {
                        events: d.events.iter().cloned().map(Into::into).collect(),
                        filter: filter_dto(d),
                        id: Some(d.id.clone()),
                        queue_arn: d.arn.clone(),
                    })
                    .collect(),
            ),
            topic_configurations: some(
                of(DestinationKind::Topic)
                    .map(|d| TopicConfiguration {
                        events: d.events.iter().cloned().map(Into::into).collect(),
                        filter: filter_dto(d),
                        id: Some(d.id.clone()),
                        topic_arn: d.arn.clone(),
                    })
                    .collect(),
            ),
            lambda_function_configurations: some(
                of(DestinationKind::Lambda)
                    .map(|d| LambdaFunctionConfiguration {
                        events: d.events.iter().cloned().map(Into::into).collect(),
                        filter: filter_dto(d),
                        id: Some(d.id.clone()),
                        lambda_function_arn: d.arn.clone(),
                    })
                    .collect(),
            ),
            event_bridge_configuration: self
                .event_bridge
                .then_some(s3s::dto::EventBridgeConfiguration {}),
        }
    }
}

impl Record for NotificationConfig {
    const KIND: &'static str = "s3.config.notification";
    const VERSION: u32 = 1;
    /// Read by every object write and delete.
    const CACHED: bool = true;
}

impl BucketConfig for NotificationConfig {
    const NAME: &'static str = "notification";
}

fn filter_dto(d: &Destination) -> Option<NotificationConfigurationFilter> {
    (!d.filter_rules.is_empty()).then(|| NotificationConfigurationFilter {
        key: Some(S3KeyFilter {
            filter_rules: Some(
                d.filter_rules
                    .iter()
                    .map(|(name, value)| FilterRule {
                        name: Some(FilterRuleName::from(name.clone())),
                        value: Some(value.clone()),
                    })
                    .collect(),
            ),
        }),
    })
}

fn invalid_argument(message: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message.to_owned())
}

/// Whether a configured event type (`s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`) covers
/// an event named as in a record (`ObjectCreated:Put`).
pub fn event_matches(configured: &str, event_name: &str) -> bool {
    let Some(configured) = configured.strip_prefix("s3:") else {
        return false;
    };
    match configured.strip_suffix('*') {
        Some(family) => event_name.starts_with(family),
        None => configured == event_name,
    }
}

/// Whether two configured event types share an event (`s3:ObjectCreated:*` and
/// `s3:ObjectCreated:Put` do).
fn events_overlap(a: &str, b: &str) -> bool {
    let family = |e: &str| e.strip_suffix('*').map(str::to_owned);
    match (family(a), family(b)) {
        (Some(fa), Some(fb)) => fa.starts_with(&fb) || fb.starts_with(&fa),
        (Some(fa), None) => b.starts_with(&fa),
        (None, Some(fb)) => a.starts_with(&fb),
        (None, None) => a == b,
    }
}

/// Whether some key could match both destinations' filters: their prefixes are one a prefix
/// of the other and their suffixes one a suffix of the other (no filter matches everything).
fn filters_overlap(a: &Destination, b: &Destination) -> bool {
    let (pa, pb) = (a.prefix(), b.prefix());
    let (sa, sb) = (a.suffix(), b.suffix());
    (pa.starts_with(pb) || pb.starts_with(pa)) && (sa.ends_with(sb) || sb.ends_with(sa))
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>` naming `service`.
struct Arn<'a> {
    region: &'a str,
}

fn parse_arn<'a>(arn: &'a str, service: &str) -> S3Result<Arn<'a>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, s, region, account, resource]
            if !partition.is_empty()
                && *s == service
                && !region.is_empty()
                && !account.is_empty()
                && !resource.is_empty() =>
        {
            Ok(Arn { region })
        }
        _ => Err(invalid_argument("The ARN is not well formed")),
    }
}

/// The configuration id S3 generates for a configuration given without one: the base64 of a
/// random UUID.
fn generated_id() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(nimbus_core::ids::uuid())
}

fn filter_rules(
    filter: Option<&NotificationConfigurationFilter>,
) -> S3Result<Vec<(String, String)>> {
    let rules = filter
        .and_then(|f| f.key.as_ref())
        .and_then(|k| k.filter_rules.as_ref());
    let mut out: Vec<(String, String)> = Vec::new();
    for rule in rules.into_iter().flatten() {
        let name = match rule.name.as_ref().map(|n| n.as_str().to_ascii_lowercase()) {
            Some(n) if n == "prefix" => "Prefix",
            Some(n) if n == "suffix" => "Suffix",
            _ => {
                return Err(invalid_argument(
                    "filter rule name must be either prefix or suffix",
                ));
            }
        };
        if out.iter().any(|(n, _)| n == name) {
            return Err(invalid_argument(&format!(
                "Cannot specify more than one {} rule in a filter.",
                name.to_ascii_lowercase()
            )));
        }
        out.push((name.to_owned(), rule.value.clone().unwrap_or_default()));
    }
    Ok(out)
}

/// Checks a PutBucketNotificationConfiguration body as S3 does, for a bucket in
/// `bucket_region`, and gives configurations without an id one.
pub fn config_from(
    input: &NotificationConfiguration,
    bucket_region: &str,
) -> S3Result<NotificationConfig> {
    let mut destinations = Vec::new();
    let mut add = |kind: DestinationKind,
                   service: &str,
                   id: &Option<String>,
                   arn: &str,
                   events: &[s3s::dto::Event],
                   filter: Option<&NotificationConfigurationFilter>|
     -> S3Result<()> {
        let events: Vec<String> = events.iter().map(|e| e.as_ref().to_owned()).collect();
        if events.is_empty() {
            return Err(invalid_argument(
                "The event is not supported for notifications",
            ));
        }
        if events.iter().any(|e| !EVENT_TYPES.contains(&e.as_str())) {
            return Err(invalid_argument(
                "The event is not supported for notifications",
            ));
        }
        let parsed = parse_arn(arn, service)?;
        if parsed.region != bucket_region {
            return Err(invalid_argument(
                "The notification destination service region is not valid for the bucket location constraint",
            ));
        }
        destinations.push(Destination {
            kind,
            id: id
                .clone()
                .filter(|i| !i.is_empty())
                .unwrap_or_else(generated_id),
            arn: arn.to_owned(),
            events,
            filter_rules: filter_rules(filter)?,
        });
        Ok(())
    };
    for q in input.queue_configurations.iter().flatten() {
        add(
            DestinationKind::Queue,
            "sqs",
            &q.id,
            &q.queue_arn,
            &q.events,
            q.filter.as_ref(),
        )?;
    }
    for t in input.topic_configurations.iter().flatten() {
        add(
            DestinationKind::Topic,
            "sns",
            &t.id,
            &t.topic_arn,
            &t.events,
            t.filter.as_ref(),
        )?;
    }
    for l in input.lambda_function_configurations.iter().flatten() {
        add(
            DestinationKind::Lambda,
            "lambda",
            &l.id,
            &l.lambda_function_arn,
            &l.events,
            l.filter.as_ref(),
        )?;
    }
    check_overlaps(&destinations)?;
    Ok(NotificationConfig {
        destinations,
        event_bridge: input.event_bridge_configuration.is_some(),
    })
}

/// Two configurations that share an event type must have filters no key matches both of.
fn check_overlaps(destinations: &[Destination]) -> S3Result<()> {
    for (i, a) in destinations.iter().enumerate() {
        for b in &destinations[i + 1..] {
            let share_event = a
                .events
                .iter()
                .any(|ea| b.events.iter().any(|eb| events_overlap(ea, eb)));
            if share_event && filters_overlap(a, b) {
                return Err(invalid_argument(
                    "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
                ));
            }
        }
    }
    Ok(())
}

/// What request an event came from (the same for every event of one request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub request_id: String,
    pub host_id: String,
    /// `userIdentity.principalId`.
    pub principal_id: String,
    pub source_ip: String,
}

impl Origin {
    /// Lifecycle actions: S3 itself, under a request id of their own.
    pub fn lifecycle() -> Origin {
        let request_id = nimbus_core::ids::request_id();
        Origin {
            host_id: crate::errors::host_id(&request_id),
            request_id,
            principal_id: S3_SERVICE_PRINCIPAL.to_owned(),
            source_ip: S3_SERVICE_PRINCIPAL.to_owned(),
        }
    }
}

/// What the front knows of a request that the backend does not: put in the request's
/// extensions before s3s runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    /// `x-amz-request-id` of the response.
    pub request_id: String,
    /// The client's address, when the server passed it on.
    pub source_ip: Option<IpAddr>,
    /// A browser form upload (`POST`): its PutObject is `ObjectCreated:Post`.
    pub form_upload: bool,
}

/// One change to one object, for the event message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    /// `ObjectCreated:Put`, ... (one of the constants above).
    pub name: &'static str,
    pub key: String,
    /// Created objects only.
    pub size: Option<u64>,
    /// Created objects only, without quotes.
    pub etag: Option<String>,
    /// The version the change made or removed, on a bucket that shows versions.
    pub version_id: Option<String>,
    pub sequencer: String,
}

/// An object key as event messages carry it: URL-encoded as an HTML form encodes
/// (`application/x-www-form-urlencoded`: a space is `+`), `/` kept.
pub fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for &b in key.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' | b'/' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The event message (one record) for one destination.
pub fn event_message(
    bucket: &BucketRecord,
    origin: &Origin,
    time_ms: i64,
    event: &ObjectEvent,
    configuration_id: &str,
) -> String {
    let mut object = json!({ "key": encode_key(&event.key) });
    if let Some(size) = event.size {
        object["size"] = size.into();
    }
    if let Some(etag) = &event.etag {
        object["eTag"] = etag.clone().into();
    }
    if let Some(version) = &event.version_id {
        object["versionId"] = version.clone().into();
    }
    object["sequencer"] = event.sequencer.clone().into();
    // Lifecycle deletions are version 2.3 events; everything else Nimbus sends is 2.1.
    let version = if event.name.starts_with("LifecycleExpiration") {
        "2.3"
    } else {
        "2.1"
    };
    json!({
        "Records": [{
            "eventVersion": version,
            "eventSource": "aws:s3",
            "awsRegion": bucket.region,
            "eventTime": nimbus_core::document::iso8601_millis(time_ms),
            "eventName": event.name,
            "userIdentity": { "principalId": origin.principal_id },
            "requestParameters": { "sourceIPAddress": origin.source_ip },
            "responseElements": {
                "x-amz-request-id": origin.request_id,
                "x-amz-id-2": origin.host_id,
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": configuration_id,
                "bucket": {
                    "name": bucket.name,
                    "ownerIdentity": { "principalId": bucket.owner_account },
                    "arn": format!("arn:aws:s3:::{}", bucket.name),
                },
                "object": object,
            },
        }]
    })
    .to_string()
}

/// The `s3:TestEvent` S3 sends to each destination when a configuration is put.
pub fn test_event(bucket: &str, origin: &Origin, time_ms: i64) -> String {
    json!({
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": nimbus_core::document::iso8601_millis(time_ms),
        "Bucket": bucket,
        "RequestId": origin.request_id,
        "HostId": origin.host_id,
    })
    .to_string()
}

/// Event sequencers: hexadecimal, increasing with every committed change (so per key, as S3
/// promises): the clock's milliseconds in the high bits, a counter below, never going back
/// within a run even if the clock does.
#[derive(Debug, Default)]
pub struct Sequencer(AtomicU64);

impl Sequencer {
    pub fn next(&self, now_ms: i64) -> String {
        let floor = u64::try_from(now_ms).unwrap_or(0) << 16;
        let previous = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |prev| {
                Some(floor.max(prev + 1))
            })
            .unwrap_or_default();
        format!("{:016X}", floor.max(previous + 1))
    }
}

/// Hands event deliveries to the bus: in the background, in order, failures logged. Without a
/// bus (a backend built without one) notifications are accepted and nothing is sent.
#[derive(Clone, Default)]
pub struct Notifier(Option<Arc<NotifierInner>>);

pub struct NotifierInner {
    bus: Arc<dyn EventBus>,
    /// The delivery task's queue, started by the first event (inside the runtime).
    worker: OnceLock<tokio::sync::mpsc::UnboundedSender<Delivery>>,
}

impl Notifier {
    pub fn new(bus: Arc<dyn EventBus>) -> Notifier {
        Notifier(Some(Arc::new(NotifierInner {
            bus,
            worker: OnceLock::new(),
        })))
    }

    pub fn enabled(&self) -> bool {
        self.0.is_some()
    }

    /// Delivers one message now (test events: the answer decides the request's).
    pub async fn deliver_now(&self, delivery: &Delivery) -> Result<(), DeliveryError> {
        match &self.0 {
            Some(inner) => inner.bus.deliver(delivery).await,
            None => Ok(()),
        }
    }

    /// Queues deliveries for the background task; returns at once.
    pub fn send(&self, deliveries: Vec<Delivery>) {
        let Some(inner) = &self.0 else { return };
        if deliveries.is_empty() {
            return;
        }
        let Some(worker) = inner.worker() else {
            tracing::warn!(
                "s3 notifications: no async runtime to deliver {} event(s) on",
                deliveries.len()
            );
            return;
        };
        for delivery in deliveries {
            if let Err(e) = worker.send(delivery) {
                tracing::warn!(
                    "s3 notifications: the delivery task is gone; dropped an event for {}",
                    target(&e.0)
                );
            }
        }
    }
}

impl NotifierInner {
    fn worker(&self) -> Option<&tokio::sync::mpsc::UnboundedSender<Delivery>> {
        if let Some(worker) = self.worker.get() {
            return Some(worker);
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        Some(self.worker.get_or_init(|| {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Delivery>();
            let bus = self.bus.clone();
            runtime.spawn(async move {
                while let Some(delivery) = rx.recv().await {
                    if let Err(e) = bus.deliver(&delivery).await {
                        tracing::warn!(
                            "s3 notification to {} not delivered: {e}",
                            target(&delivery)
                        );
                    }
                }
            });
            tx
        }))
    }
}

/// The ARN (or URL) a delivery is for, for logs.
pub fn target(delivery: &Delivery) -> &str {
    delivery.target()
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::dto::Event;

    fn queue(
        id: Option<&str>,
        arn: &str,
        events: &[&str],
        rules: &[(&str, &str)],
    ) -> QueueConfiguration {
        QueueConfiguration {
            events: events
                .iter()
                .map(|e| Event::from((*e).to_owned()))
                .collect(),
            filter: (!rules.is_empty()).then(|| NotificationConfigurationFilter {
                key: Some(S3KeyFilter {
                    filter_rules: Some(
                        rules
                            .iter()
                            .map(|(n, v)| FilterRule {
                                name: Some(FilterRuleName::from((*n).to_owned())),
                                value: Some((*v).to_owned()),
                            })
                            .collect(),
                    ),
                }),
            }),
            id: id.map(str::to_owned),
            queue_arn: arn.to_owned(),
        }
    }

    const Q: &str = "arn:aws:sqs:us-east-1:000000000000:q";
    const T: &str = "arn:aws:sns:us-east-1:000000000000:t";

    fn config(queues: Vec<QueueConfiguration>) -> NotificationConfiguration {
        NotificationConfiguration {
            queue_configurations: Some(queues),
            ..Default::default()
        }
    }

    fn code_and_message(e: S3Error) -> (String, String) {
        (
            e.code().as_str().to_owned(),
            e.message().unwrap_or_default().to_owned(),
        )
    }

    #[test]
    fn event_types_are_the_models() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/s3.json");
        let model: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let listed: Vec<&str> = model["shapes"]["Event"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(listed, EVENT_TYPES);
    }

    #[test]
    fn configured_events_match_names_and_families() {
        assert!(event_matches("s3:ObjectCreated:*", CREATED_PUT));
        assert!(event_matches("s3:ObjectCreated:*", CREATED_MULTIPART));
        assert!(!event_matches("s3:ObjectCreated:*", REMOVED_DELETE));
        assert!(event_matches(
            "s3:ObjectRemoved:DeleteMarkerCreated",
            REMOVED_MARKER
        ));
        assert!(!event_matches("s3:ObjectRemoved:Delete", REMOVED_MARKER));
        assert!(event_matches("s3:LifecycleExpiration:*", EXPIRED_MARKER));
        assert!(!event_matches("ObjectCreated:Put", CREATED_PUT));
    }

    #[test]
    fn filters_select_keys_by_prefix_and_suffix() {
        let c = config_from(
            &config(vec![queue(
                Some("a"),
                Q,
                &["s3:ObjectCreated:*"],
                &[("prefix", "images/"), ("Suffix", ".jpg")],
            )]),
            "us-east-1",
        )
        .unwrap();
        let d = &c.destinations[0];
        assert_eq!(
            d.filter_rules,
            vec![
                ("Prefix".into(), "images/".into()),
                ("Suffix".into(), ".jpg".into())
            ]
        );
        assert!(d.wants(CREATED_PUT, "images/cat.jpg"));
        assert!(!d.wants(CREATED_PUT, "images/cat.png"));
        assert!(!d.wants(CREATED_PUT, "docs/cat.jpg"));
        assert!(!d.wants(REMOVED_DELETE, "images/cat.jpg"));
        // No filter: every key.
        let all = config_from(
            &config(vec![queue(None, Q, &["s3:ObjectRemoved:*"], &[])]),
            "us-east-1",
        )
        .unwrap();
        assert!(all.destinations[0].wants(REMOVED_MARKER, "any/key"));
    }

    #[test]
    fn missing_ids_are_generated_as_base64_uuids() {
        let c = config_from(
            &config(vec![queue(None, Q, &["s3:ObjectCreated:Put"], &[])]),
            "us-east-1",
        )
        .unwrap();
        use base64::Engine;
        let id = &c.destinations[0].id;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(id)
            .unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap().len(), 36, "{id}");
    }

    #[test]
    fn validation_errors_are_aws() {
        let err = |c: NotificationConfiguration| {
            code_and_message(config_from(&c, "us-east-1").unwrap_err())
        };
        assert_eq!(
            err(config(vec![queue(
                None,
                Q,
                &["s3:ObjectCreated:Nope"],
                &[]
            )])),
            (
                "InvalidArgument".into(),
                "The event is not supported for notifications".into()
            )
        );
        assert_eq!(
            err(config(vec![queue(
                None,
                "not-an-arn",
                &["s3:ObjectCreated:Put"],
                &[]
            )]))
            .1,
            "The ARN is not well formed"
        );
        assert_eq!(
            err(config(vec![queue(None, T, &["s3:ObjectCreated:Put"], &[])])).1,
            "The ARN is not well formed",
            "a topic ARN is no queue"
        );
        assert_eq!(
            err(config(vec![queue(
                None,
                "arn:aws:sqs:eu-west-1:000000000000:q",
                &["s3:ObjectCreated:Put"],
                &[]
            )]))
            .1,
            "The notification destination service region is not valid for the bucket location constraint"
        );
        assert_eq!(
            err(config(vec![queue(
                None,
                Q,
                &["s3:ObjectCreated:Put"],
                &[("prefix", "a"), ("prefix", "b")]
            )]))
            .1,
            "Cannot specify more than one prefix rule in a filter."
        );
        assert_eq!(
            err(config(vec![queue(
                None,
                Q,
                &["s3:ObjectCreated:Put"],
                &[("middle", "a")]
            )]))
            .1,
            "filter rule name must be either prefix or suffix"
        );
    }

    #[test]
    fn overlapping_configurations_are_refused() {
        let overlap = (
            "InvalidArgument".to_owned(),
            "Configurations overlap. Configurations on the same bucket cannot share a common event type.".to_owned(),
        );
        let check = |a: QueueConfiguration, b: QueueConfiguration| {
            config_from(&config(vec![a, b]), "us-east-1")
                .map(|_| ())
                .map_err(code_and_message)
        };
        // Same event family, no filters.
        assert_eq!(
            check(
                queue(None, Q, &["s3:ObjectCreated:*"], &[]),
                queue(None, Q, &["s3:ObjectCreated:Put"], &[])
            ),
            Err(overlap.clone())
        );
        // A prefix and a suffix filter can both match `images/x.jpg`.
        assert_eq!(
            check(
                queue(None, Q, &["s3:ObjectCreated:Put"], &[("prefix", "images/")]),
                queue(None, Q, &["s3:ObjectCreated:Put"], &[("suffix", ".jpg")]),
            ),
            Err(overlap.clone())
        );
        // Nested prefixes overlap.
        assert_eq!(
            check(
                queue(None, Q, &["s3:ObjectCreated:Put"], &[("prefix", "images/")]),
                queue(
                    None,
                    Q,
                    &["s3:ObjectCreated:Put"],
                    &[("prefix", "images/raw/")]
                ),
            ),
            Err(overlap)
        );
        // Disjoint prefixes, disjoint suffixes, or different event types: fine.
        assert_eq!(
            check(
                queue(None, Q, &["s3:ObjectCreated:*"], &[("prefix", "images/")]),
                queue(None, Q, &["s3:ObjectCreated:Put"], &[("prefix", "docs/")]),
            ),
            Ok(())
        );
        assert_eq!(
            check(
                queue(None, Q, &["s3:ObjectCreated:*"], &[("suffix", ".jpg")]),
                queue(None, Q, &["s3:ObjectCreated:*"], &[("suffix", ".png")]),
            ),
            Ok(())
        );
        assert_eq!(
            check(
                queue(None, Q, &["s3:ObjectCreated:*"], &[]),
                queue(None, Q, &["s3:ObjectRemoved:*"], &[])
            ),
            Ok(())
        );
    }

    #[test]
    fn keys_are_form_url_encoded() {
        assert_eq!(encode_key("a b/c+d.txt"), "a+b/c%2Bd.txt");
        assert_eq!(encode_key("x=1&y=(2)"), "x%3D1%26y%3D%282%29");
        assert_eq!(encode_key("é~"), "%C3%A9%7E");
        assert_eq!(encode_key("plain-key_1.*"), "plain-key_1.*");
    }

    fn bucket() -> BucketRecord {
        BucketRecord {
            id: "id".into(),
            name: "bkt".into(),
            owner_account: "000000000000".into(),
            region: "us-east-1".into(),
            created_ms: 0,
            tags: None,
        }
    }

    fn origin() -> Origin {
        Origin {
            request_id: "REQ".into(),
            host_id: "HOST".into(),
            principal_id: "000000000000".into(),
            source_ip: "127.0.0.1".into(),
        }
    }

    #[test]
    fn created_event_message_is_aws_shape() {
        let event = ObjectEvent {
            name: CREATED_PUT,
            key: "my file.txt".into(),
            size: Some(5),
            etag: Some("abc".into()),
            version_id: None,
            sequencer: "0000000000000001".into(),
        };
        let message = event_message(&bucket(), &origin(), 1_700_000_000_123, &event, "cfg");
        assert_eq!(
            message,
            json!({"Records": [{
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2023-11-14T22:13:20.123Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "000000000000"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "REQ", "x-amz-id-2": "HOST"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "cfg",
                    "bucket": {
                        "name": "bkt",
                        "ownerIdentity": {"principalId": "000000000000"},
                        "arn": "arn:aws:s3:::bkt"
                    },
                    "object": {"key": "my+file.txt", "size": 5, "eTag": "abc", "sequencer": "0000000000000001"}
                }
            }]})
            .to_string()
        );
    }

    #[test]
    fn delete_events_carry_no_size_or_etag() {
        let event = ObjectEvent {
            name: REMOVED_MARKER,
            key: "k".into(),
            size: None,
            etag: None,
            version_id: Some("v1".into()),
            sequencer: "00000000000000FF".into(),
        };
        let message: serde_json::Value =
            serde_json::from_str(&event_message(&bucket(), &origin(), 0, &event, "cfg")).unwrap();
        assert_eq!(
            message["Records"][0]["s3"]["object"],
            json!({"key": "k", "versionId": "v1", "sequencer": "00000000000000FF"})
        );
        assert_eq!(
            message["Records"][0]["eventTime"],
            "1970-01-01T00:00:00.000Z"
        );
        let lifecycle = ObjectEvent {
            name: EXPIRED_DELETE,
            ..event
        };
        let message: serde_json::Value = serde_json::from_str(&event_message(
            &bucket(),
            &Origin::lifecycle(),
            0,
            &lifecycle,
            "cfg",
        ))
        .unwrap();
        assert_eq!(message["Records"][0]["eventVersion"], "2.3");
        assert_eq!(
            message["Records"][0]["userIdentity"]["principalId"],
            "s3.amazonaws.com"
        );
    }

    #[test]
    fn test_event_message() {
        let message: serde_json::Value =
            serde_json::from_str(&test_event("bkt", &origin(), 86_400_000)).unwrap();
        assert_eq!(
            message,
            json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "1970-01-02T00:00:00.000Z",
                   "Bucket": "bkt", "RequestId": "REQ", "HostId": "HOST"})
        );
    }

    #[test]
    fn sequencers_increase_even_when_the_clock_stands_still_or_goes_back() {
        let s = Sequencer::default();
        let a = s.next(1_000);
        let b = s.next(1_000);
        let c = s.next(999);
        let d = s.next(2_000);
        assert!(a < b && b < c && c < d, "{a} {b} {c} {d}");
        assert_eq!(a.len(), 16);
        assert!(u64::from_str_radix(&a, 16).is_ok());
    }

    #[test]
    fn round_trip_to_dto() {
        let input = NotificationConfiguration {
            queue_configurations: Some(vec![queue(
                Some("q1"),
                Q,
                &["s3:ObjectCreated:*"],
                &[("prefix", "a/")],
            )]),
            topic_configurations: Some(vec![TopicConfiguration {
                events: vec![Event::from("s3:ObjectRemoved:*".to_owned())],
                filter: None,
                id: Some("t1".into()),
                topic_arn: T.into(),
            }]),
            lambda_function_configurations: None,
            event_bridge_configuration: Some(s3s::dto::EventBridgeConfiguration {}),
        };
        let config = config_from(&input, "us-east-1").unwrap();
        let out = config.to_dto();
        assert_eq!(out.topic_configurations, input.topic_configurations);
        assert_eq!(
            out.event_bridge_configuration,
            input.event_bridge_configuration
        );
        let q = &out.queue_configurations.unwrap()[0];
        assert_eq!((q.id.as_deref(), q.queue_arn.as_str()), (Some("q1"), Q));
        let rule = &q
            .filter
            .as_ref()
            .unwrap()
            .key
            .as_ref()
            .unwrap()
            .filter_rules
            .as_ref()
            .unwrap()[0];
        assert_eq!(
            (rule.name.as_ref().unwrap().as_str(), rule.value.as_deref()),
            ("Prefix", Some("a/"))
        );
        assert!(NotificationConfig::default().is_empty());
    }
}
