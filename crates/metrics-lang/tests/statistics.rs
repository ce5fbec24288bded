//! Statistics over sample sets: properties that must hold for any data (seeded, so a failure
//! reproduces), AWS's statistic-set rules, and the PutMetricData → GetMetricStatistics path.

use nimbus_metrics_lang::stats::{
    ExtendedStatistic, SampleSet, Statistic, StatisticSet, aggregate, round_start_time, storage_timestamp,
};

/// xorshift64*: deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

const EXTENDED: &[&str] = &[
    "p0",
    "p1",
    "p10",
    "p25",
    "p50",
    "p75",
    "p90",
    "p99",
    "p99.9",
    "p100",
    "tm90",
    "tm99",
    "tc90",
    "ts90",
    "wm90",
    "TM(10%:90%)",
    "TM(25%:)",
    "TC(:50%)",
    "TS(5%:95%)",
    "WM(10%:90%)",
    "IQM",
    "TM(10:50)",
    "TC(:20)",
    "TS(30:)",
    "WM(5:40)",
    "PR(:25)",
    "PR(10:30)",
    "PR(40:)",
];

fn stat(name: &str) -> ExtendedStatistic {
    ExtendedStatistic::parse(name).unwrap()
}

#[test]
fn counts_are_the_same_as_repeated_values() {
    let mut rng = Rng(7);
    for round in 0..200 {
        let mut weighted = SampleSet::new();
        let mut repeated = SampleSet::new();
        let values: Vec<f64> = (0..rng.below(12) + 1).map(|_| rng.below(50) as f64).collect();
        let counts: Vec<f64> = values.iter().map(|_| rng.below(4) as f64).collect();
        weighted.add_values(&values, Some(&counts));
        for (v, c) in values.iter().zip(&counts) {
            for _ in 0..*c as usize {
                repeated.add_value(*v);
            }
        }
        for s in Statistic::ALL {
            assert_eq!(weighted.statistic(s), repeated.statistic(s), "round {round}: {s:?}");
        }
        for name in EXTENDED {
            let (a, b) = (weighted.extended(&stat(name)), repeated.extended(&stat(name)));
            let same = match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                (a, b) => a == b,
            };
            assert!(same, "round {round}: {name}: {a:?} vs {b:?} for {values:?} × {counts:?}");
        }
    }
}

#[test]
fn percentiles_are_ordered_and_bounded() {
    let mut rng = Rng(11);
    for _ in 0..200 {
        let mut set = SampleSet::new();
        for _ in 0..rng.below(40) + 1 {
            set.add_value(rng.below(1000) as f64 / 10.0);
        }
        let mut previous = f64::NEG_INFINITY;
        for p in 0..=100 {
            let value = set.extended(&stat(&format!("p{p}"))).unwrap();
            assert!(value >= previous, "p{p} below the previous percentile");
            assert!(value >= set.minimum().unwrap() && value <= set.maximum().unwrap());
            previous = value;
        }
        assert_eq!(set.extended(&stat("p0")), set.minimum());
        assert_eq!(set.extended(&stat("p100")), set.maximum());
        // A trimmed sum is the trimmed mean times the trimmed count; an untrimmed mean is the average.
        for (tm, tc, ts) in
            [("tm90", "tc90", "ts90"), ("TM(10%:90%)", "TC(10%:90%)", "TS(10%:90%)"), ("TM(2:8)", "TC(2:8)", "TS(2:8)")]
        {
            let count = set.extended(&stat(tc)).unwrap();
            let sum = set.extended(&stat(ts)).unwrap();
            match set.extended(&stat(tm)) {
                Some(mean) => assert!((mean * count - sum).abs() < 1e-6),
                None => assert_eq!(count, 0.0),
            }
        }
        let untrimmed = set.extended(&stat("TM(:100%)")).unwrap();
        assert!((untrimmed - set.average().unwrap()).abs() < 1e-9);
        assert_eq!(set.extended(&stat("PR(:1000)")), Some(100.0));
    }
}

