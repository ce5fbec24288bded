//! One AWS request, end to end: classify, authenticate, decode, call the service, encode.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use nimbus_core::{ApiCall, CredentialRegistry, Interest, Principal, RequestContext, ServiceError};
use nimbus_model::Operation;
use nimbus_protocol::{HttpRequest, HttpResponse, Protocol, Wire};

use crate::audit::{CallTrace, record_form};
use crate::classify::{Classified, classify};
use crate::credentials::account_for_key;
use crate::sqs_queue_url::fill_queue_url_from_path;
use crate::{AuthMode, Nimbus};

/// What the access log records of a request.
pub struct Outcome {
    pub response: HttpResponse,
    pub service: Option<String>,
    pub operation: Option<String>,
}

pub async fn handle_aws(nimbus: &Arc<Nimbus>, req: HttpRequest, request_id: &str, source_ip: Option<std::net::IpAddr>) -> Outcome {
    let signature = nimbus_auth::parse(&auth_parts(&req));
    let scope_service = signature.as_ref().ok().and_then(|s| s.as_ref()).map(|s| s.service.clone());
    let Some(classified) = classify(&req, scope_service.as_deref()) else {
        return Outcome { response: unclassified(request_id), service: None, operation: None };
    };
    let service_name = classified.service.name.clone();
    let service_model = nimbus_model::service(&service_name).expect("the index only names embedded models");
    // The model the wire is read and written through: SQS over awsQuery uses its query model.
    let model = nimbus_protocol::wire_model(classified.protocol, service_model);
    let query_mode = header(&req, "x-amzn-query-mode").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let wire = Wire { protocol: classified.protocol, model, request_id, query_mode };
    let fail = |err: ServiceError| nimbus_protocol::encode_error(wire.protocol, Some(model), request_id, query_mode, &err);

    let Some(op_name) = nimbus_protocol::operation_name(wire.protocol, model, &req) else {
        let response = fail(unknown_operation(&req, classified));
        return Outcome { response, service: Some(service_name), operation: None };
    };
    let op = model.operation(op_name).expect("operation_name returns the model's names");
    let operation = Some(op_name.to_owned());
    // Whether CloudTrail keeps this call: an in-memory lookup. Only kept calls pay for their
    // record (the input's record form, and the output's for calls that change something).
    let interest = nimbus.audit().map_or(Interest::Skip, |sink| sink.interest(&service_name, op_name));
    let mut trace = CallTrace::default();

    // Everything from here may panic in a service; the panic becomes this request's 500.
    let run = async {
        let signature = signature.map_err(|e| auth_error(&e, wire.protocol))?;
        let (account_id, principal) =
            authenticate(nimbus, &req, signature.as_ref(), &classified.service.signing_name, op, wire.protocol)?;
        let region = signature.as_ref().map_or_else(|| nimbus.config.default_region.clone(), |s| s.region.clone());
        if interest.keeps() {
            trace.caller = Some((account_id.clone(), region.clone(), principal.clone()));
        }
        let service = nimbus
            .service(&service_name)
            .filter(|s| s.operations().contains(&op_name))
            .ok_or_else(|| ServiceError::not_implemented(&model.metadata.service_id, op_name))?;
        let mut input = nimbus_protocol::decode_unvalidated(&wire, op, &req)?;
        fill_queue_url_from_path(model, op, &req, &mut input);
        nimbus_protocol::validate::validate_input(&wire, op, &input)?;
        if interest.keeps() {
            trace.request_parameters = op.input.as_ref().map(|shape| record_form(model, &shape.shape, &input));
        }
        let ctx = RequestContext {
            request_id: request_id.to_owned(),
            account_id,
            region,
            principal,
            service: service_name.clone(),
            operation: op_name.to_owned(),
            source_ip,
            host: header(&req, "host").map(str::to_owned),
        };
        // An unsigned call to an operation that takes none (AssumeRoleWithWebIdentity) carries
        // its own proof, which the service checks; there is no signed principal to authorize.
        let unsigned_by_design = signature.is_none() && op.auth_type.as_deref() == Some("none");
        if let Some(authorizer) = nimbus.authorizer()
            && !always_allowed(&service_name, op_name)
            && !unsigned_by_design
        {
            let accesses = service.access(&ctx, op_name, &input);
            authorizer
                .authorize(&ctx, &accesses, &|arn| service.resource_policy(&ctx, arn))
                .map_err(|denied| access_denied(model, wire.protocol, denied.message))?;
        }
        let output = service.call(&ctx, op_name, input).await?;
        let response = nimbus_protocol::encode_response(&wire, op, &output);
        if interest.wants_response() {
            trace.response_elements = op.output.as_ref().map(|shape| record_form(model, &shape.shape, &output));
        }
        Ok::<_, ServiceError>(response)
    };
    let (response, error) = match AssertUnwindSafe(run).catch_unwind().await {
        Ok(Ok(response)) => (response, None),
        Ok(Err(err)) => {
            let noted = interest.keeps().then(|| (err.code.to_string(), err.message.clone()));
            (fail(err), noted)
        }
        Err(panic) => {
            let what = panic_message(&panic);
            tracing::error!(request_id, service = %service_name, operation = op_name, "panic while serving: {what}");
            let err = ServiceError::internal("An internal error occurred while processing the request.");
            let noted = interest.keeps().then(|| (err.code.to_string(), err.message.clone()));
            (fail(err), noted)
        }
    };
    // The record, once the outcome is known: successes, service errors and refusals alike.
    if let Some(sink) = nimbus.audit()
        && let Some((account_id, region, principal)) = trace.caller
    {
        sink.record(ApiCall {
            event_time_ms: nimbus.clock.now_millis(),
            service: service_name.clone(),
            event_source: format!("{}.amazonaws.com", classified.service.signing_name),
            operation: op_name.to_owned(),
            account_id,
            region,
            principal: Some(principal),
            source_ip,
            user_agent: header(&req, "user-agent").map(str::to_owned),
            request_id: request_id.to_owned(),
            request_parameters: trace.request_parameters,
            response_elements: trace.response_elements,
            error,
        });
    }
    Outcome { response, service: Some(service_name), operation }
}

