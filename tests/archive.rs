//! Snapshot archives end to end: capture of a copied /proc tree, reading back (plain, gzip, zstd, extracted
//! directory), verify, and hostile archives (truncated, bit-flipped, lying sizes) that must never panic.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TempDir, corpus, run_json};
use procsift::capture::{CaptureOptions, capture_to_path};
use procsift::snapshot::reader::{OpenOptions, open_bytes, open_path, verify};

/// Captures the prometheus/procfs fixture tree (a copied /proc) into `dir/snap.tar`.
fn small_archive(dir: &Path) -> PathBuf {
    let out = dir.join("snap.tar");
    let opts = CaptureOptions {
        proc_root: corpus("linux/proc-snapshots/prometheus-procfs"),
        etc_root: dir.join("no-etc"),
        case: Some("fixture".into()),
        ..CaptureOptions::default()
    };
    capture_to_path(&opts, &out).expect("capture the fixture tree");
    out
}

#[test]
fn archive_of_a_copied_tree_reads_back_in_every_container() {
    let dir = TempDir::new("archive");
    let tar = small_archive(dir.path());
    let listing = Command::new("tar").arg("tf").arg(&tar).output().unwrap();
    let names = String::from_utf8_lossy(&listing.stdout);
    assert!(names.lines().any(|l| l == "proc/26231/stat"), "{names}");
    // The manifest, then the member index, last.
    let last: Vec<&str> = names.lines().rev().take(2).collect();
    assert_eq!(last, vec!["member-index.txt", "manifest.json"]);

    let raw = open_path(&tar, &OpenOptions::default()).unwrap();
    assert!(verify(&raw).is_ok(), "{}", verify(&raw));
    assert_eq!(
        raw.file("proc/26231/cmdline"),
        Some(&b"vim\0test.go\0+10\0"[..])
    );

    let gz = dir.path().join("snap.tar.gz");
    let zst = dir.path().join("snap.tar.zst");
    assert!(
        Command::new("sh")
            .arg("-c")
            .arg(format!("gzip -c {} > {}", tar.display(), gz.display()))
            .status()
            .unwrap()
            .success()
    );
    assert!(
        Command::new("zstd")
            .arg("-q")
            .arg("-o")
            .arg(&zst)
            .arg(&tar)
            .status()
            .expect("zstd (apt-get install zstd)")
            .success()
    );
    let extracted = dir.path().join("x");
    std::fs::create_dir(&extracted).unwrap();
    assert!(
        Command::new("tar")
            .arg("xf")
            .arg(&tar)
            .arg("-C")
            .arg(&extracted)
            .status()
            .unwrap()
            .success()
    );

    let want =
        run_json(&["show", tar.to_str().unwrap(), "26231", "--format", "json"])["process"].clone();
    assert_eq!(want["argv"], serde_json::json!(["vim", "test.go", "+10"]));
    assert_eq!(want["ppid"], 5392);
    for input in [&gz, &zst, &extracted] {
        let got = run_json(&["show", input.to_str().unwrap(), "26231", "--format", "json"]);
        assert_eq!(got["process"], want, "{}", input.display());
    }
    let info = run_json(&["info", gz.to_str().unwrap(), "--format", "json"]);
    assert_eq!(info["capture"]["case"], "fixture");
}

#[test]
fn verify_reports_a_tampered_member() {
    let dir = TempDir::new("tamper");
    let tar = small_archive(dir.path());
    let mut bytes = std::fs::read(&tar).unwrap();
    let needle = b"vim\0test.go\0+10\0";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    bytes[at] = b'V';
    let bad = dir.path().join("bad.tar");
    std::fs::write(&bad, &bytes).unwrap();
    let out = common::bin().arg("verify").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("MISMATCH: proc/26231/cmdline"), "{text}");
    let out = common::bin().arg("verify").arg(&tar).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// Every truncation, many bit flips and lying size fields: an error or a partial analysis, never a panic.
#[test]
fn hostile_archives_never_panic() {
    let dir = TempDir::new("hostile");
    let good = std::fs::read(small_archive(dir.path())).unwrap();
    let opts = OpenOptions::default();
    let analyze = |bytes: Vec<u8>| {
        if let Ok(raw) = open_bytes(bytes, "hostile.tar", &opts) {
            let s = procsift::analyze::analyze(&raw);
            let _ = procsift::report::ps(&s, &Default::default());
            let _ = procsift::report::tree(&s, &Default::default());
            for p in &s.processes {
                let _ = procsift::report::show(&s, p.pid);
                let _ = procsift::report::maps(&s, p.pid);
            }
            let _ = verify(&raw);
        }
    };
    let mut cuts: Vec<usize> = (0..good.len()).step_by(512).collect();
    cuts.extend((1..good.len()).step_by(997));
    for cut in cuts {
        analyze(good[..cut].to_vec());
    }
    // A truncated archive keeps what it has, with a warning.
    let half = open_bytes(
        good[..good.len() / 2 / 512 * 512].to_vec(),
        "half.tar",
        &opts,
    )
    .unwrap();
    assert!(!half.is_empty());
    assert!(
        half.warnings.iter().any(|w| w.member == "manifest.json"),
        "{:?}",
        half.warnings
    );

    let mut seed = 0x2545F4914F6CDD1Du64;
    for _ in 0..3000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut b = good.clone();
        let i = (seed as usize) % b.len();
        b[i] ^= 1 << (seed >> 61);
        analyze(b);
    }
    // Size fields (offset 124 of each header, 12 octal digits) that lie: huge, or past the end.
    for lie in [
        &b"77777777777\0"[..],
        b"00000100000\0",
        b"\x80\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff",
    ] {
        let b = &good;
        let mut off = 0;
        while off + 512 <= b.len() {
            if b[off..off + 512].iter().all(|x| *x == 0) {
                break;
            }
            let mut h = b.clone();
            h[off + 124..off + 136].copy_from_slice(lie);
            analyze(h);
            let size = std::str::from_utf8(&b[off + 124..off + 135])
                .ok()
                .and_then(|s| usize::from_str_radix(s.trim_matches(char::from(0)).trim(), 8).ok())
                .unwrap_or(0);
            off += 512 + size.div_ceil(512) * 512;
            if off > 20 * 512 * 8 {
                break;
            }
        }
    }
}

