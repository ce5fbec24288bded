//! AWS Security Token Service.
//!
//! Temporary credentials issued here are registered with the server's credential registry, so
//! requests signed with them are verified (secret and session token) and refused once they expire
//! on Nimbus's clock. Roles, their trust policies and managed session policies come from IAM's
//! [`Directory`]; strict mode checks trust policies in the server's authorizer (AssumeRole) or
//! here (AssumeRoleWithWebIdentity, whose caller is an identity provider, see [`web_identity`]).

use std::sync::Arc;

use base64::Engine;
use nimbus_core::document::timestamp;
use nimbus_core::service::{parse_input, tag_list, to_output};
use nimbus_core::{Access, Clock, Credential, CredentialRegistry, Document, IdentityKeys, RequestContext, Service, ServiceError, Session, ids};
use nimbus_policy::Directory;
use session::{PolicyArnInput, TagInput};
use nimbus_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub struct Sts {
    store: Store,
    clock: Clock,
    credentials: Arc<dyn CredentialRegistry>,
    /// IAM's roles and managed policies; without it (tests) any well-formed role ARN is
    /// assumable and `PolicyArns` are not checked.
    directory: Option<Arc<dyn Directory>>,
    /// Where OIDC providers' signing keys come from (AssumeRoleWithWebIdentity).
    identity_keys: Option<Arc<dyn IdentityKeys>>,
    /// Strict mode: AssumeRoleWithWebIdentity checks the role's trust policy here, since its
    /// caller is the token's provider, not a signed principal the server's authorizer knows.
    enforce_trust: bool,
}

const OPERATIONS: &[&str] =
    &["GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity", "GetSessionToken", "GetFederationToken", "DecodeAuthorizationMessage", "GetAccessKeyInfo"];

/// Additional authenticated data binding sealed authorization messages to their purpose.
const AUTHORIZATION_MESSAGE_AAD: &[u8] = b"sts.authorization-message.v1";

