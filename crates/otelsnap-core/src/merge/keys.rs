//! Per-key merging: counts, HyperLogLog unions, percentages and value samples.

use std::collections::BTreeMap;

use crate::session::evidence::KeyEvidence;
use crate::session::model::{KeyStats, KeyStatsMap, SketchData};
use crate::sketch::{self, Sketch};

use super::MergeError;
use super::dense;

/// One source's view of an estimate: the number, the sketch behind it, and whether it is exact.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Est<'a> {
    pub src: usize,
    pub estimate: u64,
    pub sketch: Option<&'a SketchData>,
    pub approximate: bool,
}

/// A merged estimate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Merged {
    pub estimate: u64,
    pub sketch: Option<SketchData>,
    pub approximate: bool,
}

/// Shared state of one merge: source ids for messages, the samples cap, running tallies.
#[derive(Debug)]
pub(crate) struct KeyCtx<'a> {
    pub ids: Vec<&'a str>,
    pub samples: usize,
    /// Estimates that had no mergeable sketch in some source.
    pub approximate_keys: u64,
    /// Sketches decoded (each source's sketch of a key at most once).
    pub decoded: u64,
}

impl KeyCtx<'_> {
    /// Unions the estimates of one key across sources.
    ///
    /// All parts with mergeable sketches: decoded once each, merged into one accumulator, the
    /// estimate recomputed from the union and the union encoded once. Any part without one
    /// (`approximate`, or no sketch): the estimate is the largest of the parts' estimates and of
    /// the union of the sketches that do exist, and is marked approximate. The partial union is
    /// kept rather than dropped so that merging stays associative: `(a+b)+c` and `a+(b+c)` see
    /// the same sketches whichever way they are grouped.
    pub(crate) fn union(
        &mut self,
        parts: &[Est<'_>],
        what: &dyn Fn() -> String,
    ) -> Result<Merged, MergeError> {
        // A part with no sketch, no estimate and no approximate mark says nothing; skip it.
        let parts: Vec<&Est<'_>> = parts
            .iter()
            .filter(|p| p.sketch.is_some() || p.approximate || p.estimate > 0)
            .collect();
        let Some(first) = parts.first() else {
            return Ok(Merged {
                estimate: 0,
                sketch: None,
                approximate: false,
            });
        };
        let approximate = parts.iter().any(|p| p.approximate || p.sketch.is_none());
        let sketched: Vec<&&Est<'_>> = parts.iter().filter(|p| p.sketch.is_some()).collect();
        let (union_estimate, union_sketch) = self.union_sketches(&sketched, what)?;
        if !approximate {
            return Ok(Merged {
                estimate: union_estimate.unwrap_or(first.estimate),
                sketch: union_sketch,
                approximate: false,
            });
        }
        self.approximate_keys += 1;
        let mut estimate = parts
            .iter()
            .filter(|p| p.approximate || p.sketch.is_none())
            .map(|p| p.estimate)
            .max()
            .unwrap_or(0);
        if let Some(u) = union_estimate {
            estimate = estimate.max(u);
        }
        Ok(Merged {
            estimate,
            sketch: union_sketch,
            approximate: true,
        })
    }

    /// The union of the sketched parts: `(estimate, sketch)`, or `(None, None)` when there are none.
    fn union_sketches(
        &mut self,
        parts: &[&&Est<'_>],
        what: &dyn Fn() -> String,
    ) -> Result<(Option<u64>, Option<SketchData>), MergeError> {
        let Some(first) = parts.first() else {
            return Ok((None, None));
        };
        let Some(first_data) = first.sketch else {
            return Ok((None, None));
        };
        for p in &parts[1..] {
            if let Some(d) = p.sketch {
                sketch::check_compatible(first_data, d).map_err(|reason| {
                    MergeError::Incompatible {
                        what: what(),
                        a: self.ids[first.src].to_string(),
                        b: self.ids[p.src].to_string(),
                        reason,
                    }
                })?;
            }
        }
        // Identical sketches (a session merged with itself, a key that did not change): the
        // union is the sketch itself, and decoding it would only cost time.
        let same = parts.iter().all(|p| {
            p.sketch.is_some_and(|d| d.data == first_data.data) && p.estimate == first.estimate
        });
        if same && !first.approximate {
            return Ok((Some(first.estimate), Some(first_data.clone())));
        }
        let ids = &self.ids;
        let decoded = &mut self.decoded;
        let mut decode = |p: &Est<'_>, d: &SketchData| {
            *decoded += 1;
            Sketch::from_data(d).map_err(|reason| MergeError::Corrupt {
                what: what(),
                source_id: ids[p.src].to_string(),
                reason,
            })
        };
        // Replicas often share a key's sketch unchanged: each distinct sketch is decoded once.
        let mut distinct: Vec<(&Est<'_>, &SketchData)> = parts
            .iter()
            .filter_map(|p| p.sketch.map(|d| (**p, d)))
            .collect();
        distinct.sort_by(|a, b| a.1.data.cmp(&b.1.data).then(a.0.src.cmp(&b.0.src)));
        distinct.dedup_by(|a, b| a.1.data == b.1.data);
        // All dense: union the registers on the bytes and decode only the union.
        if distinct.len() > 1
            && let Some(all) = distinct
                .iter()
                .map(|(_, d)| dense::dense_bytes(d))
                .collect::<Option<Vec<Vec<u8>>>>()
        {
            let mut iter = all.into_iter();
            let mut bytes = iter.next().unwrap_or_default();
            for other in iter {
                dense::max_into(&mut bytes, &other);
            }
            *decoded += 1;
            let mut union = Sketch::from_bytes(&bytes).map_err(|reason| MergeError::Corrupt {
                what: what(),
                source_id: ids[first.src].to_string(),
                reason,
            })?;
            return Ok((Some(union.estimate()), Some(dense::to_data(&bytes))));
        }
        let mut acc = decode(first, first_data)?;
        for (p, d) in distinct {
            if d.data != first_data.data {
                acc.merge(&decode(p, d)?);
            }
        }
        Ok((Some(acc.estimate()), Some(acc.to_data())))
    }

    /// Merges one key map of an item across sources. `denominators[i]` is what source `i`'s
    /// percentages were taken of; the merged percentage is taken of their sum.
    pub(crate) fn merge_map(
        &mut self,
        maps: &[(usize, &KeyStatsMap)],
        denominator: u64,
        what: &dyn Fn(&str) -> String,
    ) -> Result<KeyStatsMap, MergeError> {
        let mut by_key: BTreeMap<&str, Vec<(usize, &KeyStats)>> = BTreeMap::new();
        for (src, map) in maps {
            for (k, ks) in *map {
                by_key.entry(k.as_str()).or_default().push((*src, ks));
            }
        }
        let mut out = KeyStatsMap::new();
        for (key, group) in by_key {
            let ks = self.merge_key(&group, denominator, &|| what(key))?;
            out.insert(key.to_string(), ks);
        }
        Ok(out)
    }

    /// Merges one key's statistics across sources.
    pub(crate) fn merge_key(
        &mut self,
        group: &[(usize, &KeyStats)],
        denominator: u64,
        what: &dyn Fn() -> String,
    ) -> Result<KeyStats, MergeError> {
        if let [(_, only)] = group
            && only.percentage == percentage(only.count, denominator)
            && only.value_samples.len() <= self.samples
        {
            return Ok(KeyStats {
                occ_hll: None,
                ..(*only).clone()
            });
        }
        let count = group.iter().map(|(_, k)| k.count).sum();
        let parts: Vec<Est<'_>> = group
            .iter()
            .map(|(src, k)| Est {
                src: *src,
                estimate: k.estimated_cardinality,
                sketch: k.sketch.as_deref(),
                approximate: k.approximate,
            })
            .collect();
        let m = self.union(&parts, what)?;
        Ok(KeyStats {
            count,
            percentage: percentage(count, denominator),
            // A sketch's error can put the union above the occurrences; never more distinct
            // values than occurrences.
            estimated_cardinality: m.estimate.min(count),
            value_samples: union_samples(group.iter().map(|(_, k)| &k.value_samples), self.samples),
            sketch: m.sketch.map(Box::new),
            approximate: m.approximate,
            occ_hll: None,
            evidence: merge_evidence(group.iter().map(|(_, k)| k.evidence.as_deref()), m.estimate)
                .map(Box::new),
        })
    }
}

/// The evidence of one key across sources, judged again; `distinct` is the merged estimate.
/// None when any source has none (older sessions, OCC imports: unknown stays unknown).
pub(crate) fn merge_evidence<'a>(
    mut parts: impl Iterator<Item = Option<&'a KeyEvidence>>,
    distinct: u64,
) -> Option<KeyEvidence> {
    let mut acc = parts.next()??.clone();
    for p in parts {
        acc = acc.merge(p?, distinct);
    }
    acc.distinct = distinct;
    acc.rejudge();
    Some(acc)
}

pub use crate::session::percentage;

/// Distinct samples in first-seen order, at most `cap`.
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
}
