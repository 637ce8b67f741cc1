//! Linux: raw `/proc` members → model.
//!
//! Member paths are those of the archive (see [`crate::snapshot`]): `proc/<pid>/stat`, `proc/<pid>/fd/3`,
//! `proc/<pid>/task/<tid>/stat`, `proc/<pid>/net/tcp`, `proc/stat`, `etc/passwd`, ... A member the capture
//! could not read leaves its fields absent and is listed in the process's `unread` (member, error, and
//! the field it would have filled); a member that is there but does not decode is a warning naming the
//! member and the byte offset.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::Detail;
use crate::abi::Endianness;
use crate::bytes::ByteString;
use crate::formats::linux::{
    cgroup, cmdline, fdinfo, io, kv, limits, links, maps, net, passwd, stat, statm, status, system,
};
use crate::model::{
    Capabilities, CaptureInfo, Credentials, Fd, FdKind, Host, IoCounters, Limit, Mapping, Memory,
    Namespace, Process, Snapshot, Socket, SocketEndpoint, Thread, Unread, Warning,
};
use crate::snapshot::{Dir, Member, RawSnapshot};
use crate::time::Timestamp;

/// USER_HZ on every mainstream Linux architecture; used when the input does not record CLK_TCK.
const ASSUMED_CLK_TCK: u64 = 100;
/// Page size assumed when the input does not record one.
const ASSUMED_PAGE_SIZE: u64 = 4096;

/// Builds the model of a Linux snapshot, with the lists `detail` asks for.
pub fn build(raw: &RawSnapshot, detail: Detail) -> Snapshot {
    let (snapshot, ctx, head) = skeleton(raw, detail);
    let pids = ctx.pids();
    let built = build_processes(&ctx, &pids, &|_| None);
    finish(raw, snapshot, &ctx, head, built)
}

/// Two snapshots of one host built together (see [`build_pair`]).
pub struct Pair {
    /// OLD, whole.
    pub old: Snapshot,
    /// NEW, where the processes of [`Pair::shared`] are stand-ins: pid, parent, session, start, names,
    /// ids, memory with %CPU and %MEM, and what NEW's events say of them; their other records are
    /// OLD's process of the same pid.
    pub new: Snapshot,
    /// The pids of NEW whose evidence is the same bytes as in OLD, and whose records are therefore OLD's.
    pub shared: HashSet<i32>,
}

impl Pair {
    /// The process whose records stand for `p`, a process of [`Pair::new`]: OLD's of the same pid when
    /// `p` is shared, else `None` (`p` is whole).
    pub fn model(&self, p: &Process) -> Option<&Process> {
        if self.shared.contains(&p.pid) {
            self.old.process(p.pid)
        } else {
            None
        }
    }
}

/// Builds the models of two Linux snapshots of one host, OLD and NEW, as [`build`] builds each. A
/// process of NEW whose evidence is the same bytes as in OLD is not decoded again, nor copied: NEW holds
/// a stand-in for it (see [`Pair::new`]) and its records are OLD's. That is exact only when everything
/// else its model is made of is the same too, so it is done only when the two contexts agree (clock
/// tick, page size, boot time and boot id, architecture, user and group names, the socket tables its
/// descriptors join), for a pid whose members (`proc/<pid>/...`: names, kinds, bytes, link targets,
/// failed reads) and unread records are the same in both; its %CPU and %MEM, which also depend on the
/// host's uptime and memory, and what the capture's events say of it, are NEW's own.
pub fn build_pair(old: &RawSnapshot, new: &RawSnapshot, detail: Detail) -> Pair {
    let (o, n) = skeletons(old, new, detail);
    pair_of(old, new, o, n, None)
}

/// [`build_pair`] where the shared processes are known beforehand: `known`, the pids whose digests
/// are the same in both manifests ([`crate::snapshot::digests`]), taken as they are. NEW may have been
/// read without their members ([`crate::snapshot::reader::OpenOptions::skip`]): their records are
/// OLD's; and OLD without their mappings and limits (`skip_private`): those processes then have none,
/// on both sides (nothing of `diff` reads them: its walk skips the shared processes, no rule reads
/// limits, nor the mappings of a process but its own, which both sides hold the same). The members
/// left out are the kernel's, which decode: an archive as captured (what the digests vouch for)
/// gives no warning about them. A process of `known` that cannot be shared (the contexts differ, or
/// the socket tables differ where its descriptors join them) is built from OLD's members, the same
/// bytes, in NEW's context. `None` when that cannot be exact (an archive is damaged, or a pid of
/// `known` is not in OLD): NEW must then be read whole and built with [`build_pair`].
pub fn build_pair_known(
    old: &RawSnapshot,
    new: &RawSnapshot,
    detail: Detail,
    known: &std::collections::BTreeSet<i32>,
) -> Option<Pair> {
    if !old.damage.is_empty() || !new.damage.is_empty() {
        return None;
    }
    let (o, n) = skeletons(old, new, detail);
    let old_pids = o.1.pids();
    if known.iter().any(|p| old_pids.binary_search(p).is_err()) {
        return None;
    }
    Some(pair_of(old, new, o, n, Some(known)))
}

/// A snapshot's skeleton, the context that builds its processes, and where its processes' warnings go.
type Skeleton<'a> = (Snapshot, Context<'a>, usize);

