//! restJson1 golden tests (Lambda, API Gateway v2): raw HTTP requests → the exact input document,
//! output documents / errors → the exact HTTP response (status, headers, body bytes).

use bytes::Bytes;
use http::Method;
use nimbus_core::ServiceError;
use nimbus_protocol::{HttpRequest, HttpResponse, Protocol, Wire, encode_error};
use serde_json::json;

mod common;
use common::{headers, model, pairs, request, text};

const REQUEST_ID: &str = "c6104cbe-af31-11e0-8154-cbc7ccf896c7";

fn wire(service: &str) -> Wire<'static> {
    common::wire(Protocol::RestJson1, model(service), REQUEST_ID)
}

fn decode(service: &str, req: &HttpRequest) -> Result<(String, serde_json::Value), ServiceError> {
    common::decode(&wire(service), req)
}

fn encode(service: &str, operation: &str, output: serde_json::Value) -> HttpResponse {
    common::encode(&wire(service), operation, output)
}

#[test]
fn lambda_create_function_json_body_both_ways() {
    let body = br#"{"FunctionName":"my-func","Runtime":"python3.12","Role":"arn:aws:iam::123456789012:role/lambda","Handler":"app.handler","Code":{"ZipFile":"UEsDBBQAAAA="},"Timeout":30,"Publish":true,"Environment":{"Variables":{"STAGE":"dev"}},"Tags":{"team":"a"},"Architectures":["arm64"],"Unknown":1,"Description":null}"#;
    let req = request(Method::POST, "/2015-03-31/functions", &[("content-type", "application/json")], body);
    let (name, input) = decode("lambda", &req).unwrap();
    assert_eq!(name, "CreateFunction");
    assert_eq!(
        input,
        json!({
            "FunctionName": "my-func",
            "Runtime": "python3.12",
            "Role": "arn:aws:iam::123456789012:role/lambda",
            "Handler": "app.handler",
            "Code": {"ZipFile": "UEsDBBQAAAA="},
            "Timeout": 30,
            "Publish": true,
            "Environment": {"Variables": {"STAGE": "dev"}},
            "Tags": {"team": "a"},
            "Architectures": ["arm64"]
        })
    );

    let resp = encode(
        "lambda",
        "CreateFunction",
        json!({
            "FunctionName": "my-func",
            "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:my-func",
            "Runtime": "python3.12",
            "CodeSize": 1024,
            "Timeout": 30,
            "LastModified": "2024-01-02T03:04:05.000+0000",
            "Environment": {"Variables": {"STAGE": "dev"}},
            "State": "Pending"
        }),
    );
    assert_eq!(resp.status, 201);
    assert_eq!(headers(&resp), pairs(&[("content-type", "application/json"), ("x-amzn-requestid", REQUEST_ID)]));
    assert_eq!(
        text(&resp),
        r#"{"FunctionName":"my-func","FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:my-func","Runtime":"python3.12","CodeSize":1024,"Timeout":30,"LastModified":"2024-01-02T03:04:05.000+0000","Environment":{"Variables":{"STAGE":"dev"}},"State":"Pending"}"#
    );
}

