//! Live Linux: a process with known properties, captured and analyzed, must be reported exactly.
//! Needs root (unshare --pid), gcc and procps; .ci/run installs them.

mod common;

use std::collections::BTreeMap;

use common::{TempDir, escaped, run_json, spawn};
use serde_json::Value;

const MARKER: &str = "procsift-marker-4f1c";

#[test]
fn captured_spawnee_is_reported_exactly() {
    let s = spawn(&[b"first arg with spaces", b"non-utf8 \xff byte"], MARKER);
    let dir = TempDir::new("live");
    let tar = dir.path().join("host.tar");
    let tar = tar.to_str().unwrap();
    run_json(&["info", "--format", "json"]); // the live path works at all
    let out = common::bin()
        .args(["capture", "-o", tar, "--case", "CASE-7"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pid = s.pid.to_string();

    let show = run_json(&["show", tar, &pid, "--format", "json"]);
    let p = &show["process"];
    let want_argv: Vec<String> = s.argv.iter().map(|a| escaped(a)).collect();
    assert_eq!(p["argv"], serde_json::json!(want_argv));
    assert_eq!(p["argv"][2], "non-utf8 \\xff byte");
    let env: Vec<&str> = p["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        env.contains(&format!("PROCSIFT_MARKER={MARKER}").as_str()),
        "{env:?}"
    );
    assert_eq!(p["nlwp"], 3);
    assert_eq!(p["threads"].as_array().unwrap().len(), 3);
    assert_eq!(p["nspid"], serde_json::json!([s.pid, s.inner_pid]));
    assert_eq!(s.inner_pid, 1);
    assert_eq!(p["uid"], 0);
    assert_eq!(p["user"], "root");

    let threads = run_json(&["threads", tar, &pid, "--format", "json"]);
    let mut names: Vec<&str> = threads["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["spawnee", "worker-1", "worker-2"]);

    let files = run_json(&["files", tar, &pid, "--format", "json"]);
    let fds = files["fds"].as_array().unwrap();
    let file = escaped(s.file.to_str().unwrap().as_bytes());
    assert!(
        fds.iter()
            .any(|f| f["target"] == file.as_str() && f["kind"] == "file" && f["mode"] == "r"),
        "{fds:#?}"
    );
    let sock = fds
        .iter()
        .find(|f| f["kind"] == "socket")
        .expect("a socket fd");
    assert_eq!(sock["socket"]["protocol"], "tcp");
    assert_eq!(sock["socket"]["state"], "LISTEN");
    assert_eq!(sock["socket"]["local"]["address"], "127.0.0.1");
    assert_eq!(sock["socket"]["local"]["port"], s.port);

    let tree = common::bin()
        .args(["tree", tar, "--pid", &pid])
        .output()
        .unwrap();
    let tree = String::from_utf8_lossy(&tree.stdout);
    assert!(tree.contains(&format!("{} (ns: 1) ", s.pid)), "{tree}");

    let info = run_json(&["info", tar, "--format", "json"]);
    assert_eq!(info["capture"]["case"], "CASE-7");
    assert_eq!(info["source"]["kind"], "archive");
}

#[test]
fn capture_then_analyze_matches_live() {
    let s = spawn(&[b"same", b"answers"], MARKER);
    let dir = TempDir::new("same");
    let tar = dir.path().join("s.tar");
    let tar = tar.to_str().unwrap();
    let pid = s.pid.to_string();
    let live = run_json(&["show", &pid, "--format", "json"]);
    let out = common::bin().args(["capture", "-o", tar]).output().unwrap();
    assert!(out.status.success());
    let archived = run_json(&["show", tar, &pid, "--format", "json"]);
    // Fields that change by themselves between two reads of a sleeping process.
    fn stable(mut v: Value) -> Value {
        let o = v.as_object_mut().unwrap();
        for k in ["user_time", "system_time", "io", "memory", "state", "wchan"] {
            o.remove(k);
        }
        if let Some(Value::Array(ts)) = o.get_mut("threads") {
            for t in ts {
                let t = t.as_object_mut().unwrap();
                for k in [
                    "user_time",
                    "system_time",
                    "state",
                    "processor",
                    "voluntary_ctxt_switches",
                    "nonvoluntary_ctxt_switches",
                    "wchan",
                ] {
                    t.remove(k);
                }
            }
        }
        if let Some(Value::Array(fds)) = o.get_mut("fds") {
            fds.retain(|f| f["pos"].is_null() || f["kind"] != "other");
        }
        v
    }
    assert_eq!(
        stable(live["process"].clone()),
        stable(archived["process"].clone())
    );
}

fn procps() -> BTreeMap<i32, (i32, u32, String)> {
    let out = std::process::Command::new("ps")
        .args(["-eo", "pid=,ppid=,uid=,comm="])
        .output()
        .expect("ps (procps)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let pid = w.next()?.parse().ok()?;
            let ppid = w.next()?.parse().ok()?;
            let uid = w.next()?.parse().ok()?;
            Some((pid, (ppid, uid, w.collect::<Vec<_>>().join(" "))))
        })
        .collect()
}

#[test]
fn ps_agrees_with_procps() {
    let s = spawn(&[b"agree"], MARKER);
    // ps before and after ours: only processes that did not change in between are compared (other
    // tests start and stop processes concurrently; orphans get a new parent).
    let before = procps();
    let ours = run_json(&["ps", "--format", "json"]);
    let after = procps();
    let procs = ours["processes"].as_array().unwrap();
    let mut compared = 0;
    for (pid, (ppid, uid, comm)) in &before {
        if after.get(pid) != Some(&(*ppid, *uid, comm.clone())) {
            continue;
        }
        let p = procs
            .iter()
            .find(|p| p["pid"] == *pid)
            .unwrap_or_else(|| panic!("pid {pid} alive throughout but missing"));
        assert_eq!(p["ppid"], *ppid, "ppid of {pid}");
        // procps's `uid` is the effective uid ("see euid").
        assert_eq!(p["euid"], *uid, "euid of {pid}");
        // A kernel worker renames itself after the work item it runs.
        if !comm.starts_with("kworker/") {
            assert_eq!(p["comm"].as_str().unwrap(), comm.as_str(), "comm of {pid}");
        }
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} processes in common");
    assert!(procs.iter().any(|p| p["pid"] == s.pid));
}
