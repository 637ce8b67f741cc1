//! `procsift diff`: live processes the test controls make known changes between two captures, and each
//! change must be reported exactly, with nothing else for those processes. Pid reuse and a different boot
//! are built as /proc-shaped directories. Needs root (setpriv, unshare, seteuid) and gcc.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use common::{TempDir, bin, manifest_text};
use serde_json::{Value, json};

/// A running testdata/fixtures/puppet.c.
struct Puppet {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    pid: i32,
}

impl Puppet {
    fn start(mut cmd: Command) -> Puppet {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the puppet");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        let mut p = Puppet {
            child,
            input,
            output,
            pid: 0,
        };
        p.pid = p.ready();
        assert_eq!(p.pid as u32, p.child.id());
        p
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }

    fn ready(&mut self) -> i32 {
        let line = self.line();
        line.strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("puppet said {line:?}"))
    }

    /// Sends a command and returns what follows `ok`.
    fn send(&mut self, cmd: &str) -> String {
        writeln!(self.input, "{cmd}").unwrap();
        let reply = self.line();
        match reply.strip_prefix("ok") {
            Some(rest) => rest.trim().to_string(),
            None => panic!("puppet {}: {cmd:?} -> {reply:?}", self.pid),
        }
    }

    /// Sends an `exec` of a puppet and waits until the new program is ready.
    fn exec(&mut self, cmd: &str) {
        writeln!(self.input, "{cmd}").unwrap();
        assert_eq!(self.ready(), self.pid);
    }
}

