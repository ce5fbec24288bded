//! Identities, templates, configuration sets, the suppression list and contacts.

use serde_json::json;

use super::Fixture;

#[tokio::test]
async fn identities_through_v1_and_v2_are_one_set() {
    let f = Fixture::new();
    f.verify("a@example.com").await;
    f.ok1("VerifyEmailAddress", json!({"EmailAddress": "b@example.com"})).await;
    let token = f.ok1("VerifyDomainIdentity", json!({"Domain": "Example.org"})).await["VerificationToken"].clone();
    assert_eq!(f.ok1("VerifyDomainIdentity", json!({"Domain": "example.org"})).await["VerificationToken"], token);
    let dkim = f.ok1("VerifyDomainDkim", json!({"Domain": "example.org"})).await["DkimTokens"].clone();
    assert_eq!(dkim.as_array().unwrap().len(), 3);
    f.ok2("CreateEmailIdentity", json!({"EmailIdentity": "c.example.net", "Tags": [{"Key": "k", "Value": "v"}]})).await;

    let all = f.ok1("ListIdentities", json!({})).await["Identities"].clone();
    assert_eq!(all, json!(["a@example.com", "b@example.com", "c.example.net", "Example.org"]));
    let domains = f.ok1("ListIdentities", json!({"IdentityType": "Domain"})).await["Identities"].clone();
    assert_eq!(domains, json!(["c.example.net", "Example.org"]));
    let page = f.ok1("ListIdentities", json!({"MaxItems": 3})).await;
    assert_eq!(page["Identities"].as_array().unwrap().len(), 3);
    let rest = f.ok1("ListIdentities", json!({"MaxItems": 3, "NextToken": page["NextToken"]})).await;
    assert_eq!(rest["Identities"], json!(["Example.org"]));
    assert!(rest.get("NextToken").is_none());

    let attrs = f.ok1("GetIdentityDkimAttributes", json!({"Identities": ["example.org", "a@example.com"]})).await;
    assert_eq!(attrs["DkimAttributes"]["Example.org"]["DkimTokens"], dkim);
    assert_eq!(attrs["DkimAttributes"]["a@example.com"]["DkimVerificationStatus"], "NotStarted");
    let v2 = f.ok2("GetEmailIdentity", json!({"EmailIdentity": "c.example.net"})).await;
    assert_eq!((v2["IdentityType"].as_str(), v2["VerifiedForSendingStatus"].as_bool()), (Some("DOMAIN"), Some(true)));
    assert_eq!(v2["DkimAttributes"]["Tokens"].as_array().unwrap().len(), 3);
    assert_eq!(f.err2("CreateEmailIdentity", json!({"EmailIdentity": "a@example.com"})).await.code, "AlreadyExistsException");

    let listed = f.ok2("ListEmailIdentities", json!({})).await["EmailIdentities"].clone();
    assert_eq!(listed[0], json!({"IdentityType": "EMAIL_ADDRESS", "IdentityName": "a@example.com", "SendingEnabled": true, "VerificationStatus": "SUCCESS"}));
    assert_eq!(f.ok1("ListVerifiedEmailAddresses", json!({})).await["VerifiedEmailAddresses"], json!(["a@example.com", "b@example.com"]));

    f.ok1("DeleteIdentity", json!({"Identity": "a@example.com"})).await;
    f.ok1("DeleteIdentity", json!({"Identity": "a@example.com"})).await;
    assert_eq!(f.err2("GetEmailIdentity", json!({"EmailIdentity": "a@example.com"})).await.code, "NotFoundException");
    f.ok2("DeleteEmailIdentity", json!({"EmailIdentity": "b@example.com"})).await;
    assert_eq!(f.err2("DeleteEmailIdentity", json!({"EmailIdentity": "b@example.com"})).await.code, "NotFoundException");
    assert_eq!(f.err1("VerifyEmailIdentity", json!({"EmailAddress": "bad"})).await.code, "InvalidParameterValue");
}

