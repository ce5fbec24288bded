//! Signing then verifying, and every way a request can fail to verify.

use http::{HeaderMap, HeaderValue};
use nimbus_auth::{
    AuthError, PayloadHash, RequestParts, SigningParams, VerifyOptions, parse, presign_query,
    sign_headers, verify,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SIGNED_AT: OffsetDateTime = datetime!(2024-01-01 00:00:00 UTC);
const BODY: &[u8] = br#"{"SecretId":"db/password"}"#;

fn params() -> SigningParams<'static> {
    SigningParams {
        access_key_id: KEY_ID,
        secret_access_key: SECRET,
        session_token: None,
        region: "eu-west-1",
        service: "secretsmanager",
        time: SIGNED_AT,
        double_encode_path: true,
    }
}

fn base_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost:4566"));
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    headers.insert(
        "x-amz-target",
        HeaderValue::from_static("secretsmanager.GetSecretValue"),
    );
    headers.insert("user-agent", HeaderValue::from_static("aws-cli/2.15.0"));
    headers
}

/// A signed request: method, path, query, and the headers as sent.
struct Signed {
    method: &'static str,
    path: &'static str,
    query: &'static str,
    headers: HeaderMap,
}

impl Signed {
    fn new(method: &'static str, path: &'static str, query: &'static str, body: &[u8]) -> Self {
        Self::with(method, path, query, base_headers(), body, &params(), false)
    }

    fn with(
        method: &'static str,
        path: &'static str,
        query: &'static str,
        mut headers: HeaderMap,
        body: &[u8],
        params: &SigningParams,
        sign_content_sha256: bool,
    ) -> Self {
        let req = RequestParts {
            method,
            path,
            query,
            headers: &headers,
        };
        let added = sign_headers(&req, body, params, sign_content_sha256).unwrap();
        headers.extend(added);
        Signed {
            method,
            path,
            query,
            headers,
        }
    }

    fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: self.method,
            path: self.path,
            query: self.query,
            headers: &self.headers,
        }
    }

    fn check(&self, body: &[u8], opts: &VerifyOptions) -> Result<(), AuthError> {
        let info = parse(&self.parts())?.expect("signed");
        verify(&self.parts(), &info, SECRET, body, opts)
    }
}

fn at(now: OffsetDateTime) -> VerifyOptions {
    VerifyOptions::new(now)
}

fn assert_mismatch(result: Result<(), AuthError>) {
    match result {
        Err(error @ AuthError::SignatureMismatch { .. }) => {
            assert_eq!(error.code(), "SignatureDoesNotMatch");
            assert_eq!(error.status(), 403);
            assert_eq!(error.code_for(true), "InvalidSignatureException");
            assert_eq!(error.status_for(true), 400);
            assert_eq!(
                error.message(),
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
            );
            assert!(
                error
                    .debug_detail()
                    .unwrap()
                    .contains("The Canonical String for this request should have been")
            );
        }
        other => panic!("expected a signature mismatch, got {other:?}"),
    }
}

fn incomplete_message(result: Result<Option<nimbus_auth::SignatureInfo>, AuthError>) -> String {
    match result {
        Err(error @ AuthError::IncompleteSignature { .. }) => {
            assert_eq!((error.code(), error.status()), ("IncompleteSignature", 400));
            assert_eq!(
                (error.code_for(true), error.status_for(true)),
                ("IncompleteSignatureException", 400)
            );
            error.message()
        }
        other => panic!("expected IncompleteSignature, got {other:?}"),
    }
}

#[test]
fn a_signed_request_verifies_and_parse_reports_its_scope() {
    let signed = Signed::new("POST", "/", "", BODY);
    let info = parse(&signed.parts()).unwrap().unwrap();
    assert_eq!(info.access_key_id, KEY_ID);
    assert_eq!(info.date, "20240101");
    assert_eq!(info.region, "eu-west-1");
    assert_eq!(info.service, "secretsmanager");
    assert_eq!(
        info.signed_headers,
        ["content-type", "host", "x-amz-date", "x-amz-target"]
    );
    assert_eq!(info.request_time, SIGNED_AT);
    assert!(!info.presigned);
    assert_eq!(info.expires_secs, None);
    assert_eq!(info.session_token, None);
    assert_eq!(info.payload, PayloadHash::BodySha256);
    assert_eq!(info.signature.len(), 64);
    verify(&signed.parts(), &info, SECRET, BODY, &at(SIGNED_AT)).unwrap();
}

