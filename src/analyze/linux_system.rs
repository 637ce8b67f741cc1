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
/// The member listing the pids that answered `capture --probe-pids`: `# listed at boottime <secs>`, then
/// one decimal pid per line.
pub const PROBE_PIDS: &str = "probe/pids";
/// The member holding `/proc/sys/kernel/pid_max` (captured with `--probe-pids`).
pub const PID_MAX: &str = "proc/sys/kernel/pid_max";

/// What the host-wide records need from the rest of the model.
pub(super) struct Facts<'a> {
    pub clk_tck: u64,
    pub boot_time: Option<Timestamp>,
    /// CLOCK_BOOTTIME seconds when the capture started (manifest `capture.started_boottime`), before it
    /// listed /proc.
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
    // The boot-clock time the listing began: a process started before it cannot be missing from it by
    // chance. The capture's start is earlier still, and a fallback.
    let mut listed = facts.capture_started_boottime;
    for line in list.split(|b| *b == b'\n') {
        let here = offset;
        offset += line.len() as u64 + 1;
        if let Some(comment) = line.strip_prefix(b"#") {
            if let Some(t) = std::str::from_utf8(comment)
                .ok()
                .and_then(|c| c.trim().strip_prefix("listed at boottime "))
                .and_then(|t| t.trim().parse::<f64>().ok())
                .filter(|t| t.is_finite())
            {
                listed = Some(t);
            }
            continue;
        }
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
                    // starttime is truncated to a clock tick: a process forked just after the
                    // capture started can show a start up to one tick earlier than its own.
                    let tick = 1.0 / facts.clk_tck.max(1) as f64;
                    p.started_before_capture =
                        listed.map(|at| (s.starttime as f64 * tick) < at - tick);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::MemoryBuilder;

    #[test]
    fn probe_members_and_the_listing_time() {
        let mut b = MemoryBuilder::new();
        b.file(PID_MAX, b"32768\n");
        b.file(PROBE_PIDS, b"# listed at boottime 100.5\n41\n50\nx\n60\n");
        // A thread of 40, started at tick 1000 (10 s).
        b.file(
            "probe/41/stat",
            b"41 (worker) S 1 40 40 0 -1 0 0 0 0 0 0 0 0 0 20 0 2 0 1000 0 0 0",
        );
        b.file(
            "probe/41/status",
            b"Name:\tworker\nTgid:\t40\nPid:\t41\nUid:\t7\t7\t7\t7\n",
        );
        // A process started 1 s before the listing, and one a few ms after it (within one tick).
        b.file(
            "probe/50/stat",
            b"50 (h) S 1 50 50 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9950 0 0 0",
        );
        b.file(
            "probe/60/stat",
            b"60 (n) S 1 60 60 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 10050 0 0 0",
        );
        let raw = b.build(None, vec![], Default::default());
        let facts = Facts {
            clk_tck: 100,
            boot_time: Some(Timestamp {
                secs: 1_700_000_000,
                nanos: 0,
            }),
            capture_started_boottime: Some(100.0),
            sockets: None,
        };
        let mut warnings = Vec::new();
        let p = pid_probe(&raw, &facts, &mut warnings).unwrap();
        assert_eq!(p.pid_max, Some(32768));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(
            (warnings[0].member.as_str(), warnings[0].offset),
            (PROBE_PIDS, Some(33))
        );
        let got: Vec<_> = p
            .answered
            .iter()
            .map(|a| (a.pid, a.tgid, a.uid, a.started_before_capture))
            .collect();
        assert_eq!(
            got,
            [
                (41, Some(40), Some(7), Some(true)),
                (50, None, None, Some(true)),
                (60, None, None, Some(false)),
            ]
        );
        assert_eq!(
            p.answered[1].start_time.unwrap().rfc3339(),
            "2023-11-14T22:14:59.5Z"
        );
    }
}
