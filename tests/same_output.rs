//! Reports that read only what they show print exactly what a whole read prints.
//!
//! Every report is run twice over the same input: as users run it (archives and directories narrowed
//! to the members and processes the report needs, `diff` streamed) and with `PROCSIFT_FULL_READ` set,
//! which indexes and decodes every member of every process (with the bulky lists the report asks
//! for), the way every report read before. Standard output, standard error and the exit status must
//! be byte-identical, in the table (piped) and JSON formats (a report about one process may leave out
//! warnings about other processes' members: see [`same_about`]). The inputs: two captures the test
//! makes of a pid namespace holding a process with threads, open files and a listening socket (plain,
//! gzip-compressed, and with hostile members appended: duplicates, links where none belong, a hard
//! link, a `..` path, undecodable records), and /proc trees of the corpus.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{TempDir, bin, corpus};

/// One run: stdout, stderr and the exit code.
fn run(args: &[String], full: bool) -> (Vec<u8>, Vec<u8>, Option<i32>) {
    let mut cmd = bin();
    cmd.args(args).env_remove("PROCSIFT_FULL_READ");
    if full {
        cmd.env("PROCSIFT_FULL_READ", "1");
    }
    let out = cmd.output().expect("run procsift");
    (out.stdout, out.stderr, out.status.code())
}

/// Runs `args` narrowed and whole, in the table and JSON formats, and asserts the same bytes; returns
/// the narrowed table output (for the caller to check it is not vacuous).
fn same(args: &[&str]) -> String {
    compare(args, None)
}

/// As [`same`], for a report about process `pid` alone: it reads only that process's members, so the
/// whole read may also warn about members of other processes it decoded (a per-process report's
/// warnings are about what it read). Everything else is the same bytes, and every warning of the
/// narrowed read is one of the whole read's, in the same order.
fn same_about(args: &[&str], pid: i32) -> String {
    compare(args, Some(pid))
}

/// True for a warning about a member of a process other than `pid`.
fn elsewhere(member: &str, pid: i32) -> bool {
    member
        .strip_prefix("proc/")
        .and_then(|r| r.split_once('/'))
        .and_then(|(p, _)| p.parse::<i32>().ok())
        .is_some_and(|p| p != pid)
}

/// Removes from `whole` the warnings `narrowed` lacks, asserting each is about another process than
/// `pid` and that the rest are in the same order.
fn drop_elsewhere<T: PartialEq + std::fmt::Debug>(
    whole: Vec<T>,
    narrowed: &[T],
    member: impl Fn(&T) -> Option<String>,
    pid: i32,
) -> Vec<T> {
    let mut out = Vec::new();
    let mut next = narrowed.iter().peekable();
    for w in whole {
        if next.peek() == Some(&&w) {
            next.next();
            out.push(w);
        } else {
            assert!(
                member(&w).is_some_and(|m| elsewhere(&m, pid)),
                "a warning only the whole read gives, not about another process than {pid}: {w:?}"
            );
        }
    }
    out
}

fn compare(args: &[&str], about: Option<i32>) -> String {
    let mut table = String::new();
    for format in ["table", "json"] {
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.push(format!("--format={format}"));
        let mut narrowed = run(&a, false);
        let mut whole = run(&a, true);
        if let Some(pid) = about {
            let lines = |b: &[u8]| -> Vec<String> {
                String::from_utf8_lossy(b)
                    .lines()
                    .map(str::to_string)
                    .collect()
            };
            let kept = drop_elsewhere(
                lines(&whole.1),
                &lines(&narrowed.1),
                |l| Some(l.strip_prefix("warning: ")?.split(':').next()?.to_string()),
                pid,
            );
            if kept.len() != lines(&whole.1).len() {
                whole.1 = kept
                    .iter()
                    .map(|l| format!("{l}\n"))
                    .collect::<String>()
                    .into_bytes();
            }
            if format == "json"
                && let (Ok(mut w), Ok(n)) = (
                    serde_json::from_slice::<serde_json::Value>(&whole.0),
                    serde_json::from_slice::<serde_json::Value>(&narrowed.0),
                )
                && let (Some(ws), Some(ns)) = (w["warnings"].as_array(), n["warnings"].as_array())
                && ws.len() != ns.len()
            {
                w["warnings"] = serde_json::Value::Array(drop_elsewhere(
                    ws.clone(),
                    ns,
                    |v| v["member"].as_str().map(str::to_string),
                    pid,
                ));
                // Both documents written the same way, compared as bytes.
                whole.0 = serde_json::to_vec_pretty(&w).unwrap();
                narrowed.0 = serde_json::to_vec_pretty(&n).unwrap();
            }
        }
        assert!(
            narrowed == whole,
            "procsift {} differs from the whole read:\n--- narrowed (exit {:?}):\n{}\n{}\n--- whole \
             (exit {:?}):\n{}\n{}",
            a.join(" "),
            narrowed.2,
            String::from_utf8_lossy(&narrowed.0),
            String::from_utf8_lossy(&narrowed.1),
            whole.2,
            String::from_utf8_lossy(&whole.0),
            String::from_utf8_lossy(&whole.1),
        );
        if format == "table" {
            table = String::from_utf8_lossy(&narrowed.0).into_owned();
        }
    }
    table
}