#[test]
fn anonymous_requests_parse_to_none() {
    let headers = base_headers();
    let req = RequestParts {
        method: "GET",
        path: "/",
        query: "Action=GetCallerIdentity",
        headers: &headers,
    };
    assert_eq!(parse(&req).unwrap(), None);
}

#[test]
fn tampering_with_any_signed_part_is_a_mismatch() {
    let signed = Signed::new("POST", "/path/x", "a=1&b=2", BODY);
    signed.check(BODY, &at(SIGNED_AT)).unwrap();

    let with = |f: &dyn Fn(&mut Signed)| {
        let mut copy = Signed {
            headers: signed.headers.clone(),
            ..signed
        };
        f(&mut copy);
        copy.check(BODY, &at(SIGNED_AT))
    };
    assert_mismatch(with(&|s| s.method = "PUT"));
    assert_mismatch(with(&|s| s.path = "/path/y"));
    assert_mismatch(with(&|s| s.query = "a=1&b=3"));
    assert_mismatch(with(&|s| s.query = "a=1"));
    assert_mismatch(with(&|s| {
        s.headers.insert(
            "x-amz-target",
            HeaderValue::from_static("secretsmanager.DeleteSecret"),
        );
    }));
    assert_mismatch(with(&|s| {
        s.headers
            .insert("host", HeaderValue::from_static("evil:4566"));
    }));
    // A signed header that is missing from the request.
    assert_mismatch(with(&|s| {
        s.headers.remove("content-type");
    }));
    assert_mismatch(signed.check(br#"{"SecretId":"other"}"#, &at(SIGNED_AT)));

    let info = parse(&signed.parts()).unwrap().unwrap();
    assert_mismatch(verify(
        &signed.parts(),
        &info,
        "another secret",
        BODY,
        &at(SIGNED_AT),
    ));

    // Unsigned headers may change freely.
    with(&|s| {
        s.headers
            .insert("user-agent", HeaderValue::from_static("curl"));
        s.headers
            .insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
    })
    .unwrap();
}

#[test]
fn clients_may_escape_the_query_differently_than_the_canonical_form() {
    let signed = Signed::new("GET", "/", "name=a%7Eb&Action=List", b"");
    let respelled = Signed {
        query: "Action=List&name=a~b",
        headers: signed.headers.clone(),
        ..signed
    };
    respelled.check(b"", &at(SIGNED_AT)).unwrap();
}

#[test]
fn path_encoding_is_switchable_between_double_and_single() {
    let double = Signed::new("GET", "/functions/my%20fn", "", b"");
    double.check(b"", &at(SIGNED_AT)).unwrap();
    let single_opts = VerifyOptions {
        double_encode_path: false,
        ..at(SIGNED_AT)
    };
    assert_mismatch(double.check(b"", &single_opts));

    let single_params = SigningParams {
        double_encode_path: false,
        service: "s3",
        ..params()
    };
    let single = Signed::with(
        "GET",
        "/bucket/my%20key",
        "",
        base_headers(),
        b"",
        &single_params,
        true,
    );
    single.check(b"", &single_opts).unwrap();
    assert_mismatch(single.check(b"", &at(SIGNED_AT)));
}

#[test]
fn clock_skew_beyond_fifteen_minutes_expires_header_signatures() {
    let signed = Signed::new("POST", "/", "", BODY);
    signed
        .check(BODY, &at(SIGNED_AT + Duration::minutes(14)))
        .unwrap();
    signed
        .check(BODY, &at(SIGNED_AT - Duration::minutes(14)))
        .unwrap();

    let late = signed
        .check(BODY, &at(SIGNED_AT + Duration::minutes(16)))
        .unwrap_err();
    assert_eq!(
        late.message(),
        "Signature expired: 20240101T000000Z is now earlier than 20240101T000100Z (20240101T001600Z - 15 min.)"
    );
    assert!(matches!(late, AuthError::SignatureExpired { .. }));
    assert_eq!((late.code(), late.status()), ("SignatureDoesNotMatch", 403));
    assert_eq!(
        (late.code_for(true), late.status_for(true)),
        ("InvalidSignatureException", 400)
    );

    let early = signed
        .check(BODY, &at(SIGNED_AT - Duration::minutes(16)))
        .unwrap_err();
    assert_eq!(
        early.message(),
        "Signature not yet current: 20240101T000000Z is still later than 20231231T235900Z (20231231T234400Z + 15 min.)"
    );
    assert_eq!(
        (early.code(), early.code_for(true)),
        ("SignatureDoesNotMatch", "InvalidSignatureException")
    );

    // Only real time counts for header signatures: Nimbus's clock may be anywhere.
    let moved_clock = VerifyOptions {
        clock_now: datetime!(2030-01-01 00:00:00 UTC),
        ..at(SIGNED_AT)
    };
    signed.check(BODY, &moved_clock).unwrap();
}

#[test]
fn unsigned_payload_is_accepted_without_hashing_the_body() {
    let mut headers = base_headers();
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    let signed = Signed::with("PUT", "/", "", headers, b"original", &params(), false);
    let info = parse(&signed.parts()).unwrap().unwrap();
    assert_eq!(info.payload, PayloadHash::Unsigned);
    assert!(
        info.signed_headers
            .contains(&"x-amz-content-sha256".to_owned())
    );
    signed.check(b"anything at all", &at(SIGNED_AT)).unwrap();
}

#[test]
fn streaming_payloads_are_signed_by_their_literal() {
    let mut headers = base_headers();
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
    );
    let signed = Signed::with("PUT", "/", "", headers, b"", &params(), false);
    let info = parse(&signed.parts()).unwrap().unwrap();
    assert_eq!(info.payload, PayloadHash::StreamingSigned);
    signed.check(b"chunked body", &at(SIGNED_AT)).unwrap();
}

#[test]
fn a_declared_body_hash_must_match_the_body() {
    let signed = Signed::with("POST", "/", "", base_headers(), BODY, &params(), true);
    let info = parse(&signed.parts()).unwrap().unwrap();
    assert!(matches!(info.payload, PayloadHash::Sha256Hex(_)));
    signed.check(BODY, &at(SIGNED_AT)).unwrap();
    // Services other than S3 hash what they received, so the signature simply fails.
    assert_mismatch(signed.check(b"other body", &at(SIGNED_AT)));
    // S3 names the mismatch itself.
    let s3 = VerifyOptions { double_encode_path: false, ..at(SIGNED_AT) };
    let error = signed.check(b"other body", &s3).unwrap_err();
    assert!(matches!(error, AuthError::ContentSha256Mismatch { .. }));
    assert_eq!(
        (error.code(), error.status()),
        ("XAmzContentSHA256Mismatch", 400)
    );
}

#[test]
fn an_invalid_content_sha256_is_rejected() {
    let mut signed = Signed::new("POST", "/", "", BODY);
    signed.headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("not-a-hash"),
    );
    let error = parse(&signed.parts()).unwrap_err();
    assert_eq!(
        error,
        AuthError::InvalidContentSha256 {
            value: "not-a-hash".into()
        }
    );
    assert_eq!((error.code(), error.status()), ("InvalidArgument", 400));
}

