//! Listening to the Linux process connector during a capture: every fork, exec, uid/gid/sid change,
//! comm change, ptrace attach, coredump and exit on the host while the snapshot is taken.
//!
//! [`subscribe`] opens a `NETLINK_CONNECTOR` datagram socket, binds it to multicast group `CN_IDX_PROC`,
//! sends `PROC_CN_MCAST_LISTEN` and waits for the kernel's acknowledgement; then a thread receives every
//! datagram (a receive timeout lets it notice [`Listener::stop`]), keeping the bytes exactly as received
//! with their receive time. After each exec event it reads `/proc/<pid>/comm`, `cmdline` and the `exe`
//! link at once (the event itself names no program; a process that exits right after its exec may be
//! gone, and the record says so). An ENOBUFS from `recv` (the socket buffer overflowed: the kernel
//! dropped events) is recorded as an overrun record, never hidden. At the end it sends
//! `PROC_CN_MCAST_IGNORE`.
//!
//! Without CAP_NET_ADMIN the bind (older kernels) or the `PROC_CN_MCAST_LISTEN` request fails (EPERM); a kernel without the connector refuses the socket
//! (EPROTONOSUPPORT); a capture in a pid or user namespace other than the initial ones is ignored by the
//! kernel (no acknowledgement). Each case is a reason string for the manifest, and the capture goes on.
//! All calls go through rustix (no `unsafe`).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
#[cfg(target_os = "linux")]
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
use {
    super::sys,
    crate::abi::Endianness,
    crate::formats::linux::cn_proc::{
        self, CN_IDX_PROC, CN_MSG_LEN, CN_VAL_PROC, EventData, NLMSG_DONE, NLMSG_HDRLEN,
        PROC_CN_MCAST_IGNORE, PROC_CN_MCAST_LISTEN,
    },
    rustix::io::Errno,
    rustix::net::netlink::{self, SocketAddrNetlink},
    rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType},
    std::os::fd::{AsFd, OwnedFd},
};

use crate::snapshot::event_records::Record;
use crate::snapshot::manifest::EventClock;
use crate::time::Timestamp;

/// Receive buffer asked for (SO_RCVBUFFORCE, else SO_RCVBUF): room for about 100,000 events while the
/// thread is busy, so a burst of forks does not overflow it.
#[cfg(target_os = "linux")]
const RECV_BUFFER: usize = 8 << 20;
/// How often the receiving thread checks whether it should stop.
#[cfg(target_os = "linux")]
const POLL: Duration = Duration::from_millis(100);
/// How long to wait for the kernel's acknowledgement of `PROC_CN_MCAST_LISTEN`.
#[cfg(target_os = "linux")]
const ACK_WAIT: Duration = Duration::from_secs(1);
/// After [`Listener::stop`], how long the thread goes on draining datagrams already queued.
#[cfg(target_os = "linux")]
const DRAIN: Duration = Duration::from_millis(300);

/// A running subscription.
#[derive(Debug)]
pub struct Listener {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Collected>,
    /// The clocks read when the subscription was acknowledged.
    pub clock: EventClock,
}

/// What a listener collected.
#[derive(Debug, Default)]
pub struct Collected {
    /// The records, in the order they were received.
    pub records: Vec<Record>,
    /// Process events received (acknowledgements not counted).
    pub count: u64,
    /// ENOBUFS overruns.
    pub lost: u64,
    /// An error that ended the recording before it was stopped.
    pub error: Option<String>,
    /// When the listener stopped, UTC.
    pub stopped: Option<Timestamp>,
}

/// CLOCK_MONOTONIC now, in nanoseconds (the clock of `proc_event.timestamp_ns`).
pub fn monotonic_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

#[cfg(target_os = "linux")]
fn boottime_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// The three clocks, read back to back.
#[cfg(target_os = "linux")]
pub fn clock_now() -> EventClock {
    let monotonic_ns = monotonic_ns();
    let boottime_ns = boottime_ns();
    let utc = Timestamp::now();
    EventClock {
        monotonic_ns,
        boottime_ns,
        utc,
    }
}

/// Process events come from Linux's process connector; other systems have none to subscribe to.
#[cfg(not(target_os = "linux"))]
pub fn subscribe(_proc_root: &Path) -> Result<Listener, String> {
    Err("process events are recorded on Linux only (the netlink process connector)".into())
}

