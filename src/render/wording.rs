//! The words of a diff, written once for every output format: a detail's message (the JSON's
//! `message` field and the line the table, Markdown and GitHub formats show), the verdict line
//! and the rate-basis line. The diff itself hands out data ([`Evidence`]); a new output format
//! calls these rather than writing its own sentences.

use crate::diff::evidence::{
    Counted, Evidence, ItemFacts, KeySet, MemberSet, SeriesDriver, Step, Subject,
};
use crate::diff::{
    Detail, DiffReport, Gap, IncompleteSide, NotJudged, RateBasis, Severity, Side, SignalGap,
};
use crate::render::human;
use crate::session::Verdict;

/// What changed and why it has its severity, in one line; a finding the incomplete-side rule
/// left unjudged says so, and what its rule would have made it.
pub fn detail(d: &Detail) -> String {
    let text = finding(d);
    match &d.not_judged {
        Some(n) => format!("{text} [{}]", not_judged(n)),
        None => text,
    }
}

/// Why a finding was not judged, short (the header has the counts): `not judged, would be
/// warning: TO cut this item short (keys_per_item)`.
pub fn not_judged(n: &NotJudged) -> String {
    let side = n.side.upper();
    let why = match &n.gap {
        Gap::ItemIncomplete { caps, .. } => {
            format!("{side} cut this item short ({})", caps.join(", "))
        }
        Gap::ItemsRefused { .. } => format!("{side} refused new items"),
        Gap::ByteBudget => format!("{side} ran out of memory budget"),
        Gap::Catalog => format!("{side} is incomplete, and the catalog sums every item"),
    };
    if n.severity > Severity::Info {
        format!("not judged, would be {}: {why}", n.severity)
    } else {
        format!("not judged: {why}")
    }
}

/// The header line of an incomplete side: `TO is incomplete: caps refused 1,234 items and cut
/// 5 more (key_budget, max_items); removals and decreases there are not judged (12 findings,
/// 3 of them warning or above, shown as info)`.
pub fn incomplete_side(i: &IncompleteSide) -> String {
    let side = i.side.upper();
    let mut what = Vec::new();
    if i.refused_items > 0 {
        // A count of refusals, not of distinct names: those are not kept, to stay bounded.
        what.push(format!(
            "refused new items {}",
            human::plural(i.refused_items, "time", "times")
        ));
    }
    if i.incomplete_items > 0 {
        what.push(format!(
            "cut {} short",
            human::plural(i.incomplete_items, "item", "items")
        ));
    }
    if i.byte_budget {
        what.push("ran past the memory budget".to_string());
    }
    let caps: Vec<&str> = i.dropped_by_cap.keys().map(String::as_str).collect();
    let judged = match i.side {
        Side::To => "removals and decreases on those items are not judged",
        Side::From => "additions and increases against those items are not judged",
    };
    let count = if i.not_judged == 0 {
        "none found".to_string()
    } else {
        format!(
            "{}, {} at warning or above, shown as info",
            human::plural(i.not_judged as u64, "finding", "findings"),
            human::with_commas(i.downgraded as u64)
        )
    };
    format!(
        "{side} is incomplete: capture caps {}{}; {judged} ({count})",
        match what.split_last() {
            None => "refused part of it".to_string(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        },
        if caps.is_empty() {
            String::new()
        } else {
            format!(" ({})", caps.join(", "))
        }
    )
}

/// The header line of a signal one side holds none of: `logs: FROM has 120 log templates in 3
/// severities (5,000 records); TO captured no logs, so they were not compared`.
pub fn signal_gap(g: &SignalGap) -> String {
    let holder = g.holder().upper();
    let n = |x: u64, one: &str, many: &str| human::plural(x, one, many);
    let has = match g.signal {
        "metrics" => format!(
            "{} ({})",
            n(g.items, "metric", "metrics"),
            n(g.samples, "data point", "data points")
        ),
        "spans" => format!(
            "{} ({})",
            n(g.items, "span name", "span names"),
            n(g.samples, "span", "spans")
        ),
        _ => format!(
            "{} in {} ({})",
            n(g.templates.unwrap_or(0), "log template", "log templates"),
            n(g.items, "severity", "severities"),
            n(g.samples, "record", "records")
        ),
    };
    let side = g.side.upper();
    let what = g.signal;
    let other = if g.declared {
        format!(
            "{side} lists {what} among its signals but holds none, so each shows as {}",
            if g.side == Side::To {
                "removed"
            } else {
                "added"
            }
        )
    } else {
        format!("{side} captured no {what}, so they were not compared")
    };
    format!("{what}: {holder} has {has}; {other}")
}

/// The header's notes, one line each, for every format that has a header: signals one side
/// holds none of (or captured alone), then incomplete sides.
pub fn notes(r: &DiffReport) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for kind in crate::diff::ItemKind::ALL {
        let sig = kind.plural();
        if let Some(g) = r.signal_gaps.iter().find(|g| g.signal == sig) {
            out.push(signal_gap(g));
        } else if let Some(nc) = r.not_compared.iter().find(|n| n.signal == sig) {
            out.push(format!(
                "{} not compared: captured only by {}",
                nc.signal, nc.captured_by
            ));
        }
    }
    out.extend(r.incomplete.iter().map(incomplete_side));
    out
}

