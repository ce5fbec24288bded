//! Static website hosting: requests to a website endpoint Host (`host::parse_website_host`)
//! answered from the bucket's website configuration, with HTML error pages as AWS's website
//! endpoint sends them.
//!
//! Objects are fetched by passing an anonymous path-style `GET`/`HEAD` through the ordinary S3
//! service: the access decision (website endpoints serve only what anonymous callers may read),
//! object storage and body streaming are the REST endpoint's own, so the website sees exactly
//! what an anonymous REST caller would.

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use nimbus_store::Store;
use s3s::service::S3Service;

use crate::bucket_config::{RoutingRuleConfig, WebsiteConfig, get_config};
use crate::records::{BUCKET_SCOPE, BucketRecord};

/// Request headers passed on to the object fetch.
const FORWARDED: &[&str] = &[
    "range",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
];

/// What the REST service answered for one key.
struct Fetched {
    response: http::Response<s3s::Body>,
    /// The S3 error code of a failed fetch.
    code: Option<String>,
}

impl Fetched {
    fn status(&self) -> u16 {
        self.response.status().as_u16()
    }
}

pub async fn serve(
    service: &S3Service,
    store: &Store,
    bucket: &str,
    req: &http::Request<s3s::Body>,
    request_id: &str,
) -> http::Response<s3s::Body> {
    let page = |status: StatusCode, code: &str, message: &str, extra: &[(&str, &str)]| {
        error_page(status, code, message, extra, request_id, None)
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let method = req.method().as_str();
        return page(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            &[("Method", method), ("ResourceType", "OBJECT")],
        );
    }
    let Some(record) = store
        .get::<BucketRecord>(BUCKET_SCOPE, bucket)
        .ok()
        .flatten()
    else {
        return page(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
            &[("BucketName", bucket)],
        );
    };
    let Some(config) = get_config::<WebsiteConfig>(store, &record.id)
        .ok()
        .flatten()
    else {
        return page(
            StatusCode::NOT_FOUND,
            "NoSuchWebsiteConfiguration",
            "The specified bucket does not have a website configuration",
            &[("BucketName", bucket)],
        );
    };
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let path = req.uri().path();
    if let Some(all) = &config.redirect_all {
        let protocol = all.protocol.as_deref().unwrap_or("http");
        return redirect(
            StatusCode::MOVED_PERMANENTLY,
            &format!("{protocol}://{}{path}", all.host_name),
        );
    }
    let raw_key = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    // Rules without an error-code condition redirect before anything is fetched.
    if let Some(rule) = config.routing_rules.iter().find(|r| {
        r.http_error_code_returned_equals.is_none()
            && r.key_prefix_equals
                .as_deref()
                .is_some_and(|p| raw_key.starts_with(p))
    }) {
        return rule_redirect(rule, &raw_key, host);
    }
    let suffix = config.index_suffix.as_deref().unwrap_or("index.html");
    let key = if raw_key.is_empty() || raw_key.ends_with('/') {
        format!("{raw_key}{suffix}")
    } else {
        raw_key.clone()
    };
    let fetched = fetch(service, req, bucket, &key).await;
    if fetched.status() < 400 {
        let location = fetched
            .response
            .headers()
            .get("x-amz-website-redirect-location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(location) = location {
            return redirect(StatusCode::MOVED_PERMANENTLY, &location);
        }
        return fetched.response;
    }
    // `/dir` naming a folder with an index document: redirect to `/dir/`.
    if fetched.code.as_deref() == Some("NoSuchKey") && !key.ends_with('/') {
        let index = format!("{key}/{suffix}");
        if fetch_head(service, bucket, &index).await.status() == 200 {
            return redirect(StatusCode::FOUND, &format!("/{}/", encode_path(&key)));
        }
    }
    let status = fetched.status().to_string();
    if let Some(rule) = config.routing_rules.iter().find(|r| {
        r.http_error_code_returned_equals.as_deref() == Some(status.as_str())
            && r.key_prefix_equals
                .as_deref()
                .is_none_or(|p| raw_key.starts_with(p))
    }) {
        return rule_redirect(rule, &raw_key, host);
    }
    website_error(service, req, bucket, &key, &config, fetched, request_id).await
}

/// The error answer: the error document (with the error's status) if one is configured and
/// readable, else AWS's HTML error page.
async fn website_error(
    service: &S3Service,
    req: &http::Request<s3s::Body>,
    bucket: &str,
    key: &str,
    config: &WebsiteConfig,
    fetched: Fetched,
    request_id: &str,
) -> http::Response<s3s::Body> {
    let status = fetched.response.status();
    // Only "not found" and "forbidden" become pages; anything else (304, 412, 416) is passed on.
    if status != StatusCode::NOT_FOUND && status != StatusCode::FORBIDDEN {
        let mut resp = fetched.response;
        if status.as_u16() >= 400 {
            *resp.body_mut() = s3s::Body::empty();
            resp.headers_mut().remove(http::header::CONTENT_LENGTH);
        }
        return resp;
    }
    let code = fetched.code.unwrap_or_else(|| "AccessDenied".to_owned());
    let message = crate::errors::default_message(&code);
    let extra: Vec<(&str, &str)> = if code == "NoSuchKey" {
        vec![("Key", key)]
    } else {
        vec![]
    };
    let mut document_failure = None;
    if let Some(error_key) = &config.error_key {
        let doc = fetch(service, req, bucket, error_key).await;
        if doc.status() == 200 {
            let mut resp = doc.response;
            *resp.status_mut() = status;
            return resp;
        }
        document_failure = Some(doc.code.unwrap_or_else(|| "AccessDenied".to_owned()));
    }
    error_page(
        status,
        &code,
        message,
        &extra,
        request_id,
        document_failure.as_deref(),
    )
}

