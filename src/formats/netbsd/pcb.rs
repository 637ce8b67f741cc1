//! `struct kinfo_pcb` (`sys/sys/socket.h`), the records of the `net.inet.tcp.pcblist`,
//! `net.inet6.tcp6.pcblist`, `net.inet.udp.pcblist`, `net.inet6.udp6.pcblist`, `net.local.stream.pcblist`
//! and `net.local.dgram.pcblist` nodes: 640 bytes on every NetBSD architecture, in the host's byte order.
//!
//! Field offsets: layouts.md §2.2 / `layouts-json/netbsd/*.json`, and the libc crate's `kinfo_pcb`
//! (rust-lang/libc `src/new/netbsd/sys/socket.rs`, b15d3d5c40b0d346054c7ef85de86ceeedb19aca: `ki_s` and
//! `ki_d` are unions of `struct sockaddr` with `char[256 + 8]`). The test below checks every offset.
//!
//! The addresses are BSD `struct sockaddr`s, decoded by [`crate::formats::sockaddr::bsd`].

use zerocopy::byteorder::{ByteOrder, I32, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use crate::abi::Endianness;
use crate::formats::sockaddr;
pub use crate::formats::sockaddr::SockAddr;

/// Raw `struct kinfo_pcb`, fields in header order; `ki_s`/`ki_d` as their 264 bytes.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawKinfoPcb<O: ByteOrder> {
    pub ki_pcbaddr: U64<O>,
    pub ki_ppcbaddr: U64<O>,
    pub ki_sockaddr: U64<O>,
    pub ki_family: U32<O>,
    pub ki_type: U32<O>,
    pub ki_protocol: U32<O>,
    pub ki_pflags: U32<O>,
    pub ki_sostate: U32<O>,
    pub ki_prstate: U32<O>,
    pub ki_tstate: I32<O>,
    pub ki_tflags: U32<O>,
    pub ki_rcvq: U64<O>,
    pub ki_sndq: U64<O>,
    pub ki_s: [u8; 264],
    pub ki_d: [u8; 264],
    pub ki_inode: U64<O>,
    pub ki_vnode: U64<O>,
    pub ki_conn: U64<O>,
    pub ki_refs: U64<O>,
    pub ki_nextref: U64<O>,
}
const _: () = assert!(size_of::<RawKinfoPcb<zerocopy::LittleEndian>>() == super::KINFO_PCB_SIZE);
const _: () = assert!(size_of::<RawKinfoPcb<zerocopy::BigEndian>>() == super::KINFO_PCB_SIZE);

/// `AF_LOCAL` (`AF_UNIX`) on NetBSD (`sys/sys/socket.h`).
pub const AF_LOCAL: u32 = 1;
/// `AF_INET`.
pub const AF_INET: u32 = 2;
/// `AF_INET6` on NetBSD (24; Linux uses 10).
pub const AF_INET6: u32 = 24;

/// A `ki_s` or `ki_d` address: a BSD `struct sockaddr` ([`sockaddr::bsd`]) in the 264 bytes of its union.
fn parse(b: &[u8; 264], endian: Endianness) -> SockAddr {
    // 264 bytes hold every family's structure.
    sockaddr::bsd(b, sockaddr::AF_INET6_NETBSD, endian).unwrap_or(SockAddr::Unspec)
}

/// One protocol control block as a pcblist describes it: `struct kinfo_pcb` of `sys/sys/socket.h`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KinfoPcb {
    /// `ki_pcbaddr`: kernel address of the PCB.
    pub pcbaddr: u64,
    /// `ki_ppcbaddr`: kernel address of the protocol's PCB (`struct tcpcb`, ...).
    pub ppcbaddr: u64,
    /// `ki_sockaddr`: kernel address of the `struct socket`: equal to `kinfo_file.ki_fdata` of every
    /// descriptor open on it (the join sockstat(1) makes).
    pub sockaddr: u64,
    /// `ki_family`: address family (`AF_LOCAL` 1, `AF_INET` 2, `AF_INET6` 24).
    pub family: u32,
    /// `ki_type`: socket type (`SOCK_STREAM` 1, `SOCK_DGRAM` 2, `SOCK_RAW` 3, `SOCK_SEQPACKET` 5).
    pub sock_type: u32,
    /// `ki_protocol`: protocol number (`IPPROTO_TCP` 6, `IPPROTO_UDP` 17, 0 for local).
    pub protocol: u32,
    /// `ki_pflags`: generic protocol flags.
    pub pflags: u32,
    /// `ki_sostate`: socket state (`SS_ISCONNECTED` 0x2, ...).
    pub sostate: u32,
    /// `ki_prstate`: protocol state.
    pub prstate: u32,
    /// `ki_tstate`: TCP state (`TCPS_*` of `netinet/tcp_fsm.h`: `CLOSED` 0, `LISTEN` 1, ..., `TIME_WAIT`
    /// 10).
    pub tstate: i32,
    /// `ki_tflags`: TCP flags.
    pub tflags: u32,
    /// `ki_rcvq`: bytes in the receive queue.
    pub rcvq: u64,
    /// `ki_sndq`: bytes in the send queue.
    pub sndq: u64,
    /// `ki_s` (`ki_src`): the local address.
    pub local: SockAddr,
    /// `ki_d` (`ki_dst`): the foreign address (for a connected local socket, the peer's bound path).
    pub remote: SockAddr,
    /// `ki_inode`: for local sockets bound to a path, the file's inode number.
    pub inode: u64,
    /// `ki_vnode`: for local sockets bound to a path, the vnode address.
    pub vnode: u64,
    /// `ki_conn`: for connected local sockets, the peer's control block address.
    pub conn: u64,
    /// `ki_refs`: for local sockets, the first control block connected to this one.
    pub refs: u64,
    /// `ki_nextref`: for local sockets, the next control block connected to the same one.
    pub nextref: u64,
}

