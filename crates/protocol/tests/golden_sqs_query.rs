//! SQS's legacy awsQuery wire, read and written through SQS's awsQuery model
//! (`models/sqs-query.json`, chosen by `wire_model`): raw form requests as SDKs and AWS's SQS API
//! reference "Examples" send them → the exact input document, output documents → the exact XML
//! of those examples (elements in model order, whitespace dropped), errors → SQS's `ErrorResponse`.
//! Also the JSON side of query compatibility: `x-amzn-query-error` carries the query model's code.

use http::Method;
use nimbus_core::ServiceError;
use nimbus_model::ServiceModel;
use nimbus_protocol::{HttpRequest, Protocol, Wire, encode_error, wire_model};
use serde_json::json;

mod common;
use common::{headers, pairs, request, text};

const FORM: &str = "application/x-www-form-urlencoded";
const REQUEST_ID: &str = "5ba605cc-1e4b-58ba-93db-59bca8677ec9";
const NS: &str = "http://queue.amazonaws.com/doc/2012-11-05/";
const QUEUE_URL: &str = "https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F177715257436%2FMyQueue";

/// SQS's query wire: its query model, as the server picks it for an awsQuery request.
fn sqs_query() -> &'static ServiceModel {
    wire_model(Protocol::AwsQuery, nimbus_model::service("sqs").unwrap())
}

fn wire() -> Wire<'static> {
    common::wire(Protocol::AwsQuery, sqs_query(), REQUEST_ID)
}

fn post(path: &str, body: &str) -> HttpRequest {
    request(Method::POST, path, &[("content-type", FORM), ("host", "sqs.us-east-1.amazonaws.com")], body)
}

fn decode(body: &str) -> (String, serde_json::Value) {
    common::decode(&wire(), &post("/", body)).unwrap()
}

/// `<{op}Response xmlns=…>{inner}<ResponseMetadata>…</ResponseMetadata></{op}Response>`.
fn response(op: &str, inner: &str) -> String {
    format!("<{op}Response xmlns=\"{NS}\">{inner}<ResponseMetadata><RequestId>{REQUEST_ID}</RequestId></ResponseMetadata></{op}Response>")
}

fn encode(op: &str, output: serde_json::Value) -> String {
    let resp = common::encode(&wire(), op, output);
    assert_eq!(resp.status, 200);
    assert_eq!(headers(&resp), pairs(&[("content-type", "text/xml"), ("x-amzn-requestid", REQUEST_ID)]));
    text(&resp).to_owned()
}

#[test]
fn the_query_wire_uses_the_query_model_and_json_keeps_the_json_model() {
    let json = nimbus_model::service("sqs").unwrap();
    assert_eq!(sqs_query().metadata.protocol, "query");
    assert!(std::ptr::eq(wire_model(Protocol::AwsJson1_0, json), json));
    // Services whose own model is awsQuery keep it.
    let sts = nimbus_model::service("sts").unwrap();
    assert!(std::ptr::eq(wire_model(Protocol::AwsQuery, sts), sts));
}

#[test]
fn send_message_with_message_attributes() {
    // AWS's SendMessage example, plus a Binary attribute.
    let (name, input) = decode(&format!(
        "Action=SendMessage&Version=2012-11-05&QueueUrl={QUEUE_URL}\
         &MessageBody=This+is+a+test+message\
         &MessageAttribute.1.Name=my_attribute_name_1\
         &MessageAttribute.1.Value.StringValue=my_attribute_value_1\
         &MessageAttribute.1.Value.DataType=String\
         &MessageAttribute.2.Name=my_attribute_name_2\
         &MessageAttribute.2.Value.BinaryValue=3q2%2B7w%3D%3D\
         &MessageAttribute.2.Value.DataType=Binary\
         &DelaySeconds=5\
         &Expires=2020-05-05T22%3A52%3A43PST"
    ));
    assert_eq!(name, "SendMessage");
    assert_eq!(
        input,
        json!({
            "QueueUrl": "https://sqs.us-east-1.amazonaws.com/177715257436/MyQueue",
            "MessageBody": "This is a test message",
            "DelaySeconds": 5,
            "MessageAttributes": {
                "my_attribute_name_1": {"StringValue": "my_attribute_value_1", "DataType": "String"},
                "my_attribute_name_2": {"BinaryValue": "3q2+7w==", "DataType": "Binary"}
            }
        })
    );
    let out = encode(
        "SendMessage",
        json!({
            "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274",
            "MD5OfMessageBody": "fafb00f5732ab283681e124bf8747ed1",
            "MD5OfMessageAttributes": "3ae8f24a165a8cedc005670c81a27295"
        }),
    );
    assert_eq!(
        out,
        response(
            "SendMessage",
            "<SendMessageResult><MD5OfMessageBody>fafb00f5732ab283681e124bf8747ed1</MD5OfMessageBody>\
             <MD5OfMessageAttributes>3ae8f24a165a8cedc005670c81a27295</MD5OfMessageAttributes>\
             <MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId></SendMessageResult>"
        )
    );
}

