//! Socket addresses as the kernels store them in their records: the BSD `struct sockaddr` family (one
//! length byte, one family byte: NetBSD `kinfo_pcb.ki_s`/`ki_d`, FreeBSD `kinfo_file.kf_sa_local`/
//! `kf_sa_peer`) and the Solaris/illumos one (a 16-bit family in host byte order, no length: the
//! `PR_SOCKETNAME`/`PR_PEERSOCKNAME` items of `/proc/<pid>/fdinfo/<n>`).
//!
//! Sources: NetBSD and FreeBSD `sys/sys/socket.h` (`struct sockaddr`), `sys/netinet/in.h`
//! (`struct sockaddr_in`), `sys/netinet6/in6.h` (`struct sockaddr_in6`), `sys/sys/un.h`
//! (`struct sockaddr_un`); illumos `usr/src/uts/common/sys/socket_impl.h`, `netinet/in.h`, `sys/un.h`.
//! Ports and IP addresses are in network byte order on every system; `sin6_scope_id` and the Solaris
//! family in the host's.

use std::net::{Ipv4Addr, Ipv6Addr};

use zerocopy::byteorder::{BigEndian, ByteOrder, U16, U32};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use crate::abi::{Endianness, with_byte_order};

/// `AF_UNIX` / `AF_LOCAL`: 1 on every system here.
pub const AF_LOCAL: u16 = 1;
/// `AF_INET`: 2 on every system here.
pub const AF_INET: u16 = 2;
/// `AF_INET6` of NetBSD (`sys/sys/socket.h`).
pub const AF_INET6_NETBSD: u16 = 24;
/// `AF_INET6` of FreeBSD (`sys/sys/socket.h`).
pub const AF_INET6_FREEBSD: u16 = 28;
/// `AF_INET6` of Solaris and illumos (`sys/socket.h`).
pub const AF_INET6_SOLARIS: u16 = 26;

/// BSD `struct sockaddr_in` (`netinet/in.h`): 16 bytes.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawBsdSockaddrIn {
    pub sin_len: u8,
    pub sin_family: u8,
    pub sin_port: U16<BigEndian>,
    pub sin_addr: [u8; 4],
    pub sin_zero: [u8; 8],
}
const _: () = assert!(size_of::<RawBsdSockaddrIn>() == 16);

/// BSD `struct sockaddr_in6` (`netinet6/in6.h`): 28 bytes.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawBsdSockaddrIn6<O: ByteOrder> {
    pub sin6_len: u8,
    pub sin6_family: u8,
    pub sin6_port: U16<BigEndian>,
    pub sin6_flowinfo: U32<BigEndian>,
    pub sin6_addr: [u8; 16],
    pub sin6_scope_id: U32<O>,
}
const _: () = assert!(size_of::<RawBsdSockaddrIn6<zerocopy::LittleEndian>>() == 28);

/// BSD `struct sockaddr_un` (`sys/un.h`) up to `sun_path`, which runs to `sun_len` (at most 104 bytes
/// on NetBSD and FreeBSD).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawBsdSockaddrUnHead {
    pub sun_len: u8,
    pub sun_family: u8,
}

/// Solaris `struct sockaddr_in` (`netinet/in.h`): 16 bytes.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawSolSockaddrIn<O: ByteOrder> {
    pub sin_family: U16<O>,
    pub sin_port: U16<BigEndian>,
    pub sin_addr: [u8; 4],
    pub sin_zero: [u8; 8],
}
const _: () = assert!(size_of::<RawSolSockaddrIn<zerocopy::LittleEndian>>() == 16);

/// Solaris `struct sockaddr_in6` (`netinet/in.h`): 32 bytes.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RawSolSockaddrIn6<O: ByteOrder> {
    pub sin6_family: U16<O>,
    pub sin6_port: U16<BigEndian>,
    pub sin6_flowinfo: U32<BigEndian>,
    pub sin6_addr: [u8; 16],
    pub sin6_scope_id: U32<O>,
    /// `__sin6_src_id`: illumos's source-address id, not decoded.
    pub sin6_src_id: U32<O>,
}
const _: () = assert!(size_of::<RawSolSockaddrIn6<zerocopy::LittleEndian>>() == 32);

