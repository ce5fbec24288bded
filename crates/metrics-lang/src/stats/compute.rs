//! The statistics a [`SampleSet`] answers.
//!
//! Percentiles follow the definition AWS gives ("p99 is the maximum value of the remaining 99%
//! after ignoring the 1% highest"): the nearest-rank value, the smallest value with at least
//! p% of the samples at or below it. Percentage ranges of trimmed statistics use the same ranks,
//! so `tm99` and `p99` ignore exactly the same samples: the range keeps the samples ranked above
//! ⌊lower% × n⌋ and up to ⌈upper% × n⌉. Value ranges keep values above the lower bound
//! (exclusive) up to the upper bound (inclusive), as documented.

use super::samples::SampleSet;
use super::statistic::{ExtendedKind, ExtendedStatistic, Range, Statistic, TrimmedAggregate};

impl SampleSet {
    /// A basic statistic; `None` for an empty set.
    pub fn statistic(&self, statistic: Statistic) -> Option<f64> {
        if self.is_empty() {
            return None;
        }
        match statistic {
            Statistic::SampleCount => Some(self.sample_count()),
            Statistic::Sum => Some(self.sum()),
            Statistic::Average => self.average(),
            Statistic::Minimum => self.minimum(),
            Statistic::Maximum => self.maximum(),
        }
    }

    /// An extended statistic, or `None` where AWS returns none: the period holds statistic sets
    /// that are not raw values, a negative value, or the range keeps no samples (a trimmed mean
    /// of nothing). A trimmed count or sum of nothing is 0.
    pub fn extended(&self, statistic: &ExtendedStatistic) -> Option<f64> {
        if !self.supports_extended() {
            return None;
        }
        let values = self.weighted_values();
        let total = self.sample_count();
        match statistic.kind() {
            ExtendedKind::Percentile(p) => Some(percentile(values, total, p)),
            ExtendedKind::PercentileRank { lower, upper } => {
                let inside: f64 = values.iter().filter(|(v, _)| in_value_range(*v, lower, upper)).map(|(_, w)| w).sum();
                Some(100.0 * inside / total)
            }
            ExtendedKind::Trimmed { aggregate, range } => trimmed(values, total, aggregate, range),
        }
    }
}

/// Snaps `x` to the nearest integer when it is within rounding error of it, so 0.9 × 10 is 9
/// and not 9.000000000000002 (whose ceiling would be 10).
fn snap(x: f64) -> f64 {
    let nearest = x.round();
    if (x - nearest).abs() <= 1e-9 * x.abs().max(1.0) { nearest } else { x }
}

fn percentile(values: &[(f64, f64)], total: f64, p: f64) -> f64 {
    let target = snap(p / 100.0 * total);
    let mut cumulative = 0.0;
    for &(value, weight) in values {
        cumulative += weight;
        if cumulative >= target && cumulative > 0.0 {
            return value;
        }
    }
    values.last().map_or(f64::NAN, |(v, _)| *v)
}

fn in_value_range(value: f64, lower: Option<f64>, upper: Option<f64>) -> bool {
    lower.is_none_or(|l| value > l) && upper.is_none_or(|u| value <= u)
}

fn trimmed(values: &[(f64, f64)], total: f64, aggregate: TrimmedAggregate, range: Range) -> Option<f64> {
    let (count, sum, winsorized) = match range {
        Range::Percent { lower, upper } => by_rank(values, total, lower, upper),
        Range::Value { lower, upper } => by_value(values, total, lower, upper),
    };
    match aggregate {
        TrimmedAggregate::Count => Some(count),
        TrimmedAggregate::Sum => Some(sum),
        TrimmedAggregate::Mean => (count > 0.0).then(|| sum / count),
        TrimmedAggregate::WinsorizedMean => winsorized,
    }
}

/// (count, sum, winsorized mean) of the samples ranked in (⌊lower% n⌋, ⌈upper% n⌉].
fn by_rank(values: &[(f64, f64)], total: f64, lower: Option<f64>, upper: Option<f64>) -> (f64, f64, Option<f64>) {
    let low = lower.map_or(0.0, |l| snap(l / 100.0 * total).floor());
    let high = upper.map_or(total, |u| snap(u / 100.0 * total).ceil()).min(total);
    if high <= low {
        return (0.0, 0.0, None);
    }
    let (mut count, mut sum) = (0.0, 0.0);
    let (mut low_edge, mut high_edge) = (None, None);
    let mut start = 0.0;
    for &(value, weight) in values {
        let end = start + weight;
        let overlap = end.min(high) - start.max(low);
        if overlap > 0.0 {
            count += overlap;
            sum += value * overlap;
            low_edge.get_or_insert(value);
            high_edge = Some(value);
        }
        start = end;
    }
    // Winsorizing: the samples below the range count as its lowest kept value, those above as
    // its highest.
    let winsorized = match (low_edge, high_edge) {
        (Some(lo), Some(hi)) => Some((sum + low * lo + (total - high) * hi) / total),
        _ => None,
    };
    (count, sum, winsorized)
}

