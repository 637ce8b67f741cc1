//! Opening a snapshot archive as a [`RawSnapshot`]: a tar read in place, or a compressed tar inflated
//! into memory (with a bound); sniffing what an input is; and [`verify`].
//!
//! Inputs are sniffed by content, never by name. Directories and cores are opened by `crate::input`,
//! which reads a directory through the capture's own plan.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::manifest::{MANIFEST_NAME, Manifest, MemberKind};
use super::{Backing, Member, RawSnapshot};
use crate::error::{Error, Result};
use crate::model::{InputKind, Source, Warning};

/// How to read inputs: bounds, and which members a directory read fetches.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// Largest decompressed size of a `.tar.gz`/`.tar.zst` (default 4 GiB).
    pub max_decompressed: u64,
    /// Largest total of file bytes read from a directory input (default 1 GiB), and of any one file of
    /// a copied tree.
    pub max_dir_bytes: u64,
    /// The members and processes a live procfs read fetches and an archive's index holds (default: all;
    /// a copied directory is read whole). With `pids`, only their records of the member index are parsed
    /// (see [`super::index`]).
    pub select: super::Selection,
    /// Read every tar header, never the member index at the end of the archive (`verify`, which checks
    /// the index against what the headers say).
    pub walk: bool,
    /// Read of each process only its `stat` and `status` (Solaris: `psinfo`), and count its threads and
    /// open files from the archive's member index, without reading them ([`super::RawSnapshot::listed`]):
    /// what `info` shows. Without a usable index (an archive walked), `select` is read as usual. When the
    /// manifest records the totals ([`super::manifest::Totals`]) and `select` names no pids, no process
    /// is read (the index's process records are not parsed).
    pub counts: bool,
    /// Processes (by pid) none of whose stored members an archive read through its member index
    /// reads: they are counted as left out ([`super::RawSnapshot::unindexed`]); their failed reads are
    /// still listed, and the members host-wide records are read from (the socket tables `net/*`, the
    /// `ns/net` and `ns/mnt` links, `mountinfo`) are read as `select` says. Any other read (a walked, compressed or directory input) holds them as usual. For
    /// `diff`, whose processes unchanged since OLD (see [`super::digests`]) are OLD's.
    pub skip: Option<std::collections::BTreeSet<i32>>,
    /// Processes (by pid) whose `maps`, `smaps` and `limits` an archive read through its member index
    /// does not read (counted as left out, as [`OpenOptions::skip`]'s; a failed read is still listed):
    /// records no other process's model and no rule of `check` reads. For `diff`, which holds OLD's
    /// processes unchanged in NEW without them (its walk skips those processes).
    pub skip_private: Option<std::collections::BTreeSet<i32>>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            max_decompressed: 4 << 30,
            max_dir_bytes: 1 << 30,
            select: super::Selection::ALL,
            walk: false,
            counts: false,
            skip: None,
            skip_private: None,
        }
    }
}

/// What an input looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// An uncompressed tar.
    Tar,
    /// A gzip stream (assumed to hold a tar).
    TarGz,
    /// A zstd stream (assumed to hold a tar).
    TarZst,
    /// A directory.
    Directory,
    /// An ELF core file (ET_CORE).
    ElfCore,
}

/// Sniffs `path` by its first bytes; an error describes anything unrecognized.
pub fn sniff(path: &Path) -> Result<InputFormat> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Ok(InputFormat::Directory);
    }
    let mut head = [0u8; 512];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    sniff_bytes(&head[..n]).map_err(|reason| Error::Unrecognized {
        path: path.into(),
        reason,
    })
}

fn sniff_bytes(head: &[u8]) -> std::result::Result<InputFormat, String> {
    if head.is_empty() {
        return Err("empty file: not a snapshot".into());
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(InputFormat::TarGz);
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Ok(InputFormat::TarZst);
    }
    use crate::formats::elfcore::ElfType;
    match crate::formats::elfcore::elf_type(head) {
        ElfType::NotElf => {}
        ElfType::Type(4) => return Ok(InputFormat::ElfCore),
        ElfType::Type(t) => {
            return Err(format!(
                "{}, not a core",
                crate::formats::elfcore::elf_type_name(t)
            ));
        }
        ElfType::Truncated => return Err("a truncated ELF file".into()),
    }
    if head.get(257..262) == Some(b"ustar") {
        return Ok(InputFormat::Tar);
    }
    if head.len() < 512 && head.iter().all(|b| *b == 0) {
        return Err("a file of zero bytes, not a snapshot".into());
    }
    let shown: String = head
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    Err(format!(
        "not a snapshot archive, /proc directory or core (first bytes: {shown})"
    ))
}

/// Opens `path`, a snapshot archive (a tar or compressed tar), as a raw snapshot. Directories and cores
/// are refused here (`crate::input::open` reads every kind of input).
pub fn open_path(path: &Path, opts: &OpenOptions) -> Result<RawSnapshot> {
    let shown = path.display().to_string();
    match sniff(path)? {
        InputFormat::Directory => Err(Error::Unrecognized {
            path: path.into(),
            reason: "a directory, not a snapshot archive: nothing to verify".into(),
        }),
        InputFormat::Tar => {
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            let map = if opts.walk {
                crate::os::map_file(&file)
            } else {
                crate::os::map_file_scattered(&file)
            }
            .map_err(|e| Error::io(path, e))?;
            index_tar(Backing::Mapped(map), &shown, opts, Some(&file))
        }
        InputFormat::TarGz => {
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            let bytes = inflate(flate2::read::MultiGzDecoder::new(file), opts, path)?;
            index_tar(Backing::Owned(bytes), &shown, opts, None)
        }
        InputFormat::TarZst => {
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            let dec = ruzstd::decoding::StreamingDecoder::new(std::io::BufReader::new(file))
                .map_err(|e| Error::Corrupt {
                    member: shown.clone(),
                    offset: 0,
                    reason: format!("bad zstd stream: {e}"),
                })?;
            let bytes = inflate(dec, opts, path)?;
            index_tar(Backing::Owned(bytes), &shown, opts, None)
        }
        InputFormat::ElfCore => Err(Error::Unrecognized {
            path: path.into(),
            reason: "an ELF core file, not a snapshot archive (`procsift core FILE` reads it)"
                .into(),
        }),
    }
}

/// Reads a snapshot held in memory (a tar, `.tar.gz` or `.tar.zst`); `name` names it in messages.
pub fn open_bytes(bytes: Vec<u8>, name: &str, opts: &OpenOptions) -> Result<RawSnapshot> {
    let head = &bytes[..bytes.len().min(512)];
    let unrecognized = |reason: String| Error::Unrecognized {
        path: name.into(),
        reason,
    };
    match sniff_bytes(head).map_err(unrecognized)? {
        InputFormat::Tar => index_tar(Backing::Owned(bytes), name, opts, None),
        InputFormat::TarGz => {
            let out = inflate(
                flate2::read::MultiGzDecoder::new(&bytes[..]),
                opts,
                Path::new(name),
            )?;
            index_tar(Backing::Owned(out), name, opts, None)
        }
        InputFormat::TarZst => {
            let dec = ruzstd::decoding::StreamingDecoder::new(&bytes[..]).map_err(|e| {
                Error::Corrupt {
                    member: name.to_string(),
                    offset: 0,
                    reason: format!("bad zstd stream: {e}"),
                }
            })?;
            let out = inflate(dec, opts, Path::new(name))?;
            index_tar(Backing::Owned(out), name, opts, None)
        }
        other => Err(unrecognized(format!(
            "{other:?} input cannot be read from memory"
        ))),
    }
}

