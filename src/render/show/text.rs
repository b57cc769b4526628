//! `show` as tables for people: the header, the overview's sections and one item in full,
//! fitted to the terminal's width.

use super::*;

fn top_key_cell(t: &Option<TopKey>) -> String {
    t.as_ref()
        .map(|t| {
            format!(
                "{} ({})",
                t.key,
                card(t.estimated_cardinality, t.approximate)
            )
        })
        .unwrap_or_default()
}

fn join_limited(items: &[&str], shown: usize) -> String {
    let mut s = items
        .iter()
        .take(shown)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > shown {
        let _ = write!(s, " +{} more", items.len() - shown);
    }
    s
}

fn header_text(h: &HeaderView<'_>, out: &mut String) {
    let mut line = |k: &str, v: String| {
        label_line(out, k, &v, 13);
    };
    line("Session", h.name.to_string());
    line("Description", h.description.to_string());
    line("Created", h.created.clone());
    if let Some(c) = h.capture {
        let window = h
            .window_seconds
            .map(human::duration)
            .unwrap_or_else(|| "0s".into());
        line(
            "Captured",
            format!(
                "{} → {} ({window})",
                format_time(&c.started),
                format_time(&c.ended)
            ),
        );
        line("Sources", c.sources.join(", "));
        line(
            "Requests",
            format!(
                "{} accepted, {} rejected, {} items dropped",
                human::with_commas(c.requests),
                human::with_commas(c.rejected),
                human::with_commas(c.dropped)
            ),
        );
    }
    if let Some(p) = h.producer {
        line("Producer", format!("{} {}", p.name, p.version));
    }
    line("Merged from", h.merged_from.join(", "));
    line("Signals", h.signals.join(", "));
    let services: Vec<&str> = h.services.iter().map(String::as_str).collect();
    if !services.is_empty() {
        line(
            "Services",
            format!("{} ({})", join_limited(&services, 10), services.len()),
        );
    }
    line(
        "Counts",
        format!(
            "{} metrics, {} span names, {} log severities, {} attributes",
            human::with_commas(h.metrics_count),
            human::with_commas(h.spans_count),
            human::with_commas(h.logs_count),
            human::with_commas(h.attributes_count)
        ),
    );
    if let Some(size) = h.size_bytes {
        let path = h
            .path
            .as_deref()
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        line("Size", format!("{}{path}", human::human_bytes(size)));
    }
    for (i, n) in h.notes.iter().enumerate() {
        line(if i == 0 { "Notes" } else { "" }, n.clone());
    }
}

/// `Label        value`: the value escaped, and wrapped between words under itself when the
/// output is fitted to a width.
fn label_line(out: &mut String, label: &str, value: &str, indent: usize) {
    let v = crate::render::escape::term(value);
    if v.is_empty() {
        return;
    }
    let lines = match fit::width() {
        Some(w) => fit::wrap(&v, w.saturating_sub(indent).max(fit::NAME_MIN)),
        None => vec![v.into_owned()],
    };
    for (i, l) in lines.iter().enumerate() {
        let label = if i == 0 { label } else { "" };
        let _ = writeln!(out, "{label:<indent$}{l}");
    }
}

/// Telemetry text made safe for a terminal, as a cell's text.
fn esc(text: impl std::fmt::Display) -> String {
    crate::render::escape::term(&text.to_string()).into_owned()
}

/// A table of `columns` whose cells are already escaped: natural widths when output is not
/// fitted, else fitted to [`fit::width`] by [`fit::fit_columns`] (columns dropped by rank,
/// names shortened in the middle, text wrapped between words).
fn fitted_table(style: TableStyle, columns: &[Column], mut rows: Vec<Vec<String>>) -> String {
    let width = fit::width();
    let keep = match width {
        Some(w) => fit::fit_columns(columns, &mut rows, w),
        None => vec![true; columns.len()],
    };
    let header: Vec<&str> = columns
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(c, _)| c.header)
        .collect();
    let mut t = new_table(style, &header);
    if width.is_some() {
        // Cells are laid out already: the table must not break them again.
        t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    }
    for row in rows {
        t.add_row(
            row.into_iter()
                .zip(columns.iter().zip(&keep))
                .filter(|(_, (_, k))| **k)
                .map(|(text, (c, _))| if c.right { num(text) } else { Cell::new(text) })
                .collect::<Vec<_>>(),
        );
    }
    t.to_string()
}

