//! The exported tables: their columns (the single source of docs/schema.md's dataset section) and how
//! one snapshot's model fills them.

use super::CaptureKey;
use super::rows::{Column, Rows, Type, col};
use crate::check::Outcome;
use crate::model::{Fd, Namespace, Process, Snapshot};

/// The columns every table starts with: which capture a row belongs to.
macro_rules! key_columns {
    () => {
        [
            col(
                "capture_id",
                Type::Utf8,
                "The capture: 16 hex digits of a SHA-256 over the host name, boot id, boot time and capture window (or, for inputs without a capture window, the processes' pids and start ticks and the core's signal); the same input always gives the same id. Also the file name of the capture's part of each table.",
            ),
            col(
                "host",
                Type::Utf8,
                "Host name (manifest `host.hostname`, uname nodename); also the `host=` partition.",
            ),
            col(
                "captured_at",
                Type::Timestamp,
                "When the records were read: the capture's start (manifest `capture.started`); for a directory, boot time + `/proc/uptime`; for a core, the core file's modification time. Its UTC date is the `date=` partition.",
            ),
        ]
    };
}

/// One exported table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Table {
    /// One row per capture: host facts, capture window, counts.
    Captures,
    /// One row per process.
    Processes,
    /// One row per thread (LWP).
    Threads,
    /// One row per open file descriptor.
    Fds,
    /// One row per socket descriptor, joined to its endpoint.
    Sockets,
    /// One row per memory mapping.
    Maps,
    /// One row per process event recorded during the capture.
    Events,
    /// One row per `check` finding.
    Findings,
    /// One row per rule and reason `check` could not look at (some processes, or the whole input).
    NotChecked,
}

impl Table {
    /// Every table, in output order.
    pub const ALL: [Table; 9] = [
        Table::Captures,
        Table::Processes,
        Table::Threads,
        Table::Fds,
        Table::Sockets,
        Table::Maps,
        Table::Events,
        Table::Findings,
        Table::NotChecked,
    ];

    /// True for the tables of `check`'s outcome (written only when the rules ran).
    pub fn of_check(self) -> bool {
        matches!(self, Table::Findings | Table::NotChecked)
    }

    /// The table's name: its directory under the output.
    pub fn name(self) -> &'static str {
        match self {
            Table::Captures => "captures",
            Table::Processes => "processes",
            Table::Threads => "threads",
            Table::Fds => "fds",
            Table::Sockets => "sockets",
            Table::Maps => "maps",
            Table::Events => "events",
            Table::Findings => "findings",
            Table::NotChecked => "not_checked",
        }
    }

    /// What one row is.
    pub fn row(self) -> &'static str {
        match self {
            Table::Captures => "one capture (snapshot archive, directory or core)",
            Table::Processes => {
                "one process read in the capture (as `ps` lists it; processes known only from events are in `events`)"
            }
            Table::Threads => {
                "one thread as `procsift threads` lists it (a Linux process with one thread has no row: its thread is the process)"
            }
            Table::Fds => "one open file descriptor",
            Table::Sockets => {
                "one socket descriptor, joined to its endpoint in the socket tables (`net/tcp`, ...)"
            }
            Table::Maps => "one memory mapping",
            Table::Events => "one process event recorded during the capture (Linux `cn_proc`)",
            Table::Findings => {
                "one finding of `procsift check` (its rules, every severity, `--rules`/`--skip`/`--allow` as given to `export`)"
            }
            Table::NotChecked => {
                "one rule and reason for which `check` could not look at some processes, or at the whole input (`check`'s `not checked`)"
            }
        }
    }

    /// The columns.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Table::Captures => CAPTURES,
            Table::Processes => PROCESSES,
            Table::Threads => THREADS,
            Table::Fds => FDS,
            Table::Sockets => SOCKETS,
            Table::Maps => MAPS,
            Table::Events => EVENTS,
            Table::Findings => FINDINGS,
            Table::NotChecked => NOT_CHECKED,
        }
    }

    /// This table's rows of one snapshot, whose `check` outcome is `checked` (none: the check tables
    /// have no rows).
    pub fn rows(self, s: &Snapshot, checked: Option<&Outcome>, key: &CaptureKey) -> Rows {
        let mut r = Rows::new(self.columns());
        match self {
            Table::Captures => captures(&mut r, s, key),
            Table::Processes => processes(&mut r, s, key),
            Table::Threads => threads(&mut r, s, key),
            Table::Fds => fds(&mut r, s, key),
            Table::Sockets => sockets(&mut r, s, key),
            Table::Maps => maps(&mut r, s, key),
            Table::Events => events(&mut r, s, key),
            Table::Findings => findings(&mut r, checked, key),
            Table::NotChecked => not_checked(&mut r, checked, key),
        }
        r
    }
}