#[async_trait::async_trait]
impl Service for Sts {
    fn model_name(&self) -> &'static str {
        "sts"
    }

    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    /// AssumeRole is authorized on the role (whose trust policy strict mode evaluates as the
    /// resource policy), GetFederationToken on the federated user; the rest take no resource.
    /// AWS's authorization of STS calls: AssumeRole on the role (whose trust policy must allow
    /// it), with `sts:TagSession` when the call passes session tags and `sts:SetSourceIdentity`
    /// when it sets a source identity, each on the role too; the request's `sts:ExternalId`,
    /// `sts:RoleSessionName`, `sts:SourceIdentity`, `sts:TransitiveTagKeys`, `aws:RequestTag/*`
    /// and `aws:TagKeys` as condition keys.
    fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        let member = |name: &str| input.get(name).and_then(Document::as_str);
        let resource = match operation {
            "AssumeRole" => member("RoleArn").map(str::to_owned),
            "GetFederationToken" => member("Name").map(|n| format!("arn:aws:sts::{}:federated-user/{n}", ctx.account_id)),
            _ => None,
        };
        let resource = resource.unwrap_or_else(|| "*".to_owned());
        let tags = tag_list(input, "Tags", "Key", "Value");
        let transitive = input.get("TransitiveTagKeys").and_then(Document::as_array).map(|keys| {
            keys.iter().filter_map(Document::as_str).map(str::to_owned).collect::<Vec<_>>()
        });
        // Every access of the call carries the request's condition keys.
        let access = |action: &str| {
            let mut access = Access::new(action, vec![resource.clone()])
                .with_some("sts:RoleSessionName", member("RoleSessionName"))
                .with_some("sts:ExternalId", member("ExternalId"))
                .with_some("sts:SourceIdentity", member("SourceIdentity"))
                .with_request_tags(tags.iter().copied());
            if let Some(keys) = &transitive {
                access = access.with("sts:TransitiveTagKeys", keys.clone());
            }
            access
        };
        let mut accesses = vec![access(&format!("sts:{operation}"))];
        if operation == "AssumeRole" || operation == "GetFederationToken" {
            if !tags.is_empty() {
                accesses.push(access("sts:TagSession"));
            }
            if operation == "AssumeRole" && member("SourceIdentity").is_some() {
                accesses.push(access("sts:SetSourceIdentity"));
            }
        }
        accesses
    }

    async fn call(&self, ctx: &RequestContext, operation: &str, input: Document) -> Result<Document, ServiceError> {
        match operation {
            "GetCallerIdentity" => Ok(json!({
                "UserId": ctx.principal.user_id,
                "Account": ctx.account_id,
                "Arn": ctx.principal.arn,
            })),
            "AssumeRole" => self.assume_role(ctx, parse_input(input)?),
            "AssumeRoleWithWebIdentity" => self.assume_role_with_web_identity(parse_input(input)?).await,
            "GetSessionToken" => self.get_session_token(ctx, parse_input(input)?),
            "GetFederationToken" => self.get_federation_token(ctx, parse_input(input)?),
            "DecodeAuthorizationMessage" => self.decode_authorization_message(parse_input(input)?),
            "GetAccessKeyInfo" => self.get_access_key_info(ctx, parse_input(input)?),
            other => Err(ServiceError::not_implemented("STS", other)),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleInput {
    role_arn: String,
    role_session_name: String,
    duration_seconds: Option<i64>,
    policy: Option<String>,
    #[serde(default)]
    policy_arns: Vec<PolicyArnInput>,
    #[serde(default)]
    tags: Vec<TagInput>,
    #[serde(default)]
    transitive_tag_keys: Vec<String>,
    source_identity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetSessionTokenInput {
    duration_seconds: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetFederationTokenInput {
    name: String,
    duration_seconds: Option<i64>,
    policy: Option<String>,
    #[serde(default)]
    policy_arns: Vec<PolicyArnInput>,
    #[serde(default)]
    tags: Vec<TagInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DecodeAuthorizationMessageInput {
    encoded_message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetAccessKeyInfoInput {
    access_key_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialsOutput {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: Document,
}

/// awsQuery services answer validation failures with `ValidationError`.
pub(crate) fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::new("ValidationError", message)
}

impl Sts {
    pub fn new(store: Store, clock: Clock, credentials: Arc<dyn CredentialRegistry>) -> Self {
        Sts { store, clock, credentials, directory: None, identity_keys: None, enforce_trust: false }
    }

    /// Fetches OIDC providers' signing keys through `keys`.
    pub fn with_identity_keys(mut self, keys: Arc<dyn IdentityKeys>) -> Self {
        self.identity_keys = Some(keys);
        self
    }

    /// Strict mode: web identity sessions need the role's trust policy to allow them.
    pub fn enforce_trust(mut self, enforce: bool) -> Self {
        self.enforce_trust = enforce;
        self
    }

    /// Looks roles and managed policies up in IAM.
    pub fn with_directory(mut self, directory: Arc<dyn Directory>) -> Self {
        self.directory = Some(directory);
        self
    }

    /// The role a new session assumes, as IAM knows it: (its ARN with the path, its id, its
    /// trust), refusing a duration over the role's limit. A role IAM does not know has the ARN
    /// as given and a stable made-up id (the default mode, where nothing is enforced).
    fn session_role(&self, role_arn: &str, duration: i64) -> Result<(String, String, Option<nimbus_policy::RoleTrust>), ServiceError> {
        let Some(role) = self.directory.as_ref().and_then(|d| d.role(role_arn)) else {
            return Ok((role_arn.to_owned(), ids::stable_id("AROA", role_arn), None));
        };
        if duration > role.max_session_duration {
            return Err(validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."));
        }
        Ok((role.arn.clone(), role.role_id.clone(), Some(role)))
    }

    /// The session of the credentials that signed this request (role chaining).
    fn caller_session(&self, ctx: &RequestContext) -> Option<Session> {
        session::caller_session(ctx.principal.access_key_id.as_deref().and_then(|k| self.credentials.lookup(k)))
    }

    /// Issues and registers temporary credentials for `principal_arn` in `account_id`.
    fn issue(
        &self,
        account_id: &str,
        principal_arn: String,
        user_id: String,
        duration_secs: i64,
        session: Option<Session>,
    ) -> Result<CredentialsOutput, ServiceError> {
        let expires_at_ms = self.clock.now_millis() + duration_secs * 1000;
        let credential = Credential {
            access_key_id: ids::access_key_id(true),
            secret_access_key: ids::secret_access_key(),
            session_token: Some(session_token()),
            account_id: account_id.to_owned(),
            principal_arn,
            user_id,
            expires_at_ms: Some(expires_at_ms),
            active: true,
            session,
        };
        self.credentials.register(credential.clone())?;
        let expiration = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires_at_ms) * 1_000_000)
            .map_err(|_| ServiceError::internal("expiration out of range"))?;
        Ok(CredentialsOutput {
            access_key_id: credential.access_key_id,
            secret_access_key: credential.secret_access_key,
            session_token: credential.session_token.unwrap_or_default(),
            expiration: timestamp(expiration),
        })
    }

    fn assume_role(&self, ctx: &RequestContext, input: AssumeRoleInput) -> Result<Document, ServiceError> {
        let (role_account, role_name) = parse_role_arn(&input.role_arn)?;
        check_session_name(&input.role_session_name, "roleSessionName")?;
        let duration = check_duration(input.duration_seconds.unwrap_or(3600), 43200)?;
        // Role chaining: AWS caps a session assumed with role credentials at one hour.
        if duration > 3600 && ctx.principal.arn.contains(":assumed-role/") {
            return Err(validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        // The role as IAM knows it (its path, id, session limit); strict mode has already checked
        // its trust policy. A role IAM does not know is assumable only in the default mode,
        // where nothing is enforced.
        let (role_arn, role_id, _) = self.session_role(&input.role_arn, duration)?;
        let caller = self.caller_session(ctx);
        let policies = session::session_policies(input.policy.as_deref(), &input.policy_arns, self.directory.as_deref(), false)?;
        let (tags, transitive_tag_keys) = session::session_tags(&input.tags, &input.transitive_tag_keys, caller.as_ref())?;
        let packed = session::packed_size(&policies, &tags)?;
        let source_identity = session::source_identity(input.source_identity.as_deref(), caller.as_ref())?;
        let assumed_role_id = format!("{role_id}:{}", input.role_session_name);
        let arn = format!("arn:aws:sts::{role_account}:assumed-role/{role_name}/{}", input.role_session_name);
        let session = Session { identity_arn: Some(role_arn), policies, tags, transitive_tag_keys, source_identity: source_identity.clone() };
        let credentials = self.issue(&role_account, arn.clone(), assumed_role_id.clone(), duration, Some(session))?;
        let mut out = json!({
            "Credentials": to_output(&credentials)?,
            "AssumedRoleUser": {"AssumedRoleId": assumed_role_id, "Arn": arn},
        });
        if let Some(size) = packed {
            out["PackedPolicySize"] = json!(size);
        }
        if let Some(source) = source_identity {
            out["SourceIdentity"] = json!(source);
        }
        Ok(out)
    }

    fn get_session_token(&self, ctx: &RequestContext, input: GetSessionTokenInput) -> Result<Document, ServiceError> {
        if is_temporary(ctx) {
            return Err(ServiceError::new("AccessDenied", "Cannot call GetSessionToken with session credentials").with_status(403));
        }
        // Root sessions last at most an hour; IAM users' up to 36 hours (AWS's documented limits).
        let root = ctx.principal.arn.ends_with(":root");
        let max = if root { 3600 } else { 129_600 };
        let duration = check_duration(input.duration_seconds.unwrap_or(if root { 3600 } else { 43200 }), max)?;
        // The session has exactly the user's permissions.
        let session = Session { identity_arn: Some(ctx.principal.arn.clone()), ..Session::default() };
        let credentials =
            self.issue(&ctx.account_id, ctx.principal.arn.clone(), ctx.principal.user_id.clone(), duration, Some(session))?;
        Ok(json!({"Credentials": to_output(&credentials)?}))
    }

    fn get_federation_token(&self, ctx: &RequestContext, input: GetFederationTokenInput) -> Result<Document, ServiceError> {
        if is_temporary(ctx) {
            return Err(ServiceError::new("AccessDenied", "Cannot call GetFederationToken with session credentials").with_status(403));
        }
        check_session_name(&input.name, "name")?;
        let root = ctx.principal.arn.ends_with(":root");
        let max = if root { 3600 } else { 129_600 };
        // Longer requests are cut to the caller's limit, not refused (AWS's documented behaviour).
        let duration = check_duration(input.duration_seconds.unwrap_or(43200).min(max), max)?;
        // A federated user has the intersection of the calling user's policies and the session
        // policies, and nothing without a session policy.
        let policies = session::session_policies(input.policy.as_deref(), &input.policy_arns, self.directory.as_deref(), true)?;
        let (tags, _) = session::session_tags(&input.tags, &[], None)?;
        let packed = session::packed_size(&policies, &tags)?.filter(|_| input.policy.is_some() || !input.policy_arns.is_empty());
        let arn = format!("arn:aws:sts::{}:federated-user/{}", ctx.account_id, input.name);
        let federated_id = format!("{}:{}", ctx.account_id, input.name);
        let session = Session { identity_arn: Some(ctx.principal.arn.clone()), policies, tags, ..Session::default() };
        let credentials = self.issue(&ctx.account_id, arn.clone(), federated_id.clone(), duration, Some(session))?;
        let mut out = json!({
            "Credentials": to_output(&credentials)?,
            "FederatedUser": {"FederatedUserId": federated_id, "Arn": arn},
        });
        if let Some(size) = packed {
            out["PackedPolicySize"] = json!(size);
        }
        Ok(out)
    }

    fn decode_authorization_message(&self, input: DecodeAuthorizationMessageInput) -> Result<Document, ServiceError> {
        let invalid = || ServiceError::new("InvalidAuthorizationMessageException", "The encoded message is invalid.");
        let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(input.encoded_message.trim()).map_err(|_| invalid())?;
        let plain = self.store.unseal(&sealed, AUTHORIZATION_MESSAGE_AAD).map_err(|_| invalid())?;
        let text = String::from_utf8(plain).map_err(|_| invalid())?;
        Ok(json!({"DecodedMessage": text}))
    }

    fn get_access_key_info(&self, ctx: &RequestContext, input: GetAccessKeyInfoInput) -> Result<Document, ServiceError> {
        let id = input.access_key_id;
        let account = match self.credentials.lookup(&id) {
            Some(c) => c.account_id,
            None if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => id,
            None => ctx.account_id.clone(),
        };
        Ok(json!({"Account": account}))
    }

    /// Seals an authorization-failure explanation the way AWS encodes them in AccessDenied
    /// messages; `DecodeAuthorizationMessage` opens it. The policy engine uses this.
    pub fn encode_authorization_message(&self, decoded_json: &str) -> Result<String, ServiceError> {
        let sealed = self
            .store
            .seal(decoded_json.as_bytes(), AUTHORIZATION_MESSAGE_AAD)
            .map_err(|e| ServiceError::internal(format!("sealing failed: {e}")))?;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed))
    }
}

fn is_temporary(ctx: &RequestContext) -> bool {
    ctx.principal.access_key_id.as_deref().is_some_and(|k| k.starts_with("ASIA"))
        || ctx.principal.arn.contains(":assumed-role/")
        || ctx.principal.arn.contains(":federated-user/")
}

/// `arn:aws:iam::123456789012:role/path/name` → (account, name).
fn parse_role_arn(arn: &str) -> Result<(String, String), ServiceError> {
    let invalid = || validation(format!("{arn} is invalid"));
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [scheme, partition, service, _region, account, resource] = parts.as_slice() else { return Err(invalid()) };
    if *scheme != "arn" || partition.is_empty() || *service != "iam" {
        return Err(invalid());
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let name = resource.strip_prefix("role/").and_then(|p| p.rsplit('/').next()).filter(|n| !n.is_empty()).ok_or_else(invalid)?;
    Ok(((*account).to_owned(), name.to_owned()))
}

/// A session's `DurationSeconds`: 900 up to `max`, in AWS's validation message.
fn check_duration(duration: i64, max: i64) -> Result<i64, ServiceError> {
    if (900..=max).contains(&duration) {
        return Ok(duration);
    }
    let (relation, bound) = if duration < 900 { ("greater than or equal to", 900) } else { ("less than or equal to", max) };
    Err(validation(format!(
        "1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value {relation} {bound}"
    )))
}

/// Session and federated-user names: `[\w+=,.@-]*`, 2–64 characters (32 for `name`).
fn check_session_name(name: &str, member: &str) -> Result<(), ServiceError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    if let Some(bad) = name.chars().find(|c| !ok_char(*c)) {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* (found '{bad}')"
        )));
    }
    Ok(())
}

/// A session token: long, opaque, base64 (as AWS's are).
fn session_token() -> String {
    let mut raw = [0u8; 192];
    for chunk in raw.chunks_mut(16) {
        chunk.copy_from_slice(uuid_bytes().as_slice());
    }
    format!("FwoGZXIvYXdzE{}", base64::engine::general_purpose::STANDARD.encode(raw))
}

fn uuid_bytes() -> [u8; 16] {
    let id = ids::uuid().replace('-', "");
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&id[i * 2..i * 2 + 2], 16).unwrap_or(0);
    }
    out
}

mod session;
mod web_identity;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod web_identity_tests;