#[test]
fn send_message_batch_entries_and_results() {
    let (name, input) = decode(&format!(
        "Action=SendMessageBatch&Version=2012-11-05&QueueUrl={QUEUE_URL}\
         &SendMessageBatchRequestEntry.1.Id=test_msg_001\
         &SendMessageBatchRequestEntry.1.MessageBody=test%20message%20body%201\
         &SendMessageBatchRequestEntry.2.Id=test_msg_002\
         &SendMessageBatchRequestEntry.2.MessageBody=test%20message%20body%202\
         &SendMessageBatchRequestEntry.2.DelaySeconds=60\
         &SendMessageBatchRequestEntry.2.MessageAttribute.1.Name=test_attribute_name_1\
         &SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue=test_attribute_value_1\
         &SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType=String"
    ));
    assert_eq!(name, "SendMessageBatch");
    assert_eq!(
        input,
        json!({
            "QueueUrl": "https://sqs.us-east-1.amazonaws.com/177715257436/MyQueue",
            "Entries": [
                {"Id": "test_msg_001", "MessageBody": "test message body 1"},
                {
                    "Id": "test_msg_002",
                    "MessageBody": "test message body 2",
                    "DelaySeconds": 60,
                    "MessageAttributes": {"test_attribute_name_1": {"StringValue": "test_attribute_value_1", "DataType": "String"}}
                }
            ]
        })
    );
    let out = encode(
        "SendMessageBatch",
        json!({
            "Successful": [
                {"Id": "test_msg_001", "MessageId": "0a5231c7-8bff-4955-be2e-8dc7c50a25fa", "MD5OfMessageBody": "0e024d309850c78cba5eabbeff7cae71"},
                {
                    "Id": "test_msg_002",
                    "MessageId": "15ee1ed3-87e7-40c1-bdaa-2e49968ea7e9",
                    "MD5OfMessageBody": "7fb8146a82f95e0af155278f406862c2",
                    "MD5OfMessageAttributes": "295c5fa15a51aae6884d1d7c1d99ca50"
                }
            ],
            "Failed": [{"Id": "test_msg_003", "SenderFault": true, "Code": "InvalidParameterValue", "Message": "Message must be shorter than 262144 bytes."}]
        }),
    );
    assert_eq!(
        out,
        response(
            "SendMessageBatch",
            "<SendMessageBatchResult>\
             <SendMessageBatchResultEntry><Id>test_msg_001</Id><MessageId>0a5231c7-8bff-4955-be2e-8dc7c50a25fa</MessageId>\
             <MD5OfMessageBody>0e024d309850c78cba5eabbeff7cae71</MD5OfMessageBody></SendMessageBatchResultEntry>\
             <SendMessageBatchResultEntry><Id>test_msg_002</Id><MessageId>15ee1ed3-87e7-40c1-bdaa-2e49968ea7e9</MessageId>\
             <MD5OfMessageBody>7fb8146a82f95e0af155278f406862c2</MD5OfMessageBody>\
             <MD5OfMessageAttributes>295c5fa15a51aae6884d1d7c1d99ca50</MD5OfMessageAttributes></SendMessageBatchResultEntry>\
             <BatchResultErrorEntry><Id>test_msg_003</Id><SenderFault>true</SenderFault><Code>InvalidParameterValue</Code>\
             <Message>Message must be shorter than 262144 bytes.</Message></BatchResultErrorEntry>\
             </SendMessageBatchResult>"
        )
    );
}

