//! Capture window events: a capture with `--watch 3` while known short-lived processes start and die
//! (fork without exec, exec of a known argv, exit with a known status, a setuid change through setpriv,
//! a process killed by a signal); each must appear in `events` with the right kind, pid, parent, program
//! and exit status, and in `ps --all`. And a capture without CAP_NET_ADMIN succeeds and says that events
//! were not recorded, and why. Needs root, the initial pid namespace, and setpriv (util-linux).
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, run_json};
use serde_json::Value;

/// Waits until the capture `pid` runs its event-listener thread (started once the kernel acknowledged
/// the subscription).
fn wait_for_listener(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for t in tasks.flatten() {
                let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
                if comm.trim() == "procsift-events" {
                    return;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the capture never started listening to process events");
}

const WORKLOAD: &str = r#"
out="$1"
echo "driver $$" >> "$out"
( sleep 0.2; exit 5 ) & echo "subshell $!" >> "$out"
sh -c 'sleep 0.4; exit 7' & echo "exit7 $!" >> "$out"
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'sleep 0.4; exit 0' & echo "setuid $!" >> "$out"
sleep 30 & victim=$!; echo "killed $victim" >> "$out"
sleep 0.3
kill -TERM "$victim"
wait
"#;

#[test]
fn short_lived_processes_are_in_events_and_ps_all() {
    let dir = TempDir::new("events");
    let tar = dir.path().join("host.tar");
    let pids_file = dir.path().join("pids.txt");
    let capture = common::bin()
        .args(["capture", "--no-environ", "--watch", "3", "-o"])
        .arg(&tar)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_listener(capture.id());
    let status = Command::new("bash")
        .args(["-c", WORKLOAD, "workload"])
        .arg(&pids_file)
        .status()
        .unwrap();
    assert!(status.success());
    let out = capture.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("process events recorded"), "{stderr}");

    let pids: BTreeMap<String, i32> = std::fs::read_to_string(&pids_file)
        .unwrap()
        .lines()
        .map(|l| {
            let (name, pid) = l.split_once(' ').unwrap();
            (name.to_string(), pid.parse().unwrap())
        })
        .collect();
    let driver = pids["driver"];
    let tar = tar.to_str().unwrap();

    let info = run_json(&["info", tar, "--format", "json"]);
    assert_eq!(info["events"]["recorded"], true, "{:#}", info["events"]);
    assert_eq!(info["events"]["lost"], 0);

    let ev = run_json(&["events", tar, "--format", "json"]);
    assert_eq!(ev["recording"]["recorded"], true);
    let events = ev["events"].as_array().unwrap();
    let of = |pid: i32, kind: &str| -> Vec<&Value> {
        events
            .iter()
            .filter(|e| e["tgid"] == pid && e["pid"] == pid && e["kind"] == kind)
            .collect()
    };
    for name in ["subshell", "exit7", "setuid", "killed"] {
        let pid = pids[name];
        let forks = of(pid, "fork");
        assert_eq!(forks.len(), 1, "{name} {pid}: {events:#?}");
        assert_eq!(forks[0]["parent_tgid"], driver, "{name}");
        assert!(forks[0]["time"].is_string());
        let exits = of(pid, "exit");
        assert_eq!(exits.len(), 1, "{name} {pid}");
    }
    // A fork without exec: the subshell exits 5 and never exec'd.
    let subshell = pids["subshell"];
    assert!(of(subshell, "exec").is_empty());
    assert_eq!(of(subshell, "exit")[0]["exit_status"], 5);
    assert_eq!(of(subshell, "exit")[0]["exit_code"], 5 << 8);
    // Exec of a known argv, exit with a known status.
    let exit7 = pids["exit7"];
    let exec = of(exit7, "exec");
    assert_eq!(exec.len(), 1);
    assert_eq!(
        exec[0]["argv"],
        serde_json::json!(["sh", "-c", "sleep 0.4; exit 7"])
    );
    assert!(
        exec[0]["exe"].as_str().unwrap().ends_with("sh")
            || exec[0]["exe"].as_str().unwrap().ends_with("dash")
            || exec[0]["exe"].as_str().unwrap().ends_with("bash")
    );
    assert_eq!(of(exit7, "exit")[0]["exit_status"], 7);
    // setpriv: exec of setpriv, uid and gid changes to 65534, exec of sh.
    let setuid = pids["setuid"];
    let uid = of(setuid, "uid");
    assert!(
        uid.iter().any(|e| e["ruid"] == 65534 && e["euid"] == 65534),
        "{uid:#?}"
    );
    assert!(of(setuid, "gid").iter().any(|e| e["egid"] == 65534));
    let execs = of(setuid, "exec");
    // (What the first exec ran is read right after its event: setpriv, unless it already exec'd sh.)
    assert_eq!(execs.len(), 2, "{execs:#?}");
    assert_eq!(
        execs[1]["argv"],
        serde_json::json!(["sh", "-c", "sleep 0.4; exit 0"])
    );
    assert_eq!(of(setuid, "exit")[0]["exit_status"], 0);
    // Killed by a signal.
    let killed = pids["killed"];
    let exit = of(killed, "exit")[0];
    assert_eq!(exit["signal"], 15);
    assert_eq!(exit["signal_name"], "SIGTERM");
    assert!(exit.get("exit_status").is_none());
    assert_eq!(
        of(killed, "exec")[0]["argv"],
        serde_json::json!(["sleep", "30"])
    );

    // The table says the same.
    let table = common::run_ok(&[
        "events".as_ref(),
        tar.as_ref(),
        "--pid".as_ref(),
        killed.to_string().as_ref(),
    ]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("killed SIGTERM"), "{table}");

    // ps --all: every one of them, with how it ended; ps without --all only what the scan read.
    let ps = run_json(&["ps", tar, "--all", "--format", "json"]);
    let procs = ps["processes"].as_array().unwrap();
    let find = |pid: i32| {
        procs
            .iter()
            .filter(|p| p["pid"] == pid && p["events"]["exit"].is_object())
            .collect::<Vec<_>>()
    };
    for (name, status, signal) in [
        ("subshell", Some(5), None),
        ("exit7", Some(7), None),
        ("setuid", Some(0), None),
        ("killed", None, Some(15)),
    ] {
        let pid = pids[name];
        let found = find(pid);
        assert_eq!(found.len(), 1, "{name} {pid} not in ps --all");
        let p = found[0];
        assert_eq!(p["ppid"], driver, "{name}");
        assert_eq!(
            p["events"]["exit"]["exit_status"],
            serde_json::json!(status)
        );
        assert_eq!(p["events"]["exit"]["signal"], serde_json::json!(signal));
        assert!(p["events"]["forked"].is_string(), "{name}");
    }
    let setuid_p = find(pids["setuid"])[0];
    assert_eq!(setuid_p["uid"], 65534);
    assert_eq!(
        setuid_p["argv"],
        serde_json::json!(["sh", "-c", "sleep 0.4; exit 0"])
    );
    // The subshell never exec'd: it is known by its parent's program.
    assert_eq!(find(subshell)[0]["comm"], "bash");
    let plain = run_json(&["ps", tar, "--format", "json"]);
    assert!(
        plain["processes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["events"]["seen_only_in_events"] != true)
    );

    let text = common::run_ok(&["ps".as_ref(), tar.as_ref(), "--all".as_ref()]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.lines().next().unwrap().contains("SEEN"), "{text}");
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&exit7.to_string()))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("exited 7"), "{line}");
    let tree = common::run_ok(&["tree".as_ref(), tar.as_ref(), "--all".as_ref()]);
    let tree = String::from_utf8_lossy(&tree.stdout);
    assert!(tree.contains(&format!("{killed} sleep 30")), "{tree}");
    assert!(tree.contains("killed SIGTERM"), "{tree}");

    // The archive holds the raw messages only (the decoded form is the `events` report's to derive).
    let verify = common::run_ok(&["verify".as_ref(), tar.as_ref()]);
    assert!(verify.status.success());
    let list = Command::new("tar").args(["tf", tar]).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("events/cn_proc.bin"), "{list}");
    assert!(!list.contains("events/events.jsonl"), "{list}");
}

