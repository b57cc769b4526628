//! (+) Evidence that a key is bounded or unbounded, and the verdict drawn from it.
//!
//! A capture in CI is small: a new label holding a request id has a few dozen values, far below
//! any count rule. What a small capture does have is the *shape* of the values (48 UUIDs are not
//! an HTTP method), how the distinct count *grew* with new data (bounded keys level off), and
//! how *unique* the values are per series or item. [`KeyEvidence`] keeps that, never the values:
//! a profile of shape classes over a uniform sample of the distinct values, growth checkpoints,
//! and the verdict [`judge`] draws from them.
//!
//! Merge ([`KeyEvidence::merge`]): the value samples are unions of hash-selected sets (a value is
//! in a sample when its hash has at least `level` leading zeros; the union is cut back to
//! [`SAMPLE_CAP`] by raising the level), so the merged sample is the sample of the union of the
//! values; units add up; checkpoints at the same threshold keep the larger distinct count (the
//! strongest growth any source saw at that stage); the distinct count is the merged key's
//! estimate from its united sketch. Each step is commutative and associative, so is the whole,
//! and the verdict is recomputed from the result. Absent evidence (older sessions, OCC imports)
//! reads as `unknown`, and a merge with a source that has none has none.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::SortedMap;

/// Distinct values kept in a key's shape sample.
pub const SAMPLE_CAP: usize = 64;
/// Growth checkpoints are taken when the units reach `FIRST_CHECKPOINT << k`.
pub const FIRST_CHECKPOINT: u64 = 4;
/// At most this many checkpoints (units up to 4 × 2^39).
pub const MAX_CHECKPOINTS: usize = 40;

/// Whether a key's values are a closed set.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The values level off: a closed set.
    Bounded,
    /// The values look like identifiers or keep growing with traffic.
    Unbounded,
    /// Not enough evidence either way (also: no evidence recorded).
    #[default]
    Unknown,
}

impl Verdict {
    /// The lowercase name used in files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Bounded => "bounded",
            Verdict::Unbounded => "unbounded",
            Verdict::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The shape class of one value. The first nine look like identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Shape {
    /// `8-4-4-4-12` hex groups.
    Uuid = 0,
    /// A long hexadecimal token.
    Hex = 1,
    /// A random-looking token (base64 or mixed alphabet).
    Token = 2,
    /// An integer of many digits.
    LongNumber = 3,
    /// An e-mail address.
    Email = 4,
    /// An IPv4 or IPv6 address.
    Ip = 5,
    /// A date, time or epoch timestamp.
    Timestamp = 6,
    /// A URL or path with an id-like segment.
    PathWithId = 7,
    /// Free text carrying ids or numbers.
    TextWithIds = 8,
    /// `true`/`false` and the like.
    Bool = 9,
    /// An integer of a few digits.
    SmallNumber = 10,
    /// A word from a small vocabulary.
    Word = 11,
    /// A short code such as `us-east-1` or `E42`.
    Code = 12,
    /// A path or URL without ids.
    Path = 13,
    /// Short free text.
    Text = 14,
    /// The empty string.
    Empty = 15,
    /// Anything else.
    Other = 16,
}

impl Shape {
    /// Every class, in code order.
    pub const ALL: [Shape; 17] = [
        Shape::Uuid,
        Shape::Hex,
        Shape::Token,
        Shape::LongNumber,
        Shape::Email,
        Shape::Ip,
        Shape::Timestamp,
        Shape::PathWithId,
        Shape::TextWithIds,
        Shape::Bool,
        Shape::SmallNumber,
        Shape::Word,
        Shape::Code,
        Shape::Path,
        Shape::Text,
        Shape::Empty,
        Shape::Other,
    ];

