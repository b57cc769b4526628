//! Diff: severity-ranked changes between two sessions.
