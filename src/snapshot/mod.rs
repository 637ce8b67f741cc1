//! Snapshots as raw members: the bytes exactly as the kernel gave them, addressed by archive path.
//!
//! # Archive format (version 1)
//!
//! A plain tar (POSIX ustar with GNU long names), so `tar tf` lists it:
//! * `proc/<pid>/<file>`, `proc/<pid>/task/<tid>/<file>`, `proc/loadavg`, `etc/passwd`, ... — each record
//!   exactly as read, until EOF;
//! * `proc/<pid>/exe`, `cwd`, `root`, `fd/<n>`, `ns/<type>` — symbolic-link entries holding what
//!   readlink returned;
//! * `proc/<pid>/net/{tcp,tcp6,udp,udp6,unix}` — each network namespace's socket tables, once per
//!   namespace, under the first process captured in it; a process's `ns/net` link says which namespace is
//!   its own, so its tables are those of any process with the same link;
//! * captured on Solaris or illumos (`capture.plan` `solaris` in the manifest): the binary
//!   `proc/<pid>/{psinfo,status,...}`, `proc/<pid>/lwp/<lwpid>/*`, `proc/<pid>/fdinfo/<n>` files and the
//!   `proc/<pid>/path/<name>` links instead — see [`crate::capture::solaris`];
//! * `events/cn_proc.bin` — the process events recorded during the capture, as received (see
//!   [`event_records`], [`crate::formats::linux::cn_proc`] and [`manifest::ManifestEvents`]); archives
//!   of earlier versions also hold `events/events.jsonl`, a decoded copy, which is ignored;
//! * captured on NetBSD (`capture.plan` `netbsd`): `sysctl/...` members, each the bytes one sysctl(3)
//!   returned, and no `proc/` — see [`crate::capture::netbsd`];
//! * `manifest.json` — see [`manifest::Manifest`]; it also lists the members whose read failed,
//!   with the error, which have no tar entry;
//! * `member-index.txt`, last (archives written before it have none, and read the same) — where every
//!   member is and which could not be read, so that a read goes straight to the members it needs; see
//!   [`index`] for its format and how far it is trusted.
//!
//! [`RawSnapshot`] is that set of members, however it was obtained: a tar mapped in place, a compressed
//! tar inflated into memory ([`reader`]), or a capture held in memory — of the live host, or of a
//! directory input, which `crate::input` reads through the capture's plans. What could not be read is a
//! [`Member::Failed`] with its error name in every case (from the manifest, for an archive). Decoders and
//! the analysis layer only ever see `&[u8]` slices handed out by it.

pub mod digests;
pub mod event_records;
pub mod index;
pub mod manifest;
pub mod reader;
pub mod tar;
pub mod totals;

use std::collections::BTreeMap;

use crate::model::{Source, Warning};
pub use manifest::Manifest;

/// Which members a read of a live host or of a directory fetches: every member a capture would hold,
/// or only those a report needs (a live `ps` reads `stat`, `status` and `cmdline` of each process, as
/// `ps` itself does). An archive holds everything: its index then holds only the selected members (the
/// others are counted, [`RawSnapshot::unindexed`]), so the analysis never decodes them.
///
/// Always read: the system files (`proc/{loadavg,uptime,meminfo,stat}`, boot id, `etc/{passwd,group,
/// os-release}`) and each process's `stat`, `status` and `cmdline` (Solaris: its `psinfo`, `status`,
/// `usage`, `cred`, `priv`, `sigact`, `auxv`, `secflags`, map files and `path/` links).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// `environ`.
    pub environ: bool,
    /// Threads: `task/<tid>/*` (Solaris `lwp/<lwpid>/*`).
    pub threads: bool,
    /// Open files: `fd/*`, `fdinfo/*` and the socket tables `net/*` (Solaris `fdinfo/*`).
    pub fds: bool,
    /// `maps`.
    pub maps: bool,
    /// `limits`.
    pub limits: bool,
    /// The rest of a process: the `exe`, `cwd` and `root` links, `ns/*`, `cgroup`, `io` and
    /// `smaps_rollup`.
    pub extras: bool,
    /// Only these processes (by pid); `None` for all.
    pub pids: Option<Vec<i32>>,
}