#[tokio::test]
async fn feedback_forwarding_needs_topics_to_be_switched_off() {
    let f = Fixture::new();
    f.verify("a@example.com").await;
    let off = json!({"Identity": "a@example.com", "ForwardingEnabled": false});
    assert_eq!(f.err1("SetIdentityFeedbackForwardingEnabled", off.clone()).await.code, "InvalidParameterValue");
    for kind in ["Bounce", "Complaint"] {
        f.ok1("SetIdentityNotificationTopic", json!({"Identity": "a@example.com", "NotificationType": kind,
            "SnsTopic": "arn:aws:sns:us-east-1:000000000000:t"})).await;
    }
    f.ok1("SetIdentityFeedbackForwardingEnabled", off).await;
    f.ok1("SetIdentityHeadersInNotificationsEnabled", json!({"Identity": "a@example.com", "NotificationType": "Bounce", "Enabled": true})).await;
    let attrs = f.ok1("GetIdentityNotificationAttributes", json!({"Identities": ["a@example.com"]})).await;
    let a = &attrs["NotificationAttributes"]["a@example.com"];
    assert_eq!((a["ForwardingEnabled"].as_bool(), a["HeadersInBounceNotificationsEnabled"].as_bool()), (Some(false), Some(true)));
    assert!(a.get("DeliveryTopic").is_none());
    let e = f.err1("SetIdentityNotificationTopic", json!({"Identity": "nobody@example.com", "NotificationType": "Bounce"})).await;
    assert_eq!(e.code, "InvalidParameterValue");
}

#[tokio::test]
async fn templates_through_both_apis() {
    let f = Fixture::new();
    f.ok1("CreateTemplate", json!({"Template": {"TemplateName": "one", "SubjectPart": "s", "TextPart": "t"}})).await;
    let e = f.err1("CreateTemplate", json!({"Template": {"TemplateName": "one"}})).await;
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("AlreadyExistsException", "Template one already exists."));
    assert_eq!(f.err1("CreateTemplate", json!({"Template": {"TemplateName": "bad name"}})).await.code, "InvalidParameterValue");
    assert_eq!(f.err1("CreateTemplate", json!({"Template": {"TemplateName": "broken", "TextPart": "{{#if x}}"}})).await.code, "InvalidTemplateException");
    f.ok2("CreateEmailTemplate", json!({"TemplateName": "two", "TemplateContent": {"Subject": "S2", "Html": "<b>h</b>"}})).await;

    let got = f.ok2("GetEmailTemplate", json!({"TemplateName": "one"})).await;
    assert_eq!(got["TemplateContent"], json!({"Subject": "s", "Text": "t"}));
    let got = f.ok1("GetTemplate", json!({"TemplateName": "two"})).await;
    assert_eq!(got["Template"], json!({"TemplateName": "two", "SubjectPart": "S2", "HtmlPart": "<b>h</b>"}));
    f.ok1("UpdateTemplate", json!({"Template": {"TemplateName": "two", "SubjectPart": "new"}})).await;
    assert_eq!(f.ok2("GetEmailTemplate", json!({"TemplateName": "two"})).await["TemplateContent"], json!({"Subject": "new"}));
    assert_eq!(f.err1("UpdateTemplate", json!({"Template": {"TemplateName": "zzz"}})).await.code, "TemplateDoesNotExistException");

    let listed = f.ok1("ListTemplates", json!({"MaxItems": 1})).await;
    assert_eq!(listed["TemplatesMetadata"][0]["Name"], "one");
    let next = f.ok1("ListTemplates", json!({"MaxItems": 1, "NextToken": listed["NextToken"]})).await;
    assert_eq!(next["TemplatesMetadata"][0]["Name"], "two");
    assert_eq!(f.ok2("ListEmailTemplates", json!({})).await["TemplatesMetadata"].as_array().unwrap().len(), 2);

    let e = f.err2("TestRenderEmailTemplate", json!({"TemplateName": "one", "TemplateData": "not json"})).await;
    assert_eq!(e.code, "BadRequestException");
    f.ok1("DeleteTemplate", json!({"TemplateName": "one"})).await;
    f.ok1("DeleteTemplate", json!({"TemplateName": "one"})).await;
    assert_eq!(f.err2("DeleteEmailTemplate", json!({"TemplateName": "one"})).await.code, "NotFoundException");
    f.ok2("DeleteEmailTemplate", json!({"TemplateName": "two"})).await;
}