/// Calls IAM never refuses: `sts:GetCallerIdentity` works "even if you are denied" (AWS).
fn always_allowed(service: &str, operation: &str) -> bool {
    service == "sts" && operation == "GetCallerIdentity"
}

/// A strict-mode refusal in the service's own shape: the model's access-denied error if it
/// declares one (SNS `AuthorizationError`, SSM `AccessDeniedException`), else what the
/// protocol's services answer (JSON: `AccessDeniedException`, 400; query and REST:
/// `AccessDenied`, 403; SQS `AccessDenied` on both wires).
fn access_denied(model: &nimbus_model::ServiceModel, protocol: Protocol, message: String) -> ServiceError {
    for shape in ["AuthorizationErrorException", "AccessDeniedException"] {
        if model.shape(shape).is_some() {
            return ServiceError::new(shape, message);
        }
    }
    let sqs = model.metadata.endpoint_prefix == "sqs";
    if (protocol.is_json() || protocol == Protocol::RpcV2Cbor) && !sqs {
        ServiceError::new("AccessDeniedException", message).with_status(400)
    } else {
        ServiceError::new("AccessDenied", message).with_status(403)
    }
}

/// The request's pieces SigV4 reads.
fn auth_parts(req: &HttpRequest) -> nimbus_auth::RequestParts<'_> {
    nimbus_auth::RequestParts { method: req.method.as_str(), path: &req.path, query: &req.query, headers: &req.headers }
}

