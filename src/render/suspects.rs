//! The suspect keys of a session for `show`: unbounded keys on metrics first (with their
//! projected cost), then metrics that overflowed the SDK's cardinality limit or come near it,
//! then unbounded keys elsewhere (span, event, link and log attributes), where identifiers are
//! common. Metric and span names that carry identifiers (`GET /orders/<id>`) are listed by
//! pattern with the metric keys and the span keys.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analyze::names::name_patterns_where;
use crate::diff::verdict_rules::OVERFLOW_KEY;
use crate::session::{KeyStatsMap, MetricMeta, Session, Signal, Verdict, cost};

/// The SDK limit `show` measures against (the OpenTelemetry SDKs' default per instrument).
pub const DEFAULT_SDK_LIMIT: u64 = 2000;
/// The share of that limit that counts as near.
pub const NEAR_SHARE: f64 = 0.8;

/// One suspect.
#[derive(Debug, Clone, Serialize)]
pub struct Suspect {
    /// `unbounded_key`, `unbounded_name_pattern` (item names carrying ids, `item` is the
    /// pattern), `sdk_overflow` or `near_limit`.
    pub what: &'static str,
    /// `metric`, `span` or `log`.
    pub signal: &'static str,
    /// Metric or span name, or log severity.
    pub item: String,
    /// `label_keys`, `resource_keys`, `attribute_keys`, `event_attribute_keys.NAME`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<BTreeMap<String, u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth: Option<Vec<[u64; 2]>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<u64>,
    pub distinct: u64,
    /// Backend series of the metric now (metrics only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_series: Option<u64>,
    /// Backend series at 10× and 100× the traffic, if growth goes on (unbounded metric keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_series_10x: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_series_100x: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<String>,
}

fn key_suspects(
    out: &mut Vec<Suspect>,
    signal: &'static str,
    item: &str,
    scope: &str,
    keys: &KeyStatsMap,
    metric: Option<&MetricMeta>,
) {
    for (k, ks) in keys {
        let Some(ev) = ks.evidence.as_deref() else {
            continue;
        };
        if ev.verdict != Verdict::Unbounded {
            continue;
        }
        let p = metric.map(|m| cost::projection(m, Some(ks)));
        out.push(Suspect {
            what: "unbounded_key",
            signal,
            item: item.to_string(),
            scope: Some(scope.to_string()),
            key: Some(k.to_string()),
            verdict: Some(ev.verdict),
            confidence: Some(ev.confidence),
            reason: ev.reason.clone(),
            profile: Some(
                ev.profile
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect(),
            ),
            growth: Some(ev.growth.clone()),
            units: Some(ev.units),
            distinct: ks.estimated_cardinality,
            backend_series: p.as_ref().map(|p| p.backend),
            backend_series_10x: p.as_ref().and_then(|p| p.growth.map(|g| g.1)),
            backend_series_100x: p.as_ref().and_then(|p| p.growth.map(|g| g.2)),
            cost: p.map(|p| p.describe()),
        });
    }
}