/// Subscribes to process events; `proc_root` is where exec'd processes are looked up. The error is the
/// reason events cannot be recorded, for the manifest.
#[cfg(target_os = "linux")]
pub fn subscribe(proc_root: &Path) -> Result<Listener, String> {
    let sock = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        Some(netlink::CONNECTOR),
    )
    .map_err(|e| {
        format!(
            "socket(AF_NETLINK, NETLINK_CONNECTOR): {}{}",
            sys::errno_name(e),
            if e == Errno::PROTONOSUPPORT || e == Errno::AFNOSUPPORT {
                ": the kernel has no process connector (CONFIG_PROC_EVENTS)"
            } else {
                ""
            }
        )
    })?;
    if rustix::net::sockopt::set_socket_recv_buffer_size_force(&sock, RECV_BUFFER).is_err() {
        let _ = rustix::net::sockopt::set_socket_recv_buffer_size(&sock, RECV_BUFFER);
    }
    rustix::net::bind(&sock, &SocketAddrNetlink::new(0, CN_IDX_PROC)).map_err(|e| {
        format!(
            "bind to the process connector's group: {}{}",
            sys::errno_name(e),
            if e == Errno::PERM || e == Errno::ACCESS {
                ": needs CAP_NET_ADMIN (run the capture as root)"
            } else {
                ""
            }
        )
    })?;
    rustix::net::sockopt::set_socket_timeout(
        &sock,
        rustix::net::sockopt::Timeout::Recv,
        Some(POLL),
    )
    .map_err(|e| format!("SO_RCVTIMEO: {}", sys::errno_name(e)))?;
    // A `cn_msg.ack` of our own, to tell our acknowledgement (which carries it + 1) from those of other
    // listeners (the kernel replaces `seq` with its per-CPU event counter).
    let tag = (std::process::id() ^ (monotonic_ns() as u32).rotate_left(16)) & 0x7fff_ffff;
    send_op(&sock, PROC_CN_MCAST_LISTEN, tag).map_err(|e| {
        format!(
            "send PROC_CN_MCAST_LISTEN: {}{}",
            sys::errno_name(e),
            if e == Errno::PERM || e == Errno::ACCESS {
                ": needs CAP_NET_ADMIN (run the capture as root)"
            } else {
                ""
            }
        )
    })?;

    let proc_dir = sys::open_root(proc_root).ok();
    let mut state = State {
        reader: sys::FileReader::default(),
        proc_dir,
        collected: Collected::default(),
        buf: vec![0u8; 64 * 1024],
    };
    // Wait for the acknowledgement; events that arrive meanwhile are kept.
    let deadline = Instant::now() + ACK_WAIT;
    let acked = loop {
        if Instant::now() >= deadline {
            break None;
        }
        match state.receive(&sock, RecvFlags::empty(), Some(tag)) {
            Ok(Some(err)) => break Some(err),
            Ok(None) => {}
            Err(Errno::AGAIN) | Err(Errno::INTR) => {}
            Err(e) => return Err(format!("recv: {}", sys::errno_name(e))),
        }
    };
    match acked {
        None => {
            return Err(format!(
                "the kernel did not acknowledge PROC_CN_MCAST_LISTEN within {} s (it ignores requests \
                 from outside the initial pid and user namespaces)",
                ACK_WAIT.as_secs()
            ));
        }
        Some(0) => {}
        Some(err) => {
            return Err(format!(
                "PROC_CN_MCAST_LISTEN refused: {}",
                sys::errno_name(Errno::from_raw_os_error(err as i32))
            ));
        }
    }
    let clock = clock_now();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("procsift-events".into())
        .spawn(move || state.run(sock, &flag, tag))
        .map_err(|e| format!("listener thread: {e}"))?;
    Ok(Listener {
        stop,
        thread,
        clock,
    })
}

impl Listener {
    /// Stops listening: the thread drains what is queued, sends `PROC_CN_MCAST_IGNORE` and returns what
    /// it collected.
    pub fn stop(self) -> Collected {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap_or_else(|_| Collected {
            error: Some("the listener thread panicked".into()),
            ..Collected::default()
        })
    }
}

/// The request a listener sends: a netlink message (`NLMSG_DONE`, `nlmsg_pid` = `port`) holding a
/// `cn_msg` for `CN_IDX_PROC`/`CN_VAL_PROC` whose 4-byte data is `op` (`PROC_CN_MCAST_LISTEN` or
/// `PROC_CN_MCAST_IGNORE`; the 4-byte form is understood by every kernel, and means every event kind).
/// The kernel's acknowledgement carries `ack + 1` in its `cn_msg.ack` (its `seq` is the kernel's own
/// per-CPU counter). Native byte order.
#[cfg(target_os = "linux")]
fn mcast_request(op: u32, seq: u32, ack: u32, port: u32) -> Vec<u8> {
    let total = NLMSG_HDRLEN + CN_MSG_LEN + 4;
    let mut b = Vec::with_capacity(total);
    b.extend_from_slice(&(total as u32).to_ne_bytes());
    b.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
    b.extend_from_slice(&0u16.to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&port.to_ne_bytes());
    b.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    b.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&ack.to_ne_bytes());
    b.extend_from_slice(&4u16.to_ne_bytes());
    b.extend_from_slice(&0u16.to_ne_bytes());
    b.extend_from_slice(&op.to_ne_bytes());
    b
}

