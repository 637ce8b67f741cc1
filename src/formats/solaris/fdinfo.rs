//! `prfdinfo_core_t` (NT_FDINFO 22 on illumos; identical to the pre-2020 `/proc/<pid>/fdinfo/<fd>`
//! `prfdinfo_t`) from `sys/procfs.h`: 1088 bytes, the same offsets in every data model.
//!
//! Oracle Solaris 11 numbers note 22 `NT_PRCPUXREG` instead: check the payload size (always 1088 here).

use super::error::{DecodeError, view};
use super::types::c_string;
use zerocopy::byteorder::{ByteOrder, I32, I64, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// Raw `prfdinfo_core_t`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPrfdinfoCore<O: ByteOrder> {
    pub pr_fd: I32<O>,
    pub pr_mode: U32<O>,
    pub pr_uid: U32<O>,
    pub pr_gid: U32<O>,
    pub pr_major: U32<O>,
    pub pr_minor: U32<O>,
    pub pr_rmajor: U32<O>,
    pub pr_rminor: U32<O>,
    pub pr_ino: U64<O>,
    pub pr_offset: I64<O>,
    pub pr_size: I64<O>,
    pub pr_fileflags: I32<O>,
    pub pr_fdflags: I32<O>,
    pub pr_path: [u8; 1024],
}

const _: () = {
    assert!(size_of::<RawPrfdinfoCore<zerocopy::LittleEndian>>() == 1088);
    assert!(size_of::<RawPrfdinfoCore<zerocopy::BigEndian>>() == 1088);
};

/// Size of `prfdinfo_core_t`.
pub const PRFDINFO_CORE_SIZE: usize = 1088;

/// One open file descriptor: `prfdinfo_core_t` of `sys/procfs.h`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FdInfo {
    /// `pr_fd`: file descriptor number.
    pub fd: i32,
    /// `pr_mode`: (see st_mode in stat(2)).
    pub mode: u32,
    /// `pr_uid`: owner uid.
    pub uid: u32,
    /// `pr_gid`: owner gid.
    pub gid: u32,
    /// `pr_major`: major number of the device containing the file.
    pub major: u32,
    /// `pr_minor`: minor number of the device containing the file.
    pub minor: u32,
    /// `pr_rmajor`: major number (if special file).
    pub rmajor: u32,
    /// `pr_rminor`: minor number (if special file).
    pub rminor: u32,
    /// `pr_ino`: inode number.
    pub ino: u64,
    /// `pr_offset`: current offset of the file descriptor.
    pub offset: i64,
    /// `pr_size`: file size.
    pub size: i64,
    /// `pr_fileflags`: fcntl(F_GETXFL) flags, `O_*`.
    pub fileflags: i32,
    /// `pr_fdflags`: fcntl(F_GETFD) flags, `FD_CLOEXEC`.
    pub fdflags: i32,
    /// `pr_path[MAXPATHLEN]`: path, if known (NUL-trimmed).
    pub path: Vec<u8>,
}

pub(crate) fn fdinfo<O: ByteOrder>(bytes: &[u8]) -> Result<FdInfo, DecodeError> {
    let r = view::<RawPrfdinfoCore<O>>(bytes, "prfdinfo_core_t", 0)?;
    Ok(FdInfo {
        fd: r.pr_fd.get(),
        mode: r.pr_mode.get(),
        uid: r.pr_uid.get(),
        gid: r.pr_gid.get(),
        major: r.pr_major.get(),
        minor: r.pr_minor.get(),
        rmajor: r.pr_rmajor.get(),
        rminor: r.pr_rminor.get(),
        ino: r.pr_ino.get(),
        offset: r.pr_offset.get(),
        size: r.pr_size.get(),
        fileflags: r.pr_fileflags.get(),
        fdflags: r.pr_fdflags.get(),
        path: c_string(&r.pr_path).to_vec(),
    })
}
