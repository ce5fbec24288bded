//! restXml golden tests (Route 53, CloudFront): raw HTTP requests → the exact input document,
//! output documents / errors → the exact HTTP response (status, headers, body bytes).

use http::Method;
use nimbus_core::ServiceError;
use nimbus_protocol::{HttpRequest, HttpResponse, Protocol, Wire, encode_error, operation_name};
use serde_json::json;

mod common;
use common::{headers, model, pairs, request, text};

const REQUEST_ID: &str = "647cd254-e0d1-44a9-af61-1d6d86ea6b77";
const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn wire(service: &str) -> Wire<'static> {
    common::wire(Protocol::RestXml, model(service), REQUEST_ID)
}

fn decode(service: &str, req: &HttpRequest) -> Result<(String, serde_json::Value), ServiceError> {
    common::decode(&wire(service), req)
}

fn encode(service: &str, operation: &str, output: serde_json::Value) -> HttpResponse {
    common::encode(&wire(service), operation, output)
}

#[test]
fn route53_create_hosted_zone_xml_body_both_ways() {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>example.com</Name><CallerReference>2024-01-02-ref</CallerReference><HostedZoneConfig><Comment>a &amp; b</Comment><PrivateZone>false</PrivateZone></HostedZoneConfig></CreateHostedZoneRequest>"#;
    let req = request(Method::POST, "/2013-04-01/hostedzone", &[("content-type", "application/xml")], body);
    let (name, input) = decode("route53", &req).unwrap();
    assert_eq!(name, "CreateHostedZone");
    assert_eq!(
        input,
        json!({"Name": "example.com", "CallerReference": "2024-01-02-ref", "HostedZoneConfig": {"Comment": "a & b", "PrivateZone": false}})
    );

    let resp = encode(
        "route53",
        "CreateHostedZone",
        json!({
            "HostedZone": {
                "Id": "/hostedzone/Z1PA6795UKMFR9",
                "Name": "example.com.",
                "CallerReference": "2024-01-02-ref",
                "Config": {"Comment": "a & b", "PrivateZone": false},
                "ResourceRecordSetCount": 2
            },
            "ChangeInfo": {"Id": "/change/C1PA6795UKMFR9", "Status": "PENDING", "SubmittedAt": 1_704_164_645.958},
            "DelegationSet": {"NameServers": ["ns-2048.awsdns-64.com", "ns-2049.awsdns-65.net"]},
            "Location": "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1PA6795UKMFR9"
        }),
    );
    assert_eq!(resp.status, 201);
    assert_eq!(
        headers(&resp),
        pairs(&[
            ("content-type", "text/xml"),
            ("location", "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1PA6795UKMFR9"),
            ("x-amz-request-id", REQUEST_ID),
        ])
    );
    assert_eq!(
        text(&resp),
        format!(
            "{DECLARATION}<CreateHostedZoneResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\
             <HostedZone><Id>/hostedzone/Z1PA6795UKMFR9</Id><Name>example.com.</Name><CallerReference>2024-01-02-ref</CallerReference>\
             <Config><Comment>a &amp; b</Comment><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>\
             <ChangeInfo><Id>/change/C1PA6795UKMFR9</Id><Status>PENDING</Status><SubmittedAt>2024-01-02T03:04:05.958Z</SubmittedAt></ChangeInfo>\
             <DelegationSet><NameServers><NameServer>ns-2048.awsdns-64.com</NameServer><NameServer>ns-2049.awsdns-65.net</NameServer></NameServers></DelegationSet>\
             </CreateHostedZoneResponse>"
        )
    );
}