/// Every report about `input`, and about `pid` in it (a pid that is there) and `absent` (one that is
/// not).
fn every_report(input: &Path, pid: i32, absent: i32) {
    let i = input.to_str().unwrap();
    let p = pid.to_string();
    let q = absent.to_string();
    let ps = same(&["ps", i]);
    assert!(
        ps.lines()
            .any(|l| l.split_whitespace().next() == Some(p.as_str())),
        "pid {pid} not in ps of {i}:\n{ps}"
    );
    same_about(&["ps", i, "--pid", &p], pid);
    same(&["ps", i, "--pid", &q]);
    same(&["ps", i, "--all"]);
    same(&["ps", i, "--user", "root", "--sort", "-rss,pid"]);
    same(&[
        "ps",
        i,
        "-o",
        "pid,user,group,comm,exe,nspid,pidns,netns,cgroup,wchan,pss,swap,shared,unread,args",
    ]);
    same(&[
        "ps",
        i,
        "-o",
        "pid,seen,exit,etime,pcpu,pmem,tty,dmodel",
        "--sort",
        "-pcpu",
    ]);
    same(&["tree", i]);
    same(&["tree", i, "--pid", &p]);
    same(&["info", i]);
    same(&["threads", i]);
    same_about(&["threads", i, &p], pid);
    same(&["threads", i, "--pid", &q]);
    same(&["files", i]);
    same_about(&["files", i, &p], pid);
    same_about(&["files", i, "--pid", &p], pid);
    same_about(&["maps", i, &p], pid);
    same(&["maps", i, &q]);
    let show = same_about(&["show", i, &p], pid);
    assert!(show.contains(&p), "show {pid} of {i}:\n{show}");
    same(&["show", i, &q]);
    same_about(&["signals", i, &p], pid);
    same(&["signals", i, &q]);
    same(&["events", i]);
}

/// Two captures of a fresh pid namespace (so they are small): a python3 with a second thread, a file
/// and a listening socket open, and a `sleep` in a network namespace of its own (so that the socket
/// tables of two namespaces are stored, under two processes: `show` reads only their `ns/net` links);
/// between them a `sleep` starts and the python3's child exits.
fn captures(dir: &Path) -> (PathBuf, PathBuf) {
    let a = dir.join("a.tar");
    let b = dir.join("b.tar");
    let script = format!(
        r#"
python3 -c '
import os, socket, threading, time, subprocess
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
f = open("/etc/passwd")
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
c = subprocess.Popen(["sleep", "60"])
open("{dir}/ready", "w").close()
while not os.path.exists("{dir}/go"): time.sleep(0.02)
c.kill(); c.wait()
open("{dir}/done", "w").close()
time.sleep(60)
' &
until [ -e {dir}/ready ]; do sleep 0.05; done
unshare --net sleep 60 &
{bin} capture -o {a} --case 'same output' >/dev/null 2>&1
sleep 60 &
touch {dir}/go
until [ -e {dir}/done ]; do sleep 0.05; done
{bin} capture --no-events -o {b} >/dev/null 2>&1
"#,
        dir = dir.display(),
        bin = env!("CARGO_BIN_EXE_procsift"),
        a = a.display(),
        b = b.display(),
    );
    // Killing the namespace's init (the shell, once the script ends) kills the rest.
    let st = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "sh", "-c", &script])
        .stdin(Stdio::null())
        .status()
        .expect("run unshare (util-linux)");
    assert!(st.success(), "the capture script failed");
    assert!(a.is_file() && b.is_file());
    (a, b)
}

