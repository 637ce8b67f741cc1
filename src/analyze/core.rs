//! ELF cores → model: one process, its threads with their registers, its memory map, and the crash.
//!
//! The notes are decoded by [`crate::formats::elfcore`] (and [`crate::formats::solaris`] for illumos);
//! this module decides which source each value of the model comes from, records that choice in
//! `core.provenance` where there is more than one candidate, and recovers what the notes truncate: the
//! full argv and environment, read from the dumped stack.

use crate::abi::DataModel;
use crate::bytes::ByteString;
use crate::formats::elfcore::{
    self, Core, CoreError, CoreWarning, Flavor, Segment, auxv, freebsd, linux, netbsd,
    regs::Registers,
};
use crate::formats::signals::{self, Numbering};
use crate::model::{
    AuxEntry, CoreInfo, CoreSignal, Credentials, Fd, FdKind, Host, InputKind, Limit, Mapping,
    Memory, NoteSummary, Process, Provenance, Register, Snapshot, Source, Thread, Warning,
};
use crate::time::Timestamp;

/// The longest argument or environment string read from a core's memory.
const MAX_STRING: usize = 128 * 1024;
/// The most argv or environment entries walked on a dumped stack.
const MAX_VECTOR: usize = 1 << 16;

/// Analyzes the core in `bytes`; `path` names it in the model and in messages.
pub fn analyze(bytes: &[u8], path: &str) -> Result<Snapshot, CoreError> {
    let core = Core::parse(bytes)?;
    let mut warnings = core.warnings.clone();
    let mut info = CoreInfo {
        os: core.flavor.os_name().into(),
        arch: core.machine_name().into(),
        elf_class: if core.is_64 { 64 } else { 32 },
        byte_order: core.endian,
        notes: core
            .notes
            .iter()
            .map(|n| note_summary(core.flavor, n))
            .collect(),
        signal: None,
        kernel: None,
        auxv: Vec::new(),
        provenance: Vec::new(),
    };
    let mut process = Process::default();
    let mut maps = segments_as_maps(&core.segments);
    match core.flavor {
        Flavor::Linux => linux_process(&core, &mut process, &mut maps, &mut info, &mut warnings),
        Flavor::FreeBsd => {
            freebsd_process(&core, &mut process, &mut maps, &mut info, &mut warnings)
        }
        Flavor::NetBsd => netbsd_process(&core, &mut process, &mut info, &mut warnings),
        Flavor::Illumos => {
            super::solaris_core::process(&core, &mut process, &mut maps, &mut info, &mut warnings)
        }
    }
    process
        .memory
        .get_or_insert_with(Memory::default)
        .vsz_kib
        .get_or_insert(
            core.segments
                .iter()
                .map(|s| s.memsz)
                .fold(0u64, u64::saturating_add)
                / 1024,
        );
    process.maps = Some(maps);
    if let Some(threads) = &process.threads {
        process.nlwp.get_or_insert(threads.len() as u32);
    }
    let host = Host {
        machine: Some(info.arch.clone()),
        byte_order: Some(info.byte_order),
        data_model: Some(DataModel::from_is_64(core.is_64)),
        ..Host::default()
    };
    let mut snapshot = Snapshot {
        system: Default::default(),
        events: None,
        source: Source {
            kind: InputKind::Core,
            path: path.into(),
            os: Some(info.os.clone()),
        },
        host,
        capture: None,
        core: Some(info),
        processes: vec![process],
        warnings: warnings.into_iter().map(to_warning).collect(),
    };
    snapshot.sort();
    Ok(snapshot)
}

fn to_warning(w: CoreWarning) -> Warning {
    Warning {
        member: w.what,
        offset: Some(w.offset),
        message: w.message,
    }
}

