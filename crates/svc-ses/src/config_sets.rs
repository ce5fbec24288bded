//! Configuration sets and their event destinations, through both APIs (one store). SNS
//! destinations receive events ([`crate::events`]); CloudWatch, Firehose, EventBridge and
//! Pinpoint destinations are recorded and returned by the API that set them, not delivered.
//! v2's option structures (tracking, delivery, reputation, sending, suppression, VDM,
//! archiving) are recorded as given.

use nimbus_core::{RequestContext, ServiceError};
use nimbus_core::document::string_list_member;
use serde_json::{Value, json};

use crate::errors::{Api, Fail, Res};
use crate::identities::{tags_in, tags_out};
use crate::records::{ConfigSetRecord, EventDestinationRecord};
use crate::{Inner, ctx_scope, page, page_size, required, string};

/// v1's event type names and v2's, pairwise.
const EVENT_TYPES: &[(&str, &str)] = &[
    ("send", "SEND"),
    ("reject", "REJECT"),
    ("bounce", "BOUNCE"),
    ("complaint", "COMPLAINT"),
    ("delivery", "DELIVERY"),
    ("open", "OPEN"),
    ("click", "CLICK"),
    ("renderingFailure", "RENDERING_FAILURE"),
    ("deliveryDelay", "DELIVERY_DELAY"),
    ("subscription", "SUBSCRIPTION"),
];

/// v2's option members, kept as given.
const V2_OPTIONS: &[&str] = &[
    "TrackingOptions",
    "DeliveryOptions",
    "ReputationOptions",
    "SendingOptions",
    "SuppressionOptions",
    "VdmOptions",
    "ArchivingOptions",
];

/// Destinations recorded, not delivered, per API.
const RECORDED_V1: &[&str] = &["KinesisFirehoseDestination", "CloudWatchDestination"];
const RECORDED_V2: &[&str] = &["KinesisFirehoseDestination", "CloudWatchDestination", "EventBridgeDestination", "PinpointDestination"];

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub fn get(inner: &Inner, ctx: &RequestContext, api: Api, name: &str) -> Res<ConfigSetRecord> {
    inner.get::<ConfigSetRecord>(&ctx_scope(ctx), name)?.ok_or_else(|| api.config_set_missing(name))
}

async fn create(inner: &Inner, ctx: &RequestContext, api: Api, record: ConfigSetRecord) -> Res<Value> {
    if !valid_name(&record.name) {
        let message = format!("Configuration set name <{}> is invalid: use 1 to 64 letters, digits, underscores or dashes.", record.name);
        return Err(match api {
            Api::V1 => ServiceError::new("InvalidConfigurationSetException", message),
            Api::V2 => api.invalid(message),
        });
    }
    let scope = ctx_scope(ctx);
    let exists = api.already_exists("ConfigurationSetAlreadyExistsException", format!("Configuration set <{}> already exists.", record.name));
    let exists = if api == Api::V1 { exists.with_field("ConfigurationSetName", record.name.as_str()) } else { exists };
    inner
        .write(move |t| if t.insert(&scope, &record.name.clone(), &record)? { Ok(()) } else { Err(Fail(exists)) })
        .await?;
    Ok(json!({}))
}

async fn delete(inner: &Inner, ctx: &RequestContext, api: Api, name: &str) -> Res<Value> {
    let (scope, key, missing) = (ctx_scope(ctx), name.to_owned(), api.config_set_missing(name));
    inner
        .write(move |t| if t.delete::<ConfigSetRecord>(&scope, &key)? { Ok(()) } else { Err(Fail(missing)) })
        .await?;
    Ok(json!({}))
}

/// Applies `change` to the named set's destinations in one transaction.
async fn change_destinations(
    inner: &Inner,
    ctx: &RequestContext,
    api: Api,
    set: &str,
    change: impl FnOnce(&mut Vec<EventDestinationRecord>) -> Res<()> + Send + 'static,
) -> Res<Value> {
    let (scope, key, missing) = (ctx_scope(ctx), set.to_owned(), api.config_set_missing(set));
    inner
        .write(move |t| {
            let mut record = t.get::<ConfigSetRecord>(&scope, &key)?.ok_or(Fail(missing))?;
            change(&mut record.event_destinations)?;
            t.put(&scope, &key, &record)?;
            Ok(())
        })
        .await?;
    Ok(json!({}))
}

fn destination_exists(api: Api, set: &str, name: &str) -> ServiceError {
    let e = api.already_exists("EventDestinationAlreadyExistsException", format!("Event destination <{name}> already exists in <{set}>."));
    if api == Api::V1 { e.with_field("ConfigurationSetName", set).with_field("EventDestinationName", name) } else { e }
}

