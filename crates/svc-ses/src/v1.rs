//! SES v1 (awsQuery): the operation dispatch, and v1's sending operations read into the
//! shared send path ([`crate::send`]).

use nimbus_core::document::{parse_blob, string_list_member};
use nimbus_core::{RequestContext, ServiceError};
use serde_json::{Map, Value, json};

use crate::address::Mailbox;
use crate::errors::{Api, Res};
use crate::records::Tag;
use crate::send::{self, Content, Outgoing, check_recipients, mailbox, mailboxes};
use crate::templates::{self, Parts};
use crate::{Inner, config_sets, ctx_scope, identities, mailbox as mail, mime, required, string, suppression};

const API: Api = Api::V1;

pub async fn call(inner: &Inner, ctx: &RequestContext, operation: &str, input: &Value) -> Res<Value> {
    match operation {
        "VerifyEmailIdentity" | "VerifyEmailAddress" => identities::verify_email(inner, ctx, input).await,
        "VerifyDomainIdentity" => identities::verify_domain(inner, ctx, input).await,
        "VerifyDomainDkim" => identities::verify_domain_dkim(inner, ctx, input).await,
        "GetIdentityVerificationAttributes" => identities::get_verification_attributes(inner, ctx, input),
        "GetIdentityDkimAttributes" => identities::get_dkim_attributes(inner, ctx, input),
        "ListIdentities" => identities::list_identities(inner, ctx, input),
        "DeleteIdentity" => identities::delete_identity(inner, ctx, required(API, input, "Identity")?).await,
        "DeleteVerifiedEmailAddress" => identities::delete_identity(inner, ctx, required(API, input, "EmailAddress")?).await,
        "ListVerifiedEmailAddresses" => identities::list_verified_email_addresses(inner, ctx),
        "SetIdentityNotificationTopic" => identities::set_notification_topic(inner, ctx, input).await,
        "GetIdentityNotificationAttributes" => identities::get_notification_attributes(inner, ctx, input),
        "SetIdentityFeedbackForwardingEnabled" => {
            let enabled = input.get("ForwardingEnabled").and_then(Value::as_bool).unwrap_or(true);
            identities::set_feedback_forwarding(inner, ctx, API, required(API, input, "Identity")?, enabled).await
        }
        "SetIdentityHeadersInNotificationsEnabled" => identities::set_headers_in_notifications(inner, ctx, input).await,
        "SetIdentityDkimEnabled" => identities::set_dkim_enabled(inner, ctx, input).await,
        "SendEmail" => send_email(inner, ctx, input).await,
        "SendRawEmail" => send_raw_email(inner, ctx, input).await,
        "SendTemplatedEmail" => send_templated_email(inner, ctx, input).await,
        "SendBulkTemplatedEmail" => send_bulk_templated_email(inner, ctx, input).await,
        "CreateTemplate" => templates::create_template(inner, ctx, input).await,
        "GetTemplate" => templates::get_template(inner, ctx, input),
        "UpdateTemplate" => templates::update_template(inner, ctx, input).await,
        "DeleteTemplate" => templates::delete_template(inner, ctx, input).await,
        "ListTemplates" => templates::list_templates(inner, ctx, input),
        "TestRenderTemplate" => templates::test_render_template(inner, ctx, input),
        "CreateConfigurationSet" => config_sets::v1_create(inner, ctx, input).await,
        "DescribeConfigurationSet" => config_sets::v1_describe(inner, ctx, input),
        "ListConfigurationSets" => config_sets::v1_list(inner, ctx, input),
        "DeleteConfigurationSet" => config_sets::v1_delete(inner, ctx, input).await,
        "CreateConfigurationSetEventDestination" => config_sets::v1_put_destination(inner, ctx, input, true).await,
        "UpdateConfigurationSetEventDestination" => config_sets::v1_put_destination(inner, ctx, input, false).await,
        "DeleteConfigurationSetEventDestination" => config_sets::delete_destination(inner, ctx, API, input).await,
        "GetSendQuota" => Ok(json!({
            "Max24HourSend": MAX_24_HOUR_SEND,
            "MaxSendRate": MAX_SEND_RATE,
            "SentLast24Hours": mail::sent_last_24_hours(inner, &ctx.account_id, &ctx.region)? as f64,
        })),
        "GetSendStatistics" => Ok(json!({ "SendDataPoints": mail::send_data_points(inner, &ctx.account_id, &ctx.region)? })),
        "GetAccountSendingEnabled" => Ok(json!({ "Enabled": suppression::account(inner, ctx)?.sending_enabled })),
        "UpdateAccountSendingEnabled" => {
            let enabled = input.get("Enabled").and_then(Value::as_bool).unwrap_or(false);
            suppression::update_account(inner, ctx, move |a| a.sending_enabled = enabled).await?;
            Ok(json!({}))
        }
        _ => Err(ServiceError::not_implemented("SES", operation)),
    }
}

