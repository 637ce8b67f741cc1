//! The Solaris and illumos capture plan: which /proc and /etc files become which archive members.
//!
//! Solaris /proc (proc(5) there) is binary: each file is one C structure (`psinfo_t`, `pstatus_t`, ...)
//! or an array of them, laid out in the data model and byte order of the *reading* process — a 64-bit
//! reader sees every process through the LP64 structures, a 32-bit one through the ILP32 ones. The files
//! are stored byte for byte, never decoded here; the manifest's `data_model` and `byte_order` (those of
//! the capturing binary, see [`crate::capture::host::facts`]) say which layout they have.
//!
//! Unit 0 is the system: `etc/{passwd,group,release}`, and `etc/os-release` and `etc/project` when they
//! exist (a file that does not exist is then no member at all, rather than a failed one). Then one unit
//! per numeric entry of /proc, listed once at the start:
//!
//! * `proc/<pid>/{psinfo,status,usage,lpsinfo,lstatus,lusage,cred,priv,sigact,auxv,map,rmap,xmap,secflags}`;
//! * `proc/<pid>/path/<name>` symbolic links (illumos: `a.out`, `cwd`, `root`, one per open file
//!   descriptor, one per mapped object), for each entry of one listing of `path/`;
//! * `proc/<pid>/fdinfo/<n>` regular files (`prfdinfo_t`), for each entry of one listing of `fdinfo/`;
//! * `proc/<pid>/lwp/<lwpid>/{lwpsinfo,lwpstatus,lwpusage,lwpname}`, for each entry of one listing of
//!   `lwp/`.
//!
//! Never read: `as` (the process's memory — not a record, and reading it may fault pages in), `ctl` and
//! `lwpctl` (write-only control files), `pagedata` (opening it turns on page-reference tracking in the
//! process's address space), `fd/<n>` (on Solaris these are the open files themselves, not links: opening
//! one opens the file), `object/` (the mapped files themselves) and `cwd`/`root` (they lead into the
//! directories themselves; the `path/cwd` and `path/root` links name them).
//!
//! All of a process's members are read relative to one directory descriptor of `/proc/<pid>`, so they
//! come from one incarnation of the pid. A process whose directory cannot be opened, or whose `psinfo`
//! fails with `ENOENT`/`ESRCH`, is recorded as vanished and the rest of it is skipped.
//!
//! Every read of a `/proc/<pid>` file first takes that process's /proc lock (illumos `pr_p_lock`, which
//! waits while another holder has the process locked), and `map`, `rmap` and `xmap` also its address-space
//! lock. So after one of a process's reads timed out, what blocked it would most likely block the next
//! read too: the rest of that process is recorded `skipped` without being attempted.

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};

use super::engine::{Abandoned, Event, Plan, Resume, SKIPPED, Worker};
use super::{Reading, host, sys};
use crate::formats::release;
use crate::snapshot::manifest::{ManifestHost, MemberKind};

/// Files read relative to the /etc root, stored as `etc/<name>`; a failure is recorded.
const ETC_SYSTEM: &[&str] = &["passwd", "group", "release"];

/// Files read relative to the /etc root when they exist, stored as `etc/<name>`.
const ETC_OPTIONAL: &[&str] = &["os-release", "project"];

/// Per-process regular files, in reading order: `psinfo` first, it tells whether the process is gone.
pub const PROCESS_FILES: &[&str] = &[
    "psinfo", "status", "usage", "lpsinfo", "lstatus", "lusage", "cred", "priv", "sigact", "auxv",
    "map", "rmap", "xmap", "secflags",
];

/// Per-LWP regular files, read under `lwp/<lwpid>/`.
pub const LWP_FILES: &[&str] = &["lwpsinfo", "lwpstatus", "lwpusage", "lwpname"];

/// Members whose bytes the capture keeps to fill in the manifest's host facts.
pub const HOST_FACT_MEMBERS: &[&str] = &["etc/os-release", "etc/release"];

