//! Which service and wire protocol a request is for, decided from what the request carries.
//!
//! Every table consulted here is computed from the models at build time
//! ([`nimbus_model::index`]); nothing is kept by hand. The order follows how certain each signal
//! is: the SigV4 scope names the signing service, `X-Amz-Target` names a JSON service exactly,
//! `Smithy-Protocol` + `/service/S/operation/O` a CBOR one, `Action` a query one, then REST routes
//! and the Host's endpoint prefix.

use nimbus_model::{ServiceIndex, index};
use nimbus_protocol::{HttpRequest, Protocol};

#[derive(Debug, Clone, Copy)]
pub struct Classified {
    pub service: &'static ServiceIndex,
    pub protocol: Protocol,
}

/// Classifies a request. `signing_service` is the service named in the SigV4 scope, if signed.
pub fn classify(req: &HttpRequest, signing_service: Option<&str>) -> Option<Classified> {
    let candidates: Vec<&'static ServiceIndex> = match signing_service {
        Some(name) => index().iter().filter(|s| s.signing_name == name).collect(),
        None => Vec::new(),
    };
    let preferred = |matches: Vec<&'static ServiceIndex>| -> Option<&'static ServiceIndex> {
        matches.iter().copied().find(|s| candidates.iter().any(|c| c.name == s.name)).or(matches.first().copied())
    };

    if let Some(target) = header(req, "x-amz-target") {
        let prefix = target.rsplit_once('.').map_or(target, |(p, _)| p);
        let matches = index().iter().filter(|s| s.target_prefix.as_deref() == Some(prefix)).collect();
        let service = preferred(matches)?;
        let protocol = if service.speaks("json") {
            Protocol::from_model("json", service.json_version.as_deref())?
        } else {
            Protocol::from_model(&service.protocols[0], service.json_version.as_deref())?
        };
        return Some(Classified { service, protocol });
    }

    if header(req, "smithy-protocol").is_some_and(|p| p.eq_ignore_ascii_case("rpc-v2-cbor")) {
        let name = req.path.strip_prefix("/service/").and_then(|rest| rest.split('/').next())?;
        let matches = index()
            .iter()
            .filter(|s| s.speaks("smithy-rpc-v2-cbor") && s.target_prefix.as_deref() == Some(name))
            .collect();
        return preferred(matches).map(|service| Classified { service, protocol: Protocol::RpcV2Cbor });
    }

    if let Some((action, version)) = query_action(req) {
        let speaks_query = |s: &ServiceIndex| s.speaks("query") || s.query_compatible;
        let mut matches: Vec<&'static ServiceIndex> =
            candidates.iter().copied().filter(|s| speaks_query(s)).collect();
        if matches.is_empty() {
            matches = index().iter().filter(|s| speaks_query(s) && s.has_operation(&action)).collect();
            if matches.len() > 1 {
                matches.retain(|s| host_names(req, s));
            }
            // An action no service has: the API version still names the service, so the
            // client gets that service's InvalidAction rather than a generic 400.
            if matches.is_empty() {
                matches = index().iter().filter(|s| speaks_query(s) && Some(&s.api_version) == version.as_ref()).collect();
            }
        }
        if matches.len() > 1 {
            matches.retain(|s| s.has_operation(&action));
        }
        if let Some(service) = matches.first().copied() {
            return Some(Classified { service, protocol: Protocol::AwsQuery });
        }
    }

    // REST services, then anything else the scope or Host names.
    let by_host: Vec<&'static ServiceIndex> = index().iter().filter(|s| host_names(req, s)).collect();
    let named = if candidates.is_empty() { by_host } else { candidates };
    for service in &named {
        let Some(protocol) = primary_protocol(service) else { continue };
        if matches!(protocol, Protocol::RestJson1 | Protocol::RestXml) {
            let model = nimbus_model::service(&service.name)?;
            if nimbus_protocol::operation_name(protocol, model, req).is_some() {
                return Some(Classified { service, protocol });
            }
        }
    }
    let service = *named.first()?;
    Some(Classified { service, protocol: primary_protocol(service)? })
}

