//! Merge: combine sessions with exact HyperLogLog unions.
//!
//! [`Merger`] folds sources in one at a time (issue #15): each source's items are moved into
//! per-item accumulators (`items`), whose keys keep running counts, sample lists, sketch
//! unions and evidence (`keys`), and the source is dropped; `finish` settles percentages,
//! estimates, verdicts and conflicts. So a merge of N sessions holds the result so far and the
//! source being folded, not all N. [`merge`] folds a slice of sessions the same way. Both are
//! pure: nothing is printed or written. The rules (issue #6):
//!
//! | field | rule |
//! |---|---|
//! | sample, key, data point and template counts | summed |
//! | sketches (keys, attributes, active series) | HyperLogLog union; estimate recomputed from it |
//! | percentages | recomputed from the merged counts |
//! | value samples | union in first-seen order (source order), capped at the samples limit |
//! | first_seen / last_seen, capture window | earliest / latest |
//! | observed time (what rates are per) | union of the sources' windows, overlaps counted once |
//! | estimates (distinct values, active series) | never above the merged occurrence count |
//! | incompleteness | an item is incomplete when any source's is; refusals summed |
//! | services | union of the maps, counts summed |
//! | key sets, event names, status codes, bucket bounds, scales | union |
//! | body templates | identical templates merged: counts summed, the first example kept |
//! | an estimate with no mergeable sketch | the largest estimate, marked approximate |
//! | same metric name, different type or unit | the variant with more samples is kept; the other's type/unit is recorded as a conflict and warned about |
//!
//! Every estimate and count is independent of the order of the sources and of how a merge of
//! many is grouped into merges of two (property-tested in `tests/merge_props.rs`, and at
//! N = 20 against pairwise merges and one capture of everything in `tests/merge_laws.rs`), with one
//! exception: a metric whose type or unit differs between sources keeps one variant and drops
//! the others' data, so which variant wins can depend on the grouping.
//!
//! `--services` keeps the items (metrics, span names, severities) seen from any of the listed
//! services and trims their service maps to those services; their other counts cannot be split
//! by service and are kept whole. With either filter, the attribute catalog keeps only the keys
//! that still occur on a kept item.

mod dense;
mod items;
mod keys;
#[cfg(test)]
mod tests;

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use items::{AttrAcc, LogAcc, MetricAcc, SpanAcc};
use keys::KeyCtx;
pub use keys::percentage;

use crate::session::model::{
    CaptureInfo, Completeness, KeyStatsMap, Observed, Producer, Session, SessionData, Signal,
    now_utc,
};
use crate::sketch::SketchError;

/// Threads to settle `metrics` metrics on: up to four, none for fewer than 2,000 each.
fn finish_threads(metrics: usize) -> usize {
    /// Fewer metrics than this are settled on the calling thread.
    const PER_THREAD: usize = 2_000;
    std::thread::available_parallelism()
        .map_or(1, |n| n.get().min(4))
        .min(metrics / PER_THREAD)
        .max(1)
}