fn key(r: &mut Rows, k: &CaptureKey) {
    r.str(Some(&k.id)).str(k.host.as_deref()).ts(k.captured_at);
}

fn pid(p: &Process) -> Option<i32> {
    p.known_pid()
}

static CAPTURES: &[Column] = &{
    let k = key_columns!();
    [
        k[0],
        k[1],
        k[2],
        col(
            "finished_at",
            Type::Timestamp,
            "When the capture finished (manifest `capture.finished`).",
        ),
        col(
            "source_kind",
            Type::Utf8,
            "`archive`, `directory`, `core` or `live`.",
        ),
        col(
            "source_path",
            Type::Utf8,
            "The input's path as given to `export` (for information: it is not part of the capture id).",
        ),
        col(
            "os",
            Type::Utf8,
            "The system that wrote the records: `linux`, `solaris`, `netbsd`, `freebsd`.",
        ),
        col("sysname", Type::Utf8, "uname sysname (`Linux`, `SunOS`)."),
        col("release", Type::Utf8, "uname release."),
        col("machine", Type::Utf8, "uname machine (`x86_64`)."),
        col("os_release", Type::Utf8, "os-release `PRETTY_NAME`."),
        col(
            "boot_id",
            Type::Utf8,
            "Linux `/proc/sys/kernel/random/boot_id`.",
        ),
        col(
            "boot_time",
            Type::Timestamp,
            "Boot time (`btime` of `/proc/stat`).",
        ),
        col(
            "uptime_secs",
            Type::Float64,
            "Seconds since boot (`/proc/uptime`).",
        ),
        col(
            "load1",
            Type::Float64,
            "1-minute load average (`/proc/loadavg`).",
        ),
        col("load5", Type::Float64, "5-minute load average."),
        col("load15", Type::Float64, "15-minute load average."),
        col(
            "mem_total_bytes",
            Type::Int64,
            "`MemTotal` of `/proc/meminfo`, in bytes.",
        ),
        col(
            "mem_available_bytes",
            Type::Int64,
            "`MemAvailable` of `/proc/meminfo`, in bytes.",
        ),
        col("ncpu", Type::Int32, "CPUs (`cpuN` lines of `/proc/stat`)."),
        col("clk_tck", Type::Int64, "Clock ticks per second."),
        col("page_size", Type::Int64, "Page size in bytes."),
        col(
            "tool_version",
            Type::Utf8,
            "procsift version that captured (manifest).",
        ),
        col("case_id", Type::Utf8, "`capture --case`."),
        col("examiner", Type::Utf8, "`capture --examiner`."),
        col("note", Type::Utf8, "`capture --note`."),
        col(
            "profile",
            Type::Utf8,
            "What was read of each process: `full` or `minimal` (`capture --profile`).",
        ),
        col(
            "processes",
            Type::Int64,
            "Processes read (rows in `processes`).",
        ),
        col("members", Type::Int64, "Members in the archive."),
        col(
            "vanished",
            Type::Int64,
            "Processes that vanished while they were being read.",
        ),
        col(
            "read_errors",
            Type::ListUtf8,
            "Members not read, by error: `ENOENT=12`, `EACCES=3`, ...",
        ),
        col(
            "events_recorded",
            Type::Bool,
            "Whether process events were recorded (null: the input has no event log).",
        ),
        col("events_count", Type::Int64, "Process events recorded."),
        col(
            "events_lost",
            Type::Int64,
            "Times the kernel dropped events (ENOBUFS).",
        ),
        col(
            "core_signal",
            Type::Int32,
            "Cores: the signal that ended the process.",
        ),
        col(
            "core_signal_name",
            Type::Utf8,
            "Cores: its name (`SIGSEGV`).",
        ),
        col(
            "core_fault_address",
            Type::UInt64,
            "Cores: the faulting address (`si_addr`).",
        ),
        col(
            "warnings",
            Type::ListUtf8,
            "Problems met reading the input, each `member: at byte N: message`.",
        ),
    ]
};

