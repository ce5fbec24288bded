//! SES v2 (rest-json): the operation dispatch, v2's sending operations read into the shared
//! send path ([`crate::send`]), and the account.

use nimbus_core::document::{parse_blob, string_list_member};
use nimbus_core::{RequestContext, ServiceError};
use serde_json::{Value, json};

use crate::address::Mailbox;
use crate::errors::{Api, Res};
use crate::mime::Attachment;
use crate::records::Tag;
use crate::send::{self, Content, Outgoing, check_recipients, mailbox, mailboxes};
use crate::templates::{self, Parts};
use crate::v1::{MAX_24_HOUR_SEND, MAX_SEND_RATE, destination, header_config_set, merged_data, raw_outgoing};
use crate::{Inner, config_sets, contacts, ctx_scope, identities, mailbox as mail, required, string, suppression};

const API: Api = Api::V2;

pub async fn call(inner: &Inner, ctx: &RequestContext, operation: &str, input: &Value) -> Res<Value> {
    match operation {
        "CreateEmailIdentity" => identities::create_email_identity(inner, ctx, input).await,
        "GetEmailIdentity" => identities::get_email_identity(inner, ctx, input),
        "ListEmailIdentities" => identities::list_email_identities(inner, ctx, input),
        "DeleteEmailIdentity" => identities::delete_email_identity(inner, ctx, input).await,
        "PutEmailIdentityFeedbackAttributes" => {
            let enabled = input.get("EmailForwardingEnabled").and_then(Value::as_bool).unwrap_or(false);
            identities::set_feedback_forwarding(inner, ctx, API, required(API, input, "EmailIdentity")?, enabled).await
        }
        "PutEmailIdentityConfigurationSetAttributes" => identities::put_configuration_set_attributes(inner, ctx, input).await,
        "SendEmail" => send_email(inner, ctx, input).await,
        "SendBulkEmail" => send_bulk_email(inner, ctx, input).await,
        "CreateEmailTemplate" => templates::create_email_template(inner, ctx, input).await,
        "GetEmailTemplate" => templates::get_email_template(inner, ctx, input),
        "UpdateEmailTemplate" => templates::update_email_template(inner, ctx, input).await,
        "DeleteEmailTemplate" => templates::delete_email_template(inner, ctx, input).await,
        "ListEmailTemplates" => templates::list_email_templates(inner, ctx, input),
        "TestRenderEmailTemplate" => templates::test_render_email_template(inner, ctx, input),
        "CreateConfigurationSet" => config_sets::v2_create(inner, ctx, input).await,
        "GetConfigurationSet" => config_sets::v2_get(inner, ctx, input),
        "ListConfigurationSets" => config_sets::v2_list(inner, ctx, input),
        "DeleteConfigurationSet" => config_sets::v2_delete(inner, ctx, input).await,
        "CreateConfigurationSetEventDestination" => config_sets::v2_put_destination(inner, ctx, input, true).await,
        "UpdateConfigurationSetEventDestination" => config_sets::v2_put_destination(inner, ctx, input, false).await,
        "GetConfigurationSetEventDestinations" => config_sets::v2_get_destinations(inner, ctx, input),
        "DeleteConfigurationSetEventDestination" => config_sets::delete_destination(inner, ctx, API, input).await,
        "GetAccount" => get_account(inner, ctx),
        "PutAccountSendingAttributes" => {
            let enabled = input.get("SendingEnabled").and_then(Value::as_bool).unwrap_or(true);
            suppression::update_account(inner, ctx, move |a| a.sending_enabled = enabled).await?;
            Ok(json!({}))
        }
        "PutAccountSuppressionAttributes" => suppression::put_account_attributes(inner, ctx, input).await,
        "PutSuppressedDestination" => suppression::put(inner, ctx, input).await,
        "GetSuppressedDestination" => suppression::get(inner, ctx, input),
        "ListSuppressedDestinations" => suppression::list(inner, ctx, input),
        "DeleteSuppressedDestination" => suppression::delete(inner, ctx, input).await,
        "CreateContactList" => contacts::create_list(inner, ctx, input).await,
        "GetContactList" => contacts::get_list(inner, ctx, input),
        "ListContactLists" => contacts::list_lists(inner, ctx, input),
        "UpdateContactList" => contacts::update_list(inner, ctx, input).await,
        "DeleteContactList" => contacts::delete_list(inner, ctx, input).await,
        "CreateContact" => contacts::create_contact(inner, ctx, input).await,
        "GetContact" => contacts::get_contact(inner, ctx, input),
        "ListContacts" => contacts::list_contacts(inner, ctx, input),
        "UpdateContact" => contacts::update_contact(inner, ctx, input).await,
        "DeleteContact" => contacts::delete_contact(inner, ctx, input).await,
        _ => Err(ServiceError::not_implemented("SESv2", operation)),
    }
}

