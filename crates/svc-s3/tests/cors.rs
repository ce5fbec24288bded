//! CORS end to end: configuration operations, preflights answered by the front, and CORS
//! headers on actual requests.

mod common;

use common::*;

const CORS: &str = "<CORSConfiguration>\
    <CORSRule><ID>app</ID><AllowedOrigin>https://app.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\
    <AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-amz-*</AllowedHeader>\
    <ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>\
    <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>\
    </CORSConfiguration>";

async fn preflight(h: &Harness, target: &str, headers: &[(&str, &str)]) -> Resp {
    let mut call = h.call("OPTIONS", target).unsigned();
    for (n, v) in headers {
        call = call.header(n, v);
    }
    call.send().await
}

#[tokio::test]
async fn cors_configuration_operations() {
    let h = start(false).await;
    h.ok("PUT", "/web").await;
    let r = h.call("GET", "/web?cors").send().await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (404, Some("NoSuchCORSConfiguration"))
    );
    let r = h
        .call("PUT", "/web?cors")
        .body(CORS.as_bytes().to_vec())
        .send()
        .await;
    assert!(r.status < 300, "{}", r.text());
    let r = h.ok("GET", "/web?cors").await;
    assert_eq!(r.all("AllowedOrigin"), vec!["https://app.example.com", "*"]);
    assert_eq!(r.all("AllowedMethod"), vec!["GET", "PUT", "HEAD"]);
    assert_eq!(r.all("AllowedHeader"), vec!["content-type", "x-amz-*"]);
    assert_eq!(r.one("MaxAgeSeconds").as_deref(), Some("3000"));
    assert_eq!(r.one("ID").as_deref(), Some("app"));

    let bad_method = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>";
    let r = h
        .call("PUT", "/web?cors")
        .body(bad_method.as_bytes().to_vec())
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidRequest"))
    );
    assert!(
        r.text().contains("Unsupported method is PATCH"),
        "{}",
        r.text()
    );
    let rule =
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>";
    let too_many = format!(
        "<CORSConfiguration>{}</CORSConfiguration>",
        rule.repeat(101)
    );
    let r = h
        .call("PUT", "/web?cors")
        .body(too_many.into_bytes())
        .send()
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    let hundred = format!(
        "<CORSConfiguration>{}</CORSConfiguration>",
        rule.repeat(100)
    );
    assert!(
        h.call("PUT", "/web?cors")
            .body(hundred.into_bytes())
            .send()
            .await
            .status
            < 300
    );

    assert_eq!(h.call("DELETE", "/web?cors").send().await.status, 204);
    assert_eq!(h.call("GET", "/web?cors").send().await.status, 404);
}

#[tokio::test]
async fn preflight_requests() {
    let h = start(false).await;
    h.ok("PUT", "/web").await;
    // No CORS configuration: forbidden.
    let r = preflight(
        &h,
        "/web/k",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "GET"),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (403, Some("AccessForbidden"))
    );
    assert!(
        r.text()
            .contains("CORSResponse: This CORS request is not allowed"),
        "{}",
        r.text()
    );

    assert!(
        h.call("PUT", "/web?cors")
            .body(CORS.as_bytes().to_vec())
            .send()
            .await
            .status
            < 300
    );
    let r = preflight(
        &h,
        "/web/dir/file.txt",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            (
                "access-control-request-headers",
                "Content-Type, x-amz-meta-owner",
            ),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(
        r.header("access-control-allow-methods").as_deref(),
        Some("GET, PUT")
    );
    assert_eq!(
        r.header("access-control-allow-headers").as_deref(),
        Some("content-type, x-amz-meta-owner")
    );
    assert_eq!(
        r.header("access-control-expose-headers").as_deref(),
        Some("ETag")
    );
    assert_eq!(r.header("access-control-max-age").as_deref(), Some("3000"));
    assert_eq!(
        r.header("vary").as_deref(),
        Some("Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
    );
    assert!(r.body.is_empty());

    // The wildcard rule allows HEAD from anywhere, answered with `*`.
    let r = preflight(
        &h,
        "/web",
        &[
            ("origin", "http://other.test"),
            ("access-control-request-method", "HEAD"),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.header("access-control-allow-origin").as_deref()),
        (200, Some("*"))
    );

    // A header no rule allows, a method no rule allows, an origin no rule allows.
    for headers in [
        vec![
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "authorization"),
        ],
        vec![
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "DELETE"),
        ],
        vec![
            ("origin", "https://evil.example.com"),
            ("access-control-request-method", "GET"),
        ],
    ] {
        let r = preflight(&h, "/web/k", &headers).await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (403, Some("AccessForbidden")),
            "{headers:?}"
        );
        assert!(r.header("access-control-allow-origin").is_none());
    }
    // Missing Origin or method: 400.
    let r = preflight(&h, "/web/k", &[("access-control-request-method", "GET")]).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = preflight(&h, "/web/k", &[("origin", "https://app.example.com")]).await;
    assert_eq!(r.status, 400, "{}", r.text());
    // Virtual-hosted style.
    let host = format!("web.s3.localhost:{}", h.addr.port());
    let r = h
        .call("OPTIONS", "/k")
        .unsigned()
        .host(&host)
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "GET")
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn actual_requests_get_cors_headers() {
    let h = start(false).await;
    h.ok("PUT", "/web").await;
    assert!(
        h.call("PUT", "/web?cors")
            .body(CORS.as_bytes().to_vec())
            .send()
            .await
            .status
            < 300
    );
    h.put("/web/k", b"data").await;
    let r = h
        .call("GET", "/web/k")
        .header("origin", "https://app.example.com")
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(
        r.header("access-control-expose-headers").as_deref(),
        Some("ETag")
    );
    assert!(r.header("vary").is_some());
    // Errors carry them too, so the browser can read the error.
    let r = h
        .call("GET", "/web/missing")
        .header("origin", "https://app.example.com")
        .send()
        .await;
    assert_eq!(
        (r.status, r.header("access-control-allow-origin").as_deref()),
        (404, Some("https://app.example.com"))
    );
    let r = h
        .call("GET", "/web/k")
        .unsigned()
        .header("origin", "https://app.example.com")
        .send()
        .await;
    assert_eq!(
        (r.status, r.header("access-control-allow-origin").is_some()),
        (403, true)
    );
    // No match, no headers.
    let r = h
        .call("GET", "/web/k")
        .header("origin", "https://evil.example.com")
        .send()
        .await;
    assert!(r.header("access-control-allow-origin").is_none());
    let r = h
        .call("DELETE", "/web/k")
        .header("origin", "https://app.example.com")
        .send()
        .await;
    assert_eq!(r.status, 204);
    assert!(
        r.header("access-control-allow-origin").is_none(),
        "DELETE is not an allowed method"
    );
    let r = h.ok("GET", "/web?list-type=2").await;
    assert!(
        r.header("access-control-allow-origin").is_none(),
        "no Origin, no CORS headers"
    );
}
