//! What PutMetricData sent for one metric in one period: exact count, sum, minimum and maximum,
//! plus the raw values that percentiles and the other extended statistics need.
//!
//! Raw values are kept as a sorted list of distinct values with their weights (how many times
//! each occurred: `Values` + `Counts` arrive that way already). Up to [`EXACT_DISTINCT_VALUES`]
//! distinct values a period is exact; past that the list is compacted by merging neighbours
//! (weighted mean of the two values, summed weight), halving it, so memory stays bounded at
//! ~32 KiB a period. AWS documents that it approximates percentiles for large sample counts but
//! not how; merging neighbours keeps every percentile within the span of the two values merged,
//! and count, sum, minimum and maximum stay exact regardless.

use serde::{Deserialize, Serialize};

/// Distinct raw values kept exactly in one period before compaction starts.
pub const EXACT_DISTINCT_VALUES: usize = 2048;

/// A PutMetricData `StatisticValues` structure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StatisticSet {
    pub sample_count: f64,
    pub sum: f64,
    pub minimum: f64,
    pub maximum: f64,
}

impl StatisticSet {
    /// Whether the set stands for raw values after all, so percentiles stay available: the
    /// documented cases are `SampleCount` 1 with Min = Max = Sum, and Min = Max with
    /// Sum = Min × SampleCount. Either way every sample equals Min.
    pub fn is_equivalent_to_raw(&self) -> bool {
        let all_equal = self.minimum == self.maximum;
        let sum_matches = (self.sum - self.minimum * self.sample_count).abs() <= 1e-9 * self.sum.abs().max(1.0);
        all_equal && sum_matches
    }
}

/// One metric's samples in one period (or any span the caller aggregates over).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSet {
    count: f64,
    sum: f64,
    minimum: f64,
    maximum: f64,
    /// Distinct values ascending, each with its weight; together they account for `count`
    /// unless `raw_complete` is false.
    values: Vec<(f64, f64)>,
    /// False once a statistic set that cannot be expanded into values was added: from then on
    /// the raw values describe only part of the period and extended statistics are unavailable.
    raw_complete: bool,
    /// True once compaction merged values, so extended statistics are approximations.
    approximated: bool,
}

impl Default for SampleSet {
    fn default() -> SampleSet {
        SampleSet::new()
    }
}

impl SampleSet {
    pub fn new() -> SampleSet {
        SampleSet {
            count: 0.0,
            sum: 0.0,
            // Meaningless while the set is empty; finite so the set serializes as JSON.
            minimum: 0.0,
            maximum: 0.0,
            values: Vec::new(),
            raw_complete: true,
            approximated: false,
        }
    }

    /// A single `Value`.
    pub fn add_value(&mut self, value: f64) {
        self.add_weighted(value, 1.0);
    }

    /// `Values` with their `Counts` (each count 1 when `counts` is `None`). The caller has
    /// checked the two arrays have the same length ([`crate::stats::validate_values_and_counts`]);
    /// extra values without a count are counted once. Zero counts add nothing.
    pub fn add_values(&mut self, values: &[f64], counts: Option<&[f64]>) {
        for (i, &value) in values.iter().enumerate() {
            let weight = counts.and_then(|c| c.get(i).copied()).unwrap_or(1.0);
            self.add_weighted(value, weight);
        }
    }

    /// A `StatisticValues` set. Kept as raw values when it is equivalent to them (see
    /// [`StatisticSet::is_equivalent_to_raw`]); otherwise only the summary moves and the period
    /// stops answering extended statistics, as on AWS.
    pub fn add_statistic_set(&mut self, set: StatisticSet) {
        if set.sample_count <= 0.0 {
            return;
        }
        if set.is_equivalent_to_raw() {
            self.add_weighted(set.minimum, set.sample_count);
            return;
        }
        self.widen(set.minimum, set.maximum);
        self.count += set.sample_count;
        self.sum += set.sum;
        self.raw_complete = false;
    }

    /// Adds everything `other` holds: combining stored periods into a longer requested one.
    pub fn merge(&mut self, other: &SampleSet) {
        if other.is_empty() {
            return;
        }
        self.widen(other.minimum, other.maximum);
        self.count += other.count;
        self.sum += other.sum;
        self.raw_complete &= other.raw_complete;
        self.approximated |= other.approximated;
        if !self.raw_complete {
            // The values can no longer answer anything; stop carrying them.
            self.values = Vec::new();
            return;
        }
        for &(value, weight) in &other.values {
            self.insert(value, weight);
        }
        self.compact_if_needed();
    }

    fn add_weighted(&mut self, value: f64, weight: f64) {
        if weight <= 0.0 || !weight.is_finite() || !value.is_finite() {
            return;
        }
        self.widen(value, value);
        self.count += weight;
        self.sum += value * weight;
        if self.raw_complete {
            self.insert(value, weight);
            self.compact_if_needed();
        }
    }

    /// Extends minimum and maximum to cover `[low, high]`; call before counting the samples.
    fn widen(&mut self, low: f64, high: f64) {
        if self.is_empty() {
            (self.minimum, self.maximum) = (low, high);
        } else {
            self.minimum = self.minimum.min(low);
            self.maximum = self.maximum.max(high);
        }
    }