#[test]
fn session_tokens_are_signed_and_reported() {
    let with_token = SigningParams {
        session_token: Some("FwoGZXIvYXdzEXAMPLE"),
        ..params()
    };
    let signed = Signed::with("POST", "/", "", base_headers(), BODY, &with_token, false);
    let info = parse(&signed.parts()).unwrap().unwrap();
    assert_eq!(info.session_token.as_deref(), Some("FwoGZXIvYXdzEXAMPLE"));
    assert!(
        info.signed_headers
            .contains(&"x-amz-security-token".to_owned())
    );
    signed.check(BODY, &at(SIGNED_AT)).unwrap();

    let mut swapped = Signed {
        headers: signed.headers.clone(),
        ..signed
    };
    swapped
        .headers
        .insert("x-amz-security-token", HeaderValue::from_static("other"));
    assert_mismatch(swapped.check(BODY, &at(SIGNED_AT)));
}

fn with_authorization(value: &str) -> HeaderMap {
    let mut headers = base_headers();
    headers.insert("x-amz-date", HeaderValue::from_static("20240101T000000Z"));
    headers.insert("authorization", value.parse().unwrap());
    headers
}

fn parse_authorization(value: &str) -> Result<Option<nimbus_auth::SignatureInfo>, AuthError> {
    let headers = with_authorization(value);
    parse(&RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
    })
}

