//! docs/schema.md and the JSON output, held together: every field a report writes is documented, every
//! documented field is written by some fixture, and no field is `null` where the schema says unknown is
//! absent.
//!
//! The schema's field tables are machine-readable: each is preceded by a marker
//! `<!-- object: NAME at $.PATH, $.PATH -->` naming where in a document such objects are (`$` the
//! document, `[]` an array's elements, `*` a map's values), and the first cell of each row lists field
//! names in backticks, relative to those places (`memory.rss_kib` inside a nested object,
//! `namespaces[].type` inside an array of them). The fixtures: two captures of this host around a
//! workload of processes with known properties (sockets, a terminal, a zombie, threads, locked and
//! dirtied memory, process events of every kind the workload can cause), one made by an unprivileged
//! user, every core of the shared corpus, an encoder-written Solaris /proc tree and NetBSD sysctl dump.
//! Needs root, python3, setpriv, script, strace and gdb.
#![cfg(target_os = "linux")]

mod common;
mod netbsd_encoder;
mod solaris_encoder;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, bin};
use serde_json::Value;

/// One documented kind of object: where it appears and its field names.
#[derive(Debug)]
struct Object {
    name: String,
    at: Vec<String>,
    names: Vec<String>,
}

/// Parses the markers and tables of docs/schema.md.
fn documented() -> Vec<Object> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.md"))
        .expect("docs/schema.md");
    let mut out: Vec<Object> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(spec) = line
            .trim()
            .strip_prefix("<!-- object:")
            .and_then(|s| s.strip_suffix("-->"))
        else {
            continue;
        };
        let (name, at) = spec
            .split_once(" at ")
            .unwrap_or_else(|| panic!("marker without ' at ': {line}"));
        let mut obj = Object {
            name: name.trim().to_string(),
            at: at.split(',').map(|s| s.trim().to_string()).collect(),
            names: Vec::new(),
        };
        for a in &obj.at {
            assert!(
                a.starts_with('$'),
                "{}: place {a:?} is not a $-path",
                obj.name
            );
        }
        // Skip to the table, then its header and separator rows.
        while lines.peek().is_some_and(|l| !l.starts_with('|')) {
            lines.next();
        }
        lines.next();
        lines.next();
        while let Some(row) = lines.peek().filter(|l| l.starts_with('|')) {
            let first = row.split('|').nth(1).unwrap_or("");
            for (i, part) in first.split('`').enumerate() {
                if i % 2 == 1 {
                    obj.names.push(part.to_string());
                }
            }
            lines.next();
        }
        assert!(
            !obj.names.is_empty(),
            "{}: no table after its marker",
            obj.name
        );
        out.push(obj);
    }
    assert!(out.len() > 20, "too few object markers in docs/schema.md");
    out
}

/// Objects keyed by data: the diff summary (by kind), the capture's read errors (by error name).
const MAPS: &[&str] = &["$.summary", "$.capture.read_errors"];
/// Values whose content is any JSON (a change's values).
const OPAQUE: &[&str] = &["$.changes[].old", "$.changes[].new", "$.changes[].delta"];
/// Where `null` is the documented value (a thing that does not exist on one side of a diff).
const NULL_ALLOWED: &[&str] = &["$.changes[].old", "$.changes[].new"];

/// Every key path of `v` under `path`, normalized (a tree node's children are tree nodes; the diff
/// summary's keys are kinds), into `paths`; paths holding `null` into `nulls`.
fn walk(v: &Value, path: &str, paths: &mut BTreeSet<String>, nulls: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                // Maps keyed by data (kind names, error names): their keys are `*`.
                let p = if MAPS.contains(&path) {
                    format!("{path}.*")
                } else {
                    format!("{path}.{k}")
                };
                paths.insert(p.clone());
                if x.is_null() {
                    nulls.insert(p.clone());
                }
                if !OPAQUE.contains(&p.as_str()) {
                    walk(x, &p, paths, nulls);
                }
            }
        }
        Value::Array(a) => {
            let p = match path.strip_suffix(".children") {
                Some(node) if node.starts_with("$.tree[]") => node.to_string(),
                _ => format!("{path}[]"),
            };
            for x in a {
                if x.is_null() {
                    nulls.insert(p.clone());
                }
                walk(x, &p, paths, nulls);
            }
        }
        _ => {}
    }
}

