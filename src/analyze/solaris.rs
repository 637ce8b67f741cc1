//! Solaris and illumos: decoded /proc structures → model. Used for /proc trees (copied or captured) and,
//! through the same converters, for the new-style notes of illumos cores ([`super::core`]).
//!
//! Member paths: `proc/<pid>/{psinfo,status,usage,cred,sigact,auxv,map,xmap,lpsinfo,lstatus,lusage}`,
//! `proc/<pid>/lwp/<lwpid>/{lwpsinfo,lwpstatus,lwpusage,lwpname}`, and the `proc/<pid>/path/*` links
//! (`a.out`, `cwd`, `root`, one per fd, one per mapped object). The layout of each file is the data model
//! of the program that read it: it is taken from the file's size (psinfo 336/416; status 1136/1232/1680/
//! 1776 also names the ISA), and the byte order from `pr_pid` matching the directory name, so a tree
//! assembled from several sources may mix layouts.

use std::collections::BTreeMap;

use super::Detail;
use crate::abi::{DataModel, Endianness};
use crate::bytes::ByteString;
use crate::formats::signals::{self, Numbering};
use crate::formats::solaris::{
    self as sol, FdInfo, Layout, Lwpsinfo, Lwpstatus, Prcred, Prfdinfo, Prusage, Prxmap, Psinfo,
    Pstatus, SigAction, Target, Timestruc,
};
use crate::model::{
    Credentials, Fd, FdKind, Mapping, Memory, Process, SignalAction, Snapshot, Socket, Source,
    Syscall, Thread, Usage, Warning,
};
use crate::snapshot::RawSnapshot;
use crate::time::Timestamp;

/// True when a raw snapshot holds Solaris /proc files rather than Linux ones.
pub fn looks_like_solaris(raw: &RawSnapshot) -> bool {
    if let Some(m) = &raw.manifest {
        // The plan names the layout; older archives only have the host's sysname.
        if let Some(plan) = &m.capture.plan {
            return plan == "solaris";
        }
        if let Some(sys) = &m.host.sysname {
            return sys == "SunOS";
        }
    }
    raw.children("proc")
        .into_iter()
        .filter(|n| n.parse::<i32>().is_ok())
        .take(8)
        .any(|pid| {
            raw.member(&format!("proc/{pid}/psinfo")).is_some()
                && raw.member(&format!("proc/{pid}/stat")).is_none()
        })
}

fn secs(t: &Timestruc) -> f64 {
    t.sec as f64 + t.nsec as f64 / 1e9
}

fn timestamp(t: &Timestruc) -> Option<Timestamp> {
    (t.sec > 0)
        .then(|| Timestamp::from_secs_f64(secs(t)))
        .flatten()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `pr_flags` names (`sys/procfs.h`), as `pflags` prints them.
pub(crate) fn flag_names(flags: i32) -> Vec<String> {
    const NAMES: [(i32, &str); 22] = [
        (0x1, "STOPPED"),
        (0x2, "ISTOP"),
        (0x4, "DSTOP"),
        (0x8, "STEP"),
        (0x10, "ASLEEP"),
        (0x20, "PCINVAL"),
        (0x40, "ASLWP"),
        (0x80, "AGENT"),
        (0x100, "DETACH"),
        (0x200, "DAEMON"),
        (0x400, "IDLE"),
        (0x1000, "ISSYS"),
        (0x2000, "VFORKP"),
        (0x4000, "ORPHAN"),
        (0x8000, "NOSIGCHLD"),
        (0x10000, "WAITPID"),
        (0x100000, "FORK"),
        (0x200000, "RLC"),
        (0x400000, "KLC"),
        (0x800000, "ASYNC"),
        (0x1000000, "MSACCT"),
        (0x2000000, "BPTADJ"),
    ];
    let mut out: Vec<String> = NAMES
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| (*n).into())
        .collect();
    if flags & 0x4000000 != 0 {
        out.push("PTRACE".into());
    }
    if flags & 0x8000000 != 0 {
        out.push("MSFORK".into());
    }
    out
}

