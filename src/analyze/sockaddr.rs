//! Decoded socket addresses ([`crate::formats::sockaddr`]) as the model's endpoints, for every system
//! that records them in binary (NetBSD pcblists, Solaris fdinfo).

use crate::bytes::ByteString;
use crate::formats::sockaddr::SockAddr;
use crate::model::SocketEndpoint;

/// The model's endpoint of a decoded address: IP address and port (a link-local IPv6 address with its
/// `%scope`), or a unix socket's path; `None` for an unnamed or undecoded one.
pub(super) fn endpoint(a: &SockAddr) -> Option<SocketEndpoint> {
    match a {
        SockAddr::Inet { addr, port } => Some(SocketEndpoint {
            address: ByteString::from(addr.to_string().as_str()),
            port: Some(*port),
        }),
        SockAddr::Inet6 {
            addr,
            port,
            scope_id,
        } => {
            let text = if *scope_id != 0 {
                format!("{addr}%{scope_id}")
            } else {
                addr.to_string()
            };
            Some(SocketEndpoint {
                address: ByteString::from(text.as_str()),
                port: Some(*port),
            })
        }
        SockAddr::Local { path } if !path.is_empty() => Some(SocketEndpoint {
            address: ByteString::from(path.clone()),
            port: None,
        }),
        _ => None,
    }
}

/// True for an IP address and port that are both unspecified (`0.0.0.0:0`, `[::]:0`): nothing there.
pub(super) fn unspecified(a: &SockAddr) -> bool {
    match a {
        SockAddr::Inet { addr, port } => addr.is_unspecified() && *port == 0,
        SockAddr::Inet6 { addr, port, .. } => addr.is_unspecified() && *port == 0,
        _ => false,
    }
}