#[test]
fn without_cap_net_admin_the_capture_says_events_were_not_recorded() {
    let dir = TempDir::new("events-noprivs");
    let tar = dir.path().join("host.tar");
    let out = Command::new("setpriv")
        .args(["--inh-caps=-all", "--bounding-set=-all"])
        .arg(env!("CARGO_BIN_EXE_procsift"))
        .args(["capture", "--no-environ", "-o"])
        .arg(&tar)
        .output()
        .expect("run setpriv (util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("process events were not recorded") && stderr.contains("CAP_NET_ADMIN"),
        "{stderr}"
    );
    let tar = tar.to_str().unwrap();
    let info = run_json(&["info", tar, "--format", "json"]);
    assert_eq!(info["events"]["recorded"], false);
    assert!(
        info["events"]["reason"]
            .as_str()
            .unwrap()
            .contains("CAP_NET_ADMIN"),
        "{:#}",
        info["events"]
    );
    assert!(info["counts"]["processes"].as_u64().unwrap() > 0);
    let table = common::run_ok(&["info".as_ref(), tar.as_ref()]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("process events") && table.contains("not recorded"),
        "{table}"
    );
    let ev = run_json(&["events", tar, "--format", "json"]);
    assert_eq!(ev["recording"]["recorded"], false);
    assert_eq!(ev["events"], serde_json::json!([]));
    let text = common::run_ok(&["events".as_ref(), tar.as_ref()]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("not recorded"));
    // No archive member for events.
    let list = Command::new("tar").args(["tf", tar]).output().unwrap();
    assert!(!String::from_utf8_lossy(&list.stdout).contains("events/"));
}

