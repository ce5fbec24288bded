//! One call as a CloudTrail record ("CloudTrail record contents"), and the fields of it that
//! lookups and selectors read, kept beside it.

use nimbus_core::{ApiCall, Principal};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::classify::{Class, classify, is_global};
use crate::resources::{self, Resource};

/// The record format's version (the CloudTrail User Guide's current one).
pub const EVENT_VERSION: &str = "1.11";

/// One event as CloudTrail keeps it: its JSON record and what LookupEvents filters on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub time_ms: i64,
    /// The recorder's sequence number: orders the calls of one millisecond.
    #[serde(default)]
    pub seq: u64,
    pub name: String,
    pub source: String,
    /// `awsRegion`: where the call was made (us-east-1 for global services).
    pub region: String,
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// The record, as the JSON text LookupEvents returns in `CloudTrailEvent`.
    pub record: String,
}

/// What selectors match an event on besides what [`Event`] keeps.
#[derive(Debug, Clone)]
pub struct Facts {
    pub class: Class,
    pub account_id: String,
    pub global: bool,
    pub error_code: Option<String>,
    pub user_arn: Option<String>,
}

/// The largest `requestParameters` or `responseElements` kept, as JSON text: AWS caps these fields
/// (about 100 KB) and says `"omitted": true` in the record when it cut one. A PutLogEvents of
/// 10,000 events would otherwise be recorded as a megabyte.
const MAX_FIELD_BYTES: usize = 100 * 1024;

/// The field, or nothing with `true` when its JSON text is over [`MAX_FIELD_BYTES`]. AWS does not
/// say what remains of a cut field; Nimbus drops it whole rather than keep invalid JSON.
fn within_field_limit(field: Option<Value>) -> (Option<Value>, bool) {
    let Some(value) = field else { return (None, false) };
    let mut size = SizeCounter(0);
    match serde_json::to_writer(&mut size, &value) {
        Ok(()) if size.0 <= MAX_FIELD_BYTES => (Some(value), false),
        _ => (None, true),
    }
}

/// Counts bytes written and stops at the limit, so measuring a huge field costs little.
struct SizeCounter(usize);

