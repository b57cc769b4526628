//! Logs: per severity, their keys, event names, services and body templates.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::logs::v1::LogRecord;

use super::drain::Drain;
use super::state::{Cap, Ctx, Gaps, KeyMap, NameMap, ResView, add_service, services_map};
use super::value::write_value;
use crate::session::LogMeta;

/// Templates kept per severity at most, whatever `max_items` is: past a thousand templates a
/// severity is not being summarized any more, and each template holds an example body.
pub const MAX_TEMPLATES_PER_SEVERITY: usize = 1000;

/// The severity written when `severity_text` is empty: the short name of the severity number
/// as the OTel log data model gives it (`9` → `INFO`, `10` → `INFO2`, `0` → `UNSPECIFIED`).
pub fn severity_name(number: i32) -> String {
    const BASE: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
    match number {
        0 => "UNSPECIFIED".into(),
        1..=24 => {
            let base = BASE[((number - 1) / 4) as usize];
            match (number - 1) % 4 {
                0 => base.to_string(),
                k => format!("{base}{}", k + 1),
            }
        }
        other => format!("SEVERITY_NUMBER_{other}"),
    }
}

/// Everything known about one (severity, severity number).
#[derive(Debug, Clone)]
pub(crate) struct LogAcc {
    pub number: i32,
    pub attrs: KeyMap,
    pub resource_keys: KeyMap,
    pub templates: Drain,
    pub event_names: Vec<String>,
    pub count: u64,
    pub services: NameMap<u64>,
    /// What the caps refused on this severity outside its key maps.
    pub gaps: Gaps,
}

impl LogAcc {
    /// A fresh accumulator; `max_templates` caps its templates.
    pub(crate) fn new(number: i32, max_templates: usize) -> Self {
        LogAcc {
            number,
            attrs: KeyMap::default(),
            resource_keys: KeyMap::default(),
            templates: Drain::new(max_templates),
            event_names: Vec::new(),
            count: 0,
            services: NameMap::default(),
            gaps: Gaps::default(),
        }
    }

    /// Takes in one log record.
    pub(crate) fn ingest(&mut self, r: &LogRecord, res: &ResView<'_>, ctx: &mut Ctx) {
        self.count += 1;
        // The event's own time when set; otherwise when the collector saw it.
        ctx.saw_time(if r.time_unix_nano != 0 {
            r.time_unix_nano
        } else {
            r.observed_time_unix_nano
        });
        self.attrs.observe_all(ctx, &r.attributes);
        if !r.event_name.is_empty() && !self.event_names.contains(&r.event_name) {
            if self.event_names.len() < ctx.keys_per_item {
                self.event_names.push(r.event_name.clone());
            } else {
                ctx.refuse(Cap::KeysPerItem, 1, Some(&mut self.gaps));
            }
        }
        // String bodies are mined as they are; structured bodies by their stable string.
        let added = match r.body.as_ref().and_then(|b| b.value.as_ref()) {
            Some(Value::StringValue(s)) => self.templates.add_with(s, !ctx.frozen),
            _ => {
                ctx.buf.clear();
                write_value(&mut ctx.buf, r.body.as_ref());
                self.templates.add_with(&ctx.buf, !ctx.frozen)
            }
        };
        if !added {
            ctx.refuse(Cap::Templates, 1, Some(&mut self.gaps));
        }
        res.observe_into(&mut self.resource_keys, ctx, 1, 1);
        add_service(&mut self.services, ctx, &res.service, 1, &mut self.gaps);
    }

    /// The session form.
    pub(crate) fn into_meta(self, severity: String) -> LogMeta {
        let n = self.count;
        let mut gaps = self.gaps;
        gaps.absorb(self.attrs.gaps);
        gaps.absorb(self.resource_keys.gaps);
        LogMeta {
            severity,
            severity_number: self.number,
            attribute_keys: self.attrs.into_stats(n),
            resource_keys: self.resource_keys.into_stats(n),
            body_templates: self.templates.templates(),
            event_names: self.event_names,
            sample_count: n,
            services: services_map(self.services),
            incomplete: gaps.to_incomplete(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_names_follow_the_data_model() {
        let got: Vec<String> = [0, 1, 2, 5, 9, 10, 12, 13, 17, 21, 24, 25, -1]
            .into_iter()
            .map(severity_name)
            .collect();
        assert_eq!(
            got,
            [
                "UNSPECIFIED",
                "TRACE",
                "TRACE2",
                "DEBUG",
                "INFO",
                "INFO2",
                "INFO4",
                "WARN",
                "ERROR",
                "FATAL",
                "FATAL4",
                "SEVERITY_NUMBER_25",
                "SEVERITY_NUMBER_-1"
            ]
        );
    }
}
