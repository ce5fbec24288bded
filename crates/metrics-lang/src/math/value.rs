//! The values metric math computes with: scalars, time series and arrays of time series, and
//! how two series line up.

/// One time series: points ascending by timestamp (Unix seconds), at most one per timestamp.
/// A timestamp without a point is missing data.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The metric's label for series that come from METRICS() or array elements; empty for
    /// series an expression computed.
    pub label: String,
    pub points: Vec<(i64, f64)>,
    /// The period of a metric's own data, which PERIOD() reports; `None` for computed series.
    pub period: Option<i64>,
}

impl Series {
    pub fn new(label: impl Into<String>, mut points: Vec<(i64, f64)>, period: Option<i64>) -> Series {
        points.sort_by_key(|(t, _)| *t);
        points.dedup_by_key(|(t, _)| *t);
        Series { label: label.into(), points, period }
    }

    pub(crate) fn computed(points: Vec<(i64, f64)>) -> Series {
        Series { label: String::new(), points, period: None }
    }

    /// Same label, new points (a function applied point by point keeps the metric's label).
    pub(crate) fn with_points(&self, points: Vec<(i64, f64)>) -> Series {
        Series { label: self.label.clone(), points, period: None }
    }

    pub fn value_at(&self, timestamp: i64) -> Option<f64> {
        self.points.binary_search_by_key(&timestamp, |(t, _)| *t).ok().map(|i| self.points[i].1)
    }

    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.points.iter().map(|(_, v)| *v)
    }
}

/// What evaluating (part of) an expression gives.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(f64),
    Series(Series),
    Array(Vec<Series>),
}

impl Value {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "a scalar",
            Value::Series(_) => "a time series",
            Value::Array(_) => "an array of time series",
        }
    }
}

/// Every timestamp either series has, ascending, with each side's value there.
pub(crate) fn union(a: &[(i64, f64)], b: &[(i64, f64)]) -> Vec<(i64, Option<f64>, Option<f64>)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(&(ta, va)), Some(&(tb, vb))) if ta == tb => {
                out.push((ta, Some(va), Some(vb)));
                i += 1;
                j += 1;
            }
            (Some(&(ta, va)), Some(&(tb, _))) if ta < tb => {
                out.push((ta, Some(va), None));
                i += 1;
            }
            (Some(&(ta, va)), None) => {
                out.push((ta, Some(va), None));
                i += 1;
            }
            (_, Some(&(tb, vb))) => {
                out.push((tb, None, Some(vb)));
                j += 1;
            }
            (None, None) => unreachable!("the loop stops when both are exhausted"),
        }
    }
    out
}

/// Every timestamp any of the series has, ascending.
pub(crate) fn all_timestamps(series: &[Series]) -> Vec<i64> {
    let mut timestamps: Vec<i64> = series.iter().flat_map(|s| s.points.iter().map(|(t, _)| *t)).collect();
    timestamps.sort_unstable();
    timestamps.dedup();
    timestamps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_lines_up_timestamps() {
        let a = [(0, 1.0), (60, 2.0)];
        let b = [(60, 5.0), (120, 6.0)];
        assert_eq!(union(&a, &b), vec![(0, Some(1.0), None), (60, Some(2.0), Some(5.0)), (120, None, Some(6.0))]);
    }

    #[test]
    fn series_are_sorted_and_unique() {
        let s = Series::new("x", vec![(120, 1.0), (0, 2.0), (120, 3.0)], Some(60));
        assert_eq!(s.points.len(), 2);
        assert_eq!(s.value_at(0), Some(2.0));
        assert_eq!(s.value_at(60), None);
    }
}
