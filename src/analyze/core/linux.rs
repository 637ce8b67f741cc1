//! Linux cores: identity from `NT_PRPSINFO` (else the first `NT_PRSTATUS`), one thread per
//! `NT_PRSTATUS`, the signal from `NT_SIGINFO` (else `pr_cursig`), the map from `PT_LOAD` joined with
//! `NT_FILE`, and argv/environment from the dumped stack.

use super::{
    Out, SignalSets, add_unlisted, aux_entries, hex_mask, signal_table, stack, thread_from_regs,
};
use crate::bytes::ByteString;
use crate::formats::elfcore::{Core, Flavor, linux};
use crate::formats::signals::{self, Numbering};
use crate::model::{CoreSignal, Credentials, LiveDump, MissingMemory, Thread, Timestamp};

fn numbering(abi: Option<linux::Abi>) -> Numbering {
    match abi {
        Some(linux::Abi::MipsO32 | linux::Abi::MipsN32 | linux::Abi::MipsN64) => {
            Numbering::LinuxMips
        }
        Some(linux::Abi::Sparc64) => Numbering::LinuxSparc,
        Some(linux::Abi::Alpha) => Numbering::LinuxAlpha,
        Some(linux::Abi::Hppa) => Numbering::LinuxParisc,
        _ => Numbering::LinuxGeneric,
    }
}

/// `AT_PHDR`: where the program headers of the executable are mapped.
const AT_PHDR: u64 = 3;

