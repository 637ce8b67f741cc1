//! One process and what hangs off it: credentials, threads, files, mappings, limits, namespaces.

use serde::{Deserialize, Serialize};

use crate::abi::DataModel;
use crate::bytes::ByteString;
use crate::time::Timestamp;

/// One process. Identity across snapshots is `(pid, start_time)`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Process {
    /// Process id (Linux stat field 1 `pid`; Solaris `pr_pid`). [`Process::PID_UNKNOWN`] when the source
    /// records none (a core whose notes hold no process id): then absent from JSON and `-` in tables.
    #[serde(
        default = "Process::unknown_pid",
        skip_serializing_if = "Process::pid_is_unknown"
    )]
    pub pid: i32,
    /// Parent process id (stat field 4 `ppid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppid: Option<i32>,
    /// Process group id (stat field 5 `pgrp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pgid: Option<i32>,
    /// Session id (stat field 6 `session`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<i32>,
    /// Foreground process group of the controlling terminal (stat field 8 `tpgid`), absent without a
    /// terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpgid: Option<i32>,
    /// Controlling terminal device number (stat field 7 `tty_nr`), absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty: Option<u64>,
    /// Controlling terminal name derived from its device number (`pts/3`, `tty1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty_name: Option<String>,
    /// Start time, UTC (Linux: btime + stat field 22 `starttime` / CLK_TCK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// Start time in the source's own unit (Linux: clock ticks since boot), exact for matching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ticks: Option<u64>,
    /// Command name (Linux /proc/<pid>/comm or stat field 2; Solaris `pr_fname`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comm: Option<ByteString>,
    /// Executable path (Linux /proc/<pid>/exe link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<ByteString>,
    /// Arguments (Linux /proc/<pid>/cmdline split at NUL); an empty list for kernel threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<ByteString>>,
    /// Environment (`NAME=value` entries of /proc/<pid>/environ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<ByteString>>,
    /// The argument list as the kernel summarized it when argv itself is not available: Solaris
    /// `pr_psargs` (80 bytes), the `pr_psargs` of a core's `NT_PRPSINFO`. Arguments are joined by spaces,
    /// so it cannot be split back into argv.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psargs: Option<ByteString>,
    /// Current directory (Linux /proc/<pid>/cwd link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<ByteString>,
    /// Root directory (Linux /proc/<pid>/root link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<ByteString>,
    /// User and group ids, and their names as resolved on the host.
    #[serde(flatten)]
    pub cred: Credentials,
    /// One-letter state as `ps` shows it (`R`, `S`, `D`, `Z`, `T`, ...; stat field 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The state with the BSD modifiers of `ps -o stat` (Linux, as procps-ng adds them: `<` nice < 0,
    /// `N` nice > 0, `L` pages locked (status `VmLck`), `s` session leader, `l` multi-threaded, `+` in the
    /// terminal's foreground process group), e.g. `Ssl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat: Option<String>,
    /// How a process that has exited but was not yet reaped (a zombie) ended (Linux stat field 52
    /// `exit_code`); absent for live processes and when the reader could not see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<Exit>,
    /// Nice value (stat field 19).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nice: Option<i64>,
    /// Kernel priority (stat field 18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// Kernel flags word (stat field 9 `flags`, PF_*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u64>,
    /// Number of threads (status `Threads`, stat field 20 `num_threads`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nlwp: Option<u32>,
    /// User CPU time in seconds (stat field 14 `utime` / CLK_TCK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_time: Option<f64>,
    /// System CPU time in seconds (stat field 15 `stime` / CLK_TCK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_time: Option<f64>,
    /// Memory use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// Threads (Linux task/<tid>), when they were captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<Vec<Thread>>,
    /// Open file descriptors, when they were captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fds: Option<Vec<Fd>>,
    /// Memory mappings (Linux /proc/<pid>/maps, with smaps_rollup totals in [`Memory`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maps: Option<Vec<Mapping>>,
    /// Resource limits (Linux /proc/<pid>/limits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Vec<Limit>>,
    /// Namespaces the process is in (Linux /proc/<pid>/ns/* links).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<Namespace>>,
    /// Pid in each nested pid namespace, outermost first (Linux status `NSpid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nspid: Option<Vec<i32>>,
    /// Control groups (Linux /proc/<pid>/cgroup lines, `hierarchy:controllers:path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<Vec<ByteString>>,
    /// I/O counters (Linux /proc/<pid>/io).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io: Option<IoCounters>,
    /// Whether this is a kernel thread (Linux: PF_KTHREAD in stat flags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_thread: Option<bool>,
    /// Wait channel / kernel function it sleeps in (Linux /proc/<pid>/wchan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wchan: Option<String>,
    /// Login name of the session, as `setlogin(2)` set it (NetBSD `kinfo_proc2.p_login`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<ByteString>,
    /// Solaris zone name (core `NT_ZONENAME`; zone id 0 is `global`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Solaris zone id (`pr_zoneid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<i32>,
    /// Solaris project id (`pr_projid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<i32>,
    /// Solaris task id (`pr_taskid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<i32>,
    /// Solaris process contract id (`pr_contract`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<i32>,
    /// Recent CPU use in percent of one CPU (Solaris `pr_pctcpu`, a 16-bit binary fraction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pct_cpu: Option<f64>,
    /// Share of system memory in percent (Solaris `pr_pctmem`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pct_mem: Option<f64>,
    /// The process's data model: `ilp32` or `lp64` (Solaris `pr_dmodel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_model: Option<DataModel>,
    /// Named process flags (Solaris `pstatus.pr_flags`, as `pflags` prints them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag_names: Option<Vec<String>>,
    /// Signals pending to the process as a whole, a hex mask (bit n-1 = signal n; 16 digits, 32 where a
    /// 128-bit set has higher bits): Linux status `ShdPnd`, FreeBSD core `ki_siglist`, NetBSD core
    /// `cpi_sigpend`, illumos `pr_sigpend`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig_pending: Option<String>,
    /// Signals blocked, where the source records one mask for the process (NetBSD core `cpi_sigmask`);
    /// per-thread masks are in [`Thread::sig_blocked`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig_blocked: Option<String>,
    /// Signals ignored (Linux status `SigIgn`, FreeBSD core `ki_sigignore`, NetBSD core `cpi_sigignore`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig_ignored: Option<String>,
    /// Signals caught by a handler (Linux status `SigCgt`, FreeBSD core `ki_sigcatch`, NetBSD core
    /// `cpi_sigcatch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig_caught: Option<String>,
    /// File mode creation mask (Linux status `Umask`, FreeBSD core `NT_PROCSTAT_UMASK`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub umask: Option<u32>,
    /// Signal dispositions (Solaris `sigact`, as `psig` prints them; an illumos core records only the
    /// action of the signal being delivered, `lwpstatus.pr_action`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_actions: Option<Vec<SignalAction>>,
    /// Resource usage and microstate accounting (Solaris `usage`, `prusage_t`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// What the capture's process events say about it: forked or exited during the capture, exit status,
    /// or known only from the events. Absent when the capture recorded no event of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<super::ProcessEvents>,
    /// What could not be read of this process and why (the members recorded as failed: the manifest's
    /// per-member `error` for archives, the read's errno for live and directory inputs). The fields they
    /// would have filled are absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<Unread>,
}