fn finding(d: &Detail) -> String {
    match &d.evidence {
        Evidence::Cardinality {
            subject,
            from,
            to,
            ratio,
            step,
            approximate,
            driver,
        } => {
            let why = step_text(*step, *from == 0, *ratio, *from as f64, *to as f64, "");
            let approx = if *approximate { ", approximate" } else { "" };
            let cause = driver
                .as_ref()
                .map(|d| format!("; {}", driver_text(d)))
                .unwrap_or_default();
            format!(
                "{} {} → {} ({why}{approx}{cause})",
                subject_text(subject),
                human::estimate(*from),
                human::estimate(*to)
            )
        }
        Evidence::Rate {
            counted,
            basis,
            from,
            to,
            ratio,
            step,
        } => {
            let noun = counted_noun(*counted);
            let (label, unit) = match basis {
                RateBasis::PerSecond { .. } => (format!("{noun} rate"), "/s"),
                RateBasis::RawCounts { .. } => (format!("{noun}s"), ""),
            };
            let why = step_text(*step, *from <= 0.0, *ratio, *from, *to, " samples");
            format!(
                "{label} {}{unit} → {}{unit} ({why})",
                rate(*from),
                rate(*to)
            )
        }
        Evidence::Value { from, to } => {
            format!("{} {} → {}", d.field, or_none(from), or_none(to))
        }
        Evidence::Bounds { from, to } => {
            format!("bucket bounds {} → {}", bounds(from), bounds(to))
        }
        Evidence::Member { set, member, added } => {
            let what = if *added { "added" } else { "removed" };
            format!("{} {member} {what}", member_noun(*set))
        }
        Evidence::KeyAdded {
            set,
            key,
            cardinality,
            over,
        } => {
            let noun = key_noun(set);
            match over {
                Some(limit) => format!(
                    "new {noun} {key} with {} values (> {})",
                    human::estimate(*cardinality),
                    human::with_commas(*limit)
                ),
                None => format!(
                    "new {noun} {key} ({} values)",
                    human::estimate(*cardinality)
                ),
            }
        }
        Evidence::KeyRemoved {
            set,
            key,
            cardinality,
        } => format!(
            "{} {key} removed (had {} values)",
            key_noun(set),
            human::estimate(*cardinality)
        ),
        Evidence::Item {
            item,
            added,
            size,
            over,
        } => {
            let n = human::estimate(*size);
            let text = if *added {
                item_added(item, &n)
            } else {
                item_removed(item, &n)
            };
            match over {
                Some(limit) => format!("{text} (> {})", human::with_commas(*limit)),
                None => text,
            }
        }
        Evidence::Verdict(v) => verdict_finding(v),
        Evidence::Template {
            template,
            from_share,
            to_share,
        } => {
            let t = short(template);
            match (from_share, to_share) {
                (Some(x), Some(y)) => format!(
                    "body template \"{t}\" share of records {} → {}",
                    share(*x),
                    share(*y)
                ),
                (None, Some(y)) => format!("new body template \"{t}\" ({} of records)", share(*y)),
                (Some(x), None) => {
                    format!("body template \"{t}\" gone (was {} of records)", share(*x))
                }
                (None, None) => format!("body template \"{t}\""),
            }
        }
    }
}