/// Decompresses into memory, refusing to go past `opts.max_decompressed`.
fn inflate(reader: impl Read, opts: &OpenOptions, path: &Path) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut limited = reader.take(opts.max_decompressed.saturating_add(1));
    limited.read_to_end(&mut out).map_err(|e| Error::Corrupt {
        member: path.display().to_string(),
        offset: out.len() as u64,
        reason: format!("decompression failed: {e}"),
    })?;
    if out.len() as u64 > opts.max_decompressed {
        return Err(Error::Corrupt {
            member: path.display().to_string(),
            offset: opts.max_decompressed,
            reason: format!(
                "decompresses to more than the bound of {} bytes",
                opts.max_decompressed
            ),
        });
    }
    Ok(out)
}

/// Normalizes a member path: no leading `./` or `/`.
fn clean(path: &str) -> &str {
    let mut p = path;
    loop {
        if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        } else if let Some(rest) = p.strip_prefix('/') {
            p = rest;
        } else {
            break;
        }
    }
    p.trim_end_matches('/')
}

/// True when the member `proc/<pid>/<rest>` belongs to a process `opts.skip` names and is not one of
/// those host-wide records are read from (its socket tables and `ns/net` link, its `mountinfo` and
/// `ns/mnt` link), which are left to `select` (see [`OpenOptions::skip`]); or is the `maps`, `smaps`
/// or `limits` of a process `opts.skip_private` names.
fn skipped(opts: &OpenOptions, pid: i32, rest: &str) -> bool {
    let named =
        |s: &Option<std::collections::BTreeSet<i32>>| s.as_ref().is_some_and(|s| s.contains(&pid));
    (!host_wide(rest) && named(&opts.skip))
        || (matches!(rest, "maps" | "smaps" | "limits") && named(&opts.skip_private))
}

/// True for the members of a process (`proc/<pid>/<rest>`) that host-wide records are read from: its
/// socket tables and `ns/net` link, its `mountinfo` and `ns/mnt` link.
fn host_wide(rest: &str) -> bool {
    rest.starts_with("net/") || matches!(rest, "ns/net" | "mountinfo" | "ns/mnt")
}

/// True when the member at (cleaned) `path` is one `select` leaves out: a member of a process it does
/// not name, or of a family it does not ask for (a process's threads, open files, maps, limits,
/// environment or extras; see [`super::Selection`]). Everything else (system files, the manifest, the
/// members every report reads) is kept. The socket tables (`net/*`) and the `ns/net` link that says
/// whose they are are kept for every process when open files are asked for: any process's files may
/// be sockets of a namespace captured under another process.
fn left_out(path: &str, select: &super::Selection) -> bool {
    let Some((pid, rest)) = path
        .strip_prefix("proc/")
        .and_then(|r| r.split_once('/'))
        .and_then(|(pid, rest)| Some((pid.parse::<i32>().ok()?, rest)))
    else {
        return false;
    };
    let (first, below) = match rest.split_once('/') {
        Some((first, below)) => (first, Some(below)),
        None => (rest, None),
    };
    let sockets = first == "net" || (first == "ns" && below == Some("net"));
    if sockets && select.fds {
        return false;
    }
    if !select.wants_pid(pid) {
        return true;
    }
    match (first, below) {
        ("task", Some(_)) => !select.threads,
        ("fd" | "fdinfo" | "net", Some(_)) => !select.fds,
        ("maps" | "smaps", None) => !select.maps,
        ("limits", None) => !select.limits,
        ("environ", None) => !select.environ,
        ("ns", Some(_)) | ("exe" | "cwd" | "root" | "cgroup" | "io" | "smaps_rollup", None) => {
            !select.extras
        }
        _ => false,
    }
}

/// Refuses member paths that could name something outside the archive's root if extracted: a `..`
/// component, or nothing left once cleaned. (Members are never extracted: this keeps such a name from
/// standing in for another member in the analysis.)
fn safe_member_path(stored: &str, cleaned: &str) -> std::result::Result<(), String> {
    if stored.split('/').any(|c| c == "..") {
        return Err("member path with a '..' component: ignored".into());
    }
    if cleaned.is_empty() && !stored.is_empty() && stored != "." && stored != "./" {
        return Err("member path names the archive root: ignored".into());
    }
    Ok(())
}

/// True for the paths where procsift archives symbolic links: `proc/<pid>/{exe,cwd,root}` and entries of
/// `fd/`, `ns/` (Linux) and `path/` (Solaris).
fn is_link_place(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or("");
    let parent = parts.next().unwrap_or("");
    matches!(name, "exe" | "cwd" | "root") || matches!(parent, "fd" | "ns" | "path")
}

/// Parses the manifest at `range` of the archive, or says why it cannot be.
fn parse_manifest(
    bytes: &[u8],
    range: Option<(usize, usize)>,
) -> (Option<Manifest>, Option<Warning>) {
    let Some((off, len)) = range else {
        return (None, None);
    };
    match bytes.get(off..off.saturating_add(len)) {
        Some(m) => match super::manifest::parse_light(m) {
            Ok(m) => (Some(m), None),
            Err(e) => (
                None,
                Some(Warning::at(
                    MANIFEST_NAME,
                    e.column() as u64,
                    format!("unreadable manifest (line {}): {e}", e.line()),
                )),
            ),
        },
        None => (
            None,
            Some(Warning::at(
                MANIFEST_NAME,
                off as u64,
                "manifest runs past the end of the archive",
            )),
        ),
    }
}

/// Indexes the members of a tar held in `backing`, in place: those `select` asks for (the others are
/// only counted, see [`RawSnapshot::unindexed`]). Member names that are unsafe or out of place (`..`,
/// absolute, duplicates, hard links, links where procsift stores none) are warnings, whether indexed or
/// not.
fn index_tar(
    backing: Backing,
    shown: &str,
    opts: &OpenOptions,
    file: Option<&std::fs::File>,
) -> Result<RawSnapshot> {
    let bytes: &[u8] = backing.base();
    let mut warnings = Vec::new();
    // A walk checks the index through the map (its pages are read anyway).
    let index = read_index(bytes, opts, file.filter(|_| !opts.walk));
    if opts.walk {
        let mut raw = walk_tar(backing, shown, &opts.select, warnings)?;
        raw.index_check = Some(match index {
            Ok(Some(indexed)) => index_agrees(&indexed, &raw),
            Ok(None) => Ok(false),
            Err(w) => Err(w.message),
        });
        return Ok(raw);
    }
    match index {
        Ok(Some(indexed)) => return Ok(from_index(backing, indexed, shown)),
        Ok(None) => {}
        Err(w) => warnings.push(w),
    }
    // Every header is read, in order: read ahead again.
    #[cfg(unix)]
    if let Backing::Mapped(m) = &backing {
        let _ = m.advise(memmap2::Advice::Normal);
    }
    walk_tar(backing, shown, &opts.select, warnings)
}

/// Whether a valid index lists exactly the members the walk found (same names, same places, same
/// failures): `Ok(true)`, or `Err` naming the first difference.
fn index_agrees(indexed: &Indexed, walked: &RawSnapshot) -> std::result::Result<bool, String> {
    let mut a = indexed.members.iter().map(|(p, m)| (p.as_str(), m));
    let mut b = walked.members();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ok(true),
            (Some((p, m)), Some((q, n))) if p == q && m == n => {}
            (Some((p, _)), _) | (None, Some((p, _))) => {
                return Err(format!(
                    "member index disagrees with the tar headers at {p}"
                ));
            }
        }
    }
}

