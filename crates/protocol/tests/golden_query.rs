//! awsQuery golden tests: raw HTTP requests as SDKs send them → the exact input document, and
//! output documents / errors → the exact HTTP response (status, headers, body bytes).

use http::Method;
use nimbus_core::ServiceError;
use nimbus_model::ServiceModel;
use nimbus_protocol::{HttpRequest, Protocol, Wire, decode_request, encode_error, encode_response, operation_name, query};
use serde_json::json;

mod common;
use common::{headers, model, request, text};

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

fn post_form(body: &str) -> HttpRequest {
    request(Method::POST, "/", &[("content-type", FORM)], body)
}

const REQUEST_ID: &str = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE";

fn wire(model: &'static ServiceModel) -> Wire<'static> {
    common::wire(Protocol::AwsQuery, model, REQUEST_ID)
}

fn decode(service: &str, req: &HttpRequest) -> Result<(String, serde_json::Value), ServiceError> {
    common::decode(&wire(model(service)), req)
}

fn xml_headers() -> Vec<(String, String)> {
    vec![
        ("content-type".to_owned(), "text/xml".to_owned()),
        ("x-amzn-requestid".to_owned(), "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE".to_owned()),
    ]
}

#[test]
fn sts_get_caller_identity_round_trip() {
    let req = post_form("Action=GetCallerIdentity&Version=2011-06-15");
    let (name, input) = decode("sts", &req).unwrap();
    assert_eq!(name, "GetCallerIdentity");
    assert_eq!(input, json!({}));

    let sts = model("sts");
    let op = sts.operation("GetCallerIdentity").unwrap();
    let output = json!({"UserId": "AIDASAMPLEUSERID", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/Alice"});
    let resp = encode_response(&wire(sts), op, &output);
    assert_eq!(resp.status, 200);
    assert_eq!(headers(&resp), xml_headers());
    assert_eq!(
        text(&resp),
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <GetCallerIdentityResult>\
         <UserId>AIDASAMPLEUSERID</UserId><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/Alice</Arn>\
         </GetCallerIdentityResult>\
         <ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>\
         </GetCallerIdentityResponse>"
    );
}

#[test]
fn get_requests_carry_the_action_in_the_query_string() {
    let req = request(Method::GET, "/?Action=GetCallerIdentity&Version=2011-06-15", &[], "");
    let (name, input) = decode("sts", &req).unwrap();
    assert_eq!((name.as_str(), input), ("GetCallerIdentity", json!({})));
}

#[test]
fn sts_assume_role_lists_of_structures_and_numbers() {
    let body = "Action=AssumeRole&Version=2011-06-15\
        &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo\
        &RoleSessionName=session-1\
        &DurationSeconds=3600\
        &PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess\
        &PolicyArns.member.2.arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2FExtra\
        &Tags.member.1.Key=Project&Tags.member.1.Value=Unicorn\
        &Tags.member.2.Key=Team&Tags.member.2.Value=A%20%26%20B\
        &TransitiveTagKeys.member.1=Project\
        &Policy=%7B%22Version%22%3A%222012-10-17%22%7D";
    let (name, input) = decode("sts", &post_form(body)).unwrap();
    assert_eq!(name, "AssumeRole");
    assert_eq!(
        input,
        json!({
            "RoleArn": "arn:aws:iam::123456789012:role/demo",
            "RoleSessionName": "session-1",
            "PolicyArns": [
                {"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                {"arn": "arn:aws:iam::123456789012:policy/Extra"}
            ],
            "Policy": "{\"Version\":\"2012-10-17\"}",
            "DurationSeconds": 3600,
            "Tags": [{"Key": "Project", "Value": "Unicorn"}, {"Key": "Team", "Value": "A & B"}],
            "TransitiveTagKeys": ["Project"]
        })
    );

    let sts = model("sts");
    let op = sts.operation("AssumeRole").unwrap();
    let output = json!({
        "Credentials": {
            "AccessKeyId": "ASIAEXAMPLE",
            "SecretAccessKey": "secret/key+",
            "SessionToken": "token<&>",
            "Expiration": 1_704_168_245
        },
        "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:session-1", "Arn": "arn:aws:sts::123456789012:assumed-role/demo/session-1"},
        "PackedPolicySize": 6
    });
    let resp = encode_response(&wire(sts), op, &output);
    assert_eq!(resp.status, 200);
    assert_eq!(headers(&resp), xml_headers());
    assert_eq!(
        text(&resp),
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
         <Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secret/key+</SecretAccessKey>\
         <SessionToken>token&lt;&amp;&gt;</SessionToken><Expiration>2024-01-02T04:04:05Z</Expiration></Credentials>\
         <AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:session-1</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/demo/session-1</Arn></AssumedRoleUser>\
         <PackedPolicySize>6</PackedPolicySize>\
         </AssumeRoleResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></AssumeRoleResponse>"
    );
}

#[test]
fn list_forms_empty_flattened_and_out_of_order() {
    // `List=` is an empty list (newer SDKs send it); flattened `List.N` is accepted too; items
    // are ordered by index, not by position in the body.
    let body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo\
        &RoleSessionName=s1&TransitiveTagKeys=&Tags.2.Key=b&Tags.2.Value=2&Tags.1.Key=a&Tags.1.Value=1";
    let (_, input) = decode("sts", &post_form(body)).unwrap();
    assert_eq!(input["TransitiveTagKeys"], json!([]));
    assert_eq!(input["Tags"], json!([{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]));
}

#[test]
fn sns_publish_message_attribute_map_with_renamed_key_and_value() {
    let body = "Action=Publish&Version=2010-03-31\
        &TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Atopic\
        &Message=hello+world\
        &MessageAttributes.entry.1.Name=color\
        &MessageAttributes.entry.1.Value.DataType=String\
        &MessageAttributes.entry.1.Value.StringValue=blue\
        &MessageAttributes.entry.2.Name=raw\
        &MessageAttributes.entry.2.Value.DataType=Binary\
        &MessageAttributes.entry.2.Value.BinaryValue=AAEC";
    let (name, input) = decode("sns", &post_form(body)).unwrap();
    assert_eq!(name, "Publish");
    assert_eq!(
        input,
        json!({
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:topic",
            "Message": "hello world",
            "MessageAttributes": {
                "color": {"DataType": "String", "StringValue": "blue"},
                "raw": {"DataType": "Binary", "BinaryValue": "AAEC"}
            }
        })
    );

    let sns = model("sns");
    let resp = encode_response(&wire(sns), sns.operation("Publish").unwrap(), &json!({"MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e"}));
    assert_eq!(
        text(&resp),
        "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult>\
         <MessageId>95df01b4-ee98-5cb9-9903-4c221d41eb5e</MessageId>\
         </PublishResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></PublishResponse>"
    );
}

#[test]
fn sns_output_maps_are_entry_key_value() {
    let sns = model("sns");
    let op = sns.operation("GetTopicAttributes").unwrap();
    let resp = encode_response(&wire(sns), op, &json!({"Attributes": {"DisplayName": "", "Policy": "{\"Version\":\"2008-10-17\"}"}}));
    assert_eq!(
        text(&resp),
        "<GetTopicAttributesResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><GetTopicAttributesResult><Attributes>\
         <entry><key>DisplayName</key><value/></entry>\
         <entry><key>Policy</key><value>{&quot;Version&quot;:&quot;2008-10-17&quot;}</value></entry>\
         </Attributes></GetTopicAttributesResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></GetTopicAttributesResponse>"
    );
}

#[test]
fn operations_without_output_have_no_result_element() {
    let sns = model("sns");
    let resp = encode_response(&wire(sns), sns.operation("DeleteTopic").unwrap(), &json!({}));
    assert_eq!(
        text(&resp),
        "<DeleteTopicResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
         <ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></DeleteTopicResponse>"
    );
}

#[test]
fn iam_error_uses_the_custom_query_code_status_and_namespace() {
    let err = ServiceError::new("NoSuchEntityException", "The user with name bob cannot be found.");
    let resp = encode_error(Protocol::AwsQuery, Some(model("iam")), "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE", false, &err);
    assert_eq!(resp.status, 404);
    assert_eq!(headers(&resp), xml_headers());
    assert_eq!(
        text(&resp),
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>NoSuchEntity</Code><Message>The user with name bob cannot be found.</Message></Error>\
         <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>"
    );
}

#[test]
fn sts_error_and_service_faults() {
    let err = ServiceError::new("ExpiredTokenException", "The security token included in the request is expired");
    let resp = encode_error(Protocol::AwsQuery, Some(model("sts")), "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE", false, &err);
    assert_eq!(resp.status, 400);
    assert_eq!(
        text(&resp),
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>ExpiredTokenException</Code><Message>The security token included in the request is expired</Message></Error>\
         <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>"
    );
    // A request tied to no service: no namespace; a 500 is the receiver's fault.
    let resp = encode_error(Protocol::AwsQuery, None, "r-1", false, &ServiceError::internal("boom"));
    assert_eq!(resp.status, 500);
    assert_eq!(
        text(&resp),
        "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>boom</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
    );
}

#[test]
fn values_of_the_wrong_type_are_validation_errors() {
    let body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo\
        &RoleSessionName=s1&DurationSeconds=an-hour";
    let err = decode("sts", &post_form(body)).unwrap_err();
    assert_eq!(err.code, "ValidationError");
    assert!(err.message.contains("Value 'an-hour' at 'durationSeconds'"), "{}", err.message);
    let resp = encode_error(Protocol::AwsQuery, Some(model("sts")), "r-1", false, &err);
    assert_eq!(resp.status, 400);
    assert!(text(&resp).contains("<Type>Sender</Type><Code>ValidationError</Code>"), "{}", text(&resp));
}

#[test]
fn missing_and_unknown_actions() {
    let sts = model("sts");
    let req = post_form("Version=2011-06-15");
    assert_eq!(operation_name(Protocol::AwsQuery, sts, &req), None);
    let err = query::action_error(sts, &req);
    assert_eq!((err.code.as_ref(), err.message.as_str()), ("MissingAction", "Missing Action"));
    let err = decode_request(&wire(sts), sts.operation("GetCallerIdentity").unwrap(), &req).unwrap_err();
    assert_eq!(err.code, "MissingAction");

    let req = post_form("Action=GetCallerIdentityX&Version=2011-06-15");
    assert_eq!(operation_name(Protocol::AwsQuery, sts, &req), None);
    let err = query::action_error(sts, &req);
    assert_eq!(err.code, "InvalidAction");
    assert_eq!(err.message, "Could not find operation GetCallerIdentityX for version 2011-06-15");
}
