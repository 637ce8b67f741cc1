//! `timeline` and `metrics` over real captures of this host, read back by the tools their formats are for:
//! the bodyfile by The Sleuth Kit's `mactime`, the JSONL as Timesketch reads it, the CSV by Python's csv
//! module, the Prometheus text by `prometheus_client`'s parser. A marker process has a hostile argv and
//! comm (`|`, `%`, `"`, `\`, newline, ESC). Needs root, gcc, unshare, mactime (sleuthkit), python3 with
//! prometheus_client (`.ci/run` installs them).

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{TempDir, bin};
use serde_json::Value;

fn procsift(args: &[&str]) -> (Vec<u8>, String) {
    let out = bin().args(args).output().expect("run procsift");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "procsift {args:?}: {}\n{err}",
        out.status
    );
    (out.stdout, err)
}

/// Runs a Python script with `input` on stdin; returns stdout.
fn python(script: &str, input: &[u8]) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The start of `pid` in whole seconds since the epoch, from /proc (btime + starttime / CLK_TCK).
fn start_secs(pid: i32) -> i64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let starttime: u64 = after.split(' ').nth(19).unwrap().parse().unwrap();
    let btime: i64 = std::fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())
        .unwrap();
    let tck: u64 = String::from_utf8(
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    btime + (starttime / tck) as i64
}

/// A member of a tar archive, through the system tar.
fn member(archive: &Path, name: &str) -> String {
    let out = Command::new("tar")
        .arg("xOf")
        .arg(archive)
        .arg(name)
        .output()
        .unwrap();
    assert!(out.status.success(), "tar xOf {name}");
    String::from_utf8(out.stdout).unwrap()
}

/// A parsed sample: family name, family type, sample name, labels, value.
type Sample = (String, String, String, BTreeMap<String, String>, f64);

const HOSTILE_ARG: &[u8] = b"x|y%7C\nFAKE|0|0|\x1b[31m\"q\\";
const HOSTILE_COMM: &[u8] = b"a\"b\\c\nd|e%";

