//! Sending: the mailbox, verification, validation, templates, raw messages, v2 content kinds,
//! the simulator, suppression, statistics and durability.

use base64::Engine;
use serde_json::json;

use super::{Fixture, send_input};
use crate::{MailFilter, SesOptions};

#[tokio::test]
async fn a_verified_sender_sends_multipart_mail_into_the_mailbox() {
    let f = Fixture::new();
    f.verify("sender@example.com").await;
    let mut input = send_input("Sender <sender@example.com>", &["to@example.com"]);
    input["Destination"]["BccAddresses"] = json!(["hidden@example.com"]);
    input["ReplyToAddresses"] = json!(["reply@example.com"]);
    let id = f.ok1("SendEmail", input).await["MessageId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("0100") && id.ends_with("-000000"), "{id}");

    let raw = f.raw(&id);
    assert!(raw.contains("Content-Type: multipart/alternative"), "{raw}");
    assert!(raw.contains(&format!("Message-ID: <{id}@email.amazonses.com>")), "{raw}");
    assert!(raw.contains("Reply-To: <reply@example.com>") || raw.contains("Reply-To: reply@example.com"), "{raw}");
    assert!(!raw.to_ascii_lowercase().contains("\nbcc:"), "{raw}");

    let messages = f.messages(MailFilter::default());
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["bcc"], json!(["hidden@example.com"]));
    assert_eq!(messages[0]["text"], "plain body");
    let one = f.ses.message_json(&id).unwrap().unwrap();
    assert!(one["headers"].as_array().unwrap().iter().any(|h| h["name"] == "Subject" && h["value"] == "Hello"));

    let quota = f.ok1("GetSendQuota", json!({})).await;
    assert_eq!(quota, json!({"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 2.0}));
}

#[tokio::test]
async fn unverified_senders_are_rejected_and_domains_cover_their_addresses() {
    let f = Fixture::new();
    let e = f.err1("SendEmail", send_input("nobody@example.com", &["to@example.com"])).await;
    assert_eq!(e.code, "MessageRejected");
    assert_eq!(
        e.message,
        "Email address is not verified. The following identities failed the check in region US-EAST-1: nobody@example.com"
    );
    f.ok1("VerifyDomainIdentity", json!({"Domain": "example.com"})).await;
    f.ok1("SendEmail", send_input("anyone@mail.example.com", &["to@example.com"])).await;
}

#[tokio::test]
async fn required_verification_keeps_identities_pending_until_the_admin_verifies_them() {
    let f = Fixture::requiring_verification();
    f.verify("sender@example.com").await;
    let attrs = f.ok1("GetIdentityVerificationAttributes", json!({"Identities": ["sender@example.com"]})).await;
    assert_eq!(attrs["VerificationAttributes"]["sender@example.com"]["VerificationStatus"], "Pending");
    assert_eq!(f.err1("SendEmail", send_input("sender@example.com", &["to@example.com"])).await.code, "MessageRejected");
    assert!(f.ses.verify_identity("000000000000", "us-east-1", "sender@example.com").unwrap());
    assert!(!f.ses.verify_identity("000000000000", "us-east-1", "unknown@example.com").unwrap());
    f.ok1("SendEmail", send_input("sender@example.com", &["to@example.com"])).await;
    let v2 = f.ok2("GetEmailIdentity", json!({"EmailIdentity": "sender@example.com"})).await;
    assert_eq!(v2["VerificationStatus"], "SUCCESS");
}

#[tokio::test]
async fn addresses_and_recipient_counts_are_checked_as_ses_does() {
    let f = Fixture::new();
    f.verify("sender@example.com").await;
    let e = f.err1("SendEmail", send_input("sender@example.com", &["not-an-address"])).await;
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("InvalidParameterValue", "Missing final '@domain'"));
    let many: Vec<String> = (0..51).map(|i| format!("r{i}@example.com")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let e = f.err1("SendEmail", send_input("sender@example.com", &many)).await;
    assert_eq!(e.message, "Recipient count exceeds 50.");
    assert_eq!(f.err1("SendEmail", send_input("sender@example.com", &[])).await.code, "InvalidParameterValue");
    let e = f.err2("SendEmail", json!({"FromEmailAddress": "sender@example.com", "Destination": {"ToAddresses": ["a b@x.com"]},
        "Content": {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}}})).await;
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("BadRequestException", "Local address contains control or whitespace"));
}

#[tokio::test]
async fn templated_sends_render_and_missing_data_fails_later_with_an_event() {
    let f = Fixture::new();
    f.verify("sender@example.com").await;
    f.ok1("CreateTemplate", json!({"Template": {"TemplateName": "welcome", "SubjectPart": "Hi {{name}}",
        "TextPart": "Dear {{name}}", "HtmlPart": "<h1>{{name}}</h1>{{#each items}}<i>{{this}}</i>{{/each}}"}})).await;
    let e = f.err1("TestRenderTemplate", json!({"TemplateName": "welcome", "TemplateData": "{}"})).await;
    assert_eq!(e.code, "MissingRenderingAttributeException");
    assert_eq!(e.message, "Attribute 'name' is not present in the rendering data.");
    let rendered = f.ok1("TestRenderTemplate", json!({"TemplateName": "welcome", "TemplateData": r#"{"name":"Ana","items":["a","b"]}"#})).await;
    assert!(rendered["RenderedTemplate"].as_str().unwrap().contains("Subject: Hi Ana"));

    let input = json!({"Source": "sender@example.com", "Destination": {"ToAddresses": ["to@example.com"]},
        "Template": "welcome", "TemplateData": r#"{"name":"Ana","items":["x"]}"#});
    let id = f.ok1("SendTemplatedEmail", input).await["MessageId"].as_str().unwrap().to_owned();
    let m = f.ses.message_json(&id).unwrap().unwrap();
    assert_eq!((m["subject"].as_str(), m["html"].as_str()), (Some("Hi Ana"), Some("<h1>Ana</h1><i>x</i>")));

    // A missing attribute: accepted, not delivered, a Rendering Failure event.
    let topic = "arn:aws:sns:us-east-1:000000000000:events";
    f.ok1("CreateConfigurationSet", json!({"ConfigurationSet": {"Name": "cs"}})).await;
    f.ok1("CreateConfigurationSetEventDestination", json!({"ConfigurationSetName": "cs", "EventDestination": {
        "Name": "sns", "Enabled": true, "MatchingEventTypes": ["renderingFailure"], "SNSDestination": {"TopicARN": topic}}})).await;
    let input = json!({"Source": "sender@example.com", "Destination": {"ToAddresses": ["to@example.com"]},
        "Template": "welcome", "TemplateData": "{}", "ConfigurationSetName": "cs"});
    let id = f.ok1("SendTemplatedEmail", input).await["MessageId"].as_str().unwrap().to_owned();
    assert!(f.ses.message_json(&id).unwrap().is_none());
    let events = f.published(1).await;
    assert_eq!(events[0].0, topic);
    assert_eq!(events[0].1["eventType"], "Rendering Failure");
    assert_eq!(events[0].1["failure"]["errorMessage"], "Attribute 'name' is not present in the rendering data.");
    let e = f.err1("SendTemplatedEmail", json!({"Source": "sender@example.com", "Destination": {"ToAddresses": ["a@x.com"]},
        "Template": "nope", "TemplateData": "{}"})).await;
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("TemplateDoesNotExistException", "Template nope does not exist."));
}

#[tokio::test]
async fn bulk_templated_sends_merge_default_and_replacement_data() {
    let f = Fixture::new();
    f.verify("sender@example.com").await;
    f.ok2("CreateEmailTemplate", json!({"TemplateName": "t", "TemplateContent": {"Subject": "{{greeting}} {{name}}", "Text": "x"}})).await;
    let out = f.ok1("SendBulkTemplatedEmail", json!({"Source": "sender@example.com", "Template": "t",
        "DefaultTemplateData": r#"{"greeting":"Hi","name":"you"}"#,
        "Destinations": [
            {"Destination": {"ToAddresses": ["a@example.com"]}, "ReplacementTemplateData": r#"{"name":"Ana"}"#},
            {"Destination": {"ToAddresses": ["b@example.com"]}},
        ]})).await;
    let status = out["Status"].as_array().unwrap();
    assert!(status.iter().all(|s| s["Status"] == "Success"));
    let subjects: Vec<String> = f.messages(MailFilter::default()).iter().map(|m| m["subject"].as_str().unwrap().to_owned()).collect();
    assert_eq!(subjects, ["Hi Ana", "Hi you"]);

    let out = f.ok2("SendBulkEmail", json!({"FromEmailAddress": "sender@example.com",
        "DefaultContent": {"Template": {"TemplateName": "t", "TemplateData": r#"{"greeting":"Yo","name":"all"}"#}},
        "BulkEmailEntries": [{"Destination": {"ToAddresses": ["c@example.com"]}}]})).await;
    assert_eq!(out["BulkEmailEntryResults"][0]["Status"], "SUCCESS");
}

#[tokio::test]
async fn raw_messages_are_kept_as_given_with_recipients_from_headers() {
    let f = Fixture::new();
    f.verify("sender@example.com").await;
    let mime = "From: Sender <sender@example.com>\r\nTo: a@example.com\r\nCc: b@example.com\r\nSubject: Raw one\r\n\
                X-SES-CONFIGURATION-SET: none-such\r\nContent-Type: text/plain\r\n\r\nraw body\r\n";
    let data = base64::engine::general_purpose::STANDARD.encode(mime);
    let e = f.err1("SendRawEmail", json!({"RawMessage": {"Data": data}})).await;
    assert_eq!(e.code, "ConfigurationSetDoesNotExistException");
    let mime = mime.replace("X-SES-CONFIGURATION-SET: none-such\r\n", "");
    let data = base64::engine::general_purpose::STANDARD.encode(&mime);
    let id = f.ok1("SendRawEmail", json!({"RawMessage": {"Data": data}})).await["MessageId"].as_str().unwrap().to_owned();
    assert_eq!(f.raw(&id), mime);
    let m = f.ses.message_json(&id).unwrap().unwrap();
    assert_eq!((m["to"].clone(), m["cc"].clone(), m["subject"].clone()), (json!(["a@example.com"]), json!(["b@example.com"]), json!("Raw one")));
    let ls = f.ses.localstack_json(&MailFilter { id: Some(id), ..Default::default() }).unwrap();
    assert_eq!(ls["messages"][0]["RawData"], mime.as_str());

    let no_from = base64::engine::general_purpose::STANDARD.encode("To: a@example.com\r\n\r\nx");
    let e = f.err1("SendRawEmail", json!({"RawMessage": {"Data": no_from}})).await;
    assert_eq!(e.message, "Missing required header 'From'.");
    let unverified = base64::engine::general_purpose::STANDARD.encode("From: other@else.com\r\nTo: a@example.com\r\n\r\nx");
    let e = f.err1("SendRawEmail", json!({"Source": "sender@example.com", "RawMessage": {"Data": unverified}})).await;
    assert_eq!(e.code, "MessageRejected");
}

#[tokio::test]
async fn v2_sends_simple_raw_and_template_content() {
    let f = Fixture::new();
    f.ok2("CreateEmailIdentity", json!({"EmailIdentity": "example.com"})).await;
    let simple = f.ok2("SendEmail", json!({"FromEmailAddress": "app@example.com", "Destination": {"ToAddresses": ["u@example.com"]},
        "Content": {"Simple": {"Subject": {"Data": "Grüße"}, "Body": {"Text": {"Data": "t"}},
            "Headers": [{"Name": "X-Custom", "Value": "1"}],
            "Attachments": [{"FileName": "a.txt", "RawContent": "aGVsbG8=", "ContentType": "text/plain"}]}}})).await;
    let raw = f.raw(simple["MessageId"].as_str().unwrap());
    assert!(raw.contains("X-Custom: 1") && raw.contains("multipart/mixed") && raw.contains("a.txt"), "{raw}");
    assert!(raw.contains("Subject: =?utf-8?"), "{raw}");

    let mime = base64::engine::general_purpose::STANDARD.encode("From: app@example.com\r\nTo: u@example.com\r\nSubject: r\r\n\r\nb");
    f.ok2("SendEmail", json!({"Content": {"Raw": {"Data": mime}}})).await;
    let inline = f.ok2("SendEmail", json!({"FromEmailAddress": "app@example.com", "Destination": {"ToAddresses": ["u@example.com"]},
        "Content": {"Template": {"TemplateContent": {"Subject": "Hi {{n}}", "Text": "x"}, "TemplateData": r#"{"n":"Bo"}"#}}})).await;
    let m = f.ses.message_json(inline["MessageId"].as_str().unwrap()).unwrap().unwrap();
    assert_eq!(m["subject"], "Hi Bo");
    assert_eq!(f.messages(MailFilter { to: Some("U@EXAMPLE.COM".into()), ..Default::default() }).len(), 3);
    let e = f.err2("SendEmail", json!({"FromEmailAddress": "x@other.com", "Destination": {"ToAddresses": ["u@example.com"]},
        "Content": {"Simple": {"Subject": {"Data": "s"}, "Body": {}}}})).await;
    assert_eq!(e.code, "MessageRejected");
    let account = f.ok2("GetAccount", json!({})).await;
    assert_eq!(account["SendQuota"]["SentLast24Hours"], 3.0);
}

#[tokio::test]
async fn the_simulator_bounces_and_complains_to_the_identity_topics() {
    let f = Fixture::new();
    f.verify("sender@example.com").await;
    let topic = "arn:aws:sns:us-east-1:000000000000:feedback";
    for kind in ["Bounce", "Complaint", "Delivery"] {
        f.ok1("SetIdentityNotificationTopic", json!({"Identity": "sender@example.com", "NotificationType": kind, "SnsTopic": topic})).await;
    }
    let attrs = f.ok1("GetIdentityNotificationAttributes", json!({"Identities": ["sender@example.com"]})).await;
    assert_eq!(attrs["NotificationAttributes"]["sender@example.com"]["BounceTopic"], topic);

    let id = f.ok1("SendEmail", send_input("sender@example.com", &["bounce@simulator.amazonses.com"])).await["MessageId"].clone();
    let published = f.published(1).await;
    let bounce = &published[0].1;
    assert_eq!(bounce["notificationType"], "Bounce");
    assert_eq!(bounce["bounce"]["bounceType"], "Permanent");
    assert_eq!(bounce["bounce"]["bouncedRecipients"][0]["emailAddress"], "bounce@simulator.amazonses.com");
    assert_eq!(bounce["mail"]["messageId"], id);
    assert_eq!(bounce["mail"]["source"], "sender@example.com");
    // Forwarding is on by default: a bounce report lands in the sender's mailbox.
    let reports = f.messages(MailFilter { to: Some("sender@example.com".into()), ..Default::default() });
    assert_eq!(reports[0]["subject"], "Delivery Status Notification (Failure)");

    f.ok1("SendEmail", send_input("sender@example.com", &["complaint@simulator.amazonses.com"])).await;
    let published = f.published(3).await;
    let kinds: Vec<&str> = published.iter().map(|(_, n)| n["notificationType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Bounce", "Delivery", "Complaint"]);
    assert_eq!(published[2].1["complaint"]["complaintFeedbackType"], "abuse");

    f.ok1("SendEmail", send_input("sender@example.com", &["ooto@simulator.amazonses.com"])).await;
    let replies = f.messages(MailFilter { from: Some("ooto@simulator.amazonses.com".into()), ..Default::default() });
    assert_eq!(replies[0]["subject"], "Out of the office: Hello");

    let stats = f.ok1("GetSendStatistics", json!({})).await;
    let point = &stats["SendDataPoints"][0];
    assert_eq!((point["DeliveryAttempts"].as_u64(), point["Bounces"].as_u64(), point["Complaints"].as_u64()), (Some(3), Some(1), Some(1)));
    // Simulator recipients do not count against the quota.
    assert_eq!(f.ok1("GetSendQuota", json!({})).await["SentLast24Hours"], 0.0);
}

#[tokio::test]
async fn suppressed_recipients_are_accepted_not_delivered_and_bounce() {
    let f = Fixture::new();
    f.verify("sender@example.com").await;
    f.ok2("PutSuppressedDestination", json!({"EmailAddress": "Gone@Example.com", "Reason": "BOUNCE"})).await;
    f.ok2("CreateConfigurationSet", json!({"ConfigurationSetName": "cs"})).await;
    let topic = "arn:aws:sns:us-east-1:000000000000:cs-events";
    f.ok2("CreateConfigurationSetEventDestination", json!({"ConfigurationSetName": "cs", "EventDestinationName": "d",
        "EventDestination": {"Enabled": true, "MatchingEventTypes": ["SEND", "BOUNCE"], "SnsDestination": {"TopicArn": topic}}})).await;
    let mut input = send_input("sender@example.com", &["gone@example.com", "ok@example.com"]);
    input["ConfigurationSetName"] = json!("cs");
    let id = f.ok1("SendEmail", input).await["MessageId"].as_str().unwrap().to_owned();
    let m = f.ses.message_json(&id).unwrap().unwrap();
    assert_eq!(m["suppressed"], json!(["gone@example.com"]));
    let events = f.published(2).await;
    assert_eq!(events[0].1["eventType"], "Send");
    assert_eq!(events[0].1["mail"]["tags"]["ses:configuration-set"], json!(["cs"]));
    assert_eq!(events[1].1["eventType"], "Bounce");
    assert_eq!(events[1].1["bounce"]["bounceSubType"], "OnAccountSuppressionList");

    // With the account-level list off, nothing is suppressed.
    f.ok2("PutAccountSuppressionAttributes", json!({"SuppressedReasons": []})).await;
    let id = f.ok1("SendEmail", send_input("sender@example.com", &["gone@example.com"])).await["MessageId"].as_str().unwrap().to_owned();
    assert!(f.ses.message_json(&id).unwrap().unwrap().get("suppressed").is_none());
}

#[tokio::test]
async fn account_sending_can_be_paused() {
    let f = Fixture::new();
    f.verify("sender@example.com").await;
    f.ok1("UpdateAccountSendingEnabled", json!({"Enabled": false})).await;
    assert_eq!(f.ok1("GetAccountSendingEnabled", json!({})).await["Enabled"], false);
    assert_eq!(f.err1("SendEmail", send_input("sender@example.com", &["a@example.com"])).await.code, "AccountSendingPausedException");
    f.ok2("PutAccountSendingAttributes", json!({"SendingEnabled": true})).await;
    f.ok1("SendEmail", send_input("sender@example.com", &["a@example.com"])).await;
}

#[tokio::test]
async fn other_services_mail_and_mailbox_filters_and_deletes() {
    let f = Fixture::new();
    let id = f.ses.deliver_mail("000000000000", "us-east-1", "no-reply@sns.amazonaws.com", "user@example.com", "Note", "body").await.unwrap();
    let m = f.ses.message_json(&id).unwrap().unwrap();
    assert_eq!((m["origin"].as_str(), m["text"].as_str()), (Some("system"), Some("body")));
    f.clock.advance(std::time::Duration::from_secs(60));
    let later = f.ses.deliver_mail("000000000000", "us-east-1", "a@x.com", "b@x.com", "Later", "b").await.unwrap();
    let since = MailFilter { since_ms: Some(f.clock.now_millis()), ..Default::default() };
    assert_eq!(f.messages(since.clone())[0]["id"], later.as_str());
    assert_eq!(f.ses.delete_messages(&since).unwrap(), 1);
    assert_eq!(f.messages(MailFilter::default()).len(), 1);
    assert_eq!(f.ses.delete_messages(&MailFilter::default()).unwrap(), 1);
    assert!(f.ses.message_raw(&id).unwrap().is_none());
}

#[tokio::test]
async fn accepted_messages_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let f = Fixture::with(SesOptions::default(), nimbus_store::Store::open(dir.path()).unwrap());
        f.verify("sender@example.com").await;
        f.ok1("SendEmail", send_input("sender@example.com", &["to@example.com"])).await["MessageId"].as_str().unwrap().to_owned()
    };
    let f = Fixture::with(SesOptions::default(), nimbus_store::Store::open(dir.path()).unwrap());
    assert!(f.raw(&id).contains("multipart/alternative"));
    assert_eq!(f.ok1("ListIdentities", json!({})).await["Identities"], json!(["sender@example.com"]));
}
