//! The fixes of a diff (see `otelsnap_core::diff::fix`) as text, and the fence the Markdown
//! puts them in (inside the change each fixes: `diff_markdown`).

use crate::diff::DiffReport;
pub use crate::diff::fix::{Fix, fixes_of, yaml_str};

/// A Markdown fenced code block that the content cannot close early.
pub fn fenced(lang: &str, body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{lang}\n{body}{fence}\n")
}

/// Every fix of the shown changes at or above `min`, in ranking order.
pub fn report_fixes(r: &DiffReport) -> Vec<Fix> {
    r.changes.iter().flat_map(fixes_of).collect()
}

/// The fixes as plain text for the table output.
pub fn text(fixes: &[Fix]) -> String {
    let mut out = String::new();
    for f in fixes {
        out.push_str(&format!(
            // Two lines: with the usual names each fits 80 columns, and names are never cut.
            "\nSuggested fix: remove {} key {}\nfrom metric {}:\n",
            f.scope,
            yaml_str(&f.key),
            yaml_str(&f.metric)
        ));
        if let Some(v) = &f.sdk_view {
            out.push('\n');
            out.push_str(v);
        }
        out.push('\n');
        out.push_str(&f.collector);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_are_longer_than_any_backtick_run_inside() {
        let f = fenced("yaml", "a ``` b\n");
        assert!(f.starts_with("````yaml\n") && f.ends_with("````\n"), "{f}");
    }
}