#[test]
fn timeline_formats_read_back_by_mactime_timesketch_and_csv() {
    let tmp = TempDir::new("timeline");
    let marker = common::spawn(&[b"timeline-marker", HOSTILE_ARG], "timeline");
    let start = start_secs(marker.pid);
    let a = tmp.path().join("a.tar");
    let b = tmp.path().join("b.tar");
    procsift(&["capture", "--no-events", "-o", a.to_str().unwrap()]);
    // B records events for 3 seconds after its scan, during which a known program runs and exits 3.
    let mut cap = bin()
        .args(["capture", "--watch", "3", "-o", b.to_str().unwrap()])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let mut child = Command::new("sh")
        .args(["-c", "sleep 0.5; exit 3", "timeline-exec-marker"])
        .spawn()
        .unwrap();
    let child_pid = child.id() as i64;
    assert_eq!(child.wait().unwrap().code(), Some(3));
    assert!(cap.wait().unwrap().success());
    let (a_s, b_s) = (a.to_str().unwrap(), b.to_str().unwrap());

    // JSONL: Timesketch's fields on every line.
    let (jsonl, _) = procsift(&["timeline", a_s, b_s, "--format", "jsonl"]);
    let rows: Vec<Value> = jsonl
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    for r in &rows {
        for k in ["message", "datetime", "timestamp_desc", "timestamp"] {
            assert!(r.get(k).is_some(), "{k} missing: {r}");
        }
        assert!(r["datetime"].as_str().unwrap().ends_with('Z'), "{r}");
    }
    // The marker started once (seen in both captures, one entry), at its start in /proc.
    let starts: Vec<&Value> = rows
        .iter()
        .filter(|r| r["pid"] == marker.pid && r["data_type"] == "procsift:start")
        .collect();
    assert_eq!(starts.len(), 1, "{starts:?}");
    assert_eq!(starts[0]["timestamp"].as_i64().unwrap() / 1_000_000, start);
    assert_eq!(starts[0]["timestamp_desc"], "Process start");
    let message = starts[0]["message"].as_str().unwrap();
    assert!(
        message.contains("timeline-marker x|y%7C\nFAKE|0|0|\u{1b}[31m\"q\\\\"),
        "{message}"
    );
    // The program run during B's watch: its exec and its exit with status 3.
    let of_child: BTreeMap<String, String> = rows
        .iter()
        .filter(|r| r["pid"] == child_pid)
        .map(|r| {
            (
                r["data_type"].as_str().unwrap().to_string(),
                r["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        of_child
            .get("procsift:exec")
            .is_some_and(|m| m.contains("timeline-exec-marker") || m.contains("sh")),
        "{of_child:?}"
    );
    assert!(
        of_child
            .get("procsift:exit")
            .is_some_and(|m| m.contains('3')),
        "{of_child:?}"
    );
    // Both capture windows.
    let info: Value =
        serde_json::from_slice(&procsift(&["info", b_s, "--format", "json"]).0).unwrap();
    let b_start = info["capture"]["started"].as_str().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["data_type"] == "procsift:capture_start" && r["datetime"] == b_start)
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r["data_type"] == "procsift:capture_end")
            .count(),
        2
    );
    // The same input twice adds nothing.
    let (again, _) = procsift(&["timeline", a_s, b_s, b_s, "--format", "jsonl"]);
    assert_eq!(again, jsonl);

    // Bodyfile through mactime: one output line per entry (nothing split a line), the marker's name as
    // procsift wrote it once mactime has undone %7C and %25, its time and its uid.
    let (body, _) = procsift(&["timeline", a_s, b_s, "--format", "bodyfile"]);
    let body_text = String::from_utf8(body.clone()).unwrap();
    assert_eq!(body_text.lines().count(), rows.len());
    for line in body_text.lines() {
        assert_eq!(line.split('|').count(), 11, "{line}");
    }
    let body_path = tmp.path().join("body");
    std::fs::write(&body_path, &body).unwrap();
    let out = Command::new("mactime")
        .args(["-b"])
        .arg(&body_path)
        .args(["-d", "-y", "-z", "UTC"])
        .output()
        .expect("mactime (apt-get install sleuthkit)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        listed.lines().count(),
        rows.len() + 1,
        "header + one per entry"
    );
    let marker_line = listed
        .lines()
        .find(|l| l.contains(&format!("pid {} started: ", marker.pid)))
        .unwrap();
    assert!(
        // mactime's CSV doubles the quote.
        marker_line.contains("timeline-marker x|y%7C\\nFAKE|0|0|\\x1b[31m\"\"q\\\\"),
        "{marker_line}"
    );
    let fields: Vec<&str> = marker_line.splitn(8, ',').collect();
    assert_eq!(fields[2], "macb");
    assert_eq!(fields[4], "0", "root's uid: {marker_line}");
    let when = Command::new("date")
        .args(["-u", "-d", &format!("@{start}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    assert_eq!(
        fields[0],
        String::from_utf8(when.stdout).unwrap().trim(),
        "{marker_line}"
    );

    // CSV: as many records as entries, the hostile one in one field.
    let (csv, _) = procsift(&["timeline", a_s, b_s, "--format", "csv"]);
    let parsed = python(
        "import csv, sys, json\nrows = list(csv.reader(sys.stdin))\nprint(json.dumps(rows))",
        &csv,
    );
    let parsed: Vec<Vec<String>> = serde_json::from_str(&parsed).unwrap();
    assert_eq!(parsed[0][..3], ["TIME", "DESC", "HOST"]);
    assert_eq!(parsed.len(), rows.len() + 1);
    let pid_s = marker.pid.to_string();
    let rec = parsed
        .iter()
        .find(|r| r[3] == pid_s && r[1] == "Process start")
        .unwrap();
    assert!(
        rec[6].contains("x|y%7C\\nFAKE|0|0|\\x1b[31m\"q\\\\"),
        "{rec:?}"
    );

    // A core's crash, at the core file's time.
    let core = common::corpus("linux/lldb-thread_crash-linux-x86_64.core");
    let (jsonl, _) = procsift(&["timeline", core.to_str().unwrap(), "--format", "jsonl"]);
    let crash: Value = jsonl
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).unwrap())
        .find(|r| r["data_type"] == "procsift:crash")
        .unwrap();
    assert_eq!(crash["pid"], 5222);
    assert!(
        crash["message"].as_str().unwrap().contains("SIGILL"),
        "{crash}"
    );
    let mtime = std::fs::metadata(&core)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert_eq!(crash["timestamp"].as_i64().unwrap() / 1_000_000, mtime);
}