/// What a valid member index gives: the members a read selects (checked at their headers), the
/// failed ones, how many stored members were left out, where the manifest is, and the bytes of the
/// members read out of the file (see [`Backing::Split`]).
struct Indexed {
    members: BTreeMap<String, Member>,
    unindexed: usize,
    manifest: Option<(usize, usize)>,
    read: Vec<u8>,
    listed: Option<BTreeMap<i32, super::Listed>>,
}

/// Members up to this size are read out of the file with read(2) when the archive is a file (see
/// [`Backing::Split`]); bigger ones (the manifest, cores) are read through the map, where touching
/// their neighbours' pages costs little beside them.
const READ_OUT: usize = 64 << 10;
/// Selected members less than this apart are read with one read(2), up to [`READ_GROUP`] bytes.
const READ_GAP: usize = 1024;
/// Largest single read(2) of a group of selected members.
const READ_GROUP: usize = 1 << 20;

/// Reads the member index at the end of the archive (see [`super::index`]): `Ok(None)` when there is
/// none, `Err` with a warning when there is one that cannot be believed (the archive is then walked).
/// With `file` (the archive's file, which `bytes` map), the small members a read selects are read out
/// of it rather than through the map. With `opts.counts`, each process's threads and open files are
/// counted from the records ([`super::Listed`]) and only its `stat` and `status` are selected.
fn read_index(
    bytes: &[u8],
    opts: &OpenOptions,
    file: Option<&std::fs::File>,
) -> std::result::Result<Option<Indexed>, Warning> {
    use super::index::{self, INDEX_NAME};
    let select = &opts.select;
    let distrust = |offset: usize, why: String| {
        Warning::at(
            INDEX_NAME,
            offset as u64,
            format!("member index not used ({why}): every tar header is read instead"),
        )
    };
    let at = match index::locate(bytes) {
        Ok(Some(at)) => at,
        Ok(None) => return Ok(None),
        Err(why) => return Err(distrust(0, why)),
    };
    let mut state = Visitor::default();
    let span = index::records(bytes, &at).map_err(|(off, why)| distrust(off, why))?;
    let pids = match &select.pids {
        Some(p) => Some(Cow::Borrowed(p.as_slice())),
        // `info` of an archive whose manifest counts its processes reads none of them.
        None if opts.counts && has_totals(bytes, &at, span) => Some(Cow::Owned(Vec::new())),
        None => None,
    };
    let ranges = match (&pids, &opts.skip) {
        (Some(pids), _) => Some(ranges(bytes, span, pids, select.fds || opts.counts)),
        // `diff`'s NEW: the processes unchanged since OLD cut out (most of them, often).
        (None, Some(skip)) if !opts.counts && !skip.is_empty() => {
            Some(ranges_without(bytes, span, skip))
        }
        (None, _) => None,
    };
    let reading = Reading {
        bytes,
        at: &at,
        opts,
        out_of_file: file.is_some(),
    };
    match ranges {
        None => {
            state = parse_whole(&reading, span).map_err(|(off, why)| distrust(off, why))?;
        }
        Some(ranges) => {
            let ranges = ranges.map_err(|(off, why)| distrust(off.saturating_sub(at.data), why))?;
            index::parse_ranges(bytes, &at, &ranges, |r| state.visit(&reading, r))
                .map_err(|(off, why)| distrust(off, why))?;
            // The records not read are stored members left out, as a whole parse counts them (every
            // failed record was read): as many as the `end` line says there are, less those read,
            // when the lines agree with it.
            let lines = index::line_count(bytes, span);
            if lines != at.count {
                return Err(distrust(
                    at.end - at.data,
                    format!("holds {lines} records, its `end` line says {}", at.count),
                ));
            }
            state.unindexed += at.count - state.visited.min(at.count);
        }
    }
    let Visitor {
        mut members,
        mut pending,
        unindexed,
        listed,
        ..
    } = state;
    let no_header = |r: &index::IndexEntry<'_>| {
        let (off, why) = no_header(r);
        distrust(off, why)
    };
    let read = match file {
        Some(f) => read_out(f, bytes, &mut pending, &mut members, no_header)?,
        None => Vec::new(),
    };
    let manifest = members.iter().find_map(|(p, m)| match m {
        Member::File { offset, len } if p == MANIFEST_NAME => Some((*offset, *len)),
        _ => None,
    });
    // The index itself, as a walk finds it.
    members.push((
        INDEX_NAME.to_string(),
        Member::File {
            offset: at.data,
            len: at.end - at.data,
        },
    ));
    Ok(Some(Indexed {
        members: members.into_iter().collect(),
        unindexed,
        manifest,
        read,
        listed: opts.counts.then(|| listed.into_iter().collect()),
    }))
}

/// What an index read needs to visit its records: the archive's bytes, where the index is, and how the
/// archive is read.
struct Reading<'r, 'a> {
    bytes: &'a [u8],
    at: &'r super::index::Located,
    opts: &'r OpenOptions,
    /// Members are read out of the file (`read_out`) rather than used in place in the map.
    out_of_file: bool,
}

/// What a read of an index's records has gathered: the members (in path order), those to read out of
/// the file, the stored members left out, and what the index lists of each process (with
/// [`OpenOptions::counts`]).
#[derive(Default)]
struct Visitor<'a> {
    members: Vec<(String, Member)>,
    /// Members to read out of the file: (slot in `members`, record, first header, end of its span).
    pending: Vec<Pending<'a>>,
    unindexed: usize,
    /// By pid: a process's records are together (they share the prefix `proc/<pid>/`).
    listed: Vec<(i32, super::Listed)>,
    /// The process whose socket tables (`net/*`) were the last seen: records are sorted, so they come
    /// just before its `ns/net` link.
    net_owner: Option<i32>,
    /// Records visited.
    visited: usize,
}

impl<'a> Visitor<'a> {
    /// Takes in one record of the index: checks it, and keeps or leaves out its member.
    fn visit(
        &mut self,
        reading: &Reading<'_, 'a>,
        r: super::index::IndexEntry<'a>,
    ) -> std::result::Result<(), (usize, String)> {
        use super::index::{self, INDEX_NAME, Record};
        self.visited += 1;
        let path = r.path.as_ref();
        let stored = !matches!(r.record, Record::Failed(_));
        let process = process_member(path);
        if let (Some((pid, rest)), true) = (process, reading.opts.counts) {
            if self.listed.last().map(|l| l.0) != Some(pid) {
                self.listed.push((pid, super::Listed::default()));
            }
            if let Some((_, l)) = self.listed.last_mut() {
                l.count(rest, &r.record);
            }
        }
        if let Some((pid, rest)) = process
            && rest.starts_with("net/")
        {
            self.net_owner = Some(pid);
        }
        if stored {
            // What a walk would warn about, the index may not hold: such an archive is walked.
            let unclean = path.starts_with('/')
                || path.starts_with("./")
                || path.ends_with('/')
                || (path.contains("..") && safe_member_path(path, clean(path)).is_err());
            if unclean || path.is_empty() {
                return Err((
                    reading.at.data,
                    format!("an unsafe or unclean path: {path}"),
                ));
            }
            if matches!(r.record, Record::Link { .. }) && !is_link_place(path) {
                return Err((
                    reading.at.data,
                    format!("a link where procsift stores none: {path}"),
                ));
            }
            if path == INDEX_NAME {
                return Err((reading.at.data, format!("it lists itself: {path}")));
            }
            let left = match process {
                Some((pid, rest)) if reading.opts.counts => {
                    !matches!(rest, "stat" | "status" | "psinfo")
                        || !reading.opts.select.wants_pid(pid)
                }
                Some((pid, "ns/net")) if !reading.opts.select.wants_pid(pid) => {
                    // Another process's namespace link says whose socket tables are whose: needed
                    // only where there are tables.
                    left_out(path, &reading.opts.select) || self.net_owner != Some(pid)
                }
                _ => left_out(path, &reading.opts.select),
            } || process.is_some_and(|(pid, rest)| skipped(reading.opts, pid, rest));
            if left {
                self.unindexed += 1;
                return Ok(());
            }
        }
        let member = match &r.record {
            Record::Failed(e) => Member::Failed(e.to_string()),
            Record::File { header, data, size } if reading.out_of_file => {
                // The member's headers, its data and the padding to the next block.
                let end = size
                    .div_ceil(512)
                    .checked_mul(512)
                    .and_then(|s| data.checked_add(s))
                    .map_or(reading.at.header, |e| e.min(reading.at.header));
                if *size <= READ_OUT && end - header <= READ_OUT + READ_GAP {
                    let (header, path) = (*header, path.to_string());
                    self.pending.push((self.members.len(), r, header, end));
                    // Filled in below, once read.
                    self.members.push((path, Member::Failed(String::new())));
                    return Ok(());
                }
                index::check_member(reading.bytes, 0, &r).ok_or_else(|| no_header(&r))?
            }
            Record::Link { header } if reading.out_of_file => {
                // A link is its headers (a long name, a long target): read a window that holds
                // them (checked through the map when it does not).
                let end = header.saturating_add(LINK_WINDOW).min(reading.at.header);
                let (header, path) = (*header, path.to_string());
                self.pending.push((self.members.len(), r, header, end));
                self.members.push((path, Member::Failed(String::new())));
                return Ok(());
            }
            _ => index::check_member(reading.bytes, 0, &r).ok_or_else(|| no_header(&r))?,
        };
        self.members.push((path.to_string(), member));
        Ok(())
    }

