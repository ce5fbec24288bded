//! What every codec shares: error resolution against the model, timestamp formats.

use nimbus_core::ServiceError;
use nimbus_model::{ErrorTraits, ServiceModel};
use time::OffsetDateTime;

/// An error as the wire needs it: the shape name, the awsQuery code, status and fault side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedError {
    /// The error shape's name (`ResourceNotFoundException`), or the common error's code.
    pub shape_name: String,
    /// The code awsQuery / query-compatible clients expect (the shape's `error.code`, else its name).
    pub query_code: String,
    pub status: u16,
    /// `Sender` (client's fault) or `Receiver` (server's).
    pub sender_fault: bool,
    /// The name of the error shape's message member (`message` or `Message`), if it has one.
    pub message_member: Option<String>,
}

/// Resolves a service error against the model's error shapes, then AWS's common errors.
/// The status is, in order: the error's own override, the model's `httpStatusCode`, the common
/// error's status, 400 (500 for faults).
///
/// A query-compatible JSON model (SQS) has its error shapes without traits: botocore dropped the
/// awsQuery code and fault with the query protocol. They are read from the same-named shape of
/// the service's awsQuery model ([`ServiceModel::query_model`]), so `x-amzn-query-error` says
/// `AWS.SimpleQueueService.NonExistentQueue;Sender`. The status stays the JSON model's: the query
/// model's `httpStatusCode` is the query wire's (Smithy's `awsQueryError.httpResponseCode`); AWS's
/// SQS API reference lists `OverLimit` as 400, the query model as 403. Where AWS's Smithy model
/// gives SQS an HTTP status botocore's models lack (ReceiptHandleIsInvalid 404,
/// PurgeQueueInProgress 403), svc-sqs sets it on the error. An error neither model declares
/// keeps its code as given (Sender fault below 500).
pub fn resolve_error(model: Option<&ServiceModel>, err: &ServiceError) -> ResolvedError {
    if let Some(model) = model
        && let Some((name, shape)) = model.error_shape(&err.code)
    {
        let traits = shape.error.as_ref();
        let query_shape = match traits {
            Some(_) => None,
            None => model.query_model().and_then(|q| q.shape(name)).filter(|s| s.error.is_some()),
        };
        let query_traits = query_shape.and_then(|s| s.error.as_ref());
        let server_side = |t: &ErrorTraits| !t.sender_fault && t.http_status_code.unwrap_or(400) >= 500;
        let fault = shape.fault
            || traits.is_some_and(server_side)
            || query_shape.is_some_and(|s| s.fault)
            || query_traits.is_some_and(server_side);
        let status = err
            .status
            .or(traits.and_then(|t| t.http_status_code))
            .unwrap_or(if fault { 500 } else { 400 });
        let message_member = shape.members.keys().find(|k| k.eq_ignore_ascii_case("message")).cloned();
        let query_code = traits.or(query_traits).and_then(|t| t.code.clone());
        return ResolvedError {
            shape_name: name.to_owned(),
            query_code: query_code.unwrap_or_else(|| name.to_owned()),
            status,
            sender_fault: status < 500,
            message_member,
        };
    }
    let status = err.status.or_else(|| common_error_status(&err.code)).unwrap_or(400);
    ResolvedError {
        shape_name: err.code.to_string(),
        query_code: err.code.to_string(),
        status,
        sender_fault: status < 500,
        message_member: None,
    }
}

/// AWS's common errors (shared by all services, absent from most models) and their statuses.
pub fn common_error_status(code: &str) -> Option<u16> {
    Some(match code {
        "AccessDeniedException" | "AccessDenied" => 400,
        "IncompleteSignature" | "IncompleteSignatureException" => 400,
        "InternalFailure" | "InternalError" | "InternalServerError" => 500,
        "InvalidAction" => 400,
        "InvalidClientTokenId" => 403,
        "InvalidParameterCombination" | "InvalidParameterValue" | "InvalidQueryParameter" => 400,
        "MalformedQueryString" => 404,
        "MissingAction" | "MissingParameter" => 400,
        "MissingAuthenticationToken" | "MissingAuthenticationTokenException" => 403,
        "NotAuthorized" => 400,
        "OptInRequired" => 403,
        "RequestExpired" => 400,
        "ServiceUnavailable" => 503,
        "ThrottlingException" | "Throttling" => 400,
        "ValidationError" | "ValidationException" => 400,
        "SignatureDoesNotMatch" | "InvalidSignatureException" => 403,
        "UnrecognizedClientException" => 400,
        "ExpiredToken" | "ExpiredTokenException" => 400,
        "UnknownOperationException" => 400,
        "SerializationException" => 400,
        "NotImplemented" => 501,
        _ => return None,
    })
}

/// `2024-01-02T03:04:05Z`, or with `.123` when there are milliseconds (awsQuery/restXml default).
pub fn format_iso8601(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let millis = at.millisecond();
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    if millis == 0 { format!("{base}Z") } else { format!("{base}.{millis:03}Z") }
}

/// `Tue, 02 Jan 2024 03:04:05 GMT` (REST headers' default).
pub fn format_http_date(at: OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[at.weekday().number_days_from_monday() as usize],
        at.day(),
        MONTHS[u8::from(at.month()) as usize - 1],
        at.year(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Parses the timestamp forms clients send: ISO 8601 / RFC 3339 (with or without fractions or
/// offset), HTTP dates, and epoch seconds.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::{Rfc2822, Rfc3339};
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(at);
    }
    if let Ok(secs) = text.parse::<f64>() {
        return OffsetDateTime::from_unix_timestamp_nanos((secs * 1e9).round() as i128).ok();
    }
    if let Ok(at) = OffsetDateTime::parse(&text.replace(" GMT", " +0000"), &Rfc2822) {
        return Some(at);
    }
    // ISO 8601 without an offset (`2024-01-02T03:04:05`), which some clients send for UTC.
    OffsetDateTime::parse(&format!("{text}Z"), &Rfc3339).ok()
}

/// The wire forms of a timestamp (botocore's `timestampFormat`: `iso8601`, `rfc822`, `unixTimestamp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampFormat {
    Iso8601,
    HttpDate,
    EpochSeconds,
}

