//! The persisted alarm: configuration and state of a metric or composite alarm, and the
//! documents built from it (DescribeAlarms' MetricAlarm/CompositeAlarm, the alarm JSON of
//! ConfigurationUpdate history).
//!
//! Alarms are records of kind `cloudwatch.alarm` in scope "" keyed `<account>/<region>/<name>`
//! (account and region hold no `/`), so every alarm loads in one scan at start.

use nimbus_core::document::timestamp;
use nimbus_metrics_lang::format::iso_millis;
use nimbus_store::Record;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::metric::{MetricId, dimensions_document};
use crate::time_of_millis;

pub const ALARM_SCOPE: &str = "";

/// An alarm's identity in memory: (`<account>/<region>`, name).
pub type AlarmKey = (String, String);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmRecord {
    pub account: String,
    pub region: String,
    pub name: String,
    pub description: Option<String>,
    pub actions_enabled: bool,
    pub ok_actions: Vec<String>,
    pub alarm_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,
    pub config_updated_ms: i64,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    pub state_reason: String,
    pub state_reason_data: Option<String>,
    pub state_updated_ms: i64,
    pub state_transitioned_ms: i64,
    pub tags: Vec<(String, String)>,
    pub kind: AlarmKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AlarmKind {
    Metric(Box<MetricAlarmConfig>),
    Composite(CompositeConfig),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricAlarmConfig {
    /// The watched metric of a single-metric alarm (`None` for metric-math alarms).
    pub metric: Option<MetricId>,
    pub statistic: Option<String>,
    pub extended_statistic: Option<String>,
    pub period: Option<i64>,
    pub unit: Option<String>,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: Option<u32>,
    pub threshold: Option<f64>,
    pub comparison_operator: String,
    pub treat_missing_data: Option<String>,
    pub evaluate_low_sample_count_percentile: Option<String>,
    /// The `Metrics` array of a metric-math alarm, as given.
    pub metrics: Option<Value>,
    pub threshold_metric_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositeConfig {
    pub rule: String,
    /// The names of the alarms the rule refers to.
    pub children: Vec<String>,
    pub actions_suppressor: Option<String>,
    pub actions_suppressor_wait_period: Option<i64>,
    pub actions_suppressor_extension_period: Option<i64>,
    /// `None`, `WaitPeriod`, `ExtensionPeriod` or `Alarm`.
    pub actions_suppressed_by: String,
    pub actions_suppressed_reason: Option<String>,
}

impl Record for AlarmRecord {
    const KIND: &'static str = "cloudwatch.alarm";
    const VERSION: u32 = 1;
}

impl AlarmRecord {
    pub fn store_key(&self) -> String {
        format!("{}/{}/{}", self.account, self.region, self.name)
    }

    pub fn key(&self) -> AlarmKey {
        (format!("{}/{}", self.account, self.region), self.name.clone())
    }

    pub fn arn(&self) -> String {
        alarm_arn(&self.account, &self.region, &self.name)
    }

    pub fn is_composite(&self) -> bool {
        matches!(self.kind, AlarmKind::Composite(_))
    }

    pub fn alarm_type(&self) -> &'static str {
        if self.is_composite() { "CompositeAlarm" } else { "MetricAlarm" }
    }

    pub fn metric_config(&self) -> Option<&MetricAlarmConfig> {
        match &self.kind {
            AlarmKind::Metric(c) => Some(c),
            AlarmKind::Composite(_) => None,
        }
    }

    pub fn composite_config(&self) -> Option<&CompositeConfig> {
        match &self.kind {
            AlarmKind::Composite(c) => Some(c),
            AlarmKind::Metric(_) => None,
        }
    }

    /// The actions for a state.
    pub fn actions_for(&self, state: &str) -> &[String] {
        match state {
            "ALARM" => &self.alarm_actions,
            "OK" => &self.ok_actions,
            _ => &self.insufficient_data_actions,
        }
    }

    pub fn all_actions(&self) -> impl Iterator<Item = &String> {
        self.ok_actions.iter().chain(&self.alarm_actions).chain(&self.insufficient_data_actions)
    }

    /// DescribeAlarms' MetricAlarm or CompositeAlarm.
    pub fn document(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("AlarmName".into(), json!(self.name));
        doc.insert("AlarmArn".into(), json!(self.arn()));
        if let Some(description) = &self.description {
            doc.insert("AlarmDescription".into(), json!(description));
        }
        doc.insert("AlarmConfigurationUpdatedTimestamp".into(), timestamp(time_of_millis(self.config_updated_ms)));
        doc.insert("ActionsEnabled".into(), json!(self.actions_enabled));
        doc.insert("OKActions".into(), json!(self.ok_actions));
        doc.insert("AlarmActions".into(), json!(self.alarm_actions));
        doc.insert("InsufficientDataActions".into(), json!(self.insufficient_data_actions));
        doc.insert("StateValue".into(), json!(self.state));
        doc.insert("StateReason".into(), json!(self.state_reason));
        if let Some(data) = &self.state_reason_data {
            doc.insert("StateReasonData".into(), json!(data));
        }
        doc.insert("StateUpdatedTimestamp".into(), timestamp(time_of_millis(self.state_updated_ms)));
        doc.insert("StateTransitionedTimestamp".into(), timestamp(time_of_millis(self.state_transitioned_ms)));
        match &self.kind {
            AlarmKind::Metric(c) => {
                if let Some(metric) = &c.metric {
                    doc.insert("MetricName".into(), json!(metric.name));
                    doc.insert("Namespace".into(), json!(metric.namespace));
                    doc.insert("Dimensions".into(), dimensions_document(&metric.dimensions));
                } else {
                    doc.insert("Dimensions".into(), json!([]));
                }
                if let Some(s) = &c.statistic {
                    doc.insert("Statistic".into(), json!(s));
                }
                if let Some(s) = &c.extended_statistic {
                    doc.insert("ExtendedStatistic".into(), json!(s));
                }
                if let Some(p) = c.period {
                    doc.insert("Period".into(), json!(p));
                }
                if let Some(u) = &c.unit {
                    doc.insert("Unit".into(), json!(u));
                }
                doc.insert("EvaluationPeriods".into(), json!(c.evaluation_periods));
                if let Some(m) = c.datapoints_to_alarm {
                    doc.insert("DatapointsToAlarm".into(), json!(m));
                }
                if let Some(t) = c.threshold {
                    doc.insert("Threshold".into(), json!(t));
                }
                doc.insert("ComparisonOperator".into(), json!(c.comparison_operator));
                if let Some(t) = &c.treat_missing_data {
                    doc.insert("TreatMissingData".into(), json!(t));
                }
                if let Some(e) = &c.evaluate_low_sample_count_percentile {
                    doc.insert("EvaluateLowSampleCountPercentile".into(), json!(e));
                }
                if let Some(metrics) = &c.metrics {
                    doc.insert("Metrics".into(), metrics.clone());
                }
                if let Some(id) = &c.threshold_metric_id {
                    doc.insert("ThresholdMetricId".into(), json!(id));
                }
            }
            AlarmKind::Composite(c) => {
                doc.insert("AlarmRule".into(), json!(c.rule));
                doc.insert("ActionsSuppressedBy".into(), json!(c.actions_suppressed_by));
                if let Some(reason) = &c.actions_suppressed_reason {
                    doc.insert("ActionsSuppressedReason".into(), json!(reason));
                }
                if let Some(s) = &c.actions_suppressor {
                    doc.insert("ActionsSuppressor".into(), json!(s));
                }
                if let Some(p) = c.actions_suppressor_wait_period {
                    doc.insert("ActionsSuppressorWaitPeriod".into(), json!(p));
                }
                if let Some(p) = c.actions_suppressor_extension_period {
                    doc.insert("ActionsSuppressorExtensionPeriod".into(), json!(p));
                }
            }
        }
        Value::Object(doc)
    }

    /// The alarm inside ConfigurationUpdate history data: DescribeAlarms' members with their
    /// first letter lowered (`oKActions`, as AWS writes it) and times as `...+0000` text.
    pub fn history_document(&self) -> Value {
        let Value::Object(described) = self.document() else { return Value::Null };
        let mut out = Map::new();
        for (key, value) in described {
            let value = match key.as_str() {
                "AlarmConfigurationUpdatedTimestamp" => json!(iso_millis(self.config_updated_ms)),
                "StateUpdatedTimestamp" => json!(iso_millis(self.state_updated_ms)),
                "StateTransitionedTimestamp" => json!(iso_millis(self.state_transitioned_ms)),
                "Dimensions" => lower_keys(&value),
                "Metrics" => lower_keys(&value),
                _ => value,
            };
            out.insert(lower_first(&key), value);
        }
        Value::Object(out)
    }
}

fn lower_first(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn lower_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (lower_first(k), lower_keys(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(lower_keys).collect()),
        other => other.clone(),
    }
}

pub fn alarm_arn(account: &str, region: &str, name: &str) -> String {
    format!("arn:aws:cloudwatch:{region}:{account}:alarm:{name}")
}