fn stop_reason(why: i16, what: i16) -> Option<String> {
    let sig =
        |n: i16| signals::name(Numbering::Solaris, i32::from(n)).unwrap_or_else(|| n.to_string());
    Some(match why {
        0 => return None,
        1 => "PR_REQUESTED".into(),
        2 => format!("PR_SIGNALLED {}", sig(what)),
        3 => format!("PR_SYSENTRY syscall {what}"),
        4 => format!("PR_SYSEXIT syscall {what}"),
        5 => format!("PR_JOBCONTROL {}", sig(what)),
        6 => format!("PR_FAULTED fault {what}"),
        7 => "PR_SUSPENDED".into(),
        8 => "PR_CHECKPOINT".into(),
        n => format!("why {n} what {what}"),
    })
}

/// The nice value as nice(1) sets it: `pr_nice` less `NZERO` (20; ps -l prints `pr_nice` itself), for
/// an LWP of a class that has one (ps -l prints its class instead when `pr_oldpri` is 0: RT, SYS, ...).
fn nice(l: &Lwpsinfo) -> Option<i64> {
    (l.oldpri != 0).then(|| i64::from(l.nice) - 20)
}

/// Identity, names, credentials, sizes and state from `psinfo_t`.
pub(crate) fn apply_psinfo(p: &mut Process, ps: &Psinfo) {
    p.pid = ps.pid;
    p.ppid = Some(ps.ppid);
    p.pgid = Some(ps.pgid);
    p.sid = Some(ps.sid);
    p.comm = Some(ByteString::from(ps.fname.clone()));
    p.psargs = Some(ByteString::from(ps.psargs.clone()));
    p.cred.uid = Some(ps.uid);
    p.cred.euid = Some(ps.euid);
    p.cred.gid = Some(ps.gid);
    p.cred.egid = Some(ps.egid);
    p.nlwp = u32::try_from(ps.nlwp).ok();
    if !ps.has_no_tty() {
        p.tty = Some(ps.ttydev);
    }
    p.start_time = timestamp(&ps.start);
    p.pct_cpu = Some(sol::pct_to_percent(ps.pctcpu));
    p.pct_mem = Some(sol::pct_to_percent(ps.pctmem));
    p.zone_id = Some(ps.zoneid);
    p.project_id = Some(ps.projid);
    p.task_id = Some(ps.taskid);
    p.contract = Some(ps.contract);
    p.data_model = ps.data_model();
    p.state = (ps.lwp.sname.is_ascii_graphic()).then(|| char::from(ps.lwp.sname).to_string());
    // prgetpsinfo() leaves a zombie's pr_lwp zeroed but for pr_sname 'Z' (ps prints `-` for its NI),
    // and gives a zombie or a system process (no user address space) pr_size and pr_rssize 0 (ps: SZ 0,
    // not a size): unknown, not 0.
    let zombie = ps.lwp.sname == b'Z';
    let system = ps.flag & 0x1 != 0; // SSYS
    if !zombie {
        p.nice = nice(&ps.lwp);
        p.priority = Some(i64::from(ps.lwp.pri));
    }
    p.flags = Some(ps.flag as u32 as u64);
    p.kernel_thread = Some(system);
    if !zombie && !system {
        let m = p.memory.get_or_insert_with(Memory::default);
        m.vsz_kib = Some(ps.size_kb);
        m.rss_kib = Some(ps.rssize_kb);
    }
}

/// Process-wide status from `pstatus_t`.
pub(crate) fn apply_pstatus(p: &mut Process, st: &Pstatus) {
    p.ppid.get_or_insert(st.ppid);
    p.pgid.get_or_insert(st.pgid);
    p.sid.get_or_insert(st.sid);
    p.nlwp.get_or_insert(st.nlwp.max(0) as u32);
    p.user_time = Some(secs(&st.utime));
    p.system_time = Some(secs(&st.stime));
    p.flag_names = Some(flag_names(st.flags));
    // PR_PTRACE (sys/procfs.h): "ptrace-compatibility mode is in effect": traced with ptrace(2).
    p.traced = Some(st.flags & 0x4000000 != 0);
    p.zone_id.get_or_insert(st.zoneid);
    p.project_id.get_or_insert(st.projid);
    p.task_id.get_or_insert(st.taskid);
    if p.data_model.is_none() {
        p.data_model = st.data_model();
    }
}

