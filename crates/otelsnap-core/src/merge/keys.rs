//! Per-key merging, one source at a time: counts, HyperLogLog unions, percentages, value
//! samples and evidence are accumulated as each source is folded in and settled at the end.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::session::evidence::{KeyEvidence, ShapeSample};
use crate::session::model::{KeyStats, KeyStatsMap, SketchData};
use crate::sketch::{self, Sketch, SketchError};

use super::MergeError;
use super::dense;

/// Shared state of one merge: source ids for messages, the samples cap, running tallies.
#[derive(Debug, Default, Clone)]
pub(crate) struct KeyCtx {
    /// Source ids in the order they were added.
    pub ids: Vec<String>,
    /// Value samples kept per key while folding (never below the final limit when fixed).
    pub cap: usize,
    /// The smallest cap in force when a distinct sample was refused: a later, larger final
    /// limit would have kept it (see `Merger::rerun_samples`).
    pub refused_at: Option<usize>,
    /// Estimates that had no mergeable sketch in some source.
    pub approximate_keys: u64,
    /// Sketches decoded.
    pub decoded: u64,
}

impl KeyCtx {
    fn id(&self, src: usize) -> String {
        self.ids.get(src).cloned().unwrap_or_default()
    }

    /// Appends the samples of `new` not yet in `acc`, up to the running cap.
    pub(crate) fn add_samples(&mut self, acc: &mut Vec<String>, new: Vec<String>) {
        for s in new {
            if acc.contains(&s) {
                continue;
            }
            if acc.len() >= self.cap {
                self.refused_at = Some(self.refused_at.map_or(self.cap, |c| c.min(self.cap)));
                return;
            }
            acc.push(s);
        }
    }
}

/// A merged estimate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Merged {
    pub estimate: u64,
    pub sketch: Option<SketchData>,
    pub approximate: bool,
}

/// One source's view of an estimate: the number, the sketch behind it, and whether it is exact.
#[derive(Debug)]
pub(crate) struct Part {
    pub src: usize,
    pub estimate: u64,
    pub sketch: Option<SketchData>,
    pub approximate: bool,
}

/// The union of one key's sketches so far.
#[derive(Debug, Default)]
enum SketchAcc {
    #[default]
    None,
    /// Every sketch so far had these bytes (replicas often share a key's sketch unchanged);
    /// `exact` while every one also had this estimate and none was marked approximate.
    Same {
        data: SketchData,
        estimate: u64,
        exact: bool,
    },
    /// All dense: the registers' maxima on the encoded bytes, decoded only at the end.
    Dense(Vec<u8>),
    /// Decoded and merged by the estimator.
    Full(Sketch),
}

