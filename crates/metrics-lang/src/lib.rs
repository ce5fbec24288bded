//! CloudWatch Metrics' computations, pure: no I/O, no clock, no store. The service crate owns
//! requests, storage and scheduling, and calls in here for everything that is arithmetic or
//! language.
//!
//! - [`stats`]: what PutMetricData sent for a period ([`stats::SampleSet`]: single values,
//!   `Values` + `Counts`, `StatisticValues`), the statistics it answers (SampleCount, Sum,
//!   Average, Minimum, Maximum, and the extended `p99.9`, `tm99`, `TM(10%:90%)`, `wm`, `tc`,
//!   `ts`, `IQM`, `PR(10:50)` as [`stats::ExtendedStatistic`]), statistic-name parsing with
//!   AWS's refusals, and the period arithmetic of GetMetricStatistics (valid periods, StartTime
//!   rounding by age, retention, bucketing stored samples into requested periods, the 1,440
//!   datapoint limit) plus PutMetricData's numeric checks.
//! - [`math`]: metric math, the language of GetMetricData `Expression` and metric-math alarms:
//!   parser ([`math::Expr`]), request-level evaluation with id, reference and cycle checks
//!   ([`math::evaluate_queries`]), and the single series an alarm watches
//!   ([`math::evaluate_alarm_metrics`]).
//! - [`alarm`]: metric alarm evaluation as one pure function ([`alarm::evaluate_metric_alarm`]:
//!   M out of N, the four missing-data treatments, anomaly bands, low-sample percentiles) with
//!   AWS's StateReason text and StateReasonData JSON; composite alarm rules
//!   ([`alarm::CompositeRule`]: parse, children, evaluate with AWS's reason); the SNS message an
//!   alarm action publishes ([`alarm::AlarmNotification`]).
//! - [`format`]: CloudWatch's number and time formats (Java doubles, `dd/MM/yy HH:mm:ss`, ...).
//!
//! Errors are [`Error`]: an AWS error code ([`ErrorKind`]) and AWS's message.
//!
//! Known gaps:
//! - Percentiles are exact up to [`stats::EXACT_DISTINCT_VALUES`] distinct values a period,
//!   approximate beyond (neighbouring values merged); AWS's own approximation is undocumented.
//! - Metric math: `ANOMALY_DETECTION_BAND`, `SEARCH`, `INSIGHT_RULE_METRIC`, `SERVICE_QUOTA`,
//!   `LAMBDA` and Metrics Insights `SELECT` are recognised and refused as unsupported
//!   ([`math::ParseError::unsupported`]). Anomaly alarms are evaluated given bands the caller
//!   supplies; no model is trained here.
//! - Wording AWS does not publish (most metric math and AlarmRule syntax errors, some
//!   PutMetricData checks) is Nimbus's, written in AWS's style.
//! - How many periods an alarm evaluation retrieves is not documented; Nimbus uses
//!   `EvaluationPeriods + 2` ([`alarm::evaluation_range_periods`]), which the guide's examples
//!   match.

pub mod alarm;
mod error;
pub mod format;
pub mod math;
pub mod stats;

pub use error::{Error, ErrorKind, Result};