/// The skeletons of OLD and NEW, built at the same time.
fn skeletons<'a>(
    old: &'a RawSnapshot,
    new: &'a RawSnapshot,
    detail: Detail,
) -> (Skeleton<'a>, Skeleton<'a>) {
    std::thread::scope(|s| {
        let n = s.spawn(|| skeleton(new, detail));
        let o = skeleton(old, detail);
        (o, n.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    })
}

/// Whether a process of OLD and NEW with the same members has the same model in both: everything
/// else its model is made of is the same (see [`build_pair`]), but for the socket tables, which only
/// matter where its descriptors join them ([`Context::same_sockets`]).
fn same_context(old: &Skeleton<'_>, new: &Skeleton<'_>) -> bool {
    let ((old_s, old_ctx, _), (new_s, new_ctx, _)) = (old, new);
    old_s.host.machine == new_s.host.machine
        && old_s.host.boot_id == new_s.host.boot_id
        && old_ctx.clk_tck == new_ctx.clk_tck
        && old_ctx.page_size == new_ctx.page_size
        && old_ctx.boot_time == new_ctx.boot_time
        && old_ctx.users == new_ctx.users
        && old_ctx.groups == new_ctx.groups
}

/// The pair from the two skeletons: OLD built whole, NEW's processes shared with OLD where their
/// members are the same (`known`: those, each one of OLD's; else compared byte for byte) and so is
/// their context, else built (a process of `known` from OLD's members: NEW may not hold them).
fn pair_of(
    old: &RawSnapshot,
    new: &RawSnapshot,
    o: Skeleton<'_>,
    n: Skeleton<'_>,
    known: Option<&std::collections::BTreeSet<i32>>,
) -> Pair {
    let same_context = same_context(&o, &n);
    let ((old_s, old_ctx, old_head), (new_s, new_ctx, new_head)) = (o, n);
    let old_pids = old_ctx.pids();
    let at: HashMap<i32, usize> = old_pids.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    let old_built = build_processes(&old_ctx, &old_pids, &|_| None);
    let reuse = |pid: i32| -> Option<Built> {
        if !same_context || old_ctx.unread.get(&pid) != new_ctx.unread.get(&pid) {
            return None;
        }
        let (p, w) = old_built.get(*at.get(&pid)?)?;
        if p.as_ref()
            .is_some_and(|p| !old_ctx.same_sockets(&new_ctx, p))
        {
            return None;
        }
        let same = match known {
            Some(k) => k.contains(&pid),
            None => old.same_members(new, &format!("proc/{pid}")),
        };
        if !same {
            return None;
        }
        let p = p.as_ref().map(|p| {
            // What NEW's events and host facts need of it; the rest is OLD's.
            let mut s = Process {
                pid: p.pid,
                ppid: p.ppid,
                sid: p.sid,
                start_ticks: p.start_ticks,
                start_time: p.start_time,
                comm: p.comm.clone(),
                argv: p.argv.clone(),
                exe: p.exe.clone(),
                cred: p.cred.clone(),
                memory: p.memory.clone(),
                ..Process::default()
            };
            // Its `stat` is OLD's bytes (NEW's may not have been read).
            new_ctx.host_dependent(&mut s, &old_ctx);
            s
        });
        Some((p, w.clone()))
    };
    let mut new_pids = new_ctx.pids();
    if let Some(k) = known {
        // NEW's processes read without their members.
        new_pids.extend(k.iter().copied());
        new_pids.sort_unstable();
        new_pids.dedup();
    }
    // NEW's context reading OLD's members: for a process of `known` that is not shared.
    let from_old = std::sync::OnceLock::new();
    let shared = std::sync::Mutex::new(HashSet::new());
    let new_built = build_processes(&new_ctx, &new_pids, &|pid| {
        let Some(b) = reuse(pid) else {
            if !known.is_some_and(|k| k.contains(&pid)) {
                return None;
            }
            let ctx = from_old.get_or_init(|| new_ctx.reading(old));
            let mut warnings = Vec::new();
            let p = ctx.process(pid, ctx.detail, &mut warnings);
            return Some((p, warnings));
        };
        if b.0.is_some() {
            if let Ok(mut s) = shared.lock() {
                s.insert(pid);
            }
        }
        Some(b)
    });
    Pair {
        old: finish(old, old_s, &old_ctx, old_head, old_built),
        new: finish(new, new_s, &new_ctx, new_head, new_built),
        shared: shared.into_inner().unwrap_or_default(),
    }
}

/// One process as built: its model (`None` when nothing identifies it) and the warnings its members
/// gave.
type Built = (Option<Process>, Vec<Warning>);

/// Builds the processes `pids`, in that order; `reuse` gives a process already built, else it is
/// decoded.
fn build_processes(
    ctx: &Context<'_>,
    pids: &[i32],
    reuse: &(dyn Fn(i32) -> Option<Built> + Sync),
) -> Vec<Built> {
    // Processes are independent: decode them on every available core, each thread with its own slice
    // (the parts are joined in order).
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = pids.len().div_ceil(threads).max(256);
    let parts: Vec<Vec<Built>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pids
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&pid| {
                            reuse(pid).unwrap_or_else(|| {
                                let mut warnings = Vec::new();
                                let p = ctx.process(pid, ctx.detail, &mut warnings);
                                (p, warnings)
                            })
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    parts.into_iter().flatten().collect()
}

/// The model from its skeleton and its processes: the processes' warnings placed, the processes sorted,
/// the events reconciled with them.
fn finish(
    raw: &RawSnapshot,
    mut snapshot: Snapshot,
    ctx: &Context<'_>,
    head: usize,
    built: Vec<Built>,
) -> Snapshot {
    let mut processes = Vec::with_capacity(built.len());
    let mut warnings = Vec::new();
    for (p, w) in built {
        processes.extend(p);
        warnings.extend(w);
    }
    // The processes' warnings come after those of the host and the socket tables, before those of the
    // host-wide records and the events.
    snapshot.warnings.splice(head..head, warnings);
    snapshot.processes = processes;
    snapshot.sort();
    let clock = raw
        .manifest
        .as_ref()
        .and_then(|m| m.events.as_ref())
        .and_then(|e| e.clock);
    super::events::reconcile(&mut snapshot, clock, ctx.clk_tck);
    snapshot
}

/// Everything of the model but the processes: host, capture, host-wide records and events (not yet
/// reconciled with the processes), with the context that builds the processes, and how many of the
/// warnings come before the processes' own.
fn skeleton(raw: &RawSnapshot, detail: Detail) -> (Snapshot, Context<'_>, usize) {
    let mut warnings = raw.warnings.clone();
    let host = host(raw, &mut warnings);
    let ctx = Context {
        raw,
        clk_tck: host.clk_tck.filter(|t| *t > 0).unwrap_or(ASSUMED_CLK_TCK),
        page_size: host.page_size.unwrap_or(ASSUMED_PAGE_SIZE),
        boot_time: host.boot_time,
        uptime_secs: host.uptime_secs,
        mem_total_kib: host.mem_total_kib.filter(|m| *m > 0),
        signals: super::events::numbering(host.machine.as_deref()),
        o_directory: o_directory(host.machine.as_deref()),
        users: raw
            .file("etc/passwd")
            .map(passwd::names)
            .unwrap_or_default(),
        groups: raw.file("etc/group").map(passwd::names).unwrap_or_default(),
        sockets: if detail.fds {
            sockets(raw, &host, &mut warnings)
        } else {
            BTreeMap::new()
        },
        unread: unread_members(raw, linux_field),
        detail,
    };
    let head = warnings.len();
    let mut snapshot = Snapshot {
        system: Default::default(),
        source: crate::model::Source {
            os: Some("linux".into()),
            ..raw.source.clone()
        },
        host,
        capture: capture_info(raw),
        core: None,
        processes: Vec::new(),
        warnings,
        events: None,
    };
    let facts = super::linux_system::Facts {
        clk_tck: ctx.clk_tck,
        boot_time: ctx.boot_time,
        capture_started_boottime: raw
            .manifest
            .as_ref()
            .and_then(|m| m.capture.started_boottime),
        sockets: Some(&ctx.sockets),
    };
    snapshot.system = super::linux_system::build(raw, &facts, detail, &mut snapshot.warnings);
    snapshot.events = super::events::event_log(raw, &snapshot.host, &mut snapshot.warnings);
    (snapshot, ctx, head)
}

pub(super) fn host(raw: &RawSnapshot, warnings: &mut Vec<Warning>) -> Host {
    let mut h = super::host::from_manifest(raw, warnings);
    if let Some(stat) = raw.file("proc/stat") {
        let ks = system::kernel_stat(stat);
        if h.boot_time.is_none() {
            h.boot_time = ks.btime.map(|secs| Timestamp { secs, nanos: 0 });
        }
        h.ncpu = ks.ncpu;
        warnings.extend(h.drop_impossible("proc/stat"));
    }
    if h.boot_id.is_none() {
        h.boot_id = raw
            .file("proc/sys/kernel/random/boot_id")
            .map(|b| String::from_utf8_lossy(b.trim_ascii()).into_owned());
    }
    h.uptime_secs = raw.file("proc/uptime").and_then(system::uptime);
    warnings.extend(h.drop_impossible("proc/uptime"));
    h.loadavg = raw.file("proc/loadavg").and_then(system::loadavg);
    if let Some(mi) = raw.file("proc/meminfo") {
        (h.mem_total_kib, h.mem_available_kib) = system::meminfo(mi);
    }
    if h.clk_tck.is_none() {
        warnings.push(Warning::member(
            "manifest.json",
            format!(
                "clock ticks per second not recorded; assuming {ASSUMED_CLK_TCK} (Linux USER_HZ)"
            ),
        ));
    }
    if h.page_size.is_none() {
        warnings.push(Warning::member(
            "manifest.json",
            format!("page size not recorded; assuming {ASSUMED_PAGE_SIZE} bytes"),
        ));
    }
    h
}

/// `O_DIRECTORY` in fdinfo flags, which differs by architecture; `None` where unknown.
fn o_directory(machine: Option<&str>) -> Option<u64> {
    let m = machine?;
    if m.starts_with("aarch64") || m.starts_with("arm") || m.starts_with("ppc") {
        Some(0o40000)
    } else if m == "x86_64"
        || m.ends_with("86")
        || m.starts_with("s390")
        || m.starts_with("riscv")
        || m.starts_with("loongarch")
    {
        Some(0o200000)
    } else {
        None
    }
}

/// Every socket of every captured network namespace, by inode (socket inodes are unique system-wide).
fn sockets(raw: &RawSnapshot, host: &Host, warnings: &mut Vec<Warning>) -> BTreeMap<u64, Socket> {
    let order = host.byte_order.unwrap_or(Endianness::Little);
    let mut dirs: Vec<(String, Option<u64>)> = Vec::new();
    for name in raw.children("proc") {
        if name.parse::<i32>().is_ok() && !raw.children(&format!("proc/{name}/net")).is_empty() {
            let netns = raw
                .link(&format!("proc/{name}/ns/net"))
                .and_then(links::namespace)
                .map(|(_, inode)| inode);
            dirs.push((format!("proc/{name}/net"), netns));
        }
    }
    if !raw.children("proc/net").is_empty() {
        dirs.push(("proc/net".to_string(), None));
    }
    if !dirs.is_empty() && host.byte_order.is_none() {
        warnings.push(Warning::member(
            "manifest.json",
            "byte order not recorded; socket addresses decoded as little-endian",
        ));
    }
    let mut out = BTreeMap::new();
    for (dir, netns) in dirs {
        for proto in ["tcp", "tcp6", "udp", "udp6"] {
            let member = format!("{dir}/{proto}");
            let Some(bytes) = raw.file(&member) else {
                continue;
            };
            let (rows, bad) = net::inet(bytes, order);
            for off in bad {
                warnings.push(Warning::at(&member, off as u64, "malformed socket line"));
            }
            for r in rows {
                let tcp = proto.starts_with("tcp");
                let remote_set = !r.remote.is_unspecified() || r.remote_port != 0;
                out.entry(r.inode).or_insert_with(|| Socket {
                    protocol: proto.to_string(),
                    local: Some(SocketEndpoint {
                        address: ByteString::from(r.local.to_string().as_str()),
                        port: Some(r.local_port),
                    }),
                    remote: remote_set.then(|| SocketEndpoint {
                        address: ByteString::from(r.remote.to_string().as_str()),
                        port: Some(r.remote_port),
                    }),
                    state: Some(
                        if tcp {
                            net::tcp_state_name(r.state)
                        } else {
                            net::udp_state_name(r.state)
                        }
                        .to_string(),
                    ),
                    socket_type: None,
                    uid: r.uid,
                    netns,
                });
            }
        }
        let member = format!("{dir}/unix");
        if let Some(bytes) = raw.file(&member) {
            let (rows, bad) = net::unix(bytes);
            for off in bad {
                warnings.push(Warning::at(
                    &member,
                    off as u64,
                    "malformed unix socket line",
                ));
            }
            for r in rows {
                out.entry(r.inode).or_insert_with(|| Socket {
                    protocol: "unix".into(),
                    local: r.path.as_ref().map(|p| SocketEndpoint {
                        address: ByteString::from(p.clone()),
                        port: None,
                    }),
                    remote: None,
                    state: Some(r.state_name().to_string()),
                    socket_type: Some(r.type_name().to_string()),
                    uid: None,
                    netns,
                });
            }
        }
    }
    out
}

pub(super) fn capture_info(raw: &RawSnapshot) -> Option<CaptureInfo> {
    let m = raw.manifest.as_ref()?;
    let mut read_errors = BTreeMap::new();
    // Members left out of a narrowed index are stored too.
    let mut stored = raw.unindexed as u64;
    for (path, member) in raw.members() {
        match member {
            Member::Failed(e) => *read_errors.entry(e.clone()).or_insert(0) += 1,
            _ if path == crate::snapshot::manifest::MANIFEST_NAME
                || path == crate::snapshot::index::INDEX_NAME => {}
            _ => stored += 1,
        }
    }
    Some(CaptureInfo {
        tool_version: m.tool_version.clone(),
        format_version: m.format_version,
        started: m.capture.started,
        finished: m.capture.finished,
        case: m.capture.case.clone(),
        examiner: m.capture.examiner.clone(),
        note: m.capture.note.clone(),
        profile: m.capture.profile.clone(),
        members: stored,
        read_errors,
        vanished: m.vanished.clone(),
        pid: m.capture.pid,
    })
}

/// Every member under `proc/<pid>/` whose read failed, by pid, with the process field it would have
/// filled (`field_of` maps the path below `proc/<pid>/` to it).
pub(crate) fn unread_members(
    raw: &RawSnapshot,
    field_of: fn(&str) -> &str,
) -> BTreeMap<i32, Vec<Unread>> {
    let mut out: BTreeMap<i32, Vec<Unread>> = BTreeMap::new();
    for (path, member) in raw.members() {
        let Member::Failed(error) = member else {
            continue;
        };
        let Some((pid, rest)) = path
            .strip_prefix("proc/")
            .and_then(|r| r.split_once('/'))
            .and_then(|(pid, rest)| Some((pid.parse::<i32>().ok()?, rest)))
        else {
            continue;
        };
        out.entry(pid).or_default().push(Unread {
            field: field_of(rest).to_string(),
            member: path.to_string(),
            error: error.clone(),
        });
    }
    out
}

/// The process field a Linux member below `proc/<pid>/` fills (see `docs/schema.md`, `unread`).
fn linux_field(rest: &str) -> &str {
    let first = rest.split('/').next().unwrap_or(rest);
    match first {
        "cmdline" => "argv",
        "environ" => "env",
        "fd" | "fdinfo" => "fds",
        "ns" => "namespaces",
        "net" => "sockets",
        "task" => "threads",
        "smaps_rollup" => "memory",
        "smaps" => "maps",
        other => other,
    }
}

struct Context<'a> {
    raw: &'a RawSnapshot,
    clk_tck: u64,
    page_size: u64,
    boot_time: Option<Timestamp>,
    /// Seconds since boot when the records were read (`proc/uptime`), for %CPU.
    uptime_secs: Option<f64>,
    /// `MemTotal` of `proc/meminfo`, for %MEM.
    mem_total_kib: Option<u64>,
    /// The signal numbering of the host's architecture, for exit statuses.
    signals: crate::formats::signals::Numbering,
    o_directory: Option<u64>,
    users: BTreeMap<u32, String>,
    groups: BTreeMap<u32, String>,
    sockets: BTreeMap<u64, Socket>,
    unread: BTreeMap<i32, Vec<Unread>>,
    detail: Detail,
}

impl Context<'_> {
    /// This context reading the members of `raw`, another snapshot of the host whose members of the
    /// processes it builds are the same bytes (see [`pair_of`]).
    fn reading<'b>(&self, raw: &'b RawSnapshot) -> Context<'b> {
        Context {
            raw,
            clk_tck: self.clk_tck,
            page_size: self.page_size,
            boot_time: self.boot_time,
            uptime_secs: self.uptime_secs,
            mem_total_kib: self.mem_total_kib,
            signals: self.signals,
            o_directory: self.o_directory,
            users: self.users.clone(),
            groups: self.groups.clone(),
            sockets: self.sockets.clone(),
            unread: self.unread.clone(),
            detail: self.detail,
        }
    }

    /// Whether the socket tables of this context and `other` say the same of every socket `p`'s
    /// descriptors hold (what its model joins from them, see [`Context::fds`]).
    fn same_sockets(&self, other: &Context<'_>, p: &Process) -> bool {
        p.fds.iter().flatten().all(|f| match (f.kind, f.inode) {
            (FdKind::Socket, Some(i)) => self.sockets.get(&i) == other.sockets.get(&i),
            _ => true,
        })
    }

    fn secs(&self, ticks: u64) -> f64 {
        ticks as f64 / self.clk_tck as f64
    }

    /// btime + starttime / CLK_TCK, in integer arithmetic so that whole ticks stay exact.
    fn start_time(&self, starttime: u64) -> Option<Timestamp> {
        let boot = self.boot_time?;
        let whole = i64::try_from(starttime / self.clk_tck).ok()?;
        // Widened: the remainder times 10^9 overflows 64 bits for clock rates above 18 GHz.
        let frac_ns = (u128::from(starttime % self.clk_tck) * 1_000_000_000
            / u128::from(self.clk_tck)) as u64;
        let nanos = u64::from(boot.nanos) + frac_ns;
        Some(Timestamp {
            secs: boot
                .secs
                .checked_add(whole)?
                .checked_add((nanos / 1_000_000_000) as i64)?,
            nanos: (nanos % 1_000_000_000) as u32,
        })
    }

    /// %CPU as procps-ng 4.0 computes it: CPU time over the process's whole life, in tenths of a percent,
    /// truncated: `(utime + stime) * 1000 / HZ` (integer) divided by the life in seconds, where the life
    /// is `floor(uptime * HZ) - starttime` clock ticks (0 when not positive); whole percents above 99.9.
    fn pct_cpu(&self, s: &stat::Stat) -> Option<f64> {
        let uptime = self.uptime_secs?;
        let hz = self.clk_tck as f64;
        let boot_ticks = (uptime * hz).floor();
        let life = (boot_ticks - s.starttime as f64) / hz;
        let ticks = u128::from(s.utime) + u128::from(s.stime);
        let per_mille = ticks * 1000 / u128::from(self.clk_tck);
        let tenths = if life > 0.0 {
            (per_mille as f64 / life).floor()
        } else {
            0.0
        };
        // procps prints whole percents above 99.9.
        let tenths = if tenths > 999.0 {
            (tenths / 10.0).floor() * 10.0
        } else {
            tenths
        };
        Some(tenths / 10.0)
    }

    /// %MEM as procps-ng computes it: `VmRSS * 1000 / MemTotal` tenths of a percent, truncated, at most
    /// 99.9.
    fn pct_mem(&self, m: Option<&Memory>) -> Option<f64> {
        let rss = m?.rss_kib?;
        let tenths = (u128::from(rss) * 1000 / u128::from(self.mem_total_kib?)).min(999);
        Some(tenths as f64 / 10.0)
    }

    /// How a zombie ended (stat field 52). The kernel prints the real value only to a reader that may
    /// ptrace the process, else 0; the same check guards its `ns/*` links, so the value is trusted when
    /// the capture could read one of them or was told it is gone (ENOENT: a zombie has no namespaces),
    /// and not when that read was refused.
    fn zombie_exit(&self, pid: i32, s: &stat::Stat) -> Option<crate::model::Exit> {
        if !matches!(s.state, b'Z' | b'X') {
            return None;
        }
        let code = s.exit_code?;
        let dir = format!("proc/{pid}/ns");
        let permitted =
            self.raw
                .children(&dir)
                .iter()
                .any(|t| match self.raw.member(&format!("{dir}/{t}")) {
                    Some(Member::Failed(e)) => e != "EACCES" && e != "EPERM",
                    Some(_) => true,
                    None => false,
                });
        permitted.then(|| {
            crate::model::Exit::from_code(code, |n| crate::formats::signals::name(self.signals, n))
        })
    }

    fn kib_of_pages(&self, pages: u64) -> Option<u64> {
        pages.checked_mul(self.page_size).map(|b| b / 1024)
    }

    fn stat(&self, member: &str, warnings: &mut Vec<Warning>) -> Option<stat::Stat> {
        Self::parse_stat(self.raw.file(member)?, member, warnings)
    }

    fn parse_stat(bytes: &[u8], member: &str, warnings: &mut Vec<Warning>) -> Option<stat::Stat> {
        match stat::parse(bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                warnings.push(Warning::at(member, e.offset as u64, e.message));
                None
            }
        }
    }

    fn status(&self, member: &str, warnings: &mut Vec<Warning>) -> Option<status::Status> {
        Self::parse_status(self.raw.file(member)?, member, warnings)
    }

    fn parse_status(
        bytes: &[u8],
        member: &str,
        warnings: &mut Vec<Warning>,
    ) -> Option<status::Status> {
        match status::parse(bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                warnings.push(Warning::at(member, e.offset as u64, e.message));
                None
            }
        }
    }

    /// Recomputes what of a process's model depends on the host's moment and not on its members
    /// (see [`build_pair`]): %CPU (the uptime) and %MEM (the total memory).
    /// Its `stat` is read from `members`' snapshot (the same bytes as this one's, see [`build_pair`]).
    fn host_dependent(&self, p: &mut Process, members: &Context<'_>) {
        let stat = members.stat(&format!("proc/{}/stat", p.pid), &mut Vec::new());
        if let Some(s) = &stat {
            p.pct_cpu = self.pct_cpu(s);
        }
        p.pct_mem = self.pct_mem(p.memory.as_ref());
    }

    /// The pids of the `proc/<pid>` directories, in their names' order.
    /// The pids of the snapshot's process directories, in numeric order (members are in byte order:
    /// "10" before "9"), so that the processes come out of [`build_processes`] already sorted and
    /// `Snapshot::sort` moves none of them.
    fn pids(&self) -> Vec<i32> {
        let mut pids: Vec<i32> = self
            .raw
            .children("proc")
            .into_iter()
            .filter_map(|name| name.parse().ok())
            .collect();
        pids.sort_unstable();
        pids
    }

    fn process(&self, pid: i32, detail: Detail, warnings: &mut Vec<Warning>) -> Option<Process> {
        let dir = format!("proc/{pid}");
        // This process's own files, found once (not a path built and searched per file).
        let d = self.raw.dir(&dir);
        let st = d
            .file("stat")
            .and_then(|b| Self::parse_stat(b, &format!("{dir}/stat"), warnings));
        let status = d
            .file("status")
            .and_then(|b| Self::parse_status(b, &format!("{dir}/status"), warnings));
        if st.is_none() && status.is_none() {
            // Nothing to identify the process by: it vanished, or only other files were copied.
            return None;
        }
        if let Some(s) = &st {
            if s.pid != pid {
                warnings.push(Warning::at(
                    format!("{dir}/stat"),
                    0,
                    format!(
                        "pid field {} differs from the directory's {pid}; the directory's is used",
                        s.pid
                    ),
                ));
            }
        }
        let mut p = Process {
            pid,
            unread: self.unread.get(&pid).cloned().unwrap_or_default(),
            ..Process::default()
        };
        if let Some(s) = &st {
            p.ppid = Some(s.ppid);
            p.pgid = Some(s.pgrp);
            p.sid = Some(s.session);
            if s.tty_nr != 0 {
                p.tty = Some(s.tty_nr as u64);
                p.tty_name = tty_name(s.tty_nr as u64);
            }
            p.tpgid = (s.tpgid > 0).then_some(s.tpgid);
            p.pct_cpu = self.pct_cpu(s);
            p.start_ticks = Some(s.starttime);
            p.start_time = self.start_time(s.starttime);
            p.state = Some((s.state as char).to_string());
            p.nice = Some(s.nice);
            p.priority = Some(s.priority);
            p.flags = Some(s.flags);
            p.kernel_thread = Some(s.flags & stat::PF_KTHREAD != 0);
            p.user_time = Some(self.secs(s.utime));
            p.system_time = Some(self.secs(s.stime));
            p.nlwp = u32::try_from(s.num_threads).ok();
            p.comm = Some(ByteString::new(&s.comm));
        }
        if let Some(s) = &status {
            p.ppid = p.ppid.or(s.ppid);
            if p.state.is_none() {
                p.state = s.state.map(|c| (c as char).to_string());
            }
            if p.comm.is_none() {
                p.comm = s.name.as_deref().map(ByteString::new);
            }
            p.nlwp = s.threads.or(p.nlwp);
            p.nspid = s.nspid.clone();
            p.cred = self.credentials(s);
            p.traced = s.tracer_pid.map(|t| t != 0);
            p.tracer_pid = s.tracer_pid.filter(|t| *t != 0);
            p.capabilities = capabilities(s);
            if detail.signals {
                p.signal_actions = signal_actions(s, self.signals);
            }
            // Process-wide sets; SigBlk and SigPnd are the main thread's (its `threads` entry).
            p.sig_pending = s.shd_pnd.clone();
            p.sig_ignored = s.sig_ign.clone();
            p.sig_caught = s.sig_cgt.clone();
            p.umask = s.umask;
        }
        if let Some(comm) = d.file("comm") {
            p.comm = Some(ByteString::new(comm.strip_suffix(b"\n").unwrap_or(comm)));
        }
        p.argv = d.file("cmdline").map(|b| to_strings(cmdline::split(b)));
        p.env = d.file("environ").map(|b| to_strings(cmdline::split(b)));
        p.exe = d.link("exe").map(ByteString::new);
        p.cwd = d.link("cwd").map(ByteString::new);
        p.root = d.link("root").map(ByteString::new);
        p.memory = self.memory(&dir, &d, st.as_ref(), status.as_ref(), warnings);
        p.pct_mem = self.pct_mem(p.memory.as_ref());
        p.stat = st
            .as_ref()
            .map(|s| bsd_stat(s, status.as_ref(), p.nlwp, pid));
        p.exit = st.as_ref().and_then(|s| self.zombie_exit(pid, s));
        p.wchan = d.file("wchan").and_then(wchan);
        if detail.threads {
            p.threads = self
                .threads(&dir, warnings)
                .or_else(|| single_thread(&p, st.as_ref(), status.as_ref()));
        }
        if detail.fds {
            p.fds = self.fds(&dir);
        }
        if detail.maps {
            p.maps = self.maps(&dir, warnings);
        }
        let limits = d.file("limits").filter(|_| detail.limits);
        p.limits = limits.map(|b| {
            limits::parse(b)
                .into_iter()
                .map(|r| Limit {
                    name: r.name,
                    soft: r.soft,
                    hard: r.hard,
                    unit: r.unit,
                })
                .collect()
        });
        p.namespaces = self.namespaces(&dir);
        p.cgroup = d
            .file("cgroup")
            .map(|b| cgroup::parse(b).into_iter().map(ByteString::from).collect());
        p.io = d.file("io").map(|b| {
            let i = io::parse(b);
            IoCounters {
                rchar: i.rchar,
                wchar: i.wchar,
                syscr: i.syscr,
                syscw: i.syscw,
                read_bytes: i.read_bytes,
                write_bytes: i.write_bytes,
                cancelled_write_bytes: i.cancelled_write_bytes,
            }
        });
        Some(p)
    }

    fn credentials(&self, s: &status::Status) -> Credentials {
        let mut c = Credentials::default();
        if let Some([r, e, sv, fs]) = s.uid {
            (c.uid, c.euid, c.suid, c.fsuid) = (Some(r), Some(e), Some(sv), Some(fs));
            c.user = self.users.get(&r).cloned();
            c.euser = self.users.get(&e).cloned();
        }
        if let Some([r, e, sv, fs]) = s.gid {
            (c.gid, c.egid, c.sgid, c.fsgid) = (Some(r), Some(e), Some(sv), Some(fs));
            c.group = self.groups.get(&r).cloned();
        }
        c.groups = s.groups.clone();
        c
    }

    fn memory(
        &self,
        dir: &str,
        d: &Dir<'_>,
        st: Option<&stat::Stat>,
        status: Option<&status::Status>,
        warnings: &mut Vec<Warning>,
    ) -> Option<Memory> {
        let statm = d.file("statm").and_then(|b| match statm::parse(b) {
            Ok(s) => Some(s),
            Err(e) => {
                warnings.push(Warning::at(
                    format!("{dir}/statm"),
                    e.offset as u64,
                    e.message,
                ));
                None
            }
        });
        let rollup = d.file("smaps_rollup").map(kv::smaps_rollup);
        let m = Memory {
            vsz_kib: status
                .and_then(|s| s.vm_size)
                .or_else(|| st.map(|s| s.vsize / 1024))
                .or_else(|| statm.and_then(|s| self.kib_of_pages(s.size))),
            rss_kib: status
                .and_then(|s| s.vm_rss)
                .or_else(|| statm.and_then(|s| self.kib_of_pages(s.resident))),
            shared_kib: statm
                .and_then(|s| self.kib_of_pages(s.shared))
                .or_else(|| status.and_then(|s| s.rss_file?.checked_add(s.rss_shmem?))),
            rss_peak_kib: status.and_then(|s| s.vm_hwm),
            swap_kib: status.and_then(|s| s.vm_swap),
            pss_kib: rollup.as_ref().and_then(|r| r.get("Pss").copied()),
            anon_kib: rollup
                .as_ref()
                .and_then(|r| r.get("Anonymous").copied())
                .or_else(|| status.and_then(|s| s.rss_anon)),
            locked_kib: status.and_then(|s| s.vm_lck),
        };
        (m != Memory::default()).then_some(m)
    }

    fn threads(&self, dir: &str, warnings: &mut Vec<Warning>) -> Option<Vec<Thread>> {
        let tids = self.raw.children(&format!("{dir}/task"));
        if tids.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        for name in tids {
            let Ok(tid) = name.parse::<i32>() else {
                continue;
            };
            let tdir = format!("{dir}/task/{tid}");
            let st = self.stat(&format!("{tdir}/stat"), warnings);
            let status = self.status(&format!("{tdir}/status"), warnings);
            let comm = self.raw.file(&format!("{tdir}/comm"));
            if st.is_none() && status.is_none() && comm.is_none() {
                continue;
            }
            let mut t = Thread {
                tid,
                ..Thread::default()
            };
            if let Some(s) = &st {
                t.name = Some(ByteString::new(&s.comm));
                t.state = Some((s.state as char).to_string());
                t.user_time = Some(self.secs(s.utime));
                t.system_time = Some(self.secs(s.stime));
                t.processor = s.processor;
                t.priority = Some(s.priority);
                t.nice = Some(s.nice);
                t.start_time = self.start_time(s.starttime);
            }
            if let Some(s) = &status {
                t.sig_pending = s.sig_pnd.clone();
                t.sig_blocked = s.sig_blk.clone();
                t.voluntary_ctxt_switches = s.voluntary_ctxt_switches;
                t.nonvoluntary_ctxt_switches = s.nonvoluntary_ctxt_switches;
                if t.state.is_none() {
                    t.state = s.state.map(|c| (c as char).to_string());
                }
            }
            if let Some(c) = comm {
                t.name = Some(ByteString::new(c.strip_suffix(b"\n").unwrap_or(c)));
            }
            out.push(t);
        }
        out.sort_by_key(|t| t.tid);
        Some(out)
    }

    fn fds(&self, dir: &str) -> Option<Vec<Fd>> {
        // Each directory found once; each descriptor then a search among its few names.
        let links = self.raw.dir(&format!("{dir}/fd"));
        let readable = links
            .entries()
            .any(|(_, m)| matches!(m, Member::Symlink(_)));
        if !readable {
            return None;
        }
        let infos = self.raw.dir(&format!("{dir}/fdinfo"));
        let mut out = Vec::new();
        for (name, _) in links.entries() {
            let Ok(fd) = name.parse::<i32>() else {
                continue;
            };
            // By the number as the kernel writes it (`3`, whatever the name that parsed to it).
            let fd_name = fd.to_string();
            let Some(target) = links.link(&fd_name) else {
                continue;
            };
            let info = infos.file(&fd_name).map(fdinfo::parse);
            let (mut kind, mut inode, mut socket) = (FdKind::Other, None, None);
            match links::fd_target(target) {
                links::FdTarget::Socket(i) => {
                    kind = FdKind::Socket;
                    inode = Some(i);
                    socket = self.sockets.get(&i).cloned();
                }
                links::FdTarget::Pipe(i) => {
                    kind = FdKind::Pipe;
                    inode = Some(i);
                }
                links::FdTarget::AnonInode(_) => kind = FdKind::AnonInode,
                links::FdTarget::Path(p) => {
                    let is_dir = match (self.o_directory, info.as_ref().and_then(|i| i.flags)) {
                        (Some(bit), Some(flags)) => flags & bit != 0,
                        _ => false,
                    };
                    kind = if is_dir {
                        FdKind::Dir
                    } else if p.starts_with(b"/dev/") && !p.starts_with(b"/dev/shm/") {
                        FdKind::Device
                    } else {
                        FdKind::File
                    };
                }
                links::FdTarget::Other(_) => {}
            }
            out.push(Fd {
                fd,
                kind,
                target: Some(ByteString::new(target)),
                mode: info
                    .as_ref()
                    .and_then(|i| i.flags)
                    .map(|f| fdinfo::access_mode(f).to_string()),
                flags: info.as_ref().and_then(|i| i.flags),
                pos: info.as_ref().and_then(|i| i.pos),
                inode: inode.or_else(|| info.as_ref().and_then(|i| i.ino)),
                socket,
            });
        }
        out.sort_by_key(|f| f.fd);
        Some(out)
    }

    /// The mappings from `maps`, with each one's sizes from `smaps` when it was captured (`--smaps`, or
    /// the live `maps` report); from `smaps` alone when `maps` is missing.
    fn maps(&self, dir: &str, warnings: &mut Vec<Warning>) -> Option<Vec<Mapping>> {
        let to_mapping = |m: maps::MapLine| Mapping {
            start: m.start,
            end: m.end,
            perms: m.perms,
            offset: m.offset,
            dev: Some(m.dev),
            inode: Some(m.inode),
            path: m.path.map(ByteString::from),
            ..Mapping::default()
        };
        let smaps_member = format!("{dir}/smaps");
        let sized = self.raw.file(&smaps_member).map(|bytes| {
            let (entries, errors) = maps::parse_smaps(bytes);
            for e in errors {
                warnings.push(Warning::at(&smaps_member, e.offset as u64, e.message));
            }
            entries
        });
        let member = format!("{dir}/maps");
        let mut out: Vec<Mapping> = match (self.raw.file(&member), &sized) {
            (Some(bytes), _) => {
                let (lines, errors) = maps::parse(bytes);
                for e in errors {
                    warnings.push(Warning::at(&member, e.offset as u64, e.message));
                }
                lines.into_iter().map(to_mapping).collect()
            }
            (None, Some(entries)) => entries.iter().map(|(m, _)| to_mapping(m.clone())).collect(),
            (None, None) => return None,
        };
        if let Some(entries) = sized {
            // The two files are read moments apart: a mapping is matched by its range.
            let by_range: BTreeMap<(u64, u64), maps::SmapsSizes> = entries
                .into_iter()
                .map(|(m, s)| ((m.start, m.end), s))
                .collect();
            for m in &mut out {
                if let Some(s) = by_range.get(&(m.start, m.end)) {
                    m.rss_kib = s.rss;
                    m.anon_kib = s.anonymous;
                    m.dirty_kib = s.dirty;
                    m.locked_kib = s.locked;
                    m.pss_kib = s.pss;
                    m.swap_kib = s.swap;
                }
            }
        }
        Some(out)
    }

    fn namespaces(&self, dir: &str) -> Option<Vec<Namespace>> {
        let ns = self.raw.dir(&format!("{dir}/ns"));
        let out: Vec<Namespace> = ns
            .entries()
            .filter_map(|(n, m)| {
                let Member::Symlink(target) = m else {
                    return None;
                };
                let (kind, inode) = links::namespace(target)?;
                let link = (n != kind).then(|| n.to_string());
                Some(Namespace { kind, inode, link })
            })
            .collect();
        (!out.is_empty()).then_some(out)
    }
}

