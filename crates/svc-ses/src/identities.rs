//! Identities, email addresses and domains, through both APIs: v1's Verify*/GetIdentity*/
//! ListIdentities/DeleteIdentity and notification settings, v2's *EmailIdentity. An identity is
//! verified as soon as it is created unless the server requires verification, in which case it
//! stays pending until the admin endpoint verifies it ([`verify_now`]).

use base64::Engine;
use nimbus_core::RequestContext;
use nimbus_core::document::string_list_member;
use rand::RngCore;
use serde_json::{Map, Value, json};

use crate::address::{self, identity_key};
use crate::errors::{Api, Fail, Res};
use crate::records::{IdentityKind, IdentityRecord, Tag};
use crate::{Inner, ctx_scope, page, page_size, required, scope, string};

impl IdentityRecord {
    fn new(inner: &Inner, name: &str, kind: IdentityKind) -> Self {
        let verified = !inner.options.require_verification;
        let now = inner.now();
        IdentityRecord {
            name: name.to_owned(),
            kind,
            verified,
            verification_token: None,
            dkim_tokens: Vec::new(),
            dkim_enabled: false,
            topics: Default::default(),
            forwarding_enabled: true,
            headers_in: [false; 3],
            configuration_set: None,
            tags: Vec::new(),
            created_ms: now,
            verified_ms: verified.then_some(now),
        }
    }

    fn v1_status(&self) -> &'static str {
        if self.verified { "Success" } else { "Pending" }
    }

    fn v2_status(&self) -> &'static str {
        if self.verified { "SUCCESS" } else { "PENDING" }
    }

    fn v1_type(&self) -> &'static str {
        match self.kind {
            IdentityKind::Email => "EmailAddress",
            IdentityKind::Domain => "Domain",
        }
    }

    fn v2_type(&self) -> &'static str {
        match self.kind {
            IdentityKind::Email => "EMAIL_ADDRESS",
            IdentityKind::Domain => "DOMAIN",
        }
    }
}

/// A domain's TXT verification token: 32 random bytes, base64, as AWS's look.
fn verification_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Easy DKIM's three CNAME tokens.
fn dkim_tokens() -> Vec<String> {
    (0..3).map(|_| nimbus_core::ids::random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 32)).collect()
}

fn check_email(api: Api, email: &str) -> Res<()> {
    address::parse(email).map(|_| ()).map_err(|why| api.invalid(format!("Invalid email address<{email}>: {why}.")))
}

fn check_domain(api: Api, domain: &str) -> Res<()> {
    address::check_domain_identity(domain).map_err(|why| api.invalid(why))
}

/// Creates the identity if it does not exist, then applies `update`; returns the record.
async fn upsert(
    inner: &Inner,
    scope: String,
    name: &str,
    kind: IdentityKind,
    update: impl FnOnce(&mut IdentityRecord) + Send + 'static,
) -> Res<IdentityRecord> {
    let fresh = IdentityRecord::new(inner, name, kind);
    let key = identity_key(name);
    inner
        .write(move |t| {
            let mut record = t.get::<IdentityRecord>(&scope, &key)?.unwrap_or(fresh);
            update(&mut record);
            t.put(&scope, &key, &record)?;
            Ok(record)
        })
        .await
}

// ---- v1 ----

/// VerifyEmailIdentity / VerifyEmailAddress.
pub async fn verify_email(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let email = required(Api::V1, input, "EmailAddress")?;
    check_email(Api::V1, email)?;
    upsert(inner, ctx_scope(ctx), email, IdentityKind::Email, |_| {}).await?;
    Ok(json!({}))
}

pub async fn verify_domain(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let domain = required(Api::V1, input, "Domain")?;
    check_domain(Api::V1, domain)?;
    let token = verification_token();
    let record = upsert(inner, ctx_scope(ctx), domain, IdentityKind::Domain, move |r| {
        r.verification_token.get_or_insert(token);
    })
    .await?;
    Ok(json!({ "VerificationToken": record.verification_token }))
}

/// VerifyDomainDkim: issues (once) the domain's DKIM tokens; the domain becomes an identity if
/// it was not one, as Easy DKIM verifies the domain too.
pub async fn verify_domain_dkim(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let domain = required(Api::V1, input, "Domain")?;
    check_domain(Api::V1, domain)?;
    let tokens = dkim_tokens();
    let record = upsert(inner, ctx_scope(ctx), domain, IdentityKind::Domain, move |r| {
        if r.dkim_tokens.is_empty() {
            r.dkim_tokens = tokens;
        }
        r.dkim_enabled = true;
    })
    .await?;
    Ok(json!({ "DkimTokens": record.dkim_tokens }))
}