/// The overview's suspect keys: what is suspect and why stay at any width.
const SUSPECT_COLUMNS: [Column; 6] = [
    Column::keep("ITEM", Give::Name),
    Column::keep("KEY", Give::Name),
    Column::drop("VERDICT", Give::Fixed, 2),
    Column::drop("DISTINCT", Give::Fixed, 0).right(),
    Column::keep("WHY", Give::Text { hang: false }),
    Column::drop("COST", Give::Text { hang: false }, 1),
];

/// The overview's metrics table: name, series and top key are kept at any width.
const METRIC_COLUMNS: [Column; 9] = [
    Column::keep("METRIC", Give::Name),
    Column::drop("TYPE", Give::Fixed, 5),
    Column::drop("UNIT", Give::Fixed, 4),
    Column::keep("SERIES", Give::Fixed).right(),
    Column::drop("BACKEND", Give::Fixed, 3).right(),
    Column::drop("POINTS", Give::Fixed, 1).right(),
    Column::drop("KEYS", Give::Fixed, 2).right(),
    Column::keep("TOP KEY", Give::Text { hang: false }),
    Column::drop("SERVICES", Give::Text { hang: false }, 0),
];

/// The overview's spans table: the kind stays, as one name can have several kinds.
const SPAN_COLUMNS: [Column; 6] = [
    Column::keep("SPAN", Give::Name),
    Column::keep("KIND", Give::Fixed),
    Column::drop("SPANS", Give::Fixed, 2).right(),
    Column::drop("KEYS", Give::Fixed, 1).right(),
    Column::keep("TOP ATTRIBUTE", Give::Text { hang: false }),
    Column::drop("SERVICES", Give::Text { hang: false }, 0),
];

/// The overview's logs table.
const LOG_COLUMNS: [Column; 5] = [
    Column::keep("SEVERITY", Give::Fixed),
    Column::drop("RECORDS", Give::Fixed, 2).right(),
    Column::drop("KEYS", Give::Fixed, 0).right(),
    Column::drop("TOP ATTRIBUTE", Give::Text { hang: false }, 1),
    Column::keep("TOP TEMPLATES", Give::Text { hang: true }),
];

/// The overview's attributes table.
const ATTRIBUTE_COLUMNS: [Column; 6] = [
    Column::keep("KEY", Give::Name),
    Column::keep("CARDINALITY", Give::Fixed).right(),
    Column::drop("COUNT", Give::Fixed, 1).right(),
    Column::drop("SIGNALS", Give::Fixed, 2),
    Column::drop("SCOPE", Give::Fixed, 0),
    Column::drop("SAMPLES", Give::Text { hang: false }, 3),
];

/// A drill-down's keys table.
const KEY_COLUMNS: [Column; 6] = [
    Column::keep("SCOPE", Give::Text { hang: false }),
    Column::keep("KEY", Give::Name),
    Column::drop("COUNT", Give::Fixed, 1).right(),
    Column::drop("%", Give::Fixed, 0).right(),
    Column::keep("CARDINALITY", Give::Fixed).right(),
    Column::drop("SAMPLES", Give::Text { hang: false }, 2),
];

/// A log drill-down's body templates.
const TEMPLATE_COLUMNS: [Column; 3] = [
    Column::keep("COUNT", Give::Fixed).right(),
    Column::keep("TEMPLATE", Give::Text { hang: true }),
    Column::drop("EXAMPLE", Give::Text { hang: true }, 0),
];

/// An attribute drill-down's table of the items carrying the key.
const WHERE_COLUMNS: [Column; 5] = [
    Column::keep("WHERE", Give::Fixed),
    Column::keep("ITEM", Give::Name),
    Column::drop("COUNT", Give::Fixed, 1).right(),
    Column::drop("%", Give::Fixed, 0).right(),
    Column::keep("CARDINALITY", Give::Fixed).right(),
];

