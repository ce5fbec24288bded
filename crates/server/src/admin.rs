//! Nimbus's own endpoints (`/_nimbus/*`) and LocalStack's health endpoint, so existing test
//! harnesses that wait on it work unchanged.

use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};
use nimbus_protocol::{HttpRequest, HttpResponse};
use serde_json::{Value, json};

use crate::Nimbus;

/// Whether a path is Nimbus's or LocalStack's own (never a service's, S3 included).
pub fn is_admin_path(path: &str) -> bool {
    path.starts_with("/_nimbus") || path.starts_with("/_localstack") || path.trim_end_matches('/') == "/health"
}

/// Whether the request moves Nimbus's clock (the sweepers then run before the answer).
pub fn moves_clock(req: &HttpRequest) -> bool {
    req.method == Method::POST && req.path.trim_end_matches('/') == "/_nimbus/clock"
}

/// Answers an admin path, or `None` when the path is not one.
pub fn handle(nimbus: &Arc<Nimbus>, req: &HttpRequest) -> Option<HttpResponse> {
    let path = req.path.trim_end_matches('/');
    Some(match (&req.method, path) {
        (&Method::GET | &Method::HEAD, "/_nimbus/health") => ok(health(nimbus)),
        (&Method::GET | &Method::HEAD, "/_localstack/health" | "/health") => ok(localstack_health(nimbus)),
        (&Method::GET, "/_nimbus/services") => ok(coverage(nimbus)),
        (&Method::GET, "/_nimbus/clock") => ok(clock(nimbus)),
        (&Method::POST, "/_nimbus/clock") => advance_clock(nimbus, &req.body),
        (&Method::POST, "/_nimbus/reset") => match reset(nimbus) {
            Ok(()) => ok(json!({"reset": true})),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &format!("reset failed: {e}")),
        },
        (method, p) if let Some(page) = service_page(nimbus, method, p, req) => page,
        (_, p) if p.starts_with("/_nimbus") || nimbus.claimed_admin_path(p) => {
            error(StatusCode::NOT_FOUND, &format!("no admin endpoint {} {p}", req.method))
        }
        _ => return None,
    })
}

/// `/_nimbus/<service>/<page>` or a path a service claims (`/_aws/ses`): a service's own page
/// (see `AdminPages`).
fn service_page(nimbus: &Nimbus, method: &Method, path: &str, req: &HttpRequest) -> Option<HttpResponse> {
    let (pages, rest) = match path.strip_prefix("/_nimbus/") {
        Some(rest) => {
            let (name, page) = rest.split_once('/').map_or((rest, ""), |(n, p)| (n, p));
            (nimbus.admin_pages(name)?, format!("/{page}"))
        }
        None => (nimbus.claiming_pages(path)?, path.to_owned()),
    };
    let (status, content_type, body) = pages.handle(method, &rest, &req.query, &req.body)?;
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    Some(HttpResponse { status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), headers, body: body.into() })
}

fn health(nimbus: &Nimbus) -> Value {
    let services: serde_json::Map<String, Value> =
        nimbus.served_names().into_iter().map(|name| (name.to_owned(), json!("running"))).collect();
    json!({
        "status": "running",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": nimbus.started.elapsed().as_secs_f64(),
        "services": services,
    })
}

/// LocalStack's `/_localstack/health` shape: every service it knows with a state.
fn localstack_health(nimbus: &Nimbus) -> Value {
    let services: serde_json::Map<String, Value> = nimbus_model::index()
        .iter()
        .map(|s| {
            let state = if nimbus.serves(&s.name) { "running" } else { "disabled" };
            (localstack_name(&s.name).to_owned(), json!(state))
        })
        .collect();
    json!({"services": services, "edition": "community", "version": env!("CARGO_PKG_VERSION")})
}

/// LocalStack names a few services differently from botocore.
fn localstack_name(model: &str) -> &str {
    match model {
        "cognito-idp" => "cognito-idp",
        "elbv2" => "elbv2",
        other => other,
    }
}

/// Per service: the operations implemented out of the model's total.
pub fn coverage(nimbus: &Nimbus) -> Value {
    let services: serde_json::Map<String, Value> = nimbus_model::index()
        .iter()
        .map(|s| {
            let implemented: Vec<&str> = nimbus.implemented_operations(&s.name);
            let missing: Vec<&str> =
                s.operations.iter().map(|o| o.name.as_str()).filter(|o| !implemented.contains(o)).collect();
            let entry = json!({
                "implemented": implemented.len(),
                "total": s.operations.len(),
                "operations": implemented,
                "not_implemented": missing,
            });
            (s.name.clone(), entry)
        })
        .collect();
    Value::Object(services)
}

fn clock(nimbus: &Nimbus) -> Value {
    json!({
        "now": nimbus_protocol::common::format_iso8601(nimbus.clock.now()),
        "offset_seconds": nimbus.clock.offset_millis() as f64 / 1000.0,
    })
}

/// `POST /_nimbus/clock {"advance_seconds": N}` moves Nimbus's clock forward by N seconds.
fn advance_clock(nimbus: &Nimbus, body: &[u8]) -> HttpResponse {
    let seconds = serde_json::from_slice::<Value>(body).ok().and_then(|v| v.get("advance_seconds")?.as_f64());
    let Some(seconds) = seconds.filter(|s| s.is_finite() && *s >= 0.0) else {
        return error(StatusCode::BAD_REQUEST, "expected a JSON body {\"advance_seconds\": N} with N >= 0 (time only moves forward)");
    };
    nimbus.clock.advance(Duration::from_secs_f64(seconds));
    if let Err(e) = nimbus.store.set_setting(crate::CLOCK_OFFSET_SETTING, &nimbus.clock.offset_millis().to_string()) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, &format!("could not persist the clock offset: {e}"));
    }
    ok(clock(nimbus))
}

fn reset(nimbus: &Nimbus) -> Result<(), nimbus_store::StoreError> {
    nimbus.store.reset()?;
    nimbus.clock.set_offset_millis(0);
    Ok(())
}

fn ok(body: Value) -> HttpResponse {
    respond(StatusCode::OK, body)
}

fn error(status: StatusCode, message: &str) -> HttpResponse {
    respond(status, json!({"error": message}))
}

fn respond(status: StatusCode, body: Value) -> HttpResponse {
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    HttpResponse { status, headers, body: serde_json::to_vec(&body).expect("json values serialize").into() }
}
