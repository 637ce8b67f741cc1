//! Capture tests: a fake /proc tree in a temporary directory (known files, links, a vanished pid, network
//! namespaces shared by two pids, a FIFO that blocks), checked through the in-memory snapshot, the
//! manifest, and the system `tar` and `sha256sum`; and a capture of the live /proc checked against this
//! test process itself.
#![cfg(target_os = "linux")]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use procsift::capture::{self, CaptureOptions};
use procsift::snapshot::manifest::{Manifest, MemberKind};

/// A fresh, empty directory under the system temporary directory, removed again on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!(
            "procsift-capture-test-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn link(root: &Path, rel: &str, target: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    symlink(target, p).unwrap();
}

const LONG_TARGET_LEN: usize = 150;

fn long_target() -> String {
    let mut s = String::from("/var/lib/");
    while s.len() < LONG_TARGET_LEN {
        s.push_str("deep/");
    }
    s.truncate(LONG_TARGET_LEN);
    s
}

/// Builds the fake tree:
/// * 100: full process, two tasks, fds (one with a 150-byte target), ns/net A, net tables;
/// * 200: same ns/net A — its net tables must not be captured;
/// * 300: ns/net B — its net tables are captured;
/// * 400: a listed directory without `stat` — vanished;
/// * `self` and `sys`: non-numeric entries, ignored.
fn fake_tree(root: &Path) -> (PathBuf, PathBuf) {
    let proc = root.join("proc");
    let etc = root.join("etc");
    put(&proc, "loadavg", b"0.10 0.20 0.30 1/99 400\n");
    put(&proc, "uptime", b"1234.56 2000.00\n");
    put(&proc, "meminfo", b"MemTotal:       1000 kB\n");
    put(
        &proc,
        "stat",
        b"cpu  1 2 3 4\nbtime 1700000000\nprocesses 500\n",
    );
    put(
        &proc,
        "sys/kernel/random/boot_id",
        b"0b1c2d3e-0000-4000-8000-123456789abc\n",
    );
    put(&etc, "passwd", b"root:x:0:0:root:/root:/bin/sh\n");
    put(&etc, "group", b"root:x:0:\n");
    // No etc/os-release: the fallback usr/lib/os-release is stored under etc/os-release.
    put(root, "usr/lib/os-release", b"PRETTY_NAME=\"Fake OS 1\"\n");

    put(
        &proc,
        "100/stat",
        b"100 (fake) S 1 100 100 0 -1 4194560 0\n",
    );
    put(&proc, "100/status", b"Name:\tfake\nPid:\t100\n");
    put(&proc, "100/cmdline", b"/usr/bin/fake\0--flag\0");
    put(&proc, "100/environ", b"HOME=/root\0PATH=/bin\0");
    put(&proc, "100/comm", b"fake\n");
    put(
        &proc,
        "100/maps",
        b"00400000-00401000 r-xp 00000000 08:01 12 /usr/bin/fake\n",
    );
    link(&proc, "100/exe", "/usr/bin/fake");
    link(&proc, "100/cwd", "/srv/work dir");
    link(&proc, "100/root", "/");
    link(&proc, "100/fd/0", "/dev/null");
    link(&proc, "100/fd/3", "socket:[12345]");
    link(&proc, "100/fd/4", &long_target());
    put(&proc, "100/fdinfo/0", b"pos:\t0\nflags:\t0100002\n");
    put(&proc, "100/fdinfo/3", b"pos:\t0\nflags:\t02\n");
    put(&proc, "100/fdinfo/4", b"pos:\t7\nflags:\t0\n");
    link(&proc, "100/ns/net", "net:[4026531993]");
    link(&proc, "100/ns/pid", "pid:[4026531836]");
    put(&proc, "100/net/tcp", b"  sl  local_address tcp-A\n");
    put(&proc, "100/net/tcp6", b"tcp6-A\n");
    put(&proc, "100/net/udp", b"udp-A\n");
    put(&proc, "100/net/udp6", b"udp6-A\n");
    put(&proc, "100/net/unix", b"unix-A\n");
    for tid in ["100", "101"] {
        put(
            &proc,
            &format!("100/task/{tid}/stat"),
            format!("{tid} (fake) S\n").as_bytes(),
        );
        put(&proc, &format!("100/task/{tid}/status"), b"State:\tS\n");
        put(&proc, &format!("100/task/{tid}/comm"), b"fake\n");
    }

    put(&proc, "200/stat", b"200 (same-net) S 1\n");
    put(&proc, "200/cmdline", b"");
    link(&proc, "200/ns/net", "net:[4026531993]");
    put(&proc, "200/net/tcp", b"must not be captured\n");

    put(&proc, "300/stat", b"300 (other-net) S 1\n");
    link(&proc, "300/ns/net", "net:[4026532000]");
    put(&proc, "300/net/tcp", b"tcp-B\n");

    std::fs::create_dir_all(proc.join("400/fd")).unwrap();

    link(&proc, "self", "100");
    put(&proc, "sys/kernel/pid_max", b"4194304\n");
    (proc, etc)
}