/// Credentials from `prcred_t`.
pub(crate) fn cred(c: &Prcred) -> Credentials {
    Credentials {
        uid: Some(c.ruid),
        euid: Some(c.euid),
        suid: Some(c.suid),
        gid: Some(c.rgid),
        egid: Some(c.egid),
        sgid: Some(c.sgid),
        groups: Some(c.groups.clone()),
        ..Credentials::default()
    }
}

/// Microstate accounting from `prusage_t`.
pub(crate) fn usage(u: &Prusage) -> Usage {
    Usage {
        real: secs(&u.rtime),
        user: secs(&u.utime),
        system: secs(&u.stime),
        trap: secs(&u.ttime),
        text_fault: secs(&u.tftime),
        data_fault: secs(&u.dftime),
        kernel_fault: secs(&u.kftime),
        lock: secs(&u.ltime),
        sleep: secs(&u.slptime),
        wait_cpu: secs(&u.wtime),
        stopped: secs(&u.stoptime),
        minor_faults: u.minf,
        major_faults: u.majf,
        in_blocks: u.inblk,
        out_blocks: u.oublk,
        signals: u.sigs,
        voluntary_switches: u.vctx,
        involuntary_switches: u.ictx,
        syscalls: u.sysc,
        io_chars: u.ioch,
    }
}

fn sigset_names(members: Vec<u32>) -> Vec<String> {
    members
        .into_iter()
        .map(|n| signals::name(Numbering::Solaris, n as i32).unwrap_or_else(|| n.to_string()))
        .collect()
}

/// A `sigset_t` as the hex mask docs/schema.md promises (Linux's `SigBlk` form): bit n-1 set for signal
/// n, all 128 bits (32 hex digits; word i of `__sigbits` holds signals 32 i + 1 ..= 32 i + 32).
fn hex_sigset(s: &sol::SigSet) -> String {
    let v =
        s.0.iter()
            .enumerate()
            .fold(0u128, |acc, (i, w)| acc | (u128::from(*w) << (32 * i)));
    format!("{v:032x}")
}

/// One thread from whichever of `lwpsinfo_t`, `lwpstatus_t` and `prusage_t` are present.
pub(crate) fn thread(
    info: Option<&Lwpsinfo>,
    status: Option<&Lwpstatus>,
    u: Option<&Prusage>,
) -> Option<Thread> {
    let tid = info.map(|i| i.lwpid).or(status.map(|s| s.lwpid))?;
    let mut t = Thread {
        tid,
        ..Thread::default()
    };
    if let Some(i) = info {
        t.name = (!i.name.is_empty()).then(|| ByteString::from(i.name.clone()));
        t.state = (i.sname.is_ascii_graphic()).then(|| char::from(i.sname).to_string());
        // A zombie LWP's lwpsinfo (in lpsinfo) has no processor, priority or nice.
        if i.sname != b'Z' {
            t.processor = u32::try_from(i.onpro).ok();
            t.priority = Some(i64::from(i.pri));
            t.nice = nice(i);
        }
        t.start_time = timestamp(&i.start);
        t.class = (!i.clname.is_empty()).then(|| text(&i.clname));
        t.pct_cpu = Some(sol::pct_to_percent(i.pctcpu));
        t.wchan = (i.wchan != 0).then(|| format!("{:#x}", i.wchan));
    }
    if let Some(s) = status {
        t.user_time = Some(secs(&s.utime));
        t.system_time = Some(secs(&s.stime));
        t.flag_names = Some(flag_names(s.flags));
        t.stop_reason = stop_reason(s.why, s.what);
        t.signal = Some(i32::from(s.cursig));
        t.sig_pending = Some(hex_sigset(&s.lwppend));
        t.sig_blocked = Some(hex_sigset(&s.lwphold));
        t.sig_pending_names = Some(sigset_names(s.lwppend.members()));
        t.sig_blocked_names = Some(sigset_names(s.lwphold.members()));
        if s.syscall > 0 {
            let n = usize::try_from(s.nsysarg).unwrap_or(0).min(s.sysarg.len());
            t.syscall = Some(Syscall {
                number: i32::from(s.syscall),
                name: None,
                args: s.sysarg[..n].to_vec(),
            });
        }
        t.pc = s.regs.pc();
        t.sp = s.regs.sp();
        t.registers = Some(
            s.regs
                .named()
                .map(|(n, v)| crate::model::Register {
                    name: n.into(),
                    value: v,
                })
                .collect(),
        );
        if t.class.is_none() && !s.clname.is_empty() {
            t.class = Some(text(&s.clname));
        }
    }
    if let Some(u) = u {
        t.usage = Some(usage(u));
        t.voluntary_ctxt_switches = Some(u.vctx);
        t.nonvoluntary_ctxt_switches = Some(u.ictx);
    }
    Some(t)
}

