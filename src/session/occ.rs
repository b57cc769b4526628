//! OCC (OTLP Cardinality Checker) compatibility: what its exports carry that ours do not.
