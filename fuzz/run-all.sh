#!/usr/bin/env bash
# Runs every fuzz target without a sanitizer (the code is safe Rust; overflow checks and debug assertions
# stay on), two at a time at nice 19, each until RUNS executions or SECONDS seconds, whichever first, with
# its dictionary, on the seeds of fuzz/seeds.py. Prints one line per target: executions, seconds,
# executions per second and whether it crashed (the crash input is then in fuzz/artifacts/TARGET/).
#
#   fuzz/run-all.sh [SECONDS] [RUNS] [TARGET...]      (defaults: 1800, 1000000, every target;
#                                                     NO_BUILD=1 runs the binaries already built)
set -uo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-1800}
RUNS=${2:-1000000}
shift 2 2>/dev/null || shift $#
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(snapshot core linux_text solaris_files netbsd report_diff reports)
fi
mkdir -p logs
[ -d corpus ] || python3 seeds.py
[ -n "${NO_BUILD:-}" ] || cargo +nightly fuzz build -s none --release --debug-assertions

# Largest input per target: a little above the largest seed, so that each execution stays cheap (a
# decoder's work grows with its input; libFuzzer grows inputs towards the bound). Cores are the biggest
# seeds: every core of up to 384 KiB whole (the real Linux and NetBSD ones), the longer ones cut there
# (their notes, within the first 16 KiB, and their first segments are kept).
max_len() {
  case $1 in
    core) echo 393216 ;;
    snapshot | report_diff) echo 131072 ;;
    *) echo 65536 ;;
  esac
}

one() {
  local t=$1 log=logs/$1.log
  mkdir -p "corpus/$t"
  # The binaries cargo fuzz built above (what `cargo fuzz run` runs), so that a later change to the
  # sources does not rebuild them between targets.
  mkdir -p "artifacts/$t"
  nice -n 19 "target/$(rustc -vV | sed -n 's/^host: //p')/release/$t" "corpus/$t" \
    -artifact_prefix="artifacts/$t/" -dict="dicts/$t.dict" -max_total_time="$SECONDS_EACH" \
    -runs="$RUNS" -timeout=20 -max_len="$(max_len "$t")" -print_final_stats=1 >"$log" 2>&1
  local rc=$?
  local done_line execs secs
  done_line=$(grep -a '^Done ' "$log" | tail -n 1)
  execs=$(grep -a 'stat::number_of_executed_units' "$log" | tail -n 1 | awk '{print $2}')
  secs=$(grep -a 'stat::average_exec_per_sec' "$log" | tail -n 1 | awk '{print $2}')
  local crashed=no
  if [ $rc -ne 0 ] && grep -aqE 'panicked|deadly signal|ERROR: libFuzzer' "$log"; then crashed=yes; fi
  echo "$t: ${execs:-?} executions, ${secs:-?} exec/s, crashed: $crashed (${done_line:-no Done line}; exit $rc)"
}

# Two at a time: a target starts when one of the two running ends.
running=0
for t in "${TARGETS[@]}"; do
  if [ $running -ge 2 ]; then
    wait -n
    running=$((running - 1))
  fi
  one "$t" &
  running=$((running + 1))
done
wait
