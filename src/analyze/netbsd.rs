//! NetBSD: sysctl(3) answers → model.
//!
//! Members (see the README, "NetBSD"): `sysctl/kern.proc2` (`KERN_PROC2`, `KERN_PROC_ALL`),
//! `sysctl/kern.lwp/<pid>` (`KERN_LWP`), `sysctl/kern.file2` (`KERN_FILE2`, `KERN_FILE_BYPID`, all
//! processes), `sysctl/kern.proc_args/<pid>/{argv,env,pathname}` (`KERN_PROC_ARGS`), the six
//! `sysctl/net.*.pcblist` answers, and optionally `sysctl/hw.pagesize` (`HW_PAGESIZE`, an `int`) and
//! `etc/passwd`.
//!
//! Byte order: the manifest's `host.byte_order` when procsift captured the members, else sniffed from
//! `kern.proc2` (plausible pids and counts, [`nb::sniff_proc2_order`]). Element sizes: the manifest's
//! `capture.elem_sizes`, else the known size when it divides the member, else inferred from the member's
//! length and its records ([`nb::infer_elem_size`]).
//!
//! Sockets are joined to descriptors as sockstat(1) does: a `kinfo_file` whose `ki_ftype` is
//! `DTYPE_SOCKET` has in `ki_fdata` the address of its `struct socket`, which is the `ki_sockaddr` of
//! one `kinfo_pcb` in one of the pcblists.

use std::collections::{BTreeMap, HashMap};

use super::Detail;
use super::sockaddr::{endpoint, unspecified};
use crate::abi::Endianness;
use crate::bytes::ByteString;
use crate::formats::netbsd::{
    self as nb, DecodeError, KinfoFile, KinfoLwp, KinfoPcb, KinfoProc2,
    file::{dtype, vtype},
};
use crate::formats::signals::{self, Numbering};
use crate::model::{
    Credentials, Fd, FdKind, Memory, Process, SignalAction, Snapshot, Socket, Source, Thread,
    Warning,
};
use crate::snapshot::RawSnapshot;
use crate::time::Timestamp;

/// The process table member.
pub const PROC2: &str = "sysctl/kern.proc2";
/// The open-file table member.
pub const FILE2: &str = "sysctl/kern.file2";
/// The page size member (`hw.pagesize`, an `int`), optional.
pub const PAGESIZE: &str = "sysctl/hw.pagesize";

/// The pcblist members and the protocol name each gives its sockets (`unix` with a socket type for
/// the local ones).
pub const PCBLISTS: [(&str, &str, Option<&str>); 6] = [
    ("sysctl/net.inet.tcp.pcblist", "tcp", None),
    ("sysctl/net.inet6.tcp6.pcblist", "tcp6", None),
    ("sysctl/net.inet.udp.pcblist", "udp", None),
    ("sysctl/net.inet6.udp6.pcblist", "udp6", None),
    ("sysctl/net.local.stream.pcblist", "unix", Some("stream")),
    ("sysctl/net.local.dgram.pcblist", "unix", Some("dgram")),
];

/// `NODEV` truncated to `p_tdev`'s 32 bits.
const NODEV32: u32 = u32::MAX;
/// `EPROC_CTTY`: the process has a controlling terminal.
const EPROC_CTTY: i32 = 0x1;
/// `P_SYSTEM` / `L_SYSTEM`: a kernel process or LWP.
const P_SYSTEM: i32 = 0x200;
/// `P_TRACED` (`sys/sysctl.h`): the process is being traced (debugged).
const P_TRACED: i32 = 0x800;
/// `L_SINTR`: the sleep is interruptible.
const L_SINTR: i32 = 0x80;
/// `KI_NOCPU`.
const KI_NOCPU: u64 = u64::MAX;
/// `FSCALE` of `fixpt_t` (`1 << FSHIFT`, FSHIFT 11).
const FSCALE: f64 = 2048.0;
/// `NZERO`: `p_nice` is the nice value plus this.
const NZERO: i64 = 20;