impl Drop for Puppet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn gcc(args: &[&std::ffi::OsStr]) {
    let out = Command::new("gcc")
        .args(args)
        .output()
        .expect("run gcc (apt-get install gcc)");
    assert!(
        out.status.success(),
        "gcc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn capture(path: &Path) {
    let out = bin().arg("capture").arg("-o").arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `procsift diff ARGS`; returns the exit code and stdout. The output (stdout, stderr, exit code) is
/// also that of the reference read, both models whole (`PROCSIFT_FULL_READ`).
fn diff(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = bin()
        .arg("diff")
        .args(args)
        .env_remove("PROCSIFT_FULL_READ")
        .output()
        .unwrap();
    let whole = bin()
        .arg("diff")
        .args(args)
        .env("PROCSIFT_FULL_READ", "1")
        .output()
        .unwrap();
    assert!(
        (&out.stdout, &out.stderr, out.status.code())
            == (&whole.stdout, &whole.stderr, whole.status.code()),
        "diff {args:?} streamed differs from the whole read:\n{}\n---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&whole.stdout)
    );
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "diff {args:?}: {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, String::from_utf8(out.stdout).unwrap())
}

fn link(path: impl AsRef<Path>) -> String {
    std::fs::read_link(path.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
        .to_string_lossy()
        .into_owned()
}

fn ns_inode(pid: i32, ns: &str) -> u64 {
    let l = link(format!("/proc/{pid}/ns/{ns}"));
    l[ns.len() + 2..l.len() - 1].parse().unwrap()
}

/// Uid, Gid (4 ids each) and Groups of /proc/<pid>/status, as the diff names them.
fn ids(pid: i32) -> BTreeMap<&'static str, Value> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let mut m = BTreeMap::new();
    for line in status.lines() {
        let (k, v) = line.split_once(':').unwrap();
        if !matches!(k, "Uid" | "Gid" | "Groups") {
            continue;
        }
        let nums: Vec<u32> = v.split_whitespace().map(|x| x.parse().unwrap()).collect();
        let names: &[&'static str] = match k {
            "Uid" => &["uid", "euid", "suid", "fsuid"],
            "Gid" => &["gid", "egid", "sgid", "fsgid"],
            "Groups" => {
                m.insert("groups", json!(nums));
                continue;
            }
            _ => continue,
        };
        for (n, v) in names.iter().zip(nums) {
            m.insert(*n, json!(v));
        }
    }
    m
}

/// The credential changes between two readings of the ids, as the diff must report them.
fn id_changes(a: &BTreeMap<&str, Value>, b: &BTreeMap<&str, Value>) -> Vec<Expected> {
    let order = [
        "uid", "euid", "suid", "fsuid", "gid", "egid", "sgid", "fsgid", "groups",
    ];
    order
        .iter()
        .filter(|k| a[*k] != b[*k])
        .map(|k| {
            let gained = *k != "groups" && b[*k] == json!(0);
            exp("credentials", k, a[*k].clone(), b[*k].clone(), gained)
        })
        .collect()
}

/// `(kind, field, old, new, highlight)`.
type Expected = (String, String, Value, Value, bool);

fn exp(kind: &str, field: &str, old: Value, new: Value, highlight: bool) -> Expected {
    (kind.into(), field.into(), old, new, highlight)
}

const RESOURCES: [&str; 3] = ["cpu", "memory", "io"];

#[test]
fn known_changes_are_reported_exactly() {
    let dir = TempDir::new("diff");
    let d = std::fs::canonicalize(dir.path()).unwrap();
    let puppet = d.join("puppet");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/puppet.c");
    gcc(&[
        "-O1".as_ref(),
        "-pthread".as_ref(),
        "-o".as_ref(),
        puppet.as_os_str(),
        src.as_os_str(),
    ]);
    let puppet2 = d.join("puppet-two");
    std::fs::copy(&puppet, &puppet2).unwrap();
    let lib_src = d.join("tiny.c");
    std::fs::write(&lib_src, "int tiny(void) { return 42; }\n").unwrap();
    let lib = d.join("libtiny.so");
    gcc(&[
        "-shared".as_ref(),
        "-fPIC".as_ref(),
        "-o".as_ref(),
        lib.as_os_str(),
        lib_src.as_os_str(),
    ]);
    let held = d.join("held.txt");
    let opened = d.join("opened.txt");
    let workdir = d.join("workdir");
    std::fs::write(&held, "x").unwrap();
    std::fs::write(&opened, "y").unwrap();
    std::fs::create_dir(&workdir).unwrap();
    let p = puppet.to_str().unwrap();
    let plain = || Command::new(&puppet);
    let cmdline = p.to_string();

    let idle = Puppet::start(plain());
    let mut exiter = Puppet::start(plain());
    let mut execer = Puppet::start(plain());
    let mut chdirer = Puppet::start(plain());
    let mut opener = Puppet::start(plain());
    let mut closer = Puppet::start(plain());
    let held_fd = closer.send(&format!("open {}", held.display()));
    let mut listener = Puppet::start(plain());
    let mut dlopener = Puppet::start(plain());
    let mut unsharer = Puppet::start(plain());
    let mut threader = Puppet::start(plain());
    let mut limiter = Puppet::start(plain());
    let mut dropper = Puppet::start(plain());
    let mut gainer = Puppet::start({
        let mut c = Command::new("setpriv");
        c.args(["--euid", "1000"]).arg(&puppet);
        c
    });
    let mut burner = Puppet::start(plain());
    let uts_before = ns_inode(unsharer.pid, "uts");
    let ids_before = [ids(dropper.pid), ids(gainer.pid)];

    let a = d.join("a.tar");
    capture(&a);

    let started = Puppet::start(plain());
    writeln!(exiter.input, "exit").unwrap();
    let exiter_pid = exiter.pid;
    exiter.child.wait().unwrap(); // reaped: no zombie left in the second capture
    execer.exec(&format!("exec {} puppet-two renamed", puppet2.display()));
    chdirer.send(&format!("chdir {}", workdir.display()));
    let opened_fd = opener.send(&format!("open {}", opened.display()));
    closer.send(&format!("close {held_fd}"));
    let reply = listener.send("listen");
    let (listen_fd, port) = reply.split_once(' ').unwrap();
    dlopener.send(&format!("dlopen {}", lib.display()));
    unsharer.send("unshare-uts");
    threader.send("thread");
    limiter.send("nofile 512 1024");
    dropper.exec(&format!(
        "exec /usr/bin/setpriv setpriv --reuid=65534 --regid=65534 --clear-groups -- {p}"
    ));
    gainer.send("seteuid 0");
    burner.send("burn 300");
    burner.send("alloc 64");
    burner.send(&format!("write {}/written 1048576", d.display()));
    let uts_after = ns_inode(unsharer.pid, "uts");
    let ids_after = [ids(dropper.pid), ids(gainer.pid)];
    let socket = link(format!("/proc/{}/fd/{listen_fd}", listener.pid));

    let b = d.join("b.tar");
    capture(&b);

    let (code, out) = diff(&[
        a.as_os_str(),
        b.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["report"], "diff");
    assert_eq!(doc["same_boot"], true);
    assert_eq!(doc["interval_source"], "capture start times");
    assert!(doc["interval_secs"].as_f64().unwrap() > 0.0);

    // The puppets run from /tmp: `check` findings (exe-writable-dir) that are new in b.tar are the
    // started puppet's, the execer's (a new program, puppet-two) and the dlopener's library from /tmp;
    // the others had theirs in both snapshots. Findings are compared on their own, for this test's
    // puppets (the other tests of this file run theirs at the same time).
    let ours: Vec<i64> = [
        idle.pid,
        exiter_pid,
        execer.pid,
        chdirer.pid,
        opener.pid,
        closer.pid,
        listener.pid,
        dlopener.pid,
        unsharer.pid,
        threader.pid,
        limiter.pid,
        dropper.pid,
        gainer.pid,
        burner.pid,
        started.pid,
    ]
    .iter()
    .map(|p| i64::from(*p))
    .collect();
    let mut new_findings: Vec<(i64, &str)> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "findings")
        .filter(|c| c["pid"].as_i64().is_some_and(|p| ours.contains(&p)))
        .map(|c| {
            (
                c["pid"].as_i64().unwrap_or(-1),
                c["field"].as_str().unwrap(),
            )
        })
        .collect();
    new_findings.sort();
    let mut want = vec![
        (i64::from(started.pid), "exe-writable-dir"),
        (i64::from(execer.pid), "exe-writable-dir"),
        (i64::from(dlopener.pid), "library-writable-dir"),
    ];
    want.sort();
    assert_eq!(new_findings, want);
    let mut by_pid: BTreeMap<i64, Vec<&Value>> = BTreeMap::new();
    for c in doc["changes"].as_array().unwrap() {
        if c["kind"] == "findings" {
            continue;
        }
        if let Some(pid) = c["pid"].as_i64() {
            by_pid.entry(pid).or_default().push(c);
        }
    }
    let got = |pid: i32| -> Vec<Expected> {
        by_pid
            .get(&i64::from(pid))
            .into_iter()
            .flatten()
            .filter(|c| !RESOURCES.contains(&c["kind"].as_str().unwrap()))
            .map(|c| {
                exp(
                    c["kind"].as_str().unwrap(),
                    c["field"].as_str().unwrap(),
                    c["old"].clone(),
                    c["new"].clone(),
                    c["highlight"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let s = |x: &Path| json!(x.to_str().unwrap());

    // Nothing at all happened to this one, not even a resource delta.
    assert_eq!(by_pid.get(&i64::from(idle.pid)), None);
    assert_eq!(
        got(exiter_pid),
        [exp("exited", "process", json!(cmdline), Value::Null, false)]
    );
    assert_eq!(
        got(started.pid),
        [exp(
            "started",
            "process",
            Value::Null,
            json!(cmdline),
            false
        )]
    );
    assert_eq!(
        got(execer.pid),
        [
            exp("exec", "exe", json!(p), s(&puppet2), false),
            exp(
                "exec",
                "argv",
                json!([p]),
                json!(["puppet-two", "renamed"]),
                false
            ),
            exp("exec", "comm", json!("puppet"), json!("puppet-two"), false),
        ]
    );
    assert_eq!(
        got(chdirer.pid),
        [exp(
            "cwd",
            "cwd",
            json!(std::env::current_dir().unwrap().to_str().unwrap()),
            s(&workdir),
            false
        )]
    );
    assert_eq!(
        got(opener.pid),
        [exp(
            "fds",
            &format!("fd/{opened_fd}"),
            Value::Null,
            s(&opened),
            false
        )]
    );
    assert_eq!(
        got(closer.pid),
        [exp(
            "fds",
            &format!("fd/{held_fd}"),
            s(&held),
            Value::Null,
            false
        )]
    );
    assert_eq!(
        got(listener.pid),
        [exp(
            "sockets",
            &format!("fd/{listen_fd}"),
            Value::Null,
            json!(format!("tcp 127.0.0.1:{port} LISTEN {socket}")),
            true
        )]
    );
    assert_eq!(
        got(dlopener.pid),
        [exp("maps", "map", Value::Null, s(&lib), false)]
    );
    assert_eq!(
        got(unsharer.pid),
        [exp(
            "namespaces",
            "ns/uts",
            json!(uts_before),
            json!(uts_after),
            false
        )]
    );
    // pid 1 stands for the host; a sandbox may not let us read its namespaces.
    if std::fs::read_link("/proc/1/ns/uts").is_ok() && ns_inode(1, "uts") == uts_before {
        let c = by_pid[&i64::from(unsharer.pid)]
            .iter()
            .find(|c| c["kind"] == "namespaces")
            .unwrap();
        assert_eq!(c["note"], "left the host's uts namespace");
    }
    assert_eq!(
        got(threader.pid),
        [exp("threads", "nlwp", json!(1), json!(2), false)]
    );
    let limit = got(limiter.pid);
    assert_eq!(limit.len(), 1, "{limit:?}");
    assert_eq!(
        (&limit[0].0, &limit[0].1, &limit[0].3),
        (
            &"limits".to_string(),
            &"limit/Max open files".to_string(),
            &json!({"soft": 512, "hard": 1024})
        )
    );
    let dropped = id_changes(&ids_before[0], &ids_after[0]);
    assert!(dropped.len() >= 8, "setpriv changed {dropped:?}");
    assert!(dropped.iter().all(|c| !c.4), "a drop is not a gain");
    assert_eq!(got(dropper.pid), dropped);
    let gained = id_changes(&ids_before[1], &ids_after[1]);
    assert_eq!(
        gained,
        [
            exp("credentials", "euid", json!(1000), json!(0), true),
            exp("credentials", "fsuid", json!(1000), json!(0), true),
        ]
    );
    assert_eq!(got(gainer.pid), gained);

    // Resource deltas of the process that burned CPU, grew and wrote.
    assert_eq!(got(burner.pid), []);
    let res: BTreeMap<&str, &Value> = by_pid[&i64::from(burner.pid)]
        .iter()
        .map(|c| (c["field"].as_str().unwrap(), *c))
        .collect();
    let cpu = res["cpu_time"];
    assert!(cpu["delta"].as_f64().unwrap() >= 0.25, "{cpu}");
    assert!(cpu["rate"].as_f64().unwrap() > 0.0, "{cpu}");
    let rss = res["rss_kib"];
    assert!(rss["delta"].as_i64().unwrap() >= 60 * 1024, "{rss}");
    let wchar = res["wchar"];
    assert!(wchar["delta"].as_i64().unwrap() >= 1 << 20, "{wchar}");
    let want = wchar["delta"].as_f64().unwrap() / doc["interval_secs"].as_f64().unwrap();
    assert!(
        (wchar["rate"].as_f64().unwrap() - want).abs() < want * 1e-9,
        "{wchar}"
    );

    // The same pair through the options and the other formats.
    let pid_arg = |p: &Puppet| p.pid.to_string();
    let (code, out) = diff(&[
        a.as_os_str(),
        b.as_os_str(),
        "--pid".as_ref(),
        pid_arg(&idle).as_ref(),
    ]);
    assert_eq!(
        (code, out.lines().last()),
        (0, Some("no differences")),
        "{out}"
    );
    let (code, out) = diff(&[
        a.as_os_str(),
        b.as_os_str(),
        "--ignore-volatile".as_ref(),
        "--pid".as_ref(),
        format!("{},{}", idle.pid, listener.pid).as_ref(),
    ]);
    assert_eq!(code, 1);
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(&format!(" {} ", listener.pid)))
        .collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(rows[0].starts_with('!'), "{out}");
    let (code, out) = diff(&[
        a.as_os_str(),
        b.as_os_str(),
        "--only".as_ref(),
        "credentials".as_ref(),
        "--pid".as_ref(),
        format!("{},{}", gainer.pid, burner.pid).as_ref(),
        "--format".as_ref(),
        "ndjson".as_ref(),
    ]);
    assert_eq!(code, 1);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &Value| v.get("warning").is_none())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines
            .iter()
            .all(|l| l["pid"] == gainer.pid && l["highlight"] == true)
    );
    let (code, out) = diff(&[
        a.as_os_str(),
        b.as_os_str(),
        "--only".as_ref(),
        "cwd".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
    ]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("pid,start_time,comm,kind,field,old,new,"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("{},", chdirer.pid)) && l.contains(",cwd,cwd,"))
    );
    // A snapshot against itself.
    let (code, _) = diff(&[a.as_os_str(), a.as_os_str()]);
    assert_eq!(code, 0);
}

/// A minimal /proc-shaped directory: boot id, btime, uptime, and processes `(pid, comm, starttime)`.
fn proc_tree(dir: &Path, boot_id: &str, btime: u64, uptime: f64, procs: &[(i32, &str, u64)]) {
    std::fs::create_dir_all(dir.join("sys/kernel/random")).unwrap();
    std::fs::write(
        dir.join("sys/kernel/random/boot_id"),
        format!("{boot_id}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("stat"),
        format!("cpu 1 2 3 4\ncpu0 1 2 3 4\nbtime {btime}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("uptime"), format!("{uptime:.2} 10.00\n")).unwrap();
    for (pid, comm, start) in procs {
        let p = dir.join(pid.to_string());
        std::fs::create_dir(&p).unwrap();
        std::fs::write(
            p.join("stat"),
            format!(
                "{pid} ({comm}) S 1 {pid} {pid} 0 -1 4194304 0 0 0 0 250 50 0 0 20 0 1 0 {start} 1000000 100 0\n"
            ),
        )
        .unwrap();
        std::fs::write(
            p.join("status"),
            format!("Name:\t{comm}\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t1\n"),
        )
        .unwrap();
        std::fs::write(p.join("cmdline"), format!("/usr/bin/{comm}\0")).unwrap();
    }
}

fn json_diff(a: &Path, b: &Path) -> (i32, Value) {
    let (code, out) = diff(&[
        a.as_os_str(),
        b.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    (code, serde_json::from_str(&out).unwrap())
}

fn kinds(doc: &Value) -> Vec<(Value, String, String)> {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["pid"].clone(),
                c["kind"].as_str().unwrap().to_string(),
                c["field"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn reused_pid_is_an_exit_and_a_start() {
    let dir = TempDir::new("reuse");
    let (a, b): (PathBuf, PathBuf) = (dir.path().join("a"), dir.path().join("b"));
    let boot = "3f1b0c8e-0000-4000-8000-000000000001";
    proc_tree(
        &a,
        boot,
        1_795_350_000,
        1000.0,
        &[
            (1, "init", 5),
            (300, "olddaemon", 50_000),
            (400, "stays", 60_000),
        ],
    );
    proc_tree(
        &b,
        boot,
        1_795_350_000,
        1100.0,
        &[
            (1, "init", 5),
            (300, "newdaemon", 99_000),
            (400, "stays", 60_000),
        ],
    );
    let (code, doc) = json_diff(&a, &b);
    assert_eq!(code, 1);
    assert_eq!(doc["same_boot"], true);
    assert_eq!(doc["interval_source"], "uptime");
    assert_eq!(doc["interval_secs"], 100.0);
    assert_eq!(
        kinds(&doc),
        [
            (json!(300), "exited".into(), "process".into()),
            (json!(300), "started".into(), "process".into()),
        ]
    );
    let c = &doc["changes"];
    assert_eq!(c[0]["old"], "/usr/bin/olddaemon");
    assert_eq!(c[0]["comm"], "olddaemon");
    assert_eq!(c[0]["start_time"], "2026-11-22T12:28:20Z"); // btime + 50000 ticks / 100
    assert_eq!(c[1]["new"], "/usr/bin/newdaemon");
    assert_eq!(c[1]["start_time"], "2026-11-22T12:36:30Z");
    assert!(c[0]["note"].as_str().unwrap().contains("pid reused"));
    assert!(c[1]["note"].as_str().unwrap().contains("pid reused"));
    let (code, out) = diff(&[a.as_os_str(), b.as_os_str()]);
    assert_eq!(code, 1);
    assert!(out.contains("interval: 100.000 s (uptime)"), "{out}");
}

#[test]
fn different_boots_are_said_to_be_so() {
    let dir = TempDir::new("boots");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let procs = [(1, "init", 5), (300, "daemon", 50_000)];
    proc_tree(
        &a,
        "3f1b0c8e-0000-4000-8000-00000000000a",
        1_795_350_000,
        1000.0,
        &procs,
    );
    proc_tree(
        &b,
        "3f1b0c8e-0000-4000-8000-00000000000b",
        1_795_360_000,
        900.0,
        &procs,
    );
    let (code, doc) = json_diff(&a, &b);
    assert_eq!(code, 1);
    assert_eq!(doc["same_boot"], false);
    assert!(doc["interval_secs"].is_null());
    assert!(
        doc["interval_source"]
            .as_str()
            .unwrap()
            .starts_with("unknown")
    );
    assert!(
        doc["notes"][0]
            .as_str()
            .unwrap()
            .contains("different boots"),
        "{doc}"
    );
    assert_eq!(
        kinds(&doc),
        [
            (Value::Null, "system".into(), "boot_id".into()),
            (json!(1), "exited".into(), "process".into()),
            (json!(1), "started".into(), "process".into()),
            (json!(300), "exited".into(), "process".into()),
            (json!(300), "started".into(), "process".into()),
        ]
    );
    assert!(
        doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["note"].as_str().is_none_or(|n| !n.contains("reused")))
    );
    let (_, out) = diff(&[a.as_os_str(), b.as_os_str()]);
    assert!(
        out.contains("note: the snapshots are of different boots"),
        "{out}"
    );
    assert!(out.contains("interval: unknown"), "{out}");
    // The same tree against itself: no differences.
    let (code, out) = diff(&[a.as_os_str(), a.as_os_str()]);
    assert_eq!((code, out.lines().last()), (0, Some("no differences")));
}

#[test]
fn trouble_is_exit_status_2() {
    let dir = TempDir::new("trouble");
    let a = dir.path().join("a");
    let missing = dir.path().join("missing");
    proc_tree(&a, "x", 1_795_350_000, 1.0, &[(1, "init", 5)]);
    for args in [
        vec![a.as_os_str(), missing.as_os_str()],
        vec![
            a.as_os_str(),
            a.as_os_str(),
            "--only".as_ref(),
            "bogus".as_ref(),
        ],
    ] {
        let out = bin()
            .arg("diff")
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: "), "{err}");
    }
    // A core against a snapshot without its process: nothing to compare. Against itself: no change.
    let core = common::corpus("linux/lldb-gcore-linux-x86_64.core");
    let out = bin().arg("diff").arg(&a).arg(&core).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to compare"));
    let (code, out) = diff(&[core.as_os_str(), core.as_os_str()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("note: a core holds one process"), "{out}");
}

/// A tar archive of a host (`proc/...`, `etc/...`) with one process, pid 100, whose descriptor 3 is
/// the TCP socket of inode 4242: `state` is that socket's state in `proc/net/tcp` (`0A` listening, `01`
/// established), `user` the name `etc/passwd` gives uid 1000, `uptime` the host's.
fn host_tar(dir: &Path, name: &str, state: &str, user: &str, uptime: f64) -> PathBuf {
    let root = dir.join(name);
    let p = root.join("proc/100");
    std::fs::create_dir_all(p.join("fd")).unwrap();
    std::fs::create_dir_all(root.join("proc/net")).unwrap();
    std::fs::create_dir_all(root.join("proc/sys/kernel/random")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let write = |path: &str, text: String| std::fs::write(root.join(path), text).unwrap();
    write(
        "proc/sys/kernel/random/boot_id",
        "0a0a0a0a-1111-2222-3333-444444444444\n".into(),
    );
    write(
        "proc/stat",
        "cpu 1 2 3 4\ncpu0 1 2 3 4\nbtime 1700000000\n".into(),
    );
    write("proc/uptime", format!("{uptime:.2} 10.00\n"));
    write(
        "etc/passwd",
        format!("root:x:0:0::/root:/bin/sh\n{user}:x:1000:1000::/home/{user}:/bin/sh\n"),
    );
    write("etc/group", "root:x:0:\nstaff:x:1000:\n".into());
    write(
        "proc/net/tcp",
        format!(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
             0: 0100007F:1F90 0200007F:D431 {state} 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n"
        ),
    );
    write(
        "proc/100/stat",
        "100 (server) S 1 100 100 0 -1 4194304 0 0 0 0 250 50 0 0 20 0 1 0 500 1000000 100 0\n"
            .into(),
    );
    write(
        "proc/100/status",
        "Name:\tserver\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nThreads:\t1\n"
            .into(),
    );
    write("proc/100/cmdline", "/usr/bin/server\0".into());
    std::os::unix::fs::symlink("socket:[4242]", p.join("fd/3")).unwrap();
    let tar = dir.join(format!("{name}.tar"));
    let st = Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&tar)
        .args(["proc", "etc"])
        .status()
        .expect("run tar");
    assert!(st.success());
    tar
}

/// A process whose own members are byte-identical in both archives still changes when what its model
/// joins from outside them changes: the state of its socket in `proc/net/tcp`. (A comparison that took
/// OLD's model for the processes whose members are unchanged without looking at the shared members
/// reported nothing.)
#[test]
fn unchanged_members_with_a_changed_socket_table_are_a_change() {
    let dir = TempDir::new("shared-members");
    let a = host_tar(dir.path(), "a", "0A", "alice", 1000.0);
    let b = host_tar(dir.path(), "b", "01", "alice", 1060.0);
    let (code, doc) = json_diff(&a, &b);
    assert_eq!(code, 1, "{doc}");
    let socket: Vec<_> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["pid"] == 100 && c["kind"] == "sockets" && c["field"] == "fd/3")
        .collect();
    assert_eq!(socket.len(), 1, "{doc}");
    let (old, new) = (socket[0]["old"].to_string(), socket[0]["new"].to_string());
    assert!(
        old.contains("LISTEN") && new.contains("ESTABLISHED"),
        "{old} -> {new}"
    );

    // The same members and the same shared members: nothing about pid 100.
    let d = host_tar(dir.path(), "d", "0A", "alice", 1120.0);
    let (_, doc) = json_diff(&a, &d);
    assert!(
        doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["pid"] != 100),
        "{doc}"
    );
}

/// A child killed and reaped when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A tar archive of a host with the processes `procs`: `(pid, ppid, comm, start, environ, exe)`.
#[allow(clippy::type_complexity)]
fn procs_tar(
    dir: &Path,
    name: &str,
    uptime: f64,
    procs: &[(i32, i32, &str, u64, &str, &str)],
) -> PathBuf {
    let root = dir.join(name);
    std::fs::create_dir_all(root.join("proc/sys/kernel/random")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let write = |path: &str, text: &str| std::fs::write(root.join(path), text).unwrap();
    write(
        "proc/sys/kernel/random/boot_id",
        "0a0a0a0a-1111-2222-3333-444444444444\n",
    );
    write("proc/stat", "cpu 1 2 3 4\ncpu0 1 2 3 4\nbtime 1700000000\n");
    write("proc/uptime", &format!("{uptime:.2} 10.00\n"));
    write("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    write("etc/group", "root:x:0:\n");
    for (pid, ppid, comm, start, environ, exe) in procs {
        let p = format!("proc/{pid}");
        std::fs::create_dir_all(root.join(&p)).unwrap();
        write(
            &format!("{p}/stat"),
            &format!(
                "{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194304 0 0 0 0 250 50 0 0 20 0 1 0 {start} 1000000 100 0\n"
            ),
        );
        write(
            &format!("{p}/status"),
            &format!(
                "Name:\t{comm}\nPPid:\t{ppid}\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t1\n"
            ),
        );
        write(&format!("{p}/cmdline"), &format!("{exe}\0"));
        write(&format!("{p}/environ"), &environ.replace(' ', "\0"));
        std::os::unix::fs::symlink(exe, root.join(&p).join("exe")).unwrap();
    }
    let tar = dir.join(format!("{name}.tar"));
    let st = Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&tar)
        .args(["proc", "etc"])
        .status()
        .expect("run tar");
    assert!(st.success());
    tar
}

/// The findings of NEW that OLD lacks, with processes changed, started, exited and unchanged: an
/// unchanged process (its members byte-identical, so its records are read once, from OLD) gains a
/// finding only because its parent changed, and an unchanged process's finding present in both is no
/// change. The whole output is also that of both models built whole (see `diff`).
#[test]
fn findings_of_unchanged_processes_follow_their_changed_parent() {
    let dir = TempDir::new("shared-findings");
    let preload = "PATH=/bin LD_PRELOAD=/opt/hook.so";
    let old = procs_tar(
        dir.path(),
        "old",
        1000.0,
        &[
            (1, 0, "init", 1, "PATH=/bin", "/sbin/init"),
            // The parent that set LD_PRELOAD: the finding is its, the child inherited it.
            (200, 1, "launcher", 300, preload, "/usr/bin/launcher"),
            (201, 200, "worker", 310, preload, "/usr/bin/worker"),
            // Runs from /tmp in both: a finding of OLD and NEW, no change.
            (300, 1, "tool", 320, "PATH=/bin", "/tmp/tool"),
            // Exits.
            (400, 1, "gone", 330, "PATH=/bin", "/usr/bin/gone"),
            // Changes its command line.
            (500, 1, "svc", 340, "PATH=/bin", "/usr/bin/svc"),
        ],
    );
    let new = procs_tar(
        dir.path(),
        "new",
        1060.0,
        &[
            (1, 0, "init", 1, "PATH=/bin", "/sbin/init"),
            // Its environment as read changed: LD_PRELOAD is the worker's own now.
            (200, 1, "launcher", 300, "PATH=/bin", "/usr/bin/launcher"),
            (201, 200, "worker", 310, preload, "/usr/bin/worker"),
            (300, 1, "tool", 320, "PATH=/bin", "/tmp/tool"),
            (500, 1, "svc", 340, "PATH=/bin", "/usr/bin/svc2"),
            // Starts, from /dev/shm.
            (600, 1, "dropper", 1040, "PATH=/bin", "/dev/shm/dropper"),
        ],
    );
    let (code, doc) = json_diff(&old, &new);
    assert_eq!(code, 1, "{doc}");
    let findings: Vec<(Value, String)> = kinds(&doc)
        .into_iter()
        .filter(|(_, kind, _)| kind == "findings")
        .map(|(pid, _, rule)| (pid, rule))
        .collect();
    assert_eq!(
        findings,
        vec![
            (json!(201), "ld-preload".to_string()),
            (json!(600), "exe-writable-dir".to_string()),
        ],
        "{doc}"
    );
    let has = |pid: i32, kind: &str| {
        kinds(&doc)
            .iter()
            .any(|(p, k, _)| *p == json!(pid) && k == kind)
    };
    assert!(
        has(400, "exited") && has(600, "started") && has(500, "exec"),
        "{doc}"
    );
    // Nothing but its new finding about the unchanged worker, nothing about the unchanged tool.
    assert!(
        kinds(&doc)
            .iter()
            .all(|(p, k, _)| *p != json!(300) && (*p != json!(201) || k == "findings")),
        "{doc}"
    );
    // The table says the same.
    let (code, table) = diff(&[old.as_os_str(), new.as_os_str()]);
    assert_eq!(code, 1);
    assert!(table.contains("ld-preload"), "{table}");
    // check's rule options choose what the findings kind compares: an allowlist leaves the dropper's
    // finding out (its other changes stay), --rules keeps only the rules named, --skip drops one.
    let allow = dir.path().join("allow.txt");
    std::fs::write(&allow, "# reviewed\nexe-writable-dir /dev/shm/*\n").unwrap();
    let only = |extra: &[&str]| {
        let mut args = vec![
            old.as_os_str(),
            new.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        let (code, out) = diff(&args);
        let doc: Value = serde_json::from_str(&out).unwrap();
        let found: Vec<(Value, String)> = kinds(&doc)
            .into_iter()
            .filter(|(_, kind, _)| kind == "findings")
            .map(|(pid, _, rule)| (pid, rule))
            .collect();
        (code, found, kinds(&doc).len())
    };
    let all = kinds(&doc).len();
    let allowed = only(&["--allow", allow.to_str().unwrap()]);
    assert_eq!(
        allowed,
        (1, vec![(json!(201), "ld-preload".to_string())], all - 1)
    );
    assert_eq!(
        only(&["--rules", "exe-writable-dir"]).1,
        vec![(json!(600), "exe-writable-dir".to_string())]
    );
    assert_eq!(
        only(&["--skip", "ld-preload,exe-writable-dir"]),
        (1, vec![], all - 2)
    );
    // An unknown rule is a usage error, before anything is read.
    let out = bin()
        .args(["diff", "--rules", "no-such-rule"])
        .args([&old, &new])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no-such-rule"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A capture records one digest per process: the same in two captures for a process that did not
/// change (a static program asleep in pause(2): none of its members changes, not even the
/// proportional set size of `smaps_rollup`, which counts pages shared with other programs), another
/// for one that did (it changed its directory). `diff` decides the unchanged
/// processes from them (NEW is read without their members) and says the same as the reference read
/// (`PROCSIFT_FULL_READ`) and as for the same archives without digests (as written before, compared
/// byte for byte); `verify` reports a digest that does not match the members.
#[test]
fn process_digests_tell_the_unchanged_processes() {
    let dir = TempDir::new("digests");
    let d = std::fs::canonicalize(dir.path()).unwrap();
    let puppet = d.join("puppet");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/puppet.c");
    gcc(&[
        "-O1".as_ref(),
        "-pthread".as_ref(),
        "-o".as_ref(),
        puppet.as_os_str(),
        src.as_os_str(),
    ]);
    let idle_bin = d.join("idle");
    let idle_src = d.join("idle.c");
    std::fs::write(
        &idle_src,
        "#include <unistd.h>\nint main(void) { pause(); return 0; }\n",
    )
    .unwrap();
    gcc(&[
        "-static".as_ref(),
        "-O1".as_ref(),
        "-o".as_ref(),
        idle_bin.as_os_str(),
        idle_src.as_os_str(),
    ]);
    let workdir = d.join("workdir");
    std::fs::create_dir(&workdir).unwrap();
    // Its own /dev/null (a descriptor shared with the test's output would move its `fdinfo` position).
    let idle = Killed(
        Command::new(&idle_bin)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let idle_pid = idle.0.id() as i32;
    // Asleep in pause(2) (its program loaded and started).
    while !std::fs::read_to_string(format!("/proc/{idle_pid}/stat"))
        .unwrap()
        .contains(") S ")
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut mover = Puppet::start(Command::new(&puppet));
    let a = d.join("a.tar");
    capture(&a);
    mover.send(&format!("chdir {}", workdir.display()));
    let b = d.join("b.tar");
    capture(&b);

    let digests = |p: &Path| -> Value {
        let (_, text) = manifest_text(&std::fs::read(p).unwrap());
        if let Some(at) = text.find("\"process_digests\"") {
            assert!(at < text.find("\"members\"").unwrap());
        }
        let v: Value = serde_json::from_str(&text).unwrap();
        v["process_digests"].clone()
    };
    let (da, db) = (digests(&a), digests(&b));
    let of = |v: &Value, pid: i32| v[pid.to_string()].as_str().unwrap().to_string();
    assert_eq!(of(&da, idle_pid).len(), 64);
    assert_eq!(of(&da, idle_pid), of(&db, idle_pid));
    assert_ne!(of(&da, mover.pid), of(&db, mover.pid));

    // The same archives without the digests (blanked, so that every offset stays right).
    let plain = d.join("plain");
    std::fs::create_dir(&plain).unwrap();
    let strip = |p: &Path| -> PathBuf {
        let mut bytes = std::fs::read(p).unwrap();
        let (at, text) = manifest_text(&bytes);
        let from = text.find("\"process_digests\"").unwrap();
        let to = from + text[from..].find("},").unwrap() + 2;
        bytes[at + from..at + to].fill(b' ');
        let out = plain.join(p.file_name().unwrap());
        std::fs::write(&out, &bytes).unwrap();
        out
    };
    let (a0, b0) = (strip(&a), strip(&b));
    assert_eq!(digests(&a0), Value::Null);
    for format in ["json", "table"] {
        let (code, out) = diff(&[
            a.as_os_str(),
            b.as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
        ]);
        let (code0, out0) = diff(&[
            a0.as_os_str(),
            b0.as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
        ]);
        assert_eq!(code, 1);
        assert_eq!(code0, code);
        let shown = |p: &Path| p.to_str().unwrap().to_string();
        assert_eq!(
            out0.replace(&shown(&a0), &shown(&a))
                .replace(&shown(&b0), &shown(&b)),
            out,
            "{format}"
        );
        if format == "json" {
            let doc: Value = serde_json::from_str(&out).unwrap();
            let changed = |pid: i32| {
                doc["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| c["pid"] == pid)
                    .map(|c| c["field"].as_str().unwrap_or_default().to_string())
                    .collect::<Vec<_>>()
            };
            assert!(changed(mover.pid).contains(&"cwd".to_string()), "{out}");
            assert!(changed(idle_pid).is_empty(), "{out}");
        }
    }

    // verify: intact, then with the idle process's digest changed by hand.
    let out = bin().arg("verify").arg(&a).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mut bytes = std::fs::read(&a).unwrap();
    let (at, text) = manifest_text(&bytes);
    let digest = of(&da, idle_pid);
    let pos = at + text.find(&digest).unwrap();
    bytes[pos] = if bytes[pos] == b'0' { b'1' } else { b'0' };
    let lie = d.join("lie.tar");
    std::fs::write(&lie, &bytes).unwrap();
    let out = bin().arg("verify").arg(&lie).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "DIGESTS: the manifest's process digests do not match its members for 1 process (pid {})",
            idle_pid
        )),
        "{stdout}"
    );
}

/// A process whose members are the same in both captures (so its digests are equal and NEW is read
/// without them) but one of whose sockets changed state in the host's table (the peer closed its
/// end): the change is reported, from OLD's members read in NEW's context, as the whole read reports
/// it; and a change in the socket tables no longer keeps the other unchanged processes from being
/// shared.
#[test]
fn a_socket_that_changed_under_unchanged_members_is_a_change() {
    let dir = TempDir::new("digest-socket");
    let d = std::fs::canonicalize(dir.path()).unwrap();
    let client_bin = d.join("client");
    let client_src = d.join("client.c");
    std::fs::write(
        &client_src,
        "#include <arpa/inet.h>\n#include <stdlib.h>\n#include <sys/socket.h>\n#include <unistd.h>\n\
         int main(int argc, char **argv) {\n\
           struct sockaddr_in a = {0};\n\
           a.sin_family = AF_INET;\n\
           a.sin_port = htons((unsigned short)atoi(argv[1]));\n\
           a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);\n\
           int s = socket(AF_INET, SOCK_STREAM, 0);\n\
           if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) return 1;\n\
           if (write(1, \"c\", 1) != 1) return 1;\n\
           pause();\n\
           return 0;\n\
         }\n",
    )
    .unwrap();
    gcc(&[
        "-static".as_ref(),
        "-O1".as_ref(),
        "-o".as_ref(),
        client_bin.as_os_str(),
        client_src.as_os_str(),
    ]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut client = Killed(
        Command::new(&client_bin)
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = client.0.id() as i32;
    let (peer, _) = listener.accept().unwrap();
    // Its connect(2) has returned (the listener's accept can return first, and a client still
    // inside connect, asleep, then changes its `status` before the second capture): the next thing
    // it does is pause(2), where the state `S` below finds it.
    let mut byte = [0u8; 1];
    std::io::Read::read_exact(client.0.stdout.as_mut().unwrap(), &mut byte).unwrap();
    while !std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap()
        .contains(") S ")
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // The client's socket, by inode, and its state in /proc/net/tcp (hex: 01 ESTABLISHED, 08 CLOSE_WAIT).
    let inode = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.unwrap().path()).ok())
        .find_map(|t| {
            t.to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')
                .map(str::to_string)
        })
        .expect("the client's socket");
    let state = || {
        let f = std::fs::File::open(format!("/proc/{pid}/net/tcp")).unwrap();
        std::io::BufReader::new(f)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.split_whitespace().nth(9) == Some(inode.as_str()))
            .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
    };
    assert_eq!(state().as_deref(), Some("01"));
    let a = d.join("a.tar");
    capture(&a);
    drop(peer);
    while state().as_deref() != Some("08") {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let b = d.join("b.tar");
    capture(&b);
    let digest = |p: &Path| -> String {
        let (_, text) = manifest_text(&std::fs::read(p).unwrap());
        let v: Value = serde_json::from_str(&text).unwrap();
        v["process_digests"][pid.to_string()]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(digest(&a), digest(&b), "the client's members changed");
    // `diff` (checked against the whole read by `diff`) reports the state change.
    let pid_arg = pid.to_string();
    let (code, out) = diff(&[
        a.as_os_str(),
        b.as_os_str(),
        "--pid".as_ref(),
        pid_arg.as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(code, 1, "{out}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let sockets: Vec<&Value> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "sockets")
        .collect();
    assert_eq!(sockets.len(), 1, "{doc}");
    let text = sockets[0].to_string();
    assert!(
        text.contains("ESTABLISHED") && text.contains("CLOSE_WAIT"),
        "{text}"
    );
    // The whole diff, every process, also agrees with the whole read.
    diff(&[a.as_os_str(), b.as_os_str()]);
    drop(client);
}