fn primary_protocol(service: &ServiceIndex) -> Option<Protocol> {
    Protocol::from_model(service.protocols.first()?, service.json_version.as_deref())
}

fn header<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    req.headers.get(name)?.to_str().ok()
}

/// The `Action` and `Version` of an awsQuery request: in a form body, else in the query string.
fn query_action(req: &HttpRequest) -> Option<(String, Option<String>)> {
    let is_form = header(req, "content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let from = |bytes: &[u8]| {
        let find = |name: &str| form_urlencoded::parse(bytes).find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        Some((find("Action")?, find("Version")))
    };
    if is_form && let Some(found) = from(&req.body) {
        return Some(found);
    }
    from(req.query.as_bytes())
}

/// Whether the Host names this service: `sts.localhost`, `sts.us-east-1.localhost.localstack.cloud`,
/// `sts.amazonaws.com`... The first label is the endpoint prefix (or the signing name).
fn host_names(req: &HttpRequest, service: &ServiceIndex) -> bool {
    let Some(host) = header(req, "host") else { return false };
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let mut labels = host.split('.');
    let first = labels.next().unwrap_or_default();
    if host.parse::<std::net::IpAddr>().is_ok() || labels.next().is_none() {
        return false;
    }
    first == service.endpoint_prefix || first == service.signing_name
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, Method};

    fn request(method: Method, path: &str, query: &str, headers: &[(&str, &str)], body: &str) -> HttpRequest {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        HttpRequest { method, path: path.into(), query: query.into(), headers: map, body: Bytes::from(body.to_owned()) }
    }

    fn classified(req: &HttpRequest, scope: Option<&str>) -> (String, Protocol) {
        let c = classify(req, scope).expect("classified");
        (c.service.name.clone(), c.protocol)
    }

    #[test]
    fn json_services_by_target() {
        let req = request(Method::POST, "/", "", &[("x-amz-target", "secretsmanager.GetSecretValue")], "{}");
        assert_eq!(classified(&req, Some("secretsmanager")), ("secretsmanager".into(), Protocol::AwsJson1_1));
        let req = request(Method::POST, "/", "", &[("x-amz-target", "AmazonSQS.SendMessage")], "{}");
        assert_eq!(classified(&req, None), ("sqs".into(), Protocol::AwsJson1_0));
        // DynamoDB and DynamoDB Streams share a signing name; the target tells them apart.
        let req = request(Method::POST, "/", "", &[("x-amz-target", "DynamoDBStreams_20120810.ListStreams")], "{}");
        assert_eq!(classified(&req, Some("dynamodb")).0, "dynamodbstreams");
    }

    #[test]
    fn query_services_by_action_and_scope() {
        let form = [("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
        let req = request(Method::POST, "/", "", &form, "Action=GetCallerIdentity&Version=2011-06-15");
        assert_eq!(classified(&req, Some("sts")), ("sts".into(), Protocol::AwsQuery));
        assert_eq!(classified(&req, None), ("sts".into(), Protocol::AwsQuery));
        // SQS's legacy query protocol, with the same signing name as its JSON one.
        let req = request(Method::POST, "/", "", &form, "Action=ListQueues");
        assert_eq!(classified(&req, Some("sqs")), ("sqs".into(), Protocol::AwsQuery));
        let req = request(Method::GET, "/", "Action=ListUsers&Version=2010-05-08", &[], "");
        assert_eq!(classified(&req, Some("iam")), ("iam".into(), Protocol::AwsQuery));
    }

    #[test]
    fn cbor_by_smithy_protocol_header() {
        let req = request(
            Method::POST,
            "/service/GraniteServiceVersion20100801/operation/PutMetricData",
            "",
            &[("smithy-protocol", "rpc-v2-cbor")],
            "",
        );
        assert_eq!(classified(&req, Some("monitoring")), ("cloudwatch".into(), Protocol::RpcV2Cbor));
    }

    #[test]
    fn nothing_to_go_on_is_unclassified() {
        let req = request(Method::GET, "/", "", &[("host", "127.0.0.1:4566")], "");
        assert!(classify(&req, None).is_none());
    }
}
