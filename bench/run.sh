#!/usr/bin/env bash
# Benchmark: procsift capture and analysis against what users would otherwise run, side by side in one run.
#
#   bench/run.sh [N] [HEAP_MIB]   N idle processes are spawned first (default 2000) and killed by pid
#                                 afterwards; the core case dumps a process with HEAP_MIB (default 1024)
#                                 of touched heap.
#
# Times (hyperfine, median of 10 runs): procsift capture, the floor (examples/floor.rs: open, read until
# EOF, close for exactly the files that capture archived), `ps aux`, psutil iterating every process for
# pid, ppid, name, cmdline, memory_info, cpu_times, num_threads and username, `procsift ps SNAPSHOT`,
# `procsift check SNAPSHOT` (every rule: the environments, descriptors and maps they read), and
# `procsift diff OLD NEW` of two captures between which a tenth of the idle processes were replaced (the
# issue's bar: diffing two snapshots is faster than capturing one).
# Syscalls per process and per member come from `strace -c -f`. The core case: a gcore of a process with
# a touched heap of HEAP_MIB MiB, summarized by `procsift core` and listed by `readelf -n` (wall time and
# peak RSS). Ratios matter, not absolute times: these machines are shared. Run as root (so every process
# is readable).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
HEAP_MIB=${2:-1024}
work=$(mktemp -d /dev/shm/procsift-bench.XXXXXX)
pidfile=$work/pids

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v strace >/dev/null || need+=(strace)
[ -x /usr/bin/time ] || need+=(time)
command -v ps >/dev/null || need+=(procps)
command -v gdb >/dev/null || need+=(gdb)
command -v readelf >/dev/null || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}"; fi
python3 -c 'import psutil' 2>/dev/null || pip install -q psutil

cargo build --release --quiet --bin procsift --example floor
T=${CARGO_TARGET_DIR:-target}
P=$T/release/procsift
FLOOR=$T/release/examples/floor

cleanup() {
  for f in "$pidfile" "$work/pids2"; do
    if [ -s "$f" ]; then xargs -r kill <"$f" 2>/dev/null || true; fi
  done
  if [ -n "${heap_pid:-}" ]; then kill "$heap_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 bench/holder.py "$N" 3600 "$pidfile" &
while [ ! -s "$pidfile" ]; do sleep 0.2; done
nproc_total=$(ls -d /proc/[0-9]* | wc -l)
echo "processes on the host: $nproc_total (of which $N spawned idle sleeps)"

$P capture -o "$work/snap.tar" 2>/dev/null
members=$(python3 -c 'import json,sys,tarfile; t=tarfile.open(sys.argv[1]); m=json.load(t.extractfile("manifest.json"))["members"]; f=[x for x in m if x["kind"]=="file" and not x.get("error")]; l=[x for x in m if x["kind"]=="symlink" and not x.get("error")]; print(len(f), len(l))' "$work/snap.tar")
read -r nfiles nlinks <<<"$members"
echo "one capture: $nfiles files and $nlinks links, $(du -h "$work/snap.tar" | cut -f1)"

# capture refuses to overwrite an archive, so each run starts by removing the previous one.
hyperfine --warmup 2 --runs 10 -N --export-json "$work/h.json" --style basic \
  --prepare "rm -f $work/c.tar" \
  -n "procsift capture" "$P capture -o $work/c.tar" \
  -n "floor (same files)" "$FLOOR $work/snap.tar" \
  -n "ps aux" "ps aux" \
  -n "psutil (8 attrs)" "python3 bench/psutil_iter.py" \
  -n "procsift ps SNAPSHOT" "$P ps $work/snap.tar" >/dev/null

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
hyperfine --warmup 2 --runs 10 -N -i --export-json "$work/d.json" --style basic \
  -n "procsift check SNAPSHOT" "$P check $work/snap.tar" \
  -n "procsift diff OLD NEW" "$P diff $work/snap.tar $work/snap2.tar" \
  -n "procsift diff OLD NEW --format json" "$P diff $work/snap.tar $work/snap2.tar --format json" >/dev/null
/usr/bin/time -f "%M" -o "$work/rss.diff" $P diff "$work/snap.tar" "$work/snap2.tar" >/dev/null 2>&1 || true
echo "peak RSS KiB: procsift diff OLD NEW $(tail -n 1 "$work/rss.diff")"

count() { strace -c -f -o "$work/strace.$1" "${@:2}" >/dev/null 2>&1; awk '$NF == "total" {print $4}' "$work/strace.$1"; }
sc_capture=$(count capture $P capture -o "$work/s.tar")
/usr/bin/time -f "%M" -o "$work/rss.capture" $P capture -o "$work/r.tar" >/dev/null 2>&1
/usr/bin/time -f "%M" -o "$work/rss.ps" ps aux >/dev/null 2>&1
/usr/bin/time -f "%M" -o "$work/rss.psnap" $P ps "$work/snap.tar" >/dev/null 2>&1
echo "peak RSS KiB: procsift capture $(cat "$work/rss.capture"), ps aux $(cat "$work/rss.ps"), procsift ps SNAPSHOT $(cat "$work/rss.psnap")"
sc_floor=$(count floor $FLOOR "$work/snap.tar")
sc_ps=$(count ps ps aux)

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

python3 - "$work/h.json" "$work/d.json" "$nproc_total" "$nfiles" "$nlinks" "$sc_capture" "$sc_floor" "$sc_ps" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["results"] + json.load(open(sys.argv[2]))["results"]
nproc, nfiles, nlinks, sc_cap, sc_floor, sc_ps = map(int, sys.argv[3:])
med = {r["command"]: sorted(r["times"])[len(r["times"]) // 2] for r in h}
floor = med["floor (same files)"]
print(f"\n| command | median wall (ms) | ratio to floor |")
print("|---|---:|---:|")
for name, t in med.items():
    print(f"| {name} | {t*1000:.0f} | {t/floor:.2f}x |")
print()
print(f"capture / floor: {med['procsift capture']/floor:.2f}x (target <= 1.3x)")
print(f"capture / psutil: {med['procsift capture']/med['psutil (8 attrs)']:.2f}x (target < 1)")
print(f"procsift ps SNAPSHOT / ps aux: {med['procsift ps SNAPSHOT']/med['ps aux']:.2f}x (target < 1)")
print(f"procsift check SNAPSHOT / procsift ps SNAPSHOT: {med['procsift check SNAPSHOT']/med['procsift ps SNAPSHOT']:.2f}x")
print(f"procsift diff OLD NEW / procsift capture: {med['procsift diff OLD NEW']/med['procsift capture']:.2f}x (target < 1)")
print(f"syscalls: capture {sc_cap} = {sc_cap/nproc:.1f} per process, "
      f"{sc_cap/(nfiles+nlinks):.2f} per member; floor {sc_floor} = {sc_floor/nproc:.1f} per process; "
      f"ps aux {sc_ps} = {sc_ps/nproc:.1f} per process")
print(f"members: {nfiles} files, {nlinks} links; an ideal reader needs 4 per file + 1 per link = "
      f"{(4*nfiles+nlinks)/nproc:.1f} per process")
PY
