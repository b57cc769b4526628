//! `otelsnap diff`.

use std::collections::BTreeSet;

use anyhow::{Context, bail};

use super::Ctx;
use crate::cli::{DiffArgs, DiffFormat, FailOn, SeverityArg};
use crate::diff::{DiffReport, Filters, ItemKind, Rules, Severity};
use crate::render::{diff_github, diff_json, diff_markdown, diff_table, html};

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
    let mut rules = Rules::discover(args.rules.as_deref(), &cwd).map_err(anyhow::Error::msg)?;
    if let Some(t) = args.tolerance {
        if !(t.is_finite() && t >= 0.0) {
            bail!("--tolerance {t} must be a fraction of at least 0 (e.g. 0.1 for ±10%)");
        }
        rules.set_tolerance(t);
    }
    Ok(rules)
}

/// Runs `diff`.
pub fn run(ctx: &Ctx, args: &DiffArgs) -> anyhow::Result<u8> {
    let filters = filters(args)?;
    let rules = rules(args)?;
    if args.from == "-" && args.to == "-" {
        bail!("only one of FROM and TO can be - (stdin)");
    }
    let (mut from, mut to) = if args.format == DiffFormat::Html {
        // The page shows value samples in its key tables, which the estimates-only loader drops.
        load_pair_with_samples(ctx, &args.from, &args.to)?
    } else {
        ctx.load_pair(&args.from, &args.to)?
    };
    let report = DiffReport::build(&from, &to, &rules, &filters);
    let out = match args.format {
        DiffFormat::Table => diff_table::render(&report, ctx.stdout_color()),
        DiffFormat::Json => diff_json::render(&report),
        DiffFormat::Markdown => diff_markdown::render(&report),
        DiffFormat::Github => diff_github::render(&report),
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
