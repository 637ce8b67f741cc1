//! `struct kinfo_file` (`sys/sys/sysctl.h`), the records of `KERN_FILE2`: 120 bytes on every NetBSD
//! architecture, in the host's byte order.
//!
//! Field offsets: layouts.md §2.2 / `layouts-json/netbsd/*.json`, and the libc crate's `kinfo_file`
//! (rust-lang/libc `src/unix/bsd/netbsdlike/netbsd/mod.rs`, 5494238c472339f532810281adadd7f98ef72c7e).
//! The test below checks every offset.

use zerocopy::byteorder::{ByteOrder, I32, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

/// Raw `struct kinfo_file`, fields in header order.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawKinfoFile<O: ByteOrder> {
    pub ki_fileaddr: U64<O>,
    pub ki_flag: U32<O>,
    pub ki_iflags: U32<O>,
    pub ki_ftype: U32<O>,
    pub ki_count: U32<O>,
    pub ki_msgcount: U32<O>,
    pub ki_usecount: U32<O>,
    pub ki_fucred: U64<O>,
    pub ki_fuid: U32<O>,
    pub ki_fgid: U32<O>,
    pub ki_fops: U64<O>,
    pub ki_foffset: U64<O>,
    pub ki_fdata: U64<O>,
    pub ki_vun: U64<O>,
    pub ki_vsize: U64<O>,
    pub ki_vtype: U32<O>,
    pub ki_vtag: U32<O>,
    pub ki_vdata: U64<O>,
    pub ki_pid: U32<O>,
    pub ki_fd: I32<O>,
    pub ki_ofileflags: U32<O>,
    pub _ki_padto64bits: U32<O>,
}
const _: () = assert!(size_of::<RawKinfoFile<zerocopy::LittleEndian>>() == super::KINFO_FILE_SIZE);
const _: () = assert!(size_of::<RawKinfoFile<zerocopy::BigEndian>>() == super::KINFO_FILE_SIZE);

/// `ki_ftype` values (`DTYPE_*`, `sys/sys/file.h`).
pub mod dtype {
    /// `DTYPE_VNODE`: a file (`ki_vtype` says which kind).
    pub const VNODE: u32 = 1;
    /// `DTYPE_SOCKET`: a socket; `ki_fdata` is the `struct socket` address.
    pub const SOCKET: u32 = 2;
    /// `DTYPE_PIPE`.
    pub const PIPE: u32 = 3;
    /// `DTYPE_KQUEUE`.
    pub const KQUEUE: u32 = 4;
    /// `DTYPE_MISC`.
    pub const MISC: u32 = 5;
    /// `DTYPE_CRYPTO`.
    pub const CRYPTO: u32 = 6;
    /// `DTYPE_MQUEUE`.
    pub const MQUEUE: u32 = 7;
    /// `DTYPE_SEM`.
    pub const SEM: u32 = 8;
    /// `DTYPE_EVENTFD`.
    pub const EVENTFD: u32 = 9;
    /// `DTYPE_TIMERFD`.
    pub const TIMERFD: u32 = 10;
}

/// `ki_vtype` values (`enum vtype`, `sys/sys/vnode.h`).
pub mod vtype {
    /// `VREG`: regular file.
    pub const VREG: u32 = 1;
    /// `VDIR`: directory.
    pub const VDIR: u32 = 2;
    /// `VBLK`: block device.
    pub const VBLK: u32 = 3;
    /// `VCHR`: character device.
    pub const VCHR: u32 = 4;
    /// `VLNK`: symbolic link.
    pub const VLNK: u32 = 5;
    /// `VSOCK`: socket.
    pub const VSOCK: u32 = 6;
    /// `VFIFO`: named pipe.
    pub const VFIFO: u32 = 7;
}

