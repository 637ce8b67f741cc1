//! Cross-view rules: records of the host that disagree with the process list (sockets no process holds,
//! mounts that hide a process's /proc directory, pids other records prove exist but the listing lacks).

use std::collections::{BTreeSet, HashSet};

use crate::bytes::ByteString;
use crate::check::evidence::{self, Fact, of_process};
use crate::check::view::Scene;
use crate::check::{Out, Severity};
use crate::model::MountTable;

fn esc(b: &[u8]) -> String {
    ByteString::new(b).escaped()
}

/// Ports the kernel's own services listen or connect on (no process holds their sockets): NFS and its
/// helpers, SMB (ksmbd), iSCSI, DRBD, WireGuard, VXLAN, Geneve, flannel.
const KERNEL_PORTS: &[u16] = &[111, 2049, 445, 3260, 7789, 51820, 4789, 6081, 8472];

pub(super) fn orphan_socket(scene: &Scene<'_>, out: &mut Out<'_>) {
    let Some(sockets) = scene.table_sockets() else {
        out.not_checked(
            None,
            "the network namespaces' socket tables are not in the input",
        );
        return;
    };
    // Every socket inode a descriptor names, and the namespaces where a process's descriptors are
    // unknown (a socket there may be one of them).
    let mut held: HashSet<u64> = HashSet::new();
    let mut blind: BTreeSet<Option<u64>> = BTreeSet::new();
    let mut blind_pids: Vec<i32> = Vec::new();
    for p in scene.processes() {
        match p.fds() {
            Some(fds) => held.extend(fds.iter().filter_map(|f| {
                (f.kind == crate::model::FdKind::Socket)
                    .then_some(f.inode)
                    .flatten()
            })),
            None if p.is_user_process() => {
                blind.insert(p.namespace("net"));
                blind_pids.push(p.pid());
            }
            None => {}
        }
    }
    let unknown_ns = blind.contains(&None);
    for pid in &blind_pids {
        out.not_checked(
            Some(*pid),
            "its open descriptors could not be read: a socket no other process holds may be its (reported as info)",
        );
    }
    let partial = scene.inner_pid_namespace();
    let hidden = overmounted(scene);
    let churn = scene
        .vanished()
        .iter()
        .filter(|p| !hidden.contains(p))
        .count()
        + scene
            .event_only_processes()
            .filter(|p| p.events().is_some_and(|e| e.exited.is_some()))
            .count();
    for t in sockets {
        let s = &t.socket;
        if t.inode == 0 || held.contains(&t.inode) {
            continue;
        }
        let maybe_blind = unknown_ns || blind.contains(&s.netns);
        let tcp = s.protocol.starts_with("tcp");
        let state = s.state.as_deref().unwrap_or_default();
        let local_port = s.local.as_ref().and_then(|l| l.port).unwrap_or(0);
        let remote_port = s.remote.as_ref().and_then(|r| r.port).unwrap_or(0);
        if (tcp && !matches!(state, "LISTEN" | "ESTABLISHED")) || (!tcp && local_port == 0) {
            continue;
        }
        let (severity, why) = if maybe_blind {
            let shown: Vec<String> = blind_pids.iter().take(4).map(|p| p.to_string()).collect();
            (
                Severity::Info,
                format!(
                    "; info: it may be held by {} whose descriptors could not be read ({})",
                    if blind_pids.len() == 1 {
                        "the process"
                    } else {
                        "one of the processes"
                    },
                    shown.join(", ")
                ),
            )
        } else if KERNEL_PORTS.contains(&local_port) || KERNEL_PORTS.contains(&remote_port) {
            (
                Severity::Low,
                "; low: a port of the kernel's own services (NFS, SMB, iSCSI, WireGuard, VXLAN), whose sockets no process holds".to_string(),
            )
        } else if let Some(ns) = partial {
            (
                Severity::Low,
                format!(
                    "; low: the input shows only the processes of pid namespace {ns}, and one of another pid namespace sharing this network namespace (another container of a pod, a host-network container's host) may hold it"
                ),
            )
        } else if churn > 0 {
            (
                Severity::Low,
                format!(
                    "; low: {churn} process{} exited while the capture ran, and one may have held it",
                    if churn == 1 { "" } else { "es" }
                ),
            )
        } else {
            (
                Severity::Medium,
                ": a process hidden from the listing, or a kernel module's socket".to_string(),
            )
        };
        let text = format!(
            "{}{}{} {state}",
            s.protocol,
            s.local
                .as_ref()
                .map(|l| format!(" {l}"))
                .unwrap_or_default(),
            s.remote
                .as_ref()
                .map(|r| format!(" -> {r}"))
                .unwrap_or_default()
        );
        out.finding(
            None,
            severity,
            format!("socket {} ({text}) is held by no process{why}", t.inode),
        )
        .evidence(
            evidence::socket_table(scene, s.netns, &s.protocol),
            format!("{text}, inode {}", t.inode),
        )
        .evidence(
            "proc/*/fd",
            format!("no descriptor is socket:[{}]", t.inode),
        )
        .subject(text.clone());
    }
}

