//! CORS: preflight `OPTIONS` answers and the headers of actual cross-origin requests, from the
//! bucket's CORS rules (`bucket_config::CorsConfig`). s3s does not route `OPTIONS`, so the front
//! answers preflights itself ([`preflight`]) and adds [`actual_request_headers`] to every
//! response of a request with a matching `Origin`.
//!
//! Matching, as S3 does it: the first rule whose AllowedOrigin matches the `Origin` (one `*`
//! wildcard allowed), whose AllowedMethod contains the method, and (preflight only) whose
//! AllowedHeader patterns cover every header of `Access-Control-Request-Headers`.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use nimbus_store::Store;

use crate::bucket_config::{CorsConfig, CorsRuleConfig, get_config};
use crate::policy::glob;
use crate::records::{BUCKET_SCOPE, BucketRecord};

const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/// The first rule allowing `origin` to use `method` with `request_headers`.
pub fn matching_rule<'a>(
    rules: &'a [CorsRuleConfig],
    origin: &str,
    method: &str,
    request_headers: &[String],
) -> Option<&'a CorsRuleConfig> {
    rules.iter().find(|rule| {
        rule.allowed_origins.iter().any(|o| glob(o, origin, false))
            && rule.allowed_methods.iter().any(|m| m == method)
            && request_headers.iter().all(|h| {
                rule.allowed_headers
                    .iter()
                    .any(|pattern| glob(pattern, h, true))
            })
    })
}

/// `Access-Control-Request-Headers`: comma-separated, compared case-insensitively.
fn requested_headers(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("access-control-request-headers")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

fn rules_of(store: &Store, bucket: &str) -> Option<Vec<CorsRuleConfig>> {
    let bucket = store.get::<BucketRecord>(BUCKET_SCOPE, bucket).ok()??;
    get_config::<CorsConfig>(store, &bucket.id)
        .ok()?
        .map(|c| c.rules)
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// The headers a matching rule puts on a response. `allowed_headers`: what to echo in
/// `Access-Control-Allow-Headers` (preflight only).
fn rule_headers(
    headers: &mut HeaderMap,
    rule: &CorsRuleConfig,
    origin: &str,
    allowed_headers: &[String],
) {
    let any_origin = rule.allowed_origins.iter().any(|o| o == "*");
    insert(
        headers,
        "access-control-allow-origin",
        if any_origin { "*" } else { origin },
    );
    insert(
        headers,
        "access-control-allow-methods",
        &rule.allowed_methods.join(", "),
    );
    if !allowed_headers.is_empty() {
        insert(
            headers,
            "access-control-allow-headers",
            &allowed_headers.join(", "),
        );
    }
    if !rule.expose_headers.is_empty() {
        insert(
            headers,
            "access-control-expose-headers",
            &rule.expose_headers.join(", "),
        );
    }
    if let Some(max_age) = rule.max_age_seconds {
        insert(headers, "access-control-max-age", &max_age.to_string());
    }
    if !any_origin {
        insert(headers, "access-control-allow-credentials", "true");
    }
    insert(headers, "vary", VARY);
}

fn xml_error(
    status: StatusCode,
    code: &str,
    message: &str,
    extra: &str,
) -> http::Response<s3s::Body> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}</Error>"
    );
    let mut resp = http::Response::new(s3s::Body::from(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    resp
}

/// The answer to an `OPTIONS` preflight on `bucket` (and `key`, for the error's resource type).
pub fn preflight(
    store: &Store,
    bucket: &str,
    key: Option<&str>,
    headers: &HeaderMap,
) -> http::Response<s3s::Body> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(origin) = header("origin") else {
        return xml_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Insufficient information. Origin request header needed.",
            "",
        );
    };
    let Some(method) = header("access-control-request-method") else {
        return xml_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid Access-Control-Request-Method: null",
            "",
        );
    };
    if store
        .get::<BucketRecord>(BUCKET_SCOPE, bucket)
        .ok()
        .flatten()
        .is_none()
    {
        return xml_error(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
            &format!("<BucketName>{}</BucketName>", escape(bucket)),
        );
    }
    let requested = requested_headers(headers);
    let rules = rules_of(store, bucket).unwrap_or_default();
    let Some(rule) = matching_rule(&rules, origin, method, &requested) else {
        let resource_type = if key.is_some() { "OBJECT" } else { "BUCKET" };
        return xml_error(
            StatusCode::FORBIDDEN,
            "AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request \
             method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the \
             resource's CORS spec.",
            &format!(
                "<Method>{}</Method><ResourceType>{resource_type}</ResourceType>",
                escape(method)
            ),
        );
    };
    let mut resp = http::Response::new(s3s::Body::empty());
    rule_headers(resp.headers_mut(), rule, origin, &requested);
    resp.headers_mut()
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(0));
    resp
}

