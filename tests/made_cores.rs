//! Cores made at test time, from a program with known facts: one written by the kernel when the program
//! crashes (SIGSEGV writing to 0x1234), one written by gdb's `gcore` while it runs. Every known fact is
//! asserted, and the notes agree with `readelf -n`. Linux only: it needs the kernel's cores, ptrace and gdb.
#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::TempDir;
use procsift::analyze::core::analyze;
use procsift::model::Snapshot;

/// An argument longer than pr_psargs' 80 bytes, with a space inside one argument.
const LONG_ARG: &str =
    "an argument that is much longer than the eighty bytes NT_PRPSINFO keeps of the command line";
const MARKER: &str = "PROCSIFT_CORE_MARKER=made-at-test-time";

fn compile(dir: &Path) -> PathBuf {
    let exe = dir.join("crasher");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/crasher.c");
    let out = Command::new("gcc")
        .args(["-O0", "-pthread", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("gcc");
    assert!(
        out.status.success(),
        "gcc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Starts the crasher in `dir` with `mode`, a core size limit of unlimited, and the known argv and
/// environment; returns the child and the pid it printed.
fn start(dir: &Path, exe: &Path, mode: &str) -> (std::process::Child, i32) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -c unlimited && exec \"$0\" \"$@\"")
        .arg(exe)
        .args([mode, LONG_ARG, "second"])
        .current_dir(dir)
        .env_clear()
        .env("PROCSIFT_CORE_MARKER", "made-at-test-time")
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pid = line
        .trim()
        .strip_prefix("ready ")
        .and_then(|p| p.parse().ok())
        .expect("ready line");
    (child, pid)
}

fn load(path: &Path) -> Snapshot {
    let bytes = std::fs::read(path).unwrap();
    analyze(&bytes, &path.display().to_string()).unwrap()
}

fn check_common(s: &Snapshot, pid: i32, exe: &Path) {
    let p = &s.processes[0];
    assert_eq!(p.pid, pid);
    // sh exec'd the crasher, so its parent is this test. pr_ppid is the pid of the parent *task*
    // (task_pid_vnr(real_parent)): the thread that forked, where /proc says the parent's tgid.
    let forker = rustix::thread::gettid().as_raw_nonzero().get();
    assert!(
        p.ppid == Some(forker) || p.ppid == Some(std::process::id() as i32),
        "ppid {:?}, test process {} thread {forker}",
        p.ppid,
        std::process::id()
    );
    assert_eq!(p.comm.as_ref().unwrap().as_bytes(), b"crasher");
    assert_eq!(p.cred.uid, Some(rustix::process::getuid().as_raw()));
    let argv: Vec<String> = p.argv.iter().flatten().map(|a| a.escaped()).collect();
    assert_eq!(
        argv[1..],
        [argv[1].clone(), LONG_ARG.to_string(), "second".to_string()][..]
    );
    assert!(argv[0].ends_with("crasher"), "{argv:?}");
    assert!(
        p.psargs.as_ref().unwrap().as_bytes().len() <= 80,
        "psargs is the truncated one"
    );
    let env: Vec<String> = p.env.iter().flatten().map(|a| a.escaped()).collect();
    assert!(env.iter().any(|e| e == MARKER), "{env:?}");
    assert_eq!(p.threads.as_ref().map(|t| t.len()), Some(3));
    assert_eq!(
        p.exe.as_ref().unwrap().as_bytes(),
        exe.as_os_str().as_encoded_bytes()
    );
    let prov = &s.core.as_ref().unwrap().provenance;
    assert!(
        prov.iter()
            .any(|v| v.field == "argv" && v.source.contains("stack")),
        "{prov:?}"
    );
}

fn readelf_notes(path: &Path) -> Vec<(String, u64)> {
    let out = Command::new("readelf")
        .args(["-n", "-W"])
        .arg(path)
        .output()
        .expect("readelf");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let owner = f.next().filter(|o| !o.starts_with("0x"))?;
            let size = u64::from_str_radix(f.next()?.strip_prefix("0x")?, 16).ok()?;
            f.next()?;
            Some((owner.to_string(), size))
        })
        .collect()
}

fn check_readelf(s: &Snapshot, path: &Path) {
    let ours: Vec<(String, u64)> = s
        .core
        .as_ref()
        .unwrap()
        .notes
        .iter()
        .map(|n| (n.owner.clone(), n.size))
        .collect();
    assert_eq!(ours, readelf_notes(path));
}

#[test]
fn kernel_core_of_a_crash() {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap();
    assert!(
        !pattern.starts_with('|') && !pattern.contains('/'),
        "core_pattern is {pattern:?}: the kernel must write cores into the crashing process's directory \
         (.ci/run sets it to 'core')"
    );
    let dir = TempDir::new("kcore");
    let exe = compile(dir.path());
    let (mut child, pid) = start(dir.path(), &exe, "crash");
    let status = child.wait().unwrap();
    assert!(!status.success());
    let core = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("core"))
        .expect("the kernel wrote a core");
    let s = load(&core);
    check_common(&s, pid, &exe);
    let sig = s.core.as_ref().unwrap().signal.clone().unwrap();
    assert_eq!(
        (sig.number, sig.name.as_deref(), sig.code),
        (11, Some("SIGSEGV"), Some(1))
    );
    assert_eq!(sig.fault_address, Some(0x1234));
    assert_eq!(sig.thread, Some(pid), "the main thread wrote to 0x1234");
    let threads = s.processes[0].threads.as_ref().unwrap();
    assert_eq!(threads.iter().filter(|t| t.signal == Some(11)).count(), 1);
    check_readelf(&s, &core);

    // The CLI explains it.
    let out = common::bin().arg("core").arg(&core).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("SIGSEGV (11)") && text.contains("0x1234 (not mapped)"),
        "{text}"
    );
    assert!(text.contains("SEGV_MAPERR"), "{text}");
}

#[test]
fn gcore_of_a_running_process() {
    let dir = TempDir::new("gcore");
    let exe = compile(dir.path());
    let (mut child, pid) = start(dir.path(), &exe, "wait");
    let prefix = dir.path().join("gcore.out");
    let out = Command::new("gdb")
        .args(["-batch", "-nx", "-p", &pid.to_string(), "-ex"])
        .arg(format!("gcore {}", prefix.display()))
        .output()
        .expect("gdb");
    let _ = child.kill();
    let _ = child.wait();
    let core = prefix;
    assert!(
        core.exists(),
        "gdb wrote no core: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = load(&core);
    check_common(&s, pid, &exe);
    check_readelf(&s, &core);
    // Under gdb each thread was stopped by the attach, and gcore says so per thread.
    let threads = s.processes[0].threads.as_ref().unwrap();
    let mut tids: Vec<i32> = threads.iter().map(|t| t.tid).collect();
    tids.sort();
    let mut live: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    live.sort();
    if !live.is_empty() {
        assert_eq!(tids, live);
    }
    assert!(tids.contains(&pid));
}