/// The sandbox quotas AWS gives a new account: 200 messages a day, one a second.
pub const MAX_24_HOUR_SEND: f64 = 200.0;
pub const MAX_SEND_RATE: f64 = 1.0;

/// A `Destination` structure's three lists (same member names in v1 and v2).
pub fn destination(api: Api, d: Option<&Value>) -> Res<[Vec<Mailbox>; 3]> {
    let d = d.cloned().unwrap_or_default();
    Ok([
        mailboxes(api, &string_list_member(&d, "ToAddresses"))?,
        mailboxes(api, &string_list_member(&d, "CcAddresses"))?,
        mailboxes(api, &string_list_member(&d, "BccAddresses"))?,
    ])
}

fn message_tags(input: &Value, member: &str) -> Vec<Tag> {
    nimbus_core::service::tag_list(input, member, "Name", "Value")
        .into_iter()
        .map(|(k, v)| Tag { key: k.to_owned(), value: v.to_owned() })
        .collect()
}

/// The envelope members every v1 send shares.
struct Envelope {
    source: Mailbox,
    reply_to: Vec<Mailbox>,
    return_path: Option<Mailbox>,
}

fn envelope(input: &Value) -> Res<Envelope> {
    Ok(Envelope {
        source: mailbox(API, required(API, input, "Source")?)?,
        reply_to: mailboxes(API, &string_list_member(input, "ReplyToAddresses"))?,
        return_path: string(input, "ReturnPath").map(|r| mailbox(API, r)).transpose()?,
    })
}

async fn send_email(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let env = envelope(input)?;
    let [to, cc, bcc] = destination(API, input.get("Destination"))?;
    check_recipients(API, to.len() + cc.len() + bcc.len())?;
    let message = input.get("Message").cloned().unwrap_or_default();
    let data = |path: &[&str]| path.iter().try_fold(&message, |v, k| v.get(*k)).and_then(|v| string(v, "Data")).map(str::to_owned);
    let content = Content::Simple {
        subject: data(&["Subject"]).unwrap_or_default(),
        text: data(&["Body", "Text"]),
        html: data(&["Body", "Html"]),
        headers: Vec::new(),
        attachments: Vec::new(),
    };
    let prep = send::prepare(inner, ctx, API, &[&env.source], string(input, "ConfigurationSetName"))?;
    let out = Outgoing {
        source: env.source,
        to,
        cc,
        bcc,
        reply_to: env.reply_to,
        return_path: env.return_path,
        tags: message_tags(input, "Tags"),
        content,
    };
    let id = send::deliver(inner, &prep, out).await?;
    Ok(json!({ "MessageId": id }))
}

/// A raw message's envelope: Source/Destinations when given, else its From and To/Cc/Bcc.
pub fn raw_outgoing(api: Api, source: Option<&str>, destinations: &[String], bytes: Vec<u8>, tags: Vec<Tag>) -> Res<(Outgoing, Vec<Mailbox>)> {
    send::check_size(api, bytes.len())?;
    let parsed = mime::parse(&bytes).map_err(|why| api.invalid(format!("Illegal content: {why}.")))?;
    let from_header = parsed.from.clone();
    let source = match source {
        Some(s) => mailbox(api, s)?,
        None => from_header.first().cloned().ok_or_else(|| api.invalid("Missing required header 'From'."))?,
    };
    let (to, cc, bcc) = if destinations.is_empty() {
        (parsed.to.clone(), parsed.cc.clone(), parsed.bcc.clone())
    } else {
        (mailboxes(api, destinations)?, Vec::new(), Vec::new())
    };
    check_recipients(api, to.len() + cc.len() + bcc.len())?;
    let return_path = parsed.return_path.as_deref().map(|r| mailbox(api, r)).transpose()?;
    let out = Outgoing { source, to, cc, bcc, reply_to: Vec::new(), return_path, tags, content: Content::Raw { bytes, parsed } };
    Ok((out, from_header))
}

/// SES reads a configuration set from the raw message's `X-SES-CONFIGURATION-SET` header when
/// the request names none.
pub fn header_config_set(bytes: &[u8]) -> Option<String> {
    mime::header_list(bytes).into_iter().find(|(n, _)| n.eq_ignore_ascii_case("X-SES-CONFIGURATION-SET")).map(|(_, v)| v)
}

async fn send_raw_email(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let bytes = input
        .get("RawMessage")
        .and_then(|r| r.get("Data"))
        .and_then(parse_blob)
        .ok_or_else(|| API.invalid("RawMessage.Data is required."))?;
    let set = string(input, "ConfigurationSetName").map(str::to_owned).or_else(|| header_config_set(&bytes));
    let destinations = string_list_member(input, "Destinations");
    let (out, from_header) = raw_outgoing(API, string(input, "Source"), &destinations, bytes, message_tags(input, "Tags"))?;
    let mut senders = vec![&out.source];
    senders.extend(from_header.iter());
    let prep = send::prepare(inner, ctx, API, &senders, set.as_deref())?;
    let id = send::deliver(inner, &prep, out).await?;
    Ok(json!({ "MessageId": id }))
}

