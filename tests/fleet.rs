//! Fleet scale: periodic capture into a tree sharded on time, and the columnar export queried with DuckDB.
//!
//! Three real captures of this host with known differences between them (a process killed before the
//! third, a marker process with a TCP listener started before the second), written by
//! `capture --output-dir`; then `export` of the whole tree as Parquet and NDJSON, queried through DuckDB's
//! Python package, and compared with `procsift ps` on each archive. Needs root (every process readable),
//! gcc and unshare (the marker), python3 with `duckdb` (`.ci/run` installs it).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, bin};
use serde_json::Value;

/// Runs `procsift ARGS`, asserting success; returns stderr.
fn run(args: &[&std::ffi::OsStr]) -> String {
    let out = bin().args(args).output().expect("run procsift");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "procsift {args:?}: {}\n{err}",
        out.status
    );
    err
}

/// Every `.tar` under `dir`, sorted.
fn archives(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "tar") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
fn tree_bytes(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// The host name as the capture names its directory.
fn host_name() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    raw.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn one(rows: &[Vec<Value>]) -> String {
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0][0].as_str().unwrap_or("NULL").to_string()
}

/// `ps ARCHIVE --format json`: the processes.
fn ps(archive: &Path) -> Vec<Value> {
    let out = bin()
        .args(["ps", "--format", "json"])
        .arg(archive)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["processes"].as_array().unwrap().clone()
}

/// The `sha256 HEX` of a capture's summary line.
fn summary_sha(stderr: &str) -> String {
    let at = stderr.find("; sha256 ").expect("sha256 in the summary") + "; sha256 ".len();
    stderr[at..at + 64].to_string()
}

/// Waits until the clock's second changes, so two captures never share an archive name.
fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    std::thread::sleep(Duration::from_nanos(
        1_000_000_000 - u64::from(now.subsec_nanos()) + 20_000_000,
    ));
}

