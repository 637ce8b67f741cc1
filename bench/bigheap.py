"""Touches a heap of N MiB (every page written), prints "ready", then sleeps until killed: the process the
core benchmark dumps with gdb's gcore."""
import sys
import time

mib = int(sys.argv[1])
heap = bytearray(mib << 20)
for i in range(0, len(heap), 4096):
    heap[i] = 1
print("ready", flush=True)
while True:
    time.sleep(3600)
