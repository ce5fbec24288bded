//! Alarms: a metric alarm's evaluation ([`evaluate_metric_alarm`]) with AWS's state reason and
//! StateReasonData, composite alarm rules ([`CompositeRule`]), and the SNS message an alarm
//! action publishes ([`AlarmNotification`]).

mod composite;
mod evaluate;
mod notification;
mod reason;

pub use composite::{
    ChildState, CompositeEvaluation, CompositeRule, MAX_RULE_CHILDREN, MAX_RULE_ELEMENTS, MAX_RULE_LENGTH, RuleExpr,
    StateFunction, alarm_name_of,
};
pub use evaluate::{
    Band, EvaluationSlot, MetricAlarmSpec, StateChange, evaluate_metric_alarm, evaluation_range_periods,
    low_sample_count_minimum, validate_evaluation_settings,
};
pub use notification::{
    AlarmNotification, Dimension, NotificationMetricStat, NotificationQuery, Trigger, TriggerStatistic,
    notification_subject, region_long_name,
};

use crate::error::{Error, Result};

/// An alarm's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmState {
    pub fn name(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    pub fn parse(name: &str) -> Option<AlarmState> {
        [AlarmState::Ok, AlarmState::Alarm, AlarmState::InsufficientData].into_iter().find(|s| s.name() == name)
    }
}

/// How a value is compared with the threshold (or, for the last three, with an anomaly band).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonOperator {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
    LessThanLowerOrGreaterThanUpperThreshold,
    LessThanLowerThreshold,
    GreaterThanUpperThreshold,
}

impl ComparisonOperator {
    const ALL: [ComparisonOperator; 7] = [
        ComparisonOperator::GreaterThanOrEqualToThreshold,
        ComparisonOperator::GreaterThanThreshold,
        ComparisonOperator::LessThanThreshold,
        ComparisonOperator::LessThanOrEqualToThreshold,
        ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold,
        ComparisonOperator::LessThanLowerThreshold,
        ComparisonOperator::GreaterThanUpperThreshold,
    ];

    pub fn parse(name: &str) -> Option<ComparisonOperator> {
        ComparisonOperator::ALL.into_iter().find(|op| op.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            ComparisonOperator::GreaterThanThreshold => "GreaterThanThreshold",
            ComparisonOperator::LessThanThreshold => "LessThanThreshold",
            ComparisonOperator::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
            ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold => "LessThanLowerOrGreaterThanUpperThreshold",
            ComparisonOperator::LessThanLowerThreshold => "LessThanLowerThreshold",
            ComparisonOperator::GreaterThanUpperThreshold => "GreaterThanUpperThreshold",
        }
    }

    /// Whether the operator compares with an anomaly detection band instead of a threshold.
    pub fn uses_band(self) -> bool {
        matches!(
            self,
            ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold
                | ComparisonOperator::LessThanLowerThreshold
                | ComparisonOperator::GreaterThanUpperThreshold
        )
    }

    /// Whether `value` breaches a static `threshold`.
    pub fn breaches_threshold(self, value: f64, threshold: f64) -> bool {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => value >= threshold,
            ComparisonOperator::GreaterThanThreshold => value > threshold,
            ComparisonOperator::LessThanThreshold => value < threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => value <= threshold,
            _ => false,
        }
    }

    /// Whether `value` breaches an anomaly band.
    pub fn breaches_band(self, value: f64, band: Band) -> bool {
        match self {
            ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold => value < band.lower || value > band.upper,
            ComparisonOperator::LessThanLowerThreshold => value < band.lower,
            ComparisonOperator::GreaterThanUpperThreshold => value > band.upper,
            _ => false,
        }
    }
}

/// What missing periods count as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TreatMissingData {
    /// The default: missing periods are not considered.
    #[default]
    Missing,
    /// The alarm keeps its state when data is missing.
    Ignore,
    Breaching,
    NotBreaching,
}

impl TreatMissingData {
    pub fn parse(name: &str) -> Option<TreatMissingData> {
        match name {
            "missing" => Some(TreatMissingData::Missing),
            "ignore" => Some(TreatMissingData::Ignore),
            "breaching" => Some(TreatMissingData::Breaching),
            "notBreaching" => Some(TreatMissingData::NotBreaching),
            _ => None,
        }
    }

    /// As PutMetricAlarm checks it.
    pub fn parse_for_alarm(name: &str) -> Result<TreatMissingData> {
        TreatMissingData::parse(name).ok_or_else(|| {
            Error::validation(format!(
                "Option {name} is not supported. Supported options for parameter TreatMissingData are: missing, ignore, \
                 breaching and notBreaching."
            ))
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            TreatMissingData::Missing => "missing",
            TreatMissingData::Ignore => "ignore",
            TreatMissingData::Breaching => "breaching",
            TreatMissingData::NotBreaching => "notBreaching",
        }
    }

    /// The treatment actually applied: alarms on `AWS/DynamoDB` metrics always ignore missing
    /// data, whatever they were configured with.
    pub fn effective_for(self, namespace: Option<&str>) -> TreatMissingData {
        if namespace == Some("AWS/DynamoDB") { TreatMissingData::Ignore } else { self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for op in ComparisonOperator::ALL {
            assert_eq!(ComparisonOperator::parse(op.name()), Some(op));
        }
        assert_eq!(AlarmState::parse("INSUFFICIENT_DATA"), Some(AlarmState::InsufficientData));
        assert_eq!(TreatMissingData::parse("notBreaching"), Some(TreatMissingData::NotBreaching));
        assert_eq!(TreatMissingData::parse("NotBreaching"), None);
    }

    #[test]
    fn comparisons() {
        assert!(ComparisonOperator::GreaterThanOrEqualToThreshold.breaches_threshold(90.0, 90.0));
        assert!(!ComparisonOperator::GreaterThanThreshold.breaches_threshold(90.0, 90.0));
        assert!(ComparisonOperator::LessThanOrEqualToThreshold.breaches_threshold(90.0, 90.0));
        assert!(!ComparisonOperator::LessThanThreshold.breaches_threshold(90.0, 90.0));
        let band = Band { lower: 10.0, upper: 20.0 };
        assert!(ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold.breaches_band(21.0, band));
        assert!(ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold.breaches_band(9.0, band));
        assert!(!ComparisonOperator::GreaterThanUpperThreshold.breaches_band(9.0, band));
        assert!(ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold.uses_band());
    }

    #[test]
    fn dynamodb_alarms_ignore_missing_data() {
        assert_eq!(TreatMissingData::Breaching.effective_for(Some("AWS/DynamoDB")), TreatMissingData::Ignore);
        assert_eq!(TreatMissingData::Breaching.effective_for(Some("AWS/EC2")), TreatMissingData::Breaching);
        let error = TreatMissingData::parse_for_alarm("sometimes").unwrap_err();
        assert_eq!(error.code(), "ValidationError");
    }
}
