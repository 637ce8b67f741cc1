//! The Linux capture plan: which /proc and /etc files become which archive members.
//!
//! Unit 0 is the system: `proc/{loadavg,uptime,meminfo,stat}`, `proc/sys/kernel/random/boot_id`,
//! `etc/{passwd,group,os-release,ld.so.preload}` (os-release falls back to `usr/lib/os-release`, stored
//! under `etc/os-release`; a missing `ld.so.preload`, the normal case, is recorded as failed with
//! `ENOENT`, so the archive says it was looked for). Then one unit per numeric entry of /proc, listed once
//! at the start:
//!
//! * `proc/<pid>/{stat,status,cmdline,environ,maps,smaps_rollup,limits,io,cgroup}` (proc(5));
//!   `environ` is left out with `--no-environ`; `smaps` (per-mapping sizes) is added with `--smaps`. `comm`, `statm` and `wchan` are not read: `comm` is
//!   `stat` field 2, `statm`'s values are in `status` (VmSize, VmRSS, RssFile + RssShmem), and `wchan`
//!   reads 0 unless the reader may see kernel symbols — each would cost a sixth more syscalls;
//! * `proc/<pid>/{exe,cwd,root}` symbolic links;
//! * `proc/<pid>/fd/<n>` links and `proc/<pid>/fdinfo/<n>` files, for each entry of one listing of `fd/`;
//! * `proc/<pid>/ns/<type>` links, for each type of namespaces(7) the kernel has (read by name, without
//!   listing `ns/`; a type the kernel lacks is no member);
//! * `proc/<pid>/net/{tcp,tcp6,udp,udp6,unix}`, only for the first process seen in each network namespace
//!   (keyed by its `ns/net` link text, `net:[4026531993]`); processes whose `ns/net` link is unreadable
//!   get no socket tables;
//! * `proc/<pid>/mountinfo`, only for the first process seen in each mount namespace (keyed by its
//!   `ns/mnt` link text), as the socket tables are per network namespace;
//! * `proc/<pid>/task/<tid>/{stat,status,comm}` for every entry of `task/` — unless `status` says
//!   `Threads: 1` (then `task/` is not even listed) or the only entry is the process itself: a
//!   single-threaded process's thread is its `stat` and `status`, so they are not read twice (most
//!   processes on a host are single-threaded).
//!
//! With `--probe-pids` ([`LinuxPlan::probing_pids`]) a last unit probes every pid from 1 to
//! `/proc/sys/kernel/pid_max` (stored as `proc/sys/kernel/pid_max`) with one `faccessat` of
//! `/proc/<n>` each (a lookup in the kernel's pid table, which answers for pids that a listing of /proc
//! leaves out: threads, and processes a rootkit hides from `getdents`), and stores the pids that answered
//! but were not listed as `probe/pids` (first `# listed at boottime <seconds>`, the CLOCK_BOOTTIME time
//! just before /proc was listed; then one decimal pid per line), with `probe/<n>/stat` and
//! `probe/<n>/status` read right after.
//!
//! All of a process's members are read relative to one `O_PATH` directory descriptor of `/proc/<pid>`,
//! so they come from one incarnation of the pid. A process whose directory cannot be opened, or whose
//! `stat` fails with `ENOENT`/`ESRCH`, is recorded as vanished and the rest of it is skipped.
//!
//! Nothing else is ever opened: in particular not `mem`, `pagemap`, `clear_refs`, `kpagecount`,
//! `kpageflags`, `kpagecgroup`, `kcore`, `kmsg`, `sysrq-trigger`, `smaps` (it walks every page table:
//! only with `--smaps`),
//! the write-only or side-effect files (`clear_refs`, `oom_score_adj`, `attr/*`, `timerslack_ns`, ...)
//! or anything without an end. The same plan reads a directory input shaped like /proc (see
//! `crate::input`): the live /proc as a directory, a `/proc/<pid>`, or a copy. A [`Selection`] can narrow
//! it to the members a report needs and to some processes. Reading a copy, it also takes `comm`, `statm`
//! and `wchan` when the copy has them, and a missing `stat` is not a vanished process (the copy may
//! simply lack it).

use std::collections::HashSet;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Mutex;

use super::engine::{Abandoned, Event, Plan, Resume, Worker};
use super::{Reading, sys};
use crate::snapshot::Selection;
use crate::snapshot::manifest::MemberKind;

