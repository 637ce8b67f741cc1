"""The runs of bench/gcore.sh: procsift gcore and gdb's gcore on fresh fixture processes, medians."""
import os
import re
import signal
import statistics
import subprocess
import sys
import time

procsift, work, heap_mib, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
parked = os.path.join(work, "parked")


def start(mode):
    gap = os.path.join(work, "gap")
    if os.path.exists(gap):
        os.remove(gap)
    p = subprocess.Popen([parked, mode, str(heap_mib)], stdout=subprocess.PIPE,
                         env={"GAP_FILE": gap}, text=True)
    line = p.stdout.readline()
    assert line.startswith("ready"), line
    # The gap file is written every 50 ms: wait for the first, then for the loop to settle.
    while not os.path.exists(gap):
        time.sleep(0.01)
    time.sleep(0.3)
    return p, gap


def worst_gap(gap):
    # After the dump, wait for two more writes so the file holds the longest gap. The fixture rewrites the
    # file every 50 ms (truncate, then write): a read between the two finds it empty, so read again.
    time.sleep(0.2)
    for _ in range(100):
        with open(gap) as f:
            text = f.read().strip()
        if text:
            return float(text)
        time.sleep(0.01)
    raise RuntimeError(f"{gap} stays empty")


def run(tool, mode):
    p, gap = start(mode)
    core = os.path.join(work, "core")
    if tool.startswith("procsift gcore"):
        cmd = [procsift, "gcore", *tool.split()[2:], str(p.pid), "-o", core]
    elif tool == "baseline gcore":
        cmd = [os.environ["BASELINE"], "gcore", str(p.pid), "-o", core]
    else:
        cmd = ["gdb", "-batch", "-nx", "-p", str(p.pid), "-ex", f"gcore {core}"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    assert out.returncode == 0, out.stderr
    # Until the core is on the disk: an fsync of it right after the tool ended (nothing left to write
    # after procsift's --sync).
    fd = os.open(core, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    durable = time.perf_counter() - t0
    stopped = worst_gap(gap)
    own = None
    m = re.search(r"stopped for ([0-9.]+) ms", out.stderr)
    if m:
        own = float(m.group(1)) / 1000
    st = os.stat(core)
    os.remove(core)
    p.send_signal(signal.SIGKILL)
    p.wait()
    return {"wall": wall, "durable": durable, "stopped": stopped, "own": own, "size": st.st_size,
            "disk": st.st_blocks * 512}


# BASELINE=PATH (another procsift binary, e.g. the previous release) adds it as a fourth tool.
tools = ["procsift gcore", "procsift gcore --sync", "procsift gcore --brief-stop", "gdb gcore"]
if os.environ.get("BASELINE"):
    tools.append("baseline gcore")
results = {t: [] for t in tools}
for i in range(runs):
    # Each tool first, middle and last in turn; a sync before each run so that one run's writeback does
    # not slow the next.
    order = tools[i % len(tools):] + tools[:i % len(tools)]
    for t in order:
        subprocess.run(["sync"])
        results[t].append(run(t, "touch"))
zeros = {}
for t in tools:
    subprocess.run(["sync"])
    zeros[t] = run(t, "zeros")

mib = 1 << 20
print(f"\n| gcore of a process with {heap_mib} MiB of touched heap (median of {runs}) | wall (s) "
      f"| until on disk (s) | stopped, seen by the process (s) | core size (MiB) | on disk (MiB) | on disk, heap of zeros (MiB) |")
print("|---|---:|---:|---:|---:|---:|---:|")
med = {}
for t in tools:
    r = results[t]
    med[t] = {k: statistics.median(x[k] for x in r) for k in ("wall", "durable", "stopped", "size", "disk")}
    m = med[t]
    print(f"| {t} | {m['wall']:.2f} | {m['durable']:.2f} | {m['stopped']:.2f} | {m['size'] / mib:.0f} | {m['disk'] / mib:.0f} "
          f"| {zeros[t]['disk'] / mib:.0f} (of {zeros[t]['size'] / mib:.0f}) |")
own = [x["own"] for x in results["procsift gcore"] if x["own"] is not None]
if own:
    print(f"procsift's own measure of the stop (first interrupt to last detach), median: "
          f"{statistics.median(own):.2f} s")
g = med["gdb gcore"]
for t in [t for t in tools if t != "gdb gcore"]:
    print(f"{t} / gdb gcore: {med[t]['wall'] / g['wall']:.2f}x wall (target <= 0.5x); "
          f"{med[t]['durable'] / g['durable']:.2f}x until on disk; stopped "
          f"{med[t]['stopped'] / g['stopped']:.2f}x")