#[test]
fn captures_over_time_export_to_a_dataset_duckdb_reads() {
    let tmp = TempDir::new("fleet");
    let dir = tmp.path().join("captures");
    let dir_s = dir.as_os_str();
    let host = host_name();

    // The victim: alive in the first two captures, killed before the third.
    let victim_arg = format!("7{}.5", std::process::id() % 100_000);
    let mut victim = Command::new("sleep").arg(&victim_arg).spawn().unwrap();
    let victim_pid = victim.id() as i64;

    let mut shas = Vec::new();
    let capture = |shas: &mut Vec<String>| {
        next_second();
        let err = run(&["capture".as_ref(), "--output-dir".as_ref(), dir_s]);
        shas.push(summary_sha(&err));
    };
    capture(&mut shas);
    let marker = common::spawn(&[b"fleet-marker", b"arg with space"], "fleet");
    capture(&mut shas);
    victim.kill().unwrap();
    victim.wait().unwrap();
    capture(&mut shas);

    // Paths: DIR/<host>/<YYYY-MM-DD>/<HH>/<host>-<YYYYMMDDTHHMMSSZ>.tar.
    let tars = archives(&dir);
    assert_eq!(tars.len(), 3, "{tars:?}");
    for t in &tars {
        let rel = t.strip_prefix(&dir).unwrap();
        let parts: Vec<String> = rel
            .iter()
            .map(|c| c.to_string_lossy().into_owned())
            .collect();
        assert_eq!(parts.len(), 4, "{rel:?}");
        assert_eq!(parts[0], host);
        let name = &parts[3];
        let ts = name
            .strip_prefix(&format!("{host}-"))
            .and_then(|n| n.strip_suffix("Z.tar"))
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(ts.len(), 15, "{ts}");
        assert_eq!(
            parts[1],
            format!("{}-{}-{}", &ts[0..4], &ts[4..6], &ts[6..8])
        );
        assert_eq!(parts[2], ts[9..11]);
    }
    // The SHA-256 of every summary line is the archive's, and index.tsv lists each once.
    let on_disk: Vec<String> = tars.iter().map(|t| sha256_of(t)).collect();
    assert_eq!(shas, on_disk);
    let index = std::fs::read_to_string(dir.join(&host).join("index.tsv")).unwrap();
    let lines: Vec<&str> = index.lines().collect();
    assert_eq!(lines.len(), 3, "{index}");
    for ((line, t), sha) in lines.iter().zip(&tars).zip(&shas) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 3, "{line}");
        assert!(f[0].ends_with('Z') && f[0].contains('T'), "{line}");
        assert_eq!(f[1], sha);
        assert_eq!(dir.join(&host).join(f[2]), *t);
    }

    // What ps says of each archive.
    let listed: Vec<Vec<Value>> = tars.iter().map(|t| ps(t)).collect();
    let has = |procs: &[Value], pid: i64| procs.iter().any(|p| p["pid"] == pid);
    assert!(has(&listed[0], victim_pid) && has(&listed[1], victim_pid));
    assert!(!has(&listed[2], victim_pid));
    let marker_pid = i64::from(marker.pid);
    assert!(!has(&listed[0], marker_pid));
    assert!(has(&listed[1], marker_pid) && has(&listed[2], marker_pid));

    // Export the whole tree (the directory is walked), once with one worker and once with four.
    let out1 = tmp.path().join("ds1");
    let out2 = tmp.path().join("ds2");
    let err = run(&[
        "export".as_ref(),
        dir_s,
        "-o".as_ref(),
        out1.as_os_str(),
        "--jobs".as_ref(),
        "1".as_ref(),
    ]);
    assert!(err.contains("3 snapshots"), "{err}");
    run(&[
        "export".as_ref(),
        dir_s,
        "-o".as_ref(),
        out2.as_os_str(),
        "--jobs".as_ref(),
        "4".as_ref(),
    ]);
    // Idempotent, byte for byte, whatever the parallelism; and again into the same directory.
    let first = tree_bytes(&out1);
    assert_eq!(first, tree_bytes(&out2));
    run(&["export".as_ref(), dir_s, "-o".as_ref(), out1.as_os_str()]);
    assert_eq!(first, tree_bytes(&out1));
    for table in [
        "captures",
        "processes",
        "threads",
        "fds",
        "sockets",
        "maps",
        "events",
    ] {
        assert!(
            first.keys().any(|k| k
                .to_string_lossy()
                .starts_with(&format!("{table}/host={host}/date="))
                && k.extension().is_some_and(|x| x == "parquet")),
            "{table}: {:?}",
            first.keys().collect::<Vec<_>>()
        );
    }

    let pq = |t: &str| format!("read_parquet('ds1/{t}/**/*.parquet', hive_partitioning = true)");
    let q_counts = format!(
        "SELECT c.source_path, count(*) FROM {} p JOIN {} c USING (capture_id) GROUP BY c.source_path ORDER BY c.source_path",
        pq("processes"),
        pq("captures")
    );
    let q_marker = format!(
        "SELECT p.argv, s.protocol, s.local_address, s.local_port, s.state \
         FROM {} p JOIN {} s ON p.capture_id = s.capture_id AND p.pid = s.pid \
         WHERE p.pid = {marker_pid} AND s.state = 'LISTEN' ORDER BY p.captured_at",
        pq("processes"),
        pq("sockets")
    );
    let q_victim = format!(
        "SELECT count(DISTINCT capture_id) FROM {} WHERE pid = {victim_pid} AND argv[2] = '{victim_arg}'",
        pq("processes")
    );
    let q_types = format!(
        "SELECT typeof(captured_at), typeof(start_time), typeof(argv), typeof(pid), typeof(rss_bytes), typeof(date) FROM {} LIMIT 1",
        pq("processes")
    );
    let q_ids = format!(
        "SELECT count(*), count(DISTINCT capture_id), count(DISTINCT host) FROM {}",
        pq("captures")
    );
    let r = common::duckdb(
        tmp.path(),
        &[&q_counts, &q_marker, &q_victim, &q_types, &q_ids],
    );
    // Per capture, the processes ps lists.
    assert_eq!(r[0].len(), 3, "{:?}", r[0]);
    for (row, procs) in r[0].iter().zip(&listed) {
        assert_eq!(row[1].as_str().unwrap(), procs.len().to_string(), "{row:?}");
    }
    // The marker's argv and its listener, joined on (capture_id, pid), in the two captures it lived in.
    assert_eq!(r[1].len(), 2, "{:?}", r[1]);
    let argv: Vec<String> = marker
        .argv
        .iter()
        .map(|a| String::from_utf8(a.clone()).unwrap())
        .collect();
    for row in &r[1] {
        assert_eq!(
            row[0].as_str().unwrap(),
            format!("{argv:?}").replace('"', "'")
        );
        assert_eq!(row[1], "tcp");
        assert_eq!(row[2], "127.0.0.1");
        assert_eq!(row[3].as_str().unwrap(), marker.port.to_string());
    }
    assert_eq!(one(&r[2]), "2");
    assert_eq!(
        r[3][0],
        [
            "TIMESTAMP WITH TIME ZONE",
            "TIMESTAMP WITH TIME ZONE",
            "VARCHAR[]",
            "INTEGER",
            "BIGINT",
            "DATE"
        ]
    );
    assert_eq!(r[4][0], ["3", "3", "1"]);

    // NDJSON: the same counts through DuckDB's JSON reader.
    let nd = tmp.path().join("nd");
    run(&[
        "export".as_ref(),
        dir_s,
        "-o".as_ref(),
        nd.as_os_str(),
        "--format".as_ref(),
        "ndjson".as_ref(),
    ]);
    let js = |t: &str| format!("read_json_auto('nd/{t}/**/*.ndjson', hive_partitioning = true)");
    let r = common::duckdb(
        tmp.path(),
        &[
            &format!(
                "SELECT c.source_path, count(*) FROM {} p JOIN {} c USING (capture_id) GROUP BY c.source_path ORDER BY c.source_path",
                js("processes"),
                js("captures")
            ),
            &format!(
                "SELECT count(*) FROM {} p JOIN {} s ON p.capture_id = s.capture_id AND p.pid = s.pid \
                 WHERE p.pid = {marker_pid} AND s.state = 'LISTEN' AND s.local_port = {}",
                js("processes"),
                js("sockets"),
                marker.port
            ),
        ],
    );
    assert_eq!(r[0].len(), 3);
    for (row, procs) in r[0].iter().zip(&listed) {
        assert_eq!(row[1].as_str().unwrap(), procs.len().to_string(), "{row:?}");
    }
    assert_eq!(one(&r[1]), "2");
    drop(marker);
}