/// Every suspect of `s`, in the order `show` lists them.
pub fn suspects(
    s: &Session,
    keep: impl Fn(&crate::session::ServiceCounts) -> bool,
) -> Vec<Suspect> {
    let mut metric_keys = Vec::new();
    let mut limits = Vec::new();
    let mut others = Vec::new();
    for m in s.data.metrics.iter().filter(|m| keep(&m.services)) {
        key_suspects(
            &mut metric_keys,
            "metric",
            &m.name,
            "label_keys",
            &m.label_keys,
            Some(m),
        );
        key_suspects(
            &mut metric_keys,
            "metric",
            &m.name,
            "resource_keys",
            &m.resource_keys,
            Some(m),
        );
        let backend = Some(cost::backend_series(m));
        if m.label_keys.get(OVERFLOW_KEY).is_some() {
            limits.push(Suspect {
                what: "sdk_overflow",
                signal: "metric",
                item: m.name.clone(),
                scope: None,
                key: Some(OVERFLOW_KEY.into()),
                verdict: None,
                confidence: None,
                reason: format!(
                    "carries {OVERFLOW_KEY}: the SDK merged series past its cardinality limit into one; filtered queries undercount"
                ),
                profile: None,
                growth: None,
                units: None,
                distinct: m.active_series,
                backend_series: backend,
                backend_series_10x: None,
                backend_series_100x: None,
                cost: None,
            });
        } else if m.active_series as f64 >= DEFAULT_SDK_LIMIT as f64 * NEAR_SHARE {
            limits.push(Suspect {
                what: "near_limit",
                signal: "metric",
                item: m.name.clone(),
                scope: None,
                key: None,
                verdict: None,
                confidence: None,
                reason: format!(
                    "{} series, {:.0}% of the SDKs' default limit of {DEFAULT_SDK_LIMIT} per instrument",
                    m.active_series,
                    m.active_series as f64 * 100.0 / DEFAULT_SDK_LIMIT as f64
                ),
                profile: None,
                growth: None,
                units: None,
                distinct: m.active_series,
                backend_series: backend,
                backend_series_10x: None,
                backend_series_100x: None,
                cost: None,
            });
        }
    }
    for x in s.data.spans.iter().filter(|x| keep(&x.services)) {
        key_suspects(
            &mut others,
            "span",
            &x.name,
            "attribute_keys",
            &x.attribute_keys,
            None,
        );
        for (ev, keys) in &x.event_attribute_keys {
            key_suspects(
                &mut others,
                "span",
                &x.name,
                &format!("event_attribute_keys.{ev}"),
                keys,
                None,
            );
        }
        key_suspects(
            &mut others,
            "span",
            &x.name,
            "link_attribute_keys",
            &x.link_attribute_keys,
            None,
        );
        key_suspects(
            &mut others,
            "span",
            &x.name,
            "resource_keys",
            &x.resource_keys,
            None,
        );
    }
    for l in s.data.logs.iter().filter(|x| keep(&x.services)) {
        key_suspects(
            &mut others,
            "log",
            &l.severity,
            "attribute_keys",
            &l.attribute_keys,
            None,
        );
        key_suspects(
            &mut others,
            "log",
            &l.severity,
            "resource_keys",
            &l.resource_keys,
            None,
        );
    }
    let by_weight = |a: &Suspect, b: &Suspect| {
        b.backend_series_100x
            .unwrap_or(b.distinct)
            .cmp(&a.backend_series_100x.unwrap_or(a.distinct))
            .then_with(|| a.item.cmp(&b.item))
            .then_with(|| a.key.cmp(&b.key))
    };
    for p in name_patterns_where(s, &keep) {
        if p.evidence.verdict != Verdict::Unbounded {
            continue;
        }
        let ev = &p.evidence;
        let (signal, into) = match p.signal {
            Signal::Metrics => ("metric", &mut metric_keys),
            _ => ("span", &mut others),
        };
        into.push(Suspect {
            what: "unbounded_name_pattern",
            signal,
            item: p.pattern.clone(),
            scope: Some("names".into()),
            key: None,
            verdict: Some(ev.verdict),
            confidence: Some(ev.confidence),
            reason: format!(
                "{} names with this pattern (e.g. {}); {}",
                p.names,
                p.examples.join(", "),
                ev.reason
            ),
            profile: Some(
                ev.profile
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect(),
            ),
            growth: None,
            units: Some(ev.units),
            distinct: p.names,
            backend_series: None,
            backend_series_10x: None,
            backend_series_100x: None,
            cost: None,
        });
    }
    metric_keys.sort_by(by_weight);
    limits.sort_by(|a, b| a.what.cmp(b.what).reverse().then_with(|| by_weight(a, b)));
    others.sort_by(by_weight);
    metric_keys
        .into_iter()
        .chain(limits)
        .chain(others)
        .collect()
}
