//! TODO: diff_table rendering.
