//! Solaris/illumos capture plan tests, run on Linux against a fake Solaris /proc tree in a temporary
//! directory: binary files of known bytes, `path/` links, `fdinfo/`, two LWPs, control files that must
//! never be opened (FIFOs: opening one would block until the read timeout), a vanished process, files
//! that cannot be read. Checked through the in-memory snapshot, the manifest, and the system `tar` and
//! `sha256sum`.
#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use procsift::capture::{self, CaptureOptions, PlanKind};
use procsift::snapshot::manifest::{Manifest, ManifestMember, MemberKind};

/// A fresh, empty directory under the system temporary directory, removed again on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!(
            "procsift-capture-solaris-test-{}-{name}",
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

/// `len` bytes that depend on `seed`: every byte value occurs, NULs included, as in binary /proc files.
fn known_bytes(seed: &str, len: usize) -> Vec<u8> {
    let mut x: u64 = seed.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// A binary file of known bytes; returns them.
fn put_known(root: &Path, rel: &str, len: usize) -> Vec<u8> {
    let bytes = known_bytes(rel, len);
    put(root, rel, &bytes);
    bytes
}

fn link(root: &Path, rel: &str, target: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    symlink(target, p).unwrap();
}

fn fifo(root: &Path, rel: &str) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &p,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    p
}

/// Opens and closes the write side of a FIFO, releasing a reader blocked opening it.
fn release(fifo: &Path) {
    let w = rustix::fs::open(
        fifo,
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::NONBLOCK,
        rustix::fs::Mode::empty(),
    );
    drop(w);
}

const PROCESS_FILES: &[(&str, usize)] = &[
    ("psinfo", 416),
    ("status", 1680),
    ("usage", 504),
    ("lpsinfo", 16 + 2 * 144),
    ("lstatus", 16 + 2 * 1312),
    ("lusage", 16 + 3 * 512),
    ("cred", 96),
    ("priv", 88),
    ("sigact", 75 * 32),
    ("auxv", 30 * 16),
    ("map", 12 * 112),
    ("rmap", 3 * 112),
    // Larger than the capture's first 64 KiB read buffer.
    ("xmap", 200_000),
    ("secflags", 40),
];

const LWP_FILES: &[(&str, usize)] = &[
    ("lwpsinfo", 128),
    ("lwpstatus", 1296),
    ("lwpusage", 504),
    ("lwpname", 32),
];

fn long_target() -> String {
    let mut s = String::from("/export/home/");
    while s.len() < 150 {
        s.push_str("deep/");
    }
    s.truncate(150);
    s
}

/// Builds the fake tree and returns (proc root, etc root):
/// * 100: every process file, `path/` links (one with a 150-byte target), `fdinfo/{0,1,2}`, `lwp/{1,2}`,
///   and `as`, `ctl`, `lwpctl`, `pagedata`, `fd/0`, `lwp/1/lwpctl` as FIFOs, which must not be opened;
/// * 200: `psinfo` and `status` only; `cred` is a directory (EISDIR), `path/a.out` a regular file
///   (readlink: EINVAL), no `fdinfo/`, `lwp/1` without `lwpname`;
/// * 300: a listed directory without `psinfo` — vanished;
/// * `self` and `zz`: non-numeric entries, ignored.
fn fake_tree(root: &Path) -> (PathBuf, PathBuf) {
    let proc = root.join("proc");
    let etc = root.join("etc");
    put(
        &etc,
        "passwd",
        b"root:x:0:0:Super-User:/root:/usr/bin/bash\n",
    );
    put(&etc, "group", b"root::0:\n");
    put(
        &etc,
        "release",
        b"\n             OmniOS v11 r151046\n  Copyright 2017-2023 OmniOS Community Edition\n",
    );
    put(&etc, "project", b"system:0::::\n");

    for (name, len) in PROCESS_FILES {
        put_known(&proc, &format!("100/{name}"), *len);
    }
    link(&proc, "100/path/a.out", "/usr/bin/fake");
    link(&proc, "100/path/cwd", "/export/home/user dir");
    link(&proc, "100/path/root", "/");
    link(&proc, "100/path/0", "/dev/null");
    link(&proc, "100/path/1", &long_target());
    link(&proc, "100/path/zfs.65.65538.1234", "/lib/libc.so.1");
    for fd in 0..3 {
        put_known(&proc, &format!("100/fdinfo/{fd}"), 1088 + fd * 8);
    }
    for lwp in [1, 2] {
        for (name, len) in LWP_FILES {
            put_known(&proc, &format!("100/lwp/{lwp}/{name}"), *len);
        }
    }
    for never in ["as", "ctl", "lwpctl", "pagedata", "fd/0", "lwp/1/lwpctl"] {
        fifo(&proc, &format!("100/{never}"));
    }

    put_known(&proc, "200/psinfo", 416);
    put_known(&proc, "200/status", 1680);
    std::fs::create_dir_all(proc.join("200/cred")).unwrap();
    put(&proc, "200/path/a.out", b"not a link");
    link(&proc, "200/path/cwd", "/");
    for (name, len) in &LWP_FILES[..3] {
        put_known(&proc, &format!("200/lwp/1/{name}"), *len);
    }

    put_known(&proc, "300/status", 1680);
    std::fs::create_dir_all(proc.join("300/lwp/1")).unwrap();

    link(&proc, "self", "100");
    put(&proc, "zz", b"not a process");
    (proc, etc)
}

