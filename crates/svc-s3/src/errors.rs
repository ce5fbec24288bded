//! S3 error bodies as AWS writes them.
//!
//! s3s serializes `<Error><Code/><Message/></Error>` and leaves `Message` out when the error was
//! raised without one (many of its own checks do). AWS always sends a message, and also the
//! `Resource` the request named, a `RequestId` (the same as `x-amz-request-id`) and a `HostId`;
//! SDKs show these to users and some tools match on the messages. So every error response is
//! completed here, on its way out. Messages are AWS's own, from the S3 error code list in the
//! Amazon S3 API Reference ("Error responses").

use bytes::Bytes;
use http_body_util::BodyExt;

/// Error bodies are a few hundred bytes; anything larger is not an s3s error document.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// AWS's message for an error code, for errors raised without one.
pub fn default_message(code: &str) -> &'static str {
    match code {
        "AccessDenied" => "Access Denied",
        "AuthorizationHeaderMalformed" => "The authorization header that you provided is not valid.",
        "BadDigest" => "The Content-MD5 you specified did not match what we received.",
        "BucketAlreadyExists" => {
            "The requested bucket name is not available. The bucket namespace is shared by all users of the system. \
             Please select a different name and try again."
        }
        "BucketAlreadyOwnedByYou" => "Your previous request to create the named bucket succeeded and you already own it.",
        "BucketNotEmpty" => "The bucket you tried to delete is not empty",
        "EntityTooLarge" => "Your proposed upload exceeds the maximum allowed object size.",
        "EntityTooSmall" => "Your proposed upload is smaller than the minimum allowed object size.",
        "ExpiredToken" => "The provided token has expired.",
        "IncompleteBody" => "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        "InternalError" => "We encountered an internal error. Please try again.",
        "InvalidAccessKeyId" => "The AWS Access Key Id you provided does not exist in our records.",
        "InvalidArgument" => "Invalid Argument",
        "InvalidBucketName" => "The specified bucket is not valid.",
        "InvalidBucketState" => "The request is not valid with the current state of the bucket.",
        "InvalidDigest" => "The Content-MD5 you specified is not valid.",
        "InvalidObjectState" => "The operation is not valid for the current state of the object.",
        "InvalidPart" => {
            "One or more of the specified parts could not be found.  The part may not have been uploaded, or the \
             specified entity tag may not match the part's entity tag."
        }
        "InvalidPartOrder" => "The list of parts was not in ascending order. Parts must be ordered by part number.",
        "InvalidPolicyDocument" => "The content of the form does not meet the conditions specified in the policy document.",
        "InvalidRange" => "The requested range is not satisfiable",
        "InvalidRequest" => "Invalid Request",
        "InvalidStorageClass" => "The storage class you specified is not valid",
        "InvalidTag" => "The tag provided was not a valid tag.",
        "InvalidURI" => "Couldn't parse the specified URI.",
        "KeyTooLongError" => "Your key is too long",
        "MalformedPOSTRequest" => "The body of your POST request is not well-formed multipart/form-data.",
        "MalformedXML" => "The XML you provided was not well-formed or did not validate against our published schema",
        "MaxMessageLengthExceeded" => "Your request was too big.",
        "MetadataTooLarge" => "Your metadata headers exceed the maximum allowed metadata size.",
        "MethodNotAllowed" => "The specified method is not allowed against this resource.",
        "MissingContentLength" => "You must provide the Content-Length HTTP header.",
        "MissingSecurityHeader" => "Your request is missing a required header.",
        "NoSuchBucket" => "The specified bucket does not exist",
        "NoSuchBucketPolicy" => "The bucket policy does not exist",
        "NoSuchCORSConfiguration" => "The CORS configuration does not exist",
        "NoSuchKey" => "The specified key does not exist.",
        "NoSuchLifecycleConfiguration" => "The lifecycle configuration does not exist",
        "NoSuchTagSet" => "The TagSet does not exist",
        "NoSuchUpload" => {
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or \
             completed."
        }
        "NoSuchVersion" => "The specified version does not exist.",
        "NoSuchWebsiteConfiguration" => "The specified bucket does not have a website configuration",
        "NotImplemented" => "A header you provided implies functionality that is not implemented",
        "OperationAborted" => "A conflicting conditional operation is currently in progress against this resource. Please try again.",
        "PreconditionFailed" => "At least one of the pre-conditions you specified did not hold",
        "RequestTimeTooSkewed" => "The difference between the request time and the current time is too large.",
        "ServerSideEncryptionConfigurationNotFoundError" => "The server side encryption configuration was not found",
        "SignatureDoesNotMatch" => {
            "The request signature we calculated does not match the signature you provided. Check your key and signing \
             method."
        }
        "SlowDown" => "Please reduce your request rate.",
        "XAmzContentSHA256Mismatch" => "The provided 'x-amz-content-sha256' header does not match what was computed.",
        _ => "",
    }
}

