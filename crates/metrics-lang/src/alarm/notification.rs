//! The JSON message an alarm action publishes to SNS, key for key as AWS's alarms send it:
//!
//! ```json
//! {"AlarmName":"...","AlarmDescription":null,"AWSAccountId":"...","AlarmConfigurationUpdatedTimestamp":"...",
//!  "NewStateValue":"ALARM","NewStateReason":"...","StateChangeTime":"2021-07-14T23:20:50.708+0000",
//!  "Region":"US East (N. Virginia)","AlarmArn":"...","OldStateValue":"OK","OKActions":[],
//!  "AlarmActions":["arn:..."],"InsufficientDataActions":[],
//!  "Trigger":{"MetricName":"CPUUtilization","Namespace":"AWS/EC2","StatisticType":"Statistic",
//!   "Statistic":"AVERAGE","Unit":null,"Dimensions":[{"value":"i-1","name":"InstanceId"}],"Period":60,
//!   "EvaluationPeriods":1,"DatapointsToAlarm":1,"ComparisonOperator":"GreaterThanThreshold",
//!   "Threshold":580.0,"TreatMissingData":"notBreaching","EvaluateLowSampleCountPercentile":""}}
//! ```
//!
//! A metric-math alarm's Trigger carries `Period`, `EvaluationPeriods`, `DatapointsToAlarm`,
//! `ComparisonOperator`, `Threshold` or `ThresholdMetricId`, the two strings, then `Metrics`.
//! `DatapointsToAlarm` is left out when the alarm does not set it; `TreatMissingData` and
//! `EvaluateLowSampleCountPercentile` are empty strings when unset.

use super::AlarmState;
use crate::format::iso_millis;
use crate::stats::Statistic;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    pub name: String,
    pub value: String,
}

fn dimensions(dimensions: &[Dimension]) -> Value {
    Value::Array(dimensions.iter().map(|d| json!({ "value": d.value, "name": d.name })).collect())
}

/// A metric alarm's statistic as the Trigger names it.
#[derive(Debug, Clone, PartialEq)]
pub enum TriggerStatistic {
    /// `"StatisticType":"Statistic","Statistic":"AVERAGE"`.
    Statistic(Statistic),
    /// `"StatisticType":"ExtendedStatistic","ExtendedStatistic":"p99"`.
    Extended(String),
}

/// A `MetricStat` inside a metric-math alarm's `Metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationMetricStat {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<Dimension>,
    pub period: i64,
    pub stat: String,
    pub unit: Option<String>,
}

/// One entry of a metric-math alarm's `Metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationQuery {
    pub id: String,
    pub expression: Option<String>,
    pub label: Option<String>,
    pub metric_stat: Option<NotificationMetricStat>,
    pub return_data: bool,
    pub period: Option<i64>,
    pub account_id: Option<String>,
}

/// What the alarm watches.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Metric {
        metric_name: String,
        namespace: String,
        statistic: TriggerStatistic,
        unit: Option<String>,
        dimensions: Vec<Dimension>,
    },
    Metrics {
        queries: Vec<NotificationQuery>,
        threshold_metric_id: Option<String>,
    },
}

/// An alarm at the moment of a state change, as the notification describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmNotification {
    pub alarm_name: String,
    pub alarm_description: Option<String>,
    pub account_id: String,
    pub configuration_updated_millis: i64,
    pub new_state: AlarmState,
    pub new_state_reason: String,
    pub state_change_millis: i64,
    /// The region's code (`us-east-1`); the message carries its long name.
    pub region: String,
    pub alarm_arn: String,
    pub old_state: AlarmState,
    pub ok_actions: Vec<String>,
    pub alarm_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,
    pub trigger: Trigger,
    pub period: i64,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: Option<u32>,
    pub comparison_operator: String,
    pub threshold: Option<f64>,
    pub treat_missing_data: Option<String>,
    pub evaluate_low_sample_count_percentile: Option<String>,
}

impl AlarmNotification {
    /// The SNS message body.
    pub fn message(&self) -> String {
        let mut message = Map::new();
        message.insert("AlarmName".into(), json!(self.alarm_name));
        message.insert("AlarmDescription".into(), json!(self.alarm_description));
        message.insert("AWSAccountId".into(), json!(self.account_id));
        message
            .insert("AlarmConfigurationUpdatedTimestamp".into(), json!(iso_millis(self.configuration_updated_millis)));
        message.insert("NewStateValue".into(), json!(self.new_state.name()));
        message.insert("NewStateReason".into(), json!(self.new_state_reason));
        message.insert("StateChangeTime".into(), json!(iso_millis(self.state_change_millis)));
        message.insert("Region".into(), json!(region_long_name(&self.region)));
        message.insert("AlarmArn".into(), json!(self.alarm_arn));
        message.insert("OldStateValue".into(), json!(self.old_state.name()));
        message.insert("OKActions".into(), json!(self.ok_actions));
        message.insert("AlarmActions".into(), json!(self.alarm_actions));
        message.insert("InsufficientDataActions".into(), json!(self.insufficient_data_actions));
        message.insert("Trigger".into(), self.trigger());
        Value::Object(message).to_string()
    }