#[test]
fn periodic_capture_keeps_the_newest_and_indexes_every_one() {
    let tmp = TempDir::new("fleet-keep");
    let dir = tmp.path().join("c");
    let err = run(&[
        "capture".as_ref(),
        "--output-dir".as_ref(),
        dir.as_os_str(),
        "--every".as_ref(),
        "1".as_ref(),
        "--count".as_ref(),
        "4".as_ref(),
        "--keep".as_ref(),
        "2".as_ref(),
        "--no-events".as_ref(),
    ]);
    let host = host_name();
    let index = std::fs::read_to_string(dir.join(&host).join("index.tsv")).unwrap();
    let listed: Vec<PathBuf> = index
        .lines()
        .map(|l| dir.join(&host).join(l.split('\t').nth(2).unwrap()))
        .collect();
    let done = err.matches("; sha256 ").count();
    // Four captures were taken (a tick that overran is skipped, not counted: --count counts captures).
    assert_eq!(done, 4, "{err}");
    assert_eq!(listed.len(), 4, "{index}");
    // The two newest remain, the two oldest were deleted, and nothing else is there.
    let left = archives(&dir);
    assert_eq!(left, listed[2..].to_vec(), "{err}");
    assert_eq!(err.matches("deleted (retention)").count(), 2, "{err}");
    for t in &left {
        run(&["verify".as_ref(), t.as_os_str()]);
    }
}

#[test]
fn sigterm_stops_the_loop_with_no_partial_archive() {
    let tmp = TempDir::new("fleet-term");
    let dir = tmp.path().join("c");
    let host = host_name();
    let index = dir.join(&host).join("index.tsv");
    for signals in [1, 2] {
        let _ = std::fs::remove_dir_all(&dir);
        let child = bin()
            .args(["capture", "--output-dir"])
            .arg(&dir)
            .args(["--every", "1", "--no-events"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the first capture, then signal while the loop runs (the next capture is due within a
        // second; with two signals, the second one drops a capture in progress, if any).
        let deadline = Instant::now() + Duration::from_secs(60);
        while !std::fs::read_to_string(&index).is_ok_and(|t| t.lines().count() >= 1) {
            assert!(Instant::now() < deadline, "no capture within a minute");
            std::thread::sleep(Duration::from_millis(50));
        }
        // The loop runs below every ordinary process: nice 10 (stat field 19) and the idle I/O class.
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        assert_eq!(after.split(' ').nth(16), Some("10"), "{stat}");
        let io = Command::new("ionice")
            .args(["-p", &child.id().to_string()])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&io.stdout).trim(), "idle");
        std::thread::sleep(Duration::from_millis(1100));
        for _ in 0..signals {
            Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .unwrap();
            std::thread::sleep(Duration::from_millis(30));
        }
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {err}", out.status);
        assert!(
            err.contains("stopped by SIGTERM")
                || err.contains("capture dropped at a second SIGTERM"),
            "{err}"
        );
        // Every archive at a final name is complete and in the index; no temporary file is left.
        let listed = std::fs::read_to_string(&index).unwrap();
        let tars = archives(&dir);
        assert_eq!(tars.len(), listed.lines().count(), "{err}");
        for t in &tars {
            run(&["verify".as_ref(), t.as_os_str()]);
        }
        let leftovers: Vec<_> = tree_bytes(&dir)
            .into_keys()
            .filter(|p| {
                let n = p.to_string_lossy();
                !n.ends_with(".tar") && !n.ends_with("index.tsv") && !n.ends_with(".lock")
            })
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}\n{err}");
    }
}

