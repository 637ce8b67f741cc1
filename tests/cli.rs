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

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The README's and `ps --help`'s `--sort -rss`: a descending column is a value, not an option.
#[test]
fn sort_takes_a_descending_column() {
    let tree = corpus("linux/proc-snapshots/prometheus-procfs");
    for args in [["--sort", "-rss"].as_slice(), ["--sort=-rss"].as_slice()] {
        let out = bin()
            .arg("ps")
            .arg(&tree)
            .args(args)
            .args(["-o", "pid,rss", "--format", "csv"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        let rss: Vec<u64> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(1)?.parse().ok())
            .collect();
        assert!(rss.len() >= 2, "{rss:?}");
        assert!(rss.windows(2).all(|w| w[0] >= w[1]), "{args:?}: {rss:?}");
    }
}

/// A usage error is one line (with where to look), not clap's five-line block.
#[test]
fn usage_errors_are_one_line() {
    for args in [
        vec!["ps", "--bogus"],
        vec!["show"],
        vec!["diff"],
        vec!["ps", "--format", "nope"],
        vec!["bogus-command"],
        vec!["ps", "-o"],
    ] {
        let out = bin().args(&args).env("NO_COLOR", "1").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr_of(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains("--help"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // Help and version are not errors.
    for args in [["--help"], ["--version"]] {
        let out = bin().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(!out.stdout.is_empty());
    }
}

/// `show 1` is pid 1 even when the current directory holds a file named `1`; `./1` is that file.
#[test]
fn a_bare_number_is_a_pid() {
    let dir = TempDir::new("bare-pid");
    std::fs::write(dir.path().join("1"), b"not an archive\n").unwrap();
    let out = bin()
        .args(["show", "1", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["process"]["pid"], 1);
    assert_eq!(doc["source"]["kind"], "live");
    let out = bin()
        .args(["show", "./1"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("1"), "{}", stderr_of(&out));
}

/// `--pid`/`--user` that select nothing: exit 1 and a one-line message, like `ps -p`.
#[test]
fn no_matching_process_exits_1() {
    let tree = corpus("linux/proc-snapshots/prometheus-procfs");
    for (report, filter) in [
        ("ps", ["--pid", "999999"]),
        ("ps", ["--user", "nosuchuser"]),
        ("tree", ["--pid", "999999"]),
        ("threads", ["--user", "nosuchuser"]),
        ("files", ["--pid", "999999"]),
    ] {
        for format in ["table", "json"] {
            let out = bin()
                .arg(report)
                .arg(&tree)
                .args(filter)
                .args(["--format", format])
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{report} {filter:?} {format}");
            let err = stderr_of(&out);
            let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
            assert_eq!(errors.len(), 1, "{err}");
            assert!(errors[0].contains("no process matches"), "{err}");
            assert!(errors[0].contains(filter[1]), "{err}");
        }
    }
    // A filter that matches is exit 0.
    let out = bin()
        .arg("ps")
        .arg(&tree)
        .args(["--pid", "26231"])
        .output()
        .unwrap();
    assert!(out.status.success());
}

/// `events` without INPUT: the live host has no recorded events, and the message says so.
#[test]
fn events_without_input_says_why() {
    let out = bin().arg("events").env("NO_COLOR", "1").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("live host"), "{err}");
    assert!(err.contains("capture"), "{err}");
}

/// CSV holds numbers or empty cells in numeric columns and ISO 8601 times, never the table's `-`.
#[test]
fn csv_has_numbers_and_iso_times() {
    let tree = corpus("linux/proc-snapshots/prometheus-procfs");
    let out = bin()
        .arg("ps")
        .arg(&tree)
        .args([
            "-o",
            "pid,ppid,rss,vsz,pss,start,time,nlwp,args",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("PID,PPID,RSS,VSZ,PSS,START,TIME,NLWP,ARGS")
    );
    let mut rows = 0;
    for line in lines {
        rows += 1;
        let cells: Vec<&str> = line.splitn(9, ',').collect();
        for (i, c) in cells[..8].iter().enumerate() {
            if i == 5 {
                assert!(
                    c.is_empty() || (c.len() >= 20 && c.as_bytes()[10] == b'T' && c.ends_with('Z')),
                    "START {c:?} in {line}"
                );
            } else {
                assert!(
                    c.is_empty() || c.parse::<f64>().is_ok(),
                    "column {i}: {c:?} in {line}"
                );
            }
        }
        assert!(!line.contains(",-,"), "{line}");
    }
    assert!(rows >= 5, "{text}");
    // 26231 (vim) started at tick 82375 after a boot whose time the fixture gives: a full timestamp.
    assert!(text.contains("26231,5392,"), "{text}");
}

/// `show` names the namespace links by their own names: `pid_for_children` is not a second `pid`.
#[test]
fn show_names_children_namespaces() {
    let me = std::process::id().to_string();
    let ns_dir = format!("/proc/{me}/ns");
    if std::fs::read_link(format!("{ns_dir}/pid_for_children")).is_err() {
        return;
    }
    let out = bin().args(["show", &me]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let ns: Vec<&str> = text
        .split("namespaces:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(ns.contains(&"pid_for_children"), "{ns:?}");
    assert_eq!(ns.iter().filter(|n| **n == "pid").count(), 1, "{ns:?}");
    if std::fs::read_link(format!("{ns_dir}/time_for_children")).is_ok() {
        assert!(ns.contains(&"time_for_children"), "{ns:?}");
        assert_eq!(ns.iter().filter(|n| **n == "time").count(), 1, "{ns:?}");
    }
}

/// Help says what each command takes: cores for threads and files, `[INPUT] PID` for show and maps,
/// every kind of INPUT at the top; sentences are not broken by hand.
#[test]
fn help_matches_behaviour() {
    let help = |args: &[&str]| {
        let out = bin().args(args).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    for sub in ["threads", "files"] {
        let h = help(&[sub, "--help"]);
        assert!(h.contains("core"), "{sub}: {h}");
    }
    for sub in ["show", "maps", "signals"] {
        let h = help(&[sub, "--help"]);
        assert!(h.contains("[INPUT] <PID>"), "{sub}: {h}");
    }
    let top = help(&["--help"]);
    for kind in ["core", "NetBSD", ".tar"] {
        assert!(top.contains(kind), "{top}");
    }
    // A paragraph's lines are not cut to one word by a hand-placed line break.
    let capture = help(&["capture", "--help"]);
    for line in capture.lines() {
        let words = line.split_whitespace().count();
        assert!(
            words != 1 || line.ends_with(':') || line.trim().starts_with('-'),
            "{line:?} in\n{capture}"
        );
    }
    let events = help(&["events", "--help"]);
    assert!(events.contains("live host"), "{events}");
}