#[test]
fn receive_message_attribute_names_indexed_and_unindexed() {
    let (name, input) = decode(&format!(
        "Action=ReceiveMessage&Version=2012-11-05&QueueUrl={QUEUE_URL}&MaxNumberOfMessages=5&VisibilityTimeout=15\
         &AttributeName.1=SenderId&AttributeName.2=SentTimestamp\
         &MessageAttributeName.1=my_attribute_name_1&MessageAttributeName.2=my_attribute_name_2&WaitTimeSeconds=10"
    ));
    assert_eq!(name, "ReceiveMessage");
    assert_eq!(
        input,
        json!({
            "QueueUrl": "https://sqs.us-east-1.amazonaws.com/177715257436/MyQueue",
            "AttributeNames": ["SenderId", "SentTimestamp"],
            "MessageAttributeNames": ["my_attribute_name_1", "my_attribute_name_2"],
            "MaxNumberOfMessages": 5,
            "VisibilityTimeout": 15,
            "WaitTimeSeconds": 10
        })
    );
    // AWS's own ReceiveMessage example sends its one attribute name unindexed.
    let (_, input) = decode(&format!("Action=ReceiveMessage&QueueUrl={QUEUE_URL}&MaxNumberOfMessages=5&VisibilityTimeout=15&AttributeName=All"));
    assert_eq!(input["AttributeNames"], json!(["All"]));
}

#[test]
fn receive_message_response_flattens_messages_and_attributes() {
    let out = encode(
        "ReceiveMessage",
        json!({
            "Messages": [{
                "MessageId": "60e827c3-c8a5-410a-af0e-fb43746e70b1",
                "ReceiptHandle": "AQEBwPTK2fT2gy97H1iyU5in9umgT+Y4IOxyKGOzpZa8iemEqoR5/aPn0xAodmiVTzyrW7S4e8XwcWbB04XK92jIQzUpiGwRFA4Dl7r3GOw84Qzq==",
                "MD5OfBody": "0e024d309850c78cba5eabbeff7cae71",
                "Body": "test message body 1",
                "Attributes": {"SenderId": "AIDASSYFHUBOBT7F4XT75", "SentTimestamp": "1677111805489"},
                "MD5OfMessageAttributes": "3ae8f24a165a8cedc005670c81a27295",
                "MessageAttributes": {"my_attribute_name_1": {"StringValue": "my_attribute_value_1", "DataType": "String"}}
            }]
        }),
    );
    assert_eq!(
        out,
        response(
            "ReceiveMessage",
            "<ReceiveMessageResult><Message>\
             <MessageId>60e827c3-c8a5-410a-af0e-fb43746e70b1</MessageId>\
             <ReceiptHandle>AQEBwPTK2fT2gy97H1iyU5in9umgT+Y4IOxyKGOzpZa8iemEqoR5/aPn0xAodmiVTzyrW7S4e8XwcWbB04XK92jIQzUpiGwRFA4Dl7r3GOw84Qzq==</ReceiptHandle>\
             <MD5OfBody>0e024d309850c78cba5eabbeff7cae71</MD5OfBody>\
             <Body>test message body 1</Body>\
             <Attribute><Name>SenderId</Name><Value>AIDASSYFHUBOBT7F4XT75</Value></Attribute>\
             <Attribute><Name>SentTimestamp</Name><Value>1677111805489</Value></Attribute>\
             <MD5OfMessageAttributes>3ae8f24a165a8cedc005670c81a27295</MD5OfMessageAttributes>\
             <MessageAttribute><Name>my_attribute_name_1</Name><Value><StringValue>my_attribute_value_1</StringValue><DataType>String</DataType></Value></MessageAttribute>\
             </Message></ReceiveMessageResult>"
        )
    );
    // No messages: an empty result element, as SQS answers an empty poll.
    assert_eq!(encode("ReceiveMessage", json!({})), response("ReceiveMessage", "<ReceiveMessageResult></ReceiveMessageResult>"));
}