/// The named identities that exist, in request order.
fn named(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Vec<IdentityRecord>> {
    let scope = ctx_scope(ctx);
    let mut out = Vec::new();
    for name in string_list_member(input, "Identities") {
        if let Some(record) = inner.get::<IdentityRecord>(&scope, &identity_key(&name))? {
            out.push(record);
        }
    }
    Ok(out)
}

pub fn get_verification_attributes(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let mut map = Map::new();
    for r in named(inner, ctx, input)? {
        let mut entry = json!({ "VerificationStatus": r.v1_status() });
        if let Some(token) = &r.verification_token {
            entry["VerificationToken"] = json!(token);
        }
        map.insert(r.name.clone(), entry);
    }
    Ok(json!({ "VerificationAttributes": map }))
}

pub fn get_dkim_attributes(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let mut map = Map::new();
    for r in named(inner, ctx, input)? {
        let status = match (r.dkim_tokens.is_empty(), r.verified) {
            (true, _) => "NotStarted",
            (false, true) => "Success",
            (false, false) => "Pending",
        };
        let mut entry = json!({ "DkimEnabled": r.dkim_enabled, "DkimVerificationStatus": status });
        if !r.dkim_tokens.is_empty() {
            entry["DkimTokens"] = json!(r.dkim_tokens);
        }
        map.insert(r.name.clone(), entry);
    }
    Ok(json!({ "DkimAttributes": map }))
}

pub fn list_identities(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let wanted = string(input, "IdentityType");
    let all: Vec<(String, String)> = inner
        .list_all::<IdentityRecord>(&ctx_scope(ctx))?
        .into_iter()
        .filter(|(_, r)| wanted.is_none_or(|w| w == r.v1_type()))
        .map(|(k, r)| (k, r.name))
        .collect();
    let (names, next) = page(Api::V1, all, input, page_size(input, "MaxItems", 1000))?;
    let mut out = json!({ "Identities": names });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

/// DeleteIdentity / DeleteVerifiedEmailAddress: succeeds whether or not the identity exists.
pub async fn delete_identity(inner: &Inner, ctx: &RequestContext, name: &str) -> Res<Value> {
    let (scope, key) = (ctx_scope(ctx), identity_key(name));
    inner.write(move |t| Ok(t.delete::<IdentityRecord>(&scope, &key)?)).await?;
    Ok(json!({}))
}

pub fn list_verified_email_addresses(inner: &Inner, ctx: &RequestContext) -> Res<Value> {
    let addresses: Vec<String> = inner
        .list_all::<IdentityRecord>(&ctx_scope(ctx))?
        .into_iter()
        .filter(|(_, r)| r.kind == IdentityKind::Email && r.verified)
        .map(|(_, r)| r.name)
        .collect();
    Ok(json!({ "VerifiedEmailAddresses": addresses }))
}

/// Applies `update` to an existing identity (v1 Set*, v2 Put*); a missing identity is `api`'s
/// not-found error.
async fn update_existing(
    inner: &Inner,
    ctx: &RequestContext,
    api: Api,
    name: &str,
    update: impl FnOnce(&mut IdentityRecord) -> Res<()> + Send + 'static,
) -> Res<()> {
    let (scope, key) = (ctx_scope(ctx), identity_key(name));
    let missing = match api {
        Api::V1 => api.invalid(format!("Identity <{name}> does not exist.")),
        Api::V2 => api.not_found("", format!("Email identity <{name}> does not exist.")),
    };
    inner
        .write(move |t| {
            let mut record = t.get::<IdentityRecord>(&scope, &key)?.ok_or(Fail(missing))?;
            update(&mut record)?;
            t.put(&scope, &key, &record)?;
            Ok(())
        })
        .await
}

pub async fn set_notification_topic(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let identity = required(Api::V1, input, "Identity")?;
    let kind = required(Api::V1, input, "NotificationType")?.to_owned();
    let topic = string(input, "SnsTopic").map(str::to_owned);
    if let Some(arn) = &topic
        && !arn.starts_with("arn:aws:sns:")
    {
        return Err(Api::V1.invalid(format!("Invalid SNS topic <{arn}>.")));
    }
    update_existing(inner, ctx, Api::V1, identity, move |r| {
        match kind.as_str() {
            "Bounce" => r.topics.bounce = topic,
            "Complaint" => r.topics.complaint = topic,
            _ => r.topics.delivery = topic,
        }
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

pub fn get_notification_attributes(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let mut map = Map::new();
    for r in named(inner, ctx, input)? {
        let mut entry = json!({
            "ForwardingEnabled": r.forwarding_enabled,
            "HeadersInBounceNotificationsEnabled": r.headers_in[0],
            "HeadersInComplaintNotificationsEnabled": r.headers_in[1],
            "HeadersInDeliveryNotificationsEnabled": r.headers_in[2],
        });
        for (member, topic) in [("BounceTopic", &r.topics.bounce), ("ComplaintTopic", &r.topics.complaint), ("DeliveryTopic", &r.topics.delivery)] {
            if let Some(topic) = topic {
                entry[member] = json!(topic);
            }
        }
        map.insert(r.name.clone(), entry);
    }
    Ok(json!({ "NotificationAttributes": map }))
}

/// Forwarding can be switched off only once bounces and complaints go to topics (AWS's rule:
/// feedback must reach the sender one way or the other).
pub async fn set_feedback_forwarding(inner: &Inner, ctx: &RequestContext, api: Api, identity: &str, enabled: bool) -> Res<Value> {
    let name = identity.to_owned();
    update_existing(inner, ctx, api, identity, move |r| {
        if !enabled && (r.topics.bounce.is_none() || r.topics.complaint.is_none()) {
            return Err(api.invalid(format!(
                "Feedback forwarding cannot be disabled for identity <{name}> until it has both a bounce topic and a complaint topic."
            )));
        }
        r.forwarding_enabled = enabled;
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

pub async fn set_headers_in_notifications(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let identity = required(Api::V1, input, "Identity")?;
    let index = match required(Api::V1, input, "NotificationType")? {
        "Bounce" => 0,
        "Complaint" => 1,
        _ => 2,
    };
    let enabled = input.get("Enabled").and_then(Value::as_bool).unwrap_or(false);
    update_existing(inner, ctx, Api::V1, identity, move |r| {
        r.headers_in[index] = enabled;
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

pub async fn set_dkim_enabled(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let identity = required(Api::V1, input, "Identity")?;
    let enabled = input.get("DkimEnabled").and_then(Value::as_bool).unwrap_or(false);
    update_existing(inner, ctx, Api::V1, identity, move |r| {
        r.dkim_enabled = enabled;
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

// ---- v2 ----

fn v2_dkim(r: &IdentityRecord) -> Value {
    match r.kind {
        IdentityKind::Domain => json!({
            "SigningEnabled": r.dkim_enabled,
            "Status": r.v2_status(),
            "Tokens": r.dkim_tokens,
            "SigningAttributesOrigin": "AWS_SES",
            "NextSigningKeyLength": "RSA_2048_BIT",
            "CurrentSigningKeyLength": "RSA_2048_BIT",
            "LastKeyGenerationTimestamp": nimbus_core::document::timestamp(ms_time(r.created_ms)),
        }),
        IdentityKind::Email => json!({ "SigningEnabled": false, "Status": "NOT_STARTED", "SigningAttributesOrigin": "AWS_SES" }),
    }
}

pub fn ms_time(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

pub fn tags_in(input: &Value) -> Vec<Tag> {
    nimbus_core::service::tag_list(input, "Tags", "Key", "Value")
        .into_iter()
        .map(|(k, v)| Tag { key: k.to_owned(), value: v.to_owned() })
        .collect()
}

pub fn tags_out(tags: &[Tag]) -> Value {
    Value::Array(tags.iter().map(|t| json!({ "Key": t.key, "Value": t.value })).collect())
}

pub async fn create_email_identity(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(Api::V2, input, "EmailIdentity")?.to_owned();
    let kind = if name.contains('@') {
        check_email(Api::V2, &name)?;
        IdentityKind::Email
    } else {
        check_domain(Api::V2, &name)?;
        IdentityKind::Domain
    };
    let mut record = IdentityRecord::new(inner, &name, kind);
    record.tags = tags_in(input);
    record.configuration_set = string(input, "ConfigurationSetName").map(str::to_owned);
    if kind == IdentityKind::Domain {
        record.dkim_tokens = dkim_tokens();
        record.dkim_enabled = true;
    }
    let (scope, key) = (ctx_scope(ctx), identity_key(&name));
    let stored = record.clone();
    let exists = Api::V2.already_exists("", format!("Email identity <{name}> already exist."));
    inner
        .write(move |t| if t.insert(&scope, &key, &stored)? { Ok(()) } else { Err(Fail(exists)) })
        .await?;
    Ok(json!({
        "IdentityType": record.v2_type(),
        "VerifiedForSendingStatus": record.verified,
        "DkimAttributes": v2_dkim(&record),
    }))
}

fn get_v2(inner: &Inner, ctx: &RequestContext, name: &str) -> Res<IdentityRecord> {
    inner
        .get::<IdentityRecord>(&ctx_scope(ctx), &identity_key(name))?
        .ok_or_else(|| Api::V2.not_found("", format!("Email identity <{name}> does not exist.")))
}

pub fn get_email_identity(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let r = get_v2(inner, ctx, required(Api::V2, input, "EmailIdentity")?)?;
    let mut out = json!({
        "IdentityType": r.v2_type(),
        "FeedbackForwardingStatus": r.forwarding_enabled,
        "VerifiedForSendingStatus": r.verified,
        "DkimAttributes": v2_dkim(&r),
        "MailFromAttributes": { "MailFromDomain": "", "MailFromDomainStatus": "FAILED", "BehaviorOnMxFailure": "USE_DEFAULT_VALUE" },
        "Policies": {},
        "Tags": tags_out(&r.tags),
        "VerificationStatus": r.v2_status(),
    });
    if let Some(set) = &r.configuration_set {
        out["ConfigurationSetName"] = json!(set);
    }
    if let Some(ms) = r.verified_ms {
        let at = nimbus_core::document::timestamp(ms_time(ms));
        out["VerificationInfo"] = json!({ "LastCheckedTimestamp": at, "LastSuccessTimestamp": at });
    }
    Ok(out)
}

pub fn list_email_identities(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let all: Vec<(String, Value)> = inner
        .list_all::<IdentityRecord>(&ctx_scope(ctx))?
        .into_iter()
        .map(|(k, r)| {
            let info = json!({
                "IdentityType": r.v2_type(),
                "IdentityName": r.name,
                "SendingEnabled": r.verified,
                "VerificationStatus": r.v2_status(),
            });
            (k, info)
        })
        .collect();
    let (items, next) = page(Api::V2, all, input, page_size(input, "PageSize", 100))?;
    let mut out = json!({ "EmailIdentities": items });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

pub async fn delete_email_identity(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(Api::V2, input, "EmailIdentity")?.to_owned();
    let (scope, key) = (ctx_scope(ctx), identity_key(&name));
    let missing = Api::V2.not_found("", format!("Email identity <{name}> does not exist."));
    inner
        .write(move |t| if t.delete::<IdentityRecord>(&scope, &key)? { Ok(()) } else { Err(Fail(missing)) })
        .await?;
    Ok(json!({}))
}

pub async fn put_configuration_set_attributes(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let identity = required(Api::V2, input, "EmailIdentity")?;
    let set = string(input, "ConfigurationSetName").map(str::to_owned);
    if let Some(name) = &set {
        crate::config_sets::get(inner, ctx, Api::V2, name)?;
    }
    update_existing(inner, ctx, Api::V2, identity, move |r| {
        r.configuration_set = set;
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

// ---- for sending and the admin endpoint ----

/// The identity whose settings apply to mail from `address`: the address's own identity if it
/// exists, else its domain's, else the closest parent domain's (AWS: address settings take
/// precedence over the domain's).
pub fn sending_identity(inner: &Inner, scope: &str, address: &str) -> Res<Option<IdentityRecord>> {
    if let Some(r) = inner.get::<IdentityRecord>(scope, &identity_key(address))? {
        return Ok(Some(r));
    }
    let mut domain = address::domain_of(address).to_ascii_lowercase();
    loop {
        if let Some(r) = inner.get::<IdentityRecord>(scope, &domain)? {
            return Ok(Some(r));
        }
        match domain.split_once('.') {
            Some((_, parent)) if parent.contains('.') => domain = parent.to_owned(),
            _ => return Ok(None),
        }
    }
}

/// Whether mail may be sent from `address`: the address or its domain (or a parent domain,
/// since a verified domain covers its subdomains) is a verified identity.
pub fn is_verified_sender(inner: &Inner, scope: &str, address: &str) -> Res<bool> {
    if inner.get::<IdentityRecord>(scope, &identity_key(address))?.is_some_and(|r| r.verified) {
        return Ok(true);
    }
    let mut domain = address::domain_of(address).to_ascii_lowercase();
    loop {
        if inner.get::<IdentityRecord>(scope, &domain)?.is_some_and(|r| r.verified) {
            return Ok(true);
        }
        match domain.split_once('.') {
            Some((_, parent)) if parent.contains('.') => domain = parent.to_owned(),
            _ => return Ok(false),
        }
    }
}

/// The admin endpoint's verification: marks the identity verified.
pub fn verify_now(inner: &Inner, account: &str, region: &str, identity: &str) -> Res<bool> {
    let (scope, key, now) = (scope(account, region), identity_key(identity), inner.now());
    inner.write_blocking(move |t| {
            let Some(mut record) = t.get::<IdentityRecord>(&scope, &key)? else { return Ok(false) };
            if !record.verified {
                record.verified = true;
                record.verified_ms = Some(now);
                t.put(&scope, &key, &record)?;
            }
            Ok(true)
        })
}