/// `psig`-style signal actions from the `sigact` array (entry i is signal i + 1).
pub(crate) fn signal_actions(acts: &[SigAction]) -> Vec<SignalAction> {
    const FLAGS: [(i32, &str); 7] = [
        (0x1, "SA_ONSTACK"),
        (0x2, "SA_RESETHAND"),
        (0x4, "SA_RESTART"),
        (0x8, "SA_SIGINFO"),
        (0x10, "SA_NODEFER"),
        (0x10000, "SA_NOCLDWAIT"),
        (0x20000, "SA_NOCLDSTOP"),
    ];
    acts.iter()
        .enumerate()
        .map(|(i, a)| {
            let signal = i as i32 + 1;
            let (action, handler) = match a.handler {
                0 => ("default", None),
                1 => ("ignored", None),
                h => ("caught", Some(h)),
            };
            SignalAction {
                signal,
                name: signals::name(Numbering::Solaris, signal),
                action: action.into(),
                handler,
                mask: sigset_names(a.mask.members()),
                flags: FLAGS
                    .iter()
                    .filter(|(b, _)| a.flags & b != 0)
                    .map(|(_, n)| (*n).into())
                    .collect(),
                ..SignalAction::default()
            }
        })
        .collect()
}

/// The kind of file an `st_mode` (`pr_mode`) names by its `S_IFMT` bits (`sys/stat.h`; doors
/// `S_IFDOOR` and event ports `S_IFPORT` are `other`).
fn kind_of_mode(mode: u32) -> FdKind {
    match mode & 0o170000 {
        0o100000 => FdKind::File,
        0o040000 => FdKind::Dir,
        0o020000 | 0o060000 => FdKind::Device,
        0o010000 => FdKind::Pipe,
        0o140000 => FdKind::Socket,
        _ => FdKind::Other,
    }
}

/// Mode letters and flags from `pr_fileflags`, the `F_GETXFL` flags: `O_ACCMODE` is `O_RDONLY` 0,
/// `O_WRONLY` 1, `O_RDWR` 2 (`sys/fcntl.h`); -1 when the fcntl failed (libproc's Pgcore writes that;
/// pfiles then shows none).
fn open_mode(fileflags: i32) -> (Option<String>, Option<u64>) {
    if fileflags == -1 {
        return (None, None);
    }
    let mode = match fileflags & 3 {
        0 => Some("r".to_string()),
        1 => Some("w".into()),
        2 => Some("rw".into()),
        _ => None,
    };
    (mode, Some(fileflags as u32 as u64))
}

/// An open file from `prfdinfo_core_t` (core `NT_FDINFO`).
pub(crate) fn fd(f: &FdInfo) -> Fd {
    let (mode, flags) = open_mode(f.fileflags);
    Fd {
        fd: f.fd,
        kind: kind_of_mode(f.mode),
        target: (!f.path.is_empty()).then(|| ByteString::from(f.path.clone())),
        mode,
        flags,
        pos: u64::try_from(f.offset).ok(),
        inode: Some(f.ino),
        socket: None,
    }
}

/// `SOCK_DGRAM`, `SOCK_STREAM`, `SOCK_RAW`, `SOCK_SEQPACKET` of Solaris and illumos (`sys/socket.h`:
/// 1, 2, 4, 6 — not the BSD and Linux numbers).
fn socket_type_name(t: i32) -> Option<&'static str> {
    Some(match t {
        1 => "dgram",
        2 => "stream",
        4 => "raw",
        6 => "seqpacket",
        _ => return None,
    })
}