#[cfg(target_os = "linux")]
fn send_op(sock: &OwnedFd, op: u32, tag: u32) -> Result<usize, Errno> {
    let msg = mcast_request(op, 0, tag, 0);
    rustix::net::sendto(
        sock,
        &msg,
        SendFlags::empty(),
        &SocketAddrNetlink::new(0, CN_IDX_PROC),
    )
}

#[cfg(target_os = "linux")]
struct State {
    reader: sys::FileReader,
    proc_dir: Option<OwnedFd>,
    collected: Collected,
    buf: Vec<u8>,
}

#[cfg(target_os = "linux")]
impl State {
    /// Receives one datagram and records it. Returns the `ack.err` of the acknowledgement whose
    /// `cn_msg.ack` is `want_ack` + 1, when this datagram is one.
    fn receive(
        &mut self,
        sock: &OwnedFd,
        flags: RecvFlags,
        want_ack: Option<u32>,
    ) -> Result<Option<u32>, Errno> {
        let n = match rustix::net::recv(sock, &mut self.buf[..], flags) {
            Ok((_, n)) => n.min(self.buf.len()),
            Err(Errno::NOBUFS) => {
                self.collected.lost += 1;
                self.collected.records.push(Record::Overrun {
                    received_ns: monotonic_ns(),
                });
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let received_ns = monotonic_ns();
        let bytes = self.buf[..n].to_vec();
        let events = cn_proc::decode_datagram(&bytes, Endianness::NATIVE);
        self.collected
            .records
            .push(Record::Datagram { received_ns, bytes });
        let mut ack = None;
        for ev in events.into_iter().flatten() {
            match ev.data {
                EventData::Ack { err } => {
                    if want_ack.is_some_and(|t| ev.ack == t.wrapping_add(1)) {
                        ack = Some(err);
                    }
                }
                EventData::Exec { pid, tgid } => {
                    self.collected.count += 1;
                    if pid == tgid {
                        self.exec_details(pid);
                    }
                }
                _ => self.collected.count += 1,
            }
        }
        Ok(ack)
    }

    /// Reads what the exec'd process now runs, right away.
    fn exec_details(&mut self, pid: i32) {
        let Some(dir) = self.proc_dir.as_ref() else {
            return;
        };
        let dir = dir.as_fd();
        let raw = |e: Errno| e.raw_os_error();
        let comm = self
            .reader
            .read(dir, &format!("{pid}/comm"))
            .map(<[u8]>::to_vec)
            .map_err(raw);
        let cmdline = self
            .reader
            .read(dir, &format!("{pid}/cmdline"))
            .map(<[u8]>::to_vec)
            .map_err(raw);
        let exe = sys::read_link(dir, &format!("{pid}/exe")).map_err(raw);
        self.collected.records.push(Record::ExecDetails {
            received_ns: monotonic_ns(),
            pid,
            comm,
            cmdline,
            exe,
        });
    }

    fn run(mut self, sock: OwnedFd, stop: &AtomicBool, tag: u32) -> Collected {
        let mut draining: Option<Instant> = None;
        loop {
            if draining.is_none() && stop.load(Ordering::SeqCst) {
                draining = Some(Instant::now());
            }
            let flags = if draining.is_some() {
                RecvFlags::DONTWAIT
            } else {
                RecvFlags::empty()
            };
            match self.receive(&sock, flags, None) {
                Ok(_) => {}
                Err(Errno::AGAIN) if draining.is_some() => break,
                Err(Errno::AGAIN) | Err(Errno::INTR) => {}
                Err(e) => {
                    self.collected.error = Some(format!(
                        "recv failed ({}): events after this point were not recorded",
                        sys::errno_name(e)
                    ));
                    break;
                }
            }
            if draining.is_some_and(|t| t.elapsed() > DRAIN) {
                break;
            }
        }
        let _ = send_op(&sock, PROC_CN_MCAST_IGNORE, tag.wrapping_add(2));
        self.collected.stopped = Some(Timestamp::now());
        self.collected
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn request_is_what_the_kernel_expects() {
        let r = mcast_request(PROC_CN_MCAST_LISTEN, 77, 0, 0);
        assert_eq!(r.len(), 40);
        assert_eq!(u32::from_ne_bytes(r[0..4].try_into().unwrap()), 40);
        assert_eq!(u16::from_ne_bytes(r[4..6].try_into().unwrap()), NLMSG_DONE);
        assert_eq!(
            u32::from_ne_bytes(r[16..20].try_into().unwrap()),
            CN_IDX_PROC
        );
        assert_eq!(u16::from_ne_bytes(r[32..34].try_into().unwrap()), 4);
        assert_eq!(
            u32::from_ne_bytes(r[36..40].try_into().unwrap()),
            PROC_CN_MCAST_LISTEN
        );
    }
}