pub(super) fn process(core: &Core<'_>, out: &mut Out) {
    let lc = linux::decode(core, &mut out.warnings);
    let mem = core.memory();
    if let Some(abi) = lc.abi {
        out.info.arch = abi.name().into();
    }
    let numbering = numbering(lc.abi);
    let first = lc.threads.first();
    let p = &mut out.p;
    if let Some(ps) = &lc.psinfo {
        p.pid = ps.pid;
        p.ppid = Some(ps.ppid);
        p.pgid = Some(ps.pgrp);
        p.sid = Some(ps.sid);
        p.comm = Some(ByteString::from(ps.fname.clone()));
        p.psargs = Some(ByteString::from(ps.psargs.clone()));
        p.state = (ps.sname.is_ascii_graphic()).then(|| char::from(ps.sname).to_string());
        p.nice = Some(i64::from(ps.nice));
        p.flags = Some(ps.flag);
        p.cred = Credentials {
            uid: Some(ps.uid),
            gid: Some(ps.gid),
            ..Credentials::default()
        };
        out.prov("pid", "NT_PRPSINFO pr_pid");
    } else if let Some(t) = first {
        p.pid = t.pid;
        p.ppid = Some(t.ppid);
        p.pgid = Some(t.pgrp);
        p.sid = Some(t.sid);
        out.prov(
            "pid",
            "NT_PRSTATUS pr_pid of the first thread (no NT_PRPSINFO)",
        );
    }
    let p = &mut out.p;
    // The thread-group leader's prstatus carries the whole process's CPU times (fill_prstatus()).
    if let Some(leader) = lc.threads.iter().find(|t| t.pid == p.pid) {
        p.user_time = Some(leader.utime);
        p.system_time = Some(leader.stime);
    }
    // The kernel copies the dump signal into every thread's pr_cursig; the thread that took it is the
    // first, the one its NT_SIGINFO follows. gdb's gcore leaves pr_cursig 0 and writes an NT_SIGINFO for
    // every thread with that thread's own last signal. So a thread's signal is that of its own
    // NT_SIGINFO, else (the first thread) its pr_cursig, else 0.
    p.threads = Some(
        lc.threads
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let signal = match &t.siginfo {
                    Some(si) => si.signo,
                    None if i == 0 => i32::from(t.cursig),
                    None => 0,
                };
                let masks = |m: u64| (!lc.by_gdb).then(|| hex_mask(u128::from(m)));
                Thread {
                    user_time: Some(t.utime),
                    system_time: Some(t.stime),
                    sig_pending: masks(t.sigpend),
                    sig_blocked: masks(t.sighold),
                    ..thread_from_regs(t.pid, signal, &t.registers)
                }
            })
            .collect(),
    );
    // A Linux core records no dispositions, only each thread's pending and blocked sets (pr_sigpend,
    // pr_sighold: unsigned longs): those of the main thread, else of the first, for the process.
    if lc.by_gdb {
        out.prov(
            "signal_actions",
            "unknown: gdb's gcore (NT_PRPSINFO before the first NT_PRSTATUS) writes no signal masks",
        );
    } else if let (Some(abi), Some(t)) = (
        lc.abi,
        lc.threads
            .iter()
            .find(|t| t.pid == out.p.pid)
            .or(lc.threads.first()),
    ) {
        out.p.signal_actions = Some(signal_table(
            numbering,
            &SignalSets {
                count: abi.long_size() as u32 * 8,
                blocked: Some(u128::from(t.sighold)),
                pending: Some(u128::from(t.sigpend)),
                ..SignalSets::default()
            },
        ));
        out.prov(
            "signal_actions",
            format!(
                "NT_PRSTATUS pr_sighold and pr_sigpend of thread {}; a Linux core records no dispositions",
                t.pid
            ),
        );
    }
    // The signal: NT_SIGINFO when present (older kernels lack it), else the first thread's pr_cursig. A
    // core of a live process (procsift's gcore) holds a siginfo of signal 0: no signal.
    if lc.siginfo.as_ref().is_some_and(|si| si.signo == 0) {
        out.prov(
            "signal",
            "none: NT_SIGINFO holds signal 0 (the core of a live process)",
        );
    } else if let Some(si) = &lc.siginfo {
        let name = signals::name(numbering, si.signo);
        let code_name = name
            .as_deref()
            .and_then(|n| {
                if si.addr.is_some() {
                    signals::fault_code(n, si.code)
                } else {
                    None
                }
            })
            .or_else(|| signals::sender_code(numbering, si.code))
            .map(str::to_owned);
        out.info.signal = Some(CoreSignal {
            number: si.signo,
            name,
            code: Some(si.code),
            code_name,
            errno: Some(si.errno),
            fault_address: si.addr,
            sender_pid: si.sender_pid,
            sender_uid: si.sender_uid,
            thread: first.map(|t| t.pid),
            source: "NT_SIGINFO".into(),
        });
    } else if let Some(t) = first.filter(|t| t.cursig != 0) {
        out.info.signal = Some(CoreSignal {
            number: i32::from(t.cursig),
            name: signals::name(numbering, i32::from(t.cursig)),
            thread: Some(t.pid),
            source: "NT_PRSTATUS pr_cursig of the first thread".into(),
            ..CoreSignal::default()
        });
    }
    out.info.auxv = aux_entries(Flavor::Linux, &lc.auxv, &mem);
    if let Some(pagesz) = lc.auxv.iter().find(|(t, _)| *t == 6).map(|(_, v)| *v) {
        out.host.page_size = Some(pagesz);
    }
    if let Some(files) = &lc.files {
        join_files(out, files);
        // The executable is the file mapped where the program headers are (AT_PHDR).
        if let Some(&(_, phdr)) = lc.auxv.iter().find(|(t, _)| *t == AT_PHDR)
            && let Some(f) = files.files.iter().find(|f| f.start <= phdr && phdr < f.end)
        {
            out.p.exe = Some(ByteString::from(f.path.clone()));
            out.prov("exe", "the NT_FILE mapping that contains AT_PHDR");
        }
    }
    if let Some(abi) = lc.abi {
        stack::recover_linux_vectors(core, abi, &mem, out);
    }
    live_dump(core, out);
}