/// System files read relative to the /proc root, stored as `proc/<name>`.
const PROC_SYSTEM: &[&str] = &[
    "loadavg",
    "uptime",
    "meminfo",
    "stat",
    "sys/kernel/random/boot_id",
];

/// Files read relative to the /etc root, stored as `etc/<name>`.
const ETC_SYSTEM: &[&str] = &["passwd", "group", "os-release", "ld.so.preload"];

/// Per-process regular files, in reading order (proc(5)). `smaps` only with `--smaps`.
const PROCESS_FILES: &[&str] = &[
    "stat",
    "status",
    "cmdline",
    "environ",
    "maps",
    "smaps_rollup",
    "smaps",
    "limits",
    "io",
    "cgroup",
];

/// The per-process files of the minimal profile.
pub const MINIMAL_FILES: &[&str] = &["stat", "status", "cmdline"];

/// Per-process files the capture leaves out (see the module documentation) but reads from a copied tree
/// when they are there.
const COPY_ONLY_FILES: &[&str] = &["comm", "statm", "wchan"];

/// Per-process files whose reading takes the process's `mmap` lock: after one of a process's reads timed
/// out, the rest of these are not attempted (they would block the same way) and are recorded `skipped`.
const MM_LOCKED: &[&str] = &["cmdline", "environ", "maps", "smaps_rollup", "smaps"];

/// Per-process symbolic links.
const PROCESS_LINKS: &[&str] = &["exe", "cwd", "root"];

/// Socket tables read once per network namespace.
const NET_FILES: &[&str] = &["tcp", "tcp6", "udp", "udp6", "unix"];

/// The mount table, read once per mount namespace.
const MOUNT_FILE: &str = "mountinfo";

/// The highest pid the probe tries, whatever `pid_max` says (`PID_MAX_LIMIT`, 4 Mi, on 64-bit Linux).
const PROBE_LIMIT: u64 = 1 << 22;

/// Per-thread files.
const TASK_FILES: &[&str] = &["stat", "status", "comm"];

/// Namespace links read without listing `ns/` (namespaces(7)); those a kernel lacks are left out.
const NS_TYPES: &[&str] = &[
    "cgroup",
    "ipc",
    "mnt",
    "net",
    "pid",
    "pid_for_children",
    "time",
    "time_for_children",
    "user",
    "uts",
];

/// Members whose bytes the capture keeps to fill in the manifest's host facts.
pub const HOST_FACT_MEMBERS: &[&str] = &[
    "proc/stat",
    "proc/sys/kernel/random/boot_id",
    "etc/os-release",
];

pub use super::engine::SKIPPED;

// Step numbers within a process unit.
const STEP_DIR: u32 = 0;
const STEP_FILES: u32 = 1;
const STEP_LINKS: u32 = STEP_FILES + PROCESS_FILES.len() as u32;
const STEP_FD: u32 = STEP_LINKS + PROCESS_LINKS.len() as u32;
const STEP_NS: u32 = STEP_FD + 1;
const STEP_MOUNT: u32 = STEP_NS + 1;
const STEP_NET: u32 = STEP_MOUNT + 1;
const STEP_COPY_ONLY: u32 = STEP_NET + NET_FILES.len() as u32;
const STEP_TASK: u32 = STEP_COPY_ONLY + 1;

/// The Linux plan for one capture.
#[derive(Debug)]
pub struct LinuxPlan {
    proc_root: OwnedFd,
    etc_root: Option<OwnedFd>,
    usr_lib: Option<OwnedFd>,
    pids: Vec<i32>,
    no_environ: bool,
    select: Selection,
    /// `Some(largest file)` when `proc_root` is a copy, not a live procfs.
    copied: Option<u64>,
    /// Read the system files (unit 0).
    system: bool,
    /// The one process to read and its directory's name, when that is not its pid.
    process_dir: Option<(i32, String)>,
    smaps: bool,
    minimal: bool,
    net_seen: Mutex<HashSet<Vec<u8>>>,
    mnt_seen: Mutex<HashSet<Vec<u8>>>,
    probe: bool,
    listed_boottime: Option<f64>,
}

