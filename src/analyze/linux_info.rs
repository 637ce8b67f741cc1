//! `info` of a Linux archive read through its member index: the host, the capture and the process
//! events as the whole analysis builds them, each process identified by its `stat` and `status` alone,
//! and its threads and open files counted from the index ([`crate::snapshot::Listed`]) instead of
//! decoded (see [`crate::snapshot::reader::OpenOptions::counts`]).
//!
//! The counts are those the whole analysis gives ([`super::linux`]): a process is one whose `stat` or
//! `status` decodes; its threads are those listed under `task/` (each with a stored `stat`, `status` or
//! `comm`), or its only thread when `task/` was not listed and it has one thread (`Threads:` of
//! `status`, else `stat`'s thread count), else unknown; its open files are its numeric `fd/<n>` links,
//! unknown when it has none. The warnings are those found in what was read: the container, the host's
//! members, each process's `stat` and `status`, the system records and the events (a whole read also
//! decodes the threads, open files and socket tables, and warns about what of them does not decode).

use super::Detail;
use crate::formats::linux::{stat, status};
use crate::model::{Process, Snapshot, Warning};
use crate::snapshot::RawSnapshot;

/// What `info` shows of a snapshot: the model without the processes' details, and the total threads
/// and open files (`None` when no process has the list).
pub struct Counted {
    /// The host, capture, events and warnings; of the processes, only those the events name, each
    /// with its pid and start (what matches an event with it).
    pub snapshot: Snapshot,
    /// Processes.
    pub processes: usize,
    /// Threads of all processes whose threads are known.
    pub threads: Option<usize>,
    /// Open files of all processes whose open files are known.
    pub fds: Option<usize>,
}

/// The counts of any snapshot, from the whole analysis at `detail` (which must build threads and open
/// files).
pub fn whole(raw: &RawSnapshot, detail: Detail) -> Counted {
    let snapshot = super::analyze_with(raw, detail);
    let (threads, fds) = snapshot.list_totals();
    Counted {
        processes: snapshot.processes.len(),
        snapshot,
        threads,
        fds,
    }
}

/// The counts of a Linux snapshot read with [`crate::snapshot::reader::OpenOptions::counts`]; `None`
/// when it was not read so (no usable member index), or is not Linux.
pub fn count(raw: &RawSnapshot) -> Option<Counted> {
    let listed = raw.listed.as_ref()?;
    if super::netbsd::looks_like_netbsd(raw) || super::solaris::looks_like_solaris(raw) {
        return None;
    }
    let mut warnings = raw.warnings.clone();
    let host = super::linux::host(raw, &mut warnings);
    let clk_tck = host.clk_tck.filter(|t| *t > 0).unwrap_or(100);
    let pids: Vec<i32> = raw
        .children("proc")
        .into_iter()
        .filter_map(|name| name.parse().ok())
        .collect();
    // In pid order, as the whole analysis decodes them (and warns).
    let mut pids = pids;
    pids.sort_unstable();
    // As the whole analysis warns when it reads socket tables without a byte order.
    let tables = listed.values().any(|l| l.net_tables) || !raw.children("proc/net").is_empty();
    if tables && host.byte_order.is_none() {
        warnings.push(Warning::member(
            "manifest.json",
            "byte order not recorded; socket addresses decoded as little-endian",
        ));
    }
    // The processes the events name: the events are matched with them by start time. The others
    // are only counted.
    let mut event_warnings = Vec::new();
    let events = super::events::event_log(raw, &host, &mut event_warnings);
    let mut named: Vec<i32> = events
        .iter()
        .flat_map(|log| &log.events)
        .flat_map(|e| [e.pid, e.tgid, e.parent_tgid])
        .flatten()
        .collect();
    named.sort_unstable();
    named.dedup();
    let add = |total: &mut Option<usize>, n: Option<usize>| {
        if let Some(n) = n {
            *total = Some(total.unwrap_or(0) + n);
        }
    };
    let (mut threads, mut fds, mut count) = (None, None, 0usize);
    let mut processes = Vec::new();
    for pid in pids {
        let member = format!("proc/{pid}/stat");
        let st = raw.file(&member).and_then(|b| match stat::parse(b) {
            Ok(s) => Some(s),
            Err(e) => {
                warnings.push(Warning::at(&member, e.offset as u64, e.message));
                None
            }
        });
        let status_member = format!("proc/{pid}/status");
        let status = raw.file(&status_member);
        // With a `stat`, only `Threads` of the status is needed: a status that does not decode is
        // then not seen (its warning is a whole read's).
        let status_threads = match (&st, status) {
            (_, None) => None,
            (Some(_), Some(b)) => Some(status::threads(b)),
            (None, Some(b)) => match status::parse(b) {
                Ok(s) => Some(s.threads),
                Err(e) => {
                    warnings.push(Warning::at(&status_member, e.offset as u64, e.message));
                    None
                }
            },
        };
        if st.is_none() && status_threads.is_none() {
            continue;
        }
        if let Some(s) = &st
            && s.pid != pid
        {
            warnings.push(Warning::at(
                member,
                0,
                format!(
                    "pid field {} differs from the directory's {pid}; the directory's is used",
                    s.pid
                ),
            ));
        }
        let nlwp = status_threads
            .flatten()
            .or_else(|| st.as_ref().and_then(|s| u32::try_from(s.num_threads).ok()));
        let l = listed.get(&pid).copied().unwrap_or_default();
        add(
            &mut threads,
            if l.task_dir {
                Some(l.threads)
            } else {
                (nlwp == Some(1)).then_some(1)
            },
        );
        add(&mut fds, l.fd_links.then_some(l.fds));
        count += 1;
        if named.binary_search(&pid).is_ok() {
            processes.push(Process {
                pid,
                start_ticks: st.map(|s| s.starttime),
                ..Process::default()
            });
        }
    }
    let mut snapshot = Snapshot {
        system: Default::default(),
        source: crate::model::Source {
            os: Some("linux".into()),
            ..raw.source.clone()
        },
        capture: super::linux::capture_info(raw),
        host,
        core: None,
        processes,
        warnings,
        events: None,
    };
    snapshot.sort();
    let facts = super::linux_system::Facts {
        clk_tck,
        boot_time: snapshot.host.boot_time,
        capture_started_boottime: raw
            .manifest
            .as_ref()
            .and_then(|m| m.capture.started_boottime),
        sockets: None,
    };
    let detail = Detail {
        threads: true,
        fds: true,
        signals: false,
        ..Detail::SUMMARY
    };
    snapshot.system = super::linux_system::build(raw, &facts, detail, &mut snapshot.warnings);
    // The events' warnings after the system's, as the whole analysis gives them.
    snapshot.warnings.extend(event_warnings);
    snapshot.events = events;
    let clock = raw
        .manifest
        .as_ref()
        .and_then(|m| m.events.as_ref())
        .and_then(|e| e.clock);
    super::events::reconcile(&mut snapshot, clock, clk_tck);
    Some(Counted {
        snapshot,
        processes: count,
        threads,
        fds,
    })
}