fn captures(r: &mut Rows, s: &Snapshot, k: &CaptureKey) {
    key(r, k);
    let h = &s.host;
    let c = s.capture.as_ref();
    let load = h.loadavg;
    let signal = s.core.as_ref().and_then(|c| c.signal.as_ref());
    let errors: Option<Vec<String>> = c.map(|c| {
        c.read_errors
            .iter()
            .map(|(e, n)| format!("{e}={n}"))
            .collect()
    });
    let warnings: Vec<String> = s.warnings.iter().map(|w| w.to_string()).collect();
    let kind = match s.source.kind {
        crate::model::InputKind::Live => "live",
        crate::model::InputKind::Archive => "archive",
        crate::model::InputKind::Directory => "directory",
        crate::model::InputKind::Core => "core",
    };
    r.ts(c.and_then(|c| c.finished))
        .str(Some(kind))
        .str(Some(&s.source.path))
        .str(s.source.os.as_deref())
        .str(h.sysname.as_deref())
        .str(h.release.as_deref())
        .str(h.machine.as_deref())
        .str(h.os_release.as_deref())
        .str(h.boot_id.as_deref())
        .ts(h.boot_time)
        .f64(h.uptime_secs)
        .f64(load.map(|l| l[0]))
        .f64(load.map(|l| l[1]))
        .f64(load.map(|l| l[2]))
        .kib_as_bytes(h.mem_total_kib)
        .kib_as_bytes(h.mem_available_kib)
        .i32(h.ncpu.and_then(|n| i32::try_from(n).ok()))
        .u_as_i64(h.clk_tck)
        .u_as_i64(h.page_size)
        .str(c.map(|c| c.tool_version.as_str()))
        .str(c.and_then(|c| c.case.as_deref()))
        .str(c.and_then(|c| c.examiner.as_deref()))
        .str(c.and_then(|c| c.note.as_deref()))
        .str(c.and_then(|c| c.profile.as_deref()))
        .u_as_i64(Some(s.processes.len() as u64))
        .u_as_i64(c.map(|c| c.members))
        .u_as_i64(c.map(|c| c.vanished.len() as u64))
        .list_str(errors.as_deref())
        .bool(s.events.as_ref().map(|e| e.recorded))
        .u_as_i64(s.events.as_ref().map(|e| e.count))
        .u_as_i64(s.events.as_ref().map(|e| e.lost))
        .i32(signal.map(|g| g.number))
        .str(signal.and_then(|g| g.name.as_deref()))
        .u64(signal.and_then(|g| g.fault_address))
        .list_str(Some(&warnings));
    r.end();
}

