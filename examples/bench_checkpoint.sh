#!/bin/bash
# Checkpoint cost: the same load with --checkpoint 0 and --checkpoint 1s (distinct names: the
# state grows all along, so each checkpoint copies a growing state).
# Needs: cargo build --release --bin otelsnap --example otlp_load
# Settings (environment): CHECKPOINTS (intervals to compare, default "0 1s"), ROUNDS (2),
# REQUESTS (1000), LOAD (extra otlp_load flags, e.g. "--metrics 1 --points 20" for a longer run
# in which the state still grows all along), BINS (otelsnap binaries to alternate in each round,
# default target/release/otelsnap; e.g. BINS="/tmp/otelsnap-base target/release/otelsnap" for a
# same-run baseline). The default 30s interval, measured (BENCHMARKS.md):
#   CHECKPOINTS="0 30s 5s" ROUNDS=3 REQUESTS=450000 LOAD="--metrics 1 --points 20" examples/bench_checkpoint.sh
B="$(cd "$(dirname "$0")/.." && pwd)/target/release"
CHECKPOINTS=${CHECKPOINTS:-"0 1s"}
REQUESTS=${REQUESTS:-1000}
BINS=${BINS:-$B/otelsnap}
for round in $(seq ${ROUNDS:-2}); do
echo "round $round: $(uptime)"
for BIN in $BINS; do
for ck in $CHECKPOINTS; do
  D=$(mktemp -d)
  $BIN --dir $D/s capture ck --no-grpc --http 127.0.0.1:0 --ready-file $D/r.json \
     --max-requests $REQUESTS --checkpoint $ck 2> $D/err &
  P=$!
  for i in $(seq 100); do [ -s $D/r.json ] && break; sleep 0.1; done
  H=$(python3 -c "import json;print(json.load(open('$D/r.json'))['http'])")
  echo "$BIN checkpoint=$ck round=$round: $($B/examples/otlp_load --http $H --requests $REQUESTS --distinct-names $LOAD)"
  wait $P
  grep -E "checkpoints|duration" $D/err || echo "   (no checkpoint row)"
  rm -rf $D
done
done
done
