//! NetBSD cores: the process from the `NetBSD-CORE` procinfo note, one thread per `NetBSD-CORE@<lid>`
//! LWP with its registers, the auxv (and the executable's path through `AT_SUN_EXECNAME`).

use super::{Out, SignalSets, aux_entries, hex_mask, signal_table, thread_from_regs};
use crate::bytes::ByteString;
use crate::formats::elfcore::{Core, CoreWarning, Flavor, netbsd};
use crate::formats::signals::{self, Numbering};
use crate::model::{CoreSignal, Credentials, Thread};

/// `AT_PAGESZ`, `AT_SUN_EXECNAME` (`sys/sys/exec_elf.h`).
const AT_PAGESZ: u64 = 6;
const AT_SUN_EXECNAME: u64 = 2014;

pub(super) fn process(core: &Core<'_>, out: &mut Out) {
    let nc = netbsd::decode(core, &mut out.warnings);
    let mem = core.memory();
    if let Some(pi) = &nc.procinfo {
        let p = &mut out.p;
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
        p.sig_pending = Some(hex_mask(pi.sigpend));
        p.sig_blocked = Some(hex_mask(pi.sigmask));
        p.sig_ignored = Some(hex_mask(pi.sigignore));
        p.sig_caught = Some(hex_mask(pi.sigcatch));
        p.signal_actions = Some(signal_table(
            Numbering::NetBsd,
            &SignalSets {
                count: 128,
                caught: Some(pi.sigcatch),
                ignored: Some(pi.sigignore),
                blocked: Some(pi.sigmask),
                pending: Some(pi.sigpend),
            },
        ));
        out.prov("pid", "NetBSD-CORE procinfo cpi_pid");
        // cpi_siglwp names the LWP that took the signal; older kernels lack it and put that LWP first.
        let siglwp = pi
            .siglwp
            .filter(|l| *l != 0)
            .or_else(|| nc.lwps.first().map(|l| l.lid));
        if pi.signo != 0 {
            let number = pi.signo as i32;
            let code = pi.sigcode as i32;
            let name = signals::name(Numbering::NetBsd, number);
            out.info.signal = Some(CoreSignal {
                number,
                code_name: name
                    .as_deref()
                    .and_then(|n| signals::fault_code(n, code))
                    .or_else(|| signals::sender_code(Numbering::NetBsd, code))
                    .map(str::to_owned),
                name,
                code: Some(code),
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
        out.p.threads = Some(
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
        out.warnings.push(CoreWarning::new(
            "NetBSD-CORE",
            0,
            "no procinfo note: the process's identity is unknown",
        ));
    }
    out.info.auxv = aux_entries(Flavor::NetBsd, &nc.auxv, &mem);
    out.host.page_size = nc
        .auxv
        .iter()
        .find(|(t, _)| *t == AT_PAGESZ)
        .map(|(_, v)| *v);
    if let Some(exe) = out
        .info
        .auxv
        .iter()
        .find(|a| a.kind == AT_SUN_EXECNAME)
        .and_then(|a| a.string.clone())
    {
        out.p.exe = Some(exe);
        out.prov("exe", "AT_SUN_EXECNAME string in the dumped stack");
    }
}
