//! `otelsnap export`.

use super::Ctx;
use crate::cli::ExportArgs;
use crate::session::{KeyEvidence, Session, format, store};

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
        None => crate::error::print(&json)?,
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
/// use (mergeable sketches, value samples, example log bodies, and the evidence a verdict was
/// drawn from beyond what the diff reads: [`KeyEvidence::reduce_for_baseline`]) goes, and the
/// file says so.
pub fn make_baseline(s: &mut Session) {
    strip_samples(s);
    s.drop_sketches();
    s.for_each_evidence_mut(KeyEvidence::reduce_for_baseline);
    s.baseline = true;
}

/// Removes every value sample, so the file can be shared without attribute values.
pub fn strip_samples(s: &mut Session) {
    for m in s.data.key_maps_mut() {
        for ks in m.values_mut() {
            ks.value_samples.clear();
        }
    }
    for l in &mut s.data.logs {
        for t in &mut l.body_templates {
            // The example is a real log body: it can hold values too.
            t.example.clear();
        }
    }
    for a in &mut s.data.attributes {
        a.value_samples.clear();
    }
}
