//! Directory inputs, read through the capture's own plans: a directory yields exactly the members a
//! capture of it would hold — one list for both — with the same bounds, and nothing else is opened.
//!
//! The shapes understood, by what the directory holds:
//! * an extracted snapshot (`manifest.json`, `proc/` or `sysctl/` at its top, such as `tar xf host.tar`'s
//!   output): `proc/` is read by the plan the manifest names (else Linux, or Solaris when its process
//!   directories hold `psinfo`), `etc/` as its /etc, plus `manifest.json`, `events/cn_proc.bin` and the
//!   NetBSD `sysctl/` files;
//! * a tree shaped like /proc (numbered process directories at its top): the live `/proc` itself, another
//!   procfs mount, or a copy;
//! * one process's directory (`stat` or `psinfo` at its top): `/proc/<pid>`, `/proc/self`, or a copy of
//!   one — a snapshot of that process;
//! * a dump of NetBSD sysctl answers (`kern.proc2` at its top), read as `sysctl/<name>`.
//!
//! Anything else — a directory with no process records and no manifest (`/etc`, an empty directory) — is
//! an error.
//!
//! A live procfs is read as the live host is (with its `/etc`, and only the members and processes the
//! report needs, [`OpenOptions::select`]). Any other directory is a *copy*, read whole, and untrusted: each file is checked before it is opened (a link is kept as a link, never followed; a FIFO,
//! socket or device is never opened and is recorded as `not a regular file`), every file and the total are
//! bounded by [`OpenOptions::max_dir_bytes`], and a copy's missing files are recorded as failed (`ENOENT`)
//! like any read that failed. The test corpus's convention for links that could not be stored as links,
//! a `SYMLINKS.txt` of `name -> target` lines in the tree's top or a process directory, adds those links.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::capture::{self, CaptureOptions, PlanKind, Reading, sys};
use crate::error::{Error, Result};
use crate::model::{InputKind, Source, Warning};
use crate::snapshot::manifest::{self, EVENTS_RAW_MEMBER, MANIFEST_NAME};
use crate::snapshot::reader::OpenOptions;
use crate::snapshot::{Member, MemoryBuilder, RawSnapshot};

/// What a directory input is.
#[derive(Debug, PartialEq, Eq)]
enum Shape {
    /// `manifest.json`, `proc/` or `sysctl/` at the top.
    Extracted,
    /// `kern.proc2` at the top: the `sysctl/` of a NetBSD dump.
    NetbsdSysctl,
    /// Numbered process directories at the top.
    ProcTree,
    /// One process's directory: its parent, its name, its pid.
    Process {
        parent: PathBuf,
        name: String,
        pid: i32,
    },
}

/// Deepest directory nesting walked in a `sysctl/` tree.
const MAX_DEPTH: u32 = 8;

