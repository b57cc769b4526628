//! The session file format.