impl TimestampFormat {
    /// The format a member's timestamp takes: the member's trait, else the target shape's, else the
    /// default of where it sits (bodies, headers, query strings differ per protocol).
    pub fn of(member: &nimbus_model::ShapeRef, shape: &nimbus_model::Shape, default: TimestampFormat) -> TimestampFormat {
        match member.timestamp_format.as_deref().or(shape.timestamp_format.as_deref()) {
            Some("iso8601") => TimestampFormat::Iso8601,
            Some("rfc822") => TimestampFormat::HttpDate,
            Some("unixTimestamp") => TimestampFormat::EpochSeconds,
            _ => default,
        }
    }

    /// Renders a document timestamp (epoch seconds) as text; `None` when it is not a number.
    pub fn format(self, value: &nimbus_core::Document) -> Option<String> {
        let at = nimbus_core::document::parse_timestamp(value)?;
        Some(match self {
            TimestampFormat::Iso8601 => format_iso8601(at),
            TimestampFormat::HttpDate => format_http_date(at),
            TimestampFormat::EpochSeconds => {
                let millis = at.unix_timestamp_nanos().div_euclid(1_000_000);
                let (secs, frac) = (millis.div_euclid(1000), millis.rem_euclid(1000));
                if frac == 0 {
                    secs.to_string()
                } else {
                    format!("{secs}.{frac:03}").trim_end_matches('0').to_owned()
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_timestamps_as_aws_does() {
        let at = OffsetDateTime::from_unix_timestamp(1_704_164_645).unwrap();
        assert_eq!(format_iso8601(at), "2024-01-02T03:04:05Z");
        assert_eq!(format_iso8601(at + time::Duration::milliseconds(120)), "2024-01-02T03:04:05.120Z");
        assert_eq!(format_http_date(at), "Tue, 02 Jan 2024 03:04:05 GMT");
    }

    #[test]
    fn parses_every_client_form() {
        let at = OffsetDateTime::from_unix_timestamp(1_704_164_645).unwrap();
        for text in ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05", "1704164645", "Tue, 02 Jan 2024 03:04:05 GMT"] {
            assert_eq!(parse_timestamp(text), Some(at), "{text}");
        }
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn resolves_model_errors_and_common_errors() {
        let iam = nimbus_model::service("iam").unwrap();
        let r = resolve_error(Some(iam), &ServiceError::new("ConcurrentModificationException", "x"));
        assert_eq!(r.query_code, "ConcurrentModification");
        assert_eq!(r.status, 409);
        let r = resolve_error(None, &ServiceError::internal("boom"));
        assert_eq!((r.status, r.sender_fault), (500, false));
        let r = resolve_error(None, &ServiceError::new("InvalidClientTokenId", "x"));
        assert_eq!(r.status, 403);
    }

    #[test]
    fn query_compatible_json_errors_take_their_traits_from_the_query_model() {
        let sqs = nimbus_model::service("sqs").unwrap();
        let r = resolve_error(Some(sqs), &ServiceError::new("QueueDoesNotExist", "x"));
        assert_eq!(r.shape_name, "QueueDoesNotExist");
        assert_eq!(r.query_code, "AWS.SimpleQueueService.NonExistentQueue");
        assert_eq!((r.status, r.sender_fault), (400, true));
        assert_eq!(r.message_member.as_deref(), Some("message"));
        // The status is the wire's: 400 on JSON (no trait in the JSON model), 403 on query.
        let r = resolve_error(Some(sqs), &ServiceError::new("OverLimit", "x"));
        assert_eq!((r.query_code.as_str(), r.status), ("OverLimit", 400));
        let r = resolve_error(sqs.query_model(), &ServiceError::new("OverLimit", "x"));
        assert_eq!((r.query_code.as_str(), r.status), ("OverLimit", 403));
        let r = resolve_error(sqs.query_model(), &ServiceError::new("PurgeQueueInProgress", "x"));
        assert_eq!((r.query_code.as_str(), r.status), ("AWS.SimpleQueueService.PurgeQueueInProgress", 403));
        let r = resolve_error(Some(sqs), &ServiceError::new("QueueNameExists", "x"));
        assert_eq!(r.query_code, "QueueAlreadyExists");
        // In the query model without an `error` trait: the shape name is the code.
        let r = resolve_error(Some(sqs), &ServiceError::new("ReceiptHandleIsInvalid", "x"));
        assert_eq!((r.query_code.as_str(), r.status), ("ReceiptHandleIsInvalid", 400));
        // Only in the JSON model (newer than the query model): as named, the sender's fault.
        let r = resolve_error(Some(sqs), &ServiceError::new("KmsThrottled", "x"));
        assert_eq!((r.query_code.as_str(), r.status, r.sender_fault), ("KmsThrottled", 400, true));
        // In neither: AWS's common errors, or the code as given.
        let r = resolve_error(Some(sqs), &ServiceError::new("InvalidParameterValue", "x"));
        assert_eq!((r.query_code.as_str(), r.status, r.sender_fault), ("InvalidParameterValue", 400, true));
        let r = resolve_error(Some(sqs), &ServiceError::new("InvalidAttributeValue", "x"));
        assert_eq!((r.query_code.as_str(), r.status, r.sender_fault), ("InvalidAttributeValue", 400, true));
    }
}
