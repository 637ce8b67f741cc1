//! The Linux process connector's wire format: `struct proc_event` (`include/uapi/linux/cn_proc.h`)
//! inside a `struct cn_msg` (`include/uapi/linux/connector.h`) inside a netlink message (`struct
//! nlmsghdr`, `include/uapi/linux/netlink.h`). (procsift's own container of such datagrams, the
//! `events/cn_proc.bin` member, is the snapshot layer's `event_records`; the subscription request is
//! the capture's.)
//!
//! The kernel multicasts one netlink datagram per event to the listeners of group `CN_IDX_PROC` of a
//! `NETLINK_CONNECTOR` socket (after each listener sent `PROC_CN_MCAST_LISTEN`). The layout of one
//! datagram, in the byte order of the host that sent it:
//!
//! ```text
//! offset  size  field
//!      0    16  struct nlmsghdr   nlmsg_len, nlmsg_type (NLMSG_DONE), nlmsg_flags, nlmsg_seq, nlmsg_pid
//!     16    20  struct cn_msg     id.idx (CN_IDX_PROC 1), id.val (CN_VAL_PROC 1), seq, ack, len, flags
//!     36    16  struct proc_event what, cpu, timestamp_ns (CLOCK_MONOTONIC, ns)
//!     52   ≤24  event_data        the union member `what` selects
//! ```
//!
//! A listener's own requests travel the same way: `PROC_CN_MCAST_LISTEN`/`PROC_CN_MCAST_IGNORE` sent to
//! the group are multicast to every other listener too, as a `cn_msg` whose data is the 4-byte `enum
//! proc_cn_mcast_op` (or, since Linux 6.6, an 8-byte `struct proc_input { mcast_op; event_type; }`).
//! They are control messages, not events: [`decode_datagram`] skips them.
//!
//! Nothing here does I/O: [`decode_datagram`] turns the bytes of one datagram into [`ProcEvent`]s. Older
//! kernels send shorter unions
//! (`exit` without `parent_pid`/`parent_tgid` before Linux 4.18, `coredump` without them before 4.16): the
//! fields a message lacks are `None`.

