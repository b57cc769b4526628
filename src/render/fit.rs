//! Fitting text to a terminal: the width to fit (the terminal's, or `$COLUMNS`), word
//! wrapping that never breaks inside a word, and middle ellipses for names too long to show.

use std::io::IsTerminal;

/// Narrowest width we lay out for; narrower terminals get 80-column lines.
pub const MIN_WIDTH: usize = 80;

/// The width to fit output to: `$COLUMNS` when set to a number, else the terminal's width when
/// stdout is a terminal, else None (piped output is not fitted, so it stays complete and stable).
/// Never below [`MIN_WIDTH`].
pub fn width() -> Option<usize> {
    let cols = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0);
    cols.or_else(terminal_width).map(|w| w.max(MIN_WIDTH))
}

fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes a winsize into the struct we pass.
    let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) };
    (rc == 0 && ws.ws_col > 0).then_some(ws.ws_col as usize)
}

/// Display width of `s` (one column per character: the output uses no wide characters of its
/// own, and telemetry names are escaped before they get here).
pub fn cols(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `max` columns by replacing its middle with `…`, keeping both ends readable
/// (`http.server.request.duration` → `http.serv…t.duration`). Unchanged when it fits.
pub fn ellipsize_middle(s: &str, max: usize) -> String {
    let n = cols(s);
    if n <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let keep = max - 1;
    let head = keep.div_ceil(2);
    let tail = keep / 2;
    let chars: Vec<char> = s.chars().collect();
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[n - tail..]);
    out
}

/// Wraps `text` (which may hold newlines) into lines of at most `width` columns, breaking only
/// at spaces; a single word wider than `width` is shortened with a middle ellipsis rather than
/// broken.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let word = ellipsize_middle(word, width);
            if line.is_empty() {
                line = word;
            } else if cols(&line) + 1 + cols(&word) <= width {
                line.push(' ');
                line.push_str(&word);
            } else {
                out.push(std::mem::take(&mut line));
                line = word;
            }
        }
        out.push(line);
    }
    out
}

/// [`wrap`], with every line after a paragraph's first indented by `indent` spaces, so where
/// one paragraph (a template, a header value) ends and the next begins stays visible.
pub fn wrap_hanging(text: &str, width: usize, indent: usize) -> Vec<String> {
    let width = width.max(indent + 1);
    let pad = " ".repeat(indent);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut limit = width;
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let word = ellipsize_middle(word, width - indent);
            if line.is_empty() {
                line = word;
            } else if cols(&line) + 1 + cols(&word) <= limit {
                line.push(' ');
                line.push_str(&word);
            } else {
                let done = std::mem::take(&mut line);
                out.push(if limit == width {
                    done
                } else {
                    format!("{pad}{done}")
                });
                limit = width - indent;
                line = word;
            }
        }
        out.push(if limit == width || line.is_empty() {
            line
        } else {
            format!("{pad}{line}")
        });
    }
    out
}

/// Widest line of a (possibly multi-line) cell.
pub fn cell_width(s: &str) -> usize {
    s.split('\n').map(cols).max().unwrap_or(0)
}

/// How a table column gives way when the table must fit a width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Give {
    /// An item's name or key: whole where it fits, else shortened in the middle (never below
    /// [`NAME_MIN`] columns).
    Name,
    /// A short value (a number, a type, a kind): shown whole or not at all.
    Fixed,
    /// Free text (samples, templates, services): wrapped between words; with `hang`, lines
    /// after a paragraph's first are indented.
    Text { hang: bool },
}

/// One column of a fitted table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub give: Give,
    /// When the table is too wide, columns are dropped lowest rank first; None: never dropped.
    pub drop_rank: Option<u8>,
    /// Right-aligned (numbers).
    pub right: bool,
}

impl Column {
    /// A column kept at any width.
    pub const fn keep(header: &'static str, give: Give) -> Column {
        Column {
            header,
            give,
            drop_rank: None,
            right: false,
        }
    }

    /// A column dropped, in `rank` order (lowest first), when the table does not fit.
    pub const fn drop(header: &'static str, give: Give, rank: u8) -> Column {
        Column {
            header,
            give,
            drop_rank: Some(rank),
            right: false,
        }
    }

    /// The same column, right-aligned.
    pub const fn right(mut self) -> Column {
        self.right = true;
        self
    }
}

