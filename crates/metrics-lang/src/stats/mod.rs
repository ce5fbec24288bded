//! Datapoint aggregation: what PutMetricData stored for a period ([`SampleSet`]), the
//! statistics it answers ([`Statistic`], [`ExtendedStatistic`]), and the period arithmetic of
//! GetMetricStatistics and GetMetricData.

mod compute;
mod period;
mod samples;
mod statistic;

pub use period::{
    MAX_ALARM_EVALUATION_SECONDS, MAX_DATAPOINTS_PER_CALL, MAX_VALUE_MAGNITUDE, aggregate, datapoints_requested,
    period_available, period_start, round_start_time, storage_timestamp, validate_alarm_period,
    validate_datapoint_limit, validate_datum_values, validate_query_period, validate_time_range,
    validate_values_and_counts,
};
pub use samples::{EXACT_DISTINCT_VALUES, SampleSet, StatisticSet};
pub use statistic::{ExtendedKind, ExtendedStatistic, Range, Stat, Statistic, TrimmedAggregate};
