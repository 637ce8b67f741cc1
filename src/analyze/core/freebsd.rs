//! FreeBSD cores: identity from `kinfo_proc` (`NT_PROCSTAT_PROC`) and `prpsinfo_t`, threads from
//! `prstatus_t` with their names (`NT_THRMISC`) and signal state (`NT_PTLWPINFO`), files, the kernel's own
//! map (`NT_PROCSTAT_VMMAP`), limits, umask and the auxv.

use super::{Out, SignalSets, aux_entries, hex_mask, signal_table, thread_from_regs};
use crate::bytes::ByteString;
use crate::formats::elfcore::{Core, CoreWarning, Flavor, freebsd, nt};
use crate::formats::signals::{self, Numbering};
use crate::model::{CoreSignal, Credentials, Fd, FdKind, Limit, Mapping, Memory, Thread};
use crate::time::Timestamp;

/// `AT_PAGESZ`.
const AT_PAGESZ: u64 = 6;

pub(super) fn process(core: &Core<'_>, out: &mut Out) {
    let fc = freebsd::decode(core, &mut out.warnings);
    let mem = core.memory();
    let kp = fc.procs.first();
    let ps_pid = fc.psinfo.as_ref().and_then(|ps| ps.pid);
    match (kp, ps_pid) {
        (Some(k), Some(pid)) if pid != k.pid => {
            out.p.pid = k.pid;
            out.prov(
                "pid",
                format!("NT_PROCSTAT_PROC ki_pid (NT_PRPSINFO pr_pid says {pid})"),
            );
        }
        (Some(k), None) => {
            out.p.pid = k.pid;
            out.prov(
                "pid",
                "NT_PROCSTAT_PROC ki_pid (this NT_PRPSINFO layout has no pr_pid)",
            );
        }
        (Some(k), Some(_)) => {
            out.p.pid = k.pid;
            out.prov("pid", "NT_PROCSTAT_PROC ki_pid (NT_PRPSINFO pr_pid agrees)");
        }
        (None, Some(pid)) if pid > 0 => {
            out.p.pid = pid;
            out.prov("pid", "NT_PRPSINFO pr_pid (no NT_PROCSTAT_PROC)");
        }
        (None, _) => {
            // FreeBSD 8-11 on i386 wrote a prpsinfo without pr_pid and no NT_PROCSTAT_PROC; some kernels
            // write pr_pid 0. The pid stays unknown rather than made up.
            let at = core
                .note(nt::OWNER_FREEBSD, nt::NT_PRPSINFO)
                .map_or(0, |n| n.desc_offset);
            out.warnings.push(CoreWarning::new(
                "NT_PRPSINFO",
                at,
                "no process id in the core: pr_pid is absent or 0 and there is no NT_PROCSTAT_PROC",
            ));
            out.prov("pid", "unknown: no note of this core records it");
        }
    }
    let p = &mut out.p;
    if let Some(ps) = &fc.psinfo {
        p.comm = Some(ByteString::from(ps.fname.clone()));
        p.psargs = Some(ByteString::from(ps.psargs.clone()));
    }
    let page = fc
        .auxv
        .iter()
        .find(|(t, _)| *t == AT_PAGESZ)
        .map(|(_, v)| *v);
    out.host.page_size = page;
    let page = page.unwrap_or(4096);
    if let Some(k) = kp {
        p.ppid = Some(k.ppid);
        p.pgid = Some(k.pgid);
        p.sid = Some(k.sid);
        p.comm = Some(ByteString::from(k.comm.clone()));
        p.cred = Credentials {
            uid: Some(k.ruid),
            euid: Some(k.uid),
            suid: Some(k.svuid),
            gid: Some(k.rgid),
            egid: k.egid,
            sgid: Some(k.svgid),
            groups: fc.groups.clone(),
            ..Credentials::default()
        };
        p.login = (!k.login.is_empty()).then(|| ByteString::from(k.login.clone()));
        p.nice = Some(i64::from(k.nice));
        p.flags = Some(k.flag);
        p.state = state(k.stat).map(str::to_owned);
        p.start_time = Timestamp::from_secs_f64(k.start_sec as f64);
        p.memory = Some(Memory {
            vsz_kib: Some(k.size / 1024),
            rss_kib: Some(k.rssize.saturating_mul(page) / 1024),
            ..Memory::default()
        });
        // ki_siglist is the process's pending set (with the thread's); ignore and catch are the process's.
        p.sig_pending = Some(hex_mask(k.siglist));
        p.sig_ignored = Some(hex_mask(k.sigignore));
        p.sig_caught = Some(hex_mask(k.sigcatch));
        p.signal_actions = Some(signal_table(
            Numbering::FreeBsd,
            &SignalSets {
                count: 128,
                caught: Some(k.sigcatch),
                ignored: Some(k.sigignore),
                blocked: Some(k.sigmask),
                pending: Some(k.siglist),
            },
        ));
    }
    p.umask = fc.umask.map(u32::from);
    if let Some(osrel) = fc.osrel.or_else(|| fc.threads.first().map(|t| t.osreldate)) {
        out.info.kernel = Some(format!("FreeBSD __FreeBSD_version {osrel}"));
    }
    p.threads = Some(
        fc.threads
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let lwp = fc.lwpinfo.iter().find(|l| l.lwpid == t.lwpid);
                let k = fc.procs.iter().find(|k| k.tid == t.lwpid);
                let name = fc
                    .thread_names
                    .get(i)
                    .cloned()
                    .or_else(|| lwp.map(|l| l.tdname.clone()))
                    .filter(|n| !n.is_empty());
                Thread {
                    name: name.map(ByteString::from),
                    sig_pending: lwp
                        .map(|l| l.siglist)
                        .or(k.map(|k| k.siglist))
                        .map(hex_mask),
                    sig_blocked: lwp
                        .map(|l| l.sigmask)
                        .or(k.map(|k| k.sigmask))
                        .map(hex_mask),
                    ..thread_from_regs(t.lwpid, t.cursig, &t.registers)
                }
            })
            .collect(),
    );
    signal(&fc, out);
    out.info.auxv = aux_entries(Flavor::FreeBsd, &fc.auxv, &mem);
    if !fc.rlimits.is_empty() {
        out.p.limits = Some(
            fc.rlimits
                .iter()
                .map(|(name, soft, hard)| Limit {
                    name: (*name).into(),
                    soft: *soft,
                    hard: *hard,
                    unit: None,
                })
                .collect(),
        );
    }
    files(&fc, out);
    vmmap(&fc, page, out);
}

