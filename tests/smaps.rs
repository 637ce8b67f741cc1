//! Per-mapping sizes against `pmap -x`: a spawned process holding a dirtied 8 MiB anonymous mapping and
//! a file mapping; `procsift maps PID` (live: it reads smaps) and `maps` of a `capture --smaps` give, for
//! every mapping pmap lists, the same size, RSS and Dirty. A capture without `--smaps` has no per-mapping
//! sizes (`-`, absent in JSON) and no smaps members. Needs procps's `pmap` and python3.
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Kid, TempDir, run_json, run_ok};
use serde_json::Value;

const PROG: &str = r#"
import mmap, sys, time
m = mmap.mmap(-1, 8 << 20)
for i in range(0, 8 << 20, 4096):
    m[i] = 1
f = open(sys.argv[0] if sys.argv[0] != "-c" else "/etc/passwd", "rb")
fm = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
fm[0]
open(sys.argv[1], "w").close()
time.sleep(300)
"#;

/// `pmap -x PID`: start address → (Kbytes, RSS, Dirty).
fn pmap(pid: u32) -> BTreeMap<u64, (u64, u64, u64)> {
    let out = Command::new("pmap")
        .args(["-x", &pid.to_string()])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let start = u64::from_str_radix(f.first()?, 16).ok()?;
            Some((
                start,
                (f[1].parse().ok()?, f[2].parse().ok()?, f[3].parse().ok()?),
            ))
        })
        .collect()
}

fn by_start(doc: &Value) -> BTreeMap<u64, Value> {
    doc["maps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["start"].as_u64().unwrap(), m.clone()))
        .collect()
}

#[test]
fn per_mapping_rss_and_dirty_agree_with_pmap() {
    let dir = TempDir::new("smaps");
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
    std::thread::sleep(Duration::from_millis(200));
    let pid = kid.0.id();
    let p = pid.to_string();

    let with = dir.path().join("with.tar");
    let without = dir.path().join("without.tar");
    let before = pmap(pid);
    let live = run_json(&["maps", &p, "--format", "json"]);
    run_ok(&[
        "capture".as_ref(),
        "--no-events".as_ref(),
        "--smaps".as_ref(),
        "-o".as_ref(),
        with.as_os_str(),
    ]);
    run_ok(&[
        "capture".as_ref(),
        "--no-events".as_ref(),
        "-o".as_ref(),
        without.as_os_str(),
    ]);
    let after = pmap(pid);
    assert_eq!(
        before, after,
        "the process's mappings moved between the pmap runs"
    );
    let captured = run_json(&["maps", with.to_str().unwrap(), &p, "--format", "json"]);

    // The 8 MiB anonymous mapping, all resident and dirty.
    let big = before
        .iter()
        .find(|(_, v)| v.0 == 8192 && v.1 == 8192)
        .unwrap_or_else(|| panic!("no dirtied 8 MiB mapping in pmap: {before:?}"));
    assert_eq!(big.1.2, 8192);
    for (what, doc) in [("live", &live), ("capture --smaps", &captured)] {
        let maps = by_start(doc);
        for (start, (kbytes, rss, dirty)) in &before {
            let m = maps
                .get(start)
                .unwrap_or_else(|| panic!("{what}: no mapping at {start:x}"));
            assert_eq!(
                m["size_kib"].as_u64(),
                Some(*kbytes),
                "{what} {start:x}: {m}"
            );
            assert_eq!(m["rss_kib"].as_u64(), Some(*rss), "{what} {start:x}: {m}");
            assert_eq!(
                m["dirty_kib"].as_u64(),
                Some(*dirty),
                "{what} {start:x}: {m}"
            );
        }
        assert_eq!(maps.len(), before.len(), "{what}");
        let total: u64 = before.values().map(|v| v.1).sum();
        assert_eq!(doc["total"]["rss_kib"].as_u64(), Some(total), "{what}");
    }
    let table =
        String::from_utf8(run_ok(&["maps".as_ref(), with.as_os_str(), p.as_ref()]).stdout).unwrap();
    assert!(table.lines().next().unwrap().contains("DIRTY"), "{table}");

    // Without --smaps: no per-mapping sizes, and no smaps member in the archive.
    let plain = run_json(&["maps", without.to_str().unwrap(), &p, "--format", "json"]);
    assert!(
        plain["maps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m.get("rss_kib").is_none() && m.get("dirty_kib").is_none()),
        "{plain}"
    );
    let list = String::from_utf8(
        Command::new("tar")
            .arg("tf")
            .arg(&without)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(!list.contains("/smaps\n"), "smaps captured without --smaps");
    let list = String::from_utf8(
        Command::new("tar")
            .arg("tf")
            .arg(&with)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(list.contains(&format!("proc/{pid}/smaps\n")), "{list}");
}