/// An anonymous GET/HEAD of `bucket/key` through the REST service.
async fn fetch(
    service: &S3Service,
    original: &http::Request<s3s::Body>,
    bucket: &str,
    key: &str,
) -> Fetched {
    let mut builder = http::Request::builder()
        .method(original.method().clone())
        .uri(format!("/{bucket}/{}", encode_path(key)))
        .header(http::header::HOST, "localhost");
    for name in FORWARDED {
        if let Some(v) = original.headers().get(*name) {
            builder = builder.header(*name, v.clone());
        }
    }
    call(service, builder).await
}

async fn fetch_head(service: &S3Service, bucket: &str, key: &str) -> Fetched {
    let builder = http::Request::builder()
        .method(Method::HEAD)
        .uri(format!("/{bucket}/{}", encode_path(key)))
        .header(http::header::HOST, "localhost");
    call(service, builder).await
}

async fn call(service: &S3Service, builder: http::request::Builder) -> Fetched {
    let Ok(req) = builder.body(s3s::Body::empty()) else {
        return Fetched {
            response: status_only(StatusCode::BAD_REQUEST),
            code: Some("InvalidURI".into()),
        };
    };
    let response = match service.call(req).await {
        Ok(r) => r,
        Err(_) => {
            return Fetched {
                response: status_only(StatusCode::INTERNAL_SERVER_ERROR),
                code: None,
            };
        }
    };
    if response.status().as_u16() < 400 {
        return Fetched {
            response,
            code: None,
        };
    }
    // Error bodies are small XML documents; HEAD errors have none, so the status says it.
    let (parts, body) = response.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let code = text
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.to_owned())
        .or_else(|| match parts.status {
            StatusCode::NOT_FOUND => Some("NoSuchKey".to_owned()),
            StatusCode::FORBIDDEN => Some("AccessDenied".to_owned()),
            _ => None,
        });
    Fetched {
        response: http::Response::from_parts(parts, s3s::Body::from(bytes)),
        code,
    }
}

fn status_only(status: StatusCode) -> http::Response<s3s::Body> {
    let mut resp = http::Response::new(s3s::Body::empty());
    *resp.status_mut() = status;
    resp
}

/// Where a routing rule sends a request for `key`.
fn rule_redirect(
    rule: &RoutingRuleConfig,
    key: &str,
    request_host: &str,
) -> http::Response<s3s::Body> {
    let new_key = if let Some(replacement) = &rule.replace_key_with {
        replacement.clone()
    } else if let Some(prefix) = &rule.replace_key_prefix_with {
        let matched = rule.key_prefix_equals.as_deref().unwrap_or("");
        format!("{prefix}{}", key.strip_prefix(matched).unwrap_or(key))
    } else {
        key.to_owned()
    };
    let protocol = rule.protocol.as_deref().unwrap_or("http");
    let host = rule.host_name.as_deref().unwrap_or(request_host);
    let status = rule
        .http_redirect_code
        .as_deref()
        .and_then(|c| c.parse::<u16>().ok())
        .and_then(|c| StatusCode::from_u16(c).ok())
        .unwrap_or(StatusCode::MOVED_PERMANENTLY);
    // Replacements are used as written (the `#!/` single-page-app prefix must stay a fragment);
    // only what cannot appear in a Location header is encoded.
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const UNSAFE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');
    redirect(
        status,
        &format!(
            "{protocol}://{host}/{}",
            utf8_percent_encode(&new_key, UNSAFE)
        ),
    )
}

fn redirect(status: StatusCode, location: &str) -> http::Response<s3s::Body> {
    let mut resp = status_only(status);
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(http::header::LOCATION, v);
    }
    resp.headers_mut()
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(0));
    resp
}

/// A key as a URL path: every byte but unreserved characters and `/` percent-encoded.
fn encode_path(key: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(key, SET).to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// AWS's website endpoint error page.
fn error_page(
    status: StatusCode,
    code: &str,
    message: &str,
    extra: &[(&str, &str)],
    request_id: &str,
    document_failure: Option<&str>,
) -> http::Response<s3s::Body> {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let mut items = format!(
        "<li>Code: {}</li>\n<li>Message: {}</li>\n",
        escape(code),
        escape(message)
    );
    for (name, value) in extra {
        items.push_str(&format!("<li>{name}: {}</li>\n", escape(value)));
    }
    items.push_str(&format!(
        "<li>RequestId: {request_id}</li>\n<li>HostId: {}</li>\n",
        crate::errors::host_id(request_id)
    ));
    let failure = document_failure.map_or_else(String::new, |doc_code| {
        format!(
            "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n<li>Code: {}</li>\n\
             <li>Message: {}</li>\n</ul>\n",
            escape(doc_code),
            escape(crate::errors::default_message(doc_code))
        )
    });
    let body = format!(
        "<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n{items}</ul>\n{failure}<hr/>\n</body>\n</html>\n"
    );
    let mut resp = http::Response::new(s3s::Body::from(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}
