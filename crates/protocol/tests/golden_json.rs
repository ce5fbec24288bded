//! Golden tests for awsJson1_0 / awsJson1_1 against the real models: exact HTTP in → exact
//! document, document → exact HTTP out (status, headers, body bytes).

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use nimbus_core::{Document, ServiceError};
use nimbus_protocol::{HttpRequest, HttpResponse, Protocol, Wire};
use serde_json::json;

const REQUEST_ID: &str = "4d1e8f2a-0000-4000-8000-000000000001";

fn model(name: &str) -> &'static nimbus_model::ServiceModel {
    nimbus_model::service(name).unwrap()
}

fn wire(service: &str, query_mode: bool) -> Wire<'static> {
    let model = model(service);
    let protocol = Protocol::from_model(&model.metadata.protocol, model.metadata.json_version.as_deref()).unwrap();
    Wire { protocol, model, request_id: REQUEST_ID, query_mode }
}

fn post(headers: &[(&'static str, &str)], body: &str) -> HttpRequest {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    HttpRequest { method: Method::POST, path: "/".into(), query: String::new(), headers: map, body: Bytes::from(body.to_owned()) }
}

/// Finds the operation and decodes the request the way the server does.
fn decode(wire: &Wire, req: &HttpRequest) -> Result<(String, Document), ServiceError> {
    let name = nimbus_protocol::operation_name(wire.protocol, wire.model, req).expect("operation found");
    let op = wire.model.operation(name).unwrap();
    Ok((name.to_owned(), nimbus_protocol::decode_request(wire, op, req)?))
}

fn headers(resp: &HttpResponse) -> Vec<(String, String)> {
    let mut out: Vec<_> =
        resp.headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned())).collect();
    out.sort();
    out
}

fn expect(resp: &HttpResponse, status: u16, expected_headers: &[(&str, &str)], body: &str) {
    assert_eq!(resp.status.as_u16(), status);
    let mut expected: Vec<_> = expected_headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    expected.sort();
    assert_eq!(headers(resp), expected);
    assert_eq!(std::str::from_utf8(&resp.body).unwrap(), body);
}

#[test]
fn secretsmanager_create_secret_request() {
    let w = wire("secretsmanager", false);
    let req = post(
        &[("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "secretsmanager.CreateSecret")],
        r#"{"Name":"prod/db","ClientRequestToken":"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111","SecretString":"{\"user\":\"admin\"}","Tags":[{"Key":"team","Value":"data"}],"ForceOverwriteReplicaSecret":false,"SecretBinary":null,"NotInTheModel":1}"#,
    );
    let (operation, input) = decode(&w, &req).unwrap();
    assert_eq!(operation, "CreateSecret");
    assert_eq!(
        input,
        json!({
            "Name": "prod/db",
            "ClientRequestToken": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
            "SecretString": "{\"user\":\"admin\"}",
            "Tags": [{"Key": "team", "Value": "data"}],
            "ForceOverwriteReplicaSecret": false
        })
    );
}

#[test]
fn secretsmanager_get_secret_value_request_and_response() {
    let w = wire("secretsmanager", false);
    let req = post(&[("x-amz-target", "secretsmanager.GetSecretValue")], r#"{"SecretId":"prod/db"}"#);
    let (operation, input) = decode(&w, &req).unwrap();
    assert_eq!((operation.as_str(), input), ("GetSecretValue", json!({"SecretId": "prod/db"})));

    // The service's insertion order and extra keys do not matter: members go out in model order.
    let output = json!({
        "CreatedDate": 1_704_164_645.123,
        "Internal": "not in the model",
        "ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-AbCdEf",
        "Name": "prod/db",
        "VersionId": "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
        "SecretBinary": "AAECAw==",
        "VersionStages": ["AWSCURRENT"]
    });
    let op = w.model.operation("GetSecretValue").unwrap();
    let resp = nimbus_protocol::encode_response(&w, op, &output);
    expect(
        &resp,
        200,
        &[("content-type", "application/x-amz-json-1.1"), ("x-amzn-requestid", REQUEST_ID)],
        r#"{"ARN":"arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-AbCdEf","Name":"prod/db","VersionId":"EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE","SecretBinary":"AAECAw==","VersionStages":["AWSCURRENT"],"CreatedDate":1704164645.123}"#,
    );
}

#[test]
fn empty_output_is_an_empty_object() {
    let w = wire("secretsmanager", false);
    let op = w.model.operation("ListSecrets").unwrap();
    let resp = nimbus_protocol::encode_response(&w, op, &json!({}));
    expect(&resp, 200, &[("content-type", "application/x-amz-json-1.1"), ("x-amzn-requestid", REQUEST_ID)], "{}");
}

#[test]
fn sqs_send_message_request_json_1_0() {
    let w = wire("sqs", true);
    assert_eq!(w.protocol, Protocol::AwsJson1_0);
    let req = post(
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "AmazonSQS.SendMessage"),
            ("x-amzn-query-mode", "true"),
        ],
        r#"{"QueueUrl":"http://localhost:4566/000000000000/jobs","MessageBody":"hello","DelaySeconds":0,"MessageAttributes":{"raw":{"DataType":"Binary","BinaryValue":"3q2+7w=="},"n":{"DataType":"Number","StringValue":"42"}}}"#,
    );
    let (operation, input) = decode(&w, &req).unwrap();
    assert_eq!(operation, "SendMessage");
    assert_eq!(
        input,
        json!({
            "QueueUrl": "http://localhost:4566/000000000000/jobs",
            "MessageBody": "hello",
            "DelaySeconds": 0,
            "MessageAttributes": {
                "raw": {"DataType": "Binary", "BinaryValue": "3q2+7w=="},
                "n": {"DataType": "Number", "StringValue": "42"}
            }
        })
    );
}

#[test]
fn sqs_modeled_error_in_query_mode() {
    let err = ServiceError::new("InvalidAttributeName", "Unknown Attribute Foo.");
    let resp = nimbus_protocol::encode_error(Protocol::AwsJson1_0, Some(model("sqs")), REQUEST_ID, true, &err);
    expect(
        &resp,
        400,
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amzn-requestid", REQUEST_ID),
            ("x-amzn-errortype", "InvalidAttributeName"),
            ("x-amzn-query-error", "InvalidAttributeName;Sender"),
        ],
        r#"{"__type":"com.amazonaws.sqs#InvalidAttributeName","message":"Unknown Attribute Foo."}"#,
    );
}

