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

fn check_common(s: &Snapshot, pid: i32, exe: &Path, mode: &str) {
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
    assert_eq!(argv[1..], [mode, LONG_ARG, "second"][..]);
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
    check_common(&s, pid, &exe, "crash");
    let sig = s.core.as_ref().unwrap().signal.clone().unwrap();
    assert_eq!(
        (sig.number, sig.name.as_deref(), sig.code),
        (11, Some("SIGSEGV"), Some(1))
    );
    assert_eq!(sig.fault_address, Some(0x1234));
    assert_eq!(sig.thread, Some(pid), "the main thread wrote to 0x1234");
    let threads = s.processes[0].threads.as_ref().unwrap();
    assert_eq!(threads.iter().filter(|t| t.signal == Some(11)).count(), 1);
    // Every thread blocks SIGUSR1 (10): bit 9 of pr_sighold, as /proc's SigBlk would show it.
    for t in threads {
        let blocked = u64::from_str_radix(t.sig_blocked.as_deref().unwrap(), 16).unwrap();
        assert_eq!(blocked & (1 << 9), 1 << 9, "thread {}: {blocked:#x}", t.tid);
    }
    let usr1 = s.processes[0]
        .signal_actions
        .iter()
        .flatten()
        .find(|a| a.name.as_deref() == Some("SIGUSR1"))
        .expect("the signal table has SIGUSR1");
    assert_eq!(usr1.blocked, Some(true));
    let out = common::bin().arg("signals").arg(&core).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    // The threads as /proc lists them, read while the process still runs.
    let mut live = task_ids(pid);
    let _ = child.kill();
    let _ = child.wait();
    let core = prefix;
    assert!(
        core.exists(),
        "gdb wrote no core: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = load(&core);
    check_common(&s, pid, &exe, "wait");
    check_readelf(&s, &core);
    // Under gdb each thread was stopped by the attach, and gcore says so per thread.
    let threads = s.processes[0].threads.as_ref().unwrap();
    let mut tids: Vec<i32> = threads.iter().map(|t| t.tid).collect();
    tids.sort();
    live.sort();
    assert_eq!(tids, live);
    assert!(tids.contains(&pid));
    // gdb writes no signal masks (pr_sigpend and pr_sighold stay 0): unknown, not "none blocked".
    assert!(
        threads.iter().all(|t| t.sig_blocked.is_none()),
        "{threads:?}"
    );
}

/// The thread ids of a running process, from /proc/<pid>/task.
fn task_ids(pid: i32) -> Vec<i32> {
    let ids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("the process still runs")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    assert!(!ids.is_empty());
    ids
}

/// The `NT_FILE` entries as elfutils' `eu-readelf -n` prints them: (start, end, path). (GNU readelf
/// here is a build that cannot decode 64-bit `NT_FILE`.)
fn readelf_nt_file(path: &Path) -> Vec<(u64, u64, String)> {
    let out = Command::new("eu-readelf")
        .arg("-n")
        .arg(path)
        .output()
        .expect("eu-readelf (.ci/run installs elfutils)");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .skip_while(|l| !l.trim_end().ends_with(" FILE"))
        .skip(2)
        .map_while(|l| {
            let mut f = l.split_whitespace();
            let (a, b) = f.next()?.split_once('-')?;
            let (start, end) = (
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(b, 16).ok()?,
            );
            let path = f.nth(2)?.to_string();
            Some((start, end, path))
        })
        .collect()
}

/// gdb's gcore of a multi-threaded python3: gdb writes no segment for the text of the executable and
/// libraries, but names them in NT_FILE. Every NT_FILE range (as readelf prints it) and every
/// file-backed line of /proc/<pid>/maps read before the dump is a mapping, the ones the core holds no
/// bytes of say "not dumped", and every thread's pc is located in one (never "not mapped").
#[test]
fn gcore_of_a_multithreaded_python_keeps_every_mapping() {
    let dir = TempDir::new("gcore-py");
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import threading, time, os\n\
             for _ in range(4): threading.Thread(target=time.sleep, args=(300,), daemon=True).start()\n\
             print('ready', os.getpid(), flush=True); time.sleep(300)",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pid: i32 = line.trim().strip_prefix("ready ").unwrap().parse().unwrap();
    let proc_maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let live = task_ids(pid);
    let core = dir.path().join("py.core");
    let out = Command::new("gdb")
        .args(["-batch", "-nx", "-p", &pid.to_string(), "-ex"])
        .arg(format!("gcore {}", core.display()))
        .output()
        .expect("gdb");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        core.exists(),
        "gdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = load(&core);
    let p = &s.processes[0];
    assert_eq!(p.pid, pid);
    assert_eq!(p.threads.as_ref().map(Vec::len), Some(live.len()));
    assert_eq!(live.len(), 5);
    let maps = p.maps.as_ref().unwrap();
    let has = |start: u64, end: u64, path: &str| {
        maps.iter().any(|m| {
            m.start == start
                && m.end == end
                && m.path
                    .as_ref()
                    .is_some_and(|p| p.as_bytes() == path.as_bytes())
        })
    };
    let nt_file = readelf_nt_file(&core);
    assert!(nt_file.len() > 20, "{nt_file:?}");
    for (start, end, path) in &nt_file {
        assert!(
            has(*start, *end, path),
            "NT_FILE {start:#x}-{end:#x} {path} is not in maps"
        );
    }
    let not_dumped = maps
        .iter()
        .filter(|m| m.dumped_bytes == Some(0) && m.path.is_some())
        .count();
    assert!(
        not_dumped > 0,
        "gcore dumped every file mapping: the test proves nothing"
    );
    for l in proc_maps.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 6 || !f[5].starts_with('/') {
            continue;
        }
        let (a, b) = f[0].split_once('-').unwrap();
        let (start, end) = (
            u64::from_str_radix(a, 16).unwrap(),
            u64::from_str_radix(b, 16).unwrap(),
        );
        assert!(has(start, end, f[5]), "/proc maps line {l} is not in maps");
    }
    for t in p.threads.iter().flatten() {
        let pc = t.pc.unwrap();
        assert!(
            maps.iter().any(|m| m.start <= pc && pc < m.end),
            "thread {} pc {pc:#x} is in no mapping",
            t.tid
        );
    }
    let out = common::bin().arg("core").arg(&core).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    let pc_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("pc "))
        .unwrap();
    assert!(
        !pc_line.contains("not mapped") && pc_line.contains('/'),
        "{pc_line}"
    );
    assert!(!text.contains("not mapped"), "{text}");
}