fn note_summary(flavor: Flavor, n: &elfcore::Note<'_>) -> NoteSummary {
    NoteSummary {
        owner: n.owner(),
        kind: n.n_type,
        name: note_name(flavor, n.name, n.n_type).map(str::to_owned),
        size: n.desc.len() as u64,
        offset: n.offset,
    }
}

/// `NT_*` names (`include/uapi/linux/elf.h`, FreeBSD `sys/sys/elf_common.h`, illumos `sys/elf.h`).
fn note_name(flavor: Flavor, owner: &[u8], t: u32) -> Option<&'static str> {
    if owner.starts_with(b"NetBSD-CORE@") {
        return None;
    }
    Some(match (flavor, owner, t) {
        (Flavor::NetBsd, _, 1) => "NETBSD_CORE_PROCINFO",
        (Flavor::NetBsd, _, 2) => "NETBSD_CORE_AUXV",
        (_, _, 1) if flavor != Flavor::NetBsd => "NT_PRSTATUS",
        (_, _, 2) => "NT_PRFPREG",
        (_, _, 3) => "NT_PRPSINFO",
        (Flavor::Linux, b"CORE", 4) => "NT_TASKSTRUCT",
        (Flavor::Illumos, _, 5) => "NT_PLATFORM",
        (_, _, 6) => "NT_AUXV",
        (Flavor::FreeBsd, _, 7) => "NT_THRMISC",
        (Flavor::FreeBsd, _, 8) => "NT_PROCSTAT_PROC",
        (Flavor::FreeBsd, _, 9) => "NT_PROCSTAT_FILES",
        (Flavor::FreeBsd, _, 10) => "NT_PROCSTAT_VMMAP",
        (Flavor::FreeBsd, _, 11) => "NT_PROCSTAT_GROUPS",
        (Flavor::FreeBsd, _, 12) => "NT_PROCSTAT_UMASK",
        (Flavor::FreeBsd, _, 13) => "NT_PROCSTAT_RLIMIT",
        (Flavor::FreeBsd, _, 14) => "NT_PROCSTAT_OSREL",
        (Flavor::FreeBsd, _, 15) => "NT_PROCSTAT_PSSTRINGS",
        (Flavor::FreeBsd, _, 16) => "NT_PROCSTAT_AUXV",
        (Flavor::FreeBsd, _, 17) => "NT_PTLWPINFO",
        (Flavor::Illumos, _, 7) => "NT_GWINDOWS",
        (Flavor::Illumos, _, 8) => "NT_ASRS",
        (Flavor::Illumos, _, 9) => "NT_LDT",
        (Flavor::Illumos, _, 10) => "NT_PSTATUS",
        (Flavor::Illumos, _, 13) => "NT_PSINFO",
        (Flavor::Illumos, _, 14) => "NT_PRCRED",
        (Flavor::Illumos, _, 15) => "NT_UTSNAME",
        (Flavor::Illumos, _, 16) => "NT_LWPSTATUS",
        (Flavor::Illumos, _, 17) => "NT_LWPSINFO",
        (Flavor::Illumos, _, 18) => "NT_PRPRIV",
        (Flavor::Illumos, _, 19) => "NT_PRPRIVINFO",
        (Flavor::Illumos, _, 20) => "NT_CONTENT",
        (Flavor::Illumos, _, 21) => "NT_ZONENAME",
        (Flavor::Illumos, _, 22) => "NT_FDINFO",
        (Flavor::Illumos, _, 23) => "NT_SPYMASTER",
        (Flavor::Illumos, _, 24) => "NT_SECFLAGS",
        (Flavor::Illumos, _, 25) => "NT_LWPNAME",
        (Flavor::Illumos, _, 26) => "NT_UPANIC",
        (Flavor::Illumos, _, 27) => "NT_CWD",
        (Flavor::Linux, _, linux::NT_SIGINFO) => "NT_SIGINFO",
        (Flavor::Linux, _, linux::NT_FILE) => "NT_FILE",
        (Flavor::Linux, _, 0x46e6_2b7f) => "NT_PRXFPREG",
        (Flavor::Linux, _, 0x200) => "NT_386_TLS",
        (Flavor::Linux, _, 0x201) => "NT_386_IOPERM",
        (Flavor::Linux, _, 0x202) => "NT_X86_XSTATE",
        (Flavor::Linux, _, 0x100) => "NT_PPC_VMX",
        (Flavor::Linux, _, 0x102) => "NT_PPC_VSX",
        (Flavor::Linux, _, 0x300) => "NT_S390_HIGH_GPRS",
        (Flavor::Linux, _, 0x301) => "NT_S390_TIMER",
        (Flavor::Linux, _, 0x302) => "NT_S390_TODCMP",
        (Flavor::Linux, _, 0x303) => "NT_S390_TODPREG",
        (Flavor::Linux, _, 0x304) => "NT_S390_CTRS",
        (Flavor::Linux, _, 0x305) => "NT_S390_PREFIX",
        (Flavor::Linux, _, 0x306) => "NT_S390_LAST_BREAK",
        (Flavor::Linux, _, 0x307) => "NT_S390_SYSTEM_CALL",
        (Flavor::Linux, _, 0x400) => "NT_ARM_VFP",
        (Flavor::Linux, _, 0x401) => "NT_ARM_TLS",
        (Flavor::Linux, _, 0x402) => "NT_ARM_HW_BREAK",
        (Flavor::Linux, _, 0x403) => "NT_ARM_HW_WATCH",
        (Flavor::Linux, _, 0x404) => "NT_ARM_SYSTEM_CALL",
        (Flavor::Linux, _, 0x405) => "NT_ARM_SVE",
        (Flavor::Linux, _, 0x406) => "NT_ARM_PAC_MASK",
        (Flavor::Linux, _, 0x409) => "NT_ARM_TAGGED_ADDR_CTRL",
        (Flavor::Linux, _, 0x900) => "NT_RISCV_CSR",
        (Flavor::Linux, _, 0x800) => "NT_MIPS_DSP",
        (Flavor::Linux, _, 0x801) => "NT_MIPS_FP_MODE",
        _ => return None,
    })
}

