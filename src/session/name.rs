//! Session names.