/// (count, sum, winsorized mean) of the values in (lower, upper]; winsorizing clamps the others
/// to the bound they cross.
fn by_value(values: &[(f64, f64)], total: f64, lower: Option<f64>, upper: Option<f64>) -> (f64, f64, Option<f64>) {
    let (mut count, mut sum, mut clamped_sum) = (0.0, 0.0, 0.0);
    for &(value, weight) in values {
        if in_value_range(value, lower, upper) {
            count += weight;
            sum += value * weight;
        }
        let clamped = upper.map_or(value, |u| value.min(u));
        let clamped = lower.map_or(clamped, |l| clamped.max(l));
        clamped_sum += clamped * weight;
    }
    (count, sum, Some(clamped_sum / total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_to(n: u32) -> SampleSet {
        let mut set = SampleSet::new();
        for i in 1..=n {
            set.add_value(f64::from(i));
        }
        set
    }

    fn ext(set: &SampleSet, name: &str) -> Option<f64> {
        set.extended(&ExtendedStatistic::parse(name).unwrap())
    }

    #[test]
    fn basic_statistics() {
        let set = one_to(4);
        assert_eq!(set.statistic(Statistic::SampleCount), Some(4.0));
        assert_eq!(set.statistic(Statistic::Sum), Some(10.0));
        assert_eq!(set.statistic(Statistic::Average), Some(2.5));
        assert_eq!(set.statistic(Statistic::Minimum), Some(1.0));
        assert_eq!(set.statistic(Statistic::Maximum), Some(4.0));
        assert_eq!(SampleSet::new().statistic(Statistic::Sum), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let set = one_to(100);
        assert_eq!(ext(&set, "p90"), Some(90.0));
        assert_eq!(ext(&set, "p99"), Some(99.0));
        assert_eq!(ext(&set, "p99.5"), Some(100.0));
        assert_eq!(ext(&set, "p50"), Some(50.0));
        assert_eq!(ext(&set, "p0"), Some(1.0));
        assert_eq!(ext(&set, "p100"), Some(100.0));
        let ten = one_to(10);
        assert_eq!(ext(&ten, "p90"), Some(9.0), "0.9 × 10 must not round up to the 10th value");
    }

    #[test]
    fn trimmed_statistics_by_percentage() {
        let set = one_to(10);
        // tm90: drop the highest 10% (one value) → mean of 1..=9.
        assert_eq!(ext(&set, "tm90"), Some(5.0));
        assert_eq!(ext(&set, "tc90"), Some(9.0));
        assert_eq!(ext(&set, "ts90"), Some(45.0));
        // TM(10%:90%): drop 1 and 10.
        assert_eq!(ext(&set, "TM(10%:90%)"), Some(5.5));
        // WM(10%:90%): 1 counts as 2 and 10 as 9.
        assert_eq!(ext(&set, "WM(10%:90%)"), Some((2.0 + 44.0 + 9.0) / 10.0));
        // IQM of 1..=8 keeps 3..=6.
        assert_eq!(ext(&one_to(8), "IQM"), Some(4.5));
        assert_eq!(ext(&set, "TS(80%:)"), Some(19.0));
    }

    #[test]
    fn trimmed_statistics_by_value() {
        let set = one_to(10);
        // (3, 6]: 4, 5, 6.
        assert_eq!(ext(&set, "TC(3:6)"), Some(3.0));
        assert_eq!(ext(&set, "TS(3:6)"), Some(15.0));
        assert_eq!(ext(&set, "TM(3:6)"), Some(5.0));
        assert_eq!(ext(&set, "TM(20:30)"), None, "a mean of nothing is no value");
        assert_eq!(ext(&set, "TC(20:30)"), Some(0.0));
        // Clamped to [3, 6]: 3,3,3,4,5,6,6,6,6,6.
        assert_eq!(ext(&set, "WM(3:6)"), Some(48.0 / 10.0));
    }

    #[test]
    fn percentile_rank() {
        let set = one_to(10);
        assert_eq!(ext(&set, "PR(:3)"), Some(30.0));
        assert_eq!(ext(&set, "PR(3:6)"), Some(30.0));
        assert_eq!(ext(&set, "PR(8:)"), Some(20.0));
    }

    #[test]
    fn weights_count_as_repeated_values() {
        let mut weighted = SampleSet::new();
        weighted.add_values(&[1.0, 100.0], Some(&[99.0, 1.0]));
        assert_eq!(ext(&weighted, "p99"), Some(1.0));
        assert_eq!(ext(&weighted, "p99.5"), Some(100.0));
        assert_eq!(ext(&weighted, "tm99"), Some(1.0));
    }
}
