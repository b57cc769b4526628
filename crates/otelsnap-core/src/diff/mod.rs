//! Diff: severity-ranked changes between two sessions.
//!
//! [`engine::compare`] matches items by identity (metrics and spans by name, logs by severity,
//! attributes by key) and produces field-level [`Detail`]s, each naming the [`Rule`] that set its
//! severity and carrying its [`Evidence`] as data. [`DiffReport::build`] then applies the ignore
//! list and the filters, ranks the result and decides the exit code. Nothing here writes a
//! sentence for people: the `otelsnap` binary's renderers word a report.

pub mod completeness;
pub mod engine;
pub mod evidence;
pub mod fix;
pub mod name_patterns;
pub mod rules;
pub mod verdict_rules;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::session::{Observed, Session, Signal, format_time};

pub use completeness::{Gap, IncompleteSide, NotJudged, Side};
pub use engine::compare;
pub use evidence::Evidence;
pub use rules::{Rule, Rules, RulesError};

/// How much a change matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Beyond tolerance, but no rule says it matters.
    Info,
    /// Worth a look: a rule with warning severity fired.
    Warning,
    /// Breaks dashboards or budgets: a rule with critical severity fired.
    Critical,
}

impl Severity {
    /// The lowercase name used in output and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    /// Parses `info`, `warning` or `critical`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// All severities, highest first.
    pub const DESCENDING: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an item appeared, disappeared or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeType {
    /// Present only in the newer session.
    Added,
    /// Present only in the older session.
    Removed,
    /// Present in both, with differences.
    Changed,
}

impl ChangeType {
    /// An item present on one side only: added when it is the newer side, else removed.
    pub fn one_sided(in_newer: bool) -> Self {
        if in_newer {
            ChangeType::Added
        } else {
            ChangeType::Removed
        }
    }

    /// The lowercase name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Added => "added",
            ChangeType::Removed => "removed",
            ChangeType::Changed => "changed",
        }
    }

    /// The opposite direction (what diff(b, a) calls this change).
    pub fn reversed(self) -> ChangeType {
        match self {
            ChangeType::Added => ChangeType::Removed,
            ChangeType::Removed => ChangeType::Added,
            ChangeType::Changed => ChangeType::Changed,
        }
    }
}

/// The kind of item a change is about (OCC's `signal_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A metric, by name.
    Metric,
    /// A span name (and kind, where a name has several).
    Span,
    /// A log severity.
    Log,
    /// An attribute key of the catalog.
    Attribute,
}

impl ItemKind {
    /// All kinds, in ranking order.
    pub const ALL: [ItemKind; 4] = [
        ItemKind::Metric,
        ItemKind::Span,
        ItemKind::Log,
        ItemKind::Attribute,
    ];

    /// Singular name, as in OCC's `signal_type` (`metric`).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Metric => "metric",
            ItemKind::Span => "span",
            ItemKind::Log => "log",
            ItemKind::Attribute => "attribute",
        }
    }

    /// Plural name, as `--signal` takes it (`metrics`).
    pub fn plural(self) -> &'static str {
        match self {
            ItemKind::Metric => "metrics",
            ItemKind::Span => "spans",
            ItemKind::Log => "logs",
            ItemKind::Attribute => "attributes",
        }
    }

    /// Parses `metrics`, `spans`, `logs`, `attributes` (singular, and `traces`, accepted too).
    pub fn parse(s: &str) -> Option<ItemKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "metric" | "metrics" => Some(ItemKind::Metric),
            "span" | "spans" | "trace" | "traces" => Some(ItemKind::Span),
            "log" | "logs" => Some(ItemKind::Log),
            "attribute" | "attributes" => Some(ItemKind::Attribute),
            _ => None,
        }
    }

    /// The captured signal this kind belongs to (attributes span all signals).
    pub fn signal(self) -> Option<Signal> {
        match self {
            ItemKind::Metric => Some(Signal::Metrics),
            ItemKind::Span => Some(Signal::Traces),
            ItemKind::Log => Some(Signal::Logs),
            ItemKind::Attribute => None,
        }
    }
}