/// Decides who the caller is. Known keys are verified; unknown keys are accepted unverified in
/// the default mode (so any SDK configuration works) and refused in strict mode.
fn authenticate(
    nimbus: &Nimbus,
    req: &HttpRequest,
    signature: Option<&nimbus_auth::SignatureInfo>,
    signing_name: &str,
    op: &Operation,
    protocol: Protocol,
) -> Result<(String, Principal), ServiceError> {
    let json = protocol.is_json() || protocol == Protocol::RpcV2Cbor;
    let default_account = &nimbus.config.account_id;
    let Some(sig) = signature else {
        let anonymous_allowed = op.auth_type.as_deref() == Some("none");
        if nimbus.config.auth_mode == AuthMode::Strict && !anonymous_allowed {
            let code = if json { "MissingAuthenticationTokenException" } else { "MissingAuthenticationToken" };
            return Err(ServiceError::new(code, "Request is missing Authentication Token").with_status(403));
        }
        return Ok((default_account.clone(), Principal::account_root(default_account)));
    };
    let invalid_token = || {
        let code = if json { "UnrecognizedClientException" } else { "InvalidClientTokenId" };
        let status = if json { 400 } else { 403 };
        ServiceError::new(code, "The security token included in the request is invalid.").with_status(status)
    };
    if sig.service != signing_name {
        let code = if json { "InvalidSignatureException" } else { "SignatureDoesNotMatch" };
        let message = format!("Credential should be scoped to correct service: '{signing_name}'. ");
        return Err(ServiceError::new(code, message).with_status(if json { 400 } else { 403 }));
    }
    let Some(credential) = nimbus.credentials.lookup(&sig.access_key_id) else {
        if nimbus.config.auth_mode == AuthMode::Strict {
            return Err(invalid_token());
        }
        let account = account_for_key(&sig.access_key_id, default_account);
        let mut principal = Principal::account_root(&account);
        principal.access_key_id = Some(sig.access_key_id.clone());
        return Ok((account, principal));
    };
    if !credential.active {
        return Err(invalid_token());
    }
    let opts = nimbus_auth::VerifyOptions {
        wall_now: nimbus_core::clock::wall_now(),
        clock_now: nimbus.clock.now(),
        max_skew: time::Duration::minutes(15),
        double_encode_path: true,
    };
    nimbus_auth::verify(&auth_parts(req), sig, &credential.secret_access_key, &req.body, &opts).map_err(|e| {
        // What we computed, so a user can diff it against their client's canonical request.
        if let Some(detail) = e.debug_detail() {
            tracing::debug!(access_key_id = %sig.access_key_id, "signature check failed: {detail}");
        }
        auth_error(&e, protocol)
    })?;
    if credential.session_token.is_some() && credential.session_token != sig.session_token {
        return Err(invalid_token());
    }
    if credential.expires_at_ms.is_some_and(|at| nimbus.clock.now_millis() >= at) {
        let code = if json { "ExpiredTokenException" } else { "ExpiredToken" };
        let status = if json { 400 } else { 403 };
        return Err(ServiceError::new(code, "The security token included in the request is expired").with_status(status));
    }
    let principal = Principal {
        arn: credential.principal_arn.clone(),
        user_id: credential.user_id.clone(),
        access_key_id: Some(credential.access_key_id.clone()),
        verified: true,
        session: credential.session.map(Arc::new),
    };
    Ok((credential.account_id, principal))
}

fn auth_error(err: &nimbus_auth::AuthError, protocol: Protocol) -> ServiceError {
    let json = protocol.is_json() || protocol == Protocol::RpcV2Cbor;
    ServiceError::new(err.code_for(json), err.message()).with_status(err.status_for(json))
}

/// An operation the model does not have, in each protocol's terms.
fn unknown_operation(req: &HttpRequest, classified: Classified) -> ServiceError {
    match classified.protocol {
        Protocol::AwsQuery => {
            let action = form_urlencoded::parse(&req.body)
                .chain(form_urlencoded::parse(req.query.as_bytes()))
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.into_owned());
            match action {
                Some(action) => ServiceError::new("InvalidAction", format!("The action {action} is not valid for this web service."))
                    .with_status(400),
                None => ServiceError::new("MissingAction", "Missing Action").with_status(400),
            }
        }
        Protocol::RestJson1 | Protocol::RestXml => ServiceError::new(
            "UnknownOperationException",
            format!("No operation of {} matches {} {}", classified.service.service_id, req.method, req.path),
        )
        .with_status(404),
        _ => ServiceError::new("UnknownOperationException", "").with_status(400),
    }
}

/// A request that names no service Nimbus knows: a plain 400 that says why.
fn unclassified(request_id: &str) -> HttpResponse {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidRequest</Code><Message>Nimbus could not tell which AWS \
         service this request is for: it has no SigV4 credential scope, X-Amz-Target, Smithy-Protocol, Action parameter, known \
         path or service host name.</Message><RequestId>{request_id}</RequestId></Error>"
    );
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/xml"));
    headers.insert("x-amz-request-id", http::HeaderValue::from_str(request_id).expect("uuid is a valid header"));
    HttpResponse { status: http::StatusCode::BAD_REQUEST, headers, body: body.into() }
}

fn header<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    req.headers.get(name)?.to_str().ok()
}

pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}