/// The socket of an fdinfo record, from its `PR_SOCKETNAME`, `PR_PEERSOCKNAME`, `PR_SOCKOPT_TYPE` and
/// `PR_SOCKOPTS_BOOL_OPTS` items, named as netstat and sockstat name them (`tcp`, `udp6`, `unix`, ...);
/// `None` when the kernel gave no address (its family is then unknown).
fn fdinfo_socket(f: &Prfdinfo) -> Option<Socket> {
    use crate::formats::sockaddr::SockAddr;
    let local = f.sockname.as_ref()?;
    let stype = f.sock_type.and_then(socket_type_name);
    let (protocol, socket_type) = match (local, stype) {
        (SockAddr::Inet { .. }, Some("stream")) => ("tcp".to_string(), None),
        (SockAddr::Inet { .. }, Some("dgram")) => ("udp".into(), None),
        (SockAddr::Inet6 { .. }, Some("stream")) => ("tcp6".into(), None),
        (SockAddr::Inet6 { .. }, Some("dgram")) => ("udp6".into(), None),
        (SockAddr::Inet { .. }, _) => ("inet".into(), stype),
        (SockAddr::Inet6 { .. }, _) => ("inet6".into(), stype),
        (SockAddr::Local { .. }, _) => ("unix".into(), stype),
        (SockAddr::Other { family }, _) => (format!("af{family}"), stype),
        (SockAddr::Unspec, _) => return None,
    };
    let listening = f
        .sockopts
        .is_some_and(|o| o & sol::fdinfo::PR_SO_ACCEPTCONN != 0);
    Some(Socket {
        protocol,
        local: super::sockaddr::endpoint(local),
        remote: f
            .peersockname
            .as_ref()
            .filter(|a| !super::sockaddr::unspecified(a))
            .and_then(super::sockaddr::endpoint),
        state: listening.then(|| "LISTEN".to_string()),
        socket_type: socket_type.map(str::to_owned),
        uid: None,
        netns: None,
    })
}

/// An open file from `/proc/<pid>/fdinfo/<fd>` (`prfdinfo_t`), its path from the `path/<fd>` link
/// when the capture has one, else from the record's `PR_PATHNAME` item.
fn fdinfo_fd(fd: i32, f: &Prfdinfo, link: Option<ByteString>) -> Fd {
    let (mode, flags) = open_mode(f.fileflags);
    Fd {
        fd,
        kind: kind_of_mode(f.mode),
        target: link.or_else(|| {
            f.path
                .as_ref()
                .filter(|p| !p.is_empty())
                .map(|p| ByteString::from(p.clone()))
        }),
        mode,
        flags,
        pos: u64::try_from(f.offset).ok(),
        inode: Some(f.ino),
        socket: fdinfo_socket(f),
    }
}

/// `pmap -x` rows from `prxmap_t`; `path_of` names a mapped object from its `pr_mapname`.
pub(crate) fn xmaps(
    maps: &[Prxmap],
    path_of: impl Fn(&[u8]) -> Option<ByteString>,
) -> Vec<Mapping> {
    maps.iter()
        .map(|m| {
            // Resident pages are counted in pr_pagesize; without one they cannot be converted.
            let page = u64::try_from(m.pagesize).ok().filter(|p| *p > 0);
            let kib = |pages: u64| page.map(|page| pages.saturating_mul(page) / 1024);
            Mapping {
                start: m.vaddr,
                end: m.vaddr.saturating_add(m.size),
                perms: mflags(m.mflags),
                offset: u64::try_from(m.offset).unwrap_or(0),
                inode: (m.ino != 0).then_some(m.ino),
                path: path_of(&m.mapname).or_else(|| special_map_name(m.mflags, &m.mapname)),
                rss_kib: kib(m.rss),
                anon_kib: kib(m.anon),
                locked_kib: kib(m.locked),
                page_size: page,
                ..Mapping::default()
            }
        })
        .collect()
}

