#!/usr/bin/env python3
"""Writes the fuzzing seeds into fuzz/corpus/<target>/ (not committed: run before `cargo fuzz run`).

Sources: the test corpus (real cores and /proc text fixtures: $PROCSIFT_CORPUS, else ../shared/corpus
beside the checkout, else testdata/corpus from testdata/fetch-corpus, as the tests find it) and
the project's own fixtures (Solaris trees written by the test-only encoder through an ignored test).
Structured targets take *bundles* (see fuzz_targets/common.rs): records `path\\n<bytes>` joined by
`\\0@@\\0`, a path ending in `@` being a symbolic link, one ending in `!` a member whose read failed, and
`manifest.json` the manifest (so that host facts, the capture window and the events clock are fuzzed).
"""
import gzip
import hashlib
import json
import io
import os
import subprocess
import sys
import tarfile
import tempfile

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
SHARED = os.environ.get("PROCSIFT_CORPUS") or next(
    (d for d in (os.path.join(ROOT, "..", "shared", "corpus"), os.path.join(ROOT, "testdata", "corpus"))
     if os.path.isdir(d)),
    os.path.join(ROOT, "testdata", "corpus"),
)
OUT = os.path.join(FUZZ, "corpus")
SEP = b"\0@@\0"

# Which linux_text selector (first byte, see fuzz_targets/linux_text.rs) decodes a file of this name.
LINUX_SEL = {"stat": 0, "status": 1, "statm": 2, "maps": 3, "limits": 4, "io": 5, "cgroup": 7,
             "cmdline": 8, "smaps_rollup": 9, "smaps": 10, "environ": 8, "tcp": 13, "tcp6": 13,
             "udp": 13, "udp6": 13, "unix": 15, "passwd": 16, "loadavg": 17, "uptime": 17,
             "meminfo": 17}
# Which solaris_files decoder index (bits 3..6 of the first byte) decodes a file of this name.
SOL_SEL = {"psinfo": 0, "lwpsinfo": 1, "status": 2, "lwpstatus": 3, "usage": 4, "lwpusage": 4,
           "lpsinfo": 5, "lstatus": 6, "lusage": 6, "map": 7, "rmap": 7, "xmap": 7, "auxv": 8,
           "sigact": 8, "cred": 9, "priv": 9, "secflags": 10, "fdinfo": 10, "lwpname": 11}
SOL_LAYOUT = {"I386": 0b000, "Amd64": 0b001, "Sparc": 0b110, "Sparcv9": 0b111, "mixed": 0b001}


def put(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha256(data).hexdigest()[:20]), "wb") as f:
        f.write(data)


