//! The member index at the end of new archives: a read through it gives the members a walk of every
//! tar header gives; an archive without one (written before it existed) reads the same; an index that
//! is damaged or lies (offsets elsewhere or past the end, sizes past the end, a path twice, records
//! out of order, unsafe paths, a wrong count) is not used: the reader warns and walks the headers.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TempDir, corpus, manifest_text};
use procsift::capture::{CaptureOptions, capture_to_path};
use procsift::snapshot::index::INDEX_NAME;
use procsift::snapshot::reader::{OpenOptions, open_path, verify};
use procsift::snapshot::{Member, RawSnapshot, Selection};

/// Captures the prometheus/procfs fixture tree (a copied /proc) into `dir/snap.tar`.
fn archive(dir: &Path) -> PathBuf {
    let out = dir.join("snap.tar");
    let opts = CaptureOptions {
        proc_root: corpus("linux/proc-snapshots/prometheus-procfs"),
        etc_root: dir.join("no-etc"),
        ..CaptureOptions::default()
    };
    capture_to_path(&opts, &out).expect("capture the fixture tree");
    out
}

/// The index's text and the offset of its header, found as a reader finds them: the last line of
/// the archive's last non-zero bytes, `end <header> <records>`.
fn index_of(bytes: &[u8]) -> (usize, String) {
    let end = bytes.iter().rposition(|b| *b != 0).unwrap() + 1;
    let last = bytes[..end - 1].iter().rposition(|b| *b == b'\n').unwrap() + 1;
    let line = std::str::from_utf8(&bytes[last..end - 1]).unwrap();
    let header: usize = line.split(' ').nth(1).unwrap().parse().unwrap();
    let data = header + 512;
    let text = String::from_utf8(bytes[data..end].to_vec()).unwrap();
    assert!(text.starts_with("procsift member index 1\n"), "{text}");
    (header, text)
}

/// A ustar header block, written by hand (not by the tar crate the capture uses).
fn header(name: &str, size: usize) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(b"0000444");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

/// `bytes` cut before the index (an archive as written before there was one) with `tail` appended as
/// its last member when given, and the end-of-archive marker.
fn with_index(bytes: &[u8], tail: Option<&str>) -> Vec<u8> {
    let (at, _) = index_of(bytes);
    let mut out = bytes[..at].to_vec();
    if let Some(text) = tail {
        out.extend(header(INDEX_NAME, text.len()));
        out.extend_from_slice(text.as_bytes());
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend(vec![0u8; 1024]);
    out
}

/// The index `text` with its records replaced by `edit`'s and its `end` line rewritten (header at
/// `at`, the number of records `edit` left, or `count` when given).
fn rewritten(
    text: &str,
    at: usize,
    count: Option<usize>,
    edit: impl Fn(&mut Vec<String>),
) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.pop(); // the end line
    let magic = lines.remove(0);
    edit(&mut lines);
    let n = count.unwrap_or(lines.len());
    format!("{magic}\n{}\nend {at} {n}\n", lines.join("\n"))
}

fn open(path: &Path, walk: bool) -> RawSnapshot {
    open_path(
        path,
        &OpenOptions {
            walk,
            ..OpenOptions::default()
        },
    )
    .unwrap()
}

/// A read of the processes `pids` only (as `show PID` reads).
fn open_pids(path: &Path, pids: &[i32]) -> RawSnapshot {
    open_path(
        path,
        &OpenOptions {
            select: Selection {
                pids: Some(pids.to_vec()),
                ..Selection::ALL
            },
            ..OpenOptions::default()
        },
    )
    .unwrap()
}

/// What a member holds: a file's bytes, a link's target, a failed read's error.
#[derive(Debug, PartialEq)]
enum Held {
    File(Vec<u8>),
    Link(Vec<u8>),
    Failed(String),
}