#[test]
fn create_queue_attributes_and_tags() {
    let (name, input) = decode(
        "Action=CreateQueue&Version=2012-11-05&QueueName=MyQueue\
         &Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=40\
         &Attribute.2.Name=DelaySeconds&Attribute.2.Value=45\
         &Tag.1.Key=QueueType&Tag.1.Value=Production&Tag.2.Key=Owner&Tag.2.Value=Developer1",
    );
    assert_eq!(name, "CreateQueue");
    assert_eq!(
        input,
        json!({
            "QueueName": "MyQueue",
            "Attributes": {"VisibilityTimeout": "40", "DelaySeconds": "45"},
            "tags": {"QueueType": "Production", "Owner": "Developer1"}
        })
    );
    // AWS's CreateQueue example sends its one tag unindexed.
    let (_, input) = decode("Action=CreateQueue&QueueName=MyQueue&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=40&Tag.Key=QueueType&Tag.Value=Production");
    assert_eq!(input["tags"], json!({"QueueType": "Production"}));

    let out = encode("CreateQueue", json!({"QueueUrl": "https://sqs.us-east-1.amazonaws.com/177715257436/MyQueue"}));
    assert_eq!(
        out,
        response("CreateQueue", "<CreateQueueResult><QueueUrl>https://sqs.us-east-1.amazonaws.com/177715257436/MyQueue</QueueUrl></CreateQueueResult>")
    );
}

#[test]
fn tag_queue_takes_the_tag_name_from_the_map_shape() {
    // TagQueueRequest.Tags has no locationName; its TagMap shape names the entries `Tag`.
    let (name, input) = decode(&format!("Action=TagQueue&QueueUrl={QUEUE_URL}&Tag.1.Key=QueueType&Tag.1.Value=Production"));
    assert_eq!(name, "TagQueue");
    assert_eq!(input["Tags"], json!({"QueueType": "Production"}));
    let (_, input) = decode(&format!("Action=UntagQueue&QueueUrl={QUEUE_URL}&TagKey.1=QueueType&TagKey.2=Owner"));
    assert_eq!(input["TagKeys"], json!(["QueueType", "Owner"]));
}

#[test]
fn get_queue_attributes_response() {
    let (_, input) = decode(&format!("Action=GetQueueAttributes&QueueUrl={QUEUE_URL}&AttributeName.1=All"));
    assert_eq!(input["AttributeNames"], json!(["All"]));
    let out = encode(
        "GetQueueAttributes",
        json!({"Attributes": {"ReceiveMessageWaitTimeSeconds": "2", "VisibilityTimeout": "30", "QueueArn": "arn:aws:sqs:us-east-1:177715257436:MyQueue"}}),
    );
    assert_eq!(
        out,
        response(
            "GetQueueAttributes",
            "<GetQueueAttributesResult>\
             <Attribute><Name>ReceiveMessageWaitTimeSeconds</Name><Value>2</Value></Attribute>\
             <Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>\
             <Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:us-east-1:177715257436:MyQueue</Value></Attribute>\
             </GetQueueAttributesResult>"
        )
    );
}

#[test]
fn list_queues_response_flattens_queue_urls() {
    let (name, input) = decode("Action=ListQueues&Version=2012-11-05&QueueNamePrefix=My&MaxResults=10");
    assert_eq!((name.as_str(), input), ("ListQueues", json!({"QueueNamePrefix": "My", "MaxResults": 10})));
    let out = encode(
        "ListQueues",
        json!({"QueueUrls": ["https://sqs.us-east-1.amazonaws.com/177715257436/MyQueue", "https://sqs.us-east-1.amazonaws.com/177715257436/MyQueue2"]}),
    );
    assert_eq!(
        out,
        response(
            "ListQueues",
            "<ListQueuesResult>\
             <QueueUrl>https://sqs.us-east-1.amazonaws.com/177715257436/MyQueue</QueueUrl>\
             <QueueUrl>https://sqs.us-east-1.amazonaws.com/177715257436/MyQueue2</QueueUrl>\
             </ListQueuesResult>"
        )
    );
}

