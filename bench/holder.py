"""Spawns N idle `sleep` processes, writes their pids to a file, and reaps them when they are killed."""
import os
import subprocess
import sys

n, seconds, pidfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
procs = [subprocess.Popen(["sleep", seconds]) for _ in range(n)]
tmp = pidfile + ".tmp"
with open(tmp, "w") as f:
    f.write("\n".join(str(p.pid) for p in procs) + "\n")
os.rename(tmp, pidfile)
for p in procs:
    p.wait()
