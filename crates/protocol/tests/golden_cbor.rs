//! Golden tests for Smithy RPC v2 CBOR against the real CloudWatch model: exact HTTP in → exact
//! document, document → exact HTTP out (status, headers, body bytes).

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use nimbus_core::{Document, ServiceError};
use nimbus_protocol::{HttpRequest, HttpResponse, Protocol, Wire};
use serde_json::json;

const REQUEST_ID: &str = "4d1e8f2a-0000-4000-8000-000000000002";
const SERVICE_PATH: &str = "/service/GraniteServiceVersion20100801/operation/";

fn cloudwatch() -> &'static nimbus_model::ServiceModel {
    nimbus_model::service("cloudwatch").unwrap()
}

fn wire(query_mode: bool) -> Wire<'static> {
    Wire { protocol: Protocol::RpcV2Cbor, model: cloudwatch(), request_id: REQUEST_ID, query_mode }
}

/// A request as current CloudWatch SDKs send it.
fn post(operation: &str, body: &[u8]) -> HttpRequest {
    let mut headers = HeaderMap::new();
    headers.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    headers.insert("content-type", HeaderValue::from_static("application/cbor"));
    headers.insert("accept", HeaderValue::from_static("application/cbor"));
    headers.insert("x-amzn-query-mode", HeaderValue::from_static("true"));
    HttpRequest {
        method: Method::POST,
        path: format!("{SERVICE_PATH}{operation}"),
        query: String::new(),
        headers,
        body: Bytes::copy_from_slice(body),
    }
}

fn decode(wire: &Wire, req: &HttpRequest) -> Result<(String, Document), ServiceError> {
    let name = nimbus_protocol::operation_name(wire.protocol, wire.model, req).expect("operation found");
    let op = wire.model.operation(name).unwrap();
    Ok((name.to_owned(), nimbus_protocol::decode_request(wire, op, req)?))
}

fn expect(resp: &HttpResponse, status: u16, expected_headers: &[(&str, &str)], body: &[u8]) {
    assert_eq!(resp.status.as_u16(), status);
    let mut actual: Vec<_> =
        resp.headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned())).collect();
    actual.sort();
    let mut expected: Vec<_> = expected_headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    expected.sort();
    assert_eq!(actual, expected);
    assert_eq!(resp.body.as_ref(), body, "body was {:02x?}", resp.body.as_ref());
}

#[test]
fn put_metric_data_request() {
    // {"Namespace": "MyApp", "MetricData": [
    //   {"MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": "web-1"}],
    //    "Timestamp": 1(1704164645), "Value": 12.5 (double), "Unit": "Milliseconds"},
    //   {"MetricName": "Hits", "Timestamp": 1(1704164645.5), "Values": [1.0, 2.0] (single),
    //    "Counts": [3.0, 1.0] (single), "StorageResolution": 1, "Unit": null}]}
    let body: &[u8] = b"\xa2\
        \x69Namespace\x65MyApp\
        \x6aMetricData\x82\
          \xa5\
            \x6aMetricName\x67Latency\
            \x6aDimensions\x81\xa2\x64Name\x64Host\x65Value\x65web-1\
            \x69Timestamp\xc1\x1a\x65\x93\x7d\x25\
            \x65Value\xfb\x40\x29\x00\x00\x00\x00\x00\x00\
            \x64Unit\x6cMilliseconds\
          \xa6\
            \x6aMetricName\x64Hits\
            \x69Timestamp\xc1\xfb\x41\xd9\x64\xdf\x49\x60\x00\x00\
            \x66Values\x82\xfa\x3f\x80\x00\x00\xfa\x40\x00\x00\x00\
            \x66Counts\x82\xfa\x40\x40\x00\x00\xfa\x3f\x80\x00\x00\
            \x71StorageResolution\x01\
            \x64Unit\xf6";
    let (operation, input) = decode(&wire(true), &post("PutMetricData", body)).unwrap();
    assert_eq!(operation, "PutMetricData");
    assert_eq!(
        input,
        json!({
            "Namespace": "MyApp",
            "MetricData": [
                {
                    "MetricName": "Latency",
                    "Dimensions": [{"Name": "Host", "Value": "web-1"}],
                    "Timestamp": 1_704_164_645,
                    "Value": 12.5,
                    "Unit": "Milliseconds"
                },
                {
                    "MetricName": "Hits",
                    "Timestamp": 1_704_164_645.5,
                    "Values": [1.0, 2.0],
                    "Counts": [3.0, 1.0],
                    "StorageResolution": 1
                }
            ]
        })
    );
}

#[test]
fn put_metric_data_response_has_no_body() {
    let w = wire(true);
    let op = w.model.operation("PutMetricData").unwrap();
    let resp = nimbus_protocol::encode_response(&w, op, &json!({}));
    expect(&resp, 200, &[("smithy-protocol", "rpc-v2-cbor"), ("x-amzn-requestid", REQUEST_ID)], b"");
}