/// The `PROCSIFT` note of a core `procsift gcore` took from a live process: when, how long the process
/// was stopped, and the ranges the core lacks (each also a warning: a reader shows zeros there).
fn live_dump(core: &Core<'_>, out: &mut Out) {
    use crate::formats::elfcore::procsift;
    let Some(note) = core.note(procsift::OWNER_PROCSIFT, procsift::NT_PROCSIFT_GCORE) else {
        return;
    };
    let Some(n) = procsift::decode(note.desc, core.endian, note.desc_offset, &mut out.warnings)
    else {
        return;
    };
    let mut missing = Vec::new();
    for r in &n.ranges {
        let (reason, errno) = match r.reason {
            procsift::RANGE_UNREADABLE => ("unreadable", Some(errno_name(r.errno))),
            procsift::RANGE_OVER_MAX_SIZE => ("max_size", None),
            other => {
                missing.push(MissingMemory {
                    start: r.start,
                    end: r.end,
                    reason: format!("reason {other}"),
                    errno: None,
                });
                continue;
            }
        };
        out.warnings.push(crate::formats::elfcore::CoreWarning::new(
            "PROCSIFT note",
            note.desc_offset,
            match &errno {
                Some(e) => format!(
                    "{:#x}-{:#x} could not be read when the process was dumped ({e}): not in the core",
                    r.start, r.end
                ),
                None => format!(
                    "{:#x}-{:#x} was left out by --max-size: not in the core",
                    r.start, r.end
                ),
            },
        ));
        missing.push(MissingMemory {
            start: r.start,
            end: r.end,
            reason: reason.into(),
            errno,
        });
    }
    out.info.live = Some(LiveDump {
        tool: "procsift gcore".into(),
        time: (n.time.0 > 0).then_some(Timestamp {
            secs: n.time.0,
            nanos: n.time.1.min(999_999_999),
        }),
        stopped_ms: n.stopped_ns as f64 / 1e6,
        coredump_filter: n.filter,
        all: n.flags & procsift::GCORE_ALL != 0,
        was_stopped: n.flags & procsift::GCORE_WAS_STOPPED != 0,
        threads: n.nthreads,
        max_size: (n.max_size > 0).then_some(n.max_size),
        missing,
    });
}

/// The Linux (asm-generic) name of an errno a dump can meet, else `errno N`.
fn errno_name(n: i32) -> String {
    let name = match n {
        1 => "EPERM",
        3 => "ESRCH",
        5 => "EIO",
        6 => "ENXIO",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        19 => "ENODEV",
        22 => "EINVAL",
        _ => return format!("errno {n}"),
    };
    name.into()
}

/// Names the segments' mappings from `NT_FILE` and adds the `NT_FILE` ranges that have no segment: the
/// kernel writes a segment for every mapping, gdb's `gcore` none for what it does not dump (the text of
/// every library), so such a range is a mapping whose bytes are not in the core.
fn join_files(out: &mut Out, files: &linux::FileNote) {
    // NT_FILE is in address order as the kernel and gdb write it; sort anyway, then look up by address.
    let mut sorted: Vec<&linux::MappedFile> = files.files.iter().collect();
    sorted.sort_by_key(|f| (f.start, f.end));
    for m in out.maps.iter_mut() {
        let i = sorted.partition_point(|f| f.start <= m.start);
        if let Some(f) = i.checked_sub(1).map(|i| sorted[i])
            && m.start < f.end
        {
            m.path = Some(ByteString::from(f.path.clone()));
            m.offset = f.offset.saturating_add(m.start - f.start);
        }
    }
    let ranges: Vec<(u64, u64, u64, &[u8])> = sorted
        .iter()
        .map(|f| (f.start, f.end, f.offset, f.path.as_slice()))
        .collect();
    let added = add_unlisted(&mut out.maps, &ranges, "NT_FILE", &mut out.warnings);
    if added > 0 {
        out.info.mappings_omitted = Some(format!(
            "{added} NT_FILE ranges have no segment: this writer (gdb's gcore, for one) leaves out what it does not dump, so other mappings may be missing too"
        ));
        out.prov(
            "maps",
            format!("PT_LOAD segments, and {added} NT_FILE ranges the core holds no bytes of"),
        );
    }
}