/// The union of one estimate across sources, folded one part at a time.
///
/// All parts with mergeable sketches: the estimate is recomputed from the union. Any part
/// without one (`approximate`, or no sketch): the estimate is the largest of those parts'
/// estimates and of the union of the sketches that do exist, and is marked approximate. The
/// partial union is kept rather than dropped so that merging stays associative: `(a+b)+c` and
/// `a+(b+c)` see the same sketches whichever way they are grouped.
#[derive(Debug, Default)]
pub(crate) struct EstAcc {
    /// Some part said something (a sketch, an estimate or an approximate mark).
    said: bool,
    approximate: bool,
    /// The largest estimate of the parts without a mergeable sketch.
    approx_max: u64,
    /// The first sketch's source, precision and encoding (ours borrowed, not copied: most
    /// estimates have a sketch in our encoding, and a copy per key adds up).
    first: Option<(usize, u8, Cow<'static, str>)>,
    sketch: SketchAcc,
}

impl EstAcc {
    /// Folds one source's part in.
    pub(crate) fn add(
        &mut self,
        ctx: &mut KeyCtx,
        p: Part,
        what: &dyn Fn() -> String,
    ) -> Result<(), MergeError> {
        // A part with no sketch, no estimate and no approximate mark says nothing; skip it.
        if p.sketch.is_none() && !p.approximate && p.estimate == 0 {
            return Ok(());
        }
        self.said = true;
        if p.approximate || p.sketch.is_none() {
            self.approximate = true;
            self.approx_max = self.approx_max.max(p.estimate);
        }
        let Some(d) = p.sketch else {
            return Ok(());
        };
        match &self.first {
            None => {
                let encoding = if d.encoding == sketch::ENCODING {
                    Cow::Borrowed(sketch::ENCODING)
                } else {
                    Cow::Owned(d.encoding.clone())
                };
                self.first = Some((p.src, d.precision, encoding));
            }
            Some((src, precision, encoding)) => {
                // What `sketch::check_compatible` says of the first sketch and this one.
                let reason = if *precision != d.precision {
                    Some(SketchError::PrecisionMismatch(*precision, d.precision))
                } else if *encoding != d.encoding.as_str() {
                    Some(SketchError::EncodingMismatch(
                        encoding.to_string(),
                        d.encoding.clone(),
                    ))
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(MergeError::Incompatible {
                        what: what(),
                        a: ctx.id(*src),
                        b: ctx.id(p.src),
                        reason,
                    });
                }
            }
        }
        let corrupt = |ctx: &KeyCtx, src: usize, reason| MergeError::Corrupt {
            what: what(),
            source_id: ctx.id(src),
            reason,
        };
        let decode = |ctx: &mut KeyCtx, src: usize, d: &SketchData| {
            ctx.decoded += 1;
            Sketch::from_data(d).map_err(|reason| corrupt(ctx, src, reason))
        };
        self.sketch = match std::mem::take(&mut self.sketch) {
            SketchAcc::None => SketchAcc::Same {
                exact: !p.approximate,
                estimate: p.estimate,
                data: d,
            },
            SketchAcc::Same {
                data,
                estimate,
                exact,
            } if data.data == d.data => SketchAcc::Same {
                exact: exact && !p.approximate && estimate == p.estimate,
                estimate,
                data,
            },
            SketchAcc::Same { data, .. } => {
                match (dense::dense_bytes(&data), dense::dense_bytes(&d)) {
                    (Some(mut acc), Some(other)) => {
                        dense::max_into(&mut acc, &other);
                        SketchAcc::Dense(acc)
                    }
                    _ => {
                        let first_src = self.first.as_ref().map_or(p.src, |f| f.0);
                        let mut acc = decode(ctx, first_src, &data)?;
                        acc.merge(&decode(ctx, p.src, &d)?);
                        SketchAcc::Full(acc)
                    }
                }
            }
            SketchAcc::Dense(mut acc) => match dense::dense_bytes(&d) {
                Some(other) => {
                    dense::max_into(&mut acc, &other);
                    SketchAcc::Dense(acc)
                }
                None => {
                    let first_src = self.first.as_ref().map_or(p.src, |f| f.0);
                    ctx.decoded += 1;
                    let mut full =
                        Sketch::from_bytes(&acc).map_err(|r| corrupt(ctx, first_src, r))?;
                    full.merge(&decode(ctx, p.src, &d)?);
                    SketchAcc::Full(full)
                }
            },
            SketchAcc::Full(mut acc) => {
                acc.merge(&decode(ctx, p.src, &d)?);
                SketchAcc::Full(acc)
            }
        };
        Ok(())
    }