use crate::abi::{Endianness, with_byte_order};
use zerocopy::byteorder::{ByteOrder, I32, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use super::ParseError;

/// `CN_IDX_PROC` (`connector.h`): the connector index, and netlink multicast group, of process events.
pub const CN_IDX_PROC: u32 = 0x1;
/// `CN_VAL_PROC` (`connector.h`).
pub const CN_VAL_PROC: u32 = 0x1;
/// `PROC_CN_MCAST_LISTEN` (`enum proc_cn_mcast_op`): start sending events to this socket's group.
pub const PROC_CN_MCAST_LISTEN: u32 = 1;
/// `PROC_CN_MCAST_IGNORE` (`enum proc_cn_mcast_op`): this listener is gone.
pub const PROC_CN_MCAST_IGNORE: u32 = 2;
/// Sizes of a listener's request data: `enum proc_cn_mcast_op` alone, or `struct proc_input`
/// (`mcast_op`, `event_type`; Linux 6.6 and later).
pub const MCAST_REQUEST_LENS: [usize; 2] = [4, 8];
/// `NLMSG_DONE` (`netlink.h`): the `nlmsg_type` the connector sends and expects.
pub const NLMSG_DONE: u16 = 3;
/// `NLMSG_ERROR` (`netlink.h`).
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_NOOP` (`netlink.h`).
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_HDRLEN`: size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct cn_msg` without its data.
pub const CN_MSG_LEN: usize = 20;
/// Size of `struct proc_event` before its union (`what`, `cpu`, `timestamp_ns`).
pub const PROC_EVENT_HEADER_LEN: usize = 16;

/// `enum proc_cn_event` values (`what`).
pub mod what {
    /// `PROC_EVENT_NONE`: an acknowledgement of a `PROC_CN_MCAST_*` request (`event_data.ack`).
    pub const NONE: u32 = 0x0000_0000;
    /// `PROC_EVENT_FORK`.
    pub const FORK: u32 = 0x0000_0001;
    /// `PROC_EVENT_EXEC`.
    pub const EXEC: u32 = 0x0000_0002;
    /// `PROC_EVENT_UID`.
    pub const UID: u32 = 0x0000_0004;
    /// `PROC_EVENT_GID`.
    pub const GID: u32 = 0x0000_0040;
    /// `PROC_EVENT_SID`.
    pub const SID: u32 = 0x0000_0080;
    /// `PROC_EVENT_PTRACE`.
    pub const PTRACE: u32 = 0x0000_0100;
    /// `PROC_EVENT_COMM`.
    pub const COMM: u32 = 0x0000_0200;
    /// `PROC_EVENT_COREDUMP`.
    pub const COREDUMP: u32 = 0x4000_0000;
    /// `PROC_EVENT_EXIT`.
    pub const EXIT: u32 = 0x8000_0000;
}

/// `struct nlmsghdr`.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawNlmsghdr<O: ByteOrder> {
    nlmsg_len: U32<O>,
    nlmsg_type: U16<O>,
    nlmsg_flags: U16<O>,
    nlmsg_seq: U32<O>,
    nlmsg_pid: U32<O>,
}

/// `struct cn_msg` (without `data[]`).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawCnMsg<O: ByteOrder> {
    id_idx: U32<O>,
    id_val: U32<O>,
    seq: U32<O>,
    ack: U32<O>,
    len: U16<O>,
    flags: U16<O>,
}

/// `struct proc_event` before its union.
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawProcEventHeader<O: ByteOrder> {
    what: U32<O>,
    cpu: U32<O>,
    timestamp_ns: U64<O>,
}

/// The union's members, as six 32-bit words (`fork`, `id`, `ptrace`, `coredump`, `exit` are four to six
/// `__kernel_pid_t`/`__u32` fields; `comm` is two words and 16 bytes).
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct RawWords<O: ByteOrder> {
    w: [I32<O>; 6],
}

/// One decoded `struct proc_event` with the `cn_msg` sequence number it came in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcEvent {
    /// `proc_event.what` (`enum proc_cn_event`), as sent.
    pub what: u32,
    /// `proc_event.cpu`: the CPU the event was generated on.
    pub cpu: u32,
    /// `proc_event.timestamp_ns`: `ktime_get_ns()`, CLOCK_MONOTONIC nanoseconds (the header's comment says
    /// "since system boot"; suspended time is not counted).
    pub timestamp_ns: u64,
    /// `cn_msg.seq`: a per-CPU counter of the events the kernel sent.
    pub seq: u32,
    /// `cn_msg.ack` (an ack echoes the request's `ack` + 1).
    pub ack: u32,
    /// The union member `what` selects.
    pub data: EventData,
}

/// `proc_event.event_data`, per event kind. Pids are the kernel's global (initial pid namespace) ids; a
/// `pid` is a thread id and `tgid` its process id (`pid == tgid` for a process's main thread).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventData {
    /// `PROC_EVENT_NONE`, `event_data.ack.err`: the answer to a `PROC_CN_MCAST_*` request (0 or an errno).
    Ack {
        /// `ack.err`.
        err: u32,
    },
    /// `PROC_EVENT_FORK`, `struct fork_proc_event`: a new task (a process when `child_pid ==
    /// child_tgid`, else a thread).
    Fork {
        /// `parent_pid`: the new task's `real_parent` (for a new thread, the parent of its process,
        /// not the thread that created it).
        parent_pid: i32,
        /// `parent_tgid`: the process of `parent_pid`.
        parent_tgid: i32,
        /// `child_pid`.
        child_pid: i32,
        /// `child_tgid`.
        child_tgid: i32,
    },
    /// `PROC_EVENT_EXEC`, `struct exec_proc_event`: a successful execve.
    Exec {
        /// `process_pid`.
        pid: i32,
        /// `process_tgid`.
        tgid: i32,
    },
    /// `PROC_EVENT_UID`, `struct id_proc_event` (`r.ruid`, `e.euid`).
    Uid {
        /// `process_pid`.
        pid: i32,
        /// `process_tgid`.
        tgid: i32,
        /// `r.ruid`: the new real user id.
        ruid: u32,
        /// `e.euid`: the new effective user id.
        euid: u32,
    },
    /// `PROC_EVENT_GID`, `struct id_proc_event` (`r.rgid`, `e.egid`).
    Gid {
        /// `process_pid`.
        pid: i32,
        /// `process_tgid`.
        tgid: i32,
        /// `r.rgid`: the new real group id.
        rgid: u32,
        /// `e.egid`: the new effective group id.
        egid: u32,
    },
    /// `PROC_EVENT_SID`, `struct sid_proc_event`: setsid(2), the task leads a new session.
    Sid {
        /// `process_pid`.
        pid: i32,
        /// `process_tgid`.
        tgid: i32,
    },
    /// `PROC_EVENT_PTRACE`, `struct ptrace_proc_event`: attach (tracer set) or detach (tracer 0).
    Ptrace {
        /// `process_pid`: the traced task.
        pid: i32,
        /// `process_tgid`.
        tgid: i32,
        /// `tracer_pid` (0 on detach).
        tracer_pid: i32,
        /// `tracer_tgid` (0 on detach).
        tracer_tgid: i32,
    },
    /// `PROC_EVENT_COMM`, `struct comm_proc_event`: the task renamed itself (prctl PR_SET_NAME, a write
    /// to `/proc/<pid>/comm`; not exec).
    Comm {
        /// `process_pid`.
        pid: i32,
        /// `process_tgid`.
        tgid: i32,
        /// `comm[16]` up to its first NUL.
        comm: Vec<u8>,
    },
    /// `PROC_EVENT_COREDUMP`, `struct coredump_proc_event`.
    Coredump {
        /// `process_pid`.
        pid: i32,
        /// `process_tgid`.
        tgid: i32,
        /// `parent_pid` (Linux 4.16 and later).
        parent_pid: Option<i32>,
        /// `parent_tgid` (Linux 4.16 and later).
        parent_tgid: Option<i32>,
    },
    /// `PROC_EVENT_EXIT`, `struct exit_proc_event`: a task exited (every thread has its own).
    Exit {
        /// `process_pid`.
        pid: i32,
        /// `process_tgid`.
        tgid: i32,
        /// `exit_code`: `task->exit_code`, a wait(2) status: `(status << 8)` for exit(status), the
        /// signal number in the low 7 bits when killed, 0x80 when a core was dumped. See [`WaitStatus`].
        exit_code: u32,
        /// `exit_signal`: the signal the parent is sent (SIGCHLD, or -1 as `u32` for threads) — not the
        /// signal that killed the task.
        exit_signal: u32,
        /// `parent_pid` (Linux 4.18 and later).
        parent_pid: Option<i32>,
        /// `parent_tgid` (Linux 4.18 and later).
        parent_tgid: Option<i32>,
    },
    /// A `what` this decoder does not know (a later kernel's event).
    Unknown,
}