#[test]
fn secretsmanager_modeled_error_resource_not_found() {
    let err = ServiceError::new("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    let resp = nimbus_protocol::encode_error(Protocol::AwsJson1_1, Some(model("secretsmanager")), REQUEST_ID, false, &err);
    expect(
        &resp,
        400,
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-requestid", REQUEST_ID),
            ("x-amzn-errortype", "ResourceNotFoundException"),
        ],
        r#"{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}"#,
    );
}

#[test]
fn common_error_internal_failure() {
    let err = ServiceError::internal("boom");
    let resp = nimbus_protocol::encode_error(Protocol::AwsJson1_1, Some(model("secretsmanager")), REQUEST_ID, false, &err);
    expect(
        &resp,
        500,
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-requestid", REQUEST_ID),
            ("x-amzn-errortype", "InternalFailure"),
        ],
        r#"{"__type":"InternalFailure","message":"boom"}"#,
    );
    // Common errors have no namespace, in awsJson1_0 too; query mode says it is the server's fault.
    let resp = nimbus_protocol::encode_error(Protocol::AwsJson1_0, Some(model("sqs")), REQUEST_ID, true, &err);
    assert_eq!(std::str::from_utf8(&resp.body).unwrap(), r#"{"__type":"InternalFailure","message":"boom"}"#);
    assert_eq!(resp.headers["x-amzn-query-error"], "InternalFailure;Receiver");
}

#[test]
fn validation_errors_end_to_end() {
    let w = wire("secretsmanager", false);
    let req = post(&[("x-amz-target", "secretsmanager.CreateSecret")], r#"{"Name":""}"#);
    let err = decode(&w, &req).unwrap_err();
    let resp = nimbus_protocol::encode_error(w.protocol, Some(w.model), REQUEST_ID, false, &err);
    expect(
        &resp,
        400,
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-requestid", REQUEST_ID),
            ("x-amzn-errortype", "ValidationException"),
        ],
        r#"{"__type":"ValidationException","message":"1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"}"#,
    );

    let req = post(&[("x-amz-target", "secretsmanager.GetSecretValue")], "");
    let err = decode(&w, &req).unwrap_err();
    assert_eq!(err.code, "ValidationException");
    assert_eq!(
        err.message,
        "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn malformed_json_is_a_serialization_error() {
    let w = wire("secretsmanager", false);
    let req = post(&[("x-amz-target", "secretsmanager.GetSecretValue")], r#"{"SecretId":"#);
    let err = decode(&w, &req).unwrap_err();
    let resp = nimbus_protocol::encode_error(w.protocol, Some(w.model), REQUEST_ID, false, &err);
    assert_eq!(resp.status.as_u16(), 400);
    assert_eq!(resp.headers["x-amzn-errortype"], "SerializationException");
    let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(body["__type"], "SerializationException");
    assert!(body["message"].as_str().unwrap().starts_with("Malformed JSON request body"), "{body}");

    // A value of the wrong type is a parse failure, not a validation error.
    let req = post(&[("x-amz-target", "secretsmanager.GetSecretValue")], r#"{"SecretId":7}"#);
    let err = decode(&w, &req).unwrap_err();
    assert_eq!((err.code.as_ref(), err.message.as_str()), ("SerializationException", "NUMBER_VALUE can not be converted to a String"));
}