#[tokio::test]
async fn configuration_sets_and_destinations_through_both_apis() {
    let f = Fixture::new();
    f.ok1("CreateConfigurationSet", json!({"ConfigurationSet": {"Name": "one"}})).await;
    assert_eq!(f.err1("CreateConfigurationSet", json!({"ConfigurationSet": {"Name": "one"}})).await.code, "ConfigurationSetAlreadyExistsException");
    assert_eq!(f.err2("CreateConfigurationSet", json!({"ConfigurationSetName": "one"})).await.code, "AlreadyExistsException");
    f.ok2("CreateConfigurationSet", json!({"ConfigurationSetName": "two", "DeliveryOptions": {"TlsPolicy": "REQUIRE"},
        "Tags": [{"Key": "team", "Value": "mail"}]})).await;
    let topic = "arn:aws:sns:us-east-1:000000000000:t";
    f.ok1("CreateConfigurationSetEventDestination", json!({"ConfigurationSetName": "one", "EventDestination": {
        "Name": "d1", "Enabled": true, "MatchingEventTypes": ["send", "renderingFailure"], "SNSDestination": {"TopicARN": topic}}})).await;
    let e = f.err1("CreateConfigurationSetEventDestination", json!({"ConfigurationSetName": "one", "EventDestination": {
        "Name": "d1", "MatchingEventTypes": ["send"]}})).await;
    assert_eq!(e.code, "EventDestinationAlreadyExistsException");
    let v2 = f.ok2("GetConfigurationSetEventDestinations", json!({"ConfigurationSetName": "one"})).await;
    assert_eq!(v2["EventDestinations"][0]["MatchingEventTypes"], json!(["SEND", "RENDERING_FAILURE"]));
    assert_eq!(v2["EventDestinations"][0]["SnsDestination"]["TopicArn"], topic);
    f.ok2("UpdateConfigurationSetEventDestination", json!({"ConfigurationSetName": "one", "EventDestinationName": "d1",
        "EventDestination": {"Enabled": false, "MatchingEventTypes": ["BOUNCE"]}})).await;
    let v1 = f.ok1("DescribeConfigurationSet", json!({"ConfigurationSetName": "one", "ConfigurationSetAttributeNames": ["eventDestinations"]})).await;
    assert_eq!(v1["EventDestinations"][0]["MatchingEventTypes"], json!(["bounce"]));
    assert_eq!(v1["EventDestinations"][0]["Enabled"], false);
    let two = f.ok1("DescribeConfigurationSet", json!({"ConfigurationSetName": "two", "ConfigurationSetAttributeNames": ["deliveryOptions"]})).await;
    assert_eq!(two["DeliveryOptions"], json!({"TlsPolicy": "REQUIRE"}));
    assert_eq!(f.ok2("GetConfigurationSet", json!({"ConfigurationSetName": "two"})).await["Tags"][0]["Key"], "team");
    assert_eq!(f.ok1("ListConfigurationSets", json!({})).await["ConfigurationSets"], json!([{"Name": "one"}, {"Name": "two"}]));
    assert_eq!(f.ok2("ListConfigurationSets", json!({})).await["ConfigurationSets"], json!(["one", "two"]));
    f.ok1("DeleteConfigurationSetEventDestination", json!({"ConfigurationSetName": "one", "EventDestinationName": "d1"})).await;
    let e = f.err2("DeleteConfigurationSetEventDestination", json!({"ConfigurationSetName": "one", "EventDestinationName": "d1"})).await;
    assert_eq!(e.code, "NotFoundException");
    f.ok1("DeleteConfigurationSet", json!({"ConfigurationSetName": "one"})).await;
    assert_eq!(f.err1("DeleteConfigurationSet", json!({"ConfigurationSetName": "one"})).await.code, "ConfigurationSetDoesNotExistException");

    // An identity's default configuration set applies to its sends.
    f.ok2("CreateEmailIdentity", json!({"EmailIdentity": "s@example.com"})).await;
    f.ok2("PutEmailIdentityConfigurationSetAttributes", json!({"EmailIdentity": "s@example.com", "ConfigurationSetName": "two"})).await;
    let sent = f.ok1("SendEmail", super::send_input("s@example.com", &["r@example.com"])).await;
    let m = f.ses.message_json(sent["MessageId"].as_str().unwrap()).unwrap().unwrap();
    assert_eq!(m["configurationSet"], "two");
}

