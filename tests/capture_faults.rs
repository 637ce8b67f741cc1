//! Captures that the world works against: a host churning processes and threads during the capture, a
//! capture killed at random points, and a capture that runs out of space. The guarantees:
//!
//! * under churn the capture completes and verifies, processes that vanished are listed in the manifest,
//!   and every member of a listed process is either stored or recorded with its error;
//! * nothing is ever left at the output path unless it is a complete archive that verifies (a capture
//!   killed with SIGKILL or SIGTERM may leave `<out>.tmp`, never `<out>`);
//! * out of space is a one-line error naming the device error, exit status 2, and the temporary file is
//!   removed.
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::TempDir;
use procsift::capture::sink::temporary_path;
use procsift::capture::{CaptureOptions, capture_to_path};
use procsift::snapshot::manifest::Manifest;
use procsift::snapshot::reader::{OpenOptions, open_path, verify};

/// Per-process members the Linux plan always records, stored or with their error.
const ALWAYS: [&str; 12] = [
    "stat",
    "status",
    "cmdline",
    "environ",
    "maps",
    "smaps_rollup",
    "limits",
    "io",
    "cgroup",
    "exe",
    "cwd",
    "root",
];

/// Opens and verifies an archive; returns its full manifest.
fn verified(path: &Path) -> Manifest {
    let raw = open_path(path, &OpenOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let report = verify(&raw);
    assert!(report.is_ok(), "{}: {report}", path.display());
    assert!(report.intact > 0);
    raw.full_manifest().expect("a manifest")
}

/// Starts processes and threads that live a few milliseconds each, until dropped.
struct Churn {
    stop: Arc<AtomicBool>,
    spawned: Arc<AtomicU64>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Churn {
    fn start() -> Churn {
        let stop = Arc::new(AtomicBool::new(false));
        let spawned = Arc::new(AtomicU64::new(0));
        let mut threads = Vec::new();
        // Two process spawners: `sleep` children living 5 to 40 ms, reaped as they exit.
        for k in 0..2u64 {
            let (stop, spawned) = (Arc::clone(&stop), Arc::clone(&spawned));
            threads.push(std::thread::spawn(move || {
                let mut children: Vec<Child> = Vec::new();
                let mut n = k;
                while !stop.load(Ordering::Relaxed) {
                    n = n
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let ms = 5 + (n >> 33) % 36;
                    if let Ok(c) = Command::new("sleep")
                        .arg(format!("0.{ms:03}"))
                        .stdin(Stdio::null())
                        .spawn()
                    {
                        children.push(c);
                        spawned.fetch_add(1, Ordering::Relaxed);
                    }
                    children.retain_mut(|c| !matches!(c.try_wait(), Ok(Some(_))));
                    std::thread::sleep(Duration::from_millis(2));
                }
                for mut c in children {
                    let _ = c.kill();
                    let _ = c.wait();
                }
            }));
        }
        // A thread spawner: threads of this process living about a millisecond.
        {
            let (stop, spawned) = (Arc::clone(&stop), Arc::clone(&spawned));
            threads.push(std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let t = std::thread::spawn(|| std::thread::sleep(Duration::from_millis(1)));
                    spawned.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_micros(500));
                    let _ = t.join();
                }
            }));
        }
        Churn {
            stop,
            spawned,
            threads,
        }
    }
}