fn section_title<T>(out: &mut String, what: &str, by: &str, s: &Section<T>) {
    let _ = writeln!(
        out,
        "\n{what}: {} of {}{by}",
        s.shown.len().min(s.total),
        s.total
    );
}

/// The overview as text and tables.
pub fn overview_table(o: &Overview<'_>, style: TableStyle) -> String {
    let mut out = String::new();
    header_text(&o.session, &mut out);
    if let Some(svc) = o.service {
        let _ = writeln!(out, "{:<13}{svc}", "Filter");
    }
    if let Some(s) = &o.suspects {
        section_title(&mut out, "Suspect keys", ", unbounded metric keys first", s);
        // Where one line each does not fit: the signal under the item and the scope under the
        // key, so the two name columns leave room for the reason.
        let rows_with = |stacked: bool| -> Vec<Vec<String>> {
            let sep = if stacked { "\n" } else { " " };
            s.shown
                .iter()
                .map(|x| {
                    let key = match (&x.scope, &x.key) {
                        (Some(sc), Some(k)) => format!("{k}{sep}({sc})"),
                        (None, Some(k)) => k.clone(),
                        (Some(sc), None) => format!("({sc})"),
                        (None, None) => String::new(),
                    };
                    let item = if stacked {
                        format!("{}\n{}", x.item, x.signal)
                    } else {
                        format!("{} {}", x.signal, x.item)
                    };
                    let verdict = match (x.verdict, x.confidence) {
                        (Some(v), Some(c)) => format!("{v} {:.0}%", c * 100.0),
                        _ => x.what.replace('_', " "),
                    };
                    // Item, key and reason carry telemetry text: escaped like every other
                    // cell (line by line: the breaks are ours).
                    let esc_lines = |t: &str| t.split('\n').map(esc).collect::<Vec<_>>().join("\n");
                    vec![
                        esc_lines(&item),
                        esc_lines(&key),
                        esc(verdict),
                        human::with_commas(x.distinct),
                        esc(&x.reason),
                        esc(x.cost.as_deref().unwrap_or("")),
                    ]
                })
                .collect()
        };
        let mut rows = rows_with(false);
        if let Some(w) = fit::width() {
            // Stacked only where one line each would cost a column or shorten a name.
            let mut trial = rows.clone();
            let keep = fit::fit_columns(&SUSPECT_COLUMNS, &mut trial, w);
            let names_cut = trial
                .iter()
                .zip(&rows)
                .any(|(t, r)| t[0] != r[0] || t[1] != r[1]);
            if names_cut || keep.contains(&false) {
                rows = rows_with(true);
            }
        }
        let _ = writeln!(out, "{}", fitted_table(style, &SUSPECT_COLUMNS, rows));
    }
    if let Some(s) = &o.metrics {
        section_title(&mut out, "Metrics", ", by active series", s);
        if !s.shown.is_empty() {
            let rows = s
                .shown
                .iter()
                .map(|m| {
                    vec![
                        esc(m.name),
                        esc(m.metric_type),
                        esc(m.unit),
                        card(m.active_series, m.series_approximate),
                        human::with_commas(m.backend_series),
                        human::count(m.data_point_count),
                        m.label_keys.to_string(),
                        esc(top_key_cell(&m.top_key)),
                        esc(join_limited(&m.services, 3)),
                    ]
                })
                .collect();
            let _ = writeln!(out, "{}", fitted_table(style, &METRIC_COLUMNS, rows));
        }
    }
    if let Some(s) = &o.spans {
        section_title(&mut out, "Spans", ", by highest attribute cardinality", s);
        if !s.shown.is_empty() {
            let rows = s
                .shown
                .iter()
                .map(|x| {
                    vec![
                        esc(x.name),
                        esc(x.kind_name),
                        human::count(x.sample_count),
                        x.attribute_keys.to_string(),
                        esc(top_key_cell(&x.top_attribute)),
                        esc(join_limited(&x.services, 3)),
                    ]
                })
                .collect();
            let _ = writeln!(out, "{}", fitted_table(style, &SPAN_COLUMNS, rows));
        }
    }
    if let Some(s) = &o.logs {
        section_title(&mut out, "Logs", ", by severity", s);
        if !s.shown.is_empty() {
            let mut rows = Vec::new();
            for x in &s.shown {
                // Each template escaped on its own: the line breaks between them are ours.
                let mut templates = x
                    .top_templates
                    .iter()
                    .map(|b| esc(format!("{}× {}", human::count(b.count), b.template)))
                    .collect::<Vec<_>>()
                    .join("\n");
                if x.templates_total > x.top_templates.len() {
                    let _ = write!(
                        templates,
                        "\n+{} more",
                        x.templates_total - x.top_templates.len()
                    );
                }
                rows.push(vec![
                    esc(x.severity),
                    human::count(x.sample_count),
                    x.attribute_keys.to_string(),
                    esc(top_key_cell(&x.top_attribute)),
                    templates,
                ]);
            }
            let _ = writeln!(out, "{}", fitted_table(style, &LOG_COLUMNS, rows));
        }
    }
    if let Some(s) = &o.attributes {
        section_title(&mut out, "Attributes", ", by estimated cardinality", s);
        if !s.shown.is_empty() {
            let rows = s
                .shown
                .iter()
                .map(|a| {
                    vec![
                        esc(a.key),
                        card(a.estimated_cardinality, a.approximate),
                        human::count(a.count),
                        esc(a.signal_types.join(",")),
                        esc(a.scope),
                        esc(samples(a.value_samples)),
                    ]
                })
                .collect();
            let _ = writeln!(out, "{}", fitted_table(style, &ATTRIBUTE_COLUMNS, rows));
        }
    }
    out
}