/// Longest a name column asks for before other columns give way; longer names get a middle
/// ellipsis unless there is room to spare.
pub const NAME_CAP: usize = 48;
/// Narrowest a name is shortened to: below that a middle ellipsis says little.
pub const NAME_MIN: usize = 16;
/// Narrowest a text column is wrapped to before columns are dropped.
pub const TEXT_MIN: usize = 16;
/// Longest word a text column asks room for while columns are dropped.
pub const WORD_MIN: usize = 20;
/// Longest word a text column widens for when there is room to spare (a longer one may get an
/// ellipsis).
pub const WORD_CAP: usize = 32;

/// Lays `rows` out in `width` columns (borders included, as comfy-table's condensed presets draw
/// them: `│ ` before each cell, ` ` after, a closing `│`): drops columns by rank until most
/// names whole (up to [`NAME_CAP`]), fixed columns and text columns of [`TEXT_MIN`] fit; gives
/// what is left to text up to its longest word, then to names, then to text; shortens names in
/// the middle and narrows text when even that does not fit; wraps text between words. Returns which columns are kept; the kept cells of `rows` are
/// rewritten to their fitted text (no line wider than its column).
pub fn fit_columns(columns: &[Column], rows: &mut [Vec<String>], width: usize) -> Vec<bool> {
    let n = columns.len();
    let nat: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| cell_width(c)))
                .chain([cols(columns[i].header)])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let head = |i: usize| cols(columns[i].header);
    // A text column's longest word (up to WORD_CAP): room given to it first, so wrapping does
    // not have to shorten words such as key names.
    let word: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .flat_map(|c| c.split(['\n', ' ']))
                .map(cols)
                .max()
                .unwrap_or(0)
                .min(WORD_CAP)
                .min(nat[i])
        })
        .collect();
    // What a column asks for while columns are being dropped. A name column: its longest name
    // up to NAME_CAP; names longer than that do not cost a column (they get what is left, else
    // a middle ellipsis), unless every name is. A text column: TEXT_MIN, or its longest
    // word up to WORD_MIN.
    let want: Vec<usize> = (0..n)
        .map(|i| match columns[i].give {
            Give::Name => {
                let cap = NAME_CAP.max(head(i));
                let widths = rows.iter().map(|r| r.get(i).map_or(0, |c| cell_width(c)));
                let within = widths.clone().filter(|&w| w <= cap).max();
                let any = widths.max().unwrap_or(0);
                within.unwrap_or(any).max(head(i)).min(cap)
            }
            Give::Fixed => nat[i],
            Give::Text { .. } => nat[i].min(TEXT_MIN.max(head(i)).max(word[i].min(WORD_MIN))),
        })
        .collect();
    let total = |keep: &[bool], w: &[usize]| {
        let k = keep.iter().filter(|k| **k).count();
        (0..n).filter(|&i| keep[i]).map(|i| w[i]).sum::<usize>() + 3 * k + 1
    };
    let mut keep = vec![true; n];
    let mut order: Vec<(u8, usize)> = (0..n)
        .filter_map(|i| columns[i].drop_rank.map(|r| (r, i)))
        .collect();
    order.sort();
    for (_, i) in order {
        if total(&keep, &want) <= width {
            break;
        }
        keep[i] = false;
    }
    let mut w = want.clone();
    let used = total(&keep, &w);
    if used <= width {
        // Room to spare, a column at a time: text up to its longest word, then names up to
        // whole, then text up to its widest line.
        let mut slack = width - used;
        let phases: [&dyn Fn(usize) -> usize; 3] = [
            &|i| match columns[i].give {
                Give::Text { .. } => word[i],
                _ => 0,
            },
            &|i| match columns[i].give {
                Give::Name => nat[i],
                _ => 0,
            },
            &|i| match columns[i].give {
                Give::Text { .. } => nat[i],
                _ => 0,
            },
        ];
        for target in phases {
            let mut grew = true;
            while slack > 0 && grew {
                grew = false;
                for i in (0..n).filter(|&i| keep[i]) {
                    if slack > 0 && w[i] < target(i) {
                        w[i] += 1;
                        slack -= 1;
                        grew = true;
                    }
                }
            }
        }
    } else {
        // Still too wide with every droppable column gone: shorten names, then narrow text.
        let mut over = used - width;
        for (give_name, floor) in [(true, NAME_MIN), (false, 8)] {
            let mut shrank = true;
            while over > 0 && shrank {
                shrank = false;
                for i in (0..n).filter(|&i| keep[i]) {
                    let this = match columns[i].give {
                        Give::Name => give_name,
                        Give::Text { .. } => !give_name,
                        Give::Fixed => false,
                    };
                    if this && over > 0 && w[i] > floor.max(head(i)) {
                        w[i] -= 1;
                        over -= 1;
                        shrank = true;
                    }
                }
            }
        }
    }
    for row in rows.iter_mut() {
        for (i, cell) in row.iter_mut().enumerate().take(n) {
            if !keep[i] {
                continue;
            }
            *cell = match columns[i].give {
                Give::Name => cell
                    .split('\n')
                    .map(|l| ellipsize_middle(l, w[i]))
                    .collect::<Vec<_>>()
                    .join("\n"),
                Give::Fixed => std::mem::take(cell),
                Give::Text { hang: false } => wrap(cell, w[i]).join("\n"),
                Give::Text { hang: true } => wrap_hanging(cell, w[i], 2).join("\n"),
            };
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn middle_ellipsis_keeps_both_ends() {
        assert_eq!(ellipsize_middle("short", 10), "short");
        let e = ellipsize_middle("http.server.request.duration", 20);
        assert_eq!(cols(&e), 20);
        assert!(
            e.starts_with("http.serve") && e.ends_with("duration"),
            "{e}"
        );
        assert!(e.contains('…'));
    }

    #[test]
    fn wrap_breaks_only_between_words() {
        let text = "active series 120 → 6,100 (×50.8 ≥ 10×; label user_id 120 → 6,100)";
        for w in [10, 20, 33, 80] {
            let lines = wrap(text, w);
            assert!(lines.iter().all(|l| cols(l) <= w), "{w}: {lines:?}");
            // Joining the lines gives the words back, none split.
            assert_eq!(lines.join(" "), text, "{w}");
        }
        let long = wrap("a supercalifragilistic word", 10);
        assert!(long.iter().all(|l| cols(l) <= 10), "{long:?}");
        assert_eq!(long[0], "a");
        assert!(long[1].contains('…'));
    }

    #[test]
    fn hanging_wrap_indents_continuations_only() {
        let lines = wrap_hanging("3× Payment declined for order <*>\n9× retry", 16, 2);
        assert_eq!(
            lines,
            ["3× Payment", "  declined for", "  order <*>", "9× retry"]
        );
        assert!(lines.iter().all(|l| cols(l) <= 16));
    }

    fn table_width(keep: &[bool], rows: &[Vec<String>], columns: &[Column]) -> usize {
        (0..columns.len())
            .filter(|&i| keep[i])
            .map(|i| {
                rows.iter()
                    .map(|r| cell_width(&r[i]))
                    .chain([cols(columns[i].header)])
                    .max()
                    .unwrap_or(0)
                    + 3
            })
            .sum::<usize>()
            + 1
    }

    #[test]
    fn columns_drop_by_rank_then_names_shorten() {
        let columns = [
            Column::keep("NAME", Give::Name),
            Column::drop("POINTS", Give::Fixed, 1).right(),
            Column::keep("SERIES", Give::Fixed).right(),
            Column::drop("SERVICES", Give::Text { hang: false }, 0),
            Column::keep("SAMPLES", Give::Text { hang: false }),
        ];
        let row = || {
            vec![
                "http.server.request.duration.with.a.rather.long.suffix".to_string(),
                "2,016".into(),
                "1,996".into(),
                "checkout, payment, shipping, inventory".into(),
                "u-09090, u-08694, u-30969, u-87884, u-39431".into(),
            ]
        };
        // Wide: nothing dropped, nothing cut.
        let mut rows = vec![row()];
        let keep = fit_columns(&columns, &mut rows, 200);
        assert_eq!(keep, [true; 5]);
        assert_eq!(rows[0], row());
        // 80: services go first, then points; the name stays whole (54 > cap, but room).
        for width in [80, 100, 120] {
            let mut rows = vec![row()];
            let keep = fit_columns(&columns, &mut rows, width);
            assert!(
                table_width(&keep, &rows, &columns) <= width,
                "{width}: {rows:?}"
            );
            assert!(keep[0] && keep[2] && keep[4], "{width}");
        }
        let mut rows = vec![row()];
        let keep = fit_columns(&columns, &mut rows, 80);
        assert_eq!(keep, [true, false, true, false, true]);
        assert!(rows[0][0].contains('…') || rows[0][0] == row()[0]);
        // Too narrow for anything but the essentials: the name is shortened, never below 16.
        let mut rows = vec![row()];
        let keep = fit_columns(&columns, &mut rows, 50);
        assert_eq!(keep, [true, false, true, false, true]);
        assert!(table_width(&keep, &rows, &columns) <= 50, "{rows:?}");
        assert!(cols(&rows[0][0]) >= NAME_MIN && rows[0][0].contains('…'));
    }
}