/// Every member but the index itself, as (path, what it holds).
fn members(raw: &RawSnapshot) -> Vec<(String, Held)> {
    raw.members()
        .filter(|(p, _)| *p != INDEX_NAME)
        .map(|(p, m)| {
            let held = match m {
                Member::File { .. } => Held::File(raw.file(p).expect("in range").to_vec()),
                Member::Symlink(t) => Held::Link(t.clone()),
                Member::Failed(e) => Held::Failed(e.clone()),
            };
            (p.to_string(), held)
        })
        .collect()
}

fn index_warnings(raw: &RawSnapshot) -> Vec<String> {
    raw.warnings
        .iter()
        .filter(|w| w.member == INDEX_NAME)
        .map(|w| w.message.clone())
        .collect()
}

fn run(args: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let out = common::bin().args(args).output().unwrap();
    (out.stdout, out.stderr)
}

#[test]
fn new_archives_end_with_an_index_that_agrees_with_the_headers() {
    let dir = TempDir::new("index-agrees");
    let tar = archive(dir.path());
    let listing = Command::new("tar").arg("tf").arg(&tar).output().unwrap();
    assert!(listing.status.success(), "GNU tar lists it");
    let names = String::from_utf8_lossy(&listing.stdout);
    let last: Vec<&str> = names.lines().rev().take(2).collect();
    assert_eq!(last, vec![INDEX_NAME, "manifest.json"], "{names}");

    let indexed = open(&tar, false);
    let walked = open(&tar, true);
    assert!(indexed.warnings.is_empty(), "{:?}", indexed.warnings);
    assert_eq!(members(&indexed), members(&walked));
    assert!(
        members(&indexed)
            .iter()
            .any(|(p, m)| p == "proc/26231/cmdline" && matches!(m, Held::File(_)))
    );
    assert_eq!(
        indexed.file("proc/26231/cmdline"),
        Some(&b"vim\0test.go\0+10\0"[..])
    );
    assert_eq!(walked.index_check, Some(Ok(true)));
    assert!(verify(&walked).is_ok(), "{}", verify(&walked));
    // The manifest read without its member list says what the whole one says.
    let (a, b) = (indexed.manifest.unwrap(), walked.manifest.unwrap());
    assert_eq!(a.host.clk_tck, b.host.clk_tck);
    assert_eq!(a.capture.started, b.capture.started);
    assert_eq!(a.tool_version, b.tool_version);
    assert!(a.host.clk_tck.is_some());
}

#[test]
fn an_archive_without_an_index_reads_the_same() {
    let dir = TempDir::new("index-old");
    let tar = archive(dir.path());
    let bytes = std::fs::read(&tar).unwrap();
    let old = dir.path().join("old.tar");
    std::fs::write(&old, with_index(&bytes, None)).unwrap();
    let raw = open(&old, false);
    assert!(index_warnings(&raw).is_empty(), "{:?}", raw.warnings);
    assert_eq!(open(&old, true).index_check, Some(Ok(false)));
    assert_eq!(members(&raw), members(&open(&tar, false)));
    let (t, o) = (tar.to_str().unwrap(), old.to_str().unwrap());
    for args in [
        vec!["ps", "--format", "json"],
        vec!["ps"],
        vec!["info"],
        vec!["info", "--format", "json"],
        vec!["show", "26231", "--format", "json"],
        vec!["show", "26231"],
        vec!["files"],
        vec!["threads", "--format", "json"],
    ] {
        let with = |input: &str| {
            let mut a = vec![args[0], input];
            a.extend(&args[1..]);
            run(&a)
        };
        let (new_out, old_out) = (with(t), with(o));
        // `info` names its input; nothing else may differ.
        let new_text = String::from_utf8_lossy(&new_out.0).replace(t, o);
        assert_eq!(
            new_text,
            String::from_utf8_lossy(&old_out.0),
            "{args:?} differs without the index"
        );
        assert_eq!(new_out.1, old_out.1, "{args:?}: stderr");
    }
}