/// What the process does with each signal, from status's masks (bit n - 1 is signal n): `caught`
/// (`SigCgt`), `ignored` (`SigIgn`) or `default`; `blocked` from `SigBlk` (the main thread's), `pending`
/// from `ShdPnd` or `SigPnd`. As many signals as the masks have bits (64; 128 on mips). `None` when
/// status has neither `SigCgt` nor `SigIgn`.
fn signal_actions(
    s: &status::Status,
    numbering: crate::formats::signals::Numbering,
) -> Option<Vec<crate::model::SignalAction>> {
    let bits = |m: &Option<String>| m.as_deref().map(mask_bits);
    let (caught, ignored) = (bits(&s.sig_cgt), bits(&s.sig_ign));
    if caught.is_none() && ignored.is_none() {
        return None;
    }
    let (blocked, pending, shared) = (bits(&s.sig_blk), bits(&s.sig_pnd), bits(&s.shd_pnd));
    let count = [&caught, &ignored, &blocked, &pending, &shared]
        .iter()
        .filter_map(|m| m.as_ref().map(Vec::len))
        .max()
        .unwrap_or(0);
    let has =
        |m: &Option<Vec<bool>>, i: usize| m.as_ref().map(|v| v.get(i).copied().unwrap_or(false));
    Some(
        (0..count)
            .map(|i| {
                let signal = i as i32 + 1;
                let action = if has(&caught, i) == Some(true) {
                    "caught"
                } else if has(&ignored, i) == Some(true) {
                    "ignored"
                } else {
                    "default"
                };
                crate::model::SignalAction {
                    signal,
                    name: crate::formats::signals::name(numbering, signal),
                    action: action.into(),
                    blocked: has(&blocked, i),
                    pending: match (has(&pending, i), has(&shared, i)) {
                        (None, None) => None,
                        (a, b) => Some(a == Some(true) || b == Some(true)),
                    },
                    ..Default::default()
                }
            })
            .collect(),
    )
}