/// One mapping per `PT_LOAD`, with what the core holds of it.
fn segments_as_maps(segments: &[Segment]) -> Vec<Mapping> {
    segments
        .iter()
        .map(|s| Mapping {
            start: s.vaddr,
            end: s.vaddr.saturating_add(s.memsz),
            perms: s.perms(),
            dumped_bytes: Some(s.filesz),
            dump_note: if s.flags & elfcore::PF_SUNW_FAILURE != 0 {
                Some("PF_SUNW_FAILURE: the kernel could not dump this range".into())
            } else if s.flags & elfcore::PF_SUNW_KILLED != 0 {
                Some("PF_SUNW_KILLED: the process was killed while this range was dumped".into())
            } else if s.filesz < s.filesz_claimed {
                Some("truncated: the core ends before this range's contents".into())
            } else {
                None
            },
            ..Mapping::default()
        })
        .collect()
}

fn registers(r: &Registers) -> Vec<Register> {
    r.values
        .iter()
        .map(|(n, v)| Register {
            name: (*n).into(),
            value: *v,
        })
        .collect()
}

fn thread_from_regs(tid: i32, signal: i32, r: &Registers) -> Thread {
    Thread {
        tid,
        signal: Some(signal),
        pc: r.pc,
        sp: r.sp,
        registers: Some(registers(r)),
        ..Thread::default()
    }
}