fn options(proc: &Path, etc: &Path) -> CaptureOptions {
    CaptureOptions {
        proc_root: proc.to_path_buf(),
        etc_root: etc.to_path_buf(),
        command: vec!["procsift".into(), "capture".into()],
        case: Some("CASE-7".into()),
        ..CaptureOptions::default()
    }
}

fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

fn manifest_member<'a>(
    m: &'a Manifest,
    path: &str,
) -> &'a procsift::snapshot::manifest::ManifestMember {
    m.members
        .iter()
        .find(|x| x.path == path)
        .unwrap_or_else(|| panic!("{path} not in the manifest"))
}

#[test]
fn fake_tree_in_memory() {
    let dir = TempDir::new("memory");
    let (proc, etc) = fake_tree(&dir.0);
    let (snap, summary) = capture::capture_to_memory_with_summary(&options(&proc, &etc)).unwrap();
    let m = snap.manifest.as_ref().unwrap();

    // Files exactly as on disk, links exactly as readlink returns them.
    assert_eq!(
        snap.file("proc/100/cmdline"),
        Some(&b"/usr/bin/fake\0--flag\0"[..])
    );
    assert_eq!(
        snap.file("proc/100/environ"),
        Some(&b"HOME=/root\0PATH=/bin\0"[..])
    );
    assert_eq!(snap.file("proc/200/cmdline"), Some(&b""[..]));
    assert_eq!(snap.link("proc/100/exe"), Some(&b"/usr/bin/fake"[..]));
    assert_eq!(snap.link("proc/100/cwd"), Some(&b"/srv/work dir"[..]));
    assert_eq!(snap.link("proc/100/fd/3"), Some(&b"socket:[12345]"[..]));
    assert_eq!(snap.link("proc/100/fd/4"), Some(long_target().as_bytes()));
    assert_eq!(
        snap.file("proc/100/fdinfo/4"),
        Some(&b"pos:\t7\nflags:\t0\n"[..])
    );
    assert_eq!(snap.link("proc/100/ns/pid"), Some(&b"pid:[4026531836]"[..]));
    assert_eq!(snap.children("proc/100/task"), vec!["100", "101"]);
    assert_eq!(
        snap.file("proc/100/task/101/stat"),
        Some(&b"101 (fake) S\n"[..])
    );
    assert_eq!(
        snap.file("proc/loadavg"),
        Some(&b"0.10 0.20 0.30 1/99 400\n"[..])
    );
    assert_eq!(
        snap.file("etc/os-release"),
        Some(&b"PRETTY_NAME=\"Fake OS 1\"\n"[..])
    );

    // Network tables once per namespace: 100 and 300 (first in their namespaces), not 200.
    assert_eq!(snap.file("proc/100/net/unix"), Some(&b"unix-A\n"[..]));
    assert_eq!(snap.file("proc/300/net/tcp"), Some(&b"tcp-B\n"[..]));
    assert!(snap.member("proc/200/net/tcp").is_none());
    assert_eq!(snap.failure("proc/300/net/udp"), Some("ENOENT"));

    // Per-member failures, by errno name; the vanished process.
    assert_eq!(snap.failure("proc/100/io"), Some("ENOENT"));
    assert_eq!(snap.failure("proc/200/exe"), Some("ENOENT"));
    assert_eq!(snap.failure("proc/400/stat"), Some("ENOENT"));
    assert!(snap.member("proc/400/status").is_none());
    assert_eq!(m.vanished, vec![400]);
    assert_eq!(
        snap.children("proc"),
        vec![
            "100", "200", "300", "400", "loadavg", "meminfo", "stat", "sys", "uptime"
        ]
    );
    assert!(snap.member("proc/sys/kernel/pid_max").is_none());

    // Manifest: hashes agree with sha256sum of the source files; failed members carry no hash.
    let status = manifest_member(m, "proc/100/status");
    assert_eq!(status.kind, MemberKind::File);
    assert_eq!(status.size, Some(20));
    assert_eq!(
        status.sha256.as_deref(),
        Some(&*sha256sum(&proc.join("100/status")))
    );
    assert_eq!(
        manifest_member(m, "proc/100/maps").sha256.as_deref(),
        Some(&*sha256sum(&proc.join("100/maps")))
    );
    let io = manifest_member(m, "proc/100/io");
    assert_eq!(
        (io.size, io.sha256.as_deref(), io.error.as_deref()),
        (None, None, Some("ENOENT"))
    );
    let exe = manifest_member(m, "proc/100/exe");
    assert_eq!((exe.kind, exe.size), (MemberKind::Symlink, Some(13)));

    // Host facts from the captured members; options recorded.
    assert_eq!(
        m.host.boot_id.as_deref(),
        Some("0b1c2d3e-0000-4000-8000-123456789abc")
    );
    assert_eq!(m.host.boot_time.map(|t| t.secs), Some(1_700_000_000));
    assert_eq!(m.host.os_release.as_deref(), Some("Fake OS 1"));
    assert_eq!(m.host.sysname.as_deref(), Some("Linux"));
    assert_eq!(m.capture.case.as_deref(), Some("CASE-7"));
    assert!(!m.capture.no_environ);
    assert_eq!(
        m.format_version,
        procsift::snapshot::manifest::FORMAT_VERSION
    );

    // Counts: 4 processes listed, 400 vanished.
    assert_eq!((summary.processes, summary.vanished), (3, 1));
    assert_eq!(
        summary.failed,
        m.members.iter().filter(|x| x.error.is_some()).count() as u64
    );
    assert_eq!(
        summary.members,
        m.members.iter().filter(|x| x.error.is_none()).count() as u64
    );
}