impl EventData {
    /// The event kind's name, as procsift writes it: `ack`, `fork`, `exec`, `uid`, `gid`, `sid`,
    /// `ptrace`, `comm`, `coredump`, `exit`, `unknown`.
    pub fn kind(&self) -> &'static str {
        match self {
            EventData::Ack { .. } => "ack",
            EventData::Fork { .. } => "fork",
            EventData::Exec { .. } => "exec",
            EventData::Uid { .. } => "uid",
            EventData::Gid { .. } => "gid",
            EventData::Sid { .. } => "sid",
            EventData::Ptrace { .. } => "ptrace",
            EventData::Comm { .. } => "comm",
            EventData::Coredump { .. } => "coredump",
            EventData::Exit { .. } => "exit",
            EventData::Unknown => "unknown",
        }
    }
}

/// A wait(2) status word (the `exit_code` of an exit event) taken apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitStatus {
    /// `WEXITSTATUS`: the status passed to exit(2), when the task exited normally.
    pub status: Option<i32>,
    /// `WTERMSIG`: the signal that killed the task, when it was killed.
    pub signal: Option<u32>,
    /// `WCOREDUMP`: a core was dumped.
    pub core_dumped: bool,
}

impl WaitStatus {
    /// Decodes a wait status: low 7 bits 0 → exited with `(code >> 8) & 0xff`; else killed by the signal
    /// in the low 7 bits, 0x80 set when a core was dumped.
    pub fn from_code(code: u32) -> WaitStatus {
        let sig = code & 0x7f;
        if sig == 0 {
            WaitStatus {
                status: Some(((code >> 8) & 0xff) as i32),
                signal: None,
                core_dumped: false,
            }
        } else {
            WaitStatus {
                status: None,
                signal: Some(sig),
                core_dumped: code & 0x80 != 0,
            }
        }
    }
}

