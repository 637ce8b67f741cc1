//! `signals` on Linux inputs: a process that catches SIGUSR1, ignores SIGHUP, blocks SIGUSR2 and has one
//! SIGUSR2 pending; `procsift signals host.tar PID --format json` (the `--help` example) on a capture of
//! it, and the live host, say so signal by signal (from status's SigCgt, SigIgn, SigBlk, SigPnd, ShdPnd).
#![cfg(target_os = "linux")]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Kid, TempDir, run_json, run_ok};
use serde_json::Value;

const PROG: &str = r#"
import os, signal, sys, time
signal.signal(signal.SIGUSR1, lambda *a: None)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
os.kill(os.getpid(), signal.SIGUSR2)
open(sys.argv[1], "w").close()
time.sleep(300)
"#;

fn by_name(doc: &Value) -> std::collections::BTreeMap<String, Value> {
    doc["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

#[test]
fn signals_of_a_linux_process_from_its_masks() {
    let dir = TempDir::new("signals");
    let ready = dir.path().join("ready");
    let kid = Kid(Command::new("python3")
        .args(["-c", PROG, ready.to_str().unwrap()])
        .stdin(Stdio::null())
        .spawn()
        .unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "the process did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = kid.0.id().to_string();
    let tar = dir.path().join("host.tar");
    run_ok(&[
        "capture".as_ref(),
        "--no-events".as_ref(),
        "-o".as_ref(),
        tar.as_os_str(),
    ]);
    let t = tar.to_str().unwrap();

    for doc in [
        run_json(&["signals", t, &pid, "--format", "json"]),
        run_json(&["signals", &pid, "--format", "json"]),
    ] {
        assert_eq!(doc["pid"], kid.0.id());
        let s = by_name(&doc);
        let fields = |n: &str| {
            let x = &s[n];
            (
                x["action"].as_str().unwrap().to_string(),
                x["blocked"].as_bool().unwrap(),
                x["pending"].as_bool().unwrap(),
            )
        };
        assert_eq!(fields("SIGUSR1"), ("caught".into(), false, false));
        assert_eq!(fields("SIGHUP"), ("ignored".into(), false, false));
        assert_eq!(fields("SIGUSR2"), ("default".into(), true, true));
        assert_eq!(fields("SIGTERM"), ("default".into(), false, false));
        assert_eq!(fields("SIGKILL"), ("default".into(), false, false));
        assert_eq!(s["SIGUSR1"]["signal"], 10);
        // 64 signals: the real-time ones named by their offset from the kernel's SIGRTMIN (32).
        assert_eq!(doc["signals"].as_array().unwrap().len(), 64);
        assert_eq!(s["SIGRT2"]["signal"], 34);
    }
    let table =
        String::from_utf8(run_ok(&["signals".as_ref(), t.as_ref(), pid.as_ref()]).stdout).unwrap();
    let usr2 = table.lines().find(|l| l.starts_with("SIGUSR2")).unwrap();
    assert_eq!(
        usr2.split_whitespace().collect::<Vec<_>>(),
        ["SIGUSR2", "default", "yes", "yes"],
        "{table}"
    );
}