/// True when a raw snapshot holds NetBSD sysctl answers: the manifest's plan is `netbsd`, or (without a
/// plan) `sysctl/kern.proc2` is present.
pub fn looks_like_netbsd(raw: &RawSnapshot) -> bool {
    if let Some(plan) = raw.manifest.as_ref().and_then(|m| m.capture.plan.as_ref()) {
        return plan == "netbsd";
    }
    raw.member(PROC2).is_some()
}

/// Reading context: byte order, element sizes and page size of the dump.
struct Ctx<'a> {
    raw: &'a RawSnapshot,
    endian: Endianness,
    recorded: BTreeMap<String, u64>,
    page_size: Option<u64>,
}

impl Ctx<'_> {
    /// The element size the manifest records for `structure`, if any.
    fn recorded(&self, structure: &str) -> Option<usize> {
        self.recorded
            .get(structure)
            .and_then(|v| usize::try_from(*v).ok())
    }
}

fn warn(warnings: &mut Vec<Warning>, member: &str, e: &DecodeError) {
    warnings.push(Warning::at(member, e.offset as u64, e.to_string()));
}

/// Decodes an array member with `decode`, recording its warning or error; `None` when it is absent.
fn array<T>(
    raw: &RawSnapshot,
    member: &str,
    warnings: &mut Vec<Warning>,
    decode: impl FnOnce(&[u8]) -> Result<nb::Lenient<Vec<T>>, DecodeError>,
) -> Option<Vec<T>> {
    let bytes = raw.file(member)?;
    match decode(bytes) {
        Ok(l) => {
            if let Some(w) = &l.warning {
                warn(warnings, member, w);
            }
            Some(l.value)
        }
        Err(e) => {
            warn(warnings, member, &e);
            None
        }
    }
}

/// Byte order and element size of `kern.proc2`.
fn proc2_layout(
    bytes: &[u8],
    manifest_order: Option<Endianness>,
    recorded: Option<usize>,
) -> Option<(Endianness, usize)> {
    let elem = |o: Endianness| recorded.unwrap_or_else(|| nb::infer_proc2_elem(bytes, o));
    if let Some(o) = manifest_order {
        return Some((o, elem(o)));
    }
    [Endianness::Little, Endianness::Big]
        .into_iter()
        .map(|o| (o, elem(o)))
        .find(|(o, e)| nb::sniff_proc2_order(bytes, *e) == Some(*o))
}

