//! Where captured members go: a tar archive on disk ([`TarSink`]) or memory ([`MemorySink`]).
//!
//! A [`Sink`] receives members in capture order and only stores them; hashing and the manifest are the
//! [`Recorder`](super::record::Recorder)'s job, so both sinks describe their members identically.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tar::{EntryType, Header};

use crate::model::{InputKind, Source};
use crate::snapshot::index::{INDEX_NAME, IndexEntry, Record};
use crate::snapshot::manifest::{MANIFEST_NAME, Manifest};
use crate::snapshot::{MemoryBuilder, RawSnapshot};

/// Receives the members of a capture, in order.
pub trait Sink {
    /// A regular file and its bytes, read until EOF.
    fn file(&mut self, path: &str, data: &[u8]) -> crate::Result<()>;
    /// A symbolic link and the bytes readlink returned.
    fn symlink(&mut self, path: &str, target: &[u8]) -> crate::Result<()>;
    /// A member that could not be read, with the error name (`ENOENT`, `timeout`, ...).
    fn failed(&mut self, path: &str, error: &str) -> crate::Result<()>;
    /// True when it writes an archive (whose manifest then records the process totals, see
    /// [`crate::snapshot::manifest::Totals`]); a capture held in memory is analyzed whole instead.
    fn archive(&self) -> bool {
        false
    }
}

/// Longest link target that fits a tar header's `linkname` field; longer ones get a GNU `K` record.
const LINKNAME_FIELD: usize = 100;

/// Writes a snapshot archive: a tar at `<out>.tmp`, renamed to `<out>` once `manifest.json` and the
/// member index (the last member, see [`crate::snapshot::index`]) are written and the file is synced.
/// Dropped unfinished, it deletes the temporary file, so a capture that fails leaves no half archive.
pub struct TarSink {
    builder: Option<tar::Builder<Counting<BufWriter<File>>>>,
    /// Where each member went, for the index.
    index: Vec<IndexEntry<'static>>,
    tmp: PathBuf,
    out: PathBuf,
    mtime: u64,
    /// Set once the archive has its final name; until then, dropping removes the temporary file.
    renamed: bool,
}

impl std::fmt::Debug for TarSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TarSink")
            .field("tmp", &self.tmp)
            .field("out", &self.out)
            .finish()
    }
}

/// The temporary name an archive is written under: `<out>.tmp`, in the same directory (so the final
/// rename stays within one filesystem).
pub fn temporary_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

impl TarSink {
    /// Starts an archive for `out`. Refuses to overwrite an existing `out` or `<out>.tmp` (evidence is never
    /// clobbered). `mtime` (seconds since the epoch, the capture start) stamps every member.
    pub fn create(out: &Path, mtime: u64) -> crate::Result<Self> {
        if out.symlink_metadata().is_ok() {
            return Err(crate::Error::io(
                out,
                io::Error::new(io::ErrorKind::AlreadyExists, "output file already exists"),
            ));
        }
        let tmp = temporary_path(out);
        // Owner only (0600): the archive holds environments and command lines.
        let file = crate::os::create_private(&tmp).map_err(|e| crate::Error::io(&tmp, e))?;
        let writer = Counting {
            inner: BufWriter::with_capacity(256 * 1024, file),
            written: 0,
            hash: Sha256::new(),
        };
        Ok(TarSink {
            builder: Some(tar::Builder::new(writer)),
            index: Vec::new(),
            tmp,
            out: out.to_path_buf(),
            mtime,
            renamed: false,
        })
    }

    fn builder(&mut self) -> crate::Result<&mut tar::Builder<Counting<BufWriter<File>>>> {
        let tmp = &self.tmp;
        self.builder
            .as_mut()
            .ok_or_else(|| crate::Error::io(tmp, io::Error::other("archive already finished")))
    }