const GOOD_CREDENTIAL: &str = "Credential=AKID/20240101/us-east-1/sts/aws4_request";
const SIG: &str = "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn malformed_authorization_headers_are_incomplete_signatures() {
    let value = format!("AWS4-HMAC-SHA256 {GOOD_CREDENTIAL}, SignedHeaders=host;x-amz-date");
    assert_eq!(
        incomplete_message(parse_authorization(&value)),
        format!("Authorization header requires 'Signature' parameter. Authorization={value}")
    );

    let value = "AWS4-HMAC-SHA256 ";
    assert_eq!(
        incomplete_message(parse_authorization(value)),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"
    );

    let value = format!(
        "AWS4-HMAC-SHA256 Credential= AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, {SIG}"
    );
    assert_eq!(
        incomplete_message(parse_authorization(&value)),
        format!(
            "'AKID/20240101/us-east-1/sts/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '{value}'."
        )
    );

    let value = format!(
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts, SignedHeaders=host, {SIG}"
    );
    assert_eq!(
        incomplete_message(parse_authorization(&value)),
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20240101/us-east-1/sts'"
    );

    let value = format!(
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws5_request, SignedHeaders=host, {SIG}"
    );
    assert_eq!(
        incomplete_message(parse_authorization(&value)),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."
    );

    let value = format!(
        "AWS4-HMAC-SHA256 Credential=AKID/2024-01-01/us-east-1/sts/aws4_request, SignedHeaders=host, {SIG}"
    );
    assert!(
        incomplete_message(parse_authorization(&value))
            .starts_with("Invalid credential date '2024-01-01'.")
    );

    let value = format!("AWS4-ECDSA-P256-SHA256 {GOOD_CREDENTIAL}, SignedHeaders=host, {SIG}");
    assert_eq!(
        incomplete_message(parse_authorization(&value)),
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'."
    );
    assert!(
        incomplete_message(parse_authorization("Bearer abc"))
            .starts_with("Unsupported AWS 'algorithm'")
    );

    let value = format!("AWS4-HMAC-SHA256 {GOOD_CREDENTIAL}, SignedHeaders=x-amz-date, {SIG}");
    assert_eq!(
        incomplete_message(parse_authorization(&value)),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[test]
fn dates_must_be_present_well_formed_and_match_the_scope() {
    let value = format!("AWS4-HMAC-SHA256 {GOOD_CREDENTIAL}, SignedHeaders=host;x-amz-date, {SIG}");

    let mut headers = with_authorization(&value);
    headers.remove("x-amz-date");
    let req = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
    };
    assert_eq!(
        incomplete_message(parse(&req)),
        format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={value}"
        )
    );

    headers.insert(
        "x-amz-date",
        HeaderValue::from_static("2024-01-01T00:00:00Z"),
    );
    let req = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
    };
    assert_eq!(
        incomplete_message(parse(&req)),
        "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"
    );

    // The Date header stands in for X-Amz-Date.
    headers.remove("x-amz-date");
    headers.insert(
        "date",
        HeaderValue::from_static("Mon, 01 Jan 2024 00:00:05 GMT"),
    );
    let req = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
    };
    assert_eq!(
        parse(&req).unwrap().unwrap().request_time,
        datetime!(2024-01-01 00:00:05 UTC)
    );

    headers.insert("x-amz-date", HeaderValue::from_static("20240102T000000Z"));
    let req = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
    };
    let error = parse(&req).unwrap_err();
    assert_eq!(
        error.message(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240101' != '20240102', from '20240102T000000Z'."
    );
    assert_eq!(
        (error.code(), error.code_for(true)),
        ("SignatureDoesNotMatch", "InvalidSignatureException")
    );
}

