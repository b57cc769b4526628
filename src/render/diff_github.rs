//! TODO: diff_github rendering.