    /// The merged estimate.
    pub(crate) fn finish(
        self,
        ctx: &mut KeyCtx,
        what: &dyn Fn() -> String,
    ) -> Result<Merged, MergeError> {
        if !self.said {
            return Ok(Merged {
                estimate: 0,
                sketch: None,
                approximate: false,
            });
        }
        let first_src = self.first.as_ref().map_or(0, |f| f.0);
        let corrupt = |ctx: &KeyCtx, reason| MergeError::Corrupt {
            what: what(),
            source_id: ctx.id(first_src),
            reason,
        };
        let (union_estimate, sketch) = match self.sketch {
            SketchAcc::None => (None, None),
            SketchAcc::Same {
                data,
                estimate,
                exact: true,
            } => (Some(estimate), Some(data)),
            SketchAcc::Same { data, .. } => {
                ctx.decoded += 1;
                let mut s = Sketch::from_data(&data).map_err(|r| corrupt(ctx, r))?;
                (Some(s.estimate()), Some(s.to_data()))
            }
            SketchAcc::Dense(bytes) => {
                ctx.decoded += 1;
                let mut s = Sketch::from_bytes(&bytes).map_err(|r| corrupt(ctx, r))?;
                (Some(s.estimate()), Some(dense::to_data(&bytes)))
            }
            SketchAcc::Full(mut s) => (Some(s.estimate()), Some(s.to_data())),
        };
        if !self.approximate {
            return Ok(Merged {
                estimate: union_estimate.unwrap_or(0),
                sketch,
                approximate: false,
            });
        }
        ctx.approximate_keys += 1;
        Ok(Merged {
            estimate: self.approx_max.max(union_estimate.unwrap_or(0)),
            sketch,
            approximate: true,
        })
    }
}

/// The evidence of one key across sources, judged again at the end. None when any source has
/// none (older sessions, OCC imports: unknown stays unknown).
#[derive(Debug, Default)]
pub(crate) enum EvAcc {
    /// No part yet.
    #[default]
    Empty,
    One(KeyEvidence),
    Many {
        sample: ShapeSample,
        units: u64,
        growth: BTreeMap<u64, u64>,
    },
    /// Some part had none.
    Missing,
}

impl EvAcc {
    /// Folds one source's evidence in.
    pub(crate) fn add(&mut self, ev: Option<KeyEvidence>) {
        let Some(ev) = ev else {
            *self = EvAcc::Missing;
            return;
        };
        match self {
            EvAcc::Missing => {}
            EvAcc::Empty => *self = EvAcc::One(ev),
            EvAcc::One(first) => {
                let mut growth = BTreeMap::new();
                grow(&mut growth, &first.growth);
                let mut sample = first.shape_sample();
                let units = first.units;
                grow(&mut growth, &ev.growth);
                sample.merge(&ev.shape_sample());
                *self = EvAcc::Many {
                    sample,
                    units: units.saturating_add(ev.units),
                    growth,
                };
            }
            EvAcc::Many {
                sample,
                units,
                growth,
            } => {
                sample.merge(&ev.shape_sample());
                *units = units.saturating_add(ev.units);
                grow(growth, &ev.growth);
            }
        }
    }

    /// The merged evidence; `distinct` is the merged estimate.
    pub(crate) fn finish(self, distinct: u64) -> Option<KeyEvidence> {
        match self {
            EvAcc::Empty | EvAcc::Missing => None,
            EvAcc::One(mut ev) => {
                ev.distinct = distinct;
                ev.rejudge();
                Some(ev)
            }
            EvAcc::Many {
                sample,
                units,
                growth,
            } => Some(KeyEvidence::new(
                &sample,
                units,
                distinct,
                growth.into_iter().map(|(u, d)| [u, d]).collect(),
            )),
        }
    }
}

/// Growth checkpoints united: the most distinct values seen at each unit count.
fn grow(acc: &mut BTreeMap<u64, u64>, checkpoints: &[[u64; 2]]) {
    for [u, d] in checkpoints {
        let e = acc.entry(*u).or_insert(0);
        *e = (*e).max(*d);
    }
}

/// One key's statistics so far: a key seen in one source is kept as it came.
#[derive(Debug)]
pub(crate) enum KeyAcc {
    One(usize, KeyStats),
    Many(Box<ManyKey>),
}

/// A key seen in several sources.
#[derive(Debug, Default)]
pub(crate) struct ManyKey {
    count: u64,
    samples: Vec<String>,
    est: EstAcc,
    ev: EvAcc,
}

impl ManyKey {
    fn add(
        &mut self,
        ctx: &mut KeyCtx,
        src: usize,
        ks: KeyStats,
        what: &dyn Fn() -> String,
    ) -> Result<(), MergeError> {
        self.count += ks.count;
        ctx.add_samples(&mut self.samples, ks.value_samples);
        self.est.add(
            ctx,
            Part {
                src,
                estimate: ks.estimated_cardinality,
                sketch: ks.sketch.map(std::sync::Arc::unwrap_or_clone),
                approximate: ks.approximate,
            },
            what,
        )?;
        self.ev.add(ks.evidence.map(|b| *b));
        Ok(())
    }
}

impl KeyAcc {
    fn add(
        &mut self,
        ctx: &mut KeyCtx,
        src: usize,
        ks: KeyStats,
        what: &dyn Fn() -> String,
    ) -> Result<(), MergeError> {
        if matches!(self, KeyAcc::One(..)) {
            let KeyAcc::One(first_src, first) =
                std::mem::replace(self, KeyAcc::Many(Box::default()))
            else {
                unreachable!("checked above")
            };
            if let KeyAcc::Many(m) = self {
                m.add(ctx, first_src, first, what)?;
            }
        }
        match self {
            KeyAcc::Many(m) => m.add(ctx, src, ks, what),
            KeyAcc::One(..) => unreachable!("made Many above"),
        }
    }

