//! Files that hold evidence are readable by their owner only: a capture archive (one-off and periodic), a
//! core, an HTML report and an export dataset carry environments, command lines or memory. Each is
//! written under umask 022 (which would give 0644) and must come out 0600. Needs root (gcore of a child
//! is ptrace).
#![cfg(target_os = "linux")]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Kid, TempDir};

/// Runs procsift with `args` under umask 022; panics with its stderr when it fails.
fn run_umask_022(args: &[&str]) -> Output {
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_procsift"))
        .args(args)
        .output()
        .expect("run procsift");
    assert!(
        out.status.success(),
        "procsift {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// Every regular file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let t = e.file_type().unwrap();
            if t.is_dir() {
                todo.push(e.path());
            } else if t.is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn evidence_files_are_owner_only_whatever_the_umask() {
    let dir = TempDir::new("modes");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    // A sanity check of the set-up: a file the shell makes under the same umask is 0644.
    let plain = dir.path().join("plain");
    let status = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && : > \"$0\"")
        .arg(&plain)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(mode(&plain), 0o644);

    let mut sleeper = Kid(Command::new("sleep").arg("300").spawn().unwrap());
    let pid = sleeper.0.id().to_string();

    let archive = dir.path().join("host.tar");
    run_umask_022(&["capture", "-o", &s(&archive), "--no-events", "--core", &pid]);
    assert_eq!(mode(&archive), 0o600, "capture -o");

    let core = dir.path().join("sleep.core");
    run_umask_022(&["gcore", &pid, "-o", &s(&core)]);
    assert_eq!(mode(&core), 0o600, "gcore -o");

    let page = dir.path().join("host.html");
    run_umask_022(&["report", &s(&archive), "-o", &s(&page)]);
    assert_eq!(mode(&page), 0o600, "report -o");

    for format in ["parquet", "ndjson"] {
        let ds = dir.path().join(format!("dataset-{format}"));
        run_umask_022(&["export", &s(&archive), "-o", &s(&ds), "--format", format]);
        let files = files_under(&ds);
        assert!(!files.is_empty(), "export --format {format} wrote nothing");
        for f in files {
            assert_eq!(mode(&f), 0o600, "export --format {format}: {}", f.display());
        }
    }

    let tree = dir.path().join("periodic");
    run_umask_022(&[
        "capture",
        "--output-dir",
        &s(&tree),
        "--every",
        "1",
        "--count",
        "1",
        "--no-events",
    ]);
    let archives: Vec<_> = files_under(&tree)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "tar"))
        .collect();
    assert_eq!(archives.len(), 1, "capture --output-dir --count 1");
    assert_eq!(mode(&archives[0]), 0o600, "capture --output-dir");

    let _ = sleeper.0.kill();
}
