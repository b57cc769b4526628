//! `otelsnap show`.

use std::io::IsTerminal;

use super::Ctx;
use crate::cli::{ShowArgs, ShowFormat};
use crate::render::html;
use crate::render::list::TableStyle;
use crate::render::show::{self, Item, Origin, Sections};
use crate::session::{Session, SessionRef};

/// Runs `show`: the overview, or one item in full with a drill-down flag.
pub fn run(ctx: &Ctx, args: &ShowArgs) -> anyhow::Result<u8> {
    let sections = Sections::parse(&args.signal).map_err(anyhow::Error::msg)?;
    let r = SessionRef::parse(&args.session)?;
    // Show prints estimates, never sketch bytes: skip them while parsing. The overview as a
    // table or JSON shows no item's key samples either (the HTML page and drill-downs do).
    let one_item = [&args.metric, &args.span, &args.log, &args.attribute];
    let overview = args.format != ShowFormat::Html && one_item.iter().all(|f| f.is_none());
    let load = || r.load(&ctx.store);
    let mut session = if overview {
        crate::session::without_key_samples(load)?
    } else {
        crate::session::without_sketch_data(load)?
    };
    session.canonicalize();
    let origin = origin_of(ctx, &r);
    let style = TableStyle {
        terminal: std::io::stdout().is_terminal(),
        color: ctx.stdout_color(),
    };
    if args.format == ShowFormat::Html {
        // The page holds every item in full; drill-down flags select one for the text formats.
        if one_item.iter().any(|f| f.is_some()) {
            anyhow::bail!(
                "--format html shows the whole session, where every item expands in full; \
                 drop --metric/--span/--log/--attribute, or use --format table or json for one item"
            );
        }
        html::strip_sketches(&mut session);
    }
    let out = match find_item(&session, args)? {
        Some(item) => match args.format {
            ShowFormat::Json | ShowFormat::Html => show::item_json(&session, &origin, &item),
            ShowFormat::Table => show::item_table(&session, &item, style),
        },
        None => {
            if let Some(svc) = args.service.as_deref()
                && !session.stats.services.iter().any(|s| s == svc)
            {
                let close =
                    show::close_names(svc, session.stats.services.iter().map(String::as_str));
                anyhow::bail!(
                    "no service named '{svc}' in session '{}'{}",
                    session.id,
                    did_you_mean(
                        &close,
                        ": run `otelsnap show` without a filter to see the services it has".into()
                    )
                );
            }
            let o = show::overview(
                &session,
                &origin,
                // --top 0: every item.
                if args.top == 0 { usize::MAX } else { args.top },
                sections,
                args.service.as_deref(),
            );
            match args.format {
                ShowFormat::Json => {
                    let mut s = serde_json::to_string_pretty(&o)?;
                    s.push('\n');
                    s
                }
                ShowFormat::Table => show::overview_table(&o, style),
                ShowFormat::Html => {
                    html::session_page(&session, &o, sections, args.service.as_deref())
                }
            }
        }
    };
    super::output::write(args.output.as_deref(), out.as_bytes())?;
    Ok(0)
}

/// Where the session named by a command-line argument comes from (for report headers).
pub fn origin_of_arg(ctx: &Ctx, arg: &str) -> Origin {
    SessionRef::parse(arg)
        .map(|r| origin_of(ctx, &r))
        .unwrap_or_default()
}

fn origin_of(ctx: &Ctx, r: &SessionRef) -> Origin {
    let path = match r {
        SessionRef::Name(n) => ctx.store.path_for(n),
        SessionRef::Path(p) => p.clone(),
        SessionRef::Stdin => return Origin::default(),
    };
    Origin {
        size: std::fs::metadata(&path).ok().map(|m| m.len()),
        path: Some(path.display().to_string()),
    }
}

/// `; did you mean 'a', 'b'?` when there are close names, else `otherwise`.
fn did_you_mean(close: &[String], otherwise: String) -> String {
    if close.is_empty() {
        return otherwise;
    }
    let quoted: Vec<String> = close.iter().map(|c| format!("'{c}'")).collect();
    format!("; did you mean {}?", quoted.join(", "))
}

/// The item a drill-down flag names, or `None` without one; an unknown name is an error that
/// lists close names.
fn find_item<'a>(s: &'a Session, args: &ShowArgs) -> anyhow::Result<Option<Item<'a>>> {
    let d = &s.data;
    if let Some(name) = &args.metric {
        return match d.metrics.iter().find(|m| &m.name == name) {
            Some(m) => Ok(Some(Item::Metric(m))),
            None => not_found(s, "metric", name, d.metrics.iter().map(|m| m.name.as_str())),
        };
    }
    if let Some(name) = &args.span {
        let v: Vec<_> = d.spans.iter().filter(|x| &x.name == name).collect();
        return if v.is_empty() {
            not_found(s, "span", name, d.spans.iter().map(|x| x.name.as_str()))
        } else {
            Ok(Some(Item::Spans(v)))
        };
    }
    if let Some(sev) = &args.log {
        let found = d.logs.iter().find(|l| {
            l.severity.eq_ignore_ascii_case(sev)
                || sev.parse::<i32>().is_ok_and(|n| n == l.severity_number)
        });
        return match found {
            Some(l) => Ok(Some(Item::Log(l))),
            None => not_found(
                s,
                "log severity",
                sev,
                d.logs.iter().map(|l| l.severity.as_str()),
            ),
        };
    }
    if let Some(key) = &args.attribute {
        return match d.attributes.iter().find(|a| &a.key == key) {
            Some(a) => Ok(Some(Item::Attribute(a))),
            None => not_found(
                s,
                "attribute",
                key,
                d.attributes.iter().map(|a| a.key.as_str()),
            ),
        };
    }
    Ok(None)
}

fn not_found<'a, T>(
    s: &Session,
    what: &str,
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> anyhow::Result<T> {
    let close = show::close_names(name, candidates);
    let hint = did_you_mean(
        &close,
        format!(": run `otelsnap show {}` to see what it has", s.id),
    );
    anyhow::bail!("no {what} named '{name}' in session '{}'{hint}", s.id)
}
