#!/usr/bin/env bash
# Benchmark: procsift capture and analysis against what users would otherwise run, side by side.
#
#   bench/run.sh [N] [HEAP_MIB]   N idle processes are spawned first (default 2000) and killed by pid
#                                 afterwards; the core case dumps a process with HEAP_MIB (default 1024)
#                                 of touched heap. REPEAT=3 (default) runs the timing block that many
#                                 times; HOSTILE=0 skips the hostile-input timings (a release build of
#                                 two test binaries).
#   bench/run.sh --analysis [N...]
#                                 only the analysis targets, at each N idle processes (default 1000 and
#                                 8000), side by side: `procsift ps SNAPSHOT` against live `ps aux`;
#                                 `info SNAPSHOT` and `show SNAPSHOT PID` against `ps SNAPSHOT`; `diff OLD
#                                 NEW` (a tenth of the idle processes replaced) against one `capture`;
#                                 peak RSS of `ps SNAPSHOT` against the archive's size / 2 + 64 MiB and of
#                                 `diff` against the two archives' size + 64 MiB; each also with
#                                 PROCSIFT_FULL_READ=1 (every member of every process read, as before
#                                 reports read only what they show). Median of 5 runs; a few minutes.
#   bench/run.sh --stacks [HEAP_MIB]
#                                 only the backtrace case: a gcore of a python3 with HEAP_MIB (default
#                                 1024) of touched heap and 8 sleeping threads, every thread unwound and
#                                 symbolized by `procsift threads CORE --stack` and `procsift core`, side by
#                                 side with `eu-stack --core` (names only, and with `-i -s`: inlined frames
#                                 and source lines, as procsift gives them) and `gdb -batch -ex 'thread
#                                 apply all bt'` (median wall time of 10 runs, peak RSS, ratios).
#   bench/run.sh --fleet [SIZES...]
#                                 only the fleet case, at each size (default 1000 8000: about
#                                 that many processes on the host, idle sleeps added to reach it): the CPU
#                                 seconds and bytes read and written of one capture per 1,000 processes,
#                                 full and minimal profiles (the periodic loop's own per-tick log, at nice 10
#                                 and the idle I/O class, median of 3 ticks); export throughput in
#                                 snapshots/s and MB/s over SNAPS (default 100) periodic captures (minimal
#                                 profile, as a fleet takes them every few minutes; it keeps them small), with
#                                 one job and with the default (the CPUs); the Parquet dataset's size
#                                 against the archives'; and a DuckDB query over the SNAPS snapshots (the
#                                 sleeps per capture) against `procsift ps --format csv` looped over the
#                                 same archives, as a ratio (hyperfine, 3 runs; the DuckDB side includes
#                                 starting python3 and importing duckdb).
#   bench/gcore.sh [HEAP_MIB] [RUNS]   only the last part: procsift gcore against gdb's gcore.
#
# Times (hyperfine, 10 runs per command, REPEAT times): procsift capture, the floor (examples/floor.rs:
# open, read until EOF, close for exactly the files that capture archived), `ps aux`, live `procsift ps`,
# live `procsift show PID`, psutil iterating every process for pid, ppid, name, cmdline, memory_info,
# cpu_times, num_threads and username, `procsift ps SNAPSHOT`, `procsift check SNAPSHOT` (every rule)
# beside `procsift check SNAPSHOT --rules setuid-shell` (a rule that reads nothing more: the cost of
# loading the environments, descriptors and maps the rules read), and `procsift diff OLD NEW` of two
# captures between which a tenth of the idle processes were replaced (the bar: diffing two snapshots is
# faster than capturing one). Reported: the median of each repetition's medians, and their spread
# (lowest..highest median); ratios are computed per repetition and reported the same way.
# Syscalls per process and per member come from `strace -c -f`. The core case: a gcore of a process with
# a touched heap of HEAP_MIB MiB, summarized by `procsift core` and listed by `readelf -n` (wall time and
# peak RSS). The hostile-input timings: how long each analysis of a damaged fixture takes in the
# hostile-input tests (tests/hostile_text.rs, tests/solaris_proc.rs), slowest and median, against the
# 5 s the README promises. Ratios matter, not absolute times: these machines are shared. Run as root (so
# every process is readable).
set -euo pipefail
cd "$(dirname "$0")/.."
STACKS=
FLEET=
ANALYSIS=
if [ "${1:-}" = --analysis ]; then
  ANALYSIS=1
  shift
  SIZES=("${@:-1000 8000}")
  read -r -a SIZES <<<"${SIZES[*]}"
  N=0
  HEAP_MIB=0
