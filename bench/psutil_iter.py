"""What a psutil user would run for a process listing: the attributes `ps aux` shows."""
import psutil

ATTRS = ["pid", "ppid", "name", "cmdline", "memory_info", "cpu_times", "num_threads", "username"]
n = 0
for p in psutil.process_iter(ATTRS):
    n += 1
print(n)