/// Builds the model of a NetBSD sysctl dump.
pub fn build(raw: &RawSnapshot, detail: Detail) -> Snapshot {
    let mut warnings = raw.warnings.clone();
    let manifest = raw.manifest.as_ref();
    let manifest_order = manifest
        .filter(|m| m.capture.plan.as_deref() == Some("netbsd"))
        .and_then(|m| m.host.endianness());
    let recorded = manifest
        .map(|m| m.capture.elem_sizes.clone())
        .unwrap_or_default();
    let proc2_bytes = raw.file(PROC2).unwrap_or_default();
    let layout = proc2_layout(
        proc2_bytes,
        manifest_order,
        recorded
            .get("kinfo_proc2")
            .and_then(|v| usize::try_from(*v).ok()),
    );
    if layout.is_none() && raw.member(PROC2).is_some() {
        warnings.push(Warning::at(
            PROC2,
            0,
            format!(
                "{} bytes whose pids and counts are plausible in neither byte order: not \
                 kinfo_proc2 records",
                proc2_bytes.len()
            ),
        ));
    }
    let (endian, proc2_elem) = layout.unwrap_or((Endianness::Little, nb::KINFO_PROC2_SIZE));
    let mut host = super::host::from_manifest(raw, &mut warnings);
    host.sysname.get_or_insert_with(|| "NetBSD".into());
    host.byte_order = Some(endian);
    if host.page_size.is_none() {
        host.page_size = raw
            .file(PAGESIZE)
            .and_then(|b| nb::decode_pagesize(b, endian));
        warnings.extend(host.drop_impossible(PAGESIZE));
    }
    let page_size = host.page_size;
    if page_size.is_none() && raw.member(PROC2).is_some() {
        warnings.push(Warning::member(
            PAGESIZE,
            "page size unknown (none in the manifest, no hw.pagesize): memory sizes in pages are not \
             shown",
        ));
    }
    let ctx = Ctx {
        raw,
        endian,
        recorded,
        page_size,
    };

    let procs = match layout {
        Some(_) => array(raw, PROC2, &mut warnings, |b| {
            nb::decode_proc2(b, proc2_elem, endian)
        })
        .unwrap_or_default(),
        None => Vec::new(),
    };

    let mut files: HashMap<i32, Vec<KinfoFile>> = HashMap::new();
    let mut sockets: HashMap<u64, Socket> = HashMap::new();
    if detail.fds {
        let elem = ctx
            .recorded("kinfo_file")
            .unwrap_or_else(|| nb::infer_file_elem(raw.file(FILE2).unwrap_or_default(), endian));
        for f in array(raw, FILE2, &mut warnings, |b| {
            nb::decode_files(b, elem, endian)
        })
        .unwrap_or_default()
        {
            files.entry(f.pid as i32).or_default().push(f);
        }
        for (member, proto, kind) in PCBLISTS {
            let elem = ctx.recorded("kinfo_pcb").unwrap_or_else(|| {
                nb::infer_pcb_elem(raw.file(member).unwrap_or_default(), endian)
            });
            for pcb in array(raw, member, &mut warnings, |b| {
                nb::decode_pcbs(b, elem, endian)
            })
            .unwrap_or_default()
            {
                sockets
                    .entry(pcb.sockaddr)
                    .or_insert_with(|| socket(&pcb, proto, kind));
            }
        }
    }

    let users = raw
        .file("etc/passwd")
        .map(crate::formats::linux::passwd::names)
        .unwrap_or_default();
    let mut processes: Vec<Process> = procs
        .iter()
        .map(|k| {
            let mut p = process(&ctx, k, detail, &mut warnings);
            p.cred.user = p.cred.uid.and_then(|u| users.get(&u).cloned());
            p.cred.euser = p.cred.euid.and_then(|u| users.get(&u).cloned());
            if detail.fds {
                let mut fds: Vec<Fd> = files
                    .get(&k.pid)
                    .into_iter()
                    .flatten()
                    .filter(|f| f.fd >= 0)
                    .map(|f| fd(f, &sockets))
                    .collect();
                fds.sort_by_key(|f| f.fd);
                p.fds = Some(fds);
            }
            p
        })
        .collect();
    // A pid listed twice (a process that exited and whose pid was reused while the table was read) is
    // kept once: the first record.
    processes.sort_by_key(|p| p.pid);
    processes.dedup_by_key(|p| p.pid);

    let mut snapshot = Snapshot {
        system: Default::default(),
        source: Source {
            os: Some("netbsd".into()),
            ..raw.source.clone()
        },
        host,
        capture: super::linux::capture_info(raw),
        core: None,
        events: None,
        processes,
        warnings,
    };
    snapshot.sort();
    snapshot
}

/// The `ps` state letter of an `LS*` state (NetBSD ps(1) `state()`): `R` running, on a CPU or being
/// created, `S` interruptible sleep, `D` uninterruptible sleep, `T` stopped, `Z` zombie, `U` suspended.
pub fn state_letter(stat: i8, flag: i32) -> Option<&'static str> {
    Some(match stat {
        1 | 2 | 7 => "R",
        3 if flag & L_SINTR != 0 => "S",
        3 => "D",
        4 => "T",
        5 | 6 => "Z",
        8 => "U",
        _ => return None,
    })
}

fn text(b: &[u8]) -> Option<ByteString> {
    (!b.is_empty()).then(|| ByteString::from(b.to_vec()))
}

