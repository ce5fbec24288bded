//! The one send path every sending operation (v1 SendEmail, SendRawEmail, SendTemplatedEmail,
//! SendBulkTemplatedEmail; v2 SendEmail, SendBulkEmail) goes through:
//!
//! 1. [`prepare`]: account sending enabled, the sender verified (AWS's sandbox rule: the
//!    address or its domain is a verified identity, else `MessageRejected`), the configuration
//!    set (named, or the identity's default) exists;
//! 2. [`deliver`]: recipients counted (1 to 50) and each given its fate (delivered, the
//!    mailbox simulator's bounce/complaint, the account-level suppression list), the MIME
//!    message built (or the caller's raw one kept as given), message and bytes committed in one
//!    transaction;
//! 3. after the commit: notifications and events to SNS through the bus, feedback mails and
//!    out-of-office replies into the mailbox, the SMTP relay.
//!
//! A template that cannot be rendered with the data is accepted, as AWS accepts it: the caller
//! gets a message id, nothing is delivered and a Rendering Failure event goes to the
//! configuration set's destinations.

use nimbus_core::{Delivery, RequestContext};

use crate::address::{self, Mailbox};
use crate::errors::{Api, Res};
use crate::events::{BounceKind, Fate, Outcome, SystemMail};
use crate::identities::{is_verified_sender, sending_identity};
use crate::mailbox::{self, new_message_id};
use crate::mime::{self, Attachment, Compose};
use crate::records::{AccountRecord, ACCOUNT_KEY, ConfigSetRecord, IdentityRecord, MessageRecord, Origin, SuppressedRecord, Tag};
use crate::templates::{self, Parts};
use crate::{Inner, scope};

/// SES's limit on envelope recipients per message (To + Cc + Bcc).
pub const MAX_RECIPIENTS: usize = 50;
/// SES's limit on a message's size.
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

/// One message to send, as the API call described it.
pub struct Outgoing {
    pub source: Mailbox,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    pub reply_to: Vec<Mailbox>,
    pub return_path: Option<Mailbox>,
    pub tags: Vec<Tag>,
    pub content: Content,
}

pub enum Content {
    Simple { subject: String, text: Option<String>, html: Option<String>, headers: Vec<(String, String)>, attachments: Vec<Attachment> },
    /// The caller's MIME message, kept byte for byte.
    Raw { bytes: Vec<u8>, parsed: mime::Parsed },
    Template { name: String, parts: Parts, data: String, headers: Vec<(String, String)> },
}

/// What every message of one call shares: where it is sent from and how it is reported.
pub struct Prepared {
    pub api: Api,
    pub account: String,
    pub region: String,
    pub identity: Option<IdentityRecord>,
    pub config_set: Option<ConfigSetRecord>,
}

/// Parses addresses, reporting the first bad one in `api`'s error.
pub fn mailboxes(api: Api, addresses: &[String]) -> Res<Vec<Mailbox>> {
    addresses.iter().map(|a| mailbox(api, a)).collect()
}

pub fn mailbox(api: Api, address: &str) -> Res<Mailbox> {
    address::parse(address).map_err(|why| api.invalid(why))
}

/// Recipient count rules: at least one, at most [`MAX_RECIPIENTS`].
pub fn check_recipients(api: Api, count: usize) -> Res<()> {
    if count == 0 {
        return Err(api.invalid("Missing required header 'To'."));
    }
    if count > MAX_RECIPIENTS {
        return Err(api.invalid(format!("Recipient count exceeds {MAX_RECIPIENTS}.")));
    }
    Ok(())
}

pub fn check_size(api: Api, len: usize) -> Res<()> {
    if len > MAX_MESSAGE_BYTES {
        return Err(api.invalid(format!("Message length is more than {MAX_MESSAGE_BYTES} bytes long: '{len}'.")));
    }
    Ok(())
}

