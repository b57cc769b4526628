#!/bin/bash
# Checkpoint cost: the same load with --checkpoint 0 and --checkpoint 1s (distinct names: the
# state grows all along, so each checkpoint copies a growing state).
# Needs: cargo build --release --bin otelsnap --example otlp_load
B="$(cd "$(dirname "$0")/.." && pwd)/target/release"
for round in 1 2; do
for ck in 0 1s; do
  D=$(mktemp -d)
  $B/otelsnap --dir $D/s capture ck --no-grpc --http 127.0.0.1:0 --ready-file $D/r.json \
     --max-requests 1000 --checkpoint $ck 2> $D/err &
  P=$!
  for i in $(seq 100); do [ -s $D/r.json ] && break; sleep 0.1; done
  H=$(python3 -c "import json;print(json.load(open('$D/r.json'))['http'])")
  echo "checkpoint=$ck round=$round: $($B/examples/otlp_load --http $H --requests 1000 --distinct-names)"
  wait $P
  grep -E "checkpoints" $D/err || echo "   (no checkpoint row)"
  rm -rf $D
done
done
