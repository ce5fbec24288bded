//! What happens to a message after SES accepts it, and who is told.
//!
//! Every recipient gets a [`Fate`]: delivered, except the mailbox simulator's addresses
//! (`bounce@`, `complaint@`, `ooto@`, `suppressionlist@simulator.amazonses.com`, which act as
//! AWS documents) and addresses on the account-level suppression list. Then SES tells:
//! - the sending identity's SNS topics (v1 SetIdentityNotificationTopic): Bounce, Complaint,
//!   Delivery notifications (`notificationType`);
//! - the configuration set's enabled SNS event destinations: Send, Delivery, Bounce, Complaint,
//!   Rendering Failure events (`eventType`);
//! - with feedback forwarding on (the default), the sender, by email into the mailbox: a bounce
//!   or complaint report. `ooto@` answers the sender with an out-of-office reply.
//!
//! Notifications are the JSON AWS documents ("Amazon SNS notification contents", "Event
//! publishing"), published through the event bus in the background.

use nimbus_core::Delivery;
use nimbus_core::document::iso8601_millis;
use serde_json::{Map, Value, json};

use crate::address;
use crate::mailbox::new_message_id;
use crate::records::{ConfigSetRecord, IdentityRecord, MessageRecord};

pub const SIMULATOR_DOMAIN: &str = "simulator.amazonses.com";

/// Where Nimbus says its mail was handed over.
const SOURCE_IP: &str = "127.0.0.1";
const REPORTING_MTA: &str = "a8-70.smtp-out.amazonses.com";

