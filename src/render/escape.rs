//! The one place telemetry text is made safe for a terminal. Names, keys, values and
//! services come from senders: an ESC in a metric name could recolor, move or rewrite what a
//! terminal shows, and a BEL or CR could hide or fake lines. Every human-facing output
//! (tables, Markdown, GitHub annotations, the capture summary, progress, warnings, errors)
//! passes text through [`term`]; JSON output keeps text exact.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` with every control character (C0, DEL, C1; newlines and tabs included) written as a
/// visible escape: `\x1b`, `\x07`, `\n`, `\u{9b}`. Text without any is borrowed unchanged.
pub fn term(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`term`] for a message of several lines: each line escaped, the line breaks kept.
pub fn term_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_control(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.split('\n').map(term).collect::<Vec<_>>().join("\n"))
}

/// C0 controls, DEL and C1 controls.
fn is_control(c: char) -> bool {
    matches!(c as u32, 0x00..=0x1f | 0x7f..=0x9f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_plain_text_borrowed() {
        assert!(matches!(term("http.server.duration é ✓"), Cow::Borrowed(_)));
        assert_eq!(term("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
        assert_eq!(term("x\ny\tz\r"), "x\\ny\\tz\\r");
        assert_eq!(term("del\x7f c1\u{9b}2J"), "del\\x7f c1\\u{9b}2J");
        assert_eq!(term("\0"), "\\x00");
        assert_eq!(term_lines("one\x1b]0;t\x07\ntwo"), "one\\x1b]0;t\\x07\ntwo");
        assert!(matches!(term_lines("a\nb"), Cow::Borrowed(_)));
    }
}
