#!/usr/bin/env bash
# Benchmark of `procsift gcore` against gdb's `gcore` on the same process: a fixture with HEAP_MIB MiB of
# touched heap (every page written, non-zero) and three parked threads (testdata/fixtures/parked.c).
#
#   bench/gcore.sh [HEAP_MIB] [RUNS]      defaults 1024 and 5; run as root, at a quiet moment
#
# Each run starts a fresh process (so each tool dumps the same kind of process, in alternating order) and
# reports, per tool: wall time (until the tool returns: the core complete under its name), the time until it
# is on the disk (an fsync of the core right after the tool returned; nothing is left to write after
# `--sync`), how long the process was stopped — measured from the process's side: its
# main thread reads CLOCK_MONOTONIC every millisecond and records the longest gap (GAP_FILE) — the core's
# size and the disk it takes. Medians of RUNS runs. One more run each on a heap of zeros (written, so
# resident) shows the sparse output. Cores go to a directory on disk (TMPDIR, else /var/tmp), not tmpfs:
# where users write them.
set -euo pipefail
cd "$(dirname "$0")/.."
HEAP_MIB=${1:-1024}
RUNS=${2:-5}
if ! command -v gdb >/dev/null || ! command -v gcc >/dev/null; then
  apt-get update -qq && apt-get install -y -qq gdb gcc
fi
cargo build --release --quiet --bin procsift
T=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/procsift-gcore-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
gcc -O1 -g -pthread -o "$work/parked" testdata/fixtures/parked.c
python3 bench/gcore.py "$T/release/procsift" "$work" "$HEAP_MIB" "$RUNS"