/// Reads the directory `root` (see the module documentation).
pub fn open(root: &Path, opts: &OpenOptions) -> Result<RawSnapshot> {
    let shown = root.display().to_string();
    let shape = classify(root)?;
    let bound = opts.max_dir_bytes;
    // The process tree the plan reads, and the /etc beside it.
    let (proc_root, etc_root, only) = match &shape {
        Shape::Extracted => (
            Some(root.join("proc")).filter(|p| p.is_dir()),
            root.join("etc"),
            None,
        ),
        Shape::NetbsdSysctl => (None, PathBuf::new(), None),
        Shape::ProcTree => (Some(root.to_path_buf()), PathBuf::new(), None),
        Shape::Process { parent, name, pid } => (
            Some(parent.clone()),
            PathBuf::new(),
            Some((*pid, name.clone())),
        ),
    };
    let mut total = 0u64;
    let mut raw = match &proc_root {
        Some(proc_root) => {
            let live = sys::is_procfs(proc_root);
            // A live procfs is read as the live host is: only what the report needs. A copy is read
            // whole, like the archive it could have been (its reports and warnings are those of the
            // whole tree).
            let mut select = if live {
                opts.select.clone()
            } else {
                crate::snapshot::Selection::ALL
            };
            if let Some((pid, _)) = &only {
                select.pids = Some(vec![*pid]);
            }
            let plan = plan_of(root, proc_root, &shape)?;
            let copts = CaptureOptions {
                proc_root: proc_root.clone(),
                // A live procfs is this host's: its /etc is this host's too.
                etc_root: if live {
                    PathBuf::from("/etc")
                } else {
                    etc_root
                },
                plan: Some(plan),
                reading: Reading {
                    select,
                    copied: (!live).then_some(bound),
                    // A copied process directory has no host files beside it.
                    no_system: only.is_some() && !live,
                    process_dir: only.clone().filter(|(pid, name)| *name != pid.to_string()),
                },
                max_bytes: Some(bound),
                ..CaptureOptions::default()
            };
            let (mut raw, summary) = capture::capture_to_memory_with_summary(&copts)?;
            total = summary.bytes;
            if !live {
                // The capture's host facts are this machine's, not those of the host the copy is from.
                raw.manifest = None;
                symlinks_txt(&mut raw, proc_root, &only, bound);
            }
            raw
        }
        None => MemoryBuilder::new().build(None, Vec::new(), Source::default()),
    };
    match shape {
        Shape::Extracted => {
            for name in [MANIFEST_NAME, EVENTS_RAW_MEMBER] {
                add_file(&mut raw, &root.join(name), name, bound, &mut total)?;
            }
            if root.join("sysctl").is_dir() {
                walk(
                    &mut raw,
                    &root.join("sysctl"),
                    "sysctl",
                    0,
                    bound,
                    &mut total,
                )?;
                // A NetBSD dump has no proc/ for a plan to read: its /etc files as its plan names them.
                if proc_root.is_none() {
                    for name in capture::netbsd::ETC_SYSTEM {
                        let member = format!("etc/{name}");
                        add_file(&mut raw, &root.join(&member), &member, bound, &mut total)?;
                    }
                }
            }
        }
        Shape::NetbsdSysctl => walk(&mut raw, root, "sysctl", 0, bound, &mut total)?,
        _ => {}
    }
    if let Some(bytes) = raw.file(MANIFEST_NAME) {
        match manifest::parse_light(bytes) {
            Ok(m) => {
                crate::snapshot::reader::apply_manifest(&m, raw.members_mut());
                raw.manifest = Some(m);
            }
            Err(e) => raw.warnings.push(Warning::member(
                MANIFEST_NAME,
                format!("unreadable manifest: {e}"),
            )),
        }
    }
    // (A read narrowed to some pids may rightly find none of them: the report says so.)
    if raw.manifest.is_none() && opts.select.pids.is_none() && !has_process_records(&raw) {
        return Err(Error::Unrecognized {
            path: root.into(),
            reason: "no process records in it (proc/<pid>/stat, status or psinfo; NetBSD \
                     sysctl/kern.proc2) and no manifest.json: not a /proc tree or snapshot"
                .into(),
        });
    }
    raw.source = Source {
        kind: InputKind::Directory,
        path: shown,
        os: None,
    };
    Ok(raw)
}

/// Sorts a directory into its [`Shape`]; a directory of none is an error.
fn classify(root: &Path) -> Result<Shape> {
    let is_file =
        |n: &str| std::fs::symlink_metadata(root.join(n)).is_ok_and(|m| m.file_type().is_file());
    let is_dir =
        |n: &str| std::fs::symlink_metadata(root.join(n)).is_ok_and(|m| m.file_type().is_dir());
    if is_file(MANIFEST_NAME) || is_dir("proc") || is_dir("sysctl") {
        return Ok(Shape::Extracted);
    }
    if is_file("kern.proc2") {
        return Ok(Shape::NetbsdSysctl);
    }
    if !process_dirs(root, 1).is_empty() {
        return Ok(Shape::ProcTree);
    }
    if is_file("stat") || is_file("status") || is_file("psinfo") {
        // `/proc/self` and `/proc/<pid>/` name the same directory as `/proc/<pid>`.
        let real = std::fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
        let name = real
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = real.parent().map(Path::to_path_buf).unwrap_or_default();
        let pid = match name.parse::<i32>() {
            Ok(pid) if name.bytes().all(|b| b.is_ascii_digit()) => pid,
            _ => pid_from_stat(&real).ok_or_else(|| Error::Unrecognized {
                path: root.into(),
                reason: "a process directory whose name is not its pid and whose stat gives none"
                    .into(),
            })?,
        };
        return Ok(Shape::Process { parent, name, pid });
    }
    Err(Error::Unrecognized {
        path: root.into(),
        reason: "not a /proc tree or snapshot: no numbered process directories, no stat or psinfo \
                 of one process, and no manifest.json"
            .into(),
    })
}

