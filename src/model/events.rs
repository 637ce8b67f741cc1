//! Process events recorded during a capture (Linux process connector, `cn_proc`): the processes that
//! started, exec'd, changed identity and exited while the snapshot was being taken.

use serde::{Deserialize, Serialize};

use super::Process;
use crate::bytes::ByteString;
use crate::time::Timestamp;

/// The events a capture recorded, or why it recorded none.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EventLog {
    /// Whether events were recorded (the capture subscribed to the process connector for its whole
    /// window). When false, `reason` says why, and a process that lived and died during the capture cannot
    /// be known.
    pub recorded: bool,
    /// Why events were not recorded (`bind: EPERM: needs CAP_NET_ADMIN`, ...), or a problem that ended the
    /// recording early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the capture subscribed (`PROC_CN_MCAST_LISTEN` acknowledged), UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<Timestamp>,
    /// When it stopped listening, UTC (the end of the scan plus `--watch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribed: Option<Timestamp>,
    /// Seconds the capture went on listening after the scan (`--watch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_secs: Option<f64>,
    /// Number of process events (acknowledgements and `lost` markers not counted).
    pub count: u64,
    /// Times the socket's buffer overflowed (`recv` failed with ENOBUFS): events were lost there, how
    /// many is unknown. Each is also a `lost` entry in `events`.
    pub lost: u64,
    /// The timeline, in kernel time order.
    pub events: Vec<ProcEvent>,
    /// Processes known only from the events (not in the scan of /proc): each has `events.seen_only_in_events`
    /// set. `ps --all` and `tree --all` show them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<Process>,
}

/// One process event (`struct proc_event` of `include/uapi/linux/cn_proc.h`), decoded. The subject is
/// `pid`/`tgid`: for a fork, the child.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcEvent {
    /// UTC time of the event: `timestamp_ns` placed on the wall clock through the CLOCK_MONOTONIC/UTC pair
    /// the capture recorded when it subscribed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// `proc_event.timestamp_ns`: CLOCK_MONOTONIC nanoseconds (for `lost`: when `recv` reported it).
    pub timestamp_ns: u64,
    /// `proc_event.cpu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// `fork`, `exec`, `uid`, `gid`, `sid`, `ptrace`, `comm`, `coredump`, `exit`, `unknown` (`proc_event.what`,
    /// `enum proc_cn_event`), or `lost` (events dropped here: ENOBUFS).
    pub kind: String,
    /// `proc_event.what` as sent, for `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what: Option<u32>,
    /// The thread: `process_pid` (fork: `child_pid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// Its process: `process_tgid` (fork: `child_tgid`). A process's own events have `pid == tgid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tgid: Option<i32>,
    /// fork: `parent_pid`; exit and coredump: `parent_pid` (Linux 4.16/4.18 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_pid: Option<i32>,
    /// fork: `parent_tgid`; exit and coredump: `parent_tgid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_tgid: Option<i32>,
    /// uid: `r.ruid`, the new real user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruid: Option<u32>,
    /// uid: `e.euid`, the new effective user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub euid: Option<u32>,
    /// gid: `r.rgid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rgid: Option<u32>,
    /// gid: `e.egid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egid: Option<u32>,
    /// ptrace: `tracer_pid` (0: detached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracer_pid: Option<i32>,
    /// ptrace: `tracer_tgid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracer_tgid: Option<i32>,
    /// comm: `comm` (the new name); exec: `/proc/<pid>/comm` read right after the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comm: Option<ByteString>,
    /// exec: `/proc/<pid>/cmdline` read right after the event, split at NUL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<ByteString>>,
    /// exec: the `/proc/<pid>/exe` link read right after the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<ByteString>,
    /// exec: why `/proc/<pid>` could not be read after the event (`ENOENT`: it had exited already).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details_error: Option<String>,
    /// exit: `exit_code`, the wait(2) status word as the kernel sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u32>,
    /// exit: the status passed to exit(2) (`WEXITSTATUS` of `exit_code`), when it exited normally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<i32>,
    /// exit: the signal that killed it (`WTERMSIG` of `exit_code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<u32>,
    /// exit: the name of `signal` (`SIGKILL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_name: Option<String>,
    /// exit: a core was dumped (`WCOREDUMP` of `exit_code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_dumped: Option<bool>,
    /// exit: `exit_signal`, the signal the parent is sent (17, SIGCHLD, for a process; -1 for a thread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_signal: Option<i32>,
    /// ack: `ack.err`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub err: Option<u32>,
}

impl ProcEvent {
    /// `exited 3`, `killed SIGKILL`, `killed SIGSEGV (core dumped)` for an exit event.
    pub fn exit_text(&self) -> Option<String> {
        if let Some(s) = self.exit_status {
            return Some(format!("exited {s}"));
        }
        let sig = self.signal?;
        let name = self.signal_name.clone().unwrap_or_else(|| sig.to_string());
        Some(if self.core_dumped == Some(true) {
            format!("killed {name} (core dumped)")
        } else {
            format!("killed {name}")
        })
    }
}

/// What the capture's events say about one process (`Process.events`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessEvents {
    /// The process is not in the scan of /proc: it is known only from the events (it started and exited
    /// during the capture, or started after /proc was listed, or exited before it was read).
    pub seen_only_in_events: bool,
    /// When it was forked (its fork event), UTC, if that was during the capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked: Option<Timestamp>,
    /// Number of exec events of the process during the capture.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub execs: u32,
    /// When it exited (its exit event), UTC, if that was during the capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exited: Option<Timestamp>,
    /// The exit event itself (status, signal, core), when it exited during the capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<ProcEvent>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl ProcessEvents {
    /// `exited 3`, `killed SIGKILL`, ... or `None` when it did not exit during the capture.
    pub fn exit_text(&self) -> Option<String> {
        self.exit.as_ref().and_then(ProcEvent::exit_text)
    }
}