pub fn is_simulator(address: &str) -> bool {
    address::domain_of(address).eq_ignore_ascii_case(SIMULATOR_DOMAIN)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Delivered,
    /// Delivered, then an automatic out-of-office reply to the sender.
    OutOfOffice,
    /// Delivered, then a complaint.
    Complained,
    /// A hard bounce: `bounce@` (General), `suppressionlist@` (Suppressed: SES's global list),
    /// or the account-level suppression list (not sent at all).
    Bounced(BounceKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BounceKind {
    General,
    Suppressed,
    OnAccountSuppressionList,
}

impl Fate {
    /// The simulator's behaviour for its addresses; every other address is delivered.
    pub fn of(address: &str) -> Fate {
        if !is_simulator(address) {
            return Fate::Delivered;
        }
        let local = address.rsplit_once('@').map_or("", |(l, _)| l);
        // Labels after `+` (`bounce+test1@`) keep the behaviour, as on AWS.
        match local.split('+').next().unwrap_or_default().to_ascii_lowercase().as_str() {
            "bounce" => Fate::Bounced(BounceKind::General),
            "suppressionlist" => Fate::Bounced(BounceKind::Suppressed),
            "complaint" => Fate::Complained,
            "ooto" => Fate::OutOfOffice,
            _ => Fate::Delivered,
        }
    }

    pub fn delivered(self) -> bool {
        !matches!(self, Fate::Bounced(_))
    }
}

/// A message SES itself writes into the mailbox (feedback forwarding, out-of-office replies).
#[derive(Debug, Clone)]
pub struct SystemMail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// One accepted message and everything needed to describe what became of it.
pub struct Outcome<'a> {
    pub message: &'a MessageRecord,
    /// The MIME message's header fields.
    pub headers: &'a [(String, String)],
    /// (bare recipient address, fate), one per envelope recipient.
    pub fates: &'a [(String, Fate)],
    pub identity: Option<&'a IdentityRecord>,
    pub config_set: Option<&'a ConfigSetRecord>,
    /// Where feedback goes: the Return-Path, else the source address.
    pub feedback_to: &'a str,
    pub now_ms: i64,
}

impl Outcome<'_> {
    fn recipients(&self, wanted: impl Fn(Fate) -> bool) -> Vec<String> {
        self.fates.iter().filter(|(_, f)| wanted(*f)).map(|(a, _)| a.clone()).collect()
    }

    fn identity_name(&self) -> String {
        self.identity.map_or_else(|| bare(&self.message.source).to_owned(), |i| i.name.clone())
    }

    /// The `mail` object. Identity notifications carry the headers only when the identity asks
    /// for them; event publishing always does.
    fn mail(&self, headers: bool, event: bool) -> Value {
        let m = self.message;
        let header = |name: &str| -> Vec<String> {
            self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone()).collect()
        };
        let mut common = json!({ "from": header("From"), "messageId": m.id, "subject": m.subject.clone().unwrap_or_default() });
        for (member, name) in [("to", "To"), ("cc", "Cc"), ("replyTo", "Reply-To")] {
            let values = header(name);
            if !values.is_empty() {
                common[member] = json!(values.join(", ").split(", ").map(str::trim).collect::<Vec<_>>());
            }
        }
        if let Some(date) = header("Date").first() {
            common["date"] = json!(date);
        }
        let destination: Vec<&str> = m.recipients().map(|r| bare(r)).collect();
        let mut mail = json!({
            "timestamp": iso8601_millis(m.timestamp_ms),
            "messageId": m.id,
            "source": m.source,
            "sourceArn": format!("arn:aws:ses:{}:{}:identity/{}", m.region, m.account, self.identity_name()),
            "sourceIp": SOURCE_IP,
            "callerIdentity": "root",
            "sendingAccountId": m.account,
            "destination": destination,
            "commonHeaders": common,
        });
        if headers {
            mail["headersTruncated"] = json!(false);
            mail["headers"] = self.headers.iter().map(|(n, v)| json!({ "name": n, "value": v })).collect();
        }
        if event {
            let mut tags = Map::new();
            if let Some(set) = self.config_set {
                tags.insert("ses:configuration-set".into(), json!([set.name]));
            }
            tags.insert("ses:source-ip".into(), json!([SOURCE_IP]));
            tags.insert("ses:from-domain".into(), json!([address::domain_of(bare(&m.source))]));
            tags.insert("ses:caller-identity".into(), json!(["root"]));
            for t in &m.tags {
                tags.insert(t.key.clone(), json!([t.value]));
            }
            mail["tags"] = Value::Object(tags);
        }
        mail
    }

    fn delivery(&self, recipients: Vec<String>) -> Value {
        json!({
            "timestamp": iso8601_millis(self.now_ms),
            "processingTimeMillis": (self.now_ms - self.message.timestamp_ms).max(0),
            "recipients": recipients,
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": REPORTING_MTA,
            "remoteMtaIp": SOURCE_IP,
        })
    }

    fn bounce(&self, kind: BounceKind, recipients: Vec<String>) -> Value {
        let (sub_type, diagnostic, mta) = match kind {
            BounceKind::General => ("General", "smtp; 550 5.1.1 user unknown", "dsn; a8-70.smtp-out.amazonses.com"),
            BounceKind::Suppressed => (
                "Suppressed",
                "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.",
                "dns; amazonses.com",
            ),
            BounceKind::OnAccountSuppressionList => (
                "OnAccountSuppressionList",
                "Amazon SES did not send the message to this address because it is on the suppression list for your account.",
                "dns; amazonses.com",
            ),
        };
        let bounced: Vec<Value> = recipients
            .iter()
            .map(|r| json!({ "emailAddress": r, "action": "failed", "status": "5.1.1", "diagnosticCode": diagnostic }))
            .collect();
        json!({
            "bounceType": "Permanent",
            "bounceSubType": sub_type,
            "bouncedRecipients": bounced,
            "timestamp": iso8601_millis(self.now_ms),
            "feedbackId": new_message_id(self.now_ms),
            "remoteMtaIp": SOURCE_IP,
            "reportingMTA": mta,
        })
    }

    fn complaint(&self, recipients: Vec<String>) -> Value {
        let complained: Vec<Value> = recipients.iter().map(|r| json!({ "emailAddress": r })).collect();
        json!({
            "complainedRecipients": complained,
            "timestamp": iso8601_millis(self.now_ms),
            "feedbackId": new_message_id(self.now_ms),
            "userAgent": "Amazon SES Mailbox Simulator",
            "complaintFeedbackType": "abuse",
            "arrivalDate": iso8601_millis(self.message.timestamp_ms),
        })
    }

    /// (type name, member, object) for each kind of news about this message, in the order
    /// it happens.
    fn happenings(&self) -> Vec<(&'static str, &'static str, Value)> {
        let mut out = Vec::new();
        let delivered = self.recipients(Fate::delivered);
        if !delivered.is_empty() {
            out.push(("Delivery", "delivery", self.delivery(delivered)));
        }
        for kind in [BounceKind::General, BounceKind::Suppressed, BounceKind::OnAccountSuppressionList] {
            let bounced = self.recipients(|f| f == Fate::Bounced(kind));
            if !bounced.is_empty() {
                out.push(("Bounce", "bounce", self.bounce(kind, bounced)));
            }
        }
        let complained = self.recipients(|f| f == Fate::Complained);
        if !complained.is_empty() {
            out.push(("Complaint", "complaint", self.complaint(complained)));
        }
        out
    }

    /// Every notification and event for this message, in order.
    pub fn notifications(&self) -> Vec<Delivery> {
        let mut out = Vec::new();
        if let Some(set) = self.config_set {
            let send = json!({ "eventType": "Send", "mail": self.mail(true, true), "send": {} });
            out.extend(destinations(set, "SEND", &send));
        }
        for (kind, member, object) in self.happenings() {
            if let Some(identity) = self.identity {
                let (topic, index) = match kind {
                    "Bounce" => (&identity.topics.bounce, 0),
                    "Complaint" => (&identity.topics.complaint, 1),
                    _ => (&identity.topics.delivery, 2),
                };
                if let Some(topic) = topic {
                    let mut n = json!({ "notificationType": kind, "mail": self.mail(identity.headers_in[index], false) });
                    n[member] = object.clone();
                    out.push(to_topic(topic, &n));
                }
            }
            if let Some(set) = self.config_set {
                let mut event = json!({ "eventType": kind, "mail": self.mail(true, true) });
                event[member] = object;
                out.extend(destinations(set, &kind.to_ascii_uppercase(), &event));
            }
        }
        out
    }

    /// Feedback forwarded by email and out-of-office replies.
    pub fn system_mails(&self) -> Vec<SystemMail> {
        let mut out = Vec::new();
        let subject = self.message.subject.clone().unwrap_or_default();
        let forwarding = self.identity.is_none_or(|i| i.forwarding_enabled);
        for (address, fate) in self.fates {
            let mail = |from: &str, subject: String, text: String| SystemMail {
                from: from.to_owned(),
                to: self.feedback_to.to_owned(),
                subject,
                text,
            };
            match fate {
                Fate::Bounced(_) if forwarding => out.push(mail(
                    "MAILER-DAEMON@email-bounces.amazonses.com",
                    "Delivery Status Notification (Failure)".into(),
                    format!(
                        "An error occurred while trying to deliver the mail to the following recipients:\r\n{address}\r\n\r\nOriginal message id: {}\r\n",
                        self.message.id
                    ),
                )),
                Fate::Complained if forwarding => out.push(mail(
                    "complaints@email-abuse.amazonses.com",
                    format!("Complaint: {subject}"),
                    format!("The recipient {address} marked message {} as spam.\r\n", self.message.id),
                )),
                Fate::OutOfOffice => out.push(mail(
                    address,
                    format!("Out of the office: {subject}"),
                    "I am out of the office and will reply when I return.\r\n".into(),
                )),
                _ => {}
            }
        }
        out
    }
}