/// `rwxs` from `pr_mflags` (`MA_READ` 4, `MA_WRITE` 2, `MA_EXEC` 1, `MA_SHARED` 8).
pub(crate) fn mflags(f: i32) -> String {
    format!(
        "{}{}{}{}",
        if f & 0x4 != 0 { 'r' } else { '-' },
        if f & 0x2 != 0 { 'w' } else { '-' },
        if f & 0x1 != 0 { 'x' } else { '-' },
        if f & 0x8 != 0 { 's' } else { 'p' }
    )
}

/// `[ heap ]`, `[ stack ]`, `[ anon ]` as pmap names them.
fn special_map_name(flags: i32, mapname: &[u8]) -> Option<ByteString> {
    if flags & 0x10 != 0 {
        Some("[heap]".into())
    } else if flags & 0x20 != 0 {
        Some("[stack]".into())
    } else if mapname.is_empty() {
        None
    } else {
        Some(ByteString::from(mapname.to_vec()))
    }
}

/// Builds the model of a Solaris /proc tree or snapshot.
pub fn build(raw: &RawSnapshot, detail: Detail) -> Snapshot {
    let mut warnings = raw.warnings.clone();
    let host = super::host::from_manifest(raw, &mut warnings);
    let users = raw
        .file("etc/passwd")
        .map(crate::formats::linux::passwd::names)
        .unwrap_or_default();
    let mut processes = Vec::new();
    for name in raw.children("proc") {
        let Ok(pid) = name.parse::<i32>() else {
            continue;
        };
        if let Some(p) = process(raw, pid, detail, &users, &mut warnings) {
            processes.push(p);
        }
    }
    // Zone names: id 0 is the global zone; a capture made inside a non-global zone sees only that
    // zone's processes, and the manifest names it.
    let zonename = raw.manifest.as_ref().and_then(|m| m.host.zonename.clone());
    for p in &mut processes {
        match (&zonename, p.zone_id) {
            (_, Some(0)) => p.zone = Some("global".into()),
            (Some(z), Some(_)) if z != "global" => p.zone = Some(z.clone()),
            _ => {}
        }
    }
    let mut snapshot = Snapshot {
        system: Default::default(),
        events: None,
        source: Source {
            os: Some("solaris".into()),
            ..raw.source.clone()
        },
        host,
        capture: super::linux::capture_info(raw),
        core: None,
        processes,
        warnings,
    };
    snapshot.sort();
    snapshot
}

fn warn(warnings: &mut Vec<Warning>, member: &str, e: &sol::DecodeError) {
    warnings.push(Warning::at(member, e.offset as u64, e.to_string()));
}

/// The layout of a psinfo file: model from its size, byte order from `pr_pid`.
fn psinfo_layout(bytes: &[u8], pid: i32) -> Option<Layout> {
    sol::detect_psinfo(bytes, pid)
}

/// The layout of status-like files: ISA and model from the size, byte order from the process's psinfo.
fn status_target(len: usize, endian: Endianness) -> Option<Target> {
    sol::target_from_pstatus_size(len).map(|(isa, model)| Target::new(isa, model, endian))
}