/// The checks that apply to a whole call before any message is built. `senders` are the
/// addresses SES verifies: the Source, and a raw message's From.
pub fn prepare(inner: &Inner, ctx: &RequestContext, api: Api, senders: &[&Mailbox], config_set: Option<&str>) -> Res<Prepared> {
    let scope = scope(&ctx.account_id, &ctx.region);
    let account: AccountRecord = inner.get(&scope, ACCOUNT_KEY)?.unwrap_or_default();
    if !account.sending_enabled {
        return Err(api.sending_paused());
    }
    let mut unverified: Vec<&str> = Vec::new();
    for sender in senders {
        if !is_verified_sender(inner, &scope, &sender.address)? && !unverified.contains(&sender.address.as_str()) {
            unverified.push(&sender.address);
        }
    }
    if !unverified.is_empty() {
        return Err(api.rejected(format!(
            "Email address is not verified. The following identities failed the check in region {}: {}",
            ctx.region.to_ascii_uppercase(),
            unverified.join(", ")
        )));
    }
    let identity = match senders.first() {
        Some(source) => sending_identity(inner, &scope, &source.address)?,
        None => None,
    };
    let set_name = config_set.map(str::to_owned).or_else(|| identity.as_ref().and_then(|i| i.configuration_set.clone()));
    let config_set = match set_name {
        Some(name) => Some(crate::config_sets::get(inner, ctx, api, &name)?),
        None => None,
    };
    Ok(Prepared { api, account: ctx.account_id.clone(), region: ctx.region.clone(), identity, config_set })
}

fn display(m: &Mailbox) -> String {
    match &m.name {
        Some(name) => format!("{name} <{}>", m.address),
        None => m.address.clone(),
    }
}

/// Sends one message; returns its SES message id.
pub async fn deliver(inner: &Inner, prep: &Prepared, out: Outgoing) -> Res<String> {
    let now = inner.now();
    let id = new_message_id(now);
    let scope = scope(&prep.account, &prep.region);
    let return_path = out.return_path.clone().unwrap_or_else(|| out.source.clone());
    let mut record = MessageRecord {
        id: id.clone(),
        account: prep.account.clone(),
        region: prep.region.clone(),
        timestamp_ms: now,
        source: display(&out.source),
        to: out.to.iter().map(display).collect(),
        cc: out.cc.iter().map(display).collect(),
        bcc: out.bcc.iter().map(display).collect(),
        subject: None,
        text: None,
        html: None,
        origin: Origin::Formatted,
        template: None,
        template_data: None,
        configuration_set: prep.config_set.as_ref().map(|s| s.name.clone()),
        tags: out.tags.clone(),
        suppressed: Vec::new(),
        bounces: 0,
        complaints: 0,
    };
    let compose = |subject: &str, text: Option<&str>, html: Option<&str>, headers: &[(String, String)], attachments: &[Attachment]| {
        mime::compose(&Compose {
            message_id: &id,
            date_secs: now.div_euclid(1000),
            return_path: &return_path.address,
            from: &out.source,
            reply_to: &out.reply_to,
            to: &out.to,
            cc: &out.cc,
            subject,
            text,
            html,
            headers,
            attachments,
        })
    };
    let bytes = match &out.content {
        Content::Simple { subject, text, html, headers, attachments } => {
            record.subject = Some(subject.clone());
            record.text = text.clone();
            record.html = html.clone();
            compose(subject, text.as_deref(), html.as_deref(), headers, attachments)
        }
        Content::Raw { bytes, parsed } => {
            record.origin = Origin::Raw;
            record.subject = parsed.subject.clone();
            record.text = parsed.text.clone();
            record.html = parsed.html.clone();
            bytes.clone()
        }
        Content::Template { name, parts, data, headers } => {
            record.template = Some(name.clone());
            record.template_data = Some(data.clone());
            let rendered = templates::parse_data(data).and_then(|d| templates::render(parts, &d));
            match rendered {
                Ok(r) => {
                    record.subject = Some(r.subject.clone());
                    record.text = r.text.clone();
                    record.html = r.html.clone();
                    compose(&r.subject, r.text.as_deref(), r.html.as_deref(), headers, &[])
                }
                Err(fail) => {
                    tracing::info!("ses: message {id} from template {name} not delivered: {}", fail.message());
                    if let Some(set) = &prep.config_set {
                        inner.publish(crate::events::rendering_failure(&record, set, name, &fail.message()));
                    }
                    return Ok(id);
                }
            }
        }
    };
    check_size(prep.api, bytes.len())?;

    let account: AccountRecord = inner.get(&scope, crate::records::ACCOUNT_KEY)?.unwrap_or_default();
    let mut fates = Vec::new();
    for recipient in out.to.iter().chain(&out.cc).chain(&out.bcc) {
        let suppressed = inner
            .get::<SuppressedRecord>(&scope, &recipient.address.to_ascii_lowercase())?
            .is_some_and(|s| account.suppressed_reasons.contains(&s.reason));
        let fate = if suppressed { Fate::Bounced(BounceKind::OnAccountSuppressionList) } else { Fate::of(&recipient.address) };
        fates.push((recipient.address.clone(), fate));
    }
    record.suppressed = fates.iter().filter(|(_, f)| *f == Fate::Bounced(BounceKind::OnAccountSuppressionList)).map(|(a, _)| a.clone()).collect();
    record.bounces = fates.iter().filter(|(_, f)| matches!(f, Fate::Bounced(_))).count() as u32;
    record.complaints = fates.iter().filter(|(_, f)| *f == Fate::Complained).count() as u32;

    let stored = record.clone();
    let raw = bytes.clone();
    inner.write(move |t| Ok(mailbox::put(t, &stored, &raw)?)).await?;

    let headers = mime::header_list(&bytes);
    let outcome = Outcome {
        message: &record,
        headers: &headers,
        fates: &fates,
        identity: prep.identity.as_ref(),
        config_set: prep.config_set.as_ref(),
        feedback_to: &return_path.address,
        now_ms: inner.now(),
    };
    inner.publish(outcome.notifications());
    let mails = outcome.system_mails();
    if let Some(relay) = &inner.relay {
        let delivered: Vec<String> = fates.iter().filter(|(_, f)| *f != Fate::Bounced(BounceKind::OnAccountSuppressionList)).map(|(a, _)| a.clone()).collect();
        relay.send(&id, &return_path.address, delivered, bytes);
    }
    for mail in mails {
        store_system_mail(inner, &prep.account, &prep.region, mail).await?;
    }
    Ok(id)
}

