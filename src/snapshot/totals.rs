//! The process totals of a Linux snapshot, as `info` prints them and the capture records them in the
//! manifest ([`super::manifest::Totals`]): one rule, used by the capture (from the members it stores),
//! by `info` (from an archive's member index, or from the manifest) and by `verify` (from the members).
//!
//! A process is a `proc/<pid>` directory whose `stat` or `status` decodes. Its threads are those listed
//! under `task/` (each with a stored `stat`, `status` or `comm`: [`super::Listed`]), or its only thread
//! when `task/` was not listed and it has one thread (`Threads:` of `status`, else `stat`'s thread
//! count), else unknown. Its open files are its numeric `fd/<n>` links, unknown when it has none. The
//! totals add up what is known; a total is unknown when no process's is known.

use super::Listed;
use super::manifest::Totals;
use crate::formats::linux::{ParseError, stat, status};

/// What a process's `stat` and `status` say of it: the `stat` decoded (or why not), and the thread
/// count of its `status` (`Threads:`; with a `stat` that decodes, read without decoding the rest).
#[derive(Debug)]
pub struct Identified {
    /// `stat` decoded, or its error; `None` when there is no `stat`.
    pub stat: Option<Result<stat::Stat, ParseError>>,
    /// `status`'s `Threads:` (itself `None` when absent), or the error of a `status` decoded in full
    /// (when `stat` did not decode); `None` when there is no `status`.
    pub status_threads: Option<Result<Option<u32>, ParseError>>,
}

impl Identified {
    /// Reads `stat` and `status` (either may be absent).
    pub fn read(stat_bytes: Option<&[u8]>, status_bytes: Option<&[u8]>) -> Identified {
        Identified::with(stat_bytes.map(stat::parse), status_bytes)
    }

    /// Reads `status` beside a `stat` already decoded (the capture decodes each as it comes).
    pub fn with(
        stat: Option<Result<stat::Stat, ParseError>>,
        status_bytes: Option<&[u8]>,
    ) -> Identified {
        let status_threads = match (&stat, status_bytes) {
            (_, None) => None,
            (Some(Ok(_)), Some(b)) => Some(Ok(status::threads(b))),
            (_, Some(b)) => Some(status::parse(b).map(|s| s.threads)),
        };
        Identified {
            stat,
            status_threads,
        }
    }

    /// The `stat`, when it decodes.
    pub fn stat(&self) -> Option<&stat::Stat> {
        self.stat.as_ref().and_then(|s| s.as_ref().ok())
    }

    /// True when it is a process: its `stat` or `status` decodes.
    pub fn is_process(&self) -> bool {
        self.stat().is_some() || matches!(self.status_threads, Some(Ok(_)))
    }

    /// True when reading it gives a warning (see [`Totals::irregular`]): its `stat` does not decode or
    /// names a pid other than `pid`, or its `status` (read in full) does not decode.
    pub fn irregular(&self, pid: i32) -> bool {
        matches!(self.stat, Some(Err(_)))
            || matches!(self.status_threads, Some(Err(_)))
            || self.stat().is_some_and(|s| s.pid != pid)
    }

    /// Its thread count, from `status` or else `stat`.
    pub fn nlwp(&self) -> Option<u32> {
        match &self.status_threads {
            Some(Ok(Some(n))) => Some(*n),
            _ => self.stat().and_then(|s| u32::try_from(s.num_threads).ok()),
        }
    }
}

/// Adds the process `pid` (`id` must be one: [`Identified::is_process`]) with what the index lists of
/// it; an irregular one is named.
pub fn add(totals: &mut Totals, pid: i32, id: &Identified, listed: &Listed) {
    if id.irregular(pid) {
        totals.irregular.push(pid);
    }
    let plus = |total: &mut Option<u64>, n: Option<usize>| {
        if let Some(n) = n {
            *total = Some(total.unwrap_or(0).saturating_add(n as u64));
        }
    };
    totals.processes = totals.processes.saturating_add(1);
    let threads = if listed.task_dir {
        Some(listed.threads)
    } else {
        (id.nlwp() == Some(1)).then_some(1)
    };
    plus(&mut totals.threads, threads);
    plus(
        &mut totals.open_files,
        listed.fd_links.then_some(listed.fds),
    );
}