impl KinfoPcb {
    pub(crate) fn from_raw<O: ByteOrder>(r: &RawKinfoPcb<O>, endian: Endianness) -> Self {
        KinfoPcb {
            pcbaddr: r.ki_pcbaddr.get(),
            ppcbaddr: r.ki_ppcbaddr.get(),
            sockaddr: r.ki_sockaddr.get(),
            family: r.ki_family.get(),
            sock_type: r.ki_type.get(),
            protocol: r.ki_protocol.get(),
            pflags: r.ki_pflags.get(),
            sostate: r.ki_sostate.get(),
            prstate: r.ki_prstate.get(),
            tstate: r.ki_tstate.get(),
            tflags: r.ki_tflags.get(),
            rcvq: r.ki_rcvq.get(),
            sndq: r.ki_sndq.get(),
            local: parse(&r.ki_s, endian),
            remote: parse(&r.ki_d, endian),
            inode: r.ki_inode.get(),
            vnode: r.ki_vnode.get(),
            conn: r.ki_conn.get(),
            refs: r.ki_refs.get(),
            nextref: r.ki_nextref.get(),
        }
    }
}

/// The name of a `TCPS_*` state (`netinet/tcp_fsm.h`), as netstat(1) prints it.
pub fn tcp_state_name(state: i32) -> Option<&'static str> {
    const NAMES: [&str; 11] = [
        "CLOSED",
        "LISTEN",
        "SYN_SENT",
        "SYN_RCVD",
        "ESTABLISHED",
        "CLOSE_WAIT",
        "FIN_WAIT_1",
        "CLOSING",
        "LAST_ACK",
        "FIN_WAIT_2",
        "TIME_WAIT",
    ];
    usize::try_from(state)
        .ok()
        .and_then(|i| NAMES.get(i).copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;
    use std::net::Ipv4Addr;

    /// Every field's offset, as layouts-json/netbsd/*.json and the libc crate give it.
    #[test]
    fn offsets_match_the_reference_layout() {
        type R = RawKinfoPcb<zerocopy::BigEndian>;
        let got: &[(&str, usize, usize)] = &super::super::offsets!(
            R,
            (ki_pcbaddr, 0),
            (ki_ppcbaddr, 8),
            (ki_sockaddr, 16),
            (ki_family, 24),
            (ki_type, 28),
            (ki_protocol, 32),
            (ki_pflags, 36),
            (ki_sostate, 40),
            (ki_prstate, 44),
            (ki_tstate, 48),
            (ki_tflags, 52),
            (ki_rcvq, 56),
            (ki_sndq, 64),
            (ki_s, 72),
            (ki_d, 336),
            (ki_inode, 600),
            (ki_vnode, 608),
            (ki_conn, 616),
            (ki_refs, 624),
            (ki_nextref, 632)
        );
        for (name, have, want) in got {
            assert_eq!(have, want, "kinfo_pcb.{name}");
        }
    }

    #[test]
    fn sockaddrs() {
        let mut b = [0u8; 264];
        b[..8].copy_from_slice(&[16, 2, 0x1f, 0x90, 127, 0, 0, 1]);
        assert_eq!(
            parse(&b, Endianness::Big),
            SockAddr::Inet {
                addr: Ipv4Addr::LOCALHOST,
                port: 8080
            }
        );
        let mut u = [0u8; 264];
        u[0] = 2 + 8;
        u[1] = 1;
        u[2..10].copy_from_slice(b"/tmp/s\0x");
        assert_eq!(
            parse(&u, Endianness::Little),
            SockAddr::Local {
                path: b"/tmp/s".to_vec()
            }
        );
        assert_eq!(parse(&[0; 264], Endianness::Little), SockAddr::Unspec);
        assert_eq!(tcp_state_name(1), Some("LISTEN"));
        assert_eq!(tcp_state_name(11), None);
    }
}
