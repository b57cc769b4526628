//! TODO: show rendering.
