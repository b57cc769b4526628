//! `otelsnap diff`.

use std::collections::BTreeSet;

use anyhow::{Context, bail};

use super::Ctx;
use crate::cli::{DiffArgs, DiffFormat, FailOn, SeverityArg};
use crate::diff::{DiffReport, Filters, ItemKind, Rules, Severity};
use crate::render::{
    diff_github, diff_json, diff_junit, diff_markdown, diff_sarif, diff_table, html,
};

fn severity(s: SeverityArg) -> Severity {
    match s {
        SeverityArg::Info => Severity::Info,
        SeverityArg::Warning => Severity::Warning,
        SeverityArg::Critical => Severity::Critical,
    }
}

/// Turns the flags into filters; unknown `--signal` names are an error.
pub fn filters(args: &DiffArgs) -> anyhow::Result<Filters> {
    let mut kinds = BTreeSet::new();
    for s in &args.signal {
        if s.trim().is_empty() {
            continue;
        }
        match ItemKind::parse(s) {
            Some(k) => {
                kinds.insert(k);
            }
            None => bail!(
                "unknown signal '{s}' in --signal: expected metrics, spans, logs or attributes"
            ),
        }
    }
    let min_severity = severity(args.min_severity);
    let fail_on = match args.fail_on {
        None => Some(min_severity),
        Some(FailOn::Info) => Some(Severity::Info),
        Some(FailOn::Warning) => Some(Severity::Warning),
        Some(FailOn::Critical) => Some(Severity::Critical),
        Some(FailOn::Never) => None,
    };
    Ok(Filters {
        kinds,
        service: args.service.clone(),
        min_severity,
        fail_on,
    })
}

/// Finds the rules (flag/env, `.otelsnap.toml`, defaults) and applies `--tolerance`.
pub fn rules(args: &DiffArgs) -> anyhow::Result<Rules> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let mut rules = Rules::discover(args.rules.as_deref(), &cwd)?;
    if let Some(t) = args.tolerance {
        if !(t.is_finite() && t >= 0.0) {
            bail!("--tolerance {t} must be a fraction of at least 0 (e.g. 0.1 for ±10%)");
        }
        rules.set_tolerance(t);
    }
    Ok(rules)
}

/// Where SARIF results point: `--location`, else FROM when it is a file (a committed baseline),
/// else nowhere (stored sessions and stdin are not in the repository).
fn sarif_location(args: &DiffArgs) -> Option<String> {
    if let Some(l) = &args.location {
        return Some(l.clone());
    }
    match crate::session::SessionRef::parse(&args.from) {
        Ok(crate::session::SessionRef::Path(p)) => Some(p.display().to_string()),
        _ => None,
    }
}

/// Runs `diff`.
pub fn run(ctx: &Ctx, args: &DiffArgs) -> anyhow::Result<u8> {
    let filters = filters(args)?;
    let rules = rules(args)?;
    if args.from == "-" && args.to == "-" {
        bail!("only one of FROM and TO can be - (stdin)");
    }
    let (mut from, mut to) = if matches!(args.format, DiffFormat::Html | DiffFormat::Markdown) {
        // Both show value samples in their key tables, which the estimates-only loader drops.
        load_pair_with_samples(ctx, &args.from, &args.to)?
    } else {
        ctx.load_pair(&args.from, &args.to)?
    };
    check_filters_match(&filters, &from, &to)?;
    if from.created > to.created {
        ctx.note(format!(
            "warning: FROM ({}) was created after TO ({}); a diff reads FROM as the baseline: did you mean `otelsnap diff {} {}`?",
            crate::session::format_time(&from.created),
            crate::session::format_time(&to.created),
            args.to,
            args.from
        ));
    }
    let report = DiffReport::build(&from, &to, &rules, &filters);
    let out = match args.format {
        DiffFormat::Table => diff_table::render_with(
            &report,
            ctx.stdout_color(),
            diff_table::Layout {
                // A file gets the whole table; a terminal (or $COLUMNS) a fitted one.
                width: if args.output.is_some() {
                    None
                } else {
                    crate::render::fit::width()
                },
                ids: args.ids,
            },
        ),
        DiffFormat::Json => diff_json::render(&report),
        DiffFormat::Markdown => diff_markdown::render_with(&report, Some((&from, &to))),
        DiffFormat::Github => diff_github::render(&report, args.location.as_deref()),
        DiffFormat::Junit => diff_junit::render(&report),
        DiffFormat::Sarif => diff_sarif::render(&report, sarif_location(args).as_deref()),
        DiffFormat::Html => {
            html::strip_sketches(&mut from);
            html::strip_sketches(&mut to);
            html::diff_page(
                &report,
                (&from, &super::show::origin_of_arg(ctx, &args.from)),
                (&to, &super::show::origin_of_arg(ctx, &args.to)),
            )
        }
    };
    super::output::write(args.output.as_deref(), out.as_bytes())?;
    if args.format == DiffFormat::Github
        && let Some(path) = std::env::var_os("GITHUB_OUTPUT").filter(|p| !p.is_empty())
    {
        diff_github::append_outputs(std::path::Path::new(&path), &report)?;
    }
    // The process exits right after; freeing two large sessions piece by piece costs a third
    // of a second at 50,000 metrics for nothing, so hand their memory back with the process.
    std::mem::forget(from);
    std::mem::forget(to);
    Ok(report.exit_code)
}