/// The signal: the first thread's `pr_cursig`, with the code and address of its `NT_PTLWPINFO` siginfo
/// when the kernel wrote one (FreeBSD 12 and later).
fn signal(fc: &freebsd::FreeBsdCore, out: &mut Out) {
    let Some(t) = fc.threads.first().filter(|t| t.cursig != 0) else {
        return;
    };
    let name = signals::name(Numbering::FreeBsd, t.cursig);
    let si = fc
        .lwpinfo
        .iter()
        .find(|l| l.lwpid == t.lwpid)
        .and_then(|l| l.siginfo.as_ref())
        .filter(|si| si.signo == t.cursig);
    let mut s = CoreSignal {
        number: t.cursig,
        name: name.clone(),
        thread: Some(t.lwpid),
        source: "NT_PRSTATUS pr_cursig of the first thread".into(),
        ..CoreSignal::default()
    };
    if let Some(si) = si {
        let fault = matches!(t.cursig, 4 | 5 | 8 | 10 | 11) && si.code > 0 && si.code < 0x10000;
        s.code = Some(si.code);
        s.code_name = name
            .as_deref()
            .and_then(|n| fault.then(|| signals::fault_code(n, si.code)).flatten())
            .or_else(|| signals::sender_code(Numbering::FreeBsd, si.code))
            .map(str::to_owned);
        s.errno = (si.errno != 0).then_some(si.errno);
        s.fault_address = fault.then_some(si.addr);
        if !fault && si.pid != 0 {
            s.sender_pid = Some(si.pid);
            s.sender_uid = Some(si.uid);
        }
        s.source = "NT_PRSTATUS pr_cursig and NT_PTLWPINFO pl_siginfo of the first thread".into();
    }
    out.info.signal = Some(s);
}

