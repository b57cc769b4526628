//! Metrics: per metric name, its shape, keys, series and services.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{Metric, metric::Data};

use super::evidence::{Fresh, fingerprint};
use super::state::{
    Cap, Card, Ctx, Gaps, KeyMap, NameMap, ResView, TAG_POINT, add_service, pair_hash, series_id,
    services_map,
};
use crate::session::{MetricMeta, MetricType};

/// Distinct explicit bucket bounds kept per metric; more are refused (and counted as dropped).
pub const MAX_BOUNDS: usize = 1000;
/// Distinct exponential-histogram scales kept per metric (valid scales are -10..=20).
pub const MAX_SCALES: usize = 64;

/// Everything known about one metric name.
#[derive(Debug, Default, Clone)]
pub(crate) struct MetricAcc {
    pub description: String,
    pub unit: String,
    pub metric_type: MetricType,
    pub temporality: Option<&'static str>,
    pub is_monotonic: Option<bool>,
    pub bounds: Vec<f64>,
    /// The last bounds slice merged, so identical bounds on every point cost one comparison.
    last_bounds: Vec<f64>,
    pub scales: Vec<i32>,
    pub quantiles: Vec<f64>,
    pub label_keys: KeyMap,
    pub resource_keys: KeyMap,
    pub points: u64,
    pub services: NameMap<u64>,
    pub series: Card,
    /// What the caps refused on this metric outside its key maps.
    pub gaps: Gaps,
    /// Last point per series, so re-sent cumulative points do not count as new data.
    fresh: Fresh,
    /// Scratch: the value hashes of the point being ingested.
    hashes: Vec<u64>,
}

/// A number point's fingerprint: start time and value.
fn number_fp(p: &opentelemetry_proto::tonic::metrics::v1::NumberDataPoint) -> u64 {
    use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value as V;
    let v = match p.value {
        Some(V::AsDouble(d)) => d.to_bits(),
        Some(V::AsInt(i)) => i as u64 ^ 0x5a5a_5a5a,
        None => 0,
    };
    fingerprint(&[p.start_time_unix_nano, v])
}

/// Number of data points of a metric, of whichever type.
pub(crate) fn point_count(m: &Metric) -> u64 {
    (match &m.data {
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(e)) => e.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }) as u64
}

fn temporality(t: i32) -> Option<&'static str> {
    match t {
        1 => Some("delta"),
        2 => Some("cumulative"),
        _ => None,
    }
}

impl MetricAcc {
    /// Takes in one metric of one resource block.
    pub(crate) fn ingest(&mut self, m: &Metric, res: &ResView<'_>, ctx: &mut Ctx) {
        if self.description.is_empty() && !m.description.is_empty() {
            self.description = m.description.clone();
        }
        if self.unit.is_empty() && !m.unit.is_empty() {
            self.unit = m.unit.clone();
        }
        let (ty, temp) = match &m.data {
            Some(Data::Gauge(_)) => (MetricType::Gauge, None),
            Some(Data::Sum(s)) => (MetricType::Sum, temporality(s.aggregation_temporality)),
            Some(Data::Histogram(h)) => (
                MetricType::Histogram,
                temporality(h.aggregation_temporality),
            ),
            Some(Data::ExponentialHistogram(e)) => (
                MetricType::ExponentialHistogram,
                temporality(e.aggregation_temporality),
            ),
            Some(Data::Summary(_)) => (MetricType::Summary, None),
            None => (MetricType::Unknown, None),
        };
        // The first type seen wins; a later disagreement is still counted under this name.
        if self.metric_type == MetricType::Unknown {
            self.metric_type = ty;
        }
        if self.temporality.is_none() {
            self.temporality = temp;
        }
        let mut fresh = 0u64;
        match &m.data {
            Some(Data::Gauge(g)) => {
                for p in &g.data_points {
                    fresh += self.point(&p.attributes, number_fp(p), res, ctx);
                    ctx.saw_time(p.time_unix_nano);
                }
            }
            Some(Data::Sum(s)) => {
                if self.is_monotonic.is_none() {
                    self.is_monotonic = Some(s.is_monotonic);
                }
                for p in &s.data_points {
                    fresh += self.point(&p.attributes, number_fp(p), res, ctx);
                    ctx.saw_time(p.time_unix_nano);
                }
            }
            Some(Data::Histogram(h)) => {
                for p in &h.data_points {
                    let fp = fingerprint(&[
                        p.start_time_unix_nano,
                        p.count,
                        p.sum.unwrap_or(0.0).to_bits(),
                    ]);
                    fresh += self.point(&p.attributes, fp, res, ctx);
                    ctx.saw_time(p.time_unix_nano);
                    if p.explicit_bounds != self.last_bounds {
                        self.add_bounds(&p.explicit_bounds, ctx);
                    }
                }
            }
            Some(Data::ExponentialHistogram(e)) => {
                for p in &e.data_points {
                    let fp = fingerprint(&[
                        p.start_time_unix_nano,
                        p.count,
                        p.sum.unwrap_or(0.0).to_bits(),
                    ]);
                    fresh += self.point(&p.attributes, fp, res, ctx);
                    ctx.saw_time(p.time_unix_nano);
                    if !self.scales.contains(&p.scale) {
                        if self.scales.len() < MAX_SCALES {
                            self.scales.push(p.scale);
                        } else {
                            ctx.refuse(Cap::Scales, 1, Some(&mut self.gaps));
                        }
                    }
                }
            }
            Some(Data::Summary(s)) => {
                for p in &s.data_points {
                    let fp = fingerprint(&[p.start_time_unix_nano, p.count, p.sum.to_bits()]);
                    fresh += self.point(&p.attributes, fp, res, ctx);
                    ctx.saw_time(p.time_unix_nano);
                    for q in &p.quantile_values {
                        let known = self
                            .quantiles
                            .iter()
                            .any(|x| x.to_bits() == q.quantile.to_bits());
                        if !known && q.quantile.is_finite() {
                            if self.quantiles.len() < MAX_SCALES {
                                self.quantiles.push(q.quantile);
                            } else {
                                ctx.refuse(Cap::Scales, 1, Some(&mut self.gaps));
                            }
                        }
                    }
                }
            }
            None => {}
        }
        let n = point_count(m);
        if n > 0 {
            self.points += n;
            res.observe_into(&mut self.resource_keys, ctx, n, fresh);
            add_service(&mut self.services, ctx, &res.service, n, &mut self.gaps);
        }
    }