    /// Appends what a read of the records after this one's gathered (`later`: a read that starts at a
    /// process's first record, so no process is in both).
    fn append(&mut self, later: Visitor<'a>) {
        let base = self.members.len();
        self.members.extend(later.members);
        self.pending.extend(
            later
                .pending
                .into_iter()
                .map(|(slot, r, h, e)| (slot + base, r, h, e)),
        );
        self.unindexed += later.unindexed;
        self.listed.extend(later.listed);
        self.net_owner = later.net_owner.or(self.net_owner);
        self.visited += later.visited;
    }
}

/// The error of a record whose member is not at its tar header.
fn no_header(r: &super::index::IndexEntry<'_>) -> (usize, String) {
    use super::index::Record;
    let header = match r.record {
        Record::File { header, .. } | Record::Link { header } => header,
        Record::Failed(_) => 0,
    };
    (
        header,
        format!(
            "no intact tar header of {} where it says, at byte {header}, or one of another \
             kind, offset or size",
            r.path
        ),
    )
}

/// Index text above which [`parse_whole`] parses on two threads (about 4,000 records, a millisecond of
/// parsing: a thread costs tens of microseconds).
const PARSE_TWO_THREADS: usize = 256 << 10;

/// Every record of the index at `reading.at` (`span`: its records, as [`super::index::records`] gives
/// them), as [`super::index::parse`] reads them. A large index is parsed in two halves on two
/// threads, split where one process's records end; the halves' records are checked as one parse checks
/// them, and the error, if any, is the first in the index's order.
fn parse_whole<'a>(
    reading: &Reading<'_, 'a>,
    span: (usize, usize),
) -> std::result::Result<Visitor<'a>, (usize, String)> {
    use super::index;
    let (bytes, at) = (reading.bytes, reading.at);
    let split = (span.1 - span.0 >= PARSE_TWO_THREADS && !reading.opts.counts)
        .then(|| index::split_between_processes(bytes, span))
        .flatten();
    let Some(mid) = split else {
        let mut state = Visitor::default();
        index::parse(bytes, at, |r| state.visit(reading, r))?;
        return Ok(state);
    };
    let half = |range: (usize, usize)| {
        let mut state = Visitor::default();
        index::parse_ranges(bytes, at, &[range], |r| state.visit(reading, r)).map(|_| state)
    };
    let (first, second) = std::thread::scope(|s| {
        let later = s.spawn(|| half((mid, span.1)));
        let first = half((span.0, mid));
        (
            first,
            later
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        )
    });
    let mut state = first?;
    state.append(second?);
    if state.visited != at.count {
        return Err((
            at.end - at.data,
            format!(
                "holds {} records, its `end` line says {}",
                state.visited, at.count
            ),
        ));
    }
    Ok(state)
}

/// Whether the manifest an index lists records the process totals ([`super::manifest::Totals`]):
/// found by [`index::lower_bound`], checked at its header, and its head parsed (`false` when any of
/// that fails: the whole index is then parsed, as for an archive written before there were totals).
fn has_totals(bytes: &[u8], at: &super::index::Located, span: (usize, usize)) -> bool {
    indexed_manifest(bytes, at, span)
        .and_then(|m| super::manifest::parse_head(m).ok())
        .is_some_and(|m| m.totals.is_some())
}

/// The bytes of the manifest an index lists: its record found by [`index::lower_bound`] and checked
/// at its header; `None` when any of that fails.
fn indexed_manifest<'a>(
    bytes: &'a [u8],
    at: &super::index::Located,
    span: (usize, usize),
) -> Option<&'a [u8]> {
    use super::index;
    let lo = index::lower_bound(bytes, span, MANIFEST_NAME).ok()?;
    let hi = index::line_end(bytes, lo, span);
    let mut found = None;
    index::parse_ranges(bytes, at, &[(lo, hi)], |r| {
        if r.path == MANIFEST_NAME {
            found = index::check_member(bytes, 0, &r);
        }
        Ok(())
    })
    .ok()?;
    match found? {
        Member::File { offset, len } => bytes.get(offset..offset.checked_add(len)?),
        _ => None,
    }
}

