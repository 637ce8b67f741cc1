//! Process events (the capture's `events/cn_proc.bin`) → the model's [`EventLog`], and their
//! reconciliation with the scan of /proc.
//!
//! The timeline is every process-connector message in kernel time order, each exec completed with what
//! the capture read from `/proc/<pid>` right after it, and a `lost` entry wherever the kernel dropped
//! events (ENOBUFS). Reconciliation follows each process (thread group) through its fork, exec, comm,
//! uid/gid and exit events; a process whose events match a scanned process (same pid, a start time equal
//! to the fork's) annotates it ([`Process::events`]); any other is a process known only from the events
//! ([`EventLog::processes`]).

use std::collections::HashMap;

use crate::abi::Endianness;
use crate::bytes::ByteString;
use crate::formats::errno::Errnos;
use crate::formats::linux::cn_proc::{self, EventData, WaitStatus};
use crate::formats::signals::{self, Numbering};
use crate::model::{
    Credentials, EventLog, Host, ProcEvent, Process, ProcessEvents, Snapshot, Warning,
};
use crate::snapshot::RawSnapshot;
use crate::snapshot::event_records::{self, Located, Record};
use crate::snapshot::manifest::{EVENTS_RAW_MEMBER, EventClock, ManifestEvents};

/// The event log of a snapshot: `None` when its manifest says nothing about events.
pub fn event_log(raw: &RawSnapshot, host: &Host, warnings: &mut Vec<Warning>) -> Option<EventLog> {
    let m = raw.manifest.as_ref()?.events.as_ref()?;
    let mut log = EventLog {
        recorded: m.recorded,
        reason: m.reason.clone(),
        subscribed: m.subscribed,
        unsubscribed: m.unsubscribed,
        watch_secs: Some(m.watch_secs),
        count: 0,
        lost: 0,
        events: Vec::new(),
        processes: Vec::new(),
    };
    if !m.recorded {
        return Some(log);
    }
    let member = m.member.as_deref().unwrap_or(EVENTS_RAW_MEMBER);
    let Some(bytes) = raw.file(member) else {
        warnings.push(Warning::member(
            member,
            "the manifest says events were recorded, but the member is missing",
        ));
        return Some(log);
    };
    let endian = host.byte_order.unwrap_or(Endianness::Little);
    let (records, err) = event_records::read_records(bytes);
    if let Some(e) = err {
        warnings.push(Warning::at(member, e.offset as u64, e.message));
    }
    let machine = host.machine.as_deref();
    let (events, w) = timeline(
        &records,
        m,
        endian,
        numbering(machine),
        Errnos::linux(machine),
    );
    warnings.extend(
        w.into_iter()
            .map(|(offset, msg)| Warning::at(member, offset, msg)),
    );
    log.count = events
        .iter()
        .filter(|e| e.kind != "lost" && e.kind != "ack")
        .count() as u64;
    log.lost = events.iter().filter(|e| e.kind == "lost").count() as u64;
    log.events = events;
    Some(log)
}

/// The signal numbering of a Linux machine name (`uname -m`).
pub(super) fn numbering(machine: Option<&str>) -> Numbering {
    match machine {
        Some(m) if m.starts_with("mips") => Numbering::LinuxMips,
        Some(m) if m.starts_with("sparc") => Numbering::LinuxSparc,
        _ => Numbering::LinuxGeneric,
    }
}

/// Decodes `records` into the timeline (acks and other listeners' requests left out), sorted by kernel
/// time. Problems are returned as (byte offset in the member, message). `numbering` and `errnos` are the
/// captured host's signal and errno numbering.
pub fn timeline(
    records: &[Located],
    m: &ManifestEvents,
    endian: Endianness,
    numbering: Numbering,
    errnos: Errnos,
) -> (Vec<ProcEvent>, Vec<(u64, String)>) {
    let clock = m.clock;
    let mut out: Vec<ProcEvent> = Vec::new();
    let mut problems = Vec::new();
    // The last exec event of each pid, for the details record that follows it.
    let mut last_exec: HashMap<i32, usize> = HashMap::new();
    for located in records {
        match &located.record {
            Record::Datagram { bytes, .. } => {
                for ev in cn_proc::decode_datagram(bytes, endian) {
                    match ev {
                        Ok(ev) => {
                            if matches!(ev.data, EventData::Ack { .. }) {
                                continue;
                            }
                            let e = convert(&ev, clock.as_ref(), numbering);
                            if e.kind == "exec" {
                                if let Some(pid) = e.pid {
                                    last_exec.insert(pid, out.len());
                                }
                            }
                            out.push(e);
                        }
                        Err(e) => problems.push((
                            located.payload_offset().saturating_add(e.offset) as u64,
                            e.message,
                        )),
                    }
                }
            }
            Record::Overrun { received_ns } => out.push(ProcEvent {
                time: clock.and_then(|c| c.utc_of(*received_ns)),
                timestamp_ns: *received_ns,
                kind: "lost".into(),
                ..ProcEvent::default()
            }),
            Record::ExecDetails {
                pid,
                comm,
                cmdline,
                exe,
                ..
            } => {
                let Some(e) = last_exec.get(pid).and_then(|&k| out.get_mut(k)) else {
                    continue;
                };
                let mut errors = Vec::new();
                match comm {
                    Ok(c) => e.comm = Some(ByteString::new(c.strip_suffix(b"\n").unwrap_or(c))),
                    Err(n) => errors.push(format!("comm: {}", errnos.describe(*n))),
                }
                match cmdline {
                    Ok(c) => e.argv = Some(split_argv(c)),
                    Err(n) => errors.push(format!("cmdline: {}", errnos.describe(*n))),
                }
                match exe {
                    Ok(x) => e.exe = Some(ByteString::new(x)),
                    Err(n) => errors.push(format!("exe: {}", errnos.describe(*n))),
                }
                if !errors.is_empty() {
                    e.details_error = Some(errors.join(", "));
                }
            }
        }
    }
    out.sort_by_key(|e| e.timestamp_ns);
    (out, problems)
}