/// A decoded socket address.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum SockAddr {
    /// Nothing there (`sa_family` `AF_UNSPEC` 0, or a BSD `sa_len` of 0: unbound, unconnected).
    Unspec,
    /// `struct sockaddr_in`.
    Inet {
        /// `sin_addr`.
        addr: Ipv4Addr,
        /// `sin_port`.
        port: u16,
    },
    /// `struct sockaddr_in6`.
    Inet6 {
        /// `sin6_addr`.
        addr: Ipv6Addr,
        /// `sin6_port`.
        port: u16,
        /// `sin6_scope_id` (interface index of a link-local address).
        scope_id: u32,
    },
    /// `struct sockaddr_un`: `sun_path`, NUL-trimmed (BSD: at most `sun_len - 2` bytes).
    Local {
        /// `sun_path`; empty for an unnamed socket.
        path: Vec<u8>,
    },
    /// Another family, not decoded.
    Other {
        /// `sa_family`.
        family: u16,
    },
}

/// Decodes a BSD `struct sockaddr` (`sa_len`, `sa_family`, then the family's fields) whose `AF_INET6` is
/// `af_inet6` ([`AF_INET6_NETBSD`], [`AF_INET6_FREEBSD`]); `sin6_scope_id` in byte order `endian`.
/// `None` when the bytes end before the family's structure does.
pub fn bsd(b: &[u8], af_inet6: u16, endian: Endianness) -> Option<SockAddr> {
    let (head, _) = RawBsdSockaddrUnHead::ref_from_prefix(b).ok()?;
    let (len, family) = (usize::from(head.sun_len), u16::from(head.sun_family));
    Some(match family {
        0 => SockAddr::Unspec,
        _ if len == 0 => SockAddr::Unspec,
        AF_INET => {
            let (s, _) = RawBsdSockaddrIn::ref_from_prefix(b).ok()?;
            SockAddr::Inet {
                addr: Ipv4Addr::from(s.sin_addr),
                port: s.sin_port.get(),
            }
        }
        f if f == af_inet6 => with_byte_order!(endian, O => {
            let (s, _) = RawBsdSockaddrIn6::<O>::ref_from_prefix(b).ok()?;
            SockAddr::Inet6 {
                addr: Ipv6Addr::from(s.sin6_addr),
                port: s.sin6_port.get(),
                scope_id: s.sin6_scope_id.get(),
            }
        }),
        AF_LOCAL => {
            let end = len.clamp(2, b.len());
            SockAddr::Local {
                path: crate::formats::cstr::c_string(&b[2..end]).to_vec(),
            }
        }
        f => SockAddr::Other { family: f },
    })
}

