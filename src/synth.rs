//! Synthetic sessions for benchmarks and tests (deterministic, realistic cardinalities).
