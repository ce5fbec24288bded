//! `AssumeRoleWithWebIdentity`: an OpenID Connect ID token, signed by an identity provider the
//! role's account registered in IAM, exchanged for role credentials.
//!
//! The token is checked as AWS documents: its issuer must be a registered provider ("No
//! OpenIDConnect provider found in your account for ..."), one of its audiences one of the
//! provider's client ids ("Incorrect token audience"), it must not have expired on Nimbus's
//! clock, and its signature must verify with a key from the issuer's JWKS (RS256/384/512,
//! PS256/384/512, ES256/384). In strict mode the role's trust policy must then allow
//! `sts:AssumeRoleWithWebIdentity` for the provider (`"Federated": <provider ARN>`), with the
//! provider's condition keys (`<url>:aud`, `<url>:sub`, `<url>:amr`) taken from the token.

use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey, VerificationAlgorithm};
use base64::Engine;
use nimbus_core::{Document, ServiceError, Session};
use nimbus_policy::{Context, Decision, OidcProvider, PolicySet, Principal, PrincipalKind, Request};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::session::{self, PolicyArnInput};
use crate::{Sts, check_duration, check_session_name, parse_role_arn};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AssumeRoleWithWebIdentityInput {
    role_arn: String,
    role_session_name: String,
    web_identity_token: String,
    duration_seconds: Option<i64>,
    policy: Option<String>,
    #[serde(default)]
    policy_arns: Vec<PolicyArnInput>,
}

/// What STS answers for a token it cannot validate, in AWS's words.
const NOT_VALIDATED: &str = "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.";

fn invalid_token(message: impl Into<String>) -> ServiceError {
    ServiceError::new("InvalidIdentityTokenException", message)
}

/// A JWT split into its parts (signature not yet checked).
pub(crate) struct Jwt {
    header: Value,
    pub(crate) claims: Value,
    /// `<header>.<payload>` as sent: what the signature covers.
    signing_input: String,
    signature: Vec<u8>,
}

impl Jwt {
    pub(crate) fn parse(token: &str) -> Result<Jwt, ServiceError> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut parts = token.trim().split('.');
        let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(invalid_token(NOT_VALIDATED));
        };
        let json_part = |part: &str| -> Option<Value> {
            let bytes = b64.decode(part.trim_end_matches('=')).ok()?;
            serde_json::from_slice::<Value>(&bytes).ok().filter(Value::is_object)
        };
        let (Some(header_json), Some(claims)) = (json_part(header), json_part(payload)) else {
            return Err(invalid_token(NOT_VALIDATED));
        };
        let signature = b64.decode(signature.trim_end_matches('=')).map_err(|_| invalid_token(NOT_VALIDATED))?;
        Ok(Jwt { header: header_json, claims, signing_input: format!("{header}.{payload}"), signature })
    }

    fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// `aud` is a string or an array of strings.
    fn audiences(&self) -> Vec<String> {
        match self.claims.get("aud") {
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    }

    /// True when a key of `jwks` (`{"keys": [...]}`) that fits the header's `alg` (and `kid`,
    /// when the header names one) verifies the signature.
    pub(crate) fn signature_verifies(&self, jwks: &Value) -> bool {
        let Some(alg) = self.header.get("alg").and_then(Value::as_str) else { return false };
        let kid = self.header.get("kid").and_then(Value::as_str);
        let keys = jwks.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        keys.iter()
            .filter(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid)
            .filter(|k| k.get("alg").and_then(Value::as_str).is_none_or(|a| a == alg))
            .any(|k| verify_with_jwk(k, alg, self.signing_input.as_bytes(), &self.signature))
    }
}

fn verify_with_jwk(jwk: &Value, alg: &str, message: &[u8], sig: &[u8]) -> bool {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let field = |name: &str| jwk.get(name).and_then(Value::as_str).and_then(|v| b64.decode(v.trim_end_matches('=')).ok());
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
    let rsa: Option<&'static signature::RsaParameters> = match alg {
        "RS256" => Some(&signature::RSA_PKCS1_2048_8192_SHA256),
        "RS384" => Some(&signature::RSA_PKCS1_2048_8192_SHA384),
        "RS512" => Some(&signature::RSA_PKCS1_2048_8192_SHA512),
        "PS256" => Some(&signature::RSA_PSS_2048_8192_SHA256),
        "PS384" => Some(&signature::RSA_PSS_2048_8192_SHA384),
        "PS512" => Some(&signature::RSA_PSS_2048_8192_SHA512),
        _ => None,
    };
    if let Some(params) = rsa {
        let (Some(n), Some(e)) = (field("n"), field("e")) else { return false };
        return kty == "RSA" && RsaPublicKeyComponents { n: &n, e: &e }.verify(params, message, sig).is_ok();
    }
    let (ecdsa, curve): (&'static dyn VerificationAlgorithm, &str) = match alg {
        "ES256" => (&signature::ECDSA_P256_SHA256_FIXED, "P-256"),
        "ES384" => (&signature::ECDSA_P384_SHA384_FIXED, "P-384"),
        _ => return false,
    };
    let (Some(x), Some(y)) = (field("x"), field("y")) else { return false };
    if kty != "EC" || jwk.get("crv").and_then(Value::as_str) != Some(curve) {
        return false;
    }
    let point: Vec<u8> = [&[4u8][..], &x, &y].concat();
    UnparsedPublicKey::new(ecdsa, point).verify(message, sig).is_ok()
}

