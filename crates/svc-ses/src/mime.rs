//! RFC 5322 / MIME: the message SES builds for a formatted or templated send (`mail-builder`:
//! multipart/alternative when there are both a text and an HTML body, RFC 2047 encoded
//! non-ASCII subjects and names, `charset=utf-8` parts) and the reading of a caller's raw
//! message (`mail-parser`).

use std::borrow::Cow;

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use mail_parser::{MessageParser, MimeHeaders};

use crate::address::Mailbox;
use crate::templates::Rendered;

/// The host part of every Message-ID SES writes.
pub const MESSAGE_ID_DOMAIN: &str = "email.amazonses.com";

/// A file attached to a v2 Simple message.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub data: Vec<u8>,
    pub inline: bool,
    pub content_id: Option<String>,
}

/// What goes into a message SES builds.
pub struct Compose<'a> {
    pub message_id: &'a str,
    pub date_secs: i64,
    pub return_path: &'a str,
    pub from: &'a Mailbox,
    pub reply_to: &'a [Mailbox],
    pub to: &'a [Mailbox],
    pub cc: &'a [Mailbox],
    pub subject: &'a str,
    pub text: Option<&'a str>,
    pub html: Option<&'a str>,
    /// v2's custom headers.
    pub headers: &'a [(String, String)],
    pub attachments: &'a [Attachment],
}

fn address(m: &Mailbox) -> Address<'_> {
    Address::new_address(m.name.as_deref().map(Cow::Borrowed), m.address.as_str())
}

fn address_list(list: &[Mailbox]) -> Address<'_> {
    Address::new_list(list.iter().map(address).collect())
}

/// The full message. Bcc recipients are envelope-only: they never appear in a header.
pub fn compose(c: &Compose) -> Vec<u8> {
    let mut builder = MessageBuilder::new()
        .header("Return-Path", Raw::new(format!("<{}>", c.return_path)))
        .from(address(c.from));
    if !c.reply_to.is_empty() {
        builder = builder.reply_to(address_list(c.reply_to));
    }
    if !c.to.is_empty() {
        builder = builder.to(address_list(c.to));
    }
    if !c.cc.is_empty() {
        builder = builder.cc(address_list(c.cc));
    }
    builder = builder
        .subject(c.subject)
        .message_id(format!("{}@{MESSAGE_ID_DOMAIN}", c.message_id))
        .date(Date::new(c.date_secs))
        .header("MIME-Version", Raw::new("1.0"));
    for (name, value) in c.headers {
        builder = builder.header(name.as_str(), Raw::new(value.as_str()));
    }
    if let Some(text) = c.text {
        builder = builder.text_body(text);
    }
    if let Some(html) = c.html {
        builder = builder.html_body(html);
    }
    for a in c.attachments {
        builder = match (&a.content_id, a.inline) {
            (Some(cid), true) => builder.inline(a.content_type.as_str(), cid.as_str(), a.data.as_slice()),
            _ => builder.attachment(a.content_type.as_str(), a.file_name.as_str(), a.data.as_slice()),
        };
    }
    builder.write_to_vec().unwrap_or_default()
}

/// TestRenderTemplate's answer: the rendered template as a MIME message without addresses.
pub fn preview(rendered: &Rendered, message_id: &str, date_secs: i64) -> String {
    let mut builder = MessageBuilder::new()
        .subject(rendered.subject.as_str())
        .message_id(format!("{message_id}@{MESSAGE_ID_DOMAIN}"))
        .date(Date::new(date_secs))
        .header("MIME-Version", Raw::new("1.0"));
    if let Some(text) = &rendered.text {
        builder = builder.text_body(text.as_str());
    }
    if let Some(html) = &rendered.html {
        builder = builder.html_body(html.as_str());
    }
    builder.write_to_string().unwrap_or_default()
}

/// What SES reads from a caller's raw message.
#[derive(Debug, Default)]
pub struct Parsed {
    pub from: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    pub subject: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub return_path: Option<String>,
}

