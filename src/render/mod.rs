//! Output rendering: colors, human-friendly numbers, and the diff formats.

pub mod color;
pub mod human;
