//! `info` of a Linux archive read through its member index: the host, the capture and the process
//! events as the whole analysis builds them, each process identified by its `stat` and `status` alone,
//! and its threads and open files counted from the index ([`crate::snapshot::Listed`]) instead of
//! decoded (see [`crate::snapshot::reader::OpenOptions::counts`]).
//!
//! The counts are those the whole analysis gives ([`super::linux`]), by the rules of
//! [`crate::snapshot::totals`]. An archive whose manifest records them ([`crate::snapshot::manifest::
//! Totals`], Linux captures since they were added) is read without its processes: only the system
//! members, the manifest's head, and the `stat` and `status` of the processes the events name and of
//! those the totals call irregular (whose reading warns), so that the output is the same. The warnings are those found in what was read: the container, the host's
//! members, each process's `stat` and `status`, the system records and the events (a whole read also
//! decodes the threads, open files and socket tables, and warns about what of them does not decode).

use super::Detail;
use crate::model::{Process, Snapshot, Warning};
use crate::snapshot::RawSnapshot;
use crate::snapshot::totals::Identified;

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

/// The pids the events name, sorted, once each.
fn named_in(events: &Option<crate::model::EventLog>) -> Vec<i32> {
    let mut named: Vec<i32> = events
        .iter()
        .flat_map(|log| &log.events)
        .flat_map(|e| [e.pid, e.tgid, e.parent_tgid])
        .flatten()
        .collect();
    named.sort_unstable();
    named.dedup();
    named
}

/// The processes [`count`] reads of a Linux snapshot whose manifest records the totals
/// ([`crate::snapshot::manifest::Totals`]): those the events name (read for their start, which
/// matches events with them) and the irregular ones (read for their warnings). `None` when the manifest records no totals (every process is read).
pub fn named(raw: &RawSnapshot) -> Option<Vec<i32>> {
    let totals = raw.manifest.as_ref()?.totals.as_ref()?;
    let mut warnings = Vec::new();
    let host = super::linux::host(raw, &mut warnings);
    let mut pids = named_in(&super::events::event_log(raw, &host, &mut warnings));
    pids.extend(&totals.irregular);
    pids.sort_unstable();
    pids.dedup();
    Some(pids)
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
    let named = named_in(&events);
    // An archive whose manifest counts its processes (read with none of them but those the events
    // name): the counts are the manifest's.
    let recorded = raw.manifest.as_ref().and_then(|m| m.totals.clone());
    let irregular = recorded.as_ref().map(|t| &t.irregular);
    let mut totals = crate::snapshot::manifest::Totals::default();
    let mut processes = Vec::new();
    for pid in pids {
        if let Some(irregular) = irregular
            && named.binary_search(&pid).is_err()
            && !irregular.contains(&pid)
        {
            continue;
        }
        let member = format!("proc/{pid}/stat");
        let status_member = format!("proc/{pid}/status");
        let id = Identified::read(raw.file(&member), raw.file(&status_member));
        if let Some(Err(e)) = &id.stat {
            warnings.push(Warning::at(&member, e.offset as u64, e.message.clone()));
        }
        // With a `stat`, only `Threads` of the status is read: a status that does not decode is
        // then not seen (its warning is a whole read's).
        if let Some(Err(e)) = &id.status_threads {
            warnings.push(Warning::at(
                &status_member,
                e.offset as u64,
                e.message.clone(),
            ));
        }
        if !id.is_process() {
            continue;
        }
        if let Some(s) = id.stat()
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
        let l = listed.get(&pid).copied().unwrap_or_default();
        crate::snapshot::totals::add(&mut totals, pid, &id, &l);
        if named.binary_search(&pid).is_ok() {
            processes.push(Process {
                pid,
                start_ticks: id.stat().map(|s| s.starttime),
                ..Process::default()
            });
        }
    }
    let totals = recorded.unwrap_or(totals);
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let (threads, fds, count) = (
        totals.threads.map(size),
        totals.open_files.map(size),
        size(totals.processes),
    );
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
