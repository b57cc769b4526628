//! `otelsnap list`.

use std::io::IsTerminal;

use super::Ctx;
use crate::cli::{DataFormat, ListArgs};
use crate::render::list::{self, ListRow, TableStyle};

/// Runs `list`: headers only, newest first; unreadable files are rows with their error.
pub fn run(ctx: &Ctx, args: &ListArgs) -> anyhow::Result<u8> {
    let entries = ctx.store.list()?;
    let rows: Vec<ListRow> = entries.iter().map(ListRow::of).collect();
    let out = match args.format {
        DataFormat::Json => list::json(&rows),
        DataFormat::Table => {
            if rows.is_empty() {
                ctx.note(format!(
                    "no sessions in {}: create one with `otelsnap capture NAME` or `otelsnap import FILE`",
                    ctx.store.dir.display()
                ));
                return Ok(0);
            }
            let style = TableStyle {
                terminal: std::io::stdout().is_terminal(),
                color: ctx.stdout_color(),
            };
            list::table(&rows, style)
        }
    };
    crate::error::print(out.as_bytes())?;
    Ok(0)
}