/// The process digests the manifest of the archive at `path` records ([`super::digests`]), read
/// through its member index without reading any process; `None` when it records none, or is not an
/// uncompressed tar with a member index whose manifest can be found and parsed (such an archive is
/// read as before). The digests are taken as recorded: `verify` checks them.
pub fn recorded_digests(path: &Path) -> Option<BTreeMap<i32, String>> {
    if sniff(path).ok()? != InputFormat::Tar {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let map = crate::os::map_file_scattered(&file).ok()?;
    let at = super::index::locate(&map).ok()??;
    let span = super::index::records(&map, &at).ok()?;
    let m = indexed_manifest(&map, &at, span)?;
    super::manifest::parse_head_digests(m).ok()?.process_digests
}

/// The record lines (archive offsets, whole lines, sorted and merged) a read of the processes `pids`
/// needs: every record outside the block of `proc/<digits>...` paths (the system members, the
/// manifest, the events), the records of each of `pids` (found by [`super::index::lower_bound`]),
/// every failed record (the capture's read errors, which every report counts), and with `sockets` every
/// record with `/net/` in it (socket tables of every namespace, captured under any process) with the
/// `ns/net` link of each process that has one (which says whose tables they are).
fn ranges(
    bytes: &[u8],
    span: (usize, usize),
    pids: &[i32],
    sockets: bool,
) -> std::result::Result<Vec<(usize, usize)>, (usize, String)> {
    use super::index::{line_end, lines_with, lower_bound};
    let mut out = vec![
        (span.0, lower_bound(bytes, span, "proc/0")?),
        (lower_bound(bytes, span, "proc/:")?, span.1),
    ];
    let mut pids = pids.to_vec();
    pids.sort_unstable();
    pids.dedup();
    for pid in pids.into_iter().filter(|p| *p >= 0) {
        // Every path that starts with `proc/<pid>` and sorts before `proc/<pid>0`: the process's
        // members (`/` is the byte before `0`).
        out.push((
            lower_bound(bytes, span, &format!("proc/{pid}"))?,
            lower_bound(bytes, span, &format!("proc/{pid}0"))?,
        ));
    }
    let line = |lo: usize| (lo, line_end(bytes, lo, span));
    // A failed record's line starts with `e `: after the newline that ends the line before it.
    let failed = lines_with(bytes, (span.0.saturating_sub(1), span.1), b"\ne ");
    out.extend(failed.into_iter().map(|lo| line(line_end(bytes, lo, span))));
    if sockets {
        let mut owners: Vec<i32> = Vec::new();
        for lo in lines_with(bytes, span, b"/net/") {
            let (lo, hi) = line(lo);
            out.push((lo, hi));
            let path = bytes.get(lo..hi.saturating_sub(1)).unwrap_or_default();
            let path = path.rsplit(|b| *b == b' ').next().unwrap_or_default();
            if let Some((pid, rest)) = std::str::from_utf8(path).ok().and_then(process_member)
                && rest.starts_with("net/")
                && owners.last() != Some(&pid)
            {
                owners.push(pid);
            }
        }
        for pid in owners {
            out.push(line(lower_bound(
                bytes,
                span,
                &format!("proc/{pid}/ns/net"),
            )?));
        }
    }
    Ok(merge(out))
}

/// The record ranges of `span` (as [`ranges`] gives them) without the records of the processes `skip`
/// names, but for those of theirs [`skipped`] keeps: the members host-wide records are read from
/// ([`host_wide`]) and every failed record (a parse lists them all). One pass over the lines that reads
/// only each one's path, not its fields (a fraction of what parsing a record costs), so a read that
/// skips most processes parses few of the index's records. A line whose path cannot be read is kept
/// (the parse then says what is wrong with it).
fn ranges_without(
    bytes: &[u8],
    span: (usize, usize),
    skip: &std::collections::BTreeSet<i32>,
) -> std::result::Result<Vec<(usize, usize)>, (usize, String)> {
    let Some(text) = bytes.get(span.0..span.1) else {
        return Err((span.0, "a range of records outside the index".into()));
    };
    let mut out: Vec<(usize, usize)> = Vec::new();
    // The kept run of lines that the current line would extend.
    let mut run: Option<usize> = None;
    // The last process seen, and whether `skip` names it.
    let mut last: Option<(&[u8], bool)> = None;
    let mut pos = 0;
    while pos < text.len() {
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..end];
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let path = memchr::memrchr(b' ', body).map_or(body, |i| &body[i + 1..]);
        let keep = body.starts_with(b"e ")
            || match path
                .strip_prefix(b"proc/")
                .and_then(|r| Some(r.split_at(memchr::memchr(b'/', r)?)))
            {
                Some((pid, rest)) => {
                    let skipped = match last {
                        Some((p, s)) if p == pid => s,
                        _ => {
                            let s = std::str::from_utf8(pid)
                                .ok()
                                .and_then(|p| p.parse::<i32>().ok())
                                .is_some_and(|p| skip.contains(&p));
                            last = Some((pid, s));
                            s
                        }
                    };
                    // `rest` starts with the `/` after the pid.
                    !skipped || std::str::from_utf8(&rest[1..]).map_or(true, host_wide)
                }
                None => true,
            };
        match (keep, run) {
            (true, None) => run = Some(pos),
            (false, Some(from)) => {
                out.push((span.0 + from, span.0 + pos));
                run = None;
            }
            _ => {}
        }
        pos = end;
    }
    if let Some(from) = run {
        out.push((span.0 + from, span.1));
    }
    Ok(out)
}

/// Sorted, disjoint ranges covering the same bytes as `out` (empty ones dropped).
fn merge(mut out: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    out.retain(|(lo, hi)| lo < hi);
    out.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(out.len());
    for (lo, hi) in out {
        match merged.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    merged
}

/// The bytes read for a link's headers (a long-name record, a long-target record, the header).
const LINK_WINDOW: usize = 4096;

/// `proc/<pid>/<rest>`: the pid and the rest.
fn process_member(path: &str) -> Option<(i32, &str)> {
    let (pid, rest) = path.strip_prefix("proc/")?.split_once('/')?;
    Some((pid.parse().ok()?, rest))
}

/// Member bytes to read out above which [`read_out`] reads on two threads, each half the members.
const READ_TWO_THREADS: usize = 4 << 20;

/// One member read out: a pending record, its first header and the end of its span.
type Pending<'a> = (usize, super::index::IndexEntry<'a>, usize, usize);

/// Reads the `pending` members out of `file` (groups of nearby ones with one read(2) each), checks
/// each at its header, and fills in its slot of `members`: a file's offset is then past the map's
/// `base` bytes, into the bytes returned (see [`Backing::Split`]). Many bytes are read on two threads,
/// each half the members in file order (a warning is the first in that order, as read on one).
fn read_out(
    file: &std::fs::File,
    map: &[u8],
    pending: &mut [Pending<'_>],
    members: &mut [(String, Member)],
    no_header: impl Fn(&super::index::IndexEntry<'_>) -> Warning + Sync,
) -> std::result::Result<Vec<u8>, Warning> {
    let base = map.len();
    pending.sort_unstable_by_key(|p| p.2);
    let size = |p: &Pending<'_>| match p.1.record {
        super::index::Record::File { size, .. } => size,
        _ => 0,
    };
    let total = pending.iter().map(size).fold(0usize, usize::saturating_add);
    let split = if total >= READ_TWO_THREADS {
        pending.len() / 2
    } else {
        pending.len()
    };
    let (first, second) = pending.split_at(split);
    let (a, b) = std::thread::scope(|s| {
        let later = (!second.is_empty()).then(|| {
            let bytes = second.iter().map(size).fold(0usize, usize::saturating_add);
            let no_header = &no_header;
            s.spawn(move || read_part(file, map, second, bytes, no_header))
        });
        // Sized once for both halves: growing it would copy what was read, and fault in new pages
        // each time.
        let a = read_part(file, map, first, total, &no_header);
        let b = later.map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        (a, b)
    });
    let (mut read, placed) = a?;
    let mut place = |placed: Vec<(usize, Member)>, at: usize| {
        for (slot, m) in placed {
            if let Some(entry) = members.get_mut(slot) {
                entry.1 = match m {
                    Member::File { offset, len } => Member::File {
                        offset: base + at + offset,
                        len,
                    },
                    other => other,
                };
            }
        }
    };
    place(placed, 0);
    if let Some(b) = b {
        let (bytes, placed) = b?;
        let at = read.len();
        read.extend_from_slice(&bytes);
        place(placed, at);
    }
    Ok(read)
}

/// What [`read_part`] read: the members' bytes, and each one's slot in `members` with its member (a
/// file's offset into those bytes).
type Part = (Vec<u8>, Vec<(usize, Member)>);

/// [`read_out`] of the members `pending` (sorted by their first header), `capacity` bytes reserved.
fn read_part(
    file: &std::fs::File,
    map: &[u8],
    pending: &[Pending<'_>],
    capacity: usize,
    no_header: &(impl Fn(&super::index::IndexEntry<'_>) -> Warning + Sync),
) -> std::result::Result<Part, Warning> {
    let mut read: Vec<u8> = Vec::with_capacity(capacity);
    let mut placed = Vec::with_capacity(pending.len());
    let mut scratch: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < pending.len() {
        let start = pending[i].2;
        let mut end = pending[i].3;
        let mut j = i + 1;
        while j < pending.len()
            && pending[j].2 <= end.saturating_add(READ_GAP)
            && pending[j].3.saturating_sub(start) <= READ_GROUP
        {
            end = end.max(pending[j].3);
            j += 1;
        }
        scratch.resize(end - start, 0);
        if let Err(e) = read_at(file, &mut scratch, start) {
            return Err(Warning::at(
                super::index::INDEX_NAME,
                start as u64,
                format!(
                    "member index not used (reading byte {start}: {e}): every tar header is read instead"
                ),
            ));
        }
        for (slot, r, h, e) in &pending[i..j] {
            let (slot, h, e) = (*slot, *h, *e);
            let span = scratch.get(h - start..e - start).unwrap_or_default();
            let member = super::index::check_member(span, h, r)
                .or_else(|| match r.record {
                    // Headers longer than the window read.
                    super::index::Record::Link { .. } => super::index::check_member(map, 0, r),
                    _ => None,
                })
                .ok_or_else(|| no_header(r))?;
            placed.push((
                slot,
                match member {
                    Member::File { offset, len } => {
                        let from = offset - h;
                        let at = read.len();
                        read.extend_from_slice(span.get(from..from + len).unwrap_or_default());
                        Member::File { offset: at, len }
                    }
                    other => other,
                },
            ));
        }
        i = j;
    }
    Ok((read, placed))
}

/// Fills `buf` from `file` at `offset`.
#[cfg(unix)]
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: usize) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset as u64)
}

/// Fills `buf` from `file` at `offset`.
#[cfg(not(unix))]
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: usize) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = file;
    f.seek(SeekFrom::Start(offset as u64))?;
    f.read_exact(buf)
}