fn options(proc: &Path, etc: &Path) -> CaptureOptions {
    CaptureOptions {
        proc_root: proc.to_path_buf(),
        etc_root: etc.to_path_buf(),
        plan: Some(PlanKind::Solaris),
        command: vec!["procsift".into(), "capture".into()],
        case: Some("CASE-S".into()),
        ..CaptureOptions::default()
    }
}

/// The members the fake tree must yield, stored (files and links).
fn expected_stored() -> BTreeSet<String> {
    let mut s = BTreeSet::new();
    for e in ["passwd", "group", "release", "project"] {
        s.insert(format!("etc/{e}"));
    }
    for (name, _) in PROCESS_FILES {
        s.insert(format!("proc/100/{name}"));
    }
    for l in ["a.out", "cwd", "root", "0", "1", "zfs.65.65538.1234"] {
        s.insert(format!("proc/100/path/{l}"));
    }
    for fd in 0..3 {
        s.insert(format!("proc/100/fdinfo/{fd}"));
    }
    for lwp in [1, 2] {
        for (name, _) in LWP_FILES {
            s.insert(format!("proc/100/lwp/{lwp}/{name}"));
        }
    }
    for m in ["psinfo", "status", "path/cwd"] {
        s.insert(format!("proc/200/{m}"));
    }
    for (name, _) in &LWP_FILES[..3] {
        s.insert(format!("proc/200/lwp/1/{name}"));
    }
    s
}