fn process(ctx: &Ctx<'_>, k: &KinfoProc2, detail: Detail, warnings: &mut Vec<Warning>) -> Process {
    let raw = ctx.raw;
    let valid = k.uvalid != 0;
    // fill_kproc2() (sys/kern/kern_proc.c) fills the address-space sizes and the representative LWP's
    // fields (priority, wait message) only for a process that is neither being created (SIDL 1) nor a
    // zombie (SZOMB 5, SDEAD 6): for those they are unknown, not 0. `p_realstat` is the process state;
    // a kernel that leaves it 0 gives the process state in `p_stat` for exactly these cases.
    let pstat = if k.realstat != 0 {
        k.realstat
    } else {
        k.stat as u8 as u64
    };
    let live = !matches!(pstat, 1 | 5 | 6);
    let mut p = Process {
        pid: k.pid,
        ppid: Some(k.ppid),
        pgid: Some(k.pgid),
        sid: Some(k.sid),
        tty: (k.eflag & EPROC_CTTY != 0 && k.tdev != NODEV32).then_some(u64::from(k.tdev)),
        start_time: (valid && k.ustart.sec > 0).then(|| Timestamp {
            secs: i64::from(k.ustart.sec),
            nanos: k.ustart.usec.min(999_999) * 1000,
        }),
        comm: text(&k.comm),
        login: text(&k.login),
        cred: Credentials {
            uid: Some(k.ruid),
            euid: Some(k.uid),
            suid: Some(k.svuid),
            gid: Some(k.rgid),
            egid: Some(k.gid),
            sgid: Some(k.svgid),
            groups: Some(k.groups.clone()),
            ..Credentials::default()
        },
        state: state_letter(k.stat, k.flag).map(str::to_owned),
        nice: Some(i64::from(k.nice) - NZERO),
        priority: live.then_some(i64::from(k.priority)),
        flags: Some(u64::from(k.flag as u32)),
        nlwp: u32::try_from(k.nlwps).ok(),
        user_time: valid.then(|| k.uutime.secs()),
        system_time: valid.then(|| k.ustime.secs()),
        wchan: (!k.wmesg.is_empty()).then(|| String::from_utf8_lossy(&k.wmesg).into_owned()),
        kernel_thread: Some(k.flag & P_SYSTEM != 0),
        traced: Some(k.flag & P_TRACED != 0),
        pct_cpu: Some(f64::from(k.pctcpu) * 100.0 / FSCALE),
        ..Process::default()
    };
    let kib = |pages: i64| {
        ctx.page_size.and_then(|ps| {
            u64::try_from(pages)
                .ok()
                .map(|n| n.saturating_mul(ps) / 1024)
        })
    };
    let memory = Memory {
        rss_kib: live.then(|| kib(i64::from(k.vm_rssize))).flatten(),
        vsz_kib: live.then(|| kib(k.vm_msize)).flatten(),
        rss_peak_kib: valid.then_some(k.uru_maxrss),
        ..Memory::default()
    };
    // Nothing known is no memory object at all (not `{}`).
    p.memory = (memory != Memory::default()).then_some(memory);

    if detail.limits {
        p.signal_actions = Some(signal_actions(
            k.sigignore,
            k.sigcatch,
            k.sigmask,
            k.siglist,
        ));
    }

    let args = format!("sysctl/kern.proc_args/{}", k.pid);
    p.exe = raw
        .file(&format!("{args}/pathname"))
        .map(nb::pathname)
        .filter(|v| !v.is_empty())
        .map(ByteString::from);
    p.argv = raw
        .file(&format!("{args}/argv"))
        .map(|b| nb::strings(b).into_iter().map(ByteString::from).collect());
    if detail.env {
        p.env = raw
            .file(&format!("{args}/env"))
            .map(|b| nb::strings(b).into_iter().map(ByteString::from).collect());
    }
    if detail.threads {
        let member = format!("sysctl/kern.lwp/{}", k.pid);
        let elem = ctx.recorded("kinfo_lwp").unwrap_or_else(|| {
            nb::infer_lwp_elem(raw.file(&member).unwrap_or_default(), ctx.endian, k.pid)
        });
        p.threads = array(raw, &member, warnings, |b| {
            nb::decode_lwps(b, elem, ctx.endian)
        })
        .map(|lwps| {
            let mut t: Vec<Thread> = lwps.iter().map(thread).collect();
            t.sort_by_key(|t| t.tid);
            t
        });
    }
    p
}

/// `NSIG - 1` on NetBSD (`sys/sys/signal.h`: `NSIG` 64): the signals 1..=63 a `ki_sigset_t` can name.
const NETBSD_MAXSIG: i32 = 63;