/// The mount points of procfs in a table (`/proc`, or where a container's is mounted).
fn proc_mounts(t: &MountTable) -> Vec<&[u8]> {
    t.mounts
        .iter()
        .filter(|m| m.fs_type.as_bytes() == b"proc")
        .map(|m| m.mount_point.as_bytes())
        .collect()
}

/// The pid a mount point hides, when it is `<procfs>/<pid>` or below it.
fn hidden_pid(procs: &[&[u8]], mount_point: &[u8]) -> Option<i32> {
    procs.iter().find_map(|root| {
        let rest = mount_point.strip_prefix(*root)?;
        let rest = if root.ends_with(b"/") {
            rest
        } else {
            rest.strip_prefix(b"/")?
        };
        let first = rest.split(|b| *b == b'/').next()?;
        if first.is_empty() || !first.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(first).ok()?.parse().ok()
    })
}

pub(super) fn proc_overmount(scene: &Scene<'_>, out: &mut Out<'_>) {
    let Some(tables) = scene.mount_tables() else {
        out.not_checked(
            None,
            "the mount tables (proc/<pid>/mountinfo) are not in the input",
        );
        return;
    };
    let seen: HashSet<Option<u64>> = tables.iter().map(|t| t.namespace).collect();
    let unknown: Vec<i32> = scene
        .processes()
        .filter(|p| p.is_user_process())
        .filter(|p| !seen.contains(&p.namespace("mnt")) || p.namespace("mnt").is_none())
        .map(|p| p.pid())
        .collect();
    for pid in unknown {
        out.not_checked(
            Some(pid),
            "its mount namespace's table is not in the input (its ns/mnt link or mountinfo could not be read)",
        );
    }
    for t in tables {
        let procs = proc_mounts(t);
        let table_proc = scene.process(t.pid);
        for m in &t.mounts {
            let Some(inner) = hidden_pid(&procs, m.mount_point.as_bytes()) else {
                continue;
            };
            // The pid in the table's pid namespace: the process with that innermost pid in the same pid
            // namespace as the table's process; in the initial namespace, the pid itself.
            let pidns = table_proc.and_then(|p| p.namespace("pid"));
            let nested = table_proc
                .and_then(|p| p.nspid())
                .is_some_and(|n| n.len() > 1);
            let victim = scene
                .processes()
                .find(|q| {
                    q.namespace("pid") == pidns
                        && q.nspid().and_then(|n| n.last().copied()) == Some(inner)
                })
                .or_else(|| (!nested).then(|| scene.process(inner)).flatten());
            let what = format!(
                "{} {}{}",
                esc(m.fs_type.as_bytes()),
                esc(m.source.as_bytes()),
                if m.root.as_bytes() == b"/" {
                    String::new()
                } else {
                    format!(", directory {}", esc(m.root.as_bytes()))
                }
            );
            let summary = format!(
                "a mount on {} ({what}) hides pid {inner}{} from tools that read /proc",
                esc(m.mount_point.as_bytes()),
                if nested { " of its pid namespace" } else { "" }
            );
            let f = out.finding(victim, Severity::High, summary);
            if victim.is_none() && !nested {
                f.pid = Some(inner);
            }
            f.evidence(
                evidence::mountinfo(t.pid),
                format!(
                    "mount {} (parent {}) on {}: {} {} {} {}",
                    m.mount_id,
                    m.parent_id,
                    esc(m.mount_point.as_bytes()),
                    esc(m.root.as_bytes()),
                    esc(m.fs_type.as_bytes()),
                    esc(m.source.as_bytes()),
                    m.options
                ),
            )
            .subject(esc(m.mount_point.as_bytes()));
            if scene.vanished().contains(&inner) && !nested {
                f.evidence(
                    evidence::MANIFEST,
                    format!("pid {inner} is listed in /proc, but its records could not be read (recorded as vanished)"),
                );
            }
        }
    }
}

