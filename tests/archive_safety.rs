//! Archive safety and integrity: `verify` names every flipped, missing or extra member and exits 1;
//! member paths with `..` or `/`, sizes larger than the file, duplicate members and links pointing outside
//! are warnings and are never followed or read outside the archive; compressed input is bounded
//! (gzip and zstd bombs).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TempDir, corpus};
use procsift::capture::{CaptureOptions, capture_to_path};
use procsift::snapshot::reader::{OpenOptions, open_bytes, open_path, verify};
use procsift::snapshot::tar::{EntryKind, index};

/// Copies the prometheus/procfs fixture tree under `dir`, its `SYMLINKS.txt` lists made real links (as on
/// the host it came from), and captures the copy into `dir/snap.tar`: files and links, with a manifest.
fn small_archive(dir: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let (src, dst) = (e.path(), to.join(e.file_name()));
            if e.file_type().unwrap().is_dir() {
                copy(&src, &dst);
            } else if e.file_name() == "SYMLINKS.txt" {
                for line in std::fs::read_to_string(&src).unwrap().lines() {
                    if let Some((name, target)) = line.split_once(" -> ") {
                        let l = to.join(name.trim());
                        std::fs::create_dir_all(l.parent().unwrap()).unwrap();
                        let _ = std::os::unix::fs::symlink(target, l);
                    }
                }
            } else {
                std::fs::copy(&src, &dst).unwrap();
            }
        }
    }
    let tree = dir.join("proc");
    copy(&corpus("linux/proc-snapshots/prometheus-procfs"), &tree);
    let out = dir.join("snap.tar");
    let opts = CaptureOptions {
        proc_root: tree,
        etc_root: dir.join("no-etc"),
        ..CaptureOptions::default()
    };
    capture_to_path(&opts, &out).expect("capture the fixture tree");
    out
}

/// One raw tar member, for rebuilding archives.
struct Raw {
    name: Vec<u8>,
    kind: u8,
    data: Vec<u8>,
    link: Vec<u8>,
}