elif [ "${1:-}" = --fleet ]; then
  FLEET=1
  shift
  if [ $# -gt 0 ]; then SIZES=("$@"); else SIZES=(1000 8000); fi
  N=0
  HEAP_MIB=0
elif [ "${1:-}" = --stacks ]; then
  STACKS=1
  shift
  HEAP_MIB=${1:-1024}
  N=0
else
  N=${1:-2000}
  HEAP_MIB=${2:-1024}
fi
REPEAT=${REPEAT:-3}
HOSTILE=${HOSTILE:-1}
work=$(mktemp -d /dev/shm/procsift-bench.XXXXXX)
pidfile=$work/pids

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v strace >/dev/null || need+=(strace)
[ -x /usr/bin/time ] || need+=(time)
command -v ps >/dev/null || need+=(procps)
command -v gdb >/dev/null || need+=(gdb)
command -v readelf >/dev/null || need+=(binutils)
command -v eu-stack >/dev/null || need+=(elfutils)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}"; fi
python3 -c 'import psutil' 2>/dev/null || pip install -q psutil
if [ -n "$FLEET" ]; then python3 -c 'import duckdb' 2>/dev/null || pip install -q duckdb; fi

cargo build --release --quiet --bin procsift --example floor
T=${CARGO_TARGET_DIR:-target}
P=$T/release/procsift
FLOOR=$T/release/examples/floor

cleanup() {
  for f in "$pidfile" "$work/pids2" "$work"/apids* "$work/fpids"; do
    if [ -s "$f" ]; then xargs -r kill <"$f" 2>/dev/null || true; fi
  done
  if [ -n "${heap_pid:-}" ]; then kill "$heap_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The backtrace case: every thread of a gcore unwound and symbolized.
stacks() {
  python3 bench/bigheap.py "$HEAP_MIB" 8 >"$work/heap.out" &
  heap_pid=$!
  while ! grep -q ready "$work/heap.out" 2>/dev/null; do sleep 0.2; done
  local exe
  exe=$(readlink "/proc/$heap_pid/exe")
  gdb -batch -nx -p "$heap_pid" -ex "gcore $work/big.core" >/dev/null 2>&1
  kill "$heap_pid"; heap_pid=
  echo "core: $(du -h "$work/big.core" | cut -f1) gcore of $exe with $HEAP_MIB MiB of touched heap and 9 threads"
  echo "frames: procsift $($P threads "$work/big.core" --stack --format csv 2>/dev/null | tail -n +2 | wc -l)," \
    "eu-stack $(eu-stack --core "$work/big.core" 2>/dev/null | grep -c '^#')," \
    "eu-stack -i $(eu-stack --core "$work/big.core" -i 2>/dev/null | grep -c '^#')," \
    "gdb $(gdb -batch -nx -ex 'thread apply all bt' "$exe" "$work/big.core" 2>/dev/null | grep -c '^#')"
  hyperfine --warmup 2 --runs 10 -N -i --export-json "$work/s.json" --style basic \
    -n "procsift threads --stack" "$P threads $work/big.core --stack" \
    -n "procsift core" "$P core $work/big.core" \
    -n "eu-stack --core" "eu-stack --core $work/big.core" \
    -n "eu-stack --core -i -s" "eu-stack --core $work/big.core -i -s" \
    -n "gdb thread apply all bt" "gdb -batch -nx -ex 'thread apply all bt' $exe $work/big.core" >/dev/null
  local name
  for name in stack core eu eus gdb; do
    case $name in
      stack) cmd=("$P" threads "$work/big.core" --stack) ;;
      core) cmd=("$P" core "$work/big.core") ;;
      eu) cmd=(eu-stack --core "$work/big.core") ;;
      eus) cmd=(eu-stack --core "$work/big.core" -i -s) ;;
      gdb) cmd=(gdb -batch -nx -ex 'thread apply all bt' "$exe" "$work/big.core") ;;
    esac
    /usr/bin/time -f "%M" -o "$work/rss.$name" "${cmd[@]}" >/dev/null 2>&1 || true
  done
  python3 - "$work/s.json" "$(tail -n 1 "$work/rss.stack")" "$(tail -n 1 "$work/rss.core")" \
    "$(tail -n 1 "$work/rss.eu")" "$(tail -n 1 "$work/rss.eus")" "$(tail -n 1 "$work/rss.gdb")" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["results"]