async fn send_templated_email(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let env = envelope(input)?;
    let [to, cc, bcc] = destination(API, input.get("Destination"))?;
    check_recipients(API, to.len() + cc.len() + bcc.len())?;
    let name = template_name(input)?;
    let template = templates::load(inner, &ctx_scope(ctx), API, &name)?;
    let prep = send::prepare(inner, ctx, API, &[&env.source], string(input, "ConfigurationSetName"))?;
    let out = Outgoing {
        source: env.source,
        to,
        cc,
        bcc,
        reply_to: env.reply_to,
        return_path: env.return_path,
        tags: message_tags(input, "Tags"),
        content: Content::Template {
            name,
            parts: Parts::from(&template),
            data: string(input, "TemplateData").unwrap_or_default().to_owned(),
            headers: Vec::new(),
        },
    };
    let id = send::deliver(inner, &prep, out).await?;
    Ok(json!({ "MessageId": id }))
}

/// `Template`, or the name at the end of `TemplateArn`.
fn template_name(input: &Value) -> Res<String> {
    string(input, "Template")
        .map(str::to_owned)
        .or_else(|| string(input, "TemplateArn").and_then(|arn| arn.rsplit_once('/')).map(|(_, n)| n.to_owned()))
        .ok_or_else(|| API.invalid("Template is required."))
}

/// A destination's template data: the default data with the destination's replacement values
/// laid over it (AWS: the default applies where a destination gives no value).
pub fn merged_data(default: &str, replacement: Option<&str>) -> String {
    let Some(replacement) = replacement.filter(|r| !r.trim().is_empty()) else { return default.to_owned() };
    match (serde_json::from_str::<Map<String, Value>>(default), serde_json::from_str::<Map<String, Value>>(replacement)) {
        (Ok(mut base), Ok(over)) => {
            base.extend(over);
            Value::Object(base).to_string()
        }
        _ => replacement.to_owned(),
    }
}

async fn send_bulk_templated_email(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let env = envelope(input)?;
    let destinations = input.get("Destinations").and_then(Value::as_array).cloned().unwrap_or_default();
    if destinations.len() > send::MAX_RECIPIENTS {
        return Err(API.invalid(format!("Destinations count exceeds {}.", send::MAX_RECIPIENTS)));
    }
    let name = template_name(input)?;
    let template = templates::load(inner, &ctx_scope(ctx), API, &name)?;
    let default_data = string(input, "DefaultTemplateData").unwrap_or_default().to_owned();
    let default_tags = message_tags(input, "DefaultTags");
    let mut parsed = Vec::new();
    for d in &destinations {
        let [to, cc, bcc] = destination(API, d.get("Destination"))?;
        check_recipients(API, to.len() + cc.len() + bcc.len())?;
        let mut tags = default_tags.clone();
        for tag in message_tags(d, "ReplacementTags") {
            tags.retain(|t| t.key != tag.key);
            tags.push(tag);
        }
        parsed.push((to, cc, bcc, tags, merged_data(&default_data, string(d, "ReplacementTemplateData"))));
    }
    let prep = send::prepare(inner, ctx, API, &[&env.source], string(input, "ConfigurationSetName"))?;
    let mut status = Vec::new();
    for (to, cc, bcc, tags, data) in parsed {
        let out = Outgoing {
            source: env.source.clone(),
            to,
            cc,
            bcc,
            reply_to: env.reply_to.clone(),
            return_path: env.return_path.clone(),
            tags,
            content: Content::Template { name: name.clone(), parts: Parts::from(&template), data, headers: Vec::new() },
        };
        match send::deliver(inner, &prep, out).await {
            Ok(id) => status.push(json!({ "Status": "Success", "MessageId": id })),
            Err(e) => status.push(json!({ "Status": bulk_status(&e), "Error": e.message })),
        }
    }
    Ok(json!({ "Status": status }))
}

/// v1's BulkEmailStatus for an error of one destination.
fn bulk_status(e: &ServiceError) -> &'static str {
    match e.code.as_ref() {
        "MessageRejected" => "MessageRejected",
        "InvalidParameterValue" => "InvalidParameterValue",
        _ => "Failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_data_overrides_the_default_per_key() {
        let merged: Value = serde_json::from_str(&merged_data(r#"{"a":"1","b":"2"}"#, Some(r#"{"b":"3"}"#))).unwrap();
        assert_eq!(merged, json!({"a": "1", "b": "3"}));
        assert_eq!(merged_data(r#"{"a":"1"}"#, None), r#"{"a":"1"}"#);
    }
}