/// The members the fake tree must yield as failed, with their errors.
fn expected_failed() -> Vec<(String, MemberKind, &'static str)> {
    let mut v = vec![
        ("proc/200/cred".to_owned(), MemberKind::File, "EISDIR"),
        (
            "proc/200/path/a.out".to_owned(),
            MemberKind::Symlink,
            "EINVAL",
        ),
        (
            "proc/200/fdinfo".to_owned(),
            MemberKind::Directory,
            "ENOENT",
        ),
        (
            "proc/200/lwp/1/lwpname".to_owned(),
            MemberKind::File,
            "ENOENT",
        ),
        ("proc/300/psinfo".to_owned(), MemberKind::File, "ENOENT"),
    ];
    for (name, _) in PROCESS_FILES {
        if !["psinfo", "status", "cred"].contains(name) {
            v.push((format!("proc/200/{name}"), MemberKind::File, "ENOENT"));
        }
    }
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Where archive member `path` came from in the fake tree.
fn source(proc: &Path, etc: &Path, path: &str) -> PathBuf {
    if let Some(rest) = path.strip_prefix("proc/") {
        proc.join(rest)
    } else if let Some(rest) = path.strip_prefix("etc/") {
        etc.join(rest)
    } else {
        panic!("unexpected member {path}")
    }
}

/// SHA-256 of `bytes` by the system's `sha256sum`, independent of the capture's own hashing.
fn sha256sum(bytes: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

fn readlink(p: &Path) -> Vec<u8> {
    std::fs::read_link(p)
        .unwrap()
        .into_os_string()
        .into_encoded_bytes()
}

/// Checks the manifest against the fake tree: exactly the expected members stored and failed, every
/// stored one's size and SHA-256 those of its source (file bytes, or link target), nothing else
/// attempted, the vanished process, host facts and plan.
fn check_manifest(m: &Manifest, proc: &Path, etc: &Path) {
    let stored: BTreeSet<String> = m
        .members
        .iter()
        .filter(|x| x.error.is_none())
        .map(|x| x.path.clone())
        .collect();
    assert_eq!(stored, expected_stored());
    let mut failed: Vec<(String, MemberKind, &str)> = m
        .members
        .iter()
        .filter_map(|x| Some((x.path.clone(), x.kind, x.error.as_deref()?)))
        .collect();
    failed.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(failed, expected_failed());

    for x in m.members.iter().filter(|x| x.error.is_none()) {
        let src = source(proc, etc, &x.path);
        let bytes = match x.kind {
            MemberKind::File => std::fs::read(&src).unwrap(),
            MemberKind::Symlink => readlink(&src),
            MemberKind::Directory => panic!("{}: a stored directory", x.path),
        };
        let is_link = src.symlink_metadata().unwrap().file_type().is_symlink();
        assert_eq!(x.kind == MemberKind::Symlink, is_link, "{}", x.path);
        assert_eq!(x.size, Some(bytes.len() as u64), "{}", x.path);
        assert_eq!(x.sha256.as_deref(), Some(&*sha256sum(&bytes)), "{}", x.path);
    }
    for x in m.members.iter().filter(|x| x.error.is_some()) {
        assert_eq!((x.size, x.sha256.as_deref()), (None, None), "{}", x.path);
    }

    // Never opened: the FIFOs would have blocked into `timeout` failures, and they are not members.
    assert!(!m.members.iter().any(|x| {
        let name = x.path.rsplit('/').next().unwrap();
        ["as", "ctl", "lwpctl", "pagedata"].contains(&name) || x.path.contains("/fd/")
    }));
    // etc/os-release does not exist: no member, not a failed one.
    assert!(!m.members.iter().any(|x| x.path == "etc/os-release"));

    // The vanished process: recorded, and nothing after its psinfo attempted.
    assert_eq!(m.vanished, vec![300]);
    assert!(
        !m.members
            .iter()
            .any(|x| x.path.starts_with("proc/300/") && x.path != "proc/300/psinfo")
    );

    // The layout the files have: that of the capturing binary.
    let model = if cfg!(target_pointer_width = "64") {
        "lp64"
    } else {
        "ilp32"
    };
    let order = if cfg!(target_endian = "big") {
        "big"
    } else {
        "little"
    };
    assert_eq!((&*m.host.data_model, &*m.host.byte_order), (model, order));
    assert_eq!(m.capture.plan.as_deref(), Some("solaris"));
    assert_eq!(m.host.os_release.as_deref(), Some("OmniOS v11 r151046"));
    assert_eq!(
        m.host.zonename, None,
        "no zone name outside Solaris/illumos"
    );
    assert!(m.host.sysname.is_some() && m.host.machine.is_some());
    assert_eq!(m.capture.case.as_deref(), Some("CASE-S"));
}

fn member<'a>(m: &'a Manifest, path: &str) -> &'a ManifestMember {
    m.members
        .iter()
        .find(|x| x.path == path)
        .unwrap_or_else(|| panic!("{path} not in the manifest"))
}