/// The bits of a hex signal mask as status prints it, lowest first (`0000000000000202`: bits 1 and 9,
/// signals 2 and 10).
fn mask_bits(hex: &str) -> Vec<bool> {
    hex.bytes()
        .rev()
        .flat_map(|c| {
            let v = (c as char).to_digit(16).unwrap_or(0);
            (0..4).map(move |b| v & (1 << b) != 0)
        })
        .collect()
}

/// `ps -o stat` as procps-ng writes it: the state letter, then `<` (nice < 0) or `N` (nice > 0), `L`
/// (locked pages: status `VmLck` non-zero), `s` (session leader), `l` (more than one thread), `+` (in
/// the foreground process group of its terminal).
fn bsd_stat(
    s: &stat::Stat,
    status: Option<&status::Status>,
    nlwp: Option<u32>,
    pid: i32,
) -> String {
    let mut out = String::from(s.state as char);
    if s.nice < 0 {
        out.push('<');
    } else if s.nice > 0 {
        out.push('N');
    }
    if status.and_then(|st| st.vm_lck).is_some_and(|k| k > 0) {
        out.push('L');
    }
    if s.session == pid {
        out.push('s');
    }
    if nlwp.is_some_and(|n| n > 1) {
        out.push('l');
    }
    if s.pgrp == s.tpgid {
        out.push('+');
    }
    out
}