#[test]
fn route53_list_hosted_zones_query_parameters_and_renamed_list_items() {
    let req = request(Method::GET, "/2013-04-01/hostedzone?marker=Z1&maxitems=2", &[], "");
    let (name, input) = decode("route53", &req).unwrap();
    assert_eq!(name, "ListHostedZones");
    assert_eq!(input, json!({"Marker": "Z1", "MaxItems": "2"}));

    let resp = encode(
        "route53",
        "ListHostedZones",
        json!({
            "HostedZones": [
                {"Id": "/hostedzone/Z2", "Name": "a.example.", "CallerReference": "r2", "Config": {"PrivateZone": false}, "ResourceRecordSetCount": 2},
                {"Id": "/hostedzone/Z3", "Name": "b.example.", "CallerReference": "r3", "Config": {"Comment": "", "PrivateZone": true}, "ResourceRecordSetCount": 5}
            ],
            "Marker": "Z1",
            "IsTruncated": true,
            "NextMarker": "Z4",
            "MaxItems": "2"
        }),
    );
    assert_eq!(resp.status, 200);
    assert_eq!(headers(&resp), pairs(&[("content-type", "text/xml"), ("x-amz-request-id", REQUEST_ID)]));
    assert_eq!(
        text(&resp),
        format!(
            "{DECLARATION}<ListHostedZonesResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><HostedZones>\
             <HostedZone><Id>/hostedzone/Z2</Id><Name>a.example.</Name><CallerReference>r2</CallerReference><Config><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>\
             <HostedZone><Id>/hostedzone/Z3</Id><Name>b.example.</Name><CallerReference>r3</CallerReference><Config><Comment/><PrivateZone>true</PrivateZone></Config><ResourceRecordSetCount>5</ResourceRecordSetCount></HostedZone>\
             </HostedZones><Marker>Z1</Marker><IsTruncated>true</IsTruncated><NextMarker>Z4</NextMarker><MaxItems>2</MaxItems></ListHostedZonesResponse>"
        )
    );
}

#[test]
fn route53_labels_trailing_slashes_and_list_bodies() {
    let req = request(Method::GET, "/2013-04-01/hostedzone/Z1PA6795UKMFR9", &[], "");
    assert_eq!(decode("route53", &req).unwrap(), ("GetHostedZone".to_owned(), json!({"Id": "Z1PA6795UKMFR9"})));

    let body = "<ListTagsForResourcesRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\
        <ResourceIds><ResourceId>Z1</ResourceId><ResourceId>Z2</ResourceId></ResourceIds></ListTagsForResourcesRequest>";
    let req = request(Method::POST, "/2013-04-01/tags/hostedzone", &[], body);
    let (name, input) = decode("route53", &req).unwrap();
    assert_eq!(name, "ListTagsForResources");
    assert_eq!(input, json!({"ResourceType": "hostedzone", "ResourceIds": ["Z1", "Z2"]}));

    let req = request(Method::POST, "/2013-04-01/hostedzone/Z1/rrset/", &[], "<ChangeResourceRecordSetsRequest/>");
    assert_eq!(operation_name(Protocol::RestXml, model("route53"), &req), Some("ChangeResourceRecordSets"));
}

#[test]
fn route53_errors_are_error_responses_in_the_service_namespace() {
    let err = ServiceError::new("NoSuchHostedZone", "No hosted zone found with ID: Z1PA6795UKMFR9");
    let resp = encode_error(Protocol::RestXml, Some(model("route53")), REQUEST_ID, false, &err);
    assert_eq!(resp.status, 404);
    assert_eq!(headers(&resp), pairs(&[("content-type", "text/xml"), ("x-amz-request-id", REQUEST_ID)]));
    assert_eq!(
        text(&resp),
        format!(
            "{DECLARATION}<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender</Type>\
             <Code>NoSuchHostedZone</Code><Message>No hosted zone found with ID: Z1PA6795UKMFR9</Message></Error>\
             <RequestId>{REQUEST_ID}</RequestId></ErrorResponse>"
        )
    );
    // Further members of the error shape follow the message.
    let err = ServiceError::new("InvalidChangeBatch", "Invalid batch").with_field("messages", json!(["RRSet exists", "Bad TTL"]));
    let resp = encode_error(Protocol::RestXml, Some(model("route53")), REQUEST_ID, false, &err);
    assert_eq!(resp.status, 400);
    assert!(
        text(&resp).contains("<Message>Invalid batch</Message><messages><Message>RRSet exists</Message><Message>Bad TTL</Message></messages></Error>"),
        "{}",
        text(&resp)
    );
}