/// Up to `most` numbered directories at the top of `dir` (process directories), sorted.
fn process_dirs(dir: &Path, most: usize) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_digit())
            && e.file_type().is_ok_and(|t| t.is_dir())
        {
            out.push(name);
            if out.len() >= most {
                break;
            }
        }
    }
    out.sort();
    out
}

/// The pid at the start of a Linux `stat` (at most its first 64 bytes are read).
fn pid_from_stat(dir: &Path) -> Option<i32> {
    let p = dir.join("stat");
    if !std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_file()) {
        return None;
    }
    let mut head = [0u8; 64];
    let n = std::io::Read::read(&mut std::fs::File::open(p).ok()?, &mut head).ok()?;
    let text = std::str::from_utf8(head.get(..n)?).ok()?;
    text.split(' ').next()?.parse().ok()
}

/// The plan to read `proc_root` with: the one an extracted snapshot's manifest names, else Solaris when
/// its process directories hold `psinfo`, else Linux. NetBSD dumps have no `proc/` to read.
fn plan_of(root: &Path, proc_root: &Path, shape: &Shape) -> Result<PlanKind> {
    if *shape == Shape::Extracted
        && let Ok(bytes) = std::fs::read(root.join(MANIFEST_NAME))
        && let Ok(m) = manifest::parse_light(&bytes)
    {
        match m.capture.plan.as_deref() {
            Some("solaris") => return Ok(PlanKind::Solaris),
            Some("linux") => return Ok(PlanKind::Linux),
            _ => {}
        }
    }
    let dirs: Vec<PathBuf> = match shape {
        Shape::Process { name, .. } => vec![proc_root.join(name)],
        _ => process_dirs(proc_root, 16)
            .into_iter()
            .map(|d| proc_root.join(d))
            .collect(),
    };
    let solaris = dirs.iter().any(|d| {
        std::fs::symlink_metadata(d.join("psinfo")).is_ok_and(|m| m.file_type().is_file())
    });
    Ok(if solaris {
        PlanKind::Solaris
    } else {
        PlanKind::Linux
    })
}

/// True when some process has its identifying record (`stat`, `status` or `psinfo`), or a NetBSD dump
/// its process table.
fn has_process_records(raw: &RawSnapshot) -> bool {
    raw.file("sysctl/kern.proc2").is_some()
        || raw.children("proc").into_iter().any(|pid| {
            ["stat", "status", "psinfo"]
                .iter()
                .any(|f| raw.file(&format!("proc/{pid}/{f}")).is_some())
        })
}

/// Reads the regular file `path` as member `member`, when it exists and is at most `bound` bytes (a
/// larger total is an error); a link or anything but a regular file is skipped with a warning.
fn add_file(
    raw: &mut RawSnapshot,
    path: &Path,
    member: &str,
    bound: u64,
    total: &mut u64,
) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_file() {
        raw.warnings.push(Warning::member(
            member,
            "not a regular file (a link, FIFO, socket or device): not opened",
        ));
        return Ok(());
    }
    *total = total.saturating_add(meta.len());
    if *total > bound {
        return Err(Error::Usage(format!(
            "{}: more than {bound} bytes of files: not a /proc tree or snapshot?",
            path.display()
        )));
    }
    match std::fs::read(path) {
        Ok(bytes) => {
            raw.put_file(member, &bytes);
        }
        Err(e) => raw.put(
            member,
            Member::Failed(
                e.raw_os_error()
                    .map(|n| sys::errno_name(rustix::io::Errno::from_raw_os_error(n)).into_owned())
                    .unwrap_or_else(|| e.to_string()),
            ),
        ),
    }
    Ok(())
}

