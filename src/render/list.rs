//! TODO: list rendering.