/// The totals of the Linux processes of `raw`, from its members: what `verify` compares with the
/// manifest's.
pub fn of(raw: &super::RawSnapshot) -> Totals {
    let mut totals = Totals::default();
    let mut pids: Vec<i32> = raw
        .children("proc")
        .into_iter()
        .filter_map(|n| n.parse().ok())
        .collect();
    pids.sort_unstable();
    pids.dedup();
    for pid in pids {
        let dir = format!("proc/{pid}");
        let id = Identified::read(
            raw.file(&format!("{dir}/stat")),
            raw.file(&format!("{dir}/status")),
        );
        if !id.is_process() {
            if id.irregular(pid) {
                totals.irregular.push(pid);
            }
            continue;
        }
        let mut listed = Listed::default();
        let prefix = format!("{dir}/");
        for (path, member) in raw.members_under(&prefix) {
            listed.count(&path[prefix.len()..], &super::index::Record::of(member));
        }
        add(&mut totals, pid, &id, &listed);
    }
    totals
}

/// The totals a capture counts as it stores the members of a Linux host (see [`Tally::member`]).
#[derive(Debug, Default)]
pub struct Tally {
    /// By pid: the `stat` decoded and the `status` bytes until both were seen, then what they say.
    pending: std::collections::HashMap<i32, Pending>,
    /// By pid: the process's `task/` and `fd/` members (path below `proc/<pid>/`, and kind).
    listed: std::collections::HashMap<i32, Vec<(String, Kind)>>,
}

/// A process's `stat` and `status` as they came.
#[derive(Debug, Default)]
struct Pending {
    /// `Some` once seen: decoded, or `None` when its read failed.
    stat: Option<Option<Result<stat::Stat, ParseError>>>,
    /// `Some` once seen: the bytes, or `None` when its read failed.
    status: Option<Option<Vec<u8>>>,
    /// Both seen: what they say.
    done: Option<Identified>,
}

/// A member's kind, as [`Listed::count`] tells them apart.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A regular file.
    File,
    /// A symbolic link.
    Link,
    /// A failed read.
    Failed,
}

impl Tally {
    /// Counts the member at `path` (`bytes` for a regular file).
    pub fn member(&mut self, path: &str, kind: Kind, bytes: Option<&[u8]>) {
        let Some((pid, rest)) = path
            .strip_prefix("proc/")
            .and_then(|r| r.split_once('/'))
            .and_then(|(pid, rest)| Some((pid.parse::<i32>().ok()?, rest)))
        else {
            return;
        };
        match rest {
            "stat" | "status" => {
                let p = self.pending.entry(pid).or_default();
                if rest == "stat" {
                    p.stat = Some(bytes.map(stat::parse));
                } else {
                    p.status = Some(bytes.map(<[u8]>::to_vec));
                }
                if p.done.is_none()
                    && let (Some(st), Some(status)) = (&mut p.stat, &mut p.status)
                {
                    p.done = Some(Identified::with(st.take(), status.take().as_deref()));
                }
            }
            _ if rest.starts_with("task/") || rest.starts_with("fd/") => {
                self.listed
                    .entry(pid)
                    .or_default()
                    .push((rest.to_string(), kind));
            }
            _ => {}
        }
    }

    /// The totals of the members counted.
    pub fn totals(self) -> Totals {
        let mut totals = Totals::default();
        let mut pending: Vec<(i32, Pending)> = self.pending.into_iter().collect();
        pending.sort_unstable_by_key(|p| p.0);
        let mut listed_of = self.listed;
        for (pid, p) in pending {
            let id = p.done.unwrap_or_else(|| {
                Identified::with(p.stat.flatten(), p.status.flatten().as_deref())
            });
            if !id.is_process() {
                if id.irregular(pid) {
                    totals.irregular.push(pid);
                }
                continue;
            }
            let mut listed = Listed::default();
            let mut members = listed_of.remove(&pid).unwrap_or_default();
            // Counted in path order, as an index lists them.
            members.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            for (rest, kind) in &members {
                let record = match kind {
                    Kind::File => super::index::Record::File {
                        header: 0,
                        data: 0,
                        size: 0,
                    },
                    Kind::Link => super::index::Record::Link { header: 0 },
                    Kind::Failed => super::index::Record::Failed("".into()),
                };
                listed.count(rest, &record);
            }
            add(&mut totals, pid, &id, &listed);
        }
        totals
    }
}