impl Selection {
    /// Every member, of every process: what a capture archives.
    pub const ALL: Selection = Selection {
        environ: true,
        threads: true,
        fds: true,
        maps: true,
        limits: true,
        extras: true,
        pids: None,
    };

    /// True when `pid` is one of the processes to read.
    pub fn wants_pid(&self, pid: i32) -> bool {
        self.pids.as_ref().is_none_or(|p| p.contains(&pid))
    }
}

impl Default for Selection {
    fn default() -> Self {
        Selection::ALL
    }
}

/// The bytes behind a snapshot's members.
#[derive(Debug)]
pub enum Backing {
    /// A file mapped read-only (uncompressed archives).
    Mapped(memmap2::Mmap),
    /// Bytes held in memory (decompressed archives, directories, live captures).
    Owned(Vec<u8>),
    /// An archive read through its member index: the file mapped, and the small members the read
    /// selected copied out of the file with read(2) (`read`), never through the map, so that the map's
    /// pages they lie in stay untouched (and out of the resident set: touching one page of a map makes
    /// the kernel map its neighbours too). Offsets from the map's length on are into `read`.
    Split {
        /// The whole file, mapped read-only.
        map: memmap2::Mmap,
        /// The members copied out of it.
        read: Vec<u8>,
    },
}

impl Backing {
    /// The mapped file, or the bytes held.
    pub(crate) fn base(&self) -> &[u8] {
        match self {
            Backing::Mapped(m) | Backing::Split { map: m, .. } => m,
            Backing::Owned(v) => v,
        }
    }

    /// Total length: of the base, and of what was read after it.
    fn len(&self) -> usize {
        match self {
            Backing::Split { map, read } => map.len().saturating_add(read.len()),
            other => other.base().len(),
        }
    }

    /// The bytes at `offset..offset + len` (see [`Backing::Split`] for the offsets past the map).
    fn get(&self, offset: usize, len: usize) -> Option<&[u8]> {
        let end = offset.checked_add(len)?;
        match self {
            Backing::Split { map, read } if offset >= map.len() => {
                read.get(offset - map.len()..end - map.len())
            }
            other => other.base().get(offset..end),
        }
    }
}

/// One member of a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Member {
    /// A regular file: a range of the backing bytes.
    File {
        /// Offset of the first byte in the backing.
        offset: usize,
        /// Length in bytes.
        len: usize,
    },
    /// A symbolic link and its target as readlink returned it.
    Symlink(Vec<u8>),
    /// Reading this member failed, and why: the errno name (`ENOENT`, `EACCES`, `EISDIR`, ... in the
    /// numbering of the system that read it), `timeout`, `skipped` (after a timeout in the same process)
    /// or `not a regular file` (a FIFO, socket or device in a copied tree, never opened). The same for a
    /// live read, a directory and an archive (whose manifest records it).
    Failed(String),
}

/// The members directly in one directory of a [`RawSnapshot`] (see [`RawSnapshot::dir`]), by name.
#[derive(Debug)]
pub struct Dir<'a> {
    raw: &'a RawSnapshot,
    /// (name within the directory, member), in name order.
    entries: Vec<(&'a str, &'a Member)>,
}

impl<'a> Dir<'a> {
    /// The member called `name` in this directory, whatever its kind.
    pub fn member(&self, name: &str) -> Option<&'a Member> {
        self.entries
            .binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .map(|i| self.entries[i].1)
    }

    /// The contents of the regular file `name` (as [`RawSnapshot::file`]).
    pub fn file(&self, name: &str) -> Option<&'a [u8]> {
        match self.member(name)? {
            Member::File { offset, len } => self.raw.backing.get(*offset, *len),
            _ => None,
        }
    }

    /// The target of the symbolic link `name` (as [`RawSnapshot::link`]).
    pub fn link(&self, name: &str) -> Option<&'a [u8]> {
        match self.member(name)? {
            Member::Symlink(t) => Some(t),
            _ => None,
        }
    }

    /// The members, as (name, member), in name order (not those of its subdirectories).
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, &'a Member)> + '_ {
        self.entries.iter().copied()
    }
}