/// A ustar header block for `name`.
fn header(name: &str, size: usize, kind: u8, link: &str) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = kind;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

/// `archive` with members appended before its end-of-archive marker: a second `stat`, `status` and
/// thread `stat` of `pid` (the later one is read), a second `exe` link, a link where procsift stores
/// none, a hard link, a `..` path, and a member of a process no capture has.
fn hostile(archive: &Path, pid: i32, out: &Path) {
    let mut bytes = std::fs::read(archive).unwrap();
    while bytes.len() >= 512 && bytes[bytes.len() - 512..].iter().all(|b| *b == 0) {
        bytes.truncate(bytes.len() - 512);
    }
    let mut add = |name: &str, data: &[u8], kind: u8, link: &str| {
        bytes.extend(header(name, data.len(), kind, link));
        bytes.extend_from_slice(data);
        bytes.resize(bytes.len().div_ceil(512) * 512, 0);
    };
    let stat = format!(
        "{pid} (dup\x1b[31m) S 1 {pid} {pid} 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 1 0 5 1000 10 \
         18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    );
    add(&format!("proc/{pid}/stat"), stat.as_bytes(), b'0', "");
    add(
        &format!("proc/{pid}/status"),
        b"Name:\tdup\nState:\tS (sleeping)\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\n",
        b'0',
        "",
    );
    add(&format!("proc/{pid}/task/{pid}/stat"), b"garbage", b'0', "");
    add(&format!("proc/{pid}/exe"), b"", b'2', "/tmp/second exe");
    add(&format!("proc/{pid}/maps"), b"", b'2', "/etc/shadow");
    add(&format!("proc/{pid}/environ"), b"", b'1', "etc/passwd");
    add("proc/../etc/passwd", b"root:x:0:0::/:/bin/sh\n", b'0', "");
    let ghost = stat.replace(&format!("{pid} (dup\x1b[31m) S"), "77777 (ghost) Z");
    add("proc/77777/stat", ghost.as_bytes(), b'0', "");
    add("proc/77777/maps", b"zz-1 r\n", b'0', "");
    add("proc/77777/fd/3", b"", b'2', "socket:[1]");
    bytes.extend(vec![0u8; 1024]);
    std::fs::write(out, bytes).unwrap();
}

/// The python3 of the captures: the process whose argv starts with python3.
fn python_pid(archive: &Path) -> i32 {
    let v = common::run_json(&["ps", archive.to_str().unwrap(), "--format", "json"]);
    v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["argv"][0]
                .as_str()
                .is_some_and(|a| a.ends_with("python3"))
        })
        .and_then(|p| p["pid"].as_i64())
        .unwrap_or_else(|| panic!("no python3 in {}: {v}", archive.display())) as i32
}