/// How a process ended: a wait(2) status word, decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    /// The status word as waitpid(2) reports it.
    pub code: i32,
    /// `WEXITSTATUS`, when it exited normally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    /// `WTERMSIG`, when a signal killed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// The signal's name on the captured system (`SIGKILL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_name: Option<String>,
    /// `WCOREDUMP`, when a signal killed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_dumped: Option<bool>,
}

impl Exit {
    /// Decodes a wait(2) status word (the Linux and BSD encoding: low 7 bits the signal, 0x80 the core
    /// flag, bits 8..15 the exit status); `signal_name` names a signal number.
    pub fn from_code(code: i32, signal_name: impl Fn(i32) -> Option<String>) -> Exit {
        let sig = code & 0x7f;
        if sig == 0 {
            Exit {
                code,
                status: Some((code >> 8) & 0xff),
                signal: None,
                signal_name: None,
                core_dumped: None,
            }
        } else {
            Exit {
                code,
                status: None,
                signal: Some(sig),
                signal_name: signal_name(sig),
                core_dumped: Some(code & 0x80 != 0),
            }
        }
    }

    /// `exited 3`, `killed SIGKILL`, `killed SIGSEGV (core dumped)`.
    pub fn text(&self) -> String {
        match (self.status, self.signal) {
            (Some(s), _) => format!("exited {s}"),
            (None, Some(sig)) => {
                let name = self.signal_name.clone().unwrap_or_else(|| sig.to_string());
                if self.core_dumped == Some(true) {
                    format!("killed {name} (core dumped)")
                } else {
                    format!("killed {name}")
                }
            }
            (None, None) => format!("wait status {:#x}", self.code),
        }
    }
}