/// A set of raw members, addressed by archive path (`proc/1234/stat`), with the manifest when there is one.
#[derive(Debug)]
pub struct RawSnapshot {
    backing: Backing,
    members: BTreeMap<String, Member>,
    /// The archive's manifest; `None` for directories and archives that lack one. Read from an archive,
    /// its member list holds only the members whose read failed (see [`manifest::parse_light`]), and
    /// is empty when the archive has a member index (which lists them; see [`index`]);
    /// [`RawSnapshot::full_manifest`] has them all.
    pub manifest: Option<Manifest>,
    /// Problems met while reading the container (truncated tar, hash mismatch, missing manifest, ...).
    pub warnings: Vec<Warning>,
    /// Damaged tar headers the reader skipped (each is also a warning); `verify` reports them.
    pub damage: Vec<tar::Damage>,
    /// Where it came from.
    pub source: Source,
    /// How many stored members (files and links, of distinct names) the archive holds that were left
    /// out of [`RawSnapshot::members`] because the read's [`Selection`] did not ask for them.
    pub unindexed: usize,
    /// Read with [`reader::OpenOptions::walk`]: whether the archive's member index agrees with its tar
    /// headers (`Ok(true)`), is absent (`Ok(false)`: written before there was one), or not (`Err`: why).
    /// `None` otherwise.
    pub index_check: Option<std::result::Result<bool, String>>,
    /// Read through an archive's member index with [`reader::OpenOptions::counts`]: what the index says
    /// of each process's threads and open files (by pid), none of which were read. `None` otherwise.
    pub listed: Option<BTreeMap<i32, Listed>>,
}

/// What an archive's member index lists under one process's `task/` and `fd/`, counted as the analysis
/// counts what it decodes there (see [`reader::OpenOptions::counts`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Listed {
    /// Some member (stored or failed) is under `task/`: the threads were listed at capture.
    pub task_dir: bool,
    /// Threads (numeric names under `task/`) with a stored `stat`, `status` or `comm`: a thread the
    /// analysis builds (a stored member of those decodes: the kernel wrote it).
    pub threads: usize,
    /// Some `fd/<name>` is a symbolic link: the descriptors were listed at capture.
    pub fd_links: bool,
    /// The `fd/<n>` links with a numeric name: the open files the analysis builds.
    pub fds: usize,
    /// Some member is under `net/`: the process holds its network namespace's socket tables.
    pub net_tables: bool,
    /// The thread last counted in `threads` (records are sorted: a thread's members are together).
    last_tid: Option<i32>,
}

impl Listed {
    /// Counts the index record of the member `proc/<pid>/<rest>`.
    pub(crate) fn count(&mut self, rest: &str, record: &index::Record<'_>) {
        use index::Record;
        if let Some(t) = rest.strip_prefix("task/") {
            self.task_dir = true;
            if let (Some((tid, name)), Record::File { .. }) = (t.split_once('/'), record)
                && matches!(name, "stat" | "status" | "comm")
                && let Ok(tid) = tid.parse::<i32>()
                && self.last_tid != Some(tid)
            {
                self.last_tid = Some(tid);
                self.threads += 1;
            }
        } else if let Some(n) = rest.strip_prefix("fd/") {
            if matches!(record, Record::Link { .. }) && !n.contains('/') {
                self.fd_links = true;
                if n.parse::<i32>().is_ok() {
                    self.fds += 1;
                }
            }
        } else if rest.starts_with("net/") {
            self.net_tables = true;
        }
    }
}