    fn finish(
        self,
        ctx: &mut KeyCtx,
        denominator: u64,
        samples: usize,
        what: &dyn Fn() -> String,
    ) -> Result<KeyStats, MergeError> {
        match self {
            KeyAcc::One(_, mut ks) => {
                settle_one(&mut ks, denominator, samples);
                Ok(ks)
            }
            KeyAcc::Many(m) => {
                let ManyKey {
                    count,
                    samples: mut samples_kept,
                    est,
                    ev,
                } = *m;
                let m = est.finish(ctx, what)?;
                samples_kept.truncate(samples);
                Ok(KeyStats {
                    count,
                    percentage: percentage(count, denominator),
                    // A sketch's error can put the union above the occurrences; never more
                    // distinct values than occurrences.
                    estimated_cardinality: m.estimate.min(count),
                    value_samples: samples_kept,
                    sketch: m.sketch.map(std::sync::Arc::new),
                    approximate: m.approximate,
                    occ_hll: None,
                    evidence: ev.finish(m.estimate).map(Box::new),
                })
            }
        }
    }
}

/// One key map of an item (label keys, resource keys, …) across sources: a vector sorted by
/// key, as the sources' maps are, so a source folds in by one merge-join pass (a `BTreeMap`
/// allocates a node of eleven entries even for the two or three keys most items have).
#[derive(Debug, Default)]
pub(crate) struct MapAcc(Vec<(crate::session::Key, KeyAcc)>);

impl MapAcc {
    /// Folds one source's map in, key by key in key order.
    pub(crate) fn add(
        &mut self,
        ctx: &mut KeyCtx,
        src: usize,
        map: KeyStatsMap,
        what: &dyn Fn(&str) -> String,
    ) -> Result<(), MergeError> {
        if map.is_empty() {
            return Ok(());
        }
        let old = std::mem::take(&mut self.0);
        let mut out = Vec::with_capacity(old.len().max(map.len()));
        let mut old = old.into_iter().peekable();
        for (k, ks) in map {
            while let Some(o) = old.next_if(|o| o.0 < k) {
                out.push(o);
            }
            match old.next_if(|o| o.0 == k) {
                Some((k, mut acc)) => {
                    acc.add(ctx, src, ks, &|| what(&k))?;
                    out.push((k, acc));
                }
                None => out.push((k, KeyAcc::One(src, ks))),
            }
        }
        out.extend(old);
        self.0 = out;
        Ok(())
    }