/// One member of a process that could not be read (`proc/1/environ`: `EACCES`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread {
    /// The process field it would have filled (`env`, `argv`, `exe`, `fds`, `maps`, `namespaces`,
    /// `threads`, ...), or the member's file name when it feeds many (`stat`, `status`).
    pub field: String,
    /// The member: the archive path (`proc/1/environ`, `proc/1/fd`).
    pub member: String,
    /// The error name as the capture recorded it: an errno name (`EACCES`, `ENOENT`, `ESRCH`, ...),
    /// `timeout` (the read blocked) or `skipped` (not tried after a timeout of the same process).
    pub error: String,
}

impl Unread {
    /// The error in words: its name and what strerror(3) says (`EACCES: Permission denied`), or the
    /// error as recorded when it has no such words.
    pub fn reason(&self) -> String {
        let words = match self.error.as_str() {
            "EACCES" => "Permission denied",
            "EPERM" => "Operation not permitted",
            "ENOENT" => "No such file or directory",
            "ESRCH" => "No such process",
            "EIO" => "Input/output error",
            "EINVAL" => "Invalid argument",
            "ENOMEM" => "Cannot allocate memory",
            "ENOTDIR" => "Not a directory",
            "ELOOP" => "Too many levels of symbolic links",
            "timeout" => "the read blocked past the read timeout",
            "skipped" => "not tried after a read of this process timed out",
            _ => return self.error.clone(),
        };
        format!("{}: {words}", self.error)
    }

    /// `proc/1/fd (EACCES: Permission denied)`, as lsof names what it could not read.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.member, self.reason())
    }
}

impl Process {
    /// Why `field` (`env`, `fds`, `maps`, ... as in [`Unread::field`]) could not be read, when a member
    /// it comes from is recorded as failed: `EACCES: Permission denied`.
    pub fn unread_reason(&self, field: &str) -> Option<String> {
        self.unread
            .iter()
            .find(|u| u.field == field)
            .map(Unread::reason)
    }

    /// The `pid` of a process whose id the source does not record. No real pid is negative.
    pub const PID_UNKNOWN: i32 = i32::MIN;

    fn unknown_pid() -> i32 {
        Self::PID_UNKNOWN
    }

    fn pid_is_unknown(pid: &i32) -> bool {
        *pid == Self::PID_UNKNOWN
    }

    /// The pid, unless unknown.
    pub fn known_pid(&self) -> Option<i32> {
        (self.pid != Self::PID_UNKNOWN).then_some(self.pid)
    }

    /// The pid as tables show it: `-` when unknown.
    pub fn pid_text(&self) -> String {
        if self.pid == Self::PID_UNKNOWN {
            "-".into()
        } else {
            self.pid.to_string()
        }
    }