fn destination_missing(api: Api, set: &str, name: &str) -> ServiceError {
    let e = api.not_found("EventDestinationDoesNotExistException", format!("Event destination <{name}> does not exist in <{set}>."));
    if api == Api::V1 { e.with_field("ConfigurationSetName", set).with_field("EventDestinationName", name) } else { e }
}

/// Reads an event destination from `api`'s shape (`name` given separately in v2).
fn parse_destination(api: Api, name: &str, d: &Value) -> Res<EventDestinationRecord> {
    if !valid_name(name) {
        return Err(api.invalid(format!("Event destination name <{name}> is invalid: use 1 to 64 letters, digits, underscores or dashes.")));
    }
    let types = string_list_member(d, "MatchingEventTypes");
    let event_types = match api {
        Api::V1 => types.iter().filter_map(|t| EVENT_TYPES.iter().find(|(v1, _)| v1 == t).map(|(_, v2)| (*v2).to_owned())).collect(),
        Api::V2 => types,
    };
    let (sns_member, arn_member, recorded) = match api {
        Api::V1 => ("SNSDestination", "TopicARN", RECORDED_V1),
        Api::V2 => ("SnsDestination", "TopicArn", RECORDED_V2),
    };
    let sns_topic = d.get(sns_member).and_then(|s| string(s, arn_member)).map(str::to_owned);
    if let Some(arn) = &sns_topic
        && !arn.starts_with("arn:aws:sns:")
    {
        let message = format!("SNS topic <{arn}> is not an SNS topic ARN.");
        return Err(match api {
            Api::V1 => ServiceError::new("InvalidSNSDestinationException", message),
            Api::V2 => api.invalid(message),
        });
    }
    let prefix = if api == Api::V1 { "v1:" } else { "v2:" };
    Ok(EventDestinationRecord {
        name: name.to_owned(),
        enabled: d.get("Enabled").and_then(Value::as_bool).unwrap_or(false),
        event_types,
        sns_topic,
        recorded: recorded.iter().filter_map(|m| Some((format!("{prefix}{m}"), d.get(*m)?.clone()))).collect(),
    })
}

/// An event destination in `api`'s shape.
fn render_destination(api: Api, d: &EventDestinationRecord) -> Value {
    let types: Vec<&str> = match api {
        Api::V1 => d.event_types.iter().filter_map(|t| EVENT_TYPES.iter().find(|(_, v2)| v2 == t).map(|(v1, _)| *v1)).collect(),
        Api::V2 => d.event_types.iter().map(String::as_str).collect(),
    };
    let mut out = json!({ "Name": d.name, "Enabled": d.enabled, "MatchingEventTypes": types });
    if let Some(topic) = &d.sns_topic {
        match api {
            Api::V1 => out["SNSDestination"] = json!({ "TopicARN": topic }),
            Api::V2 => out["SnsDestination"] = json!({ "TopicArn": topic }),
        }
    }
    let prefix = if api == Api::V1 { "v1:" } else { "v2:" };
    for (member, value) in &d.recorded {
        if let Some(member) = member.strip_prefix(prefix) {
            out[member] = value.clone();
        }
    }
    out
}

// ---- v1 ----

pub async fn v1_create(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = input.get("ConfigurationSet").and_then(|c| string(c, "Name")).unwrap_or_default().to_owned();
    let record = ConfigSetRecord { name, event_destinations: Vec::new(), options: Default::default(), tags: Vec::new(), created_ms: inner.now() };
    create(inner, ctx, Api::V1, record).await
}

pub fn v1_describe(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let set = get(inner, ctx, Api::V1, required(Api::V1, input, "ConfigurationSetName")?)?;
    let wanted = string_list_member(input, "ConfigurationSetAttributeNames");
    let mut out = json!({ "ConfigurationSet": { "Name": set.name } });
    if wanted.iter().any(|w| w == "eventDestinations") {
        out["EventDestinations"] = set.event_destinations.iter().map(|d| render_destination(Api::V1, d)).collect();
    }
    if wanted.iter().any(|w| w == "deliveryOptions")
        && let Some(tls) = set.options.get("DeliveryOptions").and_then(|o| o.get("TlsPolicy"))
    {
        out["DeliveryOptions"] = json!({ "TlsPolicy": tls });
    }
    if wanted.iter().any(|w| w == "trackingOptions")
        && let Some(domain) = set.options.get("TrackingOptions").and_then(|o| o.get("CustomRedirectDomain"))
    {
        out["TrackingOptions"] = json!({ "CustomRedirectDomain": domain });
    }
    if wanted.iter().any(|w| w == "reputationOptions") {
        let reputation = set.options.get("ReputationOptions");
        let sending = set.options.get("SendingOptions").and_then(|o| o.get("SendingEnabled")).and_then(Value::as_bool).unwrap_or(true);
        let metrics = reputation.and_then(|o| o.get("ReputationMetricsEnabled")).and_then(Value::as_bool).unwrap_or(false);
        out["ReputationOptions"] = json!({ "SendingEnabled": sending, "ReputationMetricsEnabled": metrics });
    }
    Ok(out)
}