impl RawSnapshot {
    /// Assembles a snapshot from its parts. `members` ranges must lie inside `backing`; ranges that do not
    /// are dropped with a warning, so lookups never go out of bounds.
    pub fn new(
        backing: Backing,
        members: BTreeMap<String, Member>,
        manifest: Option<Manifest>,
        mut warnings: Vec<Warning>,
        source: Source,
    ) -> Self {
        let total = backing.len();
        let mut members = members;
        members.retain(|path, m| match m {
            Member::File { offset, len } => {
                let ok = offset.checked_add(*len).is_some_and(|end| end <= total);
                if !ok {
                    warnings.push(Warning::at(
                        path.clone(),
                        *offset as u64,
                        format!(
                            "member of {len} bytes runs past the end of the input ({total} bytes)"
                        ),
                    ));
                }
                ok
            }
            _ => true,
        });
        RawSnapshot {
            backing,
            members,
            manifest,
            warnings,
            damage: Vec::new(),
            source,
            unindexed: 0,
            index_check: None,
            listed: None,
        }
    }

    /// The manifest with every member's size and SHA-256: parsed again from the `manifest.json` member
    /// when there is one, else the manifest held (a capture in memory holds it whole).
    pub fn full_manifest(&self) -> Option<Manifest> {
        match self.file(manifest::MANIFEST_NAME) {
            Some(bytes) => serde_json::from_slice(bytes).ok(),
            None => self.manifest.clone(),
        }
    }

