//! The command line as a user meets it: help with examples, clear one-line errors, copied /proc trees.

mod common;

use common::{TempDir, bin, corpus, run_json};

#[test]
fn every_subcommand_help_has_examples() {
    for sub in [
        "capture", "ps", "tree", "show", "threads", "maps", "files", "info", "verify", "diff",
    ] {
        let out = bin().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub} --help");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Examples:"),
            "{sub} --help has no examples:\n{text}"
        );
    }
}

#[test]
fn not_a_snapshot_is_a_one_line_error() {
    let dir = TempDir::new("cli");
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"hello, I am not an archive\n").unwrap();
    let empty = dir.path().join("empty.tar");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.path().join("missing.tar");
    for path in [&junk, &empty, &missing] {
        let out = bin()
            .arg("ps")
            .arg(path)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(
            err.contains(path.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
        assert!(!err.contains('\x1b'), "colour when redirected: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn unknown_pid_and_column_are_clear_errors() {
    let tree = corpus("linux/proc-snapshots/prometheus-procfs");
    let out = bin().arg("show").arg(&tree).arg("999999").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no process with pid 999999"));
    let out = bin()
        .arg("ps")
        .arg(&tree)
        .args(["-o", "pid,bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown column \"bogus\""));
}

/// The prometheus/procfs fixture tree, copied from a real host: values as written in its files.
#[test]
fn copied_proc_tree_is_analyzed() {
    let tree = corpus("linux/proc-snapshots/prometheus-procfs");
    let doc = run_json(&["show", tree.to_str().unwrap(), "26231", "--format", "json"]);
    let p = &doc["process"];
    assert_eq!(doc["source"]["kind"], "directory");
    assert_eq!(p["comm"], "vim");
    assert_eq!(p["ppid"], 5392);
    assert_eq!(p["pgid"], 7446);
    assert_eq!(p["argv"], serde_json::json!(["vim", "test.go", "+10"]));
    assert_eq!(p["uid"], 1000);
    assert_eq!(p["gid"], 1001);
    assert_eq!(p["exe"], "/usr/bin/vim");
    assert_eq!(p["cwd"], "/usr/bin");
    assert_eq!(p["start_ticks"], 82375);
    assert_eq!(p["env"][2], "TERM=xterm");
    let ns: Vec<_> = p["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["type"].as_str().unwrap(), n["inode"].as_u64().unwrap()))
        .collect();
    assert!(ns.contains(&("net", 4026531993)), "{ns:?}");
    assert!(ns.contains(&("mnt", 4026531840)), "{ns:?}");
    assert_eq!(p["fds"].as_array().unwrap().len(), 5);

    let threads = run_json(&[
        "threads",
        tree.to_str().unwrap(),
        "27079",
        "--format",
        "json",
    ]);
    let tids: Vec<i64> = threads["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tid"].as_i64().unwrap())
        .collect();
    assert_eq!(tids, [27079, 27080, 27081, 27082, 27083]);

    // Every report works on the tree, in every format.
    for report in ["ps", "tree", "info", "files", "threads"] {
        for format in ["table", "json", "ndjson", "csv"] {
            let out = bin()
                .arg(report)
                .arg(&tree)
                .args(["--format", format])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{report} --format {format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