pub fn v1_list(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let all: Vec<(String, Value)> = inner.list_all::<ConfigSetRecord>(&ctx_scope(ctx))?.into_iter().map(|(k, s)| (k, json!({ "Name": s.name }))).collect();
    let (items, next) = page(Api::V1, all, input, page_size(input, "MaxItems", 1000))?;
    let mut out = json!({ "ConfigurationSets": items });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

pub async fn v1_delete(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    delete(inner, ctx, Api::V1, required(Api::V1, input, "ConfigurationSetName")?).await
}

/// v1 Create/UpdateConfigurationSetEventDestination (`create` says which).
pub async fn v1_put_destination(inner: &Inner, ctx: &RequestContext, input: &Value, create: bool) -> Res<Value> {
    let set = required(Api::V1, input, "ConfigurationSetName")?.to_owned();
    let d = input.get("EventDestination").cloned().unwrap_or_default();
    let name = string(&d, "Name").unwrap_or_default().to_owned();
    let destination = parse_destination(Api::V1, &name, &d)?;
    put_destination(inner, ctx, Api::V1, &set, destination, create).await
}

async fn put_destination(inner: &Inner, ctx: &RequestContext, api: Api, set: &str, destination: EventDestinationRecord, create: bool) -> Res<Value> {
    let set_name = set.to_owned();
    change_destinations(inner, ctx, api, set, move |list| {
        let existing = list.iter().position(|d| d.name == destination.name);
        match (existing, create) {
            (Some(_), true) => Err(destination_exists(api, &set_name, &destination.name)),
            (None, false) => Err(destination_missing(api, &set_name, &destination.name)),
            (Some(i), false) => {
                list[i] = destination;
                Ok(())
            }
            (None, true) => {
                list.push(destination);
                Ok(())
            }
        }
    })
    .await
}

pub async fn delete_destination(inner: &Inner, ctx: &RequestContext, api: Api, input: &Value) -> Res<Value> {
    let set = required(api, input, "ConfigurationSetName")?.to_owned();
    let name = required(api, input, "EventDestinationName")?.to_owned();
    let set_name = set.clone();
    change_destinations(inner, ctx, api, &set, move |list| {
        let before = list.len();
        list.retain(|d| d.name != name);
        if list.len() == before { Err(destination_missing(api, &set_name, &name)) } else { Ok(()) }
    })
    .await
}

// ---- v2 ----

pub async fn v2_create(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(Api::V2, input, "ConfigurationSetName")?.to_owned();
    let options = V2_OPTIONS.iter().filter_map(|m| Some(((*m).to_owned(), input.get(*m)?.clone()))).collect();
    let record = ConfigSetRecord { name, event_destinations: Vec::new(), options, tags: tags_in(input), created_ms: inner.now() };
    create(inner, ctx, Api::V2, record).await
}

pub fn v2_get(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let set = get(inner, ctx, Api::V2, required(Api::V2, input, "ConfigurationSetName")?)?;
    let mut out = json!({ "ConfigurationSetName": set.name, "Tags": tags_out(&set.tags) });
    for (member, value) in &set.options {
        out[member] = value.clone();
    }
    Ok(out)
}

pub fn v2_list(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let all: Vec<(String, String)> = inner.list_all::<ConfigSetRecord>(&ctx_scope(ctx))?.into_iter().map(|(k, s)| (k, s.name)).collect();
    let (items, next) = page(Api::V2, all, input, page_size(input, "PageSize", 100))?;
    let mut out = json!({ "ConfigurationSets": items });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

pub async fn v2_delete(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    delete(inner, ctx, Api::V2, required(Api::V2, input, "ConfigurationSetName")?).await
}

pub async fn v2_put_destination(inner: &Inner, ctx: &RequestContext, input: &Value, create: bool) -> Res<Value> {
    let set = required(Api::V2, input, "ConfigurationSetName")?.to_owned();
    let name = required(Api::V2, input, "EventDestinationName")?;
    let d = input.get("EventDestination").cloned().unwrap_or_default();
    let destination = parse_destination(Api::V2, name, &d)?;
    put_destination(inner, ctx, Api::V2, &set, destination, create).await
}

pub fn v2_get_destinations(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let set = get(inner, ctx, Api::V2, required(Api::V2, input, "ConfigurationSetName")?)?;
    let list: Vec<Value> = set.event_destinations.iter().map(|d| render_destination(Api::V2, d)).collect();
    Ok(json!({ "EventDestinations": list }))
}