/// `checkout-v1 → checkout-v2: 2 critical, 4 warning, 9 info` (or `no changes`), with what
/// was left out.
pub fn verdict(r: &DiffReport) -> String {
    let s = &r.summary;
    let mut line = format!("{} → {}: ", r.from.id, r.to.id);
    if s.total == 0 {
        line.push_str("no changes");
    } else {
        line.push_str(&format!(
            "{} critical, {} warning, {} info",
            s.critical, s.warning, s.info
        ));
    }
    let mut extra = Vec::new();
    if s.below_min_severity > 0 {
        extra.push(format!(
            "{} below {} not shown",
            s.below_min_severity, r.filters.min_severity
        ));
    }
    if s.ignored > 0 {
        extra.push(format!("{} ignored by rules", s.ignored));
    }
    if !extra.is_empty() {
        line.push_str(&format!(" ({})", extra.join(", ")));
    }
    line
}

/// One line saying how rates were compared, naming the basis: the telemetry's own time, the
/// request window of a live capture, or an older file's capture window.
pub fn rate_basis(b: RateBasis) -> String {
    match b {
        RateBasis::PerSecond {
            from_window,
            to_window,
            basis: "capture",
        } => format!(
            "sample rates compared per second (capture windows {} and {})",
            seconds(from_window),
            seconds(to_window)
        ),
        RateBasis::PerSecond {
            from_window,
            to_window,
            basis,
        } => format!(
            "sample rates compared per second of observed time ({} and {}, from {})",
            seconds(from_window),
            seconds(to_window),
            match basis {
                "telemetry" => "the telemetry's own timestamps",
                "requests" => "first to last request received",
                _ => "telemetry timestamps and request times",
            }
        ),
        RateBasis::RawCounts { missing } => format!(
            "sample counts compared raw, not rates: {missing} {} no observation window",
            if missing.contains(" and ") {
                "have"
            } else {
                "has"
            }
        ),
    }
}

/// The step of the ladder in words: `×50.8 ≥ 10×`, `×3.0, under the floor of 100`, `+12%`,
/// `from none`. `floor_unit` follows the floor (` samples` for rates).
fn step_text(
    step: Step,
    from_zero: bool,
    ratio: f64,
    from: f64,
    to: f64,
    floor_unit: &str,
) -> String {
    let ratio_text = || {
        if from_zero {
            "from none".to_string()
        } else {
            human::ratio(ratio)
        }
    };
    match step {
        Step::Crossed { threshold } => format!("{} ≥ {threshold}×", ratio_text()),
        Step::UnderFloor { floor } => format!(
            "{}, under the floor of {}{floor_unit}",
            ratio_text(),
            human::with_commas(floor)
        ),
        Step::Moved => human::pct((to - from) / from * 100.0),
        Step::FromNone => "from none".to_string(),
    }
}

fn driver_text(d: &SeriesDriver) -> String {
    match d.from {
        Some(x) if x > 0 => format!(
            "label {} {} → {}",
            d.key,
            human::estimate(x),
            human::estimate(d.to)
        ),
        _ => format!("new label {} has {} values", d.key, human::estimate(d.to)),
    }
}

fn subject_text(s: &Subject) -> String {
    match s {
        Subject::ActiveSeries => "active series".to_string(),
        Subject::Attribute => "cardinality".to_string(),
        Subject::Key { set, key } => format!("{} {key} cardinality", key_noun(set)),
    }
}