/// Adds every regular file under `dir` as `<prefix>/<relative path>` (NetBSD sysctl answers).
fn walk(
    raw: &mut RawSnapshot,
    dir: &Path,
    prefix: &str,
    depth: u32,
    bound: u64,
    total: &mut u64,
) -> Result<()> {
    if depth > MAX_DEPTH {
        raw.warnings.push(Warning::member(
            prefix,
            format!("directory nesting deeper than {MAX_DEPTH} levels: not read"),
        ));
        return Ok(());
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            let err = e
                .raw_os_error()
                .map(|n| sys::errno_name(rustix::io::Errno::from_raw_os_error(n)).into_owned())
                .unwrap_or_else(|| e.to_string());
            raw.put(prefix, Member::Failed(err));
            return Ok(());
        }
    };
    let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
    names.sort();
    for name in names {
        let member = format!("{prefix}/{}", name.to_string_lossy());
        let path = dir.join(&name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_dir() => {
                walk(raw, &path, &member, depth + 1, bound, total)?;
            }
            Ok(_) => add_file(raw, &path, &member, bound, total)?,
            Err(_) => {}
        }
    }
    Ok(())
}

/// The test corpus's `SYMLINKS.txt` (`name -> target` lines, for links that could not be stored as
/// links): in the tree's top (names relative to it) and in each process directory. A listed link
/// replaces an absent or failed member, never a real one; the `fdinfo/<n>` of a listed `fd/<n>` is read
/// too (the plan could not list a missing `fd/`).
fn symlinks_txt(raw: &mut RawSnapshot, proc_root: &Path, only: &Option<(i32, String)>, bound: u64) {
    let mut lists: Vec<(PathBuf, String)> = Vec::new();
    match only {
        Some((pid, name)) => lists.push((proc_root.join(name), format!("proc/{pid}"))),
        None => {
            lists.push((proc_root.to_path_buf(), "proc".into()));
            for pid in raw.children("proc") {
                if pid.bytes().all(|b| b.is_ascii_digit()) {
                    lists.push((proc_root.join(pid), format!("proc/{pid}")));
                }
            }
        }
    }
    for (dir, prefix) in lists {
        let file = dir.join("SYMLINKS.txt");
        let Ok(meta) = std::fs::symlink_metadata(&file) else {
            continue;
        };
        if !meta.file_type().is_file() || meta.len() > bound {
            continue;
        }
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let mut fd_dirs = BTreeSet::new();
        for (name, target) in parse_symlinks_txt(&bytes) {
            let member = format!("{prefix}/{name}");
            if matches!(
                raw.member(&member),
                Some(Member::File { .. } | Member::Symlink(_))
            ) {
                continue;
            }
            raw.put(member.clone(), Member::Symlink(target));
            // `fd/3` (or `1/fd/3` from the top): read the `fdinfo/3` beside it.
            if let Some((base, fd)) = member.rsplit_once("/fd/")
                && fd.bytes().all(|b| b.is_ascii_digit())
            {
                fd_dirs.insert(format!("{base}/fd"));
                let rel = format!("{base}/fdinfo/{fd}");
                let Some(rel_path) = rel.strip_prefix("proc/") else {
                    continue;
                };
                let path = proc_root.join(rel_path);
                if raw.file(&rel).is_none()
                    && std::fs::symlink_metadata(&path)
                        .is_ok_and(|m| m.file_type().is_file() && m.len() <= bound)
                    && let Ok(b) = std::fs::read(&path)
                {
                    raw.put_file(rel, &b);
                }
            }
        }
        // The listing of `fd/` failed (the copy has no such directory): the links replace it.
        for d in fd_dirs {
            if matches!(raw.member(&d), Some(Member::Failed(_))) {
                raw.remove(&d);
            }
        }
    }
}

/// Parses `name -> target` lines; names with a `..` component are refused.
fn parse_symlinks_txt(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|l| {
            let (name, target) = l.split_once(" -> ")?;
            let name = name.trim().trim_start_matches("./");
            (!name.is_empty() && !name.starts_with('/') && !name.split('/').any(|c| c == ".."))
                .then(|| (name.to_string(), target.as_bytes().to_vec()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_txt_lines() {
        let l = parse_symlinks_txt(
            b"exe -> /usr/bin/vim\nfd/0 -> ../x\nbad line\n../evil -> /\n/abs -> /\n",
        );
        assert_eq!(
            l,
            vec![
                ("exe".to_string(), b"/usr/bin/vim".to_vec()),
                ("fd/0".to_string(), b"../x".to_vec())
            ]
        );
    }
}