/// The CORS headers for an actual (non-preflight) request from `origin`, if a rule allows it.
pub fn actual_request_headers(
    store: &Store,
    bucket: &str,
    origin: &str,
    method: &str,
) -> Option<HeaderMap> {
    let rules = rules_of(store, bucket)?;
    let rule = matching_rule(&rules, origin, method, &[])?;
    let mut headers = HeaderMap::new();
    rule_headers(&mut headers, rule, origin, &[]);
    Some(headers)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRuleConfig {
        let v = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        CorsRuleConfig {
            id: None,
            allowed_origins: v(origins),
            allowed_methods: v(methods),
            allowed_headers: v(headers),
            expose_headers: vec![],
            max_age_seconds: None,
        }
    }

    #[test]
    fn origin_method_and_headers_must_all_match() {
        let rules = vec![
            rule(
                &["https://app.example.com"],
                &["PUT"],
                &["content-type", "x-amz-*"],
            ),
            rule(&["https://*.example.org"], &["GET", "HEAD"], &[]),
            rule(&["*"], &["GET"], &["*"]),
        ];
        let h = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let first = matching_rule(
            &rules,
            "https://app.example.com",
            "PUT",
            &h(&["content-type", "x-amz-meta-a"]),
        );
        assert_eq!(first, Some(&rules[0]));
        assert_eq!(
            matching_rule(
                &rules,
                "https://app.example.com",
                "PUT",
                &h(&["authorization"])
            ),
            None
        );
        assert_eq!(
            matching_rule(&rules, "https://app.example.com", "DELETE", &[]),
            None
        );
        assert_eq!(
            matching_rule(&rules, "https://a.b.example.org", "HEAD", &[]),
            Some(&rules[1])
        );
        assert_eq!(
            matching_rule(&rules, "https://example.org", "HEAD", &[]),
            None
        );
        // A header the second rule does not allow falls through to the wildcard rule.
        assert_eq!(
            matching_rule(&rules, "https://x.example.org", "GET", &h(&["x-custom"])),
            Some(&rules[2])
        );
        assert_eq!(matching_rule(&rules, "http://anything", "POST", &[]), None);
    }

    #[test]
    fn response_headers() {
        let mut r = rule(&["https://app.example.com"], &["GET", "PUT"], &["*"]);
        r.expose_headers = vec!["ETag".into()];
        r.max_age_seconds = Some(600);
        let mut headers = HeaderMap::new();
        rule_headers(
            &mut headers,
            &r,
            "https://app.example.com",
            &["content-type".into()],
        );
        let get = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_owned();
        assert_eq!(
            get("access-control-allow-origin"),
            "https://app.example.com"
        );
        assert_eq!(get("access-control-allow-methods"), "GET, PUT");
        assert_eq!(get("access-control-allow-headers"), "content-type");
        assert_eq!(get("access-control-expose-headers"), "ETag");
        assert_eq!(get("access-control-max-age"), "600");
        assert_eq!(get("access-control-allow-credentials"), "true");
        assert_eq!(get("vary"), VARY);
    }
}
