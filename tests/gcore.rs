//! `procsift gcore` and `capture --core` on live processes: a program with three threads parked in named
//! functions, a global and a heap string with known contents, and argv and environment markers
//! (testdata/fixtures/parked.c). gdb, readelf and eu-readelf read the cores as the independent witnesses;
//! /proc says whether the process was left running.
#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{TempDir, bin};

const GLOBAL: &str = "GLOBAL-MARKER-5f3a";
const HEAP: &str = "HEAP-MARKER-9c41";
const ARGV_MARKER: &str = "argv-marker-31";
const ENV_MARKER: &str = "PROCSIFT_ENV_MARKER=env-7d2";

/// The fixture, compiled once, in a directory every user may read (the unprivileged tests run it).
fn parked_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("procsift-gcore-fixture-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let exe = dir.join("parked");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/parked.c");
        let out = Command::new("gcc")
            .args(["-g", "-O1", "-pthread", "-o"])
            .arg(&exe)
            .arg(&src)
            .output()
            .expect("gcc (apt-get install gcc)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        exe
    })
}

/// A running fixture; killed when dropped.
struct Parked {
    child: Child,
    pid: i32,
    heap: u64,
    /// The "pasteof" mapping, when asked for.
    past: Option<u64>,
    /// The "guard" mapping, when asked for and the kernel has guard regions.
    guard: Option<u64>,
}

impl Drop for Parked {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nobody(cmd: &str) -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", cmd]);
    c
}

fn spawn_with(args: &[&str], env: &[(&str, &str)], unprivileged: bool) -> Parked {
    let exe = parked_exe();
    let mut cmd = if unprivileged {
        let mut c = nobody(exe.to_str().unwrap());
        c.args([ARGV_MARKER]);
        c
    } else {
        let mut c = Command::new(exe);
        c.arg(ARGV_MARKER);
        c
    };
    cmd.args(args)
        .env_clear()
        .env("PROCSIFT_ENV_MARKER", "env-7d2")
        .envs(env.iter().copied())
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn the fixture");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let hex = |i: usize| {
        line.split_whitespace()
            .nth(i)
            .and_then(|h| u64::from_str_radix(h.trim_start_matches("0x"), 16).ok())
    };
    let heap = hex(1).unwrap_or_else(|| panic!("fixture said {line:?}"));
    let past = hex(3);
    let guard = hex(4);
    // setpriv execs the fixture: same pid.
    let pid = child.id() as i32;
    Parked {
        child,
        pid,
        heap,
        past,
        guard,
    }
}

fn spawn(args: &[&str]) -> Parked {
    spawn_with(args, &[], false)
}

/// Every thread's state letter.
fn states(pid: i32) -> Vec<char> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        // A thread may end between the listing and its reading.
        let Ok(stat) = std::fs::read_to_string(e.unwrap().path().join("stat")) else {
            continue;
        };
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        out.push(after.chars().next().unwrap());
    }
    out
}