fn process(
    raw: &RawSnapshot,
    pid: i32,
    detail: Detail,
    users: &BTreeMap<u32, String>,
    warnings: &mut Vec<Warning>,
) -> Option<Process> {
    let dir = format!("proc/{pid}");
    let member = |name: &str| format!("{dir}/{name}");
    let psinfo_bytes = raw.file(&member("psinfo"))?;
    let Some(layout) = psinfo_layout(psinfo_bytes, pid) else {
        warnings.push(Warning::at(
            member("psinfo"),
            0,
            format!(
                "{} bytes whose pr_pid is not {pid} in either byte order: not a psinfo_t",
                psinfo_bytes.len()
            ),
        ));
        return None;
    };
    let mut p = Process {
        pid,
        ..Process::default()
    };
    match sol::decode_psinfo(psinfo_bytes, layout) {
        Ok(ps) => apply_psinfo(&mut p, &ps),
        Err(e) => {
            warn(warnings, &member("psinfo"), &e);
            return None;
        }
    }
    if let Some(b) = raw.file(&member("status")) {
        match status_target(b.len(), layout.endian).map(|t| sol::decode_pstatus(b, t)) {
            Some(Ok(st)) => apply_pstatus(&mut p, &st),
            Some(Err(e)) => warn(warnings, &member("status"), &e),
            None => warnings.push(Warning::at(
                member("status"),
                0,
                format!("unknown pstatus_t size {}", b.len()),
            )),
        }
    }
    if let Some(b) = raw.file(&member("cred")) {
        match sol::decode_prcred(b, layout.endian) {
            Ok(c) => {
                if let Some(w) = &c.warning {
                    warn(warnings, &member("cred"), w);
                }
                p.cred = cred(&c.value);
            }
            Err(e) => warn(warnings, &member("cred"), &e),
        }
    }
    p.cred.user = p.cred.uid.and_then(|u| users.get(&u).cloned());
    p.cred.euser = p.cred.euid.and_then(|u| users.get(&u).cloned());
    if let Some(b) = raw.file(&member("usage")) {
        let ul = Layout::new(
            if b.len() >= 504 {
                DataModel::Lp64
            } else {
                DataModel::Ilp32
            },
            layout.endian,
        );
        match sol::decode_prusage(b, ul) {
            Ok(u) => p.usage = Some(usage(&u)),
            Err(e) => warn(warnings, &member("usage"), &e),
        }
    }
    let link = |name: &str| {
        raw.link(&format!("{dir}/path/{name}"))
            .map(|t| ByteString::from(t.to_vec()))
    };
    p.exe = link("a.out");
    p.cwd = link("cwd");
    p.root = link("root");
    if detail.threads {
        p.threads = Some(threads(raw, &dir, layout, warnings));
    }
    if detail.maps {
        p.maps = maps(raw, &dir, layout, warnings);
    }
    if detail.fds {
        p.fds = Some(fds(raw, &dir, layout.endian, warnings));
    }
    if detail.limits
        && let Some(b) = raw.file(&member("sigact"))
    {
        let l = sol::decode_sigact(b, layout);
        if let Some(w) = &l.warning {
            warn(warnings, &member("sigact"), w);
        }
        p.signal_actions = Some(signal_actions(&l.value));
    }
    Some(p)
}

/// The open files: one per number among the `path/<fd>` links and the `fdinfo/<fd>` records, each from
/// its `prfdinfo_t` when there is one (kind, mode, flags, offset, inode, socket), else from its link.
fn fds(raw: &RawSnapshot, dir: &str, endian: Endianness, warnings: &mut Vec<Warning>) -> Vec<Fd> {
    let numbers: std::collections::BTreeSet<i32> = raw
        .children(&format!("{dir}/path"))
        .into_iter()
        .chain(raw.children(&format!("{dir}/fdinfo")))
        .filter_map(|n| n.parse::<i32>().ok())
        .collect();
    numbers
        .into_iter()
        .map(|fd| {
            let link = raw
                .link(&format!("{dir}/path/{fd}"))
                .map(|t| ByteString::from(t.to_vec()));
            let member = format!("{dir}/fdinfo/{fd}");
            let info = raw
                .file(&member)
                .and_then(|b| match sol::decode_prfdinfo(b, endian) {
                    Ok(l) => {
                        if let Some(w) = &l.warning {
                            warn(warnings, &member, w);
                        }
                        Some(l.value)
                    }
                    Err(e) => {
                        warn(warnings, &member, &e);
                        None
                    }
                });
            match info {
                Some(i) => fdinfo_fd(fd, &i, link),
                None => classify_fd(Fd {
                    fd,
                    kind: FdKind::Other,
                    target: link,
                    mode: None,
                    flags: None,
                    pos: None,
                    inode: None,
                    socket: None,
                }),
            }
        })
        .collect()
}

fn classify_fd(mut f: Fd) -> Fd {
    let t = f.target.as_ref().map(|t| t.as_bytes()).unwrap_or_default();
    f.kind = if t.starts_with(b"/dev/") {
        FdKind::Device
    } else if t.starts_with(b"/") {
        FdKind::File
    } else {
        FdKind::Other
    };
    f
}

