//! `show` drill-down as JSON: one item as in the session file, without sketch bytes.

use super::*;

fn strip_keys(m: &mut KeyStatsMap) {
    for ks in m.values_mut() {
        ks.sketch = None;
    }
}

/// The drill-down as JSON, in the session file's field order.
#[derive(Debug, Clone, Serialize)]
struct ItemOut<'a> {
    session: HeaderView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric: Option<MetricMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spans: Option<Vec<SpanMeta>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<LogMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribute: Option<AttributeMeta>,
}

/// The drill-down as JSON: the item as stored, without sketch bytes.
pub fn item_json(s: &Session, origin: &Origin, item: &Item<'_>) -> String {
    let mut out = ItemOut {
        session: HeaderView::of(s, origin),
        metric: None,
        spans: None,
        log: None,
        attribute: None,
    };
    match item {
        Item::Metric(m) => {
            let mut m = (*m).clone();
            m.series_sketch = None;
            m.key_maps_mut().for_each(strip_keys);
            out.metric = Some(m);
        }
        Item::Spans(v) => {
            out.spans = Some(
                v.iter()
                    .map(|x| {
                        let mut x = (*x).clone();
                        x.key_maps_mut().for_each(strip_keys);
                        x
                    })
                    .collect(),
            );
        }
        Item::Log(l) => {
            let mut l = (*l).clone();
            l.key_maps_mut().for_each(strip_keys);
            out.log = Some(l);
        }
        Item::Attribute(a) => {
            let mut a = (*a).clone();
            a.sketch = None;
            out.attribute = Some(a);
        }
    }
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}