fn tracer(pid: i32) -> i32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Not stopped, not traced: the process goes on as before.
fn assert_running(pid: i32) {
    let s = states(pid);
    assert!(
        s.iter().all(|c| !matches!(c, 't' | 'T')),
        "threads of {pid} left stopped: {s:?}"
    );
    assert_eq!(tracer(pid), 0, "{pid} is still traced");
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn gcore(args: &[&str]) -> Output {
    bin().arg("gcore").args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn gdb(core: &Path, cmds: &[&str]) -> String {
    let mut c = Command::new("gdb");
    c.args(["-batch", "-nx"]).arg(parked_exe()).arg(core);
    for cmd in cmds {
        c.args(["-ex", cmd]);
    }
    let out = c.output().expect("gdb (apt-get install gdb)");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn tids(pid: i32) -> Vec<i32> {
    let mut t: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().parse().unwrap())
        .collect();
    t.sort_unstable();
    t
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = bin().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Per thread, the functions of its backtrace as `procsift threads ... --stack` unwinds them.
fn backtraces(args: &[&str]) -> Vec<Vec<String>> {
    let mut all = vec!["threads"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--stack", "--format", "json"]);
    json(&all)["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t["frames"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(|f| Some(f["function"].as_str()?.to_owned()))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// Each parked thread's backtrace, unwound by procsift, holds its named function (as gdb's does).
fn assert_parked_backtraces(bt: &[Vec<String>]) {
    assert_eq!(bt.len(), 3, "{bt:?}");
    for f in ["park_in_alpha", "park_in_beta", "park_in_main"] {
        assert!(
            bt.iter().any(|t| t.iter().any(|n| n == f)),
            "no thread's backtrace holds {f}: {bt:?}"
        );
    }
    assert!(bt.iter().any(|t| t.iter().any(|n| n == "main")), "{bt:?}");
}

/// The facts gdb and procsift must both read from a core of the fixture.
fn check_core(core: &Path, p: &Parked) {
    let g = gdb(
        core,
        &[
            "info threads",
            "thread apply all bt",
            "print procsift_global",
            &format!("x/s {:#x}", p.heap),
        ],
    );
    // Three threads, each in its named function.
    let threads = g
        .lines()
        .filter(|l| l.contains("Thread 0x") && l.contains("(LWP"))
        .count();
    assert!(threads >= 3, "{g}");
    for f in ["park_in_alpha", "park_in_beta", "park_in_main", "main ("] {
        assert!(g.contains(f), "no {f} in gdb's backtraces:\n{g}");
    }
    assert!(g.contains(&format!("= \"{GLOBAL}\"")), "{g}");
    assert!(g.contains(&format!(":\t\"{HEAP}\"")), "{g}");
    for tid in tids(p.pid) {
        assert!(g.contains(&format!("(LWP {tid})")), "no LWP {tid}:\n{g}");
    }

    // procsift reads the same facts.
    let c = json(&["core", core.to_str().unwrap(), "--format", "json"]);
    assert_eq!(c["process"]["pid"], p.pid);
    assert!(c["core"].get("signal").is_none(), "{}", c["core"]);
    assert_eq!(c["core"]["live"]["tool"], "procsift gcore");
    assert_eq!(c["core"]["live"]["threads"], 3);
    let t = json(&["threads", core.to_str().unwrap(), "--format", "json"]);
    let mut got: Vec<i64> = t["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tid"].as_i64().unwrap())
        .collect();
    got.sort_unstable();
    let want: Vec<i64> = tids(p.pid).into_iter().map(i64::from).collect();
    assert_eq!(got, want);
    let s = json(&["show", core.to_str().unwrap(), "--format", "json"]);
    let argv: Vec<&str> = s["process"]["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(argv.get(1), Some(&ARGV_MARKER), "{argv:?}");
    let env: Vec<&str> = s["process"]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(env.contains(&ENV_MARKER), "{env:?}");
    assert_parked_backtraces(&backtraces(&[core.to_str().unwrap()]));
}

#[test]
fn gcore_reads_back_in_gdb_readelf_and_procsift() {
    let dir = TempDir::new("gcore");
    let gap = dir.path().join("gap");
    let p = spawn_with(&[], &[("GAP_FILE", gap.to_str().unwrap())], false);
    let core = dir.path().join("suspect.core");
    let out = gcore(&[&p.pid.to_string(), "-o", core.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("3 threads"), "{err}");
    assert!(err.contains("goes on as before"), "{err}");
    assert!(!Path::new(&format!("{}.tmp", core.display())).exists());
    assert_running(p.pid);
    // It goes on: its loop rewrites the gap file after the dump.
    wait_for("the fixture to write its gap file", || gap.exists());
    let before = std::fs::metadata(&gap).unwrap().modified().unwrap();
    wait_for("the fixture to run after the dump", || {
        std::fs::metadata(&gap).unwrap().modified().unwrap() != before
    });

    check_core(&core, &p);

    // No thread was signalled: the core report shows the first thread's registers and backtrace.
    let text = bin().arg("core").arg(&core).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    for s in [
        "taken from a live process",
        "registers of the first thread",
        "backtrace of the first thread",
    ] {
        assert!(text.contains(s), "no {s:?} in:\n{text}");
    }
    assert!(!text.contains("signalled thread"), "{text}");

    // readelf: the kernel's notes, one NT_PRSTATUS and one NT_FPREGSET per thread, procsift's last.
    let r = Command::new("readelf")
        .arg("-nW")
        .arg(&core)
        .output()
        .unwrap();
    let r = String::from_utf8_lossy(&r.stdout);
    let count = |what: &str| r.lines().filter(|l| l.contains(what)).count();
    assert_eq!(count("NT_PRSTATUS"), 3, "{r}");
    assert_eq!(count("NT_FPREGSET"), 3, "{r}");
    assert_eq!(count("NT_X86_XSTATE"), 3, "{r}");
    for one in ["NT_PRPSINFO", "NT_SIGINFO", "NT_AUXV", "NT_FILE"] {
        assert_eq!(count(one), 1, "{one}: {r}");
    }
    assert!(r.contains("PROCSIFT"), "{r}");
    // eu-readelf decodes each thread's NT_PRSTATUS: every tid, and NT_FILE holds the executable.
    let e = Command::new("eu-readelf")
        .arg("-n")
        .arg(&core)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&e.stdout);
    for tid in tids(p.pid) {
        assert!(e.contains(&format!("pid: {tid},")), "{tid}: {e}");
    }
    assert!(e.contains(parked_exe().to_str().unwrap()), "{e}");
    assert!(
        e.contains(&format!("psargs: {} {ARGV_MARKER}", parked_exe().display())),
        "{e}"
    );
}

#[test]
fn default_name_and_no_overwrite() {
    let dir = TempDir::new("gcore-name");
    let p = spawn(&[]);
    let out = bin()
        .current_dir(dir.path())
        .args(["gcore", &p.pid.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let core = dir.path().join(format!("core.{}", p.pid));
    let first = std::fs::read(&core).unwrap();
    // The process's memory (keys, passwords) is readable by its owner only, as the kernel's cores are
    // (0600), whatever the umask.
    let mode = std::fs::metadata(&core).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o600, "core written with mode {mode:o}");
    // An existing file is evidence: never replaced.
    let again = bin()
        .current_dir(dir.path())
        .args(["gcore", &p.pid.to_string()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read(&core).unwrap(), first);
    assert_running(p.pid);
}

/// One line on stderr, exit status 2, nothing at the output name.
fn assert_refused(out: &Output, core: &Path, says: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(says), "{err:?} lacks {says:?}");
    assert!(!core.exists(), "{} was written", core.display());
    assert!(!Path::new(&format!("{}.tmp", core.display())).exists());
}

#[test]
fn refusals() {
    let dir = TempDir::new("gcore-errors");
    let core = dir.path().join("c");
    let c = core.to_str().unwrap();

    // A pid that does not exist: pid_max itself is never a pid.
    let max = std::fs::read_to_string("/proc/sys/kernel/pid_max").unwrap();
    assert_refused(&gcore(&[max.trim(), "-o", c]), &core, "no process");

    // A kernel thread.
    let kthread = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                let f: u64 = s[s.rfind(')').unwrap() + 2..]
                    .split(' ')
                    .nth(6)
                    .unwrap()
                    .parse()
                    .unwrap();
                f & 0x20_0000 != 0
            })
        })
        .expect("a kernel thread in /proc");
    assert_refused(
        &gcore(&[&kthread.to_string(), "-o", c]),
        &core,
        "is a kernel thread",
    );

    // A zombie: a child that exited and was not waited for.
    let mut parent = Command::new("python3")
        .args([
            "-c",
            "import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(60)",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    BufReader::new(parent.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let zombie: i32 = line.trim().parse().unwrap();
    wait_for("the child to be a zombie", || states(zombie) == ['Z']);
    assert_refused(
        &gcore(&[&zombie.to_string(), "-o", c]),
        &core,
        "has exited (a zombie)",
    );
    let _ = parent.kill();
    let _ = parent.wait();

    // A process already traced (strace holds it).
    let p = spawn(&[]);
    let mut strace = Command::new("strace")
        .args(["-o", "/dev/null", "-p", &p.pid.to_string()])
        .stderr(Stdio::null())
        .spawn()
        .expect("strace");
    wait_for("strace to attach", || tracer(p.pid) != 0);
    assert_refused(
        &gcore(&[&p.pid.to_string(), "-o", c]),
        &core,
        "is already traced by",
    );
    let _ = strace.kill();
    let _ = strace.wait();
    wait_for("strace to detach", || tracer(p.pid) == 0);

    // No permission: an unprivileged user against root's process.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = nobody(env!("CARGO_BIN_EXE_procsift"))
        .args(["gcore", &p.pid.to_string(), "-o", c])
        .output()
        .unwrap();
    assert_refused(&out, &core, "not permitted to trace");
    assert!(stderr(&out).contains("CAP_SYS_PTRACE"), "{}", stderr(&out));
    assert_running(p.pid);

    // Bad options.
    assert_refused(
        &gcore(&[&p.pid.to_string(), "-o", c, "--max-size", "lots"]),
        &core,
        "--max-size",
    );
    assert_refused(
        &gcore(&[&p.pid.to_string(), "-o", c, "--filter", "0x1000"]),
        &core,
        "--filter",
    );
}

/// `procsift gcore` of `p` into `core`, holding the process stopped (`--hold-ms`) until the test has
/// done its part; stderr piped.
fn held_gcore_command(p: &Parked, core: &Path) -> Command {
    let mut cmd = bin();
    cmd.args([
        "gcore",
        &p.pid.to_string(),
        "-o",
        core.to_str().unwrap(),
        "--hold-ms",
        "20000",
    ])
    .stderr(Stdio::piped());
    cmd
}

/// [`held_gcore_command`] started, once the process is stopped.
fn held_gcore(p: &Parked, core: &Path) -> Child {
    let child = held_gcore_command(p, core).spawn().unwrap();
    wait_for("the process to be stopped", || {
        states(p.pid).iter().all(|s| *s == 't')
    });
    child
}

#[test]
fn process_that_exits_mid_dump() {
    use std::io::BufRead;
    let dir = TempDir::new("gcore-exit");
    let core = dir.path().join("c");
    let mut p = spawn(&[]);
    // Killed once gcore has read the registers and mappings (its trace says so), in its hold: not
    // when the threads first show `t`, which can be while gcore still lists them to stop any new
    // one (that exit is "exited while it was being stopped", another case).
    let mut child = held_gcore_command(&p, &core)
        .env("PROCSIFT_GCORE_TRACE", "1")
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("registers and mappings read") {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "gcore ended before its hold"
        );
    }
    p.child.kill().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2), "{rest}");
    // The one line of the error, after the trace's.
    let said: Vec<&str> = rest
        .lines()
        .filter(|l| !l.starts_with("gcore trace:"))
        .collect();
    assert_eq!(said.len(), 1, "{rest}");
    assert!(said[0].contains("exited during the dump"), "{rest}");
    assert!(!core.exists(), "{} was written", core.display());
    assert!(!Path::new(&format!("{}.tmp", core.display())).exists());
    let _ = p.child.wait();
}

#[test]
fn sigint_and_sigterm_let_the_process_go() {
    for sig in [libc_sig::SIGINT, libc_sig::SIGTERM] {
        let dir = TempDir::new("gcore-sig");
        let core = dir.path().join("c");
        let p = spawn(&[]);
        let child = held_gcore(&p, &core);
        Command::new("kill")
            .args([&format!("-{sig}"), &child.id().to_string()])
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        // procsift dies by the signal, after it let the process go.
        assert_eq!(out.status.signal(), Some(sig), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("the process was let go"),
            "{}",
            stderr(&out)
        );
        assert!(!core.exists());
        assert!(!Path::new(&format!("{}.tmp", core.display())).exists());
        assert_running(p.pid);
    }
}

mod libc_sig {
    pub const SIGINT: i32 = 2;
    pub const SIGTERM: i32 = 15;
}

#[test]
fn a_signal_sent_while_stopped_is_delivered_after() {
    let dir = TempDir::new("gcore-usr1");
    let flag = dir.path().join("usr1");
    let core = dir.path().join("c");
    let p = spawn_with(&[], &[("USR1_FILE", flag.to_str().unwrap())], false);
    let child = held_gcore(&p, &core);
    Command::new("kill")
        .args(["-USR1", &p.pid.to_string()])
        .status()
        .unwrap();
    // Stopped: the handler cannot have run yet.
    std::thread::sleep(Duration::from_millis(100));
    assert!(!flag.exists());
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let _ = child.wait_with_output().unwrap();
    // The handler creates the file, then writes to it: wait for what it wrote, not for the file.
    wait_for("SIGUSR1's handler to run", || {
        std::fs::read_to_string(&flag).is_ok_and(|s| s.ends_with('\n'))
    });
    assert_eq!(std::fs::read_to_string(&flag).unwrap(), "usr1\n");
    assert_running(p.pid);
}

#[test]
fn job_stopped_process_stays_stopped() {
    let dir = TempDir::new("gcore-tstp");
    let core = dir.path().join("c");
    let p = spawn(&[]);
    Command::new("kill")
        .args(["-STOP", &p.pid.to_string()])
        .status()
        .unwrap();
    wait_for("SIGSTOP", || states(p.pid).iter().all(|s| *s == 'T'));
    let out = gcore(&[&p.pid.to_string(), "-o", core.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is left stopped (T)"),
        "{}",
        stderr(&out)
    );
    // Detached, each thread re-enters the group stop the kernel reinstates (__ptrace_unlink): for a
    // moment after the dump a thread may still be on its way back (R). Resumed, it would never return
    // to T, and this times out.
    wait_for("the job-control stop to be reinstated", || {
        states(p.pid).iter().all(|s| *s == 'T')
    });
    assert_eq!(tracer(p.pid), 0);
    // Still stopped a while later: nothing resumed it.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        states(p.pid).iter().all(|s| *s == 'T'),
        "{:?}",
        states(p.pid)
    );
    let c = json(&["core", core.to_str().unwrap(), "--format", "json"]);
    assert_eq!(c["core"]["live"]["was_stopped"], true);
    assert_eq!(c["process"]["state"], "T");
    Command::new("kill")
        .args(["-CONT", &p.pid.to_string()])
        .status()
        .unwrap();
    wait_for("SIGCONT", || states(p.pid).iter().all(|s| *s != 'T'));
}

#[test]
fn threads_started_while_seizing_are_caught() {
    let dir = TempDir::new("gcore-churn");
    let p = spawn(&["churn"]);
    for i in 0..5 {
        let core = dir.path().join(format!("c{i}"));
        let out = gcore(&[&p.pid.to_string(), "-o", core.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        let c = json(&["core", core.to_str().unwrap(), "--format", "json"]);
        // Three parked threads and the churner at least; a short-lived one too when caught alive.
        let n = c["process"]["threads"].as_array().unwrap().len();
        assert!((4..=5).contains(&n), "{n} threads");
        assert_eq!(c["core"]["live"]["threads"], n);
        assert_running(p.pid);
    }
}

#[test]
fn zero_heap_is_holes() {
    let dir = TempDir::new("gcore-zeros");
    let core = dir.path().join("c");
    let p = spawn(&["zeros", "256"]);
    let out = gcore(&[&p.pid.to_string(), "-o", core.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let m = std::fs::metadata(&core).unwrap();
    // 256 MiB of written zeros: in the core's memory, not on the disk.
    assert!(m.len() > 256 << 20, "{} bytes", m.len());
    assert!(
        m.blocks() * 512 < 32 << 20,
        "{} bytes on disk",
        m.blocks() * 512
    );
    let g = gdb(&core, &[&format!("x/s {:#x}", p.heap)]);
    assert!(g.contains(HEAP), "{g}");
}

/// The default dump (the process stays stopped while a second thread writes what the first read, through
/// the page cache), with `--sync`, and `--brief-stop` (copied into procsift's memory, let go, then
/// written), and with one writing thread of each kind, on more memory than the writing threads have
/// buffers: gdb reads the global and the heap
/// string, every page of the touched block is at the file offset its address gives (a chunk written at
/// the wrong place or twice would show), and the process runs afterwards.
#[test]
fn every_way_of_dumping_puts_each_page_in_its_place() {
    let dir = TempDir::new("gcore-ways");
    // 64 MiB touched: eight chunks of 8 MiB, twice the writing thread's buffers (64 chunks of 1 MiB,
    // eight times its buffers, where the file system refuses O_DIRECT).
    let p = spawn(&["touch", "64"]);
    // The default (two writing threads), --sync, --brief-stop, and the single writing threads of
    // PROCSIFT_GCORE_WRITERS.
    for (i, (extra, writers)) in [
        (&[][..], ""),
        (&["--sync"][..], ""),
        (&["--brief-stop"][..], ""),
        (&[][..], "direct"),
        (&[][..], "page-cache"),
    ]
    .into_iter()
    .enumerate()
    {
        let core = dir.path().join(format!("c{i}"));
        let mut args = vec![p.pid.to_string(), "-o".into(), core.display().to_string()];
        args.extend(extra.iter().map(|a| a.to_string()));
        let out = bin()
            .arg("gcore")
            .args(&args)
            .env("PROCSIFT_GCORE_WRITERS", writers)
            .output()
            .unwrap();
        let extra = (extra, writers);
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
        assert!(!Path::new(&format!("{}.tmp", core.display())).exists());
        assert_running(p.pid);
        let g = gdb(
            &core,
            &["print procsift_global", &format!("x/s {:#x}", p.heap)],
        );
        assert!(g.contains(&format!("= \"{GLOBAL}\"")), "{extra:?}: {g}");
        assert!(g.contains(&format!(":\t\"{HEAP}\"")), "{extra:?}: {g}");
        // The block is malloc's own mapping (64 MiB and a page): the largest PT_LOAD. Its user memory
        // starts 16 bytes in (glibc's chunk header); the fixture wrote each page's offset at its start,
        // then a 1.
        let r = Command::new("readelf")
            .arg("-lW")
            .arg(&core)
            .output()
            .unwrap();
        let r = String::from_utf8_lossy(&r.stdout);
        let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
        let (offset, filesz) = r
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.first() == Some(&"LOAD")).then(|| (hex(f[1]), hex(f[4])))
            })
            .max_by_key(|(_, filesz)| *filesz)
            .unwrap();
        assert!(filesz > 64 << 20, "{extra:?}: {r}");
        let bytes = std::fs::read(&core).unwrap();
        for k in 0..(64u64 << 20) / 4096 {
            let at = usize::try_from(offset + 16 + k * 4096).unwrap();
            let word = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
            assert_eq!(
                (word, bytes[at + 8]),
                (k * 4096, 1),
                "{extra:?}: page {k} of the block"
            );
        }
    }
}

/// A disk that fills up mid-dump (a 16 MiB tmpfs, in a mount namespace of its own, for a 64 MiB heap),
/// with each way of writing: a one-line error, exit status 2, no file left (neither the core nor its
/// temporary), and the process runs on, untraced.
#[test]
fn a_full_disk_ends_the_dump_and_lets_the_process_go() {
    let p = spawn(&["touch", "64"]);
    for writers in ["", "direct", "page-cache"] {
        let dir = TempDir::new("gcore-full");
        let d = dir.path().display().to_string();
        let script = format!(
            "mount -t tmpfs -o size=16m tmpfs {d} || exit 99; \
             \"$0\" gcore {pid} -o {d}/c; echo \"status=$?\"; ls -A {d}",
            pid = p.pid
        );
        let out = Command::new("unshare")
            .args(["-m", "sh", "-c", &script])
            .arg(env!("CARGO_BIN_EXE_procsift"))
            .env("PROCSIFT_GCORE_WRITERS", writers)
            .output()
            .unwrap();
        let err = stderr(&out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(stdout.trim(), "status=2", "{writers:?}: {stdout:?} {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{writers:?}: {err}");
        assert!(
            err.contains("No space left on device"),
            "{writers:?}: {err}"
        );
        assert_running(p.pid);
    }
}

#[test]
fn unprivileged_user_dumps_its_own_process() {
    let dir = TempDir::new("gcore-nobody");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let core = dir.path().join("mine.core");
    let p = spawn_with(&[], &[], true);
    let out = nobody(env!("CARGO_BIN_EXE_procsift"))
        .args(["gcore", &p.pid.to_string(), "-o", core.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&core).unwrap().uid(), 65534);
    assert_running(p.pid);
    check_core(&core, &p);
}

#[test]
fn capture_stores_a_core_that_verifies_and_reads_in_gdb() {
    let dir = TempDir::new("gcore-capture");
    let p = spawn(&[]);
    let tar = dir.path().join("ir.tar");
    let max = std::fs::read_to_string("/proc/sys/kernel/pid_max").unwrap();
    let out = bin()
        .args([
            "capture",
            "-o",
            tar.to_str().unwrap(),
            "--no-events",
            "--core",
        ])
        .arg(format!("{},{}", p.pid, max.trim()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("cores/{}.core: 3 threads", p.pid)),
        "{err}"
    );
    assert!(
        err.contains(&format!("no core of {}: no process", max.trim())),
        "{err}"
    );
    assert_running(p.pid);

    let v = bin()
        .args(["verify", tar.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));

    // The member, extracted, is the core gdb reads; its hash is the manifest's.
    let x = Command::new("tar")
        .args([
            "xf",
            tar.to_str().unwrap(),
            "-C",
            dir.path().to_str().unwrap(),
        ])
        .arg(format!("cores/{}.core", p.pid))
        .output()
        .unwrap();
    assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stderr));
    let core = dir.path().join(format!("cores/{}.core", p.pid));
    let sum = Command::new("sha256sum").arg(&core).output().unwrap();
    let sum = String::from_utf8_lossy(&sum.stdout);
    let manifest = Command::new("tar")
        .args(["xOf", tar.to_str().unwrap(), "manifest.json"])
        .output()
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&manifest.stdout).unwrap();
    let member = manifest["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == format!("cores/{}.core", p.pid))
        .unwrap();
    assert_eq!(
        member["sha256"].as_str().unwrap(),
        sum.split_whitespace().next().unwrap()
    );
    let failed = manifest["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == format!("cores/{}.core", max.trim()))
        .unwrap();
    assert_eq!(failed["error"], "ESRCH");
    assert_eq!(manifest["cores"][0]["pid"], p.pid);
    assert_eq!(manifest["cores"][0]["threads"], 3);
    assert_eq!(
        manifest["cores"][1]["error"],
        format!("no process {}", max.trim())
    );
    check_core(&core, &p);

    // Read in place from the archive, by `core --pid` and by a report's `--core`.
    let c = json(&[
        "core",
        tar.to_str().unwrap(),
        "--pid",
        &p.pid.to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(c["process"]["pid"], p.pid);
    assert_eq!(
        c["source"]["path"],
        format!("{}:cores/{}.core", tar.display(), p.pid)
    );
    // The only core is the default.
    let c = json(&["core", tar.to_str().unwrap(), "--format", "json"]);
    assert_eq!(c["process"]["pid"], p.pid);
    let t = json(&[
        "threads",
        tar.to_str().unwrap(),
        "--core",
        &p.pid.to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(t["threads"].as_array().unwrap().len(), 3);
    // The stored core is unwound in place too.
    assert_parked_backtraces(&backtraces(&[
        tar.to_str().unwrap(),
        "--core",
        &p.pid.to_string(),
    ]));
    let none = bin()
        .args(["core", tar.to_str().unwrap(), "--pid", max.trim()])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(
        stderr(&none).contains("the capture could not take it: no process"),
        "{}",
        stderr(&none)
    );
}

#[test]
fn unreadable_ranges_are_missing_not_zero() {
    // Two pages of a file mapping past the file's end: neither process_vm_readv nor /proc/PID/mem can
    // read them. --all, because the filter would leave this read-only file mapping to its file.
    let dir = TempDir::new("gcore-pasteof");
    let file = dir.path().join("short");
    let core = dir.path().join("c");
    let p = spawn(&["pasteof", file.to_str().unwrap()]);
    let past = p.past.expect("the fixture's pasteof mapping");
    let out = gcore(&[&p.pid.to_string(), "-o", core.to_str().unwrap(), "--all"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let range = format!("{:#x}-{:#x}", past + 4096, past + 3 * 4096);
    assert!(
        stderr(&out).contains(&format!("{range} could not be read (EIO)")),
        "{}",
        stderr(&out)
    );
    assert_running(p.pid);
    let c = json(&["core", core.to_str().unwrap(), "--format", "json"]);
    let missing = &c["core"]["live"]["missing"];
    assert_eq!(
        missing,
        &serde_json::json!([{"start": past + 4096, "end": past + 3 * 4096, "reason": "unreadable", "errno": "EIO"}])
    );
    assert_eq!(c["core"]["live"]["all"], true);
    assert!(
        c["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["message"].as_str().unwrap().contains(&range)),
        "{}",
        c["warnings"]
    );
    // The readable first page is in the core, the rest is a segment with no bytes.
    let r = Command::new("readelf")
        .arg("-lW")
        .arg(&core)
        .output()
        .unwrap();
    let r = String::from_utf8_lossy(&r.stdout);
    let seg = |vaddr: u64| {
        r.lines()
            .find(|l| l.contains("LOAD") && l.contains(&format!("{vaddr:#018x}")))
            .map(|l| l.split_whitespace().nth(4).unwrap().to_string())
    };
    assert_eq!(seg(past).as_deref(), Some("0x001000"), "{r}");
    assert_eq!(seg(past + 4096).as_deref(), Some("0x000000"), "{r}");
    let g = gdb(&core, &[&format!("x/4c {past:#x}")]);
    assert!(g.contains("80 'P'"), "{g}");
}

/// A guard region (MADV_GUARD_INSTALL) in a mapping whose other pages are all resident: gcore reads such
/// a mapping without asking its pagemap, fails on the guard page, and must then find it absent (zeros,
/// as the pagemap path says), not unreadable: no warning, no missing range, the pages on either side in
/// place.
#[test]
fn a_guard_page_in_a_resident_mapping_is_zeros_not_unreadable() {
    let dir = TempDir::new("gcore-guard");
    let core = dir.path().join("c");
    let p = spawn(&["guard"]);
    let Some(guard) = p.guard else {
        eprintln!("skipped: this kernel has no guard regions (MADV_GUARD_INSTALL, Linux 6.13)");
        return;
    };
    let out = gcore(&[&p.pid.to_string(), "-o", core.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("could not be read"),
        "{}",
        stderr(&out)
    );
    assert_running(p.pid);
    let c = json(&["core", core.to_str().unwrap(), "--format", "json"]);
    let live = &c["core"]["live"];
    assert!(
        live.get("missing")
            .is_none_or(|m| m.as_array().is_some_and(Vec::is_empty)),
        "{live}"
    );
    let page = |k: u64| format!("x/2c {:#x}", guard + k * 4096);
    let g = gdb(&core, &[&page(4), &page(5), &page(6)]);
    let lines: Vec<&str> = g.lines().filter(|l| l.starts_with("0x")).collect();
    assert_eq!(lines.len(), 3, "{g}");
    assert!(lines[0].contains("71 'G'"), "{g}");
    assert!(lines[1].contains("0 '\\000'"), "{g}");
    assert!(lines[2].contains("71 'G'"), "{g}");
}
