//! Finding and parsing a signature: the `Authorization` header or presigned query parameters.

use time::OffsetDateTime;

use crate::canonical::{
    ALGORITHM, SCOPE_TERMINATOR, UNSIGNED_PAYLOAD, decode_query, format_iso_basic, is_scope_date,
    parse_http_date, parse_iso_basic,
};
use crate::{AuthError, PayloadHash, RequestParts, SignatureInfo};

pub(crate) const X_AMZ_ALGORITHM: &str = "X-Amz-Algorithm";
pub(crate) const X_AMZ_CREDENTIAL: &str = "X-Amz-Credential";
pub(crate) const X_AMZ_DATE: &str = "X-Amz-Date";
pub(crate) const X_AMZ_EXPIRES: &str = "X-Amz-Expires";
pub(crate) const X_AMZ_SIGNED_HEADERS: &str = "X-Amz-SignedHeaders";
pub(crate) const X_AMZ_SIGNATURE: &str = "X-Amz-Signature";
pub(crate) const X_AMZ_SECURITY_TOKEN: &str = "X-Amz-Security-Token";
pub(crate) const X_AMZ_CONTENT_SHA256: &str = "X-Amz-Content-Sha256";

/// A presigned URL may live at most seven days: the signing key is only valid that long.
pub const MAX_PRESIGNED_EXPIRES_SECS: u64 = 604_800;

/// Finds the signature (Authorization header or presigned query). `Ok(None)` = anonymous
/// request. Needs no secret: the server uses the scope to classify the request and look up
/// the key, then calls [`crate::verify`].
pub fn parse(req: &RequestParts) -> Result<Option<SignatureInfo>, AuthError> {
    let query = decode_query(req.query);
    let presigned = query.iter().any(|(name, _)| {
        [X_AMZ_ALGORITHM, X_AMZ_CREDENTIAL, X_AMZ_SIGNATURE]
            .iter()
            .any(|param| name.as_slice() == param.as_bytes())
    });
    match (req.headers.get(http::header::AUTHORIZATION), presigned) {
        (Some(_), true) => Err(AuthError::incomplete(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified",
        )),
        (Some(value), false) => parse_authorization_header(req, value).map(Some),
        (None, true) => parse_presigned(req, &query).map(Some),
        (None, false) => Ok(None),
    }
}

fn parse_authorization_header(
    req: &RequestParts,
    value: &http::HeaderValue,
) -> Result<SignatureInfo, AuthError> {
    let header = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
    let (algorithm, rest) = header
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((&header, ""));
    if algorithm != ALGORITHM {
        return Err(AuthError::incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'."
        )));
    }

    // AWS splits the parameter list on commas and whitespace alike, which is why a stray
    // space after `Credential=` is reported as "not a valid key=value pair".
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for token in rest
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|token| !token.is_empty())
    {
        let Some((key, value)) = token.split_once('=') else {
            return Err(AuthError::incomplete(format!(
                "'{token}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        slot.get_or_insert(value);
    }

    let date_header = header_str(req.headers, "x-amz-date").map(|v| (v, true));
    let date_header = date_header.or_else(|| header_str(req.headers, "date").map(|v| (v, false)));

    let mut missing = Vec::new();
    for (name, present) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !present {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    if date_header.is_none() {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .to_owned(),
        );
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some((date_text, is_amz_date))) =
        (credential, signed_headers, signature, date_header)
    else {
        return Err(AuthError::incomplete(format!(
            "{} Authorization={header}",
            missing.join(" ")
        )));
    };

    let request_time = if is_amz_date {
        parse_amz_date(&date_text)?
    } else {
        parse_http_date(&date_text).ok_or_else(|| {
            AuthError::incomplete(format!(
                "Date must be in ISO-8601 'basic format' (X-Amz-Date) or RFC 7231 format (Date). Got '{date_text}'."
            ))
        })?
    };

    let payload = match header_str(req.headers, "x-amz-content-sha256") {
        Some(value) => classify_payload_hash(&value)?,
        None => PayloadHash::BodySha256,
    };

    RawSignature {
        credential,
        signed_headers,
        signature,
        request_time,
        presigned: false,
        expires_secs: None,
        session_token: header_str(req.headers, "x-amz-security-token"),
        payload,
    }
    .check()
}

fn parse_presigned(
    req: &RequestParts,
    query: &[(Vec<u8>, Vec<u8>)],
) -> Result<SignatureInfo, AuthError> {
    let param = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key.as_slice() == name.as_bytes())
            .map(|(_, value)| String::from_utf8_lossy(value).into_owned())
    };

    let required = [
        X_AMZ_ALGORITHM,
        X_AMZ_CREDENTIAL,
        X_AMZ_SIGNATURE,
        X_AMZ_DATE,
        X_AMZ_SIGNED_HEADERS,
    ];
    let missing: Vec<String> = required
        .iter()
        .filter(|name| param(name).is_none())
        .map(|name| format!("AWS query-string parameters must include '{name}'."))
        .collect();
    if !missing.is_empty() {
        return Err(AuthError::incomplete(format!(
            "{} Re-examine the query-string parameters.",
            missing.join(" ")
        )));
    }
    let value = |name: &str| param(name).unwrap_or_default();

    let algorithm = value(X_AMZ_ALGORITHM);
    if algorithm != ALGORITHM {
        return Err(AuthError::incomplete(format!(
            "X-Amz-Algorithm only supports \"{ALGORITHM}\", not '{algorithm}'."
        )));
    }
    let request_time = parse_amz_date(&value(X_AMZ_DATE))?;
    let expires_secs = param(X_AMZ_EXPIRES)
        .map(|text| parse_expires(&text))
        .transpose()?;

    // S3 semantics: a presigned URL covers no body unless it says which. verify() also
    // accepts the body's SHA-256, which botocore signs for non-S3 presigned URLs.
    let payload = match param(X_AMZ_CONTENT_SHA256)
        .or_else(|| header_str(req.headers, "x-amz-content-sha256"))
    {
        Some(value) => classify_payload_hash(&value)?,
        None => PayloadHash::Unsigned,
    };
    let session_token =
        param(X_AMZ_SECURITY_TOKEN).or_else(|| header_str(req.headers, "x-amz-security-token"));

    RawSignature {
        credential: &value(X_AMZ_CREDENTIAL),
        signed_headers: &value(X_AMZ_SIGNED_HEADERS),
        signature: &value(X_AMZ_SIGNATURE),
        request_time,
        presigned: true,
        expires_secs,
        session_token,
        payload,
    }
    .check()
}

/// What either form carries, before the checks both share: credential scope, signed
/// headers, date.
struct RawSignature<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
    request_time: OffsetDateTime,
    presigned: bool,
    expires_secs: Option<u64>,
    session_token: Option<String>,
    payload: PayloadHash,
}

