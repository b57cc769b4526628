//! `otelsnap prune`: delete old sessions so a scheduled job never hits --max-sessions.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

use super::Ctx;
use crate::cli::PruneArgs;
use crate::render::human;
use crate::session::SessionName;

/// Runs `prune`: the names deleted (or, with --dry-run, that would be) go to stdout, one a line.
pub fn run(ctx: &Ctx, args: &PruneArgs) -> anyhow::Result<u8> {
    let now = Utc::now();
    // Newest first, by creation time (file time when the header is unreadable).
    let mut rows: Vec<(String, DateTime<Utc>, u64)> = ctx
        .store
        .list()?
        .into_iter()
        .map(|e| {
            let created = match &e.header {
                Ok(h) => h.created,
                Err(_) => e
                    .modified
                    .map(DateTime::<Utc>::from)
                    .unwrap_or(DateTime::<Utc>::from(SystemTime::UNIX_EPOCH)),
            };
            (e.name, created, e.size)
        })
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let doomed = select(&rows, args.keep, args.older_than, now);
    let bytes: u64 = doomed.iter().map(|&i| rows[i].2).sum();
    let names: Vec<&str> = doomed.iter().map(|&i| rows[i].0.as_str()).collect();
    let kept = rows.len() - names.len();
    if names.is_empty() {
        ctx.note(format!(
            "nothing to prune: {} kept in {}",
            human::plural(rows.len() as u64, "session", "sessions"),
            ctx.store.dir.display()
        ));
        return Ok(0);
    }
    if args.dry_run {
        crate::error::print(lines(&names).as_bytes())?;
        ctx.note(format!(
            "would delete {} ({}), keep {} (--dry-run: nothing deleted)",
            human::plural(names.len() as u64, "session", "sessions"),
            human::human_bytes(bytes),
            kept
        ));
        return Ok(0);
    }
    let parsed = names
        .iter()
        .map(|n| SessionName::parse(n))
        .collect::<Result<Vec<_>, _>>()?;
    ctx.store.delete(&parsed)?;
    crate::error::print(lines(&names).as_bytes())?;
    ctx.note(format!(
        "deleted {} ({}), kept {}",
        human::plural(names.len() as u64, "session", "sessions"),
        human::human_bytes(bytes),
        kept
    ));
    Ok(0)
}

/// Indexes (into `rows`, newest first) of the sessions to delete: beyond the `keep` newest, and
/// created longer than `older_than` before `now`; a missing flag does not restrict.
fn select(
    rows: &[(String, DateTime<Utc>, u64)],
    keep: Option<usize>,
    older_than: Option<Duration>,
    now: DateTime<Utc>,
) -> Vec<usize> {
    // None inside: the age reaches before any representable time, so nothing is that old.
    let cutoff = older_than.map(|d| {
        chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
    });
    rows.iter()
        .enumerate()
        .filter(|(i, (_, created, _))| {
            let old = match cutoff {
                None => true,
                Some(None) => false,
                Some(Some(c)) => *created < c,
            };
            keep.is_none_or(|k| *i >= k) && old
        })
        .map(|(i, _)| i)
        .collect()
}

/// One name per line: the command's data, for scripts.
fn lines(names: &[&str]) -> String {
    names.iter().map(|n| format!("{n}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(ages_days: &[i64], now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>, u64)> {
        ages_days
            .iter()
            .enumerate()
            .map(|(i, d)| (format!("s{i}"), now - chrono::Duration::days(*d), 1))
            .collect()
    }

    #[test]
    fn keep_and_age_both_have_to_agree() {
        let now = Utc::now();
        let r = rows(&[0, 1, 5, 10, 40], now);
        let day = Duration::from_secs(86_400);
        assert_eq!(select(&r, Some(2), None, now), [2, 3, 4]);
        assert_eq!(select(&r, None, Some(7 * day), now), [3, 4]);
        assert_eq!(select(&r, Some(4), Some(7 * day), now), [4]);
        assert_eq!(select(&r, Some(0), None, now), [0, 1, 2, 3, 4]);
        assert!(select(&r, Some(9), None, now).is_empty());
        // An absurd age never panics: nothing is that old.
        assert!(select(&r, None, Some(Duration::MAX), now).is_empty());
    }
}