/// One field-level difference inside a change (OCC's `FieldChange`, plus `rule`, `fingerprint`
/// and the evidence its message is worded from).
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    /// Path of the changed field, e.g. `label_keys.user_id.estimated_cardinality`.
    pub field: String,
    /// The value before (`null` when the field is new).
    pub from: Value,
    /// The value after (`null` when the field is gone).
    pub to: Value,
    /// Relative change in percent, for numbers with a non-zero old value.
    pub change_pct: Option<f64>,
    /// The severity its rule has under the rules in force.
    pub severity: Severity,
    /// The rule that set the severity.
    pub rule: Rule,
    /// What the change rests on, as data (quantities, names, the threshold crossed).
    pub evidence: Evidence,
    /// Short stable hash of (signal, change, name, field), accepted by the ignore list.
    pub fingerprint: String,
    /// The attribute key this detail is about, if any (for `attribute:` ignore patterns).
    pub key: Option<String>,
    /// Size of the change for ranking: a ratio (≥ 1) or, for new things, their size.
    pub magnitude: f64,
    /// Set when an incomplete side could explain the finding: it is then at info, and this
    /// says which side, why, and the severity its rule gave it (see [`completeness`]).
    pub not_judged: Option<NotJudged>,
}

/// One item that was added, removed or changed (OCC's `Change`, plus `services` and `fingerprint`).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Added, removed or changed.
    pub change_type: ChangeType,
    /// The kind of item.
    pub signal_type: ItemKind,
    /// Metric or span name, log severity, or attribute key.
    pub name: String,
    /// The highest severity of the details.
    pub severity: Severity,
    /// Services that have the item on either side.
    pub services: Vec<String>,
    /// The field-level differences, worst first.
    pub details: Vec<Detail>,
    /// Facts about the item (type, unit, kind, scope, `series_driver`, `approximate`).
    pub metadata: BTreeMap<String, Value>,
    /// Short stable hash of (signal, change, name), accepted by the ignore list.
    pub fingerprint: String,
    /// The largest detail magnitude, for ranking.
    pub magnitude: f64,
}

impl Change {
    /// Recomputes severity and magnitude from the details and sorts them, worst first.
    pub fn settle(&mut self) {
        self.details.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.magnitude.total_cmp(&a.magnitude))
                .then_with(|| a.field.cmp(&b.field))
        });
        self.severity = self
            .details
            .iter()
            .map(|d| d.severity)
            .max()
            .unwrap_or(Severity::Info);
        self.magnitude = self.details.iter().map(|d| d.magnitude).fold(0.0, f64::max);
    }

    /// Ranking order: severity, then magnitude, then signal, name, type and fingerprint.
    pub fn rank_cmp(&self, other: &Change) -> std::cmp::Ordering {
        other
            .severity
            .cmp(&self.severity)
            .then(other.magnitude.total_cmp(&self.magnitude))
            .then(self.signal_type.cmp(&other.signal_type))
            .then_with(|| self.name.cmp(&other.name))
            .then(self.change_type.cmp(&other.change_type))
            .then_with(|| self.fingerprint.cmp(&other.fingerprint))
    }
}

/// Short stable hash: the first 12 hex digits of xxh3-64 of `signal|change|name|field`.
pub fn fingerprint(kind: ItemKind, change: ChangeType, name: &str, field: &str) -> String {
    let text = format!("{}|{}|{}|{}", kind.as_str(), change.as_str(), name, field);
    let h = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
    format!("{h:016x}")[..12].to_string()
}

/// How sample counts were compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateBasis {
    /// Both sessions have an observation window: counts divided by their lengths (seconds).
    PerSecond {
        /// The older session's window, in seconds.
        from_window: f64,
        /// The newer session's window, in seconds.
        to_window: f64,
        /// What the windows are: `telemetry` (the telemetry's own times), `requests`, `mixed`
        /// or `capture` (an older file's capture window).
        basis: &'static str,
    },
    /// At least one side has no meaningful window: raw counts.
    RawCounts {
        /// The side(s) without one: `FROM`, `TO` or `FROM and TO`.
        missing: &'static str,
    },
}

/// The static name of a window basis.
fn basis_name(b: &str) -> &'static str {
    match b {
        Observed::TELEMETRY => "telemetry",
        Observed::REQUESTS => "requests",
        "capture" => "capture",
        _ => "mixed",
    }
}

impl RateBasis {
    /// Per second when both sessions have an observation window (see
    /// [`Session::rate_window`]), raw counts otherwise.
    pub fn of(from: &Session, to: &Session) -> RateBasis {
        match (from.rate_window(), to.rate_window()) {
            (Some((f, fb)), Some((t, tb))) => RateBasis::PerSecond {
                from_window: f,
                to_window: t,
                basis: if fb == tb { basis_name(fb) } else { "mixed" },
            },
            (None, Some(_)) => RateBasis::RawCounts { missing: "FROM" },
            (Some(_), None) => RateBasis::RawCounts { missing: "TO" },
            (None, None) => RateBasis::RawCounts {
                missing: "FROM and TO",
            },
        }
    }

