//! Host-wide records beyond the host facts: what `check` cross-examines the process list with
//! (`/etc/ld.so.preload`, the mount table of each mount namespace, every IP socket of every captured
//! network namespace, and the pid probe of `capture --probe-pids`).
//!
//! Each is absent when the input does not hold it (an archive written before it was captured, a core, a
//! copied /proc tree without it): absent means "not known", never "nothing there".

use serde::{Deserialize, Serialize};

use super::Socket;
use crate::bytes::ByteString;
use crate::time::Timestamp;

/// Host-wide records (`Snapshot.system`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SystemState {
    /// `/etc/ld.so.preload` (Linux; member `etc/ld.so.preload`), when the input holds it or its read error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ld_so_preload: Option<PreloadFile>,
    /// One mount table per mount namespace (Linux `proc/<pid>/mountinfo` of the first process seen in
    /// each), when the input holds any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_tables: Option<Vec<MountTable>>,
    /// Every TCP and UDP socket of every captured network namespace (Linux `net/{tcp,tcp6,udp,udp6}`),
    /// whether or not a process was seen holding it; absent unless open files were asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sockets: Option<Vec<TableSocket>>,
    /// What `capture --probe-pids` found: pids that answered but were not in the listing of /proc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_probe: Option<PidProbe>,
}

/// `/etc/ld.so.preload`: the libraries the dynamic linker loads into every program (ld.so(8)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreloadFile {
    /// The entries, split at whitespace and `:` as ld.so splits them; `#` comments are not entries.
    pub entries: Vec<ByteString>,
    /// Why it could not be read, as the capture recorded it: `ENOENT` (the file does not exist, the
    /// normal case), `EACCES`, ...; absent when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The mount table of one mount namespace (`/proc/<pid>/mountinfo`, proc(5)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountTable {
    /// The process whose `mountinfo` it is (the first one the capture saw in the namespace).
    pub pid: i32,
    /// The mount namespace's inode (the `ns/mnt` link), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<u64>,
    /// The mounts, in the file's order.
    pub mounts: Vec<Mount>,
}

/// One line of `mountinfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// Field 1, `mount ID`.
    pub mount_id: u32,
    /// Field 2, `parent ID`.
    pub parent_id: u32,
    /// Field 3, `major:minor` of the filesystem's device.
    pub dev: String,
    /// Field 4, `root`: the directory of the filesystem mounted here (`/` for a whole filesystem; a
    /// subdirectory for a bind mount), octal escapes decoded.
    pub root: ByteString,
    /// Field 5, `mount point`, relative to the process's root, octal escapes decoded.
    pub mount_point: ByteString,
    /// Field 6, per-mount options (`rw,nosuid,relatime`).
    pub options: String,
    /// The filesystem type after the `-` separator (`proc`, `ext4`, `tmpfs`).
    pub fs_type: ByteString,
    /// The mount source (`/dev/sda1`, `proc`, `tmpfs`), octal escapes decoded.
    pub source: ByteString,
    /// Per-superblock options (`rw,hidepid=invisible`).
    pub super_options: String,
}

/// A socket as its network namespace's table lists it, with the inode that joins it to descriptors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableSocket {
    /// The socket's inode (`inode` column; `socket:[inode]` in `fd/` links). 0 for sockets no file
    /// refers to (`TIME_WAIT`, kernel sockets).
    pub inode: u64,
    /// The endpoints and state.
    #[serde(flatten)]
    pub socket: Socket,
}

/// The result of `capture --probe-pids`: every pid up to `pid_max` was looked up (`stat /proc/<n>`) and
/// these answered although the listing of /proc did not name them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PidProbe {
    /// `/proc/sys/kernel/pid_max`: the pids probed were 1 to this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_max: Option<u64>,
    /// The pids that answered and were not listed, ascending.
    pub answered: Vec<ProbedPid>,
}

/// One pid that answered the probe (its `stat` and `status` as read right after).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbedPid {
    /// The pid probed.
    pub pid: i32,
    /// Its thread group (status `Tgid`): the process it is a thread of; equal to `pid` for a process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tgid: Option<i32>,
    /// Parent (status `PPid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppid: Option<i32>,
    /// Command name (stat field 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comm: Option<ByteString>,
    /// Real user id (status `Uid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Start time, UTC (btime + stat field 22).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// Whether it started before /proc was listed (stat field 22, less one clock tick, against the
    /// boot-clock time in `probe/pids`, else the capture's start): a process that did cannot be missing
    /// from the listing by chance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_before_capture: Option<bool>,
}
