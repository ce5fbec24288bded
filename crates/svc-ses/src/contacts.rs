//! v2 contact lists and contacts, recorded (list management: topics, preferences,
//! unsubscribe-all). AWS allows one contact list per account and region; so does Nimbus.

use std::collections::BTreeMap;

use nimbus_core::RequestContext;
use nimbus_core::ServiceError;
use nimbus_core::document::timestamp;
use serde_json::{Value, json};

use crate::errors::{Api, Fail, Res};
use crate::identities::{ms_time, tags_in, tags_out};
use crate::records::{ContactListRecord, ContactRecord, ListTopic};
use crate::{Inner, ctx_scope, page, page_size, required, string};

fn list_missing(name: &str) -> ServiceError {
    Api::V2.not_found("", format!("List with name {name} does not exist."))
}

fn contact_missing(email: &str, list: &str) -> ServiceError {
    Api::V2.not_found("", format!("Contact {email} does not exist in list {list}."))
}

fn contacts_scope(ctx: &RequestContext, list: &str) -> String {
    format!("{}/{list}", ctx_scope(ctx))
}

fn topics_in(input: &Value) -> Res<Vec<ListTopic>> {
    let mut out = Vec::new();
    for t in input.get("Topics").and_then(Value::as_array).into_iter().flatten() {
        out.push(ListTopic {
            name: string(t, "TopicName").unwrap_or_default().to_owned(),
            display_name: string(t, "DisplayName").unwrap_or_default().to_owned(),
            description: string(t, "Description").map(str::to_owned),
            default_status: string(t, "DefaultSubscriptionStatus").unwrap_or("OPT_OUT").to_owned(),
        });
    }
    Ok(out)
}

fn topics_out(topics: &[ListTopic]) -> Value {
    topics
        .iter()
        .map(|t| {
            let mut v = json!({ "TopicName": t.name, "DisplayName": t.display_name, "DefaultSubscriptionStatus": t.default_status });
            if let Some(d) = &t.description {
                v["Description"] = json!(d);
            }
            v
        })
        .collect()
}