/// One open file as `KERN_FILE2` describes it: `struct kinfo_file` of `sys/sys/sysctl.h`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KinfoFile {
    /// `ki_fileaddr`: kernel address of the `struct file`.
    pub fileaddr: u64,
    /// `ki_flag`: `f_flag`, open flags (`FREAD` 0x1, `FWRITE` 0x2, `O_NONBLOCK` 0x4, `O_APPEND` 0x8, ...;
    /// `sys/fcntl.h`).
    pub flag: u32,
    /// `ki_iflags`: internal flags.
    pub iflags: u32,
    /// `ki_ftype`: descriptor type ([`dtype`]).
    pub ftype: u32,
    /// `ki_count`: reference count.
    pub count: u32,
    /// `ki_msgcount`: references from message queues.
    pub msgcount: u32,
    /// `ki_usecount`: active users.
    pub usecount: u32,
    /// `ki_fuid`: user id of the descriptor's credentials (who opened it).
    pub fuid: u32,
    /// `ki_fgid`: group id of the descriptor's credentials.
    pub fgid: u32,
    /// `ki_foffset`: file offset.
    pub foffset: u64,
    /// `ki_fdata`: descriptor data: for a socket the `struct socket` address, the value a pcblist
    /// record's `ki_sockaddr` holds.
    pub fdata: u64,
    /// `ki_vun`: vnode's socket, specinfo, ... address.
    pub vun: u64,
    /// `ki_vsize`: size of the file.
    pub vsize: u64,
    /// `ki_vtype`: vnode type ([`vtype`]).
    pub vtype: u32,
    /// `ki_vtag`: type of the underlying file system data.
    pub vtag: u32,
    /// `ki_vdata`: file system private data address.
    pub vdata: u64,
    /// `ki_pid`: process id (`KERN_FILE_BYPID`).
    pub pid: u32,
    /// `ki_fd`: descriptor number (`KERN_FILE_BYPID`).
    pub fd: i32,
    /// `ki_ofileflags`: per-descriptor flags (`FD_CLOEXEC` 0x1).
    pub ofileflags: u32,
}

impl KinfoFile {
    pub(crate) fn from_raw<O: ByteOrder>(r: &RawKinfoFile<O>) -> Self {
        KinfoFile {
            fileaddr: r.ki_fileaddr.get(),
            flag: r.ki_flag.get(),
            iflags: r.ki_iflags.get(),
            ftype: r.ki_ftype.get(),
            count: r.ki_count.get(),
            msgcount: r.ki_msgcount.get(),
            usecount: r.ki_usecount.get(),
            fuid: r.ki_fuid.get(),
            fgid: r.ki_fgid.get(),
            foffset: r.ki_foffset.get(),
            fdata: r.ki_fdata.get(),
            vun: r.ki_vun.get(),
            vsize: r.ki_vsize.get(),
            vtype: r.ki_vtype.get(),
            vtag: r.ki_vtag.get(),
            vdata: r.ki_vdata.get(),
            pid: r.ki_pid.get(),
            fd: r.ki_fd.get(),
            ofileflags: r.ki_ofileflags.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    /// Every field's offset, as layouts-json/netbsd/*.json and the libc crate give it.
    #[test]
    fn offsets_match_the_reference_layout() {
        type R = RawKinfoFile<zerocopy::LittleEndian>;
        let got: &[(&str, usize, usize)] = &super::super::offsets!(
            R,
            (ki_fileaddr, 0),
            (ki_flag, 8),
            (ki_iflags, 12),
            (ki_ftype, 16),
            (ki_count, 20),
            (ki_msgcount, 24),
            (ki_usecount, 28),
            (ki_fucred, 32),
            (ki_fuid, 40),
            (ki_fgid, 44),
            (ki_fops, 48),
            (ki_foffset, 56),
            (ki_fdata, 64),
            (ki_vun, 72),
            (ki_vsize, 80),
            (ki_vtype, 88),
            (ki_vtag, 92),
            (ki_vdata, 96),
            (ki_pid, 104),
            (ki_fd, 108),
            (ki_ofileflags, 112),
            (_ki_padto64bits, 116)
        );
        for (name, have, want) in got {
            assert_eq!(have, want, "kinfo_file.{name}");
        }
    }
}
