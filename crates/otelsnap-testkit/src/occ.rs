//! A session re-written the way the OTLP Cardinality Checker exports the same telemetry, to
//! test that an OCC import and a native capture compare like with like.
//!
//! Written from OCC's published model (as [`crate::fixtures::occ_export`] is): its field and
//! type names, none of our additions (capture, observed time, completeness, sketches,
//! `data_point_count`), no `aggregation_temporality` or `is_monotonic` (Go's `omitempty` drops
//! them), and log templates spelled as OCC spells them: punctuation kept outside the
//! placeholder, and a run of variable words as one placeholder (`order <*>: <*>` where we
//! write `order <*> <*> <*>`).

use otelsnap_core::session::Session;
use serde_json::{Map, Value, json};

const W: &str = "<*>";

/// `session` as an OCC export would carry it.
pub fn occ_shaped(session: &Session) -> Value {
    let mut v = serde_json::to_value(session).unwrap_or(Value::Null);
    let Some(top) = v.as_object_mut() else {
        return v;
    };
    for k in [
        "capture",
        "producer",
        "merged_from",
        "notes",
        "observed",
        "completeness",
        "baseline",
    ] {
        top.remove(k);
    }
    top.insert("size_bytes".into(), json!(4096));
    let Some(data) = top.get_mut("data").and_then(Value::as_object_mut) else {
        return v;
    };
    for m in list(data, "metrics") {
        for k in [
            "series_sketch",
            "series_approximate",
            "data_point_count",
            "aggregation_temporality",
            "is_monotonic",
            "conflicts",
            "incomplete",
        ] {
            m.remove(k);
        }
        if let Some(t) = m.get("type").and_then(Value::as_str) {
            let occ = occ_type(t);
            m.insert("type".into(), json!(occ));
        }
        keys(m, &["label_keys", "resource_keys"]);
    }
    for s in list(data, "spans") {
        s.remove("incomplete");
        keys(
            s,
            &["attribute_keys", "resource_keys", "link_attribute_keys"],
        );
        if let Some(ev) = s
            .get_mut("event_attribute_keys")
            .and_then(Value::as_object_mut)
        {
            for m in ev.values_mut() {
                strip_keys(m);
            }
        }
    }
    for l in list(data, "logs") {
        l.remove("incomplete");
        keys(l, &["attribute_keys", "resource_keys"]);
        if let Some(ts) = l.get_mut("body_templates").and_then(Value::as_array_mut) {
            for t in ts.iter_mut().filter_map(Value::as_object_mut) {
                let ours = t.get("template").and_then(Value::as_str).unwrap_or("");
                let example = t.get("example").and_then(Value::as_str).unwrap_or("");
                let spelled = occ_template(ours, example);
                t.insert("template".into(), json!(spelled));
            }
        }
    }
    for a in list(data, "attributes") {
        a.remove("sketch");
        a.remove("approximate");
    }
    v
}

fn list<'a>(
    data: &'a mut Map<String, Value>,
    k: &str,
) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    data.get_mut(k)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

fn keys(item: &mut Map<String, Value>, maps: &[&str]) {
    for k in maps {
        if let Some(m) = item.get_mut(*k) {
            strip_keys(m);
        }
    }
}

fn strip_keys(m: &mut Value) {
    for ks in m.as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
        if let Some(o) = ks.as_object_mut() {
            o.remove("sketch");
            o.remove("approximate");
        }
    }
}

/// OCC's type names (`ExponentialHistogram`).
fn occ_type(t: &str) -> &'static str {
    match t {
        "gauge" => "Gauge",
        "sum" => "Sum",
        "histogram" => "Histogram",
        "exponential_histogram" => "ExponentialHistogram",
        "summary" => "Summary",
        _ => "Empty",
    }
}

/// Our template re-spelled as OCC writes it, using the example body for the punctuation our
/// whole-token placeholders swallowed: `Payment declined for order <*> <*> <*>` with example
/// `… ORD-1: insufficient funds` becomes `Payment declined for order <*>: <*>`.
pub fn occ_template(ours: &str, example: &str) -> String {
    let t: Vec<&str> = ours.split_whitespace().collect();
    let e: Vec<&str> = example.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for (i, tok) in t.iter().enumerate() {
        if *tok != W {
            out.push((*tok).to_string());
            open = false;
            continue;
        }
        // Punctuation that ends the example's word stays outside the placeholder.
        let trail: String = e
            .get(i)
            .filter(|_| e.len() == t.len())
            .map(|w| {
                let kept = w.trim_end_matches(|c: char| !c.is_alphanumeric());
                w[kept.len()..].to_string()
            })
            .unwrap_or_default();
        if open && let Some(last) = out.last_mut() {
            // A run of variable words is one placeholder.
            last.push_str(&trail);
        } else {
            out.push(format!("{W}{trail}"));
        }
        open = trail.is_empty();
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::occ_template;

    #[test]
    fn spells_templates_as_occ_does() {
        assert_eq!(
            occ_template(
                "Payment declined for order <*> <*> <*>",
                "Payment declined for order ORD-46927: insufficient funds"
            ),
            "Payment declined for order <*>: <*>"
        );
        assert_eq!(
            occ_template(
                "Order <*> placed with <*> items",
                "Order ORD-1 placed with 3 items"
            ),
            "Order <*> placed with <*> items"
        );
    }
}