/// Refuses a `--service` or `--signal` filter that matches nothing in either session: the
/// diff would compare nothing and report "no changes", a gate that passes on anything.
fn check_filters_match(
    filters: &Filters,
    from: &crate::session::Session,
    to: &crate::session::Session,
) -> anyhow::Result<()> {
    // Names are telemetry: quoted and escaped, so they cannot drive the terminal.
    use crate::session::validate::quote as esc;
    let both = [from, to];
    if let Some(want) = &filters.service {
        let mut services: BTreeSet<&str> = BTreeSet::new();
        for s in both {
            let d = &s.data;
            services.extend(
                d.metrics
                    .iter()
                    .flat_map(|m| m.services.keys())
                    .map(|k| k.as_str()),
            );
            services.extend(
                d.spans
                    .iter()
                    .flat_map(|m| m.services.keys())
                    .map(|k| k.as_str()),
            );
            services.extend(
                d.logs
                    .iter()
                    .flat_map(|m| m.services.keys())
                    .map(|k| k.as_str()),
            );
        }
        if !services.contains(want.as_str()) {
            let mut listed: Vec<String> = services.iter().take(20).map(|s| esc(s)).collect();
            if services.len() > 20 {
                listed.push(format!("and {} more", services.len() - 20));
            }
            bail!(
                "--service {} matches nothing in either session: they hold {}",
                esc(want),
                if listed.is_empty() {
                    "no services".to_string()
                } else {
                    format!("services {}", listed.join(", "))
                }
            );
        }
    }
    if !filters.kinds.is_empty() {
        let has = |k: ItemKind| {
            both.iter().any(|s| match k {
                ItemKind::Metric => !s.data.metrics.is_empty(),
                ItemKind::Span => !s.data.spans.is_empty(),
                ItemKind::Log => !s.data.logs.is_empty(),
                ItemKind::Attribute => !s.data.attributes.is_empty(),
            })
        };
        if !filters.kinds.iter().any(|k| has(*k)) {
            let present: Vec<&str> = [
                ItemKind::Metric,
                ItemKind::Span,
                ItemKind::Log,
                ItemKind::Attribute,
            ]
            .into_iter()
            .filter(|k| has(*k))
            .map(|k| k.plural())
            .collect();
            bail!(
                "--signal {} matches nothing in either session: they hold {}",
                filters
                    .kinds
                    .iter()
                    .map(|k| k.plural())
                    .collect::<Vec<_>>()
                    .join(","),
                if present.is_empty() {
                    "nothing at all".to_string()
                } else {
                    present.join(", ")
                }
            );
        }
    }
    Ok(())
}

/// Loads both sessions as [`Ctx::load_pair`] does, but keeps value samples (sketch bytes are
/// still skipped).
fn load_pair_with_samples(
    ctx: &Ctx,
    a: &str,
    b: &str,
) -> anyhow::Result<(crate::session::Session, crate::session::Session)> {
    let one = |arg: &str| crate::session::without_sketch_data(|| ctx.load(arg));
    let (ra, rb) = std::thread::scope(|sc| {
        let hb = sc.spawn(|| one(b));
        let ra = one(a);
        let rb = hb
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("loading {b} failed unexpectedly")));
        (ra, rb)
    });
    Ok((ra?, rb?))
}