/// Decodes every netlink message of one datagram. Messages that are not connector process events
/// (`NLMSG_NOOP`, another connector index, another listener's LISTEN/IGNORE request) are skipped; malformed ones are errors with the byte offset
/// within the datagram, and the walk stops at the first message whose length is impossible.
pub fn decode_datagram(bytes: &[u8], endian: Endianness) -> Vec<Result<ProcEvent, ParseError>> {
    with_byte_order!(endian, O => decode_in::<O>(bytes))
}

fn decode_in<O: ByteOrder>(bytes: &[u8]) -> Vec<Result<ProcEvent, ParseError>> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off + NLMSG_HDRLEN <= bytes.len() {
        let Some(rest) = bytes.get(off..) else { break };
        let Ok((nlh, _)) = RawNlmsghdr::<O>::ref_from_prefix(rest) else {
            break;
        };
        let len = nlh.nlmsg_len.get() as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            out.push(Err(ParseError::new(
                off,
                format!("nlmsg_len {len} does not fit the {} bytes left", rest.len()),
            )));
            break;
        }
        let _ = (
            nlh.nlmsg_flags.get(),
            nlh.nlmsg_seq.get(),
            nlh.nlmsg_pid.get(),
        );
        let ty = nlh.nlmsg_type.get();
        if ty == NLMSG_DONE {
            if let Some(r) = decode_cn::<O>(&rest[NLMSG_HDRLEN..len], off + NLMSG_HDRLEN) {
                out.push(r);
            }
        } else if ty == NLMSG_ERROR {
            out.push(Err(ParseError::new(
                off,
                "netlink error message (NLMSG_ERROR)",
            )));
        }
        // NLMSG_ALIGN: messages start on 4-byte boundaries.
        off += (len + 3) & !3;
    }
    if off < bytes.len() && out.is_empty() {
        out.push(Err(ParseError::new(
            off,
            format!(
                "{} bytes are too few for a netlink message",
                bytes.len() - off
            ),
        )));
    }
    out
}

/// True for another listener's `PROC_CN_MCAST_LISTEN`/`PROC_CN_MCAST_IGNORE` request (`cn_msg` data of
/// 4 or 8 bytes starting with the op), which the kernel multicasts to the group like an event.
fn is_control<O: ByteOrder>(data: &[u8]) -> bool {
    MCAST_REQUEST_LENS.contains(&data.len())
        && U32::<O>::ref_from_prefix(data)
            .is_ok_and(|(op, _)| matches!(op.get(), PROC_CN_MCAST_LISTEN | PROC_CN_MCAST_IGNORE))
}