impl Drop for Churn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[test]
fn capture_under_churn_completes_verifies_and_lists_what_vanished() {
    let dir = TempDir::new("churn");
    let churn = Churn::start();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let mut vanished_seen = 0;
    let mut captures = 0;
    // Capture repeatedly during a few seconds of churn, until one capture has seen a process vanish.
    while captures < 2 || (vanished_seen == 0 && started.elapsed() < Duration::from_secs(8)) {
        let out = dir.path().join(format!("churn-{captures}.tar"));
        let summary = capture_to_path(&CaptureOptions::default(), &out).expect("capture completes");
        captures += 1;
        let m = verified(&out);
        assert_eq!(summary.vanished as usize, m.vanished.len());
        vanished_seen += m.vanished.len();

        let by_path: std::collections::HashMap<
            &str,
            &procsift::snapshot::manifest::ManifestMember,
        > = m.members.iter().map(|x| (x.path.as_str(), x)).collect();
        let vanished: BTreeSet<i32> = m.vanished.iter().copied().collect();
        // A vanished process (its directory could not be opened, or its stat said it is gone): nothing of
        // it is stored, and its stat, when it got that far, is recorded with the error.
        for pid in &vanished {
            if let Some(stat) = by_path.get(format!("proc/{pid}/stat").as_str()) {
                assert!(stat.error.is_some(), "vanished {pid}: {stat:?}");
            }
            assert!(
                !m.members
                    .iter()
                    .any(|x| x.path.starts_with(&format!("proc/{pid}/")) && x.error.is_none()),
                "vanished {pid} has stored members"
            );
        }
        // Every other listed process: every member the plan always reads is stored or has its error.
        let pids: BTreeSet<i32> = m
            .members
            .iter()
            .filter_map(|x| {
                x.path
                    .strip_prefix("proc/")?
                    .strip_suffix("/stat")?
                    .parse()
                    .ok()
            })
            .collect();
        assert!(pids.len() > 1);
        for pid in pids.difference(&vanished) {
            for name in ALWAYS {
                let path = format!("proc/{pid}/{name}");
                let mm = by_path
                    .get(path.as_str())
                    .unwrap_or_else(|| panic!("{path} missing without a recorded error"));
                assert!(
                    mm.error.is_some() || mm.sha256.is_some(),
                    "{path}: neither stored nor failed: {mm:?}"
                );
            }
        }
        // Every stored member of the manifest is in the archive, and nothing else is (verify says so).
        let _ = std::fs::remove_file(&out);
    }
    let spawned = churn.spawned.load(Ordering::Relaxed);
    drop(churn);
    // The churn must have been real: processes vanished between a capture's listing and its reading.
    // (How fast the churn ran is not asserted: speed is the benchmark's.)
    assert!(
        vanished_seen > 0,
        "{captures} captures under a churn of {spawned} processes and threads, and no process vanished \
         mid-capture"
    );
}

/// A fake /proc of `n` processes (each with the members of a real one, and links), and an /etc.
fn big_fake_tree(root: &Path, n: usize) -> (PathBuf, PathBuf) {
    let proc = root.join("proc");
    let etc = root.join("etc");
    let put = |rel: String, bytes: &[u8]| {
        let p = proc.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    put("loadavg".into(), b"0.10 0.20 0.30 1/99 400\n");
    put("uptime".into(), b"1234.56 2000.00\n");
    put("meminfo".into(), b"MemTotal:       1000 kB\n");
    put("stat".into(), b"cpu  1 2 3 4\nbtime 1700000000\n");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("passwd"), b"root:x:0:0:root:/root:/bin/sh\n").unwrap();
    let maps = b"00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/daemon\n".repeat(20);
    for pid in 1000..1000 + n {
        put(
            format!("{pid}/stat"),
            format!("{pid} (daemon) S 1 {pid} {pid} 0 -1 4194560 0 0 0 0 3 4 0 0 20 0 1 0 5 0 0\n")
                .as_bytes(),
        );
        put(
            format!("{pid}/status"),
            format!("Name:\tdaemon\nPid:\t{pid}\nUid:\t0\t0\t0\t0\nThreads:\t1\n").as_bytes(),
        );
        put(format!("{pid}/cmdline"), b"/usr/bin/daemon\0--serve\0");
        put(format!("{pid}/environ"), b"HOME=/root\0PATH=/bin\0");
        put(format!("{pid}/maps"), &maps);
        put(format!("{pid}/limits"), b"Limit Soft Hard Units\n");
        for (name, target) in [("exe", "/usr/bin/daemon"), ("cwd", "/"), ("root", "/")] {
            std::os::unix::fs::symlink(target, proc.join(format!("{pid}/{name}"))).unwrap();
        }
        std::fs::create_dir_all(proc.join(format!("{pid}/fd"))).unwrap();
        std::os::unix::fs::symlink("/dev/null", proc.join(format!("{pid}/fd/0"))).unwrap();
    }
    (proc, etc)
}