/// The snapshot a valid member index describes; the manifest is read without its member list (the
/// index lists the failed members).
fn from_index(backing: Backing, indexed: Indexed, shown: &str) -> RawSnapshot {
    let backing = match backing {
        Backing::Mapped(map) if !indexed.read.is_empty() => Backing::Split {
            map,
            read: indexed.read,
        },
        other => other,
    };
    let mut warnings = Vec::new();
    let manifest = match indexed.manifest {
        Some((off, len)) => match backing.get(off, len).map(super::manifest::parse_head) {
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => {
                warnings.push(Warning::at(
                    MANIFEST_NAME,
                    e.column() as u64,
                    format!("unreadable manifest (line {}): {e}", e.line()),
                ));
                None
            }
            None => None,
        },
        None => {
            warnings.push(Warning::member(
                MANIFEST_NAME,
                "no manifest.json: host facts unknown (a truncated archive, or not written by procsift)",
            ));
            None
        }
    };
    let source = Source {
        kind: InputKind::Archive,
        path: shown.to_string(),
        os: None,
    };
    let mut raw = RawSnapshot::new(backing, indexed.members, manifest, warnings, source);
    raw.unindexed = indexed.unindexed;
    raw.listed = indexed.listed;
    raw
}

/// Indexes the members of a tar by walking every header (archives without a member index, or whose
/// index cannot be believed); `warnings` are the reader's so far.
fn walk_tar(
    backing: Backing,
    shown: &str,
    select: &super::Selection,
    mut warnings: Vec<Warning>,
) -> Result<RawSnapshot> {
    let bytes: &[u8] = backing.base();
    let mut members = BTreeMap::new();
    let (entries, damage) = super::tar::index(bytes);
    if entries.is_empty()
        && let Some(d) = damage.first()
    {
        return Err(Error::Corrupt {
            member: shown.to_string(),
            offset: d.offset as u64,
            reason: d.reason.clone(),
        });
    }
    for d in &damage {
        let what_next = match d.resumed_at {
            Some(next) => format!(
                "skipped {} bytes to the next header, at byte {next}",
                next - d.offset
            ),
            None => "no valid header follows: the rest of the archive is unreadable".to_string(),
        };
        let text = if d.resumed_at.is_none() && d.reason.contains("truncated") {
            // Nothing follows: the archive was cut here.
            d.reason.clone()
        } else {
            format!("damaged header: {}; {what_next}", d.reason)
        };
        warnings.push(Warning::at(shown, d.offset as u64, text));
    }
    // The manifest (written last) is parsed on another thread while the member index is built.
    let manifest_range = entries.iter().rev().find_map(|e| match e.kind {
        super::tar::EntryKind::File { offset, len }
            if clean(&String::from_utf8_lossy(&e.path)) == MANIFEST_NAME =>
        {
            Some((offset, len))
        }
        _ => None,
    });
    // The stored members left out (names borrowed from the archive where they need no change), in
    // archive order, each with where its "second member" warning would go: sorted once at the end to
    // tell a second member of a name and to keep the manifest's failures from standing for them.
    let mut left: Vec<(Cow<'_, str>, u64, usize)> = Vec::new();
    let (manifest, manifest_warning) = std::thread::scope(|scope| {
        let parsed = scope.spawn(|| parse_manifest(bytes, manifest_range));
        for e in entries {
            let stored = match e.path {
                Cow::Borrowed(b) => String::from_utf8_lossy(b),
                Cow::Owned(b) => Cow::Owned(String::from_utf8_lossy(&b).into_owned()),
            };
            let at = e.header_offset as u64;
            let path = match &stored {
                Cow::Borrowed(s) => Cow::Borrowed(clean(s)),
                Cow::Owned(s) => Cow::Owned(clean(s).to_string()),
            };
            if let Err(why) = safe_member_path(&stored, &path) {
                warnings.push(Warning::at(stored.into_owned(), at, why));
                continue;
            }
            if stored.starts_with('/') {
                warnings.push(Warning::at(
                    stored.as_ref(),
                    at,
                    format!("absolute member path: read as {path}, inside the archive"),
                ));
            }
            let member = match e.kind {
                super::tar::EntryKind::File { offset, len } => Member::File { offset, len },
                super::tar::EntryKind::Symlink(target) => {
                    if !is_link_place(&path) {
                        warnings.push(Warning::at(
                            path.as_ref(),
                            at,
                            format!(
                                "a symbolic link to {} where procsift stores no links: kept as a \
                                 link, never followed",
                                crate::bytes::escape(&target)
                            ),
                        ));
                    }
                    Member::Symlink(target.into_owned())
                }
                super::tar::EntryKind::HardLink(target) => {
                    warnings.push(Warning::at(
                        path.as_ref(),
                        at,
                        format!(
                            "a hard link to {}: ignored, never followed",
                            crate::bytes::escape(&target)
                        ),
                    ));
                    continue;
                }
                super::tar::EntryKind::Other => continue,
            };
            if left_out(&path, select) {
                left.push((path, at, warnings.len()));
                continue;
            }
            if members.insert(path.to_string(), member).is_some() {
                warnings.push(Warning::at(
                    path.as_ref(),
                    at,
                    "a second member of this name: this later one is read (as tar extraction \
                     would), the earlier one ignored",
                ));
            }
        }
        parsed
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    });
    let unindexed = distinct_left_out(left, &mut warnings);
    if members.is_empty() && unindexed.is_empty() && warnings.is_empty() {
        return Err(Error::Corrupt {
            member: shown.to_string(),
            offset: 0,
            reason: "a tar with no members".into(),
        });
    }
    warnings.extend(manifest_warning);
    match &manifest {
        Some(m) => apply_manifest(m, &mut members, |p| {
            unindexed.binary_search_by(|n| n.as_ref().cmp(p)).is_ok()
        }),
        None if manifest_range.is_none() => warnings.push(Warning::member(
            MANIFEST_NAME,
            "no manifest.json: host facts unknown (a truncated archive, or not written by procsift)",
        )),
        None => {}
    }
    let source = Source {
        kind: InputKind::Archive,
        path: shown.to_string(),
        os: None,
    };
    let unindexed = unindexed.len();
    let mut raw = RawSnapshot::new(backing, members, manifest, warnings, source);
    raw.damage = damage;
    raw.unindexed = unindexed;
    Ok(raw)
}

/// The distinct names of the members left out of the index, sorted; a second member of a name gets
/// its warning where the archive order puts it among `warnings` (as an indexed one does).
fn distinct_left_out<'a>(
    mut left: Vec<(Cow<'a, str>, u64, usize)>,
    warnings: &mut Vec<Warning>,
) -> Vec<Cow<'a, str>> {
    // Stable: members of one name stay in archive order, the first one is the one kept.
    left.sort_by(|a, b| a.0.cmp(&b.0));
    let mut names: Vec<Cow<'a, str>> = Vec::with_capacity(left.len());
    let mut seconds: Vec<(usize, Warning)> = Vec::new();
    for (path, at, pos) in left {
        if names.last() == Some(&path) {
            seconds.push((
                pos,
                Warning::at(
                    path.as_ref(),
                    at,
                    "a second member of this name: this later one is read (as tar extraction \
                     would), the earlier one ignored",
                ),
            ));
        } else {
            names.push(path);
        }
    }
    if !seconds.is_empty() {
        // Archive order: by position, then by offset (a later member at the same position is later).
        seconds.sort_by_key(|(pos, w)| (*pos, w.offset));
        let before = std::mem::take(warnings);
        let mut seconds = seconds.into_iter().peekable();
        for (i, w) in before.into_iter().enumerate() {
            while let Some((_, s)) = seconds.next_if(|(pos, _)| *pos == i) {
                warnings.push(s);
            }
            warnings.push(w);
        }
        warnings.extend(seconds.map(|(_, s)| s));
    }
    names
}

