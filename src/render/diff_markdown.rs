//! TODO: diff_markdown rendering.
