//! DescribeAlarms and DescribeAlarmsForMetric, answered from the book.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use nimbus_core::document::string_list_member;
use nimbus_core::{Document, RequestContext};
use nimbus_metrics_lang::alarm::{AlarmState, alarm_name_of};
use serde_json::{Value, json};

use crate::alarms::scope_of;
use crate::errors::{Res, invalid_combination, invalid_next_token, invalid_value};
use crate::metric::{self, MetricId};
use crate::records::AlarmRecord;
use crate::CloudWatch;

const DEFAULT_MAX_RECORDS: usize = 50;

impl CloudWatch {
    pub(crate) async fn describe_alarms(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let names = string_list_member(input, "AlarmNames");
        let prefix = input.get("AlarmNamePrefix").and_then(Value::as_str);
        if !names.is_empty() && prefix.is_some() {
            return Err(invalid_combination("The parameters AlarmNames and AlarmNamePrefix are mutually exclusive."));
        }
        let types = string_list_member(input, "AlarmTypes");
        for t in &types {
            if !matches!(t.as_str(), "MetricAlarm" | "CompositeAlarm" | "LogAlarm") {
                return Err(invalid_value(format!("The value {t} for parameter AlarmTypes is not valid.")));
            }
        }
        let children_of = input.get("ChildrenOfAlarmName").and_then(Value::as_str);
        let parents_of = input.get("ParentsOfAlarmName").and_then(Value::as_str);
        if (children_of.is_some() || parents_of.is_some()) && (!names.is_empty() || prefix.is_some() || input.get("StateValue").is_some() || input.get("ActionPrefix").is_some()) {
            return Err(invalid_combination(
                "If you specify ChildrenOfAlarmName or ParentsOfAlarmName, you cannot specify any other parameters in the request \
                 except for MaxRecords and NextToken.",
            ));
        }
        if children_of.is_some() && parents_of.is_some() {
            return Err(invalid_combination("The parameters ChildrenOfAlarmName and ParentsOfAlarmName are mutually exclusive."));
        }
        // Without AlarmTypes only metric alarms are returned, as AWS documents.
        let wants = |alarm: &AlarmRecord| {
            if types.is_empty() { !alarm.is_composite() } else { types.iter().any(|t| t == alarm.alarm_type()) }
        };
        let state = input.get("StateValue").and_then(Value::as_str);
        if let Some(s) = state
            && AlarmState::parse(s).is_none()
        {
            return Err(invalid_value(format!("The value {s} for parameter StateValue is not valid.")));
        }
        let action_prefix = input.get("ActionPrefix").and_then(Value::as_str);
        let max = match input.get("MaxRecords").and_then(Value::as_i64) {
            None => DEFAULT_MAX_RECORDS,
            Some(n @ 1..=100) => n as usize,
            Some(n) => return Err(invalid_value(format!("The value {n} for parameter MaxRecords is not valid."))),
        };
        let after = match input.get("NextToken").and_then(Value::as_str) {
            None => None,
            Some(token) => Some(
                B64.decode(token).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(invalid_next_token)?,
            ),
        };
        let mut book = self.book.lock().await;
        book.ensure_loaded(&self.store)?;
        let scope = scope_of(ctx);
        let selected: Vec<&AlarmRecord> = if let Some(parent) = children_of {
            let children = book
                .get(&(scope.clone(), parent.to_owned()))
                .and_then(AlarmRecord::composite_config)
                .map(|c| c.children.clone())
                .unwrap_or_default();
            book.in_scope(&scope).filter(|a| children.contains(&a.name)).collect()
        } else if let Some(child) = parents_of {
            let child = alarm_name_of(child);
            book.in_scope(&scope).filter(|a| a.composite_config().is_some_and(|c| c.children.iter().any(|n| n == child))).collect()
        } else {
            book.in_scope(&scope)
                .filter(|a| wants(a))
                .filter(|a| names.is_empty() || names.contains(&a.name))
                .filter(|a| prefix.is_none_or(|p| a.name.starts_with(p)))
                .filter(|a| state.is_none_or(|s| a.state == s))
                .filter(|a| action_prefix.is_none_or(|p| a.all_actions().any(|arn| arn.starts_with(p))))
                .collect()
        };
        let mut metric_alarms = Vec::new();
        let mut composite_alarms = Vec::new();
        let mut last = None;
        let mut more = false;
        for alarm in selected.into_iter().filter(|a| after.as_ref().is_none_or(|after| a.name > *after)) {
            if metric_alarms.len() + composite_alarms.len() == max {
                more = true;
                break;
            }
            if alarm.is_composite() {
                composite_alarms.push(alarm.document());
            } else {
                metric_alarms.push(alarm.document());
            }
            last = Some(alarm.name.clone());
        }
        let mut out = json!({"MetricAlarms": metric_alarms, "CompositeAlarms": composite_alarms});
        if more && let Some(last) = last {
            out["NextToken"] = json!(B64.encode(last));
        }
        Ok(out)
    }

    pub(crate) async fn describe_alarms_for_metric(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let text = |name: &str| input.get(name).and_then(Value::as_str).map(str::to_owned);
        let metric = MetricId {
            namespace: text("Namespace").unwrap_or_default(),
            name: text("MetricName").unwrap_or_default(),
            dimensions: metric::parse_dimensions(input.get("Dimensions"), "Dimensions")?,
        };
        let statistic = text("Statistic");
        let extended = text("ExtendedStatistic");
        let period = input.get("Period").and_then(Value::as_i64);
        let unit = text("Unit");
        let mut book = self.book.lock().await;
        book.ensure_loaded(&self.store)?;
        let scope = scope_of(ctx);
        let alarms: Vec<Value> = book
            .in_scope(&scope)
            .filter(|a| {
                let Some(c) = a.metric_config() else { return false };
                let watches = c.metric.as_ref() == Some(&metric)
                    || c.metrics.as_ref().and_then(Value::as_array).is_some_and(|queries| {
                        queries.iter().any(|q| {
                            let Some(m) = q.get("MetricStat").and_then(|s| s.get("Metric")) else { return false };
                            m.get("Namespace").and_then(Value::as_str) == Some(metric.namespace.as_str())
                                && m.get("MetricName").and_then(Value::as_str) == Some(metric.name.as_str())
                                && metric::parse_dimensions(m.get("Dimensions"), "Dimensions").ok().as_ref() == Some(&metric.dimensions)
                        })
                    });
                watches
                    && statistic.as_ref().is_none_or(|s| c.statistic.as_ref() == Some(s))
                    && extended.as_ref().is_none_or(|e| c.extended_statistic.as_ref() == Some(e))
                    && period.is_none_or(|p| c.period == Some(p))
                    && unit.as_ref().is_none_or(|u| c.unit.as_ref() == Some(u))
            })
            .map(AlarmRecord::document)
            .collect();
        Ok(json!({"MetricAlarms": alarms}))
    }
}