static PROCESSES: &[Column] = &{
    let k = key_columns!();
    [
        k[0],
        k[1],
        k[2],
        col(
            "pid",
            Type::Int32,
            "Process id (stat field 1; Solaris `pr_pid`; NetBSD `p_pid`).",
        ),
        col("ppid", Type::Int32, "Parent process id (stat field 4)."),
        col("pgid", Type::Int32, "Process group (stat field 5)."),
        col("sid", Type::Int32, "Session (stat field 6)."),
        col("uid", Type::Int64, "Real user id (status `Uid:` 1st)."),
        col(
            "euid",
            Type::Int64,
            "Effective user id (status `Uid:` 2nd).",
        ),
        col("gid", Type::Int64, "Real group id."),
        col("egid", Type::Int64, "Effective group id."),
        col(
            "user",
            Type::Utf8,
            "Name of the real user, from the captured passwd.",
        ),
        col("euser", Type::Utf8, "Name of the effective user."),
        col(
            "comm",
            Type::Utf8,
            "Command name (stat field 2; Solaris `pr_fname`).",
        ),
        col(
            "argv",
            Type::ListUtf8,
            "Arguments (`cmdline` split at NUL); an empty list for kernel threads; null when not read.",
        ),
        col(
            "psargs",
            Type::Utf8,
            "The kernel's 80-byte argument summary where argv is not available (Solaris `pr_psargs`, cores).",
        ),
        col("exe", Type::Utf8, "Executable path (the `exe` link)."),
        col("cwd", Type::Utf8, "Current directory (the `cwd` link)."),
        col("root", Type::Utf8, "Root directory (the `root` link)."),
        col(
            "start_time",
            Type::Timestamp,
            "Start time: boot time + stat field 22 `starttime` / clock ticks.",
        ),
        col(
            "start_ticks",
            Type::Int64,
            "Start time in clock ticks since boot (stat field 22), exact for matching.",
        ),
        col(
            "state",
            Type::Utf8,
            "One-letter state (`R`, `S`, `D`, `Z`, `T`, ...).",
        ),
        col(
            "stat",
            Type::Utf8,
            "State with the BSD modifiers of `ps -o stat` (`Ssl`).",
        ),
        col(
            "nlwp",
            Type::Int64,
            "Threads (status `Threads`, stat field 20).",
        ),
        col("nice", Type::Int64, "Nice value (stat field 19)."),
        col("priority", Type::Int64, "Kernel priority (stat field 18)."),
        col(
            "tty",
            Type::Utf8,
            "Controlling terminal (`pts/3`), from stat field 7.",
        ),
        col(
            "rss_bytes",
            Type::Int64,
            "Resident set in bytes (status `VmRSS`).",
        ),
        col(
            "vsz_bytes",
            Type::Int64,
            "Virtual size in bytes (status `VmSize`).",
        ),
        col(
            "swap_bytes",
            Type::Int64,
            "Swapped out, bytes (status `VmSwap`).",
        ),
        col(
            "pss_bytes",
            Type::Int64,
            "Proportional set size, bytes (`smaps_rollup` `Pss`).",
        ),
        col(
            "user_time_secs",
            Type::Float64,
            "User CPU seconds (stat field 14 / clock ticks).",
        ),
        col(
            "system_time_secs",
            Type::Float64,
            "System CPU seconds (stat field 15 / clock ticks).",
        ),
        col(
            "read_bytes",
            Type::Int64,
            "Bytes fetched from storage (`io` `read_bytes`).",
        ),
        col(
            "write_bytes",
            Type::Int64,
            "Bytes sent to storage (`io` `write_bytes`).",
        ),
        col(
            "cgroup",
            Type::ListUtf8,
            "Control groups, one `hierarchy:controllers:path` line each (`cgroup`).",
        ),
        col(
            "nspid",
            Type::ListInt32,
            "Pid in each nested pid namespace, outermost first (status `NSpid`).",
        ),
        col(
            "ns_pid",
            Type::Int64,
            "Inode of the pid namespace (the `ns/pid` link).",
        ),
        col("ns_net", Type::Int64, "Inode of the network namespace."),
        col("ns_mnt", Type::Int64, "Inode of the mount namespace."),
        col("ns_user", Type::Int64, "Inode of the user namespace."),
        col("ns_uts", Type::Int64, "Inode of the UTS namespace."),
        col("ns_ipc", Type::Int64, "Inode of the IPC namespace."),
        col("ns_cgroup", Type::Int64, "Inode of the cgroup namespace."),
        col("ns_time", Type::Int64, "Inode of the time namespace."),
        col(
            "kernel_thread",
            Type::Bool,
            "A kernel thread (PF_KTHREAD in stat `flags`).",
        ),
        col(
            "exit_status",
            Type::Int32,
            "A zombie that exited: its exit status (stat field 52).",
        ),
        col(
            "exit_signal",
            Type::Int32,
            "A zombie killed by a signal: the signal.",
        ),
        col("zone", Type::Utf8, "Solaris zone name."),
        col(
            "unread",
            Type::ListUtf8,
            "What could not be read, one `member: ERROR` each (`proc/1/environ: EACCES`); the fields it would have filled are null.",
        ),
    ]
};

fn ns(namespaces: Option<&Vec<Namespace>>, kind: &str) -> Option<i64> {
    namespaces?
        .iter()
        .find(|n| n.kind == kind && n.link.is_none())
        .and_then(|n| i64::try_from(n.inode).ok())
}