    /// Takes in one data point; returns 1 when it is new data (a new series, or a changed
    /// value), 0 for a cumulative point re-sent unchanged.
    fn point(&mut self, attrs: &[KeyValue], fp: u64, res: &ResView<'_>, ctx: &mut Ctx) -> u64 {
        let mut series = res.series;
        self.label_keys.map.size_hint(attrs.len());
        self.hashes.clear();
        for kv in attrs {
            let h = ctx.hash(kv.value.as_ref());
            series = series.wrapping_add(pair_hash(TAG_POINT, &kv.key, h));
            self.hashes.push(h);
        }
        let id = series_id(series);
        // Past the memory budget nothing grows: known series are counted, new ones are not kept.
        let units = if ctx.frozen {
            self.series.insert_known(id);
            0
        } else {
            self.series.insert(id);
            u64::from(self.fresh.is_new(id, fp))
        };
        for (kv, h) in attrs.iter().zip(&self.hashes) {
            self.label_keys
                .observe(ctx, &kv.key, *h, 1, units, kv.value.as_ref());
        }
        units
    }

    fn add_bounds(&mut self, bounds: &[f64], ctx: &mut Ctx) {
        for b in bounds {
            // JSON cannot carry NaN or infinities, and they are not valid bounds; skip them.
            if !b.is_finite() || self.bounds.iter().any(|x| x.to_bits() == b.to_bits()) {
                continue;
            }
            if self.bounds.len() < MAX_BOUNDS {
                self.bounds.push(*b);
            } else {
                ctx.refuse(Cap::BucketBounds, 1, Some(&mut self.gaps));
            }
        }
        self.last_bounds.clear();
        self.last_bounds.extend_from_slice(bounds);
    }

    /// The session form.
    /// Whether the metric [`MetricAcc::into_meta`] builds will be marked incomplete.
    pub(crate) fn is_incomplete(&self) -> bool {
        let mut gaps = self.gaps;
        gaps.absorb(self.label_keys.gaps);
        gaps.absorb(self.resource_keys.gaps);
        !gaps.is_empty()
    }

    /// The services that sent this metric.
    pub(crate) fn service_names(&self) -> impl Iterator<Item = &str> {
        self.services.iter().map(|(k, _)| k)
    }

    pub(crate) fn into_meta(self, name: String) -> MetricMeta {
        let (active_series, series_sketch) = self.series.finish();
        let n = self.points;
        let mut gaps = self.gaps;
        gaps.absorb(self.label_keys.gaps);
        gaps.absorb(self.resource_keys.gaps);
        MetricMeta {
            name,
            description: self.description,
            unit: self.unit,
            metric_type: self.metric_type,
            label_keys: self.label_keys.into_stats(n),
            resource_keys: self.resource_keys.into_stats(n),
            sample_count: n,
            services: services_map(self.services),
            active_series: active_series.min(n),
            series_sketch: Some(series_sketch),
            data_point_count: n,
            aggregation_temporality: self.temporality.map(str::to_string),
            is_monotonic: self.is_monotonic,
            explicit_bounds: self.bounds,
            scales: self.scales,
            incomplete: gaps.to_incomplete(),
            quantiles: self.quantiles,
            ..Default::default()
        }
    }
}