fn split_argv(c: &[u8]) -> Vec<ByteString> {
    let c = c.strip_suffix(&[0]).unwrap_or(c);
    if c.is_empty() {
        return Vec::new();
    }
    c.split(|&b| b == 0).map(ByteString::new).collect()
}

fn convert(ev: &cn_proc::ProcEvent, clock: Option<&EventClock>, numbering: Numbering) -> ProcEvent {
    let mut e = ProcEvent {
        time: clock.and_then(|c| c.utc_of(ev.timestamp_ns)),
        timestamp_ns: ev.timestamp_ns,
        cpu: Some(ev.cpu),
        kind: ev.data.kind().into(),
        ..ProcEvent::default()
    };
    match &ev.data {
        EventData::Ack { err } => e.err = Some(*err),
        EventData::Fork {
            parent_pid,
            parent_tgid,
            child_pid,
            child_tgid,
        } => {
            e.pid = Some(*child_pid);
            e.tgid = Some(*child_tgid);
            e.parent_pid = Some(*parent_pid);
            e.parent_tgid = Some(*parent_tgid);
        }
        EventData::Exec { pid, tgid } | EventData::Sid { pid, tgid } => {
            e.pid = Some(*pid);
            e.tgid = Some(*tgid);
        }
        EventData::Uid {
            pid,
            tgid,
            ruid,
            euid,
        } => {
            (e.pid, e.tgid) = (Some(*pid), Some(*tgid));
            (e.ruid, e.euid) = (Some(*ruid), Some(*euid));
        }
        EventData::Gid {
            pid,
            tgid,
            rgid,
            egid,
        } => {
            (e.pid, e.tgid) = (Some(*pid), Some(*tgid));
            (e.rgid, e.egid) = (Some(*rgid), Some(*egid));
        }
        EventData::Ptrace {
            pid,
            tgid,
            tracer_pid,
            tracer_tgid,
        } => {
            (e.pid, e.tgid) = (Some(*pid), Some(*tgid));
            (e.tracer_pid, e.tracer_tgid) = (Some(*tracer_pid), Some(*tracer_tgid));
        }
        EventData::Comm { pid, tgid, comm } => {
            (e.pid, e.tgid) = (Some(*pid), Some(*tgid));
            e.comm = Some(ByteString::new(comm));
        }
        EventData::Coredump {
            pid,
            tgid,
            parent_pid,
            parent_tgid,
        } => {
            (e.pid, e.tgid) = (Some(*pid), Some(*tgid));
            (e.parent_pid, e.parent_tgid) = (*parent_pid, *parent_tgid);
        }
        EventData::Exit {
            pid,
            tgid,
            exit_code,
            exit_signal,
            parent_pid,
            parent_tgid,
        } => {
            (e.pid, e.tgid) = (Some(*pid), Some(*tgid));
            (e.parent_pid, e.parent_tgid) = (*parent_pid, *parent_tgid);
            e.exit_code = Some(*exit_code);
            e.exit_signal = Some(*exit_signal as i32);
            let w = WaitStatus::from_code(*exit_code);
            e.exit_status = w.status;
            e.signal = w.signal;
            e.signal_name = w.signal.and_then(|s| signals::name(numbering, s as i32));
            e.core_dumped = w.signal.map(|_| w.core_dumped);
        }
        EventData::Unknown => e.what = Some(ev.what),
    }
    e
}