fn get_account(inner: &Inner, ctx: &RequestContext) -> Res<Value> {
    let account = suppression::account(inner, ctx)?;
    Ok(json!({
        "DedicatedIpAutoWarmupEnabled": false,
        "EnforcementStatus": "HEALTHY",
        "ProductionAccessEnabled": false,
        "SendQuota": {
            "Max24HourSend": MAX_24_HOUR_SEND,
            "MaxSendRate": MAX_SEND_RATE,
            "SentLast24Hours": mail::sent_last_24_hours(inner, &ctx.account_id, &ctx.region)? as f64,
        },
        "SendingEnabled": account.sending_enabled,
        "SuppressionAttributes": { "SuppressedReasons": account.suppressed_reasons },
    }))
}

fn email_tags(input: &Value, member: &str) -> Vec<Tag> {
    nimbus_core::service::tag_list(input, member, "Name", "Value")
        .into_iter()
        .map(|(k, v)| Tag { key: k.to_owned(), value: v.to_owned() })
        .collect()
}

fn headers(doc: &Value) -> Vec<(String, String)> {
    nimbus_core::service::tag_list(doc, "Headers", "Name", "Value").into_iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect()
}

fn attachments(message: &Value) -> Res<Vec<Attachment>> {
    let mut out = Vec::new();
    for a in message.get("Attachments").and_then(Value::as_array).into_iter().flatten() {
        let data = a.get("RawContent").and_then(parse_blob).ok_or_else(|| API.invalid("Attachment RawContent is not base64."))?;
        out.push(Attachment {
            file_name: string(a, "FileName").unwrap_or("attachment").to_owned(),
            content_type: string(a, "ContentType").unwrap_or("application/octet-stream").to_owned(),
            data,
            inline: string(a, "ContentDisposition") == Some("INLINE"),
            content_id: string(a, "ContentId").map(str::to_owned),
        });
    }
    Ok(out)
}

fn from_address(input: &Value) -> Res<Mailbox> {
    let from = string(input, "FromEmailAddress").ok_or_else(|| API.invalid("FromEmailAddress is required."))?;
    mailbox(API, from)
}

/// A Template structure's template: stored (by name or ARN) or inline (TemplateContent).
fn template_of(inner: &Inner, ctx: &RequestContext, t: &Value) -> Res<(String, Parts)> {
    if let Some(content) = t.get("TemplateContent") {
        return Ok((String::new(), templates::v2_parts(Some(content))));
    }
    let name = string(t, "TemplateName")
        .map(str::to_owned)
        .or_else(|| string(t, "TemplateArn").and_then(|arn| arn.rsplit_once('/')).map(|(_, n)| n.to_owned()))
        .ok_or_else(|| API.invalid("Template requires TemplateName, TemplateArn or TemplateContent."))?;
    let template = templates::load(inner, &ctx_scope(ctx), API, &name)?;
    Ok((name, Parts::from(&template)))
}

