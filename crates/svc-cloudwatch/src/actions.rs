//! Alarm actions: on a state change of an alarm whose actions are enabled, each action of the
//! new state runs. SNS topics get AWS's alarm message through the event bus; Auto Scaling,
//! EC2, Systems Manager and other actions have no target in Nimbus and are recorded in history
//! as not executed. Every action leaves an Action history item.

use nimbus_core::Delivery;
use nimbus_metrics_lang::alarm::{
    AlarmNotification, AlarmState, Dimension, NotificationMetricStat, NotificationQuery, Trigger, TriggerStatistic,
    notification_subject, region_long_name,
};
use nimbus_metrics_lang::format::iso_millis;
use nimbus_metrics_lang::stats::Statistic;
use nimbus_store::StoreError;
use serde_json::{Value, json};

use crate::alarms::alarm_period;
use crate::history::{self, Entry, HistoryItem};
use crate::records::{AlarmKind, AlarmRecord};
use crate::state::Transition;
use crate::CloudWatch;

fn dimensions(list: &[(String, String)]) -> Vec<Dimension> {
    list.iter().map(|(name, value)| Dimension { name: name.clone(), value: value.clone() }).collect()
}

fn state_of(name: &str) -> AlarmState {
    AlarmState::parse(name).unwrap_or(AlarmState::InsufficientData)
}

/// The SNS message body of a transition.
pub fn message(t: &Transition) -> String {
    match &t.after.kind {
        AlarmKind::Metric(_) => metric_notification(t).message(),
        AlarmKind::Composite(c) => composite_message(t, &c.rule),
    }
}

fn metric_notification(t: &Transition) -> AlarmNotification {
    let alarm = &t.after;
    let config = alarm.metric_config().expect("a metric alarm");
    let trigger = match &config.metric {
        Some(metric) => Trigger::Metric {
            metric_name: metric.name.clone(),
            namespace: metric.namespace.clone(),
            statistic: match (&config.statistic, &config.extended_statistic) {
                (Some(s), _) => TriggerStatistic::Statistic(Statistic::parse(s).unwrap_or(Statistic::Average)),
                (None, Some(e)) => TriggerStatistic::Extended(e.clone()),
                (None, None) => TriggerStatistic::Statistic(Statistic::Average),
            },
            unit: config.unit.clone(),
            dimensions: dimensions(&metric.dimensions),
        },
        None => Trigger::Metrics {
            queries: config.metrics.as_ref().and_then(Value::as_array).into_iter().flatten().map(notification_query).collect(),
            threshold_metric_id: config.threshold_metric_id.clone(),
        },
    };
    AlarmNotification {
        alarm_name: alarm.name.clone(),
        alarm_description: alarm.description.clone(),
        account_id: alarm.account.clone(),
        configuration_updated_millis: alarm.config_updated_ms,
        new_state: state_of(&alarm.state),
        new_state_reason: alarm.state_reason.clone(),
        state_change_millis: alarm.state_updated_ms,
        region: alarm.region.clone(),
        alarm_arn: alarm.arn(),
        old_state: state_of(&t.before.state),
        ok_actions: alarm.ok_actions.clone(),
        alarm_actions: alarm.alarm_actions.clone(),
        insufficient_data_actions: alarm.insufficient_data_actions.clone(),
        trigger,
        period: alarm_period(config),
        evaluation_periods: config.evaluation_periods,
        datapoints_to_alarm: config.datapoints_to_alarm,
        comparison_operator: config.comparison_operator.clone(),
        threshold: config.threshold,
        treat_missing_data: config.treat_missing_data.clone(),
        evaluate_low_sample_count_percentile: config.evaluate_low_sample_count_percentile.clone(),
    }
}