med = {r["command"]: sorted(r["times"])[len(r["times"]) // 2] for r in h}
rss = dict(zip(med, map(int, sys.argv[2:7])))
base = med["procsift threads --stack"]
print("\n| backtraces of every thread | median wall (ms) | peak RSS (MiB) | wall / procsift threads --stack |")
print("|---|---:|---:|---:|")
for name, t in med.items():
    print(f"| {name} | {t*1000:.1f} | {rss[name]/1024:.1f} | {t/base:.2f}x |")
print(f"procsift threads --stack: {base*1000:.0f} ms (target < 1000), {rss['procsift threads --stack']/1024:.0f} MiB (target < 200)")
PY
  rm -f "$work/big.core"
}
if [ -n "$STACKS" ]; then
  stacks
  exit 0
fi

# The analysis targets at one size: N idle processes spawned, two captures (a tenth replaced between).
analysis() {
  local n=$1 pids="$work/apids.$1" pids2="$work/apids2.$1"
  python3 bench/holder.py "$n" 3600 "$pids" &
  while [ ! -s "$pids" ]; do sleep 0.2; done
  local total one
  # (a process may vanish while /proc is listed)
  total=$( (ls -d /proc/[0-9]* 2>/dev/null || true) | wc -l)
  one=$(head -n 1 "$pids")
  $P capture -o "$work/a.tar" 2>/dev/null
  python3 bench/holder.py "$((n / 10))" 3600 "$pids2" &
  while [ ! -s "$pids2" ]; do sleep 0.2; done
  head -n "$((n / 10))" "$pids" | xargs -r kill
  sleep 0.5
  $P capture -o "$work/b.tar" 2>/dev/null
  local full="env PROCSIFT_FULL_READ=1"
  hyperfine --warmup 1 --runs 5 -N -i --export-json "$work/an.$n.json" --style basic \
    --prepare "rm -f $work/c.tar" \
    -n "procsift capture" "$P capture -o $work/c.tar" \
    -n "ps aux" "ps aux" \
    -n "procsift ps SNAPSHOT" "$P ps $work/a.tar" \
    -n "procsift info SNAPSHOT" "$P info $work/a.tar" \
    -n "procsift show SNAPSHOT PID" "$P show $work/a.tar $one" \
    -n "procsift diff OLD NEW" "$P diff $work/a.tar $work/b.tar" \
    -n "whole: procsift ps SNAPSHOT" "$full $P ps $work/a.tar" \
    -n "whole: procsift info SNAPSHOT" "$full $P info $work/a.tar" \
    -n "whole: procsift show SNAPSHOT PID" "$full $P show $work/a.tar $one" \
    -n "whole: procsift diff OLD NEW" "$full $P diff $work/a.tar $work/b.tar" >/dev/null
  local rss=()
  for c in "ps $work/a.tar" "diff $work/a.tar $work/b.tar" "info $work/a.tar" "show $work/a.tar $one"; do
    # shellcheck disable=SC2086
    /usr/bin/time -f "%M" -o "$work/rss" $P $c >/dev/null 2>&1 || true
    rss+=("$(tail -n 1 "$work/rss")")
    # shellcheck disable=SC2086
    /usr/bin/time -f "%M" -o "$work/rss" env PROCSIFT_FULL_READ=1 $P $c >/dev/null 2>&1 || true
    rss+=("$(tail -n 1 "$work/rss")")
  done
  echo "$n $total $(stat -c %s "$work/a.tar") $(stat -c %s "$work/b.tar") ${rss[*]}" >>"$work/an.sizes"
  xargs -r kill <"$pids2" 2>/dev/null || true
  xargs -r kill <"$pids" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -f "$work/a.tar" "$work/b.tar" "$work/c.tar" "$pids" "$pids2"
}
if [ -n "$ANALYSIS" ]; then
  for n in "${SIZES[@]}"; do analysis "$n"; done
  python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
rows = {}
for line in open(f"{work}/an.sizes"):
    v = line.split()
    n = int(v[0])
    h = json.load(open(f"{work}/an.{n}.json"))["results"]
    med = {x["command"]: statistics.median(x["times"]) for x in h}
    rss = dict(zip(["ps", "ps whole", "diff", "diff whole", "info", "info whole", "show", "show whole"],
                   (int(k) / 1024 for k in v[4:12])))
    rows[n] = (int(v[1]), int(v[2]) / 2**20, int(v[3]) / 2**20, med, rss)
MS = lambda t: f"{t*1000:.0f}"
for n, (total, a, b, med, rss) in rows.items():
    print(f"\n{n} idle processes ({total} on the host); archives {a:.0f} MiB and {b:.0f} MiB\n")
    print("| command | median wall (ms) | whole read (ms) | peak RSS (MiB) | whole read RSS (MiB) |")
    print("|---|---:|---:|---:|---:|")
    for name, t in med.items():
        if name.startswith("whole: "):
            continue
        w = med.get("whole: " + name)
        key = {"procsift ps SNAPSHOT": "ps", "procsift diff OLD NEW": "diff",
               "procsift info SNAPSHOT": "info", "procsift show SNAPSHOT PID": "show"}.get(name)
        print(f"| {name} | {MS(t)} | {MS(w) if w else ''} | {rss[key] if key else 0:.0f} | "
              f"{rss[key + ' whole'] if key else 0:.0f} |".replace("| 0 | 0 |", "| | |"))
    ps = med["procsift ps SNAPSHOT"]
    checks = [
        ("ps SNAPSHOT / ps aux", ps / med["ps aux"], 0.5),
        ("info SNAPSHOT / ps SNAPSHOT", med["procsift info SNAPSHOT"] / ps, 0.2),
        ("show SNAPSHOT PID / ps SNAPSHOT", med["procsift show SNAPSHOT PID"] / ps, 0.2),
        ("diff OLD NEW / capture", med["procsift diff OLD NEW"] / med["procsift capture"], 0.3),
        ("diff peak RSS / (archives + 64 MiB)", rss["diff"] / (a + b + 64), 1.0),
        ("ps SNAPSHOT peak RSS / (archive / 2 + 64 MiB)", rss["ps"] / (a / 2 + 64), 1.0),
    ]
    print("\n| target | ratio | at most | met |")
    print("|---|---:|---:|---|")
    for name, r, bound in checks:
        print(f"| {name} | {r:.2f} | {bound} | {'yes' if r <= bound else 'no'} |")
if len(rows) >= 2:
    (n0, r0), (n1, r1) = list(rows.items())[0], list(rows.items())[-1]
    print(f"\nscaling from {n0} to {n1} idle processes (host processes {r0[0]} to {r1[0]}: "
          f"{r1[0] / r0[0]:.1f}x; archive {r1[1] / r0[1]:.1f}x): time ratio per command")
    print("\n| command | time ratio |")
    print("|---|---:|")
    for name in r0[3]:
        print(f"| {name} | {r1[3][name] / r0[3][name]:.1f}x |")
PY
  exit 0
fi
# The fleet case: capture cost per 1,000 processes, export throughput, DuckDB against a loop of ps.
fleet() {
  local size have add snaps=${SNAPS:-100} f
  for size in "${SIZES[@]}"; do
    have=$(ls /proc | grep -c '^[0-9]')
    add=$((size > have ? size - have : 0))
    rm -f "$work/fpids"
    if [ "$add" -gt 0 ]; then
      python3 bench/holder.py "$add" 3600 "$work/fpids" &
      while [ ! -s "$work/fpids" ]; do sleep 0.2; done
    fi
    echo "== about $size processes ($(ls /proc | grep -c '^[0-9]') on the host, $add idle sleeps added)"
    for profile in full minimal; do
      rm -rf "$work/cost"
      "$P" capture --output-dir "$work/cost" --every 2 --count 3 --no-events --profile "$profile" 2>"$work/cost.log" || true
      python3 - "$work/cost.log" "$profile" <<'PY'
import re, statistics, sys
rows = []
for line in open(sys.argv[1]):
    m = re.search(r": (\d+) processes, .*cpu ([\d.]+) s .*read ([\d.]+) MB, wrote ([\d.]+) MB", line)
    if m:
        n, cpu, rd, wr = int(m[1]), float(m[2]), float(m[3]), float(m[4])
        rows.append((cpu / n * 1000, rd / n * 1000, wr / n * 1000, n))
if rows:
    med = lambda i: statistics.median(r[i] for r in rows)
    print(f"capture ({sys.argv[2]}): {med(0):.3f} CPU s, read {med(1):.1f} MB, wrote {med(2):.1f} MB per 1,000 processes ({rows[0][3]} processes, median of {len(rows)} ticks)")
else:
    print(f"capture ({sys.argv[2]}): no tick logged; see the log:", open(sys.argv[1]).read()[-500:])
PY
    done
    rm -rf "$work/snaps" "$work/ds"
    echo "taking $snaps periodic captures (minimal profile, one every 2 s) ..."
    "$P" capture --output-dir "$work/snaps" --every 2 --count "$snaps" --no-events --profile minimal 2>/dev/null || true
    local n bytes
    n=$(find "$work/snaps" -name '*.tar' | wc -l)
    bytes=$(find "$work/snaps" -name '*.tar' -printf '%s\n' | awk '{s+=$1} END {print s}')
    hyperfine --runs 3 -N --export-json "$work/x.json" --style basic \
      --prepare "rm -rf $work/ds" \
      -n "export --jobs 1" "$P export $work/snaps -o $work/ds --jobs 1" \
      -n "export" "$P export $work/snaps -o $work/ds" >/dev/null
    "$P" export "$work/snaps" -o "$work/ds" 2>/dev/null
    local pq
    pq=$(du -sb "$work/ds" | cut -f1)
    find "$work/snaps" -name '*.tar' | sort >"$work/list"
    cat >"$work/loop.sh" <<SH
while read -r f; do $P ps "\$f" --format csv | grep -c ',sleep,' || true; done <"$work/list" >/dev/null
SH
    cat >"$work/q.py" <<PY
import duckdb
duckdb.sql("SELECT capture_id, count(*) FROM read_parquet('$work/ds/processes/**/*.parquet', hive_partitioning = true) WHERE comm = 'sleep' GROUP BY capture_id").fetchall()
PY
    hyperfine --runs 3 -N --export-json "$work/q.json" --style basic \
      -n "duckdb" "python3 $work/q.py" \
      -n "procsift ps loop" "bash $work/loop.sh" >/dev/null
    python3 - "$work/x.json" "$work/q.json" "$n" "$bytes" "$pq" <<'PY'
import json, sys
med = lambda r: sorted(r["times"])[len(r["times"]) // 2]
x = {r["command"]: med(r) for r in json.load(open(sys.argv[1]))["results"]}
q = {r["command"]: med(r) for r in json.load(open(sys.argv[2]))["results"]}
n, size, pq = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
for name, t in x.items():
    print(f"{name}: {n} snapshots ({size/1e6:.0f} MB) in {t:.2f} s: {n/t:.1f} snapshots/s, {size/1e6/t:.0f} MB/s")
print(f"Parquet dataset: {pq/1e6:.1f} MB, {pq/size*100:.1f}% of the archives ({size/pq:.0f}x smaller)")
print(f"sleeps per capture over {n} snapshots: DuckDB {q['duckdb']:.2f} s, procsift ps loop {q['procsift ps loop']:.2f} s: the loop takes {q['procsift ps loop']/q['duckdb']:.1f}x as long")
PY
    if [ -s "$work/fpids" ]; then xargs -r kill <"$work/fpids" 2>/dev/null || true; fi
    rm -rf "$work/snaps" "$work/ds" "$work/cost"
  done
}
if [ -n "$FLEET" ]; then
  fleet
  exit 0
fi

python3 bench/holder.py "$N" 3600 "$pidfile" &
while [ ! -s "$pidfile" ]; do sleep 0.2; done
nproc_total=$(ls -d /proc/[0-9]* | wc -l)
echo "processes on the host: $nproc_total (of which $N spawned idle sleeps)"

$P capture -o "$work/snap.tar" 2>/dev/null
members=$(python3 -c 'import json,sys,tarfile; t=tarfile.open(sys.argv[1]); m=json.load(t.extractfile("manifest.json"))["members"]; f=[x for x in m if x["kind"]=="file" and not x.get("error")]; l=[x for x in m if x["kind"]=="symlink" and not x.get("error")]; print(len(f), len(l))' "$work/snap.tar")
read -r nfiles nlinks <<<"$members"
echo "one capture: $nfiles files and $nlinks links, $(du -h "$work/snap.tar" | cut -f1)"

# capture refuses to overwrite an archive, so each run starts by removing the previous one.
one_pid=$(head -n 1 "$pidfile")
for rep in $(seq 1 "$REPEAT"); do
  hyperfine --warmup 2 --runs 10 -N --export-json "$work/h$rep.json" --style basic \
    --prepare "rm -f $work/c.tar" \
    -n "procsift capture" "$P capture -o $work/c.tar" \
    -n "floor (same files)" "$FLOOR $work/snap.tar" \
    -n "ps aux" "ps aux" \
    -n "procsift ps (live)" "$P ps" \
    -n "procsift show PID (live)" "$P show $one_pid" \
    -n "psutil (8 attrs)" "python3 bench/psutil_iter.py" \
    -n "procsift ps SNAPSHOT" "$P ps $work/snap.tar" >/dev/null
done

# The second snapshot: a tenth of the idle processes replaced by new ones.
python3 bench/holder.py "$((N / 10))" 3600 "$work/pids2" &
while [ ! -s "$work/pids2" ]; do sleep 0.2; done
head -n "$((N / 10))" "$pidfile" | xargs -r kill
sleep 0.5
$P capture -o "$work/snap2.tar" 2>/dev/null
$P diff "$work/snap.tar" "$work/snap2.tar" --ignore-volatile >"$work/diff.txt" || true
echo "diff of the two snapshots: $(grep -c . "$work/diff.txt") lines; summary:"
sed -n '/^KIND/,/^$/p' "$work/diff.txt"
# diff exits 1 when it finds differences, and check when it finds something: their runs ignore the exit
# status.
for rep in $(seq 1 "$REPEAT"); do
  hyperfine --warmup 2 --runs 10 -N -i --export-json "$work/d$rep.json" --style basic \
    -n "procsift check SNAPSHOT" "$P check $work/snap.tar" \
    -n "procsift check SNAPSHOT --rules setuid-shell" "$P check $work/snap.tar --rules setuid-shell" \
    -n "procsift diff OLD NEW" "$P diff $work/snap.tar $work/snap2.tar" \
    -n "procsift diff OLD NEW --format json" "$P diff $work/snap.tar $work/snap2.tar --format json" >/dev/null
done
/usr/bin/time -f "%M" -o "$work/rss.diff" $P diff "$work/snap.tar" "$work/snap2.tar" >/dev/null 2>&1 || true
echo "peak RSS KiB: procsift diff OLD NEW $(tail -n 1 "$work/rss.diff")"

count() { strace -c -f -o "$work/strace.$1" "${@:2}" >/dev/null 2>&1; awk '$NF == "total" {print $4}' "$work/strace.$1"; }
sc_capture=$(count capture $P capture -o "$work/s.tar")
/usr/bin/time -f "%M" -o "$work/rss.capture" $P capture -o "$work/r.tar" >/dev/null 2>&1
/usr/bin/time -f "%M" -o "$work/rss.ps" ps aux >/dev/null 2>&1
/usr/bin/time -f "%M" -o "$work/rss.psnap" $P ps "$work/snap.tar" >/dev/null 2>&1
/usr/bin/time -f "%M" -o "$work/rss.live" $P ps >/dev/null 2>&1
echo "peak RSS KiB: procsift capture $(cat "$work/rss.capture"), ps aux $(cat "$work/rss.ps"), procsift ps (live) $(cat "$work/rss.live"), procsift ps SNAPSHOT $(cat "$work/rss.psnap")"
sc_floor=$(count floor $FLOOR "$work/snap.tar")
sc_ps=$(count ps ps aux)
sc_live=$(count live $P ps)

# The core case.
python3 bench/bigheap.py "$HEAP_MIB" >"$work/heap.out" &
heap_pid=$!
while ! grep -q ready "$work/heap.out" 2>/dev/null; do sleep 0.2; done
gdb -batch -nx -p "$heap_pid" -ex "gcore $work/big.core" >/dev/null 2>&1
kill "$heap_pid"; heap_pid=
echo "core: $(du -h "$work/big.core" | cut -f1) gcore of a process with $HEAP_MIB MiB of touched heap"
hyperfine --warmup 2 --runs 10 -N --export-json "$work/c.json" --style basic \
  -n "procsift core" "$P core $work/big.core" \
  -n "readelf -n" "readelf -n $work/big.core" >/dev/null
/usr/bin/time -f "%M" -o "$work/rss.core" $P core "$work/big.core" >/dev/null 2>&1
/usr/bin/time -f "%M" -o "$work/rss.readelf" readelf -n "$work/big.core" >/dev/null 2>&1
python3 - "$work/c.json" "$(cat "$work/rss.core")" "$(cat "$work/rss.readelf")" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["results"]
med = {r["command"]: sorted(r["times"])[len(r["times"]) // 2] for r in h}
rss = {"procsift core": int(sys.argv[2]), "readelf -n": int(sys.argv[3])}
print("\n| core case | median wall (ms) | peak RSS (MiB) |")
print("|---|---:|---:|")
for name, t in med.items():
    print(f"| {name} | {t*1000:.1f} | {rss[name]/1024:.1f} |")
print(f"procsift core / readelf -n: {med['procsift core']/med['readelf -n']:.2f}x wall")
PY
rm -f "$work/big.core"
stacks

# Writing a core: procsift gcore against gdb's gcore (time, size, how long the process was stopped).
bench/gcore.sh "$HEAP_MIB" 5

python3 - "$work" "$REPEAT" "$nproc_total" "$nfiles" "$nlinks" "$sc_capture" "$sc_floor" "$sc_ps" "$sc_live" <<'PY'
import json, statistics, sys
work, repeat = sys.argv[1], int(sys.argv[2])
nproc, nfiles, nlinks, sc_cap, sc_floor, sc_ps, sc_live = map(int, sys.argv[3:])
reps = []  # per repetition: command -> median seconds
for r in range(1, repeat + 1):
    h = json.load(open(f"{work}/h{r}.json"))["results"] + json.load(open(f"{work}/d{r}.json"))["results"]
    reps.append({x["command"]: statistics.median(x["times"]) for x in h})
def spread(values, fmt):
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}..{fmt(max(values))}]"
ms = lambda v: f"{v*1000:.0f}"
x = lambda v: f"{v:.2f}x"
print(f"\n{repeat} repetitions of 10 runs each; median of the repetitions' medians [lowest..highest]\n")
print("| command | median wall (ms) | ratio to the floor |")
print("|---|---:|---:|")
for name in reps[0]:
    t = [r[name] for r in reps]
    q = [r[name] / r["floor (same files)"] for r in reps]
    print(f"| {name} | {spread(t, ms)} | {spread(q, x)} |")
print()
def ratio(a, b, target):
    q = [r[a] / r[b] for r in reps]
    print(f"{a} / {b}: {spread(q, x)} ({target})")
ratio("procsift capture", "floor (same files)", "target <= 1.3x")
ratio("procsift capture", "psutil (8 attrs)", "target < 1")
ratio("procsift ps (live)", "ps aux", "target <= 1.2x")
ratio("procsift ps SNAPSHOT", "ps aux", "target < 1")
ratio("procsift check SNAPSHOT", "procsift ps SNAPSHOT", "bar: ps plus the members the rules read")
ratio("procsift check SNAPSHOT", "procsift check SNAPSHOT --rules setuid-shell", "what the rules add")
ratio("procsift diff OLD NEW", "procsift capture", "target < 1")
print(f"syscalls: capture {sc_cap} = {sc_cap/nproc:.1f} per process, "
      f"{sc_cap/(nfiles+nlinks):.2f} per member; floor {sc_floor} = {sc_floor/nproc:.1f} per process; "
      f"ps aux {sc_ps} = {sc_ps/nproc:.1f} per process; procsift ps (live) {sc_live} = {sc_live/nproc:.1f} per process")
print(f"members: {nfiles} files, {nlinks} links; an ideal reader needs 4 per file + 1 per link = "
      f"{(4*nfiles+nlinks)/nproc:.1f} per process")
PY

# The hostile-input timings (the tests assert what happens, never how fast): each damaged fixture's
# analysis and reports, in a release build.
if [ "$HOSTILE" != 0 ]; then
  rm -f "$work/times"
  PROCSIFT_TIMES="$work/times" cargo test --release --quiet --test hostile_text --test solaris_proc \
    >/dev/null 2>&1
  python3 - "$work/times" <<'PY'
import statistics, sys
t = sorted(float(l.rsplit("\t", 1)[1]) for l in open(sys.argv[1]) if "\t" in l)
worst = max(open(sys.argv[1]), key=lambda l: float(l.rsplit("\t", 1)[1]))
print(f"\nhostile inputs: {len(t)} analyses of damaged fixtures; median {statistics.median(t)*1000:.2f} ms, "
      f"slowest {t[-1]*1000:.1f} ms ({worst.split(chr(9))[0]}); the README's bound: 5 s")
PY
fi
