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
}