/// A raw message's header fields and bodies; `Err` when it is not a message at all (no header
/// field can be read from it).
pub fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let message = MessageParser::default().parse(bytes).ok_or("the message could not be parsed")?;
    if message.headers().is_empty() || message.headers_raw().all(|(name, _)| name.trim().is_empty()) {
        return Err("the message has no header fields".into());
    }
    let mailboxes = |a: Option<&mail_parser::Address>| -> Vec<Mailbox> {
        a.map(|a| {
            a.iter()
                .filter_map(|addr| {
                    let address = addr.address()?.to_owned();
                    Some(Mailbox { name: addr.name().map(str::to_owned).filter(|n| !n.is_empty()), address })
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let text = message
        .text_bodies()
        .find(|p| p.is_text() && !p.is_text_html() && !p.is_attachment_like())
        .and_then(|p| p.text_contents())
        .map(str::to_owned);
    let html = message.html_bodies().find(|p| p.is_text_html()).and_then(|p| p.text_contents()).map(str::to_owned);
    Ok(Parsed {
        from: mailboxes(message.from()),
        to: mailboxes(message.to()),
        cc: mailboxes(message.cc()),
        bcc: mailboxes(message.bcc()),
        subject: message.subject().map(str::to_owned),
        text,
        html,
        return_path: message.return_address().map(str::to_owned),
    })
}

trait AttachmentLike {
    fn is_attachment_like(&self) -> bool;
}

impl AttachmentLike for mail_parser::MessagePart<'_> {
    fn is_attachment_like(&self) -> bool {
        self.content_disposition().is_some_and(|d| d.is_attachment())
    }
}

/// The message's header fields in order, values unfolded (as SES notifications list them).
pub fn header_list(bytes: &[u8]) -> Vec<(String, String)> {
    let Some(message) = MessageParser::default().parse_headers(bytes) else { return Vec::new() };
    message
        .headers_raw()
        .map(|(name, value)| (name.to_owned(), value.replace("\r\n", "").replace('\n', "").trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(a: &str) -> Mailbox {
        crate::address::parse(a).unwrap()
    }

    #[test]
    fn text_and_html_make_multipart_alternative_and_bcc_stays_out() {
        let from = mailbox("Zoë <sender@example.com>");
        let to = [mailbox("to@example.com")];
        let raw = compose(&Compose {
            message_id: "0100abc-def-000000",
            date_secs: 1_800_000_000,
            return_path: "sender@example.com",
            from: &from,
            reply_to: &[mailbox("reply@example.com")],
            to: &to,
            cc: &[],
            subject: "Grüße",
            text: Some("hello"),
            html: Some("<p>hello</p>"),
            headers: &[],
            attachments: &[],
        });
        let text = String::from_utf8(raw.clone()).unwrap();
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("Message-ID: <0100abc-def-000000@email.amazonses.com>"), "{text}");
        assert!(text.contains("Subject: =?utf-8?"), "{text}");
        assert!(text.contains("Return-Path: <sender@example.com>"), "{text}");
        assert!(!text.to_ascii_lowercase().contains("bcc:"));
        let parsed = parse(&raw).unwrap();
        assert_eq!(parsed.subject.as_deref(), Some("Grüße"));
        assert_eq!(parsed.text.as_deref(), Some("hello"));
        assert_eq!(parsed.html.as_deref(), Some("<p>hello</p>"));
        assert_eq!(parsed.from[0].name.as_deref(), Some("Zoë"));
        let headers = header_list(&raw);
        assert!(headers.iter().any(|(n, v)| n == "To" && v.contains("to@example.com")));
    }

    #[test]
    fn raw_messages_must_have_headers() {
        assert!(parse(b"").is_err());
        let parsed = parse(b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nbody\r\n").unwrap();
        assert_eq!(parsed.to[0].address, "b@example.com");
        assert_eq!(parsed.text.as_deref(), Some("body\r\n"));
    }
}