    /// The SNS subject: `ALARM: "name" in US East (N. Virginia)`. SNS limits subjects to 100
    /// characters; longer ones are cut to fit.
    pub fn subject(&self) -> String {
        notification_subject(self.new_state, &self.alarm_name, &self.region)
    }

    fn trigger(&self) -> Value {
        let mut trigger = Map::new();
        if let Trigger::Metric { metric_name, namespace, statistic, unit, dimensions: dims } = &self.trigger {
            trigger.insert("MetricName".into(), json!(metric_name));
            trigger.insert("Namespace".into(), json!(namespace));
            match statistic {
                TriggerStatistic::Statistic(s) => {
                    trigger.insert("StatisticType".into(), json!("Statistic"));
                    trigger.insert("Statistic".into(), json!(s.notification_name()));
                }
                TriggerStatistic::Extended(name) => {
                    trigger.insert("StatisticType".into(), json!("ExtendedStatistic"));
                    trigger.insert("ExtendedStatistic".into(), json!(name));
                }
            }
            trigger.insert("Unit".into(), json!(unit));
            trigger.insert("Dimensions".into(), dimensions(dims));
        }
        trigger.insert("Period".into(), json!(self.period));
        trigger.insert("EvaluationPeriods".into(), json!(self.evaluation_periods));
        if let Some(m) = self.datapoints_to_alarm {
            trigger.insert("DatapointsToAlarm".into(), json!(m));
        }
        trigger.insert("ComparisonOperator".into(), json!(self.comparison_operator));
        if let Trigger::Metrics { threshold_metric_id: Some(id), .. } = &self.trigger {
            trigger.insert("ThresholdMetricId".into(), json!(id));
        } else {
            trigger.insert("Threshold".into(), json!(self.threshold));
        }
        trigger.insert("TreatMissingData".into(), json!(self.treat_missing_data.clone().unwrap_or_default()));
        trigger.insert(
            "EvaluateLowSampleCountPercentile".into(),
            json!(self.evaluate_low_sample_count_percentile.clone().unwrap_or_default()),
        );
        if let Trigger::Metrics { queries, .. } = &self.trigger {
            trigger.insert("Metrics".into(), Value::Array(queries.iter().map(query).collect()));
        }
        Value::Object(trigger)
    }
}

fn query(q: &NotificationQuery) -> Value {
    let mut out = Map::new();
    if let Some(expression) = &q.expression {
        out.insert("Expression".into(), json!(expression));
    }
    out.insert("Id".into(), json!(q.id));
    if let Some(label) = &q.label {
        out.insert("Label".into(), json!(label));
    }
    if let Some(stat) = &q.metric_stat {
        let mut metric_stat = Map::new();
        metric_stat.insert(
            "Metric".into(),
            json!({ "Dimensions": dimensions(&stat.dimensions), "MetricName": stat.metric_name, "Namespace": stat.namespace }),
        );
        metric_stat.insert("Period".into(), json!(stat.period));
        metric_stat.insert("Stat".into(), json!(stat.stat));
        if let Some(unit) = &stat.unit {
            metric_stat.insert("Unit".into(), json!(unit));
        }
        out.insert("MetricStat".into(), Value::Object(metric_stat));
    }
    out.insert("ReturnData".into(), json!(q.return_data));
    if let Some(period) = q.period {
        out.insert("Period".into(), json!(period));
    }
    if let Some(account) = &q.account_id {
        out.insert("AccountId".into(), json!(account));
    }
    Value::Object(out)
}

/// `ALARM: "name" in US East (N. Virginia)`, cut to SNS's 100-character subject limit.
pub fn notification_subject(state: AlarmState, alarm_name: &str, region: &str) -> String {
    let subject = format!("{}: \"{alarm_name}\" in {}", state.name(), region_long_name(region));
    subject.chars().take(100).collect()
}

/// The region name alarm notifications use (`EU (Ireland)`: CloudWatch keeps the older
/// "EU" names). Regions not listed are named by their code.
pub fn region_long_name(region: &str) -> &str {
    match region {
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        "af-south-1" => "Africa (Cape Town)",
        "ap-east-1" => "Asia Pacific (Hong Kong)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        "ap-south-2" => "Asia Pacific (Hyderabad)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ap-southeast-3" => "Asia Pacific (Jakarta)",
        "ap-southeast-4" => "Asia Pacific (Melbourne)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-northeast-2" => "Asia Pacific (Seoul)",
        "ap-northeast-3" => "Asia Pacific (Osaka)",
        "ca-central-1" => "Canada (Central)",
        "ca-west-1" => "Canada West (Calgary)",
        "eu-central-1" => "EU (Frankfurt)",
        "eu-central-2" => "EU (Zurich)",
        "eu-west-1" => "EU (Ireland)",
        "eu-west-2" => "EU (London)",
        "eu-west-3" => "EU (Paris)",
        "eu-north-1" => "EU (Stockholm)",
        "eu-south-1" => "EU (Milan)",
        "eu-south-2" => "EU (Spain)",
        "il-central-1" => "Israel (Tel Aviv)",
        "me-south-1" => "Middle East (Bahrain)",
        "me-central-1" => "Middle East (UAE)",
        "sa-east-1" => "South America (Sao Paulo)",
        "us-gov-east-1" => "AWS GovCloud (US-East)",
        "us-gov-west-1" => "AWS GovCloud (US-West)",
        other => other,
    }
}