impl LinuxPlan {
    /// Opens the roots and lists the processes. Fails only when `proc_root` cannot be opened or listed.
    pub fn new(
        proc_root: &std::path::Path,
        etc_root: &std::path::Path,
        no_environ: bool,
        reading: &Reading,
    ) -> crate::Result<Self> {
        let err = |e: rustix::io::Errno| crate::Error::io(proc_root, std::io::Error::from(e));
        let proc_fd = sys::open_root(proc_root).map_err(err)?;
        // Every process that started before this moment is in the listing, unless it exited.
        let listed_boottime = super::host::boottime_secs();
        let mut pids: Vec<i32> = sys::list_dir(proc_fd.as_fd(), ".")
            .map_err(err)?
            .iter()
            .filter_map(|n| parse_id(n))
            .filter(|p| reading.select.wants_pid(*p))
            .collect();
        pids.sort_unstable();
        pids.dedup();
        if let Some((pid, _)) = &reading.process_dir {
            pids = vec![*pid];
        }
        let usr_lib = etc_root
            .parent()
            .and_then(|p| sys::open_root(&p.join("usr/lib")).ok());
        Ok(LinuxPlan {
            proc_root: proc_fd,
            etc_root: sys::open_root(etc_root).ok(),
            usr_lib,
            pids,
            no_environ,
            select: reading.select.clone(),
            copied: reading.copied,
            system: !reading.no_system,
            process_dir: reading.process_dir.clone(),
            smaps: false,
            minimal: false,
            net_seen: Mutex::new(HashSet::new()),
            mnt_seen: Mutex::new(HashSet::new()),
            probe: false,
            listed_boottime,
        })
    }

    /// Adds the pid probe (`capture --probe-pids`) as the last unit.
    pub fn probing_pids(mut self, probe: bool) -> Self {
        self.probe = probe;
        self
    }

    /// Also reads `proc/<pid>/smaps` (`--smaps`): the resident, dirty, anonymous, swapped and locked
    /// size of every mapping, as `pmap -x` shows them. Off by default: it costs about as much as the
    /// rest of a process's files together (README, "Capture").
    pub fn read_smaps(mut self, yes: bool) -> Self {
        self.smaps = yes;
        self
    }

    /// Reads only what `ps`, `tree`, `files` and the diff's identity need (`--profile minimal`): of each
    /// process [`MINIMAL_FILES`], `exe`, the fd links (no fdinfo), the `net` namespace link and, once per
    /// network namespace, the socket tables; no threads, maps, limits, io, cgroup, environment, cwd, root
    /// or other namespaces.
    pub fn minimal(mut self, yes: bool) -> Self {
        self.minimal = yes;
        self
    }

    /// The pids listed at the start, ascending.
    pub fn pids(&self) -> &[i32] {
        &self.pids
    }

    fn run_system(&self, from: Resume, w: &mut Worker) -> Result<(), Abandoned> {
        if !self.system {
            return Ok(());
        }
        let mut step = 0u32;
        for name in PROC_SYSTEM {
            if step >= from.step {
                let _ = w.file(step, format!("proc/{name}"), self.proc_root.as_fd(), name)?;
            }
            step += 1;
        }
        for name in ETC_SYSTEM {
            if step >= from.step {
                let mut candidates = Vec::new();
                if let Some(etc) = &self.etc_root {
                    candidates.push((etc.as_fd(), *name));
                }
                if *name == "os-release"
                    && let Some(usr) = &self.usr_lib
                {
                    candidates.push((usr.as_fd(), *name));
                }
                let _ = w.file_first(step, format!("etc/{name}"), &candidates)?;
            }
            step += 1;
        }
        Ok(())
    }

