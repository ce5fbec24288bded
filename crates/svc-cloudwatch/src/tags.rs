//! Tags of alarms and dashboards: TagResource, UntagResource, ListTagsForResource, and the
//! `Tags` member of PutMetricAlarm, PutCompositeAlarm and PutDashboard.

use nimbus_core::service::tag_list;
use nimbus_core::{Document, RequestContext};
use serde_json::{Value, json};

use crate::dashboards::{DashboardRecord, dashboard_scope};
use crate::errors::{Res, invalid_value, resource_not_found};
use crate::CloudWatch;

const MAX_TAGS: usize = 50;

/// The `Tags` member, checked.
pub fn parse_tags(input: &Document) -> Res<Vec<(String, String)>> {
    let tags: Vec<(String, String)> =
        tag_list(input, "Tags", "Key", "Value").into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    check(&tags)?;
    Ok(tags)
}

fn check(tags: &[(String, String)]) -> Res<()> {
    for (key, _) in tags {
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid_value(format!("Invalid tag key: {key}. Tag keys may not start with aws:.")));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(invalid_value(format!("A resource can have at most {MAX_TAGS} tags.")));
    }
    Ok(())
}

/// Adds or replaces tags by key.
pub fn merge(existing: &mut Vec<(String, String)>, new: Vec<(String, String)>) {
    for (key, value) in new {
        match existing.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => existing.push((key, value)),
        }
    }
}

pub fn tags_document(tags: &[(String, String)]) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect())
}

/// A taggable resource named by ARN.
enum Resource {
    Alarm(String),
    Dashboard(String),
}

fn parse_arn(ctx: &RequestContext, arn: &str) -> Res<Resource> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(invalid_value(format!("Invalid ARN {arn}")));
    };
    if !partition.starts_with("aws") || *service != "cloudwatch" {
        return Err(invalid_value(format!("Invalid ARN {arn}")));
    }
    if let Some(name) = resource.strip_prefix("alarm:") {
        if *region != ctx.region || *account != ctx.account_id {
            return Err(resource_not_found("Alarm", name));
        }
        return Ok(Resource::Alarm(name.to_owned()));
    }
    if let Some(name) = resource.strip_prefix("dashboard/") {
        if *account != ctx.account_id {
            return Err(resource_not_found("Dashboard", name));
        }
        return Ok(Resource::Dashboard(name.to_owned()));
    }
    Err(invalid_value(format!("Invalid ARN {arn}")))
}

impl CloudWatch {
    async fn change_tags(&self, ctx: &RequestContext, input: &Document, change: impl Fn(&mut Vec<(String, String)>)) -> Res<Document> {
        let arn = input.get("ResourceARN").and_then(Value::as_str).unwrap_or_default();
        match parse_arn(ctx, arn)? {
            Resource::Alarm(name) => {
                let mut book = self.book.lock().await;
                book.ensure_loaded(&self.store)?;
                let key = (crate::alarms::scope_of(ctx), name.clone());
                let Some(mut record) = book.get(&key).cloned() else { return Err(resource_not_found("Alarm", &name)) };
                change(&mut record.tags);
                check(&record.tags)?;
                self.commit_alarms(vec![record.clone()], Vec::new(), Vec::new()).await?;
                book.insert(record, None);
            }
            Resource::Dashboard(name) => {
                let scope = dashboard_scope(&ctx.account_id);
                let Some(mut record) = self.store.get::<DashboardRecord>(&scope, &name)? else {
                    return Err(resource_not_found("Dashboard", &name));
                };
                change(&mut record.tags);
                check(&record.tags)?;
                self.store
                    .transaction_async(move |t| t.put(&scope, &name, &record))
                    .await?;
            }
        }
        Ok(json!({}))
    }

    pub(crate) async fn tag_resource(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let tags = parse_tags(input)?;
        self.change_tags(ctx, input, |existing| merge(existing, tags.clone())).await
    }

    pub(crate) async fn untag_resource(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let keys = nimbus_core::document::string_list_member(input, "TagKeys");
        self.change_tags(ctx, input, |existing| existing.retain(|(k, _)| !keys.contains(k))).await
    }

    pub(crate) async fn list_tags_for_resource(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let arn = input.get("ResourceARN").and_then(Value::as_str).unwrap_or_default();
        let tags = match parse_arn(ctx, arn)? {
            Resource::Alarm(name) => {
                let mut book = self.book.lock().await;
                book.ensure_loaded(&self.store)?;
                match book.get(&(crate::alarms::scope_of(ctx), name.clone())) {
                    Some(record) => record.tags.clone(),
                    None => return Err(resource_not_found("Alarm", &name)),
                }
            }
            Resource::Dashboard(name) => match self.store.get::<DashboardRecord>(&dashboard_scope(&ctx.account_id), &name)? {
                Some(record) => record.tags,
                None => return Err(resource_not_found("Dashboard", &name)),
            },
        };
        Ok(json!({"Tags": tags_document(&tags)}))
    }
}