def tree_members(root, prefix):
    """(path, bytes, is_link) for every member of a directory tree, SYMLINKS.txt lines as links."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        rel = "" if rel == "." else rel + "/"
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            p = os.path.join(dirpath, name)
            member = prefix + rel + name
            if os.path.islink(p):
                out.append((member, os.readlink(p).encode(), True))
            elif name == "SYMLINKS.txt":
                for line in open(p, "rb").read().splitlines():
                    if b" -> " in line:
                        n, t = line.split(b" -> ", 1)
                        out.append((prefix + rel + n.strip().decode(), t, True))
            elif os.path.isfile(p):
                out.append((member, open(p, "rb").read(), False))
    return out


def manifest_of(members, plan="linux"):
    """A manifest record like a capture's: host facts, capture window, events clock, and one member
    whose read failed per process (`environ`, EACCES), so manifest fields are among the fuzzed bytes."""
    pids = sorted({m.split("/")[1] for m, _, _ in members if m.startswith("proc/")
                   and m.split("/")[1].isdigit()})
    failed = [{"path": f"proc/{p}/environ", "kind": "file", "error": "EACCES"} for p in pids]
    return ("manifest.json", json.dumps({
        "format_version": 1, "tool": "procsift", "tool_version": "0.1.0",
        "host": {"hostname": "seed", "sysname": "Linux", "machine": "x86_64", "byte_order": "little",
                 "data_model": "lp64", "page_size": 4096, "clk_tck": 100,
                 "boot_time": "2026-11-22T08:00:00Z", "boot_id": "seed-boot"},
        "capture": {"started": "2026-11-22T09:00:00Z", "finished": "2026-11-22T09:00:01.5Z",
                    "started_boottime": 3600.0, "finished_boottime": 3601.5, "plan": plan},
        "members": failed, "vanished": [],
        "events": {"recorded": False, "source": "cn_proc", "reason": "seed", "count": 0, "lost": 0,
                   "watch_secs": 0.0, "clock": {"monotonic_ns": 3600000000000,
                                                "boottime_ns": 3600000000000,
                                                "utc": "2026-11-22T09:00:00Z"}},
    }).encode(), False)


def put_reports(data):
    """A `reports` seed per report: the first byte picks the report (high nibble), the format, the
    width and redaction (low nibble); see fuzz_targets/reports.rs."""
    for r in range(16):
        put("reports", bytes([(r << 4) | (r % 16)]) + data)


def put_diff(data):
    """A `report_diff` seed per output (bits 2..4 of the first byte), alternately redacted and ignoring
    the volatile fields (bits 0, 1); see fuzz_targets/report_diff.rs."""
    for out in range(8):
        put("report_diff", bytes([(out << 2) | (out % 4)]) + data)


def bundle(members):
    return SEP.join((m + ("@" if link else "")).encode() + b"\n" + data for m, data, link in members)


def tar_of(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for m, data, link in members:
            info = tarfile.TarInfo(m)
            if link:
                info.type = tarfile.SYMTYPE
                info.linkname = data.decode("utf-8", "surrogateescape")
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def compressed(data):
    out = [gzip.compress(data)]
    try:
        out.append(subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE,
                                  check=True).stdout)
    except (OSError, subprocess.CalledProcessError):
        pass
    return out


def main():
    linux_trees = []
    snaps = os.path.join(SHARED, "linux", "proc-snapshots")
    for sub in ["prometheus-procfs", "gopsutil/linux", "gopsutil/lx_brandz"]:
        root = os.path.join(snaps, sub)
        if os.path.isdir(root):
            linux_trees.append(tree_members(root, "proc/"))
    for members in linux_trees:
        for m, data, link in members:
            sel = LINUX_SEL.get(os.path.basename(m))
            if link:
                put("linux_text", bytes([11 if "/fd/" in m else 12]) + data)
            elif sel is not None:
                put("linux_text", bytes([sel]) + data)
            elif "/fdinfo/" in m:
                put("linux_text", bytes([6]) + data)
        put("linux_text", b"\x80" + bundle(members))
        put("linux_text", b"\x80" + bundle(members + [manifest_of(members)]))
        put_reports(bundle(members + [manifest_of(members)]))
        for pid in sorted({m.split("/")[1] for m, _, _ in members}):
            one = [x for x in members if x[0].startswith(f"proc/{pid}/")]
            put("linux_text", b"\x80" + bundle(one))
            put_reports(bundle(one))
            put_diff(bundle(one) + b"\0%%\0" + bundle(members))
            put_diff(bundle(one + [manifest_of(one)]) + b"\0%%\0"
                + bundle(members + [manifest_of(members)]))
        tar = tar_of(members)
        put("snapshot", tar)
        for c in compressed(tar):
            put("snapshot", c)
    if len(linux_trees) >= 2:
        put_diff(bundle(linux_trees[0]) + b"\0%%\0" + bundle(linux_trees[1]))

    # Solaris trees from the test-only encoder (tests/solaris_encoder), via an ignored test.
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PROCSIFT_SEED_DIR=tmp)
        subprocess.run(["cargo", "test", "-q", "--test", "solaris_proc", "write_fuzz_seeds", "--",
                        "--ignored"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        sol_trees = {}
        for name in sorted(os.listdir(tmp)):
            members = tree_members(os.path.join(tmp, name), "")
            sol_trees[name] = members
            for m, data, link in members:
                idx = SOL_SEL.get(os.path.basename(m))
                if idx is not None and not link:
                    put("solaris_files", bytes([(idx << 3) | SOL_LAYOUT[name]]) + data)
            put("solaris_files", b"\x80" + bundle(members))
            put_reports(bundle(members))
            tar = tar_of(members)
            put("snapshot", tar)
            put_diff(bundle(members) + b"\0%%\0" + bundle(members[: len(members) // 2]))
        names = sorted(sol_trees)
        if len(names) >= 2:
            put_diff(bundle(sol_trees[names[0]]) + b"\0%%\0" + bundle(sol_trees[names[1]]))

    # Real cores.
    for dirpath, _, filenames in os.walk(SHARED):
        for name in filenames:
            p = os.path.join(dirpath, name)
            with open(p, "rb") as f:
                head = f.read(18)
            if head[:4] == b"\x7fELF":
                data = open(p, "rb").read()
                put("core", data)
    for t in sorted(os.listdir(OUT)):
        print(f"{t}: {len(os.listdir(os.path.join(OUT, t)))} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