fn presigned(expires_secs: u64, session_token: Option<&'static str>) -> (HeaderMap, String) {
    let headers = {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("localhost:4566"));
        headers
    };
    let params = SigningParams {
        service: "sts",
        region: "us-east-1",
        session_token,
        ..params()
    };
    let req = RequestParts {
        method: "GET",
        path: "/",
        query: "Action=GetCallerIdentity&Version=2011-06-15",
        headers: &headers,
    };
    let query = presign_query(&req, &params, expires_secs);
    (headers, query)
}

fn check_presigned(
    headers: &HeaderMap,
    query: &str,
    opts: &VerifyOptions,
) -> Result<(), AuthError> {
    let req = RequestParts {
        method: "GET",
        path: "/",
        query,
        headers,
    };
    let info = parse(&req)?.expect("presigned");
    verify(&req, &info, SECRET, b"", opts)
}

#[test]
fn presigned_requests_verify_until_they_expire_on_nimbus_clock() {
    let (headers, query) = presigned(900, Some("session-token/+="));
    assert!(query.starts_with(
        "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
    ));
    assert!(query.contains("&X-Amz-Security-Token=session-token%2F%2B%3D&"));

    let req = RequestParts {
        method: "GET",
        path: "/",
        query: &query,
        headers: &headers,
    };
    let info = parse(&req).unwrap().unwrap();
    assert!(info.presigned);
    assert_eq!(info.expires_secs, Some(900));
    assert_eq!(info.service, "sts");
    assert_eq!(info.signed_headers, ["host"]);
    assert_eq!(info.session_token.as_deref(), Some("session-token/+="));
    assert_eq!(info.payload, PayloadHash::Unsigned);

    // Real time is ten days later; only Nimbus's clock decides expiry.
    let wall_now = SIGNED_AT + Duration::days(10);
    let clock = |clock_now| VerifyOptions {
        wall_now,
        clock_now,
        ..at(wall_now)
    };
    check_presigned(&headers, &query, &clock(SIGNED_AT + Duration::seconds(900))).unwrap();
    let error =
        check_presigned(&headers, &query, &clock(SIGNED_AT + Duration::seconds(901))).unwrap_err();
    assert!(matches!(error, AuthError::PresignedUrlExpired { .. }));
    assert_eq!(
        (error.code(), error.status(), error.message()),
        ("RequestExpired", 400, "Request has expired.".to_owned())
    );

    // Presigned far in the future of real time is not yet valid.
    let error =
        check_presigned(&headers, &query, &at(SIGNED_AT - Duration::minutes(16))).unwrap_err();
    assert!(matches!(error, AuthError::SignatureNotYetCurrent { .. }));
}

#[test]
fn presigned_queries_cannot_be_altered() {
    let (headers, query) = presigned(900, None);
    check_presigned(&headers, &query, &at(SIGNED_AT)).unwrap();
    assert_mismatch(check_presigned(
        &headers,
        &query.replace("GetCallerIdentity", "GetSessionToken"),
        &at(SIGNED_AT),
    ));
    assert_mismatch(check_presigned(
        &headers,
        &query.replace("X-Amz-Expires=900", "X-Amz-Expires=3600"),
        &at(SIGNED_AT),
    ));
    assert_mismatch(check_presigned(
        &headers,
        &format!("{query}&extra=1"),
        &at(SIGNED_AT),
    ));
    let mut other_host = headers.clone();
    other_host.insert("host", HeaderValue::from_static("elsewhere"));
    assert_mismatch(check_presigned(&other_host, &query, &at(SIGNED_AT)));
}