/// One process (thread group) followed through its events.
#[derive(Default)]
struct Life {
    pid: i32,
    ppid: Option<i32>,
    forked_ns: Option<u64>,
    forked: Option<crate::time::Timestamp>,
    comm: Option<ByteString>,
    argv: Option<Vec<ByteString>>,
    exe: Option<ByteString>,
    cred: Credentials,
    sid: Option<i32>,
    execs: u32,
    exit: Option<ProcEvent>,
}

/// Matches the events of `snapshot.events` with its scanned processes: annotates the scanned ones the
/// events speak of, and fills [`EventLog::processes`] with the others. `clock` is the manifest's clock
/// pair, `clk_tck` the unit of `start_ticks`.
pub fn reconcile(snapshot: &mut Snapshot, clock: Option<EventClock>, clk_tck: u64) {
    let Some(log) = snapshot.events.as_mut() else {
        return;
    };
    let events = std::mem::take(&mut log.events);
    let mut lives: Vec<Life> = Vec::new();
    let mut open: HashMap<i32, usize> = HashMap::new();
    for e in &events {
        let (Some(pid), Some(tgid)) = (e.pid, e.tgid) else {
            continue;
        };
        match e.kind.as_str() {
            "fork" if pid == tgid => {
                let parent = e.parent_tgid.unwrap_or(0);
                let mut life = Life {
                    pid,
                    ppid: e.parent_tgid,
                    forked_ns: Some(e.timestamp_ns),
                    forked: e.time,
                    ..Life::default()
                };
                // A child starts as a copy of its parent: name, arguments, program and ids.
                if let Some(p) = open.get(&parent).and_then(|&i| lives.get(i)) {
                    life.comm = p.comm.clone();
                    life.argv = p.argv.clone();
                    life.exe = p.exe.clone();
                    life.cred = p.cred.clone();
                    life.sid = p.sid;
                } else if let Some(p) = scanned(&snapshot.processes, parent) {
                    life.comm = p.comm.clone();
                    life.argv = p.argv.clone();
                    life.exe = p.exe.clone();
                    life.cred = p.cred.clone();
                    life.sid = p.sid;
                }
                open.insert(pid, lives.len());
                lives.push(life);
            }
            "exec" => {
                let i = life_of(&mut open, &mut lives, tgid);
                let l = &mut lives[i];
                l.execs += 1;
                l.comm = e.comm.clone();
                l.argv = e.argv.clone();
                l.exe = e.exe.clone();
            }
            "comm" if pid == tgid => {
                let i = life_of(&mut open, &mut lives, tgid);
                lives[i].comm = e.comm.clone();
            }
            "uid" => {
                let i = life_of(&mut open, &mut lives, tgid);
                let c = &mut lives[i].cred;
                (c.uid, c.euid) = (e.ruid, e.euid);
            }
            "gid" => {
                let i = life_of(&mut open, &mut lives, tgid);
                let c = &mut lives[i].cred;
                (c.gid, c.egid) = (e.rgid, e.egid);
            }
            "sid" if pid == tgid => {
                let i = life_of(&mut open, &mut lives, tgid);
                lives[i].sid = Some(pid);
            }
            "exit" if pid == tgid => {
                let i = life_of(&mut open, &mut lives, tgid);
                lives[i].exit = Some(e.clone());
                if lives[i].ppid.is_none() {
                    lives[i].ppid = e.parent_tgid;
                }
                open.remove(&tgid);
            }
            _ => {}
        }
    }
    let tolerance = 1.0 / clk_tck.max(1) as f64 + 0.05;
    let mut only = Vec::new();
    for life in lives {
        if life.forked_ns.is_none() && life.exit.is_none() && life.execs == 0 {
            continue;
        }
        let pe = ProcessEvents {
            seen_only_in_events: false,
            forked: life.forked,
            execs: life.execs,
            exited: life.exit.as_ref().and_then(|e| e.time),
            exit: life.exit.clone(),
        };
        let same = scanned(&snapshot.processes, life.pid).is_some_and(|p| {
            let start = p.start_ticks.map(|t| t as f64 / clk_tck.max(1) as f64);
            match (life.forked_ns, &life.exit, start, clock) {
                (Some(f), _, Some(s), Some(c)) => (c.boot_secs_of(f) - s).abs() <= tolerance,
                (None, Some(x), Some(s), Some(c)) => {
                    s <= c.boot_secs_of(x.timestamp_ns) + tolerance
                }
                _ => true,
            }
        });
        if same {
            if let Ok(i) = snapshot
                .processes
                .binary_search_by_key(&life.pid, |p| p.pid)
            {
                let p = &mut snapshot.processes[i];
                if p.events.is_none() {
                    p.events = Some(pe);
                }
            }
            continue;
        }
        // Lives that are only exec, comm or id changes of a process the scan did not see, with no fork and
        // no exit, say little; they are still processes known from the events.
        only.push(Process {
            pid: life.pid,
            ppid: life.ppid,
            sid: life.sid,
            start_time: life.forked,
            comm: life.comm,
            exe: life.exe,
            argv: life.argv,
            cred: life.cred,
            events: Some(ProcessEvents {
                seen_only_in_events: true,
                ..pe
            }),
            ..Process::default()
        });
    }
    only.sort_by_key(|p| p.pid);
    if let Some(log) = snapshot.events.as_mut() {
        log.events = events;
        log.processes = only;
    }
}