fn notification_query(q: &Value) -> NotificationQuery {
    let text = |doc: &Value, name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
    let metric_stat = q.get("MetricStat").map(|stat| {
        let metric = stat.get("Metric").cloned().unwrap_or(Value::Null);
        let dims: Vec<(String, String)> = metric
            .get("Dimensions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|d| (text(d, "Name").unwrap_or_default(), text(d, "Value").unwrap_or_default()))
            .collect();
        NotificationMetricStat {
            namespace: text(&metric, "Namespace").unwrap_or_default(),
            metric_name: text(&metric, "MetricName").unwrap_or_default(),
            dimensions: dimensions(&dims),
            period: stat.get("Period").and_then(Value::as_i64).unwrap_or(60),
            stat: text(stat, "Stat").unwrap_or_default(),
            unit: text(stat, "Unit"),
        }
    });
    NotificationQuery {
        id: text(q, "Id").unwrap_or_default(),
        expression: text(q, "Expression"),
        label: text(q, "Label"),
        metric_stat,
        return_data: q.get("ReturnData").and_then(Value::as_bool).unwrap_or(true),
        period: q.get("Period").and_then(Value::as_i64),
        account_id: text(q, "AccountId"),
    }
}

/// A composite alarm's message: the common members, its rule, and the children that
/// triggered the change (from the reason data).
fn composite_message(t: &Transition, rule: &str) -> String {
    let alarm = &t.after;
    let triggering: Vec<Value> = alarm
        .state_reason_data
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .and_then(|d| d.get("triggeringAlarms").cloned())
        .and_then(|a| a.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|a| {
            json!({
                "Arn": a.get("arn").cloned().unwrap_or(Value::Null),
                "State": {
                    "Value": a.get("state").and_then(|s| s.get("value")).cloned().unwrap_or(Value::Null),
                    "Timestamp": a.get("state").and_then(|s| s.get("timestamp")).cloned().unwrap_or(Value::Null),
                },
            })
        })
        .collect();
    json!({
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": alarm.account,
        "AlarmConfigurationUpdatedTimestamp": iso_millis(alarm.config_updated_ms),
        "NewStateValue": alarm.state,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": iso_millis(alarm.state_updated_ms),
        "Region": region_long_name(&alarm.region),
        "AlarmArn": alarm.arn(),
        "OldStateValue": t.before.state,
        "OKActions": alarm.ok_actions,
        "AlarmActions": alarm.alarm_actions,
        "InsufficientDataActions": alarm.insufficient_data_actions,
        "AlarmRule": rule,
        "TriggeringChildren": triggering,
    })
    .to_string()
}

fn action_entry(alarm: &AlarmRecord, now_ms: i64, summary: String, data: Value) -> Entry {
    Entry {
        account: alarm.account.clone(),
        region: alarm.region.clone(),
        item: HistoryItem {
            alarm_name: alarm.name.clone(),
            alarm_type: alarm.alarm_type().to_owned(),
            time_ms: now_ms,
            item_type: "Action".into(),
            summary,
            data: data.to_string(),
        },
    }
}

/// The service an action ARN targets (`sns`, `autoscaling`, `ec2`, `ssm`, ...).
fn action_service(arn: &str) -> &str {
    arn.split(':').nth(2).unwrap_or_default()
}

impl CloudWatch {
    /// Runs the actions of every transition and records them. Called after the transitions
    /// committed, without the book's lock.
    pub(crate) async fn run_actions(&self, transitions: &[Transition]) {
        let now_ms = self.clock.now_millis();
        let mut entries = Vec::new();
        for t in transitions {
            let alarm = &t.after;
            if !alarm.actions_enabled {
                continue;
            }
            if alarm.composite_config().is_some_and(|c| c.actions_suppressed_by != "None") {
                continue;
            }
            let arns = alarm.actions_for(&alarm.state);
            if arns.is_empty() {
                continue;
            }
            let body = message(t);
            for arn in arns {
                entries.push(self.run_action(t, arn, &body, now_ms).await);
            }
        }
        if entries.is_empty() {
            return;
        }
        let written = self
            .store
            .transaction_async(move |txn| {
                history::write(txn, &entries)?;
                Ok::<_, StoreError>(())
            })
            .await;
        if let Err(e) = written {
            tracing::error!("cloudwatch: recording alarm actions: {e}");
        }
    }

    async fn run_action(&self, t: &Transition, arn: &str, body: &str, now_ms: i64) -> Entry {
        let alarm = &t.after;
        let stamp = alarm.state_updated_ms;
        if action_service(arn) != "sns" {
            return action_entry(
                alarm,
                now_ms,
                format!("Failed to execute action {arn}"),
                json!({
                    "actionState": "Failed",
                    "stateUpdateTimestamp": stamp,
                    "error": format!("Nimbus does not run {} actions; the action was recorded, not executed.", action_service(arn)),
                }),
            );
        }
        let subject = notification_subject(state_of(&alarm.state), &alarm.name, &alarm.region);
        let delivery = Delivery::Topic { topic_arn: arn.to_owned(), message: body.to_owned(), subject: Some(subject) };
        let outcome = match &self.bus {
            Some(bus) => bus.deliver(&delivery).await.map_err(|e| e.to_string()),
            None => Err("no event bus is configured".to_owned()),
        };
        match outcome {
            Ok(()) => action_entry(
                alarm,
                now_ms,
                format!("Successfully executed action {arn}"),
                json!({
                    "actionState": "Succeeded",
                    "stateUpdateTimestamp": stamp,
                    "notificationResource": arn,
                    "publishedMessage": body,
                }),
            ),
            Err(error) => {
                tracing::warn!("cloudwatch: alarm {} could not publish to {arn}: {error}", alarm.name);
                action_entry(
                    alarm,
                    now_ms,
                    format!("Failed to execute action {arn}"),
                    json!({"actionState": "Failed", "stateUpdateTimestamp": stamp, "notificationResource": arn, "error": error}),
                )
            }
        }
    }
}
