//! Static website hosting end to end: configuration operations and the website endpoint.

mod common;

use common::*;

const WEBSITE: &str = "<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>\
    <ErrorDocument><Key>error.html</Key></ErrorDocument></WebsiteConfiguration>";

fn public_read(bucket: &str) -> String {
    format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )
}

/// A public website bucket, set up as a user does on AWS: no Block Public Access, a public-read
/// policy, a website configuration.
async fn site(h: &Harness, bucket: &str, config: &str) {
    h.ok("PUT", &format!("/{bucket}")).await;
    assert!(
        h.call("DELETE", format!("/{bucket}?publicAccessBlock"))
            .send()
            .await
            .status
            < 300
    );
    let r = h
        .call("PUT", format!("/{bucket}?policy"))
        .body(public_read(bucket).into_bytes())
        .send()
        .await;
    assert!(r.status < 300, "{}", r.text());
    let r = h
        .call("PUT", format!("/{bucket}?website"))
        .body(config.as_bytes().to_vec())
        .send()
        .await;
    assert!(r.status < 300, "{}", r.text());
}

async fn visit(h: &Harness, bucket: &str, path: &str) -> Resp {
    let host = format!("{bucket}.s3-website.localhost:{}", h.addr.port());
    h.call("GET", path).unsigned().host(&host).send().await
}

#[tokio::test]
async fn website_configuration_operations() {
    let h = start(false).await;
    h.ok("PUT", "/cfg").await;
    let r = h.call("GET", "/cfg?website").send().await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (404, Some("NoSuchWebsiteConfiguration"))
    );
    let config = "<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>\
        <ErrorDocument><Key>404.html</Key></ErrorDocument><RoutingRules><RoutingRule>\
        <Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition>\
        <Redirect><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith><HttpRedirectCode>302</HttpRedirectCode></Redirect>\
        </RoutingRule></RoutingRules></WebsiteConfiguration>";
    assert!(
        h.call("PUT", "/cfg?website")
            .body(config.as_bytes().to_vec())
            .send()
            .await
            .status
            < 300
    );
    let r = h.ok("GET", "/cfg?website").await;
    assert_eq!(r.one("Suffix").as_deref(), Some("index.html"));
    assert_eq!(r.one("Key").as_deref(), Some("404.html"));
    assert_eq!(r.one("KeyPrefixEquals").as_deref(), Some("docs/"));
    assert_eq!(r.one("ReplaceKeyPrefixWith").as_deref(), Some("documents/"));
    assert_eq!(r.one("HttpRedirectCode").as_deref(), Some("302"));

    let no_index = "<WebsiteConfiguration><ErrorDocument><Key>e.html</Key></ErrorDocument></WebsiteConfiguration>";
    let r = h
        .call("PUT", "/cfg?website")
        .body(no_index.as_bytes().to_vec())
        .send()
        .await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (400, Some("InvalidArgument"))
    );
    let slash = "<WebsiteConfiguration><IndexDocument><Suffix>a/b.html</Suffix></IndexDocument></WebsiteConfiguration>";
    assert_eq!(
        h.call("PUT", "/cfg?website")
            .body(slash.as_bytes().to_vec())
            .send()
            .await
            .status,
        400
    );

    assert_eq!(h.call("DELETE", "/cfg?website").send().await.status, 204);
    assert_eq!(h.call("GET", "/cfg?website").send().await.status, 404);
}

#[tokio::test]
async fn index_documents_error_documents_and_folders() {
    let h = start(false).await;
    site(&h, "www", WEBSITE).await;
    h.call("PUT", "/www/index.html")
        .header("content-type", "text/html")
        .body(b"<h1>home</h1>".to_vec())
        .send()
        .await;
    h.put("/www/blog/index.html", b"<h1>blog</h1>").await;
    h.put("/www/style.css", b"body{}").await;

    let r = visit(&h, "www", "/").await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"<h1>home</h1>".as_slice()),
        "{}",
        r.text()
    );
    assert_eq!(r.header("content-type").as_deref(), Some("text/html"));
    assert_eq!(visit(&h, "www", "/blog/").await.body, b"<h1>blog</h1>");
    assert_eq!(visit(&h, "www", "/style.css").await.body, b"body{}");
    let r = visit(&h, "www", "/blog").await;
    assert_eq!(
        (r.status, r.header("location").as_deref()),
        (302, Some("/blog/"))
    );
    let host = format!("www.s3-website.localhost:{}", h.addr.port());
    let r = h
        .call("HEAD", "/style.css")
        .unsigned()
        .host(&host)
        .send()
        .await;
    assert_eq!(
        (r.status, r.header("content-length").as_deref()),
        (200, Some("6"))
    );

    // Missing key, error document not there yet: AWS's HTML 404 naming the custom document failure.
    let r = visit(&h, "www", "/nope.html").await;
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let text = r.text();
    assert!(
        text.contains("<h1>404 Not Found</h1>") && text.contains("Code: NoSuchKey"),
        "{text}"
    );
    assert!(text.contains("Key: nope.html"), "{text}");
    assert!(text.contains("Custom Error Document"), "{text}");

    // With the error document: its body, status 404 (the single-page-app pattern).
    h.put("/www/error.html", b"<h1>oops</h1>").await;
    let r = visit(&h, "www", "/deep/missing").await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (404, b"<h1>oops</h1>".as_slice())
    );

    // Methods other than GET/HEAD.
    let r = h
        .call("PUT", "/x")
        .unsigned()
        .host(&host)
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!(r.status, 405);
    assert!(r.text().contains("MethodNotAllowed"));
}

