//! OTLP/JSON decoding (spec-exact).