/// Adds the manifest's failed members (the capture's read errors) as [`Member::Failed`]: the capture's
/// error replaces a member that is absent or failed (an extracted snapshot re-read finds such members
/// absent, `ENOENT`; the manifest knows why), never one that has bytes (`stored_elsewhere`: a member the
/// archive stores that was left out of the index). Disagreements between archive and manifest (sizes,
/// hashes, missing members) are `verify`'s to report.
pub(crate) fn apply_manifest(
    m: &Manifest,
    members: &mut BTreeMap<String, Member>,
    stored_elsewhere: impl Fn(&str) -> bool,
) {
    for mm in &m.members {
        if let Some(err) = &mm.error {
            if stored_elsewhere(&mm.path) {
                continue;
            }
            match members.get_mut(&mm.path) {
                None => {
                    members.insert(mm.path.clone(), Member::Failed(err.clone()));
                }
                Some(f @ Member::Failed(_)) => *f = Member::Failed(err.clone()),
                Some(_) => {}
            }
        }
    }
}

/// The result of [`verify`].
#[derive(Clone, Debug, Default)]
pub struct VerifyReport {
    /// Members checked and found intact.
    pub intact: usize,
    /// Members whose bytes do not hash to the manifest's SHA-256 (or differ in size).
    pub mismatched: Vec<String>,
    /// Members in the archive that the manifest does not list.
    pub unlisted: Vec<String>,
    /// Members the manifest lists as stored that are missing from the archive.
    pub missing: Vec<String>,
    /// Damaged tar headers (the reader skipped to the next valid one).
    pub damaged: Vec<super::tar::Damage>,
    /// Members the manifest lists that are not in the archive as read, when it has damaged headers: lost
    /// to the damage (they are not counted in `missing`).
    pub unreachable: Vec<String>,
    /// True when no manifest could be read (it was damaged or cut off): nothing could be checked.
    pub no_manifest: bool,
    /// Members the capture could not read (they have an error in the manifest; not a defect).
    pub not_captured: usize,
    /// Why the archive's member index cannot be believed (it disagrees with the tar headers, or is
    /// damaged); `None` when it agrees or there is none (see [`RawSnapshot::index_check`]).
    pub index_problem: Option<String>,
    /// How the manifest's process totals differ from what the members give (a manifest edited by
    /// hand, or by something other than procsift); `None` when they agree or there are none.
    pub totals_problem: Option<String>,
    /// How the manifest's process digests differ from its member list (see
    /// [`super::digests`]): the processes whose digest is wrong, missing or extra; `None` when they
    /// agree or there are none.
    pub digests_problem: Option<String>,
}

impl VerifyReport {
    /// True when every stored member matches the manifest and the archive is undamaged.
    pub fn is_ok(&self) -> bool {
        self.mismatched.is_empty()
            && self.unlisted.is_empty()
            && self.missing.is_empty()
            && self.damaged.is_empty()
            && self.unreachable.is_empty()
            && !self.no_manifest
            && self.index_problem.is_none()
            && self.totals_problem.is_none()
            && self.digests_problem.is_none()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.damaged {
            match d.resumed_at {
                Some(next) => writeln!(
                    f,
                    "DAMAGED: header at byte {} ({}); read on from byte {next}",
                    d.offset, d.reason
                )?,
                None => writeln!(
                    f,
                    "DAMAGED: header at byte {} ({}); nothing after it could be read",
                    d.offset, d.reason
                )?,
            }
        }
        if let Some(p) = &self.index_problem {
            writeln!(f, "INDEX: {p}")?;
        }
        if let Some(p) = &self.totals_problem {
            writeln!(f, "TOTALS: {p}")?;
        }
        if let Some(p) = &self.digests_problem {
            writeln!(f, "DIGESTS: {p}")?;
        }
        for (what, list) in [
            ("MISMATCH", &self.mismatched),
            ("NOT IN MANIFEST", &self.unlisted),
            ("MISSING", &self.missing),
            ("UNREACHABLE", &self.unreachable),
        ] {
            for p in list {
                writeln!(f, "{what}: {p}")?;
            }
        }
        if self.no_manifest {
            return write!(
                f,
                "{} damaged headers; manifest.json could not be read, so no member could be checked",
                self.damaged.len()
            );
        }
        write!(
            f,
            "{} members intact, {} mismatched, {} not in the manifest, {} missing",
            self.intact,
            self.mismatched.len(),
            self.unlisted.len(),
            self.missing.len(),
        )?;
        if !self.damaged.is_empty() {
            write!(
                f,
                ", {} unreachable behind {} damaged headers",
                self.unreachable.len(),
                self.damaged.len()
            )?;
        }
        write!(f, "; {} were not readable at capture", self.not_captured)
    }
}