    fn run_process(&self, pid: i32, from: Resume, w: &mut Worker) -> Result<(), Abandoned> {
        let base = format!("proc/{pid}");
        // A resumed worker reopens the directory as part of the step it resumes at, so a reopen that
        // blocks too advances the resumption point instead of retrying the same step forever.
        let name = match &self.process_dir {
            Some((p, name)) if *p == pid => name.clone(),
            _ => pid.to_string(),
        };
        let dir = match w.open_dir(
            from.step,
            base.clone(),
            self.proc_root.as_fd(),
            &name,
            from.step == STEP_DIR,
        )? {
            Ok(fd) => fd,
            Err(e) => {
                if from.step == STEP_DIR && sys::is_gone(e) {
                    w.note(Event::Vanished(pid))?;
                }
                return Ok(());
            }
        };
        let dir = dir.as_fd();

        let sel = &self.select;
        let mut threads = None;
        for (i, name) in PROCESS_FILES.iter().enumerate() {
            let step = STEP_FILES + i as u32;
            let wanted = match *name {
                "environ" => sel.environ && !self.no_environ,
                "maps" => sel.maps,
                "smaps" => self.smaps,
                "limits" => sel.limits,
                "smaps_rollup" | "io" | "cgroup" => sel.extras,
                _ => true,
            };
            if step < from.step || !wanted || (self.minimal && !MINIMAL_FILES.contains(name)) {
                continue;
            }
            let path = format!("{base}/{name}");
            if from.after_timeout && MM_LOCKED.contains(name) {
                w.skip(path, MemberKind::File, SKIPPED)?;
                continue;
            }
            if *name == "status" {
                threads = w
                    .file_bytes(step, path, dir, name)?
                    .ok()
                    .and_then(|b| thread_count(&b));
                continue;
            }
            let r = w.file(step, path, dir, name)?;
            if *name == "stat"
                && self.copied.is_none()
                && let Err(e) = r
                && sys::is_gone(e)
            {
                w.note(Event::Vanished(pid))?;
                return Ok(());
            }
        }

        for (i, name) in PROCESS_LINKS.iter().enumerate() {
            let step = STEP_LINKS + i as u32;
            if step >= from.step && sel.extras && !(self.minimal && *name != "exe") {
                let _ = w.link(step, format!("{base}/{name}"), dir, name)?;
            }
        }

        if STEP_FD >= from.step
            && sel.fds
            && let Ok(fds) = w.list(STEP_FD, format!("{base}/fd"), dir, "fd")?
        {
            for n in sorted_ids(&fds) {
                let _ = w.link(STEP_FD, format!("{base}/fd/{n}"), dir, &format!("fd/{n}"))?;
                if self.minimal {
                    continue;
                }
                let _ = w.file(
                    STEP_FD,
                    format!("{base}/fdinfo/{n}"),
                    dir,
                    &format!("fdinfo/{n}"),
                )?;
            }
        }

        let mut net_ns: Option<Vec<u8>> = None;
        let mut mnt_ns: Option<Vec<u8>> = None;
        if STEP_NS >= from.step && (sel.extras || sel.fds) {
            // Without the extras, only `ns/net`: it says which socket tables are the process's.
            for t in NS_TYPES
                .iter()
                .filter(|t| (sel.extras && !self.minimal) || **t == "net")
            {
                let r =
                    w.link_if_present(STEP_NS, format!("{base}/ns/{t}"), dir, &format!("ns/{t}"))?;
                match *t {
                    "net" => net_ns = r.ok(),
                    "mnt" => mnt_ns = r.ok(),
                    _ => {}
                }
            }
        }

        // The mount table is one of the extras (it is read with `ns/mnt`, which names its namespace).
        let first_in_mnt_ns = sel.extras
            && mnt_ns.is_some_and(|key| {
                self.mnt_seen
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key)
            });
        if first_in_mnt_ns && STEP_MOUNT >= from.step {
            let _ = w.file(STEP_MOUNT, format!("{base}/{MOUNT_FILE}"), dir, MOUNT_FILE)?;
        }

        let first_in_ns = sel.fds
            && net_ns.is_some_and(|key| {
                self.net_seen
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key)
            });
        if first_in_ns {
            for (i, name) in NET_FILES.iter().enumerate() {
                let step = STEP_NET + i as u32;
                if step >= from.step {
                    let _ = w.file(
                        step,
                        format!("{base}/net/{name}"),
                        dir,
                        &format!("net/{name}"),
                    )?;
                }
            }
        }

        if self.copied.is_some() && STEP_COPY_ONLY >= from.step {
            for name in COPY_ONLY_FILES {
                let _ = w.file_if_present(STEP_COPY_ONLY, format!("{base}/{name}"), dir, name)?;
            }
        }

        // A single-threaded process's thread is the process itself: its stat and status are already
        // read, and task/ is not even listed. (A thread started after status was read is missed, as a
        // process started after the listing of /proc is.)
        if threads == Some(1) || !sel.threads || self.minimal {
            return Ok(());
        }
        if STEP_TASK >= from.step
            && let Ok(tids) = w.list(STEP_TASK, format!("{base}/task"), dir, "task")?
        {
            let tids = sorted_ids(&tids);
            let only_itself = tids == [pid];
            for tid in tids.into_iter().filter(|_| !only_itself) {
                for name in TASK_FILES {
                    let _ = w.file(
                        STEP_TASK,
                        format!("{base}/task/{tid}/{name}"),
                        dir,
                        &format!("task/{tid}/{name}"),
                    )?;
                }
            }
        }
        Ok(())
    }
}

