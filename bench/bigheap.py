"""Touches a heap of N MiB (every page written), optionally starts THREADS threads that sleep, prints
"ready", then sleeps until killed: the process the core benchmarks dump with gdb's gcore.

    bigheap.py MIB [THREADS]"""
import sys
import threading
import time

mib = int(sys.argv[1])
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
heap = bytearray(mib << 20)
for i in range(0, len(heap), 4096):
    heap[i] = 1
for _ in range(threads):
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(3600)
