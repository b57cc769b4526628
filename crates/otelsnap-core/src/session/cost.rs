//! (+) Projected cost: the series a Prometheus-compatible backend stores for a metric, and
//! what an unbounded key would make of it at more traffic.
//!
//! Per series of the metric: a histogram stores one series per bucket (the explicit bounds
//! plus `+Inf`) and `_sum` and `_count`; a summary one per quantile plus `_sum` and `_count`;
//! an exponential histogram is one native histogram; gauges and sums one.

use super::{KeyStats, MetricMeta, MetricType};

/// Backend series per series of the metric.
pub fn per_series(m: &MetricMeta) -> u64 {
    match m.metric_type {
        MetricType::Histogram => m.explicit_bounds.len() as u64 + 1 + 2,
        MetricType::Summary => m.quantiles.len() as u64 + 2,
        MetricType::ExponentialHistogram
        | MetricType::Gauge
        | MetricType::Sum
        | MetricType::Unknown => 1,
    }
}

/// Backend series of the metric as captured.
pub fn backend_series(m: &MetricMeta) -> u64 {
    m.active_series.saturating_mul(per_series(m))
}

/// The cost of a metric now and, for an unbounded key, at 10× and 100× the traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Active series as captured.
    pub series: u64,
    /// Backend series per captured series (buckets, sum, count...).
    pub per_series: u64,
    /// Backend series as captured: `series * per_series`.
    pub backend: u64,
    /// (new values per unit of new data, backend series at 10×, at 100×) for a growing key.
    pub growth: Option<(f64, u64, u64)>,
}

/// The projection for `m`; with `key`, how the key's growth would scale it. Assumption: new
/// values keep arriving at the rate of the capture's later half (or its average when no
/// checkpoint marks that half), other labels stay as they are, so the metric's series grow in
/// proportion to the key's distinct values.
pub fn projection(m: &MetricMeta, key: Option<&KeyStats>) -> Projection {
    let backend = backend_series(m);
    let growth = key.and_then(|k| {
        let ev = k.evidence.as_deref()?;
        let d = ev.distinct.max(k.estimated_cardinality);
        if d == 0 || ev.units == 0 {
            return None;
        }
        let rate = ev
            .late_growth()
            .map_or(ev.distinct as f64 / ev.units as f64, |l| l.2);
        let at = |x: f64| {
            let dk = d as f64 + rate * ev.units as f64 * (x - 1.0);
            (backend as f64 * dk / d as f64).round() as u64
        };
        Some((rate, at(10.0), at(100.0)))
    });
    Projection {
        series: m.active_series,
        per_series: per_series(m),
        backend,
        growth,
    }
}

impl Projection {
    /// One line: the cost now and, when known, at 10× and 100× traffic with the assumption.
    pub fn describe(&self) -> String {
        let c = super::evidence::with_commas;
        let now = format!(
            "{} backend series ({} series × {})",
            c(self.backend),
            c(self.series),
            self.per_series
        );
        match self.growth {
            Some((rate, ten, hundred)) => format!(
                "{now}; ~{} at 10× and ~{} at 100× this traffic, if new values keep arriving at {rate:.2} per new data point",
                c(ten),
                c(hundred)
            ),
            None => now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::KeyEvidence;
    use crate::session::evidence::ShapeSample;

    fn metric(t: MetricType, series: u64) -> MetricMeta {
        MetricMeta {
            name: "m".into(),
            metric_type: t,
            active_series: series,
            ..Default::default()
        }
    }

    #[test]
    fn backend_series_per_metric_type() {
        let mut h = metric(MetricType::Histogram, 10);
        h.explicit_bounds = vec![0.1, 0.5, 1.0, 5.0];
        // 4 bounds → 5 buckets (+Inf) + _sum + _count.
        assert_eq!(backend_series(&h), 70);
        let mut s = metric(MetricType::Summary, 3);
        s.quantiles = vec![0.5, 0.9, 0.99];
        assert_eq!(backend_series(&s), 15);
        assert_eq!(
            backend_series(&metric(MetricType::ExponentialHistogram, 7)),
            7
        );
        assert_eq!(backend_series(&metric(MetricType::Sum, 7)), 7);
        assert_eq!(backend_series(&metric(MetricType::Gauge, 2)), 2);
    }

    #[test]
    fn an_unbounded_key_scales_with_traffic() {
        let mut h = metric(MetricType::Histogram, 48);
        h.explicit_bounds = vec![1.0, 2.0];
        let ev = KeyEvidence::new(
            &ShapeSample::default(),
            48,
            48,
            vec![[4, 4], [8, 8], [16, 16]],
        );
        let k = KeyStats {
            estimated_cardinality: 48,
            evidence: Some(Box::new(ev)),
            ..Default::default()
        };
        let p = projection(&h, Some(&k));
        assert_eq!(p.backend, 48 * 5);
        // One new value per new point: 10× traffic → 480 values → 10× the series.
        assert_eq!(p.growth, Some((1.0, 2400, 24000)));
        assert!(p.describe().contains("~2,400 at 10×"), "{}", p.describe());
    }
}
