//! Dashboards: PutDashboard (the body checked against the shape AWS requires), GetDashboard,
//! ListDashboards, DeleteDashboards. Dashboards are global to an account: records of kind
//! `cloudwatch.dashboard`, scope `<account>`, keyed by name.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::document::{string_list_member, timestamp};
use nimbus_core::{Document, RequestContext, ServiceError};
use nimbus_store::{Record, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::errors::{BODY_NOT_JSON, Fail, Res, dashboard_invalid, dashboard_not_found, invalid_next_token};
use crate::tags::{merge, parse_tags};
use crate::{CloudWatch, time_of_millis};

const PAGE: usize = 1000;
const WIDGET_TYPES: &[&str] = &["metric", "text", "log", "alarm", "explorer", "custom"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DashboardRecord {
    pub name: String,
    pub body: String,
    pub last_modified_ms: i64,
    pub tags: Vec<(String, String)>,
}

impl Record for DashboardRecord {
    const KIND: &'static str = "cloudwatch.dashboard";
    const VERSION: u32 = 1;
}

pub fn dashboard_scope(account: &str) -> String {
    account.to_owned()
}

pub fn dashboard_arn(account: &str, name: &str) -> String {
    format!("arn:aws:cloudwatch::{account}:dashboard/{name}")
}

fn check_name(name: &str) -> Res<()> {
    if name.is_empty() || name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(Fail(ServiceError::new(
            "DashboardInvalidInputError",
            "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and \
             underscore (_).",
        )));
    }
    Ok(())
}

/// The problems AWS reports for a dashboard body, each as (JSON path, message).
pub fn body_problems(body: &str) -> Vec<(String, String)> {
    let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(body) else {
        return vec![(String::new(), BODY_NOT_JSON.to_owned())];
    };
    let mut problems = Vec::new();
    let Some(widgets) = doc.get("widgets") else {
        problems.push((String::new(), "Should have required property 'widgets'".to_owned()));
        return problems;
    };
    let Some(widgets) = widgets.as_array() else {
        problems.push(("/widgets".to_owned(), "Should be array".to_owned()));
        return problems;
    };
    for (i, widget) in widgets.iter().enumerate() {
        let path = format!("/widgets/{i}");
        let Some(widget) = widget.as_object() else {
            problems.push((path, "Should be object".to_owned()));
            continue;
        };
        match widget.get("type") {
            None => problems.push((path.clone(), "Should have required property 'type'".to_owned())),
            Some(Value::String(t)) if WIDGET_TYPES.contains(&t.as_str()) => {}
            Some(_) => problems.push((format!("{path}/type"), "Should be equal to one of the allowed values".to_owned())),
        }
        for (member, low, high) in [("x", 0, 23), ("y", 0, i64::MAX), ("width", 1, 24), ("height", 1, 1000)] {
            let Some(value) = widget.get(member) else { continue };
            match value.as_i64() {
                None => problems.push((format!("{path}/{member}"), "Should be integer".to_owned())),
                Some(v) if v < low => problems.push((format!("{path}/{member}"), format!("Should be >= {low}"))),
                Some(v) if v > high => problems.push((format!("{path}/{member}"), format!("Should be <= {high}"))),
                Some(_) => {}
            }
        }
        match widget.get("properties") {
            None => problems.push((path.clone(), "Should have required property 'properties'".to_owned())),
            Some(Value::Object(_)) => {}
            Some(_) => problems.push((format!("{path}/properties"), "Should be object".to_owned())),
        }
    }
    problems
}

impl CloudWatch {
    pub(crate) async fn put_dashboard(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = input.get("DashboardName").and_then(Value::as_str).unwrap_or_default().to_owned();
        check_name(&name)?;
        let body = input.get("DashboardBody").and_then(Value::as_str).unwrap_or_default().to_owned();
        let problems = body_problems(&body);
        if !problems.is_empty() {
            return Err(dashboard_invalid(&problems));
        }
        let tags = parse_tags(input)?;
        let scope = dashboard_scope(&ctx.account_id);
        let now_ms = self.clock.now_millis();
        self.store
            .transaction_async(move |t| {
                let mut record = t
                    .get::<DashboardRecord>(&scope, &name)?
                    .unwrap_or(DashboardRecord { name: name.clone(), body: String::new(), last_modified_ms: now_ms, tags: Vec::new() });
                record.body = body;
                record.last_modified_ms = now_ms;
                merge(&mut record.tags, tags);
                t.put(&scope, &name, &record)?;
                Ok::<_, StoreError>(())
            })
            .await?;
        Ok(json!({"DashboardValidationMessages": []}))
    }

    pub(crate) fn get_dashboard(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = input.get("DashboardName").and_then(Value::as_str).unwrap_or_default();
        let Some(record) = self.store.get::<DashboardRecord>(&dashboard_scope(&ctx.account_id), name)? else {
            return Err(dashboard_not_found(format!("Dashboard {name} does not exist")));
        };
        Ok(json!({
            "DashboardArn": dashboard_arn(&ctx.account_id, &record.name),
            "DashboardBody": record.body,
            "DashboardName": record.name,
        }))
    }

    pub(crate) fn list_dashboards(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let prefix = input.get("DashboardNamePrefix").and_then(Value::as_str).unwrap_or_default();
        let after = match input.get("NextToken").and_then(Value::as_str) {
            None => None,
            Some(token) => Some(B64.decode(token).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(invalid_next_token)?),
        };
        let page = self.store.list::<DashboardRecord>(&dashboard_scope(&ctx.account_id), prefix, after.as_deref(), PAGE + 1)?;
        let more = page.len() > PAGE;
        let entries: Vec<Value> = page
            .iter()
            .take(PAGE)
            .map(|(_, d)| {
                json!({
                    "DashboardName": d.name,
                    "DashboardArn": dashboard_arn(&ctx.account_id, &d.name),
                    "LastModified": timestamp(time_of_millis(d.last_modified_ms)),
                    "Size": d.body.len(),
                })
            })
            .collect();
        let mut out = json!({"DashboardEntries": entries});
        if more && let Some((key, _)) = page.get(PAGE - 1) {
            out["NextToken"] = json!(B64.encode(key));
        }
        Ok(out)
    }

    pub(crate) async fn delete_dashboards(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let names = string_list_member(input, "DashboardNames");
        let scope = dashboard_scope(&ctx.account_id);
        // All or nothing: one missing dashboard fails the call and deletes none.
        let deleted = self
            .store
            .transaction_async(move |t| {
                for name in &names {
                    if t.get::<DashboardRecord>(&scope, name)?.is_none() {
                        return Ok(false);
                    }
                }
                for name in &names {
                    t.delete::<DashboardRecord>(&scope, name)?;
                }
                Ok::<_, StoreError>(true)
            })
            .await?;
        if !deleted {
            return Err(dashboard_not_found("The specified dashboard does not exist."));
        }
        Ok(json!({}))
    }
}