#[test]
fn get_metric_statistics_request_and_response() {
    // {"Namespace": "MyApp", "MetricName": "Latency", "StartTime": 1(1704164400),
    //  "EndTime": 1(1704168000), "Period": 60, "Statistics": ["Average", "Maximum"]}, with
    //  indefinite-length map and array, as some encoders write them.
    let body: &[u8] = b"\xbf\
        \x69Namespace\x65MyApp\
        \x6aMetricName\x67Latency\
        \x69StartTime\xc1\x1a\x65\x93\x7c\x30\
        \x67EndTime\xc1\x1a\x65\x93\x8a\x40\
        \x66Period\x18\x3c\
        \x6aStatistics\x9f\x67Average\x67Maximum\xff\
        \xff";
    let (operation, input) = decode(&wire(false), &post("GetMetricStatistics", body)).unwrap();
    assert_eq!(operation, "GetMetricStatistics");
    assert_eq!(
        input,
        json!({
            "Namespace": "MyApp",
            "MetricName": "Latency",
            "StartTime": 1_704_164_400,
            "EndTime": 1_704_168_000,
            "Period": 60,
            "Statistics": ["Average", "Maximum"]
        })
    );

    let output = json!({
        "Datapoints": [
            {"Unit": "Milliseconds", "Average": 12.5, "SampleCount": 3, "Timestamp": 1_704_164_640},
            {"Timestamp": 1_704_164_700.25, "Maximum": 0.1, "ExtendedStatistics": {"p99": 20}}
        ],
        "Label": "Latency"
    });
    let w = wire(false);
    let resp = nimbus_protocol::encode_response(&w, w.model.operation("GetMetricStatistics").unwrap(), &output);
    // Members in model order; doubles as single precision when exact; timestamps tag 1, whole
    // seconds as integers and fractional ones as doubles.
    let expected: &[u8] = b"\xa2\
        \x65Label\x67Latency\
        \x6aDatapoints\x82\
          \xa4\
            \x69Timestamp\xc1\x1a\x65\x93\x7d\x20\
            \x6bSampleCount\xfa\x40\x40\x00\x00\
            \x67Average\xfa\x41\x48\x00\x00\
            \x64Unit\x6cMilliseconds\
          \xa3\
            \x69Timestamp\xc1\xfb\x41\xd9\x64\xdf\x57\x10\x00\x00\
            \x67Maximum\xfb\x3f\xb9\x99\x99\x99\x99\x99\x9a\
            \x72ExtendedStatistics\xa1\x63p99\xfa\x41\xa0\x00\x00";
    expect(
        &resp,
        200,
        &[("smithy-protocol", "rpc-v2-cbor"), ("content-type", "application/cbor"), ("x-amzn-requestid", REQUEST_ID)],
        expected,
    );
}

#[test]
fn modeled_error_resource_not_found_in_query_mode() {
    let err = ServiceError::new("ResourceNotFound", "dashboard not found");
    let resp = nimbus_protocol::encode_error(Protocol::RpcV2Cbor, Some(cloudwatch()), REQUEST_ID, true, &err);
    expect(
        &resp,
        404,
        &[
            ("smithy-protocol", "rpc-v2-cbor"),
            ("content-type", "application/cbor"),
            ("x-amzn-requestid", REQUEST_ID),
            ("x-amzn-query-error", "ResourceNotFound;Sender"),
        ],
        b"\xa2\x66__type\x78\x29com.amazonaws.cloudwatch#ResourceNotFound\x67message\x73dashboard not found",
    );
}

#[test]
fn modeled_error_found_by_its_query_code() {
    // Services may name an error by its awsQuery code; the wire still names the shape.
    let err = ServiceError::new("InvalidParameterValue", "The value -1 for parameter Period is invalid.");
    let resp = nimbus_protocol::encode_error(Protocol::RpcV2Cbor, Some(cloudwatch()), REQUEST_ID, true, &err);
    assert_eq!(resp.status.as_u16(), 400);
    assert_eq!(resp.headers["x-amzn-query-error"], "InvalidParameterValue;Sender");
    let body: ciborium::Value = ciborium::de::from_reader(resp.body.as_ref()).unwrap();
    let type_field = body.as_map().unwrap().iter().find(|(k, _)| k.as_text() == Some("__type")).unwrap();
    assert_eq!(type_field.1.as_text(), Some("com.amazonaws.cloudwatch#InvalidParameterValueException"));
}

#[test]
fn common_error_internal_failure() {
    let err = ServiceError::internal("boom");
    let resp = nimbus_protocol::encode_error(Protocol::RpcV2Cbor, Some(cloudwatch()), REQUEST_ID, false, &err);
    expect(
        &resp,
        500,
        &[("smithy-protocol", "rpc-v2-cbor"), ("content-type", "application/cbor"), ("x-amzn-requestid", REQUEST_ID)],
        b"\xa2\x66__type\x6fInternalFailure\x67message\x64boom",
    );
}

#[test]
fn validation_error_end_to_end() {
    let w = wire(true);
    // {"MetricData": []}: Namespace is required.
    let err = decode(&w, &post("PutMetricData", b"\xa1\x6aMetricData\x80")).unwrap_err();
    let resp = nimbus_protocol::encode_error(w.protocol, Some(w.model), REQUEST_ID, w.query_mode, &err);
    let message = "1 validation error detected: Value null at 'namespace' failed to satisfy constraint: Member must not be null";
    let mut expected = b"\xa2\x66__type\x78\x2ccom.amazonaws.cloudwatch#ValidationException\x67message\x78\x6c".to_vec();
    expected.extend(message.as_bytes());
    expect(
        &resp,
        400,
        &[
            ("smithy-protocol", "rpc-v2-cbor"),
            ("content-type", "application/cbor"),
            ("x-amzn-requestid", REQUEST_ID),
            ("x-amzn-query-error", "ValidationError;Sender"),
        ],
        &expected,
    );
}

#[test]
fn empty_body_is_an_empty_input() {
    let (operation, input) = decode(&wire(false), &post("ListDashboards", b"")).unwrap();
    assert_eq!((operation.as_str(), input), ("ListDashboards", json!({})));
}
