#!/bin/sh
# The two whole-process commands a paired timer (hyperfine, farm-bench) alternates to compare
# `merge` of the ten sessions `bench_merge --dir D` leaves in D with loading them (`show` of each):
#   bench_merge_cmds.sh merge BIN D STORE   merge the ten into a fresh store STORE
#   bench_merge_cmds.sh show BIN D          `show` each of the ten, one process each
set -eu
mode=$1 bin=$2 dir=$3
case $mode in
merge)
    store=$4
    rm -rf "$store"
    mkdir -p "$store"
    exec "$bin" --dir "$store" merge -o merged "$dir"/seed-1.json.gz "$dir"/seed-2.json.gz \
        "$dir"/seed-3.json.gz "$dir"/seed-4.json.gz "$dir"/seed-5.json.gz "$dir"/seed-6.json.gz \
        "$dir"/seed-7.json.gz "$dir"/seed-8.json.gz "$dir"/seed-9.json.gz "$dir"/seed-10.json.gz
    ;;
show)
    for i in 1 2 3 4 5 6 7 8 9 10; do
        "$bin" show "$dir/seed-$i.json.gz" >/dev/null
    done
    ;;
*)
    echo "usage: $0 merge BIN DIR STORE | show BIN DIR" >&2
    exit 2
    ;;
esac
