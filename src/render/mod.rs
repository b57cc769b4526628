//! Output rendering: colors, human-friendly numbers, session tables, and the diff formats.

pub mod color;
pub mod diff_github;
pub mod diff_json;
pub mod diff_junit;
pub mod diff_markdown;
pub mod diff_sarif;
pub mod diff_table;
pub mod escape;
pub mod fit;
pub mod fix;
pub mod html;
pub mod human;
pub mod list;
pub mod show;
pub mod suspects;
pub mod wording;