    /// The command line joined with spaces, or `[comm]` when there is no argv (kernel threads, zombies).
    pub fn command_line(&self) -> String {
        match &self.argv {
            Some(argv) if !argv.is_empty() => argv
                .iter()
                .map(|a| a.escaped())
                .collect::<Vec<_>>()
                .join(" "),
            _ if self.psargs.as_ref().is_some_and(|a| !a.is_empty()) => self
                .psargs
                .as_ref()
                .map(|a| a.escaped())
                .unwrap_or_default(),
            _ => format!(
                "[{}]",
                self.comm.as_ref().map(|c| c.escaped()).unwrap_or_default()
            ),
        }
    }
}

/// User and group identity (Linux status `Uid:`/`Gid:`/`Groups:`; Solaris prcred).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Credentials {
    /// Real user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Effective user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub euid: Option<u32>,
    /// Saved set-user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suid: Option<u32>,
    /// Filesystem user id (Linux only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsuid: Option<u32>,
    /// Real group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// Effective group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egid: Option<u32>,
    /// Saved set-group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sgid: Option<u32>,
    /// Filesystem group id (Linux only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsgid: Option<u32>,
    /// Supplementary groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<u32>>,
    /// Name of the real user, from the host's passwd as captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Name of the effective user, from the host's passwd as captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub euser: Option<String>,
    /// Name of the real group, from the host's group file as captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Memory use of a process, in KiB.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Virtual size in KiB (status `VmSize`, or statm size × page size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vsz_kib: Option<u64>,
    /// Resident set in KiB (status `VmRSS`, or statm resident × page size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_kib: Option<u64>,
    /// Resident shared (file-backed and shmem) pages in KiB (statm `shared` × page size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_kib: Option<u64>,
    /// Peak resident set in KiB (status `VmHWM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_peak_kib: Option<u64>,
    /// Swapped-out memory in KiB (status `VmSwap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap_kib: Option<u64>,
    /// Proportional set size in KiB (smaps_rollup `Pss`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pss_kib: Option<u64>,
    /// Anonymous resident memory in KiB (smaps_rollup `Anonymous`, or status `RssAnon`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anon_kib: Option<u64>,
    /// Locked memory in KiB (status `VmLck`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_kib: Option<u64>,
}

/// One thread (Linux task, Solaris/NetBSD LWP).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Thread {
    /// Thread id (Linux tid; LWP id elsewhere).
    pub tid: i32,
    /// Thread name (Linux task/<tid>/comm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<ByteString>,
    /// One-letter state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// User CPU time in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_time: Option<f64>,
    /// System CPU time in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_time: Option<f64>,
    /// CPU the thread last ran on (stat field 39 `processor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor: Option<u32>,
    /// Kernel priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// Nice value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nice: Option<i64>,
    /// Start time, UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// Wait channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wchan: Option<String>,
    /// Pending signal mask, hex digits with bit n-1 set for signal n: Linux status `SigPnd` as the
    /// kernel prints it (16 digits); Solaris `lwpstatus.pr_lwppend` (`sigset_t`, 32 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig_pending: Option<String>,
    /// Blocked signal mask, in the same form (Linux status `SigBlk`; Solaris `pr_lwphold`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig_blocked: Option<String>,
    /// The signals of `sig_pending` by name, where the source is a binary set (Solaris).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig_pending_names: Option<Vec<String>>,
    /// The signals of `sig_blocked` by name, where the source is a binary set (Solaris).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig_blocked_names: Option<Vec<String>>,
    /// Voluntary context switches (status `voluntary_ctxt_switches`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voluntary_ctxt_switches: Option<u64>,
    /// Involuntary context switches (status `nonvoluntary_ctxt_switches`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonvoluntary_ctxt_switches: Option<u64>,
    /// Cores: the signal this thread was stopped by (Linux `pr_cursig`, illumos `pr_cursig`, NetBSD
    /// `cpi_signo` for `cpi_siglwp`); 0 for threads that were not signalled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// Cores: program counter at the time of the dump.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pc: Option<u64>,
    /// Cores: stack pointer (sparc64: with the 2047 stack bias added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp: Option<u64>,
    /// Cores: the general registers as dumped, with their architecture's names, in dump order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registers: Option<Vec<Register>>,
    /// Scheduling class (Solaris `pr_clname`: `TS`, `IA`, `SYS`, `RT`, `FSS`, `FX`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Recent CPU use in percent (Solaris `lwpsinfo.pr_pctcpu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pct_cpu: Option<f64>,
    /// Named LWP flags (Solaris `lwpstatus.pr_flags`: `STOPPED`, `ASLEEP`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag_names: Option<Vec<String>>,
    /// Why the LWP is stopped (Solaris `pr_why`/`pr_what`), when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// The system call in progress (Solaris `pr_syscall`, `pr_sysarg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syscall: Option<Syscall>,
    /// Resource usage and microstate accounting of this LWP (Solaris `lwpusage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Cores: the call stack, innermost first, when the threads were unwound (`procsift core`,
    /// `threads --stack`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames: Option<Vec<crate::model::Frame>>,
    /// Cores: why the unwind of this thread stopped where it did (the outermost frame's CFI marks no
    /// caller, the frame limit, a loop, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unwind_stop: Option<String>,
}