/// Decodes a Solaris/illumos `struct sockaddr` (`sa_family` 16 bits in byte order `endian`, then the
/// family's fields; no length byte): `AF_INET` 2, `AF_INET6` 26, `AF_UNIX` 1. `None` when the bytes end
/// before the family's structure does.
pub fn solaris(b: &[u8], endian: Endianness) -> Option<SockAddr> {
    with_byte_order!(endian, O => {
        let (family, _) = U16::<O>::read_from_prefix(b).ok()?;
        Some(match family.get() {
            0 => SockAddr::Unspec,
            AF_INET => {
                let (s, _) = RawSolSockaddrIn::<O>::ref_from_prefix(b).ok()?;
                SockAddr::Inet {
                    addr: Ipv4Addr::from(s.sin_addr),
                    port: s.sin_port.get(),
                }
            }
            AF_INET6_SOLARIS => {
                let (s, _) = RawSolSockaddrIn6::<O>::ref_from_prefix(b).ok()?;
                SockAddr::Inet6 {
                    addr: Ipv6Addr::from(s.sin6_addr),
                    port: s.sin6_port.get(),
                    scope_id: s.sin6_scope_id.get(),
                }
            }
            AF_LOCAL => SockAddr::Local {
                // `sun_path[108]`, bounded by the item's size.
                path: crate::formats::cstr::c_string(b.get(2..)?).to_vec(),
            },
            f => SockAddr::Other { family: f },
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    /// The offsets of sockaddr_in/in6/un in NetBSD and FreeBSD `netinet/in.h`, `netinet6/in6.h`, `sys/un.h`
    /// and illumos `netinet/in.h`.
    #[test]
    fn offsets_match_the_headers() {
        assert_eq!(offset_of!(RawBsdSockaddrIn, sin_port), 2);
        assert_eq!(offset_of!(RawBsdSockaddrIn, sin_addr), 4);
        type B6 = RawBsdSockaddrIn6<zerocopy::LittleEndian>;
        assert_eq!(offset_of!(B6, sin6_port), 2);
        assert_eq!(offset_of!(B6, sin6_flowinfo), 4);
        assert_eq!(offset_of!(B6, sin6_addr), 8);
        assert_eq!(offset_of!(B6, sin6_scope_id), 24);
        type S4 = RawSolSockaddrIn<zerocopy::BigEndian>;
        assert_eq!(offset_of!(S4, sin_port), 2);
        assert_eq!(offset_of!(S4, sin_addr), 4);
        type S6 = RawSolSockaddrIn6<zerocopy::BigEndian>;
        assert_eq!(offset_of!(S6, sin6_addr), 8);
        assert_eq!(offset_of!(S6, sin6_scope_id), 24);
    }

    #[test]
    fn bsd_addresses() {
        let mut b = [0u8; 264];
        b[..8].copy_from_slice(&[16, 2, 0x1f, 0x90, 127, 0, 0, 1]);
        assert_eq!(
            bsd(&b, AF_INET6_NETBSD, Endianness::Big),
            Some(SockAddr::Inet {
                addr: Ipv4Addr::LOCALHOST,
                port: 8080
            })
        );
        let mut u = [0u8; 264];
        u[0] = 2 + 8;
        u[1] = 1;
        u[2..10].copy_from_slice(b"/tmp/s\0x");
        assert_eq!(
            bsd(&u, AF_INET6_NETBSD, Endianness::Little),
            Some(SockAddr::Local {
                path: b"/tmp/s".to_vec()
            })
        );
        let mut v6 = [0u8; 28];
        v6[0] = 28;
        v6[1] = 28;
        v6[2..4].copy_from_slice(&443u16.to_be_bytes());
        v6[8] = 0xfe;
        v6[9] = 0x80;
        v6[23] = 1;
        v6[24] = 2;
        assert_eq!(
            bsd(&v6, AF_INET6_FREEBSD, Endianness::Little),
            Some(SockAddr::Inet6 {
                addr: "fe80::1".parse().unwrap(),
                port: 443,
                scope_id: 2
            })
        );
        // The same bytes are another family on NetBSD, and cut short they are nothing.
        assert_eq!(
            bsd(&v6, AF_INET6_NETBSD, Endianness::Little),
            Some(SockAddr::Other { family: 28 })
        );
        assert_eq!(bsd(&v6[..27], AF_INET6_FREEBSD, Endianness::Little), None);
        assert_eq!(
            bsd(&[0; 264], AF_INET6_NETBSD, Endianness::Little),
            Some(SockAddr::Unspec)
        );
    }

    #[test]
    fn solaris_addresses() {
        // From the illumos fdinfo design note (IPD 12): an sshd socket on amd64.
        let local = [
            2, 0, 0, 0x16, 0xac, 0x1b, 0x0a, 0x09, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(
            solaris(&local, Endianness::Little),
            Some(SockAddr::Inet {
                addr: Ipv4Addr::new(172, 27, 10, 9),
                port: 22
            })
        );
        let mut v6 = [0u8; 32];
        v6[..2].copy_from_slice(&26u16.to_be_bytes());
        v6[2..4].copy_from_slice(&53u16.to_be_bytes());
        v6[23] = 1;
        assert_eq!(
            solaris(&v6, Endianness::Big),
            Some(SockAddr::Inet6 {
                addr: Ipv6Addr::LOCALHOST,
                port: 53,
                scope_id: 0
            })
        );
        let mut un = vec![1, 0];
        un.extend_from_slice(b"/var/run/x\0\0");
        assert_eq!(
            solaris(&un, Endianness::Little),
            Some(SockAddr::Local {
                path: b"/var/run/x".to_vec()
            })
        );
        assert_eq!(solaris(&v6[..20], Endianness::Big), None);
        assert_eq!(solaris(&[0, 0], Endianness::Big), Some(SockAddr::Unspec));
    }
}