impl LinuxPlan {
    /// The probe unit: `pid_max`, then every pid up to it that answers a lookup but was not listed.
    fn run_probe(&self, from: Resume, w: &mut Worker) -> Result<(), Abandoned> {
        let root = self.proc_root.as_fd();
        let pid_max = match w.file_bytes(0, PID_MAX_MEMBER.into(), root, "sys/kernel/pid_max")? {
            Ok(b) => std::str::from_utf8(&b)
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok()),
            Err(_) => None,
        };
        let Some(pid_max) = pid_max else {
            return Ok(());
        };
        // The lookups are CPU work between steps, not a read that may block: no step is open.
        let answered: Vec<u64> = (1..=pid_max.min(PROBE_LIMIT))
            .filter(|&n| {
                i32::try_from(n).is_ok_and(|pid| self.pids.binary_search(&pid).is_err())
                    && rustix::fs::accessat(
                        root,
                        n.to_string().as_str(),
                        rustix::fs::Access::EXISTS,
                        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
                    )
                    .is_ok()
            })
            .collect();
        if from.step <= 1 {
            let mut list = match self.listed_boottime {
                Some(t) => format!("# listed at boottime {t:.6}\n"),
                None => String::new(),
            };
            list.extend(answered.iter().map(|n| format!("{n}\n")));
            let _ = w.produce(1, PROBE_MEMBER.into(), || Ok(list.into_bytes()))?;
        }
        for (i, n) in answered.iter().enumerate() {
            for (j, name) in ["stat", "status"].iter().enumerate() {
                let step = 2 + 2 * i as u32 + j as u32;
                if step >= from.step {
                    let _ = w.file(
                        step,
                        format!("probe/{n}/{name}"),
                        root,
                        &format!("{n}/{name}"),
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// The member holding `/proc/sys/kernel/pid_max`, read by the probe.
const PID_MAX_MEMBER: &str = "proc/sys/kernel/pid_max";
/// The probe's list of pids that answered and were not listed.
const PROBE_MEMBER: &str = "probe/pids";

impl Plan for LinuxPlan {
    fn units(&self) -> usize {
        self.pids.len() + 1 + usize::from(self.probe)
    }

    fn copied(&self) -> Option<u64> {
        self.copied
    }

    fn is_process(&self, unit: usize) -> bool {
        unit >= 1 && unit <= self.pids.len()
    }

    fn run(&self, unit: usize, from: Resume, w: &mut Worker) -> Result<(), Abandoned> {
        match unit.checked_sub(1) {
            None => self.run_system(from, w),
            Some(i) => match self.pids.get(i) {
                Some(&pid) => self.run_process(pid, from, w),
                None if self.probe && i == self.pids.len() => self.run_probe(from, w),
                None => Ok(()),
            },
        }
    }
}

/// `Threads:` of a status file.
fn thread_count(status: &[u8]) -> Option<u32> {
    let line = status
        .split(|b| *b == b'\n')
        .find(|l| l.starts_with(b"Threads:"))?;
    std::str::from_utf8(&line[8..]).ok()?.trim().parse().ok()
}

/// A pid, tid or fd number: a directory entry of ASCII digits only, as procfs names them.
fn parse_id(name: &str) -> Option<i32> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

fn sorted_ids(names: &[String]) -> Vec<i32> {
    let mut ids: Vec<i32> = names.iter().filter_map(|n| parse_id(n)).collect();
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_digits_only() {
        assert_eq!(parse_id("1234"), Some(1234));
        assert_eq!(parse_id("self"), None);
        assert_eq!(parse_id("+1"), None);
        assert_eq!(parse_id(""), None);
        assert_eq!(parse_id("99999999999"), None);
    }
}