// Step numbers within a process unit.
const STEP_DIR: u32 = 0;
const STEP_FILES: u32 = 1;
const STEP_PATH: u32 = STEP_FILES + PROCESS_FILES.len() as u32;
const STEP_FDINFO: u32 = STEP_PATH + 1;
const STEP_LWP: u32 = STEP_FDINFO + 1;

/// The Solaris/illumos plan for one capture. It uses only `openat`, `read`, `readlinkat` and directory
/// listing, so it runs anywhere: the tests run it on Linux against a fake /proc tree.
#[derive(Debug)]
pub struct SolarisPlan {
    proc_root: OwnedFd,
    etc_root: Option<OwnedFd>,
    pids: Vec<i32>,
    reading: Reading,
}

impl SolarisPlan {
    /// Opens the roots and lists the processes. Fails only when `proc_root` cannot be opened or listed.
    pub fn new(
        proc_root: &std::path::Path,
        etc_root: &std::path::Path,
        reading: &Reading,
    ) -> crate::Result<Self> {
        let err = |e: rustix::io::Errno| crate::Error::io(proc_root, std::io::Error::from(e));
        let proc_fd = sys::open_root(proc_root).map_err(err)?;
        let names = sys::list_dir(proc_fd.as_fd(), ".").map_err(err)?;
        let mut pids = sorted_ids(&names);
        pids.retain(|p| reading.select.wants_pid(*p));
        Ok(SolarisPlan {
            proc_root: proc_fd,
            etc_root: sys::open_root(etc_root).ok(),
            pids,
            reading: reading.clone(),
        })
    }

    /// The pids listed at the start, ascending.
    pub fn pids(&self) -> &[i32] {
        &self.pids
    }

    fn run_system(&self, from: Resume, w: &mut Worker) -> Result<(), Abandoned> {
        if self.reading.no_system {
            return Ok(());
        }
        let mut step = 0u32;
        for name in ETC_SYSTEM {
            if step >= from.step {
                let candidates: Vec<_> = self.etc_root.iter().map(|d| (d.as_fd(), *name)).collect();
                let _ = w.file_first(step, format!("etc/{name}"), &candidates)?;
            }
            step += 1;
        }
        for name in ETC_OPTIONAL {
            if step >= from.step
                && let Some(etc) = &self.etc_root
            {
                let _ = w.file_if_present(step, format!("etc/{name}"), etc.as_fd(), name)?;
            }
            step += 1;
        }
        Ok(())
    }