    fn header(&self, kind: EntryType, size: u64, mode: u32) -> Header {
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(mode);
        h.set_mtime(self.mtime);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    /// Appends `manifest.json`, completes the tar, syncs it and renames it to the output name. Returns the
    /// archive's size in bytes.
    pub fn finish(self, manifest: &Manifest) -> crate::Result<u64> {
        self.finish_with_hash(manifest).map(|(bytes, _)| bytes)
    }

    /// Bytes written so far: the offset of the next member's first header.
    fn written(&self) -> u64 {
        self.builder.as_ref().map_or(0, |b| b.get_ref().written)
    }

    /// [`TarSink::finish`], also returning the archive's SHA-256 (lower-case hex), computed over the bytes
    /// as they were written (the archive is not read back).
    pub fn finish_with_hash(mut self, manifest: &Manifest) -> crate::Result<(u64, String)> {
        let json = serde_json::to_vec_pretty(manifest)
            .map_err(|e| crate::Error::io(&self.tmp, io::Error::other(e)))?;
        self.file(MANIFEST_NAME, &json)?;
        // The index, last: every stored member and every failed one (as the manifest lists them).
        let mut entries = std::mem::take(&mut self.index);
        entries.extend(manifest.members.iter().filter_map(|m| {
            Some(IndexEntry {
                path: m.path.clone().into(),
                record: Record::Failed(m.error.clone()?.into()),
            })
        }));
        let at = self.written();
        if let Some(index) = crate::snapshot::index::encode(entries, at) {
            self.file(INDEX_NAME, &index)?;
        }
        let tmp = self.tmp.clone();
        let io_err = |e| crate::Error::io(&tmp, e);
        let builder = self.builder.take().ok_or_else(|| {
            crate::Error::io(&self.tmp, io::Error::other("archive already finished"))
        })?;
        let counting = builder.into_inner().map_err(io_err)?;
        let bytes = counting.written;
        let sha256 = super::record::hex(&counting.hash.finalize());
        let file = counting
            .inner
            .into_inner()
            .map_err(|e| io_err(e.into_error()))?;
        file.sync_all().map_err(io_err)?;
        drop(file);
        rename_no_replace(&self.tmp, &self.out).map_err(|e| crate::Error::io(&self.out, e))?;
        self.renamed = true;
        // Make the rename itself durable.
        if let Some(dir) = self.out.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok((bytes, sha256))
    }
}

impl Drop for TarSink {
    fn drop(&mut self) {
        if !self.renamed {
            // Unfinished (or finishing failed): close the file and remove it; the final name was never
            // created by this capture.
            drop(self.builder.take());
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE).map_err(io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    if to.symlink_metadata().is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "output file already exists",
        ));
    }
    std::fs::rename(from, to)
}

impl Sink for TarSink {
    fn archive(&self) -> bool {
        true
    }

    fn file(&mut self, path: &str, data: &[u8]) -> crate::Result<()> {
        let mut h = self.header(EntryType::Regular, data.len() as u64, 0o444);
        let tmp = self.tmp.clone();
        let header = self.written();
        self.builder()?
            .append_data(&mut h, path, data)
            .map_err(|e| crate::Error::io(tmp, e))?;
        // The data is the last thing written, padded to whole blocks.
        let padded = (data.len() as u64).div_ceil(512) * 512;
        let start = self.written().saturating_sub(padded);
        if let (Ok(header), Ok(data_at)) = (usize::try_from(header), usize::try_from(start)) {
            self.index.push(IndexEntry {
                path: path.to_string().into(),
                record: Record::File {
                    header,
                    data: data_at,
                    size: data.len(),
                },
            });
        }
        Ok(())
    }