fn samples(v: &[String]) -> String {
    v.join(", ")
}

fn keys_table(style: TableStyle, groups: &[(String, &KeyStatsMap)]) -> Option<String> {
    if groups.iter().all(|(_, m)| m.is_empty()) {
        return None;
    }
    let mut rows = Vec::new();
    for (scope, m) in groups {
        for (k, ks) in *m {
            rows.push(vec![
                esc(scope),
                esc(k),
                human::with_commas(ks.count),
                format!("{:.1}", ks.percentage),
                card(ks.estimated_cardinality, ks.approximate),
                esc(samples(&ks.value_samples)),
            ]);
        }
    }
    Some(fitted_table(style, &KEY_COLUMNS, rows))
}

fn services_line(m: &ServiceCounts) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} ({})", human::with_commas(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The drill-down as text and a table of every key.
pub fn item_table(s: &Session, item: &Item<'_>, style: TableStyle) -> String {
    let mut out = String::new();
    let line = |out: &mut String, k: &str, v: String| label_line(out, k, &v, 15);
    line(&mut out, "Session", s.id.clone());
    match item {
        Item::Metric(m) => {
            line(&mut out, "Metric", m.name.clone());
            line(&mut out, "Description", m.description.clone());
            let mut ty = m.metric_type.as_str().to_string();
            if let Some(t) = &m.aggregation_temporality {
                let _ = write!(ty, ", {t}");
            }
            if let Some(mono) = m.is_monotonic {
                ty.push_str(if mono {
                    ", monotonic"
                } else {
                    ", non-monotonic"
                });
            }
            line(&mut out, "Type", ty);
            line(&mut out, "Unit", m.unit.clone());
            line(
                &mut out,
                "Active series",
                card(m.active_series, m.series_approximate),
            );
            line(
                &mut out,
                "Data points",
                human::with_commas(m.data_point_count),
            );
            line(&mut out, "Services", services_line(&m.services));
            line(
                &mut out,
                "Bucket bounds",
                m.explicit_bounds
                    .iter()
                    .map(|b| b.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            line(
                &mut out,
                "Scales",
                m.scales
                    .iter()
                    .map(|b| b.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            for c in &m.conflicts {
                let src = if c.source.is_empty() {
                    String::new()
                } else {
                    format!(" in '{}'", c.source)
                };
                line(
                    &mut out,
                    "Conflict",
                    format!("{} was also '{}'{src}", c.field, c.other),
                );
            }
            if let Some(t) = keys_table(
                style,
                &[
                    ("label".into(), &m.label_keys),
                    ("resource".into(), &m.resource_keys),
                ],
            ) {
                let _ = writeln!(out, "\n{t}");
            }
        }
        Item::Spans(v) => {
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                line(&mut out, "Span", x.name.clone());
                line(&mut out, "Kind", format!("{} ({})", x.kind_name, x.kind));
                line(&mut out, "Spans", human::with_commas(x.sample_count));
                line(&mut out, "Services", services_line(&x.services));
                line(&mut out, "Status codes", x.status_codes.join(", "));
                line(&mut out, "Events", x.event_names.join(", "));
                let mut groups: Vec<(String, &KeyStatsMap)> = vec![
                    ("attribute".into(), &x.attribute_keys),
                    ("resource".into(), &x.resource_keys),
                    ("link".into(), &x.link_attribute_keys),
                ];
                for (ev, m) in &x.event_attribute_keys {
                    groups.push((format!("event {ev}"), m));
                }
                if let Some(t) = keys_table(style, &groups) {
                    let _ = writeln!(out, "\n{t}");
                }
            }
        }
        Item::Log(l) => {
            line(
                &mut out,
                "Severity",
                format!("{} ({})", l.severity, l.severity_number),
            );
            line(&mut out, "Records", human::with_commas(l.sample_count));
            line(&mut out, "Services", services_line(&l.services));
            line(&mut out, "Events", l.event_names.join(", "));
            if let Some(t) = keys_table(
                style,
                &[
                    ("attribute".into(), &l.attribute_keys),
                    ("resource".into(), &l.resource_keys),
                ],
            ) {
                let _ = writeln!(out, "\n{t}");
            }
            if !l.body_templates.is_empty() {
                let rows = l
                    .body_templates
                    .iter()
                    .map(|b| {
                        vec![
                            human::with_commas(b.count),
                            esc(&b.template),
                            esc(&b.example),
                        ]
                    })
                    .collect();
                let _ = writeln!(out, "\n{}", fitted_table(style, &TEMPLATE_COLUMNS, rows));
            }
        }
        Item::Attribute(a) => {
            line(&mut out, "Attribute", a.key.clone());
            line(
                &mut out,
                "Cardinality",
                card(a.estimated_cardinality, a.approximate),
            );
            line(&mut out, "Count", human::with_commas(a.count));
            line(&mut out, "Signals", a.signal_types.join(", "));
            line(&mut out, "Scope", a.scope.clone());
            if let Some(t) = a.first_seen {
                line(&mut out, "First seen", format_time(&t));
            }
            if let Some(t) = a.last_seen {
                line(&mut out, "Last seen", format_time(&t));
            }
            line(&mut out, "Samples", samples(&a.value_samples));
            // Where the key appears: every item carrying it, with its per-item statistics.
            let mut rows: Vec<Vec<String>> = Vec::new();
            let mut add = |kind: &str, item: &str, ks: &KeyStats| {
                rows.push(vec![
                    esc(kind),
                    esc(item),
                    human::with_commas(ks.count),
                    format!("{:.1}", ks.percentage),
                    card(ks.estimated_cardinality, ks.approximate),
                ]);
            };
            for m in &s.data.metrics {
                for (kind, map) in [
                    ("metric label", &m.label_keys),
                    ("metric resource", &m.resource_keys),
                ] {
                    if let Some(ks) = map.get(&a.key) {
                        add(kind, &m.name, ks);
                    }
                }
            }
            for x in &s.data.spans {
                for (kind, map) in [
                    ("span attribute", &x.attribute_keys),
                    ("span resource", &x.resource_keys),
                ] {
                    if let Some(ks) = map.get(&a.key) {
                        add(kind, &x.name, ks);
                    }
                }
            }
            for l in &s.data.logs {
                for (kind, map) in [
                    ("log attribute", &l.attribute_keys),
                    ("log resource", &l.resource_keys),
                ] {
                    if let Some(ks) = map.get(&a.key) {
                        add(kind, &l.severity, ks);
                    }
                }
            }
            if !rows.is_empty() {
                let _ = writeln!(out, "\n{}", fitted_table(style, &WHERE_COLUMNS, rows));
            }
        }
    }
    out
}