    /// The name used in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Uuid => "uuid",
            Shape::Hex => "hex",
            Shape::Token => "token",
            Shape::LongNumber => "long_number",
            Shape::Email => "email",
            Shape::Ip => "ip",
            Shape::Timestamp => "timestamp",
            Shape::PathWithId => "path_with_id",
            Shape::TextWithIds => "text_with_ids",
            Shape::Bool => "bool",
            Shape::SmallNumber => "small_number",
            Shape::Word => "word",
            Shape::Code => "code",
            Shape::Path => "path",
            Shape::Text => "text",
            Shape::Empty => "empty",
            Shape::Other => "other",
        }
    }

    /// How a person would name a few values of this class ("look like …").
    pub fn plural(self) -> &'static str {
        match self {
            Shape::Uuid => "UUIDs",
            Shape::Hex => "long hex strings",
            Shape::Token => "random tokens",
            Shape::LongNumber => "many-digit numbers",
            Shape::Email => "e-mail addresses",
            Shape::Ip => "IP addresses",
            Shape::Timestamp => "timestamps or dates",
            Shape::PathWithId => "paths carrying ids",
            Shape::TextWithIds => "free text with ids or numbers",
            Shape::Bool => "booleans",
            Shape::SmallNumber => "small numbers",
            Shape::Word => "words",
            Shape::Code => "short codes",
            Shape::Path => "paths without ids",
            Shape::Text => "text",
            Shape::Empty => "empty strings",
            Shape::Other => "other values",
        }
    }

    /// Whether values of this class are typically identifiers (one per request, user, …).
    pub fn is_id_like(self) -> bool {
        (self as u8) <= Shape::TextWithIds as u8
    }

    /// The class with this code.
    pub fn from_code(c: u8) -> Option<Shape> {
        Shape::ALL.get(usize::from(c)).copied()
    }

    /// The class with this profile name.
    pub fn from_name(s: &str) -> Option<Shape> {
        Shape::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

/// (+) The evidence about one key and the verdict drawn from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyEvidence {
    /// bounded, unbounded or unknown.
    pub verdict: Verdict,
    /// 0 to 1, two decimals.
    pub confidence: f64,
    /// One line a person can check against the numbers below (absent in a baseline for a key
    /// that is not unbounded: see [`KeyEvidence::reduce_for_baseline`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Shape class → how many of the sampled distinct values have it. A sorted vector, not a
    /// `BTreeMap` (same order, same JSON): every key of a large capture holds one, and a
    /// `BTreeMap` node costs hundreds of bytes for the one or two classes most keys have.
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub profile: SortedMap<u64>,
    /// Each sampled value stands for 2^level distinct values (0: every distinct value is in
    /// the sample).
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub sample_level: u8,
    /// The sample itself, for merging: base64 of 9-byte entries (value hash little-endian,
    /// class code), ascending by hash.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sample: String,
    /// New data that carried the key: for metrics, data points of a new series or with a new
    /// value (a cumulative point re-sent unchanged is not new); for spans, events, links and
    /// logs, each occurrence.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub units: u64,
    /// Distinct values at the end.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub distinct: u64,
    /// `[units, distinct]` when the units reached 4, 8, 16, …
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub growth: Vec<[u64; 2]>,
}

/// `1234567` → `1,234,567` (reasons are stored text, written once at capture).
pub fn with_commas(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn is_zero_u8(x: &u8) -> bool {
    *x == 0
}

fn is_zero_u64(x: &u64) -> bool {
    *x == 0
}

/// A uniform sample of distinct values by hash: hashes with at least `level` leading zeros.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShapeSample {
    /// Leading zero bits a hash needs to be kept; raised when the sample fills.
    pub level: u8,
    /// (hash, class code), ascending by hash, at most [`SAMPLE_CAP`].
    pub entries: Vec<(u64, u8)>,
}

impl ShapeSample {
    /// Whether a value with hash `h` belongs in the sample at the current level.
    #[inline]
    pub fn selects(&self, h: u64) -> bool {
        h.leading_zeros() >= u32::from(self.level)
    }

    /// Whether `h` is already in the sample.
    pub fn contains(&self, h: u64) -> bool {
        self.entries.binary_search_by(|e| e.0.cmp(&h)).is_ok()
    }

