//! The few system calls a capture makes, through `rustix` (safe wrappers, no `unsafe` here).
//!
//! Cost per member, the point of this module (see the performance notes in the shared reference): a regular
//! file is `openat` + `read` until `read` returns 0 + `close` — 4 calls for a small file — into one buffer
//! reused for every file; no `fstat`/`statx`, no `lseek`, no size hints (procfs reports `st_size` 0 anyway).
//! A symbolic link is one `readlinkat`. A directory listing is `openat` + `getdents64` until empty + `close`.
//!
//! A *copied* tree (a directory input that is not a live procfs: a copy of /proc, an extracted snapshot)
//! is untrusted: each regular-file member first costs an `fstatat` without following links, and only a
//! regular file is opened (with `O_NOFOLLOW`); a link found where a file was expected is kept as a link,
//! and FIFOs, sockets and devices are never opened (opening a FIFO blocks, opening a device may act on it).

use std::borrow::Cow;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{Dir, Mode, OFlags};
use rustix::io::Errno;

use crate::formats::errno::Errnos;

/// Largest member read into memory (1 GiB). Nothing in procfs comes near it; a regular file in a fake or
/// hostile tree might, and a capture must not allocate without bound.
pub const MAX_MEMBER: usize = 1 << 30;

/// First size of the reused read buffer; it doubles whenever a read fills it.
const INITIAL_BUFFER: usize = 64 * 1024;

/// Opens a directory relative to `dir`. `path_only` asks for an `O_PATH` descriptor (Linux), enough to
/// `openat`/`readlinkat` relative to it, but not to list it.
pub fn open_dir(dir: BorrowedFd<'_>, name: &str, path_only: bool) -> Result<OwnedFd, Errno> {
    // Never through a link: a directory that is a link (in a copied tree) is recorded as a link.
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let flags = if path_only {
        flags | OFlags::PATH
    } else {
        flags
    };
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = path_only;
    retry(|| rustix::fs::openat(dir, name, flags, Mode::empty()))
}

/// Opens a directory by absolute or relative path (the capture roots).
pub fn open_root(path: &std::path::Path) -> Result<OwnedFd, Errno> {
    retry(|| {
        rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    })
}

/// A read buffer reused for every regular file a worker reads.
#[derive(Debug)]
pub struct FileReader {
    buf: Vec<u8>,
}

impl Default for FileReader {
    fn default() -> Self {
        FileReader {
            buf: vec![0; INITIAL_BUFFER],
        }
    }
}

impl FileReader {
    /// Reads `name` (relative to `dir`) until `read` returns 0. The bytes stay valid until the next call.
    pub fn read(&mut self, dir: BorrowedFd<'_>, name: &str) -> Result<&[u8], Errno> {
        self.read_with(dir, name, OFlags::empty())
    }

    fn read_with(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &str,
        extra: OFlags,
    ) -> Result<&[u8], Errno> {
        let fd = retry(|| {
            rustix::fs::openat(
                dir,
                name,
                OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | extra,
                Mode::empty(),
            )
        })?;
        let mut filled = 0usize;
        loop {
            if filled == self.buf.len() {
                if self.buf.len() >= MAX_MEMBER {
                    return Err(Errno::FBIG);
                }
                let grown = self.buf.len().saturating_mul(2).min(MAX_MEMBER);
                self.buf.resize(grown, 0);
            }
            let spare = self.buf.get_mut(filled..).unwrap_or_default();
            let n = retry(|| rustix::io::read(fd.as_fd(), &mut *spare))?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        drop(fd);
        Ok(self.buf.get(..filled).unwrap_or_default())
    }
}

/// What [`FileReader::read_untrusted`] found.
#[derive(Debug)]
pub enum Found<'a> {
    /// A regular file, read until EOF.
    File(&'a [u8]),
    /// A symbolic link (never followed), and its target.
    Link(Vec<u8>),
    /// A FIFO, socket or device: not opened.
    NotRegular,
}

impl FileReader {
    /// Reads `name` (relative to `dir`) in a copied tree: a regular file of at most `max` bytes (larger:
    /// `EFBIG`) is read until EOF; a symbolic link is returned as such; anything else is not opened.
    pub fn read_untrusted(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &str,
        max: u64,
    ) -> Result<Found<'_>, Errno> {
        let st = retry(|| rustix::fs::statat(dir, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW))?;
        match rustix::fs::FileType::from_raw_mode(st.st_mode as _) {
            rustix::fs::FileType::Symlink => return read_link(dir, name).map(Found::Link),
            rustix::fs::FileType::RegularFile => {}
            // What opening and reading it would have said.
            rustix::fs::FileType::Directory => return Err(Errno::ISDIR),
            _ => return Ok(Found::NotRegular),
        }
        if u64::try_from(st.st_size).unwrap_or(u64::MAX) > max.min(MAX_MEMBER as u64) {
            return Err(Errno::FBIG);
        }
        self.read_with(dir, name, OFlags::NOFOLLOW).map(Found::File)
    }
}

