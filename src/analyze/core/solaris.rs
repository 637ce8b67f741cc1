//! illumos/Solaris cores → model. The new-style notes carry the /proc structures themselves
//! (`NT_PSINFO`, `NT_PSTATUS`, `NT_LWPSINFO`/`NT_LWPSTATUS` per LWP, `NT_PRCRED`, `NT_FDINFO` per open file,
//! `NT_UTSNAME`, `NT_ZONENAME`, `NT_PLATFORM`, `NT_LWPNAME`, `NT_SECFLAGS`, `NT_CONTENT`), in the data model
//! of the dumped process; they go through the same decoders and converters as /proc files. The old-style
//! `NT_PRPSINFO`/`NT_PRSTATUS` are used when the new ones are missing (pre-2.6 cores).

use goblin::elf::header::{EM_386, EM_SPARC, EM_SPARC32PLUS, EM_SPARCV9, EM_X86_64};

use super::super::solaris::{apply_psinfo, apply_pstatus, cred, fd, signal_actions, thread};
use super::{Out, SignalSets, hex_mask, signal_table, stack};
use crate::abi::DataModel;
use crate::bytes::ByteString;
use crate::formats::elfcore::nt::{
    NT_AUXV, NT_CONTENT, NT_FDINFO, NT_LWPNAME, NT_LWPSINFO, NT_LWPSTATUS, NT_PLATFORM, NT_PRCRED,
    NT_PRPSINFO, NT_PRSTATUS, NT_PSINFO, NT_PSTATUS, NT_SECFLAGS, NT_UTSNAME, NT_ZONENAME,
    OWNER_CORE,
};
use crate::formats::elfcore::{Core, CoreWarning};
use crate::formats::signals::{self, Numbering};
use crate::formats::solaris::{self as sol, Isa, Layout, Target};
use crate::model::{AuxEntry, CoreInfo, CoreSignal, Process, Provenance, Thread};

/// `AT_PAGESZ`, `AT_SUN_EXECNAME` (`sys/auxv.h`).
const AT_PAGESZ: u64 = 6;
const AT_SUN_EXECNAME: u64 = 2014;

fn cstring(b: &[u8]) -> String {
    String::from_utf8_lossy(sol::c_string(b)).into_owned()
}

/// A `sigset_t` as bits (bit n-1 = signal n).
fn bits(set: &sol::SigSet) -> u128 {
    set.members()
        .into_iter()
        .filter(|n| (1..=128).contains(n))
        .fold(0u128, |acc, n| acc | 1u128 << (n - 1))
}