    /// `per_second` or `raw_counts`.
    pub fn as_str(self) -> &'static str {
        match self {
            RateBasis::PerSecond { .. } => "per_second",
            RateBasis::RawCounts { .. } => "raw_counts",
        }
    }
}

/// A signal only one side captured, so its items were not compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCompared {
    /// `metrics`, `spans` or `logs`.
    pub signal: &'static str,
    /// The id of the session that has it.
    pub captured_by: String,
    /// `from` or `to`.
    pub side: &'static str,
}

/// A signal one side holds and the other holds none of, stated in every header so a gate
/// never passes over a missing signal in silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalGap {
    /// `metrics`, `spans` or `logs`.
    pub signal: &'static str,
    /// The side that holds none.
    pub side: Side,
    /// Its session id.
    pub id: String,
    /// True when that side lists the signal among its signals (so it was compared, and the
    /// other side's items show as added or removed); false when it did not capture it at all
    /// (not compared).
    pub declared: bool,
    /// What the other side holds: metrics, span names or log severities.
    pub items: u64,
    /// Log body templates the other side holds (logs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub templates: Option<u64>,
    /// Data points, spans or log records the other side counted.
    pub samples: u64,
}

impl SignalGap {
    /// The side that holds the signal.
    pub fn holder(&self) -> Side {
        match self.side {
            Side::From => Side::To,
            Side::To => Side::From,
        }
    }
}

/// Identity and capture window of one side of the diff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideInfo {
    /// The session id.
    pub id: String,
    /// When the session was created (RFC 3339).
    pub created: String,
    /// The capture window, if the session has one.
    pub capture: Option<WindowInfo>,
    /// Signals the session captured (declared or holding data).
    pub signals: Vec<String>,
}

/// A capture window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowInfo {
    /// Start of the window (RFC 3339).
    pub started: String,
    /// End of the window (RFC 3339).
    pub ended: String,
    /// Its length in seconds, if positive.
    pub window_seconds: Option<f64>,
    /// Seconds of observed telemetry time, what rates are per (absent in older files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_seconds: Option<f64>,
    /// Where the observed time came from (`telemetry`, `requests`, `mixed`, `none`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_basis: Option<String>,
}

impl SideInfo {
    /// Describes a session.
    pub fn of(s: &Session) -> SideInfo {
        let t = |d: &DateTime<Utc>| format_time(d);
        SideInfo {
            id: s.id.clone(),
            created: t(&s.created),
            capture: s.capture.as_ref().map(|c| WindowInfo {
                started: t(&c.started),
                ended: t(&c.ended),
                window_seconds: c.window_seconds(),
                observed_seconds: s.observed.as_ref().map(Observed::seconds),
                observed_basis: s.observed.as_ref().map(|o| o.basis.clone()),
            }),
            signals: engine::captured_signals(s)
                .into_iter()
                .map(|s| s.as_str().to_string())
                .collect(),
        }
    }
}

/// What the user asked to see and to gate on.
#[derive(Debug, Clone, PartialEq)]
pub struct Filters {
    /// Only these kinds (empty = all).
    pub kinds: BTreeSet<ItemKind>,
    /// Only items with this service on either side.
    pub service: Option<String>,
    /// Changes below this are not shown.
    pub min_severity: Severity,
    /// Exit 1 when a change at or above this remains; `None` = never.
    pub fail_on: Option<Severity>,
}

impl Default for Filters {
    fn default() -> Self {
        Filters {
            kinds: BTreeSet::new(),
            service: None,
            min_severity: Severity::Info,
            fail_on: Some(Severity::Info),
        }
    }
}

impl Filters {
    /// Whether changes of this kind are wanted.
    pub fn wants(&self, kind: ItemKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

/// Added/removed/changed counts for one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    /// Items only in the newer session.
    pub added: usize,
    /// Items only in the older session.
    pub removed: usize,
    /// Items in both, with differences.
    pub changed: usize,
}

/// Counts over the shown changes, and what was left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Shown changes whose severity is critical.
    pub critical: usize,
    /// Shown changes whose severity is warning.
    pub warning: usize,
    /// Shown changes whose severity is info.
    pub info: usize,
    /// All shown changes.
    pub total: usize,
    /// Changes (or all details of a change) dropped by the ignore list.
    pub ignored: usize,
    /// Changes hidden by `--min-severity` (still counted for the exit code).
    pub below_min_severity: usize,
    /// Per kind, in the order metrics, spans, logs, attributes (kinds filtered out are absent).
    pub by_signal: BySignal,
}