#[test]
fn merging_is_order_independent() {
    let mut rng = Rng(23);
    for _ in 0..100 {
        let parts: Vec<SampleSet> = (0..4)
            .map(|_| {
                let mut set = SampleSet::new();
                for _ in 0..rng.below(6) {
                    set.add_value(rng.below(100) as f64);
                }
                set
            })
            .collect();
        let mut forward = SampleSet::new();
        parts.iter().for_each(|p| forward.merge(p));
        let mut backward = SampleSet::new();
        parts.iter().rev().for_each(|p| backward.merge(p));
        assert_eq!(forward.sample_count(), backward.sample_count());
        assert_eq!(forward.weighted_values(), backward.weighted_values());
        for name in EXTENDED {
            assert_eq!(forward.extended(&stat(name)), backward.extended(&stat(name)), "{name}");
        }
    }
}

#[test]
fn compaction_keeps_percentiles_close() {
    let mut set = SampleSet::new();
    let mut rng = Rng(5);
    let mut exact: Vec<f64> = (0..50_000).map(|_| rng.below(1_000_000) as f64).collect();
    for v in &exact {
        set.add_value(*v);
    }
    exact.sort_by(f64::total_cmp);
    assert!(set.is_approximate());
    for p in [1.0, 10.0, 50.0, 90.0, 99.0, 99.9] {
        let truth = exact[((p / 100.0 * exact.len() as f64).ceil() as usize).max(1) - 1];
        let approx = set.extended(&stat(&format!("p{p}"))).unwrap();
        assert!((approx - truth).abs() <= 0.01 * 1_000_000.0, "p{p}: {approx} vs {truth}");
    }
    assert_eq!(set.sample_count(), 50_000.0);
}

#[test]
fn statistic_sets_follow_the_documented_rules() {
    // SampleCount 1 with Min, Max and Sum equal: as good as a raw value.
    let mut single = SampleSet::new();
    single.add_statistic_set(StatisticSet { sample_count: 1.0, sum: 7.0, minimum: 7.0, maximum: 7.0 });
    assert_eq!(single.extended(&stat("p50")), Some(7.0));
    // Min = Max and Sum = Min × SampleCount: that many copies of one value.
    let mut copies = SampleSet::new();
    copies.add_statistic_set(StatisticSet { sample_count: 4.0, sum: 20.0, minimum: 5.0, maximum: 5.0 });
    copies.add_value(9.0);
    assert_eq!(copies.extended(&stat("p80")), Some(5.0));
    assert_eq!(copies.extended(&stat("p81")), Some(9.0));
    // Anything else: basic statistics only; the extended ones are left out, not estimated.
    let mut summary = SampleSet::new();
    summary.add_value(1.0);
    summary.add_statistic_set(StatisticSet { sample_count: 3.0, sum: 12.0, minimum: 2.0, maximum: 6.0 });
    assert_eq!(summary.statistic(Statistic::Average), Some(13.0 / 4.0));
    assert_eq!(summary.statistic(Statistic::Maximum), Some(6.0));
    for name in EXTENDED {
        assert_eq!(summary.extended(&stat(name)), None, "{name}");
    }
}

#[test]
fn put_then_get_metric_statistics() {
    // Three minutes of one-value-a-second data stored at minute resolution, read back in
    // two-minute periods from a StartTime that CloudWatch rounds down to the minute.
    let base = 1_700_000_040; // a minute boundary
    let mut stored: std::collections::BTreeMap<i64, SampleSet> = std::collections::BTreeMap::new();
    for second in 0..180 {
        let millis = (base + second) * 1000 + 250;
        stored.entry(storage_timestamp(millis, 60)).or_default().add_value(second as f64);
    }
    assert_eq!(stored.len(), 3);
    let start = round_start_time(base + 17, base + 600, 120);
    assert_eq!(start, base);
    let periods = aggregate(stored.iter().map(|(t, s)| (*t, s)), start, base + 240, 120);
    assert_eq!(periods.keys().copied().collect::<Vec<_>>(), vec![base, base + 120]);
    let first = &periods[&base];
    assert_eq!(first.statistic(Statistic::SampleCount), Some(120.0));
    assert_eq!(first.statistic(Statistic::Sum), Some((0..120).sum::<i64>() as f64));
    assert_eq!(first.extended(&stat("p50")), Some(59.0));
    assert_eq!(periods[&(base + 120)].statistic(Statistic::Minimum), Some(120.0));
}