impl RawSignature<'_> {
    fn check(self) -> Result<SignatureInfo, AuthError> {
        let credential = self.credential;
        let parts: Vec<&str> = credential.split('/').collect();
        let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
            return Err(bad_credential(credential));
        };
        if [access_key_id, date, region, service, terminator]
            .iter()
            .any(|part| part.is_empty())
        {
            return Err(bad_credential(credential));
        }
        if *terminator != SCOPE_TERMINATOR {
            return Err(AuthError::incomplete(format!(
                "Credential should be scoped with a valid terminator: '{SCOPE_TERMINATOR}', not '{terminator}'."
            )));
        }
        if !is_scope_date(date) {
            return Err(AuthError::incomplete(format!(
                "Invalid credential date '{date}'. Date is not the required format: yyyyMMdd."
            )));
        }

        let request_time_text = format_iso_basic(self.request_time);
        if request_time_text[..8] != **date {
            return Err(AuthError::ScopeDateMismatch {
                scope_date: (*date).to_owned(),
                request_date: request_time_text[..8].to_owned(),
                request_time: request_time_text,
            });
        }

        let signed_headers: Vec<String> = self
            .signed_headers
            .split(';')
            .filter(|name| !name.is_empty())
            .map(|name| name.trim().to_ascii_lowercase())
            .collect();
        if !signed_headers.iter().any(|name| name == "host") {
            return Err(AuthError::incomplete(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            ));
        }

        Ok(SignatureInfo {
            access_key_id: (*access_key_id).to_owned(),
            date: (*date).to_owned(),
            region: (*region).to_owned(),
            service: (*service).to_owned(),
            signed_headers,
            signature: self.signature.to_ascii_lowercase(),
            request_time: self.request_time,
            presigned: self.presigned,
            expires_secs: self.expires_secs,
            session_token: self.session_token,
            payload: self.payload,
        })
    }
}

fn bad_credential(credential: &str) -> AuthError {
    AuthError::incomplete(format!(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
    ))
}

fn parse_amz_date(text: &str) -> Result<OffsetDateTime, AuthError> {
    parse_iso_basic(text).ok_or_else(|| {
        AuthError::incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ))
    })
}

fn parse_expires(text: &str) -> Result<u64, AuthError> {
    if text.starts_with('-') {
        return Err(AuthError::incomplete("X-Amz-Expires must be non-negative"));
    }
    let secs: u64 = text
        .parse()
        .map_err(|_| AuthError::incomplete("X-Amz-Expires should be a number"))?;
    if secs == 0 {
        return Err(AuthError::incomplete(
            "X-Amz-Expires must be at least 1 second",
        ));
    }
    if secs > MAX_PRESIGNED_EXPIRES_SECS {
        return Err(AuthError::incomplete(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGNED_EXPIRES_SECS}"
        )));
    }
    Ok(secs)
}

/// Reads `x-amz-content-sha256` (or its presigned query form).
pub(crate) fn classify_payload_hash(value: &str) -> Result<PayloadHash, AuthError> {
    if value == UNSIGNED_PAYLOAD {
        Ok(PayloadHash::Unsigned)
    } else if value.starts_with("STREAMING-") {
        Ok(PayloadHash::StreamingSigned)
    } else if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(PayloadHash::Sha256Hex(value.to_ascii_lowercase()))
    } else {
        Err(AuthError::InvalidContentSha256 {
            value: value.to_owned(),
        })
    }
}

/// The payload hash exactly as the client put it in its canonical request, or `None` when
/// it sent none (then the body's SHA-256 or `UNSIGNED-PAYLOAD` is implied).
pub(crate) fn declared_payload_literal(req: &RequestParts, presigned: bool) -> Option<String> {
    let from_query = presigned
        .then(|| {
            decode_query(req.query)
                .into_iter()
                .find(|(name, _)| name.as_slice() == X_AMZ_CONTENT_SHA256.as_bytes())
                .map(|(_, value)| String::from_utf8_lossy(&value).into_owned())
        })
        .flatten();
    from_query.or_else(|| header_str(req.headers, "x-amz-content-sha256"))
}

fn header_str(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).trim().to_owned())
}
