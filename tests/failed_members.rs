//! What could not be read is a `Member::Failed` with its errno name, the same for every input kind: the
//! live host read into memory, a directory (`/proc` itself, or a copy), and an archive (from its
//! manifest). Checked as root (members a copy lacks: `ENOENT`, a directory where a file belongs:
//! `EISDIR`) and as an unprivileged user (pid 1's `environ`, `fd/` and `exe`: `EACCES`), the latter by
//! running this test binary again under `setpriv --reuid=65534`.
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::TempDir;
use procsift::capture::{CaptureOptions, capture_to_memory, capture_to_path};
use procsift::input::open_snapshot;
use procsift::snapshot::reader::OpenOptions;
use procsift::snapshot::{Member, RawSnapshot};

/// What each of `paths` is in `raw`: `file`, `link`, `failed <error>` or `absent`.
fn kinds(raw: &RawSnapshot, paths: &[&str]) -> BTreeMap<String, String> {
    paths
        .iter()
        .map(|p| {
            let k = match raw.member(p) {
                Some(Member::File { .. }) => "file".to_string(),
                Some(Member::Symlink(_)) => "link".to_string(),
                Some(Member::Failed(e)) => format!("failed {e}"),
                None => "absent".to_string(),
            };
            (p.to_string(), k)
        })
        .collect()
}

const PID1: &[&str] = &["proc/1/environ", "proc/1/fd", "proc/1/exe", "proc/1/stat"];

/// The inner half, run as uid 65534 by [`unprivileged_reads_record_eacces_in_every_input_kind`]: prints
/// `KIND PATH WHAT` lines.
#[test]
#[ignore = "run by unprivileged_reads_record_eacces_in_every_input_kind as uid 65534"]
fn inner_unprivileged() {
    let Ok(out_dir) = std::env::var("PROCSIFT_TEST_OUT") else {
        return;
    };
    let live = capture_to_memory(&CaptureOptions::default()).unwrap();
    let dir = open_snapshot("/proc".as_ref(), &OpenOptions::default()).unwrap();
    let tar = std::path::Path::new(&out_dir).join("nobody.tar");
    capture_to_path(&CaptureOptions::default(), &tar).unwrap();
    let archive = open_snapshot(&tar, &OpenOptions::default()).unwrap();
    for (kind, raw) in [("live", &live), ("directory", &dir), ("archive", &archive)] {
        for (path, what) in kinds(raw, PID1) {
            println!("RESULT {kind} {path} {what}");
        }
    }
}

#[test]
fn unprivileged_reads_record_eacces_in_every_input_kind() {
    let dir = TempDir::new("nobody");
    // World-writable, so that the unprivileged half can write its capture there.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "inner_unprivileged", "--ignored", "--nocapture"])
        .env("PROCSIFT_TEST_OUT", dir.path())
        .output()
        .expect("setpriv (util-linux)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: BTreeMap<(String, String), String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("RESULT "))
        .map(|l| {
            let mut w = l.splitn(3, ' ');
            let kind = w.next().unwrap().to_string();
            let path = w.next().unwrap().to_string();
            ((kind, path), w.next().unwrap().to_string())
        })
        .collect();
    for kind in ["live", "directory", "archive"] {
        let got = |p: &str| results[&(kind.to_string(), p.to_string())].clone();
        assert_eq!(got("proc/1/environ"), "failed EACCES", "{kind}");
        assert_eq!(got("proc/1/fd"), "failed EACCES", "{kind}");
        assert_eq!(got("proc/1/exe"), "failed EACCES", "{kind}");
        assert_eq!(got("proc/1/stat"), "file", "{kind}");
    }
}

/// As root, a copied tree's missing members are `ENOENT` and a directory where a file belongs is
/// `EISDIR`, read as a directory and read from an archive of that tree alike.
#[test]
fn a_copy_records_its_gaps_like_a_capture() {
    let dir = TempDir::new("gaps");
    let tree = dir.path().join("proc");
    let p = tree.join("77");
    std::fs::create_dir_all(p.join("environ")).unwrap();
    std::fs::write(
        p.join("stat"),
        "77 (gappy) S 1 77 77 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
    )
    .unwrap();
    let paths = [
        "proc/77/stat",
        "proc/77/environ",
        "proc/77/cmdline",
        "proc/77/fd",
    ];
    let as_dir = open_snapshot(&tree, &OpenOptions::default()).unwrap();
    let tar = dir.path().join("gaps.tar");
    capture_to_path(
        &CaptureOptions {
            proc_root: tree.clone(),
            etc_root: dir.path().join("no-etc"),
            ..CaptureOptions::default()
        },
        &tar,
    )
    .unwrap();
    let as_tar = open_snapshot(&tar, &OpenOptions::default()).unwrap();
    for raw in [&as_dir, &as_tar] {
        let k = kinds(raw, &paths);
        assert_eq!(k["proc/77/stat"], "file");
        assert_eq!(k["proc/77/environ"], "failed EISDIR", "{k:?}");
        assert_eq!(k["proc/77/cmdline"], "failed ENOENT", "{k:?}");
        assert_eq!(k["proc/77/fd"], "failed ENOENT", "{k:?}");
    }
}
