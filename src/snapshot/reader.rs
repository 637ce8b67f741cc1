//! Opening a snapshot archive as a [`RawSnapshot`]: a tar read in place, or a compressed tar inflated
//! into memory (with a bound); sniffing what an input is; and [`verify`].
//!
//! Inputs are sniffed by content, never by name. Directories and cores are opened by `crate::input`,
//! which reads a directory through the capture's own plan.

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
    /// The members and processes a directory read fetches (default: all; archives hold everything).
    pub select: super::Selection,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            max_decompressed: 4 << 30,
            max_dir_bytes: 1 << 30,
            select: super::Selection::ALL,
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
            let map = crate::os::map_file(&file).map_err(|e| Error::io(path, e))?;
            index_tar(Backing::Mapped(map), &shown)
        }
        InputFormat::TarGz => {
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            let bytes = inflate(flate2::read::MultiGzDecoder::new(file), opts, path)?;
            index_tar(Backing::Owned(bytes), &shown)
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
            index_tar(Backing::Owned(bytes), &shown)
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
        InputFormat::Tar => index_tar(Backing::Owned(bytes), name),
        InputFormat::TarGz => {
            let out = inflate(
                flate2::read::MultiGzDecoder::new(&bytes[..]),
                opts,
                Path::new(name),
            )?;
            index_tar(Backing::Owned(out), name)
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
            index_tar(Backing::Owned(out), name)
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
fn clean(path: &str) -> String {
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
    p.trim_end_matches('/').to_string()
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

/// Indexes the members of a tar held in `backing`, in place. Member names that are unsafe or out of
/// place (`..`, absolute, duplicates, hard links, links where procsift stores none) are warnings.
fn index_tar(backing: Backing, shown: &str) -> Result<RawSnapshot> {
    let bytes: &[u8] = match &backing {
        Backing::Mapped(m) => m,
        Backing::Owned(v) => v,
    };
    let mut members = BTreeMap::new();
    let mut warnings = Vec::new();
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
    let (manifest, manifest_warning) = std::thread::scope(|scope| {
        let parsed = scope.spawn(|| parse_manifest(bytes, manifest_range));
        for e in entries {
            let stored = String::from_utf8_lossy(&e.path);
            let at = e.header_offset as u64;
            let path = clean(&stored);
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
                            path.as_str(),
                            at,
                            format!(
                                "a symbolic link to {} where procsift stores no links: kept as a \
                                 link, never followed",
                                crate::bytes::escape(&target)
                            ),
                        ));
                    }
                    Member::Symlink(target)
                }
                super::tar::EntryKind::HardLink(target) => {
                    warnings.push(Warning::at(
                        path,
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
            if members.insert(path.clone(), member).is_some() {
                warnings.push(Warning::at(
                    path,
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
    if members.is_empty() && warnings.is_empty() {
        return Err(Error::Corrupt {
            member: shown.to_string(),
            offset: 0,
            reason: "a tar with no members".into(),
        });
    }
    warnings.extend(manifest_warning);
    match &manifest {
        Some(m) => apply_manifest(m, &mut members),
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
    let mut raw = RawSnapshot::new(backing, members, manifest, warnings, source);
    raw.damage = damage;
    Ok(raw)
}

/// Adds the manifest's failed members (the capture's read errors) as [`Member::Failed`]: the capture's
/// error replaces a member that is absent or failed (an extracted snapshot re-read finds such members
/// absent, `ENOENT`; the manifest knows why), never one that has bytes. Disagreements between archive and
/// manifest (sizes, hashes, missing members) are `verify`'s to report.
pub(crate) fn apply_manifest(m: &Manifest, members: &mut BTreeMap<String, Member>) {
    for mm in &m.members {
        if let Some(err) = &mm.error {
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
        ..VerifyReport::default()
    };
    let Some(m) = raw.full_manifest() else {
        r.no_manifest = true;
        return r;
    };
    let mut listed = std::collections::BTreeSet::new();
    listed.insert(MANIFEST_NAME.to_string());
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
    r
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn cleans_member_paths() {
        assert_eq!(clean("./proc/1/stat"), "proc/1/stat");
        assert_eq!(clean("/proc/1/"), "proc/1");
    }
}