/// Whether `path` is documented: some object placed at a prefix of it names the rest, or a field of
/// which the rest is the start (`memory` of `memory.rss_kib`).
fn covered(objects: &[Object], path: &str) -> bool {
    objects.iter().any(|o| {
        o.at.iter().any(|at| {
            let Some(rest) = path
                .strip_prefix(at.as_str())
                .and_then(|r| r.strip_prefix('.'))
            else {
                return false;
            };
            o.names.iter().any(|n| {
                n == rest
                    || n.strip_prefix(rest)
                        .is_some_and(|t| t.starts_with('.') || t.starts_with("[]"))
            })
        })
    })
}

/// Documented fields that no fixture can produce, and why.
const UNPRODUCIBLE: &[(&str, &str, &str)] = &[(
    "event",
    "what",
    "only for an event kind this build does not know: none exists to cause",
)];

/// Fields the fixtures cause through a race with the kernel, so that a run may miss them: each is
/// exempt from "written by no fixture" only (where written, it must still be documented and never null).
const RACY: &[(&str, &str, &str)] = &[
    (
        "event",
        "details_error",
        "an exec whose process exits before the listener reads it (`/bin/true &`): on a quiet machine the \
         listener often wins",
    ),
    (
        "event",
        "tracer_pid",
        "`timeout 0.5 strace -p`: under heavy load strace may not attach within its half second",
    ),
    ("event", "tracer_tgid", "as tracer_pid"),
];

// ---------------------------------------------------------------------------------------------------
// Fixtures.

struct Kids(Vec<Child>);