    fn insert(&mut self, value: f64, weight: f64) {
        match self.values.binary_search_by(|(v, _)| v.total_cmp(&value)) {
            Ok(at) => self.values[at].1 += weight,
            Err(at) => self.values.insert(at, (value, weight)),
        }
    }

    fn compact_if_needed(&mut self) {
        if self.values.len() <= EXACT_DISTINCT_VALUES {
            return;
        }
        let merged = self
            .values
            .chunks(2)
            .map(|pair| match pair {
                [(a, wa), (b, wb)] => ((a * wa + b * wb) / (wa + wb), wa + wb),
                [single] => *single,
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
        self.values = merged;
        self.approximated = true;
    }

    pub fn is_empty(&self) -> bool {
        self.count <= 0.0
    }

    pub fn sample_count(&self) -> f64 {
        self.count
    }

    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// `None` for an empty set.
    pub fn average(&self) -> Option<f64> {
        (!self.is_empty()).then(|| self.sum / self.count)
    }

    pub fn minimum(&self) -> Option<f64> {
        (!self.is_empty()).then_some(self.minimum)
    }

    pub fn maximum(&self) -> Option<f64> {
        (!self.is_empty()).then_some(self.maximum)
    }

    /// Whether extended statistics can be answered: every sample's value is known, and (as AWS
    /// documents) none is negative.
    pub fn supports_extended(&self) -> bool {
        !self.is_empty() && self.raw_complete && self.minimum >= 0.0
    }

    /// Whether compaction has made extended statistics approximate.
    pub fn is_approximate(&self) -> bool {
        self.approximated
    }

    /// The distinct values ascending with their weights (empty once raw values are incomplete).
    pub fn weighted_values(&self) -> &[(f64, f64)] {
        if self.raw_complete { &self.values } else { &[] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_is_exact_across_all_inputs() {
        let mut set = SampleSet::new();
        set.add_value(10.0);
        set.add_values(&[1.0, 2.0], Some(&[3.0, 1.0]));
        set.add_statistic_set(StatisticSet { sample_count: 2.0, sum: 30.0, minimum: 5.0, maximum: 25.0 });
        assert_eq!(set.sample_count(), 7.0);
        assert_eq!(set.sum(), 10.0 + 3.0 + 2.0 + 30.0);
        assert_eq!(set.minimum(), Some(1.0));
        assert_eq!(set.maximum(), Some(25.0));
        assert!(!set.supports_extended(), "a real statistic set hides the values");
    }

    #[test]
    fn equivalent_statistic_sets_keep_percentiles() {
        let mut set = SampleSet::new();
        set.add_statistic_set(StatisticSet { sample_count: 1.0, sum: 4.0, minimum: 4.0, maximum: 4.0 });
        set.add_statistic_set(StatisticSet { sample_count: 3.0, sum: 6.0, minimum: 2.0, maximum: 2.0 });
        assert!(set.supports_extended());
        assert_eq!(set.weighted_values(), &[(2.0, 3.0), (4.0, 1.0)]);
    }

    #[test]
    fn negative_values_disable_extended_statistics() {
        let mut set = SampleSet::new();
        set.add_values(&[-1.0, 5.0], None);
        assert!(!set.supports_extended());
        assert_eq!(set.average(), Some(2.0));
    }

    #[test]
    fn compaction_bounds_memory_and_keeps_the_summary() {
        let mut set = SampleSet::new();
        for i in 0..10_000 {
            set.add_value(f64::from(i));
        }
        assert!(set.weighted_values().len() <= EXACT_DISTINCT_VALUES);
        assert!(set.is_approximate());
        assert_eq!(set.sample_count(), 10_000.0);
        assert_eq!(set.minimum(), Some(0.0));
        assert_eq!(set.maximum(), Some(9999.0));
        let weight: f64 = set.weighted_values().iter().map(|(_, w)| w).sum();
        assert_eq!(weight, 10_000.0);
    }

    #[test]
    fn survives_a_json_round_trip() {
        let empty = SampleSet::new();
        let text = serde_json::to_string(&empty).unwrap();
        assert_eq!(serde_json::from_str::<SampleSet>(&text).unwrap(), empty);
        let mut set = SampleSet::new();
        set.add_values(&[-3.0, 8.0], Some(&[2.0, 1.0]));
        let text = serde_json::to_string(&set).unwrap();
        assert_eq!(serde_json::from_str::<SampleSet>(&text).unwrap(), set);
        assert_eq!(set.minimum(), Some(-3.0));
    }

    #[test]
    fn merge_combines_periods() {
        let mut a = SampleSet::new();
        a.add_values(&[1.0, 2.0], None);
        let mut b = SampleSet::new();
        b.add_values(&[2.0, 3.0], None);
        a.merge(&b);
        assert_eq!(a.weighted_values(), &[(1.0, 1.0), (2.0, 2.0), (3.0, 1.0)]);
        let mut c = SampleSet::new();
        c.add_statistic_set(StatisticSet { sample_count: 2.0, sum: 3.0, minimum: 1.0, maximum: 2.0 });
        a.merge(&c);
        assert!(!a.supports_extended());
        assert_eq!(a.sample_count(), 6.0);
    }
}