/// A system call in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Syscall {
    /// The system call number.
    pub number: i32,
    /// Its name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its arguments (`pr_sysarg[0..pr_nsysarg]`).
    pub args: Vec<u64>,
}

/// What a process does with one signal (Solaris `struct sigaction` in `sigact`; Linux status `SigCgt`
/// and `SigIgn` with `SigBlk`, `SigPnd` and `ShdPnd`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalAction {
    /// Signal number.
    pub signal: i32,
    /// Signal name (`SIGHUP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `default`, `ignored`, or `caught` (with `handler`); empty (absent from JSON) when the source does
    /// not say (a Linux core records no dispositions, an illumos core only that of the current signal).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub action: String,
    /// The handler's address, when caught.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<u64>,
    /// Signals blocked while the handler runs (`sa_mask`), by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mask: Vec<String>,
    /// `sa_flags` by name (`SA_RESTART`, `SA_SIGINFO`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Whether the signal is blocked (Linux: in the main thread's `SigBlk`; each thread's own mask is
    /// its `sig_blocked`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
    /// Whether the signal is pending (Linux: in the process's `ShdPnd` or the main thread's `SigPnd`),
    /// when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<bool>,
}

/// Resource usage with microstate accounting (Solaris `prusage_t`); times in seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// `pr_rtime`: elapsed real time.
    pub real: f64,
    /// `pr_utime`: user level CPU time.
    pub user: f64,
    /// `pr_stime`: system call CPU time.
    pub system: f64,
    /// `pr_ttime`: other system trap CPU time.
    pub trap: f64,
    /// `pr_tftime`: text page fault sleep time.
    pub text_fault: f64,
    /// `pr_dftime`: data page fault sleep time.
    pub data_fault: f64,
    /// `pr_kftime`: kernel page fault sleep time.
    pub kernel_fault: f64,
    /// `pr_ltime`: user lock wait sleep time.
    pub lock: f64,
    /// `pr_slptime`: all other sleep time.
    pub sleep: f64,
    /// `pr_wtime`: wait-cpu (latency) time.
    pub wait_cpu: f64,
    /// `pr_stoptime`: stopped time.
    pub stopped: f64,
    /// `pr_minf`: minor page faults.
    pub minor_faults: u64,
    /// `pr_majf`: major page faults.
    pub major_faults: u64,
    /// `pr_inblk`: input blocks.
    pub in_blocks: u64,
    /// `pr_oublk`: output blocks.
    pub out_blocks: u64,
    /// `pr_sigs`: signals received.
    pub signals: u64,
    /// `pr_vctx`: voluntary context switches.
    pub voluntary_switches: u64,
    /// `pr_ictx`: involuntary context switches.
    pub involuntary_switches: u64,
    /// `pr_sysc`: system calls.
    pub syscalls: u64,
    /// `pr_ioch`: characters read and written.
    pub io_chars: u64,
}