#[tokio::test]
async fn not_public_no_config_no_bucket() {
    let h = start(false).await;
    // A website configuration but no public access: 403, with the error document's status.
    h.ok("PUT", "/private").await;
    let r = h
        .call("PUT", "/private?website")
        .body(WEBSITE.as_bytes().to_vec())
        .send()
        .await;
    assert!(r.status < 300);
    h.put("/private/index.html", b"secret").await;
    let r = visit(&h, "private", "/").await;
    assert_eq!(r.status, 403);
    assert!(
        r.text().contains("<h1>403 Forbidden</h1>") && r.text().contains("Code: AccessDenied"),
        "{}",
        r.text()
    );
    assert!(!r.text().contains("secret"));

    h.ok("PUT", "/plain").await;
    let r = visit(&h, "plain", "/").await;
    assert_eq!(r.status, 404);
    assert!(
        r.text().contains("Code: NoSuchWebsiteConfiguration"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("BucketName: plain"));

    let r = visit(&h, "ghost", "/").await;
    assert_eq!(r.status, 404);
    assert!(r.text().contains("Code: NoSuchBucket"), "{}", r.text());

    // Other website endpoint spellings reach the same bucket.
    site(&h, "spelled", WEBSITE).await;
    h.put("/spelled/index.html", b"hi").await;
    for host in [
        format!(
            "spelled.s3-website.localhost.localstack.cloud:{}",
            h.addr.port()
        ),
        "spelled.s3-website-us-east-1.amazonaws.com".to_owned(),
        "spelled.s3-website.eu-west-1.amazonaws.com".to_owned(),
    ] {
        let r = h.call("GET", "/").unsigned().host(&host).send().await;
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, b"hi".as_slice()),
            "{host}"
        );
    }
}

#[tokio::test]
async fn redirects_and_routing_rules() {
    let h = start(false).await;
    let rules = "<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>\
        <RoutingRules>\
        <RoutingRule><Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition>\
          <Redirect><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith></Redirect></RoutingRule>\
        <RoutingRule><Condition><KeyPrefixEquals>old.html</KeyPrefixEquals></Condition>\
          <Redirect><HostName>example.com</HostName><Protocol>https</Protocol><ReplaceKeyWith>new.html</ReplaceKeyWith>\
          <HttpRedirectCode>302</HttpRedirectCode></Redirect></RoutingRule>\
        <RoutingRule><Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition>\
          <Redirect><HostName>fallback.example.com</HostName><ReplaceKeyPrefixWith>#!/</ReplaceKeyPrefixWith></Redirect></RoutingRule>\
        </RoutingRules></WebsiteConfiguration>";
    site(&h, "rules", rules).await;
    h.put("/rules/page.html", b"page").await;
    let port = h.addr.port();

    let r = visit(&h, "rules", "/docs/a.html").await;
    assert_eq!(r.status, 301);
    assert_eq!(
        r.header("location"),
        Some(format!(
            "http://rules.s3-website.localhost:{port}/documents/a.html"
        ))
    );
    let r = visit(&h, "rules", "/old.html").await;
    assert_eq!(
        (r.status, r.header("location").as_deref()),
        (302, Some("https://example.com/new.html"))
    );
    assert_eq!(visit(&h, "rules", "/page.html").await.body, b"page");
    let r = visit(&h, "rules", "/missing").await;
    assert_eq!(r.status, 301);
    assert_eq!(
        r.header("location").as_deref(),
        Some("http://fallback.example.com/#!/missing")
    );

    // An object's own redirect.
    let r = h
        .call("PUT", "/rules/moved.html")
        .header("x-amz-website-redirect-location", "/page.html")
        .body(Vec::new())
        .send()
        .await;
    assert_eq!(r.status, 200);
    let r = visit(&h, "rules", "/moved.html").await;
    assert_eq!(
        (r.status, r.header("location").as_deref()),
        (301, Some("/page.html"))
    );

    // Redirect everything.
    h.ok("PUT", "/redirector").await;
    let all = "<WebsiteConfiguration><RedirectAllRequestsTo><HostName>www.example.com</HostName><Protocol>https</Protocol></RedirectAllRequestsTo></WebsiteConfiguration>";
    assert!(
        h.call("PUT", "/redirector?website")
            .body(all.as_bytes().to_vec())
            .send()
            .await
            .status
            < 300
    );
    let r = visit(&h, "redirector", "/a/b.html").await;
    assert_eq!(
        (r.status, r.header("location").as_deref()),
        (301, Some("https://www.example.com/a/b.html"))
    );
}