/// Pids of the capture's own pid namespace with a mount over their /proc directory.
fn overmounted(scene: &Scene<'_>) -> HashSet<i32> {
    let mut out = HashSet::new();
    for t in scene.mount_tables().unwrap_or_default() {
        let nested = scene
            .process(t.pid)
            .and_then(|p| p.nspid())
            .is_some_and(|n| n.len() > 1);
        if nested {
            continue;
        }
        let procs = proc_mounts(t);
        out.extend(
            t.mounts
                .iter()
                .filter_map(|m| hidden_pid(&procs, m.mount_point.as_bytes())),
        );
    }
    out
}

/// True when a mount of /proc in the input hides other users' processes (`hidepid`).
fn hidepid(scene: &Scene<'_>) -> Option<String> {
    scene
        .mount_tables()?
        .iter()
        .flat_map(|t| &t.mounts)
        .find_map(|m| {
            (m.fs_type.as_bytes() == b"proc")
                .then(|| {
                    m.super_options
                        .split(',')
                        .find(|o| {
                            o.starts_with("hidepid=") && !matches!(*o, "hidepid=0" | "hidepid=off")
                        })
                        .map(str::to_owned)
                })
                .flatten()
        })
}

pub(super) fn hidden_process(scene: &Scene<'_>, out: &mut Out<'_>) {
    let listed: HashSet<i32> = scene.processes().map(|p| p.pid()).collect();
    // A pid whose /proc directory a mount covers did not vanish: it is hidden.
    let covered = overmounted(scene);
    let vanished: HashSet<i32> = scene
        .vanished()
        .iter()
        .copied()
        .filter(|p| !covered.contains(p))
        .collect();
    let exited: HashSet<i32> = scene
        .event_only_processes()
        .filter(|p| p.events().is_some_and(|e| e.exited.is_some()))
        .map(|p| p.pid())
        .collect();
    let listing = evidence::listing(scene);
    let hide = hidepid(scene);
    let mut reported: HashSet<i32> = HashSet::new();

    // 1. A listed process's parent that is not listed.
    let mut orphans: std::collections::BTreeMap<i32, Vec<i32>> = std::collections::BTreeMap::new();
    for p in scene.processes() {
        if let Some(pp) = p.ppid()
            && pp > 0
            && !listed.contains(&pp)
            && !vanished.contains(&pp)
            && !exited.contains(&pp)
        {
            orphans.entry(pp).or_default().push(p.pid());
        }
    }
    // A /proc tree copied by hand (no capture manifest) may hold only some processes; a procsift capture
    // lists them all, and a NetBSD dump's kern.proc2 is one answer of the kernel's.
    let partial_copy = scene.snapshot().capture.is_none()
        && matches!(
            scene.class(),
            Some(crate::check::InputClass::Linux | crate::check::InputClass::Solaris)
        );
    for (pp, children) in orphans {
        let (severity, why) = match &hide {
            _ if covered.contains(&pp) => (Severity::High, String::new()),
            _ if partial_copy => (
                Severity::Low,
                "; low: the input is a copied /proc tree without a capture manifest, which may not hold every process".to_string(),
            ),
            Some(h) => (
                Severity::Low,
                format!(
                    "; low: /proc is mounted with {h}, which hides other users' processes from a capture that is not root's"
                ),
            ),
            None => (Severity::Medium, String::new()),
        };
        let shown: Vec<String> = children.iter().take(8).map(|c| c.to_string()).collect();
        let f = out.finding(
            None,
            severity,
            format!(
                "pid {pp} is the parent of {} {}{}, but the input has no records of it{why}",
                if children.len() == 1 {
                    "process"
                } else {
                    "processes"
                },
                shown.join(", "),
                if children.len() > shown.len() {
                    ", ..."
                } else {
                    ""
                }
            ),
        );
        f.pid = Some(pp);
        f.evidence(
            of_process(scene, children[0], Fact::Parent),
            format!("parent {pp}"),
        )
        .evidence(listing.clone(), format!("no records of pid {pp}"))
        .subject(format!("pid {pp}"));
        if covered.contains(&pp) {
            f.evidence(
                evidence::MANIFEST,
                format!("pid {pp} was listed, then its records could not be read: a mount covers /proc/{pp} (see proc-overmount)"),
            );
        }
        reported.insert(pp);
    }

    // 2. The pid probe: pids that answered a lookup but were not listed.
    match scene.pid_probe() {
        None => {
            if scene.class() == Some(crate::check::InputClass::Linux) {
                out.not_checked(None, "no pid probe in the input (capture --probe-pids)");
            }
        }
        Some(probe) => {
            let answered: HashSet<i32> = probe.answered.iter().map(|a| a.pid).collect();
            for a in &probe.answered {
                // Its stat and status could not be read right after: it exited (a process started
                // during the capture and gone at once), which no hidden process does.
                if a.tgid.is_none() && a.comm.is_none() {
                    continue;
                }
                let tgid = a.tgid.unwrap_or(a.pid);
                let leader_hidden = tgid == a.pid
                    || (!listed.contains(&tgid)
                        && !vanished.contains(&tgid)
                        && !answered.contains(&tgid));
                if !leader_hidden || reported.contains(&tgid) || listed.contains(&tgid) {
                    continue;
                }
                let severity = match a.started_before_capture {
                    Some(false) => continue,
                    Some(true) => Severity::High,
                    None => Severity::Medium,
                };
                let comm = a.comm.as_ref().map(|c| c.escaped()).unwrap_or_default();
                let what = if tgid == a.pid {
                    format!(
                        "pid {} ({comm}) answers a lookup of /proc/{} but the listing of /proc leaves it out",
                        a.pid, a.pid
                    )
                } else {
                    format!(
                        "thread {} ({comm}) of process {tgid} answers a lookup, but process {tgid} is not in the listing of /proc",
                        a.pid
                    )
                };
                let when = match a.started_before_capture {
                    Some(true) => {
                        ", and it started before the capture did: a process hidden from directory listings (a rootkit hooking getdents)"
                    }
                    _ => "",
                };
                let f = out.finding(None, severity, format!("{what}{when}"));
                f.pid = Some(tgid);
                f.start_time = a.start_time;
                f.comm = a.comm.clone();
                f.evidence(evidence::PROBE, format!("{} answered", a.pid))
                    .evidence(
                        format!("probe/{}/status", a.pid),
                        match a.tgid {
                            Some(t) => format!("Tgid {t}"),
                            None => "no Tgid (status not read)".into(),
                        },
                    )
                    .evidence(listing.clone(), format!("no pid {tgid}"))
                    .subject(format!("pid {tgid}"));
                reported.insert(tgid);
            }
        }
    }

    // 3. Process events: a process the events show alive before the capture (no fork during it) and
    //    after (no exit), but the listing lacks.
    if let Some(lost) = scene.events_recorded() {
        for p in scene.event_only_processes() {
            let Some(ev) = p.events() else { continue };
            if ev.forked.is_some() || ev.exited.is_some() || reported.contains(&p.pid()) {
                continue;
            }
            let (severity, why) = if lost > 0 {
                (
                    Severity::Low,
                    format!(
                        "; low: the kernel dropped events {lost} times, and its exit may be among them"
                    ),
                )
            } else {
                (Severity::High, String::new())
            };
            let f = out.finding(
                Some(p),
                severity,
                format!(
                    "pid {} had process events during the capture, neither a fork nor an exit, so it lived through it, but the listing of /proc lacks it{why}",
                    p.pid()
                ),
            );
            f.evidence(
                evidence::EVENTS,
                format!(
                    "{} exec events of pid {}, no fork, no exit",
                    ev.execs,
                    p.pid()
                ),
            )
            .evidence(listing.clone(), format!("no pid {}", p.pid()))
            .subject(format!("pid {}", p.pid()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_over_proc_pids() {
        let procs: Vec<&[u8]> = vec![b"/proc", b"/host/proc"];
        assert_eq!(hidden_pid(&procs, b"/proc/1234"), Some(1234));
        assert_eq!(hidden_pid(&procs, b"/proc/1234/fd"), Some(1234));
        assert_eq!(hidden_pid(&procs, b"/host/proc/77"), Some(77));
        assert_eq!(hidden_pid(&procs, b"/proc/sys/fs/binfmt_misc"), None);
        assert_eq!(hidden_pid(&procs, b"/proc"), None);
        assert_eq!(hidden_pid(&procs, b"/procx/12"), None);
    }
}