/// Fills `p` from the illumos notes of `core`.
pub(super) fn process(core: &Core<'_>, out: &mut Out) {
    let Out {
        p,
        info,
        host,
        warnings,
        ..
    } = out;
    let model = DataModel::from_is_64(core.is_64);
    let endian = core.endian;
    let isa = match core.machine {
        EM_386 | EM_X86_64 => Isa::X86,
        EM_SPARC | EM_SPARC32PLUS | EM_SPARCV9 => Isa::Sparc,
        m => {
            warnings.push(CoreWarning::new(
                "ELF header",
                18,
                format!("e_machine {m}: no illumos register layout"),
            ));
            Isa::X86
        }
    };
    let layout = Layout::new(model, endian);
    let target = Target::new(isa, model, endian);
    let note = |t: u32| core.note(OWNER_CORE, t);
    let fail = |warnings: &mut Vec<CoreWarning>, what: &str, at: u64, e: &sol::DecodeError| {
        warnings.push(CoreWarning::new(what, at + e.offset as u64, e.to_string()));
    };

    let mut have_psinfo = false;
    let mut proc_pending = None;
    if let Some(n) = note(NT_PSINFO) {
        match sol::decode_psinfo(n.desc, layout) {
            Ok(ps) => {
                apply_psinfo(p, &ps);
                have_psinfo = true;
                info.provenance.push(Provenance {
                    field: "pid".into(),
                    source: "NT_PSINFO pr_pid".into(),
                });
                recover_vectors(core, &ps, p, info);
            }
            Err(e) => fail(warnings, "NT_PSINFO", n.desc_offset, &e),
        }
    }
    if !have_psinfo && let Some(n) = note(NT_PRPSINFO) {
        match sol::old::decode_old_psinfo(n.desc, model, endian) {
            Ok(ps) => {
                p.pid = ps.pid;
                p.ppid = Some(ps.ppid);
                p.pgid = Some(ps.pgrp);
                p.sid = Some(ps.sid);
                p.comm = Some(ByteString::from(ps.fname.clone()));
                p.psargs = Some(ByteString::from(ps.psargs.clone()));
                p.cred.uid = Some(ps.uid);
                p.cred.euid = Some(ps.euid);
                p.cred.gid = Some(ps.gid);
                p.cred.egid = Some(ps.egid);
                info.provenance.push(Provenance {
                    field: "pid".into(),
                    source: "old-style NT_PRPSINFO pr_pid (no NT_PSINFO)".into(),
                });
            }
            Err(e) => fail(warnings, "NT_PRPSINFO", n.desc_offset, &e),
        }
    }
    if let Some(n) = note(NT_PSTATUS) {
        match sol::decode_pstatus(n.desc, target) {
            Ok(st) => {
                apply_pstatus(p, &st);
                proc_pending = Some(bits(&st.sigpend));
                p.sig_pending = Some(hex_mask(bits(&st.sigpend)));
            }
            Err(e) => fail(warnings, "NT_PSTATUS", n.desc_offset, &e),
        }
    }
    if let Some(n) = note(NT_PRCRED) {
        match sol::decode_prcred(n.desc, endian) {
            Ok(c) => {
                if let Some(w) = &c.warning {
                    fail(warnings, "NT_PRCRED", n.desc_offset, w);
                }
                p.cred = cred(&c.value);
            }
            Err(e) => fail(warnings, "NT_PRCRED", n.desc_offset, &e),
        }
    }
    if let Some(n) = note(NT_ZONENAME) {
        p.zone = Some(cstring(n.desc));
    }
    if let Some(n) = note(NT_UTSNAME) {
        match sol::decode_utsname(n.desc) {
            Ok(u) => {
                let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                host.hostname = Some(s(&u.nodename));
                host.sysname = Some(s(&u.sysname));
                host.release = Some(s(&u.release));
                host.version = Some(s(&u.version));
                info.kernel = Some(format!(
                    "{} {} {} {} {}",
                    s(&u.sysname),
                    s(&u.nodename),
                    s(&u.release),
                    s(&u.version),
                    s(&u.machine)
                ));
            }
            Err(e) => fail(warnings, "NT_UTSNAME", n.desc_offset, &e),
        }
    }
    if let Some(n) = note(NT_PLATFORM) {
        info.provenance.push(Provenance {
            field: "platform".into(),
            source: format!("NT_PLATFORM {}", cstring(n.desc)),
        });
    }
    if let Some(n) = note(NT_CONTENT) {
        if let Some(b) = n.desc.get(..8) {
            let v = crate::formats::elfcore::memory::read_word(b, core.endian);
            info.provenance.push(Provenance {
                field: "content".into(),
                source: format!(
                    "NT_CONTENT core_content_t {v:#x} (what coreadm let the kernel dump)"
                ),
            });
        }
    }
    if let Some(n) = note(NT_SECFLAGS) {
        match sol::decode_prsecflags(n.desc, endian) {
            Ok(f) => info.provenance.push(Provenance {
                field: "secflags".into(),
                source: format!(
                    "NT_SECFLAGS effective {:#x} inherit {:#x}",
                    f.effective, f.inherit
                ),
            }),
            Err(e) => fail(warnings, "NT_SECFLAGS", n.desc_offset, &e),
        }
    }

    // LWPs: NT_LWPSINFO then NT_LWPSTATUS (and NT_LWPNAME) per LWP, in note order.
    let mut infos = Vec::new();
    let mut statuses = Vec::new();
    let mut names = Vec::new();
    for n in core.notes.iter().filter(|n| n.name == OWNER_CORE) {
        match n.n_type {
            NT_LWPSINFO => match sol::decode_lwpsinfo(n.desc, layout) {
                Ok(i) => infos.push(i),
                Err(e) => fail(warnings, "NT_LWPSINFO", n.desc_offset, &e),
            },
            NT_LWPSTATUS => match sol::decode_lwpstatus(n.desc, target) {
                Ok(s) => statuses.push(s),
                Err(e) => fail(warnings, "NT_LWPSTATUS", n.desc_offset, &e),
            },
            NT_LWPNAME => match sol::decode_lwpname(n.desc, endian) {
                Ok(nm) => names.push(nm),
                Err(e) => fail(warnings, "NT_LWPNAME", n.desc_offset, &e),
            },
            _ => {}
        }
    }
    let mut threads: Vec<Thread> = infos
        .iter()
        .filter_map(|i| thread(Some(i), statuses.iter().find(|s| s.lwpid == i.lwpid), None))
        .collect();
    for s in statuses
        .iter()
        .filter(|s| !infos.iter().any(|i| i.lwpid == s.lwpid))
    {
        threads.extend(thread(None, Some(s), None));
    }
    for nm in &names {
        if let Some(t) = threads
            .iter_mut()
            .find(|t| i64::from(t.tid) == nm.lwpid as i64)
            && !nm.name.is_empty()
        {
            t.name = Some(ByteString::from(nm.name.clone()));
        }
    }
    if threads.is_empty() {
        // Old-style cores: one NT_PRSTATUS per LWP.
        for n in core
            .notes
            .iter()
            .filter(|n| n.name == OWNER_CORE && n.n_type == NT_PRSTATUS)
        {
            if let Ok(st) = sol::old::decode_old_status(n.desc, model, endian) {
                threads.push(Thread {
                    tid: st.who,
                    signal: Some(i32::from(st.cursig)),
                    ..Thread::default()
                });
            }
        }
    }
    // The signal: the LWP whose pr_cursig is set, with its pr_info.
    if let Some(s) = statuses.iter().find(|s| s.cursig != 0) {
        let number = i32::from(s.cursig);
        let name = signals::name(Numbering::Solaris, number);
        let fault =
            s.info.signo == number && matches!(number, 4 | 5 | 7 | 8 | 10 | 11) && s.info.code > 0;
        info.signal = Some(CoreSignal {
            code_name: if fault {
                name.as_deref()
                    .and_then(|n| signals::fault_code(n, s.info.code))
                    .map(str::to_owned)
            } else if s.info.signo == number {
                signals::sender_code(Numbering::Solaris, s.info.code).map(str::to_owned)
            } else {
                None
            },
            name,
            number,
            code: (s.info.signo == number).then_some(s.info.code),
            errno: (s.info.signo == number && s.info.errno != 0).then_some(s.info.errno),
            fault_address: fault.then_some(s.info.addr),
            sender_pid: (s.info.signo == number && s.info.code <= 0 && s.info.pid != 0)
                .then_some(s.info.pid),
            sender_uid: (s.info.signo == number && s.info.code <= 0 && s.info.pid != 0)
                .then_some(s.info.uid),
            thread: Some(s.lwpid),
            source: "NT_LWPSTATUS pr_cursig and pr_info".into(),
        });
    }
    // Blocked and pending from the signalled LWP (else the first); the one disposition a core records
    // is that LWP's pr_action, the action for the signal being delivered.
    if let Some(l) = statuses.iter().find(|s| s.cursig != 0).or(statuses.first()) {
        let pending = bits(&l.lwppend) | proc_pending.unwrap_or(0);
        let mut table = signal_table(
            Numbering::Solaris,
            &SignalSets {
                count: 128,
                blocked: Some(bits(&l.lwphold)),
                pending: Some(pending),
                ..SignalSets::default()
            },
        );
        let cursig = i32::from(l.cursig);
        if let Some(entry) = usize::try_from(cursig - 1)
            .ok()
            .and_then(|i| table.get_mut(i))
            && let Some(a) = signal_actions(std::slice::from_ref(&l.action)).pop()
        {
            entry.action = a.action;
            entry.handler = a.handler;
            entry.mask = a.mask;
            entry.flags = a.flags;
        }
        p.signal_actions = Some(table);
        info.provenance.push(Provenance {
            field: "signal_actions".into(),
            source: format!(
                "NT_LWPSTATUS of LWP {}: pr_lwphold, pr_lwppend (with pstatus pr_sigpend) and pr_action, the action of the signal being delivered only",
                l.lwpid
            ),
        });
    }
    p.threads = Some(threads);

    let fds: Vec<_> = core
        .notes
        .iter()
        .filter(|n| n.name == OWNER_CORE && n.n_type == NT_FDINFO)
        .filter_map(|n| {
            sol::decode_fdinfo(n.desc, endian)
                .map_err(|e| fail(warnings, "NT_FDINFO", n.desc_offset, &e))
                .ok()
        })
        .map(|f| fd(&f))
        .collect();
    if !fds.is_empty() {
        p.fds = Some(fds);
    }
    if let Some(n) = note(NT_AUXV) {
        let l = sol::decode_auxv(n.desc, layout);
        let mem = core.memory();
        host.page_size = l
            .value
            .iter()
            .find(|a| a.a_type as u64 == AT_PAGESZ)
            .map(|a| a.value);
        info.auxv = l
            .value
            .iter()
            .map(|a| AuxEntry {
                name: a.type_name().map(str::to_owned),
                kind: a.a_type as u64,
                value: a.value,
                string: matches!(a.a_type, 2006 | 2008 | 2014 | 2019)
                    .then(|| mem.cstr(a.value, 4096))
                    .flatten()
                    .map(ByteString::from),
            })
            .collect();
        if let Some(exe) = info
            .auxv
            .iter()
            .find(|a| a.kind == AT_SUN_EXECNAME)
            .and_then(|a| a.string.clone())
        {
            p.exe = Some(exe);
            info.provenance.push(Provenance {
                field: "exe".into(),
                source: "AT_SUN_EXECNAME string in the dumped stack".into(),
            });
        }
    }
}

/// illumos: psinfo's `pr_argv`/`pr_envp` point into the dumped stack; read the vectors and strings.
fn recover_vectors(core: &Core<'_>, ps: &sol::Psinfo, p: &mut Process, info: &mut CoreInfo) {
    let mem = core.memory();
    if ps.argv != 0
        && let Some(argv) = stack::read_vector(core, &mem, ps.argv, usize::try_from(ps.argc).ok())
        && !argv.is_empty()
    {
        p.argv = Some(argv);
        info.provenance.push(Provenance {
            field: "argv".into(),
            source: format!(
                "stack memory at psinfo pr_argv {:#x} (pr_argc {})",
                ps.argv, ps.argc
            ),
        });
    }
    if ps.envp != 0
        && let Some(env) = stack::read_vector(core, &mem, ps.envp, None)
    {
        p.env = Some(env);
        info.provenance.push(Provenance {
            field: "env".into(),
            source: format!("stack memory at psinfo pr_envp {:#x}", ps.envp),
        });
    }
}