#[test]
fn no_environ_leaves_environ_out() {
    let dir = TempDir::new("noenv");
    let (proc, etc) = fake_tree(&dir.0);
    let opts = CaptureOptions {
        no_environ: true,
        ..options(&proc, &etc)
    };
    let snap = capture::capture_to_memory(&opts).unwrap();
    let m = snap.manifest.as_ref().unwrap();
    assert!(snap.member("proc/100/environ").is_none());
    assert!(m.members.iter().all(|x| !x.path.ends_with("/environ")));
    assert!(m.capture.no_environ);
    assert!(snap.file("proc/100/cmdline").is_some());
}

fn tar_lines(args: &[&str], archive: &Path) -> Vec<String> {
    let out = Command::new("tar")
        .args(args)
        .arg(archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn fake_tree_archive() {
    let dir = TempDir::new("archive");
    let (proc, etc) = fake_tree(&dir.0);
    let out = dir.0.join("snap.tar");
    let summary = capture::capture_to_path(&options(&proc, &etc), &out).unwrap();
    assert_eq!(summary.output.as_deref(), Some(&*out));
    assert_eq!(summary.bytes, std::fs::metadata(&out).unwrap().len());
    assert!(
        !dir.0.join("snap.tar.tmp").exists(),
        "temporary file left behind"
    );

    // tar tf: the stored members in manifest order, then manifest.json and the member index last.
    let manifest_json = Command::new("tar")
        .arg("xOf")
        .arg(&out)
        .arg("manifest.json")
        .output()
        .unwrap();
    assert!(manifest_json.status.success());
    let m: Manifest = serde_json::from_slice(&manifest_json.stdout).unwrap();
    let mut expected: Vec<String> = m
        .members
        .iter()
        .filter(|x| x.error.is_none())
        .map(|x| x.path.clone())
        .collect();
    expected.push("manifest.json".into());
    expected.push("member-index.txt".into());
    assert_eq!(tar_lines(&["tf"], &out), expected);
    assert_eq!(summary.members as usize + 2, expected.len());

    // tar tvf: files read-only, links as links with their full targets (the long one via GNU K record).
    let listing = tar_lines(&["tvf"], &out);
    let line = |suffix: &str| {
        listing
            .iter()
            .find(|l| l.contains(suffix))
            .unwrap_or_else(|| panic!("{suffix} not listed"))
            .clone()
    };
    assert!(line("proc/100/exe -> /usr/bin/fake").starts_with('l'));
    assert!(line(&format!("proc/100/fd/4 -> {}", long_target())).starts_with('l'));
    assert!(line("proc/100/status").starts_with("-r--r--r--"));

    // Contents and hashes through the system tools.
    let status = Command::new("tar")
        .arg("xOf")
        .arg(&out)
        .arg("proc/100/status")
        .output()
        .unwrap();
    assert_eq!(
        status.stdout,
        std::fs::read(proc.join("100/status")).unwrap()
    );
    assert_eq!(
        manifest_member(&m, "proc/100/cmdline").sha256.as_deref(),
        Some(&*sha256sum(&proc.join("100/cmdline")))
    );

    // An existing output is never overwritten.
    let before = std::fs::read(&out).unwrap();
    assert!(capture::capture_to_path(&options(&proc, &etc), &out).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), before);
    assert!(!dir.0.join("snap.tar.tmp").exists());
}

#[test]
fn a_failed_capture_leaves_no_file() {
    let dir = TempDir::new("failed");
    let out = dir.0.join("snap.tar");
    let opts = options(&dir.0.join("no-such-proc"), &dir.0.join("etc"));
    assert!(capture::capture_to_path(&opts, &out).is_err());
    assert!(!out.exists());
    assert!(!dir.0.join("snap.tar.tmp").exists());
}

#[test]
fn a_blocking_member_times_out_and_the_capture_goes_on() {
    let dir = TempDir::new("fifo");
    let (proc, etc) = fake_tree(&dir.0);
    put(&proc, "500/stat", b"500 (stuck) D 1\n");
    put(&proc, "500/status", b"State:\tD\n");
    put(&proc, "500/environ", b"A=1\0");
    put(&proc, "500/limits", b"Limit\n");
    let fifo = proc.join("500/cmdline");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    put(&proc, "600/stat", b"600 (after) S 1\n");

    let opts = CaptureOptions {
        read_timeout: Duration::from_millis(300),
        ..options(&proc, &etc)
    };
    let snap = capture::capture_to_memory(&opts).unwrap();
    assert_eq!(snap.failure("proc/500/cmdline"), Some("timeout"));
    // Reads that take the same mmap lock are not attempted after a timeout; the others are.
    assert_eq!(snap.failure("proc/500/environ"), Some("skipped"));
    assert_eq!(snap.file("proc/500/status"), Some(&b"State:\tD\n"[..]));
    assert_eq!(snap.file("proc/500/limits"), Some(&b"Limit\n"[..]));
    assert_eq!(snap.file("proc/600/stat"), Some(&b"600 (after) S 1\n"[..]));
    let m = snap.manifest.as_ref().unwrap();
    assert_eq!(
        m.members
            .iter()
            .filter(|x| x.path == "proc/500/cmdline")
            .count(),
        1
    );

    // Release the abandoned worker (it is blocked opening the FIFO for reading).
    let w = rustix::fs::open(
        &fifo,
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::NONBLOCK,
        rustix::fs::Mode::empty(),
    );
    drop(w);
}

#[test]
fn live_proc_contains_this_process() {
    let me = std::process::id() as i32;
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        tid_tx
            .send(rustix::thread::gettid().as_raw_nonzero().get())
            .unwrap();
        let _ = stop_rx.recv();
    });
    let tid = tid_rx.recv().unwrap();
    let marker = std::env::temp_dir().join(format!("procsift-capture-test-{me}-marker"));
    let file = std::fs::File::create(&marker).unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);

    let (snap, summary) =
        capture::capture_to_memory_with_summary(&CaptureOptions::default()).unwrap();
    stop_tx.send(()).unwrap();
    thread.join().unwrap();
    drop(file);
    let _ = std::fs::remove_file(&marker);

    let stat = snap
        .file(&format!("proc/{me}/stat"))
        .expect("own stat captured");
    let pid_field = std::str::from_utf8(stat)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert_eq!(pid_field.parse::<i32>().unwrap(), me);
    let argv: Vec<u8> = std::env::args_os()
        .flat_map(|a| {
            let mut v = a.into_encoded_bytes();
            v.push(0);
            v
        })
        .collect();
    assert_eq!(snap.file(&format!("proc/{me}/cmdline")), Some(&argv[..]));
    assert!(snap.file(&format!("proc/{me}/task/{tid}/stat")).is_some());
    assert_eq!(
        snap.link(&format!("proc/{me}/fd/{fd}")),
        Some(marker.as_os_str().as_encoded_bytes())
    );
    let m = snap.manifest.as_ref().unwrap();
    assert_eq!(
        m.host.clk_tck,
        Some(rustix::param::clock_ticks_per_second())
    );
    assert!(m.host.boot_id.is_some() && m.host.boot_time.is_some());
    assert!(m.capture.started_boottime.unwrap() <= m.capture.finished_boottime.unwrap());
    assert!(summary.processes >= 1);
    // The host's socket tables were captured once, under the first process in our network namespace.
    let own_net = snap.link(&format!("proc/{me}/ns/net")).unwrap();
    let holders: Vec<&str> = snap
        .children("proc")
        .into_iter()
        .filter(|p| snap.link(&format!("proc/{p}/ns/net")) == Some(own_net))
        .filter(|p| snap.member(&format!("proc/{p}/net/tcp")).is_some())
        .collect();
    assert_eq!(holders.len(), 1);
}