impl Drop for Kids {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", c.id())])
                .stderr(Stdio::null())
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A process with one of everything: threads, a terminal (it runs under `script`), sockets (a TCP
/// listener with a connected pair, UDP, a unix stream listener), a pipe, an eventfd, a directory, a
/// memfd, a regular file with a position, locked and dirtied memory, caught/ignored/blocked/pending
/// signals, and two children it never reaps, one that exited 3 and one killed by SIGTERM. Writes
/// `<pid> <zombie pid> <zombie pid>` to `argv[1]`.
const ZOO: &str = r#"
import ctypes, mmap, os, signal, socket, sys, threading, time
libc = ctypes.CDLL(None)
z = os.fork()
if z == 0:
    os._exit(3)
k = os.fork()
if k == 0:
    os.kill(os.getpid(), signal.SIGTERM)
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(4)
cli = socket.create_connection(srv.getsockname()); acc, _ = srv.accept()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("127.0.0.1", 0))
unx = socket.socket(socket.AF_UNIX); unx.bind(sys.argv[1] + ".sock"); unx.listen(1)
r, w = os.pipe()
efd = os.eventfd(0)
d = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
mfd = os.memfd_create("zoo")
f = open(sys.argv[1] + ".log", "w"); f.write("x" * 100); f.flush()
m = mmap.mmap(-1, 1 << 20)
for i in range(0, 1 << 20, 4096): m[i] = 1
libc.mlock(ctypes.c_void_p(ctypes.addressof(ctypes.c_char.from_buffer(m))), ctypes.c_size_t(4096))
signal.signal(signal.SIGUSR1, lambda *a: None)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
os.kill(os.getpid(), signal.SIGUSR2)
threading.Thread(target=time.sleep, args=(300,), daemon=True).start()
with open(sys.argv[1] + ".tmp", "w") as out:
    out.write("%d %d %d" % (os.getpid(), z, k))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(300)
"#;

/// Process events of every kind a workload can cause, during `capture --watch`.
const EVENTS: &str = r#"
cd "$1"
( sleep 0.2; exit 5 ) &
sh -c 'sleep 0.3; exit 7' &
/bin/true &
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'sleep 0.3' &
setsid sleep 0.3 &
python3 -c 'import ctypes,time; ctypes.CDLL(None).prctl(15, b"renamed", 0, 0, 0); time.sleep(0.3)' &
sleep 30 & victim=$!
sh -c 'ulimit -c unlimited; exec sleep 30' & crasher=$!
sleep 0.3
timeout 0.5 strace -qq -o /dev/null -p "$victim" || true
kill -TERM "$victim"
kill -SEGV "$crasher"
wait
"#;

fn wait_for(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(s) = std::fs::read_to_string(path) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "{} did not appear",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ok(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs procsift with `args` and `--format json`; `None` when it refuses (a report the input has no
/// data for), never a panic.
fn json(args: &[&str]) -> Option<Value> {
    let out = bin()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() != Some(101) && !err.contains("panicked"),
        "{args:?}: {err}"
    );
    if out.stdout.is_empty() {
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}")))
}

/// The single-input reports of `input` (with `pids` for the per-process ones).
fn reports(input: &str, pids: &[String], docs: &mut Vec<(String, Value)>) {
    let mut runs: Vec<Vec<&str>> = vec![
        vec!["ps", input],
        vec!["ps", input, "--all"],
        vec!["tree", input],
        vec!["tree", input, "--all"],
        vec!["threads", input],
        vec!["files", input],
        vec!["info", input],
        vec!["events", input, "--threads"],
        vec!["core", input],
        vec!["check", input, "--min-severity", "info"],
    ];
    for p in pids {
        runs.push(vec!["show", input, p]);
        runs.push(vec!["maps", input, p]);
        runs.push(vec!["signals", input, p]);
        runs.push(vec!["files", input, "--pid", p]);
    }
    for r in runs {
        if let Some(v) = json(&r) {
            docs.push((r.join(" "), v));
        }
    }
}

/// Two captures of this host around the workload, and one by an unprivileged user.
fn linux_fixtures(dir: &Path, docs: &mut Vec<(String, Value)>) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let zoo_out = dir.join("zoo");
    let mut kids = Kids(Vec::new());
    kids.0.push(
        Command::new("script")
            .args([
                "-qc",
                &format!(
                    "python3 -c '{}' {}",
                    ZOO.replace('\'', "'\\''"),
                    zoo_out.display()
                ),
                "/dev/null",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ids: Vec<String> = wait_for(&zoo_out)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    // A traced process (check's `traced`, the process's `tracer_pid`).
    let traced = Command::new("sleep").arg("120").spawn().unwrap();
    let tracer = Command::new("strace")
        .args(["-o", "/dev/null", "-p", &traced.id().to_string()])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while !std::fs::read_to_string(format!("/proc/{}/status", traced.id()))
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("TracerPid:") && l.trim_end() != "TracerPid:\t0")
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    kids.0.push(tracer);
    kids.0.push(traced);
    let (old, new) = (dir.join("old.tar"), dir.join("new.tar"));
    ok(bin().args(["capture", "--no-events", "-o"]).arg(&old));
    // The capture with events: the workload starts once the listener is subscribed.
    let capture = bin()
        .args(["capture", "--smaps", "--watch", "3", "--case", "C-1"])
        .args(["--examiner", "schema test", "--note", "fixture", "-o"])
        .arg(&new)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    ok(Command::new("bash").args(["-c", EVENTS, "events"]).arg(dir));
    let out = capture.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nobody = dir.join("nobody.tar");
    ok(Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_procsift"))
        .args(["capture", "-o"])
        .arg(&nobody));

    let (o, n, nb) = (
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        nobody.to_str().unwrap(),
    );
    // gdb's gcore of the zoo: a core whose list of mappings may leave some out.
    let core = dir.join("zoo.core");
    ok(Command::new("gdb")
        .args(["-q", "-batch", "-p", &ids[0], "-ex"])
        .arg(format!("gcore {}", core.display())));
    reports(core.to_str().unwrap(), &[ids[0].clone()], docs);
    // procsift's gcore of the zoo, cut by --max-size: a core of a live process with ranges left out.
    let own = dir.join("zoo-procsift.core");
    ok(bin()
        .args(["gcore", &ids[0], "--max-size", "1M", "-o"])
        .arg(&own));
    reports(own.to_str().unwrap(), &[ids[0].clone()], docs);
    // ... and of a process with a file mapping past the file's end: a range that cannot be read.
    let parked = dir.join("parked");
    ok(Command::new("gcc")
        .args(["-O1", "-pthread", "-o"])
        .arg(&parked)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/fixtures/parked.c"
        )));
    let mut p = Command::new(&parked)
        .arg("pasteof")
        .arg(dir.join("short"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(p.stdout.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    let unreadable = dir.join("pasteof.core");
    ok(bin()
        .args(["gcore", &p.id().to_string(), "--all", "-o"])
        .arg(&unreadable));
    kids.0.push(p);
    reports(unreadable.to_str().unwrap(), &[], docs);
    let mut pids = ids.clone();
    pids.extend(["1".to_string(), "2".to_string()]);
    reports(n, &pids, docs);
    reports(nb, &["1".to_string()], docs);
    // A /proc-shaped directory without a manifest: its warnings (no clock rate recorded) carry `side`
    // in a diff.
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("proc/7")).unwrap();
    std::fs::write(
        tree.join("proc/7/stat"),
        "7 (x) S 1 7 7 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 100 0 0\n",
    )
    .unwrap();
    let t = tree.to_str().unwrap();
    for args in [[o, n], [n, o], [t, t]] {
        let mut a = vec!["diff"];
        a.extend(args);
        if let Some(v) = json(&a) {
            docs.push((a.join(" "), v));
        }
    }
    // A chain of 70 processes each the parent of the next: `tree` nests 60 levels and lists the rest
    // as `continued` roots.
    let chain = dir.join("chain");
    for pid in 100..170 {
        std::fs::create_dir_all(chain.join(format!("proc/{pid}"))).unwrap();
        std::fs::write(
            chain.join(format!("proc/{pid}/stat")),
            format!(
                "{pid} (x) S {} 100 100 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 100 0 0\n",
                pid - 1
            ),
        )
        .unwrap();
    }
    let c = chain.to_str().unwrap();
    if let Some(v) = json(&["tree", c]) {
        docs.push((format!("tree {c}"), v));
    }
    drop(kids);
}

/// Every core of the shared corpus.
fn core_fixtures(docs: &mut Vec<(String, Value)>) {
    for os in ["linux", "freebsd", "illumos", "netbsd"] {
        let dir = common::corpus(os);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            let path = f.to_str().unwrap();
            let pid = json(&["ps", path])
                .and_then(|v| v["processes"][0]["pid"].as_i64())
                .map(|p| p.to_string());
            reports(path, &pid.into_iter().collect::<Vec<_>>(), docs);
        }
    }
}

/// Backtraces with names, lines and a separate debug file: a kernel core of testdata/fixtures/callchain.c
/// (built with -O0 -g, its DWARF moved to a `.build-id` debug directory), through `core` and
/// `threads --stack`.
fn unwind_fixture(dir: &Path, docs: &mut Vec<(String, Value)>) {
    let exe = dir.join("callchain");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/callchain.c");
    ok(Command::new("gcc")
        .args(["-O0", "-g", "-pthread", "-o"])
        .arg(&exe)
        .arg(&src));
    let _ = Command::new("sh")
        .arg("-c")
        .arg("ulimit -c unlimited && exec \"$0\" fault")
        .arg(&exe)
        .current_dir(dir)
        .stdout(Stdio::null())
        .status();
    let core = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("core"))
        .expect("the kernel wrote a core (core_pattern: .ci/run sets it)");
    let notes = Command::new("readelf")
        .arg("-n")
        .arg(&exe)
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&notes.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Build ID: ").map(str::to_string))
        .expect("a build-id");
    let ids = dir.join("debug/.build-id").join(&id[..2]);
    std::fs::create_dir_all(&ids).unwrap();
    ok(Command::new("objcopy")
        .arg("--only-keep-debug")
        .arg(&exe)
        .arg(ids.join(format!("{}.debug", &id[2..]))));
    ok(Command::new("objcopy").arg("--strip-debug").arg(&exe));
    let (c, d) = (
        core.to_str().unwrap(),
        dir.join("debug").to_str().unwrap().to_string(),
    );
    for args in [
        vec!["core", c, "--debug-dir", &d],
        vec!["threads", c, "--stack", "--debug-dir", &d],
    ] {
        if let Some(v) = json(&args) {
            docs.push((args.join(" "), v));
        }
    }
}

/// An encoder-written Solaris /proc tree: one process with two LWPs, every file the reports read.
fn solaris_fixture(root: &Path, docs: &mut Vec<(String, Value)>) {
    use procsift::abi::Endianness;
    use procsift::formats::solaris::{Prusage, SigAction, Timestruc, WordSet};
    use solaris_encoder::{Enc, Gen};

    let put = |rel: &str, bytes: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    let link = |rel: &str, target: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
    };
    let ts = |sec| Timestruc { sec, nsec: 0 };
    let enc = Enc::new("Amd64", Endianness::Little);
    let pid = 4242;
    let mut g = Gen::new(&enc, 7);
    let dir = format!("proc/{pid}");
    let mut ps = g.psinfo();
    (ps.pid, ps.ppid, ps.pgid, ps.sid, ps.nlwp) = (pid, 1, pid, 1, 2);
    (ps.uid, ps.euid, ps.gid, ps.egid) = (100, 0, 10, 10);
    ps.fname = b"sleepy".to_vec();
    ps.psargs = b"/usr/bin/sleepy -n 5".to_vec();
    (ps.pctcpu, ps.pctmem, ps.zoneid, ps.dmodel) = (0x4000, 0x0800, 0, 2);
    (ps.size_kb, ps.rssize_kb, ps.ttydev) = (8192, 2048, 0x1234);
    ps.lwp.sname = b'S';
    ps.start = ts(1_700_000_000);
    put(&format!("{dir}/psinfo"), &enc.psinfo(&ps));
    let mut lwps = Vec::new();
    for lwpid in [1, 2] {
        let mut l = g.lwpstatus(&enc);
        // LWP 2 is stopped on request (PR_STOPPED | PR_ISTOP, PR_REQUESTED).
        (l.lwpid, l.flags, l.why, l.what, l.cursig) = if lwpid == 1 {
            (lwpid, 0x10 | 0x1000000, 0, 0, 0)
        } else {
            (lwpid, 0x1 | 0x2 | 0x1000000, 1, 0, 0)
        };
        l.syscall = if lwpid == 1 { 3 } else { 0 };
        l.nsysarg = 3;
        l.sysarg = [0, 0x8047000, 4096, 0, 0, 0, 0, 0];
        l.lwppend = WordSet([1 << 14, 0, 0, 0]);
        l.lwphold = WordSet([1 << 1, 0, 0, 0]);
        l.clname = b"TS".to_vec();
        lwps.push(l.clone());
        put(&format!("{dir}/lwp/{lwpid}/lwpstatus"), &enc.lwpstatus(&l));
        let mut i = g.lwpsinfo();
        (i.lwpid, i.sname) = (lwpid, b'S');
        i.clname = b"TS".to_vec();
        i.name = b"worker".to_vec();
        put(&format!("{dir}/lwp/{lwpid}/lwpsinfo"), &enc.lwpsinfo(&i));
        let u = Prusage {
            lwpid,
            count: 1,
            rtime: ts(10),
            utime: ts(2),
            stime: ts(1),
            vctx: 300,
            ictx: 7,
            sysc: 1234,
            ..Prusage::default()
        };
        put(&format!("{dir}/lwp/{lwpid}/lwpusage"), &enc.prusage(&u));
    }
    let mut st = g.pstatus(&enc);
    (st.pid, st.ppid, st.pgid, st.sid, st.nlwp) = (pid, 1, pid, 1, 2);
    (st.flags, st.zoneid, st.dmodel) = (0x1000000 | 0x100000, 0, 2);
    st.lwp = lwps[0].clone();
    put(&format!("{dir}/status"), &enc.pstatus(&st));
    let u = Prusage {
        count: 2,
        rtime: ts(10),
        utime: ts(4),
        stime: ts(2),
        ..Prusage::default()
    };
    put(&format!("{dir}/usage"), &enc.prusage(&u));
    let mut c = g.prcred(2);
    (c.euid, c.ruid, c.suid, c.egid, c.rgid, c.sgid) = (0, 100, 0, 10, 10, 10);
    c.groups = vec![10, 20];
    put(&format!("{dir}/cred"), &enc.prcred(&c));
    let mut maps = Vec::new();
    for (i, (vaddr, name, flags)) in [(0x10000u64, "a.out", 0x5), (0x30000, "", 0x16)]
        .iter()
        .enumerate()
    {
        let mut m = g.prxmap();
        (m.vaddr, m.size, m.offset, m.mflags) = (*vaddr, 0x4000, i as i64 * 0x1000, *flags);
        m.mapname = name.as_bytes().to_vec();
        (m.pagesize, m.rss, m.anon, m.locked) = (4096, 3, 2, 1);
        maps.push(enc.prxmap(&m));
    }
    put(&format!("{dir}/xmap"), &maps.concat());
    let mut acts: Vec<SigAction> = (0..73)
        .map(|_| SigAction {
            flags: 0,
            handler: 0,
            mask: WordSet([0; 4]),
        })
        .collect();
    acts[1] = SigAction {
        flags: 0x4,
        handler: 0x401000,
        mask: WordSet([1 << 14, 0, 0, 0]),
    };
    acts[12].handler = 1;
    put(&format!("{dir}/sigact"), &enc.sigact(&acts));
    link(&format!("{dir}/path/a.out"), "/usr/bin/sleepy");
    link(&format!("{dir}/path/cwd"), "/var/tmp");
    link(&format!("{dir}/path/root"), "/");
    link(&format!("{dir}/path/3"), "/var/log/sleepy.log");
    put(
        "etc/passwd",
        b"root:x:0:0::/root:/bin/sh\nalice:x:100:10::/home/a:/bin/sh\n",
    );
    reports(root.to_str().unwrap(), &[pid.to_string()], docs);
}

/// An encoder-written NetBSD dump: a process with two LWPs, a file, a pipe and a connected socket.
fn netbsd_fixture(root: &Path, docs: &mut Vec<(String, Value)>) {
    use netbsd_encoder::{Addr, Enc, File, Lwp, Pcb, Proc, Sizes, World};
    use std::net::Ipv4Addr;
    let lwp = |lid, wmesg| Lwp {
        lid,
        stat: 3,
        flag: 0x80,
        name: "worker",
        wmesg,
        cpuid: 1,
        priority: 85,
        pctcpu: 512,
    };
    let world = World {
        procs: vec![Proc {
            pid: 412,
            ppid: 1,
            pgid: 412,
            sid: 412,
            groups: vec![0, 5],
            comm: "sshd",
            login: "root",
            wmesg: "select",
            stat: 3,
            flag: 0x80,
            eflag: 0x2,
            tdev: 0x500,
            nice: 20,
            priority: 85,
            pctcpu: 1024,
            rssize: 512,
            msize: 4096,
            uvalid: true,
            start: (1_700_000_100, 0),
            utime: (3, 0),
            stime: (4, 250_000),
            maxrss: 2100,
            lwps: vec![lwp(1, "select"), lwp(2, "kqueue")],
            argv: Some(vec!["/usr/sbin/sshd", "-D"]),
            env: Some(vec!["PATH=/bin"]),
            path: Some("/usr/sbin/sshd"),
            ..Proc::default()
        }],
        files: vec![
            File {
                pid: 412,
                fd: 0,
                ftype: 1,
                vtype: 1,
                flag: 1,
                offset: 10,
                fdata: 0x5000,
            },
            File {
                pid: 412,
                fd: 3,
                ftype: 2,
                vtype: 0,
                flag: 3,
                offset: 0,
                fdata: 0x9000,
            },
        ],
        pcbs: vec![Pcb {
            list: "sysctl/net.inet.tcp.pcblist",
            sockaddr: 0x9000,
            family: 2,
            sock_type: 1,
            protocol: 6,
            tstate: 4,
            local: Addr::In(Ipv4Addr::new(10, 0, 0, 1), 22),
            remote: Addr::In(Ipv4Addr::new(10, 0, 0, 2), 50000),
            conn: 0,
        }],
        page_size: Some(4096),
        passwd: Some("root:*:0:0::/root:/bin/sh\n"),
    };
    world.write(root, Enc { big: false }, Sizes::KNOWN);
    reports(root.to_str().unwrap(), &["412".to_string()], docs);
}

#[test]
fn the_schema_documents_exactly_what_the_reports_write() {
    let dir = TempDir::new("schema");
    let mut docs = Vec::new();
    docs.push((
        "check --list-rules".to_string(),
        json(&["check", "--list-rules"]).unwrap(),
    ));
    linux_fixtures(&dir.path().join("linux").tap_mkdir(), &mut docs);
    core_fixtures(&mut docs);
    unwind_fixture(&dir.path().join("unwind").tap_mkdir(), &mut docs);
    solaris_fixture(&dir.path().join("solaris"), &mut docs);
    netbsd_fixture(&dir.path().join("netbsd"), &mut docs);

    let mut produced: BTreeMap<String, String> = BTreeMap::new();
    let mut nulls: BTreeMap<String, String> = BTreeMap::new();
    for (label, doc) in &docs {
        let (mut p, mut n) = (BTreeSet::new(), BTreeSet::new());
        walk(doc, "$", &mut p, &mut n);
        for x in p {
            produced.entry(x).or_insert_with(|| label.clone());
        }
        for x in n {
            nulls.entry(x).or_insert_with(|| label.clone());
        }
    }
    if std::env::var_os("PROCSIFT_SCHEMA_DUMP").is_some() {
        for (p, l) in &produced {
            eprintln!("{p}\t{l}");
        }
    }

    let objects = documented();
    let undocumented: Vec<String> = produced
        .iter()
        .filter(|(p, _)| !covered(&objects, p))
        .map(|(p, l)| format!("{p} (from `{l}`)"))
        .collect();
    let bad_nulls: Vec<String> = nulls
        .iter()
        .filter(|(p, _)| !NULL_ALLOWED.contains(&p.as_str()))
        .map(|(p, l)| format!("{p} (from `{l}`)"))
        .collect();
    let mut unproduced = Vec::new();
    for o in &objects {
        for n in &o.names {
            let exempt = UNPRODUCIBLE
                .iter()
                .chain(RACY)
                .any(|(obj, name, _)| *obj == o.name && name == n);
            let seen = o.at.iter().any(|at| {
                let full = format!("{at}.{n}");
                produced.contains_key(&full)
            });
            if !seen && !exempt {
                unproduced.push(format!("{}: {n} (at {})", o.name, o.at.join(", ")));
            }
        }
    }
    assert!(
        undocumented.is_empty() && bad_nulls.is_empty() && unproduced.is_empty(),
        "written but not in docs/schema.md:\n  {}\n\nnull where unknown is absent:\n  {}\n\n\
         documented but written by no fixture:\n  {}",
        undocumented.join("\n  "),
        bad_nulls.join("\n  "),
        unproduced.join("\n  ")
    );
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}