impl Sts {
    pub(crate) async fn assume_role_with_web_identity(&self, input: AssumeRoleWithWebIdentityInput) -> Result<Document, ServiceError> {
        let (role_account, role_name) = parse_role_arn(&input.role_arn)?;
        check_session_name(&input.role_session_name, "roleSessionName")?;
        let duration = check_duration(input.duration_seconds.unwrap_or(3600), 43200)?;
        let token = Jwt::parse(&input.web_identity_token)?;
        let issuer = token.claim("iss").ok_or_else(|| invalid_token(NOT_VALIDATED))?.to_owned();
        let provider = self
            .directory
            .as_ref()
            .and_then(|d| d.oidc_provider(&role_account, &issuer))
            .ok_or_else(|| invalid_token(format!("No OpenIDConnect provider found in your account for {issuer}")))?;
        let audiences = token.audiences();
        let Some(audience) = audiences.iter().find(|a| provider.client_ids.contains(a)).cloned() else {
            return Err(invalid_token("Incorrect token audience"));
        };
        let now = self.clock.now().unix_timestamp();
        let expires = token.claims.get("exp").and_then(Value::as_i64).ok_or_else(|| invalid_token(NOT_VALIDATED))?;
        if expires <= now {
            // AWS's message, spacing included.
            return Err(ServiceError::new(
                "ExpiredTokenException",
                format!("Token expired: current date/time {now} must be before the expiration date/time{expires}"),
            ));
        }
        if token.claims.get("nbf").and_then(Value::as_i64).is_some_and(|nbf| nbf > now) {
            return Err(invalid_token(NOT_VALIDATED));
        }
        let keys = self.identity_keys.as_ref().ok_or_else(|| {
            ServiceError::new("IDPCommunicationErrorException", format!("Couldn't retrieve verification key from your identity provider, {issuer}"))
        })?;
        let jwks = keys.signing_keys(&issuer).await.map_err(|why| {
            tracing::debug!(issuer, "fetching the provider's keys failed: {why}");
            ServiceError::new(
                "IDPCommunicationErrorException",
                format!("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements ({why})"),
            )
        })?;
        if !token.signature_verifies(&jwks) {
            return Err(invalid_token(NOT_VALIDATED));
        }
        let subject = token.claim("sub").unwrap_or_default().to_owned();

        let (role_arn, role_id, role) = self.session_role(&input.role_arn, duration)?;
        if self.enforce_trust {
            let trusted = role.as_ref().is_some_and(|r| self.trusts(&r.trust_policy, &provider, &token, &input.role_arn));
            if !trusted {
                return Err(ServiceError::new("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity").with_status(403));
            }
        }
        let policies = session::session_policies(input.policy.as_deref(), &input.policy_arns, self.directory.as_deref(), false)?;
        let packed = session::packed_size(&policies, &[])?;
        let assumed_role_id = format!("{role_id}:{}", input.role_session_name);
        let arn = format!("arn:aws:sts::{role_account}:assumed-role/{role_name}/{}", input.role_session_name);
        let session = Session { identity_arn: Some(role_arn), policies, ..Session::default() };
        let credentials = self.issue(&role_account, arn.clone(), assumed_role_id.clone(), duration, Some(session))?;
        let mut out = json!({
            "Credentials": nimbus_core::service::to_output(&credentials)?,
            "SubjectFromWebIdentityToken": subject,
            "AssumedRoleUser": {"AssumedRoleId": assumed_role_id, "Arn": arn},
            "Provider": provider.url,
            "Audience": audience,
        });
        if let Some(size) = packed {
            out["PackedPolicySize"] = json!(size);
        }
        Ok(out)
    }

    /// The role's trust policy, evaluated for the provider as the caller with the token's claims
    /// as the provider's condition keys.
    fn trusts(&self, trust: &nimbus_policy::Policy, provider: &OidcProvider, token: &Jwt, role_arn: &str) -> bool {
        let principal = Principal {
            arn: provider.arn.clone(),
            account_id: String::new(),
            kind: PrincipalKind::Service(provider.arn.clone()),
            user_id: provider.arn.clone(),
            username: None,
            tags: Vec::new(),
        };
        let mut context = Context::new();
        context.set_request_time(self.clock.now_millis());
        context.set_one("aws:FederatedProvider", provider.arn.clone());
        context.set(&format!("{}:aud", provider.url), token.audiences());
        for claim in ["sub", "amr", "azp", "email"] {
            let values: Vec<String> = match token.claims.get(claim) {
                Some(Value::String(v)) => vec![v.clone()],
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                _ => continue,
            };
            context.set(&format!("{}:{claim}", provider.url), values);
        }
        let role_account = parse_role_arn(role_arn).ok().map(|(account, _)| account);
        let set = PolicySet {
            identity: &[],
            boundary: None,
            session: &[],
            resource: Some(trust),
            resource_account: role_account.as_deref(),
            resource_policy_required: true,
        };
        let request = Request { principal: &principal, action: "sts:AssumeRoleWithWebIdentity", resource: role_arn, context: &context };
        nimbus_policy::evaluate(&set, &request).decision == Decision::Allow
    }
}