/// Settles the metrics on `threads` threads, each a contiguous run of them in name order: for
/// a ten-session merge of 93,000 metrics this was a quarter of a second on one core while the
/// other waited. The result, the warnings' order, the first error and the tallies are those of
/// settling them one after another (`tests::settling_on_threads_is_settling_in_order`).
fn finish_metrics(
    ctx: &mut KeyCtx,
    metrics: BTreeMap<String, MetricAcc>,
    samples: usize,
    keep: Option<&BTreeSet<String>>,
    warnings: &mut Vec<String>,
    threads: usize,
) -> Result<Vec<crate::session::MetricMeta>, MergeError> {
    let threads = threads.clamp(1, metrics.len().max(1));
    let mut runs: Vec<Vec<(String, MetricAcc)>> = Vec::with_capacity(threads);
    let per = metrics.len().div_ceil(threads).max(1);
    let mut run = Vec::with_capacity(per);
    for item in metrics {
        run.push(item);
        if run.len() == per {
            runs.push(std::mem::replace(&mut run, Vec::with_capacity(per)));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    let settle = |mut ctx: KeyCtx, run: Vec<(String, MetricAcc)>| {
        let mut warnings = Vec::new();
        let mut out = Vec::with_capacity(run.len());
        for (name, acc) in run {
            out.push(acc.finish(&mut ctx, name, samples, keep, &mut warnings)?);
        }
        Ok::<_, MergeError>((out, warnings, ctx))
    };
    let (start_decoded, start_approximate) = (ctx.decoded, ctx.approximate_keys);
    let done: Vec<_> = if runs.len() == 1 {
        runs.into_iter().map(|r| settle(ctx.clone(), r)).collect()
    } else {
        std::thread::scope(|sc| {
            let handles: Vec<_> = runs
                .into_iter()
                .map(|r| {
                    let c = ctx.clone();
                    sc.spawn(move || settle(c, r))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    let mut all = Vec::new();
    for r in done {
        let (out, w, c) = r?;
        all.extend(out);
        warnings.extend(w);
        ctx.decoded += c.decoded - start_decoded;
        ctx.approximate_keys += c.approximate_keys - start_approximate;
    }
    Ok(all)
}

/// Samples kept per key when the sources do not show their limit (the analyzer's default).
pub const DEFAULT_SAMPLES: usize = 5;

/// What to merge into and what to keep.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// Id of the result.
    pub id: String,
    /// Description of the result; `None` writes "merge of a, b, c".
    pub description: Option<String>,
    /// Keep only these signals (`None` = all).
    pub signals: Option<BTreeSet<Signal>>,
    /// Keep only items seen from these services (`None` = all).
    pub services: Option<BTreeSet<String>>,
    /// Value samples kept per key; `None` infers the sources' limit (see [`samples_limit`]).
    pub samples: Option<usize>,
    /// Creation time written into the result.
    pub created: DateTime<Utc>,
}

impl MergeOptions {
    /// Options for a result named `id`, created now, keeping everything.
    pub fn new(id: impl Into<String>) -> Self {
        MergeOptions {
            id: id.into(),
            description: None,
            signals: None,
            services: None,
            samples: None,
            created: now_utc(),
        }
    }
}

/// The merged session and what the caller should warn about.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The result, canonicalized.
    pub session: Session,
    /// One line each, without a `warning:` prefix.
    pub warnings: Vec<String>,
    /// Sketches decoded for unions (for benchmarks: identical sketches are not decoded).
    pub sketches_decoded: u64,
}

/// Why sessions could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No sources were given.
    #[error("nothing to merge: give at least one session")]
    Empty,
    #[error(
        "cannot merge {what}: '{a}' and '{b}' hold sketches that cannot be combined ({reason}); re-capture or re-import them with the same otelsnap version"
    )]
    /// Two sources hold sketches of different precisions or encodings.
    Incompatible {
        /// The item and key, for the message.
        what: String,
        /// One source's id.
        a: String,
        /// The other source's id.
        b: String,
        /// Why they cannot be combined.
        reason: SketchError,
    },
    #[error(
        "cannot merge {what}: the sketch in '{source_id}' is unreadable ({reason}); re-capture or re-import that session"
    )]
    /// A source's sketch does not decode.
    Corrupt {
        /// The item and key, for the message.
        what: String,
        /// The source's id.
        source_id: String,
        /// What is wrong with the sketch.
        reason: SketchError,
    },
}

/// Items in a session: the unit a progress bar counts.
pub fn items_of(s: &Session) -> u64 {
    let d = &s.data;
    (d.metrics.len() + d.spans.len() + d.logs.len() + d.attributes.len()) as u64
}

/// Items in all sources: the unit a progress bar counts.
pub fn item_count(sources: &[Session]) -> u64 {
    sources.iter().map(items_of).sum()
}

/// What one source shows of the samples limit it was captured with: the most samples of any
/// key, and whether some key was cut (has more distinct values than samples).
fn samples_shown(s: &Session) -> (usize, bool) {
    let mut seen = 0usize;
    let mut cut = false;
    let mut visit = |n: usize, card: u64| {
        seen = seen.max(n);
        cut |= card > n as u64;
    };
    let d = &s.data;
    for ks in d.key_maps().flat_map(KeyStatsMap::values) {
        visit(ks.value_samples.len(), ks.estimated_cardinality);
    }
    for a in &d.attributes {
        visit(a.value_samples.len(), a.estimated_cardinality);
    }
    (seen, cut)
}