/// A ustar header written by hand, so that hostile names and sizes go in exactly as given.
fn header(name: &[u8], size: u64, kind: u8, link: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    h[100..107].copy_from_slice(b"0000444");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = kind;
    h[157..157 + link.len().min(100)].copy_from_slice(&link[..link.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: usize = h.iter().map(|b| usize::from(*b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

fn member(m: &Raw) -> Vec<u8> {
    let mut v = Vec::new();
    if m.name.len() > 100 {
        let mut long = m.name.clone();
        long.push(0);
        v.extend(header(b"././@LongLink", long.len() as u64, b'L', b""));
        v.extend_from_slice(&long);
        v.resize(v.len().div_ceil(512) * 512, 0);
    }
    v.extend(header(&m.name, m.data.len() as u64, m.kind, &m.link));
    v.extend_from_slice(&m.data);
    v.resize(v.len().div_ceil(512) * 512, 0);
    v
}

fn build(members: &[Raw]) -> Vec<u8> {
    let mut v: Vec<u8> = members.iter().flat_map(member).collect();
    v.extend(vec![0; 1024]);
    v
}

/// The members of a procsift archive, as raw members.
/// The members of `tar`, but its member index (an archive built from them has none: it is read as
/// archives written before the index are).
fn members_of(tar: &[u8]) -> Vec<Raw> {
    let (entries, damage) = index(tar);
    assert!(damage.is_empty());
    entries
        .into_iter()
        .filter(|e| &e.path[..] != b"member-index.txt")
        .filter_map(|e| match e.kind {
            EntryKind::File { offset, len } => Some(Raw {
                name: e.path.into_owned(),
                kind: b'0',
                data: tar[offset..offset + len].to_vec(),
                link: Vec::new(),
            }),
            EntryKind::Symlink(t) => Some(Raw {
                name: e.path.into_owned(),
                kind: b'2',
                data: Vec::new(),
                link: t.into_owned(),
            }),
            _ => None,
        })
        .collect()
}

fn verify_cli(bytes: &[u8], dir: &Path, name: &str) -> (i32, String) {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    let out = common::bin().arg("verify").arg(&p).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn verify_names_a_flipped_byte_in_every_member() {
    let dir = TempDir::new("verify-flip");
    let good = std::fs::read(small_archive(dir.path())).unwrap();
    let (entries, _) = index(&good);
    let opts = OpenOptions::default();
    let mut checked = 0;
    for e in &entries {
        let name = String::from_utf8_lossy(&e.path).into_owned();
        if name == "manifest.json" {
            continue;
        }
        let mut bad = good.clone();
        match &e.kind {
            EntryKind::File { offset, len } if *len > 0 => bad[offset + len / 2] ^= 0x01,
            // A link's target lives in its header: flip it and fix the checksum so the tar stays valid.
            EntryKind::Symlink(t) if !t.is_empty() && t.len() < 100 => {
                let h = e.header_offset;
                bad[h + 157] ^= 0x01;
                bad[h + 148..h + 156].copy_from_slice(b"        ");
                let sum: usize = bad[h..h + 512].iter().map(|b| usize::from(*b)).sum();
                bad[h + 148..h + 155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
            }
            _ => continue,
        }
        if name == "member-index.txt" {
            // Not in the manifest: checked against the tar headers, and found out.
            let walk = OpenOptions {
                walk: true,
                ..OpenOptions::default()
            };
            let r = verify(&open_bytes(bad.clone(), "bad.tar", &walk).unwrap());
            assert!(r.mismatched.is_empty(), "{r}");
            assert!(r.index_problem.is_some(), "{r}");
            assert!(!r.is_ok());
            let (code, text) = verify_cli(&bad, dir.path(), "flip.tar");
            assert_eq!(code, 1, "{text}");
            assert!(text.contains("INDEX: "), "{text}");
            continue;
        }
        let raw = open_bytes(bad.clone(), "bad.tar", &opts).unwrap();
        let r = verify(&raw);
        assert_eq!(r.mismatched, vec![name.clone()], "{name}: {r}");
        assert!(!r.is_ok());
        checked += 1;
        // Through the command line for a sample: named on stdout, exit status 1.
        if checked % 25 == 1 {
            let (code, text) = verify_cli(&bad, dir.path(), "flip.tar");
            assert_eq!(code, 1, "{text}");
            assert!(text.contains(&format!("MISMATCH: {name}")), "{text}");
        }
    }
    assert!(checked >= 25, "only {checked} members checked");
    let (code, _) = verify_cli(&good, dir.path(), "good.tar");
    assert_eq!(code, 0);
}

#[test]
fn verify_names_missing_and_extra_members() {
    let dir = TempDir::new("verify-missing");
    let good = std::fs::read(small_archive(dir.path())).unwrap();
    let all = members_of(&good);

    // Missing: each of a few members dropped in turn.
    for gone in ["proc/26231/cmdline", "proc/26231/exe", "proc/26231/fd/3"] {
        let kept: Vec<Raw> = members_of(&good)
            .into_iter()
            .filter(|m| m.name != gone.as_bytes())
            .collect();
        assert_eq!(kept.len() + 1, all.len(), "{gone} is in the archive");
        let (code, text) = verify_cli(&build(&kept), dir.path(), "missing.tar");
        assert_eq!(code, 1, "{text}");
        assert!(text.contains(&format!("MISSING: {gone}")), "{text}");
    }

    // Extra: a file and a link the manifest does not list, before the manifest.
    let mut extra = members_of(&good);
    let manifest = extra.pop().unwrap();
    assert_eq!(manifest.name, b"manifest.json");
    extra.push(Raw {
        name: b"proc/26231/planted".to_vec(),
        kind: b'0',
        data: b"not captured".to_vec(),
        link: Vec::new(),
    });
    extra.push(Raw {
        name: b"proc/26231/fd/99".to_vec(),
        kind: b'2',
        data: Vec::new(),
        link: b"/tmp/planted".to_vec(),
    });
    extra.push(manifest);
    let (code, text) = verify_cli(&build(&extra), dir.path(), "extra.tar");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("NOT IN MANIFEST: proc/26231/planted"),
        "{text}"
    );
    assert!(text.contains("NOT IN MANIFEST: proc/26231/fd/99"), "{text}");

    // The rebuilt archive, unchanged, still verifies (the rebuilding itself is faithful).
    let (code, text) = verify_cli(&build(&members_of(&good)), dir.path(), "same.tar");
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_directory_or_an_archive_without_manifest_is_not_verified() {
    let out = common::bin()
        .arg("verify")
        .arg(corpus("linux/proc-snapshots/prometheus-procfs"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to verify"));
}

fn file(name: &str, data: &[u8]) -> Raw {
    Raw {
        name: name.as_bytes().to_vec(),
        kind: b'0',
        data: data.to_vec(),
        link: Vec::new(),
    }
}

fn link(name: &str, kind: u8, target: &str) -> Raw {
    Raw {
        name: name.as_bytes().to_vec(),
        kind,
        data: Vec::new(),
        link: target.as_bytes().to_vec(),
    }
}

const STAT: &[u8] = b"1 (init) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n";

#[test]
fn hostile_member_paths_and_links_are_warnings_never_followed() {
    let tar = build(&[
        file("proc/1/stat", STAT),
        file("../../etc/evil", b"x"),
        file("proc/../../escape/stat", b"x"),
        file(
            "/proc/2/stat",
            b"2 (abs) S 0 2 2 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
        ),
        link("proc/1/status", b'2', "/etc/shadow"),
        link("proc/1/cmdline", b'1', "../../../etc/passwd"),
        link("proc/1/exe", b'2', "/usr/bin/init"),
        file(
            "proc/1/stat",
            b"1 (second) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
        ),
    ]);
    let raw = open_bytes(tar, "hostile.tar", &OpenOptions::default()).unwrap();
    let w: Vec<String> = raw.warnings.iter().map(|w| w.to_string()).collect();
    let has = |member: &str, text: &str| {
        raw.warnings
            .iter()
            .any(|w| w.member == member && w.offset.is_some() && w.message.contains(text))
    };
    assert!(has("../../etc/evil", "'..'"), "{w:?}");
    assert!(has("proc/../../escape/stat", "'..'"), "{w:?}");
    assert!(has("/proc/2/stat", "absolute"), "{w:?}");
    assert!(has("proc/1/status", "never followed"), "{w:?}");
    assert!(has("proc/1/cmdline", "hard link"), "{w:?}");
    assert!(has("proc/1/stat", "second member"), "{w:?}");
    assert!(
        !raw.warnings.iter().any(|w| w.member == "proc/1/exe"),
        "exe is where links belong: {w:?}"
    );
    // Nothing outside the archive is a member; links are links, their targets never read.
    assert!(raw.members().all(|(p, _)| !p.contains("..")));
    assert!(raw.member("etc/evil").is_none());
    assert_eq!(raw.link("proc/1/status"), Some(&b"/etc/shadow"[..]));
    assert_eq!(raw.file("proc/1/status"), None);
    assert!(raw.member("proc/1/cmdline").is_none());
    // The later duplicate is the one read (as tar extraction would).
    assert!(raw.file("proc/1/stat").unwrap().starts_with(b"1 (second)"));
    assert!(raw.file("proc/2/stat").is_some());
    let s = procsift::analyze::analyze(&raw);
    assert_eq!(
        s.processes.iter().map(|p| p.pid).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(s.processes[0].cred.uid.is_none(), "no status was read");
}

#[test]
fn sizes_larger_than_the_file_are_warnings_naming_the_member() {
    let mut tar = build(&[
        file("proc/1/stat", STAT),
        file("proc/1/status", b"Name:\tinit\n"),
    ]);
    // The second header claims 1 GiB.
    let h = 1024;
    tar[h + 124..h + 136].copy_from_slice(b"10000000000\0");
    tar[h + 148..h + 156].copy_from_slice(b"        ");
    let sum: usize = tar[h..h + 512].iter().map(|b| usize::from(*b)).sum();
    tar[h + 148..h + 155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    let len = tar.len();
    let raw = open_bytes(tar, "big.tar", &OpenOptions::default()).unwrap();
    let w = raw
        .warnings
        .iter()
        .find(|w| w.message.contains("runs past the end"))
        .unwrap_or_else(|| panic!("{:?}", raw.warnings));
    assert_eq!(w.offset, Some(h as u64), "{w}");
    assert!(w.message.contains("proc/1/status"), "{w}");
    assert!(w.message.contains(&len.to_string()), "{w}");
    assert!(raw.file("proc/1/stat").is_some());
    assert!(raw.member("proc/1/status").is_none());
}

#[test]
fn links_in_a_directory_input_are_never_followed() {
    let dir = TempDir::new("dirlinks");
    let root = dir.path().join("tree");
    std::fs::create_dir_all(root.join("1")).unwrap();
    std::fs::write(root.join("1/stat"), STAT).unwrap();
    let secret = dir.path().join("outside-secret");
    std::fs::write(&secret, b"Name:\tstolen\nUid:\t0 0 0 0\n").unwrap();
    std::os::unix::fs::symlink(&secret, root.join("1/status")).unwrap();
    std::os::unix::fs::symlink(dir.path(), root.join("1/task")).unwrap();
    let raw = procsift::input::open_snapshot(&root, &OpenOptions::default()).unwrap();
    assert_eq!(
        raw.link("proc/1/status"),
        Some(secret.as_os_str().as_encoded_bytes())
    );
    assert!(raw.file("proc/1/status").is_none());
    assert!(raw.link("proc/1/task").is_some());
    assert!(raw.members().all(|(p, _)| !p.starts_with("proc/1/task/")));
    let s = procsift::analyze::analyze(&raw);
    assert!(s.processes[0].cred.uid.is_none());
}

/// `size` zero bytes as a tar member, compressed: a few KiB that inflate to `size`.
fn bomb_tar(size: usize) -> Vec<u8> {
    let mut v = header(b"proc/1/stat", size as u64, b'0', b"");
    v.resize(512 + size, 0);
    v.extend(vec![0; 1024]);
    v
}

#[test]
fn gzip_and_zstd_bombs_stop_at_the_bound() {
    let dir = TempDir::new("bomb");
    let raw = dir.path().join("bomb.tar");
    std::fs::write(&raw, bomb_tar(64 << 20)).unwrap();
    let gz = dir.path().join("bomb.tar.gz");
    let zst = dir.path().join("bomb.tar.zst");
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "gzip -9 -c {r} > {g} && zstd -q -19 -o {z} {r}",
            r = raw.display(),
            g = gz.display(),
            z = zst.display()
        ))
        .status()
        .unwrap()
        .success();
    assert!(ok, "gzip and zstd (apt-get install zstd)");
    let bound = OpenOptions {
        max_decompressed: 1 << 20,
        ..OpenOptions::default()
    };
    for p in [&gz, &zst] {
        let bytes = std::fs::read(p).unwrap();
        assert!(bytes.len() < 1 << 20, "{} is small", p.display());
        for result in [
            open_path(p, &bound).map(|_| ()),
            open_bytes(bytes, "bomb", &bound).map(|_| ()),
        ] {
            let e = result.unwrap_err().to_string();
            assert!(e.contains("more than the bound of 1048576 bytes"), "{e}");
        }
        // Within a bound that fits, the same file opens.
        assert!(open_path(p, &OpenOptions::default()).is_ok());
    }
}