fn processes(r: &mut Rows, s: &Snapshot, k: &CaptureKey) {
    for p in &s.processes {
        key(r, k);
        let m = p.memory.as_ref();
        let c = &p.cred;
        let unread: Vec<String> = p
            .unread
            .iter()
            .map(|u| format!("{}: {}", u.member, u.error))
            .collect();
        let ns_ = p.namespaces.as_ref();
        r.i32(pid(p))
            .i32(p.ppid)
            .i32(p.pgid)
            .i32(p.sid)
            .i64(c.uid.map(i64::from))
            .i64(c.euid.map(i64::from))
            .i64(c.gid.map(i64::from))
            .i64(c.egid.map(i64::from))
            .str(c.user.as_deref())
            .str(c.euser.as_deref())
            .bytes(p.comm.as_ref())
            .list_bytes(p.argv.as_deref())
            .bytes(p.psargs.as_ref())
            .bytes(p.exe.as_ref())
            .bytes(p.cwd.as_ref())
            .bytes(p.root.as_ref())
            .ts(p.start_time)
            .u_as_i64(p.start_ticks)
            .str(p.state.as_deref())
            .str(p.stat.as_deref())
            .i64(p.nlwp.map(i64::from))
            .i64(p.nice)
            .i64(p.priority)
            .str(p.tty_name.as_deref())
            .kib_as_bytes(m.and_then(|m| m.rss_kib))
            .kib_as_bytes(m.and_then(|m| m.vsz_kib))
            .kib_as_bytes(m.and_then(|m| m.swap_kib))
            .kib_as_bytes(m.and_then(|m| m.pss_kib))
            .f64(p.user_time)
            .f64(p.system_time)
            .u_as_i64(p.io.as_ref().and_then(|i| i.read_bytes))
            .u_as_i64(p.io.as_ref().and_then(|i| i.write_bytes))
            .list_bytes(p.cgroup.as_deref())
            .list_i32(p.nspid.as_deref())
            .i64(ns(ns_, "pid"))
            .i64(ns(ns_, "net"))
            .i64(ns(ns_, "mnt"))
            .i64(ns(ns_, "user"))
            .i64(ns(ns_, "uts"))
            .i64(ns(ns_, "ipc"))
            .i64(ns(ns_, "cgroup"))
            .i64(ns(ns_, "time"))
            .bool(p.kernel_thread)
            .i32(p.exit.as_ref().and_then(|e| e.status))
            .i32(p.exit.as_ref().and_then(|e| e.signal))
            .str(p.zone.as_deref())
            .list_str(Some(&unread));
        r.end();
    }
}

static THREADS: &[Column] = &{
    let k = key_columns!();
    [
        k[0],
        k[1],
        k[2],
        col("pid", Type::Int32, "The process."),
        col("tid", Type::Int32, "Thread id (Linux tid; LWP id)."),
        col("name", Type::Utf8, "Thread name (`task/<tid>/comm`)."),
        col("state", Type::Utf8, "One-letter state."),
        col("user_time_secs", Type::Float64, "User CPU seconds."),
        col("system_time_secs", Type::Float64, "System CPU seconds."),
        col(
            "processor",
            Type::Int32,
            "CPU it last ran on (stat field 39).",
        ),
        col("priority", Type::Int64, "Kernel priority."),
        col("nice", Type::Int64, "Nice value."),
        col("start_time", Type::Timestamp, "Start time."),
        col(
            "voluntary_ctxt_switches",
            Type::Int64,
            "Voluntary context switches (status).",
        ),
        col(
            "nonvoluntary_ctxt_switches",
            Type::Int64,
            "Involuntary context switches (status).",
        ),
        col(
            "signal",
            Type::Int32,
            "Cores: the signal this thread was stopped by (0: none).",
        ),
        col("pc", Type::UInt64, "Cores: program counter."),
        col("sp", Type::UInt64, "Cores: stack pointer."),
        col(
            "class",
            Type::Utf8,
            "Scheduling class (Solaris `pr_clname`).",
        ),
    ]
};

fn threads(r: &mut Rows, s: &Snapshot, k: &CaptureKey) {
    for p in &s.processes {
        for t in p.threads.iter().flatten() {
            key(r, k);
            r.i32(pid(p))
                .i32(Some(t.tid))
                .bytes(t.name.as_ref())
                .str(t.state.as_deref())
                .f64(t.user_time)
                .f64(t.system_time)
                .i32(t.processor.and_then(|n| i32::try_from(n).ok()))
                .i64(t.priority)
                .i64(t.nice)
                .ts(t.start_time)
                .u_as_i64(t.voluntary_ctxt_switches)
                .u_as_i64(t.nonvoluntary_ctxt_switches)
                .i32(t.signal)
                .u64(t.pc)
                .u64(t.sp)
                .str(t.class.as_deref());
            r.end();
        }
    }
}