#[test]
fn fake_solaris_tree_in_memory() {
    let dir = TempDir::new("memory");
    let (proc, etc) = fake_tree(&dir.0);
    let (snap, summary) = capture::capture_to_memory_with_summary(&options(&proc, &etc)).unwrap();
    let m = snap.manifest.as_ref().unwrap();
    check_manifest(m, &proc, &etc);
    assert_eq!(snap.source.os.as_deref(), Some("solaris"));

    // The snapshot holds every stored member byte for byte, links as links.
    for path in expected_stored() {
        let src = source(&proc, &etc, &path);
        if src.symlink_metadata().unwrap().file_type().is_symlink() {
            assert_eq!(snap.link(&path), Some(&*readlink(&src)), "{path}");
            assert!(snap.file(&path).is_none(), "{path}");
        } else {
            assert_eq!(
                snap.file(&path),
                Some(&*std::fs::read(&src).unwrap()),
                "{path}"
            );
        }
    }
    assert_eq!(snap.link("proc/100/path/1"), Some(long_target().as_bytes()));
    assert_eq!(
        snap.link("proc/100/path/cwd"),
        Some(&b"/export/home/user dir"[..])
    );
    assert_eq!(snap.file("proc/100/xmap").map(<[u8]>::len), Some(200_000));
    assert_eq!(snap.children("proc/100/lwp"), vec!["1", "2"]);
    assert_eq!(snap.failure("proc/200/cred"), Some("EISDIR"));
    assert_eq!(snap.failure("proc/200/path/a.out"), Some("EINVAL"));
    assert_eq!(snap.failure("proc/300/psinfo"), Some("ENOENT"));
    assert_eq!(snap.children("proc"), vec!["100", "200", "300"]);

    // Order within a process: files, then path/, fdinfo/ and lwp/, each sorted.
    let p100: Vec<&str> = m
        .members
        .iter()
        .filter_map(|x| x.path.strip_prefix("proc/100/"))
        .collect();
    let mut order: Vec<String> = PROCESS_FILES.iter().map(|(n, _)| (*n).to_owned()).collect();
    order.extend(
        ["0", "1", "a.out", "cwd", "root", "zfs.65.65538.1234"]
            .iter()
            .map(|l| format!("path/{l}")),
    );
    order.extend((0..3).map(|fd| format!("fdinfo/{fd}")));
    for lwp in [1, 2] {
        order.extend(LWP_FILES.iter().map(|(n, _)| format!("lwp/{lwp}/{n}")));
    }
    assert_eq!(p100, order);

    assert_eq!((summary.processes, summary.vanished), (2, 1));
    assert_eq!(summary.members, expected_stored().len() as u64);
    assert_eq!(summary.failed, expected_failed().len() as u64);
    assert_eq!(summary.read_errors.get("ENOENT"), Some(&14));
    assert!(!summary.read_errors.contains_key("timeout"));
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
fn fake_solaris_tree_archive() {
    let dir = TempDir::new("archive");
    let (proc, etc) = fake_tree(&dir.0);
    let out = dir.0.join("snap.tar");
    let summary = capture::capture_to_path(&options(&proc, &etc), &out).unwrap();
    assert_eq!(summary.bytes, std::fs::metadata(&out).unwrap().len());

    // Unpack with the system tar; the manifest is the last member.
    let x = dir.0.join("x");
    std::fs::create_dir_all(&x).unwrap();
    let st = Command::new("tar")
        .arg("xf")
        .arg(&out)
        .arg("-C")
        .arg(&x)
        .status()
        .unwrap();
    assert!(st.success());
    let m: Manifest =
        serde_json::from_slice(&std::fs::read(x.join("manifest.json")).unwrap()).unwrap();
    check_manifest(&m, &proc, &etc);
    let listed = tar_lines(&["tf"], &out);
    // The manifest, then the member index, last.
    let last: Vec<&str> = listed.iter().rev().take(2).map(String::as_str).collect();
    assert_eq!(last, vec!["member-index.txt", "manifest.json"]);
    assert_eq!(listed.len(), expected_stored().len() + 2);

    // Every member unpacked is its source, byte for byte; links are links with the same target.
    for path in expected_stored() {
        let src = source(&proc, &etc, &path);
        let got = x.join(&path);
        let kind = got.symlink_metadata().unwrap().file_type();
        if src.symlink_metadata().unwrap().file_type().is_symlink() {
            assert!(kind.is_symlink(), "{path}");
            assert_eq!(readlink(&got), readlink(&src), "{path}");
            assert_eq!(member(&m, &path).kind, MemberKind::Symlink);
        } else {
            assert!(kind.is_file(), "{path}");
            assert_eq!(
                std::fs::read(&got).unwrap(),
                std::fs::read(&src).unwrap(),
                "{path}"
            );
        }
    }
    let listing = tar_lines(&["tvf"], &out);
    let line = |s: &str| {
        listing
            .iter()
            .find(|l| l.contains(s))
            .unwrap_or_else(|| panic!("{s} not listed"))
            .clone()
    };
    assert!(line("proc/100/path/a.out -> /usr/bin/fake").starts_with('l'));
    assert!(line(&format!("proc/100/path/1 -> {}", long_target())).starts_with('l'));
    assert!(line("proc/100/psinfo").starts_with("-r--r--r--"));

    // procsift's own reader opens it and finds every hash in agreement.
    let raw = procsift::snapshot::reader::open_path(
        &out,
        &procsift::snapshot::reader::OpenOptions::default(),
    )
    .unwrap();
    assert!(raw.warnings.is_empty(), "{:?}", raw.warnings);
    let report = procsift::snapshot::reader::verify(&raw);
    assert!(report.is_ok(), "{report}");
}

#[test]
fn os_release_is_preferred_when_present() {
    let dir = TempDir::new("osrelease");
    let (proc, etc) = fake_tree(&dir.0);
    put(
        &etc,
        "os-release",
        b"NAME=\"OmniOS\"\nPRETTY_NAME=\"OmniOS Community Edition v11 r151046\"\n",
    );
    let snap = capture::capture_to_memory(&options(&proc, &etc)).unwrap();
    let m = snap.manifest.as_ref().unwrap();
    assert!(snap.file("etc/os-release").is_some());
    assert!(snap.file("etc/release").is_some());
    assert_eq!(
        m.host.os_release.as_deref(),
        Some("OmniOS Community Edition v11 r151046")
    );
}

#[test]
fn a_blocking_read_skips_the_rest_of_its_process() {
    let dir = TempDir::new("fifo");
    let (proc, etc) = fake_tree(&dir.0);
    put_known(&proc, "400/psinfo", 416);
    put_known(&proc, "400/status", 1680);
    let stuck = fifo(&proc, "400/usage");
    put_known(&proc, "400/lpsinfo", 160);
    put_known(&proc, "400/lwp/1/lwpsinfo", 128);
    put_known(&proc, "500/psinfo", 416);

    let opts = CaptureOptions {
        read_timeout: Duration::from_millis(300),
        ..options(&proc, &etc)
    };
    let snap = capture::capture_to_memory(&opts).unwrap();
    release(&stuck);
    let m = snap.manifest.as_ref().unwrap();

    assert!(snap.file("proc/400/status").is_some());
    assert_eq!(snap.failure("proc/400/usage"), Some("timeout"));
    // Every later read of the process would wait for the same lock: not attempted.
    assert_eq!(snap.failure("proc/400/lpsinfo"), Some("skipped"));
    assert_eq!(snap.failure("proc/400/secflags"), Some("skipped"));
    assert_eq!(member(m, "proc/400/lwp").kind, MemberKind::Directory);
    assert_eq!(member(m, "proc/400/lwp").error.as_deref(), Some("skipped"));
    assert!(snap.member("proc/400/lwp/1/lwpsinfo").is_none());
    // Each member once; the next process is captured as usual.
    assert_eq!(
        m.members
            .iter()
            .filter(|x| x.path == "proc/400/usage")
            .count(),
        1
    );
    assert_eq!(
        snap.file("proc/500/psinfo"),
        Some(&*std::fs::read(proc.join("500/psinfo")).unwrap())
    );
    assert_eq!(snap.failure("proc/500/status"), Some("ENOENT"));
    assert!(m.vanished == vec![300]);
}

#[test]
fn linux_is_the_default_plan_on_linux() {
    assert_eq!(PlanKind::native(), Some(PlanKind::Linux));
    assert_eq!(CaptureOptions::default().plan, None);

    // The fake Solaris tree captured with the default options is read as Linux /proc.
    let dir = TempDir::new("default");
    let (proc, etc) = fake_tree(&dir.0);
    let opts = CaptureOptions {
        plan: None,
        ..options(&proc, &etc)
    };
    let snap = capture::capture_to_memory(&opts).unwrap();
    let m = snap.manifest.as_ref().unwrap();
    assert_eq!(m.capture.plan.as_deref(), Some("linux"));
    assert_eq!(snap.source.os.as_deref(), Some("linux"));
    assert_eq!(snap.failure("proc/100/stat"), Some("ENOENT"));
    assert!(!m.members.iter().any(|x| x.path.ends_with("/psinfo")));
    // Without `stat`, Linux counts every process as vanished.
    assert_eq!(m.vanished, vec![100, 200, 300]);
}