    fn symlink(&mut self, path: &str, target: &[u8]) -> crate::Result<()> {
        let mut h = self.header(EntryType::Symlink, 0, 0o777);
        let tmp = self.tmp.clone();
        let err = |e| crate::Error::io(&tmp, e);
        if let Ok(header) = usize::try_from(self.written()) {
            self.index.push(IndexEntry {
                path: path.to_string().into(),
                record: Record::Link { header },
            });
        }
        if target.len() > LINKNAME_FIELD {
            // GNU long link name: a `K` record whose data is the whole target, NUL-terminated.
            let mut long = self.header(EntryType::GNULongLink, target.len() as u64 + 1, 0o644);
            let name = b"././@LongLink";
            if let Some(slot) = long.as_old_mut().name.get_mut(..name.len()) {
                slot.copy_from_slice(name);
            }
            long.set_cksum();
            let data = target
                .iter()
                .copied()
                .chain(std::iter::once(0))
                .collect::<Vec<u8>>();
            self.builder()?
                .append(&long, data.as_slice())
                .map_err(err)?;
        }
        // The target's bytes exactly (no path normalization), cut to the field when a `K` record precedes.
        let head = target.get(..LINKNAME_FIELD).unwrap_or(target);
        h.set_link_name_literal(head).map_err(err)?;
        self.builder()?
            .append_data(&mut h, path, io::empty())
            .map_err(err)
    }

    fn failed(&mut self, _path: &str, _error: &str) -> crate::Result<()> {
        // Failed members live in the manifest only.
        Ok(())
    }
}

/// Counts and hashes the bytes written through it (the archive's size and SHA-256).
struct Counting<W> {
    inner: W,
    written: u64,
    hash: Sha256,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(buf.get(..n).unwrap_or(buf));
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Collects a capture in memory, as a [`RawSnapshot`] of kind live.
#[derive(Debug, Default)]
pub struct MemorySink {
    builder: MemoryBuilder,
    bytes: u64,
    limit: Option<u64>,
}

impl MemorySink {
    /// An empty sink that holds at most `limit` bytes of member data (`None`: no bound).
    pub fn new(limit: Option<u64>) -> Self {
        MemorySink {
            limit,
            ..Self::default()
        }
    }

    /// Bytes of member data held.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The snapshot, with its manifest attached, as read from the live host's `proc_path` on `os`.
    pub fn finish(self, manifest: Manifest, proc_path: &Path, os: &str) -> RawSnapshot {
        self.builder.build(
            Some(manifest),
            Vec::new(),
            Source {
                kind: InputKind::Live,
                path: proc_path.display().to_string(),
                os: Some(os.into()),
            },
        )
    }
}

impl Sink for MemorySink {
    fn file(&mut self, path: &str, data: &[u8]) -> crate::Result<()> {
        self.bytes += data.len() as u64;
        if let Some(limit) = self.limit.filter(|l| self.bytes > *l) {
            return Err(crate::Error::Usage(format!(
                "more than {limit} bytes of files (at {path}): not a /proc tree or snapshot?"
            )));
        }
        self.builder.file(path, data);
        Ok(())
    }

    fn symlink(&mut self, path: &str, target: &[u8]) -> crate::Result<()> {
        self.builder.symlink(path, target);
        Ok(())
    }

    fn failed(&mut self, path: &str, error: &str) -> crate::Result<()> {
        self.builder.failed(path, error);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finishing_never_replaces_a_file_that_appeared_meanwhile() {
        let dir = std::env::temp_dir().join(format!("procsift-sink-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("snap.tar");
        let mut sink = TarSink::create(&out, 0).unwrap();
        sink.file("proc/loadavg", b"0.00\n").unwrap();
        assert!(temporary_path(&out).exists());
        std::fs::write(&out, b"someone else's").unwrap();
        assert!(sink.finish(&Manifest::default()).is_err());
        assert_eq!(std::fs::read(&out).unwrap(), b"someone else's");
        assert!(!temporary_path(&out).exists());
        let other = dir.join("other.tar");
        let mut sink = TarSink::create(&other, 0).unwrap();
        sink.file("proc/loadavg", b"0.00\n").unwrap();
        let (bytes, sha) = sink.finish_with_hash(&Manifest::default()).unwrap();
        let written = std::fs::read(&other).unwrap();
        assert_eq!(bytes, written.len() as u64);
        assert_eq!(sha, super::super::record::sha256_hex(&written));
        assert_eq!(std::fs::read(&out).unwrap(), b"someone else's");
        assert!(!temporary_path(&out).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