/// The one thread of a single-threaded process whose `task/` files were not captured (the capture skips
/// them: they would repeat the process's own `stat` and `status`).
fn single_thread(
    p: &Process,
    st: Option<&stat::Stat>,
    status: Option<&status::Status>,
) -> Option<Vec<Thread>> {
    if p.nlwp != Some(1) {
        return None;
    }
    Some(vec![Thread {
        tid: p.pid,
        name: p.comm.clone(),
        state: p.state.clone(),
        user_time: p.user_time,
        system_time: p.system_time,
        processor: st.and_then(|s| s.processor),
        priority: p.priority,
        nice: p.nice,
        start_time: p.start_time,
        wchan: p.wchan.clone(),
        sig_pending: status.and_then(|s| s.sig_pnd.clone()),
        sig_blocked: status.and_then(|s| s.sig_blk.clone()),
        voluntary_ctxt_switches: status.and_then(|s| s.voluntary_ctxt_switches),
        nonvoluntary_ctxt_switches: status.and_then(|s| s.nonvoluntary_ctxt_switches),
        ..Thread::default()
    }])
}

/// The capability sets of a status file, when it has any.
fn capabilities(s: &status::Status) -> Option<Capabilities> {
    let c = Capabilities {
        inheritable: s.cap_inh.clone(),
        permitted: s.cap_prm.clone(),
        effective: s.cap_eff.clone(),
        bounding: s.cap_bnd.clone(),
        ambient: s.cap_amb.clone(),
    };
    (c != Capabilities::default()).then_some(c)
}