/// Checks every member against the manifest's size and SHA-256.
pub fn verify(raw: &RawSnapshot) -> VerifyReport {
    let mut r = VerifyReport {
        damaged: raw.damage.clone(),
        index_problem: match &raw.index_check {
            Some(Err(why)) => Some(why.clone()),
            _ => None,
        },
        ..VerifyReport::default()
    };
    let Some(m) = raw.full_manifest() else {
        r.no_manifest = true;
        return r;
    };
    let mut listed = std::collections::BTreeSet::new();
    listed.insert(MANIFEST_NAME.to_string());
    listed.insert(super::index::INDEX_NAME.to_string());
    for mm in &m.members {
        listed.insert(mm.path.clone());
        if mm.error.is_some() {
            r.not_captured += 1;
            continue;
        }
        let bytes = match (mm.kind, raw.member(&mm.path)) {
            (MemberKind::File, Some(Member::File { .. })) => raw.file(&mm.path),
            (MemberKind::Symlink, Some(Member::Symlink(t))) => Some(t.as_slice()),
            _ => None,
        };
        let Some(bytes) = bytes else {
            if raw.damage.is_empty() {
                r.missing.push(mm.path.clone());
            } else {
                r.unreachable.push(mm.path.clone());
            }
            continue;
        };
        let hash = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        let size_ok = mm.size.is_none_or(|s| s == bytes.len() as u64);
        if size_ok && mm.sha256.as_deref() == Some(hash.as_str()) {
            r.intact += 1;
        } else {
            r.mismatched.push(mm.path.clone());
        }
    }
    for (path, member) in raw.members() {
        if !listed.contains(path) && !matches!(member, Member::Failed(_)) {
            r.unlisted.push(path.to_string());
        }
    }
    if let Some(recorded) = &m.totals {
        let found = super::totals::of(raw);
        if *recorded != found {
            let shown = |t: &super::manifest::Totals| {
                let n = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
                format!(
                    "{} processes, {} threads, {} open files, irregular {:?}",
                    t.processes,
                    n(t.threads),
                    n(t.open_files),
                    t.irregular
                )
            };
            r.totals_problem = Some(format!(
                "the manifest records {}; the members give {}",
                shown(recorded),
                shown(&found)
            ));
        }
    }
    if let Some(recorded) = &m.process_digests {
        let found = super::digests::of_members(&m.members);
        let wrong: Vec<String> = recorded
            .keys()
            .chain(found.keys())
            .filter(|pid| recorded.get(pid) != found.get(pid))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|pid| pid.to_string())
            .collect();
        if !wrong.is_empty() {
            const SHOWN: usize = 10;
            let more = wrong.len().saturating_sub(SHOWN);
            r.digests_problem = Some(format!(
                "the manifest's process digests do not match its members for {} process{} (pid {}{})",
                wrong.len(),
                if wrong.len() == 1 { "" } else { "es" },
                wrong[..wrong.len().min(SHOWN)].join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skipped_process_keeps_its_host_wide_and_failed_records() {
        let records = [
            "f 0 512 10 etc/passwd",
            "f 1024 1536 10 proc/1/cmdline",
            "f 2048 2560 10 proc/1/environ",
            "f 3072 3584 10 proc/1/mountinfo",
            "f 4096 4608 10 proc/1/net/tcp",
            "l 5120 proc/1/ns/mnt",
            "l 6144 proc/1/ns/net",
            "l 7168 proc/1/ns/pid",
            "f 8192 8704 10 proc/1/stat",
            "e ENOENT proc/1/wchan",
            "f 9216 9728 10 proc/12/stat",
            "f 10240 10752 10 proc/2/net/tcp",
            "f 11264 11776 10 proc/2/stat",
            "e EACCES proc/2/syscall",
            "f 12288 12800 10 proc/loadavg",
            "f 13312 13824 10 proc/self/stat",
        ];
        let text = format!("head\n{}\n", records.join("\n"));
        let bytes = text.as_bytes();
        let span = ("head\n".len(), bytes.len());
        let skip: std::collections::BTreeSet<i32> = [1, 12].into_iter().collect();
        let ranges = ranges_without(bytes, span, &skip).unwrap();
        let kept: Vec<&str> = ranges
            .iter()
            .flat_map(|&(lo, hi)| text[lo..hi].lines())
            .collect();
        assert_eq!(
            kept,
            [
                "f 0 512 10 etc/passwd",
                "f 3072 3584 10 proc/1/mountinfo",
                "f 4096 4608 10 proc/1/net/tcp",
                "l 5120 proc/1/ns/mnt",
                "l 6144 proc/1/ns/net",
                "e ENOENT proc/1/wchan",
                "f 10240 10752 10 proc/2/net/tcp",
                "f 11264 11776 10 proc/2/stat",
                "e EACCES proc/2/syscall",
                "f 12288 12800 10 proc/loadavg",
                "f 13312 13824 10 proc/self/stat",
            ]
        );
        // Ranges are whole lines, disjoint and in order.
        assert!(ranges.windows(2).all(|w| w[0].1 < w[1].0));
        assert!(
            ranges
                .iter()
                .all(|&(lo, hi)| lo < hi && text.as_bytes()[hi - 1] == b'\n')
        );
        // Nothing skipped: the whole span, one range.
        let none = std::collections::BTreeSet::new();
        assert_eq!(ranges_without(bytes, span, &none).unwrap(), vec![span]);
    }

    #[test]
    fn sniffs_by_content() {
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff_bytes(&tar), Ok(InputFormat::Tar));
        assert_eq!(sniff_bytes(&[0x1f, 0x8b, 8]), Ok(InputFormat::TarGz));
        assert_eq!(
            sniff_bytes(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Ok(InputFormat::TarZst)
        );
        let mut core = b"\x7fELF\x02\x01\x01".to_vec();
        core.resize(18, 0);
        core[16] = 4;
        assert_eq!(sniff_bytes(&core), Ok(InputFormat::ElfCore));
        core[16] = 2;
        assert!(sniff_bytes(&core).unwrap_err().contains("executable"));
        assert!(sniff_bytes(b"").unwrap_err().contains("empty"));
        assert!(
            sniff_bytes(b"hello")
                .unwrap_err()
                .contains("68 65 6c 6c 6f")
        );
    }

    #[test]
    fn a_narrowed_index_leaves_out_what_the_report_does_not_read() {
        use crate::snapshot::Selection;
        let ps = Selection {
            environ: false,
            threads: false,
            fds: false,
            maps: false,
            limits: false,
            extras: false,
            pids: None,
        };
        for kept in [
            "proc/1/stat",
            "proc/1/status",
            "proc/1/cmdline",
            "proc/1/comm",
            "proc/1/statm",
            "proc/1/wchan",
            "proc/stat",
            "proc/net/tcp",
            "etc/passwd",
            "manifest.json",
            "events/cn_proc.bin",
            "proc/self/task/1/stat",
            // Solaris members are not Linux families.
            "proc/1/psinfo",
            "proc/1/lwp/1/lwpsinfo",
            "proc/1/path/a.out",
        ] {
            assert!(!left_out(kept, &ps), "{kept}");
            assert!(!left_out(kept, &Selection::ALL), "{kept}");
        }
        for gone in [
            "proc/1/task/1/stat",
            "proc/1/fd/3",
            "proc/1/fdinfo/3",
            "proc/1/net/tcp",
            "proc/1/maps",
            "proc/1/smaps",
            "proc/1/limits",
            "proc/1/environ",
            "proc/1/exe",
            "proc/1/cwd",
            "proc/1/root",
            "proc/1/ns/pid",
            "proc/1/ns/net",
            "proc/1/cgroup",
            "proc/1/io",
            "proc/1/smaps_rollup",
        ] {
            assert!(left_out(gone, &ps), "{gone}");
            assert!(!left_out(gone, &Selection::ALL), "{gone}");
        }
        // One process: the others' members are left out, but with open files asked for, every
        // process's socket tables and the ns/net link that says whose they are are kept.
        let one = Selection {
            pids: Some(vec![7]),
            ..Selection::ALL
        };
        assert!(!left_out("proc/7/fd/3", &one));
        assert!(left_out("proc/8/stat", &one));
        assert!(left_out("proc/8/ns/pid", &one));
        assert!(!left_out("proc/8/net/tcp6", &one));
        assert!(!left_out("proc/8/ns/net", &one));
        assert!(!left_out("proc/loadavg", &one));
        let no_fds = Selection { fds: false, ..one };
        assert!(left_out("proc/8/net/tcp6", &no_fds));
        assert!(left_out("proc/8/ns/net", &no_fds));
        assert!(!left_out("proc/7/ns/net", &no_fds));
    }

    #[test]
    fn cleans_member_paths() {
        assert_eq!(clean("./proc/1/stat"), "proc/1/stat");
        assert_eq!(clean("/proc/1/"), "proc/1");
    }
}