#[test]
fn lambda_invoke_blob_payload_headers_query_and_status_member() {
    let req = request(
        Method::POST,
        "/2015-03-31/functions/my-func/invocations?Qualifier=prod",
        &[("X-Amz-Invocation-Type", "RequestResponse"), ("X-Amz-Log-Type", "Tail"), ("X-Amz-Client-Context", "eyJjdXN0b20iOnt9fQ=="), ("content-type", "application/json")],
        br#"{"key": "value"}"#,
    );
    let (name, input) = decode("lambda", &req).unwrap();
    assert_eq!(name, "Invoke");
    assert_eq!(
        input,
        json!({
            "FunctionName": "my-func",
            "InvocationType": "RequestResponse",
            "LogType": "Tail",
            "ClientContext": "eyJjdXN0b20iOnt9fQ==",
            "Payload": "eyJrZXkiOiAidmFsdWUifQ==",
            "Qualifier": "prod"
        })
    );

    let resp = encode(
        "lambda",
        "Invoke",
        json!({
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "LogResult": "U1RBUlQgUmVxdWVzdElk",
            "ExecutedVersion": "$LATEST",
            "Payload": "eyJlcnJvck1lc3NhZ2UiOiJib29tIn0="
        }),
    );
    assert_eq!(resp.status, 200);
    assert_eq!(
        headers(&resp),
        pairs(&[
            ("content-type", "application/octet-stream"),
            ("x-amz-executed-version", "$LATEST"),
            ("x-amz-function-error", "Unhandled"),
            ("x-amz-log-result", "U1RBUlQgUmVxdWVzdElk"),
            ("x-amzn-requestid", REQUEST_ID),
        ])
    );
    assert_eq!(resp.body, Bytes::from_static(br#"{"errorMessage":"boom"}"#));

    // An asynchronous invocation: the status member says 202, there is no payload.
    let resp = encode("lambda", "Invoke", json!({"StatusCode": 202}));
    assert_eq!(resp.status, 202);
    assert_eq!(headers(&resp), pairs(&[("x-amzn-requestid", REQUEST_ID)]));
    assert!(resp.body.is_empty());
    // No body, no payload member.
    let req = request(Method::POST, "/2015-03-31/functions/my-func/invocations", &[], b"");
    assert_eq!(decode("lambda", &req).unwrap().1, json!({"FunctionName": "my-func"}));
}

#[test]
fn lambda_get_function_decodes_an_encoded_arn_label() {
    let req = request(Method::GET, "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-func?Qualifier=%24LATEST", &[], b"");
    let (name, input) = decode("lambda", &req).unwrap();
    assert_eq!(name, "GetFunction");
    assert_eq!(input, json!({"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:my-func", "Qualifier": "$LATEST"}));

    let resp = encode(
        "lambda",
        "GetFunction",
        json!({
            "Configuration": {"FunctionName": "my-func", "MemorySize": 128},
            "Code": {"RepositoryType": "S3", "Location": "https://example.com/code.zip"},
            "Tags": {"team": "a"}
        }),
    );
    assert_eq!(resp.status, 200);
    assert_eq!(
        text(&resp),
        r#"{"Configuration":{"FunctionName":"my-func","MemorySize":128},"Code":{"RepositoryType":"S3","Location":"https://example.com/code.zip"},"Tags":{"team":"a"}}"#
    );
}

#[test]
fn lambda_list_functions_query_integers_and_wrong_types() {
    let req = request(Method::GET, "/2015-03-31/functions/?MaxItems=10&Marker=abc", &[], b"");
    let (name, input) = decode("lambda", &req).unwrap();
    assert_eq!(name, "ListFunctions");
    assert_eq!(input, json!({"Marker": "abc", "MaxItems": 10}));
    // Not an integer: restJson1 answers SerializationException (Smithy malformed-integer tests).
    let req = request(Method::GET, "/2015-03-31/functions/?MaxItems=ten", &[], b"");
    let err = decode("lambda", &req).unwrap_err();
    assert_eq!(err.code, "SerializationException");
    let resp = encode_error(Protocol::RestJson1, Some(model("lambda")), REQUEST_ID, false, &err);
    assert_eq!(resp.status, 400);
    // Malformed JSON is one too.
    let req = request(Method::POST, "/2015-03-31/functions", &[("content-type", "application/json")], b"{\"FunctionName\":");
    assert_eq!(decode("lambda", &req).unwrap_err().code, "SerializationException");
}

#[test]
fn lambda_errors_carry_the_type_header_and_the_shapes_members() {
    let err = ServiceError::new("ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope");
    let resp = encode_error(Protocol::RestJson1, Some(model("lambda")), REQUEST_ID, false, &err);
    assert_eq!(resp.status, 404);
    assert_eq!(
        headers(&resp),
        pairs(&[("content-type", "application/json"), ("x-amzn-errortype", "ResourceNotFoundException"), ("x-amzn-requestid", REQUEST_ID)])
    );
    assert_eq!(text(&resp), r#"{"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"}"#);

    let err = ServiceError::new("TooManyRequestsException", "Rate exceeded").with_field("retryAfterSeconds", "3").with_field("Reason", "CallerRateLimitExceeded");
    let resp = encode_error(Protocol::RestJson1, Some(model("lambda")), REQUEST_ID, false, &err);
    assert_eq!(resp.status, 429);
    assert_eq!(
        headers(&resp),
        pairs(&[
            ("content-type", "application/json"),
            ("retry-after", "3"),
            ("x-amzn-errortype", "TooManyRequestsException"),
            ("x-amzn-requestid", REQUEST_ID)
        ])
    );
    assert_eq!(text(&resp), r#"{"Type":"User","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}"#);
}

#[test]
fn apigatewayv2_json_names_and_iso_timestamps() {
    let body = br#"{"name":"my-api","protocolType":"HTTP","corsConfiguration":{"allowOrigins":["*"],"maxAge":300},"tags":{"env":"dev"}}"#;
    let req = request(Method::POST, "/v2/apis", &[("content-type", "application/json")], body);
    let (name, input) = decode("apigatewayv2", &req).unwrap();
    assert_eq!(name, "CreateApi");
    assert_eq!(
        input,
        json!({"CorsConfiguration": {"AllowOrigins": ["*"], "MaxAge": 300}, "Name": "my-api", "ProtocolType": "HTTP", "Tags": {"env": "dev"}})
    );

    let resp = encode(
        "apigatewayv2",
        "CreateApi",
        json!({
            "ApiEndpoint": "https://a1b2c3.execute-api.us-east-1.amazonaws.com",
            "ApiId": "a1b2c3",
            "CreatedDate": 1_704_164_645,
            "Name": "my-api",
            "ProtocolType": "HTTP",
            "RouteSelectionExpression": "$request.method $request.path",
            "Tags": {"env": "dev"}
        }),
    );
    assert_eq!(resp.status, 201);
    assert_eq!(headers(&resp), pairs(&[("content-type", "application/json"), ("x-amzn-requestid", REQUEST_ID)]));
    assert_eq!(
        text(&resp),
        r#"{"apiEndpoint":"https://a1b2c3.execute-api.us-east-1.amazonaws.com","apiId":"a1b2c3","createdDate":"2024-01-02T03:04:05Z","name":"my-api","protocolType":"HTTP","routeSelectionExpression":"$request.method $request.path","tags":{"env":"dev"}}"#
    );
}

#[test]
fn apigatewayv2_untag_resource_repeated_query_keys_and_empty_response() {
    let req = request(Method::DELETE, "/v2/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fapis%2Fa1b2c3?tagKeys=env&tagKeys=team", &[], b"");
    let (name, input) = decode("apigatewayv2", &req).unwrap();
    assert_eq!(name, "UntagResource");
    assert_eq!(input, json!({"ResourceArn": "arn:aws:apigateway:us-east-1::/apis/a1b2c3", "TagKeys": ["env", "team"]}));

    let resp = encode("apigatewayv2", "UntagResource", json!({}));
    assert_eq!(resp.status, 204);
    assert_eq!(headers(&resp), pairs(&[("x-amzn-requestid", REQUEST_ID)]));
    assert!(resp.body.is_empty());

    let req = request(Method::GET, "/v2/apis/a1b2c3", &[], b"");
    assert_eq!(decode("apigatewayv2", &req).unwrap(), ("GetApi".to_owned(), json!({"ApiId": "a1b2c3"})));
}

#[test]
fn apigatewayv2_error_uses_the_members_json_names() {
    let err = ServiceError::new("NotFoundException", "Invalid API identifier specified 123456789012:nope").with_field("ResourceType", "Api");
    let resp = encode_error(Protocol::RestJson1, Some(model("apigatewayv2")), REQUEST_ID, false, &err);
    assert_eq!(resp.status, 404);
    assert_eq!(
        headers(&resp),
        pairs(&[("content-type", "application/json"), ("x-amzn-errortype", "NotFoundException"), ("x-amzn-requestid", REQUEST_ID)])
    );
    assert_eq!(text(&resp), r#"{"message":"Invalid API identifier specified 123456789012:nope","resourceType":"Api"}"#);
}

#[test]
fn common_errors_have_a_message_body() {
    let err = ServiceError::new("AccessDeniedException", "User is not authorized");
    let resp = encode_error(Protocol::RestJson1, Some(model("lambda")), REQUEST_ID, false, &err);
    assert_eq!(resp.status, 400);
    assert_eq!(
        headers(&resp),
        pairs(&[("content-type", "application/json"), ("x-amzn-errortype", "AccessDeniedException"), ("x-amzn-requestid", REQUEST_ID)])
    );
    assert_eq!(text(&resp), r#"{"message":"User is not authorized"}"#);
    let resp = encode_error(Protocol::RestJson1, None, REQUEST_ID, false, &ServiceError::internal("boom"));
    assert_eq!((resp.status.as_u16(), text(&resp)), (500, r#"{"message":"boom"}"#));
}