/// One header overwritten in the middle of a capture of this host: like GNU tar, the reader skips to the
/// next valid header and keeps every other member (it stopped there before, and `ps` showed a few of
/// the processes with exit 0); the warning gives the damaged header's offset, and `verify` reports the
/// damage and the member it made unreachable (exit 1; it said "not a snapshot archive" before).
#[test]
fn a_damaged_header_loses_one_member_like_gnu_tar() {
    let dir = TempDir::new("damaged-header");
    let tar = dir.path().join("host.tar");
    capture_to_path(&CaptureOptions::default(), &tar).expect("capture this host");
    let good = std::fs::read(&tar).unwrap();
    // Header offsets of the members, walked here independently of procsift's reader.
    let mut headers = Vec::new();
    let mut off = 0;
    while off + 512 <= good.len() && good[off..off + 512].iter().any(|b| *b != 0) {
        let h = &good[off..off + 512];
        let size = usize::from_str_radix(
            std::str::from_utf8(&h[124..135])
                .unwrap()
                .trim_matches('\0'),
            8,
        )
        .unwrap();
        // A header that is not a GNU long-name record, so that the member it starts is whole.
        if h[156] != b'L' && h[156] != b'K' && (off == 0 || good[off - 512 + 156] != b'L') {
            headers.push(off);
        }
        off += 512 + size.div_ceil(512) * 512;
    }
    let victim_at = headers[headers.len() / 2];
    let mut bad = good.clone();
    bad[victim_at..victim_at + 512].fill(b'A');
    let damaged = dir.path().join("damaged.tar");
    std::fs::write(&damaged, &bad).unwrap();

    let listed = |p: &Path| -> (Vec<String>, Option<i32>) {
        let out = Command::new("tar").arg("tf").arg(p).output().unwrap();
        let names = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        (names, out.status.code())
    };
    let (all, _) = listed(&tar);
    let (gnu, gnu_status) = listed(&damaged);
    assert_eq!(gnu_status, Some(2), "GNU tar reports the damage");
    assert_eq!(gnu.len() + 1, all.len(), "GNU tar loses exactly one member");
    let lost: Vec<&String> = all.iter().filter(|n| !gnu.contains(n)).collect();
    assert_eq!(lost.len(), 1);

    let raw = open_path(&damaged, &OpenOptions::default()).unwrap();
    let mut ours: Vec<String> = raw
        .members()
        .filter(|(_, m)| !matches!(m, procsift::snapshot::Member::Failed(_)))
        .map(|(p, _)| p.to_string())
        .collect();
    ours.sort();
    let mut gnu_sorted = gnu.clone();
    gnu_sorted.sort();
    let only_ours: Vec<_> = ours.iter().filter(|n| !gnu_sorted.contains(n)).collect();
    let only_gnu: Vec<_> = gnu_sorted.iter().filter(|n| !ours.contains(n)).collect();
    assert!(
        only_ours.is_empty() && only_gnu.is_empty(),
        "{} members, GNU tar {}; only procsift: {only_ours:?}; only GNU tar: {only_gnu:?}",
        ours.len(),
        gnu_sorted.len()
    );
    let w = raw
        .warnings
        .iter()
        .find(|w| w.offset == Some(victim_at as u64))
        .unwrap_or_else(|| panic!("no warning at {victim_at}: {:?}", raw.warnings));
    assert!(w.message.contains("header"), "{w}");

    let out = common::bin().arg("verify").arg(&damaged).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("DAMAGED: header at byte {victim_at}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("UNREACHABLE: {}", lost[0])),
        "{text}"
    );

    let before = run_json(&["ps", tar.to_str().unwrap(), "--format", "json"]);
    let after = common::bin()
        .args(["ps", damaged.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(after.status.success());
    let after: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    let n = |v: &serde_json::Value| v["processes"].as_array().unwrap().len();
    assert!(
        n(&after) + 1 >= n(&before),
        "{} of {}",
        n(&after),
        n(&before)
    );
}