impl std::io::Write for SizeCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        if self.0 > MAX_FIELD_BYTES {
            return Err(std::io::Error::other("over the field limit"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Builds the record of a call; `id` is its `eventID`, `seq` its place in the recorder's order.
pub fn build(call: ApiCall, id: String, seq: u64) -> (Event, Facts) {
    let class = classify(&call.service, &call.operation);
    let global = is_global(&call.service);
    let region = if global { nimbus_core::DEFAULT_REGION.to_owned() } else { call.region.clone() };
    let mut params = call.request_parameters;
    if let Some(params) = &mut params {
        crate::redact::request(&call.service, params);
    }
    let mut response = call.response_elements.filter(|_| !class.read_only && call.error.is_none());
    if let Some(response) = &mut response {
        crate::redact::response(&call.service, response);
    }
    let resources = params.as_ref().map(|p| resources::of_call(&call.service, p, &call.account_id, &region)).unwrap_or_default();
    let identity = user_identity(call.principal.as_ref(), &call.account_id);
    let username = call.principal.as_ref().and_then(username);
    let access_key_id = call.principal.as_ref().and_then(|p| p.access_key_id.clone());

    let mut record = Map::new();
    record.insert("eventVersion".into(), json!(EVENT_VERSION));
    record.insert("userIdentity".into(), identity);
    record.insert("eventTime".into(), json!(iso_seconds(call.event_time_ms)));
    record.insert("eventSource".into(), json!(call.event_source));
    record.insert("eventName".into(), json!(call.operation));
    record.insert("awsRegion".into(), json!(region));
    record.insert("sourceIPAddress".into(), json!(call.source_ip.map_or_else(|| "127.0.0.1".to_owned(), |ip| ip.to_string())));
    record.insert("userAgent".into(), json!(call.user_agent.as_deref().unwrap_or("")));
    if let Some((code, message)) = &call.error {
        record.insert("errorCode".into(), json!(code));
        record.insert("errorMessage".into(), json!(message));
    }
    let (params, params_omitted) = within_field_limit(params);
    let (response, response_omitted) = within_field_limit(response);
    record.insert("requestParameters".into(), params.unwrap_or(Value::Null));
    record.insert("responseElements".into(), response.unwrap_or(Value::Null));
    if params_omitted || response_omitted {
        record.insert("omitted".into(), json!(true));
    }
    record.insert("requestID".into(), json!(call.request_id));
    record.insert("eventID".into(), json!(id));
    record.insert("readOnly".into(), json!(class.read_only));
    if !resources.is_empty() {
        let listed: Vec<Value> = resources
            .iter()
            .map(|r| {
                let mut entry = Map::new();
                entry.insert("accountId".into(), json!(call.account_id));
                entry.insert("type".into(), json!(r.resource_type));
                entry.insert("ARN".into(), json!(r.arn.as_deref().unwrap_or(&r.name)));
                Value::Object(entry)
            })
            .collect();
        record.insert("resources".into(), Value::Array(listed));
    }
    record.insert("eventType".into(), json!("AwsApiCall"));
    record.insert("managementEvent".into(), json!(class.is_management()));
    record.insert("recipientAccountId".into(), json!(call.account_id));
    record.insert("eventCategory".into(), json!(class.category_name()));

    let facts = Facts {
        class,
        account_id: call.account_id,
        global,
        error_code: call.error.map(|(code, _)| code),
        user_arn: call.principal.map(|p| p.arn),
    };
    let event = Event {
        id,
        time_ms: call.event_time_ms,
        seq,
        name: call.operation,
        source: call.event_source,
        region,
        read_only: class.read_only,
        username,
        access_key_id,
        resources,
        record: Value::Object(record).to_string(),
    };
    (event, facts)
}

/// The `userIdentity` element ("CloudTrail userIdentity element") for a caller.
fn user_identity(principal: Option<&Principal>, account: &str) -> Value {
    let Some(principal) = principal else {
        // AWS's anonymous S3 caller.
        return json!({"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"});
    };
    let account = arn_account(&principal.arn).unwrap_or(account);
    let resource = principal.arn.splitn(6, ':').nth(5).unwrap_or("");
    let mut identity = Map::new();
    let kind = match resource.split_once('/') {
        _ if resource == "root" => "Root",
        Some(("user", _)) => "IAMUser",
        Some(("assumed-role", _)) => "AssumedRole",
        Some(("federated-user", _)) => "FederatedUser",
        _ => "Unknown",
    };
    identity.insert("type".into(), json!(kind));
    identity.insert("principalId".into(), json!(principal.user_id));
    identity.insert("arn".into(), json!(principal.arn));
    identity.insert("accountId".into(), json!(account));
    if let Some(key) = &principal.access_key_id {
        identity.insert("accessKeyId".into(), json!(key));
    }
    if kind == "IAMUser" {
        identity.insert("userName".into(), json!(resource.rsplit('/').next().unwrap_or(resource)));
    }
    if let Some(context) = session_context(principal, kind, account, resource) {
        identity.insert("sessionContext".into(), context);
    }
    Value::Object(identity)
}

/// `sessionContext` of temporary credentials: who issued the session, and its attributes.
fn session_context(principal: &Principal, kind: &str, account: &str, resource: &str) -> Option<Value> {
    let session = principal.session.as_deref();
    let issuer = match kind {
        "AssumedRole" => {
            let role = resource.split('/').nth(1).unwrap_or("");
            let arn = session.and_then(|s| s.identity_arn.clone()).unwrap_or_else(|| format!("arn:aws:iam::{account}:role/{role}"));
            let role_id = principal.user_id.split(':').next().unwrap_or(&principal.user_id);
            json!({"type": "Role", "principalId": role_id, "arn": arn, "accountId": account, "userName": role})
        }
        "FederatedUser" => {
            let arn = session.and_then(|s| s.identity_arn.clone()).unwrap_or_default();
            let user = arn.rsplit('/').next().unwrap_or("").to_owned();
            json!({"type": "IAMUser", "principalId": principal.user_id, "arn": arn, "accountId": account, "userName": user})
        }
        // GetSessionToken: the user's own identity, with a session.
        _ if session.is_some() => json!({}),
        _ => return None,
    };
    let mut context = json!({"sessionIssuer": issuer, "attributes": {"mfaAuthenticated": "false"}});
    if let Some(source) = session.and_then(|s| s.source_identity.as_deref()) {
        context["sourceIdentity"] = json!(source);
    }
    Some(context)
}

/// LookupEvents' `Username`: the user's name, the role session's name, the federated user's
/// name, or `root`.
fn username(principal: &Principal) -> Option<String> {
    let resource = principal.arn.splitn(6, ':').nth(5)?;
    if resource == "root" {
        return Some("root".to_owned());
    }
    match resource.split_once('/') {
        Some(("user" | "federated-user", rest)) => rest.rsplit('/').next().map(str::to_owned),
        Some(("assumed-role", rest)) => rest.split('/').nth(1).map(str::to_owned),
        _ => None,
    }
}

fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// `2024-01-02T03:04:05Z`: records carry whole seconds.
pub fn iso_seconds(ms: i64) -> String {
    let full = nimbus_core::document::iso8601_millis(ms);
    format!("{}Z", &full[..19])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn principal(arn: &str, user_id: &str) -> Principal {
        Principal { arn: arn.into(), user_id: user_id.into(), access_key_id: Some("AKIAEXAMPLE".into()), verified: true, session: None }
    }

    #[test]
    fn user_identity_per_kind() {
        let root = user_identity(Some(&principal("arn:aws:iam::111122223333:root", "111122223333")), "111122223333");
        assert_eq!(root["type"], "Root");
        assert_eq!(root["accessKeyId"], "AKIAEXAMPLE");
        let user = user_identity(Some(&principal("arn:aws:iam::111122223333:user/dev/alice", "AIDAX")), "111122223333");
        assert_eq!((user["type"].as_str(), user["userName"].as_str()), (Some("IAMUser"), Some("alice")));
        assert!(user.get("sessionContext").is_none());
        let mut role = principal("arn:aws:sts::111122223333:assumed-role/Deployer/ci", "AROAX:ci");
        role.session = Some(Arc::new(nimbus_core::Session {
            identity_arn: Some("arn:aws:iam::111122223333:role/ops/Deployer".into()),
            source_identity: Some("alice".into()),
            ..Default::default()
        }));
        let assumed = user_identity(Some(&role), "111122223333");
        assert_eq!(assumed["type"], "AssumedRole");
        assert_eq!(assumed["sessionContext"]["sessionIssuer"]["arn"], "arn:aws:iam::111122223333:role/ops/Deployer");
        assert_eq!(assumed["sessionContext"]["sessionIssuer"]["principalId"], "AROAX");
        assert_eq!(assumed["sessionContext"]["sourceIdentity"], "alice");
        assert_eq!(username(&role).as_deref(), Some("ci"));
        assert_eq!(user_identity(None, "1")["accountId"], "ANONYMOUS_PRINCIPAL");
        assert_eq!(username(&principal("arn:aws:iam::1:root", "1")).as_deref(), Some("root"));
    }

    #[test]
    fn records_carry_aws_fields() {
        let call = ApiCall {
            event_time_ms: 1_700_000_000_123,
            service: "iam".into(),
            event_source: "iam.amazonaws.com".into(),
            operation: "CreateUser".into(),
            account_id: "111122223333".into(),
            region: "eu-west-1".into(),
            principal: Some(principal("arn:aws:iam::111122223333:root", "111122223333")),
            source_ip: None,
            user_agent: Some("aws-cli/2".into()),
            request_id: "req-1".into(),
            request_parameters: Some(json!({"userName": "bob"})),
            response_elements: Some(json!({"user": {"userName": "bob"}})),
            error: None,
        };
        let (event, facts) = build(call, "ev-1".into(), 1);
        let record: Value = serde_json::from_str(&event.record).unwrap();
        assert_eq!(record["eventTime"], "2023-11-14T22:13:20Z");
        assert_eq!(record["awsRegion"], "us-east-1", "IAM is global");
        assert_eq!(record["readOnly"], false);
        assert_eq!(record["responseElements"]["user"]["userName"], "bob");
        assert_eq!(record["resources"][0]["type"], "AWS::IAM::User");
        assert_eq!(record["eventCategory"], "Management");
        assert!(facts.global && facts.class.is_management());
        assert_eq!(event.username.as_deref(), Some("root"));
        assert!(record.get("omitted").is_none());
    }

    #[test]
    fn oversized_parameters_are_omitted() {
        let events: Vec<Value> = (0..2_000).map(|i| json!({"timestamp": i, "message": "x".repeat(100)})).collect();
        let call = ApiCall {
            event_time_ms: 1_700_000_000_123,
            service: "logs".into(),
            event_source: "logs.amazonaws.com".into(),
            operation: "PutLogEvents".into(),
            account_id: "111122223333".into(),
            region: "eu-west-1".into(),
            principal: Some(principal("arn:aws:iam::111122223333:root", "111122223333")),
            source_ip: None,
            user_agent: None,
            request_id: "req-2".into(),
            request_parameters: Some(json!({"logGroupName": "/app", "logStreamName": "s", "logEvents": events})),
            response_elements: Some(json!({"nextSequenceToken": "1"})),
            error: None,
        };
        let (event, _) = build(call, "ev-2".into(), 2);
        assert!(event.record.len() < 10_000, "{} bytes", event.record.len());
        let record: Value = serde_json::from_str(&event.record).unwrap();
        assert_eq!(record["requestParameters"], Value::Null);
        assert_eq!(record["responseElements"]["nextSequenceToken"], "1");
        assert_eq!(record["omitted"], true);
    }
}