#[test]
fn captures_print_the_same_narrowed_and_whole() {
    let dir = TempDir::new("same-output");
    let (a, b) = captures(dir.path());
    let pid = python_pid(&a);
    every_report(&a, pid, 424242);

    // The python3's socket is in tables stored under another process of its network namespace: a
    // read of it alone finds them (through the `ns/net` links) and shows the socket as a whole read
    // does (`every_report` compared the bytes).
    let listing = Command::new("tar").arg("tf").arg(&a).output().unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.lines().any(|l| l.contains("/net/tcp")), "{listing}");
    assert!(
        !listing.contains(&format!("proc/{pid}/net/")),
        "the python3 holds the tables itself: {listing}"
    );
    let show = common::run_json(&[
        "show",
        a.to_str().unwrap(),
        &pid.to_string(),
        "--format",
        "json",
    ]);
    assert!(show.to_string().contains("\"LISTEN\""), "{show}");

    // `info` of the capture reads the manifest's totals; of the same archive without them (as written
    // before) it counts every process: the same bytes, and the same as a whole read (`same`).
    let bytes = std::fs::read(&a).unwrap();
    let key = b"\n  \"totals\": {";
    let from = bytes
        .windows(key.len())
        .rposition(|w| w == key)
        .expect("the manifest records totals")
        + 1;
    let to = from + bytes[from..].windows(2).position(|w| w == b"},").unwrap() + 2;
    let mut old = bytes.clone();
    old[from..to].fill(b' ');
    let old_path = dir.path().join("no-totals.tar");
    std::fs::write(&old_path, old).unwrap();
    let (ai, oi) = (a.to_str().unwrap(), old_path.to_str().unwrap());
    let with_totals = same(&["info", ai]);
    let without = same(&["info", oi]);
    assert_eq!(with_totals.replace(ai, oi), without);
    assert!(without.contains("processes"), "{without}");

    let gz = dir.path().join("a.tar.gz");
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -c {} > {}", a.display(), gz.display()))
        .status()
        .unwrap();
    assert!(st.success());
    every_report(&gz, pid, 424242);

    let bad = dir.path().join("hostile.tar");
    hostile(&a, pid, &bad);
    let v = common::run_json(&["ps", bad.to_str().unwrap(), "--format", "json"]);
    let p = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pid"] == pid)
        .unwrap();
    assert_eq!(p["uid"], 1, "the later status is read: {p}");
    every_report(&bad, pid, 424242);
    every_report(&bad, 77777, 424242);

    let (a, b, bad) = (
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        bad.to_str().unwrap(),
    );
    let d = same_diff(&[a, b]);
    assert!(d.contains("sleep"), "the diff shows the sleeps:\n{d}");
    same_diff(&[b, a]);
    same_diff(&[a, a]);
    same_diff(&[
        a,
        b,
        "--ignore-volatile",
        "--only",
        "started,exited,fds,sockets,threads",
    ]);
    same_diff(&[a, b, "--pid", &pid.to_string()]);
    same_diff(&[a, b, "--pid", "424242"]);
    same_diff(&[a, bad]);
    same_diff(&[bad, a]);
    same_diff(&[bad, b, "--only", "maps,limits,exec"]);
    same_diff(&[gz.to_str().unwrap(), b, "--ignore", "cpu,io"]);
    same_diff(&[a, b, "--only", "findings,transient,system"]);
    same_diff(&[
        a,
        b,
        "--only",
        "namespaces,cgroup,credentials,parent,cwd,state",
    ]);
    same_diff(&[a, b, "--ignore", "ns,limit,map/anon"]);
    // --redact is a global option: before the command.
    let redacted = |args: &[&str]| {
        let mut cmd = common::bin();
        cmd.arg("--redact").arg("diff").args(args);
        let whole = cmd.env("PROCSIFT_FULL_READ", "1").output().unwrap();
        let mut cmd = common::bin();
        cmd.arg("--redact").arg("diff").args(args);
        let streamed = cmd.env_remove("PROCSIFT_FULL_READ").output().unwrap();
        assert_eq!(
            (streamed.stdout, streamed.stderr, streamed.status.code()),
            (whole.stdout, whole.stderr, whole.status.code()),
            "--redact diff {args:?}"
        );
    };
    redacted(&[a, b, "--format", "json"]);
    redacted(&[a, b]);
}

/// `diff ARGS` streamed and read whole: the same bytes in every format (table, JSON, NDJSON, CSV).
fn same_diff(args: &[&str]) -> String {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    common::diff_streams_as_whole(&args)
}

#[test]
fn corpus_trees_print_the_same_narrowed_and_whole() {
    let procfs = corpus("linux/proc-snapshots/prometheus-procfs");
    every_report(&procfs, 26231, 1);
    let gopsutil = corpus("linux/proc-snapshots/gopsutil/linux");
    let first = std::fs::read_dir(&gopsutil)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .min();
    if let Some(pid) = first {
        every_report(&gopsutil, pid, 424242);
    }
    let (p, g) = (procfs.to_str().unwrap(), gopsutil.to_str().unwrap());
    same_diff(&[p, g]);
    same_diff(&[g, p]);
    same_diff(&[p, p]);
    same_diff(&[p, g, "--only", "findings"]);
}

/// Inputs `diff` reads whole (cores, Solaris records) print the same as before too.
#[test]
fn whole_read_diffs_print_the_same() {
    let core = corpus("linux/elfutils-testfile71-x86_64.core");
    let other = corpus("linux/pyelftools-core_linux64.elf");
    let (c, o) = (core.to_str().unwrap(), other.to_str().unwrap());
    let d = same_diff(&[c, c]);
    assert!(d.contains("no differences"), "{d}");
    // Two cores of different processes: nothing to compare (exit 2, the same message).
    same_diff(&[c, o]);
}