#[test]
fn the_minimal_profile_reads_what_ps_tree_and_files_need() {
    let tmp = TempDir::new("fleet-minimal");
    let marker = common::spawn(&[b"minimal-marker"], "minimal");
    let archive = tmp.path().join("m.tar");
    let err = run(&[
        "capture".as_ref(),
        "--profile".as_ref(),
        "minimal".as_ref(),
        "--no-events".as_ref(),
        "-o".as_ref(),
        archive.as_os_str(),
    ]);
    assert!(err.contains("; sha256 "), "{err}");
    run(&["verify".as_ref(), archive.as_os_str()]);
    let listing = Command::new("tar")
        .arg("tf")
        .arg(&archive)
        .output()
        .unwrap();
    let members = String::from_utf8(listing.stdout).unwrap();
    let pid = marker.pid;
    let mine: Vec<&str> = members
        .lines()
        .filter_map(|m| m.strip_prefix(&format!("proc/{pid}/")))
        .collect();
    for wanted in ["stat", "status", "cmdline", "exe", "ns/net"] {
        assert!(mine.contains(&wanted), "{wanted}: {mine:?}");
    }
    assert!(mine.iter().any(|m| m.starts_with("fd/")), "{mine:?}");
    let extra = [
        "environ",
        "maps",
        "limits",
        "io",
        "cgroup",
        "cwd",
        "root",
        "smaps_rollup",
    ];
    for m in &mine {
        let allowed = !extra.contains(m)
            && !m.starts_with("fdinfo/")
            && !m.starts_with("task/")
            && (!m.starts_with("ns/") || *m == "ns/net");
        assert!(allowed, "{m} is not in the minimal profile");
    }
    // ps, tree and files still answer: the marker's argv, its parent, its listener.
    let v = common::run_json(&["ps", archive.to_str().unwrap(), "--format", "json"]);
    let p = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pid"] == pid)
        .unwrap()
        .clone();
    assert_eq!(p["argv"][1], "minimal-marker");
    assert_eq!(p["ppid"], marker.unshare.id() as i64);
    assert!(p.get("env").is_none());
    let v = common::run_json(&[
        "files",
        archive.to_str().unwrap(),
        &pid.to_string(),
        "--format",
        "json",
    ]);
    let listening: Vec<&Value> = v["fds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["socket"]["state"] == "LISTEN")
        .collect();
    assert_eq!(listening.len(), 1, "{v}");
    assert_eq!(listening[0]["socket"]["local"]["port"], marker.port);
    let v = common::run_json(&["info", archive.to_str().unwrap(), "--format", "json"]);
    assert_eq!(v["capture"]["profile"], "minimal");
    // The same process is the same process in a diff of a minimal and a full capture.
    let full = tmp.path().join("f.tar");
    run(&[
        "capture".as_ref(),
        "--no-events".as_ref(),
        "-o".as_ref(),
        full.as_os_str(),
    ]);
    let out = bin()
        .args(["diff", "--format", "json", "--pid", &pid.to_string()])
        .arg(&archive)
        .arg(&full)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes = v["changes"].as_array().unwrap();
    assert!(
        !changes
            .iter()
            .any(|c| c["kind"] == "started" || c["kind"] == "exited"),
        "{v}"
    );
}

#[test]
fn a_failed_capture_is_logged_and_the_next_tick_runs() {
    let tmp = TempDir::new("fleet-fail");
    let dir = tmp.path().join("c");
    let host = host_name();
    // A file where today's directory would be (and tomorrow's, should the day end during the test):
    // every capture fails to create its directory.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    std::fs::create_dir_all(dir.join(&host)).unwrap();
    for t in [now, now + 60] {
        let day = Command::new("date")
            .args(["-u", "-d", &format!("@{t}"), "+%Y-%m-%d"])
            .output()
            .unwrap();
        let day = String::from_utf8(day.stdout).unwrap().trim().to_string();
        std::fs::write(dir.join(&host).join(&day), b"in the way").unwrap();
    }
    let out = bin()
        .args(["capture", "--output-dir"])
        .arg(&dir)
        .args(["--every", "1", "--count", "2", "--no-events"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // Both ticks ran and each failure was said; the loop's exit status says some failed.
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.matches("error: capture at ").count(), 2, "{err}");
    assert!(err.contains("2 captures (2 failed)"), "{err}");
    assert!(archives(&dir).is_empty());
}