#[tokio::test]
async fn the_suppression_list() {
    let f = Fixture::new();
    f.ok2("PutSuppressedDestination", json!({"EmailAddress": "a@example.com", "Reason": "BOUNCE"})).await;
    f.ok2("PutSuppressedDestination", json!({"EmailAddress": "b@example.com", "Reason": "COMPLAINT"})).await;
    assert_eq!(f.err2("PutSuppressedDestination", json!({"EmailAddress": "c@example.com", "Reason": "OTHER"})).await.code, "BadRequestException");
    let got = f.ok2("GetSuppressedDestination", json!({"EmailAddress": "A@example.com"})).await;
    assert_eq!(got["SuppressedDestination"]["Reason"], "BOUNCE");
    let complaints = f.ok2("ListSuppressedDestinations", json!({"Reasons": ["COMPLAINT"]})).await;
    assert_eq!(complaints["SuppressedDestinationSummaries"][0]["EmailAddress"], "b@example.com");
    assert_eq!(f.ok2("ListSuppressedDestinations", json!({"PageSize": 1})).await["SuppressedDestinationSummaries"].as_array().unwrap().len(), 1);
    f.ok2("DeleteSuppressedDestination", json!({"EmailAddress": "a@example.com"})).await;
    assert_eq!(f.err2("GetSuppressedDestination", json!({"EmailAddress": "a@example.com"})).await.code, "NotFoundException");
    let account = f.ok2("GetAccount", json!({})).await;
    assert_eq!(account["SuppressionAttributes"]["SuppressedReasons"], json!(["BOUNCE", "COMPLAINT"]));
    assert_eq!(account["ProductionAccessEnabled"], false);
}

#[tokio::test]
async fn contact_lists_and_contacts() {
    let f = Fixture::new();
    f.ok2("CreateContactList", json!({"ContactListName": "news", "Description": "d",
        "Topics": [{"TopicName": "sports", "DisplayName": "Sports", "DefaultSubscriptionStatus": "OPT_IN"},
                   {"TopicName": "deals", "DisplayName": "Deals", "DefaultSubscriptionStatus": "OPT_OUT"}]})).await;
    assert_eq!(f.err2("CreateContactList", json!({"ContactListName": "news"})).await.code, "AlreadyExistsException");
    assert_eq!(f.err2("CreateContactList", json!({"ContactListName": "other"})).await.code, "LimitExceededException");
    f.ok2("CreateContact", json!({"ContactListName": "news", "EmailAddress": "a@example.com",
        "TopicPreferences": [{"TopicName": "deals", "SubscriptionStatus": "OPT_IN"}], "AttributesData": "{\"n\":1}"})).await;
    f.ok2("CreateContact", json!({"ContactListName": "news", "EmailAddress": "b@example.com", "UnsubscribeAll": true})).await;
    assert_eq!(f.err2("CreateContact", json!({"ContactListName": "news", "EmailAddress": "a@example.com"})).await.code, "AlreadyExistsException");
    assert_eq!(f.err2("CreateContact", json!({"ContactListName": "nope", "EmailAddress": "x@example.com"})).await.code, "NotFoundException");

    let a = f.ok2("GetContact", json!({"ContactListName": "news", "EmailAddress": "a@example.com"})).await;
    assert_eq!(a["TopicPreferences"], json!([{"TopicName": "deals", "SubscriptionStatus": "OPT_IN"}]));
    assert_eq!(a["TopicDefaultPreferences"].as_array().unwrap().len(), 2);
    let sports_in = f.ok2("ListContacts", json!({"ContactListName": "news", "Filter": {"FilteredStatus": "OPT_IN",
        "TopicFilter": {"TopicName": "sports", "UseDefaultIfPreferenceUnavailable": true}}})).await;
    assert_eq!(sports_in["Contacts"].as_array().unwrap().len(), 1);
    assert_eq!(sports_in["Contacts"][0]["EmailAddress"], "a@example.com");
    f.ok2("UpdateContact", json!({"ContactListName": "news", "EmailAddress": "b@example.com", "UnsubscribeAll": false})).await;
    assert_eq!(f.ok2("ListContacts", json!({"ContactListName": "news"})).await["Contacts"].as_array().unwrap().len(), 2);
    f.ok2("UpdateContactList", json!({"ContactListName": "news", "Description": "new"})).await;
    assert_eq!(f.ok2("GetContactList", json!({"ContactListName": "news"})).await["Description"], "new");
    assert_eq!(f.ok2("ListContactLists", json!({})).await["ContactLists"][0]["ContactListName"], "news");
    f.ok2("DeleteContact", json!({"ContactListName": "news", "EmailAddress": "a@example.com"})).await;
    assert_eq!(f.err2("GetContact", json!({"ContactListName": "news", "EmailAddress": "a@example.com"})).await.code, "NotFoundException");
    f.ok2("DeleteContactList", json!({"ContactListName": "news"})).await;
    f.ok2("CreateContactList", json!({"ContactListName": "news"})).await;
    assert_eq!(f.ok2("ListContacts", json!({"ContactListName": "news"})).await["Contacts"], json!([]));
}