fn capture_cmd(proc: &Path, etc: &Path, out: &Path) -> Command {
    let mut c = common::bin();
    c.arg("capture")
        .arg("--proc-root")
        .arg(proc)
        .arg("--etc-root")
        .arg(etc)
        .arg("-o")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

#[test]
fn a_capture_killed_at_random_points_leaves_nothing_or_a_verified_archive() {
    let dir = TempDir::new("killed");
    let (proc, etc) = big_fake_tree(dir.path(), 1500);
    let out = dir.path().join("out.tar");

    // How long a whole capture of this tree takes.
    let t = Instant::now();
    let full = capture_cmd(&proc, &etc, &out).output().unwrap();
    assert!(
        full.status.success(),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );
    let whole = t.elapsed();
    let m = verified(&out);
    assert_eq!(
        m.members
            .iter()
            .filter(|x| x.path.ends_with("/stat"))
            .count(),
        1500 + 1
    );
    std::fs::remove_file(&out).unwrap();

    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let (mut interrupted, mut completed) = (0, 0);
    for round in 0..12 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Anywhere from the start to a little past the usual end.
        let delay = whole.mul_f64((seed % 1000) as f64 / 1000.0 * 1.1);
        let mut child = capture_cmd(&proc, &etc, &out).spawn().unwrap();
        std::thread::sleep(delay);
        let signal = if round % 2 == 0 {
            rustix::process::Signal::KILL
        } else {
            rustix::process::Signal::TERM
        };
        let pid = rustix::process::Pid::from_child(&child);
        let _ = rustix::process::kill_process(pid, signal);
        let status = child.wait().unwrap();
        if out.exists() {
            // Whatever is at the output path is complete and verifies.
            let m = verified(&out);
            assert!(m.capture.finished.is_some());
            completed += 1;
        } else {
            assert!(!status.success(), "exited 0 without an archive");
            interrupted += 1;
        }
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_file(temporary_path(&out));
    }
    assert!(
        interrupted > 0,
        "no capture was interrupted ({completed} completed)"
    );
}

/// A mount point with a small tmpfs, unmounted on drop.
struct SmallFs(PathBuf);

impl SmallFs {
    fn mount(at: PathBuf, size: &str) -> SmallFs {
        std::fs::create_dir_all(&at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .status()
            .expect("run mount")
            .success();
        assert!(ok, "mount -t tmpfs (the tests run as root)");
        SmallFs(at)
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn out_of_space_is_a_clear_error_and_leaves_no_file() {
    let dir = TempDir::new("nospace");
    let (proc, etc) = big_fake_tree(&dir.path().join("tree"), 300);
    let fs = SmallFs::mount(dir.path().join("small"), "64k");
    let out = fs.0.join("out.tar");

    let r = capture_cmd(&proc, &etc, &out).output().unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!out.exists());
    assert!(!temporary_path(&out).exists(), "temporary file left");
    assert_eq!(std::fs::read_dir(&fs.0).unwrap().count(), 0);

    // Through the library: the same, as an error value.
    let e = capture_to_path(
        &CaptureOptions {
            proc_root: proc.clone(),
            etc_root: etc.clone(),
            ..CaptureOptions::default()
        },
        &out,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("No space left on device"), "{e}");
    assert_eq!(std::fs::read_dir(&fs.0).unwrap().count(), 0);
}

#[test]
fn the_fake_root_options_are_hidden() {
    let out = common::bin().args(["capture", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(help.contains("--no-environ"), "{help}");
    assert!(
        !help.contains("proc-root") && !help.contains("etc-root"),
        "{help}"
    );
}
