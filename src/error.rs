//! Error reporting and exit codes.