/// The scanned process `pid` (processes are sorted by pid).
fn scanned(processes: &[Process], pid: i32) -> Option<&Process> {
    processes
        .binary_search_by_key(&pid, |p| p.pid)
        .ok()
        .and_then(|i| processes.get(i))
}

/// The open life of `tgid`, or a new one for a process that existed before the capture.
fn life_of(open: &mut HashMap<i32, usize>, lives: &mut Vec<Life>, tgid: i32) -> usize {
    *open.entry(tgid).or_insert_with(|| {
        lives.push(Life {
            pid: tgid,
            ..Life::default()
        });
        lives.len() - 1
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn ev(kind: &str, ts: u64, pid: i32, parent: Option<i32>) -> ProcEvent {
        ProcEvent {
            time: Some(Timestamp {
                secs: 1_000 + ts as i64,
                nanos: 0,
            }),
            timestamp_ns: ts * 1_000_000_000,
            kind: kind.into(),
            pid: Some(pid),
            tgid: Some(pid),
            parent_tgid: parent,
            ..ProcEvent::default()
        }
    }

    #[test]
    fn short_lived_processes_become_event_only_and_scanned_ones_are_annotated() {
        let clock = EventClock {
            monotonic_ns: 0,
            boottime_ns: 0,
            utc: Timestamp {
                secs: 1_000,
                nanos: 0,
            },
        };
        let scanned = Process {
            pid: 10,
            comm: Some("bash".into()),
            argv: Some(vec!["bash".into()]),
            start_ticks: Some(100),
            ..Process::default()
        };
        let reused = Process {
            pid: 30,
            comm: Some("new".into()),
            start_ticks: Some(900),
            ..Process::default()
        };
        let mut exec = ev("exec", 3, 20, None);
        exec.argv = Some(vec!["/tmp/payload".into(), "-x".into()]);
        exec.comm = Some("payload".into());
        let mut exit = ev("exit", 4, 20, Some(10));
        exit.exit_status = Some(3);
        let mut exit10 = ev("exit", 8, 10, Some(1));
        exit10.signal = Some(9);
        exit10.signal_name = Some("SIGKILL".into());
        let mut s = Snapshot {
            processes: vec![scanned, reused],
            events: Some(EventLog {
                recorded: true,
                events: vec![
                    ev("fork", 2, 20, Some(10)),
                    exec,
                    exit,
                    // pid 30 forked at 5 s: the scanned pid 30 started at 9 s: a different process.
                    ev("fork", 5, 30, Some(10)),
                    ev("exit", 6, 30, Some(10)),
                    exit10,
                ],
                ..EventLog::default()
            }),
            ..Snapshot::default()
        };
        reconcile(&mut s, Some(clock), 100);
        let log = s.events.as_ref().unwrap();
        assert_eq!(log.events.len(), 6);
        let only: Vec<i32> = log.processes.iter().map(|p| p.pid).collect();
        assert_eq!(only, [20, 30]);
        let p = &log.processes[0];
        assert_eq!(p.ppid, Some(10));
        assert_eq!(p.argv.as_ref().unwrap()[0], "/tmp/payload".into());
        let pe = p.events.as_ref().unwrap();
        assert!(pe.seen_only_in_events);
        assert_eq!(pe.execs, 1);
        assert_eq!(pe.exit_text().as_deref(), Some("exited 3"));
        assert_eq!(
            pe.forked,
            Some(Timestamp {
                secs: 1_002,
                nanos: 0
            })
        );
        // The second child inherited bash's name: it never exec'd.
        assert_eq!(log.processes[1].comm, Some("bash".into()));
        // The scanned bash exited after it was read: annotated, not duplicated.
        let bash = s.process(10).unwrap();
        assert_eq!(
            bash.events.as_ref().unwrap().exit_text().as_deref(),
            Some("killed SIGKILL")
        );
        assert!(!bash.events.as_ref().unwrap().seen_only_in_events);
        assert!(s.process(30).unwrap().events.is_none());
        s.include_event_processes();
        assert_eq!(
            s.processes.iter().map(|p| p.pid).collect::<Vec<_>>(),
            [10, 20, 30, 30]
        );
    }
}
