//! The session directory.