fn aux_entries(flavor: Flavor, pairs: &[(u64, u64)], mem: &elfcore::Memory<'_>) -> Vec<AuxEntry> {
    // The types whose value points at a string, per system.
    let stringy = |t: u64| match flavor {
        Flavor::Linux => matches!(t, 15 | 24 | 31),
        Flavor::FreeBsd => t == 15,
        Flavor::Illumos | Flavor::NetBsd => matches!(t, 2006 | 2008 | 2014 | 2019),
    };
    pairs
        .iter()
        .map(|&(kind, value)| AuxEntry {
            name: auxv::name(flavor, kind).map(str::to_owned),
            kind,
            value,
            string: stringy(kind)
                .then(|| mem.cstr(value, 4096))
                .flatten()
                .map(ByteString::from),
        })
        .collect()
}

fn prov(info: &mut CoreInfo, field: &str, source: impl Into<String>) {
    info.provenance.push(Provenance {
        field: field.into(),
        source: source.into(),
    });
}

fn hex_mask(v: u64) -> String {
    format!("{v:016x}")
}

fn linux_numbering(abi: Option<linux::Abi>) -> Numbering {
    match abi {
        Some(linux::Abi::MipsO32 | linux::Abi::MipsN32 | linux::Abi::MipsN64) => {
            Numbering::LinuxMips
        }
        Some(linux::Abi::Sparc64) => Numbering::LinuxSparc,
        _ => Numbering::LinuxGeneric,
    }
}