#[test]
fn a_damaged_or_lying_index_is_not_used() {
    let dir = TempDir::new("index-lies");
    let tar = archive(dir.path());
    let bytes = std::fs::read(&tar).unwrap();
    let (at, text) = index_of(&bytes);
    let reference = members(&open(&tar, true));
    let record = |lines: &Vec<String>, path: &str| {
        lines
            .iter()
            .position(|l| l.ends_with(&format!(" {path}")))
            .unwrap_or_else(|| panic!("no record of {path}"))
    };
    type Edit = Box<dyn Fn(&mut Vec<String>)>;
    let field = |lines: &mut Vec<String>, i: usize, n: usize, v: &str| {
        let mut f: Vec<String> = lines[i].split(' ').map(str::to_string).collect();
        f[n] = v.to_string();
        lines[i] = f.join(" ");
    };
    let cases: Vec<(&str, Option<usize>, Edit)> = vec![
        (
            "offsets of another member",
            None,
            Box::new(move |l| {
                let (a, b) = (
                    record(l, "proc/26231/stat"),
                    record(l, "proc/26231/cmdline"),
                );
                let other: Vec<String> = l[b].split(' ').map(str::to_string).collect();
                for (n, v) in other.iter().enumerate().take(4).skip(1) {
                    field(l, a, n, v);
                }
            }),
        ),
        (
            "a size past the end of the archive",
            None,
            Box::new(move |l| {
                let a = record(l, "proc/26231/cmdline");
                field(l, a, 3, "1099511627776");
            }),
        ),
        (
            "a header offset past the end",
            None,
            Box::new(move |l| {
                let a = record(l, "proc/26231/stat");
                field(l, a, 1, "18446744073709551104");
            }),
        ),
        (
            "a data offset inside its own header",
            None,
            Box::new(move |l| {
                let a = record(l, "proc/26231/stat");
                let h = l[a].split(' ').nth(1).unwrap().to_string();
                field(l, a, 2, &h);
            }),
        ),
        (
            "a path twice",
            None,
            Box::new(move |l| {
                let a = record(l, "proc/26231/stat");
                let dup = l[a].clone();
                l.insert(a, dup);
            }),
        ),
        (
            "records out of order",
            None,
            Box::new(move |l| {
                let a = record(l, "proc/26231/stat");
                l.swap(a, a - 1);
            }),
        ),
        (
            "an unsafe path",
            None,
            Box::new(move |l| {
                let a = record(l, "proc/26231/stat");
                l[a] = l[a].replace("proc/26231/stat", "proc/26231/stat/..");
            }),
        ),
        (
            "a link where procsift stores none",
            None,
            Box::new(move |l| {
                let a = record(l, "proc/26231/stat");
                let h = l[a].split(' ').nth(1).unwrap().to_string();
                l[a] = format!("l {h} proc/26231/stat");
            }),
        ),
        ("a record count that lies", Some(3), Box::new(|_| {})),
        (
            "an unknown record kind",
            None,
            Box::new(|l| l[0] = format!("z{}", &l[0][1..])),
        ),
        (
            "a malformed escape",
            None,
            Box::new(|l| {
                let n = l.len() - 1;
                l[n].push_str("\\x4");
            }),
        ),
    ];
    for (what, count, edit) in cases {
        let lie = rewritten(&text, at, count, edit);
        let path = dir.path().join("lie.tar");
        std::fs::write(&path, with_index(&bytes, Some(&lie))).unwrap();
        let raw = open(&path, false);
        let w = index_warnings(&raw);
        assert!(
            w.len() == 1 && w[0].contains("member index not used"),
            "{what}: {w:?}"
        );
        assert_eq!(members(&raw), reference, "{what}: the headers are read");
        // A read of one process parses only the records around it: each lie is among them (the
        // process's, the system members', or the count, which a range read checks by its lines).
        let one = open_pids(&path, &[26231]);
        let w = index_warnings(&one);
        assert!(
            w.len() == 1 && w[0].contains("member index not used"),
            "{what}, read of one process: {w:?}"
        );
        let walked = open(&path, true);
        assert!(
            matches!(walked.index_check, Some(Err(_))),
            "{what}: verify says the index is bad: {:?}",
            walked.index_check
        );
        assert!(!verify(&walked).is_ok(), "{what}");
    }

    // An `end` line that names a header where no index is, and garbage at the end: walked, warned.
    for tail in [
        "procsift member index 1\nend 0 0\n".to_string(),
        format!("procsift member index 1\nend {at} x\n"),
    ] {
        let path = dir.path().join("lie.tar");
        std::fs::write(&path, with_index(&bytes, Some(&tail))).unwrap();
        let raw = open(&path, false);
        let w = index_warnings(&raw);
        assert!(
            w.len() == 1 && w[0].contains("member index not used"),
            "{tail}: {w:?}"
        );
        assert_eq!(members(&raw), reference, "{tail}");
    }
}

