//! Spans: per span name and kind, their keys, events, links, statuses and services.

use std::collections::HashMap;

use opentelemetry_proto::tonic::trace::v1::Span;

use super::state::{Cap, Ctx, Gaps, KeyMap, NameMap, ResView, add_service, services_map};
use crate::session::SpanMeta;

/// The name written as `kind_name`: the SpanKind enum name without its `SPAN_KIND_` prefix, in
/// title case (`SPAN_KIND_SERVER` → `Server`), which is how the OTel API names the kinds.
pub fn kind_name(kind: i32) -> String {
    match kind {
        0 => "Unspecified".into(),
        1 => "Internal".into(),
        2 => "Server".into(),
        3 => "Client".into(),
        4 => "Producer".into(),
        5 => "Consumer".into(),
        other => format!("Kind({other})"),
    }
}

/// The status code's name (`STATUS_CODE_OK` → `Ok`).
pub fn status_name(code: i32) -> String {
    match code {
        0 => "Unset".into(),
        1 => "Ok".into(),
        2 => "Error".into(),
        other => format!("Code({other})"),
    }
}

/// Distinct status codes kept per span name (three are valid; the rest guards hostile input).
const MAX_STATUS_CODES: usize = 16;

/// One event name on one span name.
#[derive(Debug, Default, Clone)]
pub(crate) struct EventAcc {
    pub count: u64,
    pub keys: KeyMap,
}

/// Everything known about one (span name, kind).
#[derive(Debug, Clone)]
pub(crate) struct SpanAcc {
    pub kind: i32,
    pub attrs: KeyMap,
    /// Event names with their occurrence counts and attribute keys.
    pub events: HashMap<String, EventAcc>,
    pub links: u64,
    pub link_keys: KeyMap,
    pub resource_keys: KeyMap,
    pub status_codes: Vec<i32>,
    pub count: u64,
    pub services: NameMap<u64>,
    /// What the caps refused on this span outside its key maps.
    pub gaps: Gaps,
}

impl SpanAcc {
    /// A fresh accumulator for spans of `kind`.
    pub(crate) fn new(kind: i32) -> Self {
        SpanAcc {
            kind,
            attrs: KeyMap::default(),
            events: HashMap::new(),
            links: 0,
            link_keys: KeyMap::default(),
            resource_keys: KeyMap::default(),
            status_codes: Vec::new(),
            count: 0,
            services: NameMap::default(),
            gaps: Gaps::default(),
        }
    }

    /// Takes in one span.
    pub(crate) fn ingest(&mut self, s: &Span, res: &ResView<'_>, ctx: &mut Ctx) {
        self.count += 1;
        ctx.saw_time(s.start_time_unix_nano);
        ctx.saw_time(s.end_time_unix_nano);
        self.attrs.observe_all(ctx, &s.attributes);
        for ev in &s.events {
            let full = self.events.len() >= ctx.keys_per_item;
            let acc = match self.events.get_mut(&ev.name) {
                Some(a) => a,
                None if full => {
                    ctx.refuse(Cap::KeysPerItem, 1, Some(&mut self.gaps));
                    continue;
                }
                None => self.events.entry(ev.name.clone()).or_default(),
            };
            acc.count += 1;
            acc.keys.observe_all(ctx, &ev.attributes);
        }
        for l in &s.links {
            self.links += 1;
            self.link_keys.observe_all(ctx, &l.attributes);
        }
        let code = s.status.as_ref().map_or(0, |st| st.code);
        if !self.status_codes.contains(&code) {
            if self.status_codes.len() < MAX_STATUS_CODES {
                self.status_codes.push(code);
            } else {
                ctx.refuse(Cap::StatusCodes, 1, Some(&mut self.gaps));
            }
        }
        res.observe_into(&mut self.resource_keys, ctx, 1, 1);
        add_service(&mut self.services, ctx, &res.service, 1, &mut self.gaps);
    }

    /// The session form.
    pub(crate) fn into_meta(self, name: String) -> SpanMeta {
        let n = self.count;
        let mut gaps = self.gaps;
        gaps.absorb(self.attrs.gaps);
        gaps.absorb(self.link_keys.gaps);
        gaps.absorb(self.resource_keys.gaps);
        let mut event_names = Vec::with_capacity(self.events.len());
        let mut event_attribute_keys = std::collections::BTreeMap::new();
        for (ev, acc) in self.events {
            gaps.absorb(acc.keys.gaps);
            if !acc.keys.map.is_empty() {
                event_attribute_keys.insert(ev.clone(), acc.keys.into_stats(acc.count));
            }
            event_names.push(ev);
        }
        SpanMeta {
            name,
            kind: self.kind,
            kind_name: kind_name(self.kind),
            attribute_keys: self.attrs.into_stats(n),
            event_names,
            event_attribute_keys,
            link_attribute_keys: self.link_keys.into_stats(self.links),
            resource_keys: self.resource_keys.into_stats(n),
            status_codes: self.status_codes.into_iter().map(status_name).collect(),
            sample_count: n,
            services: services_map(self.services),
            incomplete: gaps.to_incomplete(),
            ..Default::default()
        }
    }
}
