//! Linux host-wide records for the checks: `etc/ld.so.preload`, the mount table of each mount namespace
//! (`proc/<pid>/mountinfo`), and the pid probe of `capture --probe-pids` (`probe/pids`,
//! `probe/<n>/{stat,status}`, `proc/sys/kernel/pid_max`). See [`crate::model::SystemState`].

use super::Detail;
use crate::bytes::ByteString;
use crate::formats::linux::{links, mountinfo, stat, status, system};
use crate::model::{
    Mount, MountTable, PidProbe, PreloadFile, ProbedPid, Socket, SystemState, TableSocket, Warning,
};
use crate::snapshot::RawSnapshot;
use crate::time::Timestamp;

/// The member holding `/etc/ld.so.preload`.
pub const LD_SO_PRELOAD: &str = "etc/ld.so.preload";
/// The member listing the pids that answered `capture --probe-pids`, one decimal pid per line.
pub const PROBE_PIDS: &str = "probe/pids";
/// The member holding `/proc/sys/kernel/pid_max` (captured with `--probe-pids`).
pub const PID_MAX: &str = "proc/sys/kernel/pid_max";

/// What the host-wide records need from the rest of the model.
pub(super) struct Facts<'a> {
    pub clk_tck: u64,
    pub boot_time: Option<Timestamp>,
    /// CLOCK_BOOTTIME seconds when the capture started (manifest `capture.started_boottime`).
    pub capture_started_boottime: Option<f64>,
    /// Every socket of the captured network tables, by inode (built for open files).
    pub sockets: Option<&'a std::collections::BTreeMap<u64, Socket>>,
}

/// Builds the host-wide records the input holds.
pub(super) fn build(
    raw: &RawSnapshot,
    facts: &Facts<'_>,
    detail: Detail,
    warnings: &mut Vec<Warning>,
) -> SystemState {
    SystemState {
        ld_so_preload: preload(raw),
        mount_tables: mount_tables(raw, warnings),
        sockets: facts.sockets.filter(|_| detail.fds).map(|m| {
            m.iter()
                .filter(|(_, s)| s.protocol != "unix")
                .map(|(inode, s)| TableSocket {
                    inode: *inode,
                    socket: s.clone(),
                })
                .collect()
        }),
        pid_probe: pid_probe(raw, facts, warnings),
    }
}

fn preload(raw: &RawSnapshot) -> Option<PreloadFile> {
    if let Some(bytes) = raw.file(LD_SO_PRELOAD) {
        return Some(PreloadFile {
            entries: system::preload_entries(bytes)
                .into_iter()
                .map(ByteString::from)
                .collect(),
            error: None,
        });
    }
    raw.failure(LD_SO_PRELOAD).map(|e| PreloadFile {
        entries: Vec::new(),
        error: Some(e.to_string()),
    })
}

fn mount_tables(raw: &RawSnapshot, warnings: &mut Vec<Warning>) -> Option<Vec<MountTable>> {
    let mut out = Vec::new();
    for name in raw.children("proc") {
        let Ok(pid) = name.parse::<i32>() else {
            continue;
        };
        let member = format!("proc/{pid}/mountinfo");
        let Some(bytes) = raw.file(&member) else {
            continue;
        };
        let (lines, errors) = mountinfo::parse(bytes);
        for e in errors {
            warnings.push(Warning::at(&member, e.offset as u64, e.message));
        }
        out.push(MountTable {
            pid,
            namespace: raw
                .link(&format!("proc/{pid}/ns/mnt"))
                .and_then(links::namespace)
                .map(|(_, inode)| inode),
            mounts: lines
                .into_iter()
                .map(|m| Mount {
                    mount_id: m.mount_id,
                    parent_id: m.parent_id,
                    dev: m.dev,
                    root: ByteString::from(m.root),
                    mount_point: ByteString::from(m.mount_point),
                    options: m.options,
                    fs_type: ByteString::from(m.fs_type),
                    source: ByteString::from(m.source),
                    super_options: m.super_options,
                })
                .collect(),
        });
    }
    (!out.is_empty()).then_some(out)
}

fn pid_probe(
    raw: &RawSnapshot,
    facts: &Facts<'_>,
    warnings: &mut Vec<Warning>,
) -> Option<PidProbe> {
    let list = raw.file(PROBE_PIDS)?;
    let pid_max = raw
        .file(PID_MAX)
        .and_then(|b| std::str::from_utf8(b).ok()?.trim().parse().ok());
    let mut answered = Vec::new();
    let mut offset = 0u64;
    for line in list.split(|b| *b == b'\n') {
        let here = offset;
        offset += line.len() as u64 + 1;
        if line.is_empty() {
            continue;
        }
        let Some(pid) = std::str::from_utf8(line)
            .ok()
            .and_then(|l| l.trim().parse::<i32>().ok())
        else {
            warnings.push(Warning::at(PROBE_PIDS, here, "not a pid"));
            continue;
        };
        let mut p = ProbedPid {
            pid,
            ..ProbedPid::default()
        };
        let stat_member = format!("probe/{pid}/stat");
        if let Some(bytes) = raw.file(&stat_member) {
            match stat::parse(bytes) {
                Ok(s) => {
                    p.comm = Some(ByteString::new(&s.comm));
                    p.ppid = Some(s.ppid);
                    p.start_time = start_time(facts, s.starttime);
                    p.started_before_capture = facts.capture_started_boottime.map(|started| {
                        (s.starttime as f64 / facts.clk_tck.max(1) as f64) < started
                    });
                }
                Err(e) => warnings.push(Warning::at(&stat_member, e.offset as u64, e.message)),
            }
        }
        let status_member = format!("probe/{pid}/status");
        if let Some(bytes) = raw.file(&status_member) {
            match status::parse(bytes) {
                Ok(s) => {
                    p.tgid = s.tgid;
                    p.ppid = p.ppid.or(s.ppid);
                    p.uid = s.uid.map(|u| u[0]);
                    if p.comm.is_none() {
                        p.comm = s.name.as_deref().map(ByteString::new);
                    }
                }
                Err(e) => warnings.push(Warning::at(&status_member, e.offset as u64, e.message)),
            }
        }
        answered.push(p);
    }
    answered.sort_by_key(|p| p.pid);
    Some(PidProbe { pid_max, answered })
}

/// btime + starttime / CLK_TCK.
fn start_time(facts: &Facts<'_>, starttime: u64) -> Option<Timestamp> {
    let boot = facts.boot_time?;
    let tck = facts.clk_tck.max(1);
    let whole = i64::try_from(starttime / tck).ok()?;
    let frac_ns =
        u64::try_from(u128::from(starttime % tck) * 1_000_000_000 / u128::from(tck)).ok()?;
    let nanos = u64::from(boot.nanos) + frac_ns;
    Some(Timestamp {
        secs: boot
            .secs
            .checked_add(whole)?
            .checked_add(i64::try_from(nanos / 1_000_000_000).ok()?)?,
        nanos: (nanos % 1_000_000_000) as u32,
    })
}
