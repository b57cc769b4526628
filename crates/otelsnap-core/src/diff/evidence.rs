//! What a finding rests on, as data: the quantities, the names and the step of the threshold
//! ladder that decided its rule. The engine fills these in; the renderers in the `otelsnap`
//! binary word them (one wording function serves every output format), so a new format needs
//! no change here, and the engine never writes a sentence.

use crate::session::MetricType;

use super::RateBasis;

/// Why a detail has the rule it has, in data.
#[derive(Debug, Clone, PartialEq)]
pub enum Evidence {
    /// An estimated distinct count present on both sides changed beyond tolerance.
    Cardinality {
        /// What was counted.
        subject: Subject,
        /// The estimate before.
        from: u64,
        /// The estimate after.
        to: u64,
        /// Growth ratio `to / from` (infinite from zero).
        ratio: f64,
        /// Where the change landed on the ladder.
        step: Step,
        /// An estimate on either side has no mergeable sketch behind it.
        approximate: bool,
        /// For active series that grew: the label key whose growth best explains it.
        driver: Option<SeriesDriver>,
    },
    /// A sample count or rate (per second when both sides have a capture window) changed
    /// beyond tolerance.
    Rate {
        /// What was counted.
        counted: Counted,
        /// Whether the values are per second or raw counts.
        basis: RateBasis,
        /// The rate (or count) before.
        from: f64,
        /// The rate (or count) after.
        to: f64,
        /// Growth ratio `to / from` (infinite from zero).
        ratio: f64,
        /// Where the change landed on the ladder.
        step: Step,
    },
    /// A categorical value (type, unit, temporality, monotonicity, kind, scope) differs; the
    /// detail's `field` names it, empty means none.
    Value {
        /// The value before.
        from: String,
        /// The value after.
        to: String,
    },
    /// Histogram bucket bounds differ.
    Bounds {
        /// The bounds before.
        from: Vec<f64>,
        /// The bounds after.
        to: Vec<f64>,
    },
    /// A member of a set (event name, status code, signal type) came or went.
    Member {
        /// Which set.
        set: MemberSet,
        /// The member.
        member: String,
        /// True when it came, false when it went.
        added: bool,
    },
    /// A key of a key set appeared.
    KeyAdded {
        /// Which key set.
        set: KeySet,
        /// The key.
        key: String,
        /// Its estimated distinct values.
        cardinality: u64,
        /// The new-high-cardinality threshold it exceeded, if it did.
        over: Option<u64>,
    },
    /// A key of a key set disappeared.
    KeyRemoved {
        /// Which key set.
        set: KeySet,
        /// The key.
        key: String,
        /// Its estimated distinct values before.
        cardinality: u64,
    },
    /// A whole item (metric, span, log severity, attribute) appeared or disappeared.
    Item {
        /// What the item is, with what its wording needs.
        item: ItemFacts,
        /// True when it appeared, false when it disappeared.
        added: bool,
        /// Its size: active series, or the distinct values of its widest key.
        size: u64,
        /// The new-high-cardinality threshold it exceeded, if it did (only when added).
        over: Option<u64>,
    },
    /// (verdicts) An unbounded key, an SDK overflow or a metric near the SDK limit.
    Verdict(VerdictEvidence),
    /// A log body template came, went, or its share of the severity's records moved.
    Template {
        /// The template text (`<*>` marks variable parts).
        template: String,
        /// Its share of records before (0..=1), absent when it is new.
        from_share: Option<f64>,
        /// Its share of records after (0..=1), absent when it is gone.
        to_share: Option<f64>,
    },
}

/// (verdicts) Findings of [`super::verdict_rules`], as data.
#[derive(Debug, Clone, PartialEq)]
pub enum VerdictEvidence {
    /// A key judged unbounded on the newer side: new (`was` None) or turned from `was`.
    Unbounded {
        /// Which key set.
        set: KeySet,
        /// The key.
        key: String,
        /// The older verdict, when the key existed.
        was: Option<crate::session::Verdict>,
        /// 0 to 1.
        confidence: f64,
        /// The evidence's stored one-line reason.
        reason: String,
        /// The metric's projected backend series (metrics only).
        cost: Option<crate::session::cost::Projection>,
    },
    /// A metric newly carrying `otel.metric.overflow`.
    Overflow,
    /// A metric's series newly at or above the near-limit share of the SDK limit.
    NearLimit {
        /// Its active series.
        series: u64,
        /// The SDK limit in force.
        limit: u64,
    },
    /// Added and removed items folded by their name pattern ([`super::name_patterns`]).
    NamePattern {
        /// Names with the pattern on the older side.
        names_from: u64,
        /// Names with the pattern on the newer side.
        names_to: u64,
        /// Folded names that are new.
        added: u64,
        /// Folded names that are gone.
        removed: u64,
        /// A few of the folded names, in name order.
        examples: Vec<String>,
        /// The newer side's verdict on the pattern's varying part, with its confidence and
        /// reason (absent when fewer than two of its names are there).
        verdict: Option<(crate::session::Verdict, f64, String)>,
    },
}

/// Where a growing (or shrinking) number landed on a threshold ladder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Grew at least `threshold` times, with the new value at or above the floor: the rule's
    /// ratio fired.
    Crossed {
        /// The ratio that was reached.
        threshold: f64,
    },
    /// Grew at least the lowest ratio of the ladder but the new value is under the floor, so
    /// no ratio rule applies.
    UnderFloor {
        /// The floor (`[floors] ratio_min_value`).
        floor: u64,
    },
    /// Changed by a relative amount below every ratio (or shrank).
    Moved,
    /// Grew from zero.
    FromNone,
}

/// What an estimated cardinality counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A metric's active series.
    ActiveSeries,
    /// An attribute of the catalog.
    Attribute,
    /// A key of one of an item's key sets.
    Key {
        /// Which key set.
        set: KeySet,
        /// The key.
        key: String,
    },
}

/// One of an item's key sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySet {
    /// A metric's label keys.
    Label,
    /// Resource attribute keys.
    Resource,
    /// Span or log attribute keys.
    Attribute,
    /// The attribute keys of one span event.
    EventAttribute {
        /// The event name.
        event: String,
    },
    /// Span link attribute keys.
    LinkAttribute,
}

/// What a sample count counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Metric data points.
    Samples,
    /// Spans.
    Spans,
    /// Log records.
    Records,
    /// Occurrences of an attribute.
    Occurrences,
}

/// A set of plain members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberSet {
    /// Span or log event names.
    Event,
    /// Span status codes.
    StatusCode,
    /// The signals an attribute was seen on.
    Signal,
}

/// What a whole item that came or went is, with the facts its wording uses.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemFacts {
    /// A metric, sized by active series.
    Metric {
        /// Its type.
        metric_type: MetricType,
    },
    /// A span name, sized by its widest attribute key.
    Span {
        /// Its kind's name (or `kind N`).
        kind: String,
        /// The attribute key with the most distinct values, if it has any.
        widest_key: Option<String>,
    },
    /// A log severity, sized by its widest attribute key.
    Log {
        /// The attribute key with the most distinct values, if it has any.
        widest_key: Option<String>,
    },
    /// An attribute of the catalog, sized by its distinct values.
    Attribute {
        /// The signals it was seen on.
        signals: Vec<String>,
    },
}

/// The label key behind a growth in active series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesDriver {
    /// The label key.
    pub key: String,
    /// Its estimate before; `None` (or zero) when the key is new.
    pub from: Option<u64>,
    /// Its estimate after.
    pub to: u64,
}