static FDS: &[Column] = &{
    let k = key_columns!();
    [
        k[0],
        k[1],
        k[2],
        col("pid", Type::Int32, "The process."),
        col("fd", Type::Int32, "Descriptor number."),
        col(
            "kind",
            Type::Utf8,
            "`file`, `dir`, `device`, `pipe`, `socket`, `anon_inode`, `other`.",
        ),
        col(
            "target",
            Type::Utf8,
            "The `fd/N` link as the kernel shows it (`/var/log/x`, `socket:[123]`).",
        ),
        col(
            "mode",
            Type::Utf8,
            "`r`, `w` or `rw` (fdinfo `flags` & O_ACCMODE).",
        ),
        col("flags", Type::Int64, "Open flags (fdinfo `flags`)."),
        col("pos", Type::Int64, "File position (fdinfo `pos`)."),
        col(
            "inode",
            Type::UInt64,
            "Inode (socket and pipe inodes from the link; fdinfo `ino`).",
        ),
    ]
};

fn fd_kind(f: &Fd) -> &'static str {
    use crate::model::FdKind as K;
    match f.kind {
        K::File => "file",
        K::Dir => "dir",
        K::Device => "device",
        K::Pipe => "pipe",
        K::Socket => "socket",
        K::AnonInode => "anon_inode",
        K::Other => "other",
    }
}

fn fds(r: &mut Rows, s: &Snapshot, k: &CaptureKey) {
    for p in &s.processes {
        for f in p.fds.iter().flatten() {
            key(r, k);
            r.i32(pid(p))
                .i32(Some(f.fd))
                .str(Some(fd_kind(f)))
                .bytes(f.target.as_ref())
                .str(f.mode.as_deref())
                .u_as_i64(f.flags)
                .u_as_i64(f.pos)
                .u64(f.inode);
            r.end();
        }
    }
}

static SOCKETS: &[Column] = &{
    let k = key_columns!();
    [
        k[0],
        k[1],
        k[2],
        col("pid", Type::Int32, "The process holding the socket."),
        col("fd", Type::Int32, "Its descriptor."),
        col(
            "protocol",
            Type::Utf8,
            "`tcp`, `tcp6`, `udp`, `udp6`, `unix` (and the other systems' equivalents).",
        ),
        col(
            "local_address",
            Type::Utf8,
            "Local IP address as text, or the unix socket's bound path.",
        ),
        col("local_port", Type::Int32, "Local port."),
        col(
            "remote_address",
            Type::Utf8,
            "Remote IP address (null when unconnected).",
        ),
        col("remote_port", Type::Int32, "Remote port."),
        col(
            "state",
            Type::Utf8,
            "`LISTEN`, `ESTABLISHED`, ... (unix: `CONNECTED`, `LISTEN`, `UNCONNECTED`).",
        ),
        col(
            "socket_type",
            Type::Utf8,
            "Unix sockets: `stream`, `dgram`, `seqpacket`.",
        ),
        col(
            "uid",
            Type::Int64,
            "Owner uid as the socket table records it.",
        ),
        col(
            "netns",
            Type::Int64,
            "Inode of the network namespace whose table held it.",
        ),
        col("inode", Type::UInt64, "The socket's inode."),
    ]
};

fn sockets(r: &mut Rows, s: &Snapshot, k: &CaptureKey) {
    for p in &s.processes {
        for f in p.fds.iter().flatten() {
            let Some(so) = &f.socket else { continue };
            key(r, k);
            r.i32(pid(p))
                .i32(Some(f.fd))
                .str(Some(&so.protocol))
                .bytes(so.local.as_ref().map(|e| &e.address))
                .i32(so.local.as_ref().and_then(|e| e.port).map(i32::from))
                .bytes(so.remote.as_ref().map(|e| &e.address))
                .i32(so.remote.as_ref().and_then(|e| e.port).map(i32::from))
                .str(so.state.as_deref())
                .str(so.socket_type.as_deref())
                .i64(so.uid.map(i64::from))
                .u_as_i64(so.netns)
                .u64(f.inode);
            r.end();
        }
    }
}

