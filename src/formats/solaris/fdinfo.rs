//! Open files, from `sys/procfs.h` (illumos-gate `usr/src/uts/common/sys/procfs.h`, 2020 and later):
//!
//! * `prfdinfo_core_t`: `NT_FDINFO` (22) notes of illumos cores (the structure was named `prfdinfo_t`
//!   before 2020, when it was only in cores): 1088 bytes, the same offsets in every data model. Oracle
//!   Solaris 11 numbers note 22 `NT_PRCPUXREG` instead: check the payload size (always 1088 here).
//! * `prfdinfo_t`: `/proc/<pid>/fdinfo/<fd>` (illumos since 2020, the layout of Oracle Solaris 11.4's):
//!   196 fixed bytes, the same offsets in every data model (`sizeof` is 200 on amd64, sparc and sparcv9
//!   only by tail padding), then from offset 196 (`pr_misc`) self-describing items, each a
//!   `pr_misc_header_t` (`pr_misc_size`: header plus data, rounded up to 4 by `PRFDINFO_ROUNDUP`;
//!   `pr_misc_type`) and its data, until a header whose size is 0. The file is as long as the kernel made
//!   it (libproc's `proc_fdinfowalk()` walks it the same way).

use super::error::{DecodeError, DecodeErrorKind, Lenient, view};
use super::types::c_string;
use crate::abi::Endianness;
use crate::formats::sockaddr::{self, SockAddr};
use zerocopy::byteorder::{ByteOrder, I16, I32, I64, U32, U64};
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

/// Raw `prfdinfo_t` up to `pr_misc` (196 bytes; `pr_locktype` is followed by 2 bytes of padding).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPrfdinfo<O: ByteOrder> {
    pub pr_fd: I32<O>,
    pub pr_mode: U32<O>,
    pub pr_ino: U64<O>,
    pub pr_size: I64<O>,
    pub pr_offset: I64<O>,
    pub pr_uid: U32<O>,
    pub pr_gid: U32<O>,
    pub pr_major: U32<O>,
    pub pr_minor: U32<O>,
    pub pr_rmajor: U32<O>,
    pub pr_rminor: U32<O>,
    pub pr_fileflags: I32<O>,
    pub pr_fdflags: I32<O>,
    pub pr_locktype: I16<O>,
    pub _pad0: [u8; 2],
    pub pr_lockpid: I32<O>,
    pub pr_locksysid: I32<O>,
    pub pr_peerpid: I32<O>,
    pub pr_filler: [u8; 100],
    pub pr_peername: [u8; 16],
}

/// `offsetof (prfdinfo_t, pr_misc)`: where the items start.
pub const PRFDINFO_MISC_OFFSET: usize = 196;

const _: () = {
    assert!(size_of::<RawPrfdinfo<zerocopy::LittleEndian>>() == PRFDINFO_MISC_OFFSET);
    assert!(size_of::<RawPrfdinfo<zerocopy::BigEndian>>() == PRFDINFO_MISC_OFFSET);
};

/// Raw `pr_misc_header_t`: 8 bytes.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawPrMiscHeader<O: ByteOrder> {
    pub pr_misc_size: U32<O>,
    pub pr_misc_type: U32<O>,
}

/// `enum PR_MISC_TYPES` (`sys/procfs.h`); the gaps keep Oracle Solaris's numbers.
pub mod misc {
    /// `PR_PATHNAME`: the path, NUL-terminated.
    pub const PATHNAME: u32 = 0;
    /// `PR_SOCKETNAME`: the socket's own address (`struct sockaddr`, getsockname).
    pub const SOCKETNAME: u32 = 1;
    /// `PR_PEERSOCKNAME`: the peer's address (getpeername).
    pub const PEERSOCKNAME: u32 = 2;
    /// `PR_SOCKOPTS_BOOL_OPTS`: `prsockopts_bool_opts_t`, the boolean options as `PR_SO_*` bits.
    pub const SOCKOPTS_BOOL_OPTS: u32 = 3;
    /// `PR_SOCKOPT_LINGER`: `struct linger`.
    pub const SOCKOPT_LINGER: u32 = 4;
    /// `PR_SOCKOPT_SNDBUF`: `int`.
    pub const SOCKOPT_SNDBUF: u32 = 5;
    /// `PR_SOCKOPT_RCVBUF`: `int`.
    pub const SOCKOPT_RCVBUF: u32 = 6;
    /// `PR_SOCKOPT_IP_NEXTHOP`: `in_addr_t`.
    pub const SOCKOPT_IP_NEXTHOP: u32 = 7;
    /// `PR_SOCKOPT_IPV6_NEXTHOP`: `struct sockaddr_in6`.
    pub const SOCKOPT_IPV6_NEXTHOP: u32 = 8;
    /// `PR_SOCKOPT_TYPE`: `int`, the socket type (`SOCK_DGRAM` 1, `SOCK_STREAM` 2, `SOCK_RAW` 4,
    /// `SOCK_SEQPACKET` 6 on Solaris and illumos).
    pub const SOCKOPT_TYPE: u32 = 9;
    /// `PR_SOCKOPT_TCP_CONGESTION`: the congestion algorithm's name, NUL-terminated.
    pub const SOCKOPT_TCP_CONGESTION: u32 = 11;
    /// `PR_SOCKFILTERS_PRIV`: socket filters, not decoded.
    pub const SOCKFILTERS_PRIV: u32 = 14;
}

