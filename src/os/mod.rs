//! The only module allowed to use `unsafe`: memory-mapping an input file, on NetBSD the sysctl(3)
//! calls of the capture ([`native_sysctl`]), the periodic capture's signal handling, priority and cost
//! accounting ([`stop`]), and on Linux the ptrace(2) and process_vm_readv(2) calls of `gcore` (`ptrace`).
//! Also the creation of files that hold evidence ([`create_private`]).
//!
//! Mapping a file is `unsafe` in Rust because another process could change or truncate the file while it is
//! mapped, which would change bytes behind a `&[u8]`. procsift maps evidence files that it only reads; a
//! concurrent writer is outside its contract (the snapshot's SHA-256 hashes are how a changed file is
//! detected). Every other OS call goes through `rustix`, which is safe, except those rustix lacks, which live
//! here.
#![allow(unsafe_code)]

use std::fmt::Debug;
use std::fs::File;
use std::path::Path;

use memmap2::Mmap;
use rustix::io::Errno;

/// Maps `file` read-only. Empty files cannot be mapped on every OS, so callers handle length 0 first.
pub fn map_file(file: &File) -> std::io::Result<Mmap> {
    // SAFETY: the mapping is read-only and private to this process; see the module documentation for why
    // a concurrent writer to an evidence file is accepted as out of contract.
    unsafe { Mmap::map(file) }
}

/// Creates `path`, which must not exist, for reading and writing, readable and writable by its owner only
/// (mode 0600 whatever the umask: set again after the file is created). For every file that holds
/// evidence: archives, cores, reports and exports carry environments, command lines and memory, keys and
/// passwords included.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut o = File::options();
    o.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        o.mode(0o600);
        let file = o.open(path)?;
        if let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(0o600)) {
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        o.open(path)
    }
}

/// Maps `file` read-only, as [`map_file`], for reads that touch scattered parts of it (a snapshot
/// archive read through its member index): the kernel is told so (`MADV_RANDOM`), so that it reads
/// ahead no pages it was not asked for. (Where that advice is not taken, the map is as good.)
pub fn map_file_scattered(file: &File) -> std::io::Result<Mmap> {
    let map = map_file(file)?;
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Random);
    Ok(map)
}

#[cfg(target_os = "netbsd")]
pub mod netbsd;

#[cfg(unix)]
pub mod stop;

#[cfg(target_os = "linux")]
pub mod ptrace;

#[cfg(target_os = "linux")]
pub mod uring;

/// sysctl(3) as the capture's NetBSD plan needs it. Implemented by
/// `netbsd::LibcSysctl` on NetBSD, and by fakes in tests. It lives here, beside the system's own, so that
/// `os` depends on no layer above it.
pub trait Sysctl: Send + Sync + Debug + 'static {
    /// Reads the node `mib`. With `buf` `None` (`oldp` NULL) returns the size the answer needs; with a
    /// buffer, fills it and returns the bytes written, or fails with `ENOMEM` when the answer did not
    /// fit (the bytes that did are then in the buffer, and are not used).
    fn read(&self, mib: &[i32], buf: Option<&mut [u8]>) -> Result<usize, Errno>;
    /// `sysctlnametomib(3)`: the MIB of a node named like `net.inet.tcp.pcblist`.
    fn name_to_mib(&self, name: &str) -> Result<Vec<i32>, Errno>;
}

/// The system's sysctl(3), for the NetBSD capture plan: `Some` only in NetBSD builds
/// (`netbsd::LibcSysctl`); elsewhere `None`, and tests give the plan a fake.
pub fn native_sysctl() -> Option<std::sync::Arc<dyn Sysctl>> {
    #[cfg(target_os = "netbsd")]
    {
        Some(std::sync::Arc::new(netbsd::LibcSysctl))
    }
    #[cfg(not(target_os = "netbsd"))]
    {
        None
    }
}