static MAPS: &[Column] = &{
    let k = key_columns!();
    [
        k[0],
        k[1],
        k[2],
        col("pid", Type::Int32, "The process."),
        col("start", Type::UInt64, "Start address."),
        col("end", Type::UInt64, "End address (exclusive)."),
        col("size_bytes", Type::Int64, "`end - start`."),
        col(
            "perms",
            Type::Utf8,
            "Permissions (`r-xp`; cores: three letters).",
        ),
        col("offset", Type::UInt64, "Offset into the mapped object."),
        col("dev", Type::Utf8, "Device `major:minor`."),
        col(
            "inode",
            Type::UInt64,
            "Inode of the mapped file (0: anonymous).",
        ),
        col(
            "path",
            Type::Utf8,
            "Path or pseudo-name (`[heap]`); null for anonymous mappings.",
        ),
        col(
            "rss_bytes",
            Type::Int64,
            "Resident bytes (smaps `Rss`, with `capture --smaps`; Solaris `pr_rss`).",
        ),
        col(
            "anon_bytes",
            Type::Int64,
            "Anonymous bytes (smaps `Anonymous`).",
        ),
        col(
            "dirty_bytes",
            Type::Int64,
            "Dirty bytes (smaps `Shared_Dirty` + `Private_Dirty`).",
        ),
        col(
            "swap_bytes",
            Type::Int64,
            "Swapped-out bytes (smaps `Swap`).",
        ),
        col(
            "dumped_bytes",
            Type::Int64,
            "Cores: bytes of the range the core holds.",
        ),
    ]
};

fn maps(r: &mut Rows, s: &Snapshot, k: &CaptureKey) {
    for p in &s.processes {
        for m in p.maps.iter().flatten() {
            key(r, k);
            r.i32(pid(p))
                .u64(Some(m.start))
                .u64(Some(m.end))
                .u_as_i64(m.end.checked_sub(m.start))
                .str((!m.perms.is_empty()).then_some(m.perms.as_str()))
                .u64(Some(m.offset))
                .str(m.dev.as_deref())
                .u64(m.inode)
                .bytes(m.path.as_ref())
                .kib_as_bytes(m.rss_kib)
                .kib_as_bytes(m.anon_kib)
                .kib_as_bytes(m.dirty_kib)
                .kib_as_bytes(m.swap_kib)
                .u_as_i64(m.dumped_bytes);
            r.end();
        }
    }
}

static EVENTS: &[Column] = &{
    let k = key_columns!();
    [
        k[0],
        k[1],
        k[2],
        col(
            "time",
            Type::Timestamp,
            "When the event happened (its CLOCK_MONOTONIC time placed on UTC).",
        ),
        col(
            "timestamp_ns",
            Type::Int64,
            "`proc_event.timestamp_ns` (CLOCK_MONOTONIC nanoseconds).",
        ),
        col(
            "kind",
            Type::Utf8,
            "`fork`, `exec`, `exit`, `uid`, `gid`, `sid`, `ptrace`, `comm`, `coredump`, `lost`, `unknown`.",
        ),
        col(
            "pid",
            Type::Int32,
            "The thread (`process_pid`; fork: the child).",
        ),
        col(
            "tgid",
            Type::Int32,
            "Its process (`process_tgid`); a process's own events have `pid = tgid`.",
        ),
        col("parent_pid", Type::Int32, "fork, exit: `parent_pid`."),
        col("parent_tgid", Type::Int32, "fork, exit: `parent_tgid`."),
        col("ruid", Type::Int64, "uid: the new real user id."),
        col("euid", Type::Int64, "uid: the new effective user id."),
        col("rgid", Type::Int64, "gid: the new real group id."),
        col("egid", Type::Int64, "gid: the new effective group id."),
        col(
            "tracer_pid",
            Type::Int32,
            "ptrace: the tracer (0: detached).",
        ),
        col(
            "comm",
            Type::Utf8,
            "comm: the new name; exec: `comm` read right after the event.",
        ),
        col(
            "argv",
            Type::ListUtf8,
            "exec: `cmdline` read right after the event.",
        ),
        col(
            "exe",
            Type::Utf8,
            "exec: the `exe` link read right after the event.",
        ),
        col(
            "details_error",
            Type::Utf8,
            "exec: why the process could not be read after the event (`ENOENT`).",
        ),
        col("exit_code", Type::Int64, "exit: the wait(2) status word."),
        col(
            "exit_status",
            Type::Int32,
            "exit: the exit status, when it exited normally.",
        ),
        col("signal", Type::Int32, "exit: the signal that killed it."),
        col("signal_name", Type::Utf8, "exit: the signal's name."),
        col("core_dumped", Type::Bool, "exit: a core was dumped."),
        col("cpu", Type::Int32, "`proc_event.cpu`."),
    ]
};

