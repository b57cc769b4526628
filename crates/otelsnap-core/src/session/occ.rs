//! OCC (OTLP Cardinality Checker) compatibility: what its exports carry that ours do not.
//!
//! OCC writes its own dense HyperLogLog registers (`hll`, `series_hll`); they cannot be merged
//! with ours, so keys that carry only those keep OCC's estimate and are marked `approximate`.
//! `size_bytes`, span `name_patterns` and `data.watched_attributes` are accepted and dropped,
//! with a note in `notes` that `show` prints.

use super::model::{KeyStatsMap, Session};

/// Lowers every estimate above its occurrence count to the count: there are never more
/// distinct values than occurrences, nor more series than data points, whatever a sketch
/// (ours at its error margin, OCC's, or an older file's) said. Returns how many were lowered.
pub fn clamp_estimates(s: &mut Session) -> usize {
    fn clamp(est: &mut u64, count: u64, n: &mut usize) {
        if *est > count {
            *est = count;
            *n += 1;
        }
    }
    fn keys(m: &mut KeyStatsMap, n: &mut usize) {
        for ks in m.values_mut() {
            clamp(&mut ks.estimated_cardinality, ks.count, n);
        }
    }
    let mut n = 0usize;
    for m in &mut s.data.metrics {
        keys(&mut m.label_keys, &mut n);
        keys(&mut m.resource_keys, &mut n);
        let points = m.sample_count.max(m.data_point_count);
        clamp(&mut m.active_series, points, &mut n);
    }
    for sp in &mut s.data.spans {
        keys(&mut sp.attribute_keys, &mut n);
        keys(&mut sp.resource_keys, &mut n);
        keys(&mut sp.link_attribute_keys, &mut n);
        for ev in sp.event_attribute_keys.values_mut() {
            keys(ev, &mut n);
        }
    }
    for l in &mut s.data.logs {
        keys(&mut l.attribute_keys, &mut n);
        keys(&mut l.resource_keys, &mut n);
    }
    for a in &mut s.data.attributes {
        clamp(&mut a.estimated_cardinality, a.count, &mut n);
    }
    n
}

/// Marks keys without a mergeable sketch, lowers estimates above their occurrence counts, and
/// records what OCC fields were not kept.
pub fn normalize(s: &mut Session) {
    let clamped = clamp_estimates(s);
    if clamped > 0 {
        s.notes.push(format!(
            "{clamped} estimates above their occurrence counts were lowered to the counts (a sketch's error, or an OCC export)"
        ));
    }
    let mut occ_sketches = 0usize;
    // Files we wrote always name their producer; only foreign files need OCC's gaps filled.
    let foreign = s.producer.is_none();
    // A baseline (`export --baseline`) dropped its sketches on purpose and kept the marks it
    // had: its estimates are as good as the full session's, so diffs must read the same.
    let baseline = s.baseline;
    let mark = |m: &mut KeyStatsMap, occ_sketches: &mut usize| {
        for ks in m.values_mut() {
            if ks.occ_hll.take().is_some() {
                *occ_sketches += 1;
            }
            if !baseline && ks.sketch.is_none() && ks.estimated_cardinality > 0 {
                ks.approximate = true;
            }
        }
    };
    for m in s.data.key_maps_mut() {
        mark(m, &mut occ_sketches);
    }
    for m in &mut s.data.metrics {
        if m.occ_series_hll.take().is_some() {
            occ_sketches += 1;
        }
        if !baseline && m.series_sketch.is_none() && m.active_series > 0 {
            m.series_approximate = true;
        }
        if foreign && m.data_point_count == 0 {
            // OCC has only sample_count, which counts data points.
            m.data_point_count = m.sample_count;
        }
    }
    let mut patterns = 0usize;
    for sp in &mut s.data.spans {
        if let Some(p) = sp.name_patterns.take() {
            patterns += p.as_array().map_or(0, Vec::len);
        }
    }
    for a in &mut s.data.attributes {
        if a.occ_hll.take().is_some() {
            occ_sketches += 1;
        }
        if !baseline && a.sketch.is_none() && a.estimated_cardinality > 0 {
            a.approximate = true;
        }
    }
    if occ_sketches > 0 {
        s.notes.push(format!(
            "{occ_sketches} OCC HyperLogLog sketches were read; their estimates are kept but cannot be merged (marked approximate)"
        ));
    }
    if patterns > 0 {
        s.notes
            .push(format!("{patterns} OCC span name patterns were ignored"));
    }
    if let Some(w) = s.data.watched_attributes.take() {
        let n = w.as_array().map_or(0, Vec::len);
        s.notes
            .push(format!("{n} OCC watched attributes were ignored"));
    }
    if s.size_bytes.take().is_some() {
        // OCC's size_bytes describes its own file; ours is measured on disk. Nothing to note.
    }
    if !s.notes.is_empty() {
        s.notes.sort();
        s.notes.dedup();
    }
}