/// The verdict rules' findings (issue #16): the evidence's reason and, for metrics, the
/// projected backend series.
fn verdict_finding(v: &crate::diff::evidence::VerdictEvidence) -> String {
    use crate::diff::evidence::VerdictEvidence as V;
    match v {
        V::Unbounded {
            set,
            key,
            was,
            confidence,
            reason,
            cost,
        } => {
            let what = match was {
                None => "new key unbounded".to_string(),
                Some(w) => format!("key was {w}, now unbounded"),
            };
            let cost = cost
                .as_ref()
                .map(|p| format!("; {}", p.describe()))
                .unwrap_or_default();
            format!(
                "{} '{key}': {what} ({:.0}% confidence): {reason}{cost}",
                key_noun(set),
                confidence * 100.0
            )
        }
        V::Overflow => "the SDK's cardinality limit overflowed: series past it were merged into one carrying otel.metric.overflow=true; totals stay right but every filtered query undercounts".to_string(),
        V::NearLimit { series, limit } => format!(
            "{} series: {:.0}% of the SDK cardinality limit of {} per instrument, where the SDK starts merging new series into one overflow series",
            human::with_commas(*series),
            *series as f64 * 100.0 / (*limit).max(1) as f64,
            human::with_commas(*limit)
        ),
        V::NamePattern {
            names_from,
            names_to,
            added,
            removed,
            examples,
            verdict,
        } => {
            let c = |n: u64| human::with_commas(n);
            let mut s = match (*names_from, *names_to) {
                (0, to) => format!("{} names with this pattern", c(to)),
                (from, 0) => format!("all {} names with this pattern gone", c(from)),
                (from, to) => format!("names with this pattern {} → {}", c(from), c(to)),
            };
            let moved: Vec<String> = [(*added, "new"), (*removed, "gone")]
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, w)| format!("{} {w}", c(*n)))
                .collect();
            if *names_from > 0 && *names_to > 0 && !moved.is_empty() {
                s.push_str(&format!(" ({})", moved.join(", ")));
            }
            if !examples.is_empty() {
                let more = if (*added).max(*removed) > examples.len() as u64 { ", …" } else { "" };
                s.push_str(&format!("; e.g. {}{more}", examples.join(", ")));
            }
            match verdict {
                Some((Verdict::Unbounded, conf, reason)) => s.push_str(&format!(
                    "; the varying part is unbounded ({:.0}% confidence): {reason}",
                    conf * 100.0
                )),
                Some((v, _, _)) => s.push_str(&format!("; the varying part is {v}")),
                None => {}
            }
            s
        }
    }
}

fn key_noun(s: &KeySet) -> String {
    match s {
        KeySet::Label => "label".to_string(),
        KeySet::Resource => "resource key".to_string(),
        KeySet::Attribute => "attribute".to_string(),
        KeySet::EventAttribute { event } => format!("event {event} attribute"),
        KeySet::LinkAttribute => "link attribute".to_string(),
    }
}

fn counted_noun(c: Counted) -> &'static str {
    match c {
        Counted::Samples => "sample",
        Counted::Spans => "span",
        Counted::Records => "record",
        Counted::Occurrences => "occurrence",
    }
}

fn member_noun(s: MemberSet) -> &'static str {
    match s {
        MemberSet::Event => "event",
        MemberSet::StatusCode => "status code",
        MemberSet::Signal => "signal",
    }
}

fn item_added(item: &ItemFacts, n: &str) -> String {
    match item {
        ItemFacts::Metric { metric_type } => format!("new {metric_type} metric with {n} series"),
        ItemFacts::Span { kind, widest_key } => match widest_key {
            Some(k) => format!("new {kind} span; attribute {k} has {n} values"),
            None => format!("new {kind} span with no attributes"),
        },
        ItemFacts::Log { widest_key } => match widest_key {
            Some(k) => format!("new log severity; attribute {k} has {n} values"),
            None => "new log severity with no attributes".to_string(),
        },
        ItemFacts::Attribute { signals } => format!("new attribute{} with {n} values", on(signals)),
    }
}

fn item_removed(item: &ItemFacts, n: &str) -> String {
    match item {
        ItemFacts::Metric { .. } => format!("metric removed (had {n} series)"),
        ItemFacts::Span { kind, widest_key } => match widest_key {
            Some(k) => format!("{kind} span removed (attribute {k} had {n} values)"),
            None => format!("{kind} span removed"),
        },
        ItemFacts::Log { widest_key } => match widest_key {
            Some(k) => format!("log severity removed (attribute {k} had {n} values)"),
            None => "log severity removed".to_string(),
        },
        ItemFacts::Attribute { signals } => {
            format!("attribute removed{} (had {n} values)", on(signals))
        }
    }
}

fn on(signals: &[String]) -> String {
    if signals.is_empty() {
        String::new()
    } else {
        format!(" on {}", signals.join(", "))
    }
}

fn or_none(v: &str) -> &str {
    if v.is_empty() { "(none)" } else { v }
}

fn rate(v: f64) -> String {
    if v >= 100.0 {
        human::count(v.round() as u64)
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn share(s: f64) -> String {
    format!("{:.0}%", s * 100.0)
}

/// A template cut to 60 characters.
fn short(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX - 1).collect();
        t.push('…');
        t
    }
}

fn bounds(b: &[f64]) -> String {
    if b.is_empty() {
        return "[]".to_string();
    }
    let shown: Vec<String> = b.iter().take(4).map(|v| v.to_string()).collect();
    if b.len() > 4 {
        format!("[{}, … {} bounds]", shown.join(", "), b.len())
    } else {
        format!("[{}]", shown.join(", "))
    }
}

fn seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}
