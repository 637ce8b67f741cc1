//! Damaged /proc text: every member of the Linux /proc fixtures in the shared corpus, truncated at many
//! offsets, with seeded random bit flips, and with every number replaced by huge or negative values. The
//! analysis never panics, stays within a time and memory bound, and every warning the damage causes names
//! the damaged member and, when it has one, an offset inside it.

mod common;

use std::collections::BTreeSet;

use common::hostile::{Rng, analyze_bounded, check_new_warnings, text_members, with_member};
use procsift::input::open_snapshot;
use procsift::model::Warning;
use procsift::snapshot::reader::OpenOptions;

const TREES: [&str; 3] = [
    "linux/proc-snapshots/prometheus-procfs",
    "linux/proc-snapshots/gopsutil/linux",
    "linux/proc-snapshots/gopsutil/lx_brandz",
];

#[test]
fn truncated_and_bit_flipped_members() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for tree in TREES {
        let raw = open_snapshot(&common::corpus(tree), &OpenOptions::default()).unwrap();
        let baseline: BTreeSet<String> = analyze_bounded(&raw, tree)
            .warnings
            .iter()
            .map(Warning::to_string)
            .collect();
        for (path, bytes) in text_members(&raw) {
            // Every offset of short members, 40 spread offsets of long ones.
            let step = (bytes.len() / 40).max(1);
            for cut in (0..bytes.len()).step_by(step) {
                let damaged = with_member(&raw, &path, &bytes[..cut]);
                let s = analyze_bounded(&damaged, &path);
                check_new_warnings(&baseline, &s, &damaged, &path);
            }
            for _ in 0..24 {
                let mut b = bytes.clone();
                if b.is_empty() {
                    break;
                }
                for _ in 0..=(rng.next() % 4) {
                    let i = (rng.next() as usize) % b.len();
                    b[i] ^= 1 << (rng.next() % 8);
                }
                let damaged = with_member(&raw, &path, &b);
                let s = analyze_bounded(&damaged, &path);
                check_new_warnings(&baseline, &s, &damaged, &path);
            }
        }
    }
}

/// Each run of digits, in turn, replaced by a huge or a negative number: lengths, counts, page numbers,
/// addresses and times that overflow every integer type.
#[test]
fn numbers_set_to_huge_values() {
    const HUGE: [&[u8]; 4] = [
        b"18446744073709551616",
        b"99999999999999999999999999999999",
        b"-9223372036854775809",
        b"4294967295",
    ];
    for tree in TREES {
        let raw = open_snapshot(&common::corpus(tree), &OpenOptions::default()).unwrap();
        let baseline: BTreeSet<String> = analyze_bounded(&raw, tree)
            .warnings
            .iter()
            .map(Warning::to_string)
            .collect();
        for (path, bytes) in text_members(&raw) {
            let runs: Vec<(usize, usize)> = digit_runs(&bytes);
            let step = (runs.len() / 30).max(1);
            for (k, &(start, end)) in runs.iter().enumerate().step_by(step) {
                let mut b = bytes[..start].to_vec();
                b.extend_from_slice(HUGE[k % HUGE.len()]);
                b.extend_from_slice(&bytes[end..]);
                let damaged = with_member(&raw, &path, &b);
                let s = analyze_bounded(&damaged, &path);
                check_new_warnings(&baseline, &s, &damaged, &path);
            }
        }
    }
    // Peak memory of this whole test binary stays small: nothing is sized from a lying number.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hwm_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(hwm_kib < 1 << 20, "peak RSS {hwm_kib} KiB");
}

fn digit_runs(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Damage that makes a record unreadable is a warning naming the member and the byte where it is.
#[test]
fn unreadable_records_are_warnings_with_member_and_offset() {
    let raw = open_snapshot(
        &common::corpus("linux/proc-snapshots/prometheus-procfs"),
        &OpenOptions::default(),
    )
    .unwrap();
    let stat = raw.file("proc/26231/stat").unwrap().to_vec();
    // Cut inside the command name: the closing parenthesis is missing.
    let open = stat.iter().position(|b| *b == b'(').unwrap();
    let s = analyze_bounded(
        &with_member(&raw, "proc/26231/stat", &stat[..open + 2]),
        "stat",
    );
    let w = s
        .warnings
        .iter()
        .find(|w| w.member == "proc/26231/stat")
        .unwrap_or_else(|| panic!("no warning for the stat: {:?}", s.warnings));
    assert!(w.offset.is_some_and(|o| o as usize <= open + 2), "{w}");
    // A status whose Uid line is garbage.
    let s = analyze_bounded(
        &with_member(&raw, "proc/26231/status", b"Name:\tvim\nUid:\tx y z w\n"),
        "status",
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.member == "proc/26231/status" && w.offset == Some(10)),
        "{:?}",
        s.warnings
    );
    // The display form a user sees names both.
    assert!(
        w.to_string().starts_with("proc/26231/stat: at byte "),
        "{w}"
    );
}

/// The same damage through the archive path: a hostile archive's warnings name the archive member.
#[test]
fn damaged_text_inside_an_archive() {
    let dir = common::TempDir::new("hostile-text");
    let out = dir.path().join("s.tar");
    let opts = procsift::capture::CaptureOptions {
        proc_root: common::corpus("linux/proc-snapshots/prometheus-procfs"),
        etc_root: dir.path().join("no-etc"),
        ..Default::default()
    };
    procsift::capture::capture_to_path(&opts, &out).unwrap();
    let mut bytes = std::fs::read(&out).unwrap();
    // Break the stat of 26231 in place (same length, so the tar stays well-formed): no closing parenthesis.
    let needle = b"26231 (vim) R ";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    bytes[at + 10] = b'x';
    let raw =
        procsift::snapshot::reader::open_bytes(bytes, "s.tar", &OpenOptions::default()).unwrap();
    let s = analyze_bounded(&raw, "archive");
    assert!(
        s.warnings
            .iter()
            .any(|w| w.member == "proc/26231/stat" && w.offset.is_some()),
        "{:?}",
        s.warnings
    );
    let v = procsift::snapshot::reader::verify(&raw);
    assert_eq!(v.mismatched, vec!["proc/26231/stat".to_string()], "{v}");
}