/// `PR_SO_ACCEPTCONN`: the socket is listening (`prsockopts_bool_opts_t` bit 13).
pub const PR_SO_ACCEPTCONN: u32 = 1 << 13;

/// One open file descriptor as `/proc/<pid>/fdinfo/<fd>` describes it: `prfdinfo_t` of `sys/procfs.h`
/// and the `pr_misc` items procsift decodes.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Prfdinfo {
    /// `pr_fd`: file descriptor number.
    pub fd: i32,
    /// `pr_mode`: file type and permissions (see `st_mode` in stat(2)).
    pub mode: u32,
    /// `pr_ino`: inode number.
    pub ino: u64,
    /// `pr_size`: file size.
    pub size: i64,
    /// `pr_offset`: current offset of the descriptor (-1 when it has none).
    pub offset: i64,
    /// `pr_uid`: owner's user id.
    pub uid: u32,
    /// `pr_gid`: owner's group id.
    pub gid: u32,
    /// `pr_major`: major number of the device containing the file.
    pub major: u32,
    /// `pr_minor`: minor number of the device containing the file.
    pub minor: u32,
    /// `pr_rmajor`: major number (special files).
    pub rmajor: u32,
    /// `pr_rminor`: minor number (special files).
    pub rminor: u32,
    /// `pr_fileflags`: `fcntl(F_GETXFL)` flags, `O_*` (-1 when unknown).
    pub fileflags: i32,
    /// `pr_fdflags`: `fcntl(F_GETFD)` flags (`FD_CLOEXEC` 1; -1 when unknown).
    pub fdflags: i32,
    /// `pr_locktype`: `F_RDLCK` 1, `F_WRLCK` 2, `F_UNLCK` 3 (no lock), as `F_GETLK` reports it.
    pub locktype: i16,
    /// `pr_lockpid`: the process holding the lock.
    pub lockpid: i32,
    /// `pr_locksysid`: the system id of the locking process.
    pub locksysid: i32,
    /// `pr_peerpid`: the peer process of a socket, door or FIFO (-1 when none is known).
    pub peerpid: i32,
    /// `pr_peername`: that peer's command name (NUL-trimmed).
    pub peername: Vec<u8>,
    /// `PR_PATHNAME` item: the path (NUL-trimmed), when the kernel knows one.
    pub path: Option<Vec<u8>>,
    /// `PR_SOCKETNAME` item: the socket's own address.
    pub sockname: Option<SockAddr>,
    /// `PR_PEERSOCKNAME` item: the connected peer's address.
    pub peersockname: Option<SockAddr>,
    /// `PR_SOCKOPT_TYPE` item: the socket type.
    pub sock_type: Option<i32>,
    /// `PR_SOCKOPTS_BOOL_OPTS` item: `PR_SO_*` bits (`PR_SO_ACCEPTCONN` 0x2000: listening).
    pub sockopts: Option<u32>,
    /// `PR_SOCKOPT_SNDBUF` item: the send buffer size.
    pub sndbuf: Option<i32>,
    /// `PR_SOCKOPT_RCVBUF` item: the receive buffer size.
    pub rcvbuf: Option<i32>,
    /// `PR_SOCKOPT_TCP_CONGESTION` item: the TCP congestion algorithm (NUL-trimmed).
    pub tcp_congestion: Option<Vec<u8>>,
}