async fn store_system_mail(inner: &Inner, account: &str, region: &str, mail: SystemMail) -> Res<String> {
    system_mail(inner, account, region, &mail.from, &mail.to, &mail.subject, &mail.text).await
}

/// A plain-text message into the mailbox without SES's checks (other services' mail, SES's
/// own feedback): stored and relayed, no quota, no events.
pub async fn system_mail(inner: &Inner, account: &str, region: &str, from: &str, to: &str, subject: &str, text: &str) -> Res<String> {
    let lenient = |a: &str| address::parse(a).unwrap_or_else(|_| Mailbox { name: None, address: a.trim().to_owned() });
    let (from, to) = (lenient(from), lenient(to));
    let now = inner.now();
    let id = new_message_id(now);
    let bytes = mime::compose(&Compose {
        message_id: &id,
        date_secs: now.div_euclid(1000),
        return_path: &from.address,
        from: &from,
        reply_to: &[],
        to: std::slice::from_ref(&to),
        cc: &[],
        subject,
        text: Some(text),
        html: None,
        headers: &[],
        attachments: &[],
    });
    let record = MessageRecord {
        id: id.clone(),
        account: account.to_owned(),
        region: region.to_owned(),
        timestamp_ms: now,
        source: display(&from),
        to: vec![display(&to)],
        cc: Vec::new(),
        bcc: Vec::new(),
        subject: Some(subject.to_owned()),
        text: Some(text.to_owned()),
        html: None,
        origin: Origin::System,
        template: None,
        template_data: None,
        configuration_set: None,
        tags: Vec::new(),
        suppressed: Vec::new(),
        bounces: 0,
        complaints: 0,
    };
    let raw = bytes.clone();
    inner.write(move |t| Ok(mailbox::put(t, &record, &raw)?)).await?;
    if let Some(relay) = &inner.relay {
        relay.send(&id, &from.address, vec![to.address.clone()], bytes);
    }
    Ok(id)
}

impl Inner {
    /// Hands notifications to the bus in the background, in order; failures are logged (the
    /// send has already succeeded).
    pub(crate) fn publish(&self, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        let Some(bus) = self.bus.clone() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("ses: no runtime to publish {} notification(s) on", deliveries.len());
            return;
        };
        runtime.spawn(async move {
            for delivery in deliveries {
                if let Err(e) = bus.deliver(&delivery).await {
                    // SES only publishes to topics.
                    let target = match &delivery {
                        Delivery::Topic { topic_arn, .. } => topic_arn.as_str(),
                        _ => "an event target",
                    };
                    tracing::warn!("ses: notification to {target} not delivered: {e}");
                }
            }
        });
    }
}