/// Files: the special descriptors name cwd, root and the executable.
fn files(fc: &freebsd::FreeBsdCore, out: &mut Out) {
    let mut fds = Vec::new();
    for f in &fc.files {
        let path = (!f.path.is_empty()).then(|| ByteString::from(f.path.clone()));
        match f.fd {
            -1 => out.p.cwd = path,
            -2 => out.p.root = path,
            -5 => {
                out.p.exe = path;
                out.prov("exe", "NT_PROCSTAT_FILES text vnode (KF_FD_TYPE_TEXT)");
            }
            fd if fd >= 0 => fds.push(fd_of(f, path)),
            _ => {}
        }
    }
    if !fc.files.is_empty() {
        out.p.fds = Some(fds);
    }
}

/// The kernel's own map is richer than the segments (paths, residency, and the read-only mappings FreeBSD
/// does not dump): use it, and keep what the segments say about the dumped bytes.
fn vmmap(fc: &freebsd::FreeBsdCore, page: u64, out: &mut Out) {
    if fc.vmmap.is_empty() {
        out.info.mappings_omitted = Some(
            "FreeBSD dumps only writable mappings and this core has no NT_PROCSTAT_VMMAP to list the others"
                .into(),
        );
        return;
    }
    let by_start: std::collections::BTreeMap<u64, (Option<u64>, Option<String>)> = out
        .maps
        .iter()
        .map(|m| (m.start, (m.dumped_bytes, m.dump_note.clone())))
        .collect();
    out.maps = fc
        .vmmap
        .iter()
        .map(|v| {
            let (dumped, note) = by_start.get(&v.start).cloned().unwrap_or((
                Some(0),
                Some("not dumped: FreeBSD does not dump this kind of mapping".into()),
            ));
            Mapping {
                start: v.start,
                end: v.end,
                perms: format!(
                    "{}{}{}",
                    if v.protection & 1 != 0 { 'r' } else { '-' },
                    if v.protection & 2 != 0 { 'w' } else { '-' },
                    if v.protection & 4 != 0 { 'x' } else { '-' }
                ),
                offset: v.offset,
                inode: (v.fileid != 0).then_some(v.fileid),
                path: (!v.path.is_empty()).then(|| ByteString::from(v.path.clone())),
                rss_kib: Some((v.resident.max(0) as u64).saturating_mul(page) / 1024),
                dumped_bytes: dumped,
                dump_note: note,
                ..Mapping::default()
            }
        })
        .collect();
    out.prov(
        "maps",
        "NT_PROCSTAT_VMMAP, joined with PT_LOAD by start address",
    );
}

fn state(stat: u8) -> Option<&'static str> {
    Some(match stat {
        1 => "I",
        2 => "R",
        3 => "S",
        4 => "T",
        5 => "Z",
        6 => "W",
        7 => "L",
        _ => return None,
    })
}

fn fd_of(f: &freebsd::KinfoFile, path: Option<ByteString>) -> Fd {
    let kind = match (f.kf_type, f.vtype) {
        (1, Some(2)) => FdKind::Dir,
        (1, Some(3 | 4)) => FdKind::Device,
        (1, Some(7)) => FdKind::Pipe,
        (1, _) => FdKind::File,
        (2, _) => FdKind::Socket,
        (3 | 4, _) => FdKind::Pipe,
        (10 | 12, _) => FdKind::Device,
        _ => FdKind::Other,
    };
    let mode = match (f.flags & 1 != 0, f.flags & 2 != 0) {
        (true, true) => Some("rw".into()),
        (true, false) => Some("r".into()),
        (false, true) => Some("w".into()),
        _ => None,
    };
    let socket = f.socket.map(|(domain, ty, proto)| {
        let protocol = match (domain, ty, proto) {
            (2, _, 6) => "tcp",
            (28, _, 6) => "tcp6",
            (2, _, 17) => "udp",
            (28, _, 17) => "udp6",
            (1, _, _) => "unix",
            _ => "socket",
        };
        let (local, remote) = match &f.endpoints {
            Some((l, r)) => (Some(endpoint(l)), Some(endpoint(r))),
            None => (None, None),
        };
        crate::model::Socket {
            protocol: protocol.into(),
            local,
            remote,
            state: None,
            socket_type: None,
            uid: None,
            netns: None,
        }
    });
    Fd {
        fd: f.fd,
        kind,
        target: path,
        mode,
        flags: None,
        pos: Some(f.offset.max(0) as u64),
        inode: f.fileid,
        socket,
    }
}

fn endpoint(a: &freebsd::SockAddr) -> crate::model::SocketEndpoint {
    crate::model::SocketEndpoint {
        address: ByteString::from(a.address.as_bytes()),
        port: a.port,
    }
}
