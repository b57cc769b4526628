//! Merge: combine sessions with exact HyperLogLog unions.