/// A second process-connector listener during a capture (here a second capture) sends its
/// PROC_CN_MCAST_LISTEN and PROC_CN_MCAST_IGNORE requests to the connector's multicast group, so the
/// first capture receives them too: 4-byte control messages, not damaged events. No report may warn about
/// them, and every offset a warning gives is a byte offset within the member.
#[test]
fn another_listeners_control_messages_are_not_damage() {
    let dir = TempDir::new("two-listeners");
    let first = dir.path().join("first.tar");
    let second = dir.path().join("second.tar");
    let capture = common::bin()
        .args(["capture", "--no-environ", "--watch", "2", "-o"])
        .arg(&first)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_listener(capture.id());
    // The second capture subscribes (LISTEN) and unsubscribes (IGNORE) inside the first one's window.
    let out = common::bin()
        .args(["capture", "--no-environ", "-o"])
        .arg(&second)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = capture.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = run_json(&["events", first.to_str().unwrap(), "--format", "json"]);
    let warnings = doc["warnings"].as_array().cloned().unwrap_or_default();
    assert!(
        warnings.is_empty(),
        "control messages reported as damage: {warnings:?}"
    );
    assert!(
        doc["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "exec"),
        "the second capture's exec was recorded"
    );
}

/// The capture window's two clocks are read at the same moments: the UTC span and the boot-clock span
/// of the manifest agree (here within 20 ms). They were 1.09 s and 0.007 s apart when the UTC start was
/// taken before the event subscription and the boot clock after it, and the subscription waited its
/// full second for an acknowledgement (as in a pid namespace, where the kernel ignores the request).
#[test]
fn capture_window_clocks_are_read_together() {
    let dir = TempDir::new("clocks");
    for (name, ns) in [("host.tar", false), ("ns.tar", true)] {
        let tar = dir.path().join(name);
        let mut cmd = if ns {
            let mut c = Command::new("unshare");
            c.args(["--pid", "--fork"])
                .arg(env!("CARGO_BIN_EXE_procsift"));
            c
        } else {
            common::bin()
        };
        let out = cmd
            .args(["capture", "--no-environ", "-o"])
            .arg(&tar)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let raw = procsift::snapshot::reader::open_path(&tar, &Default::default()).unwrap();
        let m = raw.full_manifest().unwrap();
        let c = &m.capture;
        let utc = {
            let (a, b) = (c.started.unwrap(), c.finished.unwrap());
            (b.secs - a.secs) as f64 + (f64::from(b.nanos) - f64::from(a.nanos)) / 1e9
        };
        let boot = c.finished_boottime.unwrap() - c.started_boottime.unwrap();
        assert!(
            (utc - boot).abs() < 0.02,
            "{name}: UTC span {utc:.4} s, boot-clock span {boot:.4} s"
        );
        let e = m.events.as_ref().unwrap();
        if ns {
            assert!(!e.recorded);
        } else {
            // The window starts before the event subscription (events are recorded from before the
            // scan).
            assert!(e.recorded, "{:?}", e.reason);
            assert!(c.started.unwrap() <= e.subscribed.unwrap());
        }
    }
}
