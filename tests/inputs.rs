//! Directory inputs, through the command line only: `/proc` itself, `/proc/self`, `/proc/<pid>` and
//! copies read exactly the members a capture would hold (never `pagemap`, `mem`, `clear_refs`, ... which
//! have side effects or no end), an unreadable member is recorded and the rest is read, and a directory
//! that holds no process records is refused. Runs as root; some steps drop to uid 65534 with setpriv.
#![cfg(target_os = "linux")]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::TempDir;
use serde_json::Value;

/// Files of /proc that a reader must never open: reading them has side effects, exposes memory, or
/// never ends.
const NEVER: &[&str] = &[
    "pagemap",
    "mem",
    "clear_refs",
    "kpagecount",
    "kpageflags",
    "kpagecgroup",
    "kcore",
    "kmsg",
    "sysrq-trigger",
    "smaps",
    "oom_score_adj",
    "timerslack_ns",
];

/// True when an strace line opens the file `name` (as a path's last component, or relative).
fn opens(line: &str, name: &str) -> bool {
    line.contains(&format!("\"{name}\"")) || line.contains(&format!("/{name}\""))
}

/// Runs `cmd` with a deadline (a runaway read must fail the test, not hang it).
fn run_bounded(mut cmd: Command, secs: u64) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(secs);
    // Drain stdout on a thread so a large output cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut v);
        v
    });
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} still running after {secs} s: a runaway read");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    let stdout = reader.join().unwrap();
    let mut stderr = Vec::new();
    let _ = std::io::Read::read_to_end(&mut child.stderr.take().unwrap(), &mut stderr);
    Output {
        status,
        stdout,
        stderr,
    }
}

/// procsift under strace: its output, and every path it opened.
fn traced(args: &[&str], secs: u64) -> (Output, String) {
    let dir = TempDir::new("trace");
    let log = dir.path().join("strace.log");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-e", "trace=open,openat,openat2", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_procsift"))
        .args(args);
    let out = run_bounded(cmd, secs);
    let opened = std::fs::read_to_string(&log).unwrap_or_default();
    (out, opened)
}