    fn run_process(&self, pid: i32, from: Resume, w: &mut Worker) -> Result<(), Abandoned> {
        let base = format!("proc/{pid}");
        if from.after_timeout || from.step > STEP_DIR {
            return skip_rest(&base, from.step, w);
        }
        let dir = match w.open_dir(
            STEP_DIR,
            base.clone(),
            self.proc_root.as_fd(),
            &pid.to_string(),
            true,
        )? {
            Ok(fd) => fd,
            Err(e) => {
                if sys::is_gone(e) {
                    w.note(Event::Vanished(pid))?;
                }
                return Ok(());
            }
        };
        let dir = dir.as_fd();

        for (i, name) in PROCESS_FILES.iter().enumerate() {
            let r = w.file(STEP_FILES + i as u32, format!("{base}/{name}"), dir, name)?;
            if *name == "psinfo"
                && self.reading.copied.is_none()
                && let Err(e) = r
                && sys::is_gone(e)
            {
                w.note(Event::Vanished(pid))?;
                return Ok(());
            }
        }

        if let Ok(mut names) = w.list(STEP_PATH, format!("{base}/path"), dir, "path")? {
            names.sort();
            for n in names {
                let _ = w.link(
                    STEP_PATH,
                    format!("{base}/path/{n}"),
                    dir,
                    &format!("path/{n}"),
                )?;
            }
        }

        let sel = &self.reading.select;
        if sel.fds
            && let Ok(fds) = w.list(STEP_FDINFO, format!("{base}/fdinfo"), dir, "fdinfo")?
        {
            for n in sorted_ids(&fds) {
                let _ = w.file(
                    STEP_FDINFO,
                    format!("{base}/fdinfo/{n}"),
                    dir,
                    &format!("fdinfo/{n}"),
                )?;
            }
        }

        if sel.threads
            && let Ok(lwps) = w.list(STEP_LWP, format!("{base}/lwp"), dir, "lwp")?
        {
            for lwp in sorted_ids(&lwps) {
                for name in LWP_FILES {
                    let _ = w.file(
                        STEP_LWP,
                        format!("{base}/lwp/{lwp}/{name}"),
                        dir,
                        &format!("lwp/{lwp}/{name}"),
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// After a timeout in process `base`: records every member from step `from` on as `skipped` (the
/// listed directories as skipped directories, their entries unknown) without touching the process.
fn skip_rest(base: &str, from: u32, w: &mut Worker) -> Result<(), Abandoned> {
    for (i, name) in PROCESS_FILES.iter().enumerate() {
        if STEP_FILES + i as u32 >= from {
            w.skip(format!("{base}/{name}"), MemberKind::File, SKIPPED)?;
        }
    }
    for (step, name) in [
        (STEP_PATH, "path"),
        (STEP_FDINFO, "fdinfo"),
        (STEP_LWP, "lwp"),
    ] {
        if step >= from {
            w.skip(format!("{base}/{name}"), MemberKind::Directory, SKIPPED)?;
        }
    }
    Ok(())
}

impl Plan for SolarisPlan {
    fn units(&self) -> usize {
        self.pids.len() + 1
    }

    fn copied(&self) -> Option<u64> {
        self.reading.copied
    }

    fn is_process(&self, unit: usize) -> bool {
        unit >= 1
    }

    fn run(&self, unit: usize, from: Resume, w: &mut Worker) -> Result<(), Abandoned> {
        match unit.checked_sub(1) {
            None => self.run_system(from, w),
            Some(i) => match self.pids.get(i) {
                Some(&pid) => self.run_process(pid, from, w),
                None => Ok(()),
            },
        }
    }
}

/// Host facts for a Solaris capture: uname, page size, clock ticks, data model and byte order of the
/// capturing binary ([`host::facts`]); the release from `etc/os-release` `PRETTY_NAME`, else the first
/// non-blank line of `etc/release` (`Oracle Solaris 11.4 X86`, `OmniOS v11 r151046`); and the zone name.
pub fn host_facts(kept: &HashMap<String, Vec<u8>>) -> ManifestHost {
    let mut h = host::facts(None, None, None);
    h.os_release = kept
        .get("etc/os-release")
        .and_then(|b| release::pretty_name(b))
        .or_else(|| {
            kept.get("etc/release")
                .and_then(|b| release::release_line(b))
        });
    h.zonename = zonename();
    h
}

/// The zone the capture runs in, as zonename(1) prints it; `None` elsewhere or when it fails. There is
/// no file to read it from (only `getzonenamebyid(3C)`, which needs `unsafe` code), and zonename(1) is
/// part of every Solaris and illumos installation.
///
/// This is the only part of the plan that depends on the OS it runs on. It is not compiled on the
/// machines the project is built and tested on: they have no Solaris or illumos standard library.
fn zonename() -> Option<String> {
    #[cfg(any(target_os = "solaris", target_os = "illumos"))]
    {
        let out = std::process::Command::new("/usr/bin/zonename")
            .env_clear()
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        Some(String::from_utf8_lossy(&out.stdout).trim().to_owned()).filter(|s| !s.is_empty())
    }
    #[cfg(not(any(target_os = "solaris", target_os = "illumos")))]
    {
        None
    }
}

/// Numeric directory entries (pids, LWP ids, file descriptors), ascending.
fn sorted_ids(names: &[String]) -> Vec<i32> {
    let mut ids: Vec<i32> = names
        .iter()
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|n| n.parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sorted_digits_only() {
        let names: Vec<String> = ["12", "3", "self", "+4", "", "99999999999", "3"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(sorted_ids(&names), vec![3, 12]);
    }
}
