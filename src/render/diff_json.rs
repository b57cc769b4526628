//! TODO: diff_json rendering.
