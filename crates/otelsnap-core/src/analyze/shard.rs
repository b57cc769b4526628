//! The analyzer split into shards by item identity, so that requests are analyzed on several
//! threads at once instead of one after another under a single lock.
//!
//! - **Assignment.** Every item goes to the shard its identity hashes to: a metric by name, a
//!   span by name (all its kinds), a log record by severity text (all its numbers). All the
//!   state of one item (its key maps, sketches, evidence, templates, series) lives in one shard,
//!   and a request's items are ingested in request order, each under its own shard's lock only
//!   (consecutive items of one shard under one acquisition; never two locks at once).
//! - **Global caps.** The caps across items (`max_items` per signal, the key budget, the freeze
//!   of a byte budget) are atomics every shard reserves from ([`super::state::GlobalCaps`]);
//!   the caps within an item are the shard's own. Counters (`dropped` per cap, points, spans,
//!   truncations) are per shard and summed. So a sequential input meets every cap at the same
//!   item as one analyzer does, and the combined analyzer finishes into the same bytes.
//! - **Combining.** [`Sharded::into_analyzer`] and [`Sharded::snapshot`] fold the shards into one
//!   [`Analyzer`]: the item maps are disjoint and simply joined, counters summed, time windows
//!   widened, interned names united; finishing sorts everything, so the session does not depend
//!   on the shard count.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::state::SharedCaps;
use super::{Analyzer, AnalyzerOptions, KEY_BUDGET, LiveCounts, ReqRef, walk};
use crate::otlp::OtlpRequest;

/// An analyzer in shards that threads ingest into at once; see the module documentation.
#[derive(Debug)]
pub struct Sharded {
    opts: Arc<AnalyzerOptions>,
    shards: Box<[Mutex<Analyzer>]>,
    /// The caps every shard reserves from.
    caps: SharedCaps,
    /// Receive times (Unix nanoseconds) of the first and last request seen.
    first_ns: AtomicI64,
    last_ns: AtomicI64,
    /// Strings cut by the length caps before ingesting.
    truncated: AtomicU64,
    request_time_fallback: bool,
}

/// A copy of a [`Sharded`] analyzer's state, taken one shard at a time.
#[derive(Debug)]
pub struct ShardSnapshot {
    /// The state, combined.
    pub analyzer: Analyzer,
    /// Longest time one shard's lock was held for its copy (ingest into that shard waited).
    pub longest_hold: Duration,
}

impl Sharded {
    /// `shards` empty shards (at least one).
    pub fn new(opts: AnalyzerOptions, shards: usize) -> Self {
        Self::with_key_budget(opts, shards, KEY_BUDGET)
    }

    /// [`Sharded::new`] with another key budget than [`KEY_BUDGET`] (tests reach it quickly).
    pub(crate) fn with_key_budget(opts: AnalyzerOptions, shards: usize, key_budget: usize) -> Self {
        let opts = Arc::new(opts);
        let caps = SharedCaps::new(key_budget);
        let shards = (0..shards.max(1))
            .map(|_| Mutex::new(Analyzer::with_caps(Arc::clone(&opts), caps.share())))
            .collect();
        Sharded {
            opts,
            shards,
            caps,
            first_ns: AtomicI64::new(i64::MAX),
            last_ns: AtomicI64::new(i64::MIN),
            truncated: AtomicU64::new(0),
            request_time_fallback: false,
        }
    }

    /// One shard holding `a` (whose caps become the shared ones): for callers that ingest
    /// sequentially and want the same interface.
    pub fn from_analyzer(mut a: Analyzer) -> Self {
        let opts = Arc::clone(&a.opts);
        let caps = a.ctx.caps.share();
        let (first, last) = match a.requests.take() {
            Some((f, l)) => (nanos(f), nanos(l)),
            None => (i64::MAX, i64::MIN),
        };
        let truncated = std::mem::take(&mut a.ctx.truncated);
        let request_time_fallback = a.request_time_fallback;
        Sharded {
            opts,
            shards: vec![Mutex::new(a)].into_boxed_slice(),
            caps,
            first_ns: AtomicI64::new(first),
            last_ns: AtomicI64::new(last),
            truncated: AtomicU64::new(truncated),
            request_time_fallback,
        }
    }

    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// See [`Analyzer::set_request_time_fallback`].
    pub fn set_request_time_fallback(&mut self, on: bool) {
        self.request_time_fallback = on;
    }