fn assert_never_opened(opened: &str, what: &str) {
    for line in opened.lines() {
        for bad in NEVER {
            assert!(
                !opens(line, bad),
                "{what} opened a file it must never open: {line}"
            );
        }
    }
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// `show /proc/<pid>`, `ps /proc/self` and `ps /proc` read like a capture: promptly, the right
/// processes, and never a file with side effects or no end (they read `pagemap`, `mem` and `clear_refs`
/// without bound before: 5.6 GB of memory after 10 s).
#[test]
fn proc_directories_read_only_what_a_capture_holds() {
    let mut sleeper = Command::new("sleep").arg("300").spawn().unwrap();
    let pid = sleeper.id().to_string();
    let pid_n = i64::from(sleeper.id());
    let dir = format!("/proc/{pid}");

    let (out, opened) = traced(&["show", &dir, "--format", "json"], 60);
    assert_never_opened(&opened, "show /proc/<pid>");
    let doc = json(&out);
    assert_eq!(
        doc["process"]["pid"].as_i64(),
        Some(i64::from(sleeper.id() as i32))
    );
    assert_eq!(doc["process"]["argv"], serde_json::json!(["sleep", "300"]));
    assert_eq!(doc["source"]["kind"], "directory");
    // The same process without naming its pid: the directory is a snapshot of one process.
    let doc = json(&run_bounded(
        {
            let mut c = common::bin();
            c.args(["ps", &dir, "--format", "json"]);
            c
        },
        60,
    ));
    let procs = doc["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 1, "{procs:?}");
    assert_eq!(procs[0]["pid"].as_i64(), Some(pid_n));

    // /proc/self is the reading process itself.
    let (out, opened) = traced(&["ps", "/proc/self", "--format", "json"], 60);
    assert_never_opened(&opened, "ps /proc/self");
    let doc = json(&out);
    let procs = doc["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 1, "{procs:?}");
    let argv0 = procs[0]["argv"][0].as_str().unwrap_or_default();
    assert!(argv0.ends_with("procsift"), "{argv0}");

    // /proc itself: every process, as the live host.
    let (out, opened) = traced(&["ps", "/proc", "--format", "json"], 120);
    assert_never_opened(&opened, "ps /proc");
    let doc = json(&out);
    let procs = doc["processes"].as_array().unwrap();
    assert!(
        procs.iter().any(|p| p["pid"].as_i64() == Some(pid_n)),
        "the sleeper is listed"
    );
    assert!(procs.iter().any(|p| p["pid"] == 1));
    let _ = sleeper.kill();
    let _ = sleeper.wait();
}

/// A copy of a process directory that holds the dangerous files as well (here: regular files named like
/// them, a FIFO and a device node) is read without opening any of them.
#[test]
fn a_copied_tree_opens_nothing_but_its_members() {
    let dir = TempDir::new("copytree");
    let p = dir.path().join("proc/4242");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(
        p.join("stat"),
        "4242 (victim) S 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
    )
    .unwrap();
    std::fs::write(p.join("cmdline"), b"victim\0--flag\0").unwrap();
    for name in ["pagemap", "mem", "clear_refs", "kcore"] {
        std::fs::write(p.join(name), b"never read").unwrap();
    }
    let fifo = p.join("status");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // A FIFO where `status` belongs would block a reader forever: it is never opened.
    let tree = dir.path().to_str().unwrap();
    let (out, opened) = traced(&["show", tree, "4242", "--format", "json"], 30);
    let doc = json(&out);
    assert_eq!(
        doc["process"]["argv"],
        serde_json::json!(["victim", "--flag"])
    );
    for name in ["pagemap", "mem", "clear_refs", "kcore", "status"] {
        assert!(
            !opened.lines().any(|l| opens(l, name)),
            "opened {name}: {opened}"
        );
    }
}

/// As an unprivileged user, `ps /proc` and `show /proc 1` go on past what they may not read (it exited 2
/// on `/proc/1/fdinfo` before), and `files /proc --pid 1` says it could not read pid 1's descriptors.
#[test]
fn unreadable_members_are_recorded_and_the_rest_is_read() {
    let nobody = |args: &[&str]| {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_procsift"))
            .args(args);
        run_bounded(c, 120)
    };
    let doc = json(&nobody(&["ps", "/proc", "--format", "json"]));
    assert!(
        doc["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["pid"] == 1)
    );
    let out = nobody(&["show", "/proc", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The live host as well.
    let doc = json(&nobody(&["ps", "--format", "json"]));
    assert!(
        doc["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["pid"] == 1)
    );
}

/// A directory with no process records and no manifest is refused with one line and exit 2 (`ps /etc`
/// printed an empty table and exited 0 before), as are the other inputs that are not snapshots.
#[test]
fn inputs_that_are_not_snapshots_are_one_line_errors() {
    let dir = TempDir::new("notproc");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let numbered = dir.path().join("logs");
    std::fs::create_dir_all(numbered.join("2024")).unwrap();
    std::fs::write(numbered.join("2024/app.log"), b"hello\n").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"just some text\n").unwrap();
    let zero = dir.path().join("zero.tar");
    std::fs::write(&zero, b"").unwrap();
    for input in [
        Path::new("/etc"),
        empty.as_path(),
        numbered.as_path(),
        text.as_path(),
        zero.as_path(),
    ] {
        for report in ["ps", "tree", "info"] {
            let out = common::bin().arg(report).arg(input).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{report} {}: {err}",
                input.display()
            );
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.starts_with("error: "), "{err}");
            assert!(out.stdout.is_empty());
        }
    }
}

/// A live `ps` reads what `ps` reads — each process's `stat`, `status` and `cmdline` — and a live
/// `show PID` only that process (both read every member of every process before, 4.5 times slower than
/// `ps aux`). The speed itself is measured by bench/run.sh.
#[test]
fn live_reports_read_only_what_they_show() {
    let mut sleeper = Command::new("sleep").arg("300").spawn().unwrap();
    let pid = sleeper.id();
    let dir = TempDir::new("live-trace");
    let log = dir.path().join("strace.log");
    let trace = |args: &[&str]| {
        let mut cmd = Command::new("strace");
        cmd.args([
            "-f",
            "-qq",
            "-e",
            "trace=open,openat,openat2,readlink,readlinkat",
            "-o",
        ])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_procsift"))
        .args(args);
        let out = run_bounded(cmd, 60);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The Rust runtime reads /proc/self/maps at start-up (the main thread's stack guard).
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .filter(|l| !l.contains("\"/proc/self/"))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    let opened = trace(&["ps"]);
    for name in [
        "environ",
        "maps",
        "smaps_rollup",
        "limits",
        "io",
        "cgroup",
        "exe",
        "cwd",
        "fd",
        "task",
    ] {
        assert!(
            !opened.lines().any(|l| opens(l, name)),
            "live ps read {name}: {}",
            opened.lines().find(|l| opens(l, name)).unwrap_or_default()
        );
    }
    for name in ["stat", "status", "cmdline"] {
        assert!(
            opened.lines().any(|l| opens(l, name)),
            "live ps never read {name}"
        );
    }
    // show PID: that process's directory, and no other process's.
    let opened = trace(&["show", &pid.to_string()]);
    let others: Vec<&str> = opened
        .lines()
        .filter(|l| {
            let Some(q) = l.split('"').nth(1) else {
                return false;
            };
            let q = q.strip_prefix("/proc/").unwrap_or(q);
            q.split('/').next().is_some_and(|first| {
                !first.is_empty()
                    && first.bytes().all(|b| b.is_ascii_digit())
                    && first != pid.to_string()
            })
        })
        .collect();
    assert!(
        others.is_empty(),
        "show {pid} read other processes: {others:?}"
    );
    assert!(opened.contains(&format!("\"{pid}\"")), "{opened}");
    let _ = sleeper.kill();
    let _ = sleeper.wait();
}

/// `verify` of a core or a directory says what the input is in the user's words (it named an internal
/// function, `analyze::open`, before), one line, exit 2.
#[test]
fn verify_refuses_cores_and_directories_in_plain_words() {
    let core = common::corpus("linux/elfutils-testfile71-x86_64.core");
    for input in [core.as_path(), Path::new("/proc")] {
        let out = common::bin().arg("verify").arg(input).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("::"), "{err}");
        assert!(err.contains("not a snapshot archive"), "{err}");
    }
}