fn events(r: &mut Rows, s: &Snapshot, k: &CaptureKey) {
    let Some(log) = &s.events else { return };
    for e in &log.events {
        key(r, k);
        r.ts(e.time)
            .u_as_i64(Some(e.timestamp_ns))
            .str(Some(&e.kind))
            .i32(e.pid)
            .i32(e.tgid)
            .i32(e.parent_pid)
            .i32(e.parent_tgid)
            .i64(e.ruid.map(i64::from))
            .i64(e.euid.map(i64::from))
            .i64(e.rgid.map(i64::from))
            .i64(e.egid.map(i64::from))
            .i32(e.tracer_pid)
            .bytes(e.comm.as_ref())
            .list_bytes(e.argv.as_deref())
            .bytes(e.exe.as_ref())
            .str(e.details_error.as_deref())
            .i64(e.exit_code.map(i64::from))
            .i32(e.exit_status)
            .i32(e.signal.and_then(|n| i32::try_from(n).ok()))
            .str(e.signal_name.as_deref())
            .bool(e.core_dumped)
            .i32(e.cpu.and_then(|n| i32::try_from(n).ok()));
        r.end();
    }
}

static FINDINGS: &[Column] = &{
    let k = key_columns!();
    [
        k[0],
        k[1],
        k[2],
        col(
            "rule",
            Type::Utf8,
            "The rule's id (`procsift check --list-rules`), e.g. `exe-deleted`.",
        ),
        col("severity", Type::Utf8, "`info`, `low`, `medium` or `high`."),
        col("attack", Type::Utf8, "MITRE ATT&CK technique id (`T1055`)."),
        col(
            "pid",
            Type::Int32,
            "The process; null for a host-wide finding (`/etc/ld.so.preload`, an orphan socket).",
        ),
        col(
            "start_time",
            Type::Timestamp,
            "The process's start (with `pid`, its identity across captures).",
        ),
        col("comm", Type::Utf8, "The process's command name."),
        col(
            "summary",
            Type::Utf8,
            "What was found, in one line (with its benign cause, for `low`); under `--redact`, secrets hidden as `check --redact` hides them.",
        ),
        col(
            "evidence_members",
            Type::ListUtf8,
            "The archive members or core notes that show it (`proc/1234/exe`, `NT_FILE`).",
        ),
        col(
            "evidence_details",
            Type::ListUtf8,
            "What each of `evidence_members` says, in the same order.",
        ),
    ]
};

fn findings(r: &mut Rows, checked: Option<&Outcome>, k: &CaptureKey) {
    let Some(o) = checked else { return };
    for f in &o.findings {
        key(r, k);
        let members: Vec<&str> = f.evidence.iter().map(|e| e.member.as_str()).collect();
        let details: Vec<&str> = f.evidence.iter().map(|e| e.detail.as_str()).collect();
        r.str(Some(&f.rule))
            .str(Some(f.severity.name()))
            .str(Some(&f.attack))
            .i32(f.pid)
            .ts(f.start_time)
            .bytes(f.comm.as_ref())
            .str(Some(&f.summary))
            .list_str(Some(&members))
            .list_str(Some(&details));
        r.end();
    }
}

static NOT_CHECKED: &[Column] = &{
    let k = key_columns!();
    [
        k[0],
        k[1],
        k[2],
        col("rule", Type::Utf8, "The rule's id."),
        col(
            "reason",
            Type::Utf8,
            "Why (`the environment was not read: EACCES`, `not run on a Linux core: ...`).",
        ),
        col(
            "pids",
            Type::ListInt32,
            "The processes it could not look at; empty when it could not run on the input at all.",
        ),
    ]
};

fn not_checked(r: &mut Rows, checked: Option<&Outcome>, k: &CaptureKey) {
    let Some(o) = checked else { return };
    for n in &o.not_checked {
        key(r, k);
        r.str(Some(&n.rule))
            .str(Some(&n.reason))
            .list_i32(Some(&n.pids));
        r.end();
    }
}