/// One register of a dumped thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    /// The architecture's name for it (`ip`, `sp`, `x29`, `psw_addr`, ...).
    pub name: String,
    /// Its value.
    pub value: u64,
}

/// What an open file descriptor refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FdKind {
    /// A regular file (or a path that does not look special).
    File,
    /// A directory.
    Dir,
    /// A character or block device under /dev.
    Device,
    /// A pipe (`pipe:[inode]`).
    Pipe,
    /// A socket (`socket:[inode]`).
    Socket,
    /// An anonymous inode (`anon_inode:[eventfd]`, epoll, timerfd, ...).
    AnonInode,
    /// Something else (`/memfd:...`, unknown link text).
    Other,
}

/// One open file descriptor (Linux /proc/<pid>/fd/N and fdinfo/N).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fd {
    /// Descriptor number.
    pub fd: i32,
    /// What it refers to.
    pub kind: FdKind,
    /// The link target as the kernel shows it (`/var/log/x`, `socket:[123]`, `pipe:[456]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ByteString>,
    /// Open mode: `r`, `w` or `rw` (fdinfo `flags` O_ACCMODE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Open flags in octal as fdinfo prints them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u64>,
    /// File position (fdinfo `pos`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<u64>,
    /// Inode number (socket and pipe inodes from the link; fdinfo `ino` otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inode: Option<u64>,
    /// For sockets: the endpoint found by joining the inode with net/{tcp,tcp6,udp,udp6,unix}.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket: Option<Socket>,
}

/// A socket endpoint pair, from /proc/net/*.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Socket {
    /// Protocol: `tcp`, `tcp6`, `udp`, `udp6`, `unix`.
    pub protocol: String,
    /// Local address (IP endpoints), or the bound path (unix sockets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<SocketEndpoint>,
    /// Remote address (IP endpoints; absent when unconnected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<SocketEndpoint>,
    /// State name (`LISTEN`, `ESTABLISHED`, ...; unix: `CONNECTED`, `LISTEN`, `UNCONNECTED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Unix sockets: `stream`, `dgram` or `seqpacket`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_type: Option<String>,
    /// Owner uid as the net table records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Inode of the network namespace whose table held this socket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netns: Option<u64>,
}

/// An address and port (IP), or a path (unix).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SocketEndpoint {
    /// IP address as text (`127.0.0.1`, `::1`), or the unix socket path.
    pub address: ByteString,
    /// Port (IP endpoints only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

impl std::fmt::Display for SocketEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.address.escaped();
        match self.port {
            Some(p) if a.contains(':') => write!(f, "[{a}]:{p}"),
            Some(p) => write!(f, "{a}:{p}"),
            None => f.write_str(&a),
        }
    }
}