/// Decodes the `cn_msg` at `body` (`base` is its offset in the datagram); `None` when it is not a process
/// event (another connector).
fn decode_cn<O: ByteOrder>(body: &[u8], base: usize) -> Option<Result<ProcEvent, ParseError>> {
    let Ok((cn, data)) = RawCnMsg::<O>::ref_from_prefix(body) else {
        return Some(Err(ParseError::new(
            base,
            format!("{} bytes are too few for a cn_msg", body.len()),
        )));
    };
    if cn.id_idx.get() != CN_IDX_PROC || cn.id_val.get() != CN_VAL_PROC {
        return None;
    }
    let _ = cn.flags.get();
    let len = usize::from(cn.len.get());
    let Some(data) = data.get(..len) else {
        return Some(Err(ParseError::new(
            base + 16,
            format!(
                "cn_msg.len {len} runs past the message ({} bytes left)",
                data.len()
            ),
        )));
    };
    if is_control::<O>(data) {
        return None;
    }
    let base = base + CN_MSG_LEN;
    let Ok((head, union)) = RawProcEventHeader::<O>::ref_from_prefix(data) else {
        return Some(Err(ParseError::new(
            base,
            format!("{len} bytes are too few for a proc_event"),
        )));
    };
    let what_v = head.what.get();
    let mut words = [0i32; 6];
    let n = (union.len() / 4).min(6);
    if let Ok((w, _)) = RawWords::<O>::ref_from_prefix(union) {
        for (d, s) in words.iter_mut().zip(w.w.iter()) {
            *d = s.get();
        }
    } else {
        for (i, d) in words.iter_mut().enumerate().take(n) {
            if let Ok((v, _)) = I32::<O>::ref_from_prefix(&union[i * 4..]) {
                *d = v.get();
            }
        }
    }
    let need = |k: usize| -> Result<(), ParseError> {
        if n < k {
            Err(ParseError::new(
                base + PROC_EVENT_HEADER_LEN,
                format!(
                    "event {what_v:#x} needs {} bytes of event_data, the message has {}",
                    k * 4,
                    union.len()
                ),
            ))
        } else {
            Ok(())
        }
    };
    // Word `k`, present when the union has at least `min` words.
    let opt = |min: usize, k: usize| (n >= min).then_some(words[k]);
    let w = words;
    let data = match what_v {
        what::NONE => need(1).map(|_| EventData::Ack { err: w[0] as u32 }),
        what::FORK => need(4).map(|_| EventData::Fork {
            parent_pid: w[0],
            parent_tgid: w[1],
            child_pid: w[2],
            child_tgid: w[3],
        }),
        what::EXEC => need(2).map(|_| EventData::Exec {
            pid: w[0],
            tgid: w[1],
        }),
        what::UID => need(4).map(|_| EventData::Uid {
            pid: w[0],
            tgid: w[1],
            ruid: w[2] as u32,
            euid: w[3] as u32,
        }),
        what::GID => need(4).map(|_| EventData::Gid {
            pid: w[0],
            tgid: w[1],
            rgid: w[2] as u32,
            egid: w[3] as u32,
        }),
        what::SID => need(2).map(|_| EventData::Sid {
            pid: w[0],
            tgid: w[1],
        }),
        what::PTRACE => need(4).map(|_| EventData::Ptrace {
            pid: w[0],
            tgid: w[1],
            tracer_pid: w[2],
            tracer_tgid: w[3],
        }),
        what::COMM => need(2).map(|_| {
            let raw = union.get(8..union.len().min(24)).unwrap_or_default();
            EventData::Comm {
                pid: w[0],
                tgid: w[1],
                comm: crate::formats::cstr::c_string(raw).to_vec(),
            }
        }),
        what::COREDUMP => need(2).map(|_| EventData::Coredump {
            pid: w[0],
            tgid: w[1],
            parent_pid: opt(4, 2),
            parent_tgid: opt(4, 3),
        }),
        what::EXIT => need(4).map(|_| EventData::Exit {
            pid: w[0],
            tgid: w[1],
            exit_code: w[2] as u32,
            exit_signal: w[3] as u32,
            parent_pid: opt(6, 4),
            parent_tgid: opt(6, 5),
        }),
        _ => Ok(EventData::Unknown),
    };
    Some(data.map(|data| ProcEvent {
        what: what_v,
        cpu: head.cpu.get(),
        timestamp_ns: head.timestamp_ns.get(),
        seq: cn.seq.get(),
        ack: cn.ack.get(),
        data,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A datagram as the kernel sends it, little-endian: nlmsghdr + cn_msg + proc_event.
    fn datagram(what_v: u32, cpu: u32, ts: u64, seq: u32, words: &[u32], comm: &[u8]) -> Vec<u8> {
        let mut ev = Vec::new();
        ev.extend_from_slice(&what_v.to_le_bytes());
        ev.extend_from_slice(&cpu.to_le_bytes());
        ev.extend_from_slice(&ts.to_le_bytes());
        for w in words {
            ev.extend_from_slice(&w.to_le_bytes());
        }
        ev.extend_from_slice(comm);
        let mut b = Vec::new();
        let total = 16 + 20 + ev.len();
        b.extend_from_slice(&(total as u32).to_le_bytes());
        b.extend_from_slice(&3u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&seq.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&(ev.len() as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&ev);
        b
    }

    fn one(bytes: &[u8]) -> ProcEvent {
        let v = decode_datagram(bytes, Endianness::Little);
        assert_eq!(v.len(), 1, "{v:?}");
        v.into_iter().next().unwrap().unwrap()
    }

    #[test]
    fn fork_exec_exit() {
        let e = one(&datagram(
            what::FORK,
            1,
            123_456_789,
            7,
            &[100, 100, 200, 200],
            &[],
        ));
        assert_eq!(e.cpu, 1);
        assert_eq!(e.timestamp_ns, 123_456_789);
        assert_eq!(e.seq, 7);
        assert_eq!(
            e.data,
            EventData::Fork {
                parent_pid: 100,
                parent_tgid: 100,
                child_pid: 200,
                child_tgid: 200
            }
        );
        let e = one(&datagram(what::EXEC, 0, 5, 8, &[200, 200], &[]));
        assert_eq!(
            e.data,
            EventData::Exec {
                pid: 200,
                tgid: 200
            }
        );
        assert_eq!(e.data.kind(), "exec");
        // exit(3): exit_code 3 << 8, SIGCHLD to the parent, parent fields present.
        let e = one(&datagram(
            what::EXIT,
            0,
            6,
            9,
            &[200, 200, 3 << 8, 17, 100, 100],
            &[],
        ));
        match e.data {
            EventData::Exit {
                exit_code,
                exit_signal,
                parent_tgid,
                ..
            } => {
                assert_eq!(WaitStatus::from_code(exit_code).status, Some(3));
                assert_eq!(exit_signal, 17);
                assert_eq!(parent_tgid, Some(100));
            }
            d => panic!("{d:?}"),
        }
        // A kernel before 4.18: no parent fields.
        let e = one(&datagram(what::EXIT, 0, 6, 9, &[200, 200, 9, 17], &[]));
        assert!(matches!(
            e.data,
            EventData::Exit {
                parent_pid: None,
                parent_tgid: None,
                ..
            }
        ));
    }

    #[test]
    fn ids_comm_ptrace_ack_and_unknown() {
        let e = one(&datagram(what::UID, 0, 1, 1, &[5, 5, 1000, 0], &[]));
        assert_eq!(
            e.data,
            EventData::Uid {
                pid: 5,
                tgid: 5,
                ruid: 1000,
                euid: 0
            }
        );
        let e = one(&datagram(what::GID, 0, 1, 1, &[5, 5, 100, 100], &[]));
        assert!(matches!(e.data, EventData::Gid { egid: 100, .. }));
        let mut comm = *b"worker-1\0\0\0\0\0\0\0\0";
        comm[15] = 0;
        let e = one(&datagram(what::COMM, 0, 1, 1, &[6, 5], &comm));
        assert_eq!(
            e.data,
            EventData::Comm {
                pid: 6,
                tgid: 5,
                comm: b"worker-1".to_vec()
            }
        );
        let e = one(&datagram(what::PTRACE, 0, 1, 1, &[5, 5, 9, 9], &[]));
        assert!(matches!(e.data, EventData::Ptrace { tracer_tgid: 9, .. }));
        let e = one(&datagram(what::NONE, 0, 1, 1, &[0], &[]));
        assert_eq!(e.data, EventData::Ack { err: 0 });
        let e = one(&datagram(0x0800, 0, 1, 1, &[1, 2], &[]));
        assert_eq!(e.data, EventData::Unknown);
        assert_eq!(e.what, 0x0800);
    }

    #[test]
    fn wait_status() {
        assert_eq!(
            WaitStatus::from_code(9),
            WaitStatus {
                status: None,
                signal: Some(9),
                core_dumped: false
            }
        );
        assert!(WaitStatus::from_code(0x80 | 11).core_dumped);
        assert_eq!(WaitStatus::from_code(0).status, Some(0));
    }

    #[test]
    fn big_endian_and_damage() {
        // The same fork, big-endian.
        let mut b = Vec::new();
        b.extend_from_slice(&68u32.to_be_bytes());
        b.extend_from_slice(&3u16.to_be_bytes());
        b.extend_from_slice(&[0; 10]);
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&32u16.to_be_bytes());
        b.extend_from_slice(&[0; 2]);
        b.extend_from_slice(&what::FORK.to_be_bytes());
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&42u64.to_be_bytes());
        for w in [1u32, 1, 2, 2] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        let v = decode_datagram(&b, Endianness::Big);
        assert!(matches!(
            v[0].as_ref().unwrap().data,
            EventData::Fork { child_pid: 2, .. }
        ));
        // Truncated: nlmsg_len past the end.
        let v = decode_datagram(&b[..40], Endianness::Big);
        assert_eq!(v[0].as_ref().unwrap_err().offset, 0);
        // A fork with only two words of event_data.
        let d = datagram(what::FORK, 0, 1, 1, &[1, 1], &[]);
        let v = decode_datagram(&d, Endianness::Little);
        assert!(v[0].is_err(), "{v:?}");
        // Too short for any message.
        assert!(decode_datagram(&[1, 2, 3], Endianness::Little)[0].is_err());
    }

    /// Another listener's requests, as the kernel multicasts them: a 4-byte op, or an 8-byte
    /// `proc_input`. Skipped, never errors; a 4-byte datagram holding something else still is one.
    #[test]
    fn other_listeners_requests_are_skipped() {
        let control = |data: &[u8]| {
            let mut b = Vec::new();
            let total = 16 + 20 + data.len();
            b.extend_from_slice(&(total as u32).to_le_bytes());
            b.extend_from_slice(&3u16.to_le_bytes());
            b.extend_from_slice(&[0; 10]);
            b.extend_from_slice(&1u32.to_le_bytes());
            b.extend_from_slice(&1u32.to_le_bytes());
            b.extend_from_slice(&[0; 8]);
            b.extend_from_slice(&(data.len() as u16).to_le_bytes());
            b.extend_from_slice(&[0; 2]);
            b.extend_from_slice(data);
            b
        };
        assert!(decode_datagram(&control(&1u32.to_le_bytes()), Endianness::Little).is_empty());
        assert!(decode_datagram(&control(&2u32.to_le_bytes()), Endianness::Little).is_empty());
        let mut input = 1u32.to_le_bytes().to_vec();
        input.extend_from_slice(&what::EXEC.to_le_bytes());
        assert!(decode_datagram(&control(&input), Endianness::Little).is_empty());
        let v = decode_datagram(&control(&9u32.to_le_bytes()), Endianness::Little);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].as_ref().unwrap_err().offset, 36);
    }
}