async fn send_email(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let content = input.get("Content").cloned().unwrap_or_default();
    let tags = email_tags(input, "EmailTags");
    let set = string(input, "ConfigurationSetName").map(str::to_owned);
    let reply_to = mailboxes(API, &string_list_member(input, "ReplyToAddresses"))?;
    let feedback = string(input, "FeedbackForwardingEmailAddress").map(|a| mailbox(API, a)).transpose()?;
    if let Some(raw) = content.get("Raw") {
        let bytes = raw.get("Data").and_then(parse_blob).ok_or_else(|| API.invalid("Raw message data is not base64."))?;
        let set = set.or_else(|| header_config_set(&bytes));
        let d = input.get("Destination").cloned().unwrap_or_default();
        let destinations: Vec<String> =
            ["ToAddresses", "CcAddresses", "BccAddresses"].iter().flat_map(|m| string_list_member(&d, m)).collect();
        let (mut out, from_header) = raw_outgoing(API, string(input, "FromEmailAddress"), &destinations, bytes, tags)?;
        if feedback.is_some() {
            out.return_path = feedback;
        }
        let mut senders = vec![&out.source];
        senders.extend(from_header.iter());
        let prep = send::prepare(inner, ctx, API, &senders, set.as_deref())?;
        let id = send::deliver(inner, &prep, out).await?;
        return Ok(json!({ "MessageId": id }));
    }
    let source = from_address(input)?;
    let [to, cc, bcc] = destination(API, input.get("Destination"))?;
    check_recipients(API, to.len() + cc.len() + bcc.len())?;
    let body = if let Some(simple) = content.get("Simple") {
        let data = |path: &[&str]| path.iter().try_fold(simple, |v, k| v.get(*k)).and_then(|v| string(v, "Data")).map(str::to_owned);
        Content::Simple {
            subject: data(&["Subject"]).unwrap_or_default(),
            text: data(&["Body", "Text"]),
            html: data(&["Body", "Html"]),
            headers: headers(simple),
            attachments: attachments(simple)?,
        }
    } else if let Some(t) = content.get("Template") {
        let (name, parts) = template_of(inner, ctx, t)?;
        Content::Template { name, parts, data: string(t, "TemplateData").unwrap_or_default().to_owned(), headers: headers(t) }
    } else {
        return Err(API.invalid("Content must have one of Simple, Raw or Template."));
    };
    let prep = send::prepare(inner, ctx, API, &[&source], set.as_deref())?;
    let out = Outgoing { source, to, cc, bcc, reply_to, return_path: feedback, tags, content: body };
    let id = send::deliver(inner, &prep, out).await?;
    Ok(json!({ "MessageId": id }))
}

async fn send_bulk_email(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let source = from_address(input)?;
    let reply_to = mailboxes(API, &string_list_member(input, "ReplyToAddresses"))?;
    let feedback = string(input, "FeedbackForwardingEmailAddress").map(|a| mailbox(API, a)).transpose()?;
    let template = input
        .get("DefaultContent")
        .and_then(|c| c.get("Template"))
        .cloned()
        .ok_or_else(|| API.invalid("DefaultContent must have a Template."))?;
    let (name, parts) = template_of(inner, ctx, &template)?;
    let default_data = string(&template, "TemplateData").unwrap_or_default().to_owned();
    let default_headers = headers(&template);
    let default_tags = email_tags(input, "DefaultEmailTags");
    let entries = input.get("BulkEmailEntries").and_then(Value::as_array).cloned().unwrap_or_default();
    if entries.is_empty() || entries.len() > send::MAX_RECIPIENTS {
        return Err(API.invalid(format!("BulkEmailEntries must have 1 to {} entries.", send::MAX_RECIPIENTS)));
    }
    let mut parsed = Vec::new();
    for e in &entries {
        let [to, cc, bcc] = destination(API, e.get("Destination"))?;
        check_recipients(API, to.len() + cc.len() + bcc.len())?;
        let replacement = e.get("ReplacementEmailContent").and_then(|c| c.get("ReplacementTemplate")).and_then(|t| string(t, "ReplacementTemplateData"));
        let mut tags = default_tags.clone();
        for tag in email_tags(e, "ReplacementTags") {
            tags.retain(|t| t.key != tag.key);
            tags.push(tag);
        }
        let mut entry_headers = default_headers.clone();
        entry_headers.extend(nimbus_core::service::tag_list(e, "ReplacementHeaders", "Name", "Value").into_iter().map(|(n, v)| (n.to_owned(), v.to_owned())));
        parsed.push((to, cc, bcc, tags, merged_data(&default_data, replacement), entry_headers));
    }
    let prep = send::prepare(inner, ctx, API, &[&source], string(input, "ConfigurationSetName"))?;
    let mut results = Vec::new();
    for (to, cc, bcc, tags, data, headers) in parsed {
        let out = Outgoing {
            source: source.clone(),
            to,
            cc,
            bcc,
            reply_to: reply_to.clone(),
            return_path: feedback.clone(),
            tags,
            content: Content::Template { name: name.clone(), parts: parts.clone(), data, headers },
        };
        match send::deliver(inner, &prep, out).await {
            Ok(id) => results.push(json!({ "Status": "SUCCESS", "MessageId": id })),
            Err(e) => {
                let status = if e.code == "MessageRejected" { "MESSAGE_REJECTED" } else { "FAILED" };
                results.push(json!({ "Status": status, "Error": e.message }));
            }
        }
    }
    Ok(json!({ "BulkEmailEntryResults": results }))
}