    fn lock(m: &Mutex<Analyzer>) -> MutexGuard<'_, Analyzer> {
        // A panic while analyzing aborts the process (the binary's panic hook); recovering
        // from poison keeps the data anyway.
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ingests one request received at `at`; callable from many threads at once.
    ///
    /// Items go in request order, each under its shard's lock alone. An item whose shard
    /// another thread holds is put aside, with every later item of that shard (so each item
    /// still sees its own observations in order), and ingested at the end of its resource's
    /// items: two threads carrying the same names then work side by side instead of one
    /// trailing the other from shard to shard. Without contention nothing is put aside, so a
    /// sequential input is ingested in exactly request order.
    pub fn ingest(&self, req: &OtlpRequest, at: DateTime<Utc>) {
        let n = self.shards.len();
        let mut held: Option<(usize, MutexGuard<'_, Analyzer>)> = None;
        let mut aside: Vec<(usize, super::Item<'_>)> = Vec::new();
        let mut is_aside = vec![false; n];
        let mut buf = String::new();
        let seen = walk(ReqRef::from(req), &self.opts, &mut buf, |res, item| {
            let Some(item) = item else {
                held = None;
                self.ingest_aside(res, &mut aside, &mut is_aside, at);
                return;
            };
            let i = (item.identity_hash() % n as u64) as usize;
            if let Some((j, a)) = held.as_mut()
                && *j == i
            {
                a.ingest_item(res, item, at);
                return;
            }
            // Released before another is taken: never two locks at once, so no order
            // between shards to keep and no deadlock.
            held = None;
            if !is_aside[i] {
                match self.shards[i].try_lock() {
                    Ok(mut a) => {
                        a.ingest_item(res, item, at);
                        held = Some((i, a));
                        return;
                    }
                    Err(std::sync::TryLockError::Poisoned(p)) => {
                        let mut a = p.into_inner();
                        a.ingest_item(res, item, at);
                        held = Some((i, a));
                        return;
                    }
                    Err(std::sync::TryLockError::WouldBlock) => is_aside[i] = true,
                }
            }
            aside.push((i, item));
        });
        drop(held);
        if seen {
            let t = nanos(at);
            self.first_ns.fetch_min(t, Ordering::Relaxed);
            self.last_ns.fetch_max(t, Ordering::Relaxed);
        }
    }

    /// Ingests the items put aside for busy shards, each shard's in order: whichever of their
    /// shards is free first, waiting only when all are busy.
    fn ingest_aside<'r>(
        &self,
        res: &super::state::ResView<'r>,
        aside: &mut Vec<(usize, super::Item<'r>)>,
        is_aside: &mut [bool],
        at: DateTime<Utc>,
    ) {
        if aside.is_empty() {
            return;
        }
        // Stable: each shard's items keep their request order.
        aside.sort_by_key(|(i, _)| *i);
        let mut groups: Vec<(usize, Vec<super::Item<'r>>)> = Vec::new();
        for (i, item) in aside.drain(..) {
            match groups.last_mut() {
                Some((j, v)) if *j == i => v.push(item),
                _ => groups.push((i, vec![item])),
            }
        }
        while !groups.is_empty() {
            let mut left = Vec::with_capacity(groups.len());
            let mut progressed = false;
            for (i, items) in groups {
                let guard = match self.shards[i].try_lock() {
                    Ok(a) => Some(a),
                    Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
                    Err(std::sync::TryLockError::WouldBlock) => None,
                };
                match guard {
                    Some(mut a) => {
                        for item in items {
                            a.ingest_item(res, item, at);
                        }
                        progressed = true;
                    }
                    None => left.push((i, items)),
                }
            }
            groups = left;
            if !progressed && let Some((i, items)) = groups.pop() {
                let mut a = Self::lock(&self.shards[i]);
                for item in items {
                    a.ingest_item(res, item, at);
                }
            }
        }
        is_aside.iter_mut().for_each(|x| *x = false);
    }

    /// See [`Analyzer::note_truncated`].
    pub fn note_truncated(&self, n: u64) {
        if n > 0 {
            self.truncated.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// See [`Analyzer::freeze`]; every shard takes it up before its next item. True for the
    /// call that froze the state.
    pub fn freeze(&self) -> bool {
        self.caps.freeze()
    }

    /// Whether [`Sharded::freeze`] was called.
    pub fn is_frozen(&self) -> bool {
        self.caps.is_frozen()
    }

    /// See [`Analyzer::finish_reserve`], from the shared counters (names summed over shards,
    /// an upper bound: the reserve can only be larger than one analyzer's).
    pub fn finish_reserve(&self) -> u64 {
        super::finish_reserve(&self.caps, self.opts.max_items)
    }

    /// Totals so far (each shard held in turn, briefly).
    pub fn counts(&self) -> LiveCounts {
        let mut c = LiveCounts::default();
        for s in self.shards.iter() {
            add_counts(&mut c, &Self::lock(s).counts);
        }
        c
    }

    /// A copy of the state for a checkpoint, one shard's lock at a time, so ingest waits only
    /// while the shard it needs is copied. Every request that completed before the call is
    /// wholly in the copy; one in flight meanwhile may be in it in part (see ARCHITECTURE.md:
    /// a checkpoint is a lower bound of what was acknowledged, never more than was received).
    pub fn snapshot(&self) -> ShardSnapshot {
        let mut parts = Vec::with_capacity(self.shards.len());
        let mut longest_hold = Duration::ZERO;
        for s in self.shards.iter() {
            let t = Instant::now();
            let g = Self::lock(s);
            let copy = g.clone();
            drop(g);
            longest_hold = longest_hold.max(t.elapsed());
            parts.push(copy);
        }
        // The caps copied after the shards: they count at least what the copies hold.
        let caps = self.caps.clone();
        ShardSnapshot {
            analyzer: self.combine(parts, caps),
            longest_hold,
        }
    }

    /// The state as one analyzer, which finishes into the same session as one analyzer fed
    /// the same requests in the same order.
    pub fn into_analyzer(self) -> Analyzer {
        let caps = self.caps.clone();
        let parts = self
            .shards
            .iter()
            .map(|m| std::mem::take(&mut *Self::lock(m)))
            .collect();
        self.combine(parts, caps)
    }

    fn combine(&self, parts: Vec<Analyzer>, caps: SharedCaps) -> Analyzer {
        let mut out = Analyzer::with_caps(Arc::clone(&self.opts), caps);
        out.request_time_fallback = self.request_time_fallback;
        for p in parts {
            out.absorb(p);
        }
        let (first, last) = (
            self.first_ns.load(Ordering::Relaxed),
            self.last_ns.load(Ordering::Relaxed),
        );
        if first <= last {
            out.requests = Some((
                DateTime::<Utc>::from_timestamp_nanos(first),
                DateTime::<Utc>::from_timestamp_nanos(last),
            ));
        }
        out.ctx.truncated += self.truncated.load(Ordering::Relaxed);
        out.ctx.caps.set_totals(
            [
                out.metrics.len(),
                out.counts.span_names as usize,
                out.counts.severities as usize,
            ],
            out.ctx.key_entries,
            out.ctx.names.len(),
        );
        if out.ctx.caps.is_frozen() {
            out.ctx.sync();
        }
        out
    }
}

impl From<Analyzer> for Sharded {
    fn from(a: Analyzer) -> Self {
        Sharded::from_analyzer(a)
    }
}

impl Analyzer {
    /// Moves the state of `p`, whose items are none of this analyzer's, into this one.
    fn absorb(&mut self, p: Analyzer) {
        let Analyzer {
            counts,
            ctx,
            metrics,
            spans,
            logs,
            requests,
            ..
        } = p;
        add_counts(&mut self.counts, &counts);
        self.metrics.extend(metrics);
        self.spans.extend(spans);
        self.logs.extend(logs);
        if let Some((a, b)) = requests {
            self.saw_request(a);
            self.saw_request(b);
        }
        let c = &mut self.ctx;
        c.key_entries += ctx.key_entries;
        c.dropped = c.dropped.saturating_add(ctx.dropped);
        for (x, y) in c.by_cap.iter_mut().zip(ctx.by_cap) {
            *x = x.saturating_add(y);
        }
        c.refused_items += ctx.refused_items;
        if let Some((lo, hi)) = ctx.times {
            c.saw_time(lo);
            c.saw_time(hi);
        }
        c.truncated += ctx.truncated;
        for n in ctx.names {
            if !c.names.contains(&n) {
                c.names.insert(n);
            }
        }
        self.counts.dropped = c.dropped;
    }
}

/// Adds `b`'s totals to `a` (each item is counted in exactly one shard).
fn add_counts(a: &mut LiveCounts, b: &LiveCounts) {
    a.data_points += b.data_points;
    a.spans += b.spans;
    a.log_records += b.log_records;
    a.metrics += b.metrics;
    a.span_names += b.span_names;
    a.severities += b.severities;
    a.dropped += b.dropped;
}

/// `at` in Unix nanoseconds (saturating past 2262).
fn nanos(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