/// The limit `samples_shown` of all sources imply: the most samples of any key when some key
/// was cut at it, else the larger of that and [`DEFAULT_SAMPLES`].
fn limit_from(seen: usize, cut: bool) -> usize {
    // The most samples of a cut key is never above the most samples of any key, and no limit
    // is below a sample actually kept, whatever a foreign file's keys suggest.
    if cut { seen } else { seen.max(DEFAULT_SAMPLES) }
}

/// The samples limit the sources were captured with, as far as they show it: the most samples
/// of any key that has more distinct values than samples (its samples were cut at the limit);
/// when no key was cut, the larger of the most samples seen and [`DEFAULT_SAMPLES`]. Never
/// below the most samples any key has.
pub fn samples_limit(sources: &[Session]) -> usize {
    let (seen, cut) = sources
        .iter()
        .map(samples_shown)
        .fold((0, false), |(s, c), (s2, c2)| (s.max(s2), c || c2));
    limit_from(seen, cut)
}

/// Merges `sources` into one session.
pub fn merge(sources: &[Session], opts: &MergeOptions) -> Result<MergeOutcome, MergeError> {
    merge_with_progress(sources, opts, &mut |_| {})
}

/// [`merge`], calling `progress(n)` as each `n` source items are done (see [`item_count`]).
/// The sources are folded into a [`Merger`] one at a time (each cloned in turn).
pub fn merge_with_progress(
    sources: &[Session],
    opts: &MergeOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<MergeOutcome, MergeError> {
    if sources.is_empty() {
        return Err(MergeError::Empty);
    }
    let mut opts = opts.clone();
    // Every source is at hand, so the limit is known before the first is folded in.
    opts.samples = Some(opts.samples.unwrap_or_else(|| samples_limit(sources)));
    let mut m = Merger::new(opts);
    for s in sources {
        m.add(s.clone())?;
        progress(items_of(s));
    }
    m.finish()
}

/// A merge of any number of sessions, folded in one at a time: the sources need not all be
/// in memory at once, only the merged result so far (`add` takes each source and drops it).
///
/// The result is the same as [`merge`] of all sources in the order they were added. One thing
/// can be unknown until the last source: the samples limit, when [`MergeOptions::samples`] is
/// `None` (it is inferred from every source's keys). Samples are then kept up to the largest
/// limit seen so far; if a later source raised the limit above one at which some sample was
/// already refused, [`Merger::rerun_samples`] says so and the caller merges again with that
/// limit given (the sources in the same order). With the limit given, one pass is always exact.
#[derive(Debug)]
pub struct Merger {
    opts: MergeOptions,
    ctx: KeyCtx,
    /// The most samples of any key so far, and whether some key was cut.
    shown: (usize, bool),
    metrics: BTreeMap<String, MetricAcc>,
    spans: BTreeMap<(String, i32), SpanAcc>,
    logs: BTreeMap<(String, i32), LogAcc>,
    attributes: BTreeMap<String, AttrAcc>,
    signals: BTreeSet<Signal>,
    notes: Vec<String>,
    capture: Option<CaptureInfo>,
    observed: Vec<Observed>,
    completeness: Completeness,
}

impl Merger {
    /// An empty merge with these options.
    pub fn new(opts: MergeOptions) -> Merger {
        let ctx = KeyCtx {
            cap: opts.samples.unwrap_or(DEFAULT_SAMPLES),
            ..KeyCtx::default()
        };
        Merger {
            opts,
            ctx,
            shown: (0, false),
            metrics: BTreeMap::new(),
            spans: BTreeMap::new(),
            logs: BTreeMap::new(),
            attributes: BTreeMap::new(),
            signals: BTreeSet::new(),
            notes: Vec::new(),
            capture: None,
            observed: Vec::new(),
            completeness: Completeness::default(),
        }
    }

    /// Sources added so far.
    pub fn sources(&self) -> usize {
        self.ctx.ids.len()
    }

    fn want(&self, sig: Signal) -> bool {
        self.opts.signals.as_ref().is_none_or(|s| s.contains(&sig))
    }

    /// True when an item with these services passes `--services`.
    fn keep(&self, services: &crate::session::ServiceCounts) -> bool {
        self.opts
            .services
            .as_ref()
            .is_none_or(|keep| services.keys().any(|s| keep.contains(s.as_str())))
    }

    /// Folds one source in. After an error the merge is unusable (partly folded): drop it.
    pub fn add(&mut self, source: Session) -> Result<(), MergeError> {
        let src = self.ctx.ids.len();
        if self.opts.samples.is_none() {
            let (seen, cut) = samples_shown(&source);
            self.shown = (self.shown.0.max(seen), self.shown.1 || cut);
            // The largest the final limit can still be: never refuse below it.
            self.ctx.cap = self.ctx.cap.max(seen.max(DEFAULT_SAMPLES));
        }
        let Session {
            id,
            signals,
            notes,
            capture,
            observed,
            completeness,
            data,
            ..
        } = source;
        self.ctx.ids.push(id);
        self.signals.extend(signals);
        for n in notes {
            if !self.notes.contains(&n) {
                self.notes.push(n);
            }
        }
        let window = match observed {
            Some(o) => Some(o),
            None => capture
                .as_ref()
                .map(|c| Observed::single("capture", c.started, c.ended)),
        };
        if let Some(w) = window {
            // Kept as one union so far: the union is associative and drops overlaps.
            let so_far = self.observed.pop();
            self.observed = vec![Observed::union(so_far.iter().chain(Some(&w)))];
        }
        if let Some(c) = capture {
            merge_capture(&mut self.capture, c);
        }
        if let Some(c) = &completeness {
            self.completeness.add(c);
        }
        let keep = self.opts.services.clone();
        let keep = keep.as_ref();
        let SessionData {
            metrics,
            spans,
            logs,
            attributes,
            ..
        } = data;
        if self.want(Signal::Metrics) {
            for m in metrics {
                if self.keep(&m.services) {
                    match self.metrics.entry(m.name.clone()) {
                        Entry::Vacant(e) => {
                            e.insert(MetricAcc::One(src, m));
                        }
                        Entry::Occupied(e) => e.into_mut().add(&mut self.ctx, src, m, keep)?,
                    }
                }
            }
        }
        if self.want(Signal::Traces) {
            for sp in spans {
                if self.keep(&sp.services) {
                    let acc = self.spans.entry((sp.name.clone(), sp.kind)).or_default();
                    acc.add(&mut self.ctx, src, sp, keep)?;
                }
            }
        }
        if self.want(Signal::Logs) {
            for l in logs {
                if self.keep(&l.services) {
                    let acc = self
                        .logs
                        .entry((l.severity.clone(), l.severity_number))
                        .or_default();
                    acc.add(&mut self.ctx, src, l, keep)?;
                }
            }
        }
        for a in attributes {
            let acc = self.attributes.entry(a.key.clone()).or_default();
            acc.add(&mut self.ctx, src, a)?;
        }
        Ok(())
    }

    /// The samples limit the merge will keep: the one given, else the one the sources show.
    pub fn samples(&self) -> usize {
        self.opts
            .samples
            .unwrap_or_else(|| limit_from(self.shown.0, self.shown.1))
    }

    /// `Some(limit)` when the value samples of this pass are not exactly those a merge of all
    /// sources at once keeps: a sample was refused while the limit looked smaller than the one
    /// the later sources showed. Merge again with [`MergeOptions::samples`] set to `limit`.
    pub fn rerun_samples(&self) -> Option<usize> {
        let limit = self.samples();
        self.ctx.refused_at.filter(|&at| at < limit).map(|_| limit)
    }

    /// The merged session and its warnings.
    pub fn finish(self) -> Result<MergeOutcome, MergeError> {
        let threads = finish_threads(self.metrics.len());
        self.finish_on(threads)
    }

    /// [`Merger::finish`] settling the metrics on `threads` threads.
    fn finish_on(self, threads: usize) -> Result<MergeOutcome, MergeError> {
        if self.ctx.ids.is_empty() {
            return Err(MergeError::Empty);
        }
        let samples = self.samples();
        let Merger {
            opts,
            mut ctx,
            metrics,
            spans,
            logs,
            attributes,
            mut signals,
            notes,
            capture,
            observed,
            completeness,
            ..
        } = self;
        let mut warnings = Vec::new();
        let mut data = SessionData::default();
        let keep = opts.services.as_ref();
        data.metrics = finish_metrics(&mut ctx, metrics, samples, keep, &mut warnings, threads)?;
        for ((name, kind), acc) in spans {
            data.spans.push(acc.finish(&mut ctx, name, kind, samples)?);
        }
        for ((severity, number), acc) in logs {
            data.logs
                .push(acc.finish(&mut ctx, severity, number, samples)?);
        }
        let kept_keys = (opts.signals.is_some() || opts.services.is_some()).then(|| keys_in(&data));
        for (key, acc) in attributes {
            if kept_keys.as_ref().is_none_or(|k| k.contains(&key)) {
                data.attributes
                    .push(acc.finish(&mut ctx, key, samples, opts.signals.as_ref())?);
            }
        }

        let want = |sig: Signal| opts.signals.as_ref().is_none_or(|s| s.contains(&sig));
        for (sig, present) in [
            (Signal::Metrics, !data.metrics.is_empty()),
            (Signal::Traces, !data.spans.is_empty()),
            (Signal::Logs, !data.logs.is_empty()),
        ] {
            if present {
                signals.insert(sig);
            }
        }
        signals.retain(|s| want(*s));
        if ctx.approximate_keys > 0 {
            warnings.push(format!(
                "{} estimates had no mergeable sketch in some source (imported from OCC?); each is the largest estimate seen and is marked approximate",
                ctx.approximate_keys
            ));
        }

        let ids = std::mem::take(&mut ctx.ids);
        let mut session = Session::new(opts.id.clone());
        session.description = opts
            .description
            .clone()
            .unwrap_or_else(|| format!("merge of {}", ids.join(", ")));
        session.created = opts.created;
        session.signals = signals.into_iter().collect();
        session.capture = capture;
        session.observed = observed.into_iter().next();
        session.producer = Some(Producer::current());
        session.merged_from = ids;
        session.notes = notes;
        session.data = data;
        session.completeness = merge_completeness(completeness, &session.data);
        session.canonicalize();
        Ok(MergeOutcome {
            session,
            warnings,
            sketches_decoded: ctx.decoded,
        })
    }
}

/// Earliest start, latest end, sources united, counters summed.
fn merge_capture(acc: &mut Option<CaptureInfo>, c: CaptureInfo) {
    match acc {
        None => *acc = Some(c),
        Some(o) => {
            o.started = o.started.min(c.started);
            o.ended = o.ended.max(c.ended);
            o.sources.extend(c.sources);
            o.requests += c.requests;
            o.rejected += c.rejected;
            o.dropped += c.dropped;
            o.truncated += c.truncated;
            if o.incomplete.is_none() {
                o.incomplete = c.incomplete;
            }
        }
    }
    if let Some(o) = acc {
        o.sources.sort();
        o.sources.dedup();
    }
}

/// The sources' refusals summed; incomplete items counted again on the merged items.
fn merge_completeness(mut c: Completeness, data: &SessionData) -> Option<Completeness> {
    c.incomplete_items = (data
        .metrics
        .iter()
        .filter(|m| m.incomplete.is_some())
        .count()
        + data.spans.iter().filter(|s| s.incomplete.is_some()).count()
        + data.logs.iter().filter(|l| l.incomplete.is_some()).count())
        as u64;
    (!c.is_complete()).then_some(c)
}

/// Every attribute key that occurs on an item.
fn keys_in(d: &SessionData) -> BTreeSet<String> {
    d.key_maps()
        .flat_map(|m| m.keys().map(String::from))
        .collect()
}