    /// The contents of a regular-file member.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        match self.members.get(path)? {
            Member::File { offset, len } => self.backing.get(*offset, *len),
            _ => None,
        }
    }

    /// The target of a symbolic-link member.
    pub fn link(&self, path: &str) -> Option<&[u8]> {
        match self.members.get(path)? {
            Member::Symlink(t) => Some(t),
            _ => None,
        }
    }

    /// The member at `path`, whatever its kind.
    pub fn member(&self, path: &str) -> Option<&Member> {
        self.members.get(path)
    }

    /// Why reading `path` failed at capture time, if it did.
    pub fn failure(&self, path: &str) -> Option<&str> {
        match self.members.get(path)? {
            Member::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// The members directly in directory `dir` (`proc/1234`: `stat`, `status`, `exe`, ... but not
    /// `task/*`), found with one walk of the member map and a seek past each subdirectory, for code that
    /// looks up many of one directory's members: each lookup is then a search among a few names instead
    /// of a path built and searched in the whole map.
    pub fn dir(&self, dir: &str) -> Dir<'_> {
        use std::ops::Bound;
        let prefix = format!("{dir}/");
        let mut entries: Vec<(&str, &Member)> = Vec::new();
        let mut from = prefix.clone();
        'walk: loop {
            for (path, m) in self
                .members
                .range::<str, _>((Bound::Included(from.as_str()), Bound::Unbounded))
            {
                let Some(rest) = path.strip_prefix(&prefix) else {
                    break 'walk;
                };
                match rest.split_once('/') {
                    None => entries.push((rest, m)),
                    Some((sub, _)) => {
                        // Every member of `sub/` sorts before `sub0` ('0' follows '/'): go on from there.
                        from = format!("{prefix}{sub}0");
                        continue 'walk;
                    }
                }
            }
            break;
        }
        Dir { raw: self, entries }
    }

    /// Names of the immediate children of directory `dir` (`"proc"` → pids and system files), sorted,
    /// without duplicates. Pass `""` for the top level.
    pub fn children(&self, dir: &str) -> Vec<&str> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut out: Vec<&str> = Vec::new();
        let mut from = prefix.clone();
        'walk: loop {
            for (path, _) in self.members.range::<str, _>((
                std::ops::Bound::Included(from.as_str()),
                std::ops::Bound::Unbounded,
            )) {
                let Some(rest) = path.strip_prefix(&prefix) else {
                    break 'walk;
                };
                let (name, below) = match rest.split_once('/') {
                    Some((name, _)) => (name, true),
                    None => (rest, false),
                };
                if !name.is_empty() && out.last() != Some(&name) {
                    out.push(name);
                }
                if below {
                    // Every member below `name/` sorts before `name0` ('0' follows '/'): a subdirectory
                    // is passed over with one search, not walked (a process's hundreds of members).
                    from = format!("{prefix}{name}0");
                    continue 'walk;
                }
            }
            break;
        }
        out
    }

    /// Whether the members under directory `dir` (`proc/1234`: every path below it) are the same in
    /// `self` and `other`: the same names, each of the same kind with the same bytes, link target or
    /// failure.
    pub fn same_members(&self, other: &RawSnapshot, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        fn below<'s>(
            s: &'s RawSnapshot,
            prefix: &'s str,
        ) -> impl Iterator<Item = (&'s String, &'s Member)> + 's {
            s.members
                .range::<str, _>((
                    std::ops::Bound::Included(prefix),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(move |(path, _)| path.starts_with(prefix))
        }
        let mut a = below(self, &prefix);
        let mut b = below(other, &prefix);
        loop {
            match (a.next(), b.next()) {
                (None, None) => return true,
                (Some((pa, ma)), Some((pb, mb))) if pa == pb => {
                    let same = match (ma, mb) {
                        (
                            Member::File {
                                offset: oa,
                                len: la,
                            },
                            Member::File {
                                offset: ob,
                                len: lb,
                            },
                        ) => {
                            la == lb
                                && match (self.backing.get(*oa, *la), other.backing.get(*ob, *lb)) {
                                    (Some(x), Some(y)) => x == y,
                                    _ => false,
                                }
                        }
                        (Member::File { .. }, _) | (_, Member::File { .. }) => false,
                        (x, y) => x == y,
                    };
                    if !same {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }

    /// Adds or replaces a regular-file member (a directory read completing a snapshot). Its bytes are
    /// appended to the backing, which must be held in memory: `false` (nothing added) for a mapped one.
    pub(crate) fn put_file(&mut self, path: impl Into<String>, bytes: &[u8]) -> bool {
        let Backing::Owned(data) = &mut self.backing else {
            return false;
        };
        let offset = data.len();
        data.extend_from_slice(bytes);
        self.members.insert(
            path.into(),
            Member::File {
                offset,
                len: bytes.len(),
            },
        );
        true
    }

    /// Adds or replaces a symbolic-link or failed member.
    pub(crate) fn put(&mut self, path: impl Into<String>, member: Member) {
        if !matches!(member, Member::File { .. }) {
            self.members.insert(path.into(), member);
        }
    }

    /// Removes a member.
    pub(crate) fn remove(&mut self, path: &str) {
        self.members.remove(path);
    }

    /// The members, to complete them (failed reads a manifest explains).
    pub(crate) fn members_mut(&mut self) -> &mut BTreeMap<String, Member> {
        &mut self.members
    }

    /// The members whose path starts with `prefix`, in path order.
    pub fn members_under<'s>(
        &'s self,
        prefix: &'s str,
    ) -> impl Iterator<Item = (&'s str, &'s Member)> {
        self.members
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(path, _)| path.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// All member paths with their members, in path order.
    pub fn members(&self) -> impl Iterator<Item = (&str, &Member)> {
        self.members.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

/// Builds an in-memory [`RawSnapshot`] member by member (directories, live captures, tests).
#[derive(Debug, Default)]
pub struct MemoryBuilder {
    data: Vec<u8>,
    members: BTreeMap<String, Member>,
}

impl MemoryBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a regular file; a later member with the same path replaces the earlier one.
    pub fn file(&mut self, path: impl Into<String>, bytes: &[u8]) {
        let offset = self.data.len();
        self.data.extend_from_slice(bytes);
        self.members.insert(
            path.into(),
            Member::File {
                offset,
                len: bytes.len(),
            },
        );
    }

    /// Adds a symbolic link.
    pub fn symlink(&mut self, path: impl Into<String>, target: &[u8]) {
        self.members
            .insert(path.into(), Member::Symlink(target.to_vec()));
    }

    /// Records a member whose read failed.
    pub fn failed(&mut self, path: impl Into<String>, error: impl Into<String>) {
        self.members
            .insert(path.into(), Member::Failed(error.into()));
    }

    /// Finishes the snapshot.
    pub fn build(
        self,
        manifest: Option<Manifest>,
        warnings: Vec<Warning>,
        source: Source,
    ) -> RawSnapshot {
        RawSnapshot::new(
            Backing::Owned(self.data),
            self.members,
            manifest,
            warnings,
            source,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_lists_immediate_names_once() {
        let mut b = MemoryBuilder::new();
        b.file("proc/1/stat", b"1 (init) S");
        b.file("proc/1/task/1/stat", b"x");
        b.symlink("proc/1/exe", b"/sbin/init");
        b.file("proc/12/stat", b"y");
        b.file("proc/loadavg", b"0.00");
        b.file("procfoo/x", b"z");
        let s = b.build(None, vec![], Source::default());
        assert_eq!(s.children("proc"), vec!["1", "12", "loadavg"]);
        assert_eq!(s.children("proc/1"), vec!["exe", "stat", "task"]);
        assert_eq!(s.children(""), vec!["proc", "procfoo"]);
        assert_eq!(s.file("proc/1/stat"), Some(&b"1 (init) S"[..]));
        assert_eq!(s.link("proc/1/exe"), Some(&b"/sbin/init"[..]));
        assert_eq!(s.file("proc/1/exe"), None);
    }

    /// A directory's own members, every kind, and none of a subdirectory's, of a sibling whose name
    /// extends it (`proc/12` beside `proc/1`), or of names that sort around a subdirectory's members
    /// (`task-x` and `task.` before `task/...`, `tasks` after).
    #[test]
    fn dir_holds_the_members_directly_in_it() {
        let mut b = MemoryBuilder::new();
        b.file("proc/1/stat", b"1 (init) S");
        b.file("proc/1/task/1/stat", b"x");
        b.file("proc/1/task/1/status", b"x");
        b.file("proc/1/task-x", b"dash");
        b.file("proc/1/task.", b"dot");
        b.file("proc/1/tasks", b"s");
        b.symlink("proc/1/exe", b"/sbin/init");
        b.symlink("proc/1/fd/0", b"/dev/null");
        b.failed("proc/1/environ", "EACCES");
        b.file("proc/1/zz", b"last");
        b.file("proc/12/stat", b"y");
        let s = b.build(None, vec![], Source::default());
        let d = s.dir("proc/1");
        let names: Vec<&str> = d.entries.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            vec!["environ", "exe", "stat", "task-x", "task.", "tasks", "zz"]
        );
        assert_eq!(d.file("stat"), Some(&b"1 (init) S"[..]));
        assert_eq!(d.file("zz"), Some(&b"last"[..]));
        assert_eq!(d.link("exe"), Some(&b"/sbin/init"[..]));
        assert_eq!(d.file("exe"), None);
        assert_eq!(d.link("stat"), None);
        assert!(matches!(d.member("environ"), Some(Member::Failed(e)) if e == "EACCES"));
        assert_eq!(d.file("task"), None);
        assert_eq!(d.member("0"), None);
        assert!(s.dir("proc/2").entries.is_empty());
        assert_eq!(s.dir("proc/12").file("stat"), Some(&b"y"[..]));
    }

    #[test]
    fn out_of_range_members_are_dropped_with_a_warning() {
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), Member::File { offset: 2, len: 5 });
        m.insert(
            "b".to_string(),
            Member::File {
                offset: usize::MAX,
                len: 5,
            },
        );
        let s = RawSnapshot::new(
            Backing::Owned(vec![0; 4]),
            m,
            None,
            vec![],
            Source::default(),
        );
        assert!(s.is_empty());
        assert_eq!(s.warnings.len(), 2);
    }
}