fn threads(
    raw: &RawSnapshot,
    dir: &str,
    layout: Layout,
    warnings: &mut Vec<Warning>,
) -> Vec<Thread> {
    let endian = layout.endian;
    let mut out = Vec::new();
    for lwp in raw.children(&format!("{dir}/lwp")) {
        let base = format!("{dir}/lwp/{lwp}");
        let info = raw.file(&format!("{base}/lwpsinfo")).and_then(|b| {
            let model = if b.len() >= 128 {
                DataModel::Lp64
            } else {
                DataModel::Ilp32
            };
            sol::decode_lwpsinfo(b, Layout::new(model, endian))
                .map_err(|e| warn(warnings, &format!("{base}/lwpsinfo"), &e))
                .ok()
        });
        let status = raw.file(&format!("{base}/lwpstatus")).and_then(|b| {
            let (isa, model) = sol::target_from_lwpstatus_size(b.len())?;
            sol::decode_lwpstatus(b, Target::new(isa, model, endian))
                .map_err(|e| warn(warnings, &format!("{base}/lwpstatus"), &e))
                .ok()
        });
        let u = raw.file(&format!("{base}/lwpusage")).and_then(|b| {
            let model = if b.len() >= 504 {
                DataModel::Lp64
            } else {
                DataModel::Ilp32
            };
            sol::decode_prusage(b, Layout::new(model, endian))
                .map_err(|e| warn(warnings, &format!("{base}/lwpusage"), &e))
                .ok()
        });
        if let Some(t) = thread(info.as_ref(), status.as_ref(), u.as_ref()) {
            out.push(t);
        }
    }
    if out.is_empty() {
        // No lwp/ directories: the lpsinfo / lstatus arrays hold the same records.
        let infos = raw
            .file(&format!("{dir}/lpsinfo"))
            // The array was read by the same program as psinfo: same layout.
            .and_then(|b| sol::decode_lpsinfo(b, layout).ok())
            .map(|l| l.value)
            .unwrap_or_default();
        for i in &infos {
            if let Some(t) = thread(Some(i), None, None) {
                out.push(t);
            }
        }
    }
    out.sort_by_key(|t| t.tid);
    out
}

fn maps(
    raw: &RawSnapshot,
    dir: &str,
    layout: Layout,
    warnings: &mut Vec<Warning>,
) -> Option<Vec<Mapping>> {
    let path_of = |name: &[u8]| {
        let name = std::str::from_utf8(name).ok()?;
        raw.link(&format!("{dir}/path/{name}"))
            .map(|t| ByteString::from(t.to_vec()))
    };
    if let Some(b) = raw.file(&format!("{dir}/xmap")) {
        let l = sol::decode_xmap(b, layout);
        if let Some(w) = &l.warning {
            warn(warnings, &format!("{dir}/xmap"), w);
        }
        return Some(xmaps(&l.value, path_of));
    }
    let b = raw.file(&format!("{dir}/map"))?;
    let l = sol::decode_map(b, layout);
    if let Some(w) = &l.warning {
        warn(warnings, &format!("{dir}/map"), w);
    }
    Some(
        l.value
            .iter()
            .map(|m| Mapping {
                start: m.vaddr,
                end: m.vaddr.saturating_add(m.size),
                perms: mflags(m.mflags),
                offset: u64::try_from(m.offset).unwrap_or(0),
                path: path_of(&m.mapname).or_else(|| special_map_name(m.mflags, &m.mapname)),
                page_size: u64::try_from(m.pagesize).ok().filter(|p| *p > 0),
                ..Mapping::default()
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gcore'd fd whose fcntl failed records pr_fileflags -1 and pr_offset -1: no mode, flags or
    /// position (not O_RDWR|..., not 2^64 - 1).
    #[test]
    fn failed_fcntl_and_lseek_are_unknown() {
        let f = FdInfo {
            fd: 3,
            mode: 0o100644,
            fileflags: -1,
            offset: -1,
            ino: 12,
            path: b"/etc/passwd".to_vec(),
            ..FdInfo::default()
        };
        let d = fd(&f);
        assert_eq!((d.mode, d.flags, d.pos), (None, None, None));
        assert_eq!(d.kind, FdKind::File);
        let f = FdInfo {
            fileflags: 0x82,
            offset: 100,
            ..f
        };
        let d = fd(&f);
        assert_eq!(
            (d.mode.as_deref(), d.flags, d.pos),
            (Some("rw"), Some(0x82), Some(100))
        );
    }
}
