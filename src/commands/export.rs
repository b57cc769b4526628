//! `otelsnap export`.

use super::Ctx;
use crate::cli::ExportArgs;
use crate::session::{Session, format, store};

/// Runs `export`: canonical pretty JSON to stdout, or atomically to a file (gzip for `.gz`).
pub fn run(ctx: &Ctx, args: &ExportArgs) -> anyhow::Result<u8> {
    let mut session = ctx.load(&args.session)?;
    if args.strip_samples {
        strip_samples(&mut session);
    }
    if args.baseline {
        make_baseline(&mut session);
    }
    session.canonicalize();
    let json = format::to_json(&session, true);
    match &args.output {
        None => crate::render::list::print(&json)?,
        Some(path) => {
            let gz = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".gz"));
            let bytes = if gz { format::to_gzip(&session) } else { json };
            store::write_atomic(path, &bytes, args.force)?;
            ctx.note(format!(
                "exported '{}' to {} ({})",
                session.id,
                path.display(),
                crate::render::human::human_bytes(bytes.len() as u64)
            ));
        }
    }
    Ok(0)
}

/// Turns a session into a diff-only baseline: what `diff` reads (every estimate, count, key,
/// type, unit, bound, service and the `approximate` marks) stays; what only `merge` and `show`
/// use (mergeable sketches, value samples, example log bodies) goes, and the file says so.
pub fn make_baseline(s: &mut Session) {
    strip_samples(s);
    fn keys(m: &mut crate::session::KeyStatsMap) {
        for ks in m.values_mut() {
            ks.sketch = None;
        }
    }
    for m in &mut s.data.metrics {
        keys(&mut m.label_keys);
        keys(&mut m.resource_keys);
        m.series_sketch = None;
    }
    for sp in &mut s.data.spans {
        keys(&mut sp.attribute_keys);
        keys(&mut sp.resource_keys);
        keys(&mut sp.link_attribute_keys);
        for ev in sp.event_attribute_keys.values_mut() {
            keys(ev);
        }
    }
    for l in &mut s.data.logs {
        keys(&mut l.attribute_keys);
        keys(&mut l.resource_keys);
    }
    for a in &mut s.data.attributes {
        a.sketch = None;
    }
    s.baseline = true;
}

/// Removes every value sample, so the file can be shared without attribute values.
pub fn strip_samples(s: &mut Session) {
    fn keys(m: &mut crate::session::KeyStatsMap) {
        for ks in m.values_mut() {
            ks.value_samples.clear();
        }
    }
    for m in &mut s.data.metrics {
        keys(&mut m.label_keys);
        keys(&mut m.resource_keys);
    }
    for sp in &mut s.data.spans {
        keys(&mut sp.attribute_keys);
        keys(&mut sp.resource_keys);
        keys(&mut sp.link_attribute_keys);
        for ev in sp.event_attribute_keys.values_mut() {
            keys(ev);
        }
    }
    for l in &mut s.data.logs {
        keys(&mut l.attribute_keys);
        keys(&mut l.resource_keys);
        for t in &mut l.body_templates {
            // The example is a real log body: it can hold values too.
            t.example.clear();
        }
    }
    for a in &mut s.data.attributes {
        a.value_samples.clear();
    }
}