/// Decodes `/proc/<pid>/fdinfo/<fd>` in byte order `O` (`endian` at run time, for the addresses). A
/// damaged item list (an item that cannot hold its header or runs past the end, no terminator) keeps the
/// items before it, with a warning at the item's offset.
pub(crate) fn prfdinfo<O: ByteOrder>(
    bytes: &[u8],
    endian: Endianness,
) -> Result<Lenient<Prfdinfo>, DecodeError> {
    let r = view::<RawPrfdinfo<O>>(bytes, "prfdinfo_t", 0)?;
    let mut f = Prfdinfo {
        fd: r.pr_fd.get(),
        mode: r.pr_mode.get(),
        ino: r.pr_ino.get(),
        size: r.pr_size.get(),
        offset: r.pr_offset.get(),
        uid: r.pr_uid.get(),
        gid: r.pr_gid.get(),
        major: r.pr_major.get(),
        minor: r.pr_minor.get(),
        rmajor: r.pr_rmajor.get(),
        rminor: r.pr_rminor.get(),
        fileflags: r.pr_fileflags.get(),
        fdflags: r.pr_fdflags.get(),
        locktype: r.pr_locktype.get(),
        lockpid: r.pr_lockpid.get(),
        locksysid: r.pr_locksysid.get(),
        peerpid: r.pr_peerpid.get(),
        peername: c_string(&r.pr_peername).to_vec(),
        ..Prfdinfo::default()
    };
    let header = size_of::<RawPrMiscHeader<O>>();
    let mut at = PRFDINFO_MISC_OFFSET;
    // Every item takes at least its 8-byte header, so the walk ends within len / 8 steps.
    let warning = loop {
        let Some(rest) = bytes.get(at..).filter(|r| !r.is_empty()) else {
            break Some(DecodeError::new(
                "pr_misc",
                at,
                DecodeErrorKind::Unterminated {
                    what: "pr_misc_header_t",
                },
            ));
        };
        let Ok((h, _)) = RawPrMiscHeader::<O>::ref_from_prefix(rest) else {
            break Some(DecodeError::truncated(
                "pr_misc_header_t",
                at,
                header,
                rest.len(),
            ));
        };
        let size = h.pr_misc_size.get();
        if size == 0 {
            break None;
        }
        let Some(len) = usize::try_from(size).ok().filter(|s| *s >= header) else {
            break Some(DecodeError::new(
                "pr_misc_header_t",
                at,
                DecodeErrorKind::ItemTooSmall {
                    field: "pr_misc_size",
                    value: u64::from(size),
                    min: header,
                },
            ));
        };
        let Some(item) = rest.get(header..len) else {
            break Some(DecodeError::truncated("pr_misc", at, len, rest.len()));
        };
        let int = || I32::<O>::read_from_prefix(item).ok().map(|(v, _)| v.get());
        match h.pr_misc_type.get() {
            misc::PATHNAME => f.path = Some(c_string(item).to_vec()),
            misc::SOCKETNAME => f.sockname = sockaddr::solaris(item, endian),
            misc::PEERSOCKNAME => f.peersockname = sockaddr::solaris(item, endian),
            misc::SOCKOPT_TYPE => f.sock_type = int(),
            misc::SOCKOPTS_BOOL_OPTS => {
                f.sockopts = U32::<O>::read_from_prefix(item).ok().map(|(v, _)| v.get())
            }
            misc::SOCKOPT_SNDBUF => f.sndbuf = int(),
            misc::SOCKOPT_RCVBUF => f.rcvbuf = int(),
            misc::SOCKOPT_TCP_CONGESTION => f.tcp_congestion = Some(c_string(item).to_vec()),
            _ => {}
        }
        at += len;
    };
    Ok(Lenient { value: f, warning })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    /// The offsets of layouts.md's `prfdinfo_t` table (the same in all four models).
    #[test]
    fn prfdinfo_offsets_match_the_reference_layout() {
        type R = RawPrfdinfo<zerocopy::BigEndian>;
        for (name, have, want) in [
            ("pr_fd", offset_of!(R, pr_fd), 0),
            ("pr_mode", offset_of!(R, pr_mode), 4),
            ("pr_ino", offset_of!(R, pr_ino), 8),
            ("pr_size", offset_of!(R, pr_size), 16),
            ("pr_offset", offset_of!(R, pr_offset), 24),
            ("pr_uid", offset_of!(R, pr_uid), 32),
            ("pr_gid", offset_of!(R, pr_gid), 36),
            ("pr_major", offset_of!(R, pr_major), 40),
            ("pr_minor", offset_of!(R, pr_minor), 44),
            ("pr_rmajor", offset_of!(R, pr_rmajor), 48),
            ("pr_rminor", offset_of!(R, pr_rminor), 52),
            ("pr_fileflags", offset_of!(R, pr_fileflags), 56),
            ("pr_fdflags", offset_of!(R, pr_fdflags), 60),
            ("pr_locktype", offset_of!(R, pr_locktype), 64),
            ("pr_lockpid", offset_of!(R, pr_lockpid), 68),
            ("pr_locksysid", offset_of!(R, pr_locksysid), 72),
            ("pr_peerpid", offset_of!(R, pr_peerpid), 76),
            ("pr_filler", offset_of!(R, pr_filler), 80),
            ("pr_peername", offset_of!(R, pr_peername), 180),
        ] {
            assert_eq!(have, want, "prfdinfo_t.{name}");
        }
    }
}