#[test]
fn errors_are_sqs_error_responses_with_the_query_code() {
    let err = ServiceError::new("QueueDoesNotExist", "The specified queue does not exist.");
    let resp = encode_error(Protocol::AwsQuery, Some(sqs_query()), REQUEST_ID, false, &err);
    assert_eq!(resp.status, 400);
    assert_eq!(headers(&resp), pairs(&[("content-type", "text/xml"), ("x-amzn-requestid", REQUEST_ID)]));
    assert_eq!(
        text(&resp),
        format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>\
             <Message>The specified queue does not exist.</Message><Detail/></Error><RequestId>{REQUEST_ID}</RequestId></ErrorResponse>"
        )
    );
    // The query model's status, where it differs from the JSON wire's.
    let resp = encode_error(Protocol::AwsQuery, Some(sqs_query()), REQUEST_ID, false, &ServiceError::new("OverLimit", "Too many."));
    assert_eq!(resp.status, 403);
    assert!(text(&resp).contains("<Code>OverLimit</Code>"), "{}", text(&resp));
    // An error only the JSON model declares, and one no model does: the code as given, Sender.
    for code in ["KmsThrottled", "InvalidParameterValue", "MissingParameter"] {
        let resp = encode_error(Protocol::AwsQuery, Some(sqs_query()), REQUEST_ID, false, &ServiceError::new(code, "x"));
        assert_eq!(resp.status, 400, "{code}");
        assert_eq!(
            text(&resp),
            format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>x</Message><Detail/></Error><RequestId>{REQUEST_ID}</RequestId></ErrorResponse>")
        );
    }
}

#[test]
fn validation_runs_against_the_query_model() {
    // SQS names a missing parameter with its MissingParameter error.
    let err = common::decode(&wire(), &post("/", "Action=SendMessage&Version=2012-11-05&MessageBody=x")).unwrap_err();
    assert_eq!(err.code, "MissingParameter");
    assert_eq!(err.message, "The request must contain the parameter QueueUrl.");
    // Other constraints use the query validation error, checked against the query model's shapes.
    let err = common::decode(&wire(), &post("/", &format!("Action=SendMessage&Version=2012-11-05&QueueUrl={QUEUE_URL}&MessageBody=x&DelaySeconds=soon"))).unwrap_err();
    assert_eq!(err.code, "ValidationError", "{}", err.message);
    // A member only the JSON model has never arrives over the query wire.
    let (_, input) = decode(&format!("Action=ReceiveMessage&QueueUrl={QUEUE_URL}&MessageSystemAttributeName.1=All"));
    assert_eq!(input, json!({"QueueUrl": "https://sqs.us-east-1.amazonaws.com/177715257436/MyQueue"}));
}

#[test]
fn json_errors_in_query_mode_carry_the_query_code() {
    let json = nimbus_model::service("sqs").unwrap();
    let err = ServiceError::new("QueueDoesNotExist", "The specified queue does not exist.");
    let resp = encode_error(Protocol::AwsJson1_0, Some(json), REQUEST_ID, true, &err);
    assert_eq!(resp.status, 400);
    assert_eq!(
        headers(&resp),
        pairs(&[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amzn-errortype", "QueueDoesNotExist"),
            ("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"),
            ("x-amzn-requestid", REQUEST_ID),
        ])
    );
    assert_eq!(text(&resp), r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#);
    // Without `x-amzn-query-mode: true` the header stays away.
    let resp = encode_error(Protocol::AwsJson1_0, Some(json), REQUEST_ID, false, &err);
    assert!(resp.headers.get("x-amzn-query-error").is_none());
    // Renamed codes, and codes only the JSON model or no model has.
    for (code, header) in [
        ("QueueNameExists", "QueueAlreadyExists;Sender"),
        ("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct;Sender"),
        ("KmsThrottled", "KmsThrottled;Sender"),
        ("InvalidParameterValue", "InvalidParameterValue;Sender"),
    ] {
        let resp = encode_error(Protocol::AwsJson1_0, Some(json), REQUEST_ID, true, &ServiceError::new(code, "x"));
        assert_eq!((resp.status.as_u16(), resp.headers["x-amzn-query-error"].to_str().unwrap()), (400, header), "{code}");
    }
}
