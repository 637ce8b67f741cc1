//! Permission failures are said, per process, in tables and JSON: an unprivileged user (uid 65534 through
//! `setpriv`) cannot read pid 1's descriptors, mappings, environment or executable link. Whether the
//! input is a capture made by that user (the errors come from the manifest) or the live host read by that
//! user, `files`, `maps` and `show` name the member and the error, like lsof's "Permission denied" rows.
//! Needs root (to drop to 65534) and setpriv (util-linux).
#![cfg(target_os = "linux")]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use common::TempDir;
use serde_json::Value;

/// Runs procsift as uid/gid 65534 with no supplementary groups.
fn as_nobody(args: &[&str]) -> Output {
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_procsift"))
        .args(args)
        .output()
        .expect("setpriv");
    assert!(
        out.status.success(),
        "procsift {args:?} as 65534: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(args: &[&str]) -> String {
    String::from_utf8(as_nobody(args).stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    serde_json::from_slice(&as_nobody(&args).stdout).unwrap()
}

/// The reports of pid 1 read from `input` (`None`: the live host) by the unprivileged user.
fn check_pid1(input: Option<&str>) {
    let with = |rest: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec![rest[0].to_string()];
        v.extend(input.map(str::to_string));
        v.extend(rest[1..].iter().map(|s| s.to_string()));
        v
    };
    let run_text = |rest: &[&str]| {
        let a = with(rest);
        text(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let run_json = |rest: &[&str]| {
        let a = with(rest);
        json(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let what = input.unwrap_or("live");

    // files: lsof prints "NOFD ... /proc/1/fd (opendir: Permission denied)".
    let files = run_text(&["files", "--pid", "1"]);
    let nofd = files
        .lines()
        .find(|l| l.contains("NOFD"))
        .unwrap_or_else(|| panic!("{what}: no NOFD row:\n{files}"));
    assert!(
        nofd.contains("proc/1/fd") && nofd.contains("EACCES: Permission denied"),
        "{what}: {nofd}"
    );
    let fj = run_json(&["files", "--pid", "1"]);
    let unread = fj["unread"].as_array().expect("files unread");
    assert!(
        unread.iter().any(|u| u["pid"] == 1
            && u["field"] == "fds"
            && u["member"] == "proc/1/fd"
            && u["error"] == "EACCES"),
        "{what}: {fj}"
    );

    // maps: a row where the mappings would be, and `unread` in JSON; no made-up total.
    let maps = run_text(&["maps", "1"]);
    assert!(
        maps.lines()
            .any(|l| l.contains("proc/1/maps") && l.contains("EACCES: Permission denied")),
        "{what}:\n{maps}"
    );
    assert!(!maps.contains("total kB"), "{what}:\n{maps}");
    let mj = run_json(&["maps", "1"]);
    assert_eq!(mj["unread"][0]["member"], "proc/1/maps", "{what}: {mj}");
    assert_eq!(mj["unread"][0]["error"], "EACCES", "{what}: {mj}");
    assert!(mj.get("total").is_none(), "{what}: {mj}");

    // show: the environment says why it is missing, and the "not read" section lists every member.
    let show = run_text(&["show", "1"]);
    assert!(
        show.contains("envp  (not read: EACCES: Permission denied)"),
        "{what}:\n{show}"
    );
    assert!(
        show.contains("not read:")
            && show
                .lines()
                .any(|l| l.trim_start().starts_with("exe") && l.contains("proc/1/exe (EACCES")),
        "{what}:\n{show}"
    );
    let sj = run_json(&["show", "1"]);
    let unread = sj["process"]["unread"].as_array().expect("process.unread");
    for (field, member) in [
        ("env", "proc/1/environ"),
        ("exe", "proc/1/exe"),
        ("fds", "proc/1/fd"),
        ("maps", "proc/1/maps"),
    ] {
        assert!(
            unread
                .iter()
                .any(|u| u["field"] == field && u["member"] == member && u["error"] == "EACCES"),
            "{what}: {field} not in {unread:?}"
        );
    }
    assert!(sj["process"].get("env").is_none());

    // ps: the JSON summary and the `unread` column carry it too.
    let ps = run_json(&["ps", "--pid", "1"]);
    assert!(
        ps["processes"][0]["unread"]
            .as_array()
            .is_some_and(|u| !u.is_empty()),
        "{what}: {ps}"
    );
    let col = run_text(&["ps", "--pid", "1", "-o", "pid,unread"]);
    assert!(col.contains("EACCES: "), "{what}:\n{col}");
}

#[test]
fn a_capture_by_an_unprivileged_user_says_what_it_could_not_read() {
    let dir = TempDir::new("unprivileged");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let tar = dir.path().join("nobody.tar");
    let t = tar.to_str().unwrap();
    as_nobody(&["capture", "--no-events", "-o", t]);
    check_pid1(Some(t));
}

#[test]
fn the_live_host_read_by_an_unprivileged_user_says_what_it_could_not_read() {
    check_pid1(None);
}
