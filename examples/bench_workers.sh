#!/bin/bash
# Capture throughput with 1 and 2 worker threads (--workers), over OTLP/HTTP protobuf and
# OTLP/gRPC, alternating in the same run; optionally a baseline binary (BASE=path, e.g. main's
# capture copied aside, run with each of --workers $BASE_WORKERS).
# Needs: cargo build --release --bin otelsnap --example otlp_load
# Settings (environment): ROUNDS (3), REQUESTS (2000), WORKERS ("1 2"), TRANSPORTS ("http grpc"),
# LOAD (extra otlp_load flags), BASE (a baseline otelsnap binary, optional), BASE_WORKERS (its
# --workers settings, default "2"), CONNECTIONS (gRPC: the HTTP/2 connections the generator's 4 callers
# share, e.g. "1 4"; default 4, one each; OTLP/HTTP always has one connection per caller).
# Prints per run: the load generator's acknowledged points/s, the capture process's CPU seconds
# (user+sys, /usr/bin/time), so points per server CPU-second can be compared too, and the
# generator's own CPU seconds (it shares the machine's cores with the capture).
# Loopback only; every run is bounded by --max-requests and the generator's request count.
B="$(cd "$(dirname "$0")/.." && pwd)/target/release"
REQUESTS=${REQUESTS:-2000}
BASE_WORKERS=${BASE_WORKERS:-2}
WORKERS=${WORKERS:-"1 2"}
TRANSPORTS=${TRANSPORTS:-"http grpc"}
run() { # label binary transport connections extra-args...
  local label=$1 bin=$2 tr=$3 conns=$4; shift 4
  D=$(mktemp -d)
  /usr/bin/time -f "%U %S %M" -o $D/time $bin --quiet --dir $D/s capture w --grpc 127.0.0.1:0 \
     --http 127.0.0.1:0 --ready-file $D/r.json --max-requests $REQUESTS --checkpoint 0 "$@" \
     > /dev/null 2> $D/err &
  P=$!
  for i in $(seq 100); do [ -s $D/r.json ] && break; sleep 0.1; done
  A=$(python3 -c "import json;print(json.load(open('$D/r.json'))['$tr'])")
  local C=""
  [ "$tr" = grpc ] && C="--connections $conns" && label="$label conns=$conns"
  OUT=$(/usr/bin/time -f "%U %S" -o $D/ltime $B/examples/otlp_load --$tr $A --requests $REQUESTS $C $LOAD)
  wait $P
  read U S M < $D/time
  read LU LS < $D/ltime
  echo "$label $tr: $OUT; server cpu $(echo "$U + $S" | bc) s, peak $((M / 1024)) MiB; generator cpu $(echo "$LU + $LS" | bc) s"
  rm -rf $D
}
for round in $(seq ${ROUNDS:-3}); do
  echo "round $round: $(uptime)"
  for tr in $TRANSPORTS; do
    conns=${CONNECTIONS:-4}
    [ "$tr" = grpc ] || conns=4
    for c in $conns; do
      for w in $WORKERS; do
        run "workers=$w" $B/otelsnap $tr $c --workers $w
      done
      if [ -n "$BASE" ]; then
        for w in $BASE_WORKERS; do run "base workers=$w" $BASE $tr $c --workers $w; done
      fi
    done
  done
done
echo "end: $(uptime)"