fn to_strings(v: Vec<Vec<u8>>) -> Vec<ByteString> {
    v.into_iter().map(ByteString::from).collect()
}

/// `wchan` holds a kernel symbol, or `0` when the task is not blocked.
fn wchan(bytes: &[u8]) -> Option<String> {
    let w = bytes.trim_ascii();
    (!w.is_empty() && w != b"0").then(|| String::from_utf8_lossy(w).into_owned())
}

/// Terminal name of a device number (Documentation/admin-guide/devices.txt).
pub fn tty_name(dev: u64) -> Option<String> {
    let major = (dev >> 8) & 0xfff;
    let minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    match major {
        136..=143 => Some(format!("pts/{}", (major - 136) * 256 + minor)),
        4 if minor < 64 => Some(format!("tty{minor}")),
        4 => Some(format!("ttyS{}", minor - 64)),
        5 if minor == 1 => Some("console".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FdKind;
    use crate::snapshot::MemoryBuilder;
    use crate::snapshot::manifest::{Manifest, ManifestHost};

    fn snapshot() -> Snapshot {
        let mut b = MemoryBuilder::new();
        b.file("proc/stat", b"cpu 1 2\ncpu0 1 2\nbtime 1795350000\n");
        b.file(
            "etc/passwd",
            b"root:x:0:0::/root:/bin/sh\nalice:x:1000:100::/home/a:/bin/sh\n",
        );
        b.file("etc/group", b"users:x:100:\n");
        b.file(
            "proc/42/stat",
            b"42 (my prog) S 1 42 42 34817 42 4194304 0 0 0 0 250 50 0 0 20 0 2 0 12345 1000000 100 0",
        );
        b.file(
            "proc/42/status",
            b"Name:\tmy prog\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\nGroups:\t100 27\nNSpid:\t42\t1\nThreads:\t2\nVmSize:\t 977 kB\nVmRSS:\t 400 kB\n",
        );
        b.file("proc/42/cmdline", b"/bin/my prog\0--flag\0\xff\0");
        b.failed("proc/42/environ", "EACCES");
        b.symlink("proc/42/fd/0", b"/dev/pts/1");
        b.symlink("proc/42/fd/3", b"socket:[9001]");
        b.symlink("proc/42/fd/4", b"pipe:[77]");
        b.file("proc/42/fdinfo/3", b"pos:\t0\nflags:\t02\nmnt_id:\t8\n");
        b.symlink("proc/42/ns/net", b"net:[4026531993]");
        b.symlink("proc/42/ns/pid", b"pid:[4026532500]");
        // Its children go into a namespace it created (unshare --pid without --fork).
        b.symlink("proc/42/ns/pid_for_children", b"pid:[4026532600]");
        b.file(
            "proc/42/net/unix",
            b"Num RefCount Protocol Flags Type St Inode Path\n0: 00000002 00000000 00010000 0001 01 9001 /run/app.sock\n",
        );
        b.file(
            "proc/42/task/42/stat",
            b"42 (my prog) S 1 42 42 0 42 0 0 0 0 0 200 40 0 0 20 0 2 0 12345 0 0 0",
        );
        b.file(
            "proc/42/task/43/stat",
            b"43 (io) R 1 42 42 0 42 0 0 0 0 0 50 10 0 0 20 0 2 0 12400 0 0 0",
        );
        b.file("proc/42/task/43/comm", b"io-thread\n");
        b.file("proc/77/environ", b"ONLY=this\0"); // no stat, no status: not a process
        let manifest = Manifest {
            host: ManifestHost {
                byte_order: "little".into(),
                data_model: "lp64".into(),
                clk_tck: Some(100),
                page_size: Some(4096),
                ..ManifestHost::default()
            },
            ..Manifest::default()
        };
        build(
            &b.build(Some(manifest), vec![], Default::default()),
            Detail::FULL,
        )
    }

    #[test]
    fn builds_identity_credentials_and_times() {
        let s = snapshot();
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        assert_eq!(s.processes.len(), 1);
        let p = &s.processes[0];
        assert_eq!(
            (p.pid, p.ppid, p.pgid, p.sid),
            (42, Some(1), Some(42), Some(42))
        );
        assert_eq!(p.tty_name.as_deref(), Some("pts/1"));
        assert_eq!(p.comm.as_ref().unwrap().as_bytes(), b"my prog");
        let argv: Vec<&[u8]> = p
            .argv
            .as_ref()
            .unwrap()
            .iter()
            .map(|a| a.as_bytes())
            .collect();
        assert_eq!(argv, [&b"/bin/my prog"[..], b"--flag", b"\xff"]);
        assert!(p.env.is_none(), "unreadable environ is absent, not empty");
        assert_eq!(
            p.unread,
            [Unread {
                field: "env".into(),
                member: "proc/42/environ".into(),
                error: "EACCES".into()
            }]
        );
        assert_eq!(
            (p.cred.uid, p.cred.user.as_deref(), p.cred.group.as_deref()),
            (Some(1000), Some("alice"), Some("users"))
        );
        assert_eq!(p.cred.groups, Some(vec![100, 27]));
        assert_eq!(p.nspid, Some(vec![42, 1]));
        // btime 1795350000 + 12345 ticks / 100 = 1795350123.45
        assert_eq!(p.start_time.unwrap().rfc3339(), "2026-11-22T12:22:03.45Z");
        assert_eq!((p.user_time, p.system_time), (Some(2.5), Some(0.5)));
        assert_eq!(p.memory.as_ref().unwrap().rss_kib, Some(400));
        let threads = p.threads.as_ref().unwrap();
        assert_eq!(threads.len(), 2);
        assert_eq!(threads[1].name.as_ref().unwrap().as_bytes(), b"io-thread");
        assert_eq!(threads[1].state.as_deref(), Some("R"));
    }

    #[test]
    fn pid_for_children_is_not_the_pid_namespace() {
        let s = snapshot();
        let ns = s.processes[0].namespaces.as_ref().unwrap();
        let kinds: Vec<(&str, Option<&str>, u64)> = ns
            .iter()
            .map(|n| (n.kind.as_str(), n.link.as_deref(), n.inode))
            .collect();
        assert_eq!(
            kinds,
            [
                ("net", None, 4026531993),
                ("pid", None, 4026532500),
                ("pid", Some("pid_for_children"), 4026532600)
            ]
        );
    }

    #[test]
    fn joins_sockets_by_inode() {
        let s = snapshot();
        let fds = s.processes[0].fds.as_ref().unwrap();
        assert_eq!(
            fds.iter().map(|f| f.kind).collect::<Vec<_>>(),
            [FdKind::Device, FdKind::Socket, FdKind::Pipe]
        );
        let sock = fds[1].socket.as_ref().unwrap();
        assert_eq!(sock.protocol, "unix");
        assert_eq!(sock.state.as_deref(), Some("LISTEN"));
        assert_eq!(
            sock.local.as_ref().unwrap().address.as_bytes(),
            b"/run/app.sock"
        );
        assert_eq!(sock.netns, Some(4026531993));
        assert_eq!(fds[1].mode.as_deref(), Some("rw"));
        assert_eq!(fds[2].inode, Some(77));
    }

    #[test]
    fn tty_names() {
        assert_eq!(tty_name(34817).as_deref(), Some("pts/1"));
        assert_eq!(tty_name((4 << 8) | 1).as_deref(), Some("tty1"));
        assert_eq!(tty_name((4 << 8) | 65).as_deref(), Some("ttyS1"));
        assert_eq!(tty_name(0), None);
    }
}
