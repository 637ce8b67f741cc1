//! The OS-neutral model every input is converted into and every report reads.
//!
//! Rules: fields a source lacks are `None` (or an absent list), never a made-up zero; bytes stay bytes
//! ([`ByteString`]); every problem met while building the model is a [`Warning`] naming its member and
//! byte offset. The serialized form of these types is the JSON contract documented in `docs/schema.md`;
//! [`SCHEMA_VERSION`] changes when a field is renamed or removed.

mod core;
mod events;
mod host;
mod process;
pub mod redact;
mod system;

pub use core::{
    AuxEntry, CoreInfo, CoreModule, CoreSignal, Frame, LiveDump, MissingMemory, NoteSummary,
    Provenance,
};
pub use events::{EventLog, ProcEvent, ProcessEvents};
pub use host::{CaptureInfo, Host, InputKind, Source};
pub use process::{
    Capabilities, Credentials, Exit, Fd, FdKind, IoCounters, Limit, Mapping, Memory, Namespace,
    Process, Register, SignalAction, Socket, SocketEndpoint, Syscall, Thread, Unread, Usage,
};
pub use system::{Mount, MountTable, PidProbe, PreloadFile, ProbedPid, SystemState, TableSocket};

use serde::{Deserialize, Serialize};

pub use crate::bytes::ByteString;
pub use crate::time::Timestamp;

/// Version of the JSON contract (`schema_version` at the top of every JSON document).
pub const SCHEMA_VERSION: u32 = 1;

/// Everything known about one moment of one host (or one core): the unit every report reads.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// Where the data came from (archive, directory, live host, core).
    pub source: Source,
    /// Facts about the host the data was taken on.
    pub host: Host,
    /// The capture run that produced the data, when the input is a procsift snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureInfo>,
    /// The core file's own facts, when the input is a core.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core: Option<CoreInfo>,
    /// Processes, sorted by pid. The key of a process across snapshots is `(pid, start_time)`.
    pub processes: Vec<Process>,
    /// The process events the capture recorded (Linux process connector), or why it recorded none;
    /// absent for inputs that are not procsift archives written with events in mind (directories, cores,
    /// older archives, live reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<EventLog>,
    /// Host-wide records the checks read (`/etc/ld.so.preload`, mount tables, every socket, the pid
    /// probe), each absent when the input does not hold it.
    #[serde(default)]
    pub system: SystemState,
    /// Problems met while reading or decoding the input; the rest was still analyzed.
    pub warnings: Vec<Warning>,
}

impl Snapshot {
    /// The process with this pid, if present.
    pub fn process(&self, pid: i32) -> Option<&Process> {
        self.processes
            .binary_search_by_key(&pid, |p| p.pid)
            .ok()
            .map(|i| &self.processes[i])
    }

    /// The total threads and open files over the processes whose lists are known (`info`'s counts);
    /// each `None` when no process has that list, never a made-up 0.
    pub fn list_totals(&self) -> (Option<usize>, Option<usize>) {
        let total = |len: fn(&Process) -> Option<usize>| {
            self.processes
                .iter()
                .filter_map(len)
                .fold(None, |acc: Option<usize>, n| Some(acc.unwrap_or(0) + n))
        };
        (
            total(|p| p.threads.as_ref().map(Vec::len)),
            total(|p| p.fds.as_ref().map(Vec::len)),
        )
    }

    /// Sorts processes by pid; call after building.
    pub fn sort(&mut self) {
        self.processes.sort_by_key(|p| p.pid);
    }

    /// Moves the processes known only from events ([`EventLog::processes`]) into `processes`, sorted by
    /// pid (`ps --all`, `tree --all`). A pid can then appear twice: the scanned process and an earlier one
    /// that had the same pid and exited during the capture.
    pub fn include_event_processes(&mut self) {
        if let Some(log) = &mut self.events {
            if !log.processes.is_empty() {
                self.processes.append(&mut log.processes);
                self.sort();
            }
        }
    }
}

/// A problem in the input that did not stop the analysis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The archive member, file or note the problem is in (`proc/1234/stat`, `manifest.json`, ...).
    pub member: String,
    /// Byte offset within that member, when the problem has a position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// What is wrong, in one line.
    pub message: String,
}

impl Warning {
    /// A warning about `member` at `offset`.
    pub fn at(member: impl Into<String>, offset: u64, message: impl Into<String>) -> Self {
        Warning {
            member: member.into(),
            offset: Some(offset),
            message: message.into(),
        }
    }

    /// A warning about a whole member.
    pub fn member(member: impl Into<String>, message: impl Into<String>) -> Self {
        Warning {
            member: member.into(),
            offset: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.offset {
            Some(o) => write!(f, "{}: at byte {}: {}", self.member, o, self.message),
            None => write!(f, "{}: {}", self.member, self.message),
        }
    }
}