/// Completes an error response's XML body (message, resource, request id, host id). Other
/// responses, and bodies that are not an s3s error document, pass through unchanged.
pub async fn complete(
    response: http::Response<s3s::Body>,
    resource: &str,
    request_id: &str,
) -> http::Response<s3s::Body> {
    let is_xml = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("xml"));
    let small = hyper::body::Body::size_hint(response.body())
        .upper()
        .is_some_and(|n| n <= MAX_ERROR_BODY as u64);
    if response.status().as_u16() < 400 || !is_xml || !small {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        parts.headers.remove(http::header::CONTENT_LENGTH);
        return http::Response::from_parts(parts, s3s::Body::empty());
    };
    let bytes = collected.to_bytes();
    // The code and message, for the call's audit record (`audit.rs`).
    if let Some(inner) = std::str::from_utf8(&bytes).ok().and_then(|xml| between(xml, "<Error>", "</Error>"))
        && let Some(code) = between(inner, "<Code>", "</Code>")
    {
        let message = between(inner, "<Message>", "</Message>").unwrap_or_else(|| default_message(code));
        parts.extensions.insert(crate::audit::ErrorInfo { code: code.to_owned(), message: message.to_owned() });
    }
    let completed = match std::str::from_utf8(&bytes).ok().and_then(|xml| rewrite(xml, resource, request_id)) {
        Some(xml) => Bytes::from(xml),
        None => bytes,
    };
    parts.headers.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(completed.len()));
    http::Response::from_parts(parts, s3s::Body::from(completed))
}

/// The completed document, or `None` when `xml` is not an `<Error>` document with a `<Code>`.
fn rewrite(xml: &str, resource: &str, request_id: &str) -> Option<String> {
    let inner = between(xml, "<Error>", "</Error>")?;
    let code = between(inner, "<Code>", "</Code>")?;
    let message = between(inner, "<Message>", "</Message>")
        .map(str::to_owned)
        .unwrap_or_else(|| escape(default_message(code)));
    // Elements s3s or the backend added beyond Code/Message/RequestId (BucketName, Key, ...).
    let mut extra = inner.to_owned();
    for tag in ["Code", "Message", "RequestId", "Resource", "HostId"] {
        if let (Some(start), Some(end)) = (extra.find(&format!("<{tag}>")), extra.find(&format!("</{tag}>"))) {
            extra.replace_range(start..end + tag.len() + 3, "");
        }
    }
    Some(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}\
         <Resource>{}</Resource><RequestId>{request_id}</RequestId><HostId>{}</HostId></Error>",
        escape(resource),
        host_id(request_id),
    ))
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let end = start + s[start..].find(close)?;
    Some(&s[start..end])
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// AWS's `x-amz-id-2`/`HostId` is an opaque base64 token; Nimbus derives one from the request id.
pub fn host_id(request_id: &str) -> String {
    use base64::Engine;
    use md5::{Digest, Md5};
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(request_id.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_code_gets_aws_message_resource_and_ids() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code></Error>";
        let out = rewrite(xml, "/bkt/a&b", "REQ1").unwrap();
        assert!(out.contains("<Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated"), "{out}");
        assert!(out.contains("<Resource>/bkt/a&amp;b</Resource><RequestId>REQ1</RequestId><HostId>"), "{out}");
    }

    #[test]
    fn an_existing_message_and_extra_elements_are_kept() {
        let xml = "<Error><Code>NoSuchKey</Code><Message>gone &amp; away</Message><Key>k</Key><RequestId>x</RequestId></Error>";
        let out = rewrite(xml, "/b/k", "REQ2").unwrap();
        assert!(out.contains("<Message>gone &amp; away</Message><Key>k</Key><Resource>/b/k</Resource><RequestId>REQ2</RequestId>"), "{out}");
        assert_eq!(out.matches("<RequestId>").count(), 1);
    }

    #[test]
    fn not_an_error_document() {
        assert!(rewrite("<ListBucketResult/>", "/", "R").is_none());
    }
}