/// An index whose records are all in place but that names a failed member the manifest does not is
/// believed by reports (it is consistent with the file), and `verify` finds it out.
#[test]
fn verify_checks_the_index_against_the_headers() {
    let dir = TempDir::new("index-verify");
    let tar = archive(dir.path());
    let bytes = std::fs::read(&tar).unwrap();
    let (at, text) = index_of(&bytes);
    let lie = rewritten(&text, at, None, |l| {
        l.push("e EACCES proc/26231/zzz".to_string());
        l.sort_by(|a, b| a.rsplit(' ').next().cmp(&b.rsplit(' ').next()));
    });
    let path = dir.path().join("lie.tar");
    std::fs::write(&path, with_index(&bytes, Some(&lie))).unwrap();
    let raw = open(&path, false);
    assert!(index_warnings(&raw).is_empty(), "{:?}", raw.warnings);
    assert_eq!(raw.failure("proc/26231/zzz"), Some("EACCES"));
    let out = common::bin().arg("verify").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("INDEX: member index disagrees with the tar headers at proc/26231/zzz"),
        "{stdout}"
    );
    let out = common::bin().arg("verify").arg(&tar).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Members appended after the index (as `tar -r` does) leave it inside the archive, not at its end:
/// the archive is walked, the appended member read.
#[test]
fn members_appended_after_the_index_are_read() {
    let dir = TempDir::new("index-append");
    let tar = archive(dir.path());
    let mut bytes = std::fs::read(&tar).unwrap();
    while bytes.len() >= 512 && bytes[bytes.len() - 512..].iter().all(|b| *b == 0) {
        bytes.truncate(bytes.len() - 512);
    }
    let data = b"Name:\tappended\n";
    bytes.extend(header("proc/26231/status", data.len()));
    bytes.extend_from_slice(data);
    bytes.resize(bytes.len().div_ceil(512) * 512 + 1024, 0);
    let path = dir.path().join("appended.tar");
    std::fs::write(&path, &bytes).unwrap();
    let raw = open(&path, false);
    assert!(index_warnings(&raw).is_empty(), "{:?}", raw.warnings);
    assert_eq!(raw.file("proc/26231/status"), Some(&data[..]));
}