#[test]
fn malformed_xml_and_wrong_types() {
    let req = request(Method::POST, "/2013-04-01/hostedzone", &[], "<CreateHostedZoneRequest><Name>x</CreateHostedZoneRequest>");
    let err = decode("route53", &req).unwrap_err();
    assert_eq!(err.code, "InvalidInput");
    let resp = encode_error(Protocol::RestXml, Some(model("route53")), REQUEST_ID, false, &err);
    assert_eq!(resp.status, 400);

    let body = "<CreateHostedZoneRequest><Name>x</Name><CallerReference>r</CallerReference><HostedZoneConfig><PrivateZone>maybe</PrivateZone></HostedZoneConfig></CreateHostedZoneRequest>";
    let err = decode("route53", &request(Method::POST, "/2013-04-01/hostedzone", &[], body)).unwrap_err();
    assert_eq!(err.code, "ValidationError");
    assert!(err.message.contains("Value 'maybe' at 'hostedZoneConfig.privateZone'"), "{}", err.message);
}

#[test]
fn cloudfront_payload_structure_with_query_literal_routing() {
    let body = "<Tags xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Items>\
        <Tag><Key>env</Key><Value>dev</Value></Tag><Tag><Key>team</Key></Tag></Items></Tags>";
    let req = request(
        Method::POST,
        "/2020-05-31/tagging?Operation=Tag&Resource=arn%3Aaws%3Acloudfront%3A%3A123456789012%3Adistribution%2FE1",
        &[("content-type", "application/xml")],
        body,
    );
    let (name, input) = decode("cloudfront", &req).unwrap();
    assert_eq!(name, "TagResource");
    assert_eq!(
        input,
        json!({
            "Resource": "arn:aws:cloudfront::123456789012:distribution/E1",
            "Tags": {"Items": [{"Key": "env", "Value": "dev"}, {"Key": "team"}]}
        })
    );
    // No output: 204, empty body.
    let resp = encode("cloudfront", "TagResource", json!({}));
    assert_eq!(resp.status, 204);
    assert_eq!(headers(&resp), pairs(&[("x-amz-request-id", REQUEST_ID)]));
    assert!(resp.body.is_empty());
}

#[test]
fn cloudfront_payload_output_and_headers() {
    let resp = encode(
        "cloudfront",
        "GetDistribution",
        json!({
            "Distribution": {"Id": "E1", "ARN": "arn:aws:cloudfront::123456789012:distribution/E1", "Status": "Deployed", "LastModifiedTime": 1_704_164_645, "InProgressInvalidationBatches": 0, "DomainName": "d1.cloudfront.net"},
            "ETag": "E2QWRUHEXAMPLE"
        }),
    );
    assert_eq!(resp.status, 200);
    assert_eq!(headers(&resp), pairs(&[("content-type", "text/xml"), ("etag", "E2QWRUHEXAMPLE"), ("x-amz-request-id", REQUEST_ID)]));
    assert_eq!(
        text(&resp),
        format!(
            "{DECLARATION}<Distribution xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Id>E1</Id>\
             <ARN>arn:aws:cloudfront::123456789012:distribution/E1</ARN><Status>Deployed</Status>\
             <LastModifiedTime>2024-01-02T03:04:05Z</LastModifiedTime><InProgressInvalidationBatches>0</InProgressInvalidationBatches>\
             <DomainName>d1.cloudfront.net</DomainName></Distribution>"
        )
    );
    let err = ServiceError::new("NoSuchDistribution", "The specified distribution does not exist.");
    let resp = encode_error(Protocol::RestXml, Some(model("cloudfront")), REQUEST_ID, false, &err);
    assert_eq!(resp.status, 404);
    assert_eq!(
        text(&resp),
        format!(
            "{DECLARATION}<ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>Sender</Type>\
             <Code>NoSuchDistribution</Code><Message>The specified distribution does not exist.</Message></Error>\
             <RequestId>{REQUEST_ID}</RequestId></ErrorResponse>"
        )
    );
}