/// A Rendering Failure event for a templated send that SES accepted and could not render.
pub fn rendering_failure(message: &MessageRecord, set: &ConfigSetRecord, template: &str, error: &str) -> Vec<Delivery> {
    let outcome =
        Outcome { message, headers: &[], fates: &[], identity: None, config_set: Some(set), feedback_to: "", now_ms: message.timestamp_ms };
    let event = json!({
        "eventType": "Rendering Failure",
        "mail": outcome.mail(false, true),
        "failure": { "errorMessage": error, "templateName": template },
    });
    destinations(set, "RENDERING_FAILURE", &event)
}

fn destinations(set: &ConfigSetRecord, event_type: &str, body: &Value) -> Vec<Delivery> {
    set.event_destinations
        .iter()
        .filter(|d| d.enabled && d.event_types.iter().any(|t| t == event_type))
        .filter_map(|d| d.sns_topic.as_ref())
        .map(|topic| to_topic(topic, body))
        .collect()
}

fn to_topic(topic: &str, body: &Value) -> Delivery {
    Delivery::Topic { topic_arn: topic.to_owned(), message: body.to_string(), subject: None }
}

fn bare(a: &str) -> &str {
    match (a.rfind('<'), a.rfind('>')) {
        (Some(open), Some(close)) if open < close => a[open + 1..close].trim(),
        _ => a.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulator_addresses_act_as_documented() {
        assert_eq!(Fate::of("success@simulator.amazonses.com"), Fate::Delivered);
        assert_eq!(Fate::of("bounce@simulator.amazonses.com"), Fate::Bounced(BounceKind::General));
        assert_eq!(Fate::of("bounce+label@Simulator.AmazonSES.com"), Fate::Bounced(BounceKind::General));
        assert_eq!(Fate::of("suppressionlist@simulator.amazonses.com"), Fate::Bounced(BounceKind::Suppressed));
        assert_eq!(Fate::of("complaint@simulator.amazonses.com"), Fate::Complained);
        assert_eq!(Fate::of("ooto@simulator.amazonses.com"), Fate::OutOfOffice);
        assert_eq!(Fate::of("bounce@example.com"), Fate::Delivered);
    }
}