#[test]
fn presigned_parameters_are_checked() {
    let (headers, query) = presigned(900, None);
    let parse_query = |query: &str| {
        parse(&RequestParts {
            method: "GET",
            path: "/",
            query,
            headers: &headers,
        })
    };

    for (bad, message) in [
        ("X-Amz-Expires=0", "X-Amz-Expires must be at least 1 second"),
        (
            "X-Amz-Expires=604801",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ),
        ("X-Amz-Expires=-1", "X-Amz-Expires must be non-negative"),
        ("X-Amz-Expires=soon", "X-Amz-Expires should be a number"),
    ] {
        assert_eq!(
            incomplete_message(parse_query(&query.replace("X-Amz-Expires=900", bad))),
            message
        );
    }
    parse_query(&query.replace("X-Amz-Expires=900", "X-Amz-Expires=604800")).unwrap();

    let without_signature: String = query
        .split('&')
        .filter(|p| !p.starts_with("X-Amz-Signature="))
        .collect::<Vec<_>>()
        .join("&");
    assert_eq!(
        incomplete_message(parse_query(&without_signature)),
        "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."
    );
    let only_signature = "X-Amz-Signature=abc";
    assert!(incomplete_message(parse_query(only_signature)).starts_with(
        "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'."
    ));
    assert!(
        incomplete_message(parse_query(
            &query.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1")
        ))
        .starts_with("X-Amz-Algorithm only supports")
    );
    assert_eq!(
        incomplete_message(parse_query(
            &query.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date")
        )),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );

    let mut both = headers.clone();
    both.insert(
        "authorization",
        HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=x"),
    );
    let req = RequestParts {
        method: "GET",
        path: "/",
        query: &query,
        headers: &both,
    };
    assert!(incomplete_message(parse(&req)).starts_with("Only one auth mechanism allowed"));
}

#[test]
fn a_presigned_request_without_expires_lives_for_the_skew_window() {
    let (headers, query) = presigned(900, None);
    let info = {
        let req = RequestParts {
            method: "GET",
            path: "/",
            query: &query,
            headers: &headers,
        };
        let mut info = parse(&req).unwrap().unwrap();
        info.expires_secs = None;
        info
    };
    let req = RequestParts {
        method: "GET",
        path: "/",
        query: &query,
        headers: &headers,
    };
    verify(
        &req,
        &info,
        SECRET,
        b"",
        &at(SIGNED_AT + Duration::minutes(15)),
    )
    .unwrap();
    let error = verify(
        &req,
        &info,
        SECRET,
        b"",
        &at(SIGNED_AT + Duration::minutes(16)),
    )
    .unwrap_err();
    assert!(matches!(error, AuthError::PresignedUrlExpired { .. }));
}

#[test]
fn errors_for_the_server_to_raise_map_per_protocol() {
    let cases = [
        (
            AuthError::MissingAuthenticationToken,
            ("MissingAuthenticationToken", 403),
            ("MissingAuthenticationTokenException", 400),
        ),
        (
            AuthError::UnknownAccessKeyId {
                access_key_id: "AKID".into(),
            },
            ("InvalidClientTokenId", 403),
            ("UnrecognizedClientException", 400),
        ),
        (
            AuthError::ExpiredToken,
            ("ExpiredToken", 403),
            ("ExpiredTokenException", 400),
        ),
    ];
    for (error, query, json) in cases {
        assert_eq!((error.code_for(false), error.status_for(false)), query);
        assert_eq!((error.code_for(true), error.status_for(true)), json);
    }
    assert_eq!(
        AuthError::MissingAuthenticationToken.message(),
        "Request is missing Authentication Token"
    );
    assert_eq!(
        AuthError::MissingAuthenticationToken.message_for(true),
        "Missing Authentication Token"
    );
    assert_eq!(
        AuthError::UnknownAccessKeyId {
            access_key_id: "AKID".into()
        }
        .to_string(),
        "InvalidClientTokenId: The security token included in the request is invalid."
    );
}