#[test]
fn metrics_read_back_by_prometheus_client_and_as_mackerel_lines() {
    let tmp = TempDir::new("metrics");
    // Only a process itself can set its comm: a Python process does (prctl PR_SET_NAME), then says so.
    let mut named = Command::new("python3")
        .args([
            "-c",
            "import ctypes, os, sys, time\n\
             ctypes.CDLL(None).prctl(15, ctypes.c_char_p(os.fsencode(sys.argv[1])), 0, 0, 0)\n\
             print('ready', flush=True)\n\
             time.sleep(600)",
        ])
        .arg(std::ffi::OsStr::from_bytes(HOSTILE_COMM))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(named.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "ready\n");
    let marker_pid = named.id() as i32;
    assert_eq!(
        std::fs::read(format!("/proc/{marker_pid}/comm")).unwrap(),
        [HOSTILE_COMM, b"\n"].concat()
    );
    let a = tmp.path().join("a.tar");
    let a_s = a.to_str().unwrap();
    procsift(&["capture", "--no-events", "-o", a_s]);
    let (prom, _) = procsift(&["metrics", a_s, "--top", "100000"]);

    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        out.append([f.name, f.type, s.name, s.labels, s.value])
print(json.dumps(out))
"#;
    let samples: Vec<Sample> = serde_json::from_str(&python(script, &prom)).unwrap();
    let find = |name: &str| -> Vec<&Sample> { samples.iter().filter(|s| s.2 == name).collect() };
    // Host values: as the archive's own members say.
    let loadavg = member(&a, "proc/loadavg");
    let load1: f64 = loadavg.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(find("procsift_load1")[0].4, load1);
    let meminfo = member(&a, "proc/meminfo");
    let kib = |k: &str| -> f64 {
        meminfo
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .unwrap()
            .trim()
            .trim_end_matches(" kB")
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(
        find("procsift_memory_total_bytes")[0].4,
        kib("MemTotal:") * 1024.0
    );
    // Processes by state add up to what ps lists.
    let ps: Value = serde_json::from_slice(&procsift(&["ps", a_s, "--format", "json"]).0).unwrap();
    let procs = ps["processes"].as_array().unwrap();
    let by_state: f64 = find("procsift_processes").iter().map(|s| s.4).sum();
    assert_eq!(by_state as usize, procs.len());
    // The marker's resident memory, labelled with its hostile comm exactly as procsift shows it.
    let rss = find("procsift_process_resident_memory_bytes");
    let mine: Vec<_> = rss
        .iter()
        .filter(|s| s.3.get("pid") == Some(&marker_pid.to_string()))
        .collect();
    assert_eq!(mine.len(), 1, "{rss:?}");
    assert_eq!(mine[0].3["comm"], "a\"b\\\\c\\nd|e%");
    let status = member(&a, &format!("proc/{marker_pid}/status"));
    let vmrss: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .unwrap()
        .trim()
        .trim_end_matches(" kB")
        .parse()
        .unwrap();
    assert_eq!(mine[0].4, vmrss * 1024.0);
    assert_eq!(mine[0].1, "gauge");
    // Every sample of the text is one line: no label value broke one.
    let text = String::from_utf8(prom.clone()).unwrap();
    assert_eq!(
        text.lines().filter(|l| !l.starts_with('#')).count(),
        samples.len()
    );

    // Mackerel: name TAB value TAB epoch, the epoch the capture's.
    let (mk, _) = procsift(&["metrics", a_s, "--format", "mackerel", "--top", "5"]);
    let info: Value =
        serde_json::from_slice(&procsift(&["info", a_s, "--format", "json"]).0).unwrap();
    let started = info["capture"]["started"].as_str().unwrap();
    let epoch = Command::new("date")
        .args(["-u", "-d", started, "+%s"])
        .output()
        .unwrap();
    let epoch = String::from_utf8(epoch.stdout).unwrap().trim().to_string();
    let mk = String::from_utf8(mk).unwrap();
    let mut names = Vec::new();
    for line in mk.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 3, "{line:?}");
        assert!(
            f[0].bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
            "{line:?}"
        );
        f[1].parse::<f64>().unwrap();
        assert_eq!(f[2], epoch);
        names.push(f[0].to_string());
    }
    assert!(names.contains(&"procsift.loadavg.load1".to_string()));
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("procsift.process_rss."))
            .count(),
        5
    );
    // The graph definitions when mackerel-agent asks.
    let meta = bin()
        .args(["metrics", "--format", "mackerel"])
        .env("MACKEREL_AGENT_PLUGIN_META", "1")
        .output()
        .unwrap();
    let meta = String::from_utf8(meta.stdout).unwrap();
    let (head, body) = meta.split_once('\n').unwrap();
    assert_eq!(head, "# mackerel-agent-plugin");
    let v: Value = serde_json::from_str(body).unwrap();
    assert!(v["graphs"]["procsift.loadavg"]["metrics"].is_array());

    // The live host too.
    let (live, _) = procsift(&["metrics"]);
    let live_samples: Vec<Value> = serde_json::from_str(&python(script, &live)).unwrap();
    assert!(
        live_samples
            .iter()
            .any(|s| s[0] == "procsift_uptime_seconds")
    );
    let _ = named.kill();
    let _ = named.wait();
}