    /// The merged map; percentages are taken of `denominator`.
    pub(crate) fn finish(
        self,
        ctx: &mut KeyCtx,
        denominator: u64,
        samples: usize,
        what: &dyn Fn(&str) -> String,
    ) -> Result<KeyStatsMap, MergeError> {
        let mut out = Vec::with_capacity(self.0.len());
        for (k, acc) in self.0 {
            let ks = acc.finish(ctx, denominator, samples, &|| what(&k))?;
            out.push((k, ks));
        }
        Ok(out.into_iter().collect())
    }
}

pub use crate::session::percentage;

/// A key seen in one source, settled in place: its percentage of `denominator`, its samples
/// deduplicated and capped as `union_samples` of its one list.
fn settle_one(ks: &mut KeyStats, denominator: u64, samples: usize) {
    ks.percentage = percentage(ks.count, denominator);
    distinct_capped(&mut ks.value_samples, samples);
    ks.occ_hll = None;
}

/// Every key of a map seen in one source, settled in place (what [`MapAcc`] makes of it).
pub(crate) fn settle_map(map: &mut KeyStatsMap, denominator: u64, samples: usize) {
    for ks in map.values_mut() {
        settle_one(ks, denominator, samples);
    }
}

/// The first `cap` distinct values of `v` in first-seen order, in place: `union_samples([v],
/// cap)` without copying the strings.
fn distinct_capped(v: &mut Vec<String>, cap: usize) {
    let mut kept = 0;
    for i in 0..v.len() {
        if kept >= cap {
            break;
        }
        if !v[..kept].contains(&v[i]) {
            // Everything between `kept` and `i` repeats a kept value: swap it out of the way.
            v.swap(kept, i);
            kept += 1;
        }
    }
    v.truncate(kept);
}

/// Distinct samples in first-seen order, at most `cap` (the reference `distinct_capped` and
/// `KeyCtx::add_samples` are held to).
#[cfg(test)]
pub(crate) fn union_samples<'a>(
    lists: impl IntoIterator<Item = &'a Vec<String>>,
    cap: usize,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for list in lists {
        for s in list {
            if out.len() >= cap {
                return out;
            }
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
    }
    out
}

/// What a key map's percentages were taken of, recovered from the keys themselves (used for
/// span event and link keys, whose event and link counts the model does not store). A key at
/// 100% gives it exactly; otherwise the key with the most occurrences gives the closest value.
pub(crate) fn implied_denominator(map: &KeyStatsMap) -> u64 {
    let mut best: Option<&KeyStats> = None;
    for ks in map.values() {
        if ks.percentage >= 100.0 {
            return ks.count;
        }
        if ks.percentage > 0.0 && best.is_none_or(|b| ks.count > b.count) {
            best = Some(ks);
        }
    }
    match best {
        Some(ks) => ((ks.count as f64 * 100.0 / ks.percentage).round() as u64).max(ks.count),
        None => map.values().map(|k| k.count).max().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_denominator_is_exact_when_a_key_is_everywhere() {
        let mut m = KeyStatsMap::new();
        m.insert(
            "a".to_string(),
            KeyStats {
                count: 7,
                percentage: 100.0,
                ..Default::default()
            },
        );
        m.insert(
            "b".to_string(),
            KeyStats {
                count: 3,
                percentage: percentage(3, 7),
                ..Default::default()
            },
        );
        assert_eq!(implied_denominator(&m), 7);
        m.remove("a");
        assert_eq!(implied_denominator(&m), 7);
    }

    #[test]
    fn samples_union_keeps_first_seen_order_and_cap() {
        let a = vec!["x".to_string(), "y".to_string()];
        let b = vec!["y".to_string(), "z".to_string(), "w".to_string()];
        assert_eq!(union_samples([&a, &b], 3), ["x", "y", "z"]);
        assert_eq!(union_samples([&b, &a], 5), ["y", "z", "w", "x"]);
        assert!(union_samples([&a], 0).is_empty());
    }

    #[test]
    fn samples_settled_in_place_equal_the_union_of_one_list() {
        let lists: [&[&str]; 5] = [
            &[],
            &["a", "b", "c"],
            &["a", "a", "b", "a", "c", "b", "d"],
            &["x", "x", "x"],
            &["p", "q", "p", "r", "q", "s", "t"],
        ];
        for list in lists {
            let list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
            for cap in 0..=8 {
                let mut v = list.clone();
                distinct_capped(&mut v, cap);
                assert_eq!(v, union_samples([&list], cap), "{list:?} at {cap}");
            }
        }
    }

    #[test]
    fn folded_samples_note_the_smallest_cap_that_refused_one() {
        let mut ctx = KeyCtx {
            cap: 2,
            ..KeyCtx::default()
        };
        let mut acc = Vec::new();
        ctx.add_samples(&mut acc, vec!["a".into(), "b".into()]);
        ctx.add_samples(&mut acc, vec!["b".into(), "a".into()]);
        assert_eq!(ctx.refused_at, None, "repeats are not refusals");
        ctx.add_samples(&mut acc, vec!["c".into()]);
        assert_eq!((acc.len(), ctx.refused_at), (2, Some(2)));
        ctx.cap = 4;
        ctx.add_samples(&mut acc, vec!["d".into()]);
        assert_eq!(acc, ["a", "b", "d"]);
        assert_eq!(ctx.refused_at, Some(2));
    }
}