/// What the process does with each signal, from `p_sigignore` and `p_sigcatch` (bit n-1 for signal n):
/// `ignored`, `caught` (the dump records no handler address or handler mask) or `default`; and whether it
/// is blocked (`p_sigmask`) or pending (`p_siglist`).
fn signal_actions(ignore: u128, catch: u128, mask: u128, list: u128) -> Vec<SignalAction> {
    (1..=NETBSD_MAXSIG)
        .map(|n| {
            let bit = 1u128 << (n - 1);
            let action = if catch & bit != 0 {
                "caught"
            } else if ignore & bit != 0 {
                "ignored"
            } else {
                "default"
            };
            SignalAction {
                signal: n,
                name: signals::name(Numbering::NetBsd, n),
                action: action.into(),
                handler: None,
                mask: Vec::new(),
                flags: Vec::new(),
                blocked: Some(mask & bit != 0),
                pending: Some(list & bit != 0),
            }
        })
        .collect()
}

fn thread(l: &KinfoLwp) -> Thread {
    Thread {
        tid: l.lid,
        name: text(&l.name),
        state: state_letter(l.stat, l.flag).map(str::to_owned),
        processor: (l.cpuid != KI_NOCPU)
            .then(|| u32::try_from(l.cpuid).ok())
            .flatten(),
        priority: Some(i64::from(l.priority)),
        wchan: (!l.wmesg.is_empty()).then(|| String::from_utf8_lossy(&l.wmesg).into_owned()),
        pct_cpu: Some(f64::from(l.pctcpu) * 100.0 / FSCALE),
        ..Thread::default()
    }
}

/// The model's socket for one control block of pcblist `proto` (`tcp`, `udp6`, `unix`, ...).
fn socket(pcb: &KinfoPcb, proto: &str, kind: Option<&str>) -> Socket {
    let state = match (proto, kind) {
        ("tcp" | "tcp6", _) => nb::pcb::tcp_state_name(pcb.tstate).map(str::to_owned),
        (_, Some(_)) if pcb.conn != 0 => Some("CONNECTED".into()),
        (_, Some(_)) => Some("UNCONNECTED".into()),
        _ => None,
    };
    Socket {
        protocol: proto.into(),
        local: endpoint(&pcb.local),
        remote: (!unspecified(&pcb.remote))
            .then(|| endpoint(&pcb.remote))
            .flatten(),
        state,
        socket_type: kind.map(str::to_owned),
        uid: None,
        netns: None,
    }
}

/// One descriptor from its `kinfo_file`, its socket joined by `ki_fdata`.
fn fd(f: &KinfoFile, sockets: &HashMap<u64, Socket>) -> Fd {
    let kind = match f.ftype {
        dtype::VNODE => match f.vtype {
            vtype::VREG => FdKind::File,
            vtype::VDIR => FdKind::Dir,
            vtype::VCHR | vtype::VBLK => FdKind::Device,
            vtype::VFIFO => FdKind::Pipe,
            vtype::VSOCK => FdKind::Socket,
            _ => FdKind::Other,
        },
        dtype::SOCKET => FdKind::Socket,
        dtype::PIPE => FdKind::Pipe,
        dtype::KQUEUE | dtype::EVENTFD | dtype::TIMERFD => FdKind::AnonInode,
        _ => FdKind::Other,
    };
    // FREAD 0x1, FWRITE 0x2 (sys/fcntl.h): f_flag is the open mode plus one.
    let mode = match f.flag & 3 {
        1 => Some("r".to_string()),
        2 => Some("w".into()),
        3 => Some("rw".into()),
        _ => None,
    };
    let socket = (f.ftype == dtype::SOCKET)
        .then(|| sockets.get(&f.fdata).cloned())
        .flatten();
    Fd {
        fd: f.fd,
        kind,
        target: None,
        mode,
        flags: Some(u64::from(f.flag)),
        pos: (f.ftype == dtype::VNODE).then_some(f.foffset),
        inode: None,
        socket,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_letters_follow_ps() {
        assert_eq!(state_letter(3, L_SINTR), Some("S"));
        assert_eq!(state_letter(3, 0), Some("D"));
        assert_eq!(state_letter(7, 0), Some("R"));
        assert_eq!(state_letter(5, 0), Some("Z"));
        assert_eq!(state_letter(0, 0), None);
    }
}