/// Error name recorded for a member of a copied tree that is a FIFO, socket or device where a regular
/// file was expected (it is never opened; a directory there is `EISDIR`, as reading it would say).
pub const NOT_REGULAR: &str = "not a regular file";

/// True when `path` is a live procfs (Linux: its filesystem type is `PROC_SUPER_MAGIC`, 0x9fa0 in
/// `include/uapi/linux/magic.h`). Elsewhere always false: a directory input is then read as a copy.
pub fn is_procfs(path: &std::path::Path) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        const PROC_SUPER_MAGIC: u64 = 0x9fa0;
        rustix::fs::statfs(path).is_ok_and(|s| s.f_type as u64 == PROC_SUPER_MAGIC)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = path;
        false
    }
}

/// `readlinkat`: the bytes of a symbolic link's target, exactly as the kernel returned them.
pub fn read_link(dir: BorrowedFd<'_>, name: &str) -> Result<Vec<u8>, Errno> {
    retry(|| rustix::fs::readlinkat(dir, name, Vec::new())).map(|c| c.into_bytes())
}

/// Lists directory `name` (relative to `dir`): every entry except `.` and `..`, in the order the kernel
/// returned them. Names that are not UTF-8 cannot be procfs entries we ask for and are left out.
pub fn list_dir(dir: BorrowedFd<'_>, name: &str) -> Result<Vec<String>, Errno> {
    let fd = open_dir(dir, name, false)?;
    let mut d = Dir::new(fd)?;
    let mut out = Vec::new();
    while let Some(entry) = d.read() {
        let entry = entry?;
        let bytes = entry.file_name().to_bytes();
        if bytes == b"." || bytes == b".." {
            continue;
        }
        if let Ok(s) = std::str::from_utf8(bytes) {
            out.push(s.to_owned());
        }
    }
    Ok(out)
}

fn retry<T>(mut f: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match f() {
            Err(Errno::INTR) => continue,
            r => return r,
        }
    }
}

/// True for the errors that mean "the process is gone": `ENOENT` and `ESRCH`.
pub fn is_gone(e: Errno) -> bool {
    e == Errno::NOENT || e == Errno::SRCH
}

/// The symbolic name of an errno value (`ENOENT`, `EACCES`, ...), as recorded in the manifest: from the
/// table of the system this binary runs on ([`Errnos::NATIVE`]); values without a name are written
/// `errno <n>`.
pub fn errno_name(e: Errno) -> Cow<'static, str> {
    Errnos::NATIVE.describe(e.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_names() {
        assert_eq!(errno_name(Errno::NOENT), "ENOENT");
        assert_eq!(errno_name(Errno::ACCESS), "EACCES");
        assert_eq!(
            errno_name(Errno::from_raw_os_error(4000)),
            "errno 4000".to_string()
        );
        assert!(is_gone(Errno::SRCH) && !is_gone(Errno::ACCESS));
    }
}