/// Added/removed/changed counts per kind, serialized as an object in kind order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BySignal(pub Vec<(&'static str, KindCounts)>);

impl BySignal {
    fn entry(&mut self, name: &'static str) -> &mut KindCounts {
        let i = match self.0.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                self.0.push((name, KindCounts::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }
}

impl Serialize for BySignal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Summary {
    /// Count of shown changes at this severity.
    pub fn count(&self, s: Severity) -> usize {
        match s {
            Severity::Critical => self.critical,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
        }
    }
}

/// A finished diff: everything the renderers need.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffReport {
    /// The older session.
    pub from: SideInfo,
    /// The newer session.
    pub to: SideInfo,
    /// The rules the diff ran under.
    pub rules: Rules,
    /// What was asked to be shown and gated on.
    pub filters: Filters,
    /// How sample counts were compared.
    pub rate_basis: RateBasis,
    /// Signals only one side captured.
    pub not_compared: Vec<NotCompared>,
    /// Signals one side holds and the other holds none of.
    pub signal_gaps: Vec<SignalGap>,
    /// The incomplete sides, with how many findings each left unjudged.
    pub incomplete: Vec<IncompleteSide>,
    /// Shown changes, in rank order.
    pub changes: Vec<Change>,
    /// Counts over the shown changes, and what was left out.
    pub summary: Summary,
    /// Highest severity among shown changes.
    pub max_severity: Option<Severity>,
    /// 0 or 1.
    pub exit_code: u8,
}

impl DiffReport {
    /// Compares two sessions, applies ignores and filters, ranks, and decides the exit code.
    pub fn build(from: &Session, to: &Session, rules: &Rules, filters: &Filters) -> DiffReport {
        let raw = engine::compare(from, to, rules, filters);
        let mut summary = Summary::default();
        let mut gated: Vec<Change> = Vec::with_capacity(raw.changes.len());
        for mut c in raw.changes {
            if let Some(svc) = &filters.service
                && !c.services.iter().any(|s| s == svc)
            {
                continue;
            }
            if rules.ignores_change(&c) {
                summary.ignored += 1;
                continue;
            }
            let before = c.details.len();
            c.details
                .retain(|d| !rules.ignores_detail(c.signal_type, &c.name, d));
            if c.details.is_empty() {
                summary.ignored += 1;
                continue;
            }
            if c.details.len() != before {
                c.settle();
            }
            gated.push(c);
        }
        gated.sort_by(Change::rank_cmp);
        let incomplete = completeness::sides(
            from,
            to,
            gated
                .iter()
                .flat_map(|c| &c.details)
                .filter_map(|d| d.not_judged.as_ref())
                .map(|n| (n.side, n.severity)),
        );
        let exit_code = match filters.fail_on {
            Some(t) if gated.iter().any(|c| c.severity >= t) => 1,
            _ => 0,
        };
        let (changes, hidden): (Vec<Change>, Vec<Change>) = gated
            .into_iter()
            .partition(|c| c.severity >= filters.min_severity);
        summary.below_min_severity = hidden.len();
        for k in ItemKind::ALL {
            if filters.wants(k) {
                summary.by_signal.entry(k.plural());
            }
        }
        for c in &changes {
            match c.severity {
                Severity::Critical => summary.critical += 1,
                Severity::Warning => summary.warning += 1,
                Severity::Info => summary.info += 1,
            }
            let e = summary.by_signal.entry(c.signal_type.plural());
            match c.change_type {
                ChangeType::Added => e.added += 1,
                ChangeType::Removed => e.removed += 1,
                ChangeType::Changed => e.changed += 1,
            }
        }
        summary.total = changes.len();
        DiffReport {
            from: SideInfo::of(from),
            to: SideInfo::of(to),
            rules: rules.clone(),
            filters: filters.clone(),
            rate_basis: raw.rate_basis,
            not_compared: raw.not_compared,
            signal_gaps: raw.signal_gaps,
            incomplete,
            max_severity: changes.first().map(|c| c.severity),
            changes,
            summary,
            exit_code,
        }
    }

    /// The severity at or above which changes set exit code 1 (`None` = never).
    pub fn threshold(&self) -> Option<Severity> {
        self.filters.fail_on
    }
}