/// One memory mapping (Linux /proc/<pid>/maps line; Solaris prmap/prxmap).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Mapping {
    /// Start address.
    pub start: u64,
    /// End address (exclusive).
    pub end: u64,
    /// Permissions as four letters (`r-xp`; cores: three, from `p_flags`); empty (absent from JSON) when
    /// the source does not say (a core's `NT_FILE` range that has no segment).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub perms: String,
    /// Offset into the mapped object.
    pub offset: u64,
    /// Device `major:minor` of the mapped file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    /// Inode of the mapped file (0 for anonymous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inode: Option<u64>,
    /// Path or pseudo-name (`[heap]`, `[stack]`); absent for anonymous mappings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<ByteString>,
    /// Resident KiB (smaps `Rss`, Solaris prxmap `pr_rss`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_kib: Option<u64>,
    /// Anonymous KiB (smaps `Anonymous`, prxmap `pr_anon`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anon_kib: Option<u64>,
    /// Locked KiB (smaps `Locked`, Solaris prxmap `pr_locked`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_kib: Option<u64>,
    /// Dirty (modified) KiB: smaps `Shared_Dirty` + `Private_Dirty`, pmap -x's Dirty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dirty_kib: Option<u64>,
    /// Proportional set size in KiB (smaps `Pss`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pss_kib: Option<u64>,
    /// Swapped-out KiB (smaps `Swap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap_kib: Option<u64>,
    /// Page size of the mapping in bytes (Solaris `pr_pagesize`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    /// Cores: how many bytes of the range the core holds (`p_filesz`, bounded by the file); less than
    /// `end - start` means the rest was not dumped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dumped_bytes: Option<u64>,
    /// Cores: why contents are missing when the writer said so (illumos `PF_SUNW_FAILURE`,
    /// `PF_SUNW_KILLED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dump_note: Option<String>,
}

/// One resource limit (Linux /proc/<pid>/limits row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    /// Limit name as the kernel prints it (`Max open files`).
    pub name: String,
    /// Soft limit; `None` is unlimited (JSON: the string `"unlimited"`).
    #[serde(with = "limit_value")]
    pub soft: Option<u64>,
    /// Hard limit; `None` is unlimited (JSON: the string `"unlimited"`).
    #[serde(with = "limit_value")]
    pub hard: Option<u64>,
    /// Unit (`files`, `bytes`, `seconds`, ...), when the kernel prints one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A limit value in JSON: a number, or `"unlimited"` (as the kernel and the diff's limit values say it).
mod limit_value {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(n) => s.serialize_u64(*n),
            None => s.serialize_str("unlimited"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum V {
            N(u64),
            S(String),
        }
        match Option::<V>::deserialize(d)? {
            Some(V::N(n)) => Ok(Some(n)),
            Some(V::S(s)) if s == "unlimited" => Ok(None),
            Some(V::S(s)) => Err(serde::de::Error::custom(format!(
                "limit {s:?} is neither a number nor \"unlimited\""
            ))),
            None => Ok(None),
        }
    }
}

/// One namespace membership (Linux /proc/<pid>/ns/<type> link, `type:[inode]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    /// Namespace type (`pid`, `net`, `mnt`, `user`, `uts`, `ipc`, `cgroup`, `time`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Namespace inode number.
    pub inode: u64,
    /// The name of the `ns/` link when it is not the type: `pid_for_children` and `time_for_children`
    /// (the namespaces the process's future children get; their target is a `pid:[...]`/`time:[...]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// Cumulative I/O counters (Linux /proc/<pid>/io).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IoCounters {
    /// Bytes read through read-like calls (`rchar`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rchar: Option<u64>,
    /// Bytes written through write-like calls (`wchar`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wchar: Option<u64>,
    /// Read system calls (`syscr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syscr: Option<u64>,
    /// Write system calls (`syscw`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syscw: Option<u64>,
    /// Bytes fetched from storage (`read_bytes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_bytes: Option<u64>,
    /// Bytes sent to storage (`write_bytes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_bytes: Option<u64>,
    /// Bytes whose write-out was cancelled (`cancelled_write_bytes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_write_bytes: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unlimited limit is the string "unlimited" in JSON, never null, and reads back.
    #[test]
    fn unlimited_limits_are_a_string() {
        let l = Limit {
            name: "Max open files".into(),
            soft: Some(1024),
            hard: None,
            unit: Some("files".into()),
        };
        let v = serde_json::to_value(&l).unwrap();
        assert_eq!(v["soft"], 1024);
        assert_eq!(v["hard"], "unlimited");
        assert_eq!(serde_json::from_value::<Limit>(v).unwrap(), l);
    }
}