fn linux_process(
    core: &Core<'_>,
    p: &mut Process,
    maps: &mut [Mapping],
    info: &mut CoreInfo,
    warnings: &mut Vec<CoreWarning>,
) {
    let lc = linux::decode(core, warnings);
    let mem = core.memory();
    if let Some(abi) = lc.abi {
        info.arch = abi.name().into();
    }
    let numbering = linux_numbering(lc.abi);
    let first = lc.threads.first();
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
        prov(info, "pid", "NT_PRPSINFO pr_pid");
    } else if let Some(t) = first {
        p.pid = t.pid;
        p.ppid = Some(t.ppid);
        p.pgid = Some(t.pgrp);
        p.sid = Some(t.sid);
        prov(
            info,
            "pid",
            "NT_PRSTATUS pr_pid of the first thread (no NT_PRPSINFO)",
        );
    }
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
                Thread {
                    user_time: Some(t.utime),
                    system_time: Some(t.stime),
                    sig_pending: Some(hex_mask(t.sigpend)),
                    sig_blocked: Some(hex_mask(t.sighold)),
                    ..thread_from_regs(t.pid, signal, &t.registers)
                }
            })
            .collect(),
    );
    // The signal: NT_SIGINFO when present (older kernels lack it), else the first thread's pr_cursig.
    if let Some(si) = &lc.siginfo {
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
            .or_else(|| signals::linux_sender_code(si.code))
            .map(str::to_owned);
        info.signal = Some(CoreSignal {
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
        info.signal = Some(CoreSignal {
            number: i32::from(t.cursig),
            name: signals::name(numbering, i32::from(t.cursig)),
            thread: Some(t.pid),
            source: "NT_PRSTATUS pr_cursig of the first thread".into(),
            ..CoreSignal::default()
        });
    }
    info.auxv = aux_entries(Flavor::Linux, &lc.auxv, &mem);
    // The mapped files: NT_FILE entries joined to the PT_LOAD segments by address.
    if let Some(files) = &lc.files {
        for m in maps.iter_mut() {
            if let Some(f) = files
                .files
                .iter()
                .find(|f| f.start <= m.start && m.start < f.end)
            {
                m.path = Some(ByteString::from(f.path.clone()));
                m.offset = f.offset.saturating_add(m.start - f.start);
            }
        }
        // The executable is the file mapped where the program headers are (AT_PHDR).
        if let Some(&(_, phdr)) = lc.auxv.iter().find(|(t, _)| *t == 3)
            && let Some(f) = files.files.iter().find(|f| f.start <= phdr && phdr < f.end)
        {
            p.exe = Some(ByteString::from(f.path.clone()));
            prov(info, "exe", "the NT_FILE mapping that contains AT_PHDR");
        }
    }
    if let Some(abi) = lc.abi {
        recover_linux_vectors(core, abi, &mem, p, info, warnings);
    }
}

/// Finds the copy of the auxv on the dumped stack and walks back over envp and argv to the strings
/// (the layout `create_elf_tables()` builds: argc, argv[], NULL, envp[], NULL, auxv[]).
fn recover_linux_vectors(
    core: &Core<'_>,
    abi: linux::Abi,
    mem: &elfcore::Memory<'_>,
    p: &mut Process,
    info: &mut CoreInfo,
    warnings: &mut Vec<CoreWarning>,
) {
    let Some(note) = core.note(b"CORE", linux::NT_AUXV) else {
        return;
    };
    let long = abi.long_size();
    let is_64 = long == 8;
    // Enough of the auxv to be unique; the whole vector if it is short.
    let needle = &note.desc[..note.desc.len().min(8 * long)];
    if needle.len() < 2 * long {
        return;
    }
    // The strings AT_EXECFN / AT_RANDOM / AT_PLATFORM point to live on the same stack: search only there.
    let pairs = auxv::pairs(note.desc, long, false, core.endian);
    let anchor = pairs
        .iter()
        .find(|(t, _)| matches!(t, 31 | 25 | 15))
        .map(|(_, v)| *v);
    let Some(seg) = anchor.and_then(|a| {
        core.segments
            .iter()
            .find(|s| s.vaddr <= a && a < s.vaddr.saturating_add(s.filesz))
    }) else {
        return;
    };
    let Some(stack) = mem.from(seg.vaddr) else {
        return;
    };
    let Some(pos) = (0..stack.len().saturating_sub(needle.len()))
        .step_by(long)
        .find(|&i| &stack[i..i + needle.len()] == needle)
    else {
        warnings.push(CoreWarning::new("NT_AUXV", note.desc_offset, "its copy was not found on the dumped stack: argv and environment are limited to pr_psargs"));
        return;
    };
    let auxv_addr = seg.vaddr + pos as u64;
    let word = |addr: u64| mem.word(addr, is_64, core.endian);
    let step = long as u64;
    let mut at = auxv_addr.wrapping_sub(step);
    if word(at) != Some(0) {
        return;
    }
    let mut envp = Vec::new();
    loop {
        at = at.wrapping_sub(step);
        match word(at) {
            Some(0) => break,
            Some(ptr) if envp.len() < MAX_VECTOR => envp.push(ptr),
            _ => return,
        }
    }
    let mut argv = Vec::new();
    loop {
        at = at.wrapping_sub(step);
        match word(at) {
            Some(n) if n == argv.len() as u64 && n > 0 => break,
            Some(ptr) if argv.len() < MAX_VECTOR && ptr != 0 => argv.push(ptr),
            _ => return,
        }
    }
    argv.reverse();
    envp.reverse();
    let strings = |ptrs: &[u64]| -> Option<Vec<ByteString>> {
        ptrs.iter()
            .map(|&a| mem.cstr(a, MAX_STRING).map(ByteString::from))
            .collect()
    };
    match strings(&argv) {
        Some(a) => {
            p.argv = Some(a);
            prov(
                info,
                "argv",
                format!(
                    "stack memory: argc at {:#x}, found through the copy of NT_AUXV at {auxv_addr:#x}",
                    at
                ),
            );
        }
        None => warnings.push(CoreWarning::new(
            "argv",
            at,
            "an argv string points outside the dumped memory",
        )),
    }
    match strings(&envp) {
        Some(e) => {
            p.env = Some(e);
            prov(
                info,
                "env",
                "stack memory: the envp[] array before the auxv copy",
            );
        }
        None => warnings.push(CoreWarning::new(
            "env",
            at,
            "an environment string points outside the dumped memory",
        )),
    }
}

fn freebsd_process(
    core: &Core<'_>,
    p: &mut Process,
    maps: &mut Vec<Mapping>,
    info: &mut CoreInfo,
    warnings: &mut Vec<CoreWarning>,
) {
    let fc = freebsd::decode(core, warnings);
    let mem = core.memory();
    let kp = fc.procs.first();
    let ps_pid = fc.psinfo.as_ref().and_then(|ps| ps.pid);
    match (kp, ps_pid) {
        (Some(k), Some(pid)) if pid != k.pid => {
            p.pid = k.pid;
            prov(
                info,
                "pid",
                format!("NT_PROCSTAT_PROC ki_pid (NT_PRPSINFO pr_pid says {pid})"),
            );
        }
        (Some(k), None) => {
            p.pid = k.pid;
            prov(
                info,
                "pid",
                "NT_PROCSTAT_PROC ki_pid (this NT_PRPSINFO layout has no pr_pid)",
            );
        }
        (Some(k), Some(_)) => {
            p.pid = k.pid;
            prov(
                info,
                "pid",
                "NT_PROCSTAT_PROC ki_pid (NT_PRPSINFO pr_pid agrees)",
            );
        }
        (None, Some(pid)) => {
            p.pid = pid;
            prov(info, "pid", "NT_PRPSINFO pr_pid (no NT_PROCSTAT_PROC)");
        }
        (None, None) => {
            warnings.push(CoreWarning::new(
                "NT_PRPSINFO",
                0,
                "no process id in the core: pr_pid is absent and there is no NT_PROCSTAT_PROC",
            ));
        }
    }
    if let Some(ps) = &fc.psinfo {
        p.comm = Some(ByteString::from(ps.fname.clone()));
        p.psargs = Some(ByteString::from(ps.psargs.clone()));
    }
    let page = fc
        .auxv
        .iter()
        .find(|(t, _)| *t == 6)
        .map(|(_, v)| *v)
        .unwrap_or(4096);
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
        p.nice = Some(i64::from(k.nice));
        p.flags = Some(k.flag);
        p.state = freebsd_state(k.stat).map(str::to_owned);
        p.start_time = Timestamp::from_secs_f64(k.start_sec as f64);
        p.memory = Some(Memory {
            vsz_kib: Some(k.size / 1024),
            rss_kib: Some(k.rssize.saturating_mul(page) / 1024),
            ..Memory::default()
        });
    }
    if let Some(osrel) = fc.osrel.or_else(|| fc.threads.first().map(|t| t.osreldate)) {
        info.kernel = Some(format!("FreeBSD __FreeBSD_version {osrel}"));
    }
    p.threads = Some(
        fc.threads
            .iter()
            .enumerate()
            .map(|(i, t)| Thread {
                name: fc.thread_names.get(i).map(|n| ByteString::from(n.clone())),
                ..thread_from_regs(t.lwpid, t.cursig, &t.registers)
            })
            .collect(),
    );
    if let Some(t) = fc.threads.first().filter(|t| t.cursig != 0) {
        info.signal = Some(CoreSignal {
            number: t.cursig,
            name: signals::name(Numbering::FreeBsd, t.cursig),
            thread: Some(t.lwpid),
            source: "NT_PRSTATUS pr_cursig of the first thread".into(),
            ..CoreSignal::default()
        });
    }
    info.auxv = aux_entries(Flavor::FreeBsd, &fc.auxv, &mem);
    if !fc.rlimits.is_empty() {
        p.limits = Some(
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
    // Files: the special descriptors name cwd, root and the executable.
    let mut fds = Vec::new();
    for f in &fc.files {
        let path = (!f.path.is_empty()).then(|| ByteString::from(f.path.clone()));
        match f.fd {
            -1 => p.cwd = path,
            -2 => p.root = path,
            -5 => {
                p.exe = path;
                prov(
                    info,
                    "exe",
                    "NT_PROCSTAT_FILES text vnode (KF_FD_TYPE_TEXT)",
                );
            }
            fd if fd >= 0 => fds.push(freebsd_fd(f, path)),
            _ => {}
        }
    }
    if !fc.files.is_empty() {
        p.fds = Some(fds);
    }
    if !fc.vmmap.is_empty() {
        // The kernel's own map is richer than the segments (paths, residency): use it, and keep what
        // the segments say about the dumped bytes.
        let by_start: std::collections::BTreeMap<u64, (Option<u64>, Option<String>)> = maps
            .iter()
            .map(|m| (m.start, (m.dumped_bytes, m.dump_note.clone())))
            .collect();
        *maps = fc
            .vmmap
            .iter()
            .map(|v| {
                let (dumped, note) = by_start.get(&v.start).cloned().unwrap_or((Some(0), None));
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
        prov(
            info,
            "maps",
            "NT_PROCSTAT_VMMAP, joined with PT_LOAD by start address",
        );
    }
}

fn freebsd_state(stat: u8) -> Option<&'static str> {
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

fn freebsd_fd(f: &freebsd::KinfoFile, path: Option<ByteString>) -> Fd {
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
        inode: None,
        socket,
    }
}

fn endpoint(a: &freebsd::SockAddr) -> crate::model::SocketEndpoint {
    crate::model::SocketEndpoint {
        address: ByteString::from(a.address.as_bytes()),
        port: a.port,
    }
}

fn netbsd_process(
    core: &Core<'_>,
    p: &mut Process,
    info: &mut CoreInfo,
    warnings: &mut Vec<CoreWarning>,
) {
    let nc = netbsd::decode(core, warnings);
    let mem = core.memory();
    if let Some(pi) = &nc.procinfo {
        p.pid = pi.pid;
        p.ppid = Some(pi.ppid);
        p.pgid = Some(pi.pgrp);
        p.sid = Some(pi.sid);
        p.comm = Some(ByteString::from(pi.name.clone()));
        p.nlwp = Some(pi.nlwps);
        p.cred = Credentials {
            uid: Some(pi.ruid),
            euid: Some(pi.euid),
            suid: Some(pi.svuid),
            gid: Some(pi.rgid),
            egid: Some(pi.egid),
            sgid: Some(pi.svgid),
            ..Credentials::default()
        };
        prov(info, "pid", "NetBSD-CORE procinfo cpi_pid");
        // cpi_siglwp names the LWP that took the signal; older kernels lack it and put that LWP first.
        let siglwp = pi
            .siglwp
            .filter(|l| *l != 0)
            .or_else(|| nc.lwps.first().map(|l| l.lid));
        if pi.signo != 0 {
            let name = signals::name(Numbering::NetBsd, pi.signo as i32);
            info.signal = Some(CoreSignal {
                number: pi.signo as i32,
                code_name: name
                    .as_deref()
                    .and_then(|n| signals::fault_code(n, pi.sigcode as i32))
                    .map(str::to_owned),
                name,
                code: Some(pi.sigcode as i32),
                thread: siglwp,
                source: if pi.siglwp.is_some() {
                    "NetBSD-CORE procinfo cpi_signo, cpi_siglwp"
                } else {
                    "NetBSD-CORE procinfo cpi_signo (first LWP note)"
                }
                .into(),
                ..CoreSignal::default()
            });
        }
        p.threads = Some(
            nc.lwps
                .iter()
                .map(|l| {
                    let signal = if Some(l.lid) == siglwp {
                        pi.signo as i32
                    } else {
                        0
                    };
                    match &l.registers {
                        Some(r) => thread_from_regs(l.lid, signal, r),
                        None => Thread {
                            tid: l.lid,
                            signal: Some(signal),
                            ..Thread::default()
                        },
                    }
                })
                .collect(),
        );
    } else {
        warnings.push(CoreWarning::new(
            "NetBSD-CORE",
            0,
            "no procinfo note: the process's identity is unknown",
        ));
    }
    info.auxv = aux_entries(Flavor::NetBsd, &nc.auxv, &mem);
}