/// A read of one process finds its records by binary search and parses only those, the system
/// members', the failed ones and the socket tables': it gives the members a whole parse gives it, and
/// records out of order elsewhere (among another process's) are not seen by it, as the index's
/// documentation says; a whole parse sees them.
#[test]
fn a_read_of_one_process_parses_only_its_range() {
    let dir = TempDir::new("index-range");
    let tar = archive(dir.path());
    let whole = open(&tar, false);
    let one = open_pids(&tar, &[26231]);
    assert!(index_warnings(&one).is_empty(), "{:?}", one.warnings);
    let of = |raw: &RawSnapshot| {
        members(raw)
            .into_iter()
            .filter(|(p, h)| {
                !p.starts_with("proc/")
                    || p.starts_with("proc/26231/")
                    || matches!(h, Held::Failed(_))
                    || !p[5..].starts_with(|c: char| c.is_ascii_digit())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(members(&one), of(&whole));
    assert!(one.file("proc/26231/stat").is_some() && one.file("proc/26232/stat").is_none());
    // Every stored member left out is counted, as a whole parse of the same selection counts them.
    let total = whole
        .members()
        .filter(|(p, m)| !matches!(m, Member::Failed(_)) && *p != INDEX_NAME)
        .count();
    let kept = one
        .members()
        .filter(|(p, m)| !matches!(m, Member::Failed(_)) && *p != INDEX_NAME)
        .count();
    assert_eq!(one.unindexed, total - kept);

    let bytes = std::fs::read(&tar).unwrap();
    let (at, text) = index_of(&bytes);
    let lie = rewritten(&text, at, None, |l| {
        let at = |p: &str| {
            l.iter()
                .position(|r| r.ends_with(&format!(" {p}")))
                .unwrap()
        };
        let (a, b) = (at("proc/26232/cmdline"), at("proc/26232/maps"));
        l.swap(a, b);
    });
    let path = dir.path().join("lie.tar");
    std::fs::write(&path, with_index(&bytes, Some(&lie))).unwrap();
    assert!(index_warnings(&open_pids(&path, &[26231])).is_empty());
    let w = index_warnings(&open(&path, false));
    assert!(w.len() == 1 && w[0].contains("out of order"), "{w:?}");
    let w = index_warnings(&open_pids(&path, &[26232]));
    assert!(w.len() == 1 && w[0].contains("out of order"), "{w:?}");
}

/// The archive with its manifest's text replaced by `edit`'s, which must keep its length (so that
/// every offset, and the index, stay right).
fn edited_manifest(bytes: &[u8], edit: impl Fn(&str) -> String) -> Vec<u8> {
    let (at, text) = manifest_text(bytes);
    let new = edit(&text);
    assert_eq!(new.len(), text.len());
    let mut out = bytes.to_vec();
    out[at..at + new.len()].copy_from_slice(new.as_bytes());
    out
}

/// A capture records the process totals in its manifest, before the member list (corpus fixture:
/// 4 processes, 8 threads, no descriptors listed; the `stat` of 584 and 26232 name other pids). `info`
/// prints the same bytes from them as from every process read (`PROCSIFT_FULL_READ`), and the same as
/// for the archive without them (as written before); `verify` reports totals that disagree with the
/// members.
#[test]
fn info_reads_the_manifest_totals_and_verify_checks_them() {
    let dir = TempDir::new("index-totals");
    let tar = archive(dir.path());
    let bytes = std::fs::read(&tar).unwrap();
    let (_, manifest) = manifest_text(&bytes);
    let v: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(
        v["totals"],
        serde_json::json!({"processes": 4, "threads": 8, "irregular": [584, 26232]})
    );
    assert!(manifest.find("\"totals\"").unwrap() < manifest.find("\"members\"").unwrap());

    let without = edited_manifest(&bytes, |m| {
        let from = m.find("\"totals\"").unwrap();
        let to = from + m[from..].find("},").unwrap() + 2;
        format!("{}{}{}", &m[..from], " ".repeat(to - from), &m[to..])
    });
    let old = dir.path().join("old.tar");
    std::fs::write(&old, &without).unwrap();
    let (t, o) = (tar.to_str().unwrap(), old.to_str().unwrap());
    for format in ["table", "json"] {
        let info = |input: &str, full: bool| {
            let mut cmd = common::bin();
            cmd.args(["info", input, "--format", format])
                .env_remove("PROCSIFT_FULL_READ");
            if full {
                cmd.env("PROCSIFT_FULL_READ", "1");
            }
            let out = cmd.output().unwrap();
            assert!(out.status.success());
            (String::from_utf8(out.stdout).unwrap(), out.stderr)
        };
        let with_totals = info(t, false);
        assert_eq!(with_totals, info(t, true), "{format}");
        // The irregular processes are read for their warnings.
        assert!(
            with_totals.0.contains(if format == "json" {
                "pid field 1020 differs"
            } else {
                "warnings                  2"
            }),
            "{}",
            with_totals.0
        );
        let old_out = info(o, false);
        assert_eq!(old_out, info(o, true), "{format}");
        assert_eq!(with_totals.0.replace(t, o), old_out.0, "{format}");
    }
    let out = common::bin().arg("verify").arg(&tar).output().unwrap();
    assert_eq!(out.status.code(), Some(0));

    // A hand-edited manifest: info believes it (it reads no process), verify finds it out.
    let lie = edited_manifest(&bytes, |m| {
        m.replacen("\"processes\": 4", "\"processes\": 5", 1)
    });
    let path = dir.path().join("lie.tar");
    std::fs::write(&path, &lie).unwrap();
    let out = common::bin().arg("verify").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "TOTALS: the manifest records 5 processes, 8 threads, - open files, irregular [584, \
             26232]; the members give 4 processes"
        ),
        "{stdout}"
    );
}

/// Copies the tree at `from` to `to` (files, directories and symbolic links).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let kind = e.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Copies the corpus's copied /proc tree into `dir/proc` with its process 26231 also under `copies`
/// more pids (40000 on), and captures it into `dir/many.tar`: an index of thousands of records,
/// which a read parses on two threads.
fn large_archive(dir: &Path, copies: i32) -> PathBuf {
    let src = corpus("linux/proc-snapshots/prometheus-procfs");
    let root = dir.join("proc");
    copy_tree(&src, &root);
    for pid in 40000..40000 + copies {
        copy_tree(&src.join("26231"), &root.join(pid.to_string()));
    }
    let out = dir.join("many.tar");
    let opts = CaptureOptions {
        proc_root: root,
        etc_root: dir.join("no-etc"),
        ..CaptureOptions::default()
    };
    capture_to_path(&opts, &out).expect("capture the tree");
    out
}

#[test]
fn a_large_index_read_on_two_threads_reads_as_a_walk() {
    let dir = TempDir::new("index-large");
    let tar = large_archive(dir.path(), 700);
    let bytes = std::fs::read(&tar).unwrap();
    let (at, text) = index_of(&bytes);
    // Above the size the reader parses on two threads (256 KiB of records).
    assert!(text.len() > 256 << 10, "{} bytes of index", text.len());
    let reference = members(&open(&tar, true));
    let indexed = open(&tar, false);
    assert!(indexed.warnings.is_empty(), "{:?}", indexed.warnings);
    assert_eq!(members(&indexed), reference);
    assert_eq!(
        indexed.file("proc/40699/cmdline"),
        Some(&b"vim\0test.go\0+10\0"[..])
    );

    // Damage anywhere, the middle (where the halves meet) included, is found as a one-thread parse
    // finds it: the index is not used, and the walk reads the same members.
    let lines = text.lines().count() - 2;
    for at_record in [
        1,
        lines / 4,
        lines / 2 - 1,
        lines / 2,
        lines / 2 + 1,
        3 * lines / 4,
        lines - 1,
    ] {
        for (what, edit) in [
            (
                "out of order",
                Box::new(move |l: &mut Vec<String>| l.swap(at_record, at_record - 1))
                    as Box<dyn Fn(&mut Vec<String>)>,
            ),
            (
                "a path twice",
                Box::new(move |l: &mut Vec<String>| {
                    let dup = l[at_record].clone();
                    l.insert(at_record, dup);
                }),
            ),
        ] {
            let lied = rewritten(&text, at, None, edit);
            let path = dir.path().join("lied.tar");
            std::fs::write(&path, with_index(&bytes, Some(&lied))).unwrap();
            let raw = open(&path, false);
            let warned = index_warnings(&raw);
            assert!(
                warned.iter().any(|w| w.contains("member index not used")),
                "{what} at record {at_record}: {warned:?}"
            );
            assert_eq!(members(&raw), reference, "{what} at record {at_record}");
        }
    }
    // A count that disagrees with the records, in the `end` line.
    let lied = rewritten(&text, at, Some(lines + 1), |_| {});
    let path = dir.path().join("count.tar");
    std::fs::write(&path, with_index(&bytes, Some(&lied))).unwrap();
    assert!(
        index_warnings(&open(&path, false))
            .iter()
            .any(|w| w.contains("its `end` line says")),
    );
}