    /// Adds a selected value not yet present; raises the level while over capacity.
    pub fn insert(&mut self, h: u64, class: u8) {
        if let Err(i) = self.entries.binary_search_by(|e| e.0.cmp(&h)) {
            self.entries.insert(i, (h, class));
            self.shrink();
        }
    }

    fn shrink(&mut self) {
        while self.entries.len() > SAMPLE_CAP && self.level < 64 {
            self.level += 1;
            let l = u32::from(self.level);
            self.entries.retain(|e| e.0.leading_zeros() >= l);
        }
    }

    /// The sample of the union of both sources' values.
    pub fn merge(&mut self, other: &ShapeSample) {
        self.level = self.level.max(other.level);
        let l = u32::from(self.level);
        let mut all: BTreeMap<u64, u8> = BTreeMap::new();
        for (h, c) in self.entries.iter().chain(other.entries.iter()) {
            if h.leading_zeros() >= l {
                // Same hash, same value, same class; min keeps it symmetric anyway.
                let e = all.entry(*h).or_insert(*c);
                *e = (*e).min(*c);
            }
        }
        self.entries = all.into_iter().collect();
        self.shrink();
    }

    /// Counts per class.
    pub fn profile(&self) -> SortedMap<u64> {
        let mut p: BTreeMap<&'static str, u64> = BTreeMap::new();
        for (_, c) in &self.entries {
            let name = Shape::from_code(*c).unwrap_or(Shape::Other).as_str();
            *p.entry(name).or_insert(0) += 1;
        }
        p.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// The base64 form stored in [`KeyEvidence::sample`].
    pub fn encode(&self) -> String {
        let mut b = Vec::with_capacity(self.entries.len() * 9);
        for (h, c) in &self.entries {
            b.extend_from_slice(&h.to_le_bytes());
            b.push(*c);
        }
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    /// Reads [`Self::encode`]'s form back; None when it is not one.
    pub fn decode(level: u8, s: &str) -> Option<ShapeSample> {
        let b = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
        if b.len() % 9 != 0 || b.len() / 9 > SAMPLE_CAP {
            return None;
        }
        let mut entries = Vec::with_capacity(b.len() / 9);
        for ch in b.chunks_exact(9) {
            let mut h = [0u8; 8];
            h.copy_from_slice(&ch[..8]);
            entries.push((u64::from_le_bytes(h), ch[8]));
        }
        entries.sort_unstable();
        entries.dedup_by_key(|e| e.0);
        Some(ShapeSample { level, entries })
    }
}

impl KeyEvidence {
    /// Builds the evidence and judges it.
    pub fn new(sample: &ShapeSample, units: u64, distinct: u64, growth: Vec<[u64; 2]>) -> Self {
        let mut ev = KeyEvidence {
            verdict: Verdict::Unknown,
            confidence: 0.0,
            reason: String::new(),
            profile: sample.profile(),
            sample_level: sample.level,
            sample: sample.encode(),
            units,
            distinct,
            growth,
        };
        ev.rejudge();
        ev
    }

    /// Drops the value-hash sample (merge state, like a sketch); the profile, growth and
    /// verdict a diff reads stay.
    pub fn drop_sample(&mut self) {
        self.sample.clear();
        self.sample_level = 0;
    }

    /// Keeps what a diff reads and nothing a merge would need: for an unbounded key, its
    /// verdict, confidence, reason, counts and the one growth checkpoint
    /// [`KeyEvidence::late_growth`] projects from; for any other key, its verdict and
    /// confidence (a diff only asks whether it was unbounded before).
    pub fn reduce_for_baseline(&mut self) {
        self.drop_sample();
        if self.verdict == Verdict::Unbounded {
            self.growth = self.late_checkpoint().into_iter().collect();
        } else {
            self.reason = String::new();
            self.profile = SortedMap::new();
            self.units = 0;
            self.distinct = 0;
            self.growth = Vec::new();
        }
    }

    /// The sample, decoded (an unreadable one reads as empty).
    pub fn shape_sample(&self) -> ShapeSample {
        ShapeSample::decode(self.sample_level, &self.sample).unwrap_or_default()
    }

    /// Recomputes verdict, confidence and reason from the evidence.
    pub fn rejudge(&mut self) {
        let j = judge(self);
        self.verdict = j.verdict;
        self.confidence = j.confidence;
        self.reason = j.reason;
    }

    /// Combines the evidence of the same key from two sources; `distinct` is the merged key's
    /// estimate (from its united sketch). See the module doc for why this is a lawful merge.
    pub fn merge(&self, other: &KeyEvidence, distinct: u64) -> KeyEvidence {
        let mut s = self.shape_sample();
        s.merge(&other.shape_sample());
        let mut growth: BTreeMap<u64, u64> = BTreeMap::new();
        for [u, d] in self.growth.iter().chain(other.growth.iter()) {
            let e = growth.entry(*u).or_insert(0);
            *e = (*e).max(*d);
        }
        KeyEvidence::new(
            &s,
            self.units.saturating_add(other.units),
            distinct,
            growth.into_iter().map(|(u, d)| [u, d]).collect(),
        )
    }

    /// The last checkpoint in the first half of the capture (from which the late rate runs).
    fn late_checkpoint(&self) -> Option<[u64; 2]> {
        let half = self.units / 2;
        self.growth
            .iter()
            .rfind(|[u, _]| *u <= half && *u >= FIRST_CHECKPOINT)
            .copied()
    }

    /// Distinct values per unit of new data in the later half of the capture, when a
    /// checkpoint marks that half.
    pub fn late_growth(&self) -> Option<(u64, u64, f64)> {
        let [u, d] = self.late_checkpoint()?;
        let du = self.units.checked_sub(u).filter(|x| *x > 0)?;
        let dd = self.distinct.saturating_sub(d);
        Some((du, dd, dd as f64 / du as f64))
    }
}

/// A verdict with its confidence and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The verdict.
    pub verdict: Verdict,
    /// 0 to 1, two decimals.
    pub confidence: f64,
    /// One line a person can check.
    pub reason: String,
}

/// Distinct values a shape verdict needs at least: below this, a few id-like values are as
/// likely a handful of pods or hosts as one per request.
pub const MIN_DISTINCT_SHAPE: u64 = 10;
/// Distinct values a verdict from growth alone needs at least.
pub const MIN_DISTINCT_GROWTH: u64 = 200;
/// Units a bounded verdict needs at least.
pub const MIN_UNITS_BOUNDED: u64 = 20;

fn round2(x: f64) -> f64 {
    (x.clamp(0.0, 1.0) * 100.0).round() / 100.0
}

/// Judges evidence. The rules, in order:
/// 1. no new data or no values → unknown;
/// 2. at least [`MIN_DISTINCT_SHAPE`] distinct values, ≥ 80% of the sampled ones id-like, and
///    values still arriving (distinct ≥ half the units, or ≥ half of the later half's units
///    brought a new value) → unbounded;
/// 3. at least [`MIN_DISTINCT_GROWTH`] distinct values, mostly not id-like, still arriving at
///    that rate in the later half and overall → unbounded;
/// 4. fewer than half id-like, at least [`MIN_UNITS_BOUNDED`] units, and levelled off (the later
///    half brought at most one new value per five units, or distinct ≤ a tenth of the units)
///    → bounded;
/// 5. otherwise unknown.
pub fn judge(ev: &KeyEvidence) -> Judgement {
    let sample = ev.shape_sample();
    let n = sample.entries.len() as u64;
    let mut by_class = [0u64; Shape::ALL.len()];
    for (_, c) in &sample.entries {
        by_class[usize::from((*c).min(Shape::Other as u8))] += 1;
    }
    let id: u64 = Shape::ALL
        .iter()
        .filter(|c| c.is_id_like())
        .map(|c| by_class[*c as usize])
        .sum();
    let dominant = |id_like: bool| {
        Shape::ALL
            .iter()
            .copied()
            .filter(|c| c.is_id_like() == id_like)
            .max_by_key(|c| (by_class[*c as usize], std::cmp::Reverse(*c as u8)))
            .unwrap_or(Shape::Other)
    };
    let (u, d) = (ev.units, ev.distinct);
    if u == 0 || d == 0 || n == 0 {
        return Judgement {
            verdict: Verdict::Unknown,
            confidence: 0.0,
            reason: "no new data carried this key".into(),
        };
    }
    let share = id as f64 / n as f64;
    let uniq = d as f64 / u as f64;
    let late = ev.late_growth();
    let late_rate = late.map(|l| l.2);
    let c = with_commas;
    let of = if ev.sample_level == 0 {
        format!("{id} of {n} values")
    } else {
        format!("{id} of {n} sampled values (of ~{})", c(d))
    };
    let growth_text = match late {
        Some((du, dd, _)) => format!(
            "the last {} new data points brought {} new values",
            c(du),
            c(dd)
        ),
        None => format!("{} new data points brought {} distinct values", c(u), c(d)),
    };
    if d >= MIN_DISTINCT_SHAPE
        && share >= 0.8
        && (uniq >= 0.5 || late_rate.is_some_and(|r| r >= 0.5))
    {
        let size = (d as f64 / 50.0).min(1.0);
        return Judgement {
            verdict: Verdict::Unbounded,
            confidence: round2(0.5 + 0.49 * share * size),
            reason: format!("{of} look like {}; {growth_text}", dominant(true).plural()),
        };
    }
    if d >= MIN_DISTINCT_GROWTH && uniq >= 0.5 && late_rate.is_some_and(|r| r >= 0.5) {
        return Judgement {
            verdict: Verdict::Unbounded,
            confidence: round2(0.5 + 0.3 * late_rate.unwrap_or(0.0).min(1.0)),
            reason: format!("values keep growing with new data: {growth_text}"),
        };
    }
    let levelled = late_rate.is_some_and(|r| r <= 0.2) || d * 10 <= u;
    if share < 0.5 && u >= MIN_UNITS_BOUNDED && levelled {
        let flat = 1.0 - late_rate.unwrap_or(uniq).min(1.0);
        let size = ((u as f64).log2() / 11.0).min(1.0);
        return Judgement {
            verdict: Verdict::Bounded,
            confidence: round2(0.4 + 0.59 * flat * size),
            reason: format!(
                "{} distinct values over {} new data points, levelling off ({growth_text}); most look like {}",
                c(d),
                c(u),
                dominant(false).plural()
            ),
        };
    }
    let why = if share >= 0.8 {
        format!(
            "{of} look like {} but only {} distinct over {} new data points",
            dominant(true).plural(),
            c(d),
            c(u)
        )
    } else {
        format!(
            "{} distinct values over {} new data points: not levelled off yet, and they do not look like identifiers",
            c(d),
            c(u)
        )
    };
    Judgement {
        verdict: Verdict::Unknown,
        confidence: 0.0,
        reason: why,
    }
}

/// The verdict of optional evidence (none reads as unknown).
pub fn verdict_of(ev: Option<&KeyEvidence>) -> Verdict {
    ev.map_or(Verdict::Unknown, |e| e.verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_of(classes: &[(u64, Shape)]) -> ShapeSample {
        let mut s = ShapeSample::default();
        for (h, c) in classes {
            if s.selects(*h) {
                s.insert(*h, *c as u8);
            }
        }
        s
    }

    #[test]
    fn sample_round_trips_and_caps() {
        let mut s = ShapeSample::default();
        for i in 0..1000u64 {
            let h = crate::sketch::hash_value(&i.to_le_bytes());
            if s.selects(h) {
                s.insert(h, (i % 17) as u8);
            }
        }
        assert!(s.entries.len() <= SAMPLE_CAP && s.level > 0);
        assert!(s.entries.iter().all(|e| s.selects(e.0)));
        let back = ShapeSample::decode(s.level, &s.encode()).unwrap();
        assert_eq!(back, s);
        assert!(ShapeSample::decode(0, "AAA=").is_none());
    }

    #[test]
    fn uuids_one_per_series_are_unbounded_and_say_why() {
        let s = sample_of(
            &(1..=48)
                .map(|i| (i * 7919, Shape::Uuid))
                .collect::<Vec<_>>(),
        );
        let ev = KeyEvidence::new(&s, 48, 48, vec![[4, 4], [8, 8], [16, 16], [32, 32]]);
        assert_eq!(ev.verdict, Verdict::Unbounded);
        assert!(ev.confidence > 0.9, "{}", ev.confidence);
        assert_eq!(
            ev.reason,
            "48 of 48 values look like UUIDs; the last 32 new data points brought 32 new values"
        );
    }

    #[test]
    fn a_few_words_levelling_off_are_bounded() {
        let s = sample_of(&(1..=4).map(|i| (i, Shape::Word)).collect::<Vec<_>>());
        let ev = KeyEvidence::new(&s, 200, 4, vec![[4, 3], [8, 4], [16, 4], [32, 4], [64, 4]]);
        assert_eq!(ev.verdict, Verdict::Bounded, "{}", ev.reason);
        assert!(ev.reason.contains("levelling off"), "{}", ev.reason);
    }

    #[test]
    fn few_id_like_values_are_not_unbounded() {
        // Three pods' uids on 100 points: id-shaped, but a closed set so far.
        let s = sample_of(&[(1, Shape::Uuid), (2, Shape::Uuid), (3, Shape::Uuid)]);
        let ev = KeyEvidence::new(&s, 100, 3, vec![[4, 3], [8, 3], [16, 3], [32, 3], [64, 3]]);
        assert_ne!(ev.verdict, Verdict::Unbounded);
    }

    #[test]
    fn growth_alone_needs_many_values() {
        let words: Vec<(u64, Shape)> = (1..=64).map(|i| (i, Shape::Word)).collect();
        let s = sample_of(&words);
        let grow = |n: u64| {
            let mut g = Vec::new();
            let mut u = FIRST_CHECKPOINT;
            while u <= n {
                g.push([u, u * 9 / 10]);
                u *= 2;
            }
            g
        };
        let small = KeyEvidence::new(&s, 150, 140, grow(150));
        assert_eq!(small.verdict, Verdict::Unknown);
        let big = KeyEvidence::new(&s, 2000, 1800, grow(2000));
        assert_eq!(big.verdict, Verdict::Unbounded, "{}", big.reason);
    }

    #[test]
    fn no_data_is_unknown() {
        let ev = KeyEvidence::new(&ShapeSample::default(), 0, 0, vec![]);
        assert_eq!(ev.verdict, Verdict::Unknown);
        assert_eq!(verdict_of(None), Verdict::Unknown);
    }

    #[test]
    fn merge_unions_samples_and_adds_units() {
        let a = KeyEvidence::new(
            &sample_of(&[(1, Shape::Uuid), (2, Shape::Uuid)]),
            2,
            2,
            vec![],
        );
        let b = KeyEvidence::new(
            &sample_of(&[(2, Shape::Uuid), (3, Shape::Word)]),
            5,
            2,
            vec![[4, 2]],
        );
        let m = a.merge(&b, 3);
        assert_eq!(m.units, 7);
        assert_eq!(m.shape_sample().entries.len(), 3);
        assert_eq!(m.profile.get("uuid"), Some(&2));
        assert_eq!(m.growth, vec![[4, 2]]);
        assert_eq!(m, b.merge(&a, 3));
    }

    #[test]
    fn classes_round_trip_names_and_codes() {
        for c in Shape::ALL {
            assert_eq!(Shape::from_code(c as u8), Some(c));
            assert_eq!(Shape::from_name(c.as_str()), Some(c));
        }
        assert!(Shape::TextWithIds.is_id_like() && !Shape::Bool.is_id_like());
    }
}
