//! Socket tables: `/proc/<pid>/net/{tcp,tcp6,udp,udp6}` and `net/unix`.
//!
//! IP addresses are printed by the kernel as 32-bit words in the *host's* byte order (`%08X` of the
//! network-order word read as a native integer), so decoding needs the captured host's byte order.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{fields, num};

use crate::abi::Endianness;

/// One row of a tcp/udp table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InetSocket {
    /// Local address.
    pub local: std::net::IpAddr,
    /// Local port.
    pub local_port: u16,
    /// Remote address.
    pub remote: std::net::IpAddr,
    /// Remote port.
    pub remote_port: u16,
    /// `st`: the kernel's TCP state number (also used for UDP).
    pub state: u8,
    /// `uid`.
    pub uid: Option<u32>,
    /// `inode` of the socket.
    pub inode: u64,
}

/// Name of a TCP state number (include/net/tcp_states.h).
pub fn tcp_state_name(st: u8) -> &'static str {
    match st {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        12 => "NEW_SYN_RECV",
        _ => "UNKNOWN",
    }
}

/// Name of a UDP socket's state: `ESTABLISHED` when connected, `UNCONN` otherwise (as `ss` prints).
pub fn udp_state_name(st: u8) -> &'static str {
    if st == 1 { "ESTABLISHED" } else { "UNCONN" }
}

fn word(hex: &[u8], order: Endianness) -> Option<[u8; 4]> {
    let v = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
    Some(match order {
        Endianness::Little => v.to_le_bytes(),
        Endianness::Big => v.to_be_bytes(),
    })
}

fn endpoint(text: &[u8], order: Endianness) -> Option<(std::net::IpAddr, u16)> {
    let colon = text.iter().position(|b| *b == b':')?;
    let (addr, port) = (&text[..colon], &text[colon + 1..]);
    let port = u16::from_str_radix(std::str::from_utf8(port).ok()?, 16).ok()?;
    let ip = match addr.len() {
        8 => Ipv4Addr::from(word(addr, order)?).into(),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(&addr[i * 8..i * 8 + 8], order)?);
            }
            Ipv6Addr::from(b).into()
        }
        _ => return None,
    };
    Some((ip, port))
}

/// Decodes a tcp/tcp6/udp/udp6 table. Returns the rows and the offsets of lines that did not parse
/// (the header line is skipped).
pub fn inet(bytes: &[u8], order: Endianness) -> (Vec<InetSocket>, Vec<usize>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (off, line) in super::lines(bytes).skip(1) {
        if line.trim_ascii().is_empty() {
            continue;
        }
        let f: Vec<&[u8]> = fields(line).map(|(_, f)| f).collect();
        let row = (|| {
            let (local, local_port) = endpoint(f.get(1)?, order)?;
            let (remote, remote_port) = endpoint(f.get(2)?, order)?;
            let state = u8::from_str_radix(std::str::from_utf8(f.get(3)?).ok()?, 16).ok()?;
            Some(InetSocket {
                local,
                local_port,
                remote,
                remote_port,
                state,
                uid: f.get(7).and_then(|u| num(u)),
                inode: num(f.get(9)?)?,
            })
        })();
        match row {
            Some(r) => out.push(r),
            None => bad.push(off),
        }
    }
    (out, bad)
}

/// One row of `net/unix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixSocket {
    /// `Flags`: `__SO_ACCEPTCON` (0x10000) marks a listening socket.
    pub flags: u32,
    /// `Type`: 1 stream, 2 dgram, 5 seqpacket.
    pub socket_type: u16,
    /// `St`: 1 unconnected, 2 connecting, 3 connected, 4 disconnecting.
    pub state: u8,
    /// `Inode`.
    pub inode: u64,
    /// `Path`: bound path, `@name` for abstract sockets; `None` when unbound.
    pub path: Option<Vec<u8>>,
}

impl UnixSocket {
    /// `stream`, `dgram`, `seqpacket`.
    pub fn type_name(&self) -> &'static str {
        match self.socket_type {
            1 => "stream",
            2 => "dgram",
            5 => "seqpacket",
            _ => "unknown",
        }
    }

    /// `LISTEN`, `UNCONNECTED`, `CONNECTING`, `CONNECTED`, `DISCONNECTING`.
    pub fn state_name(&self) -> &'static str {
        if self.flags & 0x10000 != 0 {
            return "LISTEN";
        }
        match self.state {
            1 => "UNCONNECTED",
            2 => "CONNECTING",
            3 => "CONNECTED",
            4 => "DISCONNECTING",
            _ => "UNKNOWN",
        }
    }
}

/// Decodes `net/unix`. Returns the rows and the offsets of lines that did not parse.
pub fn unix(bytes: &[u8]) -> (Vec<UnixSocket>, Vec<usize>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (off, line) in super::lines(bytes).skip(1) {
        if line.trim_ascii().is_empty() {
            continue;
        }
        let f: Vec<(usize, &[u8])> = fields(line).collect();
        let hex32 = |i: usize| -> Option<u32> {
            u32::from_str_radix(std::str::from_utf8(f.get(i)?.1).ok()?, 16).ok()
        };
        let row = (|| {
            Some(UnixSocket {
                flags: hex32(3)?,
                socket_type: u16::try_from(hex32(4)?).ok()?,
                state: u8::try_from(hex32(5)?).ok()?,
                inode: num(f.get(6)?.1)?,
                // The path is the rest of the line (it may contain spaces).
                path: f.get(7).map(|(o, _)| line[*o..].to_vec()),
            })
        })();
        match row {
            Some(r) => out.push(r),
            None => bad.push(off),
        }
    }
    (out, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &[u8] = b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:1F90 0200007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4243 1\nbroken line\n";

    #[test]
    fn tcp_little_endian() {
        let (rows, bad) = inet(TCP, Endianness::Little);
        assert_eq!(bad.len(), 1);
        assert_eq!(rows[0].local.to_string(), "127.0.0.1");
        assert_eq!(rows[0].local_port, 8080);
        assert_eq!(tcp_state_name(rows[0].state), "LISTEN");
        assert_eq!(rows[0].uid, Some(1000));
        assert_eq!(rows[0].inode, 4242);
        assert_eq!(rows[1].remote.to_string(), "127.0.0.2");
        assert_eq!(rows[1].remote_port, 0xD431);
        // The same text from a big-endian host means another address.
        let (be, _) = inet(TCP, Endianness::Big);
        assert_eq!(be[0].local.to_string(), "1.0.0.127");
    }

    #[test]
    fn tcp6_loopback() {
        let t = b"header\n 0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 777 1\n";
        let (rows, _) = inet(t, Endianness::Little);
        assert_eq!(rows[0].local.to_string(), "::1");
        assert_eq!(rows[0].local_port, 22);
    }

    #[test]
    fn unix_table() {
        let t = b"Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 17001 /run/my sock\n0000000000000000: 00000003 00000000 00000000 0001 03 17002\n0000000000000000: 00000002 00000000 00000000 0002 01 17003 @abstract\n";
        let (rows, bad) = unix(t);
        assert!(bad.is_empty());
        assert_eq!(rows[0].path.as_deref(), Some(&b"/run/my sock"[..]));
        assert_eq!(rows[0].state_name(), "LISTEN");
        assert_eq!(rows[1].state_name(), "CONNECTED");
        assert_eq!(rows[1].path, None);
        assert_eq!(rows[2].type_name(), "dgram");
        assert_eq!(rows[2].path.as_deref(), Some(&b"@abstract"[..]));
    }
}
