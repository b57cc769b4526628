//! Paste-ready fixes for an unbounded metric key: an OpenTelemetry SDK View (declarative
//! configuration YAML) that keeps only the metric's other keys, and a Collector `transform`
//! processor that deletes the key from that metric's data points with OTTL. Attached by
//! [`super::verdict_rules`] to changes with a critical label finding (`metadata.fixes`).

use serde::{Deserialize, Serialize};

use super::Change;

/// The two snippets for one metric and key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// The instrument (metric name) the snippets target.
    pub metric: String,
    /// The key they remove.
    pub key: String,
    /// `label` (a data point attribute) or `resource`.
    pub scope: String,
    /// OpenTelemetry SDK declarative configuration (`OTEL_EXPERIMENTAL_CONFIG_FILE`): a view
    /// keeping only the other keys. Absent for resource keys, which views cannot drop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_view: Option<String>,
    /// OpenTelemetry Collector configuration: a `transform` processor.
    pub collector: String,
}

/// Invisible or direction-changing characters that would make a snippet read differently
/// from what it does.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A YAML double-quoted scalar: every character that could end or bend it escaped, and
/// control characters spelled out, so any metric name or key stays one plain string.
pub fn yaml_str(s: &str) -> String {
    yaml_lines(&[s], "")
}

/// One YAML double-quoted scalar written over several lines (continuations indented by
/// `indent`): YAML folds each line break into one space, so the value is `parts` joined by
/// spaces, while no snippet line grows past a terminal's width for the usual names.
fn yaml_lines(parts: &[&str], indent: &str) -> String {
    let mut out = String::from("\"");
    for (i, s) in parts.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(indent);
        }
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if hidden(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
    }
    out.push('"');
    out
}

/// An OTTL string literal (double quotes; `"` and `\` escaped, control characters dropped
/// since OTTL has no escape for them).
pub fn ottl_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if hidden(c) => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A processor name part from a key: letters, digits and `_` only.
fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    if out.is_empty() {
        out.push('x');
    }
    out
}

/// The fix for label `key` of `metric`, whose other label keys are `others`.
pub fn for_label(metric: &str, key: &str, others: &[&str]) -> Fix {
    let mut view = String::new();
    view.push_str("# OpenTelemetry SDK declarative configuration: keep every key but this one\n");
    view.push_str("meter_provider:\n  views:\n    - selector:\n");
    view.push_str(&format!("        instrument_name: {}\n", yaml_str(metric)));
    view.push_str("      stream:\n        attribute_keys:\n");
    if others.is_empty() {
        view.push_str("          included: []\n");
    } else {
        view.push_str("          included:\n");
        for k in others {
            view.push_str(&format!("            - {}\n", yaml_str(k)));
        }
    }
    let delete = format!("delete_key(attributes, {})", ottl_str(key));
    let only = format!("where metric.name == {}", ottl_str(metric));
    let collector = format!(
        "# OpenTelemetry Collector: this processor deletes the key; add its name to\n# service.pipelines.metrics.processors\nprocessors:\n  transform/drop_{s}:\n    error_mode: ignore\n    metric_statements:\n      - context: datapoint\n        statements:\n          - {}\n",
        yaml_lines(&[&delete, &only], "            "),
        s = slug(key)
    );
    Fix {
        metric: metric.to_string(),
        key: key.to_string(),
        scope: "label".into(),
        sdk_view: Some(view),
        collector,
    }
}

/// The fix for resource key `key` seen on `metric`: SDK views act on point attributes, so
/// only the Collector can drop it (from every metric of that resource).
pub fn for_resource(metric: &str, key: &str) -> Fix {
    let stmt = format!("delete_key(attributes, {})", ottl_str(key));
    let collector = format!(
        "# OpenTelemetry Collector: drops the resource attribute from every metric of the\n# resource; add its name to service.pipelines.metrics.processors\nprocessors:\n  transform/drop_{s}:\n    error_mode: ignore\n    metric_statements:\n      - context: resource\n        statements:\n          - {}\n",
        yaml_str(&stmt),
        s = slug(key)
    );
    Fix {
        metric: metric.to_string(),
        key: key.to_string(),
        scope: "resource".into(),
        sdk_view: None,
        collector,
    }
}

/// The fixes attached to a change (by the verdict rules), if any.
pub fn fixes_of(c: &Change) -> Vec<Fix> {
    c.metadata
        .get(super::verdict_rules::FIXES)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_keep_hostile_names_inside_one_string() {
        assert_eq!(yaml_str("a\"b\\c\nd"), "\"a\\\"b\\\\c\\u000ad\"");
        assert_eq!(ottl_str("x\"y\n\u{202e}"), "\"x\\\"y\"");
        assert_eq!(slug("user.id-Ä"), "user_id__");
    }

    use serde_yaml_ng::Value as Y;

    fn get<'a>(v: &'a Y, path: &[&str]) -> &'a Y {
        path.iter().fold(v, |v, k| match k.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[*k],
        })
    }

    /// Parses both snippets and checks they name `metric` and `key` where a Collector and an
    /// SDK read them.
    fn check(metric: &str, key: &str, others: &[&str]) {
        let f = for_label(metric, key, others);
        let view: Y = serde_yaml_ng::from_str(f.sdk_view.as_deref().unwrap()).unwrap();
        let v = get(&view, &["meter_provider", "views", "0"]);
        assert_eq!(
            get(v, &["selector", "instrument_name"]).as_str(),
            Some(metric)
        );
        let kept: Vec<&str> = get(v, &["stream", "attribute_keys", "included"])
            .as_sequence()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(kept, others);
        assert!(!kept.contains(&key));
        let col: Y = serde_yaml_ng::from_str(&f.collector).unwrap();
        let procs = col["processors"].as_mapping().unwrap();
        assert_eq!(procs.len(), 1);
        let (name, p) = procs.iter().next().unwrap();
        assert!(name.as_str().unwrap().starts_with("transform/drop_"));
        let st = &p["metric_statements"][0];
        assert_eq!(st["context"].as_str(), Some("datapoint"));
        let stmt = st["statements"][0].as_str().unwrap();
        assert_eq!(
            stmt,
            format!(
                "delete_key(attributes, {}) where metric.name == {}",
                ottl_str(key),
                ottl_str(metric)
            )
        );
    }

    #[test]
    fn snippets_parse_as_yaml_and_name_the_right_metric_and_key() {
        check(
            "http.server.request.duration",
            "user_id",
            &["http.request.method", "http.route"],
        );
        check("checkout.items", "session_id", &[]);
        // Hostile names stay single YAML strings naming exactly that metric and key.
        check("a: b # c\n- d", "k\"ey'\\", &["x: y", "[z]"]);
        let r = for_resource("m", "k8s.pod.uid");
        assert!(r.sdk_view.is_none());
        let col: Y = serde_yaml_ng::from_str(&r.collector).unwrap();
        let st = &col["processors"]["transform/drop_k8s_pod_uid"]["metric_statements"][0];
        assert_eq!(st["context"].as_str(), Some("resource"));
        assert_eq!(
            st["statements"][0].as_str(),
            Some("delete_key(attributes, \"k8s.pod.uid\")")
        );
    }
}