fn preferences_in(input: &Value) -> BTreeMap<String, String> {
    input
        .get("TopicPreferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| Some((string(p, "TopicName")?.to_owned(), string(p, "SubscriptionStatus")?.to_owned())))
        .collect()
}

fn preferences_out(preferences: &BTreeMap<String, String>) -> Value {
    preferences.iter().map(|(topic, status)| json!({ "TopicName": topic, "SubscriptionStatus": status })).collect()
}

fn defaults_out(list: &ContactListRecord) -> Value {
    list.topics.iter().map(|t| json!({ "TopicName": t.name, "SubscriptionStatus": t.default_status })).collect()
}

fn load_list(inner: &Inner, ctx: &RequestContext, name: &str) -> Res<ContactListRecord> {
    inner.get::<ContactListRecord>(&ctx_scope(ctx), name)?.ok_or_else(|| list_missing(name))
}

pub async fn create_list(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(Api::V2, input, "ContactListName")?.to_owned();
    let now = inner.now();
    let record = ContactListRecord {
        name: name.clone(),
        description: string(input, "Description").map(str::to_owned),
        topics: topics_in(input)?,
        tags: tags_in(input),
        created_ms: now,
        updated_ms: now,
    };
    let scope = ctx_scope(ctx);
    let exists = Api::V2.already_exists("", format!("List with name {name} already exists."));
    inner
        .write(move |t| {
            let existing = t.list::<ContactListRecord>(&scope, "", None, 2)?;
            if existing.iter().any(|(k, _)| k == &name) {
                return Err(Fail(exists));
            }
            if !existing.is_empty() {
                return Err(Fail(ServiceError::new(
                    "LimitExceededException",
                    "You can have only one contact list per account and region.",
                )));
            }
            t.put(&scope, &name, &record)?;
            Ok(())
        })
        .await?;
    Ok(json!({}))
}

pub fn get_list(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let list = load_list(inner, ctx, required(Api::V2, input, "ContactListName")?)?;
    let mut out = json!({
        "ContactListName": list.name,
        "Topics": topics_out(&list.topics),
        "CreatedTimestamp": timestamp(ms_time(list.created_ms)),
        "LastUpdatedTimestamp": timestamp(ms_time(list.updated_ms)),
        "Tags": tags_out(&list.tags),
    });
    if let Some(d) = &list.description {
        out["Description"] = json!(d);
    }
    Ok(out)
}

pub fn list_lists(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let all: Vec<(String, Value)> = inner
        .list_all::<ContactListRecord>(&ctx_scope(ctx))?
        .into_iter()
        .map(|(k, l)| (k, json!({ "ContactListName": l.name, "LastUpdatedTimestamp": timestamp(ms_time(l.updated_ms)) })))
        .collect();
    let (items, next) = page(Api::V2, all, input, page_size(input, "PageSize", 100))?;
    let mut out = json!({ "ContactLists": items });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

pub async fn update_list(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(Api::V2, input, "ContactListName")?.to_owned();
    let topics = input.get("Topics").is_some().then(|| topics_in(input)).transpose()?;
    let description = string(input, "Description").map(str::to_owned);
    let (scope, now, missing) = (ctx_scope(ctx), inner.now(), list_missing(&name));
    inner
        .write(move |t| {
            let mut list = t.get::<ContactListRecord>(&scope, &name)?.ok_or(Fail(missing))?;
            if let Some(topics) = topics {
                list.topics = topics;
            }
            if description.is_some() {
                list.description = description;
            }
            list.updated_ms = now;
            t.put(&scope, &name, &list)?;
            Ok(())
        })
        .await?;
    Ok(json!({}))
}

/// Deletes the list and every contact in it.
pub async fn delete_list(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(Api::V2, input, "ContactListName")?.to_owned();
    let (scope, contacts, missing) = (ctx_scope(ctx), contacts_scope(ctx, &name), list_missing(&name));
    inner
        .write(move |t| {
            if !t.delete::<ContactListRecord>(&scope, &name)? {
                return Err(Fail(missing));
            }
            t.delete_scope::<ContactRecord>(&contacts)?;
            Ok(())
        })
        .await?;
    Ok(json!({}))
}

pub async fn create_contact(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let list = required(Api::V2, input, "ContactListName")?.to_owned();
    let email = required(Api::V2, input, "EmailAddress")?.to_owned();
    crate::send::mailbox(Api::V2, &email)?;
    load_list(inner, ctx, &list)?;
    let now = inner.now();
    let record = ContactRecord {
        email: email.clone(),
        preferences: preferences_in(input),
        unsubscribe_all: input.get("UnsubscribeAll").and_then(Value::as_bool).unwrap_or(false),
        attributes_data: string(input, "AttributesData").map(str::to_owned),
        created_ms: now,
        updated_ms: now,
    };
    let (scope, key) = (contacts_scope(ctx, &list), email.to_ascii_lowercase());
    let exists = Api::V2.already_exists("", format!("Contact already exists in list {list}"));
    inner
        .write(move |t| if t.insert(&scope, &key, &record)? { Ok(()) } else { Err(Fail(exists)) })
        .await?;
    Ok(json!({}))
}

pub fn get_contact(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let list_name = required(Api::V2, input, "ContactListName")?;
    let email = required(Api::V2, input, "EmailAddress")?;
    let list = load_list(inner, ctx, list_name)?;
    let c = inner
        .get::<ContactRecord>(&contacts_scope(ctx, list_name), &email.to_ascii_lowercase())?
        .ok_or_else(|| contact_missing(email, list_name))?;
    let mut out = json!({
        "ContactListName": list.name,
        "EmailAddress": c.email,
        "TopicPreferences": preferences_out(&c.preferences),
        "TopicDefaultPreferences": defaults_out(&list),
        "UnsubscribeAll": c.unsubscribe_all,
        "CreatedTimestamp": timestamp(ms_time(c.created_ms)),
        "LastUpdatedTimestamp": timestamp(ms_time(c.updated_ms)),
    });
    if let Some(data) = &c.attributes_data {
        out["AttributesData"] = json!(data);
    }
    Ok(out)
}

/// A contact's status for one topic: its own preference, else (when allowed) the list's
/// default; unsubscribing from everything opts out of every topic.
fn status_for(c: &ContactRecord, list: &ContactListRecord, topic: &str, use_default: bool) -> Option<String> {
    if c.unsubscribe_all {
        return Some("OPT_OUT".into());
    }
    c.preferences.get(topic).cloned().or_else(|| {
        use_default.then(|| list.topics.iter().find(|t| t.name == topic).map(|t| t.default_status.clone())).flatten()
    })
}

pub fn list_contacts(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let list_name = required(Api::V2, input, "ContactListName")?;
    let list = load_list(inner, ctx, list_name)?;
    let filter = input.get("Filter").cloned().unwrap_or_default();
    let wanted = string(&filter, "FilteredStatus").map(str::to_owned);
    let topic_filter = filter.get("TopicFilter").cloned();
    let all: Vec<(String, Value)> = inner
        .list_all::<ContactRecord>(&contacts_scope(ctx, list_name))?
        .into_iter()
        .filter(|(_, c)| {
            let Some(wanted) = &wanted else { return true };
            match &topic_filter {
                Some(tf) => {
                    let topic = string(tf, "TopicName").unwrap_or_default();
                    let use_default = tf.get("UseDefaultIfPreferenceUnavailable").and_then(Value::as_bool).unwrap_or(false);
                    status_for(c, &list, topic, use_default).as_ref() == Some(wanted)
                }
                None => list.topics.iter().any(|t| status_for(c, &list, &t.name, true).as_ref() == Some(wanted)),
            }
        })
        .map(|(k, c)| {
            let v = json!({
                "EmailAddress": c.email,
                "TopicPreferences": preferences_out(&c.preferences),
                "TopicDefaultPreferences": defaults_out(&list),
                "UnsubscribeAll": c.unsubscribe_all,
                "LastUpdatedTimestamp": timestamp(ms_time(c.updated_ms)),
            });
            (k, v)
        })
        .collect();
    let (items, next) = page(Api::V2, all, input, page_size(input, "PageSize", 100))?;
    let mut out = json!({ "Contacts": items });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

pub async fn update_contact(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let list = required(Api::V2, input, "ContactListName")?.to_owned();
    let email = required(Api::V2, input, "EmailAddress")?.to_owned();
    load_list(inner, ctx, &list)?;
    let preferences = input.get("TopicPreferences").is_some().then(|| preferences_in(input));
    let unsubscribe_all = input.get("UnsubscribeAll").and_then(Value::as_bool);
    let attributes = string(input, "AttributesData").map(str::to_owned);
    let (scope, key, now, missing) = (contacts_scope(ctx, &list), email.to_ascii_lowercase(), inner.now(), contact_missing(&email, &list));
    inner
        .write(move |t| {
            let mut c = t.get::<ContactRecord>(&scope, &key)?.ok_or(Fail(missing))?;
            if let Some(p) = preferences {
                c.preferences = p;
            }
            if let Some(u) = unsubscribe_all {
                c.unsubscribe_all = u;
            }
            if attributes.is_some() {
                c.attributes_data = attributes;
            }
            c.updated_ms = now;
            t.put(&scope, &key, &c)?;
            Ok(())
        })
        .await?;
    Ok(json!({}))
}

pub async fn delete_contact(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let list = required(Api::V2, input, "ContactListName")?.to_owned();
    let email = required(Api::V2, input, "EmailAddress")?.to_owned();
    load_list(inner, ctx, &list)?;
    let (scope, key, missing) = (contacts_scope(ctx, &list), email.to_ascii_lowercase(), contact_missing(&email, &list));
    inner
        .write(move |t| if t.delete::<ContactRecord>(&scope, &key)? { Ok(()) } else { Err(Fail(missing)) })
        .await?;
    Ok(json!({}))
}
